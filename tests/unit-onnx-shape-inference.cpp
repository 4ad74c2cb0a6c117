// Shape inference against ONNX's conformance cases: every output's dtype and shape must match the recorded output.
#include <doctest/doctest.h>

#include <gearc/frontend/onnx.hpp>
#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

bool read_tensor_proto(const fs::path& p, ::onnx::TensorProto& t) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    return t.ParseFromString(ss.str());
}

/// The elements of a TensorProto with raw_data or a typed field, as T.
template <class T, class Field>
std::vector<T> proto_values(const ::onnx::TensorProto& t, const Field& typed) {
    std::vector<T> vals;
    if (!t.raw_data().empty()) {
        vals.resize(t.raw_data().size() / sizeof(T));
        std::memcpy(vals.data(), t.raw_data().data(), vals.size() * sizeof(T));
    } else {
        for (auto x : typed) vals.push_back(static_cast<T>(x));
    }
    return vals;
}

/// A small int32/int64/float/double TensorProto (a recorded input that real models hold as a constant:
/// shapes, axes, K, pads, depth, range bounds), or nothing.
std::optional<gearc::tensor> small_const_tensor(const ::onnx::TensorProto& t) {
    std::vector<std::int64_t> sizes(t.dims().begin(), t.dims().end());
    std::size_t n = 1;
    for (auto s : sizes) n *= static_cast<std::size_t>(s);
    if (n > 64) return std::nullopt;
    auto make = [&](auto vals) -> std::optional<gearc::tensor> {
        if (vals.size() != n) return std::nullopt;
        return gearc::tensor::from(sizes, vals);
    };
    switch (t.data_type()) {
        case ::onnx::TensorProto::INT64: return make(proto_values<std::int64_t>(t, t.int64_data()));
        case ::onnx::TensorProto::INT32: return make(proto_values<std::int32_t>(t, t.int32_data()));
        case ::onnx::TensorProto::FLOAT: return make(proto_values<float>(t, t.float_data()));
        case ::onnx::TensorProto::DOUBLE: return make(proto_values<double>(t, t.double_data()));
        default: return std::nullopt;
    }
}

/// Operators whose output shapes depend on the data itself: a static shape cannot be inferred.
const std::set<std::string, std::less<>> data_dependent = {"NonZero", "NonMaxSuppression", "Compress", "Unique",
                                                            "Loop", "If", "Scan", "StringNormalizer", "TfIdfVectorizer"};

struct op_count {
    int passed = 0, failed = 0, skipped = 0;
};

}  // namespace

TEST_CASE("shape inference matches every conformance case of a supported operator") {
    const fs::path root = fs::path(GEARC_TEST_DATA) / "onnx-node-tests" / "node";
    REQUIRE_MESSAGE(fs::is_directory(root), "generate the cases first: ctest -R generate_onnx_node_tests");
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(root))
        if (fs::is_regular_file(e.path() / "model.onnx")) cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    REQUIRE(cases.size() > 500);

    std::map<std::string, op_count> per_op;
    std::map<std::string, std::set<std::string>> skip_reasons;
    std::vector<std::string> failures;
    int passed = 0, failed = 0, skipped = 0;
    for (const auto& dir : cases) {
        const std::string name = dir.filename().string();
        std::unique_ptr<gearc::graph> g;
        try {
            g = gearc::onnx::load((dir / "model.onnx").string());
        } catch (const gearc::error& e) {
            ++skipped;
            skip_reasons["the front end does not load it (" + e.code() + ")"].insert(name);
            continue;
        }
        std::string op = g->nodes().begin() != g->nodes().end() ? std::string(g->nodes().begin()->op_type()) : "?";
        auto bad = gearc::passes::unsupported_nodes(*g);
        if (!bad.empty()) {
            ++skipped;
            ++per_op[op].skipped;
            skip_reasons["unsupported operator " + std::string(bad.front()->op_type())].insert(name);
            continue;
        }
        bool dd = false;
        for (const auto& n : g->nodes()) dd = dd || data_dependent.count(n.op_type());
        if (dd) {
            ++skipped;
            ++per_op[op].skipped;
            skip_reasons["output shape depends on the data"].insert(name);
            continue;
        }
        // small inputs (shapes, axes, K, pads, depth, ...) are constants in real models: use the recorded values
        const auto inputs = g->inputs();
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            ::onnx::TensorProto t;
            if (!read_tensor_proto(dir / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb"), t)) continue;
            if (auto v = small_const_tensor(t)) g->set_initializer(inputs[i], *v);
        }
        std::vector<gearc::value_type> declared;
        for (const auto* o : g->outputs()) declared.push_back(o->type());
        // forget every inferred type the model declares: the test is about gearc's inference
        for (auto& v : g->values())
            if (!v.is_graph_input() && !v.is_initializer() && !v.is_outer_ref()) v.set_type(gearc::value_type::unknown());
        gearc::pass_context ctx;
        ctx.opset = g->info().opset_imports.count("") ? g->info().opset_imports.at("") : 17;
        std::string problem;
        try {
            gearc::passes::infer_shapes{}.run(*g, ctx);
        } catch (const gearc::error& e) {
            problem = e.what();
        }
        if (problem.empty()) {
            const auto outs = g->outputs();
            for (std::size_t i = 0; i < outs.size() && problem.empty(); ++i) {
                if (!declared[i].is_tensor()) {  // sequences and optionals: the recorded output is no TensorProto
                    if (!(outs[i]->type() == declared[i]))
                        problem = "output " + std::to_string(i) + " inferred " + outs[i]->type().to_string() + ", expected " +
                                  declared[i].to_string();
                    continue;
                }
                ::onnx::TensorProto t;
                if (!read_tensor_proto(dir / "test_data_set_0" / ("output_" + std::to_string(i) + ".pb"), t)) continue;
                std::vector<std::int64_t> expect(t.dims().begin(), t.dims().end());
                const auto& ty = outs[i]->type();
                auto want = gearc::onnx::detail::dtype_from_onnx(t.data_type());
                if (!ty.has_shape()) {
                    problem = "output " + std::to_string(i) + " has no inferred shape (type " + ty.to_string() + ")";
                } else if (!ty.dims->is_static() || ty.dims->sizes() != expect) {
                    problem = "output " + std::to_string(i) + " inferred " + ty.dims->to_string() + ", expected " +
                              gearc::shape::of(expect).to_string();
                } else if (want && ty.elem != *want &&
                           !(ty.elem == gearc::dtype::bfloat16 && *want == gearc::dtype::uint16)) {  // onnx 1.12 stores bfloat16 outputs as uint16
                    problem = "output " + std::to_string(i) + " inferred dtype " + std::string(gearc::to_string(ty.elem)) +
                              ", expected " + std::string(gearc::to_string(*want));
                }
            }
        }
        if (problem.empty()) {
            ++passed;
            ++per_op[op].passed;
        } else {
            ++failed;
            ++per_op[op].failed;
            failures.push_back(name + ": " + problem);
        }
    }

    std::ostringstream table;
    table << "shape inference on ONNX conformance cases, per operator (passed/failed/skipped):\n";
    for (const auto& [op, c] : per_op)
        if (c.failed || c.passed) table << "  " << op << " " << c.passed << "/" << c.failed << "/" << c.skipped << "\n";
    table << "skipped, by reason:\n";
    for (const auto& [why, names] : skip_reasons) table << "  " << names.size() << "  " << why << "\n";
    for (const auto& f : failures) table << "FAILED " << f << "\n";
    table << "shape inference: " << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
    MESSAGE(table.str());
    CHECK(failed == 0);
    CHECK(passed > 300);
}
