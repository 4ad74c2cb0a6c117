// Reference evaluation of one ONNX node on constant tensors: what constant folding computes.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>
#include <gearc/error.hpp>
#include <gearc/node.hpp>
#include <gearc/shape.hpp>
#include <gearc/tensor.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

/// The ai.onnx operators evaluate() computes (for the dtypes each one lists in its ONNX definition;
/// bfloat16 only where no rounding to bfloat16 is involved: data movement and casts from it; MatMul
/// up to 2^26 multiply-adds).
inline constexpr std::string_view evaluated_ops[] = {
    "Identity", "Constant", "Shape", "Size", "Cast", "CastLike", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
    "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements", "Expand", "Tile", "ConstantOfShape",
    "Range", "Where", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor",
    "Add", "Sub", "Mul", "Div", "Mod", "Pow", "Neg", "Abs", "Sqrt", "Reciprocal", "Exp", "Log", "Floor", "Ceil",
    "Round", "Sign", "Sigmoid", "Relu", "Tanh", "Erf", "Min", "Max", "Sum", "Mean", "ReduceSum", "ReduceProd",
    "ReduceMax", "ReduceMin", "ReduceMean", "MatMul", "Clip", "DequantizeLinear", "Trilu"};

/// Whether evaluate() knows the operator (it may still decline a dtype it does not cover).
[[nodiscard]] constexpr bool can_evaluate(std::string_view domain, std::string_view op) noexcept {
    if (!(domain.empty() || domain == "ai.onnx")) return false;
    for (auto o : evaluated_ops)
        if (o == op) return true;
    return false;
}

namespace detail::eval {

using sizes_t = std::vector<std::int64_t>;

/// Thrown when a result would be larger than the caller allows; evaluate() answers nullopt then.
struct too_large {};

[[nodiscard]] inline std::string text(const sizes_t& s) { return shape::of(s).to_string(); }

[[nodiscard]] inline std::int64_t numel(const sizes_t& s) noexcept {
    std::int64_t n = 1;
    for (auto d : s) n *= d;
    return n;
}

/// Row-major strides (in elements).
[[nodiscard]] inline sizes_t strides_of(const sizes_t& s) {
    sizes_t st(s.size());
    std::int64_t acc = 1;
    for (std::size_t i = s.size(); i-- > 0;) {
        st[i] = acc;
        acc *= s[i];
    }
    return st;
}

/// The node being evaluated: names it in errors and enforces the result size limit.
struct site {
    std::string node;
    std::size_t max_bytes = std::numeric_limits<std::size_t>::max();

    [[noreturn]] void fail(const std::string& why) const {
        throw compile_error(errc::constant_folding, "cannot evaluate " + node + " on its constant inputs: " + why,
                            "The node's constant inputs do not fit its definition (ONNX Runtime would reject them too); "
                            "fix the model or the values that feed it.");
    }
    /// The element count of a result of these sizes and dtype; throws too_large when its bytes would exceed the limit.
    [[nodiscard]] std::size_t room(const sizes_t& s, dtype t) const {
        std::uint64_t n = 1;
        for (auto d : s) {
            if (d < 0) fail("the result would have the negative dimension " + std::to_string(d));
            if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(d), &n)) throw too_large{};
        }
        std::uint64_t bytes = 0;
        if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(std::max<std::size_t>(size_of(t), 1)), &bytes) ||
            bytes > max_bytes || bytes > (std::uint64_t{1} << 56))
            throw too_large{};
        return static_cast<std::size_t>(n);
    }
    /// A possibly negative axis normalised into [0, rank).
    [[nodiscard]] std::size_t axis(std::int64_t a, std::size_t rank, const char* what = "axis") const {
        const auto r = static_cast<std::int64_t>(rank);
        if (a < -r || a >= r) fail(std::string(what) + " " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
        return static_cast<std::size_t>(a < 0 ? a + r : a);
    }
};

// ---- attributes (copied out of the node, so that the kernels below do not depend on the IR traits) ----

using attr_value = std::variant<std::monostate, float, std::int64_t, std::string, tensor, std::vector<float>, std::vector<std::int64_t>>;

struct attr_set {
    struct item {
        std::string name;
        attr_value value;
        std::string_view kind;  ///< ONNX's kind name, for errors
    };
    std::vector<item> items;

    [[nodiscard]] const item* find(std::string_view name) const noexcept {
        for (const auto& it : items)
            if (it.name == name) return &it;
        return nullptr;
    }
    [[nodiscard]] bool has(std::string_view name) const noexcept { return find(name) != nullptr; }

    template <class T>
    [[nodiscard]] std::optional<T> get(const site& s, std::string_view name) const {
        const item* it = find(name);
        if (!it) return std::nullopt;
        if (const T* p = std::get_if<T>(&it->value)) return *p;
        const char* want = std::is_same_v<T, float>                       ? "FLOAT"
                           : std::is_same_v<T, std::int64_t>              ? "INT"
                           : std::is_same_v<T, std::string>               ? "STRING"
                           : std::is_same_v<T, tensor>                    ? "TENSOR"
                           : std::is_same_v<T, std::vector<float>>        ? "FLOATS"
                                                                          : "INTS";
        s.fail("attribute '" + std::string(name) + "' is " + std::string(it->kind) + ", not " + want);
    }
    [[nodiscard]] std::int64_t get_int(const site& s, std::string_view name, std::int64_t fallback) const {
        return get<std::int64_t>(s, name).value_or(fallback);
    }
};

// ---- element conversion -----------------------------------------------------------------------

/// Rounds to the nearest integer, ties to even, whatever the floating-point environment says.
[[nodiscard]] inline double round_half_even(double x) noexcept {
    if (!std::isfinite(x)) return x;
    double r = std::floor(x);
    const double d = x - r;  // exact
    if (d > 0.5 || (d == 0.5 && std::fmod(r, 2.0) != 0.0)) r += 1.0;
    return r;
}

/// IEEE binary16 bits -> double (exact).
[[nodiscard]] inline double half_to_double(std::uint16_t h) noexcept {
    const int exp = (h >> 10) & 0x1f;
    const int man = h & 0x3ff;
    double v;
    if (exp == 0) v = std::ldexp(static_cast<double>(man), -24);
    else if (exp == 31) v = man ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    else v = std::ldexp(static_cast<double>(man + 1024), exp - 25);
    return (h & 0x8000) ? -v : v;
}

/// double -> IEEE binary16 bits, rounded to nearest even in one step (too large gives infinity).
[[nodiscard]] inline std::uint16_t double_to_half(double x) noexcept {
    const std::uint16_t sign = std::signbit(x) ? 0x8000 : 0;
    if (std::isnan(x)) return static_cast<std::uint16_t>(sign | 0x7e00);
    const double a = std::fabs(x);
    if (a >= 65520.0) return static_cast<std::uint16_t>(sign | 0x7c00);  // halfway past 65504 rounds to infinity
    if (a < std::ldexp(1.0, -14))                                          // subnormal: units of 2^-24 (1024 is the smallest normal)
        return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(round_half_even(std::ldexp(a, 24))));
    int e = 0;
    std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1)
    int exp = e - 1;    // a in [2^exp, 2^(exp+1))
    double m = round_half_even(std::ldexp(a, 10 - exp));  // in [1024, 2048]
    if (m == 2048.0) {
        m = 1024.0;
        ++exp;
    }
    return static_cast<std::uint16_t>(sign | ((exp + 15) << 10) | (static_cast<int>(m) - 1024));
}

/// bfloat16 bits -> double (exact).
[[nodiscard]] inline double bfloat16_to_double(std::uint16_t b) noexcept {
    const std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

/// A floating value as integer type To: truncated toward zero, NaN as 0, saturated to the 64-bit
/// range and then wrapped to To's width (no undefined behaviour for any input).
template <class To>
[[nodiscard]] To float_to_int(double v) noexcept {
    if (std::isnan(v)) return To{0};
    v = std::trunc(v);
    if constexpr (std::is_same_v<To, std::uint64_t>) {
        if (v >= 18446744073709551616.0) return std::numeric_limits<std::uint64_t>::max();
        if (v >= 9223372036854775808.0) return static_cast<std::uint64_t>(v);
    }
    if (v >= 9223372036854775808.0) return static_cast<To>(std::numeric_limits<std::int64_t>::max());
    if (v < -9223372036854775808.0) return static_cast<To>(std::numeric_limits<std::int64_t>::min());
    return static_cast<To>(static_cast<std::int64_t>(v));
}

/// ONNX Cast semantics between C++ element types.
template <class To, class From>
[[nodiscard]] To convert(From v) noexcept {
    if constexpr (std::is_same_v<To, bool>) return v != From{};
    else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) return float_to_int<To>(static_cast<double>(v));
    else return static_cast<To>(v);
}

template <class T>
[[nodiscard]] T read_at(const std::byte* p, std::size_t i) noexcept {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    return v;
}

/// dtypes whose elements the arithmetic below reads.
[[nodiscard]] constexpr bool loadable(dtype t) noexcept {
    return is_floating(t) || is_integer(t) || t == dtype::boolean;
}
/// dtypes it writes (not bfloat16: its rounding is not settled across ONNX versions, so it is left to run time).
[[nodiscard]] constexpr bool storable(dtype t) noexcept { return loadable(t) && t != dtype::bfloat16; }
[[nodiscard]] constexpr bool arithmetic(dtype t) noexcept { return storable(t) && t != dtype::boolean; }

