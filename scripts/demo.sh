#!/usr/bin/env bash
# The demo: builds the gearc tool, then uses it on the bundled model examples/models/tiny_cnn.onnx
# (inputs x[N,3,H,W]) as a user coming from ATC would:
#   1. gearc compile with ATC's options: --input_shape="x:-1,3,32,32" --dynamic_batch_size="1,4,8"  -> 3 gears
#      in one file (out/demo/tiny_batch.gearc); gearc inspect shows gears, arenas, nodes, FLOPs and options
#   2. gearc run on a .npy input (the gear chosen from its shape), on a raw .bin input with --dymBatch, and a
#      batch of 3 with --pad, with latency over 20 runs and a JSON report
#   3. dynamic image size from a MindSpore Lite config file (converter_lite's spelling)       -> 2 gears
#   4. a fusion switch file (ATC's JSON form) that turns Conv+BatchNormalization folding off
#   5. a mistake (one profile only), which fails with ATC's E10035 and writes nothing
#   6. every gear exported as ONNX (onnx.checker checks them) and one as Graphviz DOT
#   7. gears chosen from data (gearc scale, MindOCR auto_scaling style): MindOCR's mean_std, then gearc's
#      optimal strategy with the same number of gears, on a generated folder of images, then batch gears
#      from a text-detection annotation file
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/install-deps.sh"
build="$root/build-demo"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGEARC_BUILD_TESTS=OFF -DGEARC_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target gearc_tool -j"$(nproc)" >/dev/null
gearc="$build/tools/gearc"
out="$root/out/demo"
rm -rf "$out" && mkdir -p "$out"
model=examples/models/tiny_cnn.onnx

echo "== 1. compile with ATC's options, then inspect"
set -x
"$gearc" compile --model=$model --framework=5 --output="$out/tiny_batch" --input_shape="x:-1,3,32,32" \
  --dynamic_batch_size="1,4,8" --soc_version=Ascend310 --log=warning
"$gearc" inspect "$out/tiny_batch.gearc"
{ set +x; } 2>/dev/null

echo
echo "== 2. run: a .npy input (gear from its shape), a .bin input with --dymBatch, a batch of 3 with --pad"
/usr/bin/python3 - "$out" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(0)
np.save(sys.argv[1] + "/x4.npy", rng.uniform(-1, 1, (4, 3, 32, 32)).astype(np.float32))
rng.uniform(-1, 1, (8, 3, 32, 32)).astype(np.float32).tofile(sys.argv[1] + "/x8.bin")
np.save(sys.argv[1] + "/x3.npy", rng.uniform(-1, 1, (3, 3, 32, 32)).astype(np.float32))
PY
set -x
"$gearc" run --model="$out/tiny_batch.gearc" --input="$out/x4.npy" --output="$out/run_b4" --loop=20 --report="$out/run_b4.json" --log=warning
"$gearc" run --model="$out/tiny_batch.gearc" --input="$out/x8.bin" --dymBatch=8 --output="$out/run_b8" --outfmt=TXT --log=warning
"$gearc" run --model="$out/tiny_batch.gearc" --input="$out/x3.npy" --pad --output="$out/run_b3" --log=warning
{ set +x; } 2>/dev/null

echo
echo "== 3. dynamic image size from a MindSpore Lite config file (converter_lite's spelling)"
cat >"$out/config.txt" <<'CFG'
[ascend_context]
input_format=NCHW
input_shape=x:[1,3,-1,-1]
dynamic_dims=[32,32],[64,48]
precision_mode=enforce_fp32
CFG
cat "$out/config.txt"
set -x
"$gearc" compile --fmk=ONNX --modelFile=$model --configFile="$out/config.txt" --optimize=ascend_oriented \
  --outputFile="$out/tiny_image" --log=warning
{ set +x; } 2>/dev/null

echo
echo "== 4. the same batch gears with Conv+BatchNormalization folding switched off"
cat >"$out/fusion_switch.cfg" <<'CFG'
{"Switch": {"GraphFusion": {"ConvBatchNormFusion": "off"}}}
CFG
cat "$out/fusion_switch.cfg"
set -x
"$gearc" compile --model=$model --output="$out/tiny_no_bn_fusion" --input_shape="x:-1,3,32,32" --dynamic_batch_size="1,4,8" \
  --fusion_switch_file="$out/fusion_switch.cfg" --log=warning
{ set +x; } 2>/dev/null

echo
echo "== 5. one profile only: ATC refuses it with E10035, and so does gearc"
set -x
if "$gearc" compile --model=$model --input_shape="x:-1,3,32,32" --dynamic_batch_size="2" --output="$out/bad" --log=warning; then
  { set +x; } 2>/dev/null; echo "expected a failure"; exit 1
fi
{ set +x; } 2>/dev/null
[ ! -e "$out/bad.gearc" ] || { echo "a failed run left output behind"; exit 1; }

echo
echo "== 6. every gear exported as ONNX (onnx.checker), one as Graphviz DOT"
for f in tiny_batch tiny_image tiny_no_bn_fusion; do
  n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["gears"]))' < <("$gearc" inspect "$out/$f.gearc" --json))
  for ((k = 0; k < n; k++)); do "$gearc" export "$out/$f.gearc" --gear=$k --output="$out/export/${f}_gear$k.onnx" >/dev/null; done
done
"$gearc" export "$out/tiny_batch.gearc" --gear=0 --output="$out/export/tiny_batch_gear0.dot"
/usr/bin/python3 - "$out/export" <<'PY'
import glob, sys, onnx
files = sorted(glob.glob(sys.argv[1] + "/*.onnx"))
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
echo "== 7. gears from data: gearc scale (MindOCR auto_scaling's options; images of every format, sizes from their headers)"
/usr/bin/python3 scripts/gen-scaling-dataset.py "$out/dataset"
set -x
"$gearc" scale --model=$model --dataset="$out/dataset/images" --input_shape=1,3,-1,-1 --strategy=mean_std \
  --max_scaling_num=9 --output="$out/scale_mean_std" --log=warning
{ set +x; } 2>/dev/null
n=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_gears"])' "$out/scale_mean_std/gears.json")
set -x
"$gearc" scale --model=$model --dataset="$out/dataset/images" --input_shape=1,3,-1,-1 --strategy=optimal \
  --num_gears="$n" --output="$out/scale_optimal" --compile --log=warning
"$gearc" scale --model=$model --dataset="$out/dataset/det_gt.txt" --input_shape=-1,3,32,32 --strategy=optimal \
  --num_gears=4 --output="$out/scale_batch" --log=warning
{ set +x; } 2>/dev/null
cat "$out/scale_optimal/atc_commands.sh"

echo "demo done: outputs in out/demo/"
