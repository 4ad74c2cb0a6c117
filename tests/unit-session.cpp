// Sessions: running compiled gears on the CPU device; gear selection (exact, pad, split, explicit), arenas,
// concurrent sessions on one prepared model, and the errors of each.
#include "test_support.hpp"

#include <gearc/runtime.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using gearc::dim;
using gearc::dtype;
using gearc::shape;
using gearc::tensor;

/// y = relu(x @ W + b) * 2, x[N,4] -> y[N,3]; and z = x + 1 (a second output).
std::unique_ptr<gearc::graph> mlp() {
    auto g = std::make_unique<gearc::graph>("mlp");
    g->info().opset_imports[""] = 17;
    auto* x = g->add_input("x", gearc::value_type::tensor_of(dtype::float32, shape{dim::symbol("N"), dim(4)}));
    std::vector<float> w(12), b{0.5f, -1.0f, 0.25f};
    for (int i = 0; i < 12; ++i) w[static_cast<std::size_t>(i)] = 0.1f * static_cast<float>(i - 5);
    auto* W = g->add_initializer("W", tensor::from<float>({4, 3}, w));
    auto* B = g->add_initializer("b", tensor::from<float>({3}, b));
    auto* two = g->add_initializer("two", tensor::from<float>({}, {2.0f}));
    auto* one = g->add_initializer("one", tensor::from<float>({}, {1.0f}));
    auto* mm = g->add_node("MatMul", {x, W}, 1);
    auto* add = g->add_node("Add", {mm->output(0), B}, 1);
    auto* relu = g->add_node("Relu", {add->output(0)}, 1);
    auto* mul = g->add_node("Mul", {relu->output(0), two}, 1);
    auto* z = g->add_node("Add", {x, one}, 1);
    g->add_output(mul->output(0));
    g->add_output(z->output(0));
    return g;
}

std::vector<float> expected_y(const std::vector<float>& x, std::int64_t n) {
    std::vector<float> y(static_cast<std::size_t>(n) * 3);
    for (std::int64_t r = 0; r < n; ++r)
        for (int j = 0; j < 3; ++j) {
            float acc = j == 0 ? 0.5f : j == 1 ? -1.0f : 0.25f;
            for (int k = 0; k < 4; ++k) acc += x[static_cast<std::size_t>(r * 4 + k)] * 0.1f * static_cast<float>(k * 3 + j - 5);
            y[static_cast<std::size_t>(r * 3 + j)] = std::max(acc, 0.0f) * 2;
        }
    return y;
}

std::vector<float> random_rows(std::int64_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-2, 2);
    std::vector<float> v(static_cast<std::size_t>(n) * 4);
    for (auto& x : v) x = u(rng);
    return v;
}

void check_outputs(const gearc::session::tensor_map& out, const std::vector<float>& x, std::int64_t n) {
    REQUIRE(out.count("y") == 0);  // outputs are named after the graph's values
    const auto& names = out;
    REQUIRE(names.size() == 2);
    auto it = names.begin();
    // the MatMul chain's output and x + 1, whatever their generated names
    const tensor* y = nullptr;
    const tensor* z = nullptr;
    for (; it != names.end(); ++it) (it->second.sizes().back() == 3 ? y : z) = &it->second;
    REQUIRE(y);
    REQUIRE(z);
    CHECK(y->sizes() == std::vector<std::int64_t>{n, 3});
    CHECK(z->sizes() == std::vector<std::int64_t>{n, 4});
    auto want = expected_y(x, n);
    auto yv = y->view<float>();
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(yv[i] == doctest::Approx(want[i]).epsilon(1e-5));
    auto zv = z->view<float>();
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(zv[i] == doctest::Approx(x[i] + 1));
}

/// The gears of `batches`; unfused, the plain ONNX operators run (fused, MatMul+Add+Relu is one FusedGemm).
gearc::compiled_model compile_batches(const gearc::graph& g, const char* batches, bool fused = false) {
    auto gears = gearc::make_gear_set(g, {.input_shape = "x:-1,4", .dynamic_batch_size = batches});
    gearc::compile_options o;
    if (!fused)
        for (auto f : gearc::passes::known_fusions()) o.disabled_fusions.emplace(f);
    return gearc::compile(g, gears, o);
}

}  // namespace

