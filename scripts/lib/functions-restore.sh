# shellcheck shell=bash
# Deciding whether a failed `dotnet restore` of the Azure Functions adapter
# failed only because the configured NuGet sources do not serve the Azure
# Functions worker packages (which some mirrors do not). Source it.
#
# functions_packages_unavailable LOGFILE
#   LOGFILE holds the output of the failed restore (run with -tl:off so that it
#   is plain MSBuild console output). Returns 0 only when
#     - every error line is NU1101 (no such package), NU1102 (no such version)
#       or NU1103 (only prerelease versions), and
#     - every package such an error names is Microsoft.Azure.Functions.Worker
#       or Microsoft.Azure.Functions.Worker.*, and
#     - at least one such package is named.
#   Anything else (a different error code, a NU1101 for another package, a
#   network error, an MSBuild error, a warning turned into an error) returns 1,
#   so a genuine problem is never swallowed.
#   NU1102 is followed by lines such as
#     "error NU1102:   - Found 1 version(s) in nuget.org [ Nearest version: 1.19.0 ]"
#   that name no package; they are accepted as part of the NU1102 message.
functions_packages_unavailable() {
  local log="$1" line code pkg named=0
  local error_re='(^|[[:space:]])error( ([A-Za-z]+[0-9]+))?[[:space:]]*:'
  local package_re='Unable to find (a stable )?package ([^[:space:]]+)'
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ $error_re ]] || continue
    code="${BASH_REMATCH[3]}"
    case "$code" in
      NU1101 | NU1102 | NU1103) ;;
      *) return 1 ;;
    esac
    if [[ "$line" =~ $package_re ]]; then
      pkg="${BASH_REMATCH[2]%.}" # NU1101 ends the name with a full stop
      case "$pkg" in
        Microsoft.Azure.Functions.Worker | Microsoft.Azure.Functions.Worker.*) named=1 ;;
        *) return 1 ;;
      esac
    fi
  done <"$log"
  ((named == 1))
}
