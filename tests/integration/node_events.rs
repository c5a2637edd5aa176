//! The rendered prod stack on a real node (see `node`): the kubelet runs its probes and preStop
//! hooks, the Deployment controller its rollouts, the Eviction API its disruption budget, and
//! real mail goes from a client pod through the Service to a TLS smarthost. While the smarthost
//! answers 421, mail queues in the relay; every event below must leave each message arriving
//! exactly once when it is back.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cluster::Namespace;
use crate::node::{Node, PEER_ADDRESS, SMARTHOST, Sink, node, release_slot};
use crate::support::report;

/// An allowed sender domain of the built-in defaults.
const SENDER: &str = "app@bionicaisolutions.com";
/// The relay's pods, by the selector labels every release carries.
const RELAY_PODS: &str = "app.kubernetes.io/instance=postfix-relay";
/// How long a rollout, an eviction or a restart may take on a busy 2-core machine.
const EVENT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long queued mail may take to settle after an event: every old pod is gone by then, so
/// whatever is not in the pods that stay is lost.
const SETTLE: Duration = Duration::from_secs(30);

/// The prod profile installed on the node, its clients' namespace and its smarthost.
struct Relay<'n> {
    node: &'n Node,
    namespace: Namespace<'n>,
    clients: Namespace<'n>,
    sink: Sink,
    /// The sink's files, removed with the release.
    _dir: tempfile::TempDir,
    /// Client pods made so far, for unique names.
    sent: std::cell::Cell<usize>,
    /// Whether the render keeps the postfix container's preStop hook (only the control test
    /// takes it out).
    pre_stop: bool,
    /// The stand-in exporter's tag (see `node::EXPORTER_STANDINS`).
    exporter: &'static str,
}

impl<'n> Relay<'n> {
    /// A sink of its own and a clients' namespace labelled for SMTP access; nothing installed.
    fn new(node: &'n Node) -> Self {
        // A port per release: the pods of a release whose namespace is still being deleted
        // must not deliver into the next test's sink.
        static NEXT_PORT: AtomicU16 = AtomicU16::new(2525);
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = node.sink(dir.path(), NEXT_PORT.fetch_add(1, Ordering::Relaxed));
        let namespace = node.namespace_name("relay");
        let labels = [("email-server.kubernetes.io/smtp-access", "true")].into_iter().collect();
        let clients = node.namespace("clients", &labels);
        // The smarthost is an internal one, at an address the default egress policy excludes.
        let values =
            format!("networkPolicy:\n  egress:\n    relayhost:\n      - ipBlock:\n          cidr: {PEER_ADDRESS}/32\n");
        std::fs::write(dir.path().join("node-values.yaml"), values).expect("write node-values.yaml");
        Relay {
            node,
            namespace,
            clients,
            sink,
            _dir: dir,
            sent: std::cell::Cell::new(0),
            pre_stop: true,
            exporter: "healthy",
        }
    }

    /// `relaygen render --profile prod` with the built images, the stand-in exporter and the
    /// test's smarthost, plus `extra`.
    fn render(&self, extra: &[&str], create_namespace: bool) -> String {
        let node_values = self._dir.path().join("node-values.yaml");
        let relayhost = format!("env.relayhost=[{SMARTHOST}]:{}", self.sink.port);
        let mut args = vec!["--profile", "prod", "-f", node_values.to_str().expect("UTF-8"), "--set", &relayhost];
        args.extend_from_slice(extra);
        if create_namespace {
            args.push("--create-namespace");
        }
        let mut list = self.node.render(self.namespace.name(), self.exporter, &args);
        if !self.pre_stop {
            for item in list["items"].as_array_mut().expect("items") {
                // pointer_mut, not indexing: IndexMut would add the path to every other object.
                if let Some(containers) =
                    item.pointer_mut("/spec/template/spec/containers").and_then(Value::as_array_mut)
                {
                    for container in containers.iter_mut().filter(|c| c["name"] == "postfix") {
                        container.as_object_mut().expect("a container").remove("lifecycle");
                    }
                }
            }
        }
        list.to_string()
    }