/// The elements of `t` in compute type D (double for floating types, int64 or uint64 for the others).
template <class D>
[[nodiscard]] std::vector<D> load(const tensor& t) {
    const std::size_t n = static_cast<std::size_t>(t.numel());
    const std::byte* p = t.data().data();
    std::vector<D> out(n);
    auto fill = [&](auto tag) {
        using S = decltype(tag);
        for (std::size_t i = 0; i < n; ++i) out[i] = convert<D>(read_at<S>(p, i));
    };
    switch (t.type()) {
        case dtype::float32: fill(float{}); break;
        case dtype::float64: fill(double{}); break;
        case dtype::int8: fill(std::int8_t{}); break;
        case dtype::int16: fill(std::int16_t{}); break;
        case dtype::int32: fill(std::int32_t{}); break;
        case dtype::int64: fill(std::int64_t{}); break;
        case dtype::uint8: fill(std::uint8_t{}); break;
        case dtype::uint16: fill(std::uint16_t{}); break;
        case dtype::uint32: fill(std::uint32_t{}); break;
        case dtype::uint64: fill(std::uint64_t{}); break;
        case dtype::float16:
            for (std::size_t i = 0; i < n; ++i) out[i] = convert<D>(half_to_double(read_at<std::uint16_t>(p, i)));
            break;
        case dtype::bfloat16:
            for (std::size_t i = 0; i < n; ++i) out[i] = convert<D>(bfloat16_to_double(read_at<std::uint16_t>(p, i)));
            break;
        case dtype::boolean:
            for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<D>(read_at<std::uint8_t>(p, i) != 0);
            break;
        default:
            throw graph_error(errc::graph_misuse, "evaluate: cannot read elements of type " + std::string(to_string(t.type())));
    }
    return out;
}

/// A tensor of dtype `t` from values in compute type D, converted as Cast converts.
template <class D>
[[nodiscard]] tensor store(dtype t, sizes_t sizes, const std::vector<D>& v) {
    auto pack = [&](auto tag) {
        using T = decltype(tag);
        std::vector<std::byte> bytes(v.size() * sizeof(T));
        for (std::size_t i = 0; i < v.size(); ++i) {
            const T x = convert<T>(v[i]);
            std::memcpy(bytes.data() + i * sizeof(T), &x, sizeof(T));
        }
        return tensor(t, std::move(sizes), buffer(std::move(bytes)));
    };
    switch (t) {
        case dtype::float32: return pack(float{});
        case dtype::float64: return pack(double{});
        case dtype::int8: return pack(std::int8_t{});
        case dtype::int16: return pack(std::int16_t{});
        case dtype::int32: return pack(std::int32_t{});
        case dtype::int64: return pack(std::int64_t{});
        case dtype::uint8: return pack(std::uint8_t{});
        case dtype::uint16: return pack(std::uint16_t{});
        case dtype::uint32: return pack(std::uint32_t{});
        case dtype::uint64: return pack(std::uint64_t{});
        case dtype::boolean: return pack(bool{});
        case dtype::float16: {
            std::vector<std::byte> bytes(v.size() * 2);
            for (std::size_t i = 0; i < v.size(); ++i) {
                const std::uint16_t h = double_to_half(convert<double>(v[i]));
                std::memcpy(bytes.data() + i * 2, &h, 2);
            }
            return tensor(t, std::move(sizes), buffer(std::move(bytes)));
        }
        default: break;
    }
    throw graph_error(errc::graph_misuse, "evaluate: cannot write elements of type " + std::string(to_string(t)));
}

/// Calls f with a value of the compute type for dtype t: double, int64_t, or uint64_t.
template <class F>
decltype(auto) with_compute_type(dtype t, F&& f) {
    if (is_floating(t)) return f(double{});
    if (t == dtype::uint64) return f(std::uint64_t{});
    return f(std::int64_t{});
}

/// Integer arithmetic that wraps like the fixed-width types do (no signed overflow).
template <class D>
[[nodiscard]] D wrap_add(D a, D b) noexcept {
    if constexpr (std::is_same_v<D, std::int64_t>) return static_cast<D>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
    else return a + b;
}
template <class D>
[[nodiscard]] D wrap_sub(D a, D b) noexcept {
    if constexpr (std::is_same_v<D, std::int64_t>) return static_cast<D>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
    else return a - b;
}
template <class D>
[[nodiscard]] D wrap_mul(D a, D b) noexcept {
    if constexpr (std::is_same_v<D, std::int64_t>) return static_cast<D>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
    else return a * b;
}

/// The integer elements of a shape-like input (any integer type).
[[nodiscard]] inline std::vector<std::int64_t> ints_of(const site& s, const tensor& t, const char* what) {
    if (!is_integer(t.type())) s.fail(std::string(what) + " must be an integer tensor, not " + std::string(to_string(t.type())));
    return load<std::int64_t>(t);
}

// ---- index walking ----------------------------------------------------------------------------

/// Visits every position of `sizes` in row-major order, keeping one element offset per stride list:
/// f(flat_position, offsets). Strides may be 0 (broadcast) or negative (reversed slices).
template <std::size_t N, class F>
void walk(const sizes_t& sizes, const std::array<const sizes_t*, N>& strides, std::array<std::int64_t, N> offsets, F&& f) {
    const std::int64_t total = numel(sizes);
    if (total <= 0) return;
    const std::size_t rank = sizes.size();
    sizes_t pos(rank, 0);
    for (std::int64_t i = 0; i < total; ++i) {
        f(i, offsets);
        for (std::size_t d = rank; d-- > 0;) {
            ++pos[d];
            for (std::size_t k = 0; k < N; ++k) offsets[k] += (*strides[k])[d];
            if (pos[d] < sizes[d]) break;
            for (std::size_t k = 0; k < N; ++k) offsets[k] -= (*strides[k])[d] * sizes[d];
            pos[d] = 0;
        }
    }
}

/// numpy broadcasting of two shapes; nullopt when a pair of dims differs and neither is 1.
[[nodiscard]] inline std::optional<sizes_t> broadcast(const sizes_t& a, const sizes_t& b) {
    const std::size_t r = std::max(a.size(), b.size());
    sizes_t out(r);
    for (std::size_t i = 0; i < r; ++i) {
        const std::int64_t x = i + a.size() >= r ? a[i + a.size() - r] : 1;
        const std::int64_t y = i + b.size() >= r ? b[i + b.size() - r] : 1;
        if (x == y || y == 1) out[i] = x;
        else if (x == 1) out[i] = y;
        else return std::nullopt;
    }
    return out;
}

/// Strides that read `in` (row-major) at every position of `out`, which `in` broadcasts to.
[[nodiscard]] inline sizes_t broadcast_strides(const sizes_t& in, const sizes_t& out) {
    const sizes_t st = strides_of(in);
    sizes_t res(out.size(), 0);
    for (std::size_t i = 0; i < in.size(); ++i) {
        const std::size_t o = i + out.size() - in.size();
        res[o] = in[i] == 1 ? 0 : st[i];
    }
    return res;
}

[[nodiscard]] inline sizes_t broadcast_all(const site& s, const std::vector<const tensor*>& ts) {
    sizes_t out = ts.front()->sizes();
    for (std::size_t i = 1; i < ts.size(); ++i) {
        auto b = broadcast(out, ts[i]->sizes());
        if (!b) {
            std::string shapes;
            for (const auto* t : ts) shapes += (shapes.empty() ? "" : " and ") + text(t->sizes());
            s.fail("the shapes " + shapes + " do not broadcast");
        }
        out = std::move(*b);
    }
    return out;
}

inline void copy_bytes(std::byte* dst, const std::byte* src, std::size_t n) noexcept {
    if (n) std::memcpy(dst, src, n);
}

/// A tensor of sizes `out` whose element at each position is `in`'s element at base + sum(pos * strides).
[[nodiscard]] inline tensor gather_strided(const site& s, const tensor& in, const sizes_t& out, const sizes_t& strides,
                                           std::int64_t base = 0) {
    const std::size_t n = s.room(out, in.type());
    const std::size_t es = size_of(in.type());
    std::vector<std::byte> bytes(n * es);
    const std::byte* src = in.data().data();
    walk<1>(out, {&strides}, {base}, [&](std::int64_t i, const std::array<std::int64_t, 1>& off) {
        copy_bytes(bytes.data() + static_cast<std::size_t>(i) * es, src + static_cast<std::size_t>(off[0]) * es, es);
    });
    return tensor(in.type(), out, buffer(std::move(bytes)));
}

/// The same bytes under other sizes (no copy).
[[nodiscard]] inline tensor reshaped(const tensor& t, sizes_t sizes) { return tensor(t.type(), std::move(sizes), t.data()); }

/// f(a, b) over the broadcast of a and b; A and B are the compute types of the operands.
template <class R, class A, class B, class F>
[[nodiscard]] std::vector<R> zip(const std::vector<A>& a, const sizes_t& sa, const std::vector<B>& b, const sizes_t& sb,
                                 const sizes_t& out, F f) {
    const sizes_t s1 = broadcast_strides(sa, out), s2 = broadcast_strides(sb, out);
    std::vector<R> r(static_cast<std::size_t>(numel(out)));
    walk<2>(out, {&s1, &s2}, {0, 0}, [&](std::int64_t i, const std::array<std::int64_t, 2>& off) {
        r[static_cast<std::size_t>(i)] = f(a[static_cast<std::size_t>(off[0])], b[static_cast<std::size_t>(off[1])]);
    });
    return r;
}

