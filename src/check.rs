//! `relaygen check`, the CI gate that the committed `out/` is what relaygen renders today: the
//! comparison of each output directory with a fresh render, and the report.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::output::dir;
use crate::profiles::ProfileOutput;

/// How one file of an output directory differs from a fresh render.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FileState {
    /// Its contents differ.
    Changed,
    /// A fresh render has it; the directory does not.
    Missing,
    /// The directory has it; a fresh render does not (e.g. an object that was switched off).
    Extra,
}

/// A stale output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stale {
    /// `out/<profile>` differs from a fresh render in these files.
    Files {
        /// The profile.
        profile: String,
        /// Each differing file and how it differs, sorted by name.
        files: Vec<(String, FileState)>,
    },
    /// The profile has no output directory.
    MissingDir {
        /// The profile.
        profile: String,
    },
    /// relaygen wrote this directory for a profile that no longer exists.
    ExtraDir {
        /// The directory's name.
        profile: String,
    },
}

/// Compares the directories under `out` with fresh outputs; empty when everything is fresh.
pub(crate) fn check(out: &Path, outputs: &[ProfileOutput]) -> Result<Vec<Stale>> {
    let mut stale = Vec::new();
    for output in outputs {
        let path = out.join(&output.profile);
        if !path.is_dir() {
            stale.push(Stale::MissingDir { profile: output.profile.clone() });
            continue;
        }
        let on_disk = dir::read(&path)?;
        let mut files: Vec<(String, FileState)> = Vec::new();
        for (name, text) in &output.files {
            match on_disk.get(name) {
                None => files.push((name.clone(), FileState::Missing)),
                Some(existing) if existing != text => files.push((name.clone(), FileState::Changed)),
                Some(_) => {}
            }
        }
        files.extend(
            on_disk.keys().filter(|name| !output.files.contains_key(*name)).map(|n| (n.clone(), FileState::Extra)),
        );
        files.sort();
        if !files.is_empty() {
            stale.push(Stale::Files { profile: output.profile.clone(), files });
        }
    }
    let profiles: BTreeSet<&str> = outputs.iter().map(|o| o.profile.as_str()).collect();
    for path in dir::generated_subdirs(out)? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !profiles.contains(name.as_str()) {
            stale.push(Stale::ExtraDir { profile: name });
        }
    }
    Ok(stale)
}

/// The line `check` prints when the output is fresh, like `validate`'s `ok:` line.
pub(crate) fn fresh_summary(out: &Path, outputs: &[ProfileOutput]) -> String {
    let names: Vec<&str> = outputs.iter().map(|o| o.profile.as_str()).collect();
    let files: usize = outputs.iter().map(|o| o.files.len()).sum();
    format!("ok: {} is fresh: {} profile(s) ({}), {files} files\n", out.display(), names.len(), names.join(", "))
}

/// The error for an output directory that does not exist: a repository that commits no
/// rendered output (as `relaygen init` makes it) has nothing to check until it does.
pub(crate) fn no_output_message(out: &Path) -> String {
    let out = out.display();
    format!(
        "{out} does not exist: there is no committed output to check\n  = help: to keep the rendered manifests in \
         git, run `relaygen render --all-profiles --out {out}` and commit {out}/; check then keeps it fresh. A \
         repository whose manifests are rendered at deploy time (Argo CD's relaygen plugin, or `relaygen render \
         | kubectl apply -f -`) needs no check"
    )
}

/// The report `check` prints for stale output, ending with the command that regenerates it.
pub(crate) fn report(stale: &[Stale], out: &Path, profiles_dir: &Path) -> String {
    let mut text = String::new();
    let out_name = out.display();
    for entry in stale {
        match entry {
            Stale::Files { profile, files } => {
                let _ = writeln!(text, "stale: {out_name}/{profile}");
                for (name, state) in files {
                    let what = match state {
                        FileState::Changed => "changed",
                        FileState::Missing => "missing",
                        FileState::Extra => "extra  ",
                    };
                    let _ = writeln!(text, "  {what} {out_name}/{profile}/{name}");
                }
            }
            Stale::MissingDir { profile } => {
                let _ = writeln!(text, "stale: {out_name}/{profile} is missing (profile `{profile}` has no output)");
            }
            Stale::ExtraDir { profile } => {
                let _ = writeln!(
                    text,
                    "stale: {out_name}/{profile} has no profile (no {}/{profile}.yaml)",
                    profiles_dir.display()
                );
            }
        }
    }
    let mut command = String::from("relaygen render --all-profiles");
    if profiles_dir != Path::new("profiles") {
        let _ = write!(command, " --profiles-dir {}", profiles_dir.display());
    }
    let _ = write!(command, " --out {out_name}");
    let count =
        if stale.len() == 1 { "1 stale directory".to_owned() } else { format!("{} stale directories", stale.len()) };
    let _ = writeln!(text, "{count}; regenerate with: {command}");
    text
}
