//! Monitoring: the exporter's user, the ServiceMonitor, the PrometheusRule's alerts and labels,
//! and the dashboard.

use super::{Report, check_labels};
use crate::values::model::{Alerts, Exporter, MESSAGE_AGE_BUCKETS, Monitoring, Values};
use crate::values::syntax::{is_label_value, is_prometheus_duration, is_prometheus_label_name};

/// The exporter, ServiceMonitor, PrometheusRule and dashboard, when monitoring is on.
pub(super) fn check_monitoring(values: &Values, r: &mut Report<'_>) {
    let m = &values.monitoring;
    if !m.enabled {
        return;
    }
    check_scrape(m, r);
    check_alerts(&m.prometheus_rule.alerts, r);
    check_rule(m, r);
    check_labels(r, "monitoring.serviceMonitor.labels", m.service_monitor.labels.iter(), true);
    check_labels(r, "monitoring.prometheusRule.labels", m.prometheus_rule.labels.iter(), true);
    check_labels(r, "monitoring.dashboard.labels", m.dashboard.labels.iter(), true);
    check_labels(r, "monitoring.dashboard.annotations", m.dashboard.annotations.iter(), false);
}

/// The metrics port, scrape interval and path, and the exporter's user.
fn check_scrape(m: &Monitoring, r: &mut Report<'_>) {
    if m.service.port == 0 {
        r.error("monitoring.service.port", "port 0 is not a valid port", "a port from 1 to 65535 (default 8080)");
    }
    if !is_prometheus_duration(&m.service_monitor.interval) {
        r.error(
            "monitoring.serviceMonitor.interval",
            format!("`{}` is not a duration", m.service_monitor.interval),
            "e.g. 30s or 1m",
        );
    }
    if !m.service_monitor.path.starts_with('/') {
        r.error("monitoring.serviceMonitor.path", "the metrics path must start with /", "e.g. /metrics");
    }
    check_exporter_ids(&m.exporter, r);
}

/// Every alert's `for` and severity, the thresholds, and the message age a histogram can tell.
fn check_alerts(alerts: &Alerts, r: &mut Report<'_>) {
    let plain = [("relayDown", &alerts.relay_down), ("exporterDown", &alerts.exporter_down)];
    let thresholds = [
        ("highQueue", &alerts.high_queue),
        ("highBounceRate", &alerts.high_bounce_rate),
        ("deferredQueueGrowing", &alerts.deferred_queue_growing),
        ("oldMessages", &alerts.old_messages),
        ("relayhostUnreachable", &alerts.relayhost_unreachable),
    ];
    let settings = plain
        .iter()
        .map(|(n, a)| (*n, &a.for_duration, &a.severity))
        .chain(thresholds.iter().map(|(n, a)| (*n, &a.for_duration, &a.severity)));
    for (name, duration, severity) in settings {
        let path = "monitoring.prometheusRule.alerts";
        if !is_prometheus_duration(duration) {
            r.error(&format!("{path}.{name}.for"), format!("`{duration}` is not a duration"), "e.g. 5m");
        }
        if !is_label_value(severity) || severity.is_empty() {
            r.error(
                &format!("{path}.{name}.severity"),
                format!("`{severity}` is not a valid label value"),
                "e.g. critical or warning",
            );
        }
    }
    for (name, alert) in thresholds {
        if !alert.threshold.is_finite() || alert.threshold < 0.0 {
            let path = format!("monitoring.prometheusRule.alerts.{name}.threshold");
            r.error(&path, format!("the threshold {} is not a number of 0 or more", alert.threshold), "0 or more");
        }
    }
    let age = alerts.old_messages.threshold;
    if alerts.old_messages.enabled && age.is_finite() && !MESSAGE_AGE_BUCKETS.contains(&age) {
        r.error(
            "monitoring.prometheusRule.alerts.oldMessages.threshold",
            format!("{age} seconds is not a bucket bound of the exporter's message age histogram"),
            "one of 10, 100, 1000, 10000 (2h46m40s), 100000 (1d3h46m40s), 1000000, 10000000, 100000000",
        );
    }
}

/// The PrometheusRule's extra alert labels and runbook URL, and the dashboard that needs it.
fn check_rule(m: &Monitoring, r: &mut Report<'_>) {
    let pr = &m.prometheus_rule;
    for key in pr.alert_labels.keys() {
        if key == "severity" {
            r.error(
                &format!("monitoring.prometheusRule.alertLabels.{key}"),
                "`severity` is set per alert",
                "monitoring.prometheusRule.alerts.NAME.severity",
            );
        } else if !is_prometheus_label_name(key) {
            r.error(
                &format!("monitoring.prometheusRule.alertLabels.{key}"),
                format!("`{key}` is not a Prometheus label name"),
                "letters, digits and `_`, not starting with a digit or `__`, e.g. team",
            );
        }
    }
    let url = &pr.runbook_url;
    let scheme_ok = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('#') && rest.chars().all(|c| c.is_ascii_graphic()));
    if pr.enabled && !scheme_ok {
        r.error(
            "monitoring.prometheusRule.runbookUrl",
            format!("`{url}` is not an http(s) URL without a fragment"),
            "e.g. https://wiki.example.com/runbooks/postfix-relay (each alert appends #alertname)",
        );
    }
    if m.dashboard.enabled && !pr.enabled {
        r.error(
            "monitoring.dashboard.enabled",
            "the dashboard draws series the PrometheusRule records, but the PrometheusRule is off",
            "monitoring.prometheusRule.enabled=true, or monitoring.dashboard.enabled=false",
        );
    }
}

/// The exporter must run as a non-root user and group (Pod Security `restricted`).
fn check_exporter_ids(exporter: &Exporter, r: &mut Report<'_>) {
    if !(1..=i64::from(u32::MAX)).contains(&exporter.run_as_user) {
        r.error(
            "monitoring.exporter.runAsUser",
            format!("{} is not a non-root user ID", exporter.run_as_user),
            "a UID from 1 to 4294967295; 10000 or more keeps clear of the node's users (default 65534)",
        );
    }
    if !(1..=i64::from(u32::MAX)).contains(&exporter.run_as_group) {
        r.error(
            "monitoring.exporter.runAsGroup",
            format!("{} is not a non-root group ID", exporter.run_as_group),
            "a GID from 1 to 4294967295; 10000 or more keeps clear of the node's groups (default 65534)",
        );
    }
}
