// Shape rules for sequence and indexing operators: LSTM, GRU, RNN, Einsum, TopK, CumSum, NonMaxSuppression, NonZero.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim.hpp>
#include <gearc/dim_expr.hpp>
#include <gearc/dtype.hpp>
#include <gearc/passes/infer_context.hpp>
#include <gearc/passes/shape_rules/elementwise.hpp>
#include <gearc/shape.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace passes::shape_rules {

namespace sequence {

/// Fails unless input i (when its shape is known) is 3-D and matches `want` where a want dim is known.
template <class Traits>
void check_weight(const infer_context<Traits>& c, std::size_t i, const char* what, const std::array<dim, 3>& want) {
    const shape* s = c.input_shape(i);
    if (!s) return;
    bool ok = s->rank() == 3;
    for (std::size_t k = 0; ok && k < 3; ++k) ok = support::may_equal((*s)[k], want[k]);
    if (!ok)
        c.fail(std::string(what) + " must have shape [" + want[0].to_string() + "," + want[1].to_string() + "," + want[2].to_string() +
               "] ([num_directions, gates*hidden_size, ...]), got " + s->to_string());
}

/// RNN (1 gate), GRU (3), LSTM (4, with a cell state): Y [seq, dirs, batch, hidden] (layout 0) or
/// [batch, seq, dirs, hidden] (layout 1), Y_h / Y_c [dirs, batch, hidden] or [batch, dirs, hidden].
template <class Traits, std::int64_t Gates>
void recurrent(infer_context<Traits>& c) {
    support::expect_inputs(c, 3, Gates == 4 ? 8 : 6);
    support::same_dtype(c, 0, 1);
    support::same_dtype(c, 0, 2);
    const dtype t = c.input_dtype(0);
    const auto direction = c.template attr_or<std::string>("direction", "forward");
    if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
        c.fail("direction '" + direction + "' is not one of forward, reverse, bidirectional");
    const std::int64_t dirs = direction == "bidirectional" ? 2 : 1;
    const std::int64_t layout = c.template attr_or<std::int64_t>("layout", 0);
    if (layout != 0 && layout != 1) c.fail("layout must be 0 or 1, got " + std::to_string(layout));
    const shape* x = c.input_shape(0);
    const shape* w = c.input_shape(1);
    const shape* r = c.input_shape(2);
    if (x && x->rank() != 3)
        c.fail("X must be 3-D (" + std::string(layout ? "[batch, seq_length, input_size]" : "[seq_length, batch, input_size]") + "), got " +
               x->to_string());
    // hidden_size: the attribute, else what R or W say
    dim hidden;
    if (c.has_attr("hidden_size")) {
        const auto h = c.template attr<std::int64_t>("hidden_size");
        if (h < 1) c.fail("hidden_size must be positive, got " + std::to_string(h));
        hidden = dim(h);
    } else if (r && r->rank() == 3) {
        hidden = (*r)[2];
    } else if (w && w->rank() == 3 && (*w)[1].is_static()) {
        hidden = dim((*w)[1].value() / Gates);
    }
    const dim gates_hidden = hidden * dim(Gates);
    const dim seq = x ? (*x)[layout ? 1 : 0] : dim::unknown();
    const dim batch = x ? (*x)[layout ? 0 : 1] : dim::unknown();
    const dim input_size = x ? (*x)[2] : dim::unknown();
    check_weight(c, 1, "W", {dim(dirs), gates_hidden, input_size});
    check_weight(c, 2, "R", {dim(dirs), gates_hidden, hidden});
    if (const shape* b = c.input_shape(3);
        b && (b->rank() != 2 || !support::may_equal((*b)[0], dim(dirs)) || !support::may_equal((*b)[1], gates_hidden * dim(2))))
        c.fail("B must have shape [" + std::to_string(dirs) + "," + (gates_hidden * dim(2)).to_string() + "], got " + b->to_string());
    const dim d(dirs);
    if (c.num_outputs() > 0) c.set_output(0, t, layout ? shape{batch, seq, d, hidden} : shape{seq, d, batch, hidden});
    const shape state = layout ? shape{batch, d, hidden} : shape{d, batch, hidden};
    for (std::size_t o = 1; o < c.num_outputs() && o < (Gates == 4 ? 3u : 2u); ++o) c.set_output(o, t, state);
}

/// One operand's subscripts: letters, and where "..." stands (npos when absent).
struct einsum_term {
    std::string labels;
    std::size_t ellipsis = std::string::npos;
};

/// Einsum: subscripts per operand, "..." for broadcast dims, an explicit output after "->" or the implicit one
/// (the broadcast dims, then the letters that occur once, in alphabetical order).
template <class Traits>
void einsum(infer_context<Traits>& c) {
    if (c.num_inputs() == 0) c.fail("expects at least 1 input, got 0");
    const dtype t = c.input_dtype(0);
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
        if (!c.has_input(i)) c.fail("input " + std::to_string(i) + " is missing");
        support::same_dtype(c, 0, i);
    }
    if (!c.has_attr("equation")) c.fail("the equation attribute is required");
    const auto raw = c.template attr<std::string>("equation");
    std::string eq;
    for (char ch : raw)
        if (ch != ' ' && ch != '\t') eq += ch;
    const auto arrow = eq.find("->");
    const bool explicit_out = arrow != std::string::npos;
    const std::string lhs = explicit_out ? eq.substr(0, arrow) : eq;
    const std::string rhs = explicit_out ? eq.substr(arrow + 2) : std::string();

