#!/usr/bin/env bash
# The workflow audit of `slipway security-scan` beside zizmor's, on real workflows.
#
#   benches/workflow-audit-parity.sh [MIRRORS_DIR]
#
# benches/data/workflow-corpus.tsv lists repository, commit and path of each workflow file;
# their content is read from bare mirrors (`MIRRORS_DIR/<owner>+<name>/repo`, default
# /work/.mirror) when present and never committed. Both tools run offline on the same copies;
# for each audit they share, the report says how many of zizmor's findings slipway reports at
# the same file and line, and lists the ones it does not (and the reverse).
# VERBOSE=1 (or VERBOSE=<zizmor audit>) lists each disagreement.
#
# excessive-permissions follows zizmor's default persona (see src/security/workflows/
# permissions.rs): 164 of 164 zizmor findings, none of slipway's alone, on this corpus.
# By design slipway also reports `write-all` where zizmor keeps it for --pedantic (the
# workflow block of a one-job workflow, a job of a reusable workflow); the corpus has none.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mirrors="${1:-/work/.mirror}"
zizmor="${ZIZMOR:-/tmp/validators/bin/zizmor}"
slipway="${SLIPWAY:-$here/target/release/slipway}"
[ -x "$slipway" ] || slipway="$here/target/debug/slipway"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
missing=0
while IFS=$'\t' read -r repo commit path; do
  git_dir="$mirrors/${repo/\//+}/repo"
  dest="$work/corpus/${repo/\//+}/$path"
  mkdir -p "$(dirname "$dest")"
  if ! git --git-dir="$git_dir" show "$commit:$path" > "$dest" 2>/dev/null; then
    rm -f "$dest"
    missing=$((missing + 1))
  fi
done < "$here/benches/data/workflow-corpus.tsv"
files=$(find "$work/corpus" -type f | wc -l)
echo "corpus: $files workflow files ($missing listed but not in the mirrors)"
(cd "$work" && "$zizmor" --offline --format json corpus > zizmor.json 2> zizmor.log) || true
for d in "$work"/corpus/*/; do
  "$slipway" security-scan --no-secrets --no-dependencies --json --fail-on none "$d" \
    > "$work/slipway-$(basename "$d").json" 2>/dev/null || true
done
python3 - "$work" <<'PY'
import json, os, sys, collections
work = sys.argv[1]
pairs = {
    "template-injection": "expression-injection",
    "dangerous-triggers": "dangerous-triggers",
    "unpinned-images": "unpinned-image",
    "cache-poisoning": "cache-poisoning",
    "secrets-inherit": "secrets-inherit",
    "github-env": "github-env",
    "self-hosted-runner": "self-hosted-runner",
    "excessive-permissions": "excessive-permissions",
    "artipacked": "checkout-persist-credentials",
    "unpinned-uses": "unpinned-action",
}
z = collections.defaultdict(list)
for f in json.load(open(os.path.join(work, "zizmor.json"))):
    if f["ident"] not in pairs:
        continue
    for loc in f["locations"]:
        if loc["symbolic"]["kind"] == "Primary":
            path = loc["symbolic"]["key"]["Local"]["verbatim_path"]
            line = loc["concrete"]["location"]["start_point"]["row"] + 1
            z[f["ident"]].append((path.removeprefix("corpus/"), line))
s = collections.defaultdict(set)
for name in os.listdir(work):
    if not name.startswith("slipway-"):
        continue
    repo = name[len("slipway-"):-len(".json")]
    try:
        doc = json.load(open(os.path.join(work, name)))
    except ValueError:
        continue
    for f in doc["findings"]:
        s[f["rule"]].add((f"{repo}/{f['file']}", f["line"]))
print(f"{'zizmor audit':24} {'slipway rule':30} {'zizmor':>6} {'both':>6} {'agree':>7} {'slipway only':>12}")
for zi, si in pairs.items():
    zs = z.get(zi, [])
    hit = [x for x in zs if x in s.get(si, set())]
    extra = len(s.get(si, set()) - set(zs))
    pct = f"{100 * len(hit) / len(zs):.1f}%" if zs else "-"
    print(f"{zi:24} {si:30} {len(zs):6} {len(hit):6} {pct:>7} {extra:12}")
verbose = os.environ.get("VERBOSE")
if verbose:
    for zi, si in pairs.items():
        if verbose != "1" and verbose != zi:
            continue
        for x in sorted(set(z.get(zi, [])) - s.get(si, set())):
            print(f"  zizmor only {zi}: {x[0]}:{x[1]}")
        for x in sorted(s.get(si, set()) - set(z.get(zi, []))):
            print(f"  slipway only {si}: {x[0]}:{x[1]}")
PY
