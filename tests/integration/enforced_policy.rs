//! The relay's NetworkPolicy enforced for real: kube-router's firewall (iptables and ipset) on
//! the node (see `node`), with pods that try real TCP connections. Every attempt is compared
//! with what the static evaluator of `security` predicts from the rendered policy; any
//! difference fails, and the documented promises are asserted on top.
//!
//! kube-router was chosen because it enforces NetworkPolicy alone, beside any CNI plugin, with
//! the iptables and ipset these machines have inside a network namespace; enforcers built on
//! eBPF or on nftables' `queue` (kube-network-policies) cannot run here.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cluster::Namespace;
use crate::node::{
    CLUSTER_DNS, METADATA_ADDRESS, NODE_ADDRESS, Node, OUTSIDE_OTHER_PORT, OUTSIDE_PORT, PEER_ADDRESS, PUBLIC_ADDRESS,
    node, release_slot,
};
use crate::security::{Peer, address, admits, pod};
use crate::support::{relaygen, report};

/// The relayhost's port in these tests (the egress policy opens exactly this port), and another.
const RELAYHOST_PORT: u16 = OUTSIDE_PORT;
const OTHER_PORT: u16 = OUTSIDE_OTHER_PORT;
/// How long the enforcer may take to program a new policy and new pods.
const SYNC: Duration = Duration::from_secs(90);

/// One connection attempt and its two verdicts.
struct Attempt {
    what: String,
    predicted: bool,
    observed: bool,
}

/// A pod that tries connections: the relay image, sleeping.
struct Prober {
    namespace: String,
    name: String,
    /// As the policy sees it.
    peer: Peer,
}

/// A release with the policy under test, the probers around it, and their namespaces.
struct Setup<'n> {
    node: &'n Node,
    relay: Namespace<'n>,
    _clients: Namespace<'n>,
    _others: Namespace<'n>,
    policy: Value,
    relay_pods: Vec<(String, String)>,
    probers: BTreeMap<&'static str, Prober>,
}

/// Starts a prober pod in `namespace` with `labels`.
fn start_prober(node: &Node, namespace: &str, name: &str, labels: &[(&str, &str)]) {
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec![
        "run",
        name,
        "-n",
        namespace,
        "--image",
        &node.images.relay,
        "--image-pull-policy=Never",
        "--restart=Never",
    ];
    let joined = labels.join(",");
    if !labels.is_empty() {
        args.extend(["--labels", &joined]);
    }
    args.extend(["--command", "--", "sleep", "infinity"]);
    node.kubectl(&args, None).ok();
}

