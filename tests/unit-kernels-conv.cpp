// CPU convolution and pooling kernels: every algorithm, auto_pad mode and fused activation against naive loops.
#include <doctest/doctest.h>

#include "test_support.hpp"

#include <gearc/kernels/cpu/conv.hpp>
#include <gearc/kernels/cpu_kernels.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

using gearc::dtype;
using gearc::shape;
using gearc::tensor;
using gearc::value_type;
namespace kernels = gearc::kernels;
namespace cpu = gearc::kernels::cpu;
using index_t = std::int64_t;
using ints = std::vector<index_t>;

namespace {

std::mt19937& rng() {
    static std::mt19937 r(20240611);
    return r;
}
index_t pick(index_t lo, index_t hi) { return std::uniform_int_distribution<index_t>(lo, hi)(rng()); }
bool coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng()); }
template <class T>
const T& pick_of(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(pick(0, static_cast<index_t>(v.size()) - 1))];
}
std::vector<float> random_floats(index_t n) {
    std::uniform_real_distribution<float> d(-1.f, 1.f);
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = d(rng());
    return v;
}
index_t product(const ints& s) {
    index_t n = 1;
    for (auto v : s) n *= v;
    return n;
}
index_t floor_div(index_t a, index_t b) { return a / b - (a % b != 0 && a < 0 ? 1 : 0); }

gearc::thread_pool& pool(std::size_t threads) {
    static gearc::thread_pool one(1), three(3);
    return threads == 1 ? one : three;
}

/// A one-node graph: X (input), optional further inputs as constants or graph inputs, shapes inferred.
struct one_node {
    std::unique_ptr<gearc::graph> g = std::make_unique<gearc::graph>("one");
    gearc::node* n = nullptr;
    std::vector<gearc::value*> ins;
    std::vector<std::vector<float>> data;  ///< per input, its values (empty: absent)

    void input(const std::string& name, const ints& sizes, std::vector<float> values, bool constant) {
        if (constant) ins.push_back(g->add_initializer(name, tensor::from<float>(sizes, values)));
        else ins.push_back(g->add_input(name, value_type::tensor_of(dtype::float32, shape::of(sizes))));
        data.push_back(std::move(values));
    }
    void make(const std::string& op, gearc::node::attribute_list attrs, std::size_t outputs = 1, const std::string& domain = "") {
        n = g->add_node(op, ins, outputs, std::move(attrs), "n", domain);
        for (std::size_t i = 0; i < outputs; ++i) g->add_output(n->output(i));
        gearc::pass_context ctx;
        gearc::passes::infer_shapes{}.run(*g, ctx);
    }
    [[nodiscard]] ints out_sizes(std::size_t i = 0) const { return n->output(i)->type().dims->sizes(); }

    [[nodiscard]] kernels::prepare_args args(std::size_t threads) const {
        kernels::prepare_args a;
        a.n = n;
        for (auto* v : ins) {
            a.inputs.push_back(v->type());
            a.constants.push_back(v->initializer() ? &*v->initializer() : nullptr);
        }
        for (std::size_t i = 0; i < n->num_outputs(); ++i) a.outputs.push_back(n->output(i)->type());
        a.threads = threads;
        return a;
    }

    /// Runs `k` on the node's inputs; Y (and Indices when the node has two outputs).
    std::pair<std::vector<float>, std::vector<std::int64_t>> run(const kernels::op_kernel& k, std::size_t threads) const {
        std::vector<ints> in_sizes, out_sizes_v;
        std::vector<kernels::tensor_ref> in, out;
        in_sizes.reserve(ins.size());
        for (std::size_t i = 0; i < ins.size(); ++i) in_sizes.push_back(ins[i]->type().dims->sizes());
        for (std::size_t i = 0; i < ins.size(); ++i)
            in.push_back({dtype::float32, in_sizes[i], reinterpret_cast<std::byte*>(const_cast<float*>(data[i].data()))});
        out_sizes_v.push_back(out_sizes(0));
        std::vector<float> y(static_cast<std::size_t>(product(out_sizes_v[0])), std::nanf(""));
        std::vector<std::int64_t> idx;
        out.push_back({dtype::float32, out_sizes_v[0], reinterpret_cast<std::byte*>(y.data())});
        if (n->num_outputs() > 1) {
            out_sizes_v.push_back(out_sizes(1));
            idx.assign(static_cast<std::size_t>(product(out_sizes_v[1])), -7);
            out.push_back({dtype::int64, out_sizes_v[1], reinterpret_cast<std::byte*>(idx.data())});
        }
        // scratch as the runtime gives it: 64-byte aligned, poisoned so stale data would show
        std::vector<float> scratch(k.scratch_bytes() / sizeof(float) + 16, std::nanf(""));
        auto* base = reinterpret_cast<std::byte*>(scratch.data());
        base += (64 - reinterpret_cast<std::uintptr_t>(base) % 64) % 64;
        kernels::exec_context ctx{&pool(threads), k.scratch_bytes() ? base : nullptr, k.scratch_bytes()};
        k.run(in, out, ctx);
        return {std::move(y), std::move(idx)};
    }
};