    auto parse = [&](const std::string& s) {
        einsum_term term;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const char ch = s[i];
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
                term.labels += ch;
            } else if (ch == '.' && s.compare(i, 3, "...") == 0 && term.ellipsis == std::string::npos) {
                term.ellipsis = term.labels.size();
                i += 2;
            } else {
                c.fail("equation '" + raw + "' is malformed at '" + s.substr(i) + "'");
            }
        }
        return term;
    };
    std::vector<einsum_term> terms;
    for (std::size_t start = 0;;) {
        const auto comma = lhs.find(',', start);
        terms.push_back(parse(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (terms.size() != c.num_inputs())
        c.fail("equation '" + raw + "' has " + std::to_string(terms.size()) + " operand(s) but the node has " +
               std::to_string(c.num_inputs()) + " input(s)");

    std::array<std::optional<dim>, 128> label_dim{};
    std::array<int, 128> count{};
    std::optional<shape> ell = shape();  // broadcast of the "..." dims; nullopt when some are of unknown rank
    bool any_ellipsis = false;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        const auto& term = terms[i];
        for (char ch : term.labels) ++count[static_cast<unsigned char>(ch)];
        if (term.ellipsis != std::string::npos) any_ellipsis = true;
        const shape* s = c.input_shape(i);
        if (!s) {
            if (term.ellipsis != std::string::npos) ell.reset();
            continue;
        }
        const std::size_t n = term.labels.size();
        if (term.ellipsis == std::string::npos ? s->rank() != n : s->rank() < n)
            c.fail("operand " + std::to_string(i) + " '" + (term.ellipsis == std::string::npos ? term.labels : term.labels + "...") +
                   "' does not fit its shape " + s->to_string());
        const std::size_t ell_rank = s->rank() - n;
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t at = term.ellipsis != std::string::npos && k >= term.ellipsis ? k + ell_rank : k;
            const dim& d = (*s)[at];
            auto& slot = label_dim[static_cast<unsigned char>(term.labels[k])];
            if (!slot) slot = d;
            else if (d.is_static() && d.value() == 1) continue;  // size-1 dims broadcast
            else if (slot->is_static() && slot->value() == 1) slot = d;
            else if (!support::may_equal(*slot, d))
                c.fail("label '" + std::string(1, term.labels[k]) + "' is " + slot->to_string() + " in one place and " + d.to_string() +
                       " in operand " + std::to_string(i) + " " + s->to_string());
            else slot = support::merge_equal(*slot, d);
        }
        if (term.ellipsis != std::string::npos && ell) {
            const shape part(std::vector<dim>(s->dims().begin() + static_cast<std::ptrdiff_t>(term.ellipsis),
                                              s->dims().begin() + static_cast<std::ptrdiff_t>(term.ellipsis + ell_rank)));
            auto b = broadcast(*ell, part);
            if (!b) c.fail("the '...' dims " + ell->to_string() + " and " + part.to_string() + " do not broadcast");
            ell = std::move(b);
        }
    }

    einsum_term out;
    if (explicit_out) {
        out = parse(rhs);
        for (char ch : out.labels) {
            if (!count[static_cast<unsigned char>(ch)]) c.fail("output label '" + std::string(1, ch) + "' is not in any operand");
            if (std::count(out.labels.begin(), out.labels.end(), ch) > 1) c.fail("output label '" + std::string(1, ch) + "' is repeated");
        }
        if (out.ellipsis != std::string::npos && !any_ellipsis) out.ellipsis = std::string::npos;  // "..." over nothing
    } else {
        for (int ch = 0; ch < 128; ++ch)
            if (count[static_cast<std::size_t>(ch)] == 1) out.labels += static_cast<char>(ch);
        if (any_ellipsis) out.ellipsis = 0;
    }
    if (out.ellipsis != std::string::npos && !ell) return c.set_output_unknown_rank(0, t);
    std::vector<dim> dims;
    for (std::size_t k = 0; k <= out.labels.size(); ++k) {
        if (k == out.ellipsis) dims.insert(dims.end(), ell->begin(), ell->end());
        if (k < out.labels.size()) {
            const auto& slot = label_dim[static_cast<unsigned char>(out.labels[k])];
            dims.push_back(slot ? *slot : dim::unknown());
        }
    }
    c.set_output(0, t, shape(std::move(dims)));
}

