//! Documented exceptions to Kubernetes security policy, written where scanners read them.
//!
//! The relay pod meets every checkov Kubernetes check but the ones below, each of which
//! follows from a value or from how Postfix works. They are written as checkov's inline skip
//! annotations (`checkov.io/skipN: CHECK=justification`) on the workload, so a scan shows the
//! reason next to the object, and a check that newly fails is never hidden: only these
//! checks are ever skipped, and only when their condition holds.

use std::collections::BTreeMap;

use crate::values::Values;
use crate::values::model::PullPolicy;

/// One exception: the checkov check and why the relay cannot meet it.
struct Exception {
    check: &'static str,
    justification: String,
}

/// The exceptions that apply to these values, in a fixed order.
fn exceptions(values: &Values) -> Vec<Exception> {
    let mut list = vec![
        Exception {
            check: "CKV_K8S_23",
            justification: "the Postfix master starts as root to bind port 25 and drops to the postfix user itself"
                .into(),
        },
        Exception {
            check: "CKV_K8S_25",
            justification: "the master keeps six capabilities (CHOWN DAC_OVERRIDE FOWNER NET_BIND_SERVICE SETGID \
                            SETUID) to own the queue and drop privileges; all others are dropped"
                .into(),
        },
    ];
    if values.deployment.host_users {
        list.push(Exception {
            check: "CKV_K8S_40",
            justification: "the master runs as UID 0; set deployment.hostUsers: false to map it to an \
                            unprivileged host UID"
                .into(),
        });
    }
    if values.monitoring.enabled {
        let justification = "the exporter sidecar has no probes: a pod is Ready only while every container is, and \
                             monitoring must never take the relay out of its Service; a failed scrape alerts \
                             instead (PostfixRelayExporterDown)";
        for check in ["CKV_K8S_8", "CKV_K8S_9"] {
            list.push(Exception { check, justification: justification.into() });
        }
    }
    let images = [
        Some(("image", &values.image)),
        values.monitoring.enabled.then_some(("monitoring.exporter.image", &values.monitoring.exporter.image)),
    ];
    let unpinned: Vec<_> = images.iter().flatten().filter(|(_, image)| !image.pinned_by_digest()).collect();
    if !unpinned.is_empty() {
        let which = unpinned.iter().map(|(key, _)| *key).collect::<Vec<_>>().join(" and ");
        list.push(Exception {
            check: "CKV_K8S_43",
            justification: format!("{which} pinned by release tag only; set its digest to pin the content"),
        });
    }
    // An image pulled `Always` meets the check; one pinned by digest is exempt from it.
    let not_pulled: Vec<_> = unpinned.iter().filter(|(_, image)| image.pull_policy() != PullPolicy::Always).collect();
    if !not_pulled.is_empty() {
        let which = not_pulled.iter().map(|(key, _)| *key).collect::<Vec<_>>().join(" and ");
        list.push(Exception {
            check: "CKV_K8S_15",
            justification: format!(
                "{which} pinned by release tag, pulled IfNotPresent; with a digest the policy is moot"
            ),
        });
    }
    list
}

/// The annotations for the workload's metadata: `checkov.io/skip1` … `checkov.io/skipN`.
pub(crate) fn annotations(values: &Values) -> BTreeMap<String, String> {
    exceptions(values)
        .into_iter()
        .enumerate()
        .map(|(i, e)| (format!("checkov.io/skip{}", i + 1), format!("{}={}", e.check, e.justification)))
        .collect()
}
