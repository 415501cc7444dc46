#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Local backing services for the demo and the tests: a disposable PostgreSQL
# cluster and Azurite (its blob and queue services, one process each), all on
# 127.0.0.1.
#
#   scripts/services.sh start    start both (reuses them when already running and healthy)
#   scripts/services.sh stop     stop exactly what `start` started
#   scripts/services.sh status   one line per service
#   scripts/services.sh env      print the path of the env file to source
#
# Settings (environment):
#   INPSYQ_STATE_DIR     data, logs, pid files, env file   (default /var/tmp/inpsyq)
#   INPSYQ_PG_PORT       PostgreSQL port on 127.0.0.1      (default 55432)
#   INPSYQ_AZURITE_PORT  Azurite blob port on 127.0.0.1    (default 10100)
#   INPSYQ_AZURITE_QUEUE_PORT  Azurite queue port          (default INPSYQ_AZURITE_PORT + 1)
#
# After `start`, `source "$(scripts/services.sh env)"` exports
# POSTGRES_CONNECTION_STRING and BLOB_CONNECTION_STRING, the storage account's
# connection string with both its blob and its queue endpoint (see write_env_file).
set -euo pipefail

INPSYQ_LOG_TAG='services'
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# Messages go to stderr: the stdout of `start` carries only the env file path,
# so that `env_file="$(scripts/services.sh start)"` works. (`status` prints its
# lines to stdout.)
LOG_FD=2
log() { printf '[%s] %s\n' "$INPSYQ_LOG_TAG" "$*" >&"$LOG_FD"; }

PG_PORT="${INPSYQ_PG_PORT:-55432}"
AZURITE_PORT="${INPSYQ_AZURITE_PORT:-10100}"
AZURITE_QUEUE_PORT="${INPSYQ_AZURITE_QUEUE_PORT:-$((AZURITE_PORT + 1))}"
[[ "$PG_PORT" =~ ^[0-9]+$ ]] || die "INPSYQ_PG_PORT must be a port number, got '$PG_PORT'"
[[ "$AZURITE_PORT" =~ ^[0-9]+$ ]] || die "INPSYQ_AZURITE_PORT must be a port number, got '$AZURITE_PORT'"
[[ "$AZURITE_QUEUE_PORT" =~ ^[0-9]+$ ]] || die "INPSYQ_AZURITE_QUEUE_PORT must be a port number, got '$AZURITE_QUEUE_PORT'"
[[ "$PG_PORT" != "$AZURITE_PORT" && "$PG_PORT" != "$AZURITE_QUEUE_PORT" && "$AZURITE_PORT" != "$AZURITE_QUEUE_PORT" ]] ||
  die "INPSYQ_PG_PORT, INPSYQ_AZURITE_PORT and INPSYQ_AZURITE_QUEUE_PORT must differ"

STATE_DIR="$INPSYQ_STATE_DIR"
ENV_FILE="$INPSYQ_ENV_FILE"
LOCK_FILE="$STATE_DIR/services.lock"

# PostgreSQL: everything under $PG_ROOT belongs to the OS user that runs the
# server (postgres when we are root; PostgreSQL refuses to run as root).
PG_ROOT="$STATE_DIR/pg"
PG_DATA="$PG_ROOT/data"
PG_SOCKET_DIR="$PG_ROOT/run"
PG_LOG="$PG_ROOT/postgres.log"
PG_PASSWORD_FILE="$STATE_DIR/pg-password" # owned by the caller, mode 600
PG_APP_ROLE=inpsyq
PG_APP_DB=inpsyq
# A stand-in for Azure's Postgres administrator (CREATEROLE, not a superuser), for the tests that create roles of
# their own (the principals of docs/deploy.md). The app never uses it.
PG_ADMIN_PASSWORD_FILE="$STATE_DIR/pg-admin-password"
PG_ADMIN_ROLE=inpsyq_admin

AZURITE_PKG_DIR="$INPSYQ_REPO_ROOT/scripts/azurite"
AZURITE_BIN="$AZURITE_PKG_DIR/node_modules/.bin/azurite-blob"
AZURITE_QUEUE_BIN="$AZURITE_PKG_DIR/node_modules/.bin/azurite-queue"
AZURITE_DATA="$STATE_DIR/azurite"
# Azurite's well-known development account. The key is public (documented by
# Microsoft for the emulator), so it is not a secret.
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

STARTUP_TIMEOUT_SECONDS=30

if [[ $EUID -eq 0 ]]; then
  PG_OS_USER=postgres
else
  PG_OS_USER="$(id -un)"
fi

