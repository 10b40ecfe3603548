//! Services the tests talk to: PostgreSQL, MySQL, MariaDB, Redis, MongoDB and RabbitMQ, where
//! the repository shows them. Runs after the language ecosystems.
//!
//! Sources, strongest first; for each kind the first source that names it wins, and later ones
//! only fill settings it left open:
//!
//! - Compose files (`compose*.yaml`, `docker-compose*.yml`; test and CI variants first): a
//!   service whose image is `postgres`, `postgis/postgis`, `mysql`, `mariadb`, `redis`,
//!   `valkey/valkey`, `mongo` or `rabbitmq` (or, built from a Dockerfile, whose name is one of
//!   the kinds), with the image tag's version and the database, user and password from its
//!   `environment` and `env_file` (`POSTGRES_DB`, `MYSQL_USER` …), so the app's own settings
//!   work against the CI container;
//! - Rails `config/database.yml` (or the template a repository commits instead:
//!   `database.ci.yml`, `database.example.yml`, `database.yml.example` …): the `test` section's `adapter` (`postgresql`, `postgis`,
//!   `mysql2`, `trilogy`) and `database`, `username`, `password`;
//! - Django: the settings module `manage.py` names, the `test` settings beside it, and the
//!   modules they import with `from .base import *`: a `django.db.backends.postgresql`,
//!   `mysql` or PostGIS engine, or a `postgres://`, `mysql://`, `redis://` URL;
//! - `.env.example` (and `.env.sample`, `.env.dist`, `.env.template`, `.env.test`, `.env.ci`):
//!   Laravel's `DB_CONNECTION` (`pgsql`, `mysql`, `mariadb`; not when `phpunit.xml` switches
//!   the tests to SQLite) with `DB_DATABASE`, `DB_USERNAME`, `DB_PASSWORD`, and a
//!   `DATABASE_URL` or `REDIS_URL`.
//!
//! Tests that use Testcontainers start their own containers: a manifest that depends on it
//! (`org.testcontainers`, `testcontainers`, `@testcontainers/*`, `testcontainers-go`) is
//! recorded, and no service is proposed for the repository.
//!
//! Values are only taken when they are plain words (`[A-Za-z0-9_.-]`); anything else
//! (`${POSTGRES_PASSWORD}`, ERB, an empty password) leaves the default in place.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Scan, dir_of, file_name, join, normalize};
use crate::config::{Image, ServiceKind, ServiceSettings, ToolVersion, Word};

/// A service the repository's tests appear to need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DetectedService {
    /// Which service (`postgres`).
    pub kind: ServiceKind,
    /// The version, image, database, user and password the repository names.
    #[serde(flatten)]
    pub settings: ServiceSettings,
    /// The file it was found in, relative to the root.
    pub from: String,
}

/// The `.env` templates read for `DB_CONNECTION`, `DATABASE_URL` and `REDIS_URL`.
const ENV_TEMPLATES: &[&str] = &[
    ".env.example",
    ".env.sample",
    ".env.dist",
    ".env.template",
    ".env.test",
    ".env.ci",
];

/// Rails database configs, the real one first: many applications commit only a template (or
/// the one their CI copies into place).
const RAILS_DATABASE: &[&str] = &[
    "database.yml",
    "database.ci.yml",
    "database.yml.ci",
    "database.example.yml",
    "database.yml.example",
    "database.sample.yml",
    "database.yml.sample",
];

/// True for file names this module reads (Compose files, manifests and `manage.py` are kept
/// for their own ecosystems).
pub fn interesting(file_name: &str) -> bool {
    RAILS_DATABASE.contains(&file_name) || ENV_TEMPLATES.contains(&file_name)
}

