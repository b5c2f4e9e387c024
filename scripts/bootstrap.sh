#!/usr/bin/env bash
# Sourced by scripts/start.sh, scripts/test.sh, scripts/install-cli.sh and .ci/run: installs what
# zkv needs on a fresh machine with Node 20 and npm (and Go, for building Consul), and is quick
# when all is there. ZKV_BOOTSTRAP says how much the caller needs (default: test):
#   deps  pnpm, exactly the version package.json pins (corepack and pnpm's self-switch both fail
#         their signature checks on some machines, so the pinned version is installed with npm),
#         and the workspace dependencies (pnpm install --frozen-lockfile);
#   run   deps, and a Consul agent (scripts/consul.sh), exported as ZKV_CONSUL_BIN;
#   test  run, and, when root, three Debian packages only the tests use: tshark (the capture test
#         proves CURVE traffic shows no data), nftables (the partition test cuts a node off its
#         peers) and chromium (the dashboard's browser test).
set -euo pipefail
ZKV_BOOTSTRAP="${ZKV_BOOTSTRAP:-test}"
ZKV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ZKV_ROOT"

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
  echo "zkv needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

pnpm_pinned=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [[ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_pinned" ]]; then
  echo "bootstrap: installing pnpm@$pnpm_pinned with npm" >&2
  npm install -g --no-fund --no-audit "pnpm@$pnpm_pinned" >&2
fi

if [[ ! -f node_modules/.modules.yaml || pnpm-lock.yaml -nt node_modules/.modules.yaml ]]; then
  echo "bootstrap: installing dependencies" >&2
  pnpm install --frozen-lockfile >&2
fi

[[ "$ZKV_BOOTSTRAP" == deps ]] && return 0

ZKV_CONSUL_BIN="$(bash scripts/consul.sh | tail -n 1)"
export ZKV_CONSUL_BIN

[[ "$ZKV_BOOTSTRAP" == run ]] && return 0

# Capturing needs root anyway, so as another user the capture test skips (saying why) and
# nothing is installed; as root a tshark that cannot be installed makes that test fail.
if ! command -v tshark > /dev/null 2>&1 && [[ "$(id -u)" == 0 ]] && command -v apt-get > /dev/null 2>&1; then
  echo "bootstrap: installing tshark" >&2
  # noninteractive: wireshark-common's question (setuid capture for non-root users) is answered no.
  apt_tshark() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q tshark; }
  { apt_tshark || { apt-get update -q && apt_tshark; }; } > /dev/null 2>&1 ||
    echo "bootstrap: could not install tshark; the capture test will fail" >&2
fi

# The partition test drops a namespace's packets to its peers with nft (a real network cut:
# silent, unlike a route that refuses at once). As root, one that cannot be installed fails it.
if ! command -v nft > /dev/null 2>&1 && [[ "$(id -u)" == 0 ]] && command -v apt-get > /dev/null 2>&1; then
  echo "bootstrap: installing nftables" >&2
  apt_nft() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables; }
  { apt_nft || { apt-get update -q && apt_nft; }; } > /dev/null 2>&1 ||
    echo "bootstrap: could not install nftables; the partition test will fail" >&2
fi

# playwright-core drives the system browser: its own browser download cannot be used here. As
# root a chromium that cannot be installed makes the browser test fail (it never skips).
if [[ ! -x /usr/bin/chromium && "$(id -u)" == 0 ]] && command -v apt-get > /dev/null 2>&1; then
  echo "bootstrap: installing chromium" >&2
  apt_chromium() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
  { apt_chromium || { apt-get update -q && apt_chromium; }; } > /dev/null 2>&1 ||
    echo "bootstrap: could not install chromium; the dashboard's browser test will fail" >&2
fi
