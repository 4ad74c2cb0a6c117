// Internal to the ONNX front end: the import context, error helpers, domains, and the dtype and type mappings.
#pragma once

#include <gearc/gearc.hpp>
#include <gearc/frontend/detail/onnx_options.hpp>

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

static_assert(std::endian::native == std::endian::little,
              "gearc's ONNX front end assumes a little-endian host (ONNX stores tensor bytes little-endian)");

GEARC_BEGIN_NAMESPACE
namespace onnx::detail {

/// What gearc reads: IR versions and the default domain's opsets.
inline constexpr std::int64_t min_ir_version = 3;
inline constexpr std::int64_t max_ir_version = 8;
inline constexpr std::int64_t min_default_opset = 7;
inline constexpr std::int64_t max_default_opset = 17;

/// ONNX's own operator domains.
inline constexpr std::string_view known_domains[] = {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training", "ai.gearc"};

[[nodiscard]] inline bool is_default_domain(std::string_view d) noexcept { return d.empty() || d == "ai.onnx"; }

[[nodiscard]] inline std::string known_domains_text() {
    std::string s;
    for (auto d : known_domains) s += (s.empty() ? "'" : ", '") + std::string(d) + "'";
    return s;
}

/// The state of one load: how errors name the model, where external data lives, files mapped so far.
struct load_context {
    std::string model;                   ///< the model's path, or "<memory>"
    std::filesystem::path base_dir;      ///< external data locations are relative to this
    const load_options* opts = nullptr;
    std::map<std::string, std::shared_ptr<const gearc::detail::mapped_file>> data_files;  ///< by resolved path

    [[nodiscard]] bool domain_known(std::string_view d) const {
        if (std::find(std::begin(known_domains), std::end(known_domains), d) != std::end(known_domains)) return true;
        return opts && std::find(opts->extra_domains.begin(), opts->extra_domains.end(), d) != opts->extra_domains.end();
    }

    /// Throws model_error "CODE: model [path]: message".
    [[noreturn]] void fail(std::string_view code, const std::string& message, std::string solution = {}) const {
        throw model_error(code, "model [" + model + "]: " + message, std::move(solution));
    }
};

/// "Conv 'conv1'", as basic_node::describe() says it, for nodes not created yet.
[[nodiscard]] inline std::string describe_node(const ::onnx::NodeProto& n) {
    return n.op_type() + " '" + (n.name().empty() ? std::string("<unnamed>") : n.name()) + "'";
}

// ---- element types ------------------------------------------------------------------------------

/// ONNX's TensorProto.DataType code -> gearc dtype; nullopt for codes gearc does not know.
[[nodiscard]] inline std::optional<dtype> dtype_from_onnx(std::int32_t code) noexcept {
    if (code == ::onnx::TensorProto::UNDEFINED) return dtype::undefined;
    return dtype_from_onnx_code(code);
}

/// gearc dtype -> ONNX's TensorProto.DataType code.
[[nodiscard]] inline std::int32_t dtype_to_onnx(dtype t) noexcept {
    using T = ::onnx::TensorProto;
    switch (t) {
        case dtype::undefined: return T::UNDEFINED;
        case dtype::float32: return T::FLOAT;
        case dtype::float16: return T::FLOAT16;
        case dtype::bfloat16: return T::BFLOAT16;
        case dtype::float64: return T::DOUBLE;
        case dtype::int8: return T::INT8;
        case dtype::int16: return T::INT16;
        case dtype::int32: return T::INT32;
        case dtype::int64: return T::INT64;
        case dtype::uint8: return T::UINT8;
        case dtype::uint16: return T::UINT16;
        case dtype::uint32: return T::UINT32;
        case dtype::uint64: return T::UINT64;
        case dtype::boolean: return T::BOOL;
        case dtype::complex64: return T::COMPLEX64;
        case dtype::complex128: return T::COMPLEX128;
        case dtype::string: return T::STRING;
    }
    return T::UNDEFINED;
}

// ---- dims and types -----------------------------------------------------------------------------

/// A dim_param of the form "lo~hi" is how gearc writes a range dim (ONNX has none); read it back as one.
[[nodiscard]] inline std::optional<dim> parse_range_param(std::string_view p) {
    auto tilde = p.find('~');
    if (tilde == std::string_view::npos || tilde == 0) return std::nullopt;
    std::int64_t lo = 0, hi = 0;
    auto lo_s = p.substr(0, tilde), hi_s = p.substr(tilde + 1);
    auto r1 = std::from_chars(lo_s.data(), lo_s.data() + lo_s.size(), lo);
    auto r2 = std::from_chars(hi_s.data(), hi_s.data() + hi_s.size(), hi);
    if (r1.ec != std::errc{} || r1.ptr != lo_s.data() + lo_s.size() || r2.ec != std::errc{} ||
        r2.ptr != hi_s.data() + hi_s.size() || lo < 0 || hi < -1)
        return std::nullopt;
    return dim::range(lo, hi);
}

[[nodiscard]] inline dim dim_from_onnx(const ::onnx::TensorShapeProto_Dimension& d) {
    if (d.has_dim_value()) return dim(d.dim_value());
    if (d.has_dim_param() && !d.dim_param().empty()) {
        if (auto r = parse_range_param(d.dim_param())) return *r;
        return dim::symbol(d.dim_param());
    }
    return dim();
}

inline void dim_to_onnx(const dim& d, ::onnx::TensorShapeProto_Dimension& out) {
    switch (d.get_kind()) {
        case dim::kind::value: out.set_dim_value(d.value()); break;
        case dim::kind::symbol: out.set_dim_param(d.name()); break;
        case dim::kind::range: out.set_dim_param(d.to_string()); break;
        case dim::kind::unknown: break;
    }
}

/// TypeProto -> value_type. `where` names the value or attribute for errors.
[[nodiscard]] inline value_type type_from_onnx(const ::onnx::TypeProto& tp, const load_context& ctx, const std::string& where) {
    using TP = ::onnx::TypeProto;
    switch (tp.value_case()) {
        case TP::kTensorType: {
            const auto& tt = tp.tensor_type();
            auto elem = dtype_from_onnx(tt.elem_type());
            if (!elem)
                ctx.fail(errc::unsupported_feature,
                         where + " has element type " + std::to_string(tt.elem_type()) + ", which gearc does not know");
            std::optional<shape> dims;
            if (tt.has_shape()) {
                shape s;
                for (const auto& d : tt.shape().dim()) s.push_back(dim_from_onnx(d));
                dims = std::move(s);
            }
            return value_type::tensor_of(*elem, std::move(dims));
        }
        case TP::kSequenceType:
            return value_type::sequence_of(tp.sequence_type().has_elem_type()
                                               ? type_from_onnx(tp.sequence_type().elem_type(), ctx, where)
                                               : value_type::unknown());
        case TP::kOptionalType:
            return value_type::optional_of(tp.optional_type().has_elem_type()
                                               ? type_from_onnx(tp.optional_type().elem_type(), ctx, where)
                                               : value_type::unknown());
        case TP::kMapType: ctx.fail(errc::unsupported_feature, where + " has a map type, which gearc cannot represent");
        case TP::kSparseTensorType:
            ctx.fail(errc::unsupported_feature, where + " has a sparse tensor type, which gearc cannot represent");
        case TP::VALUE_NOT_SET: return value_type::unknown();
        default: break;
    }
    ctx.fail(errc::unsupported_feature, where + " has a type of kind " + std::to_string(static_cast<int>(tp.value_case())) +
                                            " (opaque or newer than ONNX 1.12), which gearc cannot represent");
}

inline void type_to_onnx(const value_type& t, ::onnx::TypeProto& out) {
    switch (t.type_kind) {
        case value_type::kind::tensor: {
            auto* tt = out.mutable_tensor_type();
            tt->set_elem_type(dtype_to_onnx(t.elem));
            if (t.dims) {
                auto* s = tt->mutable_shape();  // present even for a scalar: rank 0 is known
                for (const auto& d : *t.dims) dim_to_onnx(d, *s->add_dim());
            }
            break;
        }
        case value_type::kind::sequence: {
            auto* st = out.mutable_sequence_type();
            if (t.inner && t.inner->type_kind != value_type::kind::unknown) type_to_onnx(*t.inner, *st->mutable_elem_type());
            break;
        }
        case value_type::kind::optional: {
            auto* ot = out.mutable_optional_type();
            if (t.inner && t.inner->type_kind != value_type::kind::unknown) type_to_onnx(*t.inner, *ot->mutable_elem_type());
            break;
        }
        case value_type::kind::unknown: break;
    }
}

}  // namespace onnx::detail
GEARC_END_NAMESPACE
