// Shape rules for neural-network operators: convolution, pooling, normalisation, MatMul/Gemm, softmax, depth/space, Pad, Resize, Upsample.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim.hpp>
#include <gearc/dim_expr.hpp>
#include <gearc/dtype.hpp>
#include <gearc/passes/infer_context.hpp>
#include <gearc/passes/shape_rules/elementwise.hpp>
#include <gearc/shape.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace passes::shape_rules {

namespace nn {

enum class auto_pad { notset, same_upper, same_lower, valid };

template <class Traits>
[[nodiscard]] auto_pad auto_pad_of(const infer_context<Traits>& c) {
    const auto s = c.template attr_or<std::string>("auto_pad", "NOTSET");
    if (s == "NOTSET" || s.empty()) return auto_pad::notset;
    if (s == "SAME_UPPER") return auto_pad::same_upper;
    if (s == "SAME_LOWER") return auto_pad::same_lower;
    if (s == "VALID") return auto_pad::valid;
    c.fail("auto_pad '" + s + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
}

/// An INTS attribute with one value per spatial dim (`fallback` each when absent), each at least `min_value`.
template <class Traits>
[[nodiscard]] std::vector<std::int64_t> spatial_ints(const infer_context<Traits>& c, std::string_view name, std::size_t n,
                                                     std::int64_t fallback, std::int64_t min_value) {
    if (!c.has_attr(name)) return std::vector<std::int64_t>(n, fallback);
    auto v = c.ints_or(name);
    if (v.size() != n)
        c.fail(std::string(name) + " has " + std::to_string(v.size()) + " value(s) but the input has " + std::to_string(n) +
               " spatial dim(s)");
    for (auto x : v)
        if (x < min_value) c.fail(std::string(name) + " must be >= " + std::to_string(min_value) + ", got " + std::to_string(x));
    return v;
}

/// The pads attribute: [x1_begin, x2_begin, ..., x1_end, x2_end, ...], zeros when absent.
template <class Traits>
[[nodiscard]] std::vector<std::int64_t> pads_of(const infer_context<Traits>& c, std::size_t n) {
    if (!c.has_attr("pads")) return std::vector<std::int64_t>(2 * n, 0);
    auto v = c.ints_or("pads");
    if (v.size() != 2 * n)
        c.fail("pads has " + std::to_string(v.size()) + " value(s), expected 2*" + std::to_string(n) + " (begin and end per spatial dim)");
    return v;
}

/// The kernel's spatial dims: kernel_shape when given (checked against W), else W's trailing dims.
template <class Traits>
[[nodiscard]] std::vector<dim> kernel_dims(const infer_context<Traits>& c, const shape* w, std::size_t n) {
    std::vector<dim> k(n);
    if (w)
        for (std::size_t i = 0; i < n; ++i) k[i] = (*w)[i + 2];
    if (c.has_attr("kernel_shape")) {
        auto ks = spatial_ints(c, "kernel_shape", n, 1, 1);
        for (std::size_t i = 0; i < n; ++i) {
            if (!support::may_equal(k[i], dim(ks[i])))
                c.fail("kernel_shape " + shape::of(ks).to_string() + " does not match the weight's shape " + w->to_string());
            k[i] = dim(ks[i]);
        }
    }
    return k;
}

/// The dilated kernel extent (k-1)*d+1.
[[nodiscard]] inline dim effective_kernel(const dim& k, std::int64_t dilation) {
    if (k.is_static()) return dim((k.value() - 1) * dilation + 1);
    return dim(dilation) * (k - dim(1)) + dim(1);
}

/// A range cannot go below zero.
[[nodiscard]] inline dim clamp_nonnegative(const dim& d) {
    if (d.is_range() && d.lo() < 0) return d.hi() != -1 && d.hi() <= 0 ? dim(0) : dim::range(0, d.hi());
    return d;
}

/// Output size of a sliding window (Conv, pooling) over one spatial dim.
template <class Traits>
[[nodiscard]] dim window_out(const infer_context<Traits>& c, const dim& in, std::int64_t pad_begin, std::int64_t pad_end, const dim& k_eff,
                             std::int64_t stride, bool ceil_mode, auto_pad mode) {
    if (mode == auto_pad::same_upper || mode == auto_pad::same_lower) return ceil_div(in, dim(stride));
    if (mode == auto_pad::valid) pad_begin = pad_end = 0;
    // a = in + pads - k_eff: the room the window slides over
    const dim a =
        k_eff.is_static() ? support::add(in, dim(pad_begin + pad_end - k_eff.value())) : support::add(in, dim(pad_begin + pad_end)) - k_eff;
    if (a.is_static() && a.value() < 0)
        c.fail("the window of extent " + k_eff.to_string() + " does not fit the input dim " + in.to_string() + " padded by " +
               std::to_string(pad_begin) + "+" + std::to_string(pad_end));
    if (!ceil_mode || mode == auto_pad::valid) return clamp_nonnegative(floor_div(a, dim(stride)) + dim(1));
    dim out = ceil_div(a, dim(stride)) + dim(1);
    // the last window must start inside the input or the left padding (PyTorch and ONNX drop it otherwise);
    // that can only matter when pad_end + stride > k_eff
    const bool may_drop = !k_eff.is_static() || pad_end + stride > k_eff.value();
    if (may_drop) out = min_dim(out, ceil_div(support::add(in, dim(pad_begin)), dim(stride)));
    return clamp_nonnegative(out);
}

/// What Conv and ConvTranspose share: dtype, group, X and W checked against each other, and the
/// spatial attributes. `w_layout` names W's dims for messages. nullopt: both ranks unknown (output set).
struct conv_geometry {
    dtype t;
    std::int64_t group;
    const shape* x;
    const shape* w;
    std::size_t n;  ///< spatial dims
    std::vector<dim> kernel;
    std::vector<std::int64_t> strides, dilations, pads;
    auto_pad mode;
};
template <class Traits>
std::optional<conv_geometry> conv_geometry_of(infer_context<Traits>& c, std::string_view w_layout) {
    support::expect_inputs(c, 2, 3);
    support::same_dtype(c, 0, 1);
    conv_geometry g{};
    g.t = c.input_dtype(0);
    g.group = c.template attr_or<std::int64_t>("group", 1);
    if (g.group < 1) c.fail("group must be positive, got " + std::to_string(g.group));
    g.x = c.input_shape(0);
    g.w = c.input_shape(1);
    if (!g.x && !g.w) {
        c.set_output_unknown_rank(0, g.t);
        return std::nullopt;
    }
    if (g.x && g.x->rank() < 3) c.fail("X must have rank >= 3 ([N, C, D1, ...]), got " + g.x->to_string());
    if (g.w && g.w->rank() < 3) c.fail("W must have rank >= 3 (" + std::string(w_layout) + "), got " + g.w->to_string());
    if (g.x && g.w && g.w->rank() != g.x->rank())
        c.fail("W " + g.w->to_string() + " must have the rank of X " + g.x->to_string());
    g.n = (g.x ? g.x->rank() : g.w->rank()) - 2;
    g.kernel = kernel_dims(c, g.w, g.n);
    g.strides = spatial_ints(c, "strides", g.n, 1, 1);
    g.dilations = spatial_ints(c, "dilations", g.n, 1, 1);
    g.pads = pads_of(c, g.n);
    g.mode = auto_pad_of(c);
    return g;
}

/// Conv: X [N, C, D1..Dn], W [M, C/group, k1..kn], optional B [M] -> [N, M, out1..outn].
template <class Traits>
void conv(infer_context<Traits>& c) {
    const auto geo = conv_geometry_of(c, "[M, C/group, k1, ...]");
    if (!geo) return;
    const auto& [t, group, x, w, n, kernel, strides, dilations, pads, mode] = *geo;
    const dim m = w ? (*w)[0] : dim::unknown();
    if (x && w) {
        const dim& ch = (*x)[1];
        const dim& wc = (*w)[1];
        if (ch.is_static() && wc.is_static() && ch.value() != wc.value() * group)
            c.fail("channel mismatch: C=" + ch.to_string() + " but W expects " + wc.to_string() +
                   "*group = " + std::to_string(wc.value() * group) + " (group " + std::to_string(group) + ")");
    }
    if (m.is_static() && m.value() % group != 0)
        c.fail("W has M=" + m.to_string() + " output channels, not a multiple of group " + std::to_string(group));
    if (const shape* b = c.input_shape(2); b && (b->rank() != 1 || !support::may_equal((*b)[0], m)))
        c.fail("bias B must have shape [M] = [" + m.to_string() + "], got " + b->to_string());
    std::vector<dim> out{x ? (*x)[0] : dim::unknown(), m};
    for (std::size_t i = 0; i < n; ++i) {
        const dim in = x ? (*x)[i + 2] : dim::unknown();
        out.push_back(window_out(c, in, pads[i], pads[i + n], effective_kernel(kernel[i], dilations[i]), strides[i], false, mode));
    }
    c.set_output(0, t, shape(std::move(out)));
}

/// ConvTranspose: X [N, C, D1..Dn], W [C, M/group, k1..kn] -> [N, M, out1..outn].
template <class Traits>
void conv_transpose(infer_context<Traits>& c) {
    const auto geo = conv_geometry_of(c, "[C, M/group, k1, ...]");
    if (!geo) return;
    const auto& [t, group, x, w, n, kernel, strides, dilations, pads, mode] = *geo;
    const auto out_pad = spatial_ints(c, "output_padding", n, 0, 0);
    for (std::size_t i = 0; i < n; ++i)
        if (out_pad[i] >= strides[i] && out_pad[i] >= dilations[i])
            c.fail("output_padding " + std::to_string(out_pad[i]) + " must be smaller than the stride " + std::to_string(strides[i]) +
                   " or the dilation " + std::to_string(dilations[i]));
    if (x && w && !support::may_equal((*x)[1], (*w)[0]))
        c.fail("channel mismatch: C=" + (*x)[1].to_string() + " but W " + w->to_string() + " expects " + (*w)[0].to_string());
    const dim m = w ? (*w)[1] * dim(group) : dim::unknown();
    if (const shape* b = c.input_shape(2); b && (b->rank() != 1 || !support::may_equal((*b)[0], m)))
        c.fail("bias B must have shape [M] = [" + m.to_string() + "], got " + b->to_string());
    std::vector<dim> out{x ? (*x)[0] : dim::unknown(), m};
    if (c.has_attr("output_shape")) {
        auto os = c.ints_or("output_shape");
        if (os.size() == n + 2) os.erase(os.begin(), os.begin() + 2);  // some exporters include N and C
        if (os.size() != n)
            c.fail("output_shape has " + std::to_string(os.size()) + " value(s) but the input has " + std::to_string(n) +
                   " spatial dim(s)");
        for (auto v : os) out.emplace_back(v);
        return c.set_output(0, t, shape(std::move(out)));
    }
    for (std::size_t i = 0; i < n; ++i) {
        const dim in = x ? (*x)[i + 2] : dim::unknown();
        if (mode == auto_pad::same_upper || mode == auto_pad::same_lower) {
            out.push_back(in * dim(strides[i]));
            continue;
        }
        const dim k_eff = effective_kernel(kernel[i], dilations[i]);
        const std::int64_t pad = mode == auto_pad::valid ? 0 : pads[i] + pads[i + n];
        // stride*(in-1) + output_padding + k_eff - pads
        const dim span = dim(strides[i]) * (in - dim(1));
        dim o = k_eff.is_static() ? support::add(span, dim(out_pad[i] + k_eff.value() - pad))
                                  : support::add(span + k_eff, dim(out_pad[i] - pad));
        if (o.is_static() && o.value() < 0) c.fail("the output spatial dim " + std::to_string(i) + " would be " + o.to_string());
        out.push_back(clamp_nonnegative(o));
    }
    c.set_output(0, t, shape(std::move(out)));
}

/// MaxPool, AveragePool, LpPool: X [N, C, D1..Dn] -> [N, C, out1..outn]; MaxPool's optional Indices are int64.
template <class Traits>
void pool(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const dtype t = c.input_dtype(0);
    if (!c.has_attr("kernel_shape")) c.fail("the kernel_shape attribute is required");
    const auto ks = c.ints_or("kernel_shape");
    const std::size_t n = ks.size();
    if (n == 0) c.fail("kernel_shape is empty");
    for (auto k : ks)
        if (k < 1) c.fail("kernel_shape must be positive, got " + shape::of(ks).to_string());
    const shape* x = c.input_shape(0);
    if (x && x->rank() != n + 2)
        c.fail("kernel_shape " + shape::of(ks).to_string() + " has " + std::to_string(n) + " value(s) but X " + x->to_string() + " has " +
               std::to_string(x->rank() < 2 ? 0 : x->rank() - 2) + " spatial dim(s)");
    const auto strides = spatial_ints(c, "strides", n, 1, 1);
    const auto dilations = spatial_ints(c, "dilations", n, 1, 1);
    const auto pads = pads_of(c, n);
    const auto mode = auto_pad_of(c);
    const bool ceil_mode = c.template attr_or<std::int64_t>("ceil_mode", 0) != 0;
    std::vector<dim> out{x ? (*x)[0] : dim::unknown(), x ? (*x)[1] : dim::unknown()};
    for (std::size_t i = 0; i < n; ++i) {
        const dim in = x ? (*x)[i + 2] : dim::unknown();
        out.push_back(window_out(c, in, pads[i], pads[i + n], effective_kernel(dim(ks[i]), dilations[i]), strides[i], ceil_mode, mode));
    }
    shape s(std::move(out));
    if (c.num_outputs() > 1) c.set_output(1, dtype::int64, s);
    c.set_output(0, t, std::move(s));
}

/// GlobalAveragePool, GlobalMaxPool: [N, C, D1..Dn] -> [N, C, 1..1].
template <class Traits>
void global_pool(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const dtype t = c.input_dtype(0);
    const shape* x = c.input_shape(0);
    if (!x) return c.set_output_unknown_rank(0, t);
    if (x->rank() < 2) c.fail("X must have rank >= 2 ([N, C, D1, ...]), got " + x->to_string());
    std::vector<dim> out{(*x)[0], (*x)[1]};
    out.resize(x->rank(), dim(1));
    c.set_output(0, t, shape(std::move(out)));
}

/// Fails unless input i (when its shape is known) is a vector of `ch` elements.
template <class Traits>
void check_channel_vector(const infer_context<Traits>& c, std::size_t i, const dim& ch, const char* what) {
    const shape* s = c.input_shape(i);
    if (s && (s->rank() != 1 || !support::may_equal((*s)[0], ch)))
        c.fail(std::string(what) + " must have shape [C] = [" + ch.to_string() + "], got " + s->to_string());
}

/// BatchNormalization: Y like X; the optional running / saved statistics are [C].
template <class Traits>
void batch_norm(infer_context<Traits>& c) {
    support::expect_inputs(c, 5, 5);
    const dtype t = c.input_dtype(0);
    const shape* x = c.input_shape(0);
    if (x && x->rank() < 2) c.fail("X must have rank >= 2 ([N, C, ...]), got " + x->to_string());
    const dim ch = x ? (*x)[1] : dim::unknown();
    // before opset 9, spatial=0 gives per-activation statistics of shape [C, D1, ...]
    const bool spatial = c.opset() >= 9 || c.template attr_or<std::int64_t>("spatial", 1) != 0;
    if (spatial) {
        constexpr const char* names[] = {"scale", "B", "input_mean", "input_var"};
        for (std::size_t i = 1; i < 5; ++i) check_channel_vector(c, i, ch, names[i - 1]);
    }
    support::same_shape(c, 0, 0, t);
    const dtype stat_t = c.input_dtype(3) != dtype::undefined ? c.input_dtype(3) : t;
    for (std::size_t o = 1; o < c.num_outputs(); ++o) {
        if (const shape* m = c.input_shape(3)) c.set_output(o, stat_t, *m);
        else if (spatial) c.set_output(o, stat_t, shape{ch});
        else c.set_output_unknown_rank(o, stat_t);
    }
}

/// InstanceNormalization: output like X; scale and B are [C].
template <class Traits>
void instance_norm(infer_context<Traits>& c) {
    support::expect_inputs(c, 3, 3);
    const shape* x = c.input_shape(0);
    if (x && x->rank() < 3) c.fail("X must have rank >= 3 ([N, C, D1, ...]), got " + x->to_string());
    const dim ch = x ? (*x)[1] : dim::unknown();
    check_channel_vector(c, 1, ch, "scale");
    check_channel_vector(c, 2, ch, "B");
    support::same_shape(c, 0, 0, c.input_dtype(0));
}


/// LayerNormalization: Y like X; Mean and InvStdDev keep X's dims before `axis` and are 1 from it on.
template <class Traits>
void layer_norm(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 3);
    support::same_dtype(c, 0, 1);
    const dtype t = c.input_dtype(0);
    support::same_shape(c, 0, 0, t);
    const dtype stat_t = dtype_from_onnx_code(c.template attr_or<std::int64_t>("stash_type", 1)).value_or(dtype::undefined);
    const shape* x = c.input_shape(0);
    if (!x) {
        for (std::size_t o = 1; o < c.num_outputs(); ++o) c.set_output_unknown_rank(o, stat_t);
        return;
    }
    const std::size_t axis = c.axis(c.template attr_or<std::int64_t>("axis", -1), x->rank());
    const shape normalized(std::vector<dim>(x->dims().begin() + static_cast<std::ptrdiff_t>(axis), x->dims().end()));
    if (const shape* s = c.input_shape(1)) support::check_unidirectional(c, *s, normalized, "Scale");
    if (const shape* b = c.input_shape(2)) support::check_unidirectional(c, *b, normalized, "B");
    std::vector<dim> stat(x->dims().begin(), x->dims().begin() + static_cast<std::ptrdiff_t>(axis));
    stat.resize(x->rank(), dim(1));
    for (std::size_t o = 1; o < c.num_outputs(); ++o) c.set_output(o, stat_t, shape(stat));
}

/// LpNormalization, Softmax, LogSoftmax, Hardmax: output like the input, `axis` checked
/// (default -1; 1 for the softmax family before opset 13).
template <class Traits>
void along_axis(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const std::string_view op = c.node().op_type();
    const std::int64_t fallback = op != "LpNormalization" && c.opset() < 13 ? 1 : -1;
    if (const shape* x = c.input_shape(0)) (void)c.axis(c.template attr_or<std::int64_t>("axis", fallback), x->rank());
    support::same_shape(c, 0, 0, c.input_dtype(0));
}

/// MatMul with NumPy semantics: 1-D operands are promoted (and the added dim removed), batch dims broadcast.
template <class Traits>
void matmul(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    support::same_dtype(c, 0, 1);
    const dtype t = c.input_dtype(0);
    const shape* a = c.input_shape(0);
    const shape* b = c.input_shape(1);
    if (!a || !b) return c.set_output_unknown_rank(0, t);
    if (a->rank() == 0 || b->rank() == 0) c.fail("MatMul does not take scalars: A " + a->to_string() + ", B " + b->to_string());
    std::vector<dim> ad = a->dims(), bd = b->dims();
    if (ad.size() == 1) ad.insert(ad.begin(), dim(1));
    if (bd.size() == 1) bd.push_back(dim(1));
    const dim& k1 = ad.back();
    const dim& k2 = bd[bd.size() - 2];
    if (!support::may_equal(k1, k2))
        c.fail("inner dims " + k1.to_string() + " vs " + k2.to_string() + " differ (A " + a->to_string() + ", B " + b->to_string() + ")");
    const shape ab(std::vector<dim>(ad.begin(), ad.end() - 2)), bb(std::vector<dim>(bd.begin(), bd.end() - 2));
    auto batch = broadcast(ab, bb);
    if (!batch) c.fail("cannot broadcast the batch dims " + ab.to_string() + " with " + bb.to_string());
    std::vector<dim> out = batch->dims();
    if (a->rank() > 1) out.push_back(ad[ad.size() - 2]);
    if (b->rank() > 1) out.push_back(bd.back());
    c.set_output(0, t, shape(std::move(out)));
}

/// Gemm: A [M, K] (or [K, M] with transA), B [K, N] (or [N, K] with transB), optional C broadcasting to [M, N].
template <class Traits>
void gemm(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 3);
    support::same_dtype(c, 0, 1);
    const dtype t = c.input_dtype(0);
    const shape* a = c.input_shape(0);
    const shape* b = c.input_shape(1);
    if (a && a->rank() != 2) c.fail("A must be 2-D, got " + a->to_string());
    if (b && b->rank() != 2) c.fail("B must be 2-D, got " + b->to_string());
    const bool ta = c.template attr_or<std::int64_t>("transA", 0) != 0;
    const bool tb = c.template attr_or<std::int64_t>("transB", 0) != 0;
    const dim m = a ? (*a)[ta ? 1 : 0] : dim::unknown();
    const dim k1 = a ? (*a)[ta ? 0 : 1] : dim::unknown();
    const dim k2 = b ? (*b)[tb ? 1 : 0] : dim::unknown();
    const dim n = b ? (*b)[tb ? 0 : 1] : dim::unknown();
    if (!support::may_equal(k1, k2))
        c.fail("inner dims " + k1.to_string() + " vs " + k2.to_string() + " differ (A " + a->to_string() + (ta ? " transposed" : "") +
               ", B " + b->to_string() + (tb ? " transposed" : "") + ")");
    const shape out{m, n};
    if (const shape* cs = c.input_shape(2)) support::check_unidirectional(c, *cs, out, "C");
    c.set_output(0, t, out);
}

