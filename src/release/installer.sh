#!/bin/sh
# Installs @NAME@ @VERSION@ from the GitHub release @TAG@ of @REPOSITORY@: picks this machine's
# target, downloads its archive and the release's SHA256SUMS over https, verifies the archive's
# sha256 before extracting anything, and copies the executables to $INSTALL_DIR
# (default: ~/.local/bin). INSTALL_BASE_URL (https only) serves a mirror of the release's
# files. Written by `slipway release installer`.
set -eu

name='@NAME@'
version='@VERSION@'
base="${INSTALL_BASE_URL:-https://github.com/@REPOSITORY@/releases/download/@TAG@}"
dest="${INSTALL_DIR:-$HOME/.local/bin}"

fail() {
  echo "install $name: $*" >&2
  exit 1
}
case "$base" in
  https://*) ;;
  *) fail "INSTALL_BASE_URL must start with https://" ;;
esac

case "$(uname -s)" in
  Linux) os=unknown-linux ;;
  Darwin) os=apple-darwin ;;
  *) fail "unsupported OS $(uname -s); download an archive from ${base%/download/*}/tag/@TAG@" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  armv7l) arch=armv7 ;;
  riscv64) arch=riscv64gc ;;
  *) fail "unsupported architecture $(uname -m)" ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
get() {
  curl --proto '=https' --tlsv1.2 --fail --silent --show-error --location --retry 3 \
    --output "$2" "$1" || fail "downloading $1 failed"
}
get "$base/SHA256SUMS" "$tmp/SHA256SUMS"

# Linux: a static musl build first, then glibc; 32-bit ARM uses the hard-float ABI.
if [ "$os" = unknown-linux ]; then
  case "$arch" in
    armv7) candidates="armv7-unknown-linux-musleabihf armv7-unknown-linux-gnueabihf" ;;
    *) candidates="$arch-unknown-linux-musl $arch-unknown-linux-gnu" ;;
  esac
else
  candidates="$arch-$os"
fi
archive=""
for target in $candidates; do
  file="$name-$version-$target.tar.gz"
  if awk -v f="$file" '$2 == f || $2 == "*" f { found = 1 } END { exit !found }' "$tmp/SHA256SUMS"; then
    archive="$file"
    break
  fi
done
[ -n "$archive" ] || fail "release @TAG@ has no archive for $candidates"

expected="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHA256SUMS")"
get "$base/$archive" "$tmp/$archive"
if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$tmp/$archive" | awk '{ print $1 }')"
else
  actual="$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')"
fi
[ "$actual" = "$expected" ] || fail "checksum mismatch for $archive: expected $expected, got $actual"

mkdir -p "$tmp/x" "$dest"
tar -xzf "$tmp/$archive" -C "$tmp/x"
dir="$tmp/x/${archive%.tar.gz}"
for f in "$dir"/*; do
  case "$(basename "$f")" in
    README* | LICENSE* | LICENCE* | COPYING* | NOTICE*) continue ;;
  esac
  [ -f "$f" ] && [ -x "$f" ] || continue
  cp "$f" "$dest/" && echo "installed $dest/$(basename "$f")"
done
