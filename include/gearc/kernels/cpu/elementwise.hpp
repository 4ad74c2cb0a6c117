// CPU kernels: elementwise operators, activations, softmax and normalisations.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/kernels/kernel.hpp>

// GCC 12's AVX-512 intrinsics trip -Wuninitialized in _mm512_undefined_ps (GCC bug 105593); the warning
// follows the pragmas in force where the intrinsics headers are first included.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace kernels::cpu {

/// How much work one parallel chunk of an elementwise kernel gets at least (smaller tensors run on one thread).
struct elementwise_params {
    std::int64_t grain = 1 << 15;       ///< elements, for cheap operators (Add, Relu, Where, ...)
    std::int64_t math_grain = 1 << 12;  ///< elements, for transcendental ones (Exp, Tanh, Erf, Gelu, ...)
    std::int64_t row_grain = 1 << 14;   ///< elements, for row-wise ones (Softmax, the normalisations)
    std::int64_t column_block = 256;    ///< columns per block when Softmax/LpNormalization reduce a non-last axis
};

namespace detail::ew {

// The widest SIMD the build allows, but AVX-512DQ rather than BW: xsimd 8's BW kernels (integer selects inside
// its float log) cast class types to vectors and do not compile without optimisation; floats lose nothing.
#if XSIMD_WITH_AVX512BW && XSIMD_WITH_AVX512DQ
using simd_arch = xsimd::avx512dq;
#else
using simd_arch = xsimd::default_arch;
#endif
using vf = xsimd::batch<float, simd_arch>;
inline constexpr std::size_t lanes = vf::size;
inline constexpr std::int64_t width = static_cast<std::int64_t>(vf::size);
inline constexpr float inf = std::numeric_limits<float>::infinity();

[[nodiscard]] inline std::int64_t product(std::span<const std::int64_t> s, std::size_t from = 0,
                                          std::size_t to = std::numeric_limits<std::size_t>::max()) noexcept {
    std::int64_t n = 1;
    for (std::size_t i = from; i < std::min(to, s.size()); ++i) n *= s[i];
    return n;
}

/// Whether input i (or output i) has a static shape, so that a kernel can be prepared for it.
[[nodiscard]] inline bool static_input(const prepare_args& a, std::size_t i) {
    return a.has_input(i) && a.inputs[i].dims && a.inputs[i].dims->is_static();
}
[[nodiscard]] inline bool static_output(const prepare_args& a, std::size_t i) {
    return i < a.outputs.size() && a.outputs[i].dims && a.outputs[i].dims->is_static();
}
/// All present inputs and output 0 are static tensors of dtype `t` (the first `n` inputs required).
[[nodiscard]] inline bool all_of_type(const prepare_args& a, dtype t, std::size_t n) {
    if (a.inputs.size() < n || !static_output(a, 0) || a.outputs[0].elem != t) return false;
    for (std::size_t i = 0; i < a.inputs.size(); ++i) {
        if (!a.has_input(i)) {
            if (i < n) return false;
            continue;
        }
        if (a.input_type(i) != t || !static_input(a, i)) return false;
    }
    return true;
}

/// Runs f(begin, end) over [0, n), split on the pool when there is one and the work is worth it.
template <class F>
void parallel(exec_context& ctx, std::int64_t n, std::int64_t grain, F&& f) {
    if (n <= 0) return;
    if (ctx.pool && ctx.pool->size() > 1 && n > grain) ctx.pool->parallel_for(n, grain, f);
    else f(std::int64_t{0}, n);
}

// ---- SIMD loops ---------------------------------------------------------------------------------
// An operand is a vector (`vec`, read at each index) or a broadcast scalar (`bcast`); the choice is made
// once per row, so the loops themselves have no branches. Tails go through a padded batch, so every
// element is computed by the same (vector) code.

struct vec {
    const float* p;
};
struct bcast {
    vf v;
};
[[nodiscard]] inline vf load(const vec& s, std::int64_t i) noexcept { return vf::load_unaligned(s.p + i); }
[[nodiscard]] inline vf load(const bcast& s, std::int64_t) noexcept { return s.v; }
[[nodiscard]] inline vf load_part(const vec& s, std::int64_t i, std::int64_t r) noexcept {
    alignas(64) float b[lanes] = {};
    std::copy_n(s.p + i, r, b);
    return vf::load_aligned(b);
}
[[nodiscard]] inline vf load_part(const bcast& s, std::int64_t, std::int64_t) noexcept { return s.v; }
[[nodiscard]] inline vec shifted(const vec& s, std::int64_t by) noexcept { return {s.p + by}; }
[[nodiscard]] inline const bcast& shifted(const bcast& s, std::int64_t) noexcept { return s; }

/// y[i] = f(s[i]...) for i in [0, n). y may be one of the sources (exactly, not shifted).
template <class F, class... S>
void map(float* y, std::int64_t n, const F& f, const S&... s) {
    std::int64_t i = 0;
    for (; i + width <= n; i += width) f(load(s, i)...).store_unaligned(y + i);
    if (i < n) {
        alignas(64) float b[lanes];
        f(load_part(s, i, n - i)...).store_aligned(b);
        std::copy_n(b, n - i, y + i);
    }
}

/// Lanes [0, r) set.
[[nodiscard]] inline xsimd::batch_bool<float, simd_arch> first_lanes(std::int64_t r) noexcept {
    alignas(64) float idx[lanes];
    for (std::size_t k = 0; k < lanes; ++k) idx[k] = static_cast<float>(k);
    return vf::load_aligned(idx) < vf(static_cast<float>(r));
}

/// acc = combine(acc, f(s[i]...)) over [0, n), lane-wise; padding lanes contribute `neutral`.
template <class F, class C, class... S>
[[nodiscard]] vf reduce(std::int64_t n, vf acc, float neutral, const F& f, const C& combine, const S&... s) {
    std::int64_t i = 0;
    for (; i + width <= n; i += width) acc = combine(acc, f(load(s, i)...));
    if (i < n) acc = combine(acc, xsimd::select(first_lanes(n - i), f(load_part(s, i, n - i)...), vf(neutral)));
    return acc;
}

[[nodiscard]] inline double lane_sum(vf v) noexcept {
    alignas(64) float b[lanes];
    v.store_aligned(b);
    double s = 0;
    for (float x : b) s += x;
    return s;
}
[[nodiscard]] inline float lane_max(vf v) noexcept {
    alignas(64) float b[lanes];
    v.store_aligned(b);
    float m = b[0];
    for (float x : b) m = std::max(m, x);
    return m;
}

inline constexpr auto add_lanes = [](vf a, vf b) { return a + b; };
inline constexpr auto same = [](vf v) { return v; };

/// The sum of f(s[i]...) over [0, n): float lanes within blocks of 1024, double across blocks, so that
/// long rows (normalising a whole image) keep their precision.
template <class F, class... S>
[[nodiscard]] double sum(std::int64_t n, const F& f, const S&... s) {
    double total = 0;
    for (std::int64_t b = 0; b < n; b += 1024) {
        const std::int64_t len = std::min<std::int64_t>(1024, n - b);
        total += lane_sum(reduce(len, vf(0.f), 0.f, f, add_lanes, shifted(s, b)...));
    }
    return total;
}

[[nodiscard]] inline float max_of(const float* x, std::int64_t n) {
    return lane_max(reduce(n, vf(-inf), -inf, same, [](vf a, vf b) { return xsimd::max(a, b); }, vec{x}));
}

// ---- unary float functions ------------------------------------------------------------------------

enum class unary_kind : std::uint8_t {
    identity, relu, leaky_relu, sigmoid, tanh, hard_sigmoid, hard_swish, clip, elu, selu, celu, softplus, softsign,
    thresholded_relu, mish, gelu, gelu_tanh, shrink, exp, log, sqrt, abs, neg, erf, reciprocal, floor, ceil, round,
    sign, sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
};

/// A float function applied elementwise: an ONNX activation or math operator and its parameters.
struct unary_fn {
    unary_kind kind = unary_kind::identity;
    float p = 0.f, q = 0.f;  ///< alpha/beta, min/max, bias/lambd, ... per kind

    [[nodiscard]] bool is_identity() const noexcept { return kind == unary_kind::identity; }

