// Tests of reading image sizes from file headers: hand-built and PIL-written PNG/JPEG/BMP/GIF/WebP, every error, truncation and mutation.
#include "test_support.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace gearc::scaling;
using gearc_test::temp_dir;

template <>
struct doctest::StringMaker<image_size> {
    static doctest::String convert(const image_size& s) {
        return (std::to_string(s.width) + "x" + std::to_string(s.height) + " " + std::string(to_string(s.format))).c_str();
    }
};

namespace {

using bytes = std::vector<std::byte>;

/// Appends integers and text to a byte vector, as image headers lay them out.
struct builder {
    bytes b;
    builder& u8(std::uint32_t v) {
        b.push_back(static_cast<std::byte>(v & 0xFF));
        return *this;
    }
    builder& be16(std::uint32_t v) { return u8(v >> 8).u8(v); }
    builder& be32(std::uint32_t v) { return be16(v >> 16).be16(v & 0xFFFF); }
    builder& le16(std::uint32_t v) { return u8(v).u8(v >> 8); }
    builder& le24(std::uint32_t v) { return le16(v & 0xFFFF).u8(v >> 16); }
    builder& le32(std::uint32_t v) { return le16(v & 0xFFFF).le16(v >> 16); }
    builder& text(std::string_view s) {
        for (char c : s) u8(static_cast<unsigned char>(c));
        return *this;
    }
    builder& zeros(std::size_t n) {
        b.insert(b.end(), n, std::byte{0});
        return *this;
    }
    [[nodiscard]] std::size_t size() const { return b.size(); }
};

/// A valid header, the size it gives, and how many leading bytes are needed to read it.
struct sample {
    std::string name;
    bytes data;
    image_size expected;
    std::size_t header_length = 0;
};

// ---- hand-built headers ------------------------------------------------------------------------------

sample png(std::uint32_t w, std::uint32_t h) {
    builder b;
    b.text("\x89PNG\r\n\x1A\n").be32(13).text("IHDR").be32(w).be32(h).u8(8).u8(2).zeros(3).be32(0 /* CRC, unchecked */);
    b.be32(0).text("IEND").be32(0xAE426082);
    return {"hand " + std::to_string(w) + "x" + std::to_string(h) + ".png", b.b, {w, h, image_format::png}, 24};
}

sample gif(std::string_view version, std::uint32_t w, std::uint32_t h) {
    builder b;
    b.text(version).le16(w).le16(h).u8(0).u8(0).u8(0).u8(0x3B);
    return {"hand " + std::string(version) + ".gif", b.b, {w, h, image_format::gif}, 10};
}

sample bmp_core(std::uint32_t w, std::uint32_t h) {
    builder b;
    b.text("BM").le32(26).le32(0).le32(26).le32(12).le16(w).le16(h).le16(1).le16(24);
    return {"hand core " + std::to_string(w) + "x" + std::to_string(h) + ".bmp", b.b, {w, h, image_format::bmp}, 22};
}

sample bmp_info(std::uint32_t dib, std::int32_t w, std::int32_t h) {
    builder b;
    b.text("BM").le32(14 + dib).le32(0).le32(14 + dib).le32(dib);
    b.le32(static_cast<std::uint32_t>(w)).le32(static_cast<std::uint32_t>(h)).le16(1).le16(24);
    b.zeros(dib - 12);
    const std::int64_t height = h < 0 ? -std::int64_t{h} : h;
    return {"hand dib" + std::to_string(dib) + " " + std::to_string(w) + "x" + std::to_string(h) + ".bmp", b.b,
            {w, height, image_format::bmp}, 26};
}

builder riff(std::string_view chunk, std::uint32_t chunk_size) {
    builder b;
    b.text("RIFF").le32(12 + chunk_size).text("WEBP").text(chunk).le32(chunk_size);
    return b;
}

/// A lossy WebP; `w` and `h` may carry VP8's 2-bit scale in their top bits.
sample webp_vp8(std::uint32_t w, std::uint32_t h) {
    builder b = riff("VP8 ", 10);
    b.u8(0x10).u8(0x02).u8(0x00).u8(0x9D).u8(0x01).u8(0x2A).le16(w).le16(h);
    return {"hand vp8 " + std::to_string(w) + "x" + std::to_string(h) + ".webp", b.b, {w & 0x3FFF, h & 0x3FFF, image_format::webp}, 30};
}

sample webp_vp8l(std::uint32_t w, std::uint32_t h) {
    builder b = riff("VP8L", 5);
    b.u8(0x2F).le32((w - 1) | (h - 1) << 14 | 1u << 28 /* alpha hint */);
    return {"hand vp8l " + std::to_string(w) + "x" + std::to_string(h) + ".webp", b.b, {w, h, image_format::webp}, 25};
}

sample webp_vp8x(std::uint32_t w, std::uint32_t h) {
    builder b = riff("VP8X", 10);
    b.u8(0x10).zeros(3).le24(w - 1).le24(h - 1);
    b.text("ALPH").le32(0);
    return {"hand vp8x " + std::to_string(w) + "x" + std::to_string(h) + ".webp", b.b, {w, h, image_format::webp}, 30};
}

/// A JPEG frame header (SOFn marker `m`, three components) appended to `b`; returns the header length of the file.
std::size_t sof(builder& b, std::uint32_t m, std::uint32_t w, std::uint32_t h) {
    const std::size_t at = b.size();
    b.u8(0xFF).u8(m).be16(17).u8(8).be16(h).be16(w).u8(3);
    for (std::uint32_t c = 1; c <= 3; ++c) b.u8(c).u8(0x11).u8(0);
    return at + 9;
}

/// What follows the frame header in every hand-built JPEG: a DHT, a scan, entropy data with a stuffed byte, EOI.
void jpeg_tail(builder& b) {
    b.u8(0xFF).u8(0xC4).be16(2 + 17 + 1).u8(0x00).zeros(16).u8(0x00);
    b.u8(0xFF).u8(0xDA).be16(12).u8(3).u8(1).u8(0).u8(2).u8(0x11).u8(3).u8(0x11).u8(0).u8(63).u8(0);
    b.u8(0x12).u8(0xFF).u8(0x00).u8(0x34).u8(0xFF).u8(0xD0).u8(0x56).u8(0xFF).u8(0xD9);
}

builder jfif_start() {
    builder b;
    b.u8(0xFF).u8(0xD8).u8(0xFF).u8(0xE0).be16(16).text(std::string_view("JFIF\0", 5)).u8(1).u8(1).u8(0).be16(1).be16(1).u8(0).u8(0);
    return b;
}

sample jpeg_baseline(std::uint32_t w, std::uint32_t h) {
    builder b = jfif_start();
    b.u8(0xFF).u8(0xDB).be16(67).u8(0).zeros(64);  // DQT
    const std::size_t n = sof(b, 0xC0, w, h);
    jpeg_tail(b);
    return {"hand baseline " + std::to_string(w) + "x" + std::to_string(h) + ".jpg", b.b, {w, h, image_format::jpeg}, n};
}

/// APP0, a comment, an EXIF-sized APP1, fill bytes, then SOF2 (progressive).
sample jpeg_progressive_padded(std::uint32_t w, std::uint32_t h) {
    builder b = jfif_start();
    b.u8(0xFF).u8(0xFE).be16(2 + 5).text("hello");
    b.u8(0xFF).u8(0xE1).be16(2 + 300).text("Exif").zeros(2).zeros(294);
    b.u8(0xFF).u8(0xFF).u8(0xFF).u8(0xFF);  // fill bytes before the next marker
    const std::size_t n = sof(b, 0xC2, w, h);
    jpeg_tail(b);
    return {"hand progressive " + std::to_string(w) + "x" + std::to_string(h) + ".jpg", b.b, {w, h, image_format::jpeg}, n};
}

/// The markers that look like SOFs but are not (DHT C4, JPG C8, DAC CC), standalone markers (RST, TEM, SOI),
/// a stuffed FF 00 and stray bytes between segments, then SOF1.
sample jpeg_lookalikes(std::uint32_t w, std::uint32_t h) {
    builder b;
    b.u8(0xFF).u8(0xD8);
    b.u8(0xFF).u8(0xC4).be16(2 + 17 + 1).u8(0x10).zeros(16).u8(0x00);     // DHT
    b.u8(0xFF).u8(0xC8).be16(2 + 4).be16(0xFFFF).be16(0xFFFF);            // JPG: its data must not be taken for h/w
    b.u8(0xFF).u8(0xCC).be16(2 + 2).u8(0x00).u8(0x11);                    // DAC
    b.u8(0xFF).u8(0xD3).u8(0xFF).u8(0x01).u8(0xFF).u8(0xD8);              // RST3, TEM, SOI
    b.u8(0xFF).u8(0x00).u8(0x42).u8(0x43);                                // a stuffed zero and stray bytes
    b.u8(0xFF).u8(0xEF).be16(2);                                          // an empty APP15
    const std::size_t n = sof(b, 0xC1, w, h);
    jpeg_tail(b);
    return {"hand lookalikes " + std::to_string(w) + "x" + std::to_string(h) + ".jpg", b.b, {w, h, image_format::jpeg}, n};
}

sample jpeg_sof(std::uint32_t marker, std::uint32_t w, std::uint32_t h) {
    builder b;
    b.u8(0xFF).u8(0xD8);
    const std::size_t n = sof(b, marker, w, h);
    jpeg_tail(b);
    return {"hand sof " + std::to_string(marker) + ".jpg", b.b, {w, h, image_format::jpeg}, n};
}

std::vector<sample> hand_samples() {
    std::vector<sample> s{
        png(1, 1),
        png(37, 913),
        png(0x7FFFFFFF, 1),
        gif("GIF87a", 1, 1),
        gif("GIF89a", 4000, 3),
        gif("GIF89a", 65535, 65535),
        bmp_core(37, 913),
        bmp_core(65535, 1),
        bmp_info(40, 4000, 3),
        bmp_info(40, 37, -913),  // top-down
        bmp_info(124, 5, 7),     // BITMAPV5HEADER
        bmp_info(108, 5, 7),     // BITMAPV4HEADER
        bmp_info(64, 9, 10),     // OS/2 2.x
        bmp_info(16, 9, 10),     // OS/2 2.x, shortened
        bmp_info(40, std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::int32_t>::min()),
        webp_vp8(37, 913),
        webp_vp8(0xC000 | 37, 0x4000 | 913),  // scale bits are not part of the size
        webp_vp8(16383, 16383),
        webp_vp8l(1, 1),
        webp_vp8l(37, 913),
        webp_vp8l(16384, 16384),
        webp_vp8x(1, 1),
        webp_vp8x(4000, 3),
        webp_vp8x(16777216, 1),
        webp_vp8x(65536, 65535),
        jpeg_baseline(1, 1),
        jpeg_baseline(37, 913),
        jpeg_progressive_padded(4000, 3),
        jpeg_progressive_padded(65535, 65535),
        jpeg_lookalikes(913, 37),
    };
    for (std::uint32_t m : {0xC3u, 0xC5u, 0xC6u, 0xC7u, 0xC9u, 0xCAu, 0xCBu, 0xCDu, 0xCEu, 0xCFu}) s.push_back(jpeg_sof(m, 17, 5));
    return s;
}

// ---- helpers -----------------------------------------------------------------------------------------

std::span<const std::byte> prefix(const bytes& b, std::size_t n) { return std::span<const std::byte>(b).first(n); }
/// A copy of the first `n` bytes of `b`.
bytes cut(const bytes& b, std::size_t n) { return bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n)); }

