#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Runs every check and test of the repository (README command 2; CI runs it
# through .ci/run):
#   1. starts the local services (scripts/services.sh) and sources their env
#   2. whitespace style check (dotnet format whitespace --verify-no-changes)
#   3. builds (Release) the server, the Azure Functions app, the benchmarks and
#      every test project; a failed restore or build of any of them is a failure
#   4. installs chromium when /usr/bin/chromium is missing (status-page test),
#      then runs every test project (all of them, even after a failure), writing TRX
#   5. runs scripts/check-runbooks.sh
# The last line printed is always "N passed, N failed, N skipped" (summed over
# the TRX files). Exits 1 when any step failed, any test failed, a test
# project produced no TRX, or no test ran at all.
#
# Settings (environment):
#   INPSYQ_TEST_FILTER       passed to `dotnet test --filter` (local use)
#   INPSYQ_TEST_RESULTS_DIR  where TRX files go (default: a new directory under $TMPDIR or /tmp)
#   INPSYQ_TEST_HANG_TIMEOUT a single test running longer than this is killed
#                            and its run fails (default 5m; dotnet test --blame-hang-timeout)
#   plus those of scripts/services.sh (INPSYQ_STATE_DIR, INPSYQ_PG_PORT, INPSYQ_AZURITE_PORT)
set -euo pipefail

INPSYQ_LOG_TAG='test'
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=lib/common.sh
source "$SCRIPTS_DIR/lib/common.sh"
# shellcheck source=lib/trx.sh
source "$SCRIPTS_DIR/lib/trx.sh"

cd "$INPSYQ_REPO_ROOT"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No MSBuild worker nodes or build server left behind after the run: they
# would outlive the script (and, in CI, the runner's step).
export MSBUILDDISABLENODEREUSE="${MSBUILDDISABLENODEREUSE:-1}"
export DOTNET_CLI_USE_MSBUILD_SERVER="${DOTNET_CLI_USE_MSBUILD_SERVER:-0}"

command -v dotnet >/dev/null 2>&1 || die "dotnet is not installed"

FUNCTIONS_PROJECT=src/InPsyq.Functions/InPsyq.Functions.csproj
SERVER_PROJECT=src/InPsyq.Server/InPsyq.Server.csproj

STARTED_AT=$SECONDS
FAILURES=() # one line per failed step, repeated just before the summary

fail_step() {
  FAILURES+=("$1")
  printf '!!! FAILED: %s\n' "$1"
}

step() { log "==== $* ($((SECONDS - STARTED_AT))s)"; }

on_exit() {
  # In CI, stop the compiler server and any MSBuild node that may still run.
  # Output discarded: the summary must remain the last line.
  if [[ -n "${CI:-}" ]]; then
    dotnet build-server shutdown >/dev/null 2>&1 || true
  fi
}
trap on_exit EXIT

RESULTS_DIR="${INPSYQ_TEST_RESULTS_DIR:-}"
if [[ -z "$RESULTS_DIR" ]]; then
  RESULTS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/inpsyq-test-results.XXXXXX")"
else
  mkdir -p "$RESULTS_DIR"
  rm -f "$RESULTS_DIR"/*.trx # never count a TRX of an earlier run
fi

# ------------------------------------------------------------------ 1. services
step "services"
"$SCRIPTS_DIR/services.sh" start >/dev/null || die "scripts/services.sh start failed"
env_file="$("$SCRIPTS_DIR/services.sh" env)"
# shellcheck source=/dev/null
source "$env_file"

# --------------------------------------------------------------------- 2. style
# Whitespace only: a full `dotnet format` needs a build and costs minutes here
# (code style is enforced by the build: EnforceCodeStyleInBuild).
step "style: dotnet format whitespace --verify-no-changes"
if ! dotnet format whitespace --folder --verify-no-changes \
    --exclude '**/node_modules' '**/bin' '**/obj'; then
  fail_step "whitespace style violations (fix with: dotnet format whitespace --folder --exclude '**/node_modules' '**/bin' '**/obj')"
fi