/// The node's input i, or nullptr (absent, or past the end).
[[nodiscard]] inline const tensor* opt(const std::vector<const tensor*>& in, std::size_t i) noexcept {
    return i < in.size() ? in[i] : nullptr;
}
[[nodiscard]] inline const tensor& need(const site& s, const std::vector<const tensor*>& in, std::size_t i, const char* what) {
    if (const tensor* t = opt(in, i)) return *t;
    s.fail("its required input " + std::to_string(i) + " (" + what + ") is missing");
}


using result = std::optional<std::vector<tensor>>;

[[nodiscard]] inline result one(tensor t) {
    std::vector<tensor> v;
    v.push_back(std::move(t));
    return v;
}

// ---- shapes -----------------------------------------------------------------------------------

/// Shape (with start/end, opset 15) of a tensor with these sizes.
[[nodiscard]] inline tensor shape_of(const attr_set& at, const site& s, const sizes_t& sizes) {
    const auto r = static_cast<std::int64_t>(sizes.size());
    auto clamp = [&](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + r : v, 0, r); };
    const std::int64_t start = clamp(at.get_int(s, "start", 0));
    const std::int64_t end = clamp(at.get_int(s, "end", r));
    std::vector<std::int64_t> v;
    for (std::int64_t i = start; i < end; ++i) v.push_back(sizes[static_cast<std::size_t>(i)]);
    return tensor::from<std::int64_t>({static_cast<std::int64_t>(v.size())}, v);
}

[[nodiscard]] inline result eval_constant(const attr_set& at, const site& s) {
    if (auto t = at.get<tensor>(s, "value")) return one(*t);
    if (auto f = at.get<float>(s, "value_float")) return one(tensor::from<float>({}, {*f}));
    if (auto fs = at.get<std::vector<float>>(s, "value_floats"))
        return one(tensor::from<float>({static_cast<std::int64_t>(fs->size())}, *fs));
    if (auto i = at.get<std::int64_t>(s, "value_int")) return one(tensor::from<std::int64_t>({}, {*i}));
    if (auto is = at.get<std::vector<std::int64_t>>(s, "value_ints"))
        return one(tensor::from<std::int64_t>({static_cast<std::int64_t>(is->size())}, *is));
    if (at.has("sparse_value") || at.has("value_string") || at.has("value_strings")) return std::nullopt;
    s.fail("it has none of the attributes value, value_float(s), value_int(s)");
}

[[nodiscard]] inline result eval_cast(const site& s, const tensor& x, dtype to) {
    if (!loadable(x.type()) || !storable(to)) return std::nullopt;
    if (to == x.type()) return one(x);
    (void)s.room(x.sizes(), to);
    return with_compute_type(x.type(), [&](auto d) -> result { return one(store(to, x.sizes(), load<decltype(d)>(x))); });
}

[[nodiscard]] inline result eval_reshape(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "data");
    std::vector<std::int64_t> target;
    if (const tensor* sh = opt(in, 1)) target = ints_of(s, *sh, "the shape input");
    else if (auto a = at.get<std::vector<std::int64_t>>(s, "shape")) target = *a;  // Reshape-1
    else s.fail("it has no shape input");
    const bool allowzero = at.get_int(s, "allowzero", 0) != 0;
    sizes_t out(target.size());
    std::optional<std::size_t> infer;
    bool has_zero = false;
    std::int64_t known = 1;
    for (std::size_t i = 0; i < target.size(); ++i) {
        const std::int64_t v = target[i];
        if (v == -1) {
            if (infer) s.fail("the shape " + text(target) + " has more than one -1");
            infer = i;
            continue;
        }
        if (v < -1) s.fail("the shape " + text(target) + " has the invalid dimension " + std::to_string(v));
        if (v == 0 && !allowzero) {
            if (i >= x.sizes().size())
                s.fail("the shape " + text(target) + " copies dimension " + std::to_string(i) + " (0) from the input " +
                       text(x.sizes()) + ", which has no such dimension");
            out[i] = x.sizes()[i];
        } else {
            out[i] = v;
            has_zero = has_zero || v == 0;
        }
        known *= out[i];
    }
    if (infer) {
        if (has_zero) s.fail("with allowzero=1 the shape " + text(target) + " cannot have both 0 and -1");
        if (known == 0 || x.numel() % known != 0)
            s.fail("cannot infer the -1 in " + text(target) + " for an input of shape " + text(x.sizes()));
        out[*infer] = x.numel() / known;
    }
    if (numel(out) != x.numel())
        s.fail("the input has shape " + text(x.sizes()) + " (" + std::to_string(x.numel()) + " elements), which cannot be " +
               "reshaped to " + text(out));
    return one(reshaped(x, std::move(out)));
}

[[nodiscard]] inline result eval_flatten(const attr_set& at, const site& s, const tensor& x) {
    const auto r = static_cast<std::int64_t>(x.sizes().size());
    std::int64_t axis = at.get_int(s, "axis", 1);
    if (axis < -r || axis > r) s.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
    if (axis < 0) axis += r;
    std::int64_t outer = 1, inner = 1;
    for (std::int64_t i = 0; i < r; ++i) (i < axis ? outer : inner) *= x.sizes()[static_cast<std::size_t>(i)];
    return one(reshaped(x, {outer, inner}));
}

/// Axes from the attribute `name` when the node has it (older opsets), else from input `index` when present.
[[nodiscard]] inline std::optional<std::vector<std::int64_t>> axes_of(const attr_set& at, const site& s,
                                                                      const std::vector<const tensor*>& in, std::size_t index,
                                                                      const char* name = "axes") {
    if (auto a = at.get<std::vector<std::int64_t>>(s, name)) return *a;
    if (const tensor* t = opt(in, index)) return ints_of(s, *t, name);
    return std::nullopt;
}

/// Normalised, duplicate-free axes.
[[nodiscard]] inline std::vector<std::size_t> norm_axes(const site& s, const std::vector<std::int64_t>& axes, std::size_t rank) {
    std::vector<std::size_t> out;
    for (auto a : axes) {
        const auto n = s.axis(a, rank, "axes value");
        if (std::find(out.begin(), out.end(), n) != out.end()) s.fail("axes " + text(axes) + " name an axis twice");
        out.push_back(n);
    }
    return out;
}

[[nodiscard]] inline result eval_squeeze(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "data");
    const auto& sz = x.sizes();
    std::vector<bool> drop(sz.size(), false);
    if (auto axes = axes_of(at, s, in, 1); axes && !axes->empty()) {  // no axes, or none listed: every 1 goes
        for (auto a : norm_axes(s, *axes, sz.size())) {
            if (sz[a] != 1) s.fail("axis " + std::to_string(a) + " of shape " + text(sz) + " is not 1 and cannot be squeezed");
            drop[a] = true;
        }
    } else {
        for (std::size_t i = 0; i < sz.size(); ++i) drop[i] = sz[i] == 1;
    }
    sizes_t out;
    for (std::size_t i = 0; i < sz.size(); ++i)
        if (!drop[i]) out.push_back(sz[i]);
    return one(reshaped(x, std::move(out)));
}

[[nodiscard]] inline result eval_unsqueeze(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "data");
    auto axes = axes_of(at, s, in, 1);
    if (!axes) s.fail("it has no axes");
    const std::size_t rank = x.sizes().size() + axes->size();
    std::vector<bool> added(rank, false);
    for (auto a : norm_axes(s, *axes, rank)) added[a] = true;
    sizes_t out(rank);
    std::size_t j = 0;
    for (std::size_t i = 0; i < rank; ++i) out[i] = added[i] ? 1 : x.sizes()[j++];
    return one(reshaped(x, std::move(out)));
}

[[nodiscard]] inline result eval_transpose(const attr_set& at, const site& s, const tensor& x) {
    const std::size_t r = x.sizes().size();
    std::vector<std::int64_t> perm;
    if (auto p = at.get<std::vector<std::int64_t>>(s, "perm")) perm = *p;
    else
        for (std::size_t i = r; i-- > 0;) perm.push_back(static_cast<std::int64_t>(i));
    if (perm.size() != r) s.fail("perm " + text(perm) + " does not have one entry per axis of " + text(x.sizes()));
    const auto axes = norm_axes(s, perm, r);
    const sizes_t st = strides_of(x.sizes());
    sizes_t out(r), ost(r);
    bool identity = true;
    for (std::size_t i = 0; i < r; ++i) {
        out[i] = x.sizes()[axes[i]];
        ost[i] = st[axes[i]];
        identity = identity && axes[i] == i;
    }
    if (identity) return one(x);
    return one(gather_strided(s, x, out, ost));
}

