//! Keys the user set that have no effect under the current switches: `deployment.replicas`
//! while autoscaling sets the pod count, `queue.persistence.size` without a persistent queue,
//! anything under `monitoring` with monitoring off. Rendering ignores them, so a change to
//! them would otherwise be a silent no-op; each is a warning (an error under `--strict`).
//!
//! One table says it all: a switch, the state in which it makes some keys moot, and those
//! keys. It is checked against the keys the user's layers set (profile, `-f`, `--set`), never
//! against the built-in defaults, which set every key.

use super::set::escape_key;
use super::tree::{Node, Value};
use crate::error::{Diagnostic, Origin};

/// Keys that have no effect while a switch has some value.
struct Rule {
    /// The switch's key path. A `*` stands for one key, the same one as in [`Rule::keys`]
    /// (`monitoring.prometheusRule.alerts.*.enabled` for the keys of each alert).
    switch: &'static str,
    /// The switch's value that makes the keys moot (`true`, `false`, `Recreate`).
    state: &'static str,
    /// The keys (and everything under them) the switch's state makes moot.
    keys: &'static [&'static str],
    /// What to do instead.
    help: &'static str,
}

/// Every switch that makes keys moot, outermost first: a key is reported for the first rule
/// that covers it (`monitoring.serviceMonitor.labels` under `monitoring.enabled=false` names
/// `monitoring.enabled`, not `monitoring.serviceMonitor.enabled`).
const RULES: &[Rule] = &[
    Rule {
        switch: "autoscaling.enabled",
        state: "true",
        keys: &["deployment.replicas"],
        help: "the HorizontalPodAutoscaler sets the pod count: change autoscaling.minReplicas (and \
               autoscaling.maxReplicas) instead",
    },
    Rule {
        switch: "autoscaling.enabled",
        state: "false",
        keys: &[
            "autoscaling.minReplicas",
            "autoscaling.maxReplicas",
            "autoscaling.targetCPUUtilizationPercentage",
            "autoscaling.scaleDown",
        ],
        help: "set autoscaling.enabled=true to autoscale, or deployment.replicas for a fixed pod count",
    },
    Rule {
        switch: "monitoring.enabled",
        state: "false",
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
        switch: "networkPolicy.enabled",
        state: "false",
        keys: &["networkPolicy.ingress", "networkPolicy.metrics", "networkPolicy.egress"],
        help: "set networkPolicy.enabled=true to render the NetworkPolicy",
    },
    Rule {
        switch: "networkPolicy.ingress.enabled",
        state: "false",
        keys: &["networkPolicy.ingress.from"],
        help: "set networkPolicy.ingress.enabled=true to admit only these peers to port 25",
    },
    Rule {
        switch: "networkPolicy.egress.enabled",
        state: "false",
        keys: &["networkPolicy.egress.dns", "networkPolicy.egress.extraDnsCidrs", "networkPolicy.egress.relayhost"],
        help: "set networkPolicy.egress.enabled=true to restrict egress to these peers",
    },
    Rule {
        switch: "monitoring.serviceMonitor.enabled",
        state: "false",
        keys: &[
            "monitoring.serviceMonitor.interval",
            "monitoring.serviceMonitor.path",
            "monitoring.serviceMonitor.labels",
        ],
        help: "set monitoring.serviceMonitor.enabled=true to render the ServiceMonitor",
    },
    Rule {
        switch: "monitoring.prometheusRule.enabled",
        state: "false",
        keys: &[
            "monitoring.prometheusRule.labels",
            "monitoring.prometheusRule.alertLabels",
            "monitoring.prometheusRule.runbookUrl",
            "monitoring.prometheusRule.alerts",
        ],
        help: "set monitoring.prometheusRule.enabled=true to render the PrometheusRule",
    },
    Rule {
        switch: "monitoring.prometheusRule.alerts.*.enabled",
        state: "false",
        keys: &["monitoring.prometheusRule.alerts.*"],
        help: "set the alert's enabled=true to render it",
    },
    Rule {
        switch: "monitoring.dashboard.enabled",
        state: "false",
        keys: &["monitoring.dashboard.labels", "monitoring.dashboard.annotations"],
        help: "set monitoring.dashboard.enabled=true to render the dashboard",
    },
    Rule {
        switch: "podDisruptionBudget.enabled",
        state: "false",
        keys: &["podDisruptionBudget.minAvailable"],
        help: "set podDisruptionBudget.enabled=true to render the PodDisruptionBudget",
    },
    Rule {
        switch: "queue.persistence.enabled",
        state: "false",
        keys: &["queue.persistence.size", "queue.persistence.storageClassName"],
        help: "set queue.persistence.enabled=true for a StatefulSet with a volume per pod",
    },
    Rule {
        switch: "queue.persistence.enabled",
        state: "true",
        keys: &["queue.sizeLimit"],
        help: "the queue lives on each pod's volume (queue.persistence.size) instead",
    },
    Rule {
        switch: "queue.persistence.enabled",
        state: "true",
        keys: &["deployment.strategy.rollingUpdate"],
        help: "the StatefulSet replaces one pod at a time; these settings apply only to the Deployment",
    },
    Rule {
        switch: "deployment.strategy.type",
        state: "Recreate",
        keys: &["deployment.strategy.rollingUpdate"],
        help: "set deployment.strategy.type=RollingUpdate for these settings to apply",
    },
    Rule {
        switch: "deployment.topologySpread.enabled",
        state: "false",
        keys: &["deployment.topologySpread.maxSkew", "deployment.topologySpread.whenUnsatisfiable"],
        help: "set deployment.topologySpread.enabled=true to spread the pods",
    },
    Rule {
        switch: "postfix.sasl.enabled",
        state: "false",
        keys: &["postfix.sasl.secretName", "postfix.sasl.usernameKey", "postfix.sasl.passwordKey"],
        help: "set postfix.sasl.enabled=true to log in to the relayhost with this Secret",
    },
];

