//! Containers: Dockerfiles, Containerfiles and Compose files. Runs after the language
//! ecosystems.
//!
//! Every `Dockerfile`, `Dockerfile.<variant>`, `<name>.Dockerfile`, `Containerfile` (and the
//! lower-case spellings) is recorded, and so is any file a Compose service builds from
//! (`build: ./api` or `build: {context: ., dockerfile: ops/api.docker}`), whatever its name.
//! Compose files are `compose.y(a)ml`, `docker-compose.y(a)ml` and their override variants
//! (`docker-compose.override.yml`, `compose.prod.yaml`); a malformed one is a warning, and a
//! service whose Dockerfile does not exist is a warning too, since `docker compose build` would
//! fail on it. Remote build contexts (git URLs) are not followed.
//!
//! `FROM` base images give toolchain versions with [`Source::Dockerfile`], the weakest source:
//! `node:20-alpine` → node `20`, `python:3.12-slim` → python `3.12`, `golang:1.22` → go,
//! `eclipse-temurin:21-jdk` / `maven:3.9-eclipse-temurin-21` / `gradle:8.7-jdk21` → java `21`,
//! `mcr.microsoft.com/dotnet/sdk:8.0` → dotnet `8.0`, and rust, ruby, php, bun, deno. Registry
//! prefixes, `library/`, digests, `--platform=` flags, `AS` stage names (a `FROM build` that
//! names an earlier stage has no tag and so no version) and `ARG` defaults declared before the first `FROM`
//! (`FROM node:${NODE_VERSION}-alpine`) are understood. A Dockerfile declares no language: the
//! image may only run tools.
//!
//! A Dockerfile that builds packages rather than the application's image is recorded as such
//! ([`is_packaging`]): one whose name or directory says so (`Dockerfile.deb`, `rpm.Dockerfile`,
//! `packaging/`, `.devcontainer/`), or whose instructions run a package builder
//! (`dpkg-buildpackage`, `debuild`, `rpmbuild`, `fpm`, `nfpm`). CI neither scans nor deploys
//! those as the app's image.
//!
//! Format: <https://docs.docker.com/reference/dockerfile/#from>,
//! <https://docs.docker.com/reference/compose-file/build/>.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{Scan, Source, dir_of, join, normalize};

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    is_dockerfile(file_name) || is_compose(file_name)
}

/// True for the usual names of Dockerfiles and Containerfiles.
pub fn is_dockerfile(name: &str) -> bool {
    if name.ends_with(".dockerignore") {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
}

/// True for Compose file names, overrides included.
pub fn is_compose(name: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))
    else {
        return false;
    };
    stem == "compose"
        || stem == "docker-compose"
        || stem.starts_with("compose.")
        || stem.starts_with("docker-compose.")
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for rel in index.matching(is_dockerfile) {
        record(scan, rel);
        seen.insert(rel.to_owned());
    }
    for rel in index.matching(is_compose) {
        let Some(text) = scan.read(rel) else {
            continue;
        };
        let builds = match parse_compose(&text) {
            Ok(builds) => builds,
            Err(message) => {
                scan.warn(rel, message);
                continue;
            }
        };
        for (service, dockerfile) in builds {
            let Some(path) = normalize(&join(dir_of(rel), &dockerfile)) else {
                scan.warn(
                    rel,
                    format!(
                        "service `{service}` builds from `{dockerfile}`, outside the repository"
                    ),
                );
                continue;
            };
            if seen.contains(&path) {
                continue;
            }
            let exists =
                std::fs::symlink_metadata(index.root().join(&path)).is_ok_and(|m| m.is_file());
            if exists {
                record(scan, &path);
                seen.insert(path);
            } else {
                scan.warn(
                    rel,
                    format!("service `{service}` builds from `{path}`, which does not exist"),
                );
            }
        }
    }
}

fn record(scan: &mut Scan<'_>, rel: &str) {
    scan.docker_file(rel);
    let text = scan.read(rel);
    if is_packaging(rel, text.as_deref().unwrap_or("")) {
        scan.packaging_docker_file(rel);
    }
    if let Some(text) = text {
        for (tool, version) in parse_dockerfile(&text) {
            scan.docker_tool(rel, tool);
            scan.toolchain(tool, &version, Source::Dockerfile, rel);
        }
    }
}

