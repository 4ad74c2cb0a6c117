// Optimal gear choice: exact 1-D dynamic programming, and 2-D (height, width) search with a Lagrangian lower bound.
#pragma once

#include <gearc/detail/abi_macros.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace scaling {

// The problem: inputs fall on candidate positions (their size rounded up to the gear interval), each with
// a weight (how many inputs); a gear at a position covers every input at or below it, and an input runs
// on the cheapest gear that covers it. Choose at most K gears, covering every input, that minimise the
// total cost  sum over inputs of cost(gear it runs on).
//
// 1-D (batch, or one side): the gears sorted, an input runs on the next gear up, so the inputs between two
// consecutive gears form a block; the best last gear of a prefix gives the recurrence
//     f[k][j] = min_{i<j} f[k-1][i] + c_j * (W_j - W_i)      (W = cumulative weight, c = gear cost)
// solved exactly for every k <= K; the inner minimum is a lower envelope of lines y = f[k-1][i] - W_i x
// queried at x = c_j, kept in a Li Chao tree, so it is O(K m log m) for m positions.
//
// 2-D: covering in two dimensions has no such order (a wide-short gear and a narrow-tall one are both
// useful), so gearc searches: three starting points (the best chain of gears by DP over the sorted grid,
// the best product grid of two 1-D solutions as MindOCR builds it, greedy addition), each improved by the
// classic interchange local search for the p-median problem (swap one gear for another while the cost
// drops). A lower bound from the Lagrangian relaxation of "every input runs on exactly one gear"
// (subgradient ascent) bounds the optimum from below, and the reported gap = (cost - bound) / bound says how
// far from optimal the answer can be.

/// One solution of the 1-D problem.
struct solution_1d {
    std::vector<std::size_t> gears;  ///< indices into the positions, ascending; the last one is always the top position
    double cost = 0;                 ///< total cost
};

/// The exact 1-D solver. `weight[j]` inputs at position j (ascending positions; weights > 0),
/// `cost[j]` the cost of a gear at position j. best(k) is the optimum with at most k gears.
class dp_1d {
public:
    dp_1d(std::span<const double> weight, std::span<const double> cost, std::size_t max_gears)
        : m_(weight.size()), kmax_(std::min(max_gears, weight.size())) {
        if (m_ == 0 || kmax_ == 0) return;
        std::vector<double> cum(m_ + 1, 0);
        for (std::size_t j = 0; j < m_; ++j) cum[j + 1] = cum[j] + weight[j];
        f_.assign(kmax_ + 1, std::vector<double>(m_, inf));
        arg_.assign(kmax_ + 1, std::vector<std::size_t>(m_, npos));
        for (std::size_t j = 0; j < m_; ++j) f_[1][j] = cost[j] * cum[j + 1];
        // query points of the envelope: the distinct costs, sorted
        std::vector<double> xs(cost.begin(), cost.end());
        std::sort(xs.begin(), xs.end());
        xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
        for (std::size_t k = 2; k <= kmax_; ++k) {
            li_chao env(xs);
            for (std::size_t j = 0; j < m_; ++j) {
                if (j > 0 && f_[k - 1][j - 1] < inf) env.add(-cum[j], f_[k - 1][j - 1], j - 1);  // gear k-1 at j-1
                if (j + 1 < k) continue;  // k gears need k positions
                auto [v, i] = env.query(cost[j]);
                if (i == npos) continue;
                f_[k][j] = v + cost[j] * cum[j + 1];
                arg_[k][j] = i;
            }
        }
    }

    /// The largest k solved (min(max_gears, positions)).
    [[nodiscard]] std::size_t max_gears() const noexcept { return kmax_; }
    /// The optimum with exactly k gears (the last at the top position); +inf when impossible.
    [[nodiscard]] double exact_cost(std::size_t k) const { return k >= 1 && k <= kmax_ ? f_[k][m_ - 1] : inf; }

