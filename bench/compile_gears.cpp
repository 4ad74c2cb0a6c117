// Benchmark: compile time for 1, 10 and 100 gears, arena size per gear vs the naive sum, weight memory 100 vs 1.
//
// usage: bench_compile_gears MODEL.onnx INPUT_SHAPE [--repeat N] [--threads N]
//   e.g. bench_compile_gears resnet18.onnx "x:-1,3,224,224"
// The gears are --dynamic_batch_size 1..G. Each configuration is compiled `repeat` times in one run
// (side by side, so machine noise hits all of them alike) and the median is reported.
#include <gearc/compile.hpp>
#include <gearc/frontend/onnx.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

std::string batch_list(int n) {
    std::string s;
    for (int i = 1; i <= n; ++i) s += (i > 1 ? "," : "") + std::to_string(i);
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: " << argv[0] << " MODEL.onnx INPUT_SHAPE [--repeat N] [--threads N]\n";
        return 2;
    }
    const std::string path = argv[1];
    const std::string input_shape = argv[2];
    int repeat = 5;
    std::size_t threads = 0;
    for (int i = 3; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--repeat") repeat = std::atoi(argv[i + 1]);
        else if (k == "--threads") threads = static_cast<std::size_t>(std::atoi(argv[i + 1]));
    }
    try {
        auto g = gearc::onnx::load(path);
        gearc::compile_options opts;
        opts.threads = threads;
        const std::vector<int> counts = {1, 10, 100};
        std::vector<std::vector<double>> times(counts.size());
        std::vector<gearc::compiled_model> last(counts.size());
        for (int r = 0; r < repeat; ++r)
            for (std::size_t c = 0; c < counts.size(); ++c) {
                gearc::gear_options o;
                o.input_shape = input_shape;
                if (counts[c] > 1) o.dynamic_batch_size = batch_list(counts[c]);
                else {
                    // one gear: the same shape as a static input_shape (batch 1)
                    auto pos = o.input_shape.find("-1");
                    if (pos != std::string::npos) o.input_shape.replace(pos, 2, "1");
                }
                auto gears = gearc::make_gear_set(*g, o);
                const auto t0 = std::chrono::steady_clock::now();
                auto m = gearc::compile(*g, gears, opts);
                times[c].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                last[c] = std::move(m);
            }
        std::printf("model %s, input %s, %d repeats, threads %zu (0 = all cores)\n", path.c_str(), input_shape.c_str(), repeat, threads);
        std::printf("%-8s %12s %12s %14s %16s\n", "gears", "compile ms", "vs 1 gear", "generic ms", "weight bytes");
        const double base = median(times[0]);
        for (std::size_t c = 0; c < counts.size(); ++c)
            std::printf("%-8d %12.1f %11.2fx %14.1f %16zu\n", counts[c], median(times[c]), median(times[c]) / base,
                        last[c].generic_ms(), last[c].weight_bytes());
        std::printf("weight memory, 100 gears vs 1 gear: %.4fx\n",
                    static_cast<double>(last[2].weight_bytes()) / static_cast<double>(last[0].weight_bytes()));
        std::printf("\narena per gear (batch = gear index + 1), of the 100-gear model:\n");
        std::printf("%-6s %14s %14s %8s %8s %8s\n", "batch", "arena bytes", "naive bytes", "ratio", "nodes", "in-place");
        for (const auto& p : last[2].plans()) {
            const auto b = p.info.index + 1;
            if (b != 1 && b != 2 && b != 4 && b != 8 && b != 16 && b != 32 && b != 64 && b != 100) continue;
            std::size_t nodes = 0;
            for ([[maybe_unused]] const auto& n : p.graph->nodes()) ++nodes;
            std::printf("%-6zu %14zu %14zu %8.3f %8zu %8zu\n", b, p.memory.arena_bytes, p.memory.naive_bytes,
                        static_cast<double>(p.memory.arena_bytes) / static_cast<double>(p.memory.naive_bytes), nodes,
                        p.memory.in_place);
        }
    } catch (const gearc::error& e) {
        std::cerr << e.report() << "\n";
        return 1;
    }
    return 0;
}
