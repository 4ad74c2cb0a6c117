// CPU elementwise kernels (activations, math, broadcasting arithmetic, Where, comparisons, softmax family and
// normalisations) against naive loops in double: broadcasting, in-place runs, opset differences, 1 and 3 threads.
// First: its SIMD headers carry the workaround for GCC 12's AVX-512 -Wuninitialized false positives (GCC bug
// 105593), which only holds where the intrinsics headers are first included.
#include <gearc/kernels/cpu/elementwise.hpp>

#include "test_support.hpp"

#include <gearc/kernels/cpu_kernels.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using gearc::dtype;
namespace gk = gearc::kernels;

namespace {

using sizes_t = std::vector<std::int64_t>;
constexpr float inf = std::numeric_limits<float>::infinity();
const float qnan = std::numeric_limits<float>::quiet_NaN();

/// A tensor the test owns.
struct host {
    dtype type = dtype::float32;
    sizes_t sizes;
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
host make(sizes_t sizes, const std::vector<T>& v) {
    host h{gearc::dtype_of_v<T>, std::move(sizes), std::vector<std::byte>(v.size() * sizeof(T))};
    if (!v.empty()) std::memcpy(h.bytes.data(), v.data(), h.bytes.size());
    return h;
}
host make_bools(sizes_t sizes, const std::vector<bool>& v) {
    host h{dtype::boolean, std::move(sizes), std::vector<std::byte>(v.size())};
    for (std::size_t i = 0; i < v.size(); ++i) h.bytes[i] = std::byte{v[i] ? std::uint8_t{1} : std::uint8_t{0}};
    return h;
}

std::int64_t count(const sizes_t& s) {
    std::int64_t n = 1;
    for (auto d : s) n *= d;
    return n;
}

host random(sizes_t sizes, std::mt19937& rng, float lo = -3.f, float hi = 3.f) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(static_cast<std::size_t>(count(sizes)));
    for (auto& x : v) x = d(rng);
    return make(std::move(sizes), v);
}
template <class T>
host random_ints(sizes_t sizes, std::mt19937& rng, std::int64_t lo, std::int64_t hi) {
    std::uniform_int_distribution<std::int64_t> d(lo, hi);
    std::vector<T> v(static_cast<std::size_t>(count(sizes)));
    for (auto& x : v) x = static_cast<T>(d(rng));
    return make(std::move(sizes), v);
}
host random_bools(sizes_t sizes, std::mt19937& rng) {
    std::vector<bool> v(static_cast<std::size_t>(count(sizes)));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = rng() % 2;
    return make_bools(std::move(sizes), v);
}

struct input {
    host t;
    bool constant = false;
};
struct output {
    sizes_t sizes;
    dtype type = dtype::float32;
};

/// One node of a one-node graph: what the kernel table is asked for.
struct node_case {
    std::string op;
    gearc::node::attribute_list attrs;
    std::vector<std::optional<input>> inputs;  ///< nullopt: an absent optional input
    std::vector<output> outputs;
    std::int64_t opset = 17;
    std::string domain = "";
    int in_place = -1;  ///< run with output 0 in this input's memory, as the memory plan may
};

struct outcome {
    std::string kernel;
    std::vector<host> outs;
};

/// The CPU table, and one whose kernels split even small tensors into many chunks (rows cut mid-way).
const gk::kernel_table& cpu_table() { return gk::device_kernels<gearc::device::cpu>::table(); }
const gk::kernel_table& fine_table() {
    static const gk::kernel_table t = [] {
        gk::kernel_table k;
        gk::cpu::register_elementwise(k, {.grain = 7, .math_grain = 5, .row_grain = 3, .column_block = 3});
        return k;
    }();
    return t;
}

/// Prepares the node's kernel from `table` and runs it on `threads` threads; nullopt when no kernel is made.
std::optional<outcome> run(const node_case& c, std::size_t threads, const gk::kernel_table& table) {
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
    a.n = g.add_node(c.op, values, c.outputs.size(), c.attrs, "n", c.domain);
    for (const auto& o : c.outputs) a.outputs.push_back(gearc::value_type::tensor_of(o.type, gearc::shape::of(o.sizes)));
    a.opset = c.opset;
    a.threads = threads;
    auto k = table.make(a);
    if (!k) return std::nullopt;

    std::vector<host> ins;
    for (const auto& i : c.inputs) ins.push_back(i ? i->t : host{dtype::undefined, {}, {}});
    std::vector<gk::tensor_ref> in_refs, out_refs;
    for (auto& h : ins) in_refs.push_back({h.type, h.sizes, h.bytes.empty() ? nullptr : h.bytes.data()});
    outcome res{k->name(), {}};
    for (const auto& o : c.outputs) {
        host h{o.type, o.sizes, {}};
        h.bytes.assign(static_cast<std::size_t>(h.numel()) * gearc::size_of(o.type), std::byte{0x7f});  // must be overwritten
        res.outs.push_back(std::move(h));
    }
    for (auto& h : res.outs) out_refs.push_back({h.type, h.sizes, h.bytes.data()});
    if (c.in_place >= 0) {
        auto& src = ins[static_cast<std::size_t>(c.in_place)];
        REQUIRE(src.bytes.size() == res.outs[0].bytes.size());
        out_refs[0].data = src.bytes.data();
    }
    gearc::thread_pool pool(threads);
    std::vector<std::byte> scratch(k->scratch_bytes() + 64);
    gk::exec_context ctx{&pool, scratch.data(), k->scratch_bytes()};
    k->run(in_refs, out_refs, ctx);
    if (c.in_place >= 0) res.outs[0].bytes = ins[static_cast<std::size_t>(c.in_place)].bytes;
    return res;
}

/// Runs `c` on both tables, 1 and 3 threads (and in place on input `alias` when >= 0), checking output 0
/// against `want` and that one of this family's kernels (named "<prefix>...") ran.
void check_all(node_case c, const std::vector<double>& want, const std::string& what, int alias = -1, const std::string& prefix = "elementwise.");

void check_close(const std::vector<float>& got, const std::vector<double>& want, const std::string& what, double rtol = 1e-4, double atol = 1e-5) {
    REQUIRE(got.size() == want.size());
    std::size_t bad = 0, first = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const bool ok = std::isnan(want[i]) ? std::isnan(got[i])
                        : std::isinf(want[i])  ? got[i] == want[i]
                                               : std::abs(got[i] - want[i]) <= atol + rtol * std::abs(want[i]);
        if (!ok && bad++ == 0) first = i;
    }
    INFO(what << ": " << bad << " of " << got.size() << " differ; first at " << first << ": " << (bad ? got[first] : 0.f) << " vs "
              << (bad ? want[first] : 0.0));
    CHECK(bad == 0);
}

