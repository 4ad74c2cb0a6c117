// gearc run: runs a .gearc model on .npy / .bin inputs, ais_bench / msame style: gear selection, timing, outputs.
#pragma once

#include "cli_support.hpp"

#include <gearc/gearc.hpp>
#include <gearc/runtime.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gearc_tool {

struct run_args {
    std::string model, input, output, outfmt = "NPY", dym_batch, dym_hw, dym_dims, report, log = "info";
    std::int64_t loop = 1, warmup = 1;
    std::size_t threads = 0;
    bool pad = false;
};

inline CLI::App* add_run_command(CLI::App& app, run_args& a) {
    auto* s = app.add_subcommand("run", "Run a .gearc model on .npy or .bin inputs, with timing (ais_bench / msame style)");
    s->footer(R"(Examples:
  gearc run --model=out/resnet.gearc --input=x.npy --output=result/
  gearc run --model=out/resnet.gearc --input=x.bin --dymBatch=4 --output=result/ --outfmt=TXT
  gearc run --model=out/det.gearc --input=inputs/ --dymHW=640,640 --loop=100 --warmup=10 --report=latency.json
  gearc run --model=out/rec.gearc --input=a.npy,b.npy --dymDims="a:1,3,48,320;b:1,10" --threads=1
  gearc run --model=out/resnet.gearc --input=x3.npy --pad              (batch 3 runs on gear batch 4, output cropped)

--input: one file per model input, in the model's input order, separated by ','; or a folder holding them (files
named after the inputs, <name>.npy or <name>.bin, else taken in name order). A .npy file brings its shape and dtype,
and the gear is chosen from the input shapes. A .bin file is raw bytes in the input's dtype: its shape is the
chosen gear's (--dymBatch, --dymHW, --dymDims), or the one gear whose size matches the file's.
Outputs go to OUTPUT/<output name>.npy (.bin, .txt): characters other than letters, digits, '.', '-' and '_' in a
name become '_'. The summary gives the gear used and the latency (min, median, max, mean over --loop runs after
--warmup runs) and the throughput; --report writes the same as JSON.)");
    s->add_option("--model,--om", a.model, "the model file written by gearc compile (required)");
    s->add_option("--input", a.input, "input files (.npy or .bin), comma-separated in input order, or a folder of them (required)");
    s->add_option("--output", a.output, "folder for the outputs (default: outputs are not written)");
    s->add_option("--outfmt", a.outfmt, "NPY (default), BIN (raw bytes) or TXT (one row of the last axis per line)");
    s->add_option("--loop", a.loop, "timed runs (default 1)");
    s->add_option("--warmup,--warmup_count", a.warmup, "untimed runs before them (default 1)");
    s->add_option("--threads", a.threads, "threads of the CPU kernels (default: all cores)");
    s->add_option("--dymBatch", a.dym_batch, "run the gear of this batch size (a --dynamic_batch_size model), e.g. 4");
    s->add_option("--dymHW", a.dym_hw, "run the gear of this height,width (a --dynamic_image_size model), e.g. 224,224");
    s->add_option("--dymDims", a.dym_dims, "run the gear of these input shapes, \"name:d,d,...;name2:...\"");
    s->add_flag("--pad", a.pad, "a batch between gears runs on the next larger gear (zero rows added, outputs cropped); above every gear, in pieces");
    s->add_option("--report", a.report, "write the summary as JSON to this file (latency_ms: {min, median, max, mean}, ...)");
    s->add_option("--log", a.log, "debug, info (default), warning, error or null");
    return s;
}

