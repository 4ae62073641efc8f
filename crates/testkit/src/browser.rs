//! A headless Chromium for tests of pages, driven through `chromedriver` (W3C WebDriver).
//!
//! ```no_run
//! use ciam_testkit::browser::Browser;
//!
//! let browser = Browser::start();
//! browser.goto("http://127.0.0.1:8080/login");
//! browser.fill("#username", "alice");
//! browser.click("button[type=submit]");
//! assert_eq!(browser.text("h1"), "Welcome");
//! browser.screenshot(std::env::temp_dir().join("welcome.png"));
//! ```
//!
//! Every [`Browser`] is its own `chromedriver` on a free loopback port and its own Chromium
//! with a fresh profile (`--user-data-dir` in a temp dir), so no cookie or storage is shared
//! between tests; tests run in parallel. Chromium runs headless (`--headless=new`), without
//! the sandbox (CI runs as root), without `/dev/shm`, in a 1280x900 window, in `en-US`, with
//! no proxy. `chromedriver` runs under [`spawn_group_with_watchdog`], so it and every
//! Chromium process die with the test process however it ends; dropping the [`Browser`]
//! stops them at once.
//!
//! The API is synchronous and panics on any failure, naming the page's URL (and, for a
//! missing element, the start of its source): a test needs no async runtime and no `Result`.
//! WebDriver is JSON over HTTP; this module speaks it with `ureq` and `serde_json`, so it
//! adds no WebDriver client crate and no runtime to the test build.
//!
//! Waiting: navigation commands ([`goto`](Browser::goto), [`click`](Browser::click),
//! [`submit_form`](Browser::submit_form)) return once the page they lead to has loaded
//! (`document.readyState` is `complete`); every wait polls against a deadline, none sleeps
//! a fixed time.
//!
//! `chromedriver` and `chromium` come from Debian's `chromium-driver` and `chromium`
//! packages, which `scripts/test.sh` installs. Without them [`Browser::start`] panics
//! saying so: a browser test is never skipped.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::{free_port, on_path, spawn_group_with_watchdog};

const NOT_FOUND: &str = "chromedriver not found: run scripts/test.sh, which installs it, or \
                         `apt-get install chromium chromium-driver`";
/// How long `chromedriver` may take to answer `/status`, and Chromium to open a session.
const STARTUP: Duration = Duration::from_secs(30);
/// How long a page may take to load (WebDriver's `pageLoad` and `script` timeouts).
const PAGE_LOAD: Duration = Duration::from_secs(30);
/// The bound on one WebDriver call: a page load, plus slack for a busy machine.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(25);
/// The W3C name of an element reference in a JSON result.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How much of the page source a panic about a missing element shows.
const SOURCE_EXCERPT: usize = 2000;
/// A response body larger than this is refused (screenshots are a few hundred KB).
const MAX_BODY: u64 = 64 << 20;

/// A headless Chromium session. Dropping it closes the browser and stops `chromedriver`.
pub struct Browser {
    agent: ureq::Agent,
    /// `http://127.0.0.1:{port}`: the `chromedriver`.
    driver: String,
    /// `{driver}/session/{id}`.
    session: String,
    /// The watchdog shell around `chromedriver`.
    watchdog: Child,
    /// The Chromium profile (`--user-data-dir`) and `chromedriver.log`. Declared last so it
    /// is removed after the browser is gone.
    dir: tempfile::TempDir,
}

/// A cookie as the browser stores it (WebDriver's cookie object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    pub path: String,
    pub domain: String,
    pub secure: bool,
    pub http_only: bool,
    /// `Strict`, `Lax` or `None`, as the `Set-Cookie` header said; `None` if it said nothing.
    pub same_site: Option<String>,
    /// Seconds since the epoch; `None` for a session cookie.
    pub expiry: Option<u64>,
}

