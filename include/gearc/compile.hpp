// compile(): gear-independent passes once, then one fully static, memory-planned graph per gear.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim_expr.hpp>
#include <gearc/error.hpp>
#include <gearc/gear_set.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/cancel_transposes.hpp>
#include <gearc/passes/cleanup.hpp>
#include <gearc/passes/evaluate.hpp>
#include <gearc/passes/fold_constants.hpp>
#include <gearc/passes/fuse_activation.hpp>
#include <gearc/passes/fuse_conv_bn.hpp>
#include <gearc/passes/fuse_patterns.hpp>
#include <gearc/passes/fusion_switch.hpp>
#include <gearc/passes/infer_shapes.hpp>
#include <gearc/passes/pass.hpp>
#include <gearc/passes/plan_memory.hpp>
#include <gearc/verifier.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// The gear-independent passes compile() runs once on the symbolic graph.
using default_pipeline = pipeline<passes::infer_shapes, passes::remove_identity,
                                  fixed_point<pipeline<passes::fold_constants, passes::eliminate_dead_code>, 8>,
                                  passes::eliminate_common_subexpressions, passes::cancel_transposes, passes::fuse_conv_bn,
                                  passes::fuse_layer_norm, passes::fuse_gelu, passes::fuse_matmul_add,
                                  passes::fuse_bias_activation, passes::eliminate_dead_code, passes::infer_shapes>;

/// The passes compile() runs per gear, once the gear's shapes are on the inputs: everything that the
/// static shapes enable (shape arithmetic folds away; fusions whose conditions depend on shapes).
using default_gear_pipeline =
    pipeline<passes::infer_shapes, passes::fold_constants, passes::eliminate_dead_code,  // one sweep folds whole chains
             passes::eliminate_common_subexpressions, passes::cancel_transposes, passes::fuse_layer_norm, passes::fuse_gelu,
             passes::fuse_matmul_add, passes::fuse_bias_activation, passes::eliminate_dead_code>;

struct compile_options {
    std::set<std::string, std::less<>> disabled_fusions;  ///< from a fusion switch file (passes::load_fusion_switches)
    std::size_t threads = 0;                              ///< gears compiled in parallel; 0 = all cores
    passes::memory_options memory;                        ///< arena alignment, in-place reuse
    bool verify = true;                                   ///< run the IR verifier after each phase
    std::size_t max_fold_bytes = std::size_t(64) << 20;   ///< constant folding (once, on the generic graph) leaves larger results unfolded
    /// Per gear, only results up to this size are folded: shape arithmetic is tiny, while data a gear could
    /// fold (zeros of [2,N,64] for an LSTM state, a positional-embedding lookup) would be one more copy per
    /// gear; it stays a static computation instead, so 100 gears do not hold 100 copies.
    std::size_t gear_max_fold_bytes = 4096;
    /// Called after each gear is compiled (from the compiling thread, serialised): (gears done, total).
    std::function<void(std::size_t, std::size_t)> progress;
};

/// One gear's static plan: its graph (every shape static, no shape arithmetic left; weights shared with
/// every other gear) and its memory plan.
template <class Traits>
struct basic_gear_plan {
    gear info;                                              ///< the gear: index, profile, input shapes, bindings
    std::shared_ptr<const basic_graph<Traits>> graph;       ///< the specialised graph
    passes::memory_plan memory;                             ///< arena offsets of every intermediate tensor
    bool bounded_dynamic = false;                           ///< a range gear: shapes hold ranges, memory sized for the upper bounds
    bool dynamic_memory = false;                            ///< a range gear whose sizes have no bound: allocated at run time
    std::map<std::string, std::size_t, std::less<>> stats;  ///< what the passes did
    double compile_ms = 0;
};

namespace detail::compiling {
struct access;
}

/// The result of compile(): the gear set and one plan per gear.
template <class Traits>
class basic_compiled_model {
public:
    using graph_type = basic_graph<Traits>;
    using plan_type = basic_gear_plan<Traits>;

    [[nodiscard]] const gear_set& gears() const noexcept { return gears_; }
    [[nodiscard]] const std::vector<plan_type>& plans() const noexcept { return plans_; }
    [[nodiscard]] const plan_type& plan(std::size_t gear_index) const { return plans_.at(gear_index); }
    [[nodiscard]] std::size_t size() const noexcept { return plans_.size(); }
    /// The graph after the gear-independent passes (symbolic shapes).
    [[nodiscard]] const graph_type& generic_graph() const noexcept { return *generic_; }
    [[nodiscard]] const std::map<std::string, std::size_t, std::less<>>& generic_stats() const noexcept { return generic_stats_; }
    [[nodiscard]] double generic_ms() const noexcept { return generic_ms_; }
    [[nodiscard]] double total_ms() const noexcept { return total_ms_; }

