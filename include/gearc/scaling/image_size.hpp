// An image's width and height read from its file header without decoding pixels: PNG, JPEG, BMP, GIF and WebP.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

GEARC_BEGIN_NAMESPACE
namespace scaling {

/// The image file formats whose size gearc reads from the header.
enum class image_format { png, jpeg, bmp, gif, webp };

/// The format's usual name: "PNG", "JPEG", "BMP", "GIF" or "WebP".
[[nodiscard]] constexpr std::string_view to_string(image_format f) noexcept {
    switch (f) {
        case image_format::png: return "PNG";
        case image_format::jpeg: return "JPEG";
        case image_format::bmp: return "BMP";
        case image_format::gif: return "GIF";
        case image_format::webp: return "WebP";
    }
    return "unknown";
}

/// An image's stored width and height in pixels, and its format. JPEG sizes are those of the frame
/// header, before any EXIF orientation; a top-down BMP reports its height as positive.
struct image_size {
    std::int64_t width = 0;
    std::int64_t height = 0;
    image_format format = image_format::png;

    friend bool operator==(const image_size&, const image_size&) = default;
};

namespace detail::image_probe {

/// How many leading bytes the file overload reads first: more than any fixed header here needs (at most 30).
inline constexpr std::size_t head_size = 64;
/// The block the file overload reads a JPEG in, one block per segment it looks at.
inline constexpr std::size_t block_size = 4096;

inline constexpr std::string_view known_formats = "PNG, JPEG, BMP, GIF or WebP";
inline constexpr std::string_view fix_broken =
    "Re-encode the file (open it and save it again with an image tool) or remove it from the dataset folder.";
inline constexpr std::string_view fix_truncated =
    "The file is cut short (an interrupted copy or download?): copy it again, re-encode it, or remove it from the dataset folder.";

[[nodiscard]] inline std::uint32_t u8(std::span<const std::byte> b, std::size_t i) {
    return std::to_integer<std::uint32_t>(b[i]);
}
[[nodiscard]] inline std::uint32_t be16(std::span<const std::byte> b, std::size_t i) { return u8(b, i) << 8 | u8(b, i + 1); }
[[nodiscard]] inline std::uint32_t be32(std::span<const std::byte> b, std::size_t i) { return be16(b, i) << 16 | be16(b, i + 2); }
[[nodiscard]] inline std::uint32_t le16(std::span<const std::byte> b, std::size_t i) { return u8(b, i) | u8(b, i + 1) << 8; }
[[nodiscard]] inline std::uint32_t le24(std::span<const std::byte> b, std::size_t i) { return le16(b, i) | u8(b, i + 2) << 16; }
[[nodiscard]] inline std::uint32_t le32(std::span<const std::byte> b, std::size_t i) { return le16(b, i) | le16(b, i + 2) << 16; }

/// Whether `b` holds `text` at `at`.
[[nodiscard]] inline bool has(std::span<const std::byte> b, std::size_t at, std::string_view text) {
    if (b.size() < at || b.size() - at < text.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (u8(b, at + i) != static_cast<unsigned char>(text[i])) return false;
    return true;
}

/// "0xC4" (`digits` hex digits).
[[nodiscard]] inline std::string hex(std::uint32_t v, int digits = 2) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%0*X", digits, static_cast<unsigned>(v));
    return buf;
}

/// A chunk tag as text, 'VP8 ' or 'AL\x01H': bytes outside printable ASCII written as \xNN.
[[nodiscard]] inline std::string fourcc(std::span<const std::byte> b, std::size_t at) {
    std::string out = "'";
    for (std::size_t i = at; i < at + 4; ++i) {
        const std::uint32_t c = u8(b, i);
        if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
            out += buf;
        }
    }
    return out + "'";
}

/// The GC5002 error: `name` is a `f` file whose header says `what`.
[[nodiscard]] inline dataset_error broken(image_format f, std::string_view name, const std::string& what,
                                          std::string_view fix = fix_broken) {
    return dataset_error(errc::image_header,
                         "'" + std::string(name) + "' is not a readable " + std::string(to_string(f)) + ": " + what,
                         std::string(fix));
}

/// Throws GC5002 unless `b` holds the `n` bytes the `f` header needs.
inline void need(std::span<const std::byte> b, std::size_t n, image_format f, std::string_view name) {
    if (b.size() < n)
        throw broken(f, name,
                     "the file ends after " + std::to_string(b.size()) + " bytes, inside the header (which needs " +
                         std::to_string(n) + ")",
                     fix_truncated);
}

/// Throws GC5002 when either dimension is 0; otherwise the size.
[[nodiscard]] inline image_size sized(std::int64_t w, std::int64_t h, image_format f, std::string_view name) {
    if (w == 0 || h == 0)
        throw broken(f, name,
                     "the header gives a size of " + std::to_string(w) + "x" + std::to_string(h) +
                         " pixels (width and height must be at least 1)");
    return {w, h, f};
}

[[nodiscard]] inline image_size png_size(std::span<const std::byte> b, std::string_view name) {
    constexpr auto f = image_format::png;
    need(b, 24, f, name);  // signature, then the IHDR chunk's length, tag, width and height
    if (!has(b, 12, "IHDR")) throw broken(f, name, "the first chunk is " + fourcc(b, 12) + ", not 'IHDR'");
    if (be32(b, 8) != 13)
        throw broken(f, name, "the IHDR chunk has length " + std::to_string(be32(b, 8)) + ", not 13");
    const std::uint32_t w = be32(b, 16), h = be32(b, 20);
    if (w > 0x7FFFFFFFu || h > 0x7FFFFFFFu)
        throw broken(f, name,
                     "the header gives a size of " + std::to_string(w) + "x" + std::to_string(h) +
                         " pixels, over PNG's limit of 2^31-1 per side");
    return sized(w, h, f, name);
}

[[nodiscard]] inline image_size gif_size(std::span<const std::byte> b, std::string_view name) {
    need(b, 10, image_format::gif, name);  // "GIF89a", then the logical screen's width and height
    return sized(le16(b, 6), le16(b, 8), image_format::gif, name);
}

[[nodiscard]] inline image_size bmp_size(std::span<const std::byte> b, std::string_view name) {
    constexpr auto f = image_format::bmp;
    need(b, 18, f, name);  // the 14-byte file header, then the DIB header's size
    const std::uint32_t dib = le32(b, 14);
    if (dib == 12) {  // BITMAPCOREHEADER (OS/2 1.x): unsigned 16-bit width and height
        need(b, 22, f, name);
        return sized(le16(b, 18), le16(b, 20), f, name);
    }
    // BITMAPINFOHEADER (40) and its successors (52, 56, 108, 124), and OS/2 2.x headers (16..64 bytes):
    // signed 32-bit width and height, where a negative height means the rows are stored top-down.
    if ((dib >= 16 && dib <= 64) || dib == 108 || dib == 124) {
        need(b, 26, f, name);
        const std::int64_t w = static_cast<std::int32_t>(le32(b, 18));
        const std::int64_t h = static_cast<std::int32_t>(le32(b, 22));
        if (w < 0) throw broken(f, name, "the header gives a negative width (" + std::to_string(w) + ")");
        return sized(w, h < 0 ? -h : h, f, name);
    }
    throw broken(f, name,
                 "the DIB header has size " + std::to_string(dib) +
                     ", which is no known BMP header (12, 16..64, 108 or 124 bytes)");
}

[[nodiscard]] inline image_size webp_size(std::span<const std::byte> b, std::string_view name) {
    constexpr auto f = image_format::webp;
    need(b, 20, f, name);  // "RIFF", file size, "WEBP", then the first chunk's tag and size
    const std::uint32_t chunk = le32(b, 16);
    auto too_short = [&](std::uint32_t least) {
        if (chunk < least)
            throw broken(f, name,
                         "the " + fourcc(b, 12) + " chunk has size " + std::to_string(chunk) + ", too short for its header (" +
                             std::to_string(least) + " bytes)");
    };
    if (has(b, 12, "VP8 ")) {  // lossy: a 3-byte frame tag, the start code 9D 01 2A, 14-bit width and height
        need(b, 30, f, name);
        too_short(10);
        if ((u8(b, 20) & 1) != 0) throw broken(f, name, "the VP8 frame is not a key frame");
        if (u8(b, 23) != 0x9D || u8(b, 24) != 0x01 || u8(b, 25) != 0x2A)
            throw broken(f, name,
                         "the VP8 start code is " + hex(u8(b, 23)) + " " + hex(u8(b, 24)) + " " + hex(u8(b, 25)) +
                             ", not 0x9D 0x01 0x2A");
        return sized(le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF, f, name);
    }
    if (has(b, 12, "VP8L")) {  // lossless: signature 0x2F, then 14-bit width-1 and height-1 and a 3-bit version
        need(b, 25, f, name);
        too_short(5);
        if (u8(b, 20) != 0x2F) throw broken(f, name, "the VP8L signature is " + hex(u8(b, 20)) + ", not 0x2F");
        const std::uint32_t bits = le32(b, 21);
        if (bits >> 29 != 0) throw broken(f, name, "the VP8L version is " + std::to_string(bits >> 29) + ", not 0");
        return sized((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, f, name);
    }
    if (has(b, 12, "VP8X")) {  // extended: flags, 3 reserved bytes, 24-bit canvas width-1 and height-1
        need(b, 30, f, name);
        too_short(10);
        const std::int64_t w = std::int64_t{le24(b, 24)} + 1, h = std::int64_t{le24(b, 27)} + 1;
        if (w * h > std::int64_t{0xFFFFFFFF})
            throw broken(f, name,
                         "the canvas is " + std::to_string(w) + "x" + std::to_string(h) +
                             " pixels, over WebP's limit of 2^32-1 pixels");
        return sized(w, h, f, name);
    }
    throw broken(f, name, "the first chunk is " + fourcc(b, 12) + ", not 'VP8 ', 'VP8L' or 'VP8X'");
}

/// The size from a header of fixed layout (every format but JPEG), whose first bytes are `b`.
[[nodiscard]] inline image_size fixed_header_size(image_format f, std::span<const std::byte> b, std::string_view name) {
    switch (f) {
        case image_format::png: return png_size(b, name);
        case image_format::gif: return gif_size(b, name);
        case image_format::bmp: return bmp_size(b, name);
        case image_format::webp: return webp_size(b, name);
        case image_format::jpeg: break;
    }
    throw broken(f, name, "no fixed-layout header");  // unreachable: JPEG goes to jpeg_size
}

/// The bytes of an image in memory, by offset.
class span_source {
public:
    explicit span_source(std::span<const std::byte> bytes) : bytes_(bytes) {}
    [[nodiscard]] std::uint64_t size() const noexcept { return bytes_.size(); }
    [[nodiscard]] std::optional<std::uint32_t> at(std::uint64_t i) const {
        if (i >= bytes_.size()) return std::nullopt;
        return u8(bytes_, static_cast<std::size_t>(i));
    }

private:
    std::span<const std::byte> bytes_;
};

/// Reads up to `n` bytes of `fd` at `offset` into `out`; fewer only at the end of the file. GC5001 on a read error.
inline std::size_t read_at(int fd, std::uint64_t offset, std::byte* out, std::size_t n, std::string_view name) {
    std::size_t got = 0;
    while (got < n) {
        const std::uint64_t at = offset + got;
        if (at > static_cast<std::uint64_t>(INT64_MAX)) break;
        const ::ssize_t r = ::pread(fd, out + got, n - got, static_cast<::off_t>(at));
        if (r == 0) break;
        if (r < 0) {
            if (errno == EINTR) continue;
            throw dataset_error(errc::dataset_io, "cannot read '" + std::string(name) + "': " + std::strerror(errno),
                                "Check that the file is readable and the disk is healthy, or remove it from the dataset folder.");
        }
        got += static_cast<std::size_t>(r);
    }
    return got;
}

/// The bytes of an image file, by offset, read a block at a time around the offsets asked for: skipping
/// a JPEG segment reads nothing of it but the block its next marker lies in.
class file_source {
public:
    /// Reads `fd`, which holds `size` bytes (for messages), named `name`.
    file_source(int fd, std::uint64_t size, std::string_view name) : fd_(fd), size_(size), name_(name) {}
    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
    [[nodiscard]] std::optional<std::uint32_t> at(std::uint64_t i) {
        if (i < base_ || i - base_ >= len_) {
            base_ = i;
            len_ = read_at(fd_, i, buf_.data(), buf_.size(), name_);
            bytes_read_ += len_;
            if (len_ == 0) return std::nullopt;
        }
        return std::to_integer<std::uint32_t>(buf_[static_cast<std::size_t>(i - base_)]);
    }
    /// How many bytes it has read from the file.
    [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_read_; }

private:
    int fd_;
    std::uint64_t size_;
    std::string_view name_;
    std::array<std::byte, block_size> buf_{};
    std::uint64_t base_ = 0;
    std::size_t len_ = 0;
    std::uint64_t bytes_read_ = 0;
};

/// Whether JPEG marker 0xFFnn starts a frame header: SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC).
[[nodiscard]] constexpr bool is_sof(std::uint32_t marker) noexcept {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

/// The size from a JPEG's frame header (SOFn). Walks the markers after SOI, jumping over each segment
/// by its length, so it reads a block per segment, never the segments' data. Like libjpeg and PIL it
/// passes over fill bytes (0xFF runs) and stray bytes between segments.
template <class Source>
[[nodiscard]] image_size jpeg_size(Source& src, std::string_view name) {
    constexpr auto f = image_format::jpeg;
    auto byte = [&](std::uint64_t i) -> std::uint32_t {
        if (auto b = src.at(i)) return *b;
        throw broken(f, name,
                     "the file ends after " + std::to_string(src.size()) + " bytes, before the frame header (SOF marker)",
                     fix_truncated);
    };
    std::uint64_t pos = 2;  // past SOI (FF D8); every turn moves on by at least one byte
    for (;;) {
        while (byte(pos) != 0xFF) ++pos;
        while (byte(pos) == 0xFF) ++pos;
        const std::uint32_t marker = byte(pos);
        const std::uint64_t marker_at = pos - 1;
        ++pos;
        // FF 00 is a stuffed byte (stray outside a scan); TEM, SOI and RST0..7 stand alone without a length.
        if (marker == 0x00 || marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) continue;
        const std::string where = " at byte " + std::to_string(marker_at);
        if (marker == 0xD9) throw broken(f, name, "no SOF marker before the end of the image (EOI" + where + ")");
        if (marker == 0xDA) throw broken(f, name, "no SOF marker before the image data (SOS" + where + ")");
        const std::uint32_t length = byte(pos) << 8 | byte(pos + 1);
        if (length < 2)
            throw broken(f, name,
                         "the segment of marker " + hex(0xFF00 | marker, 4) + where + " has length " + std::to_string(length) +
                             " (at least 2)");
        if (is_sof(marker)) {
            if (length < 8)
                throw broken(f, name,
                             "the frame header (" + hex(0xFF00 | marker, 4) + where + ") has length " + std::to_string(length) +
                                 ", too short for its fields (at least 8)");
            const std::int64_t h = byte(pos + 3) << 8 | byte(pos + 4);
            const std::int64_t w = byte(pos + 5) << 8 | byte(pos + 6);
            if (h == 0 && w != 0)
                throw broken(f, name,
                             "the frame header gives height 0, to be set by a DNL marker after the first scan, which gearc does not read");
            return sized(w, h, f, name);
        }
        pos += length;
    }
}

/// The GC5003 error for `name`, whose first bytes are `head`.
[[nodiscard]] inline dataset_error unknown_format(std::span<const std::byte> head, std::string_view name) {
    std::string what;
    if (head.empty()) {
        what = "is empty";
    } else {
        what = "starts with";
        for (std::size_t i = 0; i < head.size() && i < 8; ++i) what += " " + hex(u8(head, i)).substr(2);
    }
    return dataset_error(errc::unknown_image_format,
                         "'" + std::string(name) + "' is not a " + std::string(known_formats) + " image: it " + what,
                         "Convert it to " + std::string(known_formats) + ", or remove it from the dataset folder.");
}

}  // namespace detail::image_probe

/// The format whose signature `head` (a file's first bytes: 12 are enough) starts with, or nullopt.
[[nodiscard]] inline std::optional<image_format> detect_image_format(std::span<const std::byte> head) {
    using detail::image_probe::has;
    if (has(head, 0, "\x89PNG\r\n\x1A\n")) return image_format::png;
    if (has(head, 0, "\xFF\xD8\xFF")) return image_format::jpeg;
    if (has(head, 0, "GIF87a") || has(head, 0, "GIF89a")) return image_format::gif;
    if (has(head, 0, "RIFF") && has(head, 8, "WEBP")) return image_format::webp;
    if (has(head, 0, "BM")) return image_format::bmp;
    return std::nullopt;
}

/// The size of the image whose file holds `bytes` (`name_for_errors` names it in messages).
/// Throws dataset_error GC5003 when `bytes` is no PNG, JPEG, BMP, GIF or WebP file, and GC5002 when it
/// is one whose header is truncated or broken (a zero width or height, a bad chunk, no JPEG frame header).
[[nodiscard]] inline image_size read_image_size(std::span<const std::byte> bytes, std::string_view name_for_errors) {
    namespace probe = detail::image_probe;
    const auto f = detect_image_format(bytes);
    if (!f) throw probe::unknown_format(bytes, name_for_errors);
    if (*f == image_format::jpeg) {
        probe::span_source src(bytes);
        return probe::jpeg_size(src, name_for_errors);
    }
    return probe::fixed_header_size(*f, bytes, name_for_errors);
}

namespace detail::image_probe {

/// read_image_size(path), also saying how many bytes it read (`bytes_read` may be null).
[[nodiscard]] inline image_size read_file(const std::filesystem::path& path, std::uint64_t* bytes_read) {
    const std::string name = path.string();
    auto io_error = [&](const std::string& what) {
        return dataset_error(errc::dataset_io, "cannot read '" + name + "': " + what,
                             "Check that the file exists and is readable, or remove it from the dataset folder.");
    };
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    if (st.type() == std::filesystem::file_type::not_found) throw io_error("no such file");
    if (ec) throw io_error(ec.message());
    if (st.type() == std::filesystem::file_type::directory) throw io_error("it is a folder, not a file");
    if (st.type() != std::filesystem::file_type::regular) throw io_error("it is not a regular file");

    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw io_error(std::strerror(errno));
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } close_at_exit{fd};

    std::array<std::byte, head_size> head_buf{};
    const std::span<const std::byte> head(head_buf.data(), read_at(fd, 0, head_buf.data(), head_buf.size(), name));
    if (bytes_read) *bytes_read = head.size();
    const auto f = detect_image_format(head);
    if (!f) throw unknown_format(head, name);
    if (*f != image_format::jpeg) return fixed_header_size(*f, head, name);
    struct ::stat fd_status {};
    if (::fstat(fd, &fd_status) != 0) throw io_error(std::strerror(errno));
    file_source src(fd, static_cast<std::uint64_t>(fd_status.st_size), name);
    struct count_at_exit {
        const file_source& src;
        std::uint64_t* out;
        ~count_at_exit() {
            if (out) *out += src.bytes_read();
        }
    } count{src, bytes_read};
    return jpeg_size(src, name);
}

}  // namespace detail::image_probe

/// The size of the image in the file at `path`, reading only its header: the first 64 bytes, and for a
/// JPEG one block around each marker up to the frame header (never the whole file).
/// Throws dataset_error GC5001 when the file cannot be opened or read, else as the span overload does.
[[nodiscard]] inline image_size read_image_size(const std::filesystem::path& path) {
    return detail::image_probe::read_file(path, nullptr);
}

}  // namespace scaling
GEARC_END_NAMESPACE