[[nodiscard]] inline result eval_concat(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    if (in.empty()) s.fail("it has no inputs");
    for (std::size_t i = 0; i < in.size(); ++i) (void)need(s, in, i, "a tensor to concatenate");
    const tensor& first = *in.front();
    auto a = at.get<std::int64_t>(s, "axis");
    if (!a) s.fail("it has no axis attribute");
    const std::size_t r = first.sizes().size();
    if (r == 0) s.fail("scalars cannot be concatenated");
    const std::size_t axis = s.axis(*a, r);
    sizes_t out = first.sizes();
    out[axis] = 0;
    for (const tensor* t : in) {
        if (t->type() != first.type())
            s.fail("its inputs have different types (" + std::string(to_string(first.type())) + " and " +
                   std::string(to_string(t->type())) + ")");
        bool ok = t->sizes().size() == r;
        for (std::size_t d = 0; ok && d < r; ++d) ok = d == axis || t->sizes()[d] == first.sizes()[d];
        if (!ok) s.fail("the shapes " + text(first.sizes()) + " and " + text(t->sizes()) + " differ outside axis " + std::to_string(axis));
        out[axis] += t->sizes()[axis];
    }
    if (in.size() == 1) return one(first);
    const std::size_t n = s.room(out, first.type());
    const std::size_t es = size_of(first.type());
    std::vector<std::byte> bytes(n * es);
    std::int64_t outer = 1;
    for (std::size_t d = 0; d < axis; ++d) outer *= out[d];
    std::byte* dst = bytes.data();
    for (std::int64_t o = 0; o < outer; ++o)
        for (const tensor* t : in) {
            const std::size_t block = static_cast<std::size_t>(t->numel() / std::max<std::int64_t>(outer, 1)) * es;
            copy_bytes(dst, t->data().data() + static_cast<std::size_t>(o) * block, block);
            dst += block;
        }
    return one(tensor(first.type(), out, buffer(std::move(bytes))));
}

/// The part of `x` from `start` to `start + len` along `axis`.
[[nodiscard]] inline tensor slice_axis(const site& s, const tensor& x, std::size_t axis, std::int64_t start, std::int64_t len) {
    sizes_t out = x.sizes();
    out[axis] = len;
    const sizes_t st = strides_of(x.sizes());
    return gather_strided(s, x, out, st, start * st[axis]);
}

[[nodiscard]] inline result eval_split(const attr_set& at, const site& s, const std::vector<const tensor*>& in,
                                       std::size_t num_outputs) {
    const tensor& x = need(s, in, 0, "input");
    if (x.sizes().empty()) s.fail("a scalar cannot be split");
    const std::size_t axis = s.axis(at.get_int(s, "axis", 0), x.sizes().size());
    const std::int64_t dim = x.sizes()[axis];
    std::vector<std::int64_t> parts;
    if (auto a = at.get<std::vector<std::int64_t>>(s, "split")) parts = *a;
    else if (const tensor* t = opt(in, 1)) parts = ints_of(s, *t, "the split input");
    else {
        if (num_outputs == 0 || dim % static_cast<std::int64_t>(num_outputs) != 0)
            s.fail("axis " + std::to_string(axis) + " of shape " + text(x.sizes()) + " does not split evenly into " +
                   std::to_string(num_outputs) + " outputs");
        parts.assign(num_outputs, dim / static_cast<std::int64_t>(num_outputs));
    }
    if (parts.size() != num_outputs)
        s.fail("split " + text(parts) + " has " + std::to_string(parts.size()) + " parts for " + std::to_string(num_outputs) + " outputs");
    std::int64_t sum = 0;
    for (auto p : parts) {
        if (p < 0) s.fail("split " + text(parts) + " has a negative part");
        sum += p;
    }
    if (sum != dim)
        s.fail("split " + text(parts) + " adds up to " + std::to_string(sum) + ", not to " + std::to_string(dim) + " (axis " +
               std::to_string(axis) + " of " + text(x.sizes()) + ")");
    std::vector<tensor> out;
    std::int64_t start = 0;
    for (auto p : parts) {
        out.push_back(slice_axis(s, x, axis, start, p));
        start += p;
    }
    return out;
}

[[nodiscard]] inline result eval_slice(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "data");
    const std::size_t r = x.sizes().size();
    std::vector<std::int64_t> starts, ends, axes, steps;
    if (at.has("starts")) {  // Slice-1: attributes
        starts = *at.get<std::vector<std::int64_t>>(s, "starts");
        ends = at.get<std::vector<std::int64_t>>(s, "ends").value_or(std::vector<std::int64_t>{});
        if (auto a = at.get<std::vector<std::int64_t>>(s, "axes")) axes = *a;
    } else {
        starts = ints_of(s, need(s, in, 1, "starts"), "starts");
        ends = ints_of(s, need(s, in, 2, "ends"), "ends");
        if (const tensor* a = opt(in, 3)) axes = ints_of(s, *a, "axes");
        if (const tensor* st = opt(in, 4)) steps = ints_of(s, *st, "steps");
    }
    if (axes.empty())
        for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
        s.fail("starts " + text(starts) + ", ends " + text(ends) + ", axes " + text(axes) + " and steps " + text(steps) +
               " differ in length");
    const auto naxes = norm_axes(s, axes, r);
    const sizes_t st = strides_of(x.sizes());
    sizes_t out = x.sizes(), ost = st;
    std::int64_t base = 0;
    for (std::size_t i = 0; i < naxes.size(); ++i) {
        const std::size_t d = naxes[i];
        const std::int64_t dim = x.sizes()[d], step = steps[i];
        if (step == 0) s.fail("steps " + text(steps) + " contain 0");
        std::int64_t b = starts[i], e = ends[i], len = 0;
        if (b < 0) b += dim;  // adding a non-negative dim to a negative value cannot overflow
        if (e < 0) e += dim;
        if (dim > 0) {
            if (step > 0) {
                b = std::clamp<std::int64_t>(b, 0, dim);
                e = std::clamp<std::int64_t>(e, 0, dim);
                if (e > b) len = 1 + (e - b - 1) / step;
            } else {
                b = std::clamp<std::int64_t>(b, 0, dim - 1);
                e = std::clamp<std::int64_t>(e, -1, dim - 1);
                const std::uint64_t mag = std::uint64_t{0} - static_cast<std::uint64_t>(step);
                if (b > e) len = 1 + static_cast<std::int64_t>(static_cast<std::uint64_t>(b - e - 1) / mag);
            }
        }
        out[d] = len;
        ost[d] = len > 1 ? st[d] * step : 0;
        if (len > 0) base += b * st[d];
    }
    if (out == x.sizes() && base == 0 && ost == st) return one(x);
    return one(gather_strided(s, x, out, ost, base));
}

[[nodiscard]] inline result eval_gather(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "data");
    const tensor& idx = need(s, in, 1, "indices");
    if (x.sizes().empty()) s.fail("the data is a scalar");
    const std::size_t axis = s.axis(at.get_int(s, "axis", 0), x.sizes().size());
    const auto ind = ints_of(s, idx, "indices");
    const std::int64_t dim = x.sizes()[axis];
    sizes_t out(x.sizes().begin(), x.sizes().begin() + static_cast<std::ptrdiff_t>(axis));
    out.insert(out.end(), idx.sizes().begin(), idx.sizes().end());
    out.insert(out.end(), x.sizes().begin() + static_cast<std::ptrdiff_t>(axis) + 1, x.sizes().end());
    const std::size_t n = s.room(out, x.type());
    const std::size_t es = size_of(x.type());
    std::int64_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < x.sizes().size(); ++d)
        if (d < axis) outer *= x.sizes()[d];
        else if (d > axis) inner *= x.sizes()[d];
    const std::size_t block = static_cast<std::size_t>(inner) * es;
    std::vector<std::byte> bytes(n * es);
    std::byte* dst = bytes.data();
    for (std::int64_t o = 0; o < outer; ++o)
        for (auto j : ind) {
            if (j < -dim || j >= dim)
                s.fail("index " + std::to_string(j) + " is out of range for axis " + std::to_string(axis) + " of " + text(x.sizes()));
            if (j < 0) j += dim;
            copy_bytes(dst, x.data().data() + static_cast<std::size_t>(o * dim + j) * block, block);
            dst += block;
        }
    return one(tensor(x.type(), out, buffer(std::move(bytes))));
}

[[nodiscard]] inline result eval_gather_elements(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "data");
    const tensor& idx = need(s, in, 1, "indices");
    const std::size_t r = x.sizes().size();
    if (r == 0 || idx.sizes().size() != r)
        s.fail("data " + text(x.sizes()) + " and indices " + text(idx.sizes()) + " must have the same rank (at least 1)");
    const std::size_t axis = s.axis(at.get_int(s, "axis", 0), r);
    for (std::size_t d = 0; d < r; ++d)
        if (d != axis && idx.sizes()[d] > x.sizes()[d])
            s.fail("indices " + text(idx.sizes()) + " are larger than data " + text(x.sizes()) + " outside the axis");
    const auto ind = ints_of(s, idx, "indices");
    const std::size_t n = s.room(idx.sizes(), x.type());
    const std::size_t es = size_of(x.type());
    sizes_t st = strides_of(x.sizes());
    const std::int64_t axis_stride = st[axis], dim = x.sizes()[axis];
    st[axis] = 0;
    std::vector<std::byte> bytes(n * es);
    walk<1>(idx.sizes(), {&st}, {0}, [&](std::int64_t i, const std::array<std::int64_t, 1>& off) {
        std::int64_t j = ind[static_cast<std::size_t>(i)];
        if (j < -dim || j >= dim)
            s.fail("index " + std::to_string(j) + " is out of range for axis " + std::to_string(axis) + " of " + text(x.sizes()));
        if (j < 0) j += dim;
        copy_bytes(bytes.data() + static_cast<std::size_t>(i) * es, x.data().data() + static_cast<std::size_t>(off[0] + j * axis_stride) * es, es);
    });
    return one(tensor(x.type(), idx.sizes(), buffer(std::move(bytes))));
}

