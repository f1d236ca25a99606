#!/usr/bin/env bash
# Starts the platform: frontend and backend (ports from app.baseUrl and
# backend.baseUrl, by default :3000 and :7007), SQLite in memory, the example
# catalog, guest sign-in, a PostgreSQL server on loopback for the platform's
# managed databases and, unless app-config.local.yaml points the platform at a
# real GitHub and cluster, the loopback GitHub and Kubernetes targets. Every
# phase says what it does and how long it took. Ctrl-C stops everything this
# script started.

# postgresql for the managed databases; mkdocs and mkdocs-material build the
# TechDocs of local mode (app-config.yaml: techdocs.generator.runIn local).
source "$(dirname "$0")/provision.sh" postgresql mkdocs mkdocs-material

source "$REPO_ROOT/scripts/local-postgres.sh"

# Runtime state (gitignored). Local mode keeps nothing between starts: the
# local targets and SQLite live in memory, so the PostgreSQL data goes too.
STATE_DIR="$REPO_ROOT/.local"
PG_DIR="$STATE_DIR/postgres"
mkdir -p "$STATE_DIR"

service_pids=()
readiness_pid=''

# Each service runs in a process group of its own (setsid), so stopping it
# stops the processes Yarn starts under it, and nothing else.
start_service() {
  setsid "$@" &
  service_pids+=("$!")
}

stop_everything() {
  trap - EXIT INT TERM
  [ -z "$readiness_pid" ] || kill "$readiness_pid" 2>/dev/null || true
  local pid
  for pid in "${service_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 30); do
    local running=0
    for pid in "${service_pids[@]}"; do
      ! kill -0 -- "-$pid" 2>/dev/null || running=1
    done
    [ "$running" = 1 ] || break
    sleep 0.5
  done
  for pid in "${service_pids[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  stop_local_postgres
}
trap stop_everything EXIT
# Exiting from these traps runs the EXIT trap at once, also while waiting.
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  node -e 'const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# True when URL answers with a 2xx status.
answers() {
  node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
}

# True when anything answers HTTP on URL, whatever the status.
listens() {
  node -e 'fetch(process.argv[1]).then(() => process.exit(0), () => process.exit(1))' "$1"
}

# The loopback PostgreSQL (scripts/local-postgres.sh) on a free port, with a
# new admin password, as the server the golden path names
# (platform.databases.main).
start_platform_database_server() {
  PLATFORM_LOCAL_DB_PORT="$(free_port)"
  PLATFORM_LOCAL_DB_PASSWORD="$(node -p 'require("crypto").randomBytes(24).toString("base64url")')"
  start_local_postgres "$PLATFORM_LOCAL_DB_PORT" "$PLATFORM_LOCAL_DB_PASSWORD"
  # A new file, so that no earlier mode survives: readable by this user only.
  rm -f "$STATE_DIR/postgres-admin-password"
  (umask 077 && printf '%s\n' "$PLATFORM_LOCAL_DB_PASSWORD" >"$STATE_DIR/postgres-admin-password")
  # Given as APP_CONFIG_ variables so that no file holds the password.
  export APP_CONFIG_platform_databases_main_host=127.0.0.1 \
    APP_CONFIG_platform_databases_main_port="$PLATFORM_LOCAL_DB_PORT" \
    APP_CONFIG_platform_databases_main_adminUser="$PG_ADMIN_USER" \
    APP_CONFIG_platform_databases_main_adminPassword="\"$PLATFORM_LOCAL_DB_PASSWORD\"" \
    APP_CONFIG_platform_databases_main_tls_mode=disable
}

