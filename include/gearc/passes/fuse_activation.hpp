// Bias and activation fusions: MatMul+Add into Gemm, and Conv/Gemm/MatMul with their bias and activation into one fused node.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/cleanup.hpp>
#include <gearc/passes/pass.hpp>
#include <gearc/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

namespace detail::rewrite {

/// An activation that a fused node applies to its result: the ONNX op name and its parameters.
struct activation {
    std::string op;
    std::vector<float> params;  ///< Clip: min, max; LeakyRelu: alpha; HardSigmoid: alpha, beta; else none
};

/// What `n` does to `in` when it is an activation gearc's fused nodes can apply: Relu, Sigmoid, Tanh,
/// HardSwish, LeakyRelu, HardSigmoid, or Clip with constant bounds (an absent bound is the float range).
template <class Traits>
[[nodiscard]] std::optional<activation> match_activation(const basic_node<Traits>* n, const basic_value<Traits>* in) {
    if (!n || !is_onnx_domain(n->domain()) || n->num_outputs() != 1 || !n->output(0) || given_input(*n, 0) != in)
        return std::nullopt;
    const auto& op = n->op_type();
    if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish") {
        if (n->num_inputs() != 1) return std::nullopt;
        return activation{std::string(op), {}};
    }
    if ((op == "LeakyRelu" || op == "HardSigmoid") && n->num_inputs() != 1) return std::nullopt;
    if (op == "LeakyRelu") return activation{"LeakyRelu", {n->template attr_or<float>("alpha", 0.01f)}};
    if (op == "HardSigmoid")
        return activation{"HardSigmoid", {n->template attr_or<float>("alpha", 0.2f), n->template attr_or<float>("beta", 0.5f)}};
    if (op == "Clip") {
        // opset < 11: bounds are attributes; from 11: optional inputs, which must be constants
        float bounds[2] = {n->template attr_or<float>("min", std::numeric_limits<float>::lowest()),
                           n->template attr_or<float>("max", std::numeric_limits<float>::max())};
        for (std::size_t i = 1; i < n->num_inputs() && i < 3; ++i) {
            auto* b = given_input(*n, i);
            if (!b) continue;
            auto v = b == in ? std::nullopt : scalar_of(b);
            if (!v) return std::nullopt;
            bounds[i - 1] = static_cast<float>(*v);
        }
        if (n->num_inputs() > 3) return std::nullopt;
        return activation{"Clip", {bounds[0], bounds[1]}};
    }
    return std::nullopt;
}

/// `attrs` plus the activation's `activation` and `activation_params` attributes.
template <class Traits>
[[nodiscard]] typename basic_node<Traits>::attribute_list with_activation(typename basic_node<Traits>::attribute_list attrs,
                                                                          const activation& act) {
    using attribute_t = basic_attribute<Traits>;
    attrs.emplace_back("activation", attribute_t(typename Traits::string_type(act.op)));
    attrs.emplace_back("activation_params",
                       attribute_t(typename Traits::template vector_type<float>(act.params.begin(), act.params.end())));
    return attrs;
}

/// The static sizes of `v`: from its constant data, else from its type; nullopt when not all known.
template <class Traits>
[[nodiscard]] std::optional<std::vector<std::int64_t>> static_sizes(const basic_value<Traits>* v) {
    if (!v) return std::nullopt;
    if (auto t = constant_of(v)) return t->sizes();
    if (v->type().has_shape() && v->type().dims->is_static()) return v->type().dims->sizes();
    return std::nullopt;
}

/// The element type of `v`: its constant's, else its declared one.
template <class Traits>
[[nodiscard]] dtype elem_type_of(const basic_value<Traits>* v) {
    if (auto t = constant_of(v)) return t->type();
    return v ? v->type().elem : dtype::undefined;
}

}  // namespace detail::rewrite

/// "MatMulAddFusion": MatMul(A, B) + C with A two-dimensional [M, K], B a constant [K, N] and C a constant
/// that broadcasts to [M, N] without changing it ([N], [1, N], [M, N], [M, 1], scalars) becomes
/// Gemm(A, B, C). Nothing but the Add may read the MatMul's result.
struct fuse_matmul_add {
    static constexpr std::string_view name = "fuse_matmul_add";
    static constexpr std::string_view fusion = "MatMulAddFusion";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        namespace r = detail::rewrite;
        if (!ctx.fusion_enabled(fusion)) return false;
        r::rewriter<Traits> rw(g);
        std::size_t fused = 0;
        for (auto* mm : g.node_list()) {
            if (rw.removed(mm) || !r::is_op(mm, "MatMul") || mm->num_outputs() != 1) continue;
            auto* a = r::given_input(*mm, 0);
            auto* b = r::given_input(*mm, 1);
            auto* y = mm->output(0);
            if (!a || !b || !y || !a->type().has_shape() || a->type().dims->rank() != 2) continue;
            auto bt = r::constant_of(b);
            if (!bt || bt->sizes().size() != 2 || !gemm_type(bt->type())) continue;
            const dim& m = (*a->type().dims)[0];
            const dim& k = (*a->type().dims)[1];
            if (k.is_static() && k.value() != bt->sizes()[0]) continue;
            auto* add = rw.sole_user(y);
            if (!r::is_op(add, "Add") || add->num_inputs() != 2 || add->num_outputs() != 1) continue;
            auto* c = add->input(0) == y ? add->input(1) : add->input(0);
            auto ct = c == y ? std::nullopt : r::constant_of(c);
            if (!ct || ct->type() != bt->type() || !broadcasts_to(ct->sizes(), m, bt->sizes()[1])) continue;
            const std::string mm_name(mm->name());
            rw.fuse(*add, "Gemm", std::string(mm->domain()), {a, b, c}, {}, {mm}, mm_name);
            ++fused;
        }
        ctx.count("fuse_matmul_add.gemm", fused);
        return fused > 0;
    }

