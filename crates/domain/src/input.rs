//! What identifiers presented by callers may contain, decided before any store call. A value
//! the store could not hold (a NUL, which Postgres refuses in text) cannot name anything in
//! it: such a request is a wrong credential (401/400), never an outage (503).

/// Longest `client_id` looked up: ours are 32 characters; anything much longer is junk.
pub const MAX_CLIENT_ID_LEN: usize = 256;

/// Longest username (and client name), in bytes.
pub const MAX_NAME_LEN: usize = 200;

/// RFC 6749 App. A.1: `client-id = *VSCHAR` (printable ASCII and space).
pub fn is_client_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_CLIENT_ID_LEN
        && value.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// A username as `create_user` accepts it: 1 to `MAX_NAME_LEN` bytes, no control
/// characters (RFC 6749 App. A.15 excludes CR and LF; NUL and the rest have no place in a
/// name either).
pub fn is_name(value: &str) -> bool {
    !value.is_empty() && value.len() <= MAX_NAME_LEN && !value.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_visible_ascii() {
        assert!(is_client_id("3f0c9a1b2c3d4e5f60718293a4b5c6d7"));
        assert!(is_client_id("my app"));
        for bad in [
            "",
            "a\0b",
            "\u{202e}\u{feff}\0",
            "é",
            "tab\there",
            &"x".repeat(257),
        ] {
            assert!(!is_client_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn names_have_no_control_characters() {
        assert!(is_name("alice"));
        assert!(is_name("Ålice Ünïcode 名前"));
        for bad in ["", "a\0b", "line\nbreak", "\u{7f}", &"x".repeat(201)] {
            assert!(!is_name(bad), "{bad:?}");
        }
    }
}
