// Internal to the ONNX front end: files — parsing a ModelProto from bytes, and writing files atomically.
#pragma once

#include <gearc/gearc.hpp>
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

/// Writes a file atomically: the bytes go to a temporary file in the same directory, which replaces
/// `path` only on commit(). Until then, and if anything fails, `path` is untouched and the temporary
/// file is removed. Errors are GC1001 naming `path`.
class file_writer {
public:
    explicit file_writer(std::string path) : path_(std::move(path)) {
        static std::atomic<unsigned> counter{0};
        for (int attempt = 0; fd_ < 0; ++attempt) {
            tmp_ = path_ + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
            // 0666 & ~umask, like any new file; the name is unique, O_EXCL makes sure.
            fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd_ < 0 && (errno != EEXIST || attempt > 100)) {
                tmp_.clear();  // not ours: nothing to remove
                fail("cannot create");
            }
        }
    }
    file_writer(const file_writer&) = delete;
    file_writer& operator=(const file_writer&) = delete;
    ~file_writer() { abort(); }

    void write(const void* data, std::size_t size) {
        const auto* p = static_cast<const char*>(data);
        while (size > 0) {
            const auto n = ::write(fd_, p, std::min<std::size_t>(size, std::size_t{1} << 30));
            if (n < 0) {
                if (errno == EINTR) continue;
                fail("cannot write");
            }
            p += n;
            size -= static_cast<std::size_t>(n);
        }
    }
    void write_zeros(std::size_t n) {
        static constexpr char zeros[256] = {};
        while (n > 0) {
            const auto k = std::min(n, sizeof zeros);
            write(zeros, k);
            n -= k;
        }
    }

    /// Flushes the data to disk and puts the file in place of `path`.
    void commit() {
        if (::fsync(fd_) != 0) fail("cannot write");
        if (::close(fd_) != 0) {
            fd_ = -1;
            fail("cannot write");
        }
        fd_ = -1;
        if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("cannot replace");
        tmp_.clear();
    }

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    [[noreturn]] void fail(const char* what) {
        const int e = errno;
        abort();
        throw model_error(errc::file_io, std::string(what) + " file [" + path_ + "]: " + std::strerror(e),
                          "Check that the directory exists and is writable.");
    }
    void abort() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
        tmp_.clear();
    }

    std::string path_;
    std::string tmp_;
    int fd_ = -1;
};

}  // namespace onnx::detail
GEARC_END_NAMESPACE
