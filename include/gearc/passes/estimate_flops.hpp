// estimate_flops(): how much arithmetic a static (gear) graph does, in total and by operator.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/graph.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace passes {

/// What estimate_flops found. Counts are doubles: exact integers while below 2^53.
struct flops_estimate {
    double total = 0;                                  ///< FLOPs of the whole graph
    std::map<std::string, double, std::less<>> by_op;  ///< per op type (every op type of the graph, 0 included)
    std::size_t nodes = 0;                             ///< nodes visited
    std::vector<std::string> unknown_ops;              ///< op types counted as 0 for want of a formula (distinct, sorted)
};

namespace detail::flops {

/// What a formula sees of one node: attributes, and the static sizes of the values it asks for. Asking for
/// a value whose shape is not static is GC4004 naming the node, so only the shapes a formula needs must be
/// static (data movement needs none).
template <class Traits>
class op_view {
public:
    using value_t = basic_value<Traits>;
    using string_type = typename Traits::string_type;
    using ints_type = typename Traits::template vector_type<std::int64_t>;

    explicit op_view(const basic_node<Traits>& n) : n_(n) {}

    [[nodiscard]] const basic_node<Traits>& node() const noexcept { return n_; }
    /// Whether optional input i is given (present and not the empty name).
    [[nodiscard]] bool has_input(std::size_t i) const noexcept { return given(n_.input(i)); }
    [[nodiscard]] std::size_t given_inputs() const noexcept {
        std::size_t k = 0;
        for (auto* v : n_.inputs()) k += given(v) ? 1 : 0;
        return k;
    }
    [[nodiscard]] std::vector<std::int64_t> input(std::size_t i) const { return sizes(n_.input(i), "input", i); }
    [[nodiscard]] std::vector<std::int64_t> output(std::size_t i) const { return sizes(n_.output(i), "output", i); }
    [[nodiscard]] double input_numel(std::size_t i) const { return numel(input(i)); }
    [[nodiscard]] double output_numel(std::size_t i) const { return numel(output(i)); }

    [[nodiscard]] std::int64_t int_or(std::string_view name, std::int64_t fallback) const {
        return n_.template attr_or<std::int64_t>(name, fallback);
    }
    [[nodiscard]] std::string string_or(std::string_view name, std::string_view fallback) const {
        return std::string(n_.template attr_or<string_type>(name, string_type(fallback)));
    }
    [[nodiscard]] std::vector<std::int64_t> ints_or(std::string_view name) const {
        const auto v = n_.template attr_or<ints_type>(name, ints_type{});
        return std::vector<std::int64_t>(v.begin(), v.end());
    }

    /// The product of sizes[from, to) as a double (no int64 overflow on large graphs).
    [[nodiscard]] static double product(const std::vector<std::int64_t>& sizes, std::size_t from = 0,
                                        std::size_t to = std::size_t(-1)) {
        double p = 1;
        for (std::size_t i = from; i < sizes.size() && i < to; ++i) p *= static_cast<double>(sizes[i]);
        return p;
    }
    [[nodiscard]] static double numel(const std::vector<std::int64_t>& sizes) { return product(sizes); }

private:
    static bool given(const value_t* v) noexcept { return v && !v->name().empty(); }

    std::vector<std::int64_t> sizes(const value_t* v, const char* role, std::size_t i) const {
        const std::string which = std::string(role) + " " + std::to_string(i);
        if (!given(v))
            throw graph_error(errc::graph_invariant,
                              "estimate_flops: " + n_.describe() + " has no " + which + ", which its FLOP count needs");
        const auto& t = v->type();
        if (!t.has_shape() || !t.dims->is_static())
            throw compile_error(errc::not_static,
                                "estimate_flops: " + n_.describe() + " needs the static shape of its " + which + " '" +
                                    std::string(v->name()) + "', which is " + t.to_string(),
                                "Estimate the FLOPs of a gear graph (compile() makes one per gear, every shape static), or "
                                "bind the graph's symbols and run infer_shapes first.");
        return t.dims->sizes();
    }

