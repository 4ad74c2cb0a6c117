// Tests of the ONNX front end: types, attributes, tensors, external data, graph structure, errors, export.
#include <doctest/doctest.h>

#include <gearc/frontend/onnx.hpp>

#include "test_support.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace pb = ::onnx;
namespace fs = std::filesystem;
using gearc::dim;
using gearc::dtype;
using gearc::value_type;

using gearc_test::temp_dir;

namespace {

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(f.good());
}
std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// Dims written as text: "3" a value, "N" a symbol, "?" unknown.
void set_tensor_type(pb::TypeProto* tp, int elem, std::optional<std::vector<std::string>> dims) {
    auto* tt = tp->mutable_tensor_type();
    tt->set_elem_type(elem);
    if (!dims) return;
    auto* s = tt->mutable_shape();
    for (const auto& d : *dims) {
        auto* pd = s->add_dim();
        if (d == "?") continue;
        if (std::all_of(d.begin(), d.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) pd->set_dim_value(std::stoll(d));
        else pd->set_dim_param(d);
    }
}
pb::ValueInfoProto* typed(pb::ValueInfoProto* vi, const std::string& name, int elem,
                          std::optional<std::vector<std::string>> dims = std::vector<std::string>{}) {
    vi->set_name(name);
    set_tensor_type(vi->mutable_type(), elem, std::move(dims));
    return vi;
}
pb::NodeProto* add_node(pb::GraphProto* g, const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                        const std::string& name = {}) {
    auto* n = g->add_node();
    n->set_op_type(op);
    if (!name.empty()) n->set_name(name);
    for (auto& i : ins) n->add_input(i);
    for (auto& o : outs) n->add_output(o);
    return n;
}
pb::AttributeProto* add_attr(pb::NodeProto* n, const std::string& name, pb::AttributeProto::AttributeType type) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
}

constexpr int f32 = pb::TensorProto::FLOAT;

/// An empty model of IR 8, opset 17, graph "g".
pb::ModelProto new_model(std::int64_t ir = 8, std::int64_t opset = 17) {
    pb::ModelProto m;
    m.set_ir_version(ir);
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    m.mutable_graph()->set_name("g");
    return m;
}
/// x: float[N,3] -> Relu 'relu' -> y.
pb::ModelProto relu_model() {
    auto m = new_model();
    auto* g = m.mutable_graph();
    typed(g->add_input(), "x", f32, std::vector<std::string>{"N", "3"});
    add_node(g, "Relu", {"x"}, {"y"}, "relu");
    typed(g->add_output(), "y", f32, std::vector<std::string>{"N", "3"});
    return m;
}

std::string bytes_of(const pb::ModelProto& m) {
    std::string s;
    REQUIRE(m.SerializeToString(&s));
    return s;
}
std::unique_ptr<gearc::graph> load_proto(const pb::ModelProto& m, const gearc::onnx::load_options& opts = {}) {
    auto s = bytes_of(m);
    return gearc::onnx::load_from_memory(s.data(), s.size(), opts);
}
/// what() of the gearc::error `f` throws ("no error" when it throws none).
std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const gearc::error& e) {
        return e.what();
    }
    return "no error";
}
std::string code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const gearc::error& e) {
        return e.code();
    }
    return "no error";
}

/// Export, re-import, and compare: the text (types, attributes, tensor checksums) must not change.
void check_round_trip(const gearc::graph& g) {
    CHECK(gearc::verify(g).empty());
    auto bytes = gearc::onnx::to_bytes(g);
    auto g2 = gearc::onnx::load_from_memory(bytes.data(), bytes.size());
    CHECK(gearc::to_text(*g2) == gearc::to_text(g));
    CHECK(gearc::verify(*g2).empty());
}

bool python_has_onnx() { return std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") == 0; }
/// Runs onnx.checker.check_model(full_check=True) on a file; true when it passes.
bool onnx_checker_accepts(const std::string& path) {
    const std::string cmd = "/usr/bin/python3 -c \"import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\" '" +
                            path + "'";
    return std::system(cmd.c_str()) == 0;
}

template <class T>
std::vector<T> values_of(const gearc::tensor& t) {
    std::vector<T> out(t.nbytes() / sizeof(T));
    std::memcpy(out.data(), t.data().data(), t.nbytes());
    return out;
}

}  // namespace

// ---- types --------------------------------------------------------------------------------------

TEST_CASE("types: dims of all three kinds, unknown rank, scalars, sequences, optionals, untyped values") {
    auto m = new_model();
    auto* g = m.mutable_graph();
    typed(g->add_input(), "x", f32, std::vector<std::string>{"N", "3", "?"});
    typed(g->add_input(), "r", pb::TensorProto::INT64, std::nullopt);  // no shape: unknown rank
    typed(g->add_input(), "s", pb::TensorProto::BOOL);                  // rank 0
    auto* seq = g->add_input();
    seq->set_name("seq");
    set_tensor_type(seq->mutable_type()->mutable_sequence_type()->mutable_elem_type(), pb::TensorProto::INT64,
                    std::vector<std::string>{"2"});
    auto* opt = g->add_input();
    opt->set_name("opt");
    set_tensor_type(opt->mutable_type()->mutable_optional_type()->mutable_elem_type()->mutable_sequence_type()->mutable_elem_type(),
                    pb::TensorProto::FLOAT16, std::nullopt);
    g->add_input()->set_name("untyped");
    typed(g->add_input(), "str", pb::TensorProto::STRING, std::vector<std::string>{"B"});  // string types are fine
    typed(g->add_input(), "c64", pb::TensorProto::COMPLEX64, std::vector<std::string>{"1"});
    typed(g->add_input(), "c128", pb::TensorProto::COMPLEX128, std::vector<std::string>{"1"});
    typed(g->add_input(), "bf", pb::TensorProto::BFLOAT16, std::vector<std::string>{"1~8"});  // gearc's range spelling
    for (const auto* name : {"x", "r", "s", "seq", "opt", "untyped", "str", "c64", "c128", "bf"}) {
        add_node(g, "Identity", {name}, {std::string(name) + "_out"});
        g->add_output()->set_name(std::string(name) + "_out");
    }
    auto graph = load_proto(m);
    auto type_of = [&](const char* n) { return graph->find_value(n)->type().to_string(); };
    CHECK(type_of("x") == "float32[N,3,?]");
    CHECK(graph->find_value("x")->type().dims.value()[0] == dim::symbol("N"));
    CHECK(graph->find_value("x")->type().dims.value()[1] == dim(3));
    CHECK(graph->find_value("x")->type().dims.value()[2].is_unknown());
    CHECK(type_of("r") == "int64[*]");
    CHECK_FALSE(graph->find_value("r")->type().dims.has_value());
    CHECK(type_of("s") == "bool[]");
    CHECK(type_of("seq") == "seq<int64[2]>");
    CHECK(type_of("opt") == "opt<seq<float16[*]>>");
    CHECK(graph->find_value("untyped")->type() == value_type::unknown());
    CHECK(type_of("str") == "string[B]");
    CHECK(type_of("c64") == "complex64[1]");
    CHECK(type_of("c128") == "complex128[1]");
    CHECK(graph->find_value("bf")->type().dims.value()[0] == dim::range(1, 8));
    CHECK(type_of("x_out") == "?");  // no value_info: unknown
    check_round_trip(*graph);
}

TEST_CASE("types: value_info types intermediate values; outputs carry their declared types") {
    auto m = relu_model();
    auto* g = m.mutable_graph();
    g->mutable_node(0)->set_output(0, "h");
    add_node(g, "Neg", {"h"}, {"y"}, "neg");
    typed(g->add_value_info(), "h", f32, std::vector<std::string>{"N", "3"});
    auto graph = load_proto(m);
    CHECK(graph->find_value("h")->type().to_string() == "float32[N,3]");
    CHECK(graph->find_value("y")->type().to_string() == "float32[N,3]");
    auto back = gearc::onnx::to_proto(*graph);
    REQUIRE(back.graph().value_info_size() == 1);
    CHECK(back.graph().value_info(0).name() == "h");
    CHECK(back.graph().output(0).type().tensor_type().shape().dim(0).dim_param() == "N");
    check_round_trip(*graph);
}

