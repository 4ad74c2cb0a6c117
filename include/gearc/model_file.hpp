// The offline model file (.gearc): a compiled model (gear table, generic graph, one static plan per gear, weights once) in one file.
#pragma once

#include <gearc/compile.hpp>
#include <gearc/detail/abi_macros.hpp>
#include <gearc/detail/atomic_file.hpp>
#include <gearc/detail/mapped_file.hpp>
#include <gearc/dtype.hpp>
#include <gearc/error.hpp>
#include <gearc/gear_set.hpp>
#include <gearc/graph.hpp>
#include <gearc/passes/plan_memory.hpp>
#include <gearc/printer.hpp>
#include <gearc/tensor.hpp>
#include <gearc/value_type.hpp>
#include <gearc/verifier.hpp>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

// File layout, format version 1. Integers are little-endian; offsets count from the start of the file.
//
// | offset   | bytes  | field                                                                                  |
// |----------|--------|----------------------------------------------------------------------------------------|
// | 0        | 8      | signature 89 47 45 41 52 43 0d 0a ("\x89GEARC\r\n": binary; text-mode copies break it) |
// | 8        | 4      | format version (u32): 1                                                                |
// | 12       | 4      | header size (u32): 64                                                                  |
// | 16       | 8      | file size in bytes, checksum included (u64): truncation is found before anything else |
// | 24       | 6      | the gearc that wrote it: major, minor, patch (u16 each); then 2 zero bytes             |
// | 32       | 4      | number of sections (u32); then 4 zero bytes                                            |
// | 40       | 8      | offset of the section table (u64): 64; then 16 zero bytes                              |
// | 64       | 24 × n | section table: id (4 ASCII bytes), 0 (u32), offset (u64), size (u64)                   |
// | ...      |        | the sections, each at a multiple of 64                                                 |
// | size - 8 | 8      | checksum (u64) of every byte before it                                                 |
//
// | section | holds                                                                                              |
// |---------|----------------------------------------------------------------------------------------------------|
// | META    | the metadata: string -> string (recorded options such as --soc_version, the command line, ...)     |
// | GEAR    | the gear set: kind, input format, input names; per gear its index, profile, input shapes, bindings |
// | PLAN    | the generic graph's number, stats and times; per gear: the gear, its graph's number, memory plan    |
// |         | (every slot, arena and naive sizes, alignment), flags, stats, compile time                         |
// | GRPH    | every distinct graph (the generic one, then each gear's): name, model info (opsets, producer,      |
// |         | metadata), values (name, type, initializer), inputs, initializers, outer references, nodes (op,    |
// |         | domain, name, inputs, outputs, attributes of every kind, subgraphs inline), outputs                |
// | BLOB    | the weight table: offset and size of each weight region                                            |
// | WGHT    | the weights: each distinct buffer once (buffers shared by graphs are stored once), 64-byte aligned |
//
// Inside sections, a string or list is a u64 count then its items; a dim is a kind byte then its value, its
// symbol text (a dim_expr's canonical text) or its range bounds; floats are stored as their bits; a tensor is
// its dtype, sizes and (weight region, offset, size); values are referred to by their number in the graph.
// A reader skips sections it does not know, so a later gearc may add some without a new format version; the
// first 32 bytes keep their meaning in every version, so that any gearc can say which version wrote a file.

GEARC_BEGIN_NAMESPACE

/// The format version this gearc writes, and the newest it reads.
inline constexpr std::uint32_t model_file_format_version = 1;
/// The usual file name extension of a model file.
inline constexpr std::string_view model_file_extension = ".gearc";

/// Free-form facts saved with a model and given back by load_model(): the options it was compiled with
/// (ATC's `--soc_version`, `--input_shape`, ...), the command line, a description.
using model_file_metadata = std::map<std::string, std::string, std::less<>>;

/// How load_model() reads the file.
struct model_load_options {
    /// Map the file read-only and let the weights point into the mapping (no copy; pages are shared between
    /// processes). False, or where mapping fails: the file is read into memory.
    bool map_weights = true;
    /// Also run the IR verifier on every graph and passes::check_plan on every memory plan (GC7003 when one
    /// fails). The checksum already catches damage; this is for files from an untrusted source, whose
    /// checksum proves nothing. It costs time on large models.
    bool verify = false;
};

/// What load_model() found out about the file itself.
struct model_file_info {
    std::uint32_t format_version = 0;  ///< the file's format version
    std::string written_by;            ///< the gearc version that wrote it, "0.1.0"
    std::size_t file_bytes = 0;        ///< the file's size
    std::size_t weight_bytes = 0;      ///< the weights section: each distinct buffer once, with alignment padding
    bool mapped = false;               ///< true: the weights point into a read-only mapping of the file, not a heap copy
    /// The file's bytes as loaded (the mapping, or the copy in memory); the weights point into them.
    std::span<const std::byte> bytes;
    std::shared_ptr<const void> storage;  ///< keeps `bytes` alive (the model's tensors hold it too)
};

/// A model read back from a file: the compiled model (shared, so that sessions can hold it), its metadata
/// and the file's facts.
template <class Traits>
struct basic_loaded_model {
    std::shared_ptr<const basic_compiled_model<Traits>> model;
    model_file_metadata metadata;
    model_file_info file;
};
using loaded_model = basic_loaded_model<default_ir_traits>;

namespace detail::model_file {

inline constexpr std::byte signature[8] = {std::byte{0x89}, std::byte{'G'}, std::byte{'E'},  std::byte{'A'},
                                           std::byte{'R'},  std::byte{'C'}, std::byte{'\r'}, std::byte{'\n'}};
inline constexpr std::size_t header_bytes = 64;
inline constexpr std::size_t section_entry_bytes = 24;
inline constexpr std::size_t checksum_bytes = 8;
inline constexpr std::size_t alignment = 64;
inline constexpr int max_depth = 64;  // nested subgraphs / sequence types: deeper files are refused, not recursed into
inline constexpr std::uint32_t no_region = 0xFFFFFFFFu;

[[nodiscard]] constexpr std::uint32_t fourcc(const char (&s)[5]) noexcept {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[0])) | static_cast<std::uint32_t>(static_cast<unsigned char>(s[1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[2])) << 16 | static_cast<std::uint32_t>(static_cast<unsigned char>(s[3])) << 24;
}
inline constexpr std::uint32_t sec_meta = fourcc("META"), sec_gear = fourcc("GEAR"), sec_plan = fourcc("PLAN"),
                               sec_grph = fourcc("GRPH"), sec_blob = fourcc("BLOB"), sec_wght = fourcc("WGHT");

[[nodiscard]] inline std::string fourcc_text(std::uint32_t id) {
    std::string s;
    for (int i = 0; i < 4; ++i) {
        const char c = static_cast<char>((id >> (8 * i)) & 0xff);
        s += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return s;
}

[[nodiscard]] constexpr std::size_t align_up(std::size_t n, std::size_t a) noexcept { return (n + a - 1) / a * a; }

[[nodiscard]] inline std::uint64_t load_le(const std::byte* p, int n) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
}

[[nodiscard]] inline std::string hex_bytes(std::span<const std::byte> b) {
    constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i) s += ' ';
        s += digits[static_cast<unsigned>(b[i]) >> 4];
        s += digits[static_cast<unsigned>(b[i]) & 15];
    }
    return s;
}

[[nodiscard]] inline std::string version_text(std::uint64_t major, std::uint64_t minor, std::uint64_t patch) {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}
[[nodiscard]] inline std::string this_version() { return version_text(GEARC_VERSION_MAJOR, GEARC_VERSION_MINOR, GEARC_VERSION_PATCH); }

