// Shape-value rules: the elements of small integer tensors (Shape -> Gather -> Concat -> Reshape) carried symbolically.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim_expr.hpp>
#include <gearc/dtype.hpp>
#include <gearc/passes/infer_context.hpp>
#include <gearc/passes/shape_rules/tensor.hpp>
#include <gearc/shape.hpp>
#include <gearc/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace passes::shape_rules {

/// Helpers of the shape-value rules. A tracked value is a list of dims, one per element (flattened): static,
/// symbolic (an expression of the model's symbols) or unknown. Values of floating-point tensors are tracked only
/// where they are whole numbers (Cast(Shape) to float and back); anything not certain is dim::unknown().
namespace value_detail {

/// A constant tensor's elements as integers: integer and bool types, and floats whose values are whole numbers.
[[nodiscard]] inline std::optional<std::vector<std::int64_t>> tensor_ints(const tensor& t, std::size_t max_elements) {
    if (t.numel() < 0 || static_cast<std::size_t>(t.numel()) > max_elements) return std::nullopt;
    std::vector<std::int64_t> out;
    auto take = [&](auto tag) {
        using T = decltype(tag);
        for (auto x : t.view<T>()) {
            if constexpr (std::is_floating_point_v<T>) {
                if (!std::isfinite(x) || std::floor(x) != x || std::fabs(x) > 9.0e15) return false;
            } else if constexpr (std::is_same_v<T, std::uint64_t>) {
                if (x > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
            }
            out.push_back(static_cast<std::int64_t>(x));
        }
        return true;
    };
    bool ok = false;
    switch (t.type()) {
        case dtype::int64: ok = take(std::int64_t{}); break;
        case dtype::int32: ok = take(std::int32_t{}); break;
        case dtype::int16: ok = take(std::int16_t{}); break;
        case dtype::int8: ok = take(std::int8_t{}); break;
        case dtype::uint8: ok = take(std::uint8_t{}); break;
        case dtype::uint16: ok = take(std::uint16_t{}); break;
        case dtype::uint32: ok = take(std::uint32_t{}); break;
        case dtype::uint64: ok = take(std::uint64_t{}); break;
        case dtype::float32: ok = take(float{}); break;
        case dtype::float64: ok = take(double{}); break;
        case dtype::boolean:
            for (std::size_t i = 0; i < t.nbytes(); ++i) out.push_back(t.data().data()[i] != std::byte{0} ? 1 : 0);
            ok = true;
            break;
        default: break;
    }
    if (!ok) return std::nullopt;
    return out;
}

template <class Traits>
inline constexpr std::size_t max_elements = infer_context<Traits>::max_value_elements;

/// The static sizes of input i when its shape is static.
template <class Traits>
[[nodiscard]] std::optional<std::vector<std::int64_t>> static_sizes(const infer_context<Traits>& c, std::size_t i) {
    const shape* s = c.input_shape(i);
    if (!s || !s->is_static()) return std::nullopt;
    return s->sizes();
}

/// The elements of input i: tracked, else those of a whole-number constant, else unknown elements when its
/// static shape is small; nullopt when not even the count is known.
template <class Traits>
[[nodiscard]] std::optional<std::vector<dim>> elements(const infer_context<Traits>& c, std::size_t i) {
    if (const auto* v = c.input_value(i)) return *v;
    if (const tensor* t = c.input_const(i))
        if (auto ints = tensor_ints(*t, max_elements<Traits>)) return std::vector<dim>(ints->begin(), ints->end());
    const shape* s = c.input_shape(i);
    if (!s) return std::nullopt;
    auto n = s->numel();
    if (!n || *n < 0 || static_cast<std::size_t>(*n) > max_elements<Traits>) return std::nullopt;
    return std::vector<dim>(static_cast<std::size_t>(*n), dim::unknown());
}

/// True when every element is unknown (nothing worth recording).
[[nodiscard]] inline bool all_unknown(const std::vector<dim>& v) {
    return std::all_of(v.begin(), v.end(), [](const dim& d) { return d.is_unknown(); });
}

/// Records output 0 unless it carries no information.
template <class Traits>
void set_value(infer_context<Traits>& c, std::vector<dim> v) {
    if (!v.empty() && all_unknown(v)) return;
    c.set_output_value(0, std::move(v));
}

/// An elementwise op over inputs [first, first + count) with numpy broadcasting, `f` mapping one element of each
/// input to the result. Needs static shapes, or (when a shape is not known) vectors of equal length or length 1.
template <class Traits, class F>
void broadcast_elements(infer_context<Traits>& c, std::size_t first, std::size_t count, F f) {
    std::vector<std::vector<dim>> ins;
    std::vector<std::optional<std::vector<std::int64_t>>> sizes;
    bool any_tracked = false, all_static_shapes = true;
    for (std::size_t i = first; i < first + count; ++i) {
        auto e = elements(c, i);
        if (!e) return;
        any_tracked = any_tracked || !all_unknown(*e) || e->empty();
        auto s = static_sizes(c, i);
        if (s) {
            std::int64_t n = 1;
            for (auto x : *s) n *= x;
            if (n != static_cast<std::int64_t>(e->size())) return;  // inconsistent: do not guess
        } else {
            all_static_shapes = false;
        }
        ins.push_back(std::move(*e));
        sizes.push_back(std::move(s));
    }
    if (!any_tracked) return;
    std::vector<std::int64_t> out_sizes;
    if (all_static_shapes) {
        shape out;
        for (const auto& s : sizes) {
            auto b = broadcast(out, shape::of(*s));
            if (!b) return;
            out = std::move(*b);
        }
        out_sizes = out.sizes();
    } else {
        // shapes not all known: only vectors (rank <= 1) of one length, or single elements, line up for certain
        std::size_t n = 1;
        for (std::size_t k = 0; k < ins.size(); ++k) {
            if (sizes[k] && sizes[k]->size() > 1) return;
            if (const shape* s = c.input_shape(first + k); s && s->rank() > 1) return;
            if (ins[k].size() == 1) continue;
            if (n != 1 && n != ins[k].size()) return;
            n = ins[k].size();
        }
        out_sizes = {static_cast<std::int64_t>(n)};
    }
    std::int64_t numel = 1;
    for (auto x : out_sizes) numel *= x;
    if (numel < 0 || static_cast<std::size_t>(numel) > max_elements<Traits>) return;
    std::vector<dim> out(static_cast<std::size_t>(numel));
    std::vector<dim> args(ins.size());
    for (std::size_t flat = 0; flat < out.size(); ++flat) {
        bool any_unknown = false;
        for (std::size_t k = 0; k < ins.size(); ++k) {
            std::size_t src = flat;
            if (ins[k].size() == 1) src = 0;
            else if (sizes[k]) src = tensor_detail::broadcast_source(out_sizes, *sizes[k], flat);
            args[k] = ins[k][src];
            any_unknown = any_unknown || args[k].is_unknown();
        }
        out[flat] = f(std::span<const dim>(args), any_unknown);
    }
    set_value(c, std::move(out));
}

/// Whether the op's results are floating-point (then only whole static numbers are kept).
template <class Traits>
[[nodiscard]] bool floating_result(const infer_context<Traits>& c) {
    return is_floating(c.input_dtype(0));
}

[[nodiscard]] inline dim negate(const dim& a) {
    if (a.is_static()) return dim(-a.value());
    if (a.is_symbol()) return dim(0) - a;
    return dim::unknown();
}

/// ONNX Div: integers truncate toward zero; floats keep only exact quotients.
[[nodiscard]] inline dim divide(const dim& a, const dim& b, bool floating) {
    if (a.is_static() && b.is_static()) {
        if (b.value() == 0) return dim::unknown();
        if (floating && a.value() % b.value() != 0) return dim::unknown();
        return dim(a.value() / b.value());
    }
    if (floating) return dim::unknown();
    // shape arithmetic: both sides are sizes (>= 0), where truncation and floor agree
    if ((a.is_static() && a.value() < 0) || (b.is_static() && b.value() <= 0)) return dim::unknown();
    return floor_div(a, b);
}

/// ONNX Mod: with fmod=0 the result takes the divisor's sign (Python), with fmod=1 the dividend's (C).
[[nodiscard]] inline dim modulo(const dim& a, const dim& b, bool fmod) {
    if (a.is_static() && b.is_static()) {
        if (b.value() == 0) return dim::unknown();
        std::int64_t r = a.value() % b.value();
        if (!fmod && r != 0 && ((r < 0) != (b.value() < 0))) r += b.value();
        return dim(r);
    }
    if (!b.is_static() || b.value() <= 0 || (a.is_static() && a.value() < 0)) return dim::unknown();
    return a - floor_div(a, b) * b;
}

/// The value of a floating-point op is kept only where static.
[[nodiscard]] inline dim only_static(const dim& d, bool floating) { return floating && !d.is_static() ? dim::unknown() : d; }

}  // namespace value_detail

/// The value rules, one function per operator (or family).
namespace value_ops {

using value_detail::elements;
using value_detail::set_value;

/// The input's elements unchanged (Identity, Reshape, Squeeze, Unsqueeze, Flatten): the same data, reshaped.
template <class Traits>
void same_elements(infer_context<Traits>& c) {
    if (const auto* v = c.input_value(0)) c.set_output_value(0, *v);
}

template <class Traits>
void shape_of(infer_context<Traits>& c) {
    const shape* in = c.input_shape(0);
    if (!in) return;
    const auto r = static_cast<std::int64_t>(in->rank());
    auto clampi = [&](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + r : v, 0, r); };
    const std::int64_t start = clampi(c.attr_or("start", std::int64_t{0}));
    const std::int64_t end = std::max(start, clampi(c.attr_or("end", r)));
    c.set_output_value(0, std::vector<dim>(in->dims().begin() + start, in->dims().begin() + end));
}

template <class Traits>
void size(infer_context<Traits>& c) {
    if (const shape* in = c.input_shape(0)) set_value(c, {product(in->dims())});
}

template <class Traits>
void gather(infer_context<Traits>& c) {
    const auto* data = c.input_value(0);
    auto idx = c.input_ints(1);
    if (!data || !idx) return;
    if (const shape* s = c.input_shape(0); s && s->rank() != 1) return;  // only vectors (a shape) are indexed
    const auto n = static_cast<std::int64_t>(data->size());
    if (c.axis(c.attr_or("axis", std::int64_t{0}), 1) != 0) return;
    std::vector<dim> out;
    out.reserve(idx->size());
    for (auto i : *idx) {
        if (i < -n || i >= n) return;  // the type rule reports it when it can
        out.push_back((*data)[static_cast<std::size_t>(i < 0 ? i + n : i)]);
    }
    c.set_output_value(0, std::move(out));
}

template <class Traits>
void slice(infer_context<Traits>& c) {
    const auto* data = c.input_value(0);
    if (!data) return;
    if (const shape* s = c.input_shape(0); s && s->rank() != 1) return;
    std::optional<std::vector<std::int64_t>> starts, ends, axes, steps;
    if (c.has_attr("starts") && !c.has_input(1)) {
        starts = c.ints_or("starts");
        ends = c.ints_or("ends");
        if (c.has_attr("axes")) axes = c.ints_or("axes");
    } else {
        starts = c.input_ints(1);
        ends = c.input_ints(2);
        if (c.has_input(3) && !(axes = c.input_ints(3))) return;
        if (c.has_input(4) && !(steps = c.input_ints(4))) return;
    }
    if (!starts || !ends || starts->size() != 1 || ends->size() != 1) return;
    if (axes && (axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1))) return;
    const std::int64_t step = steps ? (steps->size() == 1 ? (*steps)[0] : 0) : 1;
    if (step == 0) return;
    const auto span = tensor_detail::slice_static(static_cast<std::int64_t>(data->size()), (*starts)[0], (*ends)[0], step);
    std::vector<dim> out;
    out.reserve(static_cast<std::size_t>(span.length));
    for (std::int64_t k = 0; k < span.length; ++k) out.push_back((*data)[static_cast<std::size_t>(span.start + k * step)]);
    c.set_output_value(0, std::move(out));
}

