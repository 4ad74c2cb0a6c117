// Tests of the IR: dims, shapes, tensors, values, nodes, graph editing, ordering, cloning, extraction.
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>

#if defined(GEARC_TESTING_SINGLE_HEADER) && !defined(GEARC_SINGLE_HEADER)
#error "this build is meant to test single_include/gearc/gearc.hpp, but include/gearc/gearc.hpp was found first"
#endif

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

using namespace gearc;

namespace {
// x -> Conv(w) -> Relu -> y, with a shared weight.
std::unique_ptr<graph> small_graph() {
    auto g = std::make_unique<graph>("small");
    auto* x = g->add_input("x", value_type::tensor_of(dtype::float32, shape{dim::symbol("N"), 3, 8, 8}));
    auto* w = g->add_initializer("w", tensor::from<float>({4, 3, 1, 1}, std::vector<float>(12, 0.5f)));
    auto* conv = g->add_node("Conv", {x, w}, 1, {{"kernel_shape", std::vector<std::int64_t>{1, 1}}}, "conv");
    auto* relu = g->add_node("Relu", {conv->output(0)}, 1, {}, "relu");
    g->add_output(relu->output(0));
    return g;
}
}  // namespace

TEST_CASE("dim: kinds, text and equality") {
    CHECK(dim(3).is_static());
    CHECK(dim(3).to_string() == "3");
    CHECK(dim::symbol("batch").to_string() == "batch");
    CHECK(dim::range(1, 10).to_string() == "1~10");
    CHECK(dim::range(1, -1).to_string() == "1~-1");
    CHECK(dim().to_string() == "?");
    CHECK(dim::symbol("N") == dim::symbol("N"));
    CHECK_FALSE(dim::symbol("N") == dim::symbol("M"));
    CHECK_FALSE(dim(3) == dim::range(3, 3));
}

TEST_CASE("shape: static queries and binding symbols") {
    shape s{dim::symbol("N"), 3, dim::symbol("H"), dim()};
    CHECK(s.to_string() == "[N,3,H,?]");
    CHECK_FALSE(s.is_static());
    CHECK_FALSE(s.numel().has_value());
    auto b = s.bind({{"N", 2}, {"H", 5}});
    CHECK(b.to_string() == "[2,3,5,?]");
    shape full{2, 3, 4};
    CHECK(full.numel() == 24);
    CHECK(full.sizes() == std::vector<std::int64_t>{2, 3, 4});
    CHECK(shape{}.numel() == 1);  // scalar
}

TEST_CASE("dtype: sizes and names round-trip") {
    for (dtype t : all_dtypes) CHECK(parse_dtype(to_string(t)) == t);
    CHECK(size_of(dtype::float32) == 4);
    CHECK(size_of(dtype::bfloat16) == 2);
    CHECK(size_of(dtype::boolean) == 1);
    CHECK(parse_dtype("FP16") == dtype::float16);
    CHECK_FALSE(parse_dtype("float7").has_value());
}

TEST_CASE("tensor: size checks, typed views, shared bytes") {
    auto t = tensor::from<float>({2, 2}, {1, 2, 3, 4});
    CHECK(t.numel() == 4);
    CHECK(t.view<float>()[3] == 4.0f);
    CHECK_THROWS_AS((void)t.view<std::int32_t>(), graph_error);
    tensor copy = t;
    CHECK(copy.data().shares_with(t.data()));
    CHECK_THROWS_WITH_AS(tensor(dtype::float32, {3}, buffer::copy_of("abcd", 4)),
                         "GC1010: tensor of type float32 and shape [3] needs 12 bytes but has 4", model_error);
}

