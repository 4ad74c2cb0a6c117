// choose_gears(): gears for a model input from dataset statistics (mean_std, max_min, optimal), with a padding report.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/gear_options.hpp>
#include <gearc/gear_set.hpp>
#include <gearc/scaling/dataset.hpp>
#include <gearc/scaling/heuristics.hpp>
#include <gearc/scaling/optimal.hpp>
#include <gearc/scaling/scaling_config.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace scaling {

/// The model input being scaled: a 4-D NCHW or NHWC shape whose -1 axes (N, H, W) get gears.
struct scaling_input {
    std::string name = "x";
    std::array<std::int64_t, 4> dims{-1, 3, -1, -1};
    tensor_format format = tensor_format::nchw;

    [[nodiscard]] std::size_t h_axis() const noexcept { return format == tensor_format::nhwc ? 1 : 2; }
    [[nodiscard]] std::size_t w_axis() const noexcept { return format == tensor_format::nhwc ? 2 : 3; }
    [[nodiscard]] bool batch_dynamic() const noexcept { return dims[0] == -1; }
    [[nodiscard]] bool height_dynamic() const noexcept { return dims[h_axis()] == -1; }
    [[nodiscard]] bool width_dynamic() const noexcept { return dims[w_axis()] == -1; }
    [[nodiscard]] bool sides_dynamic() const noexcept { return height_dynamic() || width_dynamic(); }
    [[nodiscard]] bool is_static() const noexcept { return !batch_dynamic() && !sides_dynamic(); }

    /// The shape with the dynamic axes filled: batch b, height h, width w (values for static axes are ignored).
    [[nodiscard]] std::vector<std::int64_t> shape_with(std::int64_t b, std::int64_t h, std::int64_t w) const {
        std::vector<std::int64_t> s(dims.begin(), dims.end());
        if (batch_dynamic()) s[0] = b;
        if (height_dynamic()) s[h_axis()] = h;
        if (width_dynamic()) s[w_axis()] = w;
        return s;
    }
    /// "-1,3,-1,-1".
    [[nodiscard]] std::string dims_text() const { return gearc::detail::opts::join(dims, ","); }
};

/// Reads MindOCR's `--input_shape=-1,3,-1,-1` (or ATC's `x:-1,3,-1,-1`, or `[...]`), with the input's name
/// from the text or `input_name` (default "x") and the layout from `input_format` (NCHW, the default, or
/// NHWC). E10001 naming the option when the shape is not 4 integers each -1 or >= 1, when an axis other
/// than N, H, W is -1, or when the name given twice differs.
[[nodiscard]] inline scaling_input parse_scaling_input(std::string_view input_shape, std::string_view input_name = {},
                                                       std::string_view input_format = {}) {
    using gearc::detail::opts::invalid_value;
    using gearc::detail::opts::trim;
    scaling_input in;
    const std::string whole(input_shape);
    std::string_view text = trim(input_shape);
    if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
        std::string name(trim(text.substr(0, colon)));
        if (!input_name.empty() && name != trim(input_name))
            throw invalid_value("--input_shape", whole,
                                "it names input [" + name + "] but --input_name is [" + std::string(input_name) + "]",
                                "Name the input once, or the same in both options.");
        in.name = name;
        text = trim(text.substr(colon + 1));
    } else if (!trim(input_name).empty()) {
        in.name = std::string(trim(input_name));
    }
    if (in.name.empty()) throw invalid_value("--input_shape", whole, "the input name is empty", "Write name:d,d,d,d or give --input_name.");
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = trim(text.substr(1, text.size() - 2));
    auto parts = gearc::detail::opts::split(text, ',');
    if (parts.size() != 4)
        throw invalid_value("--input_shape", whole,
                            "gear scaling needs a 4-D NCHW or NHWC shape such as -1,3,-1,-1, but it has " +
                                std::to_string(parts.size()) + (parts.size() == 1 ? " value" : " values"),
                            "Give four values: batch, channels, height, width (or batch, height, width, channels with --input_format=NHWC).");
    if (!trim(input_format).empty()) {
        auto f = parse_tensor_format(trim(input_format));
        if (!f || (*f != tensor_format::nchw && *f != tensor_format::nhwc))
            throw invalid_value("--input_format", input_format, "gear scaling needs NCHW or NHWC",
                                "Use --input_format=NCHW (the default) or NHWC.");
        in.format = *f;
    }
    for (std::size_t i = 0; i < 4; ++i) {
        auto p = gearc::detail::opts::parse_int(trim(parts[i]));
        if (p.status != gearc::detail::opts::int_status::ok || (p.value < 1 && p.value != -1))
            throw invalid_value("--input_shape", whole,
                                "axis " + std::to_string(i) + " is [" + std::string(trim(parts[i])) + "], which is neither -1 nor a positive integer");
        in.dims[i] = p.value;
    }
    const std::size_t c_axis = in.format == tensor_format::nhwc ? 3 : 1;
    if (in.dims[c_axis] == -1)
        throw invalid_value("--input_shape", whole,
                            "axis " + std::to_string(c_axis) + " (channels in " + std::string(to_string(in.format)) +
                                ") is -1, but only the batch, height and width axes can have gears",
                            "Set the channel count, e.g. " + std::string(in.format == tensor_format::nhwc ? "-1,-1,-1,3" : "-1,3,-1,-1") + ".");
    return in;
}

