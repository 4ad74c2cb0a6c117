// A textual dump of a graph (one line per input, initializer, node and output; stable for tests and diffs), and
// the graph as Graphviz DOT (to_dot) for viewing.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/graph.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace detail {
inline std::string hex64(std::uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}
inline std::string tensor_summary(const tensor& t) {
    return std::string(to_string(t.type())) + t.get_shape().to_string() + "#" + hex64(t.checksum());
}
inline std::string float_text(float f) {
    std::ostringstream os;
    os.precision(9);
    os << f;
    return os.str();
}

template <class Traits>
void print_into(const basic_graph<Traits>& g, std::ostringstream& os, const std::string& indent);

template <class Traits>
void print_attribute(const basic_attribute<Traits>& a, std::ostringstream& os, const std::string& indent) {
    using gptr = std::shared_ptr<basic_graph<Traits>>;
    const auto& s = a.get();
    auto list = [&](const auto& xs, auto&& one) {
        os << '[';
        bool first = true;
        for (const auto& x : xs) {
            if (!first) os << ',';
            first = false;
            one(x);
        }
        os << ']';
    };
    if (auto* f = std::get_if<float>(&s)) os << float_text(*f);
    else if (auto* i = std::get_if<std::int64_t>(&s)) os << *i;
    else if (auto* str = std::get_if<typename Traits::string_type>(&s)) os << '"' << *str << '"';
    else if (auto* t = std::get_if<tensor>(&s)) os << tensor_summary(*t);
    else if (auto* g = std::get_if<gptr>(&s)) {
        os << "{\n";
        if (*g) print_into(**g, os, indent + "    ");
        os << indent << "  }";
    } else if (auto* tp = std::get_if<value_type>(&s)) os << "type " << tp->to_string();
    else if (auto* fs = std::get_if<typename Traits::template vector_type<float>>(&s)) list(*fs, [&](float x) { os << float_text(x); });
    else if (auto* is = std::get_if<typename Traits::template vector_type<std::int64_t>>(&s)) list(*is, [&](std::int64_t x) { os << x; });
    else if (auto* ss = std::get_if<typename Traits::template vector_type<typename Traits::string_type>>(&s))
        list(*ss, [&](const auto& x) { os << '"' << x << '"'; });
    else if (auto* ts = std::get_if<typename Traits::template vector_type<tensor>>(&s)) list(*ts, [&](const tensor& x) { os << tensor_summary(x); });
    else if (auto* gs = std::get_if<typename Traits::template vector_type<gptr>>(&s))
        list(*gs, [&](const gptr& x) {
            os << "{\n";
            if (x) print_into(*x, os, indent + "    ");
            os << indent << "  }";
        });
    else if (auto* tps = std::get_if<typename Traits::template vector_type<value_type>>(&s))
        list(*tps, [&](const value_type& x) { os << "type " << x.to_string(); });
    else os << "<undefined>";
}

template <class Traits>
void print_into(const basic_graph<Traits>& g, std::ostringstream& os, const std::string& indent) {
    auto name = [](const basic_value<Traits>* v) { return v ? "%" + std::string(v->name()) : std::string("_"); };
    os << indent << "graph \"" << g.name() << "\"\n";
    for (auto* v : g.inputs()) {
        os << indent << "  input " << name(v) << " : " << v->type().to_string();
        if (v->initializer()) os << " = " << tensor_summary(*v->initializer());
        os << '\n';
    }
    for (auto* v : g.initializers())
        if (!v->is_graph_input()) os << indent << "  init " << name(v) << " = " << tensor_summary(*v->initializer()) << '\n';
    for (auto* v : g.outer_refs()) os << indent << "  outer " << name(v) << " : " << v->type().to_string() << '\n';
    for (const auto& n : g.nodes()) {
        os << indent << "  ";
        for (std::size_t i = 0; i < n.num_outputs(); ++i) os << (i ? ", " : "") << name(n.output(i));
        os << " = " << (n.domain().empty() ? "" : n.domain() + "::") << n.op_type();
        if (!n.name().empty()) os << " '" << n.name() << "'";
        if (!n.attributes().empty()) {
            os << " {";
            bool first = true;
            for (const auto& [k, a] : n.attributes()) {
                os << (first ? "" : ", ") << k << "=";
                first = false;
                print_attribute(a, os, indent + "  ");
            }
            os << '}';
        }
        os << " (";
        for (std::size_t i = 0; i < n.num_inputs(); ++i) os << (i ? ", " : "") << name(n.input(i));
        os << ")";
        bool typed = false;
        for (auto* o : n.outputs())
            typed = typed || (o && o->type().type_kind != value_type::kind::unknown);
        if (typed) {
            os << " :";
            for (auto* o : n.outputs()) os << ' ' << (o ? o->type().to_string() : std::string("_"));
        }
        os << '\n';
    }
    for (auto* v : g.outputs()) os << indent << "  output " << name(v) << " : " << v->type().to_string() << '\n';
}
}  // namespace detail

