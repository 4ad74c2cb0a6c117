// Must not compile: device::cpu has no Conv kernel on float64, and require_kernel says so at compile time.
#include <gearc/runtime.hpp>

int main() {
    static_assert(gearc::kernels::has_kernel_v<gearc::device::cpu, "Conv", float>);
    gearc::kernels::require_kernel<gearc::device::cpu, "Conv", double>();
}
