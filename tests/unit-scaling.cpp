// Gear scaling: configuration, MindOCR-compatible strategies (and the defects gearc does not copy), the
// optimal strategy against brute force, datasets, and choose_gears() end to end.
#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace sc = gearc::scaling;
using gearc_test::error_of;

namespace {

sc::dataset sizes_dataset(const std::vector<std::pair<double, double>>& hw, std::vector<std::int64_t> boxes = {}) {
    sc::dataset d;
    for (auto [h, w] : hw) d.sizes.push_back({h, w});
    d.box_counts = std::move(boxes);
    return d;
}

/// Every gear of every model: > 0, side gears multiples of the interval, within the budget.
void check_invariants(const sc::scaling_result& r, const sc::scaling_config& c) {
    CHECK(static_cast<std::int64_t>(r.total_gears()) <= c.gear_budget());
    for (const auto& m : r.models) {
        CHECK(m.profiles.size() <= 100);
        CHECK(m.profiles.size() != 1);  // one gear is written as a static model
        for (const auto& s : m.shapes()) {
            for (auto d : s) CHECK(d > 0);
            if (r.input.height_dynamic()) CHECK(s[r.input.h_axis()] % c.interval == 0);
            if (r.input.width_dynamic()) CHECK(s[r.input.w_axis()] % c.interval == 0);
        }
        // ATC accepts the options, and MindSpore Lite's config file says the same
        auto o = sc::to_gear_options(r.input, m);
        CHECK_NOTHROW((void)gearc::validate(o));
        auto from_config = gearc::to_gear_options(gearc::config_file::parse(sc::to_lite_config(r.input, m), "lite.txt"));
        auto a = gearc::validate(o), b = gearc::validate(from_config);
        CHECK(a.kind == b.kind);
        CHECK(a.profiles == b.profiles);
    }
}

/// The cheapest covering cost of every sample (sides), brute force.
double cost_2d(const std::vector<std::pair<std::int64_t, std::int64_t>>& gears, const std::vector<std::pair<double, double>>& xs) {
    double t = 0;
    for (auto [h, w] : xs) {
        double b = std::numeric_limits<double>::infinity();
        for (auto [gh, gw] : gears)
            if (h <= static_cast<double>(gh) + 1e-6 && w <= static_cast<double>(gw) + 1e-6) b = std::min(b, static_cast<double>(gh * gw));
        t += b;
    }
    return t;
}

}  // namespace

TEST_CASE("scaling config: MindOCR's defaults, JSON/YAML trees, and E10001 for bad keys and values") {
    sc::scaling_config d;
    CHECK(d.strategy == sc::strategy::mean_std);
    CHECK(d.n_std == 3);
    CHECK(d.expand_ratio == doctest::Approx(0.2));
    CHECK(d.limit_side_len == 1280);
    CHECK(d.interval == 32);
    CHECK(d.max_scaling_num == 100);
    CHECK(d.batch_choices == std::vector<std::int64_t>{1, 4, 8, 16, 32, 64});
    CHECK(d.width_range == std::array<std::int64_t, 2>{1, 8192});
    CHECK(d.default_height.size() * d.default_width.size() == 580);

    auto j = nlohmann::json::parse(R"({"auto_scaling": {"strategy": "max_min", "max_min": {"expand_ratio": 0.5},
        "interval": 16, "batch_choices": [2, 8], "width_range": [16, 2048], "default_scaling": {"height": [32, 48]}}})");
    auto c = sc::config_from_json(j, "config file [s.yaml]");
    CHECK(c.strategy == sc::strategy::max_min);
    CHECK(c.expand_ratio == 0.5);
    CHECK(c.interval == 16);
    CHECK(c.batch_choices == std::vector<std::int64_t>{2, 8});
    CHECK(c.width_range == std::array<std::int64_t, 2>{16, 2048});
    CHECK(c.default_height == std::vector<std::int64_t>{32, 48});
    CHECK(c.n_std == 3);  // untouched keys keep their defaults
    // the same keys at the top level, and numbers written as strings (YAML scalars)
    auto c2 = sc::config_from_json(nlohmann::json::parse(R"({"strategy": "optimal", "num_gears": "12", "interval": "32"})"), "x");
    CHECK(c2.strategy == sc::strategy::optimal);
    CHECK(c2.num_gears == 12);
    CHECK(c2.gear_budget() == 12);

    auto err = [](const char* text) {
        return error_of([&] { (void)sc::config_from_json(nlohmann::json::parse(text), "config file [s.yaml]"); });
    };
    CHECK(err(R"({"stratgy": "mean_std"})").find("E10001: Value [mean_std] for parameter [auto_scaling.stratgy] is invalid") == 0);
    CHECK(err(R"({"stratgy": "mean_std"})").find("did you mean [strategy]") != std::string::npos);
    CHECK(err(R"({"strategy": "mean-std"})").find("did you mean [mean_std]") != std::string::npos);
    CHECK(err(R"({"interval": 0})") ==
          "E10001: Value [0] for parameter [interval] is invalid. Reason: it must be >= 1 (in config file [s.yaml])");
    CHECK(err(R"({"interval": 2.5})").find("it must be an integer") != std::string::npos);
    CHECK(err(R"({"width_range": [64, 32]})").find("1 <= lo <= hi") != std::string::npos);
    CHECK(err(R"({"batch_choices": []})").find("at least one value") != std::string::npos);
    CHECK(err(R"({"batch_choices": [1, 0]})").find("every value must be >= 1") != std::string::npos);
    CHECK(err(R"({"mean_std": {"n_sd": 2}})").find("did you mean [n_std]") != std::string::npos);
    CHECK(err(R"({"auto_scaling": {}, "interval": 8})").find("under [auto_scaling]") != std::string::npos);
    CHECK(err(R"([1, 2])").find("mapping") != std::string::npos);
}