    /// y = f(x) over n elements; y may be x.
    void operator()(const float* x, float* y, std::int64_t n) const {
        const vf zero(0.f), one(1.f), a(p), b(q);
        const vec s{x};
        switch (kind) {
            case unary_kind::identity:
                if (x != y) std::memmove(y, x, static_cast<std::size_t>(n) * sizeof(float));
                return;
            // select() keeps NaN where ONNX's definitions (x < 0 ? ... : x) keep it
            case unary_kind::relu: return map(y, n, [&](vf v) { return xsimd::select(v < zero, zero, v); }, s);
            case unary_kind::leaky_relu: return map(y, n, [&](vf v) { return xsimd::select(v < zero, a * v, v); }, s);
            case unary_kind::sigmoid: return map(y, n, [&](vf v) { return sigmoid(v); }, s);
            case unary_kind::tanh: return map(y, n, [](vf v) { return xsimd::tanh(v); }, s);
            case unary_kind::hard_sigmoid: return map(y, n, [&](vf v) { return clamp01(a * v + b); }, s);
            case unary_kind::hard_swish: return map(y, n, [&](vf v) { return v * clamp01(v * vf(1.f / 6.f) + vf(0.5f)); }, s);
            case unary_kind::clip:
                return map(y, n, [&](vf v) { return xsimd::select(v > b, b, xsimd::select(v < a, a, v)); }, s);
            case unary_kind::elu: return map(y, n, [&](vf v) { return xsimd::select(v < zero, a * xsimd::expm1(v), v); }, s);
            case unary_kind::selu:
                return map(y, n, [&](vf v) { return b * xsimd::select(v > zero, v, a * xsimd::expm1(v)); }, s);
            case unary_kind::celu:
                return map(y, n, [&](vf v) { return xsimd::select(v > zero, v, a * xsimd::expm1(v / a)); }, s);
            case unary_kind::softplus: return map(y, n, [](vf v) { return softplus(v); }, s);
            case unary_kind::softsign: return map(y, n, [&](vf v) { return v / (one + xsimd::abs(v)); }, s);
            case unary_kind::thresholded_relu: return map(y, n, [&](vf v) { return xsimd::select(v > a, v, zero); }, s);
            case unary_kind::mish: return map(y, n, [](vf v) { return v * xsimd::tanh(softplus(v)); }, s);
            case unary_kind::gelu:
                return map(y, n, [&](vf v) { return vf(0.5f) * v * (one + xsimd::erf(v * vf(0.70710678118654752f))); }, s);
            case unary_kind::gelu_tanh:
                return map(y, n, [&](vf v) {
                    const vf inner = vf(0.79788456080286536f) * (v + vf(0.044715f) * v * v * v);
                    return vf(0.5f) * v * (one + xsimd::tanh(inner));
                }, s);
            case unary_kind::shrink:
                return map(y, n, [&](vf v) {
                    return xsimd::select(v < -b, v + a, xsimd::select(v > b, v - a, zero));
                }, s);
            case unary_kind::exp: return map(y, n, [](vf v) { return xsimd::exp(v); }, s);
            case unary_kind::log: return map(y, n, [](vf v) { return xsimd::log(v); }, s);
            case unary_kind::sqrt: return map(y, n, [](vf v) { return xsimd::sqrt(v); }, s);
            case unary_kind::abs: return map(y, n, [](vf v) { return xsimd::abs(v); }, s);
            case unary_kind::neg: return map(y, n, [](vf v) { return -v; }, s);
            case unary_kind::erf: return map(y, n, [](vf v) { return xsimd::erf(v); }, s);
            case unary_kind::reciprocal: return map(y, n, [&](vf v) { return one / v; }, s);
            case unary_kind::floor: return map(y, n, [](vf v) { return xsimd::floor(v); }, s);
            case unary_kind::ceil: return map(y, n, [](vf v) { return xsimd::ceil(v); }, s);
            case unary_kind::round: return map(y, n, [](vf v) { return xsimd::nearbyint(v); }, s);  // half to even
            case unary_kind::sign:
                return map(y, n, [&](vf v) { return xsimd::select(v > zero, one, xsimd::select(v < zero, -one, v)); }, s);
            case unary_kind::sin: return map(y, n, [](vf v) { return xsimd::sin(v); }, s);
            case unary_kind::cos: return map(y, n, [](vf v) { return xsimd::cos(v); }, s);
            case unary_kind::tan: return map(y, n, [](vf v) { return xsimd::tan(v); }, s);
            case unary_kind::asin: return map(y, n, [](vf v) { return xsimd::asin(v); }, s);
            case unary_kind::acos: return map(y, n, [](vf v) { return xsimd::acos(v); }, s);
            case unary_kind::atan: return map(y, n, [](vf v) { return xsimd::atan(v); }, s);
            case unary_kind::sinh: return map(y, n, [](vf v) { return xsimd::sinh(v); }, s);
            case unary_kind::cosh: return map(y, n, [](vf v) { return xsimd::cosh(v); }, s);
            case unary_kind::asinh: return map(y, n, [](vf v) { return xsimd::asinh(v); }, s);
            case unary_kind::acosh: return map(y, n, [](vf v) { return xsimd::acosh(v); }, s);
            case unary_kind::atanh: return map(y, n, [](vf v) { return xsimd::atanh(v); }, s);
        }
    }

    /// Whether the function costs a transcendental call per element (smaller parallel chunks pay off).
    [[nodiscard]] bool is_costly() const noexcept {
        switch (kind) {
            case unary_kind::identity: case unary_kind::relu: case unary_kind::leaky_relu: case unary_kind::hard_sigmoid:
            case unary_kind::hard_swish: case unary_kind::clip: case unary_kind::softsign: case unary_kind::thresholded_relu:
            case unary_kind::shrink: case unary_kind::abs: case unary_kind::neg: case unary_kind::reciprocal:
            case unary_kind::floor: case unary_kind::ceil: case unary_kind::round: case unary_kind::sign: case unary_kind::sqrt:
                return false;
            default: return true;
        }
    }

    [[nodiscard]] static vf clamp01(vf v) noexcept {
        const vf zero(0.f), one(1.f);
        return xsimd::select(v > one, one, xsimd::select(v < zero, zero, v));
    }
    /// 1 / (1 + e^-x) without overflow: e = e^-|x|, then 1/(1+e) or e/(1+e).
    [[nodiscard]] static vf sigmoid(vf v) noexcept {
        const vf e = xsimd::exp(-xsimd::abs(v));
        const vf r = vf(1.f) / (vf(1.f) + e);
        return xsimd::select(v >= vf(0.f), r, e * r);
    }
    /// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), finite for every finite x.
    [[nodiscard]] static vf softplus(vf v) noexcept {
        return xsimd::select(v > vf(0.f), v, vf(0.f)) + xsimd::log1p(xsimd::exp(-xsimd::abs(v)));
    }
};

/// The activation a fused node (ai.gearc FusedConv/FusedGemm/FusedMatMul) applies, from its `activation` and
/// `activation_params` attributes (see passes/fuse_activation.hpp); nullopt for one gearc does not fuse.
[[nodiscard]] inline std::optional<unary_fn> fused_activation(std::string_view op, const std::vector<float>& params) {
    auto param = [&](std::size_t i, float fallback) { return i < params.size() ? params[i] : fallback; };
    if (op.empty()) return unary_fn{};
    if (op == "Relu") return unary_fn{unary_kind::relu};
    if (op == "Sigmoid") return unary_fn{unary_kind::sigmoid};
    if (op == "Tanh") return unary_fn{unary_kind::tanh};
    if (op == "HardSwish") return unary_fn{unary_kind::hard_swish};
    if (op == "LeakyRelu") return unary_fn{unary_kind::leaky_relu, param(0, 0.01f)};
    if (op == "HardSigmoid") return unary_fn{unary_kind::hard_sigmoid, param(0, 0.2f), param(1, 0.5f)};
    if (op == "Clip")
        return unary_fn{unary_kind::clip, param(0, std::numeric_limits<float>::lowest()), param(1, std::numeric_limits<float>::max())};
    return std::nullopt;
}

/// The activation of a fused node `n` (none when it has no `activation` attribute).
[[nodiscard]] inline std::optional<unary_fn> fused_activation(const node& n) {
    return fused_activation(n.attr_or<std::string>("activation", ""), n.attr_or<std::vector<float>>("activation_params", {}));
}

/// The unary float function of an ONNX operator with its attributes; nullopt when `op` is not one.
[[nodiscard]] inline std::optional<unary_fn> unary_of(const node& n) {
    const std::string_view op = n.op_type();
    auto f = [&](const char* name, float fallback) { return n.attr_or<float>(name, fallback); };
    static constexpr std::pair<std::string_view, unary_kind> plain[] = {
        {"Relu", unary_kind::relu},   {"Sigmoid", unary_kind::sigmoid},       {"Tanh", unary_kind::tanh},
        {"HardSwish", unary_kind::hard_swish}, {"Softplus", unary_kind::softplus}, {"Softsign", unary_kind::softsign},
        {"Mish", unary_kind::mish},   {"Exp", unary_kind::exp},               {"Log", unary_kind::log},
        {"Sqrt", unary_kind::sqrt},   {"Abs", unary_kind::abs},               {"Neg", unary_kind::neg},
        {"Erf", unary_kind::erf},     {"Reciprocal", unary_kind::reciprocal}, {"Floor", unary_kind::floor},
        {"Ceil", unary_kind::ceil},   {"Round", unary_kind::round},           {"Sign", unary_kind::sign},
        {"Sin", unary_kind::sin},     {"Cos", unary_kind::cos},               {"Tan", unary_kind::tan},
        {"Asin", unary_kind::asin},   {"Acos", unary_kind::acos},             {"Atan", unary_kind::atan},
        {"Sinh", unary_kind::sinh},   {"Cosh", unary_kind::cosh},             {"Asinh", unary_kind::asinh},
        {"Acosh", unary_kind::acosh}, {"Atanh", unary_kind::atanh}};
    for (const auto& [name, kind] : plain)
        if (op == name) return unary_fn{kind};
    if (op == "LeakyRelu") return unary_fn{unary_kind::leaky_relu, f("alpha", 0.01f)};
    if (op == "HardSigmoid") return unary_fn{unary_kind::hard_sigmoid, f("alpha", 0.2f), f("beta", 0.5f)};
    if (op == "Elu") return unary_fn{unary_kind::elu, f("alpha", 1.f)};
    if (op == "Selu") return unary_fn{unary_kind::selu, f("alpha", 1.67326319217681884765625f), f("gamma", 1.05070102214813232421875f)};
    if (op == "Celu") return unary_fn{unary_kind::celu, f("alpha", 1.f)};
    if (op == "ThresholdedRelu") return unary_fn{unary_kind::thresholded_relu, f("alpha", 1.f)};
    if (op == "Shrink") return unary_fn{unary_kind::shrink, f("bias", 0.f), f("lambd", 0.5f)};
    if (op == "Gelu") {
        const auto approx = n.attr_or<std::string>("approximate", "none");
        if (approx == "none") return unary_fn{unary_kind::gelu};
        if (approx == "tanh") return unary_fn{unary_kind::gelu_tanh};
        return std::nullopt;
    }
    return std::nullopt;
}

// ---- broadcasting -----------------------------------------------------------------------------------

/// N inputs broadcast to one output, with adjacent dims merged where every input allows it: same-shape
/// operands become one row, [N,C,H,W] + [C,1,1] becomes rows of H*W with a scalar per row. In the last
/// (row) dim every input has stride 1 or 0.
template <std::size_t N>
struct broadcast_plan {
    std::vector<std::int64_t> sizes;                   ///< merged output dims (at least one)
    std::vector<std::array<std::int64_t, N>> strides;  ///< per dim, each input's element stride (0: broadcast)
    std::int64_t numel = 0;

