// basic_graph: owns values and nodes, keeps use lists exact, orders, edits, clones and extracts subgraphs.
#pragma once

#include <gearc/attribute.hpp>
#include <gearc/detail/abi_macros.hpp>
#include <gearc/detail/deref_range.hpp>
#include <gearc/error.hpp>
#include <gearc/gearc_fwd.hpp>
#include <gearc/node.hpp>
#include <gearc/value.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// Model-level facts carried through import and export (meaningful on the top-level graph).
struct model_info {
    std::int64_t ir_version = 8;
    std::map<std::string, std::int64_t> opset_imports{{"", 17}};  ///< domain ("" = ai.onnx) -> version
    std::string producer_name = "gearc";
    std::string producer_version;
    std::string domain;
    std::int64_t model_version = 0;
    std::string doc_string;
    std::vector<std::pair<std::string, std::string>> metadata;
    std::string source_path;  ///< the file it was loaded from, for error messages
};

/// A dataflow graph. Every edit goes through this class or basic_node, so the invariants the verifier
/// checks (exact use lists, one definition per value, unique names) hold after any sequence of calls.
template <class Traits>
class basic_graph {
public:
    using value_t = basic_value<Traits>;
    using node_t = basic_node<Traits>;
    using attribute_t = basic_attribute<Traits>;
    using string_type = typename Traits::string_type;
    using attribute_list = typename node_t::attribute_list;

private:
    using value_map = std::unordered_map<string_type, std::unique_ptr<value_t>>;
    using node_storage = std::list<std::unique_ptr<node_t>>;
    struct get_value {
        value_t& operator()(const typename value_map::value_type& kv) const { return *kv.second; }
    };
    struct get_node {
        node_t& operator()(const std::unique_ptr<node_t>& p) const { return *p; }
    };

public:
    explicit basic_graph(string_type name = {}) : name_(std::move(name)) {}
    basic_graph(const basic_graph&) = delete;  // use clone(): copying must be explicit
    basic_graph& operator=(const basic_graph&) = delete;

    [[nodiscard]] const string_type& name() const noexcept { return name_; }
    void set_name(string_type n) { name_ = std::move(n); }
    [[nodiscard]] model_info& info() noexcept { return info_; }
    [[nodiscard]] const model_info& info() const noexcept { return info_; }

    // ---- values ---------------------------------------------------------------------------------

    /// A new graph input.
    value_t* add_input(string_type name, value_type t) {
        auto* v = make_value(std::move(name), std::move(t));
        v->is_input_ = true;
        inputs_.push_back(v);
        return v;
    }
    /// A new initializer (constant data); its type is taken from the tensor.
    value_t* add_initializer(string_type name, tensor data) {
        auto* v = make_value(std::move(name), value_type::tensor_of(data.type(), data.get_shape()));
        v->init_ = std::move(data);
        initializers_.push_back(v);
        return v;
    }
    /// Gives an existing graph input a default (IR < 4 style: an initializer that is also an input).
    void set_initializer(value_t* v, tensor data) {
        check_mine(v, "set_initializer");
        if (!v->is_input_ && !v->init_ && (v->producer_ || v->is_outer_ref_))
            throw graph_error(errc::graph_misuse, "set_initializer: value '" + std::string(v->name()) + "' is already defined");
        if (!v->init_) initializers_.push_back(v);
        v->init_ = std::move(data);
    }
    /// A subgraph's reference to a value of an enclosing graph.
    value_t* add_outer_ref(string_type name, value_type t = {}) {
        auto* v = make_value(std::move(name), std::move(t));
        v->is_outer_ref_ = true;
        outer_refs_.push_back(v);
        return v;
    }
    /// A value with no definition yet: pass it as an output to add_node.
    value_t* add_value(string_type name, value_type t = {}) { return make_value(std::move(name), std::move(t)); }