/// The file checksum: four independent lanes over little-endian 8-byte words (GB/s, so checking a model of
/// hundreds of MB costs little next to reading it), the tail folded in FNV-1a style, then a final mix. Every
/// step is a bijection of the state, so a change confined to one word (any flipped byte) always changes the sum.
class hasher {
public:
    void update(const std::byte* p, std::size_t n) noexcept {
        total_ += n;
        if (pending_) {
            const std::size_t k = std::min(n, block - pending_);
            std::memcpy(buf_ + pending_, p, k);
            pending_ += k;
            p += k;
            n -= k;
            if (pending_ < block) return;
            mix(buf_);
            pending_ = 0;
        }
        for (; n >= block; p += block, n -= block) mix(p);
        if (n) {
            std::memcpy(buf_, p, n);
            pending_ = n;
        }
    }
    [[nodiscard]] std::uint64_t digest() const noexcept {
        std::uint64_t h = lane_[0] ^ (lane_[1] * 31) ^ (lane_[2] * 961) ^ (lane_[3] * 29791);
        for (std::size_t i = 0; i < pending_; ++i) {
            h ^= static_cast<std::uint64_t>(buf_[i]);
            h *= 1099511628211ull;
        }
        h ^= total_;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 33;
        return h;
    }

private:
    static constexpr std::size_t block = 32;
    static constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
    void mix(const std::byte* p) noexcept {
        for (int j = 0; j < 4; ++j) {
            std::uint64_t w;
            if constexpr (std::endian::native == std::endian::little) std::memcpy(&w, p + 8 * j, 8);
            else w = load_le(p + 8 * j, 8);
            lane_[j] = (lane_[j] ^ w) * k;
            lane_[j] ^= lane_[j] >> 29;
        }
    }
    std::uint64_t lane_[4] = {1469598103934665603ull, k, k * 3, k * 5};
    std::byte buf_[block] = {};
    std::size_t pending_ = 0;
    std::uint64_t total_ = 0;
};

[[nodiscard]] inline std::uint64_t checksum(std::span<const std::byte> bytes) noexcept {
    hasher h;
    h.update(bytes.data(), bytes.size());
    return h.digest();
}

// ---- errors ------------------------------------------------------------------------------------------------

inline const std::string corrupt_solution =
    "The file was damaged after gearc wrote it (an interrupted copy or download, a full disk, a bad medium): "
    "copy it again, or compile the model again and save it with gearc::save_model.";

[[noreturn]] inline void corrupt(const std::string& name, const std::string& what) {
    throw model_error(errc::model_file_corrupt, "model file [" + name + "] is truncated or corrupted: " + what, corrupt_solution);
}

[[noreturn]] inline void read_failed(const std::string& path, const char* what, int e) {
    throw model_error(errc::model_file_io, std::string(what) + " model file [" + path + "]: " + std::strerror(e),
                      "Check that the path names an existing, readable file (a .gearc file written by gearc::save_model).");
}

// ---- writing -------------------------------------------------------------------------------------------------

template <class S>
[[nodiscard]] std::string_view view_of(const S& s) noexcept {
    return std::string_view(s.data(), s.size());
}

/// Appends little-endian fields to a byte vector.
class byte_writer {
public:
    std::vector<std::byte> bytes;

    void u8(std::uint8_t v) { bytes.push_back(static_cast<std::byte>(v)); }
    void u16(std::uint16_t v) { le(v, 2); }
    void u32(std::uint32_t v) { le(v, 4); }
    void u64(std::uint64_t v) { le(v, 8); }
    void i64(std::int64_t v) { le(static_cast<std::uint64_t>(v), 8); }
    void f32(float v) { le(std::bit_cast<std::uint32_t>(v), 4); }
    void f64(double v) { le(std::bit_cast<std::uint64_t>(v), 8); }
    void count(std::size_t n) { u64(static_cast<std::uint64_t>(n)); }
    void flag(bool b) { u8(b ? 1 : 0); }
    void str(std::string_view s) {
        count(s.size());
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        bytes.insert(bytes.end(), p, p + s.size());
    }

private:
    void le(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) bytes.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
    }
};

/// The distinct weight memory of a model. Buffers are grouped by address: buffers that overlap (the same
/// bytes shared by many graphs, or views into one block) form one region, stored once; a tensor refers to
/// (region, offset, size), so the loaded model shares exactly what the saved one shared. Regions are
/// numbered in the order the graphs first use them, which makes the file independent of heap addresses.
class weight_regions {
public:
    struct region {
        std::uintptr_t begin, end;
        const std::byte* data;
        std::uint32_t number = no_region;
    };

    void add(const buffer& b) {
        if (b.size()) regions_.push_back({address(b.data()), address(b.data()) + b.size(), b.data()});
    }
    /// Merges overlapping buffers into regions; call once after every add().
    void finish() {
        std::sort(regions_.begin(), regions_.end(), [](const region& a, const region& b) { return a.begin < b.begin; });
        std::vector<region> merged;
        for (const auto& r : regions_) {
            if (!merged.empty() && r.begin < merged.back().end) merged.back().end = std::max(merged.back().end, r.end);
            else merged.push_back(r);
        }
        regions_ = std::move(merged);
    }
    /// (region number, offset in it) of a buffer that was added; numbers regions in first-use order.
    [[nodiscard]] std::pair<std::uint32_t, std::size_t> locate(const buffer& b) {
        const auto a = address(b.data());
        auto it = std::upper_bound(regions_.begin(), regions_.end(), a, [](std::uintptr_t x, const region& r) { return x < r.begin; });
        if (it == regions_.begin())
            throw graph_error(errc::graph_misuse, "save_model: a tensor's buffer was not collected (internal error)");
        --it;
        if (it->number == no_region) {
            it->number = static_cast<std::uint32_t>(order_.size());
            order_.push_back(static_cast<std::size_t>(it - regions_.begin()));
        }
        return {it->number, static_cast<std::size_t>(a - it->begin)};
    }
    /// The regions in file order: (data, size).
    [[nodiscard]] std::vector<std::pair<const std::byte*, std::size_t>> in_file_order() const {
        std::vector<std::pair<const std::byte*, std::size_t>> out;
        for (auto i : order_) out.emplace_back(regions_[i].data, static_cast<std::size_t>(regions_[i].end - regions_[i].begin));
        return out;
    }

private:
    static std::uintptr_t address(const std::byte* p) noexcept { return reinterpret_cast<std::uintptr_t>(p); }
    std::vector<region> regions_;
    std::vector<std::size_t> order_;
};

inline void write_dim(byte_writer& w, const dim& d) {
    w.u8(static_cast<std::uint8_t>(d.get_kind()));
    switch (d.get_kind()) {
        case dim::kind::value: w.i64(d.value()); break;
        case dim::kind::symbol: w.str(d.name()); break;
        case dim::kind::range:
            w.i64(d.lo());
            w.i64(d.hi());
            break;
        case dim::kind::unknown: break;
    }
}

inline void write_shape(byte_writer& w, const shape& s) {
    w.count(s.rank());
    for (const auto& d : s) write_dim(w, d);
}

inline void write_type(byte_writer& w, const value_type& t) {
    w.u8(static_cast<std::uint8_t>(t.type_kind));
    w.u8(static_cast<std::uint8_t>(t.elem));
    w.flag(t.dims.has_value());
    if (t.dims) write_shape(w, *t.dims);
    w.flag(t.inner != nullptr);
    if (t.inner) write_type(w, *t.inner);
}

