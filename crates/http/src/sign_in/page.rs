//! The hosted login page: server-rendered HTML that works without JavaScript, labelled
//! fields with the autocomplete hints password managers need, a CSRF token, and the
//! authorization request carried along in hidden fields.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

use crate::html::escape;
use crate::sign_in::Branding;

/// Nothing runs, nothing loads but our stylesheet, no other site may frame the page, and
/// the form posts only here.
pub(crate) const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/// What the page shows.
pub(crate) struct LoginPage<'a> {
    pub branding: &'a Branding,
    /// The application the user signs in to.
    pub client_name: &'a str,
    /// The authorization request's parameters, posted back with the form.
    pub hidden: &'a [(&'static str, String)],
    pub csrf: &'a str,
    pub username: &'a str,
    /// A message for the user: the generic failure, or the throttle's.
    pub error: Option<&'a str>,
}

impl LoginPage<'_> {
    pub(crate) fn respond(&self, status: StatusCode) -> HttpResponse {
        let title = format!("Sign in to {}", self.client_name);
        html_response(status, shell(self.branding, &title, &self.form()))
    }

    fn form(&self) -> String {
        let error = self
            .error
            .map(|message| {
                format!(
                    "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>\n",
                    escape(message)
                )
            })
            .unwrap_or_default();
        let username = escape(self.username);
        let autofocus_user = if self.username.is_empty() {
            " autofocus"
        } else {
            ""
        };
        let autofocus_password = if self.username.is_empty() {
            ""
        } else {
            " autofocus"
        };
        format!(
            "<p class=\"context\">to continue to <strong>{client}</strong></p>\n\
             {error}\
             <form method=\"post\" action=\"/oauth2/login\">\n\
             {hidden}\
             <label for=\"username\">Username</label>\n\
             <input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" \
             autocapitalize=\"none\" spellcheck=\"false\" required maxlength=\"200\" \
             value=\"{username}\"{autofocus_user}>\n\
             <label for=\"password\">Password</label>\n\
             <input id=\"password\" name=\"password\" type=\"password\" \
             autocomplete=\"current-password\" required maxlength=\"1024\"{autofocus_password}>\n\
             <button type=\"submit\">Sign in</button>\n\
             </form>\n",
            client = escape(self.client_name),
            hidden = hidden_inputs(self.hidden, self.csrf),
        )
    }
}

/// Headers every hosted page carries.
fn html_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

/// A hosted page: the product's card with `title` and `inner` (already HTML).
fn shell(branding: &Branding, title: &str, inner: &str) -> String {
    let product = escape(&branding.name);
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"en\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · {product}</title>\n\
         <link rel=\"stylesheet\" href=\"/oauth2/login.css\">\n\
         </head>\n\
         <body>\n\
         <main class=\"card\">\n\
         <p class=\"product\">{product}</p>\n\
         <h1>{title}</h1>\n\
         {inner}\
         </main>\n\
         </body>\n\
         </html>\n"
    )
}

fn hidden_inputs(hidden: &[(&'static str, String)], csrf: &str) -> String {
    let mut inputs: String = hidden
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
                escape(value)
            )
        })
        .collect();
    inputs.push_str(&format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n",
        escape(csrf)
    ));
    inputs
}

/// The sign-out confirmation (RP-Initiated Logout 1.0 §2).
pub(crate) struct LogoutPage<'a> {
    pub branding: &'a Branding,
    pub hidden: &'a [(&'static str, String)],
    pub csrf: &'a str,
}

impl LogoutPage<'_> {
    pub(crate) fn respond(&self) -> HttpResponse {
        let inner = format!(
            "<p class=\"context\">Sign out of {} on this device? Applications you signed in \
             to here will need you to sign in again.</p>\n\
             <form method=\"post\" action=\"/oauth2/logout\">\n\
             {}\
             <button type=\"submit\" id=\"sign-out\">Sign out</button>\n\
             </form>\n",
            escape(&self.branding.name),
            hidden_inputs(self.hidden, self.csrf)
        );
        html_response(StatusCode::OK, shell(self.branding, "Sign out", &inner))
    }
}

/// A page that only tells the user something.
pub(crate) fn notice_page(branding: &Branding, title: &str, message: &str) -> HttpResponse {
    let inner = format!(
        "<p class=\"context\" id=\"notice\">{}</p>\n",
        escape(message)
    );
    html_response(StatusCode::OK, shell(branding, title, &inner))
}

/// The stylesheet, in the configured accent colour (checked to be a `#rrggbb` value).
pub(crate) fn stylesheet(branding: &Branding) -> String {
    STYLESHEET.replace("ACCENT", &branding.accent)
}

const STYLESHEET: &str = "\
:root { color-scheme: light; --accent: ACCENT; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  background: #f3f4f6; color: #111827; }
.card { width: 100%; max-width: 380px; margin: 24px; padding: 32px; background: #fff;
  border-radius: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.1), 0 8px 24px rgba(0,0,0,.06); }
.product { margin: 0 0 24px; font-weight: 700; color: var(--accent); letter-spacing: .02em; }
h1 { margin: 0; font-size: 1.5rem; }
.context { margin: 4px 0 24px; color: #4b5563; }
label { display: block; margin: 16px 0 6px; font-weight: 600; font-size: .9rem; }
input[type=text], input[type=password] { width: 100%; padding: 10px 12px; font: inherit;
  border: 1px solid #d1d5db; border-radius: 8px; }
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; border-color: var(--accent); }
button { width: 100%; margin-top: 24px; padding: 11px; font: inherit; font-weight: 600;
  color: #fff; background: var(--accent); border: 0; border-radius: 8px; cursor: pointer; }
button:focus-visible { outline: 3px solid #111827; outline-offset: 2px; }
.error { margin: 0 0 8px; padding: 10px 12px; border-radius: 8px; background: #fef2f2;
  color: #991b1b; border: 1px solid #fecaca; }
";
