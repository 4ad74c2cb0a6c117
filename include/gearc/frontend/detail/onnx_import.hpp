// Internal to the ONNX front end: ModelProto -> gearc::graph (versions, domains, graphs, nodes, attributes).
#pragma once

#include <gearc/gearc.hpp>
#include <gearc/frontend/detail/onnx_common.hpp>
#include <gearc/frontend/detail/onnx_tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace onnx::detail {

/// Imports one GraphProto (the model's graph or a subgraph). A subgraph's importer has its enclosing
/// graph's importer as parent: names it cannot resolve locally become outer references, created in
/// every graph between the reader and the definition so that each level's capture is explicit.
class graph_importer {
public:
    graph_importer(load_context& ctx, graph_importer* parent) : ctx_(ctx), parent_(parent) {}

    /// Builds the graph. `gp` is consumed: tensor bytes are moved out of it, not copied.
    [[nodiscard]] std::unique_ptr<graph> run(::onnx::GraphProto& gp) {
        auto owned = std::make_unique<graph>(gp.name());
        g_ = owned.get();
        where_ = "graph '" + gp.name() + "'";

        // Declared types of intermediate values (value_info) and outputs.
        std::unordered_map<std::string, const ::onnx::TypeProto*> declared;
        for (const auto& vi : gp.value_info())
            if (vi.has_type()) declared[vi.name()] = &vi.type();
        for (const auto& vi : gp.output())
            if (vi.has_type()) declared[vi.name()] = &vi.type();
        auto declared_type = [&](const std::string& name) {
            auto it = declared.find(name);
            return it == declared.end() ? value_type::unknown() : type_from_onnx(*it->second, ctx_, "value '" + name + "'");
        };

        if (gp.sparse_initializer_size() > 0)
            ctx_.fail(errc::unsupported_feature, where_ + " has the sparse initializer '" +
                                                     gp.sparse_initializer(0).values().name() +
                                                     "'; gearc does not support sparse tensors");

        for (int i = 0; i < gp.input_size(); ++i) {
            const auto& vi = gp.input(i);
            if (vi.name().empty()) ctx_.fail(errc::model_parse, "input #" + std::to_string(i) + " of " + where_ + " has no name");
            define(vi.name(), "a graph input");
            g_->add_input(vi.name(), vi.has_type() ? type_from_onnx(vi.type(), ctx_, "input '" + vi.name() + "'")
                                                   : value_type::unknown());
        }
        for (int i = 0; i < gp.initializer_size(); ++i) {
            auto& t = *gp.mutable_initializer(i);
            if (t.name().empty())
                ctx_.fail(errc::model_parse, "initializer #" + std::to_string(i) + " of " + where_ + " has no name");
            auto* v = g_->find_value(t.name());
            if (v && v->is_graph_input() && !v->is_initializer()) {  // an input with a default (all inputs in IR < 4)
                g_->set_initializer(v, tensor_from_onnx(t, ctx_, "initializer '" + t.name() + "'"));
                continue;
            }
            define(t.name(), "an initializer");
            g_->add_initializer(t.name(), tensor_from_onnx(t, ctx_, "initializer '" + t.name() + "'"));
        }

        // Every node output exists before any node is read: nodes may come in any order.
        struct pending {
            ::onnx::NodeProto* proto;
            std::vector<value*> inputs, outputs;
            node::attribute_list attrs;
        };
        std::vector<pending> nodes(static_cast<std::size_t>(gp.node_size()));
        std::unordered_map<const value*, std::size_t> producer;
        for (int i = 0; i < gp.node_size(); ++i) {
            auto& p = nodes[static_cast<std::size_t>(i)];
            p.proto = gp.mutable_node(i);
            const auto& n = *p.proto;
            if (n.op_type().empty())
                ctx_.fail(errc::model_parse, "node #" + std::to_string(i) + " ('" + n.name() + "') of " + where_ + " has no op_type");
            for (const auto& name : n.output()) {
                if (name.empty()) {
                    p.outputs.push_back(nullptr);
                    continue;
                }
                define(name, "an output of " + describe_node(n));
                p.outputs.push_back(g_->add_value(name, declared_type(name)));
                producer[p.outputs.back()] = static_cast<std::size_t>(i);
            }
        }
        for (auto& p : nodes) {
            const auto desc = describe_node(*p.proto);
            for (const auto& name : p.proto->input()) {
                if (name.empty()) {
                    p.inputs.push_back(nullptr);
                    continue;
                }
                auto* v = resolve(name);
                if (!v)
                    ctx_.fail(errc::dangling_value, "node " + desc + " of " + where_ + " reads '" + name +
                                                        "', which nothing defines (no node output, graph input, initializer" +
                                                        (parent_ ? " or enclosing graph's value" : "") + " has that name)");
                p.inputs.push_back(v);
            }
            for (auto& a : *p.proto->mutable_attribute()) {
                if (a.name().empty()) ctx_.fail(errc::model_parse, "node " + desc + " of " + where_ + " has an attribute without a name");
                p.attrs.emplace_back(a.name(), attribute_from_onnx(a, desc));
            }
        }

        // Add the nodes in a topological order that counts what subgraphs capture, at any depth.
        std::string cycle;
        for (auto i : order(nodes, producer, cycle)) {
            auto& p = nodes[i];
            g_->add_node(p.proto->op_type(), std::move(p.inputs), std::move(p.outputs), std::move(p.attrs), p.proto->name(),
                         p.proto->domain());
        }

        for (int i = 0; i < gp.output_size(); ++i) {
            const auto& vi = gp.output(i);
            if (vi.name().empty()) ctx_.fail(errc::model_parse, "output #" + std::to_string(i) + " of " + where_ + " has no name");
            auto* v = resolve(vi.name());
            if (!v)
                ctx_.fail(errc::dangling_value, "output '" + vi.name() + "' of " + where_ +
                                                    " is not defined (no node output, graph input, initializer" +
                                                    (parent_ ? " or enclosing graph's value" : "") + " has that name)");
            if (v->type().type_kind == value_type::kind::unknown && vi.has_type())
                v->set_type(type_from_onnx(vi.type(), ctx_, "output '" + vi.name() + "'"));
            g_->add_output(v);
        }
        // The order is topological unless there is a cycle: then the IR reports it (GC1007), or we do
        // when only subgraph captures close it, which the IR's sort does not see.
        try {
            g_->sort_topologically();
        } catch (const graph_error& e) {
            throw graph_error(e.code(), "model [" + ctx_.model + "]: " + e.message(), e.solution());
        }
        if (!cycle.empty())
            throw graph_error(errc::cycle,
                              "model [" + ctx_.model + "]: " + where_ + " has a cycle through values that subgraphs capture, among: " + cycle,
                              "Break the cycle: every value must be computed before it is read.");
        return owned;
    }

private:
    /// The value `name` names here: local, or captured from an enclosing graph (nullptr if none has it).
    value* resolve(const std::string& name) {
        if (auto* v = g_->find_value(name)) return v;
        if (!parent_) return nullptr;
        auto* outer = parent_->resolve(name);
        return outer ? g_->add_outer_ref(name, outer->type()) : nullptr;
    }