    const basic_node<Traits>& n_;
};

template <class Traits>
using formula = double (*)(const op_view<Traits>&);

// ---- formulas -------------------------------------------------------------------------------------

/// Data movement and data generation: no arithmetic.
template <class Traits>
double none(const op_view<Traits>&) {
    return 0;
}

/// `PerElement` FLOPs for each element of output 0 (elementwise ops, softmax, normalisations).
template <class Traits, int PerElement>
double per_output(const op_view<Traits>& v) {
    return PerElement * v.output_numel(0);
}

/// One FLOP per element of input 0 (reductions, global pooling, ArgMax, CumSum, NonZero).
template <class Traits>
double per_input(const op_view<Traits>& v) {
    return v.input_numel(0);
}

/// 1 per output element when a fused node applies an activation (its `activation` attribute).
template <class Traits>
double activation_of(const op_view<Traits>& v, double out) {
    return v.string_or("activation", "").empty() ? 0 : out;
}

/// Conv and ai.gearc FusedConv: W [M, C/group, k...], Y [N, M, out...]:
/// 2 * (N*M*prod(out)) * ((C/group)*prod(k)), + 1 per output element for the bias, + 1 for the activation.
template <class Traits>
double conv(const op_view<Traits>& v) {
    const auto w = v.input(1);
    const double out = v.output_numel(0);
    return 2 * out * op_view<Traits>::product(w, 1) + (v.has_input(2) ? out : 0) + activation_of(v, out);
}

/// ConvTranspose: X [N, C, in...], W [C, M/group, k...]: every input element is scattered through
/// (M/group)*prod(k) weights: 2 * (N*C*prod(in)) * ((M/group)*prod(k)), + 1 per output element for the bias.
template <class Traits>
double conv_transpose(const op_view<Traits>& v) {
    const auto w = v.input(1);
    const double bias = v.has_input(2) ? v.output_numel(0) : 0;
    return 2 * v.input_numel(0) * op_view<Traits>::product(w, 1) + bias;
}

/// MatMul and ai.gearc FusedMatMul: Y holds batch*M*N elements (batch dims broadcast, 1-D operands
/// promoted), each a K-long dot product: 2 * numel(Y) * K, + bias and activation per output element.
template <class Traits>
double matmul(const op_view<Traits>& v) {
    const auto a = v.input(0);
    const double out = v.output_numel(0);
    const double k = a.empty() ? 0 : static_cast<double>(a.back());
    return 2 * out * k + (v.has_input(2) ? out : 0) + activation_of(v, out);
}

/// Gemm and ai.gearc FusedGemm: 2*M*N*K, + M*N for C, + M*N for the activation.
template <class Traits>
double gemm(const op_view<Traits>& v) {
    const auto a = v.input(0);
    const double out = v.output_numel(0);
    const bool ta = v.int_or("transA", 0) != 0;
    const double k = a.size() == 2 ? static_cast<double>(a[ta ? 0 : 1]) : 0;
    return 2 * out * k + (v.has_input(2) ? out : 0) + activation_of(v, out);
}

/// MaxPool, AveragePool, LpPool: each output element visits prod(kernel_shape) inputs.
template <class Traits>
double pool(const op_view<Traits>& v) {
    return v.output_numel(0) * op_view<Traits>::product(v.ints_or("kernel_shape"));
}

/// Sum, Max, Min: (inputs - 1) per output element.
template <class Traits>
double variadic(const op_view<Traits>& v) {
    const std::size_t n = v.given_inputs();
    return n < 2 ? 0 : static_cast<double>(n - 1) * v.output_numel(0);
}

/// Mean: (inputs - 1) additions and one scaling per output element (a single input is a copy).
template <class Traits>
double mean(const op_view<Traits>& v) {
    const std::size_t n = v.given_inputs();
    return n < 2 ? 0 : static_cast<double>(n) * v.output_numel(0);
}

/// LayerNormalization: mean, x - mean, square, variance, normalise (5), scale (1), bias (1 when given).
template <class Traits>
double layer_norm(const op_view<Traits>& v) {
    return (v.has_input(2) ? 7 : 6) * v.output_numel(0);
}

/// Gelu: 5 per element, what x*0.5*(1+erf(x/sqrt(2))) costs as separate ops (so fusing it changes
/// nothing); 8 for approximate="tanh".
template <class Traits>
double gelu(const op_view<Traits>& v) {
    return (v.string_or("approximate", "none") == "tanh" ? 8 : 5) * v.output_numel(0);
}

/// Resize, Upsample: per output element, nearest 1, (bi/tri)linear 2^k, cubic 4^k, k the number of
/// axes whose size changes.
template <class Traits>
double resize(const op_view<Traits>& v) {
    const auto x = v.input(0), y = v.output(0);
    int k = 0;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) k += x[i] != y[i] ? 1 : 0;
    const std::string mode = v.string_or("mode", "nearest");
    const double base = mode == "linear" || mode == "bilinear" ? 2 : mode == "cubic" ? 4 : 1;
    return op_view<Traits>::numel(y) * std::pow(base, k);
}

