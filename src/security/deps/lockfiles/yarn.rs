//! `yarn.lock`, classic (v1, its own format) and berry (v2+, YAML), read line by line: an
//! entry header at column 0 lists the specs it resolves (`"lodash@^4.17.0", lodash@^4.17.20:`),
//! and its indented `version` line gives the version (`version "4.17.21"` or `version: 4.17.21`).
//! <https://classic.yarnpkg.com/lang/en/docs/yarn-lock/>, <https://yarnpkg.com/configuration/yarnrc>

use super::{Malformed, Package, Parsed, looks_like_version, unquote};
use crate::security::deps::Ecosystem;

/// The package name a spec resolves: `lodash@^4`, `@types/node@npm:^20`, and aliases
/// `alias@npm:real@^1`. `None` for workspace, link, portal, file and git sources.
fn spec_name(spec: &str) -> Option<&str> {
    // Berry quotes a whole list (`"a@npm:^1, a@npm:^1.2":`), classic each spec.
    let spec = spec.trim().trim_matches('"');
    let at = spec.get(1..)?.find('@')? + 1;
    let (name, range) = (&spec[..at], &spec[at + 1..]);
    if let Some(r) = range.strip_prefix("npm:") {
        if let Some(a) = r.get(1..).and_then(|s| s.find('@')) {
            return Some(&r[..a + 1]);
        }
        return Some(name);
    }
    let protocol = range.split_once(':').map(|(p, _)| p);
    match protocol {
        None | Some("patch") => Some(name),
        Some(p) if p.starts_with("http") => Some(name),
        _ => None,
    }
}

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let mut out = Parsed::default();
    let mut current: Option<(Option<&str>, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            let Some(header) = line.strip_suffix(':') else {
                return Err(Malformed::at(
                    line_no,
                    "expected an entry header ending in `:`",
                ));
            };
            if header == "__metadata" {
                current = None;
                continue;
            }
            let first = header.split(", ").next().unwrap_or(header);
            current = Some((spec_name(first), line_no));
            continue;
        }
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent != 2 {
            continue;
        }
        let version = trimmed
            .strip_prefix("version:")
            .or_else(|| trimmed.strip_prefix("version "));
        if let (Some(v), Some((name, at))) = (version, current) {
            let v = unquote(v.trim());
            if let Some(name) = name.filter(|_| looks_like_version(v)) {
                out.packages.push(Package {
                    ecosystem: Ecosystem::Npm,
                    name: name.to_owned(),
                    version: v.to_owned(),
                    line: u32::try_from(at).ok(),
                });
            }
            current = None;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_names() {
        assert_eq!(spec_name("lodash@^4.17.0"), Some("lodash"));
        assert_eq!(spec_name("\"@babel/core@npm:^7.0.0\""), Some("@babel/core"));
        assert_eq!(spec_name("alias@npm:semver@^7"), Some("semver"));
        assert_eq!(spec_name("app@workspace:."), None);
        assert_eq!(spec_name("x@https://example.com/x.tgz"), Some("x"));
        assert_eq!(spec_name("\"lodash@npm:^4.17.15"), Some("lodash"));
    }

    #[test]
    fn classic_and_berry_entries() {
        let classic = "# yarn lockfile v1\n\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.22.5\":\n  version \"7.22.5\"\n  resolved \"https://registry.yarnpkg.com/x\"\n";
        let p = read(classic).unwrap().packages;
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str(), p[0].line),
            ("@babel/code-frame", "7.22.5", Some(4))
        );
        let berry = "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"semver@npm:^7.5.0\":\n  version: 7.5.1\n  resolution: \"semver@npm:7.5.1\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n";
        let p = read(berry).unwrap().packages;
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str(), p[0].line),
            ("semver", "7.5.1", Some(5))
        );
    }

    #[test]
    fn a_stray_line_is_malformed() {
        assert_eq!(
            read("a@1:\n  version \"1\"\ngarbage\n").unwrap_err().line,
            Some(3)
        );
    }
}
