// CPU kernels for the operators no other family covers: LSTM/GRU/RNN, Resize/Upsample, Pad, the index operators
// (GatherND, ScatterND, ScatterElements, OneHot, Compress, NonZero, ...), TopK/ArgMax/ArgMin, CumSum, the remaining
// reductions, Einsum, NonMaxSuppression, ReverseSequence and EyeLike.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>
#include <gearc/error.hpp>
#include <gearc/kernels/kernel.hpp>
#include <gearc/passes/evaluate.hpp>
#include <gearc/tensor.hpp>

// GCC 12's AVX-512 intrinsics trip -Wuninitialized in _mm512_undefined_ps (GCC bug 105593); the warning
// follows the pragmas in force where the intrinsics headers are first included.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace kernels::cpu {

namespace detail::misc {

using sizes_t = std::vector<std::int64_t>;

template <class T>
struct type_tag {
    using type = T;
};

// ---- shapes --------------------------------------------------------------------------------------

/// The product of s[from, to).
[[nodiscard]] inline std::int64_t product(std::span<const std::int64_t> s, std::size_t from = 0,
                                          std::size_t to = std::numeric_limits<std::size_t>::max()) {
    std::int64_t n = 1;
    for (std::size_t i = from; i < std::min(to, s.size()); ++i) n *= s[i];
    return n;
}

using passes::detail::eval::strides_of;  // row-major strides in elements
using passes::detail::eval::text;        // "[2,3]"

// ---- errors --------------------------------------------------------------------------------------

/// A node whose attributes or input shapes do not fit its operator, found while its kernel is prepared.
[[noreturn]] inline void invalid_node(const prepare_args& a, const std::string& why) {
    throw compile_error(errc::shape_inference, a.n->describe() + ": " + why,
                        "Fix the node's attributes or inputs (ONNX Runtime rejects this node too).");
}

/// Input values a kernel cannot work with (an index out of range, a data-dependent size that differs from the plan).
[[noreturn]] inline void bad_values(const std::string& node, const std::string& why) {
    throw run_error(errc::bad_input, node + ": " + why,
                "Check the values fed to the model: this operator's inputs are out of the range its definition allows.");
}

// ---- attributes ----------------------------------------------------------------------------------

[[nodiscard]] inline std::int64_t attr_int(const prepare_args& a, std::string_view name, std::int64_t fallback) {
    return a.n->attr_or<std::int64_t>(name, fallback);
}
[[nodiscard]] inline float attr_float(const prepare_args& a, std::string_view name, float fallback) {
    return a.n->attr_or<float>(name, fallback);
}
[[nodiscard]] inline std::string attr_string(const prepare_args& a, std::string_view name, std::string fallback) {
    return a.n->attr_or<std::string>(name, std::move(fallback));
}
[[nodiscard]] inline std::vector<std::int64_t> attr_ints(const prepare_args& a, std::string_view name) {
    return a.n->attr_or<std::vector<std::int64_t>>(name, {});
}
[[nodiscard]] inline std::vector<float> attr_floats(const prepare_args& a, std::string_view name) {
    return a.n->attr_or<std::vector<float>>(name, {});
}
[[nodiscard]] inline std::vector<std::string> attr_strings(const prepare_args& a, std::string_view name) {
    return a.n->attr_or<std::vector<std::string>>(name, {});
}

/// A possibly negative axis normalised into [0, rank).
[[nodiscard]] inline std::size_t axis_of(const prepare_args& a, std::int64_t axis, std::size_t rank, std::string_view what = "axis") {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < -r || axis >= r)
        invalid_node(a, std::string(what) + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

// ---- tensors at run time -------------------------------------------------------------------------

/// Whether optional input i was given (absent inputs have dtype undefined).
[[nodiscard]] inline bool present(std::span<const tensor_ref> in, std::size_t i) noexcept {
    return i < in.size() && in[i].type != dtype::undefined;
}
/// Whether output i is wanted.
[[nodiscard]] inline bool wanted(std::span<const tensor_ref> out, std::size_t i) noexcept {
    return i < out.size() && out[i].data != nullptr;
}

/// The elements of a small parameter tensor (axes, pads, scales, K, ...) converted to D as Cast converts.
template <class D>
[[nodiscard]] std::vector<D> values_of(const tensor_ref& r) {
    if (r.type == dtype::undefined || r.numel() == 0) return {};
    const tensor view(r.type, sizes_t(r.sizes.begin(), r.sizes.end()), buffer(std::shared_ptr<const void>(), r.data, r.bytes()));
    return passes::detail::eval::load<D>(view);
}

/// One element of dtype `t` holding `v`, as bytes (bfloat16 rounded to nearest even).
[[nodiscard]] inline std::vector<std::byte> scalar_bytes(dtype t, double v) {
    std::vector<std::byte> out(size_of(t));
    if (t == dtype::bfloat16) {
        const float f = static_cast<float>(v);
        std::uint32_t bits;
        std::memcpy(&bits, &f, 4);
        const auto b = static_cast<std::uint16_t>(std::isnan(f) ? 0x7fc0u : (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
        std::memcpy(out.data(), &b, 2);
        return out;
    }
    const tensor s = passes::detail::eval::store<double>(t, {}, std::vector<double>{v});
    if (!out.empty()) std::memcpy(out.data(), s.data().data(), out.size());
    return out;
}

// ---- element types -------------------------------------------------------------------------------

/// Reads elements of one dtype as a comparable key: the value itself, float for float16 and bfloat16.
template <class T>
struct reader {
    using key = T;
    [[nodiscard]] static key load(const std::byte* base, std::int64_t i) noexcept {
        T v;
        std::memcpy(&v, base + i * static_cast<std::int64_t>(sizeof(T)), sizeof(T));
        return v;
    }
};
struct float16_storage {};
struct bfloat16_storage {};
struct bool_storage {};
template <>
struct reader<float16_storage> {
    using key = float;
    [[nodiscard]] static key load(const std::byte* base, std::int64_t i) noexcept {
        std::uint16_t h;
        std::memcpy(&h, base + i * 2, 2);
        return static_cast<float>(passes::detail::eval::half_to_double(h));
    }
};
template <>
struct reader<bfloat16_storage> {
    using key = float;
    [[nodiscard]] static key load(const std::byte* base, std::int64_t i) noexcept {
        std::uint16_t h;
        std::memcpy(&h, base + i * 2, 2);
        return static_cast<float>(passes::detail::eval::bfloat16_to_double(h));
    }
};
template <>
struct reader<bool_storage> {
    using key = std::uint8_t;
    [[nodiscard]] static key load(const std::byte* base, std::int64_t i) noexcept {
        return static_cast<std::uint8_t>(base[i] != std::byte{0});
    }
};

/// Calls f(type_tag<T>{}) with the C++ type of an arithmetic dtype (float, double, the integers); false for the others.
template <class F>
bool visit_arith(dtype t, F&& f) {
    switch (t) {
        case dtype::float32: f(type_tag<float>{}); return true;
        case dtype::float64: f(type_tag<double>{}); return true;
        case dtype::int8: f(type_tag<std::int8_t>{}); return true;
        case dtype::int16: f(type_tag<std::int16_t>{}); return true;
        case dtype::int32: f(type_tag<std::int32_t>{}); return true;
        case dtype::int64: f(type_tag<std::int64_t>{}); return true;
        case dtype::uint8: f(type_tag<std::uint8_t>{}); return true;
        case dtype::uint16: f(type_tag<std::uint16_t>{}); return true;
        case dtype::uint32: f(type_tag<std::uint32_t>{}); return true;
        case dtype::uint64: f(type_tag<std::uint64_t>{}); return true;
        default: return false;
    }
}

/// Calls f(type_tag<reader<S>>{}) for every dtype whose elements compare (the arithmetic ones, float16, bfloat16, bool).
template <class F>
bool visit_ordered(dtype t, F&& f) {
    switch (t) {
        case dtype::float16: f(type_tag<reader<float16_storage>>{}); return true;
        case dtype::bfloat16: f(type_tag<reader<bfloat16_storage>>{}); return true;
        case dtype::boolean: f(type_tag<reader<bool_storage>>{}); return true;
        default: return visit_arith(t, [&](auto tag) { f(type_tag<reader<typename decltype(tag)::type>>{}); });
    }
}

/// Calls f(type_tag<float>{}) or f(type_tag<double>{}); false for other dtypes.
template <class F>
bool visit_float(dtype t, F&& f) {
    if (t == dtype::float32) f(type_tag<float>{});
    else if (t == dtype::float64) f(type_tag<double>{});
    else return false;
    return true;
}

/// a > b with NaN above everything (a total order for sorting).
template <class K>
[[nodiscard]] bool greater_nan_last(K a, K b) noexcept {
    if constexpr (std::is_floating_point_v<K>) {
        if (std::isnan(a)) return !std::isnan(b);
        if (std::isnan(b)) return false;
    }
    return a > b;
}

/// Double for floating types, 64-bit integers for the others: what sums accumulate in.
template <class T>
using accumulator_t = std::conditional_t<std::is_floating_point_v<T>, double,
                                         std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>>;

/// Converts an accumulated value back to T as Cast does.
template <class T, class A>
[[nodiscard]] T narrow(A v) noexcept {
    return passes::detail::eval::convert<T>(v);
}

// ---- threads and scratch -------------------------------------------------------------------------

/// Runs f(begin, end) over [0, n) on the context's pool when there is one and the work is worth it.
template <class F>
void parallel_for(exec_context& ctx, std::int64_t n, std::int64_t grain, F&& f) {
    if (n <= 0) return;
    if (ctx.pool && ctx.pool->size() > 1 && n > grain) ctx.pool->parallel_for(n, grain, std::forward<F>(f));
    else f(std::int64_t{0}, n);
}

/// A chunk length for items of `work` element operations each (about 32K operations per chunk).
[[nodiscard]] inline std::int64_t grain_for(std::int64_t work) noexcept {
    return std::max<std::int64_t>(1, std::int64_t{32768} / std::max<std::int64_t>(1, work));
}

/// Rounds a byte count up to a cache line, for carving scratch into aligned pieces.
[[nodiscard]] constexpr std::size_t aligned(std::size_t bytes) noexcept { return (bytes + 63) / 64 * 64; }

/// The scratch a kernel asked for: the context's when it is large enough, else a buffer of its own (tests, tools).
class scratch_space {
public:
    scratch_space(const exec_context& ctx, std::size_t bytes) {
        if (ctx.scratch && ctx.scratch_size >= bytes) {
            p_ = ctx.scratch;
        } else {
            own_.resize(bytes + 64);
            const auto addr = reinterpret_cast<std::uintptr_t>(own_.data());
            p_ = own_.data() + (aligned(addr) - addr);
        }
    }
    template <class T>
    [[nodiscard]] T* at(std::size_t byte_offset) const noexcept {
        return reinterpret_cast<T*>(p_ + byte_offset);
    }

private:
    std::vector<std::byte> own_;
    std::byte* p_ = nullptr;
};

}  // namespace detail::misc

// ---- LSTM, GRU, RNN ------------------------------------------------------------------------------

namespace detail::misc {

/// An activation function of the recurrent operators, with its alpha and beta.
struct activation {
    enum class kind { relu, tanh, sigmoid, affine, leaky_relu, thresholded_relu, scaled_tanh, hard_sigmoid, elu, softsign, softplus };
    kind k = kind::tanh;
    float alpha = 0, beta = 0;

    void apply(float* x, std::int64_t n) const noexcept {
        switch (k) {
            case kind::relu: for (std::int64_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f); break;
            case kind::tanh: for (std::int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]); break;
            case kind::sigmoid: for (std::int64_t i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i])); break;
            case kind::affine: for (std::int64_t i = 0; i < n; ++i) x[i] = alpha * x[i] + beta; break;
            case kind::leaky_relu: for (std::int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0 ? x[i] : alpha * x[i]; break;
            case kind::thresholded_relu: for (std::int64_t i = 0; i < n; ++i) x[i] = x[i] > alpha ? x[i] : 0.0f; break;
            case kind::scaled_tanh: for (std::int64_t i = 0; i < n; ++i) x[i] = alpha * std::tanh(beta * x[i]); break;
            case kind::hard_sigmoid: for (std::int64_t i = 0; i < n; ++i) x[i] = std::clamp(alpha * x[i] + beta, 0.0f, 1.0f); break;
            case kind::elu: for (std::int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0 ? x[i] : alpha * (std::exp(x[i]) - 1.0f); break;
            case kind::softsign: for (std::int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::fabs(x[i])); break;
            case kind::softplus:  // log(1 + e^x) without overflow
                for (std::int64_t i = 0; i < n; ++i) x[i] = x[i] > 0 ? x[i] + std::log1p(std::exp(-x[i])) : std::log1p(std::exp(x[i]));
                break;
        }
    }
};

/// The activations attribute (case-insensitive names, as ONNX Runtime reads them), taking the alphas and betas in order
/// from activation_alpha / activation_beta for the functions that use them; the others' defaults where a list runs out.
[[nodiscard]] inline std::vector<activation> parse_activations(const prepare_args& a, std::vector<std::string> names,
                                                               std::size_t per_direction, std::size_t dirs) {
    const auto alphas = attr_floats(a, "activation_alpha"), betas = attr_floats(a, "activation_beta");
    std::size_t ai = 0, bi = 0;
    std::vector<activation> out;
    for (auto name : names) {
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        using k = activation::kind;
        struct known {
            std::string_view name;
            k kind;
            bool uses_alpha, uses_beta;
            float alpha, beta;
        };
        static constexpr known table[] = {
            {"relu", k::relu, false, false, 0, 0},
            {"tanh", k::tanh, false, false, 0, 0},
            {"sigmoid", k::sigmoid, false, false, 0, 0},
            {"affine", k::affine, true, true, 1.0f, 0.0f},
            {"leakyrelu", k::leaky_relu, true, false, 0.01f, 0},
            {"thresholdedrelu", k::thresholded_relu, true, false, 1.0f, 0},
            {"scaledtanh", k::scaled_tanh, true, true, 1.0f, 1.0f},
            {"hardsigmoid", k::hard_sigmoid, true, true, 0.2f, 0.5f},
            {"elu", k::elu, true, false, 1.0f, 0},
            {"softsign", k::softsign, false, false, 0, 0},
            {"softplus", k::softplus, false, false, 0, 0},
        };
        const auto* it = std::find_if(std::begin(table), std::end(table), [&](const known& e) { return e.name == name; });
        if (it == std::end(table))
            invalid_node(a, "activation '" + name +
                                "' is not one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, "
                                "Elu, Softsign, Softplus");
        activation f{it->kind, it->alpha, it->beta};
        if (it->uses_alpha && ai < alphas.size()) f.alpha = alphas[ai++];
        if (it->uses_beta && bi < betas.size()) f.beta = betas[bi++];
        out.push_back(f);
    }
    if (out.size() == per_direction && dirs == 2) out.insert(out.end(), out.begin(), out.end());  // one list for both directions
    if (out.size() != per_direction * dirs)
        invalid_node(a, "activations has " + std::to_string(names.size()) + " function(s), expected " + std::to_string(per_direction) +
                            " per direction (" + std::to_string(dirs) + " direction(s))");
    return out;
}

enum class rnn_cell { rnn, gru, lstm };

/// A recurrent operator prepared for one gear: sizes, direction, activations and the scratch layout.
struct recurrent_plan {
    rnn_cell cell = rnn_cell::rnn;
    std::int64_t gates = 1, seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1;
    bool layout1 = false;       ///< X [batch, seq, input], Y [batch, seq, dirs, hidden], states [batch, dirs, hidden]
    bool reverse = false;       ///< the single direction runs backwards
    bool clip = false;
    float clip_at = 0;
    bool input_forget = false;  ///< LSTM: f = 1 - i
    bool linear_before_reset = false;
    std::vector<activation> acts;  ///< per direction: f (RNN); f, g (GRU); f, g, h (LSTM)
    std::string node;
    // scratch per direction, in bytes
    std::size_t xw_at = 0, hr_at = 0, h_at = 0, c_at = 0, tmp_at = 0, per_dir = 0;
};

using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using const_row_map = Eigen::Map<const row_matrix>;
using row_map = Eigen::Map<row_matrix>;

/// Runs one direction: the input projections of every step as one GEMM, then per step one GEMM of the hidden state
/// with all gates' recurrence weights (GRU without linear_before_reset needs a second one after the reset gate).
inline void run_direction(const recurrent_plan& p, std::int64_t d, std::span<const tensor_ref> in, std::span<const tensor_ref> out,
                          const std::vector<std::int64_t>& lens, const scratch_space& scratch, exec_context& ctx) {
    const std::int64_t H = p.hidden, G = p.gates * H, I = p.input, N = p.batch, S = p.seq;
    const bool backward = p.dirs == 2 ? d == 1 : p.reverse;
    const float* w = in[1].as<const float>() + d * G * I;
    const float* r = in[2].as<const float>() + d * G * H;
    const std::size_t base = static_cast<std::size_t>(d) * p.per_dir;
    float* xw = scratch.at<float>(base + p.xw_at);
    float* hr = scratch.at<float>(base + p.hr_at);
    float* h = scratch.at<float>(base + p.h_at);
    float* c = scratch.at<float>(base + p.c_at);
    float* tmp = scratch.at<float>(base + p.tmp_at);
    const activation* act = p.acts.data() + d * (p.cell == rnn_cell::rnn ? 1 : p.cell == rnn_cell::gru ? 2 : 3);

    // input projections X * W^T for every (time, batch) row, in X's own row order
    const std::int64_t rows = S * N;
    parallel_for(ctx, rows, grain_for(G * I), [&](std::int64_t b, std::int64_t e) {
        row_map(xw + b * G, e - b, G).noalias() = const_row_map(in[0].as<const float>() + b * I, e - b, I) * const_row_map(w, G, I).transpose();
    });
    // biases: Wb + Rb, except GRU's Rbh with linear_before_reset, which the reset gate scales
    std::vector<float> rbh;
    if (present(in, 3)) {
        const float* wb = in[3].as<const float>() + d * 2 * G;
        const float* rb = wb + G;
        std::vector<float> bias(static_cast<std::size_t>(G));
        for (std::int64_t j = 0; j < G; ++j) {
            const bool keep_apart = p.cell == rnn_cell::gru && p.linear_before_reset && j >= 2 * H;
            bias[static_cast<std::size_t>(j)] = wb[j] + (keep_apart ? 0.0f : rb[j]);
        }
        if (p.cell == rnn_cell::gru && p.linear_before_reset) rbh.assign(rb + 2 * H, rb + 3 * H);
        for (std::int64_t i = 0; i < rows; ++i)
            for (std::int64_t j = 0; j < G; ++j) xw[i * G + j] += bias[static_cast<std::size_t>(j)];
    }
    if (rbh.empty()) rbh.assign(static_cast<std::size_t>(H), 0.0f);

    // initial states
    auto state_row = [&](std::int64_t b) { return p.layout1 ? (b * p.dirs + d) * H : (d * N + b) * H; };
    for (std::int64_t b = 0; b < N; ++b) {
        if (present(in, 5)) std::copy_n(in[5].as<const float>() + state_row(b), H, h + b * H);
        else std::fill_n(h + b * H, H, 0.0f);
        if (p.cell == rnn_cell::lstm) {
            if (present(in, 6)) std::copy_n(in[6].as<const float>() + state_row(b), H, c + b * H);
            else std::fill_n(c + b * H, H, 0.0f);
        }
    }
    const float* peep = p.cell == rnn_cell::lstm && present(in, 7) ? in[7].as<const float>() + d * 3 * H : nullptr;
    float* y = wanted(out, 0) ? out[0].as<float>() : nullptr;
    auto y_row = [&](std::int64_t t, std::int64_t b) { return p.layout1 ? ((b * S + t) * p.dirs + d) * H : ((t * p.dirs + d) * N + b) * H; };
    auto clip = [&](float* v, std::int64_t n) {
        if (p.clip)
            for (std::int64_t i = 0; i < n; ++i) v[i] = std::clamp(v[i], -p.clip_at, p.clip_at);
    };

    const std::int64_t steps = lens.empty() ? 0 : *std::max_element(lens.begin(), lens.end());
    for (std::int64_t s = 0; s < steps; ++s) {
        const_row_map hm(h, N, H);
        const_row_map rm(r, G, H);
        if (p.cell == rnn_cell::gru && !p.linear_before_reset) row_map(hr, N, G).leftCols(2 * H).noalias() = hm * rm.topRows(2 * H).transpose();
        else row_map(hr, N, G).noalias() = hm * rm.transpose();
        auto time_of = [&](std::int64_t b) { return backward ? lens[static_cast<std::size_t>(b)] - 1 - s : s; };
        auto xw_row = [&](std::int64_t b) {
            const std::int64_t t = time_of(b);
            return xw + (p.layout1 ? b * S + t : t * N + b) * G;
        };
        auto active = [&](std::int64_t b) { return s < lens[static_cast<std::size_t>(b)]; };

        if (p.cell == rnn_cell::rnn) {
            for (std::int64_t b = 0; b < N; ++b) {
                if (!active(b)) continue;
                const float* x = xw_row(b);
                float* g = hr + b * G;
                for (std::int64_t j = 0; j < H; ++j) g[j] += x[j];
                clip(g, H);
                act[0].apply(g, H);
                std::copy_n(g, H, h + b * H);
            }
        } else if (p.cell == rnn_cell::gru) {
            // gates z, r, h
            for (std::int64_t b = 0; b < N; ++b) {
                if (!active(b)) {
                    std::fill_n(tmp + b * H, H, 0.0f);
                    continue;
                }
                const float* x = xw_row(b);
                float* g = hr + b * G;
                for (std::int64_t j = 0; j < 2 * H; ++j) g[j] += x[j];
                clip(g, 2 * H);
                act[0].apply(g, 2 * H);
                if (!p.linear_before_reset)
                    for (std::int64_t j = 0; j < H; ++j) tmp[b * H + j] = g[H + j] * h[b * H + j];  // r (.) H
            }
            if (!p.linear_before_reset) row_map(hr, N, G).rightCols(H).noalias() = const_row_map(tmp, N, H) * rm.bottomRows(H).transpose();
            for (std::int64_t b = 0; b < N; ++b) {
                if (!active(b)) continue;
                const float* x = xw_row(b);
                float* g = hr + b * G;
                float* hh = g + 2 * H;
                if (p.linear_before_reset)
                    for (std::int64_t j = 0; j < H; ++j) hh[j] = x[2 * H + j] + g[H + j] * (hh[j] + rbh[static_cast<std::size_t>(j)]);
                else
                    for (std::int64_t j = 0; j < H; ++j) hh[j] += x[2 * H + j];
                clip(hh, H);
                act[1].apply(hh, H);
                float* hb = h + b * H;
                for (std::int64_t j = 0; j < H; ++j) hb[j] = (1.0f - g[j]) * hh[j] + g[j] * hb[j];
            }
        } else {
            // gates i, o, f, c
            for (std::int64_t b = 0; b < N; ++b) {
                if (!active(b)) continue;
                const float* x = xw_row(b);
                float* g = hr + b * G;
                float *gi = g, *go = g + H, *gf = g + 2 * H, *gc = g + 3 * H;
                float* cb = c + b * H;
                for (std::int64_t j = 0; j < G; ++j) g[j] += x[j];
                if (peep)
                    for (std::int64_t j = 0; j < H; ++j) gi[j] += peep[j] * cb[j];
                clip(gi, H);
                act[0].apply(gi, H);
                if (p.input_forget) {
                    for (std::int64_t j = 0; j < H; ++j) gf[j] = 1.0f - gi[j];
                } else {
                    if (peep)
                        for (std::int64_t j = 0; j < H; ++j) gf[j] += peep[2 * H + j] * cb[j];
                    clip(gf, H);
                    act[0].apply(gf, H);
                }
                clip(gc, H);
                act[1].apply(gc, H);
                for (std::int64_t j = 0; j < H; ++j) cb[j] = gf[j] * cb[j] + gi[j] * gc[j];
                if (peep)
                    for (std::int64_t j = 0; j < H; ++j) go[j] += peep[H + j] * cb[j];
                clip(go, H);
                act[0].apply(go, H);
                float* t = tmp + b * H;
                std::copy_n(cb, H, t);
                act[2].apply(t, H);
                for (std::int64_t j = 0; j < H; ++j) h[b * H + j] = go[j] * t[j];
            }
        }
        if (y)
            for (std::int64_t b = 0; b < N; ++b)
                if (active(b)) std::copy_n(h + b * H, H, y + y_row(time_of(b), b));
    }
    // steps past a batch entry's length are zero
    if (y)
        for (std::int64_t b = 0; b < N; ++b)
            for (std::int64_t t = lens[static_cast<std::size_t>(b)]; t < S; ++t) std::fill_n(y + y_row(t, b), H, 0.0f);
    for (std::size_t o = 1; o <= (p.cell == rnn_cell::lstm ? 2u : 1u); ++o) {
        if (!wanted(out, o)) continue;
        const float* src = o == 1 ? h : c;
        for (std::int64_t b = 0; b < N; ++b) std::copy_n(src + b * H, H, out[o].as<float>() + state_row(b));
    }
}

/// LSTM (gates i, o, f, c), GRU (z, r, h), RNN: float32, every direction, layout 0 and 1, sequence_lens, clip,
/// activations with alphas and betas, peepholes, input_forget and linear_before_reset.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_recurrent(const prepare_args& a, rnn_cell cell) {
    if (a.input_type(0) != dtype::float32 || a.input_type(1) != dtype::float32 || a.input_type(2) != dtype::float32) return nullptr;
    recurrent_plan p;
    p.cell = cell;
    p.node = a.n->describe();
    p.gates = cell == rnn_cell::rnn ? 1 : cell == rnn_cell::gru ? 3 : 4;
    const auto direction = attr_string(a, "direction", "forward");
    if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
        invalid_node(a, "direction '" + direction + "' is not one of forward, reverse, bidirectional");
    p.dirs = direction == "bidirectional" ? 2 : 1;
    p.reverse = direction == "reverse";
    p.layout1 = attr_int(a, "layout", 0) != 0;
    const auto x = a.input_sizes(0), w = a.input_sizes(1), r = a.input_sizes(2);
    if (x.size() != 3 || w.size() != 3 || r.size() != 3) invalid_node(a, "X, W and R must be 3-D");
    p.seq = x[p.layout1 ? 1 : 0];
    p.batch = x[p.layout1 ? 0 : 1];
    p.input = x[2];
    p.hidden = r[2];
    if (a.n->has_attr("hidden_size") && attr_int(a, "hidden_size", 0) != p.hidden)
        invalid_node(a, "hidden_size " + std::to_string(attr_int(a, "hidden_size", 0)) + " differs from R's last dim " + std::to_string(p.hidden));
    const std::int64_t G = p.gates * p.hidden;
    if (w != sizes_t{p.dirs, G, p.input} || r != sizes_t{p.dirs, G, p.hidden})
        invalid_node(a, "W " + text(w) + " and R " + text(r) + " do not fit X " + text(x) + " with hidden_size " + std::to_string(p.hidden));
    auto check = [&](std::size_t i, const sizes_t& want, const char* what) {
        if (!a.has_input(i)) return;
        if (i != 4 && a.input_type(i) != dtype::float32) invalid_node(a, std::string(what) + " must be float32 like X");
        if (a.input_sizes(i) != want) invalid_node(a, std::string(what) + " is " + text(a.input_sizes(i)) + ", expected " + text(want));
    };
    const sizes_t state = p.layout1 ? sizes_t{p.batch, p.dirs, p.hidden} : sizes_t{p.dirs, p.batch, p.hidden};
    check(3, {p.dirs, 2 * G}, "B");
    check(4, {p.batch}, "sequence_lens");
    check(5, state, "initial_h");
    if (cell == rnn_cell::lstm) {
        check(6, state, "initial_c");
        check(7, {p.dirs, 3 * p.hidden}, "P");
    }
    if (a.n->has_attr("clip")) {
        p.clip = true;
        p.clip_at = attr_float(a, "clip", 0);
    }
    p.input_forget = cell == rnn_cell::lstm && attr_int(a, "input_forget", 0) != 0;
    p.linear_before_reset = cell == rnn_cell::gru && attr_int(a, "linear_before_reset", 0) != 0;
    const std::size_t per_dir = cell == rnn_cell::rnn ? 1 : cell == rnn_cell::gru ? 2 : 3;
    auto names = attr_strings(a, "activations");
    if (names.empty()) {
        if (cell == rnn_cell::rnn) names = {"Tanh"};
        else if (cell == rnn_cell::gru) names = {"Sigmoid", "Tanh"};
        else names = {"Sigmoid", "Tanh", "Tanh"};
    }
    p.acts = parse_activations(a, names, per_dir, static_cast<std::size_t>(p.dirs));

    const auto f = sizeof(float);
    const auto n = static_cast<std::size_t>(p.batch), hsz = static_cast<std::size_t>(p.hidden), g = static_cast<std::size_t>(G);
    p.xw_at = 0;
    p.hr_at = aligned(static_cast<std::size_t>(p.seq) * n * g * f);
    p.h_at = p.hr_at + aligned(n * g * f);
    p.c_at = p.h_at + aligned(n * hsz * f);
    p.tmp_at = p.c_at + aligned(n * hsz * f);
    p.per_dir = p.tmp_at + aligned(n * hsz * f);
    const std::size_t scratch = p.per_dir * static_cast<std::size_t>(p.dirs);
    const char* name = cell == rnn_cell::rnn ? "misc.rnn" : cell == rnn_cell::gru ? "misc.gru" : "misc.lstm";
    return make_kernel(
        name,
        [p, scratch](std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
            std::vector<std::int64_t> lens(static_cast<std::size_t>(p.batch), p.seq);
            if (present(in, 4)) {
                lens = values_of<std::int64_t>(in[4]);
                for (auto l : lens)
                    if (l < 0 || l > p.seq)
                        bad_values(p.node, "sequence_lens holds " + std::to_string(l) + ", outside [0, " + std::to_string(p.seq) + "]");
            }
            const scratch_space space(ctx, scratch);
            parallel_for(ctx, p.dirs, 1, [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t d = b; d < e; ++d) run_direction(p, d, in, out, lens, space, ctx);
            });
        },
        scratch);
}

}  // namespace detail::misc

