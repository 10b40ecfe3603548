//! What the tests need, in the `ci` section: service containers (`ci.services`), variables and
//! secrets for the steps that build and test (`ci.env`, `ci.secrets`), and per-unit settings
//! (`ci.units.<unit>`: commands, extra steps, the toolchain version and a version matrix).
//!
//! Every value that reaches a workflow is checked here, once, when the file is read: variable
//! names follow [`crate::github::env::validate_name`] (no `PATH`, `LD_PRELOAD`, `BASH_ENV`,
//! `GITHUB_*` …), values and commands hold no line break where one is not allowed and never
//! `${{` (GitHub would evaluate it), versions are versions, image references carry a tag.
//! Unit ids can only be checked against the detected units, so `gen-workflows` does that, with
//! the key's line and column kept here ([`Located`]).
//!
//! Service containers: <https://docs.github.com/en/actions/use-cases-and-examples/using-containerized-services/about-service-containers>.

use std::borrow::Cow;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values::HINT_MARK;
use super::{Located, SecretName};

/// A service container the tests can talk to on `localhost`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// PostgreSQL (`postgres` image), port 5432.
    Postgres,
    /// MySQL (`mysql` image), port 3306.
    Mysql,
    /// MariaDB (`mariadb` image), port 3306.
    Mariadb,
    /// Redis (`redis` image), port 6379.
    Redis,
    /// MongoDB (`mongo` image), port 27017.
    Mongodb,
    /// RabbitMQ (`rabbitmq` image), port 5672.
    Rabbitmq,
}

impl ServiceKind {
    /// Every kind, in the order services are rendered.
    pub const ALL: [ServiceKind; 6] = [
        Self::Postgres,
        Self::Mysql,
        Self::Mariadb,
        Self::Redis,
        Self::Mongodb,
        Self::Rabbitmq,
    ];

    /// The name in `slipway.yml` (`postgres`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Mariadb => "mariadb",
            Self::Redis => "redis",
            Self::Mongodb => "mongodb",
            Self::Rabbitmq => "rabbitmq",
        }
    }

    /// The official image, without a tag.
    pub fn image(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Mariadb => "mariadb",
            Self::Redis => "redis",
            Self::Mongodb => "mongo",
            Self::Rabbitmq => "rabbitmq",
        }
    }

    /// The tag used when neither the file nor the repository names one: the current major (or
    /// long-term-support) release line, so a rebuilt image only brings fixes.
    pub fn default_version(self) -> &'static str {
        match self {
            Self::Postgres => "17",
            Self::Mysql => "8.4",
            Self::Mariadb => "11.4",
            Self::Redis => "7",
            Self::Mongodb => "8",
            Self::Rabbitmq => "4",
        }
    }

    /// The port the service listens on, published on the runner under the same number.
    pub fn port(self) -> u16 {
        match self {
            Self::Postgres => 5432,
            Self::Mysql | Self::Mariadb => 3306,
            Self::Redis => 6379,
            Self::Mongodb => 27017,
            Self::Rabbitmq => 5672,
        }
    }

    /// True for the kinds that hold a named database with a user and a password.
    pub fn has_database(self) -> bool {
        matches!(
            self,
            Self::Postgres | Self::Mysql | Self::Mariadb | Self::Mongodb
        )
    }
}

impl std::fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings of one service; every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ServiceSettings {
    /// The version, used as the official image's tag, e.g. `"16"` for `postgres:16`. Default:
    /// `17` (postgres), `8.4` (mysql), `11.4` (mariadb), `7` (redis), `8` (mongodb), `4`
    /// (rabbitmq).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<ToolVersion>,
    /// Another image with its tag instead of the official one, e.g. `postgis/postgis:16-3.4`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// The database created for the tests (postgres, mysql, mariadb, mongodb). Default:
    /// `app_test`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<Word>,
    /// The user (postgres, mysql, mariadb). Default: `postgres` for postgres, `root` for mysql
    /// and mariadb.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Word>,
    /// The user's password, a throwaway one for the test container (postgres, mysql, mariadb).
    /// Default: `postgres` for postgres, `root` for mysql and mariadb.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Word>,
}

impl ServiceSettings {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// One configured service: its kind, where the file names it, and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The kind, with its place in the file.
    pub kind: Located<ServiceKind>,
    /// Its settings.
    pub settings: ServiceSettings,
}

/// `ci.services`: a list of kinds (`[postgres, redis]`) or a mapping of kinds to settings
/// (`{ postgres: { version: "16" }, redis: {} }`), in file order, each kind once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Services(pub Vec<Service>);

