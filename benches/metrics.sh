#!/usr/bin/env bash
# Benchmark: `slipway metrics` on a mocked repository with 10,000 workflow runs and 2,000
# production deployments, the server adding 50 ms to every answer. Prints the requests per kind
# (goal: the minimum number of pages, no per-item request where a list endpoint serves), the
# cost against the Actions GITHUB_TOKEN budgets (1,000 REST requests and 1,000 GraphQL points
# an hour per repository), and the wall time against the bound: 3 x 50 ms x the sequential
# round trips. Then, side by side in one hyperfine run: cold (no cache), warm (ETags and
# settled deployments cached) and the REST-only path a server without GraphQL forces (one
# request per deployment status list, per deployed commit and per pull request).
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
python3 benches/metrics_server.py "$runs" "$deployments" "$latency" --no-graphql >"$work/port-rest" &
server_rest=$!
trap 'kill "$server" "$server_rest" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && [ -s "$work/port-rest" ] && break; sleep 0.1; done
api=http://127.0.0.1:$(cat "$work/port")
api_rest=http://127.0.0.1:$(cat "$work/port-rest")
# Prints the requests per kind since the last call; keeps them in $work/stats.json.
stats() {
    python3 - "$1" "$work/stats.json" <<'PY'
import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1] + "/__stats"))
json.dump(d, open(sys.argv[2], "w"))
for k, v in sorted(d.items()):
    print(f"  {k:<22}{v}")
print(f"  {'total requests':<22}{sum(v for k, v in d.items() if k not in ('conditional', '304 not modified', 'graphql points'))}")
PY
}
run() {
    local url=$1
    shift
    GITHUB_TOKEN=ghs_bench GITHUB_API_URL=$url "$bin" metrics --repo bench/shop --since 30d \
        --concurrency "$concurrency" --job-sample 5 "$@"
}
# Prints the figures, the wall time against the bound and the cost against the budgets.
summary() {
    python3 - "$work/report.json" "$1" "$2" "$latency" "$work/stats.json" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
lat = float(sys.argv[4])
st = json.load(open(sys.argv[5]))
steps = int(sys.argv[6])
d = r["dora"]
print(f"  figures: {d['frequency']['deployments']} deployments, lead time median {d['lead_time']['median_s']:.0f}s, "
      f"failure rate {d['change_failure_rate']['percent']}%, restore median {d['time_to_restore']['median_s']:.0f}s")
bound = 3 * lat * steps
print(f"  sequential round trips: {steps} -> bound 3 x {lat * 1000:.0f} ms x {steps} = {bound:.2f}s")
print(f"  wall time: {wall:.2f}s ({'within' if wall <= bound else 'OVER'} the bound)")
skip = ("conditional", "304 not modified", "graphql", "graphql points", "rate_limit")
rest = sum(v for k, v in st.items() if k not in skip) - st.get("304 not modified", 0)
points = st.get("graphql points", 0)
print(f"  GITHUB_TOKEN budget: {rest} REST requests of 1,000/h ({rest / 10:.1f}%), "
      f"{points} GraphQL points of 1,000/h ({points / 10:.1f}%); GET /rate_limit and 304s are free")
PY
}

# Sequential round trips with GraphQL: rate limit; then runs (first page of the window, first
# page of each time slice, their other pages, the sampled jobs) beside deployments (first page,
# other pages, GraphQL queries): 5. Without GraphQL the deployments side adds statuses, pulls
# for a commit, pull commits: 6.
# One timed run against API with the given flags, then its requests by kind and its wall time
# against the bound for ROUND_TRIPS sequential round trips.
#   timed API ROUND_TRIPS FLAGS...
timed() {
    local api=$1 trips=$2 start end
    shift 2
    stats "$api" >/dev/null
    start=$(date +%s.%N)
    run "$api" "$@" --json >"$work/report.json"
    end=$(date +%s.%N)
    stats "$api"
    summary "$start" "$end" "$trips"
}

echo "== one cold run (no cache): requests by kind"
timed "$api" 5 --no-cache

echo "== one cold run without GraphQL (a server that answers 404 to /graphql): requests by kind"
timed "$api_rest" 6 --no-cache

echo "== warm run (pages cached with their ETags, settled deployments cached): requests by kind"
run "$api" --cache-dir "$work/cache" --json >/dev/null
timed "$api" 5 --cache-dir "$work/cache"

echo "== hyperfine: cold vs warm vs cold without GraphQL"
hyperfine --warmup 0 --runs "${SLIPWAY_BENCH_REPEAT:-3}" --export-json "$work/h.json" \
    -n cold "GITHUB_TOKEN=ghs_bench GITHUB_API_URL=$api $bin metrics --repo bench/shop --concurrency $concurrency --job-sample 5 --no-cache --json" \
    -n warm "GITHUB_TOKEN=ghs_bench GITHUB_API_URL=$api $bin metrics --repo bench/shop --concurrency $concurrency --job-sample 5 --cache-dir $work/cache --json" \
    -n rest-only "GITHUB_TOKEN=ghs_bench GITHUB_API_URL=$api_rest $bin metrics --repo bench/shop --concurrency $concurrency --job-sample 5 --no-cache --json"
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"cold/warm ratio: {r['cold'] / r['warm']:.2f}")
print(f"rest-only/cold ratio (GraphQL speed-up): {r['rest-only'] / r['cold']:.2f}")
PY