    /// Whether input k is a broadcast scalar along each row.
    [[nodiscard]] bool row_scalar(std::size_t k) const noexcept { return strides.back()[k] == 0; }
};

template <std::size_t N>
[[nodiscard]] broadcast_plan<N> make_plan(const std::vector<std::int64_t>& out, const std::array<std::vector<std::int64_t>, N>& in) {
    broadcast_plan<N> p;
    p.numel = product(out);
    const std::size_t r = out.size();
    std::vector<std::array<std::int64_t, N>> st(r);
    for (std::size_t k = 0; k < N; ++k) {
        std::int64_t acc = 1;
        for (std::size_t back = 0; back < r; ++back) {
            std::int64_t s = 0;
            if (back < in[k].size()) {
                const std::int64_t size = in[k][in[k].size() - 1 - back];
                s = size == 1 ? 0 : acc;
                acc *= size;
            }
            st[r - 1 - back][k] = s;
        }
    }
    for (std::size_t d = 0; d < r; ++d) {
        if (out[d] == 1) continue;
        bool merge = !p.sizes.empty();
        for (std::size_t k = 0; merge && k < N; ++k) merge = p.strides.back()[k] == st[d][k] * out[d];
        if (merge) {
            p.sizes.back() *= out[d];
            p.strides.back() = st[d];
        } else {
            p.sizes.push_back(out[d]);
            p.strides.push_back(st[d]);
        }
    }
    if (p.sizes.empty()) {
        p.sizes.push_back(1);
        p.strides.push_back({});
    }
    return p;
}

/// Calls f(pos, offsets, len) for the pieces of rows that cover output elements [begin, end): output
/// elements pos..pos+len-1 read input k from offsets[k] on (stride 1, or 0 when row_scalar(k)).
template <std::size_t N, class F>
void walk(const broadcast_plan<N>& p, std::int64_t begin, std::int64_t end, F&& f) {
    if (begin >= end) return;
    const std::size_t outer = p.sizes.size() - 1;
    const std::int64_t inner = p.sizes.back();
    std::vector<std::int64_t> idx(outer, 0);
    std::array<std::int64_t, N> off{};
    std::int64_t rem = begin / inner, col = begin % inner;
    for (std::size_t d = outer; d-- > 0;) {
        idx[d] = rem % p.sizes[d];
        rem /= p.sizes[d];
        for (std::size_t k = 0; k < N; ++k) off[k] += idx[d] * p.strides[d][k];
    }
    const auto& is = p.strides.back();
    for (std::int64_t pos = begin; pos < end;) {
        const std::int64_t len = std::min(inner - col, end - pos);
        std::array<std::int64_t, N> o;
        for (std::size_t k = 0; k < N; ++k) o[k] = off[k] + col * is[k];
        f(pos, o, len);
        pos += len;
        col = 0;
        for (std::size_t d = outer; d-- > 0;) {  // the odometer over the outer dims
            for (std::size_t k = 0; k < N; ++k) off[k] += p.strides[d][k];
            if (++idx[d] < p.sizes[d]) break;
            for (std::size_t k = 0; k < N; ++k) off[k] -= p.strides[d][k] * p.sizes[d];
            idx[d] = 0;
        }
    }
}

/// y = f(a, b) over one row, each operand a vector or a broadcast scalar.
template <class F>
void binary_row(const F& f, const float* a, bool sa, const float* b, bool sb, float* y, std::int64_t n) {
    if (!sa && !sb) map(y, n, f, vec{a}, vec{b});
    else if (!sb) map(y, n, f, bcast{vf(*a)}, vec{b});
    else if (!sa) map(y, n, f, vec{a}, bcast{vf(*b)});
    else map(y, n, f, bcast{vf(*a)}, bcast{vf(*b)});
}

/// The float binary operators (NaN propagates through Max and Min, as in the reference evaluator; isnan(),
/// not b != b, which xsimd 8 compiles to an ordered compare on AVX-512).
struct add_op {
    vf operator()(vf a, vf b) const { return a + b; }
};
struct sub_op {
    vf operator()(vf a, vf b) const { return a - b; }
};
struct mul_op {
    vf operator()(vf a, vf b) const { return a * b; }
};
struct div_op {
    vf operator()(vf a, vf b) const { return a / b; }
};
struct max_op {
    vf operator()(vf a, vf b) const { return xsimd::select(xsimd::isnan(b) || (a < b), b, a); }
};
struct min_op {
    vf operator()(vf a, vf b) const { return xsimd::select(xsimd::isnan(b) || (b < a), b, a); }
};
struct prelu_op {
    vf operator()(vf x, vf slope) const { return xsimd::select(x < vf(0.f), slope * x, x); }
};
/// std::pow lane by lane: exact ONNX/C semantics (pow(x, 0) = 1, pow(0, -1) = inf, negative bases).
struct pow_op {
    vf operator()(vf a, vf b) const {
        alignas(64) float x[lanes], e[lanes];
        a.store_aligned(x);
        b.store_aligned(e);
        for (std::size_t k = 0; k < lanes; ++k) x[k] = std::pow(x[k], e[k]);
        return vf::load_aligned(x);
    }
};

/// y[i] = f(a[i*sa], b[i*sb]) for any element types (integers, bools as bytes); sa, sb are 0 or 1.
template <class T, class U, class R, class F>
void scalar_row(const F& f, const T* a, std::int64_t sa, const U* b, std::int64_t sb, R* y, std::int64_t n) {
    if (sa && sb)
        for (std::int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
    else if (sb)
        for (std::int64_t i = 0; i < n; ++i) y[i] = f(a[0], b[i]);
    else if (sa)
        for (std::int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[0]);
    else
        std::fill_n(y, n, f(a[0], b[0]));
}

/// Integer arithmetic that wraps like the fixed-width types (no signed-overflow UB).
template <class T>
[[nodiscard]] T wrap(std::make_unsigned_t<T> v) noexcept {
    return static_cast<T>(v);
}

// ---- kernels -------------------------------------------------------------------------------------------

/// A float unary operator, parallel over elements.
inline std::unique_ptr<op_kernel> unary_kernel(std::string name, unary_fn fn, const elementwise_params& p) {
    const std::int64_t grain = fn.is_costly() ? p.math_grain : p.grain;
    return make_kernel(std::move(name), [fn, grain](std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
        const float* x = in[0].as<const float>();
        float* y = out[0].as<float>();
        parallel(ctx, out[0].numel(), grain, [&](std::int64_t b, std::int64_t e) { fn(x + b, y + b, e - b); });
    });
}

/// A float broadcasting binary operator.
template <class Op>
std::unique_ptr<op_kernel> binary_kernel(std::string name, const prepare_args& a, Op op, std::int64_t grain) {
    auto plan = make_plan<2>(a.output_sizes(0), {a.input_sizes(0), a.input_sizes(1)});
    return make_kernel(std::move(name), [plan = std::move(plan), op, grain](std::span<const tensor_ref> in, std::span<const tensor_ref> out,
                                                                            exec_context& ctx) {
        const float* x0 = in[0].as<const float>();
        const float* x1 = in[1].as<const float>();
        float* y = out[0].as<float>();
        const bool s0 = plan.row_scalar(0), s1 = plan.row_scalar(1);
        parallel(ctx, plan.numel, grain, [&](std::int64_t b, std::int64_t e) {
            walk(plan, b, e, [&](std::int64_t pos, const std::array<std::int64_t, 2>& o, std::int64_t len) {
                binary_row(op, x0 + o[0], s0, x1 + o[1], s1, y + pos, len);
            });
        });
    });
}

/// Pow: a scalar exponent (the common x^2, x^0.5) becomes a unary function; otherwise std::pow per element.
inline std::unique_ptr<op_kernel> pow_kernel(const prepare_args& a, const elementwise_params& p) {
    auto general = binary_kernel("elementwise.pow", a, pow_op{}, p.math_grain);
    if (product(a.input_sizes(1)) != 1 || a.input_sizes(1).size() > a.output_sizes(0).size() ||
        product(a.input_sizes(0)) != product(a.output_sizes(0)))
        return general;
    return make_kernel("elementwise.pow_scalar", [general = std::shared_ptr<op_kernel>(std::move(general)), grain = p.grain](
                                                     std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
        const float e = *in[1].as<const float>();
        const float* x = in[0].as<const float>();
        float* y = out[0].as<float>();
        auto body = [&](auto f) {
            parallel(ctx, out[0].numel(), grain, [&](std::int64_t b, std::int64_t en) { map(y + b, en - b, f, vec{x + b}); });
        };
        if (e == 2.f) return body([](vf v) { return v * v; });
        if (e == 3.f) return body([](vf v) { return v * v * v; });
        if (e == 1.f) return body([](vf v) { return v; });
        if (e == 0.5f) return body([](vf v) { return xsimd::sqrt(v); });
        if (e == -1.f) return body([](vf v) { return vf(1.f) / v; });
        if (e == 0.f) return body([](vf) { return vf(1.f); });
        general->run(in, out, ctx);
    });
}

/// Sum, Mean, Max, Min: a fold of a commutative operator over the broadcast inputs. The fold starts from the
/// input that shares the output's memory (the memory plan may run these in place), so it is read first.
template <class Op>
std::unique_ptr<op_kernel> variadic_kernel(std::string name, const prepare_args& a, Op op, bool mean, std::int64_t grain) {
    const std::size_t k = a.inputs.size();
    const auto out_sizes = a.output_sizes(0);
    std::vector<broadcast_plan<2>> first(k), next(k);
    for (std::size_t j = 0; j < k; ++j) {
        first[j] = make_plan<2>(out_sizes, {a.input_sizes(j), a.input_sizes(j == 0 ? 1 : 0)});
        next[j] = make_plan<2>(out_sizes, {out_sizes, a.input_sizes(j)});
    }
    return make_kernel(std::move(name), [first = std::move(first), next = std::move(next), op, mean, grain, k](
                                            std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
        float* y = out[0].as<float>();
        std::size_t j = 0, aliased = 0;
        for (std::size_t i = 0; i < k; ++i)
            if (in[i].as<const float>() == y) {
                if (aliased++ == 0) j = i;
            }
        std::vector<float> copy;  // two inputs in the output's memory (Sum(x, y, x) in place): keep x
        std::vector<const float*> src(k);
        for (std::size_t i = 0; i < k; ++i) src[i] = in[i].as<const float>();
        if (aliased > 1 && k > 2) {
            copy.assign(y, y + in[j].numel());
            for (auto& s : src)
                if (s == y) s = copy.data();
        }
        const std::size_t second = j == 0 ? 1 : 0;
        auto apply = [&](const broadcast_plan<2>& plan, const float* x0, const float* x1) {
            const bool s0 = plan.row_scalar(0), s1 = plan.row_scalar(1);
            parallel(ctx, plan.numel, grain, [&](std::int64_t b, std::int64_t e) {
                walk(plan, b, e, [&](std::int64_t pos, const std::array<std::int64_t, 2>& o, std::int64_t len) {
                    binary_row(op, x0 + o[0], s0, x1 + o[1], s1, y + pos, len);
                });
            });
        };
        apply(first[j], src[j], src[second]);
        for (std::size_t i = 0; i < k; ++i)
            if (i != j && i != second) apply(next[i], y, src[i]);
        if (mean) {
            const vf count(static_cast<float>(k));
            parallel(ctx, out[0].numel(), grain,
                     [&](std::int64_t b, std::int64_t e) { map(y + b, e - b, [&](vf v) { return v / count; }, vec{y + b}); });
        }
    });
}

/// Copy kernel for a single-input Sum/Mean/Max/Min.
inline std::unique_ptr<op_kernel> copy_kernel(std::string name) {
    return make_kernel(std::move(name), [](std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context&) {
        if (in[0].data != out[0].data && out[0].bytes()) std::memmove(out[0].data, in[0].data, out[0].bytes());
    });
}

/// An integer/bool broadcasting binary operator, computed element by element.
template <class T, class R, class F>
std::unique_ptr<op_kernel> scalar_binary_kernel(std::string name, const prepare_args& a, F f, std::int64_t grain) {
    auto plan = make_plan<2>(a.output_sizes(0), {a.input_sizes(0), a.input_sizes(1)});
    return make_kernel(std::move(name), [plan = std::move(plan), f, grain](std::span<const tensor_ref> in, std::span<const tensor_ref> out,
                                                                           exec_context& ctx) {
        const T* x0 = in[0].as<const T>();
        const T* x1 = in[1].as<const T>();
        R* y = out[0].as<R>();
        const std::int64_t s0 = plan.strides.back()[0], s1 = plan.strides.back()[1];
        parallel(ctx, plan.numel, grain, [&](std::int64_t b, std::int64_t e) {
            walk(plan, b, e, [&](std::int64_t pos, const std::array<std::int64_t, 2>& o, std::int64_t len) {
                scalar_row(f, x0 + o[0], s0, x1 + o[1], s1, y + pos, len);
            });
        });
    });
}

/// Integer Sum/Max/Min (a fold over the broadcast inputs, like variadic_kernel).
template <class T, class F>
std::unique_ptr<op_kernel> scalar_variadic_kernel(std::string name, const prepare_args& a, F f, std::int64_t grain) {
    const std::size_t k = a.inputs.size();
    const auto out_sizes = a.output_sizes(0);
    std::vector<broadcast_plan<2>> first(k), next(k);
    for (std::size_t j = 0; j < k; ++j) {
        first[j] = make_plan<2>(out_sizes, {a.input_sizes(j), a.input_sizes(j == 0 ? 1 : 0)});
        next[j] = make_plan<2>(out_sizes, {out_sizes, a.input_sizes(j)});
    }
    return make_kernel(std::move(name), [first = std::move(first), next = std::move(next), f, grain, k](
                                            std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
        T* y = out[0].as<T>();
        std::size_t j = 0, aliased = 0;
        for (std::size_t i = 0; i < k; ++i)
            if (in[i].as<const T>() == y && aliased++ == 0) j = i;
        std::vector<T> copy;
        std::vector<const T*> src(k);
        for (std::size_t i = 0; i < k; ++i) src[i] = in[i].as<const T>();
        if (aliased > 1 && k > 2) {
            copy.assign(y, y + in[j].numel());
            for (auto& s : src)
                if (s == y) s = copy.data();
        }
        const std::size_t second = j == 0 ? 1 : 0;
        auto apply = [&](const broadcast_plan<2>& plan, const T* x0, const T* x1) {
            const std::int64_t s0 = plan.strides.back()[0], s1 = plan.strides.back()[1];
            parallel(ctx, plan.numel, grain, [&](std::int64_t b, std::int64_t e) {
                walk(plan, b, e, [&](std::int64_t pos, const std::array<std::int64_t, 2>& o, std::int64_t len) {
                    scalar_row(f, x0 + o[0], s0, x1 + o[1], s1, y + pos, len);
                });
            });
        };
        apply(first[j], src[j], src[second]);
        for (std::size_t i = 0; i < k; ++i)
            if (i != j && i != second) apply(next[i], y, src[i]);
    });
}

/// Where(condition, X, Y) for any element type: elements are copied as unsigned integers of their size.
template <class T>
std::unique_ptr<op_kernel> where_kernel(const prepare_args& a, std::int64_t grain) {
    auto plan = make_plan<3>(a.output_sizes(0), {a.input_sizes(0), a.input_sizes(1), a.input_sizes(2)});
    return make_kernel("elementwise.where", [plan = std::move(plan), grain](std::span<const tensor_ref> in, std::span<const tensor_ref> out,
                                                                           exec_context& ctx) {
        const auto* c = in[0].as<const std::uint8_t>();
        const T* x = in[1].as<const T>();
        const T* z = in[2].as<const T>();
        T* y = out[0].as<T>();
        const auto& is = plan.strides.back();
        parallel(ctx, plan.numel, grain, [&](std::int64_t b, std::int64_t e) {
            walk(plan, b, e, [&](std::int64_t pos, const std::array<std::int64_t, 3>& o, std::int64_t len) {
                const std::uint8_t* cc = c + o[0];
                const T* xx = x + o[1];
                const T* zz = z + o[2];
                T* yy = y + pos;
                if (is[0] && is[1] && is[2])
                    for (std::int64_t i = 0; i < len; ++i) yy[i] = cc[i] ? xx[i] : zz[i];
                else
                    for (std::int64_t i = 0; i < len; ++i) yy[i] = cc[i * is[0]] ? xx[i * is[1]] : zz[i * is[2]];
            });
        });
    });
}

/// Whether the node's inputs 0..n-1 and output 0 have static shapes (the gear makes them so).
[[nodiscard]] inline bool shapes_known(const prepare_args& a, std::size_t n) {
    if (!static_output(a, 0)) return false;
    for (std::size_t i = 0; i < n; ++i)
        if (!static_input(a, i)) return false;
    return true;
}

// ---- softmax family ---------------------------------------------------------------------------------

enum class softmax_mode : std::uint8_t { softmax, log_softmax, hardmax };

/// One contiguous line.
inline void softmax_line(const float* x, float* y, std::int64_t n, softmax_mode mode) {
    if (n <= 0) return;
    if (mode == softmax_mode::hardmax) {
        std::int64_t best = 0;
        for (std::int64_t i = 1; i < n; ++i)
            if (x[i] > x[best]) best = i;
        std::fill_n(y, n, 0.f);
        y[best] = 1.f;
        return;
    }
    const float m = max_of(x, n);
    const vf vm(m);
    if (mode == softmax_mode::log_softmax) {
        const double s = sum(n, [&](vf v) { return xsimd::exp(v - vm); }, vec{x});
        const vf c(m + static_cast<float>(std::log(s)));
        return map(y, n, [&](vf v) { return v - c; }, vec{x});
    }
    double s = 0;
    for (std::int64_t b = 0; b < n; b += 1024) {  // exp stored and summed in one pass
        const std::int64_t len = std::min<std::int64_t>(1024, n - b);
        map(y + b, len, [&](vf v) { return xsimd::exp(v - vm); }, vec{x + b});
        s += lane_sum(reduce(len, vf(0.f), 0.f, same, add_lanes, vec{y + b}));
    }
    const vf inv(static_cast<float>(1.0 / s));
    map(y, n, [&](vf v) { return v * inv; }, vec{y});
}

/// `w` columns of a [len, stride] block (the axis is not the last one); t1, t2 hold w floats each.
inline void softmax_columns(const float* x, float* y, std::int64_t len, std::int64_t stride, std::int64_t w, softmax_mode mode,
                            float* t1, float* t2) {
    if (len <= 0) return;
    if (mode == softmax_mode::hardmax) {
        for (std::int64_t c = 0; c < w; ++c) {
            std::int64_t best = 0;
            for (std::int64_t l = 1; l < len; ++l)
                if (x[l * stride + c] > x[best * stride + c]) best = l;
            for (std::int64_t l = 0; l < len; ++l) y[l * stride + c] = l == best ? 1.f : 0.f;
        }
        return;
    }
    float* mx = t1;
    float* sm = t2;
    std::copy_n(x, w, mx);
    for (std::int64_t l = 1; l < len; ++l) map(mx, w, [](vf m, vf v) { return xsimd::max(m, v); }, vec{mx}, vec{x + l * stride});
    std::fill_n(sm, w, 0.f);
    for (std::int64_t l = 0; l < len; ++l) {
        if (mode == softmax_mode::softmax) {
            map(y + l * stride, w, [](vf v, vf m) { return xsimd::exp(v - m); }, vec{x + l * stride}, vec{mx});
            map(sm, w, add_lanes, vec{sm}, vec{y + l * stride});
        } else {
            map(sm, w, [](vf s, vf v, vf m) { return s + xsimd::exp(v - m); }, vec{sm}, vec{x + l * stride}, vec{mx});
        }
    }
    if (mode == softmax_mode::softmax) {
        map(sm, w, [](vf s) { return vf(1.f) / s; }, vec{sm});
        for (std::int64_t l = 0; l < len; ++l) map(y + l * stride, w, [](vf v, vf r) { return v * r; }, vec{y + l * stride}, vec{sm});
    } else {
        map(sm, w, [](vf s, vf m) { return m + xsimd::log(s); }, vec{sm}, vec{mx});
        for (std::int64_t l = 0; l < len; ++l) map(y + l * stride, w, [](vf v, vf c) { return v - c; }, vec{x + l * stride}, vec{sm});
    }
}

/// [outer, len, inner] from the input's sizes and the node's axis: opset < 13 flattens at `axis` (default 1)
/// into [outer, rest]; from 13 the operator runs along the single `axis` (default -1).
struct axis_geometry {
    std::int64_t outer = 1, len = 1, inner = 1;
};
[[nodiscard]] inline std::optional<axis_geometry> along_axis(const std::vector<std::int64_t>& s, std::int64_t axis, bool flatten) {
    const auto r = static_cast<std::int64_t>(s.size());
    if (r == 0) return axis_geometry{};
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r || (axis == r && !flatten)) return std::nullopt;  // flattening at the rank: rows of 1
    const auto ax = static_cast<std::size_t>(axis);
    axis_geometry g;
    g.outer = product(s, 0, ax);
    if (flatten) {
        g.len = product(s, ax);
    } else {
        g.len = s[ax];
        g.inner = product(s, ax + 1);
    }
    return g;
}

/// Runs line(x, y, len) per line (inner == 1) or cols(x, y, w, t1, t2) per block of columns, in parallel.
template <class Line, class Cols>
void for_each_line(exec_context& ctx, const axis_geometry& g, std::int64_t row_grain, std::int64_t column_block, const float* x,
                   float* y, const Line& line, const Cols& cols) {
    if (g.inner == 1) {
        parallel(ctx, g.outer, std::max<std::int64_t>(1, row_grain / std::max<std::int64_t>(1, g.len)), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t r = b; r < e; ++r) line(x + r * g.len, y + r * g.len, g.len);
        });
        return;
    }
    const std::int64_t cb = std::max<std::int64_t>(1, std::min(column_block, g.inner));
    const std::int64_t blocks = (g.inner + cb - 1) / cb;
    const std::int64_t block_elems = cb * std::max<std::int64_t>(1, g.len);
    parallel(ctx, g.outer * blocks, std::max<std::int64_t>(1, row_grain / block_elems), [&](std::int64_t b, std::int64_t e) {
        std::vector<float> tmp(static_cast<std::size_t>(2 * cb));
        for (std::int64_t it = b; it < e; ++it) {
            const std::int64_t o = it / blocks, c0 = (it % blocks) * cb, w = std::min(cb, g.inner - c0);
            const std::int64_t base = o * g.len * g.inner + c0;
            cols(x + base, y + base, w, tmp.data(), tmp.data() + cb);
        }
    });
}

