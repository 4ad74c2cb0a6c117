// gearc's umbrella header: the IR, the verifier, errors, gear options, the passes and compile() (everything but the ONNX front end).
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/gearc_fwd.hpp>
#include <gearc/error.hpp>
#include <gearc/dtype.hpp>
#include <gearc/dim.hpp>
#include <gearc/shape.hpp>
#include <gearc/tensor.hpp>
#include <gearc/value_type.hpp>
#include <gearc/attribute.hpp>
#include <gearc/value.hpp>
#include <gearc/node.hpp>
#include <gearc/graph.hpp>
#include <gearc/verifier.hpp>
#include <gearc/printer.hpp>
#include <gearc/gear_set.hpp>
#include <gearc/gear_options.hpp>
#include <gearc/config_file.hpp>
#include <gearc/dim_expr.hpp>
#include <gearc/passes/pass.hpp>
#include <gearc/passes/infer_shapes.hpp>
#include <gearc/passes/fusion_switch.hpp>
#include <gearc/passes/registry.hpp>
#include <gearc/compile.hpp>
