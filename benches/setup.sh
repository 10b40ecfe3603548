#!/usr/bin/env bash
# benches/setup.sh - setup-environment performance, two measurements:
#   (1) the setup-environment action's overhead with the binary already on PATH (install check
#       + plan) against a bare `bash -c true` step, both under act in host mode; goal < 1 s added.
#   (2) cache-key hashing over a large lockfile set (N go.sum files of SIZE KiB each, keyed by
#       `**/go.sum`) against `sha256sum` of the same files; goal within 1.2x.
# Usage: benches/setup.sh [--only hash|act]   (N, SIZE_KIB, RUNS from the environment)
# Needs a built binary (cargo build --release is used when target/release/slipway exists) and,
# for (1), act (scripts/validators.sh install puts it in /tmp/validators/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-2000}"
SIZE_KIB="${SIZE_KIB:-64}"
RUNS="${RUNS:-5}"
ONLY="${2:-}"
[ "${1:-}" = "--only" ] || ONLY=""
BIN="$PWD/target/release/slipway"
# A stale release build without the subcommand does not count.
"$BIN" setup-environment --help >/dev/null 2>&1 || BIN="$PWD/target/debug/slipway"
[ -x "$BIN" ] || { echo "error: build slipway first (cargo build --release)" >&2; exit 2; }
ACT="${SLIPWAY_ACT:-/tmp/validators/bin/act}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
# best of RUNS wall-clock seconds of "$@"
best() {
  local b="" s e t
  for _ in $(seq "$RUNS"); do
    s="$(now)"
    "$@" >/dev/null 2>&1 || { echo "error: \`$*\` failed" >&2; return 1; }
    e="$(now)"
    t="$(echo "$e - $s" | bc -l)"
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b="$t"; fi
  done
  printf '%.3f' "$b"
}

if [ "$ONLY" != act ]; then
  echo "--- (2) cache-key hashing: $N go.sum files x ${SIZE_KIB} KiB"
  repo="$work/hash"
  mkdir -p "$repo"
  printf 'module example.com/root\n\ngo 1.22\n' >"$repo/go.mod"
  head -c $((SIZE_KIB * 1024)) /dev/urandom | base64 >"$work/blob"
  for i in $(seq "$N"); do
    d="$repo/mods/m$i"
    mkdir -p "$d"
    printf 'module example.com/m%s\n\ngo 1.22\n' "$i" >"$d/go.mod"
    { echo "m$i"; head -c $((SIZE_KIB * 1024)) "$work/blob"; } >"$d/go.sum"
  done
  (cd "$repo" && git init -q . && git add -A && git -c user.email=b@b -c user.name=b commit -qm b)
  plan_only() { SLIPWAY_INSTALL_DEPENDENCIES=false "$BIN" setup-environment --stacks go "$repo"; }
  plan_nocache() { SLIPWAY_INSTALL_DEPENDENCIES=false SLIPWAY_CACHE=false "$BIN" setup-environment --stacks go "$repo"; }
  # The same files, hashed the way hashFiles does it, with coreutils.
  shasum_side() {
    cd "$repo" && find . -name node_modules -prune -o -name .git -prune -o -name go.sum -type f -print |
      sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum | awk '{ print $1 }' | xxd -r -p | sha256sum
  }
  total_mib=$(du -sm "$repo/mods" | awk '{ print $1 }')
  echo "binary: $BIN"
  t_plan="$(best plan_only)"
  t_nocache="$(best plan_nocache)"
  t_sum="$(best shasum_side)"
  t_hash="$(echo "$t_plan - $t_nocache" | bc -l)"
  echo "slipway setup-environment (plan + hash):  ${t_plan}s"
  echo "slipway setup-environment, cache=false:   ${t_nocache}s (detection, no hashing)"
  echo "hashing alone (difference):               $(printf '%.3f' "$t_hash")s"
  echo "find | sort | sha256sum (same files):     ${t_sum}s   (${total_mib} MiB)"
  echo "ratio whole command / sha256sum:          $(printf '%.2f' "$(echo "$t_plan / $t_sum" | bc -l)")x"
  echo "ratio hashing alone / sha256sum:          $(printf '%.2f' "$(echo "$t_hash / $t_sum" | bc -l)")x"
  key="$(plan_only | awk -F': ' '$1 == "cache-key" { print $2 }')"
  want="$(shasum_side | awk '{ print $1 }')"
  case "$key" in
    *"-$want") echo "same digest as sha256sum: $want" ;;
    *) echo "error: digest differs: key $key, sha256sum $want" >&2; exit 1 ;;
  esac
fi

if [ "$ONLY" != hash ]; then
  echo "--- (1) action overhead under act (host mode), binary already on PATH"
  if [ ! -x "$ACT" ]; then
    echo "skipped: act not found at $ACT (scripts/validators.sh install)"
    exit 0
  fi
  repo="$work/act"
  mkdir -p "$repo/.github/workflows" "$work/stub" "$work/home"
  cp -R actions scripts "$repo/"
  echo "# docs" >"$repo/README.md"
  cat >"$repo/.github/workflows/bare.yml" <<'YML'
on: push
jobs:
  bare:
    runs-on: ubuntu-latest
    steps:
      - run: bash -c true
YML
  cat >"$repo/.github/workflows/action.yml" <<'YML'
on: push
jobs:
  action:
    runs-on: ubuntu-latest
    steps:
      - uses: ./actions/setup-environment
YML
  printf 'name: stub\ndescription: stub\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: exit 1\n' >"$work/stub/action.yml"
  (cd "$repo" && git init -q . && git add -A && git -c user.email=b@b -c user.name=b commit -qm b)
  lr=()
  while read -r uses; do lr+=(--local-repository "$uses=$work/stub"); done < <(
    grep -ho 'uses: actions/[a-z-]*@[0-9a-f]*' actions/setup-environment/action.yml | sed 's/uses: //'
  )
  run_act() { (cd "$repo" && PATH="$(dirname "$BIN"):$PATH" HOME="$work/home" "$ACT" push -W ".github/workflows/$1.yml" -P ubuntu-latest=-self-hosted "${lr[@]}"); }
  # checkout is not needed: host mode with local `uses: ./` reads the copied workspace
  # only after checkout, so the action workflow checks out first via act's local copy.
  sed -i 's|    steps:|    steps:\n      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1|' "$repo/.github/workflows/action.yml" "$repo/.github/workflows/bare.yml"
  (cd "$repo" && git add -A && git -c user.email=b@b -c user.name=b commit -qm c)
  run_act action >"$work/act.log" 2>&1 || { cat "$work/act.log"; exit 1; }
  t_bare="$(best run_act bare)"
  t_action="$(best run_act action)"
  echo "act job with a bare bash -c true step:     ${t_bare}s"
  echo "act job with setup-environment:            ${t_action}s"
  echo "added by the action:                        $(printf '%.3f' "$(echo "$t_action - $t_bare" | bc -l)")s"
fi
