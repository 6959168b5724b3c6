# Shared helpers of infra.sh: messages, ports, processes, machine packages, JSON and the lock.
# shellcheck shell=bash

say() { printf '[infra] %s\n' "$*"; }
warn() { printf '[infra] warning: %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

is_local_host() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 ]]; }

# True if something accepts TCP connections on host:port.
# shellcheck disable=SC2016
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# Pid of the process listening on a local port, or nothing.
port_pid() {
  local line
  line="$(ss -ltnpH "sport = :$1" 2>/dev/null | head -n 1 || true)"
  if [[ "$line" =~ pid=([0-9]+) ]]; then printf '%s\n' "${BASH_REMATCH[1]}"; fi
}

# "pid N (program)" of whatever listens on a local port, for error messages.
port_owner() {
  local pid
  pid="$(port_pid "$1")"
  if [[ -n "$pid" ]]; then
    printf 'pid %s (%s)' "$pid" "$(cat "/proc/$pid/comm" 2>/dev/null || echo unknown)"
  else
    printf 'an unknown process'
  fi
}

pid_running() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }

# ---------------------------------------------------------------- machine packages

APT_UPDATED=0
apt_install() {
  [[ "$(id -u)" == 0 ]] || die "need to install $* but not running as root; run: sudo apt-get install -y $*"
  command -v apt-get >/dev/null || die "need to install $* but apt-get is missing; install them with the system's package manager"
  if [[ "$APT_UPDATED" == 0 ]]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq 9>&- || die "apt-get update failed; check the machine's package sources"
    APT_UPDATED=1
  fi
  say "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 9>&- ||
    die "apt-get install $* failed; run it by hand to see why"
}

ensure_java_maven() {
  local missing=()
  command -v java >/dev/null || missing+=(default-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  if ((${#missing[@]})); then
    say "Java or Maven is missing (Kafka runs from jars that Maven fetches)"
    apt_install "${missing[@]}"
  fi
  local version major
  version="$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
  major="${version%%.*}"
  [[ "$major" == 1 ]] && major="$(cut -d. -f2 <<<"$version")"
  [[ "$major" =~ ^[0-9]+$ && "$major" -ge 11 ]] ||
    die "Kafka $(kafka_version) needs Java 11 or newer, found '${version:-unknown}'; install default-jre-headless (Java 17)"
}


json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
json_num_or_null() { [[ "$1" =~ ^[0-9]+$ ]] && printf '%s' "$1" || printf 'null'; }


wait_gone() {
  local pid=$1 seconds=$2 deadline
  deadline=$((SECONDS + seconds))
  while pid_running "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

with_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/infra.lock"
  if ! flock -n 9; then
    say "another infra.sh is working in $RUN_DIR; waiting for it (up to 180 s)"
    flock -w 180 9 || die "infra.sh in $RUN_DIR is still busy after 180 s; check 'ps -ef | grep infra.sh'"
  fi
}

