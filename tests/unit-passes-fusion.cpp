// Fusion passes: Conv+BatchNormalization, MatMul+Add, bias/activation, LayerNorm, GELU, Transpose cancellation, and the fused ops' shape rules.
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include "test_support.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

using namespace gearc;

namespace {

using ints = std::vector<std::int64_t>;
using floats = std::vector<float>;

/// A small graph builder for the patterns under test.
struct builder {
    std::unique_ptr<graph> g = std::make_unique<graph>("t");

    value* input(const std::string& name, shape s, dtype t = dtype::float32) {
        return g->add_input(name, value_type::tensor_of(t, std::move(s)));
    }
    value* init(const std::string& name, tensor t) { return g->add_initializer(name, std::move(t)); }
    /// A Constant node holding `t` (PyTorch exports scalars this way).
    value* constant(const std::string& name, tensor t) {
        return g->add_node("Constant", {}, 1, {{"value", std::move(t)}}, name)->output(0);
    }
    value* op(const std::string& op, std::vector<value*> inputs, graph::attribute_list attrs = {}, const std::string& name = {}) {
        return g->add_node(op, std::move(inputs), 1, std::move(attrs), name)->output(0);
    }
    /// Marks `v` a graph output and returns its name.
    std::string output(value* v) {
        g->add_output(v);
        return v->name();
    }
};

tensor scalar(float v) { return tensor::from<float>({}, floats{v}); }

std::size_t count(const graph& g, std::string_view op) {
    std::size_t n = 0;
    for (const auto& node : g.nodes()) n += node.op_type() == op ? 1 : 0;
    return n;
}

const node* only(const graph& g, std::string_view op) {
    const node* found = nullptr;
    for (const auto& n : g.nodes())
        if (n.op_type() == op) {
            REQUIRE(found == nullptr);
            found = &n;
        }
    REQUIRE(found != nullptr);
    return found;
}

void check_valid(const graph& g) {
    auto d = verify(g);
    for (const auto& x : d) INFO(x.to_string());
    CHECK(d.empty());
}

std::vector<double> values_of(const value* v) {
    REQUIRE(v != nullptr);
    REQUIRE(v->initializer().has_value());
    const auto& t = *v->initializer();
    std::vector<double> out;
    if (t.type() == dtype::float64)
        for (double x : t.view<double>()) out.push_back(x);
    else
        for (float x : t.view<float>()) out.push_back(x);
    return out;
}

std::vector<float> ramp(std::size_t n, float start, float step) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
    return v;
}

// ---- reference convolutions (NCHW, stride 1, no padding) to check fused weights numerically ----

/// y[n, o, i, j] = b[o] + sum over the group's input channels c and kernel (p, q) of x[n, c, i+p, j+q] * w[o, c', p, q].
std::vector<double> conv2d(const std::vector<double>& x, ints xs, const std::vector<double>& w, ints ws, const std::vector<double>& b,
                           std::int64_t group) {
    const auto n = xs[0], c = xs[1], h = xs[2], wd = xs[3], m = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
    const auto oh = h - kh + 1, ow = wd - kw + 1, mg = m / group;
    std::vector<double> y(static_cast<std::size_t>(n * m * oh * ow));
    for (std::int64_t in = 0; in < n; ++in)
        for (std::int64_t o = 0; o < m; ++o)
            for (std::int64_t i = 0; i < oh; ++i)
                for (std::int64_t j = 0; j < ow; ++j) {
                    double s = b.empty() ? 0.0 : b[static_cast<std::size_t>(o)];
                    for (std::int64_t cc = 0; cc < cg; ++cc)
                        for (std::int64_t p = 0; p < kh; ++p)
                            for (std::int64_t q = 0; q < kw; ++q) {
                                const auto ci = (o / mg) * cg + cc;
                                s += x[static_cast<std::size_t>(((in * c + ci) * h + i + p) * wd + j + q)] *
                                     w[static_cast<std::size_t>(((o * cg + cc) * kh + p) * kw + q)];
                            }
                    y[static_cast<std::size_t>(((in * m + o) * oh + i) * ow + j)] = s;
                }
    return y;
}

/// ConvTranspose: x[n, c, i, j] spreads x * w[c, o', p, q] onto y[n, g*M/group + o', i+p, j+q].
std::vector<double> conv_transpose2d(const std::vector<double>& x, ints xs, const std::vector<double>& w, ints ws,
                                     const std::vector<double>& b, std::int64_t group) {
    const auto n = xs[0], c = xs[1], h = xs[2], wd = xs[3], mg = ws[1], kh = ws[2], kw = ws[3];
    const auto m = mg * group, oh = h + kh - 1, ow = wd + kw - 1, cg = c / group;
    std::vector<double> y(static_cast<std::size_t>(n * m * oh * ow));
    for (std::int64_t in = 0; in < n; ++in)
        for (std::int64_t o = 0; o < m; ++o)
            for (std::int64_t i = 0; i < oh; ++i)
                for (std::int64_t j = 0; j < ow; ++j)
                    y[static_cast<std::size_t>(((in * m + o) * oh + i) * ow + j)] = b.empty() ? 0.0 : b[static_cast<std::size_t>(o)];
    for (std::int64_t in = 0; in < n; ++in)
        for (std::int64_t ci = 0; ci < c; ++ci)
            for (std::int64_t ol = 0; ol < mg; ++ol)
                for (std::int64_t i = 0; i < h; ++i)
                    for (std::int64_t j = 0; j < wd; ++j)
                        for (std::int64_t p = 0; p < kh; ++p)
                            for (std::int64_t q = 0; q < kw; ++q) {
                                const auto o = (ci / cg) * mg + ol;
                                y[static_cast<std::size_t>(((in * m + o) * oh + i + p) * ow + j + q)] +=
                                    x[static_cast<std::size_t>(((in * c + ci) * h + i) * wd + j)] *
                                    w[static_cast<std::size_t>(((ci * mg + ol) * kh + p) * kw + q)];
                            }
    return y;
}

/// Inference BatchNormalization over axis 1.
std::vector<double> batch_norm(std::vector<double> y, std::int64_t channels, std::int64_t inner, const std::vector<double>& scale,
                               const std::vector<double>& beta, const std::vector<double>& mean, const std::vector<double>& var,
                               double eps) {
    for (std::size_t i = 0; i < y.size(); ++i) {
        const auto c = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % channels);
        y[i] = (y[i] - mean[c]) / std::sqrt(var[c] + eps) * scale[c] + beta[c];
    }
    return y;
}

std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Conv + BatchNormalization
// ---------------------------------------------------------------------------------------------------

namespace {
struct conv_bn_case {
    builder b;
    std::string out;
    std::vector<float> w = ramp(3 * 2 * 2 * 2, -1.0f, 0.1f), bias{0.5f, -0.25f, 1.0f};
    std::vector<float> scale{1.5f, 0.5f, -2.0f}, beta{0.1f, 0.2f, 0.3f}, mean{0.25f, -0.5f, 1.0f}, var{1.0f, 4.0f, 0.25f};
    float eps = 1e-3f;

