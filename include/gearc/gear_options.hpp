// ATC-style gear options (--input_shape, --dynamic_batch_size, ...): parsing, validation with ATC's codes, make_gear_set().
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim.hpp>
#include <gearc/error.hpp>
#include <gearc/gear_set.hpp>
#include <gearc/gearc_fwd.hpp>
#include <gearc/graph.hpp>
#include <gearc/shape.hpp>
#include <gearc/value_type.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// The options of one compilation, as ATC spells them (an empty string means "not given"). The library
/// parses every value itself; a command-line front end only has to fill the strings.
struct gear_options {
    std::string input_shape{};         ///< --input_shape "name:d,d,...;name2:d,..." (-1 = gear axis, a~b = range, "name:" = scalar)
    std::string input_format{};        ///< --input_format NCHW | NHWC | ND | NCDHW (default: see validate)
    std::string dynamic_batch_size{};  ///< --dynamic_batch_size "1,2,4"
    std::string dynamic_image_size{};  ///< --dynamic_image_size "h,w;h,w"
    std::string dynamic_dims{};        ///< --dynamic_dims "d,d;d,d" (the values of all -1 axes, in --input_shape order)
    // Carried along for later stages; validate() checks the enumerated ones.
    std::string precision_mode{};  ///< force_fp32 | force_fp16 | allow_fp32_to_fp16 | must_keep_origin_dtype | allow_mix_precision
    std::string op_select_impl_mode{};  ///< --op_select_implmode: high_performance | high_precision (| *_for_all)
    std::string output_type{};          ///< FP32 | FP16 | UINT8 | INT8, or "node:index:type;..." per output
    std::string fusion_switch_file{};   ///< --fusion_switch_file (a path)
    std::string insert_op_conf{};       ///< --insert_op_conf (AIPP config path)
    std::string aoe_mode{};             ///< "subgraph tuning", "operator tuning" or both, comma-separated
    std::string soc_version{};          ///< --soc_version (free text)
    std::string log{};                  ///< --log debug | info | warning | error | null
    /// Where the options came from, appended to messages ("" = the command line; config files set
    /// "config file [path]").
    std::string origin{};
};

/// One entry of --input_shape.
struct input_shape_entry {
    std::string name;  ///< the model input's name (may contain ':'; the value starts after the last one)
    shape dims;        ///< dim::unknown() for -1, dim::range(a, b) for a~b (b = -1: unbounded); rank 0 for "name:"
};

/// What a set of options asks for, checked without looking at a model (see validate()).
struct gear_request {
    gear_kind kind = gear_kind::static_shape;
    tensor_format format = tensor_format::nchw;  ///< resolved (given, or the default)
    bool format_given = false;
    std::vector<input_shape_entry> input_shapes;      ///< in --input_shape order
    std::vector<std::vector<std::int64_t>> profiles;  ///< one per gear; empty for static and range
    std::string input_shape_text;                     ///< the option text, for messages
    std::string gear_option;                          ///< "--dynamic_batch_size", ... ("" for static/range)
};

/// A model input as the gear builder sees it.
struct model_input {
    std::string name;
    value_type type;
    bool is_initializer = false;  ///< constant data: not something a caller feeds, never part of a gear
};

namespace detail::opts {

inline constexpr std::array<std::string_view, 5> precision_modes{"force_fp32", "force_fp16", "allow_fp32_to_fp16",
                                                                 "must_keep_origin_dtype", "allow_mix_precision"};
inline constexpr std::array<std::string_view, 4> op_select_impl_modes{"high_performance", "high_precision", "high_performance_for_all",
                                                                      "high_precision_for_all"};
inline constexpr std::array<std::string_view, 4> output_types{"FP32", "FP16", "UINT8", "INT8"};
inline constexpr std::array<std::string_view, 5> log_levels{"debug", "info", "warning", "error", "null"};
inline constexpr std::array<std::string_view, 2> aoe_modes{"subgraph tuning", "operator tuning"};
inline constexpr std::array<std::string_view, 4> tensor_formats{"NCHW", "NHWC", "ND", "NCDHW"};
inline constexpr std::size_t min_profiles = 2;
inline constexpr std::size_t max_profiles = 100;

[[nodiscard]] inline std::string_view trim(std::string_view s) noexcept {
    constexpr std::string_view ws = " \t\r\n\v\f";
    auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

/// Every piece between separators, empty pieces included.
[[nodiscard]] inline std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        auto pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) return out;
        start = pos + 1;
    }
}

/// split(), then drop one empty last piece: ATC accepts one trailing separator ("1,2,4," and "1,2;3,4;").
[[nodiscard]] inline std::vector<std::string_view> split_list(std::string_view s, char sep) {
    auto out = split(s, sep);
    if (out.size() > 1 && trim(out.back()).empty()) out.pop_back();
    return out;
}

template <class Range>
[[nodiscard]] std::string join(const Range& r, std::string_view sep) {
    std::string out;
    bool first = true;
    for (const auto& x : r) {
        if (!first) out += sep;
        first = false;
        if constexpr (std::is_arithmetic_v<std::decay_t<decltype(x)>>)
            out += std::to_string(x);
        else
            out += std::string_view(x);
    }
    return out;
}

enum class int_status : std::uint8_t { ok, not_integer, out_of_range };
struct parsed_int {
    int_status status = int_status::not_integer;
    std::int64_t value = 0;
};

/// A decimal integer: an optional '-' then digits, nothing else (no '+', no spaces, no "0x", no '.').
[[nodiscard]] inline parsed_int parse_int(std::string_view s) noexcept {
    std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
    if (i == s.size()) return {};
    for (std::size_t j = i; j < s.size(); ++j)
        if (s[j] < '0' || s[j] > '9') return {};
    parsed_int r;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), r.value);
    if (ec == std::errc::result_out_of_range) return {int_status::out_of_range, 0};
    r.status = ec == std::errc{} && ptr == s.data() + s.size() ? int_status::ok : int_status::not_integer;
    return r;
}

