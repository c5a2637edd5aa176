//! `validate`, `schema`, `explain`, `--strict` and `--kube-version`, specified through what a
//! user sees; the committed JSON Schema checked for staleness and by the `jsonschema` judge.

use std::process::Command;

use crate::support::{judge, profiles, relaygen, relaygen_in, repo};

#[test]
fn the_committed_schema_is_what_relaygen_generates() {
    let generated = relaygen(&["schema"]).ok();
    let committed = std::fs::read_to_string(repo().join("values.schema.json")).unwrap_or_default();
    assert!(
        generated == committed,
        "values.schema.json is stale: regenerate it with `cargo run -- schema > values.schema.json`"
    );
}

#[test]
fn every_profile_points_editors_at_the_schema() {
    for profile in profiles() {
        let text = std::fs::read_to_string(repo().join(format!("profiles/{profile}.yaml"))).expect("read profile");
        assert_eq!(
            text.lines().next(),
            Some("# yaml-language-server: $schema=../values.schema.json"),
            "profiles/{profile}.yaml must start with the schema modeline"
        );
    }
}

/// Runs the `jsonschema` judge on values files.
fn validate_values(python: &std::path::Path, files: &[&str]) -> (i32, String) {
    let out = Command::new(python)
        .arg(repo().join("scripts/judges/validate-values.py"))
        .arg(repo().join("values.schema.json"))
        .args(files)
        .output()
        .expect("run validate-values.py");
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn the_jsonschema_judge_accepts_every_profile_and_the_defaults() {
    let Some(python) = judge("venv/bin/python", "python3") else { return };
    let dir = tempfile::tempdir().expect("tempdir");

    // The judge must be able to say no: a typo two levels down and a wrong type.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "deployment:\n  replicaz: 2\nservice:\n  port: many\n").expect("write");
    let (code, text) = validate_values(&python, &[broken.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("'replicaz' was unexpected"), "{text}");
    assert!(text.contains("service.port"), "{text}");

    let mut files: Vec<String> = profiles().iter().map(|p| format!("profiles/{p}.yaml")).collect();
    files.push("src/values/defaults.yaml".into());
    // The effective values of every profile are a complete values file: also valid.
    for profile in profiles() {
        let path = dir.path().join(format!("effective-{profile}.yaml"));
        std::fs::write(&path, relaygen(&["values", "-p", &profile]).ok()).expect("write");
        files.push(path.to_str().expect("utf8").to_owned());
    }
    let absolute: Vec<String> = files.iter().map(|f| repo().join(f).to_str().expect("utf8").to_owned()).collect();
    let refs: Vec<&str> = absolute.iter().map(String::as_str).collect();
    let (code, text) = validate_values(&python, &refs);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("ok: ")).count(), files.len(), "{text}");
}

#[test]
fn validate_says_ok_on_stdout_and_nothing_else() {
    let run = relaygen(&["validate", "-p", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "ok: values valid, 11 objects for Kubernetes 1.33, profile prod, 0 warning(s)\n");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn validate_fails_with_every_problem_and_an_empty_stdout() {
    let err = relaygen(&["validate", "--set", "env.maildomain=nodot", "--set", "deployment.replicas=0"]).fails();
    assert!(err.contains("env.maildomain"), "{err}");
    assert!(err.contains("deployment.replicas"), "{err}");
}

#[test]
fn an_unpinned_image_is_a_warning_and_an_error_with_strict() {
    for tag in ["latest", ""] {
        let set = format!("image.tag={tag}");
        let run = relaygen(&["validate", "--set-string", &set]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains("warning: image.tag"), "{}", run.stderr);
        assert!(run.stdout.contains("1 warning(s)"), "{}", run.stdout);
        for command in ["validate", "render"] {
            let err = relaygen(&[command, "--strict", "--set-string", &set]).fails();
            assert!(err.contains("error: image.tag"), "{err}");
            assert!(err.contains("--strict"), "{err}");
        }
    }
    // A digest pins the image even without a tag.
    let digest = format!("image.repository=boky/postfix@sha256:{}", "a".repeat(64));
    relaygen(&["validate", "--strict", "--set", &digest, "--set-string", "image.tag="]).ok();
    let run = relaygen(&["render", "--set", &digest, "--set-string", "image.tag="]);
    assert!(run.stdout.contains(&format!("image: boky/postfix@sha256:{}\n", "a".repeat(64))), "{}", run.stderr);
}

#[test]
fn every_profile_validates_strictly_for_every_supported_kubernetes_version() {
    for profile in profiles() {
        for minor in 33..=37 {
            let version = format!("1.{minor}");
            let out = relaygen(&["validate", "--strict", "-p", &profile, "--kube-version", &version]).ok();
            assert!(out.contains(&format!("for Kubernetes {version}")), "{out}");
        }
    }
}

#[test]
fn unsupported_kubernetes_versions_are_refused_clearly() {
    for bad in ["1.32", "1.38", "2.0", "latest"] {
        let run = relaygen(&["render", "--kube-version", bad]);
        assert_ne!(run.code, 0);
        assert!(run.stdout.is_empty());
        assert!(run.stderr.contains(&format!("invalid value '{bad}' for '--kube-version")), "{}", run.stderr);
    }
    let err = relaygen(&["render", "--kube-version", "1.32"]).stderr;
    assert!(err.contains("relaygen renders for 1.33 through 1.37"), "{err}");
}

#[test]
fn explain_shows_type_default_description_and_allowed_values() {
    let out = relaygen(&["explain", "postfix.tls.securityLevel"]).ok();
    for needle in [
        "KEY:     postfix.tls.securityLevel",
        "TYPE:    string",
        "DEFAULT: encrypt",
        "ALLOWED: may, encrypt, verify, secure",
        "smtp_tls_security_level",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
    let out = relaygen(&["explain", "service.port"]).ok();
    assert!(out.contains("TYPE:    integer (0..=65535)") && out.contains("DEFAULT: 25"), "{out}");
    let out = relaygen(&["explain", "deployment"]).ok();
    assert!(out.contains("KEYS:    nodeSelector, podAnnotations, replicas,"), "{out}");
}

#[test]
fn explain_refuses_unknown_keys_with_the_nearest_one() {
    let err = relaygen(&["explain", "postfix.tls.securityLevle"]).fails();
    assert!(err.contains("unknown key `securityLevle`"), "{err}");
    assert!(err.contains("did you mean `postfix.tls.securityLevel`?"), "{err}");
    let err = relaygen(&["explain", "imgae.tag"]).fails();
    assert!(err.contains("did you mean `image`?"), "{err}");
}

#[test]
fn schema_and_explain_need_no_profiles_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    relaygen_in(dir.path(), &["schema"]).ok();
    relaygen_in(dir.path(), &["explain", "image.tag"]).ok();
}
