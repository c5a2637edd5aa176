//! `validate`, `schema`, `explain`, `--strict` and `--kube-version`, specified through what a
//! user sees; the committed JSON Schema checked for staleness and by the `jsonschema` judge, and
//! the values reference (docs/values.md) for staleness.

use std::process::Command;

use crate::support::{judge, profiles, relaygen, relaygen_in, repo};

#[test]
fn the_committed_schema_is_what_relaygen_generates() {
    let generated = relaygen(&["schema"]).ok();
    let committed = std::fs::read_to_string(repo().join("values.schema.json")).unwrap_or_default();
    assert!(
        generated == committed,
        "values.schema.json is stale: regenerate it with `cargo run -- schema > values.schema.json`"
    );
}

#[test]
fn the_committed_values_reference_is_what_relaygen_generates() {
    let generated = relaygen(&["schema", "-o", "markdown"]).ok();
    let committed = std::fs::read_to_string(repo().join("docs/values.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/values.md is stale: regenerate it with `cargo run -- schema -o markdown > docs/values.md`"
    );
    // Every key of the schema has its row, down to the keys of list elements.
    fn keys(node: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        match node.get("properties").and_then(serde_json::Value::as_object) {
            Some(properties) => {
                for (key, child) in properties {
                    keys(child, &if at.is_empty() { key.clone() } else { format!("{at}.{key}") }, out);
                }
            }
            None => out.push(at.to_owned()),
        }
        if let Some(items) = node.get("items").filter(|i| i.get("properties").is_some()) {
            keys(items, &format!("{at}[]"), out);
        }
    }
    let schema: serde_json::Value = serde_json::from_str(&relaygen(&["schema"]).ok()).expect("JSON");
    let mut all = Vec::new();
    keys(&schema, "", &mut all);
    assert!(all.len() > 100, "the walk found the keys: {}", all.len());
    for key in all {
        assert!(generated.contains(&format!("| `{key}` |")), "docs/values.md has no row for `{key}`");
    }
}

#[test]
fn every_profile_points_editors_at_the_schema() {
    for profile in profiles() {
        let text = std::fs::read_to_string(repo().join(format!("profiles/{profile}.yaml"))).expect("read profile");
        assert_eq!(
            text.lines().next(),
            Some("# yaml-language-server: $schema=../values.schema.json"),
            "profiles/{profile}.yaml must start with the schema modeline"
        );
    }
}

/// Runs the `jsonschema` judge on values files.
fn validate_values(python: &std::path::Path, files: &[&str]) -> (i32, String) {
    let out = Command::new(python)
        .arg(repo().join("scripts/judges/validate-values.py"))
        .arg(repo().join("values.schema.json"))
        .args(files)
        .output()
        .expect("run validate-values.py");
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn the_jsonschema_judge_accepts_every_profile_and_the_defaults() {
    let Some(python) = judge("venv/bin/python", "python3") else { return };
    let dir = tempfile::tempdir().expect("tempdir");

    // The judge must be able to say no: a typo two levels down and a wrong type.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "deployment:\n  replicaz: 2\nservice:\n  port: many\n").expect("write");
    let (code, text) = validate_values(&python, &[broken.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("'replicaz' was unexpected"), "{text}");
    assert!(text.contains("service.port"), "{text}");

    let mut files: Vec<String> = profiles().iter().map(|p| format!("profiles/{p}.yaml")).collect();
    files.push("src/values/defaults.yaml".into());
    // The effective values of every profile are a complete values file: also valid.
    for profile in profiles() {
        let path = dir.path().join(format!("effective-{profile}.yaml"));
        std::fs::write(&path, relaygen(&["values", "-p", &profile]).ok()).expect("write");
        files.push(path.to_str().expect("utf8").to_owned());
    }
    let absolute: Vec<String> = files.iter().map(|f| repo().join(f).to_str().expect("utf8").to_owned()).collect();
    let refs: Vec<&str> = absolute.iter().map(String::as_str).collect();
    let (code, text) = validate_values(&python, &refs);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("ok: ")).count(), files.len(), "{text}");
}

/// `--set` arguments that pin both images by digest, as production does with the digests it verified.
const PINNED: [&str; 4] = [
    "--set",
    "image.digest=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "--set",
    "monitoring.exporter.image.digest=sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
];

#[test]
fn validate_says_ok_on_stdout_and_nothing_else() {
    let mut args = vec!["validate", "-p", "prod"];
    args.extend(PINNED);
    let run = relaygen(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "ok: values valid, 12 objects for Kubernetes 1.33, profile prod, 0 warning(s)\n");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn validate_fails_with_every_problem_and_an_empty_stdout() {
    let err = relaygen(&["validate", "--set", "env.maildomain=nodot", "--set", "deployment.replicas=0"]).fails();
    assert!(err.contains("env.maildomain"), "{err}");
    assert!(err.contains("deployment.replicas"), "{err}");
}

#[test]
fn an_unpinned_image_is_a_warning_and_an_error_with_strict() {
    for tag in ["latest", ""] {
        let set = format!("image.tag={tag}");
        let run = relaygen(&["validate", "--set-string", &set]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains("warning: image.tag"), "{}", run.stderr);
        // One for this image's tag, one for the exporter image's missing digest.
        assert!(run.stdout.contains("2 warning(s)"), "{}", run.stdout);
        assert!(!run.stderr.contains("warning: image.digest"), "one warning per image: {}", run.stderr);
        for command in ["validate", "render"] {
            let err = relaygen(&[command, "--strict", "--set-string", &set]).fails();
            assert!(err.contains("error: image.tag"), "{err}");
            assert!(err.contains("--strict"), "{err}");
        }
    }
    // A digest pins the image even without a tag.
    let digest = format!("image.digest=sha256:{}", "a".repeat(64));
    let exporter = format!("monitoring.exporter.image.digest=sha256:{}", "b".repeat(64));
    relaygen(&["validate", "--strict", "--set", &digest, "--set", &exporter, "--set-string", "image.tag="]).ok();
    let run = relaygen(&["render", "--set", &digest, "--set-string", "image.tag="]);
    assert!(run.stdout.contains(&format!("image: boky/postfix@sha256:{}\n", "a".repeat(64))), "{}", run.stderr);
    // ...and only from there: a digest spelled into the repository or tag is refused.
    for set in [format!("image.repository=boky/postfix@sha256:{}", "a".repeat(64)), "image.tag=v5.1.0@sha256:0".into()]
    {
        let err = relaygen(&["render", "--set", &set]).fails();
        assert!(err.contains("pins a digest inside") && err.contains("image.digest"), "{set}:\n{err}");
    }
}

#[test]
fn every_profile_validates_strictly_for_every_supported_kubernetes_version() {
    for profile in profiles() {
        for minor in 33..=37 {
            let version = format!("1.{minor}");
            let mut args = vec!["validate", "--strict", "-p", &profile, "--kube-version", &version];
            args.extend(PINNED);
            let out = relaygen(&args).ok();
            assert!(out.contains(&format!("for Kubernetes {version}")), "{out}");
        }
    }
}

#[test]
fn unsupported_kubernetes_versions_are_refused_clearly() {
    for bad in ["1.32", "1.38", "2.0", "latest"] {
        let run = relaygen(&["render", "--kube-version", bad]);
        assert_ne!(run.code, 0);
        assert!(run.stdout.is_empty());
        assert!(run.stderr.contains(&format!("invalid value '{bad}' for '--kube-version")), "{}", run.stderr);
    }
    let err = relaygen(&["render", "--kube-version", "1.32"]).stderr;
    assert!(err.contains("relaygen renders for 1.33 through 1.37"), "{err}");
}

#[test]
fn explain_shows_type_default_description_and_allowed_values() {
    let out = relaygen(&["explain", "postfix.tls.securityLevel"]).ok();
    for needle in [
        "KEY:     postfix.tls.securityLevel",
        "TYPE:    string",
        "DEFAULT: secure",
        "ALLOWED: may, encrypt, verify, secure",
        "smtp_tls_security_level",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
    let out = relaygen(&["explain", "service.port"]).ok();
    assert!(out.contains("TYPE:    integer (0..=65535)") && out.contains("DEFAULT: 25"), "{out}");
    let out = relaygen(&["explain", "deployment"]).ok();
    assert!(
        out.contains("KEYS:    hostUsers, minReadySeconds, nodeSelector, podAnnotations, priorityClassName,"),
        "{out}"
    );
}

#[test]
fn explain_refuses_unknown_keys_with_the_nearest_one() {
    let err = relaygen(&["explain", "postfix.tls.securityLevle"]).fails();
    assert!(err.contains("unknown key `securityLevle`"), "{err}");
    assert!(err.contains("did you mean `postfix.tls.securityLevel`?"), "{err}");
    let err = relaygen(&["explain", "imgae.tag"]).fails();
    assert!(err.contains("did you mean `image`?"), "{err}");
}

#[test]
fn schema_and_explain_need_no_profiles_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    relaygen_in(dir.path(), &["schema"]).ok();
    relaygen_in(dir.path(), &["explain", "image.tag"]).ok();
}

/// Reads a YAML stream with PyYAML (a YAML 1.1 reader, like kubectl-era tooling) as JSON.
fn pyyaml(python: &std::path::Path, yaml: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("in.yaml");
    std::fs::write(&file, yaml).expect("write");
    let out = Command::new(python)
        .args(["-c", "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))"])
        .arg(&file)
        .output()
        .expect("run PyYAML");
    assert!(out.status.success(), "PyYAML failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("PyYAML printed JSON")
}

/// Helm's `-n no` and `--set image.tag=on` came out as booleans; here they stay strings.
#[test]
fn regression_no_and_on_stay_strings_for_a_yaml_1_1_reader() {
    let Some(python) = judge("venv/bin/python", "python3") else { return };
    let docs = pyyaml(&python, &relaygen(&["render", "-n", "no", "--set", "image.tag=on"]).ok());
    let docs = docs.as_array().expect("documents");
    assert!(!docs.is_empty());
    for doc in docs {
        assert_eq!(doc["metadata"]["namespace"], "no", "{}", doc["kind"]);
    }
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").expect("Deployment");
    assert_eq!(deployment["metadata"]["labels"]["app.kubernetes.io/version"], "on");
    assert_eq!(deployment["spec"]["template"]["spec"]["containers"][0]["image"], "boky/postfix:on");
}

/// Helm turned large integers into floats (`1.234567e+06`); here they stay integers.
#[test]
fn regression_large_integers_stay_integers() {
    let Some(python) = judge("venv/bin/python", "python3") else { return };
    let args =
        ["--set", "deployment.terminationGracePeriodSeconds=1234567", "--set", "postfix.messageSizeLimit=1234567"];
    let rendered = relaygen(&[&["render"][..], &args[..]].concat()).ok();
    let docs = pyyaml(&python, &rendered);
    let deployment =
        docs.as_array().expect("documents").iter().find(|d| d["kind"] == "Deployment").expect("Deployment");
    assert_eq!(deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], 1_234_567);
    let config = docs.as_array().expect("documents").iter().find(|d| d["kind"] == "ConfigMap").expect("ConfigMap");
    assert!(config["data"]["main.cf"].as_str().expect("main.cf").contains("message_size_limit = 1234567\n"));
    let values = pyyaml(&python, &relaygen(&[&["values"][..], &args[..]].concat()).ok());
    assert_eq!(values[0]["postfix"]["messageSizeLimit"], 1_234_567);
    assert!(values[0]["postfix"]["messageSizeLimit"].is_u64(), "an integer, not a float");
}

/// Helm's `template` left metadata.namespace off; here `-n` reaches every namespaced object.
#[test]
fn regression_namespace_flag_reaches_every_namespaced_object() {
    let everything =
        ["--set", "autoscaling.enabled=true", "--set", "podDisruptionBudget.enabled=true", "-n", "relay-x"];
    let mut runs: Vec<Vec<String>> = profiles()
        .iter()
        .map(|p| vec!["render".into(), "-p".into(), p.clone(), "-n".into(), "relay-x".into()])
        .collect();
    runs.push([&["render"][..], &everything[..]].concat().iter().map(|s| (*s).to_owned()).collect());
    for args in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let json: serde_json::Value =
            serde_json::from_str(&relaygen(&[&args[..], &["-o", "json"][..]].concat()).ok()).expect("JSON");
        let items = json["items"].as_array().expect("items");
        assert!(items.len() >= 6, "{args:?}");
        for item in items {
            assert_eq!(
                item["metadata"]["namespace"], "relay-x",
                "{args:?}: {} {}",
                item["kind"], item["metadata"]["name"]
            );
        }
    }
}

#[test]
fn values_kubernetes_or_postfix_would_silently_misread_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pinned = dir.path().join("pinned.yaml");
    std::fs::write(&pinned, format!("image:\n  digest: sha256:{}\n", "e".repeat(64))).expect("write");
    let pinned = pinned.to_str().expect("utf8");
    // (arguments, key path named, words said)
    let cases: &[(&[&str], &str, &str)] = &[
        // A new tag over a lower layer's digest: the runtime pulls by digest, labels say new.
        (&["-f", pinned, "--set", "image.tag=v5.1.1"], "image.tag", "still pins the old image"),
        // Kubernetes rounds a minAvailable percentage up: 60% of 2 pods blocks every drain.
        (
            &["--set", "podDisruptionBudget.enabled=true", "--set-string", "podDisruptionBudget.minAvailable=60%"],
            "podDisruptionBudget.minAvailable",
            "block every voluntary eviction",
        ),
        // The relay speaks IPv4 only.
        (&["--set", "env.relayhost=[2001:db8::1]:587"], "env.relayhost", "IPv6"),
        // relaygen owns the checksum annotation.
        (&["--set", "deployment.podAnnotations.checksum/config=x"], "deployment.podAnnotations", "reserved"),
    ];
    for (args, path, words) in cases {
        let mut full = vec!["render"];
        full.extend_from_slice(args);
        let stderr = relaygen(&full).fails();
        assert!(stderr.contains(path) && stderr.contains(words), "{args:?}:\n{stderr}");
    }
    // The same changes made consistently render.
    let digest = format!("image.digest=sha256:{}", "d".repeat(64));
    relaygen(&["render", "-f", pinned, "--set", "image.tag=v5.1.1", "--set", &digest]).ok();
    relaygen(&[
        "render",
        "--set",
        "podDisruptionBudget.enabled=true",
        "--set-string",
        "podDisruptionBudget.minAvailable=40%",
    ])
    .ok();
}