    /// The optimum with at most k gears; among equal costs the one with the fewest gears.
    [[nodiscard]] solution_1d best(std::size_t k) const {
        solution_1d s;
        if (m_ == 0 || kmax_ == 0 || k == 0) return s;
        k = std::min(k, kmax_);
        std::size_t kb = 1;
        double best_cost = f_[1][m_ - 1];
        for (std::size_t q = 2; q <= k; ++q)
            if (f_[q][m_ - 1] < best_cost * (1 - 1e-12)) best_cost = f_[q][m_ - 1], kb = q;
        s.cost = best_cost;
        std::size_t j = m_ - 1;
        for (std::size_t q = kb; q >= 1; --q) {
            s.gears.push_back(j);
            if (q == 1) break;
            j = arg_[q][j];
        }
        std::reverse(s.gears.begin(), s.gears.end());
        return s;
    }

private:
    static constexpr double inf = std::numeric_limits<double>::infinity();
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    /// Lower envelope of lines a*x + b over a fixed set of query points.
    class li_chao {
    public:
        explicit li_chao(const std::vector<double>& xs) : xs_(xs), tree_(4 * std::max<std::size_t>(1, xs.size())) {}
        void add(double a, double b, std::size_t id) { insert(1, 0, xs_.size() - 1, {a, b, id}); }
        [[nodiscard]] std::pair<double, std::size_t> query(double x) const {
            auto pos = static_cast<std::size_t>(std::lower_bound(xs_.begin(), xs_.end(), x) - xs_.begin());
            std::size_t node = 1, lo = 0, hi = xs_.size() - 1;
            std::pair<double, std::size_t> best{inf, npos};
            for (;;) {
                const auto& l = tree_[node];
                if (l.id != npos) {
                    double v = l.a * x + l.b;
                    if (v < best.first) best = {v, l.id};
                }
                if (lo == hi) break;
                std::size_t mid = (lo + hi) / 2;
                if (pos <= mid)
                    node = 2 * node, hi = mid;
                else
                    node = 2 * node + 1, lo = mid + 1;
            }
            return best;
        }

    private:
        struct line {
            double a = 0, b = 0;
            std::size_t id = npos;
            [[nodiscard]] double at(double x) const { return id == npos ? inf : a * x + b; }
        };
        void insert(std::size_t node, std::size_t lo, std::size_t hi, line l) {
            for (;;) {
                std::size_t mid = (lo + hi) / 2;
                line& cur = tree_[node];
                bool left_better = l.at(xs_[lo]) < cur.at(xs_[lo]);
                bool mid_better = l.at(xs_[mid]) < cur.at(xs_[mid]);
                if (mid_better) std::swap(cur, l);
                if (lo == hi || l.id == npos) return;
                if (left_better != mid_better)
                    node = 2 * node, hi = mid;
                else
                    node = 2 * node + 1, lo = mid + 1;
            }
        }
        std::vector<double> xs_;
        std::vector<line> tree_;
    };

    std::size_t m_ = 0, kmax_ = 0;
    std::vector<std::vector<double>> f_;
    std::vector<std::vector<std::size_t>> arg_;
};

/// The 2-D problem: candidate heights and widths (ascending), inputs aggregated in cells of the grid they
/// round up to, and the cost of a gear at every grid point (row-major: cost[ih * widths + iw]).
struct grid_problem {
    std::size_t heights = 0, widths = 0;
    struct cell {
        std::size_t ih = 0, iw = 0;
        double weight = 0;
    };
    std::vector<cell> cells;
    std::vector<double> cost;
};

/// What the 2-D search found.
struct solution_2d {
    std::vector<std::pair<std::size_t, std::size_t>> gears;  ///< (ih, iw) grid indices, sorted
    double cost = 0;                                        ///< total cost of the inputs on their cheapest covering gear
    double lower_bound = 0;                                 ///< no set of at most K gears costs less
    std::string start;                                      ///< which starting point led to the answer
    std::size_t swaps = 0;                                  ///< improving interchanges made

    /// (cost - lower_bound) / lower_bound: 0 means proven optimal.
    [[nodiscard]] double gap() const noexcept { return lower_bound > 0 ? std::max(0.0, cost - lower_bound) / lower_bound : 0; }
};

