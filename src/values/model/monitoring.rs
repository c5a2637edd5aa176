//! Monitoring: the exporter sidecar, ServiceMonitor, PrometheusRule and dashboard.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Image, Resources};

/// Monitoring settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Monitoring {
    /// Master switch: the exporter sidecar, metrics Service, ServiceMonitor and PrometheusRule.
    pub enabled: bool,
    /// The Prometheus exporter sidecar.
    pub exporter: Exporter,
    /// The metrics Service `postfix-relay-metrics`.
    pub service: MetricsService,
    /// The ServiceMonitor.
    pub service_monitor: ServiceMonitorValues,
    /// The PrometheusRule.
    pub prometheus_rule: PrometheusRuleValues,
    /// The Grafana dashboard ConfigMap.
    pub dashboard: DashboardValues,
    /// Whether the cluster must have the prometheus-operator CRDs (`monitoring.coreos.com/v1`).
    /// Only `relaygen argocd generate` knows what the cluster serves (Argo CD's
    /// `KUBE_API_VERSIONS`): when the ServiceMonitor or PrometheusRule kind is missing there,
    /// `false` leaves that object out with a warning, `true` fails the generation instead.
    pub require_crds: bool,
}

/// Exporter sidecar.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Exporter {
    /// Exporter image (Hsn723/postfix_exporter build).
    pub image: Image,
    /// CPU and memory of the exporter container.
    pub resources: Resources,
    /// The non-root user ID the exporter runs as.
    pub run_as_user: i64,
    /// The non-root group ID the exporter runs as. It reads the queue from Postfix's `showq`
    /// service over loopback TCP, so it needs no group of the Postfix image.
    pub run_as_group: i64,
}

/// The metrics Service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricsService {
    /// Service port (forwards to the exporter's `metrics` port 9154).
    pub port: u16,
}

/// ServiceMonitor settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceMonitorValues {
    /// Render the ServiceMonitor.
    pub enabled: bool,
    /// Scrape interval, e.g. `30s`.
    pub interval: String,
    /// Metrics path.
    pub path: String,
    /// Extra labels, e.g. the `release` label your Prometheus selects on.
    pub labels: BTreeMap<String, String>,
}

/// PrometheusRule settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusRuleValues {
    /// Render the PrometheusRule.
    pub enabled: bool,
    /// Extra labels on the PrometheusRule object, e.g. the label your Prometheus selects rules by.
    pub labels: BTreeMap<String, String>,
    /// Extra labels on every alert, e.g. `team: mail` for Alertmanager routing (Prometheus
    /// label names; `severity` is set per alert).
    pub alert_labels: BTreeMap<String, String>,
    /// Where the runbook lives: each alert's `runbook_url` annotation is this URL, `#` and the
    /// alert name in lower case (a Markdown heading anchor).
    pub runbook_url: String,
    /// The alerts, each switchable.
    pub alerts: Alerts,
}

/// The alert rules.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Alerts {
    /// `PostfixRelayDown`: Postfix does not answer the exporter's `showq` queries, or no relay
    /// pod is scraped at all.
    pub relay_down: Alert,
    /// `PostfixRelayExporterDown`: Prometheus cannot scrape a pod's exporter.
    pub exporter_down: Alert,
    /// `PostfixRelayHighQueue`: more than `threshold` messages queued in one pod.
    pub high_queue: ThresholdAlert,
    /// `PostfixRelayHighBounceRate`: more than `threshold` bounces per second (5-minute rate).
    pub high_bounce_rate: ThresholdAlert,
    /// `PostfixRelayDeferredQueueGrowing`: the deferred queue holds more than `threshold`
    /// messages more than 15 minutes earlier.
    pub deferred_queue_growing: ThresholdAlert,
    /// `PostfixRelayOldMessages`: a message (outside the hold queue) has waited longer than
    /// `threshold` seconds. The exporter reports ages in buckets, so the threshold must be one
    /// of 10, 100, 1000, 10000, 100000, 1000000, 10000000 or 100000000.
    pub old_messages: ThresholdAlert,
    /// `PostfixRelayRelayhostUnreachable`: more than `threshold` connection time-outs or
    /// network-class deferrals (DSN 4.4.x) towards the relayhost in 15 minutes.
    pub relayhost_unreachable: ThresholdAlert,
}

/// The bucket bounds, in seconds, of the exporter's `postfix_showq_message_age_seconds`
/// histogram (Hsn723/postfix_exporter `showq/showq.go`): the only ages an alert can test.
pub(crate) const MESSAGE_AGE_BUCKETS: [f64; 8] = [1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/// An alert without a threshold.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Alert {
    /// Render this alert.
    pub enabled: bool,
    /// How long the condition must hold, e.g. `5m`.
    #[serde(rename = "for")]
    pub for_duration: String,
    /// The `severity` label.
    pub severity: String,
}

/// An alert with a threshold.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ThresholdAlert {
    /// Render this alert.
    pub enabled: bool,
    /// The value above which the alert fires.
    pub threshold: f64,
    /// How long the condition must hold, e.g. `15m`.
    #[serde(rename = "for")]
    pub for_duration: String,
    /// The `severity` label.
    pub severity: String,
}

/// The Grafana dashboard, as a ConfigMap for Grafana's dashboard sidecar.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DashboardValues {
    /// Render the ConfigMap `postfix-relay-dashboard` (needs the PrometheusRule: the panels
    /// show its recorded series).
    pub enabled: bool,
    /// Labels the Grafana sidecar finds dashboards by (kube-prometheus-stack:
    /// `grafana_dashboard: "1"`).
    pub labels: BTreeMap<String, String>,
    /// Annotations on the ConfigMap, e.g. `grafana_folder` for the sidecar's folder support.
    pub annotations: BTreeMap<String, String>,
}