#[test]
fn an_upstream_whose_certificate_is_not_checked_warns_and_fails_strict_and_sasl() {
    // The default checks the relayhost's certificate and name: no TLS warning.
    let run = relaygen(&["validate"]);
    assert!(!run.stderr.contains("postfix.tls.securityLevel"), "{}", run.stderr);
    assert!(relaygen(&["render"]).stdout.contains("smtp_tls_security_level = secure"));
    for level in ["may", "encrypt"] {
        let set = format!("postfix.tls.securityLevel={level}");
        let run = relaygen(&["validate", "--set", &set]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains("warning: postfix.tls.securityLevel"), "{level}: {}", run.stderr);
        assert!(run.stderr.contains("anyone on the path can read the mail"), "{level}: {}", run.stderr);
        let err = relaygen(&["validate", "--strict", "--set", &set]).fails();
        assert!(err.contains("error: postfix.tls.securityLevel"), "{level}: {err}");
        let sasl = ["--set", "postfix.sasl.enabled=true", "--set", "postfix.sasl.secretName=creds", "--set", &set];
        let mut args = vec!["render"];
        args.extend(sasl);
        let err = relaygen(&args).fails();
        assert!(err.contains("error: postfix.tls.securityLevel") && err.contains("password"), "{level}: {err}");
    }
    // verify also authenticates the upstream, with SASL too.
    let run = relaygen(&["validate", "--set", "postfix.tls.securityLevel=verify"]);
    assert!(!run.stderr.contains("postfix.tls.securityLevel"), "{}", run.stderr);
    relaygen(&[
        "render",
        "--set",
        "postfix.tls.securityLevel=verify",
        "--set",
        "postfix.sasl.enabled=true",
        "--set",
        "postfix.sasl.secretName=creds",
    ])
    .ok();
}