inline void write_gear(byte_writer& w, const gear& g) {
    w.count(g.index);
    w.count(g.profile.size());
    for (auto v : g.profile) w.i64(v);
    w.count(g.shapes.size());
    for (const auto& [name, s] : g.shapes) {
        w.str(name);
        write_shape(w, s);
    }
    w.count(g.bindings.size());
    for (const auto& [name, v] : g.bindings) {
        w.str(name);
        w.i64(v);
    }
}

inline void write_gear_set(byte_writer& w, const gear_set& gs) {
    w.u8(static_cast<std::uint8_t>(gs.kind()));
    w.u8(static_cast<std::uint8_t>(gs.input_format()));
    w.count(gs.inputs().size());
    for (const auto& n : gs.inputs()) w.str(n);
    w.count(gs.size());
    for (const auto& g : gs) write_gear(w, g);
}

template <class Map>
void write_stats(byte_writer& w, const Map& stats) {
    w.count(stats.size());
    for (const auto& [k, v] : stats) {
        w.str(k);
        w.u64(static_cast<std::uint64_t>(v));
    }
}

inline void write_memory_plan(byte_writer& w, const passes::memory_plan& m) {
    w.count(m.slots.size());
    for (const auto& s : m.slots) {
        w.str(s.value);
        w.u64(s.offset);
        w.u64(s.bytes);
        w.u64(s.first);
        w.u64(s.last);
        w.str(s.alias_of);
    }
    w.u64(m.arena_bytes);
    w.u64(m.naive_bytes);
    w.u64(m.in_place);
    w.u64(m.alignment);
}

/// Every buffer a graph holds (initializers, tensor attributes, subgraphs), for weight_regions.
template <class Traits>
void collect_buffers(const basic_graph<Traits>& g, weight_regions& out) {
    using attr_t = basic_attribute<Traits>;
    using gptr = typename attr_t::graph_ptr;
    for (const auto& v : g.values())
        if (v.initializer()) out.add(v.initializer()->data());
    for (const auto& n : g.nodes())
        for (const auto& [k, a] : n.attributes()) {
            const auto& s = a.get();
            if (const auto* t = std::get_if<tensor>(&s)) out.add(t->data());
            if (const auto* ts = std::get_if<typename Traits::template vector_type<tensor>>(&s))
                for (const auto& t2 : *ts) out.add(t2.data());
            if (const auto* sg = std::get_if<gptr>(&s); sg && *sg) collect_buffers(**sg, out);
            if (const auto* sgs = std::get_if<typename Traits::template vector_type<gptr>>(&s))
                for (const auto& sg2 : *sgs)
                    if (sg2) collect_buffers(*sg2, out);
        }
}

/// Serialises graphs; tensors refer to weight regions.
template <class Traits>
class graph_writer {
public:
    using graph_t = basic_graph<Traits>;
    using value_t = basic_value<Traits>;
    using attr_t = basic_attribute<Traits>;
    using gptr = typename attr_t::graph_ptr;
    template <class T>
    using vec = typename Traits::template vector_type<T>;

    explicit graph_writer(weight_regions& weights) : weights_(weights) {}

    void write_tensor(byte_writer& w, const tensor& t) {
        w.u8(static_cast<std::uint8_t>(t.type()));
        w.count(t.sizes().size());
        for (auto s : t.sizes()) w.i64(s);
        if (t.data().size() == 0) {
            w.u32(no_region);
            w.u64(0);
            w.u64(0);
            return;
        }
        const auto [region, offset] = weights_.locate(t.data());
        w.u32(region);
        w.u64(offset);
        w.u64(t.data().size());
    }

    void write_attribute(byte_writer& w, const attr_t& a) {
        using kind = typename attr_t::kind;
        const auto& s = a.get();
        w.u8(static_cast<std::uint8_t>(a.get_kind()));
        auto list = [&](const auto& xs, auto&& one) {
            w.count(xs.size());
            for (const auto& x : xs) one(x);
        };
        switch (a.get_kind()) {
            case kind::undefined: break;
            case kind::f: w.f32(std::get<float>(s)); break;
            case kind::i: w.i64(std::get<std::int64_t>(s)); break;
            case kind::s: w.str(view_of(std::get<typename Traits::string_type>(s))); break;
            case kind::t: write_tensor(w, std::get<tensor>(s)); break;
            case kind::g: write_subgraph(w, std::get<gptr>(s)); break;
            case kind::tp: write_type(w, std::get<value_type>(s)); break;
            case kind::floats: list(std::get<vec<float>>(s), [&](float x) { w.f32(x); }); break;
            case kind::ints: list(std::get<vec<std::int64_t>>(s), [&](std::int64_t x) { w.i64(x); }); break;
            case kind::strings: list(std::get<vec<typename Traits::string_type>>(s), [&](const auto& x) { w.str(view_of(x)); }); break;
            case kind::tensors: list(std::get<vec<tensor>>(s), [&](const tensor& x) { write_tensor(w, x); }); break;
            case kind::graphs: list(std::get<vec<gptr>>(s), [&](const gptr& x) { write_subgraph(w, x); }); break;
            case kind::type_protos: list(std::get<vec<value_type>>(s), [&](const value_type& x) { write_type(w, x); }); break;
        }
    }

    void write_graph(byte_writer& w, const graph_t& g) {
        w.str(view_of(g.name()));
        const auto& info = g.info();
        w.i64(info.ir_version);
        w.count(info.opset_imports.size());
        for (const auto& [domain, version] : info.opset_imports) {
            w.str(domain);
            w.i64(version);
        }
        w.str(info.producer_name);
        w.str(info.producer_version);
        w.str(info.domain);
        w.i64(info.model_version);
        w.str(info.doc_string);
        w.count(info.metadata.size());
        for (const auto& [k, v] : info.metadata) {
            w.str(k);
            w.str(v);
        }
        w.str(info.source_path);

        // values by name, so that the file does not depend on the hash map's order
        std::vector<const value_t*> values;
        values.reserve(g.num_values());
        for (const auto& v : g.values()) values.push_back(&v);
        std::sort(values.begin(), values.end(), [](const value_t* a, const value_t* b) { return view_of(a->name()) < view_of(b->name()); });
        std::unordered_map<const value_t*, std::size_t> number;
        number.reserve(values.size());
        w.count(values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            const auto* v = values[i];
            number.emplace(v, i);
            w.str(view_of(v->name()));
            write_type(w, v->type());
            w.flag(v->initializer().has_value());
            if (v->initializer()) write_tensor(w, *v->initializer());
        }
        auto refs = [&](const std::vector<value_t*>& list) {
            w.count(list.size());
            for (const auto* v : list) w.u64(number.at(v));
        };
        refs(g.inputs());
        refs(g.initializers());
        refs(g.outer_refs());
        w.count(g.num_nodes());
        for (const auto& n : g.nodes()) {
            w.str(view_of(n.op_type()));
            w.str(view_of(n.domain()));
            w.str(view_of(n.name()));
            w.count(n.num_inputs());
            for (const auto* v : n.inputs()) w.u64(v ? number.at(v) + 1 : 0);
            w.count(n.num_outputs());
            for (const auto* v : n.outputs()) w.u64(v ? number.at(v) + 1 : 0);
            w.count(n.attributes().size());
            for (const auto& [k, a] : n.attributes()) {
                w.str(view_of(k));
                write_attribute(w, a);
            }
        }
        refs(g.outputs());
    }

private:
    void write_subgraph(byte_writer& w, const gptr& g) {
        w.flag(g != nullptr);
        if (g) write_graph(w, *g);
    }

