//! The Grafana dashboard `postfix-relay-dashboard`: a ConfigMap the Grafana sidecar of
//! kube-prometheus-stack picks up by its `grafana_dashboard` label.
//!
//! The panels draw the queue gauge and `postfix_up` straight from the exporter and the rates
//! the PrometheusRule records, so every series they show is one the rules (and their promtool
//! unit tests) also use.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Context;
use super::monitoring::{metric, recorded};
use crate::error::{Error, Result};

/// Grafana's longest dashboard uid.
const MAX_UID: usize = 40;

// The Grafana JSON model, typed. Fields are declared in the byte order of their JSON names, so
// the keys come out sorted, as Grafana itself and a `jq -S` diff show them.

/// A dashboard (Grafana's JSON model, the parts this one uses).
#[derive(Serialize)]
struct Dashboard {
    editable: bool,
    panels: Vec<Panel>,
    refresh: &'static str,
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    tags: [&'static str; 2],
    templating: Templating,
    time: TimeRange,
    timezone: &'static str,
    title: String,
    uid: String,
}

/// The data source every panel and query reads: the dashboard variable `datasource`.
#[derive(Serialize)]
struct DataSource {
    r#type: &'static str,
    uid: &'static str,
}

const DATASOURCE: DataSource = DataSource { r#type: "prometheus", uid: "${datasource}" };

/// One time-series panel.
#[derive(Serialize)]
struct Panel {
    datasource: DataSource,
    description: &'static str,
    #[serde(rename = "fieldConfig")]
    field_config: FieldConfig,
    #[serde(rename = "gridPos")]
    grid_pos: GridPos,
    id: u32,
    options: PanelOptions,
    targets: Vec<Target>,
    title: &'static str,
    r#type: &'static str,
}

#[derive(Serialize)]
struct FieldConfig {
    defaults: FieldDefaults,
    overrides: [(); 0],
}

#[derive(Serialize)]
struct FieldDefaults {
    unit: &'static str,
}

#[derive(Serialize)]
struct GridPos {
    h: u32,
    w: u32,
    x: u32,
    y: u32,
}

#[derive(Serialize)]
struct PanelOptions {
    legend: Legend,
    tooltip: Tooltip,
}

#[derive(Serialize)]
struct Legend {
    #[serde(rename = "displayMode")]
    display_mode: &'static str,
    placement: &'static str,
}

#[derive(Serialize)]
struct Tooltip {
    mode: &'static str,
}

/// One PromQL query of a panel.
#[derive(Serialize)]
struct Target {
    datasource: DataSource,
    expr: String,
    #[serde(rename = "legendFormat")]
    legend_format: &'static str,
    #[serde(rename = "refId")]
    ref_id: String,
}

#[derive(Serialize)]
struct Templating {
    list: [Variable; 1],
}

/// A dashboard variable.
#[derive(Serialize)]
struct Variable {
    current: Empty,
    hide: u32,
    label: &'static str,
    name: &'static str,
    query: &'static str,
    r#type: &'static str,
}

/// `{}`.
#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct TimeRange {
    from: &'static str,
    to: &'static str,
}

/// One time-series panel on a 24-column grid, two panels per row.
fn panel(
    id: u32,
    title: &'static str,
    unit: &'static str,
    description: &'static str,
    targets: Vec<(String, &'static str)>,
) -> Panel {
    let row = (id - 1) / 2;
    let column = (id - 1) % 2;
    let targets = targets
        .into_iter()
        .zip('A'..)
        .map(|((expr, legend_format), ref_id)| Target {
            datasource: DATASOURCE,
            expr,
            legend_format,
            ref_id: ref_id.to_string(),
        })
        .collect();
    Panel {
        datasource: DATASOURCE,
        description,
        field_config: FieldConfig { defaults: FieldDefaults { unit }, overrides: [] },
        grid_pos: GridPos { h: 8, w: 12, x: column * 12, y: row * 8 },
        id,
        options: PanelOptions {
            legend: Legend { display_mode: "list", placement: "bottom" },
            tooltip: Tooltip { mode: "multi" },
        },
        targets,
        title,
        r#type: "timeseries",
    }
}

/// The dashboard JSON model for the release `name` in `namespace`, whose series carry the job
/// label `job`.
fn dashboard_json(name: &str, namespace: &str, job: &str) -> Dashboard {
    let scrape = format!(r#"job="{job}", namespace="{namespace}""#);
    let recorded_in = &scrape;
    let panels = vec![
        panel(
            1,
            "Queue depth by queue",
            "short",
            "Messages in each Postfix queue, all pods (showq).",
            vec![(format!("sum by (queue) ({}{{{scrape}}})", metric::QUEUE_DEPTH), "{{queue}}")],
        ),
        panel(
            2,
            "Deliveries by status",
            "ops",
            "Delivery attempts to the relayhost per second: sent, deferred, bounced.",
            vec![(format!("sum by (status) ({}{{{recorded_in}}})", recorded::SMTP_MESSAGES_RATE), "{{status}}")],
        ),
        panel(
            3,
            "Rejected messages by reply code",
            "ops",
            "SMTP commands rejected per second (e.g. 554 relay access denied).",
            vec![(format!("sum by (code) ({}{{{recorded_in}}})", recorded::SMTPD_REJECTS_RATE), "{{code}}")],
        ),
        panel(
            4,
            "Incoming connections",
            "ops",
            "Client connections to port 25 per second, by pod.",
            vec![(format!("sum by (pod) ({}{{{recorded_in}}})", recorded::SMTPD_CONNECTS_RATE), "{{pod}}")],
        ),
        panel(
            5,
            "Postfix answering showq",
            "short",
            "1 when the exporter could read the queue of the pod's Postfix, 0 when not.",
            vec![(format!("max by (pod) ({}{{{scrape}, {}}})", metric::POSTFIX_UP, metric::showq_up()), "{{pod}}")],
        ),
    ];
    // One uid per release and namespace, within Grafana's 40 characters: the name and a hash
    // of the namespace, or for a long name a hash of both.
    let namespace_hash = super::config_map::hex(&Sha256::digest(namespace.as_bytes())[..6]);
    let mut uid = format!("{name}-{namespace_hash}");
    if uid.len() > MAX_UID {
        uid = super::config_map::hex(&Sha256::digest(format!("{namespace}/{name}").as_bytes())[..MAX_UID / 2]);
    }
    Dashboard {
        editable: true,
        panels,
        refresh: "1m",
        schema_version: 39,
        tags: ["postfix", "smtp-relay"],
        templating: Templating {
            list: [Variable {
                current: Empty {},
                hide: 0,
                label: "Data source",
                name: "datasource",
                query: "prometheus",
                r#type: "datasource",
            }],
        },
        time: TimeRange { from: "now-6h", to: "now" },
        timezone: "browser",
        title: format!("Postfix relay ({namespace}/{name})"),
        uid,
    }
}

/// The dashboard ConfigMap, when it is switched on.
pub(crate) fn dashboard(ctx: &Context<'_>) -> Result<Option<ConfigMap>> {
    let values = &ctx.resolved.values.monitoring;
    if !(values.enabled && values.dashboard.enabled) {
        return Ok(None);
    }
    let mut json = Vec::new();
    serde_json::to_writer_pretty(&mut json, &dashboard_json(ctx.name, ctx.namespace, &ctx.metrics_service()))
        .map_err(|e| Error::Internal(format!("dashboard JSON: {e}")))?;
    json.push(b'\n');
    let json = String::from_utf8(json).map_err(|e| Error::Internal(format!("dashboard JSON: {e}")))?;
    let mut metadata = ctx.metadata_with_labels(
        &format!("{}-dashboard", ctx.name),
        ctx.labels_with_component("metrics", &values.dashboard.labels),
    );
    metadata.annotations = (!values.dashboard.annotations.is_empty()).then(|| values.dashboard.annotations.clone());
    Ok(Some(ConfigMap {
        metadata,
        data: Some(BTreeMap::from([(format!("{}.json", ctx.name), json)])),
        ..ConfigMap::default()
    }))
}
