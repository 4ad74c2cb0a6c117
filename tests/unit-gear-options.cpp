// Tests of the ATC-style gear options: parsing, every validation rule and its message, and the gear_set they build.
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>

#include "test_support.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace gearc;
using namespace gearc_test;

namespace {

// The TF ResNet of the ATC seeds: "Inputs" with an unknown batch ([-1,224,224,3]).
std::unique_ptr<graph> resnet_inputs() {
    return model({{"Inputs", shape{dim(), 224, 224, 3}}});
}
// The seeds' "Placeholder" whose N, H and W are unknown.
std::unique_ptr<graph> resnet_placeholder() {
    return model({{"Placeholder", shape{dim(), dim(), dim(), 3}}});
}

using strings = std::vector<std::string>;

}  // namespace

// ---- the seeds: ATC's documented examples ---------------------------------------------------------

TEST_CASE("seed 002 case 01: a dynamic model dim with no --input_shape is E10001 with ATC's exact text") {
    auto g = resnet_inputs();
    CHECK(report_of([&] { (void)make_gear_set(*g, gear_options{}); }) ==
          "E10001: Value [-1] for parameter [Inputs] is invalid. Reason: maybe you should set input_shape to specify its shape\n"
          "Solution: Try again with a valid argument.");
}

TEST_CASE("seed 002 case 01 fixes: a static shape, batch gears, a range") {
    auto g = resnet_inputs();
    SUBCASE("--input_shape=\"Inputs:1,224,224,3\" -> one static gear") {
        auto gs = make_gear_set(*g, gear_options{.input_shape = "Inputs:1,224,224,3"});
        CHECK(gs.kind() == gear_kind::static_shape);
        CHECK(shapes_of(gs, "Inputs") == strings{"[1,224,224,3]"});
        CHECK(gs[0].is_static());
        CHECK(gs[0].profile.empty());
    }
    SUBCASE("--input_shape=\"Inputs:-1,224,224,3\" --dynamic_batch_size=\"1,2,4,8\" -> four gears") {
        auto gs = make_gear_set(*g, gear_options{.input_shape = "Inputs:-1,224,224,3", .dynamic_batch_size = "1,2,4,8"});
        CHECK(gs.kind() == gear_kind::dynamic_batch_size);
        CHECK(gs.size() == 4);
        CHECK(shapes_of(gs, "Inputs") == strings{"[1,224,224,3]", "[2,224,224,3]", "[4,224,224,3]", "[8,224,224,3]"});
        CHECK(gs[2].profile == std::vector<std::int64_t>{4});
        CHECK(gs[2].index == 2);
    }
    SUBCASE("--input_shape=\"Inputs:1~10,224,224,3\" -> one bounded-dynamic gear") {
        auto gs = make_gear_set(*g, gear_options{.input_shape = "Inputs:1~10,224,224,3"});
        CHECK(gs.kind() == gear_kind::range);
        CHECK(gs.is_bounded_dynamic());
        REQUIRE(gs.size() == 1);
        CHECK(gs[0].at("Inputs") == shape{dim::range(1, 10), 224, 224, 3});
        CHECK_FALSE(gs[0].is_static());
    }
}

TEST_CASE("seed 002 case 02: one profile is E10035 with ATC's exact text; two profiles compile") {
    auto g = resnet_placeholder();
    gear_options o{.input_shape = "Placeholder:-1,224,224,3", .dynamic_batch_size = "2"};
    CHECK(report_of([&] { (void)make_gear_set(*g, o); }) ==
          "E10035: [--dynamic_batch_size], [--dynamic_image_size], or [--dynamic_dims] has [1] profiles, which is less than the "
          "minimum ([2]).\n"
          "Solution: Ensure that the number of profiles configured in [--dynamic_batch_size], [--dynamic_image_size], or "
          "[--dynamic_dims] is at least the minimum.");
    o.dynamic_batch_size = "2,4";
    CHECK(shapes_of(make_gear_set(*g, o), "Placeholder") == strings{"[2,224,224,3]", "[4,224,224,3]"});
}

TEST_CASE("seed 002 case 03: -1 beyond N with --dynamic_batch_size is E10018 with ATC's exact text") {
    auto g = resnet_placeholder();
    gear_options o{.input_shape = "Placeholder:-1,-1,-1,3", .dynamic_batch_size = "2,4,8"};
    CHECK(report_of([&] { (void)make_gear_set(*g, o); }) ==
          "E10018: Value [-1] for shape [1] is invalid. When [--dynamic_batch_size] is included, only batch size N can be \u20131 "
          "in [--input_shape].\n"
          "Solution: Try again with a valid [--input_shape] argument. Make sure that non-batch size axes are not \u20131.");
    o.input_shape = "Placeholder:-1,224,224,3";
    CHECK(shapes_of(make_gear_set(*g, o), "Placeholder") == strings{"[2,224,224,3]", "[4,224,224,3]", "[8,224,224,3]"});
}

TEST_CASE("seed 002 case 04: -1 beyond H,W with --dynamic_image_size is E10019 with ATC's exact text") {
    auto g = resnet_placeholder();
    gear_options o{.input_shape = "Placeholder:-1,-1,-1,3", .dynamic_image_size = "448,448;224,224"};
    CHECK(report_of([&] { (void)make_gear_set(*g, o); }) ==
          "E10019: When [--dynamic_image_size] is included, only the height and width axes can be \u20131 in [--input_shape].\n"
          "Solution: Try again with a valid [--input_shape] argument. Make sure that axes other than height and width are not "
          "\u20131.");
    o.input_shape = "Placeholder:1,-1,-1,3";
    auto gs = make_gear_set(*g, o);
    CHECK(gs.kind() == gear_kind::dynamic_image_size);
    CHECK(gs.input_format() == tensor_format::nhwc);  // read off the -1 axes: ATC's example gives no --input_format
    CHECK(shapes_of(gs, "Placeholder") == strings{"[1,448,448,3]", "[1,224,224,3]"});
    CHECK(gs[1].profile == std::vector<std::int64_t>{224, 224});
}