template <class T>
void check_equal(const std::vector<T>& got, const std::vector<T>& want, const std::string& what) {
    REQUIRE(got.size() == want.size());
    std::size_t bad = 0, first = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (got[i] != want[i] && bad++ == 0) first = i;
    INFO(what << ": " << bad << " of " << got.size() << " differ; first at " << first);
    CHECK(bad == 0);
}

void check_all(node_case c, const std::vector<double>& want, const std::string& what, int alias, const std::string& prefix) {
    for (const gk::kernel_table* table : {&cpu_table(), &fine_table()})
        for (std::size_t threads : {1u, 3u})
            for (int in_place : {-1, alias}) {
                if (in_place == -1 && alias != -1 && threads == 3 && table == &fine_table()) continue;
                c.in_place = in_place;
                auto got = run(c, threads, *table);
                REQUIRE(got);
                CHECK(got->kernel.rfind(prefix, 0) == 0);
                check_close(got->outs[0].values<float>(), want,
                            what + " (" + got->kernel + ", " + std::to_string(threads) + " threads" + (in_place >= 0 ? ", in place" : "") +
                                (table == &fine_table() ? ", fine chunks)" : ")"));
                if (alias == -1) break;
            }
}

/// Applies f to each element, in double.
std::vector<double> each(const host& x, const std::function<double(double)>& f) {
    std::vector<double> out;
    for (float v : x.values<float>()) out.push_back(f(v));
    return out;
}

/// Multidirectional broadcast of two shapes.
sizes_t broadcast(const sizes_t& a, const sizes_t& b) {
    const std::size_t r = std::max(a.size(), b.size());
    sizes_t out(r);
    for (std::size_t i = 0; i < r; ++i) {
        const std::int64_t x = i + a.size() >= r ? a[i + a.size() - r] : 1, y = i + b.size() >= r ? b[i + b.size() - r] : 1;
        out[i] = x == 1 ? y : x;
    }
    return out;
}

/// The element of `in` (sizes `s`) that output element `i` (sizes `out`) reads under broadcasting.
std::size_t source(std::int64_t i, const sizes_t& out, const sizes_t& s) {
    std::int64_t off = 0, stride = 1;
    for (std::size_t back = 0; back < out.size(); ++back) {
        const std::int64_t idx = i % out[out.size() - 1 - back];
        i /= out[out.size() - 1 - back];
        if (back < s.size()) {
            const std::int64_t d = s[s.size() - 1 - back];
            off += (d == 1 ? 0 : idx) * stride;
            stride *= d;
        }
    }
    return static_cast<std::size_t>(off);
}

template <class R, class T, class F>
std::vector<R> zip(const host& a, const host& b, F f) {
    const auto out = broadcast(a.sizes, b.sizes);
    const auto av = a.values<T>(), bv = b.values<T>();
    std::vector<R> r;
    for (std::int64_t i = 0; i < count(out); ++i) r.push_back(f(av[source(i, out, a.sizes)], bv[source(i, out, b.sizes)]));
    return r;
}

const std::vector<std::pair<sizes_t, sizes_t>> broadcast_cases = {
    {{31, 1031}, {31, 1031}},  // same shape: one long row, split across chunks
    {{5, 7}, {}},              // scalar on the right
    {{1}, {4, 3, 9}},          // scalar on the left
    {{6, 133}, {133}},         // a row
    {{2, 3, 5, 7}, {3, 1, 1}},  // a column per channel
    {{2, 1, 4}, {3, 1}},       // both broadcast
    {{3, 1}, {1, 4}},
    {{4, 1, 6, 1}, {5, 1, 7}},
    {{}, {}},
    {{0, 3}, {3}},  // empty
};

}  // namespace

