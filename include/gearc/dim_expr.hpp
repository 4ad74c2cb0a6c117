// Symbolic dimension arithmetic: dims derived from symbols (N*C, floor((H+1)/2)) as canonical expressions.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/dim.hpp>
#include <gearc/shape.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// A polynomial with integer coefficients over atoms. An atom is a model symbol ("N") or an opaque
/// integer division of two expressions ("floor((H+1)/2)"). A derived dim is a `dim::symbol` whose name
/// is the canonical text of its expression, so dims stay plain values and equal expressions compare equal.
/// Binding evaluates the expression, so `shape::bind` and `bind_dim` fix derived dims along with their symbols.
class dim_expr {
public:
    using monomial = std::vector<std::string>;  // sorted atom texts, repeated for powers

    dim_expr() = default;
    explicit dim_expr(std::int64_t c) {
        if (c) terms_[{}] = c;
    }
    [[nodiscard]] static dim_expr atom(std::string text) {
        dim_expr e;
        e.terms_[{std::move(text)}] = 1;
        return e;
    }
    /// The expression of a static or symbolic dim; nullopt for unknown and range dims.
    [[nodiscard]] static std::optional<dim_expr> of(const dim& d) {
        if (d.is_static()) return dim_expr(d.value());
        if (!d.is_symbol()) return std::nullopt;
        if (is_identifier(d.name())) return atom(d.name());
        parser p{d.name(), 0};
        if (auto e = p.parse_all()) return e;
        return atom(quote(d.name()));  // a dim_param that is no expression: an opaque symbol
    }

    [[nodiscard]] bool is_constant() const noexcept { return terms_.empty() || (terms_.size() == 1 && terms_.begin()->first.empty()); }
    [[nodiscard]] std::int64_t constant() const noexcept {
        auto it = terms_.find({});
        return it == terms_.end() ? 0 : it->second;
    }

    friend dim_expr operator+(const dim_expr& a, const dim_expr& b) {
        dim_expr r = a;
        for (const auto& [m, c] : b.terms_) r.add_term(m, c);
        return r;
    }
    friend dim_expr operator-(const dim_expr& a, const dim_expr& b) {
        dim_expr r = a;
        for (const auto& [m, c] : b.terms_) r.add_term(m, -c);
        return r;
    }
    friend dim_expr operator*(const dim_expr& a, const dim_expr& b) {
        dim_expr r;
        for (const auto& [ma, ca] : a.terms_)
            for (const auto& [mb, cb] : b.terms_) {
                monomial m = ma;
                m.insert(m.end(), mb.begin(), mb.end());
                std::sort(m.begin(), m.end());
                r.add_term(m, ca * cb);
            }
        return r;
    }
    /// floor(a / b), simplified when b divides every term of a exactly.
    [[nodiscard]] static dim_expr floor_div(const dim_expr& a, const dim_expr& b) {
        if (b.is_constant() && b.constant() == 1) return a;
        if (a.is_constant() && b.is_constant() && b.constant() != 0) return dim_expr(floor_div_int(a.constant(), b.constant()));
        if (auto q = exact_div(a, b)) return *q;
        return atom("floor(" + a.paren_text() + "/" + b.paren_text() + ")");
    }
    /// ceil(a / b) = floor((a + b - 1) / b) for positive b.
    [[nodiscard]] static dim_expr ceil_div(const dim_expr& a, const dim_expr& b) {
        if (auto q = exact_div(a, b)) return *q;
        return floor_div(a + b - dim_expr(1), b);
    }

    /// The value under `b`; nullopt when an atom is unbound.
    [[nodiscard]] std::optional<std::int64_t> evaluate(const symbol_bindings& b) const {
        std::int64_t sum = 0;
        for (const auto& [m, c] : terms_) {
            std::int64_t prod = c;
            for (const auto& a : m) {
                auto v = evaluate_atom(a, b);
                if (!v) return std::nullopt;
                prod *= *v;
            }
            sum += prod;
        }
        return sum;
    }