/// DepthToSpace [N, C, H, W] -> [N, C/(b*b), H*b, W*b]; SpaceToDepth the inverse.
template <class Traits>
void depth_space(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const dtype t = c.input_dtype(0);
    if (!c.has_attr("blocksize")) c.fail("the blocksize attribute is required");
    const std::int64_t bs = c.template attr<std::int64_t>("blocksize");
    if (bs < 1) c.fail("blocksize must be positive, got " + std::to_string(bs));
    const shape* x = c.input_shape(0);
    if (!x) return c.set_output(0, t, support::unknown_dims(4));
    if (x->rank() != 4) c.fail("input must be 4-D [N, C, H, W], got " + x->to_string());
    const dim& ch = (*x)[1];
    const dim& h = (*x)[2];
    const dim& w = (*x)[3];
    const dim b(bs);
    if (c.node().op_type() == "DepthToSpace") {
        if (ch.is_static() && ch.value() % (bs * bs) != 0)
            c.fail("C=" + ch.to_string() + " is not a multiple of blocksize^2 = " + std::to_string(bs * bs));
        return c.set_output(0, t, shape{(*x)[0], floor_div(ch, dim(bs * bs)), h * b, w * b});
    }
    for (const dim* d : {&h, &w})
        if (d->is_static() && d->value() % bs != 0)
            c.fail("H and W must be multiples of blocksize " + std::to_string(bs) + ", got " + x->to_string());
    c.set_output(0, t, shape{(*x)[0], ch * dim(bs * bs), floor_div(h, b), floor_div(w, b)});
}

