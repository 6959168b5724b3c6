# Kafka jars and brokers: one KRaft node per cluster, or a quorum of TONGBAN_KAFKA_BROKERS_PER_CLUSTER nodes
# (the single cluster, or each province's), selected with kafka_select and kafka_select_node.
# shellcheck shell=bash

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
  for jar in "kafka_2.13-$version.jar" "kafka-tools-$version.jar" "kafka-clients-$version.jar" "connect-mirror-$version.jar"; do
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

# ---------------------------------------------------------------- cluster selection

# Points the kafka_* functions at one cluster: `single` (the development broker, no link), 510000 (Sichuan)
# or 500000 (Chongqing). Sichuan keeps the single broker's port, data dir and run files, so a broker started
# before the provinces existed is found and kept, and the province is a drop-in for it.
kafka_select() {
  local suffix=""
  KAFKA_CLUSTER=$1
  case "$1" in
    single | 510000)
      KAFKA_PORT=$SC_PORT KAFKA_CONTROLLER_PORT=$SC_CONTROLLER_PORT KAFKA_DATA_DIR=$SC_DATA_DIR
      if [[ "$1" == single ]]; then
        KAFKA_LINK_PORT="" KAFKA_DIVISION="" KAFKA_NAME=kafka
      else
        KAFKA_LINK_PORT=$SC_LINK_PORT KAFKA_DIVISION=510000 KAFKA_NAME=kafka-sichuan
      fi
      ;;
    500000)
      KAFKA_PORT=$CQ_PORT KAFKA_CONTROLLER_PORT=$CQ_CONTROLLER_PORT KAFKA_DATA_DIR=$CQ_DATA_DIR
      KAFKA_LINK_PORT=$CQ_LINK_PORT KAFKA_DIVISION=500000 KAFKA_NAME=kafka-chongqing suffix=-500000
      ;;
    *) die "kafka_select: unknown cluster '$1'" ;;
  esac
  # A quorum keeps its data apart from the one-node cluster's, in quorum-<n>/ of the data dir: switching
  # TONGBAN_KAFKA_BROKERS_PER_CLUSTER back and forth never mixes the two.
  KAFKA_NODE_COUNT=1
  if ((KAFKA_BROKERS_PER_CLUSTER > 1)); then
    KAFKA_NODE_COUNT=$KAFKA_BROKERS_PER_CLUSTER
    KAFKA_DATA_DIR="$KAFKA_DATA_DIR/quorum-$KAFKA_NODE_COUNT"
  fi
  # The single cluster's nodes are two ports apart; a province's are KAFKA_PROVINCE_NODE_STEP apart, so that
  # Sichuan's nodes (9092, 9192, 9292; links 9093, 9193, 9293) and Chongqing's (9094, 9194, ...) never meet.
  KAFKA_NODE_STEP=2
  [[ "$1" == single ]] || KAFKA_NODE_STEP=$KAFKA_PROVINCE_NODE_STEP
  KAFKA_BASE_PORT=$KAFKA_PORT KAFKA_BASE_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT KAFKA_BASE_LINK_PORT=$KAFKA_LINK_PORT
  KAFKA_BASE_NAME=$KAFKA_NAME KAFKA_RUN_SUFFIX=$suffix
  KAFKA_REPLICATION_FACTOR=1 KAFKA_MIN_INSYNC_REPLICAS=1
  ((KAFKA_NODE_COUNT > 1)) && KAFKA_REPLICATION_FACTOR=$((KAFKA_NODE_COUNT < 3 ? KAFKA_NODE_COUNT : 3)) KAFKA_MIN_INSYNC_REPLICAS=2
  local n
  KAFKA_QUORUM_VOTERS=""
  for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do
    KAFKA_QUORUM_VOTERS+="${KAFKA_QUORUM_VOTERS:+,}$n@127.0.0.1:$(kafka_node_controller_port "$n")"
  done
  KAFKA_CLUSTER_ID_FILE="$KAFKA_DATA_DIR/cluster-id"
  KAFKA_SECURITY_MARKER="$KAFKA_DATA_DIR/security"
  KAFKA_ADMIN_CLIENT_PROPS="$RUN_DIR/admin-client$suffix.properties"
  KAFKA_ADMIN_CONTROLLER_PROPS="$RUN_DIR/admin-controller$suffix.properties"
  # The cluster's credentials are named after its first client port, the first bootstrap address clients get.
  KAFKA_CREDENTIALS="$SECRETS_DIR/kafka/127.0.0.1-$KAFKA_PORT.json"
  kafka_select_node 1
}