private:
    static bool gemm_type(dtype t) {
        return t == dtype::float32 || t == dtype::float64 || t == dtype::float16 || t == dtype::bfloat16 || t == dtype::int32 ||
               t == dtype::int64 || t == dtype::uint32 || t == dtype::uint64;
    }
    /// C broadcasts to [m, n] and the result is [m, n] (Gemm's unidirectional broadcast).
    static bool broadcasts_to(const std::vector<std::int64_t>& c, const dim& m, std::int64_t n) {
        if (c.size() > 2) return false;
        if (!c.empty() && c.back() != 1 && c.back() != n) return false;
        if (c.size() == 2 && c[0] != 1 && !(m.is_static() && m.value() == c[0])) return false;
        return true;
    }
};

/// Bias and activation fusions, each under its own switch:
/// - "ConvBiasActivationFusion": Conv, then an Add of a per-channel constant (folded into the Conv's
///   bias), then an activation, becomes `ai.gearc.FusedConv` (the Conv's inputs and attributes plus
///   `activation` and `activation_params`); Conv + Add alone becomes a Conv with the folded bias.
/// - "GemmActivationFusion": Gemm then an activation becomes `ai.gearc.FusedGemm`.
/// - "MatMulBiasActivationFusion": MatMul (any rank), then an Add of a constant one-dimensional bias along
///   the last axis, then optionally an activation, becomes `ai.gearc.FusedMatMul(A, B, bias)` (no
///   `activation` attribute when there is none).
/// Activations: Relu, Clip with constant bounds, Sigmoid, HardSwish, LeakyRelu, HardSigmoid, Tanh.
struct fuse_bias_activation {
    static constexpr std::string_view name = "fuse_bias_activation";
    static constexpr std::string_view conv_fusion = "ConvBiasActivationFusion";
    static constexpr std::string_view gemm_fusion = "GemmActivationFusion";
    static constexpr std::string_view matmul_fusion = "MatMulBiasActivationFusion";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        namespace r = detail::rewrite;
        const bool conv_on = ctx.fusion_enabled(conv_fusion), gemm_on = ctx.fusion_enabled(gemm_fusion),
                   matmul_on = ctx.fusion_enabled(matmul_fusion);
        if (!conv_on && !gemm_on && !matmul_on) return false;
        r::rewriter<Traits> rw(g);
        std::size_t conv = 0, conv_bias = 0, gemm = 0, matmul = 0;
        for (auto* n : g.node_list()) {
            if (rw.removed(n) || n->num_outputs() != 1 || !n->output(0)) continue;
            if (conv_on && r::is_op(n, "Conv")) {
                if (auto with_act = fuse_conv(rw, *n)) ++(*with_act ? conv : conv_bias);
            } else if (gemm_on && r::is_op(n, "Gemm")) {
                gemm += fuse_gemm(rw, *n) ? 1 : 0;
            } else if (matmul_on && r::is_op(n, "MatMul")) {
                matmul += fuse_matmul(rw, *n) ? 1 : 0;
            }
        }
        ctx.count("fuse_bias_activation.conv", conv);
        ctx.count("fuse_bias_activation.conv_bias", conv_bias);
        ctx.count("fuse_bias_activation.gemm", gemm);
        ctx.count("fuse_bias_activation.matmul", matmul);
        return conv + conv_bias + gemm + matmul > 0;
    }

