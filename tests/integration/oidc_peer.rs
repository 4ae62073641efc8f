//! A third-party OpenID Connect relying party, the `openidconnect` crate, against the built
//! `ciam serve`: discovery, the authorization code flow with PKCE through the hosted login
//! page (the user's browser played by a plain HTTP client that keeps cookies by hand and
//! follows no redirect), the crate's own ID-token validation against the JWKS (RS256),
//! `at_hash`, UserInfo, refresh, and RP-initiated logout.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJsonWebKeyType, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AdditionalClaims, AuthType, AuthorizationCode, Client, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, JsonWebKey, LogoutRequest, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::support::peer_transport::transport;
use crate::support::server::{ciam_json, Server};

/// The ID-token claim beyond the standard ones that a relying party needs for logout.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct SessionClaims {
    sid: Option<String>,
}

impl AdditionalClaims for SessionClaims {}

type SessionTokenResponse = StandardTokenResponse<
    IdTokenFields<
        SessionClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// `CoreClient` from discovery, with [`SessionClaims`] in its ID tokens.
type RelyingParty = Client<
    SessionClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    SessionTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// An answer as the user's browser sees it.
struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Page {
    /// The `name`/`value` pairs of the page's `<input>` elements, unescaped.
    fn inputs(&self) -> Vec<(String, String)> {
        self.body
            .split("<input")
            .skip(1)
            .filter_map(|tag| {
                let tag = tag.split('>').next()?;
                let attribute = |name: &str| {
                    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
                    let end = tag[start..].find('"')? + start;
                    Some(
                        tag[start..end]
                            .replace("&quot;", "\"")
                            .replace("&#x27;", "'")
                            .replace("&lt;", "<")
                            .replace("&gt;", ">")
                            .replace("&amp;", "&"),
                    )
                };
                Some((attribute("name")?, attribute("value").unwrap_or_default()))
            })
            .collect()
    }
}

/// The user's browser, reduced to what signing in needs: cookies kept by hand (name → value,
/// one host), redirects never followed, every request bounded in time.
struct UserAgent {
    agent: ureq::Agent,
    cookies: BTreeMap<String, String>,
}

impl UserAgent {
    fn new() -> UserAgent {
        UserAgent {
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .redirects(0)
                .build(),
            cookies: BTreeMap::new(),
        }
    }

    fn get(&mut self, url: &str) -> Page {
        let request = self.with_cookies(self.agent.get(url));
        self.read(request.call())
    }

    fn post_form(&mut self, url: &str, fields: &[(String, String)]) -> Page {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let request = self.with_cookies(self.agent.post(url));
        self.read(request.send_form(&pairs))
    }

    fn with_cookies(&self, request: ureq::Request) -> ureq::Request {
        if self.cookies.is_empty() {
            return request;
        }
        let header: Vec<String> = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        request.set("Cookie", &header.join("; "))
    }

    fn read(&mut self, result: Result<ureq::Response, ureq::Error>) -> Page {
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("the user agent's request failed: {error}"),
        };
        for set_cookie in response.all("set-cookie") {
            let pair = set_cookie.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("a cookie name=value");
            let removed = value.is_empty()
                || set_cookie
                    .to_ascii_lowercase()
                    .split(';')
                    .any(|attribute| attribute.trim() == "max-age=0");
            if removed {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().into(), value.trim().into());
            }
        }
        let status = response.status();
        let location = response.header("location").map(str::to_owned);
        let body = response.into_string().expect("a text body");
        Page {
            status,
            location,
            body,
        }
    }

    /// Submits the form of `page` to `action`: its inputs, with these credentials.
    fn sign_in(&mut self, page: &Page, action: &str, username: &str, password: &str) -> Page {
        let mut fields: Vec<(String, String)> = page
            .inputs()
            .into_iter()
            .filter(|(name, _)| name != "username" && name != "password")
            .collect();
        fields.push(("username".into(), username.into()));
        fields.push(("password".into(), password.into()));
        self.post_form(action, &fields)
    }
}

/// The query parameters of `location`, which must start with `base` and `?`.
fn query_at(location: &str, base: &str) -> BTreeMap<String, String> {
    let query = location
        .strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('?'))
        .unwrap_or_else(|| panic!("{location} is not {base} with a query"));
    serde_urlencoded::from_str(query).expect("a query")
}

