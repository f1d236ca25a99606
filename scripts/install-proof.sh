#!/usr/bin/env bash
# Proves that the platform's packages install in an app other than this
# repository's: builds and packs every package under plugins/, creates a stock
# app with @backstage/create-app, installs the tarballs into it and wires them
# in exactly as each package's README says, builds the app, starts its
# backend, and checks that the actions, the catalog, search and permission
# modules and the frontend cards work there. Prints each phase with its
# duration and a final PASS or FAIL line; exits non-zero on any failure.
#
# Environment (all optional):
#   INSTALL_PROOF_DIR   where the packs and the app go (default: a new
#                       folder under /tmp, removed after a PASS)
#   INSTALL_PROOF_KEEP  1 keeps that folder after a PASS too
source "$(dirname "$0")/provision.sh"

# The create-app release that generates this repository's Backstage release
# (backstage.json); the app it creates must say the same release.
CREATE_APP_VERSION=0.9.2

helper="$REPO_ROOT/scripts/install-proof.js"
work_dir="${INSTALL_PROOF_DIR:-$(mktemp -d /tmp/install-proof.XXXXXX)}"
pack_dir="$work_dir/packs"
app_dir="$work_dir/app"
logs_dir="$work_dir/logs"
backend_log="$logs_dir/backend.log"
backend_pid=''
phases=()
current_phase=''

mkdir -p "$work_dir" "$logs_dir"

# Runs a phase; output goes to the terminal, and a failing command ends the
# script through `set -e`, where the EXIT trap names the phase.
phase() {
  local name="$1"
  shift
  current_phase="$name"
  log "$name"
  local start=$SECONDS
  "$@"
  phases+=("$(printf '%4d s  %s' $((SECONDS - start)) "$name")")
  current_phase=''
}

# Runs a command with its output in a log file, showing the end of it on failure.
quietly() {
  local log_file="$logs_dir/$1.log"
  shift
  "$@" >"$log_file" 2>&1 || {
    local rc=$?
    tail -40 "$log_file"
    # Yarn keeps a failed lifecycle script's output (prepack) in a log of its own.
    local script_log
    script_log="$(sed -n 's/.*logs can be found here: \([^)]*\)).*/\1/p' "$log_file" | head -1)"
    [ -n "$script_log" ] && [ -f "$script_log" ] && tail -20 "$script_log"
    echo "(full log: $log_file)" >&2
    return $rc
  }
}

stop_backend() {
  [ -n "$backend_pid" ] || return 0
  # The backend runs in its own process group (setsid); end that group only.
  kill -TERM -- "-$backend_pid" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 -- "-$backend_pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL -- "-$backend_pid" 2>/dev/null || true
  backend_pid=''
}

finish() {
  local rc=$?
  stop_backend
  printf '\n==> Install proof phases\n'
  printf '%s\n' "${phases[@]}"
  if [ "$rc" -eq 0 ]; then
    if [ -z "${INSTALL_PROOF_DIR:-}" ] && [ "${INSTALL_PROOF_KEEP:-}" != 1 ]; then
      rm -rf "$work_dir"
    fi
    echo "PASS: the platform packages install and work in a stock app ($SECONDS s, provisioning included)"
  else
    echo "FAIL in phase \"${current_phase:-after the phases}\" ($SECONDS s, provisioning included); packs, app and logs kept in $work_dir"
  fi
}
trap finish EXIT
phases+=("$(printf '%4d s  %s' "$SECONDS" 'Provision (Node 22, repository dependencies)')")

# ---------------------------------------------------------------------------

