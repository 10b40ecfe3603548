//! Embeds the commit the binary is built from, so `slipway --version` names it and the generated
//! workflows reference slipway's own actions at exactly that commit.
//!
//! Order: `SLIPWAY_BUILD_COMMIT` (source archives and packagers set it), then `git rev-parse HEAD`
//! of the crate's own checkout, then `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SLIPWAY_BUILD_COMMIT");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let commit = std::env::var("SLIPWAY_BUILD_COMMIT")
        .ok()
        .filter(|c| is_full_sha(c))
        .or_else(|| git(&manifest_dir, &["rev-parse", "HEAD"]).filter(|c| is_full_sha(c)))
        .unwrap_or_else(|| "unknown".to_owned());
    // Rebuild when HEAD moves: watch HEAD itself and the ref it points at.
    if let Some(git_dir) = git(&manifest_dir, &["rev-parse", "--absolute-git-dir"]) {
        let git_dir = Path::new(&git_dir);
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        if let Some(head_ref) = git(&manifest_dir, &["symbolic-ref", "-q", "HEAD"]) {
            let common = git(&manifest_dir, &["rev-parse", "--git-common-dir"])
                .map(|d| Path::new(&manifest_dir).join(d))
                .unwrap_or_else(|| git_dir.to_path_buf());
            println!(
                "cargo:rerun-if-changed={}",
                common.join(&head_ref).display()
            );
            println!(
                "cargo:rerun-if-changed={}",
                common.join("packed-refs").display()
            );
        }
    }
    println!("cargo:rustc-env=SLIPWAY_COMMIT={commit}");
}

fn git(dir: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}
