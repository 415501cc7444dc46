#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Checks the runbooks (scripts/test.sh step 6): every code block of
# docs/runbooks/*.md tagged ```bash runnable runs, as written, against the local
# stack; blocks tagged ```bash azure (and plain ```bash) are only parsed
# (bash -n). A failing block fails the script loudly with its file:line and
# output.
#
# What a runnable block can rely on (the runbooks' "Locally" notes say the same):
#   - the working directory is the repository root;
#   - POSTGRES_CONNECTION_STRING / BLOB_CONNECTION_STRING of scripts/services.sh
#     (the local demo database), from $INPSYQ_STATE_DIR/env;
#   - INTERNAL_CRON_SECRET / INTERNAL_ADMIN_SECRET: throwaway values generated here;
#   - `inpsyq-weekly` on PATH: the built server, $SERVER_DLL (build it first:
#     dotnet build -c Release src/InPsyq.Server);
#   - WEEKLY_BASE_URL: the /api base of a `serve` started here on a free
#     loopback port with SCHEDULER_ENABLED=false (the checks trigger jobs
#     themselves), stopped at the end.
# Each block runs in a fresh `bash -euo pipefail` with a time limit of
# RUNBOOK_BLOCK_TIMEOUT seconds (default 180).
set -euo pipefail

INPSYQ_LOG_TAG='runbooks'
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=lib/common.sh
source "$SCRIPTS_DIR/lib/common.sh"

cd "$INPSYQ_REPO_ROOT"

SERVER_DLL="$INPSYQ_REPO_ROOT/src/InPsyq.Server/bin/Release/net10.0/inpsyq-weekly.dll"
BLOCK_TIMEOUT="${RUNBOOK_BLOCK_TIMEOUT:-180}"

shopt -s nullglob
RUNBOOKS=(docs/runbooks/*.md)
shopt -u nullglob
((${#RUNBOOKS[@]} > 0)) || die "no runbooks in docs/runbooks"
[[ -f "$SERVER_DLL" ]] || die "$SERVER_DLL is missing; build it first: dotnet build -c Release src/InPsyq.Server"

# The runbooks read JSON answers with jq, as an operator would; a fresh Debian may not have it.
if ! command -v jq >/dev/null 2>&1; then
  apt_install "${TMPDIR:-/tmp}/inpsyq-apt-jq.log" jq
fi

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/inpsyq-runbooks.XXXXXX")"
SERVER_PID=''
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK_DIR"
}
trap cleanup EXIT

# ------------------------------------------------------------ the local stack
"$SCRIPTS_DIR/services.sh" start >/dev/null || die "scripts/services.sh start failed"
# shellcheck source=/dev/null
source "$INPSYQ_ENV_FILE"

INTERNAL_CRON_SECRET="$(random_urlsafe 48)"
INTERNAL_ADMIN_SECRET="$(random_urlsafe 48)"
export INTERNAL_CRON_SECRET INTERNAL_ADMIN_SECRET

mkdir -p "$WORK_DIR/bin"
printf '#!/usr/bin/env bash\nexec dotnet %q "$@"\n' "$SERVER_DLL" >"$WORK_DIR/bin/inpsyq-weekly"
chmod +x "$WORK_DIR/bin/inpsyq-weekly"
export PATH="$WORK_DIR/bin:$PATH"

port=""
for candidate in $(shuf -i 20000-29999 -n 20); do
  if ! port_in_use "$candidate"; then
    port="$candidate"
    break
  fi
done
[[ -n "$port" ]] || die "no free loopback port for the server"
export WEEKLY_BASE_URL="http://127.0.0.1:$port/api"
# `serve` migrates at start-up only with a migrator connection; locally one login is both, and `migrate` uses it.
dotnet "$SERVER_DLL" migrate >"$WORK_DIR/migrate.log" 2>&1 || { log_tail "$WORK_DIR/migrate.log" 40; die "inpsyq-weekly migrate failed"; }
(
  close_inherited_fds
  SCHEDULER_ENABLED=false exec dotnet "$SERVER_DLL" serve --urls "http://127.0.0.1:$port"
) >"$WORK_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "$WEEKLY_BASE_URL/health/live" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { log_tail "$WORK_DIR/server.log" 40; die "the server exited during start-up"; }
  sleep 0.5
done
curl -fsS "$WEEKLY_BASE_URL/health/live" >/dev/null || { log_tail "$WORK_DIR/server.log" 40; die "the server did not answer $WEEKLY_BASE_URL/health/live"; }
log "server up at $WEEKLY_BASE_URL (pid $SERVER_PID)"

# ------------------------------------------------------------ the blocks
# Writes one file per block: <n>.<kind>.<line>.sh (kind: runnable|azure|bash).
extract_blocks() {
  awk -v dir="$2" '
    /^```bash( (runnable|azure))?[[:space:]]*$/ && !inside {
      inside = 1; n++
      kind = ($2 == "") ? "bash" : $2
      file = sprintf("%s/%03d.%s.%d.sh", dir, n, kind, NR + 1)
      printf "" > file
      next
    }
    /^```/ && inside { inside = 0; close(file); next }
    inside { print >> file }
  ' "$1"
}

FAILED=()
checked=0
for runbook in "${RUNBOOKS[@]}"; do
  blocks_dir="$WORK_DIR/blocks/$(basename "$runbook" .md)"
  mkdir -p "$blocks_dir"
  extract_blocks "$runbook" "$blocks_dir"
  shopt -s nullglob
  blocks=("$blocks_dir"/*.sh)
  shopt -u nullglob
  for block in "${blocks[@]}"; do
    name="$(basename "$block" .sh)"
    kind="$(cut -d. -f2 <<<"$name")"
    line="$(cut -d. -f3 <<<"$name")"
    where="$runbook:$line"
    checked=$((checked + 1))
    if ! bash -n "$block" 2>"$WORK_DIR/syntax.log"; then
      FAILED+=("$where ($kind block does not parse)")
      printf '!!! FAILED: %s: bash -n\n' "$where"
      cat "$WORK_DIR/syntax.log"
      continue
    fi
    [[ "$kind" == runnable ]] || continue
    log "$where"
    rc=0
    timeout "$BLOCK_TIMEOUT" bash -euo pipefail "$block" >"$WORK_DIR/block.log" 2>&1 || rc=$?
    if ((rc != 0)); then
      FAILED+=("$where (exit code $rc)")
      printf '!!! FAILED: %s (exit code %s). The block:\n' "$where" "$rc"
      sed 's/^/    | /' "$block"
      printf '!!! Its output:\n'
      tail -n 60 "$WORK_DIR/block.log" | sed 's/^/    > /'
    fi
  done
done

if ((${#FAILED[@]} > 0)); then
  printf '!!! %s runbook block(s) failed:\n' "${#FAILED[@]}"
  printf '!!!   - %s\n' "${FAILED[@]}"
  exit 1
fi
log "$checked block(s) checked in ${#RUNBOOKS[@]} runbook(s); every runnable block succeeded"