TEST_CASE("seed 003: MindOCR's input shapes for batch, height/width, both, and none") {
    auto g = model({{"x", shape{dim::symbol("N"), 3, dim::symbol("H"), dim::symbol("W")}}});
    CHECK(shapes_of(make_gear_set(*g, gear_options{.input_shape = "x:-1,3,48,192", .dynamic_batch_size = "1,4,8"}), "x") ==
          strings{"[1,3,48,192]", "[4,3,48,192]", "[8,3,48,192]"});
    auto hw = make_gear_set(*g, gear_options{.input_shape = "x:1,3,-1,-1", .dynamic_image_size = "32,64;48,192"});
    CHECK(hw.input_format() == tensor_format::nchw);
    CHECK(shapes_of(hw, "x") == strings{"[1,3,32,64]", "[1,3,48,192]"});
    auto both = make_gear_set(*g, gear_options{.input_shape = "x:-1,3,-1,-1", .dynamic_dims = "1,32,64;4,48,192"});
    CHECK(both.input_format() == tensor_format::nd);
    CHECK(shapes_of(both, "x") == strings{"[1,3,32,64]", "[4,3,48,192]"});
    CHECK(both[1].bindings == symbol_bindings{{"H", 48}, {"N", 4}, {"W", 192}});
    CHECK(shapes_of(make_gear_set(*g, gear_options{.input_shape = "x:4,3,48,192"}), "x") == strings{"[4,3,48,192]"});
}

// ---- E10001: invalid values ---------------------------------------------------------------------

TEST_CASE("E10001: a static model needs no options; a dynamic one left unset names the input and the dim") {
    auto st = model({{"x", shape{1, 3, 8, 8}}});
    auto gs = make_gear_set(*st, gear_options{});
    CHECK(gs.kind() == gear_kind::static_shape);
    CHECK(shapes_of(gs, "x") == strings{"[1,3,8,8]"});
    auto sym = model({{"x", shape{1, 3, 8, 8}}, {"len", shape{dim::symbol("T")}}});
    CHECK(error_of([&] { (void)make_gear_set(*sym, gear_options{}); }) ==
          "E10001: Value [T] for parameter [len] is invalid. Reason: maybe you should set input_shape to specify its shape");
    auto unranked = model({{"x", std::nullopt}});
    CHECK(error_of([&] { (void)make_gear_set(*unranked, gear_options{}); }) ==
          "E10001: Value [*] for parameter [x] is invalid. Reason: maybe you should set input_shape to specify its shape");
    CHECK(shapes_of(make_gear_set(*unranked, gear_options{.input_shape = "x:2,5"}), "x") == strings{"[2,5]"});
}

TEST_CASE("E10001: gear values that are not decimal integers") {
    auto g = resnet_placeholder();
    auto batch = [&](std::string v) {
        return error_of(
            [&] { (void)make_gear_set(*g, gear_options{.input_shape = "Placeholder:-1,224,224,3", .dynamic_batch_size = v}); });
    };
    CHECK(batch("1,a,4") ==
          "E10001: Value [1,a,4] for parameter [--dynamic_batch_size] is invalid. Reason: value [a] of profile [1] is not an integer: "
          "profile values must be positive integers");
    CHECK(batch("+3,4") ==
          "E10001: Value [+3,4] for parameter [--dynamic_batch_size] is invalid. Reason: value [+3] of profile [0] "
          "is not an integer: profile values must be positive integers");
    CHECK(batch("0x10,2").find("value [0x10] of profile [0] is not an integer") != std::string::npos);
    CHECK(batch("1.5,2").find("value [1.5] of profile [0] is not an integer") != std::string::npos);
    CHECK(batch("1;2").find("value [1;2] of profile [0] is not an integer") != std::string::npos);
    CHECK(batch("1,99999999999999999999") ==
          "E10001: Value [1,99999999999999999999] for parameter [--dynamic_batch_size] is invalid. Reason: value "
          "[99999999999999999999] of profile [1] is out of the range of a 64-bit integer");
    CHECK(batch("1,,2") ==
          "E10001: Value [1,,2] for parameter [--dynamic_batch_size] is invalid. Reason: profile [1] has an empty "
          "value (a stray separator?)");
    CHECK(batch(",1,2").find("profile [0] has an empty value") != std::string::npos);
    CHECK(batch("   ") == "E10001: Value [   ] for parameter [--dynamic_batch_size] is invalid. Reason: the value is empty");
    // Neighbours that pass: spaces around values, one trailing separator (ATC strips it too).
    CHECK(batch(" 1 , 2 ,4 ") == "(no error)");
    CHECK(batch("1,2,4,") == "(no error)");
    auto image = [&](std::string v) {
        return error_of(
            [&] { (void)make_gear_set(*g, gear_options{.input_shape = "Placeholder:1,-1,-1,3", .dynamic_image_size = v}); });
    };
    CHECK(image("448,448;224,224;") == "(no error)");
    CHECK(image("448,448;;224,224") ==
          "E10001: Value [448,448;;224,224] for parameter [--dynamic_image_size] is invalid. Reason: "
          "profile [1] is empty (a stray ';'?)");
    CHECK(image("448,4e2;224,224").find("value [4e2] of profile [0] is not an integer") != std::string::npos);
}

TEST_CASE("E10001: --dynamic_dims needs format ND and inputs of rank 1 to 4") {
    auto g = model({{"a", shape{dim::symbol("N"), dim::symbol("T")}}, {"v", shape{1, 1, 1, 1, dim::symbol("K")}}});
    gear_options o{.input_shape = "a:-1,-1;v:1,1,1,1,7", .dynamic_dims = "1,16;2,32"};
    auto gs = make_gear_set(*g, o);  // no --input_format: ND
    CHECK(gs.input_format() == tensor_format::nd);
    CHECK(shapes_of(gs, "a") == strings{"[1,16]", "[2,32]"});
    CHECK(shapes_of(gs, "v") == strings{"[1,1,1,1,7]", "[1,1,1,1,7]"});  // rank 5 is fine without -1
    o.input_format = "ND";
    CHECK(make_gear_set(*g, o).size() == 2);
    o.input_format = "NCHW";
    CHECK(report_of([&] { (void)make_gear_set(*g, o); }) ==
          "E10001: Value [NCHW] for parameter [--input_format] is invalid. Reason: [--dynamic_dims] requires [--input_format] ND\n"
          "Solution: Try again with a valid argument. Set --input_format=ND (or leave it out) with --dynamic_dims; for height/width "
          "gears of NCHW or NHWC inputs use --dynamic_image_size.");
    gear_options rank5{.input_shape = "a:-1,16;v:1,1,1,1,-1", .dynamic_dims = "1,7;2,7"};
    CHECK(error_of([&] { (void)make_gear_set(*g, rank5); }) ==
          "E10001: Value [a:-1,16;v:1,1,1,1,-1] for parameter [--input_shape] is invalid. Reason: with [--dynamic_dims], an input "
          "with -1 axes must have rank 1 to 4, but input [v] has rank 5");
    gear_options none{.input_shape = "a:1,16", .dynamic_dims = "1;2"};
    CHECK(error_of([&] { (void)make_gear_set(*g, none); }) ==
          "E10001: Value [a:1,16] for parameter [--input_shape] is invalid. Reason: [--dynamic_dims] is included, but no axis in "
          "[--input_shape] is -1");
}