/// Pad: pads from the attribute (before opset 11) or input 1, optional axes (input 3, opset 18); negative pads crop.
template <class Traits>
void pad(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 4);
    const dtype t = c.input_dtype(0);
    const auto mode = c.template attr_or<std::string>("mode", "constant");
    if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
        c.fail("mode '" + mode + "' is not one of constant, reflect, edge, wrap");
    if (c.has_input(2)) support::same_dtype(c, 0, 2);
    std::optional<std::vector<dim>> pads;
    if (c.has_input(1)) {
        if (const auto* v = c.input_value(1)) pads = *v;
    } else if (c.has_attr("pads") || c.has_attr("paddings")) {
        std::vector<dim> p;
        for (auto v : c.ints_or(c.has_attr("pads") ? "pads" : "paddings")) p.emplace_back(v);
        pads = std::move(p);
    } else {
        c.fail("the pads are missing (an input from opset 11, the pads attribute before)");
    }
    const shape* x = c.input_shape(0);
    if (!x) {
        if (pads && !c.has_input(3) && pads->size() % 2 == 0) return c.set_output(0, t, support::unknown_dims(pads->size() / 2));
        return c.set_output_unknown_rank(0, t);
    }
    const std::size_t r = x->rank();
    std::vector<std::size_t> axes;
    if (c.has_input(3)) {
        auto a = c.input_ints(3);
        if (!a) return c.set_output(0, t, support::unknown_dims(r));  // which dims change is known at run time only
        for (auto v : *a) {
            const std::size_t ax = c.axis(v, r);
            if (std::find(axes.begin(), axes.end(), ax) != axes.end()) c.fail("axis " + std::to_string(v) + " is repeated in axes");
            axes.push_back(ax);
        }
    } else {
        for (std::size_t i = 0; i < r; ++i) axes.push_back(i);
    }
    std::vector<dim> out = x->dims();
    if (!pads) {
        for (auto ax : axes) out[ax] = dim::unknown();
        return c.set_output(0, t, shape(std::move(out)));
    }
    if (pads->size() != 2 * axes.size())
        c.fail("pads has " + std::to_string(pads->size()) + " value(s), expected 2*" + std::to_string(axes.size()) +
               " (begin and end per padded axis)");
    const std::size_t n = axes.size();
    for (std::size_t i = 0; i < n; ++i) {
        dim d = support::add(support::add(out[axes[i]], (*pads)[i]), (*pads)[i + n]);
        if (d.is_static() && d.value() < 0)
            c.fail("axis " + std::to_string(axes[i]) + " of size " + out[axes[i]].to_string() + " padded by " + (*pads)[i].to_string() +
                   " and " + (*pads)[i + n].to_string() + " would have size " + d.to_string());
        out[axes[i]] = clamp_nonnegative(d);
    }
    c.set_output(0, t, shape(std::move(out)));
}