    /// Bytes of constant data held by all plans together, each distinct buffer counted once: with weights
    /// shared this is the weights once plus each gear's small folded shape constants.
    [[nodiscard]] std::size_t weight_bytes() const {
        std::unordered_set<const std::byte*> seen;
        std::size_t total = 0;
        auto add = [&](const graph_type& g) {
            for (const auto* v : g.initializers()) {
                const auto& b = v->initializer()->data();
                if (b.size() && seen.insert(b.data()).second) total += b.size();
            }
        };
        for (const auto& p : plans_) add(*p.graph);
        return total;
    }

private:
    friend struct detail::compiling::access;

    std::shared_ptr<const graph_type> generic_;
    gear_set gears_;
    std::vector<plan_type> plans_;
    std::map<std::string, std::size_t, std::less<>> generic_stats_;
    double generic_ms_ = 0;
    double total_ms_ = 0;
};

using gear_plan = basic_gear_plan<default_ir_traits>;
using compiled_model = basic_compiled_model<default_ir_traits>;

namespace detail::compiling {

inline double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

template <class Traits>
std::int64_t opset_of(const basic_graph<Traits>& g) {
    auto it = g.info().opset_imports.find("");
    if (it == g.info().opset_imports.end()) it = g.info().opset_imports.find("ai.onnx");
    return it == g.info().opset_imports.end() ? 17 : it->second;
}

/// compile()'s write access to a compiled model under construction.
struct access {
    template <class M>
    static auto& generic(M& m) { return m.generic_; }
    template <class M>
    static auto& gears(M& m) { return m.gears_; }
    template <class M>
    static auto& plans(M& m) { return m.plans_; }
    template <class M>
    static auto& generic_stats(M& m) { return m.generic_stats_; }
    template <class M>
    static auto& generic_ms(M& m) { return m.generic_ms_; }
    template <class M>
    static auto& total_ms(M& m) { return m.total_ms_; }
};

/// Operators that only compute shapes: none may remain in a static gear.
inline bool is_shape_op(std::string_view op) { return op == "Shape" || op == "Size"; }

/// GC4004 when a static gear graph still has a dynamic shape, a shape operator, or a node that only
/// computes from constants (shape arithmetic that did not fold).
template <class Traits>
void check_static(const basic_graph<Traits>& g, const gear& gr, std::size_t max_fold_bytes) {
    auto fail = [&](const std::string& what) {
        throw compile_error(errc::not_static,
                            "gear [" + std::to_string(gr.index) + "] is not fully static after specialisation: " + what,
                            "This is a gearc limitation for this model; compile with a range gear (a~b in --input_shape) "
                            "as a fallback and report the model.");
    };
    for (const auto& n : g.nodes()) {
        if (is_shape_op(n.op_type())) fail(n.describe() + " is left (its input shape is not static)");
        // a node computing only from constants that the folder can evaluate should have been folded
        bool all_const = n.num_inputs() > 0 && passes::can_evaluate(n.domain(), n.op_type());
        for (auto* in : n.inputs())
            if (in && !in->name().empty() && !in->is_initializer()) all_const = false;
        if (all_const) {
            std::size_t bytes = 0;
            for (auto* o : n.outputs())
                if (o && o->type().has_shape())
                    if (auto ne = o->type().dims->numel()) bytes += static_cast<std::size_t>(*ne) * size_of(o->type().elem);
            if (bytes <= max_fold_bytes) fail(n.describe() + " computes only from constants but was not folded");
        }
        for (auto* o : n.outputs()) {
            if (!o || o->name().empty()) continue;
            if (!o->type().has_shape() || !o->type().dims->is_static())
                fail("value '" + std::string(o->name()) + "' (output of " + n.describe() + ") has shape " + o->type().to_string());
        }
    }
}

/// Gives the graph inputs the gear's shapes.
template <class Traits>
void set_gear_inputs(basic_graph<Traits>& g, const gear& gr) {
    for (auto* v : g.inputs()) {
        if (v->is_initializer()) continue;
        if (const auto* s = gr.find(v->name())) {
            auto t = v->type();
            t.dims = *s;
            v->set_type(std::move(t));
        }
    }
}

}  // namespace detail::compiling

