//! Argo CD: these tests play Argo CD's side of the config-management plugin contract.
//!
//! They read the printed `plugin.yaml`, run its discovery rule and its generate command
//! through `sh -c` in a temporary application directory with the environment Argo CD sets,
//! and hand the output to the same judges as `render`. The sidecar patch is merged into an
//! `argocd-repo-server` Deployment and validated; the Application and ApplicationSet are
//! checked against Argo CD's fields; the image is built with buildah and opened up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::judges::{documents, is_custom, kubernetes_validate, run, validate_crds, write};
use crate::support::{judge, relaygen, relaygen_in, repo};

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("one YAML document")
}

fn plugin() -> Value {
    yaml(&relaygen(&["argocd", "plugin"]).ok())
}

/// A command of `plugin.yaml` as Argo CD would exec it, quoted for `sh -c`.
fn shell_line(command: &Value) -> String {
    let words: Vec<String> = command["command"]
        .as_array()
        .expect("a command list")
        .iter()
        .chain(command["args"].as_array().into_iter().flatten())
        .map(|w| format!("'{}'", w.as_str().expect("string").replace('\'', r"'\''")))
        .collect();
    words.join(" ")
}

/// An application directory as it sits in a Git repository: the shipped profiles, and a
/// values file of the site's own.
pub(crate) fn app_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let profiles = dir.path().join("profiles");
    std::fs::create_dir(&profiles).expect("mkdir profiles");
    for entry in std::fs::read_dir(repo().join("profiles")).expect("profiles/") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), profiles.join(entry.file_name())).expect("copy profile");
    }
    std::fs::create_dir(dir.path().join("values")).expect("mkdir values");
    std::fs::write(dir.path().join("values/site.yaml"), "env:\n  maildomain: site.example\n").expect("values");
    dir
}

/// Where the `relaygen` under test lives: the sidecar finds it on `PATH` the same way.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_relaygen")).parent().expect("bin dir").to_path_buf()
}

/// Runs a `plugin.yaml` command the way argocd-cmp-server does: in the application
/// directory, with only the sidecar's `PATH` and the variables Argo CD passes.
fn run_plugin_command(command: &Value, dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(shell_line(command))
        .current_dir(dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir().display()))
        .envs(env.iter().copied())
        .output()
        .expect("sh runs");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// Argo CD's build environment for an application `relay-eu` on a 1.35 cluster.
const BUILD_ENV: &[(&str, &str)] = &[
    ("ARGOCD_APP_NAME", "relay-eu"),
    ("ARGOCD_APP_NAMESPACE", "mail-eu"),
    ("ARGOCD_APP_PROJECT_NAME", "default"),
    ("ARGOCD_APP_REVISION", "0123456789abcdef0123456789abcdef01234567"),
    ("ARGOCD_APP_SOURCE_PATH", "deploy/relay"),
    ("ARGOCD_APP_SOURCE_REPO_URL", "https://git.example.com/mail.git"),
    ("ARGOCD_APP_SOURCE_TARGET_REVISION", "main"),
    ("KUBE_VERSION", "v1.35.2"),
];

/// What a cluster with prometheus-operator serves, as Argo CD lists it (sorted,
/// `group/version` and `group/version/Kind`).
pub(crate) const API_VERSIONS_WITH_MONITORING: &str = "apps/v1,apps/v1/Deployment,autoscaling/v2,\
autoscaling/v2/HorizontalPodAutoscaler,monitoring.coreos.com/v1,monitoring.coreos.com/v1/PrometheusRule,\
monitoring.coreos.com/v1/ServiceMonitor,networking.k8s.io/v1,networking.k8s.io/v1/NetworkPolicy,policy/v1,\
policy/v1/PodDisruptionBudget,v1,v1/ConfigMap,v1/Service,v1/ServiceAccount";
const API_VERSIONS_WITHOUT_MONITORING: &str = "apps/v1,apps/v1/Deployment,autoscaling/v2,\
autoscaling/v2/HorizontalPodAutoscaler,networking.k8s.io/v1,networking.k8s.io/v1/NetworkPolicy,policy/v1,\
policy/v1/PodDisruptionBudget,v1,v1/ConfigMap,v1/Service,v1/ServiceAccount";

pub(crate) fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    BUILD_ENV.iter().copied().chain(extra.iter().copied()).collect()
}

