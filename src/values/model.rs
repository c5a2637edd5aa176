//! The typed values model: what a Helm user would find in `values.yaml`.
//!
//! Every struct denies unknown keys, and every field's doc comment becomes its JSON Schema
//! description. Defaults live in `defaults.yaml` (one source of truth), not in these types:
//! the merged tree always holds every key, so the model can require them all.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// All values of one rendering of the relay stack.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Values {
    /// The release name: every object is named after it (`NAME`, `NAME-headless`,
    /// `NAME-metrics`, `NAME-dashboard`, claims `spool-NAME-N`), and it is the value of the
    /// `app.kubernetes.io/name` and `app.kubernetes.io/instance` labels the selectors use, so
    /// several relays live in one namespace without selecting each other's pods. A DNS label
    /// that starts with a letter, at most 52 characters.
    pub name: String,
    /// Namespace of every namespaced object (`-n/--namespace` overrides it).
    pub namespace: String,
    /// The Postfix container image.
    pub image: Image,
    /// The Deployment's shape: replicas, rollout strategy and pod placement.
    pub deployment: DeploymentValues,
    /// CPU and memory of the Postfix container.
    pub resources: Resources,
    /// Relay settings, under the seed deployment's environment variable names.
    pub env: Env,
    /// Postfix settings beyond the seed's variables.
    pub postfix: PostfixValues,
    /// The ClusterIP Service in front of port 25.
    pub service: ServiceValues,
    /// The ServiceAccount `postfix-relay`.
    pub service_account: ServiceAccountValues,
    /// The NetworkPolicy guarding the relay pods.
    pub network_policy: NetworkPolicyValues,
    /// Exporter sidecar, metrics Service, ServiceMonitor and PrometheusRule.
    pub monitoring: Monitoring,
    /// The HorizontalPodAutoscaler (autoscaling/v2).
    pub autoscaling: Autoscaling,
    /// The PodDisruptionBudget (policy/v1).
    pub pod_disruption_budget: PodDisruptionBudgetValues,
    /// Where the mail queue lives: an emptyDir (Deployment) or a volume per pod (StatefulSet).
    pub queue: QueueValues,
    /// How a relay pod stops: it stops accepting mail, flushes, and waits for its queue to drain.
    pub shutdown: ShutdownValues,
}

/// A container image reference.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    /// Registry and repository, e.g. `boky/postfix`.
    pub repository: String,
    /// Image tag; pin one (`latest` draws a warning).
    pub tag: String,
    /// Content digest (`sha256:` and 64 hex digits). When set, the kubelet runs exactly these
    /// bytes whatever the tag later points to; the tag stays for humans. Empty: tag only.
    /// Read it from the registry: `docker pull REPO:TAG` prints it as `Digest:`, `skopeo
    /// inspect docker://REPO:TAG` as `Digest`, or, for what a running pod pulled, `kubectl get
    /// pod POD -o jsonpath='{.status.containerStatuses[*].imageID}'`.
    pub digest: String,
    /// When the kubelet pulls the image. Unset (null): as Kubernetes defaults it, `Always` for
    /// the tag `latest` or no tag (without a digest), so a new pod runs what the tag names now,
    /// `IfNotPresent` otherwise. relaygen writes the policy out either way.
    #[serde(default)]
    pub pull_policy: Option<PullPolicy>,
}

impl Image {
    /// `repository[:tag][@digest]`, as the container spec wants it. Validation keeps `@` out of
    /// the repository and the tag, so `digest` is the only place a digest comes from.
    pub fn reference(&self) -> String {
        let mut reference = self.repository.clone();
        if !self.tag.is_empty() {
            reference.push(':');
            reference.push_str(&self.tag);
        }
        if !self.digest.is_empty() {
            reference.push('@');
            reference.push_str(&self.digest);
        }
        reference
    }

    /// Whether the reference names its content by digest.
    pub fn pinned_by_digest(&self) -> bool {
        !self.digest.is_empty()
    }

    /// Whether the tag is one that registries move on every push (`latest`, or none, which
    /// means `latest`) and no digest holds the content.
    pub fn mutable_tag(&self) -> bool {
        !self.pinned_by_digest() && (self.tag.is_empty() || self.tag == "latest")
    }

