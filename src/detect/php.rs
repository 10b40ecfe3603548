//! PHP: `composer.json`, PHPUnit and Pest configuration.
//!
//! Every `composer.json` is a project (`composer`). Its test command uses the project's own
//! test runner from `vendor/bin`, installed by `composer install`:
//! - `vendor/bin/pest` when `pestphp/pest` is required or `tests/Pest.php` exists;
//! - `vendor/bin/phpunit` when a `phpunit.xml`, `phpunit.xml.dist` or `phpunit.dist.xml` is
//!   present or `phpunit/phpunit` is required. Laravel apps get this too rather than
//!   `php artisan test`: it runs the same suite from the same `phpunit.xml`, and does not
//!   depend on the optional `nunomaduro/collision` package that `artisan test` needs;
//! - `composer test` when the manifest defines a `test` script;
//! - nothing otherwise.
//!
//! Toolchain (`php`, [`Source::Manifest`]): `require.php` as written (`^8.2`), or
//! `config.platform.php` when set, since that pins the version Composer resolves for.
//!
//! Format: <https://getcomposer.org/doc/04-schema.md>.

use super::{Language, PackageManager, Project, Scan, Source, dir_of, join};

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    matches!(
        file_name,
        "composer.json" | "phpunit.xml" | "phpunit.xml.dist" | "phpunit.dist.xml" | "Pest.php"
    )
}

/// What a composer.json declares.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Composer {
    /// `config.platform.php`, else `require.php`.
    pub php: Option<String>,
    /// `pestphp/pest` is required (in `require` or `require-dev`).
    pub pest: bool,
    /// `phpunit/phpunit` is required.
    pub phpunit: bool,
    /// A `test` script is defined.
    pub test_script: bool,
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    for rel in index.named("composer.json") {
        let dir = dir_of(rel);
        let composer = match scan.read(rel) {
            Some(text) => match parse(&text) {
                Ok(c) => c,
                Err(message) => {
                    scan.warn(rel, message);
                    Composer::default()
                }
            },
            None => Composer::default(),
        };
        if let Some(v) = &composer.php {
            scan.toolchain("php", v, Source::Manifest, rel);
        }
        let phpunit_config = ["phpunit.xml", "phpunit.xml.dist", "phpunit.dist.xml"]
            .iter()
            .any(|n| index.has(dir, n));
        let test_command = if composer.pest || index.contains(&join(dir, "tests/Pest.php")) {
            Some("vendor/bin/pest")
        } else if phpunit_config || composer.phpunit {
            Some("vendor/bin/phpunit")
        } else if composer.test_script {
            Some("composer test")
        } else {
            None
        };
        scan.project(Project {
            path: dir.to_owned(),
            stack: Language::Php,
            package_manager: PackageManager::Composer,
            test_command: test_command.map(str::to_owned),
        });
    }
}

/// Parses composer.json.
pub fn parse(text: &str) -> Result<Composer, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(doc) = doc else {
        return Err("not a JSON object".to_owned());
    };
    let get_str = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    let requires = |name: &str| {
        ["require", "require-dev"]
            .iter()
            .any(|section| doc.get(*section).and_then(|s| s.get(name)).is_some())
    };
    let platform = get_str(
        doc.get("config")
            .and_then(|c| c.get("platform"))
            .and_then(|p| p.get("php")),
    );
    Ok(Composer {
        php: platform.or_else(|| get_str(doc.get("require").and_then(|r| r.get("php")))),
        pest: requires("pestphp/pest"),
        phpunit: requires("phpunit/phpunit"),
        test_script: doc.get("scripts").and_then(|s| s.get("test")).is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn laravel_composer() {
        let text = r#"{"name": "laravel/laravel", "require": {"php": "^8.2", "laravel/framework": "^11.0"},
            "require-dev": {"phpunit/phpunit": "^11.0.1"}, "scripts": {"test": "@php artisan test"}}"#;
        let c = parse(text).expect("valid");
        assert_eq!(c.php.as_deref(), Some("^8.2"));
        assert!(c.phpunit && !c.pest && c.test_script);
    }

    #[test]
    fn platform_pins_win_and_pest_is_seen() {
        let text = r#"{"require": {"php": ">=8.1"}, "require-dev": {"pestphp/pest": "^2.34"},
            "config": {"platform": {"php": "8.2.15"}}}"#;
        let c = parse(text).expect("valid");
        assert_eq!(c.php.as_deref(), Some("8.2.15"));
        assert!(c.pest);
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(
            parse("{\"require\": ")
                .expect_err("broken")
                .starts_with("not valid JSON")
        );
        assert!(parse("[]").is_err());
        assert!(parse(r#"{"require": "php"}"#).is_ok());
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn parse_never_panics_on_json_soup(text in "(\\{|\\}|\\[|\\]|\"require\"|\"php\"|\"config\"|\"platform\"|\"scripts\"|\"test\"|:|,|\"x\"|1| )*") {
            let _ = parse(&text);
        }
    }
}