[[nodiscard]] inline result eval_expand(const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "input");
    const auto target = ints_of(s, need(s, in, 1, "shape"), "the shape input");
    auto out = broadcast(x.sizes(), target);
    if (!out) s.fail("the input shape " + text(x.sizes()) + " does not broadcast with " + text(target));
    if (*out == x.sizes()) return one(x);
    return one(gather_strided(s, x, *out, broadcast_strides(x.sizes(), *out)));
}

[[nodiscard]] inline result eval_tile(const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "input");
    const auto reps = ints_of(s, need(s, in, 1, "repeats"), "repeats");
    const std::size_t r = x.sizes().size();
    if (reps.size() != r) s.fail("repeats " + text(reps) + " does not have one entry per axis of " + text(x.sizes()));
    // The result, seen as [reps0, d0, reps1, d1, ...] with stride 0 on the repeats, is x read again and again.
    const sizes_t st = strides_of(x.sizes());
    sizes_t view, vst, out(r);
    for (std::size_t d = 0; d < r; ++d) {
        if (reps[d] < 0) s.fail("repeats " + text(reps) + " has a negative entry");
        view.push_back(reps[d]);
        vst.push_back(0);
        view.push_back(x.sizes()[d]);
        vst.push_back(st[d]);
        out[d] = reps[d] * x.sizes()[d];
    }
    (void)s.room(out, x.type());
    return one(reshaped(gather_strided(s, x, view, vst), out));
}

[[nodiscard]] inline result eval_constant_of_shape(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const auto out = ints_of(s, need(s, in, 0, "shape"), "the shape input");
    for (auto d : out)
        if (d < 0) s.fail("the shape " + text(out) + " has a negative dimension");
    tensor value = at.get<tensor>(s, "value").value_or(tensor::from<float>({1}, {0.0f}));
    if (value.numel() != 1) s.fail("its value attribute must hold one element, not " + std::to_string(value.numel()));
    if (value.type() == dtype::string) return std::nullopt;
    const std::size_t n = s.room(out, value.type());
    const std::size_t es = size_of(value.type());
    std::vector<std::byte> bytes(n * es);
    for (std::size_t i = 0; i < n; ++i) copy_bytes(bytes.data() + i * es, value.data().data(), es);
    return one(tensor(value.type(), out, buffer(std::move(bytes))));
}

[[nodiscard]] inline result eval_range(const site& s, const std::vector<const tensor*>& in) {
    const tensor& a = need(s, in, 0, "start");
    const tensor& b = need(s, in, 1, "limit");
    const tensor& c = need(s, in, 2, "delta");
    const dtype t = a.type();
    if (!arithmetic(t)) return std::nullopt;
    if (b.type() != t || c.type() != t) s.fail("start, limit and delta have different types");
    if (a.numel() != 1 || b.numel() != 1 || c.numel() != 1) s.fail("start, limit and delta must be scalars");
    return with_compute_type(t, [&](auto tag) -> result {
        using D = decltype(tag);
        const D start = load<D>(a)[0], limit = load<D>(b)[0], delta = load<D>(c)[0];
        if (delta == D{0}) s.fail("delta is 0");
        std::int64_t n = 0;
        if constexpr (std::is_floating_point_v<D>) {
            const double count = std::ceil((limit - start) / delta);
            if (!std::isfinite(count)) s.fail("the number of elements is not finite");
            n = count > 0 ? static_cast<std::int64_t>(std::min(count, 9.0e18)) : 0;
        } else if constexpr (std::is_signed_v<D>) {
            const bool up = delta > 0;
            if (up ? limit > start : limit < start) {
                const std::uint64_t span = up ? static_cast<std::uint64_t>(limit) - static_cast<std::uint64_t>(start)
                                              : static_cast<std::uint64_t>(start) - static_cast<std::uint64_t>(limit);
                const std::uint64_t step = up ? static_cast<std::uint64_t>(delta) : std::uint64_t{0} - static_cast<std::uint64_t>(delta);
                n = static_cast<std::int64_t>((span - 1) / step + 1);
            }
        } else {
            if (limit > start) n = static_cast<std::int64_t>((limit - start - 1) / delta + 1);
        }
        const sizes_t out{n};
        const std::size_t count = s.room(out, t);
        std::vector<D> v(count);
        for (std::size_t i = 0; i < count; ++i) v[i] = wrap_add(start, wrap_mul(static_cast<D>(i), delta));
        return one(store(t, out, v));
    });
}

[[nodiscard]] inline result eval_where(const site& s, const std::vector<const tensor*>& in) {
    const tensor& c = need(s, in, 0, "condition");
    const tensor& x = need(s, in, 1, "X");
    const tensor& y = need(s, in, 2, "Y");
    if (c.type() != dtype::boolean) return std::nullopt;
    if (x.type() != y.type())
        s.fail("X and Y have different types (" + std::string(to_string(x.type())) + " and " + std::string(to_string(y.type())) + ")");
    const sizes_t out = broadcast_all(s, {&c, &x, &y});
    const std::size_t n = s.room(out, x.type());
    const std::size_t es = size_of(x.type());
    const sizes_t sc = broadcast_strides(c.sizes(), out), sx = broadcast_strides(x.sizes(), out), sy = broadcast_strides(y.sizes(), out);
    std::vector<std::byte> bytes(n * es);
    walk<3>(out, {&sc, &sx, &sy}, {0, 0, 0}, [&](std::int64_t i, const std::array<std::int64_t, 3>& off) {
        const bool pick_x = c.data().data()[off[0]] != std::byte{0};
        const std::byte* src = pick_x ? x.data().data() + static_cast<std::size_t>(off[1]) * es
                                      : y.data().data() + static_cast<std::size_t>(off[2]) * es;
        copy_bytes(bytes.data() + static_cast<std::size_t>(i) * es, src, es);
    });
    return one(tensor(x.type(), out, buffer(std::move(bytes))));
}

// ---- element-wise arithmetic ------------------------------------------------------------------

template <class D>
[[nodiscard]] D nan_of() noexcept {
    if constexpr (std::is_floating_point_v<D>) return std::numeric_limits<D>::quiet_NaN();
    else return D{0};
}
template <class D>
[[nodiscard]] bool is_nan(D v) noexcept {
    if constexpr (std::is_floating_point_v<D>) return std::isnan(v);
    else return false;
}

enum class binary_op { add, sub, mul, div, mod, fmod, min, max };

template <class D>
[[nodiscard]] D apply(const site& s, binary_op op, D a, D b) {
    switch (op) {
        case binary_op::add: return wrap_add(a, b);
        case binary_op::sub: return wrap_sub(a, b);
        case binary_op::mul: return wrap_mul(a, b);
        case binary_op::div:
            if constexpr (std::is_floating_point_v<D>) return a / b;
            else {
                if (b == 0) s.fail("integer division by zero");
                if constexpr (std::is_signed_v<D>)
                    if (b == -1) return wrap_sub(D{0}, a);  // INT64_MIN / -1 wraps
                return a / b;                                 // truncates toward zero
            }
        case binary_op::fmod:  // the remainder takes the sign of the dividend
        case binary_op::mod:   // the remainder takes the sign of the divisor (Python's %)
            if constexpr (std::is_floating_point_v<D>) {
                return std::fmod(a, b);  // Mod with fmod=0 on floats is rejected before this
            } else {
                if (b == 0) s.fail("integer modulo by zero");
                if constexpr (std::is_signed_v<D>) {
                    if (b == -1) return 0;
                    D r = a % b;
                    if (op == binary_op::mod && r != 0 && ((r < 0) != (b < 0))) r += b;
                    return r;
                } else {
                    return a % b;
                }
            }
        case binary_op::min:
            if (is_nan(a) || is_nan(b)) return nan_of<D>();
            return b < a ? b : a;
        case binary_op::max:
            if (is_nan(a) || is_nan(b)) return nan_of<D>();
            return a < b ? b : a;
    }
    return a;
}

/// Operands of one dtype (checked: "inconsistent" otherwise), all present.
[[nodiscard]] inline dtype common_type(const site& s, const std::vector<const tensor*>& in, const char* what = "its inputs") {
    if (in.empty()) s.fail("it has no inputs");
    for (std::size_t i = 0; i < in.size(); ++i) (void)need(s, in, i, "an operand");
    const dtype t = in.front()->type();
    for (const tensor* x : in)
        if (x->type() != t)
            s.fail(std::string(what) + " have different types (" + std::string(to_string(t)) + " and " +
                   std::string(to_string(x->type())) + ")");
    return t;
}

