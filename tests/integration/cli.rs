//! The command line, specified by what a user sees: stdout, stderr and the exit code.

use serde_json::Value;

use crate::support::{SEED_COMMANDS, profiles, relaygen, relaygen_in, relaygen_with_stdin};

/// Parses a rendered YAML stream into one JSON value per document.
fn documents(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple(yaml).expect("output is valid YAML")
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in the output"))
}

fn kinds(docs: &[Value]) -> Vec<String> {
    docs.iter().map(|d| d["kind"].as_str().expect("kind").to_owned()).collect()
}

#[test]
fn render_without_a_profile_uses_the_built_in_production_values() {
    let docs = documents(&relaygen(&["render"]).ok());
    assert_eq!(
        kinds(&docs),
        [
            "ServiceAccount",
            "ConfigMap",
            "Service",
            "Service",
            "Service",
            "Deployment",
            "NetworkPolicy",
            "ServiceMonitor",
            "PrometheusRule"
        ]
    );
    let deployment = find(&docs, "Deployment", "postfix-relay");
    assert_eq!(deployment["metadata"]["namespace"], "email-server-prod");
    assert_eq!(deployment["spec"]["replicas"], 2);
    let main_cf = find(&docs, "ConfigMap", "postfix-relay")["data"]["main.cf"].as_str().expect("main.cf").to_owned();
    assert!(main_cf.contains("relayhost = [smtp-relay.gmail.com]:587\n"), "{main_cf}");
    assert!(main_cf.contains("mydomain = bionicaisolutions.com\n"));
    assert!(main_cf.contains("myhostname = mail.bionicaisolutions.com\n"));
}

#[test]
fn the_stack_has_the_fixed_names_users_depend_on() {
    let docs = documents(&relaygen(&["render"]).ok());
    for (kind, name) in [
        ("Deployment", "postfix-relay"),
        ("Service", "postfix-relay"),
        ("Service", "postfix-relay-headless"),
        ("Service", "postfix-relay-metrics"),
        ("ConfigMap", "postfix-relay"),
        ("ServiceAccount", "postfix-relay"),
    ] {
        find(&docs, kind, name);
    }
    let headless = find(&docs, "Service", "postfix-relay-headless");
    assert_eq!(headless["spec"]["clusterIP"], "None");
    let metrics = find(&docs, "Service", "postfix-relay-metrics");
    assert_eq!(metrics["spec"]["ports"][0]["port"], 8080);
    assert_eq!(metrics["spec"]["ports"][0]["targetPort"], "metrics");
}

#[test]
fn output_is_byte_identical_across_runs() {
    for profile in profiles() {
        let first = relaygen(&["render", "-p", &profile]).ok();
        let second = relaygen(&["render", "-p", &profile]).ok();
        assert_eq!(first, second, "profile {profile} rendered differently twice");
    }
}

#[test]
fn every_seed_command_renders() {
    for (name, args) in SEED_COMMANDS {
        let run = relaygen(args);
        assert_eq!(run.code, 0, "{name} failed: {}", run.stderr);
        assert!(!run.stdout.is_empty(), "{name} printed nothing");
    }
}

#[test]
fn replicas_set_on_the_command_line_are_integers() {
    let docs = documents(&relaygen(&["render", "--set", "deployment.replicas=3"]).ok());
    assert_eq!(find(&docs, "Deployment", "postfix-relay")["spec"]["replicas"], 3);
}

#[test]
fn autoscaling_adds_an_hpa_and_hands_it_the_replica_count() {
    let args = crate::support::seed_command("seed_autoscaling");
    let docs = documents(&relaygen(args).ok());
    let hpa = find(&docs, "HorizontalPodAutoscaler", "postfix-relay");
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");
    assert_eq!((hpa["spec"]["minReplicas"].clone(), hpa["spec"]["maxReplicas"].clone()), (2.into(), 10.into()));
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "postfix-relay");
    let deployment = find(&docs, "Deployment", "postfix-relay");
    assert!(deployment["spec"].get("replicas").is_none(), "the HPA owns replicas");
}

#[test]
fn the_autoscaler_removes_one_pod_per_drain_after_a_quiet_spell() {
    let hpa_of = |args: &[&str]| {
        let mut full = vec!["render", "--profile", "prod"];
        full.extend_from_slice(args);
        find(&documents(&relaygen(&full).ok()), "HorizontalPodAutoscaler", "postfix-relay").clone()
    };
    let down = &hpa_of(&[])["spec"]["behavior"]["scaleDown"];
    assert_eq!(down["stabilizationWindowSeconds"], 300, "{down}");
    assert_eq!(down["policies"], serde_json::json!([{"type": "Pods", "value": 1, "periodSeconds": 120}]), "{down}");
    let down = &hpa_of(&[
        "--set",
        "autoscaling.scaleDown.periodSeconds=600",
        "--set",
        "shutdown.drainTimeoutSeconds=500",
        "--set",
        "deployment.terminationGracePeriodSeconds=600",
    ])["spec"]["behavior"]["scaleDown"];
    assert_eq!(down["policies"][0]["periodSeconds"], 600);
    // A period shorter than one pod's drain would let drains overlap: refused, naming the bound.
    let err = relaygen(&[
        "render",
        "--profile",
        "prod",
        "--set",
        "shutdown.drainTimeoutSeconds=300",
        "--set",
        "deployment.terminationGracePeriodSeconds=400",
    ])
    .fails();
    assert!(err.contains("autoscaling.scaleDown.periodSeconds") && err.contains("at least 305 seconds"), "{err}");
    for (key, value) in
        [("autoscaling.scaleDown.periodSeconds", "0"), ("autoscaling.scaleDown.stabilizationWindowSeconds", "3601")]
    {
        let err = relaygen(&["render", "--profile", "prod", "--set", &format!("{key}={value}")]).fails();
        assert!(err.contains(key) && err.contains("Kubernetes accepts"), "{err}");
    }
}

