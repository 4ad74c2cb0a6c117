// CPU kernels: convolution and pooling (Conv, FusedConv, ConvTranspose, MaxPool, AveragePool, LpPool, GlobalAveragePool, GlobalMaxPool).
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/kernels/kernel.hpp>

// GCC 12.2 with -march=native (AVX-512) reports false (maybe-)uninitialized warnings inside its own intrinsics
// (_mm512_undefined_ps, GCC bug 105593) when Eigen's GEMM and reductions inline them; fixed in GCC 12.3.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <Eigen/Core>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace kernels::cpu {

/// The tunable parameters of the Conv, FusedConv and ConvTranspose kernels. The defaults choose everything
/// from the node's static shapes; a forced algorithm that cannot run a node (gemm_1x1 on a 3x3 conv,
/// depthwise on a grouped one) falls back to the automatic choice, and the kernel's name says what ran.
struct conv_params {
    enum class algorithm {
        automatic,    ///< gemm_1x1 for 1x1 stride-1 unpadded convs, depthwise when each group has one input channel, else im2col_gemm
        gemm_1x1,     ///< Y = W * X per group: no copy of the input
        depthwise,    ///< direct, one input channel per output channel, vectorised along the output rows
        im2col_gemm,  ///< a cache-sized tile of im2col columns per thread, then one GEMM per tile
        direct,       ///< direct for any group size (no scratch)
    };
    algorithm algo = algorithm::automatic;
    std::int64_t tile_oc = 0;       ///< output channels per work item; 0: a whole group, split only when work items are too few
    std::int64_t tile_spatial = 0;  ///< output (ConvTranspose: input) positions per work item; 0: from cache_bytes and the threads
    std::size_t threads = 0;        ///< most threads one run uses; 0: prepare_args::threads
    std::size_t cache_bytes = std::size_t(256) << 10;  ///< per-thread budget of an im2col / col2im tile (about an L2)
};

namespace detail::conv_pool {

using index = std::int64_t;
using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using strided_rows = Eigen::OuterStride<>;
using array_map = Eigen::Map<Eigen::ArrayXf>;
using const_array_map = Eigen::Map<const Eigen::ArrayXf>;

/// Floor and ceiling of a / b for b > 0 and any sign of a.
[[nodiscard]] constexpr index floor_div(index a, index b) noexcept { return a / b - (a % b != 0 && a < 0 ? 1 : 0); }
[[nodiscard]] constexpr index ceil_div(index a, index b) noexcept { return -floor_div(-a, b); }

/// The outputs o in [0, outs) whose tap o * stride + offset lands in [0, extent): [first, second).
[[nodiscard]] constexpr std::pair<index, index> valid_range(index offset, index stride, index extent, index outs) noexcept {
    const index lo = std::clamp<index>(ceil_div(-offset, stride), 0, outs);
    const index hi = std::clamp<index>(floor_div(extent - 1 - offset, stride) + 1, lo, outs);
    return {lo, hi};
}

/// A sliding window over 1 to 3 spatial dims, stored as 3 (missing leading dims have size 1, no padding):
/// one code path serves 1-D, 2-D and 3-D. For ConvTranspose `in` is X's and `out` Y's spatial extent and a
/// tap maps input i to output i * stride - pad + k * dilation.
struct window {
    static constexpr std::size_t max_dims = 3;
    std::size_t dims = 0;
    std::array<index, 3> in{1, 1, 1}, out{1, 1, 1}, k{1, 1, 1}, stride{1, 1, 1}, dilation{1, 1, 1};
    std::array<index, 3> pad{0, 0, 0}, pad_end{0, 0, 0};  ///< padding before and after (forward windows)

