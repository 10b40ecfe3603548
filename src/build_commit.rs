//! Where the build script finds the commit a source tree came from when it is not a git
//! checkout. Shared by `build.rs` (through `#[path]`) and the tests below; no dependencies.
//!
//! - `.cargo_vcs_info.json`: `cargo package` writes it into every `.crate` built from a git
//!   checkout (`{"git": {"sha1": "<40 hex>"}, "path_in_vcs": ""}`), so `cargo install slipway`
//!   from crates.io knows its commit.
//! - `COMMIT`: holds `$Format:%H$`, which `git archive` (and the source tarballs GitHub serves,
//!   which honour `export-subst` in `.gitattributes`) replaces with the commit.

/// The commit in the text of a `.cargo_vcs_info.json`, when it names a full SHA-1.
pub fn from_vcs_info(text: &str) -> Option<String> {
    let after_key = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = value.strip_prefix('"')?;
    let (sha, _) = value.split_once('"')?;
    is_full_sha(sha).then(|| sha.to_ascii_lowercase())
}

/// The commit in the text of the `COMMIT` file, once `git archive` substituted it.
pub fn from_archive_file(text: &str) -> Option<String> {
    let sha = text.trim();
    is_full_sha(sha).then(|| sha.to_ascii_lowercase())
}

/// 40 hexadecimal digits.
pub fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn the_commit_cargo_package_records_is_read() {
        let text = format!(
            "{{\n  \"git\": {{\n    \"sha1\": \"{SHA}\"\n  }},\n  \"path_in_vcs\": \"\"\n}}"
        );
        assert_eq!(from_vcs_info(&text).as_deref(), Some(SHA));
        // A dirty packaging records `"dirty": true` beside it; the commit is still the one.
        let dirty = format!(
            "{{\"git\":{{\"sha1\":\"{}\",\"dirty\":true}}}}",
            SHA.to_uppercase()
        );
        assert_eq!(from_vcs_info(&dirty).as_deref(), Some(SHA));
    }

    #[test]
    fn anything_but_a_full_sha_is_no_commit() {
        for text in [
            "",
            "{}",
            "{\"git\": {\"sha1\": \"0123abc\"}}",
            "{\"git\": {\"sha1\": 42}}",
            "{\"git\": {\"sha1\": \"0123456789abcdef0123456789abcdef0123456z\"}}",
        ] {
            assert_eq!(from_vcs_info(text), None, "{text}");
        }
        assert_eq!(from_archive_file("$Format:%H$\n"), None);
        assert_eq!(from_archive_file(""), None);
        assert_eq!(from_archive_file(&format!("{SHA}\n")).as_deref(), Some(SHA));
    }
}
