//! A third-party OAuth client, the `oauth2` crate, as a peer: client credentials, password,
//! refresh, introspection, and its RFC 7009 revoke call with HTTP Basic.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, HttpRequest, HttpResponse, IntrospectionUrl,
    ResourceOwnerPassword, ResourceOwnerUsername, RevocationUrl, StandardRevocableToken,
    TokenIntrospectionResponse, TokenResponse, TokenUrl,
};

use crate::support::peer_transport::{self, TransportError};
use crate::support::server::{ciam, Server};

/// The shared transport, except that the oauth2 crate insists on an https revocation URL;
/// the loopback server speaks plain HTTP, so this maps `https://127.0.0.1` to
/// `http://127.0.0.1`, nothing else.
fn transport(mut request: HttpRequest) -> Result<HttpResponse, TransportError> {
    let url = request
        .uri()
        .to_string()
        .replacen("https://127.0.0.1", "http://127.0.0.1", 1);
    *request.uri_mut() = url.parse().expect("the same URL, http");
    peer_transport::transport(request)
}

#[test]
fn the_oauth2_crate_gets_refreshes_introspects_and_revokes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let created = ciam(
        dir.path(),
        &[],
        &[
            "client",
            "create",
            "--name",
            "peer",
            "--grant-type",
            "client_credentials",
            "--grant-type",
            "password",
            "--grant-type",
            "refresh_token",
            "--scope",
            "read write",
        ],
        "",
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let client: serde_json::Value = serde_json::from_slice(&created.stdout).expect("json");
    let user = ciam(
        dir.path(),
        &[],
        &[
            "user",
            "create",
            "--username",
            "peer-user",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(user.status.success());
    let server = Server::start(dir.path(), &[]);

    let oauth = BasicClient::new(ClientId::new(
        client["client_id"].as_str().expect("id").into(),
    ))
    .set_client_secret(ClientSecret::new(
        client["client_secret"].as_str().expect("secret").into(),
    ))
    .set_auth_type(AuthType::BasicAuth)
    .set_token_uri(TokenUrl::new(server.url("/oauth2/token")).expect("url"))
    .set_introspection_url(IntrospectionUrl::new(server.url("/oauth2/introspect")).expect("url"))
    .set_revocation_url(
        RevocationUrl::new(
            server
                .url("/oauth2/revoke")
                .replacen("http://", "https://", 1),
        )
        .expect("url"),
    );

    let machine = oauth
        .exchange_client_credentials()
        .request(&transport)
        .expect("client credentials");
    assert!(machine.refresh_token().is_none());
    assert_eq!(machine.expires_in(), Some(Duration::from_secs(300)));

    let user_tokens = oauth
        .exchange_password(
            &ResourceOwnerUsername::new("peer-user".into()),
            &ResourceOwnerPassword::new("correct horse battery".into()),
        )
        .request(&transport)
        .expect("password grant");
    let refresh = user_tokens.refresh_token().expect("refresh token").clone();
    let refreshed = oauth
        .exchange_refresh_token(&refresh)
        .request(&transport)
        .expect("refresh");
    let access = refreshed.access_token().clone();
    let new_refresh = refreshed.refresh_token().expect("rotated").clone();

    let introspection = oauth
        .introspect(&access)
        .request(&transport)
        .expect("introspect");
    assert!(introspection.active());

    oauth
        .revoke_token(StandardRevocableToken::RefreshToken(new_refresh.clone()))
        .expect("revocation configured")
        .request(&transport)
        .expect("RFC 7009 revoke with Basic auth");

    assert!(!oauth
        .introspect(&access)
        .request(&transport)
        .expect("introspect")
        .active());
    assert!(oauth
        .exchange_refresh_token(&new_refresh)
        .request(&transport)
        .is_err());

    // Access-token revocation with the crate's hint.
    let second = oauth
        .exchange_client_credentials()
        .request(&transport)
        .expect("client credentials");
    oauth
        .revoke_token(StandardRevocableToken::AccessToken(
            second.access_token().clone(),
        ))
        .expect("revocation configured")
        .request(&transport)
        .expect("revoke access token");
    assert!(!oauth
        .introspect(second.access_token())
        .request(&transport)
        .expect("introspect")
        .active());
}