TEST_CASE("unary float operators: every activation and math function, tails, in place, chunked") {
    std::mt19937 rng(1);
    struct unary {
        std::string op;
        gearc::node::attribute_list attrs;
        std::function<double(double)> f;
        float lo = -4.f, hi = 4.f;
    };
    const double selu_a = 1.67326319217681884765625, selu_g = 1.05070102214813232421875;
    auto sp = [](double x) { return std::log1p(std::exp(-std::abs(x))) + std::max(x, 0.0); };
    const std::vector<unary> ops = {
        {"Relu", {}, [](double x) { return x < 0 ? 0 : x; }},
        {"LeakyRelu", {}, [](double x) { return x < 0 ? 0.01 * x : x; }},
        {"LeakyRelu", {{"alpha", 0.3f}}, [](double x) { return x < 0 ? double(0.3f) * x : x; }},
        {"Sigmoid", {}, [](double x) { return 1 / (1 + std::exp(-x)); }, -30, 30},
        {"Tanh", {}, [](double x) { return std::tanh(x); }, -12, 12},
        {"HardSigmoid", {}, [](double x) { return std::clamp(double(0.2f) * x + 0.5, 0.0, 1.0); }},
        {"HardSigmoid", {{"alpha", 0.4f}, {"beta", 0.25f}}, [](double x) { return std::clamp(double(0.4f) * x + 0.25, 0.0, 1.0); }},
        {"HardSwish", {}, [](double x) { return x * std::clamp(x / 6 + 0.5, 0.0, 1.0); }},
        {"Elu", {}, [](double x) { return x < 0 ? std::exp(x) - 1 : x; }},
        {"Elu", {{"alpha", 0.5f}}, [](double x) { return x < 0 ? 0.5 * (std::exp(x) - 1) : x; }},
        {"Selu", {}, [&](double x) { return selu_g * (x > 0 ? x : selu_a * (std::exp(x) - 1)); }},
        {"Selu", {{"alpha", 2.f}, {"gamma", 3.f}}, [](double x) { return 3 * (x > 0 ? x : 2 * (std::exp(x) - 1)); }},
        {"Celu", {}, [](double x) { return std::max(0.0, x) + std::min(0.0, std::exp(x) - 1); }},
        {"Celu", {{"alpha", 2.f}}, [](double x) { return std::max(0.0, x) + std::min(0.0, 2 * (std::exp(x / 2) - 1)); }},
        {"Softplus", {}, [](double x) { return std::log(1 + std::exp(x)); }, -20, 20},
        {"Softsign", {}, [](double x) { return x / (1 + std::abs(x)); }},
        {"ThresholdedRelu", {}, [](double x) { return x > 1 ? x : 0; }},
        {"ThresholdedRelu", {{"alpha", 0.5f}}, [](double x) { return x > 0.5 ? x : 0; }},
        {"Mish", {}, [&](double x) { return x * std::tanh(sp(x)); }, -10, 10},
        {"Gelu", {}, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
        {"Gelu", {{"approximate", std::string("tanh")}},
         [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }},
        {"Shrink", {}, [](double x) { return x < -0.5 ? x : x > 0.5 ? x : 0; }},
        {"Shrink", {{"bias", 1.5f}, {"lambd", 1.f}}, [](double x) { return x < -1 ? x + 1.5 : x > 1 ? x - 1.5 : 0; }},
        {"Exp", {}, [](double x) { return std::exp(x); }, -20, 20},
        {"Log", {}, [](double x) { return std::log(x); }, 0.001f, 100},
        {"Sqrt", {}, [](double x) { return std::sqrt(x); }, 0, 100},
        {"Abs", {}, [](double x) { return std::abs(x); }},
        {"Neg", {}, [](double x) { return -x; }},
        {"Erf", {}, [](double x) { return std::erf(x); }},
        {"Reciprocal", {}, [](double x) { return 1 / x; }, 0.05f, 20},
        {"Floor", {}, [](double x) { return std::floor(x); }},
        {"Ceil", {}, [](double x) { return std::ceil(x); }},
        {"Round", {}, [](double x) { return std::nearbyint(x); }},
        {"Sign", {}, [](double x) { return x > 0 ? 1 : x < 0 ? -1 : 0; }},
        {"Sin", {}, [](double x) { return std::sin(x); }, -10, 10},
        {"Cos", {}, [](double x) { return std::cos(x); }, -10, 10},
        {"Tan", {}, [](double x) { return std::tan(x); }, -1.4f, 1.4f},
        {"Asin", {}, [](double x) { return std::asin(x); }, -1, 1},
        {"Acos", {}, [](double x) { return std::acos(x); }, -1, 1},
        {"Atan", {}, [](double x) { return std::atan(x); }, -10, 10},
        {"Sinh", {}, [](double x) { return std::sinh(x); }},
        {"Cosh", {}, [](double x) { return std::cosh(x); }},
        {"Asinh", {}, [](double x) { return std::asinh(x); }, -10, 10},
        {"Acosh", {}, [](double x) { return std::acosh(x); }, 1, 10},
        {"Atanh", {}, [](double x) { return std::atanh(x); }, -0.99f, 0.99f},
    };
    for (const auto& u : ops)
        for (const sizes_t& s : {sizes_t{37}, sizes_t{3, 4099}, sizes_t{}, sizes_t{0, 4}}) {
            const host x = random(s, rng, u.lo, u.hi);
            check_all({u.op, u.attrs, {input{x}}, {{s}}}, each(x, u.f), u.op + " on " + gearc::shape::of(s).to_string(), 0);
        }
    // exact .5 ties round to even; Relu and Sign keep NaN
    const host ties = make<float>({6}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, qnan});
    check_all({"Round", {}, {input{ties}}, {{{6}}}}, {0, 2, 2, -0, -2, qnan}, "Round ties");
    const host special = make<float>({5}, {qnan, inf, -inf, 0.f, -2.f});
    check_all({"Relu", {}, {input{special}}, {{{5}}}}, {qnan, inf, 0, 0, 0}, "Relu specials");
    check_all({"Sigmoid", {}, {input{special}}, {{{5}}}}, {qnan, 1, 0, 0.5, 1 / (1 + std::exp(2.0))}, "Sigmoid specials");
    check_all({"Exp", {}, {input{make<float>({3}, {100.f, -100.f, -inf})}}, {{{3}}}}, {inf, 0, 0}, "Exp overflow");
    // Gelu as gearc's fusion writes it
    const host x = random({1000}, rng);
    check_all({"Gelu", {{"approximate", std::string("none")}}, {input{x}}, {{{1000}}}, 17, "ai.gearc"},
              each(x, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }), "ai.gearc Gelu");
    // not float: no kernel (these operators have no reference fallback), or the reference for the evaluator's
    CHECK_FALSE(run({"LeakyRelu", {}, {input{make<double>({2}, {1, -1})}}, {{{2}, dtype::float64}}}, 1, cpu_table()));
    CHECK(run({"Exp", {}, {input{make<double>({2}, {1, -1})}}, {{{2}, dtype::float64}}}, 1, cpu_table())->kernel == "reference");
}

TEST_CASE("Clip: attribute bounds before opset 11, optional scalar inputs after, NaN kept") {
    std::mt19937 rng(2);
    const host x = random({5, 999}, rng);
    auto clip = [&](double lo, double hi) { return each(x, [=](double v) { return std::min(std::max(v, lo), hi); }); };
    check_all({"Clip", {{"min", -1.f}, {"max", 0.5f}}, {input{x}}, {{x.sizes}}, 6}, clip(-1, 0.5), "Clip-6", 0);
    check_all({"Clip", {{"max", 0.5f}}, {input{x}}, {{x.sizes}}, 6}, clip(-1e30, 0.5), "Clip-6 max only", 0);
    check_all({"Clip", {}, {input{x}, input{make<float>({}, {-2.f})}, input{make<float>({}, {1.f})}}, {{x.sizes}}, 13}, clip(-2, 1),
              "Clip-13", 0);
    check_all({"Clip", {}, {input{x}, std::nullopt, input{make<float>({}, {1.f}), true}}, {{x.sizes}}, 13}, clip(-1e30, 1), "Clip-13 max", 0);
    check_all({"Clip", {}, {input{x}}, {{x.sizes}}, 13}, clip(-1e30, 1e30), "Clip-13 no bounds", 0);
    check_all({"Clip", {}, {input{make<float>({3}, {qnan, 5.f, -5.f})}, input{make<float>({}, {-1.f})}, input{make<float>({}, {1.f})}}, {{{3}}}},
              {qnan, 1, -1}, "Clip NaN");
    CHECK(run({"Clip", {}, {input{make<std::int64_t>({2}, {1, 9})}}, {{{2}, dtype::int64}}}, 1, cpu_table())->kernel == "reference");
}

