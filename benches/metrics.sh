#!/usr/bin/env bash
# Benchmark: `slipway metrics` on a mocked repository with 10,000 workflow runs and 2,000
# production deployments, the server adding 50 ms to every answer. Prints the requests per kind
# (goal: the minimum number of pages, no per-item request where a list endpoint serves) and the
# wall time, cold (no cache) and warm (every answer revalidated by ETag, 304s) side by side in
# one hyperfine run, with the lower bound: 50 ms times the sequential round trips.
#
#   benches/metrics.sh [BIN]
#     BIN  the slipway binary, default: a fresh `cargo build --release`
#
# Needs hyperfine and python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${SLIPWAY_BENCH_RUNS:-10000}
deployments=${SLIPWAY_BENCH_DEPLOYMENTS:-2000}
latency=${SLIPWAY_BENCH_LATENCY:-0.05}
concurrency=${SLIPWAY_BENCH_CONCURRENCY:-32}
command -v hyperfine >/dev/null || { echo "error: hyperfine is needed (apt-get install -y hyperfine)" >&2; exit 2; }
if [ $# -ge 1 ]; then
    bin=$1
else
    cargo build --release --locked --quiet
    bin=$PWD/target/release/slipway
fi
work=$(mktemp -d)
python3 benches/metrics_server.py "$runs" "$deployments" "$latency" >"$work/port" &
server=$!
trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
api=http://127.0.0.1:$port
stats() {
    python3 - "$api" <<'PY'
import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1] + "/__stats"))
for k, v in sorted(d.items()):
    print(f"  {k:<22}{v}")
print(f"  {'total':<22}{sum(v for k, v in d.items() if k != 'conditional')}")
PY
}
run() {
    GITHUB_TOKEN=ghs_bench GITHUB_API_URL=$api "$bin" metrics --repo bench/shop --since 30d \
        --concurrency "$concurrency" --job-sample 5 "$@"
}

echo "== one cold run (no cache): requests by kind"
stats >/dev/null
start=$(date +%s.%N)
run --no-cache --json >"$work/report.json"
end=$(date +%s.%N)
stats
python3 - "$work/report.json" "$start" "$end" "$latency" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
lat = float(sys.argv[4])
d = r["dora"]
print(f"  figures: {d['frequency']['deployments']} deployments, lead time median {d['lead_time']['median_s']:.0f}s, "
      f"failure rate {d['change_failure_rate']['percent']}%, restore median {d['time_to_restore']['median_s']:.0f}s")
# Minimum pages: 100 runs per page, 100 deployments per page, +1 rate limit.
pages = -(-10000 // 100) + -(-2000 // 100) + 1
print(f"  list pages minimum: {pages}; sequential round trips: rate limit, deployments page 1, other pages,"
      f" statuses, pulls for a commit, pull commits = 6 -> bound 3 x {lat*1000:.0f} ms x 6 = {3*lat*6:.2f}s")
print(f"  wall time: {wall:.2f}s")
PY

echo "== warm run (every answer cached with its ETag): requests by kind"
run --cache-dir "$work/cache" --json >/dev/null
stats >/dev/null
run --cache-dir "$work/cache" --json >/dev/null
stats

echo "== hyperfine: cold vs warm"
hyperfine --warmup 0 --runs "${SLIPWAY_BENCH_REPEAT:-3}" --export-json "$work/h.json" \
    -n cold "GITHUB_TOKEN=ghs_bench GITHUB_API_URL=$api $bin metrics --repo bench/shop --concurrency $concurrency --no-cache --json" \
    -n warm "GITHUB_TOKEN=ghs_bench GITHUB_API_URL=$api $bin metrics --repo bench/shop --concurrency $concurrency --cache-dir $work/cache --json"
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"cold/warm ratio: {r['cold'] / r['warm']:.2f}")
PY
