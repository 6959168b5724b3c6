# MirrorMaker 2 in dedicated mode, one per direction, running in the province it writes into: it pulls
# from the other province's link listener (SASL_SSL, hostname checked against the source CA's certificate)
# and writes into its own cluster. See docs/deployment.md for why it runs where it pulls.
# shellcheck shell=bash

MIRROR_CLASS=org.apache.kafka.connect.mirror.MirrorMaker
# Lines in a mirror's log that mean it cannot do its job; infra:status shows the last one.
MIRROR_FAULTS='SaslAuthenticationException|SSLHandshakeException|AuthorizationException|No resolvable bootstrap|Authentication failed|CertificateException|ConfigException'

# Points the mirror_* functions at the mirror running in province `target` (510000 or 500000).
mirror_select() {
  local target=${1:-}
  [[ "$target" == 510000 || "$target" == 500000 ]] ||
    die "which mirror? give the province it runs in and writes into: 510000 (Sichuan) or 500000 (Chongqing)"
  MIRROR_TARGET=$target
  MIRROR_SOURCE="$(other_province "$target")"
  MIRROR_TARGET_ALIAS="$(province_alias "$target")"
  MIRROR_SOURCE_ALIAS="$(province_alias "$MIRROR_SOURCE")"
  MIRROR_NAME="mirror-$MIRROR_TARGET_ALIAS"
  MIRROR_PROPS="$RUN_DIR/mirror-$target.properties"
  MIRROR_PID_FILE="$RUN_DIR/mirror-$target.pid"
  MIRROR_LOG="$RUN_DIR/mirror-$target.log"
  # Inboxes of every node of the target province (division codes start with its two digits), in any
  # namespace (tests use their own), and the audit witness records addressed to the province
  # (<ns>.<province>.witness: the other province's audit heads, or its receipt of ours); the ACLs of
  # mirror-source-acls.conf decide which of them the mirror can actually see. MIRROR_PATTERN is the regex;
  # MIRROR_TOPICS the same, escaped for a properties file.
  MIRROR_PATTERN=".*\\.${target:0:2}\\d{4}\\.(inbox|witness)"
  MIRROR_TOPICS="${MIRROR_PATTERN//\\/\\\\}"
}

# Pid of the selected mirror (started by this script with this run dir's properties), or nothing.
mirror_pid() { our_pid "$MIRROR_PID_FILE" "$MIRROR_CLASS" "$MIRROR_PROPS"; }