TEST_CASE("E10001: --input_shape names that are not model inputs") {
    auto g = model({{"input", shape{dim::symbol("N"), 3}}, {"mask", shape{dim::symbol("N")}}});
    g->add_initializer("weight", tensor::from<float>({3}, {1, 2, 3}));
    CHECK(report_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "inptu:1,3;mask:1"}); }) ==
          "E10001: Value [inptu:1,3] for parameter [--input_shape] is invalid. Reason: the model has no input named [inptu] (did you "
          "mean [input]?); its inputs are [input, mask]\n"
          "Solution: Try again with a valid argument. Use the names of the model's inputs (the value after the last ':' is the "
          "shape).");
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "input:1,3;mask:1;weight:3"}); }) ==
          "E10001: Value [weight:3] for parameter [--input_shape] is invalid. Reason: [weight] is an initializer (constant data) of "
          "the model, not an input; the model's inputs are [input, mask]");
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "input:1,3;zzz:1"}); }) ==
          "E10001: Value [zzz:1] for parameter [--input_shape] is invalid. Reason: the model has no input named [zzz]; its inputs "
          "are [input, mask]");
    // Neighbour: the mask is not mentioned but its N is bound by the input's gear value.
    auto gs = make_gear_set(*g, gear_options{.input_shape = "input:-1,3", .dynamic_batch_size = "1,8"});
    CHECK(gs.inputs() == strings{"input", "mask"});
    CHECK(shapes_of(gs, "mask") == strings{"[1]", "[8]"});
    CHECK(gs[1].bindings == symbol_bindings{{"N", 8}});
}

TEST_CASE("E10001: enumerated option values") {
    auto g = model({{"x", shape{1, 3}}});
    auto with = [&](gear_options o) { return report_of([&] { (void)make_gear_set(*g, o); }); };
    CHECK(with({.precision_mode = "fp16"}) ==
          "E10001: Value [fp16] for parameter [--precision_mode] is invalid. Reason: it must be one of: force_fp32, force_fp16, "
          "allow_fp32_to_fp16, must_keep_origin_dtype, allow_mix_precision\n"
          "Solution: Try again with a valid argument.");
    CHECK(error_of([&] { (void)validate({.precision_mode = "force_fp61"}); }).ends_with("(did you mean [force_fp16]?)"));
    CHECK(error_of([&] { (void)validate({.input_format = "nchw"}); }) ==
          "E10001: Value [nchw] for parameter [--input_format] is invalid. Reason: it must be one of: NCHW, NHWC, ND, NCDHW (did "
          "you mean [NCHW]?)");
    CHECK(error_of([&] { (void)validate({.op_select_impl_mode = "fast"}); }) ==
          "E10001: Value [fast] for parameter [--op_select_implmode] is invalid. Reason: it must be one of: high_performance, "
          "high_precision, high_performance_for_all, high_precision_for_all");
    CHECK(error_of([&] { (void)validate({.log = "verbose"}); }) ==
          "E10001: Value [verbose] for parameter [--log] is invalid. Reason: it must be one of: debug, info, warning, error, null");
    CHECK(error_of([&] { (void)validate({.output_type = "FP64"}); }) ==
          "E10001: Value [FP64] for parameter [--output_type] is invalid. Reason: it must be one of: FP32, FP16, UINT8, INT8");
    CHECK(error_of([&] { (void)validate({.output_type = "fp16"}); }).ends_with("INT8 (did you mean [FP16]?)"));
    CHECK(error_of([&] { (void)validate({.output_type = "conv1:0:FP16;fc:x:FP32"}); }) ==
          "E10001: Value [conv1:0:FP16;fc:x:FP32] for parameter [--output_type] is invalid. Reason: entry [fc:x:FP32] has output "
          "index [x], which is not a non-negative integer");
    CHECK(error_of([&] { (void)validate({.output_type = "conv1:0:BF16"}); }).find("has type [BF16], which must be one of") !=
          std::string::npos);
    CHECK(error_of([&] { (void)validate({.output_type = "conv1:FP16"}); }).find("is not formatted as node:index:type") !=
          std::string::npos);
    CHECK(error_of([&] { (void)validate({.aoe_mode = "subgraph turing"}); }) ==
          "E10001: Value [subgraph turing] for parameter [aoe_mode] is invalid. Reason: mode [subgraph turing] must be one of: "
          "subgraph tuning, operator tuning ('turing' is a misprint of 'tuning' in some documents)");
    CHECK(error_of([&] {
              (void)validate({.aoe_mode = "operator tuning,operator tuning"});
          }).ends_with("mode [operator tuning] is given twice"));
    // Every valid value passes; carried strings are kept as given.
    for (auto p : {"force_fp32", "force_fp16", "allow_fp32_to_fp16", "must_keep_origin_dtype", "allow_mix_precision"})
        CHECK(with({.precision_mode = p}) == "(no error)");
    for (auto f : {"NCHW", "NHWC", "ND", "NCDHW"}) CHECK(with({.input_format = f}) == "(no error)");
    for (auto l : {"debug", "info", "warning", "error", "null"}) CHECK(with({.log = l}) == "(no error)");
    for (auto t : {"FP32", "FP16", "UINT8", "INT8", "conv1:0:FP16;fc:1:UINT8", "name:with:colons:0:INT8;"})
        CHECK(with({.output_type = t}) == "(no error)");
    for (auto a : {"subgraph tuning", "operator tuning", "subgraph tuning, operator tuning"})
        CHECK(with({.aoe_mode = a}) == "(no error)");
    CHECK(with({.op_select_impl_mode = "high_precision",
                .fusion_switch_file = "fusion.cfg",
                .insert_op_conf = "aipp.cfg",
                .soc_version = "Ascend310P3"}) == "(no error)");
}

