//! The use cases, built once over one shared core. Each context's service is reachable here;
//! the composition root builds a `Services`, the HTTP edge and the CLI call into it.

use std::sync::Arc;

use crate::access_token::AccessTokens;
use crate::accounts::lifecycle::AccountLifecycle;
use crate::accounts::Accounts;
use crate::admin::Admin;
use crate::audit::AuditTrail;
use crate::authorization::Authorizer;
use crate::clients::Clients;
use crate::error::Fault;
use crate::introspection::Introspector;
use crate::issuance::TokenIssuer;
use crate::kernel::{Core, Ports, ServiceConfig};
use crate::revocation::Revoker;
use crate::self_service::SelfService;
use crate::sessions::Sessions;
use crate::userinfo::UserInfo;

/// Every use case of ciam. Cheap to clone: each service is shared.
#[derive(Clone)]
pub struct Services {
    /// Client registration and client authentication (RFC 6749 §2).
    pub clients: Arc<Clients>,
    /// Resource owners: creation and sign-in with its brute-force throttle.
    pub accounts: Arc<Accounts>,
    /// Browser sessions of signed-in users (single sign-on).
    pub sessions: Arc<Sessions>,
    /// Disabling, enabling and deleting users, with the revocation each needs.
    pub lifecycle: Arc<AccountLifecycle>,
    /// The authorization endpoint's rules and codes (RFC 6749 §4.1, RFC 7636).
    pub authorization: Arc<Authorizer>,
    /// Minting and verifying JWT access tokens, and the signing keys (RFC 9068, RFC 7517).
    pub access_tokens: Arc<AccessTokens>,
    /// The token endpoint's grants (RFC 6749 §4, §6).
    pub tokens: Arc<TokenIssuer>,
    /// Revocation (RFC 7009), the denylist's upkeep and pruning of the store.
    pub revocation: Arc<Revoker>,
    /// Introspection (RFC 7662).
    pub introspection: Arc<Introspector>,
    /// Who the bearer of an access token is (OpenID Connect Core §5.3).
    pub userinfo: Arc<UserInfo>,
    /// The admin API: operations on users and clients, by an authorized admin client.
    pub admin: Arc<Admin>,
    /// A user's own account: change or reset their password, update their profile.
    pub self_service: Arc<SelfService>,
    /// The audit trail: reading it, and pruning it past its retention.
    pub audit: Arc<AuditTrail>,
    core: Arc<Core>,
}

impl Services {
    pub fn new(ports: Ports, config: ServiceConfig) -> Services {
        let core = Arc::new(Core { ports, config });
        let access_tokens = Arc::new(AccessTokens::new(Arc::clone(&core)));
        let revocation = Arc::new(Revoker::new(Arc::clone(&core), Arc::clone(&access_tokens)));
        let clients = Arc::new(Clients::new(Arc::clone(&core), Arc::clone(&revocation)));
        let accounts = Arc::new(Accounts::new(Arc::clone(&core)));
        let sessions = Arc::new(Sessions::new(
            Arc::clone(&core),
            Arc::clone(&revocation),
            Arc::clone(&clients),
            Arc::clone(&access_tokens),
        ));
        let lifecycle = Arc::new(AccountLifecycle::new(
            Arc::clone(&core),
            Arc::clone(&sessions),
        ));
        let authorization = Arc::new(Authorizer::new(Arc::clone(&core), Arc::clone(&clients)));
        let tokens = Arc::new(TokenIssuer::new(
            Arc::clone(&core),
            Arc::clone(&access_tokens),
            Arc::clone(&accounts),
            Arc::clone(&revocation),
        ));
        let introspection = Arc::new(Introspector::new(
            Arc::clone(&core),
            Arc::clone(&access_tokens),
            Arc::clone(&revocation),
        ));
        let userinfo = Arc::new(UserInfo::new(
            Arc::clone(&core),
            Arc::clone(&access_tokens),
            Arc::clone(&revocation),
        ));
        let admin = Arc::new(Admin::new(
            Arc::clone(&core),
            Arc::clone(&access_tokens),
            Arc::clone(&revocation),
            Arc::clone(&accounts),
            Arc::clone(&clients),
            Arc::clone(&sessions),
            Arc::clone(&lifecycle),
        ));
        let self_service = Arc::new(SelfService::new(
            Arc::clone(&core),
            Arc::clone(&access_tokens),
            Arc::clone(&revocation),
            Arc::clone(&accounts),
            Arc::clone(&sessions),
            Arc::clone(&clients),
            Arc::clone(&tokens),
        ));
        let audit = Arc::new(AuditTrail::new(Arc::clone(&core)));
        Services {
            audit,
            lifecycle,
            self_service,
            userinfo,
            admin,
            clients,
            accounts,
            sessions,
            authorization,
            access_tokens,
            tokens,
            revocation,
            introspection,
            core,
        }
    }

    /// What a node needs before it answers: a signing key (the first one is created if
    /// the store has none), and the denylist filled from the store. Returns how many
    /// revocations the denylist holds.
    pub fn prepare(&self) -> Result<usize, Fault> {
        self.access_tokens.ensure_signing_key()?;
        self.revocation.reconcile_denylist()
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.core.config
    }

    /// Whether the store and the denylist answer: what `/readyz` reports.
    pub fn readiness(&self) -> Readiness {
        let ports = &self.core.ports;
        Readiness {
            store: ports.store.ping().map_err(|e| e.to_string()),
            denylist: ports.denylist.ping().map_err(|e| e.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub store: Result<(), String>,
    pub denylist: Result<(), String>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.store.is_ok() && self.denylist.is_ok()
    }
}
