#!/usr/bin/env python3
"""Writes a small dataset for gear scaling with a known size distribution (fixed seed):

  OUT/images/       IMAGES images (PNG, JPEG, progressive JPEG, BMP, GIF, WebP in turn): document photos
                    and scans of a few aspect ratios, some larger than limit_side_len (1280), plus
                    readme.txt (not an image: gearc skips it with a warning)
  OUT/det_gt.txt    LINES lines of MindOCR's text-detection annotations: image<TAB>JSON boxes, 0..40
                    boxes per image (a few images without boxes), rotated quadrilaterals of text lines
  OUT/sizes.json    the true (height, width) of every image and every box, and the box counts

usage: gen-scaling-dataset.py OUT [--images N] [--lines N]     (needs python3-pil)
"""
import argparse
import json
import math
import os
import random
import sys

from PIL import Image

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--images", type=int, default=60)
p.add_argument("--lines", type=int, default=300)
a = p.parse_args()

rng = random.Random(20261203)
img_dir = os.path.join(a.out, "images")
os.makedirs(img_dir, exist_ok=True)

# (height, width) of document photos and scans; pixels are one flat colour so the files stay small
shapes = [(4032, 3024), (3024, 4032), (1754, 1240), (2339, 1654), (1080, 1920), (720, 1280), (600, 800)]
formats = [("png", {}), ("jpg", {}), ("jpg", {"progressive": True}), ("bmp", {}), ("gif", {}), ("webp", {"lossless": True})]
truth = {"images": {}, "boxes": [], "box_counts": []}
for i in range(a.images):
    h, w = shapes[rng.randrange(len(shapes))]
    f = rng.uniform(0.1, 0.6)  # photos downscaled by the phone or the scanner (some still above 1280)
    h, w = max(1, int(h * f)), max(1, int(w * f))
    ext, opts = formats[i % len(formats)]
    name = f"img_{i:04d}.{ext}"
    mode = {"gif": "P", "bmp": "1"}.get(ext, "RGB")  # 1-bit BMPs keep the files small
    im = Image.new(mode, (w, h), (200, 200, 200) if mode == "RGB" else 0)
    im.save(os.path.join(img_dir, name), **opts)
    truth["images"][name] = [h, w]
with open(os.path.join(img_dir, "readme.txt"), "w") as f:
    f.write("not an image\n")

with open(os.path.join(a.out, "det_gt.txt"), "w") as f:
    for i in range(a.lines):
        n = 0 if i % 25 == 0 else min(40, int(rng.expovariate(1 / 8)) + 1)
        boxes = []
        for _ in range(n):
            h = rng.uniform(12, 60)
            w = h * rng.lognormvariate(math.log(6), 0.6)  # text lines: aspect ratio around 6
            t = rng.uniform(-0.2, 0.2)  # slightly rotated
            x0, y0 = rng.uniform(0, 500), rng.uniform(0, 500)
            c, s = math.cos(t), math.sin(t)
            pts = [[x0, y0], [x0 + w * c, y0 + w * s], [x0 + w * c - h * s, y0 + w * s + h * c], [x0 - h * s, y0 + h * c]]
            boxes.append({"transcription": "text", "points": [[round(x, 2), round(y, 2)] for x, y in pts]})
            truth["boxes"].append([h, w])
        if n:
            truth["box_counts"].append(n)
        f.write(f"img_{i:05d}.jpg\t{json.dumps(boxes)}\n")

with open(os.path.join(a.out, "sizes.json"), "w") as f:
    json.dump(truth, f)
print(f"wrote {a.images} images and {a.lines} annotation lines to {a.out}", file=sys.stderr)