    explicit conv_bn_case(bool with_bias = true) {
        auto* x = b.input("x", shape{dim::symbol("N"), 2, 5, 5});
        std::vector<value*> ins{x, b.init("w", tensor::from<float>({3, 2, 2, 2}, w))};
        if (with_bias) ins.push_back(b.init("b", tensor::from<float>({3}, bias)));
        auto* y = b.op("Conv", ins, {{"kernel_shape", ints{2, 2}}}, "conv");
        out = b.output(b.op("BatchNormalization",
                            {y, b.init("scale", tensor::from<float>({3}, scale)), b.init("beta", tensor::from<float>({3}, beta)),
                             b.init("mean", tensor::from<float>({3}, mean)), b.init("var", tensor::from<float>({3}, var))},
                            {{"epsilon", eps}}, "bn"));
    }
};
}  // namespace

TEST_CASE("fuse_conv_bn: Conv + BatchNormalization becomes one Conv with W*s and (B-mean)*s+beta") {
    conv_bn_case c;
    pass_context ctx;
    CHECK(passes::fuse_conv_bn{}.run(*c.b.g, ctx));
    auto& g = *c.b.g;
    check_valid(g);
    CHECK(g.num_nodes() == 1);
    const node* conv = only(g, "Conv");
    CHECK(conv->name() == "conv");
    CHECK(conv->output(0)->name() == c.out);  // the graph output keeps its name
    CHECK(g.outputs()[0] == conv->output(0));
    CHECK(conv->attr<std::vector<std::int64_t>>("kernel_shape") == ints{2, 2});
    CHECK(conv->input(0)->name() == "x");
    // every old weight is gone; only the fused W and B remain
    CHECK(g.initializers().size() == 2);
    for (const char* gone : {"w", "b", "scale", "beta", "mean", "var"}) CHECK(g.find_value(gone) == nullptr);

    auto w = values_of(conv->input(1));
    auto bias = values_of(conv->input(2));
    REQUIRE(w.size() == 24);
    REQUIRE(bias.size() == 3);
    CHECK(conv->input(1)->initializer()->sizes() == ints{3, 2, 2, 2});
    for (std::size_t m = 0; m < 3; ++m) {
        const double s = c.scale[m] / std::sqrt(static_cast<double>(c.var[m]) + c.eps);
        for (std::size_t i = 0; i < 8; ++i) CHECK(w[m * 8 + i] == doctest::Approx(c.w[m * 8 + i] * s).epsilon(1e-6));
        CHECK(bias[m] == doctest::Approx((c.bias[m] - c.mean[m]) * s + c.beta[m]).epsilon(1e-6));
    }
    // numerically: the fused Conv computes what Conv then BatchNormalization computed
    auto x = to_double(ramp(2 * 2 * 5 * 5, -2.0f, 0.07f));
    auto expect = batch_norm(conv2d(x, {2, 2, 5, 5}, to_double(c.w), {3, 2, 2, 2}, to_double(c.bias), 1), 3, 16,
                             to_double(c.scale), to_double(c.beta), to_double(c.mean), to_double(c.var), c.eps);
    auto got = conv2d(x, {2, 2, 5, 5}, w, {3, 2, 2, 2}, bias, 1);
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expect[i]).epsilon(1e-5));
    CHECK(ctx.counter("fuse_conv_bn.conv") == 1);
    CHECK_FALSE(passes::fuse_conv_bn{}.run(g, ctx));  // nothing left to fuse
}

TEST_CASE("fuse_conv_bn: a Conv without bias gets B = beta - mean*s") {
    conv_bn_case c(false);
    pass_context ctx;
    CHECK(passes::fuse_conv_bn{}.run(*c.b.g, ctx));
    check_valid(*c.b.g);
    auto bias = values_of(only(*c.b.g, "Conv")->input(2));
    for (std::size_t m = 0; m < 3; ++m) {
        const double s = c.scale[m] / std::sqrt(static_cast<double>(c.var[m]) + c.eps);
        CHECK(bias[m] == doctest::Approx(c.beta[m] - c.mean[m] * s).epsilon(1e-6));
    }
}

