//! `diff` as a release's lifecycle check: changes Kubernetes will not make in place are named
//! before apply, and `--removed` prints what a render drops, ready for `kubectl delete -f -`.
//!
//! The old side is a real render, or a real render edited where no value reaches the field (an
//! object as another tool, such as the replaced Helm chart, left it).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Run, judge, relaygen};

const NS: &str = "email-server-prod";

/// The objects `relaygen render ARGS` prints.
fn rendered(args: &[&str]) -> Vec<Value> {
    let json = relaygen(&[&["render", "-o", "json"], args].concat()).ok();
    let list: Value = serde_json::from_str(&json).expect("a JSON List");
    list["items"].as_array().expect("items").clone()
}

/// The object of `kind` named `name`.
fn object<'a>(objects: &'a mut [Value], kind: &str, name: &str) -> &'a mut Value {
    objects
        .iter_mut()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// Writes `objects` as a JSON List into `dir` and returns its path.
fn write_list(dir: &Path, objects: Vec<Value>) -> PathBuf {
    let path = dir.join("old.json");
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    std::fs::write(&path, serde_json::to_string_pretty(&list).expect("json")).expect("write");
    path
}

/// `relaygen diff NEW_ARGS --against OLD`, OLD being the render of `old_args` after `edit`.
fn diff(old_args: &[&str], edit: impl FnOnce(&mut Vec<Value>), new_args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut old = rendered(old_args);
    edit(&mut old);
    let against = write_list(dir.path(), old);
    relaygen(&[&["diff"], new_args, &["--against", against.to_str().expect("utf8")]].concat())
}

/// Asserts that the run names exactly these immutable changes, exits 2, and still printed the
/// whole diff; returns stderr.
#[track_caller]
fn refused(run: Run, expected: &[&str]) -> String {
    assert_eq!(run.code, 2, "an immutable change exits 2:\n{}", run.stderr);
    let named: Vec<&str> = run.stderr.lines().filter(|l| l.contains("cannot change in place")).collect();
    assert_eq!(named.len(), expected.len(), "{}", run.stderr);
    for (line, what) in named.iter().zip(expected) {
        assert!(line.starts_with(&format!("error: {what} cannot change in place")), "{line}\nin:\n{}", run.stderr);
    }
    assert!(
        run.stderr.ends_with(&format!(
            "error: {} change(s) Kubernetes will not make in place; apply would not do what the diff shows\n",
            expected.len()
        )),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("\nchanged: ") || run.stdout.starts_with("changed: "), "{}", run.stdout);
    assert!(
        run.stdout.lines().last().is_some_and(|l| l.contains(" changed, ")),
        "the summary ends stdout:\n{}",
        run.stdout
    );
    run.stderr
}

const PERSISTENT: &[&str] = &["--set", "queue.persistence.enabled=true"];