impl Services {
    /// The services in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Service> {
        self.0.iter()
    }

    /// No services.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Services {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap as _, SerializeSeq as _};
        if self.0.iter().all(|svc| svc.settings.is_default()) {
            let mut seq = s.serialize_seq(Some(self.0.len()))?;
            for svc in &self.0 {
                seq.serialize_element(&svc.kind.value)?;
            }
            seq.end()
        } else {
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for svc in &self.0 {
                map.serialize_entry(&svc.kind.value, &svc.settings)?;
            }
            map.end()
        }
    }
}

impl<'de> Deserialize<'de> for Services {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Services;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of services or a mapping of services to their settings")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Services, A::Error> {
                let mut out: Vec<Service> = Vec::new();
                while let Some(kind) = seq.next_element::<Located<ServiceKind>>()? {
                    // A kind listed twice is the same service.
                    if !out.iter().any(|s| s.kind.value == kind.value) {
                        out.push(Service {
                            kind,
                            settings: ServiceSettings::default(),
                        });
                    }
                }
                Ok(Services(out))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Services, A::Error> {
                let mut out: Vec<Service> = Vec::new();
                // Plain keys, so an error inside names the service (`ci.services.postgres`);
                // their places come from a second read ([`KeySpots`]).
                while let Some(key) = map.next_key::<String>()? {
                    let kind = ServiceKind::deserialize(serde::de::value::StrDeserializer::<
                        A::Error,
                    >::new(&key))?;
                    let settings = map
                        .next_value::<Option<ServiceSettings>>()?
                        .unwrap_or_default();
                    out.push(Service {
                        kind: Located::new(kind),
                        settings,
                    });
                }
                Ok(Services(out))
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<Services, E> {
                Ok(Services::default())
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Services {
    fn schema_name() -> Cow<'static, str> {
        "Services".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let kind = generator.subschema_for::<ServiceKind>();
        let settings = generator.subschema_for::<ServiceSettings>();
        let properties: serde_json::Map<String, serde_json::Value> = ServiceKind::ALL
            .iter()
            .map(|k| {
                let mut s = settings.clone();
                s.insert(
                    "description".to_owned(),
                    format!("Settings of the `{k}` service.").into(),
                );
                (k.as_str().to_owned(), s.to_value())
            })
            .collect();
        schemars::json_schema!({
            "description": "Service containers the tests talk to on `localhost`, started on the test jobs with a health check: a list (`[postgres, redis]`) or a mapping to settings (`{ postgres: { version: \"16\", database: app_test } }`). When absent, the services the repository shows (Compose files, Django settings, Rails `config/database.yml`, `.env.example`) are used; `[]` means none.",
            "oneOf": [
                { "type": "array", "items": kind, "uniqueItems": true },
                { "type": "object", "properties": properties, "additionalProperties": false }
            ]
        })
    }
}

/// A version: digits and dots (`16`, `3.12`, `1.85.0`), optionally ending in `.x` (`8.0.x`),
/// or a release channel (`stable`, `beta`, `nightly`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(
    with = "String",
    extend("pattern" = r"^([0-9]+(\.[0-9]+){0,3}(\.x)?|stable|beta|nightly)$")
)]
pub struct ToolVersion(String);

impl ToolVersion {
    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ToolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// True for a version as [`ToolVersion`] accepts it.
pub fn is_version(s: &str) -> bool {
    if matches!(s, "stable" | "beta" | "nightly") {
        return true;
    }
    let body = s.strip_suffix(".x").unwrap_or(s);
    let parts: Vec<&str> = body.split('.').collect();
    !body.is_empty()
        && parts.len() <= 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
}

impl TryFrom<String> for ToolVersion {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if is_version(&s) {
            Ok(Self(s))
        } else {
            Err(format!(
                "`{}` is not a version{HINT_MARK}write digits and dots such as `16`, `3.12` or `1.85.0` (quote it: `\"3.10\"` is not `3.1`), or `stable`",
                shown(&s)
            ))
        }
    }
}

impl From<ToolVersion> for String {
    fn from(v: ToolVersion) -> String {
        v.0
    }
}

/// A container image with a tag or digest, e.g. `postgis/postgis:16-3.4`; `latest` and
/// untagged images are refused, since the tests would change under the repository's feet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String", extend("pattern" = r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?(@sha256:[0-9a-f]{64})?$"))]
pub struct Image(String);