/// A warning for every key the user set that has no effect under the switches of `tree` (the
/// merged, valid values), pointing at where the user set it.
pub(crate) fn ineffective(tree: &Node) -> Vec<Diagnostic> {
    let mut set = Vec::new();
    user_keys(tree, &mut Vec::new(), &mut set);
    let mut warnings: Vec<(String, String, &Rule, Origin)> = Vec::new();
    for (path, origin) in set {
        let hit = RULES.iter().find_map(|rule| {
            let (key, wildcard) = rule.keys.iter().find_map(|key| covers(key, &path))?;
            let switch = rule.switch.replace('*', wildcard.unwrap_or_default());
            let segments: Vec<&str> = switch.split('.').collect();
            let state = match tree.get(&segments).map(|n| &n.value) {
                Some(Value::Scalar(text, _)) => text.eq_ignore_ascii_case(rule.state),
                _ => false,
            };
            state.then_some((key, switch, rule))
        });
        if let Some((key, switch, rule)) = hit
            && !warnings.iter().any(|(k, _, _, _)| *k == key)
        {
            warnings.push((key, switch, rule, origin));
        }
    }
    warnings
        .into_iter()
        .map(|(key, switch, rule, origin)| {
            Diagnostic::warning(format!("has no effect while `{switch}` is {}", rule.state))
                .at(key)
                .origin(Some(origin))
                .help(rule.help)
        })
        .collect()
}

/// When `path` is `key` or lies under it: `key` with its `*` filled in, and what filled it.
fn covers<'p>(key: &str, path: &'p [String]) -> Option<(String, Option<&'p str>)> {
    let pattern: Vec<&str> = key.split('.').collect();
    if path.len() < pattern.len() {
        return None;
    }
    let mut wildcard = None;
    for (want, have) in pattern.iter().zip(path) {
        match *want {
            "*" => wildcard = Some(have.as_str()),
            want if want == have => {}
            _ => return None,
        }
    }
    Some((key.replace('*', wildcard.unwrap_or_default()), wildcard))
}