/// A failed WebDriver call.
#[derive(Debug)]
enum CallError {
    /// The driver answered with a W3C error (`no such element`, `stale element reference`…).
    WebDriver { error: String, message: String },
    /// No usable answer: connection refused, timeout, not JSON.
    Transport(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::WebDriver { error, message } => write!(f, "{error}: {message}"),
            CallError::Transport(message) => f.write_str(message),
        }
    }
}

impl CallError {
    fn is(&self, name: &str) -> bool {
        matches!(self, CallError::WebDriver { error, .. } if error == name)
    }
}

impl Browser {
    /// Starts `chromedriver` on a free loopback port and opens a headless Chromium session
    /// with a fresh profile. Panics, saying what to install, if `chromedriver` is missing,
    /// and with `chromedriver`'s log if the session cannot be opened within 30 s.
    pub fn start() -> Browser {
        if !on_path("chromedriver") {
            panic!("{NOT_FOUND}");
        }
        let dir = tempfile::Builder::new()
            .prefix("ciam-browser-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir for the browser profile: {e}"));
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(CALL_TIMEOUT)
            .build();
        // A port found free may be taken before chromedriver binds it: try a few.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = dir.path().join("chromedriver.log");
            let args = [
                format!("--port={port}"),
                format!("--log-path={}", log.display()),
                "--log-level=WARNING".to_owned(),
            ];
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut watchdog = spawn_group_with_watchdog("chromedriver", &args);
            let driver = format!("http://127.0.0.1:{port}");
            match wait_for_driver(&agent, &driver, &mut watchdog) {
                Ok(()) => {}
                Err(e) => {
                    let _ = agent.get(&format!("{driver}/shutdown")).call();
                    stop(&mut watchdog);
                    last_error = format!("{e}{}", log_tail(&log));
                    continue;
                }
            }
            let session = match open_session(&agent, &driver, &dir.path().join("profile")) {
                Ok(id) => format!("{driver}/session/{id}"),
                Err(e) => {
                    let _ = agent.get(&format!("{driver}/shutdown")).call();
                    stop(&mut watchdog);
                    panic!(
                        "chromedriver did not open a Chromium session: {e}{}",
                        log_tail(&log)
                    );
                }
            };
            return Browser {
                agent,
                driver,
                session,
                watchdog,
                dir,
            };
        }
        panic!("chromedriver did not start: {last_error}");
    }

    /// Opens `url` and returns once the page has loaded.
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        self.wait_until_loaded();
    }

    /// The URL of the page shown now (after redirects).
    pub fn current_url(&self) -> String {
        self.string("GET", "/url", None, "the current URL")
    }

    /// The page's `<title>`.
    pub fn title(&self) -> String {
        self.string("GET", "/title", None, "the title")
    }

    /// The rendered text of the first element matching `css` (as a user sees it: hidden
    /// parts left out, whitespace collapsed).
    pub fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.string("GET", &format!("/element/{element}/text"), None, css)
    }

    /// Clears the field matching `css` and types `value` into it.
    pub fn fill(&self, css: &str, value: &str) {
        let element = self.find(css);
        self.element_call(css, &format!("/element/{element}/clear"), json!({}));
        self.element_call(
            css,
            &format!("/element/{element}/value"),
            json!({ "text": value }),
        );
    }

    /// Clicks the first element matching `css`, as a user would (it must be visible and not
    /// covered), and returns once a page the click leads to has loaded.
    pub fn click(&self, css: &str) {
        let element = self.find(css);
        let before = self.document();
        self.element_call(css, &format!("/element/{element}/click"), json!({}));
        self.wait_after_action(before, &format!("click on {css:?}"));
    }

    /// Submits the form matching `css` (or the form of the element matching it) as its
    /// submit button would, with validation and `submit` handlers (`requestSubmit()`), and
    /// returns once the page it leads to has loaded; or, if validation or a handler stopped
    /// the submission, once the page is still complete.
    pub fn submit_form(&self, css: &str) {
        let element = self.find(css);
        let before = self.document();
        self.execute(
            "const el = arguments[0]; \
             const form = el instanceof HTMLFormElement ? el : (el.form || el.closest('form')); \
             if (!form) { throw new Error('not a form, nor in one'); } \
             form.requestSubmit();",
            vec![element_ref(&element)],
        )
        .unwrap_or_else(|e| panic!("cannot submit the form of {css:?} on {}: {e}", self.url()));
        self.wait_after_action(before, &format!("submitting the form of {css:?}"));
    }

    /// The attribute `name` of the first element matching `css`, as written in the HTML;
    /// `None` if the element has no such attribute.
    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let element = self.find(css);
        let value = self
            .call("GET", &format!("/element/{element}/attribute/{name}"), None)
            .unwrap_or_else(|e| panic!("cannot read {name} of {css:?} on {}: {e}", self.url()));
        match value {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }
    }

    /// Whether an element matches `css` right now (no waiting).
    pub fn exists(&self, css: &str) -> bool {
        match self.try_find(css) {
            Ok(found) => found.is_some(),
            Err(e) => panic!("cannot look for {css:?} on {}: {e}", self.url()),
        }
    }

    /// The cookies visible to the current page (its domain and path), `HttpOnly` ones too.
    pub fn cookies(&self) -> Vec<Cookie> {
        let value = self
            .call("GET", "/cookie", None)
            .unwrap_or_else(|e| panic!("cannot read cookies on {}: {e}", self.url()));
        let Value::Array(cookies) = value else {
            panic!("cookies on {} are not a list: {value}", self.url());
        };
        cookies.iter().map(cookie).collect()
    }

    /// The cookie `name` visible to the current page.
    pub fn cookie(&self, name: &str) -> Option<Cookie> {
        self.cookies().into_iter().find(|c| c.name == name)
    }

    /// Deletes the cookies visible to the current page.
    pub fn delete_all_cookies(&self) {
        self.call("DELETE", "/cookie", None)
            .unwrap_or_else(|e| panic!("cannot delete cookies on {}: {e}", self.url()));
    }

    /// The current DOM serialized as HTML (after scripts ran, not the bytes the server sent).
    pub fn page_source(&self) -> String {
        self.string("GET", "/source", None, "the page source")
    }

    /// Writes a PNG of the window (1280x900) to `path`, creating its directory.
    pub fn screenshot(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let encoded = self.string("GET", "/screenshot", None, "a screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .unwrap_or_else(|e| panic!("the screenshot is not base64: {e}"));
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Where this browser keeps its profile and `chromedriver.log`.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// The element reference of the first match of `css`; panics with the page's URL and
    /// the start of its source if there is none.
    fn find(&self, css: &str) -> String {
        match self.try_find(css) {
            Ok(Some(element)) => element,
            Ok(None) => {
                let source = self
                    .call("GET", "/source", None)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let excerpt: String = source.chars().take(SOURCE_EXCERPT).collect();
                let more = if excerpt.len() < source.len() {
                    "\n…"
                } else {
                    ""
                };
                panic!(
                    "no element matches {css:?} on {}\n--- page source ---\n{excerpt}{more}",
                    self.url()
                );
            }
            Err(e) => panic!("cannot look for {css:?} on {}: {e}", self.url()),
        }
    }

    fn try_find(&self, css: &str) -> Result<Option<String>, CallError> {
        let found = self.call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        match found {
            Ok(value) => match value.get(ELEMENT_KEY).and_then(Value::as_str) {
                Some(element) => Ok(Some(element.to_owned())),
                None => Err(CallError::Transport(format!("not an element: {value}"))),
            },
            Err(e) if e.is("no such element") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The `<html>` element of the page shown now: it goes stale once another page replaces
    /// it, which is how a navigation is told from its absence.
    fn document(&self) -> String {
        self.find("html")
    }

    /// After a click or a submission: waits until the page it led to, if any, has loaded.
    /// A click's navigation may start a moment after chromedriver returns (a form's
    /// submission is queued as a task), so this waits until the old document is stale and
    /// the new one complete; a click that leads nowhere is done once the page is complete
    /// and no navigation began for a short grace time.
    fn wait_after_action(&self, before: String, what: &str) {
        const GRACE: Duration = Duration::from_millis(200);
        let start = Instant::now();
        let deadline = start + PAGE_LOAD;
        loop {
            let stale = match self.call("GET", &format!("/element/{before}/name"), None) {
                Ok(_) => false,
                Err(e) if e.is("stale element reference") || e.is("no such element") => true,
                // A page in the middle of unloading may answer anything; ask again.
                Err(_) => false,
            };
            if stale {
                self.wait_until_loaded();
                return;
            }
            let waited = start.elapsed();
            if waited >= GRACE && self.ready_state().as_deref() == Some("complete") {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{what} on {} left a page loading for {PAGE_LOAD:?}",
                    self.url()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Polls until `document.readyState` is `complete`.
    fn wait_until_loaded(&self) {
        let deadline = Instant::now() + PAGE_LOAD;
        let mut last = None;
        while Instant::now() < deadline {
            last = self.ready_state();
            if last.as_deref() == Some("complete") {
                return;
            }
            std::thread::sleep(POLL);
        }
        panic!(
            "{} did not finish loading within {PAGE_LOAD:?} (readyState {last:?})",
            self.url()
        );
    }

    fn ready_state(&self) -> Option<String> {
        self.execute("return document.readyState", vec![])
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, CallError> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The current URL for a panic message, or why it is unknown.
    fn url(&self) -> String {
        match self.call("GET", "/url", None) {
            Ok(Value::String(url)) => url,
            Ok(other) => other.to_string(),
            Err(e) => format!("<unknown page: {e}>"),
        }
    }

    fn string(&self, method: &str, path: &str, body: Option<Value>, what: &str) -> String {
        match self.call(method, path, body) {
            Ok(Value::String(s)) => s,
            Ok(other) => panic!("{what} on {} is not a string: {other}", self.url()),
            Err(e) => panic!("cannot read {what} on {}: {e}", self.url()),
        }
    }

    fn element_call(&self, css: &str, path: &str, body: Value) {
        if let Err(e) = self.call("POST", path, Some(body)) {
            panic!("{path} on {css:?} failed on {}: {e}", self.url());
        }
    }

    /// One command of the session: `path` is relative to `/session/{id}`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, CallError> {
        call(
            &self.agent,
            method,
            &format!("{}{path}", self.session),
            body,
        )
    }
}

impl Drop for Browser {
    /// Closes the browser and stops `chromedriver` (the watchdog would at process exit).
    fn drop(&mut self) {
        let _ = call(&self.agent, "DELETE", &self.session, None);
        let _ = self.agent.get(&format!("{}/shutdown", self.driver)).call();
        stop(&mut self.watchdog);
    }
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("session", &self.session)
            .field("dir", &self.dir.path())
            .finish()
    }
}

/// Polls `/status` until chromedriver says it is ready; fails early if it exits.
fn wait_for_driver(agent: &ureq::Agent, driver: &str, watchdog: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + STARTUP;
    let mut last = String::from("no answer");
    while Instant::now() < deadline {
        match call(agent, "GET", &format!("{driver}/status"), None) {
            Ok(status) if status.get("ready") == Some(&Value::Bool(true)) => return Ok(()),
            Ok(status) => last = format!("not ready: {status}"),
            Err(e) => last = e.to_string(),
        }
        if let Ok(Some(status)) = watchdog.try_wait() {
            return Err(match status.code() {
                Some(127) => NOT_FOUND.to_owned(),
                _ => format!("chromedriver exited ({status}) on {driver}"),
            });
        }
        std::thread::sleep(POLL);
    }
    Err(format!("{driver} not ready within {STARTUP:?}: {last}"))
}

/// Opens a session and returns its id.
fn open_session(agent: &ureq::Agent, driver: &str, profile: &Path) -> Result<String, CallError> {
    let args = vec![
        "--headless=new".to_owned(),
        // CI runs as root, where Chromium's sandbox cannot start.
        "--no-sandbox".to_owned(),
        // Docker's 64 MB /dev/shm is too small for renderers; /tmp does instead.
        "--disable-dev-shm-usage".to_owned(),
        "--window-size=1280,900".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        // Pages in English whatever the machine's locale; tests reach only loopback.
        "--lang=en-US".to_owned(),
        "--no-proxy-server".to_owned(),
        "--no-first-run".to_owned(),
        "--no-default-browser-check".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--password-store=basic".to_owned(),
    ];
    let mut options = json!({ "args": args });
    // Debian's chromedriver finds /usr/bin/chromium itself; naming it makes a missing
    // browser an error about the browser.
    if let Some(chromium) = find_on_path("chromium") {
        options["binary"] = json!(chromium);
    }
    let millis = u64::try_from(PAGE_LOAD.as_millis()).unwrap_or(u64::MAX);
    let capabilities = json!({
        "capabilities": {
            "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": options,
                "pageLoadStrategy": "normal",
                "timeouts": { "pageLoad": millis, "script": millis, "implicit": 0 },
            }
        }
    });
    let value = call(
        agent,
        "POST",
        &format!("{driver}/session"),
        Some(capabilities),
    )?;
    value
        .get("sessionId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| CallError::Transport(format!("no sessionId in {value}")))
}

/// One WebDriver call: the `value` of the JSON answer, or its W3C error.
fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> Result<Value, CallError> {
    let request = agent.request(method, url);
    let response = match body {
        Some(body) => request
            .set("Content-Type", "application/json; charset=utf-8")
            .send_string(&body.to_string()),
        None => request.call(),
    };
    let (status, response) = match response {
        Ok(response) => (response.status(), response),
        Err(ureq::Error::Status(status, response)) => (status, response),
        Err(ureq::Error::Transport(e)) => {
            return Err(CallError::Transport(format!("{method} {url}: {e}")))
        }
    };
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(MAX_BODY)
        .read_to_end(&mut bytes)
        .map_err(|e| CallError::Transport(format!("{method} {url}: reading the answer: {e}")))?;
    let mut answer: Value = serde_json::from_slice(&bytes).map_err(|e| {
        CallError::Transport(format!(
            "{method} {url}: {status} answer is not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        ))
    })?;
    let value = answer
        .get_mut("value")
        .map(Value::take)
        .unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return Ok(value);
    }
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Err(CallError::WebDriver {
        error: match field("error") {
            error if error.is_empty() => format!("HTTP {status}"),
            error => error,
        },
        message: field("message"),
    })
}

fn element_ref(element: &str) -> Value {
    json!({ ELEMENT_KEY: element })
}

fn cookie(value: &Value) -> Cookie {
    let text = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    let flag = |name: &str| value.get(name).and_then(Value::as_bool).unwrap_or(false);
    Cookie {
        name: text("name").unwrap_or_default(),
        value: text("value").unwrap_or_default(),
        path: text("path").unwrap_or_else(|| "/".to_owned()),
        domain: text("domain").unwrap_or_default(),
        secure: flag("secure"),
        http_only: flag("httpOnly"),
        same_site: text("sameSite"),
        expiry: value.get("expiry").and_then(Value::as_u64),
    }
}

/// Waits (bounded) for the watchdog to exit, which it does within half a second of
/// `chromedriver` exiting, after signalling what is left of its process group. Killing the
/// watchdog itself would skip that.
fn stop(watchdog: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !matches!(watchdog.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(POLL);
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The last lines of `chromedriver.log`, for a panic message.
fn log_tail(log: &Path) -> String {
    match std::fs::read_to_string(log) {
        Ok(text) if !text.trim().is_empty() => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            format!("\n--- {} ---\n{tail}", log.display())
        }
        _ => String::new(),
    }
}