/// How much a gear or an input costs to run. The shapes are the input's full 4-D shapes.
class cost_model {
public:
    virtual ~cost_model() = default;
    /// "area" or "flops".
    [[nodiscard]] virtual std::string name() const = 0;
    /// The cost of running a gear of each (integer) shape.
    [[nodiscard]] virtual std::vector<double> gear_costs(const std::vector<std::vector<std::int64_t>>& shapes) = 0;
    /// The cost an input of each (possibly fractional) shape would have without padding.
    [[nodiscard]] virtual std::vector<double> input_costs(const std::vector<std::vector<double>>& shapes) = 0;
};

/// Cost = the number of elements of the input (batch x height x width x channels): padded area.
class area_cost final : public cost_model {
public:
    [[nodiscard]] std::string name() const override { return "area"; }
    [[nodiscard]] std::vector<double> gear_costs(const std::vector<std::vector<std::int64_t>>& shapes) override {
        std::vector<double> out;
        for (const auto& s : shapes) {
            double v = 1;
            for (auto d : s) v *= static_cast<double>(d);
            out.push_back(v);
        }
        return out;
    }
    [[nodiscard]] std::vector<double> input_costs(const std::vector<std::vector<double>>& shapes) override {
        std::vector<double> out;
        for (const auto& s : shapes) {
            double v = 1;
            for (auto d : s) v *= d;
            out.push_back(v);
        }
        return out;
    }
};

/// One model to compile: an input shape whose -1 axes get one value per gear.
struct gear_group {
    std::string suffix;                               ///< MindOCR's model name suffix: dynamic_bs, dynamic_hw, dynamic_bs4_hw, static
    std::array<std::int64_t, 4> dims{};               ///< -1 at this model's gear axes
    std::vector<std::vector<std::int64_t>> profiles;  ///< per gear, the values of the -1 axes in axis order

    /// The full shape of every gear.
    [[nodiscard]] std::vector<std::vector<std::int64_t>> shapes() const {
        std::vector<std::vector<std::int64_t>> out;
        for (const auto& p : profiles) {
            std::vector<std::int64_t> s(dims.begin(), dims.end());
            std::size_t k = 0;
            for (auto& d : s)
                if (d == -1) d = p.at(k++);
            out.push_back(std::move(s));
        }
        if (profiles.empty()) out.emplace_back(dims.begin(), dims.end());
        return out;
    }
};

/// The padding of one axis group (the batch, or the sides) over the dataset.
struct axis_report {
    std::string axes;              ///< "batch", "height,width", "width" or "height"
    std::size_t gears = 0;         ///< distinct values chosen for these axes
    std::size_t inputs = 0;        ///< dataset samples evaluated
    double padded_cost = 0;        ///< sum over inputs of the cost of the gear each runs on
    double unpadded_cost = 0;      ///< sum over inputs of their own cost (as they run: resized down when above every gear)
    double uncovered_share = 0;    ///< inputs above every gear (resized down, or split for batch) / inputs
    std::optional<double> lower_bound;  ///< optimal: no gear choice within the budget costs less (on the covered inputs)
    double covered_cost = 0;       ///< padded cost of the covered inputs (what lower_bound bounds)
    std::string method;            ///< how the gears were chosen
    /// padded / unpadded: 1 means no padding at all.
    [[nodiscard]] double overhead() const noexcept { return unpadded_cost > 0 ? padded_cost / unpadded_cost : 1; }
    /// (cost - bound) / bound for `optimal`; 0 when proven optimal.
    [[nodiscard]] std::optional<double> optimality_gap() const {
        if (!lower_bound) return std::nullopt;
        return *lower_bound > 0 ? std::max(0.0, covered_cost - *lower_bound) / *lower_bound : 0.0;
    }
};

/// What choose_gears() decided.
struct scaling_result {
    scaling::strategy strategy = scaling::strategy::mean_std;
    std::string cost_model;
    scaling_input input;
    std::vector<gear_group> models;   ///< one per model to compile (one per batch size when N and H/W are all dynamic)
    std::vector<axis_report> reports;  ///< batch and/or sides; empty without a dataset
    std::vector<std::string> notes;   ///< decisions worth telling the user (defaults used, budgets, ...)

