// Tests of passes::evaluate (ONNX semantics the conformance cases miss) and of the fold_constants pass on hand-built graphs.
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>

#include "test_support.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using gearc::dtype;
using gearc::tensor;
using gearc::value_type;
using attrs = gearc::node::attribute_list;
using ints = std::vector<std::int64_t>;
using floats = std::vector<float>;

namespace {

constexpr auto i64_max = std::numeric_limits<std::int64_t>::max();
constexpr auto i64_min = std::numeric_limits<std::int64_t>::min();
const float nan_f = std::numeric_limits<float>::quiet_NaN();

tensor f32(std::vector<std::int64_t> sizes, const floats& v) { return tensor::from<float>(std::move(sizes), v); }
tensor i64(std::vector<std::int64_t> sizes, const ints& v) { return tensor::from<std::int64_t>(std::move(sizes), v); }
tensor i32(std::vector<std::int64_t> sizes, const std::vector<std::int32_t>& v) { return tensor::from<std::int32_t>(std::move(sizes), v); }
tensor boolean(std::vector<std::int64_t> sizes, const std::vector<bool>& v) { return tensor::from<bool>(std::move(sizes), v); }

template <class T>
std::vector<T> values(const tensor& t) {
    auto v = t.view<T>();
    return {v.begin(), v.end()};
}
std::vector<bool> bools(const tensor& t) {
    std::vector<bool> out;
    for (std::size_t i = 0; i < t.nbytes(); ++i) out.push_back(t.data().data()[i] != std::byte{0});
    return out;
}
std::vector<std::uint16_t> half_bits(const tensor& t) {
    REQUIRE(t.type() == dtype::float16);
    std::vector<std::uint16_t> out(static_cast<std::size_t>(t.numel()));
    if (!out.empty()) std::memcpy(out.data(), t.data().data(), out.size() * 2);
    return out;
}

/// Evaluates one node `op` (named "n") on `inputs` (nullopt = an absent optional input).
std::optional<std::vector<tensor>> eval(const std::string& op, const std::vector<std::optional<tensor>>& inputs, attrs a = {},
                                        std::size_t outputs = 1, std::int64_t opset = 17,
                                        std::size_t max_bytes = std::numeric_limits<std::size_t>::max()) {
    gearc::graph g("t");
    std::vector<gearc::value*> vals;
    std::vector<const tensor*> ptrs;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i]) {
            vals.push_back(nullptr);
            ptrs.push_back(nullptr);
            continue;
        }
        vals.push_back(g.add_input("in" + std::to_string(i), value_type::tensor_of(inputs[i]->type(), inputs[i]->get_shape())));
        ptrs.push_back(&*inputs[i]);
    }
    auto* n = g.add_node(op, vals, outputs, std::move(a), "n");
    return gearc::passes::evaluate(*n, ptrs, opset, max_bytes);
}
/// The single result of eval(); fails the test when there is none.
tensor eval1(const std::string& op, const std::vector<std::optional<tensor>>& inputs, attrs a = {}, std::int64_t opset = 17) {
    auto r = eval(op, inputs, std::move(a), 1, opset);
    REQUIRE_MESSAGE(r.has_value(), op << " was not evaluated");
    REQUIRE(r->size() == 1);
    return r->front();
}
/// "CODE: message" of the compile_error that evaluating throws, or "(no error)".
std::string error_of(const std::string& op, const std::vector<std::optional<tensor>>& inputs, attrs a = {}, std::size_t outputs = 1,
                     std::int64_t opset = 17) {
    try {
        (void)eval(op, inputs, std::move(a), outputs, opset);
    } catch (const gearc::compile_error& e) {
        CHECK_FALSE(e.solution().empty());
        return e.what();
    }
    return "(no error)";
}

