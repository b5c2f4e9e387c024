#!/usr/bin/env bash
# zkv quick start: installs what is missing, starts a local Consul agent (unless CONSUL_HTTP_ADDR
# points at one), sets cluster_size, launches the cluster, runs the seed's producer against it,
# shows where the data went, and keeps the cluster running until Ctrl-C.
#
#   bash scripts/start.sh [--hashing ring|hrw] [--size N] [--count N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

hashing=ring size=4 count=10000
while (( $# > 0 )); do
  case "$1" in
    --hashing) hashing=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

pids=()
cleanup() {
  trap - EXIT INT TERM
  echo; echo "stopping..."
  # The launcher first, so nodes deregister while Consul is still up; then the agent.
  for (( i=${#pids[@]}-1; i>=0; i-- )); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  [[ -n "${consul_dir:-}" ]] && rm -rf "$consul_dir"
}
trap cleanup EXIT INT TERM

if [[ -z "${CONSUL_HTTP_ADDR:-}" ]]; then
  port=8500
  if (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    port=$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  fi
  consul_dir=$(mktemp -d)
  echo "starting a local Consul dev agent on 127.0.0.1:$port (log: $consul_dir/consul.log)"
  "$ZKV_CONSUL_BIN" agent -dev -bind=127.0.0.1 -client=127.0.0.1 -http-port="$port" \
    -dns-port=-1 -grpc-port=-1 -grpc-tls-port=-1 > "$consul_dir/consul.log" 2>&1 &
  pids+=($!)
  export CONSUL_HTTP_ADDR="127.0.0.1:$port"
  for _ in $(seq 100); do
    [[ "$(curl -fsS "http://$CONSUL_HTTP_ADDR/v1/status/leader" 2>/dev/null)" == \"*:*\" ]] && break
    sleep 0.1
  done
fi

"$ZKV_CONSUL_BIN" kv put cluster_size "$size" > /dev/null
echo "cluster_size = $size (Consul KV at $CONSUL_HTTP_ADDR)"

# The launcher is what `pnpm --filter server start` runs; started directly so that its pid is
# the one that gets SIGTERM on exit (it then stops every node, each deregistering).
ready=$(mktemp)
(cd apps/server && exec node --import tsx src/main.ts --hashing "$hashing" --log-level warn) > >(tee "$ready") &
pids+=($!)
for _ in $(seq 600); do grep -q ready "$ready" && break; sleep 0.1; done
grep -q ready "$ready" || { echo "the cluster did not come up" >&2; exit 1; }
rm -f "$ready"

zkv() { (cd apps/client && node --import tsx src/main.ts "$@"); }
echo; echo "\$ zkv load --count $count"; zkv load --count "$count"
echo; echo "\$ zkv get key-42"; zkv get key-42
echo; echo "\$ zkv locate key-42"; zkv locate key-42
echo; echo "\$ zkv all | head -3"; zkv all 2>/dev/null | head -3
echo; echo "\$ zkv nodes"; zkv nodes
cat <<EOT

The cluster is running (hashing: $hashing). In another terminal:
  export CONSUL_HTTP_ADDR=$CONSUL_HTTP_ADDR
  pnpm --filter client start put greeting hello
  pnpm --filter client start get greeting
  pnpm --filter client start --help
Ctrl-C stops the cluster (every node deregisters) and the Consul agent started here.
EOT
wait "${pids[-1]}"