    /// Records the definition of `name`; a second one is GC1009.
    void define(const std::string& name, std::string how) {
        auto [it, fresh] = defined_by_.try_emplace(name, how);
        if (!fresh)
            ctx_.fail(errc::duplicate_definition, "value '" + name + "' is defined twice in " + where_ + ": as " + how +
                                                      " and as " + it->second,
                      "Every value must have exactly one definition (SSA).");
    }

    /// Node indices in a topological order that keeps the file's order where it can. A node depends on
    /// the producers of its inputs and of the values its subgraphs capture. On a cycle, returns the
    /// file's order and names the nodes left over in `cycle`.
    template <class Pending>
    std::vector<std::size_t> order(const std::vector<Pending>& nodes, const std::unordered_map<const value*, std::size_t>& producer,
                                   std::string& cycle) const {
        const auto n = nodes.size();
        std::vector<std::vector<std::size_t>> succ(n);
        std::vector<std::size_t> indeg(n, 0);
        auto depend = [&](std::size_t i, const value* v) {
            if (auto it = producer.find(v); v && it != producer.end()) {
                succ[it->second].push_back(i);
                ++indeg[i];
            }
        };
        for (std::size_t i = 0; i < n; ++i) {
            for (auto* v : nodes[i].inputs) depend(i, v);
            for (const auto& [k, a] : nodes[i].attrs) {
                auto captures = [&](const std::shared_ptr<graph>& sg) {
                    if (sg)
                        for (auto* r : sg->outer_refs()) depend(i, g_->find_value(r->name()));
                };
                if (auto* sg = a.template get_if<std::shared_ptr<graph>>()) captures(*sg);
                if (auto* sgs = a.template get_if<std::vector<std::shared_ptr<graph>>>())
                    for (const auto& sg : *sgs) captures(sg);
            }
        }
        std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
        for (std::size_t i = 0; i < n; ++i)
            if (indeg[i] == 0) ready.push(i);
        std::vector<std::size_t> out;
        out.reserve(n);
        while (!ready.empty()) {
            auto i = ready.top();
            ready.pop();
            out.push_back(i);
            for (auto j : succ[i])
                if (--indeg[j] == 0) ready.push(j);
        }
        if (out.size() == n) return out;
        for (std::size_t i = 0; i < n; ++i)
            if (indeg[i] > 0) cycle += (cycle.empty() ? "" : ", ") + describe_node(*nodes[i].proto);
        out.clear();
        for (std::size_t i = 0; i < n; ++i) out.push_back(i);
        return out;
    }