    /// The pull policy the containers get: the one set, or Kubernetes' own default for this
    /// reference (`Always` for a mutable tag, else `IfNotPresent`).
    pub fn pull_policy(&self) -> PullPolicy {
        self.pull_policy.unwrap_or(if self.mutable_tag() { PullPolicy::Always } else { PullPolicy::IfNotPresent })
    }
}

/// Kubernetes `imagePullPolicy`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull on every start.
    Always,
    /// Pull when the node lacks the image.
    IfNotPresent,
    /// Never pull.
    Never,
}

impl PullPolicy {
    /// The spelling Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}

/// Deployment settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeploymentValues {
    /// Number of relay pods (ignored when autoscaling is enabled: the HPA owns it then).
    pub replicas: i32,
    /// How pods are replaced on a change.
    pub strategy: Strategy,
    /// Seconds a pod gets to drain its queue before it is killed.
    pub termination_grace_period_seconds: i64,
    /// Extra annotations on the pod template.
    pub pod_annotations: BTreeMap<String, String>,
    /// Node labels the pods must run on.
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pods tolerate.
    pub tolerations: Vec<Toleration>,
    /// Spread the pods across nodes and zones, so one node or zone failing leaves relays up.
    pub topology_spread: TopologySpread,
    /// PriorityClass of the pods; empty for the cluster default. A relay that queues everyone's
    /// mail often deserves a high one.
    pub priority_class_name: String,
    /// Share the host's user namespace. `false` runs the pod in its own user namespace
    /// (Kubernetes ≥ 1.33 with a runtime that supports it), so root in the Postfix container is
    /// not root on the node.
    pub host_users: bool,
}

/// Topology spread constraints of the relay pods.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopologySpread {
    /// Render the constraints (one per node, one per zone).
    pub enabled: bool,
    /// Largest allowed difference in relay pods between two nodes or zones.
    pub max_skew: i32,
    /// `ScheduleAnyway` prefers spreading; `DoNotSchedule` insists, and leaves pods pending
    /// when the cluster has too few nodes or zones.
    pub when_unsatisfiable: WhenUnsatisfiable,
}

/// What the scheduler does when a spread constraint cannot be met.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum WhenUnsatisfiable {
    /// Schedule anyway, preferring placements that reduce the skew.
    ScheduleAnyway,
    /// Leave the pod pending.
    DoNotSchedule,
}

impl WhenUnsatisfiable {
    /// The spelling Kubernetes uses.
    pub fn as_str(self) -> &'static str {
        match self {
            WhenUnsatisfiable::ScheduleAnyway => "ScheduleAnyway",
            WhenUnsatisfiable::DoNotSchedule => "DoNotSchedule",
        }
    }
}

/// Deployment update strategy.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Strategy {
    /// `RollingUpdate` or `Recreate`.
    #[serde(rename = "type")]
    pub kind: StrategyType,
    /// Surge and unavailability limits of a rolling update.
    pub rolling_update: RollingUpdate,
}

/// Kubernetes Deployment strategy type.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum StrategyType {
    /// Replace pods gradually.
    RollingUpdate,
    /// Stop all pods, then start new ones.
    Recreate,
}

/// Rolling update limits: a count or a percentage such as `25%`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RollingUpdate {
    /// Pods that may be unavailable during the update.
    pub max_unavailable: IntOrPercent,
    /// Pods that may be created above the desired count.
    pub max_surge: IntOrPercent,
}

/// A count (`1`) or a percentage (`25%`).
#[derive(Clone, Debug, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(untagged)]
pub enum IntOrPercent {
    /// An absolute number.
    Int(i32),
    /// A percentage, written with `%`.
    Percent(String),
}

