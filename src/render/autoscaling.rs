//! The HorizontalPodAutoscaler (autoscaling/v2).

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};

use super::{Context, NAME};

/// Scales the workload (Deployment or StatefulSet) on average CPU utilisation.
pub(crate) fn horizontal_pod_autoscaler(ctx: &Context<'_>) -> HorizontalPodAutoscaler {
    let scaling = &ctx.resolved.values.autoscaling;
    HorizontalPodAutoscaler {
        metadata: ctx.metadata(NAME),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: super::workload_kind(&ctx.resolved.values).into(),
                name: NAME.into(),
            },
            min_replicas: Some(scaling.min_replicas),
            max_replicas: scaling.max_replicas,
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(scaling.target_cpu_utilization_percentage),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            ..HorizontalPodAutoscalerSpec::default()
        }),
        ..HorizontalPodAutoscaler::default()
    }
}
