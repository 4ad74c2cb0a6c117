// Read-only memory mapping of a whole file (POSIX), shared by every tensor that points into it.
#pragma once

#include <gearc/detail/internal_header_check.hpp>
#include <gearc/error.hpp>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

GEARC_BEGIN_NAMESPACE
namespace detail {

/// Maps a file read-only; the mapping lives as long as the last shared_ptr to it.
class mapped_file {
public:
    /// Opens and maps `path`; throws model_error(GC1001) naming the path and the system's reason.
    [[nodiscard]] static std::shared_ptr<const mapped_file> open(const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw model_error(errc::file_io, "cannot open file [" + path + "]: " + std::strerror(errno),
                              "Check that the file exists and is readable.");
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            int e = errno;
            ::close(fd);
            throw model_error(errc::file_io, "cannot stat file [" + path + "]: " + std::strerror(e));
        }
        auto m = std::shared_ptr<mapped_file>(new mapped_file());
        m->size_ = static_cast<std::size_t>(st.st_size);
        m->path_ = path;
        if (m->size_ > 0) {
            void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p == MAP_FAILED) {
                int e = errno;
                ::close(fd);
                throw model_error(errc::file_io, "cannot map file [" + path + "]: " + std::strerror(e));
            }
            m->data_ = static_cast<const std::byte*>(p);
        }
        ::close(fd);
        return m;
    }

    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    ~mapped_file() {
        if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
    }

    [[nodiscard]] const std::byte* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    mapped_file() = default;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::string path_;
};

}  // namespace detail
GEARC_END_NAMESPACE
