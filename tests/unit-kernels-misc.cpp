// Tests of the CPU kernels of kernels/cpu/misc.hpp (LSTM/GRU/RNN, Resize/Upsample, Pad, the index operators,
// TopK/ArgMax/ArgMin, CumSum, the remaining reductions, Einsum, NonMaxSuppression, ...): each node goes through gearc's
// shape inference and the CPU kernel table, and is compared with a naive implementation written here or with the
// examples of the ONNX specification.
#include "test_support.hpp"

#include <gearc/kernels/cpu_kernels.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace gearc;

namespace {

using ints = std::vector<std::int64_t>;
using floats = std::vector<float>;
using doubles = std::vector<double>;
using attrs = graph::attribute_list;

std::int64_t numel(const ints& s) {
    std::int64_t n = 1;
    for (auto d : s) n *= d;
    return n;
}

/// The host data of one tensor.
struct data {
    dtype type = dtype::undefined;
    ints sizes;
    std::vector<std::byte> bytes;

    template <class T>
    static data of(ints s, const std::vector<T>& v) {
        data d{dtype_of_v<T>, std::move(s), {}};
        REQUIRE(static_cast<std::int64_t>(v.size()) == numel(d.sizes));
        d.bytes.resize(v.size() * sizeof(T));
        if (!v.empty()) std::memcpy(d.bytes.data(), v.data(), d.bytes.size());
        return d;
    }
    /// The same bytes as another dtype of that element size (float16 from uint16, bool from uint8).
    [[nodiscard]] data as_type(dtype t) const {
        REQUIRE(size_of(t) == size_of(type));
        data d = *this;
        d.type = t;
        return d;
    }
    template <class T>
    [[nodiscard]] std::vector<T> values() const {
        REQUIRE(size_of(type) == sizeof(T));
        std::vector<T> v(bytes.size() / sizeof(T));
        if (!v.empty()) std::memcpy(v.data(), bytes.data(), bytes.size());
        return v;
    }
};

data f32(ints s, const floats& v) { return data::of<float>(std::move(s), v); }
data i64(ints s, const ints& v) { return data::of<std::int64_t>(std::move(s), v); }
data i32(ints s, const std::vector<std::int32_t>& v) { return data::of<std::int32_t>(std::move(s), v); }

/// One node: inputs as run-time data or as constants (initializers, which shape inference reads), its attributes and opset.
struct node_case {
    std::string op;
    attrs a;
    std::int64_t opset = 17;
    struct input {
        std::optional<data> d;
        bool constant = false;
    };
    std::vector<input> inputs;
    std::vector<bool> outputs{true};  ///< per output: present, or omitted ("")
    std::size_t threads = 1;

    node_case(std::string o, attrs at = {}, std::int64_t os = 17) : op(std::move(o)), a(std::move(at)), opset(os) {}
    node_case& in(data d) {
        inputs.push_back({std::move(d), false});
        return *this;
    }
    node_case& constant(data d) {
        inputs.push_back({std::move(d), true});
        return *this;
    }
    node_case& none() {
        inputs.push_back({std::nullopt, false});
        return *this;
    }
    node_case& outs(std::vector<bool> o) {
        outputs = std::move(o);
        return *this;
    }
    node_case& on_threads(std::size_t n) {
        threads = n;
        return *this;
    }
};

struct result {
    std::vector<data> outputs;  ///< per node output (dtype undefined when omitted)
    std::string kernel;
    [[nodiscard]] floats f(std::size_t i = 0) const { return outputs.at(i).values<float>(); }
    [[nodiscard]] ints i(std::size_t i = 0) const { return outputs.at(i).values<std::int64_t>(); }
    [[nodiscard]] const ints& sizes(std::size_t i = 0) const { return outputs.at(i).sizes; }
};

/// Builds the node in a graph, infers its shapes, and runs the kernel the CPU table makes for it.
result run(const node_case& c) {
    graph g("t");
    std::vector<value*> ins;
    for (std::size_t i = 0; i < c.inputs.size(); ++i) {
        const auto& x = c.inputs[i];
        const std::string name = "x" + std::to_string(i);
        if (!x.d) ins.push_back(nullptr);
        else if (x.constant) ins.push_back(g.add_initializer(name, tensor(x.d->type, x.d->sizes, buffer(x.d->bytes))));
        else ins.push_back(g.add_input(name, value_type::tensor_of(x.d->type, shape::of(x.d->sizes))));
    }
    std::vector<value*> outs;
    for (std::size_t o = 0; o < c.outputs.size(); ++o) outs.push_back(c.outputs[o] ? g.add_value("y" + std::to_string(o)) : nullptr);
    auto* n = g.add_node(c.op, ins, outs, c.a, "n");
    for (auto* o : outs)
        if (o) g.add_output(o);
    pass_context pc;
    pc.opset = c.opset;
    passes::infer_shapes{}.run(g, pc);

    kernels::prepare_args a;
    a.n = n;
    a.opset = c.opset;
    a.threads = c.threads;
    for (auto* v : ins) {
        a.inputs.push_back(v ? v->type() : value_type{});
        a.constants.push_back(v && v->initializer() ? &*v->initializer() : nullptr);
    }
    for (auto* v : outs) {
        if (v) REQUIRE_MESSAGE((v->type().has_shape() && v->type().dims->is_static()), "output type " << v->type().to_string());
        a.outputs.push_back(v ? v->type() : value_type{});
    }
    auto k = kernels::device_kernels<device::cpu>::table().make(a);
    REQUIRE_MESSAGE(k, "no kernel for " << c.op);
    result r;
    r.kernel = k->name();
    r.outputs.resize(outs.size());
    std::vector<kernels::tensor_ref> in_refs, out_refs;
    for (const auto& x : c.inputs)
        in_refs.push_back(x.d ? kernels::tensor_ref{x.d->type, x.d->sizes, const_cast<std::byte*>(x.d->bytes.data())} : kernels::tensor_ref{});
    for (std::size_t o = 0; o < outs.size(); ++o) {
        if (!outs[o]) {
            out_refs.emplace_back();
            continue;
        }
        auto& d = r.outputs[o];
        d.type = outs[o]->type().elem;
        d.sizes = outs[o]->type().dims->sizes();
        d.bytes.assign(static_cast<std::size_t>(numel(d.sizes)) * size_of(d.type) + 1, std::byte{0xA5});  // garbage to overwrite
        d.bytes.pop_back();
        out_refs.push_back({d.type, d.sizes, d.bytes.data()});
    }
    thread_pool pool(c.threads);
    std::vector<std::byte> scratch(k->scratch_bytes() + 64);
    auto* aligned = scratch.data() + (64 - reinterpret_cast<std::uintptr_t>(scratch.data()) % 64) % 64;
    kernels::exec_context ctx{&pool, aligned, k->scratch_bytes()};
    k->run(in_refs, out_refs, ctx);
    return r;
}

/// "" when got matches want within atol + rtol*|want|, else the first difference.
template <class G, class W>
std::string diff(const std::vector<G>& got, const std::vector<W>& want, double tol = 1e-5) {
    if (got.size() != want.size()) return "size " + std::to_string(got.size()) + ", expected " + std::to_string(want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const auto g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
        if (std::isnan(g) && std::isnan(w)) continue;
        if (!(std::fabs(g - w) <= tol + tol * std::fabs(w))) {
            std::ostringstream os;
            os.precision(9);
            os << "element " << i << " is " << g << ", expected " << w;
            return os.str();
        }
    }
    return "";
}

floats random_floats(std::size_t n, std::mt19937& rng, float lo = -1, float hi = 1) {
    std::uniform_real_distribution<float> u(lo, hi);
    floats v(n);
    for (auto& x : v) x = u(rng);
    return v;
}

/// "GC6002" etc.: the code of the gearc::error that `f` throws.
template <class F>
std::string code_of(F&& f) {
    return gearc_test::any_code_of(std::forward<F>(f));
}

// ---- a naive LSTM/GRU/RNN, step by step in double, straight from the ONNX equations -------------------------------

using fn = std::function<double(double)>;

fn activation(std::string name, double alpha, double beta) {
    if (name == "Relu") return [](double x) { return std::max(x, 0.0); };
    if (name == "Tanh") return [](double x) { return std::tanh(x); };
    if (name == "Sigmoid") return [](double x) { return 1 / (1 + std::exp(-x)); };
    if (name == "Affine") return [=](double x) { return alpha * x + beta; };
    if (name == "LeakyRelu") return [=](double x) { return x >= 0 ? x : alpha * x; };
    if (name == "ThresholdedRelu") return [=](double x) { return x > alpha ? x : 0.0; };
    if (name == "ScaledTanh") return [=](double x) { return alpha * std::tanh(beta * x); };
    if (name == "HardSigmoid") return [=](double x) { return std::clamp(alpha * x + beta, 0.0, 1.0); };
    if (name == "Elu") return [=](double x) { return x >= 0 ? x : alpha * (std::exp(x) - 1); };
    if (name == "Softsign") return [](double x) { return x / (1 + std::fabs(x)); };
    if (name == "Softplus") return [](double x) { return std::log(1 + std::exp(x)); };
    FAIL("unknown activation " << name);
    return {};
}

struct recurrent_ref {
    std::string cell;  // RNN, GRU, LSTM
    std::string direction = "forward";
    bool layout1 = false;
    std::int64_t S = 0, N = 0, I = 0, H = 0;
    floats X, W, R, B, h0, c0, P;  // empty: absent
    ints lens;                     // empty: all S
    std::optional<double> clip;
    bool input_forget = false, lbr = false;
    std::vector<fn> acts;  // per direction: f (, g (, h))
    doubles Y, Yh, Yc;     // in the node's layout

