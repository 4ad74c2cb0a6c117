// The IR verifier: checks every invariant of a graph and reports each broken one with the node's name and op.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/graph.hpp>

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// One broken invariant: where (graph, node name and op, value) and what.
struct diagnostic {
    std::string graph;
    std::string node;   ///< "Conv 'conv1'", empty for graph-level problems
    std::string value;  ///< the value concerned, if any
    std::string message;

    [[nodiscard]] std::string to_string() const {
        std::string s = "graph '" + graph + "'";
        if (!node.empty()) s += ", node " + node;
        if (!value.empty()) s += ", value '" + value + "'";
        return s + ": " + message;
    }
};

namespace detail {
template <class Traits>
void verify_into(const basic_graph<Traits>& g, std::vector<diagnostic>& out) {
    using value_t = basic_value<Traits>;
    using node_t = basic_node<Traits>;
    const std::string gname = g.name();
    auto report = [&](const node_t* n, const value_t* v, std::string msg) {
        out.push_back({gname, n ? n->describe() : std::string(), v ? std::string(v->name()) : std::string(), std::move(msg)});
    };

    // Values: owner, definitions, names.
    for (const auto& v : g.values()) {
        if (v.owner() != &g) report(nullptr, &v, "belongs to another graph");
        if (g.find_value(v.name()) != &v) report(nullptr, &v, "is not registered under its name");
        int defs = (v.producer() ? 1 : 0) + (v.is_outer_ref() ? 1 : 0) + ((v.is_graph_input() || v.is_initializer()) ? 1 : 0);
        if (defs > 1) report(v.producer(), &v, "has more than one definition");
        if (defs == 0 && (v.has_uses() || v.is_graph_output()))
            report(v.has_uses() ? v.uses().front().user : nullptr, &v,
                   "is read but never defined (no producer, not an input, initializer or outer reference)");
        if (const auto& init = v.initializer(); init && v.type().is_tensor() && v.type().elem != init->type())
            report(nullptr, &v, "has type " + v.type().to_string() + " but its initializer is " + std::string(to_string(init->type())));
        if (v.producer()) {
            auto* p = v.producer();
            if (p->owner() != &g) report(p, &v, "is produced by a node of another graph");
            else if (p->output(v.producer_index()) != &v)
                report(p, &v, "names output " + std::to_string(v.producer_index()) + " of its producer, which does not list it there");
        }
        for (const auto& u : v.uses())
            if (!u.user || u.user->owner() != &g || u.user->input(u.index) != &v)
                report(u.user, &v, "use list names input " + std::to_string(u.index) + " of a node that does not read it there");
    }
    for (auto* v : g.inputs())
        if (!v->is_graph_input()) report(nullptr, v, "is listed as a graph input but not marked as one");
    for (auto* v : g.outputs())
        if (!v) report(nullptr, nullptr, "a graph output is null");
    // Nodes: operands registered, use lists exact, order topological.
    std::unordered_set<const value_t*> available;
    for (const auto& v : g.values())
        if (v.is_graph_input() || v.is_initializer() || v.is_outer_ref()) available.insert(&v);
    for (const auto& n : g.nodes()) {
        if (n.op_type().empty()) report(&n, nullptr, "has an empty op type");
        if (n.owner() != &g) report(&n, nullptr, "belongs to another graph");
        for (std::size_t i = 0; i < n.num_inputs(); ++i) {
            auto* v = n.input(i);
            if (!v) continue;
            if (g.find_value(v->name()) != v) {
                report(&n, v, "input " + std::to_string(i) + " is not a value of this graph");
                continue;
            }
            std::size_t count = 0;
            for (const auto& u : v->uses())
                if (u.user == &n && u.index == i) ++count;
            if (count != 1) report(&n, v, "input " + std::to_string(i) + " appears " + std::to_string(count) + " times in the value's use list");
            if (v->producer() && !available.count(v))
                report(&n, v, "input " + std::to_string(i) + " is read before " + v->producer()->describe() +
                                  " computes it (the node order is not topological, or there is a cycle)");
        }
        for (std::size_t i = 0; i < n.num_outputs(); ++i) {
            auto* v = n.output(i);
            if (!v) continue;
            if (v->producer() != &n || v->producer_index() != i)
                report(&n, v, "output " + std::to_string(i) + " does not name this node as its producer");
            available.insert(v);
        }
        for (const auto& attr_entry : n.attributes()) {
            const std::string& k = attr_entry.first;  // a named variable: lambdas may not capture structured bindings (clang 14)
            const auto& a = attr_entry.second;
            using gptr = std::shared_ptr<basic_graph<Traits>>;
            auto sub = [&](const gptr& sg) {
                if (!sg) {
                    report(&n, nullptr, "attribute '" + k + "' holds a null subgraph");
                    return;
                }
                std::vector<diagnostic> inner;
                verify_into(*sg, inner);
                for (auto& d : inner) {
                    d.message += " (in subgraph attribute '" + k + "' of " + n.describe() + ")";
                    out.push_back(std::move(d));
                }
                for (const auto& name : sg->captured_names())
                    if (!g.find_value(name) && g.outer_refs().empty())
                        report(&n, nullptr, "subgraph attribute '" + k + "' reads '" + name + "', which no enclosing scope defines");
            };
            if (auto* sg = a.template get_if<gptr>()) sub(*sg);
            if (auto* sgs = a.template get_if<typename Traits::template vector_type<gptr>>())
                for (const auto& sg : *sgs) sub(sg);
        }
    }
}
}  // namespace detail

/// Every broken invariant of `g` (empty when the graph is well formed).
template <class Traits>
[[nodiscard]] std::vector<diagnostic> verify(const basic_graph<Traits>& g) {
    std::vector<diagnostic> out;
    detail::verify_into(g, out);
    return out;
}

/// Throws graph_error (GC2001) listing every broken invariant.
template <class Traits>
void verify_or_throw(const basic_graph<Traits>& g) {
    auto diags = verify(g);
    if (diags.empty()) return;
    std::string msg = std::to_string(diags.size()) + " broken invariant(s):";
    for (const auto& d : diags) msg += "\n  " + d.to_string();
    throw graph_error(errc::graph_invariant, msg, "This is a bug in the pass or code that last edited the graph.");
}

GEARC_END_NAMESPACE