# Runs a command as the PostgreSQL OS user. `cd /` first: the caller's cwd
# (e.g. /root) may not be readable by postgres, and psql/initdb complain.
# Inherited descriptors (our lock, a CI runner's pipes) are closed so that the
# server that `pg_ctl start` leaves running holds none of them.
as_pg() {
  (
    close_inherited_fds
    cd /
    if [[ $EUID -eq 0 ]]; then
      exec runuser -u "$PG_OS_USER" -- "$@"
    else
      exec "$@"
    fi
  )
}

# ---------------------------------------------------------------- PostgreSQL

have_pg_binaries() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

# A fresh Debian 12 machine may not have PostgreSQL: install the distribution's
# package non-interactively. (On Debian, policy-rc.d may keep the package's own
# "main" cluster from starting; either way we never use or touch that cluster.)
ensure_pg_installed() {
  have_pg_binaries && return 0
  apt_install "$STATE_DIR/apt-postgresql.log" postgresql
  have_pg_binaries || die "the postgresql package is installed but /usr/lib/postgresql/*/bin/initdb is still missing"
  log "PostgreSQL installed"
}

# Prints the bin directory to use: the version that created the data directory
# if there is one (a cluster only runs with its own major version), otherwise
# the highest installed version.
pg_bin_dir() {
  if [[ -f "$PG_DATA/PG_VERSION" ]]; then
    local version
    version="$(<"$PG_DATA/PG_VERSION")"
    [[ -x "/usr/lib/postgresql/$version/bin/postgres" ]] ||
      die "$PG_DATA was created by PostgreSQL $version, which is not installed; install postgresql-$version or run 'scripts/services.sh stop' and delete $STATE_DIR"
    printf '%s\n' "/usr/lib/postgresql/$version/bin"
    return 0
  fi
  local best
  best="$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"
  [[ -x "$best" ]] || die "no PostgreSQL binaries found under /usr/lib/postgresql"
  dirname "$best"
}

# True when our cluster's postmaster is running (pg_ctl status reads our
# data directory's postmaster.pid, so another cluster never matches).
pg_running() {
  [[ -f "$PG_DATA/PG_VERSION" ]] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

# Prints the pid / port recorded in postmaster.pid (lines 1 and 4).
pg_running_pid() { sed -n 1p "$PG_DATA/postmaster.pid" 2>/dev/null || true; }
pg_running_port() { sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null || true; }

pg_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_OS_USER" -d postgres -t 2 >/dev/null 2>&1
}

wait_pg_ready() {
  local deadline=$((SECONDS + STARTUP_TIMEOUT_SECONDS))
  until pg_ready; do
    if ((SECONDS >= deadline)); then
      log_tail "$PG_LOG"
      die "PostgreSQL did not answer pg_isready on 127.0.0.1:$PG_PORT within ${STARTUP_TIMEOUT_SECONDS}s"
    fi
    sleep 0.2
  done
}

