//! The StatefulSet `postfix-relay`, rendered instead of the Deployment when
//! `queue.persistence.enabled`: each pod keeps its queue on its own PersistentVolumeClaim.
//!
//! On scale-down the preStop hook drains the pod's queue until its deadline; mail still queued
//! then stays on that pod's claim (claims are retained) and is delivered when the ordinal
//! comes back. Nothing moves mail between pods.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::{Context, pod};

/// The StatefulSet; `checksum` is the ConfigMap's, so config changes roll the pods.
pub(crate) fn stateful_set(ctx: &Context<'_>, checksum: &str) -> StatefulSet {
    let values = &ctx.resolved.values;
    let persistence = &values.queue.persistence;
    // One pod at a time: StatefulSet's maxUnavailable is behind a feature gate, and a field
    // the API server drops silently is worse than none. (Validation refuses Recreate here.)
    let update_strategy = StatefulSetUpdateStrategy { type_: Some("RollingUpdate".into()), rolling_update: None };
    let claim = PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(pod::SPOOL.into()),
            labels: Some(ctx.labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            storage_class_name: (!persistence.storage_class_name.is_empty())
                .then(|| persistence.storage_class_name.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_owned(), Quantity(persistence.size.clone()))])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    };
    StatefulSet {
        metadata: pod::workload_metadata(ctx),
        spec: Some(StatefulSetSpec {
            replicas: (!values.autoscaling.enabled).then_some(values.deployment.replicas),
            selector: LabelSelector { match_labels: Some(ctx.selector.clone()), ..LabelSelector::default() },
            service_name: Some(ctx.headless_service()),
            // Relay pods are interchangeable: start and stop them all at once, not one by one.
            pod_management_policy: Some("Parallel".into()),
            update_strategy: Some(update_strategy),
            min_ready_seconds: Some(values.deployment.min_ready_seconds),
            // A claim outlives its pod, so mail left in it is not lost with a scale-down.
            persistent_volume_claim_retention_policy: Some(StatefulSetPersistentVolumeClaimRetentionPolicy {
                when_deleted: Some("Retain".into()),
                when_scaled: Some("Retain".into()),
            }),
            template: pod::pod_template(ctx, checksum, true),
            volume_claim_templates: Some(vec![claim]),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}