impl<'de> Deserialize<'de> for IntOrPercent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = IntOrPercent;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer or a percentage such as 25%")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IntOrPercent, E> {
                i32::try_from(v)
                    .map(IntOrPercent::Int)
                    .map_err(|_| E::custom(format!("expected an integer or a percentage, found `{v}` (too large)")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IntOrPercent, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IntOrPercent, E> {
                let digits = v.strip_suffix('%').unwrap_or("");
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(IntOrPercent::Percent(v.to_owned()))
                } else {
                    Err(E::custom(format!("expected an integer or a percentage such as 25%, found `{v}`")))
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A pod toleration.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key to match; empty with `Exists` matches every taint.
    #[serde(default)]
    pub key: Option<String>,
    /// `Equal` (default) or `Exists`.
    #[serde(default)]
    pub operator: Option<TolerationOperator>,
    /// Taint value to match with `Equal`.
    #[serde(default)]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; empty matches all.
    #[serde(default)]
    pub effect: Option<TaintEffect>,
    /// With `NoExecute`: how long the pod stays bound after the taint appears.
    #[serde(default)]
    pub toleration_seconds: Option<i64>,
}

/// Toleration operator.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema)]
pub enum TolerationOperator {
    /// Key and value must match.
    Equal,
    /// The key must exist.
    Exists,
}

/// Taint effect.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema)]
pub enum TaintEffect {
    /// Do not schedule.
    NoSchedule,
    /// Avoid scheduling.
    PreferNoSchedule,
    /// Evict running pods.
    NoExecute,
}

/// Container resources.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: ResourceList,
    /// The most the container may use.
    pub limits: ResourceList,
}

/// CPU and memory quantities; `null` leaves one out.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceList {
    /// CPU, e.g. `100m` or `0.5`.
    pub cpu: Option<String>,
    /// Memory, e.g. `128Mi`.
    pub memory: Option<String>,
    /// Local disk for logs and scratch space (emptyDirs, container logs), e.g. `256Mi`.
    #[serde(rename = "ephemeral-storage")]
    pub ephemeral_storage: Option<String>,
}

/// The seed deployment's environment, under its own variable names.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Env {
    /// Mail domain: Postfix `mydomain` and `myorigin`.
    pub maildomain: String,
    /// Upstream smarthost as `[host]:port` (brackets: no MX lookup), e.g. `[smtp-relay.gmail.com]:587`.
    pub relayhost: String,
    /// Alternative spelling of the relayhost's host name; must agree with `relayhost` when both are set.
    #[serde(rename = "SMTP_SERVER", default)]
    pub smtp_server: Option<String>,
    /// Alternative spelling of the relayhost's port; must agree with `relayhost` when both are set.
    #[serde(rename = "SMTP_PORT", default)]
    pub smtp_port: Option<u16>,
    /// Host name Postfix announces (HELO/EHLO) and uses as `myhostname`. Unless set:
    /// `mail.<maildomain>`.
    #[serde(rename = "SERVER_HOSTNAME")]
    pub server_hostname: String,
    /// Envelope sender domains allowed to relay: a comma-separated string or a list. An empty
    /// value is an explicit opt-out of sender checks. Unless set: `maildomain` and `gmail.com`.
    #[serde(rename = "ALLOWED_SENDER_DOMAINS")]
    pub allowed_sender_domains: AllowedSenderDomains,
}

/// Sender domains that may relay, from a list or a comma-separated string (the seed's form).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct AllowedSenderDomains(pub Vec<String>);

impl JsonSchema for AllowedSenderDomains {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AllowedSenderDomains".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                {"type": "string", "description": "comma-separated domains"},
                {"type": "array", "items": {"type": "string"}}
            ]
        })
    }
}