void check_close(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
    REQUIRE(got.size() == want.size());
    std::size_t bad = 0, first = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const bool ok = std::abs(got[i] - want[i]) <= 1e-5f + 1e-4f * std::abs(want[i]) ||
                        (std::isinf(want[i]) && got[i] == want[i]);
        if (!ok && bad++ == 0) first = i;
    }
    INFO(what);
    INFO("first mismatch at " << first << ": got " << (bad ? got[first] : 0.f) << ", want " << (bad ? want[first] : 0.f));
    CHECK(bad == 0);
}

// ---- naive references ------------------------------------------------------------------------------

/// Spatial geometry padded to 3 dims at the front, as the references loop over it.
struct geo3 {
    std::array<index_t, 3> in{1, 1, 1}, out{1, 1, 1}, k{1, 1, 1}, s{1, 1, 1}, d{1, 1, 1}, pb{0, 0, 0}, pe{0, 0, 0};
    [[nodiscard]] index_t in_size() const { return in[0] * in[1] * in[2]; }
    [[nodiscard]] index_t out_size() const { return out[0] * out[1] * out[2]; }
    [[nodiscard]] index_t k_size() const { return k[0] * k[1] * k[2]; }
};
geo3 to_geo3(const ints& in, const ints& out, const ints& k, const ints& s, const ints& d, const ints& pads) {
    geo3 g;
    const std::size_t n = in.size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t j = 3 - n + i;
        g.in[j] = in[i], g.out[j] = out[i], g.k[j] = k[i], g.s[j] = s[i], g.d[j] = d[i], g.pb[j] = pads[i], g.pe[j] = pads[i + n];
    }
    return g;
}

