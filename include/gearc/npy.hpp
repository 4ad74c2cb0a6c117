// NumPy .npy files: tensors in and out of gearc (the inputs and outputs of `gearc run`, reference data in tests).
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dtype.hpp>
#include <gearc/error.hpp>
#include <gearc/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace detail::npy {

struct code {
    dtype type;
    std::string_view descr;
};
inline constexpr code codes[] = {{dtype::float32, "<f4"}, {dtype::float64, "<f8"}, {dtype::float16, "<f2"}, {dtype::int8, "|i1"},
                                 {dtype::int16, "<i2"},   {dtype::int32, "<i4"},   {dtype::int64, "<i8"},   {dtype::uint8, "|u1"},
                                 {dtype::uint16, "<u2"},  {dtype::uint32, "<u4"},  {dtype::uint64, "<u8"},  {dtype::boolean, "|b1"}};

[[nodiscard]] inline error bad(const std::string& path, const std::string& why) {
    return error(errc::file_io, "'" + path + "' is not a .npy file gearc can read: " + why,
                 "Write it with numpy.save (little-endian, C order, a numeric or bool dtype).");
}

/// The value of `key` in the header dict, as written by numpy (a quoted string, a tuple, or a word).
[[nodiscard]] inline std::string field(const std::string& header, std::string_view key) {
    auto k = header.find("'" + std::string(key) + "'");
    if (k == std::string::npos) return {};
    auto colon = header.find(':', k);
    if (colon == std::string::npos) return {};
    auto v = header.find_first_not_of(' ', colon + 1);
    if (v == std::string::npos) return {};
    if (header[v] == '\'') {
        auto e = header.find('\'', v + 1);
        return e == std::string::npos ? std::string() : header.substr(v + 1, e - v - 1);
    }
    if (header[v] == '(') {
        auto e = header.find(')', v);
        return e == std::string::npos ? std::string() : header.substr(v, e - v + 1);
    }
    auto e = header.find_first_of(",}", v);
    return header.substr(v, e == std::string::npos ? std::string::npos : e - v);
}

}  // namespace detail::npy

/// Reads a .npy file (format versions 1-3, little-endian or single-byte dtypes, C order). GC1001 naming the
/// file and the problem otherwise.
[[nodiscard]] inline tensor read_npy(const std::string& path) {
    using detail::npy::bad;
    std::ifstream f(path, std::ios::binary);
    if (!f) throw error(errc::file_io, "cannot open '" + path + "'", "Check the path.");
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) throw bad(path, "it does not start with \\x93NUMPY");
    const int major = static_cast<unsigned char>(bytes[6]);
    std::size_t hlen = 0, hstart = 0;
    if (major == 1) {
        hlen = static_cast<unsigned char>(bytes[8]) | static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw bad(path, "the header is cut short");
        for (int i = 3; i >= 0; --i) hlen = hlen << 8 | static_cast<unsigned char>(bytes[8 + static_cast<std::size_t>(i)]);
        hstart = 12;
    } else {
        throw bad(path, "format version " + std::to_string(major) + " is unknown");
    }
    if (hstart + hlen > bytes.size()) throw bad(path, "the header is cut short");
    const std::string header(bytes.data() + hstart, hlen);
    const std::string descr = detail::npy::field(header, "descr");
    dtype type = dtype::undefined;
    for (const auto& c : detail::npy::codes)
        if (descr == c.descr || (descr.size() == 3 && c.descr[0] == '<' && descr[0] == '=' && descr.substr(1) == c.descr.substr(1)))
            type = c.type;
    if (type == dtype::undefined) throw bad(path, "dtype '" + descr + "' is not supported");
    if (detail::npy::field(header, "fortran_order") != "False") throw bad(path, "it is in Fortran order");
    std::string shape_text = detail::npy::field(header, "shape");
    if (shape_text.size() < 2) throw bad(path, "it has no shape");
    std::vector<std::int64_t> sizes;
    std::string num;
    for (char c : shape_text.substr(1)) {
        if (c >= '0' && c <= '9') {
            num += c;
        } else if (c == ',' || c == ')') {
            if (!num.empty()) sizes.push_back(std::stoll(num));
            num.clear();
        } else if (c != ' ' && c != 'L') {
            throw bad(path, "its shape " + shape_text + " is not a tuple of sizes");
        }
    }
    std::size_t n = size_of(type);
    for (auto s : sizes) n *= static_cast<std::size_t>(s);
    const std::size_t data_at = hstart + hlen;
    if (bytes.size() - data_at != n)
        throw bad(path, "it holds " + std::to_string(bytes.size() - data_at) + " bytes of data, but its shape needs " + std::to_string(n));
    return tensor(type, std::move(sizes), buffer::copy_of(bytes.data() + data_at, n));
}

/// The bytes of `t` as a .npy file (format 1.0); `what` names it in the GC1001 error a dtype without a .npy
/// code (string, bfloat16, complex) gets.
[[nodiscard]] inline std::string to_npy_bytes(const tensor& t, const std::string& what = "<memory>") {
    std::string_view descr;
    for (const auto& c : detail::npy::codes)
        if (c.type == t.type()) descr = c.descr;
    if (descr.empty())
        throw error(errc::file_io, "a " + std::string(to_string(t.type())) + " tensor cannot be written as .npy ('" + what + "')",
                    "Write it as raw bytes (.bin) instead.");
    std::string shape = "(";
    for (std::size_t i = 0; i < t.sizes().size(); ++i) shape += (i ? ", " : "") + std::to_string(t.sizes()[i]);
    shape += t.sizes().size() == 1 ? ",)" : ")";
    std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    out += header;
    out.append(reinterpret_cast<const char*>(t.data().data()), t.nbytes());
    return out;
}

/// Writes `t` as a .npy file (format 1.0). GC1001 when the file cannot be written or the dtype has no .npy code.
inline void write_npy(const std::string& path, const tensor& t) {
    const std::string bytes = to_npy_bytes(t, path);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw error(errc::file_io, "cannot write '" + path + "'", "Check that the directory exists and is writable.");
}

GEARC_END_NAMESPACE
