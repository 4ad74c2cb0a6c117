// CPU matrix-product kernels (Gemm, FusedGemm, MatMul, FusedMatMul) against naive loops in double: transposes,
// alpha/beta, every broadcast of C, batch broadcasting, 1-D operands, fused activations, prepacked weights,
// several block sizes and thread counts.
// First: its SIMD headers carry the workaround for GCC 12's AVX-512 -Wuninitialized false positives (GCC bug
// 105593), which only holds where the intrinsics headers are first included.
#include <gearc/kernels/cpu/gemm.hpp>

#include "test_support.hpp"

#include <gearc/kernels/cpu_kernels.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using gearc::dtype;
namespace gk = gearc::kernels;

namespace {

/// A tensor the test owns.
struct host {
    dtype type = dtype::float32;
    std::vector<std::int64_t> sizes;
    std::vector<std::byte> bytes;

    [[nodiscard]] std::int64_t numel() const {
        std::int64_t n = 1;
        for (auto s : sizes) n *= s;
        return n;
    }
    template <class T>
    [[nodiscard]] std::vector<T> values() const {
        std::vector<T> v(bytes.size() / sizeof(T));
        if (!v.empty()) std::memcpy(v.data(), bytes.data(), bytes.size());
        return v;
    }
};

template <class T>
host make(std::vector<std::int64_t> sizes, const std::vector<T>& v) {
    host h{gearc::dtype_of_v<T>, std::move(sizes), std::vector<std::byte>(v.size() * sizeof(T))};
    if (!v.empty()) std::memcpy(h.bytes.data(), v.data(), h.bytes.size());
    return h;
}

host random(std::vector<std::int64_t> sizes, std::mt19937& rng, float lo = -1.f, float hi = 1.f) {
    std::int64_t n = 1;
    for (auto s : sizes) n *= s;
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = d(rng);
    return make(std::move(sizes), v);
}

struct input {
    host t;
    bool constant = false;
};

/// One node of a one-node graph: what the kernel table is asked for.
struct node_case {
    std::string op;
    std::string domain;
    gearc::node::attribute_list attrs;
    std::vector<std::optional<input>> inputs;  ///< nullopt: an absent optional input
    std::vector<std::vector<std::int64_t>> outputs;
    std::int64_t opset = 17;
};

struct outcome {
    std::string kernel;
    std::vector<host> outs;
};

const gk::kernel_table& cpu_table() { return gk::device_kernels<gearc::device::cpu>::table(); }

/// Prepares the node's kernel from `table` and runs it on `threads` threads; nullopt when no kernel is made.
/// `scratch_offset` misaligns the scratch buffer on purpose.
std::optional<outcome> run(const node_case& c, std::size_t threads, const gk::kernel_table& table = cpu_table(), std::size_t scratch_offset = 0) {
    gearc::graph g("t");
    gk::prepare_args a;
    std::vector<gearc::value*> values;
    for (std::size_t i = 0; i < c.inputs.size(); ++i) {
        const std::string name = "in" + std::to_string(i);
        if (!c.inputs[i]) {
            values.push_back(nullptr);
            a.inputs.emplace_back();
            a.constants.push_back(nullptr);
            continue;
        }
        const host& h = c.inputs[i]->t;
        const auto type = gearc::value_type::tensor_of(h.type, gearc::shape::of(h.sizes));
        gearc::value* v = nullptr;
        if (c.inputs[i]->constant) {
            v = g.add_initializer(name, gearc::tensor(h.type, h.sizes, gearc::buffer::copy_of(h.bytes.data(), h.bytes.size())));
            a.constants.push_back(&*v->initializer());
        } else {
            v = g.add_input(name, type);
            a.constants.push_back(nullptr);
        }
        values.push_back(v);
        a.inputs.push_back(type);
    }
    auto* n = g.add_node(c.op, values, c.outputs.size(), c.attrs, "n", c.domain);
    a.n = n;
    for (const auto& s : c.outputs) a.outputs.push_back(gearc::value_type::tensor_of(dtype::float32, gearc::shape::of(s)));
    a.opset = c.opset;
    a.threads = threads;
    auto k = table.make(a);
    if (!k) return std::nullopt;

    std::vector<host> ins;
    std::vector<gk::tensor_ref> in_refs, out_refs;
    for (const auto& i : c.inputs) ins.push_back(i ? i->t : host{dtype::undefined, {}, {}});
    for (auto& h : ins) in_refs.push_back({h.type, h.sizes, h.bytes.empty() ? nullptr : h.bytes.data()});
    outcome res{k->name(), {}};
    for (const auto& s : c.outputs) {
        host h{dtype::float32, s, {}};
        h.bytes.assign(static_cast<std::size_t>(h.numel()) * sizeof(float), std::byte{0x7f});  // garbage the kernel must overwrite
        res.outs.push_back(std::move(h));
    }
    for (auto& h : res.outs) out_refs.push_back({h.type, h.sizes, h.bytes.data()});
    gearc::thread_pool pool(threads);
    std::vector<std::byte> scratch(k->scratch_bytes() + 128);
    auto* base = scratch.data() + (64 - reinterpret_cast<std::uintptr_t>(scratch.data()) % 64) % 64 + scratch_offset;
    gk::exec_context ctx{&pool, k->scratch_bytes() ? base : nullptr, k->scratch_bytes()};
    k->run(in_refs, out_refs, ctx);
    return res;
}

/// |got - want| <= atol + rtol * mag, element by element (mag: the size of the terms that were summed).
void check_close(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& mag, const std::string& what) {
    REQUIRE(got.size() == want.size());
    std::size_t bad = 0, first = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double tol = 1e-5 + 1e-4 * std::max(std::abs(want[i]), mag[i]);
        if (!(std::abs(got[i] - want[i]) <= tol) && !(std::isnan(want[i]) && std::isnan(got[i]))) {
            if (bad++ == 0) first = i;
        }
    }
    INFO(what << ": " << bad << " of " << got.size() << " differ; first at " << first << ": " << (bad ? got[first] : 0.f) << " vs "
              << (bad ? want[first] : 0.0));
    CHECK(bad == 0);
}

