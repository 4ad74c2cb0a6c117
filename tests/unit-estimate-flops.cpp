// Tests of passes::estimate_flops: hand-counted FLOPs per operator, GC4004, unknown ops, and how gears scale.
#include "test_support.hpp"

#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using gearc::dim;
using gearc::dtype;
using gearc::shape;
using gearc::tensor;
using gearc::value_type;
using gearc::passes::estimate_flops;
using gearc::passes::flops_estimate;
using ints = std::vector<std::int64_t>;

/// A graph built one node at a time, its shapes inferred by gearc's rules before estimating.
struct net {
    std::unique_ptr<gearc::graph> g = std::make_unique<gearc::graph>("t");
    std::size_t count = 0;

    gearc::value* input(const std::string& name, shape s, dtype t = dtype::float32) {
        return g->add_input(name, value_type::tensor_of(t, std::move(s)));
    }
    gearc::value* floats(const std::string& name, const ints& sizes, const std::vector<float>& values) {
        return g->add_initializer(name, tensor::from<float>(sizes, values));
    }
    /// Node `op`; returns its first output, named after the node ("<op><k>").
    gearc::value* op(const std::string& op, std::vector<gearc::value*> ins, gearc::node::attribute_list attrs = {},
                     const std::string& domain = {}, std::size_t outputs = 1) {
        const std::string name = op + std::to_string(count++);
        auto* n = g->add_node(op, std::move(ins), outputs, std::move(attrs), name, domain);
        return n->output(0);
    }
    void output(gearc::value* v) { g->add_output(v); }

    void infer() {
        gearc::pass_context ctx;
        ctx.opset = 17;
        gearc::passes::infer_shapes{}.run(*g, ctx);
    }
    /// Infers the shapes, then estimates.
    flops_estimate estimate() {
        infer();
        return estimate_flops(*g);
    }
};

std::string shape_of(const gearc::value* v) { return v->type().to_string(); }

/// The FLOPs of a graph holding one node `op` on `ins` (shapes inferred).
double flops_of(net& n, gearc::value* y) {
    n.output(y);
    auto e = n.estimate();
    CHECK(e.unknown_ops.empty());
    return e.total;
}

/// x[N,3,8,8] -> Conv(4,3,3,3 pad 1, bias) -> BatchNormalization -> Relu -> Flatten -> MatMul [256,10] -> Add bias.
std::unique_ptr<gearc::graph> batch_cnn() {
    net n;
    n.g->info().opset_imports[""] = 13;
    auto* x = n.input("x", shape{dim::symbol("N"), 3, 8, 8});
    auto* w = n.floats("conv.w", {4, 3, 3, 3}, std::vector<float>(108, 0.01f));
    auto* cb = n.floats("conv.b", {4}, {0.1f, 0.2f, 0.3f, 0.4f});
    auto* conv = n.op("Conv", {x, w, cb}, {{"pads", ints{1, 1, 1, 1}}});
    auto* s = n.floats("bn.s", {4}, {1.f, 2.f, 0.5f, 1.f});
    auto* b = n.floats("bn.b", {4}, {0.f, 0.1f, 0.f, -0.1f});
    auto* m = n.floats("bn.m", {4}, {0.f, 0.5f, 0.f, 0.2f});
    auto* v = n.floats("bn.v", {4}, {1.f, 4.f, 1.f, 0.25f});
    auto* bn = n.op("BatchNormalization", {conv, s, b, m, v}, {{"epsilon", 1e-5f}});
    auto* relu = n.op("Relu", {bn});
    auto* flat = n.op("Flatten", {relu}, {{"axis", std::int64_t{1}}});
    auto* fc = n.floats("fc.w", {256, 10}, std::vector<float>(2560, 0.02f));
    auto* mm = n.op("MatMul", {flat, fc});
    auto* bias = n.floats("fc.b", {10}, std::vector<float>(10, 0.5f));
    n.output(n.op("Add", {mm, bias}));
    return std::move(n.g);
}