TEST_CASE("types: map types and unknown element types are clear GC1008 errors") {
    auto m = relu_model();
    auto* mt = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_map_type();
    mt->set_key_type(pb::TensorProto::INT64);
    CHECK(error_of([&] { (void)load_proto(m); }) ==
          "GC1008: model [<memory>]: input 'x' has a map type, which gearc cannot represent");
    auto m2 = relu_model();
    m2.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(99);
    CHECK(error_of([&] { (void)load_proto(m2); }) ==
          "GC1008: model [<memory>]: input 'x' has element type 99, which gearc does not know");
}

TEST_CASE("model_info: ir_version, opsets, producer, domain, version, doc and metadata round-trip") {
    auto m = relu_model();
    m.set_ir_version(7);
    m.mutable_opset_import(0)->set_version(13);
    auto* ml = m.add_opset_import();
    ml->set_domain("ai.onnx.ml");
    ml->set_version(3);
    m.set_producer_name("pytorch");
    m.set_producer_version("2.1");
    m.set_domain("org.example");
    m.set_model_version(42);
    m.set_doc_string("a model");
    auto* p = m.add_metadata_props();
    p->set_key("author");
    p->set_value("me");
    temp_dir dir("onnx-frontend");
    write_file(dir.file("m.onnx"), bytes_of(m));
    auto g = gearc::onnx::load(dir.file("m.onnx"));
    const auto& info = g->info();
    CHECK(info.ir_version == 7);
    CHECK(info.opset_imports == std::map<std::string, std::int64_t>{{"", 13}, {"ai.onnx.ml", 3}});
    CHECK(info.producer_name == "pytorch");
    CHECK(info.producer_version == "2.1");
    CHECK(info.domain == "org.example");
    CHECK(info.model_version == 42);
    CHECK(info.doc_string == "a model");
    CHECK(info.metadata == std::vector<std::pair<std::string, std::string>>{{"author", "me"}});
    CHECK(info.source_path == dir.file("m.onnx"));
    CHECK(g->name() == "g");

    auto back = gearc::onnx::to_proto(*g);
    CHECK(back.ir_version() == 7);
    CHECK(back.opset_import_size() == 2);
    CHECK(back.producer_name() == "pytorch");
    CHECK(back.producer_version() == "2.1");
    CHECK(back.domain() == "org.example");
    CHECK(back.model_version() == 42);
    CHECK(back.doc_string() == "a model");
    REQUIRE(back.metadata_props_size() == 1);
    CHECK(back.metadata_props(0).value() == "me");
}

// ---- attributes ---------------------------------------------------------------------------------

TEST_CASE("attributes: every kind is read, and written back the same") {
    using A = pb::AttributeProto;
    auto m = relu_model();
    auto* g = m.mutable_graph();
    typed(g->add_input(), "outer", f32, std::vector<std::string>{"3"});
    auto* n = add_node(g, "Custom", {"x"}, {"z"}, "all");
    n->set_domain("ai.onnx.ml");
    auto* ml = m.add_opset_import();
    ml->set_domain("ai.onnx.ml");
    ml->set_version(3);
    g->add_output()->set_name("z");
    add_attr(n, "f", A::FLOAT)->set_f(0.25f);
    add_attr(n, "i", A::INT)->set_i(-7);
    add_attr(n, "s", A::STRING)->set_s(std::string("a\0b", 3));
    auto* t = add_attr(n, "t", A::TENSOR)->mutable_t();
    t->set_data_type(pb::TensorProto::INT64);
    t->add_dims(2);
    t->add_int64_data(5);
    t->add_int64_data(6);
    auto* sg = add_attr(n, "g", A::GRAPH)->mutable_g();  // reads "outer" from the enclosing graph
    sg->set_name("body");
    add_node(sg, "Neg", {"outer"}, {"neg"});
    typed(sg->add_output(), "neg", f32, std::vector<std::string>{"3"});
    set_tensor_type(add_attr(n, "tp", A::TYPE_PROTO)->mutable_tp(), pb::TensorProto::INT8, std::vector<std::string>{"K"});
    auto* fs_ = add_attr(n, "fs", A::FLOATS);
    fs_->add_floats(1.5f);
    fs_->add_floats(-2.0f);
    auto* is = add_attr(n, "is", A::INTS);
    is->add_ints(1);
    is->add_ints(2);
    is->add_ints(3);
    add_attr(n, "empty_ints", A::INTS);
    auto* ss = add_attr(n, "ss", A::STRINGS);
    ss->add_strings("p");
    ss->add_strings("q");
    auto* ts = add_attr(n, "ts", A::TENSORS);
    for (int k = 0; k < 2; ++k) {
        auto* tk = ts->add_tensors();
        tk->set_data_type(pb::TensorProto::FLOAT);
        tk->add_float_data(static_cast<float>(k));
    }
    auto* gs = add_attr(n, "gs", A::GRAPHS);
    for (int k = 0; k < 2; ++k) {
        auto* gk = gs->add_graphs();
        gk->set_name("b" + std::to_string(k));
        typed(gk->add_input(), "in" + std::to_string(k), f32);
        add_node(gk, "Identity", {"in" + std::to_string(k)}, {"o" + std::to_string(k)});
        gk->add_output()->set_name("o" + std::to_string(k));
    }
    auto* tps = add_attr(n, "tps", A::TYPE_PROTOS);
    set_tensor_type(tps->add_type_protos(), f32, std::nullopt);
    tps->add_type_protos()->mutable_sequence_type();
    // A very old writer leaves the type out: it is inferred from the field that is set.
    auto* untyped = n->add_attribute();
    untyped->set_name("legacy");
    untyped->set_i(9);

    auto graph = load_proto(m);
    auto* node = graph->find_node("all");
    REQUIRE(node);
    CHECK(node->domain() == "ai.onnx.ml");
    CHECK(node->attr<float>("f") == 0.25f);
    CHECK(node->attr<std::int64_t>("i") == -7);
    CHECK(node->attr<std::string>("s") == std::string("a\0b", 3));
    CHECK(values_of<std::int64_t>(node->attr<gearc::tensor>("t")) == std::vector<std::int64_t>{5, 6});
    auto body = node->attr<std::shared_ptr<gearc::graph>>("g");
    REQUIRE(body);
    CHECK(body->name() == "body");
    REQUIRE(body->outer_refs().size() == 1);
    CHECK(body->outer_refs()[0]->name() == "outer");
    CHECK(body->outer_refs()[0]->type().to_string() == "float32[3]");
    CHECK(node->attr<value_type>("tp").to_string() == "int8[K]");
    CHECK(node->attr<std::vector<float>>("fs") == std::vector<float>{1.5f, -2.0f});
    CHECK(node->attr<std::vector<std::int64_t>>("is") == std::vector<std::int64_t>{1, 2, 3});
    CHECK(node->attr<std::vector<std::int64_t>>("empty_ints").empty());
    CHECK(node->attr<std::vector<std::string>>("ss") == std::vector<std::string>{"p", "q"});
    CHECK(node->attr<std::vector<gearc::tensor>>("ts").size() == 2);
    CHECK(node->attr<std::vector<std::shared_ptr<gearc::graph>>>("gs").size() == 2);
    auto tpv = node->attr<std::vector<value_type>>("tps");
    REQUIRE(tpv.size() == 2);
    CHECK(tpv[0].to_string() == "float32[*]");
    CHECK(tpv[1].to_string() == "seq<?>");
    CHECK(node->attr<std::int64_t>("legacy") == 9);
    // the order of attributes is kept
    CHECK(node->attributes().front().first == "f");
    CHECK(node->attributes().back().first == "legacy");
    check_round_trip(*graph);
    auto back = gearc::onnx::to_proto(*graph);
    const auto& bn = back.graph().node(1);
    CHECK(bn.attribute(bn.attribute_size() - 1).type() == A::INT);  // written with its type
}

