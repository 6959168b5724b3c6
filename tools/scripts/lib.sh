# Shared steps of the project's commands: install what is missing, bring up the infrastructure, build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

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