/// ONNX's output size and pads of a forward window; `out` given (pools with ceil_mode) or computed.
ints forward_pads(const std::string& auto_pad, const ints& in, const ints& k, const ints& s, const ints& d, const ints& pads,
                  const ints& out) {
    const std::size_t n = in.size();
    ints p(2 * n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const index_t ext = (k[i] - 1) * d[i] + 1;
        if (auto_pad == "NOTSET") {
            p[i] = pads[i], p[i + n] = pads[i + n];
        } else if (auto_pad != "VALID") {
            const index_t total = std::max<index_t>(0, (out[i] - 1) * s[i] + ext - in[i]);
            p[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
            p[i + n] = total - p[i];
        }
    }
    return p;
}
ints conv_out(const std::string& auto_pad, const ints& in, const ints& k, const ints& s, const ints& d, const ints& pads) {
    const std::size_t n = in.size();
    ints o(n);
    for (std::size_t i = 0; i < n; ++i) {
        const index_t ext = (k[i] - 1) * d[i] + 1;
        if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") o[i] = (in[i] + s[i] - 1) / s[i];
        else if (auto_pad == "VALID") o[i] = floor_div(in[i] - ext, s[i]) + 1;
        else o[i] = floor_div(in[i] + pads[i] + pads[i + n] - ext, s[i]) + 1;
    }
    return o;
}

struct activation {
    std::string op;  ///< "" for none
    std::vector<float> params;
    [[nodiscard]] float operator()(float v) const {
        if (op == "Relu") return std::max(v, 0.f);
        if (op == "Sigmoid") return 1.f / (1.f + std::exp(-v));
        if (op == "Tanh") return std::tanh(v);
        if (op == "HardSwish") return v * std::clamp(v / 6.f + 0.5f, 0.f, 1.f);
        if (op == "LeakyRelu") return v < 0 ? params[0] * v : v;
        if (op == "HardSigmoid") return std::clamp(params[0] * v + params[1], 0.f, 1.f);
        if (op == "Clip") return std::min(std::max(v, params[0]), params[1]);
        return v;
    }
};

std::vector<float> conv_reference(const std::vector<float>& x, const ints& xs, const std::vector<float>& w, const ints& ws,
                                  const std::vector<float>* b, index_t group, const geo3& g, const activation& act) {
    const index_t n_img = xs[0], c = xs[1], m = ws[0], cg = ws[1], mg = m / group;
    std::vector<float> y(static_cast<std::size_t>(n_img * m * g.out_size()));
    std::size_t at = 0;
    for (index_t n = 0; n < n_img; ++n)
        for (index_t oc = 0; oc < m; ++oc)
            for (index_t o0 = 0; o0 < g.out[0]; ++o0)
                for (index_t o1 = 0; o1 < g.out[1]; ++o1)
                    for (index_t o2 = 0; o2 < g.out[2]; ++o2) {
                        double acc = b ? (*b)[static_cast<std::size_t>(oc)] : 0.0;
                        for (index_t ic = 0; ic < cg; ++ic)
                            for (index_t k0 = 0; k0 < g.k[0]; ++k0)
                                for (index_t k1 = 0; k1 < g.k[1]; ++k1)
                                    for (index_t k2 = 0; k2 < g.k[2]; ++k2) {
                                        const index_t i0 = o0 * g.s[0] - g.pb[0] + k0 * g.d[0], i1 = o1 * g.s[1] - g.pb[1] + k1 * g.d[1],
                                                      i2 = o2 * g.s[2] - g.pb[2] + k2 * g.d[2];
                                        if (i0 < 0 || i0 >= g.in[0] || i1 < 0 || i1 >= g.in[1] || i2 < 0 || i2 >= g.in[2]) continue;
                                        const index_t xc = oc / mg * cg + ic;
                                        acc += double(x[static_cast<std::size_t>((((n * c + xc) * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2)]) *
                                               w[static_cast<std::size_t>((((oc * cg + ic) * g.k[0] + k0) * g.k[1] + k1) * g.k[2] + k2)];
                                    }
                        y[at++] = act(static_cast<float>(acc));
                    }
    return y;
}

/// ConvTranspose as a scatter: input i, tap k -> output i * stride - pad + k * dilation.
std::vector<float> conv_transpose_reference(const std::vector<float>& x, const ints& xs, const std::vector<float>& w, const ints& ws,
                                            const std::vector<float>* b, index_t group, const geo3& g) {
    const index_t n_img = xs[0], c = xs[1], cg = c / group, mg = ws[1], m = mg * group;
    std::vector<double> acc(static_cast<std::size_t>(n_img * m * g.out_size()), 0.0);
    for (index_t n = 0; n < n_img; ++n)
        for (index_t ic = 0; ic < c; ++ic)
            for (index_t i0 = 0; i0 < g.in[0]; ++i0)
                for (index_t i1 = 0; i1 < g.in[1]; ++i1)
                    for (index_t i2 = 0; i2 < g.in[2]; ++i2) {
                        const double xv = x[static_cast<std::size_t>((((n * c + ic) * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2)];
                        for (index_t om = 0; om < mg; ++om)
                            for (index_t k0 = 0; k0 < g.k[0]; ++k0)
                                for (index_t k1 = 0; k1 < g.k[1]; ++k1)
                                    for (index_t k2 = 0; k2 < g.k[2]; ++k2) {
                                        const index_t o0 = i0 * g.s[0] - g.pb[0] + k0 * g.d[0], o1 = i1 * g.s[1] - g.pb[1] + k1 * g.d[1],
                                                      o2 = i2 * g.s[2] - g.pb[2] + k2 * g.d[2];
                                        if (o0 < 0 || o0 >= g.out[0] || o1 < 0 || o1 >= g.out[1] || o2 < 0 || o2 >= g.out[2]) continue;
                                        const index_t oc = ic / cg * mg + om;
                                        acc[static_cast<std::size_t>((((n * m + oc) * g.out[0] + o0) * g.out[1] + o1) * g.out[2] + o2)] +=
                                            xv * w[static_cast<std::size_t>((((ic * mg + om) * g.k[0] + k0) * g.k[1] + k1) * g.k[2] + k2)];
                                    }
                    }
    std::vector<float> y(acc.size());
    for (std::size_t i = 0; i < y.size(); ++i)
        y[i] = static_cast<float>(acc[i] + (b ? (*b)[i / static_cast<std::size_t>(g.out_size()) % static_cast<std::size_t>(m)] : 0.0));
    return y;
}

enum class pool_op { max, average, lp };

/// Pooling per output position; MaxPool's index is the first largest tap, row- or column-major.
void pool_reference(const std::vector<float>& x, const ints& xs, const geo3& g, pool_op op, bool include_pad, index_t p, bool column_major,
                    std::vector<float>& y, std::vector<std::int64_t>& idx) {
    const index_t planes = xs[0] * xs[1];
    y.clear();
    idx.clear();
    for (index_t pl = 0; pl < planes; ++pl)
        for (index_t o0 = 0; o0 < g.out[0]; ++o0)
            for (index_t o1 = 0; o1 < g.out[1]; ++o1)
                for (index_t o2 = 0; o2 < g.out[2]; ++o2) {
                    double acc = op == pool_op::max ? -std::numeric_limits<double>::infinity() : 0.0;
                    std::int64_t best = -1;
                    index_t count = 0;
                    for (index_t k0 = 0; k0 < g.k[0]; ++k0)
                        for (index_t k1 = 0; k1 < g.k[1]; ++k1)
                            for (index_t k2 = 0; k2 < g.k[2]; ++k2) {
                                const std::array<index_t, 3> i{o0 * g.s[0] - g.pb[0] + k0 * g.d[0], o1 * g.s[1] - g.pb[1] + k1 * g.d[1],
                                                               o2 * g.s[2] - g.pb[2] + k2 * g.d[2]};
                                bool inside = true, in_padded = true;
                                for (int d = 0; d < 3; ++d) {
                                    inside = inside && i[d] >= 0 && i[d] < g.in[d];
                                    in_padded = in_padded && i[d] >= -g.pb[d] && i[d] < g.in[d] + g.pe[d];
                                }
                                if (include_pad ? in_padded : inside) ++count;
                                if (!inside) continue;
                                const float v = x[static_cast<std::size_t>(pl * g.in_size() + (i[0] * g.in[1] + i[1]) * g.in[2] + i[2])];
                                if (op == pool_op::max) {
                                    if (v > acc) {
                                        acc = v;
                                        best = pl * g.in_size() +
                                               (column_major ? i[0] + i[1] * g.in[0] + i[2] * g.in[0] * g.in[1] : (i[0] * g.in[1] + i[1]) * g.in[2] + i[2]);
                                    }
                                } else if (op == pool_op::average) {
                                    acc += v;
                                } else {
                                    acc += std::pow(std::abs(double(v)), double(p));
                                }
                            }
                    if (op == pool_op::average) acc /= double(std::max<index_t>(count, 1));
                    if (op == pool_op::lp) acc = std::pow(acc, 1.0 / double(p));
                    y.push_back(static_cast<float>(acc));
                    idx.push_back(best);
                }
}

const std::vector<std::string> auto_pads{"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};

std::string describe(const std::string& op, const ints& xs, const ints& ws, const gearc::node& n) {
    std::string s = op + " x" + shape::of(xs).to_string() + " w" + shape::of(ws).to_string();
    for (const auto& [k, v] : n.attributes()) {
        s += " " + k + "=";
        if (auto* i = v.get_if<index_t>()) s += std::to_string(*i);
        else if (auto* is = v.get_if<ints>()) s += shape::of(*is).to_string();
        else if (auto* str = v.get_if<std::string>()) s += *str;
        else s += "...";
    }
    return s;
}

/// A random Conv / FusedConv: its node, and what the reference needs.
struct conv_case {
    one_node node;
    ints xs, ws, out;
    index_t group = 1;
    geo3 geo;
    activation act;
    bool has_bias = false;
    std::string text;
};

/// `wide`: rows long enough for whole SIMD packets (16 floats) and for default tiles that split the work.
conv_case random_conv(index_t dims, bool depthwise, bool wide = false) {
    for (;;) {
        conv_case c;
        const index_t group = depthwise ? pick(1, 6) : coin(0.6) ? 1 : pick(2, 3);
        const index_t cg = depthwise ? 1 : pick(1, 5), mg = depthwise ? pick(1, 2) : pick(1, 6);
        const index_t n_img = pick(1, 2);
        ints in(static_cast<std::size_t>(dims)), k(in.size()), s(in.size()), d(in.size()), pads(2 * in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            in[i] = pick(1, dims == 3 ? 6 : 11);
            if (wide) in[i] = i + 1 == in.size() ? pick(20, 70) : pick(1, 24 / dims);
            k[i] = coin(0.2) ? 1 : pick(1, dims == 3 ? 3 : 5);
            s[i] = coin(0.6) ? 1 : pick(2, 3);
            d[i] = coin(0.75) ? 1 : 2;
            pads[i] = pick(0, 2), pads[i + in.size()] = pick(0, 2);
        }
        const std::string auto_pad = pick_of(auto_pads);
        const ints out = conv_out(auto_pad, in, k, s, d, pads);
        if (std::any_of(out.begin(), out.end(), [](index_t o) { return o < 1; })) continue;
        c.group = group;
        c.xs = {n_img, cg * group};
        c.xs.insert(c.xs.end(), in.begin(), in.end());
        c.ws = {mg * group, cg};
        c.ws.insert(c.ws.end(), k.begin(), k.end());
        c.has_bias = coin(0.6);
        c.node.input("x", c.xs, random_floats(product(c.xs)), false);
        c.node.input("w", c.ws, random_floats(product(c.ws)), coin(0.75));
        if (c.has_bias) c.node.input("b", {mg * group}, random_floats(mg * group), coin(0.75));
        gearc::node::attribute_list attrs;
        if (coin(0.7) || s != ints(in.size(), 1)) attrs.emplace_back("strides", s);
        if (coin(0.5) || d != ints(in.size(), 1)) attrs.emplace_back("dilations", d);
        if (auto_pad == "NOTSET") attrs.emplace_back("pads", pads);
        else attrs.emplace_back("auto_pad", auto_pad);
        if (group > 1 || coin()) attrs.emplace_back("group", group);
        if (coin(0.3)) attrs.emplace_back("kernel_shape", k);
        static const std::vector<activation> acts{{"", {}},           {"Relu", {}},           {"Sigmoid", {}},
                                                  {"Tanh", {}},       {"HardSwish", {}},      {"LeakyRelu", {0.1f}},
                                                  {"HardSigmoid", {0.3f, 0.4f}}, {"Clip", {-0.5f, 0.75f}}};
        c.act = pick_of(acts);
        if (!c.act.op.empty()) {
            attrs.emplace_back("activation", c.act.op);
            attrs.emplace_back("activation_params", c.act.params);
            c.node.make("FusedConv", std::move(attrs), 1, "ai.gearc");
        } else {
            c.node.make("Conv", std::move(attrs));
        }
        c.out = c.node.out_sizes();
        const ints want_out = [&] {
            ints o{n_img, mg * group};
            o.insert(o.end(), out.begin(), out.end());
            return o;
        }();
        REQUIRE(c.out == want_out);  // the test's formula and gearc's shape inference agree
        c.geo = to_geo3(in, out, k, s, d, forward_pads(auto_pad, in, k, s, d, pads, out));
        c.text = describe(c.act.op.empty() ? "Conv" : "FusedConv+" + c.act.op, c.xs, c.ws, *c.node.n);
        return c;
    }
}

std::vector<float> reference_of(const conv_case& c) {
    return conv_reference(c.node.data[0], c.xs, c.node.data[1], c.ws, c.has_bias ? &c.node.data[2] : nullptr, c.group, c.geo, c.act);
}

const kernels::kernel_table& table() { return kernels::device_kernels<gearc::device::cpu>::table(); }

}  // namespace

TEST_CASE("Conv and FusedConv: a randomized sweep against direct loops, every algorithm, 1 and 3 threads") {
    using algo = cpu::conv_params::algorithm;
    std::size_t checked = 0;
    for (int iter = 0; iter < 240; ++iter) {
        const index_t dims = iter % 10 == 9 ? 3 : iter % 3 == 0 ? 1 : 2;
        const bool depthwise = iter % 4 == 1, wide = iter % 5 == 2 || iter % 8 == 1;
        conv_case c = random_conv(dims, depthwise, wide);
        const auto want = reference_of(c);
        for (std::size_t threads : {std::size_t{1}, std::size_t{3}}) {
            // the table's choice, then each general algorithm forced, with random tiles now and then
            const auto args = c.node.args(threads);
            auto k = table().make(args);
            REQUIRE(k);
            check_close(c.node.run(*k, threads).first, want, c.text + " [" + k->name() + ", " + std::to_string(threads) + " threads]");
            for (algo a : {algo::im2col_gemm, algo::direct, algo::depthwise, algo::gemm_1x1}) {
                cpu::conv_params p;
                p.algo = a;
                if (coin(0.4)) p.tile_oc = pick(1, 4);
                if (coin(0.4)) p.tile_spatial = pick(1, 40);
                if (coin(0.2)) p.threads = 2;
                auto f = cpu::make_conv_kernel(args, p);
                REQUIRE(f);
                check_close(c.node.run(*f, threads).first, want,
                            c.text + " [" + f->name() + ", tiles " + std::to_string(p.tile_oc) + "x" + std::to_string(p.tile_spatial) + ", " +
                                std::to_string(threads) + " threads]");
                ++checked;
            }
        }
    }
    CHECK(checked == 240 * 2 * 4);
}

TEST_CASE("Conv and ConvTranspose on larger shapes: the default tiles split the work between threads") {
    struct shape_case {
        ints xs, ws;
        gearc::node::attribute_list attrs;
        bool transpose;
    };
    const std::vector<shape_case> cases{
        {{1, 16, 40, 40}, {24, 16, 3, 3}, {{"pads", ints{1, 1, 1, 1}}}, false},                                       // im2col, 4 spatial tiles
        {{1, 64, 7, 7}, {96, 64, 3, 3}, {{"auto_pad", "SAME_UPPER"}}, false},                                        // few positions: channels split
        {{1, 32, 30, 30}, {48, 32, 1, 1}, {}, false},                                                                 // 1x1
        {{2, 24, 33, 35}, {24, 1, 3, 3}, {{"group", index_t{24}}, {"pads", ints{1, 1, 1, 1}}}, false},               // depthwise
        {{1, 24, 33, 35}, {24, 1, 5, 5}, {{"group", index_t{24}}, {"auto_pad", "SAME_LOWER"}, {"strides", ints{2, 2}}}, false},
        {{1, 8, 20, 20}, {8, 6, 4, 4}, {{"strides", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}}, true},
    };
    for (const auto& sc : cases) {
        one_node c;
        const index_t m = sc.transpose ? sc.ws[1] : sc.ws[0];
        c.input("x", sc.xs, random_floats(product(sc.xs)), false);
        c.input("w", sc.ws, random_floats(product(sc.ws)), true);
        c.input("b", {m}, random_floats(m), true);
        c.make(sc.transpose ? "ConvTranspose" : "Conv", sc.attrs);
        const ints ys = c.out_sizes();
        const ints in(sc.xs.begin() + 2, sc.xs.end()), out(ys.begin() + 2, ys.end()), k(sc.ws.begin() + 2, sc.ws.end());
        ints s{1, 1}, pads{0, 0, 0, 0};
        std::string auto_pad = "NOTSET";
        for (const auto& [name, v] : sc.attrs) {
            if (name == "strides") s = *v.get_if<ints>();
            if (name == "pads") pads = *v.get_if<ints>();
            if (name == "auto_pad") auto_pad = *v.get_if<std::string>();
        }
        const index_t group = c.n->attr_or<index_t>("group", 1);
        const auto want = sc.transpose
                              ? conv_transpose_reference(c.data[0], sc.xs, c.data[1], sc.ws, &c.data[2], group, to_geo3(in, out, k, s, {1, 1}, pads))
                              : conv_reference(c.data[0], sc.xs, c.data[1], sc.ws, &c.data[2], group,
                                               to_geo3(in, out, k, s, {1, 1}, forward_pads(auto_pad, in, k, s, {1, 1}, pads, out)), {});
        for (std::size_t threads : {std::size_t{1}, std::size_t{3}}) {
            auto kern = table().make(c.args(threads));
            REQUIRE(kern);
            check_close(c.run(*kern, threads).first, want, describe(kern->name(), sc.xs, sc.ws, *c.n) + " " + std::to_string(threads) + " threads");
        }
    }
}

TEST_CASE("Conv: the algorithm is chosen by shape and named") {
    auto make = [](ints xs, ints ws, gearc::node::attribute_list attrs, bool bias, std::string op = "Conv") {
        auto c = std::make_unique<one_node>();
        c->input("x", xs, random_floats(product(xs)), false);
        c->input("w", ws, random_floats(product(ws)), true);
        if (bias) c->input("b", {ws[0]}, random_floats(ws[0]), true);
        c->make(op, std::move(attrs), 1, op == "Conv" ? "" : "ai.gearc");
        return c;
    };
    auto name_of = [](const one_node& n) {
        auto k = table().make(n.args(3));
        return k ? k->name() : std::string("(none)");
    };
    CHECK(name_of(*make({1, 8, 5, 5}, {16, 8, 1, 1}, {}, true)) == "conv.gemm_1x1");
    CHECK(name_of(*make({1, 8, 5, 5}, {16, 8, 1, 1}, {{"strides", ints{2, 2}}}, true)) == "conv.im2col_gemm");
    CHECK(name_of(*make({1, 8, 5, 5}, {16, 8, 1, 1}, {{"pads", ints{1, 0, 0, 0}}}, false)) == "conv.im2col_gemm");
    CHECK(name_of(*make({2, 8, 9}, {8, 1, 3}, {{"group", index_t{8}}, {"pads", ints{1, 1}}}, true)) == "conv.depthwise");
    CHECK(name_of(*make({1, 8, 9, 9}, {16, 1, 3, 3}, {{"group", index_t{8}}}, true)) == "conv.depthwise");  // channel multiplier 2
    CHECK(name_of(*make({1, 8, 9, 9}, {16, 4, 3, 3}, {{"group", index_t{2}}}, true)) == "conv.im2col_gemm");
    CHECK(name_of(*make({1, 3, 4, 4, 4}, {4, 3, 3, 3, 3}, {{"auto_pad", "SAME_UPPER"}}, false)) == "conv.im2col_gemm");
    CHECK(name_of(*make({1, 8, 9, 9}, {16, 8, 3, 3}, {{"activation", "Relu"}, {"activation_params", std::vector<float>{}}}, true,
                        "FusedConv")) == "conv.im2col_gemm+Relu");
    CHECK(name_of(*make({1, 8, 9, 9}, {16, 8, 3, 3}, {{"activation", "Gelu"}, {"activation_params", std::vector<float>{}}}, true,
                        "FusedConv")) == "(none)");  // an activation the epilogue does not know
    // a forced algorithm that cannot run the node falls back to the automatic choice
    auto c = make({1, 8, 9, 9}, {16, 8, 3, 3}, {}, true);
    cpu::conv_params p;
    p.algo = cpu::conv_params::algorithm::gemm_1x1;
    CHECK(cpu::make_conv_kernel(c->args(1), p)->name() == "conv.im2col_gemm");
    p.algo = cpu::conv_params::algorithm::direct;
    CHECK(cpu::make_conv_kernel(c->args(1), p)->name() == "conv.direct");
    // scratch is per thread slot: with the same tiles, three threads ask three times what one does
    p.algo = cpu::conv_params::algorithm::automatic;
    p.tile_spatial = 24;
    const auto one = cpu::make_conv_kernel(c->args(1), p)->scratch_bytes(), three = cpu::make_conv_kernel(c->args(3), p)->scratch_bytes();
    CHECK(one > 0);
    CHECK(three == 3 * one);
}

TEST_CASE("Conv kernels decline what they do not handle") {
    auto g = std::make_unique<gearc::graph>("g");
    auto* x = g->add_input("x", value_type::tensor_of(dtype::float64, shape{1, 2, 5, 5}));
    auto* w = g->add_initializer("w", tensor::from<double>({3, 2, 3, 3}, std::vector<double>(54, 0.5)));
    auto* n = g->add_node("Conv", {x, w}, 1, {}, "n");
    g->add_output(n->output(0));
    gearc::pass_context ctx;
    gearc::passes::infer_shapes{}.run(*g, ctx);
    kernels::prepare_args a;
    a.n = n;
    a.inputs = {x->type(), w->type()};
    a.constants = {nullptr, &*w->initializer()};
    a.outputs = {n->output(0)->type()};
    CHECK(cpu::make_conv_kernel(a) == nullptr);  // float64: another factory's job
    CHECK(table().knows("", "Conv"));
    CHECK(table().knows("ai.gearc", "FusedConv"));
    for (const char* op : {"ConvTranspose", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool"})
        CHECK(table().knows("", op));
}

TEST_CASE("ConvTranspose: a randomized sweep against a scatter loop") {
    int done = 0;
    for (int iter = 0; done < 120; ++iter) {
        const index_t dims = iter % 8 == 7 ? 3 : iter % 3 == 0 ? 1 : 2;
        const index_t group = coin(0.6) ? 1 : pick(2, 3), cg = pick(1, 4), mg = pick(1, 4), n_img = pick(1, 2);
        ints in(static_cast<std::size_t>(dims)), k(in.size()), s(in.size()), d(in.size()), pads(2 * in.size()), op(in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            in[i] = pick(1, dims == 3 ? 4 : 7);
            k[i] = pick(1, 3);
            s[i] = pick(1, 3);
            d[i] = coin(0.7) ? 1 : 2;
            pads[i] = pick(0, 2), pads[i + in.size()] = pick(0, 2);
            op[i] = pick(0, std::max(s[i], d[i]) - 1);
        }
        const std::string auto_pad = pick_of(auto_pads);
        const bool with_output_shape = auto_pad != "VALID" && coin(0.3);
        ints out(in.size()), pb(in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            const index_t ext = (k[i] - 1) * d[i] + 1, full = s[i] * (in[i] - 1) + op[i] + ext;
            if (with_output_shape) out[i] = std::max<index_t>(1, full - pick(-1, 3));
            else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") out[i] = in[i] * s[i];
            else if (auto_pad == "VALID") out[i] = full;
            else out[i] = full - pads[i] - pads[i + in.size()];
            // pads before the output: explicit, or split from the total as the ONNX spec says
            const index_t total = full - out[i], half = floor_div(total, 2);
            if (with_output_shape || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") pb[i] = auto_pad == "SAME_UPPER" ? half : total - half;
            else pb[i] = auto_pad == "VALID" ? 0 : pads[i];
        }
        if (std::any_of(out.begin(), out.end(), [](index_t o) { return o < 1; })) continue;
        ints xs{n_img, cg * group}, ws{cg * group, mg};
        xs.insert(xs.end(), in.begin(), in.end());
        ws.insert(ws.end(), k.begin(), k.end());
        one_node c;
        const bool bias = coin(0.6);
        c.input("x", xs, random_floats(product(xs)), false);
        c.input("w", ws, random_floats(product(ws)), coin(0.7));
        if (bias) c.input("b", {mg * group}, random_floats(mg * group), coin(0.7));
        gearc::node::attribute_list attrs{{"strides", s}};
        if (coin(0.6) || d != ints(in.size(), 1)) attrs.emplace_back("dilations", d);
        if (auto_pad == "NOTSET" && !with_output_shape) attrs.emplace_back("pads", pads);
        if (auto_pad != "NOTSET") attrs.emplace_back("auto_pad", auto_pad);
        if (group > 1) attrs.emplace_back("group", group);
        if (std::any_of(op.begin(), op.end(), [](index_t v) { return v != 0; }) || coin(0.3)) attrs.emplace_back("output_padding", op);
        if (with_output_shape) attrs.emplace_back("output_shape", out);
        c.make("ConvTranspose", std::move(attrs));
        ints want_out{n_img, mg * group};
        want_out.insert(want_out.end(), out.begin(), out.end());
        REQUIRE(c.out_sizes() == want_out);
        ints p3(2 * in.size(), 0);
        std::copy(pb.begin(), pb.end(), p3.begin());
        const auto want = conv_transpose_reference(c.data[0], xs, c.data[1], ws, bias ? &c.data[2] : nullptr, group,
                                                   to_geo3(in, out, k, s, d, p3));
        const std::string text = describe("ConvTranspose", xs, ws, *c.n);
        for (std::size_t threads : {std::size_t{1}, std::size_t{3}}) {
            auto kern = table().make(c.args(threads));
            REQUIRE(kern);
            CHECK(kern->name() == "conv_transpose.gemm_col2im");
            check_close(c.run(*kern, threads).first, want, text + " [" + std::to_string(threads) + " threads]");
            cpu::conv_params p;
            p.tile_oc = pick(1, 3);
            p.tile_spatial = pick(1, 20);
            auto tiled = cpu::make_conv_transpose_kernel(c.args(threads), p);
            REQUIRE(tiled);
            check_close(c.run(*tiled, threads).first, want, text + " [tiled, " + std::to_string(threads) + " threads]");
        }
        ++done;
    }
}

TEST_CASE("MaxPool (with Indices), AveragePool and LpPool: a randomized sweep against per-window loops") {
    int done = 0;
    for (int iter = 0; done < 240; ++iter) {
        const index_t dims = iter % 8 == 7 ? 3 : iter % 3 == 0 ? 1 : 2;
        const pool_op op = iter % 3 == 0 ? pool_op::max : iter % 3 == 1 ? pool_op::average : coin(0.3) ? pool_op::lp : pool_op::max;
        ints in(static_cast<std::size_t>(dims)), k(in.size()), s(in.size()), d(in.size()), pads(2 * in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            in[i] = pick(1, dims == 3 ? 6 : 10);
            if (iter % 4 == 3 && i + 1 == in.size()) in[i] = pick(16, 60);  // whole SIMD packets
            k[i] = pick(1, 3);
            s[i] = pick(1, 3);
            d[i] = coin(0.7) ? 1 : 2;
            const index_t ext = (k[i] - 1) * d[i] + 1;
            pads[i] = pick(0, ext - 1), pads[i + in.size()] = pick(0, ext - 1);
        }
        const std::string auto_pad = pick_of(auto_pads);
        const bool ceil_mode = coin(0.4), include_pad = coin(), column_major = coin(0.3), indices = op == pool_op::max && coin(0.6);
        const index_t p = op == pool_op::lp ? pick(1, 3) : 2;
        const ints naive_out = conv_out(auto_pad, in, k, s, d, pads);
        if (std::any_of(naive_out.begin(), naive_out.end(), [](index_t o) { return o < 1; })) continue;
        ints xs{pick(1, 2), pick(1, 3)};
        xs.insert(xs.end(), in.begin(), in.end());
        one_node c;
        auto xv = random_floats(product(xs));
        if (coin(0.2))
            for (auto& v : xv) v = std::round(v * 2.f);  // ties: the first largest tap must win
        c.input("x", xs, std::move(xv), false);
        gearc::node::attribute_list attrs{{"kernel_shape", k}};
        if (coin(0.7) || s != ints(in.size(), 1)) attrs.emplace_back("strides", s);
        if (d != ints(in.size(), 1)) attrs.emplace_back("dilations", d);
        if (auto_pad == "NOTSET") attrs.emplace_back("pads", pads);
        else attrs.emplace_back("auto_pad", auto_pad);
        if (ceil_mode) attrs.emplace_back("ceil_mode", index_t{1});
        if (op == pool_op::average) attrs.emplace_back("count_include_pad", index_t{include_pad ? 1 : 0});
        if (op == pool_op::lp) attrs.emplace_back("p", p);
        if (indices && column_major) attrs.emplace_back("storage_order", index_t{1});
        const char* name = op == pool_op::max ? "MaxPool" : op == pool_op::average ? "AveragePool" : "LpPool";
        c.make(name, std::move(attrs), indices ? 2 : 1);
        const ints ys = c.out_sizes();
        const ints out(ys.begin() + 2, ys.end());
        const geo3 g = to_geo3(in, out, k, s, d, forward_pads(auto_pad, in, k, s, d, pads, out));
        std::vector<float> want;
        std::vector<std::int64_t> want_idx;
        pool_reference(c.data[0], xs, g, op, op == pool_op::average && include_pad, p, column_major, want, want_idx);
        const std::string text = describe(name, xs, {}, *c.n);
        for (std::size_t threads : {std::size_t{1}, std::size_t{3}}) {
            auto kern = table().make(c.args(threads));
            REQUIRE(kern);
            const auto [y, idx] = c.run(*kern, threads);
            check_close(y, want, text + " [" + kern->name() + ", " + std::to_string(threads) + " threads]");
            if (indices) {
                INFO(text);
                CHECK(idx == want_idx);
            }
        }
        ++done;
    }
}

TEST_CASE("GlobalAveragePool and GlobalMaxPool") {
    for (int iter = 0; iter < 20; ++iter) {
        ints xs{pick(1, 3), pick(1, 9)};
        for (index_t i = 0, r = pick(1, 3); i < r; ++i) xs.push_back(pick(1, 9));
        for (bool average : {true, false}) {
            one_node c;
            c.input("x", xs, random_floats(product(xs)), false);
            c.make(average ? "GlobalAveragePool" : "GlobalMaxPool", {});
            const index_t planes = xs[0] * xs[1], size = product(xs) / planes;
            std::vector<float> want;
            for (index_t p = 0; p < planes; ++p) {
                const auto b = c.data[0].begin() + p * size, e = b + size;
                want.push_back(average ? static_cast<float>(std::accumulate(b, e, 0.0) / double(size)) : *std::max_element(b, e));
            }
            for (std::size_t threads : {std::size_t{1}, std::size_t{3}}) {
                auto k = table().make(c.args(threads));
                REQUIRE(k);
                check_close(c.run(*k, threads).first, want, k->name() + " x" + shape::of(xs).to_string());
            }
        }
    }
}

TEST_CASE("a compiled Conv + Add + Relu runs as one FusedConv kernel") {
    auto g = std::make_unique<gearc::graph>("cnn");
    g->info().opset_imports[""] = 17;
    const ints xs{1, 3, 9, 9}, ws{4, 3, 3, 3};
    auto* x = g->add_input("x", value_type::tensor_of(dtype::float32, shape::of(xs)));
    const auto wv = random_floats(product(ws)), bv = random_floats(4), addv = random_floats(4);
    auto* w = g->add_initializer("w", tensor::from<float>(ws, wv));
    auto* b = g->add_initializer("b", tensor::from<float>({4}, bv));
    auto* conv = g->add_node("Conv", {x, w, b}, 1, {{"pads", ints{1, 1, 1, 1}}, {"strides", ints{2, 2}}}, "conv")->output(0);
    auto* add_c = g->add_initializer("add", tensor::from<float>({1, 4, 1, 1}, addv));
    auto* sum = g->add_node("Add", {conv, add_c}, 1, {}, "add")->output(0);
    g->add_output(g->add_node("Relu", {sum}, 1, {}, "relu")->output(0));

    auto m = gearc::compile(*g, gearc::make_gear_set(*g, gearc::gear_options{}));
    REQUIRE(m.size() == 1);
    const auto& pg = *m.plans()[0].graph;
    const gearc::node* fused = nullptr;
    for (const auto& n : pg.nodes())
        if (n.op_type() == "FusedConv") fused = &n;
    REQUIRE(fused);
    kernels::prepare_args a;
    a.n = fused;
    for (std::size_t i = 0; i < fused->num_inputs(); ++i) {
        const auto* v = fused->input(i);
        a.inputs.push_back(v->type());
        a.constants.push_back(v->initializer() ? &*v->initializer() : nullptr);
    }
    a.outputs.push_back(fused->output(0)->type());
    a.threads = 3;
    auto k = table().make(a);
    REQUIRE(k);
    CHECK(k->name() == "conv.im2col_gemm+Relu");
    CHECK(a.constants[1] != nullptr);  // pre-packed at prepare time: run() gets no weight input

    const auto xv = random_floats(product(xs));
    const ints ys = a.outputs[0].dims->sizes();
    std::vector<float> y(static_cast<std::size_t>(product(ys)));
    std::vector<kernels::tensor_ref> in{{dtype::float32, xs, reinterpret_cast<std::byte*>(const_cast<float*>(xv.data()))},
                                        {dtype::undefined, {}, nullptr}, {dtype::undefined, {}, nullptr}};
    std::vector<kernels::tensor_ref> out{{dtype::float32, ys, reinterpret_cast<std::byte*>(y.data())}};
    std::vector<std::byte> scratch(k->scratch_bytes() + 64);
    auto* base = scratch.data() + (64 - reinterpret_cast<std::uintptr_t>(scratch.data()) % 64) % 64;
    kernels::exec_context ctx{&pool(3), base, k->scratch_bytes()};
    k->run(in, out, ctx);

    std::vector<float> bias(4);
    for (std::size_t i = 0; i < 4; ++i) bias[i] = bv[i] + addv[i];
    const ints out_sp(ys.begin() + 2, ys.end());
    const auto want = conv_reference(xv, xs, wv, ws, &bias, 1, to_geo3({9, 9}, out_sp, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}), {"Relu", {}});
    check_close(y, want, "compiled FusedConv");
}
