//! Keys the user set that have no effect under the current switches: `deployment.replicas`
//! while autoscaling sets the pod count, `queue.persistence.size` without a persistent queue,
//! anything under `monitoring` with monitoring off. Rendering ignores them, so a change to
//! them would otherwise be a silent no-op; each is a warning (an error under `--strict`).
//!
//! One table says it all: a switch, the state in which it makes some keys moot, and those
//! keys. It is checked against the keys the user's layers set (profile, `-f`, `--set`), never
//! against the built-in defaults, which set every key.

use super::model::{Alert, StrategyType, ThresholdAlert, Values};
use super::set::escape_key;
use super::tree::{Node, Value};
use crate::error::{Diagnostic, Origin};

/// Keys that have no effect while a switch is in some state.
struct Rule {
    /// The switch and its state, as the warning says it, e.g. "`autoscaling.enabled` is true".
    when: &'static str,
    /// True when the switch is in that state (the keys are then ignored).
    holds: fn(&Values) -> bool,
    /// The keys (and everything under them) the state makes moot.
    keys: &'static [&'static str],
    /// What to do instead.
    help: &'static str,
}

fn alert(values: &Values) -> &super::model::Alerts {
    &values.monitoring.prometheus_rule.alerts
}

fn off(alert: &Alert) -> bool {
    !alert.enabled
}

fn threshold_off(alert: &ThresholdAlert) -> bool {
    !alert.enabled
}

