//! The ServiceMonitor and the PrometheusRule.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{Context, METRICS_PORT, METRICS_SERVICE, NAME};
use crate::crd::{
    self, Endpoint, NamespaceSelector, PrometheusRule, PrometheusRuleSpec, Rule, RuleGroup, ServiceMonitor,
    ServiceMonitorSpec,
};

/// Scrapes the metrics Service in the relay's own namespace.
pub(crate) fn service_monitor(ctx: &Context<'_>) -> ServiceMonitor {
    let sm = &ctx.resolved.values.monitoring.service_monitor;
    let mut metadata = ctx.metadata(NAME);
    let mut labels = ctx.labels_with_component("metrics");
    labels.extend(sm.labels.clone());
    metadata.labels = Some(labels);
    let mut selector = ctx.selector.clone();
    selector.insert("app.kubernetes.io/component".into(), "metrics".into());
    ServiceMonitor {
        api_version: crd::API_VERSION,
        kind: "ServiceMonitor",
        metadata,
        spec: ServiceMonitorSpec {
            endpoints: vec![Endpoint {
                interval: sm.interval.clone(),
                path: sm.path.clone(),
                port: METRICS_PORT.1.into(),
                scheme: "http".into(),
            }],
            namespace_selector: NamespaceSelector { match_names: vec![ctx.namespace.to_owned()] },
            selector: LabelSelector { match_labels: Some(selector), ..LabelSelector::default() },
        },
    }
}

fn rule(alert: &str, expr: String, for_duration: &str, severity: &str, summary: &str, description: &str) -> Rule {
    Rule {
        alert: alert.into(),
        annotations: BTreeMap::from([
            ("description".to_owned(), description.to_owned()),
            ("summary".to_owned(), summary.to_owned()),
        ]),
        expr,
        for_duration: for_duration.into(),
        labels: BTreeMap::from([("severity".to_owned(), severity.to_owned())]),
    }
}

/// The alert rules that are switched on; `None` when none are.
pub(crate) fn prometheus_rule(ctx: &Context<'_>) -> Option<PrometheusRule> {
    let pr = &ctx.resolved.values.monitoring.prometheus_rule;
    if !pr.enabled {
        return None;
    }
    let ns = ctx.namespace;
    let scope = format!(r#"job="{METRICS_SERVICE}", namespace="{ns}""#);
    let alerts = &pr.alerts;
    let mut rules = Vec::new();
    if alerts.relay_down.enabled {
        rules.push(rule(
            "PostfixRelayDown",
            // The exporter's scrape target is down, Postfix's showq does not answer, or the
            // target has vanished altogether.
            format!(
                "up{{{scope}}} == 0\nor max by (namespace, pod) (postfix_up{{{scope}, path=~\".*showq.*\"}}) == 0\nor absent(up{{{scope}}})"
            ),
            &alerts.relay_down.for_duration,
            &alerts.relay_down.severity,
            "Postfix relay is down",
            "Postfix relay pod {{ $labels.pod }} in namespace {{ $labels.namespace }} is not running or cannot be scraped.",
        ));
    }
    if alerts.high_queue.enabled {
        rules.push(rule(
            "PostfixRelayHighQueue",
            format!(
                "sum by (namespace, pod) (postfix_showq_queue_depth{{{scope}}}) > {}",
                alerts.high_queue.threshold
            ),
            &alerts.high_queue.for_duration,
            &alerts.high_queue.severity,
            "Postfix relay mail queue is large",
            "Postfix relay pod {{ $labels.pod }} in namespace {{ $labels.namespace }} has {{ $value }} messages queued.",
        ));
    }
    if alerts.high_bounce_rate.enabled {
        rules.push(rule(
            "PostfixRelayHighBounceRate",
            format!(
                "sum by (namespace, pod) (rate(postfix_smtp_messages_processed_total{{{scope}, status=\"bounced\"}}[5m])) > {}",
                alerts.high_bounce_rate.threshold
            ),
            &alerts.high_bounce_rate.for_duration,
            &alerts.high_bounce_rate.severity,
            "Postfix relay bounces mail",
            "Postfix relay pod {{ $labels.pod }} in namespace {{ $labels.namespace }} bounces {{ $value }} messages per second.",
        ));
    }
    if rules.is_empty() {
        return None;
    }
    let mut metadata = ctx.metadata(NAME);
    let mut labels = ctx.labels_with_component("metrics");
    labels.extend(pr.labels.clone());
    metadata.labels = Some(labels);
    Some(PrometheusRule {
        api_version: crd::API_VERSION,
        kind: "PrometheusRule",
        metadata,
        spec: PrometheusRuleSpec { groups: vec![RuleGroup { name: NAME.into(), rules }] },
    })
}
