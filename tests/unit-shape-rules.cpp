// Tests of the shape rules for elementwise, nn, reduction and sequence operators (static, symbolic, range and unknown dims).
#include <doctest/doctest.h>

#include <gearc/gearc.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace gearc;

namespace {

using ints = std::vector<std::int64_t>;
using attrs = graph::attribute_list;

/// A small graph under construction: inputs, constants, one or more nodes, then shape inference.
struct net {
    graph g{"t"};

    value* in(const std::string& name, shape s, dtype t = dtype::float32) {
        return g.add_input(name, value_type::tensor_of(t, std::move(s)));
    }
    value* in_unranked(const std::string& name, dtype t = dtype::float32) { return g.add_input(name, value_type::tensor_of(t)); }
    value* i64(const std::string& name, const ints& v) {
        return g.add_initializer(name, tensor::from<std::int64_t>({static_cast<std::int64_t>(v.size())}, v));
    }
    value* i64_scalar(const std::string& name, std::int64_t v) { return g.add_initializer(name, tensor::from<std::int64_t>({}, ints{v})); }
    value* f32(const std::string& name, const std::vector<float>& v) {
        return g.add_initializer(name, tensor::from<float>({static_cast<std::int64_t>(v.size())}, v));
    }
    value* none() { return nullptr; }
    node* op(const std::string& type, std::vector<value*> ins, std::size_t outs = 1, attrs a = {}, const std::string& name = "n") {
        auto* n = g.add_node(type, std::move(ins), outs, std::move(a), name);
        for (auto* o : n->outputs()) g.add_output(o);
        return n;
    }
    void infer(std::int64_t opset = 17, symbol_bindings b = {}) {
        pass_context ctx;
        ctx.opset = opset;
        ctx.bindings = std::move(b);
        passes::infer_shapes{}.run(g, ctx);
    }
};

/// "float32[1,64,112,112]": the inferred type of output i.
std::string out(const node* n, std::size_t i = 0) { return n->output(i)->type().to_string(); }

dim sym(const char* s) { return dim::symbol(s); }

/// The message of the GC4002 error that `f` throws ("(no error)" when none).
template <class F>
std::string shape_error(F&& f) {
    try {
        f();
    } catch (const compile_error& e) {
        CHECK(e.code() == errc::shape_inference);
        CHECK_FALSE(e.solution().empty());
        return e.message();
    }
    return "(no error)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("shape rules: every operator of the four families is registered") {
    const auto& rules = passes::default_shape_rules();
    for (const char* op :
         {"Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Elu", "Selu", "Celu", "Softplus",
          "Softsign", "Sqrt", "Reciprocal", "Exp", "Log", "Neg", "Abs", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Not", "IsNaN",
          "IsInf", "Identity", "Dropout", "ThresholdedRelu", "Mish", "Gelu", "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "And",
          "Or", "Xor", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Where", "Min", "Max", "Sum", "Mean",
          // nn
          "Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
          "InstanceNormalization", "LayerNormalization", "LpNormalization", "MatMul", "Gemm", "Softmax", "LogSoftmax", "Hardmax",
          "DepthToSpace", "SpaceToDepth", "Pad", "Resize", "Upsample",
          // reduce
          "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
          "ReduceSumSquare", "ArgMax", "ArgMin",
          // sequence
          "LSTM", "GRU", "RNN", "Einsum", "TopK", "CumSum", "NonMaxSuppression", "NonZero"}) {
        CAPTURE(op);
        CHECK(static_cast<bool>(rules.find_type("", op)));
    }
}

// ---- elementwise ---------------------------------------------------------------------------------

TEST_CASE("elementwise: unary operators keep the shape; predicates give bool") {
    net t;
    auto* x = t.in("x", {sym("N"), 3, dim::range(8, 16), dim()});
    auto* relu = t.op("Relu", {x}, 1, {}, "relu");
    auto* isnan = t.op("IsNaN", {x}, 1, {}, "isnan");
    auto* b = t.in("b", {2, 3}, dtype::boolean);
    auto* nt = t.op("Not", {b}, 1, {}, "not");
    auto* u = t.in_unranked("u", dtype::float16);
    auto* gelu = t.op("Gelu", {u}, 1, {}, "gelu");
    auto* seq = t.g.add_input("seq", value_type::sequence_of(value_type::tensor_of(dtype::int64, shape{3})));
    auto* id = t.op("Identity", {seq}, 1, {}, "id");
    t.infer();
    CHECK(out(relu) == "float32[N,3,8~16,?]");
    CHECK(out(isnan) == "bool[N,3,8~16,?]");
    CHECK(out(nt) == "bool[2,3]");
    CHECK(out(gelu) == "float16[*]");
    CHECK(out(id) == "seq<int64[3]>");  // Identity passes any type through
}

TEST_CASE("elementwise: broadcasting binary operators") {
    net t;
    auto* a = t.in("a", {2, 3, 4});
    auto* b = t.in("b", {3, 1});
    auto* add = t.op("Add", {a, b}, 1, {}, "add");
    auto* c = t.in("c", {sym("N"), 1, 5});
    auto* d = t.in("d", {1, 7, 1});
    auto* mul = t.op("Mul", {c, d}, 1, {}, "mul");
    auto* e = t.in("e", {sym("N")});
    auto* f = t.in("f", {sym("M")});
    auto* sub = t.op("Sub", {e, f}, 1, {}, "sub");
    auto* eq = t.op("Equal", {t.in("g", {4, 1}, dtype::int64), t.in("h", {1, 5}, dtype::int64)}, 1, {}, "eq");
    auto* pw = t.op("Pow", {t.in("base", {3}), t.in("exp", {}, dtype::int64)}, 1, {}, "pow");
    auto* s = t.op("Div", {a, t.in_unranked("z")}, 1, {}, "div");
    t.infer();
    CHECK(out(add) == "float32[2,3,4]");
    CHECK(out(mul) == "float32[N,7,5]");
    CHECK(out(sub) == "float32[?]");  // N and M must agree (or one is 1) at run time
    CHECK(out(eq) == "bool[4,5]");
    CHECK(out(pw) == "float32[3]");  // the base's type
    CHECK(out(s) == "float32[*]");
}

TEST_CASE("elementwise: a broadcast error is GC4002 naming the node and both shapes") {
    net t;
    t.op("Add", {t.in("a", {2, 3}), t.in("b", {4})}, 1, {}, "add");
    const auto msg = shape_error([&] { t.infer(); });
    CHECK(contains(msg, "Add 'add'"));
    CHECK(contains(msg, "cannot broadcast [2,3] with [4]"));

    net u;
    u.op("Mul", {u.in("a", {2}), u.in("b", {2}, dtype::int64)}, 1, {}, "mul");
    CHECK(contains(shape_error([&] { u.infer(); }), "input 0 is float32 but input 1 is int64"));
}

TEST_CASE("elementwise: Where, the variadic operators, PRelu, Clip, Dropout") {
    net t;
    auto* w = t.op("Where", {t.in("c", {2, 1, 1}, dtype::boolean), t.in("x", {1, 3, 1}, dtype::int64), t.in("y", {1, 1, 4}, dtype::int64)},
                   1, {}, "where");
    auto* sum = t.op("Sum", {t.in("s1", {3, 1}), t.in("s2", {1, 4}), t.in("s3", {4})}, 1, {}, "sum");
    auto* mx = t.op("Max", {t.in("m1", {sym("N"), 5})}, 1, {}, "max");
    auto* x = t.in("px", {sym("N"), 3, 8, 8});
    auto* prelu = t.op("PRelu", {x, t.in("slope", {3, 1, 1})}, 1, {}, "prelu");
    auto* clip = t.op("Clip", {x, t.in("lo", {}), t.none()}, 1, {}, "clip");
    auto* drop = t.op("Dropout", {x}, 2, {}, "drop");
    t.infer(12);
    CHECK(out(w) == "int64[2,3,4]");
    CHECK(out(sum) == "float32[3,4]");
    CHECK(out(mx) == "float32[N,5]");
    CHECK(out(prelu) == "float32[N,3,8,8]");
    CHECK(out(clip) == "float32[N,3,8,8]");
    CHECK(out(drop, 0) == "float32[N,3,8,8]");
    CHECK(out(drop, 1) == "bool[N,3,8,8]");

    net old;  // Dropout-7: the mask has the data's type
    auto* d7 = old.op("Dropout", {old.in("x", {2, 5})}, 2, {{"ratio", 0.5f}}, "drop");
    auto* c10 = old.op("Clip", {old.in("y", {4})}, 1, {{"min", 0.0f}, {"max", 6.0f}}, "clip");
    old.infer(9);
    CHECK(out(d7, 1) == "float32[2,5]");
    CHECK(out(c10) == "float32[4]");

    net bad;
    bad.op("PRelu", {bad.in("x", {1, 3, 8, 8}), bad.in("slope", {4, 1, 1})}, 1, {}, "prelu");
    CHECK(contains(shape_error([&] { bad.infer(); }), "slope [4,1,1] does not broadcast to [1,3,8,8]"));
    net bad_clip;
    bad_clip.op("Clip", {bad_clip.in("x", {4}), bad_clip.in("lo", {2})}, 1, {}, "clip");
    CHECK(contains(shape_error([&] { bad_clip.infer(); }), "min must be a scalar, got shape [2]"));
    net bad_where;
    bad_where.op("Where", {bad_where.in("c", {3}, dtype::boolean), bad_where.in("x", {2, 3}), bad_where.in("y", {5})}, 1, {}, "where");
    CHECK(contains(shape_error([&] { bad_where.infer(); }), "cannot broadcast [2,3] with [5]"));
}

// ---- convolution and pooling ---------------------------------------------------------------------

TEST_CASE("Conv: static shapes from the ONNX formula") {
    net t;
    // ResNet stem: (224 + 3 + 3 - 7) / 2 + 1 = 112
    auto* stem = t.op("Conv", {t.in("x", {1, 3, 224, 224}), t.in("w", {64, 3, 7, 7}), t.in("b", {64})}, 1,
                      {{"strides", ints{2, 2}}, {"pads", ints{3, 3, 3, 3}}, {"kernel_shape", ints{7, 7}}}, "stem");
    // dilation 2 makes a 3x3 kernel span 5: 10 - 5 + 1 = 6; group 2 over 8 channels with 4 per group
    auto* dil = t.op("Conv", {t.in("x2", {1, 8, 10, 10}), t.in("w2", {16, 4, 3, 3})}, 1, {{"dilations", ints{2, 2}}, {"group", 2}}, "dil");
    // VALID: ceil((7 - 3 + 1) / 2) = 3; SAME_UPPER: ceil(5 / 2) = 3
    auto* valid =
        t.op("Conv", {t.in("x3", {1, 1, 7, 7}), t.in("w3", {1, 1, 3, 3})}, 1, {{"strides", ints{2, 2}}, {"auto_pad", "VALID"}}, "valid");
    auto* same = t.op("Conv", {t.in("x4", {1, 1, 5, 5}), t.in("w4", {1, 1, 3, 3})}, 1,
                      {{"strides", ints{2, 2}}, {"auto_pad", "SAME_UPPER"}}, "same");
    // asymmetric pads on a 1-D conv: (20 + 1 + 0 - 4) / 3 + 1 = 6
    auto* c1 = t.op("Conv", {t.in("x5", {2, 4, 20}), t.in("w5", {6, 4, 4})}, 1, {{"strides", ints{3}}, {"pads", ints{1, 0}}}, "c1d");
    t.infer();
    CHECK(out(stem) == "float32[1,64,112,112]");
    CHECK(out(dil) == "float32[1,16,6,6]");
    CHECK(out(valid) == "float32[1,1,3,3]");
    CHECK(out(same) == "float32[1,1,3,3]");
    CHECK(out(c1) == "float32[2,6,6]");
}

TEST_CASE("Conv: symbolic dims give floor expressions that bind to the static result") {
    net t;
    auto* conv = t.op("Conv", {t.in("x", {sym("N"), 3, sym("H"), sym("W")}), t.in("w", {16, 3, 3, 3})}, 1,
                      {{"strides", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}}, "conv");
    auto* same =
        t.op("Conv", {conv->output(0), t.in("w2", {16, 16, 3, 3})}, 1, {{"strides", ints{2, 2}}, {"auto_pad", "SAME_UPPER"}}, "same");
    auto* keep = t.op("Conv", {t.in("seq", {sym("N"), 16, sym("L")}), t.in("w3", {32, 16, 5})}, 1, {{"pads", ints{2, 2}}}, "keep");
    t.infer();
    CHECK(out(conv) == "float32[N,16,floor((H-1)/2)+1,floor((W-1)/2)+1]");
    CHECK(out(keep) == "float32[N,32,L]");  // "same" padding by hand keeps the length
    const auto h = (*conv->output(0)->type().dims)[2];
    CHECK(bind_dim(h, {{"H", 224}}) == dim(112));
    CHECK(bind_dim(h, {{"H", 225}}) == dim(113));  // (225 + 2 - 3) / 2 + 1
    const auto h2 = (*same->output(0)->type().dims)[2];
    CHECK(bind_dim(h2, {{"H", 224}}) == dim(56));  // ceil(112 / 2)
    CHECK(bind_dim(h2, {{"H", 226}}) == dim(57));  // ceil(113 / 2)

    // the same graph with a gear's bindings is fully static
    net s;
    auto* c2 = s.op("Conv", {s.in("x", {sym("N"), 3, sym("H"), sym("W")}), s.in("w", {16, 3, 3, 3})}, 1,
                    {{"strides", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}}, "conv");
    s.infer(17, {{"N", 4}, {"H", 224}, {"W", 160}});
    CHECK(out(c2) == "float32[4,16,112,80]");
}

TEST_CASE("Conv: ranges give intervals, unknown dims stay unknown") {
    net t;
    auto* r = t.op("Conv", {t.in("x", {1, 3, dim::range(32, 64), dim::range(32, 64)}), t.in("w", {8, 3, 3, 3})}, 1,
                   {{"strides", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}}, "conv");
    auto* u = t.op("Conv", {t.in("y", {dim(), 3, dim(), 10}), t.in("w2", {8, 3, 3, 3})}, 1, {}, "conv2");
    auto* nw = t.op("Conv", {t.in_unranked("z"), t.in("w3", {8, 3, 3, 3})}, 1, {}, "conv3");
    t.infer();
    CHECK(out(r) == "float32[1,8,16~32,16~32]");  // (32-1)/2+1 = 16 .. (64-1)/2+1 = 32
    CHECK(out(u) == "float32[?,8,?,8]");
    CHECK(out(nw) == "float32[?,8,?,?]");
}

TEST_CASE("Conv: inconsistent inputs are GC4002 with the reason") {
    auto err = [](shape x, shape w, attrs a) {
        net t;
        t.op("Conv", {t.in("x", std::move(x)), t.in("w", std::move(w))}, 1, std::move(a), "conv");
        return shape_error([&] { t.infer(); });
    };
    const auto ch = err({1, 3, 8, 8}, {8, 4, 3, 3}, {});
    CHECK(contains(ch, "Conv 'conv'"));
    CHECK(contains(ch, "C=3 but W expects 4*group"));
    CHECK(contains(err({1, 8, 8, 8}, {6, 2, 3, 3}, {{"group", 4}}), "M=6 output channels, not a multiple of group 4"));
    CHECK(contains(err({1, 3, 8}, {8, 3, 3, 3}, {}), "W [8,3,3,3] must have the rank of X [1,3,8]"));
    CHECK(contains(err({1, 3, 8, 8}, {8, 3, 3, 3}, {{"strides", ints{2}}}), "strides has 1 value(s) but the input has 2 spatial dim(s)"));
    CHECK(contains(err({1, 3, 8, 8}, {8, 3, 3, 3}, {{"pads", ints{1, 1}}}), "pads has 2 value(s), expected 2*2"));
    CHECK(contains(err({1, 3, 2, 8}, {8, 3, 3, 3}, {}), "does not fit the input dim 2"));
    CHECK(contains(err({1, 3, 8, 8}, {8, 3, 3, 3}, {{"kernel_shape", ints{5, 5}}}), "kernel_shape [5,5] does not match"));
    CHECK(contains(err({1, 3, 8, 8}, {8, 3, 3, 3}, {{"auto_pad", "SAME"}}), "auto_pad 'SAME' is not one of"));
    CHECK(contains(err({3, 8}, {8, 3, 3}, {}), "X must have rank >= 3"));
    net b;
    b.op("Conv", {b.in("x", {1, 3, 8, 8}), b.in("w", {8, 3, 3, 3}), b.in("b", {4})}, 1, {}, "conv");
    CHECK(contains(shape_error([&] { b.infer(); }), "bias B must have shape [M] = [8], got [4]"));
}

TEST_CASE("ConvTranspose: strides, pads, output_padding, output_shape, auto_pad, group") {
    net t;
    auto* x = t.in("x", {1, 1, 3, 3});
    auto* w = t.in("w", {1, 2, 3, 3});
    auto* plain = t.op("ConvTranspose", {x, w}, 1, {}, "plain");  // (3-1) + 3 = 5
    // 3*(3-1) + 1 + 3 = 10 and 2*(3-1) + 1 + 3 = 8
    auto* op = t.op("ConvTranspose", {x, w}, 1, {{"strides", ints{3, 2}}, {"output_padding", ints{1, 1}}}, "outpad");
    // pads subtract: 3*(3-1) + 3 - 1 - 2 = 6, 2*(3-1) + 3 - 2 - 0 = 5
    auto* pads = t.op("ConvTranspose", {x, w}, 1, {{"strides", ints{3, 2}}, {"pads", ints{1, 2, 2, 0}}}, "pads");
    auto* shp = t.op("ConvTranspose", {x, w}, 1, {{"strides", ints{3, 2}}, {"output_shape", ints{10, 8}}}, "oshape");
    auto* same = t.op("ConvTranspose", {x, w}, 1, {{"strides", ints{2, 2}}, {"auto_pad", "SAME_UPPER"}}, "same");         // 3*2
    auto* grp = t.op("ConvTranspose", {t.in("x2", {1, 4, 5, 5}), t.in("w2", {4, 3, 3, 3})}, 1, {{"group", 2}}, "group");  // M = 3*2
    // dilation 2: (3-1) + 2*(3-1) + 1 = 7
    auto* dil = t.op("ConvTranspose", {x, w}, 1, {{"dilations", ints{2, 2}}}, "dil");
    // the decoder upsampler: 2*(H-1) + 4 - 1 - 1 = 2*H
    auto* up = t.op("ConvTranspose", {t.in("f", {sym("N"), 64, sym("H"), sym("W")}), t.in("wu", {64, 32, 4, 4})}, 1,
                    {{"strides", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}}, "up");
    t.infer();
    CHECK(out(plain) == "float32[1,2,5,5]");
    CHECK(out(op) == "float32[1,2,10,8]");
    CHECK(out(pads) == "float32[1,2,6,5]");
    CHECK(out(shp) == "float32[1,2,10,8]");
    CHECK(out(same) == "float32[1,2,6,6]");
    CHECK(out(grp) == "float32[1,6,7,7]");
    CHECK(out(dil) == "float32[1,2,7,7]");
    CHECK(out(up) == "float32[N,32,2*H,2*W]");

    net bad;
    bad.op("ConvTranspose", {bad.in("x", {1, 3, 3, 3}), bad.in("w", {2, 2, 3, 3})}, 1, {}, "ct");
    CHECK(contains(shape_error([&] { bad.infer(); }), "channel mismatch: C=3"));
    net bad_op;
    bad_op.op("ConvTranspose", {bad_op.in("x", {1, 1, 3, 3}), bad_op.in("w", {1, 1, 3, 3})}, 1,
              {{"strides", ints{2, 2}}, {"output_padding", ints{2, 2}}}, "ct");
    CHECK(contains(shape_error([&] { bad_op.infer(); }), "output_padding 2 must be smaller than the stride 2"));
}

TEST_CASE("pooling: kernel, strides, pads, dilations, ceil_mode, auto_pad, Indices") {
    net t;
    auto* mp = t.op("MaxPool", {t.in("x", {1, 3, 32, 32})}, 2, {{"kernel_shape", ints{2, 2}}, {"strides", ints{2, 2}}}, "mp");
    // ceil_mode: (4-3)/2 = 0.5 -> 1 window more than floor
    auto* c4f = t.op("MaxPool", {t.in("a", {1, 1, 4, 4})}, 1, {{"kernel_shape", ints{3, 3}}, {"strides", ints{2, 2}}}, "floor4");
    auto* c4c =
        t.op("MaxPool", {t.in("b", {1, 1, 4, 4})}, 1, {{"kernel_shape", ints{3, 3}}, {"strides", ints{2, 2}}, {"ceil_mode", 1}}, "ceil4");
    // ceil_mode with pad 1 on 5: ceil((5+2-2)/2)+1 = 4, but the 4th window would start at 6 >= 5+1 (in the right
    // padding) and is dropped: 3, as PyTorch gives
    auto* c5 = t.op("MaxPool", {t.in("c", {1, 1, 5, 5})}, 1,
                    {{"kernel_shape", ints{2, 2}}, {"strides", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}, {"ceil_mode", 1}}, "ceil5");
    auto* k1 =
        t.op("MaxPool", {t.in("d", {1, 1, 2, 2})}, 1, {{"kernel_shape", ints{1, 1}}, {"strides", ints{2, 2}}, {"ceil_mode", 1}}, "k1");
    auto* dil = t.op("MaxPool", {t.in("e", {1, 1, 10, 10})}, 1, {{"kernel_shape", ints{3, 3}}, {"dilations", ints{2, 2}}}, "dil");
    auto* ap = t.op("AveragePool", {t.in("f", {1, 1, 5, 5})}, 1, {{"kernel_shape", ints{3, 3}}, {"pads", ints{1, 1, 1, 1}}}, "ap");
    auto* same = t.op("AveragePool", {t.in("g", {1, 1, 5, 5})}, 1,
                      {{"kernel_shape", ints{3, 3}}, {"strides", ints{2, 2}}, {"auto_pad", "SAME_UPPER"}}, "same");
    auto* lp = t.op("LpPool", {t.in("h", {1, 2, 9})}, 1, {{"kernel_shape", ints{3}}, {"strides", ints{3}}}, "lp");
    auto* gap = t.op("GlobalAveragePool", {t.in("i", {sym("N"), 512, 7, 7})}, 1, {}, "gap");
    auto* gmp = t.op("GlobalMaxPool", {t.in("j", {2, 8, 5})}, 1, {}, "gmp");
    t.infer();
    CHECK(out(mp, 0) == "float32[1,3,16,16]");
    CHECK(out(mp, 1) == "int64[1,3,16,16]");
    CHECK(out(c4f) == "float32[1,1,1,1]");
    CHECK(out(c4c) == "float32[1,1,2,2]");
    CHECK(out(c5) == "float32[1,1,3,3]");
    CHECK(out(k1) == "float32[1,1,1,1]");
    CHECK(out(dil) == "float32[1,1,6,6]");
    CHECK(out(ap) == "float32[1,1,5,5]");
    CHECK(out(same) == "float32[1,1,3,3]");
    CHECK(out(lp) == "float32[1,2,3]");
    CHECK(out(gap) == "float32[N,512,1,1]");
    CHECK(out(gmp) == "float32[2,8,1]");
}

TEST_CASE("pooling: symbolic and range dims, errors") {
    net t;
    auto* x = t.in("x", {sym("N"), 64, sym("H"), dim::range(10, 20)});
    auto* mp = t.op("MaxPool", {x}, 1, {{"kernel_shape", ints{3, 3}}, {"strides", ints{2, 2}}, {"pads", ints{1, 1, 1, 1}}}, "mp");
    // ceil_mode, no pads, kernel 3 stride 2: the last window always starts inside, so the formula stays exact
    auto* cm = t.op("MaxPool", {x}, 1, {{"kernel_shape", ints{3, 3}}, {"strides", ints{2, 2}}, {"ceil_mode", 1}}, "cm");
    auto* same = t.op("AveragePool", {x}, 1, {{"kernel_shape", ints{3, 3}}, {"strides", ints{2, 2}}, {"auto_pad", "SAME_UPPER"}}, "same");
    t.infer();
    CHECK(out(mp) == "float32[N,64,floor((H-1)/2)+1,5~10]");
    CHECK(out(cm) == "float32[N,64,floor((H-2)/2)+1,5~10]");
    CHECK(out(same) == "float32[N,64,floor((H+1)/2),5~10]");
    const auto h = (*cm->output(0)->type().dims)[2];
    CHECK(bind_dim(h, {{"H", 6}}) == dim(3));  // ceil((6-3)/2)+1
    CHECK(bind_dim(h, {{"H", 7}}) == dim(3));  // ceil((7-3)/2)+1

    net a;
    a.op("MaxPool", {a.in("x", {1, 1, 4, 4})}, 1, {}, "mp");
    CHECK(contains(shape_error([&] { a.infer(); }), "the kernel_shape attribute is required"));
    net b;
    b.op("AveragePool", {b.in("x", {1, 1, 4, 4, 4})}, 1, {{"kernel_shape", ints{2, 2}}}, "ap");
    CHECK(contains(shape_error([&] { b.infer(); }), "kernel_shape [2,2] has 2 value(s) but X [1,1,4,4,4] has 3 spatial dim(s)"));
}

// ---- normalisation, matrix products, softmax, layout ---------------------------------------------

TEST_CASE("normalisation: BatchNormalization, InstanceNormalization, LayerNormalization, LpNormalization") {
    net t;
    auto* x = t.in("x", {sym("N"), 16, sym("H"), sym("W")});
    std::vector<value*> stats;
    for (const char* n : {"scale", "bias", "mean", "var"}) stats.push_back(t.in(n, {16}));
    auto* bn = t.op("BatchNormalization", {x, stats[0], stats[1], stats[2], stats[3]}, 1, {}, "bn");
    auto* train = t.op("BatchNormalization", {x, stats[0], stats[1], stats[2], stats[3]}, 3, {{"training_mode", 1}}, "train");
    auto* in = t.op("InstanceNormalization", {x, stats[0], stats[1]}, 1, {}, "in");
    auto* seq = t.in("seq", {sym("N"), sym("T"), 512});
    auto* ln = t.op("LayerNormalization", {seq, t.in("g", {512}), t.in("b", {512})}, 3, {}, "ln");
    auto* ln1 = t.op("LayerNormalization", {seq, t.in("g2", {sym("T"), 512})}, 3, {{"axis", 1}}, "ln1");
    auto* lpn = t.op("LpNormalization", {seq}, 1, {{"axis", 1}, {"p", 2}}, "lpn");
    t.infer();
    CHECK(out(bn) == "float32[N,16,H,W]");
    CHECK(out(train, 0) == "float32[N,16,H,W]");
    CHECK(out(train, 1) == "float32[16]");
    CHECK(out(train, 2) == "float32[16]");
    CHECK(out(in) == "float32[N,16,H,W]");
    CHECK(out(ln, 0) == "float32[N,T,512]");
    CHECK(out(ln, 1) == "float32[N,T,1]");
    CHECK(out(ln, 2) == "float32[N,T,1]");
    CHECK(out(ln1, 1) == "float32[N,1,1]");
    CHECK(out(lpn) == "float32[N,T,512]");

    net bad;
    bad.op("BatchNormalization", {bad.in("x", {2, 16, 4, 4}), bad.in("s", {8}), bad.in("b", {16}), bad.in("m", {16}), bad.in("v", {16})}, 1,
           {}, "bn");
    CHECK(contains(shape_error([&] { bad.infer(); }), "scale must have shape [C] = [16], got [8]"));
    net bad_ln;
    bad_ln.op("LayerNormalization", {bad_ln.in("x", {2, 5, 8}), bad_ln.in("g", {5})}, 1, {}, "ln");
    CHECK(contains(shape_error([&] { bad_ln.infer(); }), "Scale [5] does not broadcast to [8]"));
}

TEST_CASE("MatMul: NumPy rules for 1-D operands and batch broadcasting") {
    net t;
    auto* tr = t.op("MatMul", {t.in("x", {sym("N"), sym("T"), 64}), t.in("w", {64, 128})}, 1, {}, "proj");
    auto* dot = t.op("MatMul", {t.in("a", {5}), t.in("b", {5})}, 1, {}, "dot");
    auto* mv = t.op("MatMul", {t.in("m", {3, 5}), t.in("v", {5})}, 1, {}, "mv");
    auto* vm = t.op("MatMul", {t.in("v2", {5}), t.in("m2", {5, 7})}, 1, {}, "vm");
    auto* bb = t.op("MatMul", {t.in("p", {2, 1, 3, 4}), t.in("q", {5, 4, 6})}, 1, {}, "batch");
    auto* att = t.op("MatMul", {t.in("qh", {sym("B"), 8, sym("S"), 64}), t.in("kh", {sym("B"), 8, 64, sym("S")})}, 1, {}, "att");
    t.infer();
    CHECK(out(tr) == "float32[N,T,128]");
    CHECK(out(dot) == "float32[]");
    CHECK(out(mv) == "float32[3]");
    CHECK(out(vm) == "float32[7]");
    CHECK(out(bb) == "float32[2,5,3,6]");
    CHECK(out(att) == "float32[B,8,S,S]");

    net bad;
    bad.op("MatMul", {bad.in("a", {2, 5}), bad.in("b", {6, 3})}, 1, {}, "mm");
    const auto msg = shape_error([&] { bad.infer(); });
    CHECK(contains(msg, "MatMul 'mm'"));
    CHECK(contains(msg, "inner dims 5 vs 6"));
    net bad_batch;
    bad_batch.op("MatMul", {bad_batch.in("a", {2, 3, 4}), bad_batch.in("b", {3, 4, 5})}, 1, {}, "mm");
    CHECK(contains(shape_error([&] { bad_batch.infer(); }), "cannot broadcast the batch dims [2] with [3]"));
}

TEST_CASE("Gemm: transA/transB and the broadcast of C") {
    net t;
    auto* g1 = t.op("Gemm", {t.in("a", {sym("N"), 512}), t.in("b", {1000, 512}), t.in("c", {1000})}, 1, {{"transB", 1}}, "fc");
    auto* g2 = t.op("Gemm", {t.in("a2", {5, 3}), t.in("b2", {5, 4}), t.in("c2", {3, 1})}, 1, {{"transA", 1}}, "ta");
    auto* g3 = t.op("Gemm", {t.in("a3", {2, 7}), t.in("b3", {7, 9})}, 1, {}, "noc");
    t.infer();
    CHECK(out(g1) == "float32[N,1000]");
    CHECK(out(g2) == "float32[3,4]");
    CHECK(out(g3) == "float32[2,9]");

    net bad;
    bad.op("Gemm", {bad.in("a", {3, 5}), bad.in("b", {4, 5}), bad.in("c", {3})}, 1, {{"transB", 1}}, "fc");
    CHECK(contains(shape_error([&] { bad.infer(); }), "C [3] does not broadcast to [3,4]"));
    net bad_k;
    bad_k.op("Gemm", {bad_k.in("a", {3, 5}), bad_k.in("b", {4, 5})}, 1, {}, "fc");
    CHECK(contains(shape_error([&] { bad_k.infer(); }), "inner dims 5 vs 4"));
}

TEST_CASE("Softmax family, DepthToSpace, SpaceToDepth") {
    net t;
    auto* sm = t.op("Softmax", {t.in("x", {sym("N"), 10})}, 1, {}, "sm");
    auto* d2s = t.op("DepthToSpace", {t.in("d", {1, 8, 2, 3})}, 1, {{"blocksize", 2}, {"mode", "CRD"}}, "d2s");
    auto* d2s_sym = t.op("DepthToSpace", {t.in("ds", {sym("N"), 64, sym("H"), sym("W")})}, 1, {{"blocksize", 4}}, "d2s_sym");
    auto* s2d = t.op("SpaceToDepth", {t.in("s", {1, 2, 4, 6})}, 1, {{"blocksize", 2}}, "s2d");
    t.infer(11);
    CHECK(out(sm) == "float32[N,10]");
    CHECK(out(d2s) == "float32[1,2,4,6]");
    CHECK(out(d2s_sym) == "float32[N,4,4*H,4*W]");
    CHECK(out(s2d) == "float32[1,8,2,3]");

    net bad;
    bad.op("LogSoftmax", {bad.in("x", {2, 3})}, 1, {{"axis", 2}}, "lsm");
    CHECK(contains(shape_error([&] { bad.infer(); }), "axis 2 is out of range for rank 2"));
    net bad_s2d;
    bad_s2d.op("SpaceToDepth", {bad_s2d.in("x", {1, 2, 5, 6})}, 1, {{"blocksize", 2}}, "s2d");
    CHECK(contains(shape_error([&] { bad_s2d.infer(); }), "H and W must be multiples of blocksize 2"));
    net bad_d2s;
    bad_d2s.op("DepthToSpace", {bad_d2s.in("x", {1, 6, 5, 6})}, 1, {{"blocksize", 2}}, "d2s");
    CHECK(contains(shape_error([&] { bad_d2s.infer(); }), "C=6 is not a multiple of blocksize^2 = 4"));
}

// ---- Pad, Resize, Upsample -----------------------------------------------------------------------

TEST_CASE("Pad: pads attribute (opset < 11), pads input, negative pads, axes, run-time pads") {
    net v2;
    auto* p2 = v2.op("Pad", {v2.in("x", {1, 3, 5, 6})}, 1, {{"pads", ints{0, 0, 1, 2, 0, 0, 3, 4}}, {"mode", "reflect"}}, "pad");
    v2.infer(10);
    CHECK(out(p2) == "float32[1,3,9,12]");

    net t;
    auto* x = t.in("x", {sym("N"), 3, sym("H"), sym("W")});
    auto* grow = t.op("Pad", {x, t.i64("pads", {0, 0, 1, 1, 0, 0, 1, 1})}, 1, {}, "grow");
    auto* crop = t.op("Pad", {t.in("y", {1, 3, 5, 6}), t.i64("crop", {0, 0, -1, -1, 0, 0, -1, -1}), t.f32("v", {0.0f})}, 1, {}, "crop");
    auto* axes = t.op("Pad", {t.in("z", {1, 3, 5, 6}), t.i64("p1", {1, 2}), t.none(), t.i64("axes", {-1})}, 1, {}, "axes");
    auto* rt = t.op("Pad", {x, t.in("run_time", {8}, dtype::int64)}, 1, {}, "rt");
    t.infer(18);
    CHECK(out(grow) == "float32[N,3,H+2,W+2]");
    CHECK(out(crop) == "float32[1,3,3,4]");
    CHECK(out(axes) == "float32[1,3,5,9]");
    CHECK(out(rt) == "float32[?,?,?,?]");

    net bad;
    bad.op("Pad", {bad.in("x", {1, 3, 5, 6}), bad.i64("pads", {1, 1, 1, 1})}, 1, {}, "pad");
    CHECK(contains(shape_error([&] { bad.infer(); }), "pads has 4 value(s), expected 2*4"));
    net neg;
    neg.op("Pad", {neg.in("x", {1, 3}), neg.i64("pads", {0, -2, 0, -2})}, 1, {}, "pad");
    CHECK(contains(shape_error([&] { neg.infer(); }), "would have size -1"));
}

TEST_CASE("Resize: constant scales, sizes, run-time sizes, opset 10 layout, keep_aspect_ratio_policy") {
    net t;
    auto* x = t.in("x", {sym("N"), 3, sym("H"), sym("W")});
    auto* up = t.op("Resize", {x, t.none(), t.f32("s2", {1, 1, 2, 2})}, 1, {{"mode", "nearest"}}, "up");
    auto* half = t.op("Resize", {x, t.none(), t.f32("s05", {1, 1, 0.5f, 0.5f})}, 1, {}, "half");
    auto* stat = t.op("Resize", {t.in("y", {1, 3, 10, 11}), t.f32("roi", {}), t.f32("s05b", {1, 1, 0.5f, 0.5f})}, 1, {}, "static");
    auto* odd = t.op("Resize", {t.in("o", {1, 1, 4, 5}), t.none(), t.f32("s06", {1, 1, 0.6f, 1.5f})}, 1, {}, "odd");
    auto* sz = t.op("Resize", {x, t.none(), t.none(), t.i64("sizes", {1, 3, 300, 400})}, 1, {}, "sizes");
    auto* empty = t.op("Resize", {x, t.f32("roi2", {}), t.f32("noscales", {}), t.i64("sizes2", {2, 3, 64, 64})}, 1, {}, "empty");
    auto* rt = t.op("Resize", {x, t.none(), t.none(), t.in("run_time", {4}, dtype::int64)}, 1, {}, "rt");
    auto* rts = t.op("Resize", {x, t.none(), t.in("run_time_scales", {4})}, 1, {}, "rts");
    t.infer(13);
    CHECK(out(up) == "float32[N,3,2*H,2*W]");
    CHECK(out(half) == "float32[N,3,floor(H/2),floor(W/2)]");
    CHECK(bind_dim((*half->output(0)->type().dims)[2], {{"H", 11}}) == dim(5));
    CHECK(out(stat) == "float32[1,3,5,5]");
    CHECK(out(odd) == "float32[1,1,2,7]");  // floor(4*0.6) = 2, floor(5*1.5) = 7
    CHECK(out(sz) == "float32[1,3,300,400]");
    CHECK(out(empty) == "float32[2,3,64,64]");
    CHECK(out(rt) == "float32[?,?,?,?]");
    CHECK(out(rts) == "float32[?,?,?,?]");

    net v10;  // Resize-10: X, scales
    auto* r10 = v10.op("Resize", {v10.in("x", {1, 3, 10, 11}), v10.f32("s", {1, 1, 2, 2})}, 1, {}, "r10");
    v10.infer(10);
    CHECK(out(r10) == "float32[1,3,20,22]");

    net v18;  // axes and keep_aspect_ratio_policy: one scale min(50/100, 50/200) = 0.25 for both axes
    auto* keep = v18.op("Resize", {v18.in("x", {1, 3, 100, 200}), v18.none(), v18.none(), v18.i64("sizes", {50, 50})}, 1,
                        {{"axes", ints{2, 3}}, {"keep_aspect_ratio_policy", "not_larger"}}, "keep");
    auto* bigger = v18.op("Resize", {v18.in("y", {1, 3, 100, 200}), v18.none(), v18.none(), v18.i64("sizes2", {50, 50})}, 1,
                          {{"axes", ints{2, 3}}, {"keep_aspect_ratio_policy", "not_smaller"}}, "bigger");
    auto* ax = v18.op("Resize", {v18.in("z", {1, 3, 10, 10}), v18.none(), v18.f32("s", {3.0f})}, 1, {{"axes", ints{-1}}}, "ax");
    v18.infer(18);
    CHECK(out(keep) == "float32[1,3,25,50]");
    CHECK(out(bigger) == "float32[1,3,50,100]");
    CHECK(out(ax) == "float32[1,3,10,30]");

    net both;
    both.op("Resize", {both.in("x", {1, 3, 4, 4}), both.none(), both.f32("s", {1, 1, 2, 2}), both.i64("sz", {1, 3, 8, 8})}, 1, {}, "r");
    CHECK(contains(shape_error([&] { both.infer(13); }), "scales and sizes are both given"));
    net count;
    count.op("Resize", {count.in("x", {1, 3, 4, 4}), count.none(), count.f32("s", {2, 2})}, 1, {}, "r");
    CHECK(contains(shape_error([&] { count.infer(13); }), "scales has 2 value(s) but 4 axes are resized"));
}

TEST_CASE("Upsample: scales attribute (opset 7) or input (opset 9)") {
    net v7;
    auto* u7 = v7.op("Upsample", {v7.in("x", {sym("N"), 3, sym("H"), 5})}, 1, {{"scales", std::vector<float>{1, 1, 2, 3}}}, "up");
    v7.infer(7);
    CHECK(out(u7) == "float32[N,3,2*H,15]");
    net v9;
    auto* u9 = v9.op("Upsample", {v9.in("x", {1, 1, 2, 2}), v9.f32("scales", {1, 1, 2, 3})}, 1, {{"mode", "nearest"}}, "up");
    v9.infer(9);
    CHECK(out(u9) == "float32[1,1,4,6]");
}

// ---- reductions ----------------------------------------------------------------------------------

TEST_CASE("Reduce*: axes attribute, keepdims, reduce-all") {
    net t;
    auto* x = t.in("x", {sym("N"), 64, sym("H"), sym("W")});
    auto* keep = t.op("ReduceMean", {x}, 1, {{"axes", ints{2, 3}}}, "keep");
    auto* drop = t.op("ReduceMean", {x}, 1, {{"axes", ints{-1, -2}}, {"keepdims", 0}}, "drop");
    auto* all = t.op("ReduceMax", {x}, 1, {}, "all");
    auto* all0 = t.op("ReduceL2", {x}, 1, {{"keepdims", 0}}, "all0");
    auto* sum12 = t.op("ReduceSum", {x}, 1, {{"axes", ints{1}}}, "sum12");  // opset 12: axes is an attribute
    t.infer(12);
    CHECK(out(keep) == "float32[N,64,1,1]");
    CHECK(out(drop) == "float32[N,64]");
    CHECK(out(all) == "float32[1,1,1,1]");
    CHECK(out(all0) == "float32[]");
    CHECK(out(sum12) == "float32[N,1,H,W]");
}

TEST_CASE("ReduceSum (opset 13) and Reduce* (opset 18): axes input, noop_with_empty_axes, run-time axes") {
    net t;
    auto* x = t.in("x", {3, 2, 2});
    auto* ax = t.op("ReduceSum", {x, t.i64("a1", {1})}, 1, {{"keepdims", 0}}, "ax");
    auto* none = t.op("ReduceSum", {x}, 1, {}, "none");
    auto* noop = t.op("ReduceSum", {x}, 1, {{"noop_with_empty_axes", 1}}, "noop");
    auto* empty_noop = t.op("ReduceSum", {x, t.i64("empty", {})}, 1, {{"noop_with_empty_axes", 1}}, "empty_noop");
    auto* rt_keep = t.op("ReduceSum", {x, t.in("rt", {1}, dtype::int64)}, 1, {}, "rt_keep");
    auto* rt_drop = t.op("ReduceSum", {x, t.in("rt2", {2}, dtype::int64)}, 1, {{"keepdims", 0}}, "rt_drop");
    auto* mean18 = t.op("ReduceMean", {x, t.i64("a2", {0, 2})}, 1, {}, "mean18");
    t.infer(18);
    CHECK(out(ax) == "float32[3,2]");
    CHECK(out(none) == "float32[1,1,1]");
    CHECK(out(noop) == "float32[3,2,2]");
    CHECK(out(empty_noop) == "float32[3,2,2]");
    CHECK(out(rt_keep) == "float32[?,?,?]");
    CHECK(out(rt_drop) == "float32[?]");
    CHECK(out(mean18) == "float32[1,2,1]");

    net rep;
    rep.op("ReduceMin", {rep.in("x", {2, 3})}, 1, {{"axes", ints{1, -1}}}, "r");
    CHECK(contains(shape_error([&] { rep.infer(13); }), "axis -1 is repeated in axes"));
    net range;
    range.op("ReduceProd", {range.in("x", {2, 3})}, 1, {{"axes", ints{2}}}, "r");
    CHECK(contains(shape_error([&] { range.infer(13); }), "axis 2 is out of range for rank 2"));
}

TEST_CASE("ArgMax, ArgMin: int64 indices") {
    net t;
    auto* x = t.in("x", {2, sym("T"), 4});
    auto* keep = t.op("ArgMax", {x}, 1, {{"axis", 1}}, "keep");
    auto* drop = t.op("ArgMin", {x}, 1, {{"axis", -1}, {"keepdims", 0}, {"select_last_index", 1}}, "drop");
    auto* def = t.op("ArgMax", {x}, 1, {}, "def");
    t.infer();
    CHECK(out(keep) == "int64[2,1,4]");
    CHECK(out(drop) == "int64[2,T]");
    CHECK(out(def) == "int64[1,T,4]");
}

// ---- recurrent, Einsum, TopK, ... ----------------------------------------------------------------

TEST_CASE("LSTM, GRU, RNN: directions, layouts, optional outputs") {
    net t;
    auto* x = t.in("x", {sym("T"), sym("N"), 10});
    auto* bi = t.op("LSTM", {x, t.in("w", {2, 80, 10}), t.in("r", {2, 80, 20}), t.in("b", {2, 160})}, 3,
                    {{"hidden_size", 20}, {"direction", "bidirectional"}}, "bilstm");
    auto* xb = t.in("xb", {sym("N"), sym("T"), 10});
    auto* l1 = t.op("LSTM", {xb, t.in("w1", {1, 80, 10}), t.in("r1", {1, 80, 20})}, 3, {{"hidden_size", 20}, {"layout", 1}}, "l1");
    auto* gru = t.op("GRU", {x, t.in("wg", {1, 60, 10}), t.in("rg", {1, 60, 20})}, 2, {{"direction", "reverse"}}, "gru");  // hidden from R
    // only Y_h wanted: Y is omitted
    auto* yh = t.g.add_value("rnn_yh");
    auto* rnn = t.g.add_node("RNN", {x, t.in("wr", {1, 16, 10}), t.in("rr", {1, 16, 16})}, std::vector<value*>{nullptr, yh},
                             {{"hidden_size", 16}}, "rnn");
    t.g.add_output(yh);
    t.infer(14);
    CHECK(out(bi, 0) == "float32[T,2,N,20]");
    CHECK(out(bi, 1) == "float32[2,N,20]");
    CHECK(out(bi, 2) == "float32[2,N,20]");
    CHECK(out(l1, 0) == "float32[N,T,1,20]");
    CHECK(out(l1, 1) == "float32[N,1,20]");
    CHECK(out(l1, 2) == "float32[N,1,20]");
    CHECK(out(gru, 0) == "float32[T,1,N,20]");
    CHECK(out(gru, 1) == "float32[1,N,20]");
    CHECK(out(rnn, 1) == "float32[1,N,16]");

    net bad;
    bad.op("LSTM", {bad.in("x", {5, 2, 10}), bad.in("w", {1, 80, 10}), bad.in("r", {1, 80, 20})}, 1,
           {{"hidden_size", 20}, {"direction", "bidirectional"}}, "lstm");
    CHECK(contains(shape_error([&] { bad.infer(); }), "W must have shape [2,80,10]"));
    net bad_in;
    bad_in.op("GRU", {bad_in.in("x", {5, 2, 12}), bad_in.in("w", {1, 60, 10}), bad_in.in("r", {1, 60, 20})}, 1, {{"hidden_size", 20}},
              "gru");
    CHECK(contains(shape_error([&] { bad_in.infer(); }), "W must have shape [1,60,12]"));
    net bad_dir;
    bad_dir.op("RNN", {bad_dir.in("x", {5, 2, 4}), bad_dir.in("w", {1, 3, 4}), bad_dir.in("r", {1, 3, 3})}, 1, {{"direction", "both"}},
               "rnn");
    CHECK(contains(shape_error([&] { bad_dir.infer(); }), "direction 'both' is not one of"));
}

TEST_CASE("Einsum: explicit and implicit outputs, ellipsis, diagonals") {
    net t;
    auto* bmm = t.op("Einsum", {t.in("a", {sym("B"), 3, 4}), t.in("b", {sym("B"), 4, 5})}, 1, {{"equation", "bij,bjk->bik"}}, "bmm");
    auto* att = t.op("Einsum", {t.in("q", {sym("B"), 8, sym("S"), 64}), t.in("k", {sym("B"), 8, sym("L"), 64})}, 1,
                     {{"equation", "bhqd,bhkd->bhqk"}}, "att");
    auto* tr = t.op("Einsum", {t.in("m", {2, 7})}, 1, {{"equation", "ij->ji"}}, "tr");
    auto* dot = t.op("Einsum", {t.in("u", {6}), t.in("v", {6})}, 1, {{"equation", "i,i->"}}, "dot");
    auto* diag = t.op("Einsum", {t.in("d", {2, 3, 5, 5})}, 1, {{"equation", "...ii ->...i"}}, "diag");
    auto* impl = t.op("Einsum", {t.in("p", {2, 3}), t.in("r", {3, 4})}, 1, {{"equation", "ij,jk"}}, "impl");
    auto* order = t.op("Einsum", {t.in("o", {2, 3})}, 1, {{"equation", "ba"}}, "order");  // implicit output "ab"
    auto* ell = t.op("Einsum", {t.in("e1", {2, 1, 3, 4}), t.in("e2", {5, 4, 6})}, 1, {{"equation", "...ij, ...jk -> ...ik"}}, "ell");
    auto* sum = t.op("Einsum", {t.in("s", {sym("N"), 9})}, 1, {{"equation", "ij->i"}}, "sum");
    t.infer(12);
    CHECK(out(bmm) == "float32[B,3,5]");
    CHECK(out(att) == "float32[B,8,S,L]");
    CHECK(out(tr) == "float32[7,2]");
    CHECK(out(dot) == "float32[]");
    CHECK(out(diag) == "float32[2,3,5]");
    CHECK(out(impl) == "float32[2,4]");
    CHECK(out(order) == "float32[3,2]");
    CHECK(out(ell) == "float32[2,5,3,6]");
    CHECK(out(sum) == "float32[N]");

    auto err = [](std::vector<shape> ins, const char* eq) {
        net b;
        std::vector<value*> vs;
        for (std::size_t i = 0; i < ins.size(); ++i) vs.push_back(b.in("x" + std::to_string(i), ins[i]));
        b.op("Einsum", vs, 1, {{"equation", eq}}, "es");
        return shape_error([&] { b.infer(12); });
    };
    CHECK(contains(err({{2, 3}, {4, 5}}, "ij,jk->ik"), "label 'j' is 3 in one place and 4 in operand 1"));
    CHECK(contains(err({{2, 3}}, "ijk->i"), "operand 0 'ijk' does not fit its shape [2,3]"));
    CHECK(contains(err({{2, 3}}, "ij,jk->ik"), "has 2 operand(s) but the node has 1 input(s)"));
    CHECK(contains(err({{2, 3}}, "ij->iz"), "output label 'z' is not in any operand"));
    CHECK(contains(err({{2, 3}}, "i1->i"), "is malformed"));
}

TEST_CASE("TopK, CumSum, NonMaxSuppression, NonZero") {
    net t;
    auto* x = t.in("x", {sym("N"), 10});
    auto* k3 = t.op("TopK", {x, t.i64("k", {3})}, 2, {}, "k3");
    auto* krt = t.op("TopK", {x, t.in("krt", {1}, dtype::int64)}, 2, {{"axis", 1}}, "krt");
    auto* ax0 = t.op("TopK", {t.in("y", {5, 4}), t.i64("k2", {2})}, 2, {{"axis", 0}, {"largest", 0}}, "ax0");
    auto* cs = t.op("CumSum", {x, t.i64_scalar("axis", 1)}, 1, {{"exclusive", 1}}, "cs");
    auto* nms = t.op("NonMaxSuppression", {t.in("boxes", {1, 100, 4}), t.in("scores", {1, 3, 100}), t.i64("max", {10})}, 1, {}, "nms");
    auto* nz = t.op("NonZero", {t.in("z", {2, 3})}, 1, {}, "nz");
    t.infer(11);
    CHECK(out(k3, 0) == "float32[N,3]");
    CHECK(out(k3, 1) == "int64[N,3]");
    CHECK(out(krt, 0) == "float32[N,?]");
    CHECK(out(ax0, 0) == "float32[2,4]");
    CHECK(out(cs) == "float32[N,10]");
    CHECK(out(nms) == "int64[?,3]");
    CHECK(out(nz) == "int64[2,?]");

    net v9;  // TopK-1: k attribute
    auto* k9 = v9.op("TopK", {v9.in("x", {4, 8})}, 2, {{"k", 5}}, "k9");
    v9.infer(9);
    CHECK(out(k9, 0) == "float32[4,5]");
    CHECK(out(k9, 1) == "int64[4,5]");

    net bad;
    bad.op("TopK", {bad.in("x", {3, 4}), bad.i64("k", {20})}, 2, {}, "topk");
    CHECK(contains(shape_error([&] { bad.infer(11); }), "K=20 is larger than the axis 1 dim 4"));
}

TEST_CASE("shape rules: wrong input counts are GC4002, not a crash") {
    auto err = [](const char* op, std::size_t n, attrs a = {}) {
        net t;
        std::vector<value*> ins;
        for (std::size_t i = 0; i < n; ++i) ins.push_back(t.in("x" + std::to_string(i), {2, 3, 4, 4}));
        t.op(op, ins, 1, std::move(a), "n");
        return shape_error([&] { t.infer(); });
    };
    CHECK(contains(err("Relu", 2), "expects 1 input(s), got 2"));
    CHECK(contains(err("Add", 1), "expects 2 input(s), got 1"));
    CHECK(contains(err("Conv", 1), "expects 2 to 3 input(s), got 1"));
    CHECK(contains(err("LSTM", 2), "expects 3 to 8 input(s), got 2"));
    CHECK(contains(err("Where", 4), "expects 3 input(s), got 4"));
    CHECK(contains(err("Einsum", 1), "the equation attribute is required"));
    CHECK(contains(err("DepthToSpace", 1), "the blocksize attribute is required"));
}