#[test]
fn a_new_storage_class_or_size_of_the_queue_claims_is_refused_with_the_orphan_delete_remedy() {
    for value in ["queue.persistence.storageClassName=fast", "queue.persistence.size=2Gi"] {
        let run = diff(PERSISTENT, |_| {}, &[PERSISTENT, &["--set", value]].concat());
        let stderr = refused(run, &[&format!("apps/v1 StatefulSet {NS}/postfix-relay: spec.volumeClaimTemplates")]);
        assert!(stderr.contains("\n  = why: Kubernetes refuses updates to StatefulSet spec fields other than replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds"), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "\n  = help: `kubectl delete statefulset postfix-relay --cascade=orphan -n {NS}`, then apply: the pods and their claims stay"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn a_statefulset_s_service_name_pod_management_policy_and_selector_are_refused() {
    let statefulset = |edit: fn(&mut Value)| {
        move |old: &mut Vec<Value>| edit(&mut object(old, "StatefulSet", "postfix-relay")["spec"])
    };
    let run = diff(PERSISTENT, statefulset(|spec| spec["serviceName"] = json!("postfix-relay-peers")), PERSISTENT);
    let stderr = refused(run, &[&format!("apps/v1 StatefulSet {NS}/postfix-relay: spec.serviceName")]);
    assert!(stderr.contains("(\"postfix-relay-peers\" → \"postfix-relay-headless\")"), "{stderr}");

    // A StatefulSet created without the field got Kubernetes' default, OrderedReady.
    let run = diff(
        PERSISTENT,
        statefulset(|spec| {
            spec.as_object_mut().expect("spec").remove("podManagementPolicy");
        }),
        PERSISTENT,
    );
    refused(run, &[&format!("apps/v1 StatefulSet {NS}/postfix-relay: spec.podManagementPolicy")]);

    let run =
        diff(PERSISTENT, statefulset(|spec| spec["selector"] = json!({"matchLabels": {"app": "postfix"}})), PERSISTENT);
    let stderr = refused(run, &[&format!("apps/v1 StatefulSet {NS}/postfix-relay: spec.selector")]);
    assert!(stderr.contains(&format!("`kubectl delete statefulset postfix-relay -n {NS}`")), "{stderr}");
}

#[test]
fn a_deployment_selector_from_another_tool_is_refused_with_delete_or_keep_as_remedy() {
    let run = diff(
        &[],
        |old| {
            object(old, "Deployment", "postfix-relay")["spec"]["selector"] = json!({"matchLabels": {"app": "postfix"}})
        },
        &[],
    );
    let stderr = refused(run, &[&format!("apps/v1 Deployment {NS}/postfix-relay: spec.selector")]);
    assert!(
        stderr.contains(&format!(
            "\n  = help: keep the old selector, or `kubectl delete deployment postfix-relay -n {NS}` and apply"
        )),
        "{stderr}"
    );
}

#[test]
fn a_service_turning_headless_or_back_is_named_with_what_kubernetes_does() {
    // The headless Service was an ordinary one: its allocated address cannot become `None`.
    let run = diff(
        &[],
        |old| {
            object(old, "Service", "postfix-relay-headless")["spec"].as_object_mut().expect("spec").remove("clusterIP");
        },
        &[],
    );
    let stderr = refused(run, &[&format!("v1 Service {NS}/postfix-relay-headless: spec.clusterIP")]);
    assert!(stderr.contains("Kubernetes refuses the update (unset → \"None\")"), "{stderr}");
    assert!(
        stderr.contains(&format!("`kubectl delete service postfix-relay-headless -n {NS}`, then apply")),
        "{stderr}"
    );

    // The SMTP Service was headless: dropping `None` leaves it headless, without an error.
    let headless = |old: &mut Vec<Value>| object(old, "Service", "postfix-relay")["spec"]["clusterIP"] = json!("None");
    let run = diff(&[], headless, &[]);
    let stderr = refused(run, &[&format!("v1 Service {NS}/postfix-relay: spec.clusterIP")]);
    assert!(stderr.contains("Kubernetes keeps the old value (\"None\" → unset)"), "{stderr}");

    // ... and it cannot get node ports.
    let run = diff(&[], headless, &["--set", "service.type=NodePort"]);
    refused(run, &[&format!("v1 Service {NS}/postfix-relay: spec.type")]);
}

#[test]
fn no_rule_fires_on_the_changes_kubernetes_makes_in_place() {
    let safe: &[&[&str]] = &[
        &["--set", "image.tag=v5.1.1"],
        &["--set", "deployment.replicas=3"],
        &["--set", "resources.limits.cpu=400m", "--set", "resources.requests.memory=192Mi"],
        &["--set", "monitoring.enabled=false"],
        &["--set", "env.maildomain=example.org"],
        &["--set", "service.type=NodePort"],
        &["--set", "service.type=LoadBalancer"],
        &["--set", "autoscaling.enabled=true"],
        &["--set", "networkPolicy.enabled=false"],
    ];
    for base in [&[][..], PERSISTENT] {
        for change in safe {
            let run = diff(base, |_| {}, &[base, change].concat());
            assert_eq!(run.code, 1, "{base:?} then {change:?} differs and applies in place:\n{}", run.stderr);
            assert!(!run.stderr.contains("error"), "{base:?} then {change:?}:\n{}", run.stderr);
        }
    }
    let back_on = diff(&["--set", "monitoring.enabled=false"], |_| {}, &[]);
    assert_eq!(back_on.code, 1, "{}", back_on.stderr);
    // Persistence on replaces the Deployment by a StatefulSet: an addition and a removal.
    let run = diff(&[], |_| {}, PERSISTENT);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains(&format!("removed: apps/v1 Deployment {NS}/postfix-relay\n")), "{}", run.stdout);
}

/// `relaygen diff NEW_ARGS --against OLD --removed [EXTRA]`, OLD being the render of `old_args`.
fn removed(old_args: &[&str], new_args: &[&str], extra: &[&str]) -> Run {
    diff(old_args, |_| {}, &[new_args, &["--removed"], extra].concat())
}

fn reference(api_version: &str, kind: &str, name: &str, namespace: &str) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}})
}

const STAGING: &str = "email-server-staging";

/// Staging without its NetworkPolicy and PDB, with persistence on, and a new image tag.
const STAGING_SHRUNK: &[&str] = &[
    "--profile",
    "staging",
    "--set",
    "networkPolicy.enabled=false",
    "--set",
    "podDisruptionBudget.enabled=false",
    "--set",
    "queue.persistence.enabled=true",
    "--set",
    "image.tag=v5.1.1",
];