namespace detail_run {

/// A tensor name as a file name: letters, digits, '.', '-', '_' kept, anything else '_'.
[[nodiscard]] inline std::string file_stem(const std::string& name) {
    std::string s;
    for (char c : name) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
    if (s.empty() || s == "." || s == "..") s = "output";
    return s;
}

[[nodiscard]] inline std::string ends(const std::filesystem::path& p) {
    auto e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e;
}

/// The input files, one per model input in input order.
[[nodiscard]] inline std::vector<std::filesystem::path> input_files(const std::string& arg, const std::vector<std::string>& names) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    if (arg.empty()) throw bad("--input", "", "the inputs are required", "Give one .npy or .bin file per model input, or a folder of them.");
    if (fs::is_directory(arg)) {
        std::vector<fs::path> found;
        for (const auto& e : fs::directory_iterator(arg))
            if (e.is_regular_file() && (ends(e.path()) == ".npy" || ends(e.path()) == ".bin")) found.push_back(e.path());
        std::sort(found.begin(), found.end());
        for (const auto& n : names) {  // by name first
            for (const auto& f : found)
                if (f.stem().string() == file_stem(n) || f.stem().string() == n) {
                    files.push_back(f);
                    break;
                }
        }
        if (files.size() == names.size()) return files;
        if (found.size() == names.size()) return found;
        throw bad("--input", arg,
                  "the folder holds " + std::to_string(found.size()) + " .npy/.bin files, but the model has " + std::to_string(names.size()) +
                      " inputs [" + gearc::detail::opts::join(names, ", ") + "], and not every input has a file named after it",
                  "Put one file per input in the folder, named <input name>.npy or .bin.");
    }
    for (auto part : gearc::detail::opts::split_list(arg, ',')) {
        fs::path p(std::string(gearc::detail::opts::trim(part)));
        if (fs::is_directory(p))
            throw bad("--input", arg, "[" + p.string() + "] is a folder; a folder must be the only --input", "Give files, or one folder.");
        if (!fs::is_regular_file(p))
            throw gearc::error(gearc::errc::file_io, "cannot open the input file [" + p.string() + "]", "Check the path given to --input.");
        if (ends(p) != ".npy" && ends(p) != ".bin")
            throw bad("--input", arg, "[" + p.string() + "] is neither a .npy nor a .bin file", "Give inputs as .npy (with shape) or .bin (raw bytes).");
        files.push_back(p);
    }
    if (files.size() != names.size())
        throw bad("--input", arg,
                  "it names " + std::to_string(files.size()) + " files, but the model has " + std::to_string(names.size()) + " inputs [" +
                      gearc::detail::opts::join(names, ", ") + "]",
                  "Give one file per model input, in the model's input order, separated by ','.");
    return files;
}

/// Parses "name:d,d,...;name2:..." (ais_bench's --dymDims).
[[nodiscard]] inline std::map<std::string, std::vector<std::int64_t>, std::less<>> parse_dims(const std::string& text) {
    std::map<std::string, std::vector<std::int64_t>, std::less<>> out;
    for (auto part : gearc::detail::opts::split_list(text, ';')) {
        auto e = gearc::detail::opts::trim(part);
        const auto colon = e.rfind(':');
        if (colon == std::string_view::npos || colon == 0)
            throw bad("--dymDims", text, "entry [" + std::string(e) + "] is not name:d,d,...", "Write e.g. --dymDims=\"x:1,3,224,224\".");
        std::vector<std::int64_t> dims;
        for (auto d : gearc::detail::opts::split(e.substr(colon + 1), ',')) {
            auto p = gearc::detail::opts::parse_int(gearc::detail::opts::trim(d));
            if (p.status != gearc::detail::opts::int_status::ok || p.value < 0)
                throw bad("--dymDims", text, "[" + std::string(gearc::detail::opts::trim(d)) + "] is not a dimension", "Dimensions are integers >= 0.");
            dims.push_back(p.value);
        }
        out[std::string(gearc::detail::opts::trim(e.substr(0, colon)))] = std::move(dims);
    }
    return out;
}