tensor iota_f(std::vector<std::int64_t> sizes) {
    std::int64_t n = 1;
    for (auto s : sizes) n *= s;
    floats v(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
    return f32(std::move(sizes), v);
}
tensor iota_i(std::vector<std::int64_t> sizes) {
    std::int64_t n = 1;
    for (auto s : sizes) n *= s;
    ints v(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::int64_t>(i);
    return i64(std::move(sizes), v);
}

}  // namespace

// ---- evaluate: casts and float16 ------------------------------------------------------------------

TEST_CASE("evaluate: Cast to float16 rounds to nearest even, overflows to infinity, keeps subnormals") {
    const double two = 2.0;
    const std::vector<double> in{65504.0, 65519.0, 65520.0, 1.0 + std::pow(two, -11), 1.0 + 3 * std::pow(two, -11),
                                 std::pow(two, -24), std::pow(two, -25), 3 * std::pow(two, -26), -0.0, 1e-10,
                                 std::pow(two, -14), 1023.5 * std::pow(two, -24), -1e6, 0.333333333333};
    const auto t = eval1("Cast", {tensor::from<double>({14}, in)}, {{"to", 10}});
    CHECK(t.type() == dtype::float16);
    CHECK(half_bits(t) == std::vector<std::uint16_t>{0x7bff, 0x7bff, 0x7c00, 0x3c00, 0x3c02, 0x0001, 0x0000, 0x0001, 0x8000,
                                                     0x0000, 0x0400, 0x0400, 0xfc00, 0x3555});
    // and back: float16 -> float32 is exact
    const auto back = eval1("Cast", {t}, {{"to", 1}});
    const auto f = values<float>(back);
    CHECK(f[0] == 65504.0f);
    CHECK(std::isinf(f[2]));
    CHECK(f[5] == std::ldexp(1.0f, -24));
    CHECK(std::signbit(f[8]));
    CHECK(f[13] == 0.333251953125f);
    // NaN stays NaN
    const auto n = eval1("Cast", {f32({1}, {nan_f})}, {{"to", 10}});
    CHECK((half_bits(n)[0] & 0x7c00) == 0x7c00);
    CHECK((half_bits(n)[0] & 0x03ff) != 0);
}

TEST_CASE("evaluate: Cast between integer, floating and bool types") {
    CHECK(values<std::int32_t>(eval1("Cast", {f32({4}, {-2.7f, 2.7f, -0.2f, nan_f})}, {{"to", 6}})) == std::vector<std::int32_t>{-2, 2, 0, 0});
    CHECK(bools(eval1("Cast", {f32({4}, {0.0f, 0.5f, -0.0f, nan_f})}, {{"to", 9}})) == std::vector<bool>{false, true, false, true});
    CHECK(values<float>(eval1("Cast", {i64({2}, {16777217, -3})}, {{"to", 1}})) == floats{16777216.0f, -3.0f});
    CHECK(values<double>(eval1("Cast", {i64({1}, {(std::int64_t{1} << 53) + 1})}, {{"to", 11}})) == std::vector<double>{9007199254740992.0});
    CHECK(values<std::uint8_t>(eval1("Cast", {boolean({2}, {true, false})}, {{"to", 2}})) == std::vector<std::uint8_t>{1, 0});
    CHECK(values<std::int8_t>(eval1("Cast", {i32({2}, {-1, 127})}, {{"to", 3}})) == std::vector<std::int8_t>{-1, 127});
    // casting to the same type shares the bytes
    const auto x = f32({2}, {1, 2});
    CHECK(eval1("Cast", {x}, {{"to", 1}}).data().shares_with(x.data()));
    // CastLike takes the type of its second input
    CHECK(values<std::int64_t>(eval1("CastLike", {f32({2}, {3.9f, -3.9f}), i64({0}, {})})) == ints{3, -3});
    // bfloat16 results and string targets are left to run time; an unknown code is an error
    CHECK_FALSE(eval("Cast", {x}, {{"to", 16}}).has_value());
    CHECK_FALSE(eval("Cast", {x}, {{"to", 8}}).has_value());
    CHECK(error_of("Cast", {x}, {{"to", 99}}) == "GC4005: cannot evaluate Cast 'n' on its constant inputs: 'to' is 99, which is no ONNX element type");
    // bfloat16 inputs are read exactly (0x3f80 is 1.0, 0xc0a0 is -5.0)
    const std::vector<std::uint16_t> bf{0x3f80, 0xc0a0};
    const tensor b(dtype::bfloat16, {2}, gearc::buffer::copy_of(bf.data(), 4));
    CHECK(values<float>(eval1("Cast", {b}, {{"to", 1}})) == floats{1.0f, -5.0f});
}

// ---- evaluate: arithmetic ---------------------------------------------------------------------------

TEST_CASE("evaluate: integer Div truncates toward zero, Mod follows the divisor's sign unless fmod=1") {
    const auto a = i32({4}, {-7, 7, -7, 7}), b = i32({4}, {2, -2, -2, 3});
    CHECK(values<std::int32_t>(eval1("Div", {a, b})) == std::vector<std::int32_t>{-3, -3, 3, 2});
    CHECK(values<std::int32_t>(eval1("Mod", {a, b})) == std::vector<std::int32_t>{1, -1, -1, 1});
    CHECK(values<std::int32_t>(eval1("Mod", {a, b}, {{"fmod", 1}})) == std::vector<std::int32_t>{-1, 1, -1, 1});
    CHECK(values<float>(eval1("Mod", {f32({2}, {-7.5f, 7.5f}), f32({1}, {2.0f})}, {{"fmod", 1}})) == floats{-1.5f, 1.5f});
    CHECK(error_of("Div", {a, i32({1}, {0})}) == "GC4005: cannot evaluate Div 'n' on its constant inputs: integer division by zero");
    CHECK(error_of("Mod", {a, i32({1}, {0})}).find("integer modulo by zero") != std::string::npos);
    CHECK(error_of("Mod", {f32({1}, {1}), f32({1}, {2})}).find("fmod=1") != std::string::npos);
    CHECK(values<float>(eval1("Div", {f32({2}, {1, -1}), f32({1}, {0})}))[0] == std::numeric_limits<float>::infinity());
    // int32 arithmetic wraps like int32 does
    CHECK(values<std::int32_t>(eval1("Add", {i32({1}, {2147483647}), i32({1}, {1})})) == std::vector<std::int32_t>{-2147483647 - 1});
    CHECK(values<std::int64_t>(eval1("Mul", {i64({1}, {i64_max}), i64({1}, {2})})) == ints{-2});
    // mixed input types are inconsistent
    CHECK(error_of("Add", {f32({1}, {1}), i64({1}, {1})}).find("different types (float32 and int64)") != std::string::npos);
}

TEST_CASE("evaluate: uint64 values above 2^63 keep their unsigned meaning") {
    const std::uint64_t big = std::numeric_limits<std::uint64_t>::max() - 1;
    const auto a = tensor::from<std::uint64_t>({1}, {big});
    CHECK(values<std::uint64_t>(eval1("Div", {a, tensor::from<std::uint64_t>({1}, {2})})) == std::vector<std::uint64_t>{big / 2});
    CHECK(bools(eval1("Greater", {a, tensor::from<std::uint64_t>({1}, {1})})) == std::vector<bool>{true});
    CHECK(values<float>(eval1("Cast", {a}, {{"to", 1}})) == floats{18446744073709551616.0f});
}

TEST_CASE("evaluate: broadcasting element-wise operators, comparisons and logic") {
    const auto x = f32({2, 1}, {1, 2}), y = f32({3}, {10, 20, 30});
    const auto s = eval1("Sub", {x, y});
    CHECK(s.sizes() == ints{2, 3});
    CHECK(values<float>(s) == floats{-9, -19, -29, -8, -18, -28});
    CHECK(error_of("Add", {f32({2}, {1, 2}), f32({3}, {1, 2, 3})}).find("the shapes [2] and [3] do not broadcast") != std::string::npos);
    CHECK(bools(eval1("LessOrEqual", {i64({3}, {1, 2, 3}), i64({}, {2})})) == std::vector<bool>{true, true, false});
    CHECK(bools(eval1("GreaterOrEqual", {i64({3}, {1, 2, 3}), i64({}, {2})})) == std::vector<bool>{false, true, true});
    CHECK(bools(eval1("Equal", {boolean({2}, {true, false}), boolean({1}, {false})})) == std::vector<bool>{false, true});
    CHECK(bools(eval1("Less", {f32({2}, {nan_f, 1}), f32({2}, {1, 2})})) == std::vector<bool>{false, true});
    CHECK(bools(eval1("Not", {boolean({3}, {true, false, true})})) == std::vector<bool>{false, true, false});
    CHECK(bools(eval1("Xor", {boolean({2, 1}, {true, false}), boolean({2}, {true, false})})) ==
          std::vector<bool>{false, true, true, false});
    // variadic Min/Max/Sum/Mean broadcast all inputs; NaN propagates through Min and Max
    CHECK(values<float>(eval1("Sum", {f32({1}, {1}), f32({2}, {10, 20}), f32({2, 1}, {100, 200})})) == floats{111, 121, 211, 221});
    CHECK(values<float>(eval1("Mean", {f32({2}, {1, 2}), f32({2}, {3, 6}), f32({1}, {2})})) == floats{2, 10.0f / 3});
    const auto mx = values<float>(eval1("Max", {f32({3}, {1, nan_f, 5}), f32({3}, {2, 0, nan_f})}));
    CHECK(mx[0] == 2);
    CHECK(std::isnan(mx[1]));
    CHECK(std::isnan(mx[2]));
    CHECK(values<std::int32_t>(eval1("Min", {i32({3}, {1, -4, 5})})) == std::vector<std::int32_t>{1, -4, 5});
    CHECK(values<std::int32_t>(eval1("Where", {boolean({2, 1}, {true, false}), i32({3}, {1, 2, 3}), i32({}, {0})})) ==
          std::vector<std::int32_t>{1, 2, 3, 0, 0, 0});
}

TEST_CASE("evaluate: Pow, unary operators and Round (half to even)") {
    CHECK(values<std::int32_t>(eval1("Pow", {i32({5}, {2, 2, -1, 1, 3}), i64({5}, {10, -1, -3, -5, 3})})) ==
          std::vector<std::int32_t>{1024, 0, -1, 1, 27});
    CHECK(values<float>(eval1("Pow", {f32({2}, {2, 9}), i32({2}, {-1, 2})})) == floats{0.5f, 81});
    CHECK(values<std::int64_t>(eval1("Pow", {i64({1}, {2}), f32({1}, {0.5f})})) == ints{1});
    CHECK(error_of("Pow", {i64({1}, {0}), i64({1}, {-1})}).find("negative power") != std::string::npos);
    CHECK(values<float>(eval1("Round", {f32({7}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f})})) == floats{0, 2, 2, -0.0f, -2, 2, -3});
    CHECK(values<std::int32_t>(eval1("Sign", {i32({3}, {-3, 0, 4})})) == std::vector<std::int32_t>{-1, 0, 1});
    CHECK(values<std::int32_t>(eval1("Relu", {i32({3}, {-3, 0, 4})})) == std::vector<std::int32_t>{0, 0, 4});
    CHECK(values<std::int64_t>(eval1("Neg", {i64({2}, {5, i64_min})})) == ints{-5, i64_min});
    CHECK(values<std::int32_t>(eval1("Abs", {i32({2}, {-5, 5})})) == std::vector<std::int32_t>{5, 5});
    const auto sg = values<float>(eval1("Sigmoid", {f32({3}, {0, -1000, 1000})}));
    CHECK(sg == floats{0.5f, 0.0f, 1.0f});
    CHECK(values<float>(eval1("Reciprocal", {f32({2}, {4, -0.5f})})) == floats{0.25f, -2});
    CHECK(values<double>(eval1("Sqrt", {tensor::from<double>({1}, {2.0})}))[0] == std::sqrt(2.0));
    CHECK(values<float>(eval1("Floor", {f32({2}, {-1.5f, 1.5f})})) == floats{-2, 1});
    CHECK(values<float>(eval1("Ceil", {f32({2}, {-1.5f, 1.5f})})) == floats{-1, 2});
    // float-only operators decline integers; unsigned Neg is not an ONNX type
    CHECK_FALSE(eval("Sqrt", {i32({1}, {4})}).has_value());
    CHECK_FALSE(eval("Neg", {tensor::from<std::uint8_t>({1}, {4})}).has_value());
}

