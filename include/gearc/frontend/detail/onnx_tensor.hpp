// Internal to the ONNX front end: TensorProto <-> gearc::tensor (raw data, typed fields, external data).
#pragma once

#include <gearc/gearc.hpp>
#include <gearc/frontend/detail/onnx_common.hpp>
#include <gearc/frontend/detail/onnx_file.hpp>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>

GEARC_BEGIN_NAMESPACE
namespace onnx::detail {

// ---- import -------------------------------------------------------------------------------------

/// The alignment a typed view of `t` needs (complex numbers align like their parts).
[[nodiscard]] inline std::size_t alignment_of(dtype t) noexcept {
    if (t == dtype::complex64) return 4;
    if (t == dtype::complex128) return 8;
    return size_of(t) ? size_of(t) : 1;
}

/// Packs the typed values `src` (ONNX's int32_data, int64_data, ...) into bytes of element type T.
template <class T, class Field, class Convert>
[[nodiscard]] buffer pack_field(const Field& src, Convert convert) {
    std::vector<std::byte> bytes(static_cast<std::size_t>(src.size()) * sizeof(T));
    for (int i = 0; i < src.size(); ++i) {
        const T v = convert(src.Get(i));
        std::memcpy(bytes.data() + static_cast<std::size_t>(i) * sizeof(T), &v, sizeof(T));
    }
    return buffer(std::move(bytes));
}

/// Parses a non-negative decimal number from an external_data entry.
[[nodiscard]] inline std::optional<std::uint64_t> parse_size(const std::string& s) {
    std::uint64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

/// The bytes of a tensor stored in an external data file: the location is resolved against the model's
/// directory and must stay inside it; the file is mapped once per load and shared by its tensors.
[[nodiscard]] inline buffer external_bytes(const ::onnx::TensorProto& t, dtype type, std::size_t expect, load_context& ctx,
                                           const std::string& what) {
    std::string location;
    std::optional<std::uint64_t> offset, length;
    for (const auto& kv : t.external_data()) {
        auto number = [&](const char* key) {
            auto v = parse_size(kv.value());
            if (!v)
                ctx.fail(errc::external_data, what + " has external data " + key + " '" + kv.value() +
                                                  "', which is not a non-negative number");
            return v;
        };
        if (kv.key() == "location") location = kv.value();
        else if (kv.key() == "offset") offset = number("offset");
        else if (kv.key() == "length") length = number("length");
        // "checksum" (SHA-1) and unknown keys are not checked.
    }
    if (location.empty()) ctx.fail(errc::external_data, what + " is stored externally but names no location");
    if (location.find('\0') != std::string::npos)
        ctx.fail(errc::external_data, what + " has an external data location with a NUL character");
    const std::filesystem::path rel(location);
    if (rel.is_absolute() || location.front() == '/')
        ctx.fail(errc::external_data, what + " has the absolute external data location [" + location + "]",
                 "External data locations must be relative to the model's directory.");
    for (const auto& part : rel)
        if (part == "..")
            ctx.fail(errc::external_data, what + " has the external data location [" + location +
                                              "], which leaves the model's directory",
                     "External data files must lie in the model's directory or below it.");
    const std::string file = (ctx.base_dir / rel).string();

    std::shared_ptr<const gearc::detail::mapped_file> mapping;
    if (auto it = ctx.data_files.find(file); it != ctx.data_files.end()) mapping = it->second;
    else {
        struct stat st {};
        if (::stat(file.c_str(), &st) != 0)
            ctx.fail(errc::external_data, what + ": cannot open external data file [" + file + "]: " + std::strerror(errno),
                     "Keep the external data files next to the model, as its tensors name them.");
        if (!S_ISREG(st.st_mode))
            ctx.fail(errc::external_data, what + ": external data file [" + file + "] is not a regular file");
        try {
            mapping = gearc::detail::mapped_file::open(file);
        } catch (const error& e) {
            ctx.fail(errc::external_data, what + ": cannot read external data file [" + file + "]: " + e.message());
        }
        ctx.data_files.emplace(file, mapping);
    }

    const std::uint64_t off = offset.value_or(0);
    const std::uint64_t len = length.value_or(expect);
    const std::uint64_t size = mapping->size();
    if (off > size || len > size - off)
        ctx.fail(errc::external_data, what + " reads bytes " + std::to_string(off) + " to " + std::to_string(off + len) +
                                          " of external data file [" + file + "], which has only " + std::to_string(size) +
                                          " bytes",
                 "The data file does not belong to this model, or it was truncated.");
    if (len != expect)
        ctx.fail(errc::tensor_data, what + " needs " + std::to_string(expect) + " bytes but its external data in [" + file +
                                        "] has length " + std::to_string(len));
    const std::byte* p = mapping->data() + off;
    // A typed view needs aligned data; an unaligned tensor (or a caller who asked for it) gets a copy.
    if (ctx.opts->copy_external_data || reinterpret_cast<std::uintptr_t>(p) % alignment_of(type) != 0)
        return buffer::copy_of(p, len);
    return buffer(std::shared_ptr<const void>(mapping), p, len);
}

/// TensorProto -> tensor. `what` names the tensor for errors ("initializer 'w'"). raw_data is taken
/// from the message without copying, so `t` is left without it.
[[nodiscard]] inline tensor tensor_from_onnx(::onnx::TensorProto& t, load_context& ctx, const std::string& what) {
    const auto type = dtype_from_onnx(t.data_type());
    if (!type)
        ctx.fail(errc::unsupported_feature, what + " has element type " + std::to_string(t.data_type()) +
                                                ", which gearc does not know");
    if (*type == dtype::string)
        ctx.fail(errc::unsupported_feature, what + " holds strings, which gearc cannot hold as tensor data",
                 "String values are supported as graph inputs and outputs, not as constants.");
    if (*type == dtype::undefined) ctx.fail(errc::tensor_data, what + " has no element type");
    if (t.has_segment()) ctx.fail(errc::unsupported_feature, what + " is segmented, which gearc does not support");

    std::vector<std::int64_t> sizes(t.dims().begin(), t.dims().end());
    std::uint64_t n = 1;
    for (auto d : sizes) {
        if (d < 0) ctx.fail(errc::tensor_data, what + " has the negative dimension " + std::to_string(d));
        if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(d), &n) || n > (std::uint64_t{1} << 56))
            ctx.fail(errc::tensor_data, what + " has the impossible shape " + shape::of(sizes).to_string());
    }
    const std::size_t expect = static_cast<std::size_t>(n) * size_of(*type);
    const std::string desc = what + " (" + std::string(to_string(*type)) + shape::of(sizes).to_string() + ")";