#[test]
fn removed_prints_exactly_the_dropped_objects_and_nothing_else() {
    let run = removed(&["--profile", "staging"], STAGING_SHRUNK, &[]);
    assert_eq!(run.code, 1, "objects to delete exit 1:\n{}", run.stderr);
    let printed: Vec<Value> = serde_saphyr::from_multiple(&run.stdout).expect("a YAML stream");
    assert_eq!(
        printed,
        [
            reference("apps/v1", "Deployment", "postfix-relay", STAGING),
            reference("policy/v1", "PodDisruptionBudget", "postfix-relay", STAGING),
            reference("networking.k8s.io/v1", "NetworkPolicy", "postfix-relay", STAGING),
        ],
        "in the old side's order; no changed or added object:\n{}",
        run.stdout
    );
    assert!(!run.stderr.contains("note:"), "nothing left out:\n{}", run.stderr);
}

#[test]
fn removed_is_a_stream_kubectl_and_a_yaml_1_1_reader_take() {
    let run = removed(&["--profile", "staging"], STAGING_SHRUNK, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("removed.yaml"), &run.stdout).expect("write");
    std::fs::write(dir.path().join("kustomization.yaml"), "resources:\n- removed.yaml\n").expect("write");
    if let Some(kubectl) = judge("bin/kubectl", "kubectl") {
        let out = Command::new(kubectl).arg("kustomize").arg(dir.path()).output().expect("kubectl runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "kubectl reads the stream:\n{stderr}");
        let built: Vec<Value> =
            serde_saphyr::from_multiple(&String::from_utf8_lossy(&out.stdout)).expect("kubectl's output");
        assert_eq!(built.len(), 3, "kubectl sees three objects");
    }
    if let Some(python) = judge("venv/bin/python", "python3") {
        let script = "import sys, yaml\n\
            docs = list(yaml.safe_load_all(open(sys.argv[1])))\n\
            print(' '.join(f\"{d['kind']}/{d['metadata']['namespace']}/{d['metadata']['name']}\" for d in docs))";
        let out = Command::new(python)
            .args(["-c", script])
            .arg(dir.path().join("removed.yaml"))
            .output()
            .expect("python runs");
        assert!(out.status.success(), "PyYAML reads it: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!(
                "Deployment/{STAGING}/postfix-relay PodDisruptionBudget/{STAGING}/postfix-relay NetworkPolicy/{STAGING}/postfix-relay"
            )
        );
    }
}

#[test]
fn removed_leaves_the_namespace_out_unless_asked_and_says_why() {
    let run = removed(&["--create-namespace"], &[], &[]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "nothing to delete:\n{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "note: left out v1 Namespace {NS}: deleting a Namespace deletes everything in it, your own Secrets included; add --include-namespace to print it\n"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("note: the render drops no object: nothing to delete\n"), "{}", run.stderr);

    let run = removed(&["--create-namespace"], &[], &["--include-namespace"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n"));
}

#[test]
fn removed_with_nothing_dropped_prints_nothing_and_says_so_on_stderr() {
    let run =
        relaygen(&["diff", "--profile", "prod", "--set", "image.tag=v5.1.1", "--against", "out/prod", "--removed"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    assert!(run.stderr.ends_with("note: the render drops no object: nothing to delete\n"), "{}", run.stderr);

    let run = relaygen(&["diff", "--against", "out/prod", "--include-namespace"]);
    assert_eq!(run.code, 2, "--include-namespace needs --removed");
    assert!(run.stderr.contains("--removed"), "{}", run.stderr);
}

#[test]
fn an_old_stack_without_namespaces_as_helm_prints_it_is_matched_to_the_render() {
    let chart = |old: &mut Vec<Value>| {
        for o in old.iter_mut() {
            o["metadata"].as_object_mut().expect("metadata").remove("namespace");
        }
        object(old, "Deployment", "postfix-relay")["spec"]["selector"] = json!({"matchLabels": {"app": "postfix"}});
        old.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "postfix-relay-chart"}}));
    };
    let run = diff(&[], chart, &[]);
    refused(run, &[&format!("apps/v1 Deployment {NS}/postfix-relay: spec.selector")]);

    let run = diff(&[], chart, &["--removed"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: postfix-relay-chart\n",
        "only the chart's own object"
    );
}

#[test]
fn new_postfix_config_in_a_config_map_an_overlay_marked_immutable_is_refused() {
    let run = diff(
        &[],
        |old| object(old, "ConfigMap", "postfix-relay")["immutable"] = json!(true),
        &["--set", "env.maildomain=example.org"],
    );
    let stderr = refused(
        run,
        &[&format!("v1 ConfigMap {NS}/postfix-relay: data"), &format!("v1 ConfigMap {NS}/postfix-relay: immutable")],
    );
    assert!(stderr.contains(&format!("`kubectl delete configmap postfix-relay -n {NS}`, then apply")), "{stderr}");
}