/// RNN (1 gate), GRU (3), LSTM (4). Per direction, time step, batch row and hidden unit: the gate GEMMs,
/// Gates * 2 * (input + hidden) (W*x and R*h as one multiply-add each), plus the elementwise work:
/// RNN 1 activation (+2 bias adds); GRU 3 activations, the reset product, h = (1-z)*n + z*h: 8 (+6 bias);
/// LSTM 5 activations, c = f*c + i*g, h = o*tanh(c): 9 (+8 bias, +6 peepholes). sequence_lens is ignored
/// (every sequence counted at full length).
template <class Traits, int Gates>
double recurrent(const op_view<Traits>& v) {
    const auto x = v.input(0);
    if (x.size() != 3) return 0;
    const bool batch_first = v.int_or("layout", 0) == 1;
    const double seq = static_cast<double>(x[batch_first ? 1 : 0]);
    const double batch = static_cast<double>(x[batch_first ? 0 : 1]);
    const double input_size = static_cast<double>(x[2]);
    double hidden = static_cast<double>(v.int_or("hidden_size", 0));
    if (hidden <= 0) {
        const auto r = v.input(2);  // [dirs, Gates*hidden, hidden]
        hidden = r.size() == 3 ? static_cast<double>(r[2]) : 0;
    }
    const double dirs = v.string_or("direction", "forward") == "bidirectional" ? 2 : 1;
    const bool bias = v.has_input(3);
    double elementwise = 0;
    if constexpr (Gates == 1) elementwise = 1 + (bias ? 2 : 0);
    else if constexpr (Gates == 3) elementwise = 8 + (bias ? 6 : 0);
    else elementwise = 9 + (bias ? 8 : 0) + (v.has_input(7) ? 6 : 0);
    const double per_unit = Gates * 2 * (input_size + hidden) + elementwise;
    return dirs * seq * batch * hidden * per_unit;
}

