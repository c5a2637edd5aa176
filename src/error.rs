//! Errors are values: every failure is an [`Error`], rendered once at the edge (`lib::run`).
//!
//! A [`Diagnostic`] is one problem with the user's values: what is wrong, the key path, where
//! the offending value was written ([`Origin`]), what was expected and, for typos, the nearest
//! valid key. Validation collects all of them before reporting, so one run shows every mistake.

use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use crate::style::{self, EMPHASIS, ERROR, GUTTER};

/// Which layer of the value stack a source belongs to, lowest precedence first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// The defaults compiled into the binary.
    Defaults,
    /// A default that follows another key (`env.SERVER_HOSTNAME` from `env.maildomain`).
    Derived,
    /// `profiles/NAME.yaml`.
    Profile,
    /// A `-f/--values` file.
    File,
    /// A `--set` or `--set-string` expression.
    Set,
}

impl Layer {
    /// True for the layers the user writes: a profile, a `-f` file, `--set` (or `-n`).
    pub fn is_users(self) -> bool {
        matches!(self, Layer::Profile | Layer::File | Layer::Set)
    }

    /// How the layer is named in messages: "the profile", "a -f file".
    pub fn description(self) -> &'static str {
        match self {
            Layer::Defaults => "the built-in defaults",
            Layer::Derived => "a derived default",
            Layer::Profile => "the profile",
            Layer::File => "a -f file",
            Layer::Set => "--set",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Defaults => "default",
            Layer::Derived => "derived",
            Layer::Profile => "profile",
            Layer::File => "file",
            Layer::Set => "set",
        })
    }
}

/// A piece of user input: a YAML file or a `--set` expression, kept whole for error snippets.
#[derive(Debug)]
pub struct Source {
    /// The layer this source is part of.
    pub layer: Layer,
    /// What to call it in messages: a path, `built-in defaults` or `--set a.b=c`.
    pub name: String,
    /// The full text, so errors can quote the offending line.
    pub text: String,
}

/// Where a value was written: a source and a 1-based line and column.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The source the value came from.
    pub source: Arc<Source>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source.layer {
            Layer::Set => write!(f, "{} (column {})", self.source.name, self.column),
            Layer::Derived => f.write_str(&self.source.name),
            _ => write!(f, "{}:{}:{}", self.source.name, self.line, self.column),
        }
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Rendering cannot go on.
    Error,
    /// Worth a look; rendering goes on.
    Warning,
}

