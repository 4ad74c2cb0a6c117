// Pattern fusions: the decomposed LayerNorm and exact GELU that exporters emit, back into single operators.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/cleanup.hpp>
#include <gearc/passes/pass.hpp>
#include <gearc/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

namespace detail::rewrite {

/// Whether `v` is a constant scalar within 1e-4 (relative) of `target`. It must hold one element and not
/// raise the rank of `like` when broadcast against it (rank 0 when `like`'s rank is unknown).
template <class Traits>
[[nodiscard]] bool is_scalar_near(const basic_value<Traits>* v, double target, const basic_value<Traits>* like) {
    auto t = constant_of(v);
    if (!t || t->numel() != 1) return false;
    const std::size_t rank = like && like->type().has_shape() ? like->type().dims->rank() : 0;
    if (t->sizes().size() > rank) return false;
    auto d = to_doubles(*t);
    return d && std::abs(d->front() - target) <= 1e-4 * std::abs(target);
}

/// The input of binary `n` other than `v` (nullptr when both are `v`).
template <class Traits>
[[nodiscard]] basic_value<Traits>* other_input(const basic_node<Traits>& n, const basic_value<Traits>* v) {
    if (n.num_inputs() != 2) return nullptr;
    if (n.input(0) == v && n.input(1) != v) return n.input(1);
    if (n.input(1) == v && n.input(0) != v) return n.input(0);
    return nullptr;
}

/// `n` is the ai.onnx binary op `op` with one output, reading `v`.
template <class Traits>
[[nodiscard]] bool is_binary_on(const basic_node<Traits>* n, std::string_view op, const basic_value<Traits>* v) {
    return is_op(n, op) && n->num_inputs() == 2 && n->num_outputs() == 1 && n->output(0) && (n->input(0) == v || n->input(1) == v);
}

}  // namespace detail::rewrite

/// "LayerNormFusion": the LayerNorm that exporters emit before opset 17,
///   mean = ReduceMean(x, axes), d = Sub(x, mean), v = ReduceMean(Pow(d, 2) or Mul(d, d), axes),
///   y = Div(d, Sqrt(Add(v, eps))) [* gamma] [+ beta]
/// over the last k axes (axes a suffix, keepdims=1, the normalised dims static), becomes
/// LayerNormalization(x, scale = gamma or ones, B = beta or zeros, axis = -k, epsilon = eps).
/// gamma and beta must be constants of the normalised shape (leading 1s allowed) and x's type.
struct fuse_layer_norm {
    static constexpr std::string_view name = "fuse_layer_norm";
    static constexpr std::string_view fusion = "LayerNormFusion";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        if (!ctx.fusion_enabled(fusion)) return false;
        detail::rewrite::rewriter<Traits> rw(g);
        std::size_t fused = 0;
        for (auto* n : g.node_list())
            if (!rw.removed(n) && detail::rewrite::is_op(n, "ReduceMean") && fuse_one(rw, *n, ctx.opset >= 17 ? "" : "ai.gearc"))
                ++fused;
        ctx.count("fuse_layer_norm.layer_norm", fused);
        return fused > 0;
    }