/// Reads the sources and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    let mut found: Vec<DetectedService> = Vec::new();

    let mut compose: Vec<&str> = index.matching(super::docker::is_compose).collect();
    compose.sort_by_key(|rel| {
        let name = file_name(rel);
        let for_tests = name.contains("test") || name.contains(".ci.");
        (!for_tests, super::depth(dir_of(rel)), rel.to_owned())
    });
    for rel in compose {
        // A malformed file was already reported by the docker module.
        let Ok(text) = index.read(rel) else { continue };
        for (kind, settings) in from_compose(&text, |env_file| {
            let path = normalize(&join(dir_of(rel), env_file))?;
            index.read(&path).ok()
        }) {
            add(&mut found, kind, settings, rel);
        }
    }

    for name in RAILS_DATABASE {
        for rel in index.named(name) {
            if !(dir_of(rel) == "config" || dir_of(rel).ends_with("/config")) {
                continue;
            }
            let Some(text) = scan.read(rel) else { continue };
            if let Some((kind, settings)) = from_rails(&text) {
                add(&mut found, kind, settings, rel);
            }
        }
    }

    for rel in index.named("manage.py") {
        for (kind, settings, file) in from_django(scan, rel) {
            add(&mut found, kind, settings, &file);
        }
    }

    for name in ENV_TEMPLATES {
        for rel in index.named(name) {
            let Some(text) = scan.read(rel) else { continue };
            let dir = dir_of(rel);
            let sqlite_tests = ["phpunit.xml", "phpunit.xml.dist", "phpunit.dist.xml"]
                .iter()
                .filter_map(|p| index.read(&join(dir, p)).ok())
                .any(|t| phpunit_uses_sqlite(&t));
            for (kind, settings) in from_env_file(&text, sqlite_tests) {
                add(&mut found, kind, settings, rel);
            }
        }
    }

    let mut users: Vec<String> = Vec::new();
    for rel in index.files() {
        let name = file_name(rel);
        let manifest = matches!(
            name,
            "pom.xml"
                | "build.gradle"
                | "build.gradle.kts"
                | "package.json"
                | "pyproject.toml"
                | "go.mod"
                | "Gemfile"
                | "Cargo.toml"
                | "composer.json"
        ) || (name.starts_with("requirements") && name.ends_with(".txt"))
            || name.ends_with(".csproj");
        if manifest
            && let Ok(text) = index.read(rel)
            && uses_testcontainers(&text)
        {
            users.push(rel.clone());
        }
    }
    // Tests that start their own containers need none from the workflow.
    if users.is_empty() {
        found.sort_by_key(|s| s.kind);
        for s in found {
            scan.service(s);
        }
    }
    for rel in users {
        scan.testcontainers(&rel);
    }
}

fn add(found: &mut Vec<DetectedService>, kind: ServiceKind, settings: ServiceSettings, from: &str) {
    // MySQL and MariaDB share a port: the first one found stands for both.
    let same = |k: ServiceKind| {
        k == kind
            || (matches!(k, ServiceKind::Mysql | ServiceKind::Mariadb)
                && matches!(kind, ServiceKind::Mysql | ServiceKind::Mariadb))
    };
    if let Some(existing) = found.iter_mut().find(|s| same(s.kind)) {
        let e = &mut existing.settings;
        if existing.kind == kind {
            e.version = e.version.take().or(settings.version);
            e.image = e.image.take().or(settings.image);
        }
        e.database = e.database.take().or(settings.database);
        if e.user.is_none() && e.password.is_none() {
            e.user = settings.user;
            e.password = settings.password;
        }
        return;
    }
    found.push(DetectedService {
        kind,
        settings,
        from: from.to_owned(),
    });
}

/// True when a manifest depends on Testcontainers.
pub fn uses_testcontainers(text: &str) -> bool {
    text.contains("testcontainers") || text.contains("Testcontainers")
}