impl<'de> Deserialize<'de> for AllowedSenderDomains {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AllowedSenderDomains;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a comma-separated string or a list of domains")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AllowedSenderDomains(
                    v.split(',').map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned).collect(),
                ))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(AllowedSenderDomains(Vec::new()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut domains = Vec::new();
                while let Some(d) = seq.next_element::<String>()? {
                    domains.push(d);
                }
                Ok(AllowedSenderDomains(domains))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Err(E::custom(format!("expected a comma-separated string or a list of domains, found `{v}`")))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Err(E::custom(format!("expected a comma-separated string or a list of domains, found `{v}`")))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Postfix settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostfixValues {
    /// The IP families Postfix uses (`inet_protocols`): `ipv4`, `ipv6` for an IPv6-only
    /// cluster, or `all` for a dual-stack one.
    pub inet_protocols: InetProtocols,
    /// Client networks allowed to relay (CIDRs of either family). Default: loopback, RFC 1918
    /// and IPv6 unique local addresses (`fd00::/8`), each used only when `inetProtocols` has its
    /// family. Every private address is trusted: the NetworkPolicy decides who gets to port 25.
    pub mynetworks: Vec<String>,
    /// Largest message accepted, in bytes (`message_size_limit`); keep it under the upstream's.
    pub message_size_limit: u64,
    /// Relay mail from any envelope sender when `env.ALLOWED_SENDER_DOMAINS` is empty. An empty
    /// list alone is an error: relaying every sender must be chosen, never the default.
    pub allow_all_sender_domains: bool,
    /// Remove `Received:` headers before mail leaves the relay, so pod and node addresses of the
    /// cluster do not reach recipients (`smtp_header_checks`).
    pub strip_received_headers: bool,
    /// Per-client limits enforced by Postfix's anvil service; they apply to clients in
    /// mynetworks too (only loopback, used by the probes, is exempt).
    pub rate_limits: RateLimits,
    /// Outbound TLS to the relayhost.
    pub tls: Tls,
    /// Optional SASL login to the relayhost, with credentials from an existing Secret.
    pub sasl: Sasl,
    /// The log file Postfix writes (mirrored to `kubectl logs`, read by the exporter).
    pub log: LogValues,
}

/// Postfix `inet_protocols`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InetProtocols {
    /// IPv4 only.
    Ipv4,
    /// IPv6 only (IPv6-only clusters).
    Ipv6,
    /// Both (dual-stack clusters).
    All,
}

impl InetProtocols {
    /// The Postfix spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InetProtocols::Ipv4 => "ipv4",
            InetProtocols::Ipv6 => "ipv6",
            InetProtocols::All => "all",
        }
    }

    /// Whether Postfix uses IPv4.
    pub fn ipv4(self) -> bool {
        self != InetProtocols::Ipv6
    }

    /// Whether Postfix uses IPv6.
    pub fn ipv6(self) -> bool {
        self != InetProtocols::Ipv4
    }

    /// Whether an address of this family (IPv6 when `ipv6`) is used.
    pub fn uses(self, ipv6: bool) -> bool {
        if ipv6 { self.ipv6() } else { self.ipv4() }
    }

    /// The loopback address the pod's own clients (probes, exporter) use: IPv4's when Postfix
    /// listens on it, IPv6's otherwise.
    pub fn loopback(self) -> &'static str {
        if self.ipv4() { "127.0.0.1" } else { "::1" }
    }
}

/// Client limits (`smtpd_client_*_limit`); 0 switches a rate limit off.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimits {
    /// Simultaneous connections one client may hold (`smtpd_client_connection_count_limit`).
    pub connection_count_limit: u32,
    /// Connections one client may open per `timeUnit` (`smtpd_client_connection_rate_limit`).
    pub connection_rate_limit: u32,
    /// Messages one client may send per `timeUnit` (`smtpd_client_message_rate_limit`).
    pub message_rate_limit: u32,
    /// The window the rates are counted over (`anvil_rate_time_unit`), e.g. 60s.
    pub time_unit: String,
}

/// SASL authentication to the relayhost.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sasl {
    /// Log in to the relayhost (`smtp_sasl_auth_enable`).
    pub enabled: bool,
    /// An existing Secret in the release namespace holding the credentials, e.g. of type
    /// `kubernetes.io/basic-auth`. It is mounted as files; the password never enters an
    /// environment variable or a ConfigMap.
    pub secret_name: String,
    /// The Secret key holding the user name.
    pub username_key: String,
    /// The Secret key holding the password.
    pub password_key: String,
}

/// The Postfix log file.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LogValues {
    /// The log file is emptied when it grows past this many MiB. Every line has already been
    /// copied to the container's stdout, which the kubelet keeps and rotates.
    #[schemars(range(min = 1))]
    pub max_file_size_mib: u32,
    /// How often the size is checked, in seconds (1 to 3600). Between two checks the file can
    /// outgrow the limit by what Postfix logs in that time; a busy relay checks more often.
    #[schemars(range(min = 1, max = 3600))]
    pub check_interval_seconds: u32,
}

/// Where the queue lives.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QueueValues {
    /// The queue's own space without persistence: an in-memory emptyDir of this size, counted
    /// in the Postfix container's memory, whose free space is the queue's alone. Postfix sees
    /// it fill up and refuses new mail before it is full; an emptyDir on the node's disk would
    /// show the node's free space instead, and get the pod evicted past its limit.
    pub size_limit: String,
    /// Free queue space below which port 25 refuses new mail with a temporary `452 4.3.1`
    /// (`queue_minfree`). What lies below it is a reserve for bounces and for the queues that
    /// draining pods hand over, which Postfix takes down to its own floor of 1.5 ×
    /// `postfix.messageSizeLimit`; so at least 2.5 × `postfix.messageSizeLimit`.
    pub min_free: String,
    /// A PersistentVolumeClaim per pod for `/var/spool/postfix`.
    pub persistence: QueuePersistence,
}

