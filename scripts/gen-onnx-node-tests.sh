#!/usr/bin/env bash
# Writes ONNX's own per-operator conformance cases (node/, simple/, real/) into OUT_DIR, generated
# from the test-case generators shipped in Debian's python3-onnx (1.12, opsets up to 17).
# usage: scripts/gen-onnx-node-tests.sh OUT_DIR        (needs: apt-get install -y python3-onnx)
set -euo pipefail
out="${1:?usage: $0 OUT_DIR}"
if [ -f "$out/.complete" ]; then exit 0; fi
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
/usr/bin/python3 - "$out.tmp" <<'PY'
import sys, warnings, numpy as np
warnings.simplefilter("ignore", FutureWarning)
# python3-onnx 1.12's case generators still use aliases that numpy >= 1.24 removed.
for alias, real in (("float", float), ("int", int), ("bool", bool), ("object", object), ("complex", complex)):
    if not hasattr(np, alias):
        setattr(np, alias, real)
sys.argv = ["cmd_tools", "generate-data", "-o", sys.argv[1]]
import runpy
runpy.run_module("onnx.backend.test.cmd_tools", run_name="__main__")
PY
rm -rf "$out" && mv "$out.tmp" "$out" && touch "$out/.complete"
