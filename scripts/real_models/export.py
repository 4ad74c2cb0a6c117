"""Exports the real-model test set for gearc: small, randomly initialised PyTorch models as ONNX.

usage: /usr/bin/python3 scripts/real_models/export.py OUT_DIR
Writes OUT_DIR/<name>.onnx and OUT_DIR/models.json (the caller, gen-real-models.sh, makes it atomic).
Weights are random (torch.manual_seed(0)); the models are for compiling, shape inference and planning,
not for accuracy. The exporter's Shape/Gather/Concat shape subgraphs are kept on purpose.
"""
import json
import os
import sys
import time
import warnings

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torchvision
except ImportError as e:  # the shell wrapper checks first; this is for direct use
    sys.exit(f"error: {e}; install with: apt-get install python3-torch python3-torchvision")
import onnx

warnings.simplefilter("ignore")  # the exporter's TracerWarnings about dynamic shapes are expected


class seg_net(nn.Module):
    """A small encoder-decoder: two stride-2 stages, upsampled back with Resize by scale and by size."""

    def __init__(self, classes=5):
        super().__init__()
        def block(i, o, s):
            return nn.Sequential(nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))
        self.stem = block(3, 16, 1)
        self.down1 = block(16, 32, 2)
        self.down2 = block(32, 64, 2)
        self.fuse = block(64 + 32, 32, 1)
        self.head = nn.Conv2d(32 + 16, classes, 1)

    def forward(self, x):
        s0 = self.stem(x)
        s1 = self.down1(s0)
        s2 = self.down2(s1)
        up = F.interpolate(s2, scale_factor=2.0, mode="nearest")
        # odd input sizes: crop/pad back to the skip's size by resizing to it
        up = F.interpolate(up, size=s1.shape[-2:], mode="bilinear", align_corners=False)
        y = self.fuse(torch.cat([up, s1], 1))
        y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.head(torch.cat([y, s0], 1))


class crnn(nn.Module):
    """Text-line recogniser: conv stack to height 1, columns as time steps, bidirectional LSTM, classifier."""

    def __init__(self, classes=37, hidden=64):
        super().__init__()
        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, 1, 1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))
        self.features = nn.Sequential(
            block(1, 32), nn.MaxPool2d(2, 2),                 # 32 -> 16, W -> W/2
            block(32, 64), nn.MaxPool2d(2, 2),                # 16 -> 8,  W/4
            block(64, 96), nn.MaxPool2d((2, 1), (2, 1)),      # 8 -> 4
            block(96, 96), nn.MaxPool2d((4, 1), (4, 1)))      # 4 -> 1
        self.rnn = nn.LSTM(96, hidden, num_layers=1, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):                      # x: [N, 1, 32, W]
        f = self.features(x)                   # [N, 96, 1, W/4]
        f = f.permute(3, 0, 1, 2).flatten(2)   # [T, N, 96]
        y, _ = self.rnn(f)                     # [T, N, 128]
        return self.fc(y).log_softmax(2)       # [T, N, classes]


class tiny_transformer(nn.Module):
    """Token tagger: embedding + learned positions, 2-layer TransformerEncoder (d_model 64, 4 heads)."""

    def __init__(self, vocab=1000, d_model=64, heads=4, layers=2, classes=16, max_len=512):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        # batch_first=False keeps torch 1.13 off its fused inference fast path, which ONNX cannot export
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model, dropout=0.0)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d_model, classes)

    def forward(self, tokens):                 # tokens: [N, T] int64
        t = torch.arange(tokens.shape[1], device=tokens.device).unsqueeze(0)
        h = self.embed(tokens) + self.pos(t)   # [N, T, 64]
        h = self.encoder(h.transpose(0, 1))    # [T, N, 64]
        return self.fc(h.transpose(0, 1))      # [N, T, classes]


def image_options(name, c=3, hw=224, batches="1,2,4,8", sizes="224,224;256,256;320,320"):
    return [
        {"input_shape": f"{name}:-1,{c},{hw},{hw}", "dynamic_batch_size": batches},
        {"input_shape": f"{name}:1,{c},-1,-1", "dynamic_image_size": sizes},
    ]


