#!/usr/bin/env bash
# install.sh - put the slipway binary on PATH for the composite actions in actions/<name>/.
#
# Reads the release version, the source digest and the per-target sha256 sums committed next to
# this script (release-checksums.txt) and picks the runner's target. The release archive is used
# only when it was built from exactly these sources: the pinned version equals Cargo.toml's and
# the pinned `source` digest equals the digest of this checkout's build inputs (see
# source_digest below). Then it downloads the archive over https only (TLS 1.2+, retries with
# backoff), verifies its sha256 BEFORE extracting anything (and, when `gh` and a token are
# there, its build-provenance attestation), keeps it in the runner tool cache
# ($RUNNER_TOOL_CACHE/slipway/<version>/<target>) and appends its bin directory to $GITHUB_PATH.
# Otherwise (no archive for the target, a commit between two releases, or
# SLIPWAY_BUILD_FROM_SOURCE=true) it builds the action's own checkout with
# `cargo install --locked --profile action --path`, from inside the checkout and with its
# toolchain (its rust-toolchain file's channel, else stable), never the workspace's pinned one,
# into $RUNNER_TOOL_CACHE/slipway/source-<digest>/<target>, which the actions keep in the
# Actions cache (`--plan` names the key; never in workflows that ship). A slipway of the same
# version already on PATH is used as is (unless SLIPWAY_BUILD_FROM_SOURCE=true).
# Any failure (unsupported runner, download error, checksum mismatch, truncated archive, failed
# attestation) is fatal and reported as `::error::slipway install: ...`; an unverified binary is
# never used.
#
# Usage: install.sh            install
#        install.sh --plan     print (and write to $GITHUB_OUTPUT) source-digest=, build=, cache=, cache-key=,
#                              cache-path= for the actions' cache steps; installs nothing
#
# Environment:
#   SLIPWAY_BUILD_FROM_SOURCE=true       build with cargo even when an archive exists
#   SLIPWAY_BINARY_CACHE=false           never use the Actions cache for the built binary (the
#                                        generated release, cd and rollback workflows set it)
#   SLIPWAY_CACHE_INPUT                  the actions' `slipway-cache` input (`true`/`false`)
#   SLIPWAY_INSTALL_BASE_URL             where the archives are, https:// only (default: the
#                                        GitHub release, <base>/v<version>/<archive> below it);
#                                        curl honours CURL_CA_BUNDLE for a private CA
#   SLIPWAY_VERIFY_ATTESTATION           `auto` (default: when gh and GH_TOKEN/GITHUB_TOKEN are
#                                        there), `true` (required) or `false`
#   RUNNER_TOOL_CACHE, GITHUB_PATH, GITHUB_OUTPUT, ImageOS   set by the runner
set -euo pipefail

fail() {
  echo "::error::slipway install: $*" >&2
  exit 1
}

mode=install
case "${1:-}" in
  "") ;;
  --plan) mode=plan ;;
  *) fail "unknown argument \`$1\`; usage: install.sh [--plan]" ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checkout="$(cd "$here/.." && pwd)"
sums_file="$here/release-checksums.txt"
[ -f "$sums_file" ] || fail "\`$sums_file\` is missing from the action's checkout"

pinned="$(awk '$1 == "version" { print $2; exit }' "$sums_file")"
[ -n "$pinned" ] || fail "no \`version\` line in \`$sums_file\`"
pinned_source="$(awk '$1 == "source" { print $2; exit }' "$sums_file")"

# The version of the checkout: the first `version = "..."` of Cargo.toml's [package] table.
crate_version="$(awk '
  /^\[/ { in_pkg = ($0 ~ /^\[package\][[:space:]]*$/) ; next }
  in_pkg && /^[[:space:]]*version[[:space:]]*=/ { v = $0; sub(/^[^"]*"/, "", v); sub(/".*$/, "", v); print v; exit }
' "$checkout/Cargo.toml" 2>/dev/null || true)"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$@"
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$@"
  else
    fail "neither sha256sum nor shasum is on PATH"
  fi
}

# The digest of the checkout's build inputs, as `slipway release pin-binary` computes it for the
# released commit: sha256 of the `sha256sum` lines of every file of Cargo.toml, Cargo.lock,
# build.rs, rust-toolchain(.toml), src/, templates/, actions/ and scripts/ (except
# scripts/release-checksums.txt), sorted bytewise by path. Two commits with the same inputs build
# the same binary; any other change makes the archive not fit.
source_digest() {
  (
    cd "$checkout" || exit 1
    {
      for f in Cargo.toml Cargo.lock build.rs rust-toolchain rust-toolchain.toml; do
        [ -f "$f" ] && printf '%s\0' "$f"
      done
      for d in src templates actions scripts; do
        [ -d "$d" ] && find "$d" -type f ! -path scripts/release-checksums.txt -print0
      done
    } | LC_ALL=C sort -z | xargs -0 -r sh -c 'if command -v sha256sum >/dev/null 2>&1; then sha256sum -- "$@"; else shasum -a 256 -- "$@"; fi' sh |
      { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; } | awk '{ print $1 }'
  )
}

# --- the runner's target -------------------------------------------------------------------
os="$(uname -s)"
arch="$(uname -m)"
exe=""
case "$os" in
  Linux) os_part="unknown-linux-musl" ;;
  Darwin) os_part="apple-darwin" ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) os_part="pc-windows-msvc" exe=".exe" ;;
  *) os_part="" ;;
