#!/usr/bin/env bash
# The benchmark command (README "Benchmarks"). From the repository root:
#
#   bash bench/run.sh            installs Postfix if missing, runs every micro benchmark (BenchmarkDotNet),
#                                then the end-to-end runner, and regenerates bench/results (results.md,
#                                chart.svg, micro.json, e2e.json) and the README's results section
#   bash bench/run.sh --micro    the micro benchmarks and the report only
#   bash bench/run.sh --e2e      the end-to-end runner and the report only
#   bash bench/run.sh --report   the report only, from the committed bench/results/*.json
#   bash bench/run.sh --dry      what the test command runs so that the benchmarks never rot: every micro
#                                benchmark once (BenchmarkDotNet's Dry job, in process) and the end-to-end
#                                runner with tiny counts against the embedded sink; writes no results
#
# Extra arguments after the mode go to the end-to-end runner (e.g. --messages 5000 --runs 5). For the micro
# benchmarks, BENCH_JOB picks BenchmarkDotNet's job (default: its default job; e.g. BENCH_JOB=short) and
# BENCH_FILTER the classes (default '*'; a partial run keeps the other classes' last results).
# Every server the runner starts (the embedded sink's process, smtp-sink, the private Postfix of --targets ...,smtpd)
# is stopped by its process id.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

mode=all
case "${1:-}" in
  --micro|--e2e|--report|--dry) mode="${1#--}"; shift ;;
  --all) shift ;;
esac

project=bench/SmtpCodec.Benchmarks
artifacts=BenchmarkDotNet.Artifacts
bench() { dotnet run -c Release --project "$project" --no-build -- "$@"; }

install_postfix() {
  if [ -x /usr/sbin/smtp-sink ] && [ -x /usr/sbin/smtp-source ]; then
    return
  fi
  # The interop peers' installer is the one place that installs Postfix (with no system MTA started).
  bash tests/interop/install-peers.sh
}

dotnet build "$project" -c Release -warnaserror -v quiet -nologo

if [ "$mode" = dry ]; then
  # Micro: one invocation of each case in this process (no per-benchmark build), so it takes seconds.
  bench --filter '*' --job dry --inProcess --artifacts "$(mktemp -d)" > /tmp/smtpcodec-bench-dry.log 2>&1 \
    || { tail -n 60 /tmp/smtpcodec-bench-dry.log >&2; echo "bench/run.sh: a micro benchmark failed its dry run" >&2; exit 1; }
  echo "bench/run.sh: every micro benchmark ran once (dry)"
  bench e2e --dry "$@"
  echo "bench/run.sh: the end-to-end runner ran (dry)"
  exit 0
fi

if [ "$mode" = all ] || [ "$mode" = micro ]; then
  rm -rf "$artifacts/results"
  job_args=()
  if [ -n "${BENCH_JOB:-}" ]; then job_args=(--job "$BENCH_JOB"); fi
  # BENCH_FILTER picks classes (e.g. '*ReplyReading* *Sasl*'); their results replace those in micro.json.
  read -r -a filters <<< "${BENCH_FILTER:-*}"
  bench --filter "${filters[@]}" "${job_args[@]}" --artifacts "$artifacts"
  bench report --micro-from "$artifacts/results" \
    --micro-command "${BENCH_JOB:+BENCH_JOB=$BENCH_JOB }${BENCH_FILTER:+BENCH_FILTER='$BENCH_FILTER' }bash bench/run.sh --micro"
fi

if [ "$mode" = all ] || [ "$mode" = e2e ]; then
  install_postfix
  # The CLI, so that the runner can start `smtpcodec blast --server` as a contender against Postfix.
  dotnet build tools/SmtpCodec.Cli -c Release -warnaserror -v quiet -nologo
  bench e2e --out bench/results/e2e.json "$@"
fi

bench report
