//! One entry of the audit trail: who did what, to whom, when, from where, and how it ended.
//! Built by the use case that makes the change; the store writes it in the change's own
//! transaction. Nothing secret ever goes in: no token, code, password or hash, only ids.

use std::net::IpAddr;

use crate::ids::{ClientId, UserId};
use crate::time::UnixTime;

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user, through a token of theirs or the hosted pages.
    User(UserId),
    /// An OAuth client acting for itself (revoking its tokens, exchanging a refresh token).
    Client(ClientId),
    /// An operator through the admin API: the admin client whose token was presented.
    AdminClient(ClientId),
    /// An operator on the server's own command line (`ciam …`).
    Cli,
    /// Someone not (yet) identified: a sign-in attempt, a password reset request.
    Anonymous,
    /// ciam itself, on a rule (for example a refresh token presented twice).
    System,
}

impl Actor {
    /// The actor's kind and id, as stored and shown.
    pub fn parts(&self) -> (&'static str, Option<&str>) {
        match self {
            Actor::User(id) => ("user", Some(id.as_str())),
            Actor::Client(id) => ("client", Some(id.as_str())),
            Actor::AdminClient(id) => ("admin_client", Some(id.as_str())),
            Actor::Cli => ("cli", None),
            Actor::Anonymous => ("anonymous", None),
            Actor::System => ("system", None),
        }
    }

    /// The inverse of [`Actor::parts`]; `None` for a pair no actor has.
    pub fn from_parts(kind: &str, id: Option<&str>) -> Option<Actor> {
        Some(match (kind, id) {
            ("user", Some(id)) => Actor::User(UserId::new(id)),
            ("client", Some(id)) => Actor::Client(ClientId::new(id)),
            ("admin_client", Some(id)) => Actor::AdminClient(ClientId::new(id)),
            ("cli", None) => Actor::Cli,
            ("anonymous", None) => Actor::Anonymous,
            ("system", None) => Actor::System,
            _ => return None,
        })
    }
}

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What was done. The names are stable: operators filter on them, and on their
        /// family (the part before the dot, `revoke` for every revocation).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)*
        }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)*
                }
            }

            pub fn parse(name: &str) -> Option<AuditAction> {
                match name {
                    $($name => Some(AuditAction::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    /// An access token revoked (RFC 7009); `target` is its `jti`.
    RevokeAccessToken => "revoke.access_token",
    /// A grant revoked (a refresh token revoked, reused, or a grant revoked by an
    /// operator); `target` is the grant id.
    RevokeGrant => "revoke.grant",
    /// A revocation refused: the token belongs to another client (RFC 7009 §2.1).
    RevokeRefused => "revoke.refused",
    /// Everything of a user revoked (a cut-off): `user` is whose.
    RevokeEverythingOfUser => "revoke.user",
    /// Everything of a client revoked (a cut-off): `client` is whose.
    RevokeEverythingOfClient => "revoke.client",
    /// A browser session ended (logout, or an operator); `target` is its `sid`.
    SessionEnded => "session.ended",
    /// A user proved their password (hosted login page or password grant).
    SignInSucceeded => "sign_in.succeeded",
    /// A sign-in refused: wrong credentials, disabled, or throttled (`reason`).
    SignInFailed => "sign_in.failed",
    /// A user changed their password.
    PasswordChanged => "password.changed",
    /// A password reset code was issued and mailed.
    PasswordResetRequested => "password.reset_requested",
    /// A password was set with a reset code.
    PasswordReset => "password.reset",
    UserCreated => "user.created",
    /// A user's profile changed; `target` names the fields.
    UserUpdated => "user.updated",
    UserDisabled => "user.disabled",
    UserEnabled => "user.enabled",
    UserDeleted => "user.deleted",
    ClientCreated => "client.created",
    /// A client's registration changed; `target` names what.
    ClientUpdated => "client.updated",
    ClientSecretRotated => "client.secret_rotated",
    ClientDeleted => "client.deleted",
    /// A new signing key became current; `target` is its `kid`.
    KeyRotated => "key.rotated",
}

impl AuditAction {
    /// Whether this action is `filter` or of the family `filter` (`revoke` matches
    /// `revoke.grant`).
    pub fn matches(self, filter: &str) -> bool {
        let name = self.as_str();
        name == filter
            || name
                .strip_prefix(filter)
                .is_some_and(|rest| rest.starts_with('.'))
    }
}

/// How the action ended. Only refusals are recorded as failures: a change that could not be
/// made durable left nothing to record (its transaction, entry included, rolled back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Refused, with a short reason code chosen by the domain (never input).
    Failure(String),
}

/// One audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: UnixTime,
    pub actor: Actor,
    pub action: AuditAction,
    /// The user the action concerns, if any.
    pub user_id: Option<UserId>,
    /// The client the action concerns, if any.
    pub client_id: Option<ClientId>,
    /// What else it acted on: a `jti`, a grant id, a `sid`, a `kid`, changed field names.
    pub target: Option<String>,
    /// The address the request came from (the TCP peer), when it came over HTTP.
    pub address: Option<IpAddr>,
    pub outcome: Outcome,
}

impl AuditEvent {
    pub fn new(at: UnixTime, actor: Actor, action: AuditAction) -> AuditEvent {
        AuditEvent {
            at,
            actor,
            action,
            user_id: None,
            client_id: None,
            target: None,
            address: None,
            outcome: Outcome::Success,
        }
    }

    pub fn user(mut self, user: &UserId) -> AuditEvent {
        self.user_id = Some(user.clone());
        self
    }

    pub fn client(mut self, client: &ClientId) -> AuditEvent {
        self.client_id = Some(client.clone());
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> AuditEvent {
        self.target = Some(target.into());
        self
    }

    pub fn from_address(mut self, address: Option<IpAddr>) -> AuditEvent {
        self.address = address;
        self
    }

    pub fn failed(mut self, reason: &'static str) -> AuditEvent {
        self.outcome = Outcome::Failure(reason.to_owned());
        self
    }
}

/// Who asks for a change, and from where: what its audit entry will say. Use cases that
/// several callers reach (an operator's CLI, the admin API, the user themselves) take one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Initiator {
    pub actor: Actor,
    /// The TCP peer of the request, when it came over HTTP.
    pub address: Option<IpAddr>,
}

impl Initiator {
    pub fn new(actor: Actor, address: Option<IpAddr>) -> Initiator {
        Initiator { actor, address }
    }

    /// An operator at the server's command line.
    pub fn cli() -> Initiator {
        Initiator::new(Actor::Cli, None)
    }

    /// ciam itself.
    pub fn system() -> Initiator {
        Initiator::new(Actor::System, None)
    }

    /// An entry of `action` by this initiator, at `at`.
    pub fn event(&self, at: UnixTime, action: AuditAction) -> AuditEvent {
        AuditEvent::new(at, self.actor.clone(), action).from_address(self.address)
    }
}

/// An entry as read back: its place in the trail and the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Increasing in the order entries were written; the paging key.
    pub seq: i64,
    pub event: AuditEvent,
}