/// The persistent queue.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QueuePersistence {
    /// Render a StatefulSet with a volumeClaimTemplate instead of the Deployment, so mail
    /// still queued when a pod stops survives it and is sent when that pod returns.
    pub enabled: bool,
    /// Size of each pod's queue volume (a Kubernetes quantity, e.g. 1Gi).
    pub size: String,
    /// StorageClass of the queue volumes; empty uses the cluster's default class.
    pub storage_class_name: String,
}

/// Graceful shutdown of a relay pod (its preStop hook).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ShutdownValues {
    /// Seconds the pod keeps accepting mail after it is told to stop, while the Service's
    /// endpoints catch up, so clients are not refused mid-rollout.
    pub pre_stop_delay_seconds: u32,
    /// Seconds the preStop hook waits for the queue to drain before it lets Postfix stop. It
    /// never deletes mail. Must leave room within `deployment.terminationGracePeriodSeconds`.
    pub drain_timeout_seconds: u32,
}

/// Outbound TLS settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tls {
    /// `smtp_tls_security_level`: `secure` (the default) or `verify` check the relayhost's
    /// certificate against the CA bundle and its name; `encrypt` and `may` do not, which prints
    /// a warning (an error under `--strict`) and is refused with SASL.
    pub security_level: TlsSecurityLevel,
    /// CA bundle inside the container (`smtp_tls_CAfile`).
    pub ca_file: String,
}

/// Postfix `smtp_tls_security_level`. Only `verify` and `secure` authenticate the upstream.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TlsSecurityLevel {
    /// Opportunistic TLS.
    May,
    /// Mandatory TLS, certificate not verified.
    Encrypt,
    /// Mandatory TLS, certificate and MX name verified.
    Verify,
    /// Mandatory TLS, certificate and host name verified.
    Secure,
}

impl TlsSecurityLevel {
    /// Whether the relayhost must prove who it is (a certificate that chains to the CA bundle
    /// and names it) before it gets any mail or password.
    pub fn authenticates_upstream(self) -> bool {
        matches!(self, TlsSecurityLevel::Verify | TlsSecurityLevel::Secure)
    }

    /// The Postfix spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsSecurityLevel::May => "may",
            TlsSecurityLevel::Encrypt => "encrypt",
            TlsSecurityLevel::Verify => "verify",
            TlsSecurityLevel::Secure => "secure",
        }
    }
}

/// The SMTP Service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceValues {
    /// Service type; `ClusterIP` keeps the relay in-cluster.
    #[serde(rename = "type")]
    pub kind: ServiceType,
    /// Port the Service listens on (forwards to the container's `smtp` port).
    pub port: u16,
}

/// Kubernetes Service type.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum ServiceType {
    /// In-cluster only.
    ClusterIP,
    /// Also on a port of every node.
    NodePort,
    /// Through a cloud load balancer.
    LoadBalancer,
}

impl ServiceType {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
}

/// ServiceAccount settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceAccountValues {
    /// Annotations, e.g. for cloud workload identity.
    pub annotations: BTreeMap<String, String>,
}

/// NetworkPolicy settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicyValues {
    /// Render the NetworkPolicy. It denies all traffic to and from the relay pods that the
    /// rules below do not admit.
    pub enabled: bool,
    /// Who may connect to port 25.
    pub ingress: NetworkPolicyIngress,
    /// Who may scrape the exporter's metrics port.
    pub metrics: MetricsIngress,
    /// Where the relay pods may connect: DNS and the relayhost's port.
    pub egress: NetworkPolicyEgress,
}

/// Ingress to the metrics port.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricsIngress {
    /// Peers admitted to the metrics port (NetworkPolicyPeer form), by default the `monitoring`
    /// namespace; an empty list admits no one.
    pub from: Vec<Peer>,
}

/// Egress of the relay pods.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicyEgress {
    /// Restrict egress; when false the pods may connect anywhere.
    pub enabled: bool,
    /// The cluster DNS, reached on UDP and TCP 53 (Postfix looks the relayhost up).
    pub dns: Vec<Peer>,
    /// More DNS servers, as CIDRs, reached on UDP and TCP 53 besides `dns`: e.g.
    /// `169.254.20.10/32` for NodeLocal DNSCache, whose address is no pod's.
    pub extra_dns_cidrs: Vec<String>,
    /// Where the relayhost may be, reached on its port only. The default is any address of
    /// either family outside the private and link-local ranges, so the relay cannot reach other
    /// pods, internal services or a cloud metadata endpoint.
    pub relayhost: Vec<Peer>,
}

