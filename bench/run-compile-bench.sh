#!/usr/bin/env bash
# Builds bench_compile_gears, exports the real models (scripts/gen-real-models.sh) and prints, per model,
# compile time for 1/10/100 gears (ratio to 1 gear), weight memory 100 vs 1 gear, and arena vs the sum
# of intermediate tensors per gear.   usage: bench/run-compile-bench.sh [--repeat N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
build="$root/build-bench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGEARC_BUILD_TESTS=OFF -DGEARC_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target bench_compile_gears -j"$(nproc)" >/dev/null
models="$build/real-models"
"$root/scripts/gen-real-models.sh" "$models" >/dev/null
for spec in "resnet18 x:-1,3,224,224" "mobilenet_v2 x:-1,3,224,224" "shufflenet_v2_x1_0 x:-1,3,224,224" \
            "segnet x:-1,3,256,256" "crnn x:-1,1,32,256" "transformer tokens:-1,64"; do
  set -- $spec
  "$build/bench/bench_compile_gears" "$models/$1.onnx" "$2" "${@:3}" ${BENCH_ARGS:-}
  echo
done