TEST_CASE("IsNaN, IsInf (detect_negative / detect_positive), Not, Dropout in inference") {
    const host x = make<float>({7}, {qnan, inf, -inf, 0.f, 1.f, -qnan, 3e38f});
    auto bools = [](const outcome& o) {
        std::vector<int> v;
        for (auto b : o.outs[0].values<std::uint8_t>()) v.push_back(b);
        return v;
    };
    for (std::size_t threads : {1u, 3u}) {
        auto r = run({"IsNaN", {}, {input{x}}, {{{7}, dtype::boolean}}}, threads, fine_table());
        REQUIRE(r);
        CHECK(bools(*r) == std::vector<int>{1, 0, 0, 0, 0, 1, 0});
        r = run({"IsInf", {}, {input{x}}, {{{7}, dtype::boolean}}}, threads, fine_table());
        CHECK(bools(*r) == std::vector<int>{0, 1, 1, 0, 0, 0, 0});
        r = run({"IsInf", {{"detect_negative", std::int64_t{0}}}, {input{x}}, {{{7}, dtype::boolean}}}, threads, fine_table());
        CHECK(bools(*r) == std::vector<int>{0, 1, 0, 0, 0, 0, 0});
        r = run({"IsInf", {{"detect_positive", std::int64_t{0}}}, {input{x}}, {{{7}, dtype::boolean}}}, threads, fine_table());
        CHECK(bools(*r) == std::vector<int>{0, 0, 1, 0, 0, 0, 0});
        r = run({"Not", {}, {input{make_bools({4}, {true, false, false, true})}}, {{{4}, dtype::boolean}}}, threads, fine_table());
        CHECK(bools(*r) == std::vector<int>{0, 1, 1, 0});
    }
    std::mt19937 rng(3);
    const host d = random({4, 25}, rng);
    auto r = run({"Dropout", {}, {input{d}, input{make<float>({}, {0.5f})}}, {{d.sizes}, {d.sizes, dtype::boolean}}, 13}, 1, cpu_table());
    REQUIRE(r);
    CHECK(r->outs[0].bytes == d.bytes);
    CHECK(r->outs[1].values<std::uint8_t>() == std::vector<std::uint8_t>(100, 1));
    r = run({"Dropout", {{"ratio", 0.2f}}, {input{d}}, {{d.sizes}, {d.sizes}}, 7}, 1, cpu_table());  // mask of T before opset 10
    REQUIRE(r);
    CHECK(r->outs[1].values<float>() == std::vector<float>(100, 1.f));
    r = run({"Dropout", {}, {input{d}}, {{d.sizes}}, 13, "", 0}, 1, cpu_table());
    REQUIRE(r);
    CHECK(r->outs[0].bytes == d.bytes);
}

TEST_CASE("binary float arithmetic: Add Sub Mul Div Max Min Pow with every broadcast, in place where shapes allow") {
    std::mt19937 rng(4);
    const std::vector<std::pair<std::string, std::function<double(double, double)>>> ops = {
        {"Add", std::plus<double>()},
        {"Sub", std::minus<double>()},
        {"Mul", std::multiplies<double>()},
        {"Div", std::divides<double>()},
        {"Max", [](double a, double b) { return std::isnan(a) || std::isnan(b) ? double(qnan) : std::max(a, b); }},
        {"Min", [](double a, double b) { return std::isnan(a) || std::isnan(b) ? double(qnan) : std::min(a, b); }},
        {"Pow", [](double a, double b) { return std::pow(a, b); }},
    };
    for (const auto& [op, f] : ops)
        for (const auto& [sa, sb] : broadcast_cases) {
            const bool pow = op == "Pow";
            const host a = random(sa, rng, pow ? 0.1f : -3.f, 3.f), b = random(sb, rng, pow ? -2.f : 0.5f, 2.f);
            const auto out = broadcast(sa, sb);
            const auto want = zip<double, float>(a, b, [&](float x, float y) { return f(x, y); });
            const int alias = sa == out ? 0 : sb == out ? 1 : -1;
            check_all({op, {}, {input{a}, input{b}}, {{out}}}, want,
                      op + " " + gearc::shape::of(sa).to_string() + " with " + gearc::shape::of(sb).to_string(), alias);
        }
    // NaN propagates through Max and Min either side
    const host p = make<float>({4}, {qnan, 1.f, 2.f, qnan}), q = make<float>({4}, {1.f, qnan, 3.f, qnan});
    check_all({"Max", {}, {input{p}, input{q}}, {{{4}}}}, {qnan, qnan, 3, qnan}, "Max NaN");
    check_all({"Min", {}, {input{p}, input{q}}, {{{4}}}}, {qnan, qnan, 2, qnan}, "Min NaN");
}

TEST_CASE("Pow: scalar exponents take the unary path; negative bases, zero, and a tensor exponent") {
    std::mt19937 rng(5);
    const host x = random({3, 501}, rng);
    for (float e : {2.f, 3.f, 1.f, 0.5f, -1.f, 0.f, 1.7f, -2.f}) {
        const host xe = e == 0.5f || e == 1.7f ? random({3, 501}, rng, 0.f, 4.f) : x;
        check_all({"Pow", {}, {input{xe}, input{make<float>({}, {e}), true}}, {{xe.sizes}}},
                  each(xe, [e](double v) { return std::pow(v, double(e)); }), "x^" + std::to_string(e), 0);
    }
    check_all({"Pow", {}, {input{make<float>({6}, {-2.f, -2.f, 0.f, 0.f, qnan, -8.f})}, input{make<float>({6}, {3.f, 0.5f, 0.f, -1.f, 0.f, 1.f / 3})}},
               {{{6}}}},
              {-8, qnan, 1, inf, 1, qnan}, "Pow special cases");
    // an integer exponent on a float base: the reference evaluator
    CHECK(run({"Pow", {}, {input{x}, input{make<std::int64_t>({}, {2})}}, {{x.sizes}}}, 1, cpu_table())->kernel == "reference");
}

