#!/usr/bin/env bash
# Runs fuzz targets with cargo-fuzz (libFuzzer), no sanitizer (the crate has no unsafe code),
# on this stable toolchain.
#   fuzz/run.sh SECONDS [TARGET...]     every target (or the ones named) for SECONDS each
#   FUZZ_RUNS=N fuzz/run.sh 0 TARGET    a fixed number of executions instead of a time
# New inputs go to fuzz/corpus/<target>/ (not committed); the seeds in fuzz/seeds/<target>/ are
# read only. A crash leaves its input in fuzz/artifacts/<target>/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
# Build first, so the log below holds only the fuzzers' own lines (a build failure still shows).
for t in "${targets[@]}"; do
  cargo fuzz build -O -s none "$t" </dev/null >/dev/null 2>build.log || { cat build.log >&2; exit 1; }
done
rm -f build.log
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  limit=(-max_total_time="$seconds")
  [ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
  echo "== fuzz $t (${FUZZ_RUNS:+$FUZZ_RUNS runs}${FUZZ_RUNS:-$seconds s})"
  cargo fuzz run -O -s none "$t" "corpus/$t" "seeds/$t" -- "${limit[@]}" -rss_limit_mb=2048 -timeout=10 -max_len=262144 -print_final_stats=1 2>&1 \
    | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|panicked|ERROR|SUMMARY|Test unit written" || true
  if [ -n "$(find "artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) 2>/dev/null)" ]; then
    echo "fuzz target $t found a failing input: see fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
