//! The relay pod, shared by the Deployment and the StatefulSet: an init container that
//! assembles `/etc/postfix`, the Postfix container and, with monitoring on, the exporter sidecar.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, ExecAction, KeyToPath,
    Lifecycle, LifecycleHandler, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements,
    SeccompProfile, SecretVolumeSource, SecurityContext, Toleration, TopologySpreadConstraint, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::{Context, HANDOFF_PORT, METRICS_PORT, SHOWQ_PORT, SMTP_PORT};
use crate::postfix::{self, paths};
use crate::values::model;

/// The annotation carrying the configuration checksum.
pub(crate) const CHECKSUM_ANNOTATION: &str = "checksum/config";

/// Capabilities the Postfix master needs, everything else dropped:
/// CHOWN and FOWNER hand queue files to the `postfix` user; DAC_OVERRIDE lets root enter the
/// postfix-owned 0700 queue directories; SETUID and SETGID drop privileges to `postfix`;
/// NET_BIND_SERVICE binds port 25. No SYS_CHROOT: master.cf runs nothing chrooted.
const POSTFIX_CAPABILITIES: [&str; 6] = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "NET_BIND_SERVICE", "SETGID", "SETUID"];

/// Volume names.
const CONFIG: &str = "config";
const ETC_POSTFIX: &str = "etc-postfix";
/// The queue volume: an emptyDir in the pod, or the StatefulSet's volumeClaimTemplate.
pub(crate) const SPOOL: &str = "spool";
const DATA: &str = "data";
const LOG: &str = "log";
const TMP: &str = "tmp";
const SASL: &str = "relayhost-sasl";

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    }
}

fn resources(values: &model::Resources) -> ResourceRequirements {
    let list = |l: &model::ResourceList| {
        let map: BTreeMap<String, Quantity> =
            [("cpu", &l.cpu), ("memory", &l.memory), ("ephemeral-storage", &l.ephemeral_storage)]
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|q| (k.to_owned(), Quantity(q.clone()))))
                .collect();
        (!map.is_empty()).then_some(map)
    };
    ResourceRequirements {
        requests: list(&values.requests),
        limits: list(&values.limits),
        ..ResourceRequirements::default()
    }
}

/// The init container only copies files: CHOWN and FOWNER let `cp -a` keep the image's owners
/// and modes, DAC_OVERRIDE lets root read files of other owners. It binds no port and drops
/// no privileges, so it gets none of the master's other capabilities.
const INIT_CAPABILITIES: [&str; 3] = ["CHOWN", "DAC_OVERRIDE", "FOWNER"];

fn root_security_context(capabilities: &[&str]) -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: Some(capabilities.iter().map(|c| (*c).to_owned()).collect()),
        }),
        ..SecurityContext::default()
    }
}

fn script_path(script: &str) -> String {
    format!("{}/{script}", paths::CONFIG_MOUNT)
}

fn sh(script: &str) -> Vec<String> {
    vec!["/bin/sh".into(), script_path(script)]
}

fn init_container(ctx: &Context<'_>) -> Container {
    let image = &ctx.resolved.values.image;
    Container {
        name: "config".into(),
        image: Some(image.reference()),
        image_pull_policy: Some(image.pull_policy().as_str().into()),
        command: Some(sh(postfix::INIT_SCRIPT)),
        resources: Some(resources(&ctx.resolved.values.resources)),
        security_context: Some(root_security_context(&INIT_CAPABILITIES)),
        volume_mounts: Some(
            [
                mount(CONFIG, paths::CONFIG_MOUNT, true),
                mount(ETC_POSTFIX, paths::ETC_POSTFIX_STAGING, false),
                mount(LOG, paths::LOG_DIR, false),
            ]
            .into_iter()
            .chain(ctx.resolved.values.postfix.sasl.enabled.then(|| mount(SASL, paths::SASL_SECRET, true)))
            .collect(),
        ),
        ..Container::default()
    }
}