TEST_CASE("scaling input: MindOCR's and ATC's spellings, and E10001 for what gear scaling cannot do") {
    auto in = sc::parse_scaling_input("-1,3,-1,-1");
    CHECK(in.name == "x");
    CHECK(in.batch_dynamic());
    CHECK(in.height_dynamic());
    CHECK(in.width_dynamic());
    in = sc::parse_scaling_input("img:1,3,48,-1");
    CHECK(in.name == "img");
    CHECK(!in.batch_dynamic());
    CHECK(!in.height_dynamic());
    CHECK(in.width_dynamic());
    in = sc::parse_scaling_input("[-1,-1,-1,3]", "pixel_values", "NHWC");
    CHECK(in.name == "pixel_values");
    CHECK(in.h_axis() == 1);
    CHECK(in.height_dynamic());
    CHECK(error_of([] { (void)sc::parse_scaling_input("-1,3,-1"); }).find("4-D NCHW or NHWC shape") != std::string::npos);
    CHECK(error_of([] { (void)sc::parse_scaling_input("-1,-1,32,32"); }).find("only the batch, height and width axes") !=
          std::string::npos);
    CHECK(error_of([] { (void)sc::parse_scaling_input("-1,3,0,32"); }).find("axis 2 is [0]") != std::string::npos);
    CHECK(error_of([] { (void)sc::parse_scaling_input("a:-1,3,32,32", "b"); }).find("--input_name is [b]") != std::string::npos);
    CHECK(error_of([] { (void)sc::parse_scaling_input("-1,3,32,32", "", "ND"); }).find("[--input_format]") != std::string::npos);
}