    [[nodiscard]] index in_size() const noexcept { return in[0] * in[1] * in[2]; }
    [[nodiscard]] index out_size() const noexcept { return out[0] * out[1] * out[2]; }
    [[nodiscard]] index k_size() const noexcept { return k[0] * k[1] * k[2]; }
    [[nodiscard]] index extent(std::size_t d) const noexcept { return (k[d] - 1) * dilation[d] + 1; }
};

enum class pad_mode { notset, same_upper, same_lower, valid };

[[nodiscard]] inline std::optional<pad_mode> pad_mode_of(const node& n) {
    const auto s = n.attr_or<std::string>("auto_pad", "NOTSET");
    if (s == "NOTSET" || s.empty()) return pad_mode::notset;
    if (s == "SAME_UPPER") return pad_mode::same_upper;
    if (s == "SAME_LOWER") return pad_mode::same_lower;
    if (s == "VALID") return pad_mode::valid;
    return std::nullopt;
}

/// An INTS attribute with `size` values, `fill` each when absent; nullopt when it has another length.
[[nodiscard]] inline std::optional<std::vector<index>> ints_of(const node& n, std::string_view name, std::size_t size, index fill) {
    auto v = n.attr_or<std::vector<index>>(name, {});
    if (!n.has_attr(name)) v.assign(size, fill);
    if (v.size() != size) return std::nullopt;
    return v;
}

/// Static sizes of a tensor type, nullopt unless float32 (or `want`) with a static shape of rank in [lo, hi].
[[nodiscard]] inline std::optional<std::vector<index>> static_sizes(const value_type& t, std::size_t lo, std::size_t hi,
                                                                     dtype want = dtype::float32) {
    if (t.elem != want || !t.has_shape() || !t.dims->is_static()) return std::nullopt;
    auto s = t.dims->sizes();
    if (s.size() < lo || s.size() > hi) return std::nullopt;
    return s;
}

/// The spatial geometry of a Conv or pooling node: strides, dilations and ONNX's padding (auto_pad's
/// SAME_* split the total padding (out-1)*stride + extent - in, the odd one at the end for SAME_UPPER).
/// `x` and `y` are the full [N, C, spatial...] sizes, `kernel` the spatial kernel.
[[nodiscard]] inline std::optional<window> forward_window(const node& n, const std::vector<index>& x, const std::vector<index>& y,
                                                          const std::vector<index>& kernel) {
    const std::size_t dims = x.size() - 2;
    if (dims < 1 || dims > window::max_dims || y.size() != x.size() || kernel.size() != dims) return std::nullopt;
    const auto mode = pad_mode_of(n);
    const auto strides = ints_of(n, "strides", dims, 1);
    const auto dilations = ints_of(n, "dilations", dims, 1);
    const auto pads = ints_of(n, "pads", 2 * dims, 0);
    if (!mode || !strides || !dilations || !pads) return std::nullopt;
    window w;
    w.dims = dims;
    for (std::size_t i = 0; i < dims; ++i) {
        const std::size_t d = window::max_dims - dims + i;
        w.in[d] = x[2 + i];
        w.out[d] = y[2 + i];
        w.k[d] = kernel[i];
        w.stride[d] = (*strides)[i];
        w.dilation[d] = (*dilations)[i];
        if (w.stride[d] < 1 || w.dilation[d] < 1 || w.k[d] < 1) return std::nullopt;
        switch (*mode) {
            case pad_mode::notset:
                w.pad[d] = (*pads)[i];
                w.pad_end[d] = (*pads)[i + dims];
                break;
            case pad_mode::valid: break;
            case pad_mode::same_upper:
            case pad_mode::same_lower: {
                const index total = std::max<index>(0, (w.out[d] - 1) * w.stride[d] + w.extent(d) - w.in[d]);
                w.pad[d] = *mode == pad_mode::same_upper ? total / 2 : total - total / 2;
                w.pad_end[d] = total - w.pad[d];
                break;
            }
        }
        if (w.pad[d] < 0 || w.pad_end[d] < 0) return std::nullopt;
    }
    return w;
}

/// ConvTranspose's geometry. The output's extent is the planned one (from output_shape, auto_pad or pads);
/// the padding before the output is pads' begin, or, when output_shape or SAME_* decide the size, derived
/// from total = stride*(in-1) + output_padding + extent - out as the ONNX spec says: SAME_UPPER puts
/// floor(total/2) before, SAME_LOWER and NOTSET put total - floor(total/2) before.
[[nodiscard]] inline std::optional<window> transpose_window(const node& n, const std::vector<index>& x, const std::vector<index>& y,
                                                            const std::vector<index>& kernel) {
    const std::size_t dims = x.size() - 2;
    if (dims < 1 || dims > window::max_dims || y.size() != x.size() || kernel.size() != dims) return std::nullopt;
    const auto mode = pad_mode_of(n);
    const auto strides = ints_of(n, "strides", dims, 1);
    const auto dilations = ints_of(n, "dilations", dims, 1);
    const auto pads = ints_of(n, "pads", 2 * dims, 0);
    const auto out_pad = ints_of(n, "output_padding", dims, 0);
    if (!mode || !strides || !dilations || !pads || !out_pad) return std::nullopt;
    const bool from_total = *mode == pad_mode::same_upper || *mode == pad_mode::same_lower ||
                            (*mode == pad_mode::notset && n.has_attr("output_shape"));
    window w;
    w.dims = dims;
    for (std::size_t i = 0; i < dims; ++i) {
        const std::size_t d = window::max_dims - dims + i;
        w.in[d] = x[2 + i];
        w.out[d] = y[2 + i];
        w.k[d] = kernel[i];
        w.stride[d] = (*strides)[i];
        w.dilation[d] = (*dilations)[i];
        if (w.stride[d] < 1 || w.dilation[d] < 1 || w.k[d] < 1) return std::nullopt;
        if (from_total) {
            const index total = w.stride[d] * (w.in[d] - 1) + (*out_pad)[i] + w.extent(d) - w.out[d];
            const index half = floor_div(total, 2);
            w.pad[d] = *mode == pad_mode::same_upper ? half : total - half;
        } else if (*mode == pad_mode::notset) {
            w.pad[d] = (*pads)[i];
        }
    }
    return w;
}

/// Runs body(item, slot) for every item in [0, items) on up to `slots` threads of the pool, each thread
/// taking the next item as it finishes one (balanced when items differ in cost). `slot` < slots is the
/// running thread's own: it indexes a per-thread part of the scratch buffer.
template <class F>
void for_items(exec_context& ctx, std::size_t slots, index items, F&& body) {
    if (items <= 0) return;
    std::size_t workers = ctx.pool ? std::min(slots, ctx.pool->size()) : 1;
    workers = std::min<std::size_t>(workers, static_cast<std::size_t>(items));
    if (workers <= 1) {
        for (index i = 0; i < items; ++i) body(i, std::size_t{0});
        return;
    }
    std::atomic<index> next{0};
    // one chunk per slot: parallel_for hands out disjoint [b, e), so no two threads share a slot
    ctx.pool->parallel_for(static_cast<index>(workers), 1, [&](index b, index e) {
        for (index s = b; s < e; ++s)
            for (index i = next.fetch_add(1, std::memory_order_relaxed); i < items; i = next.fetch_add(1, std::memory_order_relaxed))
                body(i, static_cast<std::size_t>(s));
    });
}

/// A float tensor the kernel keeps from prepare time (weights, bias): shared with the graph, not copied
/// (a hundred gears share one copy of the weights), unless its bytes are not float-aligned.
class float_constant {
public:
    float_constant() = default;
    explicit float_constant(const tensor& t) : keep_(t) {
        if (reinterpret_cast<std::uintptr_t>(t.data().data()) % alignof(float) != 0) {
            copy_.resize(static_cast<std::size_t>(t.numel()));
            if (!copy_.empty()) std::memcpy(copy_.data(), t.data().data(), copy_.size() * sizeof(float));
        }
        present_ = true;
    }
    [[nodiscard]] explicit operator bool() const noexcept { return present_; }
    [[nodiscard]] const float* get() const noexcept {
        return copy_.empty() ? reinterpret_cast<const float*>(keep_.data().data()) : copy_.data();
    }

private:
    tensor keep_;
    std::vector<float> copy_;
    bool present_ = false;
};

/// Input i's data: the constant kept at prepare time, else the tensor given to run(); nullptr when absent.
[[nodiscard]] inline const float* input_data(const float_constant& c, std::span<const tensor_ref> in, std::size_t i) {
    if (c) return c.get();
    return i < in.size() && in[i].data ? in[i].as<const float>() : nullptr;
}

/// The activation a FusedConv applies after its bias, applied to each output row while it is in cache.
struct epilogue {
    enum class kind { none, relu, sigmoid, tanh, hard_swish, leaky_relu, hard_sigmoid, clip };
    kind act = kind::none;
    float alpha = 0.f, beta = 0.f;
    std::string op;  ///< the ONNX name, for the kernel's name

    /// From FusedConv's `activation` and `activation_params` (see passes/fuse_activation.hpp).
    [[nodiscard]] static std::optional<epilogue> of(const node& n) {
        epilogue e;
        if (!n.has_attr("activation")) return e;
        e.op = n.attr<std::string>("activation");
        const auto p = n.attr_or<std::vector<float>>("activation_params", {});
        auto param = [&](std::size_t i, float fallback) { return i < p.size() ? p[i] : fallback; };
        if (e.op == "Relu") e.act = kind::relu;
        else if (e.op == "Sigmoid") e.act = kind::sigmoid;
        else if (e.op == "Tanh") e.act = kind::tanh;
        else if (e.op == "HardSwish") e.act = kind::hard_swish;
        else if (e.op == "LeakyRelu") e = {kind::leaky_relu, param(0, 0.01f), 0.f, e.op};
        else if (e.op == "HardSigmoid") e = {kind::hard_sigmoid, param(0, 0.2f), param(1, 0.5f), e.op};
        else if (e.op == "Clip") e = {kind::clip, param(0, std::numeric_limits<float>::lowest()), param(1, std::numeric_limits<float>::max()), e.op};
        else return std::nullopt;
        return e;
    }

