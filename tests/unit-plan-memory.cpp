// Tests of passes::plan_memory: liveness, in-place reuse, arena sizes, check_plan, and random graphs.
#include "test_support.hpp"

#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using gearc::dim;
using gearc::dtype;
using gearc::shape;
using gearc::value_type;
using gearc::passes::check_plan;
using gearc::passes::memory_options;
using gearc::passes::memory_plan;
using gearc::passes::plan_memory;

/// A graph built one node at a time; every node is named after its (first) output.
struct builder {
    std::unique_ptr<gearc::graph> g = std::make_unique<gearc::graph>("t");

    gearc::value* input(const std::string& name, std::optional<shape> s, dtype t = dtype::float32) {
        return g->add_input(name, value_type::tensor_of(t, std::move(s)));
    }
    gearc::value* op(const std::string& op, std::vector<gearc::value*> ins, const std::string& out, std::optional<shape> s,
                     dtype t = dtype::float32, const std::string& domain = {}) {
        return multi(op, std::move(ins), {{out, std::move(s), t}}, domain)[0];
    }
    struct out_spec {
        std::string name;
        std::optional<shape> dims;
        dtype type = dtype::float32;
    };
    std::vector<gearc::value*> multi(const std::string& op, std::vector<gearc::value*> ins, const std::vector<out_spec>& outs,
                                     const std::string& domain = {}) {
        std::vector<gearc::value*> vs;
        for (const auto& o : outs) vs.push_back(g->add_value(o.name, value_type::tensor_of(o.type, o.dims)));
        g->add_node(op, std::move(ins), vs, {}, outs.at(0).name + "_node", domain);
        return vs;
    }
    void output(gearc::value* v) { g->add_output(v); }
};

const gearc::passes::memory_slot& slot(const memory_plan& p, const std::string& name) {
    const auto* s = p.find(name);
    REQUIRE_MESSAGE(s != nullptr, "no slot for " << name);
    return *s;
}