/// Every switch that makes keys moot, outermost first: a key is reported for the first rule
/// that covers it (`monitoring.serviceMonitor.labels` under `monitoring.enabled=false` names
/// `monitoring.enabled`, not `monitoring.serviceMonitor.enabled`).
const RULES: &[Rule] = &[
    Rule {
        when: "`autoscaling.enabled` is true",
        holds: |v| v.autoscaling.enabled,
        keys: &["deployment.replicas"],
        help: "the HorizontalPodAutoscaler sets the pod count: change autoscaling.minReplicas (and \
               autoscaling.maxReplicas) instead",
    },
    Rule {
        when: "`autoscaling.enabled` is false",
        holds: |v| !v.autoscaling.enabled,
        keys: &["autoscaling.minReplicas", "autoscaling.maxReplicas", "autoscaling.targetCPUUtilizationPercentage"],
        help: "set autoscaling.enabled=true to autoscale, or deployment.replicas for a fixed pod count",
    },
    Rule {
        when: "`monitoring.enabled` is false",
        holds: |v| !v.monitoring.enabled,
        keys: &[
            "monitoring.exporter",
            "monitoring.service",
            "monitoring.serviceMonitor",
            "monitoring.prometheusRule",
            "monitoring.dashboard",
            "monitoring.requireCrds",
            "networkPolicy.metrics",
        ],
        help: "set monitoring.enabled=true to render the exporter and the monitoring objects",
    },
    Rule {
        when: "`networkPolicy.enabled` is false",
        holds: |v| !v.network_policy.enabled,
        keys: &["networkPolicy.ingress", "networkPolicy.metrics", "networkPolicy.egress"],
        help: "set networkPolicy.enabled=true to render the NetworkPolicy",
    },
    Rule {
        when: "`networkPolicy.ingress.enabled` is false",
        holds: |v| !v.network_policy.ingress.enabled,
        keys: &["networkPolicy.ingress.from"],
        help: "set networkPolicy.ingress.enabled=true to admit only these peers to port 25",
    },
    Rule {
        when: "`networkPolicy.egress.enabled` is false",
        holds: |v| !v.network_policy.egress.enabled,
        keys: &["networkPolicy.egress.dns", "networkPolicy.egress.relayhost"],
        help: "set networkPolicy.egress.enabled=true to restrict egress to these peers",
    },
    Rule {
        when: "`monitoring.serviceMonitor.enabled` is false",
        holds: |v| !v.monitoring.service_monitor.enabled,
        keys: &[
            "monitoring.serviceMonitor.interval",
            "monitoring.serviceMonitor.path",
            "monitoring.serviceMonitor.labels",
        ],
        help: "set monitoring.serviceMonitor.enabled=true to render the ServiceMonitor",
    },
    Rule {
        when: "`monitoring.prometheusRule.enabled` is false",
        holds: |v| !v.monitoring.prometheus_rule.enabled,
        keys: &[
            "monitoring.prometheusRule.labels",
            "monitoring.prometheusRule.alertLabels",
            "monitoring.prometheusRule.runbookUrl",
            "monitoring.prometheusRule.alerts",
        ],
        help: "set monitoring.prometheusRule.enabled=true to render the PrometheusRule",
    },
    Rule {
        when: "`monitoring.prometheusRule.alerts.relayDown.enabled` is false",
        holds: |v| off(&alert(v).relay_down),
        keys: &["monitoring.prometheusRule.alerts.relayDown"],
        help: "set the alert's enabled=true to render it",
    },
    Rule {
        when: "`monitoring.prometheusRule.alerts.exporterDown.enabled` is false",
        holds: |v| off(&alert(v).exporter_down),
        keys: &["monitoring.prometheusRule.alerts.exporterDown"],
        help: "set the alert's enabled=true to render it",
    },
    Rule {
        when: "`monitoring.prometheusRule.alerts.highQueue.enabled` is false",
        holds: |v| threshold_off(&alert(v).high_queue),
        keys: &["monitoring.prometheusRule.alerts.highQueue"],
        help: "set the alert's enabled=true to render it",
    },
    Rule {
        when: "`monitoring.prometheusRule.alerts.highBounceRate.enabled` is false",
        holds: |v| threshold_off(&alert(v).high_bounce_rate),
        keys: &["monitoring.prometheusRule.alerts.highBounceRate"],
        help: "set the alert's enabled=true to render it",
    },
    Rule {
        when: "`monitoring.prometheusRule.alerts.deferredQueueGrowing.enabled` is false",
        holds: |v| threshold_off(&alert(v).deferred_queue_growing),
        keys: &["monitoring.prometheusRule.alerts.deferredQueueGrowing"],
        help: "set the alert's enabled=true to render it",
    },
    Rule {
        when: "`monitoring.prometheusRule.alerts.oldMessages.enabled` is false",
        holds: |v| threshold_off(&alert(v).old_messages),
        keys: &["monitoring.prometheusRule.alerts.oldMessages"],
        help: "set the alert's enabled=true to render it",
    },
    Rule {
        when: "`monitoring.prometheusRule.alerts.relayhostUnreachable.enabled` is false",
        holds: |v| threshold_off(&alert(v).relayhost_unreachable),
        keys: &["monitoring.prometheusRule.alerts.relayhostUnreachable"],
        help: "set the alert's enabled=true to render it",
    },
    Rule {
        when: "`monitoring.dashboard.enabled` is false",
        holds: |v| !v.monitoring.dashboard.enabled,
        keys: &["monitoring.dashboard.labels", "monitoring.dashboard.annotations"],
        help: "set monitoring.dashboard.enabled=true to render the dashboard",
    },
    Rule {
        when: "`podDisruptionBudget.enabled` is false",
        holds: |v| !v.pod_disruption_budget.enabled,
        keys: &["podDisruptionBudget.minAvailable"],
        help: "set podDisruptionBudget.enabled=true to render the PodDisruptionBudget",
    },
    Rule {
        when: "`queue.persistence.enabled` is false",
        holds: |v| !v.queue.persistence.enabled,
        keys: &["queue.persistence.size", "queue.persistence.storageClassName"],
        help: "set queue.persistence.enabled=true for a StatefulSet with a volume per pod",
    },
    Rule {
        when: "`queue.persistence.enabled` is true",
        holds: |v| v.queue.persistence.enabled,
        keys: &["deployment.strategy.rollingUpdate"],
        help: "the StatefulSet replaces one pod at a time; these settings apply only to the Deployment",
    },
    Rule {
        when: "`deployment.strategy.type` is Recreate",
        holds: |v| v.deployment.strategy.kind == StrategyType::Recreate,
        keys: &["deployment.strategy.rollingUpdate"],
        help: "set deployment.strategy.type=RollingUpdate for these settings to apply",
    },
    Rule {
        when: "`deployment.topologySpread.enabled` is false",
        holds: |v| !v.deployment.topology_spread.enabled,
        keys: &["deployment.topologySpread.maxSkew", "deployment.topologySpread.whenUnsatisfiable"],
        help: "set deployment.topologySpread.enabled=true to spread the pods",
    },
    Rule {
        when: "`postfix.sasl.enabled` is false",
        holds: |v| !v.postfix.sasl.enabled,
        keys: &["postfix.sasl.secretName", "postfix.sasl.usernameKey", "postfix.sasl.passwordKey"],
        help: "set postfix.sasl.enabled=true to log in to the relayhost with this Secret",
    },
];

