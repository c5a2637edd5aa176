//! The workload: the Deployment's shape and placement, the autoscaler, the
//! PodDisruptionBudget, and how a pod shuts down.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::IntOrPercent;

/// Deployment settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeploymentValues {
    /// Number of relay pods (ignored when autoscaling is enabled: the HPA owns it then).
    pub replicas: i32,
    /// How pods are replaced on a change.
    pub strategy: Strategy,
    /// Seconds a pod gets to drain its queue before it is killed.
    pub termination_grace_period_seconds: i64,
    /// Seconds a new pod must stay Ready before a rollout counts it and replaces the next one.
    /// A container that crash-loops is Ready for moments between its restarts; without this a
    /// rollout would take it for healthy and replace every pod with a broken one.
    pub min_ready_seconds: i32,
    /// Extra annotations on the pod template.
    pub pod_annotations: BTreeMap<String, String>,
    /// Node labels the pods must run on.
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pods tolerate.
    pub tolerations: Vec<Toleration>,
    /// Spread the pods across nodes and zones, so one node or zone failing leaves relays up.
    pub topology_spread: TopologySpread,
    /// PriorityClass of the pods; empty for the cluster default. A relay that queues everyone's
    /// mail often deserves a high one.
    pub priority_class_name: String,
    /// Share the host's user namespace. `false` runs the pod in its own user namespace
    /// (Kubernetes ≥ 1.33 with a runtime that supports it), so root in the Postfix container is
    /// not root on the node.
    pub host_users: bool,
}

/// Topology spread constraints of the relay pods.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopologySpread {
    /// Render the constraints (one per node, one per zone).
    pub enabled: bool,
    /// Largest allowed difference in relay pods between two nodes or zones.
    pub max_skew: i32,
    /// `ScheduleAnyway` prefers spreading; `DoNotSchedule` insists, and leaves pods pending
    /// when the cluster has too few nodes or zones.
    pub when_unsatisfiable: WhenUnsatisfiable,
}

/// What the scheduler does when a spread constraint cannot be met.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum WhenUnsatisfiable {
    /// Schedule anyway, preferring placements that reduce the skew.
    ScheduleAnyway,
    /// Leave the pod pending.
    DoNotSchedule,
}

impl WhenUnsatisfiable {
    /// The spelling Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            WhenUnsatisfiable::ScheduleAnyway => "ScheduleAnyway",
            WhenUnsatisfiable::DoNotSchedule => "DoNotSchedule",
        }
    }
}

/// Deployment update strategy.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Strategy {
    /// `RollingUpdate` or `Recreate`.
    #[serde(rename = "type")]
    pub kind: StrategyType,
    /// Surge and unavailability limits of a rolling update.
    pub rolling_update: RollingUpdate,
}

/// Kubernetes Deployment strategy type.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum StrategyType {
    /// Replace pods gradually.
    RollingUpdate,
    /// Stop all pods, then start new ones.
    Recreate,
}

/// Rolling update limits: a count or a percentage such as `25%`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RollingUpdate {
    /// Pods that may be unavailable during the update.
    pub max_unavailable: IntOrPercent,
    /// Pods that may be created above the desired count.
    pub max_surge: IntOrPercent,
}

/// A pod toleration.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key to match; empty with `Exists` matches every taint.
    #[serde(default)]
    pub key: Option<String>,
    /// `Equal` (default) or `Exists`.
    #[serde(default)]
    pub operator: Option<TolerationOperator>,
    /// Taint value to match with `Equal`.
    #[serde(default)]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; empty matches all.
    #[serde(default)]
    pub effect: Option<TaintEffect>,
    /// With `NoExecute`: how long the pod stays bound after the taint appears.
    #[serde(default)]
    pub toleration_seconds: Option<i64>,
}

/// Toleration operator.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema)]
pub enum TolerationOperator {
    /// Key and value must match.
    Equal,
    /// The key must exist.
    Exists,
}

/// Taint effect.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema)]
pub enum TaintEffect {
    /// Do not schedule.
    NoSchedule,
    /// Avoid scheduling.
    PreferNoSchedule,
    /// Evict running pods.
    NoExecute,
}

/// Graceful shutdown of a relay pod (its preStop hook).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ShutdownValues {
    /// Seconds the pod keeps accepting mail after it is told to stop, while the Service's
    /// endpoints catch up, so clients are not refused mid-rollout.
    pub pre_stop_delay_seconds: u32,
    /// Seconds the preStop hook waits for the queue to drain before it lets Postfix stop. It
    /// never deletes mail. Must leave room within `deployment.terminationGracePeriodSeconds`.
    pub drain_timeout_seconds: u32,
}

/// HorizontalPodAutoscaler settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Autoscaling {
    /// Render the HPA (the Deployment then omits `spec.replicas`).
    pub enabled: bool,
    /// Fewest pods.
    pub min_replicas: i32,
    /// Most pods.
    pub max_replicas: i32,
    /// Average CPU utilisation to aim for, in percent of requests.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: i32,
    /// How the autoscaler removes pods: slowly enough for each one's drain to finish.
    pub scale_down: ScaleDown,
}

/// The HPA's `behavior.scaleDown`: a quiet spell before any pod goes, then at most one pod per
/// period, so a pod's drain (preStop delay and drain timeout) ends before the next begins.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScaleDown {
    /// Seconds the recommendation must stay lower before a pod is removed (0 to 3600).
    pub stabilization_window_seconds: i32,
    /// At most one pod is removed per this many seconds (1 to 1800); no shorter than
    /// `shutdown.preStopDelaySeconds` + `shutdown.drainTimeoutSeconds`.
    pub period_seconds: i32,
}

/// PodDisruptionBudget settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodDisruptionBudgetValues {
    /// Render the PDB.
    pub enabled: bool,
    /// Pods that must stay up during voluntary disruptions (count or percentage).
    pub min_available: IntOrPercent,
}
