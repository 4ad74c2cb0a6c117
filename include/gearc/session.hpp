// session: runs a compiled model on a device. Kernels are prepared once per model (prepared_model, shared and
// immutable); each session owns its arena, so many sessions can run one model from different threads.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/compile.hpp>
#include <gearc/device/cpu.hpp>
#include <gearc/device/thread_pool.hpp>
#include <gearc/error.hpp>
#include <gearc/gear_set.hpp>
#include <gearc/kernels/cpu_kernels.hpp>
#include <gearc/kernels/kernel.hpp>
#include <gearc/tensor.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// How a session picks the gear for the inputs it is given.
enum class gear_policy : std::uint8_t {
    exact,  ///< the inputs must have one gear's shapes exactly
    pad     ///< else the smallest gear that covers them along the batch axis (axis 0): rows are zero-padded,
            ///< outputs cropped; a batch above the largest gear runs in several pieces
};

struct session_options {
    gear_policy policy = gear_policy::exact;
    /// false (ATC's behaviour): one arena sized for the largest gear, allocated up front. true: the arena
    /// grows to what the gears actually run need, so a process that only runs batch 1 does not pay for 64.
    bool lazy_arena = false;
};

/// Everything that runs the gears of one compiled model on `Device`: one prepared kernel per node per gear.
/// Immutable once built; share it (std::shared_ptr) between sessions.
template <device::device_policy Device = device::cpu>
class prepared_model {
public:
    /// Where a kernel operand lives.
    struct operand {
        enum class where : std::uint8_t { none, arena, input, constant } kind = where::none;
        std::size_t offset = 0;                ///< arena: byte offset; input: index into the gear's inputs
        const std::byte* constant = nullptr;   ///< constant: the weight's bytes
        dtype type = dtype::undefined;
        std::vector<std::int64_t> sizes;
    };
    struct step {
        std::unique_ptr<kernels::op_kernel> kernel;
        std::vector<operand> inputs, outputs;
        std::string node;  ///< for errors and profiles: "Conv 'conv1'"
    };
    struct program {
        std::vector<step> steps;
        std::vector<std::string> input_names;             ///< the gear's inputs in model order
        std::vector<operand> inputs;                      ///< their static types
        std::vector<std::string> output_names;            ///< the model's outputs in order
        std::vector<operand> outputs;
        std::size_t arena_bytes = 0, scratch_bytes = 0;
    };

    /// Prepares a kernel for every node of every gear. GC4006 lists every (operator, dtypes) without a kernel
    /// on this device, all at once; a bounded-dynamic (range) gear is GC4004 (it needs run-time shapes).
    explicit prepared_model(std::shared_ptr<const compiled_model> model, std::size_t threads = 0)
        : model_(std::move(model)), pool_(std::make_shared<thread_pool>(threads)) {
        const auto& table = kernels::device_kernels<Device>::table();
        std::map<std::string, std::vector<std::string>> missing;  // "Op(float32, int64)" -> nodes
        const std::int64_t opset = gearc::detail::compiling::opset_of(model_->generic_graph());
        for (const auto& plan : model_->plans()) {
            if (plan.bounded_dynamic)
                throw compile_error(errc::not_static,
                                    "gear [" + std::to_string(plan.info.index) + "] is bounded-dynamic (a range in --input_shape); "
                                    "sessions run static gears only",
                                    "Give the gears as --dynamic_batch_size, --dynamic_image_size or --dynamic_dims.");
            programs_.push_back(prepare_gear(plan, table, opset, missing));
        }
        if (!missing.empty()) throw_missing(missing);
    }

