// Tests of MindSpore Lite config files: INI syntax, [ascend_context] keys and limits, and the gears they produce.
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>

#include "test_support.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace gearc;
using namespace gearc_test;

namespace {

gear_options options(const std::string& text) {
    return to_gear_options(config_file::parse(text, "cfg.ini"));
}

using strings = std::vector<std::string>;

}  // namespace

// ---- the seed: MindSpore Lite's documented examples ----------------------------------------------

TEST_CASE("seed 000: dynamic batch size, input:[-1,64,64,3] with [1],[2]") {
    auto o = options("[ascend_context]\ninput_shape=input:[-1,64,64,3]\ndynamic_dims=[1],[2]\n");
    CHECK(o.input_shape == "input:-1,64,64,3");
    CHECK(o.dynamic_batch_size == "1,2");
    CHECK(o.origin == "config file [cfg.ini]");
    auto g = model({{"input", shape{dim::symbol("N"), 64, 64, 3}}});
    auto gs = make_gear_set(*g, o);
    CHECK(gs.kind() == gear_kind::dynamic_batch_size);
    CHECK(shapes_of(gs, "input") == strings{"[1,64,64,3]", "[2,64,64,3]"});  // profile 0 and profile 1
}

TEST_CASE("seed 000: two inputs, [1],[2];[1],[2]") {
    auto o = options("[ascend_context]\ninput_shape=input1:[-1,64,64,3];input2:[-1,256,256,3]\ndynamic_dims=[1],[2];[1],[2]\n");
    CHECK(o.dynamic_batch_size == "1,2");
    auto g = model({{"input1", shape{dim(), 64, 64, 3}}, {"input2", shape{dim(), 256, 256, 3}}});
    auto gs = make_gear_set(*g, o);
    CHECK(shapes_of(gs, "input1") == strings{"[1,64,64,3]", "[2,64,64,3]"});
    CHECK(shapes_of(gs, "input2") == strings{"[1,256,256,3]", "[2,256,256,3]"});
}

TEST_CASE("seed 000: dynamic resolution, NHWC input:[1,-1,-1,3] with [64,64],[19200,960]") {
    auto o = options("[ascend_context]\ninput_format=NHWC\ninput_shape=input:[1,-1,-1,3]\ndynamic_dims=[64,64],[19200,960]\n");
    CHECK(o.input_format == "NHWC");
    CHECK(o.dynamic_image_size == "64,64;19200,960");
    auto g = model({{"input", shape{1, dim::symbol("H"), dim::symbol("W"), 3}}});
    auto gs = make_gear_set(*g, o);
    CHECK(gs.kind() == gear_kind::dynamic_image_size);
    CHECK(gs.input_format() == tensor_format::nhwc);
    CHECK(shapes_of(gs, "input") == strings{"[1,64,64,3]", "[1,19200,960,3]"});
}

TEST_CASE("seed 000: aoe_mode and the other [ascend_context] keys") {
    auto o = options(
        "[ascend_context]\n"
        "aoe_mode=\"subgraph tuning, operator tuning\"\n"
        "precision_mode=enforce_fp16\n"
        "op_select_impl_mode=high_precision\n"
        "output_type=FP16\n"
        "fusion_switch_config_file_path=/opt/fusion_switch.cfg\n"
        "insert_op_config_file_path=./aipp.cfg\n");
    CHECK(o.aoe_mode == "subgraph tuning, operator tuning");
    CHECK(o.precision_mode == "force_fp16");  // MindSpore Lite's name, stored as ATC's
    CHECK(o.op_select_impl_mode == "high_precision");
    CHECK(o.output_type == "FP16");
    CHECK(o.fusion_switch_file == "/opt/fusion_switch.cfg");
    CHECK(o.insert_op_conf == "./aipp.cfg");
    auto g = model({{"x", shape{1, 3}}});
    CHECK(make_gear_set(*g, o).kind() == gear_kind::static_shape);
    CHECK(options("[ascend_context]\naoe_mode=subgraph tuning\n").aoe_mode == "subgraph tuning");
    CHECK(options("[ascend_context]\naoe_mode=operator tuning\n").aoe_mode == "operator tuning");
}

