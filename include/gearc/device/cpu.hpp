// device::cpu: the CPU device policy (aligned host memory, a thread pool, the SIMD kernels of kernels/cpu/).
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/device/thread_pool.hpp>

#include <concepts>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <string_view>

GEARC_BEGIN_NAMESPACE

namespace device {

/// What a device policy provides, all at compile time: its name, its memory (allocate/deallocate with an
/// alignment) and its threading. Its kernels come from kernels::device_kernels<Device>.
template <class D>
concept device_policy = requires(std::size_t n, std::byte* p) {
    { D::name } -> std::convertible_to<std::string_view>;
    { D::alignment } -> std::convertible_to<std::size_t>;
    { D::allocate(n) } -> std::same_as<std::byte*>;
    D::deallocate(p);
    typename D::pool_type;
};

/// Host memory and host threads; kernels in include/gearc/kernels/cpu/.
struct cpu {
    static constexpr std::string_view name = "cpu";
    static constexpr std::size_t alignment = 64;  ///< a cache line, and an AVX-512 vector
    using pool_type = thread_pool;

    [[nodiscard]] static std::byte* allocate(std::size_t bytes) {
        if (bytes == 0) return nullptr;
        const std::size_t n = (bytes + alignment - 1) / alignment * alignment;
        void* p = std::aligned_alloc(alignment, n);
        if (!p) throw std::bad_alloc();
        return static_cast<std::byte*>(p);
    }
    static void deallocate(std::byte* p) noexcept { std::free(p); }
};

static_assert(device_policy<cpu>);

}  // namespace device

GEARC_END_NAMESPACE
