//! The relay's own rules on the typed values. All problems are collected, so one run shows them
//! all, and each points at the file, line and key that set the offending value. Syntax that
//! knows nothing of the relay (names, quantities, durations, CIDRs) is checked by
//! [`super::syntax`].

use std::fmt;
use std::net::IpAddr;

use super::model::{Exporter, IntOrPercent, MESSAGE_AGE_BUCKETS, ResourceList, Values};
use super::set::{Segment, escape_key, parse_path};
use super::syntax::{
    is_digest, is_dns_name, is_dns1123_label, is_dns1123_subdomain, is_fqdn, is_image_tag, is_label_key,
    is_label_value, is_postfix_time, is_prometheus_duration, is_prometheus_label_name, is_secret_key, parse_cidr,
    parse_quantity,
};
use super::tree::{Node, Value};
use crate::error::{Diagnostic, Layer, Origin};

/// The longest wait between two checks of the log file's size (`postfix.log.checkIntervalSeconds`).
const MAX_LOG_CHECK_INTERVAL_SECONDS: u32 = 3600;

/// The upstream smarthost Postfix relays to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayHost {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Bracketed (`[host]`): deliver to the host itself, no MX lookup.
    pub bracketed: bool,
}

impl fmt::Display for RelayHost {
    /// Postfix's `relayhost` syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bracketed {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Parses `[host]:port`, `host:port`, `[host]` or `host` (port 25 when absent, as Postfix does).
pub fn parse_relay_host(text: &str) -> Result<RelayHost, String> {
    let (host, bracketed, rest) = if let Some(inner) = text.strip_prefix('[') {
        let close = inner.find(']').ok_or("`[` without a closing `]`")?;
        (&inner[..close], true, &inner[close + 1..])
    } else {
        match text.rsplit_once(':') {
            Some((h, _)) => (h, false, &text[h.len()..]),
            None => (text, false, ""),
        }
    };
    let port = match rest {
        "" => 25,
        _ => {
            let digits = rest.strip_prefix(':').ok_or_else(|| format!("unexpected `{rest}` after the host"))?;
            match digits.parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => return Err(format!("port `{digits}` is not a number from 1 to 65535")),
            }
        }
    };
    match host.parse::<IpAddr>() {
        // Postfix writes an IPv6 relayhost as `[ipv6:…]`; a name works for every family.
        Ok(IpAddr::V6(_)) => {
            return Err(format!("`{host}` is an IPv6 address; give the relayhost by its host name instead"));
        }
        Ok(IpAddr::V4(_)) => {}
        Err(_) if !is_dns_name(host) => return Err(format!("`{host}` is not a valid host name or IP address")),
        Err(_) => {}
    }
    Ok(RelayHost { host: host.to_owned(), port, bracketed })
}

/// Finds the node at a key path such as `a.b[2].c` or `a.kubernetes\.io/os` (the deepest
/// node that exists on the way), to point diagnostics at it.
pub fn origin_of(tree: &Node, path: &str) -> Option<Origin> {
    let segments = parse_path(path).ok()?;
    let mut node = tree;
    let mut best = None;
    for segment in &segments {
        let next = match (&node.value, segment) {
            (Value::Map(map), Segment::Key(key)) => map.get(key.as_str()),
            (Value::Seq(items), Segment::Index(i)) => items.get(*i),
            _ => None,
        };
        let Some(next) = next else { break };
        node = next;
        best = Some(node.origin.clone());
    }
    best
}

/// Collects diagnostics with their origins.
struct Report<'t> {
    tree: &'t Node,
    diagnostics: Vec<Diagnostic>,
    /// The diagnostics (by index) that say a value itself is malformed: see [`Self::malformed`].
    malformed: Vec<usize>,
}

impl Report<'_> {
    /// An error in a value itself, rather than between values: what other rules say about the
    /// same key follows from it, so [`Self::finish`] keeps this error alone (one mistake, one
    /// error).
    fn malformed(&mut self, path: &str, message: impl Into<String>, expected: impl Into<String>) {
        self.malformed.push(self.diagnostics.len());
        self.error(path, message, expected);
    }

    /// The diagnostics, with only the first malformed-value error for each key that has one,
    /// and none about a value derived from a malformed mail domain (its error says it all).
    fn finish(self) -> Vec<Diagnostic> {
        let first_malformed =
            |path: &Option<String>| self.malformed.iter().copied().find(|i| self.diagnostics[*i].key_path == *path);
        let mail_domain = Some(format!("env.{}", super::derive::MAIL_DOMAIN));
        let derived_from_malformed = first_malformed(&mail_domain).is_some();
        let keep: Vec<bool> = self
            .diagnostics
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let derived = d.origin.as_ref().is_some_and(|o| o.source.layer == Layer::Derived);
                first_malformed(&d.key_path).is_none_or(|first| first == i) && !(derived && derived_from_malformed)
            })
            .collect();
        self.diagnostics.into_iter().zip(keep).filter_map(|(d, keep)| keep.then_some(d)).collect()
    }

    fn error(&mut self, path: &str, message: impl Into<String>, expected: impl Into<String>) {
        let origin = origin_of(self.tree, path);
        self.diagnostics.push(Diagnostic::error(message).at(path).origin(origin).expected(expected));
    }

    fn warning(&mut self, path: &str, message: impl Into<String>, help: impl Into<String>) {
        let origin = origin_of(self.tree, path);
        self.diagnostics.push(Diagnostic::warning(message).at(path).origin(origin).help(help));
    }

    fn layer(&self, path: &str) -> Option<Layer> {
        origin_of(self.tree, path).map(|o| o.source.layer)
    }
}