TEST_CASE("session: every gear runs and matches a direct computation; exact selection by shape") {
    auto g = mlp();
    auto m = compile_batches(*g, "1,2,4");
    gearc::session s(m);
    CHECK(s.gears().size() == 3);
    CHECK(s.input_shapes(2) == std::vector<std::pair<std::string, std::vector<std::int64_t>>>{{"x", {4, 4}}});
    for (std::int64_t n : {1, 2, 4}) {
        auto x = random_rows(n, static_cast<unsigned>(n));
        auto out = s.run({{"x", tensor::from<float>({n, 4}, x)}});
        check_outputs(out, x, n);
    }
    // the default arena is sized for the largest gear up front
    CHECK(s.arena_bytes() == m.plan(2).memory.arena_bytes);
    // a shape no gear serves: GC6001 naming the shape and listing the gears
    auto err = gearc_test::any_error_of([&] { (void)s.run({{"x", tensor::from<float>({3, 4}, random_rows(3, 1))}}); });
    CHECK(err.find("GC6001: no gear takes inputs x:[3,4]") == 0);
    CHECK(err.find("3 gears (dynamic_batch_size") != std::string::npos);
    // wrong inputs: GC6002
    CHECK(gearc_test::any_error_of([&] { (void)s.run({}); }).find("GC6002: input 'x' is missing") == 0);
    CHECK(gearc_test::any_error_of([&] { (void)s.run({{"xx", tensor::from<float>({1, 4}, random_rows(1, 1))}}); })
              .find("has no input named 'xx'") != std::string::npos);
    CHECK(gearc_test::any_code_of([&] { (void)s.run({{"x", tensor::from<double>({1, 4}, std::vector<double>(4, 1.0))}}); }) == "GC6002");
}

TEST_CASE("session: the fused graph (FusedGemm with bias and Relu) gives the same results") {
    auto g = mlp();
    auto m = compile_batches(*g, "1,3", true);
    bool fused = false;
    for (const auto& n : m.plan(0).graph->nodes()) fused = fused || n.op_type() == "FusedGemm";
    CHECK(fused);
    gearc::session s(m);
    auto x = random_rows(3, 11);
    check_outputs(s.run({{"x", tensor::from<float>({3, 4}, x)}}), x, 3);
}

TEST_CASE("session: the pad policy pads a smaller batch, crops the outputs, and splits a larger one") {
    auto g = mlp();
    auto m = compile_batches(*g, "2,4");
    gearc::session s(m, {.policy = gearc::gear_policy::pad});
    for (std::int64_t n : {1, 3, 4, 9}) {
        CAPTURE(n);
        auto x = random_rows(n, 100 + static_cast<unsigned>(n));
        auto out = s.run({{"x", tensor::from<float>({n, 4}, x)}});
        check_outputs(out, x, n);
    }
    CHECK(s.select({{"x", {3, 4}}}) == 1);
    CHECK(s.select({{"x", {1, 4}}}) == 0);
}

TEST_CASE("session: explicit gear selection as ACL does it (batch size, dims, index)") {
    auto g = mlp();
    auto m = compile_batches(*g, "1,2,4");
    gearc::session s(m);
    s.set_batch_size(2);
    CHECK(s.pinned_gear() == 1);
    auto x = random_rows(2, 7);
    check_outputs(s.run({{"x", tensor::from<float>({2, 4}, x)}}), x, 2);
    CHECK(gearc_test::any_code_of([&] { (void)s.run({{"x", tensor::from<float>({4, 4}, random_rows(4, 1))}}); }) == "GC6002");
    CHECK(gearc_test::any_error_of([&] { s.set_batch_size(3); }).find("GC6001: no gear has batch size 3; the gears' profiles are [1; 2; 4]") == 0);
    s.set_dims({4});
    CHECK(s.pinned_gear() == 2);
    CHECK(gearc_test::any_code_of([&] { s.set_gear(7); }) == "GC6001");
    s.clear_gear();
    CHECK(!s.pinned_gear());
}

TEST_CASE("session: a lazy arena grows only to the gears actually run") {
    auto g = mlp();
    auto m = compile_batches(*g, "1,64");
    gearc::session eager(m);
    gearc::session lazy(m, {.lazy_arena = true});
    CHECK(eager.arena_bytes() == m.plan(1).memory.arena_bytes);
    CHECK(lazy.arena_bytes() == 0);
    auto x = random_rows(1, 3);
    check_outputs(lazy.run({{"x", tensor::from<float>({1, 4}, x)}}), x, 1);
    CHECK(lazy.arena_bytes() == m.plan(0).memory.arena_bytes);
    CHECK(lazy.arena_bytes() < eager.arena_bytes());
    auto x64 = random_rows(64, 4);
    check_outputs(lazy.run({{"x", tensor::from<float>({64, 4}, x64)}}), x64, 64);
    CHECK(lazy.arena_bytes() == m.plan(1).memory.arena_bytes);
}

