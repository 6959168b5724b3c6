#!/usr/bin/env bash
# npm run bench: the whole path against the raw Kafka client on the same broker (options: see tools/bench/bench.ts;
# --paths one,two chooses the one-cluster and/or the two-province path, --logging quiet,start the services' logging (warnings only,
# or npm start's own level), --brokers the baseline's cluster, --json prints one JSON object).
source "$(dirname "$0")/lib.sh"
hermetic_env
ensure_node_modules
ensure_infra
build
step "Benchmark"
exec node -r ./tools/runtime/register-aliases.js dist/tools/bench/bench.js "$@"