inline std::unique_ptr<op_kernel> softmax_kernel(const prepare_args& a, softmax_mode mode, const elementwise_params& p) {
    if (!all_of_type(a, dtype::float32, 1)) return nullptr;
    const bool flatten = a.opset < 13;
    auto g = along_axis(a.input_sizes(0), a.n->attr_or<std::int64_t>("axis", flatten ? 1 : -1), flatten);
    if (!g) return nullptr;
    const char* name = mode == softmax_mode::softmax ? "softmax" : mode == softmax_mode::log_softmax ? "log_softmax" : "hardmax";
    return make_kernel(std::string("elementwise.") + name + (g->inner == 1 ? "" : "_strided"),
                       [g = *g, mode, p](std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
                           for_each_line(
                               ctx, g, p.row_grain / 4, p.column_block, in[0].as<const float>(), out[0].as<float>(),
                               [&](const float* x, float* y, std::int64_t n) { softmax_line(x, y, n, mode); },
                               [&](const float* x, float* y, std::int64_t w, float* t1, float* t2) {
                                   softmax_columns(x, y, g.len, g.inner, w, mode, t1, t2);
                               });
                       });
}

/// LpNormalization (p = 1 or 2) along one axis: x / ||x||.
inline std::unique_ptr<op_kernel> lp_norm_kernel(const prepare_args& a, const elementwise_params& p) {
    if (!all_of_type(a, dtype::float32, 1)) return nullptr;
    const auto order = a.n->attr_or<std::int64_t>("p", 2);
    if (order != 1 && order != 2) return nullptr;
    auto g = along_axis(a.input_sizes(0), a.n->attr_or<std::int64_t>("axis", -1), false);
    if (!g) return nullptr;
    const bool l2 = order == 2;
    return make_kernel(l2 ? "elementwise.lp_norm2" : "elementwise.lp_norm1",
                       [g = *g, l2, p](std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
                           for_each_line(
                               ctx, g, p.row_grain, p.column_block, in[0].as<const float>(), out[0].as<float>(),
                               [&](const float* x, float* y, std::int64_t n) {
                                   const double s = l2 ? sum(n, [](vf v) { return v * v; }, vec{x})
                                                       : sum(n, [](vf v) { return xsimd::abs(v); }, vec{x});
                                   const vf norm(static_cast<float>(l2 ? std::sqrt(s) : s));
                                   map(y, n, [&](vf v) { return v / norm; }, vec{x});
                               },
                               [&](const float* x, float* y, std::int64_t w, float* acc, float*) {
                                   std::fill_n(acc, w, 0.f);
                                   for (std::int64_t l = 0; l < g.len; ++l) {
                                       if (l2) map(acc, w, [](vf s, vf v) { return s + v * v; }, vec{acc}, vec{x + l * g.inner});
                                       else map(acc, w, [](vf s, vf v) { return s + xsimd::abs(v); }, vec{acc}, vec{x + l * g.inner});
                                   }
                                   if (l2) map(acc, w, [](vf s) { return xsimd::sqrt(s); }, vec{acc});
                                   for (std::int64_t l = 0; l < g.len; ++l)
                                       map(y + l * g.inner, w, [](vf v, vf nn) { return v / nn; }, vec{x + l * g.inner}, vec{acc});
                               });
                       });
}

