// Cleanup passes: Identity/Dropout removal, dead-code elimination, common-subexpression elimination.
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include "test_support.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace gearc;

namespace {

using ints = std::vector<std::int64_t>;

struct builder {
    std::unique_ptr<graph> g = std::make_unique<graph>("t");

    value* input(const std::string& name, shape s = shape{2, 3}) {
        return g->add_input(name, value_type::tensor_of(dtype::float32, std::move(s)));
    }
    value* init(const std::string& name, tensor t) { return g->add_initializer(name, std::move(t)); }
    node* node_of(const std::string& op, std::vector<value*> inputs, graph::attribute_list attrs = {}, const std::string& name = {},
                  std::size_t outputs = 1) {
        return g->add_node(op, std::move(inputs), outputs, std::move(attrs), name);
    }
    value* op(const std::string& op, std::vector<value*> inputs, graph::attribute_list attrs = {}, const std::string& name = {}) {
        return node_of(op, std::move(inputs), std::move(attrs), name)->output(0);
    }
    std::string output(value* v) {
        g->add_output(v);
        return v->name();
    }
};

std::size_t count(const graph& g, std::string_view op) {
    std::size_t n = 0;
    for (const auto& node : g.nodes()) n += node.op_type() == op ? 1 : 0;
    return n;
}

void check_valid(const graph& g) {
    auto d = verify(g);
    for (const auto& x : d) INFO(x.to_string());
    CHECK(d.empty());
}

std::vector<std::string> output_names(const graph& g) {
    std::vector<std::string> out;
    for (auto* v : g.outputs()) out.push_back(v->name());
    return out;
}

/// An If node whose then-branch reads `captured` from the enclosing graph by name.
node* if_reading(builder& b, value* cond, value* captured) {
    auto sub = std::make_shared<graph>("then");
    auto* ref = sub->add_outer_ref(captured->name(), captured->type());
    sub->add_output(sub->add_node("Neg", {ref}, 1, {}, "neg")->output(0));
    auto other = std::make_shared<graph>("else");
    auto* ref2 = other->add_outer_ref(captured->name(), captured->type());
    other->add_output(other->add_node("Abs", {ref2}, 1, {}, "abs")->output(0));
    return b.node_of("If", {cond}, {{"then_branch", sub}, {"else_branch", other}}, "if");
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// remove_identity
// ---------------------------------------------------------------------------------------------------

TEST_CASE("remove_identity: an inner Identity disappears, its readers read its input") {
    builder b;
    auto* x = b.input("x");
    auto* a = b.op("Relu", {x}, {}, "relu");
    auto* i = b.op("Identity", {a});
    auto* s = b.op("Sigmoid", {i}, {}, "sig");
    auto* t = b.op("Tanh", {i});
    b.output(b.op("Add", {s, t}));
    pass_context ctx;
    CHECK(passes::remove_identity{}.run(*b.g, ctx));
    check_valid(*b.g);
    CHECK(count(*b.g, "Identity") == 0);
    CHECK(b.g->find_node("sig")->input(0) == a);
    CHECK(a->uses().size() == 2);
    CHECK(ctx.counter("remove_identity.identity") == 1);
    CHECK_FALSE(passes::remove_identity{}.run(*b.g, ctx));
}

TEST_CASE("remove_identity: an Identity before a graph output goes, and the output keeps its name") {
    builder b;
    auto* x = b.input("x");
    auto* a = b.op("Relu", {x}, {{"dummy", std::int64_t{7}}}, "relu");
    b.op("Exp", {a}, {}, "exp");  // another reader of a: it must read the renamed value
    b.output(b.g->find_node("exp")->output(0));
    auto* y = b.g->add_value("y", value_type::tensor_of(dtype::float32, shape{2, 3}));
    b.g->add_node("Identity", {a}, std::vector<value*>{y});
    b.g->add_output(y);
    pass_context ctx;
    CHECK(passes::remove_identity{}.run(*b.g, ctx));
    check_valid(*b.g);
    CHECK(count(*b.g, "Identity") == 0);
    CHECK(output_names(*b.g) == std::vector<std::string>{"exp_out0", "y"});
    auto* relu = b.g->find_value("y")->producer();
    REQUIRE(relu != nullptr);
    CHECK(relu->op_type() == "Relu");
    CHECK(relu->name() == "relu");
    CHECK(relu->attr<std::int64_t>("dummy") == 7);
    CHECK(relu->input(0) == x);
    CHECK(b.g->find_node("exp")->input(0)->name() == "y");
    CHECK(b.g->find_value("relu_out0") == nullptr);
    // the order is still topological: Relu before Exp
    CHECK(b.g->node_list().front()->op_type() == "Relu");
}

TEST_CASE("remove_identity: an Identity that copies a graph input or another output stays") {
    builder b;
    auto* x = b.input("x");
    b.output(b.op("Identity", {x}));
    auto* a = b.op("Relu", {x});
    b.output(a);
    b.output(b.op("Identity", {a}));
    auto before = output_names(*b.g);
    pass_context ctx;
    CHECK_FALSE(passes::remove_identity{}.run(*b.g, ctx));
    CHECK(count(*b.g, "Identity") == 2);
    CHECK(output_names(*b.g) == before);
}

TEST_CASE("remove_identity: an Identity whose output a subgraph reads by name stays") {
    builder b;
    auto* x = b.input("x");
    auto* i = b.op("Identity", {b.op("Relu", {x})});
    auto* cond = b.g->add_input("cond", value_type::tensor_of(dtype::boolean, shape{}));
    b.output(if_reading(b, cond, i)->output(0));
    pass_context ctx;
    CHECK_FALSE(passes::remove_identity{}.run(*b.g, ctx));
    CHECK(count(*b.g, "Identity") == 1);
    check_valid(*b.g);
}

TEST_CASE("remove_identity: Dropout in inference mode goes, in training mode or with a used mask it stays") {
    auto dropout = [](std::vector<value*> (*extra)(builder&), bool mask_used, bool mask_output = false) {
        builder b;
        auto* x = b.input("x");
        auto* r = b.op("Relu", {x});
        std::vector<value*> ins{r};
        for (auto* v : extra(b)) ins.push_back(v);
        auto* d = b.node_of("Dropout", ins, {}, "drop", mask_output || mask_used ? 2 : 1);
        b.output(b.op("Neg", {d->output(0)}));
        if (mask_used) b.output(d->output(1));
        pass_context ctx;
        bool removed = passes::remove_identity{}.run(*b.g, ctx);
        check_valid(*b.g);
        CHECK(count(*b.g, "Dropout") == (removed ? 0 : 1));
        if (removed) CHECK(ctx.counter("remove_identity.dropout") == 1);
        return removed;
    };
    auto none = [](builder&) { return std::vector<value*>{}; };
    auto ratio = [](builder& b) { return std::vector<value*>{b.init("ratio", tensor::from<float>({}, {0.3f}))}; };
    auto train_false = [](builder& b) {
        return std::vector<value*>{b.init("ratio", tensor::from<float>({}, {0.3f})), b.init("mode", tensor::from<bool>({}, {false}))};
    };
    auto train_true = [](builder& b) {
        return std::vector<value*>{b.init("ratio", tensor::from<float>({}, {0.3f})), b.init("mode", tensor::from<bool>({}, {true}))};
    };
    auto train_input = [](builder& b) {
        return std::vector<value*>{nullptr, b.g->add_input("mode", value_type::tensor_of(dtype::boolean, shape{}))};
    };
    CHECK(dropout(none, false));
    CHECK(dropout(ratio, false));
    CHECK(dropout(train_false, false));
    CHECK(dropout(train_false, false, true));  // a mask output nobody reads
    CHECK_FALSE(dropout(train_true, false));
    CHECK_FALSE(dropout(train_input, false));  // decided at run time
    CHECK_FALSE(dropout(none, true));          // the mask is read

    builder old;  // opset < 7: is_test = 0 means training
    auto* x = old.input("x");
    old.output(old.op("Neg", {old.op("Dropout", {old.op("Relu", {x})}, {{"is_test", std::int64_t{0}}})}));
    pass_context ctx;
    CHECK_FALSE(passes::remove_identity{}.run(*old.g, ctx));
}

// ---------------------------------------------------------------------------------------------------
// eliminate_dead_code
// ---------------------------------------------------------------------------------------------------

TEST_CASE("eliminate_dead_code: dead chains and unused initializers go; inputs and outputs stay") {
    builder b;
    auto* x = b.input("x");
    auto* unused_input = b.input("unused");
    auto* w = b.init("w", tensor::from<float>({3}, {1, 2, 3}));
    b.init("orphan", tensor::from<float>({1}, {0}));
    auto* kept = b.init("kept", tensor::from<float>({3}, {4, 5, 6}));
    auto* dead1 = b.op("Mul", {x, w}, {}, "dead1");
    b.op("Neg", {b.op("Relu", {dead1}, {}, "dead2")}, {}, "dead3");
    b.node_of("Split", {x}, {}, "dead_split", 2);
    auto out = b.output(b.op("Add", {x, kept}, {}, "live"));
    pass_context ctx;
    CHECK(passes::eliminate_dead_code{}.run(*b.g, ctx));
    check_valid(*b.g);
    CHECK(b.g->num_nodes() == 1);
    CHECK(b.g->find_node("live") != nullptr);
    CHECK(b.g->find_value("w") == nullptr);
    CHECK(b.g->find_value("orphan") == nullptr);
    CHECK(b.g->find_value("kept") == kept);
    CHECK(b.g->inputs() == std::vector<value*>{x, unused_input});
    CHECK(output_names(*b.g) == std::vector<std::string>{out});
    CHECK(ctx.counter("eliminate_dead_code.nodes") == 4);
    CHECK(ctx.counter("eliminate_dead_code.initializers") == 2);
    CHECK_FALSE(passes::eliminate_dead_code{}.run(*b.g, ctx));
}

TEST_CASE("eliminate_dead_code: a node with one used output of several stays; values subgraphs read stay") {
    builder b;
    auto* x = b.input("x");
    auto* split = b.node_of("Split", {x}, {}, "split", 2);
    b.output(split->output(1));
    auto* captured = b.op("Relu", {x}, {}, "captured");
    auto* cond = b.g->add_input("cond", value_type::tensor_of(dtype::boolean, shape{}));
    b.output(if_reading(b, cond, captured)->output(0));
    auto* default_input = b.input("with_default");
    b.g->set_initializer(default_input, tensor::from<float>({2, 3}, std::vector<float>(6, 0)));
    pass_context ctx;
    CHECK_FALSE(passes::eliminate_dead_code{}.run(*b.g, ctx));
    CHECK(b.g->num_nodes() == 3);
    CHECK(b.g->find_value("with_default") != nullptr);  // an input with a default is an input
    check_valid(*b.g);
}

// ---------------------------------------------------------------------------------------------------
// eliminate_common_subexpressions
// ---------------------------------------------------------------------------------------------------

TEST_CASE("eliminate_common_subexpressions: identical nodes merge, and merging cascades") {
    builder b;
    auto* x = b.input("x");
    auto* r1 = b.op("Relu", {x}, {}, "r1");
    auto* r2 = b.op("Relu", {x}, {}, "r2");
    auto* s1 = b.op("Sigmoid", {r1}, {}, "s1");
    auto* s2 = b.op("Sigmoid", {r2}, {}, "s2");
    auto out = b.output(b.op("Add", {s1, s2}, {}, "add"));
    pass_context ctx;
    CHECK(passes::eliminate_common_subexpressions{}.run(*b.g, ctx));
    check_valid(*b.g);
    CHECK(b.g->num_nodes() == 3);
    CHECK(b.g->find_node("r2") == nullptr);
    CHECK(b.g->find_node("s2") == nullptr);
    const auto* add = b.g->find_node("add");
    CHECK(add->input(0) == s1);
    CHECK(add->input(1) == s1);
    CHECK(output_names(*b.g) == std::vector<std::string>{out});
    CHECK(ctx.counter("eliminate_common_subexpressions.nodes") == 2);
    CHECK_FALSE(passes::eliminate_common_subexpressions{}.run(*b.g, ctx));
}

TEST_CASE("eliminate_common_subexpressions: attributes must match (in any order), inputs in order") {
    builder b;
    auto* x = b.input("x");
    auto* y = b.input("y");
    b.output(b.op("LeakyRelu", {x}, {{"alpha", 0.1f}}));
    b.output(b.op("LeakyRelu", {x}, {{"alpha", 0.2f}}));
    b.output(b.op("LeakyRelu", {x}, {}));
    b.output(b.op("Sub", {x, y}));
    b.output(b.op("Sub", {y, x}));
    auto* c1 = b.op("Conv", {x, y}, {{"strides", ints{1, 1}}, {"pads", ints{0, 0, 0, 0}}}, "c1");
    auto* c2 = b.op("Conv", {x, y}, {{"pads", ints{0, 0, 0, 0}}, {"strides", ints{1, 1}}}, "c2");
    auto* c3 = b.op("Conv", {x, y}, {{"pads", ints{0, 0, 0, 0}}, {"strides", ints{2, 2}}}, "c3");
    b.output(b.op("Sum", {c1, c2, c3}));
    pass_context ctx;
    CHECK(passes::eliminate_common_subexpressions{}.run(*b.g, ctx));
    check_valid(*b.g);
    CHECK(count(*b.g, "LeakyRelu") == 3);
    CHECK(count(*b.g, "Sub") == 2);
    CHECK(count(*b.g, "Conv") == 2);
    CHECK(b.g->find_node("c2") == nullptr);
    CHECK(ctx.counter("eliminate_common_subexpressions.nodes") == 1);
}

TEST_CASE("eliminate_common_subexpressions: random ops, subgraph ops and graph outputs are not merged") {
    builder b;
    auto* x = b.input("x");
    auto* r1 = b.op("RandomNormalLike", {x});
    auto* r2 = b.op("RandomNormalLike", {x});
    b.output(b.op("Add", {r1, r2}));
    b.output(b.op("Relu", {x}));
    b.output(b.op("Relu", {x}));  // both graph outputs: the names must stay
    auto* cond = b.g->add_input("cond", value_type::tensor_of(dtype::boolean, shape{}));
    b.output(if_reading(b, cond, x)->output(0));
    b.output(if_reading(b, cond, x)->output(0));
    b.output(b.g->add_node("Relu", {x}, 1, {}, "custom", "com.example")->output(0));
    b.output(b.g->add_node("Relu", {x}, 1, {}, "custom2", "com.example")->output(0));
    auto before = b.g->num_nodes();
    pass_context ctx;
    CHECK_FALSE(passes::eliminate_common_subexpressions{}.run(*b.g, ctx));
    CHECK(b.g->num_nodes() == before);
}

TEST_CASE("eliminate_common_subexpressions: a duplicate that is a graph output is kept, the other merges into it") {
    builder b;
    auto* x = b.input("x");
    auto* first = b.op("Exp", {x}, {}, "first");
    auto* second = b.op("Exp", {x}, {}, "second");
    b.output(first);
    b.output(b.op("Neg", {second}));
    pass_context ctx;
    CHECK(passes::eliminate_common_subexpressions{}.run(*b.g, ctx));
    check_valid(*b.g);
    CHECK(count(*b.g, "Exp") == 1);
    CHECK(output_names(*b.g)[0] == "first_out0");
}

TEST_CASE("eliminate_common_subexpressions: constants with equal dtype, shape and bytes become one") {
    builder b;
    auto* x = b.input("x", shape{4});
    auto* c1 = b.init("c1", tensor::from<float>({4}, {1, 2, 3, 4}));
    auto* c2 = b.init("c2", tensor::from<float>({4}, {1, 2, 3, 4}));
    auto* other_shape = b.init("c3", tensor::from<float>({2, 2}, {1, 2, 3, 4}));
    auto* other_type = b.init("c4", tensor::from<std::int32_t>({4}, {1065353216, 1073741824, 1077936128, 1082130432}));  // same bits
    auto* other_bytes = b.init("c5", tensor::from<float>({4}, {1, 2, 3, 5}));
    auto* fed = b.input("c6", shape{4});  // an input with a default can be fed: not a constant
    b.g->set_initializer(fed, tensor::from<float>({4}, {1, 2, 3, 4}));
    auto* m1 = b.op("Mul", {x, c1}, {}, "m1");
    auto* m2 = b.op("Mul", {x, c2}, {}, "m2");
    b.output(b.op("Add", {m1, m2}));
    for (auto* c : {other_shape, other_type, other_bytes, fed}) b.output(b.op("Identity", {c}));
    pass_context ctx;
    CHECK(passes::eliminate_common_subexpressions{}.run(*b.g, ctx));
    check_valid(*b.g);
    CHECK(b.g->find_value("c2") == nullptr);
    CHECK(b.g->find_value("c3") != nullptr);
    CHECK(b.g->find_value("c4") != nullptr);
    CHECK(b.g->find_value("c5") != nullptr);
    CHECK(b.g->find_value("c6") != nullptr);
    CHECK(ctx.counter("eliminate_common_subexpressions.constants") == 1);
    CHECK(b.g->find_node("m2") == nullptr);  // Mul(x, c1) twice: merged as well
    CHECK(ctx.counter("eliminate_common_subexpressions.nodes") == 1);
}

TEST_CASE("eliminate_common_subexpressions: Constant nodes with equal values merge") {
    builder b;
    auto* x = b.input("x", shape{2});
    auto* k1 = b.op("Constant", {}, {{"value", tensor::from<float>({2}, {0.5f, 1.5f})}});
    auto* k2 = b.op("Constant", {}, {{"value", tensor::from<float>({2}, {0.5f, 1.5f})}});
    auto* k3 = b.op("Constant", {}, {{"value", tensor::from<float>({2}, {0.5f, 2.5f})}});
    b.output(b.op("Sum", {b.op("Mul", {x, k1}), b.op("Mul", {x, k2}), b.op("Mul", {x, k3})}));
    pass_context ctx;
    CHECK(passes::eliminate_common_subexpressions{}.run(*b.g, ctx));
    check_valid(*b.g);
    CHECK(count(*b.g, "Constant") == 2);
    CHECK(count(*b.g, "Mul") == 2);
}
