// Per-gear specialisation of real architectures exported from PyTorch: every gear static, no shape arithmetic left.
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)
#include <gearc/frontend/onnx.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path models_dir() { return fs::path(GEARC_TEST_DATA) / "real-models"; }

nlohmann::json manifest() {
    std::ifstream in(models_dir() / "models.json");
    REQUIRE_MESSAGE(in.good(), "generate the models first: ctest -R generate_real_models");
    return nlohmann::json::parse(in);
}

gearc::gear_options options_from(const nlohmann::json& j) {
    gearc::gear_options o;
    o.input_shape = j.value("input_shape", "");
    o.dynamic_batch_size = j.value("dynamic_batch_size", "");
    o.dynamic_image_size = j.value("dynamic_image_size", "");
    o.dynamic_dims = j.value("dynamic_dims", "");
    return o;
}

std::size_t count_ops(const gearc::graph& g, std::initializer_list<std::string_view> ops) {
    std::size_t c = 0;
    for (const auto& n : g.nodes())
        for (auto op : ops) c += n.op_type() == op;
    return c;
}

std::size_t node_count(const gearc::graph& g) {
    std::size_t c = 0;
    for ([[maybe_unused]] const auto& n : g.nodes()) ++c;
    return c;
}

std::size_t initializer_bytes(const gearc::graph& g) {
    std::size_t b = 0;
    for (const auto* v : g.initializers()) b += v->initializer()->nbytes();
    return b;
}

/// Everything a static gear graph must satisfy, checked independently of compile()'s own check.
void check_static_gear(const gearc::graph& original, const gearc::gear_plan& p) {
    const auto& g = *p.graph;
    CHECK(gearc::verify(g).empty());
    // Shape and Size never remain. A node computing only from constants is shape arithmetic that should
    // have folded, unless its result is data larger than compile_options::gear_max_fold_bytes (then it stays
    // a static computation so that gears do not each hold a copy: LSTM zero states, embedding lookups).
    CHECK(count_ops(g, {"Shape", "Size"}) == 0);
    const std::size_t fold_limit = gearc::compile_options{}.gear_max_fold_bytes;
    for (const auto& n : g.nodes()) {
        bool all_const = n.num_inputs() > 0;
        for (auto* in : n.inputs())
            if (in && !in->name().empty() && !in->is_initializer()) all_const = false;
        std::size_t out_bytes = 0;
        for (auto* o : n.outputs()) {
            if (!o || o->name().empty()) continue;
            REQUIRE_MESSAGE(o->type().has_shape(), o->name() << " has no shape");
            CHECK_MESSAGE(o->type().dims->is_static(), o->name() << " is " << o->type().to_string());
            if (auto ne = o->type().dims->numel()) out_bytes += static_cast<std::size_t>(*ne) * gearc::size_of(o->type().elem);
        }
        CHECK_MESSAGE(!(all_const && out_bytes <= fold_limit), n.describe() << " only computes from constants (" << out_bytes
                                                                            << " bytes)");
    }
    for (const auto* in : g.inputs()) {
        const auto* s = p.info.find(in->name());
        REQUIRE(s);
        CHECK(*in->type().dims == *s);
    }
    // the model's declared output dims, bound by the gear's symbols, agree with what compile inferred
    REQUIRE(g.outputs().size() == original.outputs().size());
    for (std::size_t i = 0; i < g.outputs().size(); ++i) {
        const auto& declared = original.outputs()[i]->type();
        const auto& got = *g.outputs()[i]->type().dims;
        if (!declared.has_shape()) continue;
        auto bound = gearc::bind_shape(*declared.dims, p.info.bindings);
        REQUIRE(bound.rank() == got.rank());
        for (std::size_t d = 0; d < got.rank(); ++d)
            if (bound[d].is_static()) CHECK_MESSAGE(bound[d] == got[d], "output " << i << " dim " << d);
    }
    CHECK(gearc::passes::check_plan(g, p.memory).empty());
    CHECK(p.memory.arena_bytes <= p.memory.naive_bytes);
}

}  // namespace

