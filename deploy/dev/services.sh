#!/usr/bin/env bash
# Makes PostgreSQL (with PostGIS and btree_gist) and Redis usable for development and tests, then
# prints `export DATABASE_URL=...` and `export REDIS_URL=...` on stdout, so callers can run
#
#     eval "$(deploy/dev/services.sh)"
#
# Everything else goes to stderr. Order of preference, for each service:
#   1. DATABASE_URL / REDIS_URL from the environment, if they answer;
#   2. the machine's default server (postgres@127.0.0.1:5432 with trust auth, 127.0.0.1:6379);
#   3. a private server started from the machine's binaries (installed from Debian's packages
#      where missing), with its data under ${DOORSTEP_DEV_DIR:-<repo>/.dev}.
#
# Usage: services.sh [up|stop|purge|status]
#   up      (default) as above
#   stop    stops the private servers this script started (by their pid files)
#   purge   stop, then delete their data
#   status  says what is running
#
# Environment:
#   DOORSTEP_DATABASE=NAME       database to name in DATABASE_URL instead of the maintenance
#                                database `postgres` (which tests use); `make dev` asks for doorstep
#   DOORSTEP_PRIVATE_SERVICES=1  skip steps 1 and 2 (forces the private servers; for testing this script)
#   DOORSTEP_DEV_DIR             where private data lives (default <repo>/.dev)
#   DOORSTEP_PG_PORT             private PostgreSQL port (default 55432)
#   DOORSTEP_REDIS_PORT          private Redis port (default 56379)
set -euo pipefail

# Only the final export lines go to the real stdout (fd 3); everything else, including the output
# of apt-get, initdb and friends, goes to stderr.
exec 3>&1 1>&2

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEV_DIR=${DOORSTEP_DEV_DIR:-$REPO/.dev}
PRIVATE=${DOORSTEP_PRIVATE_SERVICES:-0}
PG_PORT=${DOORSTEP_PG_PORT:-55432}
REDIS_PORT=${DOORSTEP_REDIS_PORT:-56379}
PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
DB_NAME=${DOORSTEP_DATABASE:-}
DEFAULT_PG_URL="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
DEFAULT_REDIS_URL="redis://127.0.0.1:6379/0"
export PGCONNECT_TIMEOUT=3

sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # single-quote for the shell

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
is_true() { case "${1,,}" in 1 | true | yes | on) return 0 ;; *) return 1 ;; esac; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  have sudo && SUDO=(sudo) || SUDO=(false) # apt_install reports the problem
fi

# apt_install PKG... installs Debian packages, running `apt-get update` only when the first
# attempt fails (typically: the package lists are missing or stale).
apt_install() {
  if ! have apt-get; then
    log "need Debian packages ($*) but apt-get is not available"
    return 1
  fi
  if [ "${SUDO[0]:-}" = false ]; then
    log "need Debian packages ($*): run as root or install sudo"
    return 1
  fi
  local apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
  log "installing $* (apt-get)"
  if ! "${apt[@]}" install -y --no-install-recommends "$@"; then
    log "install failed; running apt-get update and retrying"
    "${apt[@]}" update -q
    "${apt[@]}" install -y --no-install-recommends "$@"
  fi
}

# detached CMD...: runs CMD with every file descriptor above 2 closed, so a server it starts
# keeps none of ours: not our real stdout (a caller's `$(...)` would never see EOF), not the lock,
# not whatever pipe the caller (make, CI) handed down.
detached() {
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    "$@" # not exec: CMD may be a function (as_pg)
  )
}

# lock_private: serialises the start of private servers between concurrent runs (two `make`s).
lock_private() {
  [ -z "${LOCKED:-}" ] || return 0
  mkdir -p "$DEV_DIR"
  have flock || return 0
  exec 9>>"$DEV_DIR/services.lock"
  flock -w 300 9 || die "another services.sh has held $DEV_DIR/services.lock for 5 minutes"
  LOCKED=1
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

ensure_psql() {
  have psql || apt_install postgresql-client || die "psql is needed; install postgresql-client"
}

pg_answers() { # URL: true if the server accepts our connection and runs a query
  [ -n "$1" ] && psql -d "$1" -XAtqc 'select 1' >/dev/null 2>&1
}

pg_query() { # URL SQL
  psql -d "$1" -XAtqc "$2"
}

# The OS user that owns and runs the private cluster: ourselves, or, as root (initdb and the
# server refuse to run as root), the `postgres` user from Debian's packages, or a dedicated one.
pg_user() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
  elif id postgres >/dev/null 2>&1; then
    echo postgres
  else
    id doorstep-pg >/dev/null 2>&1 ||
      useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin doorstep-pg
    echo doorstep-pg
  fi
}

