//! Ruby: `Gemfile` (or `gems.rb`), `Gemfile.lock`, `.ruby-version`, `.rspec`, Rails markers.
//!
//! Every Gemfile is a project (`bundler`). Its test command, run through Bundler so the locked
//! gems are used:
//! - `bundle exec rspec` when RSpec is in the Gemfile (`rspec`, `rspec-rails`, `rspec-core`) or
//!   a `.rspec` file sits beside it: teams that add RSpec to Rails use it instead of Minitest;
//! - `bundle exec rails db:test:prepare test` for Rails apps with a `config/database.yml`, else
//!   `bundle exec rails test` (`config/application.rb`, `bin/rails`, or the
//!   `rails` / `railties` gem);
//! - `bundle exec rake test` when a `Rakefile` is present (gems and plain Ruby apps);
//! - nothing otherwise (a Gemfile that only installs tools, such as a Jekyll site's).
//!
//! Toolchain (`ruby`): `.ruby-version` ([`Source::ToolchainFile`], `ruby-3.3.0` → `3.3.0`), then
//! the Gemfile's `ruby "3.3.0"` directive, then the `RUBY VERSION` section of the lockfile (both
//! [`Source::Manifest`]; the Gemfile is preferred because it is what Bundler enforces).
//! Versions are kept as written (`~> 3.2`), like other manifest constraints.
//!
//! Format: <https://bundler.io/guides/gemfile.html>, <https://bundler.io/man/gemfile.5.html>.

use std::collections::HashSet;

use super::{Language, PackageManager, Project, Scan, Source, dir_of, file_name, join};

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    matches!(
        file_name,
        "Gemfile"
            | "gems.rb"
            | "Gemfile.lock"
            | "gems.locked"
            | ".ruby-version"
            | ".rspec"
            | "Rakefile"
            | "application.rb"
            | "rails"
    )
}

/// What a Gemfile declares.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Gemfile {
    /// Gem names, in order.
    pub gems: Vec<String>,
    /// The `ruby` directive's version, as written.
    pub ruby: Option<String>,
}

impl Gemfile {
    fn has(&self, gem: &str) -> bool {
        self.gems.iter().any(|g| g == gem)
    }
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    for rel in index.named(".ruby-version") {
        if let Some(text) = scan.read(rel)
            && let Some(v) = parse_ruby_version(&text)
        {
            scan.toolchain("ruby", &v, Source::ToolchainFile, rel);
            scan.language(Language::Ruby, rel);
        }
    }
    for rel in index.matching(|n| n == "Gemfile" || n == "gems.rb") {
        let dir = dir_of(rel);
        let gemfile = scan
            .read(rel)
            .map(|t| parse_gemfile(&t))
            .unwrap_or_default();
        if let Some(v) = &gemfile.ruby {
            scan.toolchain("ruby", v, Source::Manifest, rel);
        }
        let lock = if file_name(rel) == "gems.rb" {
            "gems.locked"
        } else {
            "Gemfile.lock"
        };
        if index.has(dir, lock) {
            let lock = join(dir, lock);
            if let Some(v) = scan.read(&lock).and_then(|t| parse_lock_ruby(&t)) {
                scan.toolchain("ruby", &v, Source::Manifest, &lock);
            }
        }
        let rspec = gemfile.has("rspec") || gemfile.has("rspec-rails") || gemfile.has("rspec-core");
        let rails = index.contains(&join(dir, "config/application.rb"))
            || index.contains(&join(dir, "bin/rails"))
            || gemfile.has("rails")
            || gemfile.has("railties");
        let test_command = if rspec || index.has(dir, ".rspec") {
            Some("bundle exec rspec")
        } else if rails && index.contains(&join(dir, "config/database.yml")) {
            // What Rails' own generated CI runs: create or update the test database from the
            // schema, then test (a fresh service database has no tables).
            Some("bundle exec rails db:test:prepare test")
        } else if rails {
            Some("bundle exec rails test")
        } else if index.has(dir, "Rakefile") {
            Some("bundle exec rake test")
        } else {
            None
        };
        scan.project(Project {
            path: dir.to_owned(),
            stack: Language::Ruby,
            package_manager: PackageManager::Bundler,
            test_command: test_command.map(str::to_owned),
        });
    }
}

