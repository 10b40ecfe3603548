//! `Gemfile.lock` / `gems.locked` (Bundler, <https://bundler.io/guides/bundler_setup.html>):
//! gems under `GEM` → `specs:` at four spaces, `name (version)` or `name (version-platform)`.
//! `PATH` and `GIT` sections are not from rubygems.org and are left out.

use super::{Malformed, Package, Parsed};
use crate::security::deps::Ecosystem;

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let mut out = Parsed::default();
    let mut section = "";
    let mut in_specs = false;
    let mut seen_section = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            if !line.bytes().all(|b| b.is_ascii_uppercase() || b == b' ') {
                return Err(Malformed::at(
                    line_no,
                    "expected a section name such as `GEM`",
                ));
            }
            section = line;
            in_specs = false;
            seen_section = true;
            continue;
        }
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent == 2 {
            in_specs = trimmed == "specs:";
            continue;
        }
        if section != "GEM" || !in_specs || indent != 4 {
            continue;
        }
        let Some((name, rest)) = trimmed.split_once(" (") else {
            return Err(Malformed::at(line_no, "expected `name (version)`"));
        };
        let Some(version) = rest.strip_suffix(')') else {
            return Err(Malformed::at(line_no, "expected `name (version)`"));
        };
        // `1.15.4-x86_64-linux`: gem versions never hold `-`, platforms follow it.
        let version = version.split('-').next().unwrap_or(version);
        out.packages.push(Package {
            ecosystem: Ecosystem::RubyGems,
            name: name.to_owned(),
            version: version.to_owned(),
            line: u32::try_from(line_no).ok(),
        });
    }
    if !seen_section {
        return Err(Malformed::at(1, "no `GEM` section: not a Gemfile.lock"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gems_with_platforms_and_path_sections() {
        let text = "PATH\n  remote: .\n  specs:\n    app (0.1.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.9-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.0)\n\nPLATFORMS\n  x86_64-linux\n";
        let p = read(text).unwrap().packages;
        let got = super::super::listed(&p);
        assert_eq!(
            got,
            [("nokogiri", "1.13.9", Some(9)), ("racc", "1.6.0", Some(11))]
        );
        assert_eq!(
            read("GEM\n  specs:\n    broken\n").unwrap_err().line,
            Some(3)
        );
    }
}