#[test]
fn resource_limits_reach_the_postfix_container() {
    let args = ["render", "--set", "resources.limits.cpu=400m", "--set", "resources.limits.memory=512Mi"];
    let docs = documents(&relaygen(&args).ok());
    let container = &find(&docs, "Deployment", "postfix-relay")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["name"], "postfix");
    assert_eq!(container["resources"]["limits"]["cpu"], "400m");
    assert_eq!(container["resources"]["limits"]["memory"], "512Mi");
    assert_eq!(container["resources"]["requests"]["cpu"], "100m");
}

#[test]
fn create_namespace_puts_the_namespace_first_and_every_object_in_it() {
    let docs = documents(&relaygen(&["render", "-n", "mail-test", "--create-namespace"]).ok());
    assert_eq!(docs[0]["kind"], "Namespace");
    assert_eq!(docs[0]["metadata"]["name"], "mail-test");
    assert!(docs[0]["metadata"].get("namespace").is_none(), "Namespace is cluster-scoped");
    for doc in &docs[1..] {
        assert_eq!(doc["metadata"]["namespace"], "mail-test", "{} has the wrong namespace", doc["kind"]);
    }
    let sm = find(&docs, "ServiceMonitor", "postfix-relay");
    assert_eq!(sm["spec"]["namespaceSelector"]["matchNames"][0], "mail-test");
}

#[test]
fn a_config_change_rolls_the_pods_and_nothing_else_does() {
    let checksum = |args: &[&str]| {
        let docs = documents(&relaygen(args).ok());
        find(&docs, "Deployment", "postfix-relay")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
            .as_str()
            .expect("checksum annotation")
            .to_owned()
    };
    let base = checksum(&["render"]);
    assert_eq!(base.len(), 64);
    assert_eq!(base, checksum(&["render", "--set", "deployment.replicas=5"]));
    assert_ne!(base, checksum(&["render", "--set", "env.maildomain=example.org"]));
}

#[test]
fn strings_yaml_1_1_would_misread_are_quoted() {
    let out = relaygen(&["render", "-n", "no", "--set", "image.tag=on"]).ok();
    assert!(out.contains("namespace: \"no\"\n"), "{out}");
    assert!(out.contains("app.kubernetes.io/version: \"on\"\n"), "{out}");
    let out = relaygen(&["render", "--set", "image.tag=1.10"]).ok();
    assert!(out.contains("app.kubernetes.io/version: \"1.10\"\n"), "{out}");
    assert!(out.contains("image: boky/postfix:1.10\n"), "{out}");
}

#[test]
fn layers_apply_in_order_defaults_profile_files_sets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.yaml");
    let b = dir.path().join("b.yaml");
    std::fs::write(&a, "deployment:\n  replicas: 4\n").expect("write");
    std::fs::write(&b, "deployment:\n  replicas: 5\n").expect("write");
    let replicas = |args: &[&str]| {
        let docs = documents(&relaygen(args).ok());
        find(&docs, "Deployment", "postfix-relay")["spec"]["replicas"].clone()
    };
    let (a, b) = (a.to_str().expect("utf8"), b.to_str().expect("utf8"));
    assert_eq!(replicas(&["render", "-p", "dev"]), 1, "profile over defaults");
    assert_eq!(replicas(&["render", "-p", "dev", "-f", a]), 4, "file over profile");
    assert_eq!(replicas(&["render", "-f", a, "-f", b]), 5, "later file wins");
    assert_eq!(
        replicas(&["render", "--set", "deployment.replicas=6", "-f", b]),
        6,
        "--set beats -f wherever it stands"
    );
}

#[test]
fn set_and_set_string_apply_left_to_right() {
    let tag = |args: &[&str]| {
        let docs = documents(&relaygen(args).ok());
        find(&docs, "Deployment", "postfix-relay")["spec"]["template"]["spec"]["containers"][0]["image"].clone()
    };
    assert_eq!(tag(&["render", "--set-string", "image.tag=a", "--set", "image.tag=b"]), "boky/postfix:b");
    assert_eq!(tag(&["render", "--set", "image.tag=b", "--set-string", "image.tag=a"]), "boky/postfix:a");
}

#[test]
fn set_string_refuses_to_fill_an_integer() {
    let err = relaygen(&["render", "--set-string", "deployment.replicas=3"]).fails();
    assert!(err.contains("deployment.replicas"), "{err}");
    assert!(err.contains("expected an integer"), "{err}");
}

#[test]
fn values_files_can_come_from_stdin() {
    let docs = documents(&relaygen_with_stdin(&["render", "-f", "-"], "deployment:\n  replicas: 7\n").ok());
    assert_eq!(find(&docs, "Deployment", "postfix-relay")["spec"]["replicas"], 7);
}

#[test]
fn json_output_is_a_list_of_the_same_objects() {
    for profile in profiles() {
        let yaml = documents(&relaygen(&["render", "-p", &profile]).ok());
        let json: Value =
            serde_json::from_str(&relaygen(&["render", "-p", &profile, "-o", "json"]).ok()).expect("JSON");
        assert_eq!(json["kind"], "List");
        assert_eq!(json["items"].as_array().expect("items"), &yaml, "profile {profile}");
    }
}