TEST_CASE("E10001: the gear options are mutually exclusive, and exclusive with ranges") {
    auto g = resnet_placeholder();
    CHECK(report_of([&] {
              (void)make_gear_set(*g, gear_options{.input_shape = "Placeholder:-1,224,224,3",
                                                   .dynamic_batch_size = "1,2",
                                                   .dynamic_image_size = "448,448;224,224"});
          }) ==
          "E10001: Value [448,448;224,224] for parameter [--dynamic_image_size] is invalid. Reason: [--dynamic_batch_size] and "
          "[--dynamic_image_size] are mutually exclusive\n"
          "Solution: Try again with a valid argument. Use only one of [--dynamic_batch_size], [--dynamic_image_size] and "
          "[--dynamic_dims].");
    CHECK(error_of([&] {
              (void)validate({.input_shape = "Placeholder:-1,224,224,3", .dynamic_image_size = "1,2;3,4", .dynamic_dims = "1;2"});
          }) ==
          "E10001: Value [1;2] for parameter [--dynamic_dims] is invalid. Reason: [--dynamic_image_size] and [--dynamic_dims] are "
          "mutually exclusive");
    CHECK(error_of([&] { (void)validate({.input_shape = "Placeholder:1~10,224,224,3", .dynamic_batch_size = "1,2"}); }) ==
          "E10001: Value [Placeholder:1~10,224,224,3] for parameter [--input_shape] is invalid. Reason: the range [1~10] of input "
          "[Placeholder] cannot be combined with [--dynamic_batch_size]: ranges and gears are mutually exclusive");
    // Neighbour: a range next to a -1 is one bounded-dynamic gear, -1 meaning unbounded.
    auto gs = make_gear_set(*g, gear_options{.input_shape = "Placeholder:1~10,-1,224~-1,3"});
    CHECK(gs[0].at("Placeholder") == shape{dim::range(1, 10), dim::range(1, -1), dim::range(224, -1), 3});
    CHECK(gs[0].accepts("Placeholder", std::vector<std::int64_t>{4, 100, 5000, 3}));
    CHECK_FALSE(gs[0].accepts("Placeholder", std::vector<std::int64_t>{11, 100, 5000, 3}));
    CHECK_FALSE(gs[0].accepts("Placeholder", std::vector<std::int64_t>{4, 100, 223, 3}));
}

TEST_CASE("E10001: -1 without a gear option says which option to add") {
    auto g = model({{"x", shape{dim(), dim(), dim(), dim()}}, {"y", shape{dim(), 3}}});
    CHECK(report_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "x:-1,3,224,224;y:-1,3"}); }) ==
          "E10001: Value [x:-1,3,224,224;y:-1,3] for parameter [--input_shape] is invalid. Reason: axis [0] of input [x] is -1, but "
          "no [--dynamic_batch_size], [--dynamic_image_size] or [--dynamic_dims] gives it values\n"
          "Solution: Try again with a valid argument. Add --dynamic_batch_size (e.g. --dynamic_batch_size=\"1,2,4\"), or give the "
          "axis a range such as 1~8.");
    CHECK(report_of([&] {
              (void)make_gear_set(*g, gear_options{.input_shape = "x:1,3,-1,-1;y:1,3"});
          }).ends_with("Add --dynamic_image_size (e.g. --dynamic_image_size=\"224,224;448,448\"), or give the axes ranges a~b."));
    CHECK(report_of([&] {
              (void)make_gear_set(*g, gear_options{.input_shape = "x:1,-1,224,224;y:1,3"});
          }).ends_with("Add --dynamic_dims (with --input_format=ND) with one value per -1 axis, or give the axes ranges a~b."));
}

TEST_CASE("E10001: --input_shape syntax") {
    auto parse = [](std::string s) { return error_of([&] { (void)parse_input_shape(s); }); };
    CHECK(parse("1,3,224,224") ==
          "E10001: Value [1,3,224,224] for parameter [--input_shape] is invalid. Reason: it has no input name: the shape must "
          "contain two parts, name and value");
    CHECK(parse(":1,3") == "E10001: Value [:1,3] for parameter [--input_shape] is invalid. Reason: the input name is empty");
    CHECK(parse("x:1,3,") ==
          "E10001: Value [x:1,3,] for parameter [--input_shape] is invalid. Reason: axis [2] of input [x] is empty "
          "(a stray ',' in the dims?)");
    CHECK(parse("x:1;;y:2") == "E10001: Value [x:1;;y:2] for parameter [--input_shape] is invalid. Reason: entry [1] is empty");
    CHECK(parse("x:1;x:2") == "E10001: Value [x:1;x:2] for parameter [--input_shape] is invalid. Reason: input [x] is given twice");
    CHECK(parse("x:0,3") ==
          "E10001: Value [x:0,3] for parameter [--input_shape] is invalid. Reason: axis [0] of input [x] is [0], "
          "but a dimension must be a positive integer, -1 or a range a~b");
    CHECK(parse("x:-2,3").find("axis [0] of input [x] is [-2], but a dimension must be a positive integer") != std::string::npos);
    CHECK(parse("x:+3").find("axis [0] of input [x] is [+3], which is not an integer") != std::string::npos);
    CHECK(parse("x:0x10").find("axis [0] of input [x] is [0x10], which is not an integer") != std::string::npos);
    CHECK(parse("x:2.5").find("axis [0] of input [x] is [2.5], which is not an integer") != std::string::npos);
    CHECK(parse("x:N,3").find("axis [0] of input [x] is [N], which is not an integer") != std::string::npos);
    CHECK(parse("x:1 6,3").find("axis [0] of input [x] is [1 6], which is not an integer") != std::string::npos);
    CHECK(parse("x:9223372036854775808") ==
          "E10001: Value [x:9223372036854775808] for parameter [--input_shape] is invalid. Reason: "
          "axis [0] of input [x] is [9223372036854775808], which is out of the range of a 64-bit integer");
    CHECK(parse("x:5~2") ==
          "E10001: Value [x:5~2] for parameter [--input_shape] is invalid. Reason: axis [0] of input [x] is [5~2], "
          "which is not a valid range: it needs 0 <= a <= b (or b = -1 for no upper bound)");
    CHECK(parse("x:~5").find("which is not a range a~b") != std::string::npos);
    CHECK(parse("x:1~2~3").find("which is not a range a~b") != std::string::npos);
    CHECK(parse("x:-1~5").find("which is not a valid range") != std::string::npos);
    CHECK(parse("x:[1,3").find("the brackets around the dims of input [x] do not match") != std::string::npos);

    // What parses: whitespace, names with ':', scalars, brackets, a trailing ';', ranges, -1.
    auto v = parse_input_shape("  input:0 : 1, 3 ,224,224 ; scalar: ; b:[2, -1] ; r:1~10,3~-1 ;");
    REQUIRE(v.size() == 4);
    CHECK(v[0].name == "input:0");
    CHECK(v[0].dims == shape{1, 3, 224, 224});
    CHECK(v[1].name == "scalar");
    CHECK(v[1].dims.rank() == 0);
    CHECK(v[2].dims == shape{2, dim::unknown()});
    CHECK(v[3].dims == shape{dim::range(1, 10), dim::range(3, -1)});
    CHECK(parse_input_shape("").empty());
    CHECK(parse_input_shape("   ").empty());
}

