#!/usr/bin/env python3
"""End-to-end tests of `gearc scale`, run as a user would: datasets written by scripts/gen-scaling-dataset.py
(sizes.json holds the true sizes), every strategy, config files, --compile, and every error path (a code,
a Solution line, exit status 1, nothing written).

usage: test_scale.py GEARC_BINARY DATASET_DIR MODEL.onnx WORK_DIR
"""
import json
import math
import os
import shutil
import subprocess
import sys

gearc, data, model, work = sys.argv[1:5]
images, ann = os.path.join(data, "images"), os.path.join(data, "det_gt.txt")
truth = json.load(open(os.path.join(data, "sizes.json")))
failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, ok=True):
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([gearc, "scale", *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        failures.append(f"gearc scale {' '.join(args)} failed: {p.stderr}")
        print("FAIL:", args, p.stdout, p.stderr)
    return p


def gears_json():
    return json.load(open(os.path.join(work, "out", "gears.json")))


def round_up(x, iv=32):
    return max(1, math.ceil(x / iv - 1e-9)) * iv


def limited(h, w, limit=1280):
    m = max(h, w)
    return (h * limit / m, w * limit / m) if m > limit else (h, w)


out = os.path.join(work, "out")
os.makedirs(work, exist_ok=True)

# ---- image folder, H and W dynamic: the headers were read right --------------------------------------
lim = [limited(h, w) for h, w in truth["images"].values()]
with open(os.path.join(work, "zero_expand.yaml"), "w") as f:
    f.write("auto_scaling:\n  strategy: max_min\n  max_min:\n    expand_ratio: 0\n  interval: 32\n")
p = run(f"--model={model}", f"--dataset={images}", "--input_shape=1,3,-1,-1", f"--output={out}",
        "--config=" + os.path.join(work, "zero_expand.yaml"))
j = gears_json()
check("readme.txt" in p.stderr and "[WARNING]" in p.stderr, "a non-image file is skipped with a warning")
check(j["dataset"]["samples"] == len(truth["images"]) and j["dataset"]["skipped_files"] == 1, "every image read, one file skipped")
gs = j["models"][0]["gears"]
check(max(g[2] for g in gs) == round_up(max(h for h, _ in lim)), "max_min's largest height is the largest limited image height")
check(max(g[3] for g in gs) == round_up(max(w for _, w in lim)), "max_min's largest width is the largest limited image width")
check(min(g[2] for g in gs) == round_up(min(h for h, _ in lim)), "max_min's smallest height is the smallest image height")
check(j["strategy"] == "max_min" and j["cost_model"] == "flops", "config file strategy and the FLOPs cost with a model")
for f in ("gears.json", "atc_commands.sh", "lite_config.txt"):
    check(os.path.exists(os.path.join(out, f)), f"{f} written")
atc = open(os.path.join(out, "atc_commands.sh")).read()
check("--framework=5" in atc and "--dynamic_image_size=" in atc, "ATC command with --dynamic_image_size")
check(open(os.path.join(out, "lite_config.txt")).read().startswith("[ascend_context]\ninput_format=NCHW\ninput_shape=x:[1,3,-1,-1]\ndynamic_dims=["),
      "MindSpore Lite config file")

# ---- the three strategies at the same number of gears: optimal pads least, covers everything ----------
res = {}
for s in ("mean_std", "max_min"):
    run(f"--model={model}", f"--dataset={images}", "--input_shape=1,3,-1,-1", f"--output={out}", f"--strategy={s}",
        "--max_scaling_num=9")
    res[s] = gears_json()
    check(res[s]["total_gears"] <= 9, f"{s}: at most max_scaling_num gears")
    n = res[s]["total_gears"]
    run(f"--model={model}", f"--dataset={images}", "--input_shape=1,3,-1,-1", f"--output={out}", "--strategy=optimal",
        f"--num_gears={n}")
    o = gears_json()
    check(o["total_gears"] <= n, f"optimal uses at most {s}'s {n} gears")
    check(o["report"]["uncovered_share"] == 0, "optimal covers every image")
    if res[s]["report"]["uncovered_share"] == 0:
        check(o["report"]["padding_overhead"] <= res[s]["report"]["padding_overhead"] + 1e-9,
              f"optimal pads no more than {s} at {n} gears")
    print(f"images, {n} gears: {s} overhead {res[s]['report']['padding_overhead']:.3f} "
          f"(uncovered {100 * res[s]['report']['uncovered_share']:.1f}%), optimal {o['report']['padding_overhead']:.3f} "
          f"(gap {100 * o['report']['axes'][0]['optimality_gap']:.2f}%)")

# ---- annotation file: batch and width dynamic -> one model per batch size --------------------------
p = run(f"--dataset={ann}", "--input_shape=x:-1,3,48,-1", f"--output={out}", "--max_scaling_num=40")
j = gears_json()
check(j["cost_model"] == "area", "area cost without a model")
check(j["dataset"]["batch_samples"] == len(truth["box_counts"]), "one batch sample per image with boxes")
check(j["dataset"]["samples"] == len(truth["boxes"]), "one size sample per box")
check(len(j["models"]) >= 1 and all(m["input_shape"].startswith("x:") for m in j["models"]), "models named by input")
check(j["total_gears"] <= 40, "the total over all per-batch models stays within max_scaling_num")
names = sorted(os.listdir(out))
check(all(n.startswith("lite_config_") for n in names if n.startswith("lite_config")) and len(j["models"]) ==
      len([n for n in names if n.startswith("lite_config_")]), "lite_config_<bs>.txt per batch size, as MindOCR names them")
for m in j["models"]:
    check(m["input_format"] == "ND" and "dynamic_dims" in m, "one dynamic side: --input_format=ND --dynamic_dims")
    check(all(g[3] % 32 == 0 and g[3] > 0 for g in m["gears"]), "width gears are positive multiples of 32")

p = run(f"--dataset={ann}", "--input_shape=-1,3,48,320", f"--output={out}", "--strategy=optimal", "--num_gears=5")
j = gears_json()
bs = [g[0] for g in j["models"][0]["gears"]]
check(len(bs) == 5 and max(bs) == max(truth["box_counts"]), "optimal batch gears: 5, the largest covers the largest box count")
check(j["models"][0]["dynamic_batch_size"] == ",".join(map(str, bs)), "--dynamic_batch_size lists the batch gears")
check(j["report"]["axes"][0]["optimality_gap"] == 0, "1-D optimal is exact")

# ---- no dataset: default_scaling, thinned to the budget -------------------------------------------
p = run("--input_shape=-1,3,-1,-1", f"--output={out}")
j = gears_json()
check(j["total_gears"] <= 100 and len(j["models"]) == 5, "default scaling: 5 batch models within 100 gears (MindOCR made 5 x 580)")

# ---- --compile ---------------------------------------------------------------------------------------
p = run(f"--model={model}", f"--dataset={images}", f"--output={out}", "--strategy=optimal", "--num_gears=4", "--compile",
        "--log=error")
j = gears_json()
check(j["input"]["shape"] == "-1,3,-1,-1", "the input shape comes from the model when --input_shape is left out")
check(len(j["compiled"]) == len(j["models"]) and all(len(c["gears"]) >= 1 for c in j["compiled"]), "--compile compiled every model")
check(all(g["flops"] > 0 and g["arena_bytes"] > 0 for c in j["compiled"] for g in c["gears"]), "compiled gears report FLOPs and arena")
check(p.stderr == "", "--log=error prints nothing on success")

# ---- errors: a code, a Solution line, exit 1, nothing written ----------------------------------------
def error(args, code, text):
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([gearc, "scale", *args, f"--output={out}"], capture_output=True, text=True)
    check(p.returncode == 1, f"{args}: exit status 1 (got {p.returncode})")
    check(any(l.startswith(code + ": ") for l in p.stderr.splitlines()[:2]), f"{args}: {code} on the first lines of stderr, ATC style (got {p.stderr[:200]!r})")
    check(text in p.stderr, f"{args}: message says {text!r} (got {p.stderr[:300]!r})")
    check("\nSolution: " in p.stderr, f"{args}: a Solution line")
    check(not os.path.exists(out), f"{args}: nothing written")


with open(os.path.join(work, "bad.yaml"), "w") as f:
    f.write("auto_scaling:\n  strategy: [unclosed\n")
with open(os.path.join(work, "typo.yaml"), "w") as f:
    f.write("auto_scaling:\n  intervall: 32\n")
error([f"--dataset={images}", "--input_shape=1,3,-1,-1", "--strategy=optimum"], "E10001", "did you mean [optimal]")
error([f"--dataset={images}", "--input_shape=1,3,-1"], "E10001", "4-D NCHW or NHWC shape")
error([f"--dataset={images}", "--input_shape=1,-1,32,32"], "E10001", "only the batch, height and width axes")
error([f"--dataset={os.path.join(work, 'missing')}", "--input_shape=1,3,-1,-1"], "GC5001", "does not exist")
error([f"--dataset={images}", "--input_shape=1,3,-1,-1", "--config=" + os.path.join(work, "bad.yaml")], "GC3001", "line")
error([f"--dataset={images}", "--input_shape=1,3,-1,-1", "--config=" + os.path.join(work, "typo.yaml")], "E10001",
      "did you mean [interval]")
error([f"--dataset={images}", "--input_shape=1,3,-1,-1", "--compile"], "E10001", "[--compile]")
error([f"--dataset={images}", "--input_shape=1,3,-1,-1", "--cost=flops"], "E10001", "needs --model")
error([f"--dataset={images}", "--input_shape=1,3,-1,-1", "--interval=0"], "E10001", "[interval]")
error([f"--model={model}", f"--dataset={images}", "--input_shape=1,4,-1,-1"], "E10001", "axis [1] of input [x] is 3 in the model")
error([f"--model={model}", f"--dataset={images}", "--input_name=y"], "E10001", "no input named [y]")
error([f"--dataset={images}", "--input_shape=1,3,-1,-1", "--no-such-option"], "E10001", "no-such-option")
with open(os.path.join(work, "empty.txt"), "w") as f:
    f.write("a.jpg\t[]\n")
error([f"--dataset={os.path.join(work, 'empty.txt')}", "--input_shape=-1,3,48,-1"], "GC5004", "holds no text box")
with open(os.path.join(work, "broken.txt"), "w") as f:
    f.write("a.jpg\t[{\"points\": [[0,0],[1,1]]}]\n")
error([f"--dataset={os.path.join(work, 'broken.txt')}", "--input_shape=-1,3,48,-1"], "GC5005", "broken.txt:1:")

# ---- --help documents every option with an example ------------------------------------------------
p = subprocess.run([gearc, "scale", "--help"], capture_output=True, text=True)
check(p.returncode == 0, "--help exits 0")
for opt in ("--model", "--dataset", "--input_shape", "--input_name", "--config", "--strategy", "--num_gears", "--output",
            "--compile", "--cost", "Examples:"):
    check(opt in p.stdout, f"--help mentions {opt}")

print(f"{checks - len(failures)} of {checks} checks passed")
sys.exit(1 if failures else 0)