/// Add/Sub/Mul/Div/Mod/Min/Max/Sum/Mean: a left fold of `op` over broadcast operands; Mean divides by their count.
[[nodiscard]] inline result eval_fold(const site& s, const std::vector<const tensor*>& in, binary_op op, bool mean = false) {
    const dtype t = common_type(s, in);
    if (!arithmetic(t)) return std::nullopt;
    const sizes_t out = broadcast_all(s, in);
    (void)s.room(out, t);
    return with_compute_type(t, [&](auto tag) -> result {
        using D = decltype(tag);
        std::vector<D> acc = load<D>(*in.front());
        sizes_t acc_sizes = in.front()->sizes();
        for (std::size_t i = 1; i < in.size(); ++i) {
            const auto next = *broadcast(acc_sizes, in[i]->sizes());
            acc = zip<D>(acc, acc_sizes, load<D>(*in[i]), in[i]->sizes(), next, [&](D a, D b) { return apply(s, op, a, b); });
            acc_sizes = next;
        }
        if (mean)
            for (auto& v : acc) v = static_cast<D>(v / static_cast<D>(in.size()));
        return one(store(t, out, acc));
    });
}

enum class compare_op { equal, less, greater, less_equal, greater_equal };

[[nodiscard]] inline result eval_compare(const site& s, const std::vector<const tensor*>& in, compare_op op) {
    if (in.size() != 2) s.fail("it needs two inputs");
    const dtype t = common_type(s, in);
    if (!loadable(t) || (t == dtype::boolean && op != compare_op::equal)) return std::nullopt;
    const sizes_t out = broadcast_all(s, in);
    (void)s.room(out, dtype::boolean);
    return with_compute_type(t, [&](auto tag) -> result {
        using D = decltype(tag);
        auto r = zip<std::int64_t>(load<D>(*in[0]), in[0]->sizes(), load<D>(*in[1]), in[1]->sizes(), out, [&](D a, D b) {
            switch (op) {
                case compare_op::equal: return static_cast<std::int64_t>(a == b);
                case compare_op::less: return static_cast<std::int64_t>(a < b);
                case compare_op::greater: return static_cast<std::int64_t>(a > b);
                case compare_op::less_equal: return static_cast<std::int64_t>(a <= b);
                case compare_op::greater_equal: return static_cast<std::int64_t>(a >= b);
            }
            return std::int64_t{0};
        });
        return one(store(dtype::boolean, out, r));
    });
}

enum class logic_op { land, lor, lxor };

[[nodiscard]] inline result eval_logic(const site& s, const std::vector<const tensor*>& in, logic_op op) {
    if (in.size() != 2) s.fail("it needs two inputs");
    if (common_type(s, in) != dtype::boolean) return std::nullopt;
    const sizes_t out = broadcast_all(s, in);
    (void)s.room(out, dtype::boolean);
    auto r = zip<std::int64_t>(load<std::int64_t>(*in[0]), in[0]->sizes(), load<std::int64_t>(*in[1]), in[1]->sizes(), out,
                               [&](std::int64_t a, std::int64_t b) -> std::int64_t {
                                   if (op == logic_op::land) return a && b;
                                   if (op == logic_op::lor) return a || b;
                                   return (a != 0) != (b != 0);
                               });
    return one(store(dtype::boolean, out, r));
}

/// Integer power by repeated squaring, wrapping like the fixed-width types.
template <class D>
[[nodiscard]] D int_pow(const site& s, D base, std::int64_t e) {
    if (e < 0) {
        if (base == D{1}) return D{1};
        if constexpr (std::is_signed_v<D>)
            if (base == D{-1}) return (e % 2) ? D{-1} : D{1};
        if (base == D{0}) s.fail("integer 0 raised to the negative power " + std::to_string(e));
        return D{0};  // |base| > 1: the exact result is a fraction, truncated to 0
    }
    std::uint64_t result = 1, b = static_cast<std::uint64_t>(base);
    for (auto k = static_cast<std::uint64_t>(e); k; k >>= 1) {
        if (k & 1) result *= b;
        b *= b;
    }
    return static_cast<D>(result);
}

[[nodiscard]] inline result eval_pow(const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "X");
    const tensor& y = need(s, in, 1, "Y");
    if (!arithmetic(x.type()) || !arithmetic(y.type())) return std::nullopt;
    auto out = broadcast(x.sizes(), y.sizes());
    if (!out) s.fail("the shapes " + text(x.sizes()) + " and " + text(y.sizes()) + " do not broadcast");
    (void)s.room(*out, x.type());
    return with_compute_type(x.type(), [&](auto tag) -> result {
        using D = decltype(tag);
        if constexpr (std::is_floating_point_v<D>) {
            auto r = zip<double>(load<double>(x), x.sizes(), load<double>(y), y.sizes(), *out,
                                 [](double a, double b) { return std::pow(a, b); });
            return one(store(x.type(), *out, r));
        } else if (is_integer(y.type())) {
            auto r = zip<D>(load<D>(x), x.sizes(), load<std::int64_t>(y), y.sizes(), *out,
                            [&](D a, std::int64_t b) { return int_pow(s, a, b); });
            return one(store(x.type(), *out, r));
        } else {  // an integer base with a floating exponent: computed in double, then truncated
            auto r = zip<double>(load<double>(x), x.sizes(), load<double>(y), y.sizes(), *out,
                                 [](double a, double b) { return std::pow(a, b); });
            return one(store(x.type(), *out, r));
        }
    });
}

enum class unary_op { neg, abs, sign, relu, sqrt, reciprocal, exp, log, floor, ceil, round, sigmoid, tanh, erf, lnot };

[[nodiscard]] inline result eval_unary(const site& s, const tensor& x, unary_op op) {
    const dtype t = x.type();
    const bool float_only = op >= unary_op::sqrt && op <= unary_op::erf;
    if (op == unary_op::lnot ? t != dtype::boolean : !arithmetic(t)) return std::nullopt;
    if (float_only && !is_floating(t)) return std::nullopt;
    if ((op == unary_op::neg || op == unary_op::relu) && !is_signed(t)) return std::nullopt;
    (void)s.room(x.sizes(), t);
    return with_compute_type(t, [&](auto tag) -> result {
        using D = decltype(tag);
        std::vector<D> v = load<D>(x);
        for (auto& e : v) {
            if constexpr (std::is_floating_point_v<D>) {
                switch (op) {
                    case unary_op::neg: e = -e; break;
                    case unary_op::abs: e = std::fabs(e); break;
                    case unary_op::sign: e = std::isnan(e) ? e : (e > 0 ? 1.0 : (e < 0 ? -1.0 : 0.0)); break;
                    case unary_op::relu: e = e < 0 ? 0.0 : e; break;
                    case unary_op::sqrt: e = std::sqrt(e); break;
                    case unary_op::reciprocal: e = 1.0 / e; break;
                    case unary_op::exp: e = std::exp(e); break;
                    case unary_op::log: e = std::log(e); break;
                    case unary_op::floor: e = std::floor(e); break;
                    case unary_op::ceil: e = std::ceil(e); break;
                    case unary_op::round: e = round_half_even(e); break;
                    case unary_op::sigmoid: e = e >= 0 ? 1.0 / (1.0 + std::exp(-e)) : std::exp(e) / (1.0 + std::exp(e)); break;
                    case unary_op::tanh: e = std::tanh(e); break;
                    case unary_op::erf: e = std::erf(e); break;
                    case unary_op::lnot: break;
                }
            } else {
                switch (op) {
                    case unary_op::neg: e = wrap_sub(D{0}, e); break;
                    case unary_op::abs:
                        if constexpr (std::is_signed_v<D>) e = e < 0 ? wrap_sub(D{0}, e) : e;
                        break;
                    case unary_op::sign:
                        if constexpr (std::is_signed_v<D>) e = e > 0 ? 1 : (e < 0 ? -1 : 0);
                        else e = e > 0 ? 1 : 0;
                        break;
                    case unary_op::relu: e = e < D{0} ? D{0} : e; break;
                    case unary_op::lnot: e = e ? 0 : 1; break;
                    default: break;  // float-only operators were declined above
                }
            }
        }
        return one(store(t, x.sizes(), v));
    });
}

// ---- reductions, MatMul, Clip, DequantizeLinear, Trilu ----------------------------------------

enum class reduce_op { sum, prod, max, min, mean };

[[nodiscard]] inline result eval_reduce(const attr_set& at, const site& s, const std::vector<const tensor*>& in, reduce_op op) {
    const tensor& x = need(s, in, 0, "data");
    const dtype t = x.type();
    if (!arithmetic(t)) return std::nullopt;
    const std::size_t r = x.sizes().size();
    const auto axes = axes_of(at, s, in, 1).value_or(std::vector<std::int64_t>{});
    if (axes.empty() && at.get_int(s, "noop_with_empty_axes", 0) != 0) return one(x);
    std::vector<bool> reduced(r, axes.empty());
    for (auto a : norm_axes(s, axes, r)) reduced[a] = true;
    const bool keepdims = at.get_int(s, "keepdims", 1) != 0;
    sizes_t kept(r), out;
    std::int64_t count = 1;
    for (std::size_t d = 0; d < r; ++d) {
        kept[d] = reduced[d] ? 1 : x.sizes()[d];
        if (reduced[d]) count *= x.sizes()[d];
        if (!reduced[d] || keepdims) out.push_back(kept[d]);
    }
    (void)s.room(out, t);
    return with_compute_type(t, [&](auto tag) -> result {
        using D = decltype(tag);
        D init{};
        switch (op) {
            case reduce_op::sum: case reduce_op::mean: init = D{0}; break;
            case reduce_op::prod: init = D{1}; break;
            case reduce_op::max:
                init = std::is_floating_point_v<D> ? -std::numeric_limits<D>::infinity() : std::numeric_limits<D>::lowest();
                break;
            case reduce_op::min:
                init = std::is_floating_point_v<D> ? std::numeric_limits<D>::infinity() : std::numeric_limits<D>::max();
                break;
        }
        std::vector<D> acc(static_cast<std::size_t>(numel(kept)), init);
        const std::vector<D> v = load<D>(x);
        const sizes_t to = broadcast_strides(kept, x.sizes());
        walk<1>(x.sizes(), {&to}, {0}, [&](std::int64_t i, const std::array<std::int64_t, 1>& off) {
            D& a = acc[static_cast<std::size_t>(off[0])];
            const D e = v[static_cast<std::size_t>(i)];
            switch (op) {
                case reduce_op::sum: case reduce_op::mean: a = wrap_add(a, e); break;
                case reduce_op::prod: a = wrap_mul(a, e); break;
                case reduce_op::max: a = apply(s, binary_op::max, a, e); break;
                case reduce_op::min: a = apply(s, binary_op::min, a, e); break;
            }
        });
        if (op == reduce_op::mean) {
            if constexpr (std::is_floating_point_v<D>) {
                for (auto& a : acc) a /= static_cast<D>(count);
            } else {
                if (count == 0) s.fail("ReduceMean over no elements has no integer result");
                for (auto& a : acc) a = static_cast<D>(a / static_cast<D>(count));
            }
        }
        return one(store(t, out, acc));
    });
}