// ---- Resize, Upsample ----------------------------------------------------------------------------

namespace detail::misc {

/// Resize (opset 10 to 19 attributes) and Upsample, prepared: where scales/sizes/roi come from and how to interpolate.
struct resize_plan {
    enum class coord { half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_crop_and_resize };
    enum class interp { nearest, linear, cubic };
    enum class rounding { round_prefer_floor, round_prefer_ceil, floor, ceil, legacy };
    enum class policy { stretch, not_larger, not_smaller };
    coord ct = coord::half_pixel;
    interp mode = interp::nearest;
    rounding nearest = rounding::round_prefer_floor;
    policy keep = policy::stretch;
    double cubic_a = -0.75, extrapolation = 0;
    bool exclude_outside = false, antialias = false;
    bool legacy = false;                     ///< Resize-10 and Upsample: asymmetric, nearest rounds down (up when shrinking)
    std::vector<std::size_t> axes;           ///< the axes scales, sizes and roi list
    std::vector<double> attr_scales;         ///< Upsample-7's scales attribute
    std::size_t roi_at = 1, scales_at = 2, sizes_at = 3;
    sizes_t in, out;
    dtype t = dtype::undefined;
    std::string node;
};

/// Where each output coordinate of one axis reads: `n` taps (clamped index and weight) or the extrapolation value.
struct axis_taps {
    std::int64_t n = 1;
    std::vector<std::int64_t> index;         ///< [out * n]
    std::vector<double> weight;              ///< [out * n]
    std::vector<std::uint8_t> extrapolate;   ///< [out]
    bool identity = false;
};

/// The interpolation weights for a point at `ratio` (in (0, 1], 1 on a sample) past its left neighbour, as ONNX's
/// reference computes them (antialiased ones widen the kernel by 1/scale when shrinking).
inline void resize_coefficients(const resize_plan& p, double ratio, double scale, std::vector<double>& w) {
    w.clear();
    const bool on_sample = ratio == 1.0;
    switch (p.mode) {
        case resize_plan::interp::nearest: {
            bool right = true;
            if (!on_sample) {
                switch (p.nearest) {
                    case resize_plan::rounding::round_prefer_floor: right = ratio > 0.5; break;
                    case resize_plan::rounding::round_prefer_ceil: right = ratio >= 0.5; break;
                    case resize_plan::rounding::floor: right = false; break;
                    case resize_plan::rounding::ceil: right = true; break;
                    case resize_plan::rounding::legacy: right = false; break;  // not used: legacy rounding picks its index directly
                }
            }
            w = {right ? 0.0 : 1.0, right ? 1.0 : 0.0};
            return;
        }
        case resize_plan::interp::linear: {
            if (!p.antialias) {
                w = {1.0 - ratio, ratio};
                return;
            }
            const double s = std::min(scale, 1.0);
            const auto start = static_cast<std::int64_t>(std::floor(-1.0 / s) + 1);
            double sum = 0;
            for (std::int64_t i = start; i < start + 2 - 2 * start; ++i) {
                w.push_back(std::clamp(1.0 - std::fabs((static_cast<double>(i) - ratio) * s), 0.0, 1.0));
                sum += w.back();
            }
            for (auto& v : w) v /= sum;
            return;
        }
        case resize_plan::interp::cubic: {
            const double A = p.cubic_a;
            if (!p.antialias) {
                const double r1 = ratio + 1, r2 = 1 - ratio, r3 = 2 - ratio;
                w = {((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A, ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1,
                     ((A + 2) * r2 - (A + 3)) * r2 * r2 + 1, ((A * r3 - 5 * A) * r3 + 8 * A) * r3 - 4 * A};
                return;
            }
            const double s = std::min(scale, 1.0);
            auto coeff = [A](double x) {
                x = std::fabs(x);
                if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
                if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
                return 0.0;
            };
            const auto start = static_cast<std::int64_t>(std::floor(-2.0 / s) + 1);
            double sum = 0;
            for (std::int64_t i = start; i < 2 - start; ++i) {
                w.push_back(coeff(s * (static_cast<double>(i) - ratio)));
                sum += w.back();
            }
            for (auto& v : w) v /= sum;
            return;
        }
    }
}

/// The taps of one axis: input extent `in`, output extent `out`, its scale, the (possibly fractional) output width
/// scale * in that ONNX's coordinate formulas use, and the roi for tf_crop_and_resize.
[[nodiscard]] inline axis_taps resize_axis(const resize_plan& p, std::int64_t in, std::int64_t out, double scale, double width,
                                           double roi_start, double roi_end) {
    using coord = resize_plan::coord;
    axis_taps a;
    a.extrapolate.assign(static_cast<std::size_t>(out), 0);
    const bool legacy_nearest = p.legacy && p.mode == resize_plan::interp::nearest;
    std::vector<double> w;
    if (!legacy_nearest) resize_coefficients(p, 0.5, scale, w);  // the tap count depends on the scale only
    a.n = legacy_nearest ? 1 : static_cast<std::int64_t>(w.size());
    const double last = static_cast<double>(in - 1);
    bool identity = in == out;
    for (std::int64_t x = 0; x < out; ++x) {
        const double xr = static_cast<double>(x);
        double xo = xr / scale;  // asymmetric, and the legacy (opset < 11) transformation
        if (!p.legacy) {
            switch (p.ct) {
                case coord::half_pixel: xo = (xr + 0.5) / scale - 0.5; break;
                case coord::half_pixel_symmetric: {
                    const double adjustment = static_cast<double>(out) / width;
                    const double offset = static_cast<double>(in) / 2 * (1 - adjustment);
                    xo = offset + (xr + 0.5) / scale - 0.5;
                    break;
                }
                case coord::pytorch_half_pixel: xo = width == 1 ? -0.5 : (xr + 0.5) / scale - 0.5; break;
                case coord::align_corners: xo = width == 1 ? 0 : xr * last / (width - 1); break;
                case coord::asymmetric: break;
                case coord::tf_crop_and_resize:
                    xo = (width == 1 ? (roi_end - roi_start) * last / 2 : xr * (roi_end - roi_start) * last / (width - 1)) + roi_start * last;
                    break;
            }
        }
        std::vector<std::int64_t> idx;
        if (!p.legacy && p.ct == coord::tf_crop_and_resize && (xo < 0 || xo > last)) {
            a.extrapolate[static_cast<std::size_t>(x)] = 1;
            idx.assign(static_cast<std::size_t>(a.n), 0);
            w.assign(static_cast<std::size_t>(a.n), 0.0);
            identity = false;
        } else if (legacy_nearest) {
            const double v = scale < 1 ? std::ceil(xo) : std::trunc(xo);
            idx = {static_cast<std::int64_t>(std::clamp(v, 0.0, std::max(last, 0.0)))};
            w = {1.0};
        } else {
            // the n samples nearest to xo (ties to the left), as ONNX's reference picks them; edge-clamped
            const double k = std::floor(xo);
            const bool on_sample = xo == k;
            const double ratio = on_sample ? 1.0 : xo - k;
            const auto left = static_cast<std::int64_t>(k) - (on_sample ? 1 : 0);
            resize_coefficients(p, ratio, scale, w);
            const std::int64_t first = left + 1 - a.n / 2;
            const bool exclude = p.exclude_outside && p.mode != resize_plan::interp::nearest;
            double sum = 0;
            for (std::int64_t j = 0; j < a.n; ++j) {
                const std::int64_t i = first + j;
                if (exclude && (i < 0 || i >= in)) w[static_cast<std::size_t>(j)] = 0;
                sum += w[static_cast<std::size_t>(j)];
                idx.push_back(std::clamp<std::int64_t>(i, 0, std::max<std::int64_t>(in - 1, 0)));
            }
            if (exclude && sum != 0)
                for (auto& v : w) v /= sum;
        }
        for (std::size_t j = 0; identity && j < idx.size(); ++j)
            if (w[j] != 0 && (w[j] != 1 || idx[j] != x)) identity = false;
        a.index.insert(a.index.end(), idx.begin(), idx.end());
        a.weight.insert(a.weight.end(), w.begin(), w.end());
    }
    a.identity = identity;
    return a;
}

/// One separable pass along an axis: src [outer, in, inner] -> dst [outer, out, inner], in double.
template <class S, class D>
void resize_pass(const S* src, D* dst, std::int64_t outer, std::int64_t in, std::int64_t inner, const axis_taps& t, double extrapolation,
                 exec_context& ctx) {
    const std::int64_t out = static_cast<std::int64_t>(t.extrapolate.size());
    parallel_for(ctx, outer * out, grain_for(inner * t.n), [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t row = b; row < e; ++row) {
            const std::int64_t o = row / out, x = row % out;
            D* d = dst + row * inner;
            if (t.extrapolate[static_cast<std::size_t>(x)]) {
                std::fill_n(d, inner, static_cast<D>(extrapolation));
                continue;
            }
            const std::int64_t* idx = t.index.data() + x * t.n;
            const double* w = t.weight.data() + x * t.n;
            for (std::int64_t i = 0; i < inner; ++i) {
                double acc = 0;
                for (std::int64_t j = 0; j < t.n; ++j)
                    if (w[j] != 0) acc += w[j] * static_cast<double>(src[(o * in + idx[j]) * inner + i]);
                d[i] = static_cast<D>(acc);
            }
        }
    });
}

/// Resize and Upsample: nearest for every dtype (a gather of elements), linear and cubic for float32 and float64
/// (separable passes in double, as ONNX's reference computes them).
[[nodiscard]] inline std::unique_ptr<op_kernel> make_resize(const prepare_args& a, bool upsample) {
    resize_plan p;
    p.node = a.n->describe();
    p.t = a.input_type(0);
    p.in = a.input_sizes(0);
    p.out = a.output_sizes(0);
    p.legacy = upsample || a.opset < 11;
    const std::size_t r = p.in.size();
    if (p.out.size() != r) invalid_node(a, "the output rank differs from the input's");
    auto mode = attr_string(a, "mode", "nearest");
    if (mode == "nearest") p.mode = resize_plan::interp::nearest;
    else if (mode == "linear" || mode == "bilinear" || mode == "trilinear") p.mode = resize_plan::interp::linear;
    else if (mode == "cubic" && !p.legacy) p.mode = resize_plan::interp::cubic;
    else invalid_node(a, "mode '" + mode + "' is not one of nearest, linear" + (p.legacy ? "" : ", cubic"));
    if (p.mode == resize_plan::interp::nearest ? size_of(p.t) == 0 : (p.t != dtype::float32 && p.t != dtype::float64)) return nullptr;
    if (p.legacy) {
        p.ct = resize_plan::coord::asymmetric;
        p.nearest = resize_plan::rounding::legacy;
        if (upsample && !a.has_input(1)) {
            for (float s : attr_floats(a, "scales")) p.attr_scales.push_back(s);
            if (p.attr_scales.size() != r) invalid_node(a, "the scales attribute needs one value per input dim");
        }
        p.scales_at = 1;
        p.roi_at = p.sizes_at = std::numeric_limits<std::size_t>::max();
    } else {
        const auto ct = attr_string(a, "coordinate_transformation_mode", "half_pixel");
        using coord = resize_plan::coord;
        if (ct == "half_pixel") p.ct = coord::half_pixel;
        else if (ct == "half_pixel_symmetric") p.ct = coord::half_pixel_symmetric;
        else if (ct == "pytorch_half_pixel") p.ct = coord::pytorch_half_pixel;
        else if (ct == "align_corners") p.ct = coord::align_corners;
        else if (ct == "asymmetric") p.ct = coord::asymmetric;
        else if (ct == "tf_crop_and_resize") p.ct = coord::tf_crop_and_resize;
        else invalid_node(a, "coordinate_transformation_mode '" + ct + "' is not one ONNX defines");
        const auto nm = attr_string(a, "nearest_mode", "round_prefer_floor");
        using rounding = resize_plan::rounding;
        if (nm == "round_prefer_floor") p.nearest = rounding::round_prefer_floor;
        else if (nm == "round_prefer_ceil") p.nearest = rounding::round_prefer_ceil;
        else if (nm == "floor") p.nearest = rounding::floor;
        else if (nm == "ceil") p.nearest = rounding::ceil;
        else invalid_node(a, "nearest_mode '" + nm + "' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil");
        const auto kp = attr_string(a, "keep_aspect_ratio_policy", "stretch");
        if (kp == "stretch") p.keep = resize_plan::policy::stretch;
        else if (kp == "not_larger") p.keep = resize_plan::policy::not_larger;
        else if (kp == "not_smaller") p.keep = resize_plan::policy::not_smaller;
        else invalid_node(a, "keep_aspect_ratio_policy '" + kp + "' is not one of stretch, not_larger, not_smaller");
        p.cubic_a = attr_float(a, "cubic_coeff_a", -0.75f);
        p.exclude_outside = attr_int(a, "exclude_outside", 0) != 0;
        p.extrapolation = attr_float(a, "extrapolation_value", 0.0f);
        p.antialias = attr_int(a, "antialias", 0) != 0;
    }
    if (a.n->has_attr("axes")) {
        for (auto v : attr_ints(a, "axes")) {
            const std::size_t ax = axis_of(a, v, r, "axes value");
            if (std::find(p.axes.begin(), p.axes.end(), ax) != p.axes.end()) invalid_node(a, "axes repeats " + std::to_string(v));
            p.axes.push_back(ax);
        }
    } else {
        for (std::size_t i = 0; i < r; ++i) p.axes.push_back(i);
    }
    // the largest intermediate of the separable passes (axis d done: out[0..d] x in[d+1..])
    std::size_t biggest = 0;
    for (std::size_t d = 0; d < r; ++d)
        biggest = std::max(biggest, static_cast<std::size_t>(product(p.out, 0, d + 1) * product(p.in, d + 1)));
    const std::size_t scratch = p.mode == resize_plan::interp::nearest ? 0 : 2 * aligned(biggest * sizeof(double));
    return make_kernel(
        p.mode == resize_plan::interp::nearest ? "misc.resize_nearest" : "misc.resize_separable",
        [p, scratch](std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
            const std::size_t r = p.in.size();
            std::vector<double> scale(r, 1.0), width(r), roi_start(r, 0.0), roi_end(r, 1.0);
            for (std::size_t d = 0; d < r; ++d) width[d] = static_cast<double>(p.in[d]);
            auto fail = [&](const std::string& why) { bad_values(p.node, why); };
            std::vector<double> scales = p.attr_scales;
            if (scales.empty() && present(in, p.scales_at)) scales = values_of<double>(in[p.scales_at]);
            std::vector<std::int64_t> sizes;
            if (scales.empty() && p.sizes_at < in.size() && present(in, p.sizes_at)) sizes = values_of<std::int64_t>(in[p.sizes_at]);
            const std::size_t listed = p.legacy ? r : p.axes.size();
            if (!scales.empty()) {
                if (scales.size() != listed) fail("scales has " + std::to_string(scales.size()) + " value(s), expected " + std::to_string(listed));
                for (std::size_t i = 0; i < listed; ++i) {
                    const std::size_t d = p.legacy ? i : p.axes[i];
                    if (!(scales[i] > 0)) fail("scales must be positive, got " + std::to_string(scales[i]));
                    scale[d] = scales[i];
                    width[d] = scales[i] * static_cast<double>(p.in[d]);
                }
            } else if (!sizes.empty()) {
                if (sizes.size() != listed) fail("sizes has " + std::to_string(sizes.size()) + " value(s), expected " + std::to_string(listed));
                if (p.keep == resize_plan::policy::stretch) {
                    for (std::size_t i = 0; i < listed; ++i) {
                        const std::size_t d = p.axes[i];
                        scale[d] = static_cast<double>(sizes[i]) / static_cast<double>(p.in[d]);
                        width[d] = static_cast<double>(sizes[i]);
                    }
                } else {
                    double s = p.keep == resize_plan::policy::not_larger ? std::numeric_limits<double>::infinity() : 0.0;
                    for (std::size_t i = 0; i < listed; ++i) {
                        const double v = static_cast<double>(sizes[i]) / static_cast<double>(p.in[p.axes[i]]);
                        s = p.keep == resize_plan::policy::not_larger ? std::min(s, v) : std::max(s, v);
                    }
                    for (auto d : p.axes) {
                        scale[d] = s;
                        width[d] = s * static_cast<double>(p.in[d]);
                    }
                }
            } else {
                fail("neither scales nor sizes is given");
            }
            if (!p.legacy && p.ct == resize_plan::coord::tf_crop_and_resize && present(in, p.roi_at) && in[p.roi_at].numel() > 0) {
                const auto roi = values_of<double>(in[p.roi_at]);
                if (roi.size() != 2 * p.axes.size()) fail("roi has " + std::to_string(roi.size()) + " value(s), expected " + std::to_string(2 * p.axes.size()));
                for (std::size_t i = 0; i < p.axes.size(); ++i) {
                    roi_start[p.axes[i]] = roi[i];
                    roi_end[p.axes[i]] = roi[p.axes.size() + i];
                }
            }
            std::vector<axis_taps> taps;
            for (std::size_t d = 0; d < r; ++d) {
                if (p.in[d] == 0 && p.out[d] > 0) fail("cannot resize the empty axis " + std::to_string(d) + " to " + std::to_string(p.out[d]));
                taps.push_back(resize_axis(p, p.in[d], p.out[d], scale[d], width[d], roi_start[d], roi_end[d]));
            }
            const std::int64_t total = product(p.out);
            if (total == 0) return;
            if (r == 0) {
                std::memcpy(out[0].data, in[0].data, size_of(p.t));
                return;
            }

            if (p.mode == resize_plan::interp::nearest) {
                // a gather: each output element copies one input element (or the extrapolation value)
                const auto es = static_cast<std::int64_t>(size_of(p.t));
                const bool crops = !p.legacy && p.ct == resize_plan::coord::tf_crop_and_resize;
                const auto ev = crops ? scalar_bytes(p.t, p.extrapolation) : std::vector<std::byte>(static_cast<std::size_t>(es));
                const sizes_t st = strides_of(p.in);
                std::vector<std::vector<std::int64_t>> src(r);  // per axis and output coordinate: input offset, -1 to extrapolate
                for (std::size_t d = 0; d < r; ++d) {
                    const auto& t = taps[d];
                    for (std::size_t x = 0; x < t.extrapolate.size(); ++x) {
                        std::int64_t pick = -1;
                        if (!t.extrapolate[x])
                            for (std::int64_t j = 0; j < t.n; ++j)
                                if (t.weight[x * static_cast<std::size_t>(t.n) + static_cast<std::size_t>(j)] != 0) {
                                    pick = t.index[x * static_cast<std::size_t>(t.n) + static_cast<std::size_t>(j)] * st[d];
                                    break;
                                }
                        src[d].push_back(pick);
                    }
                }
                const std::int64_t last = p.out[r - 1], rows = total / last;
                const std::byte* x = in[0].data;
                std::byte* y = out[0].data;
                parallel_for(ctx, rows, grain_for(last), [&](std::int64_t b, std::int64_t e) {
                    for (std::int64_t row = b; row < e; ++row) {
                        std::int64_t rem = row, off = 0;
                        bool extra = false;
                        for (std::size_t d = r - 1; d-- > 0;) {
                            const std::int64_t c = rem % p.out[d];
                            rem /= p.out[d];
                            const std::int64_t s = src[d][static_cast<std::size_t>(c)];
                            if (s < 0) extra = true;
                            off += s;
                        }
                        std::byte* yr = y + row * last * es;
                        for (std::int64_t c = 0; c < last; ++c) {
                            const std::int64_t s = src[r - 1][static_cast<std::size_t>(c)];
                            if (extra || s < 0) std::memcpy(yr + c * es, ev.data(), static_cast<std::size_t>(es));
                            else std::memcpy(yr + c * es, x + (off + s) * es, static_cast<std::size_t>(es));
                        }
                    }
                });
                return;
            }

            // linear and cubic: one pass per axis that changes, axis 0 first, in double
            std::vector<std::size_t> passes;
            for (std::size_t d = 0; d < r; ++d)
                if (!taps[d].identity) passes.push_back(d);
            visit_float(p.t, [&](auto tag) {
                using T = typename decltype(tag)::type;
                const T* x = in[0].as<const T>();
                T* y = out[0].as<T>();
                if (passes.empty()) {
                    std::copy_n(x, total, y);
                    return;
                }
                const scratch_space space(ctx, scratch);
                double* buf[2] = {space.at<double>(0), space.at<double>(scratch / 2)};
                sizes_t cur = p.in;
                for (std::size_t k = 0; k < passes.size(); ++k) {
                    const std::size_t d = passes[k];
                    const std::int64_t outer = product(cur, 0, d), inner = product(cur, d + 1), n_in = cur[d];
                    const bool first = k == 0, final = k + 1 == passes.size();
                    const double* prev = first ? nullptr : buf[(k + 1) % 2];
                    if (first && final) resize_pass(x, y, outer, n_in, inner, taps[d], p.extrapolation, ctx);
                    else if (first) resize_pass(x, buf[k % 2], outer, n_in, inner, taps[d], p.extrapolation, ctx);
                    else if (final) resize_pass(prev, y, outer, n_in, inner, taps[d], p.extrapolation, ctx);
                    else resize_pass(prev, buf[k % 2], outer, n_in, inner, taps[d], p.extrapolation, ctx);
                    cur[d] = p.out[d];
                }
            });
        },
        scratch);
}

}  // namespace detail::misc

// ---- Pad, DepthToSpace, SpaceToDepth -------------------------------------------------------------

namespace detail::misc {

/// Pad for every dtype: constant, reflect, edge and wrap; pads from the attribute (opset < 11) or input 1, optional
/// axes (input 3); negative pads crop first and the other modes mirror / repeat what is left (as ONNX Runtime does).
[[nodiscard]] inline std::unique_ptr<op_kernel> make_pad(const prepare_args& a) {
    const dtype t = a.input_type(0);
    if (size_of(t) == 0) return nullptr;
    enum class pad_mode { constant, reflect, edge, wrap };
    const auto m = attr_string(a, "mode", "constant");
    pad_mode mode = pad_mode::constant;
    if (m == "reflect") mode = pad_mode::reflect;
    else if (m == "edge") mode = pad_mode::edge;
    else if (m == "wrap") mode = pad_mode::wrap;
    else if (m != "constant") invalid_node(a, "mode '" + m + "' is not one of constant, reflect, edge, wrap");
    const bool from_input = a.has_input(1);
    std::vector<std::int64_t> attr_pads;
    std::vector<std::byte> attr_value;
    if (!from_input) {
        attr_pads = attr_ints(a, a.n->has_attr("pads") ? "pads" : "paddings");
        attr_value = a.n->has_attr("value") ? scalar_bytes(t, attr_float(a, "value", 0.0f)) : std::vector<std::byte>(size_of(t));
    }
    const sizes_t in = a.input_sizes(0), out = a.output_sizes(0);
    if (in.size() != out.size()) invalid_node(a, "the output rank differs from the input's");
    const std::string node = a.n->describe();
    return make_kernel("misc.pad", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context& ctx) {
        const std::size_t r = in.size();
        const auto es = static_cast<std::int64_t>(size_of(t));
        std::vector<std::int64_t> pads = from_input ? values_of<std::int64_t>(ins[1]) : attr_pads;
        std::vector<std::size_t> axes;
        if (present(ins, 3)) {
            for (auto v : values_of<std::int64_t>(ins[3])) {
                if (v < -static_cast<std::int64_t>(r) || v >= static_cast<std::int64_t>(r)) bad_values(node, "axes holds " + std::to_string(v));
                axes.push_back(static_cast<std::size_t>(v < 0 ? v + static_cast<std::int64_t>(r) : v));
            }
        } else {
            for (std::size_t i = 0; i < r; ++i) axes.push_back(i);
        }
        if (pads.size() != 2 * axes.size())
            bad_values(node, "pads has " + std::to_string(pads.size()) + " value(s), expected " + std::to_string(2 * axes.size()));
        std::vector<std::int64_t> begin(r, 0), end(r, 0);
        for (std::size_t i = 0; i < axes.size(); ++i) {
            begin[axes[i]] = pads[i];
            end[axes[i]] = pads[axes.size() + i];
        }
        std::vector<std::byte> value = attr_value;
        if (from_input) {
            value.assign(static_cast<std::size_t>(es), std::byte{0});
            if (present(ins, 2) && ins[2].numel() > 0) std::memcpy(value.data(), ins[2].data, static_cast<std::size_t>(es));
        }
        // per axis and output coordinate: the input coordinate, or -1 for the constant
        std::vector<std::vector<std::int64_t>> src(r);
        for (std::size_t d = 0; d < r; ++d) {
            if (in[d] + begin[d] + end[d] != out[d])
                bad_values(node, "pads " + text(pads) + " do not give the planned output " + text(out) + " from " + text(in));
            const std::int64_t from = std::max<std::int64_t>(0, -begin[d]);
            const std::int64_t n = in[d] - from - std::max<std::int64_t>(0, -end[d]);  // what is left after cropping
            const std::int64_t lead = std::max<std::int64_t>(0, begin[d]);
            for (std::int64_t o = 0; o < out[d]; ++o) {
                std::int64_t k = o - lead;
                if (k < 0 || k >= n) {
                    if (mode == pad_mode::constant) {
                        src[d].push_back(-1);
                        continue;
                    }
                    if (n <= 0) bad_values(node, "cannot pad the empty axis " + std::to_string(d) + " in mode " + m);
                    if (mode == pad_mode::edge) k = std::clamp<std::int64_t>(k, 0, n - 1);
                    else if (mode == pad_mode::wrap) k = (k % n + n) % n;
                    else if (n == 1) k = 0;
                    else {
                        const std::int64_t period = 2 * (n - 1);
                        k = (k % period + period) % period;
                        if (k >= n) k = period - k;
                    }
                }
                src[d].push_back(from + k);
            }
        }
        const std::int64_t total = product(out);
        if (total == 0) return;
        const std::byte* x = ins[0].data;
        std::byte* y = outs[0].data;
        if (r == 0) {
            std::memcpy(y, x, static_cast<std::size_t>(es));
            return;
        }
        const sizes_t st = strides_of(in);
        const std::int64_t last = out[r - 1], rows = total / last;
        const auto& lx = src[r - 1];
        parallel_for(ctx, rows, grain_for(last), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t row = b; row < e; ++row) {
                std::int64_t rem = row, off = 0;
                bool fill = false;
                for (std::size_t d = r - 1; d-- > 0;) {
                    const std::int64_t s = src[d][static_cast<std::size_t>(rem % out[d])];
                    rem /= out[d];
                    if (s < 0) fill = true;
                    else off += s * st[d];
                }
                std::byte* yr = y + row * last * es;
                for (std::int64_t c = 0; c < last;) {
                    const std::int64_t s = lx[static_cast<std::size_t>(c)];
                    if (fill || s < 0) {
                        std::memcpy(yr + c * es, value.data(), static_cast<std::size_t>(es));
                        ++c;
                        continue;
                    }
                    std::int64_t run = 1;  // consecutive input elements copy at once
                    while (c + run < last && lx[static_cast<std::size_t>(c + run)] == s + run) ++run;
                    std::memcpy(yr + c * es, x + (off + s) * es, static_cast<std::size_t>(run * es));
                    c += run;
                }
            }
        });
    });
}

