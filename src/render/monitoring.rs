//! The ServiceMonitor and the PrometheusRule (recording rules for the dashboard, alerts).
//!
//! Metric names are those of Hsn723/postfix_exporter v0.20.4 (built as
//! `boky/postfix-exporter`): queue gauges and age histograms from `showq/showq.go`, log-parsed
//! counters from `exporter/postfix_exporter.go`. Every series carries the `job` (the metrics
//! Service's name, as prometheus-operator sets it), `namespace` and `pod` labels of the scrape
//! target, and every expression is scoped to this relay's job and namespace.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{COMPONENT_LABEL, Context, METRICS_PORT};
use crate::crd::{
    self, Endpoint, NamespaceSelector, PrometheusRule, PrometheusRuleSpec, Rule, RuleGroup, ServiceMonitor,
    ServiceMonitorSpec,
};
use crate::values::model::{Alert, ThresholdAlert};

/// Exporter metric names the rules read.
pub(crate) mod metric {
    /// Prometheus' own scrape health of each target.
    pub(crate) const UP: &str = "up";
    /// 1 when the exporter's last `showq` query (or log read, `path` = the log file) worked.
    pub(crate) const POSTFIX_UP: &str = "postfix_up";
    /// The matcher that keeps [`POSTFIX_UP`] of `showq`. The exporter exports one more, for the
    /// log file (`path` = the file), and labels the showq one with the address it dials
    /// (`localhost:10025`); excluding the log file holds whatever that label says.
    pub(crate) fn showq_up() -> String {
        format!(r#"path!="{}""#, crate::postfix::paths::MAILLOG_FILE)
    }
    /// Messages per queue (`queue` = active, deferred, hold, incoming, maildrop).
    pub(crate) const QUEUE_DEPTH: &str = "postfix_showq_queue_depth";
    /// Histogram of queued messages' ages (`queue`), reset on every scrape.
    pub(crate) const MESSAGE_AGE: &str = "postfix_showq_message_age_seconds";
    /// Delivery attempts by the smtp client, by `status` (sent, deferred, bounced, …).
    pub(crate) const SMTP_PROCESSED: &str = "postfix_smtp_messages_processed_total";
    /// `connect to …: Connection timed out` lines of the smtp client.
    pub(crate) const SMTP_TIMED_OUT: &str = "postfix_smtp_connection_timed_out_total";
    /// Deferrals by enhanced status code (`dsn`).
    pub(crate) const SMTP_DEFERRED_BY_DSN: &str = "postfix_smtp_deferred_messages_by_dsn_total";
    /// NOQUEUE rejects of the SMTP server, by reply `code`.
    pub(crate) const SMTPD_REJECTED: &str = "postfix_smtpd_messages_rejected_total";
    /// Incoming connections to the SMTP server.
    pub(crate) const SMTPD_CONNECTS: &str = "postfix_smtpd_connects_total";
}

/// Series the recording rules write; the dashboard draws them.
pub(crate) mod recorded {
    /// Delivery attempts per second, by `status`.
    pub(crate) const SMTP_MESSAGES_RATE: &str = "postfix_relay:smtp_messages_processed:rate5m";
    /// SMTP rejects per second, by reply `code`.
    pub(crate) const SMTPD_REJECTS_RATE: &str = "postfix_relay:smtpd_messages_rejected:rate5m";
    /// Incoming SMTP connections per second.
    pub(crate) const SMTPD_CONNECTS_RATE: &str = "postfix_relay:smtpd_connects:rate5m";
}

/// Names of the rule groups: the release name and these.
const RECORDS_GROUP: &str = "records";
const ALERTS_GROUP: &str = "alerts";

/// Scrapes the metrics Service in the relay's own namespace.
pub(crate) fn service_monitor(ctx: &Context<'_>) -> ServiceMonitor {
    let sm = &ctx.resolved.values.monitoring.service_monitor;
    let metadata = ctx.metadata_with_labels(ctx.name, ctx.labels_with_component("metrics", &sm.labels));
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
            selector: LabelSelector { match_labels: Some(metrics_service_selector(ctx)), ..LabelSelector::default() },
        },
    }
}