esac
case "$arch" in
  x86_64 | amd64) arch_part="x86_64" ;;
  aarch64 | arm64) arch_part="aarch64" ;;
  *) arch_part="" ;;
esac
target="$arch_part-$os_part"
case "$target" in
  x86_64-unknown-linux-musl | aarch64-unknown-linux-musl | x86_64-apple-darwin | \
    aarch64-apple-darwin | x86_64-pc-windows-msvc) ;;
  *)
    fail "unsupported runner \`$os\`/\`$arch\`; supported: Linux x86_64 and aarch64, macOS x86_64 and arm64, Windows x86_64"
    ;;
esac
ext="tar.gz"
[ -z "$exe" ] || ext="zip"

build_from_source="${SLIPWAY_BUILD_FROM_SOURCE:-false}"
case "$build_from_source" in
  true | false) ;;
  *) fail "\`SLIPWAY_BUILD_FROM_SOURCE\` is \`$build_from_source\`; expected \`true\` or \`false\`" ;;
esac
binary_cache="${SLIPWAY_BINARY_CACHE:-true}"
case "$binary_cache" in
  true | false) ;;
  *) fail "\`SLIPWAY_BINARY_CACHE\` is \`$binary_cache\`; expected \`true\` or \`false\`" ;;
esac
cache_input="${SLIPWAY_CACHE_INPUT:-true}"
case "$cache_input" in
  true | false) ;;
  *) fail "the \`slipway-cache\` input is \`$cache_input\`; expected \`true\` or \`false\`" ;;
esac

archive="slipway-$pinned-$target.$ext"
expected="$(awk -v a="$archive" '$2 == a || $2 == "*" a { print $1; exit }' "$sums_file")"

# --- archive or build? ---------------------------------------------------------------------
digest="$(source_digest)"
[ -n "$digest" ] || fail "could not compute the source digest of \`$checkout\`"
why=""
if [ "$build_from_source" = true ]; then
  why="SLIPWAY_BUILD_FROM_SOURCE is set"
elif [ -z "$expected" ]; then
  why="no archive for \`$target\` in release-checksums.txt"
elif [ "$crate_version" != "$pinned" ]; then
  why="the pinned release is $pinned, this checkout is ${crate_version:-unversioned}"
elif [ "$pinned_source" != "$digest" ]; then
  why="this checkout's sources differ from the ones release $pinned was built from"
fi

cache_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}"
if [ -n "$why" ]; then
  version="${crate_version:-$pinned}"
  dir="$cache_root/slipway/source-${digest:0:32}/$target"
else
  version="$pinned"
  dir="$cache_root/slipway/$version/$target"
fi
bin="$dir/bin"

output() {
  echo "$1=$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "$1=$2" >>"$GITHUB_OUTPUT"
  fi
}

on_path=false
if [ "$build_from_source" = false ] && command -v slipway >/dev/null 2>&1; then
  found="$(slipway --version 2>/dev/null || true)"
  case "$found" in
    "slipway $version "* | "slipway $version") on_path=true ;;
  esac
fi

if [ "$mode" = plan ]; then
  output source-digest "$digest"
  if [ -n "$why" ] && [ "$on_path" = false ]; then
    output build true
    cache=false
    [ "$binary_cache" = true ] && [ "$cache_input" = true ] && cache=true
    output cache "$cache"
    # The runner image too: a binary linked on one image's libc may not run on another's.
    output cache-key "slipway-bin-$target-${ImageOS:-unknown}-$digest"
    output cache-path "$dir"
  else
    output build false
    output cache false
    output cache-key ""
    output cache-path ""
  fi
  exit 0
fi

if [ "$on_path" = true ]; then
  echo "slipway $version is already on PATH: $(command -v slipway)"
  exit 0
fi

add_to_path() {
  local line
  line="$("$bin/slipway$exe" --version)" || fail "\`$bin/slipway$exe --version\` failed"
  case "$line" in
    "slipway $version "* | "slipway $version") ;;
    *) fail "\`$bin/slipway$exe\` is \`$line\`, not slipway $version" ;;
  esac
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$bin" >>"$GITHUB_PATH"
  fi
  echo "installed $line at $bin"
}

if [ -f "$dir/.complete" ] && [ -x "$bin/slipway$exe" ]; then
  if [ -n "$why" ]; then
    echo "slipway $version ($target) built from these sources found in the tool cache"
  else
    echo "slipway $version ($target) found in the tool cache"
  fi
  output built false >/dev/null
  add_to_path
  exit 0
fi

