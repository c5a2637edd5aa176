//! Shell completion, dynamic: `relaygen completions SHELL` prints a small script that hands
//! each completion back to relaygen (`RELAYGEN_COMPLETE=SHELL relaygen -- WORDS…`), which answers from
//! the command definition in [`cli`](crate::cli), so it always knows every subcommand and flag,
//! and from the working directory, so `--profile <TAB>` offers the profiles found there
//! (`values::profiles_dir::profile_names`).

use clap::CommandFactory;
use clap_complete::Shell;
use clap_complete::env::EnvCompleter;

use crate::cli::Cli;

/// The environment variable that makes relaygen complete instead of run.
pub(crate) const COMPLETE_VAR: &str = "RELAYGEN_COMPLETE";

/// The program name the scripts complete and call back.
const BIN: &str = "relaygen";

/// If the shell asked for completions (`RELAYGEN_COMPLETE` is set), prints them and exits; otherwise
/// returns and relaygen runs as usual.
pub fn complete_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command).var(COMPLETE_VAR).bin(BIN).completer(BIN).complete();
}

/// The completion script for `shell`: it registers the completion of `relaygen` with the shell.
pub(crate) fn script(shell: Shell) -> String {
    let completer: Option<&dyn EnvCompleter> = match shell {
        Shell::Bash => Some(&clap_complete::env::Bash),
        Shell::Zsh => Some(&clap_complete::env::Zsh),
        Shell::Fish => Some(&clap_complete::env::Fish),
        Shell::PowerShell => Some(&clap_complete::env::Powershell),
        Shell::Elvish => Some(&clap_complete::env::Elvish),
        _ => None,
    };
    let mut out = Vec::new();
    match completer {
        Some(completer) => {
            // Writing to a Vec cannot fail.
            let _ = completer.write_registration(COMPLETE_VAR, BIN, BIN, BIN, &mut out);
        }
        None => clap_complete::generate(shell, &mut Cli::command(), BIN, &mut out),
    }
    // Every generator writes UTF-8 built from our own (UTF-8) command definition.
    String::from_utf8_lossy(&out).into_owned()
}