/// DepthToSpace (DCR and CRD) and SpaceToDepth for every dtype: element copies.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_depth_space(const prepare_args& a, bool to_space) {
    const dtype t = a.input_type(0);
    if (size_of(t) == 0) return nullptr;
    const sizes_t in = a.input_sizes(0), out = a.output_sizes(0);
    if (in.size() != 4 || out.size() != 4) invalid_node(a, "input and output must be 4-D");
    const std::int64_t bs = attr_int(a, "blocksize", 0);
    if (bs < 1) invalid_node(a, "blocksize must be positive");
    const auto mode = attr_string(a, "mode", "DCR");
    if (to_space && mode != "DCR" && mode != "CRD") invalid_node(a, "mode '" + mode + "' is not one of DCR, CRD");
    const bool crd = to_space && mode == "CRD";
    return make_kernel(to_space ? "misc.depth_to_space" : "misc.space_to_depth",
                       [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context& ctx) {
                           const auto es = static_cast<std::int64_t>(size_of(t));
                           const std::byte* x = ins[0].data;
                           std::byte* y = outs[0].data;
                           // the space side [N, C, H*bs, W*bs] and the depth side [N, C*bs*bs, H, W]
                           const sizes_t& space = to_space ? out : in;
                           const std::int64_t N = space[0], C = space[1], H = space[2] / bs, W = space[3] / bs;
                           parallel_for(ctx, N * C * H * bs, grain_for(W * bs), [&](std::int64_t b, std::int64_t e) {
                               for (std::int64_t row = b; row < e; ++row) {
                                   // one row of the space side: n, c, h, i (its offset in the block)
                                   const std::int64_t i = row % bs, h = (row / bs) % H, c = (row / bs / H) % C, n = row / bs / H / C;
                                   for (std::int64_t w = 0; w < W; ++w)
                                       for (std::int64_t j = 0; j < bs; ++j) {
                                           const std::int64_t dc = crd ? c * bs * bs + i * bs + j : (i * bs + j) * C + c;
                                           const std::int64_t depth_at = ((n * C * bs * bs + dc) * H + h) * W + w;
                                           const std::int64_t space_at = row * W * bs + w * bs + j;
                                           if (to_space) std::memcpy(y + space_at * es, x + depth_at * es, static_cast<std::size_t>(es));
                                           else std::memcpy(y + depth_at * es, x + space_at * es, static_cast<std::size_t>(es));
                                       }
                               }
                           });
                       });
}