/// The most multiply-adds a MatMul may need to be evaluated here.
inline constexpr std::int64_t max_matmul_products = std::int64_t{1} << 26;

[[nodiscard]] inline result eval_matmul(const site& s, const std::vector<const tensor*>& in) {
    const dtype t = common_type(s, {&need(s, in, 0, "A"), &need(s, in, 1, "B")});
    if (!arithmetic(t)) return std::nullopt;
    sizes_t a = in[0]->sizes(), b = in[1]->sizes();
    if (a.empty() || b.empty()) s.fail("MatMul needs inputs of rank 1 or more, not " + text(a) + " and " + text(b));
    const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
    if (a_vec) a.insert(a.begin(), 1);
    if (b_vec) b.push_back(1);
    const std::int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
    if (b[b.size() - 2] != k)
        s.fail("the inner dimensions of " + text(in[0]->sizes()) + " and " + text(in[1]->sizes()) + " differ");
    const sizes_t ab(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
    auto batch = broadcast(ab, bb);
    if (!batch) s.fail("the batch dimensions of " + text(in[0]->sizes()) + " and " + text(in[1]->sizes()) + " do not broadcast");
    sizes_t out = *batch;
    if (!a_vec) out.push_back(m);
    if (!b_vec) out.push_back(n);
    (void)s.room(out, t);
    // Folding is for small products (shape arithmetic, tiny weights); large ones are the runtime's job.
    if (static_cast<double>(numel(*batch)) * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >
        static_cast<double>(max_matmul_products))
        return std::nullopt;
    return with_compute_type(t, [&](auto tag) -> result {
        using D = decltype(tag);
        const std::vector<D> va = load<D>(*in[0]), vb = load<D>(*in[1]);
        const sizes_t sa = broadcast_strides(ab, *batch), sb = broadcast_strides(bb, *batch);
        std::vector<D> r(static_cast<std::size_t>(numel(*batch) * m * n));
        const std::size_t mat_a = static_cast<std::size_t>(m * k), mat_b = static_cast<std::size_t>(k * n);
        walk<2>(*batch, {&sa, &sb}, {0, 0}, [&](std::int64_t bi, const std::array<std::int64_t, 2>& off) {
            const D* pa = va.data() + static_cast<std::size_t>(off[0]) * mat_a;
            const D* pb = vb.data() + static_cast<std::size_t>(off[1]) * mat_b;
            D* pr = r.data() + static_cast<std::size_t>(bi * m * n);
            for (std::int64_t i = 0; i < m; ++i)
                for (std::int64_t j = 0; j < n; ++j) {
                    D acc{0};
                    for (std::int64_t l = 0; l < k; ++l) acc = wrap_add(acc, wrap_mul(pa[i * k + l], pb[l * n + j]));
                    pr[i * n + j] = acc;
                }
        });
        return one(store(t, out, r));
    });
}

[[nodiscard]] inline result eval_clip(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "input");
    const dtype t = x.type();
    if (!arithmetic(t)) return std::nullopt;
    (void)s.room(x.sizes(), t);
    return with_compute_type(t, [&](auto tag) -> result {
        using D = decltype(tag);
        D lo = std::is_floating_point_v<D> ? -std::numeric_limits<D>::infinity() : std::numeric_limits<D>::lowest();
        D hi = std::is_floating_point_v<D> ? std::numeric_limits<D>::infinity() : std::numeric_limits<D>::max();
        if (at.has("min") || at.has("max")) {  // Clip-6: attributes
            if (auto f = at.get<float>(s, "min")) lo = convert<D>(*f);
            if (auto f = at.get<float>(s, "max")) hi = convert<D>(*f);
        } else {
            auto bound = [&](std::size_t i, const char* what, D& into) {
                const tensor* b = opt(in, i);
                if (!b) return;
                if (b->type() != t)
                    s.fail(std::string(what) + " has type " + std::string(to_string(b->type())) + " but the input has " +
                           std::string(to_string(t)));
                if (b->numel() != 1) s.fail(std::string(what) + " must be a scalar, not of shape " + text(b->sizes()));
                into = load<D>(*b)[0];
            };
            bound(1, "min", lo);
            bound(2, "max", hi);
        }
        std::vector<D> v = load<D>(x);
        for (auto& e : v) {
            if (e < lo) e = lo;
            if (e > hi) e = hi;  // min > max gives max, as ONNX says
        }
        return one(store(t, x.sizes(), v));
    });
}

[[nodiscard]] inline result eval_dequantize(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "x");
    const tensor& scale = need(s, in, 1, "x_scale");
    const tensor* zp = opt(in, 2);
    if (!(x.type() == dtype::int8 || x.type() == dtype::uint8 || x.type() == dtype::int32) || scale.type() != dtype::float32)
        return std::nullopt;
    if (zp && zp->type() != x.type())
        s.fail("x_zero_point has type " + std::string(to_string(zp->type())) + " but x has " + std::string(to_string(x.type())));
    const std::int64_t channels = scale.numel();
    std::int64_t inner = 1, dim = 1;
    if (channels != 1 || scale.sizes().size() > 1) {  // per axis (opset 13): a 1-D scale along `axis`
        if (scale.sizes().size() != 1 || x.sizes().empty())
            s.fail("x_scale of shape " + text(scale.sizes()) + " is neither a scalar nor 1-D along an axis of " + text(x.sizes()));
        const std::size_t axis = s.axis(at.get_int(s, "axis", 1), x.sizes().size());
        dim = x.sizes()[axis];
        if (dim != channels)
            s.fail("x_scale has " + std::to_string(channels) + " elements but axis " + std::to_string(axis) + " of x " +
                   text(x.sizes()) + " has " + std::to_string(dim));
        for (std::size_t d = axis + 1; d < x.sizes().size(); ++d) inner *= x.sizes()[d];
    }
    if (zp && zp->numel() != channels)
        s.fail("x_zero_point of shape " + text(zp->sizes()) + " does not match x_scale of shape " + text(scale.sizes()));
    const std::size_t n = s.room(x.sizes(), dtype::float32);
    const auto q = load<std::int64_t>(x);
    const auto sc = scale.view<float>();
    const auto z = zp ? load<std::int64_t>(*zp) : std::vector<std::int64_t>(static_cast<std::size_t>(channels), 0);
    std::vector<float> y(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % dim);
        y[i] = static_cast<float>(q[i] - z[c]) * sc[c];  // in float, as the definition computes it
    }
    return one(tensor::from<float>(x.sizes(), y));
}

[[nodiscard]] inline result eval_trilu(const attr_set& at, const site& s, const std::vector<const tensor*>& in) {
    const tensor& x = need(s, in, 0, "input");
    const std::size_t r = x.sizes().size();
    if (r < 2) s.fail("the input " + text(x.sizes()) + " has rank below 2");
    std::int64_t k = 0;
    if (const tensor* kt = opt(in, 1)) {
        const auto v = ints_of(s, *kt, "k");
        if (v.size() != 1) s.fail("k must be a scalar");
        k = v[0];
    }
    const bool upper = at.get_int(s, "upper", 1) != 0;
    const std::size_t n = s.room(x.sizes(), x.type());
    const std::size_t es = size_of(x.type());
    const std::int64_t rows = x.sizes()[r - 2], cols = x.sizes()[r - 1];
    std::vector<std::byte> bytes(n * es);
    copy_bytes(bytes.data(), x.data().data(), n * es);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t col = static_cast<std::int64_t>(i) % cols, row = (static_cast<std::int64_t>(i) / cols) % rows;
        const bool keep = upper ? col - row >= k : col - row <= k;
        if (!keep) std::memset(bytes.data() + i * es, 0, es);
    }
    return one(tensor(x.type(), x.sizes(), buffer(std::move(bytes))));
}