impl Image {
    /// The reference as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Image {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (s.as_str(), None),
        };
        // The tag follows the last `:` after the last `/` (a registry may have a port).
        let last_part = name_tag.rsplit('/').next().unwrap_or("");
        let (name, tag) = match last_part.split_once(':') {
            Some((_, tag)) => (&name_tag[..name_tag.len() - tag.len() - 1], Some(tag)),
            None => (name_tag, None),
        };
        let name_ok = !name.is_empty()
            && name.len() <= 255
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._/-:".contains(c));
        let tag_ok = tag.is_none_or(|t| {
            !t.is_empty()
                && t.len() <= 128
                && !t.starts_with(['.', '-'])
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        });
        let digest_ok = digest.is_none_or(|d| {
            d.strip_prefix("sha256:")
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        });
        if !(name_ok && tag_ok && digest_ok) {
            return Err(format!(
                "`{}` is not an image reference{HINT_MARK}write `name:tag`, e.g. `postgis/postgis:16-3.4`",
                shown(&s)
            ));
        }
        if digest.is_none() && tag.is_none_or(|t| t == "latest") {
            return Err(format!(
                "image `{s}` has no fixed tag{HINT_MARK}name a version, e.g. `{name}:16`, so the tests do not change when a new image is pushed"
            ));
        }
        Ok(Self(s))
    }
}

impl From<Image> for String {
    fn from(i: Image) -> String {
        i.0
    }
}

/// A database, user or password of a service: letters, digits, `_`, `-` and `.`, so it goes
/// into a connection URL as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String", extend("pattern" = r"^[A-Za-z0-9_.-]{1,63}$"))]
pub struct Word(String);

impl Word {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A word from detected text, when it is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::try_from(s.to_owned()).ok()
    }
}

impl TryFrom<String> for Word {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if !s.is_empty()
            && s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            Ok(Self(s))
        } else {
            Err(format!(
                "`{}` is not usable here{HINT_MARK}use 1 to 63 letters, digits, `_`, `-` and `.`, e.g. `app_test`",
                shown(&s)
            ))
        }
    }
}

impl From<Word> for String {
    fn from(w: Word) -> String {
        w.0
    }
}

/// The name of a variable set on the steps: letters, digits and `_`, and none of the names
/// that change how every process runs (`PATH`, `LD_PRELOAD`, `BASH_ENV` …) or belong to the
/// runner (`GITHUB_*`, `RUNNER_*`).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String", extend("pattern" = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
pub struct VarName(String);

impl VarName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for VarName {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        match crate::github::env::validate_name(&s) {
            Ok(()) => Ok(Self(s)),
            Err(crate::github::Error::InvalidName { reason, .. }) => Err(format!(
                "`{}` cannot be set on the steps: {reason}{HINT_MARK}variable names use letters, digits and `_`; `PATH`, loader and shell hooks, `GITHUB_*` and `RUNNER_*` are refused",
                shown(&s)
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl From<VarName> for String {
    fn from(n: VarName) -> String {
        n.0
    }
}

/// A plain variable's value: one line, no `${{`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct VarValue(String);

impl VarValue {
    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for VarValue {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if s.contains(['\n', '\r']) {
            Err(format!(
                "a variable's value must be one line{HINT_MARK}remove the line break, or keep multi-line text in a file the tests read"
            ))
        } else if s.contains("${{") {
            Err(format!(
                "the value contains `${{{{`, which GitHub would evaluate as an expression{HINT_MARK}name secrets in `ci.secrets` instead; values here are plain text"
            ))
        } else {
            Ok(Self(s))
        }
    }
}

impl From<VarValue> for String {
    fn from(v: VarValue) -> String {
        v.0
    }
}

/// A secret passed to the steps under its own name: a secret name that is also a variable
/// name the steps may receive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String", extend("pattern" = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
pub struct StepSecret(SecretName);

impl StepSecret {
    /// The secret's name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<String> for StepSecret {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let name = SecretName::try_from(s)?;
        VarName::try_from(name.as_str().to_owned())?;
        Ok(Self(name))
    }
}

impl From<StepSecret> for String {
    fn from(s: StepSecret) -> String {
        s.0.into()
    }
}

/// A command run with bash in the unit's directory, or `none` for no step. Never empty, never
/// holding `${{`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct Command(String);

impl Command {
    /// The command; `None` for `none`.
    pub fn get(&self) -> Option<&str> {
        (self.0 != "none").then_some(self.0.as_str())
    }
}

impl TryFrom<String> for Command {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if s.trim().is_empty() {
            Err(format!(
                "the command is empty{HINT_MARK}write a command, or `none` to leave the step out"
            ))
        } else if s.contains("${{") {
            Err(format!(
                "the command contains `${{{{`, which GitHub would evaluate as an expression{HINT_MARK}read values from variables (`$NAME`) set in `ci.env` or `ci.secrets`"
            ))
        } else {
            Ok(Self(s))
        }
    }
}

impl From<Command> for String {
    fn from(c: Command) -> String {
        c.0
    }
}

/// A runner label of the OS matrix, e.g. `ubuntu-24.04`, `macos-15`, `windows-2025`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String", extend("pattern" = r"^[a-z0-9][a-z0-9.-]{0,63}$"))]
pub struct RunnerLabel(String);

impl RunnerLabel {
    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for runners that cannot start service containers (GitHub runs them on Linux only).
    pub fn is_linux(&self) -> bool {
        !(self.0.starts_with("macos") || self.0.starts_with("windows"))
    }
}

impl TryFrom<String> for RunnerLabel {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if !s.is_empty()
            && s.len() <= 64
            && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        {
            Ok(Self(s))
        } else {
            Err(format!(
                "`{}` is not a runner label{HINT_MARK}use a GitHub-hosted runner such as `ubuntu-24.04`, `macos-15` or `windows-2025`",
                shown(&s)
            ))
        }
    }
}

impl From<RunnerLabel> for String {
    fn from(l: RunnerLabel) -> String {
        l.0
    }
}

/// The versions a unit's tests run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versions {
    /// The versions the repository declares (Rust: `rust-version` and stable; Python: the
    /// oldest and newest of `requires-python`; Node.js: the oldest and newest of
    /// `engines.node`).
    Auto,
    /// No version matrix, and no Rust MSRV check.
    None,
    /// These versions.
    List(Vec<Located<ToolVersion>>),
}

