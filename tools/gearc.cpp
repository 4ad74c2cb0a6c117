// gearc: the command-line tool. Subcommands: compile (ATC's options -> OUT.gearc), run (ais_bench / msame style),
// inspect, export, and scale (gears from dataset statistics).
//
// The CPU kernels are compiled once, in cpu_kernels.cpp (GEARC_CPU_KERNELS_IMPLEMENTATION); this file declares them.
#include "compile_command.hpp"
#include "inspect_command.hpp"
#include "run_command.hpp"
#include "scale_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    CLI::App app{"gearc: compile ONNX models into per-shape (gear) static plans; ATC-compatible options"};
    app.require_subcommand(1);
    app.footer(R"(Subcommands (gearc SUBCOMMAND --help for each):
  compile   ONNX model + ATC gear options (or a MindSpore Lite config file) -> OUT.gearc
  run       run OUT.gearc on .npy/.bin inputs, choose or pin the gear, time it
  inspect   inputs, outputs, gears, arenas, nodes, FLOPs and options of OUT.gearc
  export    one gear's graph as ONNX or Graphviz DOT
  scale     choose gears from dataset statistics (MindOCR auto_scaling compatible))");
    gearc_tool::compile_args compile;
    gearc_tool::run_args run;
    gearc_tool::inspect_args inspect;
    gearc_tool::export_args exp;
    gearc_tool::scale_args scale;
    auto* compile_cmd = gearc_tool::add_compile_command(app, compile);
    auto* run_cmd = gearc_tool::add_run_command(app, run);
    auto* inspect_cmd = gearc_tool::add_inspect_command(app, inspect);
    auto* export_cmd = gearc_tool::add_export_command(app, exp);
    auto* scale_cmd = gearc_tool::add_scale_command(app, scale);
    for (int i = 0; i < argc; ++i) compile.command.emplace_back(argv[i]);

    auto sub_name = [&] {
        for (int i = 1; i < argc; ++i)
            for (const auto* s : {compile_cmd, run_cmd, inspect_cmd, export_cmd, scale_cmd})
                if (s->get_name() == argv[i]) return std::string(" ") + argv[i];
        return std::string();
    };
    // ATC's way: a line saying the run failed, then the code and what is wrong, then how to fix it.
    auto failed = [&](const std::string& report) {
        std::fflush(stdout);
        const std::string sub = sub_name();
        std::fprintf(stderr, "gearc%s failed. Try 'gearc%s --help' for more information.\n%s\n", sub.c_str(), sub.c_str(), report.c_str());
        return 1;
    };
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return failed("E10001: Invalid command line. Reason: " + std::string(e.what()) +
                      "\nSolution: Run gearc --help, or gearc <subcommand> --help, for the options and examples.");
    }
    try {
        if (compile_cmd->parsed()) return gearc_tool::run_compile(compile, compile_cmd->remaining());
        if (run_cmd->parsed()) return gearc_tool::run_run(run);
        if (inspect_cmd->parsed()) return gearc_tool::run_inspect(inspect);
        if (export_cmd->parsed()) return gearc_tool::run_export(exp);
        if (scale_cmd->parsed()) return gearc_tool::run_scale(scale);
    } catch (const gearc::error& e) {
        return failed(e.report());
    } catch (const std::exception& e) {
        return failed(std::string("GC0001: internal error: ") + e.what() + "\nSolution: Report this with the command line and the input files.");
    }
    return 0;
}
