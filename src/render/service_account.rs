//! The ServiceAccount `postfix-relay`.

use k8s_openapi::api::core::v1::ServiceAccount;

use super::Context;

/// The relay's own identity; it needs no API access, so its token is never mounted.
pub(crate) fn service_account(ctx: &Context<'_>) -> ServiceAccount {
    let annotations = &ctx.resolved.values.service_account.annotations;
    let mut metadata = ctx.metadata(ctx.name);
    if !annotations.is_empty() {
        metadata.annotations = Some(annotations.clone());
    }
    ServiceAccount { metadata, automount_service_account_token: Some(false), ..ServiceAccount::default() }
}