TEST_CASE("evaluate: Clip with attributes (opset 6) and optional inputs (opset 11+)") {
    CHECK(values<float>(eval1("Clip", {f32({3}, {-2, 0.5f, 3})}, {{"min", -1.0f}, {"max", 1.0f}}, 6)) == floats{-1, 0.5f, 1});
    CHECK(values<std::int32_t>(eval1("Clip", {i32({3}, {-5, 5, 10}), std::nullopt, i32({}, {6})})) == std::vector<std::int32_t>{-5, 5, 6});
    CHECK(values<float>(eval1("Clip", {f32({3}, {-5, 2, 5}), f32({}, {3}), f32({}, {1})})) == floats{1, 1, 1});
    CHECK(values<float>(eval1("Clip", {f32({2}, {-5, 5})})) == floats{-5, 5});
    CHECK(error_of("Clip", {f32({1}, {1}), f32({2}, {0, 1})}).find("min must be a scalar") != std::string::npos);
}

TEST_CASE("evaluate: reductions (axes as attribute or input, keepdims, noop_with_empty_axes)") {
    const auto x = iota_f({2, 3});
    auto r = eval1("ReduceSum", {x, i64({1}, {1})}, {{"keepdims", 0}});
    CHECK(r.sizes() == ints{2});
    CHECK(values<float>(r) == floats{3, 12});
    r = eval1("ReduceSum", {x, i64({0}, {})}, {{"noop_with_empty_axes", 1}});
    CHECK(r.data().shares_with(x.data()));
    r = eval1("ReduceSum", {x});
    CHECK(r.sizes() == ints{1, 1});
    CHECK(values<float>(r) == floats{15});
    r = eval1("ReduceSum", {x}, {{"axes", ints{-2}}}, 11);
    CHECK(r.sizes() == ints{1, 3});
    CHECK(values<float>(r) == floats{3, 5, 7});
    CHECK(values<std::int64_t>(eval1("ReduceMean", {i64({3}, {1, 2, 2})})) == ints{1});
    CHECK(values<float>(eval1("ReduceMean", {x}, {{"axes", ints{1}}})) == floats{1, 4});
    const auto mx = values<float>(eval1("ReduceMax", {f32({2, 2}, {1, nan_f, 3, 2})}, {{"axes", ints{0}}, {"keepdims", 0}}));
    CHECK(mx[0] == 3);
    CHECK(std::isnan(mx[1]));
    CHECK(values<float>(eval1("ReduceMin", {x}, {{"axes", ints{0}}})) == floats{0, 1, 2});
    CHECK(values<std::int32_t>(eval1("ReduceProd", {i32({2, 2}, {1, 2, 3, 4})}, {{"axes", ints{1}}})) == std::vector<std::int32_t>{2, 12});
    CHECK(values<float>(eval1("ReduceSum", {f32({0, 2}, {})}, {{"axes", ints{0}}})) == floats{0, 0});
    CHECK(error_of("ReduceSum", {x}, {{"axes", ints{1, -1}}}).find("name an axis twice") != std::string::npos);
    CHECK(error_of("ReduceMax", {x}, {{"axes", ints{2}}}).find("axes value 2 is out of range for rank 2") != std::string::npos);
}

