//! The container files (Dockerfile, docker-compose.yml, .dockerignore), checked without a
//! Docker engine: against each other, against the variables src/settings.rs documents (read
//! at test time, so new ones count at once), and against the built `ciam` binary, which runs
//! the command lines and the healthchecks that Docker would run.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_norway::Value;

use crate::support::server::{ciam, Server};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The directories of a Debian image's default PATH.
const DEFAULT_PATH: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

fn read(relative: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(relative))
        .unwrap_or_else(|error| panic!("{relative}: {error}"))
}

// ---- src/settings.rs ------------------------------------------------------------------

/// The `CIAM_*` variables the binary reads: the `` | `CIAM_…` | `` rows of the table in
/// src/settings.rs's module doc.
fn settings_variables() -> BTreeSet<String> {
    let names: BTreeSet<String> = read("src/settings.rs")
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("//!"))
        .filter_map(|line| line.trim().strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(name, _)| name.to_owned()))
        .filter(|name| name.starts_with("CIAM_"))
        .collect();
    for expected in ["CIAM_LISTEN", "CIAM_DATABASE_URL", "CIAM_REDIS_URL"] {
        assert!(
            names.contains(expected),
            "the doc table of src/settings.rs lost {expected}; parsed: {names:?}"
        );
    }
    names
}

// ---- docker-compose.yml ---------------------------------------------------------------

fn compose() -> Value {
    serde_norway::from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML")
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    compose
        .get("services")
        .and_then(|services| services.get(name))
        .unwrap_or_else(|| panic!("docker-compose.yml has no service {name}"))
}

/// A YAML scalar as the text Compose would pass on.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => String::new(),
        other => panic!("expected a scalar, found {other:?}"),
    }
}

/// A command-like value: a list, or a string split on whitespace.
fn words(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().map(scalar).collect(),
        Value::String(text) => text.split_whitespace().map(str::to_owned).collect(),
        other => panic!("expected a command, found {other:?}"),
    }
}

/// `environment:` in either form (mapping, or a list of `KEY=value`).
fn environment(service: &Value) -> BTreeMap<String, String> {
    let env: BTreeMap<String, String> = match service.get("environment") {
        None => BTreeMap::new(),
        Some(Value::Mapping(map)) => map
            .iter()
            .map(|(key, value)| (scalar(key), scalar(value)))
            .collect(),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|item| {
                let item = scalar(item);
                match item.split_once('=') {
                    Some((key, value)) => (key.to_owned(), value.to_owned()),
                    None => (item, String::new()),
                }
            })
            .collect(),
        Some(other) => panic!("environment: expected a mapping or a list, found {other:?}"),
    };
    for (key, value) in &env {
        assert!(
            !value.contains('$'),
            "{key}: interpolation is not modelled by this test: {value}"
        );
    }
    env
}

fn env_var<'a>(env: &'a BTreeMap<String, String>, key: &str) -> &'a str {
    env.get(key)
        .unwrap_or_else(|| panic!("{key} is not set: {env:?}"))
}

/// The (published, container) port pairs of `ports:`, short or long syntax.
fn ports(service: &Value) -> Vec<(Option<u16>, u16)> {
    let Some(Value::Sequence(items)) = service.get("ports") else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| match item {
            Value::Mapping(_) => {
                let target = item.get("target").map(scalar).expect("ports: target");
                let published = item.get("published").map(scalar);
                (
                    published.map(|p| p.parse().expect("published port")),
                    target.parse().expect("target port"),
                )
            }
            short => {
                let short = scalar(short);
                let mapping = short.split('/').next().unwrap_or_default();
                let mut parts = mapping.rsplit(':');
                let container = parts
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .expect("container port");
                let published = parts.next().map(|p| p.parse().expect("published port"));
                (published, container)
            }
        })
        .collect()
}