// ---- the naive products ----------------------------------------------------------------------------------

double activate(const std::string& act, const std::vector<float>& p, double x) {
    if (act.empty()) return x;
    if (act == "Relu") return x < 0 ? 0 : x;
    if (act == "LeakyRelu") return x < 0 ? p[0] * x : x;
    if (act == "Sigmoid") return 1 / (1 + std::exp(-x));
    if (act == "Tanh") return std::tanh(x);
    if (act == "HardSigmoid") return std::clamp(p[0] * x + p[1], 0.0, 1.0);
    if (act == "HardSwish") return x * std::clamp(x / 6 + 0.5, 0.0, 1.0);
    if (act == "Clip") return std::clamp(x, static_cast<double>(p[0]), static_cast<double>(p[1]));
    FAIL("unknown activation " << act);
    return 0;
}

struct expected {
    std::vector<double> y, mag;
};

/// Gemm: alpha * op(A) op(B) + beta * C (C broadcast from c_sizes), then the activation.
expected naive_gemm(const host& a, const host& b, const host* c, bool ta, bool tb, double alpha, double beta, const std::string& act = "",
                    const std::vector<float>& params = {}) {
    const auto av = a.values<float>(), bv = b.values<float>();
    const std::int64_t m = a.sizes[ta ? 1 : 0], k = a.sizes[ta ? 0 : 1], n = b.sizes[tb ? 0 : 1];
    expected e{std::vector<double>(static_cast<std::size_t>(m * n)), std::vector<double>(static_cast<std::size_t>(m * n))};
    std::vector<float> cv;
    std::int64_t crow = 0, ccol = 0;
    if (c) {
        cv = c->values<float>();
        const std::int64_t rows = c->sizes.size() == 2 ? c->sizes[0] : 1, cols = c->sizes.empty() ? 1 : c->sizes.back();
        crow = rows == 1 ? 0 : cols;
        ccol = cols == 1 ? 0 : 1;
    }
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            double s = 0, mag = 0;
            for (std::int64_t q = 0; q < k; ++q) {
                const double x = av[static_cast<std::size_t>(ta ? q * m + i : i * k + q)], z = bv[static_cast<std::size_t>(tb ? j * k + q : q * n + j)];
                s += x * z;
                mag += std::abs(x * z);
            }
            double v = alpha * s;
            mag = std::abs(alpha) * mag;
            if (c) {
                const double cc = beta * cv[static_cast<std::size_t>(i * crow + j * ccol)];
                v += cc;
                mag += std::abs(cc);
            }
            e.y[static_cast<std::size_t>(i * n + j)] = activate(act, params, v);
            e.mag[static_cast<std::size_t>(i * n + j)] = mag;
        }
    return e;
}

