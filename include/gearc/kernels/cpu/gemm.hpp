// CPU kernels: matrix products (Gemm, FusedGemm, MatMul, FusedMatMul).
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/kernels/cpu/elementwise.hpp>
#include <gearc/kernels/kernel.hpp>

// GCC 12's AVX-512 intrinsics trip -Wuninitialized in _mm512_undefined_ps (GCC bug 105593); the warning
// follows the pragmas in force where the intrinsics headers are first included.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

// Eigen 3.4's packing routines and its GEBP micro-kernel are internal API: used where the version is known,
// plain Eigen products (which pack B again on every call) elsewhere.
#if EIGEN_WORLD_VERSION == 3 && EIGEN_MAJOR_VERSION == 4
#define GEARC_GEMM_EIGEN_PACKING 1
#else
#define GEARC_GEMM_EIGEN_PACKING 0
#endif

GEARC_BEGIN_NAMESPACE

namespace kernels::cpu {

/// Tuning of the matrix products. Y[M,N] = A[M,K] B[K,N] is cut into tasks of m_block x n_block outputs that
/// the threads take in turn; each task multiplies packed panels k_block deep.
struct gemm_params {
    std::int64_t m_block = 128;                 ///< rows of Y per task
    std::int64_t n_block = 256;                 ///< columns of Y per task (and per packed panel of B)
    std::int64_t k_block = 256;                 ///< depth of a packed panel
    std::int64_t min_parallel_flops = 1 << 21;  ///< products smaller than this run on one thread
    std::size_t max_threads = 0;                ///< at most this many threads per product; 0: the pool's
    bool eigen_packing = true;                  ///< drive Eigen 3.4's packing and micro-kernel directly (else: Eigen
                                                ///< products on mapped memory, which pack B on every call)
    bool prepack = true;                        ///< with eigen_packing: pack a constant B once when prepared
};

namespace detail::gemm {

using index = Eigen::Index;
using aligned_floats = std::vector<float, Eigen::aligned_allocator<float>>;

[[nodiscard]] inline index ceil_div(index a, index b) noexcept { return b ? (a + b - 1) / b : 0; }
[[nodiscard]] inline index round_up(index a, index b) noexcept { return ceil_div(a, b) * b; }

/// One product's shapes, row-major: Y[M,N] (row stride ldy) = op(A)[M,K] op(B)[K,N], with A stored [K,M] when
/// trans_a and B stored [N,K] when trans_b; lda and ldb are the stored row strides.
struct geometry {
    index m = 0, n = 0, k = 0;
    bool trans_a = false, trans_b = false;
    index lda = 0, ldb = 0, ldy = 0;
};

/// Several products of one geometry (MatMul's batch dims): element offsets of A, B and Y per product.
struct batches {
    std::vector<index> a, b, y;
};

/// What happens to a block of products: Y = alpha * op(A) op(B) + beta * C, then the activation.
struct epilogue {
    float alpha = 1.f, beta = 0.f;
    std::size_t c_input = 0;    ///< the input holding C or the bias (0: none)
    index c_row = 0, c_col = 0;  ///< C's strides along Y's rows and columns (0: broadcast)
    ew::unary_fn act;
};

#if GEARC_GEMM_EIGEN_PACKING
namespace ei = Eigen::internal;
// Eigen computes column-major products: Y^T[N,M] = op(B)^T[N,K] op(A)^T[K,M]. B is its left operand (packed
// in panels of mr rows), A its right one (panels of nr columns).
using traits = ei::gebp_traits<float, float>;
template <int Order>
using mapper = ei::const_blas_data_mapper<float, index, Order>;
template <int Order>
using lhs_packer = ei::gemm_pack_lhs<float, index, mapper<Order>, traits::mr, traits::LhsProgress, typename traits::LhsPacket4Packing, Order>;
template <int Order>
using rhs_packer = ei::gemm_pack_rhs<float, index, mapper<Order>, traits::nr, Order>;
using res_mapper = ei::blas_data_mapper<float, index, Eigen::ColMajor, Eigen::Unaligned, 1>;
using micro_kernel = ei::gebp_kernel<float, float, index, res_mapper, traits::mr, traits::nr, false, false>;
inline constexpr index row_multiple = traits::mr;

/// Packs columns [n0, n0+nlen) x depth [k0, k0+klen) of op(B).
inline void pack_b(float* dst, const float* b, const geometry& g, index n0, index k0, index nlen, index klen) {
    if (g.trans_b) lhs_packer<Eigen::RowMajor>()(dst, mapper<Eigen::RowMajor>(b, g.ldb).getSubMapper(n0, k0), klen, nlen);
    else lhs_packer<Eigen::ColMajor>()(dst, mapper<Eigen::ColMajor>(b, g.ldb).getSubMapper(n0, k0), klen, nlen);
}
/// Packs rows [m0, m0+mlen) x depth [k0, k0+klen) of op(A).
inline void pack_a(float* dst, const float* a, const geometry& g, index m0, index k0, index mlen, index klen) {
    if (g.trans_a) rhs_packer<Eigen::RowMajor>()(dst, mapper<Eigen::RowMajor>(a, g.lda).getSubMapper(k0, m0), klen, mlen);
    else rhs_packer<Eigen::ColMajor>()(dst, mapper<Eigen::ColMajor>(a, g.lda).getSubMapper(k0, m0), klen, mlen);
}
#else
inline constexpr index row_multiple = 16;
#endif

/// Y[m0.., n0..] += alpha * op(A)[m0.., :] op(B)[:, n0..] with plain Eigen products over mapped memory.
template <bool TA, bool TB>
void mapped_block(const float* a, const float* b, float* y, const geometry& g, index m0, index mlen, index n0, index nlen, float alpha) {
    using matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using cmap = Eigen::Map<const matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    Eigen::Map<matrix, Eigen::Unaligned, Eigen::OuterStride<>> out(y + m0 * g.ldy + n0, mlen, nlen, Eigen::OuterStride<>(g.ldy));
    auto op_a = [&] {
        if constexpr (TA) return cmap(a + m0, g.k, mlen, Eigen::OuterStride<>(g.lda)).transpose();
        else return cmap(a + m0 * g.lda, mlen, g.k, Eigen::OuterStride<>(g.lda));
    }();
    auto op_b = [&] {
        if constexpr (TB) return cmap(b + n0 * g.ldb, nlen, g.k, Eigen::OuterStride<>(g.ldb)).transpose();
        else return cmap(b + n0, g.k, nlen, Eigen::OuterStride<>(g.ldb));
    }();
    out.noalias() += alpha * op_a * op_b;
}

/// A prepared product: the geometry, its batches, the epilogue, the task blocking and (for a constant B)
/// B packed once.
class gemm_kernel final : public op_kernel {
public:
    gemm_kernel(std::string name, geometry g, batches bt, epilogue ep, const gemm_params& p, std::size_t threads, const float* constant_b)
        : name_(std::move(name)), g_(g), bt_(std::move(bt)), ep_(std::move(ep)), p_(p) {
        mb_ = std::clamp<index>(p.m_block, 1, std::max<index>(g_.m, 1));
        kb_ = std::clamp<index>(p.k_block, 1, std::max<index>(g_.k, 1));
        nb_ = std::clamp<index>(p.n_block, 1, std::max<index>(g_.n, 1));
        const auto count = static_cast<index>(bt_.a.size());
        threads_ = std::max<std::size_t>(1, p.max_threads ? std::min(threads, p.max_threads) : threads);
        // few row tasks (a batch of 1-8 rows): split the columns instead, so that every thread gets work
        const index row_tasks = count * ceil_div(g_.m, mb_), want = 2 * static_cast<index>(threads_);
        if (threads_ > 1 && row_tasks < want && g_.n > row_multiple)
            nb_ = std::min(nb_, std::max(row_multiple, round_up(ceil_div(g_.n, ceil_div(want, std::max<index>(row_tasks, 1))), row_multiple)));
        mt_ = ceil_div(g_.m, mb_);
        nt_ = ceil_div(g_.n, nb_);
        kt_ = ceil_div(g_.k, kb_);
#if GEARC_GEMM_EIGEN_PACKING
        packed_path_ = p.eigen_packing;
        if (packed_path_ && constant_b && p.prepack && g_.k > 0 && g_.n > 0) prepack(constant_b);
#else
        (void)constant_b;
#endif
        if (!packed_.empty()) name_ += ".prepacked";
        if (!packed_path_) name_ += ".mapped";
    }

