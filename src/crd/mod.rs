//! Typed prometheus-operator custom resources (monitoring.coreos.com/v1, CRDs v0.93):
//! the parts of ServiceMonitor and PrometheusRule a relay uses.
//!
//! Hand-written rather than generated: generated crates pin other k8s-openapi versions, and
//! these few fields are checked against the upstream CRD schemas by the test suite.
//! Fields are declared in alphabetical order to match k8s-openapi's output style.
//!
//! [`argocd`] holds the Argo CD Application and ApplicationSet.

pub(crate) mod argocd;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::Serialize;

/// The API version of both resources.
pub(crate) const API_VERSION: &str = "monitoring.coreos.com/v1";

/// A ServiceMonitor: tells Prometheus which Service endpoints to scrape.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitor {
    /// Always [`API_VERSION`].
    pub api_version: &'static str,
    /// Always `ServiceMonitor`.
    pub kind: &'static str,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// What to scrape.
    pub spec: ServiceMonitorSpec,
}

/// ServiceMonitor spec.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    /// Endpoints (Service ports) to scrape.
    pub endpoints: Vec<Endpoint>,
    /// Namespaces to look for the Service in.
    pub namespace_selector: NamespaceSelector,
    /// Labels of the Services to scrape.
    pub selector: LabelSelector,
}

/// One scraped endpoint.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Scrape interval.
    pub interval: String,
    /// Metrics path.
    pub path: String,
    /// Name of the Service port.
    pub port: String,
    /// `http` or `https`.
    pub scheme: String,
}

/// Which namespaces a ServiceMonitor looks in.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Namespace names.
    pub match_names: Vec<String>,
}

/// A PrometheusRule: recording and alerting rules for Prometheus.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRule {
    /// Always [`API_VERSION`].
    pub api_version: &'static str,
    /// Always `PrometheusRule`.
    pub kind: &'static str,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// The rule groups.
    pub spec: PrometheusRuleSpec,
}

/// PrometheusRule spec.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PrometheusRuleSpec {
    /// Rule groups.
    pub groups: Vec<RuleGroup>,
}

/// A named group of rules evaluated together.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RuleGroup {
    /// Group name, unique in the resource.
    pub name: String,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// One alerting or recording rule: exactly one of `alert` and `record` is set.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Rule {
    /// Alert name (alerting rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// Summary, description and runbook URL (alerting rules).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The PromQL expression.
    pub expr: String,
    /// How long the condition must hold before the alert fires (alerting rules).
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_duration: Option<String>,
    /// Labels such as `severity`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Name of the recorded series (recording rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}