    /// The README's first install, then every pod Ready by the kubelet's probes; returns how
    /// long that took from the apply.
    fn install(&self, extra: &[&str]) -> Duration {
        let started = Instant::now();
        self.node.apply(&self.render(extra, true), &["--server-side"]).ok();
        self.wait_ready(3);
        started.elapsed()
    }

    /// The README's apply for every later change (ApplySet, server-side, pruning).
    fn apply(&self, extra: &[&str]) {
        let manifests = self.render(extra, false);
        self.node
            .kubectl_with_env(
                &[("KUBECTL_APPLYSET", "true")],
                &[
                    "apply",
                    "--server-side",
                    "--force-conflicts",
                    "--prune",
                    "--applyset=postfix-relay",
                    "-n",
                    self.namespace.name(),
                    "-f",
                    "-",
                ],
                Some(&manifests),
            )
            .ok();
    }

    /// The relay's pods: `(name, ready, terminating)`.
    fn pods(&self) -> Vec<(String, bool, bool)> {
        let list = self.node.get_json(&["pods", "-n", self.namespace.name(), "-l", RELAY_PODS]);
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|pod| {
                let ready = pod["status"]["conditions"]
                    .as_array()
                    .is_some_and(|all| all.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
                let name = pod["metadata"]["name"].as_str().expect("name").to_owned();
                (name, ready, !pod["metadata"]["deletionTimestamp"].is_null())
            })
            .collect()
    }

    /// Waits until exactly `count` pods exist, all Ready and none terminating.
    fn wait_ready(&self, count: usize) -> Vec<String> {
        self.node.wait_for(EVENT_TIMEOUT, &format!("{count} Ready relay pods and no others"), || {
            let pods = self.pods();
            let ready: Vec<String> = pods.iter().filter(|p| p.1 && !p.2).map(|p| p.0.clone()).collect();
            if ready.len() == count && pods.len() == count {
                Ok(ready)
            } else {
                Err(format!("{pods:?}\n{}", self.events()))
            }
        })
    }

    /// The namespace's events, for a failure message.
    fn events(&self) -> String {
        self.node.kubectl(&["get", "events", "-n", self.namespace.name(), "--sort-by=.lastTimestamp"], None).stdout
    }

    /// The messages queued in a pod, or an error when its queue cannot be read.
    fn queued_in(&self, pod: &str) -> Result<usize, String> {
        let out = self
            .node
            .kubectl(&["exec", "-n", self.namespace.name(), pod, "-c", "postfix", "--", "postqueue", "-j"], None);
        if out.code != 0 {
            return Err(out.stderr);
        }
        Ok(out.stdout.lines().filter(|l| !l.trim().is_empty()).count())
    }

    /// The messages queued in all Ready pods that are not terminating.
    fn queued(&self) -> Result<usize, String> {
        self.pods().iter().filter(|p| p.1 && !p.2).map(|p| self.queued_in(&p.0)).sum()
    }