# Ports of node n of a quorum: KAFKA_NODE_STEP apart from the cluster's (the single cluster: TONGBAN_KAFKA_PORT +
# 2(n-1), TONGBAN_KAFKA_CONTROLLER_PORT + 2(n-1), so a cluster whose controller port is its client port + 1, as tests
# pick them, does not collide with itself; a province: each of its ports + 100(n-1)).
kafka_node_port() { printf '%s\n' $((KAFKA_BASE_PORT + KAFKA_NODE_STEP * ($1 - 1))); }
kafka_node_controller_port() { printf '%s\n' $((KAFKA_BASE_CONTROLLER_PORT + KAFKA_NODE_STEP * ($1 - 1))); }
# The link listener of node n (a province's), or nothing for the single cluster.
kafka_node_link_port() { [[ -z "$KAFKA_BASE_LINK_PORT" ]] || printf '%s\n' $((KAFKA_BASE_LINK_PORT + KAFKA_NODE_STEP * ($1 - 1))); }

# Points the per-process variables (ports, storage, properties, pid file, log) at node n of the selected cluster.
# A one-node cluster has only node 1, with the file names it always had.
kafka_select_node() {
  local n=$1
  [[ "$n" =~ ^[0-9]+$ ]] && ((n >= 1 && n <= KAFKA_NODE_COUNT)) ||
    die "no Kafka node '$n': the cluster has nodes 1 to $KAFKA_NODE_COUNT (TONGBAN_KAFKA_BROKERS_PER_CLUSTER)"
  KAFKA_NODE_ID=$n
  KAFKA_PORT="$(kafka_node_port "$n")"
  KAFKA_CONTROLLER_PORT="$(kafka_node_controller_port "$n")"
  KAFKA_LINK_PORT="$(kafka_node_link_port "$n")"
  if ((KAFKA_NODE_COUNT == 1)); then
    KAFKA_LOG_DIRS="$KAFKA_DATA_DIR/logs"
    KAFKA_PROPS="$RUN_DIR/kraft$KAFKA_RUN_SUFFIX.properties"
    KAFKA_PID_FILE="$RUN_DIR/kafka$KAFKA_RUN_SUFFIX.pid"
    KAFKA_LOG="$RUN_DIR/kafka$KAFKA_RUN_SUFFIX.log"
    KAFKA_NAME=$KAFKA_BASE_NAME
  else
    KAFKA_LOG_DIRS="$KAFKA_DATA_DIR/node-$n/logs"
    KAFKA_PROPS="$RUN_DIR/kraft$KAFKA_RUN_SUFFIX-node$n.properties"
    KAFKA_PID_FILE="$RUN_DIR/kafka$KAFKA_RUN_SUFFIX-node$n.pid"
    KAFKA_LOG="$RUN_DIR/kafka$KAFKA_RUN_SUFFIX-node$n.log"
    KAFKA_NAME="$KAFKA_BASE_NAME-$n"
  fi
  KAFKA_RUNNING_PID=""
}