# --------------------------------------------------------------------- 3. build
is_test_project() {
  grep -qE '<IsTestProject>[[:space:]]*true|"Microsoft\.NET\.Test\.Sdk"' "$1"
}

shopt -s nullglob
BUILD_PROJECTS=("$SERVER_PROJECT" "$FUNCTIONS_PROJECT")
BUILD_PROJECTS+=(bench/*/*.csproj)
TEST_PROJECTS=()
for project in tests/*/*.csproj; do
  BUILD_PROJECTS+=("$project")
  if is_test_project "$project"; then
    TEST_PROJECTS+=("$project")
  fi
done
shopt -u nullglob

declare -A BUILD_FAILED=()
for project in "${BUILD_PROJECTS[@]}"; do
  step "build: $project"
  if ! dotnet build "$project" -c Release -nologo; then
    BUILD_FAILED["$project"]=1
    fail_step "build of $project"
  fi
done

# ---------------------------------------------------------------------- 4. test
# The status-page test renders with headless Chromium (Debian package chromium).
if [[ ! -x /usr/bin/chromium ]]; then
  step "install: chromium (for the status-page screenshot test)"
  apt_install "$RESULTS_DIR/apt-chromium.log" chromium
fi

TRX_FILES=()
for project in "${TEST_PROJECTS[@]}"; do
  name="$(basename "$project" .csproj)"
  if [[ -n "${BUILD_FAILED[$project]:-}" ]]; then
    fail_step "tests of $name not run (its build failed)"
    continue
  fi
  step "test: $project"
  args=(test "$project" -c Release --no-build
    --logger "trx;LogFileName=$name.trx"
    --logger "console;verbosity=normal"
    --results-directory "$RESULTS_DIR"
    --blame-hang-timeout "${INPSYQ_TEST_HANG_TIMEOUT:-5m}" --blame-hang-dump-type none)
  if [[ -n "${INPSYQ_TEST_FILTER:-}" ]]; then
    args+=(--filter "$INPSYQ_TEST_FILTER")
  fi
  test_rc=0
  dotnet "${args[@]}" || test_rc=$?
  trx="$RESULTS_DIR/$name.trx"
  if [[ ! -f "$trx" ]]; then
    fail_step "$name produced no TRX file (dotnet test exit code $test_rc)"
    continue
  fi
  TRX_FILES+=("$trx")
  if ((test_rc != 0)); then
    counts="$(trx_counts "$trx" || echo "0 0 0 0")"
    read -r _ trx_failed _ _ <<<"$counts"
    # Failing tests are counted in the summary; an exit code without any
    # failing test means the run itself broke (test host crash, hang, abort).
    if ((trx_failed == 0)); then
      fail_step "dotnet test of $name exited with $test_rc without a failing test (test host crash, hang or abort?)"
    fi
  fi
done

# ------------------------------------------------------------ 5. runbook check
step "runbooks: scripts/check-runbooks.sh"
bash "$SCRIPTS_DIR/check-runbooks.sh" || fail_step "scripts/check-runbooks.sh"

# ------------------------------------------------------------------- summary
step "done; TRX files in $RESULTS_DIR"
# Not in $(...): trx_summarize sets TRX_* variables that are needed below.
trx_summarize "${TRX_FILES[@]}" >"$RESULTS_DIR/summary.txt"
summary="$(<"$RESULTS_DIR/summary.txt")"
((TRX_UNREADABLE == 0)) || fail_step "$TRX_UNREADABLE TRX file(s) without counters"
if ((TRX_FAILED > 0)); then
  fail_step "$TRX_FAILED test(s) failed"
  while IFS= read -r failed_test; do
    FAILURES+=("$failed_test")
  done < <(trx_failed_tests "${TRX_FILES[@]}")
fi
if ((TRX_TOTAL == 0)); then
  fail_step "no test ran"
fi
if ((${#FAILURES[@]} > 0)); then
  printf '!!! %s failure(s):\n' "${#FAILURES[@]}"
  printf '!!!   - %s\n' "${FAILURES[@]}"
fi
printf '%s\n' "$summary"
((${#FAILURES[@]} == 0)) || exit 1
