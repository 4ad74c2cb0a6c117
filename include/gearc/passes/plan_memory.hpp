// Static memory planning for a gear graph: liveness of every node output, in-place reuse, offsets in one arena.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>
#include <gearc/error.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/pass.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

/// How plan_memory lays out the arena.
struct memory_options {
    std::size_t alignment = 64;  ///< every buffer starts at, and is padded to, a multiple of this (0 is taken as 1)
    bool in_place = true;        ///< let an elementwise op write over an input that dies at it
};

/// Where one node output lives. `first`/`last` are indices into g.topological_order(): the value's producer
/// and its last reader (the last node for graph outputs). A slot with `alias_of` shares that input's buffer:
/// same offset and size, and the buffer stays taken until the alias dies.
struct memory_slot {
    std::string value;
    std::size_t offset = 0, bytes = 0;
    std::size_t first = 0, last = 0;
    std::string alias_of;  ///< non-empty: written in place over this input's buffer

    friend bool operator==(const memory_slot&, const memory_slot&) = default;
};

/// The arena of one gear: a slot per tensor produced by a node (graph inputs and initializers live outside).
struct memory_plan {
    std::vector<memory_slot> slots;  ///< in production order (topological order, then output index)
    std::size_t arena_bytes = 0;     ///< the arena's size: the largest offset + bytes
    std::size_t naive_bytes = 0;     ///< what one buffer per value would take (the sum of the slot sizes)
    std::size_t in_place = 0;        ///< how many slots alias an input
    std::size_t alignment = 64;

    /// The slot of `value`, or nullptr.
    [[nodiscard]] const memory_slot* find(std::string_view value) const {
        for (const auto& s : slots)
            if (s.value == value) return &s;
        return nullptr;
    }

    friend bool operator==(const memory_plan&, const memory_plan&) = default;
};

namespace detail::memory {

// Elementwise operators: output element k depends on the input elements at k only (after broadcasting),
// so the output may overwrite an input of its own size. Domain ai.onnx only: gearc's fused ops (ai.gearc)
// are not elementwise, whatever their activation.

/// Unary-like: the output has input 0's shape whatever the other inputs are (scalars, attributes, or an
/// operand broadcast one way to input 0), so input 0 may be overwritten even when its dims are ranges.
inline constexpr std::array<std::string_view, 46> unary_ops{
    "Abs",  "Acos",        "Acosh",     "Asin",     "Asinh",   "Atan",       "Atanh", "BitwiseNot", "Cast",
    "Ceil", "Celu",        "Clip",      "Cos",      "Cosh",    "Dropout",    "Elu",   "Erf",        "Exp",
    "Floor", "Gelu",       "HardSigmoid", "HardSwish", "Identity", "IsInf",   "IsNaN", "LeakyRelu",  "Log",
    "Mish", "Neg",         "Not",       "PRelu",    "Reciprocal", "Relu",    "Round", "Selu",       "Shrink",
    "Sigmoid", "Sign",     "Sin",       "Sinh",     "Softplus", "Softsign",  "Sqrt",  "Tan",        "Tanh",
    "ThresholdedRelu"};

/// Broadcasting: an input may be overwritten only when it has the output's exact static shape (with a
/// range dim, the other operand may still broadcast at run time).
inline constexpr std::array<std::string_view, 18> broadcasting_ops{
    "Add", "And", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Div", "Max", "Mean",
    "Min", "Mod", "Mul",      "Or",         "Pow",       "Sub",        "Sum", "Where", "Xor"};

template <std::size_t N>
[[nodiscard]] constexpr bool listed(const std::array<std::string_view, N>& ops, std::string_view domain, std::string_view op) noexcept {
    if (!domain.empty() && domain != "ai.onnx") return false;
    return std::find(ops.begin(), ops.end(), op) != ops.end();
}

[[nodiscard]] inline std::size_t round_up(std::size_t n, std::size_t a) noexcept { return (n + a - 1) / a * a; }

/// A value's size in bytes, or why it has none: its largest size where a dim is a bounded range.
struct value_size {
    std::size_t bytes = 0;
    std::string problem;  ///< non-empty: the value cannot be sized ("dim 0 is the symbol 'N'")
};

[[nodiscard]] inline value_size size_of_type(const value_type& t) {
    if (!t.is_tensor()) return {0, "is " + t.to_string() + ", not a tensor"};
    if (!t.dims) return {0, "has no shape (unknown rank)"};
    const std::size_t elem = gearc::size_of(t.elem);
    if (elem == 0) return {0, "has element type " + std::string(gearc::to_string(t.elem)) + ", which has no fixed size"};
    std::size_t n = elem;
    for (std::size_t i = 0; i < t.dims->rank(); ++i) {
        const dim& d = (*t.dims)[i];
        std::int64_t extent = 0;
        const std::string which = "dim " + std::to_string(i);
        switch (d.get_kind()) {
            case dim::kind::value: extent = d.value(); break;
            case dim::kind::range:
                if (d.hi() < 0) return {0, which + " is the unbounded range " + d.to_string()};
                extent = d.hi();  // bounded-dynamic: plan for the largest
                break;
            case dim::kind::symbol: return {0, which + " is the symbol '" + d.name() + "'"};
            case dim::kind::unknown: return {0, which + " is unknown"};
        }
        if (extent < 0) return {0, which + " is negative (" + std::to_string(extent) + ")"};
        const auto e = static_cast<std::uint64_t>(extent);
        if (e != 0 && n > std::numeric_limits<std::size_t>::max() / e) return {0, "is too large to address"};
        n *= static_cast<std::size_t>(e);
    }
    return {n, {}};
}

/// "value 'y' (output 0 of Conv 'conv1')".
template <class Traits>
[[nodiscard]] std::string describe_value(const basic_value<Traits>& v) {
    std::string s = "value '" + std::string(v.name()) + "'";
    if (const auto* p = v.producer()) s += " (output " + std::to_string(v.producer_index()) + " of " + p->describe() + ")";
    return s;
}

/// One node output and its lifetime in the node order.
template <class Traits>
struct live_value {
    const basic_value<Traits>* value;
    std::size_t first = 0, last = 0;
    value_size size;
};

/// Every node output that is a value (not omitted), in production order, with its lifetime. Readers inside
/// a subgraph (If/Loop bodies) count as reads by the node that owns the subgraph.
template <class Traits>
struct liveness {
    std::vector<const basic_node<Traits>*> order;
    std::vector<live_value<Traits>> values;
    std::unordered_map<const basic_value<Traits>*, std::size_t> index;  ///< value -> position in `values`

