// Typed node attributes: scalars, strings, tensors, subgraphs, types, and lists of each.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/gearc_fwd.hpp>
#include <gearc/tensor.hpp>
#include <gearc/value_type.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// One attribute value. Subgraphs (If/Loop/Scan bodies) are held by shared_ptr; cloning a node
/// deep-copies them (see basic_graph::clone).
template <class Traits>
class basic_attribute {
public:
    using graph_type = basic_graph<Traits>;
    using graph_ptr = std::shared_ptr<graph_type>;
    using string_type = typename Traits::string_type;
    template <class T>
    using vector_type = typename Traits::template vector_type<T>;

    enum class kind : std::uint8_t { undefined, f, i, s, t, g, tp, floats, ints, strings, tensors, graphs, type_protos };

    using storage = std::variant<std::monostate, float, std::int64_t, string_type, tensor, graph_ptr, value_type,
                                 vector_type<float>, vector_type<std::int64_t>, vector_type<string_type>,
                                 vector_type<tensor>, vector_type<graph_ptr>, vector_type<value_type>>;

    basic_attribute() = default;
    basic_attribute(float v) : v_(v) {}                              // NOLINT
    basic_attribute(double v) : v_(static_cast<float>(v)) {}         // NOLINT
    basic_attribute(std::int64_t v) : v_(v) {}                       // NOLINT
    basic_attribute(int v) : v_(static_cast<std::int64_t>(v)) {}     // NOLINT
    basic_attribute(string_type v) : v_(std::move(v)) {}             // NOLINT
    basic_attribute(const char* v) : v_(string_type(v)) {}           // NOLINT
    basic_attribute(tensor v) : v_(std::move(v)) {}                  // NOLINT
    basic_attribute(graph_ptr v) : v_(std::move(v)) {}               // NOLINT
    basic_attribute(value_type v) : v_(std::move(v)) {}              // NOLINT
    basic_attribute(vector_type<float> v) : v_(std::move(v)) {}      // NOLINT
    basic_attribute(vector_type<std::int64_t> v) : v_(std::move(v)) {}  // NOLINT
    basic_attribute(vector_type<string_type> v) : v_(std::move(v)) {}   // NOLINT
    basic_attribute(vector_type<tensor> v) : v_(std::move(v)) {}        // NOLINT
    basic_attribute(vector_type<graph_ptr> v) : v_(std::move(v)) {}     // NOLINT
    basic_attribute(vector_type<value_type> v) : v_(std::move(v)) {}    // NOLINT

    [[nodiscard]] kind get_kind() const noexcept { return static_cast<kind>(v_.index()); }
    [[nodiscard]] const storage& get() const noexcept { return v_; }
    [[nodiscard]] storage& get() noexcept { return v_; }

    template <class T>
    [[nodiscard]] bool holds() const noexcept {
        return std::holds_alternative<T>(v_);
    }
    /// The value as T; nullptr when it holds another kind.
    template <class T>
    [[nodiscard]] const T* get_if() const noexcept {
        return std::get_if<T>(&v_);
    }

    /// ONNX's name of the kind: "FLOAT", "INTS", "GRAPH", ...
    [[nodiscard]] static std::string_view kind_name(kind k) noexcept {
        constexpr std::string_view names[] = {"UNDEFINED", "FLOAT",  "INT",     "STRING",  "TENSOR", "GRAPH",      "TYPE_PROTO",
                                              "FLOATS",    "INTS",   "STRINGS", "TENSORS", "GRAPHS", "TYPE_PROTOS"};
        return names[static_cast<std::size_t>(k)];
    }

private:
    storage v_;
};

GEARC_END_NAMESPACE