#[test]
fn unknown_profiles_list_the_available_ones() {
    let err = relaygen(&["render", "-p", "prdo"]).fails();
    assert!(err.contains("unknown profile `prdo`"), "{err}");
    assert!(err.contains("available profiles: dev, prod, staging"), "{err}");
    assert!(err.contains("did you mean `prod`?"), "{err}");
    // A name with a directory separator is a file: one that is not there is said to be missing.
    let err = relaygen(&["render", "-p", "../Cargo"]).fails();
    assert!(err.contains("cannot read ../Cargo"), "{err}");
    // `prod.yaml` alone is a name, mistyped: the nearest profile is suggested.
    let err = relaygen(&["render", "-p", "prod.yaml"]).fails();
    assert!(err.contains("unknown profile `prod.yaml`") && err.contains("did you mean `prod`?"), "{err}");
}

/// One bad input: what to run, and what the error must mention.
struct Bad {
    file: Option<&'static [u8]>,
    args: &'static [&'static str],
    expect: &'static [&'static str],
}

#[test]
fn bad_input_fails_with_the_location_and_key_path_and_prints_nothing() {
    let cases = [
        Bad {
            file: Some(b"deployment:\n  replicaz: 3\n"),
            args: &[],
            expect: &["values.yaml:2:3", "deployment.replicaz", "did you mean `replicas`?"],
        },
        Bad {
            file: Some(b"monitoring:\n  serviceMonitor:\n    intervall: 1m\n"),
            args: &[],
            expect: &["values.yaml:3:5", "monitoring.serviceMonitor.intervall", "did you mean `interval`?"],
        },
        Bad {
            file: Some(b"imgae:\n  tag: x\n"),
            args: &[],
            expect: &["values.yaml:1:1", "imgae", "did you mean `image`?"],
        },
        Bad {
            file: Some(b"deployment:\n  replicas: three\n"),
            args: &[],
            expect: &["values.yaml:2:3", "deployment.replicas", "expected an integer"],
        },
        Bad {
            file: Some(b"deployment:\n  replicas: \"3\"\n"),
            args: &[],
            expect: &["deployment.replicas", "remove the quotes"],
        },
        Bad {
            file: Some(b"networkPolicy:\n  enabled: yes\n"),
            args: &[],
            expect: &["values.yaml:2:3", "networkPolicy.enabled", "YAML 1.1 boolean"],
        },
        Bad {
            file: Some(b"deployment:\n  replicas: 99999999999999999999\n"),
            args: &[],
            expect: &["deployment.replicas", "out of range"],
        },
        Bad { file: Some(b"service:\n  port: 70000\n"), args: &[], expect: &["service.port", "out of range"] },
        Bad { file: Some(b"a: 1\na: 2\n"), args: &[], expect: &["values.yaml:2:1", "duplicate key `a`"] },
        Bad { file: Some(b"42\n"), args: &[], expect: &["values.yaml:1:1", "must be a mapping"] },
        Bad { file: Some(b"- just\n- a list\n"), args: &[], expect: &["values.yaml", "must be a mapping"] },
        Bad { file: Some(b"env: [unclosed\n"), args: &[], expect: &["values.yaml", "not valid YAML"] },
        Bad {
            file: Some(b"env:\n  relayhost: \"[smtp.example.com:587\"\n"),
            args: &[],
            expect: &["values.yaml:2:3", "env.relayhost", "not a valid relayhost"],
        },
        Bad {
            file: Some(b"postfix:\n  mynetworks: [10.0.0.0/33]\n"),
            args: &[],
            expect: &["postfix.mynetworks[0]", "not a CIDR"],
        },
        Bad {
            file: Some(b"image:\n  pullPolicy: Sometimes\n"),
            args: &[],
            expect: &["values.yaml:2:3", "image.pullPolicy", "`Always`"],
        },
        Bad {
            file: Some(b"resources:\n  limits:\n    memory: lots\n"),
            args: &[],
            expect: &["resources.limits.memory", "not a Kubernetes quantity"],
        },
        Bad {
            file: None,
            args: &["--set", "deployment.replicaz=3"],
            expect: &["--set deployment.replicaz=3", "did you mean `replicas`?"],
        },
        Bad { file: None, args: &["--set", "deployment.replicas"], expect: &["has no value"] },
        Bad { file: None, args: &["--set", "a[x]=1"], expect: &["list index `x`"] },
        Bad {
            file: None,
            args: &["--set", "env.relayhost=[smtp.example.com]:587", "--set", "env.SMTP_SERVER=other.example.com"],
            expect: &["env.SMTP_SERVER", "env.relayhost says [smtp.example.com]:587"],
        },
        Bad {
            file: None,
            args: &[
                "--set",
                "autoscaling.enabled=true",
                "--set",
                "autoscaling.minReplicas=5",
                "--set",
                "autoscaling.maxReplicas=2",
            ],
            expect: &["autoscaling.maxReplicas", "below minReplicas"],
        },
        Bad { file: None, args: &["-n", "Bad_Namespace"], expect: &["namespace", "not a valid namespace name"] },
        Bad { file: None, args: &["-f", "does-not-exist.yaml"], expect: &["cannot read does-not-exist.yaml"] },
        Bad {
            file: None,
            args: &["--set", "networkPolicy.ingress.from=[]"],
            expect: &["networkPolicy.ingress.from", "admit every source"],
        },
        Bad {
            file: None,
            args: &["--set", "postfix.tls.caFile=/etc/x\nrelayhost = evil"],
            expect: &["postfix.tls.caFile", "without spaces"],
        },
        Bad {
            file: None,
            args: &["--set", "env.relayhost=[smtp.example.com]:465", "--set", "postfix.tls.securityLevel=may"],
            expect: &["postfix.tls.securityLevel", "mandatory TLS"],
        },
        Bad { file: None, args: &["--set", "service.port=0"], expect: &["service.port", "not a valid port"] },
        Bad {
            file: None,
            args: &["--set", "deployment.strategy.rollingUpdate.maxUnavailable=500%"],
            expect: &["maxUnavailable", "more than 100%"],
        },
        Bad {
            file: Some(
                b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]\na1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\na2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\na3: [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]\n",
            ),
            args: &[],
            expect: &["values.yaml:4", "aliases expand"],
        },
        // Typos deeper down, each with the nearest valid key.
        Bad {
            file: Some(b"monitoring:\n  prometheusRule:\n    alerts:\n      relayDwn:\n        enabled: false\n"),
            args: &[],
            expect: &["values.yaml:4:7", "monitoring.prometheusRule.alerts.relayDwn", "did you mean `relayDown`?"],
        },
        Bad {
            file: Some(b"monitoring:\n  prometheusRule:\n    alerts:\n      highQueue:\n        treshold: 5\n"),
            args: &[],
            expect: &["values.yaml:5:9", "alerts.highQueue.treshold", "did you mean `threshold`?"],
        },
        Bad {
            file: Some(b"networkPolicy:\n  ingress:\n    from:\n      - podSelectr: {}\n"),
            args: &[],
            expect: &["values.yaml:4:9", "networkPolicy.ingress.from[0].podSelectr", "did you mean `podSelector`?"],
        },
        // Wrong types and YAML 1.1 booleans, all reported in one run.
        Bad {
            file: Some(b"image: nginx\nmonitoring:\n  enabled: Off\nservice:\n  port: [25]\n"),
            args: &[],
            expect: &[
                "values.yaml:1:1",
                "image: expected a mapping",
                "values.yaml:3:3",
                "monitoring.enabled: `Off` is a YAML 1.1 boolean",
                "values.yaml:5:3",
                "service.port: expected an integer, found a list",
                "3 invalid value(s)",
            ],
        },
        Bad {
            file: None,
            args: &["--set", "deployment.replicas=123456789012345678901234567890123456789012345"],
            expect: &["deployment.replicas", "too large"],
        },
        Bad { file: None, args: &["--set", "service.port=-1"], expect: &["service.port", "out of range"] },
        Bad {
            file: Some(b"deployment:\n  replicas: 1\n  replicas: 2\n"),
            args: &[],
            expect: &["values.yaml:3:3", "duplicate key `replicas`"],
        },
        Bad { file: Some(b"~\n"), args: &[], expect: &["values.yaml:1:1", "holds no values"] },
        Bad {
            file: Some(b"namespace: a\n---\nnamespace: b\n"),
            args: &[],
            expect: &["values.yaml:2:1", "exactly one YAML document"],
        },
        Bad {
            file: Some(b"env:\n  maildomain: \xff\xfe\n"),
            args: &[],
            expect: &["values.yaml:2", "not valid UTF-8"],
        },
        Bad { file: None, args: &["--set", "deployment..replicas=1"], expect: &["empty key segment"] },
        Bad { file: None, args: &["--set", "=1"], expect: &["the key is empty"] },
        Bad { file: None, args: &["--set", "deployment.tolerations[0=1"], expect: &["without a closing `]`"] },
        Bad {
            file: None,
            args: &["--set", "deployment.tolerations[3].key=x"],
            expect: &["deployment.tolerations", "past the end"],
        },
        Bad {
            file: None,
            args: &["--set", "env.relayhost=[smtp.example.com]:587", "--set", "env.SMTP_PORT=25"],
            expect: &["env.SMTP_PORT", "say smtp.example.com:25 but env.relayhost says [smtp.example.com]:587"],
        },
        Bad {
            file: None,
            args: &["--set", "env.relayhost=[smtp.example.com]:70000"],
            expect: &["env.relayhost", "port `70000`"],
        },
        Bad {
            file: None,
            args: &["--set", "env.SERVER_HOSTNAME=localhost"],
            expect: &["env.SERVER_HOSTNAME", "not a fully qualified host name"],
        },
        Bad {
            file: None,
            args: &["--set", "postfix.mynetworks={10.0.0.1/8}"],
            expect: &["postfix.mynetworks[0]", "host bits", "10.0.0.0/8"],
        },
        Bad {
            file: None,
            args: &["--set", "podDisruptionBudget.enabled=true", "--set", "podDisruptionBudget.minAvailable=2"],
            expect: &["podDisruptionBudget.minAvailable", "block every voluntary eviction"],
        },
        Bad { file: None, args: &["--set", "image.tag=v1:2"], expect: &["image.tag", "not a valid image tag"] },
        // Errors point at the line the user wrote, not at the default it collided with.
        Bad {
            file: Some(b"resources:\n  limits:\n    cpu: 50m\n"),
            args: &[],
            expect: &["values.yaml:3:5", "resources.limits.cpu", "request 100m is above the limit 50m"],
        },
        Bad {
            file: Some(b"deployment:\n  nodeSelector:\n    kubernetes.io/os: \"not valid!\"\n"),
            args: &[],
            expect: &["values.yaml:3:5", r"deployment.nodeSelector.kubernetes\.io/os", "not a valid label value"],
        },
    ];
    assert!(cases.len() >= 30, "the table specifies at least 30 kinds of bad input");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("values.yaml");
    for (i, case) in cases.iter().enumerate() {
        let mut args: Vec<&str> = vec!["render"];
        if let Some(text) = case.file {
            std::fs::write(&path, text).expect("write values");
            args.extend(["-f", "values.yaml"]);
        }
        args.extend(case.args);
        let run = relaygen_in(dir.path(), &args);
        assert_eq!(run.code, 1, "case {i} ({args:?}): exit code");
        let err = run.fails();
        for needle in case.expect {
            assert!(err.contains(needle), "case {i} ({args:?}): stderr lacks `{needle}`:\n{err}");
        }
    }
}

