// Sweeps ONNX's conformance cases of every operator passes::evaluate covers: the node evaluated on the
// case's inputs must give the case's outputs (exact for integers and bools, rtol 1e-4 / atol 1e-6 for floats).
#include <doctest/doctest.h>

#include <gearc/frontend/onnx.hpp>
#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path node_cases_dir() { return fs::path(GEARC_TEST_DATA) / "onnx-node-tests" / "node"; }

/// A TensorProto file (input_N.pb / output_N.pb), converted by the front end's own TensorProto reader.
gearc::tensor read_tensor(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    REQUIRE_MESSAGE(f, "cannot open " << p);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ::onnx::TensorProto proto;
    REQUIRE_MESSAGE(proto.ParseFromString(bytes), p << " is not a TensorProto");
    const gearc::onnx::load_options opts;
    gearc::onnx::detail::load_context ctx;
    ctx.model = p.string();
    ctx.base_dir = p.parent_path();
    ctx.opts = &opts;
    return gearc::onnx::detail::tensor_from_onnx(proto, ctx, p.filename().string());
}

/// IEEE binary16 bits -> double, written independently of the evaluator's conversion.
double half_bits_to_double(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    std::uint32_t bits;
    if (exp == 0x1f) bits = sign | 0x7f800000u | (man << 13);  // inf / NaN
    else if (exp != 0) bits = sign | ((exp + 112) << 23) | (man << 13);
    else {  // zero or subnormal: man * 2^-24, exactly representable as float
        float f = static_cast<float>(man) * (1.0f / 16777216.0f);
        return (h & 0x8000u) ? -static_cast<double>(f) : static_cast<double>(f);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

std::vector<double> floats_of(const gearc::tensor& t) {
    std::vector<double> out;
    const std::byte* p = t.data().data();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
        if (t.type() == gearc::dtype::float32) {
            float f;
            std::memcpy(&f, p + i * 4, 4);
            out.push_back(f);
        } else if (t.type() == gearc::dtype::float64) {
            double d;
            std::memcpy(&d, p + i * 8, 8);
            out.push_back(d);
        } else {  // float16
            std::uint16_t h;
            std::memcpy(&h, p + i * 2, 2);
            out.push_back(half_bits_to_double(h));
        }
    }
    return out;
}

/// "" when equal, else what differs.
std::string compare(const gearc::tensor& got, const gearc::tensor& want) {
    if (got.type() != want.type())
        return "type " + std::string(gearc::to_string(got.type())) + ", expected " + std::string(gearc::to_string(want.type()));
    if (got.sizes() != want.sizes())
        return "shape " + gearc::shape::of(got.sizes()).to_string() + ", expected " + gearc::shape::of(want.sizes()).to_string();
    const auto t = want.type();
    if (t == gearc::dtype::float32 || t == gearc::dtype::float64 || t == gearc::dtype::float16) {
        const auto a = floats_of(got), b = floats_of(want);
        for (std::size_t i = 0; i < a.size(); ++i) {
            const bool same = (std::isnan(a[i]) && std::isnan(b[i])) || a[i] == b[i] ||
                              std::fabs(a[i] - b[i]) <= 1e-6 + 1e-4 * std::fabs(b[i]);
            if (!same) {
                std::ostringstream os;
                os.precision(9);
                os << "element " << i << " is " << a[i] << ", expected " << b[i];
                return os.str();
            }
        }
        return "";
    }
    if (got.nbytes() != want.nbytes() ||
        (got.nbytes() && std::memcmp(got.data().data(), want.data().data(), got.nbytes()) != 0)) {
        const std::size_t es = gearc::size_of(t);
        for (std::size_t i = 0; i < got.nbytes() / es; ++i)
            if (std::memcmp(got.data().data() + i * es, want.data().data() + i * es, es) != 0)
                return "element " + std::to_string(i) + " differs (" + std::string(gearc::to_string(t)) + ")";
    }
    return "";
}

/// The dtypes the evaluator promises to compute; a case in only these types must not be declined.
bool promised(gearc::dtype t) {
    using gearc::dtype;
    return t == dtype::float32 || t == dtype::float64 || t == dtype::float16 || t == dtype::int8 || t == dtype::int16 ||
           t == dtype::int32 || t == dtype::int64 || t == dtype::uint8 || t == dtype::uint16 || t == dtype::uint32 ||
           t == dtype::uint64 || t == dtype::boolean;
}

struct tally {
    std::size_t passed = 0, failed = 0, not_covered = 0;
};

}  // namespace

