// Element types of tensors: names, sizes and classification.
#pragma once

#include <gearc/detail/abi_macros.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

GEARC_BEGIN_NAMESPACE

/// Element type of a tensor. The numbering is gearc's own (the front end maps ONNX's codes).
enum class dtype : std::uint8_t {
    undefined,
    float32,
    float16,
    bfloat16,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    boolean,
    complex64,
    complex128,
    string,  ///< only as a value's type; gearc holds no string tensor data
};

inline constexpr dtype all_dtypes[] = {
    dtype::float32, dtype::float16, dtype::bfloat16, dtype::float64,   dtype::int8,       dtype::int16,
    dtype::int32,   dtype::int64,   dtype::uint8,    dtype::uint16,    dtype::uint32,     dtype::uint64,
    dtype::boolean, dtype::complex64, dtype::complex128, dtype::string};

/// Bytes per element; 0 for undefined and string (no fixed size).
[[nodiscard]] constexpr std::size_t size_of(dtype t) noexcept {
    switch (t) {
        case dtype::int8: case dtype::uint8: case dtype::boolean: return 1;
        case dtype::float16: case dtype::bfloat16: case dtype::int16: case dtype::uint16: return 2;
        case dtype::float32: case dtype::int32: case dtype::uint32: return 4;
        case dtype::float64: case dtype::int64: case dtype::uint64: case dtype::complex64: return 8;
        case dtype::complex128: return 16;
        case dtype::undefined: case dtype::string: return 0;
    }
    return 0;
}

/// Lower-case name as users write it ("float32", "int64", "bool").
[[nodiscard]] constexpr std::string_view to_string(dtype t) noexcept {
    switch (t) {
        case dtype::undefined: return "undefined";
        case dtype::float32: return "float32";
        case dtype::float16: return "float16";
        case dtype::bfloat16: return "bfloat16";
        case dtype::float64: return "float64";
        case dtype::int8: return "int8";
        case dtype::int16: return "int16";
        case dtype::int32: return "int32";
        case dtype::int64: return "int64";
        case dtype::uint8: return "uint8";
        case dtype::uint16: return "uint16";
        case dtype::uint32: return "uint32";
        case dtype::uint64: return "uint64";
        case dtype::boolean: return "bool";
        case dtype::complex64: return "complex64";
        case dtype::complex128: return "complex128";
        case dtype::string: return "string";
    }
    return "undefined";
}

/// Parses a dtype name; accepts the aliases of to_string and ATC/NumPy spellings ("FP32", "float", "fp16").
[[nodiscard]] constexpr std::optional<dtype> parse_dtype(std::string_view s) noexcept {
    auto eq = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            char c = a[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            if (c != b[i]) return false;
        }
        return true;
    };
    for (dtype t : all_dtypes)
        if (eq(s, to_string(t))) return t;
    if (eq(s, "fp32") || eq(s, "float")) return dtype::float32;
    if (eq(s, "fp16") || eq(s, "half")) return dtype::float16;
    if (eq(s, "bf16")) return dtype::bfloat16;
    if (eq(s, "fp64") || eq(s, "double")) return dtype::float64;
    if (eq(s, "boolean")) return dtype::boolean;
    return std::nullopt;
}

[[nodiscard]] constexpr bool is_floating(dtype t) noexcept {
    return t == dtype::float32 || t == dtype::float16 || t == dtype::bfloat16 || t == dtype::float64;
}
[[nodiscard]] constexpr bool is_integer(dtype t) noexcept {
    switch (t) {
        case dtype::int8: case dtype::int16: case dtype::int32: case dtype::int64:
        case dtype::uint8: case dtype::uint16: case dtype::uint32: case dtype::uint64: return true;
        default: return false;
    }
}
[[nodiscard]] constexpr bool is_signed(dtype t) noexcept {
    return is_floating(t) || t == dtype::int8 || t == dtype::int16 || t == dtype::int32 || t == dtype::int64;
}

/// Maps a C++ element type to its dtype at compile time: dtype_of_v<float> == dtype::float32.
template <class T>
struct dtype_of;
template <> struct dtype_of<float> { static constexpr dtype value = dtype::float32; };
template <> struct dtype_of<double> { static constexpr dtype value = dtype::float64; };
template <> struct dtype_of<std::int8_t> { static constexpr dtype value = dtype::int8; };
template <> struct dtype_of<std::int16_t> { static constexpr dtype value = dtype::int16; };
template <> struct dtype_of<std::int32_t> { static constexpr dtype value = dtype::int32; };
template <> struct dtype_of<std::int64_t> { static constexpr dtype value = dtype::int64; };
template <> struct dtype_of<std::uint8_t> { static constexpr dtype value = dtype::uint8; };
template <> struct dtype_of<std::uint16_t> { static constexpr dtype value = dtype::uint16; };
template <> struct dtype_of<std::uint32_t> { static constexpr dtype value = dtype::uint32; };
template <> struct dtype_of<std::uint64_t> { static constexpr dtype value = dtype::uint64; };
template <> struct dtype_of<bool> { static constexpr dtype value = dtype::boolean; };
template <class T>
inline constexpr dtype dtype_of_v = dtype_of<T>::value;

/// ONNX's TensorProto.DataType code (Cast's `to`, EyeLike's `dtype`, a tensor's data_type) as a dtype;
/// nullopt for 0 (UNDEFINED) and codes gearc does not know. The codes are fixed by onnx.proto.
[[nodiscard]] constexpr std::optional<dtype> dtype_from_onnx_code(std::int64_t code) noexcept {
    switch (code) {
        case 1: return dtype::float32;
        case 2: return dtype::uint8;
        case 3: return dtype::int8;
        case 4: return dtype::uint16;
        case 5: return dtype::int16;
        case 6: return dtype::int32;
        case 7: return dtype::int64;
        case 8: return dtype::string;
        case 9: return dtype::boolean;
        case 10: return dtype::float16;
        case 11: return dtype::float64;
        case 12: return dtype::uint32;
        case 13: return dtype::uint64;
        case 14: return dtype::complex64;
        case 15: return dtype::complex128;
        case 16: return dtype::bfloat16;
        default: return std::nullopt;
    }
}

GEARC_END_NAMESPACE