TEST_CASE("to_dot: inputs, one box per node with its weights, edges with types, outputs; names escaped") {
    auto g = small_graph();
    g->find_node("relu")->set_name("re\"lu");
    const std::string dot = to_dot(*g);
    CHECK(dot.rfind("digraph \"small\" {", 0) == 0);
    CHECK(dot.find("in0 [shape=ellipse") != std::string::npos);
    CHECK(dot.find("label=\"x\\nfloat32[N,3,8,8]\"") != std::string::npos);
    CHECK(dot.find("label=\"Conv\\nconv\\nw: float32[4,3,1,1]\"") != std::string::npos);  // the weight, not an edge
    CHECK(dot.find("label=\"Relu\\nre\\\"lu\"") != std::string::npos);
    CHECK(dot.find("in0 -> n0") != std::string::npos);
    CHECK(dot.find("n0 -> n1") != std::string::npos);
    CHECK(dot.find("n1 -> out0;") != std::string::npos);
    std::size_t boxes = 0;
    for (std::size_t p = dot.find("shape=box"); p != std::string::npos; p = dot.find("shape=box", p + 1)) ++boxes;
    CHECK(boxes == 2);
    CHECK(dot.find("-> n0 [label=\"w") == std::string::npos);
    CHECK(dot.substr(dot.size() - 2) == "}\n");
}

TEST_CASE("graph: use lists follow every edit") {
    auto g = small_graph();
    auto* conv = g->find_node("conv");
    auto* relu = g->find_node("relu");
    REQUIRE(conv);
    REQUIRE(relu);
    auto* x = g->find_value("x");
    CHECK(x->uses().size() == 1);
    CHECK(conv->output(0)->producer() == conv);
    CHECK(verify(*g).empty());

    // Insert Sigmoid between conv and relu.
    auto* sig = g->insert_node(relu, "Sigmoid", {conv->output(0)}, 1, {}, "sig");
    relu->set_input(0, sig->output(0));
    CHECK(conv->output(0)->uses().size() == 1);
    CHECK(conv->output(0)->uses()[0].user == sig);
    CHECK(verify(*g).empty());

    // Replace relu's output everywhere (graph output too), then remove relu.
    g->replace_all_uses_with(relu->output(0), sig->output(0));
    CHECK(g->outputs()[0] == sig->output(0));
    g->remove_node(relu);
    CHECK(g->num_nodes() == 2);
    CHECK(verify(*g).empty());
}

TEST_CASE("graph: removing a node that is still used is refused") {
    auto g = small_graph();
    CHECK_THROWS_WITH_AS(g->remove_node(g->find_node("conv")),
                         doctest::Contains("remove_node: Conv 'conv' output 'conv_out0' is still used"), graph_error);
    CHECK(verify(*g).empty());
}

TEST_CASE("graph: replace_node rewires and removes") {
    auto g = small_graph();
    auto* relu = g->find_node("relu");
    auto* clip = g->insert_node(relu, "Clip", {relu->input(0)}, 1, {}, "clip");
    g->replace_node(relu, clip);
    CHECK(g->find_node("relu") == nullptr);
    CHECK(g->outputs()[0] == clip->output(0));
    CHECK(verify(*g).empty());
}

TEST_CASE("graph: a value defined twice is refused") {
    graph g("g");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32));
    CHECK_THROWS_AS(g.add_input("x", {}), graph_error);
    auto* y = g.add_value("y");
    g.add_node("Relu", {x}, {y});
    CHECK_THROWS_WITH_AS(g.add_node("Neg", {x}, {y}), doctest::Contains("value 'y' is defined twice"), graph_error);
}

TEST_CASE("graph: topological order keeps the given order where it can and sorts out-of-order nodes") {
    graph g("g");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32));
    auto* a = g.add_value("a");
    auto* b = g.add_value("b");
    g.add_node("Neg", {a}, {b}, {}, "second");  // reads a before it is produced
    g.add_node("Relu", {x}, {a}, {}, "first");
    g.add_output(b);
    auto diags = verify(g);
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].to_string() ==
          "graph 'g', node Neg 'second', value 'a': input 0 is read before Relu 'first' computes it (the node order is not "
          "topological, or there is a cycle)");
    g.sort_topologically();
    CHECK(g.node_list()[0]->name() == "first");
    CHECK(verify(g).empty());
}

TEST_CASE("graph: a cycle is reported with its nodes") {
    graph g("cyc");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32));
    auto* a = g.add_value("a");
    auto* b = g.add_value("b");
    g.add_node("Add", {x, b}, {a}, {}, "n1");
    g.add_node("Relu", {a}, {b}, {}, "n2");
    g.add_output(b);
    CHECK_THROWS_WITH_AS((void)g.topological_order(), "GC1007: graph 'cyc' has a cycle: Add 'n1' -> Relu 'n2' -> Add 'n1'",
                         graph_error);
}

