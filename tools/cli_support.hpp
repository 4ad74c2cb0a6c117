// What every gearc subcommand shares: log levels, a progress bar for terminals, YAML config trees, atomic output files.
#pragma once

#include <gearc/error.hpp>
#include <gearc/frontend/onnx.hpp>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gearc_tool {

/// ATC's --log levels; the tool prints what is at or above the level (null prints nothing but errors).
enum class log_level { debug, info, warning, error, null };

[[nodiscard]] inline log_level parse_log_level(std::string_view s) {
    if (s == "debug") return log_level::debug;
    if (s == "info") return log_level::info;
    if (s == "warning") return log_level::warning;
    if (s == "error") return log_level::error;
    if (s == "null") return log_level::null;
    throw gearc::option_error(gearc::errc::invalid_value,
                              "Value [" + std::string(s) + "] for parameter [--log] is invalid. Reason: it must be one of: debug, "
                              "info, warning, error, null",
                              "Try again with a valid argument.");
}

/// ATC's E10001 for a command-line value: "Value [v] for parameter [--p] is invalid. Reason: ..." and a Solution.
[[nodiscard]] inline gearc::option_error bad(const std::string& param, const std::string& value, const std::string& reason,
                                             const std::string& fix = {}) {
    return gearc::option_error(gearc::errc::invalid_value,
                               "Value [" + value + "] for parameter [" + param + "] is invalid. Reason: " + reason,
                               "Try again with a valid argument." + (fix.empty() ? std::string() : " " + fix));
}

/// A byte count for people: "512 B", "3.8 MiB".
[[nodiscard]] inline std::string bytes_text(double b) {
    const char* unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) b /= 1024, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
    return buf;
}

/// Messages and progress on stderr, filtered by the log level.
class console {
public:
    explicit console(log_level level) : level_(level), tty_(::isatty(2) == 1) {}

    [[nodiscard]] log_level level() const noexcept { return level_; }
    [[nodiscard]] bool shows(log_level l) const noexcept { return l >= level_ && level_ != log_level::null; }

    void info(const std::string& s) const {
        if (shows(log_level::info)) std::fprintf(stderr, "[INFO] %s\n", s.c_str());
    }
    void warning(const std::string& s) const {
        if (shows(log_level::warning)) std::fprintf(stderr, "[WARNING] %s\n", s.c_str());
    }
    void debug(const std::string& s) const {
        if (shows(log_level::debug)) std::fprintf(stderr, "[DEBUG] %s\n", s.c_str());
    }

    /// A progress callback (done, total; total 0 = unknown) that draws a bar on a terminal, at most ~10 times
    /// a second; nothing when stderr is not a terminal or the level is above info.
    [[nodiscard]] std::function<void(std::size_t, std::size_t)> progress(std::string label) const {
        if (!tty_ || !shows(log_level::info)) return {};
        auto last = std::make_shared<std::chrono::steady_clock::time_point>();
        return [label = std::move(label), last](std::size_t done, std::size_t total) {
            const auto now = std::chrono::steady_clock::now();
            const bool end = total && done >= total;
            if (!end && now - *last < std::chrono::milliseconds(100)) return;
            *last = now;
            if (total) {
                const int width = 30;
                const int fill = static_cast<int>(static_cast<double>(width) * static_cast<double>(done) / static_cast<double>(total));
                std::fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu", label.c_str(), fill, "##############################", width - fill, "",
                             done, total);
            } else {
                std::fprintf(stderr, "\r%s %zu", label.c_str(), done);
            }
            if (end) std::fprintf(stderr, "\n");
            std::fflush(stderr);
        };
    }

private:
    log_level level_;
    bool tty_;
};

/// A YAML document as a JSON tree (scalars stay strings; the readers accept numbers written as strings).
[[nodiscard]] inline nlohmann::json yaml_to_json(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return nullptr;
        case YAML::NodeType::Scalar:
            return n.Scalar();
        case YAML::NodeType::Sequence: {
            auto a = nlohmann::json::array();
            for (const auto& x : n) a.push_back(yaml_to_json(x));
            return a;
        }
        case YAML::NodeType::Map: {
            auto o = nlohmann::json::object();
            for (const auto& kv : n) o[kv.first.Scalar()] = yaml_to_json(kv.second);
            return o;
        }
    }
    return nullptr;
}

/// Reads a YAML (or JSON) config file into a tree. GC1001 when unreadable, GC3001 with the line on a syntax error.
[[nodiscard]] inline nlohmann::json load_yaml(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw gearc::error(gearc::errc::file_io, "cannot open the config file [" + path + "]", "Check the path given to --config.");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return yaml_to_json(YAML::Load(ss.str()));
    } catch (const YAML::Exception& e) {
        throw gearc::error(gearc::errc::config_syntax,
                           "config file [" + path + "] line " + std::to_string(e.mark.line + 1) + ": " + e.msg,
                           "Fix the YAML syntax (MindOCR's auto_scaling.yaml layout: keys under auto_scaling:).");
    }
}

/// Output files written together: each goes to a temporary file first, and all replace their targets only
/// when commit() is called, so a failure before that leaves nothing behind.
class output_files {
public:
    void add(std::filesystem::path path, std::string content) { files_.emplace_back(std::move(path), std::move(content)); }

    /// Creates the directories, writes every file to a temporary and renames them into place. GC1001 on failure.
    std::vector<std::string> commit() {
        std::vector<std::unique_ptr<gearc::onnx::detail::file_writer>> writers;
        for (const auto& [path, content] : files_) {
            std::error_code ec;
            if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
            if (ec)
                throw gearc::error(gearc::errc::file_io, "cannot create the directory [" + path.parent_path().string() + "]: " + ec.message(),
                                   "Check that --output names a writable directory.");
            writers.push_back(std::make_unique<gearc::onnx::detail::file_writer>(path.string()));
            writers.back()->write(content.data(), content.size());
        }
        std::vector<std::string> written;
        for (auto& w : writers) {
            w->commit();
            written.push_back(w->path());
        }
        return written;
    }

private:
    std::vector<std::pair<std::filesystem::path, std::string>> files_;
};

}  // namespace gearc_tool
