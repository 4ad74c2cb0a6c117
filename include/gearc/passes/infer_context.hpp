// What a shape rule sees of one node (input types, constants, symbolic shape values) and how it reports outputs.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim_expr.hpp>
#include <gearc/dtype.hpp>
#include <gearc/error.hpp>
#include <gearc/graph.hpp>
#include <gearc/shape.hpp>
#include <gearc/tensor.hpp>
#include <gearc/value_type.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

/// Symbolic element values of small integer tensors (shape arithmetic): value -> its elements, flattened.
template <class Traits>
using shape_value_map = std::unordered_map<const basic_value<Traits>*, std::vector<dim>>;

/// The view a shape rule gets of one node. Rules read inputs and attributes, then call set_output (and,
/// for shape arithmetic, set_output_value) for each output; `fail` reports an inconsistency naming the node.
template <class Traits>
class infer_context {
public:
    using node_t = basic_node<Traits>;
    using value_t = basic_value<Traits>;
    static constexpr std::size_t max_value_elements = 64;  ///< larger int tensors are not tracked as shape values

    infer_context(const node_t& n, std::int64_t opset, const shape_value_map<Traits>& values)
        : node_(n), opset_(opset), values_(values), outputs_(n.num_outputs()), output_values_(n.num_outputs()) {}

    [[nodiscard]] const node_t& node() const noexcept { return node_; }
    [[nodiscard]] std::int64_t opset() const noexcept { return opset_; }

    // ---- inputs ----
    [[nodiscard]] std::size_t num_inputs() const noexcept { return node_.num_inputs(); }
    /// Whether optional input i is given (present and not the empty name).
    [[nodiscard]] bool has_input(std::size_t i) const noexcept {
        auto* v = node_.input(i);
        return v && !v->name().empty();
    }
    [[nodiscard]] const value_t* input(std::size_t i) const noexcept { return has_input(i) ? node_.input(i) : nullptr; }
    [[nodiscard]] const value_type* input_type(std::size_t i) const noexcept {
        auto* v = input(i);
        return v ? &v->type() : nullptr;
    }
    /// The element type of input i (dtype::undefined when absent or unknown).
    [[nodiscard]] dtype input_dtype(std::size_t i) const noexcept {
        auto* t = input_type(i);
        return t && t->is_tensor() ? t->elem : dtype::undefined;
    }
    /// The shape of input i; nullptr when absent or of unknown rank.
    [[nodiscard]] const shape* input_shape(std::size_t i) const noexcept {
        auto* t = input_type(i);
        return t && t->has_shape() ? &*t->dims : nullptr;
    }
    /// The shape of input i, failing with a clear message when it is absent or its rank is unknown.
    [[nodiscard]] const shape& require_shape(std::size_t i) const {
        if (auto* s = input_shape(i)) return *s;
        fail("input " + std::to_string(i) + (has_input(i) ? " ('" + std::string(input(i)->name()) + "') has an unknown rank"
                                                          : " is missing"));
    }
    /// The constant data of input i (an initializer or a Constant node's value); nullptr when computed at run time.
    [[nodiscard]] const tensor* input_const(std::size_t i) const noexcept {
        auto* v = input(i);
        if (!v) return nullptr;
        if (v->initializer()) return &*v->initializer();
        if (const auto* p = v->producer(); p && p->op_type() == "Constant" && (p->domain().empty() || p->domain() == "ai.onnx"))
            if (const auto* a = p->find_attr("value")) return a->template get_if<tensor>();
        return nullptr;
    }
    /// The elements of a small integer input as dims (static, symbolic or unknown), flattened; nullptr when
    /// not known. Constants (int32/int64/bool up to max_value_elements) are covered as well.
    [[nodiscard]] const std::vector<dim>* input_value(std::size_t i) const {
        auto* v = input(i);
        if (!v) return nullptr;
        if (auto it = values_.find(v); it != values_.end()) return &it->second;
        return nullptr;
    }
    /// The elements of input i as integers when every one is known statically.
    [[nodiscard]] std::optional<std::vector<std::int64_t>> input_ints(std::size_t i) const {
        const auto* vals = input_value(i);
        if (!vals) return std::nullopt;
        std::vector<std::int64_t> out;
        out.reserve(vals->size());
        for (const auto& d : *vals) {
            if (!d.is_static()) return std::nullopt;
            out.push_back(d.value());
        }
        return out;
    }
    /// The floating-point elements of a constant input (float/double/float16 not included: float and double).
    [[nodiscard]] std::optional<std::vector<double>> input_floats(std::size_t i) const {
        const tensor* t = input_const(i);
        if (!t) return std::nullopt;
        std::vector<double> out;
        if (t->type() == dtype::float32)
            for (float f : t->view<float>()) out.push_back(f);
        else if (t->type() == dtype::float64)
            for (double f : t->view<double>()) out.push_back(f);
        else if (auto ints = input_ints(i))
            for (auto x : *ints) out.push_back(static_cast<double>(x));
        else
            return std::nullopt;
        return out;
    }

    // ---- attributes ----
    [[nodiscard]] bool has_attr(std::string_view name) const noexcept { return node_.has_attr(name); }
    template <class T>
    [[nodiscard]] T attr(std::string_view name) const {
        return node_.template attr<T>(name);
    }
    template <class T>
    [[nodiscard]] T attr_or(std::string_view name, T fallback) const {
        return node_.template attr_or<T>(name, std::move(fallback));
    }
    /// An INTS attribute, or `fallback` when absent.
    [[nodiscard]] std::vector<std::int64_t> ints_or(std::string_view name, std::vector<std::int64_t> fallback = {}) const {
        return attr_or<std::vector<std::int64_t>>(name, std::move(fallback));
    }