/// Ingress rule for port 25.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicyIngress {
    /// Restrict ingress; when false port 25 is open to every source (other ports stay closed).
    pub enabled: bool,
    /// Peers admitted to port 25 (NetworkPolicyPeer form).
    pub from: Vec<Peer>,
}

/// A NetworkPolicy peer.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Peer {
    /// Namespaces whose labels match.
    #[serde(default)]
    pub namespace_selector: Option<Selector>,
    /// Pods whose labels match.
    #[serde(default)]
    pub pod_selector: Option<Selector>,
    /// An address range.
    #[serde(default)]
    pub ip_block: Option<IpBlock>,
}

/// A label selector.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Selector {
    /// Labels that must match exactly.
    #[serde(default)]
    pub match_labels: BTreeMap<String, String>,
    /// Set-based requirements.
    #[serde(default)]
    pub match_expressions: Vec<SelectorRequirement>,
}

/// One set-based selector requirement.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SelectorRequirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: SelectorOperator,
    /// Values for `In` and `NotIn`.
    #[serde(default)]
    pub values: Vec<String>,
}

/// Selector operator.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema)]
pub enum SelectorOperator {
    /// Value in the set.
    In,
    /// Value not in the set.
    NotIn,
    /// Key present.
    Exists,
    /// Key absent.
    DoesNotExist,
}

/// An IP block peer.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IpBlock {
    /// The range, e.g. `10.0.0.0/8`.
    pub cidr: String,
    /// Ranges inside `cidr` to leave out.
    #[serde(default)]
    pub except: Vec<String>,
}

/// Monitoring settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Monitoring {
    /// Master switch: the exporter sidecar, metrics Service, ServiceMonitor and PrometheusRule.
    pub enabled: bool,
    /// The Prometheus exporter sidecar.
    pub exporter: Exporter,
    /// The metrics Service `postfix-relay-metrics`.
    pub service: MetricsService,
    /// The ServiceMonitor.
    pub service_monitor: ServiceMonitorValues,
    /// The PrometheusRule.
    pub prometheus_rule: PrometheusRuleValues,
    /// The Grafana dashboard ConfigMap.
    pub dashboard: DashboardValues,
    /// Whether the cluster must have the prometheus-operator CRDs (`monitoring.coreos.com/v1`).
    /// Only `relaygen argocd generate` knows what the cluster serves (Argo CD's
    /// `KUBE_API_VERSIONS`): when the ServiceMonitor or PrometheusRule kind is missing there,
    /// `false` leaves that object out with a warning, `true` fails the generation instead.
    pub require_crds: bool,
}

/// Exporter sidecar.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Exporter {
    /// Exporter image (Hsn723/postfix_exporter build).
    pub image: Image,
    /// CPU and memory of the exporter container.
    pub resources: Resources,
    /// The non-root user ID the exporter runs as.
    pub run_as_user: i64,
    /// The non-root group ID the exporter runs as. It reads the queue from Postfix's `showq`
    /// service over loopback TCP, so it needs no group of the Postfix image.
    pub run_as_group: i64,
}

/// The metrics Service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricsService {
    /// Service port (forwards to the exporter's `metrics` port 9154).
    pub port: u16,
}

/// ServiceMonitor settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceMonitorValues {
    /// Render the ServiceMonitor.
    pub enabled: bool,
    /// Scrape interval, e.g. `30s`.
    pub interval: String,
    /// Metrics path.
    pub path: String,
    /// Extra labels, e.g. the `release` label your Prometheus selects on.
    pub labels: BTreeMap<String, String>,
}

/// PrometheusRule settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusRuleValues {
    /// Render the PrometheusRule.
    pub enabled: bool,
    /// Extra labels on the PrometheusRule object, e.g. the label your Prometheus selects rules by.
    pub labels: BTreeMap<String, String>,
    /// Extra labels on every alert, e.g. `team: mail` for Alertmanager routing (Prometheus
    /// label names; `severity` is set per alert).
    pub alert_labels: BTreeMap<String, String>,
    /// Where the runbook lives: each alert's `runbook_url` annotation is this URL, `#` and the
    /// alert name in lower case (a Markdown heading anchor).
    pub runbook_url: String,
    /// The alerts, each switchable.
    pub alerts: Alerts,
}