TEST_CASE("heuristics: MindOCR's statistics and get_scaling, without its defects") {
    sc::scaling_config c;
    std::vector<double> xs{100, 200, 300, 400};
    auto r = sc::statistic_range(xs, sc::strategy::mean_std, c);
    const double sd = std::sqrt((150.0 * 150 + 50 * 50) * 2 / 4);  // population sigma, as numpy's default
    CHECK(r.lo == doctest::Approx(250 - 3 * sd));
    CHECK(r.hi == doctest::Approx(250 + 3 * sd));
    r = sc::statistic_range(xs, sc::strategy::max_min, c);
    CHECK(r.lo == doctest::Approx(100 - 300 * 0.2 / 2));
    CHECK(r.hi == doctest::Approx(400 + 300 * 0.2 / 2));

    // get_scaling(h_max=320, h_min=64, num=5, inter=32): 64 + 64*i rounded up, then the max
    CHECK(sc::spread(64, 320, 5, 32) == std::vector<std::int64_t>{64, 128, 192, 256, 320});
    CHECK(sc::spread(64, 320, 3, 32) == std::vector<std::int64_t>{64, 192, 320});
    CHECK(sc::spread(96, 96, 1, 32) == std::vector<std::int64_t>{64, 96});  // MindOCR's two values for one candidate

    SUBCASE("defect: a side with a single candidate gave a 0 gear ([max - interval, max] with max == interval)") {
        CHECK(sc::spread(32, 32, 1, 32) == std::vector<std::int64_t>{32});
        sc::scaling_input in = sc::parse_scaling_input("1,3,32,-1");
        auto d = sizes_dataset({{32, 20}, {32, 20}, {32, 20}});
        sc::area_cost cost;
        auto res = sc::choose_gears(in, &d, c, cost);
        REQUIRE(res.models.size() == 1);
        CHECK(res.models[0].profiles.empty());  // one gear: a static model
        CHECK(res.models[0].dims == std::array<std::int64_t, 4>{1, 3, 32, 32});
        check_invariants(res, c);
    }
    SUBCASE("defect: capping heights x widths divided by zero when num_h floored to 0") {
        // MindOCR: num_h = floor(1 * sqrt(100 / 1000)) = 0, then 100 / num_h
        auto [h, w] = sc::cap_grid(1, 1000, 100);
        CHECK(h == 1);
        CHECK(w == 100);
        auto [h2, w2] = sc::cap_grid(40, 40, 100);
        CHECK(h2 * w2 <= 100);
        CHECK(h2 >= 1);
        CHECK(w2 >= 1);
        auto [h3, w3] = sc::cap_grid(3, 5, 100);
        CHECK(h3 == 3);
        CHECK(w3 == 5);
        // end to end: one height candidate, hundreds of widths
        sc::scaling_input in = sc::parse_scaling_input("1,3,-1,-1");
        std::vector<std::pair<double, double>> hw;
        for (int i = 0; i < 400; ++i) hw.emplace_back(30, 10 + 3 * i);
        auto d = sizes_dataset(hw);
        sc::area_cost cost;
        c.strategy = sc::strategy::max_min;
        auto res = sc::choose_gears(in, &d, c, cost);
        check_invariants(res, c);
        CHECK(res.total_gears() <= 100);
    }
    SUBCASE("defect: no batch_choices value inside the range gave an empty batch list") {
        std::vector<double> counts(50, 10.0);  // sigma 0: the range is [10, 10]
        auto b = sc::batch_from_counts(counts, c);
        CHECK(b == std::vector<std::int64_t>{16});
        std::vector<double> big(5, 100.0);
        CHECK(sc::batch_from_counts(big, c) == std::vector<std::int64_t>{64});
        std::vector<double> spread_counts{1, 2, 3, 30, 31, 60};
        auto b2 = sc::batch_from_counts(spread_counts, c);
        CHECK(!b2.empty());
    }
    SUBCASE("defect: limit_side_len swapped heights and widths") {
        sc::scaling_input in = sc::parse_scaling_input("1,3,-1,-1");
        c.strategy = sc::strategy::max_min;
        c.expand_ratio = 0;
        // all images 100 high and 2000 wide: limited to 64 x 1280 (MindOCR returned widths ~64, heights ~1280)
        auto d = sizes_dataset({{100, 2000}, {100, 2000}});
        sc::area_cost cost;
        auto res = sc::choose_gears(in, &d, c, cost);
        REQUIRE(res.models.size() == 1);
        auto shapes = res.models[0].shapes();
        std::int64_t max_h = 0, max_w = 0;
        for (const auto& s : shapes) max_h = std::max(max_h, s[2]), max_w = std::max(max_w, s[3]);
        CHECK(max_h == 64);
        CHECK(max_w == 1280);
    }
    SUBCASE("defect: limit_side_len seeded the sample lists, biasing the statistics") {
        sc::scaling_input in = sc::parse_scaling_input("1,3,-1,-1");
        c.strategy = sc::strategy::max_min;
        c.expand_ratio = 0;
        // MindOCR's lists start with 1280: max_min would span [64, 1280] instead of [64, 96]
        auto d = sizes_dataset({{64, 64}, {96, 96}});
        sc::area_cost cost;
        auto res = sc::choose_gears(in, &d, c, cost);
        for (const auto& s : res.models[0].shapes()) {
            CHECK(s[2] <= 96);
            CHECK(s[3] <= 96);
        }
    }
    SUBCASE("defect: the default 2-D scaling made 20 x 29 = 580 gears") {
        sc::scaling_input in = sc::parse_scaling_input("1,3,-1,-1");
        sc::area_cost cost;
        auto res = sc::choose_gears(in, nullptr, c, cost);
        CHECK(res.total_gears() <= 100);
        CHECK(res.total_gears() >= 90);  // the budget is used
        check_invariants(res, c);
        // the largest defaults survive, so the default range is still covered
        std::int64_t max_h = 0, max_w = 0;
        for (const auto& s : res.models[0].shapes()) max_h = std::max(max_h, s[2]), max_w = std::max(max_w, s[3]);
        CHECK(max_h == 640);
        CHECK(max_w == 960);
        // batch too: one model per default batch size, still within 100 gears in total
        auto res2 = sc::choose_gears(sc::parse_scaling_input("-1,3,-1,-1"), nullptr, c, cost);
        CHECK(res2.models.size() == 5);
        CHECK(res2.total_gears() <= 100);
        check_invariants(res2, c);
    }
    SUBCASE("hi rounded up past the range is brought back inside it") {
        c.width_range = {1, 1000};
        c.strategy = sc::strategy::max_min;
        std::vector<double> ws{900, 999};
        auto sp = sc::side_span_of(ws, c.width_range, "width_range", c);
        CHECK(sp.hi == 992);
        c.width_range = {1, 20};
        CHECK(error_of([&] { (void)sc::side_span_of(ws, c.width_range, "width_range", c); }).find("no multiple of interval 32") !=
              std::string::npos);
    }
}