/// floor(d * s) as ONNX and ONNX Runtime compute it (float arithmetic); exact for symbols when s is a small fraction.
[[nodiscard]] inline dim scale_dim(const dim& d, float s) {
    if (s == 1.0f) return d;
    constexpr float limit = 9.0e18f;  // beyond int64
    auto fits = [&](std::int64_t v) { return static_cast<float>(v) * s < limit; };
    auto apply = [s](std::int64_t v) { return static_cast<std::int64_t>(std::floor(static_cast<float>(v) * s)); };
    if (d.is_static()) return fits(d.value()) ? dim(apply(d.value())) : dim::unknown();
    if (d.is_range()) {
        if (!fits(d.lo()) || (d.hi() != -1 && !fits(d.hi()))) return dim::unknown();
        const std::int64_t lo = apply(d.lo()), hi = d.hi() == -1 ? -1 : apply(d.hi());
        return hi == lo ? dim(lo) : dim::range(lo, hi);
    }
    if (d.is_symbol() && s > 0.0f)
        for (std::int64_t q = 1; q <= 64; ++q) {
            const double p = static_cast<double>(s) * static_cast<double>(q);
            if (p == std::floor(p) && p < 1e9) return floor_div(d * dim(static_cast<std::int64_t>(p)), dim(q));
        }
    return dim::unknown();
}

