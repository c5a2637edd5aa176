//! The Grafana dashboard `postfix-relay-dashboard`: a ConfigMap the Grafana sidecar of
//! kube-prometheus-stack picks up by its `grafana_dashboard` label.
//!
//! The panels draw the queue gauge and `postfix_up` straight from the exporter and the rates
//! the PrometheusRule records, so every series they show is one the rules (and their promtool
//! unit tests) also use.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::monitoring::{metric, recorded};
use super::{Context, METRICS_SERVICE};
use crate::error::{Error, Result};

/// The ConfigMap's name.
pub(crate) const DASHBOARD_NAME: &str = "postfix-relay-dashboard";
/// The ConfigMap key holding the dashboard JSON.
pub(crate) const DASHBOARD_KEY: &str = "postfix-relay.json";

/// One time-series panel on a 24-column grid, two panels per row.
fn panel(id: u32, title: &str, unit: &str, description: &str, targets: &[(&str, &str)]) -> Value {
    let row = (id - 1) / 2;
    let column = (id - 1) % 2;
    let targets: Vec<Value> = targets
        .iter()
        .zip('A'..)
        .map(|((expr, legend), ref_id)| {
            json!({
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": expr,
                "legendFormat": legend,
                "refId": ref_id.to_string(),
            })
        })
        .collect();
    json!({
        "id": id,
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": column * 12, "y": row * 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
        "targets": targets,
    })
}

/// The dashboard JSON model for the relay in `namespace`.
pub(crate) fn dashboard_json(namespace: &str) -> Value {
    let scrape = format!(r#"job="{METRICS_SERVICE}", namespace="{namespace}""#);
    let recorded_in = format!(r#"namespace="{namespace}""#);
    let panels = vec![
        panel(
            1,
            "Queue depth by queue",
            "short",
            "Messages in each Postfix queue, all pods (showq).",
            &[(&format!("sum by (queue) ({}{{{scrape}}})", metric::QUEUE_DEPTH), "{{queue}}")],
        ),
        panel(
            2,
            "Deliveries by status",
            "ops",
            "Delivery attempts to the relayhost per second: sent, deferred, bounced.",
            &[(&format!("sum by (status) ({}{{{recorded_in}}})", recorded::SMTP_MESSAGES_RATE), "{{status}}")],
        ),
        panel(
            3,
            "Rejected messages by reply code",
            "ops",
            "SMTP commands rejected per second (e.g. 554 relay access denied).",
            &[(&format!("sum by (code) ({}{{{recorded_in}}})", recorded::SMTPD_REJECTS_RATE), "{{code}}")],
        ),
        panel(
            4,
            "Incoming connections",
            "ops",
            "Client connections to port 25 per second, by pod.",
            &[(&format!("sum by (pod) ({}{{{recorded_in}}})", recorded::SMTPD_CONNECTS_RATE), "{{pod}}")],
        ),
        panel(
            5,
            "Postfix answering showq",
            "short",
            "1 when the exporter could read the queue of the pod's Postfix, 0 when not.",
            &[(&format!(r#"max by (pod) ({}{{{scrape}, path=~".*showq.*"}})"#, metric::POSTFIX_UP), "{{pod}}")],
        ),
    ];
    // Grafana limits uids to 40 characters; a namespace may have 63.
    let digest = Sha256::digest(namespace.as_bytes());
    let uid: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    json!({
        "uid": format!("postfix-relay-{uid}"),
        "title": format!("Postfix relay ({namespace})"),
        "tags": ["postfix", "smtp-relay"],
        "editable": true,
        "schemaVersion": 39,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "timezone": "browser",
        "templating": {"list": [{
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "prometheus",
            "current": {},
            "hide": 0,
        }]},
        "panels": panels,
    })
}

/// The dashboard ConfigMap, when it is switched on.
pub(crate) fn dashboard(ctx: &Context<'_>) -> Result<Option<ConfigMap>> {
    let values = &ctx.resolved.values.monitoring;
    if !(values.enabled && values.dashboard.enabled) {
        return Ok(None);
    }
    let json = serde_json::to_string_pretty(&dashboard_json(ctx.namespace))
        .map_err(|e| Error::Internal(format!("dashboard JSON: {e}")))?;
    let mut metadata = ctx.metadata(DASHBOARD_NAME);
    let mut labels = ctx.labels_with_component("metrics");
    labels.extend(values.dashboard.labels.clone());
    metadata.labels = Some(labels);
    metadata.annotations = (!values.dashboard.annotations.is_empty()).then(|| values.dashboard.annotations.clone());
    Ok(Some(ConfigMap {
        metadata,
        data: Some(BTreeMap::from([(DASHBOARD_KEY.to_owned(), json + "\n")])),
        ..ConfigMap::default()
    }))
}