#[test]
fn set_errors_point_at_the_value_and_show_how_to_write_commas_and_empty_strings() {
    let stderr = relaygen(&["render", "--set", "env.ALLOWED_SENDER_DOMAINS=example.com,gmail.com"]).fails();
    assert!(stderr.contains("`gmail.com` has no value"), "{stderr}");
    assert!(stderr.contains(r"--set env.ALLOWED_SENDER_DOMAINS=example.com\,gmail.com"), "{stderr}");
    assert!(stderr.contains("--set env.ALLOWED_SENDER_DOMAINS={example.com,gmail.com}"), "{stderr}");
    // Both spellings the help shows work.
    for spelling in
        [r"env.ALLOWED_SENDER_DOMAINS=example.com\,gmail.com", "env.ALLOWED_SENDER_DOMAINS={example.com,gmail.com}"]
    {
        let main_cf = relaygen(&["values", "--set", spelling]).ok();
        assert!(main_cf.contains("example.com"), "{spelling}: {main_cf}");
    }

    let stderr = relaygen(&["render", "--set", "image.digest="]).fails();
    assert!(stderr.contains("--set-string image.digest="), "{stderr}");
    assert!(stderr.contains("null"), "{stderr}");
    // The caret sits under the value (column 21), not under the start of the expression.
    let stderr = relaygen(&["render", "--set", "deployment.replicas=x"]).fails();
    assert!(stderr.contains("--set deployment.replicas=x (column 21)"), "{stderr}");
    let caret = stderr.lines().find(|l| l.trim_end().ends_with('^')).expect("a caret line");
    let quoted = stderr.lines().find(|l| l.ends_with("deployment.replicas=x")).expect("the quoted expression");
    assert_eq!(caret.find('^'), quoted.find('x'), "{stderr}");
    let help = relaygen(&["render", "--help"]).ok();
    assert!(help.contains(r"a=x\,y") && help.contains("a={x,y}"), "{help}");
}

