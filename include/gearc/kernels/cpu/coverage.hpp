// What the CPU kernels cover, known at compile time: (operator, element type of its first input) pairs that
// always have a kernel on device::cpu. Small and dependency-free, so it is available with
// GEARC_CPU_KERNELS_EXTERN too. The ONNX conformance driver checks every case it runs against this list.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>

#include <cstdint>
#include <string_view>

GEARC_BEGIN_NAMESPACE

namespace kernels::cpu {

/// A set of element types, one bit per dtype.
using dtype_mask = std::uint64_t;
[[nodiscard]] constexpr dtype_mask bit(dtype t) noexcept { return dtype_mask(1) << static_cast<unsigned>(t); }

inline constexpr dtype_mask f32 = bit(dtype::float32);
inline constexpr dtype_mask ints = bit(dtype::int32) | bit(dtype::int64);
inline constexpr dtype_mask boolean = bit(dtype::boolean);
inline constexpr dtype_mask uints = bit(dtype::uint8) | bit(dtype::uint16) | bit(dtype::uint32) | bit(dtype::uint64);

struct coverage_entry {
    std::string_view domain;  ///< "" for ai.onnx
    std::string_view op;
    dtype_mask types;         ///< element types of the first input that always have a kernel (Constant has none)
};

/// The pairs that are promised, through compile() as well: a pair that is not listed may still run (the
/// reference evaluator covers more), a listed one always does, for inference (training_mode off, no
/// bfloat16 results: gearc does not train, and rounds to bfloat16 nowhere). Operators with an empty set have a kernel that
/// compile() cannot reach yet (it has no shape rule for them: GC4001).
inline constexpr coverage_entry coverage[] = {
    // convolution, pooling, GEMM (kernels/cpu/conv.hpp, gemm.hpp)
    {"", "Conv", f32}, {"", "ConvTranspose", f32}, {"", "MaxPool", f32}, {"", "AveragePool", f32}, {"", "LpPool", f32},
    {"", "GlobalAveragePool", f32}, {"", "GlobalMaxPool", f32}, {"", "Gemm", f32}, {"", "MatMul", f32},
    {"ai.gearc", "FusedConv", f32}, {"ai.gearc", "FusedGemm", f32}, {"ai.gearc", "FusedMatMul", f32},
    // elementwise (kernels/cpu/elementwise.hpp)
    {"", "Relu", f32 | ints}, {"", "Abs", f32 | ints}, {"", "Neg", f32 | ints}, {"", "LeakyRelu", f32}, {"", "Sigmoid", f32},
    {"", "Tanh", f32}, {"", "HardSigmoid", f32}, {"", "HardSwish", f32}, {"", "Elu", f32}, {"", "Selu", f32}, {"", "Celu", f32},
    {"", "Softplus", f32}, {"", "Softsign", f32}, {"", "ThresholdedRelu", f32}, {"", "Mish", f32}, {"", "Gelu", f32},
    {"", "Shrink", 0}, {"", "Exp", f32}, {"", "Log", f32}, {"", "Sqrt", f32}, {"", "Erf", f32}, {"", "Reciprocal", f32},
    {"", "Floor", f32}, {"", "Ceil", f32}, {"", "Round", f32}, {"", "Sign", f32}, {"", "Sin", f32}, {"", "Cos", f32},
    {"", "Tan", 0}, {"", "Asin", 0}, {"", "Acos", 0}, {"", "Atan", 0}, {"", "Sinh", 0}, {"", "Cosh", 0},
    {"", "Asinh", 0}, {"", "Acosh", 0}, {"", "Atanh", 0}, {"ai.gearc", "Gelu", f32}, {"", "Clip", f32},
    {"", "IsNaN", f32}, {"", "IsInf", f32}, {"", "Dropout", f32}, {"", "Not", boolean},
    {"", "Add", f32 | ints}, {"", "Sub", f32 | ints}, {"", "Mul", f32 | ints}, {"", "Div", f32}, {"", "Pow", f32},
    {"", "Max", f32}, {"", "Min", f32}, {"", "Sum", f32}, {"", "Mean", f32}, {"", "PRelu", f32}, {"", "Where", boolean},
    {"", "Equal", f32 | ints | boolean}, {"", "Less", f32 | ints}, {"", "Greater", f32 | ints}, {"", "LessOrEqual", f32 | ints},
    {"", "GreaterOrEqual", f32 | ints}, {"", "And", boolean}, {"", "Or", boolean}, {"", "Xor", boolean}, {"", "BitShift", uints},
    {"", "Softmax", f32}, {"", "LogSoftmax", f32}, {"", "Hardmax", f32}, {"", "LpNormalization", f32},
    {"", "BatchNormalization", f32}, {"", "InstanceNormalization", f32}, {"", "LayerNormalization", f32},
    {"ai.gearc", "LayerNormalization", f32}, {"", "MeanVarianceNormalization", 0},
    // recurrent, resampling, index operators (kernels/cpu/misc.hpp)
    {"", "LSTM", f32}, {"", "GRU", f32}, {"", "RNN", f32}, {"", "Resize", f32}, {"", "Upsample", f32}, {"", "Pad", f32},
    {"", "DepthToSpace", f32}, {"", "SpaceToDepth", f32}, {"", "ArgMax", f32}, {"", "ArgMin", f32}, {"", "TopK", f32},
    {"", "CumSum", f32}, {"", "ReduceL1", f32}, {"", "ReduceL2", f32}, {"", "ReduceLogSum", f32}, {"", "ReduceLogSumExp", f32},
    {"", "ReduceSumSquare", f32}, {"", "OneHot", ints}, {"", "GatherND", f32}, {"", "ScatterND", f32},
    {"", "ScatterElements", f32}, {"", "Scatter", f32}, {"", "Compress", f32}, {"", "NonZero", f32}, {"", "ReverseSequence", f32},
    {"", "EyeLike", f32}, {"", "Einsum", f32}, {"", "NonMaxSuppression", f32},
    // the reference evaluator (kernels/cpu/reference.hpp): data movement in any of these types
    {"", "Identity", f32 | ints | boolean}, {"", "Reshape", f32 | ints | boolean}, {"", "Flatten", f32 | ints | boolean},
    {"", "Squeeze", f32 | ints | boolean}, {"", "Unsqueeze", f32 | ints | boolean}, {"", "Transpose", f32 | ints | boolean},
    {"", "Concat", f32 | ints | boolean}, {"", "Split", f32 | ints | boolean}, {"", "Slice", f32 | ints | boolean},
    {"", "Gather", f32 | ints | boolean}, {"", "GatherElements", f32 | ints | boolean}, {"", "Expand", f32 | ints | boolean},
    {"", "Tile", f32 | ints | boolean}, {"", "Shape", f32 | ints | boolean}, {"", "Size", f32 | ints | boolean},
    {"", "Cast", f32 | ints | boolean}, {"", "ConstantOfShape", bit(dtype::int64)}, {"", "Range", f32 | ints},
    {"", "Constant", 0}, {"", "Mod", ints}, {"", "ReduceSum", f32}, {"", "ReduceProd", f32}, {"", "ReduceMax", f32}, {"", "ReduceMin", f32},
    {"", "ReduceMean", f32}, {"", "Trilu", f32}, {"", "CastLike", f32}, {"", "DequantizeLinear", 0},
};

/// Whether the CPU promises a kernel for `op` (in `domain`, "" or "ai.onnx" for ONNX) whose first input is `t`.
[[nodiscard]] constexpr bool covers(std::string_view domain, std::string_view op, dtype t) noexcept {
    if (domain == "ai.onnx") domain = {};
    for (const auto& e : coverage)
        if (e.domain == domain && e.op == op) return (e.types & bit(t)) != 0;
    return false;
}

}  // namespace kernels::cpu

GEARC_END_NAMESPACE
