// Shape rules for elementwise operators (unary, broadcasting binary, Where, Min/Max/Sum/Mean) and checks all rule families share.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim.hpp>
#include <gearc/dtype.hpp>
#include <gearc/passes/infer_context.hpp>
#include <gearc/shape.hpp>
#include <gearc/value_type.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace passes::shape_rules {

/// Checks and shape helpers that every rule family uses.
namespace support {

/// Fails unless the node has between `required` and `max_inputs` inputs with the first `required` present.
template <class Traits>
void expect_inputs(const infer_context<Traits>& c, std::size_t required, std::size_t max_inputs) {
    const std::size_t n = c.num_inputs();
    if (n < required || n > max_inputs) {
        const std::string want =
            required == max_inputs ? std::to_string(required) : std::to_string(required) + " to " + std::to_string(max_inputs);
        c.fail("expects " + want + " input(s), got " + std::to_string(n));
    }
    for (std::size_t i = 0; i < required; ++i)
        if (!c.has_input(i)) c.fail("required input " + std::to_string(i) + " is missing");
}

/// False only when the two dims certainly differ (two static values, or two disjoint ranges).
[[nodiscard]] inline bool may_equal(const dim& a, const dim& b) {
    if (a.is_static() && b.is_static()) return a.value() == b.value();
    const bool ia = a.is_static() || a.is_range(), ib = b.is_static() || b.is_range();
    if (ia && ib) {
        const bool a_below = a.hi() != -1 && a.hi() < b.lo();
        const bool b_below = b.hi() != -1 && b.hi() < a.lo();
        return !a_below && !b_below;
    }
    return true;
}

/// Of two dims that must be equal, the one that says more (static, then symbol, then range).
[[nodiscard]] inline dim merge_equal(const dim& a, const dim& b) {
    if (a.is_static()) return a;
    if (b.is_static()) return b;
    if (a.is_symbol()) return a;
    if (b.is_symbol()) return b;
    if (a.is_range()) return a;
    return b;
}

/// a + b. A negative static b is subtracted instead: interval arithmetic reads a static -1 as an open upper bound.
[[nodiscard]] inline dim add(const dim& a, const dim& b) {
    if (b.is_static() && b.value() < 0) return a - dim(-b.value());
    if (a.is_static() && a.value() < 0) return b - dim(-a.value());
    return a + b;
}

/// A shape of `rank` unknown dims.
[[nodiscard]] inline shape unknown_dims(std::size_t rank) { return shape(std::vector<dim>(rank)); }

/// Output `out` gets input `in`'s shape (unknown rank when that is unknown) with element type `t`.
template <class Traits>
void same_shape(infer_context<Traits>& c, std::size_t out, std::size_t in, dtype t) {
    if (const shape* s = c.input_shape(in)) c.set_output(out, t, *s);
    else c.set_output_unknown_rank(out, t);
}

/// Fails when inputs i and j both have known, different element types.
template <class Traits>
void same_dtype(const infer_context<Traits>& c, std::size_t i, std::size_t j) {
    const dtype a = c.input_dtype(i), b = c.input_dtype(j);
    if (a != dtype::undefined && b != dtype::undefined && a != b)
        c.fail("input " + std::to_string(i) + " is " + std::string(to_string(a)) + " but input " + std::to_string(j) + " is " +
               std::string(to_string(b)) + "; they must have the same element type");
}

/// The multidirectional broadcast of the given (present) inputs; nullopt when one has an unknown rank.
template <class Traits>
[[nodiscard]] std::optional<shape> broadcast_inputs(const infer_context<Traits>& c, const std::vector<std::size_t>& inputs) {
    std::optional<shape> acc;
    for (std::size_t i : inputs) {
        const shape* s = c.input_shape(i);
        if (!s) return std::nullopt;
        if (!acc) {
            acc = *s;
            continue;
        }
        auto b = broadcast(*acc, *s);
        if (!b) c.fail("cannot broadcast " + acc->to_string() + " with " + s->to_string() + " (input " + std::to_string(i) + ")");
        acc = std::move(b);
    }
    return acc;
}

/// Checks that `from` broadcasts unidirectionally to `to` (right-aligned; each dim 1 or equal to the target).
template <class Traits>
void check_unidirectional(const infer_context<Traits>& c, const shape& from, const shape& to, const std::string& what) {
    bool ok = from.rank() <= to.rank();
    for (std::size_t i = 0; ok && i < from.rank(); ++i) {
        const dim& f = from[from.rank() - 1 - i];
        const dim& t = to[to.rank() - 1 - i];
        ok = (f.is_static() && f.value() == 1) || may_equal(f, t);
    }
    if (!ok) c.fail(what + " " + from.to_string() + " does not broadcast to " + to.to_string());
}

}  // namespace support