/// "CODE: message" of the dataset_error `f` throws (which must say how to fix it); "(no error)" when none;
/// any other exception fails the check.
template <class F>
std::string dataset_error_of(F&& f) {
    try {
        f();
    } catch (const gearc::dataset_error& e) {
        CHECK_FALSE(e.solution().empty());
        return e.what();
    } catch (const std::exception& e) {
        FAIL_CHECK("not a dataset_error: " << e.what());
        return "(other error)";
    }
    return "(no error)";
}

/// The code of the dataset_error reading `b` throws, or "(no error)".
std::string code_reading(std::span<const std::byte> b, std::string_view name = "x") {
    try {
        (void)read_image_size(b, name);
    } catch (const gearc::dataset_error& e) {
        return e.code();
    }
    return "(no error)";
}

/// The error text of reading `b` as `name`.
std::string error_reading(const bytes& b, std::string_view name) {
    return dataset_error_of([&] { (void)read_image_size(b, name); });
}

void write_file(const std::string& path, std::span<const std::byte> b) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    REQUIRE(out.good());
}

bytes read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes b(s.size());
    std::memcpy(b.data(), s.data(), s.size());
    return b;
}

std::string describe(const image_size& s) {
    return std::to_string(s.width) + "x" + std::to_string(s.height) + " " + std::string(to_string(s.format));
}

