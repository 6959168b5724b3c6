#!/usr/bin/env bash
# Local infrastructure for tongban: a KRaft Kafka cluster per province (Sichuan 510000, Chongqing 500000)
# run from jars that Maven fetches (infra/pom.xml), MirrorMaker 2 between them over TLS, plus the
# machine's MariaDB and Redis, started when they are down.
#
#   infra.sh up | down | status [--json] | kafka-up | kafka-down | logs [-f] [-n N] [name]
#   infra.sh kafka-start | kafka-stop | kafka-kill | reset [province]   one broker (no province: the single
#            development broker on TONGBAN_KAFKA_PORT, or all nodes of its quorum; 510000 or 500000: that
#            province's cluster)
#   infra.sh mirror-start | mirror-stop | mirror-kill <province>       the mirror that runs in (pulls into) it
#   infra.sh kafka-kill-node | kafka-start-node <n> [province]   one node of a quorum (TONGBAN_KAFKA_BROKERS_PER_CLUSTER
#            > 1; the single cluster's, or the province's): kill -9 it, or start it again (it catches up from the others)
#
# Environment (defaults in brackets):
#   TONGBAN_PROVINCES [two]               two: Sichuan and Chongqing clusters and a mirror each way;
#                                         single: one broker on TONGBAN_KAFKA_PORT, no link (development)
#   Sichuan (and the single broker):
#   TONGBAN_KAFKA_PORT [9092]             local clients, SASL/SCRAM
#   TONGBAN_KAFKA_LINK_PORT [9093]        SASL_SSL listener for the other province (two provinces only)
#   TONGBAN_KAFKA_CONTROLLER_PORT [19192] KRaft controller (was 9093 before the link existed)
#   TONGBAN_KAFKA_DATA_DIR [infra/.data/kafka]
#   Chongqing:
#   TONGBAN_KAFKA_CQ_PORT [9094]  TONGBAN_KAFKA_CQ_LINK_PORT [9095]  TONGBAN_KAFKA_CQ_CONTROLLER_PORT [19194]
#   TONGBAN_KAFKA_CQ_DATA_DIR [infra/.data/kafka-500000]
#   TONGBAN_KAFKA_BROKERS_PER_CLUSTER [1] 1, 3 or 5 nodes in the single cluster, or in each province's cluster;
#                                         each node is broker and controller, the nodes are the KRaft quorum. Node n
#                                         (1..N) of the single cluster listens on TONGBAN_KAFKA_PORT + 2(n-1), its
#                                         controller on TONGBAN_KAFKA_CONTROLLER_PORT + 2(n-1); node n of a province on
#                                         each of the province's ports (client, link, controller) + 100(n-1): Sichuan
#                                         9092/9192/9292, links 9093/9193/9293; Chongqing 9094/9194/9294, links
#                                         9095/9195/9295. Its data in <data dir>/quorum-N/node-n, its log
#                                         kafka[-500000]-node<n>.log in the run dir. With more than one:
#                                         default.replication.factor 3 (internal and mirror topics too) and
#                                         min.insync.replicas 2; each mirror bootstraps from every node of both sides.
#   TONGBAN_KAFKA_HEAP_OPTS [-Xms256m -Xmx1g; each node of a quorum -Xms128m -Xmx384m]
#   TONGBAN_MIRROR_HEAP_OPTS [-Xms64m -Xmx384m]
#   TONGBAN_KAFKA_START_TIMEOUT [90]      TONGBAN_KAFKA_STOP_TIMEOUT [30]   (seconds)
#   TONGBAN_MIRROR_TOPICS_REFRESH [5]     seconds between the mirror's looks for new inbox topics
#   TONGBAN_MIRROR_FAULT_SECONDS [60]     how long a fault in a mirror's log (refused login, missing ACL) keeps
#                                         it 'error' in status once it stops repeating
#   TONGBAN_INFRA_LOCK_WAIT [180]         seconds a command waits for another infra.sh working in the same run dir
#   TONGBAN_MYSQL_HOST [127.0.0.1]        TONGBAN_MYSQL_PORT [3306]
#   TONGBAN_MYSQL_SOCKET [/run/mysqld/mysqld.sock]  (only used to repair root's login)
#   TONGBAN_REDIS_HOST [127.0.0.1]        TONGBAN_REDIS_PORT [6379]
#   TONGBAN_INFRA_RUN_DIR [infra/.run]    TONGBAN_INFRA_CACHE_DIR [infra/.cache]
#     (a second set of brokers for a test needs its own run dir, data dirs and ports)
#   TONGBAN_KAFKA_SECURITY [sasl]         sasl: SASL/SCRAM-SHA-512 with ACLs (StandardAuthorizer); or plaintext
#                                         (single broker only: the link needs SCRAM and TLS)
#   TONGBAN_SECRETS_DIR [.tongban/secrets] generated local credentials (never committed): each cluster's users
#     and passwords in <secrets dir>/kafka/127.0.0.1-<port>.json, where createKafka finds them; each province's
#     CA and broker key stores in <secrets dir>/tls/<province>/
#   TONGBAN_KAFKA_NODES [510000 500000]   receiving nodes: one region-node and one partner principal each
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG_DIR="$INFRA_DIR/config"
POM="$INFRA_DIR/pom.xml"
LIB_DIR="$INFRA_DIR/scripts/lib"
REPO_DIR="$(cd "$INFRA_DIR/.." && pwd)"

