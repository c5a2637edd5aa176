//! From validated values to typed Kubernetes objects.
//!
//! [`stack`] is the only place that knows which components exist and in which order they are
//! emitted; each component lives in its own module and owns its objects' shape.

mod autoscaling;
mod config_map;
mod dashboard;
mod deployment;
mod disruption;
pub(crate) mod invariants;
pub(crate) mod limits;
mod monitoring;
mod namespace;
mod network_policy;
mod pod;
mod policy_exceptions;
mod service_account;
mod services;
mod statefulset;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::crd::{PrometheusRule, ServiceMonitor};
use crate::error::Result;
use crate::values::Resolved;
use crate::values::syntax::is_label_value;

/// The Postfix container's SMTP port and its name.
pub(crate) const SMTP_PORT: (i32, &str) = (25, "smtp");
/// The exporter's port and its name.
pub(crate) const METRICS_PORT: (i32, &str) = (9154, "metrics");
/// The port on which a relay pod takes over the queue of a draining one, and its name: a
/// second smtpd, reached through the headless Service, that only the relay's own pods may use.
pub(crate) const HANDOFF_PORT: (i32, &str) = (10026, "handoff");
/// The loopback TCP port of Postfix's `showq` service, which the exporter reads the queue from
/// (the exporter's own default). Only containers of the pod can reach it.
pub(crate) const SHOWQ_PORT: i32 = 10025;

/// What the output is for: where it goes, beyond the values themselves.
#[derive(Clone, Debug, Default)]
pub struct Target {
    /// Add the Namespace object first (`--create-namespace`).
    pub create_namespace: bool,
    /// The Kubernetes version the objects are for (`--kube-version`).
    pub kube_version: crate::kube::KubeVersion,
}

/// One rendered object.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Object {
    /// Namespace.
    Namespace(Namespace),
    /// ServiceAccount.
    ServiceAccount(ServiceAccount),
    /// ConfigMap.
    ConfigMap(ConfigMap),
    /// Service.
    Service(Service),
    /// Deployment.
    Deployment(Box<Deployment>),
    /// StatefulSet (instead of the Deployment, with a persistent queue).
    StatefulSet(Box<StatefulSet>),
    /// HorizontalPodAutoscaler.
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
    /// PodDisruptionBudget.
    PodDisruptionBudget(PodDisruptionBudget),
    /// NetworkPolicy.
    NetworkPolicy(NetworkPolicy),
    /// ServiceMonitor (prometheus-operator).
    ServiceMonitor(ServiceMonitor),
    /// PrometheusRule (prometheus-operator).
    PrometheusRule(PrometheusRule),
}

impl Object {
    /// The object's `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Namespace(_) => "Namespace",
            Object::ServiceAccount(_) => "ServiceAccount",
            Object::ConfigMap(_) => "ConfigMap",
            Object::Service(_) => "Service",
            Object::Deployment(_) => "Deployment",
            Object::StatefulSet(_) => "StatefulSet",
            Object::HorizontalPodAutoscaler(_) => "HorizontalPodAutoscaler",
            Object::PodDisruptionBudget(_) => "PodDisruptionBudget",
            Object::NetworkPolicy(_) => "NetworkPolicy",
            Object::ServiceMonitor(_) => "ServiceMonitor",
            Object::PrometheusRule(_) => "PrometheusRule",
        }
    }

    /// The object's `apiVersion`, as its serialisation writes it.
    pub fn api_version(&self) -> &str {
        use k8s_openapi::Resource;
        match self {
            Object::Namespace(_) => Namespace::API_VERSION,
            Object::ServiceAccount(_) => ServiceAccount::API_VERSION,
            Object::ConfigMap(_) => ConfigMap::API_VERSION,
            Object::Service(_) => Service::API_VERSION,
            Object::Deployment(_) => Deployment::API_VERSION,
            Object::StatefulSet(_) => StatefulSet::API_VERSION,
            Object::HorizontalPodAutoscaler(_) => HorizontalPodAutoscaler::API_VERSION,
            Object::PodDisruptionBudget(_) => PodDisruptionBudget::API_VERSION,
            Object::NetworkPolicy(_) => NetworkPolicy::API_VERSION,
            Object::ServiceMonitor(o) => o.api_version,
            Object::PrometheusRule(o) => o.api_version,
        }
    }

    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Object::Namespace(o) => &o.metadata,
            Object::ServiceAccount(o) => &o.metadata,
            Object::ConfigMap(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::Deployment(o) => &o.metadata,
            Object::StatefulSet(o) => &o.metadata,
            Object::HorizontalPodAutoscaler(o) => &o.metadata,
            Object::PodDisruptionBudget(o) => &o.metadata,
            Object::NetworkPolicy(o) => &o.metadata,
            Object::ServiceMonitor(o) => &o.metadata,
            Object::PrometheusRule(o) => &o.metadata,
        }
    }

    /// The object's name.
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }
}

