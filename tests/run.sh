#!/usr/bin/env bash
# The test command (README "Run the tests"): builds everything in Release with warnings as errors,
# checks that generated code is current, packs artifacts/packages, runs every test project and prints
# "N passed, N failed".
# First it installs the real peers of the interop tests (tests/interop/install-peers.sh, the one place that
# installs them); the tests start and stop the peers themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# In CI a peer that cannot be installed fails the run here. Elsewhere the run goes on, and every interop
# test that needs the missing peer fails with a message naming the install command.
if ! bash tests/interop/install-peers.sh; then
  if [ "${CI:-}" = "true" ]; then
    echo "tests/run.sh: installing the interop peers failed" >&2
    exit 1
  fi
  echo "tests/run.sh: some interop peers are missing; their tests will fail (run: bash tests/interop/install-peers.sh as root)" >&2
fi

dotnet build SmtpCodec.sln -c Release -warnaserror
dotnet run --project tools/SmtpCodec.Generator -c Release --no-build -- --check

# The packages (docs/architecture.md, "Packages"), from the build above and before the tests: the packaging tests
# read them and install the smtpcodec tool from them. Packing apart from the test run leaves the CLI's build
# output alone while the CLI tests run it. The folder is emptied first, so no stale package is checked.
rm -rf artifacts/packages
dotnet pack SmtpCodec.sln -c Release --no-build -o artifacts/packages

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