TEST_CASE("ONNX conformance cases: evaluate() reproduces the outputs of every operator it covers") {
    const fs::path root = node_cases_dir();
    REQUIRE_MESSAGE(fs::is_directory(root), "the generated ONNX conformance cases are missing under " << root
                                                                                                      << " (run: ctest -R generate)");
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(root))
        if (fs::is_regular_file(e.path() / "model.onnx")) cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    REQUIRE(cases.size() > 900);

    // First pass: which cases are one node of a covered operator (the "_expanded" twins belong to them).
    std::map<std::string, std::unique_ptr<gearc::graph>> graphs;
    std::map<std::string, std::string> op_of;  // case -> covered op
    for (const auto& dir : cases) {
        const auto name = dir.filename().string();
        std::unique_ptr<gearc::graph> g;
        try {
            g = gearc::onnx::load((dir / "model.onnx").string());
        } catch (const gearc::error&) {
            continue;  // unit-onnx-node-tests reports what the front end cannot read
        }
        if (g->num_nodes() == 1) {
            const auto& n = *g->node_list().front();
            if (gearc::passes::can_evaluate(n.domain(), n.op_type())) op_of[name] = n.op_type();
        }
        graphs[name] = std::move(g);
    }

    std::map<std::string, tally> per_op;
    std::map<std::string, std::vector<std::string>> not_covered;  // reason -> cases
    tally total;
    auto skip = [&](const std::string& op, const std::string& name, const std::string& reason) {
        ++per_op[op].not_covered;
        ++total.not_covered;
        not_covered[reason].push_back(name);
    };

    for (const auto& entry : graphs) {
        const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture those
        const auto& g = entry.second;
        if (!op_of.count(name)) {
            const auto base = name.size() > 9 && name.ends_with("_expanded") ? name.substr(0, name.size() - 9) : std::string();
            if (op_of.count(base)) skip(op_of[base], name, "the function-expanded form (" + std::to_string(g->num_nodes()) + " nodes)");
            continue;
        }
        const std::string op = op_of[name];
        CAPTURE(name);
        const fs::path data = root / name / "test_data_set_0";

        bool tensors_only = true, strings = false;
        for (auto* v : g->inputs()) {
            tensors_only = tensors_only && v->type().is_tensor();
            strings = strings || v->elem_type() == gearc::dtype::string;
        }
        for (auto* v : g->outputs()) {
            tensors_only = tensors_only && v->type().is_tensor();
            strings = strings || v->elem_type() == gearc::dtype::string;
        }
        if (!tensors_only) {
            skip(op, name, "sequence or optional inputs/outputs");
            continue;
        }
        if (strings) {
            skip(op, name, "string tensors");
            continue;
        }

        std::vector<gearc::tensor> feeds;
        for (std::size_t i = 0; i < g->inputs().size(); ++i)
            feeds.push_back(read_tensor(data / ("input_" + std::to_string(i) + ".pb")));
        std::vector<gearc::tensor> want;
        for (std::size_t k = 0; k < g->outputs().size(); ++k)
            want.push_back(read_tensor(data / ("output_" + std::to_string(k) + ".pb")));
        // ONNX 1.12 stores its bfloat16 test data as uint16: the bytes are the bfloat16 bits.
        auto as_declared = [](gearc::tensor& t, gearc::dtype declared) {
            if (t.type() == gearc::dtype::uint16 && declared == gearc::dtype::bfloat16) t = gearc::tensor(declared, t.sizes(), t.data());
        };
        for (std::size_t i = 0; i < feeds.size(); ++i) as_declared(feeds[i], g->inputs()[i]->elem_type());
        for (std::size_t k = 0; k < want.size(); ++k) as_declared(want[k], g->outputs()[k]->elem_type());
        bool data_matches_model = true;
        for (std::size_t i = 0; i < feeds.size(); ++i) data_matches_model = data_matches_model && feeds[i].type() == g->inputs()[i]->elem_type();
        for (std::size_t k = 0; k < want.size(); ++k) data_matches_model = data_matches_model && want[k].type() == g->outputs()[k]->elem_type();
        if (!data_matches_model) {
            skip(op, name, "test data whose dtype differs from the model's");
            continue;
        }
        const auto& n = *g->node_list().front();
        std::vector<const gearc::tensor*> ins;
        bool all_promised = true;
        for (auto* v : n.inputs()) {
            const gearc::tensor* t = nullptr;
            if (v && !v->name().empty()) {
                const auto& gi = g->inputs();
                if (auto it = std::find(gi.begin(), gi.end(), v); it != gi.end()) t = &feeds[static_cast<std::size_t>(it - gi.begin())];
                else if (v->initializer()) t = &*v->initializer();
                REQUIRE_MESSAGE(t, "input '" << v->name() << "' has no data");
                all_promised = all_promised && promised(t->type());
            }
            ins.push_back(t);
        }
        for (const auto& w : want) all_promised = all_promised && promised(w.type());

        std::optional<std::vector<gearc::tensor>> got;
        try {
            got = gearc::passes::evaluate(n, ins, g->info().opset_imports.count("") ? g->info().opset_imports.at("") : 17);
        } catch (const gearc::error& e) {
            FAIL_CHECK(name << ": " << e.what());
            ++per_op[op].failed;
            ++total.failed;
            continue;
        }
        if (!got) {
            if (all_promised) {
                FAIL_CHECK(name << ": evaluate() declined a case whose dtypes it promises to cover");
                ++per_op[op].failed;
                ++total.failed;
            } else {
                skip(op, name, "bfloat16 results (left to run time)");
            }
            continue;
        }
        std::string diff;
        for (std::size_t k = 0; k < g->outputs().size() && diff.empty(); ++k) {
            std::size_t j = 0;
            while (j < n.num_outputs() && n.output(j) != g->outputs()[k]) ++j;
            REQUIRE(j < n.num_outputs());
            if (j >= got->size()) diff = "output " + std::to_string(j) + " is missing";
            else if (auto d = compare((*got)[j], want[k]); !d.empty()) diff = "output " + std::to_string(j) + ": " + d;
        }
        if (diff.empty()) {
            ++per_op[op].passed;
            ++total.passed;
        } else {
            FAIL_CHECK(name << ": " << diff);
            ++per_op[op].failed;
            ++total.failed;
        }
    }

    std::ostringstream summary;
    summary << "evaluate() on ONNX conformance cases: " << total.passed << " passed, " << total.failed << " failed, "
            << total.not_covered << " not covered\n";
    for (const auto& [op, t] : per_op)
        summary << "  " << op << ": " << t.passed << " passed" << (t.failed ? ", " + std::to_string(t.failed) + " FAILED" : "")
                << (t.not_covered ? ", " + std::to_string(t.not_covered) + " not covered" : "") << "\n";
    for (const auto& [reason, names] : not_covered) {
        summary << "  not covered, " << reason << ":";
        for (const auto& c : names) summary << " " << c;
        summary << "\n";
    }
    std::string missing;
    for (auto op : gearc::passes::evaluated_ops)
        if (!per_op.count(std::string(op)) || per_op[std::string(op)].passed == 0) missing += " " + std::string(op);
    summary << "  operators without a passing case in this ONNX version:" << (missing.empty() ? " none" : missing) << "\n";
    MESSAGE(summary.str());
    std::cout << summary.str() << std::flush;
    CHECK(total.failed == 0);
    CHECK(total.passed > 300);
}
