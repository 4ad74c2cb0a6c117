// A model saved to a .gearc file and loaded back runs exactly like the one compiled: the same outputs, bit for
// bit, on every gear, with the kernels reading the weights from the mapped file.
#include "test_support.hpp"

#include <gearc/runtime.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using gearc::dim;
using gearc::dtype;
using gearc::shape;
using gearc::tensor;
using gearc::value_type;

std::vector<float> random_floats(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng);
    return v;
}

/// x[N,3,8,8] -> Conv -> BatchNormalization -> Relu -> Flatten -> MatMul -> Add -> Softmax, and a second output x * 2.
std::unique_ptr<gearc::graph> cnn() {
    auto g = std::make_unique<gearc::graph>("cnn");
    g->info().opset_imports[""] = 13;
    auto* x = g->add_input("x", value_type::tensor_of(dtype::float32, shape{dim::symbol("N"), 3, 8, 8}));
    auto* relu = gearc_test::conv_bn_relu(*g, x, random_floats(108, 1), random_floats(4, 2));
    auto* flat = g->add_node("Flatten", {relu}, 1, {{"axis", std::int64_t{1}}}, "flatten")->output(0);
    auto* fc = g->add_initializer("fc.w", tensor::from<float>({256, 10}, random_floats(2560, 3)));
    auto* mm = g->add_node("MatMul", {flat, fc}, 1, {}, "fc")->output(0);
    auto* bias = g->add_initializer("fc.b", tensor::from<float>({10}, random_floats(10, 4)));
    auto* logits = g->add_node("Add", {mm, bias}, 1, {}, "fc_bias")->output(0);
    g->add_output(g->add_node("Softmax", {logits}, {g->add_value("y")}, {{"axis", std::int64_t{1}}}, "softmax")->output(0));
    auto* two = g->add_initializer("two", tensor::from<float>({}, {2.f}));
    g->add_output(g->add_node("Mul", {x, two}, {g->add_value("x2")}, {}, "double")->output(0));
    return g;
}

}  // namespace

TEST_CASE("a loaded model runs like the original, bit for bit, on every gear, from the mapped weights") {
    auto g = cnn();
    auto gears = gearc::make_gear_set(*g, {.input_shape = "x:-1,3,8,8", .dynamic_batch_size = "1,2,4"});
    auto original = std::make_shared<const gearc::compiled_model>(gearc::compile(*g, gears));

    gearc_test::temp_dir dir("model-file-session");
    gearc::save_model(*original, dir.file("cnn.gearc"), {{"--soc_version", "Ascend310P3"}});
    std::shared_ptr<const gearc::compiled_model> loaded;
    {
        auto file = gearc::load_model(dir.file("cnn.gearc"));
        REQUIRE(file.file.mapped);
        loaded = file.model;  // the tensors keep the mapping alive
    }
    gearc::session a(std::make_shared<gearc::prepared_model<gearc::device::cpu>>(original));
    gearc::session b(std::make_shared<gearc::prepared_model<gearc::device::cpu>>(loaded));
    for (const std::int64_t n : {1, 2, 4}) {
        INFO("batch " << n);
        const auto x = tensor::from<float>({n, 3, 8, 8}, random_floats(static_cast<std::size_t>(n) * 3 * 8 * 8, 10u + static_cast<unsigned>(n)));
        const auto out_a = a.run({{"x", x}});
        const auto out_b = b.run({{"x", x}});
        REQUIRE(out_a.size() == 2);
        REQUIRE(out_b.size() == out_a.size());
        for (const auto& kv : out_a) {
            const std::string& name = kv.first;  // not a structured binding: INFO captures it (clang 14)
            const auto& ta = kv.second;
            INFO("output " << name);
            REQUIRE(out_b.count(name) == 1);
            const auto& tb = out_b.at(name);
            CHECK(ta.type() == tb.type());
            CHECK(ta.sizes() == tb.sizes());
            REQUIRE(ta.nbytes() == tb.nbytes());
            CHECK(std::memcmp(ta.data().data(), tb.data().data(), ta.nbytes()) == 0);
        }
    }
}
