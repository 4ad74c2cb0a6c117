// Fusion switch files: the known fusion names, both file forms, every error, and switching passes off.
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include "test_support.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

using namespace gearc;
using gearc::passes::parse_fusion_switches;

namespace {

using name_set = std::set<std::string, std::less<>>;

const std::string known =
    "ConvBatchNormFusion, MatMulAddFusion, LayerNormFusion, GeluFusion, TransposeCancellation, ConvBiasActivationFusion, "
    "GemmActivationFusion, MatMulBiasActivationFusion";

/// "CODE: message" of the compile_error that parsing `text` throws (every one says how to fix it).
std::string error_of(std::string_view text, std::string_view origin = "switch.cfg") {
    try {
        (void)parse_fusion_switches(text, origin);
    } catch (const compile_error& e) {
        CHECK_FALSE(e.solution().empty());
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("fusion switch: the known fusions are the passes' switch names") {
    std::vector<std::string_view> names(passes::known_fusions().begin(), passes::known_fusions().end());
    CHECK(names.size() == 8);
    for (auto n : {passes::fuse_conv_bn::fusion, passes::fuse_matmul_add::fusion, passes::fuse_layer_norm::fusion,
                   passes::fuse_gelu::fusion, passes::cancel_transposes::fusion, passes::fuse_bias_activation::conv_fusion,
                   passes::fuse_bias_activation::gemm_fusion, passes::fuse_bias_activation::matmul_fusion})
        CHECK(std::find(names.begin(), names.end(), n) != names.end());
}

TEST_CASE("fusion switch: the line form") {
    CHECK(parse_fusion_switches("", "f").empty());
    CHECK(parse_fusion_switches("# only a comment\n\n   \n", "f").empty());
    CHECK(parse_fusion_switches("GeluFusion:off\n"
                                "# a comment line\n"
                                "\n"
                                "  LayerNormFusion : OFF   # trailing comment\r\n"
                                "ConvBatchNormFusion:on",
                                "f") == name_set{"GeluFusion", "LayerNormFusion"});
    CHECK(parse_fusion_switches("GeluFusion:off\nGeluFusion:on\n", "f").empty());  // the later line wins
    auto all_but_one = parse_fusion_switches("ALL:off\nTransposeCancellation:on\n", "f");
    CHECK(all_but_one.size() == 7);
    CHECK_FALSE(all_but_one.count("TransposeCancellation"));
    CHECK(parse_fusion_switches("GeluFusion:off\nALL:on\n", "f").empty());
}

TEST_CASE("fusion switch: the line form's errors name the file, the line and the value") {
    CHECK(error_of("GeluFusion:off\nGeluFusoin:off\n") ==
          "GC4003: fusion switch file [switch.cfg] line 2: unknown fusion [GeluFusoin] (did you mean [GeluFusion]?); known fusions: " +
              known);
    CHECK(error_of("# header\nconvbatchnormfusion:off") ==
          "GC4003: fusion switch file [switch.cfg] line 2: unknown fusion [convbatchnormfusion] (did you mean "
          "[ConvBatchNormFusion]?); known fusions: " +
              known);
    CHECK(error_of("SoftmaxFusionPass:off") ==
          "GC4003: fusion switch file [switch.cfg] line 1: unknown fusion [SoftmaxFusionPass]; known fusions: " + known);
    CHECK(error_of("\n\nGeluFusion:of") == "GC4003: fusion switch file [switch.cfg] line 3: invalid switch value [of] for fusion [GeluFusion]");
    CHECK(error_of("GeluFusion:") == "GC4003: fusion switch file [switch.cfg] line 1: invalid switch value [] for fusion [GeluFusion]");
    CHECK(error_of("GeluFusion off") ==
          "GC4003: fusion switch file [switch.cfg] line 1: [GeluFusion off] is not of the form Name:on or Name:off");
    CHECK(error_of(" :off") == "GC4003: fusion switch file [switch.cfg] line 1: [:off] has no fusion name before ':'");
}

TEST_CASE("fusion switch: ATC's JSON form, ALL first and then the names") {
    auto off = parse_fusion_switches(R"({"Switch":{"GraphFusion":{"GeluFusion":"on","ALL":"off"},
                                           "UBFusion":{"ConvBiasActivationFusion":"off"}}})",
                                     "fusion.json");
    CHECK(off == name_set{"ConvBatchNormFusion", "MatMulAddFusion", "LayerNormFusion", "TransposeCancellation",
                          "ConvBiasActivationFusion"});
    // UBFusion's ALL covers the kernel fusions only
    CHECK(parse_fusion_switches(R"({"Switch":{"UBFusion":{"ALL":"off"}}})", "f") ==
          name_set{"ConvBiasActivationFusion", "GemmActivationFusion", "MatMulBiasActivationFusion"});
    // a name given in the other section still counts; the names override either ALL
    CHECK(parse_fusion_switches(R"({"Switch":{"GraphFusion":{"ALL":"on","GemmActivationFusion":"on"},"UBFusion":{"ALL":"off"}}})", "f") ==
          name_set{"ConvBiasActivationFusion", "MatMulBiasActivationFusion"});
    CHECK(parse_fusion_switches("\xEF\xBB\xBF  \n{\"Switch\":{}}", "f").empty());  // BOM and leading space
    CHECK(parse_fusion_switches(R"({"Switch":{"GraphFusion":{"GeluFusion":"OFF"}}})", "f") == name_set{"GeluFusion"});
}