TEST_CASE("precision_mode: MindSpore Lite's names map to ATC's; ATC's are kept; others are E10001") {
    const std::vector<std::pair<std::string, std::string>> map{{"enforce_fp32", "force_fp32"},
                                                               {"preferred_fp32", "allow_fp32_to_fp16"},
                                                               {"enforce_fp16", "force_fp16"},
                                                               {"enforce_origin", "must_keep_origin_dtype"},
                                                               {"preferred_optimal", "allow_mix_precision"},
                                                               {"allow_mix_precision", "allow_mix_precision"}};
    for (const auto& [in, out] : map) CHECK(options("[ascend_context]\nprecision_mode=" + in + "\n").precision_mode == out);
    CHECK(error_of([] { (void)options("[ascend_context]\n\nprecision_mode=enforce_fp61\n"); }) ==
          "E10001: Value [enforce_fp61] for parameter [precision_mode] is invalid. Reason: it must be one of: enforce_fp32, "
          "preferred_fp32, enforce_fp16, enforce_origin, preferred_optimal, force_fp32, force_fp16, allow_fp32_to_fp16, "
          "must_keep_origin_dtype, allow_mix_precision (did you mean [enforce_fp16]?) (config file [cfg.ini], line 3)");
}

// ---- INI syntax -------------------------------------------------------------------------------------

TEST_CASE("INI: comments, whitespace, quotes, CRLF, BOM, other sections kept") {
    auto cfg = config_file::parse(
        "\xEF\xBB\xBF# converter config\r\n"
        "[acl_build_options]\r\n"
        "  ge.exec.precision_mode = force_fp16   # a comment\r\n"
        "\r\n"
        "[ ascend_context ]  # the part gearc reads\r\n"
        "input_shape = \"x:[-1, 3, 224, 224]\"  # quoted\r\n"
        "dynamic_dims='[1], [4], [8]'\r\n"
        "fusion_switch_config_file_path = /path/with#hash/fusion.cfg\r\n"
        "[acl_build_options]\r\n"
        "log=debug\r\n",
        "c.cfg");
    CHECK(cfg.path() == "c.cfg");
    REQUIRE(cfg.sections().size() == 2);
    const auto* acl = cfg.section("acl_build_options");
    REQUIRE(acl);
    CHECK(acl->line == 2);
    REQUIRE(acl->entries.size() == 2);  // a section opened twice is one section
    CHECK(acl->entries[0].key == "ge.exec.precision_mode");
    CHECK(acl->entries[0].value == "force_fp16");
    CHECK(acl->entries[1].line == 10);
    const auto* asc = cfg.section("ascend_context");
    REQUIRE(asc);
    CHECK(asc->find("input_shape")->value == "x:[-1, 3, 224, 224]");
    CHECK(asc->find("input_shape")->line == 6);
    CHECK(asc->find("fusion_switch_config_file_path")->value == "/path/with#hash/fusion.cfg");
    CHECK(asc->find("nope") == nullptr);
    CHECK(cfg.section("nope") == nullptr);

    auto o = to_gear_options(cfg);
    CHECK(o.input_shape == "x:-1,3,224,224");
    CHECK(o.dynamic_batch_size == "1,4,8");
    CHECK(o.fusion_switch_file == "/path/with#hash/fusion.cfg");
    CHECK(o.precision_mode.empty());  // [acl_build_options] is kept but not read
}

