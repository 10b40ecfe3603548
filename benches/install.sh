#!/usr/bin/env bash
# Benchmark: the clean install a new user runs, `cargo install --locked --path .`, with a fresh
# target directory and a fresh install root, so every dependency compiles and every link runs.
# Side by side with the same install of another revision (default: the commit before the release
# profile changed) when `--against REF` is given. Prints the wall time, the load average before
# and after each run (the machine may be shared), the installed binaries and their sizes, and the
# ratio. Goal: under 5 minutes on 2 cores.
#
#   benches/install.sh [--against REF]
#
#   SLIPWAY_BENCH_KEEP   a directory to copy the installed binaries into (as <name>-head,
#                        <name>-base), e.g. to time them with another bench afterwards
#
# Needs cargo and git; the crates must be in the local registry cache or reachable.
set -euo pipefail
cd "$(dirname "$0")/.."

against=
if [ "${1-}" = --against ]; then
  against=${2:?--against needs a git revision}
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

# measure NAME SRC_DIR: prints "NAME <seconds>" on the last line of its report.
measure() {
  local name=$1 src=$2 root=$work/$1-root target=$work/$1-target start end
  echo "== $name: cargo install --locked --path $src" >&2
  echo "   load before: $(uptime | sed 's/.*load average: //')" >&2
  start=$(date +%s)
  CARGO_TARGET_DIR=$target cargo install --locked --quiet --path "$src" --root "$root" >&2
  end=$(date +%s)
  echo "   load after:  $(uptime | sed 's/.*load average: //')" >&2
  echo "   time: $((end - start)) s" >&2
  for bin in "$root"/bin/*; do
    printf '   %s: %s bytes (%s)\n' "$(basename "$bin")" "$(stat -c %s "$bin")" \
      "$(du -h "$bin" | cut -f1)" >&2
  done
  if [ -n "${SLIPWAY_BENCH_KEEP-}" ]; then
    mkdir -p "$SLIPWAY_BENCH_KEEP"
    for bin in "$root"/bin/*; do cp "$bin" "$SLIPWAY_BENCH_KEEP/$(basename "$bin")-$name"; done
  fi
  rm -rf "$target"
  echo "$((end - start))"
}

# The working tree as a user would get it: the committed files only.
git archive --format=tar HEAD | (mkdir -p "$work/head-src" && tar -x -C "$work/head-src")
head_s=$(measure head "$work/head-src")

if [ -n "$against" ]; then
  git archive --format=tar "$against" | (mkdir -p "$work/base-src" && tar -x -C "$work/base-src")
  base_s=$(measure base "$work/base-src")
  echo "install: HEAD ${head_s} s, $against ${base_s} s, ratio $(awk -v a="$head_s" -v b="$base_s" 'BEGIN { printf "%.2f", a / b }')"
else
  echo "install: HEAD ${head_s} s"
fi
