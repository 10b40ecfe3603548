#!/usr/bin/env bash
# Benchmark: slipway run-tests against junitparser (JUnit), tap.py (TAP) and pycobertura
# (Cobertura), side by side with hyperfine, plus peak memory on a single 1 GB JUnit file
# (/usr/bin/time -f %M).
# Usage: benches/run-tests.sh   (builds nothing: run `cargo build --release` first, or point
# SLIPWAY_BIN at a binary built with the release or action profile)
# slipway parses result files on every core; the ratios are printed for wall and CPU time.
# Env: SLIPWAY_BIN (default target/release/slipway), BENCH_DIR (default /tmp/slipway-bench),
# VENV (default /tmp/bench-venv), BENCH_ONLY (a space-separated subset of: junit tap cobertura
# patch memory; default all).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
slipway=${SLIPWAY_BIN:-$root/target/release/slipway}
dir=${BENCH_DIR:-/tmp/slipway-bench}
venv=${VENV:-/tmp/bench-venv}
only=" ${BENCH_ONLY:-junit tap cobertura patch memory} "
want() { [[ "$only" == *" $1 "* ]]; }
mkdir -p "$dir/corpus"
[ -x "$slipway" ] || { echo "no slipway binary at $slipway: cargo build --release, or set SLIPWAY_BIN" >&2; exit 2; }
echo "slipway: $slipway ($("$slipway" --version))"

# Python tools, installed once.
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -c 'import junitparser, pycobertura, tap, yaml, more_itertools' 2>/dev/null \
  || "$venv/bin/pip" install -q junitparser pycobertura "tap.py[yaml]"
"$venv/bin/python" -c 'import diff_cover' 2>/dev/null || "$venv/bin/pip" install -q diff-cover

# A JUnit file of about $2 MB at $1, with failures, skips and output.
gen_junit() {
  "$venv/bin/python" - "$1" "$2" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
target = mb * 1024 * 1024
case_ok = '    <testcase classname="com.shop.Suite{s}" name="test_{i}" time="0.001" file="src/test_{s}.py" line="{i}"/>\n'
case_fail = ('    <testcase classname="com.shop.Suite{s}" name="test_{i}" time="0.002"><failure message="expected 1 but was 2">'
             'AssertionError: expected 1 but was 2\n  at com.shop.Suite{s}.test_{i}(Suite{s}.java:{i})</failure>'
             '<system-out>log line {i}</system-out></testcase>\n')
case_skip = '    <testcase classname="com.shop.Suite{s}" name="test_{i}" time="0"><skipped message="later"/></testcase>\n'
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
    written, s = 0, 0
    while written < target:
        f.write(f'  <testsuite name="com.shop.Suite{s}" tests="500">\n'); 
        chunk = []
        for i in range(500):
            t = case_fail if i % 50 == 0 else case_skip if i % 97 == 0 else case_ok
            chunk.append(t.format(s=s, i=i))
        text = "".join(chunk) + "  </testsuite>\n"
        f.write(text); written += len(text); s += 1
    f.write("</testsuites>\n")
PY
}

# 200 MB corpus in 20 files of 10 MB; one 1 GB file for peak memory.
if want junit && [ ! -f "$dir/corpus/done" ]; then
  for n in $(seq 1 20); do gen_junit "$dir/corpus/junit-$n.xml" 10; done
  touch "$dir/corpus/done"
fi
if want memory && [ ! -f "$dir/big.xml" ]; then gen_junit "$dir/big.xml" 1024; fi

# A TAP corpus of 10 files of 10 MB: plans, skips, todos, failures with YAML diagnostics.
if want tap && [ ! -f "$dir/tap/done" ]; then
  mkdir -p "$dir/tap"
  "$venv/bin/python" - "$dir/tap" <<'PY'
import sys
out = sys.argv[1]
for n in range(1, 11):
    lines, size, i = ["TAP version 13"], 0, 0
    while size < 10 * 1024 * 1024:
        i += 1
        if i % 50 == 0:
            line = (f"not ok {i} - cart totals item {i}\n  ---\n  message: 'expected 1 but was 2'\n"
                    f"  at: 'test/cart_{n}.test.js:{i}:7'\n  ...")
        elif i % 97 == 0:
            line = f"ok {i} - cart later {i} # SKIP not yet"
        else:
            line = f"ok {i} - cart adds item {i}"
        lines.append(line); size += len(line) + 1
    lines.append(f"1..{i}")
    open(f"{out}/run-{n}.tap", "w").write("\n".join(lines) + "\n")
