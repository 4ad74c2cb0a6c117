// A textual dump of a graph: one line per input, initializer, node and output; stable for tests and diffs.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/graph.hpp>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

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

GEARC_END_NAMESPACE