# name -> (builder, example inputs, input names, output names, dynamic axes, opset, gear option suggestions)
def models():
    tv = torchvision.models
    img = lambda n, h, w: torch.randn(n, 3, h, w)
    return {
        "resnet18": (lambda: tv.resnet18(weights=None), (img(2, 224, 224),), ["x"], ["logits"],
                     {"x": {0: "N", 2: "H", 3: "W"}, "logits": {0: "N"}}, 13, image_options("x")),
        "mobilenet_v2": (lambda: tv.mobilenet_v2(weights=None), (img(2, 224, 224),), ["x"], ["logits"],
                         {"x": {0: "N", 2: "H", 3: "W"}, "logits": {0: "N"}}, 13, image_options("x")),
        "shufflenet_v2_x1_0": (lambda: tv.shufflenet_v2_x1_0(weights=None), (img(2, 224, 224),), ["x"], ["logits"],
                               {"x": {0: "N", 2: "H", 3: "W"}, "logits": {0: "N"}}, 13, image_options("x")),
        "segnet": (seg_net, (img(2, 128, 160),), ["x"], ["mask"],
                   {"x": {0: "N", 2: "H", 3: "W"}, "mask": {0: "N", 2: "H", 3: "W"}}, 13,
                   image_options("x", hw=256, sizes="256,256;360,480;512,512")),
        "crnn": (crnn, (torch.randn(2, 1, 32, 128),), ["x"], ["log_probs"],
                 {"x": {0: "N", 3: "W"}, "log_probs": {0: "T", 1: "N"}}, 13,
                 [{"input_shape": "x:-1,1,32,256", "dynamic_batch_size": "1,4,16"},
                  {"input_shape": "x:-1,1,32,-1", "dynamic_dims": "1,128;1,256;4,256;4,512"}]),
        "transformer": (tiny_transformer, (torch.randint(0, 1000, (2, 24)),), ["tokens"], ["logits"],
                        {"tokens": {0: "N", 1: "T"}, "logits": {0: "N", 1: "T"}}, 14,
                        [{"input_shape": "tokens:-1,64", "dynamic_batch_size": "1,2,4,8"},
                         {"input_shape": "tokens:-1,-1", "dynamic_dims": "1,16;1,64;8,32;8,128"}]),
    }


def describe(values):
    # gearc's dtype names (parse_dtype): ONNX's FLOAT is float32, DOUBLE float64, BOOL bool
    elem = {v: k.lower() for k, v in onnx.TensorProto.DataType.items()}
    elem.update({onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.DOUBLE: "float64"})
    out = []
    for v in values:
        t = v.type.tensor_type
        dims = [d.dim_param if d.HasField("dim_param") else d.dim_value for d in t.shape.dim]
        out.append({"name": v.name, "dtype": elem[t.elem_type], "dims": dims})
    return out


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    entries = []
    for name, (build, args, in_names, out_names, axes, opset, options) in models().items():
        start = time.time()
        torch.manual_seed(0)
        model = build().eval()
        path = os.path.join(out_dir, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(model, args, path, input_names=in_names, output_names=out_names, dynamic_axes=axes,
                              opset_version=opset, do_constant_folding=True)
        m = onnx.load(path)
        onnx.checker.check_model(m, full_check=True)
        ops = sorted({n.op_type for n in m.graph.node})
        entries.append({"name": name, "file": name + ".onnx", "opset": opset,
                        "inputs": describe(m.graph.input), "outputs": describe(m.graph.output),
                        "nodes": len(m.graph.node), "ops": ops, "gear_options": options})
        print(f"  {name + '.onnx':<24} {os.path.getsize(path) / 1e6:7.2f} MB  {len(m.graph.node):4d} nodes  "
              f"opset {opset}  {time.time() - start:5.1f} s  inputs "
              + ", ".join(f"{i['name']}{i['dims']}" for i in entries[-1]["inputs"]), flush=True)
    with open(os.path.join(out_dir, "models.json"), "w") as f:
        json.dump({"generator": "scripts/gen-real-models.sh", "torch": torch.__version__,
                   "torchvision": torchvision.__version__, "onnx": onnx.__version__, "seed": 0, "models": entries},
                  f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