    [[nodiscard]] std::size_t total_gears() const {
        std::size_t n = 0;
        for (const auto& m : models) n += std::max<std::size_t>(1, m.profiles.size());
        return n;
    }
    /// The expected cost with padding over the cost without (the axes' overheads multiplied: batch and
    /// sides are taken as independent).
    [[nodiscard]] double padding_overhead() const {
        double o = 1;
        for (const auto& r : reports) o *= r.overhead();
        return o;
    }
    /// The share of inputs that some axis does not cover (axes independent).
    [[nodiscard]] double uncovered_share() const {
        double in = 1;
        for (const auto& r : reports) in *= 1 - r.uncovered_share;
        return 1 - in;
    }
};

namespace detail {

/// A dataset's samples seen through the model input: sides after limit_side_len or aspect-ratio rescaling.
struct prepared {
    std::vector<size_sample> sizes;
    std::vector<double> batch;
};

/// Scales (h, w) down so that the longer side is at most `limit` (aspect kept).
[[nodiscard]] inline size_sample limit_side(size_sample s, double limit) {
    const double m = std::max(s.height, s.width);
    if (m > limit) {
        const double r = limit / m;
        s.height *= r, s.width *= r;
    }
    return s;
}

[[nodiscard]] inline prepared prepare(const dataset& d, const scaling_input& in, const scaling_config& c) {
    prepared p;
    for (auto b : d.box_counts) p.batch.push_back(static_cast<double>(b));
    const double H = static_cast<double>(in.dims[in.h_axis()]), W = static_cast<double>(in.dims[in.w_axis()]);
    for (auto s : d.sizes) {
        if (!(s.height > 0) || !(s.width > 0)) continue;
        if (in.height_dynamic() && in.width_dynamic())
            s = limit_side(s, static_cast<double>(c.limit_side_len));
        else if (in.width_dynamic())  // fixed height: the width the model sees, aspect ratio kept
            s = {H, s.width * H / s.height};
        else if (in.height_dynamic())
            s = {s.height * W / s.width, W};
        p.sizes.push_back(s);
    }
    return p;
}

/// Evaluates batch gears on box counts: a count runs on the smallest gear >= it; a larger count is split
/// into runs of the largest gear plus one run for the rest, as the session's pad policy does.
[[nodiscard]] inline axis_report evaluate_batch(std::vector<std::int64_t> gears, std::span<const double> counts,
                                                const std::function<double(std::int64_t)>& cost) {
    axis_report r;
    r.axes = "batch";
    std::sort(gears.begin(), gears.end());
    gears.erase(std::unique(gears.begin(), gears.end()), gears.end());
    r.gears = gears.size();
    r.inputs = counts.size();
    if (gears.empty()) return r;
    std::map<std::int64_t, double> memo;
    auto c = [&](std::int64_t b) {
        auto it = memo.find(b);
        if (it == memo.end()) it = memo.emplace(b, cost(b)).first;
        return it->second;
    };
    auto run = [&](std::int64_t n) {  // n <= gears.back()
        return c(*std::lower_bound(gears.begin(), gears.end(), n));
    };
    std::size_t split = 0;
    const std::int64_t top = gears.back();
    for (double x : counts) {
        const auto n = static_cast<std::int64_t>(std::llround(x));
        r.unpadded_cost += c(n);
        if (n <= top) {
            const double v = run(n);
            r.padded_cost += v;
            r.covered_cost += v;
        } else {
            ++split;
            r.padded_cost += static_cast<double>(n / top) * c(top) + (n % top ? run(n % top) : 0.0);
        }
    }
    r.uncovered_share = r.inputs ? static_cast<double>(split) / static_cast<double>(r.inputs) : 0;
    return r;
}

/// Evaluates side gears (1-D or 2-D; `gears` hold (h, w), with the static side at its fixed value) on the
/// samples: an input runs on its cheapest covering gear; one above every gear is resized down (aspect kept
/// when both sides are dynamic, else along the dynamic side) into the gear that shrinks it least (the cheapest among equals), and counts as uncovered. The overhead
/// compares each input's gear with the input as it runs (resized, for those), so resizing shows only in
/// the uncovered share, not as a saving.
[[nodiscard]] inline axis_report evaluate_sides(const scaling_input& in, const std::vector<std::pair<std::int64_t, std::int64_t>>& gears,
                                                std::span<const size_sample> samples, cost_model& cost) {
    axis_report r;
    r.axes = in.height_dynamic() && in.width_dynamic() ? "height,width" : in.width_dynamic() ? "width" : "height";
    r.gears = gears.size();
    r.inputs = samples.size();
    if (gears.empty()) return r;
    std::vector<std::vector<std::int64_t>> gs;
    for (const auto& [h, w] : gears) gs.push_back(in.shape_with(1, h, w));
    const auto gc = cost.gear_costs(gs);
    std::vector<std::vector<double>> xs;
    std::vector<double> padded(samples.size());
    std::vector<char> covered(samples.size(), 1);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        auto s = samples[i];
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t g = 0; g < gears.size(); ++g)
            if (s.height <= static_cast<double>(gears[g].first) + 1e-9 && s.width <= static_cast<double>(gears[g].second) + 1e-9)
                best = std::min(best, gc[g]);
        if (best == std::numeric_limits<double>::infinity()) {
            covered[i] = 0;
            // both sides dynamic: shrink keeping the aspect ratio; one side: only that side can change
            const bool both = in.height_dynamic() && in.width_dynamic();
            double scale = -1, fh = 1, fw = 1;
            for (std::size_t g = 0; g < gears.size(); ++g) {
                const double gh = std::min(1.0, static_cast<double>(gears[g].first) / s.height);
                const double gw = std::min(1.0, static_cast<double>(gears[g].second) / s.width);
                const double f = both ? std::min(gh, gw) : in.height_dynamic() ? gh : gw;
                if (f > scale + 1e-12 || (std::abs(f - scale) <= 1e-12 && gc[g] < best)) {
                    scale = f, best = gc[g];
                    fh = both || in.height_dynamic() ? f : 1, fw = both || in.width_dynamic() ? f : 1;
                }
            }
            s.height *= fh, s.width *= fw;
        }
        padded[i] = best;
        std::vector<double> v(in.dims.begin(), in.dims.end());
        if (in.batch_dynamic()) v[0] = 1;
        v[in.h_axis()] = s.height;
        v[in.w_axis()] = s.width;
        xs.push_back(std::move(v));
    }
    const auto ic = cost.input_costs(xs);
    std::size_t uncovered = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
        r.unpadded_cost += ic[i];
        r.padded_cost += padded[i];
        if (covered[i])
            r.covered_cost += padded[i];
        else
            ++uncovered;
    }
    r.uncovered_share = r.inputs ? static_cast<double>(uncovered) / static_cast<double>(r.inputs) : 0;
    return r;
}

