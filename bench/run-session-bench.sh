#!/usr/bin/env bash
# Builds bench_session_latency, exports the real models and installs ONNX Runtime (onnxruntime-node), then
# prints per model and gear: gearc's latency, ONNX Runtime's on the same inputs and threads, their ratio,
# the gear against the same shape compiled as a single static model, and the slowest kernels.
#   usage: bench/run-session-bench.sh [--threads N] [--loop N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh" >/dev/null
"$root/scripts/install-ort.sh"
export GEARC_ORT_DIR="${GEARC_ORT_DIR:-$HOME/.cache/gearc/ort}"
build="$root/build-bench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGEARC_BUILD_TESTS=OFF -DGEARC_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target bench_session_latency -j"$(nproc)" >/dev/null
models="$build/real-models"
"$root/scripts/gen-real-models.sh" "$models" >/dev/null
cd "$root"
for spec in "resnet18 --input_shape=x:-1,3,224,224 --dynamic_batch_size=1,4" \
            "mobilenet_v2 --input_shape=x:-1,3,224,224 --dynamic_batch_size=1,4" \
            "shufflenet_v2_x1_0 --input_shape=x:-1,3,224,224 --dynamic_batch_size=1,4" \
            "segnet --input_shape=x:1,3,-1,-1 --dynamic_image_size=256,256;360,480" \
            "crnn --input_shape=x:-1,1,32,-1 --input_format=ND --dynamic_dims=1,128;4,256" \
            "transformer --input_shape=tokens:-1,-1 --input_format=ND --dynamic_dims=1,64;8,128"; do
  set -- $spec
  "$build/bench/bench_session_latency" --model="$models/$1.onnx" "${@:2}" ${BENCH_ARGS:-} || echo "($1 failed)"
  echo
done