template <class Traits>
void concat(infer_context<Traits>& c) {
    const auto axis = c.attr_or("axis", std::int64_t{0});
    if (axis != 0 && axis != -1) return;
    std::vector<dim> out;
    bool any_tracked = false;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
        if (!c.has_input(i)) continue;
        if (const shape* s = c.input_shape(i); s && s->rank() != 1) return;
        auto e = elements(c, i);
        if (!e) return;
        any_tracked = any_tracked || c.input_value(i) || c.input_const(i);
        out.insert(out.end(), e->begin(), e->end());
    }
    if (any_tracked) c.set_output_value(0, std::move(out));
}

template <class Traits>
void split(infer_context<Traits>& c) {
    const auto* data = c.input_value(0);
    if (!data) return;
    if (const shape* s = c.input_shape(0); s && s->rank() != 1) return;
    const std::size_t n = c.num_outputs();
    std::vector<std::int64_t> sizes;
    if (c.has_input(1) && (c.opset() >= 13 || !c.has_attr("split"))) {
        auto v = c.input_ints(1);
        if (!v) return;
        sizes = std::move(*v);
    } else if (c.has_attr("split")) {
        sizes = c.ints_or("split");
    } else {
        const auto len = static_cast<std::int64_t>(data->size());
        const auto parts = static_cast<std::int64_t>(n);
        const std::int64_t chunk = c.opset() >= 18 ? (len + parts - 1) / parts : len / parts;
        for (std::size_t i = 0; i < n; ++i) sizes.push_back(std::min(chunk, len - chunk * static_cast<std::int64_t>(i)));
    }
    if (sizes.size() != n) return;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (sizes[i] < 0 || pos + static_cast<std::size_t>(sizes[i]) > data->size()) return;
        c.set_output_value(i, std::vector<dim>(data->begin() + static_cast<std::ptrdiff_t>(pos),
                                               data->begin() + static_cast<std::ptrdiff_t>(pos + static_cast<std::size_t>(sizes[i]))));
        pos += static_cast<std::size_t>(sizes[i]);
    }
}

