#!/usr/bin/env bash
# The demo: builds plan_gears, then runs it on the bundled model examples/models/tiny_cnn.onnx
# (inputs x[N,3,H,W]) with ATC-style options, as a user coming from ATC would:
#   1. dynamic batch: --input_shape="x:-1,3,32,32" --dynamic_batch_size="1,4,8"   -> 3 gears
#   2. dynamic image size from a MindSpore Lite config file                        -> 2 gears
#   3. a fusion switch file (ATC's JSON form) that turns Conv+BatchNormalization folding off
#   4. a mistake (one profile only), which fails with ATC's E10035 and writes nothing
#   5. gears chosen from data (gearc scale, MindOCR auto_scaling style): MindOCR's mean_std, then gearc's
#      optimal strategy with the same number of gears, on a generated folder of images, then batch gears
#      from a text-detection annotation file
# plan_gears compiles every gear (shape inference, folding, fusions, memory planning) and writes each
# compiled, fully static gear graph as ONNX; onnx.checker checks them all.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/install-deps.sh"
build="$root/build-demo"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGEARC_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target plan_gears gearc_tool -j"$(nproc)" >/dev/null
out="$root/out/demo"
rm -rf "$out" && mkdir -p "$out"
model=examples/models/tiny_cnn.onnx

echo "== 1. dynamic batch size (ATC options)"
set -x
"$build/examples/plan_gears" --model=$model --input_shape="x:-1,3,32,32" --dynamic_batch_size="1,4,8" --output="$out/batch"
{ set +x; } 2>/dev/null

echo
echo "== 2. dynamic image size (MindSpore Lite config file)"
cat >"$out/config.txt" <<'CFG'
[ascend_context]
input_format=NCHW
input_shape=x:[1,3,-1,-1]
dynamic_dims=[32,32],[64,48]
precision_mode=force_fp32
CFG
cat "$out/config.txt"
set -x
"$build/examples/plan_gears" --model=$model --config="$out/config.txt" --output="$out/image"
{ set +x; } 2>/dev/null

echo
echo "== 3. the same batch gears with Conv+BatchNormalization folding switched off"
cat >"$out/fusion_switch.cfg" <<'CFG'
{"Switch": {"GraphFusion": {"ConvBatchNormFusion": "off"}}}
CFG
cat "$out/fusion_switch.cfg"
set -x
"$build/examples/plan_gears" --model=$model --input_shape="x:-1,3,32,32" --dynamic_batch_size="1,4,8" \
  --fusion_switch_file="$out/fusion_switch.cfg" --output="$out/no_bn_fusion"
{ set +x; } 2>/dev/null

echo
echo "== 4. one profile only: ATC refuses it with E10035"
set -x
if "$build/examples/plan_gears" --model=$model --input_shape="x:-1,3,32,32" --dynamic_batch_size="2" --output="$out/bad"; then
  { set +x; } 2>/dev/null; echo "expected a failure"; exit 1
fi
{ set +x; } 2>/dev/null
[ ! -e "$out/bad" ] || { echo "a failed run left output behind"; exit 1; }

echo
echo "== onnx.checker on every gear graph"
/usr/bin/python3 - "$out" <<'PY'
import glob, sys, onnx
files = sorted(glob.glob(sys.argv[1] + "/*/gear_*.onnx"))
for f in files:
    m = onnx.load(f)
    onnx.checker.check_model(m, full_check=True)
    shp = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    # every value of a compiled gear has a static shape, recorded in the file
    for vi in list(m.graph.value_info) + list(m.graph.output):
        assert all(d.HasField("dim_value") for d in vi.type.tensor_type.shape.dim), (f, vi.name)
    ops = sorted({(n.domain or "ai.onnx") + ":" + n.op_type for n in m.graph.node})
    print(f"  ok  {f[len(sys.argv[1]) + 1:]}  x={shp}  ops={' '.join(o.split(':')[1] for o in ops)}")
assert len(files) == 8, files
PY

echo
echo "== 5. gears from data: gearc scale (MindOCR auto_scaling's options; images of every format, sizes from their headers)"
/usr/bin/python3 scripts/gen-scaling-dataset.py "$out/dataset"
set -x
"$build/tools/gearc" scale --model=$model --dataset="$out/dataset/images" --input_shape=1,3,-1,-1 --strategy=mean_std \
  --max_scaling_num=9 --output="$out/scale_mean_std" --log=warning
{ set +x; } 2>/dev/null
n=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_gears"])' "$out/scale_mean_std/gears.json")
set -x
"$build/tools/gearc" scale --model=$model --dataset="$out/dataset/images" --input_shape=1,3,-1,-1 --strategy=optimal \
  --num_gears="$n" --output="$out/scale_optimal" --compile --log=warning
"$build/tools/gearc" scale --model=$model --dataset="$out/dataset/det_gt.txt" --input_shape=-1,3,32,32 --strategy=optimal \
  --num_gears=4 --output="$out/scale_batch" --log=warning
{ set +x; } 2>/dev/null
cat "$out/scale_optimal/atc_commands.sh"

echo "demo done: outputs in out/demo/"
