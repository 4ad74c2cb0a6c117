// Datasets for gear scaling: image folders (sizes from file headers) and text-detection annotation files.
#pragma once

#include <gearc/detail/abi_macros.hpp>
#include <gearc/error.hpp>
#include <gearc/scaling/image_size.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

GEARC_BEGIN_NAMESPACE

namespace scaling {

/// The height and width of one image or one text crop, in pixels, before any rescaling.
struct size_sample {
    double height = 0;
    double width = 0;
    friend bool operator==(const size_sample&, const size_sample&) = default;
};

/// What a dataset holds for gear scaling.
struct dataset {
    enum class kind : std::uint8_t { image_folder, annotation_file, synthetic };
    kind source_kind = kind::synthetic;
    std::string source;                   ///< the folder or file it was read from
    std::vector<size_sample> sizes;       ///< one per image (folders) or per text box (annotation files)
    std::vector<std::int64_t> box_counts;  ///< annotation files: boxes per image (a batch-size sample each); images without boxes are left out
    std::size_t files_skipped = 0;        ///< folder entries that are not readable images
    std::vector<std::string> warnings;    ///< one line per skipped file, box or line

    /// True when the dataset says something about batch sizes.
    [[nodiscard]] bool has_batch_samples() const noexcept { return !box_counts.empty(); }
};

/// Called while a dataset is read: (items done, items in total; 0 when unknown).
using progress_fn = std::function<void(std::size_t, std::size_t)>;

namespace detail {

[[nodiscard]] inline dataset_error no_samples(const std::string& source, const std::string& why, const std::string& fix) {
    return dataset_error(errc::dataset_empty, "dataset [" + source + "] " + why, fix);
}

[[nodiscard]] inline double distance(const std::array<double, 2>& a, const std::array<double, 2>& b) {
    return std::hypot(a[0] - b[0], a[1] - b[1]);
}

}  // namespace detail

/// Reads the width and height of every image in `folder` (not its subfolders) from the file headers,
/// without decoding pixels. Files that are not PNG, JPEG, BMP, GIF or WebP, and images whose header is
/// broken, are skipped with a warning each. GC5001 when the folder cannot be listed, GC5004 when it holds
/// no readable image. Files are read in name order, so the result does not depend on the file system.
[[nodiscard]] inline dataset load_image_folder(const std::filesystem::path& folder, const progress_fn& progress = {}) {
    namespace fs = std::filesystem;
    dataset d;
    d.source_kind = dataset::kind::image_folder;
    d.source = folder.string();
    std::vector<fs::path> files;
    std::error_code ec;
    fs::directory_iterator it(folder, ec), end;
    if (ec)
        throw dataset_error(errc::dataset_io, "cannot list the dataset folder [" + d.source + "]: " + ec.message(),
                            "Check that the folder exists and is readable.");
    for (; it != end; it.increment(ec)) {
        if (ec) break;
        std::error_code e2;
        if (it->is_regular_file(e2)) files.push_back(it->path());
    }
    if (ec)
        throw dataset_error(errc::dataset_io, "cannot list the dataset folder [" + d.source + "]: " + ec.message(),
                            "Check that the folder is readable.");
    std::sort(files.begin(), files.end());
    d.sizes.reserve(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        try {
            auto s = read_image_size(files[i]);
            d.sizes.push_back({static_cast<double>(s.height), static_cast<double>(s.width)});
        } catch (const dataset_error& e) {
            ++d.files_skipped;
            d.warnings.push_back("skipped [" + files[i].filename().string() + "]: " + e.message());
        }
        if (progress && ((i + 1) % 256 == 0 || i + 1 == files.size())) progress(i + 1, files.size());
    }
    if (d.sizes.empty())
        throw detail::no_samples(d.source,
                                 files.empty() ? std::string("holds no files")
                                               : "holds no readable PNG, JPEG, BMP, GIF or WebP image (" +
                                                     std::to_string(files.size()) + " files skipped)",
                                 "Point --dataset at a folder of images, or at a text-detection annotation file.");
    return d;
}

/// Reads a text-detection annotation file (MindOCR's det_gt.txt): one line per image,
/// `image_name<TAB>[{"transcription": "...", "points": [[x,y],[x,y],[x,y],[x,y]]}, ...]`.
/// Each box gives a crop of width max(|p0-p1|, |p2-p3|) and height max(|p0-p3|, |p1-p2|); a box with another
/// number of points (a polygon) gives its bounding box. The number of boxes of a line is a batch-size sample.
/// Empty lines are skipped; boxes of zero width or height are skipped with a warning. A line that is not
/// `name<TAB>JSON list of boxes` is GC5005 naming the file and line; no box at all is GC5004.
[[nodiscard]] inline dataset load_annotation_file(const std::filesystem::path& file, const progress_fn& progress = {}) {
    dataset d;
    d.source_kind = dataset::kind::annotation_file;
    d.source = file.string();
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw dataset_error(errc::dataset_io, "cannot open the annotation file [" + d.source + "]",
                            "Check that the file exists and is readable.");
    std::string line;
    std::size_t line_no = 0, skipped_boxes = 0;
    auto bad = [&](const std::string& why) {
        return dataset_error(errc::annotation_syntax, d.source + ":" + std::to_string(line_no) + ": " + why,
                             "Write one line per image: the image name, a TAB, then a JSON list of boxes such as "
                             "[{\"transcription\": \"abc\", \"points\": [[0,0],[90,0],[90,30],[0,30]]}].");
    };
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        auto tab = line.find('\t');
        if (tab == std::string::npos) throw bad("no TAB between the image name and its boxes");
        nlohmann::json boxes;
        try {
            boxes = nlohmann::json::parse(line.begin() + static_cast<std::ptrdiff_t>(tab) + 1, line.end());
        } catch (const nlohmann::json::parse_error& e) {
            throw bad("the boxes are not valid JSON (" + std::string(e.what()) + ")");
        }
        if (!boxes.is_array()) throw bad("the boxes must be a JSON list, but they are a " + std::string(boxes.type_name()));
        std::int64_t count = 0;
        for (std::size_t b = 0; b < boxes.size(); ++b) {
            const auto& box = boxes[b];
            const std::string where = "box " + std::to_string(b);
            if (!box.is_object() || !box.contains("points")) throw bad(where + " has no \"points\"");
            const auto& pts = box["points"];
            if (!pts.is_array() || pts.size() < 3) throw bad(where + ": \"points\" must be a list of at least 3 [x, y] pairs");
            std::vector<std::array<double, 2>> p;
            for (const auto& q : pts) {
                if (!q.is_array() || q.size() != 2 || !q[0].is_number() || !q[1].is_number())
                    throw bad(where + ": every point must be [x, y] with two numbers, but one is " + q.dump());
                p.push_back({q[0].get<double>(), q[1].get<double>()});
                if (!std::isfinite(p.back()[0]) || !std::isfinite(p.back()[1])) throw bad(where + ": a coordinate is not finite");
            }
            double w = 0, h = 0;
            if (p.size() == 4) {
                w = std::max(detail::distance(p[0], p[1]), detail::distance(p[2], p[3]));
                h = std::max(detail::distance(p[0], p[3]), detail::distance(p[1], p[2]));
            } else {
                double x0 = p[0][0], x1 = p[0][0], y0 = p[0][1], y1 = p[0][1];
                for (const auto& q : p) {
                    x0 = std::min(x0, q[0]), x1 = std::max(x1, q[0]);
                    y0 = std::min(y0, q[1]), y1 = std::max(y1, q[1]);
                }
                w = x1 - x0, h = y1 - y0;
            }
            ++count;
            if (!(w > 0) || !(h > 0)) {
                ++skipped_boxes;
                if (d.warnings.size() < 1000)
                    d.warnings.push_back(d.source + ":" + std::to_string(line_no) + ": " + where + " has zero width or height; skipped");
                continue;
            }
            d.sizes.push_back({h, w});
        }
        if (count > 0) d.box_counts.push_back(count);
        if (progress && line_no % 1024 == 0) progress(line_no, 0);
    }
    if (in.bad()) throw dataset_error(errc::dataset_io, "reading [" + d.source + "] failed", "Check the file.");
    if (d.sizes.empty())
        throw detail::no_samples(d.source, "holds no text box" + (skipped_boxes ? " of non-zero size" : std::string()),
                                 "Check that the file is a text-detection annotation file (name<TAB>JSON boxes per line).");
    if (progress) progress(line_no, line_no);
    return d;
}

/// A folder is read as images, a file as a text-detection annotation file.
[[nodiscard]] inline dataset load_dataset(const std::filesystem::path& path, const progress_fn& progress = {}) {
    std::error_code ec;
    auto st = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(st))
        throw dataset_error(errc::dataset_io, "the dataset [" + path.string() + "] does not exist",
                            "Give --dataset a folder of images or a text-detection annotation file.");
    if (std::filesystem::is_directory(st)) return load_image_folder(path, progress);
    return load_annotation_file(path, progress);
}

}  // namespace scaling

GEARC_END_NAMESPACE
