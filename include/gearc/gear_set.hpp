// gear_set: the ordered gears (concrete input shapes) a model is compiled for, with the option that produced them.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim.hpp>
#include <gearc/shape.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// Layout of the model inputs (ATC's --input_format). It tells which axes are N, H and W.
enum class tensor_format : std::uint8_t { nchw, nhwc, nd, ncdhw };

/// "NCHW", "NHWC", "ND", "NCDHW" (ATC's spelling).
[[nodiscard]] constexpr std::string_view to_string(tensor_format f) noexcept {
    switch (f) {
        case tensor_format::nchw:
            return "NCHW";
        case tensor_format::nhwc:
            return "NHWC";
        case tensor_format::nd:
            return "ND";
        case tensor_format::ncdhw:
            return "NCDHW";
    }
    return "?";
}

/// Parses ATC's spelling exactly (upper case, as ATC requires); nullopt for anything else.
[[nodiscard]] constexpr std::optional<tensor_format> parse_tensor_format(std::string_view s) noexcept {
    for (auto f : {tensor_format::nchw, tensor_format::nhwc, tensor_format::nd, tensor_format::ncdhw})
        if (s == to_string(f)) return f;
    return std::nullopt;
}

/// Which option produced the gears.
enum class gear_kind : std::uint8_t {
    static_shape,        ///< one gear: every input static (from the model or --input_shape)
    dynamic_batch_size,  ///< one gear per --dynamic_batch_size value; profile = {N}
    dynamic_image_size,  ///< one gear per --dynamic_image_size pair; profile = {H, W}
    dynamic_dims,        ///< one gear per --dynamic_dims profile; profile = the values of the -1 axes
    range                ///< one bounded-dynamic gear whose shapes hold dim::range (a~b in --input_shape)
};

/// "static", "dynamic_batch_size", "dynamic_image_size", "dynamic_dims", "range".
[[nodiscard]] constexpr std::string_view to_string(gear_kind k) noexcept {
    switch (k) {
        case gear_kind::static_shape:
            return "static";
        case gear_kind::dynamic_batch_size:
            return "dynamic_batch_size";
        case gear_kind::dynamic_image_size:
            return "dynamic_image_size";
        case gear_kind::dynamic_dims:
            return "dynamic_dims";
        case gear_kind::range:
            return "range";
    }
    return "?";
}

/// One gear: a shape for every model input. Static, except in the single gear of a `range` set.
struct gear {
    using shape_map = std::map<std::string, shape, std::less<>>;

    std::size_t index = 0;              ///< position in the gear_set, from 0 in the order the options list them
    std::vector<std::int64_t> profile;  ///< the option values that made it ({4}, {448,448}, ...); empty for static/range
    shape_map shapes;                   ///< input name -> shape
    symbol_bindings bindings;           ///< the model's symbolic dims this gear fixes ("N" -> 4)

    /// The shape of input `name`, or nullptr.
    [[nodiscard]] const shape* find(std::string_view name) const {
        auto it = shapes.find(name);
        return it == shapes.end() ? nullptr : &it->second;
    }
    /// The shape of input `name`; throws std::out_of_range naming it when the gear has no such input.
    [[nodiscard]] const shape& at(std::string_view name) const {
        if (const auto* s = find(name)) return *s;
        throw std::out_of_range("gear " + std::to_string(index) + " has no input named '" + std::string(name) + "'");
    }
    /// True when every shape is static (false only for the gear of a `range` set).
    [[nodiscard]] bool is_static() const noexcept {
        return std::all_of(shapes.begin(), shapes.end(), [](const auto& kv) { return kv.second.is_static(); });
    }
    /// True when the concrete `sizes` fit this gear: equal to every static dim, inside every range.
    [[nodiscard]] bool accepts(std::string_view name, std::span<const std::int64_t> sizes) const {
        const auto* s = find(name);
        if (!s || s->rank() != sizes.size()) return false;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            const dim& d = (*s)[i];
            if (d.is_static() ? d.value() != sizes[i] : !d.is_range() || sizes[i] < d.lo() || (d.hi() != -1 && sizes[i] > d.hi()))
                return false;
        }
        return true;
    }
};

/// The gears of one compilation, in order, with the model's input order and layout.
class gear_set {
public:
    using const_iterator = std::vector<gear>::const_iterator;