    auto make = [&](buffer b) {
        if (b.size() != expect)
            ctx.fail(errc::tensor_data, desc + " needs " + std::to_string(expect) + " bytes but has " + std::to_string(b.size()));
        return tensor(*type, sizes, std::move(b));
    };

    if (t.data_location() == ::onnx::TensorProto::EXTERNAL) return make(external_bytes(t, *type, expect, ctx, what));
    if (t.has_raw_data()) {
        std::shared_ptr<const std::string> raw(t.release_raw_data());
        auto* p = reinterpret_cast<const std::byte*>(raw->data());
        const auto size = raw->size();
        return make(buffer(std::shared_ptr<const void>(std::move(raw)), p, size));
    }

    // Typed fields: the count must be the element count (twice it for complex numbers).
    auto count = [&](int have, const char* field, std::uint64_t per = 1) {
        if (static_cast<std::uint64_t>(have) != n * per)
            ctx.fail(errc::tensor_data, desc + " has " + std::to_string(have) + " values in " + field + " but needs " +
                                            std::to_string(n * per));
    };
    switch (*type) {
        case dtype::float32:
            count(t.float_data_size(), "float_data");
            return make(pack_field<float>(t.float_data(), [](float v) { return v; }));
        case dtype::complex64:
            count(t.float_data_size(), "float_data", 2);
            return make(pack_field<float>(t.float_data(), [](float v) { return v; }));
        case dtype::float64:
            count(t.double_data_size(), "double_data");
            return make(pack_field<double>(t.double_data(), [](double v) { return v; }));
        case dtype::complex128:
            count(t.double_data_size(), "double_data", 2);
            return make(pack_field<double>(t.double_data(), [](double v) { return v; }));
        case dtype::int64:
            count(t.int64_data_size(), "int64_data");
            return make(pack_field<std::int64_t>(t.int64_data(), [](std::int64_t v) { return v; }));
        case dtype::uint64:
            count(t.uint64_data_size(), "uint64_data");
            return make(pack_field<std::uint64_t>(t.uint64_data(), [](std::uint64_t v) { return v; }));
        case dtype::uint32:
            count(t.uint64_data_size(), "uint64_data");
            return make(pack_field<std::uint32_t>(t.uint64_data(), [](std::uint64_t v) { return static_cast<std::uint32_t>(v); }));
        case dtype::int32:
            count(t.int32_data_size(), "int32_data");
            return make(pack_field<std::int32_t>(t.int32_data(), [](std::int32_t v) { return v; }));
        // int32_data also carries the narrower types, one value per element; float16 and bfloat16 as
        // their bit patterns in the low 16 bits.
        case dtype::int16:
            count(t.int32_data_size(), "int32_data");
            return make(pack_field<std::int16_t>(t.int32_data(), [](std::int32_t v) { return static_cast<std::int16_t>(v); }));
        case dtype::int8:
            count(t.int32_data_size(), "int32_data");
            return make(pack_field<std::int8_t>(t.int32_data(), [](std::int32_t v) { return static_cast<std::int8_t>(v); }));
        case dtype::uint16:
        case dtype::float16:
        case dtype::bfloat16:
            count(t.int32_data_size(), "int32_data");
            return make(pack_field<std::uint16_t>(t.int32_data(), [](std::int32_t v) { return static_cast<std::uint16_t>(v); }));
        case dtype::uint8:
            count(t.int32_data_size(), "int32_data");
            return make(pack_field<std::uint8_t>(t.int32_data(), [](std::int32_t v) { return static_cast<std::uint8_t>(v); }));
        case dtype::boolean:
            count(t.int32_data_size(), "int32_data");
            return make(pack_field<std::uint8_t>(t.int32_data(), [](std::int32_t v) { return std::uint8_t{v != 0}; }));
        case dtype::undefined:
        case dtype::string: break;
    }
    ctx.fail(errc::tensor_data, desc + " has no data");
}

