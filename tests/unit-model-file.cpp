// The offline model file (.gearc): exact round trips, weights stored once and mapped, atomic writes, and every
// kind of broken file refused with its own error (never a crash).
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include "test_support.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

using gearc::dim;
using gearc::dtype;
using gearc::shape;
using gearc::tensor;
using gearc::value_type;

namespace {

std::vector<float> ramp(std::size_t n, float scale = 0.01f) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(static_cast<int>(i % 13) - 6);
    return v;
}

/// gearc_test::small_cnn with ramp weights, a producer and metadata (which the file must keep).
std::unique_ptr<gearc::graph> small_cnn() {
    auto g = gearc_test::small_cnn(ramp);
    g->info().producer_name = "unit-model-file";
    g->info().metadata = {{"author", "tests"}, {"purpose", "round trip"}};
    return g;
}

/// x[1,3,H,W] -> Conv stride 2 (H becomes floor((H-1)/2)+1 in the generic graph) -> Relu -> GlobalAveragePool
/// -> Flatten -> y[1,4].
std::unique_ptr<gearc::graph> image_net() {
    auto g = std::make_unique<gearc::graph>("image_net");
    auto* x = g->add_input("x", value_type::tensor_of(dtype::float32, shape{1, 3, dim::symbol("H"), dim::symbol("W")}));
    auto* w = g->add_initializer("w", tensor::from<float>({4, 3, 3, 3}, ramp(108)));
    auto* conv = g->add_node("Conv", {x, w}, 1,
                             {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}, {"strides", std::vector<std::int64_t>{2, 2}}}, "conv")
                     ->output(0);
    auto* relu = g->add_node("Relu", {conv}, 1, {}, "relu")->output(0);
    auto* pool = g->add_node("GlobalAveragePool", {relu}, 1, {}, "pool")->output(0);
    auto* y = g->add_node("Flatten", {pool}, {g->add_value("y")}, {{"axis", std::int64_t{1}}}, "flatten")->output(0);
    g->add_output(y);
    return g;
}

/// a[N,8], b[M,8] -> Concat axis 0 ([M+N,8] in the generic graph) -> MatMul [8,4] -> Relu -> y.
std::unique_ptr<gearc::graph> two_inputs() {
    auto g = std::make_unique<gearc::graph>("two_inputs");
    auto* a = g->add_input("a", value_type::tensor_of(dtype::float32, shape{dim::symbol("N"), 8}));
    auto* b = g->add_input("b", value_type::tensor_of(dtype::float32, shape{dim::symbol("M"), 8}));
    auto* cat = g->add_node("Concat", {a, b}, 1, {{"axis", std::int64_t{0}}}, "cat")->output(0);
    auto* w = g->add_initializer("w", tensor::from<float>({8, 4}, ramp(32)));
    auto* mm = g->add_node("MatMul", {cat, w}, 1, {}, "mm")->output(0);
    auto* y = g->add_node("Relu", {mm}, {g->add_value("y")}, {}, "relu")->output(0);
    g->add_output(y);
    return g;
}

/// y = relu(x @ W + b): the smallest model, for the tests that load a file thousands of times.
std::unique_ptr<gearc::graph> tiny_mlp() {
    auto g = std::make_unique<gearc::graph>("mlp");
    auto* x = g->add_input("x", value_type::tensor_of(dtype::float32, shape{dim::symbol("N"), 4}));
    auto* w = g->add_initializer("W", tensor::from<float>({4, 3}, ramp(12, 0.1f)));
    auto* b = g->add_initializer("b", tensor::from<float>({3}, {0.5f, -1.0f, 0.25f}));
    auto* mm = g->add_node("MatMul", {x, w}, 1, {}, "mm")->output(0);
    auto* add = g->add_node("Add", {mm, b}, 1, {}, "add")->output(0);
    g->add_output(g->add_node("Relu", {add}, {g->add_value("y")}, {}, "relu")->output(0));
    return g;
}

gearc::compiled_model compiled(const gearc::graph& g, gearc::gear_options o) { return gearc::compile(g, gearc::make_gear_set(g, o)); }

gearc::compiled_model batch_model(const std::string& batches) {
    auto g = small_cnn();
    return compiled(*g, {.input_shape = "x:-1,3,8,8", .dynamic_batch_size = batches});
}

gearc::compiled_model tiny_model() {
    auto g = tiny_mlp();
    return compiled(*g, {.input_shape = "x:-1,4", .dynamic_batch_size = "1,2"});
}

/// Every value of a graph (the printer shows only those on a list or a node), one line each, sorted.
std::vector<std::string> value_table(const gearc::graph& g) {
    std::vector<std::string> out;
    for (const auto& v : g.values()) {
        std::string s = v.name() + " : " + v.type().to_string();
        if (v.is_graph_input()) s += " input";
        if (v.is_graph_output()) s += " output";
        if (v.is_outer_ref()) s += " outer";
        if (v.initializer()) s += " = " + gearc::detail::tensor_summary(*v.initializer());
        if (v.producer()) s += " from " + v.producer()->describe() + "#" + std::to_string(v.producer_index());
        s += " uses " + std::to_string(v.uses().size());
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end());
    return out;
}