TEST_CASE("Sum, Mean, Max, Min over 1 to 4 broadcast inputs, in place on any input") {
    std::mt19937 rng(6);
    const std::vector<sizes_t> shapes = {{2, 3, 40}, {3, 1}, {40}, {}};
    for (const std::string op : {"Sum", "Mean", "Max", "Min"})
        for (std::size_t k = 1; k <= 4; ++k) {
            std::vector<host> ins;
            sizes_t out;
            for (std::size_t i = 0; i < k; ++i) {
                ins.push_back(random(shapes[(i + k) % shapes.size()], rng));
                out = broadcast(out, ins.back().sizes);
            }
            std::vector<double> want(static_cast<std::size_t>(count(out)));
            for (std::int64_t e = 0; e < count(out); ++e) {
                double acc = op == "Max" ? -1e300 : op == "Min" ? 1e300 : 0;
                for (const auto& h : ins) {
                    const double v = h.values<float>()[source(e, out, h.sizes)];
                    acc = op == "Max" ? std::max(acc, v) : op == "Min" ? std::min(acc, v) : acc + v;
                }
                want[static_cast<std::size_t>(e)] = op == "Mean" ? acc / static_cast<double>(k) : acc;
            }
            node_case c{op, {}, {}, {{out}}};
            for (const auto& h : ins) c.inputs.push_back(input{h});
            int alias = -1;
            for (std::size_t i = 0; i < k; ++i)
                if (ins[i].sizes == out) alias = static_cast<int>(i);
            check_all(c, want, op + " of " + std::to_string(k), alias);
        }
    // the same input twice, in place: Sum(x, y, x) with the output in x's memory
    const host x = random({50}, rng), y = random({50}, rng);
    std::vector<double> want;
    for (std::size_t i = 0; i < 50; ++i) want.push_back(2.0 * x.values<float>()[i] + y.values<float>()[i]);
    gearc::graph g("t");
    auto* vx = g.add_input("x", gearc::value_type::tensor_of(dtype::float32, gearc::shape{50}));
    auto* vy = g.add_input("y", gearc::value_type::tensor_of(dtype::float32, gearc::shape{50}));
    gk::prepare_args a;
    a.n = g.add_node("Sum", {vx, vy, vx}, 1);
    a.inputs = {vx->type(), vy->type(), vx->type()};
    a.constants = {nullptr, nullptr, nullptr};
    a.outputs = {vx->type()};
    auto k = cpu_table().make(a);
    REQUIRE(k);
    std::vector<float> xs = x.values<float>(), ys = y.values<float>();
    std::int64_t s[] = {50};
    gk::tensor_ref in[] = {{dtype::float32, s, reinterpret_cast<std::byte*>(xs.data())},
                           {dtype::float32, s, reinterpret_cast<std::byte*>(ys.data())},
                           {dtype::float32, s, reinterpret_cast<std::byte*>(xs.data())}};
    gk::tensor_ref out[] = {{dtype::float32, s, reinterpret_cast<std::byte*>(xs.data())}};
    gk::exec_context ctx;
    k->run(in, out, ctx);
    check_close(xs, want, "Sum(x, y, x) in place");
}

TEST_CASE("PRelu: the slope broadcasts to X (per channel, scalar, full)") {
    std::mt19937 rng(7);
    const host x = random({2, 3, 5, 7}, rng);
    for (const sizes_t& s : {sizes_t{3, 1, 1}, sizes_t{1}, sizes_t{2, 3, 5, 7}, sizes_t{7}}) {
        const host slope = random(s, rng, 0.f, 1.f);
        const auto want = zip<double, float>(x, slope, [](float v, float a) { return v < 0 ? double(a) * v : v; });
        check_all({"PRelu", {}, {input{x}, input{slope, true}}, {{x.sizes}}}, want, "PRelu slope " + gearc::shape::of(s).to_string(), 0);
    }
}

TEST_CASE("Where on float, int64 and bool, with broadcast conditions and values") {
    std::mt19937 rng(8);
    for (const auto& [sa, sb] : broadcast_cases) {
        const sizes_t sc = sa.size() > 1 ? sizes_t{sa.back()} : sa;
        const host c = random_bools(sc, rng);
        const host x = random(sa, rng), y = random(sb, rng);
        const auto out = broadcast(broadcast(sc, sa), sb);
        std::vector<double> want;
        const auto cv = c.values<std::uint8_t>();
        const auto xv = x.values<float>(), yv = y.values<float>();
        for (std::int64_t i = 0; i < count(out); ++i)
            want.push_back(cv[source(i, out, sc)] ? xv[source(i, out, sa)] : yv[source(i, out, sb)]);
        check_all({"Where", {}, {input{c}, input{x}, input{y}}, {{out}}}, want, "Where " + gearc::shape::of(out).to_string(),
                  sa == out ? 1 : sb == out ? 2 : -1);
        // int64 and bool values: the same selection, bit for bit
        const host xi = random_ints<std::int64_t>(sa, rng, -1000, 1000), yi = random_ints<std::int64_t>(sb, rng, -1000, 1000);
        const host xb = random_bools(sa, rng), yb = random_bools(sb, rng);
        for (std::size_t threads : {1u, 3u}) {
            auto r = run({"Where", {}, {input{c}, input{xi}, input{yi}}, {{out, dtype::int64}}}, threads, fine_table());
            REQUIRE(r);
            std::vector<std::int64_t> wi;
            const auto xiv = xi.values<std::int64_t>(), yiv = yi.values<std::int64_t>();
            for (std::int64_t i = 0; i < count(out); ++i) wi.push_back(cv[source(i, out, sc)] ? xiv[source(i, out, sa)] : yiv[source(i, out, sb)]);
            check_equal(r->outs[0].values<std::int64_t>(), wi, "Where int64");
            r = run({"Where", {}, {input{c}, input{xb}, input{yb}}, {{out, dtype::boolean}}}, threads, fine_table());
            REQUIRE(r);
            std::vector<std::uint8_t> wb;
            const auto xbv = xb.values<std::uint8_t>(), ybv = yb.values<std::uint8_t>();
            for (std::int64_t i = 0; i < count(out); ++i) wb.push_back(cv[source(i, out, sc)] ? xbv[source(i, out, sa)] : ybv[source(i, out, sb)]);
            check_equal(r->outs[0].values<std::uint8_t>(), wb, "Where bool");
        }
    }
}