#[test]
fn a_duplicate_key_a_typo_a_yaml_1_1_boolean_and_rule_violations_are_all_reported_in_one_run() {
    let text = "deployment:\n  replicas: 2\n  replicas: 3\n  replicaz: 4\nnetworkPolicy:\n  enabled: on\n\
                env:\n  relayhost: \"[smtp.example.com]:587\"\n  SMTP_SERVER: other.example.com\n\
                resources:\n  requests:\n    cpu: 500m\n";
    let stderr = relaygen_with_stdin(&["validate", "-f", "-"], text).fails();
    for needle in [
        "duplicate key `replicas`",
        "<stdin>:3:3",
        "deployment.replicaz: unknown key",
        "networkPolicy.enabled: `on` is a YAML 1.1 boolean",
        "env.SMTP_SERVER: SMTP_SERVER/SMTP_PORT say other.example.com:587",
        "resources.requests.cpu: the cpu request 500m is above the limit 200m",
        "error: 5 invalid value(s)",
    ] {
        assert!(stderr.contains(needle), "no `{needle}` in:\n{stderr}");
    }
}

#[test]
fn thousands_of_bad_keys_are_counted_exactly_and_the_first_are_shown_in_file_order() {
    let mut text = String::from("deployment:\n");
    for i in 1..=10_000 {
        text.push_str(&format!("  replicaz{i}: 1\n"));
    }
    text.push_str("imgae: {}\n");
    let stderr = relaygen_with_stdin(&["render", "-f", "-"], &text).fails();
    assert!(stderr.contains("error: 10001 invalid value(s)"), "{}", &stderr[stderr.len().saturating_sub(300)..]);
    assert!(stderr.contains("… and 9901 more"), "{}", &stderr[stderr.len().saturating_sub(300)..]);
    let shown: Vec<&str> = stderr.lines().filter_map(|l| l.strip_prefix("error: deployment.")).collect();
    let expected: Vec<String> = (1..=100).map(|i| format!("replicaz{i}: unknown key `replicaz{i}`")).collect();
    assert_eq!(shown, expected);
}