// ---- ArgMax, ArgMin, TopK, CumSum ----------------------------------------------------------------

/// ArgMax/ArgMin for every ordered dtype: the first (or with select_last_index the last) extreme; NaN wins, as in NumPy.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_arg(const prepare_args& a, bool is_max) {
    const dtype t = a.input_type(0);
    const sizes_t in = a.input_sizes(0);
    const std::size_t axis = axis_of(a, attr_int(a, "axis", 0), in.size());
    const bool last = attr_int(a, "select_last_index", 0) != 0;
    const std::int64_t n = in[axis], inner = product(in, axis + 1), outer = product(in, 0, axis);
    if (n == 0 && outer * inner > 0) invalid_node(a, "the reduced axis is empty");
    std::unique_ptr<op_kernel> k;
    visit_ordered(t, [&](auto tag) {
        using R = typename decltype(tag)::type;
        k = make_kernel(is_max ? "misc.argmax" : "misc.argmin",
                        [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context& ctx) {
                            const std::byte* x = ins[0].data;
                            auto* y = outs[0].as<std::int64_t>();
                            parallel_for(ctx, outer * inner, grain_for(n), [&](std::int64_t b, std::int64_t e) {
                                for (std::int64_t i = b; i < e; ++i) {
                                    const std::int64_t base = (i / inner) * n * inner + i % inner;
                                    auto best = R::load(x, base);
                                    std::int64_t at = 0;
                                    for (std::int64_t j = 1; j < n; ++j) {
                                        const auto v = R::load(x, base + j * inner);
                                        bool take;
                                        if constexpr (std::is_floating_point_v<decltype(v)>) {
                                            if (std::isnan(best)) {
                                                take = last && std::isnan(v);
                                                if (take) at = j;
                                                continue;
                                            }
                                            if (std::isnan(v)) {
                                                best = v;
                                                at = j;
                                                continue;
                                            }
                                        }
                                        take = is_max ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
                                        if (take) {
                                            best = v;
                                            at = j;
                                        }
                                    }
                                    y[i] = at;
                                }
                            });
                        });
    });
    return k;
}

