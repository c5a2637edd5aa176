//! The Application (one relay) and the ApplicationSet (a fleet: one relay per profile, each
//! on its own cluster if you like) that deploy the relay through the plugin.
//!
//! Both are checked before they are printed: every profile is loaded and validated as
//! `render` would (so a typo fails here, not in the Argo CD UI), and its `namespace` value
//! becomes the destination namespace, so Argo CD's namespace and relaygen's agree.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{PARAM_PROFILE, PLUGIN_NAME};
use crate::crd::argocd::{
    API_VERSION, Application, ApplicationSet, ApplicationSetSpec, ApplicationSetTemplate, ApplicationSpec, Automated,
    Destination, Generator, ListGenerator, PluginParameter, PluginSource, RESOURCES_FINALIZER, Source, SyncPolicy,
    TemplateMeta,
};
use crate::error::{Diagnostic, Error, Result};
use crate::values::syntax::is_dns1123_label;
use crate::values::{self, ProfilesDir, Selection};

/// The API server URL of the cluster Argo CD runs in.
pub(crate) const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// Where the relay's source lives and which Argo CD project and namespace hold it.
#[derive(Clone, Debug)]
pub(crate) struct SourceRef {
    /// Git repository URL.
    pub repo: String,
    /// Directory in the repository holding `profiles/`.
    pub path: String,
    /// Branch, tag or commit.
    pub revision: String,
    /// Argo CD project.
    pub project: String,
    /// Namespace Argo CD watches for Applications.
    pub argocd_namespace: String,
    /// The local copy of `profiles/`, to check profiles and read their namespaces.
    pub profiles_dir: PathBuf,
}

/// One member of a fleet: a profile and the cluster it goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Profile name.
    pub profile: String,
    /// API server URL of the target cluster.
    pub server: String,
}

impl std::str::FromStr for Member {
    type Err = String;

    /// `PROFILE` (the in-cluster server) or `PROFILE=SERVER`.
    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let (profile, server) = text.split_once('=').unwrap_or((text, IN_CLUSTER));
        if profile.is_empty() || server.is_empty() {
            return Err(format!("`{text}`: expected PROFILE or PROFILE=SERVER"));
        }
        Ok(Member { profile: profile.into(), server: server.into() })
    }
}

fn check_source(source: &SourceRef, problems: &mut Vec<Diagnostic>) {
    if source.repo.trim().is_empty() || source.repo.chars().any(char::is_whitespace) {
        problems.push(Diagnostic::error(format!("`{}` is not a repository URL", source.repo)).at("--repo"));
    }
    let path = Path::new(&source.path);
    if source.path.is_empty() || path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        problems.push(
            Diagnostic::error(format!("`{}` is not a directory inside the repository", source.path))
                .at("--path")
                .expected("a relative path without `..`, e.g. deploy/relay or ."),
        );
    }
}

/// Loads a profile as `render --profile` would, returning its namespace.
fn profile_namespace(source: &SourceRef, profile: &str) -> Result<String> {
    let selection = Selection {
        profile: Some(profile.into()),
        profiles_dir: ProfilesDir::Given(source.profiles_dir.clone()),
        ..Selection::default()
    };
    Ok(values::load(&selection)?.values.namespace)
}

/// What every Application's name starts with.
const APP_NAME_PREFIX: &str = "postfix-relay";

/// The Application name for a profile: `postfix-relay-PROFILE`, a DNS-1123 label.
fn app_name(profile: &str, at: &str) -> Result<String> {
    let name = format!("{APP_NAME_PREFIX}-{profile}");
    if is_dns1123_label(&name) {
        Ok(name)
    } else {
        Err(Error::Values(vec![
            Diagnostic::error(format!("`{name}` is not a valid Application name"))
                .at(at)
                .expected("lower-case letters, digits and `-`, at most 63 characters")
                .help("rename the profile, or name the Application with --name"),
        ]))
    }
}

fn spec(source: &SourceRef, profile: String, namespace: String, server: String) -> ApplicationSpec {
    ApplicationSpec {
        destination: Destination { namespace, server },
        project: source.project.clone(),
        source: Source {
            path: source.path.clone(),
            plugin: PluginSource {
                name: PLUGIN_NAME.into(),
                parameters: vec![PluginParameter {
                    array: None,
                    map: None,
                    name: PARAM_PROFILE.into(),
                    string: Some(profile),
                }],
            },
            repo_url: source.repo.clone(),
            target_revision: source.revision.clone(),
        },
        sync_policy: Some(SyncPolicy {
            // relaygen never prints an empty stream; `allowEmpty: false` is the second lock.
            automated: Automated { allow_empty: false, prune: true, self_heal: true },
            sync_options: vec!["CreateNamespace=true".into()],
        }),
    }
}

