// Shape rules: tensor and shape operators (Concat, Split, Slice, Gather*, Scatter*, Reshape, Transpose, Squeeze, ...).
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim_expr.hpp>
#include <gearc/dtype.hpp>
#include <gearc/passes/infer_context.hpp>
#include <gearc/passes/shape_rules/elementwise.hpp>  // support:: checks shared by the rule families
#include <gearc/shape.hpp>
#include <gearc/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace passes::shape_rules {

/// Helpers shared by the tensor-operator rules and the shape-value rules (values.hpp).
namespace tensor_detail {


/// Slice indices at or beyond this magnitude mean "to the end" (exporters write INT32_MAX or INT64_MAX).
inline constexpr std::int64_t huge_index = std::numeric_limits<std::int32_t>::max();

/// Longest shape operand tracked element by element (a rank, so tiny in practice).
inline constexpr std::int64_t max_shape_operand = 4096;

/// The elements of a 1-D shape-like input (Reshape's shape, Expand's shape, Tile's repeats, ...): its known
/// values (static, symbolic or unknown), else as many unknown dims as its static length, else nullopt.
template <class Traits>
[[nodiscard]] std::optional<std::vector<dim>> shape_operand(const infer_context<Traits>& c, std::size_t i) {
    if (const auto* v = c.input_value(i)) return *v;
    const shape* s = c.input_shape(i);
    if (!s) return std::nullopt;
    if (s->rank() == 0) return std::vector<dim>(1, dim::unknown());
    if (s->rank() == 1 && (*s)[0].is_static() && (*s)[0].value() <= max_shape_operand)
        return std::vector<dim>(static_cast<std::size_t>((*s)[0].value()), dim::unknown());
    return std::nullopt;
}

/// An integer list that was an attribute before opset `since` and an input from then on.
struct int_list {
    bool given = false;                                 ///< the attribute or the input is there
    std::optional<std::vector<std::int64_t>> values;    ///< its values when known statically
    std::optional<std::size_t> length;                  ///< its length when known
};
template <class Traits>
[[nodiscard]] int_list attr_or_input(const infer_context<Traits>& c, std::string_view attr, std::size_t input, std::int64_t since) {
    int_list out;
    auto from_input = [&] {
        out.given = true;
        out.values = c.input_ints(input);
        if (out.values) out.length = out.values->size();
        else if (auto ops = shape_operand(c, input)) out.length = ops->size();
    };
    auto from_attr = [&] {
        out.given = true;
        out.values = c.ints_or(attr);
        out.length = out.values->size();
    };
    // the opset decides; a model that uses the other form anyway is still read
    if (c.opset() >= since && c.has_input(input)) from_input();
    else if (c.has_attr(attr)) from_attr();
    else if (c.has_input(input)) from_input();
    return out;
}

/// Normalised start and length of ONNX Slice over a static size `d` (negative indices count from the end,
/// out-of-range indices are clamped; a negative step walks backwards).
struct slice_span {
    std::int64_t start = 0;
    std::int64_t length = 0;
};
[[nodiscard]] inline slice_span slice_static(std::int64_t d, std::int64_t start, std::int64_t end, std::int64_t step) {
    if (d <= 0) return {0, 0};
    if (start < 0) start = start < -d ? (step > 0 ? 0 : -1) : start + d;
    if (end < 0) end = end < -d ? -1 : end + d;
    if (step > 0) {
        start = std::clamp<std::int64_t>(start, 0, d);
        end = std::clamp<std::int64_t>(end, 0, d);
    } else {
        start = std::clamp<std::int64_t>(start, 0, d - 1);
        end = std::clamp<std::int64_t>(end, -1, d - 1);
    }
    const std::int64_t span = step > 0 ? end - start : start - end;
    const std::int64_t mag = step > 0 ? step : -step;
    const std::int64_t len = span <= 0 ? 0 : (span + mag - 1) / mag;
    return {start, len};
}

/// A slice bound on a dimension whose size is not static: the position it stands for, assuming it lies inside
/// the dimension (the usual case: x[:, 1:], x[:, :-1], x[:, -1:], pos[:T]). Huge values clamp to the ends.
[[nodiscard]] inline dim slice_bound(const dim& d, const dim& v, bool is_start, std::int64_t step) {
    if (!v.is_static()) return v;  // a symbolic bound comes from shape arithmetic: a position >= 0
    const std::int64_t x = v.value();
    if (x >= huge_index) return step > 0 ? d : d - dim(1);
    if (x <= -huge_index) return step > 0 ? dim(0) : (is_start ? dim(0) : dim(-1));
    if (x < 0) return d + dim(x);
    return dim(x);
}

/// The length of slicing `d` by start/end/step (step static and non-zero).
[[nodiscard]] inline dim slice_length(const dim& d, const dim& start, const dim& end, std::int64_t step) {
    if (start.is_unknown() || end.is_unknown() || start.is_range() || end.is_range()) return dim::unknown();
    if (d.is_static() && start.is_static() && end.is_static())
        return dim(slice_static(d.value(), start.value(), end.value(), step).length);
    if (d.is_range() && start.is_static() && end.is_static()) {
        // exact over the interval when it is small enough to walk
        if (d.hi() < 0 || d.hi() - d.lo() > max_shape_operand) return dim::unknown();
        std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = 0;
        for (std::int64_t n = std::max<std::int64_t>(d.lo(), 0); n <= d.hi(); ++n) {
            const auto len = slice_static(n, start.value(), end.value(), step).length;
            lo = std::min(lo, len);
            hi = std::max(hi, len);
        }
        return lo == hi ? dim(lo) : dim::range(lo, hi);
    }
    if (d.is_range() || (d.is_unknown() && !(start.is_static() && end.is_static()))) return dim::unknown();
    const dim s = slice_bound(d, start, true, step);
    const dim e = slice_bound(d, end, false, step);
    const dim len = step > 0 ? ceil_div(e - s, dim(step)) : ceil_div(s - e, dim(-step));
    if (len.is_static() && len.value() < 0) return dim(0);
    return len;
}

/// Output index -> input index of numpy broadcasting of static `in` to static `out` (right-aligned).
[[nodiscard]] inline std::size_t broadcast_source(const std::vector<std::int64_t>& out, const std::vector<std::int64_t>& in,
                                                  std::size_t flat) {
    std::size_t src = 0, stride = 1;
    for (std::size_t k = 0; k < out.size(); ++k) {
        const std::size_t axis = out.size() - 1 - k;
        const auto extent = static_cast<std::size_t>(out[axis]);
        const std::size_t idx = extent ? flat % extent : 0;
        flat = extent ? flat / extent : 0;
        if (k < in.size()) {
            const auto in_extent = static_cast<std::size_t>(in[in.size() - 1 - k]);
            if (in_extent != 1) src += idx * stride;
            stride *= in_extent;
        }
    }
    return src;
}

/// The attribute `name`, failing (GC4002) when the node lacks it.
template <class T, class Traits>
[[nodiscard]] T required_attr(const infer_context<Traits>& c, std::string_view name) {
    if (!c.has_attr(name)) c.fail("the " + std::string(name) + " attribute is required");
    return c.template attr<T>(name);
}

/// The rank-r axes list (negatives normalised), failing on out-of-range or repeated axes.
template <class Traits>
[[nodiscard]] std::vector<std::size_t> normalise_axes(const infer_context<Traits>& c, const std::vector<std::int64_t>& axes,
                                                      std::size_t rank, std::string_view what = "axis") {
    std::vector<std::size_t> out;
    out.reserve(axes.size());
    for (auto a : axes) {
        auto ax = c.axis(a, rank, what);
        if (std::find(out.begin(), out.end(), ax) != out.end()) c.fail(std::string(what) + " " + std::to_string(a) + " is repeated");
        out.push_back(ax);
    }
    return out;
}

/// A scalar input as a number: a constant (any numeric type) or a statically known shape value.
template <class Traits>
[[nodiscard]] std::optional<double> scalar_number(const infer_context<Traits>& c, std::size_t i) {
    if (auto f = c.input_floats(i); f && f->size() == 1) return f->front();
    if (auto v = c.input_ints(i); v && v->size() == 1) return static_cast<double>(v->front());
    return std::nullopt;
}

/// A scalar input as a dim (static or symbolic); unknown when not known.
template <class Traits>
[[nodiscard]] dim scalar_dim(const infer_context<Traits>& c, std::size_t i) {
    if (const auto* v = c.input_value(i); v && v->size() == 1) return v->front();
    if (auto f = scalar_number(c, i); f && std::floor(*f) == *f) return dim(static_cast<std::int64_t>(*f));
    return dim::unknown();
}

}  // namespace tensor_detail