/// TopK for every ordered dtype: sorted, ties by the lower index (as ONNX Runtime), NaN counted as the largest.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_topk(const prepare_args& a) {
    const dtype t = a.input_type(0);
    const sizes_t in = a.input_sizes(0);
    const std::size_t axis = axis_of(a, attr_int(a, "axis", -1), in.size());
    // K is the planned extent of the axis in whichever output is wanted (Values or Indices)
    const std::size_t planned = a.outputs.size() > 0 && a.outputs[0].elem != dtype::undefined ? 0 : 1;
    if (planned >= a.outputs.size() || a.outputs[planned].elem == dtype::undefined) return nullptr;
    const std::int64_t k = a.output_sizes(planned).at(axis);
    const bool largest = attr_int(a, "largest", 1) != 0;
    const std::int64_t n = in[axis], inner = product(in, axis + 1), outer = product(in, 0, axis);
    if (k > n) invalid_node(a, "K=" + std::to_string(k) + " exceeds the axis size " + std::to_string(n));
    const std::string node = a.n->describe();
    std::unique_ptr<op_kernel> kernel;
    visit_ordered(t, [&](auto tag) {
        using R = typename decltype(tag)::type;
        kernel = make_kernel("misc.topk", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context& ctx) {
            if (present(ins, 1)) {
                const auto kv = values_of<std::int64_t>(ins[1]);
                if (kv.size() != 1 || kv[0] != k) bad_values(node, "K differs from the planned " + std::to_string(k));
            }
            const auto es = static_cast<std::int64_t>(size_of(t));
            const std::byte* x = ins[0].data;
            std::byte* values = wanted(outs, 0) ? outs[0].data : nullptr;
            std::int64_t* indices = wanted(outs, 1) ? outs[1].as<std::int64_t>() : nullptr;
            parallel_for(ctx, outer * inner, grain_for(n * 4), [&](std::int64_t b, std::int64_t e) {
                using key = typename R::key;
                std::vector<key> keys(static_cast<std::size_t>(n));
                std::vector<std::int64_t> order(static_cast<std::size_t>(n));
                for (std::int64_t s = b; s < e; ++s) {
                    const std::int64_t base = (s / inner) * n * inner + s % inner;
                    const std::int64_t obase = (s / inner) * k * inner + s % inner;
                    for (std::int64_t j = 0; j < n; ++j) keys[static_cast<std::size_t>(j)] = R::load(x, base + j * inner);
                    std::iota(order.begin(), order.end(), std::int64_t{0});
                    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](std::int64_t i, std::int64_t j) {
                        const key ki = keys[static_cast<std::size_t>(i)], kj = keys[static_cast<std::size_t>(j)];
                        if (largest ? greater_nan_last(ki, kj) : greater_nan_last(kj, ki)) return true;
                        if (largest ? greater_nan_last(kj, ki) : greater_nan_last(ki, kj)) return false;
                        return i < j;
                    });
                    for (std::int64_t j = 0; j < k; ++j) {
                        const std::int64_t src = order[static_cast<std::size_t>(j)];
                        if (values)
                            std::memcpy(values + (obase + j * inner) * es, x + (base + src * inner) * es, static_cast<std::size_t>(es));
                        if (indices) indices[obase + j * inner] = src;
                    }
                }
            });
        });
    });
    return kernel;
}

