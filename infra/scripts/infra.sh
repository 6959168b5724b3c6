#!/usr/bin/env bash
# Local infrastructure for tongban: a single-node KRaft Kafka run from jars that Maven fetches
# (infra/pom.xml), plus the machine's MariaDB and Redis, started when they are down.
#
#   infra.sh up | down | status [--json] | kafka-start | kafka-stop | kafka-kill | logs [-f] [-n N] | reset
#
# Environment (defaults in brackets):
#   TONGBAN_KAFKA_PORT [9092]             TONGBAN_KAFKA_CONTROLLER_PORT [9093]
#   TONGBAN_KAFKA_DATA_DIR [infra/.data/kafka]
#   TONGBAN_KAFKA_HEAP_OPTS [-Xms256m -Xmx1g]
#   TONGBAN_KAFKA_START_TIMEOUT [90]      TONGBAN_KAFKA_STOP_TIMEOUT [30]   (seconds)
#   TONGBAN_MYSQL_HOST [127.0.0.1]        TONGBAN_MYSQL_PORT [3306]
#   TONGBAN_MYSQL_SOCKET [/run/mysqld/mysqld.sock]  (only used to repair root's login)
#   TONGBAN_REDIS_HOST [127.0.0.1]        TONGBAN_REDIS_PORT [6379]
#   TONGBAN_INFRA_RUN_DIR [infra/.run]    TONGBAN_INFRA_CACHE_DIR [infra/.cache]
#     (a second broker for a test needs its own run dir, data dir and ports)
#   TONGBAN_KAFKA_SECURITY [sasl]         sasl: SASL/SCRAM-SHA-512 with ACLs (StandardAuthorizer); or plaintext
#   TONGBAN_SECRETS_DIR [.tongban/secrets] generated local credentials (never committed); with sasl the
#     broker's users and passwords go to <secrets dir>/kafka/127.0.0.1-<port>.json, where createKafka finds them
#   TONGBAN_KAFKA_NODES [510000 500000]   receiving nodes: one region-node and one partner principal each
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG_DIR="$INFRA_DIR/config"
POM="$INFRA_DIR/pom.xml"

abs_path() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }

CACHE_DIR="$(abs_path "${TONGBAN_INFRA_CACHE_DIR:-$INFRA_DIR/.cache}")"
RUN_DIR="$(abs_path "${TONGBAN_INFRA_RUN_DIR:-$INFRA_DIR/.run}")"
LIBS_DIR="$CACHE_DIR/kafka-libs"
LIBS_MARKER="$LIBS_DIR/.complete"

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${TONGBAN_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${TONGBAN_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DATA_DIR="$(abs_path "${TONGBAN_KAFKA_DATA_DIR:-$INFRA_DIR/.data/kafka}")"
KAFKA_LOG_DIRS="$KAFKA_DATA_DIR/logs"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DATA_DIR/cluster-id"
KAFKA_HEAP_OPTS="${TONGBAN_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT="${TONGBAN_KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${TONGBAN_KAFKA_STOP_TIMEOUT:-30}"
KAFKA_PROPS="$RUN_DIR/kraft.properties"
KAFKA_PID_FILE="$RUN_DIR/kafka.pid"
KAFKA_LOG="$RUN_DIR/kafka.log"
KAFKA_NODE_ID=1
KAFKA_SECURITY="${TONGBAN_KAFKA_SECURITY:-sasl}"
REPO_DIR="$(cd "$INFRA_DIR/.." && pwd)"
SECRETS_DIR="$(abs_path "${TONGBAN_SECRETS_DIR:-$REPO_DIR/.tongban/secrets}")"
KAFKA_CREDENTIALS="$SECRETS_DIR/kafka/127.0.0.1-$KAFKA_PORT.json"
KAFKA_SECURITY_MARKER="$KAFKA_DATA_DIR/security"
KAFKA_ADMIN_CLIENT_PROPS="$RUN_DIR/admin-client.properties"
KAFKA_ADMIN_CONTROLLER_PROPS="$RUN_DIR/admin-controller.properties"
read -r -a KAFKA_NODES <<<"${TONGBAN_KAFKA_NODES:-510000 500000}"
ACL_PLAN="$CONFIG_DIR/kafka-acls.conf"

MYSQL_HOST="${TONGBAN_MYSQL_HOST:-127.0.0.1}"
MYSQL_PORT="${TONGBAN_MYSQL_PORT:-3306}"
MYSQL_SOCKET="${TONGBAN_MYSQL_SOCKET:-/run/mysqld/mysqld.sock}"
MARIADBD=/usr/sbin/mariadbd
MYSQL_START_TIMEOUT=60

REDIS_HOST="${TONGBAN_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${TONGBAN_REDIS_PORT:-6379}"
REDIS_LOG=/var/log/redis/ci.log
REDIS_START_TIMEOUT=15

say() { printf '[infra] %s\n' "$*"; }
warn() { printf '[infra] warning: %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

check_settings() {
  local pair var value
  for pair in TONGBAN_KAFKA_PORT:KAFKA_PORT TONGBAN_KAFKA_CONTROLLER_PORT:KAFKA_CONTROLLER_PORT \
    TONGBAN_MYSQL_PORT:MYSQL_PORT TONGBAN_REDIS_PORT:REDIS_PORT \
    TONGBAN_KAFKA_START_TIMEOUT:KAFKA_START_TIMEOUT TONGBAN_KAFKA_STOP_TIMEOUT:KAFKA_STOP_TIMEOUT; do
    var="${pair#*:}"
    value="${!var}"
    [[ "$value" =~ ^[0-9]+$ ]] || die "${pair%%:*}='$value' is not a number; unset it or give a number"
  done
  [[ "$KAFKA_SECURITY" == plaintext || "$KAFKA_SECURITY" == sasl ]] ||
    die "TONGBAN_KAFKA_SECURITY='$KAFKA_SECURITY' must be plaintext or sasl"
  [[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] ||
    die "TONGBAN_KAFKA_PORT and TONGBAN_KAFKA_CONTROLLER_PORT are both $KAFKA_PORT; they need two different ports"
  case "$KAFKA_DATA_DIR" in
    *'|'* | *$'\n'*) die "TONGBAN_KAFKA_DATA_DIR must not contain '|' or a newline: $KAFKA_DATA_DIR" ;;
  esac
}

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

# ---------------------------------------------------------------- Kafka jars

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n 1; }

fetch_kafka_libs() {
  local pom_hash version
  pom_hash="$(sha256sum "$POM" | cut -d' ' -f1)"
  version="$(kafka_version)"
  # The marker is written only after a complete copy and names the pom it came from.
  if [[ -f "$LIBS_MARKER" && "$(cat "$LIBS_MARKER")" == "$pom_hash" ]]; then
    return 0
  fi
  if [[ -d "$LIBS_DIR" ]]; then
    say "Kafka jars in $LIBS_DIR are incomplete or older than infra/pom.xml; fetching them again"
  fi
  rm -rf "$LIBS_DIR"
  mkdir -p "$LIBS_DIR"
  say "fetching Kafka $version jars with Maven into $LIBS_DIR (first run only; seconds to a minute, depending on the network)"
  local mvn_log="$CACHE_DIR/mvn.log"
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS_DIR" -DincludeScope=runtime >"$mvn_log" 2>&1 9>&-; then
    tail -n 30 "$mvn_log" | sed 's/^/    /' >&2
    die "Maven could not fetch the Kafka jars (last lines of $mvn_log above); check that Maven Central (or the mirror in ~/.m2/settings.xml) is reachable, then run this again"
  fi
  local jar
  for jar in "kafka_2.13-$version.jar" "kafka-tools-$version.jar" "kafka-clients-$version.jar"; do
    [[ -f "$LIBS_DIR/$jar" ]] || die "Maven finished but $jar is not in $LIBS_DIR; check infra/pom.xml"
  done
  ls "$LIBS_DIR"/slf4j-reload4j-*.jar >/dev/null 2>&1 ||
    die "no slf4j binding in $LIBS_DIR (Kafka would log nothing); check infra/pom.xml"
  printf '%s\n' "$pom_hash" >"$LIBS_MARKER"
  say "Kafka jars ready ($(find "$LIBS_DIR" -name '*.jar' | wc -l) jars)"
}

# Short-lived Kafka command-line classes: small heap, quick JIT, warnings only.
kafka_tool() {
  java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$CONFIG_DIR/tools-log4j.properties" \
    -cp "$LIBS_DIR/*" "$@"
}

# ---------------------------------------------------------------- Kafka security (TONGBAN_KAFKA_SECURITY=sasl)

kafka_principals() {
  local node
  printf '%s\n' admin relay gateway ops delivery
  for node in "${KAFKA_NODES[@]}"; do printf '%s\n' "region-node-$node" "partner-$node"; done
}

# Generates the broker's SCRAM users and passwords once, into the ignored secrets folder. Production
# supplies its own from a secret store (see docs/partners.md and infra/PRODUCTION.md).
ensure_kafka_credentials() {
  local name missing=0
  if [[ -s "$KAFKA_CREDENTIALS" ]]; then
    for name in $(kafka_principals); do grep -q "\"$name\":" "$KAFKA_CREDENTIALS" || missing=1; done
    ((missing)) || return 0
    say "adding principals missing from $KAFKA_CREDENTIALS"
  fi
  if [[ ! -s "$KAFKA_CREDENTIALS" && -f "$KAFKA_SECURITY_MARKER" ]]; then
    # New passwords for data that holds old ones: the next start re-keys it like a migration (topics kept).
    say "no credentials file for existing Kafka data in $KAFKA_DATA_DIR; new passwords are set on this start"
    rm -f "$KAFKA_SECURITY_MARKER" "$KAFKA_DATA_DIR/principals.sha"
  fi
  mkdir -p "$(dirname "$KAFKA_CREDENTIALS")"
  chmod 700 "$SECRETS_DIR" "$(dirname "$KAFKA_CREDENTIALS")" 2>/dev/null || true
  local tmp="$KAFKA_CREDENTIALS.tmp" first=1 pw
  {
    printf '{\n  "mechanism": "scram-sha-512",\n  "bootstrap": "%s:%s",\n  "defaultUser": "admin",\n  "users": {\n' "$KAFKA_HOST" "$KAFKA_PORT"
    for name in $(kafka_principals); do
      pw=""
      [[ -s "$KAFKA_CREDENTIALS" ]] && pw="$(kafka_password "$name" 2>/dev/null || true)"
      [[ -n "$pw" ]] || pw="$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
      ((first)) || printf ',\n'
      first=0
      printf '    "%s": "%s"' "$name" "$pw"
    done
    printf '\n  }\n}\n'
  } >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$KAFKA_CREDENTIALS"
  say "Kafka credentials for $(kafka_principals | wc -l) principals are in $KAFKA_CREDENTIALS (not committed)"
}

kafka_password() {
  local pw
  pw="$(sed -n "s/^ *\"$1\": *\"\([A-Za-z0-9]*\)\".*/\1/p" "$KAFKA_CREDENTIALS" | head -n 1)"
  [[ -n "$pw" ]] || die "no password for Kafka principal $1 in $KAFKA_CREDENTIALS; delete the file to generate new ones (then 'infra.sh reset')"
  printf '%s\n' "$pw"
}

write_admin_client_props() {
  local pw
  pw="$(kafka_password admin)"
  (umask 077 && printf '%s\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=SCRAM-SHA-512' \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$pw\";" \
    >"$KAFKA_ADMIN_CLIENT_PROPS")
  (umask 077 && printf '%s\n' 'security.protocol=SASL_PLAINTEXT' 'sasl.mechanism=PLAIN' \
    "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$pw\";" \
    >"$KAFKA_ADMIN_CONTROLLER_PROPS")
}

# With SASL the raw Metadata probe is refused before authentication: ask the broker with the admin's
# credentials instead (a JVM start, so slower, but it proves that SCRAM and the broker work).
kafka_ready_sasl() {
  local out
  out="$(timeout "${1:-20}" java -Xms32m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$CONFIG_DIR/tools-log4j.properties" -cp "$LIBS_DIR/*" \
    kafka.admin.BrokerApiVersionsCommand --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" \
    --command-config "$KAFKA_ADMIN_CLIENT_PROPS" 2>/dev/null)" || return 1
  grep -q "(id: $KAFKA_NODE_ID " <<<"$out"
}

scram_config() { printf 'SCRAM-SHA-512=[iterations=8192,password=%s]' "$(kafka_password "$1")"; }

# Creates (or updates) a SCRAM user; as the admin over PLAIN (`plain`) when the admin itself has no SCRAM
# credential yet, i.e. on the migration start of a data dir first formatted without SASL.
kafka_set_scram_user() {
  local name=$1 via=${2:-broker} out
  local -a target=(--bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --command-config "$KAFKA_ADMIN_CLIENT_PROPS")
  [[ "$via" == plain ]] && target=(--bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --command-config "$KAFKA_ADMIN_CONTROLLER_PROPS")
  out="$(kafka_tool kafka.admin.ConfigCommand "${target[@]}" --alter --add-config "$(scram_config "$name")" \
    --entity-type users --entity-name "$name" 2>&1)" || { printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /' >&2; return 1; }
}

# Users and ACLs of the plan in infra/config/kafka-acls.conf; skipped when nothing changed since the last run.
ensure_kafka_principals() {
  local stamp_file="$KAFKA_DATA_DIR/principals.sha" stamp name
  stamp="$( (cat "$KAFKA_CREDENTIALS" "$ACL_PLAN"; printf '%s\n' "${KAFKA_NODES[@]}") | sha256sum | cut -c1-64)"
  [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]] && return 0
  if [[ ! -f "$KAFKA_DATA_DIR/users-at-format" ]]; then
    say "creating SCRAM users for $(kafka_principals | tr '\n' ' ')"
    for name in $(kafka_principals); do
      kafka_set_scram_user "$name" || die "could not create the SCRAM user $name (output above)"
    done
  fi
  rm -f "$KAFKA_DATA_DIR/users-at-format"
  say "applying the ACLs of $ACL_PLAN for namespace tongban"
  if node -e "require.resolve('kafkajs', { paths: ['$REPO_DIR'] })" 2>/dev/null; then
    TONGBAN_KAFKA_USERNAME=admin TONGBAN_KAFKA_PASSWORD="$(kafka_password admin)" \
      node "$INFRA_DIR/scripts/kafka-acls.js" "$KAFKA_HOST:$KAFKA_PORT" "$ACL_PLAN" tongban "${KAFKA_NODES[@]}" ||
      die "applying the Kafka ACLs failed (output above)"
  else
    apply_acls_with_java
  fi
  printf '%s\n' "$stamp" >"$stamp_file"
}

# Without node_modules (infra.sh run before npm ci): one AclCommand per line, slower but the same ACLs.
apply_acls_with_java() {
  local principal op rtype pattern name node line
  while read -r principal op rtype pattern name; do
    [[ -z "$principal" || "$principal" == \#* ]] && continue
    for node in "${KAFKA_NODES[@]}"; do
      local p="${principal//\$\{NODE\}/$node}" n="${name//\$\{NODE\}/$node}"
      n="${n//\$\{NS\}/tongban}"
      local -a res
      case "$rtype" in
        topic) res=(--topic "$n") ;;
        group) res=(--group "$n") ;;
        cluster) res=(--cluster) ;;
        *) die "$ACL_PLAN: unknown resource type '$rtype'" ;;
      esac
      kafka_tool kafka.admin.AclCommand --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --command-config "$KAFKA_ADMIN_CLIENT_PROPS" \
        --add --allow-principal "User:$p" --operation "$op" --resource-pattern-type "$pattern" "${res[@]}" >/dev/null ||
        die "AclCommand failed for: $line"
      [[ "$principal$name" == *'${NODE}'* ]] || break
    done
  done <"$ACL_PLAN"
}

# A broker we started keeps the security it started with until it is stopped: follow it, and say how to switch.
adopt_running_security() {
  local running=plaintext
  grep -q '^listeners=SASL_PLAINTEXT' "$KAFKA_PROPS" 2>/dev/null && running=sasl
  if [[ "$running" != "$KAFKA_SECURITY" ]]; then
    warn "Kafka on port $KAFKA_PORT was started with security '$running', not '$KAFKA_SECURITY'; it is left as it is and clients follow it. To switch: infra.sh kafka-stop, then infra.sh up"
    KAFKA_SECURITY=$running
  fi
  if [[ "$running" == plaintext && -f "$KAFKA_CREDENTIALS" ]]; then
    mv -f "$KAFKA_CREDENTIALS" "$KAFKA_CREDENTIALS.disabled"
  fi
}

# ---------------------------------------------------------------- Kafka process

render_kafka_props() {
  mkdir -p "$RUN_DIR"
  local template="$CONFIG_DIR/kraft.properties.template" admin_pw=""
  if [[ "$KAFKA_SECURITY" == sasl ]]; then
    template="$CONFIG_DIR/kraft-sasl.properties.template"
    admin_pw="$(kafka_password admin)"
  fi
  (umask 077 && sed -e "s|\${KAFKA_PORT}|$KAFKA_PORT|g" \
    -e "s|\${KAFKA_CONTROLLER_PORT}|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|\${KAFKA_LOG_DIRS}|$KAFKA_LOG_DIRS|g" \
    -e "s|\${ADMIN_PASSWORD}|$admin_pw|g" \
    "$template" >"$KAFKA_PROPS.tmp")
  # shellcheck disable=SC2016
  if grep -v '^#' "$KAFKA_PROPS.tmp" | grep -qF '${'; then
    die "unrendered \${...} left in $KAFKA_PROPS.tmp; infra/config/kraft.properties.template uses a token infra.sh does not know"
  fi
  mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
}

# True if pid is a Kafka broker started by this script with this run dir's properties.
is_our_kafka() {
  [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "kafka.Kafka $KAFKA_PROPS"
}

# Pid of our running broker (from the pid file, or found among the processes), or nothing.
kafka_pid() {
  local pid="" p
  [[ -f "$KAFKA_PID_FILE" ]] && pid="$(tr -dc '0-9' <"$KAFKA_PID_FILE")"
  if [[ -n "$pid" ]] && is_our_kafka "$pid"; then
    printf '%s\n' "$pid"
    return 0
  fi
  # Lost pid file: look for the broker among the processes (one grep, then an exact check).
  for p in $(grep -alF "$KAFKA_PROPS" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    p="${p#/proc/}"
    p="${p%/cmdline}"
    if is_our_kafka "$p" 2>/dev/null; then
      printf '%s\n' "$p"
      return 0
    fi
  done
  return 0
}

# Brings the pid file in line with reality: removes a stale one, writes a lost one.
# Sets KAFKA_RUNNING_PID to the running broker's pid, or to nothing.
KAFKA_RUNNING_PID=""
kafka_sync_pid_file() {
  local recorded="" pid
  [[ -f "$KAFKA_PID_FILE" ]] && recorded="$(tr -dc '0-9' <"$KAFKA_PID_FILE")"
  pid="$(kafka_pid)"
  if [[ -f "$KAFKA_PID_FILE" && "$recorded" != "$pid" ]]; then
    if [[ -z "$recorded" ]]; then
      say "removing an empty Kafka pid file $KAFKA_PID_FILE"
    elif pid_running "$recorded"; then
      say "removing stale Kafka pid file: pid $recorded is now another program, not Kafka"
    else
      say "removing stale Kafka pid file: process $recorded is gone (Kafka crashed or was killed)"
    fi
    rm -f "$KAFKA_PID_FILE"
  fi
  if [[ -n "$pid" && ! -f "$KAFKA_PID_FILE" ]]; then
    say "found our Kafka running without a pid file (pid $pid); recording it"
    printf '%s\n' "$pid" >"$KAFKA_PID_FILE"
  fi
  KAFKA_RUNNING_PID="$pid"
}

# Number of live (unfenced) brokers in a Metadata answer from host:port; fails if nothing answers.
# A listening socket is not enough: a KRaft broker binds its port early but handles requests only
# after catching up with the metadata log, and takes partitions only once unfenced, so this sends
# a real Metadata request (v4, no topics) and reads the broker count from the reply.
kafka_live_brokers() {
  local bytes
  # shellcheck disable=SC2016
  bytes="$(timeout "${3:-3}" bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    # size 22 | api key 3 (Metadata) | version 4 | correlation id 1 | client id "tongban" | topics [] | no auto-create
    printf "\x00\x00\x00\x16\x00\x03\x00\x04\x00\x00\x00\x01\x00\x07tongban\x00\x00\x00\x00\x00" >&3
    head -c 16 <&3 | od -An -tu1 -v
  ' "$1" "$2" 2>/dev/null)" || return 1
  local -a b
  read -r -a b <<<"$bytes"
  ((${#b[@]} == 16)) || return 1
  # reply: size(4) correlation id(4) throttle ms(4) broker count(4)
  ((b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 1)) || return 1
  printf '%s\n' $(((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]))
}

kafka_ready() {
  if [[ "$KAFKA_SECURITY" == sasl ]]; then
    port_open "$KAFKA_HOST" "$KAFKA_PORT" && kafka_ready_sasl "$((${1:-3} + 17))"
    return
  fi
  local n
  n="$(kafka_live_brokers "$KAFKA_HOST" "$KAFKA_PORT" "${1:-3}")" && ((n >= 1))
}

print_kafka_log_tail() {
  if [[ -s "$KAFKA_LOG" ]]; then
    printf '[infra] last 30 lines of %s:\n' "$KAFKA_LOG" >&2
    tail -n 30 "$KAFKA_LOG" | sed 's/^/    /' >&2
  else
    printf '[infra] %s is empty or missing\n' "$KAFKA_LOG" >&2
  fi
}

meta_prop() { sed -n "s/^$1=//p" "$2" | head -n 1; }

# Formats the storage on first start; a half-formatted or inconsistent one is wiped and formatted again.
ensure_kafka_storage() {
  local meta="$KAFKA_LOG_DIRS/meta.properties" reason="" meta_id meta_node recorded_id
  mkdir -p "$KAFKA_DATA_DIR"
  # An empty log dir (made by hand, or by a format that died at once) is simply formatted.
  rmdir "$KAFKA_LOG_DIRS" 2>/dev/null || true
  if [[ -d "$KAFKA_LOG_DIRS" ]]; then
    if [[ ! -s "$meta" ]]; then
      reason="$KAFKA_LOG_DIRS exists but has no meta.properties (an earlier format or first start was interrupted)"
    elif [[ ! -e "$KAFKA_LOG_DIRS/bootstrap.checkpoint" && ! -d "$KAFKA_LOG_DIRS/__cluster_metadata-0" ]]; then
      reason="$KAFKA_LOG_DIRS has meta.properties but neither bootstrap.checkpoint nor a metadata log (format was interrupted)"
    else
      meta_id="$(meta_prop cluster.id "$meta")"
      meta_node="$(meta_prop node.id "$meta")"
      recorded_id=""
      [[ -s "$KAFKA_CLUSTER_ID_FILE" ]] && recorded_id="$(tr -d '[:space:]' <"$KAFKA_CLUSTER_ID_FILE")"
      if [[ "$meta_node" != "$KAFKA_NODE_ID" ]]; then
        reason="meta.properties belongs to node.id '$meta_node', this broker is node.id $KAFKA_NODE_ID"
      elif [[ -z "$recorded_id" ]]; then
        say "cluster id file $KAFKA_CLUSTER_ID_FILE is missing; restoring it from meta.properties ($meta_id)"
        printf '%s\n' "$meta_id" >"$KAFKA_CLUSTER_ID_FILE"
      elif [[ "$recorded_id" != "$meta_id" ]]; then
        reason="cluster id mismatch: $KAFKA_CLUSTER_ID_FILE says $recorded_id, meta.properties says $meta_id"
      fi
    fi
    if [[ -n "$reason" ]]; then
      say "Kafka storage is not usable: $reason"
      say "re-formatting Kafka storage in $KAFKA_LOG_DIRS; its topics and messages are deleted"
      rm -rf "$KAFKA_LOG_DIRS" "$KAFKA_CLUSTER_ID_FILE"
    fi
  fi
  [[ -d "$KAFKA_LOG_DIRS" ]] && return 0

  local cluster_id out
  if [[ -s "$KAFKA_CLUSTER_ID_FILE" ]]; then
    cluster_id="$(tr -d '[:space:]' <"$KAFKA_CLUSTER_ID_FILE")"
  else
    cluster_id="$(kafka_tool kafka.tools.StorageTool random-uuid | tail -n 1 | tr -d '[:space:]')" ||
      die "kafka.tools.StorageTool random-uuid failed; check the jars in $LIBS_DIR (delete it to fetch again)"
    printf '%s\n' "$cluster_id" >"$KAFKA_CLUSTER_ID_FILE"
  fi
  [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] ||
    die "'$cluster_id' in $KAFKA_CLUSTER_ID_FILE is not a Kafka cluster id; delete the file and run again"
  say "formatting Kafka storage in $KAFKA_LOG_DIRS (cluster id $cluster_id, $KAFKA_SECURITY)"
  local -a scram=()
  if [[ "$KAFKA_SECURITY" == sasl ]]; then
    # Every user's SCRAM credential is written into the metadata log at format time (KIP-900).
    local name
    for name in $(kafka_principals); do scram+=(--add-scram "SCRAM-SHA-512=[name=$name,iterations=8192,password=$(kafka_password "$name")]"); done
  fi
  if ! out="$(kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPS" "${scram[@]}" 2>&1)"; then
    rm -rf "$KAFKA_LOG_DIRS"
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    die "formatting Kafka storage failed (output above); the half-written $KAFKA_LOG_DIRS was removed, run again after fixing the cause"
  fi
  printf '%s\n' "$KAFKA_SECURITY" >"$KAFKA_SECURITY_MARKER"
  [[ "$KAFKA_SECURITY" == sasl ]] && : >"$KAFKA_DATA_DIR/users-at-format"
  rm -f "$KAFKA_DATA_DIR/principals.sha"
  return 0
}

kafka_start() {
  check_settings
  ensure_java_maven
  fetch_kafka_libs
  local pid started=$SECONDS migrate=0
  kafka_sync_pid_file
  pid="$KAFKA_RUNNING_PID"
  if [[ -n "$pid" ]]; then
    adopt_running_security
    if [[ "$KAFKA_SECURITY" == sasl ]]; then
      ensure_kafka_credentials
      write_admin_client_props
    fi
    if kafka_ready; then
      say "Kafka already running on $KAFKA_HOST:$KAFKA_PORT (pid $pid); left as it is"
      [[ "$KAFKA_SECURITY" == sasl ]] && ensure_kafka_principals
      return 0
    fi
    say "Kafka is running (pid $pid) but not answering yet; waiting for it"
  else
    if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
      if KAFKA_SECURITY=plaintext kafka_ready || { [[ "$KAFKA_SECURITY" == sasl && -s "$KAFKA_CREDENTIALS" ]] && write_admin_client_props && kafka_ready; }; then
        warn "a Kafka broker not started by this script ($(port_owner "$KAFKA_PORT")) answers on $KAFKA_HOST:$KAFKA_PORT; using it as it is (stop it yourself to run ours)"
        return 0
      fi
      die "port $KAFKA_PORT is taken by $(port_owner "$KAFKA_PORT"), which is not an answering Kafka; stop it or set TONGBAN_KAFKA_PORT"
    fi
    port_open 127.0.0.1 "$KAFKA_CONTROLLER_PORT" &&
      die "controller port $KAFKA_CONTROLLER_PORT is taken by $(port_owner "$KAFKA_CONTROLLER_PORT"); stop it or set TONGBAN_KAFKA_CONTROLLER_PORT"

    if [[ "$KAFKA_SECURITY" == plaintext && -f "$KAFKA_CREDENTIALS" ]]; then
      # Clients must not try SCRAM against a PLAINTEXT listener.
      say "Kafka runs without SASL on port $KAFKA_PORT; moving its old credentials aside ($KAFKA_CREDENTIALS.disabled)"
      mv -f "$KAFKA_CREDENTIALS" "$KAFKA_CREDENTIALS.disabled"
    fi
    if [[ "$KAFKA_SECURITY" == sasl ]]; then
      ensure_kafka_credentials
      write_admin_client_props
    fi
    render_kafka_props
    ensure_kafka_storage
    if [[ "$KAFKA_SECURITY" == sasl && "$(cat "$KAFKA_SECURITY_MARKER" 2>/dev/null)" != sasl ]]; then
      say "the Kafka data in $KAFKA_LOG_DIRS was formatted without SASL: migrating it (topics kept) by adding the SCRAM users after start"
      migrate=1
      rm -f "$KAFKA_DATA_DIR/users-at-format" "$KAFKA_DATA_DIR/principals.sha"
    fi
    if ((migrate)); then
      local admin_pw
      admin_pw="$(kafka_password admin)"
      # This start only: PLAIN for the admin beside SCRAM, to add the SCRAM users to data formatted without SASL.
      printf '%s\n' 'listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN' \
        "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$admin_pw\" user_admin=\"$admin_pw\";" \
        >>"$KAFKA_PROPS"
    fi
    [[ -f "$KAFKA_LOG" ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
    local -a heap
    read -r -a heap <<<"$KAFKA_HEAP_OPTS"
    say "starting Kafka $(kafka_version) (KRaft, node 1) on $KAFKA_HOST:$KAFKA_PORT, data in $KAFKA_DATA_DIR"
    # setsid: a test runner that kills its process group must not take the broker with it.
    # 9>&- : the broker must not inherit the lock of this script.
    # shellcheck disable=SC2016
    nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID_FILE" \
      java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -Dkafka.logs.dir="$RUN_DIR" \
      -Dlog4j.configuration="file:$CONFIG_DIR/log4j.properties" \
      -cp "$LIBS_DIR/*" kafka.Kafka "$KAFKA_PROPS" \
      >>"$KAFKA_LOG" 2>&1 </dev/null 9>&- &
    local i
    for ((i = 0; i < 50; i++)); do
      [[ -s "$KAFKA_PID_FILE" ]] && break
      sleep 0.1
    done
    pid="$(tr -dc '0-9' <"$KAFKA_PID_FILE" 2>/dev/null || true)"
    [[ -n "$pid" ]] || die "Kafka did not write its pid file $KAFKA_PID_FILE; see $KAFKA_LOG"
  fi

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  if ((migrate)); then
    # The admin has no SCRAM credential yet (Kafka 3.9 refuses SCRAM changes through the controller
    # listener), so this one start also accepts PLAIN for the admin; then the broker restarts SCRAM-only.
    until kafka_set_scram_user admin plain 2>/dev/null; do
      if ! pid_running "$pid" || ((SECONDS >= deadline)); then
        warn "could not add the admin's SCRAM credential to the existing data; re-formatting instead (its topics and messages are deleted)"
        migrate=0
        break
      fi
      sleep 1
    done
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" "$KAFKA_STOP_TIMEOUT" || kill -KILL "$pid" 2>/dev/null || true
    rm -f "$KAFKA_PID_FILE"
    if ((migrate)); then
      printf 'sasl\n' >"$KAFKA_SECURITY_MARKER"
      say "the admin's SCRAM credential is in place; restarting with SCRAM only (the other users follow)"
    else
      rm -rf "$KAFKA_LOG_DIRS" "$KAFKA_CLUSTER_ID_FILE" "$KAFKA_SECURITY_MARKER"
    fi
    kafka_start
    return
  fi
  while ! kafka_ready 2; do
    if ! pid_running "$pid"; then
      rm -f "$KAFKA_PID_FILE"
      print_kafka_log_tail
      die "Kafka (pid $pid) exited during start-up; the log above says why. 'infra.sh reset' wipes its data if the storage is broken"
    fi
    if ((SECONDS >= deadline)); then
      print_kafka_log_tail
      die "Kafka (pid $pid) did not answer on $KAFKA_HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT} s; it is still running: read the log above, then 'infra.sh kafka-stop'"
    fi
    sleep 0.5
  done
  if [[ "$KAFKA_SECURITY" == sasl ]]; then
    ensure_kafka_principals
    say "Kafka ready on $KAFKA_HOST:$KAFKA_PORT with SASL/SCRAM-SHA-512 and ACLs (pid $pid) after $((SECONDS - started)) s; credentials in $KAFKA_CREDENTIALS"
    return 0
  fi
  say "Kafka ready on $KAFKA_HOST:$KAFKA_PORT (pid $pid) after $((SECONDS - started)) s"
}

wait_gone() {
  local pid=$1 seconds=$2 deadline
  deadline=$((SECONDS + seconds))
  while pid_running "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

kafka_stop() {
  check_settings
  local pid
  kafka_sync_pid_file
  pid="$KAFKA_RUNNING_PID"
  if [[ -z "$pid" ]]; then
    say "Kafka is not running (nothing to stop)"
    return 0
  fi
  say "stopping Kafka (pid $pid, SIGTERM; up to ${KAFKA_STOP_TIMEOUT} s for a clean shutdown)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" "$KAFKA_STOP_TIMEOUT"; then
    warn "Kafka (pid $pid) still running after ${KAFKA_STOP_TIMEOUT} s; sending SIGKILL (next start recovers its logs)"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || die "Kafka (pid $pid) survived SIGKILL; check 'ps -p $pid' (a process stuck in the kernel)"
  fi
  rm -f "$KAFKA_PID_FILE"
  say "Kafka stopped"
}

# Crash simulation for chaos tests: no clean shutdown, the pid file stays behind as after a real crash.
kafka_kill() {
  check_settings
  local pid
  pid="$(kafka_pid)"
  if [[ -z "$pid" ]]; then
    say "Kafka is not running (nothing to kill)"
    return 0
  fi
  say "killing Kafka (pid $pid) with SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || die "Kafka (pid $pid) survived SIGKILL"
  say "Kafka killed; the next start recovers its logs"
}

kafka_reset() {
  kafka_stop
  # Only what this script creates is removed, so a data dir pointed at a shared folder stays safe.
  rm -rf "$KAFKA_LOG_DIRS" "$KAFKA_CLUSTER_ID_FILE"
  rm -f "$KAFKA_SECURITY_MARKER" "$KAFKA_DATA_DIR/principals.sha" "$KAFKA_DATA_DIR/users-at-format"
  rmdir "$KAFKA_DATA_DIR" 2>/dev/null || true
  say "Kafka data wiped ($KAFKA_DATA_DIR); the next start formats fresh storage"
}

# ---------------------------------------------------------------- MariaDB

mysql_ping() {
  timeout 5 mariadb-admin --protocol=tcp -h"$MYSQL_HOST" -P"$MYSQL_PORT" -uroot --connect-timeout=2 ping >/dev/null 2>&1
}

mysql_root_query() {
  timeout 10 mariadb --protocol=tcp -h"$MYSQL_HOST" -P"$MYSQL_PORT" -uroot --connect-timeout=3 -N -B -e "$1"
}

# Root logs in over TCP with an empty password; on a fresh Debian install it may only work over the socket.
ensure_mysql_root_tcp() {
  local err
  if err="$(mysql_root_query 'select 1' 2>&1 >/dev/null)"; then
    return 0
  fi
  if ! is_local_host "$MYSQL_HOST"; then
    die "root cannot log in to MariaDB at $MYSQL_HOST:$MYSQL_PORT with an empty password ($err); give root an empty password there or point TONGBAN_MYSQL_HOST at a development server"
  fi
  say "root cannot log in over TCP with an empty password (${err%%$'\n'*}); fixing root's accounts through $MYSQL_SOCKET"
  timeout 20 mariadb --protocol=socket -S "$MYSQL_SOCKET" -uroot <<'SQL' ||
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
ALTER USER 'root'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS 'root'@'::1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
ALTER USER 'root'@'::1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
GRANT ALL PRIVILEGES ON *.* TO 'root'@'::1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
    die "could not change root's login through the socket $MYSQL_SOCKET; as the machine's root run: mariadb -uroot, then ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('')"
  err="$(mysql_root_query 'select 1' 2>&1 >/dev/null)" ||
    die "root still cannot log in over TCP after the fix: $err"
  say "root now logs in over TCP with an empty password"
}

ensure_mariadb() {
  if ! command -v mariadb-admin >/dev/null || ! command -v mariadb >/dev/null; then
    if is_local_host "$MYSQL_HOST" && [[ ! -x "$MARIADBD" ]]; then
      say "MariaDB is not installed"
      apt_install mariadb-server mariadb-client
    else
      apt_install mariadb-client
    fi
  fi
  if mysql_ping; then
    say "MariaDB answers on $MYSQL_HOST:$MYSQL_PORT"
  else
    if ! is_local_host "$MYSQL_HOST"; then
      die "MariaDB at $MYSQL_HOST:$MYSQL_PORT does not answer; start it there, or unset TONGBAN_MYSQL_HOST to use this machine's"
    fi
    if port_open "$MYSQL_HOST" "$MYSQL_PORT"; then
      die "port $MYSQL_PORT is taken by $(port_owner "$MYSQL_PORT"), which does not answer as MariaDB; stop it or set TONGBAN_MYSQL_PORT"
    fi
    if [[ ! -x "$MARIADBD" ]]; then
      say "MariaDB is not installed ($MARIADBD missing)"
      apt_install mariadb-server
    fi
    if ! mysql_ping; then
      if [[ ! -d /var/lib/mysql/mysql ]]; then
        say "creating MariaDB's system tables in /var/lib/mysql"
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null ||
          die "mariadb-install-db failed; run it by hand to see why"
      fi
      say "starting MariaDB (the machine's $MARIADBD, configured in /etc/mysql)"
      mkdir -p /run/mysqld
      chown mysql:mysql /run/mysqld 2>/dev/null || true
      start-stop-daemon --start --oknodo --background --exec "$MARIADBD" 9>&- ||
        die "start-stop-daemon could not start $MARIADBD; see /var/log/mysql/error.log"
      local deadline=$((SECONDS + MYSQL_START_TIMEOUT))
      until mysql_ping; do
        if ((SECONDS >= deadline)); then
          [[ -r /var/log/mysql/error.log ]] && tail -n 20 /var/log/mysql/error.log | sed 's/^/    /' >&2
          die "MariaDB did not answer on $MYSQL_HOST:$MYSQL_PORT within $MYSQL_START_TIMEOUT s; see /var/log/mysql/error.log (port and bind-address are set in /etc/mysql)"
        fi
        sleep 0.5
      done
    fi
    say "MariaDB answers on $MYSQL_HOST:$MYSQL_PORT"
  fi
  ensure_mysql_root_tcp
}

# ---------------------------------------------------------------- Redis

redis_ping() { [[ "$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

ensure_redis() {
  if ! command -v redis-cli >/dev/null; then
    if is_local_host "$REDIS_HOST" && ! command -v redis-server >/dev/null; then
      say "Redis is not installed"
      apt_install redis-server redis-tools
    else
      apt_install redis-tools
    fi
  fi
  if redis_ping; then
    say "Redis answers on $REDIS_HOST:$REDIS_PORT"
    return 0
  fi
  is_local_host "$REDIS_HOST" ||
    die "Redis at $REDIS_HOST:$REDIS_PORT does not answer; start it there, or unset TONGBAN_REDIS_HOST to use this machine's"
  if port_open "$REDIS_HOST" "$REDIS_PORT"; then
    local answer
    answer="$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>&1 || true)"
    die "something on $REDIS_HOST:$REDIS_PORT ($(port_owner "$REDIS_PORT")) does not answer PING with PONG ('${answer:-no answer}'); a Redis with a password is not supported for local runs, stop it or set TONGBAN_REDIS_PORT"
  fi
  command -v redis-server >/dev/null || {
    say "Redis is not installed"
    apt_install redis-server
  }
  mkdir -p /var/lib/redis /var/log/redis
  say "starting Redis on 127.0.0.1:$REDIS_PORT (no persistence, log $REDIS_LOG)"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile "$REDIS_LOG" 9>&- ||
    die "redis-server failed to start; see $REDIS_LOG"
  local deadline=$((SECONDS + REDIS_START_TIMEOUT))
  until redis_ping; do
    if ((SECONDS >= deadline)); then
      [[ -r "$REDIS_LOG" ]] && tail -n 20 "$REDIS_LOG" | sed 's/^/    /' >&2
      die "Redis did not answer on $REDIS_HOST:$REDIS_PORT within $REDIS_START_TIMEOUT s; see $REDIS_LOG"
    fi
    sleep 0.2
  done
  say "Redis answers on $REDIS_HOST:$REDIS_PORT"
}

# ---------------------------------------------------------------- status

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
json_num_or_null() { [[ "$1" =~ ^[0-9]+$ ]] && printf '%s' "$1" || printf 'null'; }

# Fills S_STATE S_PID S_VERSION S_NOTE for one component.
status_kafka() {
  S_STATE=down S_PID="" S_VERSION="$(kafka_version)" S_NOTE=""
  local recorded=""
  S_PID="$(kafka_pid)"
  [[ -n "$S_PID" ]] && adopt_running_security 2>/dev/null
  [[ -f "$KAFKA_PID_FILE" ]] && recorded="$(tr -dc '0-9' <"$KAFKA_PID_FILE")"
  if kafka_ready 3; then
    S_STATE=up
    if [[ -n "$S_PID" ]]; then
      S_NOTE="KRaft single node, $KAFKA_SECURITY, data $KAFKA_DATA_DIR, log $KAFKA_LOG"
    else
      S_NOTE="not started by infra.sh ($(port_owner "$KAFKA_PORT"))"
    fi
  elif [[ -n "$S_PID" ]]; then
    S_STATE=starting
    S_NOTE="process runs but does not answer yet; see $KAFKA_LOG"
  elif [[ -n "$recorded" ]]; then
    S_NOTE="stale pid file (process $recorded is gone); 'infra.sh up' cleans it"
  else
    S_NOTE="start with 'infra.sh up'"
  fi
}

status_mariadb() {
  S_STATE=down S_PID="" S_VERSION="" S_NOTE="machine service, left running by 'down'"
  if command -v mariadb-admin >/dev/null && mysql_ping; then
    if S_VERSION="$(mysql_root_query 'select version()' 2>/dev/null)"; then
      S_STATE=up
    else
      S_STATE=no-login
      S_NOTE="answers, but root cannot log in over TCP with an empty password; 'infra.sh up' fixes it"
    fi
    if is_local_host "$MYSQL_HOST"; then
      S_PID="$(port_pid "$MYSQL_PORT")"
    fi
  fi
}

status_redis() {
  S_STATE=down S_PID="" S_VERSION="" S_NOTE="machine service, left running by 'down'"
  if command -v redis-cli >/dev/null && redis_ping; then
    S_STATE=up
    local info
    info="$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" info server 2>/dev/null | tr -d '\r' || true)"
    S_VERSION="$(sed -n 's/^redis_version://p' <<<"$info")"
    S_PID="$(sed -n 's/^process_id://p' <<<"$info")"
  fi
}

status() {
  check_settings
  local json=0 arg
  for arg in "$@"; do
    case "$arg" in
      --json) json=1 ;;
      *) die "status: unknown option '$arg' (only --json)" ;;
    esac
  done
  local all_up=1 name host port out="" first=1
  for name in kafka mariadb redis; do
    case "$name" in
      kafka) host=$KAFKA_HOST port=$KAFKA_PORT ;;
      mariadb) host=$MYSQL_HOST port=$MYSQL_PORT ;;
      redis) host=$REDIS_HOST port=$REDIS_PORT ;;
    esac
    "status_$name"
    [[ "$S_STATE" == up ]] || all_up=0
    if ((json)); then
      ((first)) || out+=","
      first=0
      out+="$(json_str "$name"):{\"state\":$(json_str "$S_STATE"),\"host\":$(json_str "$host"),\"port\":$port"
      out+=",\"address\":$(json_str "$host:$port"),\"pid\":$(json_num_or_null "$S_PID")"
      out+=",\"version\":$( [[ -n "$S_VERSION" ]] && json_str "$S_VERSION" || printf null)"
      out+=",\"managedByInfra\":$( [[ $name == kafka ]] && printf true || printf false)"
      out+=",\"note\":$(json_str "$S_NOTE")}"
    else
      local label="${S_VERSION:--}"
      [[ $name == kafka ]] && label="Kafka $S_VERSION"
      printf '[infra] %-8s %-9s %-16s %-11s %-26s %s\n' "$name" "$S_STATE" "$host:$port" \
        "pid ${S_PID:--}" "$label" "$S_NOTE"
    fi
  done
  if ((json)); then
    printf '{"ok":%s,%s}\n' "$( ((all_up)) && printf true || printf false)" "$out"
  fi
  ((all_up))
}

# ---------------------------------------------------------------- commands

with_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/infra.lock"
  if ! flock -n 9; then
    say "another infra.sh is working in $RUN_DIR; waiting for it (up to 180 s)"
    flock -w 180 9 || die "infra.sh in $RUN_DIR is still busy after 180 s; check 'ps -ef | grep infra.sh'"
  fi
}

usage() {
  sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-help}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    up)
      with_lock
      local t0=$SECONDS
      say "bringing up local infrastructure: MariaDB, Redis, Kafka"
      check_settings
      ensure_mariadb
      ensure_redis
      kafka_start
      say "all up in $((SECONDS - t0)) s: Kafka $KAFKA_HOST:$KAFKA_PORT, MariaDB $MYSQL_HOST:$MYSQL_PORT (root, empty password), Redis $REDIS_HOST:$REDIS_PORT"
      ;;
    down)
      with_lock
      kafka_stop
      say "Kafka data kept in $KAFKA_DATA_DIR ('infra.sh reset' wipes it)"
      say "MariaDB and Redis are machine services and keep running"
      ;;
    status) status "$@" ;;
    kafka-start) with_lock && kafka_start ;;
    kafka-stop) with_lock && kafka_stop ;;
    kafka-kill) with_lock && kafka_kill ;;
    reset) with_lock && kafka_reset ;;
    logs)
      local follow=0 lines=100
      while (($#)); do
        case "$1" in
          -f | --follow) follow=1 ;;
          -n) shift; lines="${1:-}" ;;
          *) die "logs: unknown option '$1' (use -f, -n N)" ;;
        esac
        shift
      done
      [[ "$lines" =~ ^[0-9]+$ ]] || die "logs: -n needs a number"
      [[ -f "$KAFKA_LOG" ]] || die "no Kafka log yet at $KAFKA_LOG; start Kafka with 'infra.sh up'"
      if ((follow)); then exec tail -n "$lines" -F "$KAFKA_LOG"; else tail -n "$lines" "$KAFKA_LOG"; fi
      ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      die "unknown command '$cmd'"
      ;;
  esac
}

# Sourcing the file (for tests of single functions) defines them without running anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