    /// Canonical text: terms in a fixed order, "2*H*W+C-1".
    [[nodiscard]] std::string text() const {
        if (terms_.empty()) return "0";
        std::string out;
        // non-constant terms first (map order), the constant last
        for (const auto& [m, c] : terms_) {
            if (m.empty()) continue;
            std::string t;
            std::int64_t mag = c < 0 ? -c : c;
            if (mag != 1) t = std::to_string(mag);
            for (const auto& a : m) {
                if (!t.empty()) t += '*';
                t += a;
            }
            out += c < 0 ? "-" : (out.empty() ? "" : "+");
            out += t;
        }
        if (auto k = constant(); k != 0) {
            out += k < 0 ? "-" : (out.empty() ? "" : "+");
            out += std::to_string(k < 0 ? -k : k);
        }
        return out;
    }

    /// As a dim: a static value when constant, else a symbol named by the canonical text.
    [[nodiscard]] dim to_dim() const {
        if (is_constant()) return dim(constant());
        return dim::symbol(text());
    }

    friend bool operator==(const dim_expr& a, const dim_expr& b) { return a.terms_ == b.terms_; }

private:
    static bool is_identifier(std::string_view s) {
        if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
        for (char ch : s)
            if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == ':')) return false;
        return s != "floor";
    }
    static std::string quote(std::string_view s) { return "`" + std::string(s) + "`"; }
    static std::int64_t floor_div_int(std::int64_t a, std::int64_t b) {
        std::int64_t q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
        return q;
    }

    [[nodiscard]] std::string paren_text() const {
        auto t = text();
        return terms_.size() <= 1 && (terms_.empty() || terms_.begin()->second > 0) && t.find('*') == std::string::npos ? t : "(" + t + ")";
    }

    void add_term(const monomial& m, std::int64_t c) {
        if (!c) return;
        auto& slot = terms_[m];
        slot += c;
        if (!slot) terms_.erase(m);
    }

    /// a / b when b is a single monomial dividing each term of a (coefficient and atoms).
    static std::optional<dim_expr> exact_div(const dim_expr& a, const dim_expr& b) {
        if (b.terms_.size() != 1) return std::nullopt;
        const auto& [bm, bc] = *b.terms_.begin();
        if (bc == 0) return std::nullopt;
        dim_expr r;
        for (const auto& [m, c] : a.terms_) {
            if (c % bc != 0) return std::nullopt;
            monomial rest = m;
            for (const auto& atom_text : bm) {
                auto it = std::find(rest.begin(), rest.end(), atom_text);
                if (it == rest.end()) return std::nullopt;
                rest.erase(it);
            }
            r.add_term(rest, c / bc);
        }
        return r;
    }

    static std::optional<std::int64_t> evaluate_atom(const std::string& a, const symbol_bindings& b) {
        if (!a.empty() && a.front() == '`') {
            auto it = b.find(std::string_view(a).substr(1, a.size() - 2));
            if (it == b.end()) return std::nullopt;
            return it->second;
        }
        if (a.rfind("floor(", 0) == 0) {
            parser q{a, 6};
            auto num = q.parse_factor_or_group();
            if (!num || q.pos >= a.size() || a[q.pos] != '/') return std::nullopt;
            ++q.pos;
            auto den = q.parse_factor_or_group();
            if (!den) return std::nullopt;
            auto nv = num->evaluate(b), dv = den->evaluate(b);
            if (!nv || !dv || *dv == 0) return std::nullopt;
            return floor_div_int(*nv, *dv);
        }
        auto it = b.find(a);
        if (it == b.end()) return std::nullopt;
        return it->second;
    }

    /// Parses the canonical text back (the dims carry text, not trees).
    struct parser {
        std::string_view s;
        std::size_t pos;

        std::optional<dim_expr> parse_all() {
            auto e = parse_sum();
            if (!e || pos != s.size()) return std::nullopt;
            return e;
        }
        std::optional<dim_expr> parse_sum() {
            bool neg = false;
            if (pos < s.size() && s[pos] == '-') {
                neg = true;
                ++pos;
            }
            auto e = parse_product();
            if (!e) return std::nullopt;
            if (neg) e = dim_expr(0) - *e;
            while (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
                char op = s[pos++];
                auto t = parse_product();
                if (!t) return std::nullopt;
                e = op == '+' ? *e + *t : *e - *t;
            }
            return e;
        }
        std::optional<dim_expr> parse_product() {
            auto e = parse_factor_or_group();
            if (!e) return std::nullopt;
            while (pos < s.size() && s[pos] == '*') {
                ++pos;
                auto f = parse_factor_or_group();
                if (!f) return std::nullopt;
                e = *e * *f;
            }
            return e;
        }
        std::optional<dim_expr> parse_factor_or_group() {
            if (pos >= s.size()) return std::nullopt;
            char ch = s[pos];
            if (ch == '(') {
                ++pos;
                auto e = parse_sum();
                if (!e || pos >= s.size() || s[pos] != ')') return std::nullopt;
                ++pos;
                return e;
            }
            if (std::isdigit(static_cast<unsigned char>(ch))) {
                std::int64_t v = 0;
                while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
                    if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
                    v = v * 10 + (s[pos++] - '0');
                }
                return dim_expr(v);
            }
            if (ch == '`') {
                auto end = s.find('`', pos + 1);
                if (end == std::string_view::npos) return std::nullopt;
                auto text = std::string(s.substr(pos, end - pos + 1));
                pos = end + 1;
                return atom(std::move(text));
            }
            if (s.substr(pos, 6) == "floor(") {
                pos += 6;
                auto num = parse_factor_or_group();
                if (!num || pos >= s.size() || s[pos] != '/') return std::nullopt;
                ++pos;
                auto den = parse_factor_or_group();
                if (!den || pos >= s.size() || s[pos] != ')') return std::nullopt;
                ++pos;
                return floor_div(*num, *den);
            }
            std::size_t start = pos;
            while (pos < s.size() && (std::isalnum(static_cast<unsigned char>(s[pos])) || s[pos] == '_' || s[pos] == '.' || s[pos] == ':'))
                ++pos;
            if (start == pos) return std::nullopt;
            return atom(std::string(s.substr(start, pos - start)));
        }
    };

    std::map<monomial, std::int64_t> terms_;  // monomial -> coefficient; {} is the constant
};

