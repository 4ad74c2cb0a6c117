// Fusion switches: the names of gearc's fusions, and the switch files (ATC JSON or `Name:off` lines) that turn them off.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/gear_options.hpp>
#include <gearc/passes/pass.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>

GEARC_BEGIN_NAMESPACE

namespace passes {

/// Whether a fusion rewrites the graph (ATC's "GraphFusion") or merges an operator with the bias and
/// activation that follow it into one kernel (ATC's "UBFusion").
enum class fusion_kind : unsigned char { graph, kernel };

struct fusion_info {
    std::string_view name;
    fusion_kind kind;
};

/// Every fusion gearc has, by the name switch files use.
inline constexpr fusion_info fusion_table[] = {
    {"ConvBatchNormFusion", fusion_kind::graph},   {"MatMulAddFusion", fusion_kind::graph},
    {"LayerNormFusion", fusion_kind::graph},       {"GeluFusion", fusion_kind::graph},
    {"TransposeCancellation", fusion_kind::graph}, {"ConvBiasActivationFusion", fusion_kind::kernel},
    {"GemmActivationFusion", fusion_kind::kernel}, {"MatMulBiasActivationFusion", fusion_kind::kernel},
};

/// The fusion names, in fusion_table order.
[[nodiscard]] inline std::span<const std::string_view> known_fusions() noexcept {
    static constexpr auto names = [] {
        std::array<std::string_view, std::size(fusion_table)> a{};
        for (std::size_t i = 0; i < a.size(); ++i) a[i] = fusion_table[i].name;
        return a;
    }();
    return names;
}

namespace detail::switches {

inline std::string known_list() {
    std::string s;
    for (auto n : known_fusions()) s += (s.empty() ? "" : ", ") + std::string(n);
    return s;
}

[[nodiscard]] inline compile_error bad(std::string_view origin, const std::string& where, const std::string& what,
                                       const std::string& fix) {
    return compile_error(errc::fusion_switch, "fusion switch file [" + std::string(origin) + "]" + where + ": " + what, fix);
}

[[nodiscard]] inline compile_error unknown_fusion(std::string_view origin, const std::string& where, std::string_view name) {
    return bad(origin, where,
               "unknown fusion [" + std::string(name) + "]" + gearc::detail::opts::did_you_mean(name, known_fusions()) +
                   "; known fusions: " + known_list(),
               "Use one of the known fusion names (or ALL).");
}

[[nodiscard]] inline bool known(std::string_view name) {
    for (auto n : known_fusions())
        if (n == name) return true;
    return false;
}

/// "on" -> true, "off" -> false (any case); nullopt otherwise.
[[nodiscard]] inline std::optional<bool> parse_state(std::string_view v) {
    std::string s;
    for (char ch : v) s += gearc::detail::opts::lower(ch);
    if (s == "on") return true;
    if (s == "off") return false;
    return std::nullopt;
}

/// Switches `name` (a fusion, or ALL for the fusions of `kind`, or of every kind when kind is nullopt).
inline void set(std::set<std::string, std::less<>>& off, std::string_view name, bool on, std::optional<fusion_kind> kind) {
    if (name == "ALL") {
        for (const auto& f : fusion_table)
            if (!kind || f.kind == *kind) {
                if (on) off.erase(std::string(f.name));
                else off.insert(std::string(f.name));
            }
        return;
    }
    if (on) off.erase(std::string(name));
    else off.insert(std::string(name));
}

[[nodiscard]] inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

inline std::set<std::string, std::less<>> parse_lines(std::string_view text, std::string_view origin) {
    std::set<std::string, std::less<>> off;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        const std::string where = " line " + std::to_string(line_no);
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            throw bad(origin, where, "[" + std::string(line) + "] is not of the form Name:on or Name:off",
                      "Write one switch per line, e.g. GeluFusion:off.");
        auto name = trim(line.substr(0, colon));
        auto value = trim(line.substr(colon + 1));
        if (name.empty())
            throw bad(origin, where, "[" + std::string(line) + "] has no fusion name before ':'",
                      "Write one switch per line, e.g. GeluFusion:off.");
        if (name != "ALL" && !known(name)) throw unknown_fusion(origin, where, name);
        auto state = parse_state(value);
        if (!state)
            throw bad(origin, where, "invalid switch value [" + std::string(value) + "] for fusion [" + std::string(name) + "]",
                      "The value must be on or off.");
        set(off, name, *state, std::nullopt);
    }
    return off;
}

inline std::set<std::string, std::less<>> parse_json(std::string_view text, std::string_view origin) {
    using json = nlohmann::json;
    const std::string fix = R"(Write the ATC form {"Switch":{"GraphFusion":{"Name":"off"},"UBFusion":{"Name":"off"}}}.)";
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        throw bad(origin, "", std::string("is not valid JSON: ") + e.what(), fix);
    }
    if (!doc.is_object() || doc.size() != 1 || !doc.contains("Switch") || !doc["Switch"].is_object()) {
        std::string what = "the top level must be an object holding only a \"Switch\" object";
        if (doc.is_object())
            for (const auto& [k, v] : doc.items())
                if (k != "Switch") {
                    what += "; unexpected key [" + k + "]" +
                            gearc::detail::opts::did_you_mean(k, std::initializer_list<std::string_view>{"Switch"});
                    break;
                }
        throw bad(origin, "", what, fix);
    }
    constexpr std::string_view sections[] = {"GraphFusion", "UBFusion"};
    for (const auto& [section, body] : doc["Switch"].items()) {
        if (section != sections[0] && section != sections[1])
            throw bad(origin, "", "unknown section [Switch." + section + "]" + gearc::detail::opts::did_you_mean(section, sections) +
                                      "; expected GraphFusion or UBFusion",
                      fix);
        if (!body.is_object()) throw bad(origin, "", "[Switch." + section + "] must be an object of \"Name\": \"on\"/\"off\"", fix);
        for (const auto& [name, value] : body.items()) {
            const std::string where = " at [Switch." + section + "." + name + "]";
            if (name != "ALL" && !known(name)) throw unknown_fusion(origin, where, name);
            auto state = value.is_string() ? parse_state(value.get<std::string>()) : std::nullopt;
            if (!state)
                throw bad(origin, where, "invalid switch value [" + (value.is_string() ? value.get<std::string>() : value.dump()) + "]",
                          "The value must be \"on\" or \"off\".");
        }
    }
    // ALL first (for the section's kind of fusion), then the names: a file may turn everything off and
    // a few back on
    std::set<std::string, std::less<>> off;
    for (const auto& [section, body] : doc["Switch"].items()) {
        const auto kind = section == "GraphFusion" ? fusion_kind::graph : fusion_kind::kernel;
        if (body.contains("ALL")) set(off, "ALL", *parse_state(body["ALL"].get<std::string>()), kind);
    }
    for (const auto& [section, body] : doc["Switch"].items())
        for (const auto& [name, value] : body.items())
            if (name != "ALL") set(off, name, *parse_state(value.get<std::string>()), std::nullopt);
    return off;
}

}  // namespace detail::switches

