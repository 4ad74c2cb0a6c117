// Benchmark: padding overhead of the mean_std, max_min and optimal gear-scaling strategies at the same number of gears.
//
// usage: bench_scaling_strategies
// Four synthetic size distributions (fixed seeds, so every run prints the same gears) are scaled with
// max_scaling_num 8 and 100 (the default). mean_std and max_min run with the config's defaults; each one's
// gear count n is then handed to optimal as num_gears, so optimal is compared at the same number of gears
// (it may use fewer only when that costs nothing more). Costs are padded areas (scaling::area_cost).
#include <gearc/scaling/scale.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace sc = gearc::scaling;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

/// One synthetic dataset and the model input it feeds.
struct distribution {
    std::string name;
    sc::scaling_input input;
    sc::dataset data;
};

// 1. Text-recognition crops for a model with input 1,3,48,-1: choose_gears rescales every crop to height 48
//    (aspect kept), so what matters is the width at height 48. At 48 px a glyph is about 0.6 * 48 ~ 29 px
//    wide. 60% of the crops are single words (3-8 characters: lognormal, median 160 px), 40% are whole
//    lines from documents and receipts (lognormal, median 900 px, heavy right tail); widths are clipped to
//    [16, 4000] (a 4000 px line is ~140 characters, longer lines are split by the detector). The crops
//    themselves come at their original height (lognormal around 36 px, 12..200), so the rescaling is
//    exercised too. 20000 crops.
distribution text_lines() {
    distribution d{"text-line widths (1,3,48,-1)", sc::parse_scaling_input("x:1,3,48,-1"), {}};
    std::mt19937 rng(20240601);
    std::bernoulli_distribution is_word(0.6);
    std::lognormal_distribution<double> word(std::log(160.0), 0.45), line(std::log(900.0), 0.65);
    std::lognormal_distribution<double> height(std::log(36.0), 0.4);
    for (int i = 0; i < 20000; ++i) {
        const double w48 = std::clamp(is_word(rng) ? word(rng) : line(rng), 16.0, 4000.0);
        const double h = std::clamp(height(rng), 12.0, 200.0);
        d.data.sizes.push_back({h, w48 * h / 48});
    }
    return d;
}

// 2. Whole-document images for a detection model with input 1,3,-1,-1 (choose_gears applies limit_side_len
//    1280 itself, so the sides here are the originals):
//    - 45% phone photos: 12 MP 3024x4032 (70% portrait, 30% landscape), a third of them recompressed by a
//      messaging app to 1512x2016; each side cropped by the user to 85..100%;
//    - 30% A4 scans (210 x 297 mm) at 100, 150, 200 or 300 dpi, 15% of them landscape, each side within
//      +-2% (scanner margins and deskew);
//    - 25% 16:9 screenshots: desktop 1280x720, 1366x768, 1920x1080, 2560x1440 (landscape) or phone
//      1080x1920 (portrait), cut to a window or region: each side 70..100%.
//    5000 images.
distribution document_photos() {
    distribution d{"document photos (1,3,-1,-1)", sc::parse_scaling_input("x:1,3,-1,-1"), {}};
    std::mt19937 rng(7);
    std::discrete_distribution<int> kind({45, 30, 25});
    std::bernoulli_distribution portrait(0.7), messenger(1.0 / 3), scan_landscape(0.15);
    std::uniform_real_distribution<double> user_crop(0.85, 1.0), scan_jitter(0.98, 1.02), window(0.7, 1.0);
    std::uniform_int_distribution<int> dpi_pick(0, 3), screen_pick(0, 4);
    const double dpis[] = {100, 150, 200, 300};
    const double screens[][2] = {{720, 1280}, {768, 1366}, {1080, 1920}, {1440, 2560}, {1920, 1080}};  // (h, w)
    for (int i = 0; i < 5000; ++i) {
        double h = 0, w = 0;
        switch (kind(rng)) {
            case 0: {
                const double s = messenger(rng) ? 0.5 : 1.0;
                h = 4032 * s, w = 3024 * s;
                if (!portrait(rng)) std::swap(h, w);
                h *= user_crop(rng), w *= user_crop(rng);
                break;
            }
            case 1: {
                const double dpi = dpis[dpi_pick(rng)];
                h = 297 / 25.4 * dpi, w = 210 / 25.4 * dpi;
                if (scan_landscape(rng)) std::swap(h, w);
                h *= scan_jitter(rng), w *= scan_jitter(rng);
                break;
            }
            default: {
                const auto& s = screens[screen_pick(rng)];
                h = s[0] * window(rng), w = s[1] * window(rng);
                break;
            }
        }
        d.data.sizes.push_back({std::round(h), std::round(w)});
    }
    return d;
}

