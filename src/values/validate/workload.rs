//! The workload: replicas, rollout strategy, resources, PodDisruptionBudget, autoscaler, grace
//! period, and the pods' annotations and node selector.

use super::{Report, check_labels};
use crate::values::model::{IntOrPercent, ResourceList, Values};
use crate::values::syntax::{is_dns1123_subdomain, parse_quantity};

/// The Deployment's (or StatefulSet's) spread, priority, replicas, grace period and rollout.
pub(super) fn check_deployment(values: &Values, r: &mut Report<'_>) {
    let deployment = &values.deployment;
    if deployment.topology_spread.enabled && deployment.topology_spread.max_skew < 1 {
        r.error(
            "deployment.topologySpread.maxSkew",
            format!("maxSkew is {}", deployment.topology_spread.max_skew),
            "at least 1",
        );
    }
    let priority = &deployment.priority_class_name;
    if !priority.is_empty() && !is_dns1123_subdomain(priority) {
        r.error(
            "deployment.priorityClassName",
            format!("`{priority}` is not a PriorityClass name"),
            "a PriorityClass name, or empty for the cluster default",
        );
    }
    if deployment.replicas < 1 {
        r.error("deployment.replicas", format!("replicas is {}", deployment.replicas), "at least 1");
    }
    if deployment.min_ready_seconds < 0 {
        r.error("deployment.minReadySeconds", "a negative duration", "seconds, 0 or more (default 10)");
    }
    if deployment.termination_grace_period_seconds < 0 {
        r.error(
            "deployment.terminationGracePeriodSeconds",
            "a negative grace period",
            "seconds, 0 or more (default 120)",
        );
    }
    for (path, value) in [
        ("deployment.strategy.rollingUpdate.maxUnavailable", &deployment.strategy.rolling_update.max_unavailable),
        ("deployment.strategy.rollingUpdate.maxSurge", &deployment.strategy.rolling_update.max_surge),
    ] {
        check_int_or_percent(r, path, value);
    }
    let rolling = &deployment.strategy.rolling_update;
    let zero =
        |v: &IntOrPercent| matches!(v, IntOrPercent::Int(0)) || matches!(v, IntOrPercent::Percent(p) if p == "0%");
    if zero(&rolling.max_unavailable) && zero(&rolling.max_surge) {
        r.error(
            "deployment.strategy.rollingUpdate.maxSurge",
            "maxSurge and maxUnavailable are both 0, so a rollout can never make progress",
            "at least one of them above 0",
        );
    }
}

/// The HorizontalPodAutoscaler's bounds and scale-down pace, when it is on.
pub(super) fn check_autoscaling(values: &Values, r: &mut Report<'_>) {
    let scaling = &values.autoscaling;
    if scaling.enabled {
        if scaling.min_replicas < 1 {
            r.error("autoscaling.minReplicas", format!("minReplicas is {}", scaling.min_replicas), "at least 1");
        }
        if scaling.max_replicas < scaling.min_replicas {
            r.error(
                "autoscaling.maxReplicas",
                format!("maxReplicas ({}) is below minReplicas ({})", scaling.max_replicas, scaling.min_replicas),
                "maxReplicas ≥ minReplicas",
            );
        }
        let down = &scaling.scale_down;
        if !(0..=3600).contains(&down.stabilization_window_seconds) {
            r.error(
                "autoscaling.scaleDown.stabilizationWindowSeconds",
                format!("{} s is outside what Kubernetes accepts", down.stabilization_window_seconds),
                "0 to 3600 seconds, e.g. 300",
            );
        }
        let drain =
            i64::from(values.shutdown.pre_stop_delay_seconds) + i64::from(values.shutdown.drain_timeout_seconds);
        if !(1..=1800).contains(&down.period_seconds) {
            r.error(
                "autoscaling.scaleDown.periodSeconds",
                format!("{} s is outside what Kubernetes accepts", down.period_seconds),
                "1 to 1800 seconds",
            );
        } else if i64::from(down.period_seconds) < drain {
            r.error(
                "autoscaling.scaleDown.periodSeconds",
                format!(
                    "the autoscaler may remove a pod every {} s, but each pod drains for up to {drain} s \
                     (shutdown.preStopDelaySeconds + shutdown.drainTimeoutSeconds): drains would overlap",
                    down.period_seconds
                ),
                format!("at least {drain} seconds"),
            );
        }
        if scaling.target_cpu_utilization_percentage < 1 {
            r.error(
                "autoscaling.targetCPUUtilizationPercentage",
                "the CPU target must be positive",
                "a percentage such as 80",
            );
        }
        if values.resources.requests.cpu.is_none() {
            r.error(
                "resources.requests.cpu",
                "the autoscaler scales on CPU, but no CPU request is set",
                "a CPU request such as 100m",
            );
        }
    }
}

