// Passes: any type with `bool run(graph&, pass_context&)` is a pass; pipeline<...>, fixed_point<...>, pass_manager.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/gearc_fwd.hpp>
#include <gearc/graph.hpp>
#include <gearc/shape.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// What passes share while they run over one graph: the gear being specialised (if any), which fusions
/// are switched off, limits, and counters that say what each pass did (the compile report reads them).
struct pass_context {
    std::int64_t opset = 17;              ///< the graph's ai.onnx opset
    symbol_bindings bindings;             ///< the gear's symbol values; empty on the generic graph
    bool specialising = false;            ///< true in the per-gear phase (every input shape static)
    std::set<std::string, std::less<>> disabled_fusions;  ///< fusion names switched off (see fusion_switches)
    std::size_t max_fold_bytes = std::size_t(64) << 20;   ///< constant folding leaves larger results unfolded
    std::map<std::string, std::size_t, std::less<>> stats;  ///< "pass.what" -> count

    [[nodiscard]] bool fusion_enabled(std::string_view name) const { return !disabled_fusions.count(name); }
    void count(std::string_view what, std::size_t n = 1) {
        auto it = stats.find(what);
        if (it == stats.end()) it = stats.emplace(std::string(what), 0).first;
        it->second += n;
    }
    [[nodiscard]] std::size_t counter(std::string_view what) const {
        auto it = stats.find(what);
        return it == stats.end() ? 0 : it->second;
    }
};

/// A pass over graphs of type G: `run` returns whether it changed the graph.
template <class P, class G = graph>
concept pass_for = requires(P& p, G& g, pass_context& c) {
    { p.run(g, c) } -> std::convertible_to<bool>;
};

/// A pass's name: its `static constexpr std::string_view name`, else "pass".
template <class P>
[[nodiscard]] constexpr std::string_view pass_name() noexcept {
    if constexpr (requires { P::name; }) return P::name;
    else return "pass";
}

/// Runs `Passes` in order, once each; itself a pass.
template <class... Passes>
struct pipeline {
    static constexpr std::string_view name = "pipeline";
    std::tuple<Passes...> passes;

    template <class G>
    bool run(G& g, pass_context& ctx) {
        bool changed = false;
        std::apply([&](auto&... p) { ((changed = static_cast<bool>(p.run(g, ctx)) || changed), ...); }, passes);
        return changed;
    }
};

/// Repeats `Pass` until it reports no change (at most MaxIterations times); itself a pass.
template <class Pass, std::size_t MaxIterations = 16>
struct fixed_point {
    static constexpr std::string_view name = pass_name<Pass>();
    Pass pass;

    template <class G>
    bool run(G& g, pass_context& ctx) {
        bool any = false;
        for (std::size_t i = 0; i < MaxIterations; ++i) {
            if (!pass.run(g, ctx)) break;
            any = true;
        }
        return any;
    }
};

/// A run-time list of passes (type-erased), for pipelines chosen by configuration or by name.
template <class G = graph>
class basic_pass_manager {
public:
    basic_pass_manager() = default;
    basic_pass_manager(basic_pass_manager&&) noexcept = default;
    basic_pass_manager& operator=(basic_pass_manager&&) noexcept = default;

    template <class P>
        requires pass_for<P, G>
    basic_pass_manager& add(P p = {}) {
        passes_.push_back(std::make_unique<model<P>>(std::move(p)));
        return *this;
    }
    /// Runs the passes in order; with `until_fixed_point`, repeats the whole list until nothing changes.
    bool run(G& g, pass_context& ctx, bool until_fixed_point = false, std::size_t max_iterations = 16) {
        bool any = false;
        for (std::size_t it = 0; it < (until_fixed_point ? max_iterations : 1); ++it) {
            bool changed = false;
            for (auto& p : passes_) changed = p->run(g, ctx) || changed;
            any = any || changed;
            if (!changed) break;
        }
        return any;
    }
    [[nodiscard]] std::vector<std::string_view> names() const {
        std::vector<std::string_view> out;
        for (const auto& p : passes_) out.push_back(p->name());
        return out;
    }
    [[nodiscard]] std::size_t size() const noexcept { return passes_.size(); }
    [[nodiscard]] bool empty() const noexcept { return passes_.empty(); }

private:
    struct concept_t {
        virtual ~concept_t() = default;
        virtual bool run(G& g, pass_context& ctx) = 0;
        [[nodiscard]] virtual std::string_view name() const noexcept = 0;
    };
    template <class P>
    struct model final : concept_t {
        explicit model(P p) : pass(std::move(p)) {}
        bool run(G& g, pass_context& ctx) override { return static_cast<bool>(pass.run(g, ctx)); }
        [[nodiscard]] std::string_view name() const noexcept override { return pass_name<P>(); }
        P pass;
    };
    std::vector<std::unique_ptr<concept_t>> passes_;
};

using pass_manager = basic_pass_manager<graph>;

GEARC_END_NAMESPACE