/// Cast and CastLike: integers keep their elements, bool keeps static truth values, floats keep static values.
template <class Traits>
void cast_to(infer_context<Traits>& c, dtype to) {
    const auto* v = c.input_value(0);
    if (!v) return;
    std::vector<dim> out;
    out.reserve(v->size());
    for (const auto& d : *v) {
        if (to == dtype::boolean) out.push_back(d.is_static() ? dim(d.value() != 0 ? 1 : 0) : dim::unknown());
        else if (is_integer(to)) out.push_back(d);
        else if (is_floating(to)) out.push_back(d.is_static() ? d : dim::unknown());
        else return;
    }
    set_value(c, std::move(out));
}
template <class Traits>
void cast(infer_context<Traits>& c) {
    if (auto t = gearc::dtype_from_onnx_code(c.attr_or("to", std::int64_t{0}))) cast_to(c, *t);
}
template <class Traits>
void cast_like(infer_context<Traits>& c) {
    cast_to(c, c.input_dtype(1));
}

template <class Traits>
void add(infer_context<Traits>& c) {
    const bool fp = value_detail::floating_result(c);
    value_detail::broadcast_elements(c, 0, 2, [fp](std::span<const dim> a, bool) { return value_detail::only_static(a[0] + a[1], fp); });
}
template <class Traits>
void sub(infer_context<Traits>& c) {
    const bool fp = value_detail::floating_result(c);
    value_detail::broadcast_elements(c, 0, 2, [fp](std::span<const dim> a, bool) { return value_detail::only_static(a[0] - a[1], fp); });
}
template <class Traits>
void mul(infer_context<Traits>& c) {
    const bool fp = value_detail::floating_result(c);
    value_detail::broadcast_elements(c, 0, 2, [fp](std::span<const dim> a, bool) { return value_detail::only_static(a[0] * a[1], fp); });
}
template <class Traits>
void div(infer_context<Traits>& c) {
    const bool fp = value_detail::floating_result(c);
    value_detail::broadcast_elements(c, 0, 2, [fp](std::span<const dim> a, bool) { return value_detail::divide(a[0], a[1], fp); });
}
template <class Traits>
void mod(infer_context<Traits>& c) {
    if (value_detail::floating_result(c)) return;  // float Mod is fmod of reals: not shape arithmetic
    const bool fmod = c.attr_or("fmod", std::int64_t{0}) != 0;
    value_detail::broadcast_elements(c, 0, 2, [fmod](std::span<const dim> a, bool) { return value_detail::modulo(a[0], a[1], fmod); });
}
template <class Traits>
void neg(infer_context<Traits>& c) {
    const bool fp = value_detail::floating_result(c);
    value_detail::broadcast_elements(c, 0, 1, [fp](std::span<const dim> a, bool) { return value_detail::only_static(value_detail::negate(a[0]), fp); });
}
template <class Traits>
void abs(infer_context<Traits>& c) {
    value_detail::broadcast_elements(c, 0, 1, [](std::span<const dim> a, bool) {
        if (a[0].is_static()) return dim(a[0].value() < 0 ? -a[0].value() : a[0].value());
        if (a[0].is_range() && a[0].lo() >= 0) return a[0];
        return dim::unknown();
    });
}
template <class Traits>
void min(infer_context<Traits>& c) {
    value_detail::broadcast_elements(c, 0, c.num_inputs(), [](std::span<const dim> a, bool any_unknown) {
        if (any_unknown) return dim::unknown();
        dim r = a[0];
        for (std::size_t k = 1; k < a.size(); ++k) r = min_dim(r, a[k]);
        return r;
    });
}
template <class Traits>
void max(infer_context<Traits>& c) {
    value_detail::broadcast_elements(c, 0, c.num_inputs(), [](std::span<const dim> a, bool any_unknown) {
        if (any_unknown) return dim::unknown();
        dim r = a[0];
        for (std::size_t k = 1; k < a.size(); ++k) r = max_dim(r, a[k]);
        return r;
    });
}
template <class Traits>
void equal(infer_context<Traits>& c) {
    value_detail::broadcast_elements(c, 0, 2, [](std::span<const dim> a, bool) {
        if (a[0].is_static() && a[1].is_static()) return dim(a[0].value() == a[1].value() ? 1 : 0);
        if (a[0].is_symbol() && a[0] == a[1]) return dim(1);  // the same expression of the same symbols
        return dim::unknown();
    });
}
template <class Traits>
void where(infer_context<Traits>& c) {
    value_detail::broadcast_elements(c, 0, 3, [](std::span<const dim> a, bool) {
        if (!a[0].is_static()) return dim::unknown();
        return a[0].value() != 0 ? a[1] : a[2];
    });
}
template <class Traits>
void logical_not(infer_context<Traits>& c) {
    value_detail::broadcast_elements(c, 0, 1, [](std::span<const dim> a, bool) {
        return a[0].is_static() ? dim(a[0].value() != 0 ? 0 : 1) : dim::unknown();
    });
}