    /// y[0, n) = act(y + bias).
    void apply(float* y, index n, float bias) const {
        array_map v(y, n);
        switch (act) {
            case kind::none:
                if (bias != 0.f) v += bias;
                return;
            case kind::relu: v = (v + bias).max(0.f); return;
            case kind::sigmoid: v = (v + bias).logistic(); return;
            case kind::tanh: v = (v + bias).tanh(); return;
            case kind::hard_swish:
                v += bias;
                v = v * (v * (1.f / 6.f) + 0.5f).max(0.f).min(1.f);
                return;
            case kind::leaky_relu:
                v += bias;
                v = (v >= 0.f).select(v, v * alpha);
                return;
            case kind::hard_sigmoid: v = ((v + bias) * alpha + beta).max(0.f).min(1.f); return;
            case kind::clip: v = (v + bias).max(alpha).min(beta); return;
        }
    }
};

/// One input row that contributes to an output row of a direct convolution, and its k[2] weights.
struct row_tap {
    const float* x;
    const float* w;
};

/// Row geometry of a direct convolution along the last spatial dim.
struct row_geometry {
    index out, in, stride, dilation, pad, k;
};

// Eigen's packets are vector types: naming one as a template argument drops its alignment attribute, harmlessly
// here (values only, loads and stores are unaligned).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
/// y[o] = sum over taps t and kw of t.w[kw] * t.x[o * stride + kw * dilation - pad], for o in [o, end) where
/// every tap is inside the row: whole SIMD packets accumulate in a register, then half packets, down to
/// Eigen's smallest; returns where it stopped.
template <class Packet>
index direct_span(float* y, index o, index end, const row_tap* taps, std::size_t n_taps, const row_geometry& r) {
    namespace ei = Eigen::internal;
    constexpr index size = ei::unpacket_traits<Packet>::size;
    for (; o + size <= end; o += size) {
        Packet acc = ei::pset1<Packet>(0.f);
        for (std::size_t t = 0; t < n_taps; ++t) {
            const float* xs = taps[t].x + o * r.stride - r.pad;
            for (index kw = 0; kw < r.k; ++kw) {
                const float* p = xs + kw * r.dilation;
                const Packet v = r.stride == 1 ? ei::ploadu<Packet>(p) : ei::pgather<float, Packet>(p, r.stride);
                acc = ei::pmadd(ei::pset1<Packet>(taps[t].w[kw]), v, acc);
            }
        }
        ei::pstoreu(y + o, acc);
    }
    using half = typename ei::unpacket_traits<Packet>::half;
    if constexpr (ei::unpacket_traits<half>::size < size) return direct_span<half>(y, o, end, taps, n_taps, r);
    return o;
}

/// y[o] for o in [0, r.out): vectorised where all taps are inside the input row (`inner`), checked at the edges.
inline void direct_row(float* y, const row_tap* taps, std::size_t n_taps, const row_geometry& r, std::pair<index, index> inner) {
    auto scalar = [&](index o) {
        float acc = 0.f;
        for (std::size_t t = 0; t < n_taps; ++t)
            for (index kw = 0; kw < r.k; ++kw) {
                const index i = o * r.stride + kw * r.dilation - r.pad;
                if (i >= 0 && i < r.in) acc += taps[t].w[kw] * taps[t].x[i];
            }
        y[o] = acc;
    };
    const auto [lo, hi] = inner;
    for (index o = 0; o < lo; ++o) scalar(o);
    index o = lo;
    if (hi > lo) o = direct_span<typename Eigen::internal::packet_traits<float>::type>(y, lo, hi, taps, n_taps, r);
    for (; o < r.out; ++o) scalar(o);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Work split for the GEMM algorithms: tiles of output channels and of spatial positions.
struct tiling {
    index oc = 1, spatial = 1;  ///< tile sizes
    index oc_tiles = 1, spatial_tiles = 1;
};

/// Tiles that keep `bytes_per_column` * spatial within `p.cache_bytes` (when the algorithm stages a tile)
/// and give each of `slots` threads a couple of items: spatial tiles shrink first (no redundant work),
/// then output channels split.
[[nodiscard]] inline tiling choose_tiles(const conv_params& p, std::size_t slots, index outer_items, index channels, index positions,
                                         index bytes_per_column) {
    tiling t;
    const index want = static_cast<index>(slots) > 1 ? 2 * static_cast<index>(slots) : 1;
    constexpr index min_spatial = 32;
    if (p.tile_spatial > 0) {
        t.spatial = std::min(p.tile_spatial, positions);
    } else {
        t.spatial = positions;
        if (bytes_per_column > 0)
            t.spatial = std::min<index>(positions, std::max<index>(min_spatial, static_cast<index>(p.cache_bytes) / bytes_per_column / 8 * 8));
        const index tiles = ceil_div(positions, t.spatial);
        if (outer_items * tiles < want) {
            const index need = ceil_div(want, outer_items);
            t.spatial = std::min(t.spatial, std::max<index>(std::min(min_spatial, positions), ceil_div(positions, need)));
        }
    }
    t.spatial = std::max<index>(1, t.spatial);
    t.spatial_tiles = ceil_div(positions, t.spatial);
    if (p.tile_oc > 0) {
        t.oc = std::min(p.tile_oc, channels);
    } else {
        t.oc = channels;
        if (outer_items * t.spatial_tiles < want) {
            const index need = ceil_div(want, outer_items * t.spatial_tiles);
            t.oc = std::max<index>(1, ceil_div(channels, need));
        }
    }
    t.oc = std::max<index>(1, t.oc);
    t.oc_tiles = ceil_div(channels, t.oc);
    return t;
}

[[nodiscard]] inline std::size_t slots_of(const prepare_args& a, std::size_t threads) {
    return std::max<std::size_t>(1, threads ? threads : a.threads);
}

[[nodiscard]] inline std::size_t round_up64(std::size_t bytes) noexcept { return (bytes + 63) / 64 * 64; }

// ---- Conv / FusedConv ---------------------------------------------------------------------------------

/// Conv and FusedConv on float32, NCHW (1-D to 3-D): Y = act(conv(X, W) + B), grouped, strided, dilated, padded.
class conv_kernel final : public op_kernel {
public:
    using algorithm = conv_params::algorithm;

    conv_kernel(const prepare_args& a, const conv_params& p, window w, epilogue e, const std::vector<index>& x, const std::vector<index>& wt,
                index group)
        : w_(w), ep_(std::move(e)), n_(x[0]), c_(x[1]), m_(wt[0]), g_(group), cg_(wt[1]), mg_(wt[0] / group), slots_(slots_of(a, p.threads)) {
        k_ = w_.k_size();
        if (a.constants.size() > 1 && a.constants[1]) weights_ = float_constant(*a.constants[1]);
        if (a.constants.size() > 2 && a.constants[2] && a.has_input(2)) bias_ = float_constant(*a.constants[2]);
        algo_ = choose(p.algo);
        const index outer = n_ * g_;
        switch (algo_) {
            case algorithm::gemm_1x1: tiles_ = choose_tiles(p, slots_, outer, mg_, w_.out_size(), 0); break;
            case algorithm::im2col_gemm:
                tiles_ = choose_tiles(p, slots_, outer, mg_, w_.out_size(), cg_ * k_ * static_cast<index>(sizeof(float)));
                slot_bytes_ = round_up64(static_cast<std::size_t>(cg_ * k_ * tiles_.spatial) * sizeof(float));
                break;
            case algorithm::depthwise:
            case algorithm::direct: {
                // items: (image, output channel, block of output rows); a block is whole rows
                const index rows = w_.out[0] * w_.out[1];
                index per = p.tile_spatial > 0 ? std::max<index>(1, p.tile_spatial / w_.out[2]) : rows;
                const index want = slots_ > 1 ? 2 * static_cast<index>(slots_) : 1;
                if (n_ * m_ * ceil_div(rows, per) < want) per = std::max<index>(1, rows / ceil_div(want, n_ * m_));
                rows_per_item_ = per;
                break;
            }
            case algorithm::automatic: break;
        }
        // the valid output columns of each horizontal tap, shared by every row, and where all of them are valid
        inner_ = {0, w_.out[2]};
        for (index kw = 0; kw < w_.k[2]; ++kw) {
            col_range_.push_back(valid_range(kw * w_.dilation[2] - w_.pad[2], w_.stride[2], w_.in[2], w_.out[2]));
            inner_ = {std::max(inner_.first, col_range_.back().first), std::min(inner_.second, col_range_.back().second)};
        }
        if (inner_.second < inner_.first) inner_.second = inner_.first;
    }

    void run(std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) const override {
        const float* x = in[0].as<const float>();
        const float* wt = input_data(weights_, in, 1);
        const float* b = input_data(bias_, in, 2);
        float* y = out[0].as<float>();
        switch (algo_) {
            case algorithm::gemm_1x1: return run_1x1(x, wt, b, y, ctx);
            case algorithm::im2col_gemm: return run_im2col(x, wt, b, y, ctx);
            case algorithm::depthwise:
            case algorithm::direct: return run_direct(x, wt, b, y, ctx);
            case algorithm::automatic: break;
        }
    }

    [[nodiscard]] std::size_t scratch_bytes() const override { return slot_bytes_ * slots_; }

    [[nodiscard]] std::string name() const override {
        std::string s = "conv.";
        switch (algo_) {
            case algorithm::gemm_1x1: s += "gemm_1x1"; break;
            case algorithm::depthwise: s += "depthwise"; break;
            case algorithm::im2col_gemm: s += "im2col_gemm"; break;
            case algorithm::direct: s += "direct"; break;
            case algorithm::automatic: break;
        }
        return ep_.act == epilogue::kind::none ? s : s + "+" + ep_.op;
    }

private:
    [[nodiscard]] bool is_1x1() const noexcept {
        for (std::size_t d = 0; d < window::max_dims; ++d)
            if (w_.k[d] != 1 || w_.stride[d] != 1 || w_.pad[d] != 0 || w_.in[d] != w_.out[d]) return false;
        return true;
    }
    [[nodiscard]] algorithm choose(algorithm wanted) const noexcept {
        if (wanted == algorithm::gemm_1x1 && is_1x1()) return wanted;
        if (wanted == algorithm::depthwise && cg_ == 1) return wanted;
        if (wanted == algorithm::im2col_gemm || wanted == algorithm::direct) return wanted;
        if (is_1x1()) return algorithm::gemm_1x1;
        if (cg_ == 1) return algorithm::depthwise;
        return algorithm::im2col_gemm;
    }

    /// Bias and activation on `rows` output rows of `len` floats, `stride` apart, from output channel m.
    void finish(float* y, index rows, index len, index stride, const float* b, index m) const {
        for (index r = 0; r < rows; ++r) ep_.apply(y + r * stride, len, b ? b[m + r] : 0.f);
    }

    void run_1x1(const float* x, const float* wt, const float* b, float* y, exec_context& ctx) const {
        const index hw = w_.out_size();
        const tiling t = tiles_;
        for_items(ctx, slots_, n_ * g_ * t.oc_tiles * t.spatial_tiles, [&](index item, std::size_t) {
            const index st = item % t.spatial_tiles, mt = item / t.spatial_tiles % t.oc_tiles, ng = item / t.spatial_tiles / t.oc_tiles;
            const index img = ng / g_, g = ng % g_;
            const index p0 = st * t.spatial, pn = std::min(t.spatial, hw - p0);
            const index m0 = g * mg_ + mt * t.oc, mn = std::min(t.oc, mg_ - mt * t.oc);
            Eigen::Map<const row_matrix> wm(wt + m0 * cg_, mn, cg_);
            Eigen::Map<const row_matrix, 0, strided_rows> xm(x + (img * c_ + g * cg_) * hw + p0, cg_, pn, strided_rows(hw));
            float* yp = y + (img * m_ + m0) * hw + p0;
            Eigen::Map<row_matrix, 0, strided_rows> ym(yp, mn, pn, strided_rows(hw));
            ym.noalias() = wm * xm;
            finish(yp, mn, pn, hw, b, m0);
        });
    }

    /// Columns [p0, p0 + pn) of group input `xg`'s im2col matrix (rows: channel, kd, kh, kw) into `col`,
    /// row-major with pn columns; padding reads as zero.
    void im2col(const float* xg, index p0, index pn, float* col) const {
        const auto& in = w_.in;
        const auto& out = w_.out;
        const index in_size = w_.in_size();
        float* dst = col;
        for (index c = 0; c < cg_; ++c)
            for (index kd = 0; kd < w_.k[0]; ++kd)
                for (index kh = 0; kh < w_.k[1]; ++kh)
                    for (index kw = 0; kw < w_.k[2]; ++kw, dst += pn) {
                        const index off_d = kd * w_.dilation[0] - w_.pad[0], off_h = kh * w_.dilation[1] - w_.pad[1];
                        const index off_w = kw * w_.dilation[2] - w_.pad[2];
                        const auto [lo, hi] = col_range_[static_cast<std::size_t>(kw)];
                        const float* xc = xg + c * in_size;
                        index row = p0 / out[2], ow = p0 % out[2];
                        for (index done = 0; done < pn; ow = 0, ++row) {
                            const index len = std::min(out[2] - ow, pn - done);
                            const index id = row / out[1] * w_.stride[0] + off_d, ih = row % out[1] * w_.stride[1] + off_h;
                            float* d = dst + done;  // d[0] is output column ow of this row
                            if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1]) {
                                std::fill(d, d + len, 0.f);
                            } else {
                                const float* src = xc + (id * in[1] + ih) * in[2];
                                const index a = std::clamp(lo, ow, ow + len), z = std::clamp(hi, a, ow + len);
                                std::fill(d, d + (a - ow), 0.f);
                                if (w_.stride[2] == 1) {
                                    if (z > a) std::memcpy(d + (a - ow), src + a + off_w, static_cast<std::size_t>(z - a) * sizeof(float));
                                } else {
                                    for (index o = a; o < z; ++o) d[o - ow] = src[o * w_.stride[2] + off_w];
                                }
                                std::fill(d + (z - ow), d + len, 0.f);
                            }
                            done += len;
                        }
                    }
    }

