//! `relaygen completions SHELL`: a completion script generated from the command definition in
//! [`cli`](crate::cli), so it always knows every subcommand and flag.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The completion script for `shell`, for a binary called `relaygen`.
pub fn script(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "relaygen", &mut out);
    // Every generator writes UTF-8 built from our own (UTF-8) command definition.
    String::from_utf8_lossy(&out).into_owned()
}
