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

# ---------------------------------------------------------------- the JVMs this script starts (brokers, mirrors)

# True if pid runs Java class `main` with the properties file `props`, as this script starts them.
runs_ours() { [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$2 $3"; }

# Pid of our running `main props` (from its pid file, or found among the processes), or nothing.
our_pid() {
  local pid_file=$1 main=$2 props=$3 pid="" p
  [[ -f "$pid_file" ]] && pid="$(tr -dc '0-9' <"$pid_file")"
  if [[ -n "$pid" ]] && runs_ours "$pid" "$main" "$props"; then
    printf '%s\n' "$pid"
    return 0
  fi
  # Lost pid file: look for it among the processes (one grep, then an exact check).
  for p in $(grep -alF "$props" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    p="${p#/proc/}"
    p="${p%/cmdline}"
    if runs_ours "$p" "$main" "$props" 2>/dev/null; then
      printf '%s\n' "$p"
      return 0
    fi
  done
  return 0
}

# Starts a command in the background, appending its output to `log`; it writes its own pid to `pid_file` before
# it execs. LAUNCHED_PID is that pid, or nothing when none was written within 5 s.
# setsid: a test runner that kills its process group must not take it along. 9>&- : it must not inherit the
# lock of this script.
LAUNCHED_PID=""
launch_detached() {
  local pid_file=$1 log=$2 i
  shift 2
  # shellcheck disable=SC2016
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pid_file" "$@" >>"$log" 2>&1 </dev/null 9>&- &
  for ((i = 0; i < 50; i++)); do
    [[ -s "$pid_file" ]] && break
    sleep 0.1
  done
  LAUNCHED_PID="$(tr -dc '0-9' <"$pid_file" 2>/dev/null || true)"
}

# The last `lines` lines of a log, indented, on stderr; fails without a word when the log is empty or missing.
print_log_tail() {
  [[ -s "$1" ]] || return 1
  printf '[infra] last %s lines of %s:\n' "$2" "$1" >&2
  tail -n "$2" "$1" | sed 's/^/    /' >&2
}

# SIGKILL to pid; dies if it is still there 10 s later. `what` names the process in the message, `stuck` ends it.
kill_hard() {
  local what=$1 pid=$2 stuck=${3:-}
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || die "$what (pid $pid) survived SIGKILL$stuck"
}

# After its SIGTERM: gives pid `seconds` (what is left of TONGBAN_KAFKA_STOP_TIMEOUT, which the warning names) to
# end, then kills it (kill_hard), saying so; `after_kill` ends that warning.
end_or_kill() {
  local what=$1 pid=$2 seconds=$3 after_kill=${4:-} stuck=${5:-}
  wait_gone "$pid" "$seconds" && return 0
  warn "$what (pid $pid) still running after ${KAFKA_STOP_TIMEOUT} s; sending SIGKILL$after_kill"
  kill_hard "$what" "$pid" "$stuck"
}

# Crash simulation for chaos tests: SIGKILL, no clean shutdown, the pid file left behind as after a real crash.
# `what` names the process in the messages, `detail` goes beside its pid; fails when pid is empty (not running).
crash() {
  local what=$1 pid=$2 detail=${3:-}
  if [[ -z "$pid" ]]; then
    say "$what is not running (nothing to kill)"
    return 1
  fi
  say "killing $what (pid $pid$detail) with SIGKILL"
  kill_hard "$what" "$pid"
}

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

# Installs the client commands of a machine service when one is missing; its server too when it runs here
# (`host` is local) and `server` (a command or a path) is not there either.
ensure_client() {
  local label=$1 host=$2 server=$3 server_pkg=$4 client_pkg=$5 cmd
  shift 5
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null && continue
    if is_local_host "$host" && ! command -v "$server" >/dev/null; then
      say "$label is not installed"
      apt_install "$server_pkg" "$client_pkg"
    else
      apt_install "$client_pkg"
    fi
    return 0
  done
}

# Polls `check...` every `interval` s until it succeeds; after `seconds`, prints the end of `log` and dies with
# `message`.
wait_until() {
  local seconds=$1 interval=$2 log=$3 message=$4 deadline
  shift 4
  deadline=$((SECONDS + seconds))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      [[ -r "$log" ]] && tail -n 20 "$log" | sed 's/^/    /' >&2
      die "$message"
    fi
    sleep "$interval"
  done
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

# Takes the lock on file descriptor $1 (already open), waiting up to INFRA_LOCK_WAIT seconds; $2 says for what,
# further arguments go to flock (-s for a shared lock).
take_lock() {
  local fd=$1 what=$2
  shift 2
  if ! flock -n "$@" "$fd"; then
    say "another infra.sh is working $what; waiting for it (up to $INFRA_LOCK_WAIT s)"
    flock -w "$INFRA_LOCK_WAIT" "$@" "$fd" || die "infra.sh $what is still busy after $INFRA_LOCK_WAIT s; check 'ps -ef | grep infra.sh'"
  fi
}

with_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/infra.lock"
  take_lock 9 "in $RUN_DIR"
}

# For a command on one node of one cluster (kafka-kill-node, kafka-start-node): it waits for whole-infrastructure
# commands (up, down, reset, ...) and for node commands on the same cluster, not for those on the other province's
# cluster, so that a node of each province can be restarted at the same time.
with_cluster_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/infra.lock"
  take_lock 9 "in $RUN_DIR" -s
  exec 8>"$RUN_DIR/infra-$1.lock"
  take_lock 8 "on cluster $1 in $RUN_DIR"
}