/// Checks that every prefix shorter than `s.header_length` throws GC5002 or GC5003, and every longer one
/// (up to the whole sample) reads the expected size.
void check_prefixes(const sample& s) {
    CAPTURE(s.name);
    REQUIRE(s.header_length <= s.data.size());
    for (std::size_t n = 0; n <= s.data.size(); ++n) {
        CAPTURE(n);
        if (n < s.header_length) {
            const std::string code = code_reading(prefix(s.data, n));
            CHECK((code == "GC5002" || code == "GC5003"));
        } else {
            CHECK(describe(read_image_size(prefix(s.data, n), s.name)) == describe(s.expected));
        }
    }
}

/// Flips bytes of `data` (at offsets below `span`) many times; every result must be a positive size or a dataset_error.
void mutate(const bytes& data, std::size_t span, std::uint32_t seed, int rounds) {
    std::mt19937 rng(seed);
    span = std::min(span, data.size());
    if (span == 0) return;
    for (int r = 0; r < rounds; ++r) {
        bytes m = data;
        const std::uint32_t flips = 1 + rng() % 4;
        for (std::uint32_t i = 0; i < flips; ++i) {
            const std::size_t at = rng() % span;
            switch (rng() % 4) {
                case 0: m[at] = static_cast<std::byte>(rng()); break;
                case 1: m[at] = std::byte{0xFF}; break;
                case 2: m[at] = std::byte{0x00}; break;
                default: m[at] ^= static_cast<std::byte>(1u << (rng() % 8)); break;
            }
        }
        if (rng() % 8 == 0) m.resize(rng() % (m.size() + 1));
        try {
            const image_size s = read_image_size(m, "mutant");
            CHECK(s.width > 0);
            CHECK(s.height > 0);
        } catch (const gearc::dataset_error& e) {
            CHECK((e.code() == "GC5002" || e.code() == "GC5003"));
        }
    }
}

/// Image files written by Debian's python3-pil, and the size each must read as.
struct pil_samples {
    std::unique_ptr<temp_dir> dir;
    std::vector<sample> files;
};

constexpr std::string_view pil_script = R"PY(
import os, sys
from PIL import Image, features
out = sys.argv[1]
if not features.check("webp"):
    sys.exit(3)
rows = []
def save(img, name, fmt, **kw):
    img.save(os.path.join(out, name), fmt, **kw)
    rows.append("%s %d %d %s" % (name, img.width, img.height, fmt))
