// The CPU kernel table, compiled once for every test of the run time (they define GEARC_CPU_KERNELS_EXTERN).
#define GEARC_CPU_KERNELS_IMPLEMENTATION
#include <gearc/kernels/cpu_kernels.hpp>
