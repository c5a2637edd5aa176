//! A release's whole life on the real control plane (see `cluster`), with the commands the
//! README documents: the first install, then every change through kubectl's ApplySet with
//! server-side apply (which prunes what a render drops), two releases side by side, changes
//! Kubernetes refuses (which `relaygen diff` must name first), and `relaygen uninstall`.
//! Throughout, a Secret and a ConfigMap the user made by hand must survive.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::cluster::{Cluster, Kubectl, cluster};
use crate::support::relaygen;

/// The kinds a release can have, and the Secrets and ConfigMaps a user keeps beside it.
const KINDS: &str = "serviceaccounts,configmaps,secrets,services,deployments.apps,statefulsets.apps,\
                     horizontalpodautoscalers.autoscaling,poddisruptionbudgets.policy,\
                     networkpolicies.networking.k8s.io,servicemonitors.monitoring.coreos.com,\
                     prometheusrules.monitoring.coreos.com";

/// How long the controllers get to act on a change.
const CONTROLLERS: Duration = Duration::from_secs(60);

/// `(kind, name)`.
type Id = (String, String);

fn id(kind: &str, name: &str) -> Id {
    (kind.to_owned(), name.to_owned())
}

/// One release in one namespace, applied as the README says.
struct Release<'c> {
    cluster: &'c Cluster,
    namespace: String,
    name: &'static str,
}

impl Release<'_> {
    /// `relaygen render ARGS` for this release.
    fn render(&self, args: &[&str], create_namespace: bool) -> String {
        let set = format!("name={}", self.name);
        let mut all = vec!["render", "-n", &self.namespace, "--set", &set];
        all.extend_from_slice(args);
        if create_namespace {
            all.push("--create-namespace");
        }
        relaygen(&all).ok()
    }

    /// The first install on a fresh cluster: the namespace and the release, server-side.
    fn install(&self, args: &[&str]) {
        self.cluster.apply(&self.render(args, true), &["--server-side"]).ok_without_warnings();
    }

    /// Every change after it: the ApplySet apply that prunes.
    fn apply(&self, args: &[&str]) -> Kubectl {
        let manifests = self.render(args, false);
        let applyset = format!("--applyset={}", self.name);
        self.cluster.kubectl_with_env(
            &[("KUBECTL_APPLYSET", "true")],
            &["apply", "--server-side", "--force-conflicts", "--prune", &applyset, "-n", &self.namespace, "-f", "-"],
            Some(&manifests),
        )
    }

    /// `(kind, name)` of every object `args` renders.
    fn rendered(&self, args: &[&str]) -> BTreeSet<Id> {
        let set = format!("name={}", self.name);
        let mut all = vec!["render", "-o", "json", "-n", &self.namespace, "--set", &set];
        all.extend_from_slice(args);
        let list: Value = serde_json::from_str(&relaygen(&all).ok()).expect("JSON");
        list["items"].as_array().expect("items").iter().map(identity).collect()
    }

    /// `relaygen diff ARGS --against OLD` for this release, `old` being what was applied.
    fn diff_against(&self, old: &str, args: &[&str]) -> crate::support::Run {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.yaml");
        std::fs::write(&path, old).expect("write the old side");
        let set = format!("name={}", self.name);
        let mut all = vec!["diff", "-n", &self.namespace, "--set", &set, "--against", path.to_str().expect("path")];
        all.extend_from_slice(args);
        relaygen(&all)
    }

    /// `relaygen uninstall | kubectl delete --ignore-not-found -f -`, as the README says, then
    /// waits until the namespace holds exactly `left`.
    fn uninstall(&self, left: &BTreeSet<Id>) {
        let set = format!("name={}", self.name);
        let listed = relaygen(&["uninstall", "-n", &self.namespace, "--set", &set]).ok();
        self.cluster.kubectl(&["delete", "--ignore-not-found", "-f", "-"], Some(&listed)).ok();
        self.cluster.wait_for(CONTROLLERS, &format!("{}'s uninstall", self.name), || {
            let found = contents(self.cluster, &self.namespace);
            (found == *left).then_some(()).ok_or(format!("{found:?}"))
        });
    }

    /// The workload's `spec.replicas` on the cluster.
    fn replicas(&self, kind: &str) -> Value {
        self.cluster.get_json(&[kind, self.name, "-n", &self.namespace])["spec"]["replicas"].clone()
    }
}

fn identity(object: &Value) -> Id {
    id(object["kind"].as_str().expect("kind"), object["metadata"]["name"].as_str().expect("name"))
}