for w, h in [(1, 1), (37, 913), (4000, 3), (913, 37)]:
    rgb = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    save(rgb, "%dx%d.png" % (w, h), "PNG")
    save(rgb, "%dx%d-baseline.jpg" % (w, h), "JPEG", quality=90)
    save(rgb, "%dx%d-progressive.jpg" % (w, h), "JPEG", quality=90, progressive=True)
    save(rgb, "%dx%d.bmp" % (w, h), "BMP")
    save(rgb.convert("P"), "%dx%d.gif" % (w, h), "GIF")
    save(rgb, "%dx%d-lossy.webp" % (w, h), "WEBP", quality=80)
    save(rgb, "%dx%d-lossless.webp" % (w, h), "WEBP", lossless=True)
    rgba = rgb.convert("RGBA")
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    save(rgba, "%dx%d-alpha.webp" % (w, h), "WEBP", quality=80)
img = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
exif = img.getexif()
exif[0x0112] = 6
save(img, "icc-exif.jpg", "JPEG", icc_profile=bytes(range(256)) * 600, exif=exif.tobytes(), progressive=True)
save(Image.new("L", (17, 5), 90), "gray.jpg", "JPEG")
save(Image.new("CMYK", (9, 11), (1, 2, 3, 4)), "cmyk.jpg", "JPEG")
save(Image.new("1", (33, 7), 1), "1bit.bmp", "BMP")
save(Image.new("I;16", (21, 8), 700), "16bit.png", "PNG")
save(Image.new("RGBA", (12, 13), (1, 2, 3, 4)), "rgba.png", "PNG")
frames = [Image.new("P", (30, 20), i) for i in range(3)]
frames[0].save(os.path.join(out, "anim.gif"), "GIF", save_all=True, append_images=frames[1:])
rows.append("anim.gif 30 20 GIF")
frames = [Image.new("RGB", (30, 20), (i * 60, 0, 0)) for i in range(3)]
frames[0].save(os.path.join(out, "anim.webp"), "WEBP", save_all=True, append_images=frames[1:])
rows.append("anim.webp 30 20 WEBP")
with open(os.path.join(out, "manifest.txt"), "w") as f:
    f.write("\n".join(rows) + "\n")
)PY";

/// The smallest prefix of `b` that reads as a size (the header length), found by bisection (check_prefixes
/// then checks that it really splits the prefixes into failing and reading ones).
std::size_t header_length_of(const bytes& b) {
    auto reads = [&](std::size_t n) { return code_reading(prefix(b, n)) == "(no error)"; };
    std::size_t lo = 0, hi = b.size();  // reads(hi); the answer is in [lo, hi]
    if (!reads(hi)) return hi + 1;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (reads(mid))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

const pil_samples& pil() {
    static const pil_samples samples = [] {
        pil_samples p;
        p.dir = std::make_unique<temp_dir>("image-size-pil");
        const std::string script = p.dir->file("gen.py");
        {
            std::ofstream out(script);
            out << pil_script;
        }
        const std::string cmd = "/usr/bin/python3 '" + script + "' '" + p.dir->path.string() + "'";
        const int rc = std::system(cmd.c_str());
        INFO("writing test images needs Debian's /usr/bin/python3 with python3-pil (and WebP support): " << cmd);
        REQUIRE(rc == 0);
        std::ifstream manifest(p.dir->file("manifest.txt"));
        std::string name, fmt;
        std::int64_t w = 0, h = 0;
        while (manifest >> name >> w >> h >> fmt) {
            image_format f = fmt == "PNG" ? image_format::png
                           : fmt == "JPEG" ? image_format::jpeg
                           : fmt == "BMP" ? image_format::bmp
                           : fmt == "GIF" ? image_format::gif
                                          : image_format::webp;
            sample s{name, read_file(p.dir->path / name), {w, h, f}, 0};
            s.header_length = header_length_of(s.data);
            p.files.push_back(std::move(s));
        }
        REQUIRE(p.files.size() == 4 * 8 + 8);
        return p;
    }();
    return samples;
}

const sample& pil_file(std::string_view name) {
    for (const auto& s : pil().files)
        if (s.name == name) return s;
    FAIL("no PIL sample " << name);
    throw std::logic_error("unreachable");
}

std::string fourcc_at(const bytes& b, std::size_t at) {
    std::string s;
    for (std::size_t i = at; i < at + 4 && i < b.size(); ++i) s += static_cast<char>(b[i]);
    return s;
}

}  // namespace

// ---- formats and detection ---------------------------------------------------------------------------

TEST_CASE("to_string names every format") {
    CHECK(to_string(image_format::png) == "PNG");
    CHECK(to_string(image_format::jpeg) == "JPEG");
    CHECK(to_string(image_format::bmp) == "BMP");
    CHECK(to_string(image_format::gif) == "GIF");
    CHECK(to_string(image_format::webp) == "WebP");
}

TEST_CASE("detect_image_format reads the signatures and nothing else") {
    auto detect = [](std::string_view text) {
        bytes b;
        for (char c : text) b.push_back(static_cast<std::byte>(c));
        return detect_image_format(b);
    };
    CHECK(detect("\x89PNG\r\n\x1A\n") == image_format::png);
    CHECK(detect("\xFF\xD8\xFF") == image_format::jpeg);
    CHECK(detect("GIF87a") == image_format::gif);
    CHECK(detect("GIF89a") == image_format::gif);
    CHECK(detect("BM") == image_format::bmp);
    CHECK(detect(std::string_view("RIFF\0\0\0\0WEBP", 12)) == image_format::webp);
    CHECK_FALSE(detect(""));
    CHECK_FALSE(detect("\x89PNG\r\n\x1A"));  // one byte short
    CHECK_FALSE(detect("\xFF\xD8"));
    CHECK_FALSE(detect("GIF88a"));
    CHECK_FALSE(detect("B"));
    CHECK_FALSE(detect(std::string_view("RIFF\0\0\0\0WAVE", 12)));
    CHECK_FALSE(detect(std::string_view("RIFF\0\0\0\0WEB", 11)));
    CHECK_FALSE(detect("hello, world"));
    for (const auto& s : hand_samples()) CHECK(detect_image_format(s.data) == s.expected.format);
}