/// ReduceSum / ReduceProd of a vector (or scalar) over its only axis: one element.
template <class Traits>
void reduce(infer_context<Traits>& c, bool prod, std::int64_t axes_input_since) {
    const auto* v = c.input_value(0);
    if (!v) return;
    const shape* s = c.input_shape(0);
    if (s && s->rank() > 1) return;
    const auto axes = tensor_detail::attr_or_input(c, "axes", 1, axes_input_since);
    if (axes.given && !axes.values) return;
    if (axes.given && axes.values->empty() && c.attr_or("noop_with_empty_axes", std::int64_t{0}) != 0)
        return c.set_output_value(0, *v);
    if (axes.given)
        for (auto a : *axes.values)
            if (a != 0 && a != -1) return;
    dim r(prod ? 1 : 0);
    for (const auto& d : *v) r = prod ? r * d : r + d;
    set_value(c, {r});
}
template <class Traits>
void reduce_sum(infer_context<Traits>& c) {
    reduce(c, false, 13);
}
template <class Traits>
void reduce_prod(infer_context<Traits>& c) {
    reduce(c, true, 18);
}

template <class Traits>
void constant(infer_context<Traits>& c) {
    constexpr auto limit = value_detail::max_elements<Traits>;
    std::optional<std::vector<std::int64_t>> ints;
    if (c.has_attr("value")) ints = value_detail::tensor_ints(c.template attr<tensor>("value"), limit);
    else if (c.has_attr("value_int")) ints = std::vector<std::int64_t>{c.template attr<std::int64_t>("value_int")};
    else if (c.has_attr("value_ints")) ints = c.ints_or("value_ints");
    else if (c.has_attr("value_float")) {
        const float f = c.template attr<float>("value_float");
        if (std::floor(f) == f && std::fabs(f) < 9.0e15f) ints = std::vector<std::int64_t>{static_cast<std::int64_t>(f)};
    }
    if (ints && ints->size() <= limit) c.set_output_value(0, std::vector<dim>(ints->begin(), ints->end()));
}

