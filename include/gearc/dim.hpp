// One tensor dimension: a known value, a named symbol, a bounded range lo~hi, or unknown.
#pragma once

#include <gearc/detail/abi_macros.hpp>

#include <cstdint>
#include <string>
#include <utility>

GEARC_BEGIN_NAMESPACE

/// A dimension. A gear binds symbols (and unknowns, by position) to values; a range `lo~hi` is a
/// bounded-dynamic dimension (`hi == -1` means no upper bound).
class dim {
public:
    enum class kind : std::uint8_t { unknown, value, symbol, range };

    /// An unknown, anonymous dimension (ONNX's dim with neither value nor param; ATC's -1).
    constexpr dim() noexcept = default;
    /// A known value; implicit so that shapes can be written as {1, 3, 224, 224}.
    constexpr dim(std::int64_t v) noexcept : kind_(kind::value), lo_(v), hi_(v) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] static constexpr dim unknown() noexcept { return dim{}; }
    [[nodiscard]] static constexpr dim known(std::int64_t v) noexcept { return dim{v}; }
    [[nodiscard]] static dim symbol(std::string name) {
        dim d;
        d.kind_ = kind::symbol;
        d.name_ = std::move(name);
        return d;
    }
    /// A range lo~hi; hi == -1 means unbounded above.
    [[nodiscard]] static constexpr dim range(std::int64_t lo, std::int64_t hi) noexcept {
        dim d;
        d.kind_ = kind::range;
        d.lo_ = lo;
        d.hi_ = hi;
        return d;
    }

    [[nodiscard]] constexpr kind get_kind() const noexcept { return kind_; }
    [[nodiscard]] constexpr bool is_static() const noexcept { return kind_ == kind::value; }
    [[nodiscard]] constexpr bool is_symbol() const noexcept { return kind_ == kind::symbol; }
    [[nodiscard]] constexpr bool is_range() const noexcept { return kind_ == kind::range; }
    [[nodiscard]] constexpr bool is_unknown() const noexcept { return kind_ == kind::unknown; }
    [[nodiscard]] constexpr bool is_dynamic() const noexcept { return kind_ != kind::value; }

    /// The value of a static dim (precondition: is_static()).
    [[nodiscard]] constexpr std::int64_t value() const noexcept { return lo_; }
    /// The symbol's name (empty unless is_symbol()).
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /// Lower/upper bound of a range (for a static dim both are the value).
    [[nodiscard]] constexpr std::int64_t lo() const noexcept { return lo_; }
    [[nodiscard]] constexpr std::int64_t hi() const noexcept { return hi_; }

    /// "3", "N", "1~10", "1~-1" or "?".
    [[nodiscard]] std::string to_string() const {
        switch (kind_) {
            case kind::value: return std::to_string(lo_);
            case kind::symbol: return name_;
            case kind::range: return std::to_string(lo_) + "~" + std::to_string(hi_);
            case kind::unknown: break;
        }
        return "?";
    }

    friend bool operator==(const dim& a, const dim& b) noexcept {
        if (a.kind_ != b.kind_) return false;
        switch (a.kind_) {
            case kind::value: return a.lo_ == b.lo_;
            case kind::symbol: return a.name_ == b.name_;
            case kind::range: return a.lo_ == b.lo_ && a.hi_ == b.hi_;
            case kind::unknown: return true;
        }
        return false;
    }

private:
    kind kind_ = kind::unknown;
    std::int64_t lo_ = -1;
    std::int64_t hi_ = -1;
    std::string name_;
};

GEARC_END_NAMESPACE
