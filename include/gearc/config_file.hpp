// MindSpore Lite converter config files: INI parsing, and the [ascend_context] keys translated into gear_options.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/gear_options.hpp>
#include <gearc/gear_set.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// One `key=value` line.
struct config_entry {
    std::string key;
    std::string value;  ///< trimmed, quotes removed
    std::size_t line = 0;
};

/// One `[section]` with its entries in file order (a section named twice is one section).
struct config_section {
    std::string name;
    std::size_t line = 0;  ///< where it is first opened
    std::vector<config_entry> entries;

    [[nodiscard]] const config_entry* find(std::string_view key) const {
        for (const auto& e : entries)
            if (e.key == key) return &e;
        return nullptr;
    }
};

/// A parsed INI-style config file. Every section is kept; gearc reads [ascend_context] (to_gear_options).
///
/// Syntax: `[section]` headers, `key=value` lines, blank lines, comments from a `#` that starts a line or
/// follows whitespace (so paths like `a#b` survive), values optionally in "double" or 'single' quotes
/// (inside which `#` and `;` are plain text), CRLF line ends and a UTF-8 BOM. Anything else, a key
/// outside a section, or a key set twice in one section is option_error GC3001 naming the file and line.
class config_file {
public:
    config_file() = default;

    /// Parses `text`; `path` names it in messages.
    [[nodiscard]] static config_file parse(std::string_view text, std::string path = "<config>") {
        config_file cfg;
        cfg.path_ = std::move(path);
        if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
        auto lines = detail::opts::split(text, '\n');
        std::size_t cur = npos;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const std::size_t line = i + 1;
            auto s = detail::opts::trim(lines[i]);
            if (s.empty() || s.front() == '#') continue;
            auto syntax = [&](const std::string& what, const std::string& fix) {
                return option_error(
                    errc::config_syntax,
                    "config file [" + cfg.path_ + "] line " + std::to_string(line) + ": " + what + ": [" + std::string(s) + "]", fix);
            };
            if (s.front() == '[') {
                auto close = s.find(']');
                if (close == std::string_view::npos)
                    throw syntax("the section header has no closing ']'", "Write a section header as [name].");
                auto rest = detail::opts::trim(s.substr(close + 1));
                if (!rest.empty() && rest.front() != '#')
                    throw syntax("unexpected text after the section header", "Put nothing but a comment after [name].");
                auto name = detail::opts::trim(s.substr(1, close - 1));
                if (name.empty() || name.find('[') != std::string_view::npos)
                    throw syntax("the section name is empty or malformed", "Write a section header as [name], e.g. [ascend_context].");
                cur = npos;
                for (std::size_t k = 0; k < cfg.sections_.size(); ++k)
                    if (cfg.sections_[k].name == name) cur = k;
                if (cur == npos) {
                    cfg.sections_.push_back({std::string(name), line, {}});
                    cur = cfg.sections_.size() - 1;
                }
                continue;
            }
            auto eq = s.find('=');
            if (eq == std::string_view::npos)
                throw syntax("expected \"key=value\" or \"[section]\"", "Write settings as key=value inside a [section].");
            auto key = detail::opts::trim(s.substr(0, eq));
            if (key.empty()) throw syntax("the key is empty", "Write settings as key=value.");
            if (key.find_first_of(" \t") != std::string_view::npos)
                throw syntax("the key [" + std::string(key) + "] contains whitespace", "Keys are single words such as input_shape.");
            auto v = detail::opts::trim(s.substr(eq + 1));
            std::string value;
            if (!v.empty() && (v.front() == '"' || v.front() == '\'')) {
                auto q = v.find(v.front(), 1);
                if (q == std::string_view::npos)
                    throw syntax("the quoted value has no closing " + std::string(1, v.front()), "Close the quotes on the same line.");
                auto rest = detail::opts::trim(v.substr(q + 1));
                if (!rest.empty() && rest.front() != '#')
                    throw syntax("unexpected text after the closing quote", "Put the whole value inside the quotes.");
                value = std::string(v.substr(1, q - 1));
            } else {
                for (std::size_t c = 0; c < v.size(); ++c)
                    if (v[c] == '#' && (c == 0 || v[c - 1] == ' ' || v[c - 1] == '\t')) {
                        v = v.substr(0, c);
                        break;
                    }
                value = std::string(detail::opts::trim(v));
            }
            if (cur == npos)
                throw syntax("the key [" + std::string(key) + "] is outside any [section]",
                             "Put it under a section header, e.g. [ascend_context].");
            auto& sec = cfg.sections_[cur];
            if (const auto* prev = sec.find(key))
                throw syntax("the key [" + std::string(key) + "] is set twice in [" + sec.name + "] (lines " +
                                 std::to_string(prev->line) + " and " + std::to_string(line) + ")",
                             "Keep one of the two lines.");
            sec.entries.push_back({std::string(key), std::move(value), line});
        }
        return cfg;
    }

    /// Reads and parses the file at `path`; a file that cannot be read is option_error GC1001.
    [[nodiscard]] static config_file load(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in)
            throw option_error(errc::file_io, "cannot open config file [" + path + "]: " + std::strerror(errno),
                               "Check that the file exists and is readable.");
        std::ostringstream text;
        text << in.rdbuf();
        if (in.bad()) throw option_error(errc::file_io, "cannot read config file [" + path + "]", "Check that the file is readable.");
        return parse(text.str(), path);
    }

    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    [[nodiscard]] const std::vector<config_section>& sections() const noexcept { return sections_; }
    /// The section called `name`, or nullptr.
    [[nodiscard]] const config_section* section(std::string_view name) const {
        for (const auto& s : sections_)
            if (s.name == name) return &s;
        return nullptr;
    }

private:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    std::string path_;
    std::vector<config_section> sections_;
};

namespace detail::opts {

/// The [ascend_context] keys gearc reads.
inline constexpr std::array<std::string_view, 9> ascend_context_keys{"input_format",
                                                                     "input_shape",
                                                                     "dynamic_dims",
                                                                     "precision_mode",
                                                                     "op_select_impl_mode",
                                                                     "output_type",
                                                                     "fusion_switch_config_file_path",
                                                                     "insert_op_config_file_path",
                                                                     "aoe_mode"};
/// MindSpore Lite's spelling of the precision modes -> ATC's (MindSpore Lite's ACL mapping).
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 5> lite_precision_modes{{
    {"enforce_fp32", "force_fp32"},
    {"preferred_fp32", "allow_fp32_to_fp16"},
    {"enforce_fp16", "force_fp16"},
    {"enforce_origin", "must_keep_origin_dtype"},
    {"preferred_optimal", "allow_mix_precision"},
}};
inline constexpr std::int64_t config_max_batch = 2048;

/// A precision mode in either spelling, as ATC's name.
[[nodiscard]] inline std::string config_precision_mode(std::string_view value) {
    auto v = trim(value);
    for (const auto& [lite, atc] : lite_precision_modes)
        if (v == lite || v == atc) return std::string(atc);
    std::vector<std::string_view> all;
    for (const auto& [lite, atc] : lite_precision_modes) all.push_back(lite);
    for (auto m : precision_modes) all.push_back(m);
    throw invalid_value("precision_mode", value, "it must be one of: " + join(all, ", ") + did_you_mean(v, all));
}

/// One input's profiles in config syntax: "[1],[2]" or "[64,64],[19200,960]".
struct config_profiles {
    std::vector<std::vector<std::int64_t>> values;
    std::vector<std::string> texts;  // "[64,64]"
};

[[nodiscard]] inline config_profiles parse_bracket_profiles(std::string_view group, std::string_view whole, const std::string& input) {
    const std::string sample =
        "Write each profile in brackets, profiles separated by ',', e.g. dynamic_dims=[1],[2] or "
        "dynamic_dims=[64,64],[19200,960]; separate the profiles of several inputs by ';'.";
    auto bad = [&](const std::string& why) {
        return invalid_value("dynamic_dims", whole, "the profiles of input [" + input + "] " + why, sample);
    };
    config_profiles out;
    std::size_t pos = 0;
    auto skip_ws = [&] {
        while (pos < group.size() && (group[pos] == ' ' || group[pos] == '\t')) ++pos;
    };
    for (;;) {
        skip_ws();
        if (pos >= group.size() || group[pos] != '[')
            throw bad(pos >= group.size() ? "end with a stray ','"
                                          : "are not in brackets at [" + std::string(group.substr(pos)) + "]");
        auto close = group.find(']', pos);
        if (close == std::string_view::npos) throw bad("have an unclosed '['");
        auto inner = trim(group.substr(pos + 1, close - pos - 1));
        std::size_t k = out.values.size();
        if (inner.empty()) throw bad("have an empty profile [" + std::to_string(k) + "]");
        std::vector<std::int64_t> prof;
        for (auto tok : split(inner, ',')) {
            auto t = trim(tok);
            auto r = parse_int(t);
            if (t.empty()) throw bad("have an empty value in profile [" + std::to_string(k) + "] (a stray ','?)");
            if (r.status == int_status::out_of_range)
                throw bad("have the value [" + std::string(t) + "], which is out of the range of a 64-bit integer");
            if (r.status != int_status::ok)
                throw bad("have the value [" + std::string(t) +
                          "], which is not an integer: profile values must be positive integers");
            prof.push_back(r.value);
        }
        out.values.push_back(std::move(prof));
        out.texts.push_back("[" + std::string(inner) + "]");
        pos = close + 1;
        skip_ws();
        if (pos >= group.size()) return out;
        if (group[pos] != ',') throw bad("have [" + std::string(group.substr(pos)) + "] where ',' or ';' should follow ']'");
        ++pos;
    }
}

/// Turns [ascend_context]'s dynamic_dims (per-input profile lists) into the ATC gear option that says the
/// same thing: --dynamic_batch_size when every -1 is a batch axis with one value per gear,
/// --dynamic_image_size when they are the H,W axes of 4-D inputs with one pair per gear, else --dynamic_dims.
inline void translate_dynamic_dims(gear_options& o, const std::vector<input_shape_entry>& shapes, std::string_view value) {
    const std::string all = "[dynamic_dims]";
    if (shapes.empty())
        throw invalid_value("dynamic_dims", value, "dynamic_dims needs input_shape in [ascend_context] to mark its axes with -1",
                            "For example: input_shape=input:[-1,64,64,3] and dynamic_dims=[1],[2].");
    std::vector<const input_shape_entry*> dyn;
    for (const auto& e : shapes) {
        for (const auto& d : e.dims)
            if (d.is_range())
                throw invalid_value("input_shape", e.name + ":" + atc_text(e.dims),
                                    "the range [" + d.to_string() + "] of input [" + e.name +
                                        "] cannot be combined with dynamic_dims: ranges and gears are mutually exclusive",
                                    "Mark gear axes with -1 and give their values in dynamic_dims, or remove dynamic_dims.");
        if (!holes(e.dims).empty()) dyn.push_back(&e);
    }
    if (dyn.empty())
        throw invalid_value("dynamic_dims", value, "input_shape has no -1 axis for dynamic_dims to give values to",
                            "Mark the dynamic axes of input_shape with -1, e.g. input_shape=input:[-1,64,64,3].");
    auto t = trim(value);
    if (t.empty()) throw invalid_value("dynamic_dims", value, "the value is empty");
    auto groups = split_list(t, ';');
    std::vector<std::string> dyn_names;
    for (const auto* e : dyn) dyn_names.push_back(e->name);
    if (groups.size() != dyn.size())
        throw invalid_value("dynamic_dims", t,
                            "it has " + std::to_string(groups.size()) + " ';'-separated groups of profiles but input_shape has " +
                                std::to_string(dyn.size()) + " input(s) with -1 axes ([" + join(dyn_names, ", ") + "])",
                            "Give one group of profiles per input with -1 axes, in input_shape order, separated by ';'.");
    std::vector<config_profiles> per_input;
    for (std::size_t i = 0; i < groups.size(); ++i) per_input.push_back(parse_bracket_profiles(trim(groups[i]), t, dyn[i]->name));

    bool batch_axes = true;  // every -1 is axis 0: the documented dynamic batch case, values limited to 2048
    for (const auto* e : dyn) batch_axes = batch_axes && holes(e->dims) == std::vector<std::size_t>{0};
    for (std::size_t i = 0; i < dyn.size(); ++i) {
        const auto& p = per_input[i];
        const std::string& name = dyn[i]->name;
        if (p.values.size() < min_profiles)
            throw option_error(errc::too_few_profiles,
                               all + " has [" + std::to_string(p.values.size()) + "] profiles for input [" + name +
                                   "], which is less than the minimum ([2]).",
                               "Ensure that the number of profiles configured in [dynamic_dims] is at least the minimum.");
        if (p.values.size() > max_profiles)
            throw option_error(errc::too_many_profiles,
                               all + " has [" + std::to_string(p.values.size()) + "] profiles for input [" + name +
                                   "], which is greater than the maximum ([100]).",
                               "Ensure that the number of profiles configured in [dynamic_dims] is at most the maximum.");
        if (p.values.size() != per_input[0].values.size())
            throw option_error(errc::profile_size_mismatch,
                               "The profiles configured in " + all + " have inconsistent counts across inputs: input [" +
                                   dyn[0]->name + "] has [" + std::to_string(per_input[0].values.size()) + "] profiles while input [" +
                                   name + "] has [" + std::to_string(p.values.size()) + "].",
                               "Give every input the same number of profiles in [dynamic_dims]: profile k of each input together "
                               "make gear k.");
        const auto h = holes(dyn[i]->dims).size();
        for (std::size_t k = 0; k < p.values.size(); ++k) {
            if (p.values[k].size() != h)
                throw option_error(errc::dims_count_mismatch,
                                   "Value [" + p.texts[k] + "] for parameter [dynamic_dims] is invalid. Reason: profile [" +
                                       std::to_string(k) + "] of input [" + name + "] has " + std::to_string(p.values[k].size()) +
                                       " values but input [" + name + "] has " + std::to_string(h) + " -1 axes in input_shape",
                                   "Give every profile of an input one value per -1 axis of that input (" + std::to_string(h) +
                                       " for [" + name + "]).");
            for (auto v : p.values[k])
                if (v <= 0 || (batch_axes && v > config_max_batch))
                    throw option_error(errc::dim_not_positive,
                                       "Dimension size [" + std::to_string(v) + "] in profile [" + std::to_string(k) + "] of input [" +
                                           name + "] in " + all + " is invalid. The value must be " +
                                           (batch_axes ? "in [1, 2048]." : "greater than 0."),
                                       batch_axes ? "Set every batch size in [dynamic_dims] to a value from 1 to 2048."
                                                  : "Set the values of each profile in [dynamic_dims] to positive integers.");
        }
    }
    const std::size_t n = per_input[0].values.size();
    auto gear_text = [&](std::size_t k) {
        std::vector<std::string> parts;
        for (const auto& p : per_input) parts.push_back(p.texts[k]);
        return join(parts, ";");
    };
    for (std::size_t k = 1; k < n; ++k)
        for (std::size_t q = 0; q < k; ++q) {
            bool same = true;
            for (const auto& p : per_input) same = same && p.values[k] == p.values[q];
            if (same)
                throw option_error(errc::duplicate_profile,
                                   "The " + all + " argument has duplicate profiles: profile [" + std::to_string(q) +
                                       "] and profile [" + std::to_string(k) + "] are both " + gear_text(k) + ".",
                                   "Check that the profiles configured in [dynamic_dims] are unique.");
        }

    auto same_across_inputs = [&] {
        for (std::size_t k = 0; k < n; ++k)
            for (const auto& p : per_input)
                if (p.values[k] != per_input[0].values[k]) return false;
        return true;
    };
    const auto fmt = parse_tensor_format(trim(o.input_format));
    bool image = true;
    std::vector<std::size_t> hw;
    for (const auto* e : dyn) {
        auto h = holes(e->dims);
        bool ok = e->dims.rank() == 4 && (h == std::vector<std::size_t>{1, 2} || h == std::vector<std::size_t>{2, 3});
        if (fmt)
            ok = ok && (*fmt == tensor_format::nchw || *fmt == tensor_format::nhwc) &&
                 h == std::vector<std::size_t>{hw_axes(*fmt).first, hw_axes(*fmt).second};
        if (hw.empty()) hw = h;
        image = image && ok && h == hw;
    }
    std::vector<std::string> profiles;
    if (batch_axes && same_across_inputs()) {
        for (std::size_t k = 0; k < n; ++k) profiles.push_back(std::to_string(per_input[0].values[k][0]));
        o.dynamic_batch_size = join(profiles, ",");
    } else if (image && same_across_inputs()) {
        for (std::size_t k = 0; k < n; ++k) profiles.push_back(atc_text(per_input[0].values[k]));
        o.dynamic_image_size = join(profiles, ";");
    } else {
        if (fmt && *fmt != tensor_format::nd)
            throw invalid_value("input_format", o.input_format,
                                "with input_format " + std::string(to_string(*fmt)) +
                                    ", the -1 axes of input_shape must be the batch axis (0) of every input or the height and width "
                                    "axes of 4-D inputs, with the same values for every input; these dynamic_dims are general "
                                    "dimensions, which need input_format ND",
                                "Set input_format=ND (or remove it) for general dynamic dimensions.");
        for (std::size_t k = 0; k < n; ++k) {
            std::vector<std::int64_t> all_values;
            for (const auto& p : per_input) all_values.insert(all_values.end(), p.values[k].begin(), p.values[k].end());
            profiles.push_back(atc_text(all_values));
        }
        o.dynamic_dims = join(profiles, ";");
    }
}

}  // namespace detail::opts

