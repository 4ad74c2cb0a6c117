// Sweeps ONNX's conformance cases of every operator passes::evaluate covers: the node evaluated on the
// case's inputs must give the case's outputs (exact for integers and bools, rtol 1e-4 / atol 1e-6 for floats).
#include <doctest/doctest.h>

#include <gearc/frontend/onnx.hpp>
#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include "test_support.hpp"
#include "onnx_test_support.hpp"

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

using gearc_test::compare;
using gearc_test::read_tensor;

namespace {

fs::path node_cases_dir() { return fs::path(GEARC_TEST_DATA) / "onnx-node-tests" / "node"; }

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