[[nodiscard]] inline std::vector<std::int64_t> parse_values(const std::string& param, const std::string& text, std::size_t count) {
    std::vector<std::int64_t> v;
    for (auto d : gearc::detail::opts::split(text, ',')) {
        auto p = gearc::detail::opts::parse_int(gearc::detail::opts::trim(d));
        if (p.status != gearc::detail::opts::int_status::ok || p.value <= 0)
            throw bad(param, text, "[" + std::string(gearc::detail::opts::trim(d)) + "] is not a positive integer");
        v.push_back(p.value);
    }
    if (v.size() != count)
        throw bad(param, text, "it needs " + std::to_string(count) + (count == 1 ? " value" : " values, separated by ','"));
    return v;
}

[[nodiscard]] inline std::string shape_text(const std::vector<std::int64_t>& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
    return out + "]";
}

/// Element i of t as text (full float precision).
[[nodiscard]] inline std::string element_text(const gearc::tensor& t, std::size_t i) {
    const std::byte* p = t.data().data();
    char buf[40];
    auto get = [&]<class T>(T*) {
        T v;
        std::memcpy(&v, p + i * sizeof(T), sizeof(T));
        return v;
    };
    switch (t.type()) {
        case gearc::dtype::float32: std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(get(static_cast<float*>(nullptr)))); break;
        case gearc::dtype::float64: std::snprintf(buf, sizeof buf, "%.17g", get(static_cast<double*>(nullptr))); break;
        case gearc::dtype::float16:
            std::snprintf(buf, sizeof buf, "%.5g",
                          static_cast<double>(gearc::passes::detail::rewrite::half_to_float(get(static_cast<std::uint16_t*>(nullptr)))));
            break;
        case gearc::dtype::int8: return std::to_string(get(static_cast<std::int8_t*>(nullptr)));
        case gearc::dtype::int16: return std::to_string(get(static_cast<std::int16_t*>(nullptr)));
        case gearc::dtype::int32: return std::to_string(get(static_cast<std::int32_t*>(nullptr)));
        case gearc::dtype::int64: return std::to_string(get(static_cast<std::int64_t*>(nullptr)));
        case gearc::dtype::uint8:
        case gearc::dtype::boolean: return std::to_string(get(static_cast<std::uint8_t*>(nullptr)));
        case gearc::dtype::uint16: return std::to_string(get(static_cast<std::uint16_t*>(nullptr)));
        case gearc::dtype::uint32: return std::to_string(get(static_cast<std::uint32_t*>(nullptr)));
        case gearc::dtype::uint64: return std::to_string(get(static_cast<std::uint64_t*>(nullptr)));
        default:
            throw gearc::error(gearc::errc::file_io, "a " + std::string(gearc::to_string(t.type())) + " output cannot be written as text",
                               "Use --outfmt=BIN.");
    }
    return buf;
}

/// The tensor as text: one row of the last axis per line, values separated by spaces.
[[nodiscard]] inline std::string to_txt(const gearc::tensor& t) {
    std::string out;
    const auto n = static_cast<std::size_t>(t.numel());
    const std::size_t row = t.sizes().empty() || t.sizes().back() == 0 ? 1 : static_cast<std::size_t>(t.sizes().back());
    for (std::size_t i = 0; i < n; ++i) {
        out += element_text(t, i);
        out += (i + 1) % row == 0 ? '\n' : ' ';
    }
    return out;
}

}  // namespace detail_run

