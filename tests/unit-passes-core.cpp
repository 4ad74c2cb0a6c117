// The pass machinery (pipeline, fixed_point, pass_manager) and symbolic dim arithmetic.
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>  // everything (the single-header build sees only this)

#include "test_support.hpp"

#include <string>
#include <vector>

using gearc::dim;

namespace {

/// Removes one Identity per run; reports whether it removed one.
struct remove_one_identity {
    static constexpr std::string_view name = "remove_one_identity";
    template <class Traits>
    bool run(gearc::basic_graph<Traits>& g, gearc::pass_context& ctx) {
        for (auto& n : g.nodes()) {
            if (n.op_type() != "Identity" || n.output(0)->is_graph_output()) continue;
            g.replace_all_uses_with(n.output(0), n.input(0));
            g.remove_node(&n);
            ctx.count("remove_one_identity.removed");
            return true;
        }
        return false;
    }
};

/// Appends its tag to a shared log: shows the order a pipeline runs passes in.
template <char Tag>
struct tagger {
    static constexpr std::string_view name = "tagger";
    static inline std::string log;
    template <class G>
    bool run(G&, gearc::pass_context&) {
        log += Tag;
        return false;
    }
};

std::unique_ptr<gearc::graph> identity_chain(int n) {
    auto g = std::make_unique<gearc::graph>("chain");
    auto* v = g->add_input("x", gearc::value_type::tensor_of(gearc::dtype::float32, gearc::shape{2}));
    for (int i = 0; i < n; ++i) v = g->add_node("Identity", {v}, 1)->output(0);
    g->add_output(g->add_node("Relu", {v}, 1)->output(0));
    return g;
}

std::size_t count_op(const gearc::graph& g, std::string_view op) {
    std::size_t c = 0;
    for (const auto& n : g.nodes()) c += n.op_type() == op;
    return c;
}

}  // namespace

TEST_CASE("a pipeline runs its passes in order, once each, and is itself a pass") {
    tagger<'a'>::log.clear();
    auto g = identity_chain(0);
    gearc::pass_context ctx;
    gearc::pipeline<tagger<'a'>, tagger<'a'>> p;
    static_assert(gearc::pass_for<decltype(p)>);
    static_assert(gearc::pass_for<gearc::pipeline<decltype(p), remove_one_identity>>);
    CHECK_FALSE(p.run(*g, ctx));
    CHECK(tagger<'a'>::log == "aa");
}

TEST_CASE("fixed_point repeats a pass until it changes nothing, bounded by its limit") {
    auto g = identity_chain(5);
    gearc::pass_context ctx;
    CHECK(gearc::pipeline<remove_one_identity>{}.run(*g, ctx));
    CHECK(count_op(*g, "Identity") == 4);
    CHECK(gearc::fixed_point<remove_one_identity, 2>{}.run(*g, ctx));
    CHECK(count_op(*g, "Identity") == 2);
    CHECK(gearc::fixed_point<remove_one_identity>{}.run(*g, ctx));
    CHECK(count_op(*g, "Identity") == 0);
    CHECK_FALSE(gearc::fixed_point<remove_one_identity>{}.run(*g, ctx));
    CHECK(ctx.counter("remove_one_identity.removed") == 5);
    CHECK(gearc::verify(*g).empty());
}

TEST_CASE("the pass manager erases pass types and can run its list to a fixed point") {
    auto g = identity_chain(3);
    gearc::pass_context ctx;
    gearc::pass_manager pm;
    pm.add<remove_one_identity>().add(tagger<'m'>{});
    CHECK(pm.size() == 2);
    CHECK(pm.names() == std::vector<std::string_view>{"remove_one_identity", "tagger"});
    CHECK(pm.run(*g, ctx));
    CHECK(count_op(*g, "Identity") == 2);
    CHECK(pm.run(*g, ctx, /*until_fixed_point=*/true));
    CHECK(count_op(*g, "Identity") == 0);
}

