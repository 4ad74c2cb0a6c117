// Cleanup passes (Identity/Dropout removal, dead code, common subexpressions) and the graph-edit helpers rewrites share.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/pass.hpp>
#include <gearc/tensor.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

/// Helpers for passes that rewrite the graph: reading constants, checking that a value is free to
/// disappear, turning the last node of a pattern into the fused node, and removing what became dead.
/// A pattern is always rewritten by changing its *last* node in place: its outputs keep their names, so
/// graph outputs keep theirs, and every input of the fused node is defined before that node.
namespace detail::rewrite {

[[nodiscard]] inline bool is_onnx_domain(std::string_view d) noexcept { return d.empty() || d == "ai.onnx"; }

/// True when `n` is the ai.onnx operator `op`.
template <class Traits>
[[nodiscard]] bool is_op(const basic_node<Traits>* n, std::string_view op) noexcept {
    return n && n->op_type() == op && is_onnx_domain(n->domain());
}

/// Input i when it is given (not omitted, not the empty name).
template <class Traits>
[[nodiscard]] basic_value<Traits>* given_input(const basic_node<Traits>& n, std::size_t i) noexcept {
    auto* v = n.input(i);
    return v && !v->name().empty() ? v : nullptr;
}

/// Names every subgraph (If/Loop/Scan bodies, at any depth) reads from enclosing scopes: such values
/// are used even when no node of this graph reads them.
template <class Traits>
void collect_captured(const basic_graph<Traits>& g, std::set<std::string, std::less<>>& out) {
    using gptr = std::shared_ptr<basic_graph<Traits>>;
    auto visit = [&](const gptr& sg) {
        if (!sg) return;
        for (const auto& name : sg->captured_names()) out.insert(std::string(name));
        collect_captured(*sg, out);
    };
    for (const auto& n : g.nodes())
        for (const auto& kv : n.attributes()) {
            if (auto* sg = kv.second.template get_if<gptr>()) visit(*sg);
            if (auto* sgs = kv.second.template get_if<typename Traits::template vector_type<gptr>>())
                for (const auto& sg : *sgs) visit(sg);
        }
}

/// A tensor holding one scalar.
template <class T>
[[nodiscard]] tensor scalar_tensor(T v) {
    return tensor::from<T>({}, std::vector<T>{v});
}

/// The constant data of `v`: an initializer that is not a graph input (those can be fed at run time),
/// or the output of a Constant node.
template <class Traits>
[[nodiscard]] std::optional<tensor> constant_of(const basic_value<Traits>* v) {
    if (!v || v->name().empty()) return std::nullopt;
    if (v->initializer()) {
        if (v->is_graph_input()) return std::nullopt;
        return *v->initializer();
    }
    const auto* p = v->producer();
    if (!is_op(p, "Constant") || p->num_inputs() != 0 || p->num_outputs() != 1) return std::nullopt;
    for (const auto& [k, a] : p->attributes()) {
        if (k == "value")
            if (auto* t = a.template get_if<tensor>()) return *t;
        if (k == "value_float")
            if (auto* f = a.template get_if<float>()) return scalar_tensor<float>(*f);
        if (k == "value_int")
            if (auto* i = a.template get_if<std::int64_t>()) return scalar_tensor<std::int64_t>(*i);
        if (k == "value_floats")
            if (auto* fs = a.template get_if<typename Traits::template vector_type<float>>())
                return tensor::from<float>({static_cast<std::int64_t>(fs->size())}, std::vector<float>(fs->begin(), fs->end()));
        if (k == "value_ints")
            if (auto* is = a.template get_if<typename Traits::template vector_type<std::int64_t>>())
                return tensor::from<std::int64_t>({static_cast<std::int64_t>(is->size())},
                                                  std::vector<std::int64_t>(is->begin(), is->end()));
    }
    return std::nullopt;
}

/// IEEE half to float (for float16 constants such as an epsilon).
[[nodiscard]] inline float half_to_float(std::uint16_t h) noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1fu;
    std::uint32_t mant = h & 0x3ffu;
    std::uint32_t bits = 0;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            std::uint32_t e = 0;
            while (!(mant & 0x400u)) {
                mant <<= 1;
                ++e;
            }
            bits = sign | ((127u - 14u - e) << 23) | ((mant & 0x3ffu) << 13);
        }
    } else {
        bits = sign | ((exp + 127u - 15u) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(bits);
}

/// The elements of a numeric tensor as doubles (float32/64/16, integers, bool); nullopt for other types.
[[nodiscard]] inline std::optional<std::vector<double>> to_doubles(const tensor& t) {
    std::vector<double> out;
    out.reserve(static_cast<std::size_t>(t.numel()));
    auto take = [&](auto tag) {
        using T = decltype(tag);
        for (T x : t.view<T>()) out.push_back(static_cast<double>(x));
    };
    switch (t.type()) {
        case dtype::float32: take(float{}); break;
        case dtype::float64: take(double{}); break;
        case dtype::int8: take(std::int8_t{}); break;
        case dtype::int16: take(std::int16_t{}); break;
        case dtype::int32: take(std::int32_t{}); break;
        case dtype::int64: take(std::int64_t{}); break;
        case dtype::uint8: take(std::uint8_t{}); break;
        case dtype::uint16: take(std::uint16_t{}); break;
        case dtype::uint32: take(std::uint32_t{}); break;
        case dtype::uint64: take(std::uint64_t{}); break;
        case dtype::boolean:
            for (std::size_t i = 0; i < t.nbytes(); ++i) out.push_back(t.data().data()[i] != std::byte{0} ? 1.0 : 0.0);
            break;
        case dtype::float16:
            for (std::size_t i = 0; i + 1 < t.nbytes(); i += 2) {
                std::uint16_t h = 0;
                std::memcpy(&h, t.data().data() + i, 2);
                out.push_back(half_to_float(h));
            }
            break;
        default: return std::nullopt;
    }
    return out;
}

/// The value of a constant holding exactly one element.
template <class Traits>
[[nodiscard]] std::optional<double> scalar_of(const basic_value<Traits>* v) {
    auto t = constant_of(v);
    if (!t || t->numel() != 1) return std::nullopt;
    auto d = to_doubles(*t);
    if (!d) return std::nullopt;
    return d->front();
}

/// A float32 or float64 tensor of `sizes` from doubles (fused weights keep the original dtype).
[[nodiscard]] inline tensor make_float_tensor(dtype type, std::vector<std::int64_t> sizes, const std::vector<double>& values) {
    if (type == dtype::float64) return tensor::from<double>(std::move(sizes), values);
    std::vector<float> f(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) f[i] = static_cast<float>(values[i]);
    return tensor::from<float>(std::move(sizes), f);
}

/// Turns `n` into `op` (in `domain`) reading `inputs`, with exactly `attrs`; its outputs are kept.
template <class Traits>
void rewrite_node(basic_node<Traits>& n, std::string op, std::string domain, const std::vector<basic_value<Traits>*>& inputs,
                  typename basic_node<Traits>::attribute_list attrs) {
    n.set_op_type(std::move(op));
    n.set_domain(std::move(domain));
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (i < n.num_inputs()) n.set_input(i, inputs[i]);
        else n.add_input(inputs[i]);
    }
    n.truncate_inputs(inputs.size());
    std::vector<std::string> names;
    for (const auto& kv : n.attributes()) names.push_back(std::string(kv.first));
    for (const auto& k : names) n.remove_attr(k);
    for (auto& [k, a] : attrs) n.set_attr(std::move(k), std::move(a));
}