/// `--strict`: every warning becomes an error, with a note saying why.
pub fn strict(warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    warnings
        .into_iter()
        .map(|mut d| {
            d.severity = crate::error::Severity::Error;
            let note = "an error because of --strict";
            d.help = Some(d.help.map_or_else(|| note.to_owned(), |h| format!("{h} ({note})")));
            d
        })
        .collect()
}

/// Checks the values; returns the reconciled relayhost (when valid) and every diagnostic.
pub fn validate(values: &Values, tree: &Node) -> (Option<RelayHost>, Vec<Diagnostic>) {
    let mut r = Report { tree, diagnostics: Vec::new(), malformed: Vec::new() };
    let relay_host = check_relay_host(values, &mut r);

    // Services need a DNS label that starts with a letter; a StatefulSet's pods add `-N` and
    // its revisions a 10-character hash to the name, within a label's 63 characters.
    let name = &values.name;
    if !(is_dns1123_label(name) && name.len() <= 52 && name.starts_with(|c: char| c.is_ascii_lowercase())) {
        r.error(
            "name",
            format!("`{name}` is not a valid release name"),
            "lower-case letters, digits and `-`, starting with a letter, at most 52 characters, e.g. postfix-relay",
        );
    }
    if !is_dns1123_label(&values.namespace) {
        r.error(
            "namespace",
            format!("`{}` is not a valid namespace name", values.namespace),
            "lower-case letters, digits and `-`, at most 63 characters, e.g. email-server-prod",
        );
    }
    check_image(&mut r, "image", &values.image);
    if values.monitoring.enabled {
        check_image(&mut r, "monitoring.exporter.image", &values.monitoring.exporter.image);
    }

    let env = &values.env;
    if !is_fqdn(&env.maildomain) {
        r.malformed(
            "env.maildomain",
            format!("`{}` is not a domain name", env.maildomain),
            "a domain such as example.com",
        );
    }
    if !is_fqdn(&env.server_hostname) {
        r.error(
            "env.SERVER_HOSTNAME",
            format!("`{}` is not a fully qualified host name", env.server_hostname),
            "an FQDN in your mail domain, e.g. mail.example.com (the upstream checks the HELO name)",
        );
    }
    for domain in &env.allowed_sender_domains.0 {
        if !is_fqdn(domain) {
            r.error(
                "env.ALLOWED_SENDER_DOMAINS",
                format!("`{domain}` is not a domain name"),
                "domains such as example.com, comma-separated or as a list",
            );
        }
    }

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
    if values.postfix.message_size_limit == 0 {
        r.error(
            "postfix.messageSizeLimit",
            "0 would make the message size unlimited",
            "a size in bytes at or below the upstream's limit (Gmail: 25 MB)",
        );
    }
    check_queue_space(values, &mut r);
    let ca_file = &values.postfix.tls.ca_file;
    // The path lands verbatim in main.cf: whitespace or a newline would inject settings.
    if !ca_file.starts_with('/') || ca_file.chars().any(|c| c.is_whitespace() || c.is_control()) {
        r.error(
            "postfix.tls.caFile",
            "the CA file must be an absolute path without spaces",
            "e.g. /etc/ssl/certs/ca-certificates.crt",
        );
    }
    if relay_host.as_ref().is_some_and(|h| h.port == 465)
        && values.postfix.tls.security_level == super::model::TlsSecurityLevel::May
    {
        r.error(
            "postfix.tls.securityLevel",
            "port 465 speaks TLS from the first byte, which Postfix only does with mandatory TLS",
            "encrypt, verify or secure (or relay to port 587 with STARTTLS)",
        );
    }
    if values.service.port == 0 {
        r.error("service.port", "port 0 is not a valid port", "a port from 1 to 65535 (default 25)");
    }
    check_exposure(values, &mut r);

    check_workload(values, &mut r);
    check_relay_policy(values, &mut r);
    check_resources(&mut r, "resources", &values.resources.requests, &values.resources.limits);
    if values.monitoring.enabled {
        let res = &values.monitoring.exporter.resources;
        check_resources(&mut r, "monitoring.exporter.resources", &res.requests, &res.limits);
    }
    check_monitoring(values, &mut r);
    check_labels(&mut r, "deployment.podAnnotations", values.deployment.pod_annotations.iter(), false);
    if values.deployment.pod_annotations.contains_key("checksum/config") {
        r.error(
            "deployment.podAnnotations",
            "`checksum/config` is reserved: relaygen sets it to the ConfigMap's hash so config changes roll the pods",
            "another annotation key",
        );
    }
    check_labels(&mut r, "serviceAccount.annotations", values.service_account.annotations.iter(), false);
    check_labels(&mut r, "deployment.nodeSelector", values.deployment.node_selector.iter(), true);
    check_network_policy(values, &mut r);
    (relay_host, r.finish())
}