[[nodiscard]] inline char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Edit distance with adjacent transpositions counting one (optimal string alignment), case-insensitive.
[[nodiscard]] inline std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

/// " (did you mean [x]?)" for the one closest candidate within a small edit distance; "" when none is
/// close or two are equally close.
template <class Range>
[[nodiscard]] std::string did_you_mean(std::string_view value, const Range& candidates) {
    std::string best;
    std::size_t best_d = std::numeric_limits<std::size_t>::max();
    bool tie = false;
    for (const auto& c : candidates) {
        std::string_view cv(c);
        auto d = edit_distance(value, cv);
        if (d < best_d) {
            best_d = d;
            best = std::string(cv);
            tie = false;
        } else if (d == best_d) {
            tie = true;
        }
    }
    if (best.empty() || tie || best_d > std::max<std::size_t>(2, value.size() / 4) || best_d >= value.size()) return {};
    return " (did you mean [" + best + "]?)";
}

/// ATC's E10001: "Value [v] for parameter [p] is invalid. Reason: r".
[[nodiscard]] inline option_error invalid_value(std::string_view parameter, std::string_view value, const std::string& reason,
                                                const std::string& hint = {}) {
    return option_error(
        errc::invalid_value,
        "Value [" + std::string(value) + "] for parameter [" + std::string(parameter) + "] is invalid. Reason: " + reason,
        "Try again with a valid argument." + (hint.empty() ? std::string() : " " + hint));
}

/// Checks that `value` (when given) is one of `allowed`.
template <std::size_t N>
inline void check_one_of(std::string_view parameter, std::string_view value, const std::array<std::string_view, N>& allowed) {
    auto v = trim(value);
    if (value.empty() || std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return;
    throw invalid_value(parameter, value, "it must be one of: " + join(allowed, ", ") + did_you_mean(v, allowed));
}

/// output_type is one type for every output, or "node:index:type;..." per output.
inline void check_output_type(std::string_view parameter, std::string_view value) {
    auto v = trim(value);
    if (value.empty()) return;
    if (v.find(':') == std::string_view::npos) return check_one_of(parameter, value, output_types);
    for (auto part : split_list(v, ';')) {
        auto e = trim(part);
        auto bad = [&](const std::string& why) {
            return invalid_value(parameter, value, "entry [" + std::string(e) + "] " + why,
                                 "Write one type (FP32, FP16, UINT8 or INT8) for all outputs, or node:index:type per output, "
                                 "separated by ';' (e.g. \"conv1:0:FP16;fc:0:FP32\").");
        };
        auto t = e.rfind(':');
        if (t == std::string_view::npos) throw bad("is not formatted as node:index:type");
        auto i = e.rfind(':', t == 0 ? 0 : t - 1);
        if (t == 0 || i == std::string_view::npos || i == 0) throw bad("is not formatted as node:index:type");
        auto type = trim(e.substr(t + 1));
        auto index = trim(e.substr(i + 1, t - i - 1));
        if (auto p = parse_int(index); p.status != int_status::ok || p.value < 0)
            throw bad("has output index [" + std::string(index) + "], which is not a non-negative integer");
        if (std::find(output_types.begin(), output_types.end(), type) == output_types.end())
            throw bad("has type [" + std::string(type) + "], which must be one of: " + join(output_types, ", ") +
                      did_you_mean(type, output_types));
    }
}

/// aoe_mode: "subgraph tuning", "operator tuning" or both, comma-separated, each once.
inline void check_aoe_mode(std::string_view parameter, std::string_view value) {
    if (value.empty()) return;
    std::set<std::string_view> seen;
    for (auto part : split(value, ',')) {
        auto m = trim(part);
        if (std::find(aoe_modes.begin(), aoe_modes.end(), m) == aoe_modes.end()) {
            std::string hint;
            if (m.find("turing") != std::string_view::npos) hint = " ('turing' is a misprint of 'tuning' in some documents)";
            throw invalid_value(parameter, value,
                                "mode [" + std::string(m) + "] must be one of: subgraph tuning, operator tuning" +
                                    (hint.empty() ? did_you_mean(m, aoe_modes) : hint),
                                "Use \"subgraph tuning\", \"operator tuning\" or \"subgraph tuning, operator tuning\".");
        }
        if (!seen.insert(m).second) throw invalid_value(parameter, value, "mode [" + std::string(m) + "] is given twice");
    }
}

/// "1,-1,224,3", "1~10,3", "" for a scalar: a shape as --input_shape writes it.
[[nodiscard]] inline std::string atc_text(const shape& s) {
    std::string out;
    for (std::size_t i = 0; i < s.rank(); ++i) {
        if (i) out += ',';
        out += s[i].is_unknown() ? std::string("-1") : s[i].to_string();
    }
    return out;
}
[[nodiscard]] inline std::string atc_text(const std::vector<std::int64_t>& v) {
    return join(v, ",");
}

/// One dim of --input_shape: a positive integer, -1, or a range a~b (0 <= a <= b, or b = -1 for no upper bound).
[[nodiscard]] inline dim parse_dim(std::string_view tok, std::string_view parameter, std::string_view entry, std::string_view name,
                                   std::size_t axis) {
    auto where = "axis [" + std::to_string(axis) + "] of input [" + std::string(name) + "] is [" + std::string(tok) + "], ";
    auto number = [&](std::string_view t) {
        auto p = parse_int(t);
        if (p.status == int_status::out_of_range)
            throw invalid_value(parameter, entry, where + "which is out of the range of a 64-bit integer");
        if (p.status != int_status::ok)
            throw invalid_value(parameter, entry, where + "which is not an integer",
                                "Dimensions are decimal integers: a positive size, -1 for a gear axis, or a range a~b.");
        return p.value;
    };
    if (auto tilde = tok.find('~'); tilde != std::string_view::npos) {
        auto lo_t = trim(tok.substr(0, tilde));
        auto hi_t = trim(tok.substr(tilde + 1));
        if (lo_t.empty() || hi_t.empty() || hi_t.find('~') != std::string_view::npos)
            throw invalid_value(parameter, entry, where + "which is not a range a~b",
                                "Write a range as a~b, e.g. 1~10, or a~-1 for no upper bound.");
        auto lo = number(lo_t);
        auto hi = number(hi_t);
        if (lo < 0 || (hi != -1 && hi < lo))
            throw invalid_value(parameter, entry,
                                where + "which is not a valid range: it needs 0 <= a <= b (or b = -1 for no upper bound)");
        return dim::range(lo, hi);
    }
    auto v = number(tok);
    if (v == -1) return dim::unknown();
    if (v < 1)
        throw invalid_value(parameter, entry, where + "but a dimension must be a positive integer, -1 or a range a~b",
                            "Use -1 for an axis that takes its values from --dynamic_batch_size, --dynamic_image_size or "
                            "--dynamic_dims, or a range a~b.");
    return dim(v);
}

/// Runs `f`; an option_error escaping it gets `suffix` appended to its message.
template <class F>
decltype(auto) with_context(const std::string& suffix, F&& f) {
    if (suffix.empty()) return f();
    try {
        return f();
    } catch (const option_error& e) {
        throw option_error(e.code(), e.message() + suffix, e.solution());
    }
}

}  // namespace detail::opts