TEST_CASE("fuse_conv_bn: float64 weights stay float64; the default epsilon is 1e-5") {
    builder b;
    auto* x = b.input("x", shape{1, 1, 3, 3}, dtype::float64);
    auto* y = b.op("Conv", {x, b.init("w", tensor::from<double>({2, 1, 1, 1}, {2.0, -3.0}))}, {}, "conv");
    auto d = [](std::vector<double> v) { return tensor::from<double>({2}, v); };
    b.output(b.op("BatchNormalization", {y, b.init("s", d({1.0, 2.0})), b.init("bt", d({0.0, 1.0})), b.init("m", d({1.0, 0.0})),
                                         b.init("v", d({3.0, 0.5}))}));
    pass_context ctx;
    CHECK(passes::fuse_conv_bn{}.run(*b.g, ctx));
    check_valid(*b.g);
    const node* conv = only(*b.g, "Conv");
    CHECK(conv->input(1)->initializer()->type() == dtype::float64);
    auto w = values_of(conv->input(1));
    auto bias = values_of(conv->input(2));
    CHECK(w[0] == doctest::Approx(2.0 / std::sqrt(3.0 + 1e-5)).epsilon(1e-12));
    CHECK(w[1] == doctest::Approx(-3.0 * 2.0 / std::sqrt(0.5 + 1e-5)).epsilon(1e-12));
    CHECK(bias[0] == doctest::Approx(-1.0 / std::sqrt(3.0 + 1e-5)).epsilon(1e-12));
    CHECK(bias[1] == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("fuse_conv_bn: grouped ConvTranspose scales W along its output-channel axis (dim 1)") {
    builder b;
    // C_in = 4, group = 2, W [4, 3, 2, 2]: 6 output channels, input channels 0-1 feed outputs 0-2, 2-3 feed 3-5
    auto wv = ramp(4 * 3 * 2 * 2, 0.9f, -0.05f);
    std::vector<float> bias = ramp(6, 0.1f, 0.2f), scale = ramp(6, 0.5f, 0.3f), beta = ramp(6, -0.3f, 0.1f),
                       mean = ramp(6, 0.2f, -0.1f), var = ramp(6, 0.5f, 0.25f);
    auto* x = b.input("x", shape{1, 4, 3, 3});
    auto* y = b.op("ConvTranspose", {x, b.init("w", tensor::from<float>({4, 3, 2, 2}, wv)), b.init("b", tensor::from<float>({6}, bias))},
                   {{"group", std::int64_t{2}}}, "deconv");
    auto t = [](const std::vector<float>& v) { return tensor::from<float>({6}, v); };
    b.output(b.op("BatchNormalization", {y, b.init("s", t(scale)), b.init("bt", t(beta)), b.init("m", t(mean)), b.init("v", t(var))}));
    pass_context ctx;
    CHECK(passes::fuse_conv_bn{}.run(*b.g, ctx));
    check_valid(*b.g);
    CHECK(ctx.counter("fuse_conv_bn.conv_transpose") == 1);
    const node* dc = only(*b.g, "ConvTranspose");
    CHECK(dc->attr<std::int64_t>("group") == 2);
    auto x_data = to_double(ramp(36, -1.0f, 0.06f));
    auto expect = batch_norm(conv_transpose2d(x_data, {1, 4, 3, 3}, to_double(wv), {4, 3, 2, 2}, to_double(bias), 2), 6, 16,
                             to_double(scale), to_double(beta), to_double(mean), to_double(var), 1e-5);
    auto got = conv_transpose2d(x_data, {1, 4, 3, 3}, values_of(dc->input(1)), {4, 3, 2, 2}, values_of(dc->input(2)), 2);
    REQUIRE(got.size() == expect.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expect[i]).epsilon(1e-5));
}

TEST_CASE("fuse_conv_bn: not fused when the Conv's output has another reader, a parameter is not constant, training, or switched off") {
    SUBCASE("two readers") {
        conv_bn_case c;
        auto* conv_out = c.b.g->find_node("conv")->output(0);
        c.b.output(c.b.op("Relu", {conv_out}));
        pass_context ctx;
        CHECK_FALSE(passes::fuse_conv_bn{}.run(*c.b.g, ctx));
        CHECK(count(*c.b.g, "BatchNormalization") == 1);
    }
    SUBCASE("run-time scale") {
        builder b;
        auto* x = b.input("x", shape{1, 1, 2, 2});
        auto* s = b.input("s", shape{1});
        auto* y = b.op("Conv", {x, b.init("w", tensor::from<float>({1, 1, 1, 1}, {2.0f}))});
        auto one = [&](const char* n) { return b.init(n, tensor::from<float>({1}, {1.0f})); };
        b.output(b.op("BatchNormalization", {y, s, one("bt"), one("m"), one("v")}));
        pass_context ctx;
        CHECK_FALSE(passes::fuse_conv_bn{}.run(*b.g, ctx));
        CHECK(b.g->num_nodes() == 2);
    }
    SUBCASE("training mode") {
        conv_bn_case c;
        c.b.g->find_node("bn")->set_attr("training_mode", std::int64_t{1});
        pass_context ctx;
        CHECK_FALSE(passes::fuse_conv_bn{}.run(*c.b.g, ctx));
    }
    SUBCASE("switched off") {
        conv_bn_case c;
        pass_context ctx;
        ctx.disabled_fusions.insert("ConvBatchNormFusion");
        CHECK_FALSE(passes::fuse_conv_bn{}.run(*c.b.g, ctx));
        CHECK(c.b.g->num_nodes() == 2);
        CHECK(ctx.counter("fuse_conv_bn.conv") == 0);
    }
}

// ---------------------------------------------------------------------------------------------------
// MatMul + Add -> Gemm
// ---------------------------------------------------------------------------------------------------

TEST_CASE("fuse_matmul_add: MatMul(A[M,K], constant B[K,N]) + constant bias becomes Gemm") {
    for (bool bias_first : {false, true}) {
        CAPTURE(bias_first);
        builder b;
        auto* a = b.input("a", shape{dim::symbol("M"), 4});
        auto* w = b.init("w", tensor::from<float>({4, 3}, ramp(12, 0, 1)));
        auto* bias = b.init("bias", tensor::from<float>({3}, {1, 2, 3}));
        auto* y = b.op("MatMul", {a, w}, {}, "mm");
        auto out = b.output(bias_first ? b.op("Add", {bias, y}) : b.op("Add", {y, bias}));
        pass_context ctx;
        CHECK(passes::fuse_matmul_add{}.run(*b.g, ctx));
        check_valid(*b.g);
        CHECK(b.g->num_nodes() == 1);
        const node* gemm = only(*b.g, "Gemm");
        CHECK(gemm->name() == "mm");
        CHECK(gemm->inputs() == std::vector<value*>{a, w, bias});
        CHECK(gemm->output(0)->name() == out);
        CHECK(gemm->attr_or<float>("alpha", 1.0f) == 1.0f);
        CHECK(gemm->attr_or<std::int64_t>("transB", 0) == 0);
        CHECK(ctx.counter("fuse_matmul_add.gemm") == 1);
    }
}

TEST_CASE("fuse_matmul_add: accepted and refused bias shapes, and the other conditions") {
    auto attempt = [](shape a_shape, ints bias_sizes, bool const_b = true, bool extra_reader = false) {
        builder b;
        auto* a = b.input("a", a_shape);
        auto* w = const_b ? b.init("w", tensor::from<float>({4, 3}, ramp(12, 0, 1))) : b.input("w", shape{4, 3});
        std::int64_t n = 1;
        for (auto s : bias_sizes) n *= s;
        auto* bias = b.init("bias", tensor::from<float>(bias_sizes, ramp(static_cast<std::size_t>(n), 1, 1)));
        auto* y = b.op("MatMul", {a, w});
        b.output(b.op("Add", {y, bias}));
        if (extra_reader) b.output(b.op("Relu", {y}));
        pass_context ctx;
        bool fused = passes::fuse_matmul_add{}.run(*b.g, ctx);
        check_valid(*b.g);
        return fused;
    };
    CHECK(attempt(shape{5, 4}, {3}));
    CHECK(attempt(shape{5, 4}, {1, 3}));
    CHECK(attempt(shape{5, 4}, {5, 3}));
    CHECK(attempt(shape{5, 4}, {5, 1}));
    CHECK(attempt(shape{5, 4}, {}));
    CHECK(attempt(shape{dim::symbol("M"), 4}, {1, 3}));
    CHECK_FALSE(attempt(shape{dim::symbol("M"), 4}, {5, 3}));  // M might not be 5
    CHECK_FALSE(attempt(shape{5, 4}, {2, 3}));                 // would not broadcast
    CHECK_FALSE(attempt(shape{5, 4}, {1, 5, 3}));              // would raise the rank
    CHECK_FALSE(attempt(shape{2, 5, 4}, {3}));                 // A is not a matrix
    CHECK_FALSE(attempt(shape{5, 4}, {3}, false));             // B is not constant
    CHECK_FALSE(attempt(shape{5, 4}, {3}, true, true));        // the MatMul's result is read elsewhere

    builder b;  // a run-time bias
    auto* y = b.op("MatMul", {b.input("a", shape{5, 4}), b.init("w", tensor::from<float>({4, 3}, ramp(12, 0, 1)))});
    b.output(b.op("Add", {y, b.input("bias", shape{3})}));
    pass_context ctx;
    CHECK_FALSE(passes::fuse_matmul_add{}.run(*b.g, ctx));

    ctx.disabled_fusions.insert("MatMulAddFusion");
    builder c;
    auto* y2 = c.op("MatMul", {c.input("a", shape{5, 4}), c.init("w", tensor::from<float>({4, 3}, ramp(12, 0, 1)))});
    c.output(c.op("Add", {y2, c.init("bias", tensor::from<float>({3}, {1, 2, 3}))}));
    CHECK_FALSE(passes::fuse_matmul_add{}.run(*c.g, ctx));  // the control case above, switched off
    CHECK(count(*c.g, "MatMul") == 1);
}

// ---------------------------------------------------------------------------------------------------
// Bias + activation
// ---------------------------------------------------------------------------------------------------

namespace {
/// x -> Conv(w, b) [-> Add(per-channel)] -> activation
struct conv_act_case {
    builder b;
    value* conv_out = nullptr;
    std::string out;
    conv_act_case() {
        auto* x = b.input("x", shape{dim::symbol("N"), 2, 4, 4});
        conv_out = b.op("Conv",
                        {x, b.init("w", tensor::from<float>({3, 2, 1, 1}, ramp(6, 0.1f, 0.1f))), b.init("b", tensor::from<float>({3}, {1, 2, 3}))},
                        {{"kernel_shape", ints{1, 1}}, {"pads", ints{0, 0, 0, 0}}}, "conv");
    }
};
}  // namespace

TEST_CASE("fuse_bias_activation: Conv + per-channel Add + Relu becomes FusedConv with the bias folded in") {
    conv_act_case c;
    auto* added = c.b.op("Add", {c.conv_out, c.b.init("shift", tensor::from<float>({1, 3, 1, 1}, {10, 20, 30}))});
    c.out = c.b.output(c.b.op("Relu", {added}, {}, "relu"));
    pass_context ctx;
    CHECK(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
    auto& g = *c.b.g;
    check_valid(g);
    CHECK(g.num_nodes() == 1);
    const node* f = only(g, "FusedConv");
    CHECK(f->domain() == "ai.gearc");
    CHECK(f->name() == "conv");
    CHECK(f->output(0)->name() == c.out);
    CHECK(f->attr<std::string>("activation") == "Relu");
    CHECK(f->attr<std::vector<float>>("activation_params").empty());
    CHECK(f->attr<std::vector<std::int64_t>>("kernel_shape") == ints{1, 1});
    CHECK(f->attr<std::vector<std::int64_t>>("pads") == ints{0, 0, 0, 0});
    REQUIRE(f->num_inputs() == 3);
    CHECK(f->input(0)->name() == "x");
    CHECK(f->input(1)->name() == "w");
    CHECK(values_of(f->input(2)) == std::vector<double>{11, 22, 33});
    CHECK(g.find_value("b") == nullptr);  // the old bias and the shift are gone
    CHECK(g.find_value("shift") == nullptr);
    CHECK(ctx.counter("fuse_bias_activation.conv") == 1);
    CHECK(g.info().opset_imports.at("ai.gearc") == 1);  // an export declares the domain
}

TEST_CASE("fuse_bias_activation: activation parameters") {
    struct act_case {
        std::string op;
        graph::attribute_list attrs;
        std::vector<float> params;
    };
    const float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
    std::vector<act_case> cases = {
        {"Sigmoid", {}, {}},
        {"Tanh", {}, {}},
        {"HardSwish", {}, {}},
        {"LeakyRelu", {}, {0.01f}},
        {"LeakyRelu", {{"alpha", 0.2f}}, {0.2f}},
        {"HardSigmoid", {}, {0.2f, 0.5f}},
        {"HardSigmoid", {{"alpha", 0.25f}, {"beta", 0.4f}}, {0.25f, 0.4f}},
        {"Clip", {{"min", -1.0f}, {"max", 1.0f}}, {-1.0f, 1.0f}},  // opset < 11: attributes
        {"Clip", {}, {lo, hi}},
    };
    for (const auto& a : cases) {
        CAPTURE(a.op);
        conv_act_case c;
        c.out = c.b.output(c.b.op(a.op, {c.conv_out}, a.attrs));
        pass_context ctx;
        CHECK(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
        check_valid(*c.b.g);
        const node* f = only(*c.b.g, "FusedConv");
        CHECK(f->attr<std::string>("activation") == a.op);
        CHECK(f->attr<std::vector<float>>("activation_params") == a.params);
        CHECK(f->input(2)->name() == "b");  // no Add: the Conv's own bias
    }
}

TEST_CASE("fuse_bias_activation: Clip with constant inputs (Relu6) is fused, a run-time bound is not") {
    {
        conv_act_case c;
        auto* mn = c.b.constant("min", scalar(0.0f));
        auto* mx = c.b.constant("max", scalar(6.0f));
        c.b.output(c.b.op("Clip", {c.conv_out, mn, mx}));
        pass_context ctx;
        CHECK(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
        check_valid(*c.b.g);
        CHECK(c.b.g->num_nodes() == 1);  // the Constant nodes went with the Clip
        CHECK(only(*c.b.g, "FusedConv")->attr<std::vector<float>>("activation_params") == floats{0.0f, 6.0f});
    }
    {
        conv_act_case c;  // min omitted, max an initializer
        c.b.output(c.b.op("Clip", {c.conv_out, nullptr, c.b.init("max", scalar(6.0f))}));
        pass_context ctx;
        CHECK(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
        check_valid(*c.b.g);
        CHECK(only(*c.b.g, "FusedConv")->attr<std::vector<float>>("activation_params") ==
              floats{std::numeric_limits<float>::lowest(), 6.0f});
        CHECK(c.b.g->find_value("max") == nullptr);
    }
    {
        conv_act_case c;
        auto* mn = c.b.input("min", shape{});
        c.b.output(c.b.op("Clip", {c.conv_out, mn, c.b.init("max", scalar(6.0f))}));
        pass_context ctx;
        CHECK_FALSE(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
        CHECK(count(*c.b.g, "Conv") == 1);
        CHECK(count(*c.b.g, "Clip") == 1);
    }
}

TEST_CASE("fuse_bias_activation: Conv + Add alone folds the Add into the Conv's bias") {
    conv_act_case c;
    c.out = c.b.output(c.b.op("Add", {c.b.init("shift", tensor::from<float>({3, 1, 1}, {1, 1, 1})), c.conv_out}));
    pass_context ctx;
    CHECK(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
    check_valid(*c.b.g);
    const node* conv = only(*c.b.g, "Conv");
    CHECK(conv->domain().empty());
    CHECK(conv->output(0)->name() == c.out);
    CHECK(values_of(conv->input(2)) == std::vector<double>{2, 3, 4});
    CHECK(ctx.counter("fuse_bias_activation.conv_bias") == 1);
}

TEST_CASE("fuse_bias_activation: what is not fused") {
    SUBCASE("an Add that varies along the spatial axes") {
        conv_act_case c;
        auto* added = c.b.op("Add", {c.conv_out, c.b.init("shift", tensor::from<float>({1, 1, 4, 4}, std::vector<float>(16, 1)))});
        c.b.output(c.b.op("Relu", {added}));
        pass_context ctx;
        CHECK_FALSE(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
        CHECK(c.b.g->num_nodes() == 3);
    }
    SUBCASE("a run-time Add") {
        conv_act_case c;
        auto* added = c.b.op("Add", {c.conv_out, c.b.input("shift", shape{3, 1, 1})});
        c.b.output(c.b.op("Relu", {added}));
        pass_context ctx;
        CHECK_FALSE(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
    }
    SUBCASE("the Conv's output is also a graph output") {
        conv_act_case c;
        c.b.output(c.conv_out);
        c.b.output(c.b.op("Relu", {c.conv_out}));
        pass_context ctx;
        CHECK_FALSE(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
    }
    SUBCASE("an op that is no activation") {
        conv_act_case c;
        c.b.output(c.b.op("Softmax", {c.conv_out}));
        pass_context ctx;
        CHECK_FALSE(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
    }
    SUBCASE("switched off") {
        conv_act_case c;
        c.b.output(c.b.op("Relu", {c.conv_out}));
        pass_context ctx;
        ctx.disabled_fusions = {"ConvBiasActivationFusion"};
        CHECK_FALSE(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
        CHECK(count(*c.b.g, "Conv") == 1);
    }
}

TEST_CASE("fuse_bias_activation: Gemm + activation becomes FusedGemm with the Gemm's inputs and attributes") {
    builder b;
    auto* a = b.input("a", shape{dim::symbol("N"), 8});
    auto* w = b.init("w", tensor::from<float>({4, 8}, ramp(32, 0, 0.1f)));
    auto* c = b.init("c", tensor::from<float>({4}, {1, 2, 3, 4}));
    auto* y = b.op("Gemm", {a, w, c}, {{"transB", std::int64_t{1}}, {"alpha", 0.5f}}, "fc");
    auto out = b.output(b.op("Sigmoid", {y}));
    pass_context ctx;
    CHECK(passes::fuse_bias_activation{}.run(*b.g, ctx));
    check_valid(*b.g);
    const node* f = only(*b.g, "FusedGemm");
    CHECK(f->domain() == "ai.gearc");
    CHECK(f->name() == "fc");
    CHECK(f->inputs() == std::vector<value*>{a, w, c});
    CHECK(f->attr<std::int64_t>("transB") == 1);
    CHECK(f->attr<float>("alpha") == 0.5f);
    CHECK(f->attr<std::string>("activation") == "Sigmoid");
    CHECK(f->output(0)->name() == out);
    CHECK(b.g->num_nodes() == 1);

    builder off;
    off.output(off.op("Relu", {off.op("Gemm", {off.input("a", shape{2, 8}), off.init("w", tensor::from<float>({8, 4}, ramp(32, 0, 1)))})}));
    ctx.disabled_fusions = {"GemmActivationFusion"};
    CHECK_FALSE(passes::fuse_bias_activation{}.run(*off.g, ctx));
}

TEST_CASE("fuse_bias_activation: MatMul (any rank) + 1-D bias [+ activation] becomes FusedMatMul") {
    for (bool with_act : {false, true}) {
        CAPTURE(with_act);
        builder b;
        auto* a = b.input("a", shape{dim::symbol("B"), dim::symbol("S"), 8});
        auto* w = b.init("w", tensor::from<float>({8, 16}, ramp(128, 0, 0.01f)));
        auto* bias = b.init("bias", tensor::from<float>({16}, ramp(16, 0, 1)));
        auto* y = b.op("MatMul", {a, w}, {}, "proj");
        auto* added = b.op("Add", {bias, y});  // PyTorch puts the bias first
        auto out = b.output(with_act ? b.op("Tanh", {added}) : added);
        pass_context ctx;
        CHECK(passes::fuse_bias_activation{}.run(*b.g, ctx));
        check_valid(*b.g);
        CHECK(b.g->num_nodes() == 1);
        const node* f = only(*b.g, "FusedMatMul");
        CHECK(f->domain() == "ai.gearc");
        CHECK(f->name() == "proj");
        CHECK(f->inputs() == std::vector<value*>{a, w, bias});
        CHECK(f->output(0)->name() == out);
        CHECK(f->has_attr("activation") == with_act);
        if (with_act) CHECK(f->attr<std::string>("activation") == "Tanh");
        CHECK(ctx.counter("fuse_bias_activation.matmul") == 1);
    }
    auto refused = [](ints bias_sizes, shape b_shape, bool const_bias = true) {
        builder b;
        auto* w = b.input("w", b_shape);
        std::int64_t n = 1;
        for (auto s : bias_sizes) n *= s;
        auto* bias = const_bias ? b.init("bias", tensor::from<float>(bias_sizes, ramp(static_cast<std::size_t>(n), 0, 1)))
                                : b.input("bias", shape::of(bias_sizes));
        b.output(b.op("Add", {b.op("MatMul", {b.input("a", shape{2, 8}), w}), bias}));
        pass_context ctx;
        return !passes::fuse_bias_activation{}.run(*b.g, ctx);
    };
    CHECK(refused({1, 16}, shape{8, 16}));            // not one-dimensional
    CHECK(refused({8}, shape{8, 16}));                // not along the last axis
    CHECK(refused({16}, shape{8}));                   // B is a vector: no N axis
    CHECK(refused({16}, shape{8, dim::symbol("N")}));  // N unknown
    CHECK(refused({16}, shape{8, 16}, false));        // run-time bias
    CHECK_FALSE(refused({16}, shape{8, 16}));         // and the control case is fused
}

TEST_CASE("fuse_bias_activation: each switch only turns off its own fusion") {
    builder b;
    auto* x = b.input("x", shape{1, 2, 4, 4});
    b.output(b.op("Relu", {b.op("Conv", {x, b.init("w", tensor::from<float>({2, 2, 1, 1}, ramp(4, 0, 1)))})}));
    auto* a = b.input("a", shape{2, 8});
    auto* mm = b.op("MatMul", {a, b.init("m", tensor::from<float>({8, 4}, ramp(32, 0, 1)))});
    b.output(b.op("Add", {mm, b.init("bias", tensor::from<float>({4}, ramp(4, 0, 1)))}));
    pass_context ctx;
    ctx.disabled_fusions = {"MatMulBiasActivationFusion"};
    CHECK(passes::fuse_bias_activation{}.run(*b.g, ctx));
    CHECK(count(*b.g, "FusedConv") == 1);
    CHECK(count(*b.g, "MatMul") == 1);
    CHECK(count(*b.g, "FusedMatMul") == 0);
}

// ---------------------------------------------------------------------------------------------------
// LayerNorm
// ---------------------------------------------------------------------------------------------------

namespace {
/// The pattern torch.onnx exports for nn.LayerNorm(8) at opset 12 (checked against an export).
struct layer_norm_case {
    builder b;
    value* x = nullptr;
    value* d = nullptr;
    value* gamma = nullptr;
    value* beta = nullptr;
    std::string out;
    explicit layer_norm_case(bool affine = true, bool square_by_mul = false, graph::attribute_list axes = {{"axes", ints{-1}}},
                             shape xs = shape{dim::symbol("B"), dim::symbol("S"), 8}) {
        x = b.input("x", xs);
        auto* mean = b.op("ReduceMean", {x}, axes, "ln/ReduceMean");
        d = b.op("Sub", {x, mean});
        auto* sq = square_by_mul ? b.op("Mul", {d, d}) : b.op("Pow", {d, b.constant("two", scalar(2.0f))});
        auto* var = b.op("ReduceMean", {sq}, axes);
        auto* s = b.op("Sqrt", {b.op("Add", {var, b.constant("eps", scalar(1e-5f))})});
        auto* n = b.op("Div", {d, s});
        if (affine) {
            gamma = b.init("ln.weight", tensor::from<float>({8}, ramp(8, 1, 0.5f)));
            beta = b.init("ln.bias", tensor::from<float>({8}, ramp(8, -1, 0.25f)));
            n = b.op("Add", {b.op("Mul", {n, gamma}), beta});
        }
        out = b.output(n);
    }
};
}  // namespace

TEST_CASE("fuse_layer_norm: the exported decomposition becomes LayerNormalization") {
    for (bool by_mul : {false, true}) {
        CAPTURE(by_mul);
        layer_norm_case c(true, by_mul);
        pass_context ctx;
        CHECK(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
        auto& g = *c.b.g;
        check_valid(g);
        CHECK(g.num_nodes() == 1);  // the Constant nodes (2, eps) are gone too
        const node* ln = only(g, "LayerNormalization");
        CHECK(ln->domain().empty());
        CHECK(ln->name() == "ln/ReduceMean");
        CHECK(ln->inputs() == std::vector<value*>{c.x, c.gamma, c.beta});
        CHECK(ln->attr<std::int64_t>("axis") == -1);
        CHECK(ln->attr<float>("epsilon") == doctest::Approx(1e-5f));
        CHECK(ln->output(0)->name() == c.out);
        CHECK(ctx.counter("fuse_layer_norm.layer_norm") == 1);
    }
}

TEST_CASE("fuse_layer_norm: without Mul/Add the scale is ones and the bias zeros") {
    layer_norm_case c(false);
    pass_context ctx;
    CHECK(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
    check_valid(*c.b.g);
    const node* ln = only(*c.b.g, "LayerNormalization");
    CHECK(ln->output(0)->name() == c.out);
    CHECK(values_of(ln->input(1)) == std::vector<double>(8, 1.0));
    CHECK(values_of(ln->input(2)) == std::vector<double>(8, 0.0));
    CHECK(ln->input(1)->initializer()->sizes() == ints{8});
}

TEST_CASE("fuse_layer_norm: axes as positive numbers, as an input (opset 18), and over the last two axes") {
    {
        layer_norm_case c(true, false, {{"axes", ints{2}}}, shape{2, 5, 8});
        pass_context ctx;
        CHECK(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
        CHECK(only(*c.b.g, "LayerNormalization")->attr<std::int64_t>("axis") == -1);
    }
    {
        layer_norm_case c(false, false, {}, shape{2, 5, 8});
        // give both ReduceMeans an axes input instead of the attribute
        for (auto& n : c.b.g->nodes())
            if (n.op_type() == "ReduceMean") n.add_input(c.b.g->add_initializer(c.b.g->unique_name("axes"), tensor::from<std::int64_t>({1}, {-1})));
        pass_context ctx;
        CHECK(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
        check_valid(*c.b.g);
        CHECK(c.b.g->initializers().size() == 2);  // the axes are gone; scale and bias were added
    }
    {
        layer_norm_case c(false, false, {{"axes", ints{-2, -1}}}, shape{dim::symbol("B"), 5, 8});
        pass_context ctx;
        CHECK(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
        const node* ln = only(*c.b.g, "LayerNormalization");
        CHECK(ln->attr<std::int64_t>("axis") == -2);
        CHECK(ln->input(1)->initializer()->sizes() == ints{5, 8});
    }
}

TEST_CASE("fuse_layer_norm: gamma of shape [1,1,8] is reshaped to [8], sharing its bytes") {
    layer_norm_case c(false);
    auto* gamma = c.b.init("g3", tensor::from<float>({1, 1, 8}, ramp(8, 1, 1)));
    auto* last = c.b.g->outputs()[0];
    c.b.g->clear_outputs();
    auto out = c.b.output(c.b.op("Mul", {gamma, last}));
    const buffer gamma_bytes = gamma->initializer()->data();
    pass_context ctx;
    CHECK(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
    check_valid(*c.b.g);
    const node* ln = only(*c.b.g, "LayerNormalization");
    CHECK(ln->output(0)->name() == out);
    CHECK(ln->input(1)->initializer()->sizes() == ints{8});
    CHECK(ln->input(1)->initializer()->data().shares_with(gamma_bytes));
    CHECK(c.b.g->find_value("g3") == nullptr);  // the [1,1,8] original is gone
    CHECK(values_of(ln->input(2)) == std::vector<double>(8, 0.0));
}

TEST_CASE("fuse_layer_norm: what is not fused") {
    SUBCASE("the centred value is read elsewhere") {
        layer_norm_case c;
        c.b.output(c.d);
        pass_context ctx;
        CHECK_FALSE(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
    }
    SUBCASE("axes that are not the trailing ones") {
        layer_norm_case c(true, false, {{"axes", ints{-2}}});
        pass_context ctx;
        CHECK_FALSE(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
    }
    SUBCASE("keepdims=0") {
        layer_norm_case c(true, false, {{"axes", ints{-1}}, {"keepdims", std::int64_t{0}}});
        pass_context ctx;
        CHECK_FALSE(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
    }
    SUBCASE("the normalised dim is not static") {
        layer_norm_case c(false, false, {{"axes", ints{-1}}}, shape{2, dim::symbol("H")});
        pass_context ctx;
        CHECK_FALSE(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
    }
    SUBCASE("switched off") {
        layer_norm_case c;
        pass_context ctx;
        ctx.disabled_fusions = {"LayerNormFusion"};
        CHECK_FALSE(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
        CHECK(count(*c.b.g, "ReduceMean") == 2);
    }
    SUBCASE("a gamma that does not match the normalised shape stays a Mul after the fused node") {
        layer_norm_case c(false);
        auto* last = c.b.g->outputs()[0];
        c.b.g->clear_outputs();
        c.b.output(c.b.op("Mul", {last, c.b.init("g", tensor::from<float>({2, 1, 8}, ramp(16, 0, 1)))}));
        pass_context ctx;
        CHECK(passes::fuse_layer_norm{}.run(*c.b.g, ctx));
        check_valid(*c.b.g);
        CHECK(count(*c.b.g, "LayerNormalization") == 1);
        CHECK(count(*c.b.g, "Mul") == 1);
    }
}

// ---------------------------------------------------------------------------------------------------
// GELU
// ---------------------------------------------------------------------------------------------------

namespace {
enum class gelu_order { x_b_half, b_half_x, half_x_b };
/// x*0.5*(1+erf(x/sqrt2)) in one of its associations, with x/c (Div) or x*c (Mul).
struct gelu_case {
    builder b;
    value* x = nullptr;
    value* b_value = nullptr;
    std::string out;
    gelu_case(gelu_order order, bool by_div, float c = 0.0f) {
        x = b.input("x", shape{dim::symbol("B"), 16});
        auto* a = by_div ? b.op("Div", {x, b.constant("c", scalar(c != 0 ? c : 1.4142135f))}, {}, "gelu/Div")
                         : b.op("Mul", {b.constant("c", scalar(c != 0 ? c : 0.70710677f)), x}, {}, "gelu/Mul");
        auto* e = b.op("Erf", {a});
        b_value = b.op("Add", {e, b.constant("one", scalar(1.0f))});
        auto* half = b.constant("half", scalar(0.5f));
        value* y = nullptr;
        switch (order) {
            case gelu_order::x_b_half: y = b.op("Mul", {b.op("Mul", {x, b_value}), half}); break;
            case gelu_order::b_half_x: y = b.op("Mul", {x, b.op("Mul", {b_value, half})}); break;
            case gelu_order::half_x_b: y = b.op("Mul", {b.op("Mul", {half, x}), b_value}); break;
        }
        out = b.output(y);
    }
};
}  // namespace

TEST_CASE("fuse_gelu: every association and both scalings become Gelu(x)") {
    for (auto order : {gelu_order::x_b_half, gelu_order::b_half_x, gelu_order::half_x_b})
        for (bool by_div : {true, false}) {
            CAPTURE(static_cast<int>(order));
            CAPTURE(by_div);
            gelu_case c(order, by_div);
            pass_context ctx;
            CHECK(passes::fuse_gelu{}.run(*c.b.g, ctx));
            check_valid(*c.b.g);
            CHECK(c.b.g->num_nodes() == 1);  // the Constant nodes are gone
            const node* gelu = only(*c.b.g, "Gelu");
            CHECK(gelu->domain() == "ai.gearc");
            CHECK(gelu->attr<std::string>("approximate") == "none");
            CHECK(gelu->inputs() == std::vector<value*>{c.x});
            CHECK(gelu->output(0)->name() == c.out);
            CHECK(gelu->name() == (by_div ? "gelu/Div" : "gelu/Mul"));
            CHECK(ctx.counter("fuse_gelu.gelu") == 1);
        }
}

TEST_CASE("fuse_gelu: constants within 1e-4 relative match, others do not") {
    {
        gelu_case c(gelu_order::x_b_half, true, 1.41421f);
        pass_context ctx;
        CHECK(passes::fuse_gelu{}.run(*c.b.g, ctx));
    }
    {
        gelu_case c(gelu_order::x_b_half, true, 1.4139f);  // 2e-4 off
        pass_context ctx;
        CHECK_FALSE(passes::fuse_gelu{}.run(*c.b.g, ctx));
    }
    {
        gelu_case c(gelu_order::x_b_half, false, 0.5f);
        pass_context ctx;
        CHECK_FALSE(passes::fuse_gelu{}.run(*c.b.g, ctx));
    }
}

TEST_CASE("fuse_gelu: not fused when an intermediate is read elsewhere or the switch is off") {
    {
        gelu_case c(gelu_order::x_b_half, true);
        c.b.output(c.b_value);
        pass_context ctx;
        CHECK_FALSE(passes::fuse_gelu{}.run(*c.b.g, ctx));
        CHECK(count(*c.b.g, "Erf") == 1);
    }
    {
        gelu_case c(gelu_order::b_half_x, false);
        pass_context ctx;
        ctx.disabled_fusions = {"GeluFusion"};
        CHECK_FALSE(passes::fuse_gelu{}.run(*c.b.g, ctx));
    }
}

// ---------------------------------------------------------------------------------------------------
// Transposes
// ---------------------------------------------------------------------------------------------------

TEST_CASE("cancel_transposes: inverse Transposes disappear, others compose") {
    {
        builder b;
        auto* x = b.input("x", shape{2, 3, 4});
        auto* t1 = b.op("Transpose", {x}, {{"perm", ints{0, 2, 1}}});
        auto* t2 = b.op("Transpose", {t1}, {{"perm", ints{0, 2, 1}}});
        auto out = b.output(b.op("Relu", {t2}));
        pass_context ctx;
        CHECK(passes::cancel_transposes{}.run(*b.g, ctx));
        check_valid(*b.g);
        CHECK(b.g->num_nodes() == 1);
        CHECK(only(*b.g, "Relu")->input(0) == x);
        CHECK(b.g->outputs()[0]->name() == out);
    }
    {
        builder b;  // [A,B,C] -perm(1,0,2)-> [B,A,C] -perm(0,2,1)-> [B,C,A]: one Transpose with perm (1,2,0)
        auto* x = b.input("x", shape{2, 3, 4});
        auto* t1 = b.op("Transpose", {x}, {{"perm", ints{1, 0, 2}}});
        auto out = b.output(b.op("Transpose", {t1}, {{"perm", ints{0, 2, 1}}}));
        pass_context ctx;
        CHECK(passes::cancel_transposes{}.run(*b.g, ctx));
        check_valid(*b.g);
        const node* t = only(*b.g, "Transpose");
        CHECK(t->attr<std::vector<std::int64_t>>("perm") == ints{1, 2, 0});
        CHECK(t->input(0) == x);
        CHECK(t->output(0)->name() == out);
        CHECK(ctx.counter("cancel_transposes.composed") == 1);
    }
    {
        builder b;  // three in a row, the default perm (reversal) twice: T(T(T(x)))
        auto* x = b.input("x", shape{2, 3});
        auto* t = b.op("Transpose", {b.op("Transpose", {b.op("Transpose", {x})})});
        auto out = b.output(t);
        pass_context ctx;
        CHECK(passes::cancel_transposes{}.run(*b.g, ctx));
        check_valid(*b.g);
        const node* left = only(*b.g, "Transpose");
        CHECK(left->attr_or<std::vector<std::int64_t>>("perm", ints{1, 0}) == ints{1, 0});
        CHECK(left->input(0) == x);
        CHECK(left->output(0)->name() == out);
    }
}

TEST_CASE("cancel_transposes: a first Transpose with other readers stays; identity perms; switch") {
    {
        builder b;
        auto* x = b.input("x", shape{2, 3});
        auto* t1 = b.op("Transpose", {x}, {{"perm", ints{1, 0}}});
        b.output(b.op("Relu", {t1}));
        b.output(b.op("Transpose", {t1}, {{"perm", ints{1, 0}}}));
        pass_context ctx;
        CHECK(passes::cancel_transposes{}.run(*b.g, ctx));
        check_valid(*b.g);
        CHECK(count(*b.g, "Transpose") == 1);  // the first one, still read by Relu
        // the second became an Identity of x that keeps the output's name (x is a graph input)
        CHECK(count(*b.g, "Identity") == 1);
        CHECK(only(*b.g, "Identity")->input(0) == x);
    }
    {
        builder b;
        auto* x = b.input("x", shape{2, 3});
        auto out = b.output(b.op("Relu", {b.op("Transpose", {b.op("Neg", {x})}, {{"perm", ints{0, 1}}})}));
        pass_context ctx;
        CHECK(passes::cancel_transposes{}.run(*b.g, ctx));
        check_valid(*b.g);
        CHECK(count(*b.g, "Transpose") == 0);
        CHECK(b.g->num_nodes() == 2);
        CHECK(b.g->outputs()[0]->name() == out);
    }
    {
        builder b;
        auto* x = b.input("x", shape{2, 3});
        b.output(b.op("Transpose", {b.op("Transpose", {x}, {{"perm", ints{1, 0}}})}, {{"perm", ints{1, 0}}}));
        pass_context ctx;
        ctx.disabled_fusions = {"TransposeCancellation"};
        CHECK_FALSE(passes::cancel_transposes{}.run(*b.g, ctx));
        CHECK(count(*b.g, "Transpose") == 2);
    }
}

// ---------------------------------------------------------------------------------------------------
// Shape rules of the fused operators
// ---------------------------------------------------------------------------------------------------

namespace {
const passes::shape_rule_table<default_ir_traits>& fused_rules() {
    static const auto table = [] {
        passes::shape_rule_table<default_ir_traits> t;
        passes::shape_rules::add_fused_rules(t);
        return t;
    }();
    return table;
}

/// The inferred type of the single node's output.
std::string infer_one(builder& b, const std::string& op, std::vector<value*> inputs, graph::attribute_list attrs = {}) {
    auto* n = b.g->add_node(op, std::move(inputs), 1, std::move(attrs), "n", "ai.gearc");
    b.output(n->output(0));
    pass_context ctx;
    passes::infer_shapes{}.run_with(*b.g, ctx, fused_rules());
    return n->output(0)->type().to_string();
}

template <class F>
std::string error_text(F&& f) {
    try {
        f();
    } catch (const compile_error& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE("fused shape rules: FusedConv with static and symbolic dims") {
    {
        builder b;
        auto* x = b.input("x", shape{dim::symbol("N"), 3, dim::symbol("H"), 224});
        auto* w = b.init("w", tensor::from<float>({8, 3, 3, 3}, std::vector<float>(216, 0)));
        CHECK(infer_one(b, "FusedConv", {x, w}, {{"strides", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}, {"activation", "Relu"}}) ==
              "float32[N,8,floor((H-1)/2)+1,112]");
    }
    {
        builder b;
        auto* x = b.input("x", shape{1, 4, 10, 9});
        auto* w = b.input("w", shape{6, 2, 3, 3});
        CHECK(infer_one(b, "FusedConv", {x, w}, {{"group", std::int64_t{2}}, {"dilations", ints{2, 1}}}) == "float32[1,6,6,7]");
    }
    {
        builder b;
        auto* x = b.input("x", shape{1, 4, 9, 9});
        auto* w = b.input("w", shape{6, 4, 3, 3});
        CHECK(infer_one(b, "FusedConv", {x, w}, {{"auto_pad", "SAME_UPPER"}, {"strides", ints{2, 2}}}) == "float32[1,6,5,5]");
    }
    {
        builder b;
        auto* x = b.input("x", shape{1, 3, 8, 8});
        auto* w = b.input("w", shape{6, 4, 3, 3});
        CHECK(error_text([&] { (void)infer_one(b, "FusedConv", {x, w}); }).find("GC4002: shape inference failed at FusedConv 'n': X has 3 "
                                                                               "channels but W [6,4,3,3] with group 1 expects 4") == 0);
    }
}

TEST_CASE("fused shape rules: FusedGemm, FusedMatMul and Gelu") {
    {
        builder b;
        auto* a = b.input("a", shape{dim::symbol("N"), 8});
        auto* w = b.input("w", shape{4, 8});
        CHECK(infer_one(b, "FusedGemm", {a, w}, {{"transB", std::int64_t{1}}}) == "float32[N,4]");
    }
    {
        builder b;
        auto* a = b.input("a", shape{2, 8});
        auto* w = b.input("w", shape{4, 8});
        CHECK(error_text([&] { (void)infer_one(b, "FusedGemm", {a, w}); }).find("disagree on K") != std::string::npos);
    }
    {
        builder b;
        auto* a = b.input("a", shape{2, 1, dim::symbol("S"), 8});
        auto* w = b.input("w", shape{3, 8, 16});
        auto* bias = b.input("bias", shape{16});
        CHECK(infer_one(b, "FusedMatMul", {a, w, bias}) == "float32[2,3,S,16]");
    }
    {
        builder b;
        auto* a = b.input("a", shape{8});
        auto* w = b.input("w", shape{8, 16});
        CHECK(infer_one(b, "FusedMatMul", {a, w}) == "float32[16]");
    }
    {
        builder b;
        auto* a = b.input("a", shape{2, 8});
        auto* w = b.input("w", shape{8, 16});
        auto* bias = b.input("bias", shape{8});
        CHECK(error_text([&] { (void)infer_one(b, "FusedMatMul", {a, w, bias}); }).find("bias [8] must be one-dimensional") !=
              std::string::npos);
    }
    {
        builder b;
        auto* x = b.input("x", shape{dim::symbol("B"), 16}, dtype::float16);
        CHECK(infer_one(b, "Gelu", {x}) == "float16[B,16]");
    }
}

TEST_CASE("fused shape rules: a fused graph infers the same output shape as the original") {
    // Conv(1x1) + Relu on [N,2,4,4] -> [N,3,4,4]
    conv_act_case c;
    c.b.output(c.b.op("Relu", {c.conv_out}));
    pass_context ctx;
    REQUIRE(passes::fuse_bias_activation{}.run(*c.b.g, ctx));
    passes::infer_shapes{}.run_with(*c.b.g, ctx, fused_rules());
    CHECK(c.b.g->outputs()[0]->type().to_string() == "float32[N,3,4,4]");
}