TEST_CASE("optimal 1-D: the dynamic programme equals brute force over every subset") {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 60; ++trial) {
        const std::size_t m = 1 + rng() % 9;
        std::vector<double> w(m), c(m);
        double acc = 0;
        for (std::size_t j = 0; j < m; ++j) {
            w[j] = 1 + static_cast<double>(rng() % 20);
            acc += 1 + static_cast<double>(rng() % 50);
            c[j] = trial % 3 == 0 ? static_cast<double>(rng() % 100 + 1) : acc;  // some non-monotone costs too
        }
        const std::size_t K = 1 + rng() % 4;
        sc::dp_1d dp(w, c, K);
        auto sol = dp.best(K);
        // brute force: every subset containing the top position, of size <= K
        double best = std::numeric_limits<double>::infinity();
        std::size_t best_n = 0;
        for (std::uint32_t mask = 0; mask < (1u << m); ++mask) {
            if (!(mask >> (m - 1) & 1u) || static_cast<std::size_t>(std::popcount(mask)) > K) continue;
            double t = 0;
            for (std::size_t j = 0; j < m; ++j) {
                std::size_t g = j;
                while (!(mask >> g & 1u)) ++g;  // the next gear up
                t += w[j] * c[g];
            }
            if (t < best - 1e-9 || (std::abs(t - best) <= 1e-9 && static_cast<std::size_t>(std::popcount(mask)) < best_n))
                best = t, best_n = static_cast<std::size_t>(std::popcount(mask));
        }
        CAPTURE(trial);
        CHECK(sol.cost == doctest::Approx(best));
        CHECK(sol.gears.size() == best_n);
        CHECK(sol.gears.back() == m - 1);
        double t = 0;
        for (std::size_t j = 0; j < m; ++j) t += w[j] * c[*std::lower_bound(sol.gears.begin(), sol.gears.end(), j)];
        CHECK(t == doctest::Approx(sol.cost));
    }
}

TEST_CASE("optimal 2-D: search finds the brute-force optimum on small grids, and the bound never exceeds it") {
    std::mt19937 rng(11);
    int proven = 0;
    for (int trial = 0; trial < 40; ++trial) {
        sc::grid_problem p;
        p.heights = 2 + rng() % 4;
        p.widths = 2 + rng() % 4;
        std::vector<std::int64_t> hs(p.heights), ws(p.widths);
        for (std::size_t i = 0; i < p.heights; ++i) hs[i] = 32 * static_cast<std::int64_t>(i + 1 + rng() % 2 * i);
        for (std::size_t i = 0; i < p.widths; ++i) ws[i] = 32 * static_cast<std::int64_t>(i + 1 + rng() % 3 * i);
        for (std::size_t i = 0; i < p.heights; ++i)
            for (std::size_t j = 0; j < p.widths; ++j) {
                p.cost.push_back(static_cast<double>(hs[i] * ws[j]));
                if (rng() % 3 != 0 || (i + 1 == p.heights && j == 0) || (i == 0 && j + 1 == p.widths))
                    p.cells.push_back({i, j, static_cast<double>(1 + rng() % 9)});
            }
        const std::size_t K = 1 + rng() % 4;
        const std::size_t n = p.heights * p.widths;
        double best = std::numeric_limits<double>::infinity();
        for (std::uint32_t mask = 1; mask < (1u << n); ++mask) {
            if (static_cast<std::size_t>(std::popcount(mask)) > K) continue;
            double t = 0;
            for (const auto& c : p.cells) {
                double b = std::numeric_limits<double>::infinity();
                for (std::size_t g = 0; g < n; ++g)
                    if ((mask >> g & 1u) && c.ih <= g / p.widths && c.iw <= g % p.widths) b = std::min(b, p.cost[g]);
                t += c.weight * b;
            }
            best = std::min(best, t);
        }
        auto sol = sc::optimal_2d(p, K);
        CAPTURE(trial);
        CHECK(sol.gears.size() <= K);
        CHECK(sol.cost == doctest::Approx(best));
        CHECK(sol.lower_bound <= best * (1 + 1e-9));
        if (sol.gap() < 1e-6) ++proven;
    }
    MESSAGE("small 2-D problems proven optimal by the bound: " << proven << " of 40");
    CHECK(proven >= 20);
}

