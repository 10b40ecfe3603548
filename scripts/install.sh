#!/usr/bin/env bash
# install.sh - put the slipway binary on PATH for the composite actions in actions/<name>/.
#
# Reads the release version and per-target sha256 sums committed next to this script
# (release-checksums.txt), picks the runner's target, downloads the release archive over https
# only (TLS 1.2+, retries with backoff), verifies its sha256 BEFORE extracting anything, keeps
# it in the runner tool cache ($RUNNER_TOOL_CACHE/slipway/<version>/<target>) and appends its
# bin directory to $GITHUB_PATH. When no archive is listed for the target, or
# SLIPWAY_BUILD_FROM_SOURCE=true, it builds the action's own checkout with
# `cargo install --locked --path`, from inside the checkout and with its toolchain (its
# rust-toolchain file's channel, else stable), never the workspace's pinned one. A slipway of
# the same version already on PATH is used as is.
# Any failure (unsupported runner, download error, checksum mismatch, truncated archive) is
# fatal and reported as `::error::slipway install: ...`; an unverified binary is never used.
#
# Environment:
#   SLIPWAY_BUILD_FROM_SOURCE=true       build with cargo even when an archive exists
#   SLIPWAY_INSTALL_BASE_URL             where the archives are, https:// only (default: the
#                                        GitHub release, <base>/v<version>/<archive> below it)
#   SLIPWAY_INSTALL_INSECURE_TEST_URL    TESTS ONLY: like the above but http://127.0.0.1:<port>
#                                        or http://localhost:<port> (tests/install.rs serves
#                                        archives locally); refused for any other host
#   RUNNER_TOOL_CACHE, GITHUB_PATH       set by the runner
set -euo pipefail

fail() {
  echo "::error::slipway install: $*" >&2
  exit 1
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checkout="$(cd "$here/.." && pwd)"
sums_file="$here/release-checksums.txt"
[ -f "$sums_file" ] || fail "\`$sums_file\` is missing from the action's checkout"

version="$(awk '$1 == "version" { print $2; exit }' "$sums_file")"
[ -n "$version" ] || fail "no \`version\` line in \`$sums_file\`"

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

# --- already there? ------------------------------------------------------------------------
build_from_source="${SLIPWAY_BUILD_FROM_SOURCE:-false}"
case "$build_from_source" in
  true | false) ;;
  *) fail "\`SLIPWAY_BUILD_FROM_SOURCE\` is \`$build_from_source\`; expected \`true\` or \`false\`" ;;
esac
if [ "$build_from_source" = false ] && command -v slipway >/dev/null 2>&1; then
  found="$(slipway --version 2>/dev/null || true)"
  case "$found" in
    "slipway $version "* | "slipway $version")
      echo "slipway $version is already on PATH: $(command -v slipway)"
      exit 0
      ;;
  esac
fi

cache_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}"
dir="$cache_root/slipway/$version/$target"
bin="$dir/bin"

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

if [ "$build_from_source" = false ] && [ -f "$dir.complete" ] && [ -x "$bin/slipway$exe" ]; then
  echo "slipway $version ($target) found in the tool cache"
  add_to_path
  exit 0
fi

archive="slipway-$version-$target.tar.gz"
expected="$(awk -v a="$archive" '$2 == a || $2 == "*" a { print $1; exit }' "$sums_file")"

build() {
  command -v cargo >/dev/null 2>&1 ||
    fail "no prebuilt archive for \`$target\` and cargo is not on PATH; install Rust (https://rustup.rs) before this step"
  echo "building slipway $version from \`$checkout\` with cargo ($1)"
  rm -rf "$dir" "$dir.complete"
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
  (cd "$checkout" && RUSTUP_TOOLCHAIN="$toolchain" cargo install --locked --path "$checkout" --root "$dir" --bin slipway) ||
    fail "\`cargo install --locked --path $checkout\` failed"
  touch "$dir.complete"
  add_to_path
}

if [ "$build_from_source" = true ]; then
  build "SLIPWAY_BUILD_FROM_SOURCE is set"
  exit 0
fi
if [ -z "$expected" ]; then
  build "no archive for \`$target\` in release-checksums.txt"
  exit 0
fi
case "$expected" in
  *[!0-9a-f]* | "") fail "the sha256 of \`$archive\` in \`$sums_file\` is not 64 hex digits" ;;
esac
[ "${#expected}" -eq 64 ] || fail "the sha256 of \`$archive\` in \`$sums_file\` is not 64 hex digits"

# --- download over https only --------------------------------------------------------------
proto="=https"
base="${SLIPWAY_INSTALL_BASE_URL:-https://github.com/slipway-ci/slipway/releases/download}"
case "$base" in
  https://*) ;;
  *) fail "\`SLIPWAY_INSTALL_BASE_URL\` must start with \`https://\`, got \`$base\`" ;;
esac
if [ -n "${SLIPWAY_INSTALL_INSECURE_TEST_URL:-}" ]; then
  # Only for tests/install.rs, which serves archives on the loopback interface.
  case "$SLIPWAY_INSTALL_INSECURE_TEST_URL" in
    http://127.0.0.1:[0-9]* | http://localhost:[0-9]*) ;;
    *) fail "\`SLIPWAY_INSTALL_INSECURE_TEST_URL\` only accepts \`http://127.0.0.1:<port>\` (tests), got \`$SLIPWAY_INSTALL_INSECURE_TEST_URL\`" ;;
  esac
  base="$SLIPWAY_INSTALL_INSECURE_TEST_URL"
  proto="=http"
fi
url="$base/v$version/$archive"

command -v curl >/dev/null 2>&1 || fail "curl is not on PATH"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "downloading $url"
# --retry backs off exponentially (1s, 2s, 4s ...) on timeouts and 408/429/5xx answers.
if ! curl --proto "$proto" --tlsv1.2 --fail --silent --show-error --location \
  --retry 4 --retry-connrefused --connect-timeout 10 --max-time 300 \
  --output "$tmp/$archive" "$url" 2>"$tmp/curl.err"; then
  fail "downloading \`$url\` failed: $(tr '\n' ' ' <"$tmp/curl.err")"
fi

# --- verify, then extract ------------------------------------------------------------------
if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$tmp/$archive" | awk '{ print $1 }')"
elif command -v shasum >/dev/null 2>&1; then
  actual="$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')"
else
  fail "neither sha256sum nor shasum is on PATH; cannot verify \`$archive\`"
fi
if [ "$actual" != "$expected" ]; then
  fail "checksum mismatch for \`$archive\`: expected \`$expected\`, got \`$actual\` (corrupted or truncated download); nothing was installed"
fi

mkdir -p "$tmp/x"
tar -xzf "$tmp/$archive" -C "$tmp/x" || fail "\`$archive\` passed its checksum but could not be extracted"
found=""
for candidate in "$tmp/x/slipway$exe" "$tmp/x"/*/"slipway$exe"; do
  if [ -f "$candidate" ]; then
    found="$candidate"
    break
  fi
done
[ -n "$found" ] || fail "\`$archive\` has no \`slipway$exe\` binary"

rm -rf "$dir" "$dir.complete"
mkdir -p "$bin"
mv "$found" "$bin/slipway$exe"
chmod +x "$bin/slipway$exe"
touch "$dir.complete"
add_to_path