/// The per-gear half of compile(), on an already optimised generic graph.
template <class GenericPipeline, class GearPipeline, class Traits>
basic_compiled_model<Traits> compile_generic(std::shared_ptr<const basic_graph<Traits>> generic, const gear_set& gears,
                                             const compile_options& options,
                                             std::map<std::string, std::size_t, std::less<>> generic_stats, double generic_ms) {
    using namespace detail::compiling;
    const auto t0 = std::chrono::steady_clock::now();
    basic_compiled_model<Traits> out;
    access::generic(out) = generic;
    access::gears(out) = gears;
    access::generic_stats(out) = std::move(generic_stats);
    access::generic_ms(out) = generic_ms;
    auto& plans = access::plans(out);
    plans.resize(gears.size());

    const std::int64_t opset = opset_of(*generic);
    auto compile_one = [&](std::size_t i) {
        const auto tg = std::chrono::steady_clock::now();
        const gear& gr = gears[i];
        auto& plan = plans[i];
        plan.info = gr;
        auto g = std::shared_ptr<basic_graph<Traits>>(generic->clone());
        set_gear_inputs(*g, gr);
        pass_context ctx;
        ctx.opset = opset;
        ctx.bindings = gr.bindings;
        ctx.specialising = true;
        ctx.disabled_fusions = options.disabled_fusions;
        ctx.max_fold_bytes = options.gear_max_fold_bytes;
        GearPipeline{}.run(*g, ctx);
        // whatever the pipeline did, shapes must be inferred and shape arithmetic folded before planning
        fixed_point<pipeline<passes::fold_constants, passes::eliminate_dead_code, passes::infer_shapes>, 8>{}.run(*g, ctx);
        if (options.verify) verify_or_throw(*g);
        plan.bounded_dynamic = !gr.is_static();
        if (!plan.bounded_dynamic) check_static(*g, gr, options.gear_max_fold_bytes);
        try {
            plan.memory = passes::plan_memory(*g, options.memory);
        } catch (const compile_error& e) {
            if (!plan.bounded_dynamic || e.code() != errc::not_static) throw;
            plan.dynamic_memory = true;  // sizes without a bound: the run time allocates per run
        }
        plan.stats = std::move(ctx.stats);
        plan.graph = std::move(g);
        plan.compile_ms = ms_since(tg);
    };

    std::size_t threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = std::min(threads, gears.size());
    std::atomic<std::size_t> next{0};
    std::mutex mu;
    std::size_t done = 0;
    std::exception_ptr first_error;
    std::size_t first_error_gear = 0;
    auto worker = [&] {
        for (;;) {
            const std::size_t i = next.fetch_add(1);
            if (i >= gears.size()) return;
            {
                std::lock_guard lock(mu);
                if (first_error) return;
            }
            try {
                compile_one(i);
            } catch (...) {
                std::lock_guard lock(mu);
                if (!first_error || i < first_error_gear) {
                    first_error = std::current_exception();
                    first_error_gear = i;
                }
                return;
            }
            std::lock_guard lock(mu);
            ++done;
            if (options.progress) options.progress(done, gears.size());
        }
    };
    if (threads <= 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
        for (auto& th : pool) th.join();
    }
    if (first_error) {
        try {
            std::rethrow_exception(first_error);
        } catch (const error& e) {
            // say which gear failed, keep the code
            std::string shapes;
            for (const auto& [name, sh] : gears[first_error_gear].shapes)
                shapes += (shapes.empty() ? "" : ";") + name + ":" + sh.to_string();
            throw compile_error(e.code(), "gear [" + std::to_string(first_error_gear) + "] (inputs " + shapes + "): " + e.message(),
                                e.solution());
        }
    }
    access::total_ms(out) = generic_ms + ms_since(t0);
    return out;
}

/// Compiles `g` for every gear of `gears`: checks that every operator is supported (GC4001, all listed),
/// runs `GenericPipeline` once on a copy of the graph (weights are shared, never copied), then for each gear
/// (in parallel on `options.threads`) binds the inputs to the gear's shapes, runs `GearPipeline`, folds all
/// shape arithmetic, checks the result is static (GC4004) and plans memory.
template <class GenericPipeline = default_pipeline, class GearPipeline = default_gear_pipeline, class Traits>
basic_compiled_model<Traits> compile_with(const basic_graph<Traits>& g, const gear_set& gears, const compile_options& options = {}) {
    using namespace detail::compiling;
    const auto t0 = std::chrono::steady_clock::now();
    if (gears.empty())
        throw compile_error(errc::not_static, "compile() needs at least one gear",
                            "Make the gear set with make_gear_set(graph, options).");
    passes::check_supported(g);
    auto generic = std::shared_ptr<basic_graph<Traits>>(g.clone());
    pass_context ctx;
    ctx.opset = opset_of(g);
    ctx.disabled_fusions = options.disabled_fusions;
    ctx.max_fold_bytes = options.max_fold_bytes;
    GenericPipeline{}.run(*generic, ctx);
    if (options.verify) verify_or_throw(*generic);
    return compile_generic<GenericPipeline, GearPipeline, Traits>(std::move(generic), gears, options, std::move(ctx.stats),
                                                                  ms_since(t0));
}

/// compile() with the default pipelines; `compile<MyPipeline>(g, gears)` swaps the gear-independent passes.
template <class GenericPipeline = default_pipeline, class GearPipeline = default_gear_pipeline, class Traits>
basic_compiled_model<Traits> compile(const basic_graph<Traits>& g, const gear_set& gears, const compile_options& options = {}) {
    return compile_with<GenericPipeline, GearPipeline, Traits>(g, gears, options);
}

GEARC_END_NAMESPACE
