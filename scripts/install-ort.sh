#!/usr/bin/env bash
# Installs ONNX Runtime's CPU library with its Node.js binding (npm package onnxruntime-node) into DIR, for the
# real-model reference outputs and benchmarks. Idempotent: nothing happens when DIR already has it.
# usage: scripts/install-ort.sh [DIR]     (default: $GEARC_ORT_DIR, else ~/.cache/gearc/ort)
#   needs node and npm (install-deps.sh installs Debian's nodejs and npm when they are missing)
set -euo pipefail
dir="${1:-${GEARC_ORT_DIR:-$HOME/.cache/gearc/ort}}"
version="1.30.0"
if [ -f "$dir/node_modules/onnxruntime-node/package.json" ] &&
   grep -q "\"version\": \"$version\"" "$dir/node_modules/onnxruntime-node/package.json"; then
  exit 0
fi
command -v npm >/dev/null || { echo "install-ort: npm is missing (apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$dir"
# --ignore-scripts: the install script only fetches GPU extras, which are not needed (and not reachable)
npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$dir" "onnxruntime-node@$version" >/dev/null
echo "install-ort: onnxruntime-node $version in $dir"