    weight_regions& weights_;
};

/// A model laid out as a file: everything before the weights in `head`, then the weight regions at
/// their offsets, then the checksum at `file_size - 8`.
struct file_image {
    std::vector<std::byte> head;
    std::vector<std::pair<const std::byte*, std::size_t>> weights;
    std::vector<std::size_t> weight_offsets;
    std::size_t file_size = 0;

    /// Feeds the file's bytes, in order, to `sink(const std::byte*, std::size_t)`.
    template <class Sink>
    void emit(Sink&& sink) const {
        static constexpr std::byte zeros[alignment] = {};
        hasher h;
        std::size_t at = 0;
        auto put = [&](const std::byte* p, std::size_t n) {
            if (!n) return;
            h.update(p, n);
            sink(p, n);
            at += n;
        };
        auto pad_to = [&](std::size_t offset) {
            while (at < offset) put(zeros, std::min(offset - at, alignment));
        };
        put(head.data(), head.size());
        for (std::size_t i = 0; i < weights.size(); ++i) {
            pad_to(weight_offsets[i]);
            put(weights[i].first, weights[i].second);
        }
        pad_to(file_size - checksum_bytes);
        byte_writer tail;
        tail.u64(h.digest());
        sink(tail.bytes.data(), tail.bytes.size());
    }
};

template <class Traits>
file_image encode(const basic_compiled_model<Traits>& m, const model_file_metadata& metadata) {
    using graph_t = basic_graph<Traits>;
    using access = detail::compiling::access;

    // the distinct graphs: the generic one first, then each gear's in order
    std::vector<const graph_t*> graphs;
    auto graph_number = [&](const graph_t* g) -> std::uint64_t {
        if (!g) return ~std::uint64_t{0};
        auto it = std::find(graphs.begin(), graphs.end(), g);
        if (it != graphs.end()) return static_cast<std::uint64_t>(it - graphs.begin());
        graphs.push_back(g);
        return graphs.size() - 1;
    };

    byte_writer meta, gears, plan, grph, blob;
    meta.count(metadata.size());
    for (const auto& [k, v] : metadata) {
        meta.str(k);
        meta.str(v);
    }
    write_gear_set(gears, m.gears());

    plan.u64(graph_number(access::generic(m).get()));  // may be null in a default-constructed model
    write_stats(plan, m.generic_stats());
    plan.f64(m.generic_ms());
    plan.f64(m.total_ms());
    plan.count(m.plans().size());
    for (const auto& p : m.plans()) {
        write_gear(plan, p.info);
        plan.u64(graph_number(p.graph.get()));
        write_memory_plan(plan, p.memory);
        plan.flag(p.bounded_dynamic);
        plan.flag(p.dynamic_memory);
        write_stats(plan, p.stats);
        plan.f64(p.compile_ms);
    }

    weight_regions weights;
    for (const auto* g : graphs) collect_buffers(*g, weights);
    weights.finish();
    graph_writer<Traits> gw(weights);
    grph.count(graphs.size());
    for (const auto* g : graphs) gw.write_graph(grph, *g);
    const auto regions = weights.in_file_order();

    // layout: header, section table, META GEAR PLAN GRPH BLOB WGHT, checksum
    const std::uint32_t ids[] = {sec_meta, sec_gear, sec_plan, sec_grph, sec_blob, sec_wght};
    const std::size_t nsec = std::size(ids);
    const std::size_t blob_size = 8 + 16 * regions.size();
    std::size_t at = header_bytes + nsec * section_entry_bytes;
    std::vector<std::pair<std::size_t, std::size_t>> place;  // offset, size
    for (const std::size_t size : {meta.bytes.size(), gears.bytes.size(), plan.bytes.size(), grph.bytes.size(), blob_size}) {
        at = align_up(at, alignment);
        place.emplace_back(at, size);
        at += size;
    }
    file_image img;
    at = align_up(at, alignment);
    const std::size_t weights_begin = at;
    for (const auto& [data, size] : regions) {
        at = align_up(at, alignment);
        img.weight_offsets.push_back(at);
        at += size;
    }
    place.emplace_back(weights_begin, at - weights_begin);
    img.file_size = align_up(at, 8) + checksum_bytes;
    img.weights = regions;

    blob.count(regions.size());
    for (std::size_t i = 0; i < regions.size(); ++i) {
        blob.u64(img.weight_offsets[i]);
        blob.u64(regions[i].second);
    }

    byte_writer head;
    head.bytes.assign(std::begin(signature), std::end(signature));
    head.u32(model_file_format_version);
    head.u32(static_cast<std::uint32_t>(header_bytes));
    head.u64(img.file_size);
    head.u16(GEARC_VERSION_MAJOR);
    head.u16(GEARC_VERSION_MINOR);
    head.u16(GEARC_VERSION_PATCH);
    head.u16(0);
    head.u32(static_cast<std::uint32_t>(nsec));
    head.u32(0);
    head.u64(header_bytes);
    head.u64(0);
    head.u64(0);
    for (std::size_t i = 0; i < nsec; ++i) {
        head.u32(ids[i]);
        head.u32(0);
        head.u64(place[i].first);
        head.u64(place[i].second);
    }
    const byte_writer* bodies[] = {&meta, &gears, &plan, &grph, &blob};
    for (std::size_t i = 0; i < std::size(bodies); ++i) {
        head.bytes.resize(place[i].first, std::byte{0});
        head.bytes.insert(head.bytes.end(), bodies[i]->bytes.begin(), bodies[i]->bytes.end());
    }
    img.head = std::move(head.bytes);
    return img;
}

// ---- reading -------------------------------------------------------------------------------------------------

/// Reads little-endian fields from one section. Every read is bounds-checked and every count is checked
/// against the bytes left before anything is allocated, so no file, however broken, makes the reader crash,
/// loop or allocate more than a small multiple of its size. Failures are GC7003 naming the file, the section
/// and the byte.
class byte_reader {
public:
    byte_reader(std::span<const std::byte> bytes, std::size_t base, const std::string& file, std::uint32_t section)
        : p_(bytes.data()), n_(bytes.size()), base_(base), file_(&file), section_(section) {}

    [[nodiscard]] std::size_t remaining() const noexcept { return n_ - pos_; }
    [[noreturn]] void fail(const std::string& what) const {
        corrupt(*file_, "section " + fourcc_text(section_) + ", byte " + std::to_string(base_ + pos_) + ": " + what);
    }

    std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(take(4)); }
    std::uint64_t u64() { return take(8); }
    std::int64_t i64() { return static_cast<std::int64_t>(take(8)); }
    float f32() { return std::bit_cast<float>(static_cast<std::uint32_t>(take(4))); }
    double f64() { return std::bit_cast<double>(take(8)); }
    bool flag() {
        const auto v = u8();
        if (v > 1) fail("a flag byte is " + std::to_string(v) + ", neither 0 nor 1");
        return v == 1;
    }
    /// A count of items that take at least `min_item_bytes` each in the file.
    std::size_t count(std::size_t min_item_bytes, const char* what) {
        const auto n = u64();
        if (n > remaining() / std::max<std::size_t>(min_item_bytes, 1))
            fail(std::string("the number of ") + what + " (" + std::to_string(n) + ") does not fit in the " +
                 std::to_string(remaining()) + " bytes left");
        return static_cast<std::size_t>(n);
    }
    /// A number below `limit`.
    std::size_t index(std::size_t limit, const char* what) {
        const auto i = u64();
        if (i >= limit) fail(std::string(what) + " number " + std::to_string(i) + " is out of range (there are " + std::to_string(limit) + ")");
        return static_cast<std::size_t>(i);
    }
    std::string str() {
        const auto n = count(1, "string bytes");
        std::string s(reinterpret_cast<const char*>(p_ + pos_), n);
        pos_ += n;
        return s;
    }
    /// An enumeration stored as a byte, at most `last`.
    template <class E>
    E enumerated(E last, const char* what) {
        const auto v = u8();
        if (v > static_cast<std::uint8_t>(last)) fail(std::string(what) + " code " + std::to_string(v) + " is unknown");
        return static_cast<E>(v);
    }
    void expect_end() const {
        if (pos_ != n_) fail(std::to_string(n_ - pos_) + " bytes are left over at the end of the section");
    }