    gear_set() = default;
    /// Numbers the gears 0, 1, ... in the order given.
    gear_set(gear_kind kind, tensor_format format, std::vector<std::string> inputs, std::vector<gear> gears)
        : kind_(kind), format_(format), inputs_(std::move(inputs)), gears_(std::move(gears)) {
        for (std::size_t i = 0; i < gears_.size(); ++i) gears_[i].index = i;
    }

    /// The option that produced the gears.
    [[nodiscard]] gear_kind kind() const noexcept { return kind_; }
    /// The inputs' layout (given by --input_format, or the default documented at validate()).
    [[nodiscard]] tensor_format input_format() const noexcept { return format_; }
    /// The model's inputs (initializers excluded), in model order; every gear has a shape for each.
    [[nodiscard]] const std::vector<std::string>& inputs() const noexcept { return inputs_; }
    [[nodiscard]] const std::vector<gear>& gears() const noexcept { return gears_; }
    [[nodiscard]] std::size_t size() const noexcept { return gears_.size(); }
    [[nodiscard]] bool empty() const noexcept { return gears_.empty(); }
    [[nodiscard]] const gear& operator[](std::size_t i) const { return gears_[i]; }
    [[nodiscard]] const gear& at(std::size_t i) const { return gears_.at(i); }
    [[nodiscard]] const_iterator begin() const noexcept { return gears_.begin(); }
    [[nodiscard]] const_iterator end() const noexcept { return gears_.end(); }
    /// True for the single bounded-dynamic gear of `a~b` ranges.
    [[nodiscard]] bool is_bounded_dynamic() const noexcept { return kind_ == gear_kind::range; }

    /// The gear made from `profile` (what msame's --dymBatch / --dymHW / --dymDims name), if any.
    [[nodiscard]] std::optional<std::size_t> find_profile(std::span<const std::int64_t> profile) const {
        for (const auto& g : gears_)
            if (std::equal(g.profile.begin(), g.profile.end(), profile.begin(), profile.end())) return g.index;
        return std::nullopt;
    }
    /// The first gear that accepts every input's concrete sizes (name -> sizes, all inputs named).
    [[nodiscard]] std::optional<std::size_t> match(const std::map<std::string, std::vector<std::int64_t>, std::less<>>& sizes) const {
        if (sizes.size() != inputs_.size()) return std::nullopt;
        for (const auto& g : gears_) {
            bool ok = true;
            for (const auto& [name, s] : sizes)
                if (!g.accepts(name, s)) {
                    ok = false;
                    break;
                }
            if (ok) return g.index;
        }
        return std::nullopt;
    }

    /// A readable table: a title line, then one row per gear with its profile and every input's shape.
    /// ```
    /// 2 gears (dynamic_batch_size, input_format NCHW)
    /// gear  profile  x
    /// 0     1        [1,3,224,224]
    /// 1     2        [2,3,224,224]
    /// ```
    [[nodiscard]] std::string to_string() const {
        std::string out = std::to_string(gears_.size()) + (gears_.size() == 1 ? " gear (" : " gears (") +
                          std::string(gearc::to_string(kind_)) + ", input_format " + std::string(gearc::to_string(format_)) + ")\n";
        bool with_profile = kind_ != gear_kind::static_shape && kind_ != gear_kind::range;
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> head{"gear"};
        if (with_profile) head.emplace_back("profile");
        for (const auto& n : inputs_) head.push_back(n);
        rows.push_back(std::move(head));
        for (const auto& g : gears_) {
            std::vector<std::string> row{std::to_string(g.index)};
            if (with_profile) {
                std::string p;
                for (std::size_t i = 0; i < g.profile.size(); ++i) p += (i ? "," : "") + std::to_string(g.profile[i]);
                row.push_back(std::move(p));
            }
            for (const auto& n : inputs_) row.push_back(g.find(n) ? g.find(n)->to_string() : std::string("-"));
            rows.push_back(std::move(row));
        }
        std::vector<std::size_t> width(rows.front().size(), 0);
        for (const auto& r : rows)
            for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
        for (const auto& r : rows) {
            std::string line;
            for (std::size_t c = 0; c < r.size(); ++c) {
                line += r[c];
                if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 2, ' ');
            }
            out += line + "\n";
        }
        return out;
    }

private:
    gear_kind kind_ = gear_kind::static_shape;
    tensor_format format_ = tensor_format::nchw;
    std::vector<std::string> inputs_;
    std::vector<gear> gears_;
};

GEARC_END_NAMESPACE
