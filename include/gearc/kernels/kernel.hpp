// The kernel interface: a kernel is prepared once per node of a static gear graph, then run on tensors in place.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/device/thread_pool.hpp>
#include <gearc/dtype.hpp>
#include <gearc/error.hpp>
#include <gearc/graph.hpp>
#include <gearc/node.hpp>
#include <gearc/tensor.hpp>
#include <gearc/value_type.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace kernels {

/// A tensor as a kernel sees it: a dtype, static sizes and memory (in the arena, in the caller's input, or in
/// the weights: kernels never write to inputs).
struct tensor_ref {
    dtype type = dtype::undefined;
    std::span<const std::int64_t> sizes;
    std::byte* data = nullptr;

    [[nodiscard]] std::int64_t numel() const noexcept {
        std::int64_t n = 1;
        for (auto s : sizes) n *= s;
        return n;
    }
    [[nodiscard]] std::size_t bytes() const noexcept { return static_cast<std::size_t>(numel()) * size_of(type); }
    [[nodiscard]] std::size_t rank() const noexcept { return sizes.size(); }
    template <class T>
    [[nodiscard]] T* as() const noexcept {
        return reinterpret_cast<T*>(data);
    }
};

/// What a kernel may use while it runs: the thread pool and a scratch buffer of the size it asked for.
struct exec_context {
    thread_pool* pool = nullptr;
    std::byte* scratch = nullptr;      ///< at least op_kernel::scratch_bytes(), 64-byte aligned
    std::size_t scratch_size = 0;
};

/// Everything known about a node when its kernel is chosen: the gear makes every shape static.
struct prepare_args {
    const node* n = nullptr;
    std::vector<value_type> inputs;          ///< static types; an absent optional input has dtype undefined
    std::vector<const tensor*> constants;    ///< per input: the data when it is a weight (initializer), else nullptr
    std::vector<value_type> outputs;         ///< static types
    std::int64_t opset = 17;
    std::size_t threads = 1;                 ///< threads the kernel will get

    [[nodiscard]] std::string_view op() const { return n->op_type(); }
    [[nodiscard]] std::string_view domain() const { return n->domain(); }
    [[nodiscard]] dtype input_type(std::size_t i) const { return i < inputs.size() ? inputs[i].elem : dtype::undefined; }
    [[nodiscard]] bool has_input(std::size_t i) const { return i < inputs.size() && inputs[i].elem != dtype::undefined; }
    /// The static sizes of input i (precondition: has_input(i)).
    [[nodiscard]] std::vector<std::int64_t> input_sizes(std::size_t i) const { return inputs.at(i).dims->sizes(); }
    [[nodiscard]] std::vector<std::int64_t> output_sizes(std::size_t i) const { return outputs.at(i).dims->sizes(); }
};

/// A kernel prepared for one node of one gear. run() is const: one prepared model serves many sessions at
/// once, each with its own arena and scratch.
class op_kernel {
public:
    virtual ~op_kernel() = default;
    /// Computes the outputs from the inputs (absent optional inputs have data == nullptr).
    virtual void run(std::span<const tensor_ref> inputs, std::span<const tensor_ref> outputs, exec_context& ctx) const = 0;
    /// Scratch memory run() needs.
    [[nodiscard]] virtual std::size_t scratch_bytes() const { return 0; }
    /// What was chosen, for profiles and reports, e.g. "conv.im2col_gemm".
    [[nodiscard]] virtual std::string name() const = 0;
};

/// Makes a kernel for a node, or returns nullptr when it does not handle this case (dtype, attributes):
/// the table then asks the next factory for the operator.
using kernel_factory = std::function<std::unique_ptr<op_kernel>(const prepare_args&)>;