TEST_CASE("integer and bool operators: arithmetic wraps, comparisons, logic, BitShift; the rest falls to the reference") {
    std::mt19937 rng(9);
    for (const auto& [sa, sb] : broadcast_cases) {
        const auto out = broadcast(sa, sb);
        for (std::size_t threads : {1u, 3u}) {
            const host a = random_ints<std::int64_t>(sa, rng, -50, 50), b = random_ints<std::int64_t>(sb, rng, -50, 50);
            const host a32 = random_ints<std::int32_t>(sa, rng, -50, 50), b32 = random_ints<std::int32_t>(sb, rng, -50, 50);
            using I = std::int64_t;
            using J = std::int32_t;
            const std::vector<std::pair<std::string, std::function<I(I, I)>>> ops = {
                {"Add", std::plus<I>()}, {"Sub", std::minus<I>()}, {"Mul", std::multiplies<I>()},
                {"Max", [](I x, I y) { return std::max(x, y); }}, {"Min", [](I x, I y) { return std::min(x, y); }}};
            for (const auto& [op, f] : ops) {
                auto r = run({op, {}, {input{a}, input{b}}, {{out, dtype::int64}}}, threads, fine_table());
                REQUIRE(r);
                check_equal(r->outs[0].values<I>(), zip<I, I>(a, b, f), op + " int64");
                r = run({op, {}, {input{a32}, input{b32}}, {{out, dtype::int32}}}, threads, fine_table());
                REQUIRE(r);
                check_equal(r->outs[0].values<J>(), zip<J, J>(a32, b32, [&](J x, J y) { return static_cast<J>(f(x, y)); }), op + " int32");
            }
            const std::vector<std::pair<std::string, std::function<bool(double, double)>>> cmps = {
                {"Equal", std::equal_to<double>()}, {"Less", std::less<double>()}, {"Greater", std::greater<double>()},
                {"LessOrEqual", std::less_equal<double>()}, {"GreaterOrEqual", std::greater_equal<double>()}};
            const host fa = random(sa, rng), fb = random(sb, rng);
            for (const auto& [op, f] : cmps) {
                auto r = run({op, {}, {input{a}, input{b}}, {{out, dtype::boolean}}}, threads, fine_table());
                REQUIRE(r);
                check_equal(r->outs[0].values<std::uint8_t>(), zip<std::uint8_t, I>(a, b, [&](I x, I y) { return std::uint8_t(f(double(x), double(y))); }),
                            op + " int64");
                r = run({op, {}, {input{fa}, input{fb}}, {{out, dtype::boolean}}}, threads, fine_table());
                REQUIRE(r);
                check_equal(r->outs[0].values<std::uint8_t>(), zip<std::uint8_t, float>(fa, fb, [&](float x, float y) { return std::uint8_t(f(x, y)); }),
                            op + " float");
            }
            const host ba = random_bools(sa, rng), bb = random_bools(sb, rng);
            using B = std::uint8_t;
            const std::vector<std::pair<std::string, std::function<B(B, B)>>> logic = {
                {"And", [](B x, B y) { return B(x && y); }}, {"Or", [](B x, B y) { return B(x || y); }},
                {"Xor", [](B x, B y) { return B(x != y); }}, {"Equal", [](B x, B y) { return B(x == y); }}};
            for (const auto& [op, f] : logic) {
                auto r = run({op, {}, {input{ba}, input{bb}}, {{out, dtype::boolean}}}, threads, fine_table());
                REQUIRE(r);
                check_equal(r->outs[0].values<B>(), zip<B, B>(ba, bb, f), op + " bool");
            }
        }
    }
    // wrapping, unary integer operators, BitShift
    const std::int64_t big = std::numeric_limits<std::int64_t>::max(), small = std::numeric_limits<std::int64_t>::min();
    auto r = run({"Add", {}, {input{make<std::int64_t>({2}, {big, small})}, input{make<std::int64_t>({2}, {1, -1})}}, {{{2}, dtype::int64}}}, 1,
                 cpu_table());
    CHECK(r->outs[0].values<std::int64_t>() == std::vector<std::int64_t>{small, big});
    const host iv = make<std::int32_t>({4}, {-3, 0, 7, std::numeric_limits<std::int32_t>::min()});
    CHECK(run({"Neg", {}, {input{iv}}, {{{4}, dtype::int32}}}, 1, cpu_table())->outs[0].values<std::int32_t>() ==
          std::vector<std::int32_t>{3, 0, -7, std::numeric_limits<std::int32_t>::min()});
    CHECK(run({"Abs", {}, {input{iv}}, {{{4}, dtype::int32}}}, 1, cpu_table())->outs[0].values<std::int32_t>() ==
          std::vector<std::int32_t>{3, 0, 7, std::numeric_limits<std::int32_t>::min()});
    CHECK(run({"Relu", {}, {input{iv}}, {{{4}, dtype::int32}}}, 1, cpu_table())->outs[0].values<std::int32_t>() == std::vector<std::int32_t>{0, 0, 7, 0});
    const host u = make<std::uint8_t>({4}, {1, 3, 128, 255}), sh = make<std::uint8_t>({4}, {1, 7, 1, 8});
    CHECK(run({"BitShift", {{"direction", std::string("LEFT")}}, {input{u}, input{sh}}, {{{4}, dtype::uint8}}}, 1, cpu_table())
              ->outs[0]
              .values<std::uint8_t>() == std::vector<std::uint8_t>{2, 128, 0, 0});
    CHECK(run({"BitShift", {{"direction", std::string("RIGHT")}}, {input{u}, input{sh}}, {{{4}, dtype::uint8}}}, 1, cpu_table())
              ->outs[0]
              .values<std::uint8_t>() == std::vector<std::uint8_t>{0, 0, 64, 0});
    // integer Div and Mean: not this family's (the table falls through to the reference evaluator for Div)
    const host d = make<std::int64_t>({2}, {7, -7});
    gk::kernel_table family;
    gk::cpu::register_elementwise(family);
    CHECK_FALSE(run({"Div", {}, {input{d}, input{make<std::int64_t>({}, {2})}}, {{{2}, dtype::int64}}}, 1, family));
    CHECK_FALSE(run({"Mean", {}, {input{d}, input{d}}, {{{2}, dtype::int64}}}, 1, family));
    CHECK(run({"Div", {}, {input{d}, input{make<std::int64_t>({}, {2})}}, {{{2}, dtype::int64}}}, 1, cpu_table())->kernel == "reference");
}

namespace {

/// Softmax, LogSoftmax, Hardmax in double over [outer, len, inner].
std::vector<double> naive_softmax(const host& x, const std::string& op, std::int64_t outer, std::int64_t len, std::int64_t inner) {
    const auto v = x.values<float>();
    std::vector<double> y(v.size());
    for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t i = 0; i < inner; ++i) {
            auto at = [&](std::int64_t l) { return static_cast<std::size_t>((o * len + l) * inner + i); };
            double m = -1e300, s = 0;
            std::int64_t best = 0;
            for (std::int64_t l = 0; l < len; ++l)
                if (v[at(l)] > m) {
                    m = v[at(l)];
                    best = l;
                }
            for (std::int64_t l = 0; l < len; ++l) s += std::exp(v[at(l)] - m);
            for (std::int64_t l = 0; l < len; ++l)
                y[at(l)] = op == "Softmax" ? std::exp(v[at(l)] - m) / s : op == "LogSoftmax" ? v[at(l)] - m - std::log(s) : (l == best ? 1 : 0);
        }
    return y;
}