#[test]
fn input_is_bounded_a_values_file_stdin_and_set_expressions_stop_at_their_documented_limits() {
    use std::process::{Command, Stdio};
    // /dev/zero never ends: relaygen must stop reading at the cap, not grow until killed.
    let stderr = relaygen(&["render", "-f", "/dev/zero"]).fails();
    assert!(stderr.contains("/dev/zero is larger than 8 MiB"), "{stderr}");
    let run = Command::new(env!("CARGO_BIN_EXE_relaygen"))
        .args(["render", "-f", "-"])
        .stdin(Stdio::from(std::fs::File::open("/dev/zero").expect("/dev/zero")))
        .output()
        .expect("relaygen runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!((run.status.code(), run.stdout.len()), (Some(1), 0), "{stderr}");
    assert!(stderr.contains("<stdin> is larger than 8 MiB"), "{stderr}");
    // Exactly at the cap is still read (and here refused only for what it holds).
    let dir = tempfile::tempdir().expect("tempdir");
    let at_cap = dir.path().join("at-cap.yaml");
    let mut text = String::from("namespace: x\n");
    text.push_str(&"#".repeat(8 * 1024 * 1024 - text.len() - 1));
    text.push('\n');
    std::fs::write(&at_cap, &text).expect("write");
    assert!(relaygen(&["values", "-f", at_cap.to_str().expect("UTF-8")]).ok().contains("namespace: x"));

    let long = format!("image.tag={}", "x".repeat(64 * 1024));
    let stderr = relaygen(&["render", "--set", &long]).fails();
    assert!(stderr.contains("more than the 64 KiB relaygen accepts"), "{}", &stderr[..stderr.len().min(500)]);
    assert!(stderr.len() < 1000, "the error does not echo the whole expression");
    let deep = format!("{}x=1", "a.".repeat(255));
    let stderr = relaygen(&["render", "--set", &deep]).fails();
    assert!(stderr.contains("deeper than 255 steps"), "{}", &stderr[..stderr.len().min(500)]);
}

#[test]
fn objects_over_kubernetes_size_limits_are_refused_naming_the_key_that_made_them_too_big() {
    let dir = tempfile::tempdir().expect("tempdir");
    let check = |name: &str, text: String, expect: &[&str]| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let stderr = relaygen(&["validate", "-f", path.to_str().expect("UTF-8")]).fails();
        for needle in expect {
            assert!(stderr.contains(needle), "{name}: no `{needle}` in:\n{stderr}");
        }
    };
    let annotations = |at: &str| {
        let entries: String = (0..300).map(|i| format!("    example.com/note-{i}: {}\n", "x".repeat(1000))).collect();
        format!("{at}:\n  annotations:\n{entries}")
    };
    check(
        "pod-annotations.yaml",
        annotations("deployment").replace("  annotations:", "  podAnnotations:"),
        &["deployment.podAnnotations: the annotations of Deployment postfix-relay's pod template", "limit of 256 KiB"],
    );
    check(
        "account-annotations.yaml",
        annotations("serviceAccount"),
        &["serviceAccount.annotations: the annotations of ServiceAccount postfix-relay", "limit of 256 KiB"],
    );
    let senders: String = (0..60_000).map(|i| format!("    - sender-{i}.example.com\n")).collect();
    check(
        "senders.yaml",
        format!("env:\n  ALLOWED_SENDER_DOMAINS:\n{senders}"),
        &["env.ALLOWED_SENDER_DOMAINS: the data of ConfigMap postfix-relay", "limit of 1024 KiB", "senders.yaml:2:3"],
    );
    let selector: String = (0..40_000).map(|i| format!("    example.com/zone-{i}: zone-{i}-of-the-fleet\n")).collect();
    check(
        "node-selector.yaml",
        format!("deployment:\n  nodeSelector:\n{selector}"),
        &["deployment.nodeSelector: Deployment postfix-relay would be", "limit of 1536 KiB"],
    );
}

#[test]
fn an_object_too_large_for_client_side_apply_is_a_warning_that_names_server_side_apply() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("senders.yaml");
    // 12,000 sender domains: a ConfigMap of about 340 KiB, within the API server's 1 MiB.
    let senders: String = (0..12_000).map(|i| format!("    - sender-{i}.example.com\n")).collect();
    std::fs::write(&path, format!("env:\n  ALLOWED_SENDER_DOMAINS:\n    - bionicaisolutions.com\n{senders}"))
        .expect("write");
    let path = path.to_str().expect("UTF-8");
    let run = relaygen(&["validate", "-f", path]);
    assert!(
        run.stderr.contains("warning: env.ALLOWED_SENDER_DOMAINS: ConfigMap postfix-relay would be")
            && run.stderr.contains("last-applied-configuration")
            && run.stderr.contains("kubectl apply --server-side"),
        "{}",
        run.stderr
    );
    assert!(run.ok().contains("3 warning(s)"));
    let digest = format!("image.digest=sha256:{}", "a".repeat(64));
    let exporter = format!("monitoring.exporter.image.digest=sha256:{}", "b".repeat(64));
    for command in ["validate", "render"] {
        let err = relaygen(&[command, "--strict", "-f", path, "--set", &digest, "--set", &exporter]).fails();
        assert!(err.contains("error: env.ALLOWED_SENDER_DOMAINS: ConfigMap postfix-relay"), "{err}");
    }
}

/// Every label a value puts on an object is refused by validation, before rendering: the size
/// check after rendering has no label case to catch.
#[test]
fn an_invalid_label_from_the_values_is_a_validation_error_naming_its_key() {
    for key in ["monitoring.serviceMonitor.labels", "monitoring.prometheusRule.labels", "monitoring.dashboard.labels"] {
        let set = format!("{key}.bad\\ key=x");
        let err = relaygen(&["validate", "--set", "monitoring.dashboard.enabled=true", "--set", &set]).fails();
        assert!(err.contains(&format!("error: {key}")) && !err.contains("internal error"), "{key}:\n{err}");
        let set = format!("{key}.ok=not a label value");
        let err = relaygen(&["validate", "--set", "monitoring.dashboard.enabled=true", "--set", &set]).fails();
        assert!(err.contains(&format!("error: {key}")) && !err.contains("internal error"), "{key}:\n{err}");
    }
}