void check_same_info(const gearc::model_info& a, const gearc::model_info& b) {
    CHECK(a.ir_version == b.ir_version);
    CHECK(a.opset_imports == b.opset_imports);
    CHECK(a.producer_name == b.producer_name);
    CHECK(a.producer_version == b.producer_version);
    CHECK(a.domain == b.domain);
    CHECK(a.model_version == b.model_version);
    CHECK(a.doc_string == b.doc_string);
    CHECK(a.metadata == b.metadata);
    CHECK(a.source_path == b.source_path);
}

void check_same_graph(const gearc::graph& a, const gearc::graph& b) {
    CHECK(gearc::to_text(a) == gearc::to_text(b));
    CHECK(value_table(a) == value_table(b));
    check_same_info(a.info(), b.info());
    CHECK(gearc::detail::compiling::opset_of(a) == gearc::detail::compiling::opset_of(b));
    if (gearc::verify(a).empty()) CHECK(gearc::verify(b).empty());
}

void check_same_gear(const gearc::gear& a, const gearc::gear& b) {
    CHECK(a.index == b.index);
    CHECK(a.profile == b.profile);
    CHECK(a.shapes == b.shapes);
    CHECK(a.bindings == b.bindings);
}

/// Everything a compiled model holds is equal: gear table, graphs (printed, every value, model info),
/// memory plans, flags, stats, times, and which buffers are shared.
void check_same_model(const gearc::compiled_model& a, const gearc::compiled_model& b) {
    CHECK(a.gears().to_string() == b.gears().to_string());
    CHECK(a.gears().kind() == b.gears().kind());
    CHECK(a.gears().input_format() == b.gears().input_format());
    CHECK(a.gears().inputs() == b.gears().inputs());
    REQUIRE(a.gears().size() == b.gears().size());
    for (std::size_t i = 0; i < a.gears().size(); ++i) check_same_gear(a.gears()[i], b.gears()[i]);
    check_same_graph(a.generic_graph(), b.generic_graph());
    CHECK(a.generic_stats() == b.generic_stats());
    CHECK(a.generic_ms() == b.generic_ms());
    CHECK(a.total_ms() == b.total_ms());
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("gear " << i);
        const auto& pa = a.plan(i);
        const auto& pb = b.plan(i);
        check_same_gear(pa.info, pb.info);
        check_same_graph(*pa.graph, *pb.graph);
        CHECK(pa.memory == pb.memory);
        CHECK(pa.memory.arena_bytes == pb.memory.arena_bytes);
        CHECK(pa.bounded_dynamic == pb.bounded_dynamic);
        CHECK(pa.dynamic_memory == pb.dynamic_memory);
        CHECK(pa.stats == pb.stats);
        CHECK(pa.compile_ms == pb.compile_ms);
        if (!pb.dynamic_memory) CHECK(gearc::passes::check_plan(*pb.graph, pb.memory).empty());
        // a weight shared with the generic graph is still shared
        for (const auto* v : pa.graph->initializers()) {
            const auto* gv = a.generic_graph().find_value(v->name());
            if (!gv || !gv->initializer() || !v->initializer()->data().shares_with(gv->initializer()->data())) continue;
            const auto* lv = pb.graph->find_value(v->name());
            const auto* lg = b.generic_graph().find_value(v->name());
            REQUIRE(lv);
            REQUIRE(lg);
            CHECK(lv->initializer()->data().shares_with(lg->initializer()->data()));
        }
    }
    CHECK(a.weight_bytes() == b.weight_bytes());
}

/// Every buffer of the model's graphs lies inside `bytes`.
bool weights_inside(const gearc::compiled_model& m, std::span<const std::byte> bytes) {
    bool ok = true;
    std::size_t n = 0;
    auto check = [&](const gearc::graph& g) {
        for (const auto* v : g.initializers()) {
            const auto& b = v->initializer()->data();
            if (!b.size()) continue;
            ++n;
            ok = ok && b.data() >= bytes.data() && b.data() + b.size() <= bytes.data() + bytes.size();
        }
    };
    check(m.generic_graph());
    for (const auto& p : m.plans()) check(*p.graph);
    return ok && n > 0;
}

/// How many distinct weight buffers the model's graphs hold.
std::size_t distinct_buffers(const gearc::compiled_model& m) {
    std::set<const std::byte*> seen;
    auto add = [&](const gearc::graph& g) {
        for (const auto* v : g.initializers())
            if (v->initializer()->data().size()) seen.insert(v->initializer()->data().data());
    };
    add(m.generic_graph());
    for (const auto& p : m.plans()) add(*p.graph);
    return seen.size();
}

std::vector<std::byte> read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(c.size());
    std::memcpy(out.data(), c.data(), c.size());
    return out;
}