/// Parses --input_shape ("name:d,d;name2:d"). Whitespace is ignored around names, dims and separators;
/// the name ends at the last ':' (so "input:0:1,3" names "input:0"); "name:" is a scalar; dims may be
/// wrapped in [ ] as in config files; one trailing ';' is accepted. Throws E10001 naming the entry.
[[nodiscard]] inline std::vector<input_shape_entry> parse_input_shape(std::string_view text,
                                                                      std::string_view parameter = "--input_shape") {
    using detail::opts::invalid_value;
    std::vector<input_shape_entry> out;
    auto t = detail::opts::trim(text);
    if (t.empty()) return out;
    const std::string sample = "Write it as \"name:d1,d2,...\", inputs separated by ';' (e.g. \"input_name1:1,3,224,224\").";
    auto parts = detail::opts::split_list(t, ';');
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto e = detail::opts::trim(parts[i]);
        if (e.empty()) throw invalid_value(parameter, t, "entry [" + std::to_string(i) + "] is empty", sample);
        auto colon = e.rfind(':');
        if (colon == std::string_view::npos)
            throw invalid_value(parameter, e, "it has no input name: the shape must contain two parts, name and value", sample);
        input_shape_entry entry;
        entry.name = std::string(detail::opts::trim(e.substr(0, colon)));
        if (entry.name.empty()) throw invalid_value(parameter, e, "the input name is empty", sample);
        for (const auto& prev : out)
            if (prev.name == entry.name)
                throw invalid_value(parameter, t, "input [" + entry.name + "] is given twice", "Give each input's shape once.");
        auto dims = detail::opts::trim(e.substr(colon + 1));
        bool open = !dims.empty() && dims.front() == '[';
        bool close = !dims.empty() && dims.back() == ']';
        if (open != close || (open && dims.size() < 2))
            throw invalid_value(parameter, e, "the brackets around the dims of input [" + entry.name + "] do not match", sample);
        if (open) dims = detail::opts::trim(dims.substr(1, dims.size() - 2));
        if (!dims.empty()) {
            auto toks = detail::opts::split(dims, ',');
            for (std::size_t a = 0; a < toks.size(); ++a) {
                auto tok = detail::opts::trim(toks[a]);
                if (tok.empty())
                    throw invalid_value(
                        parameter, e,
                        "axis [" + std::to_string(a) + "] of input [" + entry.name + "] is empty (a stray ',' in the dims?)", sample);
                entry.dims.push_back(detail::opts::parse_dim(tok, parameter, e, entry.name, a));
            }
        }
        out.push_back(std::move(entry));
    }
    return out;
}