abs_path() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }

CACHE_DIR="$(abs_path "${TONGBAN_INFRA_CACHE_DIR:-$INFRA_DIR/.cache}")"
RUN_DIR="$(abs_path "${TONGBAN_INFRA_RUN_DIR:-$INFRA_DIR/.run}")"
LIBS_DIR="$CACHE_DIR/kafka-libs"
LIBS_MARKER="$LIBS_DIR/.complete"
SECRETS_DIR="$(abs_path "${TONGBAN_SECRETS_DIR:-$REPO_DIR/.tongban/secrets}")"

PROVINCES="${TONGBAN_PROVINCES:-two}"
KAFKA_HOST=127.0.0.1
SC_PORT="${TONGBAN_KAFKA_PORT:-9092}"
SC_LINK_PORT="${TONGBAN_KAFKA_LINK_PORT:-9093}"
SC_CONTROLLER_PORT="${TONGBAN_KAFKA_CONTROLLER_PORT:-19192}"
SC_DATA_DIR="$(abs_path "${TONGBAN_KAFKA_DATA_DIR:-$INFRA_DIR/.data/kafka}")"
CQ_PORT="${TONGBAN_KAFKA_CQ_PORT:-9094}"
CQ_LINK_PORT="${TONGBAN_KAFKA_CQ_LINK_PORT:-9095}"
CQ_CONTROLLER_PORT="${TONGBAN_KAFKA_CQ_CONTROLLER_PORT:-19194}"
CQ_DATA_DIR="$(abs_path "${TONGBAN_KAFKA_CQ_DATA_DIR:-$INFRA_DIR/.data/kafka-500000}")"
KAFKA_BROKERS_PER_CLUSTER="${TONGBAN_KAFKA_BROKERS_PER_CLUSTER:-1}"
KAFKA_PROVINCE_NODE_STEP=100
if [[ "$KAFKA_BROKERS_PER_CLUSTER" == 1 ]]; then
  KAFKA_HEAP_OPTS="${TONGBAN_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
else
  KAFKA_HEAP_OPTS="${TONGBAN_KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}"
