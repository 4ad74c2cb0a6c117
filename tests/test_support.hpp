// Helpers shared by the unit tests: small models, capturing option errors, temporary directories.
#pragma once

#include <doctest/doctest.h>

#include <gearc/gearc.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace gearc_test {

/// A model with the given inputs (name, shape; nullopt = unknown rank) and an Identity per input.
inline std::unique_ptr<gearc::graph> model(
    std::initializer_list<std::pair<std::string, std::optional<gearc::shape>>> inputs) {
    auto g = std::make_unique<gearc::graph>("m");
    for (const auto& [name, s] : inputs) {
        auto* x = g->add_input(name, gearc::value_type::tensor_of(gearc::dtype::float32, s));
        g->add_output(g->add_node("Identity", {x}, 1)->output(0));
    }
    return g;
}

/// What the option_error that `f` throws says, through `get` (what(), report(), code()); every
/// option error must also say how to fix it. "(no error)" when `f` throws none.
template <class F, class Get>
std::string option_error_text(F&& f, Get&& get) {
    try {
        f();
    } catch (const gearc::option_error& e) {
        CHECK_FALSE(e.solution().empty());  // every error says how to fix it
        return get(e);
    }
    return "(no error)";
}
/// "CODE: message".
template <class F>
std::string error_of(F&& f) {
    return option_error_text(f, [](const gearc::option_error& e) { return std::string(e.what()); });
}
/// "CODE: message\nSolution: ...".
template <class F>
std::string report_of(F&& f) {
    return option_error_text(f, [](const gearc::option_error& e) { return e.report(); });
}
/// "CODE".
template <class F>
std::string code_of(F&& f) {
    return option_error_text(f, [](const gearc::option_error& e) { return e.code(); });
}

/// "CODE: message" of any gearc::error `f` throws (every one must say how to fix it), or "(no error)".
template <class F>
std::string any_error_of(F&& f) {
    try {
        f();
    } catch (const gearc::error& e) {
        CHECK_FALSE(e.solution().empty());
        return e.what();
    }
    return "(no error)";
}
/// The code of any gearc::error `f` throws, or "(no error)".
template <class F>
std::string any_code_of(F&& f) {
    try {
        f();
    } catch (const gearc::error& e) {
        return e.code();
    }
    return "(no error)";
}

/// Each gear's shape of input `name`, as text.
inline std::vector<std::string> shapes_of(const gearc::gear_set& gs, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& g : gs) out.push_back(g.at(name).to_string());
    return out;
}

/// A fresh directory under the build tree's test data (GEARC_TEST_DATA), removed afterwards.
struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(const std::string& prefix = "tmp") {
        std::string t = std::string(GEARC_TEST_DATA) + "/" + prefix + "-XXXXXX";
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
    /// The names of the files in it, sorted.
    [[nodiscard]] std::vector<std::string> listing() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path)) out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

/// The front of the small test CNNs: x -> Conv(4 filters 3x3x3, pads 1; weights conv.w, conv.b) ->
/// BatchNormalization (bn.s, bn.b, bn.m, bn.v) -> Relu. Returns Relu's output.
inline gearc::value* conv_bn_relu(gearc::graph& g, gearc::value* x, std::vector<float> conv_w, std::vector<float> conv_b) {
    using gearc::tensor;
    auto* w = g.add_initializer("conv.w", tensor::from<float>({4, 3, 3, 3}, conv_w));
    auto* cb = g.add_initializer("conv.b", tensor::from<float>({4}, conv_b));
    auto* conv = g.add_node("Conv", {x, w, cb}, 1, {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}, "conv")->output(0);
    auto* s = g.add_initializer("bn.s", tensor::from<float>({4}, {1.f, 2.f, 0.5f, 1.f}));
    auto* b = g.add_initializer("bn.b", tensor::from<float>({4}, {0.f, 0.1f, 0.f, -0.1f}));
    auto* m = g.add_initializer("bn.m", tensor::from<float>({4}, {0.f, 0.5f, 0.f, 0.2f}));
    auto* v = g.add_initializer("bn.v", tensor::from<float>({4}, {1.f, 4.f, 1.f, 0.25f}));
    auto* bn = g.add_node("BatchNormalization", {conv, s, b, m, v}, 1, {{"epsilon", 1e-5f}}, "bn")->output(0);
    return g.add_node("Relu", {bn}, 1, {}, "relu")->output(0);
}

/// x[N,3,8,8] -> conv_bn_relu -> Reshape to [N,-1] built the way PyTorch exports it (Shape -> Gather ->
/// Unsqueeze -> Concat) -> MatMul [256,10] -> Add bias -> y[N,10]. `fill(n, scale)` gives the conv, fc and
/// bias weights (scale 0.01, 0.01, 1).
inline std::unique_ptr<gearc::graph> small_cnn(std::vector<float> (*fill)(std::size_t, float)) {
    using gearc::tensor;
    auto g = std::make_unique<gearc::graph>("small_cnn");
    g->info().opset_imports[""] = 13;
    auto* x = g->add_input("x", gearc::value_type::tensor_of(gearc::dtype::float32, gearc::shape{gearc::dim::symbol("N"), 3, 8, 8}));
    auto* relu = conv_bn_relu(*g, x, fill(108, 0.01f), {0.1f, 0.2f, 0.3f, 0.4f});
    auto* shp = g->add_node("Shape", {relu}, 1, {}, "shape")->output(0);
    auto* zero = g->add_initializer("zero", tensor::from<std::int64_t>({}, {0}));
    auto* n = g->add_node("Gather", {shp, zero}, 1, {{"axis", std::int64_t{0}}}, "gather")->output(0);
    auto* axes = g->add_initializer("axes0", tensor::from<std::int64_t>({1}, {0}));
    auto* n1 = g->add_node("Unsqueeze", {n, axes}, 1, {}, "unsqueeze")->output(0);
    auto* minus1 = g->add_initializer("minus1", tensor::from<std::int64_t>({1}, {-1}));
    auto* target = g->add_node("Concat", {n1, minus1}, 1, {{"axis", std::int64_t{0}}}, "concat")->output(0);
    auto* flat = g->add_node("Reshape", {relu, target}, 1, {}, "reshape")->output(0);
    auto* fc = g->add_initializer("fc.w", tensor::from<float>({256, 10}, fill(2560, 0.01f)));
    auto* mm = g->add_node("MatMul", {flat, fc}, 1, {}, "fc")->output(0);
    auto* bias = g->add_initializer("fc.b", tensor::from<float>({10}, fill(10, 1.f)));
    auto* y = g->add_node("Add", {mm, bias}, {g->add_value("y")}, {}, "fc_bias")->output(0);
    g->add_output(y);
    return g;
}

}  // namespace gearc_test