    void run_im2col(const float* x, const float* wt, const float* b, float* y, exec_context& ctx) const {
        const index hw = w_.out_size(), ck = cg_ * k_;
        const tiling t = tiles_;
        for_items(ctx, slots_, n_ * g_ * t.oc_tiles * t.spatial_tiles, [&](index item, std::size_t slot) {
            const index mt = item % t.oc_tiles, st = item / t.oc_tiles % t.spatial_tiles, ng = item / t.oc_tiles / t.spatial_tiles;
            const index img = ng / g_, g = ng % g_;
            const index p0 = st * t.spatial, pn = std::min(t.spatial, hw - p0);
            const index m0 = g * mg_ + mt * t.oc, mn = std::min(t.oc, mg_ - mt * t.oc);
            auto* col = reinterpret_cast<float*>(ctx.scratch + slot * slot_bytes_);
            im2col(x + (img * c_ + g * cg_) * w_.in_size(), p0, pn, col);
            Eigen::Map<const row_matrix> wm(wt + m0 * ck, mn, ck);
            Eigen::Map<const row_matrix> cm(col, ck, pn);
            float* yp = y + (img * m_ + m0) * hw + p0;
            Eigen::Map<row_matrix, 0, strided_rows> ym(yp, mn, pn, strided_rows(hw));
            ym.noalias() = wm * cm;
            finish(yp, mn, pn, hw, b, m0);
        });
    }