/// Positions (multiples of the interval inside `limits`) that samples round up to, with their weights;
/// samples above the highest allowed multiple are counted in `above`.
struct positions_1d {
    std::vector<std::int64_t> values;
    std::vector<double> weights;
    std::size_t above = 0;
};

[[nodiscard]] inline positions_1d positions_of(std::span<const double> xs, std::array<std::int64_t, 2> limits, std::int64_t interval) {
    positions_1d p;
    const std::int64_t top = limits[1] / interval * interval;
    const std::int64_t bottom = round_up(static_cast<double>(limits[0]), interval);
    std::map<std::int64_t, double> w;
    for (double x : xs) {
        std::int64_t v = std::max(round_up(x, interval), bottom);
        if (v > top) {
            ++p.above;
            continue;
        }
        w[v] += 1;
    }
    for (const auto& [v, n] : w) p.values.push_back(v), p.weights.push_back(n);
    return p;
}

[[nodiscard]] inline std::vector<double> side_values(std::span<const size_sample> s, bool height) {
    std::vector<double> out;
    for (const auto& x : s) out.push_back(height ? x.height : x.width);
    return out;
}

/// The side gears (h, w) of a strategy, at most `limit` of them, with how they were chosen.
struct side_choice {
    std::vector<std::pair<std::int64_t, std::int64_t>> gears;
    std::string method;
    std::optional<double> lower_bound;
};

class chooser {
public:
    chooser(const scaling_input& in, const scaling_config& c, cost_model& cost, const search_limits& lim)
        : in_(in), c_(c), cost_(cost), lim_(lim) {}

    /// Fixed (static) values of the sides, for 1-D problems.
    [[nodiscard]] std::int64_t fixed_h() const { return in_.dims[in_.h_axis()]; }
    [[nodiscard]] std::int64_t fixed_w() const { return in_.dims[in_.w_axis()]; }

    /// mean_std / max_min sides (MindOCR's process()), at most `limit` gears.
    side_choice heuristic_sides(std::span<const size_sample> s, std::int64_t limit) const {
        side_choice out;
        out.method = std::string(to_string(c_.strategy)) + " (MindOCR auto_scaling, fixed)";
        const std::int64_t iv = c_.interval;
        if (in_.height_dynamic() && in_.width_dynamic()) {
            auto hs = side_values(s, true), ws = side_values(s, false);
            auto sh = side_span_of(hs, c_.height_range, "height_range", c_);
            auto sw = side_span_of(ws, c_.width_range, "width_range", c_);
            auto [nh, nw] = cap_grid(sh.count, sw.count, limit);
            auto vh = spread(sh.lo, sh.hi, nh, iv), vw = spread(sw.lo, sw.hi, nw, iv);
            // spread() may give two values for one candidate: keep the product inside the limit
            while (static_cast<std::int64_t>(vh.size() * vw.size()) > limit) {
                auto& longer = vh.size() >= vw.size() ? vh : vw;
                longer.erase(longer.begin());  // the smallest value: the largest must stay to cover the data
            }
            for (auto h : vh)
                for (auto w : vw) out.gears.emplace_back(h, w);
        } else {
            const bool height = in_.height_dynamic();
            auto xs = side_values(s, height);
            auto sp = side_span_of(xs, height ? c_.height_range : c_.width_range, height ? "height_range" : "width_range", c_);
            auto v = spread(sp.lo, sp.hi, std::min(sp.count, limit), iv);
            v = thin(v, static_cast<std::size_t>(limit));
            for (auto x : v) out.gears.emplace_back(height ? x : fixed_h(), height ? fixed_w() : x);
        }
        return out;
    }