/// TopK: Values and int64 Indices with the `axis` dim replaced by K (input 1 from opset 10, attribute k before).
template <class Traits>
void topk(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 2);
    const dtype t = c.input_dtype(0);
    dim k;
    if (c.has_input(1)) {
        if (const shape* ks = c.input_shape(1); ks && ks->numel() && *ks->numel() != 1)
            c.fail("K must hold a single value, got shape " + ks->to_string());
        if (const auto* v = c.input_value(1); v && v->size() == 1) k = (*v)[0];
    } else if (c.has_attr("k")) {
        k = dim(c.template attr<std::int64_t>("k"));
    } else {
        c.fail("K is missing (an input from opset 10, the k attribute before)");
    }
    if (k.is_static() && k.value() < 0) c.fail("K must not be negative, got " + k.to_string());
    const shape* x = c.input_shape(0);
    if (!x) {
        c.set_output_unknown_rank(0, t);
        if (c.num_outputs() > 1) c.set_output_unknown_rank(1, dtype::int64);
        return;
    }
    const std::size_t axis = c.axis(c.template attr_or<std::int64_t>("axis", -1), x->rank());
    const dim& n = (*x)[axis];
    if (k.is_static() && n.is_static() && k.value() > n.value())
        c.fail("K=" + k.to_string() + " is larger than the axis " + std::to_string(axis) + " dim " + n.to_string() + " of " +
               x->to_string());
    std::vector<dim> out = x->dims();
    out[axis] = k;
    shape s(std::move(out));
    if (c.num_outputs() > 1) c.set_output(1, dtype::int64, s);
    c.set_output(0, t, std::move(s));
}

/// CumSum: output like X; axis is a scalar (or one-element) integer tensor.
template <class Traits>
void cumsum(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 2);
    if (const shape* a = c.input_shape(1); a && a->numel() && *a->numel() != 1)
        c.fail("axis must hold a single value, got shape " + a->to_string());
    const shape* x = c.input_shape(0);
    if (const auto a = c.input_ints(1); x && a && a->size() == 1) (void)c.axis((*a)[0], x->rank());
    support::same_shape(c, 0, 0, c.input_dtype(0));
}

/// NonMaxSuppression: [num_selected, 3] int64 (batch, class, box), num_selected known at run time only.
template <class Traits>
void non_max_suppression(infer_context<Traits>& c) {
    support::expect_inputs(c, 2, 5);
    const shape* boxes = c.input_shape(0);
    if (boxes && (boxes->rank() != 3 || !support::may_equal((*boxes)[2], dim(4))))
        c.fail("boxes must have shape [num_batches, spatial_dimension, 4], got " + boxes->to_string());
    const shape* scores = c.input_shape(1);
    if (scores && scores->rank() != 3)
        c.fail("scores must have shape [num_batches, num_classes, spatial_dimension], got " + scores->to_string());
    c.set_output(0, dtype::int64, shape{dim::unknown(), dim(3)});
}

/// NonZero: [rank(X), number of non-zero elements] int64.
template <class Traits>
void non_zero(infer_context<Traits>& c) {
    support::expect_inputs(c, 1, 1);
    const shape* x = c.input_shape(0);
    c.set_output(0, dtype::int64, shape{x ? dim(static_cast<std::int64_t>(x->rank())) : dim::unknown(), dim::unknown()});
}

}  // namespace sequence

template <class Traits>
void add_sequence_rules(shape_rule_table<Traits>& t) {
    t.add("RNN", &sequence::recurrent<Traits, 1>);
    t.add("GRU", &sequence::recurrent<Traits, 3>);
    t.add("LSTM", &sequence::recurrent<Traits, 4>);
    t.add("Einsum", &sequence::einsum<Traits>);
    t.add("TopK", &sequence::topk<Traits>);
    t.add("CumSum", &sequence::cumsum<Traits>);
    t.add("NonMaxSuppression", &sequence::non_max_suppression<Traits>);
    t.add("NonZero", &sequence::non_zero<Traits>);
}

}  // namespace passes::shape_rules
GEARC_END_NAMESPACE
