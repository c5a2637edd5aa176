//! The `relaygen` binary: answer a shell's completion request, or parse the command line, run,
//! exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    relaygen::completions::complete_if_asked();
    relaygen::run(std::env::args_os())
}
