//! The git revision in `relaygen --version`: `relaygen 0.1.0 (git 0123456789ab)`. The revision
//! is the first 12 hex digits of the commit, so the output is the same for every build of one
//! commit. Outside a git checkout of this crate (a source tarball, a vendored copy inside another
//! repository, no `git` installed) the version is just the crate version; a packager can supply
//! the revision with `RELAYGEN_GIT_REVISION`.

#![allow(clippy::print_stdout, reason = "cargo reads a build script's instructions from stdout")]

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RELAYGEN_GIT_REVISION");
    let revision = std::env::var("RELAYGEN_GIT_REVISION").ok().filter(|r| !r.is_empty()).or_else(git_revision);
    let version = env!("CARGO_PKG_VERSION");
    let long = match revision {
        Some(rev) => format!("{version} (git {rev})"),
        None => version.to_owned(),
    };
    println!("cargo:rustc-env=RELAYGEN_VERSION={long}");
}

/// The checked-out commit, if this crate's directory is the top of a git work tree.
fn git_revision() -> Option<String> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).current_dir(&manifest_dir).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    // A tarball unpacked inside some other repository must not take that repository's commit.
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if std::fs::canonicalize(&top).ok()? != std::fs::canonicalize(&manifest_dir).ok()? {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (branch switch), the branch's ref (new commit) and
    // packed-refs (after `git gc`). Only existing files: a missing one would rerun every build.
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.extend(git(&["rev-parse", "--git-path", &branch]));
    }
    watched.extend(git(&["rev-parse", "--git-path", "packed-refs"]));
    for path in watched {
        let path = Path::new(&manifest_dir).join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let commit = git(&["rev-parse", "--verify", "HEAD"])?;
    let short: String = commit.chars().take(12).collect();
    (short.len() == 12 && short.chars().all(|c| c.is_ascii_hexdigit())).then_some(short)
}