/// Limits on the 2-D search (the defaults finish in well under a second for MindOCR's default settings).
struct search_limits {
    double max_seconds = 20;            ///< wall-clock budget for local search and the bound together
    std::size_t bound_iterations = 400;  ///< subgradient steps for the lower bound
    double chain_work = 4e8;             ///< skip the chain DP when K * grid^2 / 2 exceeds this
};

namespace detail {

class grid_search {
public:
    grid_search(const grid_problem& p, std::size_t k, search_limits lim)
        : p_(p), k_(std::max<std::size_t>(1, k)), lim_(lim), t0_(std::chrono::steady_clock::now()) {
        n_ = p_.heights * p_.widths;
        // cells sorted by row, so the cells under a gear at row i are a prefix
        order_.resize(p_.cells.size());
        std::iota(order_.begin(), order_.end(), 0);
        std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) { return p_.cells[a].ih < p_.cells[b].ih; });
        row_end_.assign(p_.heights, 0);
        for (std::size_t i = 0, c = 0; i < p_.heights; ++i) {
            while (c < order_.size() && p_.cells[order_[c]].ih <= i) ++c;
            row_end_[i] = c;
        }
    }

    solution_2d run() {
        std::vector<std::pair<std::string, std::vector<std::size_t>>> starts;
        if (static_cast<double>(k_) * static_cast<double>(n_) * static_cast<double>(n_) / 2 <= lim_.chain_work)
            starts.emplace_back("chain DP", chain());
        starts.emplace_back("product grid", product_grid());
        starts.emplace_back("greedy", greedy({top()}));
        solution_2d best;
        best.cost = inf;
        for (auto& [name, s] : starts) {
            std::size_t swaps = 0;
            s = greedy(std::move(s));  // fill up to K where a gear still helps
            s = interchange(std::move(s), swaps);
            double c = cost_of(s);
            if (c < best.cost * (1 - 1e-12)) {
                best.cost = c;
                best.start = name;
                best.swaps = swaps;
                best.gears.clear();
                for (auto g : prune(s)) best.gears.emplace_back(g / p_.widths, g % p_.widths);
            }
        }
        std::sort(best.gears.begin(), best.gears.end());
        best.lower_bound = std::min(best.cost, lower_bound(best));
        return best;
    }

