//! The cookies of the hosted pages: the session (who is signed in) and the CSRF token of
//! the login form. `HttpOnly` and `SameSite=Lax` always; on an https issuer also `Secure`
//! and the `__Host-` prefix, which pins them to this host and path `/` (RFC 6265bis §4.1.3.2).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

pub(crate) const SESSION: &str = "ciam_session";
pub(crate) const CSRF: &str = "ciam_csrf";

/// Whether the issuer is served over https: then cookies are `Secure` and `__Host-`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CookiePolicy {
    pub secure: bool,
}

impl CookiePolicy {
    pub(crate) fn for_issuer(issuer: &str) -> CookiePolicy {
        CookiePolicy {
            secure: issuer.starts_with("https://"),
        }
    }

    pub(crate) fn name(self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// A cookie that lasts `max_age` seconds (`None`: until the browser closes).
    pub(crate) fn cookie(self, base: &str, value: String, max_age: Option<i64>) -> Cookie<'static> {
        let mut cookie = Cookie::build(self.name(base), value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish();
        if let Some(seconds) = max_age {
            cookie.set_max_age(actix_web::cookie::time::Duration::seconds(seconds));
        }
        cookie
    }

    /// The value of the cookie `base` the request carries.
    pub(crate) fn read(self, req: &HttpRequest, base: &str) -> Option<String> {
        req.cookie(&self.name(base)).map(|c| c.value().to_owned())
    }
}