TEST_CASE("INI: syntax errors are GC3001 naming the file and line") {
    auto parse = [](const std::string& text) { return error_of([&] { (void)config_file::parse(text, "bad.ini"); }); };
    CHECK(parse("[ascend_context]\ninput_shape\n") ==
          "GC3001: config file [bad.ini] line 2: expected \"key=value\" or \"[section]\": [input_shape]");
    CHECK(parse("[ascend_context\n") ==
          "GC3001: config file [bad.ini] line 1: the section header has no closing ']': [[ascend_context]");
    CHECK(parse("[]\n") == "GC3001: config file [bad.ini] line 1: the section name is empty or malformed: [[]]");
    CHECK(parse("[a] b\n") == "GC3001: config file [bad.ini] line 1: unexpected text after the section header: [[a] b]");
    CHECK(parse("[a]\n=1\n") == "GC3001: config file [bad.ini] line 2: the key is empty: [=1]");
    CHECK(parse("[a]\ninput shape=1\n") ==
          "GC3001: config file [bad.ini] line 2: the key [input shape] contains whitespace: [input shape=1]");
    CHECK(parse("# top\ninput_shape=x:[1]\n") ==
          "GC3001: config file [bad.ini] line 2: the key [input_shape] is outside any [section]: [input_shape=x:[1]]");
    CHECK(parse("[a]\nk=\"open\n") == "GC3001: config file [bad.ini] line 2: the quoted value has no closing \": [k=\"open]");
    CHECK(parse("[a]\nk=\"v\" w\n") == "GC3001: config file [bad.ini] line 2: unexpected text after the closing quote: [k=\"v\" w]");
    CHECK(parse("[a]\nk=1\n\n[b]\n[a]\nk=2\n") ==
          "GC3001: config file [bad.ini] line 6: the key [k] is set twice in [a] (lines 2 and 6): [k=2]");
    CHECK(code_of([] { (void)config_file::parse("[a]\nk=1\r\nk2 = \"x\" # c\n# end"); }) == "(no error)");
    CHECK(config_file::parse("").sections().empty());
}

TEST_CASE("INI: files are read from disk; a missing file is GC1001") {
    auto path = std::filesystem::temp_directory_path() / "gearc-unit-config-file.ini";
    {
        std::ofstream f(path);
        f << "[ascend_context]\ninput_shape=input:[-1,64,64,3]\ndynamic_dims=[1],[2]\n";
    }
    auto o = load_gear_options(path.string());
    CHECK(o.dynamic_batch_size == "1,2");
    CHECK(o.origin == "config file [" + path.string() + "]");
    std::filesystem::remove(path);
    CHECK(error_of([&] { (void)config_file::load(path.string()); }) ==
          "GC1001: cannot open config file [" + path.string() + "]: No such file or directory");
}

// ---- [ascend_context] keys ------------------------------------------------------------------------

TEST_CASE("[ascend_context]: an unknown key is E10001 naming the key, the file and the line") {
    CHECK(error_of([] { (void)options("[ascend_context]\ninput_format=NCHW\ninput_shpe=x:[1,3]\n"); }) ==
          "E10001: Value [input_shpe] for parameter [ascend_context] is invalid. Reason: unknown key [input_shpe] in [ascend_context] "
          "(did you mean [input_shape]?); the keys gearc reads are: input_format, input_shape, dynamic_dims, precision_mode, "
          "op_select_impl_mode, output_type, fusion_switch_config_file_path, insert_op_config_file_path, aoe_mode (config file "
          "[cfg.ini], line 3)");
    CHECK(error_of([] { (void)options("[ascend_context]\nplugin_custom_ops=All\n"); }) ==
          "E10001: Value [plugin_custom_ops] for parameter [ascend_context] is invalid. Reason: [plugin_custom_ops] is a MindSpore "
          "Lite option that gearc does not support (config file [cfg.ini], line 2)");
    // Unknown keys elsewhere are not gearc's business.
    CHECK(code_of([] { (void)options("[other]\nwhatever=1\n[ascend_context]\ninput_format=ND\n"); }) == "(no error)");
    // No [ascend_context]: empty options, static gears.
    auto o = options("[acl_init_options]\nge.engineType=AiCore\n");
    CHECK(o.input_shape.empty());
    CHECK(o.dynamic_dims.empty());
}