/// Parses the profiles of a gear option: --dynamic_batch_size "1,2,4" (one value each), --dynamic_image_size
/// "h,w;h,w" or --dynamic_dims "d,d;d,d". Checks, in this order: syntax (E10001), image profiles of two
/// values (E10020), 2 to 100 profiles (E10035, E10036), equal lengths (E10037), values > 0 (E10038),
/// no duplicates (E10039). `kind` must be one of the three gear kinds.
[[nodiscard]] inline std::vector<std::vector<std::int64_t>> parse_profiles(gear_kind kind, std::string_view text) {
    using detail::opts::invalid_value;
    if (kind == gear_kind::static_shape || kind == gear_kind::range)
        throw std::invalid_argument("parse_profiles: gear kind '" + std::string(to_string(kind)) + "' has no profiles");
    const std::string option = "--" + std::string(to_string(kind));
    auto t = detail::opts::trim(text);
    if (t.empty()) throw invalid_value(option, text, "the value is empty");
    const bool batch = kind == gear_kind::dynamic_batch_size;
    const std::string sample = batch ? "Separate batch sizes with ',', e.g. --dynamic_batch_size=\"1,2,4,8\"."
                               : kind == gear_kind::dynamic_image_size
                                   ? "Write height,width pairs separated by ';', e.g. --dynamic_image_size=\"448,448;224,224\"."
                                   : "Write one value per -1 axis, profiles separated by ';', e.g. --dynamic_dims=\"1,64;2,128\".";
    std::vector<std::vector<std::int64_t>> profiles;
    std::vector<std::string_view> texts;
    auto parse_value = [&](std::string_view tok, std::size_t p) {
        auto v = detail::opts::trim(tok);
        auto where = "value [" + std::string(v) + "] of profile [" + std::to_string(p) + "] ";
        if (v.empty())
            throw invalid_value(option, t, "profile [" + std::to_string(p) + "] has an empty value (a stray separator?)", sample);
        auto r = detail::opts::parse_int(v);
        if (r.status == detail::opts::int_status::out_of_range)
            throw invalid_value(option, t, where + "is out of the range of a 64-bit integer", sample);
        if (r.status != detail::opts::int_status::ok)
            throw invalid_value(option, t, where + "is not an integer: profile values must be positive integers", sample);
        return r.value;
    };
    if (batch) {
        auto toks = detail::opts::split_list(t, ',');
        for (std::size_t p = 0; p < toks.size(); ++p) {
            profiles.push_back({parse_value(toks[p], p)});
            texts.push_back(detail::opts::trim(toks[p]));
        }
    } else {
        auto groups = detail::opts::split_list(t, ';');
        for (std::size_t p = 0; p < groups.size(); ++p) {
            auto g = detail::opts::trim(groups[p]);
            if (g.empty()) throw invalid_value(option, t, "profile [" + std::to_string(p) + "] is empty (a stray ';'?)", sample);
            std::vector<std::int64_t> prof;
            for (auto tok : detail::opts::split(g, ',')) prof.push_back(parse_value(tok, p));
            profiles.push_back(std::move(prof));
            texts.push_back(g);
        }
    }
    const std::string all3 = "[--dynamic_batch_size], [--dynamic_image_size], or [--dynamic_dims]";
    if (kind == gear_kind::dynamic_image_size)
        for (std::size_t p = 0; p < profiles.size(); ++p)
            if (profiles[p].size() != 2)
                throw option_error(errc::image_profile_not_hw,
                                   "Value [" + std::string(t) + "] for parameter [--dynamic_image_size] is invalid. Profile [" +
                                       std::to_string(p) + "] ([" + std::string(texts[p]) + "]) has " +
                                       std::to_string(profiles[p].size()) + " values, but each profile must be exactly height,width.",
                                   "The value must be formatted as \"imagesize1_height,imagesize1_width;imagesize2_height,"
                                   "imagesize2_width\". Make sure that each profile has two dimensions.");
    if (profiles.size() < detail::opts::min_profiles)
        throw option_error(errc::too_few_profiles,
                           all3 + " has [" + std::to_string(profiles.size()) + "] profiles, which is less than the minimum ([2]).",
                           "Ensure that the number of profiles configured in " + all3 + " is at least the minimum.");
    if (profiles.size() > detail::opts::max_profiles)
        throw option_error(
            errc::too_many_profiles,
            all3 + " has [" + std::to_string(profiles.size()) + "] profiles, which is greater than the maximum ([100]).",
            "Ensure that the number of profiles configured in " + all3 + " is at most the maximum.");
    for (std::size_t p = 1; p < profiles.size(); ++p)
        if (profiles[p].size() != profiles[0].size())
            throw option_error(errc::profile_size_mismatch,
                               "The profiles configured in [" + option + "] have inconsistent dimension counts. Profile [0] ([" +
                                   std::string(texts[0]) + "]) has [" + std::to_string(profiles[0].size()) +
                                   "] dimensions while profile [" + std::to_string(p) + "] ([" + std::string(texts[p]) + "]) has [" +
                                   std::to_string(profiles[p].size()) + "] dimensions.",
                               "Ensure that the profiles configured in " + all3 + " have the same dimension count.");
    for (std::size_t p = 0; p < profiles.size(); ++p)
        for (auto v : profiles[p])
            if (v <= 0)
                throw option_error(errc::dim_not_positive,
                                   "Dimension size [" + std::to_string(v) + "] in profile [" + std::to_string(p) + "] of [" + option +
                                       "] is invalid. The value must be greater than 0.",
                                   "Set the shape values of each profile to positive in " + all3 + ".");
    for (std::size_t p = 1; p < profiles.size(); ++p)
        for (std::size_t q = 0; q < p; ++q)
            if (profiles[p] == profiles[q])
                throw option_error(errc::duplicate_profile,
                                   "The [" + option + "] argument has duplicate profiles: profile [" + std::to_string(q) +
                                       "] and profile [" + std::to_string(p) + "] are both [" + detail::opts::atc_text(profiles[p]) +
                                       "].",
                                   "Check that the profiles configured in " + all3 + " are unique.");
    return profiles;
}

namespace detail::opts {

/// Axes of H and W for a 4-D layout.
[[nodiscard]] inline std::pair<std::size_t, std::size_t> hw_axes(tensor_format f) noexcept {
    return f == tensor_format::nhwc ? std::pair<std::size_t, std::size_t>{1, 2} : std::pair<std::size_t, std::size_t>{2, 3};
}

[[nodiscard]] inline std::vector<std::size_t> holes(const shape& s) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < s.rank(); ++i)
        if (s[i].is_unknown()) out.push_back(i);
    return out;
}

/// The exact E10018/E10019 texts of ATC; with several inputs the offending one is named after them.
[[nodiscard]] inline std::string for_input(const gear_request& r, const std::string& name) {
    return r.input_shapes.size() > 1 ? " (input [" + name + "])" : std::string();
}