// ---- valid headers -----------------------------------------------------------------------------------

TEST_CASE("hand-built headers of every format read their size, from memory and from a file") {
    temp_dir dir("image-size");
    for (const auto& s : hand_samples()) {
        CAPTURE(s.name);
        CHECK(describe(read_image_size(s.data, s.name)) == describe(s.expected));
        const std::string path = dir.file("sample");
        write_file(path, s.data);
        CHECK(read_image_size(path) == s.expected);
    }
}

TEST_CASE("hand-built headers: every prefix shorter than the header is GC5002/GC5003, every longer one reads") {
    for (const auto& s : hand_samples()) check_prefixes(s);
}

TEST_CASE("hand-built headers: a truncated header says so") {
    CHECK(error_reading(cut(png(5, 6).data, 20), "cut.png") ==
          "GC5002: 'cut.png' is not a readable PNG: the file ends after 20 bytes, inside the header (which needs 24)");
    const sample j = jpeg_baseline(5, 6);
    CHECK(error_reading(cut(j.data, 30), "cut.jpg") ==
          "GC5002: 'cut.jpg' is not a readable JPEG: the file ends after 30 bytes, before the frame header (SOF marker)");
    CHECK(error_reading(cut(j.data, j.header_length - 1), "cut.jpg") ==
          "GC5002: 'cut.jpg' is not a readable JPEG: the file ends after " + std::to_string(j.header_length - 1) +
              " bytes, before the frame header (SOF marker)");
    CHECK(error_reading(builder().u8(0xFF).u8(0xD8).u8(0xFF).b, "soi.jpg") ==
          "GC5002: 'soi.jpg' is not a readable JPEG: the file ends after 3 bytes, before the frame header (SOF marker)");
    const std::string solution = [] {
        try {
            (void)read_image_size(builder().text("BM").b, "b.bmp");
        } catch (const gearc::dataset_error& e) {
            return e.solution();
        }
        return std::string();
    }();
    CHECK(solution.find("cut short") != std::string::npos);
}

TEST_CASE("PIL-written files of several sizes read the size PIL wrote, from memory and from the file") {
    const auto& p = pil();
    for (const auto& s : p.files) {
        CAPTURE(s.name);
        CHECK(describe(read_image_size(s.data, s.name)) == describe(s.expected));
        CHECK(read_image_size(p.dir->path / s.name) == s.expected);
    }
}

TEST_CASE("PIL-written files exercise every header variant") {
    CHECK(fourcc_at(pil_file("37x913-lossy.webp").data, 12) == "VP8 ");
    CHECK(fourcc_at(pil_file("37x913-lossless.webp").data, 12) == "VP8L");
    CHECK(fourcc_at(pil_file("37x913-alpha.webp").data, 12) == "VP8X");
    CHECK(fourcc_at(pil_file("anim.webp").data, 12) == "VP8X");
    auto has_marker = [](const bytes& b, std::uint32_t m) {
        for (std::size_t i = 0; i + 1 < b.size(); ++i)
            if (b[i] == std::byte{0xFF} && b[i + 1] == static_cast<std::byte>(m)) return true;
        return false;
    };
    CHECK(has_marker(pil_file("37x913-baseline.jpg").data, 0xC0));
    CHECK(has_marker(pil_file("37x913-progressive.jpg").data, 0xC2));
    CHECK(has_marker(pil_file("icc-exif.jpg").data, 0xE1));  // EXIF
    CHECK(has_marker(pil_file("icc-exif.jpg").data, 0xE2));  // ICC profile, in several segments
    CHECK(pil_file("icc-exif.jpg").header_length > 150000);
    CHECK(std::to_integer<int>(pil_file("1bit.bmp").data[14]) == 40);  // BITMAPINFOHEADER
}

TEST_CASE("PIL-written files: every prefix shorter than the header is GC5002/GC5003, longer ones read") {
    for (const auto& s : pil().files) {
        CAPTURE(s.name);
        REQUIRE(s.header_length <= s.data.size());
        sample head = s;
        head.data.resize(std::min(s.data.size(), s.header_length + 64));
        check_prefixes(head);
        CHECK(read_image_size(s.data, s.name) == s.expected);
    }
}

TEST_CASE("a file is read only as far as its header: 64 bytes, and for a JPEG a block per segment") {
    temp_dir dir("image-size");
    std::uint64_t n = 0;
    SUBCASE("PNG, GIF, BMP, WebP: the first 64 bytes") {
        for (const char* name : {"37x913.png", "37x913.gif", "37x913.bmp", "37x913-lossy.webp", "37x913-alpha.webp"}) {
            CAPTURE(name);
            CHECK(gearc::scaling::detail::image_probe::read_file(pil().dir->path / name, &n) == pil_file(name).expected);
            CHECK(n == 64);
        }
    }
    SUBCASE("a JPEG with 4 MiB of comments before its frame header") {
        builder b = jfif_start();
        for (int i = 0; i < 64; ++i) b.u8(0xFF).u8(0xFE).be16(65535).zeros(65533);
        sof(b, 0xC2, 321, 123);
        jpeg_tail(b);
        const std::string path = dir.file("big.jpg");
        write_file(path, b.b);
        CHECK(gearc::scaling::detail::image_probe::read_file(path, &n) == image_size{321, 123, image_format::jpeg});
        CHECK(n <= 64 + 66 * 4096);
        CHECK(n < b.size() / 10);
    }
    SUBCASE("a JPEG with a 150 kB ICC profile") {
        const auto& s = pil_file("icc-exif.jpg");
        CHECK(gearc::scaling::detail::image_probe::read_file(pil().dir->path / s.name, &n) == s.expected);
        CHECK(n < 20 * 4096);
    }
}