/// The names of `n`'s given inputs (names, not pointers: removing nodes deletes values).
template <class Traits>
[[nodiscard]] std::vector<std::string> input_names(const basic_node<Traits>& n) {
    std::vector<std::string> out;
    for (auto* v : n.inputs())
        if (v && !v->name().empty()) out.push_back(std::string(v->name()));
    return out;
}

/// One pass's editing session over a graph: which values are still read (use lists, graph outputs and
/// values that subgraphs capture by name), and which nodes it removed, so that a pass iterating over a
/// snapshot of the node list (node_list()) skips them.
template <class Traits>
class rewriter {
public:
    using graph_t = basic_graph<Traits>;
    using value_t = basic_value<Traits>;
    using node_t = basic_node<Traits>;

    explicit rewriter(graph_t& g) : g_(g) { collect_captured(g, captured_); }

    [[nodiscard]] graph_t& graph() noexcept { return g_; }
    /// True once this session removed `n` (the pointer must not be followed).
    [[nodiscard]] bool removed(const node_t* n) const { return removed_.count(n) != 0; }

    [[nodiscard]] bool captured(const value_t* v) const { return v && captured_.count(std::string_view(v->name())); }
    /// Read by a node, a graph output or a subgraph.
    [[nodiscard]] bool live(const value_t* v) const { return v && (v->has_uses() || v->is_graph_output() || captured(v)); }
    /// The only node reading `v` when `v` is no graph output and no subgraph reads it (nullptr otherwise).
    /// The node may read `v` at several inputs (Mul(d, d)).
    [[nodiscard]] node_t* sole_user(const value_t* v) const {
        if (!v || v->uses().empty() || v->is_graph_output() || captured(v)) return nullptr;
        node_t* u = v->uses().front().user;
        for (const auto& use : v->uses())
            if (use.user != u) return nullptr;
        return u;
    }
    /// True when every use of `v` is by one of `users`, and `v` is no graph output and not captured.
    [[nodiscard]] bool only_used_by(const value_t* v, std::initializer_list<const node_t*> users) const {
        if (!v || v->is_graph_output() || captured(v)) return false;
        for (const auto& use : v->uses())
            if (std::find(users.begin(), users.end(), use.user) == users.end()) return false;
        return true;
    }