/// `(kind, name)` of every object of [`KINDS`] in `namespace`, less what Kubernetes puts in
/// every namespace.
fn contents(cluster: &Cluster, namespace: &str) -> BTreeSet<Id> {
    let list = cluster.get_json(&[KINDS, "-n", namespace]);
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(identity)
        .filter(|(kind, name)| {
            !matches!((kind.as_str(), name.as_str()), ("ConfigMap", "kube-root-ca.crt") | ("ServiceAccount", "default"))
        })
        .collect()
}

/// The user's own objects: a Secret (their relayhost credentials) and a ConfigMap.
fn user_objects(cluster: &Cluster, namespace: &str) -> BTreeSet<Id> {
    let commands: [&[&str]; 2] = [
        &["create", "secret", "generic", "relay-sasl", "--from-literal=username=relay", "--from-literal=password=x"],
        &["create", "configmap", "notes", "--from-literal=owner=mail-team"],
    ];
    for args in commands {
        let mut all = args.to_vec();
        all.extend_from_slice(&["-n", namespace]);
        cluster.kubectl(&all, None).ok_without_warnings();
    }
    BTreeSet::from([id("Secret", "relay-sasl"), id("ConfigMap", "notes")])
}

/// Asserts that `namespace` holds exactly `expected`.
#[track_caller]
fn assert_holds(cluster: &Cluster, namespace: &str, expected: &BTreeSet<Id>, step: &str) {
    let found = contents(cluster, namespace);
    let missing: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(expected).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{step}: missing {missing:?}, left over {extra:?}");
}

/// What the README says to do before switching autoscaling on: a second field manager owns
/// `spec.replicas`, so it keeps its value when the render lets go of it.
fn hand_replicas_over(release: &Release<'_>, kind: &str, replicas: u32) {
    let manifest = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": release.name, "namespace": release.namespace},
        "spec": {"replicas": replicas},
    });
    release
        .cluster
        .apply(&manifest.to_string(), &["--server-side", "--field-manager=replicas-handover"])
        .ok_without_warnings();
}

#[test]
fn a_release_lives_through_every_documented_change_and_the_user_s_objects_survive() {
    let Some(shared) = cluster() else { return };
    let cluster = &*shared;
    let namespace = cluster.namespace_name("life");
    let release = Release { cluster, namespace: namespace.name().to_owned(), name: "postfix-relay" };
    release.install(&[]);
    let mine = user_objects(cluster, &release.namespace);
    let parent = BTreeSet::from([id("Secret", "postfix-relay")]);
    let expect = |args: &[&str]| -> BTreeSet<Id> {
        release.rendered(args).union(&mine).chain(parent.iter()).cloned().collect::<BTreeSet<_>>()
    };

    // Each step's values in full, as a profile or -f file would hold them after the change.
    let sasl = ["--set", "postfix.sasl.enabled=true", "--set", "postfix.sasl.secretName=relay-sasl"];
    let steps: Vec<(&str, Vec<&str>)> = vec![
        ("installed", vec![]),
        ("runbook: image tag", vec!["--set", "image.tag=v5.1.1"]),
        ("runbook: replicas=3", vec!["--set", "image.tag=v5.1.1", "--set", "deployment.replicas=3"]),
        ("runbook: resources", vec!["--set", "deployment.replicas=3", "--set", "resources.limits.cpu=300m"]),
        ("runbook: maildomain", vec!["--set", "deployment.replicas=3", "--set", "env.maildomain=example.org"]),
        ("PDB on", vec!["--set", "deployment.replicas=3", "--set", "podDisruptionBudget.enabled=true"]),
        ("PDB off", vec!["--set", "deployment.replicas=3"]),
        ("NetworkPolicy off", vec!["--set", "deployment.replicas=3", "--set", "networkPolicy.enabled=false"]),
        ("NetworkPolicy on", vec!["--set", "deployment.replicas=3"]),
        ("monitoring off", vec!["--set", "deployment.replicas=3", "--set", "monitoring.enabled=false"]),
        (
            "monitoring on, dashboard on",
            vec!["--set", "deployment.replicas=3", "--set", "monitoring.dashboard.enabled=true"],
        ),
        ("dashboard off", vec!["--set", "deployment.replicas=3"]),
        ("SASL on", [&["--set", "deployment.replicas=3"][..], &sasl].concat()),
    ];
    let mut previous: Option<String> = None;
    for (step, args) in &steps {
        // `relaygen diff` against what is applied names no change Kubernetes would refuse.
        if let Some(old) = &previous {
            let run = release.diff_against(old, args);
            assert_ne!(run.code, 2, "{step}: diff calls an accepted change impossible:\n{}", run.stderr);
        }
        release.apply(args).ok_without_warnings();
        assert_holds(cluster, &release.namespace, &expect(args), step);
        previous = Some(release.render(args, false));
    }
    assert_eq!(release.replicas("deployment"), 3);

    // Autoscaling on, as the README says: hand the replicas over, then apply. The apply is one
    // write, and what it writes keeps the count: it never drops below minReplicas (2).
    let autoscaled = [&sasl[..], &["--set", "autoscaling.enabled=true"]].concat();
    hand_replicas_over(&release, "Deployment", 3);
    release.apply(&autoscaled).ok_without_warnings();
    assert_eq!(release.replicas("deployment"), 3, "enabling autoscaling changed the replicas");
    assert_holds(cluster, &release.namespace, &expect(&autoscaled), "autoscaling on");
    // Off again: the render carries replicas, the HPA is pruned.
    release.apply(&sasl).ok_without_warnings();
    assert_eq!(release.replicas("deployment"), 2);
    assert_holds(cluster, &release.namespace, &expect(&sasl), "autoscaling off");
    hand_replicas_over(&release, "Deployment", 2);
    release.apply(&autoscaled).ok_without_warnings();
    assert_eq!(release.replicas("deployment"), 2, "enabling autoscaling again changed the replicas");
    // What the hand-over prevents: without it, the same change drops the count to 1 at once.
    // (A count other than the hand-over's makes the render the field's only owner again.)
    let three = [&sasl[..], &["--set", "deployment.replicas=3"]].concat();
    release.apply(&three).ok_without_warnings();
    release.apply(&autoscaled).ok_without_warnings();
    assert_eq!(release.replicas("deployment"), 1, "the API server no longer resets a dropped replicas field");

    // A persistent queue: the StatefulSet replaces the Deployment, which the prune removes;
    // an image bump then applies (the claim template holds no version label); and back.
    let persistent = [&sasl[..], &["--set", "queue.persistence.enabled=true"]].concat();
    release.apply(&persistent).ok_without_warnings();
    assert_holds(cluster, &release.namespace, &expect(&persistent), "persistence on");
    let bumped = [&persistent[..], &["--set", "image.tag=v5.1.2"]].concat();
    release.apply(&bumped).ok_without_warnings();
    assert_holds(cluster, &release.namespace, &expect(&bumped), "image tag with persistence");
    release.apply(&sasl).ok_without_warnings();
    assert_holds(cluster, &release.namespace, &expect(&sasl), "persistence off");

    // Uninstall: the user's objects stay, and so does the ApplySet parent kubectl made.
    release.uninstall(&mine.union(&parent).cloned().collect());
}

