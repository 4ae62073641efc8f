//! Every path the server answers, defined once: the router and the discovery document read
//! these, so an endpoint cannot be advertised at one path and served at another.

/// The scope of the OAuth endpoints.
pub const OAUTH_SCOPE: &str = "/oauth2";

/// An OAuth endpoint: its path inside [`OAUTH_SCOPE`] (for the router) and its full path
/// (for the discovery document).
pub struct Route {
    pub in_scope: &'static str,
    pub path: &'static str,
}

pub const TOKEN: Route = Route {
    in_scope: "/token",
    path: "/oauth2/token",
};
pub const REVOKE: Route = Route {
    in_scope: "/revoke",
    path: "/oauth2/revoke",
};
pub const INTROSPECT: Route = Route {
    in_scope: "/introspect",
    path: "/oauth2/introspect",
};
pub const AUTHORIZE: Route = Route {
    in_scope: "/authorize",
    path: "/oauth2/authorize",
};
/// Where the hosted login page posts.
pub const LOGIN: Route = Route {
    in_scope: "/login",
    path: "/oauth2/login",
};
/// The hosted pages' stylesheet.
pub const LOGIN_CSS: Route = Route {
    in_scope: "/login.css",
    path: "/oauth2/login.css",
};
/// The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0).
pub const LOGOUT: Route = Route {
    in_scope: "/logout",
    path: "/oauth2/logout",
};
pub const USERINFO: Route = Route {
    in_scope: "/userinfo",
    path: "/oauth2/userinfo",
};
/// A user changes their password (docs/accounts.md). No discovery field names it.
pub const PASSWORD: Route = Route {
    in_scope: "/password",
    path: "/oauth2/password",
};
/// A user asks for a password reset code by mail.
pub const PASSWORD_RESET: Route = Route {
    in_scope: "/password/reset",
    path: "/oauth2/password/reset",
};
/// A user sets a new password with the mailed code.
pub const PASSWORD_RESET_CONFIRM: Route = Route {
    in_scope: "/password/reset/confirm",
    path: "/oauth2/password/reset/confirm",
};
pub const JWKS: Route = Route {
    in_scope: "/jwks",
    path: "/oauth2/jwks",
};

/// The scope of the admin API (docs/admin-api.md): its version is in the path.
pub const ADMIN_API: &str = "/admin/v1";

/// An admin client reads a user's profile.
pub const ADMIN_USER: Route = Route {
    in_scope: "/users/{user_id}",
    path: "/admin/v1/users/{user_id}",
};
/// An admin client creates users and lists them.
pub const ADMIN_USERS: Route = Route {
    in_scope: "/users",
    path: "/admin/v1/users",
};
/// An admin client disables a user.
pub const ADMIN_DISABLE_USER: Route = Route {
    in_scope: "/users/{user_id}/disable",
    path: "/admin/v1/users/{user_id}/disable",
};
/// An admin client enables a disabled user.
pub const ADMIN_ENABLE_USER: Route = Route {
    in_scope: "/users/{user_id}/enable",
    path: "/admin/v1/users/{user_id}/enable",
};
/// An admin client revokes everything of a user.
pub const ADMIN_REVOKE_USER: Route = Route {
    in_scope: "/users/{user_id}/revoke",
    path: "/admin/v1/users/{user_id}/revoke",
};
/// An admin client lists a user's live sessions.
pub const ADMIN_USER_SESSIONS: Route = Route {
    in_scope: "/users/{user_id}/sessions",
    path: "/admin/v1/users/{user_id}/sessions",
};
/// An admin client ends one session of a user.
pub const ADMIN_USER_SESSION: Route = Route {
    in_scope: "/users/{user_id}/sessions/{session_id}",
    path: "/admin/v1/users/{user_id}/sessions/{session_id}",
};
/// An admin client lists a user's live refresh-token grants.
pub const ADMIN_USER_GRANTS: Route = Route {
    in_scope: "/users/{user_id}/grants",
    path: "/admin/v1/users/{user_id}/grants",
};
/// An admin client revokes one grant of a user.
pub const ADMIN_USER_GRANT: Route = Route {
    in_scope: "/users/{user_id}/grants/{grant_id}",
    path: "/admin/v1/users/{user_id}/grants/{grant_id}",
};
/// An admin client revokes everything of a client.
pub const ADMIN_REVOKE_CLIENT: Route = Route {
    in_scope: "/clients/{client_id}/revoke",
    path: "/admin/v1/clients/{client_id}/revoke",
};