// ---- arithmetic on dims: static, symbolic (expressions), range (intervals), unknown ----

namespace detail::dims {
struct interval {
    std::int64_t lo, hi;
    bool bounded;  // false: no upper bound (a range dim with hi -1)
};
inline std::optional<interval> interval_of(const dim& d) {
    if (d.is_static()) return interval{d.value(), d.value(), true};
    if (d.is_range()) return interval{d.lo(), d.hi(), d.hi() != -1};
    return std::nullopt;
}
inline dim from_interval(interval i) {
    if (!i.bounded) return dim::range(i.lo, -1);
    if (i.lo == i.hi) return dim(i.lo);
    return dim::range(i.lo, i.hi);
}
/// Applies a monotone non-decreasing op to static/symbolic/range dims.
template <class Exprs, class Ints>
dim apply(const dim& a, const dim& b, Exprs on_expr, Ints on_int) {
    if (a.is_static() && b.is_static()) return dim(on_int(a.value(), b.value()));
    if ((a.is_range() || b.is_range()) && !a.is_symbol() && !b.is_symbol() && !a.is_unknown() && !b.is_unknown()) {
        auto x = *interval_of(a), y = *interval_of(b);
        const bool bounded = x.bounded && y.bounded;
        return from_interval({on_int(x.lo, y.lo), bounded ? on_int(x.hi, y.hi) : -1, bounded});
    }
    auto ea = dim_expr::of(a), eb = dim_expr::of(b);
    if (!ea || !eb) return dim::unknown();
    return on_expr(*ea, *eb).to_dim();
}
}  // namespace detail::dims