    /// Sends `count` messages, one unique recipient each (`N` + `batch@example.com`), from a
    /// client pod through the relay's Service name, as an application would.
    fn send(&self, batch: &str, count: usize) {
        let n = self.sent.get();
        self.sent.set(n + 1);
        let name = format!("send-{n}");
        let service = format!("postfix-relay.{}.svc.cluster.local", self.namespace.name());
        let to = format!("{batch}@example.com");
        let image = &self.node.images.relay;
        // An application retries a connection the network refuses: a NetworkPolicy enforcer
        // admits a new pod a moment after it starts (kube-router: about a second).
        let script = format!(
            "for i in $(seq 30); do timeout 2 bash -c '</dev/tcp/{service}/25' && break; sleep 1; done; \
             exec /usr/sbin/smtp-source -s 5 -m {count} -N -f {SENDER} -t {to} {service}:25"
        );
        self.node
            .kubectl(
                &[
                    "run",
                    &name,
                    "-n",
                    self.clients.name(),
                    "--image",
                    image,
                    "--image-pull-policy=Never",
                    "--restart=Never",
                    "--command",
                    "--",
                    "bash",
                    "-c",
                    &script,
                ],
                None,
            )
            .ok();
        let phase = self.node.wait_for(EVENT_TIMEOUT, &format!("client pod {name} to finish"), || {
            let pod = self.node.get_json(&["pod", &name, "-n", self.clients.name()]);
            match pod["status"]["phase"].as_str() {
                Some(done @ ("Succeeded" | "Failed")) => Ok(done.to_owned()),
                other => Err(format!("phase {other:?}")),
            }
        });
        let logs = self.node.kubectl(&["logs", &name, "-n", self.clients.name()], None);
        assert_eq!(phase, "Succeeded", "smtp-source failed:\n{}{}", logs.stdout, logs.stderr);
    }

    /// Waits until the relay's Ready pods hold `count` messages.
    fn wait_queued(&self, count: usize) {
        self.node.wait_for(SETTLE, &format!("{count} messages queued in the relay"), || match self.queued() {
            Ok(n) if n == count => Ok(()),
            other => Err(format!("{other:?}")),
        });
    }

    /// The upstream is back: every pod flushes its queue, and all `expected` recipients must
    /// arrive, each exactly once. Returns how many arrived.
    fn recover_and_deliver(&self, expected: &BTreeSet<String>) -> usize {
        self.sink.recover();
        for (pod, ..) in self.pods().into_iter().filter(|p| p.1 && !p.2) {
            self.node
                .kubectl(&["exec", "-n", self.namespace.name(), &pod, "-c", "postfix", "--", "postqueue", "-f"], None)
                .ok();
        }
        self.node.wait_for(EVENT_TIMEOUT, "every message at the smarthost", || {
            let arrived = self.sink.messages().len();
            if arrived >= expected.len() { Ok(()) } else { Err(format!("{arrived} arrived")) }
        });
        // Anything arriving twice comes late: give it a moment.
        std::thread::sleep(Duration::from_secs(3));
        let messages = self.sink.messages();
        let recipients: Vec<String> =
            messages.iter().flat_map(|m| m["rcpt_tos"].as_array().cloned().unwrap_or_default()).map(text).collect();
        let unique: BTreeSet<String> = recipients.iter().cloned().collect();
        assert_eq!(recipients.len(), unique.len(), "some message arrived twice");
        assert_eq!(&unique, expected, "not every message arrived");
        assert!(messages.iter().all(|m| m["tls"] == true), "a message reached the smarthost without TLS");
        messages.len()
    }
}

fn text(value: Value) -> String {
    value.as_str().expect("a string").to_owned()
}

/// The recipients `smtp-source -N -m COUNT -t BATCH@example.com` writes.
fn recipients(batch: &str, count: usize) -> BTreeSet<String> {
    (0..count).map(|n| format!("{batch}{n}@example.com")).collect()
}

#[test]
fn the_prod_stack_becomes_ready_by_the_kubelets_probes_and_relays_mail_from_a_client_pod() {
    let Some(shared) = node() else { return };
    let _slot = release_slot();
    let relay = Relay::new(&shared);
    let to_ready = relay.install(&[]);
    report(&format!("node: prod stack Ready in {:.1} s", to_ready.as_secs_f64()));
    relay.send("install", 20);
    let delivered = relay.recover_and_deliver(&recipients("install", 20));
    report(&format!("node: {delivered} of 20 messages delivered, each once"));
}

/// Installs the prod stack with the smarthost down and `count` messages queued in it.
fn queued_relay<'n>(node: &'n Node, batch: &str, count: usize, extra: &[&str]) -> Relay<'n> {
    let relay = Relay::new(node);
    relay.install(extra);
    relay.sink.refuse();
    relay.send(batch, count);
    relay.wait_queued(count);
    relay
}