    /// Optimal sides: 1-D exactly, 2-D by search with a bound; at most `limit` gears.
    side_choice optimal_sides(std::span<const size_sample> s, std::int64_t limit) {
        side_choice out;
        const std::int64_t iv = c_.interval;
        if (in_.height_dynamic() && in_.width_dynamic()) {
            auto ph = positions_of(side_values(s, true), c_.height_range, iv);
            auto pw = positions_of(side_values(s, false), c_.width_range, iv);
            grid_problem gp;
            gp.heights = ph.values.size(), gp.widths = pw.values.size();
            std::map<std::pair<std::size_t, std::size_t>, double> cells;
            const std::int64_t th = c_.height_range[1] / iv * iv, tw = c_.width_range[1] / iv * iv;
            const std::int64_t bh = round_up(static_cast<double>(c_.height_range[0]), iv), bw = round_up(static_cast<double>(c_.width_range[0]), iv);
            for (const auto& x : s) {
                auto h = std::max(round_up(x.height, iv), bh), w = std::max(round_up(x.width, iv), bw);
                if (h > th || w > tw) continue;
                auto ih = static_cast<std::size_t>(std::lower_bound(ph.values.begin(), ph.values.end(), h) - ph.values.begin());
                auto iw = static_cast<std::size_t>(std::lower_bound(pw.values.begin(), pw.values.end(), w) - pw.values.begin());
                cells[{ih, iw}] += 1;
            }
            for (const auto& [k, w] : cells) gp.cells.push_back({k.first, k.second, w});
            if (gp.cells.empty()) return out;
            std::vector<std::vector<std::int64_t>> shapes;
            for (auto h : ph.values)
                for (auto w : pw.values) shapes.push_back(in_.shape_with(1, h, w));
            gp.cost = cost_.gear_costs(shapes);
            auto sol = optimal_2d(gp, static_cast<std::size_t>(limit), lim_);
            for (auto [i, j] : sol.gears) out.gears.emplace_back(ph.values[i], pw.values[j]);
            out.lower_bound = sol.lower_bound;
            out.method = "optimal: 2-D search from " + sol.start + " + " + std::to_string(sol.swaps) +
                         " interchanges, Lagrangian bound";
            return out;
        }
        const bool height = in_.height_dynamic();
        auto p = positions_of(side_values(s, height), height ? c_.height_range : c_.width_range, iv);
        if (p.values.empty()) return out;
        std::vector<std::vector<std::int64_t>> shapes;
        for (auto v : p.values) shapes.push_back(in_.shape_with(1, height ? v : fixed_h(), height ? fixed_w() : v));
        auto gc = cost_.gear_costs(shapes);
        dp_1d dp(p.weights, gc, static_cast<std::size_t>(limit));
        auto sol = dp.best(static_cast<std::size_t>(limit));
        for (auto j : sol.gears) out.gears.emplace_back(height ? p.values[j] : fixed_h(), height ? fixed_w() : p.values[j]);
        out.lower_bound = sol.cost;
        out.method = "optimal: exact 1-D dynamic programming";
        return out;
    }

    /// Side gears from MindOCR's default_scaling, thinned to `limit`.
    side_choice default_sides(std::int64_t limit) const {
        side_choice out;
        out.method = "default_scaling (no dataset)";
        auto sorted = [](std::vector<std::int64_t> v) {
            std::sort(v.begin(), v.end());
            v.erase(std::unique(v.begin(), v.end()), v.end());
            return v;
        };
        auto hs = sorted(c_.default_height), ws = sorted(c_.default_width);
        if (in_.height_dynamic() && in_.width_dynamic()) {
            auto [nh, nw] = cap_grid(static_cast<std::int64_t>(hs.size()), static_cast<std::int64_t>(ws.size()), limit);
            hs = thin(hs, static_cast<std::size_t>(nh)), ws = thin(ws, static_cast<std::size_t>(nw));
            for (auto h : hs)
                for (auto w : ws) out.gears.emplace_back(h, w);
        } else if (in_.height_dynamic()) {
            for (auto h : thin(hs, static_cast<std::size_t>(limit))) out.gears.emplace_back(h, fixed_w());
        } else {
            for (auto w : thin(ws, static_cast<std::size_t>(limit))) out.gears.emplace_back(fixed_h(), w);
        }
        return out;
    }

private:
    const scaling_input& in_;
    const scaling_config& c_;
    cost_model& cost_;
    search_limits lim_;
};

