// Shape rules: tensor operators (placeholder, being written).
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/passes/infer_context.hpp>

GEARC_BEGIN_NAMESPACE
namespace passes::shape_rules {

template <class Traits>
void add_tensor_rules(shape_rule_table<Traits>&) {}

}  // namespace passes::shape_rules
GEARC_END_NAMESPACE
