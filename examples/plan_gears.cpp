// plan_gears: loads an ONNX model, turns ATC-style gear options (or a MindSpore Lite config file) into
// gears, compiles one static, memory-planned graph per gear, and writes each as ONNX. The demo runs it.
//
//   plan_gears --model=m.onnx --input_shape="x:-1,3,224,224" --dynamic_batch_size="1,4,8" --output=out/
//   plan_gears --model=m.onnx --config=config.txt --output=out/
#include <gearc/frontend/onnx.hpp>
#include <gearc/gearc.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

namespace {

std::size_t count_nodes(const gearc::graph& g) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& node : g.nodes()) ++n;
    return n;
}

std::string kib(std::size_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"plan_gears: ATC-style gear options -> one compiled, static ONNX graph per gear"};
    std::string fusion_switch_file;
    std::string model_path, output = "gears", config;
    gearc::gear_options opts;
    app.add_option("--model", model_path, "the ONNX model")->required();
    app.add_option("--output", output, "output directory (default: gears)");
    app.add_option("--config", config, "MindSpore Lite converter config file with [ascend_context]");
    app.add_option("--input_shape", opts.input_shape, "name:d,d,...;name2:... (-1 dynamic, a~b range)");
    app.add_option("--input_format", opts.input_format, "NCHW, NHWC, ND or NCDHW");
    auto* batch = app.add_option("--dynamic_batch_size", opts.dynamic_batch_size, "e.g. \"1,2,4\"");
    auto* image = app.add_option("--dynamic_image_size", opts.dynamic_image_size, "e.g. \"224,224;448,448\"");
    auto* dims = app.add_option("--dynamic_dims", opts.dynamic_dims, "e.g. \"1,224;2,448\"");
    app.add_option("--fusion_switch_file", fusion_switch_file, "fusions to switch off (\"Name:off\" lines or ATC's JSON)");
    (void)batch, (void)image, (void)dims;  // mutual exclusion is checked by gearc itself, with ATC's message
    CLI11_PARSE(app, argc, argv);

    try {
        auto model = gearc::onnx::load(model_path);
        gearc::verify_or_throw(*model);
        if (!config.empty()) {
            if (!opts.input_shape.empty() || !opts.dynamic_batch_size.empty() || !opts.dynamic_image_size.empty() ||
                !opts.dynamic_dims.empty())
                throw gearc::option_error(gearc::errc::invalid_value,
                                          "Value [" + config + "] for parameter [--config] is invalid. Reason: gear options are given both on the "
                                          "command line and in the config file",
                                          "Give the gear options in one place.");
            opts = gearc::load_gear_options(config);
        }
        std::printf("model %s: %zu nodes, %zu initializers, opset %lld\n", model_path.c_str(), model->num_nodes(),
                    model->initializers().size(), static_cast<long long>(model->info().opset_imports[""]));
        for (auto* in : model->inputs())
            if (!in->is_initializer()) std::printf("  input  %s : %s\n", in->name().c_str(), in->type().to_string().c_str());
        for (auto* out : model->outputs()) std::printf("  output %s : %s\n", out->name().c_str(), out->type().to_string().c_str());

        auto gears = gearc::make_gear_set(*model, opts);
        std::printf("\n%s\n", gears.to_string().c_str());

        gearc::compile_options copts;
        if (!fusion_switch_file.empty()) copts.disabled_fusions = gearc::passes::load_fusion_switches(fusion_switch_file);
        auto compiled = gearc::compile(*model, gears, copts);
        std::printf("\ncompiled %zu gear(s) in %.1f ms (gear-independent passes %.1f ms, once): %zu -> %zu nodes\n",
                    compiled.size(), compiled.total_ms(), compiled.generic_ms(), model->num_nodes(),
                    count_nodes(compiled.generic_graph()));
        std::printf("%-5s %-28s %6s %12s %14s %9s\n", "gear", "inputs", "nodes", "arena", "sum of tensors", "in-place");
        std::filesystem::create_directories(output);
        for (const auto& p : compiled.plans()) {
            std::string ins;
            for (const auto& [name, s] : p.info.shapes) ins += (ins.empty() ? "" : ";") + name + ":" + s.to_string();
            std::printf("%-5zu %-28s %6zu %12s %14s %9zu\n", p.info.index, ins.c_str(), count_nodes(*p.graph),
                        kib(p.memory.arena_bytes).c_str(), kib(p.memory.naive_bytes).c_str(), p.memory.in_place);
            auto path = (std::filesystem::path(output) / ("gear_" + std::to_string(p.info.index) + ".onnx")).string();
            auto copy = p.graph->clone();
            copy->set_name(model->name() + "_gear" + std::to_string(p.info.index));
            gearc::onnx::save(*copy, path);
        }
        std::printf("weights held once for all gears: %s\nwrote %s/gear_<i>.onnx\n", kib(compiled.weight_bytes()).c_str(),
                    output.c_str());
        return 0;
    } catch (const gearc::error& e) {
        std::fflush(stdout);  // what was printed so far comes before the error
        std::fprintf(stderr, "%s\n", e.report().c_str());
        return 1;
    }
}