/// The type rules of the tensor operators, one function per operator.
namespace tensor_ops {

using tensor_detail::shape_operand;
using support::unknown_dims;

template <class Traits>
void concat(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, std::size_t(-1));
    dtype t = dtype::undefined;
    for (std::size_t i = 0; i < c.num_inputs() && t == dtype::undefined; ++i) t = c.input_dtype(i);
    const shape* first = nullptr;
    std::size_t first_index = 0;
    for (; first_index < c.num_inputs() && !first; ++first_index) first = c.input_shape(first_index);
    if (!first) return c.set_output_unknown_rank(0, t);
    --first_index;
    const std::size_t rank = first->rank();
    if (rank == 0) c.fail("Concat of scalars (inputs must have rank >= 1)");
    const std::size_t axis = c.axis(tensor_detail::required_attr<std::int64_t>(c, "axis"), rank);
    std::vector<dim> out(rank, dim::unknown());
    bool first_known = true;
    dim total(0);
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
        const shape* s = c.input_shape(i);
        if (!s) {
            total = dim::unknown();
            continue;
        }
        if (s->rank() != rank)
            c.fail("input " + std::to_string(i) + " has rank " + std::to_string(s->rank()) + " but input " +
                   std::to_string(first_index) + " has rank " + std::to_string(rank) + " (all Concat inputs need the same rank)");
        for (std::size_t k = 0; k < rank; ++k) {
            if (k == axis) continue;
            if (first_known) {
                out[k] = (*s)[k];
            } else if (support::may_equal(out[k], (*s)[k])) {
                out[k] = support::merge_equal(out[k], (*s)[k]);
            } else {
                c.fail("input " + std::to_string(i) + " has size " + (*s)[k].to_string() + " on axis " + std::to_string(k) +
                       " but an earlier input has " + out[k].to_string() + " (only the Concat axis " + std::to_string(axis) +
                       " may differ)");
            }
        }
        first_known = false;
        total = total + (*s)[axis];
    }
    out[axis] = total;
    c.set_output(0, t, shape(std::move(out)));
}