private:
    /// The number k of trailing axes `reduce` averages over; nullopt unless keepdims=1 and its axes are
    /// exactly the last k (positive axes need the input's `rank`).
    template <class Traits>
    static std::optional<std::int64_t> trailing_axes(const basic_node<Traits>& reduce, std::optional<std::size_t> rank) {
        namespace r = detail::rewrite;
        if (reduce.template attr_or<std::int64_t>("keepdims", 1) != 1) return std::nullopt;
        std::vector<std::int64_t> axes;
        if (reduce.has_attr("axes")) {
            auto a = reduce.template attr<typename Traits::template vector_type<std::int64_t>>("axes");
            axes.assign(a.begin(), a.end());
        } else if (auto* in = r::given_input(reduce, 1)) {  // opset 18: axes as an input
            auto t = r::constant_of(in);
            auto d = t ? r::to_doubles(*t) : std::nullopt;
            if (!d) return std::nullopt;
            for (double x : *d) axes.push_back(static_cast<std::int64_t>(x));
        }
        if (axes.empty()) return std::nullopt;
        const auto k = static_cast<std::int64_t>(axes.size());
        for (auto& a : axes) {
            if (a >= 0) {
                if (!rank) return std::nullopt;
                a -= static_cast<std::int64_t>(*rank);
            }
        }
        std::sort(axes.begin(), axes.end());
        for (std::int64_t i = 0; i < k; ++i)
            if (axes[static_cast<std::size_t>(i)] != i - k) return std::nullopt;
        if (rank && k > static_cast<std::int64_t>(*rank)) return std::nullopt;
        return k;
    }

    /// `param` as LayerNormalization's scale or bias: a constant of x's type whose sizes are the
    /// normalised sizes, possibly after leading 1s (the tensor returned then has the normalised sizes and
    /// shares the bytes).
    template <class Traits>
    static std::optional<tensor> as_param(const basic_value<Traits>* param, const std::vector<std::int64_t>& norm, dtype type) {
        auto t = detail::rewrite::constant_of(param);
        if (!t || (type != dtype::undefined && t->type() != type)) return std::nullopt;
        const auto& s = t->sizes();
        if (s.size() < norm.size()) return std::nullopt;
        const std::size_t lead = s.size() - norm.size();
        for (std::size_t i = 0; i < s.size(); ++i)
            if (i < lead ? s[i] != 1 : s[i] != norm[i - lead]) return std::nullopt;
        if (lead == 0) return t;
        return tensor(t->type(), norm, t->data());
    }

    template <class Traits>
    /// `domain`: ai.onnx from opset 17 (where LayerNormalization exists); ai.gearc below, so that an exported
    /// gear graph stays valid for its opset.
    static bool fuse_one(detail::rewrite::rewriter<Traits>& rw, basic_node<Traits>& r1, std::string_view domain) {
        namespace r = detail::rewrite;
        using node_t = basic_node<Traits>;
        auto* x = r::given_input(r1, 0);
        auto* mean = r1.output(0);
        if (!x || !mean || r1.num_outputs() != 1) return false;
        std::optional<std::size_t> rank;
        if (x->type().has_shape()) rank = x->type().dims->rank();
        auto k = trailing_axes(r1, rank);
        if (!k || !rank) return false;  // the normalised dims must be known

        // d = x - mean
        auto* sub = rw.sole_user(mean);
        if (!r::is_op(sub, "Sub") || sub->num_inputs() != 2 || sub->input(0) != x || sub->input(1) != mean ||
            sub->num_outputs() != 1 || !sub->output(0))
            return false;
        auto* d = sub->output(0);
        // d's readers: the square (Pow(d, 2) or Mul(d, d)) and Div(d, ·)
        node_t* square = nullptr;
        node_t* div = nullptr;
        for (const auto& u : d->uses()) {
            auto* n = u.user;
            if (r::is_op(n, "Div") && u.index == 0) div = n;
            else if (r::is_op(n, "Pow") && u.index == 0 && r::is_scalar_near(r::given_input(*n, 1), 2.0, d)) square = n;
            else if (r::is_op(n, "Mul") && n->num_inputs() == 2 && n->input(0) == d && n->input(1) == d) square = n;
            else return false;
        }
        if (!square || !div || !rw.only_used_by(d, {square, div}) || square->num_outputs() != 1 || !square->output(0)) return false;
        // var = ReduceMean(square, same axes); s = Sqrt(var + eps); n = d / s
        auto* r2 = rw.sole_user(square->output(0));
        if (!r::is_op(r2, "ReduceMean") || r::given_input(*r2, 0) != square->output(0) || r2->num_outputs() != 1 ||
            trailing_axes(*r2, rank) != k)
            return false;
        auto* add_eps = rw.sole_user(r2->output(0));
        if (!r::is_binary_on(add_eps, "Add", r2->output(0))) return false;
        auto eps = r::scalar_of(r::other_input(*add_eps, r2->output(0)));
        if (!eps || !(*eps >= 0.0) || r::constant_of(r::other_input(*add_eps, r2->output(0)))->sizes().size() > *rank) return false;
        auto* sqrt = rw.sole_user(add_eps->output(0));
        if (!r::is_op(sqrt, "Sqrt") || sqrt->num_outputs() != 1 || !sqrt->output(0)) return false;
        if (rw.sole_user(sqrt->output(0)) != div || div->num_inputs() != 2 || div->input(1) != sqrt->output(0) ||
            div->num_outputs() != 1 || !div->output(0))
            return false;

        // the normalised dims, and x's type for the parameters
        std::vector<std::int64_t> norm;
        for (std::size_t i = *rank - static_cast<std::size_t>(*k); i < *rank; ++i) {
            const dim& dd = (*x->type().dims)[i];
            if (!dd.is_static()) return false;
            norm.push_back(dd.value());
        }
        const dtype type = x->type().elem;

        // optional * gamma, + beta
        node_t* tail = div;
        node_t* mul = nullptr;
        node_t* add = nullptr;
        basic_value<Traits>* gamma = nullptr;
        basic_value<Traits>* beta = nullptr;
        std::optional<tensor> scale_t, bias_t;
        auto* next = rw.sole_user(div->output(0));
        if (r::is_binary_on(next, "Mul", div->output(0)))
            if ((scale_t = as_param(gamma = r::other_input(*next, div->output(0)), norm, type))) {
                mul = tail = next;
                next = rw.sole_user(mul->output(0));
            }
        if (r::is_binary_on(next, "Add", tail->output(0)))
            if ((bias_t = as_param(beta = r::other_input(*next, tail->output(0)), norm, type))) add = tail = next;

        // absent parameters are ones and zeros of x's type (float32/float64)
        const dtype ptype = type != dtype::undefined ? type : scale_t ? scale_t->type() : bias_t ? bias_t->type() : type;
        if ((!scale_t || !bias_t) && ptype != dtype::float32 && ptype != dtype::float64) return false;
        std::size_t numel = 1;
        for (auto s : norm) numel *= static_cast<std::size_t>(s);
        auto param = [&](basic_value<Traits>* given, std::optional<tensor>& t, const char* what, double fill) {
            if (!t)
                return rw.add_constant(std::string(x->name()) + "_ln_" + what,
                                       r::make_float_tensor(ptype, norm, std::vector<double>(numel, fill)));
            if (t->sizes() == r::constant_of(given)->sizes()) return given;
            return rw.add_constant(std::string(given->name()) + "_ln", std::move(*t));
        };
        auto* scale = param(gamma, scale_t, "scale", 1.0);
        auto* bias = param(beta, bias_t, "bias", 0.0);

        typename node_t::attribute_list attrs;
        attrs.emplace_back("axis", basic_attribute<Traits>(-*k));
        attrs.emplace_back("epsilon", basic_attribute<Traits>(static_cast<float>(*eps)));
        std::vector<node_t*> others;
        for (auto* n : {add, mul, div, sqrt, add_eps, r2, square, sub, &r1})
            if (n && n != tail) others.push_back(n);
        const std::string first_name(r1.name());
        rw.fuse(*tail, "LayerNormalization", std::string(domain), {x, scale, bias}, std::move(attrs), others, first_name);
        return true;
    }
};

