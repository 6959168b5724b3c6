# infra.sh status: one line (or one JSON object) per component the scripts run or rely on.
# shellcheck shell=bash

# Services of `npm start`, found by the ports design.md fixes (name, port); Chongqing's only with two provinces.
service_ports() {
  printf '%s\n' "gateway-sichuan 3000" "ops-sichuan 3100" "registry-sichuan 8081" "delivery-sichuan 3400" \
    "region-node-510000 3201" "relay-sichuan 3300"
  [[ "$PROVINCES" == two ]] && printf '%s\n' "gateway-chongqing 3010" "ops-chongqing 3110" "registry-chongqing 8091" "delivery-chongqing 3410" \
    "region-node-500000 3202" "relay-chongqing 3310"
  return 0
}

# Appends one component to STATUS_JSON and prints its line when not in JSON mode.
# S_NAME S_STATE S_PID S_PORTS (space-separated) S_VERSION S_NOTE
status_emit() {
  local ports="" p
  for p in $S_PORTS; do ports+="${ports:+,}$p"; done
  if ((STATUS_AS_JSON)); then
    STATUS_JSON+="${STATUS_JSON:+,}{\"name\":$(json_str "$S_NAME"),\"pid\":$(json_num_or_null "$S_PID"),\"ports\":[$ports]"
    STATUS_JSON+=",\"state\":$(json_str "$S_STATE"),\"version\":$([[ -n "$S_VERSION" ]] && json_str "$S_VERSION" || printf null)"
    STATUS_JSON+=",\"note\":$(json_str "$S_NOTE")}"
  else
    printf '[infra] %-18s %-9s %-18s %-11s %-14s %s\n' "$S_NAME" "$S_STATE" "${S_PORTS// /,}" "pid ${S_PID:--}" "${S_VERSION:--}" "$S_NOTE"
  fi
}

# Emits the component whose status_* function has just filled S_STATE S_PID S_VERSION S_NOTE, under `name` with
# `ports`; one that is not up makes the status fail.
status_counted() {
  S_NAME=$1 S_PORTS=$2
  [[ "$S_STATE" == up ]] || STATUS_ALL_UP=0
  status_emit
}

status() {
  local arg
  STATUS_AS_JSON=0 STATUS_JSON="" STATUS_ALL_UP=1
  for arg in "$@"; do
    case "$arg" in
      --json) STATUS_AS_JSON=1 ;;
      *) die "status: unknown option '$arg' (only --json)" ;;
    esac
  done
  local cluster target name port n
  for cluster in $(clusters); do
    kafka_select "$cluster"
    # One line per node: kafka-1, kafka-sichuan-2, ... for a quorum (TONGBAN_KAFKA_BROKERS_PER_CLUSTER), else the
    # cluster's name.
    for ((n = 1; n <= KAFKA_NODE_COUNT; n++)); do
      kafka_select_node "$n"
      status_kafka
      status_counted "$KAFKA_NAME" "$KAFKA_PORT${KAFKA_LINK_PORT:+ $KAFKA_LINK_PORT} $KAFKA_CONTROLLER_PORT"
    done
  done
  for target in $(mirrors); do
    mirror_select "$target"
    status_mirror
    status_counted "$MIRROR_NAME" ""
  done
  status_mariadb
  status_counted mariadb "$MYSQL_PORT"
  status_redis
  status_counted redis "$REDIS_PORT"
  # Services are started by npm start, not by infra.sh: listed when they listen, not counted as down.
  while read -r name port; do
    S_NAME=$name S_PORTS=$port S_PID="$(port_pid "$port")" S_VERSION="" S_STATE=down S_NOTE="started by npm start"
    if port_open 127.0.0.1 "$port"; then S_STATE=up; else continue; fi
    status_emit
  done < <(service_ports)
  if ((STATUS_AS_JSON)); then
    printf '{"ok":%s,"provinces":"%s","components":[%s]}\n' "$( ((STATUS_ALL_UP)) && printf true || printf false)" "$PROVINCES" "$STATUS_JSON"
  fi
  ((STATUS_ALL_UP))
}

# infra.sh logs [-f] [-n N] [name]: a broker's or a mirror's log (name as in status; default the first broker).
show_logs() {
  local follow=0 lines=100 name="" file
  while (($#)); do
    case "$1" in
      -f | --follow) follow=1 ;;
      -n) shift; lines="${1:-}" ;;
      -*) die "logs: unknown option '$1' (use -f, -n N, and a name from infra.sh status)" ;;
      *) name=$1 ;;
    esac
    shift
  done
  [[ "$lines" =~ ^[0-9]+$ ]] || die "logs: -n needs a number"
  case "$name" in
    "" | kafka) kafka_select "$(clusters | head -n 1)" && file=$KAFKA_LOG ;;
    kafka-[0-9]) kafka_select single && kafka_select_node "${name#kafka-}" && file=$KAFKA_LOG ;;
    kafka-sichuan) kafka_select 510000 && file=$KAFKA_LOG ;;
    kafka-chongqing) kafka_select 500000 && file=$KAFKA_LOG ;;
    kafka-sichuan-[0-9]) kafka_select 510000 && kafka_select_node "${name##*-}" && file=$KAFKA_LOG ;;
    kafka-chongqing-[0-9]) kafka_select 500000 && kafka_select_node "${name##*-}" && file=$KAFKA_LOG ;;
    mirror-sichuan) mirror_select 510000 && file=$MIRROR_LOG ;;
    mirror-chongqing) mirror_select 500000 && file=$MIRROR_LOG ;;
    *) die "logs: no log for '$name' (kafka-sichuan, kafka-chongqing, mirror-sichuan, mirror-chongqing; kafka-<n>, kafka-sichuan-<n>, kafka-chongqing-<n> for a node of a quorum)" ;;
  esac
  [[ -f "$file" ]] || die "no log yet at $file; start it with 'infra.sh up'"
  if ((follow)); then exec tail -n "$lines" -F "$file"; else tail -n "$lines" "$file"; fi
}
