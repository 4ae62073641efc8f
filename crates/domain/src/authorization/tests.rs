//! The authorization code flow on fakes: which requests are trusted, single sign-on, and
//! the exchange of codes (single use, bound to client, redirect URI and PKCE verifier).

use std::sync::atomic::{AtomicUsize, Ordering};

use super::model::AuthorizationParams;
use super::{Decision, Refusal, UntrustedRequest};
use crate::client::{Client, GrantType, Redirects};
use crate::clients::NewClient;
use crate::issuance::{GrantRequest, IssuedTokens, TokenError};
use crate::scope::Scope;
use crate::secret::Secret;
use crate::sessions::model::Session;
use crate::testing::Harness;

const REDIRECT: &str = "https://app.example/callback";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn web_client(h: &Harness, public: bool) -> Client {
    h.services
        .clients
        .create_client(NewClient {
            name: "web".into(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            scope: Scope::parse("openid profile read").expect("scope"),
            public,
            redirects: Redirects {
                redirect_uris: vec![REDIRECT.into()],
                ..Redirects::default()
            },
        })
        .expect("client")
        .0
}

fn params(client: &Client) -> AuthorizationParams {
    AuthorizationParams {
        response_type: Some("code".into()),
        client_id: Some(client.id.to_string()),
        redirect_uri: Some(REDIRECT.into()),
        scope: Some("openid read".into()),
        state: Some("xyz".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        ..AuthorizationParams::default()
    }
}

/// A new session of a new user.
fn session(h: &Harness) -> Session {
    static USERS: AtomicUsize = AtomicUsize::new(0);
    let user = h.user(&format!("user{}", USERS.fetch_add(1, Ordering::Relaxed)));
    h.services.sessions.start(&user, None).expect("session").1
}

/// A code for `params`, answered by a new session.
fn code(h: &Harness, params: &AuthorizationParams) -> Secret {
    let request = h.services.authorization.check(params).expect("trusted");
    h.services
        .authorization
        .issue_code(&request, &session(h))
        .expect("code")
}

fn exchange(
    h: &Harness,
    client: &Client,
    code: &Secret,
    verifier: Option<&str>,
) -> Result<IssuedTokens, TokenError> {
    h.services.tokens.issue(
        client,
        GrantRequest::AuthorizationCode {
            code: code.clone(),
            redirect_uri: Some(REDIRECT.into()),
            code_verifier: verifier.map(Secret::new),
        },
    )
}

#[test]
fn an_unknown_client_or_unregistered_redirect_is_never_redirected_to() {
    let h = Harness::new(|_| {});
    let client = web_client(&h, false);
    let untrusted = |params: AuthorizationParams| match h.services.authorization.check(&params) {
        Err(Refusal::Untrusted(why)) => why,
        other => panic!("expected an untrusted request, got {other:?}"),
    };
    let mut p = params(&client);
    p.client_id = Some("nobody".into());
    assert_eq!(untrusted(p), UntrustedRequest::UnknownClient);
    for uri in [
        "https://evil.example/callback",
        "https://app.example/callback/",
        "https://app.example/callback?x=1",
    ] {
        let mut p = params(&client);
        p.redirect_uri = Some(uri.into());
        assert_eq!(untrusted(p), UntrustedRequest::UnregisteredRedirectUri);
    }
    let mut p = params(&client);
    p.redirect_uri = None;
    assert_eq!(untrusted(p), UntrustedRequest::MissingRedirectUri);
}

#[test]
fn errors_about_a_trusted_request_go_back_with_its_state() {
    let h = Harness::new(|_| {});
    let client = web_client(&h, true);
    let to_client = |params: AuthorizationParams| match h.services.authorization.check(&params) {
        Err(Refusal::ToClient(error)) => {
            assert_eq!(error.redirect_uri, REDIRECT);
            assert_eq!(error.state.as_deref(), Some("xyz"));
            error.code
        }
        other => panic!("expected an error for the client, got {other:?}"),
    };
    let mut p = params(&client);
    p.response_type = Some("token".into());
    assert_eq!(to_client(p), "unsupported_response_type");
    let mut p = params(&client);
    p.code_challenge_method = Some("plain".into());
    assert_eq!(to_client(p), "invalid_request");
    let mut p = params(&client);
    p.code_challenge = None;
    p.code_challenge_method = None;
    assert_eq!(
        to_client(p),
        "invalid_request",
        "PKCE is required of public clients"
    );
    let mut p = params(&client);
    p.scope = Some("admin".into());
    assert_eq!(to_client(p), "invalid_scope");
    let mut p = params(&client);
    p.prompt = Some("none login".into());
    assert_eq!(to_client(p), "invalid_request");
}

#[test]
fn a_live_session_answers_unless_a_fresh_login_is_asked() {
    let h = Harness::new(|_| {});
    let client = web_client(&h, false);
    let session = session(&h);
    let decide = |params: &AuthorizationParams, session: Option<Session>| {
        let request = h.services.authorization.check(params).expect("trusted");
        h.services.authorization.decide(&request, session)
    };
    let p = params(&client);
    assert!(matches!(
        decide(&p, Some(session.clone())),
        Decision::UseSession(_)
    ));
    assert!(matches!(decide(&p, None), Decision::SignIn));
    let mut login = params(&client);
    login.prompt = Some("login".into());
    assert!(matches!(
        decide(&login, Some(session.clone())),
        Decision::SignIn
    ));
    let mut none = params(&client);
    none.prompt = Some("none".into());
    assert!(matches!(decide(&none, None), Decision::LoginRequired));
    assert!(matches!(
        decide(&none, Some(session.clone())),
        Decision::UseSession(_)
    ));
    let mut max_age = params(&client);
    max_age.max_age = Some("60".into());
    h.advance(61);
    assert!(matches!(decide(&max_age, Some(session)), Decision::SignIn));
}

#[test]
fn a_code_is_exchanged_once_with_its_verifier() {
    let h = Harness::new(|_| {});
    let client = web_client(&h, false);
    let code = code(&h, &params(&client));
    let tokens = exchange(&h, &client, &code, Some(VERIFIER)).expect("exchanged");
    assert!(tokens.refresh_token.is_some());
    assert_eq!(tokens.scope.to_string(), "openid read");
    assert!(tokens.id_token.is_some(), "openid was granted: an ID token");
    let mut without_openid = params(&client);
    without_openid.scope = Some("read".into());
    let code_without = self::code(&h, &without_openid);
    let plain = exchange(&h, &client, &code_without, Some(VERIFIER)).expect("exchanged");
    assert_eq!(plain.id_token, None);
    let introspected = h
        .services
        .introspection
        .introspect(&client, &tokens.access_token, None)
        .expect("up");
    assert!(matches!(introspected, crate::Introspection::Access(_)));
}

#[test]
fn a_replayed_code_fails_and_revokes_what_it_was_exchanged_for() {
    let h = Harness::new(|_| {});
    let client = web_client(&h, false);
    let code = code(&h, &params(&client));
    let tokens = exchange(&h, &client, &code, Some(VERIFIER)).expect("exchanged");
    assert_eq!(
        exchange(&h, &client, &code, Some(VERIFIER)).err(),
        Some(TokenError::InvalidGrant)
    );
    let introspected = h
        .services
        .introspection
        .introspect(&client, &tokens.access_token, None)
        .expect("up");
    assert_eq!(
        introspected,
        crate::Introspection::Inactive,
        "RFC 6749 §4.1.2"
    );
    let refresh = tokens.refresh_token.expect("refresh token");
    let refreshed = h.services.tokens.issue(
        &client,
        GrantRequest::RefreshToken {
            refresh_token: refresh,
            scope: None,
        },
    );
    assert_eq!(refreshed.err(), Some(TokenError::InvalidGrant));
}

#[test]
fn a_wrong_verifier_client_redirect_or_an_expired_code_is_invalid_grant() {
    let h = Harness::new(|_| {});
    let client = web_client(&h, false);
    let other = web_client(&h, false);
    let code = code(&h, &params(&client));
    let wrong_verifier = VERIFIER.replace('d', "e");
    assert_eq!(
        exchange(&h, &client, &code, Some(&wrong_verifier)).err(),
        Some(TokenError::InvalidGrant)
    );
    assert_eq!(
        exchange(&h, &client, &code, None).err(),
        Some(TokenError::InvalidGrant)
    );
    assert_eq!(
        exchange(&h, &other, &code, Some(VERIFIER)).err(),
        Some(TokenError::InvalidGrant)
    );
    let wrong_redirect = h.services.tokens.issue(
        &client,
        GrantRequest::AuthorizationCode {
            code: code.clone(),
            redirect_uri: Some("https://app.example/other".into()),
            code_verifier: Some(Secret::new(VERIFIER)),
        },
    );
    assert_eq!(wrong_redirect.err(), Some(TokenError::InvalidGrant));
    // None of those used the code up: the right request still works, within the minute.
    h.advance(59);
    assert!(exchange(&h, &client, &code, Some(VERIFIER)).is_ok());

    let late = self::code(&h, &params(&client));
    h.advance(60);
    assert_eq!(
        exchange(&h, &client, &late, Some(VERIFIER)).err(),
        Some(TokenError::InvalidGrant)
    );
}

#[test]
fn a_verifier_for_a_code_without_challenge_is_refused() {
    let h = Harness::new(|_| {});
    let client = web_client(&h, false);
    let mut p = params(&client);
    p.code_challenge = None;
    p.code_challenge_method = None;
    let code = code(&h, &p);
    assert_eq!(
        exchange(&h, &client, &code, Some(VERIFIER)).err(),
        Some(TokenError::InvalidGrant),
        "no PKCE downgrade (RFC 9700 §2.1.1)"
    );
    assert!(exchange(&h, &client, &code, None).is_ok());
}

/// The window of a disable racing a sign-in: the flag is committed, the cut-off (which burns
/// unused codes) not yet, and a code issued just before is exchanged. Its grant is stored
/// revoked, so no token goes out: one would carry an `iat` past the coming cut-off.
#[test]
fn a_code_of_a_user_disabled_since_gives_no_token() {
    let h = Harness::new(|_| {});
    let client = web_client(&h, false);
    let request = h
        .services
        .authorization
        .check(&params(&client))
        .expect("trusted");
    let session = session(&h);
    let code = h
        .services
        .authorization
        .issue_code(&request, &session)
        .expect("code");
    crate::ports::UserStore::set_user_disabled(
        h.store.as_ref(),
        &session.user_id,
        Some(h.clock_now()),
        &crate::testing::test_audit(),
    )
    .expect("disabled");
    assert_eq!(
        exchange(&h, &client, &code, Some(VERIFIER)).map(|_| ()),
        Err(TokenError::InvalidGrant)
    );
}