/// `ci.units.<unit>.matrix`. Equality ignores where it was written.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// The versions; `None` when only `os` is set (the unit's usual version).
    pub versions: Option<Versions>,
    /// The runners; empty for the usual Linux runner.
    pub os: Vec<Located<RunnerLabel>>,
    /// Where the key is.
    pub line: usize,
    /// Its column.
    pub column: usize,
}

impl PartialEq for Matrix {
    fn eq(&self, other: &Self) -> bool {
        self.versions == other.versions && self.os == other.os
    }
}

impl Eq for Matrix {}

/// The mapping form of a matrix.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct MatrixMap {
    #[serde(default)]
    version: Option<VersionsForm>,
    #[serde(default)]
    os: Vec<Located<RunnerLabel>>,
}

/// `auto`, `none` or a list of versions.
struct VersionsForm(Versions);

impl<'de> Deserialize<'de> for VersionsForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = VersionsForm;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`auto`, `none` or a list of versions")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<VersionsForm, E> {
                match v {
                    "auto" => Ok(VersionsForm(Versions::Auto)),
                    "none" => Ok(VersionsForm(Versions::None)),
                    other => Err(E::custom(format!(
                        "`{}` is not a matrix{HINT_MARK}write `auto` (the versions the repository declares), `none`, or a list such as `[\"3.10\", \"3.13\"]`",
                        shown(other)
                    ))),
                }
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<VersionsForm, A::Error> {
                let mut out: Vec<Located<ToolVersion>> = Vec::new();
                while let Some(v) = seq.next_element::<Located<ToolVersion>>()? {
                    if !out.iter().any(|o| o.value == v.value) {
                        out.push(v);
                    }
                }
                if out.is_empty() {
                    return Err(serde::de::Error::custom(format!(
                        "the list of versions is empty{HINT_MARK}list at least one version, or write `none`"
                    )));
                }
                Ok(VersionsForm(Versions::List(out)))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Matrix {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = (Option<Versions>, Vec<Located<RunnerLabel>>);

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "`auto`, `none`, a list of versions, or `{ version: [...], os: [...] }`",
                )
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let form: VersionsForm =
                    VersionsForm::deserialize(serde::de::value::StrDeserializer::<E>::new(v))?;
                Ok((Some(form.0), Vec::new()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                let form =
                    VersionsForm::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok((Some(form.0), Vec::new()))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let m = MatrixMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok((m.version.map(|v| v.0), m.os))
            }
        }
        struct Wrapped((Option<Versions>, Vec<Located<RunnerLabel>>));
        impl<'de> Deserialize<'de> for Wrapped {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(V).map(Wrapped)
            }
        }
        let located = serde_saphyr::Spanned::<Wrapped>::deserialize(d)?;
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let (versions, os) = located.value.0;
        Ok(Matrix {
            versions,
            os,
            line: to_usize(located.referenced.line()),
            column: to_usize(located.referenced.column()),
        })
    }
}

