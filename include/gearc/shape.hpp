// Tensor shapes (a list of dims), symbol bindings, and the static/dynamic queries gears rely on.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// Values for named symbols: what a gear binds ("batch" -> 8).
using symbol_bindings = std::map<std::string, std::int64_t, std::less<>>;

/// A tensor shape. Rank 0 is a scalar; an absent shape (unknown rank) is std::optional<shape>.
class shape {
public:
    shape() = default;
    shape(std::initializer_list<dim> dims) : dims_(dims) {}
    explicit shape(std::vector<dim> dims) : dims_(std::move(dims)) {}
    /// A static shape from sizes.
    [[nodiscard]] static shape of(const std::vector<std::int64_t>& sizes) {
        shape s;
        s.dims_.reserve(sizes.size());
        for (auto v : sizes) s.dims_.emplace_back(v);
        return s;
    }

    [[nodiscard]] std::size_t rank() const noexcept { return dims_.size(); }
    [[nodiscard]] bool empty() const noexcept { return dims_.empty(); }
    [[nodiscard]] const dim& operator[](std::size_t i) const { return dims_[i]; }
    [[nodiscard]] dim& operator[](std::size_t i) { return dims_[i]; }
    [[nodiscard]] const std::vector<dim>& dims() const noexcept { return dims_; }
    [[nodiscard]] auto begin() const noexcept { return dims_.begin(); }
    [[nodiscard]] auto end() const noexcept { return dims_.end(); }
    void push_back(dim d) { dims_.push_back(std::move(d)); }

    /// True when every dim is a known value.
    [[nodiscard]] bool is_static() const noexcept {
        for (const auto& d : dims_)
            if (!d.is_static()) return false;
        return true;
    }

    /// Number of elements of a static shape (1 for a scalar); nullopt when any dim is dynamic.
    [[nodiscard]] std::optional<std::int64_t> numel() const noexcept {
        std::int64_t n = 1;
        for (const auto& d : dims_) {
            if (!d.is_static()) return std::nullopt;
            n *= d.value();
        }
        return n;
    }

    /// The sizes of a static shape (precondition: is_static()).
    [[nodiscard]] std::vector<std::int64_t> sizes() const {
        std::vector<std::int64_t> out;
        out.reserve(dims_.size());
        for (const auto& d : dims_) out.push_back(d.value());
        return out;
    }

    /// Replaces every symbol that `b` names by its value; other dims are kept.
    [[nodiscard]] shape bind(const symbol_bindings& b) const {
        shape out = *this;
        for (auto& d : out.dims_)
            if (d.is_symbol())
                if (auto it = b.find(d.name()); it != b.end()) d = dim(it->second);
        return out;
    }

    /// "[1,3,N,?]".
    [[nodiscard]] std::string to_string() const {
        std::string s = "[";
        for (std::size_t i = 0; i < dims_.size(); ++i) {
            if (i) s += ',';
            s += dims_[i].to_string();
        }
        return s + "]";
    }

    friend bool operator==(const shape& a, const shape& b) noexcept { return a.dims_ == b.dims_; }

private:
    std::vector<dim> dims_;
};

GEARC_END_NAMESPACE