TEST_CASE("attributes: sparse tensors, function attribute references and local functions are GC1008") {
    using A = pb::AttributeProto;
    auto m = relu_model();
    add_attr(m.mutable_graph()->mutable_node(0), "sparse_value", A::SPARSE_TENSOR)->mutable_sparse_tensor();
    CHECK(error_of([&] { (void)load_proto(m); }) ==
          "GC1008: model [<memory>]: attribute 'sparse_value' of node Relu 'relu' in graph 'g' holds a sparse tensor; gearc does "
          "not support sparse tensors");

    auto m2 = relu_model();
    auto* ref = add_attr(m2.mutable_graph()->mutable_node(0), "alpha", A::FLOAT);
    ref->set_ref_attr_name("alpha_of_f");
    CHECK(error_of([&] { (void)load_proto(m2); }) ==
          "GC1008: model [<memory>]: attribute 'alpha' of node Relu 'relu' in graph 'g' refers to the function attribute "
          "'alpha_of_f'; such references exist only inside functions, which gearc does not support");

    auto m3 = relu_model();
    auto* fn = m3.add_functions();
    fn->set_name("my_fn");
    fn->set_domain("local");
    CHECK(error_of([&] { (void)load_proto(m3); }) ==
          "GC1008: model [<memory>]: the model defines the local function 'my_fn' (domain 'local'); gearc does not support "
          "model-local functions");

    auto m4 = relu_model();
    m4.mutable_graph()->add_sparse_initializer()->mutable_values()->set_name("sp");
    CHECK(code_of([&] { (void)load_proto(m4); }) == "GC1008");
}

TEST_CASE("Constant nodes stay Constant nodes with their attributes as they are") {
    using A = pb::AttributeProto;
    auto m = new_model();
    auto* g = m.mutable_graph();
    auto* c1 = add_node(g, "Constant", {}, {"a"}, "c1");
    auto* t = add_attr(c1, "value", A::TENSOR)->mutable_t();
    t->set_name("const_tensor");
    t->set_data_type(pb::TensorProto::FLOAT);
    t->add_dims(2);
    t->add_float_data(1.0f);
    t->add_float_data(2.0f);
    add_attr(add_node(g, "Constant", {}, {"b"}, "c2"), "value_float", A::FLOAT)->set_f(3.0f);
    auto* vi = add_attr(add_node(g, "Constant", {}, {"c"}, "c3"), "value_ints", A::INTS);
    vi->add_ints(4);
    vi->add_ints(5);
    add_node(g, "Sum", {"a", "b", "c"}, {"y"}, "sum");
    g->add_output()->set_name("y");
    auto graph = load_proto(m);
    CHECK(graph->num_nodes() == 4);
    CHECK(graph->find_node("c1")->op_type() == "Constant");
    CHECK(values_of<float>(graph->find_node("c1")->attr<gearc::tensor>("value")) == std::vector<float>{1, 2});
    CHECK(graph->find_node("c2")->attr<float>("value_float") == 3.0f);
    CHECK(graph->find_node("c3")->attr<std::vector<std::int64_t>>("value_ints") == std::vector<std::int64_t>{4, 5});
    CHECK(graph->initializers().empty());
    check_round_trip(*graph);
}

// ---- initializers -------------------------------------------------------------------------------

TEST_CASE("initializers: raw_data and every typed field, narrow types packed in int32_data") {
    auto m = relu_model();
    auto* g = m.mutable_graph();
    auto add = [&](const std::string& name, int type, std::vector<std::int64_t> dims) {
        auto* t = g->add_initializer();
        t->set_name(name);
        t->set_data_type(type);
        for (auto d : dims) t->add_dims(d);
        return t;
    };
    using T = pb::TensorProto;
    auto* f = add("f32", T::FLOAT, {2});
    f->add_float_data(1.5f);
    f->add_float_data(-2.5f);
    auto* h = add("f16", T::FLOAT16, {2});
    h->add_int32_data(0x3C00);  // 1.0 as float16 bits
    h->add_int32_data(0xC000);  // -2.0
    auto* bf = add("bf16", T::BFLOAT16, {1});
    bf->add_int32_data(0x3F80);  // 1.0 as bfloat16 bits
    auto* i8 = add("i8", T::INT8, {3});
    for (int v : {-128, 0, 127}) i8->add_int32_data(v);
    auto* i16 = add("i16", T::INT16, {2});
    for (int v : {-30000, 30000}) i16->add_int32_data(v);
    auto* u8 = add("u8", T::UINT8, {2});
    for (int v : {0, 255}) u8->add_int32_data(v);
    auto* u16 = add("u16", T::UINT16, {1});
    u16->add_int32_data(65535);
    auto* b = add("b", T::BOOL, {3});
    for (int v : {1, 0, 1}) b->add_int32_data(v);
    auto* i32 = add("i32", T::INT32, {1});
    i32->add_int32_data(-5);
    auto* i64 = add("i64", T::INT64, {2, 1});
    i64->add_int64_data(std::int64_t{1} << 40);
    i64->add_int64_data(-1);
    auto* u32 = add("u32", T::UINT32, {1});
    u32->add_uint64_data(4000000000u);
    auto* u64 = add("u64", T::UINT64, {1});
    u64->add_uint64_data(~std::uint64_t{0});
    auto* d = add("f64", T::DOUBLE, {1});
    d->add_double_data(0.125);
    auto* c = add("c64", T::COMPLEX64, {1});
    c->add_float_data(1.0f);
    c->add_float_data(2.0f);
    auto* raw = add("raw", T::FLOAT, {2, 2});
    const float rv[] = {1, 2, 3, 4};
    raw->set_raw_data(rv, sizeof rv);
    auto* scalar = add("scalar", T::INT64, {});
    scalar->add_int64_data(11);
    auto* empty = add("empty", T::FLOAT, {0, 3});
    (void)empty;

    auto graph = load_proto(m);
    auto init = [&](const char* n) -> const gearc::tensor& { return *graph->find_value(n)->initializer(); };
    CHECK(values_of<float>(init("f32")) == std::vector<float>{1.5f, -2.5f});
    CHECK(init("f16").type() == dtype::float16);
    CHECK(values_of<std::uint16_t>(init("f16")) == std::vector<std::uint16_t>{0x3C00, 0xC000});
    CHECK(values_of<std::uint16_t>(init("bf16")) == std::vector<std::uint16_t>{0x3F80});
    CHECK(init("i8").view<std::int8_t>()[0] == -128);
    CHECK(init("i8").view<std::int8_t>()[2] == 127);
    CHECK(values_of<std::int16_t>(init("i16")) == std::vector<std::int16_t>{-30000, 30000});
    CHECK(values_of<std::uint8_t>(init("u8")) == std::vector<std::uint8_t>{0, 255});
    CHECK(values_of<std::uint16_t>(init("u16")) == std::vector<std::uint16_t>{65535});
    CHECK(values_of<std::uint8_t>(init("b")) == std::vector<std::uint8_t>{1, 0, 1});
    CHECK(init("i32").view<std::int32_t>()[0] == -5);
    CHECK(init("i64").sizes() == std::vector<std::int64_t>{2, 1});
    CHECK(values_of<std::int64_t>(init("i64")) == std::vector<std::int64_t>{std::int64_t{1} << 40, -1});
    CHECK(init("u32").view<std::uint32_t>()[0] == 4000000000u);
    CHECK(init("u64").view<std::uint64_t>()[0] == ~std::uint64_t{0});
    CHECK(init("f64").view<double>()[0] == 0.125);
    CHECK(values_of<float>(init("c64")) == std::vector<float>{1.0f, 2.0f});
    CHECK(values_of<float>(init("raw")) == std::vector<float>{1, 2, 3, 4});
    CHECK(init("scalar").sizes().empty());
    CHECK(init("scalar").view<std::int64_t>()[0] == 11);
    CHECK(init("empty").nbytes() == 0);
    CHECK(graph->find_value("f32")->type().to_string() == "float32[2]");
    check_round_trip(*graph);
}

