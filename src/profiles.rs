//! Every profile rendered into its own directory: `render --all-profiles --out DIR`, and the
//! fresh outputs `relaygen check` compares with the committed ones.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Error, Result};
use crate::output::dir::{self, Files};
use crate::render::{self, Target};
use crate::values::{self, Selection};

/// One profile's rendered output directory, not yet written.
#[derive(Debug)]
pub(crate) struct ProfileOutput {
    /// The profile's name, which is also its directory's name.
    pub profile: String,
    /// The directory's files.
    pub files: Files,
    /// Warnings validation found in this profile's values.
    pub warnings: Vec<Diagnostic>,
}

/// Renders every profile of `base.profiles_dir`, each with `base`'s other layers (`-f`, `--set`,
/// `-n`) on top. Every profile is rendered before anything is returned; if any fails, the
/// error lists each failing profile and its problems. With `strict`, warnings fail a profile.
pub(crate) fn render_profiles(base: &Selection, target: &Target, strict: bool) -> Result<Vec<ProfileOutput>> {
    let dir = base.profiles_dir.path()?;
    let names = values::profiles_dir::available_profiles(dir);
    if names.is_empty() {
        return Err(Error::Read {
            path: dir.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no profiles (NAME.yaml) in this directory"),
        });
    }
    let render_one = |name: &String| {
        let selection = Selection { profile: Some(name.clone()), ..base.clone() };
        values::load(&selection).and_then(|resolved| {
            if strict && !resolved.warnings.is_empty() {
                return Err(Error::Values(values::validate::strict(resolved.warnings)));
            }
            let bundle = render::stack(&resolved, target)?;
            if strict && !bundle.warnings.is_empty() {
                return Err(Error::Values(values::validate::strict(bundle.warnings)));
            }
            let files = dir::files(&bundle)?;
            Ok((files, resolved.warnings.into_iter().chain(bundle.warnings).collect()))
        })
    };
    // Profiles are independent: render them on every core, in name order.
    let results = crate::parallel::map(&names, render_one);
    let mut outputs = Vec::with_capacity(names.len());
    let mut failures = Vec::new();
    for (name, rendered) in names.into_iter().zip(results) {
        match rendered {
            Ok((files, warnings)) => outputs.push(ProfileOutput { profile: name, files, warnings }),
            Err(e) => failures.push((name, e)),
        }
    }
    if failures.is_empty() { Ok(outputs) } else { Err(Error::Profiles(failures)) }
}

/// Replaces `out/<profile>/` for every output at once (see [`dir::replace`]), then removes the
/// directories relaygen wrote for profiles that no longer exist. Returns what was removed:
/// entries that were not rendered files, and those directories.
pub(crate) fn write_profiles(out: &Path, outputs: Vec<ProfileOutput>) -> Result<Vec<PathBuf>> {
    dir::check_not_a_file(out)?;
    let keep: BTreeSet<String> = outputs.iter().map(|o| o.profile.clone()).collect();
    let targets: Vec<(PathBuf, Files)> = outputs.into_iter().map(|o| (out.join(&o.profile), o.files)).collect();
    let mut removed = dir::replace(&targets)?;
    removed.extend(dir::remove_stale(out, &keep)?);
    Ok(removed)
}
