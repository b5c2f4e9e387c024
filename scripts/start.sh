#!/usr/bin/env bash
# zkv quick start: installs what running needs, puts `zkv` and `zkv-server` on PATH, starts a
# local Consul agent (unless CONSUL_HTTP_ADDR points at one), launches a cluster, loads keys,
# shows where they went, and keeps the cluster running until Ctrl-C.
#
#   bash scripts/start.sh [--hashing ring|hrw] [--size N] [--count N] [--base-port P]
#
#   --hashing   how keys are placed on a new cluster (default ring)
#   --size      nodes of a new cluster: Consul KV cluster_size (default 4)
#   --count     keys to load (default 10000; 0 loads nothing)
#   --base-port port of node-0; node i listens on P+i (default 2000)
set -euo pipefail
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
fail_usage() { echo "start.sh: $1 (see --help)" >&2; exit 2; }

# Options first, so --help and a typo answer at once, before anything is installed.
hashing=ring size=4 count=10000 base_port=2000
while (( $# > 0 )); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --hashing|--size|--count|--base-port)
      [[ $# -ge 2 ]] || fail_usage "$1 needs a value"
      case "$1" in
        --hashing) hashing=$2 ;;
        --size) size=$2 ;;
        --count) count=$2 ;;
        --base-port) base_port=$2 ;;
      esac
      shift 2 ;;
    *) fail_usage "unknown option: $1" ;;
  esac
done
[[ "$hashing" == ring || "$hashing" == hrw ]] || fail_usage "--hashing must be ring or hrw, not '$hashing'"
[[ "$size" =~ ^[1-9][0-9]*$ ]] || fail_usage "--size must be a positive whole number, not '$size'"
[[ "$count" =~ ^[0-9]+$ ]] || fail_usage "--count must be a whole number, not '$count'"
[[ "$base_port" =~ ^[1-9][0-9]*$ ]] && (( base_port + size <= 65536 )) ||
  fail_usage "--base-port must be a port with room for $size nodes above it, not '$base_port'"

ZKV_BOOTSTRAP=run source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
bash scripts/install-cli.sh
zkv_bin="$ZKV_ROOT/apps/client/dist/cli/zkv.mjs"
server_bin="$ZKV_ROOT/apps/server/dist/cli/zkv-server.mjs"

say() { echo "start.sh: $*" >&2; }
free_port() { node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

launcher_pid="" consul_pid="" consul_dir="" keep_consul_log=""
cleanup() {
  # Runs on Ctrl-C even when stdout is a pipe whose reader (`| tee log`) died with the same
  # Ctrl-C: writing there must neither kill this script (SIGPIPE) nor stop the clean-up (set -e).
  trap - EXIT INT TERM
  trap '' PIPE
  set +e
  say "stopping..." 2>/dev/null
  # The launcher first, so nodes deregister while Consul is still up; then the agent.
  if [[ -n "$launcher_pid" ]]; then kill -TERM "$launcher_pid" 2>/dev/null; wait "$launcher_pid" 2>/dev/null; fi
  if [[ -n "$consul_pid" ]]; then kill -TERM "$consul_pid" 2>/dev/null; wait "$consul_pid" 2>/dev/null; fi
  if [[ -n "$consul_dir" ]]; then
    if [[ -n "$keep_consul_log" ]]; then say "Consul's log is kept in $consul_dir/consul.log" 2>/dev/null
    else rm -rf "$consul_dir"; fi
  fi
  say "stopped" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "${CONSUL_HTTP_ADDR:-}" ]]; then
  # A private dev agent. Every one of its ports is picked free: an agent already running here
  # (another start.sh, or a system Consul) holds the defaults, not only the HTTP port 8500.
  http_port=8500
  if (echo > /dev/tcp/127.0.0.1/$http_port) 2>/dev/null; then
    http_port=$(free_port)
    say "port 8500 is taken (another Consul agent, or another scripts/start.sh?); this one's Consul uses $http_port"
  fi
  consul_dir=$(mktemp -d "${TMPDIR:-/tmp}/zkv-consul.XXXXXX")
  say "starting a local Consul dev agent on 127.0.0.1:$http_port (log: $consul_dir/consul.log)"
  # Its own session, so the terminal's Ctrl-C reaches the launcher first and Consul outlives the
  # nodes' deregistration; cleanup stops it.
  setsid "$ZKV_CONSUL_BIN" agent -dev -bind=127.0.0.1 -client=127.0.0.1 -http-port="$http_port" \
    -serf-lan-port="$(free_port)" -serf-wan-port="$(free_port)" -server-port="$(free_port)" \
    -dns-port=-1 -grpc-port=-1 -grpc-tls-port=-1 > "$consul_dir/consul.log" 2>&1 &
  consul_pid=$!
  export CONSUL_HTTP_ADDR="127.0.0.1:$http_port"
  for _ in $(seq 150); do
    [[ "$(curl -fsS "http://$CONSUL_HTTP_ADDR/v1/status/leader" 2>/dev/null)" == \"*:*\" ]] && break
    kill -0 "$consul_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ "$(curl -fsS "http://$CONSUL_HTTP_ADDR/v1/status/leader" 2>/dev/null)" != \"*:*\" ]]; then
    keep_consul_log=1
    say "Consul did not start; the end of its log:"
    tail -n 15 "$consul_dir/consul.log" >&2
    exit 69
  fi
fi

"$ZKV_CONSUL_BIN" kv put cluster_size "$size" > /dev/null
say "cluster_size = $size (Consul KV at $CONSUL_HTTP_ADDR)"

# The launcher is `zkv-server` (what `pnpm --filter server start` runs), started directly so
# that its pid is the one cleanup signals (it then stops every node, each deregistering).
ready=$(mktemp "${TMPDIR:-/tmp}/zkv-start.XXXXXX")
node "$server_bin" --hashing "$hashing" --base-port "$base_port" --log-level warn > >(tee "$ready") &
launcher_pid=$!
for _ in $(seq 600); do
  grep -q ready "$ready" && break
  kill -0 "$launcher_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q ready "$ready"; then
  rm -f "$ready"
  status=1
  if ! kill -0 "$launcher_pid" 2>/dev/null; then wait "$launcher_pid" || status=$?; fi
  launcher_pid=""
  say "the cluster did not come up (launcher exit status $status; its message is above)"
  exit "$status"
fi
rm -f "$ready"

zkv() { node "$zkv_bin" "$@"; }
show() { echo; echo "\$ zkv $*"; zkv "$@"; }
if (( count > 0 )); then show load --count "$count"; show get key-42; show locate key-42; fi
echo; echo "\$ zkv all | head -3"; zkv all 2>/dev/null | head -3 || true
show nodes
cat <<EOT

The cluster is running (hashing: $hashing). In another terminal:
  export CONSUL_HTTP_ADDR=$CONSUL_HTTP_ADDR
  zkv put greeting hello
  zkv get greeting
  zkv --help
Ctrl-C stops the cluster (every node deregisters) and the Consul agent started here.
EOT
wait "$launcher_pid"
