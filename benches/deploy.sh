#!/usr/bin/env bash
# Benchmark: blue-green switches of `slipway deploy` behind a real nginx under constant load,
# against a plain `nginx -s reload` of a hand-edited upstream under the same load.
#
#   benches/deploy.sh [SWITCHES]      default 20
#   SLIPWAY_BENCH_PROFILE=dev benches/deploy.sh   the debug build instead of --release
#   SLIPWAY_BENCH_BIN=/path/to/slipway benches/deploy.sh   that binary (e.g. an older build,
#                                                 to compare before and after a change)
#
# Prints, for slipway (each switch a `slipway deploy rollback` between two retained versions:
# start the other colour, health-check it, switch; the old colour drains 1 s and stops in the
# background, finished by the next run if still going):
#   - the time from "new colour healthy" to "all traffic on the new colour" (nginx reloaded
#     and its old workers no longer accepting), median and max;
#   - the end-to-end time of a rollback (goal: under 2 s);
#   - requests/s of the load and failed requests (non-2xx answers and socket errors) over all
#     switches (goal: 0);
# the same load figures and the reload-to-new-version time for the hand-edited upstream, and a
# hyperfine run of both side by side with the ratio.
#
# Needs nginx (SLIPWAY_NGINX or on PATH/sbin), wrk and hyperfine (`apt-get install -y
# nginx-light wrk hyperfine`; scripts/test.d/nginx.sh installs the first two). Uses loopback
# ports from SLIPWAY_BENCH_PORT (default 18480) to SLIPWAY_BENCH_PORT + 40.
set -euo pipefail
cd "$(dirname "$0")/.."
switches=${1:-20}
port=${SLIPWAY_BENCH_PORT:-18480}
nginx=${SLIPWAY_NGINX:-$(PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nginx || true)}
for tool in wrk hyperfine; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed (apt-get install -y $tool)" >&2; exit 2; }
done
[ -x "$nginx" ] || { echo "error: nginx is needed (apt-get install -y nginx-light, or set SLIPWAY_NGINX)" >&2; exit 2; }
[ -n "${EPOCHREALTIME:-}" ] || { echo "error: bash 5 is needed (EPOCHREALTIME)" >&2; exit 2; }

# SLIPWAY_BENCH_PROFILE=dev uses the debug build (slipway mostly waits on nginx and the app).
if [ "${SLIPWAY_BENCH_PROFILE:-release}" = dev ]; then
    cargo build --locked --quiet --bin slipway --example deploy-app
    out=$PWD/target/debug
else
    cargo build --release --locked --quiet --bin slipway --example deploy-app
    out=$PWD/target/release