TEST_CASE("evaluate: MatMul with vectors and broadcast batches") {
    const auto a = f32({2}, {1, 2}), b = iota_f({2, 3});
    auto r = eval1("MatMul", {a, b});
    CHECK(r.sizes() == ints{3});
    CHECK(values<float>(r) == floats{6, 9, 12});
    r = eval1("MatMul", {f32({3}, {1, 2, 3}), f32({3}, {4, 5, 6})});
    CHECK(r.sizes().empty());
    CHECK(values<float>(r) == floats{32});
    // [2,1,1,2] x [3,2,1] -> batches [2,1] and [3] broadcast to [2,3]: each result is a[i] . b[j]
    r = eval1("MatMul", {iota_i({2, 1, 1, 2}), iota_i({3, 2, 1})});
    CHECK(r.sizes() == ints{2, 3, 1, 1});
    CHECK(values<std::int64_t>(r) == ints{1, 3, 5, 3, 13, 23});
    CHECK(error_of("MatMul", {iota_f({2, 3}), iota_f({2, 3})}).find("inner dimensions") != std::string::npos);
    // large products are left to run time
    CHECK_FALSE(eval("MatMul", {f32({512, 512}, floats(512 * 512, 1.0f)), f32({512, 512}, floats(512 * 512, 1.0f))}).has_value());
}

TEST_CASE("evaluate: DequantizeLinear per tensor and per axis") {
    const auto r = eval1("DequantizeLinear", {tensor::from<std::int8_t>({3}, {-128, 0, 127}), f32({}, {0.5f}), tensor::from<std::int8_t>({}, {-1})});
    CHECK(values<float>(r) == floats{-63.5f, 0.5f, 64});
    const auto p = eval1("DequantizeLinear", {tensor::from<std::uint8_t>({2, 2}, {10, 20, 30, 40}), f32({2}, {1, 2}),
                                              tensor::from<std::uint8_t>({2}, {10, 20})},
                         {{"axis", 0}});
    CHECK(values<float>(p) == floats{0, 10, 20, 40});
    CHECK(values<float>(eval1("DequantizeLinear", {i32({2}, {-3, 4}), f32({}, {0.25f})})) == floats{-0.75f, 1});
    CHECK(error_of("DequantizeLinear", {tensor::from<std::uint8_t>({2, 2}, {1, 2, 3, 4}), f32({3}, {1, 2, 3})}).find("has 2") !=
          std::string::npos);
}

// ---- evaluate: data movement ---------------------------------------------------------------------

