// MindOCR auto_scaling's statistics (mean_std, max_min), candidate spreading and limits, without its known defects.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/gear_options.hpp>
#include <gearc/scaling/scaling_config.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace scaling {

// Where gearc differs from MindOCR's auto_scaling (each one has a test in tests/unit-scaling.cpp):
// - limit_side_len scales an image's height with its height and its width with its width (MindOCR passes
//   widths and heights swapped, so they come back exchanged);
// - the statistics are those of the data only (MindOCR seeds both sample lists with limit_side_len);
// - side lengths are not rounded to the interval before the statistics (rounding sends sides below
//   interval/2 to 0); gears are multiples of the interval;
// - capping heights x widths at max_scaling_num never divides by zero (MindOCR's num_h can floor to 0);
// - a side with a single candidate never yields a 0 gear (MindOCR returns [max - interval, max]);
// - when no batch_choices value falls inside the statistics' range, the choice nearest above it is kept
//   (MindOCR returns an empty list);
// - the default 2-D scaling is thinned to max_scaling_num gears (MindOCR's defaults make 20 x 29 = 580).

/// A closed interval of side lengths or batch sizes.
struct value_range {
    double lo = 0, hi = 0;
};

/// mean_std: [mean - n_std*sigma, mean + n_std*sigma] (population sigma); max_min: [min, max] widened by
/// expand_ratio*(max-min)/2 on each side. `xs` must not be empty.
[[nodiscard]] inline value_range statistic_range(std::span<const double> xs, strategy s, const scaling_config& c) {
    if (xs.empty()) return {};
    if (s == strategy::max_min) {
        auto [mn, mx] = std::minmax_element(xs.begin(), xs.end());
        double pad = (*mx - *mn) * c.expand_ratio / 2;
        return {*mn - pad, *mx + pad};
    }
    double mean = std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
    double var = 0;
    for (double x : xs) var += (x - mean) * (x - mean);
    double sd = std::sqrt(var / static_cast<double>(xs.size()));
    return {mean - c.n_std * sd, mean + c.n_std * sd};
}

/// The smallest multiple of `interval` that is >= x (x > 0), as an integer.
[[nodiscard]] inline std::int64_t round_up(double x, std::int64_t interval) {
    auto q = static_cast<std::int64_t>(std::ceil(x / static_cast<double>(interval) - 1e-9));
    return std::max<std::int64_t>(1, q) * interval;
}

