// Real architectures (exported from PyTorch, random weights) run by gearc's CPU session, every gear of each
// suggested gear set, compared with ONNX Runtime on the same inputs (scripts/ort/ort-run.js, onnxruntime-node).
#include <doctest/doctest.h>

#include <gearc/frontend/onnx.hpp>
#include <gearc/runtime.hpp>

#include "onnx_test_support.hpp"
#include "test_support.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path models_dir() { return fs::path(GEARC_TEST_DATA) / "real-models"; }

gearc::tensor random_input(gearc::dtype type, const std::vector<std::int64_t>& sizes, std::mt19937& rng) {
    std::int64_t n = 1;
    for (auto s : sizes) n *= s;
    if (type == gearc::dtype::int64) {  // token ids: small, inside any vocabulary
        std::uniform_int_distribution<std::int64_t> u(0, 9);
        std::vector<std::int64_t> v(static_cast<std::size_t>(n));
        for (auto& x : v) x = u(rng);
        return gearc::tensor::from<std::int64_t>(sizes, v);
    }
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = u(rng);
    return gearc::tensor::from<float>(sizes, v);
}

/// max |a - b| / (1e-3 + max |b|): the error relative to the output's scale.
double scaled_error(const gearc::tensor& a, const gearc::tensor& b) {
    auto x = gearc_test::floats_of(a), y = gearc_test::floats_of(b);
    double scale = 0, err = 0;
    for (double v : y) scale = std::max(scale, std::abs(v));
    for (std::size_t i = 0; i < x.size(); ++i) err = std::max(err, std::abs(x[i] - y[i]));
    return err / (1e-3 + scale);
}

}  // namespace

TEST_CASE("real models: every gear's outputs match ONNX Runtime's") {
    std::ifstream in(models_dir() / "models.json");
    REQUIRE_MESSAGE(in.good(), "generate the models first: ctest -R generate_real_models");
    const auto manifest = nlohmann::json::parse(in);
    const std::string node_script = std::string(GEARC_SOURCE_DIR) + "/scripts/ort/ort-run.js";
    gearc_test::temp_dir tmp("ort");
    std::mt19937 rng(42);
    std::ostringstream table;
    table << "gearc session vs ONNX Runtime (max |gearc - ORT| / max |ORT|):\n";
    std::size_t gears_checked = 0;
    for (const auto& m : manifest["models"]) {
        const std::string file = (models_dir() / m["file"].get<std::string>()).string();
        auto g = gearc::onnx::load(file);
        for (const auto& go : m["gear_options"]) {
            gearc::gear_options o;
            o.input_shape = go.value("input_shape", "");
            o.dynamic_batch_size = go.value("dynamic_batch_size", "");
            o.dynamic_image_size = go.value("dynamic_image_size", "");
            o.dynamic_dims = go.value("dynamic_dims", "");
            auto gears = gearc::make_gear_set(*g, o);
            auto compiled = std::make_shared<gearc::compiled_model>(gearc::compile(*g, gears));
            gearc::session s(std::make_shared<gearc::prepared_model<>>(compiled, 2));
            for (const auto& gear : gears) {
                CAPTURE(m["name"].get<std::string>());
                CAPTURE(gear.index);
                gearc::session::tensor_map feeds;
                std::string args;
                for (const auto& [name, shape] : gear.shapes) {
                    const gearc::value* v = nullptr;
                    for (auto* x : g->inputs())
                        if (x->name() == name) v = x;
                    REQUIRE(v);
                    auto t = random_input(v->elem_type(), shape.sizes(), rng);
                    const auto path = tmp.file(name + ".npy");
                    gearc::write_npy(path, t);
                    args += " '" + name + "=" + path + "'";
                    feeds.emplace(name, std::move(t));
                }
                auto got = s.run(feeds);
                const auto out_dir = tmp.file("ort_out");
                fs::remove_all(out_dir);
                const std::string cmd = "node '" + node_script + "' '" + file + "' '" + out_dir + "' --threads=2" + args;
                REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "ONNX Runtime failed: " << cmd);
                for (const auto& [name, t] : got) {
                    const auto ref = gearc::read_npy(out_dir + "/" + name + ".npy");
                    REQUIRE(ref.sizes() == t.sizes());
                    const double e = scaled_error(t, ref);
                    CHECK_MESSAGE(e < 1e-3, m["name"].get<std::string>() << " gear " << gear.index << " output " << name << ": scaled error " << e);
                    table << "  " << m["name"].get<std::string>() << " gear " << gear.index << " " << name << " "
                          << gearc::shape::of(t.sizes()).to_string() << ": " << e << "\n";
                }
                ++gears_checked;
            }
        }
    }
    std::cout << table.str() << std::flush;
    CHECK(gears_checked >= 30);
}
