#!/usr/bin/env bash
# Installs every Debian package gearc needs to build, test and run its demo. Idempotent: packages
# already present are not touched, and apt-get runs only when something is missing.
set -euo pipefail

packages=(
  g++ cmake make python3                      # toolchain; python3 runs the amalgamation script
  libeigen3-dev libxtensor-dev libxsimd-dev   # gearc::gearc
  libonnx-dev libprotobuf-dev protobuf-compiler  # gearc::onnx
  doctest-dev                                 # unit tests
  libcli11-dev nlohmann-json3-dev             # gearc::gearc (fusion switch files), the tool and examples
  python3-onnx python3-numpy                  # ONNX's conformance cases, onnx.checker in tests
  python3-pil                                 # images of every format for the gear-scaling tests and demo
  libyaml-cpp-dev                             # the gearc tool reads MindOCR's scaling.yaml
  python3-torch python3-torchvision           # real architectures exported for the compile tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node.js and npm run ONNX Runtime (npm's onnxruntime-node) for reference outputs; any node >= 16 will do.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