/// A config change (a new checksum/config annotation, so the Deployment replaces every pod),
/// applied as the README says; returns once no old pod is left and three new ones are Ready.
fn roll_out_a_config_change(relay: &Relay) -> Duration {
    let old: BTreeSet<String> = relay.pods().into_iter().map(|p| p.0).collect();
    let started = Instant::now();
    relay.apply(&["--set", "env.SERVER_HOSTNAME=relay-2.bionicaisolutions.com"]);
    relay.node.wait_for(EVENT_TIMEOUT, "the rollout to replace every pod", || {
        let pods = relay.pods();
        let done = pods.len() == 3 && pods.iter().all(|p| p.1 && !p.2 && !old.contains(&p.0));
        done.then_some(()).ok_or_else(|| format!("{pods:?}"))
    });
    started.elapsed()
}

#[test]
fn a_rolling_update_hands_each_old_pods_queue_to_the_pods_that_stay_and_loses_no_mail() {
    let Some(shared) = node() else { return };
    let _slot = release_slot();
    let relay = queued_relay(&shared, "rollout", 200, &[]);
    let rollout = roll_out_a_config_change(&relay);
    relay.wait_queued(200);
    let delivered = relay.recover_and_deliver(&recipients("rollout", 200));
    report(&format!(
        "node: rolling update with 200 queued took {:.1} s; the new pods held 200; {delivered} delivered, each once",
        rollout.as_secs_f64()
    ));
}

#[test]
fn without_the_pre_stop_hook_the_same_rolling_update_loses_the_queued_mail() {
    // The control for the test above: the kubelet's preStop hook is what saves the mail.
    let Some(shared) = node() else { return };
    let _slot = release_slot();
    let mut relay = Relay::new(&shared);
    relay.pre_stop = false;
    relay.install(&[]);
    relay.sink.refuse();
    relay.send("nohook", 200);
    relay.wait_queued(200);
    roll_out_a_config_change(&relay);
    let left = relay.queued().expect("the new pods' queues");
    relay.sink.recover();
    assert!(left < 200, "without the preStop hook the old pods' queues should have gone with them, yet {left} remain");
    report(&format!("node: without the preStop hook, {left} of 200 queued messages survived the rolling update"));
}

/// Evicts a pod through the Eviction API, as `kubectl drain` does: `Ok` when the API server
/// granted it, `Err` with its answer when it refused.
fn evict(relay: &Relay, pod: &str) -> Result<(), String> {
    let eviction = serde_json::json!({
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": pod, "namespace": relay.namespace.name()},
    });
    let path = format!("/api/v1/namespaces/{}/pods/{pod}/eviction", relay.namespace.name());
    let out = relay.node.kubectl(&["create", "--raw", &path, "-f", "-"], Some(&eviction.to_string()));
    if out.code == 0 { Ok(()) } else { Err(out.stderr) }
}

#[test]
fn evictions_respect_the_disruption_budget_and_an_evicted_pod_hands_its_queue_off() {
    let Some(shared) = node() else { return };
    let _slot = release_slot();
    let relay = queued_relay(&shared, "evict", 100, &[]);
    let namespace = relay.namespace.name();
    relay.node.wait_for(EVENT_TIMEOUT, "the budget to allow one disruption", || {
        let pdb = relay.node.get_json(&["pdb", "postfix-relay", "-n", namespace]);
        (pdb["status"]["disruptionsAllowed"] == 1).then_some(()).ok_or_else(|| pdb["status"].to_string())
    });
    let pods = relay.wait_ready(3);
    let started = Instant::now();
    evict(&relay, &pods[0]).expect("the first eviction is within the budget");
    let refused =
        evict(&relay, &pods[1]).expect_err("a second eviction at once would leave one pod of the two required");
    assert!(refused.contains("disruption budget"), "{refused}");
    relay.wait_ready(3);
    let first = started.elapsed();
    relay.wait_queued(100);
    // Once the replacement is Ready, the budget allows the next eviction again.
    relay.node.wait_for(EVENT_TIMEOUT, "the budget to allow the second eviction", || evict(&relay, &pods[1]));
    relay.wait_ready(3);
    relay.wait_queued(100);
    let delivered = relay.recover_and_deliver(&recipients("evict", 100));
    report(&format!(
        "node: eviction with 100 queued: replaced in {:.1} s, second eviction refused (429) meanwhile; {delivered} delivered, each once",
        first.as_secs_f64()
    ));
}