/// The rendered stack: objects in apply order (Namespace first, CRs last).
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Bundle {
    /// The objects.
    pub objects: Vec<Object>,
    /// Warnings about the rendered objects (e.g. one too large for client-side `kubectl
    /// apply`), for stderr; never part of the output.
    #[serde(skip)]
    pub warnings: Vec<crate::error::Diagnostic>,
}

/// Shared facts every component needs: names, labels, the namespace.
pub(crate) struct Context<'a> {
    pub(crate) resolved: &'a Resolved,
    /// The release name (`name`): the workload, its ServiceAccount, ConfigMap, main Service and
    /// every other object are named after it.
    pub(crate) name: &'a str,
    pub(crate) namespace: &'a str,
    /// Labels on every object.
    pub(crate) labels: BTreeMap<String, String>,
    /// Labels of the workload and its pod template: [`Self::labels`] and the version the pods
    /// run (`app.kubernetes.io/version`, the image tag). Only the objects the image changes
    /// carry it, so a new tag changes the pods and nothing else, as a Helm chart's
    /// `image.tag` does.
    pub(crate) workload_labels: BTreeMap<String, String>,
    /// The stable subset used in selectors (never changes across upgrades).
    pub(crate) selector: BTreeMap<String, String>,
}

impl Context<'_> {
    /// The headless Service: the ready pods of this release, where a draining pod hands its
    /// queue over.
    pub(crate) fn headless_service(&self) -> String {
        format!("{}-headless", self.name)
    }

    /// The metrics Service; also the `job` label of the scraped series.
    pub(crate) fn metrics_service(&self) -> String {
        format!("{}-metrics", self.name)
    }

    /// Metadata of a namespaced object with the common labels.
    pub(crate) fn metadata(&self, name: &str) -> ObjectMeta {
        self.metadata_with_labels(name, self.labels.clone())
    }

    /// Metadata of a namespaced object with other labels, e.g. [`Self::labels_with_component`].
    pub(crate) fn metadata_with_labels(&self, name: &str, labels: BTreeMap<String, String>) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(self.namespace.to_owned()),
            labels: Some(labels),
            ..ObjectMeta::default()
        }
    }

    /// The common labels with `app.kubernetes.io/component` replaced, then `extra` added (an
    /// extra label wins over a common one of the same key).
    pub(crate) fn labels_with_component<'e>(
        &self,
        component: &str,
        extra: impl IntoIterator<Item = (&'e String, &'e String)>,
    ) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.insert(COMPONENT_LABEL.to_owned(), component.to_owned());
        labels.extend(extra.into_iter().map(|(key, value)| (key.clone(), value.clone())));
        labels
    }
}

/// The label naming the version the pods run: on the workload and its pod template only.
pub(crate) const VERSION_LABEL: &str = "app.kubernetes.io/version";

/// The label naming an object's part of the stack (`smtp-relay`, `metrics`).
pub(crate) const COMPONENT_LABEL: &str = "app.kubernetes.io/component";