    /// Direct convolution, one output row at a time: the input rows that reach it (per channel, kd, kh) are
    /// listed, then each packet of outputs accumulates every tap in a register before one store.
    void run_direct(const float* x, const float* wt, const float* b, float* y, exec_context& ctx) const {
        const auto& in = w_.in;
        const auto& out = w_.out;
        const index rows = out[0] * out[1], blocks = ceil_div(rows, rows_per_item_), in_size = w_.in_size();
        const row_geometry rg{out[2], in[2], w_.stride[2], w_.dilation[2], w_.pad[2], w_.k[2]};
        for_items(ctx, slots_, n_ * m_ * blocks, [&](index item, std::size_t) {
            const index blk = item % blocks, m = item / blocks % m_, img = item / blocks / m_, g = m / mg_;
            const float* xg = x + (img * c_ + g * cg_) * in_size;
            const float* wm = wt + m * cg_ * k_;
            std::vector<row_tap> taps;
            taps.reserve(static_cast<std::size_t>(cg_ * w_.k[0] * w_.k[1]));
            const index r_end = std::min(rows, (blk + 1) * rows_per_item_);
            for (index r = blk * rows_per_item_; r < r_end; ++r) {
                const index od = r / out[1], oh = r % out[1];
                taps.clear();
                for (index c = 0; c < cg_; ++c)
                    for (index kd = 0; kd < w_.k[0]; ++kd) {
                        const index id = od * w_.stride[0] + kd * w_.dilation[0] - w_.pad[0];
                        if (id < 0 || id >= in[0]) continue;
                        for (index kh = 0; kh < w_.k[1]; ++kh) {
                            const index ih = oh * w_.stride[1] + kh * w_.dilation[1] - w_.pad[1];
                            if (ih < 0 || ih >= in[1]) continue;
                            taps.push_back({xg + c * in_size + (id * in[1] + ih) * in[2], wm + ((c * w_.k[0] + kd) * w_.k[1] + kh) * w_.k[2]});
                        }
                    }
                float* yr = y + (img * m_ + m) * w_.out_size() + r * out[2];
                direct_row(yr, taps.data(), taps.size(), rg, inner_);
                ep_.apply(yr, out[2], b ? b[m] : 0.f);
            }
        });
    }

    window w_;
    epilogue ep_;
    index n_, c_, m_, g_, cg_, mg_, k_ = 1;
    std::size_t slots_;
    algorithm algo_ = algorithm::automatic;
    tiling tiles_;
    index rows_per_item_ = 1;
    std::size_t slot_bytes_ = 0;
    std::vector<std::pair<index, index>> col_range_;
    std::pair<index, index> inner_{0, 0};
    float_constant weights_, bias_;
};

/// Checks X [N, C, ...], W [M, C/group, k...], B [M] and Y [N, M, ...] (float32, static) and makes the kernel.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_conv(const prepare_args& a, const conv_params& p) {
    const bool fused = a.op() == "FusedConv";
    if (!(fused ? a.domain() == "ai.gearc" : (a.op() == "Conv" && (a.domain().empty() || a.domain() == "ai.onnx")))) return nullptr;
    if (!a.has_input(0) || !a.has_input(1) || a.outputs.empty()) return nullptr;
    const auto x = static_sizes(a.inputs[0], 3, 2 + window::max_dims);
    const auto w = x ? static_sizes(a.inputs[1], x->size(), x->size()) : std::nullopt;
    const auto y = x ? static_sizes(a.outputs[0], x->size(), x->size()) : std::nullopt;
    if (!x || !w || !y) return nullptr;
    const index group = a.n->attr_or<index>("group", 1);
    if (group < 1 || (*w)[0] % group != 0 || (*x)[1] != (*w)[1] * group || (*y)[0] != (*x)[0] || (*y)[1] != (*w)[0]) return nullptr;
    if (a.has_input(2)) {
        const auto b = static_sizes(a.inputs[2], 1, 1);
        if (!b || (*b)[0] != (*w)[0]) return nullptr;
    }
    const auto ep = fused ? epilogue::of(*a.n) : std::optional<epilogue>(epilogue{});
    const auto win = forward_window(*a.n, *x, *y, std::vector<index>(w->begin() + 2, w->end()));
    if (!ep || !win) return nullptr;
    return std::make_unique<conv_kernel>(a, p, *win, *ep, *x, *w, group);
}

