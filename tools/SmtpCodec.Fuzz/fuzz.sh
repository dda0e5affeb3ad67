#!/usr/bin/env bash
# Fuzzes one target of tools/SmtpCodec.Fuzz with afl-fuzz through SharpFuzz, for a bounded time.
#
#   tools/SmtpCodec.Fuzz/fuzz.sh TARGET [SECONDS [EXECUTIONS]]
#
# SECONDS defaults to 60; with EXECUTIONS afl-fuzz also stops once it ran about that many inputs (afl-fuzz -E),
# whichever comes first. Targets: `ls tools/SmtpCodec.Fuzz/corpus`. FUZZ_OUT (default artifacts/fuzz) is where the
# harness and the findings go; each target has its own copy of the harness, so targets can be fuzzed side by side.
#
# Installs what is missing (Debian's afl++ when afl-fuzz is absent, the sharpfuzz tool pinned in
# .config/dotnet-tools.json), publishes the harness to FUZZ_OUT/bin/TARGET, instruments SmtpCodec.Core.dll and
# SmtpCodec.Sink.dll there (never the normal build output), and runs afl-fuzz from tools/SmtpCodec.Fuzz/corpus/TARGET with smtp.dict.
# Findings go to FUZZ_OUT/findings/TARGET/default/ (crashes/, hangs/, queue/; ignored by git). A later run
# of the same target resumes from that queue (afl-fuzz moves earlier crashes to crashes.DATE) and does not read the
# corpus again: delete the folder to start over from new seeds. Prints execs/s, paths and crashes; exits 1 when a crash or hang was saved, or afl-fuzz failed.
# Works as root in a container (no CPU governor or core_pattern changes needed).
set -euo pipefail
cd "$(dirname "$0")/../.."

usage="usage: tools/SmtpCodec.Fuzz/fuzz.sh TARGET [SECONDS [EXECUTIONS]]"
target=${1:?$usage}
seconds=${2:-60}
executions=${3:-}
corpus=tools/SmtpCodec.Fuzz/corpus/$target
if [ ! -d "$corpus" ]; then
  echo "fuzz.sh: no target '$target' (targets: $(ls tools/SmtpCodec.Fuzz/corpus | tr '\n' ' '))" >&2
  exit 2
fi
case $seconds in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number; $usage" >&2; exit 2 ;; esac
case $executions in *[!0-9]*) echo "fuzz.sh: EXECUTIONS must be a whole number; $usage" >&2; exit 2 ;; esac

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v afl-fuzz >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "fuzz.sh: afl-fuzz is missing; install it as root: apt-get update && apt-get install -y afl++" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
dotnet tool restore >/dev/null

out=${FUZZ_OUT:-artifacts/fuzz}
bin=$out/bin/$target
findings=$out/findings/$target
rm -rf "$bin"
dotnet publish tools/SmtpCodec.Fuzz -c Release -o "$bin" -v quiet
for assembly in SmtpCodec.Core SmtpCodec.Sink; do
  if [ -f "$bin/$assembly.dll" ]; then dotnet tool run sharpfuzz "$bin/$assembly.dll" >/dev/null; fi
done
mkdir -p "$findings"

# dotnet itself is not instrumented (SharpFuzz instruments the IL and talks to afl-fuzz itself); a container has
# no CPU governor to set and may not let us change core_pattern; two cores are shared, so no core binding.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
  AFL_NO_UI=1 AFL_AUTORESUME=1 AFL_MAP_SIZE=65536 AFL_FORKSRV_INIT_TMOUT=60000

echo "fuzz.sh: fuzzing '$target' for $seconds s${executions:+ or $executions executions}; findings in $findings/default"
# afl-fuzz resumes when it finds its fuzzer_stats there; an afl-fuzz that stops early exits non-zero.
stats=$findings/default/fuzzer_stats
status=0
afl-fuzz -i "$corpus" -o "$findings" -V "$seconds" ${executions:+-E "$executions"} -t 10000 -m none -x tools/SmtpCodec.Fuzz/smtp.dict \
  -- "$(command -v dotnet)" "$bin/SmtpCodec.Fuzz.dll" "$target" > "$findings/afl.log" 2>&1 || status=$?

if [ "$status" -ne 0 ] || [ ! -f "$stats" ]; then
  echo "fuzz.sh: afl-fuzz stopped before fuzzing (exit $status); the end of $findings/afl.log:" >&2
  tail -n 30 "$findings/afl.log" >&2
  exit 1
fi

stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(find "$findings/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
hangs=$(find "$findings/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
echo "fuzz.sh: $target: $(stat execs_done) execs, $(stat execs_per_sec) execs/s, $(stat corpus_count) paths, $crashes crashes, $hangs hangs"
if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
  echo "fuzz.sh: replay them with: dotnet run --project tools/SmtpCodec.Fuzz -c Release -- replay $target $findings/default/crashes $findings/default/hangs" >&2
  exit 1
fi
