#!/usr/bin/env bash
# Exports gearc's real-model set (ResNet-18, MobileNetV2, ShuffleNetV2, a Resize segmentation net, a CRNN
# with a bidirectional LSTM, a small Transformer encoder) as ONNX with dynamic axes N/H/W/T, plus models.json
# (inputs with their symbolic dims, suggested gear options). Random weights, torch.manual_seed(0).
# usage: scripts/gen-real-models.sh OUT_DIR [--force]
#   needs: apt-get install python3-torch python3-torchvision python3-onnx   (run with Debian's /usr/bin/python3)
# Idempotent: OUT_DIR is rebuilt only when it is missing, incomplete, or was made by another version of the
# exporter; it is replaced as a whole (built in a temporary directory, then renamed).
set -euo pipefail
out="${1:?usage: $0 OUT_DIR [--force]}"
force="${2:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exporter="$here/real_models/export.py"
py=/usr/bin/python3

stamp="$(cat "$exporter" "$0" | sha256sum | cut -d' ' -f1)"
if [ -z "$force" ] && [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$stamp" ]; then
    echo "$out is up to date (remove it or pass --force to export again)"
    exit 0
fi

if [ ! -x "$py" ] || ! "$py" -c 'import torch, torchvision' 2>/dev/null; then
    echo "error: $0 needs PyTorch and torchvision for Debian's $py;" \
         "install them with: apt-get install python3-torch python3-torchvision" >&2
    exit 1
fi
if ! "$py" -c 'import onnx' 2>/dev/null; then
    echo "error: $0 needs the onnx Python package; install it with: apt-get install python3-onnx" >&2
    exit 1
fi

parent="$(dirname "$out")"
mkdir -p "$parent"
tmp="$(mktemp -d "$parent/.$(basename "$out").tmp.XXXXXX")"
old=""
cleanup() { rm -rf "$tmp"; [ -n "$old" ] && rm -rf "$old"; return 0; }
trap cleanup EXIT

echo "exporting to $out"
start=$SECONDS
# Single-threaded torch is as fast here and does not fight other jobs for the cores.
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" "$py" "$exporter" "$tmp"
echo "$stamp" > "$tmp/.complete"
chmod 755 "$tmp"

# Swap the new directory in: the old one (if any) is moved aside first, so OUT_DIR is never half-written.
if [ -e "$out" ]; then
    old="$(mktemp -d "$parent/.$(basename "$out").old.XXXXXX")"
    mv "$out" "$old/"
fi
mv "$tmp" "$out"
echo "wrote $out in $((SECONDS - start)) s:"
(cd "$out" && ls -l --block-size=K -- *.onnx models.json | awk '{printf "  %-26s %8s\n", $NF, $5}')