void write_bytes(const std::string& path, std::span<const std::byte> bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// Puts a correct checksum on bytes changed on purpose, so that the structure readers see them.
void reseal(std::vector<std::byte>& b) {
    const auto h = gearc::detail::model_file::checksum(std::span<const std::byte>(b).first(b.size() - 8));
    for (std::size_t i = 0; i < 8; ++i) b[b.size() - 8 + i] = static_cast<std::byte>((h >> (8 * i)) & 0xff);
}

/// The error loading `bytes` throws (every one must say how to fix it), as "CODE: message"; "(no error)".
std::string load_error(std::span<const std::byte> bytes, const std::string& name = "m.gearc") {
    return gearc_test::any_error_of([&] { (void)gearc::load_model_from_memory(bytes, name); });
}

std::string code_of_text(const std::string& what) { return what.substr(0, what.find(':')); }

}  // namespace

TEST_CASE("round trip: dynamic batch size, through a file that is mapped, with metadata") {
    auto m = batch_model("1,2,4,8");
    gearc_test::temp_dir dir("model-file");
    const auto path = dir.file("cnn.gearc");
    const gearc::model_file_metadata meta{{"--soc_version", "Ascend310P3"},
                                          {"--input_shape", "x:-1,3,8,8"},
                                          {"command_line", "gearc compile --model=cnn.onnx --dynamic_batch_size=1,2,4,8"},
                                          {"empty", ""},
                                          {"binary", std::string("a\0b\xff", 4)}};
    gearc::save_model(m, path, meta);
    CHECK(dir.listing() == std::vector<std::string>{"cnn.gearc"});  // no temporary file left

    const auto loaded = gearc::load_model(path);
    REQUIRE(loaded.model);
    check_same_model(m, *loaded.model);
    CHECK(loaded.metadata == meta);
    CHECK(loaded.file.format_version == gearc::model_file_format_version);
    CHECK(loaded.file.written_by == "0.1.0");
    CHECK(loaded.file.file_bytes == std::filesystem::file_size(path));
    // the weights point into the mapping of the file, not into a copy on the heap
    CHECK(loaded.file.mapped);
    CHECK(weights_inside(*loaded.model, loaded.file.bytes));
    CHECK(loaded.model->weight_bytes() == m.weight_bytes());
    // the model outlives the loaded_model that carried it
    std::shared_ptr<const gearc::compiled_model> kept;
    {
        auto again = gearc::load_model(path);
        kept = again.model;
    }
    check_same_model(m, *kept);
}

TEST_CASE("round trip: dynamic image size, symbolic dims derived with dim_expr in the generic graph") {
    auto g = image_net();
    auto m = compiled(*g, {.input_shape = "x:1,3,-1,-1", .dynamic_image_size = "8,8;16,12;5,7"});
    REQUIRE(m.size() == 3);
    // the generic graph holds expressions such as floor((H-1)/2)+1
    bool derived = false;
    for (const auto& v : m.generic_graph().values())
        if (v.type().has_shape())
            for (const auto& d : *v.type().dims) derived = derived || (d.is_symbol() && d.name() != "H" && d.name() != "W");
    CHECK(derived);
    auto loaded = gearc::load_model_from_memory(gearc::save_model_to_memory(m));
    check_same_model(m, *loaded.model);
    CHECK(loaded.metadata.empty());
    CHECK_FALSE(loaded.file.mapped);
    CHECK(weights_inside(*loaded.model, loaded.file.bytes));
}

TEST_CASE("round trip: dynamic dims over two inputs (ND)") {
    auto g = two_inputs();
    auto m = compiled(*g, {.input_shape = "a:-1,8;b:-1,8", .input_format = "ND", .dynamic_dims = "1,2;3,5;4,4"});
    REQUIRE(m.size() == 3);
    CHECK(m.gears().kind() == gearc::gear_kind::dynamic_dims);
    CHECK(m.gears()[1].bindings == gearc::symbol_bindings{{"M", 5}, {"N", 3}});
    auto loaded = gearc::load_model_from_memory(gearc::save_model_to_memory(m));
    check_same_model(m, *loaded.model);
    CHECK(loaded.model->gears().match({{"a", {3, 8}}, {"b", {5, 8}}}) == std::optional<std::size_t>{1});
}

TEST_CASE("round trip: a range gear (bounded-dynamic plan)") {
    auto g = small_cnn();
    auto m = compiled(*g, {.input_shape = "x:1~8,3,8,8"});
    REQUIRE(m.size() == 1);
    REQUIRE(m.plan(0).bounded_dynamic);
    auto loaded = gearc::load_model_from_memory(gearc::save_model_to_memory(m));
    check_same_model(m, *loaded.model);
    CHECK(loaded.model->gears().is_bounded_dynamic());
}

