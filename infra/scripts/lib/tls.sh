# TLS for the link between provinces: a CA per province and a certificate per broker, made with the JDK's
# keytool into <secrets dir>/tls/<province>/ (PKCS12, never committed). Production uses certificates from the
# province's own CA instead (docs/deployment.md).
# shellcheck shell=bash

TLS_CA_DAYS=3650
TLS_CERT_DAYS=397
# A broker certificate that expires within this many days is issued again at the next start.
TLS_RENEW_DAYS=30
TLS_SAN="SAN=ip:127.0.0.1,dns:localhost"

tls_dir() { printf '%s/tls/%s\n' "$SECRETS_DIR" "$1"; }

# The province's store password (one per province, for its CA and its brokers' key stores).
tls_password() {
  local file
  file="$(tls_dir "$1")/store-password"
  if [[ ! -s "$file" ]]; then
    mkdir -p "$(dirname "$file")"
    chmod 700 "$SECRETS_DIR" "$SECRETS_DIR/tls" "$(dirname "$file")" 2>/dev/null || true
    (umask 077 && head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$file")
  fi
  cat "$file"
}

keytool_quiet() {
  local out
  out="$(keytool "$@" 2>&1)" || { printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /' >&2; return 1; }
}

# The province's CA: ca.p12 (key and certificate) and ca.pem (the certificate clients of the link trust).
tls_ensure_ca() {
  local province=$1 dir pw
  dir="$(tls_dir "$province")"
  pw="$(tls_password "$province")"
  [[ -s "$dir/ca.p12" && -s "$dir/ca.pem" ]] && return 0
  command -v keytool >/dev/null || die "keytool (from the JDK) is missing; install default-jdk-headless"
  rm -f "$dir/ca.p12" "$dir/ca.pem"
  say "creating the local CA of province $province in $dir"
  keytool_quiet -genkeypair -alias ca -keyalg RSA -keysize 2048 -validity "$TLS_CA_DAYS" \
    -dname "CN=tongban local CA $province,O=tongban,C=CN" -ext bc:c -ext ku:c=keyCertSign,cRLSign \
    -keystore "$dir/ca.p12" -storetype PKCS12 -storepass "$pw" ||
    die "keytool could not create the CA of province $province (output above)"
  keytool_quiet -exportcert -rfc -alias ca -keystore "$dir/ca.p12" -storepass "$pw" -file "$dir/ca.pem" ||
    die "keytool could not export the CA certificate of province $province"
  chmod 600 "$dir/ca.p12"
  chmod 644 "$dir/ca.pem"
  # A new CA invalidates the brokers' old certificates.
  rm -f "$dir"/broker-*.p12
}

# True if the key store's certificate is valid for at least TLS_RENEW_DAYS more days.
tls_still_valid() {
  local until epoch
  until="$(keytool -list -v -alias broker -keystore "$1" -storepass "$2" 2>/dev/null | sed -n 's/.*until: //p' | head -n 1)"
  [[ -n "$until" ]] || return 1
  epoch="$(date -d "$until" +%s 2>/dev/null)" || return 1
  ((epoch - $(date +%s) > TLS_RENEW_DAYS * 86400))
}

# Sets TLS_KEYSTORE and TLS_PASSWORD for the broker of `province` whose link listener is on `port`: a
# PKCS12 key store with the broker's key and its certificate (SAN 127.0.0.1 and localhost) signed by the CA.
tls_ensure_broker() {
  local province=$1 port=$2 dir pw store
  tls_ensure_ca "$province"
  dir="$(tls_dir "$province")"
  pw="$(tls_password "$province")"
  store="$dir/broker-127.0.0.1-$port.p12"
  TLS_KEYSTORE=$store TLS_PASSWORD=$pw
  if [[ -s "$store" ]] && tls_still_valid "$store" "$pw"; then return 0; fi
  [[ -s "$store" ]] && say "the certificate in $store expires within $TLS_RENEW_DAYS days (or is unreadable); issuing a new one"
  say "issuing the certificate of the province $province broker (link port $port) from the province's CA"
  local tmp="$store.tmp" csr="$dir/broker-$port.csr" crt="$dir/broker-$port.pem"
  rm -f "$tmp" "$csr" "$crt"
  keytool_quiet -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity "$TLS_CERT_DAYS" \
    -dname "CN=127.0.0.1,OU=kafka province $province,O=tongban,C=CN" -ext "$TLS_SAN" \
    -keystore "$tmp" -storetype PKCS12 -storepass "$pw" &&
    keytool_quiet -certreq -alias broker -keystore "$tmp" -storepass "$pw" -file "$csr" &&
    keytool_quiet -gencert -alias ca -keystore "$dir/ca.p12" -storepass "$pw" -infile "$csr" -outfile "$crt" -rfc \
      -validity "$TLS_CERT_DAYS" -ext "$TLS_SAN" -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth &&
    keytool_quiet -importcert -noprompt -alias ca -file "$dir/ca.pem" -keystore "$tmp" -storepass "$pw" &&
    keytool_quiet -importcert -noprompt -alias broker -file "$crt" -keystore "$tmp" -storepass "$pw" ||
    { rm -f "$tmp" "$csr" "$crt"; die "keytool could not issue the broker certificate of province $province (output above)"; }
  rm -f "$csr" "$crt"
  chmod 600 "$tmp"
  mv -f "$tmp" "$store"
}
