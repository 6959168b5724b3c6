#!/usr/bin/env bash
# npm test: installs what is missing, brings the infrastructure up, then runs every check and test.
source "$(dirname "$0")/lib.sh"
hermetic_env
ensure_node_modules
ensure_infra

# The console's browser test drives Debian's chromium (playwright-core brings no browser); the console's labels are
# Chinese, so a screenshot a person looks at needs CJK fonts (without them every character is a box).
if ! command -v chromium >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  apt-get update && apt-get install -y chromium fonts-noto-cjk
fi

results=()
failed=0
run() { # name, command...
  local name="$1"; shift
  step "$name"
  local started=$SECONDS
  if "$@"; then results+=("PASS  $name ($((SECONDS - started)) s)"); else results+=("FAIL  $name ($((SECONDS - started)) s)"); failed=$((failed + 1)); fi
}

run "Type check" npx tsc --noEmit -p tsconfig.json
run "Lint (module boundaries, formatting)" npm run -s lint
run "Build" npx tsc -p tsconfig.build.json
run "Contracts: generated types current, schemas compatible with the released ones" npm run -s contracts:check
mkdir -p .tongban
rm -f .tongban/jest-*.json
run "Unit tests" npx jest -c jest.config.js --ci --json --outputFile=.tongban/jest-unit.json
# --forceExit: a test that fails half-way may leave a Kafka client behind; the run must still end.
run "Integration and end-to-end tests" npx jest -c test/jest.config.js --ci --forceExit --json --outputFile=.tongban/jest-integration.json
run "Chaos: kill -9 of a node, the relay, the gateway and a dedicated broker; nothing lost or doubled" \
  node -r ./tools/runtime/register-aliases.js dist/tools/chaos/chaos.js
# Two provinces of three Kafka nodes each on side ports, MirrorMaker 2 between them: the leader of the inbox killed
# in each cluster it passes through. The shared clusters are stopped meanwhile (eight more JVMs on two cores).
bash infra/scripts/infra.sh kafka-down >/dev/null
run "Chaos: two provinces of three Kafka nodes; kill -9 of the inbox's leader on each side of the link" \
  node -r ./tools/runtime/register-aliases.js dist/tools/chaos/broker-failover.js --brokers 3 --provinces --rate 3 --seconds 40 --down-seconds 5

step "Summary"
printf '%s\n' "${results[@]}"
# Test counts over both Jest runs; a failed step without tests (type check, lint, contracts) counts as one failure.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of [".tongban/jest-unit.json", ".tongban/jest-integration.json"]) {
    if (!fs.existsSync(f)) continue;
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests;
  }
  failed += Number(process.argv[1]);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$(printf '%s\n' "${results[@]}" | grep -E '^FAIL' | grep -vcE 'Unit tests|Integration')"
[ "$failed" -eq 0 ]
