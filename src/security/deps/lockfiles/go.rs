//! `go.mod` (<https://go.dev/ref/mod#go-mod-file>): `require` lines, single or in blocks, with
//! `replace` directives applied (a module replaced by a local directory is not fetched from a
//! proxy and is left out). `go.sum` (<https://go.dev/ref/mod#go-sum-files>) is read only where
//! no `go.mod` sits beside it: it lists every module version ever hashed, not the build list.

use std::collections::HashMap;

use super::{Malformed, Package, Parsed, unquote};
use crate::security::deps::Ecosystem;

const DIRECTIVES: &[&str] = &[
    "module",
    "go",
    "toolchain",
    "require",
    "replace",
    "exclude",
    "retract",
    "godebug",
    "tool",
    "ignore",
];

enum Replacement {
    Module(String, String),
    Local,
}

pub fn read_mod(text: &str) -> Result<Parsed, Malformed> {
    let mut requires: Vec<(String, String, usize)> = Vec::new();
    // (old path, old version or "") -> replacement
    let mut replaces: HashMap<(String, String), Replacement> = HashMap::new();
    let mut block: Option<&str> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.split("//").next().unwrap_or(raw).trim();
        if line.is_empty() {
            continue;
        }
        let mut tokens: Vec<&str> = line.split_whitespace().map(unquote).collect();
        let directive = match block {
            Some(_) if line == ")" => {
                block = None;
                continue;
            }
            Some(d) => d,
            None => {
                let d = tokens.remove(0);
                let Some(d) = DIRECTIVES.iter().find(|x| **x == d) else {
                    return Err(Malformed::at(
                        line_no,
                        format!("unknown directive `{}`", truncate(d)),
                    ));
                };
                if tokens.first() == Some(&"(") {
                    block = Some(d);
                    continue;
                }
                d
            }
        };
        match directive {
            "require" => match tokens.as_slice() {
                [path, version] => {
                    requires.push(((*path).to_owned(), (*version).to_owned(), line_no))
                }
                _ => {
                    return Err(Malformed::at(
                        line_no,
                        "expected `require <module> <version>`",
                    ));
                }
            },
            "replace" => {
                let Some(arrow) = tokens.iter().position(|t| *t == "=>") else {
                    return Err(Malformed::at(line_no, "expected `=>` in `replace`"));
                };
                let (old, new) = tokens.split_at(arrow);
                let new = &new[1..];
                let key = match old {
                    [p] => ((*p).to_owned(), String::new()),
                    [p, v] => ((*p).to_owned(), (*v).to_owned()),
                    _ => {
                        return Err(Malformed::at(
                            line_no,
                            "expected `replace <module> [<version>] => …`",
                        ));
                    }
                };
                let with = match new {
                    [p] if p.starts_with("./") || p.starts_with("../") || p.starts_with('/') => {
                        Replacement::Local
                    }
                    [p] => {
                        return Err(Malformed::at(
                            line_no,
                            format!("replacement `{}` needs a version", truncate(p)),
                        ));
                    }
                    [p, v] => Replacement::Module((*p).to_owned(), (*v).to_owned()),
                    _ => {
                        return Err(Malformed::at(
                            line_no,
                            "expected `=> <module> <version>` or a directory",
                        ));
                    }
                };
                replaces.insert(key, with);
            }
            _ => {}
        }
    }
    if block.is_some() {
        return Err(Malformed::at(
            text.lines().count(),
            "a `(` block is never closed",
        ));
    }
    let mut out = Parsed::default();
    for (path, version, line) in requires {
        let r = replaces
            .get(&(path.clone(), version.clone()))
            .or_else(|| replaces.get(&(path.clone(), String::new())));
        let (name, version) = match r {
            Some(Replacement::Local) => continue,
            Some(Replacement::Module(p, v)) => (p.clone(), v.clone()),
            None => (path, version),
        };
        out.packages.push(Package {
            ecosystem: Ecosystem::Go,
            name,
            version,
            line: u32::try_from(line).ok(),
        });
    }
    Ok(out)
}

pub fn read_sum(text: &str) -> Result<Parsed, Malformed> {
    let mut out = Parsed::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let [path, version, hash] = tokens.as_slice() else {
            return Err(Malformed::at(i + 1, "expected `<module> <version> <hash>`"));
        };
        if !hash.starts_with("h1:") {
            return Err(Malformed::at(i + 1, "expected an `h1:` hash"));
        }
        // `v1.2.3/go.mod` lines only hash the go.mod of a version that may never be built.
        if version.ends_with("/go.mod") {
            continue;
        }
        out.packages.push(Package {
            ecosystem: Ecosystem::Go,
            name: (*path).to_owned(),
            version: (*version).to_owned(),
            line: u32::try_from(i + 1).ok(),
        });
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_and_replacements() {
        let text = "module example.com/app\n\ngo 1.21\n\nrequire golang.org/x/net v0.7.0\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.0\n\tgolang.org/x/text v0.3.7 // indirect\n\texample.com/local v1.0.0\n)\n\nreplace example.com/local => ../local\nreplace golang.org/x/text v0.3.7 => golang.org/x/text v0.3.8\n";
        let p = read_mod(text).unwrap().packages;
        let got = super::super::listed(&p);
        assert_eq!(
            got,
            [
                ("golang.org/x/net", "v0.7.0", Some(5)),
                ("github.com/gin-gonic/gin", "v1.9.0", Some(8)),
                ("golang.org/x/text", "v0.3.8", Some(9)),
            ]
        );
    }

    #[test]
    fn broken_go_mod_and_go_sum() {
        assert_eq!(
            read_mod("module x\nfrobnicate y\n").unwrap_err().line,
            Some(2)
        );
        assert_eq!(read_mod("require (\n a v1\n").unwrap_err().line, Some(2));
        let sum = "golang.org/x/net v0.7.0 h1:abc=\ngolang.org/x/net v0.7.0/go.mod h1:def=\n";
        assert_eq!(read_sum(sum).unwrap().packages.len(), 1);
        assert_eq!(read_sum("x\n").unwrap_err().line, Some(1));
    }
}
