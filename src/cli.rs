//! The command line. This interface is relied on outside the project: keep it stable.

use std::path::PathBuf;

use ciam_domain::SigningAlg;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "ciam",
    version,
    about = "Customer identity token service: OAuth 2.0 tokens with revocation that reaches resource servers"
)]
pub struct Cli {
    /// Configuration file (TOML). Default: ciam.toml in the working directory, if present.
    /// Environment variables (CIAM_*) override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server (migrates the store and creates a signing key if needed). A SQLite
    /// file is served by one process at a time; several nodes need Postgres.
    Serve,
    /// Apply pending database migrations and exit (on Postgres, one process at a time).
    Migrate,
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage resource owners (users).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Revoke everything of a user (sign them out everywhere) or of a client (every token
    /// issued to it): a not-before cut-off refuses every access token issued until now,
    /// with or without a refresh token, and every grant, code and session ends.
    Revoke(RevokeArgs),
    /// Read the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// List audit entries, oldest first, a page at a time. Prints {"entries": […], "next":
    /// …}: pass `next` as --after for the following page; it is null on the last one.
    List(AuditListArgs),
}

#[derive(Args, Debug)]
pub struct AuditListArgs {
    /// Entries at or after this time: Unix seconds, or a duration ago (90s, 15m, 24h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Entries before this time, as for --since.
    #[arg(long)]
    pub until: Option<String>,
    /// Entries about this user id, or made by them.
    #[arg(long, value_name = "USER_ID")]
    pub user: Option<String>,
    /// Entries about this client_id, or made by it.
    #[arg(long, value_name = "CLIENT_ID")]
    pub client: Option<String>,
    /// An action (revoke.grant) or a family of them (revoke).
    #[arg(long)]
    pub kind: Option<String>,
    /// The `next` of the previous page.
    #[arg(long)]
    pub after: Option<i64>,
    /// Entries per page, 1 to 1000 (default 100).
    #[arg(long)]
    pub limit: Option<usize>,
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct RevokeArgs {
    /// The user's id (the `sub` of their tokens).
    #[arg(long, value_name = "USER_ID")]
    pub user: Option<String>,
    /// The user's username.
    #[arg(long, value_name = "USERNAME")]
    pub username: Option<String>,
    /// The client's client_id.
    #[arg(long, value_name = "CLIENT_ID")]
    pub client: Option<String>,
}

impl Command {
    pub fn is_server(&self) -> bool {
        matches!(self, Command::Serve)
    }
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client. Prints its client_id and, for confidential clients, its
    /// client_secret: shown this once, stored only as a hash.
    Create(CreateClient),
    /// List clients (never their secrets).
    List,
    /// Show one client.
    Show {
        /// The client_id.
        client_id: String,
    },
    /// Delete a client and revoke every grant it holds.
    Delete {
        /// The client_id.
        client_id: String,
    },
    /// Replace a client's redirect URIs (checked as at creation). Servers see the change
    /// within CIAM_CLIENT_CACHE_TTL seconds.
    Update(UpdateClient),
    /// Give a confidential client a new client_secret, printed this once and stored only
    /// as a hash. The old secret stops working on each server within CIAM_CLIENT_CACHE_TTL
    /// seconds; tokens already issued stay valid (`ciam revoke --client` ends them).
    RotateSecret {
        /// The client_id.
        client_id: String,
    },
}

#[derive(Args, Debug)]
pub struct UpdateClient {
    /// The client_id.
    pub client_id: String,
    /// The new redirect URIs, replacing all the old ones; repeat for several.
    #[arg(long = "redirect-uri", required_unless_present = "no_redirect_uris")]
    pub redirect_uris: Vec<String>,
    /// Remove every redirect URI (not for an authorization_code client).
    #[arg(long, conflicts_with = "redirect_uris")]
    pub no_redirect_uris: bool,
}

#[derive(Args, Debug)]
pub struct CreateClient {
    /// A name for people.
    #[arg(long)]
    pub name: String,
    /// A grant type the client may use; repeat for several.
    #[arg(long = "grant-type", value_enum, required = true)]
    pub grant_types: Vec<GrantTypeArg>,
    /// The scopes the client may request, space-delimited.
    #[arg(long, default_value = "")]
    pub scope: String,
    /// A public client (no secret): SPAs and mobile apps.
    #[arg(long)]
    pub public: bool,
    /// Where the browser returns after sign-in (authorization_code); repeat for several.
    /// Matched exactly: https, http on 127.0.0.1/[::1]/localhost, or a private-use scheme.
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Where the browser may return after logout; repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are posted (OpenID Connect Back-Channel Logout).
    #[arg(long = "backchannel-logout-uri")]
    pub backchannel_logout_uri: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
#[value(rename_all = "snake_case")]
pub enum GrantTypeArg {
    AuthorizationCode,
    ClientCredentials,
    Password,
    RefreshToken,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input, never from arguments.
    Create {
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The user's email address (the `email` claim; unverified).
        #[arg(long)]
        email: Option<String>,
        /// The user's full name (the `name` claim).
        #[arg(long)]
        name: Option<String>,
    },
    /// Show one user (never their password hash).
    Show(UserTarget),
    /// List users a page at a time, in id order. Prints {"users": […], "next": …}: pass
    /// `next` as --after for the following page; it is null on the last one.
    List {
        /// Users per page, 1 to 200.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// The `next` of the previous page.
        #[arg(long, value_name = "USER_ID")]
        after: Option<String>,
        /// Only users whose username starts with this (case-sensitive).
        #[arg(long, value_name = "PREFIX")]
        search: Option<String>,
    },
    /// Disable a user: they cannot sign in, and everything of theirs is revoked (as by
    /// `ciam revoke --user`).
    Disable(UserTarget),
    /// Enable a disabled user: they can sign in again (what was revoked stays revoked).
    Enable(UserTarget),
    /// Revoke everything of a user, then delete them: their username is free again.
    Delete(UserTarget),
    /// List a user's live browser sessions a page at a time, in id order. Prints
    /// {"sessions": […], "next": …}: pass `next` as --after for the following page.
    Sessions {
        #[command(flatten)]
        target: UserTarget,
        #[command(flatten)]
        page: PageArgs,
    },
    /// List a user's live refresh-token grants a page at a time, in id order. Prints
    /// {"grants": […], "next": …}. Never a token or a hash.
    Grants {
        #[command(flatten)]
        target: UserTarget,
        #[command(flatten)]
        page: PageArgs,
    },
    /// End one session of a user, as logout does: the grants born in it are revoked and
    /// their clients sent logout tokens.
    EndSession {
        #[command(flatten)]
        target: UserTarget,
        /// The session's id (its `sid`), as `ciam user sessions` lists it.
        #[arg(long = "session", value_name = "SESSION_ID")]
        session_id: String,
    },
    /// Revoke one grant of a user, as revoking its refresh token does (RFC 7009): its
    /// refresh tokens and access tokens end.
    RevokeGrant {
        #[command(flatten)]
        target: UserTarget,
        /// The grant's id, as `ciam user grants` lists it.
        #[arg(long = "grant", value_name = "GRANT_ID")]
        grant_id: String,
    },
}

/// A page of a user's sessions or grants.
#[derive(Args, Debug)]
pub struct PageArgs {
    /// Items per page, 1 to 1000.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// The `next` of the previous page.
    #[arg(long, value_name = "ID")]
    pub after: Option<String>,
}

/// Which user: by id, or by username.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct UserTarget {
    /// The user's id (the `sub` of their tokens).
    #[arg(value_name = "USER_ID")]
    pub id: Option<String>,
    /// The user's username.
    #[arg(long, value_name = "USERNAME")]
    pub username: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// List signing keys (public parts only) with their algorithms.
    List,
    /// Add a new signing key; the others of its algorithm retire and stay published until
    /// their tokens expire. Keys of the other algorithm keep signing.
    Rotate {
        /// The algorithm of the new key: EdDSA or RS256. Default: the access tokens'
        /// (CIAM_ACCESS_TOKEN_ALG).
        #[arg(long, value_name = "ALG")]
        alg: Option<SigningAlg>,
    },
}
