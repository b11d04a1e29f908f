#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests that need one (CTest fixture
# "postgres", tests/pg.cmake):
#   pg_cluster.sh start STATE_DIR   initdb into a fresh temporary directory, start
#                                   the server on a free loopback port, write its
#                                   URL to STATE_DIR/url
#   pg_cluster.sh stop STATE_DIR    stop it and remove the directory
# PostgreSQL refuses to run as root: as root the cluster belongs to an
# unprivileged user (nobody) and its commands run through runuser.
# Without PostgreSQL's server binaries (postgresql-15) the start writes
# STATE_DIR/unavailable and the tests skip, unless PRISM_REQUIRE_POSTGRES=1
# (set by .ci/run), which makes that a failure.
set -euo pipefail
command=${1:?start or stop}
state=${2:?state directory}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  as_owner=(runuser -u nobody --)
fi

stop_cluster() {
  [ -f "$state/data_dir" ] || return 0
  local data
  data=$(cat "$state/data_dir")
  if [ -n "$bin" ] && [ -f "$data/db/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$data/db" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$data"
  rm -f "$state/data_dir" "$state/url"
}

case $command in
start)
  mkdir -p "$state"
  stop_cluster # a cluster a killed test run left behind
  rm -f "$state/unavailable"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "no PostgreSQL server (postgresql-15) installed" | tee "$state/unavailable"
    [ "${PRISM_REQUIRE_POSTGRES:-}" = 1 ] && exit 1
    exit 0
  fi
  data=$(mktemp -d /tmp/prism-pg-XXXXXX)
  echo "$data" >"$state/data_dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$data"
  fi
  chmod 700 "$data"
  "${as_owner[@]}" "$bin/initdb" -D "$data/db" -U prism --auth=trust -E UTF8 --no-sync >"$data/initdb.log" 2>&1 \
    || { cat "$data/initdb.log" >&2; exit 1; }
  # A free port: try a few from a spread-out start until the server comes up.
  base=$((20000 + ($$ % 20000)))
  for i in $(seq 0 19); do
    port=$((base + i * 97))
    if "${as_owner[@]}" "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 30 \
         -o "-p $port -h 127.0.0.1 -k $data -F -c max_connections=200" start >/dev/null 2>&1; then
      echo "postgresql://prism@127.0.0.1:$port/postgres" >"$state/url"
      echo "PostgreSQL test cluster on port $port ($data)"
      exit 0
    fi
  done
  cat "$data/server.log" >&2 || true
  echo "could not start a PostgreSQL test cluster" >&2
  exit 1
  ;;
stop)
  stop_cluster
  ;;
*)
  echo "usage: pg_cluster.sh start|stop STATE_DIR" >&2
  exit 2
  ;;
esac
