// A consumer program: builds a tiny graph through the public API and checks it, as a user's project would.
#include <gearc/gearc.hpp>
#ifdef CONSUMER_WITH_ONNX
#include <gearc/frontend/onnx.hpp>
#endif

#include <cstdio>

int main() {
    gearc::graph g("consumer");
    auto* x = g.add_input("x", gearc::value_type::tensor_of(gearc::dtype::float32, gearc::shape{gearc::dim::symbol("N"), 4}));
    auto* relu = g.add_node("Relu", {x}, 1, {}, "relu");
    g.add_output(relu->output(0));
    if (!gearc::verify(g).empty()) return 1;
#ifdef CONSUMER_WITH_ONNX
    auto bytes = gearc::onnx::to_bytes(g);
    auto back = gearc::onnx::load_from_memory(bytes.data(), bytes.size());
    if (back->num_nodes() != 1) return 2;
#endif
    std::printf("consumer ok: gearc %d.%d.%d\n", GEARC_VERSION_MAJOR, GEARC_VERSION_MINOR, GEARC_VERSION_PATCH);
    return 0;
}