prepare_pg_dirs() {
  mkdir -p "$PG_ROOT"
  if [[ $EUID -eq 0 ]]; then
    id -u "$PG_OS_USER" >/dev/null 2>&1 || die "OS user '$PG_OS_USER' does not exist (is the postgresql package installed?)"
    chown "$PG_OS_USER:$PG_OS_USER" "$PG_ROOT"
  fi
  chmod 700 "$PG_ROOT"
  # The server must be able to reach its directories: every parent of the
  # state dir must be searchable by postgres (e.g. not under /root).
  as_pg test -w "$PG_ROOT" ||
    die "user '$PG_OS_USER' cannot reach $PG_ROOT (a parent directory is not searchable); set INPSYQ_STATE_DIR to a path such as /var/tmp/inpsyq"
  as_pg mkdir -p "$PG_SOCKET_DIR"
  # Unix socket paths are limited to 107 bytes.
  local socket_path="$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT"
  ((${#socket_path} <= 100)) || die "socket path $socket_path is too long for a unix socket; use a shorter INPSYQ_STATE_DIR"
}

init_pg_cluster() {
  [[ -f "$PG_DATA/PG_VERSION" ]] && return 0
  log "initdb $PG_DATA ($("$PG_BIN/postgres" --version))"
  # C collation (fast, byte order) with a UTF-8 ctype so upper()/lower() work on
  # non-ASCII text. --no-sync: the cluster is disposable.
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -E UTF8 --locale=C.UTF-8 --lc-collate=C \
      --auth-local=peer --auth-host=scram-sha-256 --no-sync --no-instructions \
      >"$PG_ROOT/initdb.log" 2>&1; then
    log_tail "$PG_ROOT/initdb.log"
    die "initdb failed"
  fi
  # Our settings live in a file of their own, rewritten on every start.
  printf "\n# Added by scripts/services.sh\ninclude 'inpsyq.conf'\n" |
    as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

write_pg_conf() {
  as_pg tee "$PG_DATA/inpsyq.conf" >/dev/null <<EOF
# Managed by scripts/services.sh and rewritten on every start: edits are lost.
# A fast, disposable cluster for local runs and tests: durability is off.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 256MB
# Same results on every machine, whatever its time zone.
timezone = 'UTC'
log_timezone = 'UTC'
EOF
}

ensure_password_file() {
  local file="$1"
  if [[ ! -s "$file" ]]; then
    (umask 077 && random_hex 24 >"$file.tmp" && mv -f "$file.tmp" "$file")
  fi
  chmod 600 "$file"
}

# Prints the password of a password file, or dies when it is not what we wrote.
read_password_file() {
  local password
  password="$(<"$1")"
  [[ "$password" =~ ^[0-9a-f]+$ ]] || die "$1 is corrupt; delete it and run start again"
  printf '%s\n' "$password"
}

# Creates the roles and the database if missing, (re)sets the roles' rights and
# passwords (so an existing cluster is brought in line too). The SQL goes
# through stdin so no password appears in a process list.
#   - The application role may create and drop databases (the tests clone one
#     per class) but not roles: on PostgreSQL 15 a CREATEROLE role can grant
#     itself pg_execute_server_program and run programs as the server's user.
#   - The NOLOGIN roles the migrations grant to are created here, as the
#     superuser, since the application role may not (docs/deploy.md, step 3).
ensure_pg_roles_and_db() {
  local password admin_password
  password="$(read_password_file "$PG_PASSWORD_FILE")"
  admin_password="$(read_password_file "$PG_ADMIN_PASSWORD_FILE")"
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_OS_USER" -d postgres >/dev/null <<SQL ||
SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY['$PG_APP_ROLE', '$PG_ADMIN_ROLE', 'inpsyq_service', 'inpsyq_admin_ro']) AS r
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE $PG_APP_ROLE WITH LOGIN NOSUPERUSER CREATEDB NOCREATEROLE PASSWORD '$password';
ALTER ROLE $PG_ADMIN_ROLE WITH LOGIN NOSUPERUSER CREATEDB CREATEROLE PASSWORD '$admin_password';
ALTER ROLE inpsyq_service NOLOGIN;
ALTER ROLE inpsyq_admin_ro NOLOGIN;
SELECT 'CREATE DATABASE $PG_APP_DB OWNER $PG_APP_ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_APP_DB') \gexec
SQL
    die "could not create the roles or the database '$PG_APP_DB' (see $PG_LOG)"
}

start_pg() {
  ensure_pg_installed
  prepare_pg_dirs
  PG_BIN="$(pg_bin_dir)"
  init_pg_cluster

  if pg_running; then
    local running_port
    running_port="$(pg_running_port)"
    [[ "$running_port" == "$PG_PORT" ]] ||
      die "our PostgreSQL is already running on port $running_port, not $PG_PORT; run 'scripts/services.sh stop' first"
    wait_pg_ready
    log "postgres: reusing the running cluster (pid $(pg_running_pid), 127.0.0.1:$PG_PORT)"
  else
    port_in_use "$PG_PORT" &&
      die "port 127.0.0.1:$PG_PORT is taken by another process; set INPSYQ_PG_PORT to a free port"
    write_pg_conf
    log "postgres: starting on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
    if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$STARTUP_TIMEOUT_SECONDS" -s; then
      log_tail "$PG_LOG"
      die "pg_ctl start failed"
    fi
    wait_pg_ready
    log "postgres: started (pid $(pg_running_pid))"
  fi
  ensure_password_file "$PG_PASSWORD_FILE"
  ensure_password_file "$PG_ADMIN_PASSWORD_FILE"
  ensure_pg_roles_and_db
}

stop_pg() {
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "postgres: not initialised ($PG_DATA)"
    return 0
  fi
  PG_BIN="$(pg_bin_dir)"
  if pg_running; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 -s || die "pg_ctl stop failed (see $PG_LOG)"
    log "postgres: stopped"
  else
    log "postgres: not running"
  fi
}

status_pg() {
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "postgres: not initialised (data dir $PG_DATA)"
    return 1
  fi
  PG_BIN="$(pg_bin_dir)"
  if ! pg_running; then
    log "postgres: stopped (data dir $PG_DATA)"
    return 1
  fi
  local port
  port="$(pg_running_port)"
  if PG_PORT="$port" pg_ready; then
    log "postgres: running (pid $(pg_running_pid), 127.0.0.1:$port, data dir $PG_DATA)"
  else
    log "postgres: running (pid $(pg_running_pid)) but not answering on 127.0.0.1:$port"
    return 1
  fi
}

# ------------------------------------------------------------------- Azurite

# Each Azurite service (blob, queue) is a process of its own: its binary, port,
# pid file and log. The blob service keeps the file names of earlier versions.
azurite_bin() { [[ "$1" == blob ]] && printf '%s\n' "$AZURITE_BIN" || printf '%s\n' "$AZURITE_QUEUE_BIN"; }
azurite_port() { [[ "$1" == blob ]] && printf '%s\n' "$AZURITE_PORT" || printf '%s\n' "$AZURITE_QUEUE_PORT"; }
azurite_pid_file() { [[ "$1" == blob ]] && printf '%s\n' "$STATE_DIR/azurite.pid" || printf '%s\n' "$STATE_DIR/azurite-$1.pid"; }
azurite_log() { [[ "$1" == blob ]] && printf '%s\n' "$STATE_DIR/azurite.log" || printf '%s\n' "$STATE_DIR/azurite-$1.log"; }

# Prints the pid from the service's pid file if that process is alive and is
# that Azurite service (guards against a stale pid file whose pid was reused).
azurite_pid() {
  local service="$1" pid cmdline
  pid="$(cat "$(azurite_pid_file "$service")" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"azurite-$service"* ]] || return 1
  printf '%s\n' "$pid"
}

# Any HTTP status means the service is up (curl prints 000 when it cannot
# connect).
azurite_ready() {
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
    "http://127.0.0.1:$(azurite_port "$1")/$AZURITE_ACCOUNT?comp=list" 2>/dev/null || true)"
  [[ -n "$code" && "$code" != 000 ]]
}

wait_azurite_ready() {
  local service="$1" pid="$2" deadline=$((SECONDS + STARTUP_TIMEOUT_SECONDS))
  until azurite_ready "$service"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail "$(azurite_log "$service")"
      die "Azurite $service (pid $pid) exited during startup"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$(azurite_log "$service")"
      die "Azurite $service did not answer on http://127.0.0.1:$(azurite_port "$service") within ${STARTUP_TIMEOUT_SECONDS}s"
    fi
    sleep 0.2
  done
}

# Installs the pinned Azurite from scripts/azurite/package-lock.json when this
# checkout does not have it yet. Done even when a running Azurite is reused:
# the env file points tests at this checkout's azurite-blob.
ensure_azurite_installed() {
  [[ -x "$AZURITE_BIN" && -x "$AZURITE_QUEUE_BIN" ]] && return 0
  command -v node >/dev/null 2>&1 || die "node is not installed (needed for Azurite)"
  command -v npm >/dev/null 2>&1 || die "npm is not installed (needed for Azurite)"
  log "azurite: installing the pinned version (npm ci in $AZURITE_PKG_DIR)"
  # npm's output goes to stderr: our stdout carries only the env file path.
  (cd "$AZURITE_PKG_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2 || die "npm ci for Azurite failed"
  [[ -x "$AZURITE_BIN" && -x "$AZURITE_QUEUE_BIN" ]] || die "npm ci succeeded but $AZURITE_BIN or $AZURITE_QUEUE_BIN is missing"
}

start_azurite() {
  local service="$1" port pid pid_file
  port="$(azurite_port "$service")"
  pid_file="$(azurite_pid_file "$service")"
  if pid="$(azurite_pid "$service")"; then
    [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *" --${service}Port $port "* ]] ||
      die "our Azurite $service (pid $pid) is already running on another port than $port; run 'scripts/services.sh stop' first"
    wait_azurite_ready "$service" "$pid"
    log "azurite $service: reusing the running instance (pid $pid, 127.0.0.1:$port)"
    return 0
  fi
  rm -f "$pid_file"
  port_in_use "$port" &&
    die "port 127.0.0.1:$port is taken by another process; set INPSYQ_AZURITE_PORT / INPSYQ_AZURITE_QUEUE_PORT to free ports"
  mkdir -p "$AZURITE_DATA"
  log "azurite $service: starting on 127.0.0.1:$port (log: $(azurite_log "$service"))"
  # setsid + nohup: survives the calling shell and its terminal. The standard
  # streams go to the log and every other inherited descriptor is closed, so
  # that a CI runner waiting for our output to close is not kept waiting by
  # this long-lived process. Each step execs, so $! is Azurite's own pid.
  # --disableTelemetry: Azurite otherwise reports usage to an outside service,
  # which this machine cannot reach and whose pending retries keep it from
  # exiting on SIGTERM. --skipApiVersionCheck: Azure.Storage.* send newer API
  # versions than this Azurite knows.
  (
    close_inherited_fds
    exec setsid nohup "$(azurite_bin "$service")" \
      "--${service}Host" 127.0.0.1 "--${service}Port" "$port" \
      --location "$AZURITE_DATA" \
      --skipApiVersionCheck --loose --silent --disableTelemetry
  ) >>"$(azurite_log "$service")" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$pid_file"
  wait_azurite_ready "$service" "$pid"
  log "azurite $service: started (pid $pid)"
}

stop_azurite() {
  local service="$1" pid
  if ! pid="$(azurite_pid "$service")"; then
    rm -f "$(azurite_pid_file "$service")"
    log "azurite $service: not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      warn "azurite $service (pid $pid) ignored SIGTERM for 15s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$(azurite_pid_file "$service")"
  log "azurite $service: stopped"
}

status_azurite() {
  local service="$1" pid
  if ! pid="$(azurite_pid "$service")"; then
    log "azurite $service: stopped"
    return 1
  fi
  if azurite_ready "$service"; then
    log "azurite $service: running (pid $pid, http://127.0.0.1:$(azurite_port "$service")/$AZURITE_ACCOUNT)"
  else
    log "azurite $service: running (pid $pid) but not answering on 127.0.0.1:$(azurite_port "$service")"
    return 1
  fi
}

# ------------------------------------------------------------------ env file

# The file tests and the demo source. Mode 600: it holds the database password.
write_env_file() {
  local password admin_password
  password="$(<"$PG_PASSWORD_FILE")"
  admin_password="$(<"$PG_ADMIN_PASSWORD_FILE")"
  (
    umask 077
    cat >"$ENV_FILE.tmp" <<EOF
# Generated by scripts/services.sh start; rewritten on every start.
export POSTGRES_CONNECTION_STRING='Host=127.0.0.1;Port=$PG_PORT;Username=$PG_APP_ROLE;Password=$password;Database=$PG_APP_DB'
# The administrator stand-in (CREATEROLE), for tests that create roles; never an app setting.
export POSTGRES_ADMIN_CONNECTION_STRING='Host=127.0.0.1;Port=$PG_PORT;Username=$PG_ADMIN_ROLE;Password=$admin_password;Database=postgres'
export BLOB_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$AZURITE_ACCOUNT;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:$AZURITE_PORT/$AZURITE_ACCOUNT;QueueEndpoint=http://127.0.0.1:$AZURITE_QUEUE_PORT/$AZURITE_ACCOUNT;'
# For tests that start a private cluster / Azurite of their own.
export INPSYQ_STATE_DIR='$STATE_DIR'
export INPSYQ_PG_BIN_DIR='$PG_BIN'
export INPSYQ_AZURITE_BIN='$AZURITE_BIN'
EOF
    mv -f "$ENV_FILE.tmp" "$ENV_FILE"
  )
  chmod 600 "$ENV_FILE"
}

# -------------------------------------------------------------------- main

prepare_state_dir() {
  mkdir -p "$STATE_DIR"
  # 711: postgres may pass through to its own subdirectory, but cannot list
  # or read the env and password files.
  chmod 711 "$STATE_DIR"
}

# Serialises concurrent invocations (e.g. the demo and the tests started at
# the same time) so that they never both initialise or start a service.
take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "another scripts/services.sh is still running (lock $LOCK_FILE)"
}

usage() {
  echo "usage: $0 start|stop|status|env" >&2
  exit 64
}

main() {
  [[ $# -eq 1 ]] || usage
  case "$1" in
    start)
      prepare_state_dir
      take_lock
      start_pg
      ensure_azurite_installed
      start_azurite blob
      start_azurite queue
      write_env_file
      log "ready (env file: $ENV_FILE)"
      printf '%s\n' "$ENV_FILE"
      ;;
    stop)
      [[ -d "$STATE_DIR" ]] || { log "nothing to stop ($STATE_DIR does not exist)"; return 0; }
      take_lock
      stop_azurite queue
      stop_azurite blob
      stop_pg
      ;;
    status)
      LOG_FD=1
      local rc=0
      status_pg || rc=3
      status_azurite blob || rc=3
      status_azurite queue || rc=3
      return "$rc"
      ;;
    env)
      [[ -f "$ENV_FILE" ]] || die "$ENV_FILE does not exist; run 'scripts/services.sh start' first"
      printf '%s\n' "$ENV_FILE"
      ;;
    *) usage ;;
  esac
}

main "$@"
