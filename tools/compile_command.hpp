// gearc compile: ATC's command line (or MindSpore Lite's converter with a [ascend_context] config file) -> OUT.gearc.
#pragma once

#include "cli_support.hpp"

#include <gearc/frontend/onnx.hpp>
#include <gearc/gearc.hpp>
#include <gearc/runtime.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gearc_tool {

struct compile_args {
    std::string model, framework, output, config, mode;
    gearc::gear_options opts;  // ATC's spellings, filled by CLI11
    std::string save_type, optimize, fmk;
    std::string log = "info";
    std::size_t threads = 0;
    std::vector<std::string> command;  // the whole command line, recorded in the model file
};

inline CLI::App* add_compile_command(CLI::App& app, compile_args& a) {
    auto* s = app.add_subcommand("compile", "Compile an ONNX model into OUT.gearc, one static plan per gear (ATC's options)");
    s->footer(R"(Examples (ATC's command lines work as they are; --opt=value and --opt value are both accepted):
  gearc compile --model=resnet.onnx --framework=5 --output=out/resnet --input_shape="x:-1,3,224,224" --dynamic_batch_size="1,2,4,8" --soc_version=Ascend310
  gearc compile --model=det.onnx --output=det --input_shape="x:1,3,-1,-1" --dynamic_image_size="640,640;960,960"
  gearc compile --model=rec.onnx --output=rec --input_format=ND --input_shape="x:-1,3,48,-1" --dynamic_dims="1,320;4,320;8,640"
  gearc compile --model=rec.onnx --output=rec --config=config.txt          (MindSpore Lite's [ascend_context] file)
  gearc compile --fmk=ONNX --modelFile=rec.onnx --configFile=config.txt --optimize=ascend_oriented --outputFile=rec

Writes OUT.gearc (".gearc" is added unless --output ends with it): the gear table, every gear's static plan, the
weights once, the options and a checksum. Gears are numbered from 0 in the order the options list them. The file
is written whole or not at all: on any error nothing is left behind, and the exit status is 1.
Options gearc records but that change nothing on its CPU: --soc_version, --op_select_implmode, --precision_mode
force_fp32 / must_keep_origin_dtype / allow_fp32_to_fp16 / allow_mix_precision (gearc keeps float32 everywhere,
which those modes allow), --output_type when it is every output's type already, --optimize, --saveType=MINDIR.
Refused with a reason: --precision_mode=force_fp16, --insert_op_conf (AIPP), --output_type that would convert, and
every other ATC option gearc does not implement yet. Errors are printed the ATC way: "E10035: ..." then "Solution: ...".)");
    s->add_option("--model,--modelFile", a.model, "the ONNX model to compile (required)");
    s->add_option("--framework", a.framework, "ATC's framework code: 5 (ONNX, the default) is the only one gearc reads");
    s->add_option("--fmk", a.fmk, "MindSpore Lite's spelling of --framework: ONNX");
    s->add_option("--output,--outputFile", a.output, "path and name of the model file without extension; writes OUTPUT.gearc (required)");
    s->add_option("--input_shape", a.opts.input_shape,
                  "input shapes, \"name:d,d,...;name2:...\": -1 marks a gear axis, a~b a range, e.g. \"x:-1,3,224,224\"");
    s->add_option("--input_format", a.opts.input_format, "NCHW (default for 4-D), NHWC, ND or NCDHW: where N, H and W are");
    s->add_option("--dynamic_batch_size", a.opts.dynamic_batch_size, "batch gears, e.g. \"1,2,4,8\" (2 to 100 profiles)");
    s->add_option("--dynamic_image_size", a.opts.dynamic_image_size, "height,width gears, e.g. \"224,224;448,448\"");
    s->add_option("--dynamic_dims", a.opts.dynamic_dims,
                  "values of every -1 in --input_shape order, one profile per ';', e.g. \"1,320;4,640\" (with --input_format=ND)");
    s->add_option("--config,--configFile", a.config,
                  "MindSpore Lite converter config file: [ascend_context] with input_shape, dynamic_dims, input_format, ...");
    s->add_option("--soc_version", a.opts.soc_version, "target chip, e.g. Ascend310 (recorded in the model file)");
    s->add_option("--precision_mode", a.opts.precision_mode,
                  "force_fp32, must_keep_origin_dtype, allow_fp32_to_fp16, allow_mix_precision (all keep float32); force_fp16 is refused");
    s->add_option("--op_select_implmode", a.opts.op_select_impl_mode, "high_performance or high_precision (recorded; gearc has one implementation)");
    s->add_option("--output_type", a.opts.output_type, "FP32, FP16, UINT8, INT8, or node:index:type;...: accepted when the outputs already have it");
    s->add_option("--fusion_switch_file", a.opts.fusion_switch_file,
                  "fusions to switch off: \"Name:off\" lines or ATC's JSON {\"Switch\": {\"GraphFusion\": {\"Name\": \"off\"}}}");
    s->add_option("--insert_op_conf", a.opts.insert_op_conf, "AIPP config file: not supported by gearc (refused)");
    s->add_option("--mode", a.mode, "0 (generate a model file, the default); ATC's mode 1 is `gearc inspect --json`");
    s->add_option("--optimize", a.optimize, "MindSpore Lite's optimize level (recorded)");
    s->add_option("--saveType", a.save_type, "MindSpore Lite's output type: MINDIR (gearc writes .gearc)");
    s->add_option("--threads", a.threads, "gears compiled in parallel (default: all cores)");
    s->add_option("--log", a.log, "debug, info (default: progress bar on a terminal), warning, error or null");
    s->allow_extras();
    return s;
}

namespace detail_compile {

/// ATC options gearc knows by name but does not implement: refused with this reason, never ignored.
inline constexpr std::array<std::string_view, 32> unsupported_atc_options{
    "--weight",          "--singleop",         "--out_nodes",           "--input_fp16_nodes",   "--is_input_adjust_hw_layout",
    "--is_output_adjust_hw_layout", "--enable_small_channel", "--compression_optimize_conf", "--keep_dtype", "--buffer_optimize",
    "--customize_dtypes", "--op_debug_level",  "--op_precision_mode",   "--modify_mixlist",     "--op_name_map",
    "--dump_mode",        "--disable_reuse_memory", "--enable_single_stream", "--external_weight", "--host_env_os",
    "--host_env_cpu",     "--virtual_type",    "--core_type",           "--aicore_num",         "--json",
    "--om",               "--status_check",    "--shape_generalized_build_mode", "--op_bank_path", "--enable_compress_weight",
    "--compress_weight_conf", "--allow_hf32"};

/// The compile options gearc knows (for "did you mean").
inline const std::vector<std::string>& known_options() {
    static const std::vector<std::string> k{"--model",          "--framework",          "--output",         "--input_shape",
                                            "--input_format",   "--dynamic_batch_size", "--dynamic_image_size", "--dynamic_dims",
                                            "--config",         "--soc_version",        "--precision_mode", "--op_select_implmode",
                                            "--output_type",    "--fusion_switch_file", "--insert_op_conf", "--log",
                                            "--mode",           "--threads",            "--fmk",            "--modelFile",
                                            "--outputFile",     "--configFile",         "--optimize",       "--saveType"};
    return k;
}

/// What CLI11 left over: an option gearc does not have. ATC's options it does not implement say so.
inline void reject_extras(const std::vector<std::string>& extras) {
    if (extras.empty()) return;
    std::string opt = extras.front();
    for (const auto& e : extras)
        if (e.rfind("--", 0) == 0 || e.rfind('-', 0) == 0) {
            opt = e;
            break;
        }
    const std::string name = opt.substr(0, opt.find('='));
    const std::string value = opt.find('=') == std::string::npos ? std::string() : opt.substr(opt.find('=') + 1);
    if (std::find(unsupported_atc_options.begin(), unsupported_atc_options.end(), name) != unsupported_atc_options.end())
        throw bad(name, value, "[" + name + "] is an ATC option that gearc does not implement yet; it is refused rather than ignored",
                  "Remove " + name + " from the command line.");
    if (name.rfind('-', 0) != 0)
        throw bad("gearc compile", opt, "[" + opt + "] is not an option; every value belongs to an option, as --name=value",
                  "Run gearc compile --help.");
    std::string hint = gearc::detail::opts::did_you_mean(name, known_options());
    if (hint.empty())
        for (const auto& k : known_options())
            if (k.rfind(name, 0) == 0 || name.rfind(k, 0) == 0) {
                hint = " (did you mean [" + k + "]?)";
                break;
            }
    throw bad(name, value, "gearc compile has no option [" + name + "]" + hint,
              "Run gearc compile --help for the options.");
}

/// The options given on the command line that a config file also sets (they must come from one place).
inline void merge_config(compile_args& a) {
    auto from = gearc::load_gear_options(a.config);
    const std::array<std::pair<std::string*, std::string*>, 9> fields{{
        {&a.opts.input_shape, &from.input_shape},
        {&a.opts.input_format, &from.input_format},
        {&a.opts.dynamic_batch_size, &from.dynamic_batch_size},
        {&a.opts.dynamic_image_size, &from.dynamic_image_size},
        {&a.opts.dynamic_dims, &from.dynamic_dims},
        {&a.opts.precision_mode, &from.precision_mode},
        {&a.opts.op_select_impl_mode, &from.op_select_impl_mode},
        {&a.opts.output_type, &from.output_type},
        {&a.opts.fusion_switch_file, &from.fusion_switch_file},
    }};
    const bool gears_on_line = !a.opts.input_shape.empty() || !a.opts.dynamic_batch_size.empty() || !a.opts.dynamic_image_size.empty() ||
                               !a.opts.dynamic_dims.empty();
    const bool gears_in_file = !from.input_shape.empty() || !from.dynamic_dims.empty();
    if (gears_on_line && gears_in_file)
        throw bad("--config", a.config,
                  "the gear options are given both on the command line and in the config file's [ascend_context]",
                  "Give --input_shape and the gear options in one place.");
    for (const auto& [line, file] : fields) {
        if (file->empty()) continue;
        if (!line->empty() && *line != *file)
            throw bad("--config", a.config, "the config file sets a value that the command line sets differently (" + *file + " vs " + *line + ")",
                      "Give each option in one place.");
        *line = *file;
    }
    if (!from.insert_op_conf.empty()) a.opts.insert_op_conf = from.insert_op_conf;
    if (!from.aoe_mode.empty())
        throw bad("aoe_mode", from.aoe_mode, "AOE tuning is not part of gearc compile (config file [" + a.config + "])",
                  "Remove aoe_mode from [ascend_context].");
    a.opts.origin = from.origin;
}

/// The ONNX output dtype that an ATC --output_type name stands for.
[[nodiscard]] inline gearc::dtype atc_type(std::string_view t) {
    if (t == "FP16") return gearc::dtype::float16;
    if (t == "UINT8") return gearc::dtype::uint8;
    if (t == "INT8") return gearc::dtype::int8;
    return gearc::dtype::float32;
}

/// --output_type is accepted when the outputs it names already have that type (gearc does not convert them yet).
inline void check_output_type(const gearc::graph& g, const std::string& value) {
    if (value.empty()) return;
    auto refuse = [&](const std::string& output, gearc::dtype have, std::string_view want) {
        return bad("--output_type", value,
                   "output [" + output + "] is " + std::string(gearc::to_string(have)) + " and gearc does not convert outputs to " +
                       std::string(want) + " yet",
                   "Remove --output_type, or give the type the model's outputs already have.");
    };
    if (value.find(':') == std::string::npos) {
        const auto want = atc_type(gearc::detail::opts::trim(value));
        for (const auto* o : g.outputs())
            if (o->elem_type() != want) throw refuse(std::string(o->name()), o->elem_type(), value);
        return;
    }
    for (auto part : gearc::detail::opts::split_list(value, ';')) {
        auto e = gearc::detail::opts::trim(part);
        const auto t = e.rfind(':');
        const auto i = e.rfind(':', t - 1);
        const std::string node_name(gearc::detail::opts::trim(e.substr(0, i)));
        const auto index = static_cast<std::size_t>(std::stoll(std::string(e.substr(i + 1, t - i - 1))));
        const auto type = gearc::detail::opts::trim(e.substr(t + 1));
        const gearc::node* found = nullptr;
        for (const auto& n : g.nodes())
            if (n.name() == node_name) found = &n;
        if (!found)
            throw bad("--output_type", value, "the model has no node named [" + node_name + "]", "Name a node that produces a model output.");
        if (index >= found->num_outputs() || !found->output(index))
            throw bad("--output_type", value,
                      "node [" + node_name + "] has " + std::to_string(found->num_outputs()) + " outputs, so index " + std::to_string(index) +
                          " does not exist");
        const auto* v = found->output(index);
        if (v->elem_type() != atc_type(type)) throw refuse(std::string(v->name()), v->elem_type(), type);
    }
}

/// What gearc does with options it accepts but that change nothing on its CPU: said, never silent.
inline void explain_recorded(const compile_args& a, const console& con) {
    const auto& p = a.opts.precision_mode;
    if (p == "force_fp16")
        throw bad(a.opts.origin.empty() ? "--precision_mode" : "precision_mode (" + a.opts.origin + ")", p, "gearc's CPU kernels compute in the model's own types; forcing float16 is not implemented",
                  "Use force_fp32, must_keep_origin_dtype or allow_fp32_to_fp16 (gearc keeps float32 under all three).");
    if (p == "allow_fp32_to_fp16" || p == "allow_mix_precision")
        con.info("--precision_mode=" + p + ": every operator has a float32 kernel on the CPU, so gearc keeps float32 (which this mode allows)");
    if (!a.opts.soc_version.empty()) con.info("--soc_version=" + a.opts.soc_version + " is recorded in the model file; gearc compiles for this CPU");
    if (!a.opts.op_select_impl_mode.empty())
        con.info("--op_select_implmode=" + a.opts.op_select_impl_mode + " is recorded; gearc has one implementation per operator");
    if (!a.opts.insert_op_conf.empty())
        throw bad(a.opts.origin.empty() ? "--insert_op_conf" : "insert_op_config_file_path", a.opts.insert_op_conf,
                  "AIPP (inserted preprocessing operators) is not supported by gearc",
                  "Do the preprocessing (resize, crop, normalisation, colour conversion) before the model's input, and remove the option.");
    if (!a.mode.empty() && a.mode != "0") {
        if (a.mode == "1")
            throw bad("--mode", a.mode, "ATC's mode 1 (model to JSON) is a separate command in gearc", "Run: gearc inspect MODEL.gearc --json");
        throw bad("--mode", a.mode, "gearc compile supports mode 0 (generate a model file) only", "Remove --mode or use --mode=0.");
    }
    if (!a.framework.empty() && a.framework != "5")
        throw bad("--framework", a.framework,
                  "gearc reads ONNX models only (framework 5); 0 is Caffe, 1 MindSpore, 3 TensorFlow",
                  "Export the model to ONNX and use --framework=5.");
    if (!a.fmk.empty() && a.fmk != "ONNX" && a.fmk != "onnx")
        throw bad("--fmk", a.fmk, "gearc reads ONNX models only", "Export the model to ONNX and use --fmk=ONNX.");
    if (!a.save_type.empty() && a.save_type != "MINDIR" && a.save_type != "MINDIR_LITE")
        throw bad("--saveType", a.save_type, "gearc writes its own model file (.gearc); MINDIR is the only value accepted", "Use --saveType=MINDIR or leave it out.");
}

[[nodiscard]] inline std::string output_path(const std::string& output) {
    if (output.size() >= gearc::model_file_extension.size() &&
        output.compare(output.size() - gearc::model_file_extension.size(), std::string::npos, gearc::model_file_extension) == 0)
        return output;
    return output + std::string(gearc::model_file_extension);
}

}  // namespace detail_compile

/// Runs `gearc compile`. Returns the exit status; gearc errors propagate (main prints them the ATC way).
inline int run_compile(compile_args& a, const std::vector<std::string>& extras) {
    using namespace detail_compile;
    reject_extras(extras);
    console con(parse_log_level(a.log));
    if (a.model.empty()) throw bad("--model", "", "the ONNX model to compile is required", "Give it as --model=FILE.onnx.");
    if (a.output.empty())
        throw bad("--output", "", "the output file is required", "Give its path and name without extension, e.g. --output=out/resnet.");
    if (!a.config.empty()) merge_config(a);
    const std::string out_path = output_path(a.output);
    if (std::filesystem::is_directory(a.output) || a.output.back() == '/' || std::filesystem::is_directory(out_path))
        throw bad("--output", a.output, "it names a directory; --output is the path and name of the model file, without extension",
                  "Give a path and file name, e.g. --output=out/model (writes out/model.gearc).");
    explain_recorded(a, con);
    // ATC's order: the options first (their codes), then the model.
    const auto request = gearc::validate(a.opts);
    const std::string context = a.opts.origin.empty() ? std::string() : " (from " + a.opts.origin + ")";
    gearc::compile_options copts;
    copts.threads = a.threads;
    if (!a.opts.fusion_switch_file.empty()) copts.disabled_fusions = gearc::passes::load_fusion_switches(a.opts.fusion_switch_file);

    con.info("loading " + a.model);
    auto model = gearc::onnx::load(a.model);
    check_output_type(*model, a.opts.output_type);
    const auto inputs = gearc::model_inputs(*model);
    const auto gears = gearc::detail::opts::with_context(
        context, [&] { return gearc::make_gear_set(std::span<const gearc::model_input>(inputs), request); });
    con.info(gears.to_string());
    copts.progress = con.progress("compiling " + std::to_string(gears.size()) + (gears.size() == 1 ? " gear" : " gears"));
    // every gear is checked against the CPU's kernels (GC4006 lists what is missing), except a range gear, which
    // the sessions cannot run yet: it is compiled (bounded memory) and saved, and gearc run says GC4004 for it
    const bool range = gears.kind() == gearc::gear_kind::range;
    auto compiled = range ? gearc::compile(*model, gears, copts) : gearc::compile(*model, gears, copts, gearc::device::cpu{});
    if (range)
        con.warning("the range gear is compiled with memory for its upper bounds, but gearc run cannot run bounded-dynamic gears yet "
                    "(GC4004); give the gears as --dynamic_batch_size, --dynamic_image_size or --dynamic_dims to run them");

    gearc::model_file_metadata meta;
    std::string cmd;
    for (const auto& w : a.command) cmd += (cmd.empty() ? "" : " ") + w;
    meta["command"] = cmd;
    meta["source_model"] = a.model;
    if (!a.config.empty()) meta["config"] = a.config;
    const std::array<std::pair<const char*, const std::string*>, 12> recorded{{
        {"input_shape", &a.opts.input_shape},
        {"input_format", &a.opts.input_format},
        {"dynamic_batch_size", &a.opts.dynamic_batch_size},
        {"dynamic_image_size", &a.opts.dynamic_image_size},
        {"dynamic_dims", &a.opts.dynamic_dims},
        {"soc_version", &a.opts.soc_version},
        {"precision_mode", &a.opts.precision_mode},
        {"op_select_implmode", &a.opts.op_select_impl_mode},
        {"output_type", &a.opts.output_type},
        {"fusion_switch_file", &a.opts.fusion_switch_file},
        {"optimize", &a.optimize},
        {"framework", &a.framework},
    }};
    for (const auto& [k, v] : recorded)
        if (!v->empty()) meta[k] = *v;
    if (!copts.disabled_fusions.empty()) {
        std::string off;
        for (const auto& f : copts.disabled_fusions) off += (off.empty() ? "" : ",") + f;
        meta["disabled_fusions"] = off;
    }
    const std::filesystem::path out(out_path);
    if (out.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(out.parent_path(), ec);
        if (ec)
            throw gearc::error(gearc::errc::model_file_io, "cannot create the directory [" + out.parent_path().string() + "]: " + ec.message(),
                               "Check that --output names a writable place.");
    }
    gearc::save_model(compiled, out, meta);

    std::printf("%s: %zu %s compiled in %.0f ms\n", a.model.c_str(), compiled.size(), compiled.size() == 1 ? "gear" : "gears",
                compiled.total_ms());
    std::printf("%-5s %-40s %7s %12s\n", "gear", "inputs", "nodes", "arena");
    for (const auto& p : compiled.plans()) {
        std::string ins;
        for (const auto& [name, s] : p.info.shapes) ins += (ins.empty() ? "" : ";") + name + ":" + s.to_string();
        std::printf("%-5zu %-40s %7zu %12s\n", p.info.index, ins.c_str(), p.graph->num_nodes(),
                    bytes_text(static_cast<double>(p.memory.arena_bytes)).c_str());
    }
    std::printf("weights (held once): %s\nwrote %s (%s)\n", bytes_text(static_cast<double>(compiled.weight_bytes())).c_str(), out_path.c_str(),
                bytes_text(static_cast<double>(std::filesystem::file_size(out))).c_str());
    return 0;
}

}  // namespace gearc_tool
