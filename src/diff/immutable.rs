//! Changes Kubernetes will not make in place, found offline by comparing each object with its old
//! version: one table of rules ([`RULES`]), checked object by object.
//!
//! The rules follow the API server's update validation (`ValidateStatefulSetUpdate`,
//! `ValidateDeploymentUpdate`, `ValidatePersistentVolumeClaimUpdate`, `ValidateConfigMapUpdate`)
//! and the Service registry's update strategy, which keeps an allocated `clusterIP` when a
//! manifest leaves it out and clears it when the type becomes `ExternalName` (so type changes
//! among ClusterIP, NodePort, LoadBalancer and ExternalName are made in place, a headless
//! Service's excepted).

use std::fmt::Write as _;

use serde_json::Value;

use super::{Identity, Manifests};
use crate::style::{EMPHASIS, ERROR};

/// What the API server does with a change a rule finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It refuses the update (`kubectl apply` fails with "Invalid" or "Forbidden").
    Refused,
    /// It accepts the update but keeps the old value: the change silently does not happen.
    KeptOld,
}

/// How a rule decides that a field changed.
#[derive(Clone, Copy, Debug)]
pub enum Test {
    /// The value at the rule's field differs (set or unset included); `unset` is the value the
    /// API server defaults an unset field to, so spelling out the default is no change.
    Changed {
        /// The default, as a string, when the field is a defaulted string.
        unset: Option<&'static str>,
    },
    /// Any key below the rule's field, except these dotted paths (relative to the field), differs;
    /// each differing key is reported by its own path.
    ChangedExcept(&'static [&'static str]),
    /// A condition on the old and the new object.
    When(fn(old: &Value, new: &Value) -> bool),
}

/// One immutable field: which objects, which field, how a change is found, what Kubernetes does,
/// why, and what to do instead.
#[derive(Debug)]
pub struct Rule {
    /// API group of the kind (`apps`; empty for the core group).
    pub group: &'static str,
    /// The kind, e.g. `StatefulSet`.
    pub kind: &'static str,
    /// Dotted path of the field, e.g. `spec.selector`.
    pub field: &'static str,
    /// How a change is found.
    pub test: Test,
    /// What the API server does with it.
    pub outcome: Outcome,
    /// Why it cannot change in place.
    pub why: &'static str,
    /// What to do instead: `{name}` is the object's name, `{ns}` its ` -n NAMESPACE` (or nothing).
    pub remedy: &'static str,
}

