# Redis: the machine's server, started when down (no persistence).
# shellcheck shell=bash

redis_ping() { [[ "$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

ensure_redis() {
  ensure_client Redis "$REDIS_HOST" redis-server redis-server redis-tools redis-cli
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
  wait_until "$REDIS_START_TIMEOUT" 0.2 "$REDIS_LOG" "Redis did not answer on $REDIS_HOST:$REDIS_PORT within $REDIS_START_TIMEOUT s; see $REDIS_LOG" redis_ping
  say "Redis answers on $REDIS_HOST:$REDIS_PORT"
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

