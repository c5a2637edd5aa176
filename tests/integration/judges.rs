//! Outside judges check the rendered output: kubernetes-validate (the official OpenAPI schemas,
//! strict: unknown fields fail), prometheus-operator's CRD schemas for the custom resources,
//! and PyYAML as the YAML 1.1 reader kubectl-era tooling is.
//!
//! Each judge is also shown a broken object first, so a judge that cannot fail is caught.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{judge, profiles, relaygen, repo};

/// Kubernetes versions checked: every supported one, from the oldest to the newest the judge
/// knows (`relaygen render --kube-version`).
const KUBE_VERSIONS: [&str; 5] = ["1.33", "1.34", "1.35", "1.36", "1.37"];

/// Everything switched on at once, so optional objects are judged too.
const EVERYTHING: &[&str] = &[
    "render",
    "--create-namespace",
    "--set",
    "autoscaling.enabled=true",
    "--set",
    "podDisruptionBudget.enabled=true",
    "--set",
    "deployment.nodeSelector.kubernetes\\.io/os=linux",
    "--set",
    "deployment.tolerations[0].key=dedicated",
    "--set",
    "deployment.tolerations[0].operator=Equal",
    "--set",
    "deployment.tolerations[0].value=mail",
    "--set",
    "deployment.tolerations[0].effect=NoSchedule",
    "--set",
    "serviceAccount.annotations.example\\.com/role=relay",
];

/// Every rendering the judges look at: each profile, the defaults, and everything on.
fn renderings() -> Vec<(String, String)> {
    renderings_for(KUBE_VERSIONS[0])
}

/// Every rendering, for one Kubernetes version (`--kube-version`).
fn renderings_for(version: &str) -> Vec<(String, String)> {
    let render = |args: &[&str]| relaygen(&[args, &["--kube-version", version][..]].concat()).ok();
    let mut out: Vec<(String, String)> =
        profiles().into_iter().map(|p| (format!("profile {p}"), render(&["render", "-p", &p]))).collect();
    out.push(("built-in defaults".into(), render(&["render"])));
    out.push(("everything enabled".into(), render(EVERYTHING)));
    out
}

pub(crate) fn documents(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple(yaml).expect("output is valid YAML")
}

pub(crate) fn is_custom(doc: &Value) -> bool {
    doc["apiVersion"].as_str().is_some_and(|v| v.starts_with("monitoring.coreos.com/"))
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write manifest");
    path.to_str().expect("utf8 path").to_owned()
}

