# shellcheck shell=bash
# The variables below are used by the scripts that source this file.
# shellcheck disable=SC2034
# Shared helpers for scripts/*.sh. Source it; it defines functions and
# variables only and runs nothing.
#
#   INPSYQ_REPO_ROOT   the repository root (resolved from this file's location,
#                      so the scripts work from any working directory)
#   INPSYQ_STATE_DIR   where services keep their data, logs, pid files and the
#                      generated env/secrets files (default /var/tmp/inpsyq)

INPSYQ_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
INPSYQ_STATE_DIR="${INPSYQ_STATE_DIR:-/var/tmp/inpsyq}"
INPSYQ_ENV_FILE="$INPSYQ_STATE_DIR/env"

# Prefix for every message; each script sets its own ("services", "test", ...).
INPSYQ_LOG_TAG="${INPSYQ_LOG_TAG:-inpsyq}"

log() { printf '[%s] %s\n' "$INPSYQ_LOG_TAG" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$INPSYQ_LOG_TAG" "$*" >&2; }
die() {
  printf '[%s] ERROR: %s\n' "$INPSYQ_LOG_TAG" "$*" >&2
  exit 1
}

# Prints N random URL-safe characters (A-Z a-z 0-9 - _), N a multiple of 4.
# Reads a fixed number of bytes, so no pipe is cut short (no SIGPIPE under
# pipefail) and the output is never truncated.
random_urlsafe() {
  local n="$1"
  (( n % 4 == 0 )) || die "random_urlsafe: length must be a multiple of 4"
  head -c $(( n * 3 / 4 )) /dev/urandom | base64 -w0 | tr '+/' '-_'
}

# Prints 2*N random lowercase hex characters (safe in any connection string).
random_hex() {
  od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Closes every file descriptor above 2 in the current shell. Call it in the
# subshell that starts a long-lived server: otherwise the server inherits
# whatever the caller had open (a CI runner's pipes, our lock file) and keeps
# it open for as long as it runs, so a runner waiting for end-of-file hangs.
close_inherited_fds() {
  local fd
  for fd in /proc/self/fd/*; do
    fd="${fd##*/}"
    ((fd > 2)) || continue
    exec {fd}>&-
  done
}

# Prints the last lines of a log file to stderr (for failure messages).
log_tail() {
  local file="$1" lines="${2:-40}"
  if [[ -r "$file" ]]; then
    printf '[%s] ---- last %s lines of %s ----\n' "$INPSYQ_LOG_TAG" "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2 || true
    printf '[%s] ---- end of %s ----\n' "$INPSYQ_LOG_TAG" "$file" >&2
  else
    printf '[%s] (no log at %s)\n' "$INPSYQ_LOG_TAG" "$file" >&2
  fi
}

# Installs Debian packages (root only). A new machine has empty package lists,
# so the first install of a script run refreshes them with `apt-get update`;
# later installs in the same run reuse the lists. This is the only place in
# scripts/ that calls apt-get (a repository test checks it).
#   apt_install LOGFILE PACKAGE...
INPSYQ_APT_UPDATED=0
apt_install() {
  local apt_log="$1"
  shift
  [[ $EUID -eq 0 ]] || die "$* not installed and only root can install it: apt-get update && apt-get install $*"
  log "installing $* (log: $apt_log)"
  if ((INPSYQ_APT_UPDATED == 0)); then
    if ! DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$apt_log" 2>&1; then
      log_tail "$apt_log"
      die "apt-get update failed; cannot install $*"
    fi
    INPSYQ_APT_UPDATED=1
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "$@" >>"$apt_log" 2>&1; then
    log_tail "$apt_log"
    die "apt-get install $* failed"
  fi
}
