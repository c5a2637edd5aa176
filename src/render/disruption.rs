//! The PodDisruptionBudget (policy/v1).

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{Context, int_or_string};

/// Keeps `minAvailable` relay pods up through voluntary disruptions such as node drains.
pub(crate) fn pod_disruption_budget(ctx: &Context<'_>) -> PodDisruptionBudget {
    let pdb = &ctx.resolved.values.pod_disruption_budget;
    PodDisruptionBudget {
        metadata: ctx.metadata(ctx.name),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(int_or_string(&pdb.min_available)),
            selector: Some(LabelSelector { match_labels: Some(ctx.selector.clone()), ..LabelSelector::default() }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}
