#!/usr/bin/env bash
# benches/setup.sh - setup-environment performance, two measurements:
#   (1) the setup-environment action's overhead with the binary already on PATH (install check
#       + plan) against a bare `bash -c true` step, both under act in host mode; goal < 1 s added.
#   (2) cache-key hashing over a large lockfile set (N go.sum files of SIZE KiB each, keyed by
#       `**/go.sum`) against `sha256sum` of the same files; goal within 1.2x.
#   (3) scripts/install.sh's three paths side by side with a bare `bash -c true`: the verified
#       release archive over local HTTPS (private CA made with openssl), the tool cache a
#       restored Actions cache fills, and the from-source build (`cargo install --profile
#       action`, one run: minutes); goal <= 3 s for the archive and the cache.
# Usage: benches/setup.sh [--only hash|act|install]   (N, SIZE_KIB, RUNS from the environment;
#        SOURCE_BUILD=1 also times the from-source build)
# Needs a built binary (SLIPWAY_BIN, else target/release/slipway when it exists, else the debug one) and,
# for (1), act (scripts/validators.sh install puts it in /tmp/validators/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-2000}"
SIZE_KIB="${SIZE_KIB:-64}"
RUNS="${RUNS:-5}"
ONLY="${2:-}"
[ "${1:-}" = "--only" ] || ONLY=""
BIN="${SLIPWAY_BIN:-$PWD/target/release/slipway}"
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

if [ -z "$ONLY" ] || [ "$ONLY" = install ]; then
  echo "--- (3) scripts/install.sh: archive, cache, source vs a bare step"
  inst="$work/install"
  mkdir -p "$inst/checkout/scripts" "$inst/files" "$inst/stage/slipway" "$inst/cache"
  cp -R Cargo.toml Cargo.lock build.rs src templates actions "$inst/checkout/"
  cp scripts/install.sh "$inst/checkout/scripts/"
  version="$("$BIN" --version | awk '{ print $2 }')"
  case "$(uname -m)" in aarch64 | arm64) arch=aarch64 ;; *) arch=x86_64 ;; esac
  target="$arch-unknown-linux-musl"
  archive="slipway-$version-$target.tar.gz"
  cp "$BIN" "$inst/stage/slipway/slipway"
  mkdir -p "$inst/files/v$version"
  tar -C "$inst/stage" -czf "$inst/files/v$version/$archive" slipway
  printf 'version %s\n' "$version" >"$inst/checkout/scripts/release-checksums.txt"
  digest="$(SLIPWAY_BUILD_FROM_SOURCE=true bash "$inst/checkout/scripts/install.sh" --plan 2>/dev/null | sed -n 's/^source-digest=//p')"
  printf 'version %s\nsource %s\n%s  %s\n' "$version" "$digest" \
    "$(sha256sum "$inst/files/v$version/$archive" | awk '{ print $1 }')" "$archive" \
    >"$inst/checkout/scripts/release-checksums.txt"
  (cd "$inst" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout ca.key -out ca.pem -days 1 -subj /CN=bench-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key \
      -out srv.csr -subj /CN=127.0.0.1 &&
    printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf &&
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
      -days 1 -extfile ext.cnf) >/dev/null 2>&1
  python3 tests/support/https_server.py "$inst/files" "$inst/srv.pem" "$inst/srv.key" >"$inst/port" &
  server=$!
  trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 50); do [ -s "$inst/port" ] && break; sleep 0.1; done
  port="$(head -n 1 "$inst/port")"
  # A clean PATH without any slipway, as on a fresh runner.
  clean_path="/usr/local/bin:/usr/bin:/bin:$HOME/.cargo/bin"
  from_archive() {
    rm -rf "$inst/cache"
    env -i PATH="$clean_path" HOME="$HOME" RUNNER_TOOL_CACHE="$inst/cache" CURL_CA_BUNDLE="$inst/ca.pem" \
      SLIPWAY_INSTALL_BASE_URL="https://127.0.0.1:$port/good" bash "$inst/checkout/scripts/install.sh"
  }
  from_cache() {
    env -i PATH="$clean_path" HOME="$HOME" RUNNER_TOOL_CACHE="$inst/cache" \
      bash "$inst/checkout/scripts/install.sh"
  }
  bare() { bash -c true; }
  t_bare="$(best bare)"
  t_archive="$(best from_archive)"
  from_archive >/dev/null 2>&1
  t_cache="$(best from_cache)"
  echo "bare bash -c true:                          ${t_bare}s"
  echo "install from the release archive (HTTPS):   ${t_archive}s   ($(du -h "$inst/files/v$version/$archive" | cut -f1) archive)"
  echo "install from the tool cache (cache hit):    ${t_cache}s"
  if [ "${SOURCE_BUILD:-0}" = 1 ]; then
    src_build() {
      rm -rf "$inst/cache"
      env -i PATH="$clean_path" HOME="$HOME" RUNNER_TOOL_CACHE="$inst/cache" \
        SLIPWAY_BUILD_FROM_SOURCE=true CARGO_TARGET_DIR="$inst/target" bash "$inst/checkout/scripts/install.sh"
    }
    s="$(now)"
    src_build >"$inst/build.log" 2>&1 || { tail -20 "$inst/build.log"; exit 1; }
    e="$(now)"
    t_src="$(echo "$e - $s" | bc -l)"
    echo "install from source (cargo, profile action): $(printf '%.1f' "$t_src")s, one run, cold target dir"
    echo "ratio source / archive:                      $(printf '%.0f' "$(echo "$t_src / $t_archive" | bc -l)")x"
  fi
  echo "ratio archive / bare:                        $(printf '%.1f' "$(echo "$t_archive / $t_bare" | bc -l)")x"
  echo "ratio cache / bare:                          $(printf '%.1f' "$(echo "$t_cache / $t_bare" | bc -l)")x"
  kill "$server" 2>/dev/null || true
  [ "$ONLY" = install ] && exit 0
fi

if [ "$ONLY" != act ] && [ "$ONLY" != install ]; then
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

if [ "$ONLY" != hash ] && [ "$ONLY" != install ]; then
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
  # actions/cache/restore and /save are read from the same stand-in.
  for sub in restore save; do mkdir -p "$work/stub/$sub" && cp "$work/stub/action.yml" "$work/stub/$sub/"; done
  (cd "$repo" && git init -q . && git add -A && git -c user.email=b@b -c user.name=b commit -qm b)
  lr=()
  while read -r uses; do lr+=(--local-repository "$uses=$work/stub"); done < <(
    grep -ho 'uses: [A-Za-z0-9_.-]*/[A-Za-z0-9_./-]*@[0-9a-f]*' actions/setup-environment/action.yml |
      sed -E 's#uses: ([^/]*/[^/@]*)[^@]*@#\1@#' | sort -u
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
