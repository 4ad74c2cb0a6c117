// Constant tensors (weights): a dtype, static sizes and a shared, immutable byte buffer.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/detail/mapped_file.hpp>
#include <gearc/dtype.hpp>
#include <gearc/error.hpp>
#include <gearc/shape.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// Immutable bytes with shared ownership. Copies share the bytes: many gear graphs refer to one
/// copy of the weights. The owner may be a heap vector or a memory-mapped file.
class buffer {
public:
    buffer() = default;
    /// Takes ownership of `bytes`.
    explicit buffer(std::vector<std::byte> bytes) {
        auto owner = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
        data_ = owner->data();
        size_ = owner->size();
        owner_ = std::move(owner);
    }
    /// Points into memory kept alive by `owner` (e.g. a mapped file), without copying.
    buffer(std::shared_ptr<const void> owner, const std::byte* data, std::size_t size)
        : owner_(std::move(owner)), data_(data), size_(size) {}
    /// Copies `size` bytes from `data`.
    [[nodiscard]] static buffer copy_of(const void* data, std::size_t size) {
        std::vector<std::byte> v(size);
        if (size) std::memcpy(v.data(), data, size);
        return buffer(std::move(v));
    }

    [[nodiscard]] const std::byte* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    /// How many handles share these bytes (for tests and memory reports).
    [[nodiscard]] long use_count() const noexcept { return owner_.use_count(); }
    /// True when both refer to the same bytes.
    [[nodiscard]] bool shares_with(const buffer& o) const noexcept { return data_ == o.data_ && size_ == o.size_; }

private:
    std::shared_ptr<const void> owner_;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

/// A constant tensor with static sizes. Copying a tensor never copies its bytes.
class tensor {
public:
    tensor() = default;
    /// Checks that the buffer holds exactly numel * size_of(type) bytes (GC1010 otherwise).
    tensor(dtype type, std::vector<std::int64_t> sizes, buffer data) : type_(type), sizes_(std::move(sizes)), data_(std::move(data)) {
        std::int64_t n = 1;
        for (auto s : sizes_) {
            if (s < 0)
                throw model_error(errc::tensor_data, "tensor size " + std::to_string(s) + " is negative");
            n *= s;
        }
        const auto expect = static_cast<std::size_t>(n) * size_of(type_);
        if (type_ != dtype::string && data_.size() != expect)
            throw model_error(errc::tensor_data,
                              "tensor of type " + std::string(to_string(type_)) + " and shape " + shape::of(sizes_).to_string() +
                                  " needs " + std::to_string(expect) + " bytes but has " + std::to_string(data_.size()));
    }

    /// A tensor from typed values, e.g. tensor::from<float>({2, 2}, {1, 2, 3, 4}).
    template <class T>
    [[nodiscard]] static tensor from(std::vector<std::int64_t> sizes, const std::vector<T>& values) {
        static_assert(std::is_arithmetic_v<T>, "tensor::from needs an arithmetic element type");
        if constexpr (std::is_same_v<T, bool>) {
            std::vector<std::byte> bytes(values.size());
            for (std::size_t i = 0; i < values.size(); ++i) bytes[i] = static_cast<std::byte>(values[i] ? 1 : 0);
            return tensor(dtype::boolean, std::move(sizes), buffer(std::move(bytes)));
        } else {
            return tensor(dtype_of_v<T>, std::move(sizes), buffer::copy_of(values.data(), values.size() * sizeof(T)));
        }
    }

    [[nodiscard]] dtype type() const noexcept { return type_; }
    [[nodiscard]] const std::vector<std::int64_t>& sizes() const noexcept { return sizes_; }
    [[nodiscard]] gearc::shape get_shape() const { return shape::of(sizes_); }
    [[nodiscard]] std::int64_t numel() const noexcept {
        std::int64_t n = 1;
        for (auto s : sizes_) n *= s;
        return n;
    }
    [[nodiscard]] const buffer& data() const noexcept { return data_; }
    [[nodiscard]] std::size_t nbytes() const noexcept { return data_.size(); }

    /// Typed read-only view; the element type must match dtype (checked).
    template <class T>
    [[nodiscard]] std::span<const T> view() const {
        if (dtype_of_v<T> != type_)
            throw graph_error(errc::graph_misuse, "tensor of type " + std::string(to_string(type_)) + " viewed as " +
                                                      std::string(to_string(dtype_of_v<T>)));
        return {reinterpret_cast<const T*>(data_.data()), static_cast<std::size_t>(numel())};
    }

    /// A 64-bit hash of the bytes: cheap identity for dumps, round-trip checks and constant deduplication.
    /// Four independent lanes over 8-byte words (weights run to hundreds of MB, and a byte-serial hash was
    /// most of compile()'s gear-independent time); the tail bytes are folded in FNV-1a style.
    [[nodiscard]] std::uint64_t checksum() const noexcept {
        constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
        const std::byte* p = data_.data();
        const std::size_t n = data_.size();
        std::uint64_t lane[4] = {1469598103934665603ull, k, k * 3, k * 5};
        std::size_t i = 0;
        for (; i + 32 <= n; i += 32)
            for (int j = 0; j < 4; ++j) {
                std::uint64_t w;
                std::memcpy(&w, p + i + 8 * j, 8);
                lane[j] = (lane[j] ^ w) * k;
                lane[j] ^= lane[j] >> 29;
            }
        std::uint64_t h = lane[0] ^ (lane[1] * 31) ^ (lane[2] * 961) ^ (lane[3] * 29791) ^ static_cast<std::uint64_t>(n);
        for (; i < n; ++i) {
            h ^= static_cast<std::uint64_t>(p[i]);
            h *= 1099511628211ull;
        }
        return h;
    }

private:
    dtype type_ = dtype::undefined;
    std::vector<std::int64_t> sizes_;
    buffer data_;
};

GEARC_END_NAMESPACE
