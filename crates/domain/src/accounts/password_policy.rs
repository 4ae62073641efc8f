//! Which new passwords are accepted: the rules of NIST SP 800-63B §5.1.1.2 for a password a
//! user chooses (a change or a reset), and a history rule of our own.
//!
//! - At least 8 characters (SHALL), counted as Unicode scalar values after NFKC
//!   normalization (§5.1.1.2: verifiers SHOULD normalize, NFKC or NFKD), so `e` + U+0301
//!   counts as the one `é` it composes to, and a ligature as the letters it stands for.
//! - At most `MAX_PASSWORD_BYTES`: §5.1.1.2 asks for at least 64 characters; beyond 1 KiB
//!   argon2 only spends more work on the input, which is a denial-of-service lever.
//! - No composition rules (§5.1.1.2: SHOULD NOT impose them): any character, spaces too.
//! - Not on a list of commonly used or breached passwords (SHALL compare against one),
//!   case-insensitively, nor the account's own identifiers (the same clause's
//!   context-specific words).
//! - Not one of the account's last `history` passwords (not from 800-63B, which requires no
//!   history; the self-service APIs want it). Checked last: it costs an argon2 verify per
//!   remembered password.

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use crate::error::{faults_become, Fault};
use crate::ports::PasswordHasher;
use crate::secret::Secret;

/// Fewest characters (scalar values after NFKC) in a password (800-63B §5.1.1.2: SHALL be
/// at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Most bytes of UTF-8 in a password, as presented and after NFKC. Sign-in refuses longer
/// ones before hashing (`Accounts::sign_in`), so this is the same limit.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The list of common passwords: one a line, lower case. Where it comes from and its
/// licence: `crates/domain/data/README.md`.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// How many of the account's previous passwords a new one must differ from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// The last `history` passwords (the current one included) may not be chosen again;
    /// 0 turns the rule off.
    pub history: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { history: 5 }
    }
}

/// Why a new password was refused. Each message is fit to show the user who chose it
/// (800-63B §5.1.1.2: the verifier SHALL say why), and none repeats the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejected {
    #[error("the password must be at least {min} characters long")]
    TooShort { min: usize },
    #[error("the password must be at most {max_bytes} bytes long")]
    TooLong { max_bytes: usize },
    #[error("this password is too common; choose one that is harder to guess")]
    Common,
    #[error("the password must not be your username or email address")]
    SameAsIdentifier,
    #[error("the password must not be one of your last {last} passwords")]
    Reused { last: usize },
}