impl Serialize for Matrix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let versions = |v: &Versions| match v {
            Versions::Auto => serde_json::Value::from("auto"),
            Versions::None => serde_json::Value::from("none"),
            Versions::List(list) => list.iter().map(|v| v.value.as_str()).collect(),
        };
        match (&self.versions, self.os.is_empty()) {
            (Some(v), true) => versions(v).serialize(s),
            _ => {
                let mut map = s.serialize_map(None)?;
                if let Some(v) = &self.versions {
                    map.serialize_entry("version", &versions(v))?;
                }
                let os: Vec<&str> = self.os.iter().map(|o| o.value.as_str()).collect();
                map.serialize_entry("os", &os)?;
                map.end()
            }
        }
    }
}

impl JsonSchema for Matrix {
    fn schema_name() -> Cow<'static, str> {
        "Matrix".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let version = generator.subschema_for::<ToolVersion>();
        let label = generator.subschema_for::<RunnerLabel>();
        let versions = serde_json::json!({
            "oneOf": [
                { "enum": ["auto", "none"] },
                { "type": "array", "items": version, "minItems": 1 }
            ]
        });
        schemars::json_schema!({
            "description": "The versions (and runners) the unit's tests run on, one test job each. `auto`: the versions the repository declares (Rust: `rust-version` and stable; Python: the oldest and newest of `requires-python`; Node.js: the oldest and newest major of `engines.node`). A list: these versions. `none`: no matrix and no Rust MSRV check. The mapping form adds an OS matrix: `{ version: auto, os: [ubuntu-24.04, macos-15] }`. Default: none, except a Rust MSRV check when `rust-version` differs from the toolchain the jobs use.",
            "oneOf": [
                versions["oneOf"][0].clone(),
                versions["oneOf"][1].clone(),
                {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "version": {
                            "description": "`auto`, `none` or a list of versions.",
                            "oneOf": versions["oneOf"].clone()
                        },
                        "os": {
                            "description": "Runner labels, e.g. `[ubuntu-24.04, macos-15, windows-2025]`; service containers need Linux.",
                            "type": "array",
                            "items": label
                        }
                    }
                }
            ]
        })
    }
}

/// Settings of one unit (`ci.units.<unit>`): commands that replace the detected ones, extra
/// steps, the toolchain version and a matrix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct UnitSettings {
    /// Installs the dependencies instead of the lockfile's usual install, e.g. `npm install
    /// --legacy-peer-deps`; `none` installs nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install: Option<Command>,
    /// The linter, e.g. `npm run lint:ci`; `none` for no lint step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lint: Option<Command>,
    /// The formatting check, e.g. `npx prettier --check .`; `none` for no check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Command>,
    /// The build, e.g. `npm run build`; `none` for no build job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Command>,
    /// The test command, e.g. `bin/rails test`; `none` for no test job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<Command>,
    /// Commands run after checkout, before the toolchain and dependencies are set up, e.g.
    /// `sudo apt-get install -y libpq-dev`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before_install: Vec<Command>,
    /// Commands run before the build, e.g. code generation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before_build: Vec<Command>,
    /// Commands run before the tests, with the services up and the test variables set, e.g.
    /// `npx playwright install --with-deps` or `bin/rails db:prepare`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before_test: Vec<Command>,
    /// The toolchain version to set up instead of the one the repository's files name, e.g.
    /// `"3.12"` or `"1.85"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toolchain: Option<ToolVersion>,
    /// The versions (and runners) the tests run on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix: Option<Matrix>,
}

/// `ci.units`: settings by unit id, in file order.
pub type Units = IndexMap<String, UnitSettings>;

/// Where the keys of `ci.units` and of the mapping form of `ci.services` are in the file, by
/// `units.<id>` / `services.<kind>`. Read in a second pass, since a key read with its place
/// would not show in the key path of an error. Equal to any other: it is not configuration.
#[derive(Debug, Clone, Default)]
pub struct KeySpots(pub std::collections::BTreeMap<String, (usize, usize)>);

