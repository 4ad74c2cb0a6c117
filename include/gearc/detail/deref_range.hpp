// A forward range over a container of owning pointers (or map entries) that yields references.
#pragma once

#include <gearc/detail/internal_header_check.hpp>

#include <cstddef>
#include <iterator>

GEARC_BEGIN_NAMESPACE
namespace detail {

/// Iterates `Container` and yields `Get{}(element)` — e.g. `*unique_ptr` or `*pair.second` — as `T&`.
/// (std::views::transform would do, but clang 14 with libstdc++ 12 rejects it.)
template <class Container, class T, class Get>
class deref_range {
public:
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = T*;
        using reference = T&;

        iterator() = default;
        explicit iterator(typename Container::const_iterator it) : it_(it) {}
        reference operator*() const { return Get{}(*it_); }
        pointer operator->() const { return &Get{}(*it_); }
        iterator& operator++() {
            ++it_;
            return *this;
        }
        iterator operator++(int) {
            auto old = *this;
            ++it_;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) { return a.it_ == b.it_; }

    private:
        typename Container::const_iterator it_{};
    };

    explicit deref_range(const Container& c) : c_(&c) {}
    [[nodiscard]] iterator begin() const { return iterator(c_->begin()); }
    [[nodiscard]] iterator end() const { return iterator(c_->end()); }
    [[nodiscard]] std::size_t size() const { return c_->size(); }
    [[nodiscard]] bool empty() const { return c_->empty(); }

private:
    const Container* c_;
};

}  // namespace detail
GEARC_END_NAMESPACE