    // ---- outputs ----
    [[nodiscard]] std::size_t num_outputs() const noexcept { return node_.num_outputs(); }
    /// Whether output i is wanted (present and not the empty name).
    [[nodiscard]] bool has_output(std::size_t i) const noexcept {
        auto* v = node_.output(i);
        return v && !v->name().empty();
    }
    void set_output(std::size_t i, dtype t, shape s) { set_output_type(i, value_type::tensor_of(t, std::move(s))); }
    void set_output_unknown_rank(std::size_t i, dtype t) { set_output_type(i, value_type::tensor_of(t)); }
    void set_output_type(std::size_t i, value_type t) {
        if (i < outputs_.size()) outputs_[i] = std::move(t);
    }
    /// Records the elements of output i (a small integer tensor used as a shape), flattened.
    void set_output_value(std::size_t i, std::vector<dim> v) {
        if (i < output_values_.size() && v.size() <= max_value_elements) output_values_[i] = std::move(v);
    }
    [[nodiscard]] const std::optional<value_type>& output_type(std::size_t i) const { return outputs_.at(i); }
    [[nodiscard]] const std::optional<std::vector<dim>>& output_value(std::size_t i) const { return output_values_.at(i); }

    /// Reports an inconsistency: GC4002 naming the node, its inputs' types and what is wrong.
    [[noreturn]] void fail(const std::string& what) const {
        std::string ins;
        for (std::size_t i = 0; i < node_.num_inputs(); ++i) {
            if (i) ins += ", ";
            auto* v = input(i);
            ins += v ? "'" + std::string(v->name()) + "' " + v->type().to_string() : std::string("<none>");
        }
        throw compile_error(errc::shape_inference,
                            "shape inference failed at " + node_.describe() + ": " + what + " (inputs: " + ins + ")",
                            "Check the model with onnx.checker and the input shapes given for this gear; the node's inputs "
                            "must have compatible shapes.");
    }

    /// Normalises a possibly negative axis into [0, rank), failing when out of range.
    [[nodiscard]] std::size_t axis(std::int64_t a, std::size_t rank, std::string_view what = "axis") const {
        const auto r = static_cast<std::int64_t>(rank);
        if (a < -r || a >= r)
            fail(std::string(what) + " " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
        return static_cast<std::size_t>(a < 0 ? a + r : a);
    }

private:
    const node_t& node_;
    std::int64_t opset_;
    const shape_value_map<Traits>& values_;
    std::vector<std::optional<value_type>> outputs_;
    std::vector<std::optional<std::vector<dim>>> output_values_;
};

/// A shape rule computes a node's output types (and optionally values) from its inputs.
template <class Traits>
using shape_rule = void (*)(infer_context<Traits>&);

/// Rules by operator: `types` says gearc supports the op; `values` propagates shape arithmetic.
/// Keys are the op type for ai.onnx and "domain:op" for other domains.
template <class Traits>
struct shape_rule_table {
    std::unordered_map<std::string, shape_rule<Traits>> types;
    std::unordered_map<std::string, shape_rule<Traits>> values;

    void add(std::string op, shape_rule<Traits> r) { types[std::move(op)] = r; }
    void add_value(std::string op, shape_rule<Traits> r) { values[std::move(op)] = r; }
    [[nodiscard]] static std::string key(std::string_view domain, std::string_view op) {
        if (domain.empty() || domain == "ai.onnx") return std::string(op);
        return std::string(domain) + ":" + std::string(op);
    }
    [[nodiscard]] shape_rule<Traits> find_type(std::string_view domain, std::string_view op) const {
        auto it = types.find(key(domain, op));
        return it == types.end() ? nullptr : it->second;
    }
    [[nodiscard]] shape_rule<Traits> find_value(std::string_view domain, std::string_view op) const {
        auto it = values.find(key(domain, op));
        return it == values.end() ? nullptr : it->second;
    }
};

/// Numpy-style broadcasting of two shapes; nullopt when two static dims differ and neither is 1.
/// A symbol against 1 gives the symbol; a symbol against a static d > 1 gives d; two different symbols
/// give an unknown dim (they must be equal at run time, or one of them is 1).
[[nodiscard]] inline std::optional<shape> broadcast(const shape& a, const shape& b) {
    const std::size_t r = std::max(a.rank(), b.rank());
    std::vector<dim> out(r);
    for (std::size_t i = 0; i < r; ++i) {
        const dim x = i + a.rank() >= r ? a[i + a.rank() - r] : dim(1);
        const dim y = i + b.rank() >= r ? b[i + b.rank() - r] : dim(1);
        if (x == y) out[i] = x;
        else if (x.is_static() && x.value() == 1) out[i] = y;
        else if (y.is_static() && y.value() == 1) out[i] = x;
        else if (x.is_static() && y.is_static()) return std::nullopt;
        else if (x.is_static()) out[i] = x;
        else if (y.is_static()) out[i] = y;
        else if (x.is_range() && y.is_range()) out[i] = max_dim(x, y);
        else out[i] = dim::unknown();
    }
    return shape(std::move(out));
}

}  // namespace passes

GEARC_END_NAMESPACE
