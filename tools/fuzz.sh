#!/usr/bin/env bash
# Fuzzes the HTTP client's response path (tests/fuzz/http_response_fuzzer.cpp) with libFuzzer.
#   tools/fuzz.sh [SECONDS]       builds the fuzzer (clang, into build/fuzz) and fuzzes for SECONDS (default 60)
#   tools/fuzz.sh --bench         ... and runs 1,000,000 executions instead
# Options: --build DIR (where to build; default build/fuzz), --fuzzer PATH (use this binary, build
# nothing: ctest's fuzz.http_response does), --artifacts DIR (where a crashing input is saved;
# default <build>/artifacts), --seed N (libFuzzer's seed; default random).
# The seeds in tests/fuzz/corpus/http_response are copied to a scratch directory first, so the
# repository's corpus is never written to. Prints the executions, exec/s and "clean", or the
# crashing input's file; exits 1 on a crash, a sanitizer report, a leak or a hang (an input that
# takes over 10 s).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build/fuzz"
fuzzer=""
artifacts=""
seconds=60
bench=0
seed=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bench) bench=1 ;;
    --build) build="$2"; shift ;;
    --fuzzer) fuzzer="$2"; shift ;;
    --artifacts) artifacts="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    [0-9]*) seconds="$1" ;;
    *) echo "usage: tools/fuzz.sh [SECONDS | --bench] [--build DIR] [--fuzzer PATH] [--artifacts DIR] [--seed N]" >&2
       exit 2 ;;
  esac
  shift
done

if [[ -z "$fuzzer" ]]; then
  command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
  CXX=clang++ cmake -S "$root/tests/fuzz/standalone" -B "$build" -G Ninja >/dev/null
  nice -n 10 cmake --build "$build" -- -j2
  fuzzer="$build/http_response_fuzzer"
  artifacts="${artifacts:-$build/artifacts}"
fi
[[ -x "$fuzzer" ]] || { echo "fuzz.sh: no fuzzer at $fuzzer" >&2; exit 1; }
artifacts="${artifacts:-$(dirname "$fuzzer")/artifacts}"
mkdir -p "$artifacts"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/corpus"
cp "$root/tests/fuzz/corpus/http_response/"* "$scratch/corpus/"

if [[ $bench -eq 1 ]]; then
  limit=(-runs=1000000)
  echo "fuzz.sh: 1,000,000 executions of $fuzzer"
else
  limit=(-max_total_time="$seconds")
  echo "fuzz.sh: fuzzing $fuzzer for $seconds s"
fi
status=0
"$fuzzer" "${limit[@]}" -seed="$seed" -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$scratch/corpus" >"$scratch/log" 2>&1 || status=$?

runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/log")"
rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/log")"
crash="$(sed -n "s/^artifact_prefix=.*; Test unit written to //p" "$scratch/log")"
used_seed="$(sed -n 's/^INFO: Seed: *//p' "$scratch/log")"
if [[ $status -ne 0 || -n "$crash" ]]; then
  grep -v '^#[0-9]' "$scratch/log" | tail -60 >&2
  echo "fuzz.sh: FAILED (exit $status) after ${runs:-?} executions (seed $used_seed); input: ${crash:-none saved}" >&2
  echo "  reproduce: $fuzzer ${crash:-<input>}" >&2
  exit 1
fi
echo "executions: $runs"
echo "exec/s: $rate"
echo "clean"
