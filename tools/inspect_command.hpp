// gearc inspect (what a .gearc file holds) and gearc export (one gear's graph as ONNX or Graphviz DOT).
#pragma once

#include "cli_support.hpp"

#include <gearc/frontend/onnx.hpp>
#include <gearc/gearc.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <string>

namespace gearc_tool {

struct inspect_args {
    std::string model;
    bool json = false;
};

struct export_args {
    std::string model, gear, format, output;
};

inline CLI::App* add_inspect_command(CLI::App& app, inspect_args& a) {
    auto* s = app.add_subcommand("inspect", "Show what a .gearc model file holds: inputs, outputs, gears, arenas, nodes, FLOPs, options");
    s->footer(R"(Examples:
  gearc inspect out/resnet.gearc
  gearc inspect out/resnet.gearc --json > resnet.json

Prints the file (format version, gearc version, size, weights), the model's inputs and outputs with their symbolic
shapes, the gear table (each gear's input shapes), and per gear its arena size, its number of nodes by operator
and its estimated FLOPs; then the options it was compiled with. --json prints the same as one JSON object.
The checksum is checked on load: a damaged file is refused (GC7001 not a model file, GC7002 newer version,
GC7003 truncated or corrupted).)");
    s->add_option("model,--model", a.model, "the model file written by gearc compile")->required();
    s->add_flag("--json", a.json, "print JSON instead of text");
    return s;
}

inline CLI::App* add_export_command(CLI::App& app, export_args& a) {
    auto* s = app.add_subcommand("export", "Write one gear's specialised graph as ONNX (opens in Netron) or Graphviz DOT");
    s->footer(R"(Examples:
  gearc export out/resnet.gearc --gear=1 --format=onnx --output=resnet_gear1.onnx
  gearc export out/resnet.gearc --gear=0 --format=dot --output=resnet_gear0.dot && dot -Tsvg resnet_gear0.dot -o g0.svg
  gearc export out/resnet.gearc --gear=generic --format=onnx --output=generic.onnx     (before specialisation)

The gear's graph has every shape static and gearc's fusions applied (fused operators are in the domain ai.gearc,
declared in the model's opset imports). --format defaults to the --output extension (.onnx or .dot). The file is
written whole or not at all.)");
    s->add_option("model,--model", a.model, "the model file written by gearc compile")->required();
    s->add_option("--gear", a.gear, "the gear's index (see gearc inspect), or 'generic' for the graph before specialisation; "
                                    "default 0 when the model has one gear");
    s->add_option("--format", a.format, "onnx or dot (default: from the --output extension)");
    s->add_option("--output", a.output, "the file to write (required)");
    return s;
}

namespace detail_inspect {

[[nodiscard]] inline std::string op_key(const gearc::node& n) {
    return (n.domain().empty() || n.domain() == "ai.onnx" ? std::string() : std::string(n.domain()) + "::") + std::string(n.op_type());
}

/// Everything inspect shows, as JSON (the text form is printed from it).
[[nodiscard]] inline nlohmann::json describe(const std::string& path, const gearc::loaded_model& m) {
    const auto& cm = *m.model;
    const auto& gen = cm.generic_graph();
    nlohmann::json j;
    j["file"] = {{"path", path},
                 {"format_version", m.file.format_version},
                 {"written_by", m.file.written_by},
                 {"bytes", m.file.file_bytes},
                 {"weight_bytes", m.file.weight_bytes},
                 {"mapped", m.file.mapped}};
    j["model"] = {{"name", gen.name()}, {"nodes", gen.num_nodes()}};
    for (const auto* v : gen.inputs())
        if (!v->is_initializer()) j["inputs"].push_back({{"name", v->name()}, {"type", v->type().to_string()}});
    for (const auto* v : gen.outputs()) j["outputs"].push_back({{"name", v->name()}, {"type", v->type().to_string()}});
    const auto& gs = cm.gears();
    j["gear_kind"] = std::string(gearc::to_string(gs.kind()));
    j["input_format"] = std::string(gearc::to_string(gs.input_format()));
    for (const auto& p : cm.plans()) {
        nlohmann::json g;
        g["index"] = p.info.index;
        g["profile"] = p.info.profile;
        for (const auto& [n, s] : p.info.shapes) g["inputs"][n] = s.to_string();
        for (const auto* v : p.graph->outputs()) g["outputs"][std::string(v->name())] = v->type().to_string();
        g["arena_bytes"] = p.memory.arena_bytes;
        g["unplanned_bytes"] = p.memory.naive_bytes;
        g["nodes"] = p.graph->num_nodes();
        std::map<std::string, std::size_t> by_op;
        for (const auto& n : p.graph->nodes()) ++by_op[op_key(n)];
        g["nodes_by_op"] = by_op;
        try {
            const auto f = gearc::passes::estimate_flops(*p.graph);
            g["flops"] = f.total;
            if (!f.unknown_ops.empty()) g["flops_unknown_ops"] = f.unknown_ops;
        } catch (const gearc::error& e) {
            g["flops"] = nullptr;
            g["flops_error"] = e.what();
        }
        g["bounded_dynamic"] = p.bounded_dynamic;
        g["compile_ms"] = p.compile_ms;
        j["gears"].push_back(std::move(g));
    }
    j["options"] = nlohmann::json::object();
    for (const auto& [k, v] : m.metadata) j["options"][k] = v;
    return j;
}

[[nodiscard]] inline std::string flops_text(double f) {
    const char* unit[] = {"", "K", "M", "G", "T", "P"};
    int u = 0;
    while (f >= 1000 && u < 5) f /= 1000, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.2f %sFLOP" : "%.0f %sFLOP", f, unit[u]);
    return buf;
}

}  // namespace detail_inspect

inline int run_inspect(const inspect_args& a) {
    using namespace detail_inspect;
    const auto m = gearc::load_model(a.model);
    const auto j = describe(a.model, m);
    if (a.json) {
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    const auto& f = j["file"];
    std::printf("file     %s: gearc model file format %u, written by gearc %s, %s (weights %s)\n", a.model.c_str(),
                f["format_version"].get<unsigned>(), f["written_by"].get<std::string>().c_str(),
                bytes_text(f["bytes"].get<double>()).c_str(), bytes_text(f["weight_bytes"].get<double>()).c_str());
    std::printf("model    %s (%zu nodes before specialisation)\n", j["model"]["name"].get<std::string>().c_str(),
                j["model"]["nodes"].get<std::size_t>());
    for (const auto& v : j["inputs"]) std::printf("input    %s : %s\n", v["name"].get<std::string>().c_str(), v["type"].get<std::string>().c_str());
    for (const auto& v : j["outputs"]) std::printf("output   %s : %s\n", v["name"].get<std::string>().c_str(), v["type"].get<std::string>().c_str());
    std::printf("\n%zu %s (%s, input_format %s)\n", j["gears"].size(), j["gears"].size() == 1 ? "gear" : "gears",
                j["gear_kind"].get<std::string>().c_str(), j["input_format"].get<std::string>().c_str());
    std::printf("%-5s %-12s %-40s %12s %7s %14s\n", "gear", "profile", "inputs", "arena", "nodes", "FLOPs");
    for (const auto& g : j["gears"]) {
        std::string profile, ins;
        for (const auto& v : g["profile"]) profile += (profile.empty() ? "" : ",") + std::to_string(v.get<std::int64_t>());
        for (const auto& [n, s] : g["inputs"].items()) ins += (ins.empty() ? "" : ";") + n + ":" + s.get<std::string>();
        std::printf("%-5zu %-12s %-40s %12s %7zu %14s\n", g["index"].get<std::size_t>(), profile.empty() ? "-" : profile.c_str(), ins.c_str(),
                    bytes_text(g["arena_bytes"].get<double>()).c_str(), g["nodes"].get<std::size_t>(),
                    g["flops"].is_null() ? "?" : flops_text(g["flops"].get<double>()).c_str());
    }
    for (const auto& g : j["gears"]) {
        std::string ops;
        for (const auto& [op, n] : g["nodes_by_op"].items()) ops += (ops.empty() ? "" : ", ") + op + " " + std::to_string(n.get<std::size_t>());
        std::printf("\ngear %zu nodes: %s", g["index"].get<std::size_t>(), ops.c_str());
        if (g.contains("flops_unknown_ops")) std::printf("\n  (counted as 0 FLOPs, no formula: %s)", g["flops_unknown_ops"].dump().c_str());
    }
    std::printf("\n\ncompile options\n");
    if (j["options"].empty()) std::printf("  (none recorded)\n");
    for (const auto& [k, v] : j["options"].items()) std::printf("  %-20s %s\n", k.c_str(), v.get<std::string>().c_str());
    return 0;
}

inline int run_export(const export_args& a) {
    using namespace detail_inspect;
    if (a.output.empty()) throw bad("--output", "", "the file to write is required", "Give it as --output=FILE.onnx or FILE.dot.");
    std::string format = a.format;
    if (format.empty()) {
        const auto ext = std::filesystem::path(a.output).extension().string();
        if (ext == ".onnx") format = "onnx";
        else if (ext == ".dot" || ext == ".gv") format = "dot";
        else
            throw bad("--format", "", "it is not given and the --output extension [" + ext + "] does not say it", "Give --format=onnx or --format=dot.");
    }
    if (format != "onnx" && format != "dot") throw bad("--format", format, "it must be onnx or dot");
    const auto m = gearc::load_model(a.model);
    const auto& cm = *m.model;
    const gearc::graph* g = nullptr;
    std::string label;
    if (a.gear == "generic") {
        g = &cm.generic_graph();
        label = "generic";
    } else {
        std::size_t k = 0;
        if (a.gear.empty()) {
            if (cm.size() != 1)
                throw bad("--gear", "", "the model has " + std::to_string(cm.size()) + " gears; say which one to export",
                          "Give --gear=K with K from 0 to " + std::to_string(cm.size() - 1) + " (gearc inspect lists them).");
        } else {
            auto p = gearc::detail::opts::parse_int(a.gear);
            if (p.status != gearc::detail::opts::int_status::ok || p.value < 0 || static_cast<std::size_t>(p.value) >= cm.size())
                throw bad("--gear", a.gear, "the model has gears 0 to " + std::to_string(cm.size() - 1),
                          "Give a gear index (gearc inspect lists them) or 'generic'.");
            k = static_cast<std::size_t>(p.value);
        }
        g = cm.plan(k).graph.get();
        label = "gear" + std::to_string(k);
    }
    if (const auto parent = std::filesystem::path(a.output).parent_path(); format == "onnx" && !parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec)
            throw gearc::error(gearc::errc::file_io, "cannot create the directory [" + parent.string() + "]: " + ec.message(),
                               "Check that --output names a writable place.");
    }
    if (format == "onnx") {
        auto copy = g->clone();
        copy->set_name(std::string(g->name()) + "_" + label);
        gearc::onnx::save(*copy, a.output);
    } else {
        output_files out;
        out.add(a.output, gearc::to_dot(*g));
        out.commit();
    }
    std::printf("wrote %s (%s of %s, %zu nodes, %s)\n", a.output.c_str(), label.c_str(), a.model.c_str(), g->num_nodes(), format.c_str());
    return 0;
}

}  // namespace gearc_tool