render_mirror_props() {
  local source_links target_ports source_pw target_pw source_ca rf
  kafka_select "$MIRROR_SOURCE"
  source_links="$(kafka_quorum_link_ports)"
  source_pw="$(kafka_password "mirror-$MIRROR_TARGET")"
  source_ca="$(tls_dir "$MIRROR_SOURCE")/ca.pem"
  [[ -s "$source_ca" ]] || die "no CA certificate of province $MIRROR_SOURCE at $source_ca; start its cluster first (infra.sh up)"
  kafka_select "$MIRROR_TARGET"
  target_ports="$(kafka_quorum_ports)"
  rf=$KAFKA_REPLICATION_FACTOR
  target_pw="$(kafka_password "mirror-$MIRROR_TARGET")"
  local s=$MIRROR_SOURCE_ALIAS t=$MIRROR_TARGET_ALIAS
  local scram='org.apache.kafka.common.security.scram.ScramLoginModule required'
  mkdir -p "$RUN_DIR"
  (umask 077 && cat >"$MIRROR_PROPS.tmp" <<EOF
# MirrorMaker 2 (dedicated mode) running in province $MIRROR_TARGET ($t): pulls the topics addressed to
# $MIRROR_TARGET from province $MIRROR_SOURCE ($s) over its TLS link listener. Rendered by infra.sh (mode 600).
clusters=$s, $t

# The source: SCRAM over TLS as mirror-$MIRROR_TARGET, trusting only the source province's CA, host name checked.
$s.bootstrap.servers=$source_links
$s.security.protocol=SASL_SSL
$s.sasl.mechanism=SCRAM-SHA-512
$s.sasl.jaas.config=$scram username="mirror-$MIRROR_TARGET" password="$source_pw";
$s.ssl.truststore.type=PEM
$s.ssl.truststore.location=$source_ca
$s.ssl.endpoint.identification.algorithm=https

# The target: this province's own cluster, as its mirror principal.
$t.bootstrap.servers=$target_ports
$t.security.protocol=SASL_PLAINTEXT
$t.sasl.mechanism=SCRAM-SHA-512
$t.sasl.jaas.config=$scram username="mirror-$MIRROR_TARGET" password="$target_pw";

# One flow: the inboxes and witness records addressed to $MIRROR_TARGET, nothing else (retry and dead-letter
# topics end in .retry.N and .dlq, so the anchored pattern leaves them out).
$s->$t.enabled=true
$s->$t.topics=$MIRROR_TOPICS
$s->$t.topics.exclude=.*[\\-\\.]internal, __.*
$t->$s.enabled=false
groups.exclude=.*
tasks.max=1

# Same topic names on both sides: the receiving node reads tongban.$MIRROR_TARGET.inbox whatever wrote it.
replication.policy.class=org.apache.kafka.connect.mirror.IdentityReplicationPolicy

# Nothing but records crosses: no topic configs, ACLs or consumer offsets, no heartbeats or checkpoints;
# MirrorMaker's offset syncs stay in this province, so the mirror never writes into the source.
sync.topic.configs.enabled=false
sync.topic.acls.enabled=false
sync.group.offsets.enabled=false
emit.checkpoints.enabled=false
emit.heartbeats.enabled=false
refresh.groups.enabled=false
offset-syncs.topic.location=target
refresh.topics.interval.seconds=$MIRROR_TOPICS_REFRESH

# The mirror's internal topics (and any topic it creates) take the target cluster's replication factor: one
# replica on a one-broker province, three on a province of three or more nodes (as in production).
replication.factor=$rf
offset-syncs.topic.replication.factor=$rf
heartbeats.topic.replication.factor=$rf
checkpoints.topic.replication.factor=$rf
config.storage.replication.factor=$rf
offset.storage.replication.factor=$rf
status.storage.replication.factor=$rf

# Progress is stored every 2 s: after a crash at most that much is copied again (at least once; the
# receiving node drops the copies by event id).
# (A Connect worker setting: in dedicated mode the worker of a flow takes it from the target cluster's prefix.)
$t.offset.flush.interval.ms=2000
$t.producer.acks=all
$t.producer.enable.idempotence=true
$t.producer.linger.ms=5
EOF
  )
  mv -f "$MIRROR_PROPS.tmp" "$MIRROR_PROPS"
}

print_mirror_log_tail() { print_log_tail "$MIRROR_LOG" 20 || true; }

# The last fault line of the mirror's log from the last MIRROR_FAULT_SECONDS (60), or nothing (a fault that
# stopped repeating, e.g. an ACL added since, no longer counts).
mirror_fault() {
  [[ -f "$MIRROR_LOG" ]] || return 0
  local since
  since="$(date -d "-$MIRROR_FAULT_SECONDS sec" '+%Y-%m-%d %H:%M:%S')"
  tail -n 2000 "$MIRROR_LOG" | grep -E "^\[.*($MIRROR_FAULTS)" |
    awk -v since="$since" 'substr($0, 2, 19) >= since' | tail -n 1 | cut -c1-300 || true
}