    void run() {
        const int dirs = direction == "bidirectional" ? 2 : 1;
        const std::int64_t gates = cell == "RNN" ? 1 : cell == "GRU" ? 3 : 4, G = gates * H;
        const std::size_t per = cell == "RNN" ? 1 : cell == "GRU" ? 2 : 3;
        Y.assign(static_cast<std::size_t>(S * dirs * N * H), 0.0);
        Yh.assign(static_cast<std::size_t>(dirs * N * H), 0.0);
        Yc = Yh;
        auto state_at = [&](int d, std::int64_t b) { return static_cast<std::size_t>((layout1 ? b * dirs + d : d * N + b) * H); };
        auto cl = [&](double v) { return clip ? std::clamp(v, -*clip, *clip) : v; };
        for (int d = 0; d < dirs; ++d) {
            const bool back = dirs == 2 ? d == 1 : direction == "reverse";
            const fn& f = acts[static_cast<std::size_t>(d) * per];
            const fn& g = per > 1 ? acts[static_cast<std::size_t>(d) * per + 1] : f;
            const fn& hf = per > 2 ? acts[static_cast<std::size_t>(d) * per + 2] : f;
            // row j of gate k: W[d][k*H + j][:] . x
            auto wx = [&](std::int64_t k, std::int64_t j, const float* x) {
                double s = 0;
                for (std::int64_t i = 0; i < I; ++i) s += static_cast<double>(W[static_cast<std::size_t>((d * G + k * H + j) * I + i)]) * x[i];
                return s;
            };
            auto rh = [&](std::int64_t k, std::int64_t j, const doubles& h) {
                double s = 0;
                for (std::int64_t i = 0; i < H; ++i) s += static_cast<double>(R[static_cast<std::size_t>((d * G + k * H + j) * H + i)]) * h[static_cast<std::size_t>(i)];
                return s;
            };
            auto wb = [&](std::int64_t k, std::int64_t j) { return B.empty() ? 0.0 : B[static_cast<std::size_t>(d * 2 * G + k * H + j)]; };
            auto rb = [&](std::int64_t k, std::int64_t j) { return B.empty() ? 0.0 : B[static_cast<std::size_t>(d * 2 * G + G + k * H + j)]; };
            auto p = [&](std::int64_t k, std::int64_t j) { return P.empty() ? 0.0 : P[static_cast<std::size_t>(d * 3 * H + k * H + j)]; };
            for (std::int64_t b = 0; b < N; ++b) {
                const std::int64_t len = lens.empty() ? S : lens[static_cast<std::size_t>(b)];
                doubles h(static_cast<std::size_t>(H), 0.0), c(static_cast<std::size_t>(H), 0.0);
                for (std::int64_t j = 0; j < H; ++j) {
                    if (!h0.empty()) h[static_cast<std::size_t>(j)] = h0[state_at(d, b) + static_cast<std::size_t>(j)];
                    if (!c0.empty()) c[static_cast<std::size_t>(j)] = c0[state_at(d, b) + static_cast<std::size_t>(j)];
                }
                for (std::int64_t s = 0; s < len; ++s) {
                    const std::int64_t t = back ? len - 1 - s : s;
                    const float* x = X.data() + (layout1 ? b * S + t : t * N + b) * I;
                    doubles nh(static_cast<std::size_t>(H)), nc(static_cast<std::size_t>(H));
                    for (std::int64_t j = 0; j < H; ++j) {
                        const auto J = static_cast<std::size_t>(j);
                        if (cell == "RNN") {
                            nh[J] = f(cl(wx(0, j, x) + rh(0, j, h) + wb(0, j) + rb(0, j)));
                        } else if (cell == "GRU") {
                            const double z = f(cl(wx(0, j, x) + rh(0, j, h) + wb(0, j) + rb(0, j)));
                            double hh;
                            if (lbr) {
                                const double r = f(cl(wx(1, j, x) + rh(1, j, h) + wb(1, j) + rb(1, j)));
                                hh = g(cl(wx(2, j, x) + wb(2, j) + r * (rh(2, j, h) + rb(2, j))));
                            } else {
                                doubles rh_prod(static_cast<std::size_t>(H));
                                for (std::int64_t k = 0; k < H; ++k)
                                    rh_prod[static_cast<std::size_t>(k)] =
                                        f(cl(wx(1, k, x) + rh(1, k, h) + wb(1, k) + rb(1, k))) * h[static_cast<std::size_t>(k)];
                                hh = g(cl(wx(2, j, x) + rh(2, j, rh_prod) + rb(2, j) + wb(2, j)));
                            }
                            nh[J] = (1 - z) * hh + z * h[J];
                        } else {  // LSTM, gates i o f c
                            const double i = f(cl(wx(0, j, x) + rh(0, j, h) + wb(0, j) + rb(0, j) + p(0, j) * c[J]));
                            const double ff = input_forget ? 1 - i : f(cl(wx(2, j, x) + rh(2, j, h) + wb(2, j) + rb(2, j) + p(2, j) * c[J]));
                            const double cc = g(cl(wx(3, j, x) + rh(3, j, h) + wb(3, j) + rb(3, j)));
                            nc[J] = ff * c[J] + i * cc;
                            const double o = f(cl(wx(1, j, x) + rh(1, j, h) + wb(1, j) + rb(1, j) + p(1, j) * nc[J]));
                            nh[J] = o * hf(nc[J]);
                        }
                    }
                    h = nh;
                    if (cell == "LSTM") c = nc;
                    const std::int64_t y_at = layout1 ? ((b * S + t) * dirs + d) * H : ((t * dirs + d) * N + b) * H;
                    std::copy(h.begin(), h.end(), Y.begin() + y_at);
                }
                std::copy(h.begin(), h.end(), Yh.begin() + static_cast<std::ptrdiff_t>(state_at(d, b)));
                std::copy(c.begin(), c.end(), Yc.begin() + static_cast<std::ptrdiff_t>(state_at(d, b)));
            }
        }
    }
};

// ---- a naive Resize: ONNX's reference, one output element at a time, recursing over the axes ---------------------

struct resize_ref {
    std::string mode = "nearest", coord = "half_pixel", nearest_mode = "round_prefer_floor";
    double cubic_a = -0.75, extrapolation = 0;
    bool exclude_outside = false, antialias = false;
    ints in, out;
    doubles scale, width, roi_start, roi_end;  // per axis (width: scale * in, or the size asked for)
    doubles x;

    doubles coeffs(double ratio, double s) const {
        if (mode == "nearest") {
            if (ratio == 1) return {0, 1};
            if (nearest_mode == "round_prefer_floor") return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
            if (nearest_mode == "round_prefer_ceil") return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
            if (nearest_mode == "floor") return {1, 0};
            return {0, 1};
        }
        const double A = cubic_a;
        auto cubic = [A](double v) {
            v = std::fabs(v);
            if (v <= 1) return (A + 2) * v * v * v - (A + 3) * v * v + 1;
            if (v < 2) return A * v * v * v - 5 * A * v * v + 8 * A * v - 4 * A;
            return 0.0;
        };
        doubles c;
        const double sc = antialias ? std::min(s, 1.0) : 1.0;
        const auto start = static_cast<std::int64_t>(std::floor((mode == "linear" ? -1.0 : -2.0) / sc) + 1);
        double sum = 0;
        for (std::int64_t i = start; i < 2 - start; ++i) {
            const double v = sc * (static_cast<double>(i) - ratio);
            c.push_back(mode == "linear" ? std::max(0.0, 1 - std::fabs(v)) : cubic(v));
            sum += c.back();
        }
        if (antialias)
            for (auto& v : c) v /= sum;
        return c;
    }

    /// The n indices nearest to xo (ties to the smaller), found by sorting as ONNX's reference does.
    static ints neighbours(double xo, std::size_t n, std::int64_t pad, std::int64_t len) {
        ints all;
        for (std::int64_t i = -pad; i < len + pad; ++i) all.push_back(i);
        std::stable_sort(all.begin(), all.end(), [&](std::int64_t a, std::int64_t b) { return std::fabs(xo - static_cast<double>(a)) < std::fabs(xo - static_cast<double>(b)); });
        all.resize(n);
        std::sort(all.begin(), all.end());
        return all;
    }

    double element(std::size_t axis, const ints& o, std::int64_t offset) const {
        if (axis == in.size()) return x[static_cast<std::size_t>(offset)];
        const double xr = static_cast<double>(o[axis]), s = scale[axis], w = width[axis], last = static_cast<double>(in[axis] - 1);
        double xo = 0;
        if (coord == "align_corners") xo = w == 1 ? 0 : xr * last / (w - 1);
        else if (coord == "asymmetric") xo = xr / s;
        else if (coord == "pytorch_half_pixel") xo = w == 1 ? -0.5 : (xr + 0.5) / s - 0.5;
        else if (coord == "half_pixel") xo = (xr + 0.5) / s - 0.5;
        else if (coord == "half_pixel_symmetric")
            xo = static_cast<double>(in[axis]) / 2 * (1 - static_cast<double>(out[axis]) / w) + (xr + 0.5) / s - 0.5;
        else {  // tf_crop_and_resize
            xo = (w == 1 ? (roi_end[axis] - roi_start[axis]) * last / 2 : xr * (roi_end[axis] - roi_start[axis]) * last / (w - 1)) +
                 roi_start[axis] * last;
            if (xo < 0 || xo > last) return extrapolation;
        }
        const double fl = std::floor(xo);
        const double ratio = xo == fl ? 1.0 : xo - fl;
        doubles c = coeffs(ratio, s);
        const auto pad = static_cast<std::int64_t>((c.size() + 1) / 2);
        const ints idx = neighbours(xo, c.size(), pad, in[axis]);
        if (exclude_outside) {
            double sum = 0;
            for (std::size_t j = 0; j < c.size(); ++j) {
                if (idx[j] < 0 || idx[j] >= in[axis]) c[j] = 0;
                sum += c[j];
            }
            for (auto& v : c) v /= sum;
        }
        std::int64_t stride = 1;
        for (std::size_t d = axis + 1; d < in.size(); ++d) stride *= in[d];
        double acc = 0;
        for (std::size_t j = 0; j < c.size(); ++j) {
            if (c[j] == 0) continue;
            const std::int64_t i = std::clamp<std::int64_t>(idx[j], 0, in[axis] - 1);
            acc += c[j] * element(axis + 1, o, offset + i * stride);
        }
        return acc;
    }

    doubles run() const {
        doubles y;
        ints o(out.size(), 0);
        for (std::int64_t k = 0; k < numel(out); ++k) {
            std::int64_t rem = k;
            for (std::size_t d = out.size(); d-- > 0;) {
                o[d] = rem % out[d];
                rem /= out[d];
            }
            y.push_back(element(0, o, 0));
        }
        return y;
    }
};

ints iota_ints(std::int64_t n) {
    ints v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
    return v;
}

floats iota_floats(std::int64_t n, float from = 0) {
    floats v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = from + static_cast<float>(i);
    return v;
}

}  // namespace

// =================================================================================================
// LSTM, GRU, RNN

