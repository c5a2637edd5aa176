//! The Deployment `postfix-relay`: the relay pods when the queue lives in an emptyDir.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{Context, int_or_string, pod};
use crate::values::model::StrategyType;

/// The Deployment; `checksum` is the ConfigMap's, so config changes roll the pods.
pub(crate) fn deployment(ctx: &Context<'_>, checksum: &str) -> Deployment {
    let values = &ctx.resolved.values;
    let rolling = &values.deployment.strategy.rolling_update;
    let strategy = match values.deployment.strategy.kind {
        StrategyType::RollingUpdate => DeploymentStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateDeployment {
                max_unavailable: Some(int_or_string(&rolling.max_unavailable)),
                max_surge: Some(int_or_string(&rolling.max_surge)),
            }),
        },
        StrategyType::Recreate => DeploymentStrategy { type_: Some("Recreate".into()), rolling_update: None },
    };
    Deployment {
        metadata: pod::workload_metadata(ctx),
        spec: Some(DeploymentSpec {
            // With autoscaling the HPA owns the replica count; a fixed one would fight it on
            // every apply.
            replicas: (!values.autoscaling.enabled).then_some(values.deployment.replicas),
            selector: LabelSelector { match_labels: Some(ctx.selector.clone()), ..LabelSelector::default() },
            strategy: Some(strategy),
            min_ready_seconds: Some(values.deployment.min_ready_seconds),
            template: pod::pod_template(ctx, checksum, false),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}