/// The restarts of a relay pod's postfix container.
fn postfix_restarts(relay: &Relay, pod: &str) -> u64 {
    let pod = relay.node.get_json(&["pod", pod, "-n", relay.namespace.name()]);
    pod["status"]["containerStatuses"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == "postfix"))
        .and_then(|c| c["restartCount"].as_u64())
        .expect("the postfix container's status")
}

#[test]
fn a_stopped_master_is_restarted_by_the_liveness_probe_and_its_queue_survives() {
    let Some(shared) = node() else { return };
    let _slot = release_slot();
    // A short drain and grace period: the stopped master answers neither the preStop hook nor
    // SIGTERM, so the kubelet kills it when the grace period ends.
    let relay = queued_relay(
        &shared,
        "stopped",
        50,
        &["--set", "shutdown.drainTimeoutSeconds=10", "--set", "deployment.terminationGracePeriodSeconds=30"],
    );
    let namespace = relay.namespace.name();
    let counts: Vec<(String, usize)> =
        relay.wait_ready(3).into_iter().map(|pod| (pod.clone(), relay.queued_in(&pod).expect("queue"))).collect();
    let (pod, queued) = counts.iter().max_by_key(|c| c.1).expect("a pod").clone();
    let before = postfix_restarts(&relay, &pod);
    let started = Instant::now();
    // From the host: inside its PID namespace the master is init, which ignores SIGSTOP from
    // its own namespace.
    let processes = relay.node.container_processes(namespace, &pod, "postfix");
    let (master, _) =
        processes.iter().find(|p| p.1 == "master").unwrap_or_else(|| panic!("no master in {processes:?}"));
    let stopped = std::process::Command::new("kill").args(["-STOP", &master.to_string()]).status().expect("kill runs");
    assert!(stopped.success(), "SIGSTOP to the master");
    relay.node.wait_for(EVENT_TIMEOUT, "the kubelet to restart the stopped postfix container", || {
        let now = postfix_restarts(&relay, &pod);
        (now > before).then_some(()).ok_or_else(|| format!("{now} restarts"))
    });
    let restarted = started.elapsed();
    relay.wait_ready(3);
    assert_eq!(relay.queued_in(&pod), Ok(queued), "the restarted container's queue");
    let delivered = relay.recover_and_deliver(&recipients("stopped", 50));
    report(&format!(
        "node: stopped master restarted after {:.1} s with its {queued} queued messages; {delivered} delivered, each once",
        restarted.as_secs_f64()
    ));
}

#[test]
fn scaling_down_with_a_queue_hands_it_to_the_pods_that_stay() {
    let Some(shared) = node() else { return };
    let _slot = release_slot();
    let relay = queued_relay(&shared, "scaledown", 100, &[]);
    let started = Instant::now();
    // The autoscaler's bounds lowered: it scales to the new maximum without waiting for metrics.
    relay.apply(&[
        "--set",
        "autoscaling.minReplicas=2",
        "--set",
        "autoscaling.maxReplicas=2",
        "--set",
        "podDisruptionBudget.minAvailable=1",
    ]);
    relay.wait_ready(2);
    let scaled = started.elapsed();
    relay.wait_queued(100);
    let delivered = relay.recover_and_deliver(&recipients("scaledown", 100));
    report(&format!(
        "node: scale-down 3 → 2 with 100 queued in {:.1} s; {delivered} delivered, each once",
        scaled.as_secs_f64()
    ));
}