    [[nodiscard]] const compiled_model& model() const noexcept { return *model_; }
    [[nodiscard]] const gear_set& gears() const noexcept { return model_->gears(); }
    [[nodiscard]] const program& gear_program(std::size_t g) const { return programs_.at(g); }
    [[nodiscard]] thread_pool& pool() const noexcept { return *pool_; }
    /// The arena the largest gear needs.
    [[nodiscard]] std::size_t max_arena_bytes() const noexcept {
        std::size_t m = 0;
        for (const auto& p : programs_) m = std::max(m, p.arena_bytes);
        return m;
    }
    [[nodiscard]] std::size_t max_scratch_bytes() const noexcept {
        std::size_t m = 0;
        for (const auto& p : programs_) m = std::max(m, p.scratch_bytes);
        return m;
    }

private:
    [[noreturn]] static void throw_missing(const std::map<std::string, std::vector<std::string>>& missing) {
        std::string msg = "no " + std::string(Device::name) + " kernel for:";
        for (const auto& [op, nodes] : missing) {
            msg += " " + op + " (" + nodes.front();
            if (nodes.size() > 1) msg += " and " + std::to_string(nodes.size() - 1) + " more";
            msg += ");";
        }
        msg.pop_back();
        throw compile_error(errc::missing_kernel, msg,
                            "These operators or dtypes have no kernel on this device yet; export the model with other "
                            "operators, or add a kernel (include/gearc/kernels/).");
    }

    static operand typed(const value& v) {
        operand o;
        o.type = v.type().elem;
        if (v.type().dims && v.type().dims->is_static()) o.sizes = v.type().dims->sizes();
        return o;
    }

    program prepare_gear(const gear_plan& plan, const kernels::kernel_table& table, std::int64_t opset,
                         std::map<std::string, std::vector<std::string>>& missing) {
        const graph& g = *plan.graph;
        program p;
        p.arena_bytes = plan.memory.arena_bytes;
        std::map<std::string, std::size_t, std::less<>> input_index;
        for (const auto* v : g.inputs()) {
            if (v->is_initializer()) continue;
            input_index[std::string(v->name())] = p.input_names.size();
            p.input_names.emplace_back(v->name());
            p.inputs.push_back(typed(*v));
        }
        std::map<std::string_view, const passes::memory_slot*> slots;
        for (const auto& s : plan.memory.slots) slots[s.value] = &s;
        auto place = [&](const value* v) {
            if (!v || v->name().empty()) return operand{};
            operand o = typed(*v);
            if (v->is_initializer()) {
                o.kind = operand::where::constant;
                o.constant = v->initializer()->data().data();
                o.sizes = v->initializer()->sizes();
            } else if (auto it = input_index.find(v->name()); it != input_index.end()) {
                o.kind = operand::where::input;
                o.offset = it->second;
            } else if (auto s = slots.find(v->name()); s != slots.end()) {
                o.kind = operand::where::arena;
                o.offset = s->second->offset;
            } else {
                throw compile_error(errc::missing_kernel, "value '" + std::string(v->name()) + "' has no place in gear [" +
                                                              std::to_string(plan.info.index) + "]'s memory plan",
                                    "Report this model: the memory plan and the graph disagree.");
            }
            return o;
        };
        const std::size_t threads = pool_->size();
        for (const auto* n : g.topological_order()) {
            kernels::prepare_args a;
            a.n = n;
            a.opset = opset;
            a.threads = threads;
            step st;
            st.node = n->describe();
            for (std::size_t i = 0; i < n->num_inputs(); ++i) {
                const value* v = n->input(i);
                const bool given = v && !v->name().empty();
                a.inputs.push_back(given ? v->type() : value_type{});
                a.constants.push_back(given && v->is_initializer() ? &*v->initializer() : nullptr);
                st.inputs.push_back(place(given ? v : nullptr));
            }
            for (std::size_t i = 0; i < n->num_outputs(); ++i) {
                const value* v = n->output(i);
                const bool given = v && !v->name().empty();
                a.outputs.push_back(given ? v->type() : value_type{});
                st.outputs.push_back(place(given ? v : nullptr));
            }
            st.kernel = table.make(a);
            if (!st.kernel) {
                std::string key = n->domain().empty() ? std::string(n->op_type()) : std::string(n->domain()) + "::" + std::string(n->op_type());
                std::string types;
                for (const auto& t : a.inputs)
                    if (t.elem != dtype::undefined) types += (types.empty() ? "" : ", ") + std::string(to_string(t.elem));
                std::string who = !n->name().empty() ? std::string(n->name())
                                  : n->num_outputs() && n->output(0) ? "output " + std::string(n->output(0)->name())
                                                                     : std::string("<unnamed>");
                missing[key + "(" + types + ")"].push_back("'" + who + "'");
                continue;
            }
            p.scratch_bytes = std::max(p.scratch_bytes, st.kernel->scratch_bytes());
            p.steps.push_back(std::move(st));
        }
        for (const auto* v : g.outputs()) {
            p.output_names.emplace_back(v->name());
            p.outputs.push_back(place(v));
        }
        return p;
    }

