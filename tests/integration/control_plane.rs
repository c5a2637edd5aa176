//! A real API server judges every render: each profile and everything switched on is applied
//! to kube-apiserver v1.36 (etcd, kube-controller-manager; see `cluster`) the ways users apply
//! it, and the controllers must then make the pods, the HPA and the PDB work.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::argocd::{API_VERSIONS_WITH_MONITORING, app_dir, generate, with};
use crate::cluster::{Cluster, cluster, kubernetes_version};
use crate::judges::documents;
use crate::support::relaygen;

/// How long the controllers get to create pods and report status (seconds on an idle machine).
const CONTROLLERS: Duration = Duration::from_secs(90);

/// Everything the relay can switch on at once: prod's HPA, PDB and dashboard, with persistence
/// (a StatefulSet), SASL and the NetworkPolicy (on by default).
const EVERYTHING: &[&str] = &[
    "-p",
    "prod",
    "--set",
    "queue.persistence.enabled=true",
    "--set",
    "postfix.sasl.enabled=true",
    "--set",
    "postfix.sasl.secretName=relay-sasl",
    "--set",
    "networkPolicy.enabled=true",
];

/// `relaygen render ARGS -n NAMESPACE [--create-namespace]`.
fn render(args: &[&str], namespace: &str, create_namespace: bool) -> String {
    let mut all = vec!["render"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-n", namespace]);
    if create_namespace {
        all.push("--create-namespace");
    }
    relaygen(&all).ok()
}

/// The SASL credentials the rendered pods mount: the user creates this Secret, so the test does.
fn create_sasl_secret(cluster: &Cluster, namespace: &str) {
    cluster
        .kubectl(
            &[
                "create",
                "secret",
                "generic",
                "relay-sasl",
                "-n",
                namespace,
                "--from-literal=username=relay",
                "--from-literal=password=not-a-secret",
            ],
            None,
        )
        .ok_without_warnings();
}

/// `KIND/NAME` → resourceVersion of every object in `manifests`, as the cluster has them.
fn resource_versions(cluster: &Cluster, manifests: &str) -> BTreeMap<String, String> {
    let listed: Value = serde_json::from_str(&cluster.kubectl(&["get", "-f", "-", "-o", "json"], Some(manifests)).ok())
        .expect("kubectl printed JSON");
    let items = listed["items"].as_array().cloned().unwrap_or_else(|| vec![listed.clone()]);
    items
        .iter()
        .map(|item| {
            let key = format!(
                "{}/{}",
                item["kind"].as_str().expect("kind"),
                item["metadata"]["name"].as_str().expect("name")
            );
            (key, item["metadata"]["resourceVersion"].as_str().expect("resourceVersion").to_owned())
        })
        .collect()
}

/// The resourceVersions once the controllers have stopped writing status (two reads two
/// seconds apart agree), so that a change after that is the applier's.
fn settled_resource_versions(cluster: &Cluster, name: &str, manifests: &str) -> BTreeMap<String, String> {
    cluster.wait_for(CONTROLLERS, &format!("{name}: status writes to settle"), || {
        let first = resource_versions(cluster, manifests);
        std::thread::sleep(Duration::from_secs(2));
        let second = resource_versions(cluster, manifests);
        (first == second).then_some(second).ok_or("still changing".to_owned())
    })
}

/// The `FailedCreate` events of a namespace: what a controller could not create, and why.
fn failed_creates(cluster: &Cluster, namespace: &str) -> Vec<String> {
    let events = cluster.get_json(&["events", "-n", namespace, "--field-selector", "reason=FailedCreate"]);
    events["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| format!("{}: {}", e["involvedObject"]["name"], e["message"].as_str().unwrap_or_default()))
        .collect()
}

/// The label selector of a workload, as `kubectl -l` takes it.
fn selector(workload: &Value) -> String {
    workload["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("matchLabels")
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().expect("label value")))
        .collect::<Vec<_>>()
        .join(",")
}

fn condition<'a>(object: &'a Value, kind: &str) -> Option<&'a Value> {
    object["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == kind)
}