mirror_start() {
  ensure_java_maven
  fetch_kafka_libs
  local pid
  pid="$(mirror_pid)"
  if [[ -n "$pid" ]]; then
    [[ -f "$MIRROR_PID_FILE" ]] || printf '%s\n' "$pid" >"$MIRROR_PID_FILE"
    say "$MIRROR_NAME already running (pid $pid); left as it is"
    return 0
  fi
  rm -f "$MIRROR_PID_FILE"
  kafka_select "$MIRROR_SOURCE"
  if [[ -n "$(kafka_pid)" ]] && ! kafka_running_has_link; then
    warn "$MIRROR_NAME not started: the broker of province $MIRROR_SOURCE runs without its link listener (infra.sh kafka-stop $MIRROR_SOURCE, then infra.sh up)"
    return 0
  fi
  render_mirror_props
  [[ -f "$MIRROR_LOG" ]] && mv -f "$MIRROR_LOG" "$MIRROR_LOG.1"
  local -a heap
  read -r -a heap <<<"$MIRROR_HEAP_OPTS"
  say "starting $MIRROR_NAME: MirrorMaker 2 in province $MIRROR_TARGET, pulling $MIRROR_PATTERN from province $MIRROR_SOURCE over TLS"
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  launch_detached "$MIRROR_PID_FILE" "$MIRROR_LOG" \
    java "${heap[@]}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$CONFIG_DIR/mirror-log4j.properties" \
    -cp "$LIBS_DIR/*" "$MIRROR_CLASS" "$MIRROR_PROPS" --clusters "$MIRROR_TARGET_ALIAS"
  pid=$LAUNCHED_PID
  [[ -n "$pid" ]] || die "$MIRROR_NAME did not write its pid file $MIRROR_PID_FILE; see $MIRROR_LOG"
  # Ready once the worker of the flow has joined its group and started its connectors; the source connector
  # then finds the inbox topics (and creates a task for them) within refresh.topics.interval.seconds.
  until grep -q "clientId=$MIRROR_SOURCE_ALIAS->$MIRROR_TARGET_ALIAS.*Finished starting connectors and tasks" "$MIRROR_LOG" 2>/dev/null; do
    if ! pid_running "$pid"; then
      rm -f "$MIRROR_PID_FILE"
      print_mirror_log_tail
      die "$MIRROR_NAME (pid $pid) exited during start-up; the log above says why"
    fi
    local fault
    fault="$(mirror_fault)"
    if [[ -n "$fault" ]]; then
      print_mirror_log_tail
      die "$MIRROR_NAME (pid $pid) cannot reach or may not read province $MIRROR_SOURCE: $fault (it keeps retrying; 'infra.sh mirror-stop $MIRROR_TARGET' stops it)"
    fi
    if ((SECONDS >= deadline)); then
      print_mirror_log_tail
      die "$MIRROR_NAME (pid $pid) did not start replicating within ${KAFKA_START_TIMEOUT} s; see $MIRROR_LOG"
    fi
    sleep 0.5
  done
  say "$MIRROR_NAME replicating (pid $pid), log $MIRROR_LOG"
}

mirror_stop() {
  local pid
  pid="$(mirror_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$MIRROR_PID_FILE"
    say "$MIRROR_NAME is not running (nothing to stop)"
    return 0
  fi
  say "stopping $MIRROR_NAME (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  end_or_kill "$MIRROR_NAME" "$pid" "$KAFKA_STOP_TIMEOUT"
  rm -f "$MIRROR_PID_FILE"
  say "$MIRROR_NAME stopped"
}

# Crash simulation: no clean shutdown, so the progress since the last flush is copied again after restart.
mirror_kill() { crash "$MIRROR_NAME" "$(mirror_pid)" || true; }

# Fills S_STATE S_PID S_NOTE for the selected mirror.
status_mirror() {
  S_STATE=down S_PID="$(mirror_pid)" S_VERSION="$(kafka_version)" S_NOTE="start with 'infra.sh up'"
  [[ -n "$S_PID" ]] || return 0
  local fault
  fault="$(mirror_fault)"
  if [[ -n "$fault" ]]; then
    S_STATE=error S_NOTE="$fault (log $MIRROR_LOG)"
  else
    S_STATE=up S_NOTE="pulls $MIRROR_PATTERN from province $MIRROR_SOURCE into $MIRROR_TARGET, log $MIRROR_LOG"
  fi
}
