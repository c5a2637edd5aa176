//! The plugin sidecar, as a Kustomize strategic-merge patch for the `argocd-repo-server`
//! Deployment of a stock Argo CD installation.
//!
//! The sidecar follows Argo CD's contract for sidecar plugins: its entrypoint is
//! `/var/run/argocd/argocd-cmp-server` (copied into the shared `var-files` volume by the
//! repo-server's `copyutil` init container), it runs as user 999, it shares `plugins` (where
//! the server's socket goes) with the repo-server, and it gets a `/tmp` of its own: "do NOT
//! mount the same tmp volume as the repo-server container". `var-files` and `plugins` already
//! exist in the Deployment; the patch adds the container and its tmp volume. The plugin
//! configuration is baked into the image (see `Containerfile`), so no ConfigMap is mounted.

use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, SeccompProfile, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::PLUGIN_NAME;
use crate::error::{Diagnostic, Error, Result};

/// The Deployment the patch applies to.
pub(crate) const REPO_SERVER: &str = "argocd-repo-server";
/// The entrypoint every sidecar plugin runs.
pub(crate) const CMP_SERVER: &str = "/var/run/argocd/argocd-cmp-server";
/// The user Argo CD requires sidecar plugins to run as.
pub(crate) const CMP_USER: i64 = 999;
/// The sidecar's own `/tmp` volume.
pub(crate) const TMP_VOLUME: &str = "relaygen-cmp-tmp";

/// A strategic-merge patch of a Deployment's pod template: containers and volumes are merged
/// by name into the existing ones.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentPatch {
    /// `apps/v1`.
    pub api_version: &'static str,
    /// `Deployment`.
    pub kind: &'static str,
    /// The name of the Deployment to patch.
    pub metadata: ObjectMeta,
    /// The patched part of the spec.
    pub spec: PatchSpec,
}

/// `spec` of the patch.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct PatchSpec {
    /// The pod template.
    pub template: PatchTemplate,
}

/// `spec.template` of the patch.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct PatchTemplate {
    /// The pod spec.
    pub spec: PatchPodSpec,
}

/// `spec.template.spec` of the patch.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct PatchPodSpec {
    /// The sidecar container.
    pub containers: Vec<Container>,
    /// Volumes the Deployment lacks.
    pub volumes: Vec<Volume>,
}

fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount { name: name.into(), mount_path: path.into(), ..VolumeMount::default() }
}

/// The sidecar container running `image` (an image built from the repository's
/// `Containerfile`).
pub(crate) fn container(image: &str) -> Container {
    Container {
        name: PLUGIN_NAME.into(),
        image: Some(image.into()),
        command: Some(vec![CMP_SERVER.into()]),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Capabilities::default() }),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            run_as_user: Some(CMP_USER),
            seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), ..SeccompProfile::default() }),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(vec![
            mount("var-files", "/var/run/argocd"),
            mount("plugins", "/home/argocd/cmp-server/plugins"),
            mount(TMP_VOLUME, "/tmp"),
        ]),
        ..Container::default()
    }
}

/// The patch adding the sidecar to `argocd-repo-server`.
pub(crate) fn patch(image: &str) -> Result<DeploymentPatch> {
    if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
        return Err(Error::Values(vec![
            Diagnostic::error(format!("`{image}` is not an image reference"))
                .at("--image")
                .expected("REGISTRY/REPOSITORY:TAG or …@sha256:DIGEST, e.g. ghcr.io/example/relaygen-cmp:0.1.0"),
        ]));
    }
    Ok(DeploymentPatch {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: ObjectMeta { name: Some(REPO_SERVER.into()), ..ObjectMeta::default() },
        spec: PatchSpec {
            template: PatchTemplate {
                spec: PatchPodSpec {
                    containers: vec![container(image)],
                    volumes: vec![Volume {
                        name: TMP_VOLUME.into(),
                        empty_dir: Some(EmptyDirVolumeSource::default()),
                        ..Volume::default()
                    }],
                },
            },
        },
    })
}
