#!/usr/bin/env bash
# Benchmark: `slipway detect` against a bare walk of the same tree (`find . -type f | wc -l`),
# side by side in one hyperfine run, on a generated tree of 100,000 files and 200 manifests.
# Prints the time ratio and slipway's peak memory. Goal: at most 1.5x the bare walk, < 50 MB.
#
#   benches/detect.sh [TREE_DIR]      (default: $TMPDIR/slipway-bench-detect)
#
# Needs hyperfine and GNU time (Debian: `apt-get install -y hyperfine time`) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-${TMPDIR:-/tmp}/slipway-bench-detect}

for tool in hyperfine python3 /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is needed (apt-get install -y hyperfine time python3)" >&2; exit 2; }
done

cargo build --release --locked --quiet
bin=$PWD/target/release/slipway

if [ ! -f "$tree/.complete" ]; then
  echo "generating $tree (100,000 files, 200 manifests)..." >&2
  rm -rf "$tree"
  python3 - "$tree" <<'PY'
import os, sys
root = sys.argv[1]
files, manifests = 100_000, 200
kinds = [
    ("Cargo.toml", '[package]\nname = "crate{n}"\nversion = "0.1.0"\nedition = "2021"\nrust-version = "1.80"\n', "src", ".rs"),
    ("package.json", '{{"name": "pkg{n}", "version": "1.0.0", "scripts": {{"test": "vitest run"}}, "engines": {{"node": ">=20"}}}}\n', "src", ".ts"),
    ("pyproject.toml", '[project]\nname = "py{n}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n', "py{n}", ".py"),
    ("go.mod", "module example.com/svc{n}\n\ngo 1.22\n", "internal", ".go"),
    ("pom.xml", '<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>svc{n}</artifactId><version>1.0</version></project>\n', "src/main/java/com/example", ".java"),
]
per_project = (files - manifests) // manifests
for n in range(manifests):
    name, body, src, ext = kinds[n % len(kinds)]
    group = f"group{n // 20:02d}"
    proj = os.path.join(root, "services", group, f"svc{n:03d}")
    os.makedirs(proj, exist_ok=True)
    with open(os.path.join(proj, name), "w") as f:
        f.write(body.format(n=n))
    for i in range(per_project):
        d = os.path.join(proj, src.format(n=n), f"mod{i // 50:02d}")
        if i % 50 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"file{i:04d}{ext}"), "w") as f:
            f.write("// generated\n")
written = manifests * (per_project + 1)
extra = os.path.join(root, "docs")
os.makedirs(extra, exist_ok=True)
for i in range(files - written):
    with open(os.path.join(extra, f"page{i:05d}.md"), "w") as f:
        f.write("# page\n")
open(os.path.join(root, ".complete"), "w").close()
PY
fi

count=$(cd "$tree" && find . -type f ! -name .complete | wc -l)
echo "tree: $tree ($count files)" >&2
json=$(mktemp)
trap 'rm -f "$json"' EXIT
(cd "$tree" && hyperfine --warmup 3 --min-runs 15 --export-json "$json" \
  -n 'find (bare walk)' 'find . -type f | wc -l' \
  -n 'slipway detect' "$bin detect --json . >/dev/null")

peak_kb=$( { /usr/bin/time -f '%M' "$bin" detect --json "$tree" >/dev/null; } 2>&1 | tail -n 1)
python3 - "$json" "$peak_kb" <<'PY'
import json, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
walk, det = runs["find (bare walk)"]["mean"], runs["slipway detect"]["mean"]
peak_mb = int(sys.argv[2]) / 1024
print(f"bare walk {walk*1000:.1f} ms, slipway detect {det*1000:.1f} ms")
print(f"ratio slipway/find: {det/walk:.2f}x (goal <= 1.5x)")
print(f"slipway peak memory: {peak_mb:.1f} MB (goal < 50 MB)")
PY