// ---- normalisations ---------------------------------------------------------------------------------------

/// The float values of a constant input, or nullopt.
[[nodiscard]] inline std::optional<std::vector<float>> constant_floats(const prepare_args& a, std::size_t i) {
    if (i >= a.constants.size() || !a.constants[i] || a.constants[i]->type() != dtype::float32) return std::nullopt;
    auto v = a.constants[i]->view<float>();
    return std::vector<float>(v.begin(), v.end());
}

/// BatchNormalization in inference: y = x * a[c] + b[c], a = scale / sqrt(var + eps), b = B - mean * a (per
/// channel; per activation for opset < 9 with spatial = 0). Folded once when the statistics are weights.
inline std::unique_ptr<op_kernel> batch_norm_kernel(const prepare_args& a, const elementwise_params& p) {
    if (!all_of_type(a, dtype::float32, 5) || a.inputs.size() != 5) return nullptr;
    if (a.n->attr_or<std::int64_t>("training_mode", 0) != 0) return nullptr;
    const auto xs = a.input_sizes(0);
    if (xs.size() < 2) return nullptr;
    const bool spatial = a.opset >= 9 || a.n->attr_or<std::int64_t>("spatial", 1) != 0;
    const std::int64_t n = xs[0], c = xs[1], s = product(xs, 2);
    const std::int64_t stats = spatial ? c : c * s;
    for (std::size_t i = 1; i < 5; ++i)
        if (product(a.input_sizes(i)) != stats) return nullptr;
    const double eps = a.n->attr_or<float>("epsilon", 1e-5f);
    auto fold = [eps](const float* scale, const float* bias, const float* mean, const float* var, std::int64_t k, float* mul, float* add) {
        for (std::int64_t i = 0; i < k; ++i) {
            const double m = scale[i] / std::sqrt(static_cast<double>(var[i]) + eps);
            mul[i] = static_cast<float>(m);
            add[i] = static_cast<float>(bias[i] - mean[i] * m);
        }
    };
    std::vector<float> folded;  // [mul..., add...] when the statistics are weights
    if (auto sc = constant_floats(a, 1), bi = constant_floats(a, 2), me = constant_floats(a, 3), va = constant_floats(a, 4);
        sc && bi && me && va) {
        folded.resize(static_cast<std::size_t>(2 * stats));
        fold(sc->data(), bi->data(), me->data(), va->data(), stats, folded.data(), folded.data() + stats);
    }
    return make_kernel(spatial ? "elementwise.batch_norm" : "elementwise.batch_norm_per_activation",
                       [folded = std::move(folded), fold, n, c, s, stats, spatial, grain = p.grain](
                           std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
                           std::vector<float> local;
                           const float* mul = folded.data();
                           if (folded.empty()) {
                               local.resize(static_cast<std::size_t>(2 * stats));
                               fold(in[1].as<const float>(), in[2].as<const float>(), in[3].as<const float>(), in[4].as<const float>(),
                                    stats, local.data(), local.data() + stats);
                               mul = local.data();
                           }
                           const float* add = mul + stats;
                           const float* x = in[0].as<const float>();
                           float* y = out[0].as<float>();
                           if (spatial) {
                               parallel(ctx, n * c, std::max<std::int64_t>(1, grain / std::max<std::int64_t>(1, s)),
                                        [&](std::int64_t b, std::int64_t e) {
                                            for (std::int64_t r = b; r < e; ++r) {
                                                const vf m(mul[r % c]), d(add[r % c]);
                                                map(y + r * s, s, [&](vf v) { return v * m + d; }, vec{x + r * s});
                                            }
                                        });
                           } else {
                               parallel(ctx, n, std::max<std::int64_t>(1, grain / std::max<std::int64_t>(1, stats)),
                                        [&](std::int64_t b, std::int64_t e) {
                                            for (std::int64_t r = b; r < e; ++r)
                                                map(y + r * stats, stats, [](vf v, vf m, vf d) { return v * m + d; },
                                                    vec{x + r * stats}, vec{mul}, vec{add});
                                        });
                           }
                           // outputs of training mode, when an old model declares them: the given statistics
                           for (std::size_t o = 1; o < out.size() && o < 5; ++o)
                               if (out[o].data && out[o].type == dtype::float32 && out[o].numel() == stats)
                                   std::memcpy(out[o].data, in[o % 2 == 1 ? 3 : 4].data, out[o].bytes());
                       });
}