/// The fusions a switch file turns off. Two forms:
/// - lines `Name:off` / `Name:on` (MindSpore Lite's fusion_switch_config_file_path), blank lines and `#`
///   comments allowed, later lines winning; `ALL:off` switches every fusion;
/// - ATC's JSON `{"Switch":{"GraphFusion":{"ALL":"off","Name":"on"},"UBFusion":{...}}}`, where ALL in a
///   section applies to that kind of fusion first and the names then override it (a name may be given in
///   either section).
/// `origin` names the file in errors: GC4003 naming the line (or JSON key), the bad name or value, a
/// suggestion and the known names.
[[nodiscard]] inline std::set<std::string, std::less<>> parse_fusion_switches(std::string_view text, std::string_view origin) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
    auto first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && text[first] == '{') return detail::switches::parse_json(text, origin);
    return detail::switches::parse_lines(text, origin);
}

/// Reads and parses a switch file; a file that cannot be read is GC1001.
[[nodiscard]] inline std::set<std::string, std::less<>> load_fusion_switches(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw compile_error(errc::file_io, "cannot open fusion switch file [" + path + "]: " + std::strerror(errno),
                            "Check that the file exists and is readable.");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw compile_error(errc::file_io, "cannot read fusion switch file [" + path + "]", "Check that the file is readable.");
    return parse_fusion_switches(text.str(), path);
}

/// Switches the fusions in `disabled` off for the passes that run with `ctx` (fusions already off stay off).
inline void apply_fusion_switches(pass_context& ctx, const std::set<std::string, std::less<>>& disabled) {
    ctx.disabled_fusions.insert(disabled.begin(), disabled.end());
}

}  // namespace passes

GEARC_END_NAMESPACE