/// Which axes scales/sizes refer to: the `axes` attribute (opset 18) or all of them.
template <class Traits>
[[nodiscard]] std::vector<std::size_t> resize_axes(const infer_context<Traits>& c, std::size_t rank) {
    std::vector<std::size_t> axes;
    if (c.has_attr("axes")) {
        for (auto v : c.ints_or("axes")) {
            const std::size_t ax = c.axis(v, rank);
            if (std::find(axes.begin(), axes.end(), ax) != axes.end()) c.fail("axis " + std::to_string(v) + " is repeated in axes");
            axes.push_back(ax);
        }
    } else {
        for (std::size_t i = 0; i < rank; ++i) axes.push_back(i);
    }
    return axes;
}

/// The output of Resize/Upsample from per-axis scales (nullopt = not known before run time).
template <class Traits>
void apply_scales(infer_context<Traits>& c, const shape& x, const std::vector<std::size_t>& axes,
                  const std::optional<std::vector<double>>& scales) {
    const dtype t = c.input_dtype(0);
    std::vector<dim> out = x.dims();
    if (!scales) {
        for (auto ax : axes) out[ax] = dim::unknown();
        return c.set_output(0, t, shape(std::move(out)));
    }
    if (scales->size() != axes.size())
        c.fail("scales has " + std::to_string(scales->size()) + " value(s) but " + std::to_string(axes.size()) +
               " axes are resized (input " + x.to_string() + ")");
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const auto s = static_cast<float>((*scales)[i]);
        if (!(s > 0.0f)) c.fail("scales must be positive, got " + std::to_string((*scales)[i]));
        out[axes[i]] = scale_dim(out[axes[i]], s);
    }
    c.set_output(0, t, shape(std::move(out)));
}