// 3. Boxes per image from a text detector, the batch of a recognition model with input -1,3,48,320 (every
//    box of an image is recognised in one batch). Counts are zero-truncated negative binomials (images
//    without text are not recognised at all): 70% photos and signs with few words (mean 4, r = 1, so
//    many 1s and 2s), 25% receipts and forms (mean 25, r = 4), 5% dense pages (mean 90, r = 6); clipped to
//    200. 10000 images (dataset.box_counts).
distribution box_counts() {
    distribution d{"boxes per image (-1,3,48,320)", sc::parse_scaling_input("x:-1,3,48,320"), {}};
    std::mt19937 rng(1234);
    std::discrete_distribution<int> kind({70, 25, 5});
    auto nb = [](double mean, int r) { return std::negative_binomial_distribution<int>(r, r / (r + mean)); };  // mean before truncation
    auto few = nb(4, 1), forms = nb(25, 4), dense = nb(90, 6);
    for (int i = 0; i < 10000; ++i) {
        const int k = kind(rng);
        int n = 0;
        while (n == 0) n = k == 0 ? few(rng) : k == 1 ? forms(rng) : dense(rng);
        d.data.box_counts.push_back(std::min(n, 200));
    }
    return d;
}

// 4. Text crops with both sides dynamic (input 1,3,-1,-1), as a det annotation file gives them: box heights
//    lognormal around 30 px clipped to 16..80, aspect ratios (width / height) lognormal around 4 clipped to
//    1..20 (a single character to a long line), so widths reach 1600 and limit_side_len 1280 rescales the
//    widest. 20000 boxes.
distribution text_crops() {
    distribution d{"text crops (1,3,-1,-1)", sc::parse_scaling_input("x:1,3,-1,-1"), {}};
    std::mt19937 rng(99);
    std::lognormal_distribution<double> height(std::log(30.0), 0.35), aspect(std::log(4.0), 0.75);
    for (int i = 0; i < 20000; ++i) {
        const double h = std::clamp(height(rng), 16.0, 80.0);
        const double a = std::clamp(aspect(rng), 1.0, 20.0);
        d.data.sizes.push_back({std::round(h), std::round(h * a)});
    }
    return d;
}

/// What one choose_gears() call gave.
struct run_result {
    std::size_t gears = 0;
    double overhead = 1, uncovered = 0, ms = 0;
    std::optional<double> gap, lower_bound;
    double covered_cost = 0;
    std::string method;
    bool cached = false;
};

run_result run(const distribution& d, const sc::scaling_config& c) {
    sc::area_cost cost;
    const auto t0 = clock_type::now();
    const auto r = sc::choose_gears(d.input, &d.data, c, cost);
    run_result out;
    out.ms = seconds_since(t0) * 1e3;
    out.gears = r.total_gears();
    out.overhead = r.padding_overhead();
    out.uncovered = r.uncovered_share();
    for (const auto& a : r.reports) {
        if (auto g = a.optimality_gap()) out.gap = std::max(out.gap.value_or(0.0), *g);
        if (a.lower_bound) out.lower_bound = a.lower_bound, out.covered_cost = a.covered_cost;
        out.method += (out.method.empty() ? "" : "; ") + a.axes + ": " + a.method;
    }
    return out;
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

}  // namespace

