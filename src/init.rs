//! `relaygen init [DIR]`: the start of a GitOps repository for the relay — the shipped
//! profiles (dev, staging, prod), each pointing editors at the values schema, the schema itself
//! (what `relaygen schema` prints) and a README.
//!
//! It never overwrites: if any file it would write exists, it fails and writes nothing. Files
//! are created with `create_new`, and a failure half-way removes what this run created.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The schema file the scaffolded profiles point at, relative to the repository root.
pub(crate) const SCHEMA_FILE: &str = "values.schema.json";

/// The first line of every scaffolded profile: the YAML language server (VS Code's YAML
/// extension, Neovim's yamlls, …) completes and checks keys against the values schema.
pub(crate) const SCHEMA_COMMENT: &str = "# yaml-language-server: $schema=../values.schema.json";

/// The profiles shipped with relaygen, the same files `--profile` reads in this repository.
const PROFILES: [(&str, &str); 3] = [
    ("dev", include_str!("../profiles/dev.yaml")),
    ("staging", include_str!("../profiles/staging.yaml")),
    ("prod", include_str!("../profiles/prod.yaml")),
];

const README: &str = include_str!("init/README.md");

/// The files `init` writes, as (path relative to the repository root, contents), in order.
pub(crate) fn files() -> Result<Vec<(PathBuf, String)>> {
    let mut files: Vec<(PathBuf, String)> = PROFILES
        .iter()
        .map(|(name, text)| (Path::new("profiles").join(format!("{name}.yaml")), with_schema_comment(text)))
        .collect();
    files.push((PathBuf::from(SCHEMA_FILE), crate::schema::values_schema_text()?));
    files.push((PathBuf::from("README.md"), README.to_owned()));
    Ok(files)
}

/// `text` with [`SCHEMA_COMMENT`] as its first line (replacing a schema comment it had).
fn with_schema_comment(text: &str) -> String {
    let body: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("# yaml-language-server:")).collect();
    let mut out = format!("{SCHEMA_COMMENT}\n");
    for line in body {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Scaffolds the repository in `dir` (created if missing) and returns the files written.
pub(crate) fn init(dir: &Path) -> Result<Vec<PathBuf>> {
    let files = files()?;
    let existing: Vec<PathBuf> =
        files.iter().map(|(rel, _)| dir.join(rel)).filter(|path| path.symlink_metadata().is_ok()).collect();
    if !existing.is_empty() {
        return Err(Error::Exists { paths: existing });
    }
    let mut done = Created::default();
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Err(e) = done.write(&path, text) {
            done.roll_back();
            return Err(e);
        }
    }
    Ok(done.files)
}

/// What one `init` run created, so a failure can take it back.
#[derive(Default)]
struct Created {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

impl Created {
    fn write(&mut self, path: &Path, text: &str) -> Result<()> {
        if let Some(parent) = path.parent() {
            self.create_dir_all(parent)?;
        }
        let fail = |source| Error::WriteTo { path: path.to_owned(), source };
        let mut file = OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Exists { paths: vec![path.to_owned()] }
            } else {
                fail(e)
            }
        })?;
        self.files.push(path.to_owned());
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(fail)
    }

    /// Like `fs::create_dir_all`, remembering each directory it made.
    fn create_dir_all(&mut self, dir: &Path) -> Result<()> {
        if dir.as_os_str().is_empty() || dir.is_dir() {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            self.create_dir_all(parent)?;
        }
        match std::fs::create_dir(dir) {
            Ok(()) => {
                self.dirs.push(dir.to_owned());
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
            Err(source) => Err(Error::WriteTo { path: dir.to_owned(), source }),
        }
    }

    /// Removes the files, then the (now empty) directories, newest first.
    fn roll_back(&self) {
        for file in self.files.iter().rev() {
            let _ = std::fs::remove_file(file);
        }
        for dir in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_starts_with_the_schema_comment_exactly_once() {
        for (path, text) in files().expect("files").iter().filter(|(p, _)| p.starts_with("profiles")) {
            assert!(text.starts_with(&format!("{SCHEMA_COMMENT}\n")), "{}", path.display());
            assert_eq!(text.matches("yaml-language-server").count(), 1, "{}", path.display());
        }
    }

    #[test]
    fn an_existing_schema_comment_is_replaced_not_doubled() {
        let text = with_schema_comment("# yaml-language-server: $schema=elsewhere.json\na: 1\n");
        assert_eq!(text, format!("{SCHEMA_COMMENT}\na: 1\n"));
    }

    #[test]
    fn a_failed_write_takes_back_what_it_created() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut created = Created::default();
        created.write(&tmp.path().join("new/sub/a.txt"), "a").expect("first write");
        // A file where a directory must go makes the second write fail.
        let err = created.write(&tmp.path().join("new/sub/a.txt/b.txt"), "b");
        assert!(err.is_err());
        created.roll_back();
        assert!(!tmp.path().join("new").exists(), "the run's directories and files are gone");
    }
}