/// x[1,3,H,W] -> Conv 3x3 pad 1 -> Relu -> Conv 3x3 SAME_UPPER -> Add (residual) -> MaxPool 3x3 stride 1 pad 1 -> Sigmoid.
std::unique_ptr<gearc::graph> image_cnn() {
    net n;
    n.g->info().opset_imports[""] = 13;
    auto* x = n.input("x", shape{1, 3, dim::symbol("H"), dim::symbol("W")});
    auto* w1 = n.floats("w1", {8, 3, 3, 3}, std::vector<float>(216, 0.01f));
    auto* b1 = n.floats("b1", {8}, std::vector<float>(8, 0.1f));
    auto* c1 = n.op("Conv", {x, w1, b1}, {{"pads", ints{1, 1, 1, 1}}});
    auto* r1 = n.op("Relu", {c1});
    auto* w2 = n.floats("w2", {8, 8, 3, 3}, std::vector<float>(576, 0.01f));
    auto* c2 = n.op("Conv", {r1, w2}, {{"auto_pad", "SAME_UPPER"}});
    auto* sum = n.op("Add", {c2, r1});
    auto* pool = n.op("MaxPool", {sum}, {{"kernel_shape", ints{3, 3}}, {"pads", ints{1, 1, 1, 1}}});
    n.output(n.op("Sigmoid", {pool}));
    return std::move(n.g);
}

}  // namespace

TEST_CASE("Conv: 2 * N * Cout * prod(out) * Cin/group * prod(kernel), + 1 per output element for the bias") {
    SUBCASE("grouped, strided, dilated, padded, with a bias") {
        net n;
        auto* x = n.input("x", shape{2, 4, 9, 9});
        auto* w = n.input("w", shape{6, 2, 3, 3});
        auto* b = n.input("b", shape{6});
        auto* y = n.op("Conv", {x, w, b},
                       {{"group", std::int64_t{2}}, {"strides", ints{2, 2}}, {"dilations", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}});
        const double f = flops_of(n, y);
        CHECK(shape_of(y) == "float32[2,6,4,4]");  // dilated kernel 5: (9 + 2 - 5) / 2 + 1 = 4
        CHECK(f == 2.0 * (2 * 6 * 4 * 4) * (2 * 3 * 3) + 2 * 6 * 4 * 4);
        CHECK(f == 7104);
    }
    SUBCASE("depthwise") {
        net n;
        auto* x = n.input("x", shape{1, 8, 10, 10});
        auto* w = n.input("w", shape{8, 1, 3, 3});
        auto* y = n.op("Conv", {x, w}, {{"group", std::int64_t{8}}, {"pads", ints{1, 1, 1, 1}}});
        CHECK(flops_of(n, y) == 2.0 * (8 * 10 * 10) * 9);
        CHECK(shape_of(y) == "float32[1,8,10,10]");
    }
    SUBCASE("asymmetric padding, 1-D") {
        net n;
        auto* x = n.input("x", shape{3, 2, 7});
        auto* w = n.input("w", shape{5, 2, 4});
        auto* y = n.op("Conv", {x, w}, {{"pads", ints{2, 0}}});
        CHECK(flops_of(n, y) == 2.0 * (3 * 5 * 6) * (2 * 4));  // out = 7 + 2 - 4 + 1 = 6
        CHECK(shape_of(y) == "float32[3,5,6]");
    }
    SUBCASE("FusedConv adds its activation, 1 per output element") {
        net n;
        auto* x = n.input("x", shape{1, 3, 8, 8});
        auto* w = n.input("w", shape{4, 3, 3, 3});
        auto* b = n.input("b", shape{4});
        auto* y = n.op("FusedConv", {x, w, b},
                       {{"pads", ints{1, 1, 1, 1}}, {"activation", "Relu"}, {"activation_params", std::vector<float>{}}}, "ai.gearc");
        n.output(y);
        auto e = n.estimate();
        CHECK(e.total == 2.0 * 256 * 27 + 256 + 256);
        CHECK(e.by_op.at("FusedConv") == e.total);
        CHECK(e.unknown_ops.empty());
    }
}

TEST_CASE("ConvTranspose: 2 * N * Cin * prod(in) * Cout/group * prod(kernel)") {
    net n;
    auto* x = n.input("x", shape{1, 4, 5, 5});
    auto* w = n.input("w", shape{4, 3, 2, 2});  // [Cin, Cout/group, k, k]
    auto* b = n.input("b", shape{6});
    auto* y = n.op("ConvTranspose", {x, w, b}, {{"group", std::int64_t{2}}, {"strides", ints{2, 2}}});
    const double f = flops_of(n, y);
    CHECK(shape_of(y) == "float32[1,6,10,10]");
    CHECK(f == 2.0 * (4 * 5 * 5) * (3 * 2 * 2) + 6 * 10 * 10);
}