TEST_CASE("initializers: byte sizes are checked (GC1010), string tensors are GC1008") {
    using T = pb::TensorProto;
    auto with = [](auto&& fill) {
        auto m = relu_model();
        auto* t = m.mutable_graph()->add_initializer();
        t->set_name("w");
        fill(*t);
        return m;
    };
    auto few = with([](T& t) {
        t.set_data_type(T::FLOAT);
        t.add_dims(2);
        t.add_dims(3);
        for (int i = 0; i < 5; ++i) t.add_float_data(0);
    });
    CHECK(error_of([&] { (void)load_proto(few); }) ==
          "GC1010: model [<memory>]: initializer 'w' (float32[2,3]) has 5 values in float_data but needs 6");
    auto raw = with([](T& t) {
        t.set_data_type(T::INT32);
        t.add_dims(4);
        t.set_raw_data("abc");
    });
    CHECK(error_of([&] { (void)load_proto(raw); }) ==
          "GC1010: model [<memory>]: initializer 'w' (int32[4]) needs 16 bytes but has 3");
    auto f16 = with([](T& t) {
        t.set_data_type(T::FLOAT16);
        t.add_dims(2);
        t.add_float_data(1.0f);  // float16 belongs in int32_data
        t.add_float_data(1.0f);
    });
    CHECK(code_of([&] { (void)load_proto(f16); }) == "GC1010");
    auto negative = with([](T& t) {
        t.set_data_type(T::FLOAT);
        t.add_dims(-1);
    });
    CHECK(error_of([&] { (void)load_proto(negative); }) ==
          "GC1010: model [<memory>]: initializer 'w' has the negative dimension -1");
    auto huge = with([](T& t) {
        t.set_data_type(T::FLOAT);
        for (int i = 0; i < 4; ++i) t.add_dims(std::int64_t{1} << 20);
    });
    CHECK(code_of([&] { (void)load_proto(huge); }) == "GC1010");
    auto strings = with([](T& t) {
        t.set_data_type(T::STRING);
        t.add_dims(1);
        t.add_string_data("hello");
    });
    CHECK(error_of([&] { (void)load_proto(strings); }) ==
          "GC1008: model [<memory>]: initializer 'w' holds strings, which gearc cannot hold as tensor data");
    auto undefined = with([](T& t) { t.add_dims(1); });
    CHECK(code_of([&] { (void)load_proto(undefined); }) == "GC1010");
}

TEST_CASE("initializers: an initializer that is also an input is an input with a default (IR 3)") {
    auto m = relu_model();
    m.set_ir_version(3);
    m.mutable_opset_import(0)->set_version(8);
    auto* g = m.mutable_graph();
    typed(g->add_input(), "w", f32, std::vector<std::string>{"1"});
    auto* t = g->add_initializer();
    t->set_name("w");
    t->set_data_type(pb::TensorProto::FLOAT);
    t->add_dims(1);
    t->add_float_data(2.0f);
    add_node(g, "Add", {"y", "w"}, {"z"});
    g->add_output()->set_name("z");
    auto graph = load_proto(m);
    auto* w = graph->find_value("w");
    CHECK(w->is_graph_input());
    CHECK(w->is_initializer());
    check_round_trip(*graph);
    auto back = gearc::onnx::to_proto(*graph);
    CHECK(back.graph().input_size() == 2);
    CHECK(back.graph().initializer_size() == 1);
}

// ---- external data ------------------------------------------------------------------------------

namespace {
pb::TensorProto* external_initializer(pb::ModelProto& m, const std::string& name, int type, std::vector<std::int64_t> dims,
                                      const std::string& location, std::optional<std::int64_t> offset,
                                      std::optional<std::int64_t> length) {
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    t->set_data_location(pb::TensorProto::EXTERNAL);
    auto kv = [&](const char* k, const std::string& v) {
        auto* e = t->add_external_data();
        e->set_key(k);
        e->set_value(v);
    };
    kv("location", location);
    if (offset) kv("offset", std::to_string(*offset));
    if (length) kv("length", std::to_string(*length));
    return t;
}
}  // namespace

TEST_CASE("external data: mapped, shared, resolved against the model's directory") {
    temp_dir dir("onnx-frontend");
    fs::create_directory(dir.path / "weights");
    std::string data(64, '\0');
    const float a[] = {1, 2, 3, 4};
    const std::int64_t b[] = {7, 8};
    std::memcpy(data.data(), a, sizeof a);
    std::memcpy(data.data() + 32, b, sizeof b);
    write_file(dir.file("weights/w.bin"), data);
    auto m = relu_model();
    external_initializer(m, "a", pb::TensorProto::FLOAT, {2, 2}, "weights/w.bin", std::nullopt, 16);
    external_initializer(m, "b", pb::TensorProto::INT64, {2}, "weights/w.bin", 32, std::nullopt);  // length from the shape
    auto* c = external_initializer(m, "c", pb::TensorProto::UINT8, {3}, "weights/w.bin", 1, 3);
    auto* ck = c->add_external_data();  // checksum and unknown keys are ignored
    ck->set_key("checksum");
    ck->set_value("0123");
    write_file(dir.file("m.onnx"), bytes_of(m));

    auto g = gearc::onnx::load(dir.file("m.onnx"));
    const auto& ta = *g->find_value("a")->initializer();
    const auto& tb = *g->find_value("b")->initializer();
    CHECK(values_of<float>(ta) == std::vector<float>{1, 2, 3, 4});
    CHECK(values_of<std::int64_t>(tb) == std::vector<std::int64_t>{7, 8});
    // Zero copy: both point into the one mapping, 32 bytes apart, and share its owner.
    CHECK(tb.data().data() - ta.data().data() == 32);
    CHECK(ta.data().use_count() == 3);
    CHECK(values_of<std::uint8_t>(*g->find_value("c")->initializer()) == std::vector<std::uint8_t>{0, 128, 63});  // bytes 1..3 of 1.0f

    // Exported inline by default.
    auto back = gearc::onnx::to_proto(*g);
    for (const auto& t : back.graph().initializer()) {
        CHECK(t.data_location() == pb::TensorProto::DEFAULT);
        CHECK(t.external_data_size() == 0);
    }
    check_round_trip(*g);

    // load_from_memory resolves against the base_dir it is given.
    auto bytes = bytes_of(m);
    CHECK(gearc::to_text(*gearc::onnx::load_from_memory(bytes.data(), bytes.size(), {}, dir.path.string())) == gearc::to_text(*g));

    // copy_external_data gives private copies.
    gearc::onnx::load_options copy;
    copy.copy_external_data = true;
    auto g2 = gearc::onnx::load(dir.file("m.onnx"), copy);
    CHECK(g2->find_value("a")->initializer()->data().use_count() == 1);
    CHECK(gearc::to_text(*g2) == gearc::to_text(*g));
}

TEST_CASE("external data: an unaligned tensor is copied so that typed views stay aligned") {
    temp_dir dir("onnx-frontend");
    std::string data(9, '\0');
    const float v[] = {5, 6};
    std::memcpy(data.data() + 1, v, sizeof v);
    write_file(dir.file("w.bin"), data);
    auto m = relu_model();
    external_initializer(m, "a", pb::TensorProto::FLOAT, {2}, "w.bin", 1, 8);
    write_file(dir.file("m.onnx"), bytes_of(m));
    auto g = gearc::onnx::load(dir.file("m.onnx"));
    const auto& t = *g->find_value("a")->initializer();
    CHECK(reinterpret_cast<std::uintptr_t>(t.data().data()) % alignof(float) == 0);
    CHECK(t.view<float>()[1] == 6.0f);
}

