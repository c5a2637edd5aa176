//! A release as a unit: the `name` value names every object and the labels the selectors use,
//! so two releases in one namespace neither share an object nor select each other's pods; and
//! `uninstall` lists every object a release can have.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::relaygen;

/// Every component on, for release `name`.
fn release(name: &str) -> Vec<Value> {
    let set = format!("name={name}");
    let args = [
        "render",
        "-o",
        "json",
        "--profile",
        "prod",
        "--set",
        &set,
        "--set",
        "monitoring.dashboard.enabled=true",
        "--set",
        "queue.persistence.enabled=true",
    ];
    let list: Value = serde_json::from_str(&relaygen(&args).ok()).expect("render -o json is JSON");
    list["items"].as_array().expect("items").clone()
}

fn identity(object: &Value) -> (String, String) {
    (object["kind"].as_str().expect("kind").to_owned(), object["metadata"]["name"].as_str().expect("name").to_owned())
}

fn find<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn labels(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}

/// Whether a `matchLabels` selector (or a Service's plain selector) selects `target` labels.
fn selects(selector: &Value, target: &BTreeMap<String, String>) -> bool {
    let wanted = labels(selector);
    !wanted.is_empty() && wanted.iter().all(|(k, v)| target.get(k) == Some(v))
}

#[test]
fn two_releases_in_one_namespace_share_no_object_and_select_only_their_own_pods() {
    let a = release("relay-a");
    let b = release("relay-b");
    let names_a: BTreeSet<_> = a.iter().map(identity).collect();
    let names_b: BTreeSet<_> = b.iter().map(identity).collect();
    assert!(names_a.is_disjoint(&names_b), "shared objects: {:?}", names_a.intersection(&names_b).collect::<Vec<_>>());
    for (name, own, other) in [("relay-a", &a, &b), ("relay-b", &b, &a)] {
        let workload = find(own, "StatefulSet")[0];
        let own_pods = labels(&workload["spec"]["template"]["metadata"]["labels"]);
        let other_pods = labels(&find(other, "StatefulSet")[0]["spec"]["template"]["metadata"]["labels"]);
        // Every selector of the release picks its own pods and never the other release's.
        let mut selectors = vec![&workload["spec"]["selector"]["matchLabels"]];
        selectors.extend(find(own, "Service").into_iter().map(|s| &s["spec"]["selector"]));
        selectors.extend(find(own, "PodDisruptionBudget").into_iter().map(|p| &p["spec"]["selector"]["matchLabels"]));
        let policy = find(own, "NetworkPolicy")[0];
        selectors.push(&policy["spec"]["podSelector"]["matchLabels"]);
        // The hand-off rules, in and out: the relay's own pods only.
        for rule in policy["spec"]["ingress"]
            .as_array()
            .expect("ingress")
            .iter()
            .chain(policy["spec"]["egress"].as_array().expect("egress").iter())
        {
            let ports = rule["ports"].as_array().expect("ports");
            if ports.iter().any(|p| p["port"] == 10026) {
                let peers = rule["from"].as_array().or(rule["to"].as_array()).expect("peers");
                selectors.extend(peers.iter().map(|p| &p["podSelector"]["matchLabels"]));
            }
        }
        assert!(selectors.len() >= 8, "{name}: {selectors:?}");
        for selector in selectors {
            assert!(selects(selector, &own_pods), "{name}: {selector} misses its own pods");
            assert!(!selects(selector, &other_pods), "{name}: {selector} selects the other release's pods");
        }
        // The ServiceMonitor scrapes its own metrics Service only.
        let monitor = &find(own, "ServiceMonitor")[0]["spec"]["selector"]["matchLabels"];
        let metrics = |objects: &[Value]| {
            let service = find(objects, "Service")
                .into_iter()
                .find(|s| s["metadata"]["name"].as_str().is_some_and(|n| n.ends_with("-metrics")));
            labels(&service.expect("metrics Service")["metadata"]["labels"])
        };
        assert!(selects(monitor, &metrics(own)), "{name}: the ServiceMonitor misses its metrics Service");
        assert!(!selects(monitor, &metrics(other)), "{name}: the ServiceMonitor scrapes the other release");
        // The drain hands the queue to this release's headless Service, and every rule is
        // scoped to this release's scrape job.
        let config = find(own, "ConfigMap").into_iter().find(|c| c["metadata"]["name"] == name).expect("ConfigMap");
        let drain = config["data"]["drain.sh"].as_str().expect("drain.sh");
        assert!(drain.contains(&format!("relayhost = [{name}-headless]:10026")), "{drain}");
        assert_eq!(workload["spec"]["serviceName"], format!("{name}-headless"));
        let rule = serde_json::to_string(&find(own, "PrometheusRule")[0]["spec"]).expect("rule");
        assert!(rule.contains(&format!(r#"job=\"{name}-metrics\""#)), "{rule}");
        let other_name = if name == "relay-a" { "relay-b" } else { "relay-a" };
        assert!(!rule.contains(other_name), "{rule}");
        // Two dashboards in one Grafana folder need their own uid and title.
        let dashboard =
            find(own, "ConfigMap").into_iter().find(|c| c["metadata"]["name"] == format!("{name}-dashboard"));
        let json: Value = serde_json::from_str(
            dashboard.expect("dashboard")["data"][format!("{name}.json")].as_str().expect("dashboard JSON"),
        )
        .expect("JSON");
        assert!(json["uid"].as_str().is_some_and(|u| u.starts_with(name) && u.len() <= 40), "{}", json["uid"]);
        assert_eq!(json["title"], format!("Postfix relay (email-server-prod/{name})"));
    }
}

#[test]
fn the_default_release_keeps_the_names_users_depend_on() {
    let default = release("postfix-relay");
    let mut names: Vec<_> = default.iter().map(identity).collect();
    names.sort();
    let expected = [
        ("ConfigMap", "postfix-relay"),
        ("ConfigMap", "postfix-relay-dashboard"),
        ("HorizontalPodAutoscaler", "postfix-relay"),
        ("NetworkPolicy", "postfix-relay"),
        ("PodDisruptionBudget", "postfix-relay"),
        ("PrometheusRule", "postfix-relay"),
        ("Service", "postfix-relay"),
        ("Service", "postfix-relay-headless"),
        ("Service", "postfix-relay-metrics"),
        ("ServiceAccount", "postfix-relay"),
        ("ServiceMonitor", "postfix-relay"),
        ("StatefulSet", "postfix-relay"),
    ];
    let expected: Vec<_> = expected.iter().map(|(k, n)| ((*k).to_owned(), (*n).to_owned())).collect();
    assert_eq!(names, expected);
}

#[test]
fn a_release_name_that_kubernetes_cannot_use_is_refused() {
    let long = "r".repeat(53);
    for name in ["Relay", "1relay", "relay_a", "-relay", long.as_str()] {
        let set = format!("name={name}");
        let err = relaygen(&["render", "--set", &set]).fails();
        assert!(err.contains(&format!("error: name: `{name}` is not a valid release name")), "{name}:\n{err}");
        assert!(err.contains("starting with a letter, at most 52 characters"), "{err}");
    }
    // The longest name fits every derived name, and the dashboard's uid stays within Grafana's 40.
    let longest = "r".repeat(52);
    let set = format!("name={longest}");
    let out = relaygen(&["render", "--set", &set, "--set", "monitoring.dashboard.enabled=true"]).ok();
    let uid = out.lines().find(|l| l.trim_start().starts_with("\"uid\": \"") && !l.contains("datasource"));
    let uid = uid.expect("uid").trim().trim_start_matches("\"uid\": \"").trim_end_matches(['"', ',']);
    assert!(uid.len() <= 40, "{uid}");
}

/// `(kind, name, namespace)` of every document of a YAML stream.
fn identities(yaml: &str) -> Vec<(String, String, String)> {
    yaml.split("\n---\n")
        .map(|doc| {
            let field = |key: &str| doc.lines().find_map(|l| l.strip_prefix(key)).unwrap_or_default().trim().to_owned();
            (field("kind: "), field("  name: "), field("  namespace: "))
        })
        .collect()
}

#[test]
fn uninstall_lists_every_object_any_switch_can_render_and_nothing_of_the_user_s() {
    let run = relaygen(&["uninstall", "--profile", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = identities(&run.stdout);
    // Every object some combination of switches renders, whatever the dev profile has on now.
    let combinations: [&[&str]; 3] = [
        &[],
        &[
            "--set",
            "queue.persistence.enabled=true",
            "--set",
            "podDisruptionBudget.enabled=true",
            "--set",
            "deployment.replicas=2",
        ],
        &[
            "--set",
            "autoscaling.enabled=true",
            "--set",
            "monitoring.dashboard.enabled=true",
            "--set",
            "monitoring.prometheusRule.enabled=true",
        ],
    ];
    for extra in combinations {
        let rendered = relaygen(&[&["render", "--profile", "dev"], extra].concat()).ok();
        for object in identities(&rendered) {
            assert!(
                listed.contains(&object),
                "{object:?} rendered with {extra:?} but not uninstalled:\n{}",
                run.stdout
            );
        }
    }
    let kinds: Vec<&str> = listed.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "PrometheusRule",
            "ServiceMonitor",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "HorizontalPodAutoscaler",
            "Deployment",
            "StatefulSet",
            "Service",
            "Service",
            "Service",
            "ConfigMap",
            "ConfigMap",
            "ServiceAccount"
        ],
        "not in reverse apply order:\n{}",
        run.stdout
    );
    assert!(listed.iter().all(|(_, _, ns)| ns == "email-server-dev"), "{listed:?}");
    // Only identities: kubectl delete needs no more, and no spec can be mistaken for an apply.
    assert!(!run.stdout.contains("spec:") && !run.stdout.contains("labels:"), "{}", run.stdout);
    // The claims and the namespace stay, and stderr says how to remove them.
    assert!(
        run.stderr.contains("kubectl delete pvc -n email-server-dev -l app.kubernetes.io/instance=postfix-relay"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("kept: the Namespace email-server-dev"), "{}", run.stderr);
    // The SASL Secret is the user's: never listed, even with SASL on.
    let sasl = relaygen(&[
        "uninstall",
        "--set",
        "postfix.sasl.enabled=true",
        "--set",
        "postfix.sasl.secretName=relay-credentials",
    ])
    .ok();
    assert!(!sasl.contains("Secret") && !sasl.contains("Namespace"), "{sasl}");
}

#[test]
fn uninstall_deletes_the_namespace_only_when_asked_and_follows_the_release_name() {
    let run = relaygen(&["uninstall", "--include-namespace", "--set", "name=relay-b", "-n", "mail"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = identities(&run.stdout);
    assert_eq!(listed.last(), Some(&("Namespace".to_owned(), "mail".to_owned(), String::new())), "{}", run.stdout);
    assert!(
        listed.iter().filter(|(k, _, _)| k != "Namespace").all(|(_, name, _)| name.starts_with("relay-b")),
        "{listed:?}"
    );
    assert!(!run.stderr.contains("kept: the Namespace"), "{}", run.stderr);
}

#[test]
fn a_sasl_secret_named_like_the_release_is_reported_as_the_applyset_parent_s_name() {
    let run =
        relaygen(&["render", "--set", "postfix.sasl.enabled=true", "--set", "postfix.sasl.secretName=postfix-relay"]);
    assert!(
        run.stderr.contains(
            "warning: postfix.sasl.secretName: `postfix-relay` is the release's name, which kubectl's ApplySet \
             (--applyset=postfix-relay) gives the Secret it keeps its inventory in"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("e.g. postfix-relay-sasl"), "{}", run.stderr);
    let other =
        relaygen(&["render", "--set", "postfix.sasl.enabled=true", "--set", "postfix.sasl.secretName=relay-sasl"]);
    assert!(!other.stderr.contains("postfix.sasl.secretName"), "{}", other.stderr);
}