    explicit liveness(const basic_graph<Traits>& g) {
        auto nodes = g.topological_order();
        order.assign(nodes.begin(), nodes.end());
        const std::size_t end = order.empty() ? 0 : order.size() - 1;
        for (std::size_t i = 0; i < order.size(); ++i)
            for (const auto* v : order[i]->outputs()) {
                if (!v || v->name().empty()) continue;
                index.emplace(v, values.size());
                values.push_back({v, i, v->is_graph_output() ? end : i, size_of_type(v->type())});
            }
        auto read = [&](const basic_value<Traits>* v, std::size_t at) {
            if (auto it = index.find(v); it != index.end()) values[it->second].last = std::max(values[it->second].last, at);
        };
        using graph_ptr = std::shared_ptr<basic_graph<Traits>>;
        using graph_list = typename Traits::template vector_type<graph_ptr>;
        for (std::size_t i = 0; i < order.size(); ++i) {
            for (const auto* v : order[i]->inputs())
                if (v) read(v, i);
            for (const auto& [name, a] : order[i]->attributes()) {
                auto captures = [&](const graph_ptr& sg) {
                    if (!sg) return;
                    for (const auto& c : sg->captured_names()) read(g.find_value(c), i);
                };
                if (const auto* sg = a.template get_if<graph_ptr>()) captures(*sg);
                if (const auto* sgs = a.template get_if<graph_list>())
                    for (const auto& sg : *sgs) captures(sg);
            }
        }
    }
};

/// A buffer of the arena: one value, or a chain of values written in place over each other.
struct buffer {
    std::size_t bytes = 0;  ///< rounded to the alignment
    std::size_t first = 0, last = 0;
    std::size_t offset = 0;
};

/// Places `order`'s buffers one by one, each at the lowest offset where it overlaps no placed buffer that
/// is live at the same time. Returns the arena size; writes the offsets into `bufs`.
inline std::size_t place(std::vector<buffer>& bufs, const std::vector<std::size_t>& order) {
    std::vector<std::size_t> placed;
    std::vector<std::pair<std::size_t, std::size_t>> taken;  // [offset, end) of the conflicting ones
    std::size_t arena = 0;
    for (auto b : order) {
        auto& buf = bufs[b];
        buf.offset = 0;
        if (buf.bytes == 0) continue;  // an empty tensor occupies nothing
        taken.clear();
        for (auto p : placed)
            if (bufs[p].first <= buf.last && buf.first <= bufs[p].last) taken.emplace_back(bufs[p].offset, bufs[p].offset + bufs[p].bytes);
        std::sort(taken.begin(), taken.end());
        std::size_t at = 0;
        for (const auto& [lo, hi] : taken) {
            if (lo >= at + buf.bytes) break;  // the gap before this one is big enough
            at = std::max(at, hi);
        }
        buf.offset = at;
        arena = std::max(arena, at + buf.bytes);
        placed.push_back(b);
    }
    return arena;
}

}  // namespace detail::memory