/// The labels that pick out the metrics Service (and only it: the SMTP Services carry another
/// `component`). Not `app.kubernetes.io/instance`: Argo CD's label-based resource tracking
/// rewrites that label on every object it manages to the Application's name, which would leave
/// the ServiceMonitor selecting nothing. The namespace selector scopes it to this relay.
pub(crate) fn metrics_service_selector(ctx: &Context<'_>) -> BTreeMap<String, String> {
    let mut selector = ctx.selector.clone();
    selector.remove("app.kubernetes.io/instance");
    selector.insert(COMPONENT_LABEL.into(), "metrics".into());
    selector
}

/// `{...}` matchers that scope a selector to this relay's scrape job and namespace, plus `extra`.
fn scope<'a>(ctx: &Context<'a>, extra: &'a str) -> Scope<'a> {
    Scope { job: ctx.metrics_service(), namespace: ctx.namespace, extra }
}

/// The matchers of [`scope`], written straight into the expression that uses them.
struct Scope<'a> {
    job: String,
    namespace: &'a str,
    extra: &'a str,
}

impl fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, r#"{{job="{}", namespace="{}""#, self.job, self.namespace)?;
        if !self.extra.is_empty() {
            write!(f, ", {}", self.extra)?;
        }
        f.write_str("}")
    }
}

fn record(name: &str, expr: String) -> Rule {
    Rule {
        alert: None,
        annotations: BTreeMap::new(),
        expr,
        for_duration: None,
        labels: BTreeMap::new(),
        record: Some(name.into()),
    }
}

/// The recording rules the dashboard draws: 5-minute rates summed per pod. They keep `job`, so
/// two releases in one namespace stay apart on the dashboard.
fn records(ctx: &Context<'_>) -> Vec<Rule> {
    vec![
        record(
            recorded::SMTP_MESSAGES_RATE,
            format!("sum by (job, namespace, pod, status) (rate({}{}[5m]))", metric::SMTP_PROCESSED, scope(ctx, "")),
        ),
        record(
            recorded::SMTPD_REJECTS_RATE,
            format!("sum by (job, namespace, pod, code) (rate({}{}[5m]))", metric::SMTPD_REJECTED, scope(ctx, "")),
        ),
        record(
            recorded::SMTPD_CONNECTS_RATE,
            format!("sum by (job, namespace, pod) (rate({}{}[5m]))", metric::SMTPD_CONNECTS, scope(ctx, "")),
        ),
    ]
}

/// What an alert says, before the values' labels and the runbook link are added.
struct AlertText {
    name: &'static str,
    expr: String,
    summary: String,
    description: String,
}