TEST_CASE("a JPEG frame header that straddles the file reader's block boundary reads the same") {
    temp_dir dir("image-size");
    for (std::uint32_t pad = 4070; pad <= 4100; ++pad) {
        CAPTURE(pad);
        builder b;
        b.u8(0xFF).u8(0xD8).u8(0xFF).u8(0xFE).be16(2 + pad).zeros(pad);
        sof(b, 0xC0, 1000 + pad, 7);
        jpeg_tail(b);
        const std::string path = dir.file("s.jpg");
        write_file(path, b.b);
        CHECK(read_image_size(path) == image_size{1000 + pad, 7, image_format::jpeg});
    }
}

// ---- errors ------------------------------------------------------------------------------------------

TEST_CASE("zero width or height is GC5002 in every format") {
    CHECK(error_reading(png(0, 5).data, "z.png") ==
          "GC5002: 'z.png' is not a readable PNG: the header gives a size of 0x5 pixels (width and height must be at least 1)");
    CHECK(code_reading(png(5, 0).data) == "GC5002");
    CHECK(error_reading(gif("GIF89a", 0, 0).data, "z.gif") ==
          "GC5002: 'z.gif' is not a readable GIF: the header gives a size of 0x0 pixels (width and height must be at least 1)");
    CHECK(code_reading(gif("GIF87a", 3, 0).data) == "GC5002");
    CHECK(code_reading(bmp_core(0, 3).data) == "GC5002");
    CHECK(code_reading(bmp_core(3, 0).data) == "GC5002");
    CHECK(error_reading(bmp_info(40, 3, 0).data, "z.bmp") ==
          "GC5002: 'z.bmp' is not a readable BMP: the header gives a size of 3x0 pixels (width and height must be at least 1)");
    CHECK(code_reading(bmp_info(124, 0, -3).data) == "GC5002");
    CHECK(code_reading(webp_vp8(0, 3).data) == "GC5002");
    CHECK(code_reading(webp_vp8(0xC000, 3).data) == "GC5002");  // only scale bits
    CHECK(code_reading(webp_vp8(3, 0x4000).data) == "GC5002");
    CHECK(error_reading(jpeg_baseline(0, 5).data, "z.jpg") ==
          "GC5002: 'z.jpg' is not a readable JPEG: the header gives a size of 0x5 pixels (width and height must be at least 1)");
    CHECK(error_reading(jpeg_baseline(5, 0).data, "dnl.jpg") ==
          "GC5002: 'dnl.jpg' is not a readable JPEG: the frame header gives height 0, to be set by a DNL marker after the first "
          "scan, which gearc does not read");
    CHECK(code_reading(jpeg_progressive_padded(0, 0).data) == "GC5002");
}

TEST_CASE("broken PNG headers are GC5002") {
    bytes b = png(5, 6).data;
    SUBCASE("first chunk not IHDR") {
        b[12] = std::byte{'C'}, b[13] = std::byte{'g'}, b[14] = std::byte{'B'}, b[15] = std::byte{'I'};
        CHECK(error_reading(b, "a.png") == "GC5002: 'a.png' is not a readable PNG: the first chunk is 'CgBI', not 'IHDR'");
        b[13] = std::byte{0x01};
        CHECK(error_reading(b, "a.png") == "GC5002: 'a.png' is not a readable PNG: the first chunk is 'C\\x01BI', not 'IHDR'");
    }
    SUBCASE("IHDR of the wrong length") {
        b[11] = std::byte{12};
        CHECK(error_reading(b, "a.png") == "GC5002: 'a.png' is not a readable PNG: the IHDR chunk has length 12, not 13");
    }
    SUBCASE("over 2^31-1") {
        CHECK(error_reading(png(0x80000000u, 1).data, "a.png") ==
              "GC5002: 'a.png' is not a readable PNG: the header gives a size of 2147483648x1 pixels, over PNG's limit of 2^31-1 per "
              "side");
        CHECK(code_reading(png(1, 0xFFFFFFFFu).data) == "GC5002");
    }
}

TEST_CASE("broken BMP headers are GC5002") {
    CHECK(error_reading(bmp_info(100, 5, 5).data, "a.bmp") ==
          "GC5002: 'a.bmp' is not a readable BMP: the DIB header has size 100, which is no known BMP header (12, 16..64, 108 or 124 "
          "bytes)");
    CHECK(code_reading(bmp_info(40, 5, 5).data) == "(no error)");
    builder zero_dib;
    zero_dib.text("BM").le32(0).le32(0).le32(0).le32(0).zeros(20);
    CHECK(code_reading(zero_dib.b) == "GC5002");
    CHECK(error_reading(bmp_info(40, -5, 5).data, "a.bmp") ==
          "GC5002: 'a.bmp' is not a readable BMP: the header gives a negative width (-5)");
    CHECK(code_reading(bmp_info(40, std::numeric_limits<std::int32_t>::min(), 5).data) == "GC5002");
}

