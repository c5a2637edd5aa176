//! `relaygen man`: manual pages generated from the command definition in [`cli`](crate::cli).
//!
//! `relaygen(1)` lists every subcommand; `relaygen-COMMAND(1)` has one command's flags, and a
//! command with subcommands of its own (`argocd`) lists them, each with its own page
//! (`relaygen-argocd-generate(1)`). Each page ends with the command's examples (its `--help`
//! epilogue) and the version.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Command, CommandFactory};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, roman};

use crate::cli::Cli;
use crate::error::{Error, Result};

/// The command tree as the man pages show it (no `help` pseudo-subcommand).
fn command() -> Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// One page, in roff.
fn page(cmd: &Command) -> Result<String> {
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    let io = |e: std::io::Error| Error::Internal(format!("man page rendering failed: {e}"));
    man.render_title(&mut out).map_err(io)?;
    man.render_name_section(&mut out).map_err(io)?;
    man.render_synopsis_section(&mut out).map_err(io)?;
    man.render_description_section(&mut out).map_err(io)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).map_err(io)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out).map_err(io)?;
    }
    if let Some(epilogue) = cmd.get_after_help() {
        // The `--help` epilogue: examples, sometimes after notes on exit status and output.
        let text = epilogue.to_string();
        let (heading, body) = match text.trim_start().strip_prefix("Examples:\n") {
            Some(examples) => ("EXAMPLES", examples.to_owned()),
            None => ("NOTES AND EXAMPLES", text.clone()),
        };
        let mut roff = Roff::new();
        roff.control("SH", [heading]).control("nf", []);
        for line in body.lines() {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
        out.write_all(roff.render().as_bytes()).map_err(io)?;
    }
    man.render_version_section(&mut out).map_err(io)?;
    String::from_utf8(out).map_err(|e| Error::Internal(format!("man page is not UTF-8: {e}")))
}

/// `relaygen(1)`: the overview page, listing every subcommand.
pub(crate) fn main_page() -> Result<String> {
    page(&command())
}

/// Every page as (file name, roff): `relaygen.1`, then `relaygen-COMMAND.1` per subcommand
/// and `relaygen-COMMAND-SUBCOMMAND.1` below it, depth first: every page a subcommand
/// list names is among them.
pub(crate) fn all_pages() -> Result<Vec<(String, String)>> {
    fn push_pages(cmd: &Command, pages: &mut Vec<(String, String)>) -> Result<()> {
        pages.push((Man::new(cmd.clone()).get_filename(), page(cmd)?));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            push_pages(sub, pages)?;
        }
        Ok(())
    }
    let mut pages = Vec::new();
    push_pages(&command(), &mut pages)?;
    Ok(pages)
}

/// Writes [`all_pages`] into `dir` (created if missing), replacing older pages of the same
/// name; every page is rendered before the first file is written. Returns the files written.
pub(crate) fn write_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let pages = all_pages()?;
    std::fs::create_dir_all(dir).map_err(|source| Error::WriteTo { path: dir.to_owned(), source })?;
    let mut written = Vec::new();
    for (name, text) in pages {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| Error::WriteTo { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(written)
}