    void run(std::span<const tensor_ref> in, std::span<const tensor_ref> out, exec_context& ctx) const override {
        const float* a = in[0].as<const float>();
        const float* b = in[1].as<const float>();
        float* y = out[0].as<float>();
        const float* c = ep_.c_input && ep_.c_input < in.size() && in[ep_.c_input].data ? in[ep_.c_input].as<const float>() : nullptr;
        const index items = static_cast<index>(bt_.a.size()) * mt_ * nt_;
        if (items == 0) return;
        std::size_t slots = ctx.pool ? ctx.pool->size() : 1;
        if (p_.max_threads) slots = std::min(slots, p_.max_threads);
        const double flops = 2.0 * static_cast<double>(g_.m) * static_cast<double>(g_.n) * static_cast<double>(g_.k) *
                             static_cast<double>(bt_.a.size());
        if (flops < static_cast<double>(p_.min_parallel_flops)) slots = 1;
        slots = std::min<std::size_t>(slots, static_cast<std::size_t>(items));
        const std::size_t per_slot = slot_floats();
        aligned_floats local;
        // the packed panels are read with aligned loads: align the scratch (scratch_bytes() has room for it)
        const auto addr = reinterpret_cast<std::uintptr_t>(ctx.scratch), skip = (align - addr % align) % align;
        float* scratch = ctx.scratch ? reinterpret_cast<float*>(ctx.scratch + skip) : nullptr;
        if (per_slot && (!scratch || ctx.scratch_size < skip + slots * per_slot * sizeof(float))) {
            local.resize(slots * per_slot);
            scratch = local.data();
        }
        std::atomic<index> next{0};
        auto worker = [&](std::size_t slot) {
            float* buf = per_slot ? scratch + slot * per_slot : nullptr;
            for (index it = next.fetch_add(1); it < items; it = next.fetch_add(1)) block(it, a, b, c, y, buf);
        };
        if (slots == 1) worker(0);
        else
            ctx.pool->parallel_for(static_cast<std::int64_t>(slots), 1, [&](std::int64_t s, std::int64_t e) {
                for (; s < e; ++s) worker(static_cast<std::size_t>(s));
            });
    }