fn postfix_container(ctx: &Context<'_>) -> Container {
    let values = &ctx.resolved.values;
    // The probe reads the 220 greeting on port 25 and says QUIT: a clean session that the
    // start script keeps out of `kubectl logs`. A tcpSocket probe would log a "lost
    // connection" warning every period instead.
    let greeting = || ExecAction { command: Some(vec!["/bin/bash".into(), script_path(postfix::PROBE_SCRIPT)]) };
    Container {
        name: "postfix".into(),
        image: Some(values.image.reference()),
        image_pull_policy: Some(values.image.pull_policy().as_str().into()),
        command: Some(sh(postfix::START_SCRIPT)),
        ports: Some(
            [SMTP_PORT, HANDOFF_PORT]
                .into_iter()
                .map(|(number, name)| ContainerPort {
                    name: Some(name.into()),
                    container_port: number,
                    protocol: Some("TCP".into()),
                    ..ContainerPort::default()
                })
                .collect(),
        ),
        resources: Some(resources(&values.resources)),
        // Startup allows two minutes for the first start; readiness takes the pod out of the
        // Services when port 25 stops greeting. Liveness asks the master for a queue listing:
        // showq serves one query per process (master.cf), so every answer needs the master to
        // spawn a fresh one, and a hung master fails the probe. It needs no port 25, so it keeps
        // passing while a drain has the port closed, and it logs nothing.
        startup_probe: Some(Probe {
            exec: Some(greeting()),
            period_seconds: Some(5),
            timeout_seconds: Some(10),
            failure_threshold: Some(24),
            ..Probe::default()
        }),
        readiness_probe: Some(Probe {
            exec: Some(greeting()),
            period_seconds: Some(10),
            timeout_seconds: Some(10),
            failure_threshold: Some(3),
            ..Probe::default()
        }),
        liveness_probe: Some(Probe {
            exec: Some(ExecAction {
                command: Some(vec!["/bin/sh".into(), "-c".into(), "timeout 4 postqueue -j >/dev/null".into()]),
            }),
            period_seconds: Some(30),
            timeout_seconds: Some(5),
            failure_threshold: Some(3),
            ..Probe::default()
        }),
        // Stop taking mail, flush, wait for the queue up to shutdown.drainTimeoutSeconds.
        lifecycle: Some(Lifecycle {
            pre_stop: Some(LifecycleHandler {
                exec: Some(ExecAction { command: Some(sh(postfix::DRAIN_SCRIPT)) }),
                ..LifecycleHandler::default()
            }),
            ..Lifecycle::default()
        }),
        security_context: Some(root_security_context(&POSTFIX_CAPABILITIES)),
        volume_mounts: Some(vec![
            mount(CONFIG, paths::CONFIG_MOUNT, true),
            mount(ETC_POSTFIX, paths::ETC_POSTFIX, false),
            mount(SPOOL, paths::SPOOL, false),
            mount(DATA, paths::DATA, false),
            mount(LOG, paths::LOG_DIR, false),
            mount(TMP, paths::TMP, false),
        ]),
        ..Container::default()
    }
}

/// The exporter sidecar (Hsn723/postfix_exporter). It reads the queue from Postfix's `showq`
/// service on loopback TCP and tails the mail log on the shared log volume, which the init
/// container creates before any container starts (and `--no-postfix.logfile_must_exist` keeps
/// a missing file from crash-looping it). It mounts nothing of the spool and runs with any
/// non-root user and group, within Pod Security `restricted`.
fn exporter_container(ctx: &Context<'_>) -> Container {
    let exporter = &ctx.resolved.values.monitoring.exporter;
    let protocols = ctx.resolved.values.postfix.inet_protocols;
    let metrics_path = &ctx.resolved.values.monitoring.service_monitor.path;
    Container {
        name: "exporter".into(),
        image: Some(exporter.image.reference()),
        image_pull_policy: Some(exporter.image.pull_policy().as_str().into()),
        args: Some(vec![
            format!("--web.listen-address=:{}", METRICS_PORT.0),
            format!("--web.telemetry-path={metrics_path}"),
            // The exporter dials `localhost:PORT`: over the family of the loopback address
            // showq listens on (127.0.0.1, or ::1 when Postfix speaks IPv6 only).
            format!("--postfix.showq_network={}", if protocols.ipv4() { "tcp4" } else { "tcp6" }),
            format!("--postfix.showq_port={SHOWQ_PORT}"),
            format!("--postfix.logfile_path={}", paths::MAILLOG_FILE),
            "--no-postfix.logfile_must_exist".into(),
        ]),
        ports: Some(vec![ContainerPort {
            name: Some(METRICS_PORT.1.into()),
            container_port: METRICS_PORT.0,
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]),
        // No probes: a pod is Ready only while every container is, so a readiness probe on a
        // hung exporter, or the back-off after a liveness restart, would take the relay out of
        // its Service over monitoring. A scrape that fails is the signal instead
        // (PostfixRelayExporterDown).
        resources: Some(resources(&exporter.resources)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            run_as_user: Some(exporter.run_as_user),
            run_as_group: Some(exporter.run_as_group),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Capabilities::default() }),
            // Set here as well as on the pod, so the container alone meets `restricted`.
            seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), ..SeccompProfile::default() }),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(vec![mount(LOG, paths::LOG_DIR, true)]),
        ..Container::default()
    }
}