/// Every rule. Kinds relaygen renders, plus the PersistentVolumeClaim (an `--against` file may
/// hold one); Jobs are not rendered. A rule's field is a path from the object's root.
pub static RULES: &[Rule] = &[
    Rule {
        group: "apps",
        kind: "Deployment",
        field: "spec.selector",
        test: Test::Changed { unset: None },
        outcome: Outcome::Refused,
        why: "a Deployment's selector is immutable in apps/v1: it decides which ReplicaSets and pods the Deployment owns",
        remedy: "keep the old selector, or `kubectl delete deployment {name}{ns}` and apply (its pods go with it: the relay is down until the new pods are ready; with `--cascade=orphan` the old ReplicaSet keeps its pods serving until you delete it)",
    },
    Rule {
        group: "apps",
        kind: "StatefulSet",
        field: "spec.selector",
        test: Test::Changed { unset: None },
        outcome: Outcome::Refused,
        why: "Kubernetes refuses updates to StatefulSet spec fields other than replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds; the selector decides which pods the StatefulSet owns",
        remedy: "keep the old selector, or `kubectl delete statefulset {name}{ns}` and apply (its pods go with it; their claims stay and the new pods mount them again)",
    },
    Rule {
        group: "apps",
        kind: "StatefulSet",
        field: "spec.serviceName",
        test: Test::Changed { unset: None },
        outcome: Outcome::Refused,
        why: "Kubernetes refuses updates to StatefulSet spec fields other than replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds; the service name is part of each pod's DNS name",
        remedy: "`kubectl delete statefulset {name} --cascade=orphan{ns}`, then apply: the pods and their claims stay, and the new StatefulSet adopts them and rolls them",
    },
    Rule {
        group: "apps",
        kind: "StatefulSet",
        field: "spec.volumeClaimTemplates",
        test: Test::Changed { unset: None },
        outcome: Outcome::Refused,
        why: "Kubernetes refuses updates to StatefulSet spec fields other than replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds; the claim templates made each pod's volume",
        remedy: "`kubectl delete statefulset {name} --cascade=orphan{ns}`, then apply: the pods and their claims stay, and the new StatefulSet adopts them; existing claims keep their size and class (the templates apply to new claims only: resize a claim with `kubectl patch pvc`, if its StorageClass allows expansion)",
    },
    Rule {
        group: "apps",
        kind: "StatefulSet",
        field: "spec.podManagementPolicy",
        test: Test::Changed { unset: Some("OrderedReady") },
        outcome: Outcome::Refused,
        why: "Kubernetes refuses updates to StatefulSet spec fields other than replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds",
        remedy: "`kubectl delete statefulset {name} --cascade=orphan{ns}`, then apply: the pods and their claims stay, and the new StatefulSet adopts them",
    },
    Rule {
        group: "apps",
        kind: "StatefulSet",
        field: "spec",
        test: Test::ChangedExcept(&[
            "replicas",
            "ordinals",
            "template",
            "updateStrategy",
            "revisionHistoryLimit",
            "persistentVolumeClaimRetentionPolicy",
            "minReadySeconds",
            // Their own rules above.
            "selector",
            "serviceName",
            "volumeClaimTemplates",
            "podManagementPolicy",
        ]),
        outcome: Outcome::Refused,
        why: "Kubernetes refuses updates to StatefulSet spec fields other than replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds",
        remedy: "`kubectl delete statefulset {name} --cascade=orphan{ns}`, then apply: the pods and their claims stay, and the new StatefulSet adopts them",
    },
    Rule {
        group: "",
        kind: "Service",
        field: "spec.clusterIP",
        test: Test::When(cluster_ip_replaced),
        outcome: Outcome::Refused,
        why: "a Service's cluster IP is immutable once set (allocated when the Service was created, or `None` for a headless Service); only a change to or from type ExternalName releases or allocates it",
        remedy: "`kubectl delete service {name}{ns}`, then apply: the Service gets its new address (clients that resolve it by DNS name follow; connections through it break meanwhile)",
    },
    Rule {
        group: "",
        kind: "Service",
        field: "spec.clusterIP",
        test: Test::When(stays_headless),
        outcome: Outcome::KeptOld,
        why: "a Service's cluster IP is immutable: when the manifest drops `clusterIP: None`, the API server keeps `None`, so the Service stays headless instead of getting an address",
        remedy: "`kubectl delete service {name}{ns}`, then apply: the Service gets an address (connections through it break meanwhile)",
    },
    Rule {
        group: "",
        kind: "Service",
        field: "spec.type",
        test: Test::When(headless_gets_node_ports),
        outcome: Outcome::Refused,
        why: "a headless Service keeps `clusterIP: None` (immutable), and a NodePort or LoadBalancer Service may not be headless",
        remedy: "`kubectl delete service {name}{ns}`, then apply: the Service is created with an address and node ports",
    },
    Rule {
        group: "",
        kind: "ConfigMap",
        field: "data",
        test: Test::When(immutable_config_map_data_changes),
        outcome: Outcome::Refused,
        why: "the old ConfigMap is marked `immutable: true`: its data can never change",
        remedy: "`kubectl delete configmap {name}{ns}`, then apply (relaygen's pods roll onto the new config by its checksum)",
    },
    Rule {
        group: "",
        kind: "ConfigMap",
        field: "immutable",
        test: Test::When(immutable_config_map_unmarked),
        outcome: Outcome::Refused,
        why: "a ConfigMap marked `immutable: true` cannot be unmarked",
        remedy: "`kubectl delete configmap {name}{ns}`, then apply",
    },
    Rule {
        group: "",
        kind: "PersistentVolumeClaim",
        field: "spec.resources.requests.storage",
        test: Test::When(storage_shrinks),
        outcome: Outcome::Refused,
        why: "a claim's storage request can only grow (and only where its StorageClass allows volume expansion)",
        remedy: "keep the old size, or copy the data to a new, smaller claim",
    },
    Rule {
        group: "",
        kind: "PersistentVolumeClaim",
        field: "spec",
        test: Test::ChangedExcept(&["resources.requests.storage", "volumeAttributesClassName"]),
        outcome: Outcome::Refused,
        why: "a bound claim's spec is immutable except for its storage request and volume attributes class",
        remedy: "copy the data to a new claim, or `kubectl delete pvc {name}{ns}` and apply (the data go with the claim unless its volume's reclaim policy is Retain)",
    },
];

