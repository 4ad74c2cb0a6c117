// The options of the ONNX front end: load_options (import) and save_options (export).
#pragma once

#include <gearc/gearc.hpp>

#include <cstddef>
#include <string>
#include <vector>

GEARC_BEGIN_NAMESPACE
namespace onnx {

/// How gearc::onnx::load reads a model.
struct load_options {
    /// Operator domains besides ONNX's own ("", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training") that
    /// the caller handles itself, e.g. a custom operator set. Nodes in any other domain are refused (GC1004).
    std::vector<std::string> extra_domains;
    /// Copy external data into memory instead of mapping the data files. Mapping costs no time and no
    /// memory, but a data file that is truncated while the graph lives makes reads fault (SIGBUS).
    bool copy_external_data = false;
};

/// How gearc::onnx::save writes a model.
struct save_options {
    /// When not empty, initializers of at least external_data_threshold bytes are written to this file
    /// (a relative path, resolved against the model's directory) as ONNX external data instead of inline.
    /// Needed for models over 2 GiB: protobuf cannot serialise a larger message.
    std::string external_data_file;
    /// The size (bytes) from which an initializer goes to external_data_file.
    std::size_t external_data_threshold = 1024;
    /// Offsets in the external data file are multiples of this (so that mapped tensors are aligned).
    std::size_t external_data_alignment = 64;
};

}  // namespace onnx
GEARC_END_NAMESPACE