TEST_CASE("real models: every gear of every suggested gear set is fully static and memory-planned") {
    const auto m = manifest();
    REQUIRE(m["models"].size() >= 5);
    std::ostringstream report;
    report << "model                 gear set            gears  nodes  shape-ops  static nodes (gear 0)  arena/naive (last gear)  ms\n";
    for (const auto& entry : m["models"]) {
        const std::string name = entry["name"];
        INFO("model " << name);
        auto g = gearc::onnx::load((models_dir() / entry["file"].get<std::string>()).string());
        const auto shape_ops = count_ops(*g, {"Shape", "Size", "ConstantOfShape", "Range"});
        for (const auto& opts : entry["gear_options"]) {
            INFO("options " << opts.dump());
            auto gears = gearc::make_gear_set(*g, options_from(opts));
            auto cm = gearc::compile(*g, gears);
            REQUIRE(cm.size() == gears.size());
            for (const auto& p : cm.plans()) {
                INFO("gear " << p.info.index);
                check_static_gear(*g, p);
            }
            // weights held once: all gears together hold at most the model's weights plus small shape constants
            CHECK(cm.weight_bytes() <= initializer_bytes(*g) + 4096 * gears.size());
            const auto& last = cm.plans().back();
            char line[256];
            std::snprintf(line, sizeof line, "%-21s %-19s %5zu %6zu %10zu %22zu %24.3f %5.0f\n", name.c_str(),
                          opts.contains("dynamic_batch_size") ? "dynamic_batch_size"
                          : opts.contains("dynamic_image_size") ? "dynamic_image_size"
                                                                 : "dynamic_dims",
                          gears.size(), node_count(*g), shape_ops, node_count(*cm.plan(0).graph),
                          static_cast<double>(last.memory.arena_bytes) / static_cast<double>(last.memory.naive_bytes),
                          cm.total_ms());
            report << line;
        }
    }
    MESSAGE(report.str());
}

TEST_CASE("real models with shape subgraphs really have them, and specialisation removes them") {
    const auto m = manifest();
    std::size_t with_shape_ops = 0;
    for (const auto& entry : m["models"]) {
        auto g = gearc::onnx::load((models_dir() / entry["file"].get<std::string>()).string());
        if (count_ops(*g, {"Shape"}) == 0) continue;
        ++with_shape_ops;
        auto cm = gearc::compile(*g, gearc::make_gear_set(*g, options_from(entry["gear_options"][0])));
        for (const auto& p : cm.plans()) CHECK(count_ops(*p.graph, {"Shape", "Gather", "Concat"}) <= count_ops(*g, {"Gather", "Concat"}));
        for (const auto& p : cm.plans()) CHECK(count_ops(*p.graph, {"Shape"}) == 0);
    }
    CHECK(with_shape_ops >= 2);  // the ShuffleNet and the Transformer export Shape-driven reshapes
}

TEST_CASE("real models: a range gear compiles a bounded-dynamic plan") {
    const auto m = manifest();
    for (const auto& entry : m["models"]) {
        const std::string name = entry["name"];
        INFO("model " << name);
        auto g = gearc::onnx::load((models_dir() / entry["file"].get<std::string>()).string());
        auto opts = options_from(entry["gear_options"][0]);
        if (opts.dynamic_batch_size.empty()) continue;
        // the batch axis as a range 1~8 instead of a list of gears
        auto pos = opts.input_shape.find("-1");
        REQUIRE(pos != std::string::npos);
        opts.input_shape.replace(pos, 2, "1~8");
        opts.dynamic_batch_size.clear();
        auto gears = gearc::make_gear_set(*g, opts);
        REQUIRE(gears.is_bounded_dynamic());
        auto cm = gearc::compile(*g, gears);
        const auto& p = cm.plan(0);
        CHECK(p.bounded_dynamic);
        CHECK(gearc::verify(*p.graph).empty());
        if (!p.dynamic_memory) CHECK(gearc::passes::check_plan(*p.graph, p.memory).empty());
        MESSAGE(name << ": range gear, " << (p.dynamic_memory ? "memory allocated at run time" : "arena " + std::to_string(p.memory.arena_bytes) + " bytes"));
    }
}