TEST_CASE("round trip: every attribute kind, every value kind, shared and overlapping buffers, subgraphs") {
    auto g = std::make_shared<gearc::graph>("every_kind");
    auto& info = g->info();
    info.ir_version = 7;
    info.opset_imports = {{"", 13}, {"ai.gearc", 1}, {"org.test", 3}};
    info.producer_name = "unit-model-file";
    info.producer_version = "1.2.3";
    info.domain = "org.test";
    info.model_version = 42;
    info.doc_string = "a doc string\nover two lines";
    info.metadata = {{"k", "v"}, {"k", "v2"}, {"", ""}};
    info.source_path = "/nowhere/every_kind.onnx";

    auto* x = g->add_input("x", value_type::tensor_of(dtype::float32, shape{dim::symbol("N"), dim::range(1, 8), dim::range(2, -1),
                                                                             dim::unknown(), dim::symbol("floor((H-1)/2)+1"), 3}));
    auto* s = g->add_input("s", value_type::sequence_of(value_type::tensor_of(dtype::int64, shape{2})));
    auto* o = g->add_input("o", value_type::optional_of(value_type::tensor_of(dtype::float16)));  // unknown rank
    auto* u = g->add_input("u", value_type::unknown());
    auto* d = g->add_input("d", value_type::tensor_of(dtype::float32, shape{4}));
    g->set_initializer(d, tensor::from<float>({4}, {1, 2, 3, 4}));  // an input with a default (IR < 4)
    // one block of memory seen through three overlapping buffers
    auto block = std::make_shared<std::vector<std::byte>>(256);
    for (std::size_t i = 0; i < block->size(); ++i) (*block)[i] = static_cast<std::byte>(i * 7 + 1);
    const gearc::buffer whole(block, block->data(), 256), view1(block, block->data() + 64, 64), view2(block, block->data() + 96, 64);
    auto* w = g->add_initializer("w", tensor(dtype::float32, {64}, whole));
    auto* w1 = g->add_initializer("w1", tensor(dtype::int32, {16}, view1));
    auto* w2 = g->add_initializer("w2", tensor(dtype::uint8, {8, 8}, view2));
    auto* e = g->add_initializer("empty", tensor::from<float>({0, 3}, std::vector<float>{}));
    auto* str = g->add_initializer("strs", tensor(dtype::string, {2}, gearc::buffer::copy_of("ab\0cd", 5)));
    auto* b16 = g->add_initializer("half", tensor(dtype::float16, {3}, gearc::buffer::copy_of("\x00\x3c\x00\xc0\xff\x7f", 6)));
    auto* flags = g->add_initializer("flags", tensor::from<bool>({3}, {true, false, true}));

    auto then_g = std::make_shared<gearc::graph>("then");
    auto* tx = then_g->add_outer_ref("x", x->type());
    then_g->add_output(then_g->add_node("Identity", {tx}, 1, {}, "then_id")->output(0));
    auto else_g = std::make_shared<gearc::graph>("else");
    auto* ex = else_g->add_outer_ref("x");
    auto* ew = else_g->add_initializer("ew", tensor(dtype::float32, {64}, whole));  // the outer graph's bytes again
    auto nested = std::make_shared<gearc::graph>("nested");
    nested->add_output(nested->add_node("Constant", {}, 1, {{"value", tensor::from<float>({1}, {2.5f})}}, "c")->output(0));
    else_g->add_output(else_g->add_node("Neg", {ex}, 1, {{"body", nested}}, "else_neg")->output(0));
    else_g->add_output(ew);

    const float nan = std::bit_cast<float>(0x7fc01234u);  // a NaN with a payload
    const std::string text = std::string("text with \"quotes\", a NUL ") + '\0' + " and bytes \xff\xfe";
    gearc::node::attribute_list attrs{
        {"undefined", gearc::attribute{}},
        {"f", 1.5f},
        {"nan", nan},
        {"negzero", -0.0f},
        {"inf", -std::numeric_limits<float>::infinity()},
        {"i", std::int64_t{-7}},
        {"big", std::numeric_limits<std::int64_t>::min()},
        {"s", text},
        {"t", tensor::from<std::int64_t>({2}, {3, -4})},
        {"t_shared", tensor(dtype::float32, {64}, whole)},
        {"g", then_g},
        {"tp", value_type::sequence_of(value_type::tensor_of(dtype::bfloat16, shape{dim::symbol("K"), 2}))},
        {"floats", std::vector<float>{0.5f, -2.f, nan}},
        {"ints", std::vector<std::int64_t>{1, -1, std::numeric_limits<std::int64_t>::max()}},
        {"strings", std::vector<std::string>{"a", "", "c"}},
        {"tensors", std::vector<tensor>{tensor(dtype::int32, {16}, view1), tensor::from<double>({2}, {1.0, -0.25})}},
        {"graphs", std::vector<std::shared_ptr<gearc::graph>>{else_g, nullptr}},
        {"type_protos", std::vector<value_type>{value_type::optional_of(value_type::tensor_of(dtype::complex64, shape{})), value_type{}}},
        {"no_ints", std::vector<std::int64_t>{}},
        {"no_graph", std::shared_ptr<gearc::graph>{}},
    };
    auto* y = g->add_value("y", value_type::tensor_of(dtype::float32));
    auto* y2 = g->add_value("y2");
    auto* custom = g->add_node("Custom", {x, nullptr, s, o, u, d, w, w1, w2, e, str, b16, flags}, {y, nullptr, y2}, std::move(attrs),
                               "custom", "org.test");
    auto* z = g->add_node("Identity", {custom->output(0)}, {g->add_value("z")}, {}, "dup")->output(0);
    auto* z2 = g->add_node("Identity", {custom->output(2)}, {g->add_value("z2")}, {}, "dup")->output(0);  // same node name
    auto* z3 = g->add_node("Identity", {z}, 1)->output(0);                                                  // no name
    (void)g->add_value("dangling", value_type::tensor_of(dtype::int8, shape{1}));                         // defined by nothing
    g->add_output(z);
    g->add_output(z2);
    g->add_output(z3);
    g->add_output(x);  // an input that is also an output
    g->add_output(z);  // twice

    // a compiled model around it: two gears whose plans share one graph (a clone, sharing every buffer)
    gearc::compiled_model m;
    using access = gearc::detail::compiling::access;
    access::generic(m) = g;
    std::vector<gearc::gear> gs{{0, {2}, {{"x", shape{2, 3, 4, 5, 6, 3}}}, {{"N", 2}, {"H", 11}}},
                                {1, {4}, {{"x", shape{4, 3, 4, 5, 6, 3}}}, {{"N", 4}}}};
    access::gears(m) = gearc::gear_set(gearc::gear_kind::dynamic_dims, gearc::tensor_format::nd, {"x", "s", "o", "u", "d"}, gs);
    std::shared_ptr<const gearc::graph> shared_plan_graph(g->clone());
    for (std::size_t i = 0; i < 2; ++i) {
        gearc::gear_plan p;
        p.info = gs[i];
        p.graph = shared_plan_graph;
        p.memory.slots = {{"y", 0, 128, 0, 2, ""}, {"y2", 128, 64, 0, 1, ""}, {"z", 0, 128, 1, 3, "y"}};
        p.memory.arena_bytes = 192;
        p.memory.naive_bytes = 320;
        p.memory.in_place = 1;
        p.memory.alignment = 64;
        p.bounded_dynamic = i == 0;
        p.dynamic_memory = true;
        p.stats = {{"fold_constants", 3 + i}, {"fuse", 0}};
        p.compile_ms = 1.25 + static_cast<double>(i);
        access::plans(m).push_back(std::move(p));
    }
    access::generic_stats(m) = {{"infer_shapes", 12}};
    access::generic_ms(m) = 0.1;
    access::total_ms(m) = 3.3;

    const auto bytes = gearc::save_model_to_memory(m);
    auto loaded = gearc::load_model_from_memory(bytes);
    const auto& lm = *loaded.model;
    check_same_model(m, lm);
    // the plans still share one graph
    CHECK(lm.plan(0).graph == lm.plan(1).graph);
    CHECK(lm.plan(0).graph.get() != &lm.generic_graph());

    // floats keep their bits (NaN payload, the sign of zero), strings their bytes
    const auto& lg = lm.generic_graph();
    const auto* lc = lg.find_node("custom");
    REQUIRE(lc);
    CHECK(std::bit_cast<std::uint32_t>(lc->attr<float>("nan")) == 0x7fc01234u);
    CHECK(std::signbit(lc->attr<float>("negzero")));
    CHECK(lc->attr<std::string>("s") == text);
    CHECK(std::bit_cast<std::uint32_t>(lc->attr<std::vector<float>>("floats")[2]) == 0x7fc01234u);
    CHECK(lc->attr<std::int64_t>("big") == std::numeric_limits<std::int64_t>::min());
    CHECK(lc->find_attr("undefined")->get_kind() == gearc::attribute::kind::undefined);
    CHECK(lc->input(1) == nullptr);
    CHECK(lc->output(1) == nullptr);
    CHECK(lc->domain() == "org.test");
    REQUIRE(lc->attributes().size() == custom->attributes().size());
    for (std::size_t i = 0; i < lc->attributes().size(); ++i) {
        CHECK(lc->attributes()[i].first == custom->attributes()[i].first);
        CHECK(lc->attributes()[i].second.get_kind() == custom->attributes()[i].second.get_kind());
    }
    CHECK(lg.find_value("dangling"));
    CHECK_FALSE(lg.find_value("dangling")->is_defined());
    CHECK(lg.find_value("d")->is_graph_input());
    CHECK(lg.find_value("d")->is_initializer());
    CHECK(lg.outputs().size() == 5);

    // the overlapping views overlap the same way; the bytes shared with subgraphs and attributes are the same bytes
    const auto* lw = lg.find_value("w")->initializer()->data().data();
    CHECK(lg.find_value("w1")->initializer()->data().data() == lw + 64);
    CHECK(lg.find_value("w2")->initializer()->data().data() == lw + 96);
    CHECK(lc->attr<tensor>("t_shared").data().data() == lw);
    CHECK(lc->attr<std::vector<tensor>>("tensors")[0].data().data() == lw + 64);
    const auto else_loaded = lc->attr<std::vector<std::shared_ptr<gearc::graph>>>("graphs");
    REQUIRE(else_loaded.size() == 2);
    REQUIRE(else_loaded[0]);
    CHECK_FALSE(else_loaded[1]);
    CHECK(else_loaded[0]->find_value("ew")->initializer()->data().data() == lw);
    CHECK(else_loaded[0]->outer_refs().size() == 1);
    CHECK(lm.plan(0).graph->find_value("w")->initializer()->data().data() == lw);  // plans share the generic graph's bytes
    CHECK(lg.find_value("empty")->initializer()->nbytes() == 0);
    // the 256-byte block is stored once, however many tensors see it
    CHECK(loaded.file.weight_bytes < 256 + 6 * 64 + 7 * 64);
    CHECK(lm.weight_bytes() == m.weight_bytes());

    // saving the loaded model gives the same bytes (a file does not depend on heap addresses)
    CHECK(gearc::save_model_to_memory(lm) == bytes);
}