TEST_CASE("optimal beats mean_std and max_min at the same number of gears, and covers every input") {
    std::mt19937 rng(3);
    std::lognormal_distribution<double> width(std::log(320), 0.5);
    std::vector<std::pair<double, double>> lines;
    for (int i = 0; i < 3000; ++i) lines.emplace_back(48, std::min(4000.0, width(rng)));
    auto d = sizes_dataset(lines);
    sc::scaling_input in = sc::parse_scaling_input("1,3,48,-1");
    sc::area_cost cost;
    for (auto s : {sc::strategy::mean_std, sc::strategy::max_min}) {
        sc::scaling_config c;
        c.strategy = s;
        c.max_scaling_num = 8;
        auto h = sc::choose_gears(in, &d, c, cost);
        check_invariants(h, c);
        sc::scaling_config o;
        o.strategy = sc::strategy::optimal;
        o.num_gears = static_cast<std::int64_t>(h.total_gears());
        auto opt = sc::choose_gears(in, &d, o, cost);
        check_invariants(opt, o);
        CAPTURE(sc::to_string(s));
        CHECK(opt.total_gears() <= h.total_gears());
        CHECK(opt.uncovered_share() == 0);
        REQUIRE(opt.reports.size() == 1);
        CHECK(opt.reports[0].optimality_gap().value() == doctest::Approx(0));
        // optimal pads less than the heuristic, or the heuristic leaves inputs uncovered (resized down)
        CHECK((opt.padding_overhead() < h.padding_overhead() || h.uncovered_share() > 0));
        if (h.uncovered_share() == 0) CHECK(opt.padding_overhead() <= h.padding_overhead());
    }
    // 2-D: document photos of a few aspect ratios
    std::vector<std::pair<double, double>> photos;
    std::normal_distribution<double> jitter(0, 40);
    for (int i = 0; i < 800; ++i) {
        const double base = 900 + jitter(rng);
        photos.emplace_back(i % 3 == 0 ? base * 4 / 3 : base, i % 3 == 0 ? base : base * (i % 3 == 1 ? 4.0 / 3 : 16.0 / 9));
    }
    auto dp = sizes_dataset(photos);
    sc::scaling_input in2 = sc::parse_scaling_input("1,3,-1,-1");
    sc::scaling_config mm;
    mm.strategy = sc::strategy::max_min;
    mm.max_scaling_num = 16;
    auto h2 = sc::choose_gears(in2, &dp, mm, cost);
    check_invariants(h2, mm);
    sc::scaling_config o2;
    o2.strategy = sc::strategy::optimal;
    o2.num_gears = static_cast<std::int64_t>(h2.total_gears());
    auto opt2 = sc::choose_gears(in2, &dp, o2, cost);
    check_invariants(opt2, o2);
    CHECK(opt2.uncovered_share() == 0);
    CHECK(opt2.padding_overhead() < h2.padding_overhead());
    REQUIRE(opt2.reports.size() == 1);
    CHECK(opt2.reports[0].optimality_gap().value() < 0.05);
    MESSAGE("2-D photos, " << h2.total_gears() << " gears: max_min overhead " << h2.padding_overhead() << ", optimal "
                           << opt2.padding_overhead() << " (gap " << *opt2.reports[0].optimality_gap() << ")");
    // the reported cost agrees with a direct evaluation of the chosen gears
    std::vector<std::pair<std::int64_t, std::int64_t>> g;
    for (const auto& s : opt2.models[0].shapes()) g.emplace_back(s[2], s[3]);
    std::vector<std::pair<double, double>> limited;
    for (auto [h, w] : photos) {
        double f = std::min(1.0, 1280 / std::max(h, w));
        limited.emplace_back(h * f, w * f);
    }
    CHECK(opt2.reports[0].padded_cost == doctest::Approx(3 * cost_2d(g, limited)));
}

