// Tests of the tensor-operator shape rules and of shape-value propagation (Shape -> Gather -> Concat -> Reshape).
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace gearc;

namespace {

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();

dim sym(const char* name) { return dim::symbol(name); }

using ints = std::vector<std::int64_t>;
using context = passes::infer_context<default_ir_traits>;

// ---- observing shape values: a test-only op records what the driver knows about its input's elements ----

std::map<std::string, std::string>& probed() {
    static std::map<std::string, std::string> m;
    return m;
}
void probe_rule(context& c) {
    if (const auto* t = c.input_type(0)) c.set_output_type(0, *t);
    const auto* v = c.input_value(0);
    probed()[std::string(c.node().name())] = v ? shape(*v).to_string() : std::string("none");
}

// ---- stand-ins for the elementwise and reduce type rules, used only while the default table lacks them ----

void broadcast_rule(context& c) {
    shape out;
    for (std::size_t i = 0; i < c.num_inputs(); ++i) {
        const shape* s = c.input_shape(i);
        if (!s) return c.set_output_unknown_rank(0, c.input_dtype(0));
        auto b = passes::broadcast(out, *s);
        if (!b) c.fail("cannot broadcast");
        out = *b;
    }
    const auto op = c.node().op_type();
    const dtype t = op == "Equal" ? dtype::boolean : op == "Where" ? c.input_dtype(1) : c.input_dtype(0);
    c.set_output(0, t, out);
}
void reduce_rule(context& c) {  // reduces every axis (the tests only reduce vectors)
    const shape* s = c.input_shape(0);
    if (!s) return c.set_output_unknown_rank(0, c.input_dtype(0));
    const bool keep = c.attr_or("keepdims", std::int64_t{1}) != 0;
    c.set_output(0, c.input_dtype(0), keep ? shape(std::vector<dim>(s->rank(), dim(1))) : shape{});
}

const passes::shape_rule_table<default_ir_traits>& rules() {
    static const auto table = [] {
        auto t = passes::default_shape_rules();
        for (const char* op : {"Add", "Sub", "Mul", "Div", "Mod", "Neg", "Abs", "Min", "Max", "Equal", "Where", "Not", "Identity"})
            if (!t.find_type("", op)) t.add(op, &broadcast_rule);
        for (const char* op : {"ReduceSum", "ReduceProd"})
            if (!t.find_type("", op)) t.add(op, &reduce_rule);
        t.add(t.key("gearc.test", "Probe"), &probe_rule);
        return t;
    }();
    return table;
}

/// A graph under construction, built node by node the way exporters write them.
struct model {
    std::unique_ptr<graph> g = std::make_unique<graph>("m");
    std::int64_t opset = 17;

    value* input(const std::string& name, shape s, dtype t = dtype::float32) {
        return g->add_input(name, value_type::tensor_of(t, std::move(s)));
    }
    value* input_unknown_rank(const std::string& name, dtype t = dtype::float32) {
        return g->add_input(name, value_type::tensor_of(t));
    }
    /// A 1-D int64 initializer.
    value* i64(const ints& v) { return g->add_initializer(g->unique_name("c"), tensor::from<std::int64_t>({static_cast<std::int64_t>(v.size())}, v)); }
    /// A 0-D int64 initializer.
    value* scalar(std::int64_t v) { return g->add_initializer(g->unique_name("s"), tensor::from<std::int64_t>({}, ints{v})); }
    value* fscalar(float v) { return g->add_initializer(g->unique_name("f"), tensor::from<float>({}, std::vector<float>{v})); }
    /// Adds a node; returns it.
    node* add(const std::string& op, std::vector<value*> ins, graph::attribute_list attrs = {}, std::size_t outputs = 1,
              std::string name = {}) {
        if (name.empty()) name = g->unique_name(op);
        return g->add_node(op, std::move(ins), outputs, std::move(attrs), std::move(name));
    }
    /// Adds a node; returns its first output.
    value* op(const std::string& op, std::vector<value*> ins, graph::attribute_list attrs = {}, std::string name = {}) {
        return add(op, std::move(ins), std::move(attrs), 1, std::move(name))->output(0);
    }
    /// Unsqueeze to 1-D along axis 0, as the exporter writes it for this opset.
    value* unsqueeze0(value* v) {
        if (opset >= 13) return op("Unsqueeze", {v, i64({0})});
        return op("Unsqueeze", {v}, {{"axes", ints{0}}});
    }
    void probe(value* v, const std::string& name) { g->add_node("Probe", {v}, 1, {}, name, "gearc.test"); }