build_and_pack() {
  rm -rf "$pack_dir" && mkdir -p "$pack_dir"
  # Package builds roll their type declarations up from dist-types.
  local tsc_start=$SECONDS
  quietly tsc yarn tsc
  echo "  yarn tsc ($((SECONDS - tsc_start)) s)"
  local dir name start
  for dir in "$REPO_ROOT"/plugins/*/; do
    [ -f "$dir/package.json" ] || continue
    name="$(basename "$dir")"
    start=$SECONDS
    (cd "$dir" && quietly "build-$name" yarn backstage-cli package build)
    # prepack swaps in publishConfig and the config schema, postpack restores.
    (cd "$dir" && quietly "pack-$name" yarn pack --out "$pack_dir/$name.tgz") ||
      { rm -rf "$dir/dist"; return 1; }
    rm -rf "$dir/dist"
    echo "  $name ($((SECONDS - start)) s)"
  done
  node "$helper" check-tarballs "$pack_dir"
}

create_app() {
  quietly create-app-install npm install --no-audit --no-fund \
    --prefix "$work_dir/create-app" "@backstage/create-app@$CREATE_APP_VERSION"
  rm -rf "$app_dir"
  # Non-interactive: the name from BACKSTAGE_APP_NAME, the folder from --path.
  # It cannot fetch its yarn.lock seed here, which is harmless.
  (cd "$work_dir" && BACKSTAGE_APP_NAME=proof-app quietly create-app \
    "$work_dir/create-app/node_modules/.bin/backstage-create-app" \
    --skip-install --path "$app_dir")
  local ours theirs
  ours="$(node -p "require('$REPO_ROOT/backstage.json').version")"
  theirs="$(node -p "require('$app_dir/backstage.json').version")"
  echo "  Backstage release: app $theirs, this repository $ours"
  [ "$ours" = "$theirs" ]
}

install_app() {
  # create-app seeds yarn.lock with a download that cannot reach GitHub here.
  # Without a seed Yarn takes the newest of every range, and the registry has
  # moved past 1.55: @backstage/plugin-signals-backend 0.3.21 wants the
  # httpRouter.addWebSocketHandler that backend-defaults ^0.18 lacks, and the
  # stock backend stops at startup. This repository's lockfile is a seed from
  # the same release; Yarn keeps what the app uses and resolves the rest.
  cp "$REPO_ROOT/yarn.lock" "$app_dir/yarn.lock"
  # The app vendors the same Yarn; the shim from provision.sh runs this
  # repository's copy, so call the app's own.
  (cd "$app_dir" && quietly app-install node .yarn/releases/yarn-*.cjs install)
}

app_yarn() {
  (cd "$app_dir" && node .yarn/releases/yarn-*.cjs "$@")
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start_backend() {
  # Its own session and process group, so stopping it ends the CLI's child
  # processes too; the group's id is the pid the inner shell writes.
  local pid_file="$work_dir/backend.pgid"
  rm -f "$pid_file"
  (cd "$app_dir" && exec setsid sh -c 'echo $$ >"$0"; exec node .yarn/releases/yarn-*.cjs workspace backend start "$@"' \
    "$pid_file" --config "$app_dir/app-config.yaml" --config "$app_dir/app-config.proof.yaml" \
    >"$backend_log" 2>&1) &
  local waited=0
  until [ -s "$pid_file" ]; do
    sleep 0.2
    waited=$((waited + 1))
    [ $waited -lt 100 ] || { echo "The backend did not start" >&2; return 1; }
  done
  backend_pid="$(cat "$pid_file")"
  local deadline=$((SECONDS + 300)) problem=''
  until curl -fsS "$base_url/.backstage/health/v1/readiness" >/dev/null 2>&1; do
    if ! kill -0 "$backend_pid" 2>/dev/null; then
      problem='exited before it was ready'
    elif grep -q 'Backend startup failed' "$backend_log"; then
      problem='failed to start'
    elif [ $SECONDS -gt $deadline ]; then
      problem='was not ready within 300 s'
    fi
    if [ -n "$problem" ]; then
      # The error lines, without colours; the readiness polls fill the tail.
      sed 's/\x1b\[[0-9;]*m//g' "$backend_log" | grep -E ' (error|Error)' | head -10 | cut -c1-600
      echo "The backend $problem (log: $backend_log)" >&2
      return 1
    fi
    sleep 2
  done
  echo "  ready at $base_url"
}

port="$(free_port)"
base_url="http://127.0.0.1:$port"
INSTALL_PROOF_TOKEN="$(node -p 'require("crypto").randomBytes(24).toString("hex")')"
export INSTALL_PROOF_TOKEN

phase "Build and pack the plugins" build_and_pack
phase "Create a stock app (@backstage/create-app@$CREATE_APP_VERSION)" create_app
phase "Add the platform packages as their READMEs say" \
  node "$helper" prepare-app "$app_dir" "$pack_dir" "$REPO_ROOT" "$port"
phase "Install the app (yarn install)" install_app
phase "Type check the app (yarn tsc)" quietly app-tsc app_yarn tsc
phase "Build the frontend (yarn workspace app build)" quietly app-build app_yarn workspace app build
phase "Check the frontend bundle for the platform cards" node "$helper" check-frontend "$app_dir"
phase "Build the backend (yarn workspace backend build)" quietly backend-build app_yarn workspace backend build
phase "Start the backend" start_backend
phase "Check the running backend" node "$helper" check-backend "$app_dir" "$base_url" "$backend_log"
phase "Stop the backend" stop_backend