template <class Traits>
void split(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 2);
    const dtype t = c.input_dtype(0);
    const std::size_t n = c.num_outputs();
    if (n == 0) c.fail("Split has no outputs");
    const shape* in = c.input_shape(0);
    if (!in) {
        for (std::size_t i = 0; i < n; ++i) c.set_output_unknown_rank(i, t);
        return;
    }
    const std::size_t axis = c.axis(c.attr_or("axis", std::int64_t{0}), in->rank());
    const dim d = (*in)[axis];
    std::vector<dim> sizes(n, dim::unknown());
    // the sizes: an attribute before opset 13, an input (maybe symbolic) from then on
    std::optional<std::vector<dim>> given;
    if (c.has_input(1) && (c.opset() >= 13 || !c.has_attr("split"))) {
        given = shape_operand(c, 1);
        if (!given) given = std::vector<dim>(n, dim::unknown());
    } else if (c.has_attr("split")) {
        given.emplace();
        for (auto v : c.ints_or("split")) given->emplace_back(v);
    }
    if (given) {
        if (given->size() != n)
            c.fail("split has " + std::to_string(given->size()) + " sizes for " + std::to_string(n) + " outputs");
        sizes = std::move(*given);
        dim sum(0);
        for (const auto& s : sizes) {
            if (s.is_static() && s.value() < 0) c.fail("split size " + std::to_string(s.value()) + " is negative");
            sum = sum + s;
        }
        if (sum.is_static() && d.is_static() && sum.value() != d.value())
            c.fail("split sizes add up to " + std::to_string(sum.value()) + " but axis " + std::to_string(axis) + " has size " +
                   std::to_string(d.value()));
    } else {
        if (c.has_attr("num_outputs") && c.template attr<std::int64_t>("num_outputs") != static_cast<std::int64_t>(n))
            c.fail("num_outputs is " + std::to_string(c.template attr<std::int64_t>("num_outputs")) + " but the node has " +
                   std::to_string(n) + " outputs");
        const auto parts_n = static_cast<std::int64_t>(n);
        if (c.opset() >= 18) {
            // opset 18: chunks of ceil(d/n), the last one smaller when d does not divide
            const dim chunk = ceil_div(d, dim(parts_n));
            for (std::size_t i = 0; i + 1 < n; ++i) sizes[i] = chunk;
            sizes[n - 1] = d - chunk * dim(parts_n - 1);
            if (sizes[n - 1].is_static() && sizes[n - 1].value() < 0)
                c.fail("axis " + std::to_string(axis) + " of size " + d.to_string() + " does not split into " + std::to_string(n) +
                       " parts of " + chunk.to_string());
        } else {
            if (d.is_static() && d.value() % parts_n != 0)
                c.fail("axis " + std::to_string(axis) + " of size " + std::to_string(d.value()) + " does not split into " +
                       std::to_string(n) + " equal parts");
            for (auto& s : sizes) s = floor_div(d, dim(parts_n));
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        shape s = *in;
        s[axis] = sizes[i];
        c.set_output(i, t, std::move(s));
    }
}

template <class Traits>
void slice(infer_context<Traits>& c) {
    const bool attr_form = c.has_attr("starts") && !c.has_input(1);  // Slice-1 (before opset 10): attributes
    if (attr_form) support::expect_inputs(c, 1, 1);
    else support::expect_inputs(c, 3, 5);
    const dtype t = c.input_dtype(0);
    const shape* in = c.input_shape(0);
    if (!in) return c.set_output_unknown_rank(0, t);
    const std::size_t rank = in->rank();
    std::vector<dim> starts, ends;
    std::optional<std::vector<std::int64_t>> axes, steps;
    if (attr_form) {
        for (auto v : c.ints_or("starts")) starts.emplace_back(v);
        for (auto v : c.ints_or("ends")) ends.emplace_back(v);
        if (c.has_attr("axes")) axes = c.ints_or("axes");
    } else {
        auto s = shape_operand(c, 1), e = shape_operand(c, 2);
        if (!s || !e) return c.set_output(0, t, unknown_dims(rank));
        starts = std::move(*s);
        ends = std::move(*e);
        if (c.has_input(3)) {
            axes = c.input_ints(3);
            if (!axes) return c.set_output(0, t, unknown_dims(rank));
        }
        if (c.has_input(4)) {
            steps = c.input_ints(4);
            if (!steps) {
                // the sliced axes are known, their lengths not
                shape out = *in;
                if (!axes)
                    for (std::size_t k = 0; k < starts.size() && k < rank; ++k) out[k] = dim::unknown();
                else
                    for (auto ax : tensor_detail::normalise_axes(c, *axes, rank)) out[ax] = dim::unknown();
                return c.set_output(0, t, std::move(out));
            }
        }
    }
    if (starts.size() != ends.size())
        c.fail("starts has " + std::to_string(starts.size()) + " values but ends has " + std::to_string(ends.size()));
    if (!axes) {
        axes.emplace();
        for (std::size_t k = 0; k < starts.size(); ++k) axes->push_back(static_cast<std::int64_t>(k));
    }
    if (axes->size() != starts.size())
        c.fail("axes has " + std::to_string(axes->size()) + " values but starts has " + std::to_string(starts.size()));
    if (steps && steps->size() != starts.size())
        c.fail("steps has " + std::to_string(steps->size()) + " values but starts has " + std::to_string(starts.size()));
    const auto ax = tensor_detail::normalise_axes(c, *axes, rank);
    shape out = *in;
    for (std::size_t k = 0; k < ax.size(); ++k) {
        const std::int64_t step = steps ? (*steps)[k] : 1;
        if (step == 0) c.fail("step on axis " + std::to_string(ax[k]) + " is 0");
        out[ax[k]] = tensor_detail::slice_length((*in)[ax[k]], starts[k], ends[k], step);
    }
    c.set_output(0, t, std::move(out));
}

