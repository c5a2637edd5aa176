//! The `relaygen` binary: parse the command line, run, exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    relaygen::run(std::env::args_os())
}