private:
    std::uint64_t take(std::size_t n) {
        if (remaining() < n) fail("the section ends in the middle of a field");
        const auto v = load_le(p_ + pos_, static_cast<int>(n));
        pos_ += n;
        return v;
    }

    const std::byte* p_;
    std::size_t n_;
    std::size_t pos_ = 0;
    std::size_t base_;
    const std::string* file_;
    std::uint32_t section_;
};

// The fewest bytes an item takes in the file (what count() checks against).
inline constexpr std::size_t min_string = 8, min_dim = 1, min_type = 4, min_value = min_string + min_type + 1, min_tensor = 29,
                             min_attribute = min_string + 1, min_node = 6 * 8, min_graph = 12 * 8, min_gear = 4 * 8,
                             min_slot = 6 * 8, min_plan = 8 * 8;

inline dim read_dim(byte_reader& r) {
    switch (r.enumerated(dim::kind::range, "dim kind")) {
        case dim::kind::value: return dim(r.i64());
        case dim::kind::symbol: return dim::symbol(r.str());
        case dim::kind::range: {
            const auto lo = r.i64();
            const auto hi = r.i64();
            return dim::range(lo, hi);
        }
        case dim::kind::unknown: break;
    }
    return dim::unknown();
}

inline shape read_shape(byte_reader& r) {
    const auto rank = r.count(min_dim, "dims");
    std::vector<dim> dims;
    dims.reserve(rank);
    for (std::size_t i = 0; i < rank; ++i) dims.push_back(read_dim(r));
    return shape(std::move(dims));
}

inline value_type read_type(byte_reader& r, int depth) {
    if (depth > max_depth) r.fail("types are nested more than " + std::to_string(max_depth) + " deep");
    value_type t;
    t.type_kind = r.enumerated(value_type::kind::optional, "type kind");
    t.elem = r.enumerated(dtype::string, "dtype");
    if (r.flag()) t.dims = read_shape(r);
    if (r.flag()) t.inner = std::make_shared<const value_type>(read_type(r, depth + 1));
    return t;
}

inline gear read_gear(byte_reader& r) {
    gear g;
    g.index = static_cast<std::size_t>(r.u64());
    const auto np = r.count(8, "profile values");
    g.profile.reserve(np);
    for (std::size_t i = 0; i < np; ++i) g.profile.push_back(r.i64());
    const auto ns = r.count(2 * 8, "gear input shapes");
    for (std::size_t i = 0; i < ns; ++i) {
        auto name = r.str();
        auto s = read_shape(r);
        if (!g.shapes.emplace(name, std::move(s)).second) r.fail("gear " + std::to_string(g.index) + " names input '" + name + "' twice");
    }
    const auto nb = r.count(2 * 8, "gear bindings");
    for (std::size_t i = 0; i < nb; ++i) {
        auto name = r.str();
        const auto v = r.i64();
        if (!g.bindings.emplace(name, v).second) r.fail("gear " + std::to_string(g.index) + " binds '" + name + "' twice");
    }
    return g;
}

inline gear_set read_gear_set(byte_reader& r) {
    const auto kind = r.enumerated(gear_kind::range, "gear kind");
    const auto format = r.enumerated(tensor_format::ncdhw, "input format");
    const auto ni = r.count(min_string, "model inputs");
    std::vector<std::string> inputs;
    inputs.reserve(ni);
    for (std::size_t i = 0; i < ni; ++i) inputs.push_back(r.str());
    const auto ng = r.count(min_gear, "gears");
    std::vector<gear> gears;
    gears.reserve(ng);
    for (std::size_t i = 0; i < ng; ++i) {
        gears.push_back(read_gear(r));
        if (gears.back().index != i) r.fail("gear " + std::to_string(i) + " is numbered " + std::to_string(gears.back().index));
    }
    return gear_set(kind, format, std::move(inputs), std::move(gears));
}

inline std::map<std::string, std::size_t, std::less<>> read_stats(byte_reader& r) {
    std::map<std::string, std::size_t, std::less<>> out;
    const auto n = r.count(2 * 8, "stats");
    for (std::size_t i = 0; i < n; ++i) {
        auto k = r.str();
        const auto v = r.u64();
        if (!out.emplace(k, static_cast<std::size_t>(v)).second) r.fail("stat '" + k + "' appears twice");
    }
    return out;
}

inline passes::memory_plan read_memory_plan(byte_reader& r) {
    passes::memory_plan m;
    const auto n = r.count(min_slot, "memory slots");
    m.slots.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        passes::memory_slot s;
        s.value = r.str();
        s.offset = static_cast<std::size_t>(r.u64());
        s.bytes = static_cast<std::size_t>(r.u64());
        s.first = static_cast<std::size_t>(r.u64());
        s.last = static_cast<std::size_t>(r.u64());
        s.alias_of = r.str();
        m.slots.push_back(std::move(s));
    }
    m.arena_bytes = static_cast<std::size_t>(r.u64());
    m.naive_bytes = static_cast<std::size_t>(r.u64());
    m.in_place = static_cast<std::size_t>(r.u64());
    m.alignment = static_cast<std::size_t>(r.u64());
    return m;
}

/// Rebuilds graphs through the graph API (so every invariant it keeps holds); tensors point into the
/// weight regions, kept alive by `owner`.
template <class Traits>
class graph_reader {
public:
    using graph_t = basic_graph<Traits>;
    using value_t = basic_value<Traits>;
    using attr_t = basic_attribute<Traits>;
    using gptr = typename attr_t::graph_ptr;
    using string_type = typename Traits::string_type;
    template <class T>
    using vec = typename Traits::template vector_type<T>;

    graph_reader(std::shared_ptr<const void> owner, std::vector<std::span<const std::byte>> regions)
        : owner_(std::move(owner)), regions_(std::move(regions)) {}

    tensor read_tensor(byte_reader& r) {
        const auto type = r.enumerated(dtype::string, "dtype");
        const auto rank = r.count(8, "tensor dims");
        std::vector<std::int64_t> sizes(rank);
        std::int64_t numel = 1;  // as tensor's constructor computes it: every partial product must fit
        for (auto& s : sizes) {
            s = r.i64();
            if (s < 0) r.fail("a tensor size is negative (" + std::to_string(s) + ")");
            if (s != 0 && numel > std::numeric_limits<std::int64_t>::max() / s) r.fail("a tensor has too many elements to address");
            numel *= s;
        }
        const auto region = r.u32();
        const auto offset = r.u64();
        const auto size = r.u64();
        buffer data;
        if (region == no_region) {
            if (offset != 0 || size != 0) r.fail("a tensor without weight data has a non-zero offset or size");
        } else {
            if (region >= regions_.size())
                r.fail("weight region " + std::to_string(region) + " is out of range (there are " + std::to_string(regions_.size()) + ")");
            const auto& reg = regions_[region];
            if (offset > reg.size() || size > reg.size() - offset)
                r.fail("tensor bytes [" + std::to_string(offset) + ", +" + std::to_string(size) + ") lie outside weight region " +
                       std::to_string(region) + " (" + std::to_string(reg.size()) + " bytes)");
            data = buffer(owner_, reg.data() + offset, static_cast<std::size_t>(size));
        }
        if (type != dtype::string) {
            const auto elem = static_cast<std::uint64_t>(size_of(type));
            const auto n = static_cast<std::uint64_t>(numel);
            if ((elem && n > std::numeric_limits<std::uint64_t>::max() / elem) || n * elem != size)
                r.fail("a tensor of type " + std::string(to_string(type)) + " and shape " + shape::of(sizes).to_string() + " has " +
                       std::to_string(size) + " bytes of data");
        }
        return tensor(type, std::move(sizes), std::move(data));
    }