TEST_CASE("external data: missing file, out of range, escapes and bad numbers are GC1005") {
    temp_dir dir("onnx-frontend");
    write_file(dir.file("w.bin"), std::string(16, '\0'));
    const auto model = dir.file("m.onnx");
    auto try_load = [&](const std::string& location, std::optional<std::int64_t> offset, std::optional<std::int64_t> length,
                        std::vector<std::int64_t> dims = {4}) {
        auto m = relu_model();
        external_initializer(m, "w", pb::TensorProto::FLOAT, std::move(dims), location, offset, length);
        write_file(model, bytes_of(m));
        return error_of([&] { (void)gearc::onnx::load(model); });
    };
    const auto data_file = (dir.path / "missing.bin").string();
    CHECK(try_load("missing.bin", 0, 16) == "GC1005: model [" + model + "]: initializer 'w': cannot open external data file [" +
                                                data_file + "]: No such file or directory");
    CHECK(try_load("w.bin", 8, 16) == "GC1005: model [" + model + "]: initializer 'w' reads bytes 8 to 24 of external data file [" +
                                          dir.file("w.bin") + "], which has only 16 bytes");
    CHECK(try_load("w.bin", 32, std::nullopt) == "GC1005: model [" + model +
                                                     "]: initializer 'w' reads bytes 32 to 48 of external data file [" +
                                                     dir.file("w.bin") + "], which has only 16 bytes");
    CHECK(try_load("w.bin", std::nullopt, std::nullopt, {8}).starts_with("GC1005: model [" + model + "]: initializer 'w' reads bytes 0 to 32"));
    CHECK(try_load("../w.bin", 0, 16) == "GC1005: model [" + model +
                                             "]: initializer 'w' has the external data location [../w.bin], which leaves the "
                                             "model's directory");
    CHECK(try_load("sub/../../w.bin", 0, 16).starts_with("GC1005"));
    CHECK(try_load("/etc/passwd", 0, 16) ==
          "GC1005: model [" + model + "]: initializer 'w' has the absolute external data location [/etc/passwd]");
    CHECK(try_load("", 0, 16) == "GC1005: model [" + model + "]: initializer 'w' is stored externally but names no location");
    CHECK(try_load(".", 0, 16).starts_with("GC1005"));  // a directory
    CHECK(try_load("w.bin", 0, 12) == "GC1010: model [" + model + "]: initializer 'w' needs 16 bytes but its external data in [" +
                                          dir.file("w.bin") + "] has length 12");
    auto m = relu_model();
    auto* t = external_initializer(m, "w", pb::TensorProto::FLOAT, {4}, "w.bin", std::nullopt, std::nullopt);
    auto* bad = t->add_external_data();
    bad->set_key("offset");
    bad->set_value("-4");
    write_file(model, bytes_of(m));
    CHECK(error_of([&] { (void)gearc::onnx::load(model); }) ==
          "GC1005: model [" + model + "]: initializer 'w' has external data offset '-4', which is not a non-negative number");
}