fn empty_dir(name: &str) -> Volume {
    Volume { name: name.into(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Volume::default() }
}

/// A tmpfs emptyDir: what it holds never touches the node's disk.
fn memory_dir(name: &str, size_limit: &str) -> Volume {
    Volume {
        name: name.into(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: Some("Memory".into()),
            size_limit: Some(Quantity(size_limit.into())),
        }),
        ..Volume::default()
    }
}

/// One constraint per failure domain: nodes, then zones.
fn topology_spread(ctx: &Context<'_>) -> Option<Vec<TopologySpreadConstraint>> {
    let spread = &ctx.resolved.values.deployment.topology_spread;
    spread.enabled.then(|| {
        ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
            .into_iter()
            .map(|key| TopologySpreadConstraint {
                topology_key: key.into(),
                max_skew: spread.max_skew,
                when_unsatisfiable: spread.when_unsatisfiable.as_str().into(),
                label_selector: Some(LabelSelector {
                    match_labels: Some(ctx.selector.clone()),
                    ..LabelSelector::default()
                }),
                ..TopologySpreadConstraint::default()
            })
            .collect()
    })
}

fn tolerations(values: &[model::Toleration]) -> Option<Vec<Toleration>> {
    (!values.is_empty()).then(|| {
        values
            .iter()
            .map(|t| Toleration {
                key: t.key.clone(),
                operator: t.operator.map(|o| format!("{o:?}")),
                value: t.value.clone(),
                effect: t.effect.map(|e| format!("{e:?}")),
                toleration_seconds: t.toleration_seconds,
            })
            .collect()
    })
}

/// Metadata of the workload (Deployment or StatefulSet): the workload's labels plus the
/// documented policy exceptions that scanners read from it.
pub(crate) fn workload_metadata(ctx: &Context<'_>) -> ObjectMeta {
    let mut metadata = ctx.metadata_with_labels(ctx.name, ctx.workload_labels.clone());
    metadata.annotations = Some(super::policy_exceptions::annotations(&ctx.resolved.values));
    metadata
}

/// The pod template; `checksum` is the ConfigMap's, so config changes roll the pods. The
/// queue volume is left out when a StatefulSet claims it per pod.
pub(crate) fn pod_template(ctx: &Context<'_>, checksum: &str, queue_claimed: bool) -> PodTemplateSpec {
    let values = &ctx.resolved.values;
    let mut annotations = values.deployment.pod_annotations.clone();
    annotations.insert(CHECKSUM_ANNOTATION.into(), checksum.into());

    let mut containers = vec![postfix_container(ctx)];
    if values.monitoring.enabled {
        containers.push(exporter_container(ctx));
    }
    let node_selector = &values.deployment.node_selector;
    let sasl = &values.postfix.sasl;

    let mut volumes = Vec::from([
        Volume {
            name: CONFIG.into(),
            config_map: Some(ConfigMapVolumeSource {
                name: ctx.name.into(),
                default_mode: Some(0o444),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        },
        // In memory: it may hold the relayhost password.
        memory_dir(ETC_POSTFIX, "16Mi"),
    ]);
    if !queue_claimed {
        // The queue's own space: Postfix's free-space check (queue_minfree) sees this volume
        // fill up, where an emptyDir on disk would show the node's free space.
        volumes.push(memory_dir(SPOOL, &ctx.resolved.values.queue.size_limit));
    }
    volumes.extend([empty_dir(DATA), empty_dir(LOG), empty_dir(TMP)]);
    if sasl.enabled {
        volumes.push(Volume {
            name: SASL.into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(sasl.secret_name.clone()),
                items: Some(
                    [&sasl.username_key, &sasl.password_key]
                        .into_iter()
                        .map(|key| KeyToPath { key: key.clone(), path: key.clone(), mode: None })
                        .collect(),
                ),
                default_mode: Some(0o400),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
    }

    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(ctx.workload_labels.clone()),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(ctx.name.into()),
            automount_service_account_token: Some(false),
            // Service link variables would otherwise leak every Service into the env.
            enable_service_links: Some(false),
            termination_grace_period_seconds: Some(values.deployment.termination_grace_period_seconds),
            security_context: Some(PodSecurityContext {
                seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), ..SeccompProfile::default() }),
                ..PodSecurityContext::default()
            }),
            init_containers: Some(vec![init_container(ctx)]),
            containers,
            node_selector: (!node_selector.is_empty()).then(|| node_selector.clone()),
            tolerations: tolerations(&values.deployment.tolerations),
            topology_spread_constraints: topology_spread(ctx),
            priority_class_name: (!values.deployment.priority_class_name.is_empty())
                .then(|| values.deployment.priority_class_name.clone()),
            // Rendered only when it changes something: `true` is Kubernetes' default.
            host_users: (!values.deployment.host_users).then_some(false),
            volumes: Some(volumes),
            ..PodSpec::default()
        }),
    }
}
