#!/usr/bin/env bash
# Benchmark: `slipway release --dry-run` against `git-cliff --bumped-version` and
# `semantic-release --dry-run` on a generated repository with 10,000 commits since the last
# tag, side by side in one hyperfine run. Prints the ratios. Goal: slipway is faster than both.
#
# Then the monorepo decision (`release.units: per-unit`): a generated npm workspace of 20
# packages with 10,000 commits, each touching one package (every 7th two), decided by one
# `slipway release --dry-run` against 20 `git-cliff --bumped-version` runs, one per package
# with `--include-path packages/<unit>/**` and `--tag-pattern '<unit>-v.*'` (git-cliff decides
# one version per run: the 20 runs are the same task). SLIPWAY_BENCH_UNITS=0 skips it.
#
#   benches/release.sh [VENV [NODE_PREFIX]]
#     VENV         venv for git-cliff, default /tmp/bench-venv
#     NODE_PREFIX  npm prefix for semantic-release, default /tmp/bench-node
#
# Needs hyperfine (Debian: `apt-get install -y hyperfine`), git and python3; installs the
# git-cliff PyPI package into the venv once. With node >= 20.8.1 and npm, also installs
# semantic-release 24 from npm into NODE_PREFIX once; without them (or offline) it says why
# and benchmarks the other two. semantic-release runs offline: a bare clone of the generated
# repository stands in for the remote (`--repository-url file://...`) and only the
# commit-analyzer and release-notes-generator plugins are loaded (the default github and npm
# plugins need the network and tokens).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-/tmp/bench-venv}
node_prefix=${2:-/tmp/bench-node}
commits=${SLIPWAY_BENCH_COMMITS:-10000}
command -v hyperfine >/dev/null || { echo "error: hyperfine is needed (apt-get install -y hyperfine)" >&2; exit 2; }