/// Mean and 1/sqrt(var + eps) of one line (two passes: the variance of the deviations, not E[x²] - E[x]²).
struct moments {
    float mean = 0.f, inv_std = 0.f;
};
[[nodiscard]] inline moments line_moments(const float* x, std::int64_t n, double eps) {
    if (n <= 0) return {0.f, static_cast<float>(1.0 / std::sqrt(eps))};
    const double mean = sum(n, same, vec{x}) / static_cast<double>(n);
    const vf m(static_cast<float>(mean));
    const double var = sum(n, [&](vf v) { const vf d = v - m; return d * d; }, vec{x}) / static_cast<double>(n);
    return {static_cast<float>(mean), static_cast<float>(1.0 / std::sqrt(var + eps))};
}

/// InstanceNormalization: per (n, c), y = (x - mean) / sqrt(var + eps) * scale[c] + B[c].
inline std::unique_ptr<op_kernel> instance_norm_kernel(const prepare_args& a, const elementwise_params& p) {
    if (!all_of_type(a, dtype::float32, 3)) return nullptr;
    const auto xs = a.input_sizes(0);
    if (xs.size() < 3) return nullptr;
    const std::int64_t c = xs[1], s = product(xs, 2), rows = xs[0] * c;
    if (product(a.input_sizes(1)) != c || product(a.input_sizes(2)) != c) return nullptr;
    const double eps = a.n->attr_or<float>("epsilon", 1e-5f);
    return make_kernel("elementwise.instance_norm", [c, s, rows, eps, grain = p.row_grain](std::span<const tensor_ref> in,
                                                                                          std::span<const tensor_ref> out, exec_context& ctx) {
        const float* x = in[0].as<const float>();
        const float* scale = in[1].as<const float>();
        const float* bias = in[2].as<const float>();
        float* y = out[0].as<float>();
        parallel(ctx, rows, std::max<std::int64_t>(1, grain / std::max<std::int64_t>(1, s)), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t r = b; r < e; ++r) {
                const auto mo = line_moments(x + r * s, s, eps);
                const float mul = mo.inv_std * scale[r % c];
                const vf m(mul), d(bias[r % c] - mo.mean * mul);
                map(y + r * s, s, [&](vf v) { return v * m + d; }, vec{x + r * s});
            }
        });
    });
}

/// `src` (sizes `from`) broadcast unidirectionally to `to`, materialised.
[[nodiscard]] inline std::vector<float> expand(const float* src, const std::vector<std::int64_t>& from, const std::vector<std::int64_t>& to) {
    std::vector<float> out(static_cast<std::size_t>(product(to)));
    auto plan = make_plan<1>(to, {from});
    walk(plan, 0, plan.numel, [&](std::int64_t pos, const std::array<std::int64_t, 1>& o, std::int64_t len) {
        for (std::int64_t i = 0; i < len; ++i) out[static_cast<std::size_t>(pos + i)] = src[o[0] + (plan.row_scalar(0) ? 0 : i)];
    });
    return out;
}

/// LayerNormalization (ONNX from opset 17, and gearc's fused one before): rows of prod(dims[axis:]),
/// y = (x - mean) * inv_std * scale + B; optional outputs Mean and InvStdDev.
inline std::unique_ptr<op_kernel> layer_norm_kernel(const prepare_args& a, const elementwise_params& p) {
    if (!all_of_type(a, dtype::float32, 2)) return nullptr;
    const auto xs = a.input_sizes(0);
    auto axis = a.n->attr_or<std::int64_t>("axis", -1);
    const auto r = static_cast<std::int64_t>(xs.size());
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r) return nullptr;
    const std::vector<std::int64_t> norm(xs.begin() + axis, xs.end());
    const std::int64_t len = product(norm), rows = product(xs, 0, static_cast<std::size_t>(axis));
    const bool has_bias = a.has_input(2);
    for (std::size_t i = 1; i < (has_bias ? 3u : 2u); ++i) {
        const auto s = a.input_sizes(i);
        if (s.size() > norm.size()) return nullptr;
        for (std::size_t d = 0; d < s.size(); ++d)
            if (s[d] != 1 && s[d] != norm[norm.size() - s.size() + d]) return nullptr;
    }
    for (std::size_t o = 1; o < a.outputs.size(); ++o)
        if (a.outputs[o].elem != dtype::undefined && a.outputs[o].elem != dtype::float32) return nullptr;
    // scale and bias as full rows: expanded once when they are weights (or already full), else per run
    std::vector<std::int64_t> sizes[2] = {a.input_sizes(1), has_bias ? a.input_sizes(2) : std::vector<std::int64_t>{}};
    std::vector<float> fixed[2];
    bool ready[2] = {false, !has_bias};
    for (std::size_t i = 0; i < 2; ++i)
        if (!ready[i])
            if (auto v = constant_floats(a, i + 1)) {
                fixed[i] = expand(v->data(), sizes[i], norm);
                ready[i] = true;
            }
    const double eps = a.n->attr_or<float>("epsilon", 1e-5f);
    return make_kernel("elementwise.layer_norm", [fixed0 = std::move(fixed[0]), fixed1 = std::move(fixed[1]), s0 = sizes[0], s1 = sizes[1],
                                                  norm, len, rows, eps, has_bias, grain = p.row_grain](
                                                     std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
        std::vector<float> local0, local1;
        auto row_of = [&](const std::vector<float>& fixed, std::vector<float>& local, const tensor_ref& t, const std::vector<std::int64_t>& s) {
            if (!fixed.empty() || len == 0) return fixed.data();
            if (product(s) == len) return t.as<const float>();
            local = expand(t.as<const float>(), s, norm);
            return static_cast<const float*>(local.data());
        };
        const float* scale = row_of(fixed0, local0, in[1], s0);
        const float* bias = has_bias ? row_of(fixed1, local1, in[2], s1) : nullptr;
        const float* x = in[0].as<const float>();
        float* y = out[0].as<float>();
        float* mean_out = out.size() > 1 ? out[1].as<float>() : nullptr;
        float* inv_out = out.size() > 2 ? out[2].as<float>() : nullptr;
        parallel(ctx, rows, std::max<std::int64_t>(1, grain / std::max<std::int64_t>(1, len)), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t r = b; r < e; ++r) {
                const auto mo = line_moments(x + r * len, len, eps);
                if (mean_out) mean_out[r] = mo.mean;
                if (inv_out) inv_out[r] = mo.inv_std;
                const vf m(mo.mean), is(mo.inv_std);
                if (bias)
                    map(y + r * len, len, [&](vf v, vf g, vf bb) { return (v - m) * is * g + bb; }, vec{x + r * len}, vec{scale}, vec{bias});
                else
                    map(y + r * len, len, [&](vf v, vf g) { return (v - m) * is * g; }, vec{x + r * len}, vec{scale});
            }
        });
    });
}

/// MeanVarianceNormalization: (x - mean) / (sqrt(var) + 1e-9) over `axes` (default [0, 2, 3]), as ONNX's
/// function body defines it.
inline std::unique_ptr<op_kernel> mvn_kernel(const prepare_args& a) {
    if (!all_of_type(a, dtype::float32, 1)) return nullptr;
    const auto xs = a.input_sizes(0);
    const auto r = static_cast<std::int64_t>(xs.size());
    auto axes = a.n->attr_or<std::vector<std::int64_t>>("axes", {0, 2, 3});
    std::vector<std::int64_t> kept = xs;  // the statistics' shape: reduced dims become 1
    for (auto ax : axes) {
        if (ax < 0) ax += r;
        if (ax < 0 || ax >= r) return nullptr;
        kept[static_cast<std::size_t>(ax)] = 1;
    }
    auto plan = make_plan<1>(xs, {kept});
    const std::int64_t groups = product(kept), count = groups ? product(xs) / groups : 0;
    return make_kernel("elementwise.mean_variance_normalization", [plan = std::move(plan), groups, count](
                                                                      std::span<const tensor_ref> in, std::span<const tensor_ref> out,
                                                                      exec_context&) {
        const float* x = in[0].as<const float>();
        float* y = out[0].as<float>();
        std::vector<double> mean(static_cast<std::size_t>(groups), 0.0), var(static_cast<std::size_t>(groups), 0.0);
        const bool scalar = plan.row_scalar(0);
        auto at = [](std::vector<double>& v, std::int64_t i) -> double& { return v[static_cast<std::size_t>(i)]; };
        walk(plan, 0, plan.numel, [&](std::int64_t pos, const std::array<std::int64_t, 1>& o, std::int64_t len) {
            if (scalar) at(mean, o[0]) += sum(len, same, vec{x + pos});
            else
                for (std::int64_t i = 0; i < len; ++i) at(mean, o[0] + i) += x[pos + i];
        });
        for (auto& m : mean) m /= static_cast<double>(count);
        walk(plan, 0, plan.numel, [&](std::int64_t pos, const std::array<std::int64_t, 1>& o, std::int64_t len) {
            if (scalar) {
                const vf m(static_cast<float>(at(mean, o[0])));
                at(var, o[0]) += sum(len, [&](vf v) { const vf d = v - m; return d * d; }, vec{x + pos});
            } else {
                for (std::int64_t i = 0; i < len; ++i) {
                    const double d = x[pos + i] - at(mean, o[0] + i);
                    at(var, o[0] + i) += d * d;
                }
            }
        });
        for (auto& v : var) v = 1.0 / (std::sqrt(v / static_cast<double>(count)) + 1e-9);
        walk(plan, 0, plan.numel, [&](std::int64_t pos, const std::array<std::int64_t, 1>& o, std::int64_t len) {
            for (std::int64_t i = 0; i < len; ++i) {
                const std::int64_t g = o[0] + (scalar ? 0 : i);
                y[pos + i] = static_cast<float>((x[pos + i] - at(mean, g)) * at(var, g));
            }
        });
    });
}

