// bench_gemm_peak: the machine's measured float32 FMA peak (per core and for the threads used) next to gearc's
// MatMul kernel on square and model-shaped problems, as GFLOP/s and a share of the peak.
//   bench_gemm_peak [threads]
#include <gearc/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// GFLOP/s of one thread issuing independent FMAs on the widest vectors this build has (12 chains hide latency).
double fma_peak_one_thread() {
    constexpr long iters = 20'000'000;
    const auto t0 = std::chrono::steady_clock::now();
    float sink = 0;
#if defined(__AVX512F__)
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
    __m512 c[12];
    for (auto& x : c) x = _mm512_set1_ps(1.0f);
    for (long i = 0; i < iters; ++i)
        for (auto& x : c) x = _mm512_fmadd_ps(x, a, b);
    for (auto& x : c) sink += _mm512_reduce_add_ps(x);
    const double flops = 2.0 * 16 * 12 * iters;
#elif defined(__AVX2__) && defined(__FMA__)
    __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
    __m256 c[12];
    for (auto& x : c) x = _mm256_set1_ps(1.0f);
    for (long i = 0; i < iters; ++i)
        for (auto& x : c) x = _mm256_fmadd_ps(x, a, b);
    alignas(32) float out[8];
    for (auto& x : c) {
        _mm256_store_ps(out, x);
        for (float f : out) sink += f;
    }
    const double flops = 2.0 * 8 * 12 * iters;
#else
    float c[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (long i = 0; i < iters; ++i)
        for (auto& x : c) x = x * 0.999f + 0.001f;
    for (float x : c) sink += x;
    const double flops = 2.0 * 12 * iters;
#endif
    const double s = seconds_since(t0);
    if (sink == 12345.0f) std::puts("");  // keep the chains alive
    return flops / s / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t threads = argc > 1 ? static_cast<std::size_t>(std::atoi(argv[1])) : std::max(1u, std::thread::hardware_concurrency());
    const double one = fma_peak_one_thread();
    std::vector<double> per(threads, 0);
    std::vector<std::thread> ts;
    for (std::size_t t = 0; t < threads; ++t) ts.emplace_back([&, t] { per[t] = fma_peak_one_thread(); });
    for (auto& t : ts) t.join();
    double all = 0;
    for (double p : per) all += p;
    std::printf("measured FMA peak: %.1f GFLOP/s on one thread, %.1f GFLOP/s on %zu threads\n", one, all, threads);

    // gearc's MatMul kernel (the CPU table's choice) on static shapes
    gearc::thread_pool pool(threads);
    const auto& table = gearc::kernels::device_kernels<gearc::device::cpu>::table();
    std::printf("| M x K x N | kernel | ms | GFLOP/s | of peak |\n|---|---|---:|---:|---:|\n");
    for (auto [M, K, N] : {std::array<std::int64_t, 3>{1024, 1024, 1024}, {256, 2304, 3136}, {64, 576, 3136}, {1, 512, 1000}, {128, 768, 3072}}) {
        gearc::graph g("mm");
        auto* a = g.add_input("a", gearc::value_type::tensor_of(gearc::dtype::float32, gearc::shape::of({M, K})));
        auto* b = g.add_input("b", gearc::value_type::tensor_of(gearc::dtype::float32, gearc::shape::of({K, N})));
        auto* n = g.add_node("MatMul", {a, b}, 1);
        gearc::kernels::prepare_args args;
        args.n = n;
        args.inputs = {a->type(), b->type()};
        args.constants = {nullptr, nullptr};
        args.outputs = {gearc::value_type::tensor_of(gearc::dtype::float32, gearc::shape::of({M, N}))};
        args.threads = threads;
        auto k = table.make(args);
        if (!k) continue;
        std::vector<float> A(static_cast<std::size_t>(M * K), 0.5f), B(static_cast<std::size_t>(K * N), 0.25f), C(static_cast<std::size_t>(M * N));
        std::vector<std::int64_t> sa{M, K}, sb{K, N}, sc{M, N};
        gearc::kernels::tensor_ref in[2] = {{gearc::dtype::float32, sa, reinterpret_cast<std::byte*>(A.data())},
                                            {gearc::dtype::float32, sb, reinterpret_cast<std::byte*>(B.data())}};
        gearc::kernels::tensor_ref out[1] = {{gearc::dtype::float32, sc, reinterpret_cast<std::byte*>(C.data())}};
        std::vector<std::byte> scratch(k->scratch_bytes() + 64);
        gearc::kernels::exec_context ctx{&pool, scratch.data(), k->scratch_bytes()};
        k->run(in, out, ctx);
        const int reps = std::max(1, static_cast<int>(2e9 / (2.0 * static_cast<double>(M * K * N))));
        const auto t0 = std::chrono::steady_clock::now();
        for (int r = 0; r < reps; ++r) k->run(in, out, ctx);
        const double s = seconds_since(t0) / reps;
        const double gf = 2.0 * static_cast<double>(M * K * N) / s / 1e9;
        std::printf("| %lld x %lld x %lld | %s | %.3f | %.1f | %.0f%% |\n", static_cast<long long>(M), static_cast<long long>(K),
                    static_cast<long long>(N), k->name().c_str(), s * 1e3, gf, 100 * gf / all);
    }
    return 0;
}