/// Server-side apply, a second identical one, and a server-side dry run: all accepted without a
/// warning, and the second apply changes nothing. Then the controllers must make the pods
/// (admitted by PodSecurity at the level the rendered Namespace enforces), the HPA must be able
/// to scale and the PDB must count exactly the relay's pods.
fn applies_server_side_and_the_controllers_run_it(cluster: &Cluster, name: &str, args: &[&str], sasl: bool) {
    let namespace = cluster.namespace_name(name);
    let ns = namespace.name();
    let yaml = render(args, ns, true);
    let docs = documents(&yaml);

    cluster.apply(&yaml, &["--server-side"]).ok_without_warnings();
    if sasl {
        create_sasl_secret(cluster, ns);
    }
    cluster.apply(&yaml, &["--server-side", "--dry-run=server"]).ok_without_warnings();

    let workload = docs
        .iter()
        .find(|d| d["kind"] == "Deployment" || d["kind"] == "StatefulSet")
        .expect("a Deployment or StatefulSet");
    let hpa = docs.iter().find(|d| d["kind"] == "HorizontalPodAutoscaler");
    let replicas = match hpa {
        Some(hpa) => hpa["spec"]["minReplicas"].as_u64().expect("minReplicas"),
        None => workload["spec"]["replicas"].as_u64().expect("replicas"),
    };
    let selector = selector(workload);

    // The controllers create every pod, and PodSecurity admits each under the level the
    // rendered Namespace enforces.
    let level = "pod-security.kubernetes.io/enforce";
    let rendered = docs.iter().find(|d| d["kind"] == "Namespace").expect("the rendered Namespace");
    assert_eq!(rendered["metadata"]["labels"][level], "baseline", "{name}");
    let live = cluster.get_json(&["namespace", ns]);
    assert_eq!(live["metadata"]["labels"][level], rendered["metadata"]["labels"][level], "{name}: enforced level");
    let pods = cluster.wait_for(CONTROLLERS, &format!("{name}: {replicas} pods"), || {
        let refused = failed_creates(cluster, ns);
        assert!(refused.is_empty(), "{name}: a controller could not create objects:\n{}", refused.join("\n"));
        let pods = cluster.get_json(&["pods", "-n", ns, "-l", &selector]);
        let count = pods["items"].as_array().expect("items").len() as u64;
        (count == replicas).then_some(count).ok_or(format!("{count} pods"))
    });

    if let Some(hpa) = hpa {
        let hpa_name = hpa["metadata"]["name"].as_str().expect("name");
        cluster.wait_for(CONTROLLERS, &format!("{name}: the HPA to report AbleToScale"), || {
            let live = cluster.get_json(&["hpa", hpa_name, "-n", ns]);
            match condition(&live, "AbleToScale") {
                Some(c) if c["status"] == "True" => Ok(()),
                other => Err(format!("AbleToScale: {other:?}")),
            }
        });
    }
    if let Some(pdb) = docs.iter().find(|d| d["kind"] == "PodDisruptionBudget") {
        let pdb_name = pdb["metadata"]["name"].as_str().expect("name");
        cluster.wait_for(CONTROLLERS, &format!("{name}: the PDB to count the {pods} pods"), || {
            let live = cluster.get_json(&["pdb", pdb_name, "-n", ns]);
            let status = &live["status"];
            let current = status["observedGeneration"] == live["metadata"]["generation"];
            (current && status["expectedPods"].as_u64() == Some(pods)).then_some(()).ok_or(format!("status: {status}"))
        });
    }

    let before = settled_resource_versions(cluster, name, &yaml);
    cluster.apply(&yaml, &["--server-side"]).ok_without_warnings();
    assert_eq!(resource_versions(cluster, &yaml), before, "{name}: an identical server-side apply changed objects");
    assert_eq!(before.len(), docs.len(), "{name}: every rendered object is in the cluster");
}

/// A plain (client-side) `kubectl apply -f -` creates everything without a warning; then a
/// server-side dry run of the client-side apply and a second apply change nothing.
fn applies_client_side(cluster: &Cluster, name: &str, args: &[&str]) {
    let namespace = cluster.namespace_name(&format!("{name}-csa"));
    let yaml = render(args, namespace.name(), true);
    cluster.apply(&yaml, &[]).ok_without_warnings();
    cluster.apply(&yaml, &["--dry-run=server"]).ok_without_warnings();
    // Compared by resourceVersion, not by kubectl's "unchanged": for a StatefulSet kubectl sends
    // the claim templates again every time (the server defaults fields inside them, and the
    // list has no merge key), which it reports as "configured" though the server changes nothing.
    let before = settled_resource_versions(cluster, name, &yaml);
    cluster.apply(&yaml, &[]).ok_without_warnings();
    assert_eq!(resource_versions(cluster, &yaml), before, "{name}: a second plain apply changed objects");
}

