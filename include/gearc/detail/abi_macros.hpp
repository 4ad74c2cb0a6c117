// The version numbers and the macros that open and close gearc's versioned namespace.
#pragma once

#define GEARC_VERSION_MAJOR 0
#define GEARC_VERSION_MINOR 1
#define GEARC_VERSION_PATCH 0

#define GEARC_ABI_CONCAT_EX(a, b) a##b
#define GEARC_ABI_CONCAT(a, b) GEARC_ABI_CONCAT_EX(a, b)
#define GEARC_ABI_TAG GEARC_ABI_CONCAT(v, GEARC_VERSION_MAJOR)

// Every public name lives in gearc::v0; the inline namespace keeps two ABI-incompatible
// versions linked into one program from colliding while users still write gearc::graph.
#define GEARC_BEGIN_NAMESPACE \
    namespace gearc {         \
    inline namespace GEARC_ABI_TAG {
#define GEARC_END_NAMESPACE \
    }                       \
    }