/// Dropout in inference: the data passes through; the optional mask is all true (ones before opset 10).
inline std::unique_ptr<op_kernel> dropout_kernel(const prepare_args& a) {
    if (!a.has_input(0) || a.outputs.empty() || a.outputs[0].elem != a.input_type(0)) return nullptr;
    // training_mode (opset 12+) must be a constant false: random dropout is training, which gearc does not do
    if (a.has_input(2)) {
        const tensor* t = a.constants.size() > 2 ? a.constants[2] : nullptr;
        if (!t || t->type() != dtype::boolean || t->numel() != 1 || t->data().data()[0] != std::byte{0}) return nullptr;
    }
    if (a.outputs.size() > 1 && a.outputs[1].elem != dtype::undefined && a.outputs[1].elem != dtype::boolean &&
        a.outputs[1].elem != dtype::float32)
        return nullptr;
    return make_kernel("elementwise.dropout", [](std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context&) {
        if (in[0].data != out[0].data && out[0].bytes()) std::memmove(out[0].data, in[0].data, out[0].bytes());
        if (out.size() > 1 && out[1].data) {
            if (out[1].type == dtype::boolean) std::memset(out[1].data, 1, out[1].bytes());
            else std::fill_n(out[1].as<float>(), out[1].numel(), 1.f);
        }
    });
}

/// IsNaN and IsInf (bool outputs).
inline std::unique_ptr<op_kernel> predicate_kernel(const prepare_args& a, const elementwise_params& p) {
    if (a.input_type(0) != dtype::float32 || a.outputs.empty() || a.outputs[0].elem != dtype::boolean) return nullptr;
    const bool nan = a.op() == "IsNaN";
    const bool neg = a.n->attr_or<std::int64_t>("detect_negative", 1) != 0, pos = a.n->attr_or<std::int64_t>("detect_positive", 1) != 0;
    return make_kernel(nan ? "elementwise.isnan" : "elementwise.isinf", [nan, neg, pos, grain = p.grain](
                                                                             std::span<const tensor_ref> in, std::span<const tensor_ref> out,
                                                                             exec_context& ctx) {
        const float* x = in[0].as<const float>();
        auto* y = out[0].as<std::uint8_t>();
        parallel(ctx, out[0].numel(), grain, [&](std::int64_t b, std::int64_t e) {
            if (nan)
                for (std::int64_t i = b; i < e; ++i) y[i] = x[i] != x[i];
            else
                for (std::int64_t i = b; i < e; ++i) y[i] = (pos && x[i] == inf) || (neg && x[i] == -inf);
        });
    });
}

/// Clip on floats: bounds from the attributes (opset < 11) or the optional scalar inputs, read at run time.
inline std::unique_ptr<op_kernel> clip_kernel(const prepare_args& a, const elementwise_params& p) {
    if (a.input_type(0) != dtype::float32 || !static_output(a, 0) || a.outputs[0].elem != dtype::float32) return nullptr;
    for (std::size_t i = 1; i < a.inputs.size(); ++i)
        if (a.has_input(i) && a.input_type(i) != dtype::float32) return nullptr;
    const bool attrs = a.n->has_attr("min") || a.n->has_attr("max");
    const float lo = a.n->attr_or<float>("min", -inf), hi = a.n->attr_or<float>("max", inf);
    return make_kernel("elementwise.clip", [attrs, lo, hi, grain = p.grain](std::span<const tensor_ref> in, std::span<const tensor_ref> out,
                                                                           exec_context& ctx) {
        unary_fn fn{unary_kind::clip, lo, hi};
        if (!attrs) {
            fn.p = in.size() > 1 && in[1].data ? *in[1].as<const float>() : -inf;
            fn.q = in.size() > 2 && in[2].data ? *in[2].as<const float>() : inf;
        }
        const float* x = in[0].as<const float>();
        float* y = out[0].as<float>();
        parallel(ctx, out[0].numel(), grain, [&](std::int64_t b, std::int64_t e) { fn(x + b, y + b, e - b); });
    });
}

/// Neg, Abs, Relu on signed integers.
template <class T>
std::unique_ptr<op_kernel> int_unary_kernel(std::string_view op, const elementwise_params& p) {
    using U = std::make_unsigned_t<T>;
    int kind = op == "Neg" ? 0 : op == "Abs" ? 1 : op == "Relu" ? 2 : -1;
    if (kind < 0) return nullptr;
    return make_kernel("elementwise.int_" + std::string(op), [kind, grain = p.grain](std::span<const tensor_ref> in, std::span<const tensor_ref> out,
                                                                                    exec_context& ctx) {
        const T* x = in[0].as<const T>();
        T* y = out[0].as<T>();
        parallel(ctx, out[0].numel(), grain, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) {
                const T v = x[i];
                const T neg = wrap<T>(static_cast<U>(U{0} - static_cast<U>(v)));
                y[i] = kind == 0 ? neg : kind == 1 ? (v < 0 ? neg : v) : (v < 0 ? T{0} : v);
            }
        });
    });
}

/// Add/Sub/Mul/Max/Min/Equal/Less/... on int32/int64 (and Equal/And/Or/Xor on bools), wrapping on overflow.
template <class T>
std::unique_ptr<op_kernel> int_binary_kernel(std::string_view op, const prepare_args& a, const elementwise_params& p) {
    using U = std::make_unsigned_t<T>;
    const std::int64_t g = p.grain;
    if (op == "Add") return scalar_binary_kernel<T, T>("elementwise.int_add", a, [](T x, T y) { return wrap<T>(U(U(x) + U(y))); }, g);
    if (op == "Sub") return scalar_binary_kernel<T, T>("elementwise.int_sub", a, [](T x, T y) { return wrap<T>(U(U(x) - U(y))); }, g);
    if (op == "Mul") return scalar_binary_kernel<T, T>("elementwise.int_mul", a, [](T x, T y) { return wrap<T>(U(U(x) * U(y))); }, g);
    if (op == "Max") return scalar_binary_kernel<T, T>("elementwise.int_max", a, [](T x, T y) { return x < y ? y : x; }, g);
    if (op == "Min") return scalar_binary_kernel<T, T>("elementwise.int_min", a, [](T x, T y) { return y < x ? y : x; }, g);
    return nullptr;
}

/// Comparisons (bool output) on T.
template <class T>
std::unique_ptr<op_kernel> compare_kernel(std::string_view op, const prepare_args& a, const elementwise_params& p) {
    using B = std::uint8_t;
    const std::int64_t g = p.grain;
    if (op == "Equal") return scalar_binary_kernel<T, B>("elementwise.equal", a, [](T x, T y) { return B(x == y); }, g);
    if constexpr (!std::is_same_v<T, std::uint8_t>) {
        if (op == "Less") return scalar_binary_kernel<T, B>("elementwise.less", a, [](T x, T y) { return B(x < y); }, g);
        if (op == "Greater") return scalar_binary_kernel<T, B>("elementwise.greater", a, [](T x, T y) { return B(x > y); }, g);
        if (op == "LessOrEqual") return scalar_binary_kernel<T, B>("elementwise.less_equal", a, [](T x, T y) { return B(x <= y); }, g);
        if (op == "GreaterOrEqual")
            return scalar_binary_kernel<T, B>("elementwise.greater_equal", a, [](T x, T y) { return B(x >= y); }, g);
    }
    return nullptr;
}

/// BitShift on unsigned integers (a shift by the width or more gives 0).
template <class T>
std::unique_ptr<op_kernel> bit_shift_kernel(const prepare_args& a, const elementwise_params& p) {
    const auto dir = a.n->attr_or<std::string>("direction", "");
    constexpr T bits = static_cast<T>(sizeof(T) * 8);
    if (dir == "LEFT")
        return scalar_binary_kernel<T, T>("elementwise.bit_shift_left", a, [](T x, T s) { return s >= bits ? T{0} : T(x << s); }, p.grain);
    if (dir == "RIGHT")
        return scalar_binary_kernel<T, T>("elementwise.bit_shift_right", a, [](T x, T s) { return s >= bits ? T{0} : T(x >> s); }, p.grain);
    return nullptr;
}