TEST_CASE("evaluate: Slice with negative, clamped and INT64 limits, negative steps, attribute form") {
    const auto x = iota_i({10});
    CHECK(values<std::int64_t>(eval1("Slice", {x, i64({1}, {-1}), i64({1}, {i64_min}), std::nullopt, i64({1}, {-3})})) == ints{9, 6, 3, 0});
    CHECK(values<std::int64_t>(eval1("Slice", {x, i64({1}, {2}), i64({1}, {i64_max})})) == ints{2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(eval1("Slice", {x, i64({1}, {20}), i64({1}, {30})}).sizes() == ints{0});
    CHECK(values<std::int64_t>(eval1("Slice", {x, i64({1}, {-100}), i64({1}, {3}), i64({1}, {0}), i64({1}, {i64_max})})) == ints{0});
    CHECK(values<std::int64_t>(eval1("Slice", {x, i64({1}, {i64_max}), i64({1}, {-100}), i64({1}, {0}), i64({1}, {i64_min})})) == ints{9});
    const auto m = iota_i({3, 4});
    auto r = eval1("Slice", {m, i64({2}, {3, 2}), i64({2}, {0, -4}), i64({2}, {-1, 0}), i64({2}, {-1, -1})});
    CHECK(r.sizes() == ints{3, 3});
    CHECK(values<std::int64_t>(r) == ints{11, 10, 9, 7, 6, 5, 3, 2, 1});
    r = eval1("Slice", {m}, {{"starts", ints{1}}, {"ends", ints{3}}, {"axes", ints{1}}}, 9);
    CHECK(values<std::int64_t>(r) == ints{1, 2, 5, 6, 9, 10});
    // int32 starts/ends work too; the whole tensor shares its bytes
    CHECK(eval1("Slice", {m, i32({1}, {0}), i32({1}, {100})}).data().shares_with(m.data()));
    CHECK(error_of("Slice", {x, i64({1}, {0}), i64({1}, {5}), std::nullopt, i64({1}, {0})}).find("contain 0") != std::string::npos);
    CHECK(error_of("Slice", {x, i64({2}, {0, 1}), i64({1}, {5})}).find("differ in length") != std::string::npos);
}

TEST_CASE("evaluate: Reshape, Flatten, Squeeze and Unsqueeze share the input's bytes") {
    const auto x = iota_f({2, 3, 4});
    auto r = eval1("Reshape", {x, i64({2}, {0, -1})});
    CHECK(r.sizes() == ints{2, 12});
    CHECK(r.data().shares_with(x.data()));
    CHECK(eval1("Reshape", {f32({0, 3}, {}), i64({2}, {3, 0})}, {{"allowzero", 1}}).sizes() == ints{3, 0});
    CHECK(error_of("Reshape", {f32({0, 3}, {}), i64({2}, {3, 0})}).find("cannot be reshaped to [3,3]") != std::string::npos);
    CHECK(error_of("Reshape", {x, i64({2}, {-1, -1})}) ==
          "GC4005: cannot evaluate Reshape 'n' on its constant inputs: the shape [-1,-1] has more than one -1");
    CHECK(error_of("Reshape", {x, i64({2}, {5, -1})}).find("cannot infer the -1 in [5,-1]") != std::string::npos);
    CHECK(eval1("Flatten", {x}).sizes() == ints{2, 12});
    CHECK(eval1("Flatten", {x}, {{"axis", -1}}).sizes() == ints{6, 4});
    CHECK(eval1("Flatten", {x}, {{"axis", 0}}).sizes() == ints{1, 24});
    CHECK(eval1("Flatten", {x}, {{"axis", 3}}).sizes() == ints{24, 1});
    const auto y = iota_f({1, 3, 1, 2});
    CHECK(eval1("Squeeze", {y}).sizes() == ints{3, 2});
    CHECK(eval1("Squeeze", {y}, {{"axes", ints{-2}}}, 11).sizes() == ints{1, 3, 2});
    CHECK(eval1("Squeeze", {y, i64({1}, {0})}).sizes() == ints{3, 1, 2});
    CHECK(eval1("Squeeze", {y, i64({0}, {})}).sizes() == ints{3, 2});  // an empty axes list squeezes every 1
    CHECK(error_of("Squeeze", {y, i64({1}, {1})}).find("is not 1") != std::string::npos);
    CHECK(eval1("Unsqueeze", {iota_f({2, 3})}, {{"axes", ints{0, 3}}}, 11).sizes() == ints{1, 2, 3, 1});
    auto u = eval1("Unsqueeze", {x, i64({2}, {-1, 1})});
    CHECK(u.sizes() == ints{2, 1, 3, 4, 1});
    CHECK(u.data().shares_with(x.data()));
    CHECK(error_of("Unsqueeze", {x, i64({2}, {0, 0})}).find("name an axis twice") != std::string::npos);
    CHECK(values<std::int64_t>(eval1("Shape", {x}, {{"start", 1}, {"end", -1}})) == ints{3});
    CHECK(values<std::int64_t>(eval1("Size", {x})) == ints{24});
}

TEST_CASE("evaluate: Transpose, Concat, Split, Gather, GatherElements, Expand, Tile, Trilu") {
    const auto x = iota_f({2, 3, 4});
    const auto t = eval1("Transpose", {x}, {{"perm", ints{1, 2, 0}}});
    REQUIRE(t.sizes() == ints{3, 4, 2});
    const auto tv = values<float>(t);
    bool ok = true;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j)
            for (int k = 0; k < 2; ++k) ok = ok && tv[static_cast<std::size_t>(i * 8 + j * 2 + k)] == static_cast<float>(k * 12 + i * 4 + j);
    CHECK(ok);
    CHECK(eval1("Transpose", {iota_f({2, 3})}).sizes() == ints{3, 2});
    CHECK(error_of("Transpose", {x}, {{"perm", ints{0, 0, 1}}}).find("name an axis twice") != std::string::npos);

    auto c = eval1("Concat", {f32({2, 1}, {1, 2}), f32({2, 2}, {3, 4, 5, 6}), f32({2, 0}, {})}, {{"axis", -1}});
    CHECK(c.sizes() == ints{2, 3});
    CHECK(values<float>(c) == floats{1, 3, 4, 2, 5, 6});
    CHECK(error_of("Concat", {f32({2, 1}, {1, 2}), f32({3, 1}, {1, 2, 3})}, {{"axis", 1}}).find("differ outside axis 1") != std::string::npos);

    auto parts = eval("Split", {iota_f({2, 3})}, {{"axis", 1}, {"split", ints{1, 2}}}, 2, 11);
    REQUIRE(parts);
    CHECK(values<float>((*parts)[0]) == floats{0, 3});
    CHECK((*parts)[1].sizes() == ints{2, 2});
    CHECK(values<float>((*parts)[1]) == floats{1, 2, 4, 5});
    parts = eval("Split", {iota_f({4})}, {}, 2);
    REQUIRE(parts);
    CHECK(values<float>((*parts)[1]) == floats{2, 3});
    CHECK(error_of("Split", {iota_f({3})}, {}, 2).find("does not split evenly into 2 outputs") != std::string::npos);
    CHECK(error_of("Split", {iota_f({3}), i64({2}, {1, 1})}, {}, 2).find("adds up to 2, not to 3") != std::string::npos);

    auto g = eval1("Gather", {iota_f({2, 3}), i64({2}, {-1, 0})}, {{"axis", 1}});
    CHECK(g.sizes() == ints{2, 2});
    CHECK(values<float>(g) == floats{2, 0, 5, 3});
    g = eval1("Gather", {iota_f({2, 3}), i32({}, {1})});
    CHECK(g.sizes() == ints{3});
    CHECK(values<float>(g) == floats{3, 4, 5});
    CHECK(error_of("Gather", {iota_f({2, 3}), i64({1}, {2})}).find("index 2 is out of range for axis 0 of [2,3]") != std::string::npos);
    CHECK(values<float>(eval1("GatherElements", {iota_f({2, 3}), i64({2, 2}, {-1, 0, 1, 1})}, {{"axis", 1}})) == floats{2, 0, 4, 4});

    auto e = eval1("Expand", {f32({3, 1}, {1, 2, 3}), i64({3}, {2, 1, 6})});
    CHECK(e.sizes() == ints{2, 3, 6});
    CHECK(values<float>(e)[6] == 2);
    CHECK(values<float>(e)[18 + 17] == 3);
    CHECK(error_of("Expand", {f32({3}, {1, 2, 3}), i64({1}, {4})}).find("does not broadcast") != std::string::npos);

    CHECK(values<float>(eval1("Tile", {f32({2, 2}, {1, 2, 3, 4}), i64({2}, {1, 2})})) == floats{1, 2, 1, 2, 3, 4, 3, 4});
    CHECK(values<float>(eval1("Tile", {f32({2, 2}, {1, 2, 3, 4}), i64({2}, {2, 1})})) == floats{1, 2, 3, 4, 1, 2, 3, 4});

    CHECK(values<float>(eval1("Trilu", {iota_f({3, 3}), i64({}, {-1})})) == floats{0, 1, 2, 3, 4, 5, 0, 7, 8});
    CHECK(values<float>(eval1("Trilu", {iota_f({3, 3})}, {{"upper", 0}})) == floats{0, 0, 0, 3, 4, 0, 6, 7, 8});
}

TEST_CASE("evaluate: Constant, ConstantOfShape, Range, Identity") {
    auto c = eval1("Constant", {}, {{"value_ints", ints{1, 2}}});
    CHECK(c.type() == dtype::int64);
    CHECK(values<std::int64_t>(c) == ints{1, 2});
    c = eval1("Constant", {}, {{"value_float", 2.5f}});
    CHECK(c.sizes().empty());
    CHECK(values<float>(c) == floats{2.5f});
    CHECK(error_of("Constant", {}).find("has none of the attributes") != std::string::npos);

    c = eval1("ConstantOfShape", {i64({2}, {2, 3})});
    CHECK(c.type() == dtype::float32);
    CHECK(values<float>(c) == floats(6, 0.0f));
    c = eval1("ConstantOfShape", {i64({1}, {3})}, {{"value", i64({1}, {7})}});
    CHECK(values<std::int64_t>(c) == ints{7, 7, 7});
    CHECK(eval1("ConstantOfShape", {i64({1}, {0})}).sizes() == ints{0});
    CHECK(error_of("ConstantOfShape", {i64({1}, {-1})}).find("negative dimension") != std::string::npos);

    CHECK(values<float>(eval1("Range", {f32({}, {0}), f32({}, {1}), f32({}, {0.25f})})) == floats{0, 0.25f, 0.5f, 0.75f});
    CHECK(values<std::int64_t>(eval1("Range", {i64({}, {10}), i64({}, {1}), i64({}, {-3})})) == ints{10, 7, 4});
    CHECK(eval1("Range", {i64({}, {0}), i64({}, {0}), i64({}, {1})}).sizes() == ints{0});
    CHECK(error_of("Range", {i64({}, {0}), i64({}, {5}), i64({}, {0})}).find("delta is 0") != std::string::npos);

    const auto w = iota_f({4});
    CHECK(eval1("Identity", {w}).data().shares_with(w.data()));
}

TEST_CASE("evaluate: declines what it does not cover and honours the size limit") {
    const auto x = iota_f({2});
    CHECK_FALSE(eval("Softmax", {x}).has_value());
    CHECK_FALSE(eval("RandomNormalLike", {x}).has_value());
    const std::vector<std::uint16_t> bf{0x3f80, 0xc0a0};
    const tensor b(dtype::bfloat16, {2}, gearc::buffer::copy_of(bf.data(), 4));
    CHECK_FALSE(eval("Add", {b, b}).has_value());
    CHECK(eval("Reshape", {b, i64({2}, {1, 2})}).has_value());  // data movement works for any dtype
    {
        gearc::graph g("t");
        auto* in = g.add_input("x", value_type::tensor_of(dtype::float32, gearc::shape{2}));
        auto* n = g.add_node("Relu", {in}, 1, {}, "n", "com.example");
        CHECK_FALSE(gearc::passes::evaluate(*n, {&x}, 17).has_value());
        CHECK_FALSE(gearc::passes::can_evaluate("com.example", "Relu"));
    }
    // a result over the limit is not computed; one that shares its input's bytes costs nothing
    CHECK_FALSE(eval("Expand", {x, i64({2}, {1000, 2})}, {}, 1, 17, 1000).has_value());
    CHECK(eval("Expand", {x, i64({2}, {100, 2})}, {}, 1, 17, 800).has_value());
    CHECK(eval("Reshape", {x, i64({2}, {2, 1})}, {}, 1, 17, 0).has_value());
    {
        gearc::graph g("t");
        auto* in = g.add_input("x", value_type::tensor_of(dtype::float32, gearc::shape{2}));
        auto* sh = g.add_input("s", value_type::tensor_of(dtype::int64, gearc::shape{3}));
        auto* n = g.add_node("Expand", {in, sh}, 1, {}, "n");
        const auto s = i64({3}, {std::int64_t{1} << 40, std::int64_t{1} << 40, 2});
        const auto e = gearc::passes::try_evaluate(*n, {&x, &s}, 17);  // no limit, but 2^80 elements cannot exist
        CHECK_FALSE(e.results.has_value());
        CHECK(e.too_large);
    }
}

TEST_CASE("evaluate_shape_op: Shape and Size from static sizes alone") {
    gearc::graph g("t");
    auto* in = g.add_input("x", value_type::tensor_of(dtype::float32));
    auto* s = g.add_node("Shape", {in}, 1, {{"start", -3}, {"end", 3}}, "s");
    auto* z = g.add_node("Size", {in}, 1, {}, "z");
    auto* r = g.add_node("Relu", {in}, 1, {}, "r");
    CHECK(values<std::int64_t>(*gearc::passes::evaluate_shape_op(*s, {2, 3, 4, 5})) == ints{3, 4});
    CHECK(values<std::int64_t>(*gearc::passes::evaluate_shape_op(*z, {2, 3, 4, 5})) == ints{120});
    CHECK_FALSE(gearc::passes::evaluate_shape_op(*r, {2}).has_value());
}

// ---- the fold_constants pass --------------------------------------------------------------------

static_assert(gearc::pass_for<gearc::passes::fold_constants>);

namespace {

std::size_t count_op(const gearc::graph& g, const std::string& op) {
    std::size_t n = 0;
    for (const auto& node : g.nodes()) n += node.op_type() == op;
    return n;
}

}  // namespace

TEST_CASE("fold_constants: a Constant node becomes an initializer of the same name") {
    gearc::graph g("m");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32, gearc::shape{2}));
    auto* c = g.add_node("Constant", {}, {g.add_value("c")}, {{"value", f32({2}, {1, 2})}}, "const")->output(0);
    auto* k = g.add_node("Constant", {}, {g.add_value("k")}, {{"value_ints", ints{3, 4, 5}}}, "k")->output(0);
    auto* add = g.add_node("Add", {x, c}, {g.add_value("y")}, {}, "add");
    g.add_output(add->output(0));
    g.add_output(k);

    gearc::pass_context ctx;
    CHECK(gearc::passes::fold_constants{}.run(g, ctx));
    CHECK(count_op(g, "Constant") == 0);
    CHECK(g.num_nodes() == 1);
    auto* cv = g.find_value("c");
    REQUIRE(cv);
    REQUIRE(cv->is_initializer());
    CHECK(values<float>(*cv->initializer()) == floats{1, 2});
    CHECK(cv->type() == value_type::tensor_of(dtype::float32, gearc::shape{2}));
    CHECK(add->input(1) == cv);
    auto* kv = g.find_value("k");
    REQUIRE(kv);
    CHECK(g.outputs()[1] == kv);
    CHECK(values<std::int64_t>(*kv->initializer()) == ints{3, 4, 5});
    CHECK(ctx.counter("fold_constants.folded") == 2);
    CHECK(gearc::verify(g).empty());
    // nothing left to do
    CHECK_FALSE(gearc::passes::fold_constants{}.run(g, ctx));
}