open(f"{out}/done", "w").close()
PY
fi
cat > "$dir/bench_tappy.py" <<'PY'
import glob, sys
from tap.parser import Parser
tests = failed = skipped = 0
p = Parser()
for path in sorted(glob.glob(sys.argv[1])):
    for line in p.parse_file(path):
        if line.category == "test":
            tests += 1
            if line.skip or line.todo: skipped += 1
            elif not line.ok: failed += 1
print(tests, failed, skipped)
PY

cat > "$dir/bench_junitparser.py" <<'PY'
import glob, sys
from junitparser import JUnitXml
tests = failed = skipped = 0
for path in sorted(glob.glob(sys.argv[1])):
    for suite in JUnitXml.fromfile(path):
        for case in suite:
            tests += 1
            if case.result:
                kinds = {type(r).__name__ for r in case.result}
                if "Skipped" in kinds: skipped += 1
                else: failed += 1
print(tests, failed, skipped)
PY

# A Cobertura file of ~100 MB.
if want cobertura && [ ! -f "$dir/cobertura.xml" ]; then
  "$venv/bin/python" - "$dir/cobertura.xml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('<?xml version="1.0" ?>\n<coverage version="7" timestamp="1" lines-valid="0" lines-covered="0" line-rate="0.5" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">\n<sources><source>/app</source></sources>\n<packages>\n')
    for p in range(40):
        f.write(f'<package name="pkg{p}" line-rate="0.5" branch-rate="0" complexity="0"><classes>\n')
        for c in range(100):
            f.write(f'<class name="m{c}.py" filename="pkg{p}/m{c}.py" complexity="0" line-rate="0.5" branch-rate="0"><methods/><lines>\n')
            f.write("".join(f'<line number="{l}" hits="{l % 3}"/>\n' for l in range(1, 1000)))
            f.write('</lines></class>\n')
        f.write('</classes></package>\n')
    f.write('</packages>\n</coverage>\n')
PY
fi
cat > "$dir/bench_pycobertura.py" <<'PY'
import sys
from pycobertura import Cobertura
c = Cobertura(sys.argv[1])
print(c.line_rate())
PY

if want junit; then
echo "== JUnit: 200 MB corpus ($(du -sh "$dir/corpus" | cut -f1)) =="
hyperfine --warmup 1 --runs 5 --export-json "$dir/junit.json" \
  -n slipway "$slipway run-tests --skip-run --allow-empty --pass-rate 0 --report $dir/out.json --json --results '$dir/corpus/*.xml'" \
  -n junitparser "$venv/bin/python $dir/bench_junitparser.py '$dir/corpus/*.xml'"
fi

if want tap; then
echo "== TAP: 100 MB corpus ($(du -sh "$dir/tap" | cut -f1)) =="
hyperfine --warmup 1 --runs 5 --export-json "$dir/tap.json" \
  -n slipway "$slipway run-tests --skip-run --allow-empty --pass-rate 0 --report $dir/out.json --json --results '$dir/tap/*.tap'" \
  -n tap.py "$venv/bin/python $dir/bench_tappy.py '$dir/tap/*.tap'"
fi

if want cobertura; then
echo "== Cobertura: $(du -h "$dir/cobertura.xml" | cut -f1) =="
hyperfine --warmup 1 --runs 3 --export-json "$dir/cobertura.json" \
  -n slipway "$slipway run-tests --skip-run --allow-empty --coverage-min 0 --report $dir/out.json --json --coverage $dir/cobertura.xml" \
  -n pycobertura "$venv/bin/python $dir/bench_pycobertura.py $dir/cobertura.xml"
fi

# Patch coverage: a 10,000-file change (30 added lines each, one hunk of 20 and one of 10) and a
# Cobertura report measuring every file, run by `slipway quality gate --diff` and by diff-cover
# (`--diff-file`, so neither runs `git diff`). Both report 300,000 changed lines, 110,000 uncovered.
have_patch_peer=0
if want patch && [ ! -f "$dir/patch/done" ]; then
  mkdir -p "$dir/patch/results/app"
  "$venv/bin/python" - "$dir/patch" <<'PY'