/// The kind of an image reference (`library/postgres:16` → postgres), with the version its tag
/// starts with and, for images other than the official one, the image itself.
fn image_kind(image: &str) -> Option<(ServiceKind, ServiceSettings)> {
    let image = image.split('@').next().unwrap_or(image);
    // The tag starts at the first `:` of the last segment (a registry may have a port, and a
    // tag may be `${VERSION:-16}`).
    let last = image.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match image[last..].find(':') {
        Some(i) => (&image[..last + i], Some(&image[last + i + 1..])),
        None => (image, None),
    };
    let path = path.strip_prefix("docker.io/").unwrap_or(path);
    let path = path.strip_prefix("library/").unwrap_or(path);
    let (kind, official) = match path {
        "postgres" => (ServiceKind::Postgres, true),
        "postgis/postgis" => (ServiceKind::Postgres, false),
        "mysql" | "mysql/mysql-server" => (ServiceKind::Mysql, path == "mysql"),
        "mariadb" => (ServiceKind::Mariadb, true),
        "redis" | "redis/redis-stack-server" => (ServiceKind::Redis, path == "redis"),
        "valkey/valkey" => (ServiceKind::Redis, false),
        "mongo" => (ServiceKind::Mongodb, true),
        "rabbitmq" => (ServiceKind::Rabbitmq, true),
        _ => return None,
    };
    let mut settings = ServiceSettings::default();
    if let Some(tag) = tag.filter(|t| !t.contains('$')) {
        if official {
            // `16-alpine` → 16, `7.2.4` → 7.2.4; `latest` and variants alone keep the default.
            let version: String = tag.split(['-', '_']).next().unwrap_or("").to_owned();
            if crate::config::is_version(&version)
                && !matches!(version.as_str(), "stable" | "beta" | "nightly")
            {
                settings.version = ToolVersion::try_from(version).ok();
            }
        } else {
            settings.image = Image::try_from(format!("{path}:{tag}")).ok();
        }
    }
    Some((kind, settings))
}

/// A scalar of a Compose file as text (`5432`, `true`, `app`); `None` for anything else.
fn scalar(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The services of a Compose file, with settings from `environment` and the `env_file`s
/// `read_env_file` returns (paths relative to the Compose file).
pub fn from_compose(
    text: &str,
    read_env_file: impl Fn(&str) -> Option<String>,
) -> Vec<(ServiceKind, ServiceSettings)> {
    // Read loosely, service by service: a key this reader does not know, or a value of an
    // unexpected shape, never hides the other services.
    let Ok(compose) = serde_saphyr::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let Some(services) = compose
        .get("services")
        .and_then(serde_json::Value::as_object)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut urls = Vec::new();
    for (name, service) in services {
        let name = name.as_str();
        let image = service.get("image").and_then(serde_json::Value::as_str);
        let found = match image.and_then(image_kind) {
            Some(found) => Some(found),
            None if service.get("build").is_some() || image.is_some() => ServiceKind::ALL
                .iter()
                .find(|k| k.as_str() == name || k.image() == name)
                .map(|k| (*k, ServiceSettings::default())),
            None => None,
        };
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        let files: Vec<String> = match service.get("env_file") {
            Some(serde_json::Value::String(p)) => vec![p.clone()],
            Some(serde_json::Value::Array(list)) => list
                .iter()
                .filter_map(|e| {
                    e.as_str()
                        .or_else(|| e.get("path")?.as_str())
                        .map(str::to_owned)
                })
                .collect(),
            _ => Vec::new(),
        };
        for f in files {
            if let Some(text) = read_env_file(&f) {
                vars.extend(env_lines(&text));
            }
        }
        match service.get("environment") {
            Some(serde_json::Value::Object(map)) => {
                for (k, v) in map {
                    if let Some(v) = scalar(v) {
                        vars.insert(k.clone(), v);
                    }
                }
            }
            Some(serde_json::Value::Array(list)) => {
                for item in list.iter().filter_map(serde_json::Value::as_str) {
                    if let Some((k, v)) = item.split_once('=') {
                        vars.insert(k.to_owned(), v.to_owned());
                    }
                }
            }
            _ => {}
        }
        let Some((kind, mut settings)) = found else {
            // An app service's own connection URLs name the database it expects (`db` is the
            // Compose host name; the tests use localhost).
            for key in ["DATABASE_URL", "REDIS_URL"] {
                if let Some(found) = vars.get(key).and_then(|u| from_url(u)) {
                    urls.push(found);
                }
            }
            continue;
        };
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| vars.get(*n).and_then(|v| Word::parse(v)))
        };
        match kind {
            ServiceKind::Postgres => {
                // The image names the database after the user when POSTGRES_DB is not set.
                settings.database = var(&["POSTGRES_DB", "POSTGRES_USER"]);
                settings.user = var(&["POSTGRES_USER"]);
                settings.password = var(&["POSTGRES_PASSWORD"]);
            }
            ServiceKind::Mysql | ServiceKind::Mariadb => {
                settings.database = var(&["MYSQL_DATABASE", "MARIADB_DATABASE"]);
                let user = var(&["MYSQL_USER", "MARIADB_USER"]);
                let password = var(&["MYSQL_PASSWORD", "MARIADB_PASSWORD"]);
                if user.is_some() && password.is_some() {
                    settings.user = user;
                    settings.password = password;
                } else if let Some(root) = var(&["MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD"]) {
                    settings.user = Word::parse("root");
                    settings.password = Some(root);
                }
            }
            ServiceKind::Mongodb => settings.database = var(&["MONGO_INITDB_DATABASE"]),
            ServiceKind::Rabbitmq => {
                settings.user = var(&["RABBITMQ_DEFAULT_USER"]);
                settings.password = var(&["RABBITMQ_DEFAULT_PASS"]);
            }
            ServiceKind::Redis => {}
        }
        if settings.user.is_some() != settings.password.is_some() {
            settings.user = None;
            settings.password = None;
        }
        out.push((kind, settings));
    }
    // After the containers themselves, so they only fill in what those leave open.
    out.extend(urls);
    out
}