/// numpy matmul (batch broadcast, 1-D operands), plus a bias along the last axis and an activation.
expected naive_matmul(const host& a, const host& b, const host* bias = nullptr, const std::string& act = "", const std::vector<float>& params = {}) {
    auto as = a.sizes, bs = b.sizes;
    if (as.size() == 1) as.insert(as.begin(), 1);
    if (bs.size() == 1) bs.push_back(1);
    const std::int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
    const std::vector<std::int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
    const std::size_t r = std::max(ab.size(), bb.size());
    std::vector<std::int64_t> batch(r);
    for (std::size_t i = 0; i < r; ++i) {
        const std::int64_t x = i + ab.size() >= r ? ab[i + ab.size() - r] : 1, z = i + bb.size() >= r ? bb[i + bb.size() - r] : 1;
        batch[i] = std::max(x, z);
    }
    std::int64_t count = 1;
    for (auto d : batch) count *= d;
    const auto av = a.values<float>(), bv = b.values<float>();
    const auto biasv = bias ? bias->values<float>() : std::vector<float>{};
    expected e{std::vector<double>(static_cast<std::size_t>(count * m * n)), std::vector<double>(static_cast<std::size_t>(count * m * n))};
    for (std::int64_t t = 0; t < count; ++t) {
        // the batch index into A's and B's own (broadcast) batch dims
        std::int64_t rem = t, ao = 0, bo = 0, astride = 1, bstride = 1;
        for (std::size_t d = r; d-- > 0;) {
            const std::int64_t idx = rem % batch[d];
            rem /= batch[d];
            const std::size_t back = r - 1 - d;
            if (back < ab.size()) {
                const std::int64_t s = ab[ab.size() - 1 - back];
                ao += (s == 1 ? 0 : idx) * astride;
                astride *= s;
            }
            if (back < bb.size()) {
                const std::int64_t s = bb[bb.size() - 1 - back];
                bo += (s == 1 ? 0 : idx) * bstride;
                bstride *= s;
            }
        }
        for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = 0; j < n; ++j) {
                double s = 0, mag = 0;
                for (std::int64_t q = 0; q < k; ++q) {
                    const double x = av[static_cast<std::size_t>(ao * m * k + i * k + q)], z = bv[static_cast<std::size_t>(bo * k * n + q * n + j)];
                    s += x * z;
                    mag += std::abs(x * z);
                }
                if (bias) {
                    const double bb2 = biasv[biasv.size() == 1 ? 0 : static_cast<std::size_t>(j)];
                    s += bb2;
                    mag += std::abs(bb2);
                }
                const auto at = static_cast<std::size_t>((t * m + i) * n + j);
                e.y[at] = activate(act, params, s);
                e.mag[at] = mag;
            }
    }
    return e;
}

/// The output shape of numpy matmul.
std::vector<std::int64_t> matmul_shape(std::vector<std::int64_t> as, std::vector<std::int64_t> bs) {
    const bool a1 = as.size() == 1, b1 = bs.size() == 1;
    if (a1) as.insert(as.begin(), 1);
    if (b1) bs.push_back(1);
    const std::vector<std::int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
    const std::size_t r = std::max(ab.size(), bb.size());
    std::vector<std::int64_t> out(r);
    for (std::size_t i = 0; i < r; ++i) {
        const std::int64_t x = i + ab.size() >= r ? ab[i + ab.size() - r] : 1, z = i + bb.size() >= r ? bb[i + bb.size() - r] : 1;
        out[i] = std::max(x, z);
    }
    if (!a1) out.push_back(as[as.size() - 2]);
    if (!b1) out.push_back(bs.back());
    return out;
}

/// Tables with small blocks, so that small products cross every block edge.
const gk::kernel_table& small_blocks(bool eigen_packing, bool prepack) {
    static const auto make = [](bool ep, bool pp) {
        gk::kernel_table t;
        gk::cpu::gemm_params p;
        p.m_block = 7;
        p.n_block = 40;
        p.k_block = 9;
        p.min_parallel_flops = 0;
        p.eigen_packing = ep;
        p.prepack = pp;
        gk::cpu::register_gemm(t, p);
        return t;
    };
    static const gk::kernel_table tables[4] = {make(false, false), make(false, true), make(true, false), make(true, true)};
    return tables[(eigen_packing ? 2 : 0) + (prepack ? 1 : 0)];
}

}  // namespace

