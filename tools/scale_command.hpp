// gearc scale: gears from dataset statistics (MindOCR auto_scaling compatible), written as ATC options, config files and JSON.
#pragma once

#include "cli_support.hpp"

#include <gearc/frontend/onnx.hpp>
#include <gearc/gearc.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gearc_tool {

struct scale_args {
    std::string model, dataset, input_shape, input_name, input_format, config, output = "output", strategy, cost, log = "info";
    std::int64_t num_gears = -1, max_scaling_num = -1, interval = -1;
    std::size_t threads = 0;
    bool compile = false;
};

inline CLI::App* add_scale_command(CLI::App& app, scale_args& a) {
    auto* s = app.add_subcommand("scale", "Choose gears from dataset statistics (MindOCR auto_scaling compatible)");
    s->footer(R"(Examples:
  gearc scale --model=rec.onnx --dataset=det_gt.txt --input_shape=-1,3,48,-1 --output=out
  gearc scale --model=det.onnx --dataset=images/ --input_shape=1,3,-1,-1 --config=auto_scaling.yaml --compile
  gearc scale --dataset=images/ --input_shape=x:1,3,-1,-1 --strategy=optimal --num_gears=16

The dataset is a folder of images (PNG, JPEG, BMP, GIF, WebP; sizes read from the headers) or a text-detection
annotation file (image<TAB>[{"transcription": ..., "points": [[x,y] x4]}, ...]): each box is a crop, and the number
of boxes of an image is a batch-size sample. Writes into --output: gears.json (gears, options, padding report),
atc_commands.sh (the ATC/gearc command per model) and MindSpore Lite config files (lite_config*.txt).
Errors use ATC's codes (E10001 for a bad option or config value) and leave no output behind.)");
    s->add_option("--model,--model_path", a.model, "the ONNX model (optional: prices gears by FLOPs, names the input, --compile)");
    s->add_option("--dataset,--dataset_path,--data_path", a.dataset,
                  "image folder or text-detection annotation file (without it: default_scaling from the config)");
    s->add_option("--input_shape", a.input_shape,
                  "4-D shape, -1 for dynamic N/H/W, e.g. -1,3,-1,-1 or x:1,3,48,-1 (default: the model input's shape)");
    s->add_option("--input_name", a.input_name, "the model input to scale (default: the model's only input, else x)");
    s->add_option("--input_format", a.input_format, "NCHW (default) or NHWC");
    s->add_option("--config", a.config, "MindOCR auto_scaling.yaml (keys under auto_scaling:, or at the top level; YAML or JSON)");
    s->add_option("--strategy", a.strategy, "mean_std (default), max_min or optimal (overrides the config)");
    s->add_option("--num_gears", a.num_gears, "optimal: how many gears in total (default: max_scaling_num)");
    s->add_option("--max_scaling_num", a.max_scaling_num, "at most this many gears in total (default 100; overrides the config)");
    s->add_option("--interval", a.interval, "side gears are multiples of this (default 32; overrides the config)");
    s->add_option("--cost", a.cost, "how a gear is priced: flops (default with --model) or area (padded elements)");
    s->add_option("--output,--output_path", a.output, "output directory (default: output)");
    s->add_flag("--compile", a.compile, "also compile every gear of every model with gearc (needs --model)");
    s->add_option("--threads", a.threads, "threads for compiling (default: all cores)");
    s->add_option("--log", a.log, "debug, info (default), warning, error or null");
    return s;
}

namespace detail_scale {

/// The non-initializer inputs of the model.
[[nodiscard]] inline std::vector<const gearc::value*> feeds(const gearc::graph& g) {
    std::vector<const gearc::value*> out;
    for (const auto* v : g.inputs())
        if (!v->is_initializer()) out.push_back(v);
    return out;
}

/// --input_shape / --input_name / --input_format, with the model filling what they leave out.
[[nodiscard]] inline gearc::scaling::scaling_input resolve_input(const scale_args& a, const gearc::graph* model) {
    std::string name = a.input_name;
    const bool named_in_shape = a.input_shape.find(':') != std::string::npos;
    if (model && name.empty() && !named_in_shape) {
        auto f = feeds(*model);
        if (f.size() == 1) name = std::string(f[0]->name());
    }
    if (!a.input_shape.empty()) return gearc::scaling::parse_scaling_input(a.input_shape, name, a.input_format);
    if (!model)
        throw bad("--input_shape", "", "it is needed without --model", "Give the model input's shape, e.g. --input_shape=-1,3,-1,-1.");
    std::vector<std::string> names;
    for (const auto* v : feeds(*model)) names.emplace_back(v->name());
    if (name.empty())
        throw bad("--input_name", "", "the model has " + std::to_string(names.size()) + " inputs [" +
                                         gearc::detail::opts::join(names, ", ") + "]; say which one to scale");
    for (const auto* v : feeds(*model)) {
        if (v->name() != name) continue;
        const auto& t = v->type();
        if (!t.dims || t.dims->rank() != 4)
            throw bad("--input_name", name, "input [" + name + "] of the model is " + t.to_string() + ", but gear scaling needs a 4-D NCHW or NHWC image input",
                      "Scale a model whose input is an image batch, or give --input_shape explicitly.");
        std::string text = name + ":";
        for (std::size_t i = 0; i < 4; ++i) text += (i ? "," : "") + ((*t.dims)[i].is_static() ? std::to_string((*t.dims)[i].value()) : "-1");
        return gearc::scaling::parse_scaling_input(text, {}, a.input_format);
    }
    throw bad("--input_name", name,
              "the model has no input named [" + name + "]" + gearc::detail::opts::did_you_mean(name, names) + "; its inputs are [" +
                  gearc::detail::opts::join(names, ", ") + "]");
}

/// The input's name, rank and static axes against the model (E10001 naming them), before any long work.
inline void check_against_model(const gearc::graph& model, const gearc::scaling::scaling_input& in) {
    gearc::gear_request r;
    r.kind = gearc::gear_kind::dynamic_dims;
    r.format = gearc::tensor_format::nd;
    gearc::input_shape_entry e;
    e.name = in.name;
    std::vector<std::int64_t> probe;
    for (auto d : in.dims) {
        e.dims.push_back(d == -1 ? gearc::dim::unknown() : gearc::dim(d));
        if (d == -1) probe.push_back(1);
    }
    r.input_shapes.push_back(std::move(e));
    r.input_shape_text = in.name + ":" + in.dims_text();
    r.gear_option = "--input_shape";
    r.profiles.push_back(probe);
    auto inputs = gearc::model_inputs(model);
    (void)gearc::make_gear_set(std::span<const gearc::model_input>(inputs), r);
}

[[nodiscard]] inline std::string fixed(double v, int digits = 3) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

}  // namespace detail_scale

inline int run_scale(const scale_args& a) {
    namespace sc = gearc::scaling;
    using gearc_tool::bad;
    console con(parse_log_level(a.log));

    // ---- configuration: file, then command-line overrides ----
    sc::scaling_config cfg;
    if (!a.config.empty()) cfg = sc::config_from_json(load_yaml(a.config), "config file [" + a.config + "]");
    if (!a.strategy.empty()) {
        auto s = sc::parse_strategy(a.strategy);
        if (!s)
            throw bad("--strategy", a.strategy,
                      "it must be one of: mean_std, max_min, optimal" + gearc::detail::opts::did_you_mean(a.strategy, sc::strategy_names));
        cfg.strategy = *s;
    }
    if (a.num_gears != -1) cfg.num_gears = a.num_gears;
    if (a.max_scaling_num != -1) cfg.max_scaling_num = a.max_scaling_num;
    if (a.interval != -1) cfg.interval = a.interval;
    if (a.num_gears != -1 && a.num_gears < 1) throw bad("--num_gears", std::to_string(a.num_gears), "it must be >= 1");
    sc::validate(cfg, "the command line");
    if (a.num_gears != -1 && cfg.strategy != sc::strategy::optimal)
        con.warning("--num_gears applies to --strategy=optimal only; " + std::string(sc::to_string(cfg.strategy)) +
                    " is limited by max_scaling_num");
    if (a.compile && a.model.empty()) throw bad("--compile", "true", "it needs --model", "Give the ONNX model with --model.");

    // ---- model, input, dataset ----
    std::unique_ptr<gearc::graph> model;
    if (!a.model.empty()) {
        model = gearc::onnx::load(a.model);
        gearc::verify_or_throw(*model);
    }
    const auto input = detail_scale::resolve_input(a, model.get());
    if (model) detail_scale::check_against_model(*model, input);

    // ---- cost model ----
    std::string cost_name = a.cost.empty() ? (model ? "flops" : "area") : a.cost;
    std::unique_ptr<sc::cost_model> cost;
    gearc::compile_options copts;
    copts.threads = a.threads;
    if (cost_name == "area") {
        cost = std::make_unique<sc::area_cost>();
    } else if (cost_name == "flops") {
        if (!model) throw bad("--cost", "flops", "it needs --model", "Give --model, or use --cost=area.");
        cost = std::make_unique<sc::flops_cost<>>(*model, input, cfg.interval, copts, con.progress("pricing gears (FLOPs)"));
    } else {
        throw bad("--cost", cost_name, "it must be flops or area");
    }

    std::optional<sc::dataset> data;
    if (!a.dataset.empty()) {
        data = sc::load_dataset(a.dataset, con.progress("reading " + a.dataset));
        const std::size_t show = 10;
        for (std::size_t i = 0; i < std::min(show, data->warnings.size()); ++i) con.warning(data->warnings[i]);
        if (data->warnings.size() > show) con.warning("... and " + std::to_string(data->warnings.size() - show) + " more");
    }

    auto result = sc::choose_gears(input, data ? &*data : nullptr, cfg, *cost);

    // ---- every model's options must be what ATC (and gearc compile) accept ----
    std::vector<gearc::gear_options> options;
    for (const auto& m : result.models) {
        options.push_back(sc::to_gear_options(input, m));
        if (model)
            (void)gearc::make_gear_set(*model, options.back());
        else
            (void)gearc::validate(options.back());
    }

    // ---- what to print and write ----
    const std::string stem = model ? std::filesystem::path(a.model).stem().string() : std::string("model");
    std::printf("gearc scale: strategy %s, cost %s, input %s:%s (%s)\n", std::string(sc::to_string(cfg.strategy)).c_str(),
                result.cost_model.c_str(), input.name.c_str(), input.dims_text().c_str(), std::string(gearc::to_string(input.format)).c_str());
    if (data)
        std::printf("dataset %s: %zu %s%s\n", data->source.c_str(), data->sizes.size(),
                    data->source_kind == sc::dataset::kind::image_folder ? "images" : "text boxes",
                    data->has_batch_samples() ? (", " + std::to_string(data->box_counts.size()) + " images with boxes").c_str() : "");
    for (const auto& r : result.reports) {
        std::printf("  %-13s %3zu gears  padding overhead %s  uncovered %s%%", r.axes.c_str(), r.gears, detail_scale::fixed(r.overhead()).c_str(),
                    detail_scale::fixed(100 * r.uncovered_share, 1).c_str());
        if (auto gap = r.optimality_gap()) std::printf("  optimality gap %s%%", detail_scale::fixed(100 * *gap, 2).c_str());
        std::printf("  (%s)\n", r.method.c_str());
    }
    if (result.reports.size() > 1)
        std::printf("  total: %zu gears, padding overhead %s\n", result.total_gears(), detail_scale::fixed(result.padding_overhead()).c_str());
    for (const auto& n : result.notes) con.info(n);

    output_files out;
    const std::filesystem::path dir(a.output);
    std::string atc, gearc_cmds;
    auto json = sc::to_json(result);
    std::printf("models:\n");
    for (std::size_t i = 0; i < result.models.size(); ++i) {
        const auto& m = result.models[i];
        const std::string name = stem + "_" + m.suffix;
        const std::string args = sc::to_atc_arguments(options[i]);
        std::printf("  %-24s %s\n", name.c_str(), args.c_str());
        const std::string common = " --model=" + (model ? a.model : std::string("MODEL.onnx")) + " --framework=5 --output=" + name + " " + args;
        atc += "atc" + common + "\n";
        gearc_cmds += "# gearc compile" + common + "\n";
        json["models"][i]["name"] = name;
        // MindSpore Lite: one config file per model, named as MindOCR names them
        const std::string cfg_name = result.models.size() > 1 ? "lite_config_" + std::to_string(m.dims[0]) + ".txt" : "lite_config.txt";
        const std::string text = sc::to_lite_config(input, m);
        try {
            (void)gearc::validate(gearc::to_gear_options(gearc::config_file::parse(text, cfg_name)));
            out.add(dir / cfg_name, text);
            json["models"][i]["lite_config"] = cfg_name;
        } catch (const gearc::option_error& e) {
            con.warning("no MindSpore Lite config for " + name + ": " + e.what());
        }
    }
    if (data)
        json["dataset"] = {{"source", data->source},
                           {"kind", data->source_kind == sc::dataset::kind::image_folder ? "image_folder" : "annotation_file"},
                           {"samples", data->sizes.size()},
                           {"batch_samples", data->box_counts.size()},
                           {"skipped_files", data->files_skipped}};
    if (model) json["model"] = a.model;

    if (a.compile) {
        json["compiled"] = nlohmann::json::array();
        for (std::size_t i = 0; i < result.models.size(); ++i) {
            auto gears = gearc::make_gear_set(*model, options[i]);
            gearc::compile_options o = copts;
            o.progress = con.progress("compiling " + stem + "_" + result.models[i].suffix);
            auto compiled = gearc::compile(*model, gears, o);
            std::printf("compiled %s_%s: %zu gears in %.1f ms\n", stem.c_str(), result.models[i].suffix.c_str(), compiled.size(),
                        compiled.total_ms());
            nlohmann::json jm{{"name", stem + "_" + result.models[i].suffix}, {"compile_ms", compiled.total_ms()}, {"gears", nlohmann::json::array()}};
            for (const auto& p : compiled.plans()) {
                const auto flops = gearc::passes::estimate_flops(*p.graph).total;
                std::string shapes;
                for (const auto& [n, s] : p.info.shapes) shapes += (shapes.empty() ? "" : ";") + n + ":" + s.to_string();
                con.info("  gear " + std::to_string(p.info.index) + " " + shapes + ": " + std::to_string(p.graph->num_nodes()) +
                         " nodes, arena " + std::to_string(p.memory.arena_bytes) + " bytes, " + detail_scale::fixed(flops / 1e6, 2) + " MFLOPs");
                jm["gears"].push_back({{"index", p.info.index},
                                       {"inputs", shapes},
                                       {"nodes", p.graph->num_nodes()},
                                       {"arena_bytes", p.memory.arena_bytes},
                                       {"flops", flops}});
            }
            json["compiled"].push_back(std::move(jm));
        }
    }
    out.add(dir / "atc_commands.sh", "#!/bin/sh\n# written by gearc scale: the ATC command that compiles each model with these gears\n" + atc +
                                         "# the same with gearc (same options, writes <output>.gearc):\n" + gearc_cmds);
    out.add(dir / "gears.json", json.dump(2) + "\n");
    for (const auto& f : out.commit()) std::printf("wrote %s\n", f.c_str());
    return 0;
}

}  // namespace gearc_tool
