//! The relay's own rules on the typed values. All problems are collected, so one run shows them
//! all, and each points at the file, line and key that set the offending value. Syntax that
//! knows nothing of the relay (names, quantities, durations, CIDRs) is checked by
//! [`super::syntax`].

mod image;
mod monitoring;
mod network;
mod queue;
mod relay_host;
mod relay_policy;
mod workload;

pub use relay_host::RelayHost;

use super::model::Values;
use super::origins::origin_of;
use super::set::escape_key;
use super::syntax::{is_dns1123_label, is_label_key, is_label_value};
use super::tree::Node;
use crate::error::{Diagnostic, Layer};

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
pub(crate) fn strict(warnings: Vec<Diagnostic>) -> Vec<Diagnostic> {
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

/// What validation found, and the values it parsed on the way, for rendering to use as they
/// are: each is `None` when its value is invalid (an error says why).
pub(crate) struct Checked {
    /// The relayhost, reconciled from `env.relayhost` and `env.SMTP_SERVER`/`SMTP_PORT`.
    pub(crate) relay_host: Option<RelayHost>,
    /// `queue.minFree` in whole bytes.
    pub(crate) queue_min_free_bytes: Option<u64>,
    /// Every error and warning.
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Checks the values.
pub(crate) fn validate(values: &Values, tree: &Node) -> Checked {
    let mut r = Report { tree, diagnostics: Vec::new(), malformed: Vec::new() };
    let relay_host = relay_host::check_relay_host(values, &mut r);
    check_names(values, &mut r);
    image::check_images(values, &mut r);
    relay_policy::check_mail_domains(values, &mut r);
    network::check_mynetworks(values, &mut r);
    queue::check_message_size_limit(values, &mut r);
    let queue_min_free = queue::check_queue_space(values, &mut r);
    relay_policy::check_tls(values, relay_host.as_ref(), &mut r);
    network::check_service_port(values, &mut r);
    network::check_exposure(values, &mut r);
    workload::check_deployment(values, &mut r);
    workload::check_autoscaling(values, &mut r);
    workload::check_disruption_budget(values, &mut r);
    relay_policy::check_relay_policy(values, &mut r);
    workload::check_container_resources(values, &mut r);
    monitoring::check_monitoring(values, &mut r);
    workload::check_pod_metadata(values, &mut r);
    network::check_network_policy(values, &mut r);
    // Whole bytes for Postfix's queue_minfree.
    let queue_min_free_bytes = queue_min_free.map(|bytes| bytes as u64);
    Checked { relay_host, queue_min_free_bytes, diagnostics: r.finish() }
}

/// The release name and namespace.
fn check_names(values: &Values, r: &mut Report<'_>) {
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
