// gearc's exception types: every error carries a stable code, a message naming the place and the value, and a fix.
#pragma once

#include <gearc/detail/abi_macros.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

GEARC_BEGIN_NAMESPACE

/// Stable error codes. Option errors speak ATC's codes so that users coming from ATC recognise them;
/// everything else uses gearc's own `GCnnnn` codes, grouped by layer.
namespace errc {
// ATC option validation (messages modelled on ATC's)
inline constexpr std::string_view invalid_value = "E10001";          // invalid value for a parameter
inline constexpr std::string_view dims_count_mismatch = "E10003";    // --dynamic_dims profile length != number of -1
inline constexpr std::string_view batch_non_n_dynamic = "E10018";    // --dynamic_batch_size with a non-N -1
inline constexpr std::string_view image_non_hw_dynamic = "E10019";   // --dynamic_image_size with a non-H/W -1
inline constexpr std::string_view image_profile_not_hw = "E10020";   // an image profile that is not h,w
inline constexpr std::string_view batch_no_dynamic_n = "E10031";     // --dynamic_batch_size but no batch -1
inline constexpr std::string_view too_few_profiles = "E10035";       // fewer than 2 profiles
inline constexpr std::string_view too_many_profiles = "E10036";      // more than 100 profiles
inline constexpr std::string_view profile_size_mismatch = "E10037";  // profiles of different lengths
inline constexpr std::string_view dim_not_positive = "E10038";       // a dimension value <= 0 (or > 2048 in config files)
inline constexpr std::string_view duplicate_profile = "E10039";      // duplicate profiles
// model files (ONNX front end)
inline constexpr std::string_view file_io = "GC1001";                // cannot open/read/write a file
inline constexpr std::string_view model_parse = "GC1002";            // not an ONNX model, truncated, corrupt
inline constexpr std::string_view model_version = "GC1003";          // IR version or opset outside what gearc reads
inline constexpr std::string_view unknown_domain = "GC1004";         // an operator domain gearc does not know
inline constexpr std::string_view external_data = "GC1005";          // external data missing or out of range
inline constexpr std::string_view dangling_value = "GC1006";         // a node reads a value nobody defines
inline constexpr std::string_view cycle = "GC1007";                  // the graph has a cycle
inline constexpr std::string_view unsupported_feature = "GC1008";    // valid ONNX that gearc cannot represent yet
inline constexpr std::string_view duplicate_definition = "GC1009";   // a value defined twice
inline constexpr std::string_view tensor_data = "GC1010";            // tensor payload inconsistent with its shape/type
// IR
inline constexpr std::string_view graph_invariant = "GC2001";        // the verifier found a broken invariant
inline constexpr std::string_view graph_misuse = "GC2002";           // an IR call that would break an invariant
// config files
inline constexpr std::string_view config_syntax = "GC3001";          // a config file that cannot be parsed
// compile pipeline
inline constexpr std::string_view unsupported_operator = "GC4001";   // operators gearc cannot compile (all listed)
inline constexpr std::string_view shape_inference = "GC4002";        // a node's input shapes/attributes are inconsistent
inline constexpr std::string_view fusion_switch = "GC4003";          // a fusion switch file that is malformed or names unknown fusions
inline constexpr std::string_view not_static = "GC4004";             // a gear graph still has a dynamic shape or shape arithmetic
inline constexpr std::string_view constant_folding = "GC4005";       // evaluating a constant subgraph failed
inline constexpr std::string_view missing_kernel = "GC4006";         // operators/dtypes without a kernel on the device (all listed)
// run time (sessions)
inline constexpr std::string_view no_gear = "GC6001";                // no gear serves the inputs, or an explicit selection names none
inline constexpr std::string_view bad_input = "GC6002";              // an input missing, unknown, or of the wrong dtype or shape
// datasets (gear scaling)
inline constexpr std::string_view dataset_io = "GC5001";             // cannot read a dataset file or folder
inline constexpr std::string_view image_header = "GC5002";           // an image whose header cannot be read
inline constexpr std::string_view unknown_image_format = "GC5003";   // a file that is not a PNG, JPEG, BMP, GIF or WebP image
inline constexpr std::string_view dataset_empty = "GC5004";          // a dataset without a single usable sample
inline constexpr std::string_view annotation_syntax = "GC5005";      // a line of an annotation file that cannot be read
// offline model files (.gearc, model_file.hpp)
inline constexpr std::string_view not_model_file = "GC7001";         // a file that is not a gearc model file (wrong signature)
inline constexpr std::string_view model_file_newer = "GC7002";       // a model file written by a newer gearc (format version named)
inline constexpr std::string_view model_file_corrupt = "GC7003";     // a truncated or corrupted model file (size, checksum, a section out of bounds)
inline constexpr std::string_view model_file_io = "GC7004";          // a model file that cannot be read or written (with the OS error)
}  // namespace errc

/// Base of every exception gearc throws. `what()` is "CODE: message"; `solution()` says how to fix it.
class error : public std::runtime_error {
public:
    error(std::string_view code, std::string message, std::string solution = {})
        : std::runtime_error(std::string(code) + ": " + message),
          code_(code),
          message_(std::move(message)),
          solution_(std::move(solution)) {}

    /// The stable code, e.g. "E10035" or "GC1005".
    [[nodiscard]] const std::string& code() const noexcept { return code_; }
    /// The message without the code.
    [[nodiscard]] const std::string& message() const noexcept { return message_; }
    /// How to fix it (may be empty).
    [[nodiscard]] const std::string& solution() const noexcept { return solution_; }

    /// The ATC-style report: "CODE: message" then "Solution: ..." on its own line.
    [[nodiscard]] std::string report() const {
        std::string out = what();
        if (!solution_.empty()) out += "\nSolution: " + solution_;
        return out;
    }

private:
    std::string code_;
    std::string message_;
    std::string solution_;
};

/// A command-line option, gear option or config-file value was invalid (ATC's E100xx codes).
class option_error : public error {
public:
    using error::error;
};

/// A model file could not be read, written or represented.
class model_error : public error {
public:
    using error::error;
};

/// The compile pipeline could not compile the graph (unsupported operators, inconsistent shapes, bad switches).
class compile_error : public error {
public:
    using error::error;
};

/// An IR invariant was broken, or an IR call would break one.
class graph_error : public error {
public:
    using error::error;
};

/// Running a model failed: no gear for the inputs, a wrong input, or a kernel's error (named with its node).
class run_error : public error {
public:
    using error::error;
};

/// A dataset file or folder could not be read, or holds an image whose header is broken or of an unknown format.
class dataset_error : public error {
public:
    using error::error;
};

GEARC_END_NAMESPACE