    /// A new initializer named after `base`.
    value_t* add_constant(const std::string& base, tensor t) { return g_.add_initializer(g_.unique_name(base), std::move(t)); }

    /// Removes `n` (its outputs must be unused).
    void remove(node_t* n) {
        removed_.insert(n);
        g_.remove_node(n);
    }

    /// Removes `v` when it is constant data nobody reads any more: an unused initializer (not a graph
    /// input), or the output of a Constant node (the node goes with it).
    void drop_if_unused(value_t* v) {
        if (!v || live(v) || v->is_graph_input()) return;
        if (auto* p = v->producer()) {
            if (!is_op(p, "Constant")) return;
            for (auto* o : p->outputs())
                if (live(o)) return;
            remove(p);
        } else if (v->initializer()) {
            g_.erase_value(v);
        }
    }
    /// drop_if_unused for each value still named one of `names`.
    void drop_unused(const std::vector<std::string>& names) {
        for (const auto& name : names)
            if (auto* v = g_.find_value(name)) drop_if_unused(v);
    }

    /// Removes the nodes of a matched pattern that nothing reads any more (in the given order: list
    /// readers before what they read), then the constants only they read.
    void remove_dead(const std::vector<node_t*>& nodes) {
        std::vector<std::string> inputs;
        for (auto* n : nodes) {
            if (!n) continue;
            bool dead = true;
            for (auto* o : n->outputs()) dead = dead && !live(o);
            if (!dead) continue;
            for (auto& name : input_names(*n)) inputs.push_back(std::move(name));
            remove(n);
        }
        drop_unused(inputs);
    }

    /// Turns the pattern's last node `tail` into the fused node, removes the pattern's other nodes
    /// (`others`, readers first) and the constants only they read, and names the fused node `name`
    /// (the pattern's first node's name, the one users know; kept when empty).
    void fuse(node_t& tail, std::string op, std::string domain, const std::vector<value_t*>& inputs,
              typename node_t::attribute_list attrs, const std::vector<node_t*>& others, const std::string& name) {
        auto old_inputs = input_names(tail);
        if (domain == "ai.gearc") g_.info().opset_imports.try_emplace(domain, 1);  // so that an export declares it
        rewrite_node(tail, std::move(op), std::move(domain), inputs, std::move(attrs));
        remove_dead(others);
        drop_unused(old_inputs);
        if (!name.empty()) tail.set_name(name);
    }