private:
    static constexpr double inf = std::numeric_limits<double>::infinity();

    [[nodiscard]] bool out_of_time() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count() > lim_.max_seconds;
    }
    [[nodiscard]] std::size_t top() const { return n_ - 1; }
    [[nodiscard]] bool covers(std::size_t g, const grid_problem::cell& c) const {
        return c.ih <= g / p_.widths && c.iw <= g % p_.widths;
    }
    /// Calls f(cell index) for every cell under gear g.
    template <class F>
    void for_cells_under(std::size_t g, F&& f) const {
        const std::size_t gi = g / p_.widths, gj = g % p_.widths;
        for (std::size_t o = 0; o < row_end_[gi]; ++o) {
            std::size_t c = order_[o];
            if (p_.cells[c].iw <= gj) f(c);
        }
    }

    [[nodiscard]] double cost_of(const std::vector<std::size_t>& s) const {
        double total = 0;
        for (const auto& c : p_.cells) {
            double b = inf;
            for (auto g : s)
                if (covers(g, c)) b = std::min(b, p_.cost[g]);
            total += c.weight * b;
        }
        return total;
    }

    /// Drops gears that no input runs on.
    [[nodiscard]] std::vector<std::size_t> prune(const std::vector<std::size_t>& s) const {
        std::vector<char> used(s.size(), 0);
        for (const auto& c : p_.cells) {
            double b = inf;
            std::size_t bi = 0;
            for (std::size_t i = 0; i < s.size(); ++i)
                if (covers(s[i], c) && p_.cost[s[i]] < b) b = p_.cost[s[i]], bi = i;
            if (b < inf) used[bi] = 1;
        }
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < s.size(); ++i)
            if (used[i]) out.push_back(s[i]);
        return out;
    }

    /// The best chain g1 <= g2 <= ... <= top (componentwise), by DP over the grid: W(g) = weight under g.
    std::vector<std::size_t> chain() const {
        const std::size_t H = p_.heights, Wd = p_.widths;
        std::vector<double> under((H + 1) * (Wd + 1), 0);  // 2-D prefix sums of the cell weights
        auto at = [&](std::size_t i, std::size_t j) -> double& { return under[i * (Wd + 1) + j]; };
        for (const auto& c : p_.cells) at(c.ih + 1, c.iw + 1) += c.weight;
        for (std::size_t i = 1; i <= H; ++i)
            for (std::size_t j = 1; j <= Wd; ++j) at(i, j) += at(i - 1, j) + at(i, j - 1) - at(i - 1, j - 1);
        auto W = [&](std::size_t g) { return at(g / Wd + 1, g % Wd + 1); };
        std::vector<double> prev(n_), cur(n_);
        std::vector<std::vector<std::size_t>> arg(k_ + 1, std::vector<std::size_t>(n_, n_));
        for (std::size_t g = 0; g < n_; ++g) prev[g] = p_.cost[g] * W(g);
        double best = prev[top()];
        std::size_t best_k = 1;
        for (std::size_t k = 2; k <= k_; ++k) {
            for (std::size_t g = 0; g < n_; ++g) {
                cur[g] = inf;
                const std::size_t gi = g / Wd, gj = g % Wd;
                const double wg = W(g), cg = p_.cost[g];
                for (std::size_t i = 0; i <= gi; ++i)
                    for (std::size_t j = 0; j <= gj; ++j) {
                        std::size_t h = i * Wd + j;
                        if (h == g || prev[h] == inf) continue;
                        double v = prev[h] + cg * (wg - W(h));
                        if (v < cur[g]) cur[g] = v, arg[k][g] = h;
                    }
            }
            std::swap(prev, cur);
            if (prev[top()] < best * (1 - 1e-12)) best = prev[top()], best_k = k;
            if (out_of_time()) break;
        }
        std::vector<std::size_t> s;
        std::size_t g = top();
        for (std::size_t k = best_k; k >= 1; --k) {
            s.push_back(g);
            if (k == 1) break;
            g = arg[k][g];
        }
        return s;
    }

    /// MindOCR's structure (every height with every width), values from the 1-D optimum of each side's
    /// marginal distribution (cost proportional to the side), the best split kh * kw <= K evaluated exactly.
    std::vector<std::size_t> product_grid() const {
        std::vector<double> wh(p_.heights, 0), ww(p_.widths, 0);
        for (const auto& c : p_.cells) wh[c.ih] += c.weight, ww[c.iw] += c.weight;
        auto side = [](std::vector<double> w) {  // positions without inputs get a tiny weight to stay selectable
            std::vector<double> cost(w.size());
            for (std::size_t i = 0; i < w.size(); ++i) cost[i] = static_cast<double>(i + 1), w[i] = std::max(w[i], 1e-9);
            return std::pair{w, cost};
        };
        auto [whh, ch] = side(wh);
        auto [www, cw] = side(ww);
        dp_1d dh(whh, ch, std::min(k_, p_.heights)), dw(www, cw, std::min(k_, p_.widths));
        std::vector<std::size_t> best_s{top()};
        double best = cost_of(best_s);
        for (std::size_t kh = 1; kh <= std::min(k_, p_.heights); ++kh) {
            std::size_t kw = std::min(p_.widths, k_ / kh);
            if (kw == 0) break;
            auto hs = dh.best(kh).gears, ws = dw.best(kw).gears;
            std::vector<std::size_t> s;
            for (auto i : hs)
                for (auto j : ws) s.push_back(i * p_.widths + j);
            double c = cost_of(s);
            if (c < best) best = c, best_s = std::move(s);
        }
        return best_s;
    }

    /// Adds, one at a time, the gear that lowers the cost most, while it helps and fewer than K are chosen.
    std::vector<std::size_t> greedy(std::vector<std::size_t> s) const {
        std::vector<double> best(p_.cells.size(), inf);
        for (std::size_t ci = 0; ci < p_.cells.size(); ++ci)
            for (auto g : s)
                if (covers(g, p_.cells[ci])) best[ci] = std::min(best[ci], p_.cost[g]);
        std::vector<char> in(n_, 0);
        for (auto g : s) in[g] = 1;
        while (s.size() < k_ && !out_of_time()) {
            double gain_best = 0;
            std::size_t pick = n_;
            for (std::size_t g = 0; g < n_; ++g) {
                if (in[g]) continue;
                double gain = 0;
                const double cg = p_.cost[g];
                for_cells_under(g, [&](std::size_t c) {
                    if (cg < best[c]) gain += p_.cells[c].weight * (best[c] == inf ? 1e300 : best[c] - cg);
                });
                if (gain > gain_best) gain_best = gain, pick = g;
            }
            if (pick == n_) break;
            s.push_back(pick);
            in[pick] = 1;
            for_cells_under(pick, [&](std::size_t c) { best[c] = std::min(best[c], p_.cost[pick]); });
        }
        return s;
    }

    /// Best-improvement interchange: swap one chosen gear for one not chosen (or add one while fewer than K)
    /// while the total cost drops. A swap must keep every input covered.
    std::vector<std::size_t> interchange(std::vector<std::size_t> s, std::size_t& swaps) const {
        const std::size_t C = p_.cells.size();
        std::vector<double> b1(C), b2(C);
        std::vector<std::size_t> id1(C);
        std::vector<char> in(n_, 0);
        for (auto g : s) in[g] = 1;
        for (std::size_t iter = 0; iter < 50 * k_ && !out_of_time(); ++iter) {
            // cheapest and second cheapest covering gear of every cell
            for (std::size_t c = 0; c < C; ++c) {
                b1[c] = b2[c] = inf;
                id1[c] = s.size();
                for (std::size_t i = 0; i < s.size(); ++i) {
                    if (!covers(s[i], p_.cells[c])) continue;
                    double v = p_.cost[s[i]];
                    if (v < b1[c])
                        b2[c] = b1[c], b1[c] = v, id1[c] = i;
                    else if (v < b2[c])
                        b2[c] = v;
                }
            }
            // removing gear i alone: its cells move to their second gear; cells only it covers are orphans
            std::vector<double> loss(s.size(), 0), orphans(s.size(), 0);
            double current = 0;
            for (std::size_t c = 0; c < C; ++c) {
                const double w = p_.cells[c].weight;
                current += w * b1[c];
                if (id1[c] >= s.size()) continue;
                if (b2[c] == inf)
                    orphans[id1[c]] += w;
                else
                    loss[id1[c]] += w * (b2[c] - b1[c]);
            }
            double best_delta = -1e-12 * current;
            std::size_t best_add = n_, best_drop = s.size();
            std::vector<double> corr(s.size()), adopted(s.size());
            for (std::size_t g = 0; g < n_; ++g) {
                if (in[g]) continue;
                const double cg = p_.cost[g];
                double base = 0;  // adding g alone
                std::fill(corr.begin(), corr.end(), 0.0);
                std::fill(adopted.begin(), adopted.end(), 0.0);
                for_cells_under(g, [&](std::size_t c) {
                    const double w = p_.cells[c].weight;
                    const double with_g = std::min(b1[c], cg);
                    base += w * (with_g - b1[c]);
                    if (id1[c] >= s.size()) return;
                    // when the cell's gear goes too, the cell runs on min(b2, cg) instead of b2
                    if (b2[c] == inf) {
                        adopted[id1[c]] += w;
                        corr[id1[c]] += w * (cg - with_g);
                    } else {
                        corr[id1[c]] += w * ((std::min(b2[c], cg) - with_g) - (b2[c] - b1[c]));
                    }
                });
                if (s.size() < k_ && base < best_delta) best_delta = base, best_add = g, best_drop = s.size();
                for (std::size_t i = 0; i < s.size(); ++i) {
                    if (adopted[i] < orphans[i] * (1 - 1e-12)) continue;  // some input would lose its only gear
                    const double d = base + loss[i] + corr[i];
                    if (d < best_delta) best_delta = d, best_add = g, best_drop = i;
                }
            }
            if (best_add == n_) break;
            if (best_drop < s.size()) {
                in[s[best_drop]] = 0;
                s[best_drop] = best_add;
            } else {
                s.push_back(best_add);
            }
            in[best_add] = 1;
            ++swaps;
        }
        return s;
    }

    /// max(sum of each input's cheapest covering gear, Lagrangian bound by subgradient ascent).
    double lower_bound(const solution_2d& best) const {
        const std::size_t C = p_.cells.size();
        std::vector<double> cheapest(C, inf);
        for (std::size_t g = 0; g < n_; ++g)
            for_cells_under(g, [&](std::size_t c) { cheapest[c] = std::min(cheapest[c], p_.cost[g]); });
        double trivial = 0;
        for (std::size_t c = 0; c < C; ++c) trivial += p_.cells[c].weight * cheapest[c];
        // every input already on its cheapest possible gear: proven optimal
        if (best.cost <= trivial * (1 + 1e-12) || out_of_time()) return trivial;
        const double ub = best.cost;
        // u_c: the price of serving one input of cell c; start at what the answer pays for it
        std::vector<double> u(C);
        for (std::size_t c = 0; c < C; ++c) {
            double b = inf;
            for (const auto& [i, j] : best.gears)
                if (covers(i * p_.widths + j, p_.cells[c])) b = std::min(b, p_.cost[i * p_.widths + j]);
            u[c] = b;
        }
        std::vector<double> rho(n_), grad(C);
        std::vector<std::size_t> idx(n_);
        double bound = trivial, theta = 1.0;
        std::size_t since = 0;
        for (std::size_t it = 0; it < lim_.bound_iterations && !out_of_time(); ++it) {
            for (std::size_t g = 0; g < n_; ++g) {
                double r = 0;
                const double cg = p_.cost[g];
                for_cells_under(g, [&](std::size_t c) {
                    if (cg < u[c]) r += p_.cells[c].weight * (cg - u[c]);
                });
                rho[g] = r;
            }
            std::iota(idx.begin(), idx.end(), 0);
            const std::size_t take = std::min(k_, n_);
            std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(take), idx.end(),
                              [&](std::size_t a, std::size_t b) { return rho[a] < rho[b]; });
            double L = 0;
            for (std::size_t c = 0; c < C; ++c) L += p_.cells[c].weight * u[c], grad[c] = p_.cells[c].weight;
            for (std::size_t t = 0; t < take; ++t) {
                const std::size_t g = idx[t];
                if (rho[g] >= 0) break;
                L += rho[g];
                const double cg = p_.cost[g];
                for_cells_under(g, [&](std::size_t c) {
                    if (cg < u[c]) grad[c] -= p_.cells[c].weight;
                });
            }
            if (L > bound * (1 + 1e-9)) {
                bound = L;
                since = 0;
            } else if (++since >= 15) {
                theta /= 2;
                since = 0;
            }
            if (ub - bound <= 1e-7 * ub || theta < 1e-5) break;
            double norm = 0;
            for (double g : grad) norm += g * g;
            if (norm == 0) break;
            const double step = theta * (ub - L) / norm;
            for (std::size_t c = 0; c < C; ++c) u[c] = std::max(cheapest[c], u[c] + step * grad[c]);
        }
        return bound;
    }

    const grid_problem& p_;
    std::size_t k_;
    search_limits lim_;
    std::chrono::steady_clock::time_point t0_;
    std::size_t n_ = 0;
    std::vector<std::size_t> order_, row_end_;
};

}  // namespace detail

/// Chooses at most `max_gears` gears on the grid covering every cell (see the note at the top of this file).
[[nodiscard]] inline solution_2d optimal_2d(const grid_problem& p, std::size_t max_gears, search_limits limits = {}) {
    if (p.heights == 0 || p.widths == 0 || p.cells.empty()) return {};
    return detail::grid_search(p, max_gears, limits).run();
}

}  // namespace scaling

GEARC_END_NAMESPACE