/// "GeluFusion": the exact GELU x * 0.5 * (1 + Erf(x / sqrt(2))) in the orders exporters write it
/// (x / 1.4142... or x * 0.7071...; the three-factor product associated any way; operands either side;
/// constants within 1e-4 relative) becomes `ai.gearc.Gelu(x)` with approximate = "none".
struct fuse_gelu {
    static constexpr std::string_view name = "fuse_gelu";
    static constexpr std::string_view fusion = "GeluFusion";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        if (!ctx.fusion_enabled(fusion)) return false;
        detail::rewrite::rewriter<Traits> rw(g);
        std::size_t fused = 0;
        for (auto* n : g.node_list())
            if (!rw.removed(n) && detail::rewrite::is_op(n, "Erf") && fuse_one(rw, *n)) ++fused;
        ctx.count("fuse_gelu.gelu", fused);
        return fused > 0;
    }

private:
    template <class Traits>
    static bool fuse_one(detail::rewrite::rewriter<Traits>& rw, basic_node<Traits>& erf) {
        namespace r = detail::rewrite;
        using node_t = basic_node<Traits>;
        using value_t = basic_value<Traits>;
        constexpr double sqrt2 = 1.4142135623730951;
        auto* a = r::given_input(erf, 0);
        if (!a || erf.num_outputs() != 1 || !erf.output(0) || rw.sole_user(a) != &erf) return false;
        // a = x / sqrt(2) or x * (1 / sqrt(2))
        node_t* scale = a->producer();
        value_t* x = nullptr;
        if (r::is_op(scale, "Div") && scale->num_inputs() == 2 && r::is_scalar_near(scale->input(1), sqrt2, scale->input(0)))
            x = scale->input(0);
        else if (r::is_op(scale, "Mul") && scale->num_inputs() == 2) {
            for (std::size_t i = 0; i < 2 && !x; ++i)
                if (r::is_scalar_near(scale->input(1 - i), 1.0 / sqrt2, scale->input(i))) x = scale->input(i);
        }
        if (!x || x->name().empty()) return false;
        // b = erf + 1
        auto* e = erf.output(0);
        auto* plus = rw.sole_user(e);
        if (!r::is_binary_on(plus, "Add", e) || !r::is_scalar_near(r::other_input(*plus, e), 1.0, x)) return false;
        auto* b = plus->output(0);
        // y = x * b * 0.5, associated any way
        auto* m1 = rw.sole_user(b);
        if (!r::is_binary_on(m1, "Mul", b)) return false;
        auto* o1 = r::other_input(*m1, b);
        if (!o1) return false;
        node_t* tail = nullptr;
        node_t* half = nullptr;  // Mul(x, 0.5) feeding m1
        if (o1 == x || r::is_scalar_near(o1, 0.5, x)) {
            auto* m2 = rw.sole_user(m1->output(0));
            if (!r::is_binary_on(m2, "Mul", m1->output(0))) return false;
            auto* o2 = r::other_input(*m2, m1->output(0));
            if (o1 == x ? !r::is_scalar_near(o2, 0.5, x) : o2 != x) return false;
            tail = m2;
        } else {
            half = o1->producer();
            if (!r::is_binary_on(half, "Mul", x) || rw.sole_user(o1) != m1 || !r::is_scalar_near(r::other_input(*half, x), 0.5, x))
                return false;
            tail = m1;
        }
        typename node_t::attribute_list attrs;
        attrs.emplace_back("approximate", basic_attribute<Traits>(typename Traits::string_type("none")));
        std::vector<node_t*> others;
        for (auto* n : {tail == m1 ? static_cast<node_t*>(nullptr) : m1, half, plus, &erf, scale})
            if (n) others.push_back(n);
        const std::string first_name(scale->name());
        rw.fuse(*tail, "Gelu", "ai.gearc", {x}, std::move(attrs), others, first_name);
        return true;
    }
};

}  // namespace passes

GEARC_END_NAMESPACE