    std::shared_ptr<const compiled_model> model_;
    std::shared_ptr<thread_pool> pool_;
    std::vector<program> programs_;
};

/// Runs a prepared model: inputs and outputs by name, the gear chosen from the input shapes (or set
/// explicitly, as ACL's aclmdlSetDynamicBatchSize / SetDynamicHWSize / SetInputDynamicDims do).
/// A session is not thread-safe; create one per thread (they share the prepared model).
template <device::device_policy Device = device::cpu>
class basic_session {
public:
    using tensor_map = std::map<std::string, tensor, std::less<>>;

    explicit basic_session(std::shared_ptr<const prepared_model<Device>> prepared, session_options options = {})
        : prepared_(std::move(prepared)), options_(options) {
        if (!options_.lazy_arena) reserve(prepared_->max_arena_bytes(), prepared_->max_scratch_bytes());
    }
    /// Prepares the model for this session alone.
    explicit basic_session(const compiled_model& model, session_options options = {}, std::size_t threads = 0)
        : basic_session(std::make_shared<prepared_model<Device>>(std::make_shared<compiled_model>(model), threads), options) {}
    basic_session(const basic_session&) = delete;
    basic_session& operator=(const basic_session&) = delete;
    ~basic_session() {
        Device::deallocate(arena_);
        Device::deallocate(scratch_);
    }

    [[nodiscard]] const gear_set& gears() const noexcept { return prepared_->gears(); }
    /// The input names and static shapes of gear g, in model order.
    [[nodiscard]] std::vector<std::pair<std::string, std::vector<std::int64_t>>> input_shapes(std::size_t g) const {
        const auto& p = prepared_->gear_program(g);
        std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
        for (std::size_t i = 0; i < p.inputs.size(); ++i) out.emplace_back(p.input_names[i], p.inputs[i].sizes);
        return out;
    }
    /// The output names and static shapes of gear g, in model order.
    [[nodiscard]] std::vector<std::pair<std::string, std::vector<std::int64_t>>> output_shapes(std::size_t g) const {
        const auto& p = prepared_->gear_program(g);
        std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
        for (std::size_t i = 0; i < p.outputs.size(); ++i) out.emplace_back(p.output_names[i], p.outputs[i].sizes);
        return out;
    }
    /// Bytes this session holds for intermediate tensors (the arena) and kernel scratch.
    [[nodiscard]] std::size_t arena_bytes() const noexcept { return arena_size_; }
    [[nodiscard]] std::size_t scratch_bytes() const noexcept { return scratch_size_; }

    /// One kernel call of the last run, when profiling is on.
    struct step_time {
        std::string node, kernel;
        double ms = 0;
    };
    /// Times every kernel call of each run (off by default: it costs two clock reads per node).
    void set_profiling(bool on) noexcept { profiling_ = on; }
    /// The kernel times of the last run (of its last piece, for a split batch), in execution order.
    [[nodiscard]] const std::vector<step_time>& last_profile() const noexcept { return profile_; }

    // ---- explicit gear selection (ACL style); clear_gear() returns to choosing from the input shapes ----
    void set_batch_size(std::int64_t n) { pin("batch size " + std::to_string(n), {n}); }
    void set_hw(std::int64_t h, std::int64_t w) { pin("height,width " + std::to_string(h) + "," + std::to_string(w), {h, w}); }
    void set_dims(const std::vector<std::int64_t>& dims) {
        std::string s;
        for (auto d : dims) s += (s.empty() ? "" : ",") + std::to_string(d);
        pin("dims " + s, dims);
    }
    void set_gear(std::size_t g) {
        if (g >= gears().size())
            throw run_error(errc::no_gear, "gear [" + std::to_string(g) + "] does not exist: the model has " + std::to_string(gears().size()) + " gears",
                            "Choose a gear from 0 to " + std::to_string(gears().size() - 1) + ".");
        pinned_ = g;
    }
    void clear_gear() noexcept { pinned_.reset(); }
    [[nodiscard]] std::optional<std::size_t> pinned_gear() const noexcept { return pinned_; }