[[nodiscard]] inline dim operator+(const dim& a, const dim& b) {
    return detail::dims::apply(a, b, [](const dim_expr& x, const dim_expr& y) { return x + y; },
                               [](std::int64_t x, std::int64_t y) { return x + y; });
}
[[nodiscard]] inline dim operator*(const dim& a, const dim& b) {
    if ((a.is_static() && a.value() == 0) || (b.is_static() && b.value() == 0)) return dim(0);
    return detail::dims::apply(a, b, [](const dim_expr& x, const dim_expr& y) { return x * y; },
                               [](std::int64_t x, std::int64_t y) { return x * y; });
}
/// a - b. For ranges the interval is [a.lo - b.hi, a.hi - b.lo].
[[nodiscard]] inline dim operator-(const dim& a, const dim& b) {
    if (a.is_static() && b.is_static()) return dim(a.value() - b.value());
    if ((a.is_range() || b.is_range()) && !a.is_symbol() && !b.is_symbol() && !a.is_unknown() && !b.is_unknown()) {
        auto x = *detail::dims::interval_of(a), y = *detail::dims::interval_of(b);
        if (!y.bounded) return dim::unknown();  // a - (unbounded) has no lower bound
        if (!x.bounded) return dim::range(std::max<std::int64_t>(0, x.lo - y.hi), -1);
        return detail::dims::from_interval({x.lo - y.hi, x.hi - y.lo, true});
    }
    auto ea = dim_expr::of(a), eb = dim_expr::of(b);
    if (!ea || !eb) return dim::unknown();
    return (*ea - *eb).to_dim();
}
/// floor(a / b) for b > 0.
[[nodiscard]] inline dim floor_div(const dim& a, const dim& b) {
    if (b.is_static() && b.value() <= 0) return dim::unknown();
    if (a.is_static() && b.is_static()) {
        std::int64_t q = a.value() / b.value();
        if (a.value() % b.value() != 0 && a.value() < 0) --q;
        return dim(q);
    }
    if ((a.is_range() || b.is_range()) && !a.is_symbol() && !b.is_symbol() && !a.is_unknown() && !b.is_unknown()) {
        auto x = *detail::dims::interval_of(a), y = *detail::dims::interval_of(b);
        if (y.lo <= 0) return dim::unknown();
        std::int64_t lo = y.bounded ? x.lo / y.hi : 0;
        return detail::dims::from_interval({lo, x.bounded ? x.hi / y.lo : -1, x.bounded});
    }
    auto ea = dim_expr::of(a), eb = dim_expr::of(b);
    if (!ea || !eb) return dim::unknown();
    return dim_expr::floor_div(*ea, *eb).to_dim();
}
/// ceil(a / b) for b > 0.
[[nodiscard]] inline dim ceil_div(const dim& a, const dim& b) {
    if (a.is_static() && b.is_static() && b.value() > 0) return dim((a.value() + b.value() - 1) / b.value());
    if (auto ea = dim_expr::of(a), eb = dim_expr::of(b); ea && eb) return dim_expr::ceil_div(*ea, *eb).to_dim();
    return floor_div(a + b - dim(1), b);
}
/// max(a, b) on dims; symbolic only when equal.
[[nodiscard]] inline dim max_dim(const dim& a, const dim& b) {
    if (a == b) return a;
    if ((a.is_static() || a.is_range()) && (b.is_static() || b.is_range())) {
        auto x = *detail::dims::interval_of(a), y = *detail::dims::interval_of(b);
        const bool bounded = x.bounded && y.bounded;
        return detail::dims::from_interval({std::max(x.lo, y.lo), bounded ? std::max(x.hi, y.hi) : -1, bounded});
    }
    return dim::unknown();
}
/// min(a, b) on dims; symbolic only when equal.
[[nodiscard]] inline dim min_dim(const dim& a, const dim& b) {
    if (a == b) return a;
    if ((a.is_static() || a.is_range()) && (b.is_static() || b.is_range())) {
        auto x = *detail::dims::interval_of(a), y = *detail::dims::interval_of(b);
        const bool bounded = x.bounded || y.bounded;
        const std::int64_t hi = !x.bounded ? y.hi : (!y.bounded ? x.hi : std::min(x.hi, y.hi));
        return detail::dims::from_interval({std::min(x.lo, y.lo), hi, bounded});
    }
    return dim::unknown();
}
/// The product of dims (1 for none).
[[nodiscard]] inline dim product(const std::vector<dim>& ds, std::size_t first = 0, std::size_t last = std::size_t(-1)) {
    dim p(1);
    for (std::size_t i = first; i < std::min(last, ds.size()); ++i) p = p * ds[i];
    return p;
}
/// The value of `d` under `b`: static when every symbol it uses is bound, else `d` unchanged.
[[nodiscard]] inline dim bind_dim(const dim& d, const symbol_bindings& b) {
    if (!d.is_symbol()) return d;
    if (auto it = b.find(d.name()); it != b.end()) return dim(it->second);
    if (auto e = dim_expr::of(d))
        if (auto v = e->evaluate(b)) return dim(*v);
    return d;
}
/// `s` with every dim bound (derived dims too).
[[nodiscard]] inline shape bind_shape(const shape& s, const symbol_bindings& b) {
    std::vector<dim> out;
    out.reserve(s.rank());
    for (const auto& d : s) out.push_back(bind_dim(d, b));
    return shape(std::move(out));
}

GEARC_END_NAMESPACE
