#!/usr/bin/env bash
# Makes sure a Docker engine answers and holds the two public base images that docker-compose.yml
# and apps/*/Dockerfile name, so `docker compose up --build` works without a registry:
#
#   node:20-bookworm-slim      the Node image the zkv-server and zkv-client images build on
#   hashicorp/consul:1.14.11   the consul and cluster-init services
#
# For each image: present already -> nothing to do; else `docker pull`; only if the pull fails
# (no registry reachable: offline, air-gapped) a local stand-in is built and given that name:
#   - a Debian bookworm root made by `debootstrap --variant=minbase` and `docker import`ed as
#     zkv-local/debian:bookworm-minbase (the base of both stand-ins);
#   - node: this machine's Node 20 and npm in /usr/local (as in the official image), a `node`
#     user (uid 1000), and this machine's CA bundle (NODE_EXTRA_CA_CERTS), so npm and pnpm inside
#     a build trust the same certificate chain as npm on the host;
#   - consul: the Consul 1.14.11 that scripts/consul.sh provides, with an entrypoint that takes
#     the official image's arguments (`agent ...` runs the agent as user consul).
# Their Dockerfiles are in deploy/stand-ins/; each stand-in carries the label org.zkv.stand-in.
# The compose file and Dockerfiles stay the same wherever Docker Hub is reachable.
#
# No engine answering: as root, dockerd is started in the background (log: $ZKV_DOCKERD_LOG,
# default /var/log/zkv-dockerd.log) and left running. Everything it does is said on stderr.
#
#   bash scripts/docker-images.sh [--no-pull] [--build]     (--no-pull: or ZKV_NO_PULL=1)
#
# --build then builds the zkv images of docker-compose.yml (`compose build`: zkv-server and
# zkv-client) under the same lock, so whoever runs this script next (the compose tests do) waits
# for that too, and its own `compose build` finds every layer cached. CI starts it early.
#
# Exit status: 0 the images are there; 69 (EX_UNAVAILABLE) no engine can be had here (no docker
# client, none answering and not root or no dockerd) or a stand-in cannot be built here (not root,
# no debootstrap, no Node 20): callers may skip, saying why; anything else is a failure.
set -euo pipefail
ZKV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

NODE_IMAGE=node:20-bookworm-slim
CONSUL_IMAGE=hashicorp/consul:1.14.11
CONSUL_VERSION=1.14.11
BASE_IMAGE=zkv-local/debian:bookworm-minbase
SUITE=bookworm
STAND_IN_LABEL=org.zkv.stand-in
EX_UNAVAILABLE=69

say() { printf 'docker-images: %s\n' "$*" >&2; }
die() { say "error: $1"; exit "${2:-1}"; }
unavailable() { die "$1" "$EX_UNAVAILABLE"; }
have_image() { docker image inspect "$1" > /dev/null 2>&1; }

no_pull=${ZKV_NO_PULL:-0}
build_zkv=0
for arg in "$@"; do
  case "$arg" in
    --no-pull) no_pull=1 ;;
    --build) build_zkv=1 ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option: $arg (see --help)" 2 ;;
  esac
done

# One run at a time (CI starts one early in the background; a test's run then waits for it and
# finds the images there).
if command -v flock > /dev/null 2>&1; then
  exec 9> "${ZKV_IMAGES_LOCK:-${TMPDIR:-/tmp}/zkv-docker-images.$(id -u).lock}"
  flock 9
fi

work=""
cleanup() { if [[ -n "$work" ]]; then rm -rf "$work"; fi; }
trap cleanup EXIT
workdir() { if [[ -z "$work" ]]; then work=$(mktemp -d "${TMPDIR:-/var/tmp}/zkv-images.XXXXXX"); fi; }

# --- the engine -----------------------------------------------------------------------------
ensure_engine() {
  command -v docker > /dev/null 2>&1 || unavailable "no docker client on PATH (Debian: apt-get install docker.io)"
  if docker info > /dev/null 2>&1; then return 0; fi
  [[ "$(id -u)" == 0 ]] || unavailable "no Docker engine answers, and only root may start dockerd here"
  command -v dockerd > /dev/null 2>&1 || unavailable "no Docker engine answers and there is no dockerd (Debian: apt-get install docker.io)"
  local log=${ZKV_DOCKERD_LOG:-/var/log/zkv-dockerd.log} pid
  # setsid: the daemon outlives this script and whatever started it, like a service would;
  # without the lock (fd 9), which would otherwise be held as long as it runs.
  setsid dockerd > "$log" 2>&1 < /dev/null 9>&- &
  pid=$!
  say "no Docker engine answered: started dockerd (pid $pid, log $log); it keeps running (stop it: kill $pid)"
  for _ in $(seq 1 120); do
    if docker info > /dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2> /dev/null || { tail -n 20 "$log" >&2; unavailable "dockerd exited at start (log above)"; }
    sleep 0.5
  done
  tail -n 20 "$log" >&2
  unavailable "dockerd (pid $pid) did not answer within 60 s (log above)"
}

# --- stand-ins ------------------------------------------------------------------------------
# The Debian mirror apt uses here (so an air-gapped machine's local mirror is used too);
# ZKV_DEBIAN_MIRROR overrides it, and with neither debootstrap picks its own default.
debian_mirror() {
  if [[ -n "${ZKV_DEBIAN_MIRROR:-}" ]]; then echo "$ZKV_DEBIAN_MIRROR"; return; fi
  apt-cache policy 2> /dev/null | awk -v s="$SUITE/main" '$3 == s && $5 == "Packages" { print $2; exit }'
}