    attr_t read_attribute(byte_reader& r, int depth) {
        using kind = typename attr_t::kind;
        auto list = [&](std::size_t min_item, const char* what, auto&& one) {
            using item = std::decay_t<decltype(one())>;
            const auto n = r.count(min_item, what);
            vec<item> out;
            out.reserve(n);
            for (std::size_t i = 0; i < n; ++i) out.push_back(one());
            return attr_t(std::move(out));
        };
        switch (r.enumerated(kind::type_protos, "attribute kind")) {
            case kind::undefined: return attr_t{};
            case kind::f: return attr_t(r.f32());
            case kind::i: return attr_t(r.i64());
            case kind::s: return attr_t(make_string(r.str()));
            case kind::t: return attr_t(read_tensor(r));
            case kind::g: return attr_t(read_subgraph(r, depth));
            case kind::tp: return attr_t(read_type(r, 0));
            case kind::floats: return list(4, "floats", [&] { return r.f32(); });
            case kind::ints: return list(8, "ints", [&] { return r.i64(); });
            case kind::strings: return list(min_string, "strings", [&] { return make_string(r.str()); });
            case kind::tensors: return list(min_tensor, "tensors", [&] { return read_tensor(r); });
            case kind::graphs: return list(1, "graphs", [&] { return read_subgraph(r, depth); });
            case kind::type_protos: return list(min_type, "types", [&] { return read_type(r, 0); });
        }
        return attr_t{};
    }

    std::shared_ptr<graph_t> read_graph(byte_reader& r, int depth) {
        if (depth > max_depth) r.fail("subgraphs are nested more than " + std::to_string(max_depth) + " deep");
        auto g = std::make_shared<graph_t>(make_string(r.str()));
        auto& info = g->info();
        info.ir_version = r.i64();
        info.opset_imports.clear();
        const auto nops = r.count(2 * 8, "opset imports");
        for (std::size_t i = 0; i < nops; ++i) {
            auto domain = r.str();
            const auto version = r.i64();
            if (!info.opset_imports.emplace(domain, version).second) r.fail("opset domain '" + domain + "' is imported twice");
        }
        info.producer_name = r.str();
        info.producer_version = r.str();
        info.domain = r.str();
        info.model_version = r.i64();
        info.doc_string = r.str();
        const auto nmeta = r.count(2 * min_string, "metadata entries");
        info.metadata.reserve(nmeta);
        for (std::size_t i = 0; i < nmeta; ++i) {
            auto k = r.str();
            auto v = r.str();
            info.metadata.emplace_back(std::move(k), std::move(v));
        }
        info.source_path = r.str();

        struct record {
            std::string name;
            value_type type;
            std::optional<tensor> init;
        };
        const auto nv = r.count(min_value, "values");
        std::vector<record> values;
        values.reserve(nv);
        for (std::size_t i = 0; i < nv; ++i) {
            record v;
            v.name = r.str();
            v.type = read_type(r, 0);
            if (r.flag()) v.init = read_tensor(r);
            values.push_back(std::move(v));
        }
        auto refs = [&](const char* what) {
            const auto n = r.count(8, what);
            std::vector<std::size_t> out;
            out.reserve(n);
            for (std::size_t i = 0; i < n; ++i) out.push_back(r.index(nv, "value"));
            return out;
        };
        const auto inputs = refs("graph inputs");
        const auto inits = refs("initializers");
        const auto outers = refs("outer references");
        // each value's role must be one the graph API can give it
        enum : std::uint8_t { is_input = 1, is_init = 2, is_outer = 4 };
        std::vector<std::uint8_t> role(nv, 0);
        auto name_of = [&](std::size_t i) { return "value '" + values[i].name + "'"; };
        for (auto i : inputs) {
            if (role[i] & is_input) r.fail(name_of(i) + " is listed twice as a graph input");
            role[i] |= is_input;
        }
        for (auto i : inits) {
            if (!values[i].init) r.fail(name_of(i) + " is listed as an initializer but has no data");
            if (role[i] & is_init) r.fail(name_of(i) + " is listed twice as an initializer");
            role[i] |= is_init;
        }
        for (auto i : outers) {
            if (role[i]) r.fail(name_of(i) + " is an outer reference and also an input, an initializer or another outer reference");
            role[i] |= is_outer;
        }
        for (std::size_t i = 0; i < nv; ++i)
            if (values[i].init && !(role[i] & is_init)) r.fail(name_of(i) + " has data but is not listed as an initializer");

        std::vector<value_t*> ptr(nv, nullptr);
        for (auto i : inputs) ptr[i] = g->add_input(make_string(values[i].name), values[i].type);
        for (auto i : inits) {
            if (ptr[i]) {
                g->set_initializer(ptr[i], *values[i].init);
            } else {
                ptr[i] = g->add_initializer(make_string(values[i].name), *values[i].init);
                ptr[i]->set_type(values[i].type);
            }
        }
        for (auto i : outers) ptr[i] = g->add_outer_ref(make_string(values[i].name), values[i].type);
        for (std::size_t i = 0; i < nv; ++i)
            if (!ptr[i]) ptr[i] = g->add_value(make_string(values[i].name), values[i].type);

        const auto nn = r.count(min_node, "nodes");
        for (std::size_t k = 0; k < nn; ++k) {
            auto op = r.str();
            auto domain = r.str();
            auto name = r.str();
            auto links = [&](const char* what) {
                const auto n = r.count(8, what);
                std::vector<value_t*> out;
                out.reserve(n);
                for (std::size_t i = 0; i < n; ++i) {
                    const auto j = r.index(nv + 1, "value");
                    out.push_back(j ? ptr[j - 1] : nullptr);
                }
                return out;
            };
            auto ins = links("node inputs");
            auto outs = links("node outputs");
            const auto na = r.count(min_attribute, "attributes");
            typename graph_t::attribute_list attrs;
            attrs.reserve(na);
            for (std::size_t i = 0; i < na; ++i) {
                auto key = make_string(r.str());
                auto a = read_attribute(r, depth);
                attrs.emplace_back(std::move(key), std::move(a));
            }
            g->add_node(make_string(op), std::move(ins), std::move(outs), std::move(attrs), make_string(name), make_string(domain));
        }
        for (auto i : refs("graph outputs")) g->add_output(ptr[i]);
        return g;
    }

private:
    static string_type make_string(const std::string& s) { return string_type(s.data(), s.size()); }

    gptr read_subgraph(byte_reader& r, int depth) {
        if (!r.flag()) return nullptr;
        return gptr(read_graph(r, depth + 1));
    }

    std::shared_ptr<const void> owner_;
    std::vector<std::span<const std::byte>> regions_;
};