pub(crate) fn generate(dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    run_plugin_command(&plugin()["spec"]["generate"], dir, env)
}

fn kinds(docs: &[Value]) -> Vec<&str> {
    docs.iter().map(|d| d["kind"].as_str().expect("kind")).collect()
}

#[test]
fn plugin_yaml_follows_the_sidecar_contract() {
    let plugin = plugin();
    assert_eq!(plugin["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(plugin["metadata"]["name"], "relaygen");
    let spec = &plugin["spec"];
    assert_eq!(spec["generate"]["command"], json!(["relaygen", "argocd", "generate"]));
    assert_eq!(spec["parameters"]["dynamic"]["command"], json!(["relaygen", "argocd", "parameters"]));
    let statics: BTreeMap<&str, &str> = spec["parameters"]["static"]
        .as_array()
        .expect("static announcements")
        .iter()
        .map(|a| (a["name"].as_str().expect("name"), a["collectionType"].as_str().expect("collectionType")))
        .collect();
    let expected =
        BTreeMap::from([("namespace", "string"), ("profile", "string"), ("set", "map"), ("values", "array")]);
    assert_eq!(statics, expected);
    // Only the keys of Argo CD's PluginConfigSpec (cmpserver/plugin/config.go).
    for key in spec.as_object().expect("spec").keys() {
        assert!(
            ["version", "init", "generate", "discover", "parameters", "preserveFileMode", "provideGitCreds"]
                .contains(&key.as_str()),
            "unknown plugin.yaml key {key}"
        );
    }
}

#[test]
fn discovery_claims_a_directory_with_profiles_and_nothing_else() {
    let pattern = plugin()["spec"]["discover"]["fileName"].as_str().expect("fileName").to_owned();
    // Go's filepath.Glob and sh agree on a pattern whose only wildcard is `*`.
    assert!(!pattern.contains(['?', '[', '{']) && !pattern.contains("**"), "{pattern}");
    let discover =
        json!({"command": ["sh", "-c", format!("for f in {pattern}; do [ -e \"$f\" ] && exit 0; done; exit 1")]});
    let app = app_dir();
    assert_eq!(run_plugin_command(&discover, app.path(), BUILD_ENV).0, 0, "an app with profiles/ is claimed");
    let other = tempfile::tempdir().expect("tempdir");
    std::fs::write(other.path().join("kustomization.yaml"), "resources: []\n").expect("write");
    assert_ne!(run_plugin_command(&discover, other.path(), BUILD_ENV).0, 0, "a Kustomize app is not claimed");
}

#[test]
fn generate_renders_the_profile_values_overrides_and_namespace_argo_cd_asks_for() {
    let app = app_dir();
    let parameters = json!([
        {"name": "profile", "string": "staging"},
        {"name": "values", "array": ["values/site.yaml"]},
        {"name": "set", "map": {"deployment.replicas": "5", "env.ALLOWED_SENDER_DOMAINS": "a.example,b.example"}}
    ])
    .to_string();
    let env = with(&[("ARGOCD_APP_PARAMETERS", &parameters), ("KUBE_API_VERSIONS", API_VERSIONS_WITH_MONITORING)]);
    let (code, stdout, stderr) = generate(app.path(), &env);
    assert_eq!(code, 0, "{stderr}");
    let docs = documents(&stdout);
    assert!(!docs.is_empty());

    // Namespace: the Application's destination, on every object.
    for doc in &docs {
        assert_eq!(doc["metadata"]["namespace"], "mail-eu", "{}", doc["kind"]);
    }
    // Profile: staging brings a PodDisruptionBudget and its relay host name.
    assert!(kinds(&docs).contains(&"PodDisruptionBudget"), "{:?}", kinds(&docs));
    let config =
        docs.iter().find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == "postfix-relay").expect("cm");
    let main_cf = config["data"]["main.cf"].as_str().expect("main.cf");
    assert!(main_cf.contains("mail-staging.bionicaisolutions.com"), "{main_cf}");
    // Values file, then the overrides: typed by the model, commas literal.
    assert!(main_cf.contains("site.example"), "{main_cf}");
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").expect("deployment");
    assert_eq!(deployment["spec"]["replicas"], 5);
    let senders = config["data"]["allowed_senders"].as_str().expect("allowed_senders");
    assert!(senders.contains("a.example") && senders.contains("b.example"), "{senders}");
    // The cluster serves prometheus-operator's kinds, so they are rendered.
    assert!(kinds(&docs).contains(&"ServiceMonitor") && kinds(&docs).contains(&"PrometheusRule"));

    // The same judges as `render`.
    let Some(tool) = judge("venv/bin/kubernetes-validate", "kubernetes-validate") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "generated.yaml", &stdout);
    let (code, text) = kubernetes_validate(&tool, "1.35", &file);
    assert_eq!(code, 0, "{text}");
    let builtin = docs.iter().filter(|d| !is_custom(d)).count();
    assert_eq!(text.lines().filter(|l| l.contains(" passed for resource ")).count(), builtin, "{text}");
    let Some(python) = judge("venv/bin/python", "python3") else { return };
    let (code, text) = validate_crds(&python, &file);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn plugin_env_and_param_variables_work_without_the_json() {
    let app = app_dir();
    let env = with(&[
        ("ARGOCD_ENV_PROFILE", "dev"),
        ("ARGOCD_ENV_SET", "deployment.terminationGracePeriodSeconds=45"),
        ("PARAM_NAMESPACE", "relay-dev"),
        ("PARAM_SET_DEPLOYMENT_REPLICAS", "3"),
    ]);
    let (code, stdout, stderr) = generate(app.path(), &env);
    assert_eq!(code, 0, "{stderr}");
    let docs = documents(&stdout);
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").expect("deployment");
    assert_eq!(deployment["metadata"]["namespace"], "relay-dev");
    assert_eq!(deployment["spec"]["replicas"], 3);
    assert_eq!(deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], 45);
    // dev (from ARGOCD_ENV_PROFILE) switches the PrometheusRule off and names its host.
    assert!(!kinds(&docs).contains(&"PrometheusRule"), "{:?}", kinds(&docs));
    assert!(stdout.contains("mail-dev.bionicaisolutions.com"));
}