[[nodiscard]] inline std::vector<std::int64_t> sorted_unique(std::vector<std::int64_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

}  // namespace detail

/// Chooses the gears of `in` from `data` (nullptr: no dataset, MindOCR's default_scaling) with `config`'s
/// strategy; `cost` prices gears and inputs (area_cost, or flops_cost for a model).
/// - Only N dynamic: batch gears (one model). Only H and/or W: side gears (one model). N and H/W: one model
///   per batch size, each with the same side gears, as MindOCR does.
/// - The total number of gears never exceeds max_scaling_num (num_gears for `optimal`), nor 100 per model.
/// - Every gear is > 0 and every side gear a multiple of `interval` inside width_range / height_range.
/// - Each axis group gets a report: padding overhead (cost with padding / without), uncovered share, and for
///   `optimal` a lower bound on the best possible cost.
[[nodiscard]] inline scaling_result choose_gears(const scaling_input& in, const dataset* data, const scaling_config& config,
                                                 cost_model& cost, const search_limits& limits = {}) {
    validate(config);
    scaling_result res;
    res.strategy = config.strategy;
    res.cost_model = cost.name();
    res.input = in;
    auto note = [&](std::string s) { res.notes.push_back(std::move(s)); };

    if (in.is_static()) {
        res.models.push_back({"static", in.dims, {}});
        note("the input shape " + in.dims_text() + " is static: no gears to choose");
        return res;
    }
    const std::int64_t budget = config.gear_budget();
    detail::chooser ch(in, config, cost, limits);
    detail::prepared pr;
    if (data) pr = detail::prepare(*data, in, config);
    const bool have_sizes = data && !pr.sizes.empty();
    const bool have_batch = data && !pr.batch.empty();
    const bool optimal = config.strategy == strategy::optimal;
    if (!data) note("no dataset: gears from default_scaling");
    if (data && in.sides_dynamic() && !have_sizes) note("the dataset has no usable sizes: side gears from default_scaling");
    if (in.batch_dynamic() && data && !have_batch)
        note("an image folder says nothing about batch sizes: batch gears from batch_choices");
    if (optimal && config.num_gears > config.max_scaling_num)
        note("num_gears " + std::to_string(config.num_gears) + " is capped by max_scaling_num " + std::to_string(config.max_scaling_num));

    // ---- batch values ----
    std::vector<std::int64_t> batch;
    std::optional<dp_1d> batch_dp;
    std::vector<std::int64_t> batch_pos;
    std::vector<double> batch_w;
    if (in.batch_dynamic()) {
        if (!data)
            batch = detail::sorted_unique(config.default_batch_size);
        else if (!have_batch)
            batch = detail::sorted_unique(config.batch_choices);
        else if (!optimal)
            batch = batch_from_counts(pr.batch, config);
        else {
            std::map<std::int64_t, double> w;
            for (double x : pr.batch) w[static_cast<std::int64_t>(std::llround(x))] += 1;
            for (auto [v, n] : w) batch_pos.push_back(v), batch_w.push_back(n);
            std::vector<double> bc;
            if (in.sides_dynamic()) {
                for (auto v : batch_pos) bc.push_back(static_cast<double>(v));  // per-batch models: cost proportional to the batch
            } else {
                std::vector<std::vector<std::int64_t>> shapes;
                for (auto v : batch_pos) shapes.push_back(in.shape_with(v, 0, 0));
                bc = cost.gear_costs(shapes);
            }
            batch_dp.emplace(batch_w, bc, static_cast<std::size_t>(std::min<std::int64_t>(budget, atc_max_profiles)));
        }
    }

    // ---- side gears under a limit ----
    std::map<std::int64_t, detail::side_choice> side_cache;
    auto sides_for = [&](std::int64_t limit) -> const detail::side_choice& {
        limit = std::clamp<std::int64_t>(limit, 1, atc_max_profiles);
        auto it = side_cache.find(limit);
        if (it != side_cache.end()) return it->second;
        detail::side_choice sc = !have_sizes ? ch.default_sides(limit)
                                 : optimal   ? ch.optimal_sides(pr.sizes, limit)
                                             : ch.heuristic_sides(pr.sizes, limit);
        return side_cache.emplace(limit, std::move(sc)).first->second;
    };
    auto batch_cost = [&](std::int64_t b) {
        if (in.sides_dynamic()) return static_cast<double>(b);
        return cost.gear_costs({in.shape_with(b, 0, 0)}).front();
    };

    detail::side_choice sides;
    if (in.batch_dynamic() && in.sides_dynamic()) {
        if (batch_dp) {
            // split the budget: kb batch sizes x ks side gears, minimising the product of the overheads
            double best = std::numeric_limits<double>::infinity();
            std::size_t best_kb = 1;
            double unpadded_b = 0;
            for (std::size_t i = 0; i < batch_pos.size(); ++i) unpadded_b += batch_w[i] * static_cast<double>(batch_pos[i]);
            for (std::size_t kb = 1; kb <= batch_dp->max_gears(); ++kb) {
                const std::int64_t ks = std::min<std::int64_t>(atc_max_profiles, budget / static_cast<std::int64_t>(kb));
                if (ks < 1) break;
                const auto& sc = sides_for(ks);
                auto rs = detail::evaluate_sides(in, sc.gears, pr.sizes, cost);
                const double v = batch_dp->best(kb).cost / unpadded_b * rs.overhead();
                if (v < best * (1 - 1e-12)) best = v, best_kb = kb;
            }
            for (auto j : batch_dp->best(best_kb).gears) batch.push_back(batch_pos[j]);
            sides = sides_for(std::min<std::int64_t>(atc_max_profiles, budget / static_cast<std::int64_t>(batch.size())));
        } else {
            if (static_cast<std::int64_t>(batch.size()) > budget) {
                batch = thin(batch, static_cast<std::size_t>(budget));
                note("batch sizes thinned to " + std::to_string(batch.size()) + " to stay within " + std::to_string(budget) + " gears");
            }
            sides = sides_for(std::min<std::int64_t>(atc_max_profiles, budget / static_cast<std::int64_t>(batch.size())));
        }
    } else if (in.batch_dynamic()) {
        if (batch_dp) {
            for (auto j : batch_dp->best(static_cast<std::size_t>(std::min<std::int64_t>(budget, atc_max_profiles))).gears)
                batch.push_back(batch_pos[j]);
        } else if (static_cast<std::int64_t>(batch.size()) > std::min(budget, atc_max_profiles)) {
            batch = thin(batch, static_cast<std::size_t>(std::min(budget, atc_max_profiles)));
            note("batch sizes thinned to " + std::to_string(batch.size()) + " to stay within " + std::to_string(budget) + " gears");
        }
    } else {
        sides = sides_for(std::min(budget, atc_max_profiles));
    }

    // ---- models ----
    const std::size_t ha = in.h_axis(), wa = in.w_axis();
    auto side_profiles = [&] {
        std::vector<std::vector<std::int64_t>> ps;
        for (const auto& [h, w] : sides.gears) {
            std::vector<std::int64_t> p;
            for (std::size_t a = 0; a < 4; ++a) {
                if (a == ha && in.height_dynamic()) p.push_back(h);
                if (a == wa && in.width_dynamic()) p.push_back(w);
            }
            ps.push_back(std::move(p));
        }
        return ps;
    };
    if (in.batch_dynamic() && in.sides_dynamic()) {
        for (auto b : batch) {
            gear_group g;
            g.suffix = "dynamic_bs" + std::to_string(b) + "_hw";
            g.dims = in.dims;
            g.dims[0] = b;
            g.profiles = side_profiles();
            res.models.push_back(std::move(g));
        }
    } else if (in.batch_dynamic()) {
        gear_group g{"dynamic_bs", in.dims, {}};
        for (auto b : batch) g.profiles.push_back({b});
        res.models.push_back(std::move(g));
    } else {
        res.models.push_back({"dynamic_hw", in.dims, side_profiles()});
    }
    for (auto& m : res.models)
        if (m.profiles.size() == 1) {  // one gear is a static model (ATC needs at least 2 profiles)
            auto s = m.shapes().front();
            std::copy(s.begin(), s.end(), m.dims.begin());
            m.profiles.clear();
        }

    // ---- reports ----
    if (in.batch_dynamic() && have_batch) {
        auto r = detail::evaluate_batch(batch, pr.batch, batch_cost);
        r.method = batch_dp ? "optimal: exact 1-D dynamic programming" : std::string(to_string(config.strategy)) + " over batch_choices";
        if (batch_dp) r.lower_bound = r.covered_cost;  // exact
        res.reports.push_back(std::move(r));
    }
    if (in.sides_dynamic() && have_sizes) {
        auto r = detail::evaluate_sides(in, sides.gears, pr.sizes, cost);
        r.method = sides.method;
        if (sides.lower_bound) r.lower_bound = std::min(*sides.lower_bound, r.covered_cost);
        res.reports.push_back(std::move(r));
    }
    for (const auto& r : res.reports)
        if (r.uncovered_share > 0)
            note(std::to_string(static_cast<long long>(std::llround(r.uncovered_share * static_cast<double>(r.inputs)))) + " of " +
                 std::to_string(r.inputs) + " inputs are above every " + r.axes + " gear (" +
                 (r.axes == "batch" ? "split into several runs" : "resized down") + ")");
    return res;
}