/// Einsum, evaluated as one loop nest over every label: per point, (operands - 1) multiplications and,
/// when a label (or a "..." dim) is summed away, one addition. Two operands "ij,jk->ik": 2*I*J*K; one
/// operand: 0 for a transpose, its elements for a reduction.
template <class Traits>
double einsum(const op_view<Traits>& v) {
    std::string eq;
    for (char ch : v.string_or("equation", "")) {
        if (ch != ' ' && ch != '\t') eq += ch;
    }
    const auto arrow = eq.find("->");
    const std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
    std::vector<std::string> terms(1);
    for (char ch : lhs) {
        if (ch == ',') terms.emplace_back();
        else terms.back() += ch;
    }
    std::map<char, std::int64_t> label_size;
    std::map<char, int> label_count;
    std::vector<std::int64_t> ellipsis;  // the broadcast "..." dims, right-aligned
    bool any_ellipsis = false;
    for (std::size_t i = 0; i < terms.size() && i < v.node().num_inputs(); ++i) {
        const auto s = v.input(i);
        const auto dots = terms[i].find("...");
        std::string labels = terms[i];
        if (dots != std::string::npos) labels.erase(dots, 3);
        const std::size_t ell_rank = s.size() > labels.size() ? s.size() - labels.size() : 0;
        for (std::size_t k = 0; k < labels.size(); ++k) {
            const std::size_t at = dots != std::string::npos && k >= dots ? k + ell_rank : k;
            if (at >= s.size()) break;
            auto& size = label_size[labels[k]];
            size = std::max(size, s[at]);
            ++label_count[labels[k]];
        }
        if (dots != std::string::npos) {
            any_ellipsis = true;
            if (ellipsis.size() < ell_rank) ellipsis.insert(ellipsis.begin(), ell_rank - ellipsis.size(), 1);
            for (std::size_t k = 0; k < ell_rank; ++k) {
                auto& e = ellipsis[ellipsis.size() - ell_rank + k];
                e = std::max(e, s[dots + k]);
            }
        }
    }
    std::string out;
    bool ellipsis_kept = any_ellipsis;
    if (arrow != std::string::npos) {
        out = eq.substr(arrow + 2);
        ellipsis_kept = any_ellipsis && out.find("...") != std::string::npos;
    } else {
        for (const auto& [label, count] : label_count)
            if (count == 1) out += label;
    }
    double points = op_view<Traits>::product(ellipsis);
    bool summed = !ellipsis_kept && points > 1;
    for (const auto& [label, size] : label_size) {
        points *= static_cast<double>(size);
        if (out.find(label) == std::string::npos) summed = true;
    }
    const double operands = static_cast<double>(terms.size());
    return points * (operands - 1 + (summed ? 1 : 0));
}

/// TopK: a heap of K per row, ceil(log2 K) comparisons per input element (at least 1).
template <class Traits>
double topk(const op_view<Traits>& v) {
    const auto x = v.input(0), y = v.output(0);
    const auto axis = v.int_or("axis", -1);
    const auto rank = static_cast<std::int64_t>(y.size());
    const std::int64_t at = axis < 0 ? axis + rank : axis;
    const double k = at >= 0 && at < rank ? static_cast<double>(y[static_cast<std::size_t>(at)]) : 1;
    return op_view<Traits>::numel(x) * std::max(1.0, std::ceil(std::log2(std::max(k, 1.0))));
}

/// NonMaxSuppression: boxes [B, S, 4], scores [B, C, S]; per batch and class, sorting S scores
/// (S*ceil(log2 S)) and, as an upper bound, an IoU test of about 10 FLOPs for every pair of boxes.
template <class Traits>
double non_max_suppression(const op_view<Traits>& v) {
    const auto scores = v.input(1);
    if (scores.size() != 3) return 0;
    const double b = static_cast<double>(scores[0]), c = static_cast<double>(scores[1]), s = static_cast<double>(scores[2]);
    const double sort = s > 1 ? s * std::ceil(std::log2(s)) : 0;
    return b * c * (sort + 10 * s * (s - 1) / 2);
}

/// ScatterElements, ScatterND: 1 per update when they combine (reduction add/mul/max/min), else a copy.
template <class Traits>
double scatter(const op_view<Traits>& v) {
    return v.string_or("reduction", "none") == "none" ? 0 : v.input_numel(2);
}