if [ ! -x "$venv/bin/git-cliff" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet git-cliff >&2
fi
cliff=$venv/bin/git-cliff

# semantic-release: empty $semrel_skip means it takes part; otherwise it says why not.
semrel=$node_prefix/node_modules/.bin/semantic-release
semrel_skip=
if [ "${SLIPWAY_BENCH_SEMREL:-1}" = 0 ]; then
    semrel_skip="SLIPWAY_BENCH_SEMREL=0"
elif [ ! -x "$semrel" ]; then
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        semrel_skip="node and npm are not installed"
    elif ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
                    process.exit(a > 20 || (a === 20 && b >= 8) ? 0 : 1)'; then
        semrel_skip="node $(node --version) is older than the 20.8.1 semantic-release 24 needs"
    elif ! npm install --prefix "$node_prefix" --no-audit --no-fund --loglevel=error \
            semantic-release@24 >&2 || [ ! -x "$semrel" ]; then
        semrel_skip="npm install semantic-release@24 into $node_prefix failed (npm registry unreachable?)"
    fi
fi
# SLIPWAY_BENCH_BIN: a slipway binary to time instead of building one (a debug build makes the
# ratio a lower bound).
if [ -n "${SLIPWAY_BENCH_BIN:-}" ]; then
    bin=$SLIPWAY_BENCH_BIN
else
    cargo build --release --locked --quiet
    bin=$PWD/target/release/slipway
fi
repo=$(mktemp -d)
origin=$(mktemp -d)
mono=$(mktemp -d)
trap 'rm -rf "$repo" "$origin" "$mono"' EXIT

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

# The remote semantic-release checks (`git push --dry-run`, `git ls-remote`) is a bare clone
# outside the repository, so slipway and git-cliff see the same repository as before.
semrel_cmd="cd $repo && $semrel --dry-run --no-ci --branches main --repository-url file://$origin/repo.git"
semrel_cmd+=" --plugins @semantic-release/commit-analyzer @semantic-release/release-notes-generator"
if [ -z "$semrel_skip" ]; then
    git clone -q --bare "$repo" "$origin/repo.git"
    semrel_out=$(bash -c "$semrel_cmd" 2>&1) || true
    semrel_version=$(sed -n 's/.*The next release version is \([^ ]*\).*/\1/p' <<<"$semrel_out")
    if [ -n "$semrel_version" ]; then
        echo "semantic-release: $semrel_version" >&2
    else
        semrel_skip="semantic-release computed no version offline: $(tail -n 1 <<<"$semrel_out")"
    fi
fi
[ -z "$semrel_skip" ] || echo "semantic-release: not benchmarked: $semrel_skip" >&2

json=$(mktemp)
runs=(-n "slipway release --dry-run" "$bin release --dry-run --json $repo"
      -n "git-cliff --bumped-version" "cd $repo && $cliff --bumped-version")
[ -n "$semrel_skip" ] || runs+=(-n "semantic-release --dry-run" "$semrel_cmd")
hyperfine --warmup 2 --min-runs 10 --export-json "$json" "${runs[@]}"
python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
s = r.pop("slipway release --dry-run")
for name, t in r.items():
    tool = name.split()[0]
    print(f"slipway {s*1000:.1f} ms, {tool} {t*1000:.1f} ms: slipway is {t/s:.2f}x as fast as {tool}")
    if tool == "git-cliff":
        print(f"goal: at least 5x as fast as git-cliff: {'met' if t / s >= 5 else 'NOT met'}")
PY
rm -f "$json"

# ----- the monorepo decision: 20 units -----
units=${SLIPWAY_BENCH_UNITS:-20}
[ "$units" -gt 0 ] || exit 0
git -C "$mono" init -q -b main
python3 - "$commits" "$units" <<'PY' | git -C "$mono" fast-import --quiet
import sys
n, units = int(sys.argv[1]), int(sys.argv[2])
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
out.write(f"commit refs/heads/main\nmark :1\ncommitter Ada <ada@example.com> {t} +0000\n")
data("chore: init\n")
out.write("M 100644 inline package.json\n")
data('{ "name": "mono", "private": true, "workspaces": ["packages/*"] }\n')
out.write("M 100644 inline slipway.yml\n"); data("version: 1\nrelease:\n  units: per-unit\n")
for u in range(units):
    out.write(f"M 100644 inline packages/u{u:02}/package.json\n")
    data(f'{{ "name": "u{u:02}", "version": "1.0.0" }}\n')
    out.write(f"M 100644 inline packages/u{u:02}/index.js\n"); data("// 0\n")
out.write("\n")
for u in range(units):
    out.write(f"tag u{u:02}-v1.0.0\nfrom :1\ntagger Ada <ada@example.com> {t} +0000\n")
    data(f"u{u:02}-v1.0.0\n")
prev = 1
for i in range(n):
    touched = [i % units] + ([(i * 7 + 3) % units] if i % 7 == 0 else [])
    mark = prev + 1
    out.write(f"commit refs/heads/main\nmark :{mark}\ncommitter Ada <ada@example.com> {t + i + 1} +0000\n")
    data(kinds[i % len(kinds)].format(i=i) + "\n")
    out.write(f"from :{prev}\n")
    for u in sorted(set(touched)):
        out.write(f"M 100644 inline packages/u{u:02}/index.js\n"); data(f"// {i}\n")
    out.write("\n")
    prev = mark
PY
git -C "$mono" reset -q --hard main
echo "monorepo: $units units, $(git -C "$mono" rev-list --count HEAD) commits" >&2
echo "slipway:   $("$bin" release --dry-run --json "$mono" 2>/dev/null | python3 -c 'import json,sys; print(" ".join("%s=%s" % (u["name"], u["next"]) for u in json.load(sys.stdin)["units"]))')" >&2
cliff_all="cd $mono && for u in \$(seq -f 'u%02g' 0 $((units - 1))); do $cliff --bumped-version --include-path \"packages/\$u/**\" --tag-pattern \"\$u-v.*\"; done"
echo "git-cliff: $(bash -c "$cliff_all" 2>/dev/null | tr '\n' ' ')" >&2
json=$(mktemp)
hyperfine --warmup 1 --min-runs 5 --export-json "$json" \
    -n "slipway release --dry-run ($units units)" "$bin release --dry-run --json $mono" \
    -n "git-cliff --bumped-version x $units (--include-path, --tag-pattern)" "$cliff_all"
python3 - "$json" "$units" <<'PY'
import json, sys
s, c = [x["mean"] for x in json.load(open(sys.argv[1]))["results"]]
print(f"monorepo ({sys.argv[2]} units): slipway {s*1000:.1f} ms, git-cliff x {sys.argv[2]} {c*1000:.1f} ms: slipway is {c/s:.2f}x as fast as git-cliff")
print(f"goal: at least 5x as fast as git-cliff: {'met' if c / s >= 5 else 'NOT met'}")
PY
rm -f "$json"
