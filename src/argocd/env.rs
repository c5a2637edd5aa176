//! What Argo CD tells the plugin, read into the same [`Selection`] the command line builds.
//!
//! Inputs, in precedence order (later wins):
//!
//! | Argo CD sets | from | relaygen reads it as |
//! |---|---|---|
//! | `ARGOCD_ENV_PROFILE`, `ARGOCD_ENV_VALUES` (comma list), `ARGOCD_ENV_SET` (a `--set` expression), `ARGOCD_ENV_NAMESPACE` | the Application's `plugin.env` | profile, `-f`, `--set`, `-n` |
//! | `ARGOCD_APP_PARAMETERS` (JSON), or else `PARAM_*` | the Application's `plugin.parameters` | the same four, as parameters `profile`, `values`, `set`, `namespace` |
//! | `ARGOCD_APP_NAMESPACE` | the destination namespace | `-n` when neither of the above names a namespace |
//! | `KUBE_VERSION` | the cluster | `--kube-version` |
//! | `KUBE_API_VERSIONS` | the cluster | which custom resources may be rendered |
//!
//! Argo CD always sets `ARGOCD_APP_PARAMETERS` alongside the `PARAM_*` variables; the JSON keeps
//! map keys exactly, the variables upper-case them and turn `.` into `_`. relaygen reads the JSON
//! and falls back to `PARAM_*` only without it, resolving `PARAM_SET_<KEY>` against the values
//! schema. Unknown `ARGOCD_ENV_*` names and unknown parameters are errors: a misspelled
//! `PROFILE` must not quietly render the built-in defaults.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::{PARAM_NAMESPACE, PARAM_PROFILE, PARAM_PROFILES_AVAILABLE, PARAM_SET, PARAM_VALUES, PROFILES_DIR};
use crate::error::{Diagnostic, Error, Result};
use crate::kube::{self, KubeVersion};
use crate::values::profiles_dir::is_profile_path;
use crate::values::{Selection, SetArg};

/// `ARGOCD_ENV_*` names relaygen reads (without the prefix).
const ENV_NAMES: [&str; 4] = ["PROFILE", "VALUES", "SET", "NAMESPACE"];
/// Prefix Argo CD puts on the Application's `plugin.env` names.
const ENV_PREFIX: &str = "ARGOCD_ENV_";
/// Prefix of the individual parameter variables.
const PARAM_PREFIX: &str = "PARAM_";
/// The parameters as JSON.
const PARAMETERS_JSON: &str = "ARGOCD_APP_PARAMETERS";

/// Everything `argocd generate` needs, read from the environment.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    /// Which values to load: the same layers as `render`.
    pub selection: Selection,
    /// The cluster's Kubernetes version (`KUBE_VERSION`), or the default.
    pub kube_version: KubeVersion,
    /// The API group/versions and kinds the cluster serves (`KUBE_API_VERSIONS`); `None` when
    /// Argo CD did not say.
    pub api_versions: Option<BTreeSet<String>>,
    /// Notes for stderr (e.g. a cluster newer than relaygen knows).
    pub warnings: Vec<Diagnostic>,
}

/// Keeps the variables the plugin contract defines, refusing any that is not UTF-8.
pub(crate) fn contract_variables(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, value) in vars {
        let Ok(name) = name.into_string() else { continue };
        let relevant = name.starts_with("ARGOCD_") || name.starts_with(PARAM_PREFIX) || name.starts_with("KUBE_");
        if !relevant {
            continue;
        }
        match value.into_string() {
            Ok(value) => {
                out.insert(name, value);
            }
            Err(_) => problems.push(Diagnostic::error(format!("{name} is not valid UTF-8")).at(name)),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(Error::Values(problems)) }
}

/// The plugin's inputs from one source (the Application's env, or its parameters).
#[derive(Clone, Debug, Default)]
struct Inputs {
    profile: Option<String>,
    namespace: Option<String>,
    values: Vec<String>,
    /// `--set` expressions.
    sets: Vec<String>,
}