/// The graph as text. Two graphs with the same text have the same structure, types, attributes and
/// constant data (compared by checksum).
template <class Traits>
[[nodiscard]] std::string to_text(const basic_graph<Traits>& g) {
    std::ostringstream os;
    detail::print_into(g, os, "");
    return os.str();
}

namespace detail::dot {
/// A DOT string literal's contents: quotes and backslashes escaped, line breaks as \n.
inline std::string dot_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + '"';
}
}  // namespace detail::dot

/// The graph as Graphviz DOT (`dot -Tsvg`): graph inputs and outputs as ellipses, one box per node labelled
/// with its op (domain-qualified outside ONNX), its name and its constant inputs (weights, with their
/// types), and one edge per use of a computed value, labelled with the value's name and type. Nested
/// subgraphs are not drawn (their node names the attribute). Output is deterministic: nodes in graph order.
template <class Traits>
[[nodiscard]] std::string to_dot(const basic_graph<Traits>& g) {
    using detail::dot::dot_string;
    std::ostringstream os;
    os << "digraph " << dot_string(g.name().empty() ? std::string("graph") : std::string(g.name())) << " {\n"
       << "  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n";
    std::map<const basic_value<Traits>*, std::string> source;  // value -> the DOT node that produces it
    std::size_t k = 0;
    for (auto* v : g.inputs()) {
        if (v->is_initializer()) continue;
        const std::string id = "in" + std::to_string(k++);
        source[v] = id;
        os << "  " << id << " [shape=ellipse, style=filled, fillcolor=\"#dbe9f6\", label="
           << dot_string(std::string(v->name()) + "\n" + v->type().to_string()) << "];\n";
    }
    std::size_t n_id = 0;
    std::vector<std::string> edges;
    for (const auto& n : g.nodes()) {
        const std::string id = "n" + std::to_string(n_id++);
        std::string label = (n.domain().empty() || n.domain() == "ai.onnx" ? std::string() : std::string(n.domain()) + "::") +
                            std::string(n.op_type());
        if (!n.name().empty()) label += "\n" + std::string(n.name());
        for (std::size_t i = 0; i < n.num_inputs(); ++i) {
            auto* in = n.input(i);
            if (!in || in->name().empty()) continue;
            if (in->is_initializer()) {
                label += "\n" + std::string(in->name()) + ": " + in->type().to_string();
            } else if (auto it = source.find(in); it != source.end()) {
                edges.push_back("  " + it->second + " -> " + id + " [label=" + dot_string(std::string(in->name()) + "\n" + in->type().to_string()) + "];");
            }
        }
        for (const auto& [attr_name, a] : n.attributes())
            if (a.get_kind() == basic_attribute<Traits>::kind::g || a.get_kind() == basic_attribute<Traits>::kind::graphs) label += "\n(subgraph " + std::string(attr_name) + ")";
        os << "  " << id << " [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\", label=" << dot_string(label) << "];\n";
        for (auto* o : n.outputs())
            if (o && !o->name().empty()) source[o] = id;
    }
    k = 0;
    for (auto* v : g.outputs()) {
        const std::string id = "out" + std::to_string(k++);
        os << "  " << id << " [shape=ellipse, style=filled, fillcolor=\"#e2f0d9\", label="
           << dot_string(std::string(v->name()) + "\n" + v->type().to_string()) << "];\n";
        if (auto it = source.find(v); it != source.end()) edges.push_back("  " + it->second + " -> " + id + ";");
    }
    for (const auto& e : edges) os << e << '\n';
    os << "}\n";
    return os.str();
}

GEARC_END_NAMESPACE
