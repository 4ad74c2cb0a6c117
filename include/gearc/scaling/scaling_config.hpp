// scaling_config: the settings of gear scaling (MindOCR auto_scaling's keys and defaults), read from JSON/YAML trees.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/gear_options.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace scaling {

/// How candidate gears are chosen from the dataset statistics.
enum class strategy : std::uint8_t {
    mean_std,  ///< MindOCR: values spread evenly over [mean - n_std*sigma, mean + n_std*sigma]
    max_min,   ///< MindOCR: values spread evenly over [min, max] widened by expand_ratio
    optimal    ///< gearc: the K gears that minimise the expected padded cost (dynamic programming / local search)
};

[[nodiscard]] constexpr std::string_view to_string(strategy s) noexcept {
    switch (s) {
        case strategy::mean_std:
            return "mean_std";
        case strategy::max_min:
            return "max_min";
        case strategy::optimal:
            return "optimal";
    }
    return "?";
}

inline constexpr std::array<std::string_view, 3> strategy_names{"mean_std", "max_min", "optimal"};

[[nodiscard]] constexpr std::optional<strategy> parse_strategy(std::string_view s) noexcept {
    for (auto v : {strategy::mean_std, strategy::max_min, strategy::optimal})
        if (s == to_string(v)) return v;
    return std::nullopt;
}

/// ATC's limit on the number of profiles of one model (E10036).
inline constexpr std::int64_t atc_max_profiles = 100;

/// The settings of gear scaling. Keys and defaults are those of MindOCR's auto_scaling.yaml; `num_gears`
/// (the gear budget of the `optimal` strategy) is gearc's.
struct scaling_config {
    scaling::strategy strategy = scaling::strategy::mean_std;
    double n_std = 3;                                ///< mean_std: half-width of the range in standard deviations
    double expand_ratio = 0.2;                       ///< max_min: the range [min, max] is widened by this share of max-min
    std::int64_t limit_side_len = 1280;              ///< images whose longer side exceeds this are scaled down (aspect kept)
    std::array<std::int64_t, 2> width_range{1, 8192};   ///< gear widths are kept inside this range
    std::array<std::int64_t, 2> height_range{1, 8192};  ///< gear heights are kept inside this range
    std::int64_t interval = 32;                      ///< every height/width gear is a multiple of this
    std::int64_t max_scaling_num = 100;              ///< at most this many gears in total (and never more than 100 per model)
    std::vector<std::int64_t> batch_choices{1, 4, 8, 16, 32, 64};  ///< batch sizes mean_std/max_min choose from
    /// Gears used when there is no dataset.
    std::vector<std::int64_t> default_batch_size{1, 4, 8, 16, 32};
    std::vector<std::int64_t> default_height{32,  64,  96,  128, 160, 192, 224, 256, 288, 320,
                                             352, 384, 416, 448, 480, 512, 544, 576, 608, 640};
    std::vector<std::int64_t> default_width{64,  96,  128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 480, 512,
                                            544, 576, 608, 640, 672, 704, 736, 768, 800, 832, 864, 896, 928, 960};
    /// `optimal`: how many gears to choose in total; 0 = max_scaling_num (capped at 100 per model).
    std::int64_t num_gears = 0;

    /// The budget of gears in total: max_scaling_num, and num_gears when set for `optimal`.
    [[nodiscard]] std::int64_t gear_budget() const noexcept {
        std::int64_t b = max_scaling_num;
        if (strategy == scaling::strategy::optimal && num_gears > 0) b = std::min(b, num_gears);
        return b;
    }
};

namespace detail {

[[nodiscard]] inline option_error bad_key(std::string_view origin, std::string_view key, std::string_view value,
                                          const std::string& reason) {
    return gearc::detail::opts::invalid_value(key, value, reason + " (in " + std::string(origin) + ")",
                                              "Fix the value of [" + std::string(key) + "] in " + std::string(origin) + ".");
}

}  // namespace detail