/// The [ascend_context] section as gear_options (empty options, static gears, when the file has none):
/// input_format, input_shape (`x:[-1,3,224,224];y:[...]`), dynamic_dims (`[1],[2]` for a batch axis,
/// `[64,64],[19200,960]` for H,W, `[1],[2];[1],[2]` for two inputs: one ';'-group per input with -1 axes,
/// in input_shape order, each with the same number of profiles), precision_mode (MindSpore Lite's or ATC's
/// names, stored as ATC's), op_select_impl_mode, output_type, fusion_switch_config_file_path (->
/// fusion_switch_file), insert_op_config_file_path (-> insert_op_conf), aoe_mode. Limits: 2 to 100
/// profiles (E10035, E10036), values > 0 and, for batch axes, at most 2048 (E10038); an unknown key is
/// E10001 naming the key, the file and the line. The result goes through the same validate() and
/// make_gear_set() as command-line options, whose messages then end with "(from config file [path])".
[[nodiscard]] inline gear_options to_gear_options(const config_file& cfg) {
    gear_options o;
    o.origin = "config file [" + cfg.path() + "]";
    const auto* sec = cfg.section("ascend_context");
    if (!sec) return o;
    auto where = [&](const config_entry& e) { return " (config file [" + cfg.path() + "], line " + std::to_string(e.line) + ")"; };
    const config_entry* shape_e = nullptr;
    const config_entry* dims_e = nullptr;
    for (const auto& e : sec->entries)
        detail::opts::with_context(where(e), [&] {
            auto v = std::string(detail::opts::trim(e.value));
            if (e.key == "input_format") {
                detail::opts::check_one_of("input_format", e.value, detail::opts::tensor_formats);
                o.input_format = v;
            } else if (e.key == "input_shape") {
                shape_e = &e;
            } else if (e.key == "dynamic_dims") {
                dims_e = &e;
            } else if (e.key == "precision_mode") {
                o.precision_mode = detail::opts::config_precision_mode(e.value);
            } else if (e.key == "op_select_impl_mode") {
                detail::opts::check_one_of("op_select_impl_mode", e.value, detail::opts::op_select_impl_modes);
                o.op_select_impl_mode = v;
            } else if (e.key == "output_type") {
                detail::opts::check_output_type("output_type", e.value);
                o.output_type = v;
            } else if (e.key == "fusion_switch_config_file_path") {
                o.fusion_switch_file = v;
            } else if (e.key == "insert_op_config_file_path") {
                o.insert_op_conf = v;
            } else if (e.key == "aoe_mode") {
                detail::opts::check_aoe_mode("aoe_mode", e.value);
                o.aoe_mode = v;
            } else if (e.key == "plugin_custom_ops" || e.key == "custom_fusion_pattern") {
                throw detail::opts::invalid_value("ascend_context", e.key,
                                                  "[" + e.key + "] is a MindSpore Lite option that gearc does not support",
                                                  "Remove it from [ascend_context].");
            } else {
                throw detail::opts::invalid_value(
                    "ascend_context", e.key,
                    "unknown key [" + e.key + "] in [ascend_context]" +
                        detail::opts::did_you_mean(e.key, detail::opts::ascend_context_keys) +
                        "; the keys gearc reads are: " + detail::opts::join(detail::opts::ascend_context_keys, ", "),
                    "Fix the key's spelling or remove it.");
            }
        });
    std::vector<input_shape_entry> shapes;
    if (shape_e) {
        shapes = detail::opts::with_context(where(*shape_e), [&] { return parse_input_shape(shape_e->value, "input_shape"); });
        std::vector<std::string> parts;
        for (const auto& s : shapes) parts.push_back(s.name + ":" + detail::opts::atc_text(s.dims));
        o.input_shape = detail::opts::join(parts, ";");
    }
    if (dims_e) {
        detail::opts::with_context(where(*dims_e), [&] { detail::opts::translate_dynamic_dims(o, shapes, dims_e->value); });
    } else if (shape_e) {
        bool range = false;
        for (const auto& s : shapes)
            for (const auto& d : s.dims) range = range || d.is_range();
        for (const auto& s : shapes)
            if (auto h = detail::opts::holes(s.dims); !h.empty() && !range)
                throw detail::opts::invalid_value("input_shape", shape_e->value,
                                                  "axis [" + std::to_string(h.front()) + "] of input [" + s.name +
                                                      "] is -1, but [ascend_context] has no dynamic_dims to give it values" +
                                                      where(*shape_e),
                                                  "Add dynamic_dims, e.g. dynamic_dims=[1],[2] for one -1 axis per input.");
    }
    return o;
}

/// Loads a config file and returns its [ascend_context] as gear_options.
[[nodiscard]] inline gear_options load_gear_options(const std::string& path) {
    return to_gear_options(config_file::load(path));
}

GEARC_END_NAMESPACE