/// One Application deploying `profile` to `server`. `name` and `namespace` default to
/// `postfix-relay-PROFILE` and the profile's `namespace` value.
pub(crate) fn application(
    source: &SourceRef,
    profile: &str,
    name: Option<&str>,
    namespace: Option<&str>,
    server: &str,
) -> Result<Application> {
    let mut problems = Vec::new();
    check_source(source, &mut problems);
    if !problems.is_empty() {
        return Err(Error::Values(problems));
    }
    let name = match name {
        Some(n) if is_dns1123_label(n) => n.to_owned(),
        Some(n) => {
            return Err(Error::Values(vec![
                Diagnostic::error(format!("`{n}` is not a valid Application name"))
                    .at("--name")
                    .expected("lower-case letters, digits and `-`, at most 63 characters"),
            ]));
        }
        None => app_name(profile, "--profile")?,
    };
    let loaded = profile_namespace(source, profile)?;
    let namespace = namespace.map_or(loaded, str::to_owned);
    Ok(Application {
        api_version: API_VERSION,
        kind: "Application",
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(source.argocd_namespace.clone()),
            finalizers: Some(vec![RESOURCES_FINALIZER.into()]),
            ..ObjectMeta::default()
        },
        spec: spec(source, profile.into(), namespace, server.into()),
    })
}

/// An ApplicationSet named `name` with one element (profile, namespace, server) per member;
/// without members, one per profile in the profiles directory, all in-cluster.
pub(crate) fn application_set(source: &SourceRef, name: &str, members: &[Member]) -> Result<ApplicationSet> {
    let mut problems = Vec::new();
    check_source(source, &mut problems);
    if !is_dns1123_label(name) {
        problems.push(
            Diagnostic::error(format!("`{name}` is not a valid ApplicationSet name"))
                .at("--name")
                .expected("lower-case letters, digits and `-`, at most 63 characters"),
        );
    }
    if !problems.is_empty() {
        return Err(Error::Values(problems));
    }
    let members: Vec<Member> = if members.is_empty() {
        let found = values::profiles_dir::available_profiles(ProfilesDir::Given(source.profiles_dir.clone()).path()?);
        if found.is_empty() {
            return Err(Error::Values(vec![
                Diagnostic::error(format!("{} holds no profiles", source.profiles_dir.display()))
                    .at("--profiles")
                    .help("run from the repository root, or name the profiles with --profiles"),
            ]));
        }
        found.into_iter().map(|profile| Member { profile, server: IN_CLUSTER.into() }).collect()
    } else {
        members.to_vec()
    };
    let mut elements = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for member in &members {
        if !seen.insert(member.profile.clone()) {
            return Err(Error::Values(vec![
                Diagnostic::error(format!("profile `{}` is listed twice", member.profile)).at("--profiles"),
            ]));
        }
        app_name(&member.profile, "--profiles")?;
        let namespace = profile_namespace(source, &member.profile)?;
        elements.push(BTreeMap::from([
            ("namespace".to_owned(), namespace),
            ("profile".to_owned(), member.profile.clone()),
            ("server".to_owned(), member.server.clone()),
        ]));
    }
    Ok(ApplicationSet {
        api_version: API_VERSION,
        kind: "ApplicationSet",
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(source.argocd_namespace.clone()),
            ..ObjectMeta::default()
        },
        spec: ApplicationSetSpec {
            generators: vec![Generator { list: ListGenerator { elements } }],
            go_template: true,
            go_template_options: vec!["missingkey=error".into()],
            template: ApplicationSetTemplate {
                metadata: TemplateMeta {
                    finalizers: vec![RESOURCES_FINALIZER.into()],
                    labels: BTreeMap::from([("app.kubernetes.io/part-of".to_owned(), name.to_owned())]),
                    name: format!("{APP_NAME_PREFIX}-{{{{.profile}}}}"),
                },
                spec: spec(source, "{{.profile}}".into(), "{{.namespace}}".into(), "{{.server}}".into()),
            },
        },
    })
}
