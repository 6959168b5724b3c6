# Shared steps of the project's commands: install what is missing, bring up the infrastructure, build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

# The commands run stacks of their own: a TONGBAN_* setting left in the caller's shell (API keys, a topic
# namespace, retry delays) must not reach them. What passes: where the infrastructure is (as in
# tools/stack/stack.ts INFRASTRUCTURE_ENV), infra.sh's own settings, the commands' own options
# (TONGBAN_DEMO_*, TONGBAN_CHAOS_*, TONGBAN_BENCH_*), and the names given as arguments.
hermetic_env() {
  local keep=" TONGBAN_HOME TONGBAN_SECRETS_DIR TONGBAN_INFRA_CACHE_DIR TONGBAN_INFRA_RUN_DIR TONGBAN_KAFKA_BROKERS \
TONGBAN_KAFKA_PORT TONGBAN_KAFKA_CONTROLLER_PORT TONGBAN_KAFKA_DATA_DIR TONGBAN_KAFKA_HEAP_OPTS TONGBAN_KAFKA_BROKERS_PER_CLUSTER \
TONGBAN_KAFKA_START_TIMEOUT TONGBAN_KAFKA_STOP_TIMEOUT TONGBAN_PROVINCES TONGBAN_KAFKA_LINK_PORT TONGBAN_KAFKA_CQ_PORT \
TONGBAN_KAFKA_CQ_LINK_PORT TONGBAN_KAFKA_CQ_CONTROLLER_PORT TONGBAN_KAFKA_CQ_DATA_DIR TONGBAN_MIRROR_HEAP_OPTS \
TONGBAN_MIRROR_TOPICS_REFRESH TONGBAN_MYSQL_HOST TONGBAN_MYSQL_PORT TONGBAN_MYSQL_USER \
TONGBAN_MYSQL_PASSWORD TONGBAN_MYSQL_SOCKET TONGBAN_REDIS_HOST TONGBAN_REDIS_PORT TONGBAN_LOG_LEVEL $* "
  local name
  for name in $(compgen -e | grep '^TONGBAN_' || true); do
    case "$keep" in *" $name "*) continue ;; esac
    case "$name" in TONGBAN_DEMO_* | TONGBAN_CHAOS_* | TONGBAN_BENCH_*) continue ;; esac
    unset "$name"
  done
}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

ensure_node_modules() {
  if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step "Installing npm packages (npm ci)"
    npm ci --no-audit --no-fund
  fi
}

ensure_infra() {
  step "Bringing up Kafka, MariaDB and Redis"
  bash infra/scripts/infra.sh up
}

build() {
  step "Compiling TypeScript"
  npx tsc -p tsconfig.build.json
}
