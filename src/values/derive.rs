//! Defaults that follow another key: unless a layer sets them, `env.SERVER_HOSTNAME` is
//! `mail.<env.maildomain>` and `env.ALLOWED_SENDER_DOMAINS` is the mail domain followed by
//! [`EXTRA_SENDER_DOMAINS`]. Changing the mail domain alone then changes the HELO name and the
//! senders the relay accepts with it, instead of leaving the old domain's in force.
//!
//! A derived value is a node of the value tree like any other, with the origin
//! [`Layer::Derived`]: `values --show-origin` says which key it follows.

use std::borrow::Cow;
use std::sync::Arc;

use super::tree::{Node, ScalarKind, Value, is_null_text};
use crate::error::{Layer, Origin, Source};

/// The mail domain's key, which the derived keys follow.
pub(crate) const MAIL_DOMAIN: &str = "maildomain";

/// The sender domains allowed besides the mail domain unless the list is set: the replaced
/// Helm chart's (Google Workspace relays mail of gmail.com senders too).
pub(crate) const EXTRA_SENDER_DOMAINS: &[&str] = &["gmail.com"];

/// The mail domain of `tree` and where it was written, when it is a usable text (not null or
/// empty: typing and validation report those on their own).
fn mail_domain(tree: &Node) -> Option<(String, Origin)> {
    match tree.get(&["env", MAIL_DOMAIN]) {
        Some(Node { value: Value::Scalar(text, _), origin }) if !is_null_text(text) => {
            Some((text.to_string(), origin.clone()))
        }
        _ => None,
    }
}

/// Fills in the derived keys of `tree` that no layer set. Without a usable mail domain in
/// `tree`, they follow the one of `defaults` (the built-in defaults), so one mistake in the
/// mail domain is reported once, not again for each derived key.
pub(crate) fn apply(tree: &mut Node, defaults: &Node) {
    let (domain, from) = match mail_domain(tree) {
        Some((domain, origin)) => (domain, Some(origin)),
        None => (mail_domain(defaults).map(|(domain, _)| domain).unwrap_or_default(), None),
    };
    let Value::Map(root) = &mut tree.value else { return };
    let Some(env) = Arc::make_mut(root).get_mut("env") else { return };
    let Value::Map(env) = &mut env.value else { return };
    let env = Arc::make_mut(env);
    let origin = derived_from(from);
    let scalar =
        |text: String| Node { value: Value::Scalar(Cow::Owned(text), ScalarKind::Quoted), origin: origin.clone() };
    if !env.contains_key("SERVER_HOSTNAME") {
        env.insert(Cow::Borrowed("SERVER_HOSTNAME"), scalar(format!("mail.{domain}")));
    }
    if !env.contains_key("ALLOWED_SENDER_DOMAINS") {
        let domains = std::iter::once(domain.clone()).chain(EXTRA_SENDER_DOMAINS.iter().map(|d| (*d).to_owned()));
        let list = Node { value: Value::Seq(Arc::new(domains.map(scalar).collect())), origin: origin.clone() };
        env.insert(Cow::Borrowed("ALLOWED_SENDER_DOMAINS"), list);
    }
}

/// The origin of a value derived from the mail domain written at `from`.
fn derived_from(from: Option<Origin>) -> Origin {
    let name = match from {
        Some(origin) => format!("from env.{MAIL_DOMAIN} ({}: {origin})", origin.source.layer),
        None => format!("from env.{MAIL_DOMAIN}"),
    };
    Origin { source: Arc::new(Source { layer: Layer::Derived, name, text: String::new() }), line: 1, column: 1 }
}