TEST_CASE("[ascend_context]: enumerated values are checked with the key, file and line") {
    CHECK(error_of([] { (void)options("[ascend_context]\ninput_format=nhwc\n"); }) ==
          "E10001: Value [nhwc] for parameter [input_format] is invalid. Reason: it must be one of: NCHW, NHWC, ND, NCDHW (did you "
          "mean [NHWC]?) (config file [cfg.ini], line 2)");
    CHECK(error_of([] {
              (void)options("[ascend_context]\nop_select_impl_mode=fast\n");
          }).starts_with("E10001: Value [fast] for parameter [op_select_impl_mode] is invalid."));
    CHECK(error_of([] {
              (void)options("[ascend_context]\noutput_type=FP64\n");
          }).starts_with("E10001: Value [FP64] for parameter [output_type] is invalid."));
    CHECK(error_of([] { (void)options("[ascend_context]\naoe_mode=\"subgraph turing, operator turing\"\n"); }) ==
          "E10001: Value [subgraph turing, operator turing] for parameter [aoe_mode] is invalid. Reason: mode [subgraph turing] must "
          "be one of: subgraph tuning, operator tuning ('turing' is a misprint of 'tuning' in some documents) (config file "
          "[cfg.ini], line 2)");
    CHECK(error_of([] { (void)options("[ascend_context]\ninput_shape=x:[1,0]\n"); }) ==
          "E10001: Value [x:[1,0]] for parameter [input_shape] is invalid. Reason: axis [1] of input [x] is [0], but a dimension must "
          "be a positive integer, -1 or a range a~b (config file [cfg.ini], line 2)");
}

TEST_CASE("[ascend_context]: dynamic_dims limits: 2 to 100 profiles, values 1 to 2048 for batch axes") {
    auto dims = [](int n, int first = 1) {
        std::string s;
        for (int i = 0; i < n; ++i) s += (i ? ",[" : "[") + std::to_string(first + i) + "]";
        return s;
    };
    const std::string head = "[ascend_context]\ninput_shape=input:[-1,64,64,3]\ndynamic_dims=";
    CHECK(options(head + dims(100)).dynamic_batch_size.size() > 0);
    CHECK(error_of([&] { (void)options(head + dims(101)); }) ==
          "E10036: [dynamic_dims] has [101] profiles for input [input], which is greater than the maximum ([100]). (config file "
          "[cfg.ini], line 3)");
    CHECK(error_of([&] { (void)options(head + "[8]"); }) ==
          "E10035: [dynamic_dims] has [1] profiles for input [input], which is less than the minimum ([2]). (config file [cfg.ini], "
          "line 3)");
    CHECK(options(head + "[1],[2048]").dynamic_batch_size == "1,2048");
    CHECK(error_of([&] { (void)options(head + "[1],[2049]"); }) ==
          "E10038: Dimension size [2049] in profile [1] of input [input] in [dynamic_dims] is invalid. The value must be in [1, "
          "2048]. (config file [cfg.ini], line 3)");
    CHECK(
        error_of([&] { (void)options(head + "[0],[4]"); }).starts_with("E10038: Dimension size [0] in profile [0] of input [input]"));
    CHECK(error_of([&] { (void)options(head + "[-3],[4]"); }).starts_with("E10038: Dimension size [-3] in profile [0]"));
    // Resolution values are not batch sizes: the seed's own example uses 19200.
    CHECK(options("[ascend_context]\ninput_shape=x:[1,3,-1,-1]\ndynamic_dims=[4096,4096],[64,64]\n").dynamic_image_size ==
          "4096,4096;64,64");
    CHECK(code_of([] { (void)options("[ascend_context]\ninput_shape=x:[1,3,-1,-1]\ndynamic_dims=[0,64],[64,64]\n"); }) == "E10038");
}