template <class Traits>
void gather(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    const dtype t = c.input_dtype(0);
    const shape* data = c.input_shape(0);
    const shape* idx = c.input_shape(1);
    if (!data || !idx) return c.set_output_unknown_rank(0, t);
    if (data->rank() == 0) c.fail("Gather of a scalar (data must have rank >= 1)");
    const std::size_t axis = c.axis(c.attr_or("axis", std::int64_t{0}), data->rank());
    const dim d = (*data)[axis];
    if (auto ids = c.input_ints(1); ids && d.is_static())
        for (auto i : *ids)
            if (i < -d.value() || i >= d.value())
                c.fail("index " + std::to_string(i) + " is out of range for axis " + std::to_string(axis) + " of size " +
                       std::to_string(d.value()));
    std::vector<dim> out(data->dims().begin(), data->dims().begin() + static_cast<std::ptrdiff_t>(axis));
    out.insert(out.end(), idx->dims().begin(), idx->dims().end());
    out.insert(out.end(), data->dims().begin() + static_cast<std::ptrdiff_t>(axis) + 1, data->dims().end());
    c.set_output(0, t, shape(std::move(out)));
}

template <class Traits>
void gather_elements(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    const dtype t = c.input_dtype(0);
    const shape* data = c.input_shape(0);
    const shape* idx = c.input_shape(1);
    if (!idx) return c.set_output_unknown_rank(0, t);
    if (data) {
        if (data->rank() != idx->rank())
            c.fail("indices have rank " + std::to_string(idx->rank()) + " but data has rank " + std::to_string(data->rank()));
        if (data->rank() == 0) c.fail("GatherElements of a scalar");
        (void)c.axis(c.attr_or("axis", std::int64_t{0}), data->rank());
    }
    c.set_output(0, t, *idx);
}

template <class Traits>
void gather_nd(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    const dtype t = c.input_dtype(0);
    const shape* data = c.input_shape(0);
    const shape* idx = c.input_shape(1);
    if (!data || !idx) return c.set_output_unknown_rank(0, t);
    const auto b = static_cast<std::size_t>(c.attr_or("batch_dims", std::int64_t{0}));
    if (idx->rank() == 0) c.fail("indices must have rank >= 1");
    if (b >= std::min(data->rank(), idx->rank()))
        c.fail("batch_dims " + std::to_string(b) + " must be smaller than the ranks of data and indices");
    const dim k = (*idx)[idx->rank() - 1];
    if (!k.is_static()) return c.set_output_unknown_rank(0, t);
    if (k.value() < 1 || static_cast<std::size_t>(k.value()) + b > data->rank())
        c.fail("indices' last dimension " + std::to_string(k.value()) + " does not fit data of rank " +
               std::to_string(data->rank()) + " with batch_dims " + std::to_string(b));
    std::vector<dim> out(idx->dims().begin(), idx->dims().end() - 1);
    out.insert(out.end(), data->dims().begin() + static_cast<std::ptrdiff_t>(b + static_cast<std::size_t>(k.value())),
               data->dims().end());
    c.set_output(0, t, shape(std::move(out)));
}

/// ScatterElements, ScatterND, Scatter: the output is the data.
template <class Traits>
void scatter(infer_context<Traits>& c) {
    support::expect_inputs(c, 3, 3);
    const dtype t = c.input_dtype(0);
    if (const shape* s = c.input_shape(0)) c.set_output(0, t, *s);
    else c.set_output_unknown_rank(0, t);
}

