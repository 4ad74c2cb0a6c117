// The CPU kernel table, compiled once per build for the gearc tool and every test of the run time (they define
// GEARC_CPU_KERNELS_EXTERN and link this object, target gearc_cpu_kernels).
#define GEARC_CPU_KERNELS_IMPLEMENTATION
#include <gearc/kernels/cpu_kernels.hpp>