/// The argv of a service's healthcheck (`CMD-SHELL` and plain strings run under `sh -c`).
fn healthcheck(service: &Value, name: &str) -> Vec<String> {
    let check = service
        .get("healthcheck")
        .unwrap_or_else(|| panic!("{name} has no healthcheck"));
    assert_ne!(
        check.get("disable").and_then(Value::as_bool),
        Some(true),
        "{name}'s healthcheck is disabled"
    );
    let test = check
        .get("test")
        .unwrap_or_else(|| panic!("{name}'s healthcheck has no test"));
    match test {
        Value::String(shell) => vec!["sh".into(), "-c".into(), shell.clone()],
        Value::Sequence(_) => {
            let argv = words(test);
            match argv.split_first() {
                Some((kind, rest)) if kind == "CMD" => rest.to_vec(),
                Some((kind, rest)) if kind == "CMD-SHELL" => {
                    vec!["sh".into(), "-c".into(), rest.join(" ")]
                }
                _ => panic!("{name}'s healthcheck test must start with CMD or CMD-SHELL: {argv:?}"),
            }
        }
        other => panic!("{name}'s healthcheck test: {other:?}"),
    }
}

/// `scheme://user:password@host:port/path`, enough for the URLs ciam takes.
#[derive(Debug)]
struct Url {
    scheme: String,
    user: String,
    password: String,
    host: String,
    port: Option<u16>,
    path: String,
}

fn parse_url(url: &str) -> Url {
    let (scheme, rest) = url
        .split_once("://")
        .unwrap_or_else(|| panic!("not a URL: {url}"));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) => (
            host,
            Some(port.parse().unwrap_or_else(|_| panic!("port of {url}"))),
        ),
        None => (hostport, None),
    };
    assert!(
        !url.contains('%'),
        "percent-encoding is not modelled by this test: {url}"
    );
    Url {
        scheme: scheme.to_owned(),
        user: user.to_owned(),
        password: password.to_owned(),
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    }
}

/// `host:port` of CIAM_LISTEN.
fn listen(env: &BTreeMap<String, String>) -> (String, u16) {
    let listen = env_var(env, "CIAM_LISTEN");
    let (host, port) = listen
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("CIAM_LISTEN {listen} has no port"));
    (
        host.to_owned(),
        port.parse()
            .unwrap_or_else(|_| panic!("CIAM_LISTEN {listen}: port")),
    )
}

// ---- Dockerfile -----------------------------------------------------------------------

#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

#[derive(Debug)]
struct Stage {
    image: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

impl Stage {
    fn all<'a>(&'a self, keyword: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        let keyword = keyword.to_owned();
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
            .map(|i| i.args.as_str())
    }

    fn last(&self, keyword: &str) -> Option<&str> {
        self.all(keyword).last()
    }

    /// Every RUN of the stage, as one text.
    fn runs(&self) -> String {
        self.all("RUN").collect::<Vec<_>>().join("\n")
    }

    /// `ENV` values (`KEY=value` or the old `KEY value` form).
    fn env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for args in self.all("ENV") {
            if let Some((key, value)) = args
                .split_once(char::is_whitespace)
                .filter(|(key, _)| !key.contains('='))
            {
                env.insert(key.to_owned(), value.trim().to_owned());
            } else {
                for pair in args.split_whitespace() {
                    let (key, value) = pair.split_once('=').unwrap_or_else(|| panic!("ENV {args}"));
                    env.insert(key.to_owned(), value.trim_matches('"').to_owned());
                }
            }
        }
        env
    }
}

/// The Dockerfile's stages: comments dropped, continuation lines joined.
fn dockerfile() -> Vec<Stage> {
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in read("Dockerfile").lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(continued) => {
                current.push_str(continued);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    assert!(
        current.trim().is_empty(),
        "the Dockerfile ends in a continuation line"
    );

    let mut stages: Vec<Stage> = Vec::new();
    for line in logical {
        let (keyword, args) = line
            .split_once(char::is_whitespace)
            .unwrap_or((line.as_str(), ""));
        let keyword = keyword.to_ascii_uppercase();
        let args = args.trim().to_owned();
        if keyword == "FROM" {
            let words: Vec<&str> = args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some((*name).to_owned()),
                _ => None,
            };
            let image = words
                .first()
                .map(|image| (*image).to_owned())
                .expect("FROM names an image");
            stages.push(Stage {
                image,
                name,
                instructions: Vec::new(),
            });
        } else {
            let stage = stages
                .last_mut()
                .unwrap_or_else(|| panic!("{keyword} before the first FROM"));
            stage.instructions.push(Instruction { keyword, args });
        }
    }
    assert!(!stages.is_empty(), "the Dockerfile has no FROM");
    stages
}

