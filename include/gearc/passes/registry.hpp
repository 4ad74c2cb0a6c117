// Passes by name, for pipelines chosen at run time ("infer_shapes,fold_constants,eliminate_dead_code").
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/passes/cancel_transposes.hpp>
#include <gearc/passes/cleanup.hpp>
#include <gearc/passes/fold_constants.hpp>
#include <gearc/passes/fuse_activation.hpp>
#include <gearc/passes/fuse_conv_bn.hpp>
#include <gearc/passes/fuse_patterns.hpp>
#include <gearc/passes/infer_shapes.hpp>
#include <gearc/passes/pass.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

namespace detail {
template <class G, class... Ps>
struct pass_list {
    static std::vector<std::string_view> names() { return {pass_name<Ps>()...}; }
    static bool add(basic_pass_manager<G>& pm, std::string_view name) {
        return ((pass_name<Ps>() == name ? (pm.template add<Ps>(), true) : false) || ...);
    }
};
template <class G>
using known_passes = pass_list<G, infer_shapes, remove_identity, fold_constants, eliminate_dead_code,
                               eliminate_common_subexpressions, cancel_transposes, fuse_conv_bn, fuse_layer_norm, fuse_gelu,
                               fuse_matmul_add, fuse_bias_activation>;
}  // namespace detail

/// The names make_pass_manager knows, in the order the default pipeline runs them.
[[nodiscard]] inline std::vector<std::string_view> pass_names() { return detail::known_passes<graph>::names(); }

/// A pass manager from a comma-separated list of pass names; an unknown name is E10001 listing the known ones.
template <class G = graph>
[[nodiscard]] basic_pass_manager<G> make_pass_manager(std::string_view list) {
    basic_pass_manager<G> pm;
    std::size_t pos = 0;
    while (pos <= list.size()) {
        auto end = list.find(',', pos);
        if (end == std::string_view::npos) end = list.size();
        auto name = list.substr(pos, end - pos);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (!name.empty() && !detail::known_passes<G>::add(pm, name)) {
            std::string known;
            for (auto n : detail::known_passes<G>::names()) known += (known.empty() ? "" : ", ") + std::string(n);
            throw option_error(errc::invalid_value, "unknown pass [" + std::string(name) + "] in the pass list [" + std::string(list) + "]",
                               "Use the names of gearc's passes: " + known + ".");
        }
        pos = end + 1;
    }
    return pm;
}

}  // namespace passes

GEARC_END_NAMESPACE
