//! An example relying party: a small web app that signs its users in with ciam (the
//! authorization code flow with PKCE, OpenID Connect), shows the ID token's claims, calls
//! a protected API through the resource SDK, and signs out.
//!
//! ```sh
//! ciam client create --name "Example app" --grant-type authorization_code \
//!     --grant-type refresh_token --scope "openid profile email" \
//!     --redirect-uri http://127.0.0.1:3000/callback \
//!     --post-logout-redirect-uri http://127.0.0.1:3000/signed-out
//! RP_CLIENT_ID=$ID RP_CLIENT_SECRET=$SECRET cargo run -p ciam-resource --example relying_party
//! # then open http://127.0.0.1:3000
//! ```
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CIAM_ISSUER` | `http://127.0.0.1:8080` | the ciam server |
//! | `RP_CLIENT_ID`, `RP_CLIENT_SECRET` | none | the app's registration (a confidential client) |
//! | `RP_LISTEN` | `127.0.0.1:3000` | where the app listens; its URIs are built from it |
//!
//! The app keeps its sessions in memory. Its protected API (`/api`) checks the access token
//! with the SDK in introspection mode, so a token revoked by signing out is refused at once.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{get, web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_resource::{DenylistConfig, IntrospectionConfig, JwkSet, Verifier, VerifierConfig};
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

const COOKIE: &str = "rp_session";

struct Rp {
    issuer: String,
    client_id: String,
    client_secret: String,
    base: String,
    verifier: Verifier,
    /// `state` → (PKCE verifier, nonce) of sign-ins under way.
    pending: Mutex<HashMap<String, (String, String)>>,
    /// Cookie value → (ID token claims, access token).
    sessions: Mutex<HashMap<String, (Value, String)>>,
}

/// 32 bytes from the operating system's CSPRNG, base64url.
fn random() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn page(body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Example app</title></head><body><h1>Example app</h1>{body}</body></html>"
        ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn session(rp: &Rp, req: &HttpRequest) -> Option<(Value, String)> {
    let cookie = req.cookie(COOKIE)?;
    rp.sessions.lock().ok()?.get(cookie.value()).cloned()
}

#[get("/")]
async fn home(rp: web::Data<Rp>, req: HttpRequest) -> HttpResponse {
    match session(&rp, &req) {
        Some((claims, _)) => page(&format!(
            "<p>Signed in. The ID token says:</p><pre id=\"claims\">{}</pre>\
             <p><a href=\"/api\">Call the protected API</a> · <a href=\"/logout\">Sign out</a></p>",
            escape(&serde_json::to_string_pretty(&claims).unwrap_or_default())
        )),
        None => page("<p>You are not signed in.</p><p><a href=\"/login\">Sign in</a></p>"),
    }
}

#[get("/login")]
async fn login(rp: web::Data<Rp>) -> actix_web::Result<HttpResponse> {
    let (state, nonce, verifier) = (random()?, random()?, random()?);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", rp.client_id.as_str()),
        ("redirect_uri", &format!("{}/callback", rp.base)),
        ("scope", "openid profile email"),
        ("state", &state),
        ("nonce", &nonce),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ])
    .map_err(actix_web::error::ErrorInternalServerError)?;
    if let Ok(mut pending) = rp.pending.lock() {
        pending.insert(state, (verifier, nonce));
    }
    Ok(redirect(&format!("{}/oauth2/authorize?{query}", rp.issuer)))
}

#[get("/callback")]
async fn callback(
    rp: web::Data<Rp>,
    query: web::Query<HashMap<String, String>>,
) -> actix_web::Result<HttpResponse> {
    let bad = |why: &str| actix_web::error::ErrorBadRequest(why.to_owned());
    if let Some(error) = query.get("error") {
        return Err(bad(&format!("sign-in failed: {error}")));
    }
    // RFC 9207: the response is from our issuer, not from another one mixed up with it.
    if query.get("iss") != Some(&rp.issuer) {
        return Err(bad("the response names another issuer"));
    }
    let state = query.get("state").ok_or_else(|| bad("no state"))?;
    let (verifier, nonce) = rp
        .pending
        .lock()
        .ok()
        .and_then(|mut pending| pending.remove(state))
        .ok_or_else(|| bad("unknown state"))?;
    let code = query.get("code").ok_or_else(|| bad("no code"))?.clone();
    let rp2 = rp.clone();
    let (claims, access_token) = web::block(move || exchange(&rp2, &code, &verifier, &nonce))
        .await?
        .map_err(actix_web::error::ErrorBadGateway)?;
    let cookie_value = random()?;
    if let Ok(mut sessions) = rp.sessions.lock() {
        sessions.insert(cookie_value.clone(), (claims, access_token));
    }
    let cookie = actix_web::cookie::Cookie::build(COOKIE, cookie_value)
        .path("/")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .finish();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .cookie(cookie)
        .finish())
}