TEST_CASE("broken WebP headers are GC5002") {
    SUBCASE("VP8") {
        bytes b = webp_vp8(5, 6).data;
        b[20] |= std::byte{1};
        CHECK(error_reading(b, "a.webp") == "GC5002: 'a.webp' is not a readable WebP: the VP8 frame is not a key frame");
        b = webp_vp8(5, 6).data;
        b[24] = std::byte{0x02};
        CHECK(error_reading(b, "a.webp") ==
              "GC5002: 'a.webp' is not a readable WebP: the VP8 start code is 0x9D 0x02 0x2A, not 0x9D 0x01 0x2A");
        b = webp_vp8(5, 6).data;
        b[16] = std::byte{9};
        CHECK(error_reading(b, "a.webp") ==
              "GC5002: 'a.webp' is not a readable WebP: the 'VP8 ' chunk has size 9, too short for its header (10 bytes)");
    }
    SUBCASE("VP8L") {
        bytes b = webp_vp8l(5, 6).data;
        b[20] = std::byte{0x2E};
        CHECK(error_reading(b, "a.webp") == "GC5002: 'a.webp' is not a readable WebP: the VP8L signature is 0x2E, not 0x2F");
        b = webp_vp8l(5, 6).data;
        b[24] |= std::byte{0x20};
        CHECK(error_reading(b, "a.webp") == "GC5002: 'a.webp' is not a readable WebP: the VP8L version is 1, not 0");
        b = webp_vp8l(5, 6).data;
        b[16] = std::byte{4};
        CHECK(code_reading(b) == "GC5002");
    }
    SUBCASE("VP8X") {
        CHECK(error_reading(webp_vp8x(16777216, 16777216).data, "a.webp") ==
              "GC5002: 'a.webp' is not a readable WebP: the canvas is 16777216x16777216 pixels, over WebP's limit of 2^32-1 pixels");
        CHECK(code_reading(webp_vp8x(65536, 65537).data) == "GC5002");
        bytes b = webp_vp8x(5, 6).data;
        b[16] = std::byte{0};
        CHECK(code_reading(b) == "GC5002");
    }
    SUBCASE("an unknown first chunk") {
        builder b = riff("ALPH", 10);
        b.zeros(10);
        CHECK(error_reading(b.b, "a.webp") ==
              "GC5002: 'a.webp' is not a readable WebP: the first chunk is 'ALPH', not 'VP8 ', 'VP8L' or 'VP8X'");
        builder odd = riff(std::string_view("\0\xFF'\\", 4), 10);
        odd.zeros(10);
        CHECK(error_reading(odd.b, "a.webp") ==
              "GC5002: 'a.webp' is not a readable WebP: the first chunk is '\\x00\\xFF\\x27\\x5C', not 'VP8 ', 'VP8L' or 'VP8X'");
    }
}

TEST_CASE("broken JPEG headers are GC5002") {
    SUBCASE("no SOF before the image data") {
        builder b = jfif_start();
        const std::size_t sos = b.size();
        jpeg_tail(b);  // DHT, then SOS
        CHECK(error_reading(b.b, "a.jpg") ==
              "GC5002: 'a.jpg' is not a readable JPEG: no SOF marker before the image data (SOS at byte " +
                  std::to_string(sos + 22) + ")");
    }
    SUBCASE("no SOF before EOI") {
        builder b = jfif_start();
        b.u8(0xFF).u8(0xFE).be16(3).u8('x').u8(0xFF).u8(0xFF).u8(0xD9);
        CHECK(error_reading(b.b, "a.jpg") ==
              "GC5002: 'a.jpg' is not a readable JPEG: no SOF marker before the end of the image (EOI at byte 26)");
    }
    SUBCASE("segment lengths below 2") {
        for (std::uint32_t len : {0u, 1u}) {
            builder b = jfif_start();
            b.u8(0xFF).u8(0xE1).be16(len).zeros(8);
            CHECK(error_reading(b.b, "a.jpg") == "GC5002: 'a.jpg' is not a readable JPEG: the segment of marker 0xFFE1 at byte 20 has "
                                                 "length " + std::to_string(len) + " (at least 2)");
            builder s;
            s.u8(0xFF).u8(0xD8).u8(0xFF).u8(0xC0).be16(len).zeros(8);
            CHECK(code_reading(s.b) == "GC5002");
        }
    }
    SUBCASE("a frame header too short for its fields") {
        builder b;
        b.u8(0xFF).u8(0xD8).u8(0xFF).u8(0xC0).be16(7).u8(8).be16(5).be16(5).u8(1).u8(1).u8(0x11).u8(0);
        CHECK(error_reading(b.b, "a.jpg") ==
              "GC5002: 'a.jpg' is not a readable JPEG: the frame header (0xFFC0 at byte 2) has length 7, too short for its fields (at "
              "least 8)");
    }
    SUBCASE("a segment that runs past the end of the file") {
        builder b = jfif_start();
        b.u8(0xFF).u8(0xE1).be16(60000).zeros(100);
        CHECK(error_reading(b.b, "a.jpg") ==
              "GC5002: 'a.jpg' is not a readable JPEG: the file ends after 124 bytes, before the frame header (SOF marker)");
    }
    SUBCASE("only fill bytes and stray bytes after SOI") {
        builder b;
        b.u8(0xFF).u8(0xD8).u8(0xFF);
        for (int i = 0; i < 1000; ++i) b.u8(i % 3 == 0 ? 0x00 : 0xFF);
        CHECK(code_reading(b.b) == "GC5002");
    }
}