/// Resize: X, scales (opset 10); X, roi, scales, sizes (opset 11 on; from 13 roi and scales are optional).
template <class Traits>
void resize(infer_context<Traits>& c) {
    const bool v10 = c.opset() < 11;
    support::expect_inputs(c, v10 ? 2 : 1, v10 ? 2 : 4);
    const dtype t = c.input_dtype(0);
    const std::size_t scales_at = v10 ? 1 : 2, sizes_at = 3;
    // an empty tensor (shape [0]) means "not given"
    auto given = [&](std::size_t i) {
        if (!c.has_input(i)) return false;
        const shape* s = c.input_shape(i);
        return !(s && s->numel() && *s->numel() == 0);
    };
    const bool has_scales = given(scales_at), has_sizes = !v10 && given(sizes_at);
    if (has_scales && has_sizes) {
        const shape* ss = c.input_shape(scales_at);
        if (ss && ss->is_static()) c.fail("scales and sizes are both given; exactly one of them may be non-empty");
    }
    if (!has_scales && !has_sizes) c.fail("neither scales nor sizes is given");
    const shape* x = c.input_shape(0);
    if (!x) {
        // the rank is the number of scales/sizes when they cover every axis
        const shape* s = c.input_shape(has_sizes ? sizes_at : scales_at);
        if (!c.has_attr("axes") && s && s->rank() == 1 && (*s)[0].is_static()) {
            if (has_sizes)
                if (const auto* v = c.input_value(sizes_at); v && v->size() == static_cast<std::size_t>((*s)[0].value()))
                    return c.set_output(0, t, shape(*v));
            return c.set_output(0, t, support::unknown_dims(static_cast<std::size_t>((*s)[0].value())));
        }
        return c.set_output_unknown_rank(0, t);
    }
    const auto axes = resize_axes(c, x->rank());
    if (!has_sizes) return apply_scales(c, *x, axes, c.input_floats(scales_at));
    std::vector<dim> out = x->dims();
    const auto* sizes = c.input_value(sizes_at);
    if (!sizes) {
        for (auto ax : axes) out[ax] = dim::unknown();
        return c.set_output(0, t, shape(std::move(out)));
    }
    if (sizes->size() != axes.size())
        c.fail("sizes has " + std::to_string(sizes->size()) + " value(s) but " + std::to_string(axes.size()) + " axes are resized (input " +
               x->to_string() + ")");
    for (const auto& d : *sizes)
        if (d.is_static() && d.value() < 0) c.fail("sizes must not be negative, got " + shape(*sizes).to_string());
    const auto policy = c.template attr_or<std::string>("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
        c.fail("keep_aspect_ratio_policy '" + policy + "' is not one of stretch, not_larger, not_smaller");
    if (policy == "stretch") {
        for (std::size_t i = 0; i < axes.size(); ++i) out[axes[i]] = (*sizes)[i];
        return c.set_output(0, t, shape(std::move(out)));
    }
    // keep the aspect ratio: one scale for every resized axis, the smallest (not_larger) or largest (not_smaller)
    bool known = true;
    float scale = policy == "not_larger" ? 3.4e38f : 0.0f;
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const dim& in = out[axes[i]];
        if (!(*sizes)[i].is_static() || !in.is_static() || in.value() == 0) {
            known = false;
            break;
        }
        const float r = static_cast<float>((*sizes)[i].value()) / static_cast<float>(in.value());
        scale = policy == "not_larger" ? std::min(scale, r) : std::max(scale, r);
    }
    for (auto ax : axes) {
        const float v = known ? std::round(scale * static_cast<float>(out[ax].value())) : -1.0f;
        out[ax] = v >= 0.0f && v < 9.0e18f ? dim(static_cast<std::int64_t>(v)) : dim::unknown();
    }
    c.set_output(0, t, shape(std::move(out)));
}