/// True for a Dockerfile that builds distribution packages or a development container, not the
/// application's image: by its path (`Dockerfile.deb`, `packaging/Dockerfile`,
/// `.devcontainer/Dockerfile`) or by a package builder its instructions run.
///
/// ```
/// use slipway::detect::docker::is_packaging;
/// assert!(is_packaging("packaging/Dockerfile", "FROM ubuntu\n"));
/// assert!(!is_packaging("docker/debian/Dockerfile", "FROM debian\n"));
/// assert!(is_packaging("Dockerfile.rpm", "FROM fedora:40\n"));
/// assert!(is_packaging("Dockerfile", "FROM debian\nRUN dpkg-buildpackage -us -uc\n"));
/// assert!(!is_packaging("Dockerfile", "FROM node:22\nRUN npm ci && npm run build\n"));
/// ```
pub fn is_packaging(rel: &str, text: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    let words = |s: &str| {
        s.split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (dirs, name) = lower.rsplit_once('/').unwrap_or(("", &lower));
    let by_dir = dirs
        .split('/')
        .any(|d| matches!(d, "packaging" | ".devcontainer"));
    let by_name = words(name)
        .iter()
        .any(|w| matches!(w.as_str(), "deb" | "rpm" | "packaging"));
    let builders = ["dpkg-buildpackage", "debuild", "rpmbuild", "fpm", "nfpm"];
    // Any word of an instruction or continuation line (not a comment) that names a builder.
    let by_content = text
        .lines()
        .map(str::trim_start)
        .filter(|line| !line.starts_with('#'))
        .flat_map(|line| {
            line.split(|c: char| {
                c.is_whitespace()
                    || matches!(c, '"' | '\'' | '[' | ']' | ',' | ';' | '&' | '|' | '(')
            })
        })
        .any(|w| builders.contains(&w.rsplit('/').next().unwrap_or(w)));
    by_dir || by_name || by_content
}

#[derive(Deserialize)]
struct Compose {
    #[serde(default)]
    services: Option<BTreeMap<String, Option<Service>>>,
}

#[derive(Deserialize)]
struct Service {
    #[serde(default)]
    build: Option<Build>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Build {
    Context(String),
    Full {
        #[serde(default)]
        context: Option<String>,
        #[serde(default)]
        dockerfile: Option<String>,
        #[serde(default)]
        dockerfile_inline: Option<String>,
    },
}

/// The Dockerfiles a Compose file's services build from, relative to the Compose file's
/// directory, by service name.
pub fn parse_compose(text: &str) -> Result<Vec<(String, String)>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let compose: Compose = serde_saphyr::from_str(text).map_err(|e| {
        let message = e.to_string();
        let first = message.lines().next().unwrap_or("").trim_end_matches('.');
        let first = first.strip_prefix("error: ").unwrap_or(first);
        format!("not a valid Compose file: {}", lower_first(first))
    })?;
    let mut out = Vec::new();
    for (name, service) in compose.services.unwrap_or_default() {
        let Some(build) = service.and_then(|s| s.build) else {
            continue;
        };
        let (context, dockerfile) = match build {
            Build::Context(context) => (context, None),
            Build::Full {
                dockerfile_inline: Some(_),
                ..
            } => continue,
            Build::Full {
                context,
                dockerfile,
                ..
            } => (context.unwrap_or_else(|| ".".to_owned()), dockerfile),
        };
        if context.contains("://") || context.starts_with("git@") {
            continue;
        }
        let dockerfile = dockerfile.unwrap_or_else(|| "Dockerfile".to_owned());
        if dockerfile.starts_with('/') || context.starts_with('/') {
            continue;
        }
        let path = join(&context, &dockerfile);
        out.push((name, normalize(&path).unwrap_or(path)));
    }
    Ok(out)
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The toolchains a Dockerfile's base images name, first image first, one per tool.
pub fn parse_dockerfile(text: &str) -> Vec<(&'static str, String)> {
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_from = false;
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for instruction in instructions(text) {
        let mut words = instruction.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        if keyword.eq_ignore_ascii_case("ARG") && !seen_from {
            for def in words {
                let (name, value) = def.split_once('=').unwrap_or((def, ""));
                args.insert(name.to_owned(), value.trim_matches(['"', '\'']).to_owned());
            }
        } else if keyword.eq_ignore_ascii_case("FROM") {
            seen_from = true;
            let rest: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
            let Some(image) = rest.first() else {
                continue;
            };
            // `FROM build AS test` names an earlier stage: without a tag it names no version,
            // so image_toolchain skips it like an untagged image.
            let Some(image) = substitute(image, &args) else {
                continue;
            };
            if let Some((tool, version)) = image_toolchain(&image)
                && !out.iter().any(|(t, _)| *t == tool)
            {
                out.push((tool, version));
            }
        }
    }
    out
}

/// Instructions with line continuations joined and comment lines dropped.
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            continue;
        }
        if let Some(body) = trimmed.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The longest image reference substitution builds. Real ones are well under it (a registry,
/// a path, a tag and a digest); past it, a file that repeats a huge `ARG` would otherwise make
/// the expansion grow without bound.
const MAX_IMAGE_REFERENCE: usize = 1024;

/// Replaces `$NAME`, `${NAME}` and `${NAME:-default}` with ARG defaults; `None` when a
/// variable has no value or the result would be longer than [`MAX_IMAGE_REFERENCE`].
fn substitute(s: &str, args: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    let push = |out: &mut String, piece: &str| {
        if out.len() + piece.len() > MAX_IMAGE_REFERENCE {
            return None;
        }
        out.push_str(piece);
        Some(())
    };
    while let Some(i) = rest.find('$') {
        push(&mut out, &rest[..i])?;
        let after = &rest[i + 1..];
        let (expr, tail) = if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}')?;
            (&inner[..end], &inner[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        let (name, default) = match expr.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (expr, None),
        };
        let value = args
            .get(name)
            .filter(|v| !v.is_empty())
            .map(String::as_str)
            .or(default)?;
        push(&mut out, value)?;
        rest = tail;
    }
    push(&mut out, rest)?;
    Some(out)
}

/// The toolchain an image reference names: `node:20-alpine` → (`node`, `20`).
pub fn image_toolchain(image: &str) -> Option<(&'static str, String)> {
    let image = image.split('@').next().unwrap_or(image);
    let (name, tag) = match image.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, t),
        _ => return None,
    };
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1
        && parts
            .first()
            .is_some_and(|p| p.contains('.') || p.contains(':') || *p == "localhost")
    {
        parts.remove(0);
    }
    if parts.first() == Some(&"library") {
        parts.remove(0);
    }
    // Rebuilds of the official images under another namespace.
    if parts.len() == 2 && matches!(parts[0], "bitnami" | "chainguard") {
        parts.remove(0);
    }
    let name = parts.join("/").to_ascii_lowercase();
    let tag = tag.to_ascii_lowercase();
    let (tool, version) = match name.as_str() {
        "node" => ("node", leading_version(&tag)?),
        "python" => ("python", leading_version(&tag)?),
        "golang" | "go" => ("go", leading_version(&tag)?),
        "rust" => ("rust", leading_version(&tag)?),
        "ruby" => ("ruby", leading_version(&tag)?),
        "php" => ("php", leading_version(&tag)?),
        "oven/bun" => ("bun", leading_version(&tag)?),
        "denoland/deno" => ("deno", leading_version(after_variant(&tag))?),
        "eclipse-temurin"
        | "openjdk"
        | "amazoncorretto"
        | "sapmachine"
        | "azul/zulu-openjdk"
        | "azul/zulu-openjdk-alpine"
        | "azul/zulu-openjdk-debian" => {
            // `21.0.2_13-jre` → `21.0.2`, `8u392-b08` → `8`.
            ("java", leading_version(&tag)?)
        }
        "ibm-semeru-runtimes" => ("java", leading_version(after_variant(&tag))?),
        "maven" => (
            "java",
            number_after(
                &tag,
                &[
                    "temurin-",
                    "corretto-",
                    "openjdk-",
                    "sapmachine-",
                    "semeru-",
                    "jdk-",
                ],
            )?,
        ),
        "gradle" => ("java", number_after(&tag, &["jdk-", "jdk", "jre"])?),
        n if n.starts_with("dotnet/") => {
            let v = leading_version(&tag)?;
            let v = if n.ends_with("/sdk") {
                v
            } else {
                v.split('.').take(2).collect::<Vec<_>>().join(".")
            };
            ("dotnet", v)
        }
        _ => return None,
    };
    Some((tool, version))
}