template <class Traits>
void reshape(infer_context<Traits>& c) {
    if (c.has_attr("shape") && !c.has_input(1)) support::expect_inputs(c, 1, 1);  // Reshape-1: an attribute
    else support::expect_inputs(c, 2, 2);
    const dtype t = c.input_dtype(0);
    const shape* in = c.input_shape(0);
    std::optional<std::vector<dim>> target;
    if (c.has_input(1)) target = shape_operand(c, 1);
    else if (c.has_attr("shape")) {  // Reshape-1
        target.emplace();
        for (auto v : c.ints_or("shape")) target->emplace_back(v);
    }
    if (!target) return c.set_output_unknown_rank(0, t);
    const bool allowzero = c.attr_or("allowzero", std::int64_t{0}) != 0;
    std::vector<dim> out = *target;
    std::optional<std::size_t> infer;
    std::vector<bool> copied(out.size(), false);  // a 0 that stands for the input's dim at the same position
    for (std::size_t i = 0; i < out.size(); ++i) {
        dim& e = out[i];
        if (!e.is_static()) continue;
        if (e.value() == -1) {
            if (infer) c.fail("the shape " + shape(*target).to_string() + " has more than one -1");
            infer = i;
        } else if (e.value() == 0 && !allowzero) {
            if (!in) e = dim::unknown();
            else if (i >= in->rank())
                c.fail("shape element " + std::to_string(i) + " is 0 (copy) but the input " + in->to_string() + " has only " +
                       std::to_string(in->rank()) + " dims");
            else {
                e = (*in)[i];
                copied[i] = true;
            }
        } else if (e.value() < -1) {
            c.fail("the shape " + shape(*target).to_string() + " has the invalid element " + std::to_string(e.value()));
        }
    }
    if (allowzero && infer)
        for (const auto& e : out)
            if (e.is_static() && e.value() == 0) c.fail("allowzero with both 0 and -1 in the shape " + shape(*target).to_string());
    if (!in) {
        if (infer) out[*infer] = dim::unknown();
        return c.set_output(0, t, shape(std::move(out)));
    }
    const dim total = product(in->dims());
    auto describe_in = [&] {
        return in->to_string() + (total.is_static() ? " (" + std::to_string(total.value()) + " elements)" : std::string());
    };
    if (infer) {
        dim known(1);
        for (std::size_t i = 0; i < out.size(); ++i)
            if (i != *infer) known = known * out[i];
        if (total.is_static() && known.is_static()) {
            if (known.value() == 0 || total.value() % known.value() != 0)
                c.fail("cannot reshape " + describe_in() + " into " + shape(*target).to_string());
            out[*infer] = dim(total.value() / known.value());
        } else if (known.is_static() && known.value() == 0) {
            c.fail("cannot reshape " + describe_in() + " into " + shape(*target).to_string() + " (-1 next to a 0 dim)");
        } else {
            // cancel the dims both sides share ([B,T,E] -> [B,T,12,-1] gives E/12, not B*E*T/(12*B*T)): copied
            // positions (even unknown dims), then equal symbols and values (two equal ranges may differ at run time)
            std::vector<bool> used(in->rank(), false);
            for (std::size_t i = 0; i < out.size(); ++i)
                if (copied[i]) used[i] = true;
            std::vector<dim> den;
            for (std::size_t i = 0; i < out.size(); ++i) {
                if (i == *infer || copied[i]) continue;
                bool cancelled = false;
                if (out[i].is_symbol() || out[i].is_static())
                    for (std::size_t j = 0; j < in->rank() && !cancelled; ++j)
                        if (!used[j] && (*in)[j] == out[i]) cancelled = used[j] = true;
                if (!cancelled) den.push_back(out[i]);
            }
            std::vector<dim> num;
            for (std::size_t j = 0; j < in->rank(); ++j)
                if (!used[j]) num.push_back((*in)[j]);
            out[*infer] = floor_div(product(num), product(den));
        }
    } else {
        const dim got = product(out);
        if (total.is_static() && got.is_static() && total.value() != got.value())
            c.fail("cannot reshape " + describe_in() + " into " + shape(out).to_string() + " (" + std::to_string(got.value()) +
                   " elements)");
    }
    c.set_output(0, t, shape(std::move(out)));
}

template <class Traits>
void flatten(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const dtype t = c.input_dtype(0);
    const shape* in = c.input_shape(0);
    if (!in) return c.set_output(0, t, unknown_dims(2));
    const auto r = static_cast<std::int64_t>(in->rank());
    std::int64_t axis = c.attr_or("axis", std::int64_t{1});
    if (axis < -r || axis > r) c.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
    if (axis < 0) axis += r;
    const auto a = static_cast<std::size_t>(axis);
    c.set_output(0, t, shape{product(in->dims(), 0, a), product(in->dims(), a)});
}

template <class Traits>
void transpose(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const dtype t = c.input_dtype(0);
    const shape* in = c.input_shape(0);
    auto perm = c.ints_or("perm");
    if (!in) {
        if (c.has_attr("perm")) return c.set_output(0, t, unknown_dims(perm.size()));
        return c.set_output_unknown_rank(0, t);
    }
    const std::size_t r = in->rank();
    if (!c.has_attr("perm"))
        for (std::size_t i = 0; i < r; ++i) perm.push_back(static_cast<std::int64_t>(r - 1 - i));
    if (perm.size() != r)
        c.fail("perm has " + std::to_string(perm.size()) + " entries for an input of rank " + std::to_string(r));
    const auto axes = tensor_detail::normalise_axes(c, perm, r, "perm entry");
    std::vector<dim> out;
    out.reserve(r);
    for (auto a : axes) out.push_back((*in)[a]);
    c.set_output(0, t, shape(std::move(out)));
}