TEST_CASE("[ascend_context]: dynamic_dims profiles per input must agree") {
    const std::string two = "[ascend_context]\ninput_shape=a:[-1,3];b:[-1,5]\ndynamic_dims=";
    CHECK(error_of([&] { (void)options(two + "[1],[2];[1],[2],[4]"); }) ==
          "E10037: The profiles configured in [dynamic_dims] have inconsistent counts across inputs: input [a] has [2] profiles while "
          "input [b] has [3]. (config file [cfg.ini], line 3)");
    CHECK(error_of([&] { (void)options(two + "[1],[2]"); }) ==
          "E10001: Value [[1],[2]] for parameter [dynamic_dims] is invalid. Reason: it has 1 ';'-separated groups of profiles but "
          "input_shape has 2 input(s) with -1 axes ([a, b]) (config file [cfg.ini], line 3)");
    CHECK(error_of([&] { (void)options(two + "[1],[2,3];[1],[2]"); }) ==
          "E10003: Value [[2,3]] for parameter [dynamic_dims] is invalid. Reason: profile [1] of input [a] has 2 values but input [a] "
          "has 1 -1 axes in input_shape (config file [cfg.ini], line 3)");
    CHECK(error_of([&] { (void)options(two + "[1],[2],[1];[1],[2],[1]"); }) ==
          "E10039: The [dynamic_dims] argument has duplicate profiles: profile [0] and profile [2] are both [1];[1]. (config file "
          "[cfg.ini], line 3)");
    // Different batch values per input are general dims (ND); the gears pair them up by position.
    auto o = options(two + "[1],[2];[3],[4]");
    CHECK(o.dynamic_batch_size.empty());
    CHECK(o.dynamic_dims == "1,3;2,4");
    auto g = model({{"a", shape{dim(), 3}}, {"b", shape{dim(), 5}}});
    auto gs = make_gear_set(*g, o);
    CHECK(gs.kind() == gear_kind::dynamic_dims);
    CHECK(gs.input_format() == tensor_format::nd);
    CHECK(shapes_of(gs, "a") == strings{"[1,3]", "[2,3]"});
    CHECK(shapes_of(gs, "b") == strings{"[3,5]", "[4,5]"});
    // A static input takes no group.
    auto s = options("[ascend_context]\ninput_shape=a:[-1,3];c:[2];b:[-1,5]\ndynamic_dims=[1],[2];[1],[2]\n");
    CHECK(s.dynamic_batch_size == "1,2");
}

TEST_CASE("[ascend_context]: dynamic_dims syntax") {
    const std::string head = "[ascend_context]\ninput_shape=x:[-1,3]\ndynamic_dims=";
    CHECK(
        error_of([&] { (void)options(head + "1,2"); }) ==
        "E10001: Value [1,2] for parameter [dynamic_dims] is invalid. Reason: the profiles of input [x] are not in brackets at [1,2] "
        "(config file [cfg.ini], line 3)");
    CHECK(error_of([&] { (void)options(head + "[1],[2],"); }).find("the profiles of input [x] end with a stray ','") !=
          std::string::npos);
    CHECK(error_of([&] { (void)options(head + "[1],[2"); }).find("the profiles of input [x] have an unclosed '['") !=
          std::string::npos);
    CHECK(error_of([&] { (void)options(head + "[1],[]"); }).find("have an empty profile [1]") != std::string::npos);
    CHECK(error_of([&] { (void)options(head + "[1],[a]"); }).find("have the value [a], which is not an integer") != std::string::npos);
    CHECK(error_of([&] { (void)options(head + "[1] [2]"); }).find("have [[2]] where ',' or ';' should follow ']'") !=
          std::string::npos);
    CHECK(error_of([&] { (void)options(head + "[1],[99999999999999999999]"); }).find("out of the range of a 64-bit integer") !=
          std::string::npos);
    CHECK(options(head + " [1] , [2] ;").dynamic_batch_size == "1,2");  // spaces and a trailing ';'
}

