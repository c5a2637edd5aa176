//! Secure by default: checkov finds nothing it is not told why about, the NetworkPolicy admits
//! exactly what a relay needs, and the pod carries every hardening setting the values promise.
//! (That Postfix still starts and relays under these settings is proven by `relay`: its pod
//! harness runs the containers with their rendered capabilities, no_new_privs and read-only
//! root.)

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::process::Command;

use ipnet::IpNet;
use serde_json::Value;

use crate::support::{judge, profiles, relaygen};

/// The only checkov checks relaygen ever skips, each with an inline justification on the
/// workload (see `src/render/policy_exceptions.rs`): the root master's three, digest pinning
/// for an image pinned by tag only, and the exporter's probes, which it must not have.
const ALLOWED_SKIPS: [&str; 7] =
    ["CKV_K8S_23", "CKV_K8S_25", "CKV_K8S_40", "CKV_K8S_43", "CKV_K8S_15", "CKV_K8S_8", "CKV_K8S_9"];

/// Renderings checkov scans: every profile, plus the optional shapes of the pod.
fn scanned_renderings() -> Vec<(String, Vec<String>)> {
    let mut list: Vec<(String, Vec<String>)> =
        profiles().into_iter().map(|p| (p.clone(), vec!["--profile".into(), p, "--create-namespace".into()])).collect();
    let variant = |name: &str, sets: &[&str]| {
        let mut args = vec!["--profile".to_owned(), "prod".to_owned()];
        for set in sets {
            args.push("--set".into());
            args.push((*set).into());
        }
        (name.to_owned(), args)
    };
    list.push(variant(
        "prod+statefulset+sasl",
        &["queue.persistence.enabled=true", "postfix.sasl.enabled=true", "postfix.sasl.secretName=relay-credentials"],
    ));
    list.push(variant(
        "prod+userns+digests",
        &[
            "deployment.hostUsers=false",
            "deployment.priorityClassName=system-cluster-critical",
            &format!("monitoring.exporter.image.digest=sha256:{}", "b".repeat(64)),
        ],
    ));
    list
}

/// checkov's verdict on one YAML stream: failed and skipped check IDs with their resources.
struct Scan {
    failed: Vec<(String, String)>,
    skipped: Vec<(String, String)>,
    passed: usize,
}