fi
KAFKA_START_TIMEOUT="${TONGBAN_KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${TONGBAN_KAFKA_STOP_TIMEOUT:-30}"
KAFKA_SECURITY="${TONGBAN_KAFKA_SECURITY:-sasl}"
read -r -a KAFKA_NODES <<<"${TONGBAN_KAFKA_NODES:-510000 500000}"
ACL_PLAN="$CONFIG_DIR/kafka-acls.conf"
MIRROR_SOURCE_ACLS="$CONFIG_DIR/mirror-source-acls.conf"
MIRROR_TARGET_ACLS="$CONFIG_DIR/mirror-target-acls.conf"
MIRROR_HEAP_OPTS="${TONGBAN_MIRROR_HEAP_OPTS:--Xms64m -Xmx384m}"
MIRROR_TOPICS_REFRESH="${TONGBAN_MIRROR_TOPICS_REFRESH:-5}"
MIRROR_FAULT_SECONDS="${TONGBAN_MIRROR_FAULT_SECONDS:-60}"
INFRA_LOCK_WAIT="${TONGBAN_INFRA_LOCK_WAIT:-180}"

MYSQL_HOST="${TONGBAN_MYSQL_HOST:-127.0.0.1}"
MYSQL_PORT="${TONGBAN_MYSQL_PORT:-3306}"
MYSQL_SOCKET="${TONGBAN_MYSQL_SOCKET:-/run/mysqld/mysqld.sock}"
MARIADBD=/usr/sbin/mariadbd
MYSQL_START_TIMEOUT=60

REDIS_HOST="${TONGBAN_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${TONGBAN_REDIS_PORT:-6379}"
REDIS_LOG=/var/log/redis/ci.log
REDIS_START_TIMEOUT=15

# shellcheck source=lib/common.sh
source "$LIB_DIR/common.sh"
# shellcheck source=lib/kafka.sh
source "$LIB_DIR/kafka.sh"
# shellcheck source=lib/kafka-security.sh
source "$LIB_DIR/kafka-security.sh"
# shellcheck source=lib/tls.sh
source "$LIB_DIR/tls.sh"
# shellcheck source=lib/mirror.sh
source "$LIB_DIR/mirror.sh"
# shellcheck source=lib/mariadb.sh
source "$LIB_DIR/mariadb.sh"
# shellcheck source=lib/redis.sh
source "$LIB_DIR/redis.sh"
# shellcheck source=lib/status.sh
source "$LIB_DIR/status.sh"

