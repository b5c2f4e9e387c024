#!/bin/sh
# Entrypoint of the local hashicorp/consul stand-in (scripts/docker-images.sh): takes the same
# arguments as the official image's docker-entrypoint.sh, so docker-compose*.yml work with both.
#   agent ARGS...        consul agent -data-dir=/consul/data -config-dir=/consul/config ARGS...,
#                        as user consul
#   -flag ... | a consul subcommand (kv, members, ...)     consul ARGS...
#   anything else        run as given (e.g. /bin/sh -c "...")
set -e

case "$1" in
  -*) set -- consul "$@" ;;
esac

if [ "$1" = agent ]; then
  shift
  set -- consul agent -data-dir=/consul/data -config-dir=/consul/config "$@"
elif [ "$1" != consul ] && consul "$1" -h 2>&1 | grep -q "^Usage: consul $1"; then
  set -- consul "$@"
fi

# The official image drops root for the agent; so does this one.
if [ "$1" = consul ] && [ "$(id -u)" = 0 ]; then
  chown consul:consul /consul/data
  set -- setpriv --reuid=consul --regid=consul --init-groups "$@"
fi
exec "$@"