TEST_CASE("MatMul: 2 * batch * M * N * K with broadcast batch dims and promoted vectors") {
    SUBCASE("batch dims broadcast") {
        net n;
        auto* a = n.input("a", shape{2, 1, 3, 4});
        auto* b = n.input("b", shape{5, 4, 6});
        auto* y = n.op("MatMul", {a, b});
        CHECK(flops_of(n, y) == 2.0 * (2 * 5) * 3 * 6 * 4);
        CHECK(shape_of(y) == "float32[2,5,3,6]");
    }
    SUBCASE("vector times matrix, matrix times vector") {
        net n;
        auto* v = n.input("v", shape{4});
        auto* m = n.input("m", shape{4, 6});
        auto* m2 = n.input("m2", shape{3, 4});
        n.output(n.op("MatMul", {v, m}));
        n.output(n.op("MatMul", {m2, v}));
        auto e = n.estimate();
        CHECK(e.total == 2.0 * 6 * 4 + 2.0 * 3 * 4);
        CHECK(e.by_op.at("MatMul") == 72);
        CHECK(e.nodes == 2);
    }
    SUBCASE("FusedMatMul: + bias and activation per output element") {
        net n;
        auto* a = n.input("a", shape{2, 3, 4});
        auto* b = n.input("b", shape{4, 5});
        auto* bias = n.input("bias", shape{5});
        auto* y = n.op("FusedMatMul", {a, b, bias}, {{"activation", "Sigmoid"}, {"activation_params", std::vector<float>{}}},
                       "ai.gearc");
        CHECK(flops_of(n, y) == 2.0 * 30 * 4 + 30 + 30);
    }
}

TEST_CASE("Gemm: 2 * M * N * K, + M * N for C, whatever transA and transB") {
    SUBCASE("transposed operands and a bias") {
        net n;
        auto* a = n.input("a", shape{4, 3});  // [K, M]
        auto* b = n.input("b", shape{5, 4});  // [N, K]
        auto* c = n.input("c", shape{5});
        auto* y = n.op("Gemm", {a, b, c}, {{"transA", std::int64_t{1}}, {"transB", std::int64_t{1}}});
        CHECK(flops_of(n, y) == 2.0 * 3 * 5 * 4 + 3 * 5);
        CHECK(shape_of(y) == "float32[3,5]");
    }
    SUBCASE("plain, no C") {
        net n;
        auto* y = n.op("Gemm", {n.input("a", shape{3, 4}), n.input("b", shape{4, 5})});
        CHECK(flops_of(n, y) == 120);
    }
    SUBCASE("FusedGemm adds its activation") {
        net n;
        auto* y = n.op("FusedGemm", {n.input("a", shape{3, 4}), n.input("b", shape{4, 5}), n.input("c", shape{1, 5})},
                       {{"activation", "Relu"}, {"activation_params", std::vector<float>{}}}, "ai.gearc");
        CHECK(flops_of(n, y) == 120 + 15 + 15);
    }
}

TEST_CASE("pooling: output elements * prod(kernel); global pooling and reductions: input elements") {
    net n;
    auto* x = n.input("x", shape{1, 2, 8, 8});
    auto* mp = n.op("MaxPool", {x}, {{"kernel_shape", ints{3, 3}}, {"strides", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}});
    auto* ap = n.op("AveragePool", {x}, {{"kernel_shape", ints{2, 2}}, {"strides", ints{2, 2}}});
    auto* gp = n.op("GlobalAveragePool", {x});
    auto* rm = n.op("ReduceMean", {x}, {{"axes", ints{2, 3}}});
    for (auto* v : {mp, ap, gp, rm}) n.output(v);
    auto e = n.estimate();
    CHECK(shape_of(mp) == "float32[1,2,4,4]");
    CHECK(e.by_op.at("MaxPool") == 32 * 9);
    CHECK(e.by_op.at("AveragePool") == 32 * 4);
    CHECK(e.by_op.at("GlobalAveragePool") == 128);
    CHECK(e.by_op.at("ReduceMean") == 128);
    CHECK(e.total == 288 + 128 + 128 + 128);
}