TEST_CASE("session: many sessions run one prepared model from different threads") {
    auto g = mlp();
    auto m = std::make_shared<gearc::compiled_model>(compile_batches(*g, "1,2,4,8"));
    auto prepared = std::make_shared<gearc::prepared_model<>>(m, 2);
    std::vector<std::thread> threads;
    std::vector<int> ok(6, 0);
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            gearc::session s(prepared);
            for (int rep = 0; rep < 20; ++rep) {
                const std::int64_t n = std::int64_t{1} << ((t + rep) % 4);
                auto x = random_rows(n, static_cast<unsigned>(t * 100 + rep));
                auto out = s.run({{"x", tensor::from<float>({n, 4}, x)}});
                auto want = expected_y(x, n);
                for (const auto& [name, v] : out) {
                    if (v.sizes().back() != 3) continue;
                    bool same = true;
                    auto yv = v.view<float>();
                    for (std::size_t i = 0; i < want.size(); ++i) same = same && std::abs(yv[i] - want[i]) <= 1e-5f * (1 + std::abs(want[i]));
                    ok[static_cast<std::size_t>(t)] += same ? 1 : 0;
                }
            }
        });
    for (auto& th : threads) th.join();
    for (int t = 0; t < 6; ++t) CHECK(ok[static_cast<std::size_t>(t)] == 20);
}

namespace {
struct kernel_less_device : gearc::device::cpu {
    static constexpr std::string_view name = "test-device";
};
}  // namespace

template <>
struct gearc::kernels::device_kernels<kernel_less_device> {
    static const kernel_table& table() {
        static const kernel_table t;
        return t;
    }
};

TEST_CASE("session: a device without kernels for the model's operators fails at preparation, listing them all") {
    auto g = mlp();
    auto m = std::make_shared<gearc::compiled_model>(compile_batches(*g, "1,2"));
    auto err = gearc_test::any_error_of([&] { gearc::prepared_model<kernel_less_device> p(m, 1); });
    CHECK(err.find("GC4006: no test-device kernel for:") == 0);
    CHECK(err.find("Add(float32, float32)") != std::string::npos);
    CHECK(err.find("MatMul(float32, float32)") != std::string::npos);
    CHECK(err.find("Relu(float32)") != std::string::npos);
}

TEST_CASE("compile() for a device fails with every missing kernel listed; the CPU has them all") {
    auto g = mlp();
    auto gears = gearc::make_gear_set(*g, {.input_shape = "x:-1,4", .dynamic_batch_size = "1,2"});
    auto err = gearc_test::any_error_of([&] { (void)gearc::compile(*g, gears, {}, kernel_less_device{}); });
    CHECK(err.find("GC4006: no test-device kernel for:") == 0);
    CHECK(err.find("MatMul(float32, float32)") != std::string::npos);
    CHECK(err.find("Solution:") != std::string::npos);
    auto m = gearc::compile(*g, gears, {}, gearc::device::cpu{});
    CHECK(m.size() == 2);
}

// the compile-time promise (kernels/cpu/coverage.hpp) agrees with the run-time table
static_assert(gearc::kernels::has_kernel_v<gearc::device::cpu, "Conv", float>);
static_assert(gearc::kernels::has_kernel_v<gearc::device::cpu, "Gather", std::int64_t>);
static_assert(gearc::kernels::has_kernel_v<gearc::device::cpu, "And", bool>);
static_assert(!gearc::kernels::has_kernel_v<gearc::device::cpu, "Conv", double>);
static_assert(!gearc::kernels::has_kernel_v<gearc::device::cpu, "NoSuchOp", float>);

TEST_CASE("the CPU's compile-time coverage names only operators its kernel table knows, and all of them") {
    const auto& table = gearc::kernels::device_kernels<gearc::device::cpu>::table();
    for (const auto& e : gearc::kernels::cpu::coverage) {
        INFO(e.domain << "::" << e.op);
        CHECK(table.knows(e.domain, e.op));
    }
    for (const auto& op : table.operators()) {
        const auto sep = op.find("::");
        const std::string domain = sep == std::string::npos ? "" : op.substr(0, sep);
        const std::string name = sep == std::string::npos ? op : op.substr(sep + 2);
        bool listed = false;
        for (const auto& e : gearc::kernels::cpu::coverage) listed = listed || (e.domain == domain && e.op == name);
        CHECK_MESSAGE(listed, op << " has kernels but is missing from kernels/cpu/coverage.hpp");
    }
}

TEST_CASE("thread_pool: parallel_for covers every index once, from several callers at once, and rethrows") {
    gearc::thread_pool pool(3);
    CHECK(pool.size() == 3);
    std::vector<std::thread> callers;
    std::vector<int> good(4, 0);
    for (int c = 0; c < 4; ++c)
        callers.emplace_back([&, c] {
            for (int rep = 0; rep < 50; ++rep) {
                std::vector<int> hits(1000, 0);
                pool.parallel_for(1000, 7, [&](std::int64_t b, std::int64_t e) {
                    for (auto i = b; i < e; ++i) ++hits[static_cast<std::size_t>(i)];
                });
                good[static_cast<std::size_t>(c)] += std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }) ? 1 : 0;
            }
        });
    for (auto& t : callers) t.join();
    for (int c = 0; c < 4; ++c) CHECK(good[static_cast<std::size_t>(c)] == 50);
    CHECK_THROWS_AS(pool.parallel_for(100, 1, [](std::int64_t b, std::int64_t) {
        if (b > 50) throw std::runtime_error("boom");
    }), std::runtime_error);
}
