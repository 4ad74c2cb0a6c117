// Helpers shared by the unit tests: small models, capturing option errors, temporary directories.
#pragma once

#include <doctest/doctest.h>

#include <gearc/gearc.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace gearc_test {

/// A model with the given inputs (name, shape; nullopt = unknown rank) and an Identity per input.
inline std::unique_ptr<gearc::graph> model(
    std::initializer_list<std::pair<std::string, std::optional<gearc::shape>>> inputs) {
    auto g = std::make_unique<gearc::graph>("m");
    for (const auto& [name, s] : inputs) {
        auto* x = g->add_input(name, gearc::value_type::tensor_of(gearc::dtype::float32, s));
        g->add_output(g->add_node("Identity", {x}, 1)->output(0));
    }
    return g;
}

/// What the option_error that `f` throws says, through `get` (what(), report(), code()); every
/// option error must also say how to fix it. "(no error)" when `f` throws none.
template <class F, class Get>
std::string option_error_text(F&& f, Get&& get) {
    try {
        f();
    } catch (const gearc::option_error& e) {
        CHECK_FALSE(e.solution().empty());  // every error says how to fix it
        return get(e);
    }
    return "(no error)";
}
/// "CODE: message".
template <class F>
std::string error_of(F&& f) {
    return option_error_text(f, [](const gearc::option_error& e) { return std::string(e.what()); });
}
/// "CODE: message\nSolution: ...".
template <class F>
std::string report_of(F&& f) {
    return option_error_text(f, [](const gearc::option_error& e) { return e.report(); });
}
/// "CODE".
template <class F>
std::string code_of(F&& f) {
    return option_error_text(f, [](const gearc::option_error& e) { return e.code(); });
}

/// "CODE: message" of any gearc::error `f` throws (every one must say how to fix it), or "(no error)".
template <class F>
std::string any_error_of(F&& f) {
    try {
        f();
    } catch (const gearc::error& e) {
        CHECK_FALSE(e.solution().empty());
        return e.what();
    }
    return "(no error)";
}
/// The code of any gearc::error `f` throws, or "(no error)".
template <class F>
std::string any_code_of(F&& f) {
    try {
        f();
    } catch (const gearc::error& e) {
        return e.code();
    }
    return "(no error)";
}

/// Each gear's shape of input `name`, as text.
inline std::vector<std::string> shapes_of(const gearc::gear_set& gs, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& g : gs) out.push_back(g.at(name).to_string());
    return out;
}

/// A fresh directory under the build tree's test data (GEARC_TEST_DATA), removed afterwards.
struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(const std::string& prefix = "tmp") {
        std::string t = std::string(GEARC_TEST_DATA) + "/" + prefix + "-XXXXXX";
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
    /// The names of the files in it, sorted.
    [[nodiscard]] std::vector<std::string> listing() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path)) out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

}  // namespace gearc_test