/// Upsample: scales from the attribute (before opset 9) or input 1.
template <class Traits>
void upsample(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 2);
    const dtype t = c.input_dtype(0);
    std::optional<std::vector<double>> scales;
    if (c.has_input(1)) {
        scales = c.input_floats(1);
    } else if (c.has_attr("scales")) {
        std::vector<double> s;
        for (float f : c.template attr<std::vector<float>>("scales")) s.push_back(f);
        scales = std::move(s);
    } else {
        c.fail("the scales are missing (an input from opset 9, the scales attribute before)");
    }
    const shape* x = c.input_shape(0);
    if (!x) {
        if (scales) return c.set_output(0, t, support::unknown_dims(scales->size()));
        return c.set_output_unknown_rank(0, t);
    }
    std::vector<std::size_t> axes;
    for (std::size_t i = 0; i < x->rank(); ++i) axes.push_back(i);
    apply_scales(c, *x, axes, scales);
}

}  // namespace nn

template <class Traits>
void add_nn_rules(shape_rule_table<Traits>& t) {
    t.add("Conv", &nn::conv<Traits>);
    t.add("ConvTranspose", &nn::conv_transpose<Traits>);
    for (const char* op : {"MaxPool", "AveragePool", "LpPool"}) t.add(op, &nn::pool<Traits>);
    t.add("GlobalAveragePool", &nn::global_pool<Traits>);
    t.add("GlobalMaxPool", &nn::global_pool<Traits>);
    t.add("BatchNormalization", &nn::batch_norm<Traits>);
    t.add("InstanceNormalization", &nn::instance_norm<Traits>);
    t.add("LayerNormalization", &nn::layer_norm<Traits>);
    for (const char* op : {"LpNormalization", "Softmax", "LogSoftmax", "Hardmax"}) t.add(op, &nn::along_axis<Traits>);
    t.add("MatMul", &nn::matmul<Traits>);
    t.add("Gemm", &nn::gemm<Traits>);
    t.add("DepthToSpace", &nn::depth_space<Traits>);
    t.add("SpaceToDepth", &nn::depth_space<Traits>);
    t.add("Pad", &nn::pad<Traits>);
    t.add("Resize", &nn::resize<Traits>);
    t.add("Upsample", &nn::upsample<Traits>);
}

}  // namespace passes::shape_rules
GEARC_END_NAMESPACE