/// CumSum for the arithmetic dtypes: the axis from input 1 at run time; exclusive and reverse.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_cumsum(const prepare_args& a) {
    const dtype t = a.input_type(0);
    const sizes_t in = a.input_sizes(0);
    const bool exclusive = attr_int(a, "exclusive", 0) != 0, reverse = attr_int(a, "reverse", 0) != 0;
    const std::string node = a.n->describe();
    std::unique_ptr<op_kernel> k;
    visit_arith(t, [&](auto tag) {
        using T = typename decltype(tag)::type;
        k = make_kernel("misc.cumsum", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context& ctx) {
            const auto av = values_of<std::int64_t>(ins[1]);
            const auto r = static_cast<std::int64_t>(in.size());
            if (av.size() != 1 || av[0] < -r || av[0] >= r) bad_values(node, "axis must be one value in [-rank, rank)");
            const auto axis = static_cast<std::size_t>(av[0] < 0 ? av[0] + r : av[0]);
            const std::int64_t n = in[axis], inner = product(in, axis + 1), outer = product(in, 0, axis);
            const T* x = ins[0].as<const T>();
            T* y = outs[0].as<T>();
            parallel_for(ctx, outer * inner, grain_for(n), [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t s = b; s < e; ++s) {
                    const std::int64_t base = (s / inner) * n * inner + s % inner;
                    T acc{};
                    for (std::int64_t j = 0; j < n; ++j) {
                        const std::int64_t at = base + (reverse ? n - 1 - j : j) * inner;
                        const T v = x[at];
                        if (exclusive) {
                            y[at] = acc;
                            acc = static_cast<T>(acc + v);
                        } else {
                            acc = static_cast<T>(acc + v);
                            y[at] = acc;
                        }
                    }
                }
            });
        });
    });
    return k;
}

// ---- ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare ----------------------------

enum class reduce_op { l1, l2, log_sum, log_sum_exp, sum_square };

/// Which axes a reduction covers: axes from input 1 (opset 18) or the attribute; none means all, or none at all
/// with noop_with_empty_axes (then every element is only transformed: |x|, x^2, log x, ...).
[[nodiscard]] inline std::vector<bool> reduced_axes(const std::vector<std::int64_t>& axes, std::size_t rank, bool noop,
                                                    const std::string& node) {
    std::vector<bool> along(rank, axes.empty() && !noop);
    for (auto v : axes) {
        if (v < -static_cast<std::int64_t>(rank) || v >= static_cast<std::int64_t>(rank))
            bad_values(node, "axis " + std::to_string(v) + " is out of range for rank " + std::to_string(rank));
        along[static_cast<std::size_t>(v < 0 ? v + static_cast<std::int64_t>(rank) : v)] = true;
    }
    return along;
}

/// Visits the elements one output element of a reduction reads: f(offset) for each, innermost reduced dim fastest.
template <class F>
void for_each_reduced(const sizes_t& sizes, const sizes_t& strides, std::int64_t base, F&& f) {
    const std::size_t m = sizes.size();
    if (m == 0) {
        f(base);
        return;
    }
    for (auto s : sizes)
        if (s == 0) return;
    std::vector<std::int64_t> idx(m, 0);
    const std::int64_t n_last = sizes[m - 1], s_last = strides[m - 1];
    for (;;) {
        for (std::int64_t j = 0; j < n_last; ++j) f(base + j * s_last);
        std::size_t d = m - 1;
        for (;;) {
            if (d == 0) return;
            --d;
            base += strides[d];
            if (++idx[d] < sizes[d]) break;
            base -= strides[d] * sizes[d];
            idx[d] = 0;
        }
    }
}

/// The remaining reductions (ReduceSum/Mean/Max/Min/Prod are the reference evaluator's), in double for the arithmetic dtypes.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_reduce(const prepare_args& a, reduce_op op) {
    const dtype t = a.input_type(0);
    const sizes_t in = a.input_sizes(0);
    const bool noop = attr_int(a, "noop_with_empty_axes", 0) != 0;
    const auto attr_axes = attr_ints(a, "axes");
    const std::string node = a.n->describe();
    const std::int64_t out_numel = product(a.output_sizes(0));
    std::unique_ptr<op_kernel> k;
    visit_arith(t, [&](auto tag) {
        using T = typename decltype(tag)::type;
        k = make_kernel("misc.reduce", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context& ctx) {
            const auto along = reduced_axes(present(ins, 1) ? values_of<std::int64_t>(ins[1]) : attr_axes, in.size(), noop, node);
            const sizes_t st = strides_of(in);
            sizes_t kept_sizes, kept_strides, red_sizes, red_strides;
            for (std::size_t d = 0; d < in.size(); ++d) {
                (along[d] ? red_sizes : kept_sizes).push_back(in[d]);
                (along[d] ? red_strides : kept_strides).push_back(st[d]);
            }
            const std::int64_t total = product(kept_sizes);
            if (total != out_numel) bad_values(node, "axes do not give the planned output size");
            const T* x = ins[0].as<const T>();
            T* y = outs[0].as<T>();
            parallel_for(ctx, total, grain_for(product(red_sizes)), [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i) {
                    std::int64_t rem = i, base = 0;
                    for (std::size_t d = kept_sizes.size(); d-- > 0;) {
                        base += (rem % kept_sizes[d]) * kept_strides[d];
                        rem /= kept_sizes[d];
                    }
                    double acc = 0;
                    switch (op) {
                        case reduce_op::l1:
                            for_each_reduced(red_sizes, red_strides, base, [&](std::int64_t o) { acc += std::fabs(static_cast<double>(x[o])); });
                            break;
                        case reduce_op::l2:
                        case reduce_op::sum_square:
                            for_each_reduced(red_sizes, red_strides, base, [&](std::int64_t o) {
                                const auto v = static_cast<double>(x[o]);
                                acc += v * v;
                            });
                            if (op == reduce_op::l2) acc = std::sqrt(acc);
                            break;
                        case reduce_op::log_sum:
                            for_each_reduced(red_sizes, red_strides, base, [&](std::int64_t o) { acc += static_cast<double>(x[o]); });
                            acc = std::log(acc);
                            break;
                        case reduce_op::log_sum_exp: {
                            double mx = -std::numeric_limits<double>::infinity();
                            for_each_reduced(red_sizes, red_strides, base, [&](std::int64_t o) { mx = std::max(mx, static_cast<double>(x[o])); });
                            if (std::isinf(mx)) {
                                acc = mx;
                                break;
                            }
                            for_each_reduced(red_sizes, red_strides, base, [&](std::int64_t o) { acc += std::exp(static_cast<double>(x[o]) - mx); });
                            acc = mx + std::log(acc);
                            break;
                        }
                    }
                    y[i] = narrow<T>(acc);
                }
            });
        });
    });
    return k;
}

}  // namespace detail::misc

// ---- OneHot, GatherND, ScatterND, ScatterElements, Compress, NonZero, ReverseSequence, EyeLike ------

namespace detail::misc {

/// An index along an extent of n: negative ones count from the end; out of range is an error naming the node.
[[nodiscard]] inline std::int64_t checked_index(std::int64_t i, std::int64_t n, const std::string& node, const char* what) {
    if (i < -n || i >= n) bad_values(node, std::string(what) + " " + std::to_string(i) + " is out of range for a dim of " + std::to_string(n));
    return i < 0 ? i + n : i;
}

/// OneHot for every indices and values dtype: depth comes from the planned output, values [off, on] are copied.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_one_hot(const prepare_args& a) {
    const dtype t = a.input_type(2);
    if (size_of(t) == 0) return nullptr;
    const sizes_t idx = a.input_sizes(0), out = a.output_sizes(0);
    const std::size_t axis = axis_of(a, attr_int(a, "axis", -1), idx.size() + 1);
    const std::int64_t depth = out.at(axis), outer = product(idx, 0, axis), inner = product(idx, axis);
    const std::string node = a.n->describe();
    return make_kernel("misc.one_hot", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context&) {
        const auto es = size_of(t);
        const auto indices = values_of<std::int64_t>(ins[0]);
        const auto dv = values_of<double>(ins[1]);
        if (dv.size() != 1 || static_cast<std::int64_t>(std::floor(dv[0])) != depth)
            bad_values(node, "depth differs from the planned " + std::to_string(depth));
        if (ins[2].numel() != 2) bad_values(node, "values must hold [off_value, on_value]");
        const std::byte* off = ins[2].data;
        const std::byte* on = ins[2].data + es;
        std::byte* y = outs[0].data;
        const std::int64_t total = outer * depth * inner;
        for (std::int64_t i = 0; i < total; ++i) std::memcpy(y + static_cast<std::size_t>(i) * es, off, es);
        for (std::int64_t o = 0; o < outer; ++o)
            for (std::int64_t i = 0; i < inner; ++i) {
                std::int64_t v = indices[static_cast<std::size_t>(o * inner + i)];
                if (v < 0) v += depth;
                if (v < 0 || v >= depth) continue;  // out of range: all off
                std::memcpy(y + static_cast<std::size_t>((o * depth + v) * inner + i) * es, on, es);
            }
    });
}

/// GatherND for every dtype, with batch_dims: slices copied as bytes.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_gather_nd(const prepare_args& a) {
    const dtype t = a.input_type(0);
    if (size_of(t) == 0) return nullptr;
    const sizes_t data = a.input_sizes(0), idx = a.input_sizes(1);
    const auto b = static_cast<std::size_t>(attr_int(a, "batch_dims", 0));
    if (idx.empty() || b >= std::min(data.size(), idx.size())) invalid_node(a, "batch_dims must be smaller than both ranks");
    const std::int64_t k = idx.back();
    if (k < 1 || static_cast<std::size_t>(k) + b > data.size()) invalid_node(a, "indices' last dim does not fit data's rank");
    for (std::size_t i = 0; i < b; ++i)
        if (idx[i] != data[i]) invalid_node(a, "the batch dims of data " + text(data) + " and indices " + text(idx) + " differ");
    const std::string node = a.n->describe();
    return make_kernel("misc.gather_nd", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context&) {
        const auto es = static_cast<std::int64_t>(size_of(t));
        const auto ind = values_of<std::int64_t>(ins[1]);
        const sizes_t st = strides_of(data);
        const std::int64_t batches = product(data, 0, b);
        const std::int64_t per_batch = product(idx, b, idx.size() - 1);  // index tuples per batch
        const std::int64_t slice = product(data, b + static_cast<std::size_t>(k));
        const std::int64_t batch_stride = product(data, b);
        const std::byte* x = ins[0].data;
        std::byte* y = outs[0].data;
        for (std::int64_t bi = 0; bi < batches; ++bi)
            for (std::int64_t q = 0; q < per_batch; ++q) {
                const std::int64_t tuple = bi * per_batch + q;
                std::int64_t off = bi * batch_stride;
                for (std::int64_t j = 0; j < k; ++j) {
                    const std::size_t d = b + static_cast<std::size_t>(j);
                    off += checked_index(ind[static_cast<std::size_t>(tuple * k + j)], data[d], node, "index") * st[d];
                }
                std::memcpy(y + tuple * slice * es, x + off * es, static_cast<std::size_t>(slice * es));
            }
    });
}

enum class scatter_reduction { none, add, mul, max, min };

[[nodiscard]] inline scatter_reduction reduction_of(const prepare_args& a) {
    const auto r = attr_string(a, "reduction", "none");
    if (r == "none") return scatter_reduction::none;
    if (r == "add") return scatter_reduction::add;
    if (r == "mul") return scatter_reduction::mul;
    if (r == "max") return scatter_reduction::max;
    if (r == "min") return scatter_reduction::min;
    invalid_node(a, "reduction '" + r + "' is not one of none, add, mul, max, min");
}

/// Writes `n` elements from src into dst with the reduction (bytes for none, typed arithmetic for the others).
using combine_fn = void (*)(std::byte* dst, const std::byte* src, std::int64_t n);

template <class T>
[[nodiscard]] combine_fn combiner(scatter_reduction r) {
    switch (r) {
        case scatter_reduction::add:
            return [](std::byte* d, const std::byte* s, std::int64_t n) {
                for (std::int64_t i = 0; i < n; ++i) reinterpret_cast<T*>(d)[i] = static_cast<T>(reinterpret_cast<T*>(d)[i] + reinterpret_cast<const T*>(s)[i]);
            };
        case scatter_reduction::mul:
            return [](std::byte* d, const std::byte* s, std::int64_t n) {
                for (std::int64_t i = 0; i < n; ++i) reinterpret_cast<T*>(d)[i] = static_cast<T>(reinterpret_cast<T*>(d)[i] * reinterpret_cast<const T*>(s)[i]);
            };
        case scatter_reduction::max:
            return [](std::byte* d, const std::byte* s, std::int64_t n) {
                for (std::int64_t i = 0; i < n; ++i) reinterpret_cast<T*>(d)[i] = std::max(reinterpret_cast<T*>(d)[i], reinterpret_cast<const T*>(s)[i]);
            };
        case scatter_reduction::min:
            return [](std::byte* d, const std::byte* s, std::int64_t n) {
                for (std::int64_t i = 0; i < n; ++i) reinterpret_cast<T*>(d)[i] = std::min(reinterpret_cast<T*>(d)[i], reinterpret_cast<const T*>(s)[i]);
            };
        case scatter_reduction::none: break;
    }
    return nullptr;
}