/// The kernels of one device: per operator, factories tried in order (fast ones first, general ones last).
class kernel_table {
public:
    /// Adds a factory for (domain, op); "" is the ONNX domain.
    void add(std::string domain, std::string op, kernel_factory f) {
        if (domain == "ai.onnx") domain.clear();
        table_[{std::move(domain), std::move(op)}].push_back(std::move(f));
    }
    /// Whether any factory is registered for the operator.
    [[nodiscard]] bool knows(std::string_view domain, std::string_view op) const {
        return table_.count({std::string(domain == "ai.onnx" ? std::string_view() : domain), std::string(op)}) != 0;
    }
    /// The first kernel a factory makes for the node, or nullptr.
    [[nodiscard]] std::unique_ptr<op_kernel> make(const prepare_args& a) const {
        auto d = a.domain() == "ai.onnx" ? std::string_view() : a.domain();
        auto it = table_.find({std::string(d), std::string(a.op())});
        if (it == table_.end()) return nullptr;
        for (const auto& f : it->second)
            if (auto k = f(a)) return k;
        return nullptr;
    }
    /// Every registered operator, as "op" or "domain::op".
    [[nodiscard]] std::vector<std::string> operators() const {
        std::vector<std::string> out;
        for (const auto& [k, v] : table_) out.push_back(k.first.empty() ? k.second : k.first + "::" + k.second);
        return out;
    }

private:
    std::map<std::pair<std::string, std::string>, std::vector<kernel_factory>> table_;
};

/// A kernel from a callable that needs no preparation: run(inputs, outputs, ctx).
template <class F>
class lambda_kernel final : public op_kernel {
public:
    lambda_kernel(std::string name, F f, std::size_t scratch = 0) : name_(std::move(name)), f_(std::move(f)), scratch_(scratch) {}
    void run(std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) const override { f_(in, out, ctx); }
    [[nodiscard]] std::size_t scratch_bytes() const override { return scratch_; }
    [[nodiscard]] std::string name() const override { return name_; }

private:
    std::string name_;
    F f_;
    std::size_t scratch_;
};

template <class F>
[[nodiscard]] std::unique_ptr<op_kernel> make_kernel(std::string name, F f, std::size_t scratch = 0) {
    return std::make_unique<lambda_kernel<F>>(std::move(name), std::move(f), scratch);
}

template <class>
inline constexpr bool dependent_false = false;

/// The kernels of a device. The primary template is deliberately not implemented: a device without kernels
/// fails to compile here, with what to do.
template <class Device>
struct device_kernels {
    static_assert(dependent_false<Device>,
                  "gearc: no kernels are registered for this device. Specialise gearc::kernels::device_kernels<Device> "
                  "with `static const kernel_table& table();` (see include/gearc/kernels/cpu_kernels.hpp), or run on "
                  "gearc::device::cpu.");
};

/// An operator name as a template argument: `has_kernel_v<device::cpu, "Conv", float>`.
template <std::size_t N>
struct op_name {
    char chars[N]{};
    constexpr op_name(const char (&s)[N]) noexcept {  // NOLINT(google-explicit-constructor): used as "Conv"
        for (std::size_t i = 0; i < N; ++i) chars[i] = s[i];
    }
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

/// Whether `Device` promises a kernel for ONNX operator `Op` whose first input has element type `T`, known
/// at compile time (device_kernels<Device>::covers). A pair that is not promised may still run, found when
/// the model is prepared; a promised one always does.
template <class Device, op_name Op, class T>
inline constexpr bool has_kernel_v = device_kernels<Device>::covers("", Op.view(), dtype_of<T>::value);

/// Fails to compile, naming the device, the operator and the type in the error's template arguments, when
/// `Device` has no kernel for `Op` on one of `Ts`: for code that builds graphs of known operators and types.
template <class Device, op_name Op, class... Ts>
constexpr void require_kernel() noexcept {
    static_assert((has_kernel_v<Device, Op, Ts> && ...),
                  "gearc: this device has no kernel for this operator on this element type (the operator and type "
                  "are the template arguments of require_kernel above). Use another element type (float32 covers "
                  "every operator on device::cpu), or add a kernel in include/gearc/kernels/ and list it in the "
                  "device's coverage.");
}

}  // namespace kernels

GEARC_END_NAMESPACE