/// Runs `gearc run`. Returns the exit status; gearc errors propagate (main prints them).
inline int run_run(run_args& a) {
    using namespace detail_run;
    namespace fs = std::filesystem;
    console con(parse_log_level(a.log));
    if (a.model.empty()) throw bad("--model", "", "the model file is required", "Give the file gearc compile wrote, --model=OUT.gearc.");
    std::string fmt = a.outfmt;
    std::transform(fmt.begin(), fmt.end(), fmt.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (fmt != "NPY" && fmt != "BIN" && fmt != "TXT") throw bad("--outfmt", a.outfmt, "it must be one of: NPY, BIN, TXT");
    if (a.loop < 1) throw bad("--loop", std::to_string(a.loop), "it must be at least 1");
    if (a.warmup < 0) throw bad("--warmup", std::to_string(a.warmup), "it must be 0 or more");
    const int explicit_count = !a.dym_batch.empty() + !a.dym_hw.empty() + !a.dym_dims.empty();
    if (explicit_count > 1)
        throw bad("--dymBatch", a.dym_batch + a.dym_hw + a.dym_dims, "--dymBatch, --dymHW and --dymDims cannot be used together",
                  "Choose the gear with one of them.");

    const auto loaded = gearc::load_model(a.model);
    auto prepared = std::make_shared<gearc::prepared_model<>>(loaded.model, a.threads);
    gearc::session_options so;
    so.policy = a.pad ? gearc::gear_policy::pad : gearc::gear_policy::exact;
    gearc::session s(prepared, so);
    const auto& gears = s.gears();
    const auto& names = gears.inputs();
    con.info("loaded " + a.model + ": " + gears.to_string());

    // an explicit gear (ACL's aclmdlSetDynamicBatchSize / SetDynamicHWSize / SetInputDynamicDims)
    if (!a.dym_batch.empty()) {
        if (gears.kind() != gearc::gear_kind::dynamic_batch_size)
            throw bad("--dymBatch", a.dym_batch,
                      "the model's gears are " + std::string(gearc::to_string(gears.kind())) + ", not dynamic_batch_size",
                      "Use --dymDims to give the input shapes of the gear.");
        s.set_batch_size(parse_values("--dymBatch", a.dym_batch, 1)[0]);
    } else if (!a.dym_hw.empty()) {
        if (gears.kind() != gearc::gear_kind::dynamic_image_size)
            throw bad("--dymHW", a.dym_hw, "the model's gears are " + std::string(gearc::to_string(gears.kind())) + ", not dynamic_image_size",
                      "Use --dymDims to give the input shapes of the gear.");
        const auto hw = parse_values("--dymHW", a.dym_hw, 2);
        s.set_hw(hw[0], hw[1]);
    } else if (!a.dym_dims.empty()) {
        const auto dims = parse_dims(a.dym_dims);
        for (const auto& [n, d] : dims)
            if (std::find(names.begin(), names.end(), n) == names.end())
                throw bad("--dymDims", a.dym_dims,
                          "the model has no input named [" + n + "]" + gearc::detail::opts::did_you_mean(n, names) + "; its inputs are [" +
                              gearc::detail::opts::join(names, ", ") + "]");
        auto g = gears.match(dims);
        if (!g)
            throw gearc::run_error(gearc::errc::no_gear, "no gear has the input shapes [" + a.dym_dims + "]; the model has " + gears.to_string(),
                                   "Give the shapes of one of the gears.");
        s.set_gear(*g);
    }

    // the inputs
    const auto files = input_files(a.input, names);
    gearc::session::tensor_map feeds;
    std::vector<std::size_t> raw;  // the .bin inputs, by position
    std::map<std::string, std::vector<std::int64_t>, std::less<>> npy_sizes;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (ends(files[i]) == ".npy") {
            auto t = gearc::read_npy(files[i].string());
            npy_sizes[names[i]] = t.sizes();
            feeds.emplace(names[i], std::move(t));
        } else {
            raw.push_back(i);
        }
    }
    if (!raw.empty()) {
        auto bytes_of = [](const gearc::prepared_model<>::operand& op) {  // a gear input's size as raw bytes
            return gearc::size_of(op.type) * static_cast<std::size_t>(gearc::shape::of(op.sizes).numel().value_or(0));
        };
        std::vector<std::size_t> candidates;
        if (s.pinned_gear()) {
            candidates.push_back(*s.pinned_gear());
        } else {
            for (std::size_t g = 0; g < gears.size(); ++g) {
                const auto& p = prepared->gear_program(g);
                bool ok = true;
                for (std::size_t i : raw)
                    ok = ok && fs::file_size(files[i]) == bytes_of(p.inputs[i]);
                for (const auto& [n, sz] : npy_sizes)
                    for (std::size_t i = 0; i < names.size(); ++i)
                        if (names[i] == n) ok = ok && p.inputs[i].sizes == sz;
                if (ok) candidates.push_back(g);
            }
        }
        if (candidates.size() > 1) {
            std::string list;
            for (auto g : candidates) list += (list.empty() ? "" : ", ") + std::to_string(g);
            throw bad("--input", a.input, "a .bin file has no shape, and its size fits gears " + list,
                      "Choose the gear with --dymBatch, --dymHW or --dymDims, or give .npy files.");
        }
        for (std::size_t i : raw) {
            const std::size_t bytes = fs::file_size(files[i]);
            if (candidates.empty()) {
                std::string sizes;
                for (std::size_t g = 0; g < gears.size(); ++g) {
                    const auto& op = prepared->gear_program(g).inputs[i];
                    sizes += (sizes.empty() ? "" : ", ") + std::string("gear ") + std::to_string(g) + ": " +
                             std::to_string(bytes_of(op));
                }
                throw gearc::run_error(gearc::errc::bad_input,
                                       "input file [" + files[i].string() + "] for input '" + names[i] + "' holds " + std::to_string(bytes) +
                                           " bytes, which is no gear's size (" + sizes + " bytes)" +
                                           (s.pinned_gear() ? " for the chosen gear" : std::string()),
                                       "Write the input in the model's dtype and a gear's shape, or give a .npy file.");
            }
            const auto& op = prepared->gear_program(candidates.front()).inputs[i];
            const std::size_t want = bytes_of(op);
            if (bytes != want)
                throw gearc::run_error(gearc::errc::bad_input,
                                       "input file [" + files[i].string() + "] holds " + std::to_string(bytes) + " bytes, but input '" + names[i] +
                                           "' of gear [" + std::to_string(candidates.front()) + "] is " + std::string(gearc::to_string(op.type)) +
                                           shape_text(op.sizes) + " (" + std::to_string(want) + " bytes)",
                                       "Write the input in the model's dtype and the gear's shape, or give a .npy file.");
            std::ifstream in(files[i], std::ios::binary);
            std::vector<char> data(bytes);
            if (!in.read(data.data(), static_cast<std::streamsize>(bytes)))
                throw gearc::error(gearc::errc::file_io, "cannot read the input file [" + files[i].string() + "]", "Check that it is readable.");
            feeds.emplace(names[i], gearc::tensor(op.type, op.sizes, gearc::buffer::copy_of(data.data(), bytes)));
        }
    }

    // the gear that will run (for the summary)
    std::map<std::string, std::vector<std::int64_t>, std::less<>> sizes;
    for (const auto& [n, t] : feeds) sizes[n] = t.sizes();
    std::optional<std::size_t> gear;
    try {
        gear = s.select(sizes);
    } catch (const gearc::run_error&) {
        if (!a.pad) throw;  // run() below says which gears exist; with --pad a batch above every gear runs in pieces
    }

    gearc::session::tensor_map outputs;
    for (std::int64_t i = 0; i < a.warmup; ++i) outputs = s.run(feeds);
    std::vector<double> ms;
    auto bar = con.progress("running");
    for (std::int64_t i = 0; i < a.loop; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        outputs = s.run(feeds);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        if (bar && a.loop > 20) bar(static_cast<std::size_t>(i + 1), static_cast<std::size_t>(a.loop));
    }
    auto sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted.size() % 2 ? sorted[sorted.size() / 2] : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
    double mean = 0;
    for (double v : ms) mean += v / static_cast<double>(ms.size());
    const std::int64_t batch = names.empty() || feeds.at(names.front()).sizes().empty() ? 1 : feeds.at(names.front()).sizes()[0];
    const double throughput = mean > 0 ? static_cast<double>(batch) * 1000.0 / mean : 0;

    // outputs and report, written together (all or none)
    output_files out;
    nlohmann::json outs = nlohmann::json::array();
    std::map<std::string, int> used;
    const auto& p_out = prepared->gear_program(gear.value_or(0)).output_names;
    for (const auto& name : p_out) {
        const auto& t = outputs.at(name);
        nlohmann::json o{{"name", name}, {"dtype", std::string(gearc::to_string(t.type()))}, {"shape", t.sizes()}};
        if (!a.output.empty()) {
            std::string stem = file_stem(name);
            if (used[stem]++) stem += "_" + std::to_string(used[stem] - 1);
            const std::string ext = fmt == "NPY" ? ".npy" : fmt == "BIN" ? ".bin" : ".txt";
            const auto path = fs::path(a.output) / (stem + ext);
            if (fmt == "NPY")
                out.add(path, gearc::to_npy_bytes(t, path.string()));
            else if (fmt == "BIN")
                out.add(path, std::string(reinterpret_cast<const char*>(t.data().data()), t.nbytes()));
            else
                out.add(path, to_txt(t));
            o["file"] = path.string();
        }
        outs.push_back(std::move(o));
    }
    nlohmann::json gear_json;
    if (gear) {
        gear_json["index"] = *gear;
        for (const auto& [n, sh] : s.input_shapes(*gear)) gear_json["inputs"][n] = sh;
    } else {
        gear_json["index"] = nullptr;
        gear_json["split"] = true;
    }
    nlohmann::json rep{{"model", a.model},
                       {"gear", gear_json},
                       {"policy", a.pad ? "pad" : "exact"},
                       {"loop", a.loop},
                       {"warmup", a.warmup},
                       {"threads", prepared->pool().size()},
                       {"batch", batch},
                       {"latency_ms", {{"min", sorted.front()}, {"median", median}, {"max", sorted.back()}, {"mean", mean}}},
                       {"throughput_per_s", throughput},
                       {"outputs", outs}};
    if (!a.report.empty()) out.add(a.report, rep.dump(2) + "\n");
    out.commit();

    std::string gear_text;
    if (gear) {
        gear_text = std::to_string(*gear) + ":";
        for (const auto& [n, sh] : s.input_shapes(*gear)) gear_text += " " + n + shape_text(sh);
        const auto shapes = s.input_shapes(*gear);
        if (sizes != std::map<std::string, std::vector<std::int64_t>, std::less<>>(shapes.begin(), shapes.end())) gear_text += " (inputs padded)";
    } else {
        gear_text = "batch " + std::to_string(batch) + " in pieces of the largest gear";
    }
    std::printf("model       %s (%zu %s)\n", a.model.c_str(), gears.size(), gears.size() == 1 ? "gear" : "gears");
    std::printf("gear        %s\n", gear_text.c_str());
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto& t = feeds.at(names[i]);
        std::printf("input       %s %s%s <- %s\n", names[i].c_str(), std::string(gearc::to_string(t.type())).c_str(), shape_text(t.sizes()).c_str(),
                    files[i].string().c_str());
    }
    std::printf("latency     min %.3f ms, median %.3f ms, max %.3f ms, mean %.3f ms over %lld runs (%lld warm-up), %zu threads\n",
                sorted.front(), median, sorted.back(), mean, static_cast<long long>(a.loop), static_cast<long long>(a.warmup),
                prepared->pool().size());
    std::printf("throughput  %.2f samples/s (batch %lld)\n", throughput, static_cast<long long>(batch));
    for (const auto& o : outs)
        std::printf("output      %s %s%s%s\n", o["name"].get<std::string>().c_str(), o["dtype"].get<std::string>().c_str(),
                    shape_text(o["shape"].get<std::vector<std::int64_t>>()).c_str(),
                    o.contains("file") ? (" -> " + o["file"].get<std::string>()).c_str() : "");
    if (!a.report.empty()) std::printf("report      %s\n", a.report.c_str());
    return 0;
}

}  // namespace gearc_tool