/// The combine function for a dtype and reduction; nullptr when the dtype has no arithmetic (bool, float16, ...).
[[nodiscard]] inline combine_fn combiner_for(dtype t, scatter_reduction r) {
    combine_fn f = nullptr;
    visit_arith(t, [&](auto tag) { f = combiner<typename decltype(tag)::type>(r); });
    return f;
}

/// ScatterND for every dtype (reduction none), the arithmetic ones with add/mul/max/min; later updates win.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_scatter_nd(const prepare_args& a) {
    const dtype t = a.input_type(0);
    if (size_of(t) == 0) return nullptr;
    const auto red = reduction_of(a);
    const combine_fn combine = red == scatter_reduction::none ? nullptr : combiner_for(t, red);
    if (red != scatter_reduction::none && !combine) return nullptr;
    const sizes_t data = a.input_sizes(0), idx = a.input_sizes(1);
    if (idx.empty()) invalid_node(a, "indices must have rank >= 1");
    const std::int64_t k = idx.back();
    if (k < 0 || static_cast<std::size_t>(k) > data.size()) invalid_node(a, "indices' last dim exceeds data's rank");
    if (product(a.input_sizes(2)) != product(idx, 0, idx.size() - 1) * product(data, static_cast<std::size_t>(k)))
        invalid_node(a, "updates " + text(a.input_sizes(2)) + " do not fit indices " + text(idx) + " and data " + text(data));
    const std::string node = a.n->describe();
    return make_kernel("misc.scatter_nd", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context&) {
        const auto es = static_cast<std::int64_t>(size_of(t));
        std::byte* y = outs[0].data;
        if (y != ins[0].data && ins[0].bytes()) std::memcpy(y, ins[0].data, ins[0].bytes());
        const auto ind = values_of<std::int64_t>(ins[1]);
        const sizes_t st = strides_of(data);
        const std::int64_t tuples = product(idx, 0, idx.size() - 1), slice = product(data, static_cast<std::size_t>(k));
        const std::byte* u = ins[2].data;
        for (std::int64_t q = 0; q < tuples; ++q) {
            std::int64_t off = 0;
            for (std::int64_t j = 0; j < k; ++j) {
                const auto d = static_cast<std::size_t>(j);
                off += checked_index(ind[static_cast<std::size_t>(q * k + j)], data[d], node, "index") * st[d];
            }
            if (combine) combine(y + off * es, u + q * slice * es, slice);
            else std::memcpy(y + off * es, u + q * slice * es, static_cast<std::size_t>(slice * es));
        }
    });
}

/// ScatterElements (and the older Scatter) for every dtype, with reduction for the arithmetic ones.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_scatter_elements(const prepare_args& a) {
    const dtype t = a.input_type(0);
    if (size_of(t) == 0) return nullptr;
    const auto red = reduction_of(a);
    const combine_fn combine = red == scatter_reduction::none ? nullptr : combiner_for(t, red);
    if (red != scatter_reduction::none && !combine) return nullptr;
    const sizes_t data = a.input_sizes(0), idx = a.input_sizes(1);
    if (idx.size() != data.size() || a.input_sizes(2) != idx) invalid_node(a, "indices and updates must have data's rank and one shape");
    const std::size_t axis = axis_of(a, attr_int(a, "axis", 0), data.size());
    for (std::size_t d = 0; d < data.size(); ++d)
        if (d != axis && idx[d] > data[d]) invalid_node(a, "indices " + text(idx) + " exceed data " + text(data) + " off the axis");
    const std::string node = a.n->describe();
    return make_kernel("misc.scatter_elements", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context&) {
        const auto es = static_cast<std::int64_t>(size_of(t));
        std::byte* y = outs[0].data;
        if (y != ins[0].data && ins[0].bytes()) std::memcpy(y, ins[0].data, ins[0].bytes());
        const auto ind = values_of<std::int64_t>(ins[1]);
        const sizes_t st = strides_of(data);
        const std::byte* u = ins[2].data;
        const std::size_t r = idx.size();
        std::vector<std::int64_t> pos(r, 0);
        for (std::size_t i = 0; i < ind.size(); ++i) {
            std::int64_t off = 0;
            for (std::size_t d = 0; d < r; ++d)
                off += (d == axis ? checked_index(ind[i], data[d], node, "index") : pos[d]) * st[d];
            if (combine) combine(y + off * es, u + static_cast<std::int64_t>(i) * es, 1);
            else std::memcpy(y + off * es, u + static_cast<std::int64_t>(i) * es, static_cast<std::size_t>(es));
            for (std::size_t d = r; d-- > 0;) {
                if (++pos[d] < idx[d]) break;
                pos[d] = 0;
            }
        }
    });
}

/// Compress for every dtype: the selected count must be what the plan was sized for (a constant condition).
[[nodiscard]] inline std::unique_ptr<op_kernel> make_compress(const prepare_args& a) {
    const dtype t = a.input_type(0);
    if (size_of(t) == 0) return nullptr;
    const sizes_t in = a.input_sizes(0), out = a.output_sizes(0);
    const bool has_axis = a.n->has_attr("axis");
    const std::size_t axis = has_axis ? axis_of(a, attr_int(a, "axis", 0), in.size()) : 0;
    const std::string node = a.n->describe();
    return make_kernel("misc.compress", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context&) {
        const auto es = static_cast<std::int64_t>(size_of(t));
        const auto cond = values_of<std::int64_t>(ins[1]);
        // without an axis the input is flattened
        const std::int64_t n = has_axis ? in[axis] : product(in);
        const std::int64_t inner = has_axis ? product(in, axis + 1) : 1, outer = has_axis ? product(in, 0, axis) : 1;
        std::vector<std::int64_t> picked;
        for (std::int64_t i = 0; i < std::min<std::int64_t>(n, static_cast<std::int64_t>(cond.size())); ++i)
            if (cond[static_cast<std::size_t>(i)] != 0) picked.push_back(i);
        const std::int64_t planned = has_axis ? out[axis] : out.at(0);
        if (static_cast<std::int64_t>(picked.size()) != planned)
            bad_values(node, "the condition selects " + std::to_string(picked.size()) + " but the plan was made for " + std::to_string(planned));
        const std::byte* x = ins[0].data;
        std::byte* y = outs[0].data;
        const auto m = static_cast<std::int64_t>(picked.size());
        for (std::int64_t o = 0; o < outer; ++o)
            for (std::int64_t j = 0; j < m; ++j)
                std::memcpy(y + (o * m + j) * inner * es, x + (o * n + picked[static_cast<std::size_t>(j)]) * inner * es,
                            static_cast<std::size_t>(inner * es));
    });
}

/// NonZero for every ordered dtype: the count must be what the plan was sized for.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_non_zero(const prepare_args& a) {
    const dtype t = a.input_type(0);
    const sizes_t in = a.input_sizes(0), out = a.output_sizes(0);
    const std::string node = a.n->describe();
    std::unique_ptr<op_kernel> k;
    visit_ordered(t, [&](auto tag) {
        using R = typename decltype(tag)::type;
        k = make_kernel("misc.non_zero", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context&) {
            const std::int64_t total = product(in);
            const std::byte* x = ins[0].data;
            std::vector<std::int64_t> hits;
            for (std::int64_t i = 0; i < total; ++i)
                if (R::load(x, i) != typename R::key{}) hits.push_back(i);
            const auto nnz = static_cast<std::int64_t>(hits.size());
            if (out.size() != 2 || out[1] != nnz)
                bad_values(node, "found " + std::to_string(nnz) + " non-zero elements but the plan was made for " + text(out));
            const sizes_t st = strides_of(in);
            auto* y = outs[0].as<std::int64_t>();
            for (std::size_t d = 0; d < in.size(); ++d)
                for (std::int64_t j = 0; j < nnz; ++j)
                    y[static_cast<std::int64_t>(d) * nnz + j] = (hits[static_cast<std::size_t>(j)] / st[d]) % in[d];
        });
    });
    return k;
}

/// ReverseSequence for every dtype: time_axis and batch_axis 0/1, the first sequence_lens[b] steps reversed.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_reverse_sequence(const prepare_args& a) {
    const dtype t = a.input_type(0);
    if (size_of(t) == 0) return nullptr;
    const sizes_t in = a.input_sizes(0);
    if (in.size() < 2) invalid_node(a, "input must have rank >= 2");
    const std::int64_t time_axis = attr_int(a, "time_axis", 0), batch_axis = attr_int(a, "batch_axis", 1);
    if (!((time_axis == 0 && batch_axis == 1) || (time_axis == 1 && batch_axis == 0)))
        invalid_node(a, "time_axis and batch_axis must be 0 and 1 (in either order)");
    const std::string node = a.n->describe();
    return make_kernel("misc.reverse_sequence", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context&) {
        const auto es = static_cast<std::int64_t>(size_of(t));
        const std::int64_t T = in[static_cast<std::size_t>(time_axis)], B = in[static_cast<std::size_t>(batch_axis)];
        const std::int64_t inner = product(in, 2);
        const auto lens = values_of<std::int64_t>(ins[1]);
        if (static_cast<std::int64_t>(lens.size()) != B) bad_values(node, "sequence_lens must hold one length per batch entry");
        auto at = [&](std::int64_t tt, std::int64_t bb) { return (time_axis == 0 ? tt * B + bb : bb * T + tt) * inner * es; };
        for (std::int64_t b = 0; b < B; ++b) {
            const std::int64_t len = lens[static_cast<std::size_t>(b)];
            if (len < 0 || len > T) bad_values(node, "sequence_lens holds " + std::to_string(len) + ", outside [0, " + std::to_string(T) + "]");
            for (std::int64_t s = 0; s < T; ++s)
                std::memcpy(outs[0].data + at(s, b), ins[0].data + at(s < len ? len - 1 - s : s, b), static_cast<std::size_t>(inner * es));
        }
    });
}

/// EyeLike for every dtype with numbers: ones on diagonal k.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_eye_like(const prepare_args& a) {
    const dtype t = a.outputs.at(0).elem;
    if (size_of(t) == 0 || t == dtype::complex64 || t == dtype::complex128) return nullptr;
    const sizes_t out = a.output_sizes(0);
    if (out.size() != 2) invalid_node(a, "EyeLike needs a 2-D input");
    const std::int64_t k = attr_int(a, "k", 0);
    const auto one = scalar_bytes(t, 1.0);
    return make_kernel("misc.eye_like", [=](std::span<const tensor_ref>, std::span<const tensor_ref> outs, exec_context&) {
        const auto es = static_cast<std::int64_t>(one.size());
        std::memset(outs[0].data, 0, outs[0].bytes());
        for (std::int64_t i = 0; i < out[0]; ++i)
            if (i + k >= 0 && i + k < out[1]) std::memcpy(outs[0].data + (i * out[1] + i + k) * es, one.data(), one.size());
    });
}

// ---- Einsum --------------------------------------------------------------------------------------

/// Einsum parsed for the gear's shapes: every label (letters, and one per broadcast "..." dim) with its extent,
/// each operand's stride per label (summed for a repeated label: a diagonal; 0 where a size-1 dim broadcasts).
struct einsum_plan {
    sizes_t out_sizes;                         ///< extents of the output labels, in output order
    sizes_t sum_sizes;                         ///< extents of the summed labels
    std::vector<sizes_t> out_strides;          ///< [operand][output label]
    std::vector<sizes_t> sum_strides;          ///< [operand][summed label]
};