TEST_CASE("files that are no known image are GC5003") {
    auto text = [](std::string_view s) { return builder().text(s).b; };
    CHECK(error_reading(text("hello, world\n"), "notes.txt") ==
          "GC5003: 'notes.txt' is not a PNG, JPEG, BMP, GIF or WebP image: it starts with 68 65 6C 6C 6F 2C 20 77");
    CHECK(error_reading(bytes{}, "empty.png") == "GC5003: 'empty.png' is not a PNG, JPEG, BMP, GIF or WebP image: it is empty");
    CHECK(error_reading(text(std::string_view("RIFF\x24\0\0\0WAVEfmt ", 16)), "a.wav") ==
          "GC5003: 'a.wav' is not a PNG, JPEG, BMP, GIF or WebP image: it starts with 52 49 46 46 24 00 00 00");
    CHECK(code_reading(text("GIF88a\x01\0\x01\0")) == "GC5003");
    CHECK(code_reading(text("\xFF\xD8")) == "GC5003");
    CHECK(code_reading(text("\x89PNX\r\n\x1A\n")) == "GC5003");
    CHECK(code_reading(text("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")) == "GC5003");
    const std::string solution = [] {
        try {
            (void)read_image_size(bytes{}, "e");
        } catch (const gearc::dataset_error& e) {
            return e.solution();
        }
        return std::string();
    }();
    CHECK(solution == "Convert it to PNG, JPEG, BMP, GIF or WebP, or remove it from the dataset folder.");
}

TEST_CASE("files that cannot be read are GC5001; unreadable contents are GC5002/GC5003 from the file overload too") {
    temp_dir dir("image-size");
    const std::string missing = dir.file("missing.png");
    CHECK(dataset_error_of([&] { (void)read_image_size(missing); }) == "GC5001: cannot read '" + missing + "': no such file");
    CHECK(dataset_error_of([&] { (void)read_image_size(dir.path); }) ==
          "GC5001: cannot read '" + dir.path.string() + "': it is a folder, not a file");
    write_file(dir.file("empty.jpg"), bytes{});
    CHECK(dataset_error_of([&] { (void)read_image_size(dir.file("empty.jpg")); }) ==
          "GC5003: '" + dir.file("empty.jpg") + "' is not a PNG, JPEG, BMP, GIF or WebP image: it is empty");
    write_file(dir.file("cut.gif"), prefix(gif("GIF89a", 3, 4).data, 8));
    CHECK(dataset_error_of([&] { (void)read_image_size(dir.file("cut.gif")); }) ==
          "GC5002: '" + dir.file("cut.gif") +
              "' is not a readable GIF: the file ends after 8 bytes, inside the header (which needs 10)");
    const sample j = jpeg_progressive_padded(4, 5);
    write_file(dir.file("cut.jpg"), prefix(j.data, j.header_length - 1));
    CHECK(dataset_error_of([&] { (void)read_image_size(dir.file("cut.jpg")); }) ==
          "GC5002: '" + dir.file("cut.jpg") + "' is not a readable JPEG: the file ends after " +
              std::to_string(j.header_length - 1) + " bytes, before the frame header (SOF marker)");
}

TEST_CASE("every prefix of every hand-built header, written to a file, reads or throws GC5002/GC5003") {
    temp_dir dir("image-size");
    const std::string path = dir.file("prefix");
    for (const auto& s : hand_samples()) {
        CAPTURE(s.name);
        for (std::size_t n = 0; n <= std::min(s.data.size(), s.header_length + 2); ++n) {
            CAPTURE(n);
            write_file(path, prefix(s.data, n));
            std::optional<image_size> got;
            const std::string err = dataset_error_of([&] { got = read_image_size(path); });
            if (n < s.header_length) {
                CHECK((err.rfind("GC5002: ", 0) == 0 || err.rfind("GC5003: ", 0) == 0));
            } else {
                CHECK(err == "(no error)");
                CHECK(got == s.expected);
            }
        }
    }
}

TEST_CASE("mutated headers never crash: each reads a positive size or throws GC5002/GC5003") {
    std::uint32_t seed = 1;
    for (const auto& s : hand_samples()) {
        CAPTURE(s.name);
        mutate(s.data, s.data.size(), seed++, 1500);
    }
    for (const auto& s : pil().files) {
        CAPTURE(s.name);
        mutate(s.data, std::min(s.header_length + 16, std::size_t{4096}), seed++, 300);
    }
}

TEST_CASE("mutated JPEG headers read from a file agree with reading them from memory") {
    temp_dir dir("image-size");
    const std::string path = dir.file("m.jpg");
    std::mt19937 rng(7);
    const bytes base = jpeg_lookalikes(913, 37).data;
    for (int r = 0; r < 400; ++r) {
        bytes m = base;
        for (int i = 0; i < 3; ++i) m[rng() % m.size()] = static_cast<std::byte>(rng());
        write_file(path, m);
        const std::string from_memory = dataset_error_of([&] { (void)read_image_size(m, path); });
        const std::string from_file = dataset_error_of([&] { (void)read_image_size(path); });
        CHECK(from_memory == from_file);
        if (from_memory == "(no error)") CHECK(read_image_size(m, path) == read_image_size(path));
    }
}