TEST_CASE("graph: clone is deep for structure and shallow for weights") {
    auto g = small_graph();
    auto c = g->clone();
    CHECK(to_text(*c) == to_text(*g));
    CHECK(verify(*c).empty());
    auto* w0 = g->find_value("w");
    auto* w1 = c->find_value("w");
    CHECK(w0 != w1);
    CHECK(w0->initializer()->data().shares_with(w1->initializer()->data()));
    // Editing the clone leaves the original alone.
    c->find_node("relu")->set_op_type("Sigmoid");
    CHECK(g->find_node("relu")->op_type() == "Relu");
}

TEST_CASE("graph: many clones share one copy of the weights") {
    auto g = small_graph();
    const auto before = g->find_value("w")->initializer()->data().use_count();
    std::vector<std::unique_ptr<graph>> gears;
    for (int i = 0; i < 100; ++i) gears.push_back(g->clone());
    CHECK(g->find_value("w")->initializer()->data().use_count() == before + 100);
}

TEST_CASE("graph: extract copies a subgraph with boundary inputs and outputs") {
    auto g = small_graph();
    auto sub = g->extract({g->find_node("relu")}, "tail");
    REQUIRE(sub->inputs().size() == 1);
    CHECK(sub->inputs()[0]->name() == "conv_out0");
    REQUIRE(sub->outputs().size() == 1);
    CHECK(sub->outputs()[0]->name() == "relu_out0");
    CHECK(verify(*sub).empty());

    auto head = g->extract({g->find_node("conv")}, "head");
    CHECK(head->inputs().size() == 1);        // x
    CHECK(head->initializers().size() == 1);  // w stays an initializer, sharing its data
    CHECK(head->outputs().size() == 1);       // conv_out0 is used by relu outside the set
    CHECK(verify(*head).empty());
}

TEST_CASE("node: typed attribute access names the node on mistakes") {
    auto g = small_graph();
    auto* conv = g->find_node("conv");
    CHECK(conv->attr<std::vector<std::int64_t>>("kernel_shape") == std::vector<std::int64_t>{1, 1});
    CHECK(conv->attr_or<std::int64_t>("group", 1) == 1);
    CHECK_THROWS_WITH_AS((void)conv->attr<std::int64_t>("kernel_shape"),
                         "GC2001: Conv 'conv': attribute 'kernel_shape' is INTS, not the expected kind", graph_error);
    CHECK_THROWS_WITH_AS((void)conv->attr<float>("alpha"), "GC2001: Conv 'conv': required attribute 'alpha' is missing",
                         graph_error);
}

TEST_CASE("verifier: reports every broken invariant with node and op") {
    graph g("bad");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32));
    auto* ghost = g.add_value("ghost");  // never defined
    auto* n = g.add_node("Add", {x, ghost}, 1, {}, "add");
    g.add_output(n->output(0));
    auto diags = verify(g);
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].node == "Add 'add'");
    CHECK(diags[0].value == "ghost");
    CHECK_THROWS_WITH_AS(verify_or_throw(g), doctest::Contains("GC2001: 1 broken invariant(s):"), graph_error);
}

TEST_CASE("graph: subgraph attributes are cloned deeply and their captures order the parent") {
    graph g("outer");
    auto* c = g.add_input("cond", value_type::tensor_of(dtype::boolean, shape{}));
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32, shape{2}));
    auto body = std::make_shared<graph>("then");
    auto* cap = body->add_outer_ref("y");
    auto* neg = body->add_node("Neg", {cap}, 1, {}, "neg");
    body->add_output(neg->output(0));
    auto* y = g.add_value("y");
    g.add_node("If", {c}, 1, {{"then_branch", body}, {"else_branch", body}}, "if");  // reads y through the body
    g.add_node("Relu", {x}, {y}, {}, "relu");
    g.sort_topologically();
    CHECK(g.node_list()[0]->name() == "relu");
    auto copy = g.clone();
    auto* then_copy = copy->find_node("if")->attr<std::shared_ptr<graph>>("then_branch").get();
    CHECK(then_copy != body.get());
    CHECK(to_text(*copy) == to_text(g));
}