check_settings() {
  local pair var value
  for pair in TONGBAN_KAFKA_PORT:SC_PORT TONGBAN_KAFKA_LINK_PORT:SC_LINK_PORT TONGBAN_KAFKA_CONTROLLER_PORT:SC_CONTROLLER_PORT \
    TONGBAN_KAFKA_CQ_PORT:CQ_PORT TONGBAN_KAFKA_CQ_LINK_PORT:CQ_LINK_PORT TONGBAN_KAFKA_CQ_CONTROLLER_PORT:CQ_CONTROLLER_PORT \
    TONGBAN_MYSQL_PORT:MYSQL_PORT TONGBAN_REDIS_PORT:REDIS_PORT TONGBAN_MIRROR_TOPICS_REFRESH:MIRROR_TOPICS_REFRESH \
    TONGBAN_MIRROR_FAULT_SECONDS:MIRROR_FAULT_SECONDS TONGBAN_INFRA_LOCK_WAIT:INFRA_LOCK_WAIT \
    TONGBAN_KAFKA_START_TIMEOUT:KAFKA_START_TIMEOUT TONGBAN_KAFKA_STOP_TIMEOUT:KAFKA_STOP_TIMEOUT \
    TONGBAN_KAFKA_BROKERS_PER_CLUSTER:KAFKA_BROKERS_PER_CLUSTER; do
    var="${pair#*:}"
    value="${!var}"
    [[ "$value" =~ ^[0-9]+$ ]] || die "${pair%%:*}='$value' is not a number; unset it or give a number"
  done
  [[ "$PROVINCES" == two || "$PROVINCES" == single ]] || die "TONGBAN_PROVINCES='$PROVINCES' must be two or single"
  [[ "$KAFKA_SECURITY" == plaintext || "$KAFKA_SECURITY" == sasl ]] ||
    die "TONGBAN_KAFKA_SECURITY='$KAFKA_SECURITY' must be plaintext or sasl"
  [[ "$PROVINCES" == single || "$KAFKA_SECURITY" == sasl ]] ||
    die "TONGBAN_KAFKA_SECURITY=plaintext works only with TONGBAN_PROVINCES=single: the link between provinces needs SCRAM and TLS"
  [[ "$KAFKA_BROKERS_PER_CLUSTER" =~ ^[135]$ ]] ||
    die "TONGBAN_KAFKA_BROKERS_PER_CLUSTER='$KAFKA_BROKERS_PER_CLUSTER' must be 1, 3 or 5 (a KRaft quorum needs an odd number of voters)"
  local -a ports=()
  local n step=2 base
  [[ "$PROVINCES" == two ]] && step=$KAFKA_PROVINCE_NODE_STEP
  for ((n = 1; n <= KAFKA_BROKERS_PER_CLUSTER; n++)); do
    for base in "$SC_PORT" "$SC_CONTROLLER_PORT"; do ports+=("$((base + step * (n - 1)))"); done
    if [[ "$PROVINCES" == two ]]; then
      for base in "$SC_LINK_PORT" "$CQ_PORT" "$CQ_LINK_PORT" "$CQ_CONTROLLER_PORT"; do ports+=("$((base + step * (n - 1)))"); done
    fi
  done
  local dup
  dup="$(printf '%s\n' "${ports[@]}" | sort | uniq -d | head -n 1)"
  [[ -z "$dup" ]] || die "port $dup is given to two Kafka listeners (TONGBAN_KAFKA_*PORT; with several nodes, node n uses each port + $step(n-1)); every listener needs its own port"
  [[ "$PROVINCES" == single || "$SC_DATA_DIR" != "$CQ_DATA_DIR" ]] ||
    die "TONGBAN_KAFKA_DATA_DIR and TONGBAN_KAFKA_CQ_DATA_DIR are the same folder; each province needs its own"
  case "$SC_DATA_DIR$CQ_DATA_DIR" in
    *'|'* | *$'\n'*) die "TONGBAN_KAFKA_DATA_DIR and TONGBAN_KAFKA_CQ_DATA_DIR must not contain '|' or a newline" ;;
  esac
}

# The clusters `up` starts, in start order.
clusters() { if [[ "$PROVINCES" == two ]]; then printf '%s\n' 510000 500000; else printf '%s\n' single; fi; }
# The mirrors it starts (named by the province each runs in), in start order: none for a single cluster.
mirrors() { if [[ "$PROVINCES" == two ]]; then printf '%s\n' 500000 510000; fi; }

kafka_up() {
  local cluster target
  for cluster in $(clusters); do
    kafka_select "$cluster"
    kafka_start
  done
  for target in $(mirrors); do
    mirror_select "$target"
    mirror_start
  done
}

kafka_down() {
  local target
  # Mirrors first: a mirror whose cluster went away first only logs errors until it is stopped. Whatever the
  # mode, everything of the other mode that still runs is stopped too (e.g. down with single after up with two).
  for target in 500000 510000; do
    mirror_select "$target"
    if [[ "$PROVINCES" == two || -n "$(mirror_pid)" ]]; then mirror_stop; fi
  done
  kafka_select 500000
  if [[ "$PROVINCES" == two || -n "$(kafka_pid)" ]]; then kafka_stop; fi
  kafka_select "$(clusters | head -n 1)"
  kafka_stop
}