/// `alpine-1.42.0` → `1.42.0`, `open-21-jdk` → `21-jdk`.
fn after_variant(tag: &str) -> &str {
    match tag.split_once('-') {
        Some((head, rest)) if !head.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => tag,
    }
}

/// The version right after one of `markers` in a tag (`3.9-eclipse-temurin-21` → `21`).
fn number_after(tag: &str, markers: &[&str]) -> Option<String> {
    markers.iter().find_map(|m| {
        tag.match_indices(m)
            .find_map(|(i, _)| leading_version(&tag[i + m.len()..]))
    })
}

/// The version at the start of a tag: `20.11-alpine` → `20.11`; `None` for `lts`, `latest`.
fn leading_version(tag: &str) -> Option<String> {
    let v: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v = v.trim_end_matches('.');
    (!v.is_empty() && v.starts_with(|c: char| c.is_ascii_digit())).then(|| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tc(image: &str) -> Option<(&'static str, String)> {
        image_toolchain(image)
    }

    fn pair(tool: &'static str, v: &str) -> Option<(&'static str, String)> {
        Some((tool, v.to_owned()))
    }

    #[test]
    fn base_images() {
        assert_eq!(tc("node:20-alpine"), pair("node", "20"));
        assert_eq!(
            tc("docker.io/library/python:3.12-slim"),
            pair("python", "3.12")
        );
        assert_eq!(tc("golang:1.22.3-bookworm"), pair("go", "1.22.3"));
        assert_eq!(tc("rust:1.80"), pair("rust", "1.80"));
        assert_eq!(tc("eclipse-temurin:21-jdk"), pair("java", "21"));
        assert_eq!(
            tc("eclipse-temurin:21.0.2_13-jre-alpine"),
            pair("java", "21.0.2")
        );
        assert_eq!(tc("maven:3.9.6-eclipse-temurin-21"), pair("java", "21"));
        assert_eq!(tc("gradle:8.7-jdk21-alpine"), pair("java", "21"));
        assert_eq!(tc("ruby:3.3"), pair("ruby", "3.3"));
        assert_eq!(tc("php:8.3-fpm"), pair("php", "8.3"));
        assert_eq!(
            tc("mcr.microsoft.com/dotnet/sdk:8.0"),
            pair("dotnet", "8.0")
        );
        assert_eq!(
            tc("mcr.microsoft.com/dotnet/aspnet:8.0.4-alpine"),
            pair("dotnet", "8.0")
        );
        assert_eq!(tc("oven/bun:1.1"), pair("bun", "1.1"));
        assert_eq!(tc("denoland/deno:alpine-1.42.0"), pair("deno", "1.42.0"));
        assert_eq!(tc("ibm-semeru-runtimes:open-17-jdk"), pair("java", "17"));
        assert_eq!(
            tc("node:20.11.1-bookworm-slim@sha256:0123456789abcdef"),
            pair("node", "20.11.1")
        );
        assert_eq!(tc("registry.example.com:5000/node:18"), pair("node", "18"));
        assert_eq!(tc("node"), None);
        assert_eq!(tc("node:lts-alpine"), None);
        assert_eq!(tc("postgres:16"), None);
        assert_eq!(tc("localhost:5000/app"), None);
    }

    #[test]
    fn from_lines_with_args_platforms_and_stages() {
        let text = "# syntax=docker/dockerfile:1\nARG NODE_VERSION=20.11\nARG GO=\"1.22\"\n\
            FROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-alpine AS assets\nRUN npm ci \\\n  && npm run build\n\
            FROM golang:${GO:-1.21} AS build\nARG IGNORED=1\n\
            FROM build AS test\n\
            from gcr.io/distroless/static-debian12\nCOPY --from=build /app /app\n\
            FROM node:22 AS again\n";
        assert_eq!(
            parse_dockerfile(text),
            vec![("node", "20.11".to_owned()), ("go", "1.22".to_owned())]
        );
        assert_eq!(
            parse_dockerfile("ARG V\nFROM python:${V}-slim\n"),
            Vec::new()
        );
        assert_eq!(
            parse_dockerfile("FROM \\\n  ruby:3.3.0-slim \\\n  AS base\n"),
            vec![("ruby", "3.3.0".to_owned())]
        );
    }

    #[test]
    fn arg_substitution_gives_up_past_an_image_references_length() {
        let a = "1".repeat(600);
        let args = BTreeMap::from([("A".to_owned(), a.clone())]);
        assert_eq!(substitute("node:$A", &args), Some(format!("node:{a}")));
        assert_eq!(substitute("node:$A$A", &args), None);
        assert_eq!(substitute("node:${A}x${A}", &args), None);
    }

    #[test]
    fn a_megabyte_arg_referenced_many_times_is_not_expanded() {
        // Expanded, this would be 100 GiB: the parser must neither allocate it nor abort.
        let text = format!(
            "ARG A={}\nFROM node:{}\nFROM python:3.12\n",
            "x".repeat(1024 * 1024),
            "$A".repeat(100_000)
        );
        assert_eq!(parse_dockerfile(&text), vec![("python", "3.12".to_owned())]);
    }

    #[test]
    fn compose_builds() {
        let text = r#"
x-common: &common
  restart: unless-stopped
services:
  api:
    <<: *common
    build: ./services/api
    ports: ["8000:8000"]
  billing:
    build:
      context: services/billing
      dockerfile: deploy/billing.docker
      args: { CONFIGURATION: Release }
  db:
    image: postgres:16
  inline:
    build:
      dockerfile_inline: "FROM alpine"
  remote:
    build: https://github.com/acme/thing.git#main
"#;
        assert_eq!(
            parse_compose(text).expect("valid"),
            vec![
                ("api".to_owned(), "services/api/Dockerfile".to_owned()),
                (
                    "billing".to_owned(),
                    "services/billing/deploy/billing.docker".to_owned()
                ),
            ]
        );
        assert_eq!(parse_compose("").expect("empty"), Vec::new());
        assert_eq!(
            parse_compose("services:\n").expect("no services"),
            Vec::new()
        );
        let err = parse_compose("services:\n  api: [unclosed\n").expect_err("broken");
        assert!(err.starts_with("not a valid Compose file"), "{err}");
        assert!(parse_compose("services: 3\n").is_err());
    }

    #[test]
    fn file_names() {
        for name in [
            "Dockerfile",
            "Dockerfile.dev",
            "api.Dockerfile",
            "Containerfile",
            "dockerfile",
        ] {
            assert!(is_dockerfile(name), "{name}");
        }
        assert!(!is_dockerfile("Dockerfile.dockerignore"));
        for name in [
            "compose.yaml",
            "docker-compose.yml",
            "docker-compose.override.yml",
            "compose.prod.yaml",
        ] {
            assert!(is_compose(name), "{name}");
        }
        assert!(!is_compose("compose.json"));
        assert!(!is_compose("my-compose.yml"));
    }

    #[test]
    fn malformed_manifests_become_warnings_and_the_rest_is_detected() {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |rel: &str, bytes: &[u8]| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(path, bytes).expect("write");
        };
        write("pom.xml", b"<project><modules>");
        write("web/composer.json", b"{\"require\": ");
        write("compose.yaml", b"services:\n  api: [\n");
        write("tools/go.mod", b"x\0y");
        write("api/go.mod", b"\xef\xbb\xbfmodule api\ngo 1.21\n");
        write("api/Dockerfile", b"FROM golang:1.22-alpine\n");
        write("app/App.csproj", b"<Project><PropertyGroup>");
        write("build.gradle.kts", &[0xff, 0xfe, 0x00, 0x41]);
        let d = super::super::detect(dir.path()).expect("detects");
        let warned: Vec<&str> = d.warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(
            warned,
            vec![
                "app/App.csproj",
                "build.gradle.kts",
                "compose.yaml",
                "pom.xml",
                "tools/go.mod",
                "web/composer.json"
            ]
        );
        assert_eq!(d.stacks.toolchains["go"], "1.21");
        assert_eq!(d.stacks.docker_files, vec!["api/Dockerfile"]);
        assert!(
            d.stacks
                .test_commands
                .contains(&"cd api && go test ./...".to_owned())
        );
        assert!(d.stacks.test_commands.contains(&"mvn -B verify".to_owned()));
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_dockerfile(&text);
            let _ = parse_compose(&text);
            let _ = image_toolchain(&text);
        }

        #[test]
        fn dockerfile_parser_never_panics_on_soup(text in "(FROM|ARG|AS|--platform=|\\$|\\{|\\}|:-|=|node|:|@|/|\\\\|\n| |1|\\.|é)*") {
            let _ = parse_dockerfile(&text);
        }

        #[test]
        fn compose_parser_never_panics_on_yaml_soup(text in "(services|build|context|dockerfile|:|-| |\n|\\[|\\]|\\{|\\}|&a|\\*a|<<|\"|x)*") {
            let _ = parse_compose(&text);
        }
    }
}