/// One problem found in the user's values.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The dotted key path, e.g. `deployment.replicas`.
    pub key_path: Option<String>,
    /// Where the offending value was written.
    pub origin: Option<Origin>,
    /// What would have been accepted.
    pub expected: Option<String>,
    /// A suggestion, e.g. the nearest valid key.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error diagnostic with only a message.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            key_path: None,
            origin: None,
            expected: None,
            help: None,
        }
    }

    /// A warning diagnostic with only a message.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(message) }
    }

    /// Sets the key path.
    #[must_use]
    pub fn at(mut self, key_path: impl Into<String>) -> Self {
        self.key_path = Some(key_path.into());
        self
    }

    /// Sets where the value was written.
    #[must_use]
    pub fn origin(mut self, origin: Option<Origin>) -> Self {
        self.origin = origin;
        self
    }

    /// Sets what would have been accepted.
    #[must_use]
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// Sets a suggestion.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic as a rustc-style block, quoting the source line when known, with
    /// the colour escapes that `style::write_stderr` keeps only for a terminal.
    pub fn render(&self) -> String {
        self.render_for(None, true)
    }

    /// Renders a warning for stderr, naming `profile` when there is one (`--all-profiles`).
    /// A warning about a value the user wrote is shown in full, like an error; one about a
    /// value the user never wrote (a built-in default) takes one line, since there is no line
    /// of theirs to quote: `verbose` (`--verbose`) shows it in full too.
    pub fn render_warning(&self, profile: Option<&str>, verbose: bool) -> String {
        let users = self.origin.as_ref().is_some_and(|o| o.source.layer.is_users());
        self.render_for(profile, verbose || users)
    }

    fn render_for(&self, profile: Option<&str>, full: bool) -> String {
        let mut out = String::new();
        let (label, colour) = match self.severity {
            Severity::Error => ("error", style::ERROR),
            Severity::Warning => ("warning", style::WARNING),
        };
        let _ = write!(out, "{colour}{label}{colour:#}: ");
        if let Some(profile) = profile {
            let _ = write!(out, "profile {EMPHASIS}{profile}{EMPHASIS:#}: ");
        }
        if let Some(path) = &self.key_path {
            let _ = write!(out, "{EMPHASIS}{path}{EMPHASIS:#}: ");
        }
        if !full && (self.origin.is_some() || self.help.is_some()) {
            let _ = writeln!(out, "{} (more: --verbose)", self.message);
            return out;
        }
        let _ = writeln!(out, "{}", self.message);
        if let Some(origin) = &self.origin {
            let _ = writeln!(out, "  {GUTTER}-->{GUTTER:#} {origin}");
            if let Some(line_text) = origin.source.text.lines().nth(origin.line.saturating_sub(1)) {
                let number = origin.line.to_string();
                let pad = " ".repeat(number.len());
                let caret_pad = " ".repeat(origin.column.saturating_sub(1));
                let _ = writeln!(out, "  {pad} {GUTTER}|{GUTTER:#}");
                let _ = writeln!(out, "  {number} {GUTTER}|{GUTTER:#} {line_text}");
                let _ = writeln!(out, "  {pad} {GUTTER}|{GUTTER:#} {caret_pad}{colour}^{colour:#}");
            }
        }
        if let Some(expected) = &self.expected {
            let _ = writeln!(out, "  = expected: {expected}");
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

/// Everything that can make a relaygen command fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The values (files, profile, `--set`) are invalid; every problem found is listed.
    #[error("invalid values ({} problem(s))", .0.len())]
    Values(Vec<Diagnostic>),
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The requested profile does not exist in the profiles directory.
    #[error("{}", unknown_profile_message(name, dir, available))]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// Where profiles were looked for.
        dir: PathBuf,
        /// Profiles that do exist.
        available: Vec<String>,
    },
    /// There is no profiles directory: the one given does not exist, or the search found none.
    #[error("{}", no_profiles_dir_message(given.as_deref(), searched))]
    NoProfilesDir {
        /// The directory given with `--profiles-dir` or `RELAYGEN_PROFILES_DIR`, if any.
        given: Option<PathBuf>,
        /// The directories the search looked for, nearest first (empty when one was given).
        searched: Vec<PathBuf>,
    },
    /// The search for the profiles directory cannot start: the current directory is unreadable
    /// (deleted, or without permission).
    #[error(
        "cannot read the current directory, where the search for profiles/ starts: {reason}\n  = help: run relaygen \
         from an existing directory, pass --profiles-dir DIR, or set RELAYGEN_PROFILES_DIR=DIR"
    )]
    NoCurrentDir {
        /// Why it cannot be read.
        reason: String,
    },
    /// `explain` was asked about a key the values do not have.
    #[error("{}", .0.message)]
    UnknownKey(Box<Diagnostic>),
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    Write(#[source] std::io::Error),
    /// Writing a file or directory (`--out`, `init`, `man --out`) failed.
    #[error("cannot write {}: {source}", path.display())]
    WriteTo {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An output directory (`--out`) cannot be written where it is: relaygen writes the new
    /// directory beside it first, so its parent must be writable.
    #[error(
        "cannot write {}: {source}\n  = help: relaygen writes the new directory beside it, in {}, then swaps it in: that directory must exist and be writable (or choose another --out)",
        path.display(),
        parent_of(path).display()
    )]
    OutNotWritable {
        /// The output directory given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `--out` would replace a directory relaygen did not write.
    #[error(
        "refusing to replace {}: it is not empty and was not written by relaygen (no generated kustomization.yaml)\n  = help: choose a new or empty directory for --out",
        path.display()
    )]
    NotGenerated {
        /// The directory.
        path: PathBuf,
    },
    /// An output directory (`--out`) names something that is not a directory.
    #[error("{} is not a directory\n  = help: --out takes a directory: a new, empty or relaygen-written one", path.display())]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// Manifests given to `diff --against` cannot be read as Kubernetes objects.
    #[error("{name}: {message}")]
    Manifests {
        /// The file, directory entry or `<stdin>`.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A combination of flags that cannot work together.
    #[error("{0}")]
    Usage(String),
    /// One or more profiles of `--all-profiles` failed; nothing was written.
    #[error("{} profile(s) failed", .0.len())]
    Profiles(Vec<(String, Error)>),
    /// Files that a command would create already exist; nothing was written.
    #[error("{}", exists_message(paths))]
    Exists {
        /// The files in the way.
        paths: Vec<PathBuf>,
    },
    /// A bug: the rendered objects broke an internal invariant or could not be serialised.
    #[error("internal error (please report this as a bug): {0}")]
    Internal(String),
}

