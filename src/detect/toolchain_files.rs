//! Version-manager files that name toolchains for several languages at once:
//! `.tool-versions` (asdf, also read by mise), `mise.toml` / `.mise.toml` (`[tools]`), and
//! `.java-version` (jenv), which no single JVM build tool owns.
//!
//! Each tool becomes a toolchain entry with [`Source::ToolchainFile`], under our tool keys
//! (`node`, `python`, `go`, `java`, `ruby`, `rust`, `php`, `dotnet`, `bun`, `deno`); asdf plugin
//! names (`nodejs`, `golang`, `dotnet-core`) and mise backends (`core:node`, `asdf:nodejs`) are
//! mapped to them, other tools (`terraform`, `npm:prettier`) are ignored. Versions are kept as
//! written, except that Java's distribution prefix is dropped (`temurin-21.0.2` → `21.0.2`)
//! because every setup action takes the distribution separately; `system`, `path:` and `ref:`
//! entries name no version and are skipped. When a tool lists several versions the first one
//! is the default, as in asdf and mise.
//!
//! A tool also declares its language (a repository with only `.tool-versions: ruby 3.3.0` is a
//! Ruby repository), except `dotnet`, whose SDK serves C# and F# alike.
//!
//! Formats: <https://asdf-vm.com/manage/configuration.html#tool-versions>,
//! <https://mise.jdx.dev/configuration.html#tools-dev-tools>, <https://www.jenv.be/>.

use super::{Language, Scan, Source, file_name};

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    matches!(
        file_name,
        ".tool-versions" | "mise.toml" | ".mise.toml" | ".java-version"
    )
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    for rel in index.matching(interesting) {
        let Some(text) = scan.read(rel) else {
            continue;
        };
        let tools = match file_name(rel) {
            ".tool-versions" => parse_tool_versions(&text),
            ".java-version" => parse_java_version(&text)
                .map(|v| vec![("java".to_owned(), v)])
                .unwrap_or_default(),
            _ => match parse_mise(&text) {
                Ok(tools) => tools,
                Err(message) => {
                    scan.warn(rel, message);
                    continue;
                }
            },
        };
        for (tool, version) in tools {
            scan.toolchain(&tool, &version, Source::ToolchainFile, rel);
            if let Some(language) = language_of(&tool) {
                scan.language(language, rel);
            }
        }
    }
}

/// The language a tool key declares, if any.
pub fn language_of(tool: &str) -> Option<Language> {
    Some(match tool {
        "node" | "bun" | "deno" => Language::Javascript,
        "python" => Language::Python,
        "go" => Language::Go,
        "java" => Language::Java,
        "ruby" => Language::Ruby,
        "rust" => Language::Rust,
        "php" => Language::Php,
        _ => return None,
    })
}

/// Maps an asdf plugin or mise tool name to our tool key.
pub fn tool_key(name: &str) -> Option<&'static str> {
    // mise backends: `core:node`, `asdf:nodejs`, `vfox:golang`; other backends (`npm:`,
    // `cargo:`, `ubi:`, `aqua:`) install CLI tools, not language toolchains.
    let name = match name.split_once(':') {
        Some(("core" | "asdf" | "vfox", rest)) => rest,
        Some(_) => return None,
        None => name,
    };
    // asdf plugins may be named by URL-ish paths (`mise-plugins/asdf-nodejs`); the last segment
    // is the tool.
    let name = name.rsplit('/').next().unwrap_or(name);
    let name = name.strip_prefix("asdf-").unwrap_or(name);
    Some(match name.to_ascii_lowercase().as_str() {
        "node" | "nodejs" => "node",
        "python" => "python",
        "go" | "golang" => "go",
        "java" => "java",
        "ruby" => "ruby",
        "rust" => "rust",
        "php" => "php",
        "dotnet" | "dotnet-core" => "dotnet",
        "bun" => "bun",
        "deno" => "deno",
        _ => return None,
    })
}

/// Cleans one version as written in a version-manager file; `None` when it names no version.
pub fn clean_version(tool: &str, version: &str) -> Option<String> {
    let v = version.trim().trim_matches(['"', '\'']);
    if v.is_empty()
        || v == "system"
        || v.starts_with("path:")
        || v.starts_with("ref:")
        || v.starts_with("prefix:")
    {
        return None;
    }
    if tool == "java" {
        return Some(strip_java_vendor(v).to_owned());
    }
    Some(v.to_owned())
}

/// `temurin-21.0.2+13.0.LTS` → `21.0.2+13.0.LTS`, `openjdk-21` → `21`, `21` → `21`.
pub fn strip_java_vendor(v: &str) -> &str {
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        return v;
    }
    // The version starts after the last `-` that is followed by a digit (`zulu-musl-21.0.1`).
    let bytes = v.as_bytes();
    let mut start = None;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            start = Some(i + 1);
        }
    }
    start.and_then(|s| v.get(s..)).unwrap_or(v)
}