/// A command in exec form (a JSON array) or shell form.
fn command_form(args: &str) -> Vec<String> {
    if args.starts_with('[') {
        serde_json::from_str(args).unwrap_or_else(|error| panic!("exec form {args}: {error}"))
    } else {
        vec!["/bin/sh".into(), "-c".into(), args.to_owned()]
    }
}

#[derive(Debug)]
struct CopyInstruction {
    from: Option<String>,
    sources: Vec<String>,
    destination: String,
}

fn copies(stage: &Stage) -> Vec<CopyInstruction> {
    stage
        .instructions
        .iter()
        .filter(|i| i.keyword == "COPY" || i.keyword == "ADD")
        .map(|i| {
            let mut from = None;
            let mut rest = i.args.as_str();
            while let Some(flagged) = rest.strip_prefix("--") {
                let (flag, after) = flagged
                    .split_once(char::is_whitespace)
                    .unwrap_or((flagged, ""));
                if let Some(stage) = flag.strip_prefix("from=") {
                    from = Some(stage.to_owned());
                }
                rest = after.trim_start();
            }
            let mut paths = if rest.starts_with('[') {
                serde_json::from_str::<Vec<String>>(rest)
                    .unwrap_or_else(|error| panic!("COPY {rest}: {error}"))
            } else {
                rest.split_whitespace().map(str::to_owned).collect()
            };
            let destination = paths
                .pop()
                .unwrap_or_else(|| panic!("COPY {} has no destination", i.args));
            assert!(!paths.is_empty(), "COPY {} has no source", i.args);
            CopyInstruction {
                from,
                sources: paths,
                destination,
            }
        })
        .collect()
}

/// The runtime image: the last stage.
fn runtime(stages: &[Stage]) -> &Stage {
    stages.last().expect("a stage")
}

/// The argv of the image's HEALTHCHECK.
fn image_healthcheck(stage: &Stage) -> Vec<String> {
    let mut rest = stage
        .last("HEALTHCHECK")
        .expect("the runtime stage has a HEALTHCHECK")
        .trim_start();
    while rest.starts_with("--") {
        rest = rest
            .split_once(char::is_whitespace)
            .map(|(_, after)| after.trim_start())
            .unwrap_or_default();
    }
    let command = rest
        .strip_prefix("CMD")
        .unwrap_or_else(|| panic!("HEALTHCHECK must be CMD …: {rest}"));
    command_form(command.trim())
}

/// Where the image installs files it copies from other stages: absolute path → source.
fn installed(stage: &Stage) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for copy in copies(stage).into_iter().filter(|copy| copy.from.is_some()) {
        for source in &copy.sources {
            let target = if copy.destination.ends_with('/') {
                let name = source.rsplit('/').next().unwrap_or(source);
                format!("{}{name}", copy.destination)
            } else {
                copy.destination.clone()
            };
            files.insert(target, source.clone());
        }
    }
    files
}

/// The argv Compose runs for `service`: `run_args` given for `docker compose run SERVICE
/// run_args…`, else `docker compose up`. An `entrypoint:` in Compose replaces the image's
/// ENTRYPOINT and drops its CMD; `command:` and `run` arguments replace CMD.
fn compose_argv(service: &Value, image: &Stage, run_args: Option<&[&str]>) -> Vec<String> {
    let (entrypoint, default_command) = match service.get("entrypoint") {
        Some(entrypoint) => (words(entrypoint), Vec::new()),
        None => (
            image
                .last("ENTRYPOINT")
                .map(command_form)
                .unwrap_or_default(),
            image.last("CMD").map(command_form).unwrap_or_default(),
        ),
    };
    let command = match run_args {
        Some(args) => args.iter().map(|arg| (*arg).to_owned()).collect(),
        None => service.get("command").map(words).unwrap_or(default_command),
    };
    entrypoint.into_iter().chain(command).collect()
}