// ---- ConvTranspose -------------------------------------------------------------------------------------

/// ConvTranspose on float32 (1-D to 3-D): per image, group and tile of output channels, a GEMM
/// W_g^T * X_g over a tile of input positions, then col2im adds the columns into the output.
class conv_transpose_kernel final : public op_kernel {
public:
    conv_transpose_kernel(const prepare_args& a, const conv_params& p, window w, const std::vector<index>& x, const std::vector<index>& wt,
                          index group)
        : w_(w), n_(x[0]), c_(x[1]), g_(group), cg_(x[1] / group), mg_(wt[1]), m_(wt[1] * group), slots_(slots_of(a, p.threads)) {
        k_ = w_.k_size();
        if (a.constants.size() > 1 && a.constants[1]) weights_ = float_constant(*a.constants[1]);
        if (a.constants.size() > 2 && a.constants[2] && a.has_input(2)) bias_ = float_constant(*a.constants[2]);
        // items are (image, group, channel tile): col2im of different items never writes the same output
        const index want = slots_ > 1 ? 2 * static_cast<index>(slots_) : 1;
        oc_ = p.tile_oc > 0 ? std::min(p.tile_oc, mg_) : n_ * g_ >= want ? mg_ : std::max<index>(1, ceil_div(mg_, ceil_div(want, n_ * g_)));
        oc_tiles_ = ceil_div(mg_, oc_);
        const index per_column = oc_ * k_ * static_cast<index>(sizeof(float));
        spatial_ = p.tile_spatial > 0 ? p.tile_spatial : std::max<index>(32, static_cast<index>(p.cache_bytes) / per_column / 8 * 8);
        spatial_ = std::max<index>(1, std::min(spatial_, w_.in_size()));
        slot_bytes_ = round_up64(static_cast<std::size_t>(oc_ * k_ * spatial_) * sizeof(float));
        for (index kw = 0; kw < w_.k[2]; ++kw)
            col_range_.push_back(valid_range(kw * w_.dilation[2] - w_.pad[2], w_.stride[2], w_.out[2], w_.in[2]));
    }

    void run(std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) const override {
        const float* x = in[0].as<const float>();
        const float* wt = input_data(weights_, in, 1);
        const float* b = input_data(bias_, in, 2);
        float* y = out[0].as<float>();
        const index is = w_.in_size(), os = w_.out_size(), mk = mg_ * k_;
        for_items(ctx, slots_, n_ * g_ * oc_tiles_, [&](index item, std::size_t slot) {
            const index mt = item % oc_tiles_, ng = item / oc_tiles_, img = ng / g_, g = ng % g_;
            const index m0 = mt * oc_, mn = std::min(oc_, mg_ - m0);
            float* yb = y + (img * m_ + g * mg_ + m0) * os;
            for (index m = 0; m < mn; ++m) std::fill(yb + m * os, yb + (m + 1) * os, b ? b[g * mg_ + m0 + m] : 0.f);
            auto* col = reinterpret_cast<float*>(ctx.scratch + slot * slot_bytes_);
            Eigen::Map<const row_matrix> wg(wt + g * cg_ * mk, cg_, mk);  // W[c][m][k] of this group
            for (index p0 = 0; p0 < is; p0 += spatial_) {
                const index pn = std::min(spatial_, is - p0);
                Eigen::Map<const row_matrix, 0, strided_rows> xm(x + (img * c_ + g * cg_) * is + p0, cg_, pn, strided_rows(is));
                Eigen::Map<row_matrix> cm(col, mn * k_, pn);
                cm.noalias() = wg.middleCols(m0 * k_, mn * k_).transpose() * xm;
                col2im(col, p0, pn, mn, yb);
            }
        });
    }

    [[nodiscard]] std::size_t scratch_bytes() const override { return slot_bytes_ * slots_; }
    [[nodiscard]] std::string name() const override { return "conv_transpose.gemm_col2im"; }

private:
    /// Adds the columns of input positions [p0, p0 + pn) (rows: channel, kd, kh, kw) into `mn` output planes.
    void col2im(const float* col, index p0, index pn, index mn, float* yb) const {
        const auto& in = w_.in;
        const auto& out = w_.out;
        const index os = w_.out_size();
        const float* src = col;
        for (index m = 0; m < mn; ++m)
            for (index kd = 0; kd < w_.k[0]; ++kd)
                for (index kh = 0; kh < w_.k[1]; ++kh)
                    for (index kw = 0; kw < w_.k[2]; ++kw, src += pn) {
                        const index off_d = kd * w_.dilation[0] - w_.pad[0], off_h = kh * w_.dilation[1] - w_.pad[1];
                        const index off_w = kw * w_.dilation[2] - w_.pad[2];
                        const auto [lo, hi] = col_range_[static_cast<std::size_t>(kw)];
                        index row = p0 / in[2], iw = p0 % in[2];
                        for (index done = 0; done < pn; iw = 0, ++row) {
                            const index len = std::min(in[2] - iw, pn - done);
                            const index od = row / in[1] * w_.stride[0] + off_d, oh = row % in[1] * w_.stride[1] + off_h;
                            if (od >= 0 && od < out[0] && oh >= 0 && oh < out[1]) {
                                const float* s = src + done;  // s[0] is input column iw of this row
                                float* d = yb + m * os + (od * out[1] + oh) * out[2];
                                const index a = std::clamp(lo, iw, iw + len), z = std::clamp(hi, a, iw + len);
                                if (w_.stride[2] == 1) {
                                    if (z > a) array_map(d + a + off_w, z - a) += const_array_map(s + (a - iw), z - a);
                                } else {
                                    for (index i = a; i < z; ++i) d[i * w_.stride[2] + off_w] += s[i - iw];
                                }
                            }
                            done += len;
                        }
                    }
    }

    window w_;
    index n_, c_, g_, cg_, mg_, m_, k_ = 1;
    std::size_t slots_;
    index oc_ = 1, oc_tiles_ = 1, spatial_ = 1;
    std::size_t slot_bytes_ = 0;
    std::vector<std::pair<index, index>> col_range_;
    float_constant weights_, bias_;
};