TEST_CASE("elementwise ops count output elements; variadic ones (inputs - 1) times; data movement nothing") {
    net n;
    auto* a = n.input("a", shape{2, 3});
    auto* row = n.input("row", shape{3});
    auto* cond = n.input("cond", shape{2, 3}, dtype::boolean);
    auto* add = n.op("Add", {a, row});
    auto* relu = n.op("Relu", {add});
    auto* sum = n.op("Sum", {a, relu, add});
    auto* mean = n.op("Mean", {a, relu, add});
    auto* sel = n.op("Where", {cond, sum, mean});
    auto* clip = n.op("Clip", {sel});
    auto* sm = n.op("Softmax", {clip});
    auto* t = n.op("Transpose", {sm}, {{"perm", ints{1, 0}}});
    auto* cast = n.op("Cast", {t}, {{"to", std::int64_t{11}}});
    n.output(cast);
    auto e = n.estimate();
    CHECK(e.by_op.at("Add") == 6);
    CHECK(e.by_op.at("Relu") == 6);
    CHECK(e.by_op.at("Sum") == 12);
    CHECK(e.by_op.at("Mean") == 18);  // two additions and one scaling
    CHECK(e.by_op.at("Where") == 6);
    CHECK(e.by_op.at("Clip") == 6);
    CHECK(e.by_op.at("Softmax") == 30);
    CHECK(e.by_op.at("Transpose") == 0);  // listed, with nothing
    CHECK(e.by_op.at("Cast") == 0);
    CHECK(e.total == 6 + 6 + 12 + 18 + 6 + 6 + 30);
    CHECK(e.nodes == 9);
    CHECK(e.unknown_ops.empty());
}

TEST_CASE("normalisations, Gelu and Resize use the documented per-element constants") {
    net n;
    auto* x = n.input("x", shape{2, 3, 4});
    auto* s = n.input("s", shape{4});
    auto* b = n.input("b", shape{4});
    n.output(n.op("LayerNormalization", {x, s, b}));
    n.output(n.op("LayerNormalization", {x, s}, {}, "ai.gearc"));
    n.output(n.op("Gelu", {x}, {{"approximate", "none"}}, "ai.gearc"));
    auto* img = n.input("img", shape{1, 2, 4, 4});
    auto* scales = n.floats("scales", {4}, {1.f, 1.f, 2.f, 2.f});
    auto* lin = n.op("Resize", {img, nullptr, scales}, {{"mode", "linear"}});
    auto* near = n.op("Resize", {img, nullptr, scales});
    auto* cub = n.op("Resize", {img, nullptr, scales}, {{"mode", "cubic"}});
    for (auto* v : {lin, near, cub}) n.output(v);
    auto* ch = n.input("ch", shape{2});
    n.output(n.op("BatchNormalization", {img, ch, ch, ch, ch}));
    n.output(n.op("InstanceNormalization", {img, ch, ch}));
    auto e = n.estimate();
    CHECK(shape_of(lin) == "float32[1,2,8,8]");
    CHECK(e.by_op.at("LayerNormalization") == 24 * 7 + 24 * 6);  // with and without a bias
    CHECK(e.by_op.at("Gelu") == 24 * 5);
    CHECK(e.by_op.at("Resize") == 128 * 4 + 128 * 1 + 128 * 16);  // two resized axes: 2^2, 1, 4^2
    CHECK(e.by_op.at("BatchNormalization") == 32 * 4);
    CHECK(e.by_op.at("InstanceNormalization") == 32 * 7);
}