as_pg() { # CMD...: run as the cluster's owner, from a directory it can read
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u "$PGUSER_OS" -- "$@")
  else
    (cd / && "$@")
  fi
}

# Where the private cluster's data lives: $DEV_DIR/pg, or, when the cluster's owner cannot reach
# that path (a checkout under /root, say), a directory in /var/tmp that $DEV_DIR/pg links to.
pg_data_dir() {
  if [ -L "$DEV_DIR/pg" ]; then
    readlink "$DEV_DIR/pg"
  else
    echo "$DEV_DIR/pg"
  fi
}

pg_private_url() { echo "postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"; }

pg_private_running() { # true if the cluster in $PGDATA_DIR is running
  [ -f "$PGDATA_DIR/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

pg_init_private() {
  mkdir -p "$DEV_DIR"
  local target="$DEV_DIR/pg"
  if [ "$(id -u)" -eq 0 ] && ! (cd / && runuser -u "$PGUSER_OS" -- test -x "$DEV_DIR"); then
    target=/var/tmp/doorstep-pg-$(printf '%s' "$DEV_DIR" | md5sum | cut -c1-12)
    log "$PGUSER_OS cannot reach $DEV_DIR; keeping the cluster in $target (linked from $DEV_DIR/pg)"
    rm -rf "$target" "$DEV_DIR/pg"
    ln -s "$target" "$DEV_DIR/pg"
  fi
  PGDATA_DIR=$target
  rm -rf "$PGDATA_DIR"
  mkdir -p "$PGDATA_DIR"
  chmod 700 "$PGDATA_DIR"
  [ "$(id -u)" -ne 0 ] || chown "$PGUSER_OS": "$PGDATA_DIR"
  log "initdb $PGDATA_DIR (as $PGUSER_OS)"
  as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >&2
  # The socket lives in the data directory, unless that path is too long for a Unix socket
  # (107 bytes); the URL we print uses TCP anyway.
  local sockdir=$PGDATA_DIR
  [ $((${#sockdir} + 20)) -lt 100 ] || sockdir=""
  # Settings for a throwaway development cluster: durability off, room for parallel test packages.
  as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOF

# --- doorstep dev (deploy/dev/services.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '${sockdir//\'/\'\'}'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
}

pg_start_private() {
  lock_private
  PGUSER_OS=$(pg_user)
  PGDATA_DIR=$(pg_data_dir)
  local url
  url=$(pg_private_url)
  if pg_private_running; then
    pg_answers "$url" && { PG_URL=$url; return 0; }
    log "private cluster in $PGDATA_DIR is running but does not answer on port $PG_PORT; restarting it"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w >&2 || true
  elif pg_answers "$url"; then
    is_true "$PRIVATE" && die "port $PG_PORT answers but is not this checkout's cluster; set DOORSTEP_PG_PORT"
    log "reusing the PostgreSQL that answers on 127.0.0.1:$PG_PORT (another checkout's private cluster?)"
    PG_URL=$url
    return 0
  fi
  if [ ! -x "$PG_BIN/initdb" ] || [ ! -f "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" ]; then
    apt_install "postgresql-$PG_MAJOR" "postgresql-$PG_MAJOR-postgis-3" postgresql-contrib ||
      die "could not install PostgreSQL $PG_MAJOR with PostGIS"
    PGUSER_OS=$(pg_user) # the package creates the postgres user
  fi
  [ -f "$PGDATA_DIR/PG_VERSION" ] || pg_init_private
  mkdir -p "$DEV_DIR"
  local logfile=$DEV_DIR/postgresql.log
  if as_pg test -x "$DEV_DIR"; then
    touch "$logfile"
    [ "$(id -u)" -ne 0 ] || chown "$PGUSER_OS": "$logfile"
  else # the owner cannot reach $DEV_DIR: log beside the data
    logfile=$PGDATA_DIR/postgresql.log
  fi
  log "starting private PostgreSQL on 127.0.0.1:$PG_PORT (data $PGDATA_DIR, log $logfile)"
  if ! detached as_pg "$PG_BIN/pg_ctl" start -D "$PGDATA_DIR" -o "-p $PG_PORT" -l "$logfile" -w -t 60 >&2; then
    tail -n 20 "$logfile" >&2 || true
    die "could not start PostgreSQL (is port $PG_PORT taken? set DOORSTEP_PG_PORT)"
  fi
  pg_answers "$url" || die "private PostgreSQL started but does not answer at $url"
  PG_URL=$url
}

pg_missing_extensions() { # URL: names of required extensions the server cannot install
  pg_query "$1" "select coalesce(string_agg(name, ' '), '') from unnest(array['postgis', 'btree_gist']) as name
                 where name not in (select name from pg_available_extensions)"
}

pg_ensure_extensions() {
  local url=$1 missing major
  missing=$(pg_missing_extensions "$url")
  [ -z "$missing" ] && return 0
  major=$(($(pg_query "$url" 'show server_version_num') / 10000))
  log "server (PostgreSQL $major) lacks: $missing"
  apt_install "postgresql-$major-postgis-3" postgresql-contrib ||
    die "could not install PostGIS for PostgreSQL $major"
  missing=$(pg_missing_extensions "$url")
  [ -z "$missing" ] ||
    die "still not available on $url: $missing (a server on another machine needs them installed there)"
}

ensure_postgres() {
  ensure_psql
  PG_URL=""
  if ! is_true "$PRIVATE"; then
    if [ -n "${DATABASE_URL:-}" ]; then
      if pg_answers "$DATABASE_URL"; then
        PG_URL=$DATABASE_URL
      else
        log "DATABASE_URL is set but does not answer; looking elsewhere"
      fi
    fi
    if [ -z "$PG_URL" ] && pg_answers "$DEFAULT_PG_URL"; then
      PG_URL=$DEFAULT_PG_URL
    fi
  fi
  [ -n "$PG_URL" ] || pg_start_private
  pg_ensure_extensions "$PG_URL"
  # The maintenance database `postgres` is what tests clone from; an application (make dev)
  # asks for its own database instead.
  if [ -n "$DB_NAME" ] && [[ $PG_URL =~ ^([a-z]+://[^/?]+/)postgres(\?.*)?$ ]]; then
    PG_URL=${BASH_REMATCH[1]}$DB_NAME${BASH_REMATCH[2]}
  fi
}

# ---------------------------------------------------------------------------------------------
# Redis

# redis_ping URL: true if a Redis server answers PING. Uses redis-cli where installed, otherwise
# speaks RESP over bash's /dev/tcp (redis://[user:pass@]host:port[/db] only).
redis_ping() {
  local url=$1
  [ -n "$url" ] || return 1
  if have redis-cli; then
    [ "$(timeout 3 redis-cli --no-auth-warning -u "$url" ping 2>/dev/null)" = PONG ]
    return
  fi
  local rest=${url#*://} auth="" host port fd reply
  rest=${rest%%/*}
  if [[ $rest == *@* ]]; then
    auth=${rest%@*}
    rest=${rest##*@}
  fi
  host=${rest%:*}
  port=${rest##*:}
  [ "$host" != "$rest" ] || port=6379
  (
    exec {fd}<>"/dev/tcp/$host/$port" || exit 1
    if [ -n "$auth" ]; then
      if [[ $auth == *:* ]]; then
        local user=${auth%%:*} pass=${auth#*:}
        [ -n "$user" ] || user=default
        printf 'AUTH %s %s\r\n' "$user" "$pass" >&"$fd"
      else
        printf 'AUTH %s\r\n' "$auth" >&"$fd"
      fi
      IFS= read -r -t 2 reply <&"$fd" || exit 1
    fi
    printf 'PING\r\n' >&"$fd"
    IFS= read -r -t 2 reply <&"$fd" || exit 1
    [[ $reply == +PONG* ]]
  ) 2>/dev/null
}

redis_private_pid() {
  local pidfile=$DEV_DIR/redis/redis.pid pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

redis_start_private() {
  lock_private
  local url="redis://127.0.0.1:$REDIS_PORT/0"
  if redis_ping "$url"; then
    if ! redis_private_pid >/dev/null && is_true "$PRIVATE"; then
      die "port $REDIS_PORT answers but is not this checkout's Redis; set DOORSTEP_REDIS_PORT"
    fi
    REDIS_URL_OUT=$url
    return 0
  fi
  have redis-server || apt_install redis-server || die "could not install redis-server"
  mkdir -p "$DEV_DIR/redis"
  log "starting private Redis on 127.0.0.1:$REDIS_PORT (log $DEV_DIR/redis.log)"
  detached redis-server --daemonize yes --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --databases 256 \
    --dir "$DEV_DIR/redis" --logfile "$DEV_DIR/redis.log" --pidfile "$DEV_DIR/redis/redis.pid" >&2
  for _ in $(seq 1 50); do
    redis_ping "$url" && { REDIS_URL_OUT=$url; return 0; }
    sleep 0.1
  done
  tail -n 20 "$DEV_DIR/redis.log" >&2 || true
  die "private Redis did not answer on port $REDIS_PORT"
}

ensure_redis() {
  REDIS_URL_OUT=""
  have redis-cli || apt_install redis-tools || log "no redis-cli; probing Redis over /dev/tcp"
  if ! is_true "$PRIVATE"; then
    if [ -n "${REDIS_URL:-}" ]; then
      if redis_ping "$REDIS_URL"; then
        REDIS_URL_OUT=$REDIS_URL
      else
        log "REDIS_URL is set but does not answer; looking elsewhere"
      fi
    fi
    if [ -z "$REDIS_URL_OUT" ] && redis_ping "$DEFAULT_REDIS_URL"; then
      REDIS_URL_OUT=$DEFAULT_REDIS_URL
    fi
  fi
  [ -n "$REDIS_URL_OUT" ] || redis_start_private
}

# ---------------------------------------------------------------------------------------------

stop_private() {
  if [ -e "$DEV_DIR/pg" ]; then
    PGUSER_OS=$(pg_user)
    PGDATA_DIR=$(pg_data_dir)
    if pg_private_running; then
      log "stopping private PostgreSQL ($PGDATA_DIR)"
      as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w >&2 || true
    fi
  fi
  local pid
  if pid=$(redis_private_pid); then
    log "stopping private Redis (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
}

purge_private() {
  stop_private
  if [ -L "$DEV_DIR/pg" ]; then
    local target
    target=$(readlink "$DEV_DIR/pg")
    case $target in /var/tmp/doorstep-pg-*) rm -rf "$target" ;; esac
  fi
  rm -rf "$DEV_DIR/pg" "$DEV_DIR/redis" "$DEV_DIR/postgresql.log" "$DEV_DIR/redis.log" "$DEV_DIR/services.lock"
  log "removed private service data under $DEV_DIR"
}

status() {
  PGUSER_OS=$(pg_user)
  PGDATA_DIR=$(pg_data_dir)
  if [ -e "$DEV_DIR/pg" ] && pg_private_running; then
    log "private PostgreSQL: running ($PGDATA_DIR, port $PG_PORT)"
  else
    log "private PostgreSQL: not running"
  fi
  if pid=$(redis_private_pid); then
    log "private Redis: running (pid $pid, port $REDIS_PORT)"
  else
    log "private Redis: not running"
  fi
}

case ${1:-up} in
  up)
    ensure_postgres
    ensure_redis
    printf 'export DATABASE_URL=%s\nexport REDIS_URL=%s\n' "$(sq "$PG_URL")" "$(sq "$REDIS_URL_OUT")" >&3
    log "DATABASE_URL=$PG_URL REDIS_URL=$REDIS_URL_OUT"
    ;;
  stop) stop_private ;;
  purge) purge_private ;;
  status) status ;;
  *) die "usage: $0 [up|stop|purge|status]" ;;
esac