TEST_CASE("a model file is reproducible: the same bytes in memory, in a file, and after a round trip") {
    auto m = batch_model("1,3");
    gearc_test::temp_dir dir("model-file");
    const gearc::model_file_metadata meta{{"k", "v"}};
    const auto bytes = gearc::save_model_to_memory(m, meta);
    gearc::save_model(m, dir.file("a.gearc"), meta);
    CHECK(read_bytes(dir.file("a.gearc")) == bytes);
    auto loaded = gearc::load_model(dir.file("a.gearc"));
    CHECK(gearc::save_model_to_memory(*loaded.model, loaded.metadata) == bytes);
    CHECK(gearc::save_model_to_memory(m, meta) == bytes);
    // the file starts with the signature and the format version
    CHECK(bytes.size() % 8 == 0);
    CHECK(static_cast<unsigned>(bytes[0]) == 0x89);
    CHECK(std::string(reinterpret_cast<const char*>(bytes.data()) + 1, 7) == "GEARC\r\n");
    CHECK(static_cast<unsigned>(bytes[8]) == gearc::model_file_format_version);
}

TEST_CASE("the weights are stored once, not once per gear (10 gears)") {
    auto g = std::make_unique<gearc::graph>("wide");  // 1 MiB of weights
    auto* x = g->add_input("x", value_type::tensor_of(dtype::float32, shape{dim::symbol("N"), 512}));
    auto* w = g->add_initializer("w", tensor::from<float>({512, 512}, ramp(512 * 512)));
    auto* b = g->add_initializer("b", tensor::from<float>({512}, ramp(512)));
    auto* mm = g->add_node("MatMul", {x, w}, 1, {}, "mm")->output(0);
    auto* add = g->add_node("Add", {mm, b}, 1, {}, "add")->output(0);
    g->add_output(g->add_node("Relu", {add}, {g->add_value("y")}, {}, "relu")->output(0));
    auto ten = compiled(*g, {.input_shape = "x:-1,512", .dynamic_batch_size = "1,2,3,4,5,6,7,8,9,10"});
    auto two = compiled(*g, {.input_shape = "x:-1,512", .dynamic_batch_size = "1,2"});
    REQUIRE(ten.size() == 10);
    const std::size_t weights = 512 * 512 * 4 + 512 * 4;
    CHECK(ten.weight_bytes() >= weights);
    CHECK(ten.weight_bytes() < weights + 4096);

    gearc_test::temp_dir dir("model-file");
    gearc::save_model(ten, dir.file("ten.gearc"));
    gearc::save_model(two, dir.file("two.gearc"));
    const auto ten_size = std::filesystem::file_size(dir.file("ten.gearc"));
    const auto two_size = std::filesystem::file_size(dir.file("two.gearc"));
    MESSAGE("weights " << ten.weight_bytes() << " bytes; file with 10 gears " << ten_size << " bytes, with 2 gears " << two_size);
    CHECK(ten_size >= ten.weight_bytes());
    CHECK(ten_size < ten.weight_bytes() + 64 * 1024);   // the weights once, plus graphs and plans
    CHECK(ten_size - two_size < ten.weight_bytes() / 8);  // 8 more gears cost their graphs, not their weights

    auto loaded = gearc::load_model(dir.file("ten.gearc"));
    CHECK(loaded.file.mapped);
    CHECK(loaded.model->weight_bytes() == ten.weight_bytes());
    CHECK(loaded.file.weight_bytes < ten.weight_bytes() + 64 * distinct_buffers(ten));
    CHECK(weights_inside(*loaded.model, loaded.file.bytes));
    // every gear's W is the same mapped bytes, 64-byte aligned
    const auto* w0 = loaded.model->plan(0).graph->find_value("w");
    REQUIRE(w0);
    const auto* wdata = w0->initializer()->data().data();
    CHECK(reinterpret_cast<std::uintptr_t>(wdata) % 64 == 0);
    for (const auto& p : loaded.model->plans()) CHECK(p.graph->find_value("w")->initializer()->data().data() == wdata);
    check_same_model(ten, *loaded.model);
}

