#!/usr/bin/env bash
# npm run chaos: kill -9 services and a dedicated Kafka broker while events stream; prove nothing is lost or doubled.
source "$(dirname "$0")/lib.sh"
hermetic_env
ensure_node_modules
ensure_infra
build
step "Chaos: kill -9 a region node, the relay, the gateway and the broker while events stream"
exec node -r ./tools/runtime/register-aliases.js dist/tools/chaos/chaos.js "$@"