TEST_CASE("E10001: --input_shape against the model: rank, static dims, symbols, overflow") {
    auto g = model({{"a", shape{dim::symbol("N"), 3, 8}}, {"b", shape{dim::symbol("N"), 5}}, {"s", shape{}}});
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "a:1,3;b:1,5;s:"}); }) ==
          "E10001: Value [a:1,3] for parameter [--input_shape] is invalid. Reason: input [a] has rank 3 in the model [N,3,8] but rank "
          "2 in [--input_shape]");
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "a:1,4,8;b:1,5"}); }) ==
          "E10001: Value [a:1,4,8] for parameter [--input_shape] is invalid. Reason: axis [1] of input [a] is 3 in the model [N,3,8] "
          "but 4 in [--input_shape]");
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "a:1,-1,8", .dynamic_batch_size = "2,3"}); }) ==
          "E10018: Value [-1] for shape [1] is invalid. When [--dynamic_batch_size] is included, only batch size N can be \u20131 in "
          "[--input_shape].");
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "a:-1,-1,8", .dynamic_dims = "1,3;2,4"}); }) ==
          "E10001: Value [2,4] for parameter [--dynamic_dims] is invalid. Reason: gear [1] sets axis [1] of input [a] to 4, but the "
          "model [N,3,8] fixes it to 3");
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "a:1~4,3~5,8"}); }) ==
          "E10001: Value [a:1~4,3~5,8] for parameter [--input_shape] is invalid. Reason: axis [1] of input [a] is 3 in the model "
          "[N,3,8], so it cannot be the range [3~5]");
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "a:-1,3,8;b:-1,5", .dynamic_dims = "1,1;2,3"}); }) ==
          "E10001: Value [2,3] for parameter [--dynamic_dims] is invalid. Reason: gear [1] gives the model's symbolic dimension [N] "
          "the value 2 through input [a] but 3 through input [b]");
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "a:2,3,8;b:4,5"}); }) ==
          "E10001: Value [a:2,3,8;b:4,5] for parameter [--input_shape] is invalid. Reason: gear [0] gives the model's symbolic "
          "dimension [N] the value 2 through input [a] but 4 through input [b]");
    auto huge = model({{"h", shape{dim(), dim()}}});
    CHECK(error_of([&] { (void)make_gear_set(*huge, gear_options{.input_shape = "h:4294967296,4294967296"}); }) ==
          "E10001: Value [h:4294967296,4294967296] for parameter [--input_shape] is invalid. Reason: in gear [0] input [h] would "
          "have more than 2^63-1 elements");
    // Neighbours: matching static dims, a scalar, a rank-0 model input left alone, -1 at symbolic axes only.
    auto gs = make_gear_set(*g, gear_options{.input_shape = "a:-1,3,8;b:-1,5;s:", .dynamic_batch_size = "1,2"});
    CHECK(shapes_of(gs, "b") == strings{"[1,5]", "[2,5]"});
    CHECK(shapes_of(gs, "s") == strings{"[]", "[]"});
    CHECK(shapes_of(make_gear_set(*g, gear_options{.input_shape = "a:-1,3,8;b:-1,5", .dynamic_dims = "1,1;2,2"}), "a") ==
          strings{"[1,3,8]", "[2,3,8]"});
}

TEST_CASE("E10001: values outside a range the model itself declares") {
    auto g = model({{"x", shape{dim::range(1, 8), 3}}});
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "x:9,3"}); }) ==
          "E10001: Value [x:9,3] for parameter [--input_shape] is invalid. Reason: axis [0] of input [x] is 9 in [--input_shape], "
          "outside the model's range [1~8]");
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "x:-1,3", .dynamic_batch_size = "4,16"}); }) ==
          "E10001: Value [16] for parameter [--dynamic_batch_size] is invalid. Reason: gear [1] sets axis [0] of input [x] to 16, "
          "outside the model's range [1~8]");
    CHECK(shapes_of(make_gear_set(*g, gear_options{.input_shape = "x:-1,3", .dynamic_batch_size = "4,8"}), "x") ==
          strings{"[4,3]", "[8,3]"});
    // Left out of --input_shape, a model range is dynamic: it needs a shape, except in a range gear set.
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{}); }) ==
          "E10001: Value [1~8] for parameter [x] is invalid. Reason: maybe you should set input_shape to specify its shape");
    auto two = model({{"x", shape{dim::range(1, 8), 3}}, {"y", shape{dim(), 2}}});
    CHECK(make_gear_set(*two, gear_options{.input_shape = "y:1~4,2"})[0].at("x") == shape{dim::range(1, 8), 3});
    CHECK_THROWS_AS((void)parse_profiles(gear_kind::range, "1,2"), std::invalid_argument);
}