    attribute attribute_from_onnx(::onnx::AttributeProto& a, const std::string& node_desc) {
        using A = ::onnx::AttributeProto;
        const std::string where = "attribute '" + a.name() + "' of node " + node_desc + " in " + where_;
        if (!a.ref_attr_name().empty())
            ctx_.fail(errc::unsupported_feature, where + " refers to the function attribute '" + a.ref_attr_name() +
                                                     "'; such references exist only inside functions, which gearc does not support");
        auto type = a.type();
        if (type == A::UNDEFINED) type = infer_type(a, where);  // very old models leave the type out
        switch (type) {
            case A::FLOAT: return attribute(a.f());
            case A::INT: return attribute(static_cast<std::int64_t>(a.i()));
            case A::STRING: return attribute(std::string(a.s()));
            case A::TENSOR: return attribute(tensor_from_onnx(*a.mutable_t(), ctx_, "the tensor of " + where));
            case A::GRAPH: return attribute(subgraph(*a.mutable_g()));
            case A::TYPE_PROTO: return attribute(type_from_onnx(a.tp(), ctx_, where));
            case A::FLOATS: return attribute(std::vector<float>(a.floats().begin(), a.floats().end()));
            case A::INTS: return attribute(std::vector<std::int64_t>(a.ints().begin(), a.ints().end()));
            case A::STRINGS: return attribute(std::vector<std::string>(a.strings().begin(), a.strings().end()));
            case A::TENSORS: {
                std::vector<tensor> ts;
                for (int i = 0; i < a.tensors_size(); ++i)
                    ts.push_back(tensor_from_onnx(*a.mutable_tensors(i), ctx_, "tensor #" + std::to_string(i) + " of " + where));
                return attribute(std::move(ts));
            }
            case A::GRAPHS: {
                std::vector<std::shared_ptr<graph>> gs;
                for (auto& sg : *a.mutable_graphs()) gs.push_back(subgraph(sg));
                return attribute(std::move(gs));
            }
            case A::TYPE_PROTOS: {
                std::vector<value_type> ts;
                for (const auto& tp : a.type_protos()) ts.push_back(type_from_onnx(tp, ctx_, where));
                return attribute(std::move(ts));
            }
            case A::SPARSE_TENSOR:
            case A::SPARSE_TENSORS:
                ctx_.fail(errc::unsupported_feature, where + " holds a sparse tensor; gearc does not support sparse tensors");
            default: break;
        }
        ctx_.fail(errc::unsupported_feature, where + " has the attribute type " + std::to_string(static_cast<int>(type)) +
                                                 ", which gearc does not know");
    }

    ::onnx::AttributeProto_AttributeType infer_type(const ::onnx::AttributeProto& a, const std::string& where) const {
        using A = ::onnx::AttributeProto;
        if (a.has_f()) return A::FLOAT;
        if (a.has_i()) return A::INT;
        if (a.has_s()) return A::STRING;
        if (a.has_t()) return A::TENSOR;
        if (a.has_g()) return A::GRAPH;
        if (a.has_tp()) return A::TYPE_PROTO;
        if (a.has_sparse_tensor()) return A::SPARSE_TENSOR;
        if (a.floats_size()) return A::FLOATS;
        if (a.ints_size()) return A::INTS;
        if (a.strings_size()) return A::STRINGS;
        if (a.tensors_size()) return A::TENSORS;
        if (a.graphs_size()) return A::GRAPHS;
        if (a.type_protos_size()) return A::TYPE_PROTOS;
        if (a.sparse_tensors_size()) return A::SPARSE_TENSORS;
        ctx_.fail(errc::model_parse, where + " has neither a type nor a value");
    }

    std::shared_ptr<graph> subgraph(::onnx::GraphProto& gp) {
        graph_importer sub(ctx_, this);
        return std::shared_ptr<graph>(sub.run(gp));
    }

    load_context& ctx_;
    graph_importer* parent_;
    graph* g_ = nullptr;
    std::string where_;
    std::unordered_map<std::string, std::string> defined_by_;
};

