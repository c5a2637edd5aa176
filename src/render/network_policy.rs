//! The NetworkPolicy guarding the relay pods.

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Context, METRICS_PORT, NAME, SMTP_PORT};
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

fn tcp(port: i32) -> Vec<NetworkPolicyPort> {
    vec![NetworkPolicyPort {
        port: Some(IntOrString::Int(port)),
        protocol: Some("TCP".into()),
        ..NetworkPolicyPort::default()
    }]
}

/// Admits SMTP only from the configured peers (by default, namespaces labelled
/// `email-server.kubernetes.io/smtp-access: "true"`) and, with monitoring on, the metrics port.
/// Everything else is denied: the policy selects the relay pods for Ingress.
pub(crate) fn network_policy(ctx: &Context<'_>) -> NetworkPolicy {
    let values = &ctx.resolved.values;
    let ingress = &values.network_policy.ingress;
    let mut rules = vec![NetworkPolicyIngressRule {
        // With ingress restriction off, port 25 is open to every source; the policy still
        // keeps every other port closed.
        from: ingress.enabled.then(|| ingress.from.iter().map(peer).collect()),
        ports: Some(tcp(SMTP_PORT.0)),
    }];
    if values.monitoring.enabled {
        rules.push(NetworkPolicyIngressRule { from: None, ports: Some(tcp(METRICS_PORT.0)) });
    }
    NetworkPolicy {
        metadata: ctx.metadata(NAME),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(ctx.selector.clone()), ..LabelSelector::default() }),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(rules),
            ..NetworkPolicySpec::default()
        }),
    }
}