#[test]
fn two_releases_in_one_namespace_prune_and_uninstall_only_their_own() {
    let Some(shared) = cluster() else { return };
    let cluster = &*shared;
    let namespace = cluster.namespace_name("two");
    let a = Release { cluster, namespace: namespace.name().to_owned(), name: "relay-a" };
    let b = Release { cluster, namespace: namespace.name().to_owned(), name: "relay-b" };
    a.install(&[]);
    b.apply(&[]).ok_without_warnings();
    a.apply(&[]).ok_without_warnings();
    let parents = BTreeSet::from([id("Secret", "relay-a"), id("Secret", "relay-b")]);
    let both = |a_args: &[&str]| -> BTreeSet<Id> {
        a.rendered(a_args).union(&b.rendered(&[])).chain(parents.iter()).cloned().collect()
    };
    assert_holds(cluster, &a.namespace, &both(&[]), "both installed");
    // Each release's pods are its own: the controllers made two ReplicaSets' worth, apart.
    for release in [&a, &b] {
        cluster.wait_for(CONTROLLERS, "pods", || {
            let selector = format!("app.kubernetes.io/instance={}", release.name);
            let pods = cluster.get_json(&["pods", "-n", &release.namespace, "-l", &selector]);
            let names: Vec<&str> = pods["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter_map(|p| p["metadata"]["name"].as_str())
                .collect();
            (names.len() == 2 && names.iter().all(|n| n.starts_with(release.name)))
                .then_some(())
                .ok_or(format!("{names:?}"))
        });
    }
    // A prunes its NetworkPolicy; B's stays.
    let off = ["--set", "networkPolicy.enabled=false"];
    a.apply(&off).ok_without_warnings();
    assert_holds(cluster, &a.namespace, &both(&off), "A's NetworkPolicy off");
    // A goes; B stays whole.
    a.uninstall(&b.rendered(&[]).union(&parents).cloned().collect());
}

#[test]
fn changes_kubernetes_refuses_are_named_by_diff_before_the_api_server_refuses_them() {
    let Some(shared) = cluster() else { return };
    let cluster = &*shared;
    let persistent = ["--set", "queue.persistence.enabled=true"];
    // (what changes, the values of the applied release, how the new render differs)
    let cases: [(&str, &[&str], &[&str]); 2] = [
        ("claim template: storage class", &persistent, &["--set", "queue.persistence.storageClassName=fast"]),
        ("claim template: size", &persistent, &["--set", "queue.persistence.size=2Gi"]),
    ];
    for (what, before, change) in cases {
        let namespace = cluster.namespace_name("refused");
        let release = Release { cluster, namespace: namespace.name().to_owned(), name: "postfix-relay" };
        release.install(before);
        let old = release.render(before, false);
        let after = [before, change].concat();
        let run = release.diff_against(&old, &after);
        assert_eq!(run.code, 2, "{what}: diff did not name the refused change:\n{}", run.stderr);
        assert!(run.stderr.contains("cannot change in place"), "{what}: {}", run.stderr);
        let refused = release.apply(&after).fails();
        assert!(refused.contains("Forbidden"), "{what}: the API server said:\n{refused}");
    }
}

/// The objects of a render as JSON, to make an older variant of them by hand.
fn render_json(release: &Release<'_>, args: &[&str]) -> Vec<Value> {
    let set = format!("name={}", release.name);
    let mut all = vec!["render", "-o", "json", "-n", &release.namespace, "--set", &set];
    all.extend_from_slice(args);
    let list: Value = serde_json::from_str(&relaygen(&all).ok()).expect("JSON");
    list["items"].as_array().expect("items").clone()
}

fn find_mut<'a>(objects: &'a mut [Value], kind: &str, name: &str) -> &'a mut Value {
    objects.iter_mut().find(|o| o["kind"] == kind && o["metadata"]["name"] == name).expect("object")
}

