#!/usr/bin/env bash
# The test command (README "Run the tests"): builds everything in Release with warnings as errors,
# checks that generated code is current, runs every test project and prints "N passed, N failed".
# Later issues add the real-peer interop tests here: this script installs and starts what they need.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

dotnet build SmtpCodec.sln -c Release -warnaserror
dotnet run --project tools/SmtpCodec.Generator -c Release --no-build -- --check

# Benchmarks never rot (issue 7): every micro benchmark runs once (BenchmarkDotNet's Dry job, in process) and
# the end-to-end runner sends a few messages to the embedded sink. Well under a minute on 2 cores.
bench_status=0
bash bench/run.sh --dry || bench_status=$?

status=0
dotnet test SmtpCodec.sln -c Release --no-build \
  --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 10m || status=$?

# Sum the counters of every test run (one .trx per test project).
read -r passed failed < <(
  cat "$results"/*.trx 2>/dev/null | tr ' ' '\n' | awk -F'"' '
    /^passed=/ { p += $2 } /^failed=/ { f += $2 } END { print p + 0, f + 0 }')
echo "${passed} passed, ${failed} failed"

if [ "$status" -ne 0 ] || [ "$bench_status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
