//! Where `--profile NAME` finds `NAME.yaml`: the nearest `profiles/` from the current directory
//! up to the repository root, unless `--profiles-dir` or `RELAYGEN_PROFILES_DIR` says otherwise.

use std::path::Path;

use crate::support::{relaygen, relaygen_in, relaygen_in_env, repo};

/// A temporary repository (it has `.git`) holding a copy of the `prod` profile.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir .git");
    std::fs::create_dir_all(dir.path().join("profiles")).expect("mkdir profiles");
    std::fs::create_dir_all(dir.path().join("deploy/relay")).expect("mkdir deploy/relay");
    std::fs::copy(repo().join("profiles/prod.yaml"), dir.path().join("profiles/prod.yaml")).expect("copy");
    dir
}

#[test]
fn a_profile_is_found_from_any_subdirectory_of_the_repository() {
    let repository = repository();
    let expected = relaygen(&["render", "--profile", "prod"]).ok();
    let rendered = relaygen_in(&repository.path().join("deploy/relay"), &["render", "--profile", "prod"]).ok();
    assert_eq!(rendered, expected);
}

#[test]
fn the_search_stops_at_the_repository_root_and_a_missing_directory_is_reported_as_missing() {
    let outside = tempfile::tempdir().expect("tempdir");
    // A profiles/ above the repository must not be picked up.
    std::fs::create_dir(outside.path().join("profiles")).expect("mkdir");
    std::fs::copy(repo().join("profiles/prod.yaml"), outside.path().join("profiles/prod.yaml")).expect("copy");
    let repository = outside.path().join("repo");
    std::fs::create_dir_all(repository.join(".git")).expect("mkdir .git");
    std::fs::create_dir_all(repository.join("deploy")).expect("mkdir");
    let stderr = relaygen_in(&repository.join("deploy"), &["render", "--profile", "prod"]).fails();
    assert!(stderr.contains("no profiles directory found"), "{stderr}");
    assert!(!stderr.contains("holds no *.yaml profiles"), "{stderr}");
    for searched in [repository.join("deploy/profiles"), repository.join("profiles")] {
        assert!(stderr.contains(&searched.display().to_string()), "{} not listed:\n{stderr}", searched.display());
    }
    assert!(!stderr.contains(&format!("{}\n", outside.path().join("profiles").display())), "{stderr}");
    assert!(stderr.contains("--profiles-dir") && stderr.contains("RELAYGEN_PROFILES_DIR"), "{stderr}");
}

#[test]
fn profiles_dir_and_its_environment_variable_override_the_search() {
    let repository = repository();
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let expected = relaygen(&["render", "--profile", "prod"]).ok();
    let dir = repository.path().join("profiles");
    let dir = dir.to_str().expect("UTF-8 path");
    assert_eq!(relaygen_in(elsewhere.path(), &["render", "--profile", "prod", "--profiles-dir", dir]).ok(), expected);
    assert_eq!(
        relaygen_in_env(elsewhere.path(), &[("RELAYGEN_PROFILES_DIR", dir)], &["render", "--profile", "prod"]).ok(),
        expected
    );
    // Given explicitly, a directory is never searched for: a wrong one is an error, not a guess.
    let stderr = relaygen_in_env(
        &repository.path().join("deploy/relay"),
        &[("RELAYGEN_PROFILES_DIR", "nowhere")],
        &["render", "--profile", "prod"],
    )
    .fails();
    assert!(stderr.contains("the profiles directory nowhere does not exist"), "{stderr}");
}

#[test]
fn a_profile_given_as_a_path_needs_no_profiles_directory() {
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let path = repo().join("profiles/prod.yaml");
    let rendered = relaygen_in(elsewhere.path(), &["render", "--profile", path.to_str().expect("UTF-8")]).ok();
    assert_eq!(rendered, relaygen(&["render", "--profile", "prod"]).ok());
    assert_eq!(relaygen(&["render", "--profile", "profiles/prod.yaml"]).ok(), rendered);
}

#[test]
fn check_and_all_profiles_find_the_profiles_from_a_subdirectory() {
    let repository = repository();
    let sub = repository.path().join("deploy/relay");
    relaygen_in(&sub, &["render", "--all-profiles", "--out", "out"]).ok();
    assert!(Path::new(&sub.join("out/prod/kustomization.yaml")).is_file());
    relaygen_in(&sub, &["check", "--out", "out"]).ok();
}

#[test]
fn argocd_application_names_the_missing_profiles_directory_and_the_flag() {
    let repository = tempfile::tempdir().expect("tempdir");
    relaygen_in(repository.path(), &["init"]).ok();
    let args = ["argocd", "application", "--profile", "prod", "--repo", "https://git.example.com/mail.git"];
    let stderr = relaygen_in(repository.path(), &[&args[..], &["--path", "deploy/relay"]].concat()).fails();
    assert!(stderr.contains("the profiles directory deploy/relay/profiles does not exist"), "{stderr}");
    assert!(stderr.contains("--profiles-dir"), "{stderr}");
    relaygen_in(repository.path(), &[&args[..], &["--path", "."]].concat()).ok();
}

#[test]
fn an_unreadable_current_directory_is_reported_not_searched_from() {
    let gone = tempfile::tempdir().expect("tempdir");
    let dir = gone.path().join("deleted");
    std::fs::create_dir(&dir).expect("mkdir");
    // The shell enters the directory and removes it: relaygen starts where getcwd fails.
    let output = std::process::Command::new("sh")
        .args(["-c", r#"cd "$1" && rmdir "$1" && exec "$2" render --profile prod"#, "sh"])
        .arg(&dir)
        .arg(env!("CARGO_BIN_EXE_relaygen"))
        .env_remove("RELAYGEN_PROFILES_DIR")
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("cannot read the current directory"), "{stderr}");
    assert!(stderr.contains("--profiles-dir"), "{stderr}");
}
