# MariaDB: the machine's server, started when down, root over TCP with an empty password.
# shellcheck shell=bash

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
  ensure_client MariaDB "$MYSQL_HOST" "$MARIADBD" mariadb-server mariadb-client mariadb-admin mariadb
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
      wait_until "$MYSQL_START_TIMEOUT" 0.5 /var/log/mysql/error.log \
        "MariaDB did not answer on $MYSQL_HOST:$MYSQL_PORT within $MYSQL_START_TIMEOUT s; see /var/log/mysql/error.log (port and bind-address are set in /etc/mysql)" \
        mysql_ping
    fi
    say "MariaDB answers on $MYSQL_HOST:$MYSQL_PORT"
  fi
  ensure_mysql_root_tcp
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