#[test]
fn changes_no_value_reaches_are_named_by_diff_and_the_api_server_acts_as_diff_says() {
    let Some(shared) = cluster() else { return };
    let cluster = &*shared;
    let persistent: &[&str] = &["--set", "queue.persistence.enabled=true"];
    // (what, the new render's values, how the applied (older) objects differed, whether the API
    // server refuses the new render (or accepts it and keeps the old value))
    type Edit = fn(&mut [Value]);
    let cases: [(&str, &[&str], Edit, bool); 5] = [
        (
            "Deployment selector",
            &[],
            |o| {
                let d = find_mut(o, "Deployment", "postfix-relay");
                d["spec"]["selector"]["matchLabels"]["tier"] = "relay".into();
                d["spec"]["template"]["metadata"]["labels"]["tier"] = "relay".into();
            },
            true,
        ),
        (
            "StatefulSet serviceName",
            persistent,
            |o| find_mut(o, "StatefulSet", "postfix-relay")["spec"]["serviceName"] = "other".into(),
            true,
        ),
        (
            "StatefulSet podManagementPolicy",
            persistent,
            |o| find_mut(o, "StatefulSet", "postfix-relay")["spec"]["podManagementPolicy"] = "OrderedReady".into(),
            true,
        ),
        (
            "headless Service made NodePort",
            &["--set", "service.type=NodePort"],
            |o| {
                find_mut(o, "Service", "postfix-relay")["spec"] = serde_json::json!({
                    "clusterIP": "None",
                    "selector": {"app.kubernetes.io/name": "postfix-relay"},
                    "ports": [{"name": "smtp", "port": 25, "targetPort": "smtp"}],
                })
            },
            true,
        ),
        (
            "headless Service made a ClusterIP one",
            &[],
            |o| find_mut(o, "Service", "postfix-relay")["spec"]["clusterIP"] = "None".into(),
            false,
        ),
    ];
    for (what, args, edit, refused) in cases {
        let namespace = cluster.namespace_name("edited");
        let release = Release { cluster, namespace: namespace.name().to_owned(), name: "postfix-relay" };
        let mut old = render_json(&release, args);
        edit(&mut old);
        let old = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": old}).to_string();
        release.install(args);
        // The older objects replace what the install made (deleted first: they are the ones
        // whose fields cannot change).
        cluster.kubectl(&["delete", "-f", "-", "--wait=true"], Some(&old)).ok();
        cluster.apply(&old, &["--server-side"]).ok_without_warnings();
        let run = release.diff_against(&old, args);
        assert_eq!(run.code, 2, "{what}: diff did not name the change:\n{}", run.stderr);
        assert!(run.stderr.contains("cannot change in place"), "{what}: {}", run.stderr);
        let applied = release.apply(args);
        if refused {
            let said = applied.fails();
            assert!(
                said.contains("Invalid") || said.contains("Forbidden") || said.contains("immutable"),
                "{what}: {said}"
            );
        } else {
            applied.ok_without_warnings();
            let service = cluster.get_json(&["service", "postfix-relay", "-n", &release.namespace]);
            assert_eq!(service["spec"]["clusterIP"], "None", "{what}: the API server changed the field after all");
        }
    }
}