    [[nodiscard]] std::size_t scratch_bytes() const override {
        const std::size_t n = threads_ * slot_floats() * sizeof(float);
        return n ? n + align : 0;
    }
    [[nodiscard]] std::string name() const override { return name_; }

private:
    static constexpr index pad = 64;             // floats past each packed panel: room for Eigen's packing to round up
    static constexpr std::uintptr_t align = 64;  // bytes: the widest packet (AVX-512)

    /// Floats one thread's packing buffers need: a panel of A, and one of B unless B was prepacked.
    [[nodiscard]] std::size_t slot_floats() const noexcept {
        if (!packed_path_) return 0;
        const index a_panel = round_up(kb_ * mb_ + pad, 16), b_panel = packed_.empty() ? round_up(kb_ * nb_ + pad, 16) : 0;
        return static_cast<std::size_t>(a_panel + b_panel);
    }
    [[nodiscard]] index panel_stride() const noexcept { return round_up(kb_ * nb_ + pad, 16); }

#if GEARC_GEMM_EIGEN_PACKING
    void prepack(const float* b) {
        // one packed copy per distinct B matrix (MatMul broadcasts B's batch dims)
        std::vector<index> mats;
        for (index off : bt_.b)
            if (std::find(mats.begin(), mats.end(), off) == mats.end()) mats.push_back(off);
        packed_.assign(static_cast<std::size_t>(static_cast<index>(mats.size()) * nt_ * kt_ * panel_stride()), 0.f);
        for (std::size_t mi = 0; mi < mats.size(); ++mi)
            for (index ni = 0; ni < nt_; ++ni)
                for (index ki = 0; ki < kt_; ++ki) {
                    const index n0 = ni * nb_, k0 = ki * kb_;
                    pack_b(packed_.data() + panel_offset(static_cast<index>(mi), ni, ki), b + mats[mi], g_, n0, k0, std::min(nb_, g_.n - n0),
                           std::min(kb_, g_.k - k0));
                }
        packed_of_.resize(bt_.b.size());
        for (std::size_t i = 0; i < bt_.b.size(); ++i)
            packed_of_[i] = static_cast<index>(std::find(mats.begin(), mats.end(), bt_.b[i]) - mats.begin());
    }
#endif
    [[nodiscard]] index panel_offset(index matrix, index ni, index ki) const noexcept { return ((matrix * nt_ + ni) * kt_ + ki) * panel_stride(); }

