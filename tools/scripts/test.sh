#!/usr/bin/env bash
# npm test: installs what is missing, brings the infrastructure up, then runs every check and test.
source "$(dirname "$0")/lib.sh"
ensure_node_modules
ensure_infra

# The console's browser test drives Debian's chromium (playwright-core brings no browser).
command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

results=()
failed=0
run() { # name, command...
  local name="$1"; shift
  step "$name"
  local started=$SECONDS
  if "$@"; then results+=("PASS  $name ($((SECONDS - started)) s)"); else results+=("FAIL  $name ($((SECONDS - started)) s)"); failed=$((failed + 1)); fi
}

run "Type check" npx tsc --noEmit -p tsconfig.json
run "Lint (module boundaries)" npm run -s lint
run "Build" npx tsc -p tsconfig.build.json
run "Contracts: generated types current, schemas compatible with the released ones" npm run -s contracts:check
run "Unit tests" npx jest -c jest.config.js --ci
run "Integration and end-to-end tests" npx jest -c test/jest.config.js --ci

step "Summary"
printf '%s\n' "${results[@]}"
passed=$(( ${#results[@]} - failed ))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
