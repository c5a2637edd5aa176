//! The NetworkPolicy guarding the relay pods.

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Context, HANDOFF_PORT, METRICS_PORT, SMTP_PORT};
use crate::values::model::{Peer, Selector};

fn selector(s: &Selector) -> LabelSelector {
    LabelSelector {
        match_labels: (!s.match_labels.is_empty()).then(|| s.match_labels.clone()),
        match_expressions: (!s.match_expressions.is_empty()).then(|| {
            s.match_expressions
                .iter()
                .map(|e| LabelSelectorRequirement {
                    key: e.key.clone(),
                    operator: format!("{:?}", e.operator),
                    values: (!e.values.is_empty()).then(|| e.values.clone()),
                })
                .collect()
        }),
    }
}

fn peer(p: &Peer) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: p.namespace_selector.as_ref().map(selector),
        pod_selector: p.pod_selector.as_ref().map(selector),
        ip_block: p
            .ip_block
            .as_ref()
            .map(|b| IPBlock { cidr: b.cidr.clone(), except: (!b.except.is_empty()).then(|| b.except.clone()) }),
    }
}

/// A peer that is one address range, such as the NodeLocal DNSCache address.
fn ip_block(cidr: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IPBlock { cidr: cidr.to_owned(), except: None }),
        ..NetworkPolicyPeer::default()
    }
}

fn port(protocol: &str, number: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(number)),
        protocol: Some(protocol.into()),
        ..NetworkPolicyPort::default()
    }
}

/// Default deny for the relay pods, then exactly what a relay needs:
/// - in: port 25 from the configured peers (by default, namespaces labelled
///   `email-server.kubernetes.io/smtp-access: "true"`); with monitoring on, the metrics port from
///   the monitoring peers (by default, the `monitoring` namespace);
/// - out: DNS (UDP and TCP 53) to the cluster DNS, and the relayhost's port to the relayhost
///   peers (by default, any address outside the private ranges).
pub(crate) fn network_policy(ctx: &Context<'_>) -> NetworkPolicy {
    let values = &ctx.resolved.values;
    let policy = &values.network_policy;
    let ingress = &policy.ingress;
    let mut ingress_rules = vec![NetworkPolicyIngressRule {
        // With ingress restriction off, port 25 is open to every source; the policy still
        // keeps every other port closed.
        from: ingress.enabled.then(|| ingress.from.iter().map(peer).collect()),
        ports: Some(vec![port("TCP", SMTP_PORT.0)]),
    }];
    // The queue hand-off: the relay's own pods, and nothing else, on the hand-off port.
    let relay_pods = || NetworkPolicyPeer {
        pod_selector: Some(LabelSelector { match_labels: Some(ctx.selector.clone()), ..LabelSelector::default() }),
        ..NetworkPolicyPeer::default()
    };
    ingress_rules.push(NetworkPolicyIngressRule {
        from: Some(vec![relay_pods()]),
        ports: Some(vec![port("TCP", HANDOFF_PORT.0)]),
    });
    if values.monitoring.enabled && !policy.metrics.from.is_empty() {
        ingress_rules.push(NetworkPolicyIngressRule {
            from: Some(policy.metrics.from.iter().map(peer).collect()),
            ports: Some(vec![port("TCP", METRICS_PORT.0)]),
        });
    }
    let egress = &policy.egress;
    let mut policy_types = vec!["Ingress".to_owned()];
    let egress_rules = egress.enabled.then(|| {
        policy_types.push("Egress".to_owned());
        vec![
            NetworkPolicyEgressRule {
                to: Some(
                    egress.dns.iter().map(peer).chain(egress.extra_dns_cidrs.iter().map(|c| ip_block(c))).collect(),
                ),
                ports: Some(vec![port("UDP", 53), port("TCP", 53)]),
            },
            NetworkPolicyEgressRule {
                to: Some(egress.relayhost.iter().map(peer).collect()),
                ports: Some(vec![port("TCP", i32::from(ctx.resolved.relay_host.port))]),
            },
            NetworkPolicyEgressRule { to: Some(vec![relay_pods()]), ports: Some(vec![port("TCP", HANDOFF_PORT.0)]) },
        ]
    });
    NetworkPolicy {
        metadata: ctx.metadata(ctx.name),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(ctx.selector.clone()), ..LabelSelector::default() }),
            policy_types: Some(policy_types),
            ingress: Some(ingress_rules),
            egress: egress_rules,
        }),
    }
}