#[test]
fn every_profile_applies_and_runs_on_a_real_control_plane() {
    let Some(cluster) = cluster() else { return };
    for profile in crate::support::profiles() {
        applies_server_side_and_the_controllers_run_it(&cluster, &profile, &["-p", &profile], false);
        applies_client_side(&cluster, &profile, &["-p", &profile]);
    }
}

#[test]
fn everything_switched_on_applies_and_runs_on_a_real_control_plane() {
    let Some(cluster) = cluster() else { return };
    applies_server_side_and_the_controllers_run_it(&cluster, "everything", EVERYTHING, true);
    applies_client_side(&cluster, "everything", EVERYTHING);
}

/// The relay needs Pod Security `baseline` (the Postfix master starts as root and keeps six
/// capabilities), which is what `--create-namespace` renders. relaygen cannot see the labels of
/// a namespace it does not create, so in one that enforces `restricted` the refusal comes from
/// the API server, and it must be loud: a warning naming the level at apply (and already at a
/// server-side dry run, before anything exists), then FailedCreate events, never a pod.
#[test]
fn a_namespace_enforcing_restricted_refuses_the_relay_loudly_and_by_level() {
    let Some(cluster) = cluster() else { return };
    let restricted = BTreeMap::from([("pod-security.kubernetes.io/enforce", "restricted")]);
    let namespace = cluster.namespace("restricted", &restricted);
    let ns = namespace.name();
    let yaml = render(&["-p", "staging"], ns, false);
    let warning = "Warning: would violate PodSecurity \"restricted:latest\"";

    let dry_run = cluster.apply(&yaml, &["--server-side", "--dry-run=server"]);
    assert!(dry_run.stderr.contains(warning), "no Pod Security warning at the dry run:\n{}", dry_run.stderr);
    let applied = cluster.apply(&yaml, &["--server-side"]);
    assert!(applied.stderr.contains(warning), "no Pod Security warning at apply:\n{}", applied.stderr);
    applied.ok();

    let refusals = cluster.wait_for(CONTROLLERS, "the ReplicaSet's FailedCreate event", || {
        let refused = failed_creates(&cluster, ns);
        (!refused.is_empty()).then_some(refused).ok_or("no FailedCreate event yet".to_owned())
    });
    assert!(
        refusals.iter().all(|r| r.contains("violates PodSecurity \"restricted:latest\"") && r.contains("runAsNonRoot")),
        "{refusals:?}"
    );
    let pods = cluster.get_json(&["pods", "-n", ns]);
    assert_eq!(pods["items"].as_array().map(Vec::len), Some(0), "no pod may exist in a restricted namespace");

    // `--create-namespace` applied over a namespace whose level someone else set: server-side
    // apply refuses to take the label over, naming it.
    let with_namespace = render(&["-p", "staging"], ns, true);
    let conflict = cluster.apply(&with_namespace, &["--server-side"]).fails();
    assert!(
        conflict.contains("conflict with \"cluster-admin\": .metadata.labels.pod-security.kubernetes.io/enforce"),
        "{conflict}"
    );
    let live = cluster.get_json(&["namespace", ns]);
    assert_eq!(live["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted");
}

/// Dropping a field the API server requires from the rendered Deployment gets the apply
/// refused: the judge can say no.
#[test]
fn the_api_server_refuses_a_deployment_missing_a_required_field() {
    let Some(cluster) = cluster() else { return };
    let namespace = cluster.namespace_name("mutated");
    let ns = namespace.name();
    let mut list: Value =
        serde_json::from_str(&relaygen(&["render", "-n", ns, "--create-namespace", "-o", "json"]).ok())
            .expect("JSON output");
    cluster.apply(&list.to_string(), &["--server-side"]).ok_without_warnings();

    let items = list["items"].as_array_mut().expect("items");
    let deployment = items.iter_mut().find(|d| d["kind"] == "Deployment").expect("a Deployment");
    let mut no_selector = deployment.clone();
    no_selector["spec"].as_object_mut().expect("spec").remove("selector");
    let mut no_image = deployment.clone();
    no_image["spec"]["template"]["spec"]["containers"][0].as_object_mut().expect("container").remove("image");
    // A fresh name, so the API server judges a create and not an update of the applied object.
    no_image["metadata"]["name"] = "postfix-relay-no-image".into();
    no_selector["metadata"]["name"] = "postfix-relay-no-selector".into();

    for (broken, expected) in [
        (no_selector, "spec.selector: Required value"),
        (no_image, "spec.template.spec.containers[0].image: Required value"),
    ] {
        for args in [&["--server-side"][..], &[][..], &["--dry-run=server"][..]] {
            let refused = cluster.apply(&broken.to_string(), args).fails();
            assert!(refused.contains(expected), "apply {args:?}: refused for another reason:\n{refused}");
        }
    }
}

/// The Application and ApplicationSet `relaygen argocd` writes are accepted by Argo CD's own
/// CRDs, and what the config-management plugin generates applies like `render`.
#[test]
fn argo_cd_resources_and_plugin_output_apply_on_a_real_control_plane() {
    let Some(cluster) = cluster() else { return };
    let argocd = cluster.namespace("argocd", &BTreeMap::new());
    let source = ["--repo", "https://git.example.com/mail.git", "--path", ".", "--argocd-namespace", argocd.name()];
    let application = relaygen(&[&["argocd", "application", "--profile", "prod"][..], &source].concat()).ok();
    let set = relaygen(&[&["argocd", "appset", "--profiles", "dev,prod"][..], &source].concat()).ok();
    for (what, manifest) in [("Application", &application), ("ApplicationSet", &set)] {
        cluster.apply(manifest, &["--server-side", "--dry-run=server"]).ok_without_warnings();
        cluster.apply(manifest, &["--server-side"]).ok_without_warnings();
        let kind = what.to_lowercase();
        let live = cluster.get_json(&[&kind, "-n", argocd.name()]);
        assert_eq!(live["items"].as_array().map(Vec::len), Some(1), "{what} stored");
    }
    // The CRD judge can say no: a field Argo CD does not know is refused (strict validation).
    let broken = application.replacen("repoURL:", "repoUrl:", 1);
    assert_ne!(broken, application);
    let refused = cluster.apply(&broken, &["--server-side", "--dry-run=server"]).fails();
    assert!(refused.contains("repoUrl"), "{refused}");
    // No Argo CD controller runs here to release the Application's resources finalizer.
    let released = cluster.kubectl(
        &[
            "patch",
            "application",
            "postfix-relay-prod",
            "-n",
            argocd.name(),
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":null}}"#,
        ],
        None,
    );
    released.ok();

    // The plugin's generate, as the sidecar runs it for an Application with destination `ns`.
    let namespace = cluster.namespace("plugin", &BTreeMap::from([("pod-security.kubernetes.io/enforce", "baseline")]));
    let ns = namespace.name();
    let app = app_dir();
    let parameters = serde_json::json!([{"name": "profile", "string": "prod"}]).to_string();
    let version = kubernetes_version();
    let env = with(&[
        ("ARGOCD_APP_NAMESPACE", ns),
        ("ARGOCD_APP_PARAMETERS", &parameters),
        ("KUBE_API_VERSIONS", API_VERSIONS_WITH_MONITORING),
        ("KUBE_VERSION", &version),
    ]);
    let (code, generated, stderr) = generate(app.path(), &env);
    assert_eq!(code, 0, "{stderr}");
    cluster.apply(&generated, &["--server-side", "--dry-run=server"]).ok_without_warnings();
    cluster.apply(&generated, &["--server-side"]).ok_without_warnings();
    let hpa = documents(&generated).into_iter().find(|d| d["kind"] == "HorizontalPodAutoscaler").expect("prod's HPA");
    let replicas = hpa["spec"]["minReplicas"].as_u64().expect("minReplicas") as usize;
    cluster.wait_for(CONTROLLERS, "the generated Deployment's pods", || {
        let refused = failed_creates(&cluster, ns);
        assert!(refused.is_empty(), "a controller could not create objects:\n{}", refused.join("\n"));
        let count = cluster.get_json(&["pods", "-n", ns])["items"].as_array().map_or(0, Vec::len);
        (count == replicas).then_some(()).ok_or(format!("{count} pods"))
    });
}