/// Runs `argv` with `env` for at most 10 s; whether it exited 0.
fn succeeds(argv: &[String], env: &[(&str, &str)]) -> bool {
    let (program, args) = argv.split_first().expect("a program");
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("{argv:?}: {error}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.success();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---- the checks -----------------------------------------------------------------------

#[test]
fn ciam_starts_after_healthy_postgres_and_redis() {
    let compose = compose();
    for name in ["postgres", "redis", "ciam"] {
        service(&compose, name);
    }
    let ciam = service(&compose, "ciam");
    assert!(
        ciam.get("build").is_some(),
        "the ciam service builds the Dockerfile"
    );
    for dependency in ["postgres", "redis"] {
        let condition = ciam
            .get("depends_on")
            .and_then(|depends_on| depends_on.get(dependency))
            .and_then(|entry| entry.get("condition"))
            .and_then(Value::as_str);
        assert_eq!(
            condition,
            Some("service_healthy"),
            "ciam must wait for {dependency} to be healthy"
        );
    }
    assert_eq!(
        ciam.get("restart").and_then(Value::as_str),
        Some("unless-stopped")
    );
}

#[test]
fn every_ciam_variable_set_is_one_the_binary_reads() {
    let known = settings_variables();
    let compose = compose();
    let image = dockerfile();
    let set = environment(service(&compose, "ciam"))
        .into_keys()
        .chain(runtime(&image).env().into_keys());
    let unknown: Vec<String> = set
        .filter(|key| key.starts_with("CIAM_") && !known.contains(key))
        .collect();
    assert!(
        unknown.is_empty(),
        "not read by ciam (see src/settings.rs): {unknown:?}; known: {known:?}"
    );
}

#[test]
fn ciam_listens_on_all_interfaces_on_the_published_port() {
    let compose = compose();
    let ciam = service(&compose, "ciam");
    let env = environment(ciam);
    let (host, port) = listen(&env);
    assert!(
        ["0.0.0.0", "[::]"].contains(&host.as_str()),
        "in a container ciam must bind every interface, not {host}"
    );
    let published: Vec<(Option<u16>, u16)> = ports(ciam)
        .into_iter()
        .filter(|(_, container)| *container == port)
        .collect();
    assert!(
        !published.is_empty(),
        "CIAM_LISTEN's port {port} is not the container side of ciam's ports: {:?}",
        ports(ciam)
    );

    // The issuer is what clients outside reach: the published side.
    let issuer = parse_url(env_var(&env, "CIAM_ISSUER"));
    let host_port = published[0].0.unwrap_or(port);
    assert_eq!(
        issuer.port.unwrap_or(80),
        host_port,
        "CIAM_ISSUER must use the published port"
    );

    let image = dockerfile();
    let runtime = runtime(&image);
    let image_env = runtime.env();
    let image_listen = listen(&image_env);
    assert_eq!(
        image_listen.0, "0.0.0.0",
        "the image's CIAM_LISTEN must bind every interface"
    );
    let exposed: Vec<&str> = runtime
        .all("EXPOSE")
        .flat_map(str::split_whitespace)
        .collect();
    assert!(
        exposed.contains(&image_listen.1.to_string().as_str()),
        "EXPOSE {exposed:?} lacks CIAM_LISTEN's port {}",
        image_listen.1
    );
}

#[test]
fn the_database_url_names_the_postgres_service_and_its_credentials() {
    let compose = compose();
    let postgres = environment(service(&compose, "postgres"));
    let url = parse_url(env_var(
        &environment(service(&compose, "ciam")),
        "CIAM_DATABASE_URL",
    ));
    assert!(
        ["postgres", "postgresql"].contains(&url.scheme.as_str()),
        "{url:?}"
    );
    assert_eq!(url.host, "postgres", "the host is the postgres service");
    assert_eq!(
        url.port.unwrap_or(5432),
        5432,
        "postgres:15 listens on 5432"
    );
    let user = env_var(&postgres, "POSTGRES_USER");
    assert_eq!(url.user, user);
    assert_eq!(url.password, env_var(&postgres, "POSTGRES_PASSWORD"));
    // The image's default database is named after the user when POSTGRES_DB is unset.
    let database = postgres.get("POSTGRES_DB").map_or(user, String::as_str);
    assert_eq!(url.path, database);
}

#[test]
fn the_redis_url_names_the_redis_service() {
    let compose = compose();
    let url = parse_url(env_var(
        &environment(service(&compose, "ciam")),
        "CIAM_REDIS_URL",
    ));
    assert_eq!(url.scheme, "redis");
    assert_eq!(url.host, "redis", "the host is the redis service");
    assert_eq!(url.port.unwrap_or(6379), 6379, "redis:7 listens on 6379");
}

#[test]
fn every_service_has_a_healthcheck_and_ciam_checks_readyz() {
    let compose = compose();
    let services = compose
        .get("services")
        .and_then(Value::as_mapping)
        .expect("services");
    for name in services.keys().map(scalar) {
        healthcheck(service(&compose, &name), &name);
    }
    let ciam = service(&compose, "ciam");
    let (_, port) = listen(&environment(ciam));
    let check = healthcheck(ciam, "ciam").join(" ");
    assert!(
        check.contains("/readyz"),
        "ciam's healthcheck must ask /readyz: {check}"
    );
    assert!(
        check.contains(&format!("/{port}")) || check.contains(&format!(":{port}")),
        "ciam's healthcheck must use the listen port {port}: {check}"
    );

    let image = dockerfile();
    let runtime = runtime(&image);
    let image_check = image_healthcheck(runtime).join(" ");
    assert!(
        image_check.contains("/readyz"),
        "the image's HEALTHCHECK must ask /readyz: {image_check}"
    );
    // Neither image has curl or wget unless the runtime stage installs it.
    for tool in ["curl", "wget"] {
        for check in [&check, &image_check] {
            assert!(
                !check.contains(tool) || runtime.runs().contains(tool),
                "{tool} is used but not installed: {check}"
            );
        }
    }
}

/// A loopback server that is up but not ready: 503 for `/readyz`, 200 for any other path.
/// Answers `connections` connections, then stops. Returns its port.
fn not_ready_server(connections: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("local address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0_u8; 1024];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            let status = if request.starts_with(b"GET /readyz ") {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            let response =
                format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

/// The healthchecks run as Docker would run them: against a real `ciam serve`, against
/// nothing, and against a server that is up but not ready.
#[test]
fn the_ciam_healthchecks_pass_only_when_ciam_is_ready() {
    let compose = compose();
    let ciam = service(&compose, "ciam");
    let (_, compose_port) = listen(&environment(ciam));
    let image = dockerfile();
    let checks = [
        healthcheck(ciam, "ciam"),
        image_healthcheck(runtime(&image)),
    ];
    // The compose check names its port, the image's reads CIAM_LISTEN: point both at `port`.
    let passes = |check: &Vec<String>, port: &str| -> bool {
        let argv: Vec<String> = check
            .iter()
            .map(|arg| {
                arg.replace(&format!("/{compose_port}"), &format!("/{port}"))
                    .replace(&format!(":{compose_port}"), &format!(":{port}"))
            })
            .collect();
        succeeds(&argv, &[("CIAM_LISTEN", &format!("0.0.0.0:{port}"))])
    };

    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &[]);
    let port = server
        .base_url
        .rsplit(':')
        .next()
        .expect("a port")
        .to_owned();
    for check in &checks {
        assert!(
            passes(check, &port),
            "healthcheck fails on a ready server: {check:?}"
        );
    }
    drop(server);
    for check in &checks {
        assert!(
            !passes(check, &port),
            "healthcheck passes with no server: {check:?}"
        );
    }
    let not_ready = not_ready_server(checks.len()).to_string();
    for check in &checks {
        assert!(
            !passes(check, &not_ready),
            "healthcheck passes when /readyz answers 503: {check:?}"
        );
    }
}

#[test]
fn postgres_keeps_its_data_in_a_named_volume() {
    let compose = compose();
    let volumes = service(&compose, "postgres")
        .get("volumes")
        .and_then(Value::as_sequence)
        .expect("postgres has volumes");
    let data = volumes
        .iter()
        .map(|volume| match volume {
            Value::Mapping(_) => (
                volume.get("source").map(scalar).unwrap_or_default(),
                volume.get("target").map(scalar).unwrap_or_default(),
            ),
            short => {
                let short = scalar(short);
                let mut parts = short.split(':');
                (
                    parts.next().unwrap_or_default().to_owned(),
                    parts.next().unwrap_or_default().to_owned(),
                )
            }
        })
        .find(|(_, target)| target == "/var/lib/postgresql/data")
        .expect("a volume on /var/lib/postgresql/data (postgres:15's PGDATA)");
    let source = data.0;
    assert!(
        !source.is_empty() && !source.starts_with(['.', '/', '~']),
        "{source} is a bind mount, not a named volume"
    );
    let declared = compose
        .get("volumes")
        .and_then(Value::as_mapping)
        .expect("top-level volumes");
    assert!(
        declared.contains_key(source.as_str()),
        "volume {source} is not declared in the top-level volumes"
    );
}

#[test]
fn the_image_runs_as_a_non_root_user_in_a_directory_it_owns() {
    let image = dockerfile();
    let runtime = runtime(&image);
    let user = runtime.last("USER").expect("the runtime stage sets USER");
    let name = user.split(':').next().unwrap_or_default();
    assert!(!name.is_empty() && name != "root", "USER {user} is root");
    if let Ok(uid) = name.parse::<u32>() {
        assert_ne!(uid, 0, "USER {user} is root");
        assert!(
            runtime.runs().contains(&format!("--uid {uid}")),
            "uid {uid} is not created in the runtime stage"
        );
    }
    let workdir = runtime
        .last("WORKDIR")
        .expect("the runtime stage sets WORKDIR");
    assert_ne!(workdir, "/");
    let runs = runtime.runs();
    assert!(
        runs.contains(workdir) && (runs.contains("--create-home") || runs.contains("chown")),
        "WORKDIR {workdir} must be created for the user (useradd --create-home or chown)"
    );
}

/// `docker compose up` runs `ciam serve`; `docker compose run ciam ciam client create …`
/// runs `ciam client create …`, with the `ciam` the image installs on PATH.
#[test]
fn compose_up_and_run_resolve_to_ciam_subcommands() {
    let compose = compose();
    let ciam_service = service(&compose, "ciam");
    let image = dockerfile();
    let runtime = runtime(&image);
    let installed = installed(runtime);
    let resolves_to_ciam = |program: &str| -> bool {
        let candidates: Vec<String> = if program.contains('/') {
            vec![program.to_owned()]
        } else {
            DEFAULT_PATH
                .iter()
                .map(|dir| format!("{dir}/{program}"))
                .collect()
        };
        let path = candidates.iter().find(|path| installed.contains_key(*path));
        path.and_then(|path| installed.get(path))
            .is_some_and(|source| source.ends_with("/ciam"))
    };
    if let Some(path) = runtime.env().get("PATH") {
        panic!("the runtime stage changes PATH ({path}): update DEFAULT_PATH here");
    }

    let create = [
        "ciam",
        "client",
        "create",
        "--name",
        "x",
        "--grant-type",
        "client_credentials",
    ];
    let run = compose_argv(ciam_service, runtime, Some(&create));
    assert!(resolves_to_ciam(&run[0]), "`docker compose run ciam ciam client create …` runs {run:?}, not the ciam binary; installed: {installed:?}");
    let args: Vec<&str> = run[1..].iter().map(String::as_str).collect();
    assert_eq!(
        args,
        &create[1..],
        "`docker compose run ciam ciam client create …` runs {run:?}"
    );
    // The same arguments, given to the real binary.
    let dir = tempfile::tempdir().expect("temp dir");
    let output = ciam(dir.path(), &[], &args, "");
    assert!(
        output.status.success(),
        "ciam {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let client: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(client["client_id"].is_string(), "{client}");

    let up = compose_argv(ciam_service, runtime, None);
    assert!(
        resolves_to_ciam(&up[0]),
        "`docker compose up` runs {up:?}, not the ciam binary"
    );
    assert_eq!(up[1..], ["serve"], "`docker compose up` runs {up:?}");
    let help = ciam(dir.path(), &[], &["serve", "--help"], "");
    assert!(
        help.status.success(),
        "`ciam serve` is not a command: {}",
        String::from_utf8_lossy(&help.stderr)
    );

    let builders: BTreeSet<String> = copies(runtime)
        .into_iter()
        .filter_map(|copy| copy.from)
        .collect();
    let builder = image
        .iter()
        .find(|stage| {
            stage
                .name
                .as_ref()
                .is_some_and(|name| builders.contains(name))
        })
        .expect("the runtime stage copies from a named builder stage");
    assert!(
        builder
            .runs()
            .contains("cargo build --release --locked --bin ciam"),
        "the builder builds the release ciam from Cargo.lock"
    );
}

#[test]
fn the_build_copies_files_that_exist_and_are_in_the_context() {
    let image = dockerfile();
    let sources: Vec<String> = image
        .iter()
        .flat_map(copies)
        .filter(|copy| copy.from.is_none())
        .flat_map(|copy| copy.sources)
        .map(|source| {
            source
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_owned()
        })
        .collect();
    for source in &sources {
        assert!(
            !source.contains(['*', '?', '[']),
            "COPY {source}: wildcards are not modelled by this test"
        );
        assert!(
            Path::new(ROOT).join(source).exists(),
            "the Dockerfile copies {source}, which does not exist"
        );
    }

    // The dependency layer needs every workspace member's manifest; the store embeds the
    // migrations at compile time.
    let mut expected = vec![
        "Cargo.toml".to_owned(),
        "Cargo.lock".to_owned(),
        "migrations".to_owned(),
    ];
    for entry in std::fs::read_dir(Path::new(ROOT).join("crates")).expect("crates/") {
        let entry = entry.expect("a crates/ entry");
        if entry.path().join("Cargo.toml").exists() {
            expected.push(format!(
                "crates/{}/Cargo.toml",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    for file in &expected {
        assert!(
            sources.contains(file),
            "the Dockerfile does not COPY {file}"
        );
    }

    let ignored: BTreeSet<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            line.trim_start_matches('/')
                .trim_end_matches('/')
                .to_owned()
        })
        .collect();
    for required in ["target", ".git", "*.db"] {
        assert!(
            ignored.contains(required),
            ".dockerignore must exclude {required}"
        );
    }
    for pattern in ignored.iter().filter(|p| !p.contains(['*', '?', '[', '!'])) {
        for source in &sources {
            assert!(
                source != pattern && !source.starts_with(&format!("{pattern}/")),
                ".dockerignore's {pattern} hides {source}"
            );
        }
    }
}

/// The dependency layer builds from the manifests and stub `src/` files only. Cargo accepts a
/// declared target whose file is missing as long as its `path` is explicit (it is then only
/// read when that target is built), but refuses the whole manifest when it has to infer the
/// path of a target from a file that is not there.
#[test]
fn every_declared_target_names_its_path_for_the_dependency_layer() {
    let mut manifests = vec!["Cargo.toml".to_owned()];
    for entry in std::fs::read_dir(Path::new(ROOT).join("crates")).expect("crates/") {
        let entry = entry.expect("a crates/ entry");
        if entry.path().join("Cargo.toml").exists() {
            manifests.push(format!(
                "crates/{}/Cargo.toml",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    for manifest in &manifests {
        let parsed: toml::Table = read(manifest)
            .parse()
            .unwrap_or_else(|e| panic!("{manifest}: {e}"));
        for kind in ["bin", "test", "bench", "example"] {
            let Some(targets) = parsed.get(kind).and_then(toml::Value::as_array) else {
                continue;
            };
            for target in targets {
                let name = target.get("name").and_then(toml::Value::as_str);
                assert!(
                    target.get("path").is_some(),
                    "{manifest}: [[{kind}]] {name:?} has no `path`, so the Dockerfile's \
                     dependency layer (manifests and stub sources only) cannot build"
                );
            }
        }
    }
}

#[test]
fn the_runtime_image_has_the_libraries_the_builder_linked() {
    let image = dockerfile();
    let runtime = runtime(&image);
    let runs = runtime.runs();
    for package in ["libpq5", "libsqlite3-0", "ca-certificates"] {
        assert!(
            runs.contains(package),
            "the runtime stage does not install {package}"
        );
    }
    // Same Debian release in both stages, so the libraries match the ones linked.
    let codename = runtime
        .image
        .strip_prefix("debian:")
        .and_then(|tag| tag.split('-').next())
        .unwrap_or_else(|| {
            panic!(
                "the runtime image is not debian:<release>: {}",
                runtime.image
            )
        });
    for stage in &image[..image.len() - 1] {
        assert!(
            stage.image.contains(codename),
            "stage {:?} ({}) is not on Debian {codename}",
            stage.name,
            stage.image
        );
    }
}
