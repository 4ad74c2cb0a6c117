// Sweeps ONNX's own conformance models: each loads and round-trips exactly, or fails with a clear unsupported-feature error.
#include <doctest/doctest.h>

#include <gearc/frontend/onnx.hpp>

#include "test_support.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <stdlib.h>

namespace fs = std::filesystem;

using gearc_test::temp_dir;

namespace {

/// Every model.onnx of the generated cases under node/, simple/ and real/, sorted.
std::vector<fs::path> conformance_models() {
    const fs::path root = fs::path(GEARC_TEST_DATA) / "onnx-node-tests";
    std::vector<fs::path> out;
    for (const char* part : {"node", "simple", "real"}) {
        if (!fs::is_directory(root / part)) continue;
        for (const auto& e : fs::directory_iterator(root / part))
            if (fs::is_regular_file(e.path() / "model.onnx")) out.push_back(e.path() / "model.onnx");
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// "node/test_abs" for ".../onnx-node-tests/node/test_abs/model.onnx".
std::string case_name(const fs::path& model) {
    return model.parent_path().parent_path().filename().string() + "/" + model.parent_path().filename().string();
}

/// The error's message without the "model [path]: " that starts it.
std::string reason_of(const gearc::error& e) {
    const auto& m = e.message();
    if (m.starts_with("model [")) {
        if (auto end = m.find("]: "); end != std::string::npos) return m.substr(end + 3);
    }
    return m;
}

/// A clear "gearc does not read this" error: a version, a domain, or a feature it cannot represent.
bool is_unsupported(const gearc::error& e) {
    return e.code() == gearc::errc::model_version || e.code() == gearc::errc::unknown_domain ||
           e.code() == gearc::errc::unsupported_feature;
}

}  // namespace

TEST_CASE("ONNX conformance models: each loads and round-trips exactly, or is a clear unsupported-feature error") {
    const auto models = conformance_models();
    REQUIRE_MESSAGE(models.size() > 900, "the generated ONNX conformance cases are missing under " GEARC_TEST_DATA
                                         "/onnx-node-tests (run: ctest -R generate)");
    std::size_t round_tripped = 0;
    std::map<std::string, std::map<std::string, std::vector<std::string>>> unsupported;  // code -> reason -> cases
    for (const auto& path : models) {
        const auto name = case_name(path);
        CAPTURE(name);
        std::unique_ptr<gearc::graph> g1;
        try {
            g1 = gearc::onnx::load(path.string());
        } catch (const gearc::error& e) {
            if (is_unsupported(e)) unsupported[e.code()][reason_of(e)].push_back(name);
            else FAIL_CHECK(name << ": not a clear unsupported-feature error: " << e.what());
            continue;
        } catch (const std::exception& e) {
            FAIL_CHECK(name << ": not a gearc::error: " << e.what());
            continue;
        }
        try {
            const auto diags = gearc::verify(*g1);
            CHECK_MESSAGE(diags.empty(), name << ": " << (diags.empty() ? "" : diags.front().to_string()));
            const auto bytes = gearc::onnx::to_bytes(*g1);
            auto g2 = gearc::onnx::load_from_memory(bytes.data(), bytes.size(), {}, path.parent_path().string());
            const auto t1 = gearc::to_text(*g1), t2 = gearc::to_text(*g2);
            CHECK_MESSAGE(t1 == t2, name << ": the text changed in the round trip\n--- loaded\n" << t1 << "--- re-loaded\n" << t2);
            CHECK(gearc::verify(*g2).empty());
            if (t1 == t2) ++round_tripped;
        } catch (const std::exception& e) {
            FAIL_CHECK(name << ": round trip failed: " << e.what());
        }
    }

    std::ostringstream summary;
    std::size_t n_unsupported = 0;
    for (const auto& [code, reasons] : unsupported)
        for (const auto& [reason, cases] : reasons) n_unsupported += cases.size();
    summary << "ONNX conformance sweep: " << models.size() << " models, " << round_tripped << " loaded and round-tripped, "
            << n_unsupported << " unsupported";
    for (const auto& [code, reasons] : unsupported) {
        std::size_t n = 0;
        for (const auto& [reason, cases] : reasons) n += cases.size();
        summary << "\n  " << code << ": " << n;
        for (const auto& [reason, cases] : reasons) {
            summary << "\n    " << cases.size() << " x " << reason << " (";
            for (std::size_t i = 0; i < cases.size(); ++i) summary << (i ? ", " : "") << cases[i];
            summary << ")";
        }
    }
    MESSAGE(summary.str());
    std::cout << summary.str() << std::endl;
    CHECK(round_tripped + n_unsupported == models.size());
}

TEST_CASE("ONNX conformance models: saved through files, every exported model passes onnx.checker") {
    const auto models = conformance_models();
    REQUIRE(models.size() > 900);
    temp_dir dir("onnx-node-sweep");
    std::ofstream list(dir.path / "models.txt");
    std::size_t saved = 0;
    for (const auto& path : models) {
        std::unique_ptr<gearc::graph> g;
        try {
            g = gearc::onnx::load(path.string());
        } catch (const gearc::error&) {
            continue;  // the sweep above checks these
        }
        const auto out = dir.path / (path.parent_path().filename().string() + ".onnx");
        gearc::onnx::save(*g, out.string());
        // A few go through files twice: the saved file loads back to the same graph.
        if (saved % 50 == 0) CHECK_MESSAGE(gearc::to_text(*gearc::onnx::load(out.string())) == gearc::to_text(*g), case_name(path));
        list << out.string() << '\n';
        ++saved;
    }
    list.close();
    REQUIRE(saved > 900);
    // scripts/install-deps.sh installs python3-onnx, so its absence is a failure, not a skip.
    REQUIRE_MESSAGE(std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") == 0,
                    "/usr/bin/python3 has no onnx module: run scripts/install-deps.sh (python3-onnx)");
    const std::string cmd = std::string("/usr/bin/python3 '") + GEARC_SOURCE_DIR + "/tests/onnx/check_models.py' '" +
                            (dir.path / "models.txt").string() + "'";
    CHECK_MESSAGE(std::system(cmd.c_str()) == 0, "onnx.checker rejected exported models (listed above)");
}