/// The keys the user's layers set, as key paths (an index is a `[N]` step): every scalar (and
/// empty collection) they wrote, with its origin. Switching something off (`…enabled: false`)
/// is never reported: under a switch that is already off it changes nothing, but it asks for
/// nothing either.
fn user_keys(node: &Node, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Origin)>) {
    let by_user = node.origin.source.layer.is_users();
    match &node.value {
        Value::Map(map) if !map.is_empty() => {
            for (key, value) in map.iter() {
                path.push(escape_key(key));
                user_keys(value, path, out);
                path.pop();
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                user_keys(item, path, out);
                path.pop();
            }
        }
        Value::Scalar(text, _) if by_user && !(path.last().is_some_and(|k| k == "enabled") && text == "false") => {
            out.push((path.clone(), node.origin.clone()));
        }
        Value::Scalar(..) => {}
        _ if by_user => out.push((path.clone(), node.origin.clone())),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::error::{Layer, Source};
    use crate::values::load::defaults_tree;
    use crate::values::set::{Segment, parse_path};
    use crate::values::tree::{ScalarKind, parse_layer};

    /// A default's value, written as YAML.
    fn yaml(value: &Node) -> String {
        match &value.value {
            Value::Scalar(text, ScalarKind::Quoted) => serde_json::Value::from(text.as_ref()).to_string(),
            Value::Scalar(text, ScalarKind::Plain) if text.is_empty() => "null".to_owned(),
            Value::Scalar(text, ScalarKind::Plain) => text.to_string(),
            Value::Seq(_) => "[]".to_owned(),
            Value::Map(_) => "{}".to_owned(),
        }
    }

    /// A values file setting `value` (YAML) at `path`.
    fn values_file(path: &[String], value: &str) -> String {
        let mut text = String::new();
        for (depth, key) in path.iter().enumerate() {
            let key = serde_json::Value::from(key.as_str()).to_string();
            text.push_str(&format!("{}{key}:", "  ".repeat(depth)));
            text.push_str(if depth + 1 == path.len() { " " } else { "\n" });
        }
        text.push_str(value);
        text.push('\n');
        text
    }

    /// The defaults with the user's `files` merged over them, as the tree `ineffective` reads.
    fn with_user_files(files: &[String]) -> Node {
        let mut tree = defaults_tree().clone();
        for text in files {
            let source = Arc::new(Source { layer: Layer::File, name: "test.yaml".into(), text: text.clone() });
            let (node, problems) = parse_layer(&source).expect("valid YAML");
            assert!(problems.is_empty(), "{text}");
            tree.merge(node);
        }
        tree
    }

    /// Every value a user can write under `node`, with its path: each scalar, each list (lists
    /// replace whole) and each empty map.
    fn leaves<'n>(node: &'n Node, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, &'n Node)>) {
        match &node.value {
            Value::Map(map) if !map.is_empty() => {
                for (key, child) in map.iter() {
                    path.push(key.to_string());
                    leaves(child, path, out);
                    path.pop();
                }
            }
            _ => out.push((path.clone(), node)),
        }
    }

    /// Every switch of the values: a map's `enabled` key, with the map's path.
    fn switches<'n>(node: &'n Node, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, &'n Node)>) {
        let Value::Map(map) = &node.value else { return };
        if map.get("enabled").is_some_and(|n| matches!(n.value, Value::Scalar(..))) {
            out.push((path.clone(), node));
        }
        for (key, child) in map.iter() {
            path.push(key.to_string());
            switches(child, path, out);
            path.pop();
        }
    }

    /// The table is complete: under every `enabled: false` switch of the values (found in the
    /// defaults, which hold every key of the model), each key beside it that a user sets draws
    /// a warning. A key that took effect with its switch off would need an exception here.
    #[test]
    fn every_key_beside_a_switch_that_is_off_draws_a_warning() {
        let mut found = Vec::new();
        switches(defaults_tree(), &mut Vec::new(), &mut found);
        assert!(found.len() >= 10, "switches found: {}", found.len());
        let mut silent = Vec::new();
        for (switch, map) in found {
            let mut off = switch.clone();
            off.push("enabled".into());
            let off = values_file(&off, "false");
            let mut keys = Vec::new();
            leaves(map, &mut switch.clone(), &mut keys);
            for (path, value) in keys.into_iter().filter(|(path, _)| path[switch.len()] != "enabled") {
                // A nested switch is set on: switching off is never reported (see `user_keys`).
                let value = if path.last().is_some_and(|k| k == "enabled") { "true".to_owned() } else { yaml(value) };
                let tree = with_user_files(&[off.clone(), values_file(&path, &value)]);
                let dotted = path.iter().map(|k| escape_key(k)).collect::<Vec<_>>().join(".");
                let warned = ineffective(&tree).iter().any(|d| {
                    d.key_path.as_deref().is_some_and(|key| dotted == key || dotted.starts_with(&format!("{key}.")))
                });
                if !warned {
                    silent.push(dotted);
                }
            }
        }
        assert!(silent.is_empty(), "set with their switch off, these keys draw no warning: {silent:#?}");
    }

    #[test]
    fn every_key_of_the_table_is_a_key_of_the_values() {
        for rule in RULES {
            for key in rule.keys.iter().chain([&rule.switch]) {
                let key = key.replace('*', "relayDown");
                let path = parse_path(&key).expect("a key path");
                let keys: Vec<&str> = path
                    .iter()
                    .map(|s| match s {
                        Segment::Key(k) => k.as_str(),
                        Segment::Index(_) => panic!("{key}: no index in the table"),
                    })
                    .collect();
                assert!(defaults_tree().get(&keys).is_some(), "{key} (of {}) is not a key of the values", rule.switch);
            }
        }
    }
}
