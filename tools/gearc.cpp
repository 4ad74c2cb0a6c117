// gearc: the command-line tool. Subcommands: scale (gears from dataset statistics); compile, run, inspect and
// export come with the offline model file.
#include "scale_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
    CLI::App app{"gearc: compile ONNX models into per-shape (gear) static plans; ATC-compatible options"};
    app.require_subcommand(1);
    gearc_tool::scale_args scale;
    auto* scale_cmd = gearc_tool::add_scale_command(app, scale);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // ATC's way: a code, what is wrong, and how to fix it
        std::fprintf(stderr, "E10001: Value [%s] for parameter [gearc%s] is invalid. Reason: %s\nSolution: Run gearc --help, or gearc <subcommand> --help.\n",
                     argc > 1 ? argv[argc - 1] : "", app.get_subcommands().empty() ? "" : (" " + app.get_subcommands().front()->get_name()).c_str(),
                     e.what());
        return 1;
    }
    try {
        if (scale_cmd->parsed()) return gearc_tool::run_scale(scale);
    } catch (const gearc::error& e) {
        std::fprintf(stderr, "%s\n", e.report().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "GC0001: internal error: %s\nSolution: Report this with the command line and the input files.\n", e.what());
        return 1;
    }
    return 0;
}
