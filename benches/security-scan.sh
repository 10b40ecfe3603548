#!/usr/bin/env bash
# Benchmark: the secrets part of `slipway security-scan` against detect-secrets (PyPI),
# secretlint with its recommended preset (npm) and `grep -rEI` with a comparable pattern set,
# side by side in one hyperfine run over a few hundred MB of real source: crates vendored in
# the cargo registry (~/.cargo/registry/src). Prints MB/s and the ratios. Goal: slipway is
# faster than every scanner and at or above grep's throughput.
#
#   benches/security-scan.sh [VENV [NODE_PREFIX]]
#     VENV         venv for detect-secrets, default /tmp/bench-secrets-venv
#     NODE_PREFIX  npm prefix for secretlint, default /tmp/bench-secretlint
#   SLIPWAY_BENCH_MB      corpus size in MB (default 300)
#   SLIPWAY_BENCH_SOURCE  where the corpus is copied from (default ~/.cargo/registry/src)
#   SLIPWAY_BENCH_TOOLS   which tools run (default "slipway grep detect-secrets secretlint");
#                         detect-secrets reads well under 1 MB/s, so a few hundred MB take it
#                         tens of minutes: e.g. run all four on SLIPWAY_BENCH_MB=10, then
#                         slipway and grep on 300
#   SLIPWAY_BENCH_BIN     a slipway binary to time instead of building target/release
#   SLIPWAY_BENCH_RUNS    timed runs per tool (default 3); SLIPWAY_BENCH_WARMUP warm-ups (1)
#
# Needs hyperfine (Debian: `apt-get install -y hyperfine`) and python3; installs
# detect-secrets into the venv and secretlint into NODE_PREFIX once (without node/npm, or
# offline, it says why and leaves that tool out). The corpus is a plain copy without
# .gitignore files, so every tool reads the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-/tmp/bench-secrets-venv}
node_prefix=${2:-/tmp/bench-secretlint}
mb=${SLIPWAY_BENCH_MB:-300}
source_dir=${SLIPWAY_BENCH_SOURCE:-$(ls -d "$HOME"/.cargo/registry/src/*/ 2>/dev/null | head -n1)}
command -v hyperfine >/dev/null || { echo "error: hyperfine is needed (apt-get install -y hyperfine)" >&2; exit 2; }
[ -d "$source_dir" ] || { echo "error: no source tree at '$source_dir' (set SLIPWAY_BENCH_SOURCE)" >&2; exit 2; }

if [ ! -x "$venv/bin/detect-secrets" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet detect-secrets >&2
fi
secretlint=$node_prefix/node_modules/.bin/secretlint
secretlint_skip=
if [ ! -x "$secretlint" ]; then
    if ! command -v npm >/dev/null; then
        secretlint_skip="node and npm are not installed"
    elif ! npm install --prefix "$node_prefix" --no-audit --no-fund --loglevel=error \
            secretlint @secretlint/secretlint-rule-preset-recommend >&2 || [ ! -x "$secretlint" ]; then
        secretlint_skip="npm install secretlint into $node_prefix failed (npm registry unreachable?)"
    fi
fi
if [ -n "${SLIPWAY_BENCH_BIN:-}" ]; then
    bin=$SLIPWAY_BENCH_BIN
else
    cargo build --release --locked --quiet
    bin=$PWD/target/release/slipway
fi

corpus=$(mktemp -d)
patterns=
trap 'rm -rf "$corpus" ${patterns:+"$patterns"}' EXIT
# Whole crates, in name order, until the corpus holds $mb MB.
limit=$((mb * 1024 * 1024))
total=0
for crate in "$source_dir"/*/; do
    size=$(du -sb "$crate" | cut -f1)
    cp -R "$crate" "$corpus/"
    total=$((total + size))
    [ "$total" -ge "$limit" ] && break
done
find "$corpus" \( -name .gitignore -o -name .ignore \) -delete
bytes=$(du -sb "$corpus" | cut -f1)
files=$(find "$corpus" -type f | wc -l)
echo "corpus: $files files, $((bytes / 1024 / 1024)) MiB of vendored crates from $source_dir" >&2
cat > "$corpus/.secretlintrc.json" <<'JSON'
{ "rules": [{ "id": "@secretlint/secretlint-rule-preset-recommend" }] }
JSON

# The same credential formats slipway looks for, as one extended regex.
pattern='gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}|gl(pat|dt|rt|ptt)-[A-Za-z0-9_-]{20,}'
pattern+='|(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}|aws.{0,20}(secret|SECRET).{0,20}[=:].{0,3}[A-Za-z0-9/+]{40}'
pattern+='|xox[abposre]-[0-9]{6,}-[A-Za-z0-9-]{10,}|hooks\.slack\.com/(services|workflows|triggers)/'
pattern+='|[sr]k_(live|test)_[0-9A-Za-z]{24,}|AIza[0-9A-Za-z_-]{35}|AccountKey=[A-Za-z0-9+/]{86}=='
pattern+='|npm_[A-Za-z0-9]{36}|pypi-AgEIcHlwaS5vcmc|dckr_(pat|oat)_|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}'
pattern+='|key-[0-9a-f]{32}|T3BlbkFJ|sk-ant-(api|admin)[0-9]{2}-|-----BEGIN [A-Z ]*PRIVATE KEY'
pattern+='|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.|"private_key"'
pattern+='|(postgres|postgresql|mysql|mariadb|mongodb|redis|rediss|amqp|amqps|mssql)://[^:/ ]*:[^@/ ]{3,}@'
pattern+='|([Pp]assword|PASSWORD|passwd|[Ss]ecret|SECRET|[Tt]oken|TOKEN|api_?key|API_?KEY|apiKey)["'"'"' ]*(:=|=>|=|:) *["'"'"']?[^ "'"'"']{8,}'

patterns=$(mktemp)
printf '%s\n' "$pattern" > "$patterns"
tools=${SLIPWAY_BENCH_TOOLS:-slipway grep detect-secrets secretlint}
cmds=()
names=()
for tool in $tools; do
    case $tool in
        slipway)
            cmds+=("$bin security-scan --no-dependencies --no-workflows --fail-on none --max-file-size 0 $corpus")
            names+=(slipway) ;;
        grep)
            cmds+=("grep -rEI -n -f $patterns $corpus")
            names+=("grep -rEI") ;;
        detect-secrets)
            cmds+=("cd $corpus && $venv/bin/detect-secrets scan --all-files .")
            names+=(detect-secrets) ;;
        secretlint)
            if [ -z "$secretlint_skip" ]; then
                cmds+=("cd $corpus && $secretlint --maskSecrets --secretlintrc .secretlintrc.json '**/*'")
                names+=(secretlint)
            else
                echo "note: secretlint left out: $secretlint_skip" >&2
            fi ;;
        *) echo "error: unknown tool '$tool' in SLIPWAY_BENCH_TOOLS" >&2; exit 2 ;;
    esac
