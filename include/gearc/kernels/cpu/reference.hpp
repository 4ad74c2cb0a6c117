// The general CPU kernel: gearc's reference evaluator (passes/evaluate.hpp) run on arena tensors. Every
// operator the evaluator knows runs, in every dtype it covers; faster kernels are registered before it.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/kernels/kernel.hpp>
#include <gearc/passes/evaluate.hpp>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string_view>
#include <limits>
#include <memory>
#include <string>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace kernels::cpu {

/// Runs passes::evaluate() on the node: slow, but exact and complete for the evaluator's operators.
class reference_kernel final : public op_kernel {
public:
    reference_kernel(const node& n, std::int64_t opset) : n_(&n), opset_(opset) {}

    void run(std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context&) const override {
        std::vector<tensor> ts;
        ts.reserve(in.size());
        std::vector<const tensor*> ptrs;
        for (const auto& r : in) {
            if (!r.data && r.type == dtype::undefined) {
                ptrs.push_back(nullptr);
                continue;
            }
            // a view of the arena: no copy, no ownership
            ts.emplace_back(r.type, std::vector<std::int64_t>(r.sizes.begin(), r.sizes.end()),
                            buffer(std::shared_ptr<const void>(), r.data, r.bytes()));
            ptrs.push_back(&ts.back());
        }
        auto res = passes::evaluate(*n_, ptrs, opset_, std::numeric_limits<std::size_t>::max());
        if (!res || res->size() < out.size())
            throw compile_error(errc::unsupported_operator, "the reference kernel cannot evaluate " + n_->describe(),
                                "This operator/dtype combination has no CPU kernel yet.");
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (!out[i].data) continue;
            const auto& t = (*res)[i];
            if (t.nbytes() != out[i].bytes() || t.type() != out[i].type)
                throw compile_error(errc::shape_inference,
                                    n_->describe() + ": output " + std::to_string(i) + " is " + t.get_shape().to_string() +
                                        " but the plan expects " + shape::of(std::vector<std::int64_t>(out[i].sizes.begin(), out[i].sizes.end())).to_string(),
                                    "Report this model: gearc's shape inference and its evaluator disagree.");
            if (t.nbytes()) std::memcpy(out[i].data, t.data().data(), t.nbytes());
        }
    }
    [[nodiscard]] std::string name() const override { return "reference"; }

private:
    const node* n_;
    std::int64_t opset_;
};

/// Whether the evaluator computes the node's dtypes: bfloat16 results only where no rounding to bfloat16 is
/// involved (data movement), as passes/evaluate.hpp promises.
[[nodiscard]] inline bool reference_covers(const prepare_args& a) {
    static constexpr std::string_view movers[] = {"Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose",
                                                  "Concat",   "Split",   "Slice",   "Gather",  "GatherElements", "Expand",
                                                  "Tile",     "Shape",   "Size",    "Constant", "Where"};
    for (const auto& o : a.outputs)
        if (o.elem == dtype::bfloat16 && std::find(std::begin(movers), std::end(movers), a.op()) == std::end(movers)) return false;
    for (const auto& i : a.inputs)
        if (i.elem == dtype::string || i.elem == dtype::complex64 || i.elem == dtype::complex128) return false;
    return true;
}

/// Registers the reference kernel for every operator the evaluator knows (call last: it is the fallback).
inline void register_reference(kernel_table& t) {
    for (auto op : passes::evaluated_ops)
        t.add("", std::string(op), [](const prepare_args& a) -> std::unique_ptr<op_kernel> {
            if (!reference_covers(a)) return nullptr;
            return std::make_unique<reference_kernel>(*a.n, a.opset);
        });
}

}  // namespace kernels::cpu

GEARC_END_NAMESPACE
