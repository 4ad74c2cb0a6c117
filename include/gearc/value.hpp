// A value of the graph (an edge): its name, type, producer, use list, and constant data if any.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/gearc_fwd.hpp>
#include <gearc/tensor.hpp>
#include <gearc/value_type.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// A named value. It is defined by exactly one of: a producing node, being a graph input, an
/// initializer (constant data), or (in a subgraph) a reference to an enclosing graph's value.
/// Only basic_graph and basic_node change its links, so the use lists cannot go stale.
template <class Traits>
class basic_value {
public:
    using node_type = basic_node<Traits>;
    using graph_type = basic_graph<Traits>;
    using string_type = typename Traits::string_type;

    /// One use: `user`'s input number `index` reads this value.
    struct use {
        node_type* user;
        std::size_t index;
        friend bool operator==(const use&, const use&) = default;
    };

    basic_value(const basic_value&) = delete;
    basic_value& operator=(const basic_value&) = delete;

    [[nodiscard]] const string_type& name() const noexcept { return name_; }
    [[nodiscard]] const value_type& type() const noexcept { return type_; }
    void set_type(value_type t) { type_ = std::move(t); }
    /// Shorthands for tensor values.
    [[nodiscard]] dtype elem_type() const noexcept { return type_.elem; }
    [[nodiscard]] const std::optional<gearc::shape>& dims() const noexcept { return type_.dims; }

    /// The node that computes this value, or nullptr.
    [[nodiscard]] node_type* producer() const noexcept { return producer_; }
    /// Which output of the producer this is.
    [[nodiscard]] std::size_t producer_index() const noexcept { return producer_index_; }
    [[nodiscard]] const std::vector<use>& uses() const noexcept { return uses_; }
    [[nodiscard]] bool has_uses() const noexcept { return !uses_.empty(); }

    [[nodiscard]] bool is_graph_input() const noexcept { return is_input_; }
    [[nodiscard]] bool is_graph_output() const noexcept { return output_refs_ > 0; }
    /// True for a subgraph's reference to a value of an enclosing graph.
    [[nodiscard]] bool is_outer_ref() const noexcept { return is_outer_ref_; }
    /// Constant data: an initializer (or a graph input's default, as in IR < 4).
    [[nodiscard]] const std::optional<tensor>& initializer() const noexcept { return init_; }
    [[nodiscard]] bool is_initializer() const noexcept { return init_.has_value(); }
    /// True when something defines this value.
    [[nodiscard]] bool is_defined() const noexcept { return producer_ || is_input_ || init_ || is_outer_ref_; }

    [[nodiscard]] graph_type* owner() const noexcept { return owner_; }

private:
    friend graph_type;
    friend node_type;
    basic_value(graph_type* g, string_type name, value_type t) : owner_(g), name_(std::move(name)), type_(std::move(t)) {}

    void remove_use(const use& u) {
        for (auto it = uses_.begin(); it != uses_.end(); ++it)
            if (*it == u) {
                uses_.erase(it);
                return;
            }
    }

    graph_type* owner_;
    string_type name_;
    value_type type_;
    node_type* producer_ = nullptr;
    std::size_t producer_index_ = 0;
    std::vector<use> uses_;
    std::optional<tensor> init_;
    bool is_input_ = false;
    bool is_outer_ref_ = false;
    int output_refs_ = 0;  // how many graph output slots name this value
};

GEARC_END_NAMESPACE