/// Evaluates ai.onnx operator `op`; the traits-independent core of evaluate().
[[nodiscard]] inline result evaluate_op(std::string_view op, const attr_set& at, const std::vector<const tensor*>& in,
                                        std::size_t num_outputs, [[maybe_unused]] std::int64_t opset, const site& s) {
    for (const tensor* t : in)
        if (t && (t->type() == dtype::string || t->type() == dtype::undefined)) return std::nullopt;
    auto x0 = [&]() -> const tensor& { return need(s, in, 0, "input"); };

    if (op == "Identity") return one(x0());
    if (op == "Constant") return eval_constant(at, s);
    if (op == "Shape") return one(shape_of(at, s, x0().sizes()));
    if (op == "Size") return one(tensor::from<std::int64_t>({}, {x0().numel()}));
    if (op == "Cast") {
        auto to = at.get<std::int64_t>(s, "to");
        if (!to) s.fail("it has no 'to' attribute");
        auto t = dtype_from_onnx_code(*to);
        if (!t) s.fail("'to' is " + std::to_string(*to) + ", which is no ONNX element type");
        return eval_cast(s, x0(), *t);
    }
    if (op == "CastLike") return eval_cast(s, x0(), need(s, in, 1, "target_type").type());
    if (op == "Reshape") return eval_reshape(at, s, in);
    if (op == "Flatten") return eval_flatten(at, s, x0());
    if (op == "Squeeze") return eval_squeeze(at, s, in);
    if (op == "Unsqueeze") return eval_unsqueeze(at, s, in);
    if (op == "Transpose") return eval_transpose(at, s, x0());
    if (op == "Concat") return eval_concat(at, s, in);
    if (op == "Split") return eval_split(at, s, in, num_outputs);
    if (op == "Slice") return eval_slice(at, s, in);
    if (op == "Gather") return eval_gather(at, s, in);
    if (op == "GatherElements") return eval_gather_elements(at, s, in);
    if (op == "Expand") return eval_expand(s, in);
    if (op == "Tile") return eval_tile(s, in);
    if (op == "ConstantOfShape") return eval_constant_of_shape(at, s, in);
    if (op == "Range") return eval_range(s, in);
    if (op == "Where") return eval_where(s, in);
    if (op == "Equal") return eval_compare(s, in, compare_op::equal);
    if (op == "Less") return eval_compare(s, in, compare_op::less);
    if (op == "Greater") return eval_compare(s, in, compare_op::greater);
    if (op == "LessOrEqual") return eval_compare(s, in, compare_op::less_equal);
    if (op == "GreaterOrEqual") return eval_compare(s, in, compare_op::greater_equal);
    if (op == "Not") return eval_unary(s, x0(), unary_op::lnot);
    if (op == "And") return eval_logic(s, in, logic_op::land);
    if (op == "Or") return eval_logic(s, in, logic_op::lor);
    if (op == "Xor") return eval_logic(s, in, logic_op::lxor);
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
        if (in.size() != 2) s.fail("it needs two inputs");
        const binary_op b = op == "Add" ? binary_op::add : op == "Sub" ? binary_op::sub : op == "Mul" ? binary_op::mul : binary_op::div;
        return eval_fold(s, in, b);
    }
    if (op == "Mod") {
        if (in.size() != 2) s.fail("it needs two inputs");
        const bool fmod = at.get_int(s, "fmod", 0) != 0;
        if (!fmod && in[0] && is_floating(in[0]->type()))
            s.fail("Mod with fmod=0 is defined for integers only; floating-point inputs need fmod=1");
        return eval_fold(s, in, fmod ? binary_op::fmod : binary_op::mod);
    }
    if (op == "Pow") return eval_pow(s, in);
    if (op == "Min") return eval_fold(s, in, binary_op::min);
    if (op == "Max") return eval_fold(s, in, binary_op::max);
    if (op == "Sum") return eval_fold(s, in, binary_op::add);
    if (op == "Mean") {
        if (!in.empty() && in[0] && !is_floating(in[0]->type())) return std::nullopt;
        return eval_fold(s, in, binary_op::add, true);
    }
    static constexpr std::pair<std::string_view, unary_op> unary[] = {
        {"Neg", unary_op::neg},       {"Abs", unary_op::abs},         {"Sign", unary_op::sign},   {"Relu", unary_op::relu},
        {"Sqrt", unary_op::sqrt},     {"Reciprocal", unary_op::reciprocal}, {"Exp", unary_op::exp}, {"Log", unary_op::log},
        {"Floor", unary_op::floor},   {"Ceil", unary_op::ceil},       {"Round", unary_op::round}, {"Sigmoid", unary_op::sigmoid},
        {"Tanh", unary_op::tanh},     {"Erf", unary_op::erf}};
    for (const auto& [name, u] : unary)
        if (op == name) return eval_unary(s, x0(), u);
    if (op == "ReduceSum") return eval_reduce(at, s, in, reduce_op::sum);
    if (op == "ReduceProd") return eval_reduce(at, s, in, reduce_op::prod);
    if (op == "ReduceMax") return eval_reduce(at, s, in, reduce_op::max);
    if (op == "ReduceMin") return eval_reduce(at, s, in, reduce_op::min);
    if (op == "ReduceMean") return eval_reduce(at, s, in, reduce_op::mean);
    if (op == "MatMul") return eval_matmul(s, in);
    if (op == "Clip") return eval_clip(at, s, in);
    if (op == "DequantizeLinear") return eval_dequantize(at, s, in);
    if (op == "Trilu") return eval_trilu(at, s, in);
    return std::nullopt;
}

/// The node's attributes in the traits-independent form the kernels read.
template <class Traits>
[[nodiscard]] attr_set collect_attributes(const basic_node<Traits>& n) {
    using attribute_t = basic_attribute<Traits>;
    attr_set out;
    for (const auto& [name, a] : n.attributes()) {
        attr_value v;
        if (const auto* f = a.template get_if<float>()) v = *f;
        else if (const auto* i = a.template get_if<std::int64_t>()) v = *i;
        else if (const auto* t = a.template get_if<tensor>()) v = *t;
        else if (const auto* str = a.template get_if<typename Traits::string_type>()) v = std::string(str->begin(), str->end());
        else if (const auto* fs = a.template get_if<typename Traits::template vector_type<float>>())
            v = std::vector<float>(fs->begin(), fs->end());
        else if (const auto* is = a.template get_if<typename Traits::template vector_type<std::int64_t>>())
            v = std::vector<std::int64_t>(is->begin(), is->end());
        out.items.push_back({std::string(name.begin(), name.end()), std::move(v), attribute_t::kind_name(a.get_kind())});
    }
    return out;
}

}  // namespace detail::eval

/// What try_evaluate() found: the results, or why there are none.
struct evaluation {
    std::optional<std::vector<tensor>> results;  ///< one tensor per output; nullopt when not evaluated
    bool too_large = false;                       ///< not evaluated because a result would exceed the byte limit
};

/// evaluate(), telling apart "not covered" and "too large" (see evaluate()).
template <class Traits>
[[nodiscard]] evaluation try_evaluate(const basic_node<Traits>& n, const std::vector<const tensor*>& inputs, std::int64_t opset,
                                      std::size_t max_result_bytes = std::numeric_limits<std::size_t>::max()) {
    if (!can_evaluate(n.domain(), n.op_type())) return {};
    const detail::eval::site s{n.describe(), max_result_bytes};
    try {
        return {detail::eval::evaluate_op(n.op_type(), detail::eval::collect_attributes(n), inputs, n.num_outputs(), opset, s)};
    } catch (const detail::eval::too_large&) {
        return {std::nullopt, true};
    }
}

/// Evaluates node `n` (an ai.onnx operator, at `opset`) on constant inputs, one pointer per node input
/// (nullptr for an absent optional one). Returns one tensor per output, or nullopt when gearc does not
/// evaluate this operator or dtype (the node is then simply not folded) or when a result would need
/// more than `max_result_bytes` new bytes (checked before anything is computed). Results may share
/// their input's bytes and then need none (Identity, Reshape, Flatten, Squeeze, Unsqueeze, and no-op
/// Transpose, Slice, Expand, Cast). Where attributes moved to inputs across opsets (Squeeze's and
/// Unsqueeze's axes, Split's split, Slice's starts, Clip's bounds, ReduceSum's axes), the form the node
/// carries is used. Inputs inconsistent with the operator throw compile_error GC4005 naming the node
/// and the reason.
template <class Traits>
[[nodiscard]] std::optional<std::vector<tensor>> evaluate(const basic_node<Traits>& n, const std::vector<const tensor*>& inputs,
                                                          std::int64_t opset,
                                                          std::size_t max_result_bytes = std::numeric_limits<std::size_t>::max()) {
    return try_evaluate(n, inputs, opset, max_result_bytes).results;
}

/// Shape and Size computed from the input's static sizes alone (the input need not be constant);
/// nullopt for any other node.
template <class Traits>
[[nodiscard]] std::optional<tensor> evaluate_shape_op(const basic_node<Traits>& n, const std::vector<std::int64_t>& sizes) {
    if (!(n.domain().empty() || n.domain() == "ai.onnx")) return std::nullopt;
    const detail::eval::site s{n.describe()};
    if (n.op_type() == "Shape") return detail::eval::shape_of(detail::eval::collect_attributes(n), s, sizes);
    if (n.op_type() == "Size") return tensor::from<std::int64_t>({}, {detail::eval::numel(sizes)});
    return std::nullopt;
}

}  // namespace passes

GEARC_END_NAMESPACE