/// `KEY=VALUE` lines of an env file; quotes around a value are removed, comments skipped.
fn env_lines(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            out.insert(k.trim().to_owned(), v.to_owned());
        }
    }
    out
}

/// The service a connection URL points at, with its database, user and password:
/// `postgres://app:secret@localhost:5432/app_dev`.
fn from_url(url: &str) -> Option<(ServiceKind, ServiceSettings)> {
    let (scheme, rest) = url.split_once("://")?;
    let kind = match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" | "postgis" | "pgsql" => ServiceKind::Postgres,
        "mysql" | "mysql2" | "trilogy" => ServiceKind::Mysql,
        "mariadb" => ServiceKind::Mariadb,
        "redis" | "rediss" => ServiceKind::Redis,
        "mongodb" => ServiceKind::Mongodb,
        "amqp" => ServiceKind::Rabbitmq,
        _ => return None,
    };
    let mut settings = ServiceSettings::default();
    let (auth, hostpath) = match rest.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, rest),
    };
    if let Some((user, password)) = auth.and_then(|a| a.split_once(':'))
        && let (Some(u), Some(p)) = (Word::parse(user), Word::parse(password))
    {
        settings.user = Some(u);
        settings.password = Some(p);
    }
    if kind.has_database()
        && let Some((_, path)) = hostpath.split_once('/')
    {
        let db = path.split(['?', '#']).next().unwrap_or("");
        settings.database = Word::parse(db);
    }
    Some((kind, settings))
}

/// Laravel's `DB_*` keys, and `DATABASE_URL` / `REDIS_URL`, of an env template.
/// `sqlite_tests`: the tests switch Laravel to SQLite (`phpunit.xml`), so `DB_CONNECTION` does
/// not count.
pub fn from_env_file(text: &str, sqlite_tests: bool) -> Vec<(ServiceKind, ServiceSettings)> {
    let vars = env_lines(text);
    let mut out = Vec::new();
    let connection = vars.get("DB_CONNECTION").map(|c| c.to_ascii_lowercase());
    let kind = match connection.as_deref() {
        Some("pgsql" | "postgres" | "postgresql") => Some(ServiceKind::Postgres),
        Some("mysql") => Some(ServiceKind::Mysql),
        Some("mariadb") => Some(ServiceKind::Mariadb),
        _ => None,
    };
    if let Some(kind) = kind.filter(|_| !sqlite_tests) {
        let word = |k: &str| vars.get(k).and_then(|v| Word::parse(v));
        let mut settings = ServiceSettings {
            database: word("DB_DATABASE"),
            user: word("DB_USERNAME"),
            password: word("DB_PASSWORD"),
            ..ServiceSettings::default()
        };
        if settings.user.is_some() != settings.password.is_some() {
            settings.user = None;
            settings.password = None;
        }
        out.push((kind, settings));
    }
    for key in ["DATABASE_URL", "REDIS_URL"] {
        if let Some(found) = vars.get(key).and_then(|u| from_url(u)) {
            out.push(found);
        }
    }
    out
}

