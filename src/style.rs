//! Terminal colour, in one place. Messages and diffs are always rendered with these styles;
//! [`write_stdout`] and [`write_stderr`] go through anstream, as clap's own output does, which
//! drops the escapes unless the stream is a terminal and honours `NO_COLOR`, `CLICOLOR` and
//! `CLICOLOR_FORCE`.

use std::io::Write as _;

use anstyle::{AnsiColor, Style};

/// The word `error`.
pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
/// The word `warning`.
pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default().bold();
/// Key paths and profile names in messages; object headers and the summary of a diff.
pub(crate) const EMPHASIS: Style = Style::new().bold();
/// The `-->` and `|` gutters beside a quoted source line.
pub(crate) const GUTTER: Style = AnsiColor::Blue.on_default();
/// Removed lines of a diff.
pub(crate) const REMOVED: Style = AnsiColor::Red.on_default();
/// Added lines of a diff.
pub(crate) const ADDED: Style = AnsiColor::Green.on_default();
/// `@@` hunk headers of a diff.
pub(crate) const HUNK: Style = AnsiColor::Cyan.on_default();

/// `text` without its colour escapes, as a stream that is not a terminal shows it (for tests
/// that read messages).
#[cfg(test)]
pub(crate) fn plain(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

/// Writes `text` to stdout in one go, in colour only where colour is wanted.
pub(crate) fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = anstream::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush())
}

/// Writes `text` to stderr, in colour only where colour is wanted. A message that cannot be
/// written has nowhere else to go, so a failure is ignored.
pub(crate) fn write_stderr(text: &str) {
    let _ = anstream::stderr().lock().write_all(text.as_bytes());
}
