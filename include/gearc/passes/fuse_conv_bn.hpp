// Conv/ConvTranspose + BatchNormalization fusion: the normalisation folded into the convolution's weights and bias.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/cleanup.hpp>
#include <gearc/passes/pass.hpp>
#include <gearc/tensor.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

/// "ConvBatchNormFusion": Conv(X, W[, B]) followed by an inference BatchNormalization(scale, beta, mean,
/// var, epsilon) becomes one Conv with W' = W * s and B' = (B - mean) * s + beta, s = scale / sqrt(var +
/// eps), per output channel. W, B and the BatchNormalization parameters must be constants (float32 or
/// float64; the new weights keep W's type), and nothing but the BatchNormalization may read the Conv's
/// output. ConvTranspose is fused the same way (its output channels are dim 1 of W, per group).
struct fuse_conv_bn {
    static constexpr std::string_view name = "fuse_conv_bn";
    static constexpr std::string_view fusion = "ConvBatchNormFusion";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        if (!ctx.fusion_enabled(fusion)) return false;
        detail::rewrite::rewriter<Traits> rw(g);
        std::size_t conv = 0, deconv = 0;
        for (auto* bn : g.node_list()) {
            if (rw.removed(bn) || !detail::rewrite::is_op(bn, "BatchNormalization")) continue;
            if (auto transposed = fuse_one(rw, *bn)) ++(*transposed ? deconv : conv);
        }
        ctx.count("fuse_conv_bn.conv", conv);
        ctx.count("fuse_conv_bn.conv_transpose", deconv);
        return conv + deconv > 0;
    }

private:
    /// Fuses the convolution feeding `bn` into it; nullopt when the pattern does not apply, else whether
    /// it was a ConvTranspose.
    template <class Traits>
    static std::optional<bool> fuse_one(detail::rewrite::rewriter<Traits>& rw, basic_node<Traits>& bn) {
        namespace r = detail::rewrite;
        // BatchNormalization in inference mode, computing only Y (its node becomes the Conv)
        for (std::size_t i = 1; i < bn.num_outputs(); ++i)
            if (bn.output(i)) return std::nullopt;
        if (bn.template attr_or<std::int64_t>("training_mode", 0) != 0) return std::nullopt;
        if (bn.template attr_or<std::int64_t>("spatial", 1) == 0) return std::nullopt;  // opset < 9: per element
        if (bn.template attr_or<std::int64_t>("is_test", 1) == 0) return std::nullopt;  // opset < 7
        auto* y = r::given_input(bn, 0);
        auto* conv = y ? y->producer() : nullptr;
        const bool transposed = r::is_op(conv, "ConvTranspose");
        if (!transposed && !r::is_op(conv, "Conv")) return std::nullopt;
        if (conv->num_outputs() != 1 || rw.sole_user(y) != &bn) return std::nullopt;
        for (std::size_t i = 1; i < bn.num_inputs(); ++i)
            if (bn.input(i) == y) return std::nullopt;

        auto* x = r::given_input(*conv, 0);
        auto w = r::constant_of(r::given_input(*conv, 1));
        if (!x || !w || (w->type() != dtype::float32 && w->type() != dtype::float64) || w->sizes().size() < 3) return std::nullopt;
        const auto& ws = w->sizes();
        const std::int64_t group = conv->template attr_or<std::int64_t>("group", 1);
        if (group < 1) return std::nullopt;
        std::int64_t channels = ws[0];
        if (transposed) {
            if (ws[0] % group != 0) return std::nullopt;
            channels = ws[1] * group;
        }
        if (channels < 1) return std::nullopt;
        const auto m = static_cast<std::size_t>(channels);

        std::vector<double> bias(m, 0.0);
        if (auto* b = r::given_input(*conv, 2)) {
            auto bt = r::constant_of(b);
            auto bv = bt ? r::to_doubles(*bt) : std::nullopt;
            if (!bv || bv->size() != m) return std::nullopt;
            bias = *bv;
        }
        std::vector<double> params[4];  // scale, beta, mean, var
        for (std::size_t i = 0; i < 4; ++i) {
            auto t = r::constant_of(r::given_input(bn, i + 1));
            auto v = t ? r::to_doubles(*t) : std::nullopt;
            if (!v || v->size() != m) return std::nullopt;
            params[i] = std::move(*v);
        }
        const double eps = bn.template attr_or<float>("epsilon", 1e-5f);

        std::vector<double> s(m);
        for (std::size_t c = 0; c < m; ++c) {
            s[c] = params[0][c] / std::sqrt(params[3][c] + eps);
            bias[c] = (bias[c] - params[2][c]) * s[c] + params[1][c];
        }
        auto wv = *r::to_doubles(*w);
        if (!transposed) {
            const std::size_t per = wv.size() / m;  // [M, C/group, k...]: one row per output channel
            for (std::size_t i = 0; i < wv.size(); ++i) wv[i] *= s[i / per];
        } else {
            // [C_in, M/group, k...]: input channel c belongs to group c / (C_in/group), whose output
            // channels are group*M/group + j
            const auto c_in = static_cast<std::size_t>(ws[0]);
            const auto per_group_out = static_cast<std::size_t>(ws[1]);
            const std::size_t per_group_in = c_in / static_cast<std::size_t>(group);
            const std::size_t inner = wv.size() / (c_in * per_group_out);
            for (std::size_t c = 0; c < c_in; ++c)
                for (std::size_t j = 0; j < per_group_out; ++j) {
                    const double f = s[(c / per_group_in) * per_group_out + j];
                    for (std::size_t k = 0; k < inner; ++k) wv[(c * per_group_out + j) * inner + k] *= f;
                }
        }

        auto* w_in = conv->input(1);
        auto* new_w = rw.add_constant(std::string(w_in->name()) + "_bn", r::make_float_tensor(w->type(), ws, wv));
        auto* new_b = rw.add_constant(std::string(bn.name().empty() ? w_in->name() : bn.name()) + "_bias",
                                      r::make_float_tensor(w->type(), {channels}, bias));
        const std::string conv_name(conv->name());
        rw.fuse(bn, conv->op_type(), conv->domain(), {x, new_w, new_b}, conv->attributes(), {conv}, conv_name);
        return transposed;
    }
};

}  // namespace passes

GEARC_END_NAMESPACE