done
# What each finds, once (not timed): the tools report differently, so only as a sanity check.
echo "findings per tool (one untimed run each):" >&2
echo "  slipway:        $("$bin" security-scan --no-dependencies --no-workflows --fail-on none --max-file-size 0 --json "$corpus" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')" >&2
echo "  grep lines:     $(grep -rEI -n -f "$patterns" "$corpus" | wc -l)" >&2
case " $tools " in *" detect-secrets "*)
    echo "  detect-secrets: $(cd "$corpus" && "$venv/bin/detect-secrets" scan --all-files . | python3 -c 'import json,sys; print(sum(len(v) for v in json.load(sys.stdin)["results"].values()))')" >&2 ;;
esac

json=$(mktemp)
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
# Every tool exits non-zero when it finds something: failures are expected.
hyperfine --ignore-failure --warmup "${SLIPWAY_BENCH_WARMUP:-1}" --runs "${SLIPWAY_BENCH_RUNS:-3}" --export-json "$json" "${args[@]}"

python3 - "$json" "$bytes" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
mb = int(sys.argv[2]) / 1e6
base = results[0]["mean"]
print(f"\ncorpus: {mb:.0f} MB")
for r in results:
    print(f"{r['command'][:16]:<16} {r['mean']:8.3f} s  {mb / r['mean']:8.1f} MB/s  {r['mean'] / base:6.2f}x slipway's time")
PY
rm -f "$json"
