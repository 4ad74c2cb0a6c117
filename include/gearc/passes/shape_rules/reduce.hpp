// Shape rules for reductions: Reduce* (axes as attribute or input, keepdims, noop_with_empty_axes) and ArgMax/ArgMin.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim.hpp>
#include <gearc/dtype.hpp>
#include <gearc/passes/infer_context.hpp>
#include <gearc/passes/shape_rules/elementwise.hpp>
#include <gearc/shape.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace passes::shape_rules {

namespace reduce {

/// The input with the flagged axes removed, or kept as 1 with keepdims.
[[nodiscard]] inline shape reduced(const shape& x, const std::vector<bool>& along, bool keepdims) {
    std::vector<dim> out;
    for (std::size_t i = 0; i < x.rank(); ++i) {
        if (!along[i]) out.push_back(x[i]);
        else if (keepdims) out.emplace_back(1);
    }
    return shape(std::move(out));
}

/// ReduceSum/Mean/Max/...: axes from input 1 (ReduceSum from opset 13, the others from 18) or the attribute;
/// no axes reduce everything unless noop_with_empty_axes is set.
template <class Traits>
void reduce_op(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 2);
    const dtype t = c.input_dtype(0);
    const bool keepdims = c.template attr_or<std::int64_t>("keepdims", 1) != 0;
    const bool noop = c.template attr_or<std::int64_t>("noop_with_empty_axes", 0) != 0;
    if (c.has_input(1) && c.has_attr("axes")) c.fail("axes is given both as an attribute and as an input");
    std::optional<std::vector<std::int64_t>> axes;
    if (c.has_input(1)) {
        if (const shape* as = c.input_shape(1); as && as->rank() > 1) c.fail("axes must be a 1-D tensor, got shape " + as->to_string());
        axes = c.input_ints(1);
    } else {
        axes = c.ints_or("axes");
    }
    const shape* x = c.input_shape(0);
    if (!x) return c.set_output_unknown_rank(0, t);
    const std::size_t r = x->rank();
    if (!axes) {
        // which axes is known at run time only: with keepdims the rank stays; without, it drops by the number of axes
        if (keepdims) return c.set_output(0, t, support::unknown_dims(r));
        const shape* as = c.input_shape(1);
        if (as && as->rank() == 1 && (*as)[0].is_static() && (*as)[0].value() > 0 && static_cast<std::size_t>((*as)[0].value()) <= r)
            return c.set_output(0, t, support::unknown_dims(r - static_cast<std::size_t>((*as)[0].value())));
        return c.set_output_unknown_rank(0, t);
    }
    std::vector<bool> along(r, axes->empty() && !noop);
    for (auto a : *axes) {
        const std::size_t ax = c.axis(a, r);
        if (along[ax]) c.fail("axis " + std::to_string(a) + " is repeated in axes");
        along[ax] = true;
    }
    c.set_output(0, t, reduced(*x, along, keepdims));
}

/// ArgMax, ArgMin: int64 indices along `axis`, kept as 1 with keepdims.
template <class Traits>
void arg_op(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const bool keepdims = c.template attr_or<std::int64_t>("keepdims", 1) != 0;
    const shape* x = c.input_shape(0);
    if (!x) return c.set_output_unknown_rank(0, dtype::int64);
    std::vector<bool> along(x->rank(), false);
    along[c.axis(c.template attr_or<std::int64_t>("axis", 0), x->rank())] = true;
    c.set_output(0, dtype::int64, reduced(*x, along, keepdims));
}

}  // namespace reduce

template <class Traits>
void add_reduce_rules(shape_rule_table<Traits>& t) {
    for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
                           "ReduceLogSumExp", "ReduceSumSquare"})
        t.add(op, &reduce::reduce_op<Traits>);
    t.add("ArgMax", &reduce::arg_op<Traits>);
    t.add("ArgMin", &reduce::arg_op<Traits>);
}

}  // namespace passes::shape_rules
GEARC_END_NAMESPACE