/// The alert rules.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Alerts {
    /// `PostfixRelayDown`: Postfix does not answer the exporter's `showq` queries, or no relay
    /// pod is scraped at all.
    pub relay_down: Alert,
    /// `PostfixRelayExporterDown`: Prometheus cannot scrape a pod's exporter.
    pub exporter_down: Alert,
    /// `PostfixRelayHighQueue`: more than `threshold` messages queued in one pod.
    pub high_queue: ThresholdAlert,
    /// `PostfixRelayHighBounceRate`: more than `threshold` bounces per second (5-minute rate).
    pub high_bounce_rate: ThresholdAlert,
    /// `PostfixRelayDeferredQueueGrowing`: the deferred queue holds more than `threshold`
    /// messages more than 15 minutes earlier.
    pub deferred_queue_growing: ThresholdAlert,
    /// `PostfixRelayOldMessages`: a message (outside the hold queue) has waited longer than
    /// `threshold` seconds. The exporter reports ages in buckets, so the threshold must be one
    /// of 10, 100, 1000, 10000, 100000, 1000000, 10000000 or 100000000.
    pub old_messages: ThresholdAlert,
    /// `PostfixRelayRelayhostUnreachable`: more than `threshold` connection time-outs or
    /// network-class deferrals (DSN 4.4.x) towards the relayhost in 15 minutes.
    pub relayhost_unreachable: ThresholdAlert,
}

/// The bucket bounds, in seconds, of the exporter's `postfix_showq_message_age_seconds`
/// histogram (Hsn723/postfix_exporter `showq/showq.go`): the only ages an alert can test.
pub const MESSAGE_AGE_BUCKETS: [f64; 8] = [1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/// An alert without a threshold.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Alert {
    /// Render this alert.
    pub enabled: bool,
    /// How long the condition must hold, e.g. `5m`.
    #[serde(rename = "for")]
    pub for_duration: String,
    /// The `severity` label.
    pub severity: String,
}

/// An alert with a threshold.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ThresholdAlert {
    /// Render this alert.
    pub enabled: bool,
    /// The value above which the alert fires.
    pub threshold: f64,
    /// How long the condition must hold, e.g. `15m`.
    #[serde(rename = "for")]
    pub for_duration: String,
    /// The `severity` label.
    pub severity: String,
}

/// The Grafana dashboard, as a ConfigMap for Grafana's dashboard sidecar.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DashboardValues {
    /// Render the ConfigMap `postfix-relay-dashboard` (needs the PrometheusRule: the panels
    /// show its recorded series).
    pub enabled: bool,
    /// Labels the Grafana sidecar finds dashboards by (kube-prometheus-stack:
    /// `grafana_dashboard: "1"`).
    pub labels: BTreeMap<String, String>,
    /// Annotations on the ConfigMap, e.g. `grafana_folder` for the sidecar's folder support.
    pub annotations: BTreeMap<String, String>,
}

/// HorizontalPodAutoscaler settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Autoscaling {
    /// Render the HPA (the Deployment then omits `spec.replicas`).
    pub enabled: bool,
    /// Fewest pods.
    pub min_replicas: i32,
    /// Most pods.
    pub max_replicas: i32,
    /// Average CPU utilisation to aim for, in percent of requests.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: i32,
    /// How the autoscaler removes pods: slowly enough for each one's drain to finish.
    pub scale_down: ScaleDown,
}

/// The HPA's `behavior.scaleDown`: a quiet spell before any pod goes, then at most one pod per
/// period, so a pod's drain (preStop delay and drain timeout) ends before the next begins.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScaleDown {
    /// Seconds the recommendation must stay lower before a pod is removed (0 to 3600).
    pub stabilization_window_seconds: i32,
    /// At most one pod is removed per this many seconds (1 to 1800); no shorter than
    /// `shutdown.preStopDelaySeconds` + `shutdown.drainTimeoutSeconds`.
    pub period_seconds: i32,
}

/// PodDisruptionBudget settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodDisruptionBudgetValues {
    /// Render the PDB.
    pub enabled: bool,
    /// Pods that must stay up during voluntary disruptions (count or percentage).
    pub min_available: IntOrPercent,
}
