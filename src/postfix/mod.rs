//! Postfix's own files — `main.cf`, `master.cf`, lookup tables and the container scripts —
//! rendered with minijinja from templates compiled into the binary.
//!
//! Kubernetes objects never pass through a template; only these files do.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::values::Resolved;
use crate::values::model::{InetProtocols, RateLimits, Sasl};

/// Where things live in the pod. The Deployment's mounts and the scripts share these.
pub(crate) mod paths {
    /// The ConfigMap's read-only mount.
    pub(crate) const CONFIG_MOUNT: &str = "/config";
    /// Postfix's default configuration directory (an emptyDir filled by the init container).
    pub(crate) const ETC_POSTFIX: &str = "/etc/postfix";
    /// Where the init container sees that emptyDir.
    pub(crate) const ETC_POSTFIX_STAGING: &str = "/staging/etc-postfix";
    /// The queue.
    pub(crate) const SPOOL: &str = "/var/spool/postfix";
    /// Postfix's `data_directory`.
    pub(crate) const DATA: &str = "/var/lib/postfix";
    /// Directory of the shared log file.
    pub(crate) const LOG_DIR: &str = "/var/log/postfix";
    /// The log file Postfix writes and the exporter reads.
    pub(crate) const MAILLOG_FILE: &str = "/var/log/postfix/mail.log";
    /// Scratch space.
    pub(crate) const TMP: &str = "/tmp";
    /// Where the init container sees the relayhost credentials Secret (only it mounts them).
    pub(crate) const SASL_SECRET: &str = "/secrets/relayhost-sasl";
}

/// ConfigMap keys of the container scripts.
pub(crate) const INIT_SCRIPT: &str = "init-config.sh";
/// ConfigMap key of the Postfix container's entrypoint.
pub(crate) const START_SCRIPT: &str = "start.sh";
/// ConfigMap key of the startup and readiness probe (needs bash for `/dev/tcp`).
pub(crate) const PROBE_SCRIPT: &str = "probe.sh";
/// ConfigMap key of the preStop hook that drains the queue.
pub(crate) const DRAIN_SCRIPT: &str = "drain.sh";
/// Lookup table of the sender domains allowed to relay (`texthash:`, needs no postmap).
pub(crate) const ALLOWED_SENDERS: &str = "allowed_senders";
/// `regexp:` table that strips `Received:` headers on the way out.
pub(crate) const HEADER_CHECKS: &str = "smtp_header_checks";
/// The SASL password table, written by the init container (never part of the ConfigMap).
pub(crate) const SASL_PASSWORDS: &str = "sasl_passwd";

const TEMPLATES: [(&str, &str); 6] = [
    ("main.cf", include_str!("templates/main.cf.j2")),
    ("master.cf", include_str!("templates/master.cf.j2")),
    (INIT_SCRIPT, include_str!("templates/init-config.sh.j2")),
    (START_SCRIPT, include_str!("templates/start.sh.j2")),
    (PROBE_SCRIPT, include_str!("templates/probe.sh.j2")),
    (DRAIN_SCRIPT, include_str!("templates/drain.sh.j2")),
];

/// Removes every `Received:` header: mail enters the relay from pods, so each one names
/// cluster-internal hosts.
const HEADER_CHECKS_TABLE: &str = "/^Received:/ IGNORE\n";

/// What the templates see: already validated, already formatted for Postfix.
#[derive(Debug, Serialize)]
struct Context<'a> {
    hostname: &'a str,
    maildomain: &'a str,
    relayhost: String,
    /// `inet_protocols`.
    inet_protocols: &'static str,
    /// The loopback address of the pod's own clients (the probes).
    loopback: &'static str,
    /// The loopback networks, exempt from the client limits (the probes).
    loopback_networks: &'static str,
    /// Space-separated, as `mynetworks` takes them: only the enabled families' networks.
    mynetworks: String,
    allowed_sender_domains: &'a [String],
    message_size_limit: u64,
    /// `queue_minfree` in bytes.
    queue_min_free: u64,
    rate_limits: &'a RateLimits,
    strip_received_headers: bool,
    header_checks_table: &'static str,
    allowed_senders_table: &'static str,
    sasl: Option<&'a Sasl>,
    sasl_table: &'static str,
    sasl_mount: &'static str,
    smtp_port: i32,
    handoff_port: i32,
    /// The headless Service's name, resolved with the pod's DNS search path.
    peers: &'a str,
    /// `address:port` of the loopback `showq` listener in master.cf, when the exporter runs.
    showq_listen: Option<String>,
    max_log_bytes: u64,
    log_check_interval_seconds: u32,
    spool: &'static str,
    pre_stop_delay_seconds: u32,
    drain_timeout_seconds: u32,
    tls_security_level: &'static str,
    tls_ca_file: &'a str,
    tls_wrapper_mode: bool,
    maillog_file: &'static str,
    data_directory: &'static str,
    etc_dir: &'static str,
    etc_postfix: &'static str,
    config_mount: &'static str,
    /// Space-separated, for the init script's `for` loop.
    config_files: String,
}

/// Postfix writes IPv6 networks in brackets (`[fd00::]/8`); a bare `fd00::/8` is misread.
fn postfix_network(cidr: &str) -> String {
    match cidr.split_once('/') {
        Some((addr, len)) if addr.contains(':') => format!("[{addr}]/{len}"),
        _ => cidr.to_owned(),
    }
}