#[test]
fn the_seed_s_scale_to_three_replicas_on_an_autoscaled_profile_warns_naming_min_replicas() {
    let run = relaygen(&["render", "--profile", "prod", "--set", "deployment.replicas=3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, relaygen(&["render", "--profile", "prod"]).ok(), "the replicas are ignored");
    assert!(run.stderr.contains("warning: deployment.replicas: has no effect while `autoscaling.enabled` is true"));
    assert!(run.stderr.contains("autoscaling.minReplicas"), "{}", run.stderr);
    let err = relaygen(&["validate", "--profile", "prod", "--set", "deployment.replicas=3", "--strict"]).fails();
    assert!(err.contains("error: deployment.replicas: has no effect"), "{err}");
    assert!(err.contains("(an error because of --strict)"), "{err}");
}

#[test]
fn every_key_set_without_effect_under_the_current_switches_warns_and_switching_off_does_not() {
    let cases: &[(&[&str], &str, &str)] = &[
        (&["--set", "queue.persistence.size=5Gi"], "queue.persistence.size", "`queue.persistence.enabled` is false"),
        (
            &["--set", "monitoring.enabled=false", "--set", "monitoring.serviceMonitor.interval=1m"],
            "monitoring.serviceMonitor",
            "`monitoring.enabled` is false",
        ),
        (&["--set", "autoscaling.maxReplicas=20"], "autoscaling.maxReplicas", "`autoscaling.enabled` is false"),
        (
            &["--set", "podDisruptionBudget.minAvailable=2"],
            "podDisruptionBudget.minAvailable",
            "`podDisruptionBudget.enabled` is false",
        ),
        (&["--set", "postfix.sasl.secretName=relay"], "postfix.sasl.secretName", "`postfix.sasl.enabled` is false"),
        (
            &["--profile", "dev", "--set", "monitoring.prometheusRule.alerts.highQueue.threshold=50"],
            "monitoring.prometheusRule.alerts",
            "`monitoring.prometheusRule.enabled` is false",
        ),
        (
            &["--set", "networkPolicy.egress.enabled=false", "--set", "networkPolicy.egress.dns=[]"],
            "networkPolicy.egress.dns",
            "`networkPolicy.egress.enabled` is false",
        ),
        (
            &["--set", "deployment.strategy.type=Recreate", "--set", "deployment.strategy.rollingUpdate.maxSurge=2"],
            "deployment.strategy.rollingUpdate",
            "`deployment.strategy.type` is Recreate",
        ),
        (
            &[
                "--set",
                "monitoring.prometheusRule.alerts.highQueue.enabled=false",
                "--set",
                "monitoring.prometheusRule.alerts.highQueue.threshold=5",
            ],
            "monitoring.prometheusRule.alerts.highQueue",
            "`monitoring.prometheusRule.alerts.highQueue.enabled` is false",
        ),
        (
            &["--set", "monitoring.dashboard.labels.team=mail"],
            "monitoring.dashboard.labels",
            "`monitoring.dashboard.enabled` is false",
        ),
    ];
    for (args, key, when) in cases {
        let stderr = relaygen(&[&["validate"], *args].concat()).stderr;
        assert!(stderr.contains(&format!("warning: {key}: has no effect while {when}")), "{args:?}:\n{stderr}");
        let err = relaygen(&[&["validate", "--strict"], *args].concat()).fails();
        assert!(err.contains(&format!("error: {key}: has no effect")), "{args:?}:\n{err}");
    }
    // Turning something off under a switch that is already off asks for nothing: no warning.
    // (The Postfix image is pinned so that --strict has nothing else to say.)
    let pin = &PINNED[..2];
    let run =
        relaygen(&[&["validate", "--profile", "dev", "--set", "monitoring.enabled=false", "--strict"], pin].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Only the user's layers count: the built-in defaults set every key.
    let run = relaygen(&[&["validate", "--set", "monitoring.enabled=false", "--strict"], pin].concat());
    assert!(run.ok().contains("0 warning(s)"));
}

#[test]
fn the_queue_bound_and_its_reserve_are_checked_against_the_message_size_and_the_memory() {
    // (settings, key path named, words said)
    let cases: &[(&[&str], &str, &str)] = &[
        // Postfix's floor is 1.5 × message_size_limit (20 MiB by default), and the reserve above
        // it holds at least one more message.
        (&["--set", "queue.minFree=40Mi"], "queue.minFree", "at least 50Mi"),
        (&["--set", "queue.sizeLimit=40Mi"], "queue.sizeLimit", "no room for one message"),
        (&["--set", "queue.sizeLimit=lots"], "queue.sizeLimit", "not a positive Kubernetes quantity"),
        // The in-memory queue counts against the Postfix container's memory.
        (&["--set", "queue.sizeLimit=512Mi"], "resources.limits.memory", "at least 576Mi"),
        (
            &["--set", "queue.persistence.enabled=true", "--set", "queue.persistence.size=32Mi"],
            "queue.persistence.size",
            "no room for one message",
        ),
        (&["--set", "resources.limits.ephemeral-storage=100Mi"], "resources.limits.ephemeral-storage", "evicted"),
        (
            &["--set", "resources.requests.ephemeral-storage=1Gi"],
            "resources.requests.ephemeral-storage",
            "above the limit",
        ),
    ];
    for (args, path, words) in cases {
        let stderr = relaygen(&[&["render"], *args].concat()).fails();
        assert!(stderr.contains(&format!("error: {path}")) && stderr.contains(words), "{args:?}:\n{stderr}");
    }
    // Consistent changes render: a bigger queue with the memory to hold it, a smaller message.
    let out = relaygen(&[
        "render",
        "--set",
        "queue.sizeLimit=512Mi",
        "--set",
        "resources.limits.memory=640Mi",
        "--set",
        "postfix.messageSizeLimit=1048576",
        "--set",
        "queue.minFree=3Mi",
    ])
    .ok();
    assert!(out.contains("queue_minfree = 3145728"), "queue_minfree not rendered");
    assert!(out.contains("sizeLimit: 512Mi"));
    // With a persistent queue the in-memory bound has no effect, and says so.
    let run = relaygen(&["render", "--set", "queue.persistence.enabled=true", "--set", "queue.sizeLimit=64Mi"]);
    assert!(run.stderr.contains("warning: queue.sizeLimit: has no effect"), "{}", run.stderr);
}

#[test]
fn a_list_written_in_brackets_to_set_gets_helm_s_brace_syntax_as_the_fix() {
    let err = relaygen(&["render", "--set", "networkPolicy.egress.extraDnsCidrs=[169.254.20.10/32]"]).fails();
    assert!(err.contains("expected a list"), "{err}");
    assert!(err.contains("--set 'networkPolicy.egress.extraDnsCidrs={169.254.20.10/32}'"), "{err}");
    // ...which works.
    let out = relaygen(&["render", "--set", "networkPolicy.egress.extraDnsCidrs={169.254.20.10/32}"]).ok();
    assert!(out.contains("cidr: 169.254.20.10/32\n"), "{out}");
}

#[test]
fn a_memory_size_without_a_unit_is_one_error_that_says_bytes_and_suggests_mebibytes() {
    for key in ["resources.limits.memory", "resources.requests.memory", "resources.limits.ephemeral-storage"] {
        let err = relaygen(&["render", "--set", &format!("{key}=512")]).fails();
        assert!(err.contains(&format!("error: {key}: `512` has no unit, so it is 512 bytes")), "{err}");
        assert!(err.contains("512Mi"), "{err}");
        assert_eq!(err.matches("error: ").count(), 2, "one error and the summary:\n{err}");
    }
    // A size in bytes large enough to be meant is taken as written, and so is zero.
    relaygen(&["validate", "--set", "resources.limits.memory=536870912"]).ok();
    relaygen(&["validate", "--set", "resources.requests.memory=0"]).ok();
}

/// The number of errors a failed run reports (its summary line aside).
fn error_count(stderr: &str) -> usize {
    stderr.lines().filter(|l| l.starts_with("error: ") && !l.contains("nothing was rendered")).count()
}

#[test]
fn one_mistake_is_one_error() {
    // The hostname and the allowed senders follow the mail domain: its error is the only one.
    let err = relaygen(&["render", "--set", "env.maildomain=not_a_domain"]).fails();
    assert_eq!(error_count(&err), 1, "{err}");
    assert!(err.contains("error: env.maildomain: `not_a_domain` is not a domain name"), "{err}");
    // ...while a derived key the user set is still checked on its own.
    let err = relaygen(&["render", "--set", "env.maildomain=not_a_domain", "--set", "env.SERVER_HOSTNAME=x_y"]).fails();
    assert_eq!(error_count(&err), 2, "{err}");
    // One rule for the persistent queue's size.
    for size in ["0", "10x"] {
        let set = format!("queue.persistence.size={size}");
        let err = relaygen(&["render", "--set", "queue.persistence.enabled=true", "--set", &set]).fails();
        assert_eq!(error_count(&err), 1, "{size}:\n{err}");
    }
}

#[test]
fn extra_dns_servers_with_egress_off_are_reported_as_without_effect() {
    let run = relaygen(&[
        "validate",
        "--set",
        "networkPolicy.egress.enabled=false",
        "--set",
        "networkPolicy.egress.extraDnsCidrs={169.254.20.10/32}",
    ]);
    assert!(
        run.stderr.contains(
            "warning: networkPolicy.egress.extraDnsCidrs: has no effect while `networkPolicy.egress.enabled` is false"
        ),
        "{}",
        run.stderr
    );
    run.ok();
}

#[test]
fn turning_the_network_policy_off_is_reported_as_opening_the_relay_to_every_private_address() {
    // (settings, key path warned about, words said)
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["--set", "networkPolicy.enabled=false"],
            "networkPolicy.enabled",
            "without the NetworkPolicy, every pod with an address in postfix.mynetworks can relay through port 25, \
             and through the queue hand-off port without client limits",
        ),
        (
            &["--set", "networkPolicy.enabled=false", "--set", "service.type=LoadBalancer"],
            "service.type",
            "a LoadBalancer Service without the NetworkPolicy's ingress rule makes an open relay",
        ),
        (
            &["--set", "networkPolicy.enabled=false", "--set", "service.type=NodePort"],
            "service.type",
            "a NodePort Service without the NetworkPolicy's ingress rule makes an open relay",
        ),
        (
            &["--set", "networkPolicy.ingress.enabled=false", "--set", "service.type=LoadBalancer"],
            "service.type",
            "a LoadBalancer Service without the NetworkPolicy's ingress rule makes an open relay",
        ),
    ];
    let pin = &PINNED[..];
    for (args, path, words) in cases {
        let run = relaygen(&[&["render"], *args].concat());
        assert!(run.stderr.contains(&format!("warning: {path}: {words}")), "{args:?}:\n{}", run.stderr);
        let err = relaygen(&[&["validate", "--strict"], *args, pin].concat()).fails();
        assert!(err.contains(&format!("error: {path}: {words}")), "{args:?}:\n{err}");
    }
    // The policy on, a LoadBalancer Service with its ingress rule is a choice, not a hole.
    let run = relaygen(&[&["validate", "--strict", "--set", "service.type=LoadBalancer"], pin].concat());
    assert!(run.ok().contains("0 warning(s)"));
}

#[test]
fn a_relayhost_without_brackets_is_reported_as_an_mx_lookup() {
    let run = relaygen(&["render", "--set", "env.relayhost=smtp-relay.gmail.com"]);
    assert!(
        run.stderr.contains(
            "warning: env.relayhost: `smtp-relay.gmail.com` has no [brackets]: Postfix looks up the MX records of \
             `smtp-relay.gmail.com` and delivers to the servers they name, on port 25, which most clouds block"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("[smtp-relay.gmail.com]:587 delivers to that host itself"), "{}", run.stderr);
    // With a port, still an MX lookup; the port-25 note is left out.
    let run = relaygen(&["render", "--set", "env.relayhost=relay.example.com:587"]);
    assert!(run.stderr.contains("MX records of `relay.example.com`"), "{}", run.stderr);
    assert!(!run.stderr.contains("most clouds block"), "{}", run.stderr);
    let err =
        relaygen(&[&["validate", "--strict", "--set", "env.relayhost=smtp-relay.gmail.com"], &PINNED[..]].concat())
            .fails();
    assert!(err.contains("error: env.relayhost:"), "{err}");
    // Brackets: no warning.
    let run =
        relaygen(&[&["validate", "--strict", "--set", "env.relayhost=[relay.example.com]:587"], &PINNED[..]].concat());
    assert!(run.ok().contains("0 warning(s)"));
}
