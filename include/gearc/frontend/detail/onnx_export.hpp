// Internal to the ONNX front end: gearc::graph -> ModelProto (the reverse of onnx_import.hpp).
#pragma once

#include <gearc/gearc.hpp>
#include <gearc/frontend/detail/onnx_common.hpp>
#include <gearc/frontend/detail/onnx_tensor.hpp>

#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace onnx::detail {

inline void value_info_to_onnx(const value& v, ::onnx::ValueInfoProto& out) {
    out.set_name(v.name());
    if (v.type().type_kind != value_type::kind::unknown) type_to_onnx(v.type(), *out.mutable_type());
}

inline void graph_to_onnx(const graph& g, ::onnx::GraphProto& out, export_context& ctx);

inline void attribute_to_onnx(const std::string& name, const attribute& a, ::onnx::AttributeProto& out, export_context& ctx,
                              const std::string& node_desc) {
    using A = ::onnx::AttributeProto;
    using gptr = std::shared_ptr<graph>;
    const std::string where = "attribute '" + name + "' of node " + node_desc;
    out.set_name(name);
    auto sub = [&](const gptr& sg, ::onnx::GraphProto& gp) {
        if (!sg) throw model_error(errc::unsupported_feature, where + " holds a null subgraph, which ONNX cannot express");
        graph_to_onnx(*sg, gp, ctx);
    };
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                throw model_error(errc::unsupported_feature, where + " has no value, which ONNX cannot express");
            } else if constexpr (std::is_same_v<T, float>) {
                out.set_type(A::FLOAT);
                out.set_f(v);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                out.set_type(A::INT);
                out.set_i(v);
            } else if constexpr (std::is_same_v<T, std::string>) {
                out.set_type(A::STRING);
                out.set_s(v);
            } else if constexpr (std::is_same_v<T, tensor>) {
                out.set_type(A::TENSOR);
                tensor_to_onnx(v, *out.mutable_t(), ctx, "the tensor of " + where, false);
            } else if constexpr (std::is_same_v<T, gptr>) {
                out.set_type(A::GRAPH);
                sub(v, *out.mutable_g());
            } else if constexpr (std::is_same_v<T, value_type>) {
                out.set_type(A::TYPE_PROTO);
                type_to_onnx(v, *out.mutable_tp());
            } else if constexpr (std::is_same_v<T, std::vector<float>>) {
                out.set_type(A::FLOATS);
                out.mutable_floats()->Add(v.begin(), v.end());
            } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
                out.set_type(A::INTS);
                out.mutable_ints()->Add(v.begin(), v.end());
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                out.set_type(A::STRINGS);
                for (const auto& s : v) out.add_strings(s);
            } else if constexpr (std::is_same_v<T, std::vector<tensor>>) {
                out.set_type(A::TENSORS);
                for (std::size_t i = 0; i < v.size(); ++i)
                    tensor_to_onnx(v[i], *out.add_tensors(), ctx, "tensor #" + std::to_string(i) + " of " + where, false);
            } else if constexpr (std::is_same_v<T, std::vector<gptr>>) {
                out.set_type(A::GRAPHS);
                for (const auto& sg : v) sub(sg, *out.add_graphs());
            } else if constexpr (std::is_same_v<T, std::vector<value_type>>) {
                out.set_type(A::TYPE_PROTOS);
                for (const auto& tp : v) type_to_onnx(tp, *out.add_type_protos());
            } else {
                static_assert(!sizeof(T*), "attribute_to_onnx: an attribute kind without an ONNX mapping");
            }
        },
        a.get());
}

/// Writes `g` in a topological order, with value_info for every typed intermediate value. Outer
/// references are not written: ONNX subgraphs name enclosing values directly.
inline void graph_to_onnx(const graph& g, ::onnx::GraphProto& out, export_context& ctx) {
    out.set_name(g.name());
    for (auto* v : g.inputs()) value_info_to_onnx(*v, *out.add_input());
    for (auto* v : g.initializers()) tensor_to_onnx(*v->initializer(), *out.add_initializer(), ctx, v->name(), true);
    const auto order = g.topological_order();
    for (auto* n : order) {
        auto& np = *out.add_node();
        for (auto* v : n->inputs()) np.add_input(v ? v->name() : std::string());
        for (auto* v : n->outputs()) np.add_output(v ? v->name() : std::string());
        np.set_op_type(n->op_type());
        if (!n->name().empty()) np.set_name(n->name());
        if (!n->domain().empty()) np.set_domain(n->domain());
        for (const auto& [k, a] : n->attributes()) attribute_to_onnx(k, a, *np.add_attribute(), ctx, n->describe());
    }
    for (auto* v : g.outputs()) value_info_to_onnx(*v, *out.add_output());
    for (auto* n : order)
        for (auto* v : n->outputs())
            if (v && !v->is_graph_output() && v->type().type_kind != value_type::kind::unknown)
                value_info_to_onnx(*v, *out.add_value_info());
}

[[nodiscard]] inline ::onnx::ModelProto model_to_onnx(const graph& g, export_context& ctx) {
    ::onnx::ModelProto m;
    const auto& info = g.info();
    m.set_ir_version(info.ir_version);
    for (const auto& [domain, version] : info.opset_imports) {
        auto* op = m.add_opset_import();
        op->set_domain(domain);
        op->set_version(version);
    }
    if (!info.producer_name.empty()) m.set_producer_name(info.producer_name);
    if (!info.producer_version.empty()) m.set_producer_version(info.producer_version);
    if (!info.domain.empty()) m.set_domain(info.domain);
    if (info.model_version != 0) m.set_model_version(info.model_version);
    if (!info.doc_string.empty()) m.set_doc_string(info.doc_string);
    for (const auto& [k, v] : info.metadata) {
        auto* p = m.add_metadata_props();
        p->set_key(k);
        p->set_value(v);
    }
    graph_to_onnx(g, *m.mutable_graph(), ctx);
    return m;
}

/// The model's bytes; GC1008 when protobuf's 2 GiB limit is exceeded.
[[nodiscard]] inline std::string serialize(const ::onnx::ModelProto& m) {
    const auto size = m.ByteSizeLong();
    if (size > static_cast<std::size_t>(INT_MAX))
        throw model_error(errc::unsupported_feature,
                          "the model would need " + std::to_string(size) + " bytes, but protobuf cannot write more than 2 GiB in one message",
                          "Save with save_options::external_data_file set, so that large initializers go to an external data file.");
    std::string bytes;
    if (!m.SerializeToString(&bytes)) throw model_error(errc::file_io, "protobuf could not serialise the model");
    return bytes;
}

}  // namespace onnx::detail
GEARC_END_NAMESPACE
