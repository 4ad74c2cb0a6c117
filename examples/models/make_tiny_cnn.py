#!/usr/bin/env python3
"""Writes examples/models/tiny_cnn.onnx: a small image classifier with dynamic batch, height and width.

x[N,3,H,W] -> Conv3x3(8) -> BatchNorm -> Relu -> MaxPool2 -> Conv3x3(16) -> Relu
           -> GlobalAveragePool -> Flatten -> Gemm(10) -> Softmax -> prob[N,10]
Weights are random with a fixed seed. Needs Debian's python3-onnx and python3-numpy.
"""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)


def init(name, shape, scale=0.2):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


inits = [
    init("conv1.w", (8, 3, 3, 3)), init("conv1.b", (8,)),
    numpy_helper.from_array(np.abs(rng.standard_normal(8)).astype(np.float32) + 0.5, "bn.scale"),
    init("bn.bias", (8,)), init("bn.mean", (8,)),
    numpy_helper.from_array(np.abs(rng.standard_normal(8)).astype(np.float32) + 0.5, "bn.var"),
    init("conv2.w", (16, 8, 3, 3)), init("conv2.b", (16,)),
    init("fc.w", (10, 16)), init("fc.b", (10,)),
]
nodes = [
    helper.make_node("Conv", ["x", "conv1.w", "conv1.b"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["b1"], name="bn1", epsilon=1e-5),
    helper.make_node("Relu", ["b1"], ["r1"], name="relu1"),
    helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Conv", ["p1", "conv2.w", "conv2.b"], ["c2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
    helper.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
    helper.make_node("Flatten", ["g"], ["f"], name="flatten", axis=1),
    helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    helper.make_node("Softmax", ["logits"], ["prob"], name="softmax", axis=1),
]
graph = helper.make_graph(
    nodes, "tiny_cnn",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
    [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 10])],
    initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="gearc-examples")
model.ir_version = 8
onnx.checker.check_model(model, full_check=True)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_cnn.onnx")
onnx.save(model, out)
print(f"wrote {out} ({os.path.getsize(out)} bytes)")
