# Tests that prove gearc works the ways users consume it: an installed copy via find_package,
# add_subdirectory, FetchContent, and the single header alone. Plus compile-fail tests and the
# single-header freshness check.
set(_consumers ${CMAKE_CURRENT_SOURCE_DIR}/consumers)
set(_cbin ${CMAKE_CURRENT_BINARY_DIR}/consumers)

add_test(NAME consumer_install
  COMMAND ${CMAKE_COMMAND} --install ${PROJECT_BINARY_DIR} --prefix ${_cbin}/prefix)
set_tests_properties(consumer_install PROPERTIES FIXTURES_SETUP gearc_installed LABELS consumer)

macro(gearc_consumer_test name dir)
  add_test(NAME consumer_${name}
    COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${_consumers}/${dir} ${_cbin}/${name}
      --build-generator ${CMAKE_GENERATOR} --build-noclean
      --build-options ${ARGN}
      --test-command ${_cbin}/${name}/consumer)
  set_tests_properties(consumer_${name} PROPERTIES LABELS consumer PASS_REGULAR_EXPRESSION "consumer ok")
endmacro()

gearc_consumer_test(find_package find_package -DCMAKE_PREFIX_PATH=${_cbin}/prefix -DCMAKE_BUILD_TYPE=Release)
set_tests_properties(consumer_find_package PROPERTIES FIXTURES_REQUIRED gearc_installed)
gearc_consumer_test(add_subdirectory add_subdirectory -DGEARC_SOURCE_DIR=${PROJECT_SOURCE_DIR})
gearc_consumer_test(fetch_content fetch_content -DGEARC_SOURCE_DIR=${PROJECT_SOURCE_DIR})
gearc_consumer_test(single_header single_header -DGEARC_SINGLE_INCLUDE_DIR=${PROJECT_SOURCE_DIR}/single_include)

# The installed copy's ONNX consumer runs too (the find_package project builds it when gearc::onnx exists).
if(GEARC_ONNX)
  add_test(NAME consumer_find_package_onnx COMMAND ${_cbin}/find_package/consumer_onnx)
  set_tests_properties(consumer_find_package_onnx PROPERTIES DEPENDS consumer_find_package LABELS consumer
    PASS_REGULAR_EXPRESSION "consumer ok")
  add_test(NAME consumer_add_subdirectory_onnx COMMAND ${_cbin}/add_subdirectory/consumer_onnx)
  set_tests_properties(consumer_add_subdirectory_onnx PROPERTIES DEPENDS consumer_add_subdirectory LABELS consumer
    PASS_REGULAR_EXPRESSION "consumer ok")
endif()

add_test(NAME single_header_is_fresh COMMAND ${PROJECT_SOURCE_DIR}/single_include/check.sh)
set_tests_properties(single_header_is_fresh PROPERTIES LABELS consumer)

add_test(NAME compile_fail_internal_header
  COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -I${PROJECT_SOURCE_DIR}/include
    ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/internal_header.cpp)
set_tests_properties(compile_fail_internal_header PROPERTIES LABELS compile_fail
  PASS_REGULAR_EXPRESSION "this is an internal gearc header")

# gearc is also meant to build with clang: a syntax-only pass (two at a time) over the sources that between them
# include every header: the tool (the whole library, the ONNX front end, the run time), the CPU kernels
# (tools/cpu_kernels.cpp, every kernel family), the examples (which CI does not build with GCC), and the IR and
# compile tests (user-defined traits and passes). Every test TU once took 140 s of the suite's time.
find_program(GEARC_CLANGXX NAMES clang++ clang++-14)
if(GEARC_CLANGXX)
  file(GLOB _clang_sources ${PROJECT_SOURCE_DIR}/examples/*.cpp ${PROJECT_SOURCE_DIR}/tools/*.cpp)
  foreach(_t unit-ir unit-compile)
    list(APPEND _clang_sources ${CMAKE_CURRENT_SOURCE_DIR}/${_t}.cpp)
  endforeach()
  add_test(NAME compile_with_clang
    COMMAND ${CMAKE_COMMAND} -E env sh -c "printf '%s\\n' \"$@\" | xargs -P 2 -I SRC ${GEARC_CLANGXX} -std=c++20 -Wall -Wextra -Werror -fsyntax-only -DONNX_NAMESPACE=onnx -DONNX_ML=1 -DGEARC_CPU_KERNELS_EXTERN -DGEARC_SOURCE_DIR=\\\"x\\\" -DGEARC_TEST_DATA=\\\"x\\\" -I${PROJECT_SOURCE_DIR}/include -isystem /usr/include/eigen3 SRC && echo clang ok" sh ${_clang_sources})
  set_tests_properties(compile_with_clang PROPERTIES LABELS compile PASS_REGULAR_EXPRESSION "clang ok")
endif()

# An (operator, device, dtype) without a kernel fails to compile, naming what is missing.
add_test(NAME compile_fail_missing_kernel
  COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -DGEARC_CPU_KERNELS_EXTERN -I${PROJECT_SOURCE_DIR}/include
    -isystem /usr/include/eigen3 ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/missing_kernel.cpp)
set_tests_properties(compile_fail_missing_kernel PROPERTIES LABELS compile_fail
  PASS_REGULAR_EXPRESSION "Device = gearc::[^;]*device::cpu; [^;]*Op = op_name<5>.\"Conv\".; Ts = .double.*this device has no kernel for this operator")