TEST_CASE("external data: a data file over 2 GiB (sparse) with a tensor beyond 2 GiB loads") {
    temp_dir dir("onnx-frontend");
    const std::int64_t two_gib = std::int64_t{1} << 31;
    const std::int64_t offset = two_gib + 4096;
    {
        const int fd = ::open(dir.file("big.bin").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        REQUIRE(fd >= 0);
        REQUIRE(::ftruncate(fd, two_gib + 65536) == 0);  // sparse: no disk, no time
        const unsigned char bytes[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        REQUIRE(::pwrite(fd, bytes, sizeof bytes, offset) == static_cast<ssize_t>(sizeof bytes));
        const float low[] = {0.5f, 1.5f};
        REQUIRE(::pwrite(fd, low, sizeof low, 0) == static_cast<ssize_t>(sizeof low));
        ::close(fd);
    }
    REQUIRE(fs::file_size(dir.file("big.bin")) > static_cast<std::uintmax_t>(two_gib));
    auto m = relu_model();
    external_initializer(m, "low", pb::TensorProto::FLOAT, {2}, "big.bin", 0, 8);
    external_initializer(m, "far", pb::TensorProto::UINT8, {16}, "big.bin", offset, 16);
    write_file(dir.file("m.onnx"), bytes_of(m));

    auto g = gearc::onnx::load(dir.file("m.onnx"));
    const auto& far = *g->find_value("far")->initializer();
    CHECK(far.view<std::uint8_t>()[0] == 1);
    CHECK(far.view<std::uint8_t>()[7] == 8);
    CHECK(far.view<std::uint8_t>()[15] == 16);
    CHECK(values_of<float>(*g->find_value("low")->initializer()) == std::vector<float>{0.5f, 1.5f});
    CHECK(far.data().data() - g->find_value("low")->initializer()->data().data() == offset);  // one mapping, no copy
    check_round_trip(*g);

    // A tensor of more than 2 GiB loads too (mapped), but cannot be written inline.
    auto huge = relu_model();
    external_initializer(huge, "huge", pb::TensorProto::UINT8, {two_gib + 16}, "big.bin", 0, std::nullopt);
    write_file(dir.file("huge.onnx"), bytes_of(huge));
    auto hg = gearc::onnx::load(dir.file("huge.onnx"));
    CHECK(hg->find_value("huge")->initializer()->nbytes() == static_cast<std::size_t>(two_gib + 16));
    CHECK(error_of([&] { (void)gearc::onnx::to_bytes(*hg); }) ==
          "GC1008: the model's tensors hold more than 2 GiB, which protobuf cannot write in one message (at initializer 'huge')");
}

// ---- graph structure ----------------------------------------------------------------------------

TEST_CASE("structure: nodes out of topological order are sorted") {
    auto m = new_model();
    auto* g = m.mutable_graph();
    typed(g->add_input(), "x", f32, std::vector<std::string>{"2"});
    add_node(g, "Neg", {"b"}, {"c"}, "third");
    add_node(g, "Relu", {"a"}, {"b"}, "second");
    add_node(g, "Abs", {"x"}, {"a"}, "first");
    g->add_output()->set_name("c");
    auto graph = load_proto(m);
    std::vector<std::string> order;
    for (auto* n : graph->node_list()) order.push_back(n->name());
    CHECK(order == std::vector<std::string>{"first", "second", "third"});
    CHECK(gearc::verify(*graph).empty());
    check_round_trip(*graph);
}

TEST_CASE("structure: a value a nested subgraph captures orders the outer graph") {
    using A = pb::AttributeProto;
    // The If comes first in the file, but its then-branch's inner If reads "late", produced after it.
    auto m = new_model();
    auto* g = m.mutable_graph();
    typed(g->add_input(), "cond", pb::TensorProto::BOOL);
    typed(g->add_input(), "x", f32, std::vector<std::string>{"2"});
    auto* outer_if = add_node(g, "If", {"cond"}, {"y"}, "outer_if");
    add_node(g, "Neg", {"x"}, {"late"}, "producer");
    g->add_output()->set_name("y");
    auto branch = [&](pb::GraphProto* b, const std::string& tag, bool nested) {
        b->set_name(tag);
        if (nested) {
            auto* inner = add_node(b, "If", {"cond"}, {tag + "_out"}, tag + "_inner_if");
            for (const char* k : {"then_branch", "else_branch"}) {
                auto* ib = add_attr(inner, k, A::GRAPH)->mutable_g();
                ib->set_name(tag + "_" + k);
                add_node(ib, "Identity", {"late"}, {tag + "_" + k + "_o"});
                ib->add_output()->set_name(tag + "_" + k + "_o");
            }
        } else {
            add_node(b, "Identity", {"x"}, {tag + "_out"});
        }
        b->add_output()->set_name(tag + "_out");
    };
    branch(add_attr(outer_if, "then_branch", A::GRAPH)->mutable_g(), "then", true);
    branch(add_attr(outer_if, "else_branch", A::GRAPH)->mutable_g(), "else", false);
    auto graph = load_proto(m);
    CHECK(graph->node_list()[0]->name() == "producer");
    CHECK(gearc::verify(*graph).empty());
    auto then_g = graph->find_node("outer_if")->attr<std::shared_ptr<gearc::graph>>("then_branch");
    // "late" and "cond" are captured at each level between the reader and the definition.
    std::vector<std::string> refs;
    for (auto* v : then_g->outer_refs()) refs.push_back(v->name());
    std::sort(refs.begin(), refs.end());
    CHECK(refs == std::vector<std::string>{"cond", "late"});
    check_round_trip(*graph);
}

TEST_CASE("structure: empty input and output names are omitted optionals") {
    auto m = relu_model();
    auto* g = m.mutable_graph();
    add_node(g, "Clip", {"y", "", "y"}, {"z"}, "clip");
    add_node(g, "Dropout", {"z"}, {"d", ""}, "drop");
    g->add_output()->set_name("d");
    auto graph = load_proto(m);
    auto* clip = graph->find_node("clip");
    REQUIRE(clip->num_inputs() == 3);
    CHECK(clip->input(1) == nullptr);
    CHECK(clip->input(2) == graph->find_value("y"));
    auto* drop = graph->find_node("drop");
    REQUIRE(drop->num_outputs() == 2);
    CHECK(drop->output(1) == nullptr);
    check_round_trip(*graph);
    auto back = gearc::onnx::to_proto(*graph);
    CHECK(back.graph().node(1).input(1).empty());
    CHECK(back.graph().node(2).output(1).empty());
}

TEST_CASE("structure: a cycle is GC1007 naming the file") {
    auto m = new_model();
    auto* g = m.mutable_graph();
    typed(g->add_input(), "x", f32, std::vector<std::string>{"2"});
    add_node(g, "Add", {"x", "b"}, {"a"}, "n1");
    add_node(g, "Relu", {"a"}, {"b"}, "n2");
    g->add_output()->set_name("b");
    temp_dir dir("onnx-frontend");
    write_file(dir.file("cyc.onnx"), bytes_of(m));
    const auto expect = "GC1007: model [" + dir.file("cyc.onnx") + "]: graph 'g' has a cycle: Add 'n1' -> Relu 'n2' -> Add 'n1'";
    CHECK_THROWS_WITH_AS((void)gearc::onnx::load(dir.file("cyc.onnx")), expect.c_str(), gearc::graph_error);
}

TEST_CASE("structure: a cycle through a subgraph's capture is GC1007 too, at any depth") {
    using A = pb::AttributeProto;
    // If 'if' produces a; Neg 'neg' makes b from a; a branch of the If reads b (directly, or from a nested If).
    auto make = [](bool nested) {
        auto m = new_model();
        auto* g = m.mutable_graph();
        typed(g->add_input(), "cond", pb::TensorProto::BOOL);
        auto* ifn = add_node(g, "If", {"cond"}, {"a"}, "if");
        for (const char* k : {"then_branch", "else_branch"}) {
            auto* b = add_attr(ifn, k, A::GRAPH)->mutable_g();
            b->set_name(k);
            const std::string o = std::string(k) + "_o";
            if (nested) {
                auto* inner = add_node(b, "If", {"cond"}, {o}, std::string(k) + "_if");
                for (const char* ik : {"then_branch", "else_branch"}) {
                    auto* ib = add_attr(inner, ik, A::GRAPH)->mutable_g();
                    ib->set_name(std::string(k) + "_" + ik);
                    add_node(ib, "Identity", {"b"}, {o + "_" + ik});
                    ib->add_output()->set_name(o + "_" + ik);
                }
            } else {
                add_node(b, "Identity", {"b"}, {o});
            }
            b->add_output()->set_name(o);
        }
        add_node(g, "Neg", {"a"}, {"b"}, "neg");
        g->add_output()->set_name("b");
        return m;
    };
    CHECK(error_of([&] { (void)load_proto(make(false)); }) ==
          "GC1007: model [<memory>]: graph 'g' has a cycle: If 'if' -> Neg 'neg' -> If 'if'");
    CHECK(error_of([&] { (void)load_proto(make(true)); }) ==
          "GC1007: model [<memory>]: graph 'g' has a cycle through values that subgraphs capture, among: If 'if', Neg 'neg'");
    CHECK_THROWS_AS((void)load_proto(make(true)), gearc::graph_error);
}

TEST_CASE("structure: a dangling value is GC1006 naming the file, the node and the value") {
    auto m = relu_model();
    add_node(m.mutable_graph(), "Add", {"y", "nowhere"}, {"z"}, "add");
    temp_dir dir("onnx-frontend");
    write_file(dir.file("d.onnx"), bytes_of(m));
    const auto expect = "GC1006: model [" + dir.file("d.onnx") +
                        "]: node Add 'add' of graph 'g' reads 'nowhere', which nothing defines (no node output, graph input, "
                        "initializer has that name)";
    CHECK_THROWS_WITH_AS((void)gearc::onnx::load(dir.file("d.onnx")), expect.c_str(), gearc::model_error);
    auto m2 = relu_model();
    m2.mutable_graph()->add_output()->set_name("ghost");
    CHECK(error_of([&] { (void)load_proto(m2); }) ==
          "GC1006: model [<memory>]: output 'ghost' of graph 'g' is not defined (no node output, graph input, initializer has that "
          "name)");
    // in a subgraph, the enclosing scopes are searched too
    auto m3 = relu_model();
    auto* ifn = add_node(m3.mutable_graph(), "If", {"y"}, {"z"}, "if");
    auto* b = add_attr(ifn, "then_branch", pb::AttributeProto::GRAPH)->mutable_g();
    b->set_name("then");
    add_node(b, "Neg", {"missing"}, {"o"}, "neg");
    b->add_output()->set_name("o");
    CHECK(error_of([&] { (void)load_proto(m3); }) ==
          "GC1006: model [<memory>]: node Neg 'neg' of graph 'then' reads 'missing', which nothing defines (no node output, graph "
          "input, initializer or enclosing graph's value has that name)");
}

TEST_CASE("structure: a value defined twice is GC1009") {
    auto m = relu_model();
    add_node(m.mutable_graph(), "Neg", {"x"}, {"y"}, "neg");
    CHECK(error_of([&] { (void)load_proto(m); }) ==
          "GC1009: model [<memory>]: value 'y' is defined twice in graph 'g': as an output of Neg 'neg' and as an output of Relu "
          "'relu'");
    auto m2 = relu_model();
    typed(m2.mutable_graph()->add_input(), "x", f32);
    CHECK(error_of([&] { (void)load_proto(m2); }) ==
          "GC1009: model [<memory>]: value 'x' is defined twice in graph 'g': as a graph input and as a graph input");
    auto m3 = relu_model();
    add_node(m3.mutable_graph(), "Neg", {"y"}, {"x"}, "neg");
    CHECK(code_of([&] { (void)load_proto(m3); }) == "GC1009");
}

// ---- versions and domains -----------------------------------------------------------------------

TEST_CASE("versions: IR versions 3..8 and default-domain opsets 7..17 are read, others are GC1003") {
    CHECK(error_of([&] { (void)load_proto(new_model(9, 17)); }) ==
          "GC1003: model [<memory>]: IR version 9 is newer than gearc supports (gearc reads IR versions 3 to 8)");
    CHECK(error_of([&] { (void)load_proto(new_model(2, 7)); }) ==
          "GC1003: model [<memory>]: IR version 2 is older than gearc supports (gearc reads IR versions 3 to 8)");
    CHECK(error_of([&] { (void)load_proto(new_model(8, 6)); }) ==
          "GC1003: model [<memory>]: opset 6 of domain 'ai.onnx' is not supported (gearc reads opsets 7 to 17)");
    CHECK(error_of([&] { (void)load_proto(new_model(8, 18)); }) ==
          "GC1003: model [<memory>]: opset 18 of domain 'ai.onnx' is not supported (gearc reads opsets 7 to 17)");
    for (std::int64_t ir = 3; ir <= 8; ++ir) CHECK_NOTHROW((void)load_proto(new_model(ir, 7)));
    CHECK_NOTHROW((void)load_proto(new_model(8, 17)));
    // "ai.onnx" is another name of the default domain
    auto m = relu_model();
    m.mutable_opset_import(0)->set_domain("ai.onnx");
    m.mutable_graph()->mutable_node(0)->set_domain("ai.onnx");
    auto g = load_proto(m);
    CHECK(g->info().opset_imports.count("ai.onnx") == 1);
    check_round_trip(*g);
    // no opset import at all, or none for a node's domain
    auto none = relu_model();
    none.clear_opset_import();
    CHECK(error_of([&] { (void)load_proto(none); }) ==
          "GC1002: model [<memory>]: not a valid ONNX model: it imports no operator set");
    auto ml = relu_model();
    ml.mutable_graph()->mutable_node(0)->set_domain("ai.onnx.ml");
    CHECK(error_of([&] { (void)load_proto(ml); }) ==
          "GC1002: model [<memory>]: not a valid ONNX model: node Relu 'relu' of graph 'g' uses the operator domain 'ai.onnx.ml', "
          "but the model imports no opset of it");
}

TEST_CASE("domains: an unknown domain is GC1004 naming the domain and the node") {
    auto m = relu_model();
    m.mutable_graph()->mutable_node(0)->set_domain("com.microsoft");
    auto* op = m.add_opset_import();
    op->set_domain("com.microsoft");
    op->set_version(1);
    CHECK(error_of([&] { (void)load_proto(m); }) ==
          "GC1004: model [<memory>]: node Relu 'relu' of graph 'g' uses the operator domain 'com.microsoft', which gearc does not "
          "know (it knows '', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.preview.training', 'ai.gearc')");
    // an unused import of an unknown domain
    auto m2 = relu_model();
    auto* op2 = m2.add_opset_import();
    op2->set_domain("org.pytorch.aten");
    op2->set_version(1);
    CHECK(error_of([&] { (void)load_proto(m2); }) ==
          "GC1004: model [<memory>]: the model imports opset 1 of the operator domain 'org.pytorch.aten', which gearc does not "
          "know (it knows '', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.preview.training', 'ai.gearc')");
    // the caller may declare domains it handles itself
    gearc::onnx::load_options opts;
    opts.extra_domains = {"com.microsoft"};
    auto g = load_proto(m, opts);
    CHECK(g->find_node("relu")->domain() == "com.microsoft");
    // known non-default domains load
    auto m3 = relu_model();
    m3.mutable_graph()->mutable_node(0)->set_domain("ai.onnx.preview.training");
    auto* op3 = m3.add_opset_import();
    op3->set_domain("ai.onnx.preview.training");
    op3->set_version(1);
    CHECK_NOTHROW((void)load_proto(m3));
}

// ---- bad input ----------------------------------------------------------------------------------

TEST_CASE("bad files: missing, directory, empty, random bytes, other protobufs are GC1001/GC1002 naming the path") {
    temp_dir dir("onnx-frontend");
    const auto missing = dir.file("nope.onnx");
    CHECK(error_of([&] { (void)gearc::onnx::load(missing); }) ==
          "GC1001: cannot open model [" + missing + "]: No such file or directory");
    CHECK(error_of([&] { (void)gearc::onnx::load(dir.path.string()); }) ==
          "GC1001: cannot open model [" + dir.path.string() + "]: it is a directory, not a file");
    write_file(dir.file("empty.onnx"), "");
    CHECK(error_of([&] { (void)gearc::onnx::load(dir.file("empty.onnx")); }) ==
          "GC1002: model [" + dir.file("empty.onnx") + "]: not an ONNX model: it is empty");
    write_file(dir.file("text.onnx"), "this is not a model\n");
    CHECK(error_of([&] { (void)gearc::onnx::load(dir.file("text.onnx")); }) ==
          "GC1002: model [" + dir.file("text.onnx") +
              "]: not an ONNX model: protobuf cannot parse it (truncated, corrupt, or another format)");
    // A TensorProto is valid protobuf, but not a model.
    pb::TensorProto t;
    t.set_name("t");
    t.add_dims(3);
    t.set_data_type(pb::TensorProto::FLOAT);
    t.set_raw_data(std::string(12, 'x'));
    write_file(dir.file("tensor.pb"), t.SerializeAsString());
    auto err = error_of([&] { (void)gearc::onnx::load(dir.file("tensor.pb")); });
    CHECK(err.starts_with("GC1002: model [" + dir.file("tensor.pb") + "]: not "));
    // A protobuf with only unknown fields parses as an empty ModelProto.
    pb::ModelProto nothing;
    nothing.set_ir_version(8);
    write_file(dir.file("nograph.onnx"), bytes_of(nothing));
    CHECK(error_of([&] { (void)gearc::onnx::load(dir.file("nograph.onnx")); }) ==
          "GC1002: model [" + dir.file("nograph.onnx") + "]: not an ONNX model: it has no graph");

    std::mt19937 rng(12345);
    for (int trial = 0; trial < 300; ++trial) {
        std::string bytes(rng() % 512, '\0');
        for (auto& c : bytes) c = static_cast<char>(rng());
        try {
            (void)gearc::onnx::load_from_memory(bytes.data(), bytes.size());
        } catch (const gearc::error& e) {
            CHECK(std::string(e.what()).find("model [<memory>]") != std::string::npos);
        }
    }
}

TEST_CASE("bad files: a model cut anywhere gives a clean error or a clean load, never a crash") {
    using A = pb::AttributeProto;
    auto m = relu_model();
    m.set_producer_name("cutter");
    auto* g = m.mutable_graph();
    auto* w = g->add_initializer();
    w->set_name("w");
    w->set_data_type(pb::TensorProto::FLOAT);
    w->add_dims(3);
    for (float v : {1.f, 2.f, 3.f}) w->add_float_data(v);
    auto* ifn = add_node(g, "If", {"c"}, {"z"}, "if");
    typed(g->add_input(), "c", pb::TensorProto::BOOL);
    for (const char* k : {"then_branch", "else_branch"}) {
        auto* b = add_attr(ifn, k, A::GRAPH)->mutable_g();
        b->set_name(k);
        add_node(b, "Add", {"y", "w"}, {std::string(k) + "_o"});
        b->add_output()->set_name(std::string(k) + "_o");
    }
    g->add_output()->set_name("z");
    auto* meta = m.add_metadata_props();
    meta->set_key("k");
    meta->set_value("v");
    const auto bytes = bytes_of(m);
    REQUIRE_NOTHROW((void)load_proto(m));
    temp_dir dir("onnx-frontend");
    int errors = 0, loads = 0;
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        try {
            if (cut % 16 == 0) {  // some through files, all through memory
                write_file(dir.file("cut.onnx"), bytes.substr(0, cut));
                (void)gearc::onnx::load(dir.file("cut.onnx"));
            } else {
                (void)gearc::onnx::load_from_memory(bytes.data(), cut);
            }
            ++loads;
        } catch (const gearc::error& e) {
            ++errors;
            const std::string what = e.what();
            CHECK_MESSAGE(what.starts_with(e.code() + ": "), what);
        } catch (const std::exception& e) {
            FAIL("cut at " << cut << ": not a gearc::error: " << e.what());
        }
    }
    CHECK(errors > 0);
    MESSAGE("cut points: " << errors << " clean errors, " << loads << " clean loads of a prefix");
}

// ---- export -------------------------------------------------------------------------------------

TEST_CASE("export: a graph built in C++ round-trips, ranges and all") {
    gearc::graph g("built");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32, gearc::shape{dim::range(1, 8), dim::symbol("W"), dim()}));
    auto* w = g.add_initializer("w", gearc::tensor::from<float>({3}, {1, 2, 3}));
    auto* add = g.add_node("Add", {x, w}, 1, {}, "add");
    add->output(0)->set_type(value_type::tensor_of(dtype::float32));
    auto* seq = g.add_node("SequenceConstruct", {add->output(0)}, 1, {}, "seq");
    seq->output(0)->set_type(value_type::sequence_of(value_type::tensor_of(dtype::float32)));
    g.add_output(seq->output(0));
    check_round_trip(g);
    auto back = gearc::onnx::to_proto(g);
    CHECK(back.graph().input(0).type().tensor_type().shape().dim(0).dim_param() == "1~8");
    CHECK_FALSE(back.graph().input(0).type().tensor_type().shape().dim(2).has_dim_param());
    CHECK_FALSE(back.graph().input(0).type().tensor_type().shape().dim(2).has_dim_value());
}