TEST_CASE("batch: box counts, splitting above the largest gear, and one model per batch size with H/W") {
    std::mt19937 rng(5);
    std::poisson_distribution<int> boxes(12);
    std::vector<std::int64_t> counts;
    std::vector<std::pair<double, double>> crops;
    for (int i = 0; i < 500; ++i) {
        counts.push_back(1 + boxes(rng));
        for (int b = 0; b < 3; ++b) crops.emplace_back(20 + rng() % 40, 60 + rng() % 400);
    }
    auto d = sizes_dataset(crops, counts);
    sc::area_cost cost;
    sc::scaling_config c;
    auto bs = sc::choose_gears(sc::parse_scaling_input("-1,3,48,320"), &d, c, cost);
    check_invariants(bs, c);
    REQUIRE(bs.models.size() == 1);
    CHECK(bs.models[0].suffix == "dynamic_bs");
    REQUIRE(bs.reports.size() == 1);
    CHECK(bs.reports[0].axes == "batch");

    c.strategy = sc::strategy::optimal;
    c.num_gears = 4;
    auto ob = sc::choose_gears(sc::parse_scaling_input("-1,3,48,320"), &d, c, cost);
    check_invariants(ob, c);
    CHECK(ob.total_gears() == 4);
    CHECK(ob.uncovered_share() == 0);
    // the largest gear covers the largest count
    CHECK(ob.models[0].profiles.back()[0] == *std::max_element(counts.begin(), counts.end()));

    // split accounting: gears {4}: 10 boxes run as 4 + 4 + (2 on gear 4)
    auto r = sc::detail::evaluate_batch({2, 4}, std::vector<double>{10}, [](std::int64_t b) { return static_cast<double>(b); });
    CHECK(r.padded_cost == 4 + 4 + 2);
    CHECK(r.uncovered_share == 1);

    // N, H and W dynamic: one model per batch size, the same side gears in each, within the total budget
    c.num_gears = 24;
    auto all = sc::choose_gears(sc::parse_scaling_input("-1,3,-1,-1"), &d, c, cost);
    check_invariants(all, c);
    CHECK(all.models.size() >= 1);
    for (const auto& m : all.models) {
        CHECK(m.dims[0] > 0);
        CHECK(m.suffix == "dynamic_bs" + std::to_string(m.dims[0]) + "_hw");
        CHECK(m.profiles == all.models[0].profiles);
    }
    CHECK(all.reports.size() == 2);
    c.strategy = sc::strategy::mean_std;
    auto ms = sc::choose_gears(sc::parse_scaling_input("-1,3,-1,-1"), &d, c, cost);
    check_invariants(ms, c);
}