/// True when a `phpunit.xml` sets `DB_CONNECTION` to `sqlite` for the tests.
fn phpunit_uses_sqlite(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        !l.starts_with("<!--")
            && l.contains("name=\"DB_CONNECTION\"")
            && l.contains("value=\"sqlite\"")
    })
}

/// The `test` database of a Rails `config/database.yml`.
pub fn from_rails(text: &str) -> Option<(ServiceKind, ServiceSettings)> {
    // Read line by line: the file is YAML with ERB (`<%= ENV.fetch(...) %>`), which a YAML
    // parser may refuse. Top-level sections hold `key: value` lines and `<<: *anchor` merges.
    let mut sections: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut anchors: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t']) {
            let Some((name, rest)) = line.split_once(':') else {
                current = None;
                continue;
            };
            let name = name.trim().to_owned();
            if let Some(anchor) = rest.trim().strip_prefix('&') {
                anchors.insert(anchor.trim().to_owned(), name.clone());
            }
            current = Some(name);
            continue;
        }
        let Some(section) = &current else { continue };
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        sections
            .entry(section.clone())
            .or_default()
            .push((key.trim().to_owned(), value.trim().to_owned()));
    }
    fn walk(
        section: &str,
        sections: &BTreeMap<String, Vec<(String, String)>>,
        anchors: &BTreeMap<String, String>,
        values: &mut BTreeMap<String, String>,
        depth: usize,
    ) {
        let Some(entries) = sections.get(section) else {
            return;
        };
        for (k, v) in entries {
            if k == "<<" {
                if depth < 4
                    && let Some(target) = v.strip_prefix('*').and_then(|a| anchors.get(a.trim()))
                {
                    walk(target, sections, anchors, values, depth + 1);
                }
            } else {
                values.insert(k.clone(), v.clone());
            }
        }
    }
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    walk("test", &sections, &anchors, &mut values, 0);
    let value = |k: &str| -> Option<String> {
        let v = values.get(k)?;
        let v = erb_default(v).unwrap_or_else(|| v.trim_matches(['"', '\'']).to_owned());
        Some(v)
    };
    let kind = match value("adapter").as_deref() {
        Some("postgresql" | "postgis") => ServiceKind::Postgres,
        Some("mysql2" | "trilogy") => ServiceKind::Mysql,
        _ => {
            // `url: postgres://…` without an adapter.
            return value("url").and_then(|u| from_url(&u));
        }
    };
    let word = |k: &str| value(k).and_then(|v| Word::parse(&v));
    let mut settings = ServiceSettings {
        database: word("database"),
        user: word("username"),
        password: word("password"),
        ..ServiceSettings::default()
    };
    if settings.user.is_some() != settings.password.is_some() {
        settings.user = None;
        settings.password = None;
    }
    Some((kind, settings))
}

/// The default of an ERB `ENV.fetch("X") { "default" }` or `ENV["X"] || "default"`; `None` for
/// a plain value; an empty string for ERB without a default.
fn erb_default(value: &str) -> Option<String> {
    if !value.contains("<%") {
        return None;
    }
    let quoted = |s: &str| -> Option<String> {
        let s = s.trim();
        let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let rest = &s[1..];
        rest.find(q).map(|end| rest[..end].to_owned())
    };
    if let Some((_, after)) = value.split_once('{')
        && let Some(d) = quoted(after)
    {
        return Some(d);
    }
    if let Some((_, after)) = value.split_once("||")
        && let Some(d) = quoted(after)
    {
        return Some(d);
    }
    Some(String::new())
}

