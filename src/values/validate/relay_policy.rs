//! The relay's policy: who may send, rate limits, SASL and TLS, log rotation, the persistent
//! queue, and shutdown.

use super::Report;
use super::relay_host::RelayHost;
use crate::values::model::{LogValues, RateLimits, StrategyType, TlsSecurityLevel, Values};
use crate::values::origins::origin_of;
use crate::values::syntax::{is_dns1123_subdomain, is_fqdn, is_postfix_time, is_secret_key};

/// The longest wait between two checks of the log file's size (`postfix.log.checkIntervalSeconds`).
const MAX_LOG_CHECK_INTERVAL_SECONDS: u32 = 3600;

/// The mail domain, the HELO name and the allowed sender domains are domain names.
pub(super) fn check_mail_domains(values: &Values, r: &mut Report<'_>) {
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
}

/// The CA bundle's path, and a TLS level that port 465's implicit TLS works with.
pub(super) fn check_tls(values: &Values, relay_host: Option<&RelayHost>, r: &mut Report<'_>) {
    let ca_file = &values.postfix.tls.ca_file;
    // The path lands verbatim in main.cf: whitespace or a newline would inject settings.
    if !ca_file.starts_with('/') || ca_file.chars().any(|c| c.is_whitespace() || c.is_control()) {
        r.error(
            "postfix.tls.caFile",
            "the CA file must be an absolute path without spaces",
            "e.g. /etc/ssl/certs/ca-certificates.crt",
        );
    }
    if relay_host.is_some_and(|h| h.port == 465) && values.postfix.tls.security_level == TlsSecurityLevel::May {
        r.error(
            "postfix.tls.securityLevel",
            "port 465 speaks TLS from the first byte, which Postfix only does with mandatory TLS",
            "encrypt, verify or secure (or relay to port 587 with STARTTLS)",
        );
    }
}

/// Who may relay, how the relayhost is reached, where the queue lives and how pods stop.
pub(super) fn check_relay_policy(values: &Values, r: &mut Report<'_>) {
    check_senders(values, r);
    check_rate_limits(&values.postfix.rate_limits, r);
    check_sasl(values, r);
    check_log_rotation(&values.postfix.log, r);
    check_persistence(values, r);
    check_shutdown(values, r);
}

/// Which envelope senders the relay accepts, and that the mail domain is one of them.
fn check_senders(values: &Values, r: &mut Report<'_>) {
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
}

/// The per-client limits Postfix enforces on port 25.
fn check_rate_limits(limits: &RateLimits, r: &mut Report<'_>) {
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
}

/// SASL credentials from a Secret, and a TLS level that keeps them (and the mail) from others.
fn check_sasl(values: &Values, r: &mut Report<'_>) {
    let postfix = &values.postfix;
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
        } else if sasl.secret_name == values.name {
            // kubectl's ApplySet keeps its parent, a Secret named after --applyset, beside the
            // release; the documented apply names it after the release.
            r.warning(
                "postfix.sasl.secretName",
                format!(
                    "`{}` is the release's name, which kubectl's ApplySet (--applyset={}) gives the Secret it keeps \
                     its inventory in",
                    sasl.secret_name, values.name
                ),
                format!("name the credentials' Secret otherwise, e.g. {}-sasl", values.name),
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
}

/// The log file's rotation size and how often its size is checked.
fn check_log_rotation(log: &LogValues, r: &mut Report<'_>) {
    if log.max_file_size_mib == 0 {
        r.error("postfix.log.maxFileSizeMib", "a 0 MiB log file would be emptied constantly", "MiB, e.g. 64");
    }
    let interval = log.check_interval_seconds;
    if interval == 0 || interval > MAX_LOG_CHECK_INTERVAL_SECONDS {
        let problem = if interval == 0 {
            "0 seconds would check the log file's size without pause"
        } else {
            "checking less often than hourly lets the log file outgrow its limit by more than an hour of logs"
        };
        r.error("postfix.log.checkIntervalSeconds", problem, "1 to 3600 seconds, e.g. 60");
    }
}

/// A persistent queue (a StatefulSet): its strategy and StorageClass.
fn check_persistence(values: &Values, r: &mut Report<'_>) {
    let persistence = &values.queue.persistence;
    if persistence.enabled {
        if values.deployment.strategy.kind == StrategyType::Recreate {
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
}

/// The drain on shutdown fits in the pod's grace period.
fn check_shutdown(values: &Values, r: &mut Report<'_>) {
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