/// Checks X [N, C, ...], W [C, M/group, k...], B [M] and Y [N, M, ...] (float32, static) and makes the kernel.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_conv_transpose(const prepare_args& a, const conv_params& p) {
    if (a.op() != "ConvTranspose" || !(a.domain().empty() || a.domain() == "ai.onnx")) return nullptr;
    if (!a.has_input(0) || !a.has_input(1) || a.outputs.empty()) return nullptr;
    const auto x = static_sizes(a.inputs[0], 3, 2 + window::max_dims);
    const auto w = x ? static_sizes(a.inputs[1], x->size(), x->size()) : std::nullopt;
    const auto y = x ? static_sizes(a.outputs[0], x->size(), x->size()) : std::nullopt;
    if (!x || !w || !y) return nullptr;
    const index group = a.n->attr_or<index>("group", 1);
    if (group < 1 || (*x)[1] % group != 0 || (*w)[0] != (*x)[1] || (*y)[0] != (*x)[0] || (*y)[1] != (*w)[1] * group) return nullptr;
    if (a.has_input(2)) {
        const auto b = static_sizes(a.inputs[2], 1, 1);
        if (!b || (*b)[0] != (*y)[1]) return nullptr;
    }
    const auto win = transpose_window(*a.n, *x, *y, std::vector<index>(w->begin() + 2, w->end()));
    if (!win) return nullptr;
    return std::make_unique<conv_transpose_kernel>(a, p, *win, *x, *w, group);
}

// ---- pooling -------------------------------------------------------------------------------------------

/// MaxPool (with optional Indices), AveragePool and LpPool on float32 (1-D to 3-D), one output row at a
/// time: each window tap updates a vectorised stretch of the row.
class pool_kernel final : public op_kernel {
public:
    enum class kind { max, average, lp };

    pool_kernel(const prepare_args& a, kind k, window w, index planes) : kind_(k), w_(w), planes_(planes), slots_(slots_of(a, 0)) {
        const node& n = *a.n;
        include_pad_ = n.attr_or<index>("count_include_pad", 0) != 0;
        column_major_ = n.attr_or<index>("storage_order", 0) != 0;
        p_ = n.attr_or<index>("p", 2);
        for (index kw = 0; kw < w_.k[2]; ++kw)
            col_range_.push_back(valid_range(kw * w_.dilation[2] - w_.pad[2], w_.stride[2], w_.in[2], w_.out[2]));
        if (kind_ == kind::average)
            for (std::size_t d = 0; d < window::max_dims; ++d) {
                // taps inside the input, or inside the padded input when padding counts
                const index lo = include_pad_ ? -w_.pad[d] : 0, hi = include_pad_ ? w_.in[d] + w_.pad_end[d] : w_.in[d];
                std::vector<float> c(static_cast<std::size_t>(w_.out[d]));
                for (index o = 0; o < w_.out[d]; ++o) {
                    index taps = 0;
                    for (index t = 0; t < w_.k[d]; ++t) {
                        const index pos = o * w_.stride[d] - w_.pad[d] + t * w_.dilation[d];
                        taps += pos >= lo && pos < hi;
                    }
                    c[static_cast<std::size_t>(o)] = static_cast<float>(taps);
                }
                counts_[d] = std::move(c);
            }
        const index rows = w_.out[0] * w_.out[1];
        const index want = slots_ > 1 ? 2 * static_cast<index>(slots_) : 1;
        rows_per_item_ = planes_ >= want ? rows : std::max<index>(1, rows / ceil_div(want, std::max<index>(1, planes_)));
    }

    void run(std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) const override {
        const float* x = in[0].as<const float>();
        float* y = out[0].as<float>();
        std::int64_t* idx = out.size() > 1 && out[1].data ? out[1].as<std::int64_t>() : nullptr;
        const auto& ins = w_.in;
        const auto& outs = w_.out;
        const index rows = outs[0] * outs[1], blocks = ceil_div(rows, rows_per_item_), is = w_.in_size(), os = w_.out_size();
        for_items(ctx, slots_, planes_ * blocks, [&](index item, std::size_t) {
            const index blk = item % blocks, plane = item / blocks;
            const float* xp = x + plane * is;
            const index r_end = std::min(rows, (blk + 1) * rows_per_item_);
            for (index r = blk * rows_per_item_; r < r_end; ++r) {
                float* yr = y + plane * os + r * outs[2];
                std::int64_t* ir = idx ? idx + plane * os + r * outs[2] : nullptr;
                const index od = r / outs[1], oh = r % outs[1];
                std::fill(yr, yr + outs[2], kind_ == kind::max ? -std::numeric_limits<float>::infinity() : 0.f);
                if (ir) std::fill(ir, ir + outs[2], std::int64_t{-1});
                for (index kd = 0; kd < w_.k[0]; ++kd) {
                    const index id = od * w_.stride[0] + kd * w_.dilation[0] - w_.pad[0];
                    if (id < 0 || id >= ins[0]) continue;
                    for (index kh = 0; kh < w_.k[1]; ++kh) {
                        const index ih = oh * w_.stride[1] + kh * w_.dilation[1] - w_.pad[1];
                        if (ih < 0 || ih >= ins[1]) continue;
                        const float* xr = xp + (id * ins[1] + ih) * ins[2];
                        for (index kw = 0; kw < w_.k[2]; ++kw) {
                            const auto [lo, hi] = col_range_[static_cast<std::size_t>(kw)];
                            const index off = kw * w_.dilation[2] - w_.pad[2];
                            if (ir)
                                max_with_index(yr, ir, xr, lo, hi, off, plane * is, id, ih);
                            else
                                accumulate(yr, xr, lo, hi, off);
                        }
                    }
                }
                finish(yr, od, oh);
            }
        });
    }

    [[nodiscard]] std::string name() const override {
        return kind_ == kind::max ? "max_pool" : kind_ == kind::average ? "average_pool" : "lp_pool";
    }

private:
    /// Folds taps x[o * stride + off] for o in [lo, hi) into the row.
    void accumulate(float* yr, const float* xr, index lo, index hi, index off) const {
        const index n = hi - lo, s = w_.stride[2];
        if (n <= 0) return;
        const float* src = xr + lo * s + off;
        if (s == 1) {
            array_map v(yr + lo, n);
            const_array_map t(src, n);
            switch (kind_) {
                case kind::max: v = v.max(t); return;
                case kind::average: v += t; return;
                case kind::lp:
                    if (p_ == 2) v += t.square();
                    else if (p_ == 1) v += t.abs();
                    else v += t.abs().pow(static_cast<float>(p_));
                    return;
            }
        }
        for (index o = 0; o < n; ++o) {
            const float t = src[o * s];
            float& v = yr[lo + o];
            switch (kind_) {
                case kind::max: v = std::max(v, t); break;
                case kind::average: v += t; break;
                case kind::lp: v += p_ == 2 ? t * t : p_ == 1 ? std::abs(t) : std::pow(std::abs(t), static_cast<float>(p_)); break;
            }
        }
    }