/// The formula of every operator gearc compiles, keyed like the shape rules: "Op" for ai.onnx,
/// "domain:Op" otherwise.
template <class Traits>
[[nodiscard]] const std::unordered_map<std::string, formula<Traits>>& formulas() {
    static const std::unordered_map<std::string, formula<Traits>> table = [] {
        std::unordered_map<std::string, formula<Traits>> t;
        // one FLOP per output element: activations, arithmetic, comparisons, logic, selection
        for (const char* op : {"Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Elu", "Selu", "Celu",
                               "Softplus", "Softsign", "Sqrt", "Reciprocal", "Exp", "Log", "Neg", "Abs", "Floor", "Ceil", "Round",
                               "Sign", "Sin", "Cos", "Not", "ThresholdedRelu", "Mish", "IsNaN", "IsInf", "Clip", "PRelu", "Add",
                               "Sub", "Mul", "Div", "Mod", "BitShift", "Pow", "And", "Or", "Xor", "Equal", "Less", "Greater",
                               "LessOrEqual", "GreaterOrEqual", "Where", "Hardmax"})
            t[op] = &per_output<Traits, 1>;
        for (const char* op : {"Sum", "Max", "Min"}) t[op] = &variadic<Traits>;
        t["Mean"] = &mean<Traits>;
        t["Gelu"] = t["ai.gearc:Gelu"] = &gelu<Traits>;
        // softmax family: max, subtract, exp, sum, divide (LogSoftmax: log and subtract instead of divide)
        t["Softmax"] = t["LogSoftmax"] = &per_output<Traits, 5>;
        t["LpNormalization"] = &per_output<Traits, 3>;  // |x| or x^2, sum, divide
        // inference BatchNormalization: (x - mean) / sqrt(var + eps) * scale + B, the per-channel sqrt aside
        t["BatchNormalization"] = &per_output<Traits, 4>;
        t["InstanceNormalization"] = &per_output<Traits, 7>;  // statistics (5), scale, bias
        t["LayerNormalization"] = t["ai.gearc:LayerNormalization"] = &layer_norm<Traits>;
        t["Conv"] = t["ai.gearc:FusedConv"] = &conv<Traits>;
        t["ConvTranspose"] = &conv_transpose<Traits>;
        t["MatMul"] = t["ai.gearc:FusedMatMul"] = &matmul<Traits>;
        t["Gemm"] = t["ai.gearc:FusedGemm"] = &gemm<Traits>;
        for (const char* op : {"MaxPool", "AveragePool", "LpPool"}) t[op] = &pool<Traits>;
        for (const char* op : {"GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
                               "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin",
                               "CumSum", "NonZero"})
            t[op] = &per_input<Traits>;
        t["Resize"] = t["Upsample"] = &resize<Traits>;
        t["RNN"] = &recurrent<Traits, 1>;
        t["GRU"] = &recurrent<Traits, 3>;
        t["LSTM"] = &recurrent<Traits, 4>;
        t["Einsum"] = &einsum<Traits>;
        t["TopK"] = &topk<Traits>;
        t["NonMaxSuppression"] = &non_max_suppression<Traits>;
        t["ScatterElements"] = t["ScatterND"] = &scatter<Traits>;
        // data movement, shapes, casts, constants and generated data: deliberately 0
        for (const char* op : {"Identity", "Dropout", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Split",
                               "Slice", "Gather", "GatherElements", "GatherND", "Scatter", "Pad", "Expand", "Tile", "DepthToSpace",
                               "SpaceToDepth", "Shape", "Size", "Cast", "CastLike", "Constant", "ConstantOfShape", "Range",
                               "OneHot", "Trilu", "ReverseSequence", "EyeLike", "Compress"})
            t[op] = &none<Traits>;
        return t;
    }();
    return table;
}

[[nodiscard]] inline bool is_onnx_domain(std::string_view d) noexcept { return d.empty() || d == "ai.onnx"; }

/// The formula table's key: "Op" for ai.onnx, "domain:Op" otherwise.
[[nodiscard]] inline std::string formula_key(std::string_view domain, std::string_view op) {
    return is_onnx_domain(domain) ? std::string(op) : std::string(domain) + ":" + std::string(op);
}

}  // namespace detail::flops

/// Whether estimate_flops has a formula (possibly a deliberate 0) for the operator.
template <class Traits = default_ir_traits>
[[nodiscard]] bool has_flops_formula(std::string_view domain, std::string_view op) {
    return detail::flops::formulas<Traits>().count(detail::flops::formula_key(domain, op)) != 0;
}