/// One change a rule found.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Which object.
    pub identity: Identity,
    /// Dotted path of the field that changed, e.g. `spec.volumeClaimTemplates`.
    pub field: String,
    /// The old and the new value, when both are short scalars (or unset).
    pub values: Option<(String, String)>,
    /// The rule that found it.
    pub rule: &'static Rule,
}

impl Violation {
    /// The error for stderr: what, why and the remedy, with the colour escapes that
    /// [`crate::style::write_stderr`] keeps only for a terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let what = match self.rule.outcome {
            Outcome::Refused => "cannot change in place: Kubernetes refuses the update",
            Outcome::KeptOld => "cannot change in place: Kubernetes keeps the old value",
        };
        let _ = write!(out, "{ERROR}error{ERROR:#}: {}: {EMPHASIS}{}{EMPHASIS:#} {what}", self.identity, self.field);
        if let Some((old, new)) = &self.values {
            let _ = write!(out, " ({old} → {new})");
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "  = why: {}", self.rule.why);
        let namespace =
            if self.identity.namespace.is_empty() { String::new() } else { format!(" -n {}", self.identity.namespace) };
        let remedy = self.rule.remedy.replace("{name}", &self.identity.name).replace("{ns}", &namespace);
        let _ = writeln!(out, "  = help: {remedy}");
        out
    }
}

/// Every violation for stderr, then a last line counting them.
pub fn render_all(violations: &[Violation]) -> String {
    let mut text: String = violations.iter().map(Violation::render).collect();
    let _ = writeln!(
        text,
        "{ERROR}error{ERROR:#}: {} change(s) Kubernetes will not make in place; apply would not do what the diff shows",
        violations.len()
    );
    text
}

/// Every change of `new` against `old` that a rule of [`RULES`] finds, object by object (objects
/// matched by identity), in the order of `new`.
pub fn immutable_changes(old: &Manifests, new: &Manifests) -> Vec<Violation> {
    let mut found = Vec::new();
    for n in &new.objects {
        let Some(o) = old.counterpart(&n.identity) else { continue };
        for (rule, field) in object_changes(&o.value, &n.value) {
            let values = scalar(lookup(&o.value, &field)).zip(scalar(lookup(&n.value, &field)));
            found.push(Violation { identity: n.identity.clone(), field, values, rule });
        }
    }
    found
}