fn checkov(yaml: &str) -> Option<Scan> {
    let checkov = judge("checkov-venv/bin/checkov", "checkov")?;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("stack.yaml");
    std::fs::write(&file, yaml).expect("write stack");
    let output = Command::new(checkov)
        .args(["--framework", "kubernetes", "--output", "json", "--skip-download", "--soft-fail", "--file"])
        .arg(&file)
        .env("BC_API_KEY", "")
        .output()
        .expect("run checkov");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("checkov printed no JSON ({e}):\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr))
    });
    let results = &report["results"];
    let ids = |key: &str| -> Vec<(String, String)> {
        results[key]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .map(|c| {
                        (
                            c["check_id"].as_str().unwrap_or("").to_owned(),
                            c["resource"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let passed = results["passed_checks"].as_array().map_or(0, Vec::len);
    assert!(passed > 50, "checkov ran too few checks ({passed}); did it parse the stream?\n{stdout}");
    Some(Scan { failed: ids("failed_checks"), skipped: ids("skipped_checks"), passed })
}

#[test]
fn checkov_finds_no_unexplained_failure_in_any_rendering() {
    for (name, args) in scanned_renderings() {
        let mut render = vec!["render"];
        render.extend(args.iter().map(String::as_str));
        let yaml = relaygen(&render).ok();
        let Some(scan) = checkov(&yaml) else { return };
        assert!(scan.failed.is_empty(), "{name}: checkov failed checks {:?}", scan.failed);
        for (check, resource) in &scan.skipped {
            assert!(
                ALLOWED_SKIPS.contains(&check.as_str()),
                "{name}: {check} on {resource} is skipped, but is not a documented exception"
            );
        }
        // Every skip is justified on the object itself.
        for line in yaml.lines().filter(|l| l.trim_start().starts_with("checkov.io/skip")) {
            let value = line.split_once(": ").map(|(_, v)| v.trim_matches('"')).unwrap_or_default();
            let (check, why) = value.split_once('=').unwrap_or_else(|| panic!("{name}: malformed skip {line}"));
            assert!(ALLOWED_SKIPS.contains(&check), "{name}: undocumented skip {check}");
            assert!(why.split_whitespace().count() >= 6, "{name}: {check} has no real justification: {why:?}");
        }
        assert!(scan.passed > 80, "{name}: only {} checks passed", scan.passed);
    }
}

#[test]
fn the_skips_hide_exactly_the_checks_they_name_and_nothing_is_skipped_without_cause() {
    // With the annotations removed, checkov must fail precisely the skipped checks: proof that
    // the judge can fail, and that no skip is stale.
    let yaml = relaygen(&["render", "--profile", "dev"]).ok();
    let stripped: String =
        yaml.lines().filter(|l| !l.trim_start().starts_with("checkov.io/skip")).map(|l| format!("{l}\n")).collect();
    let Some(with) = checkov(&yaml) else { return };
    let Some(without) = checkov(&stripped) else { return };
    let skipped: BTreeSet<&str> = with.skipped.iter().map(|(c, _)| c.as_str()).collect();
    let failed: BTreeSet<&str> = without.failed.iter().map(|(c, _)| c.as_str()).collect();
    assert!(!failed.is_empty(), "checkov should fail the root master once the skips are gone");
    assert_eq!(skipped, failed);

    // A user-namespaced pod with every image pinned by digest needs only the root-master skips
    // and the exporter's missing probes.
    let pinned = relaygen(&[
        "render",
        "--profile",
        "prod",
        "--set",
        "deployment.hostUsers=false",
        "--set",
        &format!("image.digest=sha256:{}", "c".repeat(64)),
        "--set",
        &format!("monitoring.exporter.image.digest=sha256:{}", "c".repeat(64)),
    ])
    .ok();
    let Some(scan) = checkov(&pinned) else { return };
    let skipped: BTreeSet<&str> = scan.skipped.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(skipped, BTreeSet::from(["CKV_K8S_23", "CKV_K8S_25", "CKV_K8S_8", "CKV_K8S_9"]));
    assert!(scan.failed.is_empty(), "{:?}", scan.failed);
}

// ---------------------------------------------------------------------------------------------
// The NetworkPolicy, evaluated with Kubernetes' semantics on the rendered object.

/// One end of a connection, as a NetworkPolicy sees it.
#[derive(Clone)]
pub(crate) enum Peer {
    /// A pod: its namespace's labels and its own labels.
    Pod { namespace: String, namespace_labels: BTreeMap<String, String>, labels: BTreeMap<String, String> },
    /// An address outside the cluster's pods.
    Address(IpAddr),
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

pub(crate) fn pod(namespace: &str, namespace_labels: &[(&str, &str)], pod_labels: &[(&str, &str)]) -> Peer {
    let mut ns = labels(namespace_labels);
    ns.insert("kubernetes.io/metadata.name".into(), namespace.into());
    Peer::Pod { namespace: namespace.to_owned(), namespace_labels: ns, labels: labels(pod_labels) }
}

pub(crate) fn address(ip: &str) -> Peer {
    Peer::Address(ip.parse().expect("ip"))
}

fn selector_matches(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let match_labels = selector["matchLabels"].as_object().cloned().unwrap_or_default();
    let expressions = selector["matchExpressions"].as_array().cloned().unwrap_or_default();
    match_labels.iter().all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str())
        && expressions.iter().all(|e| {
            let key = e["key"].as_str().unwrap_or_default();
            let values: Vec<&str> =
                e["values"].as_array().map(|v| v.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            match e["operator"].as_str().unwrap_or_default() {
                "In" => labels.get(key).is_some_and(|v| values.contains(&v.as_str())),
                "NotIn" => labels.get(key).is_none_or(|v| !values.contains(&v.as_str())),
                "Exists" => labels.contains_key(key),
                "DoesNotExist" => !labels.contains_key(key),
                other => panic!("unknown operator {other}"),
            }
        })
}

/// Kubernetes' NetworkPolicyPeer semantics for a peer in `policy_namespace`.
fn peer_matches(rule_peer: &Value, policy_namespace: &str, peer: &Peer) -> bool {
    match peer {
        Peer::Address(ip) => rule_peer["ipBlock"].as_object().is_some_and(|block| {
            let cidr: IpNet = block["cidr"].as_str().unwrap_or_default().parse().expect("cidr");
            let except: Vec<IpNet> = block
                .get("except")
                .and_then(Value::as_array)
                .map(|e| e.iter().filter_map(|c| c.as_str()?.parse().ok()).collect())
                .unwrap_or_default();
            cidr.contains(ip) && !except.iter().any(|e| e.contains(ip))
        }),
        Peer::Pod { namespace, namespace_labels, labels } => {
            if rule_peer.get("ipBlock").is_some() {
                // Pod IPs are cluster-internal: ipBlocks are for traffic leaving the cluster.
                return false;
            }
            let ns_ok = match rule_peer.get("namespaceSelector") {
                Some(selector) => selector_matches(selector, namespace_labels),
                None => namespace == policy_namespace,
            };
            let pod_ok = rule_peer.get("podSelector").is_none_or(|selector| selector_matches(selector, labels));
            ns_ok && pod_ok
        }
    }
}

fn port_matches(ports: Option<&Value>, protocol: &str, port: i64) -> bool {
    match ports.and_then(Value::as_array) {
        None => true,
        Some(list) if list.is_empty() => true,
        Some(list) => list.iter().any(|p| {
            p["protocol"].as_str().unwrap_or("TCP") == protocol
                && p.get("port").is_none_or(|n| n.as_i64() == Some(port))
        }),
    }
}

/// Whether the rendered policy lets `peer` reach a relay pod (`Ingress`) or a relay pod reach
/// `peer` (`Egress`) on `protocol`/`port`. Only the relay's own policy is considered: relaygen
/// renders one, selecting the relay pods.
pub(crate) fn admits(policy: &Value, direction: &str, peer: &Peer, protocol: &str, port: i64) -> bool {
    let spec = &policy["spec"];
    let namespace = policy["metadata"]["namespace"].as_str().unwrap_or_default();
    let types: Vec<&str> =
        spec["policyTypes"].as_array().expect("policyTypes").iter().filter_map(Value::as_str).collect();
    if !types.contains(&direction) {
        return true; // not isolated in this direction
    }
    let (rules_key, peers_key) = if direction == "Ingress" { ("ingress", "from") } else { ("egress", "to") };
    spec[rules_key].as_array().into_iter().flatten().any(|rule| {
        let peers_ok = match rule.get(peers_key).and_then(Value::as_array) {
            None => true,
            Some(peers) if peers.is_empty() => true,
            Some(peers) => peers.iter().any(|p| peer_matches(p, namespace, peer)),
        };
        peers_ok && port_matches(rule.get("ports"), protocol, port)
    })
}

fn network_policy(args: &[&str]) -> Value {
    let mut render = vec!["render", "-o", "json"];
    render.extend_from_slice(args);
    let objects: Value = serde_json::from_str(&relaygen(&render).ok()).expect("json");
    let policies: Vec<Value> =
        objects["items"].as_array().expect("items").iter().filter(|o| o["kind"] == "NetworkPolicy").cloned().collect();
    assert_eq!(policies.len(), 1, "one NetworkPolicy");
    policies.into_iter().next().expect("policy")
}

#[test]
fn network_policy_admits_exactly_smtp_from_labelled_namespaces_metrics_from_monitoring_and_dns_plus_relayhost_out() {
    for profile in profiles() {
        let policy = network_policy(&["--profile", &profile]);
        let app = pod("billing", &[("email-server.kubernetes.io/smtp-access", "true")], &[("app", "invoices")]);
        let unlabelled = pod("billing-unlabelled", &[], &[("app", "invoices")]);
        let prometheus = pod("monitoring", &[], &[("app.kubernetes.io/name", "prometheus")]);
        let kube_dns = pod("kube-system", &[], &[("k8s-app", "kube-dns")]);
        let other_system_pod = pod("kube-system", &[], &[("k8s-app", "metrics-server")]);
        let gmail = address("142.250.27.28");
        let internal = address("10.96.0.10");

        // (direction, peer, protocol, port, admitted, what it means)
        let cases: &[(&str, &Peer, &str, i64, bool, &str)] = &[
            ("Ingress", &app, "TCP", 25, true, "SMTP from a labelled namespace"),
            ("Ingress", &unlabelled, "TCP", 25, false, "SMTP from an unlabelled namespace"),
            ("Ingress", &gmail, "TCP", 25, false, "SMTP from outside the cluster"),
            ("Ingress", &app, "UDP", 25, false, "UDP to 25"),
            ("Ingress", &app, "TCP", 9154, false, "metrics from an application namespace"),
            ("Ingress", &prometheus, "TCP", 9154, true, "metrics from the monitoring namespace"),
            ("Ingress", &prometheus, "TCP", 25, false, "SMTP from the monitoring namespace"),
            ("Ingress", &app, "TCP", 22, false, "any other port"),
            ("Egress", &kube_dns, "UDP", 53, true, "DNS over UDP"),
            ("Egress", &kube_dns, "TCP", 53, true, "DNS over TCP"),
            ("Egress", &other_system_pod, "UDP", 53, false, "DNS to a pod that is not the cluster DNS"),
            ("Egress", &kube_dns, "TCP", 587, false, "the relay port to the DNS pods"),
            ("Egress", &gmail, "TCP", 587, true, "the relayhost's port outside the cluster"),
            ("Egress", &gmail, "TCP", 25, false, "direct-to-MX delivery"),
            ("Egress", &gmail, "TCP", 443, false, "anything else outside"),
            ("Egress", &internal, "TCP", 587, false, "the relay port to a private address"),
            ("Egress", &app, "TCP", 587, false, "the relay port to another pod"),
        ];
        for (direction, peer, protocol, port, expected, meaning) in cases {
            assert_eq!(
                admits(&policy, direction, peer, protocol, *port),
                *expected,
                "{profile}: {meaning} ({direction} {protocol}/{port}) should be {}",
                if *expected { "admitted" } else { "denied" }
            );
        }
    }
}

#[test]
fn egress_follows_the_relayhost_port_and_can_be_narrowed_to_known_addresses() {
    let policy = network_policy(&[
        "--profile",
        "prod",
        "--set",
        "env.relayhost=[smtp.example.com]:465",
        "--set",
        "networkPolicy.egress.relayhost[0].ipBlock.cidr=203.0.113.0/24",
        "--set",
        "networkPolicy.egress.relayhost[0].ipBlock.except=[]",
    ]);
    assert!(admits(&policy, "Egress", &address("203.0.113.7"), "TCP", 465));
    assert!(!admits(&policy, "Egress", &address("203.0.113.7"), "TCP", 587));
    assert!(!admits(&policy, "Egress", &address("198.51.100.7"), "TCP", 465));
}

#[test]
fn only_the_relay_s_own_pods_reach_the_hand_off_port() {
    for profile in profiles() {
        let policy = network_policy(&["--profile", &profile]);
        let namespace = policy["metadata"]["namespace"].as_str().expect("namespace");
        let relay_labels =
            [("app.kubernetes.io/name", "postfix-relay"), ("app.kubernetes.io/instance", "postfix-relay")];
        let peer_relay = pod(namespace, &[], &relay_labels);
        // An application allowed to send mail, in the relay's own namespace or a labelled one.
        let neighbour = pod(namespace, &[], &[("app", "invoices")]);
        let app = pod("billing", &[("email-server.kubernetes.io/smtp-access", "true")], &[("app", "invoices")]);
        // A relay-looking pod in another namespace is not one of this relay's pods.
        let impostor = pod("elsewhere", &[("email-server.kubernetes.io/smtp-access", "true")], &relay_labels);
        let handoff = 10026;
        assert!(admits(&policy, "Ingress", &peer_relay, "TCP", handoff), "{profile}: a relay pod is refused");
        assert!(admits(&policy, "Egress", &peer_relay, "TCP", handoff), "{profile}: a relay pod cannot hand off");
        for (outsider, who) in
            [(&neighbour, "a pod beside the relay"), (&app, "an application"), (&impostor, "an impostor")]
        {
            assert!(
                !admits(&policy, "Ingress", outsider, "TCP", handoff),
                "{profile}: {who} reaches the hand-off port"
            );
            assert!(!admits(&policy, "Egress", outsider, "TCP", handoff), "{profile}: hand-off to {who}");
        }
        assert!(!admits(&policy, "Ingress", &address("142.250.27.28"), "TCP", handoff), "{profile}: from outside");
        // The Service applications use does not expose it; the headless Service names it.
        let objects = objects(&["--profile", &profile]);
        let service = |name: &str| {
            objects.iter().find(|o| o["kind"] == "Service" && o["metadata"]["name"] == name).expect(name).clone()
        };
        let ports = |s: &Value| -> Vec<i64> {
            s["spec"]["ports"].as_array().expect("ports").iter().filter_map(|p| p["port"].as_i64()).collect()
        };
        assert!(!ports(&service("postfix-relay")).contains(&handoff), "{profile}: the SMTP Service exposes hand-off");
        assert!(ports(&service("postfix-relay-headless")).contains(&handoff), "{profile}");
    }
}

#[test]
fn node_local_dns_is_admitted_on_53_only_when_configured() {
    let node_local = address("169.254.20.10");
    let plain = network_policy(&["--profile", "prod"]);
    assert!(!admits(&plain, "Egress", &node_local, "UDP", 53), "NodeLocal DNSCache admitted without being asked");
    let policy =
        network_policy(&["--profile", "prod", "--set", "networkPolicy.egress.extraDnsCidrs={169.254.20.10/32}"]);
    assert!(admits(&policy, "Egress", &node_local, "UDP", 53));
    assert!(admits(&policy, "Egress", &node_local, "TCP", 53));
    assert!(!admits(&policy, "Egress", &node_local, "TCP", 587), "NodeLocal DNSCache on the relay port");
    assert!(!admits(&policy, "Egress", &address("169.254.20.11"), "UDP", 53), "a neighbour of the address");
    // The cluster DNS pods stay admitted beside it.
    assert!(admits(&policy, "Egress", &pod("kube-system", &[], &[("k8s-app", "kube-dns")]), "UDP", 53));
    let stderr = relaygen(&["render", "--set", "networkPolicy.egress.extraDnsCidrs={169.254.20.10}"]).fails();
    assert!(stderr.contains("networkPolicy.egress.extraDnsCidrs[0]") && stderr.contains("not a CIDR"), "{stderr}");
}

#[test]
fn the_relayhost_may_be_reached_over_ipv6_outside_the_private_ranges() {
    let policy = network_policy(&["--profile", "prod"]);
    assert!(admits(&policy, "Egress", &address("2a00:1450:400c:c0b::1b"), "TCP", 587), "a public IPv6 relayhost");
    assert!(!admits(&policy, "Egress", &address("fd12:3456::10"), "TCP", 587), "a unique local address");
    assert!(!admits(&policy, "Egress", &address("fe80::1"), "TCP", 587), "a link-local address");
    assert!(!admits(&policy, "Egress", &address("2a00:1450:400c:c0b::1b"), "TCP", 25), "direct-to-MX over IPv6");
}

#[test]
fn empty_peer_lists_are_refused_because_kubernetes_reads_them_as_everyone() {
    for key in ["networkPolicy.egress.dns", "networkPolicy.egress.relayhost", "networkPolicy.metrics.from"] {
        let stderr = relaygen(&["render", "--profile", "prod", "--set", &format!("{key}=[]")]).fails();
        assert!(stderr.contains(key) && stderr.contains("an empty list would admit every"), "{key}:\n{stderr}");
    }
}

// ---------------------------------------------------------------------------------------------
// The pod and the namespace.

fn objects(args: &[&str]) -> Vec<Value> {
    let mut render = vec!["render", "-o", "json"];
    render.extend_from_slice(args);
    let list: Value = serde_json::from_str(&relaygen(&render).ok()).expect("json");
    list["items"].as_array().expect("items").clone()
}

#[test]
fn every_profile_pod_is_hardened() {
    for profile in profiles() {
        let items = objects(&["--profile", &profile]);
        let workload = items.iter().find(|o| o["kind"] == "Deployment").expect("Deployment");
        let pod = &workload["spec"]["template"]["spec"];
        assert_eq!(pod["automountServiceAccountToken"], false, "{profile}");
        assert_eq!(pod["enableServiceLinks"], false, "{profile}");
        assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault", "{profile}");
        let spread: Vec<&str> = pod["topologySpreadConstraints"]
            .as_array()
            .expect("topology spread")
            .iter()
            .filter_map(|c| c["topologyKey"].as_str())
            .collect();
        assert_eq!(spread, ["kubernetes.io/hostname", "topology.kubernetes.io/zone"], "{profile}");
        let containers = pod["initContainers"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(pod["containers"].as_array().into_iter().flatten());
        for container in containers {
            let name = container["name"].as_str().unwrap_or_default();
            let security = &container["securityContext"];
            assert_eq!(security["allowPrivilegeEscalation"], false, "{profile}/{name}");
            assert_eq!(security["readOnlyRootFilesystem"], true, "{profile}/{name}");
            assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]), "{profile}/{name}");
            for kind in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        container["resources"][kind][resource].is_string(),
                        "{profile}/{name}: no {kind}.{resource}"
                    );
                }
            }
            if name == "exporter" {
                assert_eq!(security["runAsNonRoot"], true, "{profile}/exporter");
                assert!(security["runAsUser"].as_i64().is_some_and(|u| u >= 10000), "{profile}/exporter: low UID");
                assert!(security["capabilities"]["add"].is_null(), "{profile}/exporter adds capabilities");
            }
        }
    }
}

