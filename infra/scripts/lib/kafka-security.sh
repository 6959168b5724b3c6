# Kafka security (TONGBAN_KAFKA_SECURITY=sasl): generated SCRAM users, ACLs, admin client settings.
# shellcheck shell=bash

kafka_principals() {
  local node
  printf '%s\n' admin relay gateway ops delivery
  for node in "${KAFKA_NODES[@]}"; do printf '%s\n' "region-node-$node" "partner-$node"; done
  # A province's cluster knows both mirrors: mirror-<p> is the mirror running in province p, which writes into
  # p's cluster and reads, over the link, the topics addressed to p in the other province's cluster.
  if [[ -n "$KAFKA_DIVISION" ]]; then printf '%s\n' mirror-510000 mirror-500000; fi
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
      # kafka_password dies (exits its subshell) for a principal the file lacks: that one gets a new password.
      [[ -s "$KAFKA_CREDENTIALS" ]] && { pw="$(kafka_password "$name" 2>/dev/null)" || pw=""; }
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
  stamp="$( (cat "$KAFKA_CREDENTIALS" "$ACL_PLAN" "$MIRROR_SOURCE_ACLS" "$MIRROR_TARGET_ACLS"; printf '%s\n' "${KAFKA_NODES[@]}" "$KAFKA_DIVISION") | sha256sum | cut -c1-64)"
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
    apply_acl_plan "$ACL_PLAN" "${KAFKA_NODES[@]}"
    if [[ -n "$KAFKA_DIVISION" ]]; then
      local peer
      peer="$(other_province "$KAFKA_DIVISION")"
      say "applying the mirror ACLs: mirror-$peer reads ${peer}'s inbox here, mirror-$KAFKA_DIVISION writes the inbox of $KAFKA_DIVISION"
      apply_acl_plan "$MIRROR_SOURCE_ACLS" "$peer"
      SOURCE="$(province_alias "$peer")" apply_acl_plan "$MIRROR_TARGET_ACLS" "$KAFKA_DIVISION"
    fi
  else
    [[ -z "$KAFKA_DIVISION" ]] || die "the provinces' mirror ACLs need node_modules (kafkajs): run npm ci first"
    apply_acls_with_java
  fi
  printf '%s\n' "$stamp" >"$stamp_file"
}

# One plan of infra/config for namespace tongban; ${SOURCE} (the other province's alias) from the environment.
apply_acl_plan() {
  local plan=$1
  shift
  TONGBAN_KAFKA_USERNAME=admin TONGBAN_KAFKA_PASSWORD="$(kafka_password admin)" TONGBAN_ACL_SOURCE="${SOURCE:-}" \
    node "$INFRA_DIR/scripts/kafka-acls.js" "$KAFKA_HOST:$KAFKA_PORT" "$plan" tongban "$@" ||
    die "applying the Kafka ACLs of $plan failed (output above)"
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

