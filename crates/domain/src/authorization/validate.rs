//! Checking an authorization request. First who it is for (the client and its redirect URI):
//! until both are trusted, errors are shown to the user and never redirected, so ciam cannot
//! be used as an open redirector (RFC 6749 §4.1.2.1, RFC 9700 §4.11). Then the rest, whose
//! errors go back to the client.

use super::model::{AuthorizationParams, AuthorizationRequest, Prompt};
use super::{pkce, Authorizer};
use crate::client::{Client, GrantType};
use crate::error::Fault;
use crate::scope::Scope;

/// Longest `state`, `nonce` and `login_hint` accepted: enough for any real use, small
/// enough that a code row stays small.
const MAX_STATE_LEN: usize = 1024;
const MAX_NONCE_LEN: usize = 512;
const MAX_HINT_LEN: usize = 200;

/// A request whose client or redirect URI cannot be trusted: answered with a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UntrustedRequest {
    #[error("The request does not say which application it is for (client_id).")]
    MissingClientId,
    #[error("The application is not registered.")]
    UnknownClient,
    #[error("The request does not say where to return to (redirect_uri).")]
    MissingRedirectUri,
    #[error("The return address is not one the application registered.")]
    UnregisteredRedirectUri,
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

/// An error the client learns at its redirect URI (RFC 6749 §4.1.2.1, OpenID Connect Core
/// §3.1.2.6), with the request's `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeError {
    pub code: &'static str,
    pub description: &'static str,
    pub redirect_uri: String,
    pub state: Option<String>,
}

/// Why a request was refused: to the user, or back to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Untrusted(UntrustedRequest),
    ToClient(AuthorizeError),
}

impl Authorizer {
    /// Checks a request completely: who it is for, then what it asks.
    pub fn check(&self, params: &AuthorizationParams) -> Result<AuthorizationRequest, Refusal> {
        let (client, redirect_uri) = self.trusted(params).map_err(Refusal::Untrusted)?;
        // RFC 6749 §4.1.2.1: a state too long or malformed to send back is dropped.
        let state = params
            .state
            .clone()
            .filter(|state| is_text(state, MAX_STATE_LEN));
        let refuse = |code, description| {
            Refusal::ToClient(AuthorizeError {
                code,
                description,
                redirect_uri: redirect_uri.clone(),
                state: state.clone(),
            })
        };
        request_details(client, &redirect_uri, params, state.clone())
            .map_err(|(code, description)| refuse(code, description))
    }

    fn trusted(&self, params: &AuthorizationParams) -> Result<(Client, String), UntrustedRequest> {
        let client_id = params
            .client_id
            .as_deref()
            .ok_or(UntrustedRequest::MissingClientId)?;
        let client = self
            .clients
            .find(client_id)?
            .ok_or(UntrustedRequest::UnknownClient)?;
        // OpenID Connect Core §3.1.2.1: redirect_uri is REQUIRED, and exactly matched.
        let redirect_uri = params
            .redirect_uri
            .as_deref()
            .ok_or(UntrustedRequest::MissingRedirectUri)?;
        if !client.redirects_to(redirect_uri) {
            return Err(UntrustedRequest::UnregisteredRedirectUri);
        }
        Ok((Client::clone(&client), redirect_uri.to_owned()))
    }
}

type Problem = (&'static str, &'static str);