TEST_CASE("datasets: annotation files (crops, box counts, errors naming file and line) and image folders") {
    gearc_test::temp_dir dir;
    const auto ann = dir.path / "det_gt.txt";
    {
        std::ofstream f(ann);
        f << "img_1.jpg\t[{\"transcription\": \"abc\", \"points\": [[0, 0], [90, 0], [90, 30], [0, 30]]}, "
             "{\"transcription\": \"###\", \"points\": [[10, 10], [40, 14], [40, 30], [10, 26]]}]\n"
          << "\n"
          << "img_2.jpg\t[{\"transcription\": \"x\", \"points\": [[0,0],[0,0],[0,0],[0,0]]}, "
             "{\"transcription\": \"poly\", \"points\": [[0,0],[50,0],[60,10],[50,20],[0,20]]}]\r\n"
          << "img_3.jpg\t[]\n";
    }
    auto d = sc::load_dataset(ann);
    CHECK(d.source_kind == sc::dataset::kind::annotation_file);
    REQUIRE(d.sizes.size() == 3);
    CHECK(d.sizes[0] == sc::size_sample{30, 90});
    CHECK(d.sizes[1].width == doctest::Approx(std::hypot(30, 4)));  // max(|p0-p1|, |p2-p3|)
    CHECK(d.sizes[1].height == doctest::Approx(16));                 // max(|p0-p3|, |p1-p2|)
    CHECK(d.sizes[2] == sc::size_sample{20, 60});                     // a polygon: its bounding box
    CHECK(d.box_counts == std::vector<std::int64_t>{2, 2});          // the empty image is not a batch sample
    REQUIRE(d.warnings.size() == 1);
    CHECK(d.warnings[0].find("det_gt.txt:3: box 0 has zero width or height") != std::string::npos);

    auto bad = [&](const std::string& line) {
        std::ofstream(dir.path / "bad.txt") << "ok.jpg\t[]\n" << line << "\n";
        return gearc_test::any_error_of([&] { (void)sc::load_dataset(dir.path / "bad.txt"); });
    };
    CHECK(bad("no_tab_here").find("GC5005: ") == 0);
    CHECK(bad("no_tab_here").find("bad.txt:2: no TAB") != std::string::npos);
    CHECK(bad("a.jpg\t[{\"points\": [[0,0],[1,1]]}]").find("at least 3 [x, y] pairs") != std::string::npos);
    CHECK(bad("a.jpg\t{not json").find("not valid JSON") != std::string::npos);
    CHECK(bad("a.jpg\t[{\"transcription\": \"a\"}]").find("has no \"points\"") != std::string::npos);
    CHECK(bad("a.jpg\t[{\"points\": [[0,0],[1,\"x\"],[1,1],[0,1]]}]").find("two numbers") != std::string::npos);
    CHECK(bad("a.jpg\t{}").find("must be a JSON list") != std::string::npos);
    CHECK(gearc_test::any_code_of([&] { (void)sc::load_dataset(dir.path / "missing"); }) == "GC5001");
    {
        std::ofstream(dir.path / "empty.txt") << "a.jpg\t[]\n";
    }
    CHECK(gearc_test::any_code_of([&] { (void)sc::load_dataset(dir.path / "empty.txt"); }) == "GC5004");

    // an image folder: sizes from BMP headers written here, a non-image skipped with a warning
    const auto imgs = dir.path / "images";
    std::filesystem::create_directories(imgs / "sub");
    auto bmp = [&](const std::string& name, std::int32_t w, std::int32_t h) {
        std::vector<unsigned char> b(54, 0);
        b[0] = 'B', b[1] = 'M';
        auto put32 = [&](std::size_t at, std::uint32_t v) {
            for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<unsigned char>(v >> (8 * i));
        };
        put32(2, 54), put32(10, 54), put32(14, 40), put32(18, static_cast<std::uint32_t>(w)), put32(22, static_cast<std::uint32_t>(h));
        b[26] = 1, b[28] = 24;
        std::ofstream(imgs / name, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    };
    bmp("b.bmp", 640, 480);
    bmp("a.bmp", 100, -50);  // top-down
    std::ofstream(imgs / "notes.txt") << "not an image";
    auto f = sc::load_dataset(imgs);
    CHECK(f.source_kind == sc::dataset::kind::image_folder);
    REQUIRE(f.sizes.size() == 2);
    CHECK(f.sizes[0] == sc::size_sample{50, 100});  // name order
    CHECK(f.sizes[1] == sc::size_sample{480, 640});
    CHECK(f.files_skipped == 1);
    REQUIRE(f.warnings.size() == 1);
    CHECK(f.warnings[0].find("notes.txt") != std::string::npos);
    CHECK(!f.has_batch_samples());
    std::filesystem::remove(imgs / "a.bmp");
    std::filesystem::remove(imgs / "b.bmp");
    CHECK(gearc_test::any_code_of([&] { (void)sc::load_dataset(imgs); }) == "GC5004");
}

TEST_CASE("choose_gears: outputs for ATC, MindSpore Lite and JSON; rescaling to the model's fixed side") {
    sc::area_cost cost;
    sc::scaling_config c;
    c.max_scaling_num = 6;
    // width-only: crops rescaled to the model's height 32 (aspect kept)
    auto d = sizes_dataset({{16, 64}, {64, 64}, {32, 200}, {10, 300}});
    auto in = sc::parse_scaling_input("x:1,3,32,-1");
    c.strategy = sc::strategy::optimal;
    auto r = sc::choose_gears(in, &d, c, cost);
    // widths seen by the model: 128, 32, 200, 960 -> positions 32, 128, 224, 960
    REQUIRE(r.models.size() == 1);
    CHECK(r.models[0].profiles == std::vector<std::vector<std::int64_t>>{{32}, {128}, {224}, {960}});
    auto o = sc::to_gear_options(r.input, r.models[0]);
    CHECK(o.input_shape == "x:1,3,32,-1");
    CHECK(o.input_format == "ND");
    CHECK(o.dynamic_dims == "32;128;224;960");
    CHECK(sc::to_atc_arguments(o) == "--input_shape=\"x:1,3,32,-1\" --input_format=ND --dynamic_dims=\"32;128;224;960\"");
    CHECK(sc::to_lite_config(r.input, r.models[0]) ==
          "[ascend_context]\ninput_format=ND\ninput_shape=x:[1,3,32,-1]\ndynamic_dims=[32],[128],[224],[960]\n");
    // every width is its own gear: only rounding up to the interval pads (200 -> 224)
    CHECK(r.padding_overhead() == doctest::Approx((128.0 + 32 + 224 + 960) / (128 + 32 + 200 + 960)));
    auto j = sc::to_json(r);
    CHECK(j["strategy"] == "optimal");
    CHECK(j["models"][0]["gears"][0] == std::vector<std::int64_t>{1, 3, 32, 32});
    CHECK(j["report"]["axes"][0]["optimality_gap"] == 0.0);

    // H and W: --dynamic_image_size, NHWC keeps its layout
    auto in2 = sc::parse_scaling_input("1,-1,-1,3", "img", "NHWC");
    auto d2 = sizes_dataset({{100, 200}, {300, 100}});
    auto r2 = sc::choose_gears(in2, &d2, c, cost);
    auto o2 = sc::to_gear_options(r2.input, r2.models[0]);
    CHECK(o2.input_format == "NHWC");
    CHECK(o2.dynamic_image_size == "128,224;320,128");
    check_invariants(r2, c);

    // an input above every gear of a one-side model is resized along that side only (the other is fixed)
    auto in1 = sc::parse_scaling_input("1,3,48,-1");
    std::vector<sc::size_sample> wide{{48, 100}, {48, 50}};
    auto er = sc::detail::evaluate_sides(in1, {{48, 64}}, wide, cost);
    CHECK(er.uncovered_share == 0.5);
    CHECK(er.padded_cost == 2 * 3 * 48 * 64);
    CHECK(er.unpadded_cost == 3 * 48 * 64 + 3 * 48 * 50);  // the wide one counted as it runs: 48 x 64
    // both sides dynamic: the aspect ratio is kept
    auto in2d = sc::parse_scaling_input("1,3,-1,-1");
    std::vector<sc::size_sample> big{{200, 100}};
    auto er2 = sc::detail::evaluate_sides(in2d, {{100, 100}}, big, cost);
    CHECK(er2.unpadded_cost == 3 * 100 * 50);

    // a static input: nothing to choose
    auto r3 = sc::choose_gears(sc::parse_scaling_input("1,3,32,32"), &d2, c, cost);
    CHECK(r3.models.size() == 1);
    CHECK(r3.models[0].suffix == "static");
    CHECK(sc::to_gear_options(r3.input, r3.models[0]).dynamic_dims.empty());
}

TEST_CASE("flops_cost: gear costs are the FLOPs of the compiled gear, inputs interpolate between gears") {
    // x[N,3,H,W] -> Conv 3x3 same (8 channels) -> Relu
    gearc::graph g("m");
    auto* x = g.add_input("x", gearc::value_type::tensor_of(
                                   gearc::dtype::float32, gearc::shape{gearc::dim::symbol("N"), gearc::dim(3), gearc::dim::symbol("H"),
                                                                       gearc::dim::symbol("W")}));
    auto* w = g.add_initializer("w", gearc::tensor::from<float>({8, 3, 3, 3}, std::vector<float>(8 * 27, 0.5f)));
    auto* conv = g.add_node("Conv", {x, w}, 1);
    conv->set_attr("pads", gearc::attribute(std::vector<std::int64_t>{1, 1, 1, 1}));
    auto* relu = g.add_node("Relu", {conv->output(0)}, 1);
    g.add_output(relu->output(0));
    g.info().opset_imports[""] = 17;

    auto in = sc::parse_scaling_input("-1,3,-1,-1");
    sc::flops_cost<> fc(g, in, 32);
    auto costs = fc.gear_costs({{1, 3, 32, 32}, {2, 3, 32, 64}});
    // conv: 2 * 8 * H*W * 27; relu: 8 * H*W
    CHECK(costs[0] == doctest::Approx((2.0 * 8 * 27 + 8) * 32 * 32));
    CHECK(costs[1] == doctest::Approx(2 * (2.0 * 8 * 27 + 8) * 32 * 64));
    CHECK(fc.compiled() == 2);
    // at grid points the input cost is the gear cost; between, it interpolates (exact here: linear in H*W)
    auto ic = fc.input_costs({{1, 3, 32, 32}, {1, 3, 48, 40}, {1, 3, 16, 8}});
    CHECK(ic[0] == doctest::Approx(costs[0]));
    CHECK(ic[1] == doctest::Approx((2.0 * 8 * 27 + 8) * 48 * 40));
    CHECK(ic[2] == doctest::Approx((2.0 * 8 * 27 + 8) * 16 * 8));
    // an input shape the model refuses is an error naming the option, not a crash
    sc::flops_cost<> wrong(g, sc::parse_scaling_input("-1,4,-1,-1"), 32);
    CHECK(gearc_test::any_error_of([&] { (void)wrong.gear_costs({{1, 4, 32, 32}}); }).find("axis [1] of input [x] is 3 in the model") !=
          std::string::npos);
    // a one-side model whose widest inputs are above every gear: priced at their resized width, height kept
    sc::flops_cost<> fw(g, sc::parse_scaling_input("1,3,32,-1"), 32);
    std::vector<sc::size_sample> lines{{32, 500}, {32, 40}};
    auto rw = sc::detail::evaluate_sides(sc::parse_scaling_input("1,3,32,-1"), {{32, 64}}, lines, fw);
    CHECK(rw.uncovered_share == 0.5);
    CHECK(rw.unpadded_cost == doctest::Approx((2.0 * 8 * 27 + 8) * 32 * (64 + 40)));
    // choose_gears with the FLOPs cost
    sc::scaling_config c;
    c.strategy = sc::strategy::optimal;
    c.num_gears = 3;
    auto d = sizes_dataset({{30, 30}, {60, 30}, {30, 90}, {100, 100}});
    auto r = sc::choose_gears(sc::parse_scaling_input("1,3,-1,-1"), &d, c, fc);
    CHECK(r.cost_model == "flops");
    check_invariants(r, c);
    CHECK(r.uncovered_share() == 0);
}