/// A warning for every key the user set that has no effect under the switches of `values`,
/// pointing at where the user set it.
pub fn ineffective(values: &Values, tree: &Node) -> Vec<Diagnostic> {
    let mut set = Vec::new();
    user_keys(tree, String::new(), &mut set);
    let mut warnings: Vec<(usize, &str, Origin)> = Vec::new();
    for (path, origin) in set {
        let rule = RULES.iter().enumerate().find_map(|(i, rule)| {
            let key = rule.keys.iter().find(|key| covers(key, &path))?;
            (rule.holds)(values).then_some((i, *key))
        });
        if let Some((i, key)) = rule
            && !warnings.iter().any(|(j, k, _)| *j == i && *k == key)
        {
            warnings.push((i, key, origin));
        }
    }
    warnings
        .into_iter()
        .map(|(i, key, origin)| {
            let rule = &RULES[i];
            Diagnostic::warning(format!("has no effect while {}", rule.when))
                .at(key)
                .origin(Some(origin))
                .help(rule.help)
        })
        .collect()
}

/// True when `path` is `key` or lies under it.
fn covers(key: &str, path: &str) -> bool {
    path.strip_prefix(key).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// The paths the user's layers set: every scalar (and empty collection) they wrote, with its
/// origin. Switching something off (`…enabled: false`) is never reported: under a switch that
/// is already off it changes nothing, but it asks for nothing either.
fn user_keys(node: &Node, path: String, out: &mut Vec<(String, Origin)>) {
    let by_user = node.origin.source.layer.is_users();
    let child = |segment: String| if path.is_empty() { segment } else { format!("{path}{segment}") };
    match &node.value {
        Value::Map(map) if !map.is_empty() => {
            for (key, value) in map.iter() {
                let segment = if path.is_empty() { escape_key(key) } else { format!(".{}", escape_key(key)) };
                user_keys(value, child(segment), out);
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                user_keys(item, child(format!("[{i}]")), out);
            }
        }
        Value::Scalar(text, _) if by_user && !(path.ends_with(".enabled") && text == "false") => {
            out.push((path, node.origin.clone()));
        }
        Value::Scalar(..) => {}
        _ if by_user => out.push((path, node.origin.clone())),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::load::defaults_tree;
    use crate::values::set::{Segment, parse_path};

    #[test]
    fn every_key_of_the_table_is_a_key_of_the_values() {
        for rule in RULES {
            for key in rule.keys {
                let path = parse_path(key).expect("a key path");
                let keys: Vec<&str> = path
                    .iter()
                    .map(|s| match s {
                        Segment::Key(k) => k.as_str(),
                        Segment::Index(_) => panic!("{key}: no index in the table"),
                    })
                    .collect();
                assert!(defaults_tree().get(&keys).is_some(), "{key} ({}) is not a key of the values", rule.when);
            }
        }
    }
}