TEST_CASE("recurrent: the ONNX specification's default examples (Y_h only)") {
    const floats x{1, 2, 3, 4, 5, 6};
    {
        auto r = run(node_case("LSTM", {{"hidden_size", std::int64_t{3}}}).in(f32({1, 3, 2}, x)).in(f32({1, 12, 2}, floats(24, 0.1f))).in(f32({1, 12, 3}, floats(36, 0.1f))).outs({false, true}));
        CHECK(r.kernel == "misc.lstm");
        CHECK(r.sizes(1) == ints{1, 3, 3});
        CHECK(diff(r.f(1), doubles{0.0952412, 0.0952412, 0.0952412, 0.25606447, 0.25606447, 0.25606447, 0.40323776, 0.40323776, 0.40323776}) == "");
    }
    {
        auto r = run(node_case("GRU", {{"hidden_size", std::int64_t{5}}}).in(f32({1, 3, 2}, x)).in(f32({1, 15, 2}, floats(30, 0.1f))).in(f32({1, 15, 5}, floats(75, 0.1f))).outs({false, true}));
        CHECK(diff(r.f(1), doubles{0.12397026, 0.12397026, 0.12397026, 0.12397026, 0.12397026, 0.20053662, 0.20053662, 0.20053662,
                                   0.20053662, 0.20053662, 0.19991654, 0.19991654, 0.19991654, 0.19991654, 0.19991654}) == "");
    }
    {
        auto r = run(node_case("RNN", {{"hidden_size", std::int64_t{4}}}).in(f32({1, 3, 2}, x)).in(f32({1, 4, 2}, floats(8, 0.1f))).in(f32({1, 4, 4}, floats(16, 0.1f))).outs({false, true}));
        CHECK(diff(r.f(1), doubles{0.29131263, 0.29131263, 0.29131263, 0.29131263, 0.6043678, 0.6043678, 0.6043678, 0.6043678, 0.800499,
                                   0.800499, 0.800499, 0.800499}) == "");
    }
}