# Province alias used by MirrorMaker 2 (cluster names in mm2.properties, its internal topic names).
province_alias() {
  case "$1" in
    510000) printf 'sichuan\n' ;;
    500000) printf 'chongqing\n' ;;
    *) die "no province alias for '$1'" ;;
  esac
}
other_province() { if [[ "$1" == 510000 ]]; then printf '500000\n'; else printf '510000\n'; fi; }

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
    -e "s|\${KAFKA_NODE_ID}|$KAFKA_NODE_ID|g" \
    -e "s|\${KAFKA_QUORUM_VOTERS}|$KAFKA_QUORUM_VOTERS|g" \
    -e "s|\${KAFKA_REPLICATION_FACTOR}|$KAFKA_REPLICATION_FACTOR|g" \
    -e "s|\${KAFKA_MIN_INSYNC_REPLICAS}|$KAFKA_MIN_INSYNC_REPLICAS|g" \
    -e "s|\${ADMIN_PASSWORD}|$admin_pw|g" \
    "$template" >"$KAFKA_PROPS.tmp")
  [[ -n "$KAFKA_LINK_PORT" ]] && add_link_listener "$KAFKA_PROPS.tmp"
  # shellcheck disable=SC2016
  if grep -v '^#' "$KAFKA_PROPS.tmp" | grep -qF '${'; then
    die "unrendered \${...} left in $KAFKA_PROPS.tmp; infra/config/kraft.properties.template uses a token infra.sh does not know"
  fi
  mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
}

# The province's listener for the other province: SASL_SSL (SCRAM over TLS) on KAFKA_LINK_PORT, with the
# broker's certificate from the province's own CA (lib/tls.sh). Clients check the host name against it.
add_link_listener() {
  local file=$1 admin_pw
  admin_pw="$(kafka_password admin)"
  tls_ensure_broker "$KAFKA_DIVISION" "$KAFKA_LINK_PORT"
  sed -i -e "s|^listeners=SASL_PLAINTEXT://127.0.0.1:$KAFKA_PORT,|listeners=SASL_PLAINTEXT://127.0.0.1:$KAFKA_PORT,LINK://127.0.0.1:$KAFKA_LINK_PORT,|" \
    -e "s|^advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$KAFKA_PORT\$|advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$KAFKA_PORT,LINK://127.0.0.1:$KAFKA_LINK_PORT|" \
    -e 's|^listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,|listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,LINK:SASL_SSL,|' "$file"
  grep -q "^listeners=.*LINK://" "$file" && grep -q "^advertised.listeners=.*LINK://" "$file" && grep -q "LINK:SASL_SSL" "$file" ||
    die "could not add the link listener to $file; infra/config/kraft-sasl.properties.template changed its listener lines"
  cat >>"$file" <<EOF

# Link to the other province (province $KAFKA_DIVISION): SCRAM over TLS, certificate from the province's CA.
listener.name.link.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.link.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_pw";
listener.name.link.ssl.keystore.type=PKCS12
listener.name.link.ssl.keystore.location=$TLS_KEYSTORE
listener.name.link.ssl.keystore.password=$TLS_PASSWORD
listener.name.link.ssl.key.password=$TLS_PASSWORD
listener.name.link.ssl.client.auth=none
listener.name.link.ssl.enabled.protocols=TLSv1.3,TLSv1.2
EOF
}

# True if the running broker of this cluster was started with the link listener (false for a broker
# started before the provinces existed: it keeps running as it is until it is restarted).
kafka_running_has_link() { grep -q '^listeners=.*LINK://' "$KAFKA_PROPS" 2>/dev/null; }

# Pid of the selected node's running broker (started by this script with this run dir's properties), or nothing.
kafka_pid() { our_pid "$KAFKA_PID_FILE" kafka.Kafka "$KAFKA_PROPS"; }

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

print_kafka_log_tail() { print_log_tail "$KAFKA_LOG" 30 || printf '[infra] %s is empty or missing\n' "$KAFKA_LOG" >&2; }

meta_prop() { sed -n "s/^$1=//p" "$2" | head -n 1; }