[[nodiscard]] inline einsum_plan plan_einsum(const prepare_args& a) {
    std::string eq;
    for (char ch : attr_string(a, "equation", ""))
        if (ch != ' ' && ch != '\t') eq += ch;
    const auto arrow = eq.find("->");
    const std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
    const std::size_t n_ops = a.inputs.size();
    // labels: letters as their char code, "..." dims as 128 + position (right-aligned across operands)
    std::vector<std::vector<int>> labels;
    std::vector<std::string> terms;
    for (std::size_t start = 0;;) {
        const auto comma = lhs.find(',', start);
        terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (terms.size() != n_ops) invalid_node(a, "equation '" + eq + "' does not have one term per input");
    auto letters_of = [&](const std::string& s, std::size_t& ell) {
        std::vector<int> out;
        ell = std::string::npos;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (std::isalpha(static_cast<unsigned char>(s[i]))) out.push_back(s[i]);
            else if (s.compare(i, 3, "...") == 0 && ell == std::string::npos) {
                ell = out.size();
                i += 2;
            } else invalid_node(a, "equation '" + eq + "' is malformed");
        }
        return out;
    };
    std::size_t ell_rank = 0;
    std::vector<std::size_t> ells(n_ops);
    std::vector<std::vector<int>> letters(n_ops);
    for (std::size_t k = 0; k < n_ops; ++k) {
        letters[k] = letters_of(terms[k], ells[k]);
        const std::size_t rank = a.input_sizes(k).size();
        if (ells[k] == std::string::npos ? rank != letters[k].size() : rank < letters[k].size())
            invalid_node(a, "term '" + terms[k] + "' does not fit input " + std::to_string(k) + " " + text(a.input_sizes(k)));
        if (ells[k] != std::string::npos) ell_rank = std::max(ell_rank, rank - letters[k].size());
    }
    std::vector<std::int64_t> extent(128 + ell_rank, -1);
    std::vector<int> count(128 + ell_rank, 0);
    for (std::size_t k = 0; k < n_ops; ++k) {
        const sizes_t s = a.input_sizes(k);
        const std::size_t e = s.size() - letters[k].size();
        std::vector<int> full;
        for (std::size_t i = 0; i <= letters[k].size(); ++i) {
            if (i == ells[k])
                for (std::size_t j = 0; j < e; ++j) full.push_back(static_cast<int>(128 + ell_rank - e + j));
            if (i < letters[k].size()) full.push_back(letters[k][i]);
        }
        for (std::size_t i = 0; i < full.size(); ++i) {
            auto& x = extent[static_cast<std::size_t>(full[i])];
            ++count[static_cast<std::size_t>(full[i])];
            if (x == -1 || x == 1) x = s[i];
            else if (s[i] != 1 && s[i] != x) invalid_node(a, "label extents differ in equation '" + eq + "'");
        }
        labels.push_back(std::move(full));
    }
    std::vector<int> out_labels;
    if (arrow != std::string::npos) {
        std::size_t ell = 0;
        const auto l = letters_of(eq.substr(arrow + 2), ell);
        for (std::size_t i = 0; i <= l.size(); ++i) {
            if (i == ell)
                for (std::size_t j = 0; j < ell_rank; ++j) out_labels.push_back(static_cast<int>(128 + j));
            if (i < l.size()) {
                if (extent[static_cast<std::size_t>(l[i])] == -1) invalid_node(a, "output label not in any input");
                out_labels.push_back(l[i]);
            }
        }
    } else {
        for (std::size_t j = 0; j < ell_rank; ++j) out_labels.push_back(static_cast<int>(128 + j));
        for (int ch = 0; ch < 128; ++ch)
            if (count[static_cast<std::size_t>(ch)] == 1) out_labels.push_back(ch);
    }
    einsum_plan p;
    std::vector<int> sum_labels;
    for (std::size_t l = 0; l < extent.size(); ++l)
        if (extent[l] != -1 && std::find(out_labels.begin(), out_labels.end(), static_cast<int>(l)) == out_labels.end())
            sum_labels.push_back(static_cast<int>(l));
    for (int l : out_labels) p.out_sizes.push_back(extent[static_cast<std::size_t>(l)]);
    for (int l : sum_labels) p.sum_sizes.push_back(extent[static_cast<std::size_t>(l)]);
    if (p.out_sizes != a.output_sizes(0)) invalid_node(a, "equation gives " + text(p.out_sizes) + " but the planned output is " + text(a.output_sizes(0)));
    for (std::size_t k = 0; k < n_ops; ++k) {
        const sizes_t s = a.input_sizes(k), st = strides_of(s);
        auto stride_of = [&](int label) {
            std::int64_t v = 0;
            for (std::size_t i = 0; i < labels[k].size(); ++i)
                if (labels[k][i] == label && !(s[i] == 1 && extent[static_cast<std::size_t>(label)] != 1)) v += st[i];
            return v;
        };
        sizes_t os, ss;
        for (int l : out_labels) os.push_back(stride_of(l));
        for (int l : sum_labels) ss.push_back(stride_of(l));
        p.out_strides.push_back(std::move(os));
        p.sum_strides.push_back(std::move(ss));
    }
    return p;
}

/// Einsum for the arithmetic dtypes: any equation (implicit or explicit output, "...", diagonals, broadcasting); per
/// output element a loop over the summed labels, accumulated in double (64-bit integers for integer types).
[[nodiscard]] inline std::unique_ptr<op_kernel> make_einsum(const prepare_args& a) {
    const dtype t = a.input_type(0);
    for (std::size_t i = 0; i < a.inputs.size(); ++i)
        if (a.input_type(i) != t) return nullptr;
    std::unique_ptr<op_kernel> k;
    const einsum_plan p = plan_einsum(a);
    visit_arith(t, [&](auto tag) {
        using T = typename decltype(tag)::type;
        using A = accumulator_t<T>;
        k = make_kernel("misc.einsum", [p](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context& ctx) {
            const std::size_t n_ops = ins.size(), n_out = p.out_sizes.size(), n_sum = p.sum_sizes.size();
            const std::int64_t total = product(p.out_sizes), work = product(p.sum_sizes);
            T* y = outs[0].as<T>();
            parallel_for(ctx, total, grain_for(work * static_cast<std::int64_t>(n_ops)), [&](std::int64_t b, std::int64_t e) {
                std::vector<std::int64_t> off(n_ops), idx(n_sum);
                for (std::int64_t i = b; i < e; ++i) {
                    std::fill(off.begin(), off.end(), 0);
                    std::int64_t rem = i;
                    for (std::size_t l = n_out; l-- > 0;) {
                        const std::int64_t c = rem % p.out_sizes[l];
                        rem /= p.out_sizes[l];
                        for (std::size_t k = 0; k < n_ops; ++k) off[k] += c * p.out_strides[k][l];
                    }
                    A acc{};
                    if (work > 0) {
                        std::fill(idx.begin(), idx.end(), 0);
                        for (;;) {
                            A prod = A{1};
                            for (std::size_t k = 0; k < n_ops; ++k) prod *= static_cast<A>(ins[k].as<const T>()[off[k]]);
                            acc += prod;
                            std::size_t l = n_sum;
                            for (; l-- > 0;) {
                                for (std::size_t k = 0; k < n_ops; ++k) off[k] += p.sum_strides[k][l];
                                if (++idx[l] < p.sum_sizes[l]) break;
                                for (std::size_t k = 0; k < n_ops; ++k) off[k] -= p.sum_strides[k][l] * p.sum_sizes[l];
                                idx[l] = 0;
                            }
                            if (l == std::numeric_limits<std::size_t>::max()) break;
                        }
                    }
                    y[i] = narrow<T>(acc);
                }
            });
        });
    });
    return k;
}

// ---- NonMaxSuppression ---------------------------------------------------------------------------

/// NonMaxSuppression as ONNX Runtime computes it (greedy per batch and class, by score then index); the number
/// selected must be what the plan was sized for.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_nms(const prepare_args& a) {
    if (a.input_type(0) != dtype::float32 || a.input_type(1) != dtype::float32) return nullptr;
    const sizes_t boxes = a.input_sizes(0), scores = a.input_sizes(1), out = a.output_sizes(0);
    if (boxes.size() != 3 || boxes[2] != 4 || scores.size() != 3 || scores[0] != boxes[0] || scores[2] != boxes[1])
        invalid_node(a, "boxes must be [batches, boxes, 4] and scores [batches, classes, boxes]");
    const bool center = attr_int(a, "center_point_box", 0) != 0;
    const std::string node = a.n->describe();
    return make_kernel("misc.non_max_suppression", [=](std::span<const tensor_ref> ins, std::span<const tensor_ref> outs, exec_context&) {
        const std::int64_t B = scores[0], C = scores[1], S = scores[2];
        const auto max_out = present(ins, 2) ? values_of<std::int64_t>(ins[2]) : std::vector<std::int64_t>{};
        const auto iou_v = present(ins, 3) ? values_of<double>(ins[3]) : std::vector<double>{};
        const auto score_v = present(ins, 4) ? values_of<double>(ins[4]) : std::vector<double>{};
        const std::int64_t limit = max_out.empty() ? 0 : max_out[0];
        const auto iou_threshold = static_cast<float>(iou_v.empty() ? 0.0 : iou_v[0]);
        const bool thresholded = !score_v.empty();
        const auto score_threshold = static_cast<float>(thresholded ? score_v[0] : 0.0);
        const float* bx = ins[0].as<const float>();
        const float* sc = ins[1].as<const float>();
        // corners y1 x1 y2 x2 of box i of batch b, min first
        auto corners = [&](std::int64_t b, std::int64_t i) {
            const float* p = bx + (b * S + i) * 4;
            std::array<float, 4> c{};
            if (center) c = {p[1] - p[3] / 2, p[0] - p[2] / 2, p[1] + p[3] / 2, p[0] + p[2] / 2};
            else c = {std::min(p[0], p[2]), std::min(p[1], p[3]), std::max(p[0], p[2]), std::max(p[1], p[3])};
            return c;
        };
        auto suppresses = [&](const std::array<float, 4>& u, const std::array<float, 4>& v) {
            const float ih = std::min(u[2], v[2]) - std::max(u[0], v[0]), iw = std::min(u[3], v[3]) - std::max(u[1], v[1]);
            if (ih <= 0 || iw <= 0) return false;
            const float inter = ih * iw;
            const float au = (u[2] - u[0]) * (u[3] - u[1]), av = (v[2] - v[0]) * (v[3] - v[1]);
            const float uni = au + av - inter;
            if (au <= 0 || av <= 0 || uni <= 0) return false;
            return inter / uni > iou_threshold;
        };
        std::vector<std::int64_t> selected;  // batch, class, box triples
        for (std::int64_t b = 0; b < B && limit > 0; ++b)
            for (std::int64_t c = 0; c < C; ++c) {
                const float* s = sc + (b * C + c) * S;
                std::vector<std::int64_t> cand;
                for (std::int64_t i = 0; i < S; ++i)
                    if (!thresholded || s[i] > score_threshold) cand.push_back(i);
                std::stable_sort(cand.begin(), cand.end(), [&](std::int64_t i, std::int64_t j) { return s[i] > s[j]; });
                std::vector<std::array<float, 4>> kept;
                for (auto i : cand) {
                    if (static_cast<std::int64_t>(kept.size()) >= limit) break;
                    const auto box = corners(b, i);
                    if (std::any_of(kept.begin(), kept.end(), [&](const auto& k) { return suppresses(k, box); })) continue;
                    kept.push_back(box);
                    selected.insert(selected.end(), {b, c, i});
                }
            }
        const auto n = static_cast<std::int64_t>(selected.size() / 3);
        if (out.size() != 2 || out[0] != n)
            bad_values(node, "selected " + std::to_string(n) + " boxes but the plan was made for " + text(out));
        if (n) std::memcpy(outs[0].data, selected.data(), selected.size() * sizeof(std::int64_t));
    });
}

}  // namespace detail::misc

/// Registers this family's kernels in `t`: every operator of gearc's shape rules that neither the reference evaluator
/// nor the conv/pool, gemm and elementwise families cover.
inline void register_misc(kernel_table& t) {
    using namespace detail::misc;
    // a factory that declines nodes whose shapes are not static (no plan can hold them) before preparing
    auto add = [&t](const char* op, std::unique_ptr<op_kernel> (*make)(const prepare_args&)) {
        t.add("", op, [make](const prepare_args& a) -> std::unique_ptr<op_kernel> {
            for (const auto& v : a.inputs)
                if (v.elem != dtype::undefined && (!v.dims || !v.dims->is_static())) return nullptr;
            for (const auto& v : a.outputs)
                if (v.elem != dtype::undefined && (!v.dims || !v.dims->is_static())) return nullptr;
            if (a.inputs.empty() || !a.has_input(0)) return nullptr;
            return make(a);
        });
    };
    add("LSTM", [](const prepare_args& a) { return make_recurrent(a, rnn_cell::lstm); });
    add("GRU", [](const prepare_args& a) { return make_recurrent(a, rnn_cell::gru); });
    add("RNN", [](const prepare_args& a) { return make_recurrent(a, rnn_cell::rnn); });
    add("Resize", [](const prepare_args& a) { return make_resize(a, false); });
    add("Upsample", [](const prepare_args& a) { return make_resize(a, true); });
    add("Pad", &make_pad);
    add("DepthToSpace", [](const prepare_args& a) { return make_depth_space(a, true); });
    add("SpaceToDepth", [](const prepare_args& a) { return make_depth_space(a, false); });
    add("ArgMax", [](const prepare_args& a) { return make_arg(a, true); });
    add("ArgMin", [](const prepare_args& a) { return make_arg(a, false); });
    add("TopK", &make_topk);
    add("CumSum", &make_cumsum);
    add("ReduceL1", [](const prepare_args& a) { return make_reduce(a, reduce_op::l1); });
    add("ReduceL2", [](const prepare_args& a) { return make_reduce(a, reduce_op::l2); });
    add("ReduceLogSum", [](const prepare_args& a) { return make_reduce(a, reduce_op::log_sum); });
    add("ReduceLogSumExp", [](const prepare_args& a) { return make_reduce(a, reduce_op::log_sum_exp); });
    add("ReduceSumSquare", [](const prepare_args& a) { return make_reduce(a, reduce_op::sum_square); });
    add("OneHot", &make_one_hot);
    add("GatherND", &make_gather_nd);
    add("ScatterND", &make_scatter_nd);
    add("ScatterElements", &make_scatter_elements);
    add("Scatter", &make_scatter_elements);
    add("Compress", &make_compress);
    add("NonZero", &make_non_zero);
    add("ReverseSequence", &make_reverse_sequence);
    add("EyeLike", &make_eye_like);
    add("Einsum", &make_einsum);
    add("NonMaxSuppression", &make_nms);
}

}  // namespace kernels::cpu

GEARC_END_NAMESPACE