/// A block of 64-byte aligned heap memory: the fallback when the file is not mapped, and load_model_from_memory.
class heap_block {
public:
    explicit heap_block(std::size_t n)
        : p_(static_cast<std::byte*>(::operator new(std::max<std::size_t>(n, 1), std::align_val_t{alignment}))), n_(n) {}
    heap_block(const heap_block&) = delete;
    heap_block& operator=(const heap_block&) = delete;
    ~heap_block() { ::operator delete(p_, std::align_val_t{alignment}); }
    [[nodiscard]] std::byte* data() const noexcept { return p_; }
    [[nodiscard]] std::size_t size() const noexcept { return n_; }

private:
    std::byte* p_;
    std::size_t n_;
};

/// A file's bytes, mapped or in memory, with what keeps them alive.
struct file_bytes {
    std::shared_ptr<const void> owner;
    std::span<const std::byte> bytes;
    bool mapped = false;
};

[[nodiscard]] inline file_bytes copy_of(std::span<const std::byte> b) {
    auto block = std::make_shared<heap_block>(b.size());
    if (!b.empty()) std::memcpy(block->data(), b.data(), b.size());
    const std::span<const std::byte> view(block->data(), b.size());
    return {std::move(block), view, false};
}

/// Maps `path` (when `map`), else (or where mapping fails: a pipe, a file system without mmap) reads it into
/// aligned memory. GC7004 with the system's reason when it cannot be opened or read.
[[nodiscard]] inline file_bytes read_file(const std::string& path, bool map) {
    if (map) {
        try {
            auto m = detail::mapped_file::open(path);
            if (m->size() > 0) {
                const std::span<const std::byte> view(m->data(), m->size());
                return {std::move(m), view, true};
            }
        } catch (const model_error&) {
            // opening or mapping failed: reading says why, or works where mapping cannot
        }
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) read_failed(path, "cannot open", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        read_failed(path, "cannot read", e);
    }
    const bool regular = S_ISREG(st.st_mode);
    const std::size_t expected = regular ? static_cast<std::size_t>(st.st_size) : 0;
    auto block = std::make_shared<heap_block>(expected ? expected : std::size_t{1} << 16);
    std::size_t got = 0;
    for (;;) {
        if (got == block->size()) {
            if (regular && got == expected) break;
            auto bigger = std::make_shared<heap_block>(block->size() * 2);
            std::memcpy(bigger->data(), block->data(), got);
            block = std::move(bigger);
        }
        const auto n = ::read(fd, block->data() + got, block->size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            read_failed(path, "cannot read", e);
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    const std::span<const std::byte> view(block->data(), got);
    return {std::move(block), view, false};
}

template <class Traits>
basic_loaded_model<Traits> decode(file_bytes file, const std::string& name, bool verify) {
    using graph_t = basic_graph<Traits>;
    using access = detail::compiling::access;
    const std::span<const std::byte> bytes = file.bytes;
    const std::size_t size = bytes.size();
    const std::byte* p = bytes.data();

    // signature, version, size, checksum: in this order, so that each failure gets its own error
    const std::size_t sig = std::min(size, sizeof signature);
    if (!std::equal(p, p + sig, signature))
        throw model_error(errc::not_model_file,
                          "[" + name + "] is not a gearc model file: it starts with " + hex_bytes(bytes.first(sig)) +
                              ", not the .gearc signature " + hex_bytes(signature),
                          "Pass a file written by gearc::save_model; an ONNX model is loaded with gearc::onnx::load and "
                          "compiled with gearc::compile first.");
    if (size < 12)
        corrupt(name, size == 0 ? std::string("it is empty") : "it has only " + std::to_string(size) + " bytes, less than the " +
                                                                    std::to_string(header_bytes) + "-byte header");
    const auto version = static_cast<std::uint32_t>(load_le(p + 8, 4));
    if (version > model_file_format_version) {
        const std::string by = size >= 30 ? "gearc " + version_text(load_le(p + 24, 2), load_le(p + 26, 2), load_le(p + 28, 2))
                                          : std::string("a newer gearc");
        throw model_error(errc::model_file_newer,
                          "model file [" + name + "] was written by " + by + " in model file format version " + std::to_string(version) +
                              "; this gearc (" + this_version() + ") reads format versions up to " +
                              std::to_string(model_file_format_version),
                          "Load it with " + by + " or later, or compile the model again with this gearc and save it.");
    }
    if (version == 0) corrupt(name, "its format version is 0, which no gearc writes");
    if (size < header_bytes + checksum_bytes)
        corrupt(name, "it has only " + std::to_string(size) + " bytes, less than the " + std::to_string(header_bytes) +
                          "-byte header and the checksum");
    const auto recorded = load_le(p + 16, 8);
    if (recorded != size)
        corrupt(name, "it has " + std::to_string(size) + " bytes but its header records " + std::to_string(recorded) +
                          (recorded > size ? " (the end is missing)" : " (there are bytes after its end)"));
    const auto stored = load_le(p + size - checksum_bytes, 8);
    const auto computed = checksum(bytes.first(size - checksum_bytes));
    if (stored != computed) corrupt(name, "checksum mismatch (stored " + hex64(stored) + ", computed " + hex64(computed) + ")");
    if (load_le(p + 12, 4) != header_bytes)
        corrupt(name, "its header size is " + std::to_string(load_le(p + 12, 4)) + ", not " + std::to_string(header_bytes));

    // the section table
    const std::size_t body_end = size - checksum_bytes;
    const auto nsec = load_le(p + 32, 4);
    const auto table = load_le(p + 40, 8);
    if (table < header_bytes || table > body_end || nsec > (body_end - table) / section_entry_bytes)
        corrupt(name, "its section table (" + std::to_string(nsec) + " entries at byte " + std::to_string(table) + ") lies outside the file");
    struct place {
        std::size_t offset, size;
    };
    std::map<std::uint32_t, place> sections;
    for (std::size_t i = 0; i < nsec; ++i) {
        const std::byte* e = p + table + i * section_entry_bytes;
        const auto id = static_cast<std::uint32_t>(load_le(e, 4));
        const auto off = load_le(e + 8, 8);
        const auto len = load_le(e + 16, 8);
        if (off < header_bytes || off > body_end || len > body_end - off)
            corrupt(name, "section " + fourcc_text(id) + " (" + std::to_string(len) + " bytes at byte " + std::to_string(off) +
                              ") lies outside the file");
        if (!sections.emplace(id, place{static_cast<std::size_t>(off), static_cast<std::size_t>(len)}).second)
            corrupt(name, "section " + fourcc_text(id) + " appears twice");
    }
    for (auto id : {sec_meta, sec_gear, sec_plan, sec_grph, sec_blob, sec_wght})
        if (!sections.count(id)) corrupt(name, "section " + fourcc_text(id) + " is missing");
    auto reader_of = [&](std::uint32_t id) {
        const auto& s = sections.at(id);
        return byte_reader(bytes.subspan(s.offset, s.size), s.offset, name, id);
    };

    basic_loaded_model<Traits> out;
    std::uint32_t current = sec_meta;
    try {
        {
            auto r = reader_of(sec_meta);
            const auto n = r.count(2 * min_string, "metadata entries");
            for (std::size_t i = 0; i < n; ++i) {
                auto k = r.str();
                auto v = r.str();
                if (!out.metadata.emplace(k, std::move(v)).second) r.fail("metadata key '" + k + "' appears twice");
            }
            r.expect_end();
        }
        current = sec_blob;
        const auto& wght = sections.at(sec_wght);
        std::vector<std::span<const std::byte>> regions;
        {
            auto r = reader_of(sec_blob);
            const auto n = r.count(16, "weight regions");
            regions.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                const auto off = r.u64();
                const auto len = r.u64();
                if (off < wght.offset || off > wght.offset + wght.size || len > wght.offset + wght.size - off)
                    r.fail("weight region " + std::to_string(i) + " (" + std::to_string(len) + " bytes at byte " + std::to_string(off) +
                           ") lies outside section WGHT");
                if (off % alignment) r.fail("weight region " + std::to_string(i) + " is not " + std::to_string(alignment) + "-byte aligned");
                regions.push_back(bytes.subspan(static_cast<std::size_t>(off), static_cast<std::size_t>(len)));
            }
            r.expect_end();
        }
        current = sec_gear;
        gear_set gears;
        {
            auto r = reader_of(sec_gear);
            gears = read_gear_set(r);
            r.expect_end();
        }
        current = sec_grph;
        std::vector<std::shared_ptr<const graph_t>> graphs;
        {
            auto r = reader_of(sec_grph);
            graph_reader<Traits> gr(file.owner, std::move(regions));
            const auto n = r.count(min_graph, "graphs");
            graphs.reserve(n);
            for (std::size_t i = 0; i < n; ++i) graphs.push_back(gr.read_graph(r, 0));
            r.expect_end();
        }
        current = sec_plan;
        auto model = std::make_shared<basic_compiled_model<Traits>>();
        {
            auto r = reader_of(sec_plan);
            auto graph_at = [&](const char* what) -> std::shared_ptr<const graph_t> {
                const auto i = r.u64();
                if (i == ~std::uint64_t{0}) return nullptr;
                if (i >= graphs.size())
                    r.fail(std::string(what) + " is graph " + std::to_string(i) + ", out of range (there are " + std::to_string(graphs.size()) + ")");
                return graphs[static_cast<std::size_t>(i)];
            };
            access::generic(*model) = graph_at("the generic graph");
            access::generic_stats(*model) = read_stats(r);
            access::generic_ms(*model) = r.f64();
            access::total_ms(*model) = r.f64();
            const auto n = r.count(min_plan, "plans");
            if (n != gears.size()) r.fail(std::to_string(n) + " plans for " + std::to_string(gears.size()) + " gears");
            auto& plans = access::plans(*model);
            plans.resize(n);
            for (std::size_t i = 0; i < n; ++i) {
                auto& pl = plans[i];
                pl.info = read_gear(r);
                if (pl.info.index != i) r.fail("plan " + std::to_string(i) + " is for gear " + std::to_string(pl.info.index));
                pl.graph = graph_at("a plan's graph");
                if (!pl.graph || !access::generic(*model)) r.fail("plan " + std::to_string(i) + " has no graph, or the model has no generic graph");
                pl.memory = read_memory_plan(r);
                for (const auto& slot : pl.memory.slots)  // what a session relies on to stay inside its arena
                    if (slot.offset > pl.memory.arena_bytes || slot.bytes > pl.memory.arena_bytes - slot.offset)
                        r.fail("plan " + std::to_string(i) + ": slot '" + slot.value + "' lies outside its arena");
                pl.bounded_dynamic = r.flag();
                pl.dynamic_memory = r.flag();
                pl.stats = read_stats(r);
                pl.compile_ms = r.f64();
            }
            r.expect_end();
            access::gears(*model) = std::move(gears);
        }
        if (verify) {
            current = sec_grph;
            for (const auto& g : graphs)
                if (auto diags = gearc::verify(*g); !diags.empty()) corrupt(name, "a graph is malformed: " + diags.front().to_string());
            current = sec_plan;
            for (const auto& pl : access::plans(*model))
                if (pl.graph && !pl.dynamic_memory)
                    if (auto bad = passes::check_plan(*pl.graph, pl.memory); !bad.empty())
                        corrupt(name, "the memory plan of gear " + std::to_string(pl.info.index) + " is invalid: " + bad.front());
        }
        out.model = std::move(model);
        out.file.weight_bytes = wght.size;
    } catch (const model_error& e) {
        if (e.code().rfind("GC7", 0) == 0) throw;
        corrupt(name, "section " + fourcc_text(current) + ": " + e.message());
    } catch (const error& e) {
        // the graph API refused what the file describes (a value defined twice, ...)
        corrupt(name, "section " + fourcc_text(current) + ": " + e.message());
    }
    out.file.format_version = version;
    out.file.written_by = version_text(load_le(p + 24, 2), load_le(p + 26, 2), load_le(p + 28, 2));
    out.file.file_bytes = size;
    out.file.mapped = file.mapped;
    out.file.bytes = bytes;
    out.file.storage = std::move(file.owner);
    return out;
}

}  // namespace detail::model_file

