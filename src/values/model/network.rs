//! How the relay is reached: the Service, the ServiceAccount and the NetworkPolicy.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