TEST_CASE("reading into memory instead of mapping gives the same model") {
    auto m = batch_model("2,4");
    gearc_test::temp_dir dir("model-file");
    gearc::save_model(m, dir.file("m.gearc"));
    auto loaded = gearc::load_model(dir.file("m.gearc"), {.map_weights = false});
    CHECK_FALSE(loaded.file.mapped);
    check_same_model(m, *loaded.model);
    CHECK(weights_inside(*loaded.model, loaded.file.bytes));
    auto verified = gearc::load_model(dir.file("m.gearc"), {.verify = true});
    check_same_model(m, *verified.model);
}

TEST_CASE("every truncation of a model file is refused with GC7003 (or GC7001), never a crash") {
    const auto bytes = gearc::save_model_to_memory(tiny_model());
    MESSAGE("tiny model file: " << bytes.size() << " bytes");
    std::map<std::string, std::size_t> codes;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        const auto what = load_error(std::span<const std::byte>(bytes).first(n));
        const auto code = code_of_text(what);
        ++codes[code];
        if (code != "GC7003" && code != "GC7001") {
            FAIL_CHECK("truncated to " << n << " bytes: " << what);
            continue;
        }
        if (what.find("[m.gearc]") == std::string::npos) FAIL_CHECK("truncated to " << n << " bytes, the message does not name the file: " << what);
    }
    CHECK(codes["GC7003"] == bytes.size());  // the signature's prefix is a truncated model file too
    CHECK(load_error(std::span<const std::byte>(bytes).first(0)) == "GC7003: model file [m.gearc] is truncated or corrupted: it is empty");
    CHECK(load_error(std::span<const std::byte>(bytes).first(bytes.size() - 1)).find("(the end is missing)") != std::string::npos);
    // bytes after the end are refused too
    auto longer = bytes;
    longer.push_back(std::byte{0});
    CHECK(code_of_text(load_error(longer)) == "GC7003");
}