/// An admin client reads the audit trail.
pub const ADMIN_AUDIT: Route = Route {
    in_scope: "/audit",
    path: "/admin/v1/audit",
};
/// An admin client reads, changes or deletes a client.
pub const ADMIN_CLIENT: Route = Route {
    in_scope: "/clients/{client_id}",
    path: "/admin/v1/clients/{client_id}",
};
/// An admin client registers clients and lists them.
pub const ADMIN_CLIENTS: Route = Route {
    in_scope: "/clients",
    path: "/admin/v1/clients",
};
/// An admin client gives a confidential client a new secret.
pub const ADMIN_CLIENT_SECRET: Route = Route {
    in_scope: "/clients/{client_id}/secret",
    path: "/admin/v1/clients/{client_id}/secret",
};
/// An admin client rotates the signing key.
pub const ADMIN_ROTATE_KEYS: Route = Route {
    in_scope: "/keys/rotate",
    path: "/admin/v1/keys/rotate",
};

/// OpenID Connect Discovery 1.0 §4 and RFC 8414 §3: the same metadata at both.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
pub const OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";

/// The OpenAPI 3.1 document of every endpoint here (`crate::openapi`).
pub const OPENAPI: &str = "/openapi.json";

pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";

/// Prometheus metrics (docs/operations.md): here, or on `CIAM_METRICS_LISTEN` alone.
pub const METRICS: &str = "/metrics";

/// Every route pattern the router matches: the only values of the `route` label of the
/// request metrics (`crate::metrics`), so its cardinality is bounded by this list.
pub const PATTERNS: &[&str] = &[
    TOKEN.path,
    REVOKE.path,
    INTROSPECT.path,
    AUTHORIZE.path,
    LOGIN.path,
    LOGIN_CSS.path,
    LOGOUT.path,
    USERINFO.path,
    PASSWORD.path,
    PASSWORD_RESET.path,
    PASSWORD_RESET_CONFIRM.path,
    JWKS.path,
    ADMIN_USER.path,
    ADMIN_USERS.path,
    ADMIN_DISABLE_USER.path,
    ADMIN_ENABLE_USER.path,
    ADMIN_REVOKE_USER.path,
    ADMIN_USER_SESSIONS.path,
    ADMIN_USER_SESSION.path,
    ADMIN_USER_GRANTS.path,
    ADMIN_USER_GRANT.path,
    ADMIN_REVOKE_CLIENT.path,
    ADMIN_AUDIT.path,
    ADMIN_CLIENT.path,
    ADMIN_CLIENTS.path,
    ADMIN_CLIENT_SECRET.path,
    ADMIN_ROTATE_KEYS.path,
    OPENID_CONFIGURATION,
    OAUTH_AUTHORIZATION_SERVER,
    OPENAPI,
    HEALTHZ,
    READYZ,
    METRICS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_paths_are_the_scope_and_the_path_in_it() {
        for route in [
            TOKEN,
            REVOKE,
            INTROSPECT,
            AUTHORIZE,
            LOGIN,
            LOGIN_CSS,
            LOGOUT,
            USERINFO,
            JWKS,
            PASSWORD,
            PASSWORD_RESET,
            PASSWORD_RESET_CONFIRM,
        ] {
            assert_eq!(format!("{OAUTH_SCOPE}{}", route.in_scope), route.path);
        }
        for route in [
            ADMIN_USER,
            ADMIN_USERS,
            ADMIN_DISABLE_USER,
            ADMIN_ENABLE_USER,
            ADMIN_REVOKE_USER,
            ADMIN_REVOKE_CLIENT,
            ADMIN_AUDIT,
            ADMIN_CLIENT,
            ADMIN_CLIENTS,
            ADMIN_CLIENT_SECRET,
            ADMIN_ROTATE_KEYS,
            ADMIN_USER_SESSIONS,
            ADMIN_USER_SESSION,
            ADMIN_USER_GRANTS,
            ADMIN_USER_GRANT,
        ] {
            assert_eq!(format!("{ADMIN_API}{}", route.in_scope), route.path);
        }
    }
}