/// Parses `.tool-versions`: `tool version [fallback…]` per line, `#` comments.
pub fn parse_tool_versions(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        let Some(tool) = tool_key(name) else {
            continue;
        };
        let Some(version) = clean_version(tool, version) else {
            continue;
        };
        if !out.iter().any(|(t, _)| t == tool) {
            out.push((tool.to_owned(), version));
        }
    }
    out
}

/// Parses `.java-version`: one version on the first non-empty line.
pub fn parse_java_version(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    clean_version("java", line)
}

/// Parses the `[tools]` table of `mise.toml`. A tool's value is a version, a list of versions
/// (the first is the default), or a table with a `version` key.
pub fn parse_mise(text: &str) -> Result<Vec<(String, String)>, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| {
        format!(
            "not valid TOML: {}",
            e.message().trim_end_matches('.').to_lowercase()
        )
    })?;
    let mut out: Vec<(String, String)> = Vec::new();
    let Some(toml::Value::Table(tools)) = doc.get("tools") else {
        return Ok(out);
    };
    for (name, value) in tools {
        let Some(tool) = tool_key(name) else {
            continue;
        };
        let version = match value {
            toml::Value::String(s) => Some(s.as_str()),
            toml::Value::Array(list) => list.first().and_then(|v| match v {
                toml::Value::String(s) => Some(s.as_str()),
                toml::Value::Table(t) => t.get("version").and_then(toml::Value::as_str),
                _ => None,
            }),
            toml::Value::Table(t) => t.get("version").and_then(toml::Value::as_str),
            _ => None,
        };
        // `node = "20 22"`: mise installs both and uses the first.
        let Some(version) = version.and_then(|v| v.split_whitespace().next()) else {
            continue;
        };
        if let Some(version) = clean_version(tool, version)
            && !out.iter().any(|(t, _)| t == tool)
        {
            out.push((tool.to_owned(), version));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn tool_versions_maps_asdf_plugins() {
        let text = "# tools\nnodejs 20.11.0\npython 3.12.1 3.11.7\ngolang 1.22.1\n\
                    java temurin-21.0.2+13.0.LTS\nruby 3.3.0 # pinned\nterraform 1.7.0\n\
                    dotnet-core 8.0.100\nrust system\n\n  bun   1.1.0  \n";
        assert_eq!(
            parse_tool_versions(text),
            pairs(&[
                ("node", "20.11.0"),
                ("python", "3.12.1"),
                ("go", "1.22.1"),
                ("java", "21.0.2+13.0.LTS"),
                ("ruby", "3.3.0"),
                ("dotnet", "8.0.100"),
                ("bun", "1.1.0"),
            ])
        );
    }

    #[test]
    fn mise_reads_strings_lists_tables_and_backends() {
        let text = r#"
[env]
NODE_ENV = "production"

[tools]
"core:node" = "22"
python = ["3.12", "3.11"]
go = { version = "1.22.3", os = ["linux"] }
java = "openjdk-21"
"npm:prettier" = "3"
terraform = "1.7"
ruby = "path:~/.rubies/3.3"
"#;
        let mut tools = parse_mise(text).expect("valid");
        tools.sort();
        assert_eq!(
            tools,
            pairs(&[
                ("go", "1.22.3"),
                ("java", "21"),
                ("node", "22"),
                ("python", "3.12")
            ])
        );
        assert_eq!(parse_mise("").expect("empty is valid"), Vec::new());
        assert!(
            parse_mise("[tools\nnode = ")
                .expect_err("broken")
                .starts_with("not valid TOML")
        );
    }

    #[test]
    fn java_version_files_and_vendor_prefixes() {
        assert_eq!(parse_java_version("\n17.0\n"), Some("17.0".to_owned()));
        assert_eq!(parse_java_version(""), None);
        assert_eq!(strip_java_vendor("temurin-21"), "21");
        assert_eq!(strip_java_vendor("zulu-musl-21.0.1"), "21.0.1");
        assert_eq!(strip_java_vendor("graalvm-community-21"), "21");
        assert_eq!(strip_java_vendor("21"), "21");
        assert_eq!(strip_java_vendor("latest"), "latest");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_tool_versions(&text);
            let _ = parse_mise(&text);
            let _ = parse_java_version(&text);
        }

        #[test]
        fn parsers_never_panic_on_shaped_text(text in "[a-z:\\-\\[\\]=\" .0-9\n#]{0,200}") {
            let _ = parse_tool_versions(&text);
            let _ = parse_mise(&text);
            let _ = strip_java_vendor(&text);
        }
    }
}