    /// Removes a node that passes its input 0 through unchanged to its output 0 (Identity, inference
    /// Dropout), keeping the graph outputs' names: when the output is a graph output, the producer of
    /// the input is re-created so that it computes the output's name directly. Returns false (and
    /// changes nothing) when the names cannot be kept: the input is a graph input, initializer or graph
    /// output itself, or its producer has other outputs.
    bool bypass(node_t* n) {
        auto* in = given_input(*n, 0);
        auto* out = n->output(0);
        if (!in || !out) return false;
        for (std::size_t i = 1; i < n->num_outputs(); ++i)
            if (live(n->output(i))) return false;
        if (captured(out)) return false;  // a subgraph reads it by name
        if (!out->is_graph_output()) {
            g_.replace_all_uses_with(out, in);
            remove(n);
            return true;
        }
        auto* p = in->producer();
        if (!p || in->is_graph_input() || in->is_graph_output() || captured(in)) return false;
        for (auto* o : p->outputs())
            if (o && o != in) return false;
        const std::string out_name(out->name());
        const std::size_t k = in->producer_index();
        value_type t = out->type().type_kind == value_type::kind::unknown ? in->type() : out->type();
        g_.replace_all_uses_with(out, in);
        remove(n);  // deletes `out`, freeing its name
        std::vector<value_t*> outs(p->num_outputs(), nullptr);
        outs[k] = g_.add_value(out_name, std::move(t));
        auto* q = g_.add_node(p->op_type(), p->inputs(), std::move(outs), p->attributes(), p->name(), p->domain());
        g_.move_before(q, p);
        g_.replace_all_uses_with(in, q->output(k));
        remove(p);
        return true;
    }

private:
    graph_t& g_;
    std::set<std::string, std::less<>> captured_;
    std::unordered_set<const node_t*> removed_;
};

}  // namespace detail::rewrite

/// Removes Identity nodes, and Dropout nodes in inference mode (training_mode absent or a constant false,
/// mask output unused). Graph outputs keep their names; when that is impossible (the Identity copies a
/// graph input or another graph output), the node stays.
struct remove_identity {
    static constexpr std::string_view name = "remove_identity";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        namespace r = detail::rewrite;
        r::rewriter<Traits> rw(g);
        std::size_t identities = 0, dropouts = 0;
        for (auto* n : g.node_list()) {
            if (rw.removed(n)) continue;
            const bool identity = r::is_op(n, "Identity");
            if (!identity && !(r::is_op(n, "Dropout") && inference_dropout(*n, rw))) continue;
            if (!rw.bypass(n)) continue;
            ++(identity ? identities : dropouts);
        }
        ctx.count("remove_identity.identity", identities);
        ctx.count("remove_identity.dropout", dropouts);
        return identities + dropouts > 0;
    }

private:
    template <class Traits>
    static bool inference_dropout(const basic_node<Traits>& n, const detail::rewrite::rewriter<Traits>& uses) {
        namespace r = detail::rewrite;
        if (n.template attr_or<std::int64_t>("is_test", 1) == 0) return false;  // opset < 7: is_test=0 is training
        if (auto* mode = r::given_input(n, 2)) {
            auto t = r::scalar_of(mode);
            if (!t || *t != 0.0) return false;
        }
        return !uses.live(n.output(1));
    }
};