TEST_CASE("export: the written model passes onnx.checker (full check)") {
    using A = pb::AttributeProto;
    auto m = new_model(8, 17);
    m.set_producer_name("gearc-test");
    auto* g = m.mutable_graph();
    typed(g->add_input(), "x", f32, std::vector<std::string>{"N", "4"});
    typed(g->add_input(), "cond", pb::TensorProto::BOOL);
    auto* w = g->add_initializer();
    w->set_name("w");
    w->set_data_type(pb::TensorProto::FLOAT);
    w->add_dims(4);
    w->add_dims(2);
    for (int i = 0; i < 8; ++i) w->add_float_data(static_cast<float>(i));
    add_node(g, "MatMul", {"x", "w"}, {"h"}, "mm");
    typed(g->add_value_info(), "h", f32, std::vector<std::string>{"N", "2"});
    auto* c = add_node(g, "Constant", {}, {"shape"}, "const");
    auto* ci = add_attr(c, "value_ints", A::INTS);
    ci->add_ints(-1);
    auto* ifn = add_node(g, "If", {"cond"}, {"y"}, "if");
    for (const auto& [k, op] : {std::pair<const char*, const char*>{"then_branch", "Relu"}, {"else_branch", "Neg"}}) {
        auto* b = add_attr(ifn, k, A::GRAPH)->mutable_g();
        b->set_name(k);
        add_node(b, op, {"h"}, {std::string(k) + "_o"});
        typed(b->add_output(), std::string(k) + "_o", f32, std::vector<std::string>{"N", "2"});
    }
    add_node(g, "Reshape", {"y", "shape"}, {"flat"}, "reshape");
    typed(g->add_output(), "flat", f32, std::vector<std::string>{"?"});
    auto graph = load_proto(m);
    temp_dir dir("onnx-frontend");
    const auto out = dir.file("exported.onnx");
    gearc::onnx::save(*graph, out);
    CHECK(gearc::to_text(*gearc::onnx::load(out)) == gearc::to_text(*graph));
    // scripts/install-deps.sh installs python3-onnx, so its absence is a failure, not a skip.
    REQUIRE_MESSAGE(python_has_onnx(), "/usr/bin/python3 has no onnx module: run scripts/install-deps.sh (python3-onnx)");
    CHECK(onnx_checker_accepts(out));
    // with external data too
    gearc::onnx::save_options opts;
    opts.external_data_file = "exported.data";
    opts.external_data_threshold = 16;
    gearc::onnx::save(*graph, out, opts);
    CHECK(onnx_checker_accepts(out));
}