    /// One task: a block of Y, started from beta * C (or 0), accumulated over K, then activated.
    void block(index it, const float* a_base, const float* b_base, const float* c, float* y_base, [[maybe_unused]] float* buf) const {
        const index per_product = mt_ * nt_, bi = it / per_product, mi = (it % per_product) / nt_, ni = it % nt_;
        const index m0 = mi * mb_, mlen = std::min(mb_, g_.m - m0), n0 = ni * nb_, nlen = std::min(nb_, g_.n - n0);
        const auto bs = static_cast<std::size_t>(bi);
        const float* a = a_base + bt_.a[bs];
        const float* b = b_base + bt_.b[bs];
        float* y = y_base + bt_.y[bs];
        for (index r = m0; r < m0 + mlen; ++r) {
            float* row = y + r * g_.ldy + n0;
            if (c && ep_.beta != 0.f) {
                const float* cr = c + r * ep_.c_row + n0 * ep_.c_col;
                if (ep_.c_col) ew::map(row, nlen, [beta = ew::vf(ep_.beta)](ew::vf v) { return beta * v; }, ew::vec{cr});
                else std::fill_n(row, nlen, ep_.beta * cr[0]);
            } else {
                std::fill_n(row, nlen, 0.f);
            }
        }
        if (g_.k > 0 && packed_path_) {
#if GEARC_GEMM_EIGEN_PACKING
            float* a_panel = buf;
            float* b_panel = buf + round_up(kb_ * mb_ + pad, 16);
            const res_mapper res(y, g_.ldy);
            for (index ki = 0; ki < kt_; ++ki) {
                const index k0 = ki * kb_, klen = std::min(kb_, g_.k - k0);
                const float* lhs = b_panel;
                if (!packed_.empty()) lhs = packed_.data() + panel_offset(packed_of_[bs], ni, ki);
                else pack_b(b_panel, b, g_, n0, k0, nlen, klen);
                pack_a(a_panel, a, g_, m0, k0, mlen, klen);
                micro_kernel()(res.getSubMapper(n0, m0), lhs, a_panel, nlen, klen, mlen, ep_.alpha);
            }
#endif
        } else if (g_.k > 0) {
            if (g_.trans_a) {
                if (g_.trans_b) mapped_block<true, true>(a, b, y, g_, m0, mlen, n0, nlen, ep_.alpha);
                else mapped_block<true, false>(a, b, y, g_, m0, mlen, n0, nlen, ep_.alpha);
            } else {
                if (g_.trans_b) mapped_block<false, true>(a, b, y, g_, m0, mlen, n0, nlen, ep_.alpha);
                else mapped_block<false, false>(a, b, y, g_, m0, mlen, n0, nlen, ep_.alpha);
            }
        }
        if (!ep_.act.is_identity())
            for (index r = m0; r < m0 + mlen; ++r) ep_.act(y + r * g_.ldy + n0, y + r * g_.ldy + n0, nlen);
    }