// ---- export -------------------------------------------------------------------------------------

/// Where export puts tensor bytes: inline (counting them against protobuf's 2 GiB limit) or, for large
/// initializers when asked, into an external data file.
struct export_context {
    const save_options* opts = nullptr;
    file_writer* data_file = nullptr;  ///< the external data file being written, or nullptr
    std::string data_location;        ///< its name as the model refers to it
    std::uint64_t data_offset = 0;
    std::uint64_t inline_bytes = 0;
    std::size_t external_tensors = 0;
};

inline constexpr std::uint64_t protobuf_limit = INT_MAX;

/// tensor -> TensorProto. An initializer (`name` is its name) goes to the external data file when the
/// options ask for it; everything else is written inline as raw_data (`name` then describes it for errors).
inline void tensor_to_onnx(const tensor& t, ::onnx::TensorProto& out, export_context& ctx, const std::string& name,
                           bool is_initializer) {
    const std::string label = is_initializer ? "initializer '" + name + "'" : name;
    if (t.type() == dtype::string)
        throw model_error(errc::unsupported_feature, label + " has element type string, which gearc cannot write as tensor data");
    if (is_initializer) out.set_name(name);
    for (auto s : t.sizes()) out.add_dims(s);
    out.set_data_type(dtype_to_onnx(t.type()));
    const auto bytes = t.nbytes();
    if (is_initializer && ctx.data_file && bytes >= ctx.opts->external_data_threshold) {
        const std::uint64_t align = std::max<std::size_t>(ctx.opts->external_data_alignment, 1);
        const std::uint64_t pad = (align - ctx.data_offset % align) % align;
        ctx.data_file->write_zeros(pad);
        ctx.data_offset += pad;
        ctx.data_file->write(t.data().data(), bytes);
        out.set_data_location(::onnx::TensorProto::EXTERNAL);
        auto add = [&](const char* k, std::string v) {
            auto* e = out.add_external_data();
            e->set_key(k);
            e->set_value(std::move(v));
        };
        add("location", ctx.data_location);
        add("offset", std::to_string(ctx.data_offset));
        add("length", std::to_string(bytes));
        ctx.data_offset += bytes;
        ++ctx.external_tensors;
        return;
    }
    ctx.inline_bytes += bytes;
    if (ctx.inline_bytes > protobuf_limit)
        throw model_error(errc::unsupported_feature,
                          "the model's tensors hold more than 2 GiB, which protobuf cannot write in one message (at " + label + ")",
                          "Save with save_options::external_data_file set, so that large initializers go to an external data file.");
    out.set_raw_data(t.data().data(), bytes);
}

}  // namespace onnx::detail
GEARC_END_NAMESPACE