impl<'n> Setup<'n> {
    fn new(node: &'n Node, args: &[&str]) -> Self {
        let relay = node.namespace_name("policy");
        let ns = relay.name().to_owned();
        let relayhost = format!("env.relayhost=[{PUBLIC_ADDRESS}]:{RELAYHOST_PORT}");
        let mut all = vec!["--set", relayhost.as_str(), "--create-namespace"];
        all.extend_from_slice(args);
        let rendered = node.render(&ns, "healthy", &all);
        let policy = rendered["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|o| o["kind"] == "NetworkPolicy")
            .cloned()
            .expect("a NetworkPolicy");
        node.apply(&rendered.to_string(), &["--server-side"]).ok();
        let clients =
            node.namespace("clients", &[("email-server.kubernetes.io/smtp-access", "true")].into_iter().collect());
        let others = node.namespace("others", &BTreeMap::new());
        // Prometheus's namespace: one per cluster, shared by the tests (never deleted).
        node.apply(
            &serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "monitoring"}})
                .to_string(),
            &["--server-side", "--field-manager=cluster-admin"],
        )
        .ok();
        let other_release = [("app.kubernetes.io/name", "postfix-relay"), ("app.kubernetes.io/instance", "other")];
        // (what, namespace, the namespace's labels, the pod's labels)
        type Spec<'a> = (&'static str, String, Vec<(&'a str, String)>, Vec<(&'a str, &'a str)>);
        let specs: [Spec; 5] = [
            (
                "labelled namespace",
                clients.name().to_owned(),
                vec![("email-server.kubernetes.io/smtp-access", "true".into())],
                vec![("run", "prober")],
            ),
            ("unlabelled namespace", others.name().to_owned(), vec![], vec![("run", "prober")]),
            ("relay's namespace", ns.clone(), vec![], vec![("run", "prober")]),
            ("monitoring", "monitoring".to_owned(), vec![], vec![("run", "prober")]),
            ("another release", ns.clone(), vec![], other_release.to_vec()),
        ];
        let mut probers = BTreeMap::new();
        for (index, (what, namespace, namespace_labels, labels)) in specs.into_iter().enumerate() {
            let name = format!("prober-{}-{index}", ns);
            start_prober(node, &namespace, &name, &labels);
            let namespace_labels: Vec<(&str, &str)> = namespace_labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let peer = pod(&namespace, &namespace_labels, &labels);
            probers.insert(what, Prober { namespace, name, peer });
        }
        let replicas = rendered["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|o| o["kind"] == "Deployment")
            .map(|d| d["spec"]["replicas"].as_u64().unwrap_or(3) as usize)
            .expect("a Deployment");
        let relay_pods = node.wait_for(SYNC * 2, "the relay pods to be Ready", || {
            let list = node.get_json(&["pods", "-n", &ns, "-l", "app.kubernetes.io/instance=postfix-relay"]);
            let ready: Vec<(String, String)> = list["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|p| {
                    p["status"]["conditions"]
                        .as_array()
                        .is_some_and(|all| all.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
                })
                .map(|p| {
                    (
                        p["metadata"]["name"].as_str().expect("name").to_owned(),
                        p["status"]["podIP"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect();
            if ready.len() >= replicas.min(2) { Ok(ready) } else { Err(format!("{} Ready", ready.len())) }
        });
        for prober in probers.values() {
            node.kubectl(
                &["wait", "--for=condition=Ready", "--timeout=120s", "-n", &prober.namespace, "pod", &prober.name],
                None,
            )
            .ok();
        }
        Setup { node, relay, _clients: clients, _others: others, policy, relay_pods, probers }
    }

    /// Whether a TCP connection from `pod` (its `container`) to `ip:port` opens within 3 s.
    fn connects(&self, namespace: &str, pod: &str, container: Option<&str>, ip: &str, port: u16) -> bool {
        let script = format!("</dev/tcp/{ip}/{port}");
        let mut args = vec!["exec", "-n", namespace, pod];
        if let Some(container) = container {
            args.extend(["-c", container]);
        }
        args.extend(["--", "timeout", "3", "bash", "-c", &script]);
        self.node.kubectl(&args, None).code == 0
    }

    /// Every attempt of the matrix, with the evaluator's prediction and what happened.
    fn attempts(&self) -> Vec<Attempt> {
        let relay_labels =
            [("app.kubernetes.io/name", "postfix-relay"), ("app.kubernetes.io/instance", "postfix-relay")];
        let ns = self.relay.name();
        let (a_name, a_ip) = &self.relay_pods[0];
        let (b_name, _) = &self.relay_pods[1];
        let relay_b = pod(ns, &[], &relay_labels);
        let mut attempts = Vec::new();
        let mut ingress = |what: String, peer: &Peer, from: (&str, &str, Option<&str>), port: u16| {
            let predicted = admits(&self.policy, "Ingress", peer, "TCP", i64::from(port));
            let observed = self.connects(from.0, from.1, from.2, a_ip, port);
            attempts.push(Attempt { what, predicted, observed });
        };
        for (what, port) in [
            ("labelled namespace", 25),
            ("unlabelled namespace", 25),
            ("relay's namespace", 25),
            ("monitoring", 9154),
            ("labelled namespace", 9154),
            ("labelled namespace", 10026),
            ("another release", 10026),
        ] {
            let prober = &self.probers[what];
            ingress(format!("{what} → relay pod :{port}"), &prober.peer, (&prober.namespace, &prober.name, None), port);
        }
        ingress("another relay pod → relay pod :10026".to_owned(), &relay_b, (ns, b_name, Some("postfix")), 10026);

        let dns = pod("kube-system", &[], &[("k8s-app", "kube-dns")]);
        let egress: [(&str, Peer, &str, u16); 7] = [
            ("cluster DNS (kube-dns Service)", dns, CLUSTER_DNS, 53),
            ("node-local DNS address", address(NODE_ADDRESS), NODE_ADDRESS, 53),
            ("relayhost, a public address", address(PUBLIC_ADDRESS), PUBLIC_ADDRESS, RELAYHOST_PORT),
            ("public address, another port", address(PUBLIC_ADDRESS), PUBLIC_ADDRESS, OTHER_PORT),
            ("private address, relayhost port", address(PEER_ADDRESS), PEER_ADDRESS, RELAYHOST_PORT),
            ("metadata endpoint, relayhost port", address(METADATA_ADDRESS), METADATA_ADDRESS, RELAYHOST_PORT),
            ("another relay pod :10026", pod(ns, &[], &relay_labels), "", 10026),
        ];
        for (what, peer, ip, port) in egress {
            let ip = if ip.is_empty() { self.relay_pods[1].1.clone() } else { ip.to_owned() };
            let predicted = admits(&self.policy, "Egress", &peer, "TCP", i64::from(port));
            let observed = self.connects(ns, a_name, Some("postfix"), &ip, port);
            attempts.push(Attempt { what: format!("relay pod → {what} ({ip}:{port})"), predicted, observed });
        }
        attempts
    }

    /// Runs the matrix until the enforcer agrees with the evaluator (it programs policies a
    /// moment after they change), or fails with the table of the last run.
    fn agreed(&self) -> Vec<Attempt> {
        let deadline = Instant::now() + SYNC;
        loop {
            let attempts = self.attempts();
            if attempts.iter().all(|a| a.predicted == a.observed) {
                return attempts;
            }
            if Instant::now() >= deadline {
                panic!("the enforcer and the evaluator disagree:\n{}", table(&attempts));
            }
            std::thread::sleep(Duration::from_secs(5));
        }
    }
}

fn verdict(open: bool) -> &'static str {
    if open { "open" } else { "refused" }
}

/// The attempts as a Markdown table.
fn table(attempts: &[Attempt]) -> String {
    let mut out = String::from("| connection | evaluator | enforcer |\n|---|---|---|\n");
    for a in attempts {
        let mark = if a.predicted == a.observed { "" } else { " ✗" };
        out.push_str(&format!("| {} | {} | {}{mark} |\n", a.what, verdict(a.predicted), verdict(a.observed)));
    }
    out
}

/// The verdict of the attempt named `what`.
fn observed(attempts: &[Attempt], what: &str) -> bool {
    attempts.iter().find(|a| a.what.starts_with(what)).unwrap_or_else(|| panic!("no attempt {what}")).observed
}

/// Asserts the README's promises for the default policy on the enforcer's verdicts.
fn assert_documented_defaults(attempts: &[Attempt]) {
    for (what, open) in [
        ("labelled namespace → relay pod :25", true),
        ("unlabelled namespace → relay pod :25", false),
        ("relay's namespace → relay pod :25", false),
        ("monitoring → relay pod :9154", true),
        ("labelled namespace → relay pod :9154", false),
        ("labelled namespace → relay pod :10026", false),
        ("another release → relay pod :10026", false),
        ("another relay pod → relay pod :10026", true),
        ("relay pod → cluster DNS", true),
        ("relay pod → node-local DNS", false),
        ("relay pod → relayhost, a public address", true),
        ("relay pod → public address, another port", false),
        ("relay pod → private address", false),
        ("relay pod → metadata endpoint", false),
        ("relay pod → another relay pod :10026", true),
    ] {
        assert_eq!(observed(attempts, what), open, "{what}\n{}", table(attempts));
    }
}

fn run(args: &[&str], label: &str) -> Vec<Attempt> {
    let Some(shared) = node() else { return Vec::new() };
    let _slot = release_slot();
    let setup = Setup::new(&shared, args);
    let attempts = setup.agreed();
    report(&format!("enforced policy, {label}:\n{}", table(&attempts)));
    attempts
}

#[test]
fn the_default_policy_admits_exactly_what_the_readme_promises_under_a_real_enforcer() {
    let attempts = run(&[], "built-in defaults");
    if !attempts.is_empty() {
        assert_documented_defaults(&attempts);
    }
}

#[test]
fn the_prod_policy_admits_exactly_what_the_readme_promises_under_a_real_enforcer() {
    let attempts = run(&["--profile", "prod"], "prod");
    if !attempts.is_empty() {
        assert_documented_defaults(&attempts);
    }
}

#[test]
fn the_policy_switches_do_under_a_real_enforcer_what_the_evaluator_predicts() {
    // Port 25 open to all, node-local DNS admitted, and egress unrestricted: each differs from
    // the defaults in the matrix, and the enforcer must agree with the evaluator on every cell.
    let attempts = run(
        &[
            "--set",
            "networkPolicy.ingress.enabled=false",
            "--set",
            &format!("networkPolicy.egress.extraDnsCidrs={{{NODE_ADDRESS}/32}}"),
        ],
        "ingress off, node-local DNS",
    );
    if !attempts.is_empty() {
        assert!(observed(&attempts, "relay pod → node-local DNS"), "{}", table(&attempts));
    }
    let attempts = run(&["--set", "networkPolicy.egress.enabled=false"], "egress off");
    if !attempts.is_empty() {
        assert!(observed(&attempts, "relay pod → metadata endpoint"), "{}", table(&attempts));
    }
}

#[test]
fn a_broken_selector_in_the_applied_policy_is_caught_by_the_comparison() {
    // A copy of the policy with the namespace label misspelt, applied over the rendered one:
    // the evaluator still reads the rendered policy, so the enforcer must disagree with it.
    let Some(shared) = node() else { return };
    let _slot = release_slot();
    let setup = Setup::new(&shared, &[]);
    setup.agreed();
    let broken = setup
        .policy
        .to_string()
        .replace("email-server.kubernetes.io/smtp-access", "email-server.kubernetes.io/smtp-acess");
    shared.apply(&broken, &["--server-side", "--force-conflicts"]).ok();
    let caught = shared.poll(SYNC, "the enforcer to apply the broken copy", || {
        let attempts = setup.attempts();
        let differ: Vec<&Attempt> = attempts.iter().filter(|a| a.predicted != a.observed).collect();
        if differ.iter().any(|a| a.what.starts_with("labelled namespace → relay pod :25")) {
            Ok(table(&attempts))
        } else {
            Err(table(&attempts))
        }
    });
    let caught = caught.expect("the broken selector must show as a difference");
    report(&format!("enforced policy, broken selector:\n{caught}"));
}

#[test]
fn every_profile_renders_the_policy_the_enforcer_was_shown() {
    // The enforcer runs the defaults' and prod's policies; every other profile must render one
    // of those (up to its namespace), or it needs a run of its own above.
    let spec = |args: &[&str]| -> Value {
        let mut all = vec!["render", "-o", "json"];
        all.extend_from_slice(args);
        let list: Value = serde_json::from_str(&relaygen(&all).ok()).expect("JSON");
        let policy = list["items"].as_array().expect("items").iter().find(|o| o["kind"] == "NetworkPolicy").cloned();
        policy.expect("a NetworkPolicy")["spec"].clone()
    };
    let shown = [spec(&[]), spec(&["--profile", "prod"])];
    for profile in crate::support::profiles() {
        assert!(
            shown.contains(&spec(&["--profile", &profile])),
            "profile {profile} renders a policy the enforcer never ran"
        );
    }
}