/// The code for tokens (with the PKCE verifier), then the ID token checked: signature
/// against the JWKS, issuer, audience, expiry, and our nonce.
fn exchange(rp: &Rp, code: &str, verifier: &str, nonce: &str) -> Result<(Value, String), String> {
    let redirect_uri = format!("{}/callback", rp.base);
    let tokens: Value = ureq::post(&format!("{}/oauth2/token", rp.issuer))
        .set(
            "Authorization",
            &format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", rp.client_id, rp.client_secret))
            ),
        )
        .send_form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", verifier),
        ])
        .map_err(|e| format!("token request: {e}"))
        .and_then(|r| serde_json::from_reader(r.into_reader()).map_err(|e| e.to_string()))?;
    let access_token = tokens["access_token"].as_str().ok_or("no access token")?;
    let id_token = tokens["id_token"].as_str().ok_or("no ID token")?;
    let jwks: JwkSet = ureq::get(&format!("{}/oauth2/jwks", rp.issuer))
        .call()
        .map_err(|e| format!("JWKS: {e}"))
        .and_then(|r| serde_json::from_reader(r.into_reader()).map_err(|e| e.to_string()))?;
    let header = decode_header(id_token).map_err(|e| format!("ID token: {e}"))?;
    let jwk = header
        .kid
        .as_deref()
        .and_then(|kid| jwks.find(kid))
        .ok_or("ID token signed by an unknown key")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("JWK: {e}"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&rp.issuer]);
    validation.set_audience(&[&rp.client_id]);
    let claims: Value = decode(id_token, &key, &validation)
        .map_err(|e| format!("ID token: {e}"))?
        .claims;
    if claims["nonce"].as_str() != Some(nonce) {
        return Err("the ID token's nonce is not ours".into());
    }
    Ok((claims, access_token.to_owned()))
}

/// The protected API: the resource SDK decides whether the access token is still good.
#[get("/api")]
async fn api(rp: web::Data<Rp>, req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let Some((_, access_token)) = session(&rp, &req) else {
        return Ok(redirect("/"));
    };
    let rp2 = rp.clone();
    let verdict = web::block(move || rp2.verifier.verify(&access_token)).await?;
    Ok(page(&match verdict {
        Ok(claims) => format!(
            "<p id=\"api\">The API accepted the token of <code>{}</code>.</p>\
             <p><a href=\"/\">Back</a></p>",
            escape(&claims.sub)
        ),
        Err(rejection) => format!(
            "<p id=\"api\">The API refused the token: {}</p><p><a href=\"/\">Back</a></p>",
            escape(&rejection.to_string())
        ),
    }))
}

/// Sends the browser to ciam's logout, which ends the session there, revokes the grant and
/// comes back to `/signed-out`.
#[get("/logout")]
async fn logout(rp: web::Data<Rp>) -> actix_web::Result<HttpResponse> {
    let query = serde_urlencoded::to_string([
        ("client_id", rp.client_id.as_str()),
        (
            "post_logout_redirect_uri",
            &format!("{}/signed-out", rp.base),
        ),
    ])
    .map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(redirect(&format!("{}/oauth2/logout?{query}", rp.issuer)))
}

/// Back from ciam's logout: shows that the API now refuses the access token this app held
/// (revoked with the session), then forgets the local session.
#[get("/signed-out")]
async fn signed_out(rp: web::Data<Rp>, req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let held = req
        .cookie(COOKIE)
        .and_then(|cookie| rp.sessions.lock().ok()?.remove(cookie.value()));
    let verdict = match held {
        Some((_, access_token)) => {
            let rp2 = rp.clone();
            match web::block(move || rp2.verifier.verify(&access_token)).await? {
                Ok(_) => "The API still accepts the old access token.".to_owned(),
                Err(rejection) => format!("The API refuses the old access token: {rejection}"),
            }
        }
        None => "This app held no token.".to_owned(),
    };
    Ok(page(&format!(
        "<p>You are signed out.</p><p id=\"api\">{}</p><p><a href=\"/login\">Sign in</a></p>",
        escape(&verdict)
    )))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var(name).ok();
    let issuer = env("CIAM_ISSUER").unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let listen = env("RP_LISTEN").unwrap_or_else(|| "127.0.0.1:3000".into());
    let client_id = env("RP_CLIENT_ID").ok_or("RP_CLIENT_ID is required")?;
    let client_secret = env("RP_CLIENT_SECRET").ok_or("RP_CLIENT_SECRET is required")?;
    let verifier = Verifier::new(VerifierConfig::new(
        issuer.clone(),
        issuer.clone(),
        // Ask ciam every time: the SDK would otherwise reuse an `active` answer for 5 s,
        // and this app shows that a token revoked by signing out is refused at once. (With
        // Redis, the synced mode answers in memory and hears of revocations in milliseconds.)
        DenylistConfig::Introspection(IntrospectionConfig {
            cache_ttl: Duration::ZERO,
            ..IntrospectionConfig::new(client_id.clone(), client_secret.clone())
        }),
    ))?;
    let rp = web::Data::new(Rp {
        base: format!("http://{listen}"),
        issuer,
        client_id,
        client_secret,
        verifier,
        pending: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
    });
    println!("example app on http://{listen}");
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(rp.clone())
                .service(home)
                .service(login)
                .service(callback)
                .service(api)
                .service(logout)
                .service(signed_out)
        })
        .shutdown_timeout(Duration::from_secs(1).as_secs())
        .bind(&listen)?
        .run()
        .await
    })?;
    Ok(())
}