/// The rules one object's change breaks, each with the dotted path of the field that changed.
pub fn object_changes(old: &Value, new: &Value) -> Vec<(&'static Rule, String)> {
    let group = |v: &Value| {
        let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        api_version.rsplit_once('/').map_or("", |(group, _)| group).to_owned()
    };
    let kind = new.get("kind").and_then(Value::as_str).unwrap_or_default();
    let mut found = Vec::new();
    for rule in RULES.iter().filter(|r| r.kind == kind && r.group == group(new) && group(old) == group(new)) {
        match rule.test {
            Test::Changed { unset } => {
                let default = unset.map(|s| Value::String(s.to_owned()));
                let at = |v| lookup(v, rule.field).or(default.as_ref());
                if at(old) != at(new) {
                    found.push((rule, rule.field.to_owned()));
                }
            }
            Test::ChangedExcept(except) => {
                let (o, n) = (lookup(old, rule.field), lookup(new, rule.field));
                let mut all: Vec<String> =
                    [o, n].into_iter().flatten().filter_map(Value::as_object).flat_map(|m| m.keys().cloned()).collect();
                all.sort();
                all.dedup();
                for key in all.into_iter().filter(|k| !except.contains(&k.as_str())) {
                    let within: Vec<&str> =
                        except.iter().filter_map(|e| e.strip_prefix(key.as_str())?.strip_prefix('.')).collect();
                    let part = |v: Option<&Value>| v.and_then(|v| v.get(&key)).map(|v| without(v, &within));
                    if part(o) != part(n) {
                        found.push((rule, format!("{}.{key}", rule.field)));
                    }
                }
            }
            Test::When(changed) => {
                if changed(old, new) {
                    found.push((rule, rule.field.to_owned()));
                }
            }
        }
    }
    found
}

/// The value at a dotted path.
fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// `value` without the fields at the dotted `paths`.
fn without(value: &Value, paths: &[&str]) -> Value {
    let mut value = value.clone();
    for path in paths {
        let (parent, last) = path.rsplit_once('.').map_or(("", *path), |(p, l)| (p, l));
        let target = if parent.is_empty() {
            Some(&mut value)
        } else {
            parent.split('.').try_fold(&mut value, |v, key| v.get_mut(key))
        };
        if let Some(Value::Object(map)) = target {
            map.remove(last);
        }
    }
    value
}

/// A short scalar for the message (`unset` for a missing field); `None` for a list or mapping.
fn scalar(value: Option<&Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => Some("unset".to_owned()),
        Some(Value::String(s)) => Some(format!("{s:?}")),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
        Some(_) => None,
    }
}

fn service_type(service: &Value) -> &str {
    lookup(service, "spec.type").and_then(Value::as_str).unwrap_or("ClusterIP")
}

fn cluster_ip(service: &Value) -> Option<&str> {
    lookup(service, "spec.clusterIP").and_then(Value::as_str).filter(|ip| !ip.is_empty())
}

/// Both sides hold a cluster IP (neither is ExternalName): the API server keeps the old one
/// when the new manifest has none, so only a different explicit value is a change. An old
/// manifest without one had an address allocated, which no explicit value is assumed to equal.
fn cluster_ip_replaced(old: &Value, new: &Value) -> bool {
    if service_type(old) == "ExternalName" || service_type(new) == "ExternalName" {
        return false;
    }
    cluster_ip(new).is_some_and(|ip| cluster_ip(old) != Some(ip))
}

/// A headless Service whose manifest drops `clusterIP: None` and stays of type ClusterIP.
fn stays_headless(old: &Value, new: &Value) -> bool {
    service_type(old) != "ExternalName"
        && cluster_ip(old) == Some("None")
        && cluster_ip(new).is_none()
        && service_type(new) == "ClusterIP"
}

/// A headless Service becoming NodePort or LoadBalancer without an explicit new address.
fn headless_gets_node_ports(old: &Value, new: &Value) -> bool {
    service_type(old) != "ExternalName"
        && cluster_ip(old) == Some("None")
        && matches!(cluster_ip(new), None | Some("None"))
        && matches!(service_type(new), "NodePort" | "LoadBalancer")
}

fn marked_immutable(config_map: &Value) -> bool {
    config_map.get("immutable").and_then(Value::as_bool) == Some(true)
}

/// New `data` or `binaryData` for a ConfigMap the old side marked immutable.
fn immutable_config_map_data_changes(old: &Value, new: &Value) -> bool {
    marked_immutable(old) && ["data", "binaryData"].iter().any(|field| old.get(field) != new.get(field))
}