TEST_CASE("fold_constants: a Transpose of a weight is folded into a transposed weight") {
    gearc::graph g("m");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32, gearc::shape{1, 3}));
    auto* w = g.add_initializer("W", iota_f({2, 3}));
    auto* wt = g.add_node("Transpose", {w}, {g.add_value("Wt", value_type::tensor_of(dtype::float32))}, {}, "tr")->output(0);
    auto* mm = g.add_node("MatMul", {x, wt}, 1, {}, "mm");
    g.add_output(mm->output(0));

    gearc::pass_context ctx;
    CHECK(gearc::passes::fold_constants{}.run(g, ctx));
    CHECK(count_op(g, "Transpose") == 0);
    auto* v = g.find_value("Wt");
    REQUIRE(v);
    REQUIRE(v->is_initializer());
    CHECK(v->initializer()->sizes() == ints{3, 2});
    CHECK(values<float>(*v->initializer()) == floats{0, 3, 1, 4, 2, 5});
    CHECK(v->type() == value_type::tensor_of(dtype::float32, gearc::shape{3, 2}));  // the type now says the shape
    CHECK(mm->input(1) == v);
    CHECK(ctx.counter("fold_constants.folded") == 1);
    CHECK(gearc::verify(g).empty());
}

namespace {

/// x[2,3,4,5] -> Shape -> Gather(0) -> Unsqueeze -> Concat(., [-1]) -> Reshape(x, .): "flatten all but the batch".
std::unique_ptr<gearc::graph> shape_chain(std::int64_t opset, gearc::shape xs) {
    auto g = std::make_unique<gearc::graph>("m");
    g->info().opset_imports[""] = opset;
    auto* x = g->add_input("x", value_type::tensor_of(dtype::float32, std::move(xs)));
    auto* s = g->add_node("Shape", {x}, 1, {}, "shape")->output(0);
    auto* b = g->add_node("Gather", {s, g->add_initializer("zero", i64({}, {0}))}, 1, {{"axis", 0}}, "gather")->output(0);
    gearc::value* u = nullptr;
    if (opset >= 13) u = g->add_node("Unsqueeze", {b, g->add_initializer("axes0", i64({1}, {0}))}, 1, {}, "unsq")->output(0);
    else u = g->add_node("Unsqueeze", {b}, 1, {{"axes", ints{0}}}, "unsq")->output(0);
    auto* cat = g->add_node("Concat", {u, g->add_initializer("minus1", i64({1}, {-1}))}, {g->add_value("new_shape")}, {{"axis", 0}},
                            "cat")
                    ->output(0);
    g->add_output(g->add_node("Reshape", {x, cat}, {g->add_value("y")}, {}, "reshape")->output(0));
    return g;
}

}  // namespace