# Formats the storage on first start; a half-formatted or inconsistent one is wiped and formatted again.
ensure_kafka_storage() {
  local meta="$KAFKA_LOG_DIRS/meta.properties" reason="" meta_id meta_node recorded_id
  mkdir -p "$KAFKA_DATA_DIR" "$(dirname "$KAFKA_LOG_DIRS")"
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

# Starts the selected node's JVM in the background (launch_detached); KAFKA_LAUNCHED_PID is its pid. Readiness is
# kafka_wait_ready's.
KAFKA_LAUNCHED_PID=""
kafka_launch() {
  [[ -f "$KAFKA_LOG" ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
  local -a heap
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  say "starting Kafka $(kafka_version) ($KAFKA_NAME, KRaft, node $KAFKA_NODE_ID) on $KAFKA_HOST:$KAFKA_PORT${KAFKA_LINK_PORT:+ (link $KAFKA_LINK_PORT, SASL_SSL)}, data in $KAFKA_DATA_DIR"
  launch_detached "$KAFKA_PID_FILE" "$KAFKA_LOG" \
    java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true -Dkafka.logs.dir="$RUN_DIR" \
    -Dlog4j.configuration="file:$CONFIG_DIR/log4j.properties" \
    -cp "$LIBS_DIR/*" kafka.Kafka "$KAFKA_PROPS"
  KAFKA_LAUNCHED_PID=$LAUNCHED_PID
  [[ -n "$KAFKA_LAUNCHED_PID" ]] || die "Kafka did not write its pid file $KAFKA_PID_FILE; see $KAFKA_LOG"
}

# Waits until the selected node answers (pid $1, until SECONDS reaches $2); dies with its log's tail if it exits or
# takes too long.
kafka_wait_ready() {
  while ! kafka_ready 2; do
    if ! pid_running "$1"; then
      rm -f "$KAFKA_PID_FILE"
      print_kafka_log_tail
      die "Kafka (pid $1) exited during start-up; the log above says why. 'infra.sh reset' wipes its data if the storage is broken"
    fi
    if ((SECONDS >= $2)); then
      print_kafka_log_tail
      die "Kafka (pid $1) did not answer on $KAFKA_HOST:$KAFKA_PORT within ${KAFKA_START_TIMEOUT} s; it is still running: read the log above, then 'infra.sh kafka-stop'"
    fi
    sleep 0.5
  done
}

kafka_start() {
  check_settings
  if ((KAFKA_NODE_COUNT > 1)); then kafka_quorum_start; return; fi
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
      say "Kafka ($KAFKA_NAME) already running on $KAFKA_HOST:$KAFKA_PORT (pid $pid); left as it is"
      if [[ -n "$KAFKA_LINK_PORT" ]] && ! kafka_running_has_link; then
        warn "this broker was started without the link listener for the other province (port $KAFKA_LINK_PORT); the mirror from it cannot pull until it restarts: infra.sh kafka-stop $KAFKA_DIVISION, then infra.sh up"
      fi
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
      die "controller port $KAFKA_CONTROLLER_PORT of $KAFKA_NAME is taken by $(port_owner "$KAFKA_CONTROLLER_PORT"); stop it or set its TONGBAN_KAFKA_*CONTROLLER_PORT"
    if [[ -n "$KAFKA_LINK_PORT" ]] && port_open 127.0.0.1 "$KAFKA_LINK_PORT"; then
      die "link port $KAFKA_LINK_PORT of $KAFKA_NAME is taken by $(port_owner "$KAFKA_LINK_PORT") (a broker of an older infra.sh had its controller there: stop it with its own infra.sh kafka-stop); or set its TONGBAN_KAFKA_*LINK_PORT"
    fi

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
    kafka_launch
    pid=$KAFKA_LAUNCHED_PID
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
  kafka_wait_ready "$pid" "$deadline"
  if [[ "$KAFKA_SECURITY" == sasl ]]; then
    ensure_kafka_principals
    say "Kafka ready on $KAFKA_HOST:$KAFKA_PORT with SASL/SCRAM-SHA-512 and ACLs (pid $pid) after $((SECONDS - started)) s; credentials in $KAFKA_CREDENTIALS"
    return 0
  fi
  say "Kafka ready on $KAFKA_HOST:$KAFKA_PORT (pid $pid) after $((SECONDS - started)) s"
}

kafka_stop() {
  check_settings
  if ((KAFKA_NODE_COUNT > 1)); then kafka_quorum_stop; return; fi
  local pid
  kafka_sync_pid_file
  pid="$KAFKA_RUNNING_PID"
  if [[ -z "$pid" ]]; then
    say "Kafka is not running (nothing to stop)"
    return 0
  fi
  say "stopping Kafka (pid $pid, SIGTERM; up to ${KAFKA_STOP_TIMEOUT} s for a clean shutdown)"
  kill -TERM "$pid" 2>/dev/null || true
  kafka_end_or_kill "$pid" "$KAFKA_STOP_TIMEOUT"
  rm -f "$KAFKA_PID_FILE"
  say "Kafka stopped"
}

# A broker that does not end within `seconds` of its SIGTERM is killed; the next start recovers its logs.
kafka_end_or_kill() {
  end_or_kill Kafka "$1" "$2" " (next start recovers its logs)" "; check 'ps -p $1' (a process stuck in the kernel)"
}

# Crash simulation for chaos tests (crash): no clean shutdown, the pid file stays behind as after a real crash.
kafka_kill() {
  check_settings
  if ((KAFKA_NODE_COUNT > 1)); then kafka_quorum_kill; return; fi
  crash Kafka "$(kafka_pid)" || return 0
  say "Kafka killed; the next start recovers its logs"
}

kafka_reset() {
  if ((KAFKA_NODE_COUNT > 1)); then kafka_quorum_reset; return; fi
  kafka_stop
  # Only what this script creates is removed, so a data dir pointed at a shared folder stays safe.
  rm -rf "$KAFKA_LOG_DIRS" "$KAFKA_CLUSTER_ID_FILE"
  rm -f "$KAFKA_SECURITY_MARKER" "$KAFKA_DATA_DIR/principals.sha" "$KAFKA_DATA_DIR/users-at-format"
  rmdir "$KAFKA_DATA_DIR" 2>/dev/null || true
  say "Kafka data wiped ($KAFKA_DATA_DIR); the next start formats fresh storage"
}

status_kafka() {
  S_STATE=down S_PID="" S_VERSION="$(kafka_version)" S_NOTE=""
  local recorded=""
  S_PID="$(kafka_pid)"
  [[ -n "$S_PID" ]] && adopt_running_security 2>/dev/null
  [[ -f "$KAFKA_PID_FILE" ]] && recorded="$(tr -dc '0-9' <"$KAFKA_PID_FILE")"
  if kafka_ready 3; then
    S_STATE=up
    if [[ -n "$S_PID" ]]; then
      if ((KAFKA_NODE_COUNT > 1)); then
        S_NOTE="KRaft node $KAFKA_NODE_ID of $KAFKA_NODE_COUNT (broker and controller), $KAFKA_SECURITY, data $(dirname "$KAFKA_LOG_DIRS"), log $KAFKA_LOG"
      else
        S_NOTE="KRaft single node, $KAFKA_SECURITY, data $KAFKA_DATA_DIR, log $KAFKA_LOG"
      fi
      if [[ -n "$KAFKA_LINK_PORT" ]] && ! kafka_running_has_link; then S_NOTE="$S_NOTE; started without the link listener (restart it)"; fi
    else
      S_NOTE="not started by infra.sh ($(port_owner "$KAFKA_PORT"))"
    fi
  elif [[ -n "$S_PID" ]]; then
    S_STATE=starting
    S_NOTE="process runs but does not answer yet; see $KAFKA_LOG"
  elif [[ -n "$recorded" ]]; then
    S_NOTE="stale pid file (process $recorded is gone); 'infra.sh up' cleans it"
    ((KAFKA_NODE_COUNT == 1)) || S_NOTE="stale pid file (process $recorded is gone); 'infra.sh kafka-start-node $KAFKA_NODE_ID${KAFKA_DIVISION:+ $KAFKA_DIVISION}' starts it again"
  else
    S_NOTE="start with 'infra.sh up'"
  fi
}


# ---------------------------------------------------------------- a quorum of nodes (TONGBAN_KAFKA_BROKERS_PER_CLUSTER)

# Starts every node of the quorum that is not running (or only `$1`), then waits for each to answer. All are
# launched before any is awaited: a KRaft quorum of three elects its controller only once two voters are up.
# Users (formatted into every node's storage) and ACLs are the cluster's, applied once through one node.
kafka_quorum_start() {
  ensure_java_maven
  fetch_kafka_libs
  local only=${1:-} n started=$SECONDS
  local -a nodes=() pids=()
  if [[ -n "$only" ]]; then nodes=("$only"); else for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do nodes+=("$n"); done; fi
  if [[ -f "$KAFKA_SECURITY_MARKER" && "$(cat "$KAFKA_SECURITY_MARKER")" != "$KAFKA_SECURITY" ]]; then
    die "the Kafka quorum in $KAFKA_DATA_DIR was formatted with security '$(cat "$KAFKA_SECURITY_MARKER")', not '$KAFKA_SECURITY'; a quorum is not migrated: 'infra.sh reset' wipes it (its topics and messages), or set TONGBAN_KAFKA_SECURITY back"
  fi
  if [[ "$KAFKA_SECURITY" == sasl ]]; then
    kafka_select_node 1
    ensure_kafka_credentials
    write_admin_client_props
  fi
  if [[ -n "$only" ]]; then
    # One node alone cannot register with a controller (it needs a majority of the voters) and gives up.
    local others=0
    for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do
      ((n == only)) && continue
      kafka_select_node "$n"
      [[ -n "$(kafka_pid)" ]] && others=$((others + 1))
    done
    ((others + 1 > KAFKA_NODE_COUNT / 2)) ||
      die "only $others other node(s) of $KAFKA_NODE_COUNT run: node $only would have no controller quorum; start the whole cluster with 'infra.sh kafka-start'"
  fi
  for n in "${nodes[@]}"; do
    kafka_select_node "$n"
    kafka_sync_pid_file
    if [[ -n "$KAFKA_RUNNING_PID" ]]; then
      say "Kafka node $n already running on $KAFKA_HOST:$KAFKA_PORT (pid $KAFKA_RUNNING_PID); left as it is"
      pids+=("$KAFKA_RUNNING_PID")
      continue
    fi
    port_open "$KAFKA_HOST" "$KAFKA_PORT" &&
      die "port $KAFKA_PORT of Kafka node $n is taken by $(port_owner "$KAFKA_PORT"); stop it, or move the cluster with its TONGBAN_KAFKA_*PORT (node n listens on it + $KAFKA_NODE_STEP(n-1))"
    port_open 127.0.0.1 "$KAFKA_CONTROLLER_PORT" &&
      die "controller port $KAFKA_CONTROLLER_PORT of Kafka node $n is taken by $(port_owner "$KAFKA_CONTROLLER_PORT"); stop it, or move the quorum with its TONGBAN_KAFKA_*CONTROLLER_PORT (node n uses it + $KAFKA_NODE_STEP(n-1))"
    [[ -n "$KAFKA_LINK_PORT" ]] && port_open 127.0.0.1 "$KAFKA_LINK_PORT" &&
      die "link port $KAFKA_LINK_PORT of Kafka node $n of $KAFKA_BASE_NAME is taken by $(port_owner "$KAFKA_LINK_PORT"); stop it, or move the province's link with its TONGBAN_KAFKA_*LINK_PORT (node n uses it + $KAFKA_PROVINCE_NODE_STEP(n-1))"
    render_kafka_props
    ensure_kafka_storage
    kafka_launch
    pids+=("$KAFKA_LAUNCHED_PID")
  done
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT)) i
  for i in "${!nodes[@]}"; do
    kafka_select_node "${nodes[$i]}"
    kafka_wait_ready "${pids[$i]}" "$deadline"
  done
  if [[ "$KAFKA_SECURITY" == sasl ]]; then
    ensure_kafka_principals
  fi
  kafka_select_node 1
  local where=""
  [[ "$KAFKA_SECURITY" == sasl ]] && where="; credentials in $KAFKA_CREDENTIALS"
  say "Kafka ready: node(s) ${nodes[*]} of $KAFKA_NODE_COUNT answer ($(kafka_quorum_ports)), replication factor $KAFKA_REPLICATION_FACTOR, min.insync.replicas $KAFKA_MIN_INSYNC_REPLICAS, $KAFKA_SECURITY, after $((SECONDS - started)) s$where"
}

# "127.0.0.1:9092,127.0.0.1:9094,..." : the client addresses of all nodes, as TONGBAN_KAFKA_BROKERS wants them.
kafka_quorum_ports() {
  local n out=""
  for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do out+="${out:+,}$KAFKA_HOST:$(kafka_node_port "$n")"; done
  printf '%s\n' "$out"
}

# The same for the link listeners of a province's nodes (what the other province's mirror bootstraps from).
kafka_quorum_link_ports() {
  local n out=""
  for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do out+="${out:+,}$KAFKA_HOST:$(kafka_node_link_port "$n")"; done
  printf '%s\n' "$out"
}

# SIGTERM to every node at once (each moves its leaderships away while a quorum is still there), SIGKILL to the
# ones still running after TONGBAN_KAFKA_STOP_TIMEOUT.
kafka_quorum_stop() {
  local n pid
  local -a pids=()
  for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do
    kafka_select_node "$n"
    kafka_sync_pid_file
    [[ -n "$KAFKA_RUNNING_PID" ]] && pids+=("$KAFKA_RUNNING_PID")
  done
  kafka_select_node 1
  if ((${#pids[@]} == 0)); then
    say "no Kafka node is running (nothing to stop)"
    return 0
  fi
  say "stopping $((${#pids[@]})) Kafka nodes (pids ${pids[*]}, SIGTERM; up to ${KAFKA_STOP_TIMEOUT} s for a clean shutdown)"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  for pid in "${pids[@]}"; do kafka_end_or_kill "$pid" "$((deadline > SECONDS ? deadline - SECONDS : 0))"; done
  for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do
    kafka_select_node "$n"
    rm -f "$KAFKA_PID_FILE"
  done
  kafka_select_node 1
  say "Kafka stopped ($((${#pids[@]})) nodes)"
}

kafka_quorum_kill() {
  local n
  for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do kafka_kill_node "$n"; done
  kafka_select_node 1
}

# Crash of one node (SIGKILL, the pid file stays as after a real crash); the others keep serving if they are a quorum.
kafka_kill_node() {
  kafka_select_node "$1"
  crash "Kafka node $1" "$(kafka_pid)" ", port $KAFKA_PORT" || return 0
  say "Kafka node $1 killed; 'infra.sh kafka-start-node $1${KAFKA_DIVISION:+ $KAFKA_DIVISION}' (or kafka-start) restarts it and it catches up"
}

kafka_quorum_reset() {
  local n
  kafka_quorum_stop
  for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do
    kafka_select_node "$n"
    rm -rf "$KAFKA_LOG_DIRS"
    rmdir "$(dirname "$KAFKA_LOG_DIRS")" 2>/dev/null || true
  done
  kafka_select_node 1
  rm -f "$KAFKA_CLUSTER_ID_FILE" "$KAFKA_SECURITY_MARKER" "$KAFKA_DATA_DIR/principals.sha" "$KAFKA_DATA_DIR/users-at-format"
  rmdir "$KAFKA_DATA_DIR" "$(dirname "$KAFKA_DATA_DIR")" 2>/dev/null || true
  say "Kafka data of all $KAFKA_NODE_COUNT nodes wiped ($KAFKA_DATA_DIR); the next start formats fresh storage"
}
