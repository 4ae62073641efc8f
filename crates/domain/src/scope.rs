//! OAuth scopes (RFC 6749 §3.3): space-delimited, case-sensitive strings.

use std::collections::BTreeSet;
use std::fmt;

/// A `scope` value outside the RFC 6749 §3.3 grammar, or beyond what is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid_scope")]
pub struct InvalidScope;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope(BTreeSet<String>);

impl Scope {
    /// Parses a `scope` parameter. RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
    pub fn parse(value: &str) -> Result<Scope, InvalidScope> {
        let mut tokens = BTreeSet::new();
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            let valid = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
            if !valid {
                return Err(InvalidScope);
            }
            tokens.insert(token.to_owned());
        }
        Ok(Scope(tokens))
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.contains(token)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The scope a request gets: what it asked for, if every token is allowed;
    /// everything allowed when it asked for nothing (RFC 6749 §3.3 default).
    pub fn grant(requested: Option<&Scope>, allowed: &Scope) -> Result<Scope, InvalidScope> {
        match requested {
            None => Ok(allowed.clone()),
            Some(requested) if requested.is_subset_of(allowed) => Ok(requested.clone()),
            Some(_) => Err(InvalidScope),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for token in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(token)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let scope = Scope::parse("b a  b").expect("valid");
        assert_eq!(scope.to_string(), "a b");
    }

    #[test]
    fn rejects_characters_outside_the_grammar() {
        assert_eq!(Scope::parse("a\"b"), Err(InvalidScope));
        assert_eq!(Scope::parse("a\\b"), Err(InvalidScope));
        assert_eq!(Scope::parse("é"), Err(InvalidScope));
    }

    #[test]
    fn grants_requested_subset_or_default() {
        let allowed = Scope::parse("read write").expect("valid");
        let read = Scope::parse("read").expect("valid");
        assert_eq!(Scope::grant(Some(&read), &allowed), Ok(read.clone()));
        assert_eq!(Scope::grant(None, &allowed), Ok(allowed.clone()));
        let admin = Scope::parse("admin").expect("valid");
        assert_eq!(Scope::grant(Some(&admin), &allowed), Err(InvalidScope));
    }
}