    /// The gear run() would use for inputs of these sizes (exact match, else per the policy); GC6001 when none.
    [[nodiscard]] std::size_t select(const std::map<std::string, std::vector<std::int64_t>, std::less<>>& sizes) const {
        if (pinned_) return *pinned_;
        if (auto g = gears().match(sizes)) return *g;
        if (options_.policy == gear_policy::pad)
            if (auto g = covering_gear(sizes)) return *g;
        throw no_gear_for(sizes);
    }

    /// Runs the model: every input by name (dtype and shape checked), outputs by name. With the pad
    /// policy, inputs with a smaller batch run on a larger gear and a batch larger than every gear runs in pieces.
    [[nodiscard]] tensor_map run(const tensor_map& inputs) {
        auto sizes = check_inputs(inputs);
        if (pinned_) return run_gear(*pinned_, inputs);
        if (auto g = gears().match(sizes)) return run_gear(*g, inputs);
        if (options_.policy == gear_policy::pad) return run_padded(inputs, sizes);
        throw no_gear_for(sizes);
    }

    /// Runs gear g on inputs of exactly its shapes.
    [[nodiscard]] tensor_map run_gear(std::size_t g, const tensor_map& inputs) {
        const auto& p = prepared_->gear_program(g);
        std::vector<const std::byte*> in(p.inputs.size());
        for (std::size_t i = 0; i < p.inputs.size(); ++i) {
            auto it = inputs.find(p.input_names[i]);
            if (it == inputs.end()) throw missing_input(p.input_names[i]);
            const auto& want = p.inputs[i];
            if (it->second.type() != want.type || it->second.sizes() != want.sizes)
                throw run_error(errc::bad_input,
                                "input '" + p.input_names[i] + "' is " + std::string(to_string(it->second.type())) +
                                    shape::of(it->second.sizes()).to_string() + " but gear [" + std::to_string(g) + "] takes " +
                                    std::string(to_string(want.type)) + shape::of(want.sizes).to_string(),
                                "Give the input the gear's shape, or let the session choose the gear from the input shapes (clear_gear(); "
                                "gearc run without --dymBatch, --dymHW or --dymDims).");
            in[i] = it->second.data().data();
        }
        if (arena_size_ < p.arena_bytes || scratch_size_ < p.scratch_bytes)
            reserve(std::max(arena_size_, p.arena_bytes), std::max(scratch_size_, p.scratch_bytes));
        kernels::exec_context ctx{&prepared_->pool(), scratch_, scratch_size_};
        auto ref = [&](const typename prepared_model<Device>::operand& o) {
            kernels::tensor_ref r;
            r.type = o.type;
            r.sizes = o.sizes;
            switch (o.kind) {
                case prepared_model<Device>::operand::where::none: r.type = dtype::undefined; break;
                case prepared_model<Device>::operand::where::arena: r.data = arena_ + o.offset; break;
                case prepared_model<Device>::operand::where::input: r.data = const_cast<std::byte*>(in[o.offset]); break;
                case prepared_model<Device>::operand::where::constant: r.data = const_cast<std::byte*>(o.constant); break;
            }
            return r;
        };
        std::vector<kernels::tensor_ref> ins, outs;
        if (profiling_) profile_.assign(p.steps.size(), {});
        for (std::size_t k = 0; k < p.steps.size(); ++k) {
            const auto& st = p.steps[k];
            ins.clear(), outs.clear();
            for (const auto& o : st.inputs) ins.push_back(ref(o));
            for (const auto& o : st.outputs) outs.push_back(ref(o));
            const auto t0 = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
            try {
                st.kernel->run(ins, outs, ctx);
            } catch (const error& e) {
                throw run_error(e.code(), st.node + " (" + st.kernel->name() + "): " + e.message(), e.solution());
            }
            if (profiling_)
                profile_[k] = {st.node, st.kernel->name(), std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()};
        }
        tensor_map out;
        for (std::size_t i = 0; i < p.outputs.size(); ++i) {
            auto r = ref(p.outputs[i]);
            out.emplace(p.output_names[i], tensor(r.type, p.outputs[i].sizes, buffer::copy_of(r.data, r.bytes())));
        }
        return out;
    }

private:
    void reserve(std::size_t arena, std::size_t scratch) {
        if (arena > arena_size_) {
            Device::deallocate(arena_);
            arena_ = nullptr, arena_size_ = 0;
            arena_ = Device::allocate(arena);
            arena_size_ = arena;
        }
        if (scratch > scratch_size_) {
            Device::deallocate(scratch_);
            scratch_ = nullptr, scratch_size_ = 0;
            scratch_ = Device::allocate(scratch);
            scratch_size_ = scratch;
        }
    }