TEST_CASE("fusions can be switched off by name in the pass context") {
    gearc::pass_context ctx;
    CHECK(ctx.fusion_enabled("ConvBatchNormFusion"));
    ctx.disabled_fusions.insert("ConvBatchNormFusion");
    CHECK_FALSE(ctx.fusion_enabled("ConvBatchNormFusion"));
}

TEST_CASE("dim arithmetic: static values, symbols, expressions, ranges and unknowns") {
    const dim N = dim::symbol("N"), H = dim::symbol("H"), W = dim::symbol("W");
    SUBCASE("static") {
        CHECK(dim(3) + dim(4) == dim(7));
        CHECK(dim(3) * dim(4) == dim(12));
        CHECK(floor_div(dim(7), dim(2)) == dim(3));
        CHECK(ceil_div(dim(7), dim(2)) == dim(4));
        CHECK(dim(2) - dim(5) == dim(-3));
    }
    SUBCASE("symbolic expressions have one canonical spelling and bind to values") {
        const dim a = H * W * dim(3);
        const dim b = dim(3) * W * H;
        CHECK(a == b);
        CHECK(a.to_string() == "3*H*W");
        CHECK(N + N == dim(2) * N);
        CHECK(N - N == dim(0));
        // conv 3x3, stride 2, pad 1: floor((H + 2 - 3) / 2) + 1
        const dim out = floor_div(H + dim(2) - dim(3), dim(2)) + dim(1);
        CHECK(out.is_symbol());
        CHECK(gearc::bind_dim(out, {{"H", 224}}) == dim(112));
        CHECK(gearc::bind_dim(out, {{"H", 7}}) == dim(4));
        CHECK(gearc::bind_dim(out, {{"W", 7}}) == out);  // H unbound: unchanged
        // reshape -1: N*C*H*W / (C*H) simplifies exactly
        const dim numel = N * dim(3) * H * W;
        CHECK(floor_div(numel, dim(3) * H) == N * W);
        CHECK(gearc::bind_dim(floor_div(numel, dim(5)), {{"N", 2}, {"H", 5}, {"W", 1}}) == dim(6));
        CHECK(gearc::bind_dim(ceil_div(W, dim(32)), {{"W", 100}}) == dim(4));
    }
    SUBCASE("names that are not identifiers stay opaque symbols") {
        const dim odd = dim::symbol("batch size");
        const dim twice = odd * dim(2);
        CHECK(gearc::bind_dim(twice, {{"batch size", 5}}) == dim(10));
        CHECK(gearc::bind_dim(odd, {{"batch size", 5}}) == dim(5));
    }
    SUBCASE("ranges use interval arithmetic; unknown propagates") {
        CHECK(dim::range(1, 8) * dim(3) == dim::range(3, 24));
        CHECK(floor_div(dim::range(32, 64), dim(4)) == dim::range(8, 16));
        CHECK(dim::range(2, 4) + dim::range(1, -1) == dim::range(3, -1));
        CHECK(dim::range(2, 6) + dim(-1) == dim::range(1, 5));  // a negative static is not "unbounded"
        CHECK(dim::range(2, 6) - dim(1) == dim::range(1, 5));
        CHECK((dim::range(1, 8) + N).is_unknown());
        CHECK((dim::unknown() + dim(1)).is_unknown());
        CHECK(dim::unknown() * dim(0) == dim(0));
        CHECK(gearc::max_dim(dim(3), dim(5)) == dim(5));
        CHECK(gearc::min_dim(dim::range(1, 9), dim(5)) == dim::range(1, 5));
    }
    SUBCASE("shapes bind derived dims too") {
        const gearc::shape s{N, floor_div(H, dim(2)), dim(3)};
        CHECK(gearc::bind_shape(s, {{"N", 4}, {"H", 10}}) == gearc::shape::of({4, 5, 3}));
    }
}
