#!/usr/bin/env bash
# Benchmark: `slipway gen-workflows --check` on a 50-subproject monorepo, side by side with
# `actionlint` on the same six rendered files, in one hyperfine run. Prints the ratio.
# Goal: generating is at least 4x faster than validating its output.
#
#   benches/gen-workflows.sh [VENV]   (validators venv, default /tmp/validators)
#
# Needs hyperfine (Debian: `apt-get install -y hyperfine`) and python3; installs actionlint
# into the venv through scripts/validators.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-${SLIPWAY_VALIDATORS:-/tmp/validators}}
command -v hyperfine >/dev/null || { echo "error: hyperfine is needed (apt-get install -y hyperfine)" >&2; exit 2; }

bash scripts/validators.sh install "$venv" >&2
cargo build --release --locked --quiet
bin=$PWD/target/release/slipway
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT

python3 - "$repo" <<'PY'
import json, os, sys
root = sys.argv[1]
kinds = [
    ("Cargo.toml", '[package]\nname = "svc{n}"\nversion = "0.1.0"\nedition = "2021"\n', "src/lib.rs"),
    ("package.json", json.dumps({"name": "web{n}", "private": True, "scripts": {"test": "vitest run", "build": "vite build", "lint": "eslint ."}}), "src/index.ts"),
    ("pyproject.toml", '[project]\nname = "py{n}"\nversion = "0.1.0"\nrequires-python = ">=3.12"\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n', "tests/test_app.py"),
    ("go.mod", "module example.com/svc{n}\n\ngo 1.22\n", "main.go"),
    ("pom.xml", "<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>svc{n}</artifactId><version>1.0</version></project>\n", "src/main/java/App.java"),
]
for n in range(50):
    manifest, body, src = kinds[n % len(kinds)]
    d = os.path.join(root, "services", f"svc{n:02d}")
    os.makedirs(os.path.dirname(os.path.join(d, src)), exist_ok=True)
    open(os.path.join(d, manifest), "w").write(body.replace("{n}", str(n)))
    open(os.path.join(d, src), "w").write("\n")
    if manifest == "package.json":
        open(os.path.join(d, "package-lock.json"), "w").write('{"lockfileVersion": 3}\n')
PY

"$bin" gen-workflows "$repo" 2>/dev/null
subprojects=$("$bin" detect --json "$repo" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["subprojects"]))')
lines=$(cat "$repo"/.github/workflows/*.yml | wc -l)
echo "repository: $subprojects subprojects; rendered: 6 workflows, $lines lines" >&2

json=$(mktemp)
(cd "$repo" && hyperfine --warmup 3 --min-runs 20 --export-json "$json" \
  -n 'slipway gen-workflows --check' "$bin gen-workflows --check ." \
  -n 'actionlint (same six files)' "$venv/bin/actionlint -shellcheck= .github/workflows/ci.yml .github/workflows/cd.yml .github/workflows/security.yml .github/workflows/quality.yml .github/workflows/release.yml .github/workflows/rollback.yml")
python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
gen, lint = r["slipway gen-workflows --check"], r["actionlint (same six files)"]
print(f"gen-workflows --check {gen*1000:.1f} ms, actionlint {lint*1000:.1f} ms")
print(f"actionlint/gen-workflows: {lint/gen:.1f}x (goal >= 4x)")
PY
rm -f "$json"
