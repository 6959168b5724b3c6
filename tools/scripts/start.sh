#!/usr/bin/env bash
# npm start: infrastructure and every service up, until Ctrl-C.
source "$(dirname "$0")/lib.sh"
hermetic_env TONGBAN_API_KEYS
ensure_node_modules
ensure_infra
build
step "Starting tongban"
exec node -r ./tools/runtime/register-aliases.js dist/tools/stack/start.js
