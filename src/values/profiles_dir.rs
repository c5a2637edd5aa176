//! Where `--profile NAME` reads `NAME.yaml`: the directory given with `--profiles-dir` or
//! `RELAYGEN_PROFILES_DIR`, or else the nearest `profiles/` found the way git finds `.git`: in
//! the current directory, then in each parent, stopping at the repository root (the first
//! directory holding `.git`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use clap_complete::engine::ValueCompleter;
use clap_complete::{CompletionCandidate, PathCompleter};

use crate::error::{Error, Result};

/// The name of the directory the search looks for.
pub(crate) const PROFILES: &str = "profiles";

/// The profiles directory and how it was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfilesDir {
    /// Given explicitly (`--profiles-dir`, `RELAYGEN_PROFILES_DIR`, Argo CD's source directory):
    /// used as is, never searched for.
    Given(PathBuf),
    /// Found by the search, relative to the current directory (`profiles`, `../profiles`, …).
    Found(PathBuf),
    /// The search found none; these directories were looked for, nearest first.
    NotFound(Vec<PathBuf>),
    /// The search could not start: the current directory cannot be read, for this reason. An
    /// error only once a profile is needed.
    NoCurrentDir(String),
}

impl Default for ProfilesDir {
    fn default() -> Self {
        ProfilesDir::Given(PathBuf::from(PROFILES))
    }
}

impl ProfilesDir {
    /// The directory given, or else the nearest `profiles/` from the current directory.
    pub fn from_current_dir(given: Option<PathBuf>) -> Self {
        match (given, std::env::current_dir()) {
            (Some(dir), _) => ProfilesDir::Given(dir),
            (None, Ok(cwd)) => Self::search(&cwd),
            (None, Err(e)) => ProfilesDir::NoCurrentDir(e.to_string()),
        }
    }

    /// Looks for `profiles/` in `cwd` and each parent, up to the repository root.
    pub fn search(cwd: &Path) -> Self {
        let mut searched = Vec::new();
        let mut relative = PathBuf::new();
        for dir in cwd.ancestors() {
            let candidate = dir.join(PROFILES);
            if candidate.is_dir() {
                return ProfilesDir::Found(relative.join(PROFILES));
            }
            searched.push(candidate);
            if dir.join(".git").exists() {
                break;
            }
            relative.push("..");
        }
        ProfilesDir::NotFound(searched)
    }

    /// The directory, if it exists; otherwise an error saying what was looked for and how to
    /// point relaygen at the right one.
    pub fn path(&self) -> Result<&Path> {
        match self {
            ProfilesDir::Given(dir) if !dir.is_dir() => {
                Err(Error::NoProfilesDir { given: Some(dir.clone()), searched: Vec::new() })
            }
            ProfilesDir::Given(dir) | ProfilesDir::Found(dir) => Ok(dir),
            ProfilesDir::NotFound(searched) => Err(Error::NoProfilesDir { given: None, searched: searched.clone() }),
            ProfilesDir::NoCurrentDir(reason) => Err(Error::NoCurrentDir { reason: reason.clone() }),
        }
    }
}

/// Profile names found in `dir` (files `NAME.yaml`), sorted.
pub(crate) fn available_profiles(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            name.strip_suffix(".yaml").filter(|stem| !stem.is_empty()).map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// The environment variable that names the profiles directory, as `--profiles-dir` does.
pub(crate) const PROFILES_DIR_VAR: &str = "RELAYGEN_PROFILES_DIR";

/// True when `--profile` names a file (`profiles/prod.yaml`, `./prod.yaml`) rather than a
/// profile (`prod`): it has a directory separator. `prod.yaml` alone is a (mistyped) name.
pub(crate) fn is_profile_path(profile: &str) -> bool {
    profile.contains(['/', std::path::MAIN_SEPARATOR])
}

/// Candidates for `--profile`: the names of the profiles in the profiles directory that
/// `--profile` would read (`RELAYGEN_PROFILES_DIR`, else the nearest `profiles/`), or files
/// once the word looks like a path.
pub(crate) fn profile_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let word = current.to_string_lossy();
    if is_profile_path(&word) {
        return PathCompleter::file().complete(current);
    }
    let given = std::env::var_os(PROFILES_DIR_VAR).map(Into::into);
    let Ok(dir) = ProfilesDir::from_current_dir(given).path().map(Path::to_owned) else { return Vec::new() };
    available_profiles(&dir)
        .into_iter()
        .filter(|name| name.starts_with(word.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_climbs_to_the_repository_root_and_no_further() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = tmp.path().join("repo");
        let deep = repo.join("a/b");
        std::fs::create_dir_all(&deep).expect("mkdir");
        std::fs::create_dir(repo.join(".git")).expect("mkdir");
        std::fs::create_dir(tmp.path().join(PROFILES)).expect("a profiles/ above the repository");
        let ProfilesDir::NotFound(searched) = ProfilesDir::search(&deep) else { panic!("must stop at .git") };
        assert_eq!(searched, [deep.join(PROFILES), repo.join("a").join(PROFILES), repo.join(PROFILES)]);
        std::fs::create_dir(repo.join(PROFILES)).expect("mkdir");
        assert_eq!(ProfilesDir::search(&deep), ProfilesDir::Found(PathBuf::from("../../profiles")));
        assert_eq!(ProfilesDir::search(&repo), ProfilesDir::Found(PathBuf::from("profiles")));
    }
}
