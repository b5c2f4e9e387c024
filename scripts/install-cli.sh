#!/usr/bin/env bash
# Puts the `zkv` CLI and the `zkv-server` launcher on PATH: installs the dependencies if needed,
# compiles both programs (scripts/build-cli.mjs, about a second) and links them into a bin folder.
#
#   bash scripts/install-cli.sh [--bin-dir DIR]     (default: $ZKV_BIN_DIR, else ~/.local/bin)
#
# The links point into this checkout: run it again after pulling new code. Everything this
# script says goes to stderr; it prints nothing on stdout.
set -euo pipefail
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; }

bin_dir="${ZKV_BIN_DIR:-$HOME/.local/bin}"
while (( $# > 0 )); do
  case "$1" in
    --bin-dir) [[ $# -ge 2 ]] || { echo "install-cli: --bin-dir needs a folder" >&2; exit 2; }
               bin_dir=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-cli: unknown option: $1" >&2; usage; exit 2 ;;
  esac
done

ZKV_BOOTSTRAP=deps source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
node scripts/build-cli.mjs > /dev/null 2>&1 || node scripts/build-cli.mjs >&2

mkdir -p "$bin_dir"
ln -sf "$ZKV_ROOT/apps/client/dist/cli/zkv.mjs" "$bin_dir/zkv"
ln -sf "$ZKV_ROOT/apps/server/dist/cli/zkv-server.mjs" "$bin_dir/zkv-server"
echo "install-cli: zkv and zkv-server are in $bin_dir" >&2
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) echo "install-cli: $bin_dir is not on your PATH; add it with: export PATH=\"$bin_dir:\$PATH\"" >&2 ;;
esac