TEST_CASE("fold_constants: Shape of a static input -> Gather -> Unsqueeze -> Concat folds to a constant Reshape shape") {
    for (std::int64_t opset : {11, 13, 17}) {
        CAPTURE(opset);
        auto g = shape_chain(opset, gearc::shape{2, 3, 4, 5});
        gearc::pass_context ctx;
        ctx.opset = opset;
        CHECK(gearc::passes::fold_constants{}.run(*g, ctx));
        CHECK(g->num_nodes() == 1);  // only the Reshape of the (non-constant) input is left
        auto* shape = g->find_value("new_shape");
        REQUIRE(shape);
        REQUIRE(shape->is_initializer());
        CHECK(shape->initializer()->type() == dtype::int64);
        CHECK(values<std::int64_t>(*shape->initializer()) == ints{2, -1});
        CHECK(g->find_node("reshape")->input(1) == shape);
        CHECK(ctx.counter("fold_constants.folded") == 4);
        CHECK(gearc::verify(*g).empty());
    }
}

TEST_CASE("fold_constants: nothing is folded when an input is dynamic") {
    auto g = shape_chain(13, gearc::shape{gearc::dim::symbol("N"), 3, 4, 5});
    const auto before = gearc::to_text(*g);
    gearc::pass_context ctx;
    CHECK_FALSE(gearc::passes::fold_constants{}.run(*g, ctx));
    CHECK(gearc::to_text(*g) == before);
    CHECK(ctx.counter("fold_constants.folded") == 0);

    // an initializer that is also a graph input is a default the caller may override, not a constant
    gearc::graph h("m");
    auto* w = h.add_input("w", value_type::tensor_of(dtype::float32, gearc::shape{2}));
    h.set_initializer(w, f32({2}, {1, 2}));
    h.add_output(h.add_node("Neg", {w}, 1, {}, "neg")->output(0));
    CHECK_FALSE(gearc::passes::fold_constants{}.run(h, ctx));
    CHECK(h.num_nodes() == 1);

    // non-deterministic operators are never folded, even without inputs
    gearc::graph r("m");
    r.add_output(r.add_node("RandomNormal", {}, 1, {{"shape", ints{2}}}, "rnd")->output(0));
    CHECK_FALSE(gearc::passes::fold_constants{}.run(r, ctx));
    CHECK(r.num_nodes() == 1);
}

TEST_CASE("fold_constants: results larger than max_fold_bytes stay unfolded") {
    auto build = [](gearc::graph& g) {
        auto* w = g.add_initializer("w", iota_f({4}));
        auto* tile = g.add_node("Tile", {w, g.add_initializer("reps", i64({1}, {8}))}, {g.add_value("tiled")}, {}, "tile");
        auto* ident = g.add_node("Identity", {w}, {g.add_value("same")}, {}, "id");
        g.add_output(tile->output(0));
        g.add_output(ident->output(0));
    };
    gearc::graph g("m");
    build(g);
    gearc::pass_context ctx;
    ctx.max_fold_bytes = 64;  // the Tile result has 32 floats = 128 bytes
    CHECK(gearc::passes::fold_constants{}.run(g, ctx));
    CHECK(count_op(g, "Tile") == 1);
    CHECK(count_op(g, "Identity") == 0);  // shares the weight's bytes: nothing new to hold
    CHECK(ctx.counter("fold_constants.too_large") == 1);
    CHECK(ctx.counter("fold_constants.folded") == 1);

    gearc::graph h("m");
    build(h);
    gearc::pass_context big;
    big.max_fold_bytes = 128;
    CHECK(gearc::passes::fold_constants{}.run(h, big));
    CHECK(h.num_nodes() == 0);
    CHECK(h.find_value("tiled")->initializer()->numel() == 32);
}