TEST_CASE("recurrent: every direction, layout, sequence_lens, initial states, peepholes, clip and activation against a naive step loop") {
    std::mt19937 rng(7);
    struct variant {
        std::string cell, direction;
        bool layout1, with_bias, with_lens, with_h0, with_p, input_forget, lbr;
        std::optional<float> clip;
        std::vector<std::string> acts;
        floats alphas, betas;
    };
    const std::vector<variant> variants = {
        {"LSTM", "forward", false, true, false, false, false, false, false, std::nullopt, {}, {}, {}},
        {"LSTM", "reverse", false, true, true, true, true, false, false, std::nullopt, {}, {}, {}},
        {"LSTM", "bidirectional", true, true, true, true, true, false, false, 0.9f, {}, {}, {}},
        {"LSTM", "bidirectional", false, false, false, true, false, true, false, std::nullopt,
         {"HardSigmoid", "LeakyRelu", "ScaledTanh", "Sigmoid", "Elu", "Softsign"}, {0.3f, 0.05f, 1.5f, 0.7f}, {0.4f, 0.8f}},
        {"GRU", "forward", false, true, true, true, false, false, false, std::nullopt, {}, {}, {}},
        {"GRU", "reverse", true, true, false, false, false, false, true, 0.5f, {}, {}, {}},
        {"GRU", "bidirectional", false, true, true, true, false, false, true, std::nullopt, {"Sigmoid", "Affine", "Softplus", "Relu"}, {0.5f}, {0.25f}},
        {"GRU", "bidirectional", true, true, true, true, false, false, false, std::nullopt, {}, {}, {}},
        {"RNN", "forward", true, true, true, true, false, false, false, std::nullopt, {}, {}, {}},
        {"RNN", "bidirectional", false, true, false, true, false, false, false, 0.3f, {"Relu", "ThresholdedRelu"}, {0.1f}, {}},
        {"RNN", "reverse", false, false, true, false, false, false, false, std::nullopt, {"Tanh"}, {}, {}},
    };
    for (const auto& v : variants) {
        CAPTURE(v.cell);
        CAPTURE(v.direction);
        CAPTURE(v.layout1);
        const std::int64_t S = 4, N = 3, I = 5, H = 4, dirs = v.direction == "bidirectional" ? 2 : 1;
        const std::int64_t gates = v.cell == "RNN" ? 1 : v.cell == "GRU" ? 3 : 4;
        recurrent_ref ref;
        ref.cell = v.cell;
        ref.direction = v.direction;
        ref.layout1 = v.layout1;
        ref.S = S, ref.N = N, ref.I = I, ref.H = H;
        ref.X = random_floats(static_cast<std::size_t>(S * N * I), rng, -2, 2);
        ref.W = random_floats(static_cast<std::size_t>(dirs * gates * H * I), rng);
        ref.R = random_floats(static_cast<std::size_t>(dirs * gates * H * H), rng);
        if (v.with_bias) ref.B = random_floats(static_cast<std::size_t>(dirs * 2 * gates * H), rng);
        if (v.with_lens) ref.lens = {4, 1, 3};
        if (v.with_h0) ref.h0 = random_floats(static_cast<std::size_t>(dirs * N * H), rng);
        if (v.with_h0 && v.cell == "LSTM") ref.c0 = random_floats(static_cast<std::size_t>(dirs * N * H), rng);
        if (v.with_p) ref.P = random_floats(static_cast<std::size_t>(dirs * 3 * H), rng);
        ref.input_forget = v.input_forget;
        ref.lbr = v.lbr;
        if (v.clip) ref.clip = *v.clip;
        std::vector<std::string> names = v.acts;
        if (names.empty()) {
            const std::vector<std::string> defaults = v.cell == "RNN" ? std::vector<std::string>{"Tanh"}
                                                      : v.cell == "GRU" ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                                        : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
            for (int d = 0; d < dirs; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
        }
        {
            std::size_t ai = 0, bi = 0;
            for (const auto& name : names) {
                const bool alpha = name == "Affine" || name == "LeakyRelu" || name == "ThresholdedRelu" || name == "ScaledTanh" ||
                                   name == "HardSigmoid" || name == "Elu";
                const bool beta = name == "Affine" || name == "ScaledTanh" || name == "HardSigmoid";
                double a = name == "LeakyRelu" ? 0.01 : name == "HardSigmoid" ? 0.2 : 1.0, b = name == "HardSigmoid" ? 0.5 : name == "ScaledTanh" ? 1.0 : 0.0;
                if (alpha && ai < v.alphas.size()) a = v.alphas[ai++];
                if (beta && bi < v.betas.size()) b = v.betas[bi++];
                ref.acts.push_back(activation(name, a, b));
            }
        }
        ref.run();

        attrs at{{"hidden_size", H}, {"direction", v.direction}, {"layout", std::int64_t{v.layout1}}};
        if (!v.acts.empty()) at.emplace_back("activations", v.acts);
        if (!v.alphas.empty()) at.emplace_back("activation_alpha", v.alphas);
        if (!v.betas.empty()) at.emplace_back("activation_beta", v.betas);
        if (v.clip) at.emplace_back("clip", *v.clip);
        if (v.input_forget) at.emplace_back("input_forget", std::int64_t{1});
        if (v.cell == "GRU") at.emplace_back("linear_before_reset", std::int64_t{v.lbr});
        node_case c(v.cell, at, 14);
        c.in(f32(v.layout1 ? ints{N, S, I} : ints{S, N, I}, ref.X)).constant(f32({dirs, gates * H, I}, ref.W)).constant(f32({dirs, gates * H, H}, ref.R));
        const ints state = v.layout1 ? ints{N, dirs, H} : ints{dirs, N, H};
        if (v.with_bias) c.constant(f32({dirs, 2 * gates * H}, ref.B));
        else c.none();
        if (v.with_lens) c.in(i32({N}, {4, 1, 3}));
        else c.none();
        if (v.with_h0) c.in(f32(state, ref.h0));
        else c.none();
        if (v.cell == "LSTM") {
            if (v.with_h0) c.in(f32(state, ref.c0));
            else c.none();
            if (v.with_p) c.constant(f32({dirs, 3 * H}, ref.P));
        }
        c.outs(v.cell == "LSTM" ? std::vector<bool>{true, true, true} : std::vector<bool>{true, true}).on_threads(dirs == 2 ? 2 : 1);
        const auto r = run(c);
        CHECK(r.sizes(0) == (v.layout1 ? ints{N, S, dirs, H} : ints{S, dirs, N, H}));
        CHECK(diff(r.f(0), ref.Y, 1e-4) == "");
        CHECK(diff(r.f(1), ref.Yh, 1e-4) == "");
        if (v.cell == "LSTM") CHECK(diff(r.f(2), ref.Yc, 1e-4) == "");
    }
}

TEST_CASE("recurrent: a larger LSTM gives the same on 1 and 4 threads, and optional outputs may be left out") {
    std::mt19937 rng(3);
    const std::int64_t S = 16, N = 8, I = 48, H = 64;
    const auto X = random_floats(static_cast<std::size_t>(S * N * I), rng), W = random_floats(static_cast<std::size_t>(2 * 4 * H * I), rng, -0.2f, 0.2f),
               R = random_floats(static_cast<std::size_t>(2 * 4 * H * H), rng, -0.2f, 0.2f);
    auto make = [&](std::size_t threads, std::vector<bool> outs) {
        return run(node_case("LSTM", {{"hidden_size", H}, {"direction", "bidirectional"}})
                       .in(f32({S, N, I}, X))
                       .constant(f32({2, 4 * H, I}, W))
                       .constant(f32({2, 4 * H, H}, R))
                       .outs(std::move(outs))
                       .on_threads(threads));
    };
    const auto one = make(1, {true, true, true}), four = make(4, {true, true, true});
    CHECK(one.f(0) == four.f(0));
    CHECK(one.f(2) == four.f(2));
    const auto only_c = make(2, {false, false, true});
    CHECK(only_c.f(2) == one.f(2));
}

TEST_CASE("recurrent: invalid attributes are GC4002 naming the node; bad sequence_lens at run time GC6002") {
    const floats x(6, 1.0f);
    CHECK(code_of([&] {
              run(node_case("RNN", {{"hidden_size", std::int64_t{2}}, {"activations", std::vector<std::string>{"Gelu"}}})
                      .in(f32({1, 3, 2}, x))
                      .in(f32({1, 2, 2}, floats(4, 0.1f)))
                      .in(f32({1, 2, 2}, floats(4, 0.1f))));
          }) == "GC4002");
    CHECK(code_of([&] {
              run(node_case("RNN", {{"hidden_size", std::int64_t{2}}})
                      .in(f32({1, 3, 2}, x))
                      .in(f32({1, 2, 2}, floats(4, 0.1f)))
                      .in(f32({1, 2, 2}, floats(4, 0.1f)))
                      .none()
                      .in(i32({3}, {1, 2, 5})));
          }) == "GC6002");
}

// =================================================================================================
// Resize, Upsample

TEST_CASE("resize: the ONNX specification's examples") {
    const floats x16 = iota_floats(16, 1);
    {
        auto r = run(node_case("Resize", {{"mode", "cubic"}}, 13).in(f32({1, 1, 4, 4}, x16)).none().constant(f32({4}, {1, 1, 0.8f, 0.8f})));
        CHECK(r.sizes() == ints{1, 1, 3, 3});
        CHECK(diff(r.f(), doubles{1.4711914, 2.78125, 4.0825195, 6.711426, 8.021484, 9.322754, 11.916504, 13.2265625, 14.527832}) == "");
    }
    {
        auto r = run(node_case("Resize", {{"mode", "linear"}, {"coordinate_transformation_mode", "tf_crop_and_resize"}, {"extrapolation_value", 10.0f}}, 13)
                         .in(f32({1, 1, 4, 4}, x16))
                         .in(f32({8}, {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f}))
                         .none()
                         .constant(i64({4}, {1, 1, 3, 3})));
        CHECK(diff(r.f(), doubles{7.6000004, 10, 10, 12.400001, 10, 10, 10, 10, 10}) == "");
    }
    {
        auto r = run(node_case("Resize", {{"mode", "linear"}, {"coordinate_transformation_mode", "align_corners"}}, 13)
                         .in(f32({1, 1, 2, 4}, iota_floats(8, 1)))
                         .none()
                         .constant(f32({4}, {1, 1, 0.6f, 0.6f})));
        CHECK(diff(r.f(), doubles{1, 3.142857}) == "");  // the output width is scale * 4 = 2.4, not 2
    }
    {
        auto r = run(node_case("Resize", {{"mode", "nearest"}}, 13).in(f32({1, 1, 2, 2}, {1, 2, 3, 4})).none().constant(f32({4}, {1, 1, 2, 3})));
        CHECK(r.kernel == "misc.resize_nearest");
        CHECK(r.f() == floats{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
    }
}

TEST_CASE("resize: every mode, coordinate transformation, nearest rounding, scales or sizes, roi, axes against ONNX's reference") {
    std::mt19937 rng(11);
    struct variant {
        std::string mode, coord, nearest = "round_prefer_floor";
        ints in, out;
        doubles scales{};  // empty: sizes = out
        bool exclude = false, antialias = false;
        double a = -0.75;
        doubles roi{};
    };
    const std::vector<variant> variants = {
        {"nearest", "half_pixel", "round_prefer_floor", {1, 2, 5, 7}, {1, 2, 12, 3}, {}},
        {"nearest", "align_corners", "round_prefer_ceil", {2, 1, 4, 5}, {2, 1, 9, 13}, {}},
        {"nearest", "asymmetric", "floor", {1, 1, 6, 6}, {1, 1, 4, 15}, {1, 1, 0.7, 2.5}},
        {"nearest", "pytorch_half_pixel", "ceil", {1, 3, 5, 4}, {1, 3, 1, 9}, {}},
        {"nearest", "tf_crop_and_resize", "round_prefer_floor", {1, 1, 5, 5}, {1, 1, 4, 6}, {}, false, false, -0.75, {0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3}},
        {"linear", "half_pixel", "", {1, 2, 4, 6}, {1, 2, 7, 3}, {}},
        {"linear", "pytorch_half_pixel", "", {1, 1, 4, 4}, {1, 1, 1, 6}, {}},
        {"linear", "align_corners", "", {3, 5}, {7, 2}, {}},
        {"linear", "asymmetric", "", {2, 3, 4}, {2, 6, 3}, {1, 2.3, 0.8}},
        {"linear", "half_pixel_symmetric", "", {1, 1, 5, 6}, {1, 1, 7, 4}, {1, 1, 1.5, 0.7}},
        {"linear", "tf_crop_and_resize", "", {1, 1, 6, 5}, {1, 1, 5, 7}, {}, false, false, -0.75, {0, 0, 0.1, -0.3, 1, 1, 0.8, 1.2}},
        {"cubic", "half_pixel", "", {1, 1, 6, 7}, {1, 1, 11, 4}, {}},
        {"cubic", "half_pixel", "", {1, 1, 5, 5}, {1, 1, 8, 3}, {}, true, false, -0.5},
        {"cubic", "align_corners", "", {1, 1, 4, 4}, {1, 1, 7, 7}, {}},
        {"cubic", "asymmetric", "", {1, 2, 4, 5}, {1, 2, 10, 12}, {1, 1, 2.5, 2.5}},
        {"cubic", "pytorch_half_pixel", "", {1, 1, 4, 5}, {1, 1, 1, 3}, {}},
        {"linear", "half_pixel", "", {1, 1, 12, 10}, {1, 1, 5, 3}, {}, false, true},   // antialias
        {"cubic", "half_pixel", "", {1, 1, 13, 11}, {1, 1, 4, 5}, {}, false, true},
        {"cubic", "align_corners", "", {1, 1, 9, 9}, {1, 1, 4, 12}, {}, true, true},
        {"linear", "asymmetric", "", {2, 9}, {5, 4}, {2.6, 0.45}, false, true},
    };
    for (const auto& v : variants) {
        CAPTURE(v.mode);
        CAPTURE(v.coord);
        CAPTURE(v.in.size());
        const std::size_t r = v.in.size();
        resize_ref ref;
        ref.mode = v.mode;
        ref.coord = v.coord;
        ref.nearest_mode = v.nearest;
        ref.cubic_a = v.a;
        ref.exclude_outside = v.exclude;
        ref.antialias = v.antialias;
        ref.extrapolation = -3;
        ref.in = v.in;
        ref.out = v.out;
        ref.x.clear();
        const floats xf = random_floats(static_cast<std::size_t>(numel(v.in)), rng, -5, 5);
        for (float f : xf) ref.x.push_back(f);
        ref.roi_start.assign(r, 0);
        ref.roi_end.assign(r, 1);
        if (!v.roi.empty())
            for (std::size_t d = 0; d < r; ++d) ref.roi_start[d] = static_cast<float>(v.roi[d]), ref.roi_end[d] = static_cast<float>(v.roi[r + d]);
        for (std::size_t d = 0; d < r; ++d) {
            const double s = v.scales.empty() ? static_cast<double>(v.out[d]) / static_cast<double>(v.in[d]) : static_cast<double>(static_cast<float>(v.scales[d]));
            ref.scale.push_back(s);
            ref.width.push_back(v.scales.empty() ? static_cast<double>(v.out[d]) : s * static_cast<double>(v.in[d]));
        }
        attrs at{{"mode", v.mode}, {"coordinate_transformation_mode", v.coord}, {"extrapolation_value", -3.0f}, {"cubic_coeff_a", v.a}};
        if (!v.nearest.empty()) at.emplace_back("nearest_mode", v.nearest);
        if (v.exclude) at.emplace_back("exclude_outside", std::int64_t{1});
        if (v.antialias) at.emplace_back("antialias", std::int64_t{1});
        node_case c("Resize", at, 18);
        c.in(f32(v.in, xf));
        if (v.roi.empty()) c.none();
        else {
            floats roi;
            for (double d : v.roi) roi.push_back(static_cast<float>(d));
            c.in(f32({static_cast<std::int64_t>(roi.size())}, roi));
        }
        if (v.scales.empty()) {
            c.none().constant(i64({static_cast<std::int64_t>(r)}, v.out));
        } else {
            floats s;
            for (double d : v.scales) s.push_back(static_cast<float>(d));
            c.constant(f32({static_cast<std::int64_t>(r)}, s));
        }
        c.on_threads(2);
        const auto got = run(c);
        REQUIRE(got.sizes() == v.out);
        CHECK(diff(got.f(), ref.run(), 2e-5) == "");
    }
}

TEST_CASE("resize: axes and keep_aspect_ratio_policy (opset 18); nearest copies any dtype; linear in float64") {
    std::mt19937 rng(5);
    const floats x = random_floats(2 * 3 * 4 * 6, rng);
    {
        // sizes for axes [3, 2] only, not_larger: one scale min(9/6, 10/4) = 1.5 for both
        auto r = run(node_case("Resize", {{"mode", "linear"}, {"axes", ints{3, 2}}, {"keep_aspect_ratio_policy", "not_larger"}}, 18)
                         .in(f32({2, 3, 4, 6}, x))
                         .none()
                         .none()
                         .constant(i64({2}, {9, 10})));
        REQUIRE(r.sizes() == ints{2, 3, 6, 9});
        resize_ref ref;
        ref.mode = "linear";
        ref.in = {2, 3, 4, 6};
        ref.out = {2, 3, 6, 9};
        ref.scale = {1, 1, 1.5, 1.5};
        ref.width = {2, 3, 6, 9};
        ref.x.assign(x.begin(), x.end());
        CHECK(diff(r.f(), ref.run()) == "");
    }
    {
        auto r = run(node_case("Resize", {{"mode", "cubic"}, {"axes", ints{-1}}, {"keep_aspect_ratio_policy", "not_smaller"}}, 18)
                         .in(f32({2, 3, 4, 6}, x))
                         .none()
                         .none()
                         .constant(i64({1}, {4})));
        REQUIRE(r.sizes() == ints{2, 3, 4, 4});
        resize_ref ref;
        ref.mode = "cubic";
        ref.in = {2, 3, 4, 6};
        ref.out = {2, 3, 4, 4};
        ref.scale = {1, 1, 1, 4.0 / 6.0};
        ref.width = {2, 3, 4, 4};
        ref.x.assign(x.begin(), x.end());
        CHECK(diff(r.f(), ref.run()) == "");
    }
    {
        // nearest on int64 and on uint8: element copies
        auto r = run(node_case("Resize", {{"mode", "nearest"}}, 13).in(i64({1, 3}, {-7, 8, 9})).none().constant(f32({2}, {1, 2})));
        CHECK(r.i() == ints{-7, -7, 8, 8, 9, 9});
        auto u = run(node_case("Resize", {{"mode", "nearest"}, {"nearest_mode", "floor"}, {"coordinate_transformation_mode", "asymmetric"}}, 13)
                         .in(data::of<std::uint8_t>({2, 2}, {1, 2, 3, 250}))
                         .none()
                         .none()
                         .constant(i64({2}, {3, 3})));
        CHECK(u.outputs[0].values<std::uint8_t>() == std::vector<std::uint8_t>{1, 1, 2, 1, 1, 2, 3, 3, 250});
    }
    {
        auto r = run(node_case("Resize", {{"mode", "linear"}}, 13).in(data::of<double>({1, 2}, {1.0, 2.0})).none().constant(f32({2}, {1, 2})));
        CHECK(r.outputs[0].values<double>() == std::vector<double>{1.0, 1.25, 1.75, 2.0});
    }
}

TEST_CASE("resize: opset 10 and Upsample 7/9 (asymmetric; nearest rounds down, up when shrinking)") {
    {
        auto r = run(node_case("Upsample", {{"mode", "nearest"}}, 9).in(f32({1, 1, 2, 2}, {1, 2, 3, 4})).constant(f32({4}, {1, 1, 2, 3})));
        CHECK(r.f() == floats{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
    }
    {
        auto r = run(node_case("Upsample", {{"mode", "linear"}, {"scales", floats{1, 1, 2, 2}}}, 7).in(f32({1, 1, 2, 2}, {1, 2, 3, 4})));
        CHECK(r.f() == floats{1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4});
    }
    {
        auto r = run(node_case("Resize", {{"mode", "nearest"}}, 10).in(f32({1, 1, 2, 4}, iota_floats(8, 1))).constant(f32({4}, {1, 1, 0.6f, 0.6f})));
        CHECK(r.f() == floats{1, 3});
    }
    {
        auto r = run(node_case("Resize", {{"mode", "linear"}}, 10).in(f32({1, 1, 2, 2}, {1, 2, 3, 4})).constant(f32({4}, {1, 1, 2, 2})));
        CHECK(r.f() == floats{1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4});
    }
}

TEST_CASE("resize: a larger linear resize gives the same on 1 and 4 threads") {
    std::mt19937 rng(9);
    const floats x = random_floats(2 * 3 * 40 * 50, rng);
    auto make = [&](std::size_t threads) {
        return run(node_case("Resize", {{"mode", "cubic"}}, 13).in(f32({2, 3, 40, 50}, x)).none().constant(f32({4}, {1, 1, 1.7f, 0.55f})).on_threads(threads)).f();
    };
    CHECK(make(1) == make(4));
}

// =================================================================================================
// Pad

namespace {
/// Pad's source index along one axis in NumPy's way (crop first, then reflect by bouncing, wrap, edge); -1: the constant.
std::int64_t pad_source(std::int64_t o, std::int64_t in, std::int64_t begin, std::int64_t end, const std::string& mode) {
    const std::int64_t from = std::max<std::int64_t>(0, -begin), n = in - from - std::max<std::int64_t>(0, -end);
    std::int64_t k = o - std::max<std::int64_t>(0, begin);
    if (k >= 0 && k < n) return from + k;
    if (mode == "constant") return -1;
    if (mode == "edge") return from + std::clamp<std::int64_t>(k, 0, n - 1);
    if (mode == "wrap") {
        while (k < 0) k += n;
        while (k >= n) k -= n;
        return from + k;
    }
    if (n == 1) return from;
    while (k < 0 || k >= n) {
        if (k < 0) k = -k;
        if (k >= n) k = 2 * (n - 1) - k;
    }
    return from + k;
}
}  // namespace

TEST_CASE("pad: the ONNX specification's examples") {
    const floats x{1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
    auto pad = [&](const char* mode) {
        return run(node_case("Pad", {{"mode", mode}}, 13).in(f32({3, 2}, x)).constant(i64({4}, {0, 2, 0, 0}))).f();
    };
    CHECK(pad("constant") == floats{0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f});
    CHECK(pad("reflect") == floats{1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f});
    CHECK(pad("edge") == floats{1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f});
    // constant_value, and the pads of opset 2 as an attribute with its value
    CHECK(run(node_case("Pad", {}, 13).in(f32({1, 2}, {1, 2})).constant(i64({4}, {0, 1, 0, 2})).in(f32({}, {7.5f}))).f() == floats{7.5f, 1, 2, 7.5f, 7.5f});
    CHECK(run(node_case("Pad", {{"pads", ints{1, 0, 0, 1}}, {"value", 2.5f}}, 2).in(f32({1, 2}, {1, 2}))).f() == floats{2.5f, 2.5f, 2.5f, 1, 2, 2.5f});
}

TEST_CASE("pad: every mode with large and negative pads, axes (opset 18), any dtype, against NumPy's semantics") {
    std::mt19937 rng(13);
    const ints in{3, 4, 5};
    const floats x = random_floats(60, rng);
    struct variant {
        std::string mode;
        ints pads;  // begin per axis then end per axis (of `axes` when given)
        ints axes;
    };
    const std::vector<variant> variants = {
        {"constant", {1, 0, 2, 0, 3, 1}, {}},  {"reflect", {2, 7, 4, 1, 6, 9}, {}}, {"edge", {0, 3, 1, 2, 0, 4}, {}},
        {"wrap", {4, 9, 2, 5, 1, 11}, {}},     {"constant", {-1, 2, -2, 0, -1, 1}, {}}, {"reflect", {-1, 3, 2, 1, -2, 3}, {}},
        {"edge", {1, -2, 0, -1, 3, 1}, {}},    {"wrap", {0, -1, 3, 0, -2, 4}, {}},  {"reflect", {3, 2, 1, 5}, {2, 0}},
        {"constant", {2, 1}, {-2}},
    };
    for (const auto& v : variants) {
        CAPTURE(v.mode);
        CAPTURE(v.pads.size());
        node_case c("Pad", {{"mode", v.mode}}, 18);
        c.in(f32(in, x)).constant(i64({static_cast<std::int64_t>(v.pads.size())}, v.pads)).in(f32({1}, {-9}));
        if (!v.axes.empty()) c.constant(i64({static_cast<std::int64_t>(v.axes.size())}, v.axes));
        const auto r = run(c);
        ints begin(3, 0), end(3, 0);
        ints axes = v.axes.empty() ? ints{0, 1, 2} : v.axes;
        for (auto& a : axes) a = a < 0 ? a + 3 : a;
        for (std::size_t i = 0; i < axes.size(); ++i) {
            begin[static_cast<std::size_t>(axes[i])] = v.pads[i];
            end[static_cast<std::size_t>(axes[i])] = v.pads[axes.size() + i];
        }
        ints out;
        for (std::size_t d = 0; d < 3; ++d) out.push_back(in[d] + begin[d] + end[d]);
        REQUIRE(r.sizes() == out);
        floats want;
        for (std::int64_t i = 0; i < out[0]; ++i)
            for (std::int64_t j = 0; j < out[1]; ++j)
                for (std::int64_t k = 0; k < out[2]; ++k) {
                    const auto a = pad_source(i, in[0], begin[0], end[0], v.mode), b = pad_source(j, in[1], begin[1], end[1], v.mode),
                               cc = pad_source(k, in[2], begin[2], end[2], v.mode);
                    want.push_back(a < 0 || b < 0 || cc < 0 ? -9.0f : x[static_cast<std::size_t>((a * in[1] + b) * in[2] + cc)]);
                }
        CHECK(r.f() == want);
    }
    // bytes of any dtype: float16 and int64
    const auto h = run(node_case("Pad", {{"mode", "reflect"}}, 13).in(data::of<std::uint16_t>({3}, {0x3c00, 0x4000, 0x4200}).as_type(dtype::float16)).constant(i64({2}, {2, 1})));
    CHECK(h.outputs[0].type == dtype::float16);
    CHECK(h.outputs[0].values<std::uint16_t>() == std::vector<std::uint16_t>{0x4200, 0x4000, 0x3c00, 0x4000, 0x4200, 0x4000});
    CHECK(run(node_case("Pad", {}, 13).in(i64({2}, {5, 6})).constant(i64({2}, {1, 1})).in(i64({}, {-1}))).i() == ints{-1, 5, 6, -1});
}

// =================================================================================================
// ArgMax, ArgMin, TopK, CumSum

TEST_CASE("arg max/min: keepdims, negative axis, select_last_index, NaN, every ordered dtype") {
    const floats x{2, 1, 3, 10};
    CHECK(run(node_case("ArgMax", {{"axis", std::int64_t{0}}}).in(f32({2, 2}, x))).i() == ints{1, 1});
    CHECK(run(node_case("ArgMax", {{"axis", std::int64_t{1}}}).in(f32({2, 2}, x))).sizes() == ints{2, 1});
    CHECK(run(node_case("ArgMax", {{"axis", std::int64_t{1}}, {"keepdims", std::int64_t{0}}}).in(f32({2, 2}, x))).i() == ints{0, 1});
    CHECK(run(node_case("ArgMin", {{"axis", std::int64_t{-1}}}).in(f32({2, 2}, x))).i() == ints{1, 0});
    const floats ties{2, 2, 3, 10};
    CHECK(run(node_case("ArgMax", {{"axis", std::int64_t{1}}, {"select_last_index", std::int64_t{1}}}).in(f32({2, 2}, ties))).i() == ints{1, 1});
    CHECK(run(node_case("ArgMax", {{"axis", std::int64_t{1}}}).in(f32({2, 2}, ties))).i() == ints{0, 1});
    CHECK(run(node_case("ArgMin", {{"axis", std::int64_t{0}}, {"select_last_index", std::int64_t{1}}}).in(f32({3}, {1, 0, 0}))).i() == ints{2});
    // NaN wins like NumPy's argmax/argmin: the first one (the last with select_last_index)
    const float nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(run(node_case("ArgMax", {}).in(f32({4}, {1, nan, 5, nan}))).i() == ints{1});
    CHECK(run(node_case("ArgMin", {{"select_last_index", std::int64_t{1}}}).in(f32({4}, {1, nan, -5, nan}))).i() == ints{3});
    // dtypes: int8, uint64, float16 (bits), bool
    CHECK(run(node_case("ArgMin", {{"axis", std::int64_t{1}}}).in(data::of<std::int8_t>({2, 3}, {5, -3, 7, 0, 1, -1}))).i() == ints{1, 2});
    CHECK(run(node_case("ArgMax", {}).in(data::of<std::uint64_t>({3}, {1, 18446744073709551615ull, 18446744073709551614ull}))).i() == ints{1});
    CHECK(run(node_case("ArgMax", {}).in(data::of<std::uint16_t>({3}, {0xbc00, 0x4200, 0x4000}).as_type(dtype::float16))).i() == ints{1});
    CHECK(run(node_case("ArgMax", {}).in(data::of<std::uint8_t>({3}, {0, 1, 1}).as_type(dtype::boolean))).i() == ints{1});
    // a middle axis against a naive loop
    std::mt19937 rng(2);
    const floats r = random_floats(3 * 5 * 4, rng);
    const auto got = run(node_case("ArgMin", {{"axis", std::int64_t{1}}, {"keepdims", std::int64_t{0}}}).in(f32({3, 5, 4}, r))).i();
    ints want;
    for (int i = 0; i < 3; ++i)
        for (int k = 0; k < 4; ++k) {
            int best = 0;
            for (int j = 1; j < 5; ++j)
                if (r[static_cast<std::size_t>((i * 5 + j) * 4 + k)] < r[static_cast<std::size_t>((i * 5 + best) * 4 + k)]) best = j;
            want.push_back(best);
        }
    CHECK(got == want);
}

TEST_CASE("topk: the specification's example, smallest, ties by index, any axis and dtype") {
    const floats x = iota_floats(12);
    {
        auto r = run(node_case("TopK", {{"axis", std::int64_t{1}}}).in(f32({3, 4}, x)).constant(i64({1}, {3})).outs({true, true}));
        CHECK(r.f(0) == floats{3, 2, 1, 7, 6, 5, 11, 10, 9});
        CHECK(r.i(1) == ints{3, 2, 1, 3, 2, 1, 3, 2, 1});
    }
    {
        auto r = run(node_case("TopK", {{"axis", std::int64_t{-1}}, {"largest", std::int64_t{0}}}).in(f32({3, 4}, {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0})).constant(i64({1}, {3})).outs({true, true}));
        CHECK(r.f(0) == floats{8, 9, 10, 4, 5, 6, 0, 1, 2});
        CHECK(r.i(1) == ints{3, 2, 1, 3, 2, 1, 3, 2, 1});
    }
    {
        // ties keep the lower index first; axis 0 of a 3-D int32 tensor; K as the opset-1 attribute
        auto r = run(node_case("TopK", {{"axis", std::int64_t{0}}}).in(i32({4, 1, 2}, {1, 5, 3, 5, 3, 2, 0, 5})).constant(i64({1}, {3})).outs({true, true}));
        CHECK(r.outputs[0].values<std::int32_t>() == std::vector<std::int32_t>{3, 5, 3, 5, 1, 5});
        CHECK(r.i(1) == ints{1, 0, 2, 1, 0, 3});
        auto a = run(node_case("TopK", {{"k", std::int64_t{2}}}, 1).in(f32({5}, {4, 9, 1, 9, 3})).outs({true, true}));
        CHECK(a.f(0) == floats{9, 9});
        CHECK(a.i(1) == ints{1, 3});
        // only the indices wanted
        auto i = run(node_case("TopK", {{"largest", std::int64_t{0}}}).in(f32({5}, {4, 9, 1, 9, 3})).constant(i64({1}, {2})).outs({false, true}));
        CHECK(i.i(1) == ints{2, 4});
    }
}

TEST_CASE("cumsum: the specification's examples, a middle axis, integers") {
    const floats x{1, 2, 3, 4, 5};
    auto cs = [&](std::int64_t exclusive, std::int64_t reverse) {
        return run(node_case("CumSum", {{"exclusive", exclusive}, {"reverse", reverse}}).in(f32({5}, x)).in(i32({}, {0}))).f();
    };
    CHECK(cs(0, 0) == floats{1, 3, 6, 10, 15});
    CHECK(cs(1, 0) == floats{0, 1, 3, 6, 10});
    CHECK(cs(0, 1) == floats{15, 14, 12, 9, 5});
    CHECK(cs(1, 1) == floats{14, 12, 9, 5, 0});
    const floats m{1, 2, 3, 4, 5, 6};
    CHECK(run(node_case("CumSum").in(f32({2, 3}, m)).in(i64({1}, {0}))).f() == floats{1, 2, 3, 5, 7, 9});
    CHECK(run(node_case("CumSum").in(f32({2, 3}, m)).in(i64({}, {-1}))).f() == floats{1, 3, 6, 4, 9, 15});
    CHECK(run(node_case("CumSum", {{"reverse", std::int64_t{1}}}).in(i64({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})).in(i32({}, {1}))).i() == ints{4, 6, 3, 4, 12, 14, 7, 8});
}

// =================================================================================================
// ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare

TEST_CASE("reductions: every op, axes as attribute (opset 13) or input (opset 18), keepdims, noop_with_empty_axes") {
    std::mt19937 rng(17);
    const ints in{3, 4, 2};
    const floats x = random_floats(24, rng, 0.1f, 2.0f);
    auto naive = [&](const std::string& op, const std::vector<bool>& along) {
        doubles out;
        const std::int64_t total = 24;
        std::vector<ints> keys;  // the kept coordinates of each output element, in order
        std::vector<doubles> members;
        for (std::int64_t i = 0; i < total; ++i) {
            const ints c{i / 8, (i / 2) % 4, i % 2};
            ints key;
            for (std::size_t d = 0; d < 3; ++d) key.push_back(along[d] ? 0 : c[d]);
            auto it = std::find(keys.begin(), keys.end(), key);
            if (it == keys.end()) {
                keys.push_back(key);
                members.emplace_back();
                it = keys.end() - 1;
            }
            members[static_cast<std::size_t>(it - keys.begin())].push_back(x[static_cast<std::size_t>(i)]);
        }
        for (const auto& m : members) {
            double acc = 0;
            for (double v : m) {
                if (op == "ReduceL1") acc += std::fabs(v);
                else if (op == "ReduceL2" || op == "ReduceSumSquare") acc += v * v;
                else if (op == "ReduceLogSum") acc += v;
                else acc += std::exp(v);
            }
            if (op == "ReduceL2") acc = std::sqrt(acc);
            if (op == "ReduceLogSum" || op == "ReduceLogSumExp") acc = std::log(acc);
            out.push_back(acc);
        }
        return out;
    };
    for (const char* op : {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"}) {
        CAPTURE(op);
        auto r = run(node_case(op, {{"axes", ints{0, 2}}}, 13).in(f32(in, x)));
        CHECK(r.sizes() == ints{1, 4, 1});
        CHECK(diff(r.f(), naive(op, {true, false, true})) == "");
        r = run(node_case(op, {{"keepdims", std::int64_t{0}}}, 18).in(f32(in, x)).constant(i64({1}, {-2})));
        CHECK(r.sizes() == ints{3, 2});
        CHECK(diff(r.f(), naive(op, {false, true, false})) == "");
        r = run(node_case(op, {{"keepdims", std::int64_t{0}}}, 13).in(f32(in, x)));
        CHECK(r.sizes() == ints{});
        CHECK(diff(r.f(), naive(op, {true, true, true})) == "");
        r = run(node_case(op, {{"noop_with_empty_axes", std::int64_t{1}}}, 18).in(f32(in, x)));
        CHECK(r.sizes() == in);
        CHECK(diff(r.f(), naive(op, {false, false, false})) == "");
    }
    // the specification's examples, and integers
    CHECK(diff(run(node_case("ReduceLogSumExp", {{"axes", ints{1}}}, 13).in(f32({3, 2, 2}, {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2}))).f(),
               doubles{20.0000003, 2.31326169, 40.0000454, 2.31326169, 60.0067153, 2.31326169}) == "");
    CHECK(run(node_case("ReduceSumSquare", {{"axes", ints{1}}, {"keepdims", std::int64_t{0}}}, 13).in(i64({2, 2}, {1, -2, 3, 4}))).i() == ints{5, 25});
    CHECK(run(node_case("ReduceL1", {}, 13).in(i32({3}, {-1, 2, -3}))).outputs[0].values<std::int32_t>() == std::vector<std::int32_t>{6});
}

// =================================================================================================
// OneHot, GatherND, ScatterND, ScatterElements, Scatter

TEST_CASE("one hot: axes, negative indices, out-of-range indices, value dtypes") {
    {
        auto r = run(node_case("OneHot", {{"axis", std::int64_t{1}}}).in(f32({2, 2}, {1, 9, 2, 4})).constant(f32({1}, {10})).in(f32({2}, {1, 3})));
        REQUIRE(r.sizes() == ints{2, 10, 2});
        floats want(40, 1);
        want[static_cast<std::size_t>((0 * 10 + 1) * 2 + 0)] = 3;
        want[static_cast<std::size_t>((0 * 10 + 9) * 2 + 1)] = 3;
        want[static_cast<std::size_t>((1 * 10 + 2) * 2 + 0)] = 3;
        want[static_cast<std::size_t>((1 * 10 + 4) * 2 + 1)] = 3;
        CHECK(r.f() == want);
    }
    CHECK(run(node_case("OneHot").in(i64({4}, {0, -1, -3, 3})).constant(i64({}, {3})).in(i64({2}, {0, 5}))).i() ==
          ints{5, 0, 0, 0, 0, 5, 5, 0, 0, 0, 0, 0});
    CHECK(run(node_case("OneHot", {{"axis", std::int64_t{0}}}).in(i32({2}, {1, 0})).constant(i32({}, {2})).in(data::of<std::uint8_t>({2}, {0, 1}).as_type(dtype::boolean)))
              .outputs[0]
              .values<std::uint8_t>() == std::vector<std::uint8_t>{0, 1, 1, 0});
}

TEST_CASE("gather nd: the specification's five examples, and an index out of range") {
    CHECK(run(node_case("GatherND").in(i32({2, 2}, {0, 1, 2, 3})).in(i64({2, 2}, {0, 0, 1, 1}))).outputs[0].values<std::int32_t>() ==
          std::vector<std::int32_t>{0, 3});
    CHECK(run(node_case("GatherND").in(i32({2, 2}, {0, 1, 2, 3})).in(i64({2, 1}, {1, 0}))).outputs[0].values<std::int32_t>() ==
          std::vector<std::int32_t>{2, 3, 0, 1});
    const floats d = iota_floats(8);
    CHECK(run(node_case("GatherND").in(f32({2, 2, 2}, d)).in(i64({2, 2}, {0, 1, 1, 0}))).f() == floats{2, 3, 4, 5});
    auto r = run(node_case("GatherND").in(f32({2, 2, 2}, d)).in(i64({2, 1, 2}, {0, 1, 1, 0})));
    CHECK(r.sizes() == ints{2, 1, 2});
    CHECK(r.f() == floats{2, 3, 4, 5});
    r = run(node_case("GatherND", {{"batch_dims", std::int64_t{1}}}).in(f32({2, 2, 2}, d)).in(i64({2, 1}, {1, 0})));
    CHECK(r.sizes() == ints{2, 2});
    CHECK(r.f() == floats{2, 3, 4, 5});
    CHECK(run(node_case("GatherND").in(f32({2, 2}, {0, 1, 2, 3})).in(i64({1, 2}, {-1, -2}))).f() == floats{2});
    CHECK(code_of([&] { run(node_case("GatherND").in(f32({2, 2}, {0, 1, 2, 3})).in(i64({1, 2}, {0, 2}))); }) == "GC6002");
}

TEST_CASE("scatter nd: the specification's examples with every reduction") {
    const floats data1 = iota_floats(8, 1);
    CHECK(run(node_case("ScatterND").in(f32({8}, data1)).in(i64({4, 1}, {4, 3, 1, 7})).in(f32({4}, {9, 10, 11, 12}))).f() ==
          floats{1, 11, 3, 10, 9, 6, 7, 12});
    const floats cube{1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1,
                      8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8};
    const floats upd{5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4};
    floats want = cube;
    std::copy(upd.begin(), upd.begin() + 16, want.begin());
    std::copy(upd.begin() + 16, upd.end(), want.begin() + 32);
    CHECK(run(node_case("ScatterND").in(f32({4, 4, 4}, cube)).in(i64({2, 1}, {0, 2})).in(f32({2, 4, 4}, upd))).f() == want);
    // reductions: add / mul with a repeated index, max / min (opset 18)
    CHECK(run(node_case("ScatterND", {{"reduction", "add"}}, 16).in(f32({4}, {1, 2, 3, 4})).in(i64({3, 1}, {0, 0, 3})).in(f32({3}, {10, 20, 5}))).f() ==
          floats{31, 2, 3, 9});
    CHECK(run(node_case("ScatterND", {{"reduction", "mul"}}, 16).in(i64({3}, {2, 3, 4})).in(i64({2, 1}, {1, 1})).in(i64({2}, {5, 2}))).i() == ints{2, 30, 4});
    CHECK(run(node_case("ScatterND", {{"reduction", "max"}}, 18).in(f32({3}, {1, 5, 3})).in(i64({2, 1}, {1, 2})).in(f32({2}, {4, 9}))).f() == floats{1, 5, 9});
    CHECK(run(node_case("ScatterND", {{"reduction", "min"}}, 18).in(f32({3}, {1, 5, 3})).in(i64({2, 1}, {-2, 2})).in(f32({2}, {4, 9}))).f() == floats{1, 4, 3});
}

TEST_CASE("scatter elements and Scatter: axes, negative indices, reductions") {
    CHECK(run(node_case("ScatterElements", {{"axis", std::int64_t{0}}}).in(f32({3, 3}, floats(9, 0))).in(i64({2, 3}, {1, 0, 2, 0, 2, 1})).in(f32({2, 3}, {1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f}))).f() ==
          floats{2.0f, 1.1f, 0, 1.0f, 0, 2.2f, 0, 2.1f, 1.2f});
    CHECK(run(node_case("ScatterElements", {{"axis", std::int64_t{1}}}).in(f32({1, 5}, {1, 2, 3, 4, 5})).in(i64({1, 2}, {1, 3})).in(f32({1, 2}, {1.1f, 2.1f}))).f() ==
          floats{1, 1.1f, 3, 2.1f, 5});
    CHECK(run(node_case("ScatterElements", {{"axis", std::int64_t{1}}}).in(f32({1, 5}, {1, 2, 3, 4, 5})).in(i64({1, 2}, {1, -3})).in(f32({1, 2}, {1.1f, 2.1f}))).f() ==
          floats{1, 1.1f, 2.1f, 4, 5});
    CHECK(run(node_case("ScatterElements", {{"axis", std::int64_t{1}}, {"reduction", "add"}}, 16).in(f32({1, 5}, {1, 2, 3, 4, 5})).in(i64({1, 2}, {1, 1})).in(f32({1, 2}, {1.1f, 2.1f}))).f() ==
          floats{1, 2 + 1.1f + 2.1f, 3, 4, 5});
    CHECK(run(node_case("ScatterElements", {{"reduction", "max"}}, 18).in(i32({3}, {1, 5, 3})).in(i64({3}, {0, 1, 0})).in(i32({3}, {4, 2, 9}))).outputs[0].values<std::int32_t>() ==
          std::vector<std::int32_t>{9, 5, 3});
    CHECK(run(node_case("Scatter", {{"axis", std::int64_t{1}}}, 9).in(f32({1, 5}, {1, 2, 3, 4, 5})).in(i32({1, 2}, {1, 3})).in(f32({1, 2}, {1.1f, 2.1f}))).f() ==
          floats{1, 1.1f, 3, 2.1f, 5});
}

// =================================================================================================
// DepthToSpace, SpaceToDepth, Compress, NonZero, ReverseSequence, EyeLike

TEST_CASE("depth to space (DCR, CRD) and space to depth: the specification's examples") {
    const floats x = iota_floats(48);
    CHECK(run(node_case("DepthToSpace", {{"blocksize", std::int64_t{2}}, {"mode", "DCR"}}).in(f32({1, 8, 2, 3}, x))).f() ==
          floats{0, 12, 1, 13, 2, 14, 24, 36, 25, 37, 26, 38, 3, 15, 4, 16, 5, 17, 27, 39, 28, 40, 29, 41,
                 6, 18, 7, 19, 8, 20, 30, 42, 31, 43, 32, 44, 9, 21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47});
    CHECK(run(node_case("DepthToSpace", {{"blocksize", std::int64_t{2}}, {"mode", "CRD"}}).in(f32({1, 8, 2, 3}, x))).f() ==
          floats{0, 6, 1, 7, 2, 8, 12, 18, 13, 19, 14, 20, 3, 9, 4, 10, 5, 11, 15, 21, 16, 22, 17, 23,
                 24, 30, 25, 31, 26, 32, 36, 42, 37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47});
    // SpaceToDepth undoes DCR, on int64 as well
    const auto space = run(node_case("DepthToSpace", {{"blocksize", std::int64_t{2}}}).in(i64({2, 8, 2, 3}, iota_ints(96)))).outputs[0];
    CHECK(run(node_case("SpaceToDepth", {{"blocksize", std::int64_t{2}}}).in(space)).i() == iota_ints(96));
}

TEST_CASE("compress, non zero, reverse sequence, eye like: the specification's examples") {
    const floats x{1, 2, 3, 4, 5, 6};
    auto cond = [](std::vector<std::uint8_t> v) { return data::of<std::uint8_t>({static_cast<std::int64_t>(v.size())}, v).as_type(dtype::boolean); };
    CHECK(run(node_case("Compress", {{"axis", std::int64_t{0}}}).in(f32({3, 2}, x)).constant(cond({0, 1, 1}))).f() == floats{3, 4, 5, 6});
    CHECK(run(node_case("Compress", {{"axis", std::int64_t{1}}}).in(f32({3, 2}, x)).constant(cond({0, 1}))).f() == floats{2, 4, 6});
    CHECK(run(node_case("Compress").in(f32({3, 2}, x)).constant(cond({0, 1, 0, 0, 1}))).f() == floats{2, 5});
    CHECK(run(node_case("Compress", {{"axis", std::int64_t{-1}}}).in(f32({3, 2}, x)).constant(cond({0, 1}))).f() == floats{2, 4, 6});

    // NonZero's count is known at run time only: its kernel runs where the plan's output shape holds it
    graph g("t");
    auto* in = g.add_input("x", value_type::tensor_of(dtype::float32, shape{2, 2}));
    auto* nz = g.add_node("NonZero", {in}, 1, {}, "nz");
    kernels::prepare_args a;
    a.n = nz;
    a.inputs = {in->type()};
    a.constants = {nullptr};
    a.outputs = {value_type::tensor_of(dtype::int64, shape{2, 3})};
    auto k = kernels::device_kernels<device::cpu>::table().make(a);
    REQUIRE(k);
    const floats xv{1, 0, 1, -0.0f};
    const ints xs{2, 2}, ys{2, 3};
    ints y(6, -1);
    kernels::exec_context ctx;
    const kernels::tensor_ref ir[] = {{dtype::float32, xs, reinterpret_cast<std::byte*>(const_cast<float*>(xv.data()))}};
    const kernels::tensor_ref orf[] = {{dtype::int64, ys, reinterpret_cast<std::byte*>(y.data())}};
    CHECK(code_of([&] { k->run(ir, orf, ctx); }) == "GC6002");  // 2 non-zeros (-0 is zero), the plan has 3
    const floats xv2{1, 0, 1, 1};
    const kernels::tensor_ref ir2[] = {{dtype::float32, xs, reinterpret_cast<std::byte*>(const_cast<float*>(xv2.data()))}};
    k->run(ir2, orf, ctx);
    CHECK(y == ints{0, 1, 1, 0, 0, 1});

    const floats seq{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    CHECK(run(node_case("ReverseSequence", {{"time_axis", std::int64_t{0}}, {"batch_axis", std::int64_t{1}}}).in(f32({4, 4}, seq)).in(i64({4}, {4, 3, 2, 1}))).f() ==
          floats{12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15});
    CHECK(run(node_case("ReverseSequence", {{"time_axis", std::int64_t{1}}, {"batch_axis", std::int64_t{0}}}).in(f32({4, 4}, seq)).in(i64({4}, {1, 2, 3, 4}))).f() ==
          floats{0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12});

    CHECK(run(node_case("EyeLike", {{"k", std::int64_t{1}}}).in(i32({3, 4}, std::vector<std::int32_t>(12, 7)))).outputs[0].values<std::int32_t>() ==
          std::vector<std::int32_t>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
    CHECK(run(node_case("EyeLike", {{"dtype", std::int64_t{1}}, {"k", std::int64_t{-1}}}).in(i64({3, 2}, ints(6, 0)))).f() == floats{0, 0, 1, 0, 0, 1});
}

TEST_CASE("non max suppression: the specification's examples (the plan sized for the selected count)") {
    const floats boxes{0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f, 0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101};
    const floats scores{0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f};
    auto nms = [&](const floats& b, const floats& s, ints classes_boxes, std::int64_t max_out, float iou, std::optional<float> score,
                   std::int64_t center, std::int64_t selected) {
        graph g("t");
        auto* bx = g.add_input("b", value_type::tensor_of(dtype::float32, shape::of(ints{1, classes_boxes[1], 4})));
        auto* sc = g.add_input("s", value_type::tensor_of(dtype::float32, shape::of(ints{1, classes_boxes[0], classes_boxes[1]})));
        auto* n = g.add_node("NonMaxSuppression", {bx, sc}, 1, {{"center_point_box", center}}, "nms");
        kernels::prepare_args a;
        a.n = n;
        a.opset = 11;
        a.inputs = {bx->type(), sc->type()};
        a.constants = {nullptr, nullptr};
        a.outputs = {value_type::tensor_of(dtype::int64, shape::of(ints{selected, 3}))};
        auto k = kernels::device_kernels<device::cpu>::table().make(a);
        REQUIRE(k);
        const ints bs{1, classes_boxes[1], 4}, ss{1, classes_boxes[0], classes_boxes[1]}, one{1}, ys{selected, 3};
        ints m{max_out};
        floats iv{iou}, sv{score.value_or(0)};
        ints y(static_cast<std::size_t>(selected * 3));
        auto ref = [](dtype t, const ints& s, const void* p) { return kernels::tensor_ref{t, s, static_cast<std::byte*>(const_cast<void*>(p))}; };
        std::vector<kernels::tensor_ref> in{ref(dtype::float32, bs, b.data()), ref(dtype::float32, ss, s.data()), ref(dtype::int64, one, m.data()),
                                            ref(dtype::float32, one, iv.data())};
        if (score) in.push_back(ref(dtype::float32, one, sv.data()));
        const kernels::tensor_ref out[] = {ref(dtype::int64, ys, y.data())};
        kernels::exec_context ctx;
        k->run(in, out, ctx);
        return y;
    };
    CHECK(nms(boxes, scores, {1, 6}, 3, 0.5f, 0.0f, 0, 3) == ints{0, 0, 3, 0, 0, 0, 0, 0, 5});
    CHECK(nms(boxes, scores, {1, 6}, 3, 0.5f, 0.4f, 0, 2) == ints{0, 0, 3, 0, 0, 0});
    CHECK(nms(boxes, scores, {1, 6}, 2, 0.5f, std::nullopt, 0, 2) == ints{0, 0, 3, 0, 0, 0});
    const floats centers{0.5f, 0.5f, 1, 1, 0.5f, 0.6f, 1, 1, 0.5f, 0.4f, 1, 1, 0.5f, 10.5f, 1, 1, 0.5f, 10.6f, 1, 1, 0.5f, 100.5f, 1, 1};
    CHECK(nms(centers, scores, {1, 6}, 3, 0.5f, 0.0f, 1, 3) == ints{0, 0, 3, 0, 0, 0, 0, 0, 5});
    const floats flipped{1, 1, 0, 0, 0, 0.1f, 1, 1.1f, 0, 0.9f, 1, -0.1f, 0, 10, 1, 11, 1, 10.1f, 0, 11.1f, 1, 101, 0, 100};
    CHECK(nms(flipped, scores, {1, 6}, 3, 0.5f, 0.0f, 0, 3) == ints{0, 0, 3, 0, 0, 0, 0, 0, 5});
}

// =================================================================================================
// Einsum

TEST_CASE("einsum: matmul, batch matmul, transpose, trace, diagonal, sums, outer and inner products, three operands, ellipsis") {
    std::mt19937 rng(23);
    const floats a = random_floats(12, rng), b = random_floats(20, rng), c = random_floats(10, rng);
    auto at = [](const floats& v, std::int64_t i) { return static_cast<double>(v[static_cast<std::size_t>(i)]); };
    auto e = [](const std::string& eq) { return attrs{{"equation", eq}}; };
    {
        auto r = run(node_case("Einsum", e("ij,jk->ik")).in(f32({3, 4}, a)).in(f32({4, 5}, b)));
        doubles want;
        for (int i = 0; i < 3; ++i)
            for (int k = 0; k < 5; ++k) {
                double s = 0;
                for (int j = 0; j < 4; ++j) s += at(a, i * 4 + j) * at(b, j * 5 + k);
                want.push_back(s);
            }
        CHECK(r.sizes() == ints{3, 5});
        CHECK(diff(r.f(), want) == "");
        CHECK(diff(run(node_case("Einsum", e("ij,jk")).in(f32({3, 4}, a)).in(f32({4, 5}, b))).f(), want) == "");  // implicit output ik
    }
    {
        auto r = run(node_case("Einsum", e("bij,bjk->bik")).in(f32({2, 3, 2}, a)).in(f32({2, 2, 5}, b)));
        doubles want;
        for (int bb = 0; bb < 2; ++bb)
            for (int i = 0; i < 3; ++i)
                for (int k = 0; k < 5; ++k) want.push_back(at(a, bb * 6 + i * 2) * at(b, bb * 10 + k) + at(a, bb * 6 + i * 2 + 1) * at(b, bb * 10 + 5 + k));
        CHECK(diff(r.f(), want) == "");
    }
    {
        auto r = run(node_case("Einsum", e("ij->ji")).in(f32({3, 4}, a)));
        doubles want;
        for (int j = 0; j < 4; ++j)
            for (int i = 0; i < 3; ++i) want.push_back(at(a, i * 4 + j));
        CHECK(diff(r.f(), want) == "");
        CHECK(diff(run(node_case("Einsum", e("ba")).in(f32({3, 4}, a))).f(), want) == "");  // implicit: alphabetical ab
    }
    {
        const floats sq = random_floats(9, rng);
        CHECK(diff(run(node_case("Einsum", e("ii")).in(f32({3, 3}, sq))).f(), doubles{at(sq, 0) + at(sq, 4) + at(sq, 8)}) == "");
        CHECK(diff(run(node_case("Einsum", e("ii->i")).in(f32({3, 3}, sq))).f(), doubles{at(sq, 0), at(sq, 4), at(sq, 8)}) == "");
        CHECK(diff(run(node_case("Einsum", e("ij->")).in(f32({3, 3}, sq))).f(), doubles{std::accumulate(sq.begin(), sq.end(), 0.0)}) == "");
        CHECK(diff(run(node_case("Einsum", e("ij->i")).in(f32({3, 3}, sq))).f(),
                   doubles{at(sq, 0) + at(sq, 1) + at(sq, 2), at(sq, 3) + at(sq, 4) + at(sq, 5), at(sq, 6) + at(sq, 7) + at(sq, 8)}) == "");
        // batch diagonal with an ellipsis
        auto r = run(node_case("Einsum", e("...ii->...i")).in(f32({2, 2, 2}, floats(b.begin(), b.begin() + 8))));
        CHECK(diff(r.f(), doubles{at(b, 0), at(b, 3), at(b, 4), at(b, 7)}) == "");
    }
    {
        auto r = run(node_case("Einsum", e("i,j->ij")).in(f32({3}, floats(a.begin(), a.begin() + 3))).in(f32({2}, floats(b.begin(), b.begin() + 2))));
        CHECK(diff(r.f(), doubles{at(a, 0) * at(b, 0), at(a, 0) * at(b, 1), at(a, 1) * at(b, 0), at(a, 1) * at(b, 1), at(a, 2) * at(b, 0), at(a, 2) * at(b, 1)}) == "");
        auto in = run(node_case("Einsum", e("i,i")).in(f32({4}, floats(a.begin(), a.begin() + 4))).in(f32({4}, floats(b.begin(), b.begin() + 4))));
        CHECK(diff(in.f(), doubles{at(a, 0) * at(b, 0) + at(a, 1) * at(b, 1) + at(a, 2) * at(b, 2) + at(a, 3) * at(b, 3)}) == "");
    }
    {
        // three operands: ij,jk,kl->il with [2,3], [3,2], [2,5]
        auto r = run(node_case("Einsum", e("ij,jk,kl->il")).in(f32({2, 3}, floats(a.begin(), a.begin() + 6))).in(f32({3, 2}, floats(b.begin(), b.begin() + 6))).in(f32({2, 5}, c)));
        doubles want;
        for (int i = 0; i < 2; ++i)
            for (int l = 0; l < 5; ++l) {
                double s = 0;
                for (int j = 0; j < 3; ++j)
                    for (int k = 0; k < 2; ++k) s += at(a, i * 3 + j) * at(b, j * 2 + k) * at(c, k * 5 + l);
                want.push_back(s);
            }
        CHECK(diff(r.f(), want) == "");
    }
    {
        // broadcasting "..." dims: [2,1,2,3] x [3,3,2] -> [2,3,2,2]
        const floats x = random_floats(12, rng), y = random_floats(18, rng);
        auto r = run(node_case("Einsum", e("...ij,...kj->...ik")).in(f32({2, 1, 2, 3}, x)).in(f32({3, 2, 3}, y)));
        REQUIRE(r.sizes() == ints{2, 3, 2, 2});
        doubles want;
        for (int p = 0; p < 2; ++p)
            for (int q = 0; q < 3; ++q)
                for (int i = 0; i < 2; ++i)
                    for (int k = 0; k < 2; ++k) {
                        double s = 0;
                        for (int j = 0; j < 3; ++j) s += at(x, (p * 2 + i) * 3 + j) * at(y, (q * 2 + k) * 3 + j);
                        want.push_back(s);
                    }
        CHECK(diff(r.f(), want) == "");
    }
    CHECK(run(node_case("Einsum", e("ij,j->i")).in(i64({2, 2}, {1, 2, 3, 4})).in(i64({2}, {5, 6}))).i() == ints{17, 39});
}

// =================================================================================================

TEST_CASE("misc kernels: every operator of the family is registered, and the reference evaluator's are left alone") {
    const auto& t = kernels::device_kernels<device::cpu>::table();
    for (const char* op : {"LSTM", "GRU", "RNN", "Resize", "Upsample", "Pad", "DepthToSpace", "SpaceToDepth", "ArgMax", "ArgMin", "TopK", "CumSum",
                           "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "OneHot", "GatherND", "ScatterND",
                           "ScatterElements", "Scatter", "Compress", "NonZero", "ReverseSequence", "EyeLike", "Einsum", "NonMaxSuppression"}) {
        CAPTURE(op);
        CHECK(t.knows("", op));
    }
    // a dtype the family does not compute declines (nullptr), so that the table can report the missing kernel
    graph g("t");
    auto* x = g.add_input("x", value_type::tensor_of(dtype::float16, shape{1, 2, 2}));
    auto* n = g.add_node("CumSum", {x, g.add_initializer("a", tensor::from<std::int64_t>({}, ints{0}))}, 1, {}, "c");
    kernels::prepare_args a;
    a.n = n;
    a.inputs = {x->type(), value_type::tensor_of(dtype::int64, shape{})};
    a.constants = {nullptr, nullptr};
    a.outputs = {x->type()};
    CHECK_FALSE(t.make(a));
}