TEST_CASE("every flipped byte of a model file is refused") {
    const auto bytes = gearc::save_model_to_memory(tiny_model());
    std::map<std::string, std::size_t> codes;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        for (const unsigned mask : {0xffu, 0x01u, 0x80u}) {
            auto b = bytes;
            b[i] ^= static_cast<std::byte>(mask);
            const auto what = load_error(b);
            const auto code = code_of_text(what);
            ++codes[code];
            const bool expected = i < 8 ? code == "GC7001" : i < 12 ? (code == "GC7002" || code == "GC7003") : code == "GC7003";
            if (!expected) FAIL_CHECK("byte " << i << " ^ " << mask << ": " << what);
        }
    CHECK(codes["GC7001"] == 8 * 3);
    CHECK(codes["GC7002"] + codes["GC7003"] == (bytes.size() - 8) * 3);
    // the checksum is what catches a flipped byte in the body
    auto b = bytes;
    b[bytes.size() / 2] ^= std::byte{0x10};
    CHECK(load_error(b).find("checksum mismatch") != std::string::npos);
}

TEST_CASE("a file whose structure is broken but whose checksum is right is refused or loads, never crashes") {
    // what a crafted file reaches: every count, offset, index and kind byte is checked before use
    const auto bytes = gearc::save_model_to_memory(tiny_model());
    std::size_t refused = 0, loaded = 0;
    std::mt19937 rng(7);
    for (std::size_t i = 8; i + 8 < bytes.size(); ++i)
        for (int variant = 0; variant < 3; ++variant) {
            auto b = bytes;
            if (variant == 0) b[i] ^= std::byte{0xff};
            else if (variant == 1) b[i] = static_cast<std::byte>(rng() & 0xff);
            else
                for (std::size_t k = i; k < std::min(i + 8, bytes.size() - 8); ++k) b[k] = std::byte{0xff};  // a huge count
            reseal(b);
            try {
                auto m = gearc::load_model_from_memory(b, "crafted.gearc");
                ++loaded;
                if (m.model->size()) (void)gearc::to_text(m.model->generic_graph());  // what loaded is usable
            } catch (const gearc::error& e) {
                ++refused;
                const std::string code = e.code();
                if (code != "GC7003" && code != "GC7002") FAIL_CHECK("byte " << i << " variant " << variant << ": " << e.what());
                CHECK_FALSE(e.solution().empty());
            }
        }
    MESSAGE(refused << " refused, " << loaded << " loaded (a changed name or weight is still a valid file)");
    CHECK(refused > 0);
    // refused with a message that names the section and the byte
    auto b = bytes;
    const std::size_t table = 64;
    const auto grph = static_cast<std::size_t>(gearc::detail::model_file::load_le(b.data() + table + 3 * 24 + 8, 8));
    for (std::size_t k = 0; k < 8; ++k) b[grph + k] = std::byte{0xff};  // the number of graphs
    reseal(b);
    CHECK(load_error(b, "crafted.gearc") ==
          "GC7003: model file [crafted.gearc] is truncated or corrupted: section GRPH, byte " + std::to_string(grph + 8) +
              ": the number of graphs (18446744073709551615) does not fit in the " +
              std::to_string(static_cast<std::size_t>(gearc::detail::model_file::load_le(b.data() + table + 3 * 24 + 16, 8)) - 8) +
              " bytes left");
}