/// Checks every value (E10001 naming the key and the value): n_std >= 0, 0 <= expand_ratio, limit_side_len,
/// interval >= 1, ranges 1 <= lo <= hi, 1 <= max_scaling_num, batch choices and default gears > 0, num_gears >= 0.
inline void validate(const scaling_config& c, std::string_view origin = "the scaling configuration") {
    using detail::bad_key;
    auto num = [](double v) {
        std::string s = std::to_string(v);
        while (s.size() > 1 && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
    };
    if (!(c.n_std >= 0) || !std::isfinite(c.n_std)) throw bad_key(origin, "mean_std.n_std", num(c.n_std), "it must be a number >= 0");
    if (!(c.expand_ratio >= 0) || !std::isfinite(c.expand_ratio))
        throw bad_key(origin, "max_min.expand_ratio", num(c.expand_ratio), "it must be a number >= 0");
    if (c.limit_side_len < 1) throw bad_key(origin, "limit_side_len", std::to_string(c.limit_side_len), "it must be >= 1");
    if (c.interval < 1) throw bad_key(origin, "interval", std::to_string(c.interval), "it must be >= 1");
    for (auto [key, r] : {std::pair{"width_range", c.width_range}, std::pair{"height_range", c.height_range}})
        if (r[0] < 1 || r[1] < r[0])
            throw bad_key(origin, key, "[" + std::to_string(r[0]) + ", " + std::to_string(r[1]) + "]",
                          "it must be [lo, hi] with 1 <= lo <= hi");
    if (c.max_scaling_num < 1) throw bad_key(origin, "max_scaling_num", std::to_string(c.max_scaling_num), "it must be >= 1");
    if (c.num_gears < 0) throw bad_key(origin, "num_gears", std::to_string(c.num_gears), "it must be >= 0 (0: max_scaling_num)");
    auto list = [&](std::string_view key, const std::vector<std::int64_t>& v) {
        if (v.empty()) throw bad_key(origin, key, "[]", "it must list at least one value");
        for (auto x : v)
            if (x < 1)
                throw bad_key(origin, key, "[" + gearc::detail::opts::join(v, ", ") + "]",
                              "every value must be >= 1, but it holds " + std::to_string(x));
    };
    list("batch_choices", c.batch_choices);
    list("default_scaling.batch_size", c.default_batch_size);
    list("default_scaling.height", c.default_height);
    list("default_scaling.width", c.default_width);
}

namespace detail {

inline const std::array<std::string_view, 11> config_keys{"strategy",        "mean_std",      "max_min",       "limit_side_len",
                                                           "width_range",     "height_range",  "interval",      "max_scaling_num",
                                                           "batch_choices",   "default_scaling", "num_gears"};

[[nodiscard]] inline std::string dump(const nlohmann::json& j) {
    return j.is_string() ? j.get<std::string>() : j.dump();
}

[[nodiscard]] inline std::int64_t get_int(const nlohmann::json& j, std::string_view key, std::string_view origin) {
    if (j.is_number_integer()) return j.get<std::int64_t>();
    if (j.is_number_float()) {
        double d = j.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9e15) return static_cast<std::int64_t>(d);
    }
    if (j.is_string()) {
        auto p = gearc::detail::opts::parse_int(gearc::detail::opts::trim(j.get<std::string>()));
        if (p.status == gearc::detail::opts::int_status::ok) return p.value;
    }
    throw bad_key(origin, key, dump(j), "it must be an integer");
}

[[nodiscard]] inline double get_number(const nlohmann::json& j, std::string_view key, std::string_view origin) {
    if (j.is_number()) return j.get<double>();
    if (j.is_string()) {
        const std::string s(gearc::detail::opts::trim(j.get<std::string>()));
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        if (!s.empty() && end == s.c_str() + s.size()) return d;
    }
    throw bad_key(origin, key, dump(j), "it must be a number");
}

[[nodiscard]] inline std::vector<std::int64_t> get_list(const nlohmann::json& j, std::string_view key, std::string_view origin) {
    if (!j.is_array()) throw bad_key(origin, key, dump(j), "it must be a list such as [1, 4, 8]");
    std::vector<std::int64_t> out;
    for (const auto& x : j) out.push_back(get_int(x, key, origin));
    return out;
}

template <std::size_t N>
void check_object(const nlohmann::json& j, std::string_view key, std::string_view origin,
                                           const std::array<std::string_view, N>& keys) {
    if (!j.is_object()) throw bad_key(origin, key, dump(j), "it must be a mapping");
    for (const auto& [k, v] : j.items())
        if (std::find(keys.begin(), keys.end(), k) == keys.end())
            throw bad_key(origin, std::string(key) + "." + k, dump(v),
                          "it is not a key of [" + std::string(key) + "]; the keys are: " + gearc::detail::opts::join(keys, ", ") +
                              gearc::detail::opts::did_you_mean(k, keys));
}

}  // namespace detail