    [[nodiscard]] static run_error missing_input(const std::string& name) {
        return run_error(errc::bad_input, "input '" + name + "' is missing", "Give every model input by name.");
    }

    std::map<std::string, std::vector<std::int64_t>, std::less<>> check_inputs(const tensor_map& inputs) const {
        std::map<std::string, std::vector<std::int64_t>, std::less<>> sizes;
        for (const auto& [name, t] : inputs) {
            if (std::find(gears().inputs().begin(), gears().inputs().end(), name) == gears().inputs().end())
                throw run_error(errc::bad_input,
                                "the model has no input named '" + name + "'; its inputs are [" +
                                    gearc::detail::opts::join(gears().inputs(), ", ") + "]" +
                                    gearc::detail::opts::did_you_mean(name, gears().inputs()),
                                "Give inputs by the model's input names.");
            sizes[name] = t.sizes();
        }
        for (const auto& name : gears().inputs())
            if (!inputs.count(name)) throw missing_input(name);
        return sizes;
    }

    void pin(const std::string& what, const std::vector<std::int64_t>& profile) {
        if (auto g = gears().find_profile(profile)) {
            pinned_ = *g;
            return;
        }
        std::string list;
        for (const auto& g : gears()) {
            std::string p;
            for (auto v : g.profile) p += (p.empty() ? "" : ",") + std::to_string(v);
            list += (list.empty() ? "" : "; ") + p;
        }
        throw run_error(errc::no_gear, "no gear has " + what + "; the gears' profiles are [" + list + "]",
                        "Choose one of the compiled profiles, or compile the model with this one.");
    }

    [[nodiscard]] run_error no_gear_for(const std::map<std::string, std::vector<std::int64_t>, std::less<>>& sizes) const {
        std::string got;
        for (const auto& [n, s] : sizes) got += (got.empty() ? "" : ";") + n + ":" + shape::of(s).to_string();
        std::string table = gears().to_string();
        return run_error(errc::no_gear,
                         "no gear takes inputs " + got + (options_.policy == gear_policy::pad ? " (even with padding the batch)" : "") +
                             "; the model has " + table,
                         options_.policy == gear_policy::pad ? "Compile the model with a gear for these shapes."
                                                             : "Compile the model with a gear for these shapes, or use the pad policy "
                                                               "(session_options::policy = gear_policy::pad; gearc run --pad) for smaller batches.");
    }

    /// The smallest gear whose inputs equal the given ones except a larger-or-equal axis 0 (one batch for all).
    [[nodiscard]] std::optional<std::size_t> covering_gear(const std::map<std::string, std::vector<std::int64_t>, std::less<>>& sizes,
                                                          bool allow_smaller = false) const {
        std::optional<std::size_t> best;
        std::int64_t best_b = 0;
        for (const auto& g : gears()) {
            std::optional<std::int64_t> gb, nb;
            bool ok = true;
            for (const auto& [name, s] : sizes) {
                const auto* gs = g.find(name);
                if (!gs || !gs->is_static() || gs->rank() != s.size() || s.empty()) {
                    ok = false;
                    break;
                }
                auto want = gs->sizes();
                for (std::size_t a = 1; a < s.size(); ++a) ok = ok && want[a] == s[a];
                if (gb && *gb != want[0]) ok = false;
                if (nb && *nb != s[0]) ok = false;
                gb = want[0], nb = s[0];
                if (!allow_smaller && want[0] < s[0]) ok = false;
                if (!ok) break;
            }
            if (!ok || !gb) continue;
            const bool better = !best || (allow_smaller ? *gb > best_b : *gb < best_b);
            if (better) best = g.index, best_b = *gb;
        }
        return best;
    }

