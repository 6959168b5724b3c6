#!/usr/bin/env bash
# npm run demo: infrastructure and services up, the cross-region scenario played step by step.
source "$(dirname "$0")/lib.sh"
hermetic_env
ensure_node_modules
ensure_infra
build
step "Playing the 川渝通办 scenario"
exec node -r ./tools/runtime/register-aliases.js dist/tools/demo/demo.js "$@"