    /// MaxPool with Indices: the first largest tap in window order wins; its index is into the flattened
    /// input, row-major or (storage_order 1) column-major over the spatial dims.
    void max_with_index(float* yr, std::int64_t* ir, const float* xr, index lo, index hi, index off, index plane_base, index id,
                        index ih) const {
        const auto& ins = w_.in;
        for (index o = lo; o < hi; ++o) {
            const index iw = o * w_.stride[2] + off;
            const float t = xr[iw];
            if (t > yr[o]) {
                yr[o] = t;
                ir[o] = plane_base + (column_major_ ? id + ih * ins[0] + iw * ins[0] * ins[1] : (id * ins[1] + ih) * ins[2] + iw);
            }
        }
    }

    void finish(float* yr, index od, index oh) const {
        const index n = w_.out[2];
        if (kind_ == kind::average) {
            const float c = counts_[0][static_cast<std::size_t>(od)] * counts_[1][static_cast<std::size_t>(oh)];
            array_map v(yr, n);
            // a window wholly in the padding counts no tap: 0, not 0/0
            v = (const_array_map(counts_[2].data(), n) * c).max(1.f).inverse() * v;
        } else if (kind_ == kind::lp) {
            array_map v(yr, n);
            if (p_ == 2) v = v.sqrt();
            else if (p_ != 1) v = v.pow(1.f / static_cast<float>(p_));
        }
    }

    kind kind_;
    window w_;
    index planes_;
    std::size_t slots_;
    bool include_pad_ = false, column_major_ = false;
    index p_ = 2;
    index rows_per_item_ = 1;
    std::vector<std::pair<index, index>> col_range_;
    std::array<std::vector<float>, 3> counts_;
};

[[nodiscard]] inline std::unique_ptr<op_kernel> make_pool(const prepare_args& a, pool_kernel::kind k) {
    if (!a.has_input(0) || a.outputs.empty() || !(a.domain().empty() || a.domain() == "ai.onnx")) return nullptr;
    const auto x = static_sizes(a.inputs[0], 3, 2 + window::max_dims);
    const auto y = x ? static_sizes(a.outputs[0], x->size(), x->size()) : std::nullopt;
    if (!x || !y || (*y)[0] != (*x)[0] || (*y)[1] != (*x)[1]) return nullptr;
    if (a.outputs.size() > 1 && a.outputs[1].elem != dtype::undefined &&
        (k != pool_kernel::kind::max || !static_sizes(a.outputs[1], x->size(), x->size(), dtype::int64)))
        return nullptr;
    const auto kernel = a.n->attr_or<std::vector<index>>("kernel_shape", {});
    const auto win = forward_window(*a.n, *x, *y, kernel);
    if (!win || (k == pool_kernel::kind::lp && a.n->attr_or<index>("p", 2) < 1)) return nullptr;
    return std::make_unique<pool_kernel>(a, k, *win, (*x)[0] * (*x)[1]);
}

/// GlobalAveragePool / GlobalMaxPool: one reduction per (image, channel) plane.
[[nodiscard]] inline std::unique_ptr<op_kernel> make_global_pool(const prepare_args& a, bool average) {
    if (!a.has_input(0) || a.outputs.empty() || !(a.domain().empty() || a.domain() == "ai.onnx")) return nullptr;
    const auto x = static_sizes(a.inputs[0], 2, 64);
    const auto y = x ? static_sizes(a.outputs[0], x->size(), x->size()) : std::nullopt;
    if (!x || !y) return nullptr;
    index size = 1;
    for (std::size_t i = 2; i < x->size(); ++i) size *= (*x)[i];
    const index planes = (*x)[0] * (*x)[1];
    const std::size_t slots = slots_of(a, 0);
    auto body = [planes, size, average, slots](std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) {
        const float* x = in[0].as<const float>();
        float* y = out[0].as<float>();
        const index per = std::max<index>(1, planes / (4 * static_cast<index>(slots)));
        for_items(ctx, slots, ceil_div(planes, per), [&](index item, std::size_t) {
            for (index p = item * per; p < std::min(planes, (item + 1) * per); ++p) {
                const_array_map v(x + p * size, size);
                y[p] = size == 0 ? 0.f : average ? v.mean() : v.maxCoeff();
            }
        });
    };
    return make_kernel(average ? "global_average_pool" : "global_max_pool", std::move(body));
}

}  // namespace detail::conv_pool

/// The Conv / FusedConv kernel for `a` with parameters `p`, or nullptr when it is not a float32 Conv it
/// handles (for benchmarks and tests that force an algorithm or a tiling).
[[nodiscard]] inline std::unique_ptr<op_kernel> make_conv_kernel(const prepare_args& a, const conv_params& p = {}) {
    return detail::conv_pool::make_conv(a, p);
}

/// The ConvTranspose kernel for `a` (conv_params' tiles and threads apply; its algorithm does not).
[[nodiscard]] inline std::unique_ptr<op_kernel> make_conv_transpose_kernel(const prepare_args& a, const conv_params& p = {}) {
    return detail::conv_pool::make_conv_transpose(a, p);
}

/// Registers this family's kernels in `t`: float32 Conv, FusedConv (ai.gearc), ConvTranspose, MaxPool,
/// AveragePool, LpPool, GlobalAveragePool and GlobalMaxPool; other dtypes get nullptr.
inline void register_conv_pool(kernel_table& t, const conv_params& p = {}) {
    namespace cp = detail::conv_pool;
    t.add("", "Conv", [p](const prepare_args& a) { return cp::make_conv(a, p); });
    t.add("ai.gearc", "FusedConv", [p](const prepare_args& a) { return cp::make_conv(a, p); });
    t.add("", "ConvTranspose", [p](const prepare_args& a) { return cp::make_conv_transpose(a, p); });
    t.add("", "MaxPool", [](const prepare_args& a) { return cp::make_pool(a, cp::pool_kernel::kind::max); });
    t.add("", "AveragePool", [](const prepare_args& a) { return cp::make_pool(a, cp::pool_kernel::kind::average); });
    t.add("", "LpPool", [](const prepare_args& a) { return cp::make_pool(a, cp::pool_kernel::kind::lp); });
    t.add("", "GlobalAveragePool", [](const prepare_args& a) { return cp::make_global_pool(a, true); });
    t.add("", "GlobalMaxPool", [](const prepare_args& a) { return cp::make_global_pool(a, false); });
}

}  // namespace kernels::cpu

GEARC_END_NAMESPACE