TEST_CASE("a file that is not a model file is GC7001; one from a newer gearc is GC7002 naming the version") {
    gearc_test::temp_dir dir("model-file");
    // an ONNX model (a protobuf) is not a model file
    const std::string onnx_like = "\x08\x07\x12\x07pytorch\x1a\x05" "2.1.0";
    write_bytes(dir.file("model.onnx"), std::as_bytes(std::span(onnx_like.data(), onnx_like.size())));
    const auto what = gearc_test::any_error_of([&] { (void)gearc::load_model(dir.file("model.onnx")); });
    CHECK(what == "GC7001: [" + dir.file("model.onnx") +
                      "] is not a gearc model file: it starts with 08 07 12 07 70 79 74 6f, not the .gearc signature 89 47 45 41 52 43 0d 0a");
    CHECK(code_of_text(load_error(std::as_bytes(std::span("GEARC\r\n\x89", 8)))) == "GC7001");
    CHECK(code_of_text(load_error(std::as_bytes(std::span("x", 1)))) == "GC7001");

    auto bytes = gearc::save_model_to_memory(tiny_model());
    bytes[8] = std::byte{2};  // format version 2
    const auto report = gearc_test::any_error_of([&] { (void)gearc::load_model_from_memory(bytes, "new.gearc"); });
    CHECK(report == "GC7002: model file [new.gearc] was written by gearc 0.1.0 in model file format version 2; this gearc (0.1.0) "
                    "reads format versions up to 1");
    try {
        (void)gearc::load_model_from_memory(bytes, "new.gearc");
    } catch (const gearc::model_error& e) {
        CHECK(e.solution() == "Load it with gearc 0.1.0 or later, or compile the model again with this gearc and save it.");
    }
    bytes[8] = std::byte{0};
    bytes[10] = std::byte{1};  // version 65536 from gearc 3.1.0
    bytes[24] = std::byte{3};
    CHECK(load_error(bytes, "new.gearc").find("was written by gearc 3.1.0 in model file format version 65536") != std::string::npos);
}

TEST_CASE("a model file that cannot be read is GC7004 with the system's reason") {
    gearc_test::temp_dir dir("model-file");
    const auto missing = dir.file("missing.gearc");
    CHECK(gearc_test::any_error_of([&] { (void)gearc::load_model(missing); }) ==
          "GC7004: cannot open model file [" + missing + "]: No such file or directory");
    CHECK(gearc_test::any_error_of([&] { (void)gearc::load_model(dir.path); }) ==
          "GC7004: cannot read model file [" + dir.path.string() + "]: Is a directory");
    CHECK(gearc_test::any_error_of([&] { (void)gearc::load_model(missing, {.map_weights = false}); }) ==
          "GC7004: cannot open model file [" + missing + "]: No such file or directory");
    // an empty file is a truncated model file
    write_bytes(dir.file("empty.gearc"), {});
    CHECK(gearc_test::any_error_of([&] { (void)gearc::load_model(dir.file("empty.gearc")); }) ==
          "GC7003: model file [" + dir.file("empty.gearc") + "] is truncated or corrupted: it is empty");
}

TEST_CASE("saving is atomic: a failed save throws GC7004 and leaves nothing; a good one replaces the file whole") {
    auto m = tiny_model();
    gearc_test::temp_dir dir("model-file");

    // a directory that does not exist
    const auto in_missing_dir = (dir.path / "no" / "such" / "dir" / "m.gearc").string();
    const auto what = gearc_test::any_error_of([&] { gearc::save_model(m, in_missing_dir); });
    CHECK(what.rfind("GC7004: cannot create a temporary file next to [" + in_missing_dir + "]: No such file or directory", 0) == 0);
    CHECK(dir.listing().empty());

    // a path under a regular file
    write_bytes(dir.file("plain"), std::as_bytes(std::span("x", 1)));
    CHECK(gearc_test::any_code_of([&] { gearc::save_model(m, dir.file("plain") + "/m.gearc"); }) == "GC7004");
    CHECK(dir.listing() == std::vector<std::string>{"plain"});

    // a path that is a directory: the rename fails, the temporary file is removed
    std::filesystem::create_directory(dir.path / "taken.gearc");
    const auto taken = dir.file("taken.gearc");
    const auto msg = gearc_test::any_error_of([&] { gearc::save_model(m, taken); });
    CHECK(msg.rfind("GC7004: cannot replace file [" + taken + "]: ", 0) == 0);
    CHECK(dir.listing() == std::vector<std::string>{"plain", "taken.gearc"});
    CHECK(std::filesystem::is_empty(dir.path / "taken.gearc"));

    // the solution says what to check
    try {
        gearc::save_model(m, in_missing_dir);
    } catch (const gearc::model_error& e) {
        CHECK(e.solution() == "Check that the directory exists and is writable, and that the disk has room.");
    }

    // an existing file is replaced by the whole new file
    const auto path = dir.file("m.gearc");
    write_bytes(path, std::as_bytes(std::span("old contents", 12)));
    gearc::save_model(m, path, {{"k", "v"}});
    CHECK(read_bytes(path) == gearc::save_model_to_memory(m, {{"k", "v"}}));
    CHECK(gearc::load_model(path).metadata.at("k") == "v");
    CHECK(dir.listing() == std::vector<std::string>{"m.gearc", "plain", "taken.gearc"});
}

TEST_CASE("an empty compiled model round-trips") {
    gearc::compiled_model empty;
    const auto bytes = gearc::save_model_to_memory(empty);
    auto loaded = gearc::load_model_from_memory(bytes);
    CHECK(loaded.model->size() == 0);
    CHECK(loaded.model->gears().empty());
    CHECK(loaded.model->weight_bytes() == 0);
    CHECK(gearc::save_model_to_memory(*loaded.model) == bytes);
}