# The broker a one-broker command acts on: the single development broker, or a province's (510000, 500000).
select_one() {
  local which="${1:-single}"
  case "$which" in
    single) kafka_select single ;;
    510000 | 500000) kafka_select "$which" ;;
    *) die "unknown province '$which' (510000 Sichuan, 500000 Chongqing, or nothing for the single broker)" ;;
  esac
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
      check_settings
      say "bringing up local infrastructure: MariaDB, Redis, Kafka ($([[ $PROVINCES == two ]] && echo "two provinces$( ((KAFKA_BROKERS_PER_CLUSTER > 1)) && echo " of $KAFKA_BROKERS_PER_CLUSTER nodes each") and their link" || { ((KAFKA_BROKERS_PER_CLUSTER > 1)) && echo "one cluster of $KAFKA_BROKERS_PER_CLUSTER nodes" || echo 'single broker'; }))"
      ensure_mariadb
      ensure_redis
      kafka_up
      if [[ "$PROVINCES" == two ]]; then
        local sc cq
        kafka_select 510000 && sc="$(kafka_quorum_ports) (link $(kafka_quorum_link_ports))"
        kafka_select 500000 && cq="$(kafka_quorum_ports) (link $(kafka_quorum_link_ports))"
        say "all up in $((SECONDS - t0)) s: Kafka Sichuan $sc, Chongqing $cq$( ((KAFKA_NODE_COUNT > 1)) && echo " ($KAFKA_NODE_COUNT nodes each, RF $KAFKA_REPLICATION_FACTOR, min ISR $KAFKA_MIN_INSYNC_REPLICAS)"), MirrorMaker 2 each way, MariaDB $MYSQL_HOST:$MYSQL_PORT (root, empty password), Redis $REDIS_HOST:$REDIS_PORT"
      else
        kafka_select single
        say "all up in $((SECONDS - t0)) s: Kafka $(kafka_quorum_ports)$( ((KAFKA_NODE_COUNT > 1)) && echo " ($KAFKA_NODE_COUNT nodes, RF $KAFKA_REPLICATION_FACTOR, min ISR $KAFKA_MIN_INSYNC_REPLICAS)"), MariaDB $MYSQL_HOST:$MYSQL_PORT (root, empty password), Redis $REDIS_HOST:$REDIS_PORT"
      fi
      ;;
    down)
      with_lock
      check_settings
      kafka_down
      say "Kafka data kept ('infra.sh reset' wipes it)"
      say "MariaDB and Redis are machine services and keep running"
      ;;
    kafka-up) with_lock && check_settings && kafka_up ;;
    kafka-down) with_lock && check_settings && kafka_down ;;
    status) check_settings && status "$@" ;;
    kafka-start) with_lock && check_settings && select_one "${1:-}" && kafka_start ;;
    kafka-stop) with_lock && check_settings && select_one "${1:-}" && kafka_stop ;;
    kafka-kill) with_lock && check_settings && select_one "${1:-}" && kafka_kill ;;
    kafka-kill-node | kafka-start-node)
      case "${2:-single}" in 510000 | 500000 | single) with_cluster_lock "${2:-single}" ;; *) with_lock ;; esac
      check_settings
      select_one "${2:-}"
      ((KAFKA_NODE_COUNT > 1)) || die "$cmd: $KAFKA_NAME has one node; set TONGBAN_KAFKA_BROKERS_PER_CLUSTER=3 for a quorum (or use kafka-kill / kafka-start)"
      [[ -n "${1:-}" ]] || die "$cmd needs a node number (1 to $KAFKA_NODE_COUNT), then the province for a province's cluster"
      kafka_select_node "$1"
      if [[ "$cmd" == kafka-kill-node ]]; then kafka_kill_node "$1"; else kafka_quorum_start "$1"; fi
      ;;
    reset)
      with_lock
      check_settings
      if [[ -n "${1:-}" ]]; then
        select_one "$1" && kafka_reset
      else
        local target cluster
        for target in $(mirrors); do mirror_select "$target" && mirror_stop; done
        for cluster in $(clusters); do kafka_select "$cluster" && kafka_reset; done
      fi
      ;;
    mirror-start | mirror-stop | mirror-kill)
      with_lock
      check_settings
      [[ "$PROVINCES" == two ]] || die "$cmd: there is no mirror with TONGBAN_PROVINCES=single"
      mirror_select "${1:-}"
      "mirror_${cmd#mirror-}"
      ;;
    logs) show_logs "$@" ;;
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