build() {
  command -v cargo >/dev/null 2>&1 ||
    fail "$why and cargo is not on PATH; install Rust (https://rustup.rs) before this step"
  echo "building slipway $version from \`$checkout\` with cargo ($why)"
  rm -rf "$dir"
  mkdir -p "$dir"
  # The step runs in the user's workspace, whose rust-toolchain(.toml) rustup would apply
  # to this build (and fail when it predates slipway's MSRV). Build from the action's own
  # checkout with its own toolchain: the channel of its toolchain file, else stable.
  local toolchain="stable" file channel
  for file in "$checkout/rust-toolchain.toml" "$checkout/rust-toolchain"; do
    [ -f "$file" ] || continue
    channel="$(sed -n 's/^[[:space:]]*channel[[:space:]]*=[[:space:]]*"\([A-Za-z0-9._-]*\)".*/\1/p' "$file" | head -n 1)"
    if [ -z "$channel" ] && ! grep -q '[][=]' "$file"; then
      channel="$(tr -d '[:space:]' <"$file")"
    fi
    case "$channel" in
      "" | *[!A-Za-z0-9._-]*) ;;
      *) toolchain="$channel" ;;
    esac
    break
  done
  echo "building with the $toolchain toolchain"
  (cd "$checkout" && RUSTUP_TOOLCHAIN="$toolchain" cargo install --locked --profile action --path "$checkout" --root "$dir" --bin slipway) ||
    fail "\`cargo install --locked --profile action --path $checkout\` failed"
  touch "$dir/.complete"
  # The actions save the Actions cache only after a build in this very step (never what an
  # earlier step may have left in the tool cache).
  output built true >/dev/null
  add_to_path
}

if [ -n "$why" ]; then
  build
  exit 0
fi
case "$expected" in
  *[!0-9a-f]* | "") fail "the sha256 of \`$archive\` in \`$sums_file\` is not 64 hex digits" ;;
esac
[ "${#expected}" -eq 64 ] || fail "the sha256 of \`$archive\` in \`$sums_file\` is not 64 hex digits"

# --- download over https only --------------------------------------------------------------
base="${SLIPWAY_INSTALL_BASE_URL:-https://github.com/slipway-ci/slipway/releases/download}"
case "$base" in
  https://*) ;;
  *) fail "\`SLIPWAY_INSTALL_BASE_URL\` must start with \`https://\`, got \`$base\`" ;;
esac
url="$base/v$version/$archive"

command -v curl >/dev/null 2>&1 || fail "curl is not on PATH"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "downloading $url"
# --retry backs off exponentially (1s, 2s, 4s ...) on timeouts and 408/429/5xx answers.
if ! curl --proto "=https" --tlsv1.2 --fail --silent --show-error --location \
  --retry 4 --retry-connrefused --connect-timeout 10 --max-time 300 \
  --output "$tmp/$archive" "$url" 2>"$tmp/curl.err"; then
  fail "downloading \`$url\` failed: $(tr '\n' ' ' <"$tmp/curl.err")"
fi

# --- verify, then extract ------------------------------------------------------------------
actual="$(sha256_of "$tmp/$archive" | awk '{ print $1 }')"
if [ "$actual" != "$expected" ]; then
  fail "checksum mismatch for \`$archive\`: expected \`$expected\`, got \`$actual\` (corrupted or truncated download); nothing was installed"
fi

# The build-provenance attestation the release workflow made for the archive.
attest="${SLIPWAY_VERIFY_ATTESTATION:-auto}"
case "$attest" in
  auto)
    if command -v gh >/dev/null 2>&1 && [ -n "${GH_TOKEN:-${GITHUB_TOKEN:-}}" ]; then attest=true; else attest=false; fi
    ;;
  true) command -v gh >/dev/null 2>&1 || fail "SLIPWAY_VERIFY_ATTESTATION is true and gh is not on PATH" ;;
  false) ;;
  *) fail "\`SLIPWAY_VERIFY_ATTESTATION\` is \`$attest\`; expected \`auto\`, \`true\` or \`false\`" ;;
esac
if [ "$attest" = true ]; then
  echo "verifying the build-provenance attestation of $archive"
  gh attestation verify "$tmp/$archive" --repo slipway-ci/slipway \
    --signer-workflow slipway-ci/slipway/.github/workflows/release.yml >"$tmp/gh.out" 2>&1 ||
    fail "the attestation of \`$archive\` does not verify: $(tr '\n' ' ' <"$tmp/gh.out")"
fi

mkdir -p "$tmp/x"
if [ "$ext" = zip ]; then
  unzip -q "$tmp/$archive" -d "$tmp/x" || fail "\`$archive\` passed its checksum but could not be extracted"
else
  tar -xzf "$tmp/$archive" -C "$tmp/x" || fail "\`$archive\` passed its checksum but could not be extracted"
fi
found=""
for candidate in "$tmp/x/slipway$exe" "$tmp/x"/*/"slipway$exe"; do
  if [ -f "$candidate" ]; then
    found="$candidate"
    break
  fi
done
[ -n "$found" ] || fail "\`$archive\` has no \`slipway$exe\` binary"

rm -rf "$dir"
mkdir -p "$bin"
mv "$found" "$bin/slipway$exe"
chmod +x "$bin/slipway$exe"
touch "$dir/.complete"
add_to_path
