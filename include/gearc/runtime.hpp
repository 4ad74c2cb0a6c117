// gearc's run time: everything in gearc.hpp plus devices, kernels and sessions. The kernels need Eigen and
// xsimd, and take a while to compile, so they are kept out of gearc.hpp (and of the dependency-free single header).
#pragma once

#include <gearc/gearc.hpp>
#include <gearc/device/thread_pool.hpp>
#include <gearc/device/cpu.hpp>
#include <gearc/kernels/kernel.hpp>
#include <gearc/kernels/cpu_kernels.hpp>
#include <gearc/session.hpp>
