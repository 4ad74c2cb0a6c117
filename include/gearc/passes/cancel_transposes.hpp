// Transpose cancellation: consecutive Transposes composed into one, identity permutations removed.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/cleanup.hpp>
#include <gearc/passes/pass.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

/// "TransposeCancellation": Transpose(Transpose(x, p1), p2) becomes Transpose(x, c) with c[i] = p1[p2[i]],
/// and a Transpose whose permutation is the identity disappears. The first Transpose stays while other
/// nodes read it.
struct cancel_transposes {
    static constexpr std::string_view name = "cancel_transposes";
    static constexpr std::string_view fusion = "TransposeCancellation";

    template <class Traits>
    bool run(basic_graph<Traits>& g, pass_context& ctx) const {
        namespace r = detail::rewrite;
        if (!ctx.fusion_enabled(fusion)) return false;
        r::rewriter<Traits> rw(g);
        std::size_t composed = 0, dropped = 0, kept = 0;
        for (auto* n : g.node_list()) {
            if (rw.removed(n) || !r::is_op(n, "Transpose") || n->num_outputs() != 1) continue;
            auto* x = r::given_input(*n, 0);
            if (!x) continue;
            auto* first = x->producer();
            std::optional<std::vector<std::int64_t>> p1;
            if (r::is_op(first, "Transpose") && first->num_outputs() == 1 && r::given_input(*first, 0))
                p1 = perm_of(*first, std::nullopt);
            // without a perm attribute the rank comes from the input's shape, or the first Transpose's perm
            auto p2 = perm_of(*n, p1 ? std::optional<std::size_t>(p1->size()) : std::nullopt);
            if (!p2) continue;
            if (p1 && p1->size() == p2->size()) {
                std::vector<std::int64_t> c(p2->size());
                for (std::size_t i = 0; i < c.size(); ++i) c[i] = (*p1)[static_cast<std::size_t>((*p2)[i])];
                n->set_input(0, first->input(0));
                n->set_attr("perm", c);
                rw.remove_dead({first});
                ++composed;
                p2 = std::move(c);
            }
            if (!is_identity(*p2)) continue;
            // an identity Transpose is an Identity: bypass it (it stays, as an Identity, when the
            // graph-output names forbid removing it)
            n->set_op_type("Identity");
            n->remove_attr("perm");
            if (rw.bypass(n)) {
                ++dropped;
            } else {
                ++kept;
            }
        }
        ctx.count("cancel_transposes.composed", composed);
        ctx.count("cancel_transposes.removed", dropped);
        ctx.count("cancel_transposes.to_identity", kept);
        return composed + dropped + kept > 0;
    }

private:
    /// The permutation, checked; the default (reversed axes) needs the input's rank.
    template <class Traits>
    static std::optional<std::vector<std::int64_t>> perm_of(const basic_node<Traits>& n, std::optional<std::size_t> rank) {
        std::vector<std::int64_t> p;
        if (const auto* a = n.find_attr("perm")) {
            auto* ints = a->template get_if<typename Traits::template vector_type<std::int64_t>>();
            if (!ints) return std::nullopt;
            p.assign(ints->begin(), ints->end());
        } else {
            const auto* x = n.input(0);
            if (x && x->type().has_shape()) rank = x->type().dims->rank();
            if (!rank) return std::nullopt;
            const auto r = static_cast<std::int64_t>(*rank);
            for (std::int64_t i = r - 1; i >= 0; --i) p.push_back(i);
        }
        std::vector<bool> seen(p.size(), false);
        for (auto v : p) {
            if (v < 0 || v >= static_cast<std::int64_t>(p.size()) || seen[static_cast<std::size_t>(v)]) return std::nullopt;
            seen[static_cast<std::size_t>(v)] = true;
        }
        return p;
    }
    static bool is_identity(const std::vector<std::int64_t>& p) {
        for (std::size_t i = 0; i < p.size(); ++i)
            if (p[i] != static_cast<std::int64_t>(i)) return false;
        return true;
    }
};

}  // namespace passes

GEARC_END_NAMESPACE