TEST_CASE("fold_constants: a folded graph output keeps its name and its place among the outputs") {
    gearc::graph g("m");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32, gearc::shape{2}));
    auto* a = g.add_initializer("a", f32({2}, {1, 2}));
    auto* b = g.add_initializer("b", f32({2}, {10, 20}));
    auto* sum = g.add_node("Add", {a, b}, {g.add_value("y", value_type::tensor_of(dtype::float32, gearc::shape{gearc::dim::symbol("K")}))},
                           {}, "add")
                    ->output(0);
    auto* relu = g.add_node("Relu", {x}, {g.add_value("r")}, {}, "relu")->output(0);
    auto* twice = g.add_node("Mul", {sum, sum}, {g.add_value("z")}, {}, "mul")->output(0);
    g.add_output(relu);
    g.add_output(sum);
    g.add_output(twice);

    gearc::pass_context ctx;
    CHECK(gearc::passes::fold_constants{}.run(g, ctx));
    REQUIRE(g.outputs().size() == 3);
    CHECK(g.outputs()[0]->name() == "r");
    CHECK(g.outputs()[1]->name() == "y");
    CHECK(g.outputs()[2]->name() == "z");
    auto* y = g.find_value("y");
    CHECK(y == g.outputs()[1]);
    CHECK(y->is_graph_output());
    REQUIRE(y->is_initializer());
    CHECK(values<float>(*y->initializer()) == floats{11, 22});
    CHECK(y->type() == value_type::tensor_of(dtype::float32, gearc::shape{2}));  // the folded type replaces the declared one
    CHECK(values<float>(*g.outputs()[2]->initializer()) == floats{121, 484});
    CHECK(g.num_nodes() == 1);
    CHECK(ctx.counter("fold_constants.folded") == 2);
    CHECK(gearc::verify(g).empty());
}

TEST_CASE("fold_constants: an Identity or Reshape of a weight shares the weight's buffer") {
    gearc::graph g("m");
    auto* w = g.add_initializer("w", iota_f({2, 6}));
    auto* id = g.add_node("Identity", {w}, {g.add_value("w_id")}, {}, "id")->output(0);
    auto* rs = g.add_node("Reshape", {id, g.add_initializer("s", i64({3}, {3, 2, 2}))}, {g.add_value("w_rs")}, {}, "rs")->output(0);
    g.add_output(rs);
    const auto use_count = w->initializer()->data().use_count();

    gearc::pass_context ctx;
    CHECK(gearc::passes::fold_constants{}.run(g, ctx));
    const auto& weight = *g.find_value("w")->initializer();
    const auto* wid = g.find_value("w_id");
    const auto* wrs = g.find_value("w_rs");
    REQUIRE(wid);
    REQUIRE(wrs);
    CHECK(wid->initializer()->data().shares_with(weight.data()));
    CHECK(wrs->initializer()->data().shares_with(weight.data()));
    CHECK(wrs->initializer()->sizes() == ints{3, 2, 2});
    CHECK(weight.data().use_count() == use_count + 2);  // two more handles, no copy
}

TEST_CASE("fold_constants: multi-output Split and whole constant chains fold in one run") {
    gearc::graph g("m");
    auto* c = g.add_node("Constant", {}, {g.add_value("c")}, {{"value", iota_f({6})}}, "c")->output(0);
    auto* split = g.add_node("Split", {c, g.add_initializer("parts", i64({2}, {2, 4}))}, {g.add_value("p0"), g.add_value("p1")}, {}, "split");
    auto* sum = g.add_node("ReduceSum", {split->output(1)}, {g.add_value("s")}, {{"keepdims", 0}}, "sum")->output(0);
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32, gearc::shape{2}));
    g.add_output(g.add_node("Add", {x, split->output(0)}, 1, {}, "add")->output(0));
    g.add_output(sum);

    gearc::pass_context ctx;
    CHECK(gearc::passes::fold_constants{}.run(g, ctx));
    CHECK(g.num_nodes() == 1);
    CHECK(values<float>(*g.find_value("p0")->initializer()) == floats{0, 1});
    CHECK(values<float>(*g.find_value("p1")->initializer()) == floats{2, 3, 4, 5});
    CHECK(values<float>(*g.find_value("s")->initializer()) == floats{14});
    CHECK(g.find_value("s")->type() == value_type::tensor_of(dtype::float32, gearc::shape{}));
    CHECK(ctx.counter("fold_constants.folded") == 3);
    CHECK(gearc::verify(g).empty());
}

TEST_CASE("fold_constants: inconsistent constants are GC4005 naming the node") {
    gearc::graph g("m");
    auto* w = g.add_initializer("w", iota_f({6}));
    g.add_output(g.add_node("Reshape", {w, g.add_initializer("s", i64({1}, {4}))}, 1, {}, "bad_reshape")->output(0));
    gearc::pass_context ctx;
    try {
        (void)gearc::passes::fold_constants{}.run(g, ctx);
        FAIL("no error");
    } catch (const gearc::compile_error& e) {
        CHECK(e.code() == "GC4005");
        CHECK(std::string(e.what()) ==
              "GC4005: cannot evaluate Reshape 'bad_reshape' on its constant inputs: the input has shape [6] (6 elements), which "
              "cannot be reshaped to [4]");
    }
}

TEST_CASE("fold_constants: runs inside a pipeline and a pass manager") {
    auto g = shape_chain(13, gearc::shape{2, 3, 4, 5});
    gearc::pass_context ctx;
    gearc::pipeline<gearc::passes::fold_constants> p;
    CHECK(p.run(*g, ctx));
    CHECK(g->num_nodes() == 1);
    auto h = shape_chain(13, gearc::shape{2, 3, 4, 5});
    gearc::pass_manager pm;
    pm.add<gearc::passes::fold_constants>();
    CHECK(pm.names() == std::vector<std::string_view>{"fold_constants"});
    CHECK(pm.run(*h, ctx, true));
    CHECK(h->num_nodes() == 1);
}