/// Parses `.ruby-version`: `3.3.0`, `ruby-3.3.0`.
pub fn parse_ruby_version(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let v = line.split_whitespace().next()?;
    let v = v.strip_prefix("ruby-").unwrap_or(v);
    (!v.is_empty()).then(|| v.to_owned())
}

/// Reads `gem "name"` lines and the `ruby "x"` directive of a Gemfile. Gemfiles are Ruby, so
/// only literal first arguments count; `ruby file: ".ruby-version"` names no version here (the
/// file itself is read).
pub fn parse_gemfile(text: &str) -> Gemfile {
    let mut out = Gemfile::default();
    let mut seen: HashSet<String> = HashSet::new();
    for line in text.lines() {
        let line = line.trim_start();
        let line = line.split('#').next().unwrap_or("");
        let Some((word, rest)) = line.split_once([' ', '(']) else {
            continue;
        };
        let Some(value) = first_string(rest) else {
            continue;
        };
        match word {
            "gem" if seen.insert(value.clone()) => out.gems.push(value),
            "ruby" if out.ruby.is_none() => out.ruby = Some(value),
            _ => {}
        }
    }
    out
}

fn first_string(s: &str) -> Option<String> {
    let s = s.trim_start().trim_start_matches('(').trim_start();
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &s[1..];
    let end = body.find(q)?;
    let v = body[..end].trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// The `RUBY VERSION` section of a lockfile: `   ruby 3.3.0p0` → `3.3.0`.
pub fn parse_lock_ruby(text: &str) -> Option<String> {
    let mut lines = text.lines();
    lines.find(|l| l.trim_end() == "RUBY VERSION")?;
    let line = lines.next()?.trim();
    let v = line.strip_prefix("ruby ")?.trim();
    let v = v.split('p').next().unwrap_or(v).trim();
    (!v.is_empty()).then(|| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_thousand_gems_are_kept_once_each_in_file_order() {
        let text: String = (0..20_000)
            .map(|i| format!("gem \"g{i}\"\ngem 'g{i}'\n"))
            .collect();
        let gemfile = parse_gemfile(&text);
        assert_eq!(gemfile.gems.len(), 20_000);
        assert_eq!(gemfile.gems[1], "g1");
    }
    use proptest::prelude::*;

    #[test]
    fn gemfile_gems_and_ruby() {
        let text = "source \"https://rubygems.org\"\n\nruby \"3.3.0\"\n\ngem \"rails\", \"~> 7.1.3\"\ngem 'pg', '~> 1.1'\n\
                    # gem \"redis\"\ngroup :development, :test do\n  gem \"rspec-rails\", \"~> 6.1\"\nend\ngem(\"puma\")\n";
        let g = parse_gemfile(text);
        assert_eq!(g.ruby.as_deref(), Some("3.3.0"));
        assert_eq!(g.gems, vec!["rails", "pg", "rspec-rails", "puma"]);
    }

    #[test]
    fn ruby_file_directive_names_no_version() {
        assert_eq!(parse_gemfile("ruby file: \".ruby-version\"\n").ruby, None);
    }

    #[test]
    fn ruby_version_files_and_locks() {
        assert_eq!(parse_ruby_version("ruby-3.2.2\n").as_deref(), Some("3.2.2"));
        assert_eq!(parse_ruby_version("\n 3.3.0 \n").as_deref(), Some("3.3.0"));
        assert_eq!(parse_ruby_version(""), None);
        let lock = "GEM\n  specs:\n\nRUBY VERSION\n   ruby 3.3.0p0\n\nBUNDLED WITH\n   2.5.6\n";
        assert_eq!(parse_lock_ruby(lock).as_deref(), Some("3.3.0"));
        assert_eq!(parse_lock_ruby("RUBY VERSION\n"), None);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_gemfile(&text);
            let _ = parse_lock_ruby(&text);
            let _ = parse_ruby_version(&text);
        }

        #[test]
        fn parsers_never_panic_on_gemfile_soup(text in "(gem|ruby|RUBY VERSION|\\(|\"|'|#| |\n|p|3|\\.|é)*") {
            let _ = parse_gemfile(&text);
            let _ = parse_lock_ruby(&text);
        }
    }
}
