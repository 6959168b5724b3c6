#!/usr/bin/env bash
# npm run attack: every test under test/security/ (describe blocks "attack: …") against the real Kafka,
# MariaDB and Redis, printing each attack, what was tried and the answer, then "N passed, N failed".
source "$(dirname "$0")/lib.sh"
ensure_node_modules
ensure_infra
step "Attacks: what was tried from outside, and the answer"
# --forceExit: a test that fails half-way may leave a Kafka client behind; the run must still end.
exec npx jest -c test/jest.config.js --reporters="$ROOT/tools/scripts/attack-reporter.js" --ci --forceExit test/security "$@"
