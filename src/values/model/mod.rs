//! The typed values model: what a Helm user would find in `values.yaml`.
//!
//! Every struct denies unknown keys, and every field's doc comment becomes its JSON Schema
//! description. Defaults live in `defaults.yaml` (one source of truth), not in these types:
//! the merged tree always holds every key, so the model can require them all.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

mod image;
mod monitoring;
mod network;
mod postfix;
mod queue;
mod workload;

pub(crate) use image::*;
pub(crate) use monitoring::*;
pub(crate) use network::*;
pub(crate) use postfix::*;
pub(crate) use queue::*;
pub(crate) use workload::*;

/// All values of one rendering of the relay stack.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Values {
    /// The release name: every object is named after it (`NAME`, `NAME-headless`,
    /// `NAME-metrics`, `NAME-dashboard`, claims `spool-NAME-N`), and it is the value of the
    /// `app.kubernetes.io/name` and `app.kubernetes.io/instance` labels the selectors use, so
    /// several relays live in one namespace without selecting each other's pods. A DNS label
    /// that starts with a letter, at most 52 characters.
    pub name: String,
    /// Namespace of every namespaced object (`-n/--namespace` overrides it).
    pub namespace: String,
    /// The Postfix container image.
    pub image: Image,
    /// The Deployment's shape: replicas, rollout strategy and pod placement.
    pub deployment: DeploymentValues,
    /// CPU and memory of the Postfix container.
    pub resources: Resources,
    /// Relay settings, under the replaced Helm chart's environment variable names.
    pub env: Env,
    /// Postfix settings beyond the replaced Helm chart's variables.
    pub postfix: PostfixValues,
    /// The ClusterIP Service in front of port 25.
    pub service: ServiceValues,
    /// The ServiceAccount `postfix-relay`.
    pub service_account: ServiceAccountValues,
    /// The NetworkPolicy guarding the relay pods.
    pub network_policy: NetworkPolicyValues,
    /// Exporter sidecar, metrics Service, ServiceMonitor and PrometheusRule.
    pub monitoring: Monitoring,
    /// The HorizontalPodAutoscaler (autoscaling/v2).
    pub autoscaling: Autoscaling,
    /// The PodDisruptionBudget (policy/v1).
    pub pod_disruption_budget: PodDisruptionBudgetValues,
    /// Where the mail queue lives: an emptyDir (Deployment) or a volume per pod (StatefulSet).
    pub queue: QueueValues,
    /// How a relay pod stops: it stops accepting mail, flushes, and waits for its queue to drain.
    pub shutdown: ShutdownValues,
}

/// A count (`1`) or a percentage (`25%`).
#[derive(Clone, Debug, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(untagged)]
pub enum IntOrPercent {
    /// An absolute number.
    Int(i32),
    /// A percentage, written with `%`.
    Percent(String),
}

impl<'de> Deserialize<'de> for IntOrPercent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = IntOrPercent;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer or a percentage such as 25%")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IntOrPercent, E> {
                i32::try_from(v)
                    .map(IntOrPercent::Int)
                    .map_err(|_| E::custom(format!("expected an integer or a percentage, found `{v}` (too large)")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IntOrPercent, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IntOrPercent, E> {
                let digits = v.strip_suffix('%').unwrap_or("");
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(IntOrPercent::Percent(v.to_owned()))
                } else {
                    Err(E::custom(format!("expected an integer or a percentage such as 25%, found `{v}`")))
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Container resources.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: ResourceList,
    /// The most the container may use.
    pub limits: ResourceList,
}

/// CPU and memory quantities; `null` leaves one out.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceList {
    /// CPU, e.g. `100m` or `0.5`.
    pub cpu: Option<String>,
    /// Memory, e.g. `128Mi`.
    pub memory: Option<String>,
    /// Local disk for logs and scratch space (emptyDirs, container logs), e.g. `256Mi`.
    #[serde(rename = "ephemeral-storage")]
    pub ephemeral_storage: Option<String>,
}
