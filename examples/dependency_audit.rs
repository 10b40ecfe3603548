//! The dependency audit alone, for `benches/dependency-audit.sh` until `slipway security-scan`
//! runs it: `cargo run --release --example dependency_audit -- ROOT OSV_DB`.
//!
//! Prints one line per finding and a total to stdout, skipped entries to stderr; exits 1 when
//! something is vulnerable (as `cargo audit` does), 2 when the scan could not run.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use slipway::error::Hint;
use slipway::security::deps::{self, Db, Options};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(root), Some(db)) = (args.next(), args.next()) else {
        eprintln!("usage: dependency_audit ROOT OSV_DB_DIR|https://api.osv.dev");
        return ExitCode::from(2);
    };
    let db = if db.starts_with("http://") || db.starts_with("https://") {
        Db::Api { url: db }
    } else {
        Db::Dir(PathBuf::from(db))
    };
    match deps::scan(&Options {
        root: PathBuf::from(root),
        db,
    }) {
        Ok(report) => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for f in &report.findings {
                let _ = writeln!(out, "{}:{} {:?} {}", f.file, f.line, f.level, f.message);
            }
            let _ = out.flush();
            drop(out);
            for s in &report.skipped {
                eprintln!("skipped {}:{} {}", s.file, s.line.unwrap_or(0), s.reason);
            }
            println!(
                "{} vulnerable packages found in {} packages from {} lockfiles",
                report.findings.len(),
                report.packages,
                report.lockfiles.len()
            );
            ExitCode::from(u8::from(!report.findings.is_empty()))
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(h) = e.hint() {
                eprintln!("\nhint: {h}");
            }
            ExitCode::from(2)
        }
    }
}
