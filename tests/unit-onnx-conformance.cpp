// The conformance driver: every ONNX backend case (node/ and simple/) through compile() and a CPU session,
// outputs compared with ONNX's (rtol 1e-3, atol 1e-5 for floats; exact for integers and bools). Prints a
// table per operator and "N passed, N failed, N skipped"; every skip names its reason.
#include <doctest/doctest.h>

#include <gearc/frontend/onnx.hpp>
#include <gearc/runtime.hpp>

#include "onnx_test_support.hpp"
#include "test_support.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct tally {
    std::size_t passed = 0, failed = 0, skipped = 0;
};

/// The operators of a case, "Op" or "domain::Op", sorted and joined: its row in the table.
std::string ops_of(const gearc::graph& g) {
    std::set<std::string> ops;
    for (const auto& n : g.nodes()) ops.insert(n.domain().empty() || n.domain() == "ai.onnx" ? std::string(n.op_type())
                                                                                            : std::string(n.domain()) + "::" + std::string(n.op_type()));
    std::string s;
    for (const auto& o : ops) s += (s.empty() ? "" : "+") + o;
    return s;
}

}  // namespace

TEST_CASE("ONNX conformance cases run through compile() and a CPU session") {
    const fs::path root = fs::path(GEARC_TEST_DATA) / "onnx-node-tests";
    REQUIRE_MESSAGE(fs::is_directory(root / "node"), "the generated ONNX conformance cases are missing under " << root);
    std::vector<fs::path> cases;
    for (const char* group : {"node", "simple"})
        for (const auto& e : fs::directory_iterator(root / group))
            if (fs::is_regular_file(e.path() / "model.onnx") && fs::is_directory(e.path() / "test_data_set_0")) cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    REQUIRE(cases.size() > 900);

    std::map<std::string, tally> per_op;
    std::map<std::string, std::vector<std::string>> skipped;  // reason -> cases
    std::vector<std::string> failures;
    tally total;
    std::size_t promises = 0;  // one-node cases the compile-time coverage promises a kernel for
    auto skip = [&](const std::string& row, const std::string& name, const std::string& reason) {
        ++per_op[row].skipped, ++total.skipped;
        skipped[reason].push_back(name);
    };
    auto fail = [&](const std::string& row, const std::string& name, const std::string& why) {
        ++per_op[row].failed, ++total.failed;
        failures.push_back(name + ": " + why);
    };

    for (const auto& dir : cases) {
        const std::string name = dir.filename().string();
        std::unique_ptr<gearc::graph> g;
        try {
            g = gearc::onnx::load((dir / "model.onnx").string());
        } catch (const gearc::error& e) {
            skip("(not loaded)", name, "the front end cannot read the model: " + e.code());
            continue;
        }
        const std::string row = ops_of(*g);
        bool tensors = true, strings = false;
        for (auto* v : g->inputs()) tensors = tensors && v->type().is_tensor(), strings = strings || v->elem_type() == gearc::dtype::string;
        for (auto* v : g->outputs()) tensors = tensors && v->type().is_tensor(), strings = strings || v->elem_type() == gearc::dtype::string;
        if (!tensors) {
            skip(row, name, "sequence or optional inputs/outputs");
            continue;
        }
        if (strings) {
            skip(row, name, "string tensors");
            continue;
        }
        // feeds: the graph inputs that are not initializers, in order (input_i.pb), and the expected outputs
        const fs::path data = dir / "test_data_set_0";
        gearc::session::tensor_map feeds;
        std::vector<gearc::input_shape_entry> shapes;
        std::size_t i = 0;
        bool data_ok = true;
        for (auto* v : g->inputs()) {
            if (v->is_initializer()) continue;
            const auto file = data / ("input_" + std::to_string(i++) + ".pb");
            if (!fs::exists(file)) {
                data_ok = false;
                break;
            }
            auto t = gearc_test::read_tensor(file);
            if (t.type() == gearc::dtype::uint16 && v->elem_type() == gearc::dtype::bfloat16) t = gearc::tensor(v->elem_type(), t.sizes(), t.data());
            data_ok = data_ok && t.type() == v->elem_type();
            shapes.push_back({std::string(v->name()), t.get_shape()});
            feeds.emplace(std::string(v->name()), std::move(t));
        }
        std::vector<gearc::tensor> want;
        for (std::size_t k = 0; k < g->outputs().size(); ++k) {
            auto t = gearc_test::read_tensor(data / ("output_" + std::to_string(k) + ".pb"));
            if (t.type() == gearc::dtype::uint16 && g->outputs()[k]->elem_type() == gearc::dtype::bfloat16)
                t = gearc::tensor(gearc::dtype::bfloat16, t.sizes(), t.data());
            want.push_back(std::move(t));
        }
        if (!data_ok) {
            skip(row, name, "test data that does not match the model's inputs");
            continue;
        }

        // a one-node case whose (operator, first input type) the CPU promises at compile time must run
        bool promised = false;
        std::string promise;
        if (g->num_nodes() == 1) {
            const auto& n = *g->nodes().begin();
            // the promise is for inference: not training mode (an attribute, or Dropout's training_mode input),
            // and no bfloat16 result (kernels/cpu/coverage.hpp)
            bool inference = n.attr_or<std::int64_t>("training_mode", 0) == 0 &&
                             !(n.op_type() == "Dropout" && n.num_inputs() > 2 && n.input(2) && !n.input(2)->name().empty());
            for (std::size_t k = 0; k < n.num_outputs(); ++k)
                inference = inference && !(n.output(k) && n.output(k)->elem_type() == gearc::dtype::bfloat16);
            if (inference && n.num_inputs() && n.input(0) && !n.input(0)->name().empty()) {
                promised = gearc::kernels::device_kernels<gearc::device::cpu>::covers(n.domain(), n.op_type(), n.input(0)->elem_type());
                promise = std::string(n.op_type()) + " on " + std::string(gearc::to_string(n.input(0)->elem_type()));
            }
        }
        if (promised) ++promises;

        // one static gear: the shapes of the case's inputs
        gearc::gear_set gears;
        try {
            gearc::gear_request r;
            r.kind = gearc::gear_kind::static_shape;
            r.input_shapes = shapes;
            auto inputs = gearc::model_inputs(*g);
            gears = gearc::make_gear_set(std::span<const gearc::model_input>(inputs), r);
        } catch (const gearc::option_error& e) {
            skip(row, name, "test data whose shape differs from the model's declared input shape");
            continue;
        }
        std::shared_ptr<gearc::compiled_model> compiled;
        try {
            compiled = std::make_shared<gearc::compiled_model>(gearc::compile(*g, gears));
        } catch (const gearc::error& e) {
            if (e.code() == gearc::errc::unsupported_operator && promised)
                fail(row, name, "the CPU coverage promises " + promise + " but compile() says: " + e.what());
            else if (e.code() == gearc::errc::unsupported_operator)
                skip(row, name, "unsupported operator (GC4001)");
            else if (e.code() == gearc::errc::not_static)
                skip(row, name, "output shape depends on the data (GC4004)");
            else
                fail(row, name, "compile: " + std::string(e.what()));
            continue;
        }
        std::unique_ptr<gearc::session> s;
        try {
            s = std::make_unique<gearc::session>(std::make_shared<gearc::prepared_model<>>(compiled, 2));
        } catch (const gearc::error& e) {
            if (e.code() == gearc::errc::missing_kernel && promised) {
                fail(row, name, "the CPU coverage (kernels/cpu/coverage.hpp) promises " + promise + " but: " + e.what());
            } else if (e.code() == gearc::errc::missing_kernel) {
                std::string what = e.message();
                what = what.substr(what.find(':') + 2);
                skip(row, name, "no CPU kernel: " + what.substr(0, what.find(" ('")));
            } else {
                fail(row, name, "prepare: " + std::string(e.what()));
            }
            continue;
        }
        gearc::session::tensor_map got;
        try {
            got = s->run(feeds);
        } catch (const gearc::error& e) {
            fail(row, name, "run: " + std::string(e.what()));
            continue;
        }
        std::string diff;
        for (std::size_t k = 0; k < want.size() && diff.empty(); ++k) {
            auto it = got.find(std::string(g->outputs()[k]->name()));
            if (it == got.end())
                diff = "output '" + std::string(g->outputs()[k]->name()) + "' is missing";
            else if (auto d = gearc_test::compare(it->second, want[k], 1e-3, 1e-5); !d.empty())
                diff = "output '" + std::string(g->outputs()[k]->name()) + "': " + d;
        }
        if (diff.empty())
            ++per_op[row].passed, ++total.passed;
        else
            fail(row, name, diff);
    }

    std::ostringstream out;
    out << "ONNX conformance through compile() + session (CPU):\n";
    out << "  operator(s)                               passed  failed  skipped\n";
    for (const auto& [row, t] : per_op) {
        char line[160];
        std::snprintf(line, sizeof line, "  %-40s %7zu %7zu %8zu\n", row.c_str(), t.passed, t.failed, t.skipped);
        out << line;
    }
    for (const auto& [reason, names] : skipped) {
        out << "  skipped (" << names.size() << "), " << reason << ":";
        for (std::size_t k = 0; k < names.size() && k < 12; ++k) out << " " << names[k];
        if (names.size() > 12) out << " ... " << names.size() - 12 << " more";
        out << "\n";
    }
    for (const auto& f : failures) out << "  FAILED " << f << "\n";
    out << "  " << promises << " one-node cases are promised a kernel by kernels/cpu/coverage.hpp (each found one)\n";
    out << total.passed << " passed, " << total.failed << " failed, " << total.skipped << " skipped\n";
    std::cout << out.str() << std::flush;
    MESSAGE(total.passed << " passed, " << total.failed << " failed, " << total.skipped << " skipped");
    for (const auto& f : failures) FAIL_CHECK(f);
    CHECK(total.passed > 300);
    CHECK(promises > 200);
}