/// The elements of output 0 by its static shape, when small: the type rule has run on this node already.
template <class Traits>
[[nodiscard]] std::optional<std::vector<std::int64_t>> small_output_sizes(const infer_context<Traits>& c) {
    const auto& t = c.output_type(0);
    if (!t || !t->has_shape() || !t->dims->is_static()) return std::nullopt;
    auto n = t->dims->numel();
    if (!n || *n < 0 || static_cast<std::size_t>(*n) > value_detail::max_elements<Traits>) return std::nullopt;
    return t->dims->sizes();
}

template <class Traits>
void constant_of_shape(infer_context<Traits>& c) {
    auto out = small_output_sizes(c);
    if (!out) return;
    std::int64_t fill = 0;
    if (c.has_attr("value")) {
        auto v = value_detail::tensor_ints(c.template attr<tensor>("value"), 1);
        if (!v || v->size() != 1) return;
        fill = v->front();
    }
    std::int64_t n = 1;
    for (auto x : *out) n *= x;
    c.set_output_value(0, std::vector<dim>(static_cast<std::size_t>(n), dim(fill)));
}

template <class Traits>
void range(infer_context<Traits>& c) {
    auto num = [&](std::size_t i) -> std::optional<std::int64_t> {
        if (auto v = c.input_ints(i); v && v->size() == 1) return v->front();
        if (auto f = tensor_detail::scalar_number(c, i); f && std::floor(*f) == *f) return static_cast<std::int64_t>(*f);
        return std::nullopt;
    };
    auto start = num(0), limit = num(1), delta = num(2);
    if (!start || !limit || !delta || *delta == 0) return;
    const std::int64_t span = *delta > 0 ? *limit - *start : *start - *limit;
    const std::int64_t mag = *delta > 0 ? *delta : -*delta;
    const std::int64_t n = span <= 0 ? 0 : (span + mag - 1) / mag;
    if (static_cast<std::size_t>(n) > value_detail::max_elements<Traits>) return;
    std::vector<dim> out;
    for (std::int64_t k = 0; k < n; ++k) out.emplace_back(*start + k * *delta);
    c.set_output_value(0, std::move(out));
}