    [[nodiscard]] value_t* find_value(std::string_view name) const {
        auto it = values_.find(string_type(name));
        return it == values_.end() ? nullptr : it->second.get();
    }
    /// `prefix` if unused, else prefix_1, prefix_2, ...
    [[nodiscard]] string_type unique_name(const string_type& prefix) const {
        if (!values_.count(prefix) && !node_names_.count(prefix)) return prefix;
        for (std::uint64_t i = 1;; ++i) {
            string_type n = prefix + "_" + std::to_string(i);
            if (!values_.count(n) && !node_names_.count(n)) return n;
        }
    }
    /// Deletes an unused, undefined value (or an unused initializer / outer reference / input).
    void erase_value(value_t* v) {
        check_mine(v, "erase_value");
        if (v->has_uses() || v->is_graph_output() || v->producer_)
            throw graph_error(errc::graph_misuse, "erase_value: value '" + std::string(v->name()) +
                                                      "' is still used, produced by a node, or a graph output");
        std::erase(inputs_, v);
        std::erase(initializers_, v);
        std::erase(outer_refs_, v);
        values_.erase(v->name());
    }
    /// Removes the default data of a value (an initializer that stays a graph input, or is deleted).
    void clear_initializer(value_t* v) {
        check_mine(v, "clear_initializer");
        v->init_.reset();
        std::erase(initializers_, v);
    }

    [[nodiscard]] const std::vector<value_t*>& inputs() const noexcept { return inputs_; }
    [[nodiscard]] const std::vector<value_t*>& outputs() const noexcept { return outputs_; }
    /// Values holding constant data, in the order they were added (some may also be inputs).
    [[nodiscard]] const std::vector<value_t*>& initializers() const noexcept { return initializers_; }
    [[nodiscard]] const std::vector<value_t*>& outer_refs() const noexcept { return outer_refs_; }
    [[nodiscard]] std::size_t num_values() const noexcept { return values_.size(); }
    /// Every value, in no particular order.
    [[nodiscard]] detail::deref_range<value_map, value_t, get_value> values() const {
        return detail::deref_range<value_map, value_t, get_value>(values_);
    }

    void add_output(value_t* v) {
        check_mine(v, "add_output");
        outputs_.push_back(v);
        ++v->output_refs_;
    }
    void set_output(std::size_t i, value_t* v) {
        check_mine(v, "set_output");
        --outputs_.at(i)->output_refs_;
        outputs_[i] = v;
        ++v->output_refs_;
    }
    void clear_outputs() {
        for (auto* v : outputs_) --v->output_refs_;
        outputs_.clear();
    }

    // ---- nodes ----------------------------------------------------------------------------------

    /// Appends a node whose outputs are existing, still undefined values.
    node_t* add_node(string_type op, std::vector<value_t*> inputs, std::vector<value_t*> outputs, attribute_list attrs = {},
                     string_type name = {}, string_type domain = {}) {
        return emplace(nodes_.end(), std::move(op), std::move(inputs), std::move(outputs), std::move(attrs), std::move(name),
                       std::move(domain));
    }
    /// Appends a node with `num_outputs` fresh outputs named after the node.
    node_t* add_node(string_type op, std::vector<value_t*> inputs, std::size_t num_outputs, attribute_list attrs = {},
                     string_type name = {}, string_type domain = {}) {
        auto outs = fresh_outputs(name.empty() ? op : name, num_outputs);
        return add_node(std::move(op), std::move(inputs), std::move(outs), std::move(attrs), std::move(name), std::move(domain));
    }
    /// Inserts a node before `pos` (nullptr = at the end).
    node_t* insert_node(node_t* pos, string_type op, std::vector<value_t*> inputs, std::size_t num_outputs,
                        attribute_list attrs = {}, string_type name = {}, string_type domain = {}) {
        auto outs = fresh_outputs(name.empty() ? op : name, num_outputs);
        return emplace(pos ? position_of(pos) : nodes_.end(), std::move(op), std::move(inputs), std::move(outs),
                       std::move(attrs), std::move(name), std::move(domain));
    }
    /// Moves `n` to just before `pos` (nullptr = to the end).
    void move_before(node_t* n, node_t* pos) {
        auto from = position_of(n);
        nodes_.splice(pos ? position_of(pos) : nodes_.end(), nodes_, from);
    }