/// The directory `path` is in, `.` for a bare name.
fn parent_of(path: &std::path::Path) -> &std::path::Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."))
}

fn exists_message(paths: &[PathBuf]) -> String {
    let mut msg = String::from("refusing to overwrite existing files; nothing was written:");
    for path in paths {
        let _ = write!(msg, "\n  {}", path.display());
    }
    msg.push_str("\n  = help: move them away, or choose another directory");
    msg
}

fn no_profiles_dir_message(given: Option<&std::path::Path>, searched: &[PathBuf]) -> String {
    let mut msg = match given {
        Some(dir) => format!("the profiles directory {} does not exist", dir.display()),
        None => "no profiles directory found; looked for:".to_owned(),
    };
    for dir in searched {
        let _ = write!(msg, "\n  {}", dir.display());
    }
    if given.is_none() {
        msg.push_str("\n  (the current directory and its parents, up to the repository root)");
    }
    msg.push_str(
        "\n  = help: run relaygen inside the repository that holds profiles/, pass --profiles-dir DIR, \
         set RELAYGEN_PROFILES_DIR=DIR, or name the file: --profile path/to/NAME.yaml",
    );
    msg
}

fn unknown_profile_message(name: &str, dir: &std::path::Path, available: &[String]) -> String {
    let mut msg = format!("unknown profile `{name}` (looked for {}/{name}.yaml)", dir.display());
    if available.is_empty() {
        let _ = write!(msg, "\n  = help: {} holds no *.yaml profiles", dir.display());
    } else {
        let _ = write!(msg, "\n  = available profiles: {}", available.join(", "));
        if let Some(best) = crate::suggest::nearest(name, available.iter().map(String::as_str)) {
            let _ = write!(msg, "\n  = help: did you mean `{best}`?");
        }
    }
    msg
}

/// The most diagnostics printed in full; the rest are counted.
const MAX_SHOWN: usize = 100;

impl Error {
    /// Renders the error for stderr, in colour (see [`Diagnostic::render`]).
    pub fn render(&self) -> String {
        self.render_verbose(true)
    }

    /// Renders the error for stderr; warnings among the diagnostics are shown as
    /// [`Diagnostic::render_warning`] shows them (`verbose`: `--verbose`).
    pub fn render_verbose(&self, verbose: bool) -> String {
        match self {
            Error::Values(diagnostics) => {
                let mut out = String::new();
                for d in diagnostics.iter().take(MAX_SHOWN) {
                    out.push_str(&match d.severity {
                        Severity::Error => d.render(),
                        Severity::Warning => d.render_warning(None, verbose),
                    });
                }
                if let Some(rest) = diagnostics.len().checked_sub(MAX_SHOWN).filter(|n| *n > 0) {
                    let _ = writeln!(out, "… and {rest} more");
                }
                let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
                let _ = writeln!(out, "{ERROR}error{ERROR:#}: {errors} invalid value(s); nothing was rendered");
                out
            }
            Error::UnknownKey(d) => d.render(),
            Error::Profiles(failures) => {
                let mut out = String::new();
                for (profile, error) in failures {
                    let _ = writeln!(out, "{EMPHASIS}profile `{profile}`{EMPHASIS:#}:");
                    out.push_str(&error.render_verbose(verbose));
                }
                let _ = writeln!(
                    out,
                    "{ERROR}error{ERROR:#}: {} profile(s) failed; no output directory was changed",
                    failures.len()
                );
                out
            }
            other => format!("{ERROR}error{ERROR:#}: {other}\n"),
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
