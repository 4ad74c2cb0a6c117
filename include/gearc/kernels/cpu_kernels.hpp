// The CPU device's kernel table: fast kernels per operator family first, the reference evaluator last.
//
// The kernels are most of the run time's compile time (a minute or two per translation unit at -O2). A
// program that includes <gearc/runtime.hpp> in several files can build them once:
//   - in every file:  #define GEARC_CPU_KERNELS_EXTERN  before including gearc (or -DGEARC_CPU_KERNELS_EXTERN),
//                     which declares the table without including the kernel families;
//   - in exactly one: #define GEARC_CPU_KERNELS_IMPLEMENTATION  as well, which defines it.
// Without either macro (the default) the table is an inline function and every file works alone.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/device/cpu.hpp>
#include <gearc/kernels/cpu/coverage.hpp>
#include <gearc/kernels/kernel.hpp>

#include <string_view>

#if !defined(GEARC_CPU_KERNELS_EXTERN) || defined(GEARC_CPU_KERNELS_IMPLEMENTATION)
#include <gearc/kernels/cpu/conv.hpp>
#include <gearc/kernels/cpu/elementwise.hpp>
#include <gearc/kernels/cpu/gemm.hpp>
#include <gearc/kernels/cpu/misc.hpp>
#include <gearc/kernels/cpu/reference.hpp>
#define GEARC_DETAIL_CPU_KERNELS_DEFINED 1
#endif

GEARC_BEGIN_NAMESPACE

namespace kernels {

template <>
struct device_kernels<device::cpu> {
    /// Per operator, the factories of the CPU kernels (built once, on first use; thread-safe).
    [[nodiscard]] static const kernel_table& table();
    /// At compile time: whether a kernel is promised for `op` whose first input is `t` (kernels/cpu/coverage.hpp).
    [[nodiscard]] static constexpr bool covers(std::string_view domain, std::string_view op, dtype t) noexcept {
        return cpu::covers(domain, op, t);
    }
};

#if defined(GEARC_DETAIL_CPU_KERNELS_DEFINED)
#if defined(GEARC_CPU_KERNELS_IMPLEMENTATION)
#define GEARC_DETAIL_CPU_KERNELS_INLINE
#else
#define GEARC_DETAIL_CPU_KERNELS_INLINE inline
#endif
GEARC_DETAIL_CPU_KERNELS_INLINE const kernel_table& device_kernels<device::cpu>::table() {
    static const kernel_table t = [] {
        kernel_table k;
        cpu::register_conv_pool(k);
        cpu::register_gemm(k);
        cpu::register_elementwise(k);
        cpu::register_misc(k);
        cpu::register_reference(k);
        return k;
    }();
    return t;
}
#undef GEARC_DETAIL_CPU_KERNELS_INLINE
#endif

}  // namespace kernels

GEARC_END_NAMESPACE