/// Reads the request from the contract's variables (see [`contract_variables`]).
pub(crate) fn request(vars: &BTreeMap<String, String>) -> Result<Request> {
    let mut problems = Vec::new();
    let env = env_inputs(vars, &mut problems);
    let params = match vars.get(PARAMETERS_JSON).filter(|v| !v.trim().is_empty()) {
        Some(json) => json_parameters(json, &mut problems),
        None => param_variables(vars, &mut problems),
    };
    let mut warnings = Vec::new();
    let kube_version = kube_version(vars.get("KUBE_VERSION"), &mut problems, &mut warnings);
    let api_versions = vars
        .get("KUBE_API_VERSIONS")
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());

    let profile = params.profile.or(env.profile);
    // A profile may be given as a path (`profiles/prod.yaml`); under Argo CD it must stay
    // inside the application's directory, as values files must.
    if let Some(profile) = profile.as_deref().filter(|p| is_profile_path(p))
        && let Err(why) = safe_relative_path(profile)
    {
        problems.push(
            Diagnostic::error(format!("profile `{profile}` {why}"))
                .at(PARAM_PROFILE)
                .expected("a profile name such as prod, or a path inside the application's directory"),
        );
    }
    let namespace = params
        .namespace
        .or(env.namespace)
        .or_else(|| vars.get("ARGOCD_APP_NAMESPACE").filter(|n| !n.is_empty()).cloned());
    let mut files = Vec::new();
    for (origin, file) in
        env.values.iter().map(|f| ("ARGOCD_ENV_VALUES", f)).chain(params.values.iter().map(|f| ("parameter values", f)))
    {
        match safe_relative_path(file) {
            Ok(path) => files.push(path),
            Err(why) => problems.push(
                Diagnostic::error(format!("values file `{file}` {why}"))
                    .at(origin)
                    .expected("a path inside the application's directory, e.g. values/eu-west.yaml"),
            ),
        }
    }
    let sets = env.sets.into_iter().chain(params.sets).map(|expression| SetArg { expression, string: false }).collect();
    if !problems.is_empty() {
        return Err(Error::Values(problems));
    }
    Ok(Request {
        selection: Selection {
            profile,
            profiles_dir: crate::values::ProfilesDir::Given(PROFILES_DIR.into()),
            files,
            sets,
            namespace,
        },
        kube_version,
        api_versions,
        warnings,
    })
}

fn non_empty(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
}

