//! Stacks set up from the runner's own toolchain.
//!
//! .NET, Ruby and PHP have no setup action in slipway's pinned table yet, so the
//! setup-environment action relies on what the runner image ships (GitHub's Ubuntu, macOS and
//! Windows images carry a .NET SDK, Ruby and PHP). This module asks the runner which version it
//! has and, when the repository asks for another one, says so before the tests fail in a
//! confusing way: which file asked for what, what the runner has, and what to do.

use std::process::Command;

use super::{Plan, Stack};

/// A stack whose toolchain comes from the runner image.
pub const FROM_RUNNER: [Stack; 3] = [Stack::Dotnet, Stack::Ruby, Stack::Php];

/// What the runner has of one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The installed versions (`dotnet` can have several SDKs side by side).
    Versions(Vec<String>),
    /// The tool is not on PATH.
    Missing,
}

/// Asks the runner: `dotnet --list-sdks`, `ruby -e 'print RUBY_VERSION'`,
/// `php -r 'echo PHP_VERSION;'`. Only the first line-leading version of each line is kept.
pub fn probe(stack: Stack) -> Found {
    let (program, args): (&str, &[&str]) = match stack {
        Stack::Dotnet => ("dotnet", &["--list-sdks"]),
        Stack::Ruby => ("ruby", &["-e", "print RUBY_VERSION"]),
        Stack::Php => ("php", &["-r", "echo PHP_VERSION;"]),
        _ => return Found::Missing,
    };
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => {
            Found::Versions(versions(&String::from_utf8_lossy(&out.stdout)))
        }
        _ => Found::Missing,
    }
}

/// The versions at the start of each line: `8.0.404 [/usr/share/dotnet/sdk]` gives `8.0.404`.
fn versions(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let v: String = line
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
                .collect();
            v.starts_with(|c: char| c.is_ascii_digit()).then_some(v)
        })
        .collect()
}

/// Whether `have` satisfies `want`, where `want` is a prefix by dot-separated parts with `x`
/// or `*` as wildcards: `8.0.x` takes `8.0.404`, `3.3` takes `3.3.6`, `8` takes `8.2.1`.
pub fn satisfies(want: &str, have: &str) -> bool {
    let want = want.trim().trim_start_matches('v');
    let have = have.split(['-', '+']).next().unwrap_or(have);
    let mut have_parts = have.split('.');
    for part in want.split('.') {
        match (part, have_parts.next()) {
            ("x" | "X" | "*", _) => return true,
            (p, Some(h)) if p == h => {}
            _ => return false,
        }
    }
    true
}

/// Notes for the toolchains of `plan` that the runner provides: one per stack whose
/// requested version (from a repository file) the runner does not have, or whose tool is
/// missing altogether. `probe` is [`probe`] outside tests.
pub fn check(plan: &Plan, probe: impl Fn(Stack) -> Found) -> Vec<String> {
    let mut notes = Vec::new();
    for t in plan
        .toolchains
        .iter()
        .filter(|t| FROM_RUNNER.contains(&t.stack))
    {
        let name = display(t.stack);
        match probe(t.stack) {
            Found::Missing => notes.push(format!(
                "{name} is not installed on this runner, and slipway has no pinned setup action for it: \
                 add a setup step before setup-environment, or use a runner image that has {name}"
            )),
            Found::Versions(have) if t.source == "repository" => {
                if !have.iter().any(|h| satisfies(&t.version, h)) {
                    notes.push(format!(
                        "the repository asks for {name} {} but this runner has {}: \
                         add a setup step for {name} {} before setup-environment, or change the \
                         repository's version file to match the runner",
                        t.version,
                        if have.is_empty() {
                            "no version it reports".to_owned()
                        } else {
                            have.join(", ")
                        },
                        t.version
                    ));
                }
            }
            Found::Versions(_) => {}
        }
    }
    notes
}

fn display(stack: Stack) -> &'static str {
    match stack {
        Stack::Dotnet => ".NET SDK",
        Stack::Ruby => "Ruby",
        Stack::Php => "PHP",
        _ => stack.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::Toolchain;

    fn plan(stack: Stack, version: &str, source: &'static str) -> Plan {
        Plan {
            stacks: vec![stack],
            toolchains: vec![Toolchain {
                stack,
                version: version.to_owned(),
                source,
            }],
            ..Plan::default()
        }
    }

    #[test]
    fn versions_are_read_from_each_tool_s_output() {
        assert_eq!(
            versions("6.0.428 [/usr/share/dotnet/sdk]\n8.0.404 [/usr/share/dotnet/sdk]\n"),
            ["6.0.428", "8.0.404"]
        );
        assert_eq!(versions("3.3.6"), ["3.3.6"]);
        assert_eq!(versions("8.3.14-1ubuntu1"), ["8.3.14-1ubuntu1"]);
        assert!(versions("command not found").is_empty());
    }

    #[test]
    fn a_version_prefix_or_wildcard_is_satisfied_part_by_part() {
        assert!(satisfies("8.0.x", "8.0.404"));
        assert!(satisfies("8.0", "8.0.404"));
        assert!(satisfies("3.3", "3.3.6"));
        assert!(satisfies("8", "8.2.1"));
        assert!(satisfies("8.3", "8.3.14-1ubuntu1"));
        assert!(satisfies("v3.3.6", "3.3.6"));
        assert!(!satisfies("8.0.x", "9.0.100"));
        assert!(!satisfies("3.3", "3.30.1"));
        assert!(!satisfies("3.3.6", "3.3"));
    }

    #[test]
    fn a_requested_version_the_runner_lacks_is_explained() {
        let notes = check(&plan(Stack::Ruby, "3.3", "repository"), |_| {
            Found::Versions(vec!["3.2.3".into()])
        });
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("asks for Ruby 3.3 but this runner has 3.2.3"));
        assert!(notes[0].contains("add a setup step for Ruby 3.3"));
    }

    #[test]
    fn a_matching_sdk_among_several_is_enough() {
        let notes = check(&plan(Stack::Dotnet, "8.0.x", "repository"), |_| {
            Found::Versions(vec!["6.0.428".into(), "8.0.404".into()])
        });
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn a_default_version_takes_whatever_the_runner_has() {
        let notes = check(&plan(Stack::Php, "8.3", "default"), |_| {
            Found::Versions(vec!["8.1.2".into()])
        });
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn a_missing_tool_is_named_with_the_way_out() {
        let notes = check(&plan(Stack::Php, "8.3", "default"), |_| Found::Missing);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("PHP is not installed on this runner"));
    }

    #[test]
    fn stacks_with_a_setup_action_are_not_probed() {
        let notes = check(&plan(Stack::Node, "22", "repository"), |s| {
            panic!("probed {s:?}")
        });
        assert!(notes.is_empty());
    }
}