int main() {
    const auto t_all = clock_type::now();
    const auto t_gen = clock_type::now();
    const std::vector<distribution> dists{text_lines(), document_photos(), box_counts(), text_crops()};
    const double gen_s = seconds_since(t_gen);
    const double default_search_s = sc::search_limits{}.max_seconds;

    std::vector<std::string> notes, anomalies;
    std::puts("| distribution | budget | strategy | gears | padding overhead | uncovered share (%) | optimality gap | time (ms) |");
    std::puts("|---|---:|---|---:|---:|---:|---:|---:|");
    for (const auto& d : dists) {
        for (std::int64_t budget : {8, 100}) {
            std::map<std::size_t, run_result> optimal_at;  // by gear count: mean_std and max_min may ask for the same n
            for (auto s : {sc::strategy::mean_std, sc::strategy::max_min}) {
                sc::scaling_config hc;
                hc.strategy = s;
                hc.max_scaling_num = budget;
                const run_result h = run(d, hc);

                sc::scaling_config oc;
                oc.strategy = sc::strategy::optimal;
                oc.max_scaling_num = budget;
                oc.num_gears = static_cast<std::int64_t>(h.gears);
                auto it = optimal_at.find(h.gears);
                if (it == optimal_at.end()) {
                    it = optimal_at.emplace(h.gears, run(d, oc)).first;
                } else {
                    it->second.cached = true;
                }
                const run_result& o = it->second;

                const std::string name(sc::to_string(s));
                std::printf("| %s | %lld | %s | %zu | %s | %s | | %s |\n", d.name.c_str(), static_cast<long long>(budget), name.c_str(),
                            h.gears, fixed(h.overhead, 3).c_str(), fixed(h.uncovered * 100, 2).c_str(), fixed(h.ms, 1).c_str());
                std::printf("| %s | %lld | optimal (n of %s) | %zu | %s | %s | %s | %s |\n", d.name.c_str(), static_cast<long long>(budget),
                            name.c_str(), o.gears, fixed(o.overhead, 3).c_str(), fixed(o.uncovered * 100, 2).c_str(),
                            o.gap ? (fixed(*o.gap * 100, 2) + "%").c_str() : "-", o.cached ? "(same as above)" : fixed(o.ms, 1).c_str());

                // what the library promises, checked on every row
                const std::string where = d.name + ", budget " + std::to_string(budget) + ", n = " + std::to_string(h.gears) + " (" + name + ")";
                if (static_cast<std::int64_t>(h.gears) > budget) anomalies.push_back(where + ": " + name + " uses more gears than max_scaling_num");
                if (o.gears > h.gears) anomalies.push_back(where + ": optimal uses " + std::to_string(o.gears) + " gears, more than num_gears");
                if (o.overhead > h.overhead * (1 + 1e-9)) {
                    if (h.uncovered == 0 && o.uncovered == 0)
                        anomalies.push_back(where + ": optimal's overhead " + fixed(o.overhead, 4) + " > " + name + "'s " + fixed(h.overhead, 4) +
                                            " with every input covered by both");
                    else
                        notes.push_back(where + ": optimal " + fixed(o.overhead, 3) + " > " + name + " " + fixed(h.overhead, 3) + ", but " +
                                        name + " leaves " + fixed(h.uncovered * 100, 2) + "% of the inputs above every gear, which optimal never does (" +
                                        (d.input.batch_dynamic()
                                             ? "they are split into runs of the largest gear, which area_cost prices as free: it has no per-run cost"
                                             : "they are resized down: the overhead counts them at their resized size, so they lose resolution instead of being padded") +
                                        ")");
                }
                if (o.uncovered > 0) notes.push_back(where + ": optimal leaves " + fixed(o.uncovered * 100, 2) + "% uncovered");
                if (!o.cached && o.ms > 1e3 * default_search_s * 0.9)
                    notes.push_back(where + ": optimal took " + fixed(o.ms / 1e3, 1) + " s, at the 2-D search's time limit (" +
                                    fixed(default_search_s, 0) + " s): its answer is the best found when time ran out");
                if (!o.cached && d.input.height_dynamic() && d.input.width_dynamic() && o.lower_bound)
                    notes.push_back(where + ": 2-D solver: " + o.method + "; cost " + fixed(o.covered_cost, 0) + ", lower bound " +
                                    fixed(*o.lower_bound, 0) + ", optimality gap " + fixed(o.gap.value_or(0) * 100, 3) + "%, " +
                                    fixed(o.ms, 0) + " ms");
            }
        }
    }
    std::puts("");
    std::puts("padding overhead = padded area / unpadded area over the dataset (1.000 = no padding); an input above every");
    std::puts("gear is resized down (sides) or split into runs of the largest gear (batch) and counts as uncovered.");
    std::puts("optimal runs with num_gears = the heuristic's gear count; its gap is (cost - lower bound) / lower bound.");
    std::puts("");
    for (const auto& n : notes) std::printf("note: %s\n", n.c_str());
    for (const auto& a : anomalies) std::printf("ANOMALY: %s\n", a.c_str());
    if (anomalies.empty()) std::puts("no anomalies: every gear count within its budget, optimal never worse at full coverage");
    std::printf("\ndata generation %.2f s, total %.2f s\n", gen_s, seconds_since(t_all));
    return anomalies.empty() ? 0 : 1;
}