template <class Traits>
void squeeze(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 2);
    const dtype t = c.input_dtype(0);
    const shape* in = c.input_shape(0);
    const auto axes = tensor_detail::attr_or_input(c, "axes", 1, 13);
    if (!in) return c.set_output_unknown_rank(0, t);
    if (axes.given && !axes.values) {
        if (!axes.length || *axes.length > in->rank()) return c.set_output_unknown_rank(0, t);
        // the squeezed dims are 1s: when the input has exactly that many dims that can be 1, all static, they are the ones
        std::size_t ones = 0;
        bool only_static = true;
        for (const auto& d : *in)
            if (!d.is_static() || d.value() == 1) {
                ++ones;
                only_static = only_static && d.is_static();
            }
        if (ones != *axes.length || !only_static) return c.set_output(0, t, unknown_dims(in->rank() - *axes.length));
        std::vector<dim> out;
        for (const auto& d : *in)
            if (d.value() != 1) out.push_back(d);
        return c.set_output(0, t, shape(std::move(out)));
    }
    std::vector<dim> out;
    if (!axes.given || axes.values->empty()) {
        // every dim of size 1; a dynamic dim might be 1, so the rank is only known when all are static
        for (const auto& d : *in) {
            if (!d.is_static()) return c.set_output_unknown_rank(0, t);
            if (d.value() != 1) out.push_back(d);
        }
        return c.set_output(0, t, shape(std::move(out)));
    }
    const auto ax = tensor_detail::normalise_axes(c, *axes.values, in->rank());
    for (std::size_t i = 0; i < in->rank(); ++i) {
        if (std::find(ax.begin(), ax.end(), i) == ax.end()) {
            out.push_back((*in)[i]);
        } else if ((*in)[i].is_static() && (*in)[i].value() != 1) {
            c.fail("cannot squeeze axis " + std::to_string(i) + " of size " + std::to_string((*in)[i].value()));
        }
    }
    c.set_output(0, t, shape(std::move(out)));
}

template <class Traits>
void unsqueeze(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 2);
    const dtype t = c.input_dtype(0);
    const shape* in = c.input_shape(0);
    const auto axes = tensor_detail::attr_or_input(c, "axes", 1, 13);
    if (!axes.given) c.fail("axes are missing");
    if (!in) return c.set_output_unknown_rank(0, t);
    if (!axes.values) {
        if (axes.length) return c.set_output(0, t, unknown_dims(in->rank() + *axes.length));
        return c.set_output_unknown_rank(0, t);
    }
    const std::size_t r = in->rank() + axes.values->size();
    const auto ax = tensor_detail::normalise_axes(c, *axes.values, r);
    std::vector<dim> out;
    out.reserve(r);
    std::size_t next = 0;
    for (std::size_t i = 0; i < r; ++i) {
        if (std::find(ax.begin(), ax.end(), i) != ax.end()) out.emplace_back(1);
        else out.push_back((*in)[next++]);
    }
    c.set_output(0, t, shape(std::move(out)));
}

template <class Traits>
void shape_of(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const shape* in = c.input_shape(0);
    if (!in) return c.set_output(0, dtype::int64, shape{dim::unknown()});
    const auto r = static_cast<std::int64_t>(in->rank());
    auto clampi = [&](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + r : v, 0, r); };
    const std::int64_t start = clampi(c.attr_or("start", std::int64_t{0}));
    const std::int64_t end = clampi(c.attr_or("end", r));
    c.set_output(0, dtype::int64, shape{dim(std::max<std::int64_t>(end - start, 0))});
}

template <class Traits>
void size_op(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    c.set_output(0, dtype::int64, shape{});
}

/// The dtype named by an ONNX type-code attribute, failing on an unknown code.
template <class Traits>
[[nodiscard]] dtype dtype_attr(const infer_context<Traits>& c, std::string_view name) {
    const auto code = tensor_detail::required_attr<std::int64_t>(c, name);
    auto t = gearc::dtype_from_onnx_code(code);
    if (!t) c.fail(std::string(name) + " = " + std::to_string(code) + " is no ONNX element type");
    return *t;
}

template <class Traits>
void cast(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const dtype t = dtype_attr(c, "to");
    if (const shape* s = c.input_shape(0)) c.set_output(0, t, *s);
    else c.set_output_unknown_rank(0, t);
}

template <class Traits>
void cast_like(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    const dtype t = c.input_dtype(1);
    if (const shape* s = c.input_shape(0)) c.set_output(0, t, *s);
    else c.set_output_unknown_rank(0, t);
}