/// Who can reach the relay's ports. `postfix.mynetworks` trusts every private address, so the
/// NetworkPolicy is what keeps port 25 to the listed clients and the hand-off port, which has
/// no client limits, to the relay's own pods.
fn check_exposure(values: &Values, r: &mut Report<'_>) {
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
    if values.service.kind != super::model::ServiceType::ClusterIP && !(policy.enabled && policy.ingress.enabled) {
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
fn check_network_policy(values: &Values, r: &mut Report<'_>) {
    let policy = &values.network_policy;
    let lists: [(&str, &[super::model::Peer], bool, &str); 4] = [
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

fn check_relay_host(values: &Values, r: &mut Report<'_>) -> Option<RelayHost> {
    let env = &values.env;
    let from_relayhost = match parse_relay_host(&env.relayhost) {
        Ok(h) => h,
        Err(why) => {
            r.error(
                "env.relayhost",
                format!("`{}` is not a valid relayhost: {why}", env.relayhost),
                "[host]:port, e.g. [smtp-relay.gmail.com]:587",
            );
            return None;
        }
    };
    if env.smtp_server.is_none() && env.smtp_port.is_none() {
        if !from_relayhost.bracketed {
            let RelayHost { host, port, .. } = &from_relayhost;
            r.warning(
                "env.relayhost",
                format!(
                    "`{}` has no [brackets]: Postfix looks up the MX records of `{host}` and delivers to the servers \
                     they name, on port {port}{}",
                    env.relayhost,
                    if *port == 25 {
                        ", which most clouds block (the NetworkPolicy opens egress on port 25)"
                    } else {
                        ""
                    }
                ),
                format!("[{host}]:587 delivers to that host itself (STARTTLS; [{host}]:465 for implicit TLS)"),
            );
        }
        return Some(from_relayhost);
    }
    let host = env.smtp_server.clone().unwrap_or_else(|| from_relayhost.host.clone());
    if !is_dns_name(&host) && host.parse::<IpAddr>().is_err() {
        r.error(
            "env.SMTP_SERVER",
            format!("`{host}` is not a valid host name"),
            "a host name such as smtp-relay.gmail.com",
        );
        return None;
    }
    let port = env.smtp_port.unwrap_or(from_relayhost.port);
    if port == 0 {
        r.error("env.SMTP_PORT", "port 0 is not a valid port", "a port from 1 to 65535, e.g. 587");
        return None;
    }
    let from_parts = RelayHost { host, port, bracketed: true };
    // One source of truth: SMTP_SERVER/SMTP_PORT may replace the built-in relayhost, but when
    // the user set both spellings they must say the same thing.
    let relayhost_is_users = r.layer("env.relayhost").is_some_and(Layer::is_users);
    if !relayhost_is_users {
        return Some(from_parts);
    }
    if from_parts.host == from_relayhost.host && from_parts.port == from_relayhost.port {
        return Some(from_relayhost);
    }
    let path = if env.smtp_server.as_deref().is_some_and(|s| s != from_relayhost.host) {
        "env.SMTP_SERVER"
    } else {
        "env.SMTP_PORT"
    };
    let relayhost_origin = origin_of(r.tree, "env.relayhost").map_or_else(String::new, |o| format!(" (set at {o})"));
    r.error(
        path,
        format!(
            "SMTP_SERVER/SMTP_PORT say {}:{} but env.relayhost says {}{relayhost_origin}",
            from_parts.host, from_parts.port, env.relayhost
        ),
        "set either env.relayhost or env.SMTP_SERVER/env.SMTP_PORT, or make them agree",
    );
    None
}

/// How a layer is named in messages.
fn layer_name(layer: Layer) -> &'static str {
    match layer {
        Layer::Defaults => "the built-in defaults",
        Layer::Derived => "a derived default",
        Layer::Profile => "the profile",
        Layer::File => "a -f file",
        Layer::Set => "--set",
    }
}

fn check_image(r: &mut Report<'_>, path: &str, image: &super::model::Image) {
    // Key paths are only built for a diagnostic (this runs on every load).
    let tag_path = || format!("{path}.tag");
    let digest_path = || format!("{path}.digest");
    // One place for a digest: `repo:tag@sha256:…` spelled inside the tag or repository would
    // hide it from the checks below (and from anyone reading the values).
    for (field, text) in [("tag", &image.tag), ("repository", &image.repository)] {
        if let Some((_, digest)) = text.split_once('@') {
            let digest_path = digest_path();
            let at = format!("{path}.{field}");
            r.error(
                &at,
                format!("`@{digest}` pins a digest inside {at}"),
                format!("the digest alone in {digest_path} (e.g. sha256:…), without the `@`"),
            );
        }
    }
    let tag = image.tag.as_str();
    if !tag.is_empty() && !tag.contains('@') && !is_image_tag(tag) {
        r.error(
            &tag_path(),
            format!("`{tag}` is not a valid image tag"),
            "letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`",
        );
    }
    if !image.digest.is_empty() && !is_digest(&image.digest) {
        r.error(&digest_path(), format!("`{}` is not an image digest", image.digest), "sha256: and 64 hex digits");
    }
    // A digest wins over the tag at pull time: a newer layer that changes only the tag would
    // relabel the pods with a version they do not run.
    if !image.digest.is_empty()
        && let (Some(tag_layer), Some(digest_layer)) = (r.layer(&tag_path()), r.layer(&digest_path()))
        && tag_layer > digest_layer
    {
        r.error(
            &tag_path(),
            format!(
                "the tag comes from {}, but {path}.digest ({}) from {} still pins the old image: the pods would \
                 keep running it under the new version label",
                layer_name(tag_layer),
                image.digest,
                layer_name(digest_layer)
            ),
            format!(
                "set {path}.digest to the new tag's digest alongside the tag, or clear it (--set-string {path}.digest=)"
            ),
        );
    }
    if image.mutable_tag() {
        let what = if tag.is_empty() { "no image tag".to_owned() } else { format!("image tag `{tag}`") };
        // A re-push leaves the rendered spec byte-identical: nothing rolls the running pods.
        let pulls = match image.pull_policy() {
            super::model::PullPolicy::Always => "new pods pull what it names then, running ones keep theirs",
            _ => "a node that has an older image keeps running it",
        };
        r.warning(
            &tag_path(),
            format!("{what} and no digest is a mutable tag: a re-push rolls no pod; {pulls}"),
            format!("pin a digest in {} (or a release tag such as v5.1.0)", digest_path()),
        );
    } else if image.digest.is_empty() {
        // relaygen ships no digest it could not verify; production pins its own (--strict).
        let reference = format!("{}:{tag}", image.repository);
        r.warning(
            &digest_path(),
            format!("{reference} is pinned by tag only, not by digest"),
            format!(
                "a re-pushed tag changes what new pods run; set the digest you verified: --set {}=sha256:… \
                 (where to read it: relaygen explain {})",
                digest_path(),
                digest_path()
            ),
        );
    }
}

fn check_workload(values: &Values, r: &mut Report<'_>) {
    let deployment = &values.deployment;
    if deployment.topology_spread.enabled && deployment.topology_spread.max_skew < 1 {
        r.error(
            "deployment.topologySpread.maxSkew",
            format!("maxSkew is {}", deployment.topology_spread.max_skew),
            "at least 1",
        );
    }
    let priority = &deployment.priority_class_name;
    if !priority.is_empty() && !is_dns1123_subdomain(priority) {
        r.error(
            "deployment.priorityClassName",
            format!("`{priority}` is not a PriorityClass name"),
            "a PriorityClass name, or empty for the cluster default",
        );
    }
    if deployment.replicas < 1 {
        r.error("deployment.replicas", format!("replicas is {}", deployment.replicas), "at least 1");
    }
    if deployment.termination_grace_period_seconds < 0 {
        r.error(
            "deployment.terminationGracePeriodSeconds",
            "a negative grace period",
            "seconds, 0 or more (default 120)",
        );
    }
    for (path, value) in [
        ("deployment.strategy.rollingUpdate.maxUnavailable", &deployment.strategy.rolling_update.max_unavailable),
        ("deployment.strategy.rollingUpdate.maxSurge", &deployment.strategy.rolling_update.max_surge),
    ] {
        check_int_or_percent(r, path, value);
    }
    let rolling = &deployment.strategy.rolling_update;
    let zero =
        |v: &IntOrPercent| matches!(v, IntOrPercent::Int(0)) || matches!(v, IntOrPercent::Percent(p) if p == "0%");
    if zero(&rolling.max_unavailable) && zero(&rolling.max_surge) {
        r.error(
            "deployment.strategy.rollingUpdate.maxSurge",
            "maxSurge and maxUnavailable are both 0, so a rollout can never make progress",
            "at least one of them above 0",
        );
    }
    let scaling = &values.autoscaling;
    if scaling.enabled {
        if scaling.min_replicas < 1 {
            r.error("autoscaling.minReplicas", format!("minReplicas is {}", scaling.min_replicas), "at least 1");
        }
        if scaling.max_replicas < scaling.min_replicas {
            r.error(
                "autoscaling.maxReplicas",
                format!("maxReplicas ({}) is below minReplicas ({})", scaling.max_replicas, scaling.min_replicas),
                "maxReplicas ≥ minReplicas",
            );
        }
        let down = &scaling.scale_down;
        if !(0..=3600).contains(&down.stabilization_window_seconds) {
            r.error(
                "autoscaling.scaleDown.stabilizationWindowSeconds",
                format!("{} s is outside what Kubernetes accepts", down.stabilization_window_seconds),
                "0 to 3600 seconds, e.g. 300",
            );
        }
        let drain =
            i64::from(values.shutdown.pre_stop_delay_seconds) + i64::from(values.shutdown.drain_timeout_seconds);
        if !(1..=1800).contains(&down.period_seconds) {
            r.error(
                "autoscaling.scaleDown.periodSeconds",
                format!("{} s is outside what Kubernetes accepts", down.period_seconds),
                "1 to 1800 seconds",
            );
        } else if i64::from(down.period_seconds) < drain {
            r.error(
                "autoscaling.scaleDown.periodSeconds",
                format!(
                    "the autoscaler may remove a pod every {} s, but each pod drains for up to {drain} s \
                     (shutdown.preStopDelaySeconds + shutdown.drainTimeoutSeconds): drains would overlap",
                    down.period_seconds
                ),
                format!("at least {drain} seconds"),
            );
        }
        if scaling.target_cpu_utilization_percentage < 1 {
            r.error(
                "autoscaling.targetCPUUtilizationPercentage",
                "the CPU target must be positive",
                "a percentage such as 80",
            );
        }
        if values.resources.requests.cpu.is_none() {
            r.error(
                "resources.requests.cpu",
                "the autoscaler scales on CPU, but no CPU request is set",
                "a CPU request such as 100m",
            );
        }
    }
    let pdb = &values.pod_disruption_budget;
    if pdb.enabled {
        check_int_or_percent(r, "podDisruptionBudget.minAvailable", &pdb.min_available);
        let fewest = if scaling.enabled { scaling.min_replicas } else { deployment.replicas };
        let blocks = match &pdb.min_available {
            IntOrPercent::Int(n) => *n >= fewest,
            // Kubernetes rounds a percentage of minAvailable up: 60% of 2 pods is 2.
            IntOrPercent::Percent(p) => p
                .strip_suffix('%')
                .and_then(|n| n.parse::<i64>().ok())
                .is_some_and(|percent| (percent * i64::from(fewest) + 99) / 100 >= i64::from(fewest)),
        };
        if blocks {
            r.error(
                "podDisruptionBudget.minAvailable",
                format!(
                    "minAvailable {} with {fewest} pod(s) would block every voluntary eviction (node drains hang)",
                    match &pdb.min_available {
                        IntOrPercent::Int(n) => n.to_string(),
                        IntOrPercent::Percent(p) => p.clone(),
                    }
                ),
                "fewer than the smallest replica count",
            );
        }
    }
}

fn check_int_or_percent(r: &mut Report<'_>, path: &str, value: &IntOrPercent) {
    match value {
        IntOrPercent::Int(n) if *n < 0 => {
            r.error(path, format!("{n} is negative"), "0 or more, or a percentage such as 25%")
        }
        IntOrPercent::Percent(p) if p.trim_end_matches('%').parse::<u32>().is_ok_and(|n| n > 100) => {
            r.error(path, format!("{p} is more than 100%"), "a percentage from 0% to 100%");
        }
        _ => {}
    }
}

fn check_resources(r: &mut Report<'_>, path: &str, requests: &ResourceList, limits: &ResourceList) {
    for (kind, list) in [("requests", requests), ("limits", limits)] {
        for (name, quantity) in
            [("cpu", &list.cpu), ("memory", &list.memory), ("ephemeral-storage", &list.ephemeral_storage)]
        {
            let Some(q) = quantity else { continue };
            match parse_quantity(q) {
                None => r.malformed(
                    &format!("{path}.{kind}.{name}"),
                    format!("`{q}` is not a Kubernetes quantity"),
                    if name == "cpu" { "e.g. 100m or 0.5" } else { "e.g. 128Mi or 1Gi" },
                ),
                // A number without a unit is bytes: `512` for 512Mi is a unit left out.
                Some(bytes)
                    if name != "cpu"
                        && bytes > 0.0
                        && bytes < 1024.0 * 1024.0
                        && q.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    r.malformed(
                        &format!("{path}.{kind}.{name}"),
                        format!("`{q}` has no unit, so it is {q} bytes, too little for any container"),
                        format!("a unit: {q}Mi (or {q}Gi)"),
                    )
                }
                Some(_) => {}
            }
        }
    }
    for (name, request, limit) in [
        ("cpu", &requests.cpu, &limits.cpu),
        ("memory", &requests.memory, &limits.memory),
        ("ephemeral-storage", &requests.ephemeral_storage, &limits.ephemeral_storage),
    ] {
        if let (Some(req), Some(lim)) = (request, limit)
            && let (Some(a), Some(b)) = (parse_quantity(req), parse_quantity(lim))
            && a > b
        {
            // Point at whichever of the two was written last (higher layer): that is the
            // user's line, not the default the user did not touch.
            let (request_path, limit_path) = (format!("{path}.requests.{name}"), format!("{path}.limits.{name}"));
            let at = if r.layer(&limit_path) > r.layer(&request_path) { limit_path } else { request_path };
            r.error(&at, format!("the {name} request {req} is above the limit {lim}"), "requests ≤ limits");
        }
    }
}

fn check_monitoring(values: &Values, r: &mut Report<'_>) {
    let m = &values.monitoring;
    if !m.enabled {
        return;
    }
    if m.service.port == 0 {
        r.error("monitoring.service.port", "port 0 is not a valid port", "a port from 1 to 65535 (default 8080)");
    }
    if !is_prometheus_duration(&m.service_monitor.interval) {
        r.error(
            "monitoring.serviceMonitor.interval",
            format!("`{}` is not a duration", m.service_monitor.interval),
            "e.g. 30s or 1m",
        );
    }
    if !m.service_monitor.path.starts_with('/') {
        r.error("monitoring.serviceMonitor.path", "the metrics path must start with /", "e.g. /metrics");
    }
    check_exporter_ids(&m.exporter, r);
    let pr = &m.prometheus_rule;
    let alerts = &pr.alerts;
    let plain = [("relayDown", &alerts.relay_down), ("exporterDown", &alerts.exporter_down)];
    let thresholds = [
        ("highQueue", &alerts.high_queue),
        ("highBounceRate", &alerts.high_bounce_rate),
        ("deferredQueueGrowing", &alerts.deferred_queue_growing),
        ("oldMessages", &alerts.old_messages),
        ("relayhostUnreachable", &alerts.relayhost_unreachable),
    ];
    let settings = plain
        .iter()
        .map(|(n, a)| (*n, &a.for_duration, &a.severity))
        .chain(thresholds.iter().map(|(n, a)| (*n, &a.for_duration, &a.severity)));
    for (name, duration, severity) in settings {
        let path = "monitoring.prometheusRule.alerts";
        if !is_prometheus_duration(duration) {
            r.error(&format!("{path}.{name}.for"), format!("`{duration}` is not a duration"), "e.g. 5m");
        }
        if !is_label_value(severity) || severity.is_empty() {
            r.error(
                &format!("{path}.{name}.severity"),
                format!("`{severity}` is not a valid label value"),
                "e.g. critical or warning",
            );
        }
    }
    for (name, alert) in thresholds {
        if !alert.threshold.is_finite() || alert.threshold < 0.0 {
            let path = format!("monitoring.prometheusRule.alerts.{name}.threshold");
            r.error(&path, format!("the threshold {} is not a number of 0 or more", alert.threshold), "0 or more");
        }
    }
    let age = alerts.old_messages.threshold;
    if alerts.old_messages.enabled && age.is_finite() && !MESSAGE_AGE_BUCKETS.contains(&age) {
        r.error(
            "monitoring.prometheusRule.alerts.oldMessages.threshold",
            format!("{age} seconds is not a bucket bound of the exporter's message age histogram"),
            "one of 10, 100, 1000, 10000 (2h46m40s), 100000 (1d3h46m40s), 1000000, 10000000, 100000000",
        );
    }
    for key in pr.alert_labels.keys() {
        if key == "severity" {
            r.error(
                &format!("monitoring.prometheusRule.alertLabels.{key}"),
                "`severity` is set per alert",
                "monitoring.prometheusRule.alerts.NAME.severity",
            );
        } else if !is_prometheus_label_name(key) {
            r.error(
                &format!("monitoring.prometheusRule.alertLabels.{key}"),
                format!("`{key}` is not a Prometheus label name"),
                "letters, digits and `_`, not starting with a digit or `__`, e.g. team",
            );
        }
    }
    let url = &pr.runbook_url;
    let scheme_ok = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('#') && rest.chars().all(|c| c.is_ascii_graphic()));
    if pr.enabled && !scheme_ok {
        r.error(
            "monitoring.prometheusRule.runbookUrl",
            format!("`{url}` is not an http(s) URL without a fragment"),
            "e.g. https://wiki.example.com/runbooks/postfix-relay (each alert appends #alertname)",
        );
    }
    if m.dashboard.enabled && !pr.enabled {
        r.error(
            "monitoring.dashboard.enabled",
            "the dashboard draws series the PrometheusRule records, but the PrometheusRule is off",
            "monitoring.prometheusRule.enabled=true, or monitoring.dashboard.enabled=false",
        );
    }
    check_labels(r, "monitoring.serviceMonitor.labels", m.service_monitor.labels.iter(), true);
    check_labels(r, "monitoring.prometheusRule.labels", m.prometheus_rule.labels.iter(), true);
    check_labels(r, "monitoring.dashboard.labels", m.dashboard.labels.iter(), true);
    check_labels(r, "monitoring.dashboard.annotations", m.dashboard.annotations.iter(), false);
}

/// The exporter must run as a non-root user and group (Pod Security `restricted`).
fn check_exporter_ids(exporter: &Exporter, r: &mut Report<'_>) {
    if !(1..=i64::from(u32::MAX)).contains(&exporter.run_as_user) {
        r.error(
            "monitoring.exporter.runAsUser",
            format!("{} is not a non-root user ID", exporter.run_as_user),
            "a UID from 1 to 4294967295; 10000 or more keeps clear of the node's users (default 65534)",
        );
    }
    if !(1..=i64::from(u32::MAX)).contains(&exporter.run_as_group) {
        r.error(
            "monitoring.exporter.runAsGroup",
            format!("{} is not a non-root group ID", exporter.run_as_group),
            "a GID from 1 to 4294967295; 10000 or more keeps clear of the node's groups (default 65534)",
        );
    }
}

/// Checks the keys of a label or annotation map, and with `check_values` its values (labels).
fn check_labels<'a>(
    r: &mut Report<'_>,
    path: impl std::fmt::Display,
    entries: impl Iterator<Item = (&'a String, &'a String)>,
    check_values: bool,
) {
    for (key, value) in entries {
        // The key path is only built for an error (this runs for every label of every load).
        let at = || format!("{path}.{}", escape_key(key));
        if !is_label_key(key) {
            r.error(&at(), format!("`{key}` is not a valid Kubernetes key"), "[prefix/]name, e.g. example.com/team");
        }
        if check_values && !is_label_value(value) {
            r.error(
                &at(),
                format!("`{value}` is not a valid label value"),
                "at most 63 letters, digits, `-`, `_` or `.`",
            );
        }
    }
}

