// Writing a file atomically (POSIX): a temporary file in the same directory, fsync, then rename over the target.
#pragma once

#include <gearc/detail/internal_header_check.hpp>
#include <gearc/error.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

GEARC_BEGIN_NAMESPACE
namespace detail {

/// The bytes go to `path.tmp-<pid>-<n>` next to `path`, which replaces `path` only on commit(): until then,
/// and whatever fails, `path` is untouched and the temporary file is removed (so a crash or a full disk
/// never leaves a half-written file under the real name). Errors are model_error(`code`) naming `path`
/// and the system's reason, with `solution`.
class atomic_file {
public:
    atomic_file(std::string path, std::string_view code, std::string solution)
        : path_(std::move(path)), code_(code), solution_(std::move(solution)) {
        static std::atomic<unsigned> counter{0};
        for (int attempt = 0; fd_ < 0; ++attempt) {
            tmp_ = path_ + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
            // 0666 & ~umask, like any new file; the name is unique, O_EXCL makes sure.
            fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd_ < 0 && (errno != EEXIST || attempt > 100)) {
                tmp_.clear();  // not ours: nothing to remove
                fail("cannot create a temporary file next to");
            }
        }
    }
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;
    ~atomic_file() { abort(); }

    void write(const void* data, std::size_t size) {
        const auto* p = static_cast<const char*>(data);
        while (size > 0) {
            const auto n = ::write(fd_, p, std::min<std::size_t>(size, std::size_t{1} << 30));
            if (n < 0) {
                if (errno == EINTR) continue;
                fail("cannot write file");
            }
            if (n == 0) {  // no progress and no error: treat as a full device rather than spin
                errno = ENOSPC;
                fail("cannot write file");
            }
            p += n;
            size -= static_cast<std::size_t>(n);
        }
    }

    /// Flushes the data to disk, puts the file in place of `path`, and flushes the directory entry.
    void commit() {
        if (::fsync(fd_) != 0) fail("cannot write file");
        const int fd = std::exchange(fd_, -1);
        if (::close(fd) != 0) fail("cannot write file");
        if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("cannot replace file");
        tmp_.clear();
        // the rename itself reaches the disk with the directory; best effort (not every file system allows it)
        const auto slash = path_.find_last_of('/');
        const std::string dir = slash == std::string::npos ? std::string(".") : (slash == 0 ? std::string("/") : path_.substr(0, slash));
        const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)::fsync(dfd);
            ::close(dfd);
        }
    }

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    [[noreturn]] void fail(const char* what) {
        const int e = errno;
        abort();
        throw model_error(code_, std::string(what) + " [" + path_ + "]: " + std::strerror(e), solution_);
    }
    void abort() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
        tmp_.clear();
    }

    std::string path_;
    std::string code_;
    std::string solution_;
    std::string tmp_;
    int fd_ = -1;
};

}  // namespace detail
GEARC_END_NAMESPACE
