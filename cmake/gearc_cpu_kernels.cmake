# gearc_cpu_kernels: the CPU kernel table compiled once per build tree (tools/cpu_kernels.cpp defines
# GEARC_CPU_KERNELS_IMPLEMENTATION), for the gearc tool and the tests of the run time, which define
# GEARC_CPU_KERNELS_EXTERN and add $<TARGET_OBJECTS:gearc_cpu_kernels>. Each copy costs minutes to compile.
if(TARGET gearc_cpu_kernels)
  return()
endif()
add_library(gearc_cpu_kernels OBJECT ${PROJECT_SOURCE_DIR}/tools/cpu_kernels.cpp)
target_link_libraries(gearc_cpu_kernels PUBLIC gearc::gearc gearc_warnings)
target_compile_definitions(gearc_cpu_kernels PUBLIC GEARC_CPU_KERNELS_EXTERN)
# Kernel speed matters even when the rest builds at -O1 (the tests, the tool's end-to-end runs).
if(CMAKE_BUILD_TYPE MATCHES "Rel" AND NOT GEARC_SANITIZE)
  target_compile_options(gearc_cpu_kernels PRIVATE -O2)
endif()