namespace elementwise {

/// One input, one output of the same type and shape.
template <class Traits>
void unary(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    support::same_shape(c, 0, 0, c.input_dtype(0));
}

/// Identity: any type passes through (sequences and optionals too).
template <class Traits>
void identity(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const value_type* t = c.input_type(0);
    if (t && !t->is_tensor() && t->type_kind != value_type::kind::unknown) return c.set_output_type(0, *t);
    support::same_shape(c, 0, 0, c.input_dtype(0));
}

/// Same shape, bool elements (IsNaN, IsInf).
template <class Traits>
void unary_predicate(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    support::same_shape(c, 0, 0, dtype::boolean);
}

/// Clip: min/max are attributes before opset 11, optional scalar inputs from 11.
template <class Traits>
void clip(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 3);
    for (std::size_t i = 1; i < c.num_inputs(); ++i) {
        if (const shape* s = c.input_shape(i); s && s->numel() && *s->numel() != 1)
            c.fail(std::string(i == 1 ? "min" : "max") + " must be a scalar, got shape " + s->to_string());
        support::same_dtype(c, 0, i);
    }
    support::same_shape(c, 0, 0, c.input_dtype(0));
}

/// PRelu: the slope broadcasts unidirectionally to X; the output has X's shape.
template <class Traits>
void prelu(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    support::same_dtype(c, 0, 1);
    const shape* x = c.input_shape(0);
    if (const shape* slope = c.input_shape(1); x && slope) support::check_unidirectional(c, *slope, *x, "slope");
    support::same_shape(c, 0, 0, c.input_dtype(0));
}

/// Dropout: output like the data; the optional mask has the same shape (bool from opset 10, the data type before).
template <class Traits>
void dropout(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 3);
    const dtype t = c.input_dtype(0);
    support::same_shape(c, 0, 0, t);
    if (c.num_outputs() > 1) support::same_shape(c, 1, 0, c.opset() >= 10 ? dtype::boolean : t);
}

/// Broadcasting binary operator whose output has the inputs' (common) element type.
template <class Traits>
void binary(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    support::same_dtype(c, 0, 1);
    const dtype t = c.input_dtype(0);
    if (auto s = support::broadcast_inputs(c, {0, 1})) c.set_output(0, t, std::move(*s));
    else c.set_output_unknown_rank(0, t);
}

/// Pow: broadcasting; the exponent may have another type, the result has the base's.
template <class Traits>
void pow(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    const dtype t = c.input_dtype(0);
    if (auto s = support::broadcast_inputs(c, {0, 1})) c.set_output(0, t, std::move(*s));
    else c.set_output_unknown_rank(0, t);
}

/// Broadcasting comparison or logical operator: bool output.
template <class Traits>
void compare(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    support::same_dtype(c, 0, 1);
    if (auto s = support::broadcast_inputs(c, {0, 1})) c.set_output(0, dtype::boolean, std::move(*s));
    else c.set_output_unknown_rank(0, dtype::boolean);
}

/// Where(condition, X, Y): three-way broadcast, X's element type.
template <class Traits>
void where(infer_context<Traits>& c) {
    support::expect_inputs(c, 3, 3);
    if (const dtype cond = c.input_dtype(0); cond != dtype::undefined && cond != dtype::boolean)
        c.fail("condition must be bool, got " + std::string(to_string(cond)));
    support::same_dtype(c, 1, 2);
    const dtype t = c.input_dtype(1);
    if (auto s = support::broadcast_inputs(c, {0, 1, 2})) c.set_output(0, t, std::move(*s));
    else c.set_output_unknown_rank(0, t);
}

/// Min, Max, Sum, Mean: one or more inputs broadcast together.
template <class Traits>
void variadic(infer_context<Traits>& c) {
    if (c.num_inputs() == 0) c.fail("expects at least 1 input, got 0");
    std::vector<std::size_t> ins;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
        if (!c.has_input(i)) c.fail("input " + std::to_string(i) + " is missing");
        support::same_dtype(c, 0, i);
        ins.push_back(i);
    }
    const dtype t = c.input_dtype(0);
    if (auto s = support::broadcast_inputs(c, ins)) c.set_output(0, t, std::move(*s));
    else c.set_output_unknown_rank(0, t);
}

}  // namespace elementwise

template <class Traits>
void add_elementwise_rules(shape_rule_table<Traits>& t) {
    for (const char* op : {"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Elu", "Selu", "Celu",
                           "Softplus", "Softsign", "Sqrt", "Reciprocal", "Exp", "Log", "Neg", "Abs", "Floor", "Ceil", "Round",
                           "Sign", "Sin", "Cos", "Not", "ThresholdedRelu", "Mish", "Gelu"})
        t.add(op, &elementwise::unary<Traits>);
    t.add("Identity", &elementwise::identity<Traits>);
    t.add("IsNaN", &elementwise::unary_predicate<Traits>);
    t.add("IsInf", &elementwise::unary_predicate<Traits>);
    t.add("Clip", &elementwise::clip<Traits>);
    t.add("PRelu", &elementwise::prelu<Traits>);
    t.add("Dropout", &elementwise::dropout<Traits>);
    for (const char* op : {"Add", "Sub", "Mul", "Div", "Mod", "BitShift"}) t.add(op, &elementwise::binary<Traits>);
    t.add("Pow", &elementwise::pow<Traits>);
    for (const char* op : {"And", "Or", "Xor", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"})
        t.add(op, &elementwise::compare<Traits>);
    t.add("Where", &elementwise::where<Traits>);
    for (const char* op : {"Min", "Max", "Sum", "Mean"}) t.add(op, &elementwise::variadic<Traits>);
}

}  // namespace passes::shape_rules
GEARC_END_NAMESPACE