/// The kind-specific rules between --input_shape and the gear option (E10003, E10018, E10019, E10031, E10001).
inline void check_against_input_shape(gear_request& r) {
    const std::string shapes = r.input_shape_text;
    std::size_t total_holes = 0;
    for (const auto& e : r.input_shapes) total_holes += holes(e.dims).size();

    if (r.kind == gear_kind::dynamic_batch_size) {
        bool any = false;
        for (const auto& e : r.input_shapes) {
            auto h = holes(e.dims);
            for (auto a : h)
                if (a != 0)
                    throw option_error(errc::batch_non_n_dynamic,
                                       "Value [-1] for shape [" + std::to_string(a) +
                                           "] is invalid. When [--dynamic_batch_size] is included, only batch size N can be \u2013"
                                           "1 in [--input_shape]." +
                                           for_input(r, e.name),
                                       "Try again with a valid [--input_shape] argument. Make sure that non-batch size axes are not "
                                       "\u20131.");
            any = any || !h.empty();
        }
        if (!any)
            throw option_error(
                errc::batch_no_dynamic_n,
                "[--dynamic_batch_size] is included, but none of the nodes specified in [--input_shape] have a batch "
                "size equaling \u20131. [--input_shape] is [" +
                    shapes + "].",
                "1. In static shape scenarios, remove the [--dynamic_batch_size] option from your command line. 2. In "
                "dynamic shape scenarios, set the corresponding axis of the dynamic-shape input in [--input_shape] to -1.");
    } else if (r.kind == gear_kind::dynamic_image_size) {
        const std::string exact =
            "When [--dynamic_image_size] is included, only the height and width axes can be \u20131 in [--input_shape].";
        const std::string fix =
            "Try again with a valid [--input_shape] argument. Make sure that axes other than height and width are not \u20131.";
        if (r.format_given && r.format != tensor_format::nchw && r.format != tensor_format::nhwc)
            throw option_error(
                errc::image_non_hw_dynamic,
                "When [--dynamic_image_size] is included, [--input_format] must be NCHW or NHWC, but it is [" +
                    std::string(to_string(r.format)) + "].",
                "Set --input_format to NCHW or NHWC, or use [--dynamic_dims] (with --input_format=ND) for other layouts.");
        std::string first;  // the input that fixed an inferred layout
        for (const auto& e : r.input_shapes) {
            auto h = holes(e.dims);
            if (h.empty()) continue;
            const bool nhwc = h == std::vector<std::size_t>{1, 2};
            const bool nchw = h == std::vector<std::size_t>{2, 3};
            if (e.dims.rank() != 4 || !(nhwc || nchw))
                throw option_error(errc::image_non_hw_dynamic, exact + for_input(r, e.name), fix);
            if (!r.format_given && first.empty()) {
                r.format = nhwc ? tensor_format::nhwc : tensor_format::nchw;
                first = e.name;
            }
            if (h == std::vector<std::size_t>{hw_axes(r.format).first, hw_axes(r.format).second}) continue;
            if (r.format_given) throw option_error(errc::image_non_hw_dynamic, exact + for_input(r, e.name), fix);
            throw option_error(errc::image_non_hw_dynamic,
                               "When [--dynamic_image_size] is included, every input must have one layout, but input [" + first +
                                   "] has -1 height and width axes as in " + std::string(to_string(r.format)) + " and input [" +
                                   e.name + "] as in " + (nhwc ? "NHWC" : "NCHW") + ".",
                               "Set --input_format, and put the -1 axes of every input at its height and width.");
        }
        if (first.empty() &&
            std::none_of(r.input_shapes.begin(), r.input_shapes.end(), [](const auto& e) { return !holes(e.dims).empty(); }))
            throw option_error(errc::image_non_hw_dynamic,
                               "[--dynamic_image_size] is included, but no input in [--input_shape] has -1 height and width axes. "
                               "[--input_shape] is [" +
                                   shapes + "].",
                               fix);
    } else if (r.kind == gear_kind::dynamic_dims) {
        if (r.format != tensor_format::nd)
            throw invalid_value("--input_format", to_string(r.format), "[--dynamic_dims] requires [--input_format] ND",
                                "Set --input_format=ND (or leave it out) with --dynamic_dims; for height/width gears of NCHW or "
                                "NHWC inputs use --dynamic_image_size.");
        if (total_holes == 0)
            throw invalid_value("--input_shape", shapes, "[--dynamic_dims] is included, but no axis in [--input_shape] is -1",
                                "Mark the axes that --dynamic_dims gives values to with -1.");
        for (const auto& e : r.input_shapes)
            if (!holes(e.dims).empty() && (e.dims.rank() < 1 || e.dims.rank() > 4))
                throw invalid_value("--input_shape", shapes,
                                    "with [--dynamic_dims], an input with -1 axes must have rank 1 to 4, but input [" + e.name +
                                        "] has rank " + std::to_string(e.dims.rank()));
        for (std::size_t p = 0; p < r.profiles.size(); ++p)
            if (r.profiles[p].size() != total_holes)
                throw option_error(errc::dims_count_mismatch,
                                   "Value [" + atc_text(r.profiles[p]) +
                                       "] for parameter [--dynamic_dims] is invalid. Reason: profile [" + std::to_string(p) +
                                       "] has " + std::to_string(r.profiles[p].size()) + " values but [--input_shape] [" + shapes +
                                       "] has " + std::to_string(total_holes) +
                                       " -1 axes; each setting needs to be consistent with the number of -1 in the input shape",
                                   "Give every profile of [--dynamic_dims] one value per -1 axis of [--input_shape] (" +
                                       std::to_string(total_holes) + " here), in --input_shape order.");
    }
}

}  // namespace detail::opts

