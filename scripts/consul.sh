#!/usr/bin/env bash
# Provision a real HashiCorp Consul agent for zkv and print its path as the LAST line of stdout.
#
# Order of preference:
#   1. $ZKV_CONSUL_BIN, if set (it must run; a broken override is an error, never silently ignored);
#   2. a `consul` on PATH whose version fits (1.10 or newer: zkv only uses the stable HTTP API);
#   3. the cached build in ${XDG_CACHE_HOME:-$HOME/.cache}/zkv/consul-<ver>/consul;
#   4. a fresh build of Consul <ver> from the Go module proxy (CGO_ENABLED=0), cached for next time.
#
# Why 1.14.x: it is the newest Consul line under MPL-2.0 that needs no module marked not-to-use
# (1.15+ require consul/envoyextensions and consul/troubleshoot; 1.17+ is BUSL). The build checks
# the LICENSE of every github.com/hashicorp/consul* module it compiles and refuses anything not MPL-2.0.
#
# Progress and diagnostics go to stderr; stdout carries only the path, so callers can do
#   CONSUL=$(scripts/consul.sh | tail -n1)
set -euo pipefail

CONSUL_VERSION="${ZKV_CONSUL_VERSION:-1.14.11}"
MODULE="github.com/hashicorp/consul"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/zkv/consul-${CONSUL_VERSION}"
CACHED_BIN="${CACHE_DIR}/consul"

