// Helpers for tests that read ONNX's conformance cases: TensorProto files, and comparing outputs with them.
#pragma once

#include <doctest/doctest.h>

#include <gearc/frontend/onnx.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace gearc_test {

namespace fs = std::filesystem;

/// A TensorProto file (input_N.pb / output_N.pb), converted by the front end's own TensorProto reader.
inline gearc::tensor read_tensor(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    REQUIRE_MESSAGE(f, "cannot open " << p);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ::onnx::TensorProto proto;
    REQUIRE_MESSAGE(proto.ParseFromString(bytes), p << " is not a TensorProto");
    const gearc::onnx::load_options opts;
    gearc::onnx::detail::load_context ctx;
    ctx.model = p.string();
    ctx.base_dir = p.parent_path();
    ctx.opts = &opts;
    return gearc::onnx::detail::tensor_from_onnx(proto, ctx, p.filename().string());
}

/// IEEE binary16 bits -> double, written independently of the evaluator's conversion.
inline double half_bits_to_double(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    std::uint32_t bits;
    if (exp == 0x1f) bits = sign | 0x7f800000u | (man << 13);  // inf / NaN
    else if (exp != 0) bits = sign | ((exp + 112) << 23) | (man << 13);
    else {  // zero or subnormal: man * 2^-24, exactly representable as float
        float f = static_cast<float>(man) * (1.0f / 16777216.0f);
        return (h & 0x8000u) ? -static_cast<double>(f) : static_cast<double>(f);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

inline std::vector<double> floats_of(const gearc::tensor& t) {
    std::vector<double> out;
    const std::byte* p = t.data().data();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
        if (t.type() == gearc::dtype::float32) {
            float f;
            std::memcpy(&f, p + i * 4, 4);
            out.push_back(f);
        } else if (t.type() == gearc::dtype::float64) {
            double d;
            std::memcpy(&d, p + i * 8, 8);
            out.push_back(d);
        } else {  // float16
            std::uint16_t h;
            std::memcpy(&h, p + i * 2, 2);
            out.push_back(half_bits_to_double(h));
        }
    }
    return out;
}

/// "" when equal, else what differs.
/// Floats within atol + rtol * |expected| (NaN equals NaN); everything else bit-exact.
inline std::string compare(const gearc::tensor& got, const gearc::tensor& want, double rtol = 1e-4, double atol = 1e-6) {
    if (got.type() != want.type())
        return "type " + std::string(gearc::to_string(got.type())) + ", expected " + std::string(gearc::to_string(want.type()));
    if (got.sizes() != want.sizes())
        return "shape " + gearc::shape::of(got.sizes()).to_string() + ", expected " + gearc::shape::of(want.sizes()).to_string();
    const auto t = want.type();
    if (t == gearc::dtype::float32 || t == gearc::dtype::float64 || t == gearc::dtype::float16) {
        const auto a = floats_of(got), b = floats_of(want);
        for (std::size_t i = 0; i < a.size(); ++i) {
            const bool same = (std::isnan(a[i]) && std::isnan(b[i])) || a[i] == b[i] ||
                              std::fabs(a[i] - b[i]) <= atol + rtol * std::fabs(b[i]);
            if (!same) {
                std::ostringstream os;
                os.precision(9);
                os << "element " << i << " is " << a[i] << ", expected " << b[i];
                return os.str();
            }
        }
        return "";
    }
    if (got.nbytes() != want.nbytes() ||
        (got.nbytes() && std::memcmp(got.data().data(), want.data().data(), got.nbytes()) != 0)) {
        const std::size_t es = gearc::size_of(t);
        for (std::size_t i = 0; i < got.nbytes() / es; ++i)
            if (std::memcmp(got.data().data() + i * es, want.data().data() + i * es, es) != 0)
                return "element " + std::to_string(i) + " differs (" + std::string(gearc::to_string(t)) + ")";
    }
    return "";
}

}  // namespace gearc_test