/// `count` values from lo to hi, evenly spaced, each rounded up to the interval, duplicates dropped; hi is
/// always the last (MindOCR's get_scaling). With count 1 it is [hi - interval, hi] as in MindOCR, but
/// never a value below `interval`: then just [hi].
[[nodiscard]] inline std::vector<std::int64_t> spread(std::int64_t lo, std::int64_t hi, std::int64_t count, std::int64_t interval) {
    std::vector<std::int64_t> out;
    if (count <= 1) {
        if (hi - interval >= interval) out.push_back(hi - interval);
        out.push_back(hi);
        return out;
    }
    const double step = static_cast<double>(hi - lo) / static_cast<double>(count - 1);
    for (std::int64_t i = 0; i + 1 < count; ++i) {
        std::int64_t v = round_up(static_cast<double>(lo) + step * static_cast<double>(i), interval);
        if (v < hi && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    out.push_back(hi);
    return out;
}

/// The candidate span of one side: its lowest and highest gear and how many gears fit between.
struct side_span {
    std::int64_t lo = 0, hi = 0, count = 0;
};

/// MindOCR's preprocess: the statistics' range, clipped to `limits`, rounded up to the interval; hi is
/// brought back inside `limits` when rounding pushed it out (MindOCR rounds past the range). E10001 when
/// the range holds no multiple of the interval.
[[nodiscard]] inline side_span side_span_of(std::span<const double> xs, std::array<std::int64_t, 2> limits, std::string_view key,
                                            const scaling_config& c) {
    const std::int64_t iv = c.interval;
    const std::int64_t top = limits[1] / iv * iv;
    if (top < iv || top < limits[0])
        throw gearc::detail::opts::invalid_value(
            key, "[" + std::to_string(limits[0]) + ", " + std::to_string(limits[1]) + "]",
            "it holds no multiple of interval " + std::to_string(iv) + ", so no gear fits in it",
            "Widen [" + std::string(key) + "] or lower [interval].");
    auto r = statistic_range(xs, c.strategy == strategy::max_min ? strategy::max_min : strategy::mean_std, c);
    r.lo = std::clamp(r.lo, static_cast<double>(limits[0]), static_cast<double>(limits[1]));
    r.hi = std::clamp(r.hi, static_cast<double>(limits[0]), static_cast<double>(limits[1]));
    side_span s;
    s.lo = std::min(round_up(r.lo, iv), top);
    s.hi = std::min(round_up(r.hi, iv), top);
    s.count = (s.hi - s.lo) / iv + 1;
    return s;
}

/// `k` of `values` (ascending), evenly spread, always keeping the largest (which covers the most).
[[nodiscard]] inline std::vector<std::int64_t> thin(const std::vector<std::int64_t>& values, std::size_t k) {
    if (k == 0 || values.empty()) return {};
    if (values.size() <= k) return values;
    std::vector<std::int64_t> out;
    const std::size_t n = values.size();
    for (std::size_t i = 0; i < k; ++i) {
        std::size_t idx = k == 1 ? n - 1 : static_cast<std::size_t>(std::llround(static_cast<double>(i) * static_cast<double>(n - 1) / static_cast<double>(k - 1)));
        if (out.empty() || out.back() != values[idx]) out.push_back(values[idx]);
    }
    return out;
}

/// How many heights and widths a grid of nh x nw candidates keeps under `limit` gears: MindOCR's
/// proportional reduction (num_h * sqrt(limit / product)), with at least one of each.
[[nodiscard]] inline std::pair<std::int64_t, std::int64_t> cap_grid(std::int64_t nh, std::int64_t nw, std::int64_t limit) {
    nh = std::max<std::int64_t>(1, nh), nw = std::max<std::int64_t>(1, nw), limit = std::max<std::int64_t>(1, limit);
    if (nh * nw <= limit) return {nh, nw};
    auto h = static_cast<std::int64_t>(std::floor(static_cast<double>(nh) * std::sqrt(static_cast<double>(limit) / static_cast<double>(nh * nw))));
    h = std::clamp<std::int64_t>(h, 1, std::min(nh, limit));
    std::int64_t w = std::clamp<std::int64_t>(limit / h, 1, nw);
    return {h, w};
}

/// The batch sizes mean_std / max_min keep: the batch_choices inside the statistics' range of the box
/// counts. When none is inside, the smallest choice at or above the range (else the largest choice).
[[nodiscard]] inline std::vector<std::int64_t> batch_from_counts(std::span<const double> counts, const scaling_config& c) {
    std::vector<std::int64_t> choices = c.batch_choices;
    std::sort(choices.begin(), choices.end());
    choices.erase(std::unique(choices.begin(), choices.end()), choices.end());
    if (counts.empty()) return choices;
    auto r = statistic_range(counts, c.strategy == strategy::max_min ? strategy::max_min : strategy::mean_std, c);
    std::vector<std::int64_t> out;
    for (auto b : choices)
        if (static_cast<double>(b) >= r.lo - 1e-9 && static_cast<double>(b) <= r.hi + 1e-9) out.push_back(b);
    if (out.empty()) {
        auto it = std::find_if(choices.begin(), choices.end(), [&](std::int64_t b) { return static_cast<double>(b) >= r.hi; });
        out.push_back(it == choices.end() ? choices.back() : *it);
    }
    return out;
}

}  // namespace scaling

GEARC_END_NAMESPACE