TEST_CASE("[ascend_context]: input_shape and dynamic_dims need each other") {
    CHECK(
        error_of([] { (void)options("[ascend_context]\ndynamic_dims=[1],[2]\n"); }) ==
        "E10001: Value [[1],[2]] for parameter [dynamic_dims] is invalid. Reason: dynamic_dims needs input_shape in [ascend_context] "
        "to mark its axes with -1 (config file [cfg.ini], line 2)");
    CHECK(error_of([] { (void)options("[ascend_context]\ninput_shape=x:[-1,3]\n"); }) ==
          "E10001: Value [x:[-1,3]] for parameter [input_shape] is invalid. Reason: axis [0] of input [x] is -1, but [ascend_context] "
          "has no dynamic_dims to give it values (config file [cfg.ini], line 2)");
    CHECK(
        error_of([] { (void)options("[ascend_context]\ninput_shape=x:[1,3]\ndynamic_dims=[1],[2]\n"); }) ==
        "E10001: Value [[1],[2]] for parameter [dynamic_dims] is invalid. Reason: input_shape has no -1 axis for dynamic_dims to give "
        "values to (config file [cfg.ini], line 3)");
    CHECK(error_of([] { (void)options("[ascend_context]\ninput_shape=x:[1~4,-1]\ndynamic_dims=[1],[2]\n"); }) ==
          "E10001: Value [x:1~4,-1] for parameter [input_shape] is invalid. Reason: the range [1~4] of input [x] cannot be combined "
          "with dynamic_dims: ranges and gears are mutually exclusive (config file [cfg.ini], line 3)");
    // A range alone is one bounded-dynamic gear; a static shape alone is one static gear.
    auto g = model({{"x", shape{dim(), dim()}}});
    CHECK(make_gear_set(*g, options("[ascend_context]\ninput_shape=x:[1~4,-1]\n")).kind() == gear_kind::range);
    CHECK(make_gear_set(*g, options("[ascend_context]\ninput_shape=x:[2,3]\n")).kind() == gear_kind::static_shape);
}

TEST_CASE("[ascend_context]: which ATC gear option dynamic_dims becomes") {
    // H,W of an NCHW input, the layout read off the -1 axes.
    auto hw = options("[ascend_context]\ninput_shape=x:[1,3,-1,-1]\ndynamic_dims=[32,32],[64,48]\n");
    CHECK(hw.dynamic_image_size == "32,32;64,48");
    // A -1 that is neither batch nor H,W: general dims.
    auto seq = options("[ascend_context]\ninput_shape=ids:[1,-1]\ndynamic_dims=[16],[32]\n");
    CHECK(seq.dynamic_dims == "16;32");
    auto g = model({{"ids", shape{1, dim::symbol("T")}}});
    CHECK(shapes_of(make_gear_set(*g, seq), "ids") == strings{"[1,16]", "[1,32]"});
    // Batch and H,W together: general dims, which need ND.
    auto both = options("[ascend_context]\ninput_shape=x:[-1,3,-1,-1]\ndynamic_dims=[1,32,32],[4,64,64]\n");
    CHECK(both.dynamic_dims == "1,32,32;4,64,64");
    CHECK(error_of([] {
              (void)options("[ascend_context]\ninput_format=NCHW\ninput_shape=x:[-1,3,-1,-1]\ndynamic_dims=[1,32,32],[4,64,64]\n");
          }) ==
          "E10001: Value [NCHW] for parameter [input_format] is invalid. Reason: with input_format NCHW, the -1 axes of input_shape "
          "must be the batch axis (0) of every input or the height and width axes of 4-D inputs, with the same values for every "
          "input; these dynamic_dims are general dimensions, which need input_format ND (config file [cfg.ini], line 4)");
    // NHWC axes under an NCHW format are not H,W.
    CHECK(code_of([] {
              (void)options("[ascend_context]\ninput_format=NCHW\ninput_shape=x:[1,-1,-1,3]\ndynamic_dims=[8,8],[9,9]\n");
          }) == "E10001");
    CHECK(options("[ascend_context]\ninput_format=ND\ninput_shape=x:[1,-1,-1,3]\ndynamic_dims=[8,8],[9,9]\n").dynamic_dims ==
          "8,8;9,9");
}

TEST_CASE("[ascend_context]: errors found against the model say they come from the config file") {
    auto g = model({{"input", shape{dim(), 64, 64, 3}}});
    auto o = options("[ascend_context]\ninput_shape=inptu:[-1,64,64,3]\ndynamic_dims=[1],[2]\n");
    CHECK(error_of([&] { (void)make_gear_set(*g, o); }) ==
          "E10001: Value [inptu:-1,64,64,3] for parameter [--input_shape] is invalid. Reason: the model has no input named [inptu] "
          "(did you mean [input]?); its inputs are [input] (from config file [cfg.ini])");
    auto wrong = options("[ascend_context]\ninput_shape=input:[-1,32,64,3]\ndynamic_dims=[1],[2]\n");
    CHECK(error_of([&] { (void)make_gear_set(*g, wrong); }).ends_with("(from config file [cfg.ini])"));
}