/// The relay Service's endpoints that are ready.
fn ready_endpoints(relay: &Relay) -> usize {
    let slices = relay.node.get_json(&[
        "endpointslices",
        "-n",
        relay.namespace.name(),
        "-l",
        "kubernetes.io/service-name=postfix-relay",
    ]);
    slices["items"]
        .as_array()
        .expect("items")
        .iter()
        .flat_map(|slice| slice["endpoints"].as_array().cloned().unwrap_or_default())
        .filter(|endpoint| endpoint["conditions"]["ready"] == true)
        .count()
}

#[test]
fn an_exporter_that_hangs_leaves_every_relay_pod_ready_and_the_mail_flowing() {
    // Monitoring must not take the mail down: nothing of the relay's readiness may depend on
    // the exporter answering.
    let Some(shared) = node() else { return };
    let _slot = release_slot();
    let mut relay = Relay::new(&shared);
    relay.exporter = "hangs";
    let to_ready = relay.install(&[]);
    // The EndpointSlice controller follows the pods' readiness a moment later.
    relay.node.wait_for(SETTLE, "every pod to serve the relay Service", || match ready_endpoints(&relay) {
        3 => Ok(()),
        n => Err(format!("{n} ready endpoints")),
    });
    relay.send("hung-exporter", 20);
    let delivered = relay.recover_and_deliver(&recipients("hung-exporter", 20));
    assert_eq!(ready_endpoints(&relay), 3, "a pod left the relay Service over its exporter");
    report(&format!(
        "node: with a hung exporter the stack was Ready in {:.1} s, 3 of 3 endpoints ready; {delivered} of 20 delivered",
        to_ready.as_secs_f64()
    ));
}

#[test]
fn an_exporter_upgrade_that_cannot_start_stops_the_rollout_and_the_other_pods_keep_relaying() {
    // The case no design of a sidecar can cover: a container that exits at once keeps its pod
    // NotReady. The rolling update is the guard: it stops, and the old pods keep the Service.
    let Some(shared) = node() else { return };
    let _slot = release_slot();
    let relay = Relay::new(&shared);
    relay.install(&[]);
    let old: BTreeSet<String> = relay.pods().into_iter().map(|p| p.0).collect();
    relay.apply(&["--set", "monitoring.exporter.image.tag=exits"]);
    relay.node.wait_for(EVENT_TIMEOUT, "a new pod whose exporter keeps exiting", || {
        let list = relay.node.get_json(&["pods", "-n", relay.namespace.name(), "-l", RELAY_PODS]);
        let crashing = list["items"].as_array().expect("items").iter().any(|pod| {
            pod["status"]["containerStatuses"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["name"] == "exporter" && c["restartCount"].as_u64().unwrap_or(0) >= 2)
        });
        crashing.then_some(()).ok_or_else(|| "no crash-looping exporter yet".to_owned())
    });
    // maxUnavailable is 1: at least two of the three old pods keep serving (polled: on a busy
    // machine the EndpointSlice follows the pods' readiness a moment later).
    let serving = relay.node.wait_for(SETTLE, "two old pods to serve the stuck rollout", || {
        let old_ready = relay.pods().into_iter().filter(|p| p.1 && !p.2 && old.contains(&p.0)).count();
        let endpoints = ready_endpoints(&relay);
        if old_ready >= 2 && endpoints >= 2 {
            Ok(old_ready)
        } else {
            Err(format!("{old_ready} old pods Ready, {endpoints} ready endpoints\n{}", relay.events()))
        }
    });
    relay.send("stuck-rollout", 20);
    let delivered = relay.recover_and_deliver(&recipients("stuck-rollout", 20));
    report(&format!(
        "node: exporter upgrade that exits at once: rollout stuck with {serving} of 3 old pods serving; {delivered} of 20 delivered"
    ));
}