/// Plans the arena of a graph whose shapes are static (a gear): every node output gets `bytes` = dtype size
/// × elements (a range dim counts as its upper bound), rounded up to the alignment, and an offset such that
/// no two values live at the same time share a byte, except an elementwise op's output written in place over
/// an input that dies at that op (same dtype size and byte size; the input is no graph input, initializer
/// or graph output; with broadcasting only an input of the output's exact static shape).
///
/// Offsets: greedy by size (largest buffer first, each at the lowest offset that fits between the buffers
/// already placed whose lifetimes intersect it), and greedy in order of first use; the smaller arena wins
/// (neither dominates the other; both are valid, so taking the better is free). Deterministic.
/// A symbolic or unknown dim, an unbounded range or a non-tensor value is GC4004 naming the value.
template <class Traits>
[[nodiscard]] memory_plan plan_memory(const basic_graph<Traits>& g, const memory_options& options = {}) {
    namespace dm = detail::memory;
    const std::size_t align = std::max<std::size_t>(1, options.alignment);
    const dm::liveness<Traits> live(g);
    for (const auto& lv : live.values)
        if (!lv.size.problem.empty())
            throw compile_error(errc::not_static,
                                "cannot plan memory: " + dm::describe_value(*lv.value) + " of type " + lv.value->type().to_string() +
                                    ": " + lv.size.problem,
                                "Plan memory on a gear: specialise the graph so that every dim is a value (bind the "
                                "symbols and run shape inference), or give a bounded-dynamic dim a range lo~hi.");

    // In place: each value joins a buffer; a value written over an input joins that input's buffer.
    const std::size_t n = live.values.size();
    std::vector<std::size_t> buffer_of(n);
    std::vector<dm::buffer> bufs;
    memory_plan plan;
    plan.alignment = align;
    plan.slots.reserve(n);
    for (std::size_t k = 0; k < n; ++k) {
        const auto& lv = live.values[k];
        memory_slot slot{std::string(lv.value->name()), 0, dm::round_up(lv.size.bytes, align), lv.first, lv.last, {}};
        const auto* node = lv.value->producer();
        const bool unary = dm::listed(dm::unary_ops, node->domain(), node->op_type());
        const bool broadcasting = dm::listed(dm::broadcasting_ops, node->domain(), node->op_type());
        // only output 0 (Dropout's mask, output 1, is no elementwise image of an input)
        const bool may_alias = options.in_place && (unary || broadcasting) && lv.value->producer_index() == 0 && lv.size.bytes > 0;
        const std::size_t candidates = unary ? std::min<std::size_t>(1, node->num_inputs()) : node->num_inputs();
        for (std::size_t i = 0; may_alias && i < candidates && slot.alias_of.empty(); ++i) {
            const auto* in = node->input(i);
            auto it = in ? live.index.find(in) : live.index.end();
            if (it == live.index.end() || in->is_graph_output()) continue;  // not in the arena, or must survive
            const auto& src = live.values[it->second];
            const auto& buf = bufs[buffer_of[it->second]];
            if (buf.last != lv.first) continue;  // the buffer is still needed after this node
            if (src.size.bytes != lv.size.bytes || size_of(in->elem_type()) != size_of(lv.value->elem_type())) continue;
            if (!(*in->dims() == *lv.value->dims())) continue;
            if (broadcasting && !in->dims()->is_static()) continue;  // a range may broadcast at run time
            buffer_of[k] = buffer_of[it->second];
            bufs[buffer_of[k]].last = std::max(buf.last, lv.last);
            slot.alias_of = src.value->name();
            ++plan.in_place;
        }
        if (slot.alias_of.empty()) {
            buffer_of[k] = bufs.size();
            bufs.push_back({slot.bytes, lv.first, lv.last, 0});
        }
        plan.naive_bytes += slot.bytes;
        plan.slots.push_back(std::move(slot));
    }

    // Two greedy orders; ties broken by position so that the plan is deterministic.
    std::vector<std::size_t> by_size(bufs.size()), by_start(bufs.size());
    for (std::size_t b = 0; b < bufs.size(); ++b) by_size[b] = by_start[b] = b;
    std::stable_sort(by_size.begin(), by_size.end(), [&](auto a, auto b) { return bufs[a].bytes > bufs[b].bytes; });
    std::stable_sort(by_start.begin(), by_start.end(), [&](auto a, auto b) {
        return bufs[a].first != bufs[b].first ? bufs[a].first < bufs[b].first : bufs[a].bytes > bufs[b].bytes;
    });
    auto alt = bufs;
    const std::size_t size_arena = dm::place(bufs, by_size);
    const std::size_t start_arena = dm::place(alt, by_start);
    if (start_arena < size_arena) bufs = std::move(alt);
    plan.arena_bytes = std::min(size_arena, start_arena);
    for (std::size_t k = 0; k < n; ++k) plan.slots[k].offset = bufs[buffer_of[k]].offset;
    return plan;
}

