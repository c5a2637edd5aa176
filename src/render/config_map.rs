//! The ConfigMap holding Postfix's configuration and the container scripts.

use k8s_openapi::api::core::v1::ConfigMap;
use sha2::{Digest, Sha256};

use super::{Context, HANDOFF_PORT, SHOWQ_PORT, SMTP_PORT};
use crate::error::Result;
use crate::postfix;

/// The ConfigMap named after the release: `main.cf`, `master.cf`, lookup tables, scripts.
pub(crate) fn config_map(ctx: &Context<'_>) -> Result<ConfigMap> {
    let monitoring = ctx.resolved.values.monitoring.enabled;
    let peers = ctx.headless_service();
    let ports = postfix::Ports {
        smtp: SMTP_PORT.0,
        showq: monitoring.then_some(SHOWQ_PORT),
        handoff: HANDOFF_PORT.0,
        peers: &peers,
    };
    let data = postfix::render_files(ctx.resolved, ports)?;
    Ok(ConfigMap { metadata: ctx.metadata(ctx.name), data: Some(data), ..ConfigMap::default() })
}

/// SHA-256 over every key and value of the ConfigMap, in key order. Put on the pod template,
/// it rolls the pods when (and only when) the configuration changes.
pub(crate) fn checksum(config_map: &ConfigMap) -> String {
    checksum_of(config_map.data.iter().flatten().map(|(key, value)| (key.as_str(), value.as_str())))
}

/// [`checksum`] over `(key, value)` pairs given in key order, without building a ConfigMap.
pub(crate) fn checksum_of<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut hasher = Sha256::new();
    for (key, value) in entries {
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        hasher.update((key.len() as u64).to_be_bytes());
        hasher.update(key.as_bytes());
        hasher.update((value.len() as u64).to_be_bytes());
        hasher.update(value.as_bytes());
    }
    hex(&hasher.finalize())
}

/// Lower-case hexadecimal of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}