fn request_details(
    client: Client,
    redirect_uri: &str,
    params: &AuthorizationParams,
    state: Option<String>,
) -> Result<AuthorizationRequest, Problem> {
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err(("invalid_request", "response_type is required")),
        Some(_) => {
            return Err((
                "unsupported_response_type",
                "only response_type=code is supported",
            ))
        }
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err((
            "unauthorized_client",
            "the client may not use the authorization code grant",
        ));
    }
    if params.state.is_some() && state.is_none() {
        return Err(("invalid_request", "state is too long or not printable"));
    }
    let requested = params
        .scope
        .as_deref()
        .map(Scope::parse)
        .transpose()
        .map_err(|_| ("invalid_scope", "scope is malformed"))?;
    let scope = Scope::grant(requested.as_ref(), &client.scope)
        .map_err(|_| ("invalid_scope", "scope is beyond what the client may ask"))?;
    let code_challenge = code_challenge(&client, params)?;
    let nonce = optional_text(params.nonce.as_deref(), MAX_NONCE_LEN, "nonce")?;
    let login_hint = optional_text(params.login_hint.as_deref(), MAX_HINT_LEN, "login_hint")?;
    Ok(AuthorizationRequest {
        client,
        redirect_uri: redirect_uri.to_owned(),
        scope,
        state,
        nonce,
        code_challenge,
        prompt: prompt(params.prompt.as_deref())?,
        max_age: max_age(params.max_age.as_deref())?,
        login_hint,
    })
}

/// RFC 7636 §4.3, RFC 9700 §2.1.1: S256 only; required of public clients; a confidential
/// client that sends one is held to it.
fn code_challenge(
    client: &Client,
    params: &AuthorizationParams,
) -> Result<Option<String>, Problem> {
    let challenge = params.code_challenge.as_deref();
    match (challenge, params.code_challenge_method.as_deref()) {
        (None, None) if client.is_public() => Err((
            "invalid_request",
            "a public client must send a PKCE code_challenge (S256)",
        )),
        (None, None) => Ok(None),
        (None, Some(_)) => Err(("invalid_request", "code_challenge is missing")),
        // RFC 7636 §4.3: the method defaults to `plain`, which is refused.
        (Some(_), None | Some("plain")) => Err((
            "invalid_request",
            "code_challenge_method must be S256 (plain is not supported)",
        )),
        (Some(challenge), Some("S256")) if pkce::is_challenge(challenge) => {
            Ok(Some(challenge.to_owned()))
        }
        (Some(_), Some("S256")) => Err(("invalid_request", "code_challenge is malformed")),
        (Some(_), Some(_)) => Err(("invalid_request", "code_challenge_method must be S256")),
    }
}

/// `none` and `login`; `consent` asks for nothing ciam would otherwise skip (no consent
/// screen for first-party clients), so it is accepted. `none` with anything else is an error
/// (OpenID Connect Core §3.1.2.1); `select_account` cannot be honoured.
fn prompt(value: Option<&str>) -> Result<Prompt, Problem> {
    let Some(value) = value else {
        return Ok(Prompt::Default);
    };
    let values: Vec<&str> = value.split(' ').filter(|v| !v.is_empty()).collect();
    if values.contains(&"none") {
        return if values.len() == 1 {
            Ok(Prompt::None)
        } else {
            Err(("invalid_request", "prompt=none cannot be combined"))
        };
    }
    let mut prompt = Prompt::Default;
    for value in values {
        match value {
            "login" => prompt = Prompt::Login,
            "consent" => {}
            "select_account" => {
                return Err(("account_selection_required", "one account per browser"))
            }
            _ => return Err(("invalid_request", "unknown prompt value")),
        }
    }
    Ok(prompt)
}

fn max_age(value: Option<&str>) -> Result<Option<i64>, Problem> {
    value
        .map(|v| {
            v.parse::<u32>()
                .map(i64::from)
                .map_err(|_| ("invalid_request", "max_age must be a number of seconds"))
        })
        .transpose()
}

fn optional_text(
    value: Option<&str>,
    max: usize,
    name: &'static str,
) -> Result<Option<String>, Problem> {
    match value {
        None => Ok(None),
        Some(value) if is_text(value, max) => Ok(Some(value.to_owned())),
        Some(_) => Err((
            "invalid_request",
            match name {
                "nonce" => "nonce is too long or not printable",
                _ => "login_hint is too long or not printable",
            },
        )),
    }
}

/// Printable, within `max` bytes: safe to store, to echo in a URL and to show.
fn is_text(value: &str, max: usize) -> bool {
    value.len() <= max && !value.chars().any(char::is_control)
}