TEST_CASE("Gemm: transposes, alpha and beta, every broadcast of C, constant or computed B, 1 and 3 threads") {
    std::mt19937 rng(7);
    const std::int64_t m = 37, k = 53, n = 70;
    const std::vector<std::vector<std::int64_t>> c_shapes = {{}, {1}, {n}, {1, n}, {m, 1}, {m, n}, {1, 1}};
    for (int trans = 0; trans < 4; ++trans) {
        const bool ta = trans & 1, tb = trans & 2;
        const host a = random(ta ? std::vector<std::int64_t>{k, m} : std::vector<std::int64_t>{m, k}, rng);
        const host b = random(tb ? std::vector<std::int64_t>{n, k} : std::vector<std::int64_t>{k, n}, rng);
        for (std::size_t ci = 0; ci <= c_shapes.size(); ++ci) {  // the last: no C
            const bool has_c = ci < c_shapes.size();
            const host c = has_c ? random(c_shapes[ci], rng) : host{};
            const float alpha = ci % 2 ? 0.75f : 1.f, beta = ci % 3 ? -1.5f : 1.f;
            const auto want = naive_gemm(a, b, has_c ? &c : nullptr, ta, tb, alpha, beta);
            for (bool constant_b : {false, true})
                for (std::size_t threads : {1u, 3u}) {
                    node_case nc{"Gemm", "", {{"transA", std::int64_t{ta}}, {"transB", std::int64_t{tb}}, {"alpha", alpha}, {"beta", beta}},
                                 {input{a}, input{b, constant_b}}, {{m, n}}};
                    if (has_c) nc.inputs.push_back(input{c, true});
                    auto got = run(nc, threads);
                    REQUIRE(got);
                    CHECK(got->kernel.rfind("gemm.gemm", 0) == 0);
                    check_close(got->outs[0].values<float>(), want.y, want.mag,
                                "transA " + std::to_string(ta) + " transB " + std::to_string(tb) + " C " +
                                    (has_c ? gearc::shape::of(c_shapes[ci]).to_string() : "none") + " threads " + std::to_string(threads));
                }
        }
    }
}

TEST_CASE("Gemm: block edges in every path (mapped Eigen products, Eigen packing, prepacked B), misaligned scratch") {
    std::mt19937 rng(11);
    for (auto [m, k, n] : {std::array<std::int64_t, 3>{1, 1, 1}, {1, 30, 97}, {23, 19, 41}, {64, 64, 80}, {9, 100, 3}}) {
        for (int trans = 0; trans < 4; ++trans) {
            const bool ta = trans & 1, tb = trans & 2;
            const host a = random(ta ? std::vector<std::int64_t>{k, m} : std::vector<std::int64_t>{m, k}, rng);
            const host b = random(tb ? std::vector<std::int64_t>{n, k} : std::vector<std::int64_t>{k, n}, rng);
            const host c = random({n}, rng);
            const auto want = naive_gemm(a, b, &c, ta, tb, 1.25, 0.5);
            for (int path = 0; path < 4; ++path)
                for (std::size_t threads : {1u, 3u}) {
                    const bool packing = path & 2, prepack = path & 1;
                    node_case nc{"Gemm", "", {{"transA", std::int64_t{ta}}, {"transB", std::int64_t{tb}}, {"alpha", 1.25f}, {"beta", 0.5f}},
                                 {input{a}, input{b, true}, input{c, true}}, {{m, n}}};
                    auto got = run(nc, threads, small_blocks(packing, prepack), threads == 3 ? 4 : 0);
                    REQUIRE(got);
                    CHECK(got->kernel.find(packing ? (prepack ? ".prepacked" : "gemm.gemm") : ".mapped") != std::string::npos);
                    check_close(got->outs[0].values<float>(), want.y, want.mag,
                                "M K N " + std::to_string(m) + " " + std::to_string(k) + " " + std::to_string(n) + " trans " +
                                    std::to_string(trans) + " kernel " + got->kernel + " threads " + std::to_string(threads));
                }
        }
    }
}

