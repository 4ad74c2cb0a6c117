// The CPU device's kernel table: fast kernels per operator family first, the reference evaluator last.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/device/cpu.hpp>
#include <gearc/kernels/cpu/conv.hpp>
#include <gearc/kernels/cpu/elementwise.hpp>
#include <gearc/kernels/cpu/gemm.hpp>
#include <gearc/kernels/cpu/misc.hpp>
#include <gearc/kernels/cpu/reference.hpp>
#include <gearc/kernels/kernel.hpp>

GEARC_BEGIN_NAMESPACE

namespace kernels {

template <>
struct device_kernels<device::cpu> {
    [[nodiscard]] static const kernel_table& table() {
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
};

}  // namespace kernels

GEARC_END_NAMESPACE
