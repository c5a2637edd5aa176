//! Typed Argo CD custom resources (`argoproj.io/v1alpha1`): the parts of Application and
//! ApplicationSet that deploy the relay through the relaygen config-management plugin.
//!
//! Field names follow Argo CD's Go types (`pkg/apis/application/v1alpha1/types.go` and
//! `applicationset_types.go`); the test suite checks every field we emit against a fixture
//! transcribed from Argo CD's CRDs (`tests/judges/argocd/`). Fields are declared in
//! alphabetical order to match k8s-openapi's output style.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// The API version of Application and ApplicationSet.
pub(crate) const API_VERSION: &str = "argoproj.io/v1alpha1";

/// The finalizer that makes deleting an Application delete the resources it deployed, in the
/// foreground (Argo CD's default). The `/foreground` spelling Argo CD also accepts, because the
/// API server warns on the plain `resources-finalizer.argocd.argoproj.io`: a finalizer name
/// should be domain-qualified with a path.
pub(crate) const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io/foreground";

/// An Argo CD Application: one source rendered into one destination.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Application {
    /// Always [`API_VERSION`].
    pub api_version: &'static str,
    /// Always `Application`.
    pub kind: &'static str,
    /// Name and the namespace Argo CD watches (usually `argocd`).
    pub metadata: ObjectMeta,
    /// Source, destination and sync policy.
    pub spec: ApplicationSpec,
}

/// What an Application deploys, where, and how it syncs.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApplicationSpec {
    /// The cluster and namespace to deploy to.
    pub destination: Destination,
    /// The Argo CD project.
    pub project: String,
    /// Where the manifests come from.
    pub source: Source,
    /// Automated sync and sync options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<SyncPolicy>,
}

/// The target cluster (by API server URL) and namespace.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Destination {
    /// Namespace for namespaced objects without one (relaygen sets it on every object).
    pub namespace: String,
    /// The cluster's API server URL, e.g. `https://kubernetes.default.svc`.
    pub server: String,
}

/// A Git source rendered by a config-management plugin.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Source {
    /// Directory inside the repository (holds `profiles/`).
    pub path: String,
    /// The plugin and its parameters.
    pub plugin: PluginSource,
    /// The Git repository URL.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Branch, tag or commit.
    pub target_revision: String,
}

/// Which plugin renders the source, with what parameters.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct PluginSource {
    /// The plugin's name (`metadata.name` of its `plugin.yaml`).
    pub name: String,
    /// Parameters, as announced by the plugin.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<PluginParameter>,
}

/// One plugin parameter: a name and exactly one of a string, an array or a map.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct PluginParameter {
    /// Array value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array: Option<Vec<String>>,
    /// Map value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<BTreeMap<String, String>>,
    /// The parameter's name.
    pub name: String,
    /// String value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
}

/// When and how Argo CD syncs.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SyncPolicy {
    /// Sync on every change in Git.
    pub automated: Automated,
    /// Options such as `CreateNamespace=true`.
    pub sync_options: Vec<String>,
}

/// Automated sync settings.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Automated {
    /// Allow a sync that would leave no resources (relaygen never wants that).
    pub allow_empty: bool,
    /// Delete resources that left the rendering.
    pub prune: bool,
    /// Undo changes made in the cluster.
    pub self_heal: bool,
}

/// An ApplicationSet: Applications generated from a template, one per generator element.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApplicationSet {
    /// Always [`API_VERSION`].
    pub api_version: &'static str,
    /// Always `ApplicationSet`.
    pub kind: &'static str,
    /// Name and the namespace Argo CD watches.
    pub metadata: ObjectMeta,
    /// Generators and the Application template.
    pub spec: ApplicationSetSpec,
}

/// ApplicationSet spec.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApplicationSetSpec {
    /// Where the template parameters come from.
    pub generators: Vec<Generator>,
    /// Use Go templates (`{{.profile}}`) in the template.
    pub go_template: bool,
    /// Go template options; `missingkey=error` turns a typo into an error.
    pub go_template_options: Vec<String>,
    /// The Application each element becomes.
    pub template: ApplicationSetTemplate,
}

/// One generator (relaygen uses the list generator only).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct Generator {
    /// A fixed list of elements.
    pub list: ListGenerator,
}

/// A list generator: one Application per element.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct ListGenerator {
    /// Template parameters, one map per Application.
    pub elements: Vec<BTreeMap<String, String>>,
}

/// The Application template of an ApplicationSet.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct ApplicationSetTemplate {
    /// Name (templated), labels and finalizers of each Application.
    pub metadata: TemplateMeta,
    /// The Application spec (templated).
    pub spec: ApplicationSpec,
}

/// Metadata of the generated Applications.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct TemplateMeta {
    /// Finalizers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Name (templated).
    pub name: String,
}
