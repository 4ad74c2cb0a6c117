#!/usr/bin/env python3
"""End-to-end tests of `gearc compile`, `gearc run`, `gearc inspect` and `gearc export`, run as a user would.

Real exported models (scripts/gen-real-models.sh) are compiled with each kind of gear option (ATC's
--dynamic_batch_size, --dynamic_image_size, --dynamic_dims, a static --input_shape) and with MindSpore Lite's
config file and spellings; every gear is run on .npy inputs and its outputs compared with ONNX Runtime's on the
original model (scaled error max|gearc - ORT| / (1e-3 + max|ORT|) < 1e-3). Then .bin inputs, --dym* selection,
--pad, the output formats, the JSON report, inspect, export (onnx.checker, DOT), every error code of the gear
options through the tool (exit status 1, ATC's two lines, nothing written), options refused rather than ignored,
corrupted model files, --help, and the progress bar on a terminal.

usage: test_tool.py GEARC REAL_MODELS_DIR TINY_MODEL.onnx ORT_RUN_JS WORK_DIR
"""
import json
import os
import pty
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx

gearc, models, tiny, ort_js, work = sys.argv[1:6]
failures = []
checks = 0
rng = np.random.default_rng(7)


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def tool(*args, ok=True):
    p = subprocess.run([gearc, *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        failures.append(f"gearc {' '.join(args)} failed ({p.returncode}): {p.stderr}")
        print("FAIL:", args, p.stdout, p.stderr, flush=True)
    return p


def ort(model, feeds, out_dir):
    """ONNX Runtime's outputs for feeds {name: array} on the original model."""
    shutil.rmtree(out_dir, ignore_errors=True)
    args = []
    for name, a in feeds.items():
        path = os.path.join(work, f"ort_in_{name}.npy")
        np.save(path, a)
        args.append(f"{name}={path}")
    subprocess.run(["node", ort_js, model, out_dir, "--threads=2", *args], check=True, capture_output=True)
    return {f[:-4]: np.load(os.path.join(out_dir, f)) for f in os.listdir(out_dir)}


def scaled_error(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(np.max(np.abs(a - b)) / (1e-3 + np.max(np.abs(b)))) if b.size else 0.0


def random_input(dtype, shape):
    if dtype == "int64":
        return rng.integers(0, 1000, size=shape, dtype=np.int64)  # token ids below the transformer's vocabulary
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


def inspect_json(path):
    p = tool("inspect", path, "--json")
    return json.loads(p.stdout) if p.returncode == 0 else {}


shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
M = lambda name: os.path.join(models, name)

# ---- compile real models with every kind of gear option, run every gear, compare with ONNX Runtime -------------
with open(os.path.join(work, "lite_config.txt"), "w") as f:
    f.write("[ascend_context]\ninput_format=NCHW\ninput_shape=x:[1,3,-1,-1]\ndynamic_dims=[224,224],[256,256]\n"
            "precision_mode=enforce_fp32\n")
cases = [
    # (label, onnx, compile arguments, [(gear index, input shapes)] in option order)
    ("resnet18 --dynamic_batch_size", "resnet18.onnx",
     ["--framework=5", "--input_shape=x:-1,3,224,224", "--dynamic_batch_size=4,1,2", "--soc_version=Ascend310"],
     [{"x": (4, 3, 224, 224)}, {"x": (1, 3, 224, 224)}, {"x": (2, 3, 224, 224)}]),
    ("segnet --dynamic_image_size", "segnet.onnx",
     ["--input_shape", "x:1,3,-1,-1", "--dynamic_image_size", "360,480;256,256"],  # the "--opt value" spelling
     [{"x": (1, 3, 360, 480)}, {"x": (1, 3, 256, 256)}]),
    ("crnn --dynamic_dims", "crnn.onnx",
     ["--input_format=ND", "--input_shape=x:-1,1,32,-1", "--dynamic_dims=1,128;4,256", "--precision_mode=force_fp32"],
     [{"x": (1, 1, 32, 128)}, {"x": (4, 1, 32, 256)}]),
    ("mobilenet_v2 MindSpore Lite config", "mobilenet_v2.onnx", [f"--config={work}/lite_config.txt"],
     [{"x": (1, 3, 224, 224)}, {"x": (1, 3, 256, 256)}]),
    ("transformer static --input_shape", "transformer.onnx", ["--input_shape=tokens:2,16", "--op_select_implmode=high_precision"],
     [{"tokens": (2, 16)}]),
]
compiled = {}
for label, onnx_file, args, gears in cases:
    out = os.path.join(work, "models", label.split()[0])
    p = tool("compile", f"--model={M(onnx_file)}", f"--output={out}", "--log=error", *args)
    check(p.returncode == 0 and os.path.isfile(out + ".gearc"), f"{label}: compiles to {out}.gearc")
    check(p.stderr == "", f"{label}: --log=error prints nothing on success (got {p.stderr[:200]!r})")
    if p.returncode != 0:
        continue
    compiled[label] = out + ".gearc"
    info = inspect_json(out + ".gearc")
    got = [tuple(int(d) for d in re.findall(r"\d+", g["inputs"][next(iter(gears[0]))])) for g in info.get("gears", [])]
    want = [tuple(g[next(iter(g))]) for g in gears]
    check(got == want, f"{label}: gears numbered from 0 in option order ({got} vs {want})")
    model_inputs = {i.name: i.type.tensor_type.elem_type for i in onnx.load(M(onnx_file), load_external_data=False).graph.input}
    for k, shapes in enumerate(gears):
        feeds = {n: random_input("int64" if model_inputs[n] == onnx.TensorProto.INT64 else "float32", s) for n, s in shapes.items()}
        files = []
        for n, a in feeds.items():
            files.append(os.path.join(work, f"in_{n}.npy"))
            np.save(files[-1], a)
        res = os.path.join(work, "res")
        shutil.rmtree(res, ignore_errors=True)
        rep = os.path.join(work, "report.json")
        p = tool("run", f"--model={out}.gearc", f"--input={','.join(files)}", f"--output={res}", "--loop=2", "--warmup=1",
                 "--threads=2", f"--report={rep}", "--log=error")
        if p.returncode != 0:
            continue
        r = json.load(open(rep))
        check(r["gear"]["index"] == k, f"{label}: the gear is chosen from the .npy shapes (gear {k}, got {r['gear']['index']})")
        lat = r["latency_ms"]
        check(0 < lat["min"] <= lat["median"] <= lat["max"] and r["loop"] == 2, f"{label} gear {k}: latency min <= median <= max")
        ref = ort(M(onnx_file), feeds, os.path.join(work, "ort_out"))
        for o in r["outputs"]:
            mine = np.load(o["file"])
            check(o["name"] in ref and mine.shape == ref[o["name"]].shape, f"{label} gear {k}: output {o['name']} shape")
            if o["name"] in ref and mine.shape == ref[o["name"]].shape:
                e = scaled_error(mine, ref[o["name"]])
                print(f"  {label} gear {k} {o['name']}{list(mine.shape)}: scaled error vs ONNX Runtime {e:.2e}", flush=True)
                check(e < 1e-3, f"{label} gear {k}: {o['name']} matches ONNX Runtime (scaled error {e:.2e})")

# ---- MindSpore Lite's converter spelling ------------------------------------------------------------------------
out = os.path.join(work, "models", "lite")
p = tool("compile", "--fmk=ONNX", f"--modelFile={M('mobilenet_v2.onnx')}", f"--configFile={work}/lite_config.txt",
         "--optimize=ascend_oriented", "--saveType=MINDIR", f"--outputFile={out}", "--log=error")
check(p.returncode == 0 and os.path.isfile(out + ".gearc"), "converter_lite's spelling compiles")
info = inspect_json(out + ".gearc")
check(info.get("options", {}).get("config", "").endswith("lite_config.txt") and info["options"].get("precision_mode") == "force_fp32",
      "the config file and its options are recorded (enforce_fp32 stored as ATC's force_fp32)")

# ---- run: .bin inputs, explicit gears, --pad, output formats -----------------------------------------------------
rn = compiled.get("resnet18 --dynamic_batch_size")
if rn:
    x2 = random_input("float32", (2, 3, 224, 224))
    np.save(f"{work}/x2.npy", x2)
    x2.tofile(f"{work}/x2.bin")
    ref = ort(M("resnet18.onnx"), {"x": x2}, f"{work}/ort_out")["logits"]
    p = tool("run", f"--model={rn}", f"--input={work}/x2.bin", f"--output={work}/bin_auto", "--log=error")
    check(p.returncode == 0 and "gear        2:" in p.stdout, f".bin input: the one gear of its size is used ({p.stdout[:300]!r})")
    for fmt in ["NPY", "BIN", "TXT"]:
        p = tool("run", f"--model={rn}", f"--input={work}/x2.bin", "--dymBatch=2", f"--output={work}/fmt", f"--outfmt={fmt}", "--log=error")
        f = f"{work}/fmt/logits.{fmt.lower()}"
        if fmt == "NPY":
            got = np.load(f)
        elif fmt == "BIN":
            got = np.fromfile(f, dtype=np.float32).reshape(2, 1000)
        else:
            lines = open(f).read().splitlines()
            check(len(lines) == 2 and all(len(l.split()) == 1000 for l in lines), "TXT: one line per row of the last axis")
            got = np.array([[float(v) for v in l.split()] for l in lines], dtype=np.float32)
        check(scaled_error(got, ref) < 1e-3, f"--outfmt={fmt} with --dymBatch=2 on a .bin input matches ONNX Runtime")
    # a folder of inputs, named after the model's input
    os.makedirs(f"{work}/folder", exist_ok=True)
    shutil.copy(f"{work}/x2.npy", f"{work}/folder/x.npy")
    p = tool("run", f"--model={rn}", f"--input={work}/folder", f"--output={work}/from_folder", "--log=error")
    check(p.returncode == 0 and scaled_error(np.load(f"{work}/from_folder/logits.npy"), ref) < 1e-3, "--input=FOLDER")
    # --dymDims names the gear by its input shapes
    p = tool("run", f"--model={rn}", f"--input={work}/x2.bin", "--dymDims=x:2,3,224,224", f"--report={work}/r.json", "--log=error")
    check(p.returncode == 0 and json.load(open(f"{work}/r.json"))["gear"]["index"] == 2, "--dymDims=x:2,3,224,224 runs gear 2")
    # --pad: batch 3 runs on the batch-4 gear, output cropped to 3 rows
    x3 = random_input("float32", (3, 3, 224, 224))
    np.save(f"{work}/x3.npy", x3)
    p = tool("run", f"--model={rn}", f"--input={work}/x3.npy", "--log=error", ok=False)
    check(p.returncode == 1 and "GC6001" in p.stderr, "batch 3 without --pad: GC6001 names the gears")
    p = tool("run", f"--model={rn}", f"--input={work}/x3.npy", "--pad", f"--output={work}/pad", f"--report={work}/pad.json", "--log=error")
    if p.returncode == 0:
        r3 = ort(M("resnet18.onnx"), {"x": x3}, f"{work}/ort_out")["logits"]
        got = np.load(f"{work}/pad/logits.npy")
        check(got.shape == (3, 1000) and scaled_error(got, r3) < 1e-3, "--pad: batch 3 on gear 0 (batch 4), cropped, matches ONNX Runtime")
        check(json.load(open(f"{work}/pad.json"))["gear"]["index"] == 0, "--pad reports the covering gear")
    # run errors: each a code, a Solution line, exit status 1, no output written
    run_errors = [
        (["--input=" + f"{work}/x2.bin", "--dymBatch=3"], "GC6001", "no gear has batch size 3"),
        (["--input=" + f"{work}/x2.npy", "--dymBatch=4"], "GC6002", "gear [0] takes float32[4,3,224,224]"),
        (["--input=" + f"{work}/x2.bin", "--dymHW=224,224"], "E10001", "not dynamic_image_size"),
        (["--input=" + f"{work}/x2.bin", "--dymBatch=2", "--dymHW=2,2"], "E10001", "cannot be used together"),
        (["--input=" + f"{work}/x2.npy,{work}/x2.npy"], "E10001", "the model has 1 inputs"),
        (["--input=" + f"{work}/missing.npy"], "GC1001", "missing.npy"),
        (["--input=" + f"{work}/x2.npy", "--outfmt=CSV"], "E10001", "NPY, BIN, TXT"),
        (["--input=" + f"{work}/x2.npy", "--dymDims=y:2,3,224,224"], "E10001", "no input named [y]"),
        (["--input=" + f"{work}/lite_config.txt"], "E10001", "neither a .npy nor a .bin"),
    ]
    (open(f"{work}/odd.bin", "wb")).write(b"\0" * 12)
    run_errors.append((["--input=" + f"{work}/odd.bin"], "GC6002", "12 bytes, which is no gear's size"))
    for args, code, text in run_errors:
        shutil.rmtree(f"{work}/err_out", ignore_errors=True)
        p = tool("run", f"--model={rn}", *args, f"--output={work}/err_out", "--log=error", ok=False)
        lines = p.stderr.splitlines()
        check(p.returncode == 1 and len(lines) >= 3 and lines[0].startswith("gearc run failed") and lines[1].startswith(code + ": ")
              and text in p.stderr and "\nSolution: " in p.stderr, f"run {args}: {code} with {text!r} (got {p.returncode} {p.stderr[:300]!r})")
        check(not os.path.exists(f"{work}/err_out"), f"run {args}: no output written")

# ---- inspect ---------------------------------------------------------------------------------------------------------
if rn:
    j = inspect_json(rn)
    check(j.get("gear_kind") == "dynamic_batch_size" and len(j.get("gears", [])) == 3, "inspect: kind and gear table")
    check([i["name"] for i in j.get("inputs", [])] == ["x"] and j["inputs"][0]["type"].startswith("float32[")
          and [o["name"] for o in j["outputs"]] == ["logits"], "inspect: inputs and outputs")
    for g in j.get("gears", []):
        check(g["arena_bytes"] > 0 and g["flops"] > 1e9 and sum(g["nodes_by_op"].values()) == g["nodes"],
              f"inspect gear {g['index']}: arena, FLOPs, nodes by op")
    fl = {g["profile"][0]: g["flops"] for g in j.get("gears", [])}
    check(len(fl) == 3 and abs(fl[4] / fl[1] - 4) < 0.01 and abs(fl[2] / fl[1] - 2) < 0.01, f"inspect: FLOPs scale with the batch ({fl})")
    check(j["options"].get("soc_version") == "Ascend310" and j["options"].get("dynamic_batch_size") == "4,1,2",
          "inspect: the compile options (--soc_version recorded)")
    p = tool("inspect", rn)
    check(all(s in p.stdout for s in ["gear", "arena", "FLOPs", "compile options", "soc_version", "Ascend310", "logits"]),
          "inspect: the text form")

# ---- export ----------------------------------------------------------------------------------------------------------
for label, path in compiled.items():
    info = inspect_json(path)
    last = len(info["gears"]) - 1
    f = f"{work}/exports/{label.split()[0]}/gear.onnx"  # a folder that does not exist yet
    p = tool("export", path, f"--gear={last}", "--format=onnx", f"--output={f}")
    if p.returncode == 0:
        m = onnx.load(f)
        try:
            onnx.checker.check_model(m)
            valid = True
        except Exception as e:  # noqa: BLE001
            valid = False
            print(e)
        check(valid, f"export {label} gear {last}: onnx.checker accepts it")
        static = all(d.HasField("dim_value") for vi in list(m.graph.input) + list(m.graph.output) for d in vi.type.tensor_type.shape.dim)
        check(static and len(m.graph.node) == info["gears"][last]["nodes"], f"export {label}: static shapes, every node")
        shapes = {i.name: tuple(d.dim_value for d in i.type.tensor_type.shape.dim) for i in m.graph.input}
        want = {n: tuple(int(v) for v in re.findall(r"\d+", s)) for n, s in info["gears"][last]["inputs"].items()}
        check(all(shapes.get(n) == s for n, s in want.items()), f"export {label}: the gear's input shapes ({shapes} vs {want})")
    d = f"{work}/exports/dot/{label.split()[0]}.dot"
    p = tool("export", path, f"--gear={last}", f"--output={d}")
    if p.returncode == 0:
        text = open(d).read()
        check(text.startswith("digraph ") and text.rstrip().endswith("}")
              and text.count("shape=box") == info["gears"][last]["nodes"], f"export {label}: DOT with one box per node")
if rn:
    for args, text in [(["--gear=7", f"--output={work}/x.onnx"], "gears 0 to 2"), ([f"--output={work}/x.onnx"], "say which one"),
                       (["--gear=0", f"--output={work}/x.txt"], "--format"), (["--gear=0", "--format=svg", f"--output={work}/x.svg"], "onnx or dot")]:
        p = tool("export", rn, *args, ok=False)
        check(p.returncode == 1 and "E10001" in p.stderr and text in p.stderr and not os.path.exists(f"{work}/x.onnx"),
              f"export {args}: E10001 {text!r} ({p.stderr[:200]!r})")
    p = tool("export", rn, "--gear=generic", f"--output={work}/generic.onnx")
    check(p.returncode == 0 and any(not d.HasField("dim_value") for d in onnx.load(f"{work}/generic.onnx").graph.input[0].type.tensor_type.shape.dim),
          "export --gear=generic keeps the symbolic shapes")

# ---- every error code of the gear options, through the tool ------------------------------------------------------
gear_errors = [
    ([], "E10001", "maybe you should set input_shape"),
    (["--input_shape=x:-1,3,32,32", "--dynamic_batch_size=1,2", "--dynamic_image_size=32,32;64,64"], "E10001", "[--dynamic_batch_size] and"),
    (["--input_shape=y:1,3,32,32"], "E10001", "no input named [y]"),
    (["--input_format=ND", "--input_shape=x:-1,3,-1,-1", "--dynamic_dims=1,32;2,64"], "E10003", "has 3 -1 axes"),
    (["--input_shape=x:-1,3,-1,32", "--dynamic_batch_size=1,2"], "E10018", "only batch size N"),
    (["--input_shape=x:-1,3,-1,-1", "--dynamic_image_size=32,32;64,64"], "E10019", "only the height and width"),
    (["--input_shape=x:1,3,-1,-1", "--dynamic_image_size=32,32,3;64,64"], "E10020", "has 3 values"),
    (["--input_shape=x:1,3,32,32", "--dynamic_batch_size=1,2"], "E10031", "none of the nodes"),
    (["--input_shape=x:-1,3,32,32", "--dynamic_batch_size=2"], "E10035", "has [1] profiles"),
    (["--input_shape=x:-1,3,32,32", "--dynamic_batch_size=" + ",".join(str(i) for i in range(1, 102))], "E10036", "[101] profiles"),
    (["--input_format=ND", "--input_shape=x:-1,3,-1,32", "--dynamic_dims=1,32;2"], "E10037", "inconsistent dimension counts"),
    (["--input_shape=x:-1,3,32,32", "--dynamic_batch_size=1,0"], "E10038", "greater than 0"),
    (["--input_shape=x:-1,3,32,32", "--dynamic_batch_size=1,2,2"], "E10039", "duplicate profiles"),
    # options that are refused rather than ignored
    (["--input_shape=x:1,3,32,32", "--precision_mode=force_fp16"], "E10001", "forcing float16 is not implemented"),
    (["--input_shape=x:1,3,32,32", f"--insert_op_conf={work}/aipp.cfg"], "E10001", "AIPP"),
    (["--input_shape=x:1,3,32,32", "--output_type=FP16"], "E10001", "does not convert outputs"),
    (["--input_shape=x:1,3,32,32", "--out_nodes=conv:0"], "E10001", "ATC option that gearc does not implement"),
    (["--input_shape=x:1,3,32,32", "--dynamic_batch=1,2"], "E10001", "did you mean"),
    (["--input_shape=x:1,3,32,32", "--framework=3"], "E10001", "ONNX models only"),
    (["--input_shape=x:1,3,32,32", "--mode=1"], "E10001", "gearc inspect"),
    (["--input_shape=x:1,3,32,32", "--precision_mode=fp16"], "E10001", "must be one of"),
    (["--input_shape=x:1,3,32,32", "--log=verbose"], "E10001", "--log"),
    (["--input_shape=x:1,3,32,32", f"--fusion_switch_file={work}/missing.cfg"], "GC", "missing.cfg"),
]
with open(f"{work}/big.txt", "w") as f:
    f.write("[ascend_context]\ninput_shape=x:[-1,3,32,32]\ndynamic_dims=[1],[4096]\n")
with open(f"{work}/broken.txt", "w") as f:
    f.write("[ascend_context]\ninput_shape x:[1,3,32,32]\n")
with open(f"{work}/both.txt", "w") as f:
    f.write("[ascend_context]\ninput_shape=x:[-1,3,32,32]\ndynamic_dims=[1],[2]\n")
gear_errors += [([f"--config={work}/big.txt"], "E10038", "big.txt"), ([f"--config={work}/broken.txt"], "GC3001", "line 2"),
                ([f"--config={work}/both.txt", "--input_shape=x:-1,3,32,32", "--dynamic_batch_size=1,2"], "E10001", "both on the command line"),
                ([f"--config={work}/missing.txt"], "GC1001", "missing.txt")]
target = f"{work}/fail/model"
for args, code, text in gear_errors:
    shutil.rmtree(f"{work}/fail", ignore_errors=True)
    p = tool("compile", f"--model={tiny}", f"--output={target}", *args, ok=False)
    lines = p.stderr.splitlines()
    at = next((i for i, l in enumerate(lines) if l.startswith("gearc compile failed")), -1)  # after any [INFO] lines
    check(p.returncode == 1, f"compile {args}: exit status 1 (got {p.returncode})")
    check(at >= 0 and len(lines) >= at + 3 and lines[at + 1].startswith(code)
          and re.match(r"^[A-Z]+\d+: ", lines[at + 1]) is not None, f"compile {args}: ATC's lines with {code} (got {p.stderr[:300]!r})")
    check(text in p.stderr and "\nSolution: " in p.stderr, f"compile {args}: says {text!r} and how to fix it (got {p.stderr[:400]!r})")
    check(not os.path.exists(f"{work}/fail"), f"compile {args}: nothing written")
p = tool("compile", f"--model={work}/missing.onnx", f"--output={target}", ok=False)
check(p.returncode == 1 and "GC1001" in p.stderr and "missing.onnx" in p.stderr, "a missing model: GC1001 naming it")
os.makedirs(f"{work}/adir", exist_ok=True)
p = tool("compile", f"--model={tiny}", f"--output={work}/adir", "--input_shape=x:1,3,32,32", ok=False)
check(p.returncode == 1 and "E10001" in p.stderr and "names a directory" in p.stderr and os.listdir(f"{work}/adir") == [],
      "--output naming a directory: E10001, nothing written")
with open(f"{work}/fp16.txt", "w") as f:
    f.write("[ascend_context]\ninput_shape=x:[1,3,32,32]\nprecision_mode=enforce_fp16\n")
p = tool("compile", f"--model={tiny}", f"--output={target}", f"--config={work}/fp16.txt", ok=False)
check(p.returncode == 1 and "E10001" in p.stderr and "fp16.txt" in p.stderr and not os.path.exists(f"{work}/fail"),
      f"a config file's enforce_fp16 is refused, naming the file ({p.stderr[:300]!r})")
# a failed compile leaves an earlier OUT.gearc untouched
os.makedirs(f"{work}/keep", exist_ok=True)
tool("compile", f"--model={tiny}", f"--output={work}/keep/m", "--input_shape=x:1,3,32,32", "--log=error")
before = open(f"{work}/keep/m.gearc", "rb").read()
p = tool("compile", f"--model={tiny}", f"--output={work}/keep/m", "--input_shape=x:-1,3,32,32", "--dynamic_batch_size=2", ok=False)
check(p.returncode == 1 and open(f"{work}/keep/m.gearc", "rb").read() == before and os.listdir(f"{work}/keep") == ["m.gearc"],
      "a failed compile leaves the earlier file as it was, and no temporary file")

# ---- corrupted model files: refused cleanly by run and inspect ---------------------------------------------------
good = open(f"{work}/keep/m.gearc", "rb").read()
np.save(f"{work}/tiny_in.npy", random_input("float32", (1, 3, 32, 32)))
bad_files = {"truncated": (good[: len(good) // 2], "GC7003"), "flipped": (None, "GC7003"),
             "newer": (None, "GC7002"), "onnx": (open(tiny, "rb").read(), "GC7001"), "empty": (b"", "GC700")}
flipped = bytearray(good)
flipped[len(good) // 2] ^= 0x40
bad_files["flipped"] = (bytes(flipped), "GC7003")
newer = bytearray(good)
newer[8:12] = (99).to_bytes(4, "little")  # the format version, right after the 8-byte signature
bad_files["newer"] = (bytes(newer), "GC7002")
for name, (data, code) in bad_files.items():
    path = f"{work}/bad_{name}.gearc"
    open(path, "wb").write(data)
    for args in (["inspect", path], ["run", f"--model={path}", f"--input={work}/tiny_in.npy"], ["export", path, f"--output={work}/b.onnx"]):
        p = tool(*args, ok=False)
        check(p.returncode == 1 and code in p.stderr and path in p.stderr and "Solution:" in p.stderr,
              f"{name} model file, gearc {args[0]}: {code} naming the file, exit 1 (got {p.returncode} {p.stderr[:300]!r})")
p = tool("inspect", f"{work}/bad_newer.gearc", ok=False)
check("99" in p.stderr, "a newer file names its format version")

# ---- --help ------------------------------------------------------------------------------------------------------------
helps = {
    "compile": ["--model", "--framework", "--output", "--input_shape", "--input_format", "--dynamic_batch_size", "--dynamic_image_size",
                "--dynamic_dims", "--soc_version", "--precision_mode", "--op_select_implmode", "--output_type", "--fusion_switch_file",
                "--insert_op_conf", "--log", "--config", "Examples"],
    "run": ["--model", "--input", "--output", "--outfmt", "--loop", "--warmup", "--threads", "--dymBatch", "--dymHW", "--dymDims", "--pad",
            "--report", "Examples"],
    "inspect": ["--json", "Examples"],
    "export": ["--gear", "--format", "--output", "Examples"],
}
for sub, words in helps.items():
    p = tool(sub, "--help")
    check(p.returncode == 0 and all(w in p.stdout for w in words), f"gearc {sub} --help documents {[w for w in words if w not in p.stdout]}")

# ---- progress on a terminal: a bar while compiling, nothing with --log=error or without a terminal ---------------
def on_tty(*args):
    master, slave = pty.openpty()
    p = subprocess.run([gearc, *args], stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.returncode, out.decode(errors="replace")


common = ["compile", f"--model={tiny}", f"--output={work}/tty/m", "--input_shape=x:-1,3,32,32", "--dynamic_batch_size=1,2,4"]
rc, err = on_tty(*common)
check(rc == 0 and "compiling 3 gears [" in err and "3/3" in err and "\r" in err, f"a progress bar on a terminal (got {err[-300:]!r})")
rc, err = on_tty(*common, "--log=error")
check(rc == 0 and "compiling" not in err, f"--log=error: no progress bar (got {err[-300:]!r})")
p = tool(*common)
check("\r" not in p.stderr and "compiling 3 gears [" not in p.stderr, "no progress bar when stderr is not a terminal")

print(f"{checks - len(failures)}/{checks} checks passed")
sys.exit(1 if failures else 0)