TEST_CASE("E10001: non-tensor inputs take no shape and are left out of the gears") {
    auto g = std::make_unique<graph>("m");
    g->add_input("x", value_type::tensor_of(dtype::float32, shape{2}));
    g->add_input("seq", value_type::sequence_of(value_type::tensor_of(dtype::float32, shape{2})));
    auto gs = make_gear_set(*g, gear_options{});
    CHECK(gs.inputs() == strings{"x"});
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "seq:2"}); }) ==
          "E10001: Value [seq:2] for parameter [--input_shape] is invalid. Reason: input [seq] is a seq<float32[2]>, not a tensor, "
          "so it has no shape to set");
}

TEST_CASE("E10001: a gear option needs --input_shape") {
    auto g = resnet_placeholder();
    CHECK(report_of([&] { (void)make_gear_set(*g, gear_options{.dynamic_batch_size = "1,2"}); }) ==
          "E10001: Value [] for parameter [--input_shape] is invalid. Reason: [--dynamic_batch_size] is included, so [--input_shape] "
          "must mark the gear axes with -1\n"
          "Solution: Try again with a valid argument. For example: --input_shape=\"x:-1,3,224,224\" --dynamic_batch_size=\"1,2,4\".");
}

// ---- E10003 ... E10039 ----------------------------------------------------------------------------

TEST_CASE("E10003: a --dynamic_dims profile must have one value per -1 of all inputs") {
    auto g = model({{"a", shape{dim(), dim(), 3}}, {"b", shape{dim(), 7}}});
    gear_options o{.input_shape = "a:-1,-1,3;b:-1,7", .dynamic_dims = "1,2;3,4"};
    CHECK(report_of([&] { (void)make_gear_set(*g, o); }) ==
          "E10003: Value [1,2] for parameter [--dynamic_dims] is invalid. Reason: profile [0] has 2 values but [--input_shape] "
          "[a:-1,-1,3;b:-1,7] has 3 -1 axes; each setting needs to be consistent with the number of -1 in the input shape\n"
          "Solution: Give every profile of [--dynamic_dims] one value per -1 axis of [--input_shape] (3 here), in --input_shape "
          "order.");
    o.dynamic_dims = "1,2,3;4,5,6";
    auto gs = make_gear_set(*g, o);  // values fill the -1s of all inputs in --input_shape order
    CHECK(shapes_of(gs, "a") == strings{"[1,2,3]", "[4,5,3]"});
    CHECK(shapes_of(gs, "b") == strings{"[3,7]", "[6,7]"});
    CHECK(gs[1].profile == std::vector<std::int64_t>{4, 5, 6});
}

TEST_CASE("E10018: with --dynamic_batch_size only axis 0 may be -1") {
    auto g = model({{"a", shape{dim(), 3, dim(), dim()}}, {"b", shape{dim(), dim()}}});
    CHECK(error_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "a:-1,3,8,8;b:-1,-1", .dynamic_batch_size = "1,2"}); }) ==
          "E10018: Value [-1] for shape [1] is invalid. When [--dynamic_batch_size] is included, only batch size N can be \u20131 "
          "in [--input_shape]. (input [b])");
    CHECK(error_of([&] {
              (void)make_gear_set(*g, gear_options{.input_shape = "a:1,3,-1,8;b:1,1", .dynamic_batch_size = "1,2"});
          }).starts_with("E10018: Value [-1] for shape [2] is invalid."));
    // Neighbour: several inputs with batch -1 all take the one batch value.
    auto gs = make_gear_set(*g, gear_options{.input_shape = "a:-1,3,8,8;b:-1,4", .dynamic_batch_size = "1,2,4"});
    CHECK(shapes_of(gs, "a") == strings{"[1,3,8,8]", "[2,3,8,8]", "[4,3,8,8]"});
    CHECK(shapes_of(gs, "b") == strings{"[1,4]", "[2,4]", "[4,4]"});
}

TEST_CASE("E10019: with --dynamic_image_size only H and W may be -1, in NCHW or NHWC") {
    auto g = model({{"x", shape{dim(), dim(), dim(), dim()}}, {"t", shape{dim(), dim(), dim()}}});
    auto err = [&](gear_options o) { return error_of([&] { (void)make_gear_set(*g, o); }); };
    const std::string exact =
        "E10019: When [--dynamic_image_size] is included, only the height and width axes can be \u20131 in [--input_shape].";
    CHECK(err({.input_shape = "x:1,3,-1,-1;t:1,2,3", .input_format = "NHWC", .dynamic_image_size = "8,8;16,16"}) ==
          exact + " (input [x])");
    CHECK(err({.input_shape = "x:1,-1,8,-1", .dynamic_image_size = "8,8;16,16"}) == exact);
    CHECK(err({.input_shape = "x:1,3,-1,-1;t:1,-1,-1", .dynamic_image_size = "8,8;16,16"}) == exact + " (input [t])");
    CHECK(report_of([&] {
              (void)make_gear_set(*g,
                                  gear_options{.input_shape = "x:1,3,-1,-1", .input_format = "ND", .dynamic_image_size = "8,8;16,16"});
          }) ==
          "E10019: When [--dynamic_image_size] is included, [--input_format] must be NCHW or NHWC, but it is [ND].\n"
          "Solution: Set --input_format to NCHW or NHWC, or use [--dynamic_dims] (with --input_format=ND) for other layouts.");
    CHECK(err({.input_shape = "x:1,3,-1,-1", .input_format = "NCDHW", .dynamic_image_size = "8,8;16,16"})
              .ends_with("must be NCHW or NHWC, but it is [NCDHW]."));
    CHECK(err({.input_shape = "x:1,3,8,8", .dynamic_image_size = "8,8;16,16"}) ==
          "E10019: [--dynamic_image_size] is included, but no input in [--input_shape] has -1 height and width axes. "
          "[--input_shape] is [x:1,3,8,8].");
    auto two = model({{"a", shape{dim(), dim(), dim(), dim()}}, {"b", shape{dim(), dim(), dim(), dim()}}});
    CHECK(error_of([&] {
              (void)make_gear_set(*two, gear_options{.input_shape = "a:1,3,-1,-1;b:1,-1,-1,3", .dynamic_image_size = "8,8;16,16"});
          }) ==
          "E10019: When [--dynamic_image_size] is included, every input must have one layout, but input [a] has -1 height and "
          "width axes as in NCHW and input [b] as in NHWC.");
    // Neighbours: NHWC given explicitly; NCHW read off the axes; two inputs filled with the same H,W.
    auto nhwc = make_gear_set(
        *g, gear_options{.input_shape = "x:1,-1,-1,3;t:1,2,3", .input_format = "NHWC", .dynamic_image_size = "8,9;16,17"});
    CHECK(shapes_of(nhwc, "x") == strings{"[1,8,9,3]", "[1,16,17,3]"});
    auto both = make_gear_set(*two, gear_options{.input_shape = "a:1,3,-1,-1;b:2,1,-1,-1", .dynamic_image_size = "8,9;16,17"});
    CHECK(both.input_format() == tensor_format::nchw);
    CHECK(shapes_of(both, "b") == strings{"[2,1,8,9]", "[2,1,16,17]"});
}