#[test]
fn generate_leaves_out_custom_resources_the_cluster_lacks_or_fails_if_they_are_required() {
    let app = app_dir();
    let env = with(&[("ARGOCD_ENV_PROFILE", "prod"), ("KUBE_API_VERSIONS", API_VERSIONS_WITHOUT_MONITORING)]);
    let (code, stdout, stderr) = generate(app.path(), &env);
    assert_eq!(code, 0, "{stderr}");
    let docs = documents(&stdout);
    assert!(!kinds(&docs).contains(&"ServiceMonitor") && !kinds(&docs).contains(&"PrometheusRule"));
    assert!(kinds(&docs).contains(&"Deployment"));
    assert!(stderr.contains("ServiceMonitor left out") && stderr.contains("PrometheusRule left out"), "{stderr}");
    assert!(!stdout.contains("left out") && !stdout.contains("KUBE_API_VERSIONS"), "diagnostics stay off stdout");

    let parameters = json!([{"name": "set", "map": {"monitoring.requireCrds": "true"}}]).to_string();
    let env = with(&[
        ("ARGOCD_ENV_PROFILE", "prod"),
        ("KUBE_API_VERSIONS", API_VERSIONS_WITHOUT_MONITORING),
        ("ARGOCD_APP_PARAMETERS", &parameters),
    ]);
    let (code, stdout, stderr) = generate(app.path(), &env);
    assert_ne!(code, 0);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("monitoring.requireCrds") && stderr.contains("ServiceMonitor"), "{stderr}");
}