impl PartialEq for KeySpots {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl KeySpots {
    /// The place of `units.<id>` or `services.<kind>`; `(0, 0)` when unknown.
    pub fn get(&self, key: &str) -> (usize, usize) {
        self.0.get(key).copied().unwrap_or((0, 0))
    }

    /// Reads the places from the text of a file that parsed.
    pub fn read(text: &str) -> Self {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Top {
            ci: Option<CiKeys>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct CiKeys {
            units: Option<Keys>,
            services: Option<Keys>,
        }
        struct Keys(Vec<Located<String>>);
        impl<'de> Deserialize<'de> for Keys {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = Keys;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("anything")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Keys, A::Error> {
                        let mut out = Vec::new();
                        while let Some(k) = map.next_key::<Located<String>>()? {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            out.push(k);
                        }
                        Ok(Keys(out))
                    }
                    fn visit_seq<A: serde::de::SeqAccess<'de>>(
                        self,
                        mut seq: A,
                    ) -> Result<Keys, A::Error> {
                        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                        Ok(Keys(Vec::new()))
                    }
                    fn visit_unit<E: serde::de::Error>(self) -> Result<Keys, E> {
                        Ok(Keys(Vec::new()))
                    }
                }
                d.deserialize_any(V)
            }
        }
        let mut out = std::collections::BTreeMap::new();
        let top: Top = serde_saphyr::from_str::<Option<Top>>(text)
            .ok()
            .flatten()
            .unwrap_or_default();
        if let Some(ci) = top.ci {
            for (section, keys) in [("units", ci.units), ("services", ci.services)] {
                for k in keys.map(|k| k.0).unwrap_or_default() {
                    out.insert(format!("{section}.{}", k.value), (k.line, k.column));
                }
            }
        }
        Self(out)
    }
}

/// A value for a message: control characters escaped, long text cut.
fn shown(s: &str) -> String {
    let escaped: String = s.chars().flat_map(char::escape_default).collect();
    if escaped.chars().count() > 60 {
        let cut: String = escaped.chars().take(57).collect();
        format!("{cut}...")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_digits_and_dots_or_a_channel() {
        for ok in [
            "16", "3.10", "1.85.0", "8.0.x", "stable", "nightly", "1.2.3.4",
        ] {
            assert!(is_version(ok), "{ok}");
        }
        for bad in [
            "",
            "3.",
            ".3",
            "3..1",
            "latest",
            "lts/*",
            "v16",
            "16-alpine",
            "3.x.1",
            "1.2.3.4.5",
        ] {
            assert!(!is_version(bad), "{bad}");
        }
    }

    #[test]
    fn images_need_a_fixed_tag() {
        for ok in [
            "postgres:16",
            "postgis/postgis:16-3.4",
            "ghcr.io/acme/db:1.2",
            "localhost:5000/pg:16",
            "postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(Image::try_from(ok.to_owned()).is_ok(), "{ok}");
        }
        for bad in [
            "postgres",
            "postgres:latest",
            "Postgres:16",
            "pg:16 --rm",
            "localhost:5000/pg",
            "",
        ] {
            assert!(Image::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn variable_names_reuse_the_runner_rules_and_values_stay_on_one_line() {
        assert!(VarName::try_from("DJANGO_SETTINGS_MODULE".to_owned()).is_ok());
        for bad in [
            "PATH",
            "LD_PRELOAD",
            "BASH_ENV",
            "GITHUB_TOKEN",
            "RUNNER_OS",
            "A-B",
            "1A",
            "",
        ] {
            assert!(VarName::try_from(bad.to_owned()).is_err(), "{bad}");
        }
        assert!(VarValue::try_from("a\nb".to_owned()).is_err());
        assert!(VarValue::try_from("${{ secrets.X }}".to_owned()).is_err());
        assert!(StepSecret::try_from("STRIPE_KEY".to_owned()).is_ok());
        assert!(StepSecret::try_from("NODE_OPTIONS".to_owned()).is_err());
        assert!(StepSecret::try_from("GITHUB_TOKEN".to_owned()).is_err());
    }

    #[test]
    fn commands_are_not_empty_and_none_means_no_step() {
        assert_eq!(Command::try_from("none".to_owned()).unwrap().get(), None);
        assert_eq!(
            Command::try_from("make".to_owned()).unwrap().get(),
            Some("make")
        );
        assert!(Command::try_from("  ".to_owned()).is_err());
        assert!(Command::try_from("echo ${{ github.token }}".to_owned()).is_err());
    }
}