fi
bin=${SLIPWAY_BENCH_BIN:-$out/slipway}
app=$out/examples/deploy-app
work=$(mktemp -d)
pids=()
cleanup() {
    [ -n "${wrk_pid:-}" ] && kill "$wrk_pid" 2>/dev/null || true
    "$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" -s stop 2>/dev/null || true
    # The app processes slipway started (from its state) and the ones this script started.
    if [ -f "$work/state/bench/hosts.json" ]; then
        for pid in $(sed -n 's/.*"handle": "\([0-9]*\) .*/\1/p' "$work/state/bench/hosts.json"); do
            kill -TERM "-$pid" 2>/dev/null || true
        done
    fi
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

slipway_port=$port
plain_port=$((port + 1))
base=$((port + 20))        # slipway's pool: base .. base+3
plain_a=$((port + 30))     # the hand-edited upstream's two sets
plain_b=$((port + 32))

mkdir -p "$work/nginx" "$work/artifacts/1.0.0" "$work/artifacts/2.0.0"
echo healthy > "$work/artifacts/1.0.0/mode"
echo healthy > "$work/artifacts/2.0.0/mode"
user=""
[ "$(id -u)" = 0 ] && user="user root;"
cat > "$work/nginx/nginx.conf" <<EOF
$user
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  include $work/nginx/upstream.conf;
  include $work/nginx/plain.conf;
  server {
    listen 127.0.0.1:$slipway_port;
    location / { proxy_pass http://bench-bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 127.0.0.1:$plain_port;
    location / { proxy_pass http://plain; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
plain_conf() { # $1 = first port of the set
    printf 'upstream plain {\n    server 127.0.0.1:%s;\n    server 127.0.0.1:%s;\n    keepalive 32;\n}\n' "$1" "$(($1 + 1))"
}
printf 'upstream bench-bench {\n    server 127.0.0.1:1 down;\n}\n' > "$work/nginx/upstream.conf"
plain_conf "$plain_a" > "$work/nginx/plain.conf"
"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf"

cat > "$work/slipway.yml" <<EOF
version: 1
project: { name: bench }
environments:
  bench: { strategy: blue-green, url: "http://127.0.0.1:$slipway_port" }
deploy:
  target: hosts
  hosts:
    instances: 2
    base-port: $base
    start: "$app --port {port} --version {version}"
    state-dir: $work/state
    nginx: { binary: $nginx, config: $work/nginx/nginx.conf, prefix: $work/nginx, upstream-file: $work/nginx/upstream.conf }
  health: { interval: 100ms, timeout: 2s, deadline: 10s, drain: 1s }
EOF
cd "$work"
for v in 1.0.0 2.0.0; do
    "$bin" deploy --env bench --version "$v" --artifact "$work/artifacts/$v" 2>/dev/null
done

# wrk's summary: "Requests/sec:", "Non-2xx or 3xx responses:", "Socket errors: ...".
load_start() { wrk -t2 -c16 -d3600s "http://127.0.0.1:$1/version" > "$2" 2>&1 & wrk_pid=$!; sleep 2; }
load_stop() { kill -INT "$wrk_pid"; wait "$wrk_pid" 2>/dev/null || true; wrk_pid=; }
failed_of() {
    local non2xx errs
    non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$1")
    errs=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1+\2+\3+\4/p' "$1")
    echo "non-2xx ${non2xx:-0}, socket errors $(( ${errs:-0} ))"
}
rate_of() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }
median_max() { sort -n | awk '{a[NR]=$1} END {printf "median %d ms, max %d ms", a[int((NR+1)/2)], a[NR]}'; }

# 1. slipway: $switches blue-green switches under load, each line of its log time-stamped.
load_start "$slipway_port" "$work/wrk-slipway.txt"
: > "$work/switch-ms"; : > "$work/rollback-ms"
for _ in $(seq "$switches"); do
    t0=$EPOCHREALTIME; healthy=; switched=
    while IFS= read -r line; do
        now=$EPOCHREALTIME
        case "$line" in
            *" healthy") healthy=$now ;;
            *"all traffic on "*) switched=$now ;;
        esac
    done < <("$bin" deploy rollback --env bench 2>&1)
    t1=$EPOCHREALTIME
    [ -n "$healthy" ] && [ -n "$switched" ] || { echo "error: a switch failed; see $work" >&2; trap - EXIT; exit 1; }
    awk -v a="$healthy" -v b="$switched" 'BEGIN { printf "%d\n", (b - a) * 1000 }' >> "$work/switch-ms"
    awk -v a="$t0" -v b="$t1" -v s="$switched" 'BEGIN { printf "%d %d\n", (b - a) * 1000, (s - a) * 1000 }' >> "$work/rollback-ms"
done
load_stop
live=$("$bin" deploy status --env bench --json | sed -n 's/.*"version": "\([0-9.]*\)".*/\1/p' | head -n 1)

# 2. The hand-edited upstream: both sets always running; edit, reload, wait for the new version.
for p in "$plain_a" $((plain_a + 1)); do "$app" --port "$p" --version A 2>/dev/null & pids+=($!); done
for p in "$plain_b" $((plain_b + 1)); do "$app" --port "$p" --version B 2>/dev/null & pids+=($!); done
sleep 0.5
cat > "$work/flip.sh" <<EOF
#!/usr/bin/env bash
# Point the plain upstream at the other set, reload, wait until a new request gets it.
set -e
if grep -q "127.0.0.1:$plain_a;" "$work/nginx/plain.conf"; then next=$plain_b; want=B; else next=$plain_a; want=A; fi
printf 'upstream plain {\n    server 127.0.0.1:%s;\n    server 127.0.0.1:%s;\n    keepalive 32;\n}\n' "\$next" "\$((next + 1))" > "$work/nginx/plain.conf.new"
mv "$work/nginx/plain.conf.new" "$work/nginx/plain.conf"
"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" -s reload
until [ "\$(exec 3<>/dev/tcp/127.0.0.1/$plain_port; printf 'GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3; tail -n 1 <&3)" = "\$want" ]; do sleep 0.001; done
EOF
chmod +x "$work/flip.sh"
load_start "$plain_port" "$work/wrk-plain.txt"
: > "$work/plain-ms"
for _ in $(seq "$switches"); do
    t0=$EPOCHREALTIME; "$work/flip.sh"; t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d\n", (b - a) * 1000 }' >> "$work/plain-ms"
done
load_stop

# 3. Side by side: a slipway rollback (drain 200 ms) against the hand edit, under load.
load_start "$slipway_port" "$work/wrk-hyperfine.txt"
hyperfine --warmup 1 --runs "$switches" --export-json "$work/hyperfine.json" \
    -n "slipway deploy rollback" "$bin deploy rollback --env bench --drain-timeout 200ms" \
    -n "edit upstream + nginx -s reload" "$work/flip.sh" >&2
load_stop

echo
echo "== slipway deploy: $switches blue-green switches under load (2 instances per colour, drain 1 s)"
echo "load:                       $(rate_of "$work/wrk-slipway.txt") req/s (wrk -t2 -c16)"
echo "failed requests:            $(failed_of "$work/wrk-slipway.txt")"
echo "healthy -> all traffic:     $(median_max < "$work/switch-ms")"
echo "rollback, to traffic moved: $(cut -d' ' -f2 "$work/rollback-ms" | median_max)"
echo "rollback, end to end:       $(cut -d' ' -f1 "$work/rollback-ms" | median_max) (goal: under 2 s, and under drain + 0.5 s)"
echo "  each run (end to end / to traffic moved, ms): $(tr ' ' '/' < "$work/rollback-ms" | tr '\n' ' ')"
echo "live after the switches:    $live"
echo
echo "== hand-edited upstream + nginx -s reload: $switches switches under load"
echo "load:                       $(rate_of "$work/wrk-plain.txt") req/s (wrk -t2 -c16)"
echo "failed requests:            $(failed_of "$work/wrk-plain.txt")"
echo "reload -> new version:      $(median_max < "$work/plain-ms")"
echo
echo "== side by side (hyperfine, under load: $(rate_of "$work/wrk-hyperfine.txt") req/s, $(failed_of "$work/wrk-hyperfine.txt"))"
python3 - "$work/hyperfine.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for x in r:
    print(f"{x['command']:<34} mean {x['mean'] * 1000:7.1f} ms  (min {x['min'] * 1000:.1f}, max {x['max'] * 1000:.1f})")
print(f"ratio slipway / plain reload: {r[0]['mean'] / r[1]['mean']:.1f}x "
      "(slipway also starts and health-checks the other colour, then drains and stops the old one)")
PY