/// The common labels, the workload's labels and the selector labels. Both selector labels carry
/// the release name: Argo CD's label-based tracking rewrites `app.kubernetes.io/instance` on
/// the objects it manages, so the ServiceMonitor tells releases apart by
/// `app.kubernetes.io/name` alone.
fn labels(resolved: &Resolved) -> (BTreeMap<String, String>, BTreeMap<String, String>, BTreeMap<String, String>) {
    let name = resolved.values.name.as_str();
    let selector: BTreeMap<String, String> = [("app.kubernetes.io/name", name), ("app.kubernetes.io/instance", name)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut labels = selector.clone();
    labels.insert(COMPONENT_LABEL.into(), "smtp-relay".into());
    labels.insert("app.kubernetes.io/part-of".into(), "email-server".into());
    labels.insert("app.kubernetes.io/managed-by".into(), "relaygen".into());
    let mut workload_labels = labels.clone();
    // A tag that is not a valid label value (e.g. with `+`) is left out rather than mangled.
    let tag = &resolved.values.image.tag;
    if !tag.is_empty() && is_label_value(tag) {
        workload_labels.insert(VERSION_LABEL.into(), tag.clone());
    }
    (labels, workload_labels, selector)
}

/// Builds every object of the stack from validated values.
pub fn stack(resolved: &Resolved, target: &Target) -> Result<Bundle> {
    let values = &resolved.values;
    let (labels, workload_labels, selector) = labels(resolved);
    let ctx = Context { resolved, name: &values.name, namespace: &values.namespace, labels, workload_labels, selector };

    let config_map = config_map::config_map(&ctx)?;
    let checksum = config_map::checksum(&config_map);

    let mut objects = Vec::new();
    if target.create_namespace {
        objects.push(Object::Namespace(namespace::namespace(&ctx)));
    }
    objects.push(Object::ServiceAccount(service_account::service_account(&ctx)));
    objects.push(Object::ConfigMap(config_map));
    objects.extend(dashboard::dashboard(&ctx)?.map(Object::ConfigMap));
    objects.extend(services::services(&ctx).into_iter().map(Object::Service));
    if values.queue.persistence.enabled {
        objects.push(Object::StatefulSet(Box::new(statefulset::stateful_set(&ctx, &checksum))));
    } else {
        objects.push(Object::Deployment(Box::new(deployment::deployment(&ctx, &checksum))));
    }
    if values.autoscaling.enabled {
        objects.push(Object::HorizontalPodAutoscaler(autoscaling::horizontal_pod_autoscaler(&ctx)));
    }
    if values.pod_disruption_budget.enabled {
        objects.push(Object::PodDisruptionBudget(disruption::pod_disruption_budget(&ctx)));
    }
    if values.network_policy.enabled {
        objects.push(Object::NetworkPolicy(network_policy::network_policy(&ctx)));
    }
    if values.monitoring.enabled {
        if values.monitoring.service_monitor.enabled {
            objects.push(Object::ServiceMonitor(monitoring::service_monitor(&ctx)));
        }
        if let Some(rule) = monitoring::prometheus_rule(&ctx) {
            objects.push(Object::PrometheusRule(rule));
        }
    }
    let mut bundle = Bundle { objects, warnings: Vec::new() };
    // relaygen renders every ConfigMap and Secret its pods use, except the user's own
    // relayhost credentials, which are declared here.
    let mut external = std::collections::BTreeSet::new();
    if values.postfix.sasl.enabled {
        external.insert(invariants::External::Secret(values.postfix.sasl.secret_name.clone()));
    }
    bundle.warnings = limits::check(&bundle, &resolved.tree)?;
    invariants::check(&bundle, target, &external)?;
    Ok(bundle)
}

/// The kind of the workload that runs the relay pods.
pub(crate) fn workload_kind(values: &crate::values::Values) -> &'static str {
    if values.queue.persistence.enabled { "StatefulSet" } else { "Deployment" }
}

/// Converts a values count-or-percentage to the Kubernetes type.
pub(crate) fn int_or_string(
    value: &crate::values::model::IntOrPercent,
) -> k8s_openapi::apimachinery::pkg::util::intstr::IntOrString {
    use crate::values::model::IntOrPercent;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    match value {
        IntOrPercent::Int(n) => IntOrString::Int(*n),
        IntOrPercent::Percent(p) => IntOrString::String(p.clone()),
    }
}