std::int64_t prod(const sizes_t& s, std::size_t from, std::size_t to) {
    std::int64_t n = 1;
    for (std::size_t i = from; i < to && i < s.size(); ++i) n *= s[i];
    return n;
}

}  // namespace

TEST_CASE("Softmax, LogSoftmax, Hardmax: single axis from opset 13, flattened at the axis before, default axes") {
    std::mt19937 rng(10);
    for (const std::string op : {"Softmax", "LogSoftmax", "Hardmax"})
        for (const sizes_t& s : {sizes_t{3, 4, 5}, sizes_t{2, 3, 300}, sizes_t{1000}, sizes_t{6, 1, 9}})
            for (std::int64_t opset : {11, 13}) {
                const host x = random(s, rng, -20.f, 20.f);
                const auto r = static_cast<std::int64_t>(s.size());
                for (std::int64_t axis = -r; axis <= r; ++axis) {  // axis = r: the default (attribute absent)
                    const bool dflt = axis == r;
                    // the default before 13 is 1, a vector's rank: one-element rows
                    const std::int64_t ax = dflt ? (opset < 13 ? 1 : r - 1) : (axis < 0 ? axis + r : axis);
                    const auto a = static_cast<std::size_t>(ax);
                    const std::int64_t outer = prod(s, 0, a);
                    const std::int64_t len = opset < 13 ? prod(s, a, s.size()) : s[a];
                    const std::int64_t inner = opset < 13 ? 1 : prod(s, a + 1, s.size());
                    gearc::node::attribute_list attrs;
                    if (!dflt) attrs.emplace_back("axis", gearc::attribute(axis));
                    check_all({op, attrs, {input{x}}, {{s}}, opset}, naive_softmax(x, op, outer, len, inner),
                              op + "-" + std::to_string(opset) + " " + gearc::shape::of(s).to_string() + " axis " +
                                  (dflt ? std::string("default") : std::to_string(axis)));
                }
            }
    // a Hardmax tie picks the first; a row of -inf and a huge logit stay finite where they should
    check_all({"Hardmax", {}, {input{make<float>({2, 3}, {1.f, 3.f, 3.f, 2.f, 2.f, 2.f})}}, {{{2, 3}}}}, {0, 1, 0, 1, 0, 0}, "Hardmax ties");
    check_all({"Softmax", {}, {input{make<float>({1, 3}, {1000.f, 0.f, -inf})}}, {{{1, 3}}}}, {1, 0, 0}, "Softmax extremes");
}

TEST_CASE("BatchNormalization in inference: folded weights or computed statistics, spatial and per-activation") {
    std::mt19937 rng(11);
    for (const sizes_t& s : {sizes_t{2, 3, 7, 5}, sizes_t{4, 6}, sizes_t{1, 5, 1000}})
        for (bool constant : {true, false}) {
            const std::int64_t c = s[1], sp = prod(s, 2, s.size());
            const host x = random(s, rng), scale = random({c}, rng), bias = random({c}, rng), mean = random({c}, rng),
                       var = random({c}, rng, 0.1f, 2.f);
            const auto xv = x.values<float>(), sv = scale.values<float>(), bv = bias.values<float>(), mv = mean.values<float>(),
                       vv = var.values<float>();
            std::vector<double> want;
            for (std::size_t i = 0; i < xv.size(); ++i) {
                const auto ch = static_cast<std::size_t>((static_cast<std::int64_t>(i) / sp) % c);
                want.push_back((xv[i] - mv[ch]) / std::sqrt(double(vv[ch]) + 1e-3) * sv[ch] + bv[ch]);
            }
            check_all({"BatchNormalization", {{"epsilon", 1e-3f}},
                       {input{x}, input{scale, constant}, input{bias, constant}, input{mean, constant}, input{var, constant}},
                       {{s}}, 15},
                      want, "BatchNormalization " + gearc::shape::of(s).to_string() + (constant ? " folded" : " computed"), 0);
        }
    // opset 7 with spatial = 0: statistics per activation [C, H, W]
    const host x = random({3, 2, 4, 5}, rng), scale = random({2, 4, 5}, rng), bias = random({2, 4, 5}, rng), mean = random({2, 4, 5}, rng),
               var = random({2, 4, 5}, rng, 0.5f, 1.f);
    std::vector<double> want;
    const auto xv = x.values<float>(), sv = scale.values<float>(), bv = bias.values<float>(), mv = mean.values<float>(), vv = var.values<float>();
    for (std::size_t i = 0; i < xv.size(); ++i) {
        const std::size_t j = i % 40;
        want.push_back((xv[i] - mv[j]) / std::sqrt(double(vv[j]) + 1e-5) * sv[j] + bv[j]);
    }
    check_all({"BatchNormalization", {{"spatial", std::int64_t{0}}}, {input{x}, input{scale}, input{bias}, input{mean}, input{var}}, {{x.sizes}}, 7},
              want, "BatchNormalization-7 spatial=0");
    // training mode is not inference: no kernel
    CHECK_FALSE(run({"BatchNormalization", {{"training_mode", std::int64_t{1}}}, {input{x}, input{scale}, input{bias}, input{mean}, input{var}},
                     {{x.sizes}}, 15},
                    1, cpu_table()));
}

