#!/usr/bin/env bash
# Runs every check and test: type check, lint, config schema check, the unit
# and integration tests of every package, and the browser tests against the
# built app. Installs what it needs first. Fails if any stage fails.
debian_packages=(chromium postgresql golang-go mkdocs mkdocs-material)
command -v kubectl >/dev/null 2>&1 || debian_packages+=(kubernetes-client)
source "$(dirname "$0")/provision.sh" "${debian_packages[@]}"

export CI=true
results_dir="$REPO_ROOT/test-results"
rm -rf "$results_dir" && mkdir -p "$results_dir"

stage() {
  local name="$1"
  shift
  log "$name"
  local stage_start=$SECONDS
  "$@"
  echo "($name took $((SECONDS - stage_start)) s)"
}

stage "Type check (tsc)" yarn tsc
stage "Lint (backstage-cli repo lint)" yarn backstage-cli repo lint
stage "Config schema check" yarn backstage-cli config:check --strict --config app-config.yaml
# The plugins are published packages: their API reports (from tsc's
# declarations above) and unused-dependency reports must match what is
# committed, and their package.json files what `repo fix --publish` wants.
stage "API reports" yarn backstage-repo-tools api-reports --ci \
  -o ae-undocumented,ae-wrong-input-file-type plugins/*/
stage "Unused dependencies (knip)" yarn backstage-repo-tools knip-reports --ci plugins/*/
stage "Publishable package.json" yarn backstage-cli repo fix --publish --check
stage "Unit and integration tests" yarn backstage-cli repo test \
  --json --outputFile="$results_dir/jest.json"
stage "Build the frontend" yarn workspace app build
stage "Browser tests (Playwright, Debian Chromium)" yarn playwright test

node "$REPO_ROOT/scripts/summarize-results.js" "$results_dir"
# SECONDS counts from the start of this script, provisioning included.
echo "Total time: ${SECONDS} s"