/// Who may relay, how the relayhost is reached, where the queue lives and how pods stop.
/// The queue's space and the reserve below which Postfix refuses new mail (452 4.3.1): the
/// reserve holds Postfix's own rule (at least 1.5 × the largest message), the space one largest
/// message above the reserve, and an in-memory queue fits the Postfix container's memory.
fn check_queue_space(values: &Values, r: &mut Report<'_>) {
    const MIB: f64 = 1024.0 * 1024.0;
    let queue = &values.queue;
    let message = values.postfix.message_size_limit as f64;
    let quantity = |r: &mut Report<'_>, path: &str, text: &str| {
        let bytes = parse_quantity(text);
        if bytes.is_none_or(|b| b <= 0.0) {
            r.malformed(path, format!("`{text}` is not a positive Kubernetes quantity"), "e.g. 128Mi or 1Gi");
        }
        bytes.filter(|b| *b > 0.0)
    };
    let (space_path, space_text) = if queue.persistence.enabled {
        ("queue.persistence.size", queue.persistence.size.as_str())
    } else {
        ("queue.sizeLimit", queue.size_limit.as_str())
    };
    let (Some(min_free), Some(space)) =
        (quantity(r, "queue.minFree", &queue.min_free), quantity(r, space_path, space_text))
    else {
        return;
    };
    // Postfix refuses all SMTP mail below 1.5 × message_size_limit of free space; port 25 stops
    // at queue.minFree, so the space between is the reserve that hand-offs and bounces use. It
    // must hold at least one message of the largest size.
    let least = 2.5 * message;
    if min_free < least {
        r.error(
            "queue.minFree",
            format!(
                "{} is below 2.5 × postfix.messageSizeLimit ({:.1} MiB): Postfix's own floor of 1.5 × and a reserve \
                 for at least one message that a draining pod hands over, or a bounce",
                queue.min_free,
                least / MIB
            ),
            format!("at least {}Mi", (least / MIB).ceil()),
        );
    } else if space < min_free + message {
        r.error(
            space_path,
            format!(
                "{space_text} leaves no room for one message of postfix.messageSizeLimit above queue.minFree ({})",
                queue.min_free
            ),
            format!("at least {}Mi", ((min_free + message) / MIB).ceil() + 1.0),
        );
    }
    if !queue.persistence.enabled
        && let Some(limit) = values.resources.limits.memory.as_deref().and_then(parse_quantity)
        && limit < space + 64.0 * MIB
    {
        r.error(
            "resources.limits.memory",
            format!(
                "the queue lives in the Postfix container's memory: {} of queue and Postfix itself do not fit \
                 in {}",
                queue.size_limit,
                values.resources.limits.memory.as_deref().unwrap_or_default()
            ),
            format!(
                "at least {}Mi (queue.sizeLimit + 64Mi), or a smaller queue.sizeLimit",
                ((space + 64.0 * MIB) / MIB).ceil()
            ),
        );
    }
    let log = f64::from(values.postfix.log.max_file_size_mib) * MIB;
    if let Some(limit) = values.resources.limits.ephemeral_storage.as_deref().and_then(parse_quantity)
        && limit < log + 64.0 * MIB
    {
        r.error(
            "resources.limits.ephemeral-storage",
            format!(
                "the log file alone may reach postfix.log.maxFileSizeMib ({} MiB): the pod would be evicted",
                values.postfix.log.max_file_size_mib
            ),
            format!("at least {}Mi", values.postfix.log.max_file_size_mib + 64),
        );
    }
}