TEST_CASE("InstanceNormalization, LayerNormalization (both domains, broadcast scale/bias, Mean/InvStdDev), MeanVarianceNormalization") {
    std::mt19937 rng(12);
    {
        const sizes_t s{2, 3, 9, 11};
        const host x = random(s, rng, -2.f, 5.f), scale = random({3}, rng), bias = random({3}, rng);
        const auto xv = x.values<float>(), sv = scale.values<float>(), bv = bias.values<float>();
        std::vector<double> want(xv.size());
        for (std::size_t r = 0; r < 6; ++r) {
            double m = 0, v = 0;
            for (std::size_t i = 0; i < 99; ++i) m += xv[r * 99 + i];
            m /= 99;
            for (std::size_t i = 0; i < 99; ++i) v += (xv[r * 99 + i] - m) * (xv[r * 99 + i] - m);
            v /= 99;
            for (std::size_t i = 0; i < 99; ++i) want[r * 99 + i] = (xv[r * 99 + i] - m) / std::sqrt(v + 1e-5) * sv[r % 3] + bv[r % 3];
        }
        check_all({"InstanceNormalization", {}, {input{x}, input{scale, true}, input{bias, true}}, {{s}}}, want, "InstanceNormalization", 0);
    }
    for (const auto& [s, axis, ps] : {std::tuple{sizes_t{4, 6, 32}, std::int64_t{-1}, sizes_t{32}}, std::tuple{sizes_t{4, 6, 32}, std::int64_t{1}, sizes_t{1, 32}},
                                      std::tuple{sizes_t{3, 5, 7}, std::int64_t{1}, sizes_t{5, 7}}, std::tuple{sizes_t{2, 3}, std::int64_t{0}, sizes_t{1}}})
        for (bool with_bias : {true, false})
            for (bool constant : {true, false})
                for (const std::string domain : {"", "ai.gearc"}) {
                    const host x = random(s, rng, -1.f, 4.f), scale = random(ps, rng), bias = random(ps, rng);
                    const auto a = static_cast<std::size_t>(axis < 0 ? axis + static_cast<std::int64_t>(s.size()) : axis);
                    const sizes_t norm(s.begin() + static_cast<std::ptrdiff_t>(a), s.end());
                    const std::int64_t rows = prod(s, 0, a), len = prod(s, a, s.size());
                    const auto xv = x.values<float>(), sv = scale.values<float>(), bv = bias.values<float>();
                    std::vector<double> want(xv.size()), means, invs;
                    for (std::int64_t r = 0; r < rows; ++r) {
                        double m = 0, v = 0;
                        for (std::int64_t i = 0; i < len; ++i) m += xv[static_cast<std::size_t>(r * len + i)];
                        m /= double(len);
                        for (std::int64_t i = 0; i < len; ++i) v += std::pow(xv[static_cast<std::size_t>(r * len + i)] - m, 2);
                        const double inv = 1 / std::sqrt(v / double(len) + 1e-4);
                        means.push_back(m);
                        invs.push_back(inv);
                        for (std::int64_t i = 0; i < len; ++i) {
                            const auto at = static_cast<std::size_t>(r * len + i);
                            want[at] = (xv[at] - m) * inv * sv[source(i, norm, ps)] + (with_bias ? bv[source(i, norm, ps)] : 0.0);
                        }
                    }
                    sizes_t stat = s;
                    for (std::size_t d = a; d < stat.size(); ++d) stat[d] = 1;
                    node_case c{"LayerNormalization", {{"axis", axis}, {"epsilon", 1e-4f}}, {input{x}, input{scale, constant}}, {{s}, {stat}, {stat}},
                                17, domain};
                    if (with_bias) c.inputs.push_back(input{bias, constant});
                    const std::string what = "LayerNormalization " + gearc::shape::of(s).to_string() + " axis " + std::to_string(axis) + " scale " +
                                             gearc::shape::of(ps).to_string() + (with_bias ? " bias" : "") + (constant ? " constant" : "") + " " + domain;
                    check_all(c, want, what, 0);
                    for (std::size_t threads : {1u, 3u}) {
                        auto got = run(c, threads, fine_table());
                        REQUIRE(got);
                        check_close(got->outs[1].values<float>(), means, what + " Mean");
                        check_close(got->outs[2].values<float>(), invs, what + " InvStdDev");
                    }
                    c.outputs.resize(1);  // without the optional outputs
                    check_all(c, want, what + ", Y only");
                }
    for (const auto& [s, axes] : {std::pair{sizes_t{2, 3, 4, 5}, std::vector<std::int64_t>{}}, std::pair{sizes_t{2, 3, 4, 5}, std::vector<std::int64_t>{1}},
                                  std::pair{sizes_t{3, 8, 6}, std::vector<std::int64_t>{0, -1}}}) {
        const host x = random(s, rng, 0.f, 3.f);
        const std::vector<std::int64_t> ax = axes.empty() ? std::vector<std::int64_t>{0, 2, 3} : axes;
        sizes_t kept = s;
        for (auto d : ax) kept[static_cast<std::size_t>(d < 0 ? d + static_cast<std::int64_t>(s.size()) : d)] = 1;
        const auto xv = x.values<float>();
        std::vector<double> m(static_cast<std::size_t>(count(kept))), sq(m.size());
        const double n = double(count(s)) / double(count(kept));
        for (std::int64_t i = 0; i < count(s); ++i) {
            m[source(i, s, kept)] += xv[static_cast<std::size_t>(i)] / n;
            sq[source(i, s, kept)] += double(xv[static_cast<std::size_t>(i)]) * xv[static_cast<std::size_t>(i)] / n;
        }
        std::vector<double> want;
        for (std::int64_t i = 0; i < count(s); ++i) {
            const auto g = source(i, s, kept);
            want.push_back((xv[static_cast<std::size_t>(i)] - m[g]) / (std::sqrt(sq[g] - m[g] * m[g]) + 1e-9));
        }
        gearc::node::attribute_list attrs;
        if (!axes.empty()) attrs.emplace_back("axes", gearc::attribute(axes));
        check_all({"MeanVarianceNormalization", attrs, {input{x}}, {{s}}, 13}, want, "MeanVarianceNormalization " + gearc::shape::of(s).to_string());
    }
}

TEST_CASE("LpNormalization: p = 1 and 2, last and middle axes") {
    std::mt19937 rng(13);
    for (const sizes_t& s : {sizes_t{4, 50}, sizes_t{3, 7, 11}})
        for (std::int64_t p : {1, 2})
            for (std::int64_t axis : {-1, 1, 0}) {
                const host x = random(s, rng);
                const auto a = static_cast<std::size_t>(axis < 0 ? axis + static_cast<std::int64_t>(s.size()) : axis);
                const std::int64_t outer = prod(s, 0, a), len = s[a], inner = prod(s, a + 1, s.size());
                const auto xv = x.values<float>();
                std::vector<double> want(xv.size());
                for (std::int64_t o = 0; o < outer; ++o)
                    for (std::int64_t i = 0; i < inner; ++i) {
                        double nrm = 0;
                        for (std::int64_t l = 0; l < len; ++l) {
                            const double v = xv[static_cast<std::size_t>((o * len + l) * inner + i)];
                            nrm += p == 1 ? std::abs(v) : v * v;
                        }
                        if (p == 2) nrm = std::sqrt(nrm);
                        for (std::int64_t l = 0; l < len; ++l) {
                            const auto at = static_cast<std::size_t>((o * len + l) * inner + i);
                            want[at] = xv[at] / nrm;
                        }
                    }
                check_all({"LpNormalization", {{"p", p}, {"axis", axis}}, {input{x}}, {{s}}}, want,
                          "LpNormalization p " + std::to_string(p) + " axis " + std::to_string(axis) + " " + gearc::shape::of(s).to_string());
            }
}
