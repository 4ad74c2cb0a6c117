// Shape rules for gearc's fused operators (domain ai.gearc): FusedConv, FusedGemm, FusedMatMul, Gelu.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim.hpp>
#include <gearc/dim_expr.hpp>
#include <gearc/dtype.hpp>
#include <gearc/passes/infer_context.hpp>
#include <gearc/shape.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace passes::shape_rules {

namespace fused {

/// False only when both dims are static and differ.
[[nodiscard]] inline bool conflict(const dim& a, const dim& b) { return a.is_static() && b.is_static() && a.value() != b.value(); }

[[nodiscard]] inline std::string list(const std::vector<std::int64_t>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
}

/// FusedConv(X, W[, B]) = activation(Conv(X, W, B)): [N, C, D...] * [M, C/group, k...] -> [N, M, O...] with
/// O = floor((D + pad_begin + pad_end - dilation*(k-1) - 1) / stride) + 1, or ceil(D / stride) for SAME_*.
template <class Traits>
void conv(infer_context<Traits>& c) {
    if (!c.has_input(0) || !c.has_input(1)) c.fail("needs the inputs X and W");
    const dtype t = c.input_dtype(0);
    const shape* x = c.input_shape(0);
    const shape* w = c.input_shape(1);
    if (!x && !w) return c.set_output_unknown_rank(0, t);
    const std::size_t rank = x ? x->rank() : w->rank();
    if (rank < 3) c.fail("X must have rank 3 or more (N, C and at least one spatial dim), not " + std::to_string(rank));
    if (x && w && w->rank() != rank)
        c.fail("X " + x->to_string() + " and W " + w->to_string() + " must have the same rank");
    const std::size_t n = rank - 2;
    const std::int64_t group = c.template attr_or<std::int64_t>("group", 1);
    if (group < 1) c.fail("group must be positive, not " + std::to_string(group));
    if (x && w && (*x)[1].is_static() && (*w)[1].is_static() && (*x)[1].value() != (*w)[1].value() * group)
        c.fail("X has " + std::to_string((*x)[1].value()) + " channels but W " + w->to_string() + " with group " +
               std::to_string(group) + " expects " + std::to_string((*w)[1].value() * group));
    auto ints = [&](const char* name, std::size_t size, std::int64_t fill) {
        auto v = c.ints_or(name);
        if (v.empty()) v.assign(size, fill);
        if (v.size() != size)
            c.fail(std::string(name) + " " + list(v) + " must have " + std::to_string(size) + " values for " + std::to_string(n) +
                   " spatial dims");
        return v;
    };
    const auto strides = ints("strides", n, 1);
    const auto dilations = ints("dilations", n, 1);
    const auto pads = ints("pads", 2 * n, 0);
    const auto kernel = c.ints_or("kernel_shape");
    if (!kernel.empty() && kernel.size() != n) c.fail("kernel_shape " + list(kernel) + " must have " + std::to_string(n) + " values");
    for (auto s : strides)
        if (s < 1) c.fail("strides " + list(strides) + " must be positive");
    const std::string auto_pad = c.template attr_or<std::string>("auto_pad", "NOTSET");

    std::vector<dim> out{x ? (*x)[0] : dim(), w ? (*w)[0] : dim()};
    for (std::size_t i = 0; i < n; ++i) {
        const dim in = x ? (*x)[2 + i] : dim();
        const dim k = !kernel.empty() ? dim(kernel[i]) : w ? (*w)[2 + i] : dim();
        const dim stride(strides[i]);
        dim o;
        if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
            o = ceil_div(in, stride);
        } else {
            const std::int64_t pad = auto_pad == "VALID" ? 0 : pads[i] + pads[i + n];
            const dim extent = (k - dim(1)) * dim(dilations[i]) + dim(1);  // the dilated kernel's size
            o = floor_div(in + dim(pad) - extent, stride) + dim(1);
        }
        if (o.is_static() && o.value() < 1)
            c.fail("the output's spatial dim " + std::to_string(i) + " would be " + std::to_string(o.value()) + " (input " +
                   in.to_string() + ", kernel " + k.to_string() + ")");
        out.push_back(o);
    }
    c.set_output(0, t, shape(std::move(out)));
}

