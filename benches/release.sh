#!/usr/bin/env bash
# Benchmark: `slipway release --dry-run` against `git-cliff --bumped-version` on a generated
# repository with 10,000 commits since the last tag, side by side in one hyperfine run.
# Prints the ratio. Goal: slipway is faster than git-cliff.
#
#   benches/release.sh [VENV]   (venv for git-cliff, default /tmp/bench-venv)
#
# Needs hyperfine (Debian: `apt-get install -y hyperfine`), git and python3; installs the
# git-cliff PyPI package into the venv once.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-/tmp/bench-venv}
commits=${SLIPWAY_BENCH_COMMITS:-10000}
command -v hyperfine >/dev/null || { echo "error: hyperfine is needed (apt-get install -y hyperfine)" >&2; exit 2; }

if [ ! -x "$venv/bin/git-cliff" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet git-cliff >&2
fi
cliff=$venv/bin/git-cliff
cargo build --release --locked --quiet
bin=$PWD/target/release/slipway
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT

# One tagged commit, then $commits commits in one `git fast-import` stream (seconds, not
# minutes): mostly conventional, some chores and plain messages, a few squash bodies.
git -C "$repo" init -q -b main
python3 - "$commits" <<'PY' | git -C "$repo" fast-import --quiet
import sys
n = int(sys.argv[1])
out = sys.stdout
def data(text):
    raw = text.encode()
    out.write(f"data {len(raw)}\n"); out.flush()
    sys.stdout.buffer.write(raw); sys.stdout.buffer.flush()
    out.write("\n")
kinds = ["feat(api): add endpoint {i}", "fix: handle case {i}", "chore: bump deps {i}",
         "docs: explain {i}", "perf(db): faster query {i}", "update things {i}",
         "refactor(core): tidy {i}", "fix(ui): align button {i} (#{i})"]
t = 1700000000
out.write("blob\nmark :1\n"); data("hello\n")
out.write(f"commit refs/heads/main\nmark :2\ncommitter Ada <ada@example.com> {t} +0000\n")
data("chore: init\n")
out.write("M 100644 :1 README.md\n\n")
out.write("tag v1.2.3\nfrom :2\ntagger Ada <ada@example.com> %d +0000\n" % t); data("v1.2.3\n")
prev = 2
for i in range(n):
    msg = kinds[i % len(kinds)].format(i=i) + "\n"
    if i % 97 == 0:
        msg += "\n* fix: part one\n\n* feat: part two\n"
    mark = prev + 1
    out.write(f"commit refs/heads/main\nmark :{mark}\ncommitter Ada <ada@example.com> {t + i + 1} +0000\n")
    data(msg)
    out.write(f"from :{prev}\n\n")
    prev = mark
PY
git -C "$repo" reset -q --hard main
echo "repository: $(git -C "$repo" rev-list --count v1.2.3..HEAD) commits since v1.2.3" >&2
echo "slipway:   $("$bin" release --dry-run --json "$repo" 2>/dev/null)" >&2
echo "git-cliff: $(cd "$repo" && "$cliff" --bumped-version 2>/dev/null)" >&2

json=$(mktemp)
hyperfine --warmup 2 --min-runs 10 --export-json "$json" \
    -n "slipway release --dry-run" "$bin release --dry-run --json $repo" \
    -n "git-cliff --bumped-version" "cd $repo && $cliff --bumped-version"
python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
s, c = r["slipway release --dry-run"], r["git-cliff --bumped-version"]
print(f"slipway {s*1000:.1f} ms, git-cliff {c*1000:.1f} ms: slipway is {c/s:.2f}x as fast as git-cliff")
PY
rm -f "$json"