import sys
out = sys.argv[1]
diff, classes = [], []
for n in range(10000):
    f = f"src/pkg{n // 100}/mod_{n}.py"
    diff.append(f"diff --git a/{f} b/{f}\nindex 1111111..2222222 100644\n--- a/{f}\n+++ b/{f}\n")
    diff.append("@@ -10,0 +11,20 @@ def f():\n" + "".join(f"+    x{i} = {i}\n" for i in range(20)))
    diff.append("@@ -40 +60,10 @@ def g():\n-    old()\n" + "".join(f"+    y{i} = {i}\n" for i in range(10)))
    lines = "".join(f'<line number="{l}" hits="{1 if l % 3 else 0}"/>' for l in range(1, 80))
    classes.append(f'<class name="mod_{n}" filename="{f}" line-rate="0.6"><lines>{lines}</lines></class>')
open(f"{out}/change.diff", "w").write("".join(diff))
open(f"{out}/coverage.xml", "w").write(
    '<?xml version="1.0"?>\n<coverage line-rate="0.6" version="7"><sources><source>.</source></sources>'
    '<packages><package name="src"><classes>' + "".join(classes) + "</classes></package></packages></coverage>\n")
open(f"{out}/junit.xml", "w").write('<testsuites><testsuite name="s"><testcase classname="s" name="t"/></testsuite></testsuites>\n')
PY
  # diff-cover asks git for the repository root even with --diff-file.
  git -C "$dir/patch" init -q
  "$slipway" run-tests --skip-run --shard 1/1 --output-dir "$dir/patch/results/app" \
    --results "$dir/patch/junit.xml" --coverage "$dir/patch/coverage.xml" >/dev/null
  touch "$dir/patch/done"
fi
if want patch; then
echo "== patch coverage: 10,000 changed files, $(du -h "$dir/patch/change.diff" | cut -f1) diff =="
slipway_patch="$slipway quality gate --subproject app=success --results $dir/patch/results --report $dir/patch/quality --diff $dir/patch/change.diff"
if "$venv/bin/diff-cover" --help 2>/dev/null | grep -q -- --diff-file; then
  hyperfine --warmup 1 --runs 3 -i --export-json "$dir/patch.json" \
    -n slipway "$slipway_patch" \
    -n diff-cover "cd $dir/patch && $venv/bin/diff-cover coverage.xml --diff-file change.diff --fail-under 0"
  have_patch_peer=1
else
  echo "diff-cover has no --diff-file here: slipway alone, no peer"
  hyperfine --warmup 1 --runs 3 -i -n slipway "$slipway_patch"
fi
fi

ratio() {
  "$venv/bin/python" - "$1" "$2" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
mb = int(sys.argv[2]) / 1e6
r = {x["command"]: x["mean"] for x in res}
cpu = {x["command"]: x["user"] + x["system"] for x in res}
(a, ta), (b, tb) = list(r.items())
# CPU time too: on a shared machine wall time swings with the load, CPU time less so.
print(f"{b} / {a}: {tb / ta:.1f}x wall ({a} {ta:.2f}s = {mb / ta:.0f} MB/s, {b} {tb:.2f}s = {mb / tb:.0f} MB/s); "
      f"{cpu[b] / cpu[a]:.1f}x CPU ({a} {cpu[a]:.2f}s, {b} {cpu[b]:.2f}s)")
PY
}
echo "== ratios =="
if want junit; then ratio "$dir/junit.json" "$(cat "$dir"/corpus/*.xml | wc -c)"; fi
if want tap; then ratio "$dir/tap.json" "$(cat "$dir"/tap/*.tap | wc -c)"; fi
if want cobertura; then ratio "$dir/cobertura.json" "$(wc -c < "$dir/cobertura.xml")"; fi
if [ "$have_patch_peer" = 1 ]; then ratio "$dir/patch.json" "$(wc -c < "$dir/patch/change.diff")"; fi

want memory || exit 0
echo "== peak memory, one $(du -h "$dir/big.xml" | cut -f1) JUnit file =="
/usr/bin/time -v "$slipway" run-tests --skip-run --pass-rate 0 --report "$dir/out.json" --json \
  --results "$dir/big.xml" 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed \(wall"