fn check_relay_policy(values: &Values, r: &mut Report<'_>) {
    let postfix = &values.postfix;
    let domains = &values.env.allowed_sender_domains.0;
    match (domains.is_empty(), postfix.allow_all_sender_domains) {
        (true, false) => r.error(
            "env.ALLOWED_SENDER_DOMAINS",
            "no allowed sender domains: every envelope sender would be relayed",
            "your sending domains (e.g. example.com), or postfix.allowAllSenderDomains: true to relay any sender",
        ),
        (false, true) => r.error(
            "postfix.allowAllSenderDomains",
            "allowAllSenderDomains is true, but env.ALLOWED_SENDER_DOMAINS lists domains",
            "either a list of domains or allowAllSenderDomains: true with an empty list, not both",
        ),
        _ => {}
    }
    let maildomain = &values.env.maildomain;
    if !domains.is_empty() && !domains.iter().any(|d| d.eq_ignore_ascii_case(maildomain)) {
        let list_origin =
            origin_of(r.tree, "env.ALLOWED_SENDER_DOMAINS").map_or_else(String::new, |o| format!(" (set at {o})"));
        r.warning(
            "env.maildomain",
            format!(
                "the mail domain `{maildomain}` is not an allowed sender domain{list_origin}: the relay refuses its \
                 mail with 5.7.1"
            ),
            "add it to env.ALLOWED_SENDER_DOMAINS, or leave that key unset to follow env.maildomain",
        );
    }

    let limits = &postfix.rate_limits;
    if limits.connection_count_limit == 0 {
        r.error(
            "postfix.rateLimits.connectionCountLimit",
            "0 would allow unlimited simultaneous connections per client",
            "a limit such as 50 (Postfix's default)",
        );
    }
    if !is_postfix_time(&limits.time_unit) {
        r.error(
            "postfix.rateLimits.timeUnit",
            format!("`{}` is not a Postfix time", limits.time_unit),
            "a number with a unit s, m, h, d or w, e.g. 60s",
        );
    }

    let sasl = &postfix.sasl;
    if sasl.enabled {
        if sasl.secret_name.is_empty() {
            r.error(
                "postfix.sasl.secretName",
                "SASL is enabled, but no Secret with the credentials is named",
                "the name of an existing Secret in the release namespace, e.g. relay-credentials",
            );
        } else if !is_dns1123_subdomain(&sasl.secret_name) {
            r.error(
                "postfix.sasl.secretName",
                format!("`{}` is not a Secret name", sasl.secret_name),
                "the name of an existing Secret in the release namespace, e.g. relay-credentials",
            );
        }
        for (path, key) in
            [("postfix.sasl.usernameKey", &sasl.username_key), ("postfix.sasl.passwordKey", &sasl.password_key)]
        {
            if !is_secret_key(key) {
                r.error(
                    path,
                    format!("`{key}` is not a Secret key"),
                    "letters, digits, `-`, `_` and `.`, e.g. password",
                );
            }
        }
        if sasl.username_key == sasl.password_key {
            r.error(
                "postfix.sasl.passwordKey",
                "the user name and the password come from the same Secret key",
                "two different keys, e.g. username and password",
            );
        }
        if !postfix.tls.security_level.authenticates_upstream() {
            r.error(
                "postfix.tls.securityLevel",
                format!(
                    "with SASL on, `{}` would give the relay's password to any host on the path that \
                     answers for the relayhost",
                    postfix.tls.security_level.as_str()
                ),
                "verify or secure: the relayhost's certificate checked against the CA bundle",
            );
        }
    } else if !postfix.tls.security_level.authenticates_upstream() {
        r.warning(
            "postfix.tls.securityLevel",
            format!(
                "`{}` does not check the relayhost's certificate: anyone on the path can read the mail",
                postfix.tls.security_level.as_str()
            ),
            "secure (the default) or verify; keep a lower level only for an upstream with a self-signed \
             certificate, or put its CA in postfix.tls.caFile",
        );
    }
    if postfix.log.max_file_size_mib == 0 {
        r.error("postfix.log.maxFileSizeMib", "a 0 MiB log file would be emptied constantly", "MiB, e.g. 64");
    }
    let interval = postfix.log.check_interval_seconds;
    if interval == 0 || interval > MAX_LOG_CHECK_INTERVAL_SECONDS {
        let problem = if interval == 0 {
            "0 seconds would check the log file's size without pause"
        } else {
            "checking less often than hourly lets the log file outgrow its limit by more than an hour of logs"
        };
        r.error("postfix.log.checkIntervalSeconds", problem, "1 to 3600 seconds, e.g. 60");
    }

    let persistence = &values.queue.persistence;
    if persistence.enabled {
        if values.deployment.strategy.kind == super::model::StrategyType::Recreate {
            r.error(
                "deployment.strategy.type",
                "a persistent queue renders a StatefulSet, which has no Recreate strategy",
                "RollingUpdate (the StatefulSet replaces one pod at a time)",
            );
        }
        // The size itself is checked with the queue's space (check_queue_space).
        let class = &persistence.storage_class_name;
        if !class.is_empty() && !is_dns1123_subdomain(class) {
            r.error(
                "queue.persistence.storageClassName",
                format!("`{class}` is not a StorageClass name"),
                "a StorageClass name, or empty for the cluster's default",
            );
        }
    }

    let shutdown = &values.shutdown;
    let grace = values.deployment.termination_grace_period_seconds;
    // The kubelet's grace period covers the preStop hook and Postfix's own exit; leave 10 s
    // for the latter, or SIGKILL cuts a delivery short.
    let needed = i64::from(shutdown.pre_stop_delay_seconds) + i64::from(shutdown.drain_timeout_seconds) + 10;
    if grace >= 0 && needed > grace {
        r.error(
            "shutdown.drainTimeoutSeconds",
            format!(
                "preStopDelaySeconds + drainTimeoutSeconds + 10 s for Postfix to stop is {needed} s, \
                 longer than deployment.terminationGracePeriodSeconds ({grace} s)"
            ),
            format!("drainTimeoutSeconds at most {}", (grace - 10 - i64::from(shutdown.pre_stop_delay_seconds)).max(0)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_hosts_in_every_postfix_form() {
        let h = parse_relay_host("[smtp-relay.gmail.com]:587").expect("valid");
        assert_eq!((h.host.as_str(), h.port, h.bracketed), ("smtp-relay.gmail.com", 587, true));
        let h = parse_relay_host("mx.example.com").expect("valid");
        assert_eq!((h.port, h.bracketed), (25, false));
        assert_eq!(parse_relay_host("[10.0.0.1]:465").expect("valid").to_string(), "[10.0.0.1]:465");
        for bad in
            ["[smtp.example.com:587", "[smtp.example.com]:0", "[smtp.example.com]:99999", "bad host:25", "[x]587", ""]
        {
            assert!(parse_relay_host(bad).is_err(), "{bad} should be rejected");
        }
    }
}