/// Removes nodes whose outputs nobody reads (no node, graph output or subgraph), repeatedly, then the
/// initializers nobody reads. Graph inputs stay.
struct eliminate_dead_code {
    static constexpr std::string_view name = "eliminate_dead_code";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        detail::rewrite::rewriter<Traits> uses(g);
        std::size_t nodes = 0, inits = 0;
        // in reverse topological order a node's readers are visited (and removed) before it, so one sweep
        // removes whole dead chains; the loop only matters for a node list that is out of order
        for (bool removed = true; removed;) {
            removed = false;
            auto list = g.node_list();
            for (auto it = list.rbegin(); it != list.rend(); ++it) {
                bool live = false;
                for (auto* o : (*it)->outputs()) live = live || uses.live(o);
                if (live) continue;
                g.remove_node(*it);
                ++nodes;
                removed = true;
            }
        }
        auto initializers = g.initializers();
        for (auto* v : initializers) {
            if (v->is_graph_input() || uses.live(v)) continue;
            g.erase_value(v);
            ++inits;
        }
        ctx.count("eliminate_dead_code.nodes", nodes);
        ctx.count("eliminate_dead_code.initializers", inits);
        return nodes + inits > 0;
    }
};

/// Merges nodes that compute the same thing (same op, domain, attributes and inputs) into the first
/// of them, and constants with identical dtype, shape and bytes. Random operators, nodes with subgraphs
/// and operators of unknown domains are never merged; a node whose output is a graph output keeps it.
struct eliminate_common_subexpressions {
    static constexpr std::string_view name = "eliminate_common_subexpressions";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        detail::rewrite::rewriter<Traits> uses(g);
        // per gear the weights were deduplicated already (in the generic graph): only new, small constants
        // are compared, so that a gear does not hash every weight again
        const std::size_t consts = merge_constants(g, uses, ctx.specialising ? std::size_t(4096) : std::size_t(-1));
        std::size_t nodes = 0;
        std::unordered_map<std::string, std::vector<basic_node<Traits>*>> seen;
        for (auto* n : g.topological_order()) {
            if (!candidate(*n)) continue;
            auto& bucket = seen[signature(*n)];
            basic_node<Traits>* same = nullptr;
            for (auto* m : bucket)
                if (equivalent(*n, *m) && can_merge(*n, *m, uses)) {
                    same = m;
                    break;
                }
            if (!same) {
                bucket.push_back(n);
                continue;
            }
            for (std::size_t i = 0; i < n->num_outputs(); ++i)
                if (n->output(i) && same->output(i)) g.replace_all_uses_with(n->output(i), same->output(i));
            g.remove_node(n);
            ++nodes;
        }
        ctx.count("eliminate_common_subexpressions.nodes", nodes);
        ctx.count("eliminate_common_subexpressions.constants", consts);
        return nodes + consts > 0;
    }

