// flops_cost: prices a gear by the FLOPs of the model compiled for it (gearc::compile + estimate_flops).
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/compile.hpp>
#include <gearc/gear_options.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/estimate_flops.hpp>
#include <gearc/scaling/scale.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace scaling {

/// The cost of a gear is the estimated FLOPs of the model specialised to it: the gear-independent passes
/// run once, then every gear shape asked for is compiled (in parallel, in batches) and its FLOPs counted;
/// results are cached. An input between gears (its sides are not multiples of the interval) is priced by
/// linear interpolation between the neighbouring multiples of the interval on each side axis (bilinear for
/// two), and proportionally below the first one: a model may not even accept such a shape (a U-Net needs
/// multiples of 32), while its FLOPs are close to piecewise linear in each side.
template <class Traits = default_ir_traits>
class flops_cost final : public cost_model {
public:
    /// `progress(done, total)` is called as gears are compiled.
    flops_cost(const basic_graph<Traits>& model, scaling_input in, std::int64_t interval, compile_options options = {},
               std::function<void(std::size_t, std::size_t)> progress = {})
        : model_(model), in_(std::move(in)), interval_(std::max<std::int64_t>(1, interval)), options_(std::move(options)),
          progress_(std::move(progress)) {}

    [[nodiscard]] std::string name() const override { return "flops"; }

    [[nodiscard]] std::vector<double> gear_costs(const std::vector<std::vector<std::int64_t>>& shapes) override {
        std::vector<std::vector<std::int64_t>> missing;
        for (const auto& s : shapes) {
            for (std::size_t a = 0; a < s.size(); ++a)
                if (s.size() != 4 || (in_.dims[a] != -1 && s[a] != in_.dims[a]))
                    throw std::invalid_argument("flops_cost: shape differs from the scaling input " + in_.dims_text() +
                                                " outside its -1 axes");
            if (!cache_.count(s)) missing.push_back(s);
        }
        std::sort(missing.begin(), missing.end());
        missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
        if (!missing.empty()) evaluate(missing);
        std::vector<double> out;
        out.reserve(shapes.size());
        for (const auto& s : shapes) out.push_back(cache_.at(s));
        return out;
    }

    [[nodiscard]] std::vector<double> input_costs(const std::vector<std::vector<double>>& shapes) override {
        // every input is a weighted sum of gear shapes around it
        std::vector<std::vector<std::pair<std::vector<std::int64_t>, double>>> terms;
        std::vector<std::vector<std::int64_t>> corners;
        for (const auto& s : shapes) {
            std::vector<std::pair<std::vector<std::int64_t>, double>> t{{{}, 1.0}};
            for (std::size_t a = 0; a < s.size(); ++a) {
                const bool side = (a == in_.h_axis() && in_.height_dynamic()) || (a == in_.w_axis() && in_.width_dynamic());
                std::vector<std::pair<std::int64_t, double>> pts;  // (value, weight) on this axis
                const double x = s[a];
                const auto iv = static_cast<double>(interval_);
                const double q = x / iv;
                if (!side || std::abs(q - std::round(q)) < 1e-9) {
                    pts.emplace_back(static_cast<std::int64_t>(std::llround(x)), 1.0);
                } else {
                    const auto lo = static_cast<std::int64_t>(std::floor(q)) * interval_;
                    const std::int64_t hi = lo + interval_;
                    if (lo == 0)
                        pts.emplace_back(hi, x / static_cast<double>(hi));
                    else
                        pts.emplace_back(lo, (static_cast<double>(hi) - x) / iv), pts.emplace_back(hi, (x - static_cast<double>(lo)) / iv);
                }
                std::vector<std::pair<std::vector<std::int64_t>, double>> next;
                for (const auto& [shape, w] : t)
                    for (const auto& [v, pw] : pts) {
                        auto sh = shape;
                        sh.push_back(v);
                        next.emplace_back(std::move(sh), w * pw);
                    }
                t = std::move(next);
            }
            for (const auto& [shape, w] : t) corners.push_back(shape);
            terms.push_back(std::move(t));
        }
        (void)gear_costs(corners);  // compiles what is missing, in one batch
        std::vector<double> out;
        for (const auto& t : terms) {
            double v = 0;
            for (const auto& [shape, w] : t) v += w * cache_.at(shape);
            out.push_back(v);
        }
        return out;
    }

    /// How many gear shapes were compiled so far.
    [[nodiscard]] std::size_t compiled() const noexcept { return cache_.size(); }

private:
    void evaluate(const std::vector<std::vector<std::int64_t>>& shapes) {
        if (!generic_) {
            passes::check_supported(model_);
            auto g = std::shared_ptr<basic_graph<Traits>>(model_.clone());
            pass_context ctx;
            ctx.opset = gearc::detail::compiling::opset_of(model_);
            ctx.disabled_fusions = options_.disabled_fusions;
            ctx.max_fold_bytes = options_.max_fold_bytes;
            default_pipeline{}.run(*g, ctx);
            generic_ = std::move(g);
            inputs_ = model_inputs(model_);
        }
        constexpr std::size_t batch = 128;
        const std::size_t total = shapes.size();
        for (std::size_t start = 0; start < total; start += batch) {
            gear_request req;
            req.kind = gear_kind::dynamic_dims;
            req.format = tensor_format::nd;
            input_shape_entry e;
            e.name = in_.name;
            for (auto d : in_.dims) e.dims.push_back(d == -1 ? dim::unknown() : dim(d));
            req.input_shapes.push_back(e);
            req.input_shape_text = in_.name + ":" + in_.dims_text();
            req.gear_option = "gear scaling";
            const std::size_t end = std::min(total, start + batch);
            for (std::size_t i = start; i < end; ++i) {
                std::vector<std::int64_t> p;
                for (std::size_t a = 0; a < 4; ++a)
                    if (in_.dims[a] == -1) p.push_back(shapes[i][a]);
                req.profiles.push_back(std::move(p));
            }
            gear_set gears = make_gear_set(std::span<const model_input>(inputs_), req);
            compile_options o = options_;
            o.progress = {};
            auto m = compile_generic<default_pipeline, default_gear_pipeline, Traits>(generic_, gears, o, {}, 0);
            for (std::size_t i = start; i < end; ++i) cache_[shapes[i]] = passes::estimate_flops(*m.plan(i - start).graph).total;
            if (progress_) progress_(end, total);
        }
    }

    const basic_graph<Traits>& model_;
    scaling_input in_;
    std::int64_t interval_;
    compile_options options_;
    std::function<void(std::size_t, std::size_t)> progress_;
    std::shared_ptr<const basic_graph<Traits>> generic_;
    std::vector<model_input> inputs_;
    std::map<std::vector<std::int64_t>, double> cache_;
};

}  // namespace scaling

GEARC_END_NAMESPACE
