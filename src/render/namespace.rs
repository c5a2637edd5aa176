//! The optional Namespace (`--create-namespace`).

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Context;

/// The Pod Security Admission level the namespace enforces, audits and warns about.
///
/// `baseline`, not `restricted`: the Postfix master starts as root (it binds port 25 and drops
/// to the `postfix` user itself), which `restricted` forbids. Baseline still forbids privileged
/// pods, host namespaces, hostPath and added capabilities outside its default set, and the six
/// the master keeps (CHOWN, DAC_OVERRIDE, FOWNER, NET_BIND_SERVICE, SETGID, SETUID) are in it.
pub(crate) const POD_SECURITY_LEVEL: &str = "baseline";

/// The Namespace object; cluster-scoped, so it carries no `metadata.namespace`.
pub(crate) fn namespace(ctx: &Context<'_>) -> Namespace {
    let mut labels = ctx.labels.clone();
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), POD_SECURITY_LEVEL.into());
    }
    Namespace {
        metadata: ObjectMeta { name: Some(ctx.namespace.to_owned()), labels: Some(labels), ..ObjectMeta::default() },
        ..Namespace::default()
    }
}