/// What is wrong with `plan` for `g` (empty: nothing). Checks it against the graph, not against itself:
/// every node output has exactly one slot of at least its size, the lifetimes are the graph's, offsets
/// are aligned, every slot fits in the arena, no two values live at the same time share a byte unless one
/// is written in place over the other (an input of its producer that dies there, same offset and size).
template <class Traits>
[[nodiscard]] std::vector<std::string> check_plan(const basic_graph<Traits>& g, const memory_plan& plan) {
    namespace dm = detail::memory;
    std::vector<std::string> bad;
    const dm::liveness<Traits> live(g);
    auto num = [](std::size_t x) { return std::to_string(x); };
    auto quoted = [](const std::string& s) { return "'" + s + "'"; };

    std::map<std::string_view, std::size_t> slot_of;  // value name -> slot index
    for (std::size_t s = 0; s < plan.slots.size(); ++s)
        if (!slot_of.emplace(plan.slots[s].value, s).second) bad.push_back("value " + quoted(plan.slots[s].value) + " has more than one slot");
    // lifetimes by slot, from the graph where the slot names a node output
    std::vector<std::pair<std::size_t, std::size_t>> life(plan.slots.size());
    std::vector<const dm::live_value<Traits>*> value_of(plan.slots.size(), nullptr);
    for (std::size_t s = 0; s < plan.slots.size(); ++s) life[s] = {plan.slots[s].first, plan.slots[s].last};
    for (const auto& lv : live.values) {
        auto it = slot_of.find(lv.value->name());
        if (it == slot_of.end()) {
            bad.push_back(dm::describe_value(*lv.value) + " has no slot");
            continue;
        }
        const auto& slot = plan.slots[it->second];
        value_of[it->second] = &lv;
        life[it->second] = {lv.first, lv.last};
        if (!lv.size.problem.empty())
            bad.push_back(dm::describe_value(*lv.value) + " cannot be sized: " + lv.size.problem);
        else if (slot.bytes < lv.size.bytes)
            bad.push_back("slot " + quoted(slot.value) + " has " + num(slot.bytes) + " bytes but the value needs " + num(lv.size.bytes));
        if (slot.first != lv.first || slot.last != lv.last)
            bad.push_back("slot " + quoted(slot.value) + " says live from node " + num(slot.first) + " to " + num(slot.last) +
                          ", the graph says " + num(lv.first) + " to " + num(lv.last));
    }
    for (std::size_t s = 0; s < plan.slots.size(); ++s) {
        const auto& slot = plan.slots[s];
        if (!value_of[s] && slot_of.at(slot.value) == s)  // (a duplicate is reported above)
            bad.push_back("slot " + quoted(slot.value) + " names no value that a node of the graph produces");
        if (plan.alignment == 0) {
            if (s == 0) bad.push_back("the plan's alignment is 0");
        } else if (slot.offset % plan.alignment != 0) {
            bad.push_back("slot " + quoted(slot.value) + " at offset " + num(slot.offset) + " is not aligned to " + num(plan.alignment));
        }
        if (slot.offset > plan.arena_bytes || slot.bytes > plan.arena_bytes - slot.offset)
            bad.push_back("slot " + quoted(slot.value) + " [" + num(slot.offset) + ", " + num(slot.offset + slot.bytes) +
                          ") does not fit in the arena of " + num(plan.arena_bytes) + " bytes");
    }

    // An alias is valid when it names an input of its producer that dies there, at the same place and size.
    std::vector<bool> valid_alias(plan.slots.size(), false);
    for (std::size_t s = 0; s < plan.slots.size(); ++s) {
        const auto& slot = plan.slots[s];
        if (slot.alias_of.empty()) continue;
        auto it = slot_of.find(slot.alias_of);
        std::string why;
        if (it == slot_of.end()) why = "which has no slot";
        else if (const auto& t = plan.slots[it->second]; t.offset != slot.offset || t.bytes != slot.bytes)
            why = "but is at [" + num(slot.offset) + ", " + num(slot.offset + slot.bytes) + "), not at its [" + num(t.offset) + ", " +
                  num(t.offset + t.bytes) + ")";
        else if (!value_of[s] || !value_of[it->second]) why = "which is not a node output of the graph";
        else if (const auto& ins = value_of[s]->value->producer()->inputs();
                 std::find(ins.begin(), ins.end(), value_of[it->second]->value) == ins.end())
            why = "which its producer does not read";
        else if (life[it->second].second != life[s].first || value_of[it->second]->value->is_graph_output())
            why = "which is still live after node " + num(life[s].first);
        if (why.empty()) valid_alias[s] = true;
        else bad.push_back("slot " + quoted(slot.value) + " is written in place over " + quoted(slot.alias_of) + ", " + why);
    }

    // Values live at the same time must not share bytes: sweep the slots by offset.
    std::vector<std::size_t> by_offset;
    for (std::size_t s = 0; s < plan.slots.size(); ++s)
        if (plan.slots[s].bytes > 0) by_offset.push_back(s);
    std::stable_sort(by_offset.begin(), by_offset.end(), [&](auto a, auto b) { return plan.slots[a].offset < plan.slots[b].offset; });
    for (std::size_t i = 0; i < by_offset.size(); ++i) {
        const auto a = by_offset[i];
        const auto& sa = plan.slots[a];
        for (std::size_t j = i + 1; j < by_offset.size() && plan.slots[by_offset[j]].offset < sa.offset + sa.bytes; ++j) {
            const auto b = by_offset[j];
            const auto& sb = plan.slots[b];
            if (life[a].second < life[b].first || life[b].second < life[a].first) continue;  // never live together
            if ((valid_alias[a] && sa.alias_of == sb.value) || (valid_alias[b] && sb.alias_of == sa.value)) continue;
            auto describe = [&](std::size_t s) {
                const auto& x = plan.slots[s];
                return quoted(x.value) + " (nodes " + num(life[s].first) + ".." + num(life[s].second) + ", bytes [" + num(x.offset) +
                       ", " + num(x.offset + x.bytes) + "))";
            };
            bad.push_back("values " + describe(a) + " and " + describe(b) + " are live at the same time and share memory");
        }
    }
    return bad;
}

/// The pass: plans the arena of the (gear) graph into `result` and counts what it did; changes nothing.
struct plan_memory_pass {
    static constexpr std::string_view name = "plan_memory";
    memory_options options;
    memory_plan result;

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) {
        result = plan_memory(g, options);
        ctx.count("plan_memory.values", result.slots.size());
        ctx.count("plan_memory.in_place", result.in_place);
        ctx.count("plan_memory.arena_bytes", result.arena_bytes);
        ctx.count("plan_memory.naive_bytes", result.naive_bytes);
        return false;
    }
};

}  // namespace passes

GEARC_END_NAMESPACE