say() { printf 'consul.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Prints "MAJOR.MINOR.PATCH" of a consul binary, or nothing if it does not run.
binary_version() {
  "$1" version 2>/dev/null | sed -n 's/^Consul v\([0-9][0-9.]*\).*/\1/p' | head -n1
}

# True when a version string is 1.10 or newer (the HTTP API zkv uses is stable from there on).
version_fits() {
  local major minor
  IFS=. read -r major minor _ <<<"$1"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  (( major > 1 || (major == 1 && minor >= 10) ))
}

if [[ -n "${ZKV_CONSUL_BIN:-}" ]]; then
  v=$(binary_version "$ZKV_CONSUL_BIN")
  [[ -n "$v" ]] || die "ZKV_CONSUL_BIN=$ZKV_CONSUL_BIN does not run as a consul binary"
  say "using ZKV_CONSUL_BIN (Consul v$v)"
  echo "$ZKV_CONSUL_BIN"
  exit 0
fi

if on_path=$(command -v consul 2>/dev/null); then
  v=$(binary_version "$on_path")
  if [[ -n "$v" ]] && version_fits "$v"; then
    say "using consul on PATH (Consul v$v)"
    echo "$on_path"
    exit 0
  fi
  say "ignoring consul on PATH ($on_path, version '${v:-unknown}'): need 1.10 or newer"
fi

if [[ -x "$CACHED_BIN" && "$(binary_version "$CACHED_BIN")" == "$CONSUL_VERSION" ]]; then
  echo "$CACHED_BIN"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "no consul found and no Go toolchain to build one.
  Either install Go (https://go.dev/doc/install) and run this script again,
  or install Consul yourself (https://developer.hashicorp.com/consul/install) and put it on PATH,
  or point ZKV_CONSUL_BIN at a consul binary."

work=$(mktemp -d "${TMPDIR:-/tmp}/zkv-consul-build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
# The build's module and build caches (about 3.5 GB) live inside $work and are removed with it,
# so building Consul leaves only the binary behind. ZKV_KEEP_GO_CACHES=1 builds with the usual
# Go caches instead (and keeps them), which makes a second build of another version quicker.
if [[ -z "${ZKV_KEEP_GO_CACHES:-}" ]]; then
  export GOPATH="$work/gopath" GOMODCACHE="$work/gopath/pkg/mod" GOCACHE="$work/gocache"
  export GOFLAGS="-modcacherw"
  say "the build's Go caches go to $work and are removed afterwards (ZKV_KEEP_GO_CACHES=1 keeps them)"
fi

say "building Consul v$CONSUL_VERSION from the Go module proxy (first time only; a few minutes)"
say "[1/4] downloading $MODULE@v$CONSUL_VERSION"
src=$(go mod download -json "$MODULE@v$CONSUL_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -n "$src" && -d "$src" ]] || die "could not download $MODULE@v$CONSUL_VERSION"

cp -R "$src" "$work/consul"
chmod -R u+w "$work/consul"
cd "$work/consul"
# The api/sdk/proto-public sub-modules are not inside the module zip: take their published
# versions (the ones go.mod requires) instead of the repository-local replace targets.
for m in api sdk proto-public; do go mod edit -dropreplace "$MODULE/$m"; done

say "[2/4] resolving dependencies"
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" CGO_ENABLED=0
go mod download >/dev/null 2>&1 || true

say "[3/4] checking licences of every $MODULE* module in the build"
# `go list -deps` names exactly the modules whose packages are compiled into the agent.
mods=$(go list -deps -f '{{with .Module}}{{.Path}} {{.Version}}{{end}}' . | sort -u | grep -E "^$MODULE(/[^ ]+)? " || true)
[[ "$mods" == *"$MODULE "* ]] || die "could not list the modules of the build (go list failed?)"
while read -r path ver; do
  if [[ "$path" == "$MODULE" ]]; then dir=$src; else
    dir=$(go mod download -json "$path@$ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  fi
  lic="$dir/LICENSE"
  [[ -f "$lic" ]] || die "$path@$ver has no LICENSE file: refusing to build"
  grep -q 'Mozilla Public License, version 2.0' "$lic" || die "$path@$ver is not MPL-2.0: refusing to build"
  if grep -qi 'Business Source License' "$lic"; then die "$path@$ver is BUSL: refusing to build"; fi
  say "      $path ${ver:-(main)}: MPL-2.0"
done <<<"$mods"

say "[4/4] compiling (CGO_ENABLED=0)"
# Turns `go build -v` output into a progress count; compiler errors pass through. Always
# succeeds, so the build's own exit status (PIPESTATUS) is what decides.
show_progress() {
  local count=0 line
  while IFS= read -r line; do
    case "$line" in
      '#'*|*.go:[0-9]*|go:*|*'cannot find'*|*error*:*) printf '\n%s\n' "$line" >&2 ;;
      *)
        count=$((count + 1))
        # A live counter on a terminal; a line every 250 packages in a log (CI).
        if [[ -t 2 ]]; then
          if (( count % 25 == 0 )); then printf '\rconsul.sh:       compiled %d packages' "$count" >&2; fi
        elif (( count % 250 == 0 )); then
          printf 'consul.sh:       compiled %d packages\n' "$count" >&2
        fi ;;
    esac
  done
  if [[ -t 2 ]]; then printf '\n' >&2; fi
  return 0
}
set +o pipefail
# Newer Go toolchains refuse some old //go:linkname uses; -checklinkname=0 is the documented escape.
go build -v -trimpath -ldflags='-s -w -checklinkname=0' -o "$work/consul-bin" . 2>&1 | show_progress
build_status=${PIPESTATUS[0]}
set -o pipefail
(( build_status == 0 )) || die "go build failed with status $build_status (see above)"
[[ -x "$work/consul-bin" ]] || die "go build failed (see above)"

built=$(binary_version "$work/consul-bin")
[[ "$built" == "$CONSUL_VERSION" ]] || die "built binary reports version '$built', expected $CONSUL_VERSION"
mkdir -p "$CACHE_DIR"
mv -f "$work/consul-bin" "$CACHED_BIN.tmp.$$"
mv -f "$CACHED_BIN.tmp.$$" "$CACHED_BIN"
say "built Consul v$built into $CACHED_BIN"
echo "$CACHED_BIN"
