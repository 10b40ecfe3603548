//! `slipway detect` on fixture repositories that mirror real layouts, and on bad input.

mod common;

use common::slipway;

/// Every directory under `tests/fixtures/repos/` is a repository; its `detect --json` output is
/// snapshotted. Adding a case is adding a directory.
#[test]
fn detect_json_for_every_fixture_repository() {
    insta::glob!("fixtures/repos/*", |dir| {
        if !dir.is_dir() {
            return;
        }
        let t = slipway().args(["detect", "--json"]).arg_path(dir).run();
        t.code(0);
        assert!(
            t.stderr.is_empty(),
            "unexpected warnings for {}:\n{}",
            dir.display(),
            t.stderr
        );
        let value: serde_json::Value =
            serde_json::from_str(&t.stdout).expect("detect --json prints JSON");
        insta::assert_json_snapshot!(value);
    });
}