/// Checks everything that does not need the model and says what the options ask for:
/// - enumerated values (--input_format, --precision_mode, --op_select_implmode, --output_type, --log,
///   aoe_mode) -> E10001 naming the option, the value and the allowed values;
/// - at most one of --dynamic_batch_size / --dynamic_image_size / --dynamic_dims, and none of them with
///   a range a~b -> E10001 naming both;
/// - the syntax of --input_shape and of the gear option (parse_input_shape, parse_profiles);
/// - the ATC rules between them (E10003, E10018, E10019, E10020, E10031) and -1 without a gear option.
/// The input format, when not given, is ND for --dynamic_dims; for --dynamic_image_size it is read off
/// the -1 axes (axes 2,3 -> NCHW, axes 1,2 -> NHWC), as ATC's own examples leave it out for NHWC
/// models; otherwise NCHW, ATC's default for ONNX.
[[nodiscard]] inline gear_request validate(const gear_options& o) {
    const std::string context = o.origin.empty() ? std::string() : " (from " + o.origin + ")";
    return detail::opts::with_context(context, [&] {
        using detail::opts::invalid_value;
        gear_request r;
        detail::opts::check_one_of("--input_format", o.input_format, detail::opts::tensor_formats);
        detail::opts::check_one_of("--precision_mode", o.precision_mode, detail::opts::precision_modes);
        detail::opts::check_one_of("--op_select_implmode", o.op_select_impl_mode, detail::opts::op_select_impl_modes);
        detail::opts::check_output_type("--output_type", o.output_type);
        detail::opts::check_one_of("--log", o.log, detail::opts::log_levels);
        detail::opts::check_aoe_mode("aoe_mode", o.aoe_mode);
        if (auto f = parse_tensor_format(detail::opts::trim(o.input_format))) {
            r.format = *f;
            r.format_given = true;
        }

        const std::array<std::pair<gear_kind, const std::string*>, 3> gear_opts{
            std::pair{gear_kind::dynamic_batch_size, &o.dynamic_batch_size},
            std::pair{gear_kind::dynamic_image_size, &o.dynamic_image_size}, std::pair{gear_kind::dynamic_dims, &o.dynamic_dims}};
        const std::string* gear_text = nullptr;
        for (const auto& [k, text] : gear_opts) {
            if (text->empty()) continue;
            if (gear_text)
                throw invalid_value("--" + std::string(to_string(k)), *text,
                                    "[" + r.gear_option + "] and [--" + std::string(to_string(k)) + "] are mutually exclusive",
                                    "Use only one of [--dynamic_batch_size], [--dynamic_image_size] and [--dynamic_dims].");
            r.kind = k;
            r.gear_option = "--" + std::string(to_string(k));
            gear_text = text;
        }

        r.input_shape_text = std::string(detail::opts::trim(o.input_shape));
        r.input_shapes = parse_input_shape(o.input_shape);
        bool has_range = false;
        for (const auto& e : r.input_shapes)
            for (const auto& d : e.dims)
                if (d.is_range()) {
                    if (gear_text)
                        throw invalid_value("--input_shape", r.input_shape_text,
                                            "the range [" + d.to_string() + "] of input [" + e.name + "] cannot be combined with [" +
                                                r.gear_option + "]: ranges and gears are mutually exclusive",
                                            "Mark gear axes with -1 and give their values in " + r.gear_option +
                                                ", or drop it and keep the range a~b.");
                    has_range = true;
                }

        if (gear_text) {
            r.profiles = parse_profiles(r.kind, *gear_text);
            if (r.input_shapes.empty())
                throw invalid_value("--input_shape", o.input_shape,
                                    "[" + r.gear_option + "] is included, so [--input_shape] must mark the gear axes with -1",
                                    "For example: --input_shape=\"x:-1,3,224,224\" --dynamic_batch_size=\"1,2,4\".");
            if (!r.format_given && r.kind == gear_kind::dynamic_dims) r.format = tensor_format::nd;
            detail::opts::check_against_input_shape(r);
        } else if (has_range) {
            r.kind = gear_kind::range;
        } else {
            for (const auto& e : r.input_shapes) {
                auto h = detail::opts::holes(e.dims);
                if (h.empty()) continue;
                std::string add;
                bool all_batch = std::all_of(r.input_shapes.begin(), r.input_shapes.end(), [](const auto& x) {
                    auto hx = detail::opts::holes(x.dims);
                    return hx.empty() || hx == std::vector<std::size_t>{0};
                });
                bool all_hw = std::all_of(r.input_shapes.begin(), r.input_shapes.end(), [](const auto& x) {
                    auto hx = detail::opts::holes(x.dims);
                    return hx.empty() ||
                           (x.dims.rank() == 4 && (hx == std::vector<std::size_t>{1, 2} || hx == std::vector<std::size_t>{2, 3}));
                });
                if (all_batch)
                    add = "Add --dynamic_batch_size (e.g. --dynamic_batch_size=\"1,2,4\"), or give the axis a range such as 1~8.";
                else if (all_hw)
                    add = "Add --dynamic_image_size (e.g. --dynamic_image_size=\"224,224;448,448\"), or give the axes ranges a~b.";
                else
                    add = "Add --dynamic_dims (with --input_format=ND) with one value per -1 axis, or give the axes ranges a~b.";
                throw invalid_value("--input_shape", r.input_shape_text,
                                    "axis [" + std::to_string(h.front()) + "] of input [" + e.name +
                                        "] is -1, but no [--dynamic_batch_size], [--dynamic_image_size] or [--dynamic_dims] gives it "
                                        "values",
                                    add);
            }
        }
        return r;
    });
}

