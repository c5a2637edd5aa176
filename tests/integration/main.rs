//! relaygen's integration tests: one binary (faster to link), one module per area.
//!
//! - `cli`: behaviour of the command line, specified through its output and exit codes;
//! - `snapshots`: the exact rendered output of every profile and every seed command;
//! - `gitops`: `render --out`, the committed `out/` and `check`, `diff`, and `kubectl kustomize`
//!   as the judge of the output directories;
//! - `diff`: changes Kubernetes will not make in place, and `--removed` (what a render drops);
//! - `judges`: outside tools no one here wrote check the output (kubernetes-validate,
//!   prometheus-operator's CRD schemas, PyYAML as a YAML 1.1 reader);
//! - `monitoring`: the exporter, ServiceMonitor, alert rules (promtool) and dashboard work together.
//! - `relay`: Debian's Postfix runs each profile's rendered pod and relays to a local sink.
//! - `profiles_dir`: where `--profile` finds its file, from any directory of the repository;
//! - `ux`: completions, man page, `--version`, `--help` and `init`.
//! - `security`: checkov on every rendering, the NetworkPolicy's exact reach, pod hardening.
//! - `releases`: several releases (`name`) in one namespace, apart, and what `uninstall` lists.
//! - `control_plane`: a real kube-apiserver, etcd and kube-controller-manager (`cluster`) take
//!   every rendering through kubectl apply and run it.
//! - `lifecycle`: install, upgrades, prune, two releases and uninstall on that control plane,
//!   with the README's commands.
//! - `node`: that control plane with a real node (kubelet, containerd, kube-proxy, CoreDNS) in a
//!   network namespace of its own, running images built here.
//! - `node_events`: the prod stack on that node with real mail through rollouts, evictions,
//!   liveness restarts and scale-downs, and with exporters that hang or cannot start.
//! - `enforced_policy`: the NetworkPolicy enforced by kube-router on that node, connection by
//!   connection, against the static evaluator of `security`.

mod argocd;
mod cli;
mod cluster;
mod control_plane;
mod diff;
mod enforced_policy;
mod fuzz;
mod gitops;
mod judges;
mod lifecycle;
mod monitoring;
mod node;
mod node_events;
mod profiles_dir;
mod relay;
mod releases;
mod security;
mod snapshots;
mod support;
mod ux;
mod validation;