/// The outcome of a full check: refused, or the reuse check could not hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordCheckError {
    #[error(transparent)]
    Rejected(#[from] PasswordRejected),
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(PasswordCheckError::Unavailable);

impl PasswordPolicy {
    /// Every rule: the cheap ones of `check_choice`, then the history, against
    /// `previous_hashes` (the account's password hashes from `hasher`, newest first, the
    /// current one included; only the first `history` are looked at). The password is
    /// verified as presented, as it was hashed.
    pub fn check(
        &self,
        password: &Secret,
        identifiers: &[&str],
        previous_hashes: &[String],
        hasher: &dyn PasswordHasher,
    ) -> Result<(), PasswordCheckError> {
        self.check_choice(password, identifiers)?;
        for hash in previous_hashes.iter().take(self.history) {
            if hasher.verify(password.expose(), hash)? {
                return Err(PasswordRejected::Reused { last: self.history }.into());
            }
        }
        Ok(())
    }

    /// The rules that need no hashing: length, the account's `identifiers` (its username
    /// and email address; empty ones are ignored) and the common-password list.
    pub fn check_choice(
        &self,
        password: &Secret,
        identifiers: &[&str],
    ) -> Result<(), PasswordRejected> {
        let too_long = PasswordRejected::TooLong {
            max_bytes: MAX_PASSWORD_BYTES,
        };
        // Before normalizing: NFKC of a huge input is work an attacker chooses.
        if password.expose().len() > MAX_PASSWORD_BYTES {
            return Err(too_long);
        }
        // NFKC may expand (U+FDFA is 3 bytes, its NFKC 33): the limit holds for whichever
        // form is hashed.
        let normalized = normalize(password.expose());
        if normalized.len() > MAX_PASSWORD_BYTES {
            return Err(too_long);
        }
        if normalized.chars().count() < MIN_PASSWORD_CHARS {
            return Err(PasswordRejected::TooShort {
                min: MIN_PASSWORD_CHARS,
            });
        }
        let folded = fold(&normalized);
        if identifiers
            .iter()
            .any(|id| !id.is_empty() && fold(id) == folded)
        {
            return Err(PasswordRejected::SameAsIdentifier);
        }
        if common_passwords().contains(folded.as_str()) {
            return Err(PasswordRejected::Common);
        }
        Ok(())
    }
}

/// NFKC (Unicode Standard Annex #15), what 800-63B §5.1.1.2 asks verifiers to apply.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// What comparisons see: NFKC, then lower case, so `Password1`, `PASSWORD1` and the
/// full-width `ｐａｓｓｗｏｒｄ１` are one password.
fn fold(text: &str) -> String {
    text.nfkc().flat_map(char::to_lowercase).collect()
}

/// The list, folded like candidates, built on first use.
fn common_passwords() -> &'static HashSet<String> {
    static LIST: OnceLock<HashSet<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(fold)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use proptest::prelude::*;

    use super::*;
    use crate::error::CodecError;

    const MIN: PasswordRejected = PasswordRejected::TooShort { min: 8 };
    const MAX: PasswordRejected = PasswordRejected::TooLong { max_bytes: 1024 };

    fn choice(password: &str) -> Result<(), PasswordRejected> {
        PasswordPolicy::default()
            .check_choice(&Secret::new(password), &["alice", "alice@example.com"])
    }

    #[test]
    fn length_is_counted_in_characters_after_nfkc() {
        let cases: &[(&str, String, Result<(), PasswordRejected>)] = &[
            ("7 ASCII", "xq7#kd9".into(), Err(MIN)),
            ("8 ASCII", "xq7#kd9!".into(), Ok(())),
            ("7 two-byte é", "é".repeat(7), Err(MIN)),
            (
                "8 two-byte é: 16 bytes, 8 characters",
                "é".repeat(8),
                Ok(()),
            ),
            ("7 four-byte crabs", "🦀".repeat(7), Err(MIN)),
            ("8 four-byte crabs", "🦀".repeat(8), Ok(())),
            // e + COMBINING ACUTE ACCENT: 2 scalar values that NFKC composes into 1.
            (
                "7 composed pairs (14 scalars raw)",
                "e\u{301}".repeat(7),
                Err(MIN),
            ),
            ("8 composed pairs", "e\u{301}".repeat(8), Ok(())),
            // U+FB01 LATIN SMALL LIGATURE FI is "fi" under NFKC (not NFC).
            (
                "4 ligatures: 4 raw, 8 after NFKC",
                "\u{fb01}".repeat(4),
                Ok(()),
            ),
            (
                "3 ligatures and a letter",
                "\u{fb01}\u{fb01}\u{fb01}x".into(),
                Err(MIN),
            ),
            ("empty", String::new(), Err(MIN)),
        ];
        for (what, password, expected) in cases {
            assert_eq!(&choice(password), expected, "{what}");
        }
    }

    #[test]
    fn the_byte_limit_holds_as_presented_and_after_nfkc() {
        let cases: &[(&str, String, Result<(), PasswordRejected>)] = &[
            ("1024 ASCII bytes", "x".repeat(1024), Ok(())),
            ("1025 ASCII bytes", "x".repeat(1025), Err(MAX)),
            ("512 two-byte é: 1024 bytes", "é".repeat(512), Ok(())),
            (
                "512 é and one more byte",
                format!("{}x", "é".repeat(512)),
                Err(MAX),
            ),
            ("256 four-byte crabs", "🦀".repeat(256), Ok(())),
            (
                "256 crabs and one more byte",
                format!("{}x", "🦀".repeat(256)),
                Err(MAX),
            ),
            // U+FDFA: 3 bytes that NFKC expands to 18 characters, 33 bytes.
            (
                "31 U+FDFA: 93 bytes, 1023 after NFKC",
                "\u{fdfa}".repeat(31),
                Ok(()),
            ),
            (
                "32 U+FDFA: 96 bytes, 1056 after NFKC",
                "\u{fdfa}".repeat(32),
                Err(MAX),
            ),
        ];
        for (what, password, expected) in cases {
            assert_eq!(&choice(password), expected, "{what}");
        }
    }

    #[test]
    fn no_composition_rules() {
        for password in [
            "correct horse battery staple",
            "all lower case words here",
            "ZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "8fj3kd0wq2",
            "pässwörtchen über alles",
            "パスワードは長いほうがいい",
            "        spaces count        ",
        ] {
            assert_eq!(choice(password), Ok(()), "{password}");
        }
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case_or_width() {
        for password in [
            "password1",
            "PASSWORD1",
            "PassWord1",
            "iloveyou",
            "qwertyuiop",
            "1q2w3e4r5t",
            "superman",
            // Full-width forms, which NFKC folds to ASCII.
            "\u{ff50}\u{ff41}\u{ff53}\u{ff53}\u{ff57}\u{ff4f}\u{ff52}\u{ff44}\u{ff11}",
        ] {
            assert_eq!(
                choice(password),
                Err(PasswordRejected::Common),
                "{password}"
            );
        }
        assert_eq!(
            choice("password1 but longer"),
            Ok(()),
            "only equality counts"
        );
    }

    #[test]
    fn every_listed_password_long_enough_to_matter_is_refused() {
        let list: Vec<&str> = COMMON_PASSWORDS.lines().collect();
        assert!(list.len() >= 10_000, "{} passwords", list.len());
        let mut checked = 0;
        for password in list {
            let normalized = normalize(password.trim());
            if normalized.chars().count() >= MIN_PASSWORD_CHARS {
                assert_eq!(
                    PasswordPolicy::default()
                        .check_choice(&Secret::new(password.to_uppercase()), &[]),
                    Err(PasswordRejected::Common),
                    "{password}"
                );
                checked += 1;
            }
        }
        assert!(checked > 8_000, "{checked}");
    }

    #[test]
    fn the_accounts_identifiers_are_refused_case_insensitively() {
        let policy = PasswordPolicy::default();
        let ids = ["Alice.Smith", "Alice.Smith@Example.com"];
        for password in ["alice.smith", "ALICE.SMITH", "alice.smith@example.com"] {
            assert_eq!(
                policy.check_choice(&Secret::new(password), &ids),
                Err(PasswordRejected::SameAsIdentifier),
                "{password}"
            );
        }
        for password in ["alice.smith1", "my name is alice.smith"] {
            assert_eq!(
                policy.check_choice(&Secret::new(password), &ids),
                Ok(()),
                "{password}"
            );
        }
        // An absent email is passed as "" by callers without one: it matches nothing, and
        // a too-short password is still TooShort, not SameAsIdentifier.
        assert_eq!(
            policy.check_choice(&Secret::new("xq7#kd9!"), &["bob", ""]),
            Ok(())
        );
        assert_eq!(policy.check_choice(&Secret::new("bob"), &["bob"]), Err(MIN));
    }

    /// Hashes like the domain's fake and counts verifications; can be made to fail.
    #[derive(Default)]
    struct CountingHasher {
        verified: AtomicUsize,
        saturated: bool,
    }

    impl PasswordHasher for CountingHasher {
        fn hash(&self, password: &str) -> Result<String, CodecError> {
            Ok(format!("fake${password}"))
        }
        fn verify(&self, password: &str, hash: &str) -> Result<bool, CodecError> {
            self.verified.fetch_add(1, Ordering::SeqCst);
            if self.saturated {
                return Err(CodecError::Saturated);
            }
            Ok(hash == format!("fake${password}"))
        }
    }

    /// Hashes of "old password 1" (newest) to "old password 7".
    fn history() -> Vec<String> {
        (1..=7).map(|n| format!("fake$old password {n}")).collect()
    }

    fn check(
        policy: PasswordPolicy,
        password: &str,
        hasher: &CountingHasher,
    ) -> Result<(), PasswordCheckError> {
        policy.check(&Secret::new(password), &["alice"], &history(), hasher)
    }

    #[test]
    fn the_last_n_passwords_are_refused_and_older_ones_allowed() {
        let hasher = CountingHasher::default();
        let policy = PasswordPolicy::default();
        let reused = Err(PasswordCheckError::Rejected(PasswordRejected::Reused {
            last: 5,
        }));
        assert_eq!(
            check(policy, "old password 1", &hasher),
            reused,
            "the current one"
        );
        assert_eq!(check(policy, "old password 5", &hasher), reused, "the 5th");
        assert_eq!(
            check(policy, "old password 6", &hasher),
            Ok(()),
            "the 6th is forgotten"
        );
        assert_eq!(check(policy, "a brand new one", &hasher), Ok(()));
        // 1 + 5 + 5 + 5: stops at a match, never looks past the 5th.
        assert_eq!(hasher.verified.load(Ordering::SeqCst), 16);
    }

    #[test]
    fn the_history_length_is_configurable() {
        let hasher = CountingHasher::default();
        let seven = PasswordPolicy { history: 7 };
        assert_eq!(
            check(seven, "old password 7", &hasher),
            Err(PasswordRejected::Reused { last: 7 }.into())
        );
        let off = PasswordPolicy { history: 0 };
        assert_eq!(check(off, "old password 1", &hasher), Ok(()));
        assert_eq!(hasher.verified.load(Ordering::SeqCst), 7, "none when off");
        // Fewer stored hashes than the history: all of them are checked, no more.
        let short = PasswordPolicy::default().check(
            &Secret::new("old password 2"),
            &[],
            &history()[..2],
            &hasher,
        );
        assert_eq!(short, Err(PasswordRejected::Reused { last: 5 }.into()));
    }

    #[test]
    fn cheap_rules_come_before_any_hashing() {
        let hasher = CountingHasher::default();
        for password in ["short", "password1", "Alice"] {
            assert!(check(PasswordPolicy::default(), password, &hasher).is_err());
        }
        assert_eq!(hasher.verified.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_hasher_that_cannot_answer_is_an_outage_not_a_verdict() {
        let hasher = CountingHasher {
            saturated: true,
            ..CountingHasher::default()
        };
        assert_eq!(
            check(PasswordPolicy::default(), "a brand new one", &hasher),
            Err(PasswordCheckError::Unavailable(Fault::Crypto(
                CodecError::Saturated
            )))
        );
    }

    #[test]
    fn messages_say_why_and_never_repeat_the_password() {
        let messages: Vec<String> = [
            MIN,
            MAX,
            PasswordRejected::Common,
            PasswordRejected::SameAsIdentifier,
            PasswordRejected::Reused { last: 5 },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            messages,
            [
                "the password must be at least 8 characters long",
                "the password must be at most 1024 bytes long",
                "this password is too common; choose one that is harder to guess",
                "the password must not be your username or email address",
                "the password must not be one of your last 5 passwords",
            ]
        );
    }

    proptest! {
        /// The length rules, against a count made independently of the policy's code.
        #[test]
        fn length_rules_hold_for_any_string(password in "\\PC{0,40}|.{0,400}") {
            let normalized: String = password.nfkc().collect();
            let expected_too_long = password.len() > 1024 || normalized.len() > 1024;
            let expected_too_short = !expected_too_long && normalized.chars().count() < 8;
            let got = choice(&password);
            prop_assert_eq!(got == Err(MAX), expected_too_long);
            prop_assert_eq!(got == Err(MIN), expected_too_short);
        }

        /// Case never changes the verdict of an ASCII password.
        #[test]
        fn case_does_not_matter(password in "[ -~]{0,24}") {
            prop_assert_eq!(choice(&password), choice(&password.to_ascii_uppercase()));
            prop_assert_eq!(choice(&password), choice(&password.to_ascii_lowercase()));
        }

        /// Long random passwords pass: no hidden composition rule.
        #[test]
        fn long_random_passwords_are_accepted(password in "[a-z ]{20,60}") {
            prop_assert_eq!(choice(&password), Ok(()));
        }
    }
}
