#!/usr/bin/env bash
# Runs the benchmarks (docs/performance.md): starts the local services, builds Release, runs every scenario on a
# database of its own (created and dropped by the benchmark), prints a markdown table and writes
# bench/results/<date>-<machine>.md. Extra arguments go to the benchmark, e.g. --teams 20 for a quick look.
# Exit code: 0 all targets met, 2 some target missed, anything else a failure.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO_ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bash scripts/services.sh start >/dev/null
# shellcheck source=/dev/null
source "$(bash scripts/services.sh env)"

dotnet build bench/InPsyq.Bench -c Release -nologo -v quiet
exec dotnet bench/InPsyq.Bench/bin/Release/net10.0/InPsyq.Bench.dll --out bench/results "$@"