TEST_CASE("export: save is atomic") {
    temp_dir dir("onnx-frontend");
    auto graph = load_proto(relu_model());
    // into a directory that does not exist: GC1001, and nothing is left behind
    const auto bad = dir.file("no/such/dir/m.onnx");
    CHECK(error_of([&] { gearc::onnx::save(*graph, bad); }) == "GC1001: cannot create a temporary file next to [" + bad + "]: No such file or directory");
    CHECK(dir.listing().empty());
    // over an existing file: replaced whole, no temporary files left
    const auto path = dir.file("m.onnx");
    write_file(path, std::string(100000, 'x'));
    gearc::onnx::save(*graph, path);
    CHECK(read_file(path) == gearc::onnx::to_bytes(*graph));
    CHECK(dir.listing() == std::vector<std::string>{"m.onnx"});
    CHECK(gearc::to_text(*gearc::onnx::load(path)) == gearc::to_text(*graph));
    // onto a directory: fails, the directory stays
    fs::create_directory(dir.path / "d.onnx");
    CHECK(code_of([&] { gearc::onnx::save(*graph, dir.file("d.onnx")); }) == "GC1001");
    CHECK(fs::is_directory(dir.path / "d.onnx"));
    CHECK(dir.listing() == std::vector<std::string>{"d.onnx", "m.onnx"});
}

TEST_CASE("export: large initializers to an external data file on request") {
    temp_dir dir("onnx-frontend");
    auto m = relu_model();
    auto* g = m.mutable_graph();
    for (int k = 0; k < 3; ++k) {
        auto* t = g->add_initializer();
        t->set_name("w" + std::to_string(k));
        t->set_data_type(pb::TensorProto::FLOAT);
        const int n = k == 0 ? 2 : 100;  // w0 stays inline
        t->add_dims(n);
        for (int i = 0; i < n; ++i) t->add_float_data(static_cast<float>(i * (k + 1)));
    }
    auto graph = load_proto(m);
    gearc::onnx::save_options opts;
    opts.external_data_file = "weights.bin";
    opts.external_data_threshold = 64;
    const auto path = dir.file("m.onnx");
    gearc::onnx::save(*graph, path, opts);
    CHECK(dir.listing() == std::vector<std::string>{"m.onnx", "weights.bin"});
    pb::ModelProto written;
    REQUIRE(written.ParseFromString(read_file(path)));
    CHECK(written.graph().initializer(0).data_location() == pb::TensorProto::DEFAULT);
    CHECK(written.graph().initializer(1).data_location() == pb::TensorProto::EXTERNAL);
    CHECK(written.graph().initializer(2).data_location() == pb::TensorProto::EXTERNAL);
    CHECK(fs::file_size(dir.file("weights.bin")) == 448 + 400);  // w2 at offset 448 (aligned to 64)
    auto back = gearc::onnx::load(path);
    CHECK(gearc::to_text(*back) == gearc::to_text(*graph));
    CHECK(back->find_value("w2")->initializer()->data().use_count() == 2);  // w1 and w2 share the mapping
    // Saving again over the mapped data file is safe: the old mapping keeps the old file.
    gearc::onnx::save(*back, path, opts);
    CHECK(gearc::to_text(*gearc::onnx::load(path)) == gearc::to_text(*graph));
    CHECK(values_of<float>(*back->find_value("w1")->initializer())[99] == 198.0f);

    CHECK(error_of([&] { (void)gearc::onnx::to_bytes(*graph, opts); }) ==
          "GC1001: to_bytes cannot write the external data file [weights.bin]");
    opts.external_data_file = "m.onnx";
    CHECK(error_of([&] { gearc::onnx::save(*graph, path, opts); }) ==
          "GC1001: cannot write external data file [m.onnx]: it is the model file itself");
    CHECK(gearc::to_text(*gearc::onnx::load(path)) == gearc::to_text(*graph));  // untouched
    opts.external_data_file = "../escape.bin";
    CHECK(code_of([&] { gearc::onnx::save(*graph, path, opts); }) == "GC1001");
    opts.external_data_file = "/tmp/abs.bin";
    CHECK(code_of([&] { gearc::onnx::save(*graph, path, opts); }) == "GC1001");
}

TEST_CASE("protos: from_proto and to_proto skip the bytes") {
    auto g = gearc::onnx::from_proto(relu_model(), {}, ".", "relu.onnx");
    CHECK(g->find_node("relu")->op_type() == "Relu");
    auto again = gearc::onnx::from_proto(gearc::onnx::to_proto(*g));
    CHECK(gearc::to_text(*again) == gearc::to_text(*g));
    auto bad = relu_model();
    bad.set_ir_version(10);
    CHECK(error_of([&] { (void)gearc::onnx::from_proto(std::move(bad), {}, ".", "relu.onnx"); }) ==
          "GC1003: model [relu.onnx]: IR version 10 is newer than gearc supports (gearc reads IR versions 3 to 8)");
}

TEST_CASE("export: string tensors cannot be written") {
    gearc::graph g("g");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float32));
    g.add_node("Identity", {x}, 1, {{"bad", gearc::tensor(dtype::string, {1}, gearc::buffer::copy_of("s", 1))}}, "id");
    CHECK(code_of([&] { (void)gearc::onnx::to_bytes(g); }) == "GC1008");
}

TEST_CASE("mutated models: random byte edits give a clean load or a gearc::error, never a crash or a foreign exception") {
    // Deterministic mutations of the bundled example; under the ASan+UBSan build this also proves no
    // memory errors on hostile input. (A longer run of the same loop found nothing either.)
    std::ifstream f(std::string(GEARC_SOURCE_DIR) + "/examples/models/tiny_cnn.onnx", std::ios::binary);
    const std::string base((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    REQUIRE(base.size() > 1000);
    std::mt19937 rng(20261121);
    int loaded = 0, refused = 0;
    for (int it = 0; it < 400; ++it) {
        std::string b = base;
        const int edits = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < edits; ++k) {
            const auto pos = rng() % b.size();
            switch (rng() % 3) {
                case 0: b[pos] = static_cast<char>(rng()); break;
                case 1: b[pos] = static_cast<char>(b[pos] ^ (1 << (rng() % 8))); break;
                default: b.insert(pos, 1, static_cast<char>(rng())); break;
            }
        }
        try {
            auto g = gearc::onnx::load_from_memory(b.data(), b.size());
            const auto bytes = gearc::onnx::to_bytes(*g);  // whatever loads also exports and reloads
            CHECK(gearc::to_text(*gearc::onnx::load_from_memory(bytes.data(), bytes.size())) == gearc::to_text(*g));
            ++loaded;
        } catch (const gearc::error&) {
            ++refused;
        } catch (const std::exception& e) {
            FAIL_CHECK("mutation " << it << " threw a non-gearc exception: " << e.what());
        }
    }
    MESSAGE(loaded << " mutated models loaded, " << refused << " refused with a gearc::error");
    CHECK(loaded + refused == 400);
}
