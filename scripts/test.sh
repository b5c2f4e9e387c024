#!/usr/bin/env bash
# Runs every zkv check (lint, typecheck, unit, integration and end-to-end tests) after installing
# whatever is missing, and ends with one line "N passed, N failed" summed over all packages.
# Once bootstrapped, `pnpm test` runs the same checks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

log=$(mktemp "${TMPDIR:-/tmp}/zkv-test.XXXXXX.log")
trap 'rm -f "$log"' EXIT
set +e
pnpm test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Sum vitest's per-package "Tests  N failed | N passed (N)" lines.
sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\S*\s*Tests\s+[0-9]' | awk '
  { for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) passed += $i
      if ($(i+1) ~ /^failed/) failed += $i
      if ($(i+1) ~ /^skipped/) skipped += $i } }
  END { printf "%d passed, %d failed", passed, failed; if (skipped) printf ", %d skipped", skipped; print "" }'
exit "$status"