# What the configuration the backend will load (app-config.yaml, then
# app-config.local.yaml when it exists) says: where the app and the backend
# answer, and every GitHub API or cluster URL that is one of the local
# targets' loopback addresses. Secrets are neither printed nor needed.
read_configuration() {
  local config_json
  config_json="$(yarn backstage-cli config:print --lax --format json 2>"$STATE_DIR/config-print.log")" || {
    cat "$STATE_DIR/config-print.log" >&2
    return 1
  }
  {
    read -r APP_URL
    read -r BACKEND_URL
    read -r LOCAL_TARGET_URLS
  } < <(node -e '
    const config = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const urls = [
      ...(config.integrations?.github ?? []).map(github => github.apiBaseUrl),
      ...(config.kubernetes?.clusterLocatorMethods ?? []).flatMap(method =>
        (method.clusters ?? []).map(cluster => cluster.url)),
      ...(config.platform?.kubernetes?.clusters ?? []).map(cluster => cluster.url),
    ];
    const localTarget = /^https?:\/\/(127\.0\.0\.1|localhost):(7070|7071)(\/|$)/;
    console.log(config.app.baseUrl);
    console.log(config.backend.baseUrl);
    console.log([...new Set(urls.filter(url => url && localTarget.test(url)))].join(" "));
  ' <<<"$config_json")
}

# Says when the backend is ready and the frontend answers, and until then,
# every half minute, what it is still waiting for.
report_readiness() {
  local started=$SECONDS last_said=$SECONDS backend='' frontend=''
  while [ -z "$backend" ] || [ -z "$frontend" ]; do
    sleep 2
    if [ -z "$backend" ] && answers "$BACKEND_URL/.backstage/health/v1/readiness"; then
      backend=ready
      log "Backend ready ($BACKEND_URL) $((SECONDS - started)) s after it was started"
      last_said=$SECONDS
    fi
    if [ -z "$frontend" ] && answers "$APP_URL"; then
      frontend=ready
      log "Frontend answers ($APP_URL) $((SECONDS - started)) s after it was started"
      last_said=$SECONDS
    fi
    if [ $((SECONDS - last_said)) -ge 30 ]; then
      local waiting_for=()
      [ -n "$backend" ] || waiting_for+=(backend)
      [ -n "$frontend" ] || waiting_for+=(frontend)
      note "... still starting, $((SECONDS - started)) s so far (waiting for: ${waiting_for[*]})"
      last_said=$SECONDS
    fi
  done
  log "Ready: open $APP_URL ($SECONDS s since start.sh began). Ctrl-C stops everything."
}

log "Reading the configuration (app-config.yaml$([ ! -f app-config.local.yaml ] || echo ' + app-config.local.yaml'))"
phase_started=$SECONDS
read_configuration
note "(took $((SECONDS - phase_started)) s)"

if [ -n "$LOCAL_TARGET_URLS" ]; then
  # Only beside the local targets: with a real cluster, the databases of its
  # services belong on a server it can reach, set in app-config.local.yaml.
  log "Starting PostgreSQL on loopback for the platform's managed databases"
  phase_started=$SECONDS
  start_platform_database_server
  note "127.0.0.1:$PLATFORM_LOCAL_DB_PORT is platform.databases.main, admin role $PG_ADMIN_USER (CREATEDB, CREATEROLE), password in .local/postgres-admin-password"
  note "(PostgreSQL took $((SECONDS - phase_started)) s: initdb, start, admin role)"

  log "Starting the local GitHub and Kubernetes targets (the configuration uses $LOCAL_TARGET_URLS)"
  phase_started=$SECONDS
  start_service yarn workspace local-targets start
  # Its GitHub API answers 401 without a token once it listens.
  until listens http://127.0.0.1:7070/user; do
    kill -0 "${service_pids[-1]}" 2>/dev/null || { echo "The local targets did not start" >&2; exit 1; }
    sleep 1
  done
  note "(the local targets took $((SECONDS - phase_started)) s)"
else
  log "Not starting the local GitHub and Kubernetes targets: no GitHub integration or cluster in the configuration points at 127.0.0.1:7070 or :7071"
fi

log "Starting Backstage: frontend $APP_URL, backend $BACKEND_URL (yarn start)"
start_service yarn start
report_readiness &
readiness_pid=$!

# Whichever service ends first ends the rest.
ended_status=0
wait -n "${service_pids[@]}" || ended_status=$?
log "A service stopped (exit status $ended_status); stopping the rest"
exit "$ended_status"