TEST_CASE("Gemm: K = 0 leaves beta * C; a larger product across the default blocks") {
    std::mt19937 rng(3);
    {
        const host a = make<float>({4, 0}, {}), b = make<float>({0, 5}, {}), c = random({5}, rng);
        auto got = run({"Gemm", "", {{"beta", 2.f}}, {input{a}, input{b, true}, input{c}}, {{4, 5}}}, 1);
        REQUIRE(got);
        const auto want = naive_gemm(a, b, &c, false, false, 1, 2);
        check_close(got->outs[0].values<float>(), want.y, want.mag, "K = 0");
    }
    const std::int64_t m = 150, k = 300, n = 270;  // crosses the default 128 x 256 x 256 blocks
    const host a = random({m, k}, rng), b = random({n, k}, rng), c = random({m, 1}, rng);
    const auto want = naive_gemm(a, b, &c, false, true, 1, 1);
    for (bool constant_b : {false, true})
        for (std::size_t threads : {1u, 3u}) {
            auto got = run({"Gemm", "", {{"transB", std::int64_t{1}}}, {input{a}, input{b, constant_b}, input{c}}, {{m, n}}}, threads);
            REQUIRE(got);
            check_close(got->outs[0].values<float>(), want.y, want.mag, got->kernel + " threads " + std::to_string(threads));
        }
}

TEST_CASE("FusedGemm: each fused activation as the epilogue") {
    std::mt19937 rng(5);
    const std::int64_t m = 20, k = 33, n = 45;
    const host a = random({m, k}, rng, -2, 2), b = random({k, n}, rng), c = random({1, n}, rng);
    const std::vector<std::pair<std::string, std::vector<float>>> acts = {
        {"Relu", {}}, {"Sigmoid", {}}, {"Tanh", {}}, {"HardSwish", {}}, {"LeakyRelu", {0.1f}}, {"HardSigmoid", {0.3f, 0.4f}}, {"Clip", {-0.5f, 1.5f}}};
    for (const auto& [act, params] : acts) {
        const auto want = naive_gemm(a, b, &c, false, false, 0.5, 2, act, params);
        for (std::size_t threads : {1u, 3u}) {
            auto got = run({"FusedGemm", "ai.gearc",
                            {{"alpha", 0.5f}, {"beta", 2.f}, {"activation", std::string(act)}, {"activation_params", params}},
                            {input{a}, input{b, true}, input{c, true}}, {{m, n}}},
                           threads);
            REQUIRE(got);
            CHECK(got->kernel.rfind("gemm.fused_gemm", 0) == 0);
            check_close(got->outs[0].values<float>(), want.y, want.mag, act + " threads " + std::to_string(threads));
        }
    }
    // an activation gearc does not fuse: no kernel
    CHECK_FALSE(run({"FusedGemm", "ai.gearc", {{"activation", std::string("Softmax")}}, {input{a}, input{b}}, {{m, n}}}, 1));
}

TEST_CASE("MatMul: 1-D operands, batch broadcasting, B batched or shared, constant or computed") {
    std::mt19937 rng(9);
    const std::vector<std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>>> shapes = {
        {{33}, {33, 17}},         {{12, 33}, {33}},          {{33}, {33}},           {{19, 33}, {33, 21}},
        {{2, 3, 19, 33}, {33, 21}}, {{2, 1, 5, 33}, {3, 33, 21}}, {{5, 33}, {4, 33, 21}}, {{4, 1, 7, 8}, {1, 3, 8, 9}},
        {{3, 33}, {2, 33, 1}},    {{6}, {2, 3, 6, 5}},       {{2, 3, 4, 6}, {6}},    {{1, 130, 270}, {270, 260}}};
    for (const auto& [as, bs] : shapes) {
        const host a = random(as, rng), b = random(bs, rng);
        const auto want = naive_matmul(a, b);
        for (bool constant_b : {false, true})
            for (std::size_t threads : {1u, 3u}) {
                auto got = run({"MatMul", "", {}, {input{a}, input{b, constant_b}}, {matmul_shape(as, bs)}}, threads);
                REQUIRE(got);
                CHECK(got->kernel.rfind("gemm.matmul", 0) == 0);
                check_close(got->outs[0].values<float>(), want.y, want.mag,
                            gearc::shape::of(as).to_string() + " x " + gearc::shape::of(bs).to_string() + " " + got->kernel + " threads " +
                                std::to_string(threads));
                for (int path = 0; path < 4 && as.size() + bs.size() < 8; ++path) {
                    auto small = run({"MatMul", "", {}, {input{a}, input{b, constant_b}}, {matmul_shape(as, bs)}}, threads,
                                     small_blocks(path & 2, path & 1));
                    REQUIRE(small);
                    check_close(small->outs[0].values<float>(), want.y, want.mag, "small blocks, " + small->kernel);
                }
            }
    }
}