private:
    static bool nondeterministic(std::string_view op) {
        constexpr std::string_view random_ops[] = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                                                   "Multinomial",  "Bernoulli",     "Dropout"};
        for (auto r : random_ops)
            if (op == r) return true;
        return false;
    }

    template <class Traits>
    static bool candidate(const basic_node<Traits>& n) {
        const auto& d = n.domain();
        if (!(detail::rewrite::is_onnx_domain(d) || d == "ai.onnx.ml" || d == "ai.gearc")) return false;
        if (nondeterministic(n.op_type()) || n.num_outputs() == 0) return false;
        using gptr = std::shared_ptr<basic_graph<Traits>>;
        for (const auto& kv : n.attributes())
            if (kv.second.template holds<gptr>() || kv.second.template holds<typename Traits::template vector_type<gptr>>())
                return false;
        return true;
    }

    static bool same_tensor(const tensor& a, const tensor& b) {
        return a.type() == b.type() && a.sizes() == b.sizes() && a.nbytes() == b.nbytes() &&
               (a.nbytes() == 0 || std::memcmp(a.data().data(), b.data().data(), a.nbytes()) == 0);
    }

    template <class T>
    static bool same_value(const T& a, const T& b) {
        if constexpr (std::is_same_v<T, float>) {
            return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
        } else if constexpr (std::is_same_v<T, tensor>) {
            return same_tensor(a, b);
        } else if constexpr (requires { a.size(); a.begin(); } && !std::is_convertible_v<T, std::string_view>) {
            if (a.size() != b.size()) return false;
            for (std::size_t i = 0; i < a.size(); ++i)
                if (!same_value(a[i], b[i])) return false;
            return true;
        } else {
            return a == b;
        }
    }

    template <class Traits>
    static bool same_attribute(const basic_attribute<Traits>& a, const basic_attribute<Traits>& b) {
        if (a.get().index() != b.get().index()) return false;
        return std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                return same_value(x, std::get<T>(b.get()));
            },
            a.get());
    }

    /// Op, domain, inputs, output count and attribute names and values (tensors by checksum): equal
    /// signatures are then compared exactly.
    template <class Traits>
    static std::string signature(const basic_node<Traits>& n) {
        std::string s = std::string(n.domain()) + '\x1f' + std::string(n.op_type()) + '\x1f' + std::to_string(n.num_outputs());
        for (auto* v : n.inputs()) s += '\x1f' + (v ? std::string(v->name()) : std::string());
        std::vector<std::pair<std::string, std::string>> attrs;
        for (const auto& [k, a] : n.attributes()) {
            std::string text = std::to_string(a.get().index()) + ':';
            if (auto* t = a.template get_if<tensor>()) text += std::to_string(t->checksum());
            else if (auto* i = a.template get_if<std::int64_t>()) text += std::to_string(*i);
            else if (auto* str = a.template get_if<typename Traits::string_type>()) text += std::string(*str);
            else if (auto* f = a.template get_if<float>()) text += std::to_string(std::bit_cast<std::uint32_t>(*f));
            else if (auto* is = a.template get_if<typename Traits::template vector_type<std::int64_t>>())
                for (auto x : *is) text += std::to_string(x) + ',';
            attrs.emplace_back(std::string(k), std::move(text));
        }
        std::sort(attrs.begin(), attrs.end());
        for (const auto& [k, t] : attrs) s += '\x1e' + k + '=' + t;
        return s;
    }

    template <class Traits>
    static bool equivalent(const basic_node<Traits>& a, const basic_node<Traits>& b) {
        if (a.op_type() != b.op_type() || a.domain() != b.domain() || a.inputs() != b.inputs() ||
            a.num_outputs() != b.num_outputs() || a.attributes().size() != b.attributes().size())
            return false;
        for (const auto& [k, x] : a.attributes()) {
            const auto* y = b.find_attr(k);
            if (!y || !same_attribute(x, *y)) return false;
        }
        return true;
    }

    /// `dup`'s outputs must be free to disappear: no graph output, no subgraph reads them, and `keep`
    /// has each output that is read.
    template <class Traits>
    static bool can_merge(const basic_node<Traits>& dup, const basic_node<Traits>& keep, const detail::rewrite::rewriter<Traits>& uses) {
        for (std::size_t i = 0; i < dup.num_outputs(); ++i) {
            auto* o = dup.output(i);
            if (!o) continue;
            if (o->is_graph_output() || uses.captured(o)) return false;
            if (o->has_uses() && !keep.output(i)) return false;
        }
        return true;
    }

    template <class Traits>
    static std::size_t merge_constants(basic_graph<Traits>& g, const detail::rewrite::rewriter<Traits>& uses, std::size_t max_bytes) {
        using value_t = basic_value<Traits>;
        std::map<std::tuple<dtype, std::vector<std::int64_t>, std::uint64_t>, std::vector<value_t*>> buckets;
        std::size_t merged = 0;
        auto initializers = g.initializers();
        for (auto* v : initializers) {
            if (v->is_graph_input()) continue;  // can be fed at run time: not a constant
            const tensor& t = *v->initializer();
            if (t.nbytes() > max_bytes) continue;
            auto& bucket = buckets[{t.type(), t.sizes(), t.checksum()}];
            value_t* same = nullptr;
            for (auto* c : bucket)
                if (same_tensor(*c->initializer(), t)) {
                    same = c;
                    break;
                }
            if (!same) {
                bucket.push_back(v);
                continue;
            }
            if (v->is_graph_output() || uses.captured(v)) continue;
            g.replace_all_uses_with(v, same);
            g.erase_value(v);
            ++merged;
        }
        return merged;
    }
};

}  // namespace passes

GEARC_END_NAMESPACE