#[test]
fn the_hostname_and_the_allowed_senders_follow_the_mail_domain_unless_set() {
    let main_cf = |args: &[&str]| -> (String, String) {
        let docs = documents(&relaygen(&[&["render"], args].concat()).ok());
        let data = &find(&docs, "ConfigMap", "postfix-relay")["data"];
        (
            data["main.cf"].as_str().expect("main.cf").to_owned(),
            data["allowed_senders"].as_str().expect("table").to_owned(),
        )
    };
    let (cf, senders) = main_cf(&["--set", "env.maildomain=newdomain.com"]);
    assert!(cf.contains("myhostname = mail.newdomain.com\n"), "{cf}");
    assert!(senders.contains("newdomain.com OK") && !senders.contains("bionicaisolutions.com"), "{senders}");
    // --strict: no warning about the domain (both images pinned, so nothing else to say).
    let digest = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    let (postfix, exporter) =
        (format!("image.digest={}", digest('a')), format!("monitoring.exporter.image.digest={}", digest('b')));
    let run = relaygen(&[
        "validate",
        "--strict",
        "--set",
        "env.maildomain=newdomain.com",
        "--set",
        &postfix,
        "--set",
        &exporter,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Set explicitly, they stay as set.
    let (cf, _) =
        main_cf(&["--set", "env.maildomain=newdomain.com", "--set", "env.SERVER_HOSTNAME=smtp.newdomain.com"]);
    assert!(cf.contains("myhostname = smtp.newdomain.com\n"), "{cf}");
    let (cf, _) = main_cf(&["--profile", "staging", "--set", "env.maildomain=newdomain.com"]);
    assert!(cf.contains("myhostname = mail-staging.bionicaisolutions.com\n"), "the profile's own hostname: {cf}");

    let listing = relaygen(&["values", "--show-origin", "--set", "env.maildomain=newdomain.com"]).ok();
    let line =
        |key: &str| listing.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("no {key}")).to_owned();
    assert!(line("env.SERVER_HOSTNAME").contains("# derived: from env.maildomain (set: --set env.maildomain"));
    assert!(
        line("env.ALLOWED_SENDER_DOMAINS = [\"newdomain.com\", \"gmail.com\"]")
            .contains("# derived: from env.maildomain")
    );

    // A mail domain the relay would refuse as a sender is a warning (an error with --strict).
    let args = ["--set", "env.maildomain=newdomain.com", "--set", "env.ALLOWED_SENDER_DOMAINS=example.com"];
    let stderr = relaygen(&[&["validate"], &args[..]].concat()).stderr;
    assert!(
        stderr.contains("warning: env.maildomain: the mail domain `newdomain.com` is not an allowed sender domain")
    );
    assert!(relaygen(&[&["validate", "--strict"], &args[..]].concat()).fails().contains("5.7.1"));
}

#[test]
fn an_empty_or_comment_only_values_file_is_an_empty_layer_but_empty_stdin_is_an_error() {
    let defaults = relaygen(&["render"]).ok();
    for text in ["", "# placeholder: values for this cluster go here\n", "---\n"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("values.yaml");
        std::fs::write(&path, text).expect("write");
        assert_eq!(relaygen(&["render", "-f", path.to_str().expect("UTF-8")]).ok(), defaults, "{text:?}");
    }
    // A comment-only stdin is a placeholder too; an empty one is a failed command in front of
    // the pipe, and rendering the defaults would hide it.
    let comment = "# placeholder\n";
    assert_eq!(relaygen_with_stdin(&["render", "-f", "-"], comment).ok(), defaults);
    for empty in ["", "\n  \n"] {
        let err = relaygen_with_stdin(&["render", "-f", "-"], empty).fails();
        assert!(err.contains("<stdin> (-f -) is empty") && err.contains("did the command"), "{err}");
    }
}

#[test]
fn invalid_utf8_is_an_error_with_a_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("v.yaml"), b"env:\n  maildomain: \xff\xfe\n").expect("write");
    let err = relaygen_in(dir.path(), &["render", "-f", "v.yaml"]).fails();
    assert!(err.contains("v.yaml:2"), "{err}");
    assert!(err.contains("not valid UTF-8"), "{err}");
}

#[test]
fn all_semantic_errors_are_reported_at_once() {
    let err = relaygen(&["render", "--set", "env.maildomain=nodot", "--set", "deployment.replicas=0"]).fails();
    assert!(err.contains("env.maildomain"), "{err}");
    assert!(err.contains("deployment.replicas"), "{err}");
}

#[test]
fn an_unpinned_image_warns_but_renders() {
    let run = relaygen(&["render", "--set", "image.tag=latest"]);
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    assert!(run.stderr.contains("image.tag"), "{}", run.stderr);
    run.ok();
}

