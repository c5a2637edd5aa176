//! The `relaygen` binary: parse the command line, run, exit.

use std::process::ExitCode;

/// Bump allocation that reuses only the newest block: the process is short and exits right
/// after its output (see `relaygen::process_allocator`).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: relaygen::process_allocator::ProcessAllocator = relaygen::process_allocator::ProcessAllocator::new();

fn main() -> ExitCode {
    relaygen::run_process(std::env::args_os())
}