/// The `le` matcher of the age bucket whose bound is `seconds` (one of the validated
/// [`crate::values::model::MESSAGE_AGE_BUCKETS`]). Go's shortest `%g` spells 1e6 and up with an exponent
/// (`1e+06`); smaller bounds are whole numbers, which Prometheus 2 keeps as `10000` and
/// Prometheus 3 normalises to `10000.0` on ingestion, so those match both spellings.
fn age_bucket_matcher(seconds: f64) -> String {
    let exponent = seconds.log10().round() as i32;
    if exponent >= 6 { format!(r#"le="1e+{exponent:02}""#) } else { format!(r#"le=~"{seconds}(\\.0)?""#) }
}

/// `10000` → `2h46m40s`.
fn human_seconds(seconds: f64) -> String {
    // Validated bucket bounds are whole numbers of at most 1e8 seconds.
    let mut rest = seconds as u64;
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// Where an alert fired, within a sentence.
const WHERE: &str = "pod {{ $labels.pod }} in namespace {{ $labels.namespace }}";

/// Where an alert fired, starting a sentence.
const POD: &str = "Pod {{ $labels.pod }} in namespace {{ $labels.namespace }}";

/// Every alert's text and settings, in the order the PrometheusRule lists them.
fn texts<'a>(ctx: &Context<'a>) -> Vec<(AlertText, AlertSettings<'a>)> {
    let mut out = health_alerts(ctx);
    out.extend(queue_alerts(ctx));
    out.extend(delivery_alerts(ctx));
    out
}

/// Postfix or its exporter is down.
fn health_alerts<'a>(ctx: &Context<'a>) -> Vec<(AlertText, AlertSettings<'a>)> {
    let alerts = &ctx.resolved.values.monitoring.prometheus_rule.alerts;
    let where_ = WHERE;
    let mut out = Vec::new();

    let showq_up = metric::showq_up();
    out.push((
        AlertText {
            name: "PostfixRelayDown",
            expr: format!(
                "max by (namespace, pod) ({}{}) == 0\nor absent({}{})",
                metric::POSTFIX_UP,
                scope(ctx, &showq_up),
                metric::UP,
                scope(ctx, "")
            ),
            summary: "Postfix relay is down".into(),
            description: format!(
                "{{{{ if $labels.pod }}}}Postfix in {where_} does not answer the exporter's showq queries: \
                 it is not running or its queue is unreadable.{{{{ else }}}}No {} pod in namespace \
                 {{{{ $labels.namespace }}}} is scraped: the relay is gone or Prometheus cannot find it.{{{{ end }}}}",
                ctx.name
            ),
        },
        AlertSettings::plain(&alerts.relay_down),
    ));
    out.push((
        AlertText {
            name: "PostfixRelayExporterDown",
            expr: format!("{}{} == 0", metric::UP, scope(ctx, "")),
            summary: "Postfix relay exporter cannot be scraped".into(),
            description: format!(
                "Prometheus cannot scrape the exporter of {where_}: its queue and delivery metrics are missing."
            ),
        },
        AlertSettings::plain(&alerts.exporter_down),
    ));
    out
}

/// The queue is large, bounces are frequent, or the deferred queue grows.
fn queue_alerts<'a>(ctx: &Context<'a>) -> Vec<(AlertText, AlertSettings<'a>)> {
    let alerts = &ctx.resolved.values.monitoring.prometheus_rule.alerts;
    let relayhost = ctx.resolved.relay_host.to_string();
    let (where_, pod) = (WHERE, POD);
    let mut out = Vec::new();
    let t = alerts.high_queue.threshold;
    out.push((
        AlertText {
            name: "PostfixRelayHighQueue",
            expr: format!("sum by (namespace, pod) ({}{}) > {t}", metric::QUEUE_DEPTH, scope(ctx, "")),
            summary: "Postfix relay mail queue is large".into(),
            description: format!("{pod} has {{{{ $value }}}} messages queued (threshold {t})."),
        },
        AlertSettings::threshold(&alerts.high_queue),
    ));
    let t = alerts.high_bounce_rate.threshold;
    out.push((
        AlertText {
            name: "PostfixRelayHighBounceRate",
            expr: format!(
                "sum by (namespace, pod) (rate({}{}[5m])) > {t}",
                metric::SMTP_PROCESSED,
                scope(ctx, r#"status="bounced""#)
            ),
            summary: "Postfix relay bounces mail".into(),
            description: format!("{pod} bounces {{{{ printf \"%.2f\" $value }}}} messages per second (threshold {t})."),
        },
        AlertSettings::threshold(&alerts.high_bounce_rate),
    ));
    let t = alerts.deferred_queue_growing.threshold;
    out.push((
        AlertText {
            name: "PostfixRelayDeferredQueueGrowing",
            expr: format!(
                "sum by (namespace, pod) (delta({}{}[15m])) > {t}",
                metric::QUEUE_DEPTH,
                scope(ctx, r#"queue="deferred""#)
            ),
            summary: "Postfix relay defers more and more mail".into(),
            description: format!(
                "The deferred queue of {where_} grew by {{{{ printf \"%.0f\" $value }}}} messages in 15 minutes \
                 (threshold {t}): deliveries to {relayhost} keep failing."
            ),
        },
        AlertSettings::threshold(&alerts.deferred_queue_growing),
    ));
    out
}

/// Mail waits too long, or the relayhost cannot be reached.
fn delivery_alerts<'a>(ctx: &Context<'a>) -> Vec<(AlertText, AlertSettings<'a>)> {
    let alerts = &ctx.resolved.values.monitoring.prometheus_rule.alerts;
    let relayhost = ctx.resolved.relay_host.to_string();
    let (where_, pod) = (WHERE, POD);
    let mut out = Vec::new();
    let t = alerts.old_messages.threshold;
    let age = human_seconds(t);
    out.push((
        AlertText {
            name: "PostfixRelayOldMessages",
            expr: format!(
                "sum by (namespace, pod) ({m}_count{all})\n- sum by (namespace, pod) ({m}_bucket{old})\n> 0",
                m = metric::MESSAGE_AGE,
                all = scope(ctx, r#"queue!="hold""#),
                old = scope(ctx, &format!(r#"queue!="hold", {}"#, age_bucket_matcher(t))),
            ),
            summary: "Postfix relay holds old messages".into(),
            description: format!(
                "{{{{ $value }}}} messages in {where_} have waited longer than {age} for delivery to {relayhost}."
            ),
        },
        AlertSettings::threshold(&alerts.old_messages),
    ));
    let t = alerts.relayhost_unreachable.threshold;
    out.push((
        AlertText {
            name: "PostfixRelayRelayhostUnreachable",
            expr: format!(
                "sum by (namespace, pod) (increase({}{}[15m])) > {t}\nor sum by (namespace, pod) (increase({}{}[15m])) > {t}",
                metric::SMTP_TIMED_OUT,
                scope(ctx, ""),
                metric::SMTP_DEFERRED_BY_DSN,
                scope(ctx, r#"dsn=~"4\\.4\\..+""#),
            ),
            summary: "Postfix relay cannot reach the relayhost".into(),
            description: format!(
                "{pod} counted {{{{ printf \"%.0f\" $value }}}} connection time-outs or network deferrals \
                 (DSN 4.4.x) towards {relayhost} in 15 minutes (threshold {t})."
            ),
        },
        AlertSettings::threshold(&alerts.relayhost_unreachable),
    ));
    out
}

/// The values-controlled part of one alert.
struct AlertSettings<'a> {
    enabled: bool,
    for_duration: &'a str,
    severity: &'a str,
}

impl<'a> AlertSettings<'a> {
    fn plain(a: &'a Alert) -> Self {
        AlertSettings { enabled: a.enabled, for_duration: &a.for_duration, severity: &a.severity }
    }

    fn threshold(a: &'a ThresholdAlert) -> Self {
        AlertSettings { enabled: a.enabled, for_duration: &a.for_duration, severity: &a.severity }
    }
}

/// The alerting rules that are switched on.
fn alerts(ctx: &Context<'_>) -> Vec<Rule> {
    let pr = &ctx.resolved.values.monitoring.prometheus_rule;
    texts(ctx)
        .into_iter()
        .filter(|(_, settings)| settings.enabled)
        .map(|(text, settings)| {
            let mut labels = pr.alert_labels.clone();
            labels.insert("severity".into(), settings.severity.to_owned());
            Rule {
                alert: Some(text.name.into()),
                annotations: BTreeMap::from([
                    ("description".to_owned(), text.description),
                    ("runbook_url".to_owned(), format!("{}#{}", pr.runbook_url, text.name.to_lowercase())),
                    ("summary".to_owned(), text.summary),
                ]),
                expr: text.expr,
                for_duration: Some(settings.for_duration.to_owned()),
                labels,
                record: None,
            }
        })
        .collect()
}

/// The recording rules and the alerts that are switched on; `None` when the PrometheusRule
/// is off.
pub(crate) fn prometheus_rule(ctx: &Context<'_>) -> Option<PrometheusRule> {
    let pr = &ctx.resolved.values.monitoring.prometheus_rule;
    if !pr.enabled {
        return None;
    }
    let mut groups = vec![RuleGroup { name: format!("{}.{RECORDS_GROUP}", ctx.name), rules: records(ctx) }];
    let alerts = alerts(ctx);
    if !alerts.is_empty() {
        groups.push(RuleGroup { name: format!("{}.{ALERTS_GROUP}", ctx.name), rules: alerts });
    }
    let metadata = ctx.metadata_with_labels(ctx.name, ctx.labels_with_component("metrics", &pr.labels));
    Some(PrometheusRule {
        api_version: crd::API_VERSION,
        kind: "PrometheusRule",
        metadata,
        spec: PrometheusRuleSpec { groups },
    })
}

#[cfg(test)]
mod tests {
    use super::{age_bucket_matcher, human_seconds};

    #[test]
    fn age_bounds_match_both_prometheus_spellings_of_le() {
        assert_eq!(age_bucket_matcher(1e1), r#"le=~"10(\\.0)?""#);
        assert_eq!(age_bucket_matcher(1e4), r#"le=~"10000(\\.0)?""#);
        assert_eq!(age_bucket_matcher(1e5), r#"le=~"100000(\\.0)?""#);
        assert_eq!(age_bucket_matcher(1e6), r#"le="1e+06""#);
        assert_eq!(age_bucket_matcher(1e8), r#"le="1e+08""#);
    }

    #[test]
    fn ages_read_as_durations() {
        assert_eq!(human_seconds(10.0), "10s");
        assert_eq!(human_seconds(1e4), "2h46m40s");
        assert_eq!(human_seconds(1e5), "1d3h46m40s");
    }
}
