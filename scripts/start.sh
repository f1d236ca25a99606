#!/usr/bin/env bash
# Starts the platform with its embedded defaults: frontend on :3000, backend on
# :7007, SQLite in memory, the example catalog, guest sign-in, and loopback
# GitHub and Kubernetes targets so the golden path runs without either.
source "$(dirname "$0")/provision.sh"

log "Starting the local GitHub and Kubernetes targets"
yarn workspace local-targets start &
targets_pid=$!
trap 'kill $targets_pid 2>/dev/null || true' EXIT

log "Starting Backstage: http://localhost:3000 (backend http://localhost:7007)"
yarn start