TEST_CASE("recurrent ops: gate GEMMs plus the cell's elementwise work, per direction, step, batch row and unit") {
    SUBCASE("bidirectional LSTM with a bias") {
        net n;
        auto* x = n.input("x", shape{5, 2, 3});  // [seq, batch, input]
        auto* w = n.input("w", shape{2, 16, 3});
        auto* r = n.input("r", shape{2, 16, 4});
        auto* b = n.input("b", shape{2, 32});
        auto* y = n.op("LSTM", {x, w, r, b}, {{"hidden_size", std::int64_t{4}}, {"direction", "bidirectional"}}, {}, 3);
        const double f = flops_of(n, y);
        CHECK(shape_of(y) == "float32[5,2,2,4]");
        // per unit: 4 gates * 2 * (3 + 4) = 56, cell 9, bias 8; units: 2 dirs * 5 steps * 2 rows * 4 hidden
        CHECK(f == (56 + 9 + 8) * 2 * 5 * 2 * 4);
        CHECK(f == 5840);
    }
    SUBCASE("forward GRU without a bias, hidden size from R") {
        net n;
        auto* y = n.op("GRU", {n.input("x", shape{3, 1, 2}), n.input("w", shape{1, 6, 2}), n.input("r", shape{1, 6, 2})}, {}, {}, 2);
        CHECK(flops_of(n, y) == (3 * 2 * (2 + 2) + 8) * 1 * 3 * 1 * 2);
    }
    SUBCASE("RNN with a bias, batch-first layout") {
        net n;
        auto* x = n.input("x", shape{2, 4, 3});  // [batch, seq, input]
        auto* y = n.op("RNN", {x, n.input("w", shape{1, 5, 3}), n.input("r", shape{1, 5, 5}), n.input("b", shape{1, 10})},
                       {{"hidden_size", std::int64_t{5}}, {"layout", std::int64_t{1}}});
        CHECK(flops_of(n, y) == (1 * 2 * (3 + 5) + 1 + 2) * 1 * 4 * 2 * 5);
    }
}

TEST_CASE("Einsum: a loop nest over every label") {
    net n;
    auto* a = n.input("a", shape{2, 3, 4});
    auto* b = n.input("b", shape{2, 4, 5});
    auto* m = n.input("m", shape{3, 4});
    auto* c = n.input("c", shape{4, 5});
    auto* bmm = n.op("Einsum", {a, b}, {{"equation", "bij,bjk->bik"}});
    auto* tr = n.op("Einsum", {m}, {{"equation", "ij->ji"}});
    auto* all = n.op("Einsum", {m}, {{"equation", "ij->"}});
    auto* ell = n.op("Einsum", {a, c}, {{"equation", "...ij,jk"}});  // implicit output: ...ik
    auto* outer = n.op("Einsum", {m, c}, {{"equation", "ij,kl->ijkl"}});
    for (auto* v : {bmm, tr, all, ell, outer}) n.output(v);
    auto e = n.estimate();
    CHECK(shape_of(ell) == "float32[2,3,5]");
    CHECK(e.total == 2.0 * 2 * 3 * 4 * 5      // batched matmul
                         + 0                  // a transpose
                         + 12                 // a sum of every element
                         + 2.0 * 2 * 3 * 4 * 5  // broadcast batch of a matmul
                         + 12.0 * 20);        // an outer product: multiplications only
}

TEST_CASE("a shape the formula needs that is not static is GC4004 naming the node; data movement needs none") {
    net n;
    auto* x = n.input("x", shape{dim::symbol("N"), 3, 8, 8});
    auto* t = n.op("Transpose", {x}, {{"perm", ints{0, 1, 3, 2}}});
    auto* f = n.op("Flatten", {t});
    n.output(f);
    auto e = n.estimate();
    CHECK(e.total == 0);
    CHECK(e.nodes == 2);

    auto* w = n.input("w", shape{4, 3, 3, 3});
    auto* y = n.op("Conv", {t, w});
    n.output(y);
    n.infer();
    CHECK(shape_of(y) == "float32[N,4,6,6]");
    try {
        (void)estimate_flops(*n.g);
        FAIL("no error");
    } catch (const gearc::compile_error& err) {
        CHECK(err.code() == "GC4004");
        CHECK(std::string(err.what()) ==
              "GC4004: estimate_flops: Conv 'Conv2' needs the static shape of its output 0 'Conv2_out0', which is float32[N,4,6,6]");
        CHECK_FALSE(err.solution().empty());
    }
    // an unknown rank is no better
    net u;
    auto* a = u.input("a", shape{2, 3});
    auto* add = u.g->add_node("Add", {a, a}, {u.g->add_value("sum", value_type::tensor_of(dtype::float32))}, {}, "add")->output(0);
    u.output(add);
    CHECK(gearc_test::any_code_of([&] { (void)estimate_flops(*u.g); }) == "GC4004");
}