TEST_CASE("MatMul: only float32 here; the reference kernel takes int64") {
    gearc::graph g("t");
    auto* a = g.add_input("a", gearc::value_type::tensor_of(dtype::int64, gearc::shape{2, 3}));
    auto* b = g.add_input("b", gearc::value_type::tensor_of(dtype::int64, gearc::shape{3, 2}));
    gk::prepare_args args;
    args.n = g.add_node("MatMul", {a, b}, 1);
    args.inputs = {a->type(), b->type()};
    args.constants = {nullptr, nullptr};
    args.outputs = {gearc::value_type::tensor_of(dtype::int64, gearc::shape{2, 2})};
    gk::kernel_table t;
    gk::cpu::register_gemm(t);
    CHECK_FALSE(t.make(args));
    auto k = cpu_table().make(args);
    REQUIRE(k);
    CHECK(k->name() == "reference");
}

TEST_CASE("FusedMatMul: bias along the last axis ([N] or [1]), with and without an activation, batched") {
    std::mt19937 rng(13);
    const std::vector<std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>>> shapes = {
        {{8, 24}, {24, 40}}, {{2, 3, 8, 24}, {24, 40}}, {{2, 8, 24}, {2, 24, 40}}, {{24}, {24, 40}}};
    for (const auto& [as, bs] : shapes)
        for (std::int64_t bias_len : {bs.back(), std::int64_t{1}})
            for (const std::string act : {"", "Relu", "Clip"}) {
                const std::vector<float> params = act == "Clip" ? std::vector<float>{-0.25f, 0.75f} : std::vector<float>{};
                const host a = random(as, rng), b = random(bs, rng), bias = random({bias_len}, rng);
                const auto want = naive_matmul(a, b, &bias, act, params);
                gearc::node::attribute_list attrs;
                if (!act.empty()) {
                    attrs.emplace_back("activation", gearc::attribute(std::string(act)));
                    attrs.emplace_back("activation_params", gearc::attribute(params));
                }
                for (std::size_t threads : {1u, 3u}) {
                    auto got = run({"FusedMatMul", "ai.gearc", attrs, {input{a}, input{b, true}, input{bias, true}}, {matmul_shape(as, bs)}}, threads);
                    REQUIRE(got);
                    CHECK(got->kernel.rfind("gemm.fused_matmul", 0) == 0);
                    check_close(got->outs[0].values<float>(), want.y, want.mag,
                                gearc::shape::of(as).to_string() + " x " + gearc::shape::of(bs).to_string() + " bias " +
                                    std::to_string(bias_len) + " " + act + " threads " + std::to_string(threads));
                }
            }
}

TEST_CASE("gemm kernels: one prepared kernel runs on many threads at once (run() is const)") {
    std::mt19937 rng(17);
    const host a = random({40, 64}, rng), b = random({64, 96}, rng);
    const auto want = naive_matmul(a, b);
    gearc::graph g("t");
    auto* va = g.add_input("a", gearc::value_type::tensor_of(dtype::float32, gearc::shape::of(a.sizes)));
    auto* vb = g.add_initializer("b", gearc::tensor(dtype::float32, b.sizes, gearc::buffer::copy_of(b.bytes.data(), b.bytes.size())));
    gk::prepare_args args;
    args.n = g.add_node("MatMul", {va, vb}, 1);
    args.inputs = {va->type(), vb->type()};
    args.constants = {nullptr, &*vb->initializer()};
    args.outputs = {gearc::value_type::tensor_of(dtype::float32, gearc::shape{40, 96})};
    args.threads = 2;
    auto k = cpu_table().make(args);
    REQUIRE(k);
    gearc::thread_pool pool(2);
    std::vector<std::vector<float>> outs(4, std::vector<float>(40 * 96));
    std::vector<std::thread> users;
    for (auto& o : outs)
        users.emplace_back([&, out = o.data()] {
            std::vector<std::byte> scratch(k->scratch_bytes());
            gk::exec_context ctx{&pool, scratch.data(), scratch.size()};
            std::int64_t as[] = {40, 64}, bs[] = {64, 96}, ys[] = {40, 96};
            std::vector<std::byte> ab = a.bytes, bb = b.bytes;
            gk::tensor_ref in[] = {{dtype::float32, as, ab.data()}, {dtype::float32, bs, bb.data()}};
            gk::tensor_ref res[] = {{dtype::float32, ys, reinterpret_cast<std::byte*>(out)}};
            for (int r = 0; r < 20; ++r) k->run(in, res, ctx);
        });
    for (auto& u : users) u.join();
    for (const auto& o : outs) check_close(o, want.y, want.mag, "concurrent runs");
}