TEST_CASE("fusion switch: the JSON form's errors") {
    const std::string fix_prefix = "GC4003: fusion switch file [fusion.json]";
    auto err = [](std::string_view text) { return error_of(text, "fusion.json"); };
    auto bad_json = err("{\"Switch\": {\"GraphFusion\": {\"GeluFusion\": \"off\",}}}");
    CHECK(bad_json.rfind(fix_prefix + ": is not valid JSON: [json.exception.parse_error.101] parse error at line 1, column", 0) == 0);
    CHECK(err("{}") == fix_prefix + ": the top level must be an object holding only a \"Switch\" object");
    CHECK(err(R"({"switch":{}})") ==
          fix_prefix + ": the top level must be an object holding only a \"Switch\" object; unexpected key [switch] (did you mean [Switch]?)");
    CHECK(err(R"({"Switch":[]})") == fix_prefix + ": the top level must be an object holding only a \"Switch\" object");
    CHECK(err(R"({"Switch":{"GraphFusions":{}}})") ==
          fix_prefix + ": unknown section [Switch.GraphFusions] (did you mean [GraphFusion]?); expected GraphFusion or UBFusion");
    CHECK(err(R"({"Switch":{"GraphFusion":"off"}})") ==
          fix_prefix + ": [Switch.GraphFusion] must be an object of \"Name\": \"on\"/\"off\"");
    CHECK(err(R"({"Switch":{"GraphFusion":{"LayerNormFuson":"off"}}})") ==
          fix_prefix + " at [Switch.GraphFusion.LayerNormFuson]: unknown fusion [LayerNormFuson] (did you mean [LayerNormFusion]?); known fusions: " +
              known);
    CHECK(err(R"({"Switch":{"UBFusion":{"GeluFusion":0}}})") == fix_prefix + " at [Switch.UBFusion.GeluFusion]: invalid switch value [0]");
    CHECK(err(R"({"Switch":{"UBFusion":{"ALL":"disable"}}})") == fix_prefix + " at [Switch.UBFusion.ALL]: invalid switch value [disable]");
}

TEST_CASE("fusion switch: the line form rejects a JSON array as a bad line") {
    CHECK(error_of("[1, 2]") == "GC4003: fusion switch file [switch.cfg] line 1: [[1, 2]] is not of the form Name:on or Name:off");
}

TEST_CASE("fusion switch: files, a missing file, and switching passes off through the context") {
    gearc_test::temp_dir dir("fusion-switch");
    {
        std::ofstream(dir.file("switch.cfg")) << "GeluFusion:off\nTransposeCancellation:off\n";
    }
    auto off = passes::load_fusion_switches(dir.file("switch.cfg"));
    CHECK(off == name_set{"GeluFusion", "TransposeCancellation"});

    try {
        (void)passes::load_fusion_switches(dir.file("missing.cfg"));
        FAIL("no error");
    } catch (const compile_error& e) {
        CHECK(e.code() == "GC1001");
        CHECK(std::string(e.what()).find("cannot open fusion switch file [" + dir.file("missing.cfg") + "]") != std::string::npos);
    }
    {
        std::ofstream(dir.file("bad.cfg")) << "GeluFusion:maybe\n";
    }
    try {
        (void)passes::load_fusion_switches(dir.file("bad.cfg"));
        FAIL("no error");
    } catch (const compile_error& e) {
        CHECK(e.code() == "GC4003");
        CHECK(std::string(e.what()).find("[" + dir.file("bad.cfg") + "] line 1") != std::string::npos);
    }

    pass_context ctx;
    ctx.disabled_fusions.insert("LayerNormFusion");
    passes::apply_fusion_switches(ctx, off);
    CHECK_FALSE(ctx.fusion_enabled("GeluFusion"));
    CHECK_FALSE(ctx.fusion_enabled("TransposeCancellation"));
    CHECK_FALSE(ctx.fusion_enabled("LayerNormFusion"));  // already off: stays off
    CHECK(ctx.fusion_enabled("ConvBatchNormFusion"));

    // a switched-off pass leaves the graph alone; another one still runs
    graph g("t");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32, shape{2, 3}));
    auto* t1 = g.add_node("Transpose", {x}, 1, {{"perm", std::vector<std::int64_t>{1, 0}}})->output(0);
    g.add_output(g.add_node("Relu", {g.add_node("Transpose", {t1}, 1, {{"perm", std::vector<std::int64_t>{1, 0}}})->output(0)}, 1)->output(0));
    CHECK_FALSE(passes::cancel_transposes{}.run(g, ctx));
    CHECK(g.num_nodes() == 3);
    pass_context on;
    CHECK(passes::cancel_transposes{}.run(g, on));
    CHECK(g.num_nodes() == 1);
}
