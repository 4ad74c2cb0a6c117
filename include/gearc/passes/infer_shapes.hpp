// Shape and dtype inference over a whole graph (symbolic or static), with shape-value propagation.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim_expr.hpp>
#include <gearc/error.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/infer_context.hpp>
#include <gearc/passes/pass.hpp>
#include <gearc/passes/shape_rules/elementwise.hpp>
#include <gearc/passes/shape_rules/fused.hpp>
#include <gearc/passes/shape_rules/nn.hpp>
#include <gearc/passes/shape_rules/reduce.hpp>
#include <gearc/passes/shape_rules/sequence.hpp>
#include <gearc/passes/shape_rules/tensor.hpp>
#include <gearc/passes/shape_rules/values.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

/// Every rule gearc has, built once per IR type.
template <class Traits = default_ir_traits>
[[nodiscard]] const shape_rule_table<Traits>& default_shape_rules() {
    static const shape_rule_table<Traits> table = [] {
        shape_rule_table<Traits> t;
        shape_rules::add_elementwise_rules(t);
        shape_rules::add_nn_rules(t);
        shape_rules::add_reduce_rules(t);
        shape_rules::add_sequence_rules(t);
        shape_rules::add_tensor_rules(t);
        shape_rules::add_value_rules(t);
        shape_rules::add_fused_rules(t);
        // fusions below opset 17 write LayerNormalization in gearc's domain (ai.onnx has it from 17 only)
        t.add(shape_rule_table<Traits>::key("ai.gearc", "LayerNormalization"), t.find_type("", "LayerNormalization"));
        return t;
    }();
    return table;
}

/// The nodes whose operator gearc has no rule for, in graph order.
template <class Traits>
[[nodiscard]] std::vector<const basic_node<Traits>*> unsupported_nodes(const basic_graph<Traits>& g,
                                                                       const shape_rule_table<Traits>& rules = default_shape_rules<Traits>()) {
    std::vector<const basic_node<Traits>*> out;
    for (const auto& n : g.nodes())
        if (!rules.find_type(n.domain(), n.op_type())) out.push_back(&n);
    return out;
}

/// Throws GC4001 listing every unsupported operator (op, domain, node names) when there is one.
template <class Traits>
void check_supported(const basic_graph<Traits>& g, const shape_rule_table<Traits>& rules = default_shape_rules<Traits>()) {
    auto bad = unsupported_nodes(g, rules);
    if (bad.empty()) return;
    // group by operator so that a model with 50 copies of one op reads well
    std::vector<std::pair<std::string, std::vector<std::string>>> groups;
    for (const auto* n : bad) {
        std::string op = n->domain().empty() ? std::string(n->op_type()) : std::string(n->domain()) + "::" + std::string(n->op_type());
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& gr) { return gr.first == op; });
        if (it == groups.end()) it = groups.insert(groups.end(), {op, {}});
        it->second.push_back(n->name().empty() ? std::string("<unnamed>") : std::string(n->name()));
    }
    std::string msg = std::to_string(bad.size()) + " node(s) use operators gearc does not support:";
    for (const auto& [op, names] : groups) {
        msg += " " + op + " (";
        for (std::size_t i = 0; i < names.size() && i < 8; ++i) msg += (i ? ", '" : "'") + names[i] + "'";
        if (names.size() > 8) msg += ", ... " + std::to_string(names.size() - 8) + " more";
        msg += ");";
    }
    msg.pop_back();
    throw compile_error(errc::unsupported_operator, msg,
                        "Replace these operators in the exported model (e.g. export with another opset or simplify the "
                        "model), or add shape rules and kernels for them to gearc.");
}

