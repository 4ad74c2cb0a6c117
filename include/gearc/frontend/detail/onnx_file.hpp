// Internal to the ONNX front end: files — parsing a ModelProto from bytes, and writing files atomically.
#pragma once

#include <gearc/gearc.hpp>  // with detail/atomic_file.hpp (through model_file.hpp; in the single header too)
#include <gearc/frontend/detail/onnx_common.hpp>

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

GEARC_BEGIN_NAMESPACE
namespace onnx::detail {

/// Parses a serialised ModelProto. Any failure is GC1002 naming the model.
inline void parse_model(const void* data, std::size_t size, ::onnx::ModelProto& m, const load_context& ctx) {
    if (size == 0) ctx.fail(errc::model_parse, "not an ONNX model: it is empty");
    if (size > static_cast<std::size_t>(INT_MAX))
        ctx.fail(errc::model_parse, "not an ONNX model: it has " + std::to_string(size) +
                                        " bytes, but a protobuf message cannot exceed 2 GiB",
                 "Store the weights as external data (onnx.save_model(..., save_as_external_data=True)).");
    google::protobuf::io::CodedInputStream in(static_cast<const std::uint8_t*>(data), static_cast<int>(size));
    in.SetTotalBytesLimit(INT_MAX);  // the default (64 MiB in old protobufs) is far below real models
    if (!m.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
        ctx.fail(errc::model_parse, "not an ONNX model: protobuf cannot parse it (truncated, corrupt, or another format)",
                 "Check that the file is a complete .onnx model.");
}

/// Writes a file atomically (gearc::detail::atomic_file: a temporary file in the same directory replaces
/// `path` only on commit(); until then, and if anything fails, `path` is untouched). Errors are GC1001 naming `path`.
class file_writer : public gearc::detail::atomic_file {
public:
    explicit file_writer(std::string path)
        : atomic_file(std::move(path), errc::file_io, "Check that the directory exists and is writable.") {}

    void write_zeros(std::size_t n) {
        static constexpr char zeros[256] = {};
        while (n > 0) {
            const auto k = std::min(n, sizeof zeros);
            write(zeros, k);
            n -= k;
        }
    }
};

}  // namespace onnx::detail
GEARC_END_NAMESPACE
