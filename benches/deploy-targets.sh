#!/usr/bin/env bash
# Benchmark: `slipway deploy` on the kubernetes target against the hand-written kubectl script
# teams write instead, side by side in one hyperfine run, for a rolling update and a
# blue-green switch. Both drive the same kubectl: tests/fixtures/deploy/fake-kubectl (no
# cluster runs here), whose state is reset before every run. What differs is what each does
# around kubectl: slipway also takes the lock, reads the live state, checks health through a
# port-forward, writes the journal and the history. Prints the ratios (slipway / script).
#
#   benches/deploy-targets.sh
#
# Needs hyperfine (Debian: `apt-get install -y hyperfine`), python3 and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "error: hyperfine is needed (apt-get install -y hyperfine)" >&2; exit 2; }
command -v curl >/dev/null || { echo "error: curl is needed for the script side" >&2; exit 2; }
cargo build --release --locked --quiet
bin=$PWD/target/release/slipway
kubectl=$PWD/tests/fixtures/deploy/fake-kubectl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/slipway.yml" <<'YML'
version: 1
project: { name: shop }
environments:
  staging: { strategy: rolling }
  production: { strategy: blue-green }
deploy:
  target: kubernetes
  kubernetes: { deployment: shop, service: shop }
  health: { interval: 100ms, timeout: 1s, deadline: 10s }
YML
cat > "$work/cluster.json" <<'JSON'
{"deployments": {
   "shop": {"image": "ghcr.io/acme/shop:1.4.1", "replicas": 3},
   "shop-blue": {"image": "ghcr.io/acme/shop:1.4.1", "replicas": 2},
   "shop-green": {"image": "ghcr.io/acme/shop:1.4.0", "replicas": 0, "ready": 0}},
 "services": {"shop": {"selector": {"app": "shop", "color": "blue"}}}}
JSON

# The hand-written equivalents: the same kubectl calls, a curl loop for health.
cat > "$work/rolling.sh" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
kubectl set image deployment/shop app=ghcr.io/acme/shop:1.4.2
if ! kubectl rollout status deployment/shop --timeout=10s; then
  kubectl rollout undo deployment/shop
  kubectl rollout status deployment/shop --timeout=10s
  exit 1
fi
SH
cat > "$work/blue-green.sh" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
live=$(kubectl get service shop -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["selector"]["color"])')
idle=green; [ "$live" = green ] && idle=blue
replicas=$(kubectl get deployment "shop-$live" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["replicas"])')
kubectl set image "deployment/shop-$idle" app=ghcr.io/acme/shop:1.4.2
kubectl scale "deployment/shop-$idle" --replicas="$replicas"
kubectl rollout status "deployment/shop-$idle" --timeout=10s
out=$(mktemp); kubectl port-forward "deployment/shop-$idle" :8080 > "$out" & pf=$!
trap 'kill $pf 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q Forwarding "$out" && break; sleep 0.05; done
port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\).*/\1/p' "$out")
ok=
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/up" && { ok=1; break; }; sleep 0.1; done
[ -n "$ok" ] || { kubectl scale "deployment/shop-$idle" --replicas=0; exit 1; }
kubectl patch service shop --type=merge -p "{\"spec\":{\"selector\":{\"color\":\"$idle\"}}}"
SH
chmod +x "$work/rolling.sh" "$work/blue-green.sh"
mkdir -p "$work/bin"
ln -s "$kubectl" "$work/bin/kubectl"

export SLIPWAY_KUBECTL=$kubectl FAKE_KUBECTL_STATE=$work/state.json FAKE_KUBECTL_LOG=$work/calls.log
export SLIPWAY_STATE_DIR=$work/slipway-state
reset="cp $work/cluster.json $work/state.json; rm -rf $work/slipway-state"

hyperfine --warmup 2 --runs 15 --prepare "$reset" --export-json "$work/results.json" \
    -n "slipway deploy (rolling)" "$bin deploy --config $work/slipway.yml --env staging --version 1.4.2" \
    -n "kubectl script (rolling)" "PATH=$work/bin:\$PATH $work/rolling.sh" \
    -n "slipway deploy (blue-green)" "$bin deploy --config $work/slipway.yml --env production --version 1.4.2" \
    -n "kubectl script (blue-green)" "PATH=$work/bin:\$PATH $work/blue-green.sh"

python3 - "$work/results.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
for kind in ("rolling", "blue-green"):
    s, k = r[f"slipway deploy ({kind})"], r[f"kubectl script ({kind})"]
    print(f"{kind}: slipway {s*1000:.0f} ms, script {k*1000:.0f} ms, ratio {s/k:.2f}")
PY
