//! The plugin's `plugin.yaml` (a `ConfigManagementPlugin`, read by `argocd-cmp-server` from
//! `/home/argocd/cmp-server/config/plugin.yaml`) and its parameter announcements.
//!
//! The shape follows Argo CD's `cmpserver/plugin/config.go` (`PluginConfig`): it looks like a
//! Kubernetes object but is no custom resource, so it never goes to a cluster.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::{
    PARAM_NAMESPACE, PARAM_PROFILE, PARAM_PROFILES_AVAILABLE, PARAM_SET, PARAM_VALUES, PLUGIN_NAME, PROFILES_DIR,
};

/// The plugin configuration file.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConfigManagementPlugin {
    /// `argoproj.io/v1alpha1`.
    pub api_version: &'static str,
    /// `ConfigManagementPlugin`.
    pub kind: &'static str,
    /// The plugin's name: what an Application's `spec.source.plugin.name` says.
    pub metadata: ObjectMeta,
    /// Discovery, generation and parameters.
    pub spec: PluginSpec,
}

/// What the plugin does.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PluginSpec {
    /// Which application directories the plugin claims.
    pub discover: Discover,
    /// The command whose stdout is the manifests.
    pub generate: PluginCommand,
    /// What the Argo CD UI offers to set.
    pub parameters: Parameters,
    /// Keep the repository's file modes; relaygen reads files only, so no.
    pub preserve_file_mode: bool,
}

/// Discovery rule.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Discover {
    /// A Go `filepath.Glob` pattern applied in the application's source directory.
    pub file_name: String,
}

/// A command and its arguments, run without a shell.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct PluginCommand {
    /// Program and arguments.
    pub command: Vec<String>,
}

/// Parameter announcements.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub(crate) struct Parameters {
    /// Announcements for every application.
    #[serde(rename = "static")]
    pub static_: Vec<Announcement>,
    /// A command printing announcements for one application (JSON).
    pub dynamic: PluginCommand,
}

/// One parameter announcement: how the UI presents a parameter, and its default.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Announcement {
    /// Default of an array parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array: Option<Vec<String>>,
    /// `string`, `array` or `map`.
    pub collection_type: &'static str,
    /// Default of a map parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<BTreeMap<String, String>>,
    /// The parameter's name.
    pub name: &'static str,
    /// Default of a string parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
    /// Label in the UI.
    pub title: String,
    /// Help shown on hover.
    pub tooltip: String,
}

fn command(args: &[&str]) -> PluginCommand {
    PluginCommand { command: args.iter().map(|a| (*a).to_owned()).collect() }
}

fn announcement(name: &'static str, collection_type: &'static str, title: &str, tooltip: &str) -> Announcement {
    Announcement {
        array: None,
        collection_type,
        map: None,
        name,
        string: None,
        title: title.to_owned(),
        tooltip: tooltip.to_owned(),
    }
}

/// The plugin configuration. Discovery claims a directory with at least one profile
/// (`profiles/*.yaml`); the commands name `relaygen` on the sidecar's `PATH`.
pub(crate) fn plugin() -> ConfigManagementPlugin {
    ConfigManagementPlugin {
        api_version: crate::crd::argocd::API_VERSION,
        kind: "ConfigManagementPlugin",
        metadata: ObjectMeta { name: Some(PLUGIN_NAME.into()), ..ObjectMeta::default() },
        spec: PluginSpec {
            discover: Discover { file_name: format!("./{PROFILES_DIR}/*.yaml") },
            generate: command(&["relaygen", "argocd", "generate"]),
            parameters: Parameters {
                static_: vec![
                    announcement(
                        PARAM_PROFILE,
                        "string",
                        "Profile",
                        "profiles/NAME.yaml in the application's directory, layered over relaygen's built-in \
                         defaults; empty renders the defaults alone",
                    ),
                    announcement(
                        PARAM_VALUES,
                        "array",
                        "Values files",
                        "Values files relative to the application's directory, layered over the profile; later \
                         files win",
                    ),
                    announcement(
                        PARAM_SET,
                        "map",
                        "Overrides (--set)",
                        "KEY → VALUE, applied last like `relaygen render --set KEY=VALUE` and typed by the values \
                         model; commas in a value are literal, `{a,b}` is a list",
                    ),
                    announcement(
                        PARAM_NAMESPACE,
                        "string",
                        "Namespace",
                        "Namespace of every object; empty uses the Application's destination namespace",
                    ),
                ],
                dynamic: command(&["relaygen", "argocd", "parameters"]),
            },
            preserve_file_mode: false,
        },
    }
}

/// The dynamic announcement: the profiles found in the application's `profiles/` directory,
/// under a name of its own (static announcements override dynamic ones of the same name).
pub(crate) fn dynamic_parameters(profiles: &[String]) -> Vec<Announcement> {
    let mut available = announcement(
        PARAM_PROFILES_AVAILABLE,
        "array",
        "Profiles in profiles/ (for information; choose one in `profile`)",
        "The profiles this application's directory holds; relaygen refuses this parameter if set",
    );
    available.array = Some(profiles.to_vec());
    vec![available]
}