/// The domains the nodes of `gp` and its subgraphs use, each with the first node that uses it.
inline void collect_domains(const ::onnx::GraphProto& gp, std::vector<std::pair<std::string, std::string>>& out) {
    for (const auto& n : gp.node()) {
        if (std::none_of(out.begin(), out.end(), [&](const auto& d) { return d.first == n.domain(); }))
            out.emplace_back(n.domain(), describe_node(n) + " of graph '" + gp.name() + "'");
        for (const auto& a : n.attribute()) {
            if (a.has_g()) collect_domains(a.g(), out);
            for (const auto& sg : a.graphs()) collect_domains(sg, out);
        }
    }
}

/// Checks what the model asks of its reader (IR version, functions, domains, opsets), then imports it.
[[nodiscard]] inline std::unique_ptr<graph> model_from_onnx(::onnx::ModelProto& m, load_context& ctx) {
    if (!m.has_graph()) ctx.fail(errc::model_parse, "not an ONNX model: it has no graph");
    if (!m.has_ir_version()) ctx.fail(errc::model_parse, "not an ONNX model: it has no IR version");
    const auto supported_ir = "(gearc reads IR versions " + std::to_string(min_ir_version) + " to " + std::to_string(max_ir_version) + ")";
    if (m.ir_version() > max_ir_version)
        ctx.fail(errc::model_version, "IR version " + std::to_string(m.ir_version()) + " is newer than gearc supports " + supported_ir,
                 "Convert the model to an older IR version, or export it with an older ONNX.");
    if (m.ir_version() < min_ir_version)
        ctx.fail(errc::model_version, "IR version " + std::to_string(m.ir_version()) + " is older than gearc supports " + supported_ir,
                 "Re-export the model with a newer ONNX.");
    if (m.functions_size() > 0)
        ctx.fail(errc::unsupported_feature, "the model defines the local function '" + m.functions(0).name() + "' (domain '" +
                                                m.functions(0).domain() + "'); gearc does not support model-local functions",
                 "Export the model with its functions inlined.");

    std::vector<std::pair<std::string, std::string>> used;  // domain, first node using it
    collect_domains(m.graph(), used);
    for (const auto& [d, node_desc] : used)
        if (!ctx.domain_known(d))
            ctx.fail(errc::unknown_domain, "node " + node_desc + " uses the operator domain '" + d +
                                               "', which gearc does not know (it knows " + known_domains_text() + ")",
                     "Replace the custom operators, or pass the domain in load_options::extra_domains and handle it yourself.");
    if (m.opset_import_size() == 0) ctx.fail(errc::model_parse, "not a valid ONNX model: it imports no operator set");
    for (const auto& op : m.opset_import()) {
        const std::string name = op.domain().empty() ? "ai.onnx" : op.domain();
        if (!ctx.domain_known(op.domain()))
            ctx.fail(errc::unknown_domain, "the model imports opset " + std::to_string(op.version()) + " of the operator domain '" +
                                               op.domain() + "', which gearc does not know (it knows " + known_domains_text() + ")",
                     "Remove the import, or pass the domain in load_options::extra_domains and handle it yourself.");
        if (is_default_domain(op.domain()) && (op.version() < min_default_opset || op.version() > max_default_opset))
            ctx.fail(errc::model_version, "opset " + std::to_string(op.version()) + " of domain '" + name +
                                              "' is not supported (gearc reads opsets " + std::to_string(min_default_opset) + " to " +
                                              std::to_string(max_default_opset) + ")",
                     "Convert the model with onnx.version_converter to an opset gearc reads.");
        if (op.version() < 1)
            ctx.fail(errc::model_version, "opset " + std::to_string(op.version()) + " of domain '" + name + "' is not a valid version");
    }
    for (const auto& use : used) {
        const auto& d = use.first;
        const bool imported = std::any_of(m.opset_import().begin(), m.opset_import().end(), [&](const auto& op) {
            return op.domain() == d || (is_default_domain(op.domain()) && is_default_domain(d));
        });
        if (!imported)
            ctx.fail(errc::model_parse, "not a valid ONNX model: node " + use.second + " uses the operator domain '" + d +
                                            "', but the model imports no opset of it");
    }

    auto g = graph_importer(ctx, nullptr).run(*m.mutable_graph());
    auto& info = g->info();
    info.ir_version = m.ir_version();
    info.opset_imports.clear();
    for (const auto& op : m.opset_import()) info.opset_imports[op.domain()] = op.version();
    info.producer_name = m.producer_name();
    info.producer_version = m.producer_version();
    info.domain = m.domain();
    info.model_version = m.model_version();
    info.doc_string = m.doc_string();
    info.metadata.clear();
    for (const auto& kv : m.metadata_props()) info.metadata.emplace_back(kv.key(), kv.value());
    return g;
}

}  // namespace onnx::detail
GEARC_END_NAMESPACE
