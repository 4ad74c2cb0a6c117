// The constant-folding pass: Constant nodes become initializers, nodes computable from constants (or from static shapes) are evaluated.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/evaluate.hpp>
#include <gearc/passes/pass.hpp>
#include <gearc/tensor.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

namespace detail {

/// Operators whose result is not a function of their inputs; never folded.
[[nodiscard]] constexpr bool is_nondeterministic(std::string_view op) noexcept {
    return op == "RandomNormal" || op == "RandomUniform" || op == "RandomNormalLike" || op == "RandomUniformLike" ||
           op == "Multinomial" || op == "Bernoulli";
}

/// The constant data of `v` when it is a true constant: an initializer that is not also a graph input
/// (an input's initializer is only a default that callers may override).
template <class Traits>
[[nodiscard]] const tensor* constant_data(const basic_value<Traits>* v) noexcept {
    if (!v || !v->initializer() || v->is_graph_input()) return nullptr;
    return &*v->initializer();
}

/// Replaces node `n` of `g` by initializers holding `results` (one per output), keeping each output's
/// value name, graph-output position and uses.
template <class Traits>
void replace_by_constants(basic_graph<Traits>& g, basic_node<Traits>* n, std::vector<tensor> results) {
    using value_t = basic_value<Traits>;
    // The graph API defines a value once: move the uses to temporaries, drop the node (and its outputs),
    // then define the original names again as initializers and move the uses back.
    std::vector<std::pair<typename Traits::string_type, value_t*>> moved;
    for (std::size_t i = 0; i < n->num_outputs() && i < results.size(); ++i) {
        value_t* out = n->output(i);
        if (!out) continue;
        value_t* tmp = g.add_initializer(g.unique_name(out->name() + "_folded"), results[i]);
        g.replace_all_uses_with(out, tmp);
        moved.emplace_back(out->name(), tmp);
    }
    g.remove_node(n);
    for (auto& [name, tmp] : moved) {
        value_t* v = g.add_initializer(std::move(name), *tmp->initializer());
        g.replace_all_uses_with(tmp, v);
        g.erase_value(tmp);
    }
}

}  // namespace detail

/// Folds constants, in topological order: every Constant node becomes an initializer of the same name;
/// every deterministic ai.onnx node whose present inputs are all constants is evaluated (see evaluate())
/// and replaced by initializers holding its results; Shape and Size of an input whose shape is fully
/// static are folded even when the input is not constant. Output names are kept, so graph outputs and
/// later passes still find them, and their types become the results' dtypes and shapes. Results that
/// would need more than ctx.max_fold_bytes new bytes stay unfolded; results that reuse an input's bytes
/// (Identity, Reshape, Squeeze, ...) copy nothing and are always folded. Initializers left unused are
/// for dead-code elimination to remove. Statistics: "fold_constants.folded" (nodes replaced),
/// "fold_constants.too_large" (nodes left because of the size limit).
struct fold_constants {
    static constexpr std::string_view name = "fold_constants";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        std::size_t folded = 0, too_large = 0;
        for (auto* n : g.topological_order()) {
            if (!(n->domain().empty() || n->domain() == "ai.onnx") || detail::is_nondeterministic(n->op_type())) continue;
            if (!can_evaluate(n->domain(), n->op_type())) continue;
            std::optional<std::vector<tensor>> results;
            std::vector<const tensor*> inputs;
            bool constant = true;
            for (auto* v : n->inputs()) {
                if (!v || v->name().empty()) {
                    inputs.push_back(nullptr);
                    continue;
                }
                const tensor* t = detail::constant_data(v);
                constant = constant && t;
                inputs.push_back(t);
            }
            if (constant) {
                // A Constant's data exists already, so the size limit does not apply to it.
                auto e = try_evaluate(*n, inputs, ctx.opset, n->op_type() == "Constant" ? std::size_t(-1) : ctx.max_fold_bytes);
                results = std::move(e.results);
                if (e.too_large) ++too_large;
            } else if ((n->op_type() == "Shape" || n->op_type() == "Size") && n->input(0)) {
                const auto& type = n->input(0)->type();
                if (type.has_shape() && type.dims->is_static())
                    if (auto t = evaluate_shape_op(*n, type.dims->sizes())) results = std::vector<tensor>{std::move(*t)};
            }
            if (!results) continue;
            bool complete = true;  // every output the graph holds has a result
            for (std::size_t i = results->size(); i < n->num_outputs(); ++i) complete = complete && !n->output(i);
            if (!complete) continue;
            detail::replace_by_constants(g, n, std::move(*results));
            ++folded;
        }
        if (folded) ctx.count("fold_constants.folded", folded);
        if (too_large) ctx.count("fold_constants.too_large", too_large);
        return folded > 0;
    }

};

}  // namespace passes

GEARC_END_NAMESPACE