/// The kernel for a broadcasting binary/variadic node in its dtype, or nullptr (the reference takes over).
inline std::unique_ptr<op_kernel> arithmetic_kernel(const prepare_args& a, const elementwise_params& p) {
    const std::string_view op = a.op();
    const bool variadic = op == "Sum" || op == "Mean" || op == "Max" || op == "Min";
    if (a.inputs.empty() || (!variadic && a.inputs.size() != 2) || !shapes_known(a, a.inputs.size())) return nullptr;
    const dtype t = a.input_type(0);
    for (std::size_t i = 1; i < a.inputs.size(); ++i)
        if (a.input_type(i) != t && !(op == "Pow" && t == dtype::float32)) return nullptr;
    if (variadic && a.inputs.size() == 1) return a.outputs[0].elem == t ? copy_kernel("elementwise.copy") : nullptr;
    if (t == dtype::float32) {
        if (op == "Pow") return a.input_type(1) == dtype::float32 ? pow_kernel(a, p) : nullptr;
        if (a.outputs[0].elem != t) return nullptr;
        const std::int64_t g = p.grain;
        if (variadic) {
            if (op == "Sum") return variadic_kernel("elementwise.sum", a, add_op{}, false, g);
            if (op == "Mean") return variadic_kernel("elementwise.mean", a, add_op{}, true, g);
            if (a.inputs.size() > 2 && op == "Max") return variadic_kernel("elementwise.max", a, max_op{}, false, g);
            if (a.inputs.size() > 2) return variadic_kernel("elementwise.min", a, min_op{}, false, g);
        }
        if (op == "Add") return binary_kernel("elementwise.add", a, add_op{}, g);
        if (op == "Sub") return binary_kernel("elementwise.sub", a, sub_op{}, g);
        if (op == "Mul") return binary_kernel("elementwise.mul", a, mul_op{}, g);
        if (op == "Div") return binary_kernel("elementwise.div", a, div_op{}, g);
        if (op == "Max") return binary_kernel("elementwise.max", a, max_op{}, g);
        if (op == "Min") return binary_kernel("elementwise.min", a, min_op{}, g);
        return nullptr;
    }
    if (t != dtype::int32 && t != dtype::int64) return nullptr;
    if (a.outputs[0].elem != t || op == "Mean") return nullptr;
    auto ints = [&](auto tag) -> std::unique_ptr<op_kernel> {
        using T = decltype(tag);
        using U = std::make_unsigned_t<T>;
        if (op == "Sum") return scalar_variadic_kernel<T>("elementwise.int_sum", a, [](T x, T y) { return wrap<T>(U(U(x) + U(y))); }, p.grain);
        if (variadic && a.inputs.size() > 2) {
            if (op == "Max") return scalar_variadic_kernel<T>("elementwise.int_max", a, [](T x, T y) { return x < y ? y : x; }, p.grain);
            return scalar_variadic_kernel<T>("elementwise.int_min", a, [](T x, T y) { return y < x ? y : x; }, p.grain);
        }
        return int_binary_kernel<T>(op, a, p);
    };
    return t == dtype::int32 ? ints(std::int32_t{}) : ints(std::int64_t{});
}

}  // namespace detail::ew

/// Registers this family's kernels in `t`: float32 throughout; int32/int64/bool where index and mask
/// arithmetic uses them. Cases a kernel does not cover return nullptr, so the reference evaluator (for the
/// operators it knows) takes over.
inline void register_elementwise(kernel_table& t, const elementwise_params& p = {}) {
    namespace ew = detail::ew;
    using kp = std::unique_ptr<op_kernel>;

    // unary float functions (the ONNX ones the evaluator lacks, and the evaluator's own, faster)
    for (const char* op : {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "Softplus",
                           "Softsign", "ThresholdedRelu", "Mish", "Gelu", "Shrink", "Exp", "Log", "Sqrt", "Abs", "Neg", "Erf",
                           "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
                           "Asinh", "Acosh", "Atanh"}) {
        t.add("", op, [p](const prepare_args& a) -> kp {
            const dtype in = a.input_type(0);
            if (a.outputs.empty() || a.outputs[0].elem != in || !ew::static_output(a, 0)) return nullptr;
            if (in == dtype::int32) return ew::int_unary_kernel<std::int32_t>(a.op(), p);
            if (in == dtype::int64) return ew::int_unary_kernel<std::int64_t>(a.op(), p);
            if (in != dtype::float32) return nullptr;
            auto fn = ew::unary_of(*a.n);
            if (!fn) return nullptr;
            return ew::unary_kernel("elementwise." + std::string(a.op()), *fn, p);
        });
    }
    t.add("ai.gearc", "Gelu", [p](const prepare_args& a) -> kp {
        if (a.input_type(0) != dtype::float32 || !ew::static_output(a, 0)) return nullptr;
        auto fn = ew::unary_of(*a.n);
        return fn ? ew::unary_kernel("elementwise.Gelu", *fn, p) : nullptr;
    });
    t.add("", "Clip", [p](const prepare_args& a) { return ew::clip_kernel(a, p); });
    t.add("", "IsNaN", [p](const prepare_args& a) { return ew::predicate_kernel(a, p); });
    t.add("", "IsInf", [p](const prepare_args& a) { return ew::predicate_kernel(a, p); });
    t.add("", "Dropout", [](const prepare_args& a) { return ew::dropout_kernel(a); });
    t.add("", "Not", [p](const prepare_args& a) -> kp {
        if (a.input_type(0) != dtype::boolean) return nullptr;
        return make_kernel("elementwise.not", [grain = p.grain](std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
            const auto* x = in[0].as<const std::uint8_t>();
            auto* y = out[0].as<std::uint8_t>();
            ew::parallel(ctx, out[0].numel(), grain, [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i) y[i] = x[i] ? 0 : 1;
            });
        });
    });

    // broadcasting arithmetic
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean"})
        t.add("", op, [p](const prepare_args& a) { return ew::arithmetic_kernel(a, p); });
    t.add("", "PRelu", [p](const prepare_args& a) -> kp {
        if (!ew::all_of_type(a, dtype::float32, 2) || a.inputs.size() != 2) return nullptr;
        return ew::binary_kernel("elementwise.prelu", a, ew::prelu_op{}, p.grain);
    });
    t.add("", "Where", [p](const prepare_args& a) -> kp {
        if (a.inputs.size() != 3 || !ew::shapes_known(a, 3) || a.input_type(0) != dtype::boolean || a.input_type(1) != a.input_type(2) ||
            a.outputs[0].elem != a.input_type(1))
            return nullptr;
        switch (size_of(a.input_type(1))) {
            case 1: return ew::where_kernel<std::uint8_t>(a, p.grain);
            case 2: return ew::where_kernel<std::uint16_t>(a, p.grain);
            case 4: return ew::where_kernel<std::uint32_t>(a, p.grain);
            case 8: return ew::where_kernel<std::uint64_t>(a, p.grain);
            default: return nullptr;
        }
    });
    for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"})
        t.add("", op, [p](const prepare_args& a) -> kp {
            if (a.inputs.size() != 2 || !ew::shapes_known(a, 2) || a.input_type(0) != a.input_type(1) || a.outputs[0].elem != dtype::boolean)
                return nullptr;
            switch (a.input_type(0)) {
                case dtype::float32: return ew::compare_kernel<float>(a.op(), a, p);
                case dtype::int32: return ew::compare_kernel<std::int32_t>(a.op(), a, p);
                case dtype::int64: return ew::compare_kernel<std::int64_t>(a.op(), a, p);
                case dtype::boolean: return ew::compare_kernel<std::uint8_t>(a.op(), a, p);
                default: return nullptr;
            }
        });
    for (const char* op : {"And", "Or", "Xor"})
        t.add("", op, [p](const prepare_args& a) -> kp {
            if (a.inputs.size() != 2 || !ew::shapes_known(a, 2) || a.input_type(0) != dtype::boolean || a.input_type(1) != dtype::boolean)
                return nullptr;
            using B = std::uint8_t;
            if (a.op() == "And") return ew::scalar_binary_kernel<B, B>("elementwise.and", a, [](B x, B y) { return B(x && y); }, p.grain);
            if (a.op() == "Or") return ew::scalar_binary_kernel<B, B>("elementwise.or", a, [](B x, B y) { return B(x || y); }, p.grain);
            return ew::scalar_binary_kernel<B, B>("elementwise.xor", a, [](B x, B y) { return B((x != 0) != (y != 0)); }, p.grain);
        });
    t.add("", "BitShift", [p](const prepare_args& a) -> kp {
        if (a.inputs.size() != 2 || !ew::shapes_known(a, 2) || a.input_type(0) != a.input_type(1)) return nullptr;
        switch (a.input_type(0)) {
            case dtype::uint8: return ew::bit_shift_kernel<std::uint8_t>(a, p);
            case dtype::uint16: return ew::bit_shift_kernel<std::uint16_t>(a, p);
            case dtype::uint32: return ew::bit_shift_kernel<std::uint32_t>(a, p);
            case dtype::uint64: return ew::bit_shift_kernel<std::uint64_t>(a, p);
            default: return nullptr;
        }
    });

    // along an axis, and the normalisations
    t.add("", "Softmax", [p](const prepare_args& a) { return ew::softmax_kernel(a, ew::softmax_mode::softmax, p); });
    t.add("", "LogSoftmax", [p](const prepare_args& a) { return ew::softmax_kernel(a, ew::softmax_mode::log_softmax, p); });
    t.add("", "Hardmax", [p](const prepare_args& a) { return ew::softmax_kernel(a, ew::softmax_mode::hardmax, p); });
    t.add("", "LpNormalization", [p](const prepare_args& a) { return ew::lp_norm_kernel(a, p); });
    t.add("", "BatchNormalization", [p](const prepare_args& a) { return ew::batch_norm_kernel(a, p); });
    t.add("", "InstanceNormalization", [p](const prepare_args& a) { return ew::instance_norm_kernel(a, p); });
    t.add("", "LayerNormalization", [p](const prepare_args& a) { return ew::layer_norm_kernel(a, p); });
    t.add("ai.gearc", "LayerNormalization", [p](const prepare_args& a) { return ew::layer_norm_kernel(a, p); });
    t.add("", "MeanVarianceNormalization", [](const prepare_args& a) { return ew::mvn_kernel(a); });
}

}  // namespace kernels::cpu

GEARC_END_NAMESPACE
