//! The optional Namespace (`--create-namespace`).

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Context;

/// The Namespace object; cluster-scoped, so it carries no `metadata.namespace`.
pub(crate) fn namespace(ctx: &Context<'_>) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(ctx.namespace.to_owned()),
            labels: Some(ctx.labels.clone()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}