/// Estimates the arithmetic of a static graph, such as one gear of compile(). Conventions:
/// - A multiply-add is 2 FLOPs; every other arithmetic operation, comparison or transcendental function 1.
/// - Conv, FusedConv: 2 * N * Cout * prod(out spatial) * (Cin/group) * prod(kernel), + 1 per output element
///   for the bias and + 1 for a fused activation. ConvTranspose: 2 * N * Cin * prod(in spatial) *
///   (Cout/group) * prod(kernel), + the bias.
/// - MatMul, FusedMatMul: 2 * batch * M * N * K (batch dims broadcast), + bias and activation per output
///   element. Gemm, FusedGemm: 2 * M * N * K, + M * N for C, + M * N for the activation (alpha and beta
///   are taken as folded into the kernel).
/// - RNN, GRU, LSTM: per direction and time step the gate GEMMs (1/3/4 gates * 2 * batch * hidden *
///   (input + hidden)) plus the elementwise work of the cell (see detail::flops::recurrent).
/// - MaxPool, AveragePool, LpPool: output elements * prod(kernel). GlobalAveragePool, GlobalMaxPool,
///   Reduce*, ArgMax, ArgMin, CumSum, NonZero: input elements.
/// - Elementwise ops (unary, binary, Where, Clip, comparisons, logic): output elements; Sum, Max, Min:
///   output elements * (inputs - 1); Mean: output elements * inputs (the sum and one scaling).
///   Gelu: 5 per element (8 for approximate="tanh"), what its unfused expansion costs.
/// - Softmax, LogSoftmax: 5 per element; LpNormalization 3; Hardmax 1; BatchNormalization (inference) 4;
///   InstanceNormalization 7; LayerNormalization 7 (6 without a bias).
/// - Resize, Upsample: output elements * 1 (nearest), 2^k (linear), 4^k (cubic), k = axes whose size changes.
/// - Einsum: per point of the loop nest over all labels, (operands - 1) multiplications + 1 addition when
///   something is summed. TopK: input elements * ceil(log2 K). NonMaxSuppression: an upper bound (every pair
///   of boxes tested). ScatterElements/ScatterND with a reduction: 1 per update.
/// - Data movement and generation (Reshape, Transpose, Concat, Slice, Gather, Split, Squeeze, Unsqueeze,
///   Flatten, Pad, Expand, Tile, Cast, Identity, Dropout, Shape, Size, Constant, Range, ...): 0.
/// An operator without a formula (another domain, a control-flow op) counts 0 and is listed in
/// `unknown_ops`. Op types are named "Op" (ai.onnx, and the ai.gearc ops gearc's fusions make) or "domain:Op"
/// (any other op). Only the shapes a formula reads must be static: one that is not is GC4004 naming the
/// node and the value.
template <class Traits>
[[nodiscard]] flops_estimate estimate_flops(const basic_graph<Traits>& g) {
    namespace df = detail::flops;
    const auto& table = df::formulas<Traits>();
    flops_estimate out;
    std::set<std::string, std::less<>> unknown;
    for (const auto& n : g.nodes()) {
        ++out.nodes;
        const std::string key = df::formula_key(n.domain(), n.op_type());
        auto it = table.find(key);
        if (it == table.end()) {
            out.by_op.try_emplace(key, 0.0);
            unknown.insert(key);
            continue;
        }
        // gearc's own ops go by their op type: FusedConv and the like, and LayerNormalization and Gelu, which
        // compute what ai.onnx's ops of those names do
        auto& slot = out.by_op[n.domain() == "ai.gearc" ? std::string(n.op_type()) : key];
        const double f = it->second(df::op_view<Traits>(n));
        slot += f;
        out.total += f;
    }
    out.unknown_ops.assign(unknown.begin(), unknown.end());
    return out;
}

}  // namespace passes

GEARC_END_NAMESPACE
