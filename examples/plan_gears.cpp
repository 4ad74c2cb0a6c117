// plan_gears: loads an ONNX model, turns ATC-style gear options (or a MindSpore Lite config file) into
// gears, and writes one input-specialised ONNX graph per gear. The demo runs it on the bundled model.
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

// Binds one gear into a copy of the model: input shapes become static, and every symbolic dim the
// gear fixes is replaced in the types the model records. (Full static shape inference is the
// compile pipeline's job; this is what the options alone determine.)
std::unique_ptr<gearc::graph> bind_gear(const gearc::graph& model, const gearc::gear& g) {
    auto out = model.clone();
    out->set_name(model.name() + "_gear" + std::to_string(g.index));
    for (auto& v : out->values()) {
        if (!v.type().has_shape()) continue;
        auto t = v.type();
        t.dims = t.dims->bind(g.bindings);
        v.set_type(std::move(t));
    }
    for (auto* in : out->inputs())
        if (const auto* s = g.find(in->name())) in->set_type(gearc::value_type::tensor_of(in->elem_type(), *s));
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"plan_gears: ATC-style gear options -> one specialised ONNX graph per gear"};
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

        std::filesystem::create_directories(output);
        for (const auto& g : gears) {
            auto bound = bind_gear(*model, g);
            gearc::verify_or_throw(*bound);
            auto path = (std::filesystem::path(output) / ("gear_" + std::to_string(g.index) + ".onnx")).string();
            gearc::onnx::save(*bound, path);
            std::printf("gear %zu -> %s\n", g.index, path.c_str());
        }
        return 0;
    } catch (const gearc::error& e) {
        std::fprintf(stderr, "%s\n", e.report().c_str());
        return 1;
    }
}