TEST_CASE("operators without a formula count 0 and are listed once, sorted, with their domain outside ai.onnx") {
    gearc::graph g("t");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32, shape{2, 2}));
    auto out = [&](const std::string& name) { return g.add_value(name, value_type::tensor_of(dtype::float32, shape{2, 2})); };
    auto* a = g.add_node("Foo", {x}, {out("a")}, {}, "foo1")->output(0);
    auto* b = g.add_node("Foo", {a}, {out("b")}, {}, "foo2")->output(0);
    auto* c = g.add_node("Bar", {b}, {out("c")}, {}, "bar", "com.example")->output(0);
    auto* d = g.add_node("Relu", {c}, {out("d")}, {}, "relu")->output(0);
    auto* z = g.add_node("Mystery", {d}, {out("z")}, {}, "mystery", "ai.gearc")->output(0);
    g.add_output(z);
    auto e = estimate_flops(g);
    CHECK(e.unknown_ops == std::vector<std::string>{"Foo", "ai.gearc:Mystery", "com.example:Bar"});
    CHECK(e.total == 4);
    CHECK(e.by_op.at("Foo") == 0);
    CHECK(e.by_op.at("com.example:Bar") == 0);
    CHECK(e.by_op.at("Relu") == 4);
    CHECK(e.nodes == 5);
}

TEST_CASE("every operator gearc compiles has a formula or is deliberately 0") {
    std::vector<std::string> missing;
    for (const auto& [key, rule] : gearc::passes::default_shape_rules<>().types) {
        const auto colon = key.find(':');
        const std::string domain = colon == std::string::npos ? "" : key.substr(0, colon);
        const std::string op = colon == std::string::npos ? key : key.substr(colon + 1);
        if (!gearc::passes::has_flops_formula(domain, op)) missing.push_back(key);
    }
    CHECK_MESSAGE(missing.empty(), "no FLOP formula for " << missing.size() << " op(s), e.g. " << (missing.empty() ? "" : missing[0]));
    CHECK(gearc::passes::has_flops_formula("ai.onnx", "Conv"));
    CHECK(gearc::passes::has_flops_formula("ai.gearc", "FusedConv"));
    CHECK_FALSE(gearc::passes::has_flops_formula("ai.gearc", "Conv"));
    CHECK_FALSE(gearc::passes::has_flops_formula("", "Loop"));
}

TEST_CASE("compiled gears: FLOPs are proportional to the batch; the generic graph is not static") {
    auto g = batch_cnn();
    gearc::gear_options o;
    o.input_shape = "x:-1,3,8,8";
    o.dynamic_batch_size = "1,2,4";
    auto m = gearc::compile(*g, gearc::make_gear_set(*g, o));
    REQUIRE(m.size() == 3);
    std::vector<flops_estimate> es;
    for (const auto& p : m.plans()) es.push_back(estimate_flops(*p.graph));
    for (const auto& e : es) CHECK(e.unknown_ops.empty());
    // BatchNormalization folded into the Conv, Relu fused into it, MatMul + Add into a Gemm:
    // FusedConv 2*256*27 + bias 256 + Relu 256, Gemm 2*10*256 + 10, Flatten 0
    CHECK(es[0].total == 2.0 * 256 * 27 + 256 + 256 + 2.0 * 10 * 256 + 10);
    CHECK(es[1].total == 2 * es[0].total);
    CHECK(es[2].total == 4 * es[0].total);
    for (const auto& [op, f] : es[0].by_op) CHECK(es[2].by_op.at(op) == 4 * f);
    CHECK(gearc_test::any_code_of([&] { (void)estimate_flops(m.generic_graph()); }) == "GC4004");
}

TEST_CASE("compiled gears: stride-1 same-padded convolutions at 64x64 cost 4x what they cost at 32x32") {
    auto g = image_cnn();
    gearc::gear_options o;
    o.input_shape = "x:1,3,-1,-1";
    o.dynamic_image_size = "32,32;64,64";
    auto m = gearc::compile(*g, gearc::make_gear_set(*g, o));
    REQUIRE(m.size() == 2);
    const auto small = estimate_flops(*m.plan(0).graph);
    const auto large = estimate_flops(*m.plan(1).graph);
    CHECK(small.unknown_ops.empty());
    CHECK(small.total > 0);
    CHECK(large.total == 4 * small.total);
    // per pixel: conv1 2*8*27 + bias 8 + Relu 8, conv2 2*8*72, Add 8, MaxPool 8*9, Sigmoid 8
    CHECK(small.total == 32.0 * 32 * (2 * 8 * 27 + 8 + 8 + 2 * 8 * 72 + 8 + 8 * 9 + 8));
}