/// The PodDisruptionBudget must leave room for a voluntary eviction.
pub(super) fn check_disruption_budget(values: &Values, r: &mut Report<'_>) {
    let (deployment, scaling) = (&values.deployment, &values.autoscaling);
    let pdb = &values.pod_disruption_budget;
    if pdb.enabled {
        check_int_or_percent(r, "podDisruptionBudget.minAvailable", &pdb.min_available);
        let fewest = if scaling.enabled { scaling.min_replicas } else { deployment.replicas };
        let blocks = match &pdb.min_available {
            IntOrPercent::Int(n) => *n >= fewest,
            // Kubernetes rounds a percentage of minAvailable up: 60% of 2 pods is 2.
            IntOrPercent::Percent(p) => p
                .strip_suffix('%')
                .and_then(|n| n.parse::<i64>().ok())
                .is_some_and(|percent| (percent * i64::from(fewest) + 99) / 100 >= i64::from(fewest)),
        };
        if blocks {
            r.error(
                "podDisruptionBudget.minAvailable",
                format!(
                    "minAvailable {} with {fewest} pod(s) would block every voluntary eviction (node drains hang)",
                    match &pdb.min_available {
                        IntOrPercent::Int(n) => n.to_string(),
                        IntOrPercent::Percent(p) => p.clone(),
                    }
                ),
                "fewer than the smallest replica count",
            );
        }
    }
}

/// A replica count or percentage: not negative, at most 100%.
fn check_int_or_percent(r: &mut Report<'_>, path: &str, value: &IntOrPercent) {
    match value {
        IntOrPercent::Int(n) if *n < 0 => {
            r.error(path, format!("{n} is negative"), "0 or more, or a percentage such as 25%")
        }
        IntOrPercent::Percent(p) if p.trim_end_matches('%').parse::<u32>().is_ok_and(|n| n > 100) => {
            r.error(path, format!("{p} is more than 100%"), "a percentage from 0% to 100%");
        }
        _ => {}
    }
}

/// One container's requests and limits: valid quantities, with units, requests ≤ limits.
fn check_resources(r: &mut Report<'_>, path: &str, requests: &ResourceList, limits: &ResourceList) {
    for (kind, list) in [("requests", requests), ("limits", limits)] {
        for (name, quantity) in
            [("cpu", &list.cpu), ("memory", &list.memory), ("ephemeral-storage", &list.ephemeral_storage)]
        {
            let Some(q) = quantity else { continue };
            match parse_quantity(q) {
                None => r.malformed(
                    &format!("{path}.{kind}.{name}"),
                    format!("`{q}` is not a Kubernetes quantity"),
                    if name == "cpu" { "e.g. 100m or 0.5" } else { "e.g. 128Mi or 1Gi" },
                ),
                // A number without a unit is bytes: `512` for 512Mi is a unit left out.
                Some(bytes)
                    if name != "cpu"
                        && bytes > 0.0
                        && bytes < 1024.0 * 1024.0
                        && q.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    r.malformed(
                        &format!("{path}.{kind}.{name}"),
                        format!("`{q}` has no unit, so it is {q} bytes, too little for any container"),
                        format!("a unit: {q}Mi (or {q}Gi)"),
                    )
                }
                Some(_) => {}
            }
        }
    }
    for (name, request, limit) in [
        ("cpu", &requests.cpu, &limits.cpu),
        ("memory", &requests.memory, &limits.memory),
        ("ephemeral-storage", &requests.ephemeral_storage, &limits.ephemeral_storage),
    ] {
        if let (Some(req), Some(lim)) = (request, limit)
            && let (Some(a), Some(b)) = (parse_quantity(req), parse_quantity(lim))
            && a > b
        {
            // Point at whichever of the two was written last (higher layer): that is the
            // user's line, not the default the user did not touch.
            let (request_path, limit_path) = (format!("{path}.requests.{name}"), format!("{path}.limits.{name}"));
            let at = if r.layer(&limit_path) > r.layer(&request_path) { limit_path } else { request_path };
            r.error(&at, format!("the {name} request {req} is above the limit {lim}"), "requests ≤ limits");
        }
    }
}

/// The Postfix container's resources, and the exporter's when monitoring is on.
pub(super) fn check_container_resources(values: &Values, r: &mut Report<'_>) {
    check_resources(r, "resources", &values.resources.requests, &values.resources.limits);
    if values.monitoring.enabled {
        let res = &values.monitoring.exporter.resources;
        check_resources(r, "monitoring.exporter.resources", &res.requests, &res.limits);
    }
}

/// The pods' annotations (one key is relaygen's), the ServiceAccount's, and the node selector.
pub(super) fn check_pod_metadata(values: &Values, r: &mut Report<'_>) {
    check_labels(r, "deployment.podAnnotations", values.deployment.pod_annotations.iter(), false);
    if values.deployment.pod_annotations.contains_key("checksum/config") {
        r.error(
            "deployment.podAnnotations",
            "`checksum/config` is reserved: relaygen sets it to the ConfigMap's hash so config changes roll the pods",
            "another annotation key",
        );
    }
    check_labels(r, "serviceAccount.annotations", values.service_account.annotations.iter(), false);
    check_labels(r, "deployment.nodeSelector", values.deployment.node_selector.iter(), true);
}
