#!/usr/bin/env bash
# A fresh PostgreSQL cluster on loopback for platform.databases.main, with an
# admin role that may create databases and roles (what platform.databases
# needs) and nothing more.
#
# scripts/start.sh sources this file for start_local_postgres and
# stop_local_postgres. Run on its own, it is the browser tests' server (a
# webServer of playwright.config.ts): it starts a cluster in
# .local/postgres-playwright (gitignored) listening on 127.0.0.1 at
# PLATFORM_LOCAL_DB_PORT, with PLATFORM_LOCAL_DB_PASSWORD as the admin role's
# password, serves it in the foreground, and on SIGTERM or SIGINT stops the
# server and removes its data.

PG_ADMIN_USER=platform_admin
PG_BIN=''
PG_AS=()

# The cluster lives in PG_DIR, which the caller sets before calling either.
stop_local_postgres() {
  [ -n "$PG_BIN" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

# start_local_postgres PORT ADMIN_PASSWORD [LISTEN_ADDRESSES]
# A new cluster in PG_DIR (whatever was there is stopped and removed) on
# 127.0.0.1:PORT, or with LISTEN_ADDRESSES '' on its Unix socket only. Its
# superuser logs in only through the Unix socket in PG_DIR, as the
# operating-system user that owns the server; initdb's output goes to
# PG_DIR-initdb.log beside it.
start_local_postgres() {
  local port="$1" admin_password="$2" listen_addresses="${3-127.0.0.1}"
  PG_BIN="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)"
  local superuser
  superuser="$(id -un)"
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root; Debian's package brings this user.
    # util-linux puts runuser in sbin, which a non-login PATH may lack.
    PG_AS=("$(command -v runuser || echo /usr/sbin/runuser)" -u postgres --)
    superuser=postgres
  fi
  # A server left running by a start that was killed outright.
  stop_local_postgres
  rm -rf "$PG_DIR"
  mkdir -m 700 "$PG_DIR"
  [ "$superuser" != postgres ] || chown postgres "$PG_DIR"

  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$superuser" --auth-local=peer \
    --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync --no-instructions >"$PG_DIR-initdb.log"
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 60 -l "$PG_DIR/server.log" \
    -o "-p $port -k $PG_DIR -c listen_addresses='$listen_addresses' -c fsync=off" start >/dev/null

  # The password goes through stdin, never a command line others could read.
  "${PG_AS[@]}" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$port" \
    -U "$superuser" -d postgres <<SQL
CREATE ROLE $PG_ADMIN_USER LOGIN CREATEDB CREATEROLE PASSWORD '$admin_password';
SQL
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  : "${PLATFORM_LOCAL_DB_PORT:?is the port the server listens on}"
  : "${PLATFORM_LOCAL_DB_PASSWORD:?is the password of the admin role $PG_ADMIN_USER}"
  state_dir="$(cd "$(dirname "$0")/.." && pwd)/.local"
  mkdir -p "$state_dir"
  PG_DIR="$state_dir/postgres-playwright"

  stop_and_remove() {
    stop_local_postgres
    rm -rf "$PG_DIR" "$PG_DIR-initdb.log"
  }
  trap stop_and_remove EXIT
  # Exiting from these traps runs the EXIT trap at once, also while waiting.
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # The port opens only once the admin role exists, since Playwright counts
  # the server as ready when it does: the role is made on the socket alone.
  start_local_postgres "$PLATFORM_LOCAL_DB_PORT" "$PLATFORM_LOCAL_DB_PASSWORD" ''
  stop_local_postgres
  # Served in the foreground, in this script's process group (pg_ctl gives
  # the server a session of its own), so that a SIGKILL of the group, which
  # Playwright sends when a graceful stop takes too long, ends it too.
  "${PG_AS[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PLATFORM_LOCAL_DB_PORT" -k "$PG_DIR" \
    -c listen_addresses=127.0.0.1 -c fsync=off >>"$PG_DIR/server.log" 2>&1 &
  echo "PostgreSQL on 127.0.0.1:$PLATFORM_LOCAL_DB_PORT, admin role $PG_ADMIN_USER (CREATEDB, CREATEROLE); SIGTERM or SIGINT stops it"
  status=0
  wait $! || status=$?
  echo "PostgreSQL stopped on its own (exit status $status); the end of its log:" >&2
  tail -20 "$PG_DIR/server.log" >&2
  exit 1
fi