// ---- what to hand to ATC / MindSpore Lite / gearc compile ----

/// The ATC options that compile `g`: --input_shape plus --dynamic_batch_size, --dynamic_image_size (both
/// sides) or --input_format=ND --dynamic_dims (one side); a single gear is a static --input_shape.
[[nodiscard]] inline gear_options to_gear_options(const scaling_input& in, const gear_group& g) {
    gear_options o;
    o.input_shape = in.name + ":" + gearc::detail::opts::join(g.dims, ",");
    if (g.profiles.empty()) return o;
    const bool b = g.dims[0] == -1, h = g.dims[in.h_axis()] == -1, w = g.dims[in.w_axis()] == -1;
    std::vector<std::string> ps;
    for (const auto& p : g.profiles) ps.push_back(gearc::detail::opts::join(p, ","));
    if (b && !h && !w) {
        o.dynamic_batch_size = gearc::detail::opts::join(ps, ",");
    } else if (h && w && !b) {
        o.input_format = std::string(to_string(in.format));
        o.dynamic_image_size = gearc::detail::opts::join(ps, ";");
    } else {
        o.input_format = "ND";
        o.dynamic_dims = gearc::detail::opts::join(ps, ";");
    }
    return o;
}

/// The same options as ATC command-line arguments: `--input_shape="x:..." --dynamic_batch_size="1,4"`.
[[nodiscard]] inline std::string to_atc_arguments(const gear_options& o) {
    std::string out = "--input_shape=\"" + o.input_shape + "\"";
    if (!o.input_format.empty()) out += " --input_format=" + o.input_format;
    if (!o.dynamic_batch_size.empty()) out += " --dynamic_batch_size=\"" + o.dynamic_batch_size + "\"";
    if (!o.dynamic_image_size.empty()) out += " --dynamic_image_size=\"" + o.dynamic_image_size + "\"";
    if (!o.dynamic_dims.empty()) out += " --dynamic_dims=\"" + o.dynamic_dims + "\"";
    return out;
}