/// Saves a compiled model to `path`, in one file: the gear table, the generic graph, every gear's plan and
/// the weights once (buffers shared between gears are stored once, 64-byte aligned), `metadata`, and a
/// checksum. Writing is atomic: the bytes go to a temporary file next to `path`, which is flushed to disk
/// and renamed over `path`; on any failure `path` is untouched and nothing is left behind. GC7004 (naming
/// the path and the system's reason) when the file cannot be written.
template <class Traits>
void save_model(const basic_compiled_model<Traits>& model, const std::filesystem::path& path, const model_file_metadata& metadata = {}) {
    const auto image = detail::model_file::encode(model, metadata);
    detail::atomic_file out(path.string(), errc::model_file_io,
                            "Check that the directory exists and is writable, and that the disk has room.");
    image.emit([&](const std::byte* p, std::size_t n) { out.write(p, n); });
    out.commit();
}

/// The bytes save_model() would write (the same bytes: a model file does not depend on where it is written).
template <class Traits>
[[nodiscard]] std::vector<std::byte> save_model_to_memory(const basic_compiled_model<Traits>& model, const model_file_metadata& metadata = {}) {
    const auto image = detail::model_file::encode(model, metadata);
    std::vector<std::byte> out;
    out.reserve(image.file_size);
    image.emit([&](const std::byte* p, std::size_t n) { out.insert(out.end(), p, p + n); });
    return out;
}

/// Loads a model file written by save_model(). The weights point into a read-only mapping of the file
/// (no copy; `options.map_weights = false`, or where mapping is impossible, reads the file into memory).
/// The signature, the format version, the size and the checksum are checked before anything is read, and
/// every count and offset after: a broken file is an error, never a crash. Errors: GC7001 not a model
/// file, GC7002 written by a newer gearc (naming its format version), GC7003 truncated or corrupted,
/// GC7004 cannot be opened or read (with the system's reason); each names the file.
/// (A mapped file must not be truncated by another program while the model is in use.)
template <class Traits = default_ir_traits>
[[nodiscard]] basic_loaded_model<Traits> load_model(const std::filesystem::path& path, const model_load_options& options = {}) {
    auto file = detail::model_file::read_file(path.string(), options.map_weights);
    return detail::model_file::decode<Traits>(std::move(file), path.string(), options.verify);
}

/// Loads a model from the bytes of a model file (copied into aligned memory that the model owns);
/// `name` stands for the file in error messages (`options.map_weights` does not apply).
template <class Traits = default_ir_traits>
[[nodiscard]] basic_loaded_model<Traits> load_model_from_memory(std::span<const std::byte> bytes, const std::string& name = "<memory>",
                                                                const model_load_options& options = {}) {
    return detail::model_file::decode<Traits>(detail::model_file::copy_of(bytes), name, options.verify);
}

GEARC_END_NAMESPACE