    std::string name_;
    geometry g_;
    batches bt_;
    epilogue ep_;
    gemm_params p_;
    std::size_t threads_ = 1;
    index mb_ = 1, nb_ = 1, kb_ = 1, mt_ = 0, nt_ = 0, kt_ = 0;
    bool packed_path_ = false;
    aligned_floats packed_;        ///< B's panels, packed at prepare time
    std::vector<index> packed_of_;  ///< per product: which packed B matrix
};

/// The constant float data of input i, or nullptr.
[[nodiscard]] inline const float* constant_data(const prepare_args& a, std::size_t i) {
    if (i >= a.constants.size() || !a.constants[i] || a.constants[i]->type() != dtype::float32) return nullptr;
    return a.constants[i]->view<float>().data();
}

/// Inputs 0 and 1 and output 0 are static float32 tensors.
[[nodiscard]] inline bool float_operands(const prepare_args& a) {
    return a.input_type(0) == dtype::float32 && a.input_type(1) == dtype::float32 && ew::static_input(a, 0) && ew::static_input(a, 1) &&
           ew::static_output(a, 0) && a.outputs[0].elem == dtype::float32;
}

/// Gemm and ai.gearc FusedGemm: A and B matrices, optional C broadcasting to [M, N] (ONNX's unidirectional
/// broadcast: [], [1], [N], [1,N], [M,1], [M,N], [1,1]).
inline std::unique_ptr<op_kernel> make_gemm(const prepare_args& a, const gemm_params& p, bool fused) {
    if (!float_operands(a)) return nullptr;
    const auto as = a.input_sizes(0), bs = a.input_sizes(1);
    if (as.size() != 2 || bs.size() != 2) return nullptr;
    geometry g;
    g.trans_a = a.n->attr_or<std::int64_t>("transA", 0) != 0;
    g.trans_b = a.n->attr_or<std::int64_t>("transB", 0) != 0;
    g.m = as[g.trans_a ? 1 : 0];
    g.k = as[g.trans_a ? 0 : 1];
    g.n = bs[g.trans_b ? 0 : 1];
    if (bs[g.trans_b ? 1 : 0] != g.k) return nullptr;
    g.lda = as[1];
    g.ldb = bs[1];
    g.ldy = g.n;
    if (a.output_sizes(0) != std::vector<std::int64_t>{g.m, g.n}) return nullptr;
    epilogue ep;
    ep.alpha = a.n->attr_or<float>("alpha", 1.f);
    ep.beta = a.n->attr_or<float>("beta", 1.f);
    if (a.has_input(2)) {
        if (a.input_type(2) != dtype::float32 || !ew::static_input(a, 2)) return nullptr;
        const auto cs = a.input_sizes(2);
        if (cs.size() > 2) return nullptr;
        const index rows = cs.size() == 2 ? cs[0] : 1, cols = cs.empty() ? 1 : cs.back();
        if ((rows != 1 && rows != g.m) || (cols != 1 && cols != g.n)) return nullptr;
        ep.c_input = 2;
        ep.c_row = rows == 1 ? 0 : cols;
        ep.c_col = cols == 1 ? 0 : 1;
    }
    if (fused) {
        auto act = ew::fused_activation(*a.n);
        if (!act) return nullptr;
        ep.act = *act;
    }
    return std::make_unique<gemm_kernel>(fused ? "gemm.fused_gemm" : "gemm.gemm", g, batches{{0}, {0}, {0}}, ep, p, a.threads,
                                         constant_data(a, 1));
}

/// MatMul and ai.gearc FusedMatMul (bias along the last axis, then the activation): numpy semantics, 1-D
/// operands promoted, batch dims broadcast. A batch of A against one B becomes a single taller product.
inline std::unique_ptr<op_kernel> make_matmul(const prepare_args& a, const gemm_params& p, bool fused) {
    if (!float_operands(a)) return nullptr;
    auto as = a.input_sizes(0), bs = a.input_sizes(1);
    if (as.empty() || bs.empty()) return nullptr;
    const bool b_vector = bs.size() == 1;
    if (as.size() == 1) as.insert(as.begin(), 1);
    if (bs.size() == 1) bs.push_back(1);
    geometry g;
    g.m = as[as.size() - 2];
    g.k = as.back();
    g.n = bs.back();
    if (bs[bs.size() - 2] != g.k) return nullptr;
    g.lda = g.k;
    g.ldb = g.n;
    g.ldy = g.n;
    // numpy broadcast of the batch dims
    const std::vector<std::int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
    const std::size_t rank = std::max(ab.size(), bb.size());
    std::vector<std::int64_t> batch(rank);
    for (std::size_t i = 0; i < rank; ++i) {
        const std::int64_t x = i + ab.size() >= rank ? ab[i + ab.size() - rank] : 1, z = i + bb.size() >= rank ? bb[i + bb.size() - rank] : 1;
        if (x != z && x != 1 && z != 1) return nullptr;
        batch[i] = x == 1 ? z : x;
    }
    const std::int64_t count = ew::product(batch);
    if (ew::product(a.output_sizes(0)) != count * g.m * g.n) return nullptr;
    batches bt;
    if (ew::product(bb) == 1) {  // one B: A's batch folds into M
        g.m *= count;
        bt = {{0}, {0}, {0}};
    } else {
        auto plan = ew::make_plan<2>(batch, {ab, bb});
        bt.a.resize(static_cast<std::size_t>(count));
        bt.b.resize(bt.a.size());
        bt.y.resize(bt.a.size());
        ew::walk(plan, 0, count, [&](std::int64_t pos, const std::array<std::int64_t, 2>& o, std::int64_t len) {
            for (std::int64_t i = 0; i < len; ++i) {
                const auto at = static_cast<std::size_t>(pos + i);
                bt.a[at] = (o[0] + (plan.row_scalar(0) ? 0 : i)) * g.m * g.k;
                bt.b[at] = (o[1] + (plan.row_scalar(1) ? 0 : i)) * g.k * g.n;
                bt.y[at] = (pos + i) * g.m * g.n;
            }
        });
    }
    epilogue ep;
    if (fused) {
        if (a.has_input(2)) {
            if (a.input_type(2) != dtype::float32 || !ew::static_input(a, 2)) return nullptr;
            const auto cs = a.input_sizes(2);
            const std::int64_t len = ew::product(cs);
            if (cs.size() != 1 || (len != 1 && (len != g.n || b_vector))) return nullptr;
            ep.c_input = 2;
            ep.beta = 1.f;
            ep.c_col = len == 1 ? 0 : 1;
        }
        auto act = ew::fused_activation(*a.n);
        if (!act) return nullptr;
        ep.act = *act;
    }
    return std::make_unique<gemm_kernel>(fused ? "gemm.fused_matmul" : "gemm.matmul", g, std::move(bt), ep, p, a.threads,
                                         constant_data(a, 1));
}

}  // namespace detail::gemm

/// Registers this family's kernels in `t`: float32 only; MatMul on other types falls to the reference.
inline void register_gemm(kernel_table& t, const gemm_params& p = {}) {
    namespace gm = detail::gemm;
    t.add("", "Gemm", [p](const prepare_args& a) { return gm::make_gemm(a, p, false); });
    t.add("ai.gearc", "FusedGemm", [p](const prepare_args& a) { return gm::make_gemm(a, p, true); });
    t.add("", "MatMul", [p](const prepare_args& a) { return gm::make_matmul(a, p, false); });
    t.add("ai.gearc", "FusedMatMul", [p](const prepare_args& a) { return gm::make_matmul(a, p, true); });
}

}  // namespace kernels::cpu

GEARC_END_NAMESPACE

#undef GEARC_GEMM_EIGEN_PACKING