    /// Removes a node whose outputs are no longer used; its outputs are deleted with it.
    void remove_node(node_t* n) {
        auto it = position_of(n);
        for (auto* o : n->outputs_)
            if (o && (o->has_uses() || o->is_graph_output()))
                throw graph_error(errc::graph_misuse, "remove_node: " + n->describe() + " output '" + std::string(o->name()) +
                                                          "' is still used (" + std::to_string(o->uses().size()) + " uses" +
                                                          (o->is_graph_output() ? ", graph output" : "") +
                                                          "); call replace_all_uses_with first");
        n->truncate_inputs(0);
        for (auto* o : n->outputs_)
            if (o) values_.erase(o->name());
        if (auto nit = node_names_.find(n->name()); nit != node_names_.end() && nit->second == n) node_names_.erase(nit);
        nodes_.erase(it);
    }
    /// Makes every reader of `from` (nodes and graph outputs) read `to` instead.
    void replace_all_uses_with(value_t* from, value_t* to) {
        check_mine(from, "replace_all_uses_with");
        check_mine(to, "replace_all_uses_with");
        if (from == to) return;
        auto uses = from->uses_;  // copy: set_input edits the list
        for (const auto& u : uses) u.user->set_input(u.index, to);
        for (std::size_t i = 0; i < outputs_.size(); ++i)
            if (outputs_[i] == from) set_output(i, to);
    }
    /// Rewires every use of `old_node`'s outputs to `replacement`'s, then removes `old_node`.
    void replace_node(node_t* old_node, node_t* replacement) {
        if (old_node->num_outputs() != replacement->num_outputs())
            throw graph_error(errc::graph_misuse, "replace_node: " + old_node->describe() + " has " +
                                                      std::to_string(old_node->num_outputs()) + " outputs but " +
                                                      replacement->describe() + " has " +
                                                      std::to_string(replacement->num_outputs()));
        for (std::size_t i = 0; i < old_node->num_outputs(); ++i)
            if (old_node->output(i) && replacement->output(i))
                replace_all_uses_with(old_node->output(i), replacement->output(i));
        remove_node(old_node);
    }

    [[nodiscard]] node_t* find_node(std::string_view name) const {
        if (auto it = node_names_.find(string_type(name)); it != node_names_.end()) return it->second;
        for (const auto& p : nodes_)  // a duplicate name whose first holder was removed
            if (p->name_ == name) return p.get();
        return nullptr;
    }
    [[nodiscard]] std::size_t num_nodes() const noexcept { return nodes_.size(); }
    /// The nodes in their current order (a view; do not remove nodes while iterating it).
    [[nodiscard]] detail::deref_range<node_storage, node_t, get_node> nodes() const {
        return detail::deref_range<node_storage, node_t, get_node>(nodes_);
    }
    /// A copy of the node order, safe to iterate while editing.
    [[nodiscard]] std::vector<node_t*> node_list() const {
        std::vector<node_t*> out;
        out.reserve(nodes_.size());
        for (const auto& p : nodes_) out.push_back(p.get());
        return out;
    }

    // ---- order ----------------------------------------------------------------------------------

    /// Names of values that the graph (and its nested subgraphs) read from enclosing scopes.
    [[nodiscard]] std::set<string_type> captured_names() const {
        std::set<string_type> out;
        for (auto* v : outer_refs_)
            if (v->has_uses() || v->is_graph_output()) out.insert(v->name());
        return out;
    }