#[test]
fn no_image_is_pinned_by_a_digest_nobody_verified_and_strict_requires_one() {
    let digest = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    for profile in profiles() {
        // Shipped: every image by release tag only, each drawing a warning that names its key.
        let run = relaygen(&["validate", "-p", &profile]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for key in ["image.digest", "monitoring.exporter.image.digest"] {
            assert!(
                run.stderr.contains(&format!("warning: {key}: ")),
                "{profile}: no warning for {key}:\n{}",
                run.stderr
            );
        }
        let items = objects(&["--profile", &profile]);
        let workload = items.iter().find(|o| o["kind"] == "Deployment").expect("Deployment");
        for container in workload["spec"]["template"]["spec"]["containers"].as_array().expect("containers") {
            let image = container["image"].as_str().expect("image");
            assert!(!image.contains('@') && image.ends_with(":v5.1.0"), "{profile}: {image}");
        }
        // --strict fails until both are pinned, then passes with the digests in the images.
        let err = relaygen(&["validate", "--strict", "-p", &profile]).fails();
        assert!(
            err.contains("error: image.digest") && err.contains("error: monitoring.exporter.image.digest"),
            "{err}"
        );
        let (postfix, exporter) = (digest('a'), digest('b'));
        let pins = [format!("image.digest={postfix}"), format!("monitoring.exporter.image.digest={exporter}")];
        relaygen(&["validate", "--strict", "-p", &profile, "--set", &pins[0], "--set", &pins[1]]).ok();
        let items = objects(&["--profile", &profile, "--set", &pins[0], "--set", &pins[1]]);
        let rendered = serde_json::to_string(&items).expect("JSON");
        assert!(rendered.contains(&format!("boky/postfix:v5.1.0@{postfix}")), "{profile}");
        assert!(rendered.contains(&format!("boky/postfix-exporter:v5.1.0@{exporter}")), "{profile}");
    }
}

#[test]
fn optional_pod_settings_render_only_when_asked() {
    let pod_spec = |sets: &[&str]| {
        let mut args = vec!["--profile", "prod"];
        for set in sets {
            args.extend(["--set", set]);
        }
        let items = objects(&args);
        items.iter().find(|o| o["kind"] == "Deployment").expect("Deployment")["spec"]["template"]["spec"].clone()
    };
    let plain = pod_spec(&[]);
    assert!(plain.get("hostUsers").is_none() && plain.get("priorityClassName").is_none());
    let tuned = pod_spec(&[
        "deployment.hostUsers=false",
        "deployment.priorityClassName=relay-critical",
        "deployment.topologySpread.whenUnsatisfiable=DoNotSchedule",
    ]);
    assert_eq!(tuned["hostUsers"], false);
    assert_eq!(tuned["priorityClassName"], "relay-critical");
    assert_eq!(tuned["topologySpreadConstraints"][0]["whenUnsatisfiable"], "DoNotSchedule");
    let unspread = pod_spec(&["deployment.topologySpread.enabled=false"]);
    assert!(unspread.get("topologySpreadConstraints").is_none());
}

#[test]
fn created_namespace_enforces_the_baseline_pod_security_standard() {
    let items = objects(&["--profile", "prod", "--create-namespace"]);
    let namespace = items.iter().find(|o| o["kind"] == "Namespace").expect("Namespace");
    for mode in ["enforce", "audit", "warn"] {
        assert_eq!(namespace["metadata"]["labels"][format!("pod-security.kubernetes.io/{mode}")], "baseline", "{mode}");
    }
}
