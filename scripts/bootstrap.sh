#!/usr/bin/env bash
# Sourced by scripts/start.sh, scripts/test.sh and .ci/run: installs what zkv needs on a fresh
# machine with Node 20 and npm (and Go, for building Consul), and is quick when all is there.
#   - pnpm, exactly the version package.json pins (corepack and pnpm's self-switch both fail
#     their signature checks on some machines, so the pinned version is installed with npm);
#   - the workspace dependencies (pnpm install --frozen-lockfile);
#   - a Consul agent (scripts/consul.sh), exported as ZKV_CONSUL_BIN;
#   - Debian's chromium, for the dashboard's browser test (playwright-core drives it; its own
#     browser download cannot be used), when missing and when running as root with apt-get.
set -euo pipefail
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

if [[ ! -x /usr/bin/chromium && "$(id -u)" == 0 ]] && command -v apt-get > /dev/null 2>&1; then
  echo "bootstrap: installing chromium with apt-get" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > /dev/null 2>&1 ||
    { apt-get update -q > /dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > /dev/null 2>&1; } ||
    echo "bootstrap: could not install chromium; the dashboard's browser test will fail" >&2
fi

ZKV_CONSUL_BIN="$(bash scripts/consul.sh | tail -n 1)"
export ZKV_CONSUL_BIN