bool mentions(const std::vector<std::string>& bad, const std::string& text) {
    return std::any_of(bad.begin(), bad.end(), [&](const std::string& b) { return b.find(text) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& bad) {
    std::string s;
    for (const auto& b : bad) s += b + "\n";
    return s;
}

/// The GC4004 message plan_memory throws for `g` ("(no error)" when it plans).
std::string not_static_error(const gearc::graph& g) {
    try {
        (void)plan_memory(g);
    } catch (const gearc::compile_error& e) {
        CHECK(e.code() == "GC4004");
        CHECK_FALSE(e.solution().empty());
        return e.what();
    }
    return "(no error)";
}

/// x -> op0 -> a -> op1 -> b -> op2 -> c -> op3 -> y (graph output), every value float32[2,3,5] (120 bytes).
builder chain(const std::vector<std::string>& ops) {
    builder b;
    auto* v = b.input("x", shape{2, 3, 5});
    const char* names[] = {"a", "b", "c", "y"};
    for (std::size_t i = 0; i < 4; ++i) v = b.op(ops[i], {v}, names[i], shape{2, 3, 5});
    b.output(v);
    return b;
}

}  // namespace

TEST_CASE("a chain of four equal ops needs two buffers, one when written in place") {
    SUBCASE("non-elementwise ops: two buffers, used alternately") {
        auto b = chain({"Transpose", "Transpose", "Transpose", "Transpose"});
        auto p = plan_memory(*b.g);
        REQUIRE(p.slots.size() == 4);
        CHECK(p.arena_bytes == 256);  // 2 x 120 rounded up to 64
        CHECK(p.naive_bytes == 512);
        CHECK(p.in_place == 0);
        CHECK(p.alignment == 64);
        // production order, the lifetimes of a chain, the graph output to the last node
        std::vector<std::string> names;
        for (const auto& s : p.slots) names.push_back(s.value);
        CHECK(names == std::vector<std::string>{"a", "b", "c", "y"});
        CHECK(slot(p, "a").first == 0);
        CHECK(slot(p, "a").last == 1);
        CHECK(slot(p, "c").first == 2);
        CHECK(slot(p, "c").last == 3);
        CHECK(slot(p, "y").first == 3);
        CHECK(slot(p, "y").last == 3);
        CHECK(slot(p, "a").bytes == 128);
        CHECK(slot(p, "a").offset == slot(p, "c").offset);
        CHECK(slot(p, "b").offset == slot(p, "y").offset);
        CHECK(slot(p, "a").offset != slot(p, "b").offset);
        CHECK(p.find("x") == nullptr);  // graph inputs live outside the arena
        CHECK(check_plan(*b.g, p).empty());
    }
    SUBCASE("elementwise ops, in place off: still two buffers") {
        auto b = chain({"Relu", "Sigmoid", "Tanh", "Exp"});
        auto p = plan_memory(*b.g, memory_options{64, false});
        CHECK(p.arena_bytes == 256);
        CHECK(p.in_place == 0);
        CHECK(check_plan(*b.g, p).empty());
    }
    SUBCASE("elementwise ops in place: one buffer, each output over its input") {
        auto b = chain({"Relu", "Sigmoid", "Tanh", "Exp"});
        auto p = plan_memory(*b.g);
        CHECK(p.arena_bytes == 128);
        CHECK(p.naive_bytes == 512);
        CHECK(p.in_place == 3);
        CHECK(slot(p, "a").alias_of.empty());  // its input is a graph input
        CHECK(slot(p, "b").alias_of == "a");
        CHECK(slot(p, "c").alias_of == "b");
        CHECK(slot(p, "y").alias_of == "c");   // a graph output may be written over a dying intermediate
        for (const auto& s : p.slots) CHECK(s.offset == 0);
        CHECK(slot(p, "b").first == 1);  // an alias keeps its own lifetime
        CHECK(slot(p, "b").last == 2);
        CHECK(check_plan(*b.g, p).empty());
    }
    SUBCASE("alignment 1 packs exact sizes; 0 is taken as 1") {
        auto b = chain({"Transpose", "Transpose", "Transpose", "Transpose"});
        auto p = plan_memory(*b.g, memory_options{1, true});
        CHECK(p.arena_bytes == 240);
        CHECK(p.naive_bytes == 480);
        CHECK(p.alignment == 1);
        auto q = plan_memory(*b.g, memory_options{0, true});
        CHECK(q == p);
        auto r = plan_memory(*b.g, memory_options{256, true});
        CHECK(r.arena_bytes == 512);
        for (const auto& s : r.slots) CHECK(s.offset % 256 == 0);
    }
}

TEST_CASE("a value read by two branches stays live until the second one") {
    // a (4 KiB) feeds b and c (1 KiB each); y = join(b, c) (1 KiB).
    auto diamond = [](bool c_reads_a) {
        builder b;
        auto* x = b.input("x", shape{1024});
        auto* a = b.op("Conv", {x}, "a", shape{1024});
        auto* l = b.op("MaxPool", {a}, "b", shape{256});
        auto* r = b.op("AveragePool", {c_reads_a ? a : x}, "c", shape{256});
        b.output(b.op("Concat", {l, r}, "y", shape{256}));
        return b;
    };
    auto b = diamond(true);
    auto p = plan_memory(*b.g);
    CHECK(slot(p, "a").first == 0);
    CHECK(slot(p, "a").last == 2);  // live across the branch that does not read it
    CHECK(slot(p, "b").last == 3);
    CHECK(slot(p, "c").last == 3);
    CHECK(p.arena_bytes == 6144);  // a, b and c are all live at node 2
    CHECK(p.naive_bytes == 7168);
    CHECK(slot(p, "y").offset == slot(p, "a").offset);  // y reuses a's bytes once a is dead
    CHECK(check_plan(*b.g, p).empty());

    // when only b reads a, a dies at node 1 and c can take part of its bytes
    auto b2 = diamond(false);
    auto p2 = plan_memory(*b2.g);
    CHECK(slot(p2, "a").last == 1);
    CHECK(p2.arena_bytes == 5120);
    CHECK(check_plan(*b2.g, p2).empty());
}

TEST_CASE("in place on a diamond: only an input that dies at the node is overwritten") {
    builder b;
    auto* x = b.input("x", shape{4, 16});
    auto* a = b.op("Conv", {x}, "a", shape{4, 16});
    auto* l = b.op("Relu", {a}, "b", shape{4, 16});     // a is still needed by c: no
    auto* r = b.op("Sigmoid", {a}, "c", shape{4, 16});  // a dies here: c over a
    b.output(b.op("Add", {l, r}, "y", shape{4, 16}));   // both die: y over the first, b
    auto p = plan_memory(*b.g);
    CHECK(p.in_place == 2);
    CHECK(slot(p, "b").alias_of.empty());
    CHECK(slot(p, "c").alias_of == "a");
    CHECK(slot(p, "y").alias_of == "b");
    CHECK(slot(p, "c").offset == slot(p, "a").offset);
    CHECK(slot(p, "y").offset == slot(p, "b").offset);
    CHECK(p.arena_bytes == 512);  // two buffers of 256
    CHECK(check_plan(*b.g, p).empty());
    CHECK(plan_memory(*b.g, memory_options{64, false}).arena_bytes == 768);
}

TEST_CASE("in place needs the same bytes, element size, exact shape and an ai.onnx elementwise op") {
    builder b;
    auto* x = b.input("x", shape{4, 16});
    auto* a = b.op("Conv", {x}, "a", shape{4, 16});
    auto* w = b.op("Conv", {x}, "w", shape{16});
    auto* s = b.op("Add", {w, a}, "s", shape{4, 16});                     // w broadcasts: s over a (input 1)
    auto* f = b.op("Cast", {s}, "f", shape{4, 16}, dtype::int32);          // same element size: over s
    auto* h = b.op("Cast", {f}, "h", shape{4, 16}, dtype::int64);          // 8-byte elements: new buffer
    auto* k = b.op("Relu", {h}, "k", shape{4, 16}, dtype::int64, "ai.gearc");  // gearc's own ops: never in place
    auto* m = b.op("Relu", {k}, "m", shape{4, 16}, dtype::int64, "ai.onnx");
    auto* t = b.op("Transpose", {m}, "t", shape{16, 4}, dtype::int64);     // not elementwise
    b.output(t);
    auto p = plan_memory(*b.g);
    CHECK(slot(p, "s").alias_of == "a");
    CHECK(slot(p, "f").alias_of == "s");
    CHECK(slot(p, "h").alias_of.empty());
    CHECK(slot(p, "k").alias_of.empty());
    CHECK(slot(p, "m").alias_of == "k");
    CHECK(slot(p, "t").alias_of.empty());
    CHECK(p.in_place == 3);
    CHECK(check_plan(*b.g, p).empty());
}

TEST_CASE("graph outputs live to the end and are never written over") {
    auto make = [](bool first_is_output) {
        builder b;
        auto* x = b.input("x", shape{8, 8});
        auto* o1 = b.op("Transpose", {x}, "o1", shape{8, 8});
        auto* t = b.op("Relu", {o1}, "t", shape{8, 8});
        auto* y = b.op("Relu", {t}, "y", shape{8, 8});
        if (first_is_output) b.output(o1);
        b.output(y);
        return b;
    };
    auto b = make(true);
    auto p = plan_memory(*b.g);
    CHECK(slot(p, "o1").last == 2);         // read last by node 1, but a graph output
    CHECK(slot(p, "t").alias_of.empty());   // o1 must survive: t gets its own buffer
    CHECK(slot(p, "y").alias_of == "t");
    CHECK(p.arena_bytes == 512);
    CHECK(check_plan(*b.g, p).empty());
    auto p_no_inplace = plan_memory(*b.g, memory_options{64, false});
    CHECK(p_no_inplace.arena_bytes == 768);  // o1, t, y all live at node 2

    auto b2 = make(false);
    auto p2 = plan_memory(*b2.g, memory_options{64, false});
    CHECK(slot(p2, "o1").last == 1);
    CHECK(p2.arena_bytes == 512);
    CHECK(plan_memory(*b2.g).arena_bytes == 256);  // t over o1, y over t
}

TEST_CASE("a graph output read by the last node is not written over") {
    builder b;
    auto* x = b.input("x", shape{8, 8});
    auto* o = b.op("Transpose", {x}, "o", shape{8, 8});
    b.output(o);
    b.output(b.op("Relu", {o}, "y", shape{8, 8}));  // o dies here as far as nodes go, but is returned
    auto p = plan_memory(*b.g);
    CHECK(slot(p, "o").last == 1);
    CHECK(slot(p, "y").alias_of.empty());
    CHECK(p.arena_bytes == 512);
    CHECK(check_plan(*b.g, p).empty());
}

TEST_CASE("a value read inside a subgraph lives until the node that owns the subgraph") {
    builder b;
    auto* x = b.input("x", shape{16});
    auto* cond = b.input("cond", shape{}, dtype::boolean);
    auto* a = b.op("Conv", {x}, "a", shape{16});
    auto branch = [&](const std::string& name) {
        auto sg = std::make_shared<gearc::graph>(name);
        auto* ref = sg->add_outer_ref("a", a->type());
        sg->add_output(sg->add_node("Relu", {ref}, 1, {}, name + "_relu")->output(0));
        return sg;
    };
    auto* w = b.op("Conv", {x}, "w", shape{16});
    auto* r = b.g->add_value("r", value_type::tensor_of(dtype::float32, shape{16}));
    b.g->add_node("If", {cond}, {r}, {{"then_branch", branch("then")}, {"else_branch", branch("else")}}, "if");
    b.output(b.op("Add", {r, w}, "y", shape{16}));
    auto p = plan_memory(*b.g);
    CHECK(slot(p, "a").last == 2);  // read by the If's branches, not by any node of this graph
    CHECK(slot(p, "r").offset != slot(p, "a").offset);
    CHECK(p.arena_bytes == 192);  // a, w, r all live at the If
    CHECK(check_plan(*b.g, p).empty());
}

TEST_CASE("outputs nobody reads still get bytes for the node that writes them") {
    builder b;
    auto* x = b.input("x", shape{16});
    auto outs = b.multi("Split", {x}, {{"p", shape{16}, dtype::float32}, {"q", shape{16}, dtype::float32}});
    auto d = b.multi("Dropout", {outs[0]}, {{"d", shape{16}, dtype::float32}, {"mask", shape{16}, dtype::boolean}});
    b.output(b.op("Relu", {d[0]}, "y", shape{16}));
    auto p = plan_memory(*b.g);
    CHECK(slot(p, "q").first == 0);
    CHECK(slot(p, "q").last == 0);
    CHECK(slot(p, "p").offset != slot(p, "q").offset);  // written by the same node
    CHECK(slot(p, "d").alias_of == "p");                // Dropout's output 0 is elementwise
    CHECK(slot(p, "mask").alias_of.empty());            // its mask is not
    CHECK(slot(p, "mask").bytes == 64);
    CHECK(check_plan(*b.g, p).empty());
}

TEST_CASE("a range dim is sized by its upper bound") {
    builder b;
    auto* x = b.input("x", shape{dim::range(1, 8), 16});
    auto* a = b.op("Conv", {x}, "a", shape{dim::range(1, 8), 16});
    auto* r = b.op("Relu", {a}, "r", shape{dim::range(1, 8), 16});  // unary: in place even with a range
    auto* a2 = b.op("Conv", {x}, "a2", shape{dim::range(1, 8), 16});
    auto* s = b.op("Add", {r, a2}, "s", shape{dim::range(1, 8), 16});  // could broadcast at run time: no
    auto* t = b.op("Transpose", {s}, "t", shape{3, dim::range(2, 5)}, dtype::float16);
    b.output(t);
    auto p = plan_memory(*b.g, memory_options{1, true});
    CHECK(slot(p, "a").bytes == 8 * 16 * 4);
    CHECK(slot(p, "t").bytes == 3 * 5 * 2);
    CHECK(slot(p, "r").alias_of == "a");
    CHECK(slot(p, "s").alias_of.empty());
    CHECK(check_plan(*b.g, p).empty());
    CHECK(plan_memory(*b.g).slots.back().bytes == 64);  // 30 rounded up
}

TEST_CASE("a dim that is not static and not a bounded range is GC4004 naming the value and its producer") {
    auto with = [](shape s, dtype t = dtype::float32) {
        builder b;
        auto* x = b.input("x", shape{4, 4});
        b.output(b.op("Relu", {x}, "y", std::move(s), t));
        return b;
    };
    CHECK(not_static_error(*with(shape{dim::symbol("N"), 4}).g) ==
          "GC4004: cannot plan memory: value 'y' (output 0 of Relu 'y_node') of type float32[N,4]: dim 0 is the symbol 'N'");
    CHECK(not_static_error(*with(shape{4, dim::symbol("floor((H-1)/2)+1")}).g) ==
          "GC4004: cannot plan memory: value 'y' (output 0 of Relu 'y_node') of type float32[4,floor((H-1)/2)+1]: dim 1 is "
          "the symbol 'floor((H-1)/2)+1'");
    CHECK(not_static_error(*with(shape{4, dim::unknown()}).g) ==
          "GC4004: cannot plan memory: value 'y' (output 0 of Relu 'y_node') of type float32[4,?]: dim 1 is unknown");
    CHECK(not_static_error(*with(shape{dim::range(1, -1)}).g) ==
          "GC4004: cannot plan memory: value 'y' (output 0 of Relu 'y_node') of type float32[1~-1]: dim 0 is the unbounded "
          "range 1~-1");
    builder no_rank;
    no_rank.output(no_rank.op("Relu", {no_rank.input("x", shape{4})}, "y", std::nullopt));
    CHECK(not_static_error(*no_rank.g) ==
          "GC4004: cannot plan memory: value 'y' (output 0 of Relu 'y_node') of type float32[*]: has no shape (unknown rank)");
    CHECK(not_static_error(*with(shape{4}, dtype::string).g) ==
          "GC4004: cannot plan memory: value 'y' (output 0 of Relu 'y_node') of type string[4]: has element type string, "
          "which has no fixed size");

    // dynamic graph inputs are fine: only node outputs are planned
    builder b;
    auto* x = b.input("x", shape{dim::symbol("N"), 4});
    b.output(b.op("Shape", {x}, "s", shape{2}, dtype::int64));
    auto p = plan_memory(*b.g);
    CHECK(p.slots.size() == 1);
    CHECK(p.arena_bytes == 64);
}

TEST_CASE("check_plan finds what is wrong with a plan") {
    builder b;
    auto* x = b.input("x", shape{64});
    auto* a = b.op("Conv", {x}, "a", shape{64});
    auto* l = b.op("MaxPool", {a}, "b", shape{64});
    auto* r = b.op("AveragePool", {a}, "c", shape{64});
    b.output(b.op("Concat", {l, r}, "y", shape{64}));
    const auto good = plan_memory(*b.g);
    REQUIRE(check_plan(*b.g, good).empty());
    REQUIRE(good.arena_bytes == 768);
    auto broken = [&](auto&& edit) {
        auto p = good;
        edit(p);
        return check_plan(*b.g, p);
    };
    auto at = [](memory_plan& p, const std::string& name) -> gearc::passes::memory_slot& {
        for (auto& s : p.slots)
            if (s.value == name) return s;
        FAIL("no slot " << name);
        return p.slots.front();
    };

    SUBCASE("two live values on the same bytes") {
        auto bad = broken([&](memory_plan& p) { at(p, "c").offset = at(p, "b").offset; });
        const auto bo = std::to_string(good.find("b")->offset);
        const auto be = std::to_string(good.find("b")->offset + 256);
        const bool found = mentions(bad, "'b' (nodes 1..3, bytes [" + bo + ", " + be + ")) and 'c' (nodes 2..3, bytes [" + bo +
                                             ", " + be + ")) are live at the same time and share memory");
        CHECK_MESSAGE(found, joined(bad));
    }
    SUBCASE("a partial overlap") {
        auto bad = broken([&](memory_plan& p) {
            at(p, "c").offset = at(p, "a").offset + 128;  // half over a, which is live at node 2
        });
        CHECK_MESSAGE(mentions(bad, "are live at the same time and share memory"), joined(bad));
    }
    SUBCASE("misaligned") {
        auto bad = broken([&](memory_plan& p) {
            at(p, "y").offset += 8;
            p.arena_bytes += 8;
        });
        CHECK_MESSAGE(mentions(bad, "slot 'y' at offset " + std::to_string(good.find("y")->offset + 8) + " is not aligned to 64"),
                      joined(bad));
    }
    SUBCASE("an arena too small") {
        auto bad = broken([&](memory_plan& p) { p.arena_bytes = 512; });
        CHECK_MESSAGE(mentions(bad, ") does not fit in the arena of 512 bytes"), joined(bad));
    }
    SUBCASE("a missing slot, an unknown one, a duplicate") {
        auto bad = broken([&](memory_plan& p) {
            p.slots.erase(p.slots.begin());
            p.slots.push_back(p.slots.back());
            p.slots.push_back({"x", 0, 256, 0, 0, {}});
        });
        CHECK_MESSAGE(mentions(bad, "value 'a' (output 0 of Conv 'a_node') has no slot"), joined(bad));
        CHECK_MESSAGE(mentions(bad, "value 'y' has more than one slot"), joined(bad));
        CHECK_MESSAGE(mentions(bad, "slot 'x' names no value that a node of the graph produces"), joined(bad));
    }
    SUBCASE("a slot smaller than its value") {
        auto bad = broken([&](memory_plan& p) { at(p, "a").bytes = 128; });
        CHECK_MESSAGE(mentions(bad, "slot 'a' has 128 bytes but the value needs 256"), joined(bad));
    }
    SUBCASE("a lifetime that is not the graph's") {
        auto bad = broken([&](memory_plan& p) { at(p, "a").last = 1; });
        CHECK_MESSAGE(mentions(bad, "slot 'a' says live from node 0 to 1, the graph says 0 to 2"), joined(bad));
    }
    SUBCASE("an alias over an input that is still live") {
        auto bad = broken([&](memory_plan& p) {
            at(p, "b").offset = at(p, "a").offset;
            at(p, "b").alias_of = "a";
        });
        CHECK_MESSAGE(mentions(bad, "slot 'b' is written in place over 'a', which is still live after node 1"), joined(bad));
        CHECK_MESSAGE(mentions(bad, "are live at the same time and share memory"), joined(bad));
    }
    SUBCASE("an alias at another place") {
        auto bad = broken([&](memory_plan& p) { at(p, "c").alias_of = "a"; });
        CHECK_MESSAGE(mentions(bad, "slot 'c' is written in place over 'a', but is at ["), joined(bad));
    }
    SUBCASE("an alias over a value its producer does not read") {
        auto bad = broken([&](memory_plan& p) {
            at(p, "y").alias_of = "a";
            at(p, "y").offset = at(p, "a").offset;
        });
        CHECK_MESSAGE(mentions(bad, "slot 'y' is written in place over 'a', which its producer does not read"), joined(bad));
    }
}

TEST_CASE("the plan is deterministic and the pass reports it") {
    auto b = chain({"Relu", "Transpose", "Tanh", "Exp"});
    auto p = plan_memory(*b.g);
    CHECK(plan_memory(*b.g) == p);
    auto clone = b.g->clone();
    CHECK(plan_memory(*clone) == p);

    static_assert(gearc::pass_for<gearc::passes::plan_memory_pass>);
    gearc::passes::plan_memory_pass pass;
    gearc::pass_context ctx;
    CHECK_FALSE(pass.run(*b.g, ctx));  // plans, changes nothing
    CHECK(pass.result == p);
    CHECK(ctx.counter("plan_memory.values") == 4);
    CHECK(ctx.counter("plan_memory.in_place") == 2);
    CHECK(ctx.counter("plan_memory.arena_bytes") == p.arena_bytes);
    CHECK(ctx.counter("plan_memory.naive_bytes") == 512);

    gearc::pipeline<gearc::passes::plan_memory_pass> pipe;
    CHECK_FALSE(pipe.run(*b.g, ctx));
    CHECK(std::get<0>(pipe.passes).result == p);
}

namespace {

/// numpy broadcasting of two shapes; nullopt when they do not broadcast.
std::optional<shape> broadcast(const shape& a, const shape& b) {
    const std::size_t r = std::max(a.rank(), b.rank());
    std::vector<dim> out(r);
    for (std::size_t i = 0; i < r; ++i) {
        const dim da = i < r - a.rank() ? dim(1) : a[i - (r - a.rank())];
        const dim db = i < r - b.rank() ? dim(1) : b[i - (r - b.rank())];
        if (da == db) out[i] = da;
        else if (da == dim(1)) out[i] = db;
        else if (db == dim(1)) out[i] = da;
        else return std::nullopt;
    }
    return shape(out);
}

std::size_t value_bytes(const gearc::value& v) {
    std::size_t n = gearc::size_of(v.elem_type());
    for (const auto& d : *v.dims()) n *= static_cast<std::size_t>(d.is_range() ? d.hi() : d.value());
    return n;
}

/// A random DAG: nodes read random earlier values; unary and broadcasting elementwise ops, casts, and
/// opaque ops with one to three outputs of random shapes. Some values are graph outputs.
std::unique_ptr<gearc::graph> random_graph(std::mt19937& rng) {
    const std::vector<shape> pool{shape{},  shape{1},    shape{8},       shape{4, 8}, shape{4, 1}, shape{2, 4, 8},
                                  shape{3}, shape{0, 8}, shape{dim::range(1, 6), 8}, shape{1, 8}};
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    builder b;
    std::vector<gearc::value*> vals;
    const std::size_t inputs = 1 + pick(3);
    for (std::size_t i = 0; i < inputs; ++i) vals.push_back(b.input("in" + std::to_string(i), pool[pick(pool.size())]));
    if (pick(2)) vals.push_back(b.g->add_initializer("w", gearc::tensor::from<float>({8}, std::vector<float>(8, 1.0f))));
    const std::size_t nodes = 1 + pick(30);
    const char* unary[] = {"Relu", "Sigmoid", "Tanh", "Exp", "Neg", "Identity"};
    const char* binary[] = {"Add", "Mul", "Sub", "Div", "Max"};
    for (std::size_t n = 0; n < nodes; ++n) {
        const std::string name = "v" + std::to_string(n);
        auto* a = vals[pick(vals.size())];
        switch (pick(5)) {
            case 0:
            case 1: vals.push_back(b.op(unary[pick(6)], {a}, name, a->dims(), a->elem_type())); break;
            case 2: {
                auto* c = vals[pick(vals.size())];
                auto s = broadcast(*a->dims(), *c->dims());
                if (!s || a->elem_type() != c->elem_type()) {
                    vals.push_back(b.op("Relu", {a}, name, a->dims(), a->elem_type()));
                    break;
                }
                vals.push_back(b.op(binary[pick(5)], {a, c}, name, s, a->elem_type()));
                break;
            }
            case 3: {
                const dtype to[] = {dtype::float32, dtype::int32, dtype::int64, dtype::float16};
                vals.push_back(b.op("Cast", {a}, name, a->dims(), to[pick(4)]));
                break;
            }
            default: {
                std::vector<gearc::value*> ins{a};
                for (std::size_t i = pick(3); i > 0; --i) ins.push_back(vals[pick(vals.size())]);
                std::vector<builder::out_spec> outs;
                for (std::size_t i = 0, k = 1 + pick(3); i < k; ++i)
                    outs.push_back({name + "_" + std::to_string(i), pool[pick(pool.size())], dtype::float32});
                for (auto* v : b.multi("Opaque", ins, outs)) vals.push_back(v);
            }
        }
    }
    for (auto* v : vals)
        if (v->producer() && pick(5) == 0) b.output(v);
    b.output(vals.back());
    return std::move(b.g);
}

/// An independent check of a plan (not check_plan): recomputes lifetimes from the use lists and tests every
/// pair of values; returns the first problem, or "".
std::string independent_check(const gearc::graph& g, const memory_plan& p) {
    const auto order = g.topological_order();
    struct life {
        std::size_t first, last;
        const gearc::value* v;
    };
    std::vector<life> lives;
    std::vector<const gearc::passes::memory_slot*> slots;
    for (std::size_t i = 0; i < order.size(); ++i)
        for (auto* v : order[i]->outputs()) {
            std::size_t last = v->is_graph_output() ? order.size() - 1 : i;
            for (const auto& u : v->uses())
                last = std::max(last, std::size_t(std::find(order.begin(), order.end(), u.user) - order.begin()));
            lives.push_back({i, last, v});
            slots.push_back(p.find(v->name()));
            if (!slots.back()) return "no slot for " + v->name();
            if (slots.back()->bytes < value_bytes(*v)) return "too small: " + v->name();
            if (slots.back()->offset + slots.back()->bytes > p.arena_bytes) return "outside the arena: " + v->name();
            if (slots.back()->offset % p.alignment) return "misaligned: " + v->name();
        }
    if (p.slots.size() != lives.size()) return "extra slots";
    for (std::size_t i = 0; i < lives.size(); ++i)
        for (std::size_t j = i + 1; j < lives.size(); ++j) {
            const auto &x = *slots[i], &y = *slots[j];
            if (lives[i].last < lives[j].first || lives[j].last < lives[i].first) continue;
            if (x.bytes == 0 || y.bytes == 0 || x.offset + x.bytes <= y.offset || y.offset + y.bytes <= x.offset) continue;
            // j written in place over i: i is an input of j's producer and dies there
            const auto& ins = lives[j].v->producer()->inputs();
            if (y.alias_of == x.value && std::find(ins.begin(), ins.end(), lives[i].v) != ins.end() &&
                lives[i].last == lives[j].first && !lives[i].v->is_graph_output())
                continue;
            return "overlap: " + x.value + " and " + y.value;
        }
    return "";
}

/// The least any arena can be without in-place: the most bytes live at one node.
std::size_t peak_live(const memory_plan& p) {
    std::size_t peak = 0, end = 0;
    for (const auto& s : p.slots) end = std::max(end, s.last);
    for (std::size_t t = 0; t <= end; ++t) {
        std::size_t live = 0;
        for (const auto& s : p.slots)
            if (s.first <= t && t <= s.last) live += s.bytes;
        peak = std::max(peak, live);
    }
    return peak;
}

}  // namespace

TEST_CASE("random graphs: every plan is valid and no larger than one buffer per value") {
    std::size_t aliased = 0, reused = 0, corrupted = 0;
    for (unsigned seed = 0; seed < 100; ++seed) {
        CAPTURE(seed);
        std::mt19937 rng(seed);
        auto g = random_graph(rng);
        for (bool in_place : {false, true}) {
            CAPTURE(in_place);
            const std::size_t alignment = seed % 3 == 0 ? 1 : 64;
            const auto p = plan_memory(*g, memory_options{alignment, in_place});
            const auto bad = check_plan(*g, p);
            CHECK_MESSAGE(bad.empty(), joined(bad));
            CHECK(independent_check(*g, p) == "");
            CHECK(p.arena_bytes <= p.naive_bytes);
            if (!in_place) {
                CHECK(p.arena_bytes >= peak_live(p));
                CHECK(p.in_place == 0);
            }
            CHECK(plan_memory(*g, memory_options{alignment, in_place}) == p);
            aliased += p.in_place;
            reused += p.arena_bytes < p.naive_bytes;

            // Moving a slot onto another that is live at the same time must be caught (one per plan).
            [&] {
                for (std::size_t i = 0; i < p.slots.size(); ++i)
                    for (std::size_t j = 0; j < p.slots.size(); ++j) {
                        const auto &x = p.slots[i], &y = p.slots[j];
                        if (i == j || x.bytes == 0 || y.bytes == 0 || x.offset == y.offset) continue;
                        if (x.last < y.first || y.last < x.first) continue;
                        auto broken = p;
                        broken.slots[i].offset = y.offset;
                        broken.slots[i].alias_of.clear();
                        broken.arena_bytes = std::max(broken.arena_bytes, y.offset + x.bytes);
                        CHECK_FALSE(check_plan(*g, broken).empty());
                        CHECK(independent_check(*g, broken) != "");
                        ++corrupted;
                        return;
                    }
            }();
        }
    }
    // the generator does exercise what it is meant to
    CHECK(aliased > 50);
    CHECK(reused > 50);
    CHECK(corrupted > 50);
}