namespace detail::opts {

/// The gear builder: matches the request against the model inputs and makes one gear per profile.
class gear_builder {
public:
    gear_builder(std::span<const model_input> model, const gear_request& r) : req_(r) {
        for (const auto& m : model) (m.is_initializer ? constants_ : feeds_).push_back(&m);
    }

    gear_set build() {
        for (const auto& e : req_.input_shapes) check_entry(e);
        std::vector<gear> gears;
        std::size_t n = req_.profiles.empty() ? 1 : req_.profiles.size();
        for (std::size_t g = 0; g < n; ++g) gears.push_back(make_gear(g));
        std::vector<std::string> names;
        for (const auto* m : feeds_)
            if (m->type.is_tensor()) names.push_back(m->name);
        return gear_set(req_.kind, req_.format, std::move(names), std::move(gears));
    }

private:
    const model_input* feed(std::string_view name) const {
        for (const auto* m : feeds_)
            if (m->name == name) return m;
        return nullptr;
    }

    [[nodiscard]] static std::string show(const shape& s) { return "[" + atc_text(s) + "]"; }

    void check_entry(const input_shape_entry& e) const {
        const auto* m = feed(e.name);
        const std::string value = e.name + ":" + atc_text(e.dims);
        if (!m) {
            std::vector<std::string> names;
            for (const auto* f : feeds_) names.push_back(f->name);
            for (const auto* c : constants_)
                if (c->name == e.name)
                    throw invalid_value("--input_shape", value,
                                        "[" + e.name +
                                            "] is an initializer (constant data) of the model, not an input; the model's "
                                            "inputs are [" +
                                            join(names, ", ") + "]",
                                        "Give shapes only for the model's inputs.");
            throw invalid_value("--input_shape", value,
                                "the model has no input named [" + e.name + "]" + did_you_mean(e.name, names) + "; its inputs are [" +
                                    join(names, ", ") + "]",
                                "Use the names of the model's inputs (the value after the last ':' is the shape).");
        }
        if (!m->type.is_tensor())
            throw invalid_value("--input_shape", value,
                                "input [" + e.name + "] is a " + m->type.to_string() + ", not a tensor, so it has no shape to set");
        if (!m->type.dims) return;  // unknown rank: any shape goes
        const shape& md = *m->type.dims;
        if (md.rank() != e.dims.rank())
            throw invalid_value("--input_shape", value,
                                "input [" + e.name + "] has rank " + std::to_string(md.rank()) + " in the model " + show(md) +
                                    " but rank " + std::to_string(e.dims.rank()) + " in [--input_shape]",
                                "Give one dimension per axis of the model input.");
        for (std::size_t a = 0; a < md.rank(); ++a) {
            const dim& d = e.dims[a];
            const dim& m_d = md[a];
            std::string axis = "axis [" + std::to_string(a) + "] of input [" + e.name + "] is ";
            if (m_d.is_static() && d.is_static() && d.value() != m_d.value())
                throw invalid_value("--input_shape", value,
                                    axis + std::to_string(m_d.value()) + " in the model " + show(md) + " but " +
                                        std::to_string(d.value()) + " in [--input_shape]",
                                    "Only the model's dynamic axes (symbols or -1) can be set; keep static axes as they are.");
            if (m_d.is_static() && (d.is_range() || (d.is_unknown() && req_.kind == gear_kind::range)))
                throw invalid_value("--input_shape", value,
                                    axis + std::to_string(m_d.value()) + " in the model " + show(md) +
                                        ", so it cannot be the range [" + (d.is_range() ? d.to_string() : std::string("-1")) + "]",
                                    "Only the model's dynamic axes (symbols or -1) can be given ranges.");
            if (m_d.is_range() && d.is_static() && (d.value() < m_d.lo() || (m_d.hi() != -1 && d.value() > m_d.hi())))
                throw invalid_value("--input_shape", value,
                                    axis + d.to_string() + " in [--input_shape], outside the model's range [" + m_d.to_string() + "]");
        }
    }

    /// The value gear profile `p` gives to a -1 at `axis`; `cursor` counts the -1s in --input_shape order.
    dim fill(const std::vector<std::int64_t>& p, std::size_t axis, std::size_t& cursor) const {
        switch (req_.kind) {
            case gear_kind::dynamic_batch_size:
                return dim(p.at(0));
            case gear_kind::dynamic_image_size:
                return dim(axis == hw_axes(req_.format).first ? p.at(0) : p.at(1));
            case gear_kind::dynamic_dims:
                return dim(p.at(cursor++));
            case gear_kind::range:
            case gear_kind::static_shape:
                break;
        }
        return dim::range(1, -1);  // -1 next to a range: unbounded
    }

    std::string profile_value(std::size_t g) const {
        return req_.profiles.empty() ? req_.input_shape_text : atc_text(req_.profiles[g]);
    }
    std::string gear_parameter() const { return req_.gear_option.empty() ? std::string("--input_shape") : req_.gear_option; }