build_base() {
  [[ "$(id -u)" == 0 ]] || unavailable "building $BASE_IMAGE needs root (debootstrap)"
  command -v debootstrap > /dev/null 2>&1 || unavailable "building $BASE_IMAGE needs debootstrap (apt-get install debootstrap)"
  workdir
  local root="$work/rootfs" mirror
  mirror=$(debian_mirror)
  say "building $BASE_IMAGE: debootstrap --variant=minbase $SUITE ${mirror:-(its default mirror)} (about 35 s)"
  if ! debootstrap --variant=minbase "$SUITE" "$root" ${mirror:+"$mirror"} > "$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    die "debootstrap failed (log above)"
  fi
  # What debian:*-slim leaves out too: package caches, lists, docs, man pages, translations.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  tar -C "$root" --numeric-owner -c . |
    docker import --change 'CMD ["bash"]' \
      --change "LABEL $STAND_IN_LABEL=\"debootstrap --variant=minbase $SUITE\"" - "$BASE_IMAGE" > /dev/null
  rm -rf "$root"
}

ensure_base() {
  if have_image "$BASE_IMAGE"; then return 0; fi
  build_base
}

# Builds a stand-in from deploy/stand-ins/<name>.Dockerfile and a context dir, with the classic
# builder: it needs no buildx plugin, and the client of Debian's docker.io has none.
docker_build() {
  local tag=$1 name=$2 context=$3
  shift 3
  # Its output only on failure: on success it is a deprecation notice and the image id.
  if ! DOCKER_BUILDKIT=0 docker build --tag "$tag" --build-arg "BASE_IMAGE=$BASE_IMAGE" "$@" \
    --file "$ZKV_ROOT/deploy/stand-ins/$name.Dockerfile" "$context" > "$work/build.log" 2>&1; then
    tail -n 30 "$work/build.log" >&2
    die "building the $tag stand-in failed (log above)"
  fi
}

build_node() {
  local node npm_dir version
  node=$(command -v node || true)
  [[ -n "$node" ]] || unavailable "no node on PATH to build the $NODE_IMAGE stand-in from"
  version=$("$node" --version)
  [[ "$version" == v20.* ]] || unavailable "the $NODE_IMAGE stand-in needs Node 20, found $version"
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  [[ -f "$npm_dir/package.json" ]] || die "cannot find npm's package next to $(command -v npm)"
  local ca=${ZKV_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
  [[ -r "$ca" ]] || die "no CA bundle at $ca (set ZKV_CA_BUNDLE)"
  ensure_base
  workdir
  local ctx="$work/node"
  mkdir -p "$ctx"
  cp "$(readlink -f "$node")" "$ctx/node"
  cp -R "$npm_dir" "$ctx/npm"
  cp "$ca" "$ctx/ca-certificates.crt"
  say "building the $NODE_IMAGE stand-in: Node $version and npm $(npm --version) of this machine"
  docker_build "$NODE_IMAGE" node "$ctx" --build-arg "NODE_VERSION=${version#v}"
}

build_consul() {
  local consul version
  consul=$(bash "$ZKV_ROOT/scripts/consul.sh" | tail -n 1)
  version=$("$consul" version | sed -n 's/^Consul v\([0-9.]*\).*/\1/p' | head -n 1)
  [[ "$version" == "$CONSUL_VERSION" ]] ||
    die "scripts/consul.sh gave Consul $version ($consul), not $CONSUL_VERSION: point ZKV_CONSUL_BIN at a $CONSUL_VERSION binary"
  ensure_base
  workdir
  local ctx="$work/consul"
  mkdir -p "$ctx"
  cp "$consul" "$ctx/consul"
  cp "$ZKV_ROOT/deploy/stand-ins/consul-entrypoint.sh" "$ctx/"
  say "building the $CONSUL_IMAGE stand-in: $consul"
  docker_build "$CONSUL_IMAGE" consul "$ctx" --build-arg "CONSUL_VERSION=$version"
}

ensure_image() {
  local image=$1 build=$2
  if have_image "$image"; then
    local stand_in
    stand_in=$(docker image inspect --format "{{ index .Config.Labels \"$STAND_IN_LABEL\" }}" "$image" 2> /dev/null || true)
    say "$image: present${stand_in:+ (local stand-in: $stand_in)}"
    return 0
  fi
  if [[ "$no_pull" != 1 ]]; then
    say "$image: pulling"
    workdir
    if timeout "${ZKV_PULL_TIMEOUT:-600}" docker pull --quiet "$image" > /dev/null 2> "$work/pull.log"; then
      say "$image: pulled"
      return 0
    fi
    say "$image: pull failed ($(tail -n 1 "$work/pull.log")); building a local stand-in"
  fi
  "$build"
  say "$image: built"
}

# --- the zkv images (--build) --------------------------------------------------------------
build_zkv_images() {
  local compose
  if docker compose version > /dev/null 2>&1; then compose=(docker compose)
  elif command -v docker-compose > /dev/null 2>&1; then compose=(docker-compose)
  else unavailable "no compose implementation to build the zkv images with"; fi
  workdir
  local started=$SECONDS
  if ! "${compose[@]}" -f "$ZKV_ROOT/docker-compose.yml" build > "$work/compose-build.log" 2>&1; then
    tail -n 30 "$work/compose-build.log" >&2
    die "building the zkv images failed (log above)"
  fi
  say "zkv-server and zkv-client: built ($((SECONDS - started)) s)"
}

ensure_engine
ensure_image "$NODE_IMAGE" build_node
ensure_image "$CONSUL_IMAGE" build_consul
if [[ "$build_zkv" == 1 ]]; then build_zkv_images; fi