    /// Pads the batch (axis 0) of every input to the covering gear, runs it, crops the outputs; a batch larger
    /// than every gear runs in pieces of the largest gear and the outputs are concatenated.
    tensor_map run_padded(const tensor_map& inputs, const std::map<std::string, std::vector<std::int64_t>, std::less<>>& sizes) {
        const std::int64_t n = sizes.begin()->second.empty() ? 0 : sizes.begin()->second[0];
        std::optional<std::size_t> g = covering_gear(sizes);
        std::int64_t piece = n;
        if (!g) {
            g = covering_gear(sizes, true);  // the largest gear with the same other axes: split
            if (!g) throw no_gear_for(sizes);
            piece = gears()[*g].shapes.begin()->second[0].value();
        }
        const std::int64_t gb = gears()[*g].shapes.begin()->second[0].value();
        std::vector<tensor_map> parts;
        for (std::int64_t start = 0; start < n; start += piece) {
            const std::int64_t rows = std::min(piece, n - start);
            tensor_map chunk;
            for (const auto& [name, t] : inputs) chunk.emplace(name, rows_of(t, start, rows, gb));
            auto out = run_gear(*g, chunk);
            for (auto& [name, t] : out) {
                if (t.sizes().empty() || t.sizes()[0] != gb)
                    throw run_error(errc::no_gear,
                                    "output '" + name + "' of gear [" + std::to_string(*g) + "] is " + t.get_shape().to_string() +
                                        ": its axis 0 is not the batch, so a padded run cannot be cropped",
                                    "Run this model with inputs of a gear's exact shapes (the exact policy).");
                t = rows_of(t, 0, rows, rows);
            }
            parts.push_back(std::move(out));
        }
        if (parts.size() == 1) return std::move(parts.front());
        tensor_map out;
        for (const auto& [name, first] : parts.front()) {
            std::vector<std::byte> bytes;
            std::int64_t total = 0;
            for (const auto& p : parts) {
                const auto& t = p.at(name);
                bytes.insert(bytes.end(), t.data().data(), t.data().data() + t.nbytes());
                total += t.sizes()[0];
            }
            auto s = first.sizes();
            s[0] = total;
            out.emplace(name, tensor(first.type(), s, buffer(std::move(bytes))));
        }
        return out;
    }

    /// Rows [start, start + rows) of t along axis 0, zero-padded to `to` rows.
    [[nodiscard]] static tensor rows_of(const tensor& t, std::int64_t start, std::int64_t rows, std::int64_t to) {
        auto s = t.sizes();
        const std::size_t row = s[0] ? t.nbytes() / static_cast<std::size_t>(s[0]) : 0;
        std::vector<std::byte> bytes(row * static_cast<std::size_t>(to), std::byte{0});
        if (rows > 0) std::memcpy(bytes.data(), t.data().data() + row * static_cast<std::size_t>(start), row * static_cast<std::size_t>(rows));
        s[0] = to;
        return tensor(t.type(), s, buffer(std::move(bytes)));
    }

    std::shared_ptr<const prepared_model<Device>> prepared_;
    session_options options_;
    std::optional<std::size_t> pinned_;
    bool profiling_ = false;
    std::vector<step_time> profile_;
    std::byte* arena_ = nullptr;
    std::size_t arena_size_ = 0;
    std::byte* scratch_ = nullptr;
    std::size_t scratch_size_ = 0;
};

using session = basic_session<device::cpu>;

/// Checks that `Device` has a kernel for every node of every gear of `model`, preparing each once and
/// throwing them away: GC4006 lists every (operator, dtypes) without one, all at once.
template <device::device_policy Device>
void check_kernels(const compiled_model& model) {
    // a non-owning pointer: the check holds the model only while it runs
    const prepared_model<Device> probe(std::shared_ptr<const compiled_model>(std::shared_ptr<const compiled_model>(), &model), 1);
    (void)probe;
}

/// compile() for a device: compiles `g` for every gear, then fails with GC4006 (every missing kernel listed)
/// when `Device` cannot run a node of some gear. `compile(g, gears, {}, gearc::device::cpu{})`.
template <device::device_policy Device>
[[nodiscard]] compiled_model compile(const graph& g, const gear_set& gears, const compile_options& options, Device) {
    compiled_model m = compile(g, gears, options);
    check_kernels<Device>(m);
    return m;
}

GEARC_END_NAMESPACE