template <class Traits>
void expand(infer_context<Traits>& c) {
    const auto* v = c.input_value(0);
    auto in = value_detail::static_sizes(c, 0);
    auto out = small_output_sizes(c);
    if (!v || !in || !out) return;
    std::int64_t n = 1;
    for (auto x : *out) n *= x;
    std::vector<dim> r(static_cast<std::size_t>(n));
    for (std::size_t k = 0; k < r.size(); ++k) {
        const auto src = tensor_detail::broadcast_source(*out, *in, k);
        if (src >= v->size()) return;
        r[k] = (*v)[src];
    }
    c.set_output_value(0, std::move(r));
}

template <class Traits>
void tile(infer_context<Traits>& c) {
    const auto* v = c.input_value(0);
    auto in = value_detail::static_sizes(c, 0);
    auto out = small_output_sizes(c);
    if (!v || !in || !out || in->size() != out->size()) return;
    std::int64_t n = 1;
    for (auto x : *out) n *= x;
    std::vector<dim> r(static_cast<std::size_t>(n));
    for (std::size_t k = 0; k < r.size(); ++k) {
        // output coordinate -> input coordinate modulo the input's extent
        std::size_t flat = k, src = 0, stride = 1;
        for (std::size_t j = out->size(); j-- > 0;) {
            const auto extent = static_cast<std::size_t>((*out)[j]);
            const auto in_extent = static_cast<std::size_t>((*in)[j]);
            if (!in_extent) return;
            src += (flat % extent) % in_extent * stride;
            flat /= extent;
            stride *= in_extent;
        }
        if (src >= v->size()) return;
        r[k] = (*v)[src];
    }
    c.set_output_value(0, std::move(r));
}

}  // namespace value_ops

