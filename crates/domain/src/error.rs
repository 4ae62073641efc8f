//! The errors every use case shares: what an adapter reports (`StoreError`, `DenylistError`,
//! `CodecError`, `MailError`) and the `Fault` they become in a use case. Each use case has
//! its own error enum beside it (e.g. `RevokeError`), with a `Fault` variant for outages;
//! the HTTP edge maps them to responses once.
//!
//! A fault keeps its cause: the driver's error stays reachable through `source()`, so the
//! log line of a 503 says what failed underneath, while the response says nothing of it.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// The underlying error of an outage: a driver's error, or a sentence saying what failed.
/// Shared (cheap to clone), and compared by what it says, so that results holding one can
/// still be compared in tests.
#[derive(Clone)]
pub struct Cause(Arc<dyn Error + Send + Sync + 'static>);

impl Cause {
    pub fn new(error: impl Error + Send + Sync + 'static) -> Cause {
        Cause(Arc::new(error))
    }

    /// A cause with no error value behind it (a timeout, a stopped thread).
    pub fn message(text: impl Into<String>) -> Cause {
        Cause(Arc::new(Message(text.into())))
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Cause) -> bool {
        Chain(self).to_string() == Chain(other).to_string()
    }
}

impl Eq for Cause {}

#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Message {}

/// Displays an error and every `source()` below it, `outer: inner: innermost`: what a log
/// line of a fault shows.
pub struct Chain<'a>(pub &'a (dyn Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(error) = next {
            write!(f, ": {error}")?;
            next = error.source();
        }
        Ok(())
    }
}

/// A storage failure. `Unavailable` is an outage (retry later); it must never be read
/// as "not found".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("store unavailable")]
    Unavailable(#[source] Cause),
    #[error("store returned corrupt data: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn unavailable(cause: impl Error + Send + Sync + 'static) -> StoreError {
        StoreError::Unavailable(Cause::new(cause))
    }
}

/// The denylist could not answer or write: `context` says what was attempted, the cause
/// (if any) why it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("denylist unavailable: {context}")]
pub struct DenylistError {
    context: String,
    #[source]
    cause: Option<Cause>,
}

impl DenylistError {
    pub fn new(context: impl Into<String>) -> DenylistError {
        DenylistError {
            context: context.into(),
            cause: None,
        }
    }

    pub fn caused_by(
        context: impl Into<String>,
        cause: impl Error + Send + Sync + 'static,
    ) -> DenylistError {
        DenylistError {
            context: context.into(),
            cause: Some(Cause::new(cause)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Not a JWT we could parse, or not an access token (`typ` is not `at+jwt`).
    #[error("malformed token")]
    Malformed,
    /// Signed by a key we do not hold.
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature")]
    BadSignature,
    #[error("signing failed: {0}")]
    Signing(String),
    /// Password hashing is saturated: as many hashes run as memory allows, and this one
    /// waited its limit for a turn.
    #[error("password hashing saturated")]
    Saturated,
}

/// Something that is nobody's mistake failed: the caller must retry, and for revocation
/// must assume the token is still valid (RFC 7009 §2.2.1). Every use case's error has a
/// variant holding one; the HTTP edge answers 503 and logs the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Denylist(#[from] DenylistError),
    #[error(transparent)]
    Crypto(#[from] CodecError),
    #[error(transparent)]
    Mail(#[from] crate::accounts::mail::MailError),
    #[error("no active {0} signing key")]
    NoActiveKey(crate::access_token::alg::SigningAlg),
    #[error("the denylist lost entries while it was rebuilt; rebuilding again")]
    RebuildInterrupted,
}

impl Fault {
    /// Whether this is back-pressure (password hashing saturated) rather than a failure:
    /// the answer is the same 503, but it is not worth an error log line.
    pub fn is_saturation(&self) -> bool {
        matches!(self, Fault::Crypto(CodecError::Saturated))
    }
}

/// Why an administrative change (a client, a user) was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    /// The name or id is taken: the caller's mistake (a 409 at an HTTP edge), never an
    /// outage.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

/// Lets `?` turn an adapter error into the `Unavailable` variant of a use case's error.
macro_rules! faults_become {
    ($error:ident :: $variant:ident) => {
        impl From<$crate::error::StoreError> for $error {
            fn from(error: $crate::error::StoreError) -> Self {
                $error::$variant($crate::error::Fault::from(error))
            }
        }
        impl From<$crate::error::DenylistError> for $error {
            fn from(error: $crate::error::DenylistError) -> Self {
                $error::$variant($crate::error::Fault::from(error))
            }
        }
        impl From<$crate::error::CodecError> for $error {
            fn from(error: $crate::error::CodecError) -> Self {
                $error::$variant($crate::error::Fault::from(error))
            }
        }
        impl From<$crate::accounts::mail::MailError> for $error {
            fn from(error: $crate::accounts::mail::MailError) -> Self {
                $error::$variant($crate::error::Fault::from(error))
            }
        }
    };
}
pub(crate) use faults_become;

faults_become!(AdminError::Unavailable);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct DriverError;

    #[test]
    fn a_fault_keeps_its_driver_cause_for_the_log() {
        let fault = Fault::from(StoreError::unavailable(DriverError));
        assert_eq!(
            Chain(&fault).to_string(),
            "store unavailable: connection refused"
        );
        let fault = Fault::from(DenylistError::caused_by("redis DENY", DriverError));
        assert_eq!(
            Chain(&fault).to_string(),
            "denylist unavailable: redis DENY: connection refused"
        );
    }
}
