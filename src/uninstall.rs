//! `relaygen uninstall`: every object a release can have, for `kubectl delete -f -`.
//!
//! A component switched off since an apply that did not prune it still runs, so the list does
//! not follow the current switches: it is the release rendered with every optional component
//! on, once as a Deployment and once as a StatefulSet. What relaygen never rendered (the SASL
//! Secret, anything else of the user's) is never in it, nor are the StatefulSet's claims,
//! which hold queued mail; the Namespace only on request, since deleting it deletes everything
//! in it.

use serde_json::Value;

use crate::diff::Identity;
use crate::diff::removed::reference;
use crate::error::Result;
use crate::render::{self, Object, Target};
use crate::values::Resolved;

fn identity(object: &Object) -> Identity {
    Identity {
        api_version: object.api_version().to_owned(),
        kind: object.kind().to_owned(),
        namespace: object.metadata().namespace.clone().unwrap_or_default(),
        name: object.name().to_owned(),
    }
}

/// Every object the release named by `resolved` can have, in reverse apply order (custom
/// resources first, the Namespace last when `include_namespace`), each as what `kubectl delete`
/// needs to find it.
pub(crate) fn references(
    resolved: &Resolved,
    kube_version: crate::kube::KubeVersion,
    include_namespace: bool,
) -> Result<Vec<Value>> {
    let mut everything = resolved.clone();
    let values = &mut everything.values;
    values.autoscaling.enabled = true;
    values.pod_disruption_budget.enabled = true;
    values.network_policy.enabled = true;
    let monitoring = &mut values.monitoring;
    monitoring.enabled = true;
    monitoring.service_monitor.enabled = true;
    monitoring.prometheus_rule.enabled = true;
    monitoring.dashboard.enabled = true;
    let target = Target { create_namespace: include_namespace, kube_version };
    let mut objects: Vec<Identity> = Vec::new();
    for persistence in [false, true] {
        everything.values.queue.persistence.enabled = persistence;
        // Merged in apply order: an object only the second render has goes right after the
        // object it follows there (the StatefulSet after the Services, beside the Deployment).
        let mut at = 0;
        for object in render::stack(&everything, &target)?.objects {
            let id = identity(&object);
            match objects.iter().position(|o| *o == id) {
                Some(found) => at = found + 1,
                None => {
                    objects.insert(at, id);
                    at += 1;
                }
            }
        }
    }
    Ok(objects.iter().rev().map(reference).collect())
}

/// What stays behind, for stderr: the claims (with the command that removes them) and the
/// Namespace.
pub(crate) fn what_stays(resolved: &Resolved, include_namespace: bool) -> String {
    let values = &resolved.values;
    let (name, namespace) = (&values.name, &values.namespace);
    let mut text = format!(
        "kept: PersistentVolumeClaims spool-{name}-N of a persistent queue, which may hold queued mail; once \
         they are empty: kubectl delete pvc -n {namespace} -l app.kubernetes.io/instance={name}\n"
    );
    if !include_namespace {
        text.push_str(&format!(
            "kept: the Namespace {namespace} and what relaygen did not render in it (such as the SASL Secret); \
             --include-namespace deletes it with everything in it\n"
        ));
    }
    text
}