TEST_CASE("E10020: a --dynamic_image_size profile must be exactly h,w") {
    auto g = resnet_placeholder();
    gear_options o{.input_shape = "Placeholder:1,-1,-1,3", .dynamic_image_size = "448,448,3;224,224"};
    CHECK(report_of([&] { (void)make_gear_set(*g, o); }) ==
          "E10020: Value [448,448,3;224,224] for parameter [--dynamic_image_size] is invalid. Profile [0] ([448,448,3]) has 3 values, "
          "but each profile must be exactly height,width.\n"
          "Solution: The value must be formatted as \"imagesize1_height,imagesize1_width;imagesize2_height,imagesize2_width\". Make "
          "sure that each profile has two dimensions.");
    o.dynamic_image_size = "448;224";
    CHECK(error_of([&] { (void)make_gear_set(*g, o); })
              .starts_with("E10020: Value [448;224] for parameter [--dynamic_image_size] is "
                           "invalid. Profile [0] ([448]) has 1 values"));
    o.dynamic_image_size = "448,448";  // a single well-formed profile is E10035, not E10020
    CHECK(code_of([&] { (void)make_gear_set(*g, o); }) == "E10035");
}

TEST_CASE("E10031: --dynamic_batch_size needs an input whose batch is -1") {
    auto g = resnet_placeholder();
    CHECK(report_of(
              [&] { (void)make_gear_set(*g, gear_options{.input_shape = "Placeholder:1,224,224,3", .dynamic_batch_size = "1,2"}); }) ==
          "E10031: [--dynamic_batch_size] is included, but none of the nodes specified in [--input_shape] have a batch size "
          "equaling \u20131. [--input_shape] is [Placeholder:1,224,224,3].\n"
          "Solution: 1. In static shape scenarios, remove the [--dynamic_batch_size] option from your command line. 2. In "
          "dynamic shape scenarios, set the corresponding axis of the dynamic-shape input in [--input_shape] to -1.");
}

TEST_CASE("E10035 / E10036: between 2 and 100 profiles") {
    auto g = model({{"x", shape{dim(), 4}}});
    auto batch = [](int n) {
        std::string s;
        for (int i = 1; i <= n; ++i) s += (i > 1 ? "," : "") + std::to_string(i);
        return s;
    };
    CHECK(make_gear_set(*g, gear_options{.input_shape = "x:-1,4", .dynamic_batch_size = batch(100)}).size() == 100);
    CHECK(report_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "x:-1,4", .dynamic_batch_size = batch(101)}); }) ==
          "E10036: [--dynamic_batch_size], [--dynamic_image_size], or [--dynamic_dims] has [101] profiles, which is greater than the "
          "maximum ([100]).\n"
          "Solution: Ensure that the number of profiles configured in [--dynamic_batch_size], [--dynamic_image_size], or "
          "[--dynamic_dims] is at most the maximum.");
    CHECK(code_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "x:-1,4", .dynamic_dims = "3"}); }) == "E10035");
    CHECK(code_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "x:-1,4", .dynamic_dims = "3;"}); }) == "E10035");
    CHECK(make_gear_set(*g, gear_options{.input_shape = "x:-1,4", .dynamic_dims = "3;5"}).size() == 2);
}

TEST_CASE("E10037: --dynamic_dims profiles of different lengths") {
    auto g = model({{"x", shape{dim(), dim()}}});
    CHECK(report_of([&] { (void)make_gear_set(*g, gear_options{.input_shape = "x:-1,-1", .dynamic_dims = "1,2;3"}); }) ==
          "E10037: The profiles configured in [--dynamic_dims] have inconsistent dimension counts. Profile [0] ([1,2]) has [2] "
          "dimensions while profile [1] ([3]) has [1] dimensions.\n"
          "Solution: Ensure that the profiles configured in [--dynamic_batch_size], [--dynamic_image_size], or [--dynamic_dims] have "
          "the same dimension count.");
    CHECK(make_gear_set(*g, gear_options{.input_shape = "x:-1,-1", .dynamic_dims = "1,2;3,4"}).size() == 2);
}

TEST_CASE("E10038: profile values must be greater than 0") {
    auto g = resnet_placeholder();
    CHECK(report_of([&] {
              (void)make_gear_set(*g, gear_options{.input_shape = "Placeholder:-1,224,224,3", .dynamic_batch_size = "1,0,4"});
          }) ==
          "E10038: Dimension size [0] in profile [1] of [--dynamic_batch_size] is invalid. The value must be greater than 0.\n"
          "Solution: Set the shape values of each profile to positive in [--dynamic_batch_size], [--dynamic_image_size], or "
          "[--dynamic_dims].");
    CHECK(error_of([&] {
              (void)make_gear_set(*g, gear_options{.input_shape = "Placeholder:1,-1,-1,3", .dynamic_image_size = "-2,224;224,224"});
          }) == "E10038: Dimension size [-2] in profile [0] of [--dynamic_image_size] is invalid. The value must be greater than 0.");
    CHECK(code_of([&] {
              (void)make_gear_set(*g, gear_options{.input_shape = "Placeholder:-1,224,224,3", .dynamic_batch_size = "-1,2"});
          }) == "E10038");
}