namespace detail {
/// Declared (from the model) and inferred types combined: the inferred one wins where it knows more.
inline value_type merge_types(const value_type& declared, value_type inferred, const symbol_bindings& b) {
    if (!inferred.is_tensor()) return declared.type_kind == value_type::kind::unknown ? inferred : declared;
    if (inferred.elem == dtype::undefined) inferred.elem = declared.elem;
    if (!declared.has_shape()) return inferred;
    const shape& d = *declared.dims;
    if (!inferred.dims) {
        inferred.dims = bind_shape(d, b);
        return inferred;
    }
    if (inferred.dims->rank() != d.rank()) return inferred;
    for (std::size_t i = 0; i < d.rank(); ++i) {
        dim& x = (*inferred.dims)[i];
        if (x.is_static()) continue;  // the common case per gear: nothing to bind (binding parses expressions)
        dim di = bind_dim(d[i], b);
        if (di.is_static() || (x.is_unknown() && !di.is_unknown())) x = std::move(di);
    }
    return inferred;
}

template <class Traits>
void seed_constant_value(shape_value_map<Traits>& values, const basic_value<Traits>* v) {
    const auto& t = *v->initializer();
    if (t.numel() > static_cast<std::int64_t>(infer_context<Traits>::max_value_elements)) return;
    std::vector<dim> out;
    switch (t.type()) {
        case dtype::int64:
            for (auto x : t.template view<std::int64_t>()) out.emplace_back(x);
            break;
        case dtype::int32:
            for (auto x : t.template view<std::int32_t>()) out.emplace_back(static_cast<std::int64_t>(x));
            break;
        case dtype::boolean:
            for (std::size_t i = 0; i < t.nbytes(); ++i) out.emplace_back(static_cast<std::int64_t>(t.data().data()[i] != std::byte{0}));
            break;
        default:
            return;
    }
    values[v] = std::move(out);
}
}  // namespace detail

/// Infers every value's dtype and shape in topological order. On the generic graph dims stay symbolic
/// (N, floor((H-1)/2)+1, ranges as intervals); once a gear's shapes are set on the inputs, every shape
/// becomes static. Small integer tensors carry their values symbolically (Shape -> Gather -> Concat ->
/// Reshape), so shape arithmetic resolves once the symbols are bound.
/// With `strict` (the default) an unsupported operator is GC4001 (all of them listed at once); otherwise
/// their outputs are left as declared.
struct infer_shapes {
    static constexpr std::string_view name = "infer_shapes";
    bool strict = true;

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        return run_with(g, ctx, default_shape_rules<Traits>());
    }

    template <class Traits>
    bool run_with(basic_graph<Traits>& g, pass_context& ctx, const shape_rule_table<Traits>& rules) const {
        if (strict) check_supported(g, rules);
        shape_value_map<Traits> values;
        for (auto* v : g.initializers()) detail::seed_constant_value(values, v);
        for (auto* v : g.inputs())
            if (v->type().has_shape() && !ctx.bindings.empty()) {
                auto t = v->type();
                t.dims = bind_shape(*t.dims, ctx.bindings);
                v->set_type(std::move(t));
            }
        bool changed = false;
        std::size_t inferred = 0;
        for (auto* n : g.topological_order()) {
            auto rule = rules.find_type(n->domain(), n->op_type());
            if (!rule) continue;
            infer_context<Traits> ic(*n, ctx.opset, values);
            try {
                rule(ic);
                if (auto vr = rules.find_value(n->domain(), n->op_type())) vr(ic);
            } catch (const graph_error& e) {
                ic.fail(e.message());  // e.g. an attribute of the wrong kind: still a GC4002 naming the node
            }
            for (std::size_t i = 0; i < n->num_outputs(); ++i) {
                auto* out = n->output(i);
                if (!out || out->name().empty()) continue;
                if (const auto& t = ic.output_type(i)) {
                    auto merged = detail::merge_types(out->type(), *t, ctx.bindings);
                    if (!(merged == out->type())) {
                        out->set_type(std::move(merged));
                        changed = true;
                    }
                }
                if (const auto& v = ic.output_value(i)) values[out] = *v;
            }
            ++inferred;
        }
        ctx.count("infer_shapes.nodes", inferred);
        return changed;
    }
};

}  // namespace passes

GEARC_END_NAMESPACE
