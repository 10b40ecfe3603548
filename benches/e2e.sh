#!/usr/bin/env bash
# benches/e2e.sh - the cost of running a generated pipeline, per fixture repository.
#
# For each fixture of tests/fixtures/e2e that runs here, side by side in one run:
#   slipway  the ci workflow `slipway gen-workflows` writes (lint, build, sharded tests with
#            reports), run under act by scripts/try-pipeline;
#   starter  what a starter workflow for the stack does (benches/starter/<stack>.yml: build and
#            test in one job), run the same way on the same repository.
# Prints wall seconds of each and the ratio slipway / starter (the price of the richer
# pipeline on this 2-core machine, where act runs jobs on the host two at a time; a hosted
# runner runs them in parallel). Also the whole tier: ci, security, quality and release.
# Usage: benches/e2e.sh [FIXTURE ...]   (default: every fixture with runs_here = true)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${SLIPWAY_BIN:-$PWD/target/debug/slipway}"
[ -x "$BIN" ] || { echo "error: build slipway first (cargo build)" >&2; exit 2; }
export SLIPWAY_BIN="$BIN"
fixtures=("$@")
if [ ${#fixtures[@]} -eq 0 ]; then
  mapfile -t fixtures < <(python3 -c '
import tomllib
cases = tomllib.load(open("tests/fixtures/e2e/cases.toml", "rb"))
print("\n".join(n for n, c in cases.items() if c.get("runs_here", True)))')
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
secs() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$1"; }

printf '%-18s %10s %10s %8s %12s\n' fixture slipway starter ratio "whole tier"
for f in "${fixtures[@]}"; do
  stack=$(python3 -c '
import sys, tomllib
c = tomllib.load(open("tests/fixtures/e2e/cases.toml", "rb"))[sys.argv[1]]
s = c.get("stack", "")
s = s[0] if isinstance(s, list) else s
print({"typescript": "node", "javascript": "node"}.get(s, s))' "$f")
  scripts/try-pipeline --workflows ci --json "$work/$f-ci.json" "tests/fixtures/e2e/$f" >/dev/null 2>&1 || true
  scripts/try-pipeline --workflows ci,security,quality,release --json "$work/$f-all.json" "tests/fixtures/e2e/$f" >/dev/null 2>&1 || true
  starter="-"
  ratio="-"
  if [ -f "benches/starter/$stack.yml" ]; then
    rm -rf "$work/starter" && cp -R "tests/fixtures/e2e/$f" "$work/starter"
    mkdir -p "$work/starter/.github/workflows" && cp "benches/starter/$stack.yml" "$work/starter/.github/workflows/ci.yml"
    scripts/try-pipeline --existing --workflows ci --json "$work/$f-starter.json" "$work/starter" >/dev/null 2>&1 || true
    starter=$(secs "$work/$f-starter.json")
    ratio=$(python3 -c "print(f'{$(secs "$work/$f-ci.json") / max($starter, 0.1):.2f}x')")
  fi
  printf '%-18s %9ss %9ss %8s %11ss\n' "$f" "$(secs "$work/$f-ci.json")" "$starter" "$ratio" "$(secs "$work/$f-all.json")"
done
