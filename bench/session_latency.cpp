// bench_session_latency: per gear of a model, gearc's session latency side by side with ONNX Runtime's on the
// same inputs and thread count (ratio), the gear against the same shape compiled as a single static model
// (ratio), and the slowest kernels of the slowest gear. Not a test: it prints measurements.
//
//   bench_session_latency --model=m.onnx --input_shape="x:-1,3,224,224" --dynamic_batch_size="1,4" [--threads=2]
//                         [--loop=20] [--ort-script=scripts/ort/ort-run.js]
#include <gearc/frontend/onnx.hpp>
#include <gearc/runtime.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

gearc::tensor random_input(gearc::dtype type, const std::vector<std::int64_t>& sizes, std::mt19937& rng) {
    std::int64_t n = 1;
    for (auto s : sizes) n *= s;
    if (type == gearc::dtype::int64) {
        std::vector<std::int64_t> v(static_cast<std::size_t>(n));
        for (auto& x : v) x = static_cast<std::int64_t>(rng() % 10);
        return gearc::tensor::from<std::int64_t>(sizes, v);
    }
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = u(rng);
    return gearc::tensor::from<float>(sizes, v);
}

/// Median latencies (ms) of two gears timed alternately, run by run, so that the machine's noise falls on both alike.
std::pair<double, double> time_pair(gearc::session& a, std::size_t ga, gearc::session& b, std::size_t gb,
                                    const gearc::session::tensor_map& feeds, int loop) {
    for (int i = 0; i < 3; ++i) (void)a.run_gear(ga, feeds), (void)b.run_gear(gb, feeds);
    std::vector<double> ma, mb;
    for (int i = 0; i < loop; ++i) {
        for (int k = 0; k < 2; ++k) {
            auto& s = (i + k) % 2 ? b : a;
            const auto t0 = std::chrono::steady_clock::now();
            (void)s.run_gear(&s == &a ? ga : gb, feeds);
            (&s == &a ? ma : mb).push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
    }
    return {median(ma), median(mb)};
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_session_latency: gearc vs ONNX Runtime per gear, multi-gear vs static, slowest kernels"};
    std::string model_path, ort_script = "scripts/ort/ort-run.js";
    gearc::gear_options opts;
    std::size_t threads = 2;
    int loop = 20;
    app.add_option("--model", model_path, "the ONNX model")->required();
    app.add_option("--input_shape", opts.input_shape);
    app.add_option("--dynamic_batch_size", opts.dynamic_batch_size);
    app.add_option("--dynamic_image_size", opts.dynamic_image_size);
    app.add_option("--dynamic_dims", opts.dynamic_dims);
    app.add_option("--input_format", opts.input_format);
    app.add_option("--threads", threads, "threads for gearc and ONNX Runtime (default 2)");
    app.add_option("--loop", loop, "timed runs per gear (default 20)");
    app.add_option("--ort-script", ort_script, "scripts/ort/ort-run.js (empty: no ONNX Runtime column)");
    CLI11_PARSE(app, argc, argv);
    try {
        auto g = gearc::onnx::load(model_path);
        auto gears = gearc::make_gear_set(*g, opts);
        auto compiled = std::make_shared<gearc::compiled_model>(gearc::compile(*g, gears));
        auto prepared = std::make_shared<gearc::prepared_model<>>(compiled, threads);
        gearc::session s(prepared);
        const auto tmp = std::filesystem::temp_directory_path() / ("gearc-bench-" + std::to_string(::getpid()));
        std::filesystem::create_directories(tmp);
        std::mt19937 rng(1);
        std::printf("%s, %zu threads, median of %d runs\n", model_path.c_str(), threads, loop);
        std::printf("| gear | inputs | gearc ms | ORT ms | gearc/ORT | static ms | gear/static |\n|---|---|---:|---:|---:|---:|---:|\n");
        double worst = 0;
        std::size_t worst_gear = 0;
        for (const auto& gear : gears) {
            gearc::session::tensor_map feeds;
            std::string args, shapes;
            for (const auto& [name, shape] : gear.shapes) {
                const gearc::value* v = nullptr;
                for (auto* x : g->inputs())
                    if (x->name() == name) v = x;
                auto t = random_input(v->elem_type(), shape.sizes(), rng);
                const auto p = (tmp / (name + ".npy")).string();
                gearc::write_npy(p, t);
                args += " '" + name + "=" + p + "'";
                shapes += (shapes.empty() ? "" : ";") + name + ":" + shape.to_string();
                feeds.emplace(name, std::move(t));
            }

            // the same shape compiled alone
            gearc::gear_request r;
            r.kind = gearc::gear_kind::static_shape;
            for (const auto& [name, shape] : gear.shapes) r.input_shapes.push_back({name, shape});
            auto inputs = gearc::model_inputs(*g);
            auto one = gearc::make_gear_set(std::span<const gearc::model_input>(inputs), r);
            gearc::session st(std::make_shared<gearc::prepared_model<>>(std::make_shared<gearc::compiled_model>(gearc::compile(*g, one)), threads));
            const auto [ms, ms_static] = time_pair(s, gear.index, st, 0, feeds, loop);
            if (ms > worst) worst = ms, worst_gear = gear.index;
            double ort = 0;
            if (!ort_script.empty()) {
                const auto out = (tmp / "ort.json").string();
                const std::string cmd = "node '" + ort_script + "' '" + model_path + "' '" + (tmp / "out").string() + "' --threads=" +
                                        std::to_string(threads) + " --loop=" + std::to_string(loop) + args + " > '" + out + "'";
                if (std::system(cmd.c_str()) == 0) {
                    std::ifstream in(out);
                    auto j = nlohmann::json::parse(in);
                    ort = median(j["latency_ms"].get<std::vector<double>>());
                }
            }
            std::printf("| %zu | %s | %.3f | %s | %s | %.3f | %.3f |\n", gear.index, shapes.c_str(), ms,
                        ort > 0 ? std::to_string(ort).substr(0, 6).c_str() : "-", ort > 0 ? std::to_string(ms / ort).substr(0, 5).c_str() : "-",
                        ms_static, ms / ms_static);
        }
        // where the slowest gear spends its time
        s.set_profiling(true);
        gearc::session::tensor_map feeds;
        for (const auto& [name, shape] : gears[worst_gear].shapes) {
            const gearc::value* v = nullptr;
            for (auto* x : g->inputs())
                if (x->name() == name) v = x;
            feeds.emplace(name, random_input(v->elem_type(), shape.sizes(), rng));
        }
        (void)s.run_gear(worst_gear, feeds);
        auto prof = s.last_profile();
        double total = 0;
        for (const auto& p : prof) total += p.ms;
        std::sort(prof.begin(), prof.end(), [](const auto& a, const auto& b) { return a.ms > b.ms; });
        std::printf("\nslowest kernels of gear %zu (%.3f ms in kernels):\n", worst_gear, total);
        for (std::size_t i = 0; i < prof.size() && i < 8; ++i)
            std::printf("  %6.3f ms %5.1f%%  %-28s %s\n", prof[i].ms, 100 * prof[i].ms / total, prof[i].kernel.c_str(), prof[i].node.c_str());
        std::filesystem::remove_all(tmp);
    } catch (const gearc::error& e) {
        std::fprintf(stderr, "%s\n", e.report().c_str());
        return 1;
    }
    return 0;
}