    /// A topological order of the nodes that keeps the current order where it can. Values a subgraph
    /// reads from this graph count as inputs of the node that owns the subgraph. Throws GC1007 naming
    /// the nodes of a cycle.
    [[nodiscard]] std::vector<node_t*> topological_order() const {
        std::unordered_map<const node_t*, std::size_t> pos;
        std::vector<node_t*> order = node_list();
        for (std::size_t i = 0; i < order.size(); ++i) pos[order[i]] = i;
        std::vector<std::vector<std::size_t>> succ(order.size());
        std::vector<std::size_t> indeg(order.size(), 0);
        for (std::size_t i = 0; i < order.size(); ++i)
            for (auto* p : producers_of(*order[i])) {
                auto it = pos.find(p);
                if (it == pos.end()) continue;
                succ[it->second].push_back(i);
                ++indeg[i];
            }
        std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
        for (std::size_t i = 0; i < order.size(); ++i)
            if (indeg[i] == 0) ready.push(i);
        std::vector<node_t*> out;
        out.reserve(order.size());
        while (!ready.empty()) {
            auto i = ready.top();
            ready.pop();
            out.push_back(order[i]);
            for (auto j : succ[i])
                if (--indeg[j] == 0) ready.push(j);
        }
        if (out.size() != order.size()) {
            std::vector<bool> stuck(order.size());
            for (std::size_t i = 0; i < order.size(); ++i) stuck[i] = indeg[i] > 0;
            throw graph_error(errc::cycle, "graph '" + std::string(name_) + "' has a cycle: " + describe_cycle(order, pos, stuck),
                              "Break the cycle: every value must be computed before it is read.");
        }
        return out;
    }
    /// Reorders the node list topologically (see topological_order).
    void sort_topologically() {
        auto order = topological_order();
        std::unordered_map<const node_t*, std::size_t> rank;
        for (std::size_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
        nodes_.sort([&](const auto& a, const auto& b) { return rank[a.get()] < rank[b.get()]; });
    }

    // ---- copies ---------------------------------------------------------------------------------

    /// A deep copy of the structure (subgraphs included). Constant data is shared, not copied.
    [[nodiscard]] std::unique_ptr<basic_graph> clone() const {
        auto g = std::make_unique<basic_graph>(name_);
        g->info_ = info_;
        std::unordered_map<const value_t*, value_t*> map;
        for (const auto& [n, v] : values_) {
            auto* c = g->make_value(n, v->type_);
            c->init_ = v->init_;
            c->is_input_ = v->is_input_;
            c->is_outer_ref_ = v->is_outer_ref_;
            map[v.get()] = c;
        }
        for (auto* v : inputs_) g->inputs_.push_back(map.at(v));
        for (auto* v : initializers_) g->initializers_.push_back(map.at(v));
        for (auto* v : outer_refs_) g->outer_refs_.push_back(map.at(v));
        for (const auto& p : nodes_) {
            std::vector<value_t*> ins, outs;
            for (auto* v : p->inputs_) ins.push_back(v ? map.at(v) : nullptr);
            for (auto* v : p->outputs_) outs.push_back(v ? map.at(v) : nullptr);
            g->emplace(g->nodes_.end(), p->op_type_, std::move(ins), std::move(outs), clone_attrs(p->attrs_), p->name_, p->domain_);
        }
        for (auto* v : outputs_) g->add_output(map.at(v));
        return g;
    }

    /// Copies `nodes` into a new graph: values they read from outside become inputs (initializers stay
    /// initializers and share their data), values used outside the set or as graph outputs become outputs.
    [[nodiscard]] std::unique_ptr<basic_graph> extract(const std::vector<node_t*>& nodes, string_type name = {}) const {
        std::unordered_set<const node_t*> in_set(nodes.begin(), nodes.end());
        for (auto* n : nodes)
            if (n->owner() != this)
                throw graph_error(errc::graph_misuse, "extract: " + n->describe() + " belongs to another graph");
        auto g = std::make_unique<basic_graph>(name.empty() ? name_ + "_sub" : std::move(name));
        g->info_ = info_;
        std::unordered_map<const value_t*, value_t*> map;
        auto import = [&](value_t* v) -> value_t* {
            if (!v) return nullptr;
            if (auto it = map.find(v); it != map.end()) return it->second;
            value_t* c = nullptr;
            if (v->producer_ && in_set.count(v->producer_)) return nullptr;  // defined inside: created with its node
            if (v->init_ && !v->is_input_) c = g->add_initializer(v->name(), *v->init_);
            else if (v->is_outer_ref_) c = g->add_outer_ref(v->name(), v->type_);
            else c = g->add_input(v->name(), v->type_);
            return map[v] = c;
        };
        for (auto* n : topological_order()) {
            if (!in_set.count(n)) continue;
            std::vector<value_t*> ins, outs;
            for (auto* v : n->inputs_) ins.push_back(v ? import(v) : nullptr);
            for (auto* v : n->outputs_) {
                value_t* c = v ? g->make_value(v->name(), v->type_) : nullptr;
                if (v) map[v] = c;
                outs.push_back(c);
            }
            g->emplace(g->nodes_.end(), n->op_type_, std::move(ins), std::move(outs), clone_attrs(n->attrs_), n->name_,
                       n->domain_);
            for (auto* v : n->outputs_) {
                if (!v) continue;
                bool outside = v->is_graph_output();
                for (const auto& u : v->uses_) outside = outside || !in_set.count(u.user);
                if (outside) g->add_output(map.at(v));
            }
        }
        return g;
    }

private:
    value_t* make_value(string_type name, value_type t) {
        if (name.empty()) throw graph_error(errc::graph_misuse, "a value needs a non-empty name");
        if (values_.count(name))
            throw graph_error(errc::duplicate_definition, "value '" + std::string(name) + "' is defined twice in graph '" +
                                                              std::string(name_) + "'",
                              "Give every value a unique name.");
        auto v = std::unique_ptr<value_t>(new value_t(this, name, std::move(t)));
        auto* raw = v.get();
        values_.emplace(std::move(name), std::move(v));
        return raw;
    }

    std::vector<value_t*> fresh_outputs(const string_type& base, std::size_t n) {
        std::vector<value_t*> outs;
        for (std::size_t i = 0; i < n; ++i) outs.push_back(make_value(unique_name(base + "_out" + std::to_string(i)), {}));
        return outs;
    }

    node_t* emplace(typename std::list<std::unique_ptr<node_t>>::iterator pos, string_type op, std::vector<value_t*> inputs,
                    std::vector<value_t*> outputs, attribute_list attrs, string_type name, string_type domain) {
        if (op.empty()) throw graph_error(errc::graph_misuse, "a node needs an op type");
        for (auto* o : outputs) {
            if (!o) continue;
            check_mine(o, "add_node");
            if (o->is_defined())
                throw graph_error(errc::duplicate_definition,
                                  "value '" + std::string(o->name()) + "' is defined twice: as an output of " + std::string(op) +
                                      " '" + std::string(name) + "' and " +
                                      (o->producer_ ? "by " + o->producer_->describe()
                                                    : std::string(o->is_input_ ? "as a graph input" : "as an initializer")),
                                  "Every value must have exactly one definition (SSA).");
        }
        auto n = std::unique_ptr<node_t>(new node_t(this, std::move(op), std::move(domain), std::move(name)));
        auto* raw = n.get();
        for (auto* v : inputs) raw->add_input(v);
        raw->outputs_ = std::move(outputs);
        for (std::size_t i = 0; i < raw->outputs_.size(); ++i)
            if (auto* o = raw->outputs_[i]) {
                o->producer_ = raw;
                o->producer_index_ = i;
            }
        raw->attrs_ = std::move(attrs);
        raw->self_ = nodes_.insert(pos, std::move(n));
        if (!raw->name_.empty()) node_names_.try_emplace(raw->name_, raw);  // ONNX tolerates duplicate node names
        return raw;
    }

    friend node_t;
    void node_renamed(node_t* n, const string_type& old) {
        if (auto it = node_names_.find(old); it != node_names_.end() && it->second == n) node_names_.erase(it);
        if (!n->name_.empty()) node_names_.try_emplace(n->name_, n);
    }

    typename std::list<std::unique_ptr<node_t>>::iterator position_of(node_t* n) {
        if (!n || n->owner_ != this)
            throw graph_error(errc::graph_misuse, "node " + (n ? n->describe() : std::string("<null>")) + " is not in graph '" +
                                                      std::string(name_) + "'");
        return n->self_;
    }

    void check_mine(const value_t* v, const char* what) const {
        if (!v || v->owner_ != this)
            throw graph_error(errc::graph_misuse, std::string(what) + ": value '" + (v ? std::string(v->name()) : std::string("<null>")) +
                                                      "' is not in graph '" + std::string(name_) + "'");
    }

    /// Nodes of this graph that `n` depends on, including through values its subgraphs capture.
    std::vector<node_t*> producers_of(const node_t& n) const {
        std::vector<node_t*> out;
        for (auto* v : n.inputs_)
            if (v && v->producer_) out.push_back(v->producer_);
        for (const auto& [k, a] : n.attrs_) {
            auto visit = [&](const std::shared_ptr<basic_graph>& sg) {
                if (!sg) return;
                for (const auto& name : sg->captured_names())
                    if (auto* v = find_value(name); v && v->producer_) out.push_back(v->producer_);
            };
            if (auto* g = a.template get_if<std::shared_ptr<basic_graph>>()) visit(*g);
            if (auto* gs = a.template get_if<typename Traits::template vector_type<std::shared_ptr<basic_graph>>>())
                for (const auto& sg : *gs) visit(sg);
        }
        return out;
    }

    std::string describe_cycle(const std::vector<node_t*>& order, const std::unordered_map<const node_t*, std::size_t>& pos,
                               const std::vector<bool>& stuck) const {
        // Walk backwards along producers inside the stuck set until a node repeats: that is a cycle.
        // (Every stuck node has a stuck producer, so the walk never ends early.)
        std::size_t cur = 0;
        while (!stuck[cur]) ++cur;
        std::vector<std::size_t> path;
        std::unordered_map<std::size_t, std::size_t> seen;
        while (!seen.count(cur)) {
            seen[cur] = path.size();
            path.push_back(cur);
            for (auto* p : producers_of(*order[cur]))
                if (auto it = pos.find(p); it != pos.end() && stuck[it->second]) {
                    cur = it->second;
                    break;
                }
        }
        // path[i+1] produces an input of path[i]: print in data-flow order, starting and ending at cur.
        std::string s = order[cur]->describe();
        for (std::size_t i = path.size(); i-- > seen[cur];) s += " -> " + order[path[i]]->describe();
        return s;
    }

    static attribute_list clone_attrs(const attribute_list& attrs) {
        attribute_list out = attrs;
        using gptr = std::shared_ptr<basic_graph>;
        for (auto& [k, a] : out) {
            if (auto* g = std::get_if<gptr>(&a.get()); g && *g) *g = gptr((*g)->clone());
            if (auto* gs = std::get_if<typename Traits::template vector_type<gptr>>(&a.get()))
                for (auto& sg : *gs)
                    if (sg) sg = gptr(sg->clone());
        }
        return out;
    }

    string_type name_;
    model_info info_;
    value_map values_;
    std::unordered_map<string_type, node_t*> node_names_;
    node_storage nodes_;
    std::vector<value_t*> inputs_;
    std::vector<value_t*> outputs_;
    std::vector<value_t*> initializers_;
    std::vector<value_t*> outer_refs_;
};

GEARC_END_NAMESPACE