/// Runs a judge; returns its exit code and everything it printed.
pub(crate) fn run(command: &mut Command) -> (i32, String) {
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Runs kubernetes-validate strictly against one Kubernetes version.
pub(crate) fn kubernetes_validate(tool: &Path, version: &str, file: &str) -> (i32, String) {
    // Flags must come before the file: kubernetes-validate reads later flags as file names.
    run(Command::new(tool).args(["--strict", "-k", version, file]))
}

#[test]
fn kubernetes_validate_accepts_every_built_in_object_strictly() {
    let Some(tool) = judge("venv/bin/kubernetes-validate", "kubernetes-validate") else { return };
    let dir = tempfile::tempdir().expect("tempdir");

    // The judge must be able to say no: an unknown field in a Deployment fails strict mode.
    let rendered = relaygen(&["render"]).ok();
    let broken = rendered.replacen("  replicas: 2\n", "  replicas: 2\n  replicaz: 2\n", 1);
    assert_ne!(broken, rendered, "the test must actually break the Deployment");
    let (code, text) = kubernetes_validate(&tool, "1.33", &write(dir.path(), "broken.yaml", &broken));
    assert_ne!(code, 0, "kubernetes-validate accepted an unknown field:\n{text}");

    for version in KUBE_VERSIONS {
        for (name, yaml) in renderings_for(version) {
            let builtin = documents(&yaml).iter().filter(|d| !is_custom(d)).count();
            let file = write(dir.path(), "manifests.yaml", &yaml);
            let (code, text) = kubernetes_validate(&tool, version, &file);
            assert_eq!(code, 0, "{name} fails Kubernetes {version}:\n{text}");
            // Unknown kinds only warn (exit 0), so also count what actually passed: a
            // misspelled kind or apiVersion would otherwise slip through.
            let passed = text.lines().filter(|l| l.contains(" passed for resource ")).count();
            assert_eq!(passed, builtin, "{name} on {version}: {passed} of {builtin} objects validated:\n{text}");
            for line in text.lines().filter(|l| l.starts_with("WARN")) {
                assert!(
                    line.contains("kind ServiceMonitor") || line.contains("kind PrometheusRule"),
                    "{name} on {version}: unexpected warning: {line}"
                );
            }
        }
    }
}

/// Runs the CRD-schema judge, requiring at least one custom resource in the file.
pub(crate) fn validate_crds(python: &Path, file: &str) -> (i32, String) {
    run(Command::new(python).arg(repo().join("scripts/judges/validate-crds.py")).args(["--require", file]))
}

#[test]
fn custom_resources_match_the_prometheus_operator_crd_schemas() {
    let Some(python) = judge("venv/bin/python", "python3") else { return };
    let dir = tempfile::tempdir().expect("tempdir");

    let rendered = relaygen(&["render"]).ok();
    let broken = rendered.replacen("- interval: 30s\n", "- intervall: 30s\n", 1);
    assert_ne!(broken, rendered, "the test must actually break the ServiceMonitor");
    let (code, text) = validate_crds(&python, &write(dir.path(), "broken.yaml", &broken));
    assert_ne!(code, 0, "the CRD judge accepted a misspelled field:\n{text}");

    for (name, yaml) in renderings() {
        let custom = documents(&yaml).iter().filter(|d| is_custom(d)).count();
        if custom == 0 {
            continue;
        }
        let (code, text) = validate_crds(&python, &write(dir.path(), "manifests.yaml", &yaml));
        assert_eq!(code, 0, "{name}: custom resources invalid:\n{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("ok: ")).count(), custom, "{name}:\n{text}");
    }
}

#[test]
fn a_yaml_1_1_reader_sees_exactly_the_json_output() {
    let Some(python) = judge("venv/bin/python", "python3") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let names = profiles();
    let mut cases: Vec<Vec<&str>> = names.iter().map(|p| vec!["render", "-p", p.as_str()]).collect();
    // Values a YAML 1.1 reader turns into booleans, numbers or dates unless they are quoted.
    cases.push(vec!["render", "-n", "no", "--set", "image.tag=on", "--set", "deployment.podAnnotations.a=1e3"]);
    cases.push(vec!["render", "--set", "image.tag=0755", "--set", "deployment.podAnnotations.b=12:30"]);
    cases.push(vec![
        "render",
        "--set",
        "deployment.podAnnotations.c=2026-01-01",
        "--set",
        "deployment.podAnnotations.d=y",
    ]);
    for args in cases {
        let yaml = relaygen(&args).ok();
        let mut json_args = args.clone();
        json_args.extend(["-o", "json"]);
        let json: Value = serde_json::from_str(&relaygen(&json_args).ok()).expect("JSON output");
        let file = write(dir.path(), "manifests.yaml", &yaml);
        let out = Command::new(&python)
            .args([
                "-c",
                "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
                &file,
            ])
            .output()
            .expect("run PyYAML");
        assert!(out.status.success(), "PyYAML failed on {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let read: Value = serde_json::from_slice(&out.stdout).expect("PyYAML printed JSON");
        assert_eq!(read, json["items"], "a YAML 1.1 reader misreads the output of {args:?}");
    }
}

#[test]
fn the_crd_judge_itself_tells_valid_from_invalid() {
    let Some(python) = judge("venv/bin/python", "python3") else { return };
    let fixtures = repo().join("tests/judges/fixtures");
    let valid = fixtures.join("monitoring-valid.yaml");
    let (code, text) = validate_crds(&python, valid.to_str().expect("utf8"));
    assert_eq!(code, 0, "{text}");
    let invalid = fixtures.join("monitoring-invalid.yaml");
    let (code, text) = validate_crds(&python, invalid.to_str().expect("utf8"));
    assert_eq!(code, 1, "{text}");
    for needle in ["intervall: unknown field", "expr: required field missing", "spec.groups: expected array"] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
}

#[test]
fn the_installer_apt_installs_python3_venv_on_a_fresh_debian_and_writes_only_under_judges() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("checkout");
    std::fs::create_dir_all(root.join("scripts")).expect("mkdir");
    std::fs::copy(repo().join("scripts/install-judges.sh"), root.join("scripts/install-judges.sh")).expect("copy");
    // A fresh Debian as the installer sees it: dpkg knows no package; apt-get and debconf
    // only record what they were asked to do.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let calls = tmp.path().join("calls");
    for (tool, body) in [
        ("dpkg-query", "exit 1"),
        ("apt-get", "echo \"apt-get $*\" >> \"$CALLS\""),
        ("debconf-set-selections", "cat > /dev/null"),
        ("sudo", "exec \"$@\""),
    ] {
        let path = bin.join(tool);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
        let executable = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755);
        std::fs::set_permissions(&path, executable).expect("chmod");
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg(root.join("scripts/install-judges.sh"))
        .arg("debian")
        .env("PATH", path)
        .env("CALLS", &calls)
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let calls = std::fs::read_to_string(&calls).expect("apt-get was called");
    let install = calls.lines().find(|l| l.contains(" install ")).expect("an apt-get install");
    assert!(install.split_whitespace().any(|word| word == "python3-venv"), "{install}");
    let mut written: Vec<String> = std::fs::read_dir(&root)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, [".judges", "scripts"], "the installer writes only under .judges/");
}
