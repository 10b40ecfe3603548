//! Pinned `requirements*.txt` (<https://pip.pypa.io/en/stable/reference/requirements-file-format/>).
//! Only `name==version` pins name one version; other specifiers, URLs and editable installs
//! are noted as not checked. Options (`-r`, `--hash`, `-i`) are ignored; `\` continues a line.

use super::{Malformed, Package, Parsed};
use crate::security::deps::Ecosystem;

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let mut out = Parsed::default();
    let mut logical = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start = i + 1;
        }
        if let Some(cont) = raw.strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(raw);
        requirement(&logical, start, &mut out);
        logical.clear();
    }
    if !logical.is_empty() {
        requirement(&logical, start, &mut out);
    }
    Ok(out)
}

fn requirement(line: &str, line_no: usize, out: &mut Parsed) {
    // A comment starts at `#` at the start or after whitespace.
    let mut end = line.len();
    for (i, _) in line.match_indices('#') {
        if i == 0 || line[..i].ends_with(char::is_whitespace) {
            end = i;
            break;
        }
    }
    let line = line[..end].trim();
    let at = u32::try_from(line_no).ok();
    if line.starts_with("-e ") || line.starts_with("--editable") {
        out.notes.push((
            at,
            format!(
                "`{}` is an editable install, not a PyPI release: not checked",
                truncate(line)
            ),
        ));
        return;
    }
    if line.is_empty() || line.starts_with('-') {
        return;
    }
    let spec = line.split(';').next().unwrap_or(line).trim();
    let spec = spec.split(" --").next().unwrap_or(spec).trim();
    let name_end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_end];
    let mut rest = spec[name_end..].trim_start();
    if name.is_empty() || rest.contains("://") || rest.starts_with('@') {
        out.notes.push((
            at,
            format!(
                "`{}` is not a pinned PyPI requirement: not checked",
                truncate(spec)
            ),
        ));
        return;
    }
    if rest.starts_with('[') {
        rest = rest.find(']').map_or("", |e| rest[e + 1..].trim_start());
    }
    let pinned = rest.strip_prefix("===").or_else(|| rest.strip_prefix("=="));
    match pinned.map(str::trim) {
        Some(v) if !v.is_empty() && !v.contains([',', '*', ' ']) => out.packages.push(Package {
            ecosystem: Ecosystem::PyPI,
            name: name.to_owned(),
            version: v.to_owned(),
            line: at,
        }),
        _ => out.notes.push((
            at,
            format!("`{name}` is not pinned to one version with `==`: not checked"),
        )),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_extras_markers_hashes_and_notes() {
        let text = "# deps\nrequests[socks]==2.28.1 ; python_version >= \"3.7\"\nurllib3==1.26.5 \\\n    --hash=sha256:abc\n-r base.txt\nflask>=2.0\nJinja2 == 3.1.2  # pinned\nlib @ https://example.com/lib.whl\n";
        let p = read(text).unwrap();
        let got: Vec<_> = p
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
            .collect();
        assert_eq!(
            got,
            [
                ("requests", "2.28.1", Some(2)),
                ("urllib3", "1.26.5", Some(3)),
                ("Jinja2", "3.1.2", Some(7))
            ]
        );
        assert_eq!(p.notes.len(), 2);
        assert_eq!(read("-e ./lib\n").unwrap().notes.len(), 1);
        assert_eq!(p.notes[0].0, Some(6));
    }
}