/// Services a Django project's settings name: the module in `manage.py`, a `test` module beside
/// it, and what they import with `from .x import *`. Each found with the file it came from.
fn from_django(
    scan: &mut Scan<'_>,
    manage_py: &str,
) -> Vec<(ServiceKind, ServiceSettings, String)> {
    let index = scan.index();
    let Ok(text) = index.read(manage_py) else {
        return Vec::new();
    };
    let Some(module) = settings_module(&text) else {
        return Vec::new();
    };
    let base = dir_of(manage_py);
    let module_path = module.replace('.', "/");
    let package = dir_of(&module_path).to_owned();
    let mut queue: Vec<String> = vec![module_path.clone()];
    for test in ["test", "tests", "testing", "test_settings", "settings_test"] {
        queue.push(join(&package, test));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    while let Some(module) = queue.pop() {
        if seen.contains(&module) || seen.len() > 12 {
            continue;
        }
        seen.push(module.clone());
        let candidates = [format!("{module}.py"), format!("{module}/__init__.py")];
        let Some((rel, text)) = candidates.iter().find_map(|c| {
            let rel = normalize(&join(base, c))?;
            let full = index.root().join(&rel);
            if !full.is_file() {
                return None;
            }
            index.read(&rel).ok().map(|t| (rel, t))
        }) else {
            continue;
        };
        let package = if rel.ends_with("/__init__.py") {
            module.clone()
        } else {
            dir_of(&module).to_owned()
        };
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("from .")
                && let Some((name, _)) = rest.split_once(" import")
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                queue.push(join(&package, &name.replace('.', "/")));
            }
        }
        for (kind, settings) in django_databases(&text) {
            out.push((kind, settings, rel.clone()));
        }
    }
    out
}

