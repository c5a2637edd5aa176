//! Argo CD: relaygen as a config-management plugin (the sidecar model of Argo CD 2.4 and
//! later), and the Application and ApplicationSet that deploy the relay through it.
//!
//! - [`plugin`]: the `plugin.yaml` the sidecar reads, and the parameter announcements;
//! - [`sidecar`]: the `argocd-repo-server` patch adding the sidecar;
//! - [`env`]: Argo CD's environment read into the same [`Selection`](crate::values::Selection)
//!   as `render`'s flags;
//! - [`generate`]: the plugin's generate command: the `render` pipeline, plus gating of the
//!   prometheus-operator resources on what the cluster serves;
//! - [`apps`]: the Application and the ApplicationSet.

pub(crate) mod apps;
pub(crate) mod env;
pub(crate) mod plugin;
pub(crate) mod sidecar;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::{Diagnostic, Error, Result};
use crate::render;
use crate::values::{self, origins::origin_of};

/// The plugin's name: `metadata.name` of `plugin.yaml` and `spec.source.plugin.name` of the
/// Applications.
pub(crate) const PLUGIN_NAME: &str = "relaygen";
/// The profiles directory, relative to the application's source directory.
pub(crate) const PROFILES_DIR: &str = "profiles";
/// Parameter: the profile.
pub(crate) const PARAM_PROFILE: &str = "profile";
/// Parameter: values files.
pub(crate) const PARAM_VALUES: &str = "values";
/// Parameter: `--set` overrides.
pub(crate) const PARAM_SET: &str = "set";
/// Parameter: the namespace.
pub(crate) const PARAM_NAMESPACE: &str = "namespace";
/// The dynamic, informational announcement of the profiles found.
pub(crate) const PARAM_PROFILES_AVAILABLE: &str = "available-profiles";

/// The manifests and the notes for stderr.
#[derive(Clone, Debug)]
pub(crate) struct Generated {
    /// The YAML stream for stdout: never empty.
    pub manifests: String,
    /// Warnings for stderr.
    pub warnings: Vec<Diagnostic>,
}

/// A custom resource kind relaygen may render, and the switch in the values that turns it off.
const CUSTOM_KINDS: [&str; 2] = ["ServiceMonitor", "PrometheusRule"];

/// Whether the cluster serves `group_version/kind`. `KUBE_API_VERSIONS` lists both
/// `group/version` and `group/version/Kind`; a list without kinds for that group/version
/// (written by hand) is trusted at the group/version level.
fn serves(api_versions: &BTreeSet<String>, group_version: &str, kind: &str) -> bool {
    let kinds_listed = api_versions.iter().any(|a| a.strip_prefix(group_version).is_some_and(|r| r.starts_with('/')));
    if kinds_listed {
        api_versions.contains(&format!("{group_version}/{kind}"))
    } else {
        api_versions.contains(group_version)
    }
}

/// `relaygen argocd generate`: renders the stack for the request read from Argo CD's
/// environment (see [`env`]), in the current directory (the application's source directory).
pub(crate) fn generate(vars: &BTreeMap<String, String>) -> Result<Generated> {
    let request = env::request(vars)?;
    let mut resolved = values::load(&request.selection)?;
    let mut warnings = request.warnings;
    warnings.append(&mut resolved.warnings);
    if let Some(api_versions) = &request.api_versions {
        let monitoring = &mut resolved.values.monitoring;
        let mut problems = Vec::new();
        for kind in CUSTOM_KINDS {
            let (wanted, switch) = match kind {
                "ServiceMonitor" => (&mut monitoring.service_monitor.enabled, "monitoring.serviceMonitor.enabled"),
                _ => (&mut monitoring.prometheus_rule.enabled, "monitoring.prometheusRule.enabled"),
            };
            if !monitoring.enabled || !*wanted || serves(api_versions, crate::crd::API_VERSION, kind) {
                continue;
            }
            let message = format!(
                "the cluster does not serve {}/{kind} (KUBE_API_VERSIONS): the prometheus-operator CRDs are missing",
                crate::crd::API_VERSION
            );
            if monitoring.require_crds {
                problems.push(
                    Diagnostic::error(message)
                        .at("monitoring.requireCrds")
                        .origin(origin_of(&resolved.tree, "monitoring.requireCrds"))
                        .help(format!(
                            "install prometheus-operator's CRDs in the cluster, or set {switch}=false or \
                             monitoring.requireCrds=false"
                        )),
                );
            } else {
                *wanted = false;
                warnings.push(Diagnostic::warning(format!("{message}; {kind} left out")).help(format!(
                    "install prometheus-operator's CRDs, set {switch}=false to silence this, or \
                     monitoring.requireCrds=true to fail instead"
                )));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Values(problems));
        }
    }
    let target = render::Target { kube_version: request.kube_version, ..render::Target::default() };
    let mut bundle = render::stack(&resolved, &target)?;
    warnings.append(&mut bundle.warnings);
    let manifests = crate::output::serialize(&bundle, crate::output::Format::Yaml)?;
    // An empty stream with auto-prune would delete the relay: refuse it outright.
    if bundle.objects.is_empty() || manifests.trim().is_empty() {
        return Err(Error::Internal("the rendering is empty; refusing to print an empty stream".into()));
    }
    Ok(Generated { manifests, warnings })
}

/// `relaygen argocd parameters`: the dynamic parameter announcements as JSON, for the
/// application's source directory `dir`.
pub(crate) fn parameters(dir: &Path) -> Result<String> {
    let profiles = values::profiles_dir::available_profiles(&dir.join(PROFILES_DIR));
    let mut text = serde_json::to_string(&plugin::dynamic_parameters(&profiles))
        .map_err(|e| Error::Internal(format!("parameter announcements: {e}")))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_reads_kinds_when_listed_and_group_versions_otherwise() {
        let set = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
        let argo = set(&["apps/v1", "monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor", "v1"]);
        assert!(serves(&argo, "monitoring.coreos.com/v1", "ServiceMonitor"));
        assert!(!serves(&argo, "monitoring.coreos.com/v1", "PrometheusRule"));
        assert!(serves(&set(&["monitoring.coreos.com/v1"]), "monitoring.coreos.com/v1", "PrometheusRule"));
        assert!(!serves(&set(&["apps/v1", "v1"]), "monitoring.coreos.com/v1", "ServiceMonitor"));
        // A longer group/version sharing the prefix is not the same one.
        assert!(!serves(&set(&["monitoring.coreos.com/v1alpha1"]), "monitoring.coreos.com/v1", "ServiceMonitor"));
    }
}
