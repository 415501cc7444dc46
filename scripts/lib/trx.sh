# shellcheck shell=bash
# Reading VSTest TRX result files (dotnet test --logger trx) without any tool
# beyond grep/sed. Source it; scripts/test.sh uses trx_summarize.
#
# What the TRX logger of the .NET 10 SDK (xunit.runner.visualstudio 3.1.5)
# writes, checked on a throwaway project with one passing, one failing and one
# skipped test:
#   <Counters total="3" executed="2" passed="1" failed="1" error="0" ...
#             notExecuted="0" ... />
# A skipped test is NOT counted in notExecuted (its UnitTestResult has
# outcome="NotExecuted", but the counter stays 0); it only shows as
# total - executed. So: skipped = total - passed - failed, which also covers
# notExecuted/inconclusive when a writer does fill them, and keeps
# passed + failed + skipped == total.
# failed also counts error, timeout and aborted tests.

# Prints the value of a numeric attribute of a tag, 0 when absent.
_trx_attr() {
  local tag="$1" name="$2" value
  value="$(sed -n "s/.*[[:space:]]$name=\"\([0-9][0-9]*\)\".*/\1/p" <<<"$tag")"
  printf '%s\n' "${value:-0}"
}

# trx_counts FILE: prints "PASSED FAILED SKIPPED TOTAL" for one TRX file.
# Returns 1 (printing nothing) when the file has no <Counters> element.
trx_counts() {
  local file="$1" tag total passed failed error timeout aborted skipped
  # The element sits on one line, but do not rely on it: join all lines first.
  tag="$(tr '\r\n' '  ' <"$file" | grep -o '<Counters[^>]*>' | head -n 1 || true)"
  [[ -n "$tag" ]] || return 1
  total="$(_trx_attr "$tag" total)"
  passed="$(_trx_attr "$tag" passed)"
  failed="$(_trx_attr "$tag" failed)"
  error="$(_trx_attr "$tag" error)"
  timeout="$(_trx_attr "$tag" timeout)"
  aborted="$(_trx_attr "$tag" aborted)"
  failed=$((failed + error + timeout + aborted))
  skipped=$((total - passed - failed))
  ((skipped >= 0)) || skipped=0
  printf '%s %s %s %s\n' "$passed" "$failed" "$skipped" "$total"
}

# trx_summarize FILE...: prints exactly "N passed, N failed, N skipped" summed
# over all files. Sets TRX_PASSED, TRX_FAILED, TRX_SKIPPED, TRX_TOTAL and
# TRX_UNREADABLE (files without counters, reported on stderr).
trx_summarize() {
  TRX_PASSED=0 TRX_FAILED=0 TRX_SKIPPED=0 TRX_TOTAL=0 TRX_UNREADABLE=0
  local file counts p f s t
  for file in "$@"; do
    if ! counts="$(trx_counts "$file")"; then
      printf 'no <Counters> element in %s\n' "$file" >&2
      TRX_UNREADABLE=$((TRX_UNREADABLE + 1))
      continue
    fi
    read -r p f s t <<<"$counts"
    TRX_PASSED=$((TRX_PASSED + p))
    TRX_FAILED=$((TRX_FAILED + f))
    TRX_SKIPPED=$((TRX_SKIPPED + s))
    TRX_TOTAL=$((TRX_TOTAL + t))
  done
  printf '%s passed, %s failed, %s skipped\n' "$TRX_PASSED" "$TRX_FAILED" "$TRX_SKIPPED"
}

# trx_failed_tests FILE...: prints one line per failed test, "name: the start of
# its message", so a failure is named at the end of a long log. The attributes of
# <UnitTestResult> are written on one line; the message may span many.
trx_failed_tests() {
  local file
  for file in "$@"; do
    tr '\r\n' '  ' <"$file" | awk '
      BEGIN { RS = "<UnitTestResult " }
      /^[^>]*outcome="(Failed|Error|Timeout|Aborted)"/ {
        name = $0; sub(/^.*testName="/, "", name); sub(/".*$/, "", name)
        message = ""
        if (match($0, /<Message>[^<]*/)) { message = substr($0, RSTART + 9, RLENGTH - 9) }
        gsub(/&quot;/, "\"", name); gsub(/&lt;/, "<", name); gsub(/&gt;/, ">", name); gsub(/&amp;/, "\\&", name)
        gsub(/[[:space:]]+/, " ", message)
        if (message == "") { print name } else { printf "%s: %s\n", name, substr(message, 1, 200) }
      }'
  done
}