private:
    /// The Conv's bias plus the constant `c` that an Add puts on its output, when `c` only varies along
    /// the channel axis (shapes [M], [M,1,1], [1,M,1,1], scalars); nullopt otherwise.
    template <class Traits>
    static std::optional<tensor> folded_bias(const basic_node<Traits>& conv, const basic_value<Traits>* c) {
        namespace r = detail::rewrite;
        auto ct = r::constant_of(c);
        auto* w = r::given_input(conv, 1);
        auto ws = r::static_sizes(w);
        const dtype t = r::elem_type_of(w);
        if (!ct || !ws || ws->size() < 3 || (t != dtype::float32 && t != dtype::float64) || ct->type() != t) return std::nullopt;
        const std::size_t rank = ws->size();  // the Conv's output has W's rank: [N, M, spatial...]
        const std::int64_t m = (*ws)[0];
        const auto& cs = ct->sizes();
        if (cs.size() > rank || m < 1) return std::nullopt;
        bool along = false;
        for (std::size_t i = 0; i < cs.size(); ++i) {
            const std::size_t axis = rank - cs.size() + i;
            if (cs[i] == 1) continue;
            if (axis != 1 || cs[i] != m) return std::nullopt;
            along = true;
        }
        auto add = r::to_doubles(*ct);
        std::vector<double> bias(static_cast<std::size_t>(m), 0.0);
        if (auto* b = r::given_input(conv, 2)) {
            auto bt = r::constant_of(b);
            auto bv = bt ? r::to_doubles(*bt) : std::nullopt;
            if (!bv || bv->size() != bias.size()) return std::nullopt;
            bias = *bv;
        }
        for (std::size_t i = 0; i < bias.size(); ++i) bias[i] += (*add)[along ? i : 0];
        return r::make_float_tensor(t, {m}, bias);
    }

    /// nullopt: not fused; true: FusedConv; false: Conv + Add folded into the Conv's bias.
    template <class Traits>
    static std::optional<bool> fuse_conv(detail::rewrite::rewriter<Traits>& rw, basic_node<Traits>& conv) {
        namespace r = detail::rewrite;
        auto* x = r::given_input(conv, 0);
        auto* w = r::given_input(conv, 1);
        if (!x || !w) return std::nullopt;
        auto* out = conv.output(0);
        auto* user = rw.sole_user(out);
        basic_node<Traits>* add = nullptr;
        std::optional<tensor> bias;
        if (r::is_op(user, "Add") && user->num_inputs() == 2 && user->num_outputs() == 1 && user->output(0)) {
            auto* c = user->input(0) == out ? user->input(1) : user->input(0);
            if (c != out && (bias = folded_bias(conv, c))) {
                add = user;
                out = add->output(0);
                user = rw.sole_user(out);
            }
        }
        auto act = r::match_activation(user, out);
        if (!act && !add) return std::nullopt;
        std::vector<basic_value<Traits>*> inputs{x, w};
        if (bias) inputs.push_back(rw.add_constant(std::string(w->name()) + "_bias", std::move(*bias)));
        else if (auto* b = r::given_input(conv, 2)) inputs.push_back(b);
        const std::string conv_name(conv.name());
        if (act)
            rw.fuse(*user, "FusedConv", "ai.gearc", inputs, r::with_activation<Traits>(conv.attributes(), *act), {add, &conv},
                    conv_name);
        else
            rw.fuse(*add, std::string(conv.op_type()), std::string(conv.domain()), inputs, conv.attributes(), {&conv}, conv_name);
        return act.has_value();
    }

    template <class Traits>
    static bool fuse_gemm(detail::rewrite::rewriter<Traits>& rw, basic_node<Traits>& gemm) {
        namespace r = detail::rewrite;
        auto* user = rw.sole_user(gemm.output(0));
        auto act = r::match_activation(user, gemm.output(0));
        if (!act) return false;
        const std::string gemm_name(gemm.name());
        const std::vector<basic_value<Traits>*> inputs = gemm.inputs();
        rw.fuse(*user, "FusedGemm", "ai.gearc", inputs, r::with_activation<Traits>(gemm.attributes(), *act), {&gemm},
                gemm_name);
        return true;
    }

    template <class Traits>
    static bool fuse_matmul(detail::rewrite::rewriter<Traits>& rw, basic_node<Traits>& mm) {
        namespace r = detail::rewrite;
        auto* a = r::given_input(mm, 0);
        auto* b = r::given_input(mm, 1);
        auto* y = mm.output(0);
        if (!a || !b) return false;
        auto* add = rw.sole_user(y);
        if (!r::is_op(add, "Add") || add->num_inputs() != 2 || add->num_outputs() != 1 || !add->output(0)) return false;
        auto* bias = add->input(0) == y ? add->input(1) : add->input(0);
        auto bt = bias == y ? std::nullopt : r::constant_of(bias);
        if (!bt || bt->sizes().size() != 1) return false;
        // B's last dim is N; B must be a matrix (or a batch of them) so that the result has an N axis
        std::optional<std::int64_t> n;
        if (auto bs = r::constant_of(b)) {
            if (bs->sizes().size() >= 2) n = bs->sizes().back();
        } else if (b->type().has_shape() && b->type().dims->rank() >= 2 && b->type().dims->dims().back().is_static()) {
            n = b->type().dims->dims().back().value();
        }
        if (!n || *n != bt->sizes()[0]) return false;
        auto* out = add->output(0);
        auto* user = rw.sole_user(out);
        auto act = r::match_activation(user, out);
        const std::string mm_name(mm.name());
        if (act)
            rw.fuse(*user, "FusedMatMul", "ai.gearc", {a, b, bias}, r::with_activation<Traits>({}, *act), {add, &mm}, mm_name);
        else
            rw.fuse(*add, "FusedMatMul", "ai.gearc", {a, b, bias}, {}, {&mm}, mm_name);
        return true;
    }
};

}  // namespace passes

GEARC_END_NAMESPACE