template <class Traits>
void add_value_rules(shape_rule_table<Traits>& t) {
    t.add_value("Shape", &value_ops::shape_of<Traits>);
    t.add_value("Size", &value_ops::size<Traits>);
    t.add_value("Gather", &value_ops::gather<Traits>);
    t.add_value("Slice", &value_ops::slice<Traits>);
    t.add_value("Concat", &value_ops::concat<Traits>);
    t.add_value("Split", &value_ops::split<Traits>);
    for (const char* op : {"Identity", "Unsqueeze", "Squeeze", "Reshape", "Flatten"})
        t.add_value(op, &value_ops::same_elements<Traits>);
    t.add_value("Cast", &value_ops::cast<Traits>);
    t.add_value("CastLike", &value_ops::cast_like<Traits>);
    t.add_value("Add", &value_ops::add<Traits>);
    t.add_value("Sub", &value_ops::sub<Traits>);
    t.add_value("Mul", &value_ops::mul<Traits>);
    t.add_value("Div", &value_ops::div<Traits>);
    t.add_value("Mod", &value_ops::mod<Traits>);
    t.add_value("Neg", &value_ops::neg<Traits>);
    t.add_value("Abs", &value_ops::abs<Traits>);
    t.add_value("Min", &value_ops::min<Traits>);
    t.add_value("Max", &value_ops::max<Traits>);
    t.add_value("Equal", &value_ops::equal<Traits>);
    t.add_value("Where", &value_ops::where<Traits>);
    t.add_value("Not", &value_ops::logical_not<Traits>);
    t.add_value("ReduceSum", &value_ops::reduce_sum<Traits>);
    t.add_value("ReduceProd", &value_ops::reduce_prod<Traits>);
    t.add_value("ConstantOfShape", &value_ops::constant_of_shape<Traits>);
    t.add_value("Range", &value_ops::range<Traits>);
    t.add_value("Expand", &value_ops::expand<Traits>);
    t.add_value("Tile", &value_ops::tile<Traits>);
    t.add_value("Constant", &value_ops::constant<Traits>);
}

}  // namespace passes::shape_rules
GEARC_END_NAMESPACE
