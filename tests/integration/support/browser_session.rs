//! A browser's part in the authorization code flow, through the real actix app: a cookie
//! jar, GETs and form POSTs, and reading what pages and redirects carry.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::test::TestRequest;

use super::app::TestApp;
use super::http::{form, Response};

/// The cookies a browser would send back: name to value.
#[derive(Default)]
pub struct Jar {
    cookies: BTreeMap<String, String>,
}

impl Jar {
    /// Keeps the cookies a response sets (and drops the ones it removes).
    pub fn keep(&mut self, response: &Response) {
        for value in response.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().expect("ASCII cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            let removed = attributes.to_ascii_lowercase().contains("max-age=0");
            if removed || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn forget(&mut self, name: &str) {
        self.cookies.remove(name);
    }

    fn header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn with_cookies(&self, mut request: TestRequest) -> TestRequest {
        if let Some(cookies) = self.header() {
            request = request.insert_header((header::COOKIE, cookies));
        }
        request
    }

    /// `GET path`, keeping the cookies the answer sets.
    pub async fn get_page(&mut self, app: &TestApp, path: &str) -> Response {
        let response = app
            .request(self.with_cookies(TestRequest::get().uri(path)))
            .await;
        self.keep(&response);
        response
    }

    /// POSTs a form, as a browser submits one.
    pub async fn post_form(
        &mut self,
        app: &TestApp,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> Response {
        let request = TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(form(pairs));
        let response = app.request(self.with_cookies(request)).await;
        self.keep(&response);
        response
    }
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    /// The `name`/`value` pairs of the page's form inputs (hidden, text, password).
    pub fn form_fields(&self) -> Vec<(String, String)> {
        let text = self.text();
        text.split("<input")
            .skip(1)
            .filter_map(|tag| {
                let tag = tag.split('>').next()?;
                let attribute = |name: &str| {
                    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
                    let end = tag[start..].find('"')? + start;
                    Some(unescape(&tag[start..end]))
                };
                Some((attribute("name")?, attribute("value").unwrap_or_default()))
            })
            .collect()
    }

    /// The query parameters of the `Location` of a redirect.
    pub fn redirect_params(&self) -> BTreeMap<String, String> {
        let location = self.header("location").expect("a Location");
        let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
        serde_urlencoded::from_str(query).expect("a query")
    }

    /// The attributes of the `Set-Cookie` for `name`, lower-cased.
    pub fn cookie_attributes(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.to_ascii_lowercase())
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
