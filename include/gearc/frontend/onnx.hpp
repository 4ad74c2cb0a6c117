// The ONNX front end: load .onnx models (external data included) into gearc graphs, and save graphs as .onnx.
#pragma once

#include <gearc/gearc.hpp>
#include <gearc/frontend/detail/onnx_options.hpp>
#include <gearc/frontend/detail/onnx_common.hpp>
#include <gearc/frontend/detail/onnx_file.hpp>
#include <gearc/frontend/detail/onnx_tensor.hpp>
#include <gearc/frontend/detail/onnx_import.hpp>
#include <gearc/frontend/detail/onnx_export.hpp>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <sys/stat.h>

GEARC_BEGIN_NAMESPACE
namespace onnx {

/// The range of models gearc reads: IR versions 3 to 8, default-domain opsets 7 to 17.
inline constexpr std::int64_t min_ir_version = detail::min_ir_version;
inline constexpr std::int64_t max_ir_version = detail::max_ir_version;
inline constexpr std::int64_t min_opset = detail::min_default_opset;
inline constexpr std::int64_t max_opset = detail::max_default_opset;

/// Builds a graph from a parsed model, taking its tensor bytes over instead of copying them. External
/// data is looked up under `base_dir`; `name` is how errors name the model.
[[nodiscard]] inline std::unique_ptr<graph> from_proto(::onnx::ModelProto&& model, const load_options& opts = {},
                                                       std::string base_dir = ".", std::string name = "<memory>") {
    detail::load_context ctx;
    ctx.model = std::move(name);
    ctx.base_dir = base_dir.empty() ? std::string(".") : std::move(base_dir);
    ctx.opts = &opts;
    return detail::model_from_onnx(model, ctx);
}

/// Loads a model from serialised bytes (not kept after the call). External data is looked up under
/// `base_dir`. Errors name the model "<memory>".
[[nodiscard]] inline std::unique_ptr<graph> load_from_memory(const void* data, std::size_t size, const load_options& opts = {},
                                                             std::string base_dir = ".") {
    detail::load_context ctx;
    ctx.model = "<memory>";
    ctx.opts = &opts;
    ::onnx::ModelProto m;
    detail::parse_model(data, size, m, ctx);
    return from_proto(std::move(m), opts, std::move(base_dir));
}

/// Loads an ONNX model file. External data files are resolved against the model's directory and
/// mapped, not read: initializers point into the mapping, which lives as long as they do.
/// Throws model_error (graph_error GC1007 for a cycle) whose what() starts with the code and names the file:
/// GC1001 unreadable, GC1002 not a valid model, GC1003 IR version or opset out of range, GC1004 unknown
/// domain, GC1005 external data missing or out of range, GC1006 a dangling value, GC1008 a feature gearc
/// cannot represent (string or sparse tensors, map types, functions), GC1009 a value defined twice,
/// GC1010 tensor bytes that do not match the tensor's type and shape.
[[nodiscard]] inline std::unique_ptr<graph> load(const std::string& path, const load_options& opts = {}) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw model_error(errc::file_io, "cannot open model [" + path + "]: " + std::strerror(errno),
                          "Check that the file exists and is readable.");
    if (S_ISDIR(st.st_mode)) throw model_error(errc::file_io, "cannot open model [" + path + "]: it is a directory, not a file");
    if (!S_ISREG(st.st_mode)) throw model_error(errc::file_io, "cannot open model [" + path + "]: it is not a regular file");
    auto file = gearc::detail::mapped_file::open(path);  // GC1001 naming the path on failure

    detail::load_context ctx;
    ctx.model = path;
    ctx.opts = &opts;
    ::onnx::ModelProto m;
    detail::parse_model(file->data(), file->size(), m, ctx);
    file.reset();  // the message holds its own copy now

    auto dir = std::filesystem::path(path).parent_path();
    auto g = from_proto(std::move(m), opts, dir.empty() ? std::string(".") : dir.string(), path);
    g->info().source_path = path;
    return g;
}

/// The graph as a ModelProto. External data is not possible here: every tensor is inline.
[[nodiscard]] inline ::onnx::ModelProto to_proto(const graph& g) {
    save_options opts;
    detail::export_context ctx;
    ctx.opts = &opts;
    return detail::model_to_onnx(g, ctx);
}

/// The graph as the bytes of an .onnx file (every tensor inline). GC1008 when they would exceed
/// protobuf's 2 GiB limit: use save() with save_options::external_data_file then.
[[nodiscard]] inline std::string to_bytes(const graph& g, const save_options& opts = {}) {
    if (!opts.external_data_file.empty())
        throw model_error(errc::file_io, "to_bytes cannot write the external data file [" + opts.external_data_file + "]",
                          "Use save(), or leave save_options::external_data_file empty.");
    detail::export_context ctx;
    ctx.opts = &opts;
    return detail::serialize(detail::model_to_onnx(g, ctx));
}

/// Saves the graph as an ONNX model. The file is written whole or not at all: the bytes go to a
/// temporary file in the same directory that then replaces `path`. With save_options::external_data_file
/// set, large initializers go to that file (next to the model, also replaced atomically).
/// Throws model_error GC1001 naming the file that could not be written.
inline void save(const graph& g, const std::string& path, const save_options& opts = {}) {
    auto dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    detail::export_context ctx;
    ctx.opts = &opts;
    std::optional<detail::file_writer> data;
    if (!opts.external_data_file.empty()) {
        const std::filesystem::path rel(opts.external_data_file);
        bool escapes = rel.is_absolute() || !rel.has_filename();
        for (const auto& part : rel) escapes = escapes || part == "..";
        if (escapes)
            throw model_error(errc::file_io, "cannot write external data file [" + opts.external_data_file +
                                                 "]: it must be a relative file name inside the model's directory");
        if ((dir / rel).lexically_normal() == std::filesystem::path(path).lexically_normal())
            throw model_error(errc::file_io, "cannot write external data file [" + opts.external_data_file +
                                                 "]: it is the model file itself");
        data.emplace((dir / rel).string());
        ctx.data_file = &*data;
        ctx.data_location = rel.generic_string();
    }
    const auto bytes = detail::serialize(detail::model_to_onnx(g, ctx));
    detail::file_writer out(path);
    out.write(bytes.data(), bytes.size());
    if (data && ctx.external_tensors > 0) data->commit();  // else its temporary file is removed
    out.commit();
}

}  // namespace onnx
GEARC_END_NAMESPACE