/// Reads the settings from a parsed config file: either MindOCR's layout (everything under `auto_scaling:`)
/// or the same keys at the top level. Keys not given keep `base`'s values. Unknown keys and bad values are
/// E10001 naming the key, the value and `origin` (e.g. "config file [scaling.yaml]"), with a did-you-mean.
[[nodiscard]] inline scaling_config config_from_json(const nlohmann::json& root, std::string_view origin,
                                                     scaling_config base = {}) {
    using namespace detail;
    if (root.is_null()) return base;
    if (!root.is_object()) throw bad_key(origin, "(top level)", dump(root), "the file must hold a mapping of keys");
    const nlohmann::json* j = &root;
    if (root.contains("auto_scaling")) {
        if (root.size() != 1) {
            for (const auto& [k, v] : root.items())
                if (k != "auto_scaling")
                    throw bad_key(origin, k, dump(v), "keys must all be under [auto_scaling] when it is given");
        }
        j = &root["auto_scaling"];
        if (j->is_null()) return base;
    }
    check_object(*j, "auto_scaling", origin, config_keys);
    scaling_config c = std::move(base);
    for (const auto& [k, v] : j->items()) {
        if (k == "strategy") {
            auto s = v.is_string() ? parse_strategy(gearc::detail::opts::trim(v.get<std::string>())) : std::nullopt;
            if (!s)
                throw bad_key(origin, "strategy", dump(v),
                              "it must be one of: mean_std, max_min, optimal" +
                                  (v.is_string() ? gearc::detail::opts::did_you_mean(v.get<std::string>(), strategy_names)
                                                 : std::string()));
            c.strategy = *s;
        } else if (k == "mean_std") {
            check_object(v, "mean_std", origin, std::array<std::string_view, 1>{"n_std"});
            if (v.contains("n_std")) c.n_std = get_number(v["n_std"], "mean_std.n_std", origin);
        } else if (k == "max_min") {
            check_object(v, "max_min", origin, std::array<std::string_view, 1>{"expand_ratio"});
            if (v.contains("expand_ratio")) c.expand_ratio = get_number(v["expand_ratio"], "max_min.expand_ratio", origin);
        } else if (k == "limit_side_len") {
            c.limit_side_len = get_int(v, k, origin);
        } else if (k == "width_range" || k == "height_range") {
            auto l = get_list(v, k, origin);
            if (l.size() != 2) throw bad_key(origin, k, dump(v), "it must be [lo, hi]");
            (k == "width_range" ? c.width_range : c.height_range) = {l[0], l[1]};
        } else if (k == "interval") {
            c.interval = get_int(v, k, origin);
        } else if (k == "max_scaling_num") {
            c.max_scaling_num = get_int(v, k, origin);
        } else if (k == "num_gears") {
            c.num_gears = get_int(v, k, origin);
        } else if (k == "batch_choices") {
            c.batch_choices = get_list(v, k, origin);
        } else if (k == "default_scaling") {
            check_object(v, "default_scaling", origin, std::array<std::string_view, 3>{"batch_size", "height", "width"});
            if (v.contains("batch_size")) c.default_batch_size = get_list(v["batch_size"], "default_scaling.batch_size", origin);
            if (v.contains("height")) c.default_height = get_list(v["height"], "default_scaling.height", origin);
            if (v.contains("width")) c.default_width = get_list(v["width"], "default_scaling.width", origin);
        }
    }
    validate(c, origin);
    return c;
}

}  // namespace scaling

GEARC_END_NAMESPACE