/// The templates, compiled once per process. They are compiled into the binary, so the
/// compiled environment can never be stale; `--all-profiles` renders every profile with it.
fn environment() -> Result<&'static Environment<'static>> {
    static ENVIRONMENT: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| format!("template syntax: {e}"))?;
        env.set_syntax(syntax);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| format!("template {name}: {e}"))?;
        }
        Ok(env)
    });
    ENVIRONMENT.as_ref().map_err(|message| Error::Internal(message.clone()))
}

/// The TCP ports the rendering gives Postfix inside the pod.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ports<'a> {
    /// The port smtpd listens on (the container port the Services target).
    pub smtp: i32,
    /// The loopback port of the `showq` service the exporter reads, when the exporter runs.
    pub showq: Option<i32>,
    /// The port of the hand-off smtpd, where a draining pod passes its queue to the others.
    pub handoff: i32,
    /// The name that resolves to the relay's ready pods (the headless Service).
    pub peers: &'a str,
}

/// Renders every Postfix file of the ConfigMap, keyed by file name.
pub(crate) fn render_files(resolved: &Resolved, ports: Ports<'_>) -> Result<BTreeMap<String, String>> {
    let values = &resolved.values;
    let domains = &values.env.allowed_sender_domains.0;
    let mut config_files = vec!["main.cf", "master.cf"];
    if !domains.is_empty() {
        config_files.push(ALLOWED_SENDERS);
    }
    let postfix = &values.postfix;
    let protocols = postfix.inet_protocols;
    if postfix.strip_received_headers {
        config_files.push(HEADER_CHECKS);
    }
    let context = Context {
        hostname: &values.env.server_hostname,
        maildomain: &values.env.maildomain,
        relayhost: resolved.relay_host.to_string(),
        inet_protocols: protocols.as_str(),
        loopback: protocols.loopback(),
        loopback_networks: match protocols {
            InetProtocols::Ipv4 => "127.0.0.0/8",
            InetProtocols::Ipv6 => "[::1]/128",
            InetProtocols::All => "127.0.0.0/8 [::1]/128",
        },
        mynetworks: values
            .postfix
            .mynetworks
            .iter()
            .filter(|n| protocols.uses(n.contains(':')))
            .map(|n| postfix_network(n))
            .collect::<Vec<_>>()
            .join(" "),
        allowed_sender_domains: domains,
        message_size_limit: postfix.message_size_limit,
        queue_min_free: resolved.queue_min_free_bytes,
        rate_limits: &postfix.rate_limits,
        strip_received_headers: postfix.strip_received_headers,
        header_checks_table: HEADER_CHECKS,
        allowed_senders_table: ALLOWED_SENDERS,
        sasl: postfix.sasl.enabled.then_some(&postfix.sasl),
        sasl_table: SASL_PASSWORDS,
        sasl_mount: paths::SASL_SECRET,
        smtp_port: ports.smtp,
        handoff_port: ports.handoff,
        peers: ports.peers,
        // master.cf writes an IPv6 address in brackets, as postfix_network does.
        showq_listen: ports.showq.map(|port| match protocols.loopback() {
            v6 if v6.contains(':') => format!("[{v6}]:{port}"),
            v4 => format!("{v4}:{port}"),
        }),
        max_log_bytes: u64::from(postfix.log.max_file_size_mib) * 1024 * 1024,
        log_check_interval_seconds: postfix.log.check_interval_seconds,
        spool: paths::SPOOL,
        pre_stop_delay_seconds: values.shutdown.pre_stop_delay_seconds,
        drain_timeout_seconds: values.shutdown.drain_timeout_seconds,
        tls_security_level: values.postfix.tls.security_level.as_str(),
        tls_ca_file: &values.postfix.tls.ca_file,
        tls_wrapper_mode: resolved.relay_host.port == 465,
        maillog_file: paths::MAILLOG_FILE,
        data_directory: paths::DATA,
        etc_dir: paths::ETC_POSTFIX_STAGING,
        etc_postfix: paths::ETC_POSTFIX,
        config_mount: paths::CONFIG_MOUNT,
        config_files: config_files.join(" "),
    };

    let env = environment()?;
    // Converted to template values once, not once per template.
    let context = minijinja::Value::from(minijinja::value::Serde(&context));
    let mut files = BTreeMap::new();
    for (name, _) in TEMPLATES {
        let rendered = env
            .get_template(name)
            .and_then(|template| template.render(&context))
            .map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
        files.insert(name.to_owned(), rendered);
    }
    if !domains.is_empty() {
        let table: String = domains.iter().map(|d| format!("{d} OK\n")).collect();
        files.insert(ALLOWED_SENDERS.to_owned(), table);
    }
    if postfix.strip_received_headers {
        files.insert(HEADER_CHECKS.to_owned(), HEADER_CHECKS_TABLE.to_owned());
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::postfix_network;

    #[test]
    fn ipv6_networks_are_bracketed_for_postfix() {
        assert_eq!(postfix_network("fd00::/8"), "[fd00::]/8");
        assert_eq!(postfix_network("10.0.0.0/8"), "10.0.0.0/8");
    }
}