template <class Traits>
void constant(infer_context<Traits>& c) {
    support::expect_inputs(c, 0, 0);
    if (c.has_attr("value")) {
        const auto v = c.template attr<tensor>("value");
        return c.set_output(0, v.type(), v.get_shape());
    }
    if (c.has_attr("value_float")) return c.set_output(0, dtype::float32, shape{});
    if (c.has_attr("value_int")) return c.set_output(0, dtype::int64, shape{});
    if (c.has_attr("value_string")) return c.set_output(0, dtype::string, shape{});
    // lists: a 1-D tensor of their length
    auto list = [&](std::string_view name, dtype t, auto* tag) {
        using list_type = typename Traits::template vector_type<std::remove_pointer_t<decltype(tag)>>;
        const auto* a = c.node().find_attr(name);
        const auto* l = a ? a->template get_if<list_type>() : nullptr;
        if (!l) return false;
        c.set_output(0, t, shape{dim(static_cast<std::int64_t>(l->size()))});
        return true;
    };
    if (list("value_floats", dtype::float32, static_cast<float*>(nullptr))) return;
    if (list("value_ints", dtype::int64, static_cast<std::int64_t*>(nullptr))) return;
    if (list("value_strings", dtype::string, static_cast<typename Traits::string_type*>(nullptr))) return;
    if (const auto* a = c.node().find_attr("sparse_value"))
        if (const auto* v = a->template get_if<tensor>()) return c.set_output(0, v->type(), v->get_shape());
    c.fail("Constant has none of the attributes value, value_float(s), value_int(s), value_string(s)");
}

template <class Traits>
void constant_of_shape(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    dtype t = dtype::float32;
    if (c.has_attr("value")) {
        const auto v = c.template attr<tensor>("value");
        if (v.numel() != 1) c.fail("value must hold exactly one element, not " + std::to_string(v.numel()));
        t = v.type();
    }
    auto dims = shape_operand(c, 0);
    if (!dims) return c.set_output_unknown_rank(0, t);
    for (const auto& d : *dims)
        if (d.is_static() && d.value() < 0) c.fail("the shape " + shape(*dims).to_string() + " has a negative dim");
    c.set_output(0, t, shape(std::move(*dims)));
}

template <class Traits>
void expand(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    const dtype t = c.input_dtype(0);
    const shape* in = c.input_shape(0);
    auto dims = shape_operand(c, 1);
    if (!dims) return c.set_output_unknown_rank(0, t);
    if (!in) {
        // each output dim is the larger of the input's and the shape's; only a static shape dim > 1 is certain
        return c.set_output_unknown_rank(0, t);
    }
    auto out = broadcast(*in, shape(*dims));
    if (!out) c.fail("cannot expand " + in->to_string() + " to " + shape(*dims).to_string());
    c.set_output(0, t, std::move(*out));
}

template <class Traits>
void tile(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    const dtype t = c.input_dtype(0);
    const shape* in = c.input_shape(0);
    if (!in) return c.set_output_unknown_rank(0, t);
    auto reps = shape_operand(c, 1);
    if (!reps) return c.set_output(0, t, unknown_dims(in->rank()));
    if (reps->size() != in->rank())
        c.fail("repeats has " + std::to_string(reps->size()) + " values for an input of rank " + std::to_string(in->rank()));
    std::vector<dim> out;
    out.reserve(in->rank());
    for (std::size_t i = 0; i < in->rank(); ++i) {
        if ((*reps)[i].is_static() && (*reps)[i].value() < 0)
            c.fail("repeats has the negative value " + std::to_string((*reps)[i].value()));
        out.push_back((*in)[i] * (*reps)[i]);
    }
    c.set_output(0, t, shape(std::move(out)));
}

template <class Traits>
void range(infer_context<Traits>& c) {
    support::expect_inputs(c, 3, 3);
    const dtype t = c.input_dtype(0);
    for (std::size_t i = 0; i < 3; ++i)
        if (const shape* s = c.input_shape(i); s && !s->empty() && !(s->rank() == 1 && (*s)[0] == dim(1)))
            c.fail("input " + std::to_string(i) + " must be a scalar, not " + s->to_string());
    auto start = tensor_detail::scalar_number(c, 0), limit = tensor_detail::scalar_number(c, 1),
         delta = tensor_detail::scalar_number(c, 2);
    if (delta && *delta == 0) c.fail("delta is 0");
    if (start && limit && delta) {
        const double n = std::ceil((*limit - *start) / *delta);
        return c.set_output(0, t, shape{dim(n > 0 ? static_cast<std::int64_t>(n) : 0)});
    }
    // symbolic: Range(0, T, 1) -> T (assuming the range is not empty)
    const dim s = tensor_detail::scalar_dim(c, 0), l = tensor_detail::scalar_dim(c, 1), d = tensor_detail::scalar_dim(c, 2);
    if (d.is_static() && !s.is_unknown() && !l.is_unknown() && is_integer(t)) {
        const dim len = d.value() > 0 ? ceil_div(l - s, d) : ceil_div(s - l, dim(-d.value()));
        if (!(len.is_static() && len.value() < 0)) return c.set_output(0, t, shape{len});
        return c.set_output(0, t, shape{dim(0)});
    }
    c.set_output(0, t, shape{dim::unknown()});
}