fn env_inputs(vars: &BTreeMap<String, String>, problems: &mut Vec<Diagnostic>) -> Inputs {
    for name in vars.keys().filter_map(|k| k.strip_prefix(ENV_PREFIX)) {
        if !ENV_NAMES.contains(&name) {
            let mut d = Diagnostic::error(format!("unknown plugin environment variable {ENV_PREFIX}{name}"))
                .at(format!("{ENV_PREFIX}{name}"))
                .expected(format!("one of {}", ENV_NAMES.map(|n| format!("{ENV_PREFIX}{n}")).join(", ")));
            if let Some(best) = crate::suggest::nearest(name, ENV_NAMES) {
                d = d.help(format!("did you mean `{best}` in the Application's plugin.env?"));
            }
            problems.push(d);
        }
    }
    let get = |name: &str| vars.get(&format!("{ENV_PREFIX}{name}"));
    Inputs {
        profile: non_empty(get("PROFILE")),
        namespace: non_empty(get("NAMESPACE")),
        values: get("VALUES")
            .map(|v| v.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
        sets: non_empty(get("SET")).into_iter().collect(),
    }
}

/// One element of `ARGOCD_APP_PARAMETERS`.
#[derive(Debug, Deserialize)]
struct RawParameter {
    name: String,
    #[serde(default)]
    string: Option<String>,
    #[serde(default)]
    array: Option<Vec<String>>,
    #[serde(default)]
    map: Option<BTreeMap<String, String>>,
}

/// The parameters relaygen announces, with the collection each takes.
const PARAMETERS: [(&str, &str); 4] =
    [(PARAM_PROFILE, "string"), (PARAM_VALUES, "array"), (PARAM_SET, "map"), (PARAM_NAMESPACE, "string")];

fn unknown_parameter(name: &str, at: String) -> Diagnostic {
    if name == PARAM_PROFILES_AVAILABLE {
        return Diagnostic::error(format!("parameter `{name}` is for information only"))
            .at(at)
            .help(format!("remove it from the Application and choose a profile with the `{PARAM_PROFILE}` parameter"));
    }
    let names = PARAMETERS.map(|(n, _)| n);
    let mut d = Diagnostic::error(format!("unknown parameter `{name}`"))
        .at(at)
        .expected(format!("one of {}", names.map(|n| format!("`{n}`")).join(", ")));
    if let Some(best) = crate::suggest::nearest(name, names) {
        d = d.help(format!("did you mean `{best}`?"));
    }
    d
}

fn json_parameters(json: &str, problems: &mut Vec<Diagnostic>) -> Inputs {
    let raw: Vec<RawParameter> = match serde_json::from_str(json) {
        Ok(raw) => raw,
        Err(e) => {
            problems.push(
                Diagnostic::error(format!("not valid JSON: {e}"))
                    .at(PARAMETERS_JSON)
                    .expected(r#"a JSON array such as [{"name": "profile", "string": "prod"}]"#),
            );
            return Inputs::default();
        }
    };
    let mut inputs = Inputs::default();
    let mut seen = BTreeSet::new();
    for (i, p) in raw.into_iter().enumerate() {
        let at = format!("{PARAMETERS_JSON}[{i}] ({})", p.name);
        if !seen.insert(p.name.clone()) {
            problems.push(Diagnostic::error(format!("parameter `{}` is given twice", p.name)).at(at));
            continue;
        }
        let Some((name, collection)) = PARAMETERS.iter().find(|(n, _)| *n == p.name) else {
            problems.push(unknown_parameter(&p.name, at));
            continue;
        };
        let given = match (&p.string, &p.array, &p.map) {
            (Some(_), None, None) => "string",
            (None, Some(_), None) => "array",
            (None, None, Some(_)) => "map",
            _ => "",
        };
        if given != *collection {
            problems.push(
                Diagnostic::error(format!("parameter `{name}` takes a {collection}"))
                    .at(at)
                    .expected(format!(r#"{{"name": "{name}", "{collection}": …}}"#)),
            );
            continue;
        }
        match *name {
            PARAM_PROFILE => inputs.profile = non_empty(p.string.as_ref()),
            PARAM_NAMESPACE => inputs.namespace = non_empty(p.string.as_ref()),
            PARAM_VALUES => inputs.values = p.array.unwrap_or_default(),
            _ => {
                for (key, value) in p.map.unwrap_or_default() {
                    match set_expression(&key, &value) {
                        Ok(expression) => inputs.sets.push(expression),
                        Err(d) => problems.push(d.at(format!("{PARAMETERS_JSON}[{i}] (set).{key}"))),
                    }
                }
            }
        }
    }
    inputs
}

/// A `set` map entry as a `--set` expression. As Argo CD does for Helm parameters, commas in
/// the value are literal unless the whole value is a `{a,b}` list.
fn set_expression(key: &str, value: &str) -> std::result::Result<String, Diagnostic> {
    if key.trim().is_empty() || key.contains(['=', ',']) {
        return Err(Diagnostic::error(format!("`{key}` is not a key path"))
            .expected("a dotted key path without `=` or `,`, e.g. deployment.replicas"));
    }
    let value = if value.starts_with('{') && value.ends_with('}') {
        value.to_owned()
    } else {
        let mut escaped = String::with_capacity(value.len());
        let mut previous = None;
        for c in value.chars() {
            if c == ',' && previous != Some('\\') {
                escaped.push('\\');
            }
            escaped.push(c);
            previous = Some(c);
        }
        escaped
    };
    Ok(format!("{key}={value}"))
}

/// Argo CD's spelling of a name in a variable: upper case, anything but `[A-Z0-9_]` → `_`.
pub(crate) fn escaped(name: &str) -> String {
    name.to_uppercase().chars().map(|c| if c.is_ascii_uppercase() || c.is_ascii_digit() { c } else { '_' }).collect()
}

fn param_variables(vars: &BTreeMap<String, String>, problems: &mut Vec<Diagnostic>) -> Inputs {
    let mut inputs = Inputs::default();
    let mut values: BTreeMap<usize, String> = BTreeMap::new();
    let mut sets: BTreeMap<String, String> = BTreeMap::new();
    let set_prefix = format!("{}_", escaped(PARAM_SET));
    let values_prefix = format!("{}_", escaped(PARAM_VALUES));
    let mut keys: Option<BTreeMap<String, Vec<String>>> = None;
    for (name, value) in vars.iter().filter_map(|(k, v)| Some((k.strip_prefix(PARAM_PREFIX)?, v))) {
        let var = format!("{PARAM_PREFIX}{name}");
        if name == escaped(PARAM_PROFILE) {
            inputs.profile = non_empty(Some(value));
        } else if name == escaped(PARAM_NAMESPACE) {
            inputs.namespace = non_empty(Some(value));
        } else if let Some(index) = name.strip_prefix(&values_prefix) {
            match index.parse::<usize>() {
                Ok(i) => {
                    values.insert(i, value.clone());
                }
                Err(_) => problems.push(unknown_parameter(name, var)),
            }
        } else if let Some(key) = name.strip_prefix(&set_prefix) {
            let table = keys.get_or_insert_with(escaped_key_paths);
            match table.get(key).map(Vec::as_slice) {
                Some([path]) => {
                    sets.insert(path.clone(), value.clone());
                }
                found => {
                    let why = match found {
                        Some(paths) => format!("could be any of {}", paths.join(", ")),
                        None => "matches no key of the values".to_owned(),
                    };
                    problems.push(
                        Diagnostic::error(format!("{var} {why}"))
                            .at(var)
                            .help(format!("set {PARAMETERS_JSON}, which keeps the key as written (Argo CD sets it)")),
                    );
                }
            }
        } else {
            problems.push(unknown_parameter(&name.to_lowercase(), var));
        }
    }
    inputs.values = values.into_values().collect();
    for (key, value) in sets {
        match set_expression(&key, &value) {
            Ok(expression) => inputs.sets.push(expression),
            Err(d) => problems.push(d),
        }
    }
    inputs
}

/// Every key path of the values schema that holds a value, by its escaped spelling.
fn escaped_key_paths() -> BTreeMap<String, Vec<String>> {
    fn walk(node: &serde_json::Value, prefix: &str, out: &mut BTreeMap<String, Vec<String>>) {
        match node.get("properties").and_then(serde_json::Value::as_object) {
            Some(properties) => {
                for (key, child) in properties {
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    walk(child, &path, out);
                }
            }
            None if !prefix.is_empty() => out.entry(escaped(prefix)).or_default().push(prefix.to_owned()),
            None => {}
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(schema) = crate::schema::values_schema() {
        walk(&schema, "", &mut out);
    }
    out
}

/// A values file path Argo CD may hand us: relative, inside the application's directory.
fn safe_relative_path(file: &str) -> std::result::Result<PathBuf, &'static str> {
    let path = Path::new(file);
    if file == "-" {
        return Err("cannot be stdin under Argo CD");
    }
    if path.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err("must be a relative path without `..`");
    }
    Ok(path.to_path_buf())
}

/// `KUBE_VERSION` (e.g. `1.34`, `v1.34.2`, `v1.34.2-eks-1552ad0`): supported versions as they
/// are, a newer cluster rendered for the newest supported version with a warning (every API
/// relaygen emits is GA and none is scheduled for removal), an older one refused.
fn kube_version(text: Option<&String>, problems: &mut Vec<Diagnostic>, warnings: &mut Vec<Diagnostic>) -> KubeVersion {
    let Some(text) = text.map(|t| t.trim()).filter(|t| !t.is_empty()) else {
        return KubeVersion::default();
    };
    // MAJOR.MINOR[.PATCH], ignoring pre-release or build suffixes a distribution adds.
    let numeric: String =
        text.strip_prefix('v').unwrap_or(text).chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let mut parts = numeric.split('.').filter(|p| !p.is_empty());
    let parsed = match (parts.next().map(str::parse::<u32>), parts.next().map(str::parse::<u32>)) {
        (Some(Ok(major)), Some(Ok(minor))) => Some(KubeVersion { major, minor }),
        _ => None,
    };
    match parsed {
        Some(v) if v > kube::NEWEST => {
            warnings.push(
                Diagnostic::warning(format!(
                    "`{text}` is Kubernetes {v}, newer than relaygen knows; rendering for {}",
                    kube::NEWEST
                ))
                .at("KUBE_VERSION")
                .help("every API relaygen uses is GA; upgrade relaygen to validate against the new version"),
            );
            kube::NEWEST
        }
        Some(v) if v >= kube::OLDEST => v,
        Some(v) => {
            problems.push(
                Diagnostic::error(format!(
                    "`{text}` is Kubernetes {v}, which is not supported; relaygen renders for {} through {}",
                    kube::OLDEST,
                    kube::NEWEST
                ))
                .at("KUBE_VERSION"),
            );
            KubeVersion::default()
        }
        None => {
            problems.push(
                Diagnostic::error(format!("KUBE_VERSION `{text}` is not a Kubernetes version"))
                    .at("KUBE_VERSION")
                    .expected(format!("MAJOR.MINOR[.PATCH], e.g. {} or v{}.2", kube::OLDEST, kube::NEWEST)),
            );
            KubeVersion::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn problems(pairs: &[(&str, &str)]) -> String {
        match request(&vars(pairs)) {
            Err(Error::Values(d)) => d.iter().map(|d| crate::style::plain(&d.render())).collect(),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn parameters_override_the_plugin_env_and_the_destination_namespace_is_the_default() {
        let r = request(&vars(&[
            ("ARGOCD_ENV_PROFILE", "dev"),
            ("ARGOCD_ENV_SET", "deployment.replicas=2"),
            ("ARGOCD_APP_NAMESPACE", "mail"),
            (PARAMETERS_JSON, r#"[{"name":"profile","string":"prod"},{"name":"set","map":{"env.ALLOWED_SENDER_DOMAINS":"a.org,b.org"}}]"#),
        ]))
        .expect("valid");
        assert_eq!(r.selection.profile.as_deref(), Some("prod"));
        assert_eq!(r.selection.namespace.as_deref(), Some("mail"));
        let sets: Vec<&str> = r.selection.sets.iter().map(|s| s.expression.as_str()).collect();
        assert_eq!(sets, ["deployment.replicas=2", r"env.ALLOWED_SENDER_DOMAINS=a.org\,b.org"]);
        let r = request(&vars(&[("ARGOCD_APP_NAMESPACE", "mail"), ("ARGOCD_ENV_NAMESPACE", "other")])).expect("ok");
        assert_eq!(r.selection.namespace.as_deref(), Some("other"));
    }

    #[test]
    fn param_variables_resolve_keys_through_the_values_schema() {
        let r = request(&vars(&[
            ("PARAM_PROFILE", "staging"),
            ("PARAM_VALUES_1", "b.yaml"),
            ("PARAM_VALUES_0", "a.yaml"),
            ("PARAM_SET_DEPLOYMENT_REPLICAS", "4"),
            ("PARAM_SET_PODDISRUPTIONBUDGET_ENABLED", "true"),
        ]))
        .expect("valid");
        assert_eq!(r.selection.profile.as_deref(), Some("staging"));
        assert_eq!(r.selection.files, [PathBuf::from("a.yaml"), PathBuf::from("b.yaml")]);
        let sets: Vec<&str> = r.selection.sets.iter().map(|s| s.expression.as_str()).collect();
        assert_eq!(sets, ["deployment.replicas=4", "podDisruptionBudget.enabled=true"]);
        assert!(problems(&[("PARAM_SET_DEPLOYMENT_REPLICAZ", "4")]).contains("matches no key"));
    }

    #[test]
    fn unknown_names_wrong_collections_and_files_outside_the_app_are_errors() {
        assert!(problems(&[("ARGOCD_ENV_PROFLE", "prod")]).contains("did you mean `PROFILE`"));
        assert!(
            problems(&[(PARAMETERS_JSON, r#"[{"name":"profil","string":"x"}]"#)]).contains("did you mean `profile`")
        );
        assert!(problems(&[(PARAMETERS_JSON, r#"[{"name":"set","string":"x"}]"#)]).contains("takes a map"));
        assert!(problems(&[(PARAMETERS_JSON, "not json")]).contains("not valid JSON"));
        assert!(
            problems(&[(PARAMETERS_JSON, r#"[{"name":"available-profiles","array":[]}]"#)]).contains("information")
        );
        assert!(problems(&[("ARGOCD_ENV_VALUES", "../secrets.yaml")]).contains("without `..`"));
        assert!(problems(&[(PARAMETERS_JSON, r#"[{"name":"values","array":["/etc/passwd"]}]"#)]).contains("relative"));
        // A profile given as a path is held to the same rule.
        assert!(problems(&[("ARGOCD_ENV_PROFILE", "../other-team/prod.yaml")]).contains("without `..`"));
        assert!(problems(&[(PARAMETERS_JSON, r#"[{"name":"profile","string":"/etc/x.yaml"}]"#)]).contains("relative"));
    }

    #[test]
    fn kube_version_accepts_argo_cd_spellings_clamps_newer_and_refuses_older() {
        for (text, minor) in [("1.34", 34), ("v1.35.2", 35), ("v1.33.4-eks-1552ad0", 33)] {
            assert_eq!(request(&vars(&[("KUBE_VERSION", text)])).expect(text).kube_version.minor, minor);
        }
        let r = request(&vars(&[("KUBE_VERSION", "v1.40.0")])).expect("newer is rendered");
        assert_eq!(r.kube_version, kube::NEWEST);
        assert_eq!(r.warnings.len(), 1);
        assert!(problems(&[("KUBE_VERSION", "1.28.3")]).contains("not supported"));
        assert!(problems(&[("KUBE_VERSION", "latest")]).contains("not a Kubernetes version"));
    }
}
