#!/usr/bin/env bash
# gearc's whole test suite: installs dependencies, then configures, builds and runs ctest in two
# configurations: normal (with the consumer-project tests), and with AddressSanitizer + UndefinedBehaviorSanitizer
# against the single header. Ends with one line: "gearc: N passed, N failed".
# usage: scripts/test.sh [--quick]     (--quick: the normal configuration only)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc 2>/dev/null || echo 2)"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

"$root/scripts/install-deps.sh"

total_pass=0
total_fail=0
failed_configs=()

run_config() {  # name, build dir, ctest label regex ("" = all), cmake options...
  local name="$1" dir="$2" labels="$3"
  shift 3
  echo "==== [$name] configure and build ($dir)"
  mkdir -p "$dir"
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir/gearc-configure.log" 2>&1 ||
    { cat "$dir/gearc-configure.log"; failed_configs+=("$name (configure)"); total_fail=$((total_fail + 1)); return 0; }
  if ! cmake --build "$dir" -j"$jobs" >"$dir/gearc-build.log" 2>&1; then
    grep -E "error|Error" "$dir/gearc-build.log" | head -40 || true
    failed_configs+=("$name (build)")
    total_fail=$((total_fail + 1))
    return 0
  fi
  echo "==== [$name] ctest"
  local log="$dir/gearc-ctest.log" args=(--output-on-failure -j"$jobs" --timeout 900)
  [ -n "$labels" ] && args+=(-L "$labels")
  (cd "$dir" && ctest "${args[@]}") 2>&1 | tee "$log" | grep -vE "^ +Start |Test +#[0-9]+: .*Passed" || true
  local line pass fail
  line="$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -1 || true)"
  if [ -z "$line" ]; then
    failed_configs+=("$name (ctest ran no tests)")
    total_fail=$((total_fail + 1))
    return 0
  fi
  fail="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")"
  total="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")"
  pass=$((total - fail))
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  [ "$fail" -eq 0 ] || failed_configs+=("$name ($fail failed)")
}

# Compile time dominates on 2 cores: no full debug info (-g1 keeps line numbers for sanitizer reports), -O1
# for the tests (the CPU kernels they share are compiled once, at -O2), the benchmarks are built by
# bench/run-*.sh, not here, and the examples are checked by the clang syntax pass (compile_with_clang) only.
# The sanitizer build also proves the single header: every test of the library
# proper compiles against single_include/ there (the run time, not in the single header, against include/).
run_config normal "$root/build" "" -DGEARC_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DGEARC_BUILD_BENCH=OFF -DGEARC_BUILD_EXAMPLES=OFF
if [ "$quick" -eq 0 ]; then
  # GEARC_NATIVE=OFF: xsimd's AVX-512 paths do not compile unoptimised with GCC 12, and the sanitizers check logic, not speed
  run_config asan-ubsan+single-header "$root/build-asan" "unit|data" -DGEARC_BUILD_TESTS=ON -DGEARC_SANITIZE=ON -DGEARC_NATIVE=OFF \
    -DGEARC_TEST_SINGLE_HEADER=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DGEARC_BUILD_TOOLS=OFF \
    -DGEARC_BUILD_EXAMPLES=OFF -DGEARC_BUILD_BENCH=OFF
fi

echo
if [ "${#failed_configs[@]}" -gt 0 ]; then
  echo "failures in: ${failed_configs[*]}"
fi
echo "gearc: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