/// A ConfigMap the old side marked immutable, no longer marked.
fn immutable_config_map_unmarked(old: &Value, new: &Value) -> bool {
    marked_immutable(old) && !marked_immutable(new)
}

/// A claim's storage request that gets smaller (or is dropped).
fn storage_shrinks(old: &Value, new: &Value) -> bool {
    let storage = |v| lookup(v, "spec.resources.requests.storage").and_then(quantity);
    match (storage(old), storage(new)) {
        (Some(o), Some(n)) => n < o,
        (Some(_), None) => true,
        _ => false,
    }
}

fn quantity(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) => crate::values::syntax::parse_quantity(s),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(old: &Value, new: &Value) -> Vec<String> {
        object_changes(old, new).into_iter().map(|(_, field)| field).collect()
    }

    fn statefulset(spec: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"}, "spec": spec})
    }

    fn service(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec})
    }

    fn claim(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"}, "spec": spec})
    }

    #[test]
    fn every_rule_names_a_known_field_and_its_remedy_says_what_to_run_or_keep() {
        for rule in RULES {
            assert!(
                ["spec", "data", "immutable"].contains(&rule.field.split('.').next().unwrap_or_default()),
                "{rule:?}"
            );
            assert!(!rule.why.is_empty(), "{rule:?}");
            assert!(rule.remedy.contains("kubectl ") || rule.remedy.starts_with("keep"), "{rule:?}");
        }
    }

    #[test]
    fn a_statefulset_may_change_only_the_fields_kubernetes_lists() {
        let old = statefulset(json!({"replicas": 1, "serviceName": "h", "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": {"a": "1"}}, "template": {"x": 1}, "minReadySeconds": 0}));
        let mut new = old.clone();
        new["spec"]["replicas"] = json!(3);
        new["spec"]["template"] = json!({"x": 2});
        new["spec"]["minReadySeconds"] = json!(10);
        new["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
        new["spec"]["revisionHistoryLimit"] = json!(3);
        assert!(fields(&old, &new).is_empty(), "{:?}", fields(&old, &new));

        new["spec"]["serviceName"] = json!("other");
        new["spec"]["podManagementPolicy"] = json!("OrderedReady");
        new["spec"]["selector"] = json!({"matchLabels": {"a": "2"}});
        new["spec"]["volumeClaimTemplates"] = json!([{"metadata": {"name": "v"}}]);
        new["spec"]["persistentVolumeClaimRetentionPolicy"] = json!({"whenDeleted": "Delete"});
        new["spec"]["ordinals"] = json!({"start": 1});
        new["spec"]["futureField"] = json!(true);
        assert_eq!(
            fields(&old, &new),
            [
                "spec.selector",
                "spec.serviceName",
                "spec.volumeClaimTemplates",
                "spec.podManagementPolicy",
                "spec.futureField"
            ]
        );
    }

    #[test]
    fn spelling_out_a_default_pod_management_policy_is_no_change() {
        let old = statefulset(json!({}));
        assert!(fields(&old, &statefulset(json!({"podManagementPolicy": "OrderedReady"}))).is_empty());
        assert_eq!(
            fields(&old, &statefulset(json!({"podManagementPolicy": "Parallel"}))),
            ["spec.podManagementPolicy"]
        );
    }

    #[test]
    fn a_deployment_selector_is_immutable_and_nothing_else_of_it() {
        let old = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "old"}}}});
        let mut new = old.clone();
        new["spec"]["replicas"] = json!(5);
        assert!(fields(&old, &new).is_empty());
        new["spec"]["selector"] = json!({"matchLabels": {"app": "new"}});
        assert_eq!(fields(&old, &new), ["spec.selector"]);
    }

    #[test]
    fn a_cluster_ip_change_is_refused_but_leaving_it_out_keeps_the_allocated_one() {
        let allocated = service(json!({"type": "ClusterIP"}));
        let pinned = service(json!({"clusterIP": "10.0.0.1"}));
        let headless = service(json!({"clusterIP": "None"}));
        let cases = [
            (&allocated, &pinned, vec!["spec.clusterIP"]),
            (&allocated, &headless, vec!["spec.clusterIP"]),
            (&pinned, &service(json!({"clusterIP": "10.0.0.2"})), vec!["spec.clusterIP"]),
            (&pinned, &allocated, vec![]),
            (&pinned, &pinned, vec![]),
            (&headless, &headless, vec![]),
            (&headless, &allocated, vec!["spec.clusterIP"]),
            (&headless, &service(json!({"type": "NodePort"})), vec!["spec.type"]),
            (&allocated, &service(json!({"type": "LoadBalancer"})), vec![]),
            (&allocated, &service(json!({"type": "ExternalName", "externalName": "x.example"})), vec![]),
            (&service(json!({"type": "ExternalName"})), &headless, vec![]),
        ];
        for (old, new, expected) in cases {
            assert_eq!(fields(old, new), expected, "{old} → {new}");
        }
        let outcome = |old, new| object_changes(old, new).first().map(|(rule, _)| rule.outcome);
        assert_eq!(outcome(&headless, &allocated), Some(Outcome::KeptOld), "no error, but no change either");
        assert_eq!(outcome(&allocated, &headless), Some(Outcome::Refused));
    }

    #[test]
    fn a_claim_may_only_grow_its_storage_request() {
        let old = claim(json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}));
        let grown = claim(json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}));
        let shrunk = claim(json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "512Mi"}}}));
        let reclassed = claim(json!({"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
            "resources": {"requests": {"storage": "1Gi"}}}));
        let limited = claim(json!({"accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}, "limits": {"storage": "2Gi"}}}));
        assert!(fields(&old, &grown).is_empty());
        assert_eq!(fields(&old, &shrunk), ["spec.resources.requests.storage"]);
        assert_eq!(fields(&old, &reclassed), ["spec.storageClassName"]);
        assert_eq!(fields(&old, &limited), ["spec.resources"]);
    }

    #[test]
    fn a_config_map_marked_immutable_keeps_its_data_and_its_mark() {
        let config = |data: &str, immutable: Option<bool>| {
            let mut cm =
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"main.cf": data}});
            if let Some(flag) = immutable {
                cm["immutable"] = json!(flag);
            }
            cm
        };
        assert!(fields(&config("a", None), &config("b", None)).is_empty(), "an ordinary ConfigMap changes in place");
        assert!(fields(&config("a", None), &config("a", Some(true))).is_empty(), "marking it is allowed");
        assert_eq!(fields(&config("a", Some(true)), &config("b", Some(true))), ["data"]);
        assert_eq!(fields(&config("a", Some(true)), &config("b", None)), ["data", "immutable"]);
    }

    #[test]
    fn the_message_names_the_object_the_field_both_values_why_and_the_remedy() {
        let side = |cluster_ip: &str, source: &str| {
            let mut manifests = Manifests::default();
            let mut object = service(json!({"clusterIP": cluster_ip}));
            object["metadata"]["namespace"] = json!("mail");
            manifests.add_text(&object.to_string(), source).expect("valid");
            manifests
        };
        let found = immutable_changes(&side("None", "old.yaml"), &side("10.0.0.9", "new.yaml"));
        assert_eq!(found.len(), 1);
        let text = crate::style::plain(&found[0].render());
        assert_eq!(
            text.lines().next(),
            Some(
                "error: v1 Service mail/s: spec.clusterIP cannot change in place: Kubernetes refuses the update (\"None\" → \"10.0.0.9\")"
            )
        );
        assert!(text.contains("\n  = why: a Service's cluster IP is immutable"), "{text}");
        assert!(text.contains("\n  = help: `kubectl delete service s -n mail`, then apply"), "{text}");
    }
}