/// A MindSpore Lite converter config file ([ascend_context]) for group `g`.
[[nodiscard]] inline std::string to_lite_config(const scaling_input& in, const gear_group& g) {
    const bool one_side = !g.profiles.empty() && g.dims[0] != -1 &&
                          ((g.dims[in.h_axis()] == -1) != (g.dims[in.w_axis()] == -1));
    std::string out = "[ascend_context]\ninput_format=" + std::string(one_side ? "ND" : to_string(in.format)) + "\n";
    out += "input_shape=" + in.name + ":[" + gearc::detail::opts::join(g.dims, ",") + "]\n";
    if (!g.profiles.empty()) {
        std::vector<std::string> ps;
        for (const auto& p : g.profiles) ps.push_back("[" + gearc::detail::opts::join(p, ",") + "]");
        out += "dynamic_dims=" + gearc::detail::opts::join(ps, ",") + "\n";
    }
    return out;
}

/// The whole result as JSON: strategy, input, models (with their gears and ATC options), reports, notes.
[[nodiscard]] inline nlohmann::json to_json(const scaling_result& r) {
    nlohmann::json j;
    j["strategy"] = std::string(to_string(r.strategy));
    j["cost_model"] = r.cost_model;
    j["input"] = {{"name", r.input.name}, {"shape", r.input.dims_text()}, {"format", std::string(to_string(r.input.format))}};
    j["total_gears"] = r.total_gears();
    j["models"] = nlohmann::json::array();
    for (const auto& m : r.models) {
        auto o = to_gear_options(r.input, m);
        nlohmann::json jm;
        jm["suffix"] = m.suffix;
        jm["input_shape"] = o.input_shape;
        jm["gears"] = m.shapes();
        jm["atc_arguments"] = to_atc_arguments(o);
        if (!o.input_format.empty()) jm["input_format"] = o.input_format;
        if (!o.dynamic_batch_size.empty()) jm["dynamic_batch_size"] = o.dynamic_batch_size;
        if (!o.dynamic_image_size.empty()) jm["dynamic_image_size"] = o.dynamic_image_size;
        if (!o.dynamic_dims.empty()) jm["dynamic_dims"] = o.dynamic_dims;
        j["models"].push_back(std::move(jm));
    }
    j["report"] = {{"padding_overhead", r.padding_overhead()}, {"uncovered_share", r.uncovered_share()}, {"axes", nlohmann::json::array()}};
    for (const auto& a : r.reports) {
        nlohmann::json ja{{"axes", a.axes},
                          {"gears", a.gears},
                          {"inputs", a.inputs},
                          {"padding_overhead", a.overhead()},
                          {"uncovered_share", a.uncovered_share},
                          {"padded_cost", a.padded_cost},
                          {"unpadded_cost", a.unpadded_cost},
                          {"method", a.method}};
        if (a.lower_bound) ja["lower_bound"] = *a.lower_bound, ja["optimality_gap"] = *a.optimality_gap();
        j["report"]["axes"].push_back(std::move(ja));
    }
    j["notes"] = r.notes;
    return j;
}

}  // namespace scaling

GEARC_END_NAMESPACE