/// `DJANGO_SETTINGS_MODULE` as `manage.py` sets it (`config.settings.local`).
fn settings_module(manage_py: &str) -> Option<String> {
    let at = manage_py.find("DJANGO_SETTINGS_MODULE")?;
    let rest = &manage_py[at + "DJANGO_SETTINGS_MODULE".len()..];
    let rest = rest.trim_start_matches(['"', '\'']).trim_start();
    let rest = rest.strip_prefix(',')?.trim_start();
    let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &rest[1..];
    let module = &body[..body.find(q)?];
    (!module.is_empty()
        && module
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'))
    .then(|| module.to_owned())
}

/// The engines and URLs of a settings module.
fn django_databases(text: &str) -> Vec<(ServiceKind, ServiceSettings)> {
    let mut out: Vec<(ServiceKind, ServiceSettings)> = Vec::new();
    let literal = |key: &str| -> Option<Word> {
        for q in ['"', '\''] {
            let needle = format!("{q}{key}{q}");
            if let Some(at) = text.find(&needle) {
                let rest = text[at + needle.len()..]
                    .trim_start()
                    .strip_prefix(':')?
                    .trim_start();
                let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
                let body = &rest[1..];
                return Word::parse(&body[..body.find(quote)?]);
            }
        }
        None
    };
    let engine = if text.contains("django.db.backends.postgresql")
        || text.contains("django.contrib.gis.db.backends.postgis")
    {
        Some(ServiceKind::Postgres)
    } else if text.contains("django.db.backends.mysql")
        || text.contains("django.contrib.gis.db.backends.mysql")
    {
        Some(ServiceKind::Mysql)
    } else {
        None
    };
    if let Some(kind) = engine {
        let mut settings = ServiceSettings {
            database: literal("NAME"),
            user: literal("USER"),
            password: literal("PASSWORD"),
            ..ServiceSettings::default()
        };
        if settings.user.is_some() != settings.password.is_some() {
            settings.user = None;
            settings.password = None;
        }
        out.push((kind, settings));
    }
    for scheme in [
        "postgres://",
        "postgresql://",
        "postgis://",
        "mysql://",
        "redis://",
    ] {
        let mut rest = text;
        while let Some(at) = rest.find(scheme) {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| c == '"' || c == '\'' || c.is_whitespace())
                .unwrap_or(tail.len());
            if let Some(found) = from_url(&tail[..end]) {
                out.push(found);
            }
            rest = &tail[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Option<Word> {
        Word::parse(s)
    }

    #[test]
    fn compose_services_give_kind_version_and_credentials() {
        let text = r#"
services:
  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_USER: market
      POSTGRES_PASSWORD: market
      POSTGRES_DB: market
  cache:
    image: "redis:7.2"
  mysql:
    image: mysql:8.4
    environment:
      - MYSQL_ROOT_PASSWORD=secret
      - MYSQL_DATABASE=shop
  geo:
    image: postgis/postgis:16-3.4
  api:
    build: .
  postgres:
    build: ./compose/postgres
    env_file: [.envs/.postgres]
"#;
        let found = from_compose(text, |f| {
            (f == ".envs/.postgres").then(|| {
                "POSTGRES_DB=app\nPOSTGRES_USER=debug\nPOSTGRES_PASSWORD=debug\n".to_owned()
            })
        });
        let kinds: Vec<ServiceKind> = found.iter().map(|f| f.0).collect();
        assert_eq!(
            kinds,
            [
                ServiceKind::Redis,
                ServiceKind::Postgres,
                ServiceKind::Postgres,
                ServiceKind::Mysql,
                ServiceKind::Postgres
            ],
            "BTreeMap order: cache, db, geo, mysql, postgres"
        );
        let pg = &found[1];
        assert_eq!(pg.1.version.as_ref().map(ToolVersion::as_str), Some("16"));
        assert_eq!(
            (pg.1.database.clone(), pg.1.user.clone()),
            (w("market"), w("market"))
        );
        assert_eq!(
            found[0].1.version.as_ref().map(ToolVersion::as_str),
            Some("7.2")
        );
        assert_eq!(
            found[2].1.image.as_ref().map(Image::as_str),
            Some("postgis/postgis:16-3.4")
        );
        assert_eq!(
            (found[3].1.user.clone(), found[3].1.password.clone()),
            (w("root"), w("secret"))
        );
        assert_eq!(found[4].1.user, w("debug"), "from the env_file");
        assert!(from_compose("services: [", |_| None).is_empty());
        let interpolated = from_compose(
            "services:\n  db:\n    image: postgres:${PG_VERSION:-16}\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n",
            |_| None,
        );
        assert_eq!(interpolated[0].1, ServiceSettings::default());
    }

    #[test]
    fn a_number_in_another_services_environment_hides_nothing() {
        // A numeric `DB_PORT: 3306` in the app service once made the whole file unreadable.
        let text = "services:\n  db:\n    image: mysql:8.4\n    environment:\n      MYSQL_DATABASE: shop\n      MYSQL_RANDOM_ROOT_PASSWORD: 'true'\n  app:\n    build: .\n    environment:\n      DB_PORT: 3306\n      DEBUG: true\n    ports:\n      - ${PORT:-8080}:80\n";
        let found = from_compose(text, |_| None);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, ServiceKind::Mysql);
        assert_eq!(found[0].1.database, w("shop"));
    }

    #[test]
    fn rails_database_yml_gives_the_test_database() {
        let text = r#"
default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>
  username: <%= ENV.fetch("DB_USER") { "rails" } %>
  password: <%= ENV["DB_PASSWORD"] || "rails" %>

development:
  <<: *default
  database: shop_development

test:
  <<: *default
  database: shop_test
"#;
        let (kind, s) = from_rails(text).expect("postgres");
        assert_eq!(kind, ServiceKind::Postgres);
        assert_eq!(s.database, w("shop_test"));
        assert_eq!((s.user, s.password), (w("rails"), w("rails")));
        let mysql =
            "test:\n  adapter: mysql2\n  database: app_test\n  username: root\n  password:\n";
        let (kind, s) = from_rails(mysql).expect("mysql");
        assert_eq!(kind, ServiceKind::Mysql);
        assert_eq!(
            (s.user, s.password),
            (None, None),
            "an empty password keeps the default"
        );
        assert_eq!(
            from_rails("test:\n  adapter: sqlite3\n  database: db/test.sqlite3\n"),
            None
        );
    }

    #[test]
    fn env_templates_give_laravel_connections_and_urls() {
        let laravel = "DB_CONNECTION=pgsql\nDB_HOST=127.0.0.1\nDB_DATABASE=laravel\nDB_USERNAME=sail\nDB_PASSWORD=password\nREDIS_HOST=127.0.0.1\n";
        let found = from_env_file(laravel, false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, ServiceKind::Postgres);
        assert_eq!(found[0].1.user, w("sail"));
        assert!(from_env_file(laravel, true).is_empty(), "tests on SQLite");
        let found = from_env_file(
            "DATABASE_URL=\"postgresql://app:!ChangeMe!@127.0.0.1:5432/app?serverVersion=16\"\nREDIS_URL=redis://localhost:6379\n",
            false,
        );
        assert_eq!(found[0].0, ServiceKind::Postgres);
        assert_eq!(found[0].1.database, w("app"));
        assert_eq!(found[0].1.user, None, "`!ChangeMe!` is not a plain word");
        assert_eq!(found[1].0, ServiceKind::Redis);
        assert!(phpunit_uses_sqlite(
            "<php>\n  <env name=\"DB_CONNECTION\" value=\"sqlite\"/>\n</php>"
        ));
        assert!(!phpunit_uses_sqlite(
            "<!-- <env name=\"DB_CONNECTION\" value=\"sqlite\"/> -->"
        ));
    }

    #[test]
    fn django_settings_name_their_engine() {
        assert_eq!(
            settings_module(
                "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"config.settings.local\")"
            )
            .as_deref(),
            Some("config.settings.local")
        );
        let found = django_databases(
            "DATABASES = {\n    'default': {\n        'ENGINE': 'django.db.backends.postgresql',\n        'NAME': 'shop',\n        'USER': 'shop',\n        'PASSWORD': 'shop',\n    }\n}\nCACHES = {'default': {'LOCATION': 'redis://127.0.0.1:6379/1'}}\n",
        );
        assert_eq!(found[0].0, ServiceKind::Postgres);
        assert_eq!(found[0].1.database, w("shop"));
        assert_eq!(found[1].0, ServiceKind::Redis);
        assert!(
            django_databases("DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3'}}")
                .is_empty()
        );
    }

    #[test]
    fn a_repository_with_compose_and_testcontainers() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(
            "manage.py",
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings.dev')\n",
        );
        write(
            "shop/settings/dev.py",
            "from .base import *\nDEBUG = True\n",
        );
        write(
            "shop/settings/base.py",
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'shop'}}\n",
        );
        write("requirements.txt", "django\npsycopg\n");
        write(
            "docker-compose.yml",
            "services:\n  cache:\n    image: redis:7\n",
        );
        let d = crate::detect::detect(dir.path()).unwrap();
        let kinds: Vec<(ServiceKind, &str)> = d
            .stacks
            .services
            .iter()
            .map(|s| (s.kind, s.from.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (ServiceKind::Postgres, "shop/settings/base.py"),
                (ServiceKind::Redis, "docker-compose.yml")
            ]
        );
        assert_eq!(d.stacks.services[0].settings.database, w("shop"));
        assert!(d.stacks.testcontainers.is_empty());
        write(
            "pom.xml",
            "<project><dependencies><dependency><groupId>org.testcontainers</groupId></dependency></dependencies></project>",
        );
        let d = crate::detect::detect(dir.path()).unwrap();
        assert_eq!(d.stacks.testcontainers, ["pom.xml"]);
    }
}