template <class Traits>
void one_hot(infer_context<Traits>& c) {
    support::expect_inputs(c, 3, 3);
    const dtype t = c.input_dtype(2);
    const shape* in = c.input_shape(0);
    if (!in) return c.set_output_unknown_rank(0, t);
    const std::size_t r = in->rank() + 1;
    const std::size_t axis = c.axis(c.attr_or("axis", std::int64_t{-1}), r);
    dim depth = tensor_detail::scalar_dim(c, 1);
    if (depth.is_unknown())
        if (auto f = tensor_detail::scalar_number(c, 1)) depth = dim(static_cast<std::int64_t>(std::floor(*f)));  // float depth
    if (depth.is_static() && depth.value() < 1) c.fail("depth " + std::to_string(depth.value()) + " must be positive");
    std::vector<dim> out = in->dims();
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(axis), depth);
    c.set_output(0, t, shape(std::move(out)));
}

/// Trilu, ReverseSequence: the output is the input.
template <class Traits>
void same_as_input(infer_context<Traits>& c) {
    support::expect_inputs(c, c.node().op_type() == "Trilu" ? 1 : 2, 2);  // Trilu: k optional; ReverseSequence: lengths
    const dtype t = c.input_dtype(0);
    if (const shape* s = c.input_shape(0)) c.set_output(0, t, *s);
    else c.set_output_unknown_rank(0, t);
}

template <class Traits>
void eye_like(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const dtype t = c.has_attr("dtype") ? dtype_attr(c, "dtype") : c.input_dtype(0);
    const shape* in = c.input_shape(0);
    if (!in) return c.set_output(0, t, unknown_dims(2));
    if (in->rank() != 2) c.fail("EyeLike needs a 2-D input, not " + in->to_string());
    c.set_output(0, t, *in);
}

template <class Traits>
void compress(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    const dtype t = c.input_dtype(0);
    const shape* in = c.input_shape(0);
    // the selected count, when the condition is known and covers a static extent
    auto count = [&](const std::optional<dim>& extent) {
        auto cond = c.input_ints(1);
        if (!cond || !extent || !extent->is_static()) return dim::unknown();
        const auto n = std::min<std::size_t>(cond->size(), static_cast<std::size_t>(extent->value()));
        return dim(static_cast<std::int64_t>(std::count_if(cond->begin(), cond->begin() + static_cast<std::ptrdiff_t>(n),
                                                           [](std::int64_t v) { return v != 0; })));
    };
    if (!c.has_attr("axis")) {
        std::optional<dim> numel;
        if (in) numel = product(in->dims());
        return c.set_output(0, t, shape{count(numel)});
    }
    if (!in) return c.set_output_unknown_rank(0, t);
    const std::size_t axis = c.axis(c.template attr<std::int64_t>("axis"), in->rank());
    shape out = *in;
    out[axis] = count((*in)[axis]);
    c.set_output(0, t, std::move(out));
}

}  // namespace tensor_ops

template <class Traits>
void add_tensor_rules(shape_rule_table<Traits>& t) {
    t.add("Concat", &tensor_ops::concat<Traits>);
    t.add("Split", &tensor_ops::split<Traits>);
    t.add("Slice", &tensor_ops::slice<Traits>);
    t.add("Gather", &tensor_ops::gather<Traits>);
    t.add("GatherElements", &tensor_ops::gather_elements<Traits>);
    t.add("GatherND", &tensor_ops::gather_nd<Traits>);
    t.add("ScatterElements", &tensor_ops::scatter<Traits>);
    t.add("ScatterND", &tensor_ops::scatter<Traits>);
    t.add("Scatter", &tensor_ops::scatter<Traits>);
    t.add("Reshape", &tensor_ops::reshape<Traits>);
    t.add("Flatten", &tensor_ops::flatten<Traits>);
    t.add("Transpose", &tensor_ops::transpose<Traits>);
    t.add("Squeeze", &tensor_ops::squeeze<Traits>);
    t.add("Unsqueeze", &tensor_ops::unsqueeze<Traits>);
    t.add("Shape", &tensor_ops::shape_of<Traits>);
    t.add("Size", &tensor_ops::size_op<Traits>);
    t.add("Cast", &tensor_ops::cast<Traits>);
    t.add("CastLike", &tensor_ops::cast_like<Traits>);
    t.add("Constant", &tensor_ops::constant<Traits>);
    t.add("ConstantOfShape", &tensor_ops::constant_of_shape<Traits>);
    t.add("Expand", &tensor_ops::expand<Traits>);
    t.add("Tile", &tensor_ops::tile<Traits>);
    t.add("Range", &tensor_ops::range<Traits>);
    t.add("OneHot", &tensor_ops::one_hot<Traits>);
    t.add("Trilu", &tensor_ops::same_as_input<Traits>);
    t.add("ReverseSequence", &tensor_ops::same_as_input<Traits>);
    t.add("EyeLike", &tensor_ops::eye_like<Traits>);
    t.add("Compress", &tensor_ops::compress<Traits>);
}

}  // namespace passes::shape_rules
GEARC_END_NAMESPACE
