//! Embeds the commit the binary is built from, so `slipway --version` names it and the generated
//! workflows reference slipway's own actions at exactly that commit.
//!
//! Order: `SLIPWAY_BUILD_COMMIT` (packagers may set it), then `git rev-parse HEAD` when the
//! crate's directory is the top of a git checkout (not a directory inside someone else's
//! repository), then the commit `cargo package` recorded in `.cargo_vcs_info.json` (an install
//! from crates.io), then the `COMMIT` file `git archive` fills in (a source tarball), then
//! `unknown`.

use std::path::Path;
use std::process::Command;

#[path = "src/build_commit.rs"]
mod build_commit;

use build_commit::is_full_sha;

fn main() {
    println!("cargo:rerun-if-env-changed=SLIPWAY_BUILD_COMMIT");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&manifest_dir);
    println!(
        "cargo:rerun-if-changed={}",
        dir.join(".cargo_vcs_info.json").display()
    );
    println!("cargo:rerun-if-changed={}", dir.join("COMMIT").display());
    let commit = std::env::var("SLIPWAY_BUILD_COMMIT")
        .ok()
        .filter(|c| is_full_sha(c))
        .or_else(|| own_checkout_head(&manifest_dir))
        .or_else(|| {
            let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
            build_commit::from_vcs_info(&text)
        })
        .or_else(|| {
            build_commit::from_archive_file(&std::fs::read_to_string(dir.join("COMMIT")).ok()?)
        })
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
    embed_templates(Path::new(&manifest_dir));
}

/// Writes `$OUT_DIR/templates.rs`: every file under `templates/` as (name, contents), so adding
/// a template is adding a file.
fn embed_templates(manifest_dir: &Path) {
    let root = manifest_dir.join("templates");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Every embedded template: (name relative to `templates/`, contents).\npub const EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("templates.rs");
    std::fs::write(dest, out).expect("write the embedded template list");
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, std::path::PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "j2") {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((name, path));
        }
    }
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

/// HEAD of the git checkout whose top is `dir`; `None` when `dir` is not the top of one (a
/// source tree unpacked inside another repository must not take that repository's commit).
fn own_checkout_head(dir: &str) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = match (
        Path::new(&top).canonicalize(),
        Path::new(dir).canonicalize(),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        return None;
    }
    git(dir, &["rev-parse", "HEAD"]).filter(|c| is_full_sha(c))
}