#[test]
fn generate_errors_exit_non_zero_with_nothing_on_stdout() {
    let app = app_dir();
    let cases: &[(&str, &str, &str)] = &[
        ("ARGOCD_APP_PARAMETERS", r#"[{"name":"profile","string":"prdo"}]"#, "did you mean `prod`"),
        ("ARGOCD_APP_PARAMETERS", r#"[{"name":"set","map":{"deployment.replicas":"many"}}]"#, "deployment.replicas"),
        ("ARGOCD_APP_PARAMETERS", r#"[{"name":"set","map":{"deployment.replicaz":"3"}}]"#, "did you mean `replicas`"),
        ("ARGOCD_APP_PARAMETERS", r#"[{"name":"profiles","string":"prod"}]"#, "unknown parameter"),
        ("ARGOCD_APP_PARAMETERS", r#"[{"name":"values","array":["../../etc/passwd"]}]"#, "without `..`"),
        ("ARGOCD_APP_PARAMETERS", "[{", "ARGOCD_APP_PARAMETERS: not valid JSON"),
        ("ARGOCD_ENV_PROFLE", "prod", "did you mean `PROFILE`"),
        ("PARAM_SET_DEPLOYMENT_NODESELECTOR_KUBERNETES_IO_OS", "linux", "ARGOCD_APP_PARAMETERS"),
        ("KUBE_VERSION", "v1.28.9", "not supported"),
    ];
    for (name, value, needle) in cases {
        let (code, stdout, stderr) = generate(app.path(), &with(&[(name, value)]));
        assert_eq!(code, 1, "{name}={value}: {stderr}");
        assert!(stdout.is_empty(), "{name}={value} printed on stdout:\n{stdout}");
        assert!(stderr.contains(needle), "{name}={value}: `{needle}` missing from:\n{stderr}");
    }
}

#[test]
fn generate_renders_for_a_cluster_newer_than_relaygen_knows_with_a_warning() {
    let app = app_dir();
    let env: Vec<(&str, &str)> =
        BUILD_ENV.iter().copied().filter(|(k, _)| *k != "KUBE_VERSION").chain([("KUBE_VERSION", "v1.99.0")]).collect();
    let (code, stdout, stderr) = generate(app.path(), &env);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("newer than relaygen knows"), "{stderr}");
    assert_eq!(stdout, relaygen_in(app.path(), &["render", "-n", "mail-eu", "--kube-version", "1.37"]).ok());
}

#[test]
fn the_dynamic_parameters_announce_the_profiles_found() {
    let app = app_dir();
    let (code, stdout, stderr) = run_plugin_command(&plugin()["spec"]["parameters"]["dynamic"], app.path(), BUILD_ENV);
    assert_eq!(code, 0, "{stderr}");
    let announcements: Value = serde_json::from_str(&stdout).expect("a JSON array");
    assert_eq!(announcements[0]["name"], "available-profiles");
    assert_eq!(announcements[0]["collectionType"], "array");
    assert_eq!(announcements[0]["array"], json!(["dev", "prod", "staging"]));
    let empty = tempfile::tempdir().expect("tempdir");
    let (code, stdout, _) = run_plugin_command(&plugin()["spec"]["parameters"]["dynamic"], empty.path(), BUILD_ENV);
    assert_eq!((code, serde_json::from_str::<Value>(&stdout).expect("JSON")[0]["array"].clone()), (0, json!([])));
}

/// Merges the patch into the Deployment as a strategic merge does for these lists:
/// containers and volumes by name.
fn merge_by_name(base: &mut Value, patch: &Value) {
    for list in ["containers", "volumes"] {
        let items = base["spec"]["template"]["spec"][list].as_array_mut().expect("list in the base");
        for item in patch["spec"]["template"]["spec"][list].as_array().into_iter().flatten() {
            assert!(!items.iter().any(|i| i["name"] == item["name"]), "{list} {} clashes", item["name"]);
            items.push(item.clone());
        }
    }
}

#[test]
fn the_sidecar_patch_merges_into_argocd_repo_server_and_validates() {
    let patch = yaml(&relaygen(&["argocd", "sidecar", "--image", "registry.example.com/relaygen-cmp:0.1.0"]).ok());
    assert_eq!(
        (patch["kind"].as_str(), patch["metadata"]["name"].as_str()),
        (Some("Deployment"), Some("argocd-repo-server"))
    );
    let container = &patch["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["command"], json!(["/var/run/argocd/argocd-cmp-server"]));
    assert_eq!(container["securityContext"]["runAsUser"], 999);
    assert_eq!(container["securityContext"]["runAsNonRoot"], true);
    let mounts: BTreeMap<&str, &str> = container["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .map(|m| (m["mountPath"].as_str().expect("path"), m["name"].as_str().expect("name")))
        .collect();
    assert_eq!(mounts["/var/run/argocd"], "var-files");
    assert_eq!(mounts["/home/argocd/cmp-server/plugins"], "plugins");
    assert_ne!(mounts["/tmp"], "tmp", "the sidecar must not share the repo-server's /tmp");

    let base_text =
        std::fs::read_to_string(repo().join("tests/judges/argocd/argocd-repo-server.yaml")).expect("fixture");
    let mut merged = yaml(&base_text);
    merge_by_name(&mut merged, &patch);
    let volumes: Vec<&str> = merged["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .map(|v| v["name"].as_str().expect("name"))
        .collect();
    for name in mounts.values() {
        assert!(volumes.contains(name), "mount {name} has no volume in the merged pod: {volumes:?}");
    }

    let Some(tool) = judge("venv/bin/kubernetes-validate", "kubernetes-validate") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut broken = merged.clone();
    broken["spec"]["template"]["spec"]["containers"][1]["comand"] = json!(["x"]);
    let file = write(dir.path(), "broken.yaml", &serde_json::to_string(&broken).expect("json"));
    assert_ne!(kubernetes_validate(&tool, "1.33", &file).0, 0, "the judge must reject an unknown field");
    let file = write(dir.path(), "merged.yaml", &serde_json::to_string(&merged).expect("json"));
    for version in ["1.33", "1.37"] {
        let (code, text) = kubernetes_validate(&tool, version, &file);
        assert_eq!(code, 0, "{text}");
        assert!(text.contains(" passed for resource "), "{text}");
    }
}

/// Validates documents against the Argo CD field fixture with jsonschema; returns the exit
/// code and output.
fn argo_cd_fields(python: &Path, file: &str) -> (i32, String) {
    let script = r#"
import sys, yaml, jsonschema
schema = yaml.safe_load(open(sys.argv[1]))
bad = 0
for doc in yaml.safe_load_all(open(sys.argv[2])):
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    for error in errors:
        for cause in error.context or [error]:
            print(doc.get("kind"), "/".join(map(str, cause.absolute_path)), cause.message[:300])
    bad += len(errors)
    print("ok" if not errors else "invalid", doc.get("kind"))
sys.exit(1 if bad else 0)
"#;
    let schema = repo().join("tests/judges/argocd/argo-cd-fields.schema.yaml");
    run(Command::new(python).args(["-c", script]).arg(schema).arg(file))
}

#[test]
fn application_and_application_set_use_only_argo_cd_fields() {
    let source = ["--repo", "https://git.example.com/mail.git", "--path", "."];
    let app = relaygen(&[&["argocd", "application", "--profile", "prod"][..], &source].concat()).ok();
    let set = relaygen(
        &[&["argocd", "appset", "--profiles", "dev,prod=https://prod.example.com:6443"][..], &source].concat(),
    )
    .ok();

    let a = yaml(&app);
    assert_eq!(a["metadata"]["name"], "postfix-relay-prod");
    assert_eq!(a["spec"]["destination"]["namespace"], "email-server-prod", "the profile's namespace");
    assert_eq!(
        a["spec"]["source"]["plugin"],
        json!({"name": "relaygen", "parameters": [{"name": "profile", "string": "prod"}]})
    );
    assert_eq!(a["spec"]["syncPolicy"]["automated"]["allowEmpty"], false);
    let s = yaml(&set);
    let elements = &s["spec"]["generators"][0]["list"]["elements"];
    assert_eq!(
        elements[0],
        json!({"namespace": "email-server-dev", "profile": "dev", "server": "https://kubernetes.default.svc"})
    );
    assert_eq!(elements[1]["server"], "https://prod.example.com:6443");
    let template = &s["spec"]["template"];
    assert_eq!(template["metadata"]["name"], "postfix-relay-{{.profile}}");
    assert_eq!(template["spec"]["source"]["plugin"]["parameters"][0]["string"], "{{.profile}}");
    // Every element key the template uses exists in every element (missingkey=error).
    assert_eq!(s["spec"]["goTemplateOptions"], json!(["missingkey=error"]));
    let template_text = serde_json::to_string(template).expect("json");
    for key in ["profile", "namespace", "server"] {
        assert!(template_text.contains(&format!("{{{{.{key}}}}}")), "{key}");
        assert!(elements.as_array().expect("elements").iter().all(|e| e.get(key).is_some()), "{key}");
    }

    let Some(python) = judge("venv/bin/python", "python3") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = app.replacen("repoURL:", "repoUrl:", 1);
    assert_ne!(broken, app);
    let (code, text) = argo_cd_fields(&python, &write(dir.path(), "broken.yaml", &broken));
    assert_ne!(code, 0, "the fixture must reject a misspelled field:\n{text}");
    assert!(text.contains("'repoUrl' was unexpected"), "rejected for another reason:\n{text}");
    for (name, text) in [("application", &app), ("appset", &set)] {
        let (code, out) = argo_cd_fields(&python, &write(dir.path(), "argo.yaml", text));
        assert_eq!(code, 0, "{name}:\n{out}");
    }
}

#[test]
fn application_and_appset_refuse_what_argo_cd_could_not_deploy() {
    let source = ["--repo", "https://git.example.com/mail.git", "--path", "."];
    let err = relaygen(&[&["argocd", "application", "--profile", "prdo"][..], &source].concat()).fails();
    assert!(err.contains("did you mean `prod`"), "{err}");
    let err = relaygen(&[&["argocd", "appset", "--profiles", "dev,dev"][..], &source].concat()).fails();
    assert!(err.contains("listed twice"), "{err}");
    let err = relaygen(&["argocd", "application", "--profile", "prod", "--repo", "x", "--path", "../up"]).fails();
    assert!(err.contains("--path"), "{err}");
    let err = relaygen(&["argocd", "sidecar", "--image", ""]).fails();
    assert!(err.contains("image"), "{err}");
}

/// Runs buildah on the test's own storage (vfs: plain directories, no mounts).
fn buildah(tool: &Path, storage: &Path, args: &[&str]) -> String {
    let root = storage.join("root");
    let runroot = storage.join("runroot");
    let out = Command::new(tool)
        .args(["--storage-driver", "vfs", "--root"])
        .arg(&root)
        .arg("--runroot")
        .arg(&runroot)
        .args(args)
        .output()
        .expect("buildah runs");
    assert!(out.status.success(), "buildah {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn files_under(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() && !path.is_symlink() {
            files_under(root, &path, out);
        } else {
            out.push(format!("/{}", path.strip_prefix(root).expect("under root").display()));
        }
    }
}

// A release build of its own (static, fat LTO) takes minutes, so a plain `cargo test` leaves
// it out; scripts/test.sh runs it after the rest of the suite.
#[test]
#[ignore = "builds the static release binary; scripts/test.sh runs it"]
fn the_sidecar_image_holds_only_relaygen_and_its_plugin_yaml() {
    let Some(tool) = judge("bin/buildah", "buildah") else { return };
    let storage = tempfile::tempdir().expect("tempdir");
    // Builds the static binary once per change (target/static/, cached) and the image.
    let out = Command::new(repo().join("scripts/build-image.sh"))
        .arg("localhost/relaygen-cmp:test")
        .env("BUILDAH_STORAGE", storage.path())
        .output()
        .expect("build-image.sh runs");
    assert!(out.status.success(), "image build failed:\n{}", String::from_utf8_lossy(&out.stderr));

    let inspect: Value = serde_json::from_str(&buildah(
        &tool,
        storage.path(),
        &["inspect", "--type", "image", "localhost/relaygen-cmp:test"],
    ))
    .expect("inspect JSON");
    let config = &inspect["OCIv1"]["config"];
    assert_eq!(config["User"], "999");
    assert_eq!(config["Entrypoint"], json!(["/usr/local/bin/relaygen"]));
    assert_eq!(config["Cmd"], json!(["argocd", "plugin"]));

    let container = buildah(&tool, storage.path(), &["from", "localhost/relaygen-cmp:test"]).trim().to_owned();
    let mount = PathBuf::from(buildah(&tool, storage.path(), &["mount", &container]).trim());
    let mut files = Vec::new();
    files_under(&mount, &mount, &mut files);
    files.sort();
    assert_eq!(files, ["/home/argocd/cmp-server/config/plugin.yaml", "/usr/local/bin/relaygen"]);
    let baked = std::fs::read_to_string(mount.join("home/argocd/cmp-server/config/plugin.yaml")).expect("plugin.yaml");
    assert_eq!(baked, relaygen(&["argocd", "plugin"]).ok(), "the image's plugin.yaml is `relaygen argocd plugin`");
    // Alone in the image's filesystem (no libc, no shell), the binary runs: it is static.
    let (code, text) = run(Command::new("chroot").arg(&mount).args(["/usr/local/bin/relaygen", "argocd", "plugin"]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(text, baked);
    buildah(&tool, storage.path(), &["umount", &container]);
    buildah(&tool, storage.path(), &["rm", &container]);
}
