// Refuses direct inclusion of internal headers: a public gearc header must come first.
// (No include guard on purpose: every internal header runs this check.)
#ifndef GEARC_VERSION_MAJOR
#error "this is an internal gearc header: include <gearc/gearc.hpp> (or <gearc/frontend/onnx.hpp>) instead"
#endif
