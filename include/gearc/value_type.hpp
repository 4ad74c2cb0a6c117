// The type of a graph value: a tensor (dtype + optional shape), a sequence of, or an optional of, a type.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>
#include <gearc/shape.hpp>

#include <memory>
#include <optional>
#include <string>

GEARC_BEGIN_NAMESPACE

/// What flows along an edge. Almost always a tensor; sequences and optionals exist so that every
/// ONNX model can be read and written back, even where gearc cannot compile it yet.
struct value_type {
    enum class kind : std::uint8_t { unknown, tensor, sequence, optional };

    kind type_kind = kind::unknown;
    dtype elem = dtype::undefined;            ///< tensor element type
    std::optional<gearc::shape> dims;         ///< tensor shape; nullopt = unknown rank
    std::shared_ptr<const value_type> inner;  ///< element of a sequence / optional

    [[nodiscard]] static value_type unknown() { return {}; }
    [[nodiscard]] static value_type tensor_of(dtype t, std::optional<gearc::shape> s = std::nullopt) {
        value_type v;
        v.type_kind = kind::tensor;
        v.elem = t;
        v.dims = std::move(s);
        return v;
    }
    [[nodiscard]] static value_type sequence_of(value_type e) {
        value_type v;
        v.type_kind = kind::sequence;
        v.inner = std::make_shared<const value_type>(std::move(e));
        return v;
    }
    [[nodiscard]] static value_type optional_of(value_type e) {
        value_type v;
        v.type_kind = kind::optional;
        v.inner = std::make_shared<const value_type>(std::move(e));
        return v;
    }

    [[nodiscard]] bool is_tensor() const noexcept { return type_kind == kind::tensor; }
    [[nodiscard]] bool has_shape() const noexcept { return is_tensor() && dims.has_value(); }

    /// "float32[1,3,N,?]", "float32[*]" (unknown rank), "seq<int64[2]>", "opt<...>", "?".
    [[nodiscard]] std::string to_string() const {
        switch (type_kind) {
            case kind::tensor: return std::string(gearc::to_string(elem)) + (dims ? dims->to_string() : std::string("[*]"));
            case kind::sequence: return "seq<" + (inner ? inner->to_string() : std::string("?")) + ">";
            case kind::optional: return "opt<" + (inner ? inner->to_string() : std::string("?")) + ">";
            case kind::unknown: break;
        }
        return "?";
    }

    friend bool operator==(const value_type& a, const value_type& b) {
        if (a.type_kind != b.type_kind || a.elem != b.elem || a.dims != b.dims) return false;
        if (!a.inner || !b.inner) return !a.inner && !b.inner;
        return *a.inner == *b.inner;
    }
};

GEARC_END_NAMESPACE