fn unix_now() -> i64 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    i64::try_from(seconds).expect("seconds fit")
}

#[test]
fn the_openidconnect_crate_signs_a_user_in_verifies_the_id_token_and_reads_userinfo() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Nothing listens on the callback: the user agent stops at the redirect to it.
    let app = format!("http://127.0.0.1:{}", ciam_testkit::free_port());
    let callback = format!("{app}/callback");
    let signed_out = format!("{app}/signed-out");
    let created = ciam_json(
        dir.path(),
        &[],
        &[
            "client",
            "create",
            "--name",
            "rp",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--scope",
            "openid profile email",
            "--redirect-uri",
            &callback,
            "--post-logout-redirect-uri",
            &signed_out,
        ],
        "",
    );
    let client_id = created["client_id"].as_str().expect("client_id").to_owned();
    let client_secret = created["client_secret"]
        .as_str()
        .expect("a confidential client has a secret")
        .to_owned();
    ciam_json(
        dir.path(),
        &[],
        &[
            "user",
            "create",
            "--username",
            "alice",
            "--email",
            "alice@example.com",
            "--name",
            "Alice Doe",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    let server = Server::start(dir.path(), &[]);

    // Discovery. The issuer is the server's base URL without a trailing slash: the crate
    // compares the discovered `issuer` with it as strings, and the ID token's `iss` too.
    let issuer = IssuerUrl::new(server.base_url.clone()).expect("issuer URL");
    let metadata = ProviderMetadataWithLogout::discover(&issuer, &transport).expect("discovery");
    let slashed = IssuerUrl::new(format!("{}/", server.base_url)).expect("issuer URL");
    assert!(
        ProviderMetadataWithLogout::discover(&slashed, &transport).is_err(),
        "the same document does not match an issuer with a trailing slash"
    );
    assert_eq!(metadata.issuer().as_str(), server.base_url);
    assert!(
        metadata
            .id_token_signing_alg_values_supported()
            .contains(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256),
        "RS256 advertised: {:?}",
        metadata.id_token_signing_alg_values_supported()
    );
    assert!(
        metadata
            .jwks()
            .keys()
            .iter()
            .any(|key| { *key.key_type() == CoreJsonWebKeyType::RSA && key.key_id().is_some() }),
        "an RSA key with a kid in the JWKS"
    );
    let end_session = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .expect("end_session_endpoint discovered");

    let rp: RelyingParty = Client::from_provider_metadata(
        metadata,
        ClientId::new(client_id.clone()),
        Some(ClientSecret::new(client_secret)),
    )
    .set_auth_type(AuthType::BasicAuth)
    .set_redirect_uri(RedirectUrl::new(callback.clone()).expect("redirect URL"));

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, csrf, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    assert!(
        authorize_url
            .as_str()
            .starts_with(&server.url("/oauth2/authorize?")),
        "{authorize_url}"
    );

    // The user: the login page, then the form posted back with the CSRF cookie it set.
    let mut user = UserAgent::new();
    let page = user.get(authorize_url.as_str());
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.inputs().iter().any(|(name, _)| name == "csrf"),
        "{}",
        page.body
    );
    assert!(
        user.cookies.contains_key("ciam_csrf"),
        "a CSRF cookie: {:?}",
        user.cookies.keys()
    );
    let login = server.url("/oauth2/login");
    let before_sign_in = unix_now();
    let wrong = user.sign_in(&page, &login, "alice", "not the password");
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.location.is_none());
    let signed_in = user.sign_in(&wrong, &login, "alice", "correct horse battery");
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let params = query_at(signed_in.location.as_deref().expect("Location"), &callback);
    assert_eq!(params.get("state"), Some(csrf.secret()));
    assert_eq!(
        params.get("iss").map(String::as_str),
        Some(issuer.as_str()),
        "RFC 9207"
    );
    let code = AuthorizationCode::new(params.get("code").expect("code").clone());

    // The code for tokens, client_secret_basic and the PKCE verifier; another verifier is
    // refused, without using the code up.
    let (_, wrong_verifier) = PkceCodeChallenge::new_random_sha256();
    assert!(rp
        .exchange_code(code.clone())
        .expect("token endpoint discovered")
        .set_pkce_verifier(wrong_verifier)
        .request(&transport)
        .is_err());
    let tokens = rp
        .exchange_code(code)
        .expect("token endpoint discovered")
        .set_pkce_verifier(verifier)
        .request(&transport)
        .expect("the code is exchanged");
    let id_token = tokens.id_token().expect("an ID token for scope openid");
    let id_verifier = rp.id_token_verifier();
    // A nonce the crate did not send fails the same validation.
    assert!(id_token
        .claims(&id_verifier, &Nonce::new("another nonce".into()))
        .is_err());
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .expect("the crate validates the ID token: signature, iss, aud, exp, nonce");
    assert_eq!(claims.issuer().as_str(), server.base_url);
    assert_eq!(claims.audiences().len(), 1);
    assert_eq!(claims.audiences()[0].as_str(), client_id);
    assert_eq!(claims.nonce().map(Nonce::secret), Some(nonce.secret()));
    let alg = id_token.signing_alg().expect("a signing algorithm");
    assert_eq!(*alg, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256);
    let key = id_token
        .signing_key(&id_verifier)
        .expect("the signing key, by kid, from the JWKS");
    assert_eq!(*key.key_type(), CoreJsonWebKeyType::RSA);

    let at_hash = claims.access_token_hash().expect("at_hash");
    assert_eq!(
        *at_hash,
        AccessTokenHash::from_token(tokens.access_token(), alg, key).expect("hash"),
        "at_hash binds the ID token to the access token issued with it"
    );
    assert_ne!(
        *at_hash,
        AccessTokenHash::from_token(&AccessToken::new("another token".into()), alg, key)
            .expect("hash")
    );
    let auth_time = claims.auth_time().expect("auth_time").timestamp();
    assert!(
        (before_sign_in - 1..=unix_now() + 1).contains(&auth_time),
        "auth_time {auth_time} is when alice signed in (from {before_sign_in})"
    );
    let sid = claims.additional_claims().sid.clone().expect("sid");
    assert!(!sid.is_empty());

    // UserInfo with the access token: the same subject, and what alice was created with.
    let userinfo: CoreUserInfoClaims = rp
        .user_info(tokens.access_token().clone(), None)
        .expect("userinfo endpoint discovered")
        .request(&transport)
        .expect("UserInfo");
    assert_eq!(userinfo.subject(), claims.subject());
    assert_eq!(
        userinfo.email().map(|email| email.as_str()),
        Some("alice@example.com")
    );
    assert_eq!(
        userinfo
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str()),
        Some("Alice Doe")
    );

    // Refresh: new tokens for the same user.
    let refresh_token = tokens.refresh_token().expect("a refresh token");
    let refreshed = rp
        .exchange_refresh_token(refresh_token)
        .expect("token endpoint discovered")
        .request(&transport)
        .expect("refresh");
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    let later: CoreUserInfoClaims = rp
        .user_info(refreshed.access_token().clone(), None)
        .expect("userinfo endpoint discovered")
        .request(&transport)
        .expect("UserInfo with the refreshed access token");
    assert_eq!(later.subject(), claims.subject());

    // RP-initiated logout, as the crate builds the request: the ID token of this very
    // session proves the request is the client's, so the session ends at once, without the
    // confirmation page, and the grant born in it dies with it.
    let logout_state = CsrfToken::new_random();
    let logout_url = LogoutRequest::from(end_session)
        .set_id_token_hint(id_token)
        .set_client_id(ClientId::new(client_id.clone()))
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(signed_out.clone()).expect("URL"))
        .set_state(logout_state.clone())
        .http_get_url();
    let confirmed = user.get(logout_url.as_str());
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    let back = query_at(
        confirmed.location.as_deref().expect("Location"),
        &signed_out,
    );
    assert_eq!(back.get("state"), Some(logout_state.secret()));
    assert!(
        rp.user_info(refreshed.access_token().clone(), None)
            .expect("userinfo endpoint discovered")
            .request::<openidconnect::EmptyAdditionalClaims, CoreGenderClaim, _>(&transport)
            .is_err(),
        "the access token dies with the session"
    );
    let refresh_after = refreshed.refresh_token().expect("a rotated refresh token");
    assert!(
        rp.exchange_refresh_token(refresh_after)
            .expect("token endpoint discovered")
            .request(&transport)
            .is_err(),
        "so does the refresh token"
    );
}
