// An operator node: op type and domain, input and output values, typed attributes.
#pragma once

#include <gearc/attribute.hpp>
#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/gearc_fwd.hpp>
#include <gearc/value.hpp>

#include <algorithm>
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// A node. Inputs may be nullptr (an omitted optional input, "" in ONNX); so may outputs.
/// Rewiring goes through set_input/add_input so that use lists stay exact.
template <class Traits>
class basic_node {
public:
    using value_type_ = basic_value<Traits>;
    using graph_type = basic_graph<Traits>;
    using attribute_type = basic_attribute<Traits>;
    using string_type = typename Traits::string_type;
    using attribute_list = std::vector<std::pair<string_type, attribute_type>>;

    basic_node(const basic_node&) = delete;
    basic_node& operator=(const basic_node&) = delete;

    [[nodiscard]] const string_type& op_type() const noexcept { return op_type_; }
    [[nodiscard]] const string_type& domain() const noexcept { return domain_; }
    [[nodiscard]] const string_type& name() const noexcept { return name_; }
    /// Renames the node; the graph's name index follows.
    void set_name(string_type n) {
        string_type old = std::exchange(name_, std::move(n));
        if (owner_) owner_->node_renamed(this, old);
    }
    void set_op_type(string_type op) { op_type_ = std::move(op); }
    void set_domain(string_type d) { domain_ = std::move(d); }
    [[nodiscard]] graph_type* owner() const noexcept { return owner_; }

    /// "Conv 'conv1'" — how errors name a node.
    [[nodiscard]] std::string describe() const {
        return std::string(op_type_) + " '" + std::string(name_.empty() ? string_type("<unnamed>") : name_) + "'";
    }

    // ---- inputs and outputs --------------------------------------------------------------------
    [[nodiscard]] const std::vector<value_type_*>& inputs() const noexcept { return inputs_; }
    [[nodiscard]] const std::vector<value_type_*>& outputs() const noexcept { return outputs_; }
    [[nodiscard]] value_type_* input(std::size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }
    [[nodiscard]] value_type_* output(std::size_t i) const { return i < outputs_.size() ? outputs_[i] : nullptr; }
    [[nodiscard]] std::size_t num_inputs() const noexcept { return inputs_.size(); }
    [[nodiscard]] std::size_t num_outputs() const noexcept { return outputs_.size(); }

    /// Rewires input i (nullptr = omitted), keeping the use lists exact.
    void set_input(std::size_t i, value_type_* v) {
        check_owned(v, "set_input");
        if (i >= inputs_.size())
            throw graph_error(errc::graph_misuse, describe() + ": input index " + std::to_string(i) + " out of range (" +
                                                      std::to_string(inputs_.size()) + " inputs)");
        if (inputs_[i]) inputs_[i]->remove_use({this, i});
        inputs_[i] = v;
        if (v) v->uses_.push_back({this, i});
    }
    /// Appends an input.
    void add_input(value_type_* v) {
        check_owned(v, "add_input");
        inputs_.push_back(v);
        if (v) v->uses_.push_back({this, inputs_.size() - 1});
    }
    /// Drops trailing inputs so that `n` remain.
    void truncate_inputs(std::size_t n) {
        while (inputs_.size() > n) {
            if (inputs_.back()) inputs_.back()->remove_use({this, inputs_.size() - 1});
            inputs_.pop_back();
        }
    }

    // ---- attributes -----------------------------------------------------------------------------
    [[nodiscard]] const attribute_list& attributes() const noexcept { return attrs_; }
    [[nodiscard]] bool has_attr(std::string_view name) const noexcept { return find_attr(name) != nullptr; }
    [[nodiscard]] const attribute_type* find_attr(std::string_view name) const noexcept {
        for (const auto& [k, v] : attrs_)
            if (k == name) return &v;
        return nullptr;
    }
    /// Sets (or replaces) an attribute, keeping the original order.
    void set_attr(string_type name, attribute_type a) {
        for (auto& [k, v] : attrs_)
            if (k == name) {
                v = std::move(a);
                return;
            }
        attrs_.emplace_back(std::move(name), std::move(a));
    }
    void remove_attr(std::string_view name) {
        attrs_.erase(std::remove_if(attrs_.begin(), attrs_.end(), [&](const auto& kv) { return kv.first == name; }),
                     attrs_.end());
    }
    /// The attribute as T, or `fallback` when absent; a present attribute of another kind is an error
    /// naming the node, the attribute and both kinds.
    template <class T>
    [[nodiscard]] T attr_or(std::string_view name, T fallback) const {
        const auto* a = find_attr(name);
        if (!a) return fallback;
        return checked<T>(*a, name);
    }
    /// The attribute as T; a missing one is an error naming the node.
    template <class T>
    [[nodiscard]] T attr(std::string_view name) const {
        const auto* a = find_attr(name);
        if (!a)
            throw graph_error(errc::graph_invariant, describe() + ": required attribute '" + std::string(name) + "' is missing");
        return checked<T>(*a, name);
    }

private:
    friend graph_type;
    basic_node(graph_type* g, string_type op, string_type domain, string_type name)
        : owner_(g), op_type_(std::move(op)), domain_(std::move(domain)), name_(std::move(name)) {}

    template <class T>
    T checked(const attribute_type& a, std::string_view name) const {
        if (const T* p = a.template get_if<T>()) return *p;
        throw graph_error(errc::graph_invariant, describe() + ": attribute '" + std::string(name) + "' is " +
                                                     std::string(attribute_type::kind_name(a.get_kind())) +
                                                     ", not the expected kind");
    }
    void check_owned(const value_type_* v, const char* what) const {
        if (v && v->owner() != owner_)
            throw graph_error(errc::graph_misuse, describe() + ": " + what + " with value '" + std::string(v->name()) +
                                                      "' that belongs to another graph");
    }

    graph_type* owner_;
    string_type op_type_;
    string_type domain_;
    string_type name_;
    std::vector<value_type_*> inputs_;
    std::vector<value_type_*> outputs_;
    attribute_list attrs_;
    typename std::list<std::unique_ptr<basic_node>>::iterator self_;  // position in the owner's list
};

GEARC_END_NAMESPACE