/// The pull policies of the workload's init containers and containers, by container name.
fn pull_policies(out: &str) -> Vec<(String, String)> {
    let docs = documents(out);
    let pod = &find(&docs, "Deployment", "postfix-relay")["spec"]["template"]["spec"];
    ["initContainers", "containers"]
        .iter()
        .flat_map(|list| pod[list].as_array().cloned().unwrap_or_default())
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                c["imagePullPolicy"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_mutable_tag_is_pulled_always_and_its_warning_says_nothing_rolls_the_pods() {
    let pairs =
        |list: &[(&str, &str)]| list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect::<Vec<_>>();
    // As Kubernetes defaults it: `latest` (or no tag) is pulled on every start, a release tag
    // when the node lacks it.
    assert_eq!(
        pull_policies(&relaygen(&["render"]).ok()),
        pairs(&[("config", "IfNotPresent"), ("postfix", "IfNotPresent"), ("exporter", "IfNotPresent")])
    );
    let run = relaygen(&["render", "--set", "image.tag=latest"]);
    assert!(run.stderr.contains("mutable tag: a re-push rolls no pod"), "{}", run.stderr);
    assert!(run.stderr.contains("pin a digest in image.digest"), "{}", run.stderr);
    assert_eq!(
        pull_policies(&run.ok()),
        pairs(&[("config", "Always"), ("postfix", "Always"), ("exporter", "IfNotPresent")])
    );
    // A policy the user sets is kept, and the warning says what it means.
    let run = relaygen(&["render", "--set", "image.tag=latest", "--set", "image.pullPolicy=IfNotPresent"]);
    assert!(run.stderr.contains("a node that has an older image keeps running it"), "{}", run.stderr);
    assert_eq!(pull_policies(&run.ok())[1], pairs(&[("postfix", "IfNotPresent")])[0]);
    // A digest pins the content: nothing to pull again.
    let digest = format!("image.digest=sha256:{}", "a".repeat(64));
    let out = relaygen(&["render", "--set", "image.tag=latest", "--set", &digest]).ok();
    assert_eq!(pull_policies(&out)[1], pairs(&[("postfix", "IfNotPresent")])[0]);
}

#[test]
fn a_new_image_tag_changes_the_workload_and_nothing_else() {
    let old = documents(&relaygen(&["render", "--profile", "prod"]).ok());
    let new = documents(&relaygen(&["render", "--profile", "prod", "--set", "image.tag=v5.1.1"]).ok());
    assert_eq!(old.len(), new.len());
    let changed: Vec<&str> =
        old.iter().zip(&new).filter(|(a, b)| a != b).map(|(a, _)| a["kind"].as_str().unwrap_or_default()).collect();
    assert_eq!(changed, ["Deployment"]);
    let deployment = find(&new, "Deployment", "postfix-relay");
    assert_eq!(deployment["metadata"]["labels"]["app.kubernetes.io/version"], "v5.1.1");
    assert_eq!(deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"], "v5.1.1");
    // The version label is the pods' version: never in a selector.
    assert!(deployment["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/version").is_none());
}

#[test]
fn values_prints_the_effective_values_which_render_the_same_stack() {
    for profile in profiles() {
        let effective = relaygen(&["values", "-p", &profile]).ok();
        let replayed = relaygen_with_stdin(&["render", "-f", "-"], &effective).ok();
        assert_eq!(replayed, relaygen(&["render", "-p", &profile]).ok(), "profile {profile}");
    }
}

#[test]
fn show_origin_names_the_layer_that_set_each_value() {
    let out = relaygen(&["values", "-p", "prod", "--set", "deployment.replicas=3", "--show-origin"]).ok();
    let line = |key: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
            .to_owned()
    };
    assert!(line("deployment.replicas").ends_with("# set: --set deployment.replicas=3 (column 21)"));
    assert!(line("autoscaling.minReplicas").ends_with("# profile: profiles/prod.yaml:8:3"));
    assert!(line("image.tag").contains("# default: built-in defaults:"));
}

#[test]
fn a_service_exposed_outside_the_cluster_keeps_client_addresses() {
    // With the default `Cluster` policy, outside clients would arrive with node addresses,
    // which sit inside mynetworks: an open relay.
    let docs = documents(&relaygen(&["render", "--set", "service.type=LoadBalancer"]).ok());
    assert_eq!(find(&docs, "Service", "postfix-relay")["spec"]["externalTrafficPolicy"], "Local");
    let docs = documents(&relaygen(&["render"]).ok());
    assert!(find(&docs, "Service", "postfix-relay")["spec"].get("externalTrafficPolicy").is_none());
}

#[test]
fn a_typing_mistake_gets_advice_about_what_the_user_typed() {
    // --set-string quoted it, not the user: the fix is the other flag.
    let err = relaygen(&["render", "--set-string", "deployment.replicas=3"]).fails();
    assert!(err.contains("--set-string makes a string; use --set deployment.replicas=3"), "{err}");
    assert!(!err.contains("remove the quotes"), "{err}");
    // Quotes the user wrote in a values file are theirs to remove.
    let err = relaygen_with_stdin(&["render", "-f", "-"], "deployment:\n  replicas: \"3\"\n").fails();
    assert!(err.contains("remove the quotes: 3"), "{err}");
}

#[test]
fn stdin_given_twice_is_named_as_the_mistake() {
    let err = relaygen_with_stdin(&["render", "-f", "-", "-f", "-"], "deployment:\n  replicas: 3\n").fails();
    assert!(err.contains("`-f -` is given more than once"), "{err}");
    assert!(!err.contains("feeding the pipe"), "{err}");
}

#[test]
fn a_profile_file_in_the_current_directory_gets_its_path_suggested() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("myprofile.yaml"), "deployment:\n  replicas: 3\n").expect("write");
    let err = relaygen_in(dir.path(), &["render", "--profile", "myprofile.yaml"]).fails();
    assert!(err.contains("--profile ./myprofile.yaml"), "{err}");
    let out = relaygen_in(dir.path(), &["render", "--profile", "./myprofile.yaml"]).ok();
    assert!(out.contains("replicas: 3\n"), "{out}");
}