TEST_CASE("E10039: duplicate profiles") {
    auto g = resnet_placeholder();
    CHECK(report_of([&] {
              (void)make_gear_set(*g, gear_options{.input_shape = "Placeholder:-1,224,224,3", .dynamic_batch_size = "1,2,2"});
          }) ==
          "E10039: The [--dynamic_batch_size] argument has duplicate profiles: profile [1] and profile [2] are both [2].\n"
          "Solution: Check that the profiles configured in [--dynamic_batch_size], [--dynamic_image_size], or [--dynamic_dims] "
          "are unique.");
    CHECK(error_of([&] {
              (void)make_gear_set(*g, gear_options{.input_shape = "Placeholder:1,-1,-1,3", .dynamic_image_size = "4,8;8,4;4, 8"});
          }) == "E10039: The [--dynamic_image_size] argument has duplicate profiles: profile [0] and profile [2] are both [4,8].");
    CHECK(make_gear_set(*g, gear_options{.input_shape = "Placeholder:1,-1,-1,3", .dynamic_image_size = "4,8;8,4"}).size() == 2);
}

// ---- validate(), origins, gear_set ------------------------------------------------------------------

TEST_CASE("validate: model-free checks and what the options ask for") {
    auto r = validate({.input_shape = "a:-1,3;b:2", .input_format = "NHWC", .dynamic_batch_size = "1,2"});
    CHECK(r.kind == gear_kind::dynamic_batch_size);
    CHECK(r.format == tensor_format::nhwc);
    CHECK(r.format_given);
    CHECK(r.profiles == std::vector<std::vector<std::int64_t>>{{1}, {2}});
    REQUIRE(r.input_shapes.size() == 2);
    CHECK(r.input_shapes[1].dims == shape{2});
    auto s = validate({});
    CHECK(s.kind == gear_kind::static_shape);
    CHECK(s.format == tensor_format::nchw);  // ATC's default for ONNX
    CHECK_FALSE(s.format_given);
    CHECK(validate({.input_shape = "x:1~4"}).kind == gear_kind::range);
}

TEST_CASE("origin: errors from options read elsewhere say where they came from") {
    auto g = resnet_placeholder();
    gear_options o{.input_shape = "Placeholder:-1,224,224,3", .dynamic_batch_size = "1,1", .origin = "config file [c.ini]"};
    CHECK(error_of([&] { (void)make_gear_set(*g, o); }) ==
          "E10039: The [--dynamic_batch_size] argument has duplicate profiles: profile [0] and profile [1] are both [1]. (from config "
          "file [c.ini])");
    o = {.input_shape = "Nope:1", .origin = "config file [c.ini]"};
    CHECK(error_of([&] { (void)make_gear_set(*g, o); }).ends_with("its inputs are [Placeholder] (from config file [c.ini])"));
}

TEST_CASE("gear_set: table, lookup by profile and by shapes, input order") {
    auto g = model({{"img", shape{dim(), 3, dim(), dim()}}, {"scale", shape{dim(), 2}}});
    auto gs = make_gear_set(*g, gear_options{.input_shape = "img:-1,3,224,224;scale:-1,2", .dynamic_batch_size = "1,16"});
    CHECK(gs.to_string() ==
          "2 gears (dynamic_batch_size, input_format NCHW)\n"
          "gear  profile  img             scale\n"
          "0     1        [1,3,224,224]   [1,2]\n"
          "1     16       [16,3,224,224]  [16,2]\n");
    CHECK(gs.inputs() == strings{"img", "scale"});
    CHECK(gs.find_profile(std::vector<std::int64_t>{16}) == 1u);
    CHECK_FALSE(gs.find_profile(std::vector<std::int64_t>{2}).has_value());
    CHECK(gs.match({{"img", {16, 3, 224, 224}}, {"scale", {16, 2}}}) == 1u);
    CHECK_FALSE(gs.match({{"img", {2, 3, 224, 224}}, {"scale", {2, 2}}}).has_value());
    CHECK_FALSE(gs.match({{"img", {1, 3, 224, 224}}}).has_value());
    CHECK_THROWS_WITH_AS((void)gs[0].at("nope"), "gear 0 has no input named 'nope'", std::out_of_range);
    CHECK(gs.at(1).profile == std::vector<std::int64_t>{16});
    CHECK(gs.begin()->index == 0);

    auto one = make_gear_set(*g, gear_options{.input_shape = "img:1,3,8,8;scale:1,2"});
    CHECK(one.to_string() ==
          "1 gear (static, input_format NCHW)\n"
          "gear  img        scale\n"
          "0     [1,3,8,8]  [1,2]\n");
    auto rng = make_gear_set(*g, gear_options{.input_shape = "img:1~8,3,224,224;scale:1~8,2"});
    CHECK(rng.to_string() ==
          "1 gear (range, input_format NCHW)\n"
          "gear  img              scale\n"
          "0     [1~8,3,224,224]  [1~8,2]\n");
    CHECK(rng.match({{"img", {5, 3, 224, 224}}, {"scale", {5, 2}}}) == 0u);
    CHECK(to_string(gear_kind::dynamic_dims) == "dynamic_dims");
    CHECK(parse_tensor_format("NCDHW") == tensor_format::ncdhw);
    CHECK_FALSE(parse_tensor_format("nchw").has_value());
}

TEST_CASE("gear_set: every error is an option_error with a code and a solution") {
    auto g = resnet_placeholder();
    for (auto o : {gear_options{.dynamic_batch_size = "1,2"}, gear_options{.input_shape = "x"}, gear_options{.log = "loud"},
                   gear_options{.input_shape = "Placeholder:-1,224,224,3", .input_format = "NCHW", .dynamic_dims = "1;2"}}) {
        CHECK(code_of([&] { (void)make_gear_set(*g, o); }).starts_with("E100"));
        CHECK_THROWS_AS((void)make_gear_set(*g, o), error);
    }
}
