//! Who can reach the relay: `postfix.mynetworks`, the Service, and the NetworkPolicy's peers.

use super::{Report, check_labels};
use crate::error::Layer;
use crate::values::model::{Peer, ServiceType, Values};
use crate::values::syntax::parse_cidr;

/// Every `postfix.mynetworks` entry is a network address, of a family Postfix listens on.
pub(super) fn check_mynetworks(values: &Values, r: &mut Report<'_>) {
    let protocols = values.postfix.inet_protocols;
    for (i, network) in values.postfix.mynetworks.iter().enumerate() {
        let path = || format!("postfix.mynetworks[{i}]");
        match parse_cidr(network) {
            Ok(net) if net.trunc() != net => r.error(
                &path(),
                format!("`{network}` has host bits set"),
                format!("the network address, e.g. {}", net.trunc()),
            ),
            // A network of a family Postfix does not speak is ignored: said if a user set it.
            Ok(net) if !protocols.uses(matches!(net, ipnet::IpNet::V6(_))) => {
                if r.layer(&path()).is_some_and(|layer| layer != Layer::Defaults) {
                    r.warning(
                        &path(),
                        format!(
                            "`{network}` has no effect: postfix.inetProtocols is `{}`, so Postfix never sees a \
                             client of its family",
                            protocols.as_str()
                        ),
                        "set postfix.inetProtocols to all (dual-stack) or to the network's family",
                    );
                }
            }
            Ok(_) => {}
            Err(problem) => r.error(&path(), problem, "a network such as 10.0.0.0/8 or fd00::/8"),
        }
    }
}

/// The Service's SMTP port.
pub(super) fn check_service_port(values: &Values, r: &mut Report<'_>) {
    if values.service.port == 0 {
        r.error("service.port", "port 0 is not a valid port", "a port from 1 to 65535 (default 25)");
    }
}

/// Who can reach the relay's ports. `postfix.mynetworks` trusts every private address, so the
/// NetworkPolicy is what keeps port 25 to the listed clients and the hand-off port, which has
/// no client limits, to the relay's own pods.
pub(super) fn check_exposure(values: &Values, r: &mut Report<'_>) {
    let policy = &values.network_policy;
    if !policy.enabled {
        r.warning(
            "networkPolicy.enabled",
            "without the NetworkPolicy, every pod with an address in postfix.mynetworks can relay through port 25, \
             and through the queue hand-off port without client limits",
            "keep networkPolicy.enabled on a CNI that enforces it, or narrow postfix.mynetworks to your clients' and \
             the relay pods' networks",
        );
    }
    if values.service.kind != ServiceType::ClusterIP && !(policy.enabled && policy.ingress.enabled) {
        r.warning(
            "service.type",
            format!(
                "a {} Service without the NetworkPolicy's ingress rule makes an open relay: hosts outside the \
                 cluster reach port 25, and postfix.mynetworks trusts every private address (any host of the VPC, \
                 office or VPN network may relay)",
                values.service.kind.as_str()
            ),
            "keep networkPolicy.enabled and networkPolicy.ingress.enabled with peers that list your clients",
        );
    }
}

/// Every peer list of the NetworkPolicy. In Kubernetes an empty list, or an empty peer, means
/// "everyone": the opposite of what a user who wrote it meant, so both are refused.
pub(super) fn check_network_policy(values: &Values, r: &mut Report<'_>) {
    let policy = &values.network_policy;
    let lists: [(&str, &[Peer], bool, &str); 4] = [
        (
            "networkPolicy.ingress.from",
            &policy.ingress.from,
            policy.ingress.enabled,
            "at least one peer, or networkPolicy.ingress.enabled: false to open port 25 on purpose",
        ),
        (
            "networkPolicy.metrics.from",
            &policy.metrics.from,
            values.monitoring.enabled,
            "at least one peer that runs Prometheus, e.g. the monitoring namespace",
        ),
        (
            "networkPolicy.egress.dns",
            &policy.egress.dns,
            policy.egress.enabled,
            "the cluster DNS pods: Postfix must resolve the relayhost",
        ),
        (
            "networkPolicy.egress.relayhost",
            &policy.egress.relayhost,
            policy.egress.enabled,
            "where the relayhost may be, e.g. an ipBlock of 0.0.0.0/0 except the private ranges",
        ),
    ];
    for (path, peers, in_use, expected) in lists {
        if policy.enabled && in_use && peers.is_empty() {
            let whom = if path.contains(".egress.") { "every destination" } else { "every source" };
            r.error(path, format!("an empty list would admit {whom}"), expected);
        }
        for (i, peer) in peers.iter().enumerate() {
            // The peer's key path, built only for a diagnostic.
            let peer_path = || format!("{path}[{i}]");
            if peer.ip_block.is_some() && (peer.namespace_selector.is_some() || peer.pod_selector.is_some()) {
                r.error(&peer_path(), "ipBlock cannot be combined with a selector in one peer", "one peer per kind");
            }
            if peer.ip_block.is_none() && peer.namespace_selector.is_none() && peer.pod_selector.is_none() {
                // Kubernetes reads an empty peer as "every address": the opposite of the intent.
                r.error(&peer_path(), "the peer is empty", "namespaceSelector, podSelector or ipBlock");
            }
            if let Some(block) = &peer.ip_block {
                for cidr in std::iter::once(&block.cidr).chain(&block.except) {
                    if let Err(problem) = parse_cidr(cidr) {
                        r.error(&format!("{path}[{i}].ipBlock"), problem, "e.g. 10.0.0.0/8");
                    }
                }
            }
            for (kind, selector) in
                [("namespaceSelector", &peer.namespace_selector), ("podSelector", &peer.pod_selector)]
            {
                if let Some(selector) = selector {
                    check_labels(r, format_args!("{path}[{i}].{kind}.matchLabels"), selector.match_labels.iter(), true);
                }
            }
        }
    }
    for (i, cidr) in policy.egress.extra_dns_cidrs.iter().enumerate() {
        if let Err(problem) = parse_cidr(cidr) {
            r.error(&format!("networkPolicy.egress.extraDnsCidrs[{i}]"), problem, "e.g. 169.254.20.10/32");
        }
    }
}