    gear make_gear(std::size_t g) {
        gear out;
        if (!req_.profiles.empty()) out.profile = req_.profiles[g];
        std::map<std::string, std::pair<dim, std::string>, std::less<>> bound;  // symbol -> (dim, input that bound it)
        std::size_t cursor = 0;
        auto bind = [&](const dim& model_dim, const dim& d, const std::string& input) {
            if (!model_dim.is_symbol()) return;
            auto [it, fresh] = bound.try_emplace(model_dim.name(), d, input);
            if (!fresh && !(it->second.first == d))
                throw invalid_value(gear_parameter(), profile_value(g),
                                    "gear [" + std::to_string(g) + "] gives the model's symbolic dimension [" + model_dim.name() +
                                        "] the value " + atc_text(shape{it->second.first}) + " through input [" + it->second.second +
                                        "] but " + atc_text(shape{d}) + " through input [" + input + "]",
                                    "Axes that share a symbol in the model must get the same value in every gear.");
        };
        for (const auto& e : req_.input_shapes) {
            const auto* m = feed(e.name);
            shape s = e.dims;
            for (std::size_t a = 0; a < s.rank(); ++a)
                if (s[a].is_unknown()) s[a] = fill(out.profile, a, cursor);
            if (m->type.dims) {
                const shape& md = *m->type.dims;
                for (std::size_t a = 0; a < md.rank(); ++a) {
                    if (md[a].is_static() && s[a].is_static() && s[a].value() != md[a].value())
                        throw invalid_value(gear_parameter(), profile_value(g),
                                            "gear [" + std::to_string(g) + "] sets axis [" + std::to_string(a) + "] of input [" +
                                                e.name + "] to " + std::to_string(s[a].value()) + ", but the model " + show(md) +
                                                " fixes it to " + std::to_string(md[a].value()),
                                            "Only the model's dynamic axes (symbols or -1) can vary between gears.");
                    if (md[a].is_range() && s[a].is_static() &&
                        (s[a].value() < md[a].lo() || (md[a].hi() != -1 && s[a].value() > md[a].hi())))
                        throw invalid_value(gear_parameter(), profile_value(g),
                                            "gear [" + std::to_string(g) + "] sets axis [" + std::to_string(a) + "] of input [" +
                                                e.name + "] to " + std::to_string(s[a].value()) + ", outside the model's range [" +
                                                md[a].to_string() + "]");
                    bind(md[a], s[a], e.name);
                }
            }
            check_size(s, e.name, g);
            out.shapes[e.name] = std::move(s);
        }
        for (const auto* m : feeds_) {
            if (!m->type.is_tensor() || out.shapes.count(m->name)) continue;
            if (!m->type.dims) throw invalid_value(m->name, "*", "maybe you should set input_shape to specify its shape");
            shape s = *m->type.dims;
            for (std::size_t a = 0; a < s.rank(); ++a) {
                if (s[a].is_symbol())
                    if (auto it = bound.find(s[a].name()); it != bound.end()) s[a] = it->second.first;
                if (s[a].is_unknown() || s[a].is_symbol() || (s[a].is_range() && req_.kind != gear_kind::range))
                    throw invalid_value(m->name, s[a].is_unknown() ? std::string("-1") : s[a].to_string(),
                                        "maybe you should set input_shape to specify its shape");
            }
            check_size(s, m->name, g);
            out.shapes[m->name] = std::move(s);
        }
        for (const auto& [sym, b] : bound)
            if (b.first.is_static()) out.bindings[sym] = b.first.value();
        return out;
    }

    /// Guards the element count of a static shape against int64 overflow (later stages multiply dims).
    void check_size(const shape& s, const std::string& name, std::size_t g) const {
        if (!s.is_static()) return;
        std::int64_t n = 1;
        for (const auto& d : s) {
            if (d.value() != 0 && n > std::numeric_limits<std::int64_t>::max() / d.value())
                throw invalid_value("--input_shape", name + ":" + atc_text(s),
                                    "in gear [" + std::to_string(g) + "] input [" + name + "] would have more than 2^63-1 elements");
            n *= d.value();
        }
    }

    const gear_request& req_;
    std::vector<const model_input*> feeds_;
    std::vector<const model_input*> constants_;
};

}  // namespace detail::opts

/// The model's inputs and initializers, as make_gear_set sees them (inputs in model order).
template <class Traits>
[[nodiscard]] std::vector<model_input> model_inputs(const basic_graph<Traits>& g) {
    std::vector<model_input> out;
    for (const auto* v : g.inputs()) out.push_back({std::string(v->name()), v->type(), v->is_initializer()});
    for (const auto* v : g.initializers())
        if (!v->is_graph_input()) out.push_back({std::string(v->name()), v->type(), true});
    return out;
}

/// Builds the gears of an already validated request against the model's inputs:
/// - every --input_shape name must be a model input (E10001, with a did-you-mean and the list of inputs;
///   an initializer's name is called out as such), of the same rank, with static values equal to the
///   model's static dims (E10001 naming both);
/// - gear i fills the -1 axes from profile i: N for --dynamic_batch_size (every input whose axis 0 is -1),
///   H and W for --dynamic_image_size, the values in --input_shape order for --dynamic_dims; with ranges,
///   -1 means 1~-1 (unbounded);
/// - a gear value at an axis the model fixes, or two values for one model symbol, is E10001;
/// - inputs not in --input_shape keep their model shape, with symbols bound by other inputs filled in;
///   a dynamic dim left over is ATC's E10001 "maybe you should set input_shape to specify its shape".
/// Non-tensor inputs (sequences, optionals) are left out of the gears.
[[nodiscard]] inline gear_set make_gear_set(std::span<const model_input> model, const gear_request& r) {
    return detail::opts::gear_builder(model, r).build();
}

/// validate() then make_gear_set(); errors from options read from a file name it (gear_options::origin).
[[nodiscard]] inline gear_set make_gear_set(std::span<const model_input> model, const gear_options& o) {
    auto r = validate(o);
    return detail::opts::with_context(o.origin.empty() ? std::string() : " (from " + o.origin + ")",
                                      [&] { return make_gear_set(model, r); });
}

/// The gears of `model` (its graph inputs that are not initializers) for options `o`.
template <class Traits>
[[nodiscard]] gear_set make_gear_set(const basic_graph<Traits>& model, const gear_options& o) {
    auto inputs = model_inputs(model);
    return make_gear_set(std::span<const model_input>(inputs), o);
}

GEARC_END_NAMESPACE
