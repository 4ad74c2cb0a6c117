// Forward declarations of gearc's IR templates and their default aliases.
#pragma once

#include <gearc/detail/abi_macros.hpp>

#include <string>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// The IR's customisation point: the containers the graph classes use. Users may supply their own
/// (e.g. with a different allocator) and get basic_graph<my_traits>.
struct default_ir_traits {
    using string_type = std::string;
    template <class T>
    using vector_type = std::vector<T>;
};

template <class Traits = default_ir_traits>
class basic_value;
template <class Traits = default_ir_traits>
class basic_node;
template <class Traits = default_ir_traits>
class basic_attribute;
template <class Traits = default_ir_traits>
class basic_graph;

using value = basic_value<>;
using node = basic_node<>;
using attribute = basic_attribute<>;
using graph = basic_graph<>;

class dim;
class shape;
class tensor;
class buffer;
struct value_type;

GEARC_END_NAMESPACE
