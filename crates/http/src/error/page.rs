//! An error as a small HTML page: for a person at a browser, when there is no client to
//! send the error back to (before the client and its redirect URI are trusted, RFC 6749
//! §4.1.2.1: the server MUST NOT redirect then, and should inform the resource owner).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, HttpResponseBuilder};

use crate::html::escape;

/// Nothing loads but our own stylesheet, and no other site may frame the page.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; frame-ancestors 'none'";

pub(super) fn respond(
    mut response: HttpResponseBuilder,
    status: StatusCode,
    code: Option<&str>,
    description: Option<&str>,
) -> HttpResponse {
    response
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(render(status, code, description))
}

fn render(status: StatusCode, code: Option<&str>, description: Option<&str>) -> String {
    let title = escape(status.canonical_reason().unwrap_or("Error"));
    let description = escape(description.unwrap_or("The request could not be completed."));
    let code = code
        .map(|code| format!("<p>Error code: <code>{}</code></p>\n", escape(code)))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"en\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n\
         </head>\n\
         <body>\n\
         <main>\n\
         <h1>{title}</h1>\n\
         <p>{description}</p>\n\
         {code}\
         </main>\n\
         </body>\n\
         </html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert('x' & "y")</script>"#),
            "&lt;script&gt;alert(&#x27;x&#x27; &amp; &quot;y&quot;)&lt;/script&gt;"
        );
        let page = render(
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
            Some("redirect_uri <b>unknown</b>"),
        );
        assert!(page.contains("<p>redirect_uri &lt;b&gt;unknown&lt;/b&gt;</p>"));
        assert!(page.contains("<code>invalid_request</code>"));
        assert!(!page.contains("<b>"));
    }

    #[test]
    fn page_is_english_html_titled_by_the_status() {
        let page = render(StatusCode::BAD_REQUEST, None, None);
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(page.contains("<title>Bad Request</title>"));
        assert!(page.contains("<p>The request could not be completed.</p>"));
        assert!(!page.contains("Error code"));
    }
}