    void run(const symbol_bindings& b = {}) {
        pass_context ctx;
        ctx.opset = opset;
        ctx.bindings = b;
        probed().clear();
        passes::infer_shapes{false}.run_with(*g, ctx, rules());
    }
};

std::string type_of(const value* v) { return v->type().to_string(); }
std::string value_of(const std::string& probe) {
    auto it = probed().find(probe);
    return it == probed().end() ? std::string("(not run)") : it->second;
}

/// The GC code and message of the compile_error `f` throws.
template <class F>
std::string compile_error_of(F&& f) {
    try {
        f();
    } catch (const compile_error& e) {
        CHECK_FALSE(e.solution().empty());
        return e.what();
    }
    return "(no error)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// x[N,C,H,W] -> Shape -> Gather(0) -> Unsqueeze -> Concat(., [-1]) -> Reshape: torch's x.view(x.size(0), -1).
struct view_flat {
    model m;
    value *x, *shape_value, *batch, *target, *y;
    explicit view_flat(std::int64_t opset, shape xs = {sym("N"), sym("C"), sym("H"), sym("W")}) {
        m.opset = opset;
        x = m.input("x", std::move(xs));
        shape_value = m.op("Shape", {x});
        batch = m.op("Gather", {shape_value, m.scalar(0)}, {{"axis", 0}});
        target = m.op("Concat", {m.unsqueeze0(batch), m.i64({-1})}, {{"axis", 0}});
        y = m.op("Reshape", {x, target}, {}, "flat");
        m.probe(target, "target");
    }
};

}  // namespace

// ------------------------------------------------------------------------------------------------------------
// exported shape arithmetic, end to end
// ------------------------------------------------------------------------------------------------------------

TEST_CASE("x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape gives [N, C*H*W]") {
    for (std::int64_t opset : {11, 13, 17}) {
        CAPTURE(opset);
        view_flat f(opset);
        f.m.run();
        CHECK(type_of(f.shape_value) == "int64[4]");
        CHECK(type_of(f.batch) == "int64[]");
        CHECK(type_of(f.target) == "int64[2]");
        CHECK(value_of("target") == "[N,-1]");
        CHECK(type_of(f.y) == "float32[N,C*H*W]");
        CHECK(bind_shape(*f.y->dims(), {{"N", 4}, {"C", 3}, {"H", 224}, {"W", 224}}).to_string() == "[4,150528]");
    }
    SUBCASE("static channels: the product folds") {
        view_flat f(13, {sym("N"), 3, 224, 224});
        f.m.run();
        CHECK(type_of(f.y) == "float32[N,150528]");
    }
    SUBCASE("specialised by bindings: every dim static") {
        view_flat f(13);
        f.m.run({{"N", 4}, {"C", 3}, {"H", 224}, {"W", 224}});
        CHECK(type_of(f.x) == "float32[4,3,224,224]");
        CHECK(value_of("target") == "[4,-1]");
        CHECK(type_of(f.y) == "float32[4,150528]");
    }
}

TEST_CASE("flatten via Shape/Slice/Concat, and x.view(N*C, -1)") {
    SUBCASE("Slice inputs (opset 13): x.flatten(2)") {
        model m;
        m.opset = 13;
        auto* x = m.input("x", {sym("N"), sym("C"), sym("H"), sym("W")});
        auto* head = m.op("Slice", {m.op("Shape", {x}), m.i64({0}), m.i64({2}), m.i64({0})});
        auto* target = m.op("Concat", {head, m.i64({-1})}, {{"axis", 0}});
        auto* y = m.op("Reshape", {x, target});
        m.probe(head, "head");
        m.run();
        CHECK(type_of(head) == "int64[2]");
        CHECK(value_of("head") == "[N,C]");
        CHECK(type_of(y) == "float32[N,C,H*W]");
    }
    SUBCASE("Slice attributes (opset 9): x.view(x.size(0), -1)") {
        model m;
        m.opset = 9;
        auto* x = m.input("x", {sym("N"), 3, sym("H"), sym("W")});
        auto* head = m.op("Slice", {m.op("Shape", {x})}, {{"starts", ints{0}}, {"ends", ints{1}}});
        auto* y = m.op("Reshape", {x, m.op("Concat", {head, m.i64({-1})}, {{"axis", 0}})});
        m.run();
        CHECK(type_of(y) == "float32[N,3*H*W]");
        CHECK(bind_shape(*y->dims(), {{"N", 2}, {"H", 5}, {"W", 7}}).to_string() == "[2,105]");
    }
    SUBCASE("x.view(N*C, -1): Gather, Gather, Mul, Unsqueeze, Concat") {
        model m;
        auto* x = m.input("x", {sym("N"), sym("C"), sym("H"), sym("W")});
        auto* s = m.op("Shape", {x});
        auto* n = m.op("Gather", {s, m.scalar(0)});
        auto* c = m.op("Gather", {s, m.scalar(1)});
        auto* nc = m.op("Mul", {n, c});
        auto* y = m.op("Reshape", {x, m.op("Concat", {m.unsqueeze0(nc), m.i64({-1})}, {{"axis", 0}})});
        m.run();
        CHECK(type_of(y) == "float32[C*N,H*W]");
        CHECK(bind_shape(*y->dims(), {{"N", 2}, {"C", 3}, {"H", 4}, {"W", 5}}).to_string() == "[6,20]");
    }
}

TEST_CASE("transformer multi-head reshape: [B,T,E] -> [B,T,heads,E/heads] from Shape/Gather/Div/Concat") {
    auto build = [](model& m, shape xs) {
        auto* x = m.input("x", std::move(xs));
        auto* s = m.op("Shape", {x});
        auto* b = m.op("Gather", {s, m.scalar(0)});
        auto* t = m.op("Gather", {s, m.scalar(1)});
        auto* e = m.op("Gather", {s, m.scalar(2)});
        auto* hd = m.op("Div", {e, m.scalar(12)});
        auto* target = m.op("Concat", {m.unsqueeze0(b), m.unsqueeze0(t), m.i64({12}), m.unsqueeze0(hd)}, {{"axis", 0}});
        auto* heads = m.op("Reshape", {x, target});
        auto* q = m.op("Transpose", {heads}, {{"perm", ints{0, 2, 1, 3}}});
        // and back: transpose, then x.reshape(B, T, -1)
        auto* back = m.op("Transpose", {q}, {{"perm", ints{0, 2, 1, 3}}});
        auto* merged = m.op("Reshape", {back, m.op("Concat", {m.unsqueeze0(b), m.unsqueeze0(t), m.i64({-1})}, {{"axis", 0}})});
        m.probe(target, "target");
        return std::vector<value*>{heads, q, merged};
    };
    SUBCASE("E static") {
        model m;
        auto v = build(m, {sym("B"), sym("T"), 768});
        m.run();
        CHECK(value_of("target") == "[B,T,12,64]");
        CHECK(type_of(v[0]) == "float32[B,T,12,64]");
        CHECK(type_of(v[1]) == "float32[B,12,T,64]");
        CHECK(type_of(v[2]) == "float32[B,T,768]");
    }
    SUBCASE("E symbolic") {
        model m;
        auto v = build(m, {sym("B"), sym("T"), sym("E")});
        m.run();
        CHECK(value_of("target") == "[B,T,12,floor(E/12)]");
        CHECK(type_of(v[0]) == "float32[B,T,12,floor(E/12)]");
        CHECK(type_of(v[1]) == "float32[B,12,T,floor(E/12)]");
        CHECK(bind_shape(*v[1]->dims(), {{"B", 2}, {"T", 7}, {"E", 768}}).to_string() == "[2,12,7,64]");
        CHECK(type_of(v[2]) == "float32[B,T,12*floor(E/12)]");
        CHECK(bind_shape(*v[2]->dims(), {{"B", 2}, {"T", 7}, {"E", 768}}).to_string() == "[2,7,768]");
    }
    SUBCASE("Reshape [0,0,12,-1] cancels the shared dims") {
        model m;
        auto* x = m.input("x", {sym("B"), sym("T"), sym("E")});
        auto* y = m.op("Reshape", {x, m.i64({0, 0, 12, -1})});
        m.run();
        CHECK(type_of(y) == "float32[B,T,12,floor(E/12)]");
    }
    SUBCASE("specialised: input types set to a gear's static shapes") {
        model m;
        auto v = build(m, {sym("B"), sym("T"), 768});
        m.g->inputs()[0]->set_type(value_type::tensor_of(dtype::float32, shape{3, 10, 768}));
        m.run();
        CHECK(type_of(v[0]) == "float32[3,10,12,64]");
        CHECK(type_of(v[1]) == "float32[3,12,10,64]");
        CHECK(type_of(v[2]) == "float32[3,10,768]");
        for (const auto& val : m.g->values())
            if (val.type().is_tensor()) {
                CAPTURE(val.name());
                CHECK(val.type().has_shape());
                if (val.type().has_shape()) CHECK(val.type().dims->is_static());
            }
    }
}

TEST_CASE("ConstantOfShape(Shape(x)), Range(0, T, 1), Expand(x, Shape(y))") {
    model m;
    auto* x = m.input("x", {sym("N"), 3, sym("H"), sym("W")});
    auto* s = m.op("Shape", {x});
    auto* zeros = m.op("ConstantOfShape", {s});
    auto* ones = m.op("ConstantOfShape", {s}, {{"value", tensor::from<std::int64_t>({1}, ints{1})}});
    auto* pos = m.op("Range", {m.scalar(0), m.op("Gather", {s, m.scalar(3)}), m.scalar(1)});
    auto* y = m.input("y", {1, 1, sym("H"), 1});
    auto* e = m.op("Expand", {y, s});
    m.run();
    CHECK(type_of(zeros) == "float32[N,3,H,W]");
    CHECK(type_of(ones) == "int64[N,3,H,W]");
    CHECK(type_of(pos) == "int64[W]");
    CHECK(type_of(e) == "float32[N,3,H,W]");
    m.run({{"N", 1}, {"H", 32}, {"W", 48}});
    CHECK(type_of(zeros) == "float32[1,3,32,48]");
    CHECK(type_of(pos) == "int64[48]");
}

// ------------------------------------------------------------------------------------------------------------
// type rules, operator by operator
// ------------------------------------------------------------------------------------------------------------

TEST_CASE("Slice: negative, clamped, INT_MAX and negative-step indices (static, by the spec)") {
    struct slice_case {
        std::int64_t start, end, step, expect;
    };
    // on a dimension of size 10; expected lengths worked out by hand from the ONNX Slice definition
    const slice_case cases[] = {
        {2, int64_max, 1, 8},      // 2..9
        {-3, int32_max, 1, 3},     // 7..9
        {-100, 3, 1, 3},           // start clamps to 0
        {0, -1, 1, 9},             // all but the last
        {20, 30, 1, 0},            // past the end: empty
        {5, 5, 1, 0},              // empty
        {1, 10, 3, 3},             // 1, 4, 7
        {-1, int64_min, -1, 10},   // reversed: 9..0
        {8, 2, -2, 3},             // 8, 6, 4
        {9, -11, -1, 10},          // end clamps to -1: 9..0
        {int64_max, 0, -1, 9},     // start clamps to 9: 9..1
        {3, 7, -1, 0},             // backwards over an increasing range: empty
    };
    SUBCASE("one axis of size 10") {
    for (const auto& sc : cases) {
        CAPTURE(sc.start);
        CAPTURE(sc.end);
        CAPTURE(sc.step);
        model m;
        auto* x = m.input("x", {4, 10});
        auto* y = m.op("Slice", {x, m.i64({sc.start}), m.i64({sc.end}), m.i64({1}), m.i64({sc.step})});
        m.run();
        CHECK(type_of(y) == "float32[4," + std::to_string(sc.expect) + "]");
    }
    }
    SUBCASE("several axes, negative axes, axes omitted, attributes before opset 10") {
        model m;
        auto* x = m.input("x", {4, 10, 6});
        auto* a = m.op("Slice", {x, m.i64({1, 0}), m.i64({int64_max, 5}), m.i64({-1, 1})});
        auto* b = m.op("Slice", {x, m.i64({1, -4}), m.i64({3, int64_max})});  // axes 0 and 1
        m.run();
        CHECK(type_of(a) == "float32[4,5,5]");
        CHECK(type_of(b) == "float32[2,4,6]");
        model old;
        old.opset = 9;
        auto* z = old.input("z", {4, 10, 6});
        auto* c = old.op("Slice", {z}, {{"starts", ints{-2}}, {"ends", ints{int64_max}}, {"axes", ints{2}}});
        old.run();
        CHECK(type_of(c) == "float32[4,10,2]");
    }
    SUBCASE("symbolic dims: in-range bounds give expressions") {
        model m;
        auto* x = m.input("x", {sym("N"), sym("T"), 64});
        auto* drop_first = m.op("Slice", {x, m.i64({1}), m.i64({int64_max}), m.i64({1})});
        auto* drop_last = m.op("Slice", {x, m.i64({0}), m.i64({-1}), m.i64({1})});
        auto* last = m.op("Slice", {x, m.i64({-1}), m.i64({int64_max}), m.i64({1})});
        auto* every_other = m.op("Slice", {x, m.i64({0}), m.i64({int64_max}), m.i64({1}), m.i64({2})});
        auto* reversed = m.op("Slice", {x, m.i64({-1}), m.i64({int64_min}), m.i64({1}), m.i64({-1})});
        // positional table [1,512,64] cut to the sequence length: end from Shape(x)[1]
        auto* table = m.input("pos", {1, 512, 64});
        auto* t = m.op("Gather", {m.op("Shape", {x}), m.i64({1})});
        auto* cut = m.op("Slice", {table, m.i64({0}), t, m.i64({1})});
        m.run();
        CHECK(type_of(drop_first) == "float32[N,T-1,64]");
        CHECK(type_of(drop_last) == "float32[N,T-1,64]");
        CHECK(type_of(last) == "float32[N,1,64]");
        CHECK(type_of(every_other) == "float32[N,floor((T+1)/2),64]");
        CHECK(bind_shape(*every_other->dims(), {{"N", 1}, {"T", 7}}).to_string() == "[1,4,64]");
        CHECK(type_of(reversed) == "float32[N,T,64]");
        CHECK(type_of(cut) == "float32[1,T,64]");
    }
    SUBCASE("range dims: exact bounds over the interval") {
        model m;
        auto* x = m.input("x", {dim::range(2, 6)});
        auto* a = m.op("Slice", {x, m.i64({1}), m.i64({int64_max})});
        auto* b = m.op("Slice", {x, m.i64({0}), m.i64({3})});
        m.run();
        CHECK(type_of(a) == "float32[1~5]");
        CHECK(type_of(b) == "float32[2~3]");
    }
    SUBCASE("unknown starts: the sliced axis becomes unknown, the rank stays") {
        model m;
        auto* x = m.input("x", {4, 10});
        auto* st = m.input("st", {1}, dtype::int64);
        auto* y = m.op("Slice", {x, st, m.i64({int64_max}), m.i64({1})});
        auto* z = m.op("Slice", {x, st, m.i64({int64_max})});
        m.run();
        CHECK(type_of(y) == "float32[4,?]");
        CHECK(type_of(z) == "float32[?,10]");
    }
    SUBCASE("errors") {
        model m;
        auto* x = m.input("x", {4, 10});
        m.op("Slice", {x, m.i64({0}), m.i64({1}), m.i64({1}), m.i64({0})}, {}, "zero_step");
        auto msg = compile_error_of([&] { m.run(); });
        CHECK(contains(msg, "GC4002: shape inference failed at Slice 'zero_step': step on axis 1 is 0"));
        model n;
        auto* z = n.input("z", {4, 10});
        n.op("Slice", {z, n.i64({0}), n.i64({1}), n.i64({2})}, {}, "bad_axis");
        CHECK(contains(compile_error_of([&] { n.run(); }), "axis 2 is out of range for rank 2"));
    }
}

TEST_CASE("Reshape: 0 copies, -1 is inferred, allowzero keeps 0") {
    model m;
    auto* x = m.input("x", {2, 3, 4});
    auto* a = m.op("Reshape", {x, m.i64({0, -1})});
    auto* b = m.op("Reshape", {x, m.i64({0, 0, -1})});
    auto* c = m.op("Reshape", {x, m.i64({-1})});
    auto* d = m.op("Reshape", {x, m.i64({4, 0, 2})});  // 0 copies dim 1 (3)
    auto* e = m.op("Reshape", {x, m.i64({6, -1, 2})});
    auto* z = m.input("z", {0, 3});
    auto* keep = m.op("Reshape", {z, m.i64({3, 0})}, {{"allowzero", 1}});
    m.run();
    CHECK(type_of(a) == "float32[2,12]");
    CHECK(type_of(b) == "float32[2,3,4]");
    CHECK(type_of(c) == "float32[24]");
    CHECK(type_of(d) == "float32[4,3,2]");
    CHECK(type_of(e) == "float32[6,2,2]");
    CHECK(type_of(keep) == "float32[3,0]");
    model k;  // without allowzero the 0 copies the empty dim, and -1 next to it cannot be inferred
    k.op("Reshape", {k.input("z", {0, 3}), k.i64({0, -1})}, {}, "zero_infer");
    CHECK(contains(compile_error_of([&] { k.run(); }), "Reshape 'zero_infer': cannot reshape [0,3] (0 elements) into [0,-1]"));

    SUBCASE("symbolic, unknown target, unknown input") {
        model s;
        auto* xs = s.input("x", {sym("N"), 3, sym("H"), sym("W")});
        auto* t = s.input("t", {3}, dtype::int64);
        auto* y1 = s.op("Reshape", {xs, t});
        auto* y2 = s.op("Reshape", {s.input_unknown_rank("u"), s.i64({0, -1, 4})});
        auto* y3 = s.op("Reshape", {xs, s.i64({-1, 3})});
        auto* y4 = s.op("Reshape", {s.input("q", {dim(), 3, sym("H"), 2}), s.i64({0, -1})});  // the copied ? cancels
        s.run();
        CHECK(type_of(y1) == "float32[?,?,?]");
        CHECK(type_of(y2) == "float32[?,?,4]");
        CHECK(type_of(y3) == "float32[H*N*W,3]");
        CHECK(type_of(y4) == "float32[?,6*H]");
    }
    SUBCASE("errors name the node and the shapes") {
        model r;
        auto* x6 = r.input("x", {2, 3});
        r.op("Reshape", {x6, r.i64({4, -1})}, {}, "r");
        CHECK(compile_error_of([&] { r.run(); }) ==
              "GC4002: shape inference failed at Reshape 'r': cannot reshape [2,3] (6 elements) into [4,-1] (inputs: 'x' "
              "float32[2,3], 'c' int64[2])");
        model two;
        two.op("Reshape", {two.input("x", {2, 3}), two.i64({-1, -1})}, {}, "two");
        CHECK(contains(compile_error_of([&] { two.run(); }), "Reshape 'two': the shape [-1,-1] has more than one -1"));
        model count;
        count.op("Reshape", {count.input("x", {2, 3}), count.i64({4, 2})}, {}, "count");
        CHECK(contains(compile_error_of([&] { count.run(); }), "cannot reshape [2,3] (6 elements) into [4,2] (8 elements)"));
        model az;
        az.op("Reshape", {az.input("x", {2, 3}), az.i64({0, -1})}, {{"allowzero", 1}}, "az");
        CHECK(contains(compile_error_of([&] { az.run(); }), "allowzero with both 0 and -1"));
    }
}

TEST_CASE("Squeeze and Unsqueeze: axes as attribute (< 13) and as input") {
    model m;
    m.opset = 13;
    auto* x = m.input("x", {1, 3, 1, 5});
    auto* all = m.op("Squeeze", {x});
    auto* one = m.op("Squeeze", {x, m.i64({-2})});
    auto* u = m.op("Unsqueeze", {x, m.i64({0, -1})});
    auto* u2 = m.op("Unsqueeze", {m.input("s", {}), m.i64({0})});
    auto* dyn = m.op("Squeeze", {m.input("d", {sym("N"), 1})});
    auto* both = m.op("Squeeze", {x, m.input("two_axes", {2}, dtype::int64)});  // axes unknown, but only two dims are 1
    auto* which = m.op("Squeeze", {x, m.input("one_axis", {1}, dtype::int64)});
    m.run();
    CHECK(type_of(all) == "float32[3,5]");
    CHECK(type_of(one) == "float32[1,3,5]");
    CHECK(type_of(u) == "float32[1,1,3,1,5,1]");
    CHECK(type_of(u2) == "float32[1]");
    CHECK(type_of(dyn) == "float32[*]");  // N might be 1: the rank is not known
    CHECK(type_of(both) == "float32[3,5]");
    CHECK(type_of(which) == "float32[?,?,?]");

    model old;
    old.opset = 11;
    auto* y = old.input("x", {1, 3, 1, 5});
    auto* s = old.op("Squeeze", {y}, {{"axes", ints{0}}});
    auto* us = old.op("Unsqueeze", {y}, {{"axes", ints{1, 3}}});
    old.run();
    CHECK(type_of(s) == "float32[3,1,5]");
    CHECK(type_of(us) == "float32[1,1,3,1,1,5]");

    model bad;
    bad.opset = 13;
    bad.op("Squeeze", {bad.input("x", {2, 3}), bad.i64({1})}, {}, "sq");
    CHECK(contains(compile_error_of([&] { bad.run(); }), "Squeeze 'sq': cannot squeeze axis 1 of size 3"));
    model dup;
    dup.op("Unsqueeze", {dup.input("x", {2, 3}), dup.i64({1, 1})}, {}, "uq");
    CHECK(contains(compile_error_of([&] { dup.run(); }), "Unsqueeze 'uq': axis 1 is repeated"));
}

TEST_CASE("Gather: any axis, scalar and tensor indices, negative indices") {
    model m;
    auto* data = m.input("data", {5, 6, 7});
    auto* a = m.op("Gather", {data, m.i64({2, 3})}, {{"axis", 1}});
    auto* b = m.op("Gather", {data, m.scalar(-1)}, {{"axis", -1}});
    auto* idx = m.input("idx", {sym("K"), 2}, dtype::int64);
    auto* c = m.op("Gather", {data, idx});
    auto* x = m.input("x", {sym("N"), sym("C"), sym("H"), sym("W")});
    auto* s = m.op("Shape", {x});
    auto* w = m.op("Gather", {s, m.scalar(-1)});
    auto* wn = m.op("Gather", {s, m.i64({-1, 0})});
    m.probe(w, "w");
    m.probe(wn, "wn");
    m.run();
    CHECK(type_of(a) == "float32[5,2,7]");
    CHECK(type_of(b) == "float32[5,6]");
    CHECK(type_of(c) == "float32[K,2,6,7]");
    CHECK(type_of(w) == "int64[]");
    CHECK(value_of("w") == "[W]");
    CHECK(value_of("wn") == "[W,N]");

    model bad;
    bad.op("Gather", {bad.input("d", {5, 6}), bad.i64({6})}, {{"axis", 1}}, "g");
    CHECK(contains(compile_error_of([&] { bad.run(); }), "Gather 'g': index 6 is out of range for axis 1 of size 6"));
}

TEST_CASE("Split: equal and unequal parts, attribute and input forms, opset 18 num_outputs") {
    model m;
    m.opset = 13;
    auto* x = m.input("x", {6, sym("T")});
    auto* eq = m.add("Split", {x}, {}, 3);
    auto* uneq = m.add("Split", {x, m.i64({1, 5})}, {}, 2);
    auto* half = m.add("Split", {x}, {{"axis", 1}}, 2);
    m.run();
    for (auto* o : eq->outputs()) CHECK(type_of(o) == "float32[2,T]");
    CHECK(type_of(uneq->output(0)) == "float32[1,T]");
    CHECK(type_of(uneq->output(1)) == "float32[5,T]");
    CHECK(type_of(half->output(0)) == "float32[6,floor(T/2)]");

    model old;
    old.opset = 11;
    auto* y = old.input("y", {6, 4});
    auto* a = old.add("Split", {y}, {{"split", ints{2, 4}}}, 2);
    old.run();
    CHECK(type_of(a->output(0)) == "float32[2,4]");
    CHECK(type_of(a->output(1)) == "float32[4,4]");

    model n18;
    n18.opset = 18;
    auto* z = n18.input("z", {7});
    auto* s = n18.add("Split", {z}, {{"num_outputs", 3}}, 3);
    n18.run();
    CHECK(type_of(s->output(0)) == "float32[3]");
    CHECK(type_of(s->output(1)) == "float32[3]");
    CHECK(type_of(s->output(2)) == "float32[1]");

    model bad;
    bad.opset = 13;
    bad.add("Split", {bad.input("x", {6}), bad.i64({2, 3})}, {}, 2, "sp");
    CHECK(contains(compile_error_of([&] { bad.run(); }), "Split 'sp': split sizes add up to 5 but axis 0 has size 6"));
    model odd;
    odd.add("Split", {odd.input("x", {7})}, {}, 2, "odd");
    CHECK(contains(compile_error_of([&] { odd.run(); }), "axis 0 of size 7 does not split into 2 equal parts"));
}

TEST_CASE("Concat: symbolic sums, rank and size mismatches") {
    model m;
    auto* a = m.input("a", {sym("N"), 3});
    auto* b = m.input("b", {sym("M"), dim()});
    auto* c = m.op("Concat", {a, b}, {{"axis", 0}});
    auto* d = m.op("Concat", {a, a, m.input("e", {sym("N"), 5})}, {{"axis", -1}});
    m.run();
    CHECK(type_of(c) == "float32[M+N,3]");
    CHECK(type_of(d) == "float32[N,11]");

    model rank;
    rank.op("Concat", {rank.input("a", {2, 3}), rank.input("b", {2, 3, 1})}, {{"axis", 0}}, "cat");
    CHECK(contains(compile_error_of([&] { rank.run(); }),
                   "Concat 'cat': input 1 has rank 3 but input 0 has rank 2 (all Concat inputs need the same rank)"));
    model size;
    size.op("Concat", {size.input("a", {2, 3}), size.input("b", {2, 4})}, {{"axis", 0}}, "cat");
    CHECK(contains(compile_error_of([&] { size.run(); }), "input 1 has size 4 on axis 1 but an earlier input has 3"));
}

TEST_CASE("Flatten, Transpose, Shape(start,end), Size, Cast, CastLike, Constant") {
    model m;
    auto* x = m.input("x", {sym("N"), 3, 4, 5});
    auto* f0 = m.op("Flatten", {x}, {{"axis", 0}});
    auto* f1 = m.op("Flatten", {x});
    auto* f3 = m.op("Flatten", {x}, {{"axis", -1}});
    auto* f4 = m.op("Flatten", {x}, {{"axis", 4}});
    auto* t = m.op("Transpose", {x});
    auto* tp = m.op("Transpose", {x}, {{"perm", ints{0, 2, 3, 1}}});
    auto* sh = m.op("Shape", {x}, {{"start", 1}, {"end", -1}});
    auto* sz = m.op("Size", {x});
    auto* cast = m.op("Cast", {x}, {{"to", 10}});  // FLOAT16
    auto* like = m.op("CastLike", {x, m.input("i", {}, dtype::int32)});
    auto* k1 = m.op("Constant", {}, {{"value", tensor::from<float>({2, 2}, std::vector<float>{1, 2, 3, 4})}});
    auto* k2 = m.op("Constant", {}, {{"value_ints", ints{1, 2, 3}}});
    auto* k3 = m.op("Constant", {}, {{"value_float", 2.5f}});
    auto* k4 = m.op("Constant", {}, {{"value_floats", std::vector<float>{1, 2}}});
    auto* k5 = m.op("Constant", {}, {{"value_int", 7}});
    m.probe(sh, "sh");
    m.probe(sz, "sz");
    m.run();
    CHECK(type_of(f0) == "float32[1,60*N]");
    CHECK(type_of(f1) == "float32[N,60]");
    CHECK(type_of(f3) == "float32[12*N,5]");
    CHECK(type_of(f4) == "float32[60*N,1]");
    CHECK(type_of(t) == "float32[5,4,3,N]");
    CHECK(type_of(tp) == "float32[N,4,5,3]");
    CHECK(type_of(sh) == "int64[2]");
    CHECK(value_of("sh") == "[3,4]");
    CHECK(type_of(sz) == "int64[]");
    CHECK(value_of("sz") == "[60*N]");
    CHECK(type_of(cast) == "float16[N,3,4,5]");
    CHECK(type_of(like) == "int32[N,3,4,5]");
    CHECK(type_of(k1) == "float32[2,2]");
    CHECK(type_of(k2) == "int64[3]");
    CHECK(type_of(k3) == "float32[]");
    CHECK(type_of(k4) == "float32[2]");
    CHECK(type_of(k5) == "int64[]");

    model bad;
    bad.op("Transpose", {bad.input("x", {2, 3})}, {{"perm", ints{0, 0}}}, "tr");
    CHECK(contains(compile_error_of([&] { bad.run(); }), "Transpose 'tr': perm entry 0 is repeated"));
    model code;
    code.op("Cast", {code.input("x", {2})}, {{"to", 99}}, "c");
    CHECK(contains(compile_error_of([&] { code.run(); }), "Cast 'c': to = 99 is no ONNX element type"));
}

TEST_CASE("Tile, Expand, Range, OneHot, Trilu, EyeLike, ReverseSequence, Compress") {
    model m;
    auto* x = m.input("x", {sym("N"), 3});
    auto* tile = m.op("Tile", {x, m.i64({2, 4})});
    auto* tile_dyn = m.op("Tile", {x, m.input("r", {2}, dtype::int64)});
    auto* ex = m.op("Expand", {m.input("e", {3, 1}), m.i64({2, 1, 4})});
    auto* ex_sym = m.op("Expand", {x, m.i64({1, 1})});
    auto* r1 = m.op("Range", {m.scalar(0), m.scalar(10), m.scalar(3)});
    auto* r2 = m.op("Range", {m.fscalar(0.5f), m.fscalar(2.0f), m.fscalar(0.5f)});
    auto* r3 = m.op("Range", {m.scalar(10), m.scalar(0), m.scalar(-3)});
    auto* r4 = m.op("Range", {m.scalar(5), m.scalar(0), m.scalar(1)});
    auto* r5 = m.op("Range", {m.scalar(0), m.input("lim", {}, dtype::int64), m.scalar(1)});
    auto* oh = m.op("OneHot", {m.input("ids", {sym("N"), 7}, dtype::int64), m.scalar(10), m.input("vals", {2})});
    auto* oh0 = m.op("OneHot", {m.input("ids0", {4}, dtype::int64), m.fscalar(5.0f), m.input("v0", {2}, dtype::int32)}, {{"axis", 0}});
    auto* tri = m.op("Trilu", {x});
    auto* eye = m.op("EyeLike", {x}, {{"dtype", 7}});
    auto* rev = m.op("ReverseSequence", {x, m.input("lens", {3}, dtype::int64)});
    auto* comp = m.op("Compress", {x, m.input("cond", {3}, dtype::boolean)}, {{"axis", 1}});
    auto* comp_flat = m.op("Compress", {x, m.input("cond2", {3}, dtype::boolean)});
    auto* comp_const = m.op("Compress", {x, m.g->add_initializer("k", tensor::from<bool>({3}, std::vector<bool>{true, false, true}))},
                            {{"axis", 1}});
    m.run();
    CHECK(type_of(tile) == "float32[2*N,12]");
    CHECK(type_of(tile_dyn) == "float32[?,?]");
    CHECK(type_of(ex) == "float32[2,3,4]");
    CHECK(type_of(ex_sym) == "float32[N,3]");
    CHECK(type_of(r1) == "int64[4]");
    CHECK(type_of(r2) == "float32[3]");
    CHECK(type_of(r3) == "int64[4]");
    CHECK(type_of(r4) == "int64[0]");
    CHECK(type_of(r5) == "int64[?]");
    CHECK(type_of(oh) == "float32[N,7,10]");
    CHECK(type_of(oh0) == "int32[5,4]");
    CHECK(type_of(tri) == "float32[N,3]");
    CHECK(type_of(eye) == "int64[N,3]");
    CHECK(type_of(rev) == "float32[N,3]");
    CHECK(type_of(comp) == "float32[N,?]");
    CHECK(type_of(comp_flat) == "float32[?]");
    CHECK(type_of(comp_const) == "float32[N,2]");

    model bad;
    bad.op("Expand", {bad.input("x", {3}), bad.i64({4})}, {}, "ex");
    CHECK(contains(compile_error_of([&] { bad.run(); }), "Expand 'ex': cannot expand [3] to [4]"));
}

TEST_CASE("GatherElements, GatherND, ScatterElements, ScatterND") {
    model m;
    auto* data = m.input("data", {sym("N"), 4, 5});
    auto* ge = m.op("GatherElements", {data, m.input("i", {sym("N"), 2, 5}, dtype::int64)}, {{"axis", 1}});
    auto* gnd = m.op("GatherND", {data, m.input("j", {3, 2}, dtype::int64)});
    auto* gnd_b = m.op("GatherND", {data, m.input("k", {sym("N"), 1}, dtype::int64)}, {{"batch_dims", 1}});
    auto* se = m.op("ScatterElements", {data, m.input("p", {1, 1, 1}, dtype::int64), m.input("u", {1, 1, 1})});
    auto* snd = m.op("ScatterND", {data, m.input("q", {2, 1}, dtype::int64), m.input("w", {2, 4, 5})});
    m.run();
    CHECK(type_of(ge) == "float32[N,2,5]");
    CHECK(type_of(gnd) == "float32[3,5]");
    CHECK(type_of(gnd_b) == "float32[N,5]");
    CHECK(type_of(se) == "float32[N,4,5]");
    CHECK(type_of(snd) == "float32[N,4,5]");

    model bad;
    bad.op("GatherElements", {bad.input("d", {2, 3}), bad.input("i", {2}, dtype::int64)}, {}, "ge");
    CHECK(contains(compile_error_of([&] { bad.run(); }), "GatherElements 'ge': indices have rank 1 but data has rank 2"));
}

// ------------------------------------------------------------------------------------------------------------
// value rules
// ------------------------------------------------------------------------------------------------------------

TEST_CASE("shape values: arithmetic with scalars and vectors, integer division, Mod, Neg, Abs, Min, Max") {
    model m;
    auto* x = m.input("x", {sym("N"), sym("C"), 8, 6});
    auto* s = m.op("Shape", {x});
    auto* n = m.op("Gather", {s, m.scalar(0)});
    m.probe(m.op("Add", {s, m.scalar(1)}), "add");
    m.probe(m.op("Sub", {s, m.i64({1, 0, 2, 6})}), "sub");
    m.probe(m.op("Mul", {s, m.i64({2, 1, 1, 1})}), "mul");
    m.probe(m.op("Div", {s, m.scalar(4)}), "div");
    m.probe(m.op("Div", {m.i64({-7, 7, -8}), m.scalar(2)}), "div_trunc");  // toward zero: -3, 3, -4
    m.probe(m.op("Mod", {m.i64({-7, 7, 8}), m.scalar(3)}), "mod");            // sign of the divisor: 2, 1, 2
    m.probe(m.op("Mod", {m.i64({-7, 7}), m.scalar(3)}, {{"fmod", 1}}), "fmod");  // sign of the dividend: -1, 1
    m.probe(m.op("Mod", {n, m.scalar(8)}), "mod_sym");
    m.probe(m.op("Neg", {s}), "neg");
    m.probe(m.op("Abs", {m.i64({-3, 4})}), "abs");
    m.probe(m.op("Max", {s, m.scalar(7)}), "max");
    m.probe(m.op("Min", {s, m.i64({5, 5, 5, 5}), m.scalar(7)}), "min");
    m.probe(m.op("Div", {s, m.scalar(0)}), "div0");
    m.run();
    CHECK(value_of("add") == "[N+1,C+1,9,7]");
    CHECK(value_of("sub") == "[N-1,C,6,0]");
    CHECK(value_of("mul") == "[2*N,C,8,6]");
    CHECK(value_of("div") == "[floor(N/4),floor(C/4),2,1]");
    CHECK(value_of("div_trunc") == "[-3,3,-4]");
    CHECK(value_of("mod") == "[2,1,2]");
    CHECK(value_of("fmod") == "[-1,1]");
    CHECK(value_of("mod_sym") == "[N-8*floor(N/8)]");
    CHECK(value_of("neg") == "[-N,-C,-8,-6]");
    CHECK(value_of("abs") == "[3,4]");
    CHECK(value_of("max") == "[?,?,8,7]");  // max(N, 7) is not known
    CHECK(value_of("min") == "[?,?,5,5]");
    CHECK(value_of("div0") == "none");  // nothing known: no value at all
}

TEST_CASE("shape values: Equal, Where, Not, Cast, ReduceProd, ReduceSum") {
    model m;
    auto* x = m.input("x", {sym("N"), 3, sym("N")});
    auto* s = m.op("Shape", {x});
    auto* eq = m.op("Equal", {s, m.i64({2, 3, 0})});
    m.probe(eq, "eq");
    m.probe(m.op("Equal", {m.op("Gather", {s, m.scalar(0)}), m.op("Gather", {s, m.scalar(2)})}), "eq_same");
    // torch's reshape-with-zeros pattern: Where(Equal(target, 0), Shape(x), target)
    auto* target = m.i64({0, -1, 3});
    auto* w = m.op("Where", {m.op("Equal", {target, m.scalar(0)}), s, target});
    m.probe(w, "where");
    m.probe(m.op("Where", {eq, s, m.scalar(1)}), "where_unknown");
    m.probe(m.op("Not", {m.op("Equal", {s, m.scalar(3)})}), "not");
    m.probe(m.op("Cast", {s}, {{"to", 1}}), "to_float");
    m.probe(m.op("Cast", {m.op("Cast", {s}, {{"to", 6}})}, {{"to", 7}}), "int_round_trip");
    m.probe(m.op("Cast", {m.i64({0, 2})}, {{"to", 9}}), "to_bool");
    m.probe(m.op("ReduceProd", {s}, {{"keepdims", 0}}), "prod");
    m.probe(m.op("ReduceSum", {s}), "sum");
    m.probe(m.op("ReduceProd", {m.op("Slice", {s, m.i64({1}), m.i64({int64_max})})}), "prod_tail");
    m.run();
    CHECK(value_of("eq") == "[?,1,?]");
    CHECK(value_of("eq_same") == "[1]");
    CHECK(value_of("where") == "[N,-1,3]");
    CHECK(value_of("where_unknown") == "[?,3,?]");
    CHECK(value_of("not") == "[?,0,?]");
    CHECK(value_of("to_float") == "[?,3,?]");  // float values keep only static elements
    CHECK(value_of("int_round_trip") == "[N,3,N]");
    CHECK(value_of("to_bool") == "[0,1]");
    CHECK(value_of("prod") == "[3*N*N]");
    CHECK(value_of("sum") == "[2*N+3]");
    CHECK(value_of("prod_tail") == "[3*N]");
}

TEST_CASE("shape values: Slice, Concat with symbols and unknowns, Split, ConstantOfShape, Range, Expand, Tile, Constant") {
    model m;
    m.opset = 13;
    auto* x = m.input("x", {sym("N"), sym("C"), sym("H"), dim()});
    auto* s = m.op("Shape", {x});
    m.probe(s, "shape");
    m.probe(m.op("Shape", {x}, {{"start", -2}}), "shape_tail");
    m.probe(m.op("Slice", {s, m.i64({2}), m.i64({int64_max})}), "hw");
    m.probe(m.op("Slice", {s, m.i64({-1}), m.i64({int64_min}), m.i64({0}), m.i64({-1})}), "reversed");
    m.probe(m.op("Slice", {s, m.i64({0}), m.i64({4}), m.i64({0}), m.i64({2})}), "even");
    m.probe(m.op("Concat", {s, m.i64({7}), m.input("dyn", {2}, dtype::int64)}, {{"axis", 0}}), "concat");
    auto* sp = m.add("Split", {s, m.i64({1, 3})}, {}, 2);
    m.probe(sp->output(1), "split");
    m.probe(m.op("ConstantOfShape", {m.i64({2, 3})}, {{"value", tensor::from<std::int64_t>({1}, ints{7})}}), "fill");
    m.probe(m.op("ConstantOfShape", {m.i64({2})}), "fill_default");
    m.probe(m.op("Range", {m.scalar(10), m.scalar(0), m.scalar(-3)}), "range");
    m.probe(m.op("Expand", {m.op("Gather", {s, m.i64({1})}), m.i64({2, 3})}), "expand");
    m.probe(m.op("Tile", {m.op("Slice", {s, m.i64({0}), m.i64({2})}), m.i64({2})}), "tile");
    m.probe(m.op("Constant", {}, {{"value", tensor::from<std::int32_t>({2}, std::vector<std::int32_t>{4, -1})}}), "constant");
    m.probe(m.op("Constant", {}, {{"value_ints", ints{1, 2}}}), "constant_ints");
    m.probe(m.op("Size", {x}), "size_unknown");
    m.probe(m.op("Flatten", {m.op("Unsqueeze", {s, m.i64({0})})}), "same");
    m.run();
    CHECK(value_of("shape") == "[N,C,H,?]");
    CHECK(value_of("shape_tail") == "[H,?]");
    CHECK(value_of("hw") == "[H,?]");
    CHECK(value_of("reversed") == "[?,H,C,N]");
    CHECK(value_of("even") == "[N,H]");
    CHECK(value_of("concat") == "[N,C,H,?,7,?,?]");
    CHECK(value_of("split") == "[C,H,?]");
    CHECK(value_of("fill") == "[7,7,7,7,7,7]");
    CHECK(value_of("fill_default") == "[0,0]");
    CHECK(value_of("range") == "[10,7,4,1]");
    CHECK(value_of("expand") == "[C,C,C,C,C,C]");
    CHECK(value_of("tile") == "[N,C,N,C]");
    CHECK(value_of("constant") == "[4,-1]");
    CHECK(value_of("constant_ints") == "[1,2]");
    CHECK(value_of("size_unknown") == "none");  // unknown elements are never invented
    CHECK(value_of("same") == "[N,C,H,?]");
}

TEST_CASE("shape values flow into shapes: Reshape with a Where-computed target, ConstantOfShape of a computed shape") {
    model m;
    m.opset = 13;
    auto* x = m.input("x", {sym("B"), sym("T"), 8});
    auto* s = m.op("Shape", {x});
    // x.new_zeros(B, T * 2): ConstantOfShape(Concat(B, T*2))
    auto* t2 = m.op("Mul", {m.op("Gather", {s, m.i64({1})}), m.scalar(2)});
    auto* zeros = m.op("ConstantOfShape", {m.op("Concat", {m.op("Gather", {s, m.i64({0})}), t2}, {{"axis", 0}})});
    // reshape with zeros resolved by Where(Equal(target, 0), Shape(x), target)
    auto* target = m.i64({0, 0, 2, 4});
    auto* resolved = m.op("Where", {m.op("Equal", {target, m.scalar(0)}), m.op("Concat", {s, m.i64({1})}, {{"axis", 0}}), target});
    auto* y = m.op("Reshape", {x, resolved});
    m.run();
    CHECK(type_of(zeros) == "float32[B,2*T]");
    CHECK(type_of(y) == "float32[B,T,2,4]");
}

TEST_CASE("strict inference with only tensor operators, and a specialised gear graph") {
    view_flat f(13);
    auto* x2 = f.m.input("x2", {sym("N"), sym("T"), 16});
    auto* cut = f.m.op("Slice", {x2, f.m.i64({1}), f.m.i64({int64_max}), f.m.i64({1})});
    auto* merged = f.m.op("Reshape", {cut, f.m.i64({0, -1})});
    auto* stacked = f.m.op("Concat", {f.m.op("Unsqueeze", {merged, f.m.i64({0})}), f.m.op("Unsqueeze", {merged, f.m.i64({0})})},
                           {{"axis", 0}});
    // remove the test probe so that only real operators remain
    for (auto& n : f.m.g->nodes())
        if (n.op_type() == "Probe") {
            f.m.g->remove_node(&n);
            break;
        }
    pass_context ctx;
    ctx.opset = 13;
    passes::check_supported(*f.m.g);
    passes::infer_shapes{}.run(*f.m.g, ctx);
    CHECK(type_of(f.y) == "float32[N,C*H*W]");
    CHECK(type_of(merged) == "float32[N,16*T-16]");
    CHECK(type_of(stacked) == "float32[2,N,16*T-16]");

    pass_context gear;
    gear.opset = 13;
    gear.bindings = {{"N", 2}, {"C", 3}, {"H", 4}, {"W", 5}, {"T", 9}};
    gear.specialising = true;
    passes::infer_shapes{}.run(*f.m.g, gear);
    CHECK(type_of(f.y) == "float32[2,60]");
    CHECK(type_of(merged) == "float32[2,128]");
    CHECK(type_of(stacked) == "float32[2,2,128]");
    for (const auto& v : f.m.g->values()) {
        CAPTURE(v.name());
        REQUIRE(v.type().has_shape());
        CHECK(v.type().dims->is_static());
    }
}

TEST_CASE("wrong input counts and missing attributes are GC4002 naming the node, not a crash") {
    auto err = [](const char* op, std::size_t inputs, graph::attribute_list attrs = {}) {
        model m;
        std::vector<value*> ins;
        for (std::size_t i = 0; i < inputs; ++i) ins.push_back(m.input("x" + std::to_string(i), {2, 3}));
        m.op(op, ins, std::move(attrs), "n");
        return compile_error_of([&] { m.run(); });
    };
    CHECK(contains(err("Gather", 1), "GC4002: shape inference failed at Gather 'n': expects 2 input(s), got 1"));
    CHECK(contains(err("Reshape", 3), "Reshape 'n': expects 2 input(s), got 3"));
    CHECK(contains(err("Slice", 2), "Slice 'n': expects 3 to 5 input(s), got 2"));
    CHECK(contains(err("Range", 2), "Range 'n': expects 3 input(s), got 2"));
    CHECK(contains(err("Constant", 1, {{"value_int", 1}}), "Constant 'n': expects 0 input(s), got 1"));
    CHECK(contains(err("Concat", 2), "Concat 'n': the axis attribute is required"));
    CHECK(contains(err("Cast", 1), "Cast 'n': the to attribute is required"));
    CHECK(contains(err("Constant", 0), "Constant 'n': Constant has none of the attributes"));
}