/// FusedGemm(A, B[, C]) = activation(alpha * A' * B' + beta * C): [M, K] * [K, N] -> [M, N] (A' and B'
/// transposed when transA / transB).
template <class Traits>
void gemm(infer_context<Traits>& c) {
    if (!c.has_input(0) || !c.has_input(1)) c.fail("needs the inputs A and B");
    const shape* a = c.input_shape(0);
    const shape* b = c.input_shape(1);
    if ((a && a->rank() != 2) || (b && b->rank() != 2))
        c.fail("A and B must be matrices, not " + (a ? a->to_string() : std::string("?")) + " and " +
               (b ? b->to_string() : std::string("?")));
    const bool ta = c.template attr_or<std::int64_t>("transA", 0) != 0;
    const bool tb = c.template attr_or<std::int64_t>("transB", 0) != 0;
    const dim m = a ? (*a)[ta ? 1 : 0] : dim(), ka = a ? (*a)[ta ? 0 : 1] : dim();
    const dim kb = b ? (*b)[tb ? 1 : 0] : dim(), n = b ? (*b)[tb ? 0 : 1] : dim();
    if (conflict(ka, kb)) c.fail("A " + a->to_string() + " and B " + b->to_string() + " disagree on K");
    if (const shape* cs = c.input_shape(2)) {
        const dim target[2] = {m, n};
        bool ok = cs->rank() <= 2;
        for (std::size_t i = 0; ok && i < cs->rank(); ++i) {
            const dim& d = (*cs)[i];
            ok = !(d.is_static() && d.value() != 1 && conflict(d, target[2 - cs->rank() + i]));
        }
        if (!ok) c.fail("C " + cs->to_string() + " does not broadcast to [" + m.to_string() + "," + n.to_string() + "]");
    }
    c.set_output(0, c.input_dtype(0), shape{m, n});
}

/// FusedMatMul(A, B, bias) = activation(MatMul(A, B) + bias): numpy matmul (batch dims broadcast, 1-D
/// operands promoted and the promoted axis dropped), bias along the last axis.
template <class Traits>
void matmul(infer_context<Traits>& c) {
    if (!c.has_input(0) || !c.has_input(1)) c.fail("needs the inputs A and B");
    const dtype t = c.input_dtype(0);
    const shape* a = c.input_shape(0);
    const shape* b = c.input_shape(1);
    if (!a || !b) return c.set_output_unknown_rank(0, t);
    if (a->rank() == 0 || b->rank() == 0) c.fail("A " + a->to_string() + " and B " + b->to_string() + " must not be scalars");
    std::vector<dim> ad = a->dims(), bd = b->dims();
    if (ad.size() == 1) ad.insert(ad.begin(), dim(1));
    if (bd.size() == 1) bd.push_back(dim(1));
    if (conflict(ad.back(), bd[bd.size() - 2])) c.fail("A " + a->to_string() + " and B " + b->to_string() + " disagree on K");
    auto batch = broadcast(shape(std::vector<dim>(ad.begin(), ad.end() - 2)), shape(std::vector<dim>(bd.begin(), bd.end() - 2)));
    if (!batch) c.fail("the batch dims of A " + a->to_string() + " and B " + b->to_string() + " do not broadcast");
    std::vector<dim> out = batch->dims();
    if (a->rank() >= 2) out.push_back(ad[ad.size() - 2]);
    if (b->rank() >= 2) out.push_back(bd.back());
    if (const shape* bias = c.input_shape(2)) {
        if (bias->rank() != 1 || (b->rank() >= 2 && conflict((*bias)[0], bd.back()) && !((*bias)[0].is_static() && (*bias)[0].value() == 1)))
            c.fail("bias " + bias->to_string() + " must be one-dimensional along B's last dim " + bd.back().to_string());
    }
    c.set_output(0, t, shape(std::move(out)));
}

/// Gelu(X): X's type and shape.
template <class Traits>
void same_as_input(infer_context<Traits>& c) {
    if (!c.has_input(0)) c.fail("needs the input X");
    if (const shape* s = c.input_shape(0)) c.set_output(0, c.input_dtype(0), *s);
    else c.set_output_unknown_rank(0, c.input_dtype(0));
}

}  // namespace fused

/// Registers the rules of the ai.gearc operators the fusion passes create.
template <class Traits>
void add_fused_rules(shape_rule_table<Traits>& t) {
    using table = shape_rule_table<Traits>;
    t.add(table::key("ai.gearc", "FusedConv"), &fused::conv<Traits>);
    t.add(table::key("ai.gearc", "FusedGemm"), &fused::gemm<Traits>);
    t.add(table::key("ai.gearc", "FusedMatMul"), &fused::matmul<Traits>);
    t.add(table::key("ai.gearc", "Gelu"), &fused::same_as_input<Traits>);
}

}  // namespace passes::shape_rules
GEARC_END_NAMESPACE
