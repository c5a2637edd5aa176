//! The queue: the largest message, the queue's space and reserve, and the memory or disk they
//! take.

use super::Report;
use crate::values::model::Values;
use crate::values::syntax::parse_quantity;

/// `postfix.messageSizeLimit`: 0 would mean unlimited to Postfix.
pub(super) fn check_message_size_limit(values: &Values, r: &mut Report<'_>) {
    if values.postfix.message_size_limit == 0 {
        r.error(
            "postfix.messageSizeLimit",
            "0 would make the message size unlimited",
            "a size in bytes at or below the upstream's limit (Gmail: 25 MB)",
        );
    }
}

/// The queue's space and the reserve below which Postfix refuses new mail (452 4.3.1): the
/// reserve holds Postfix's own rule (at least 1.5 × the largest message), the space one largest
/// message above the reserve, and an in-memory queue fits the Postfix container's memory.
/// Returns the reserve in bytes when `queue.minFree` is a valid quantity.
pub(super) fn check_queue_space(values: &Values, r: &mut Report<'_>) -> Option<f64> {
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
    let min_free = quantity(r, "queue.minFree", &queue.min_free);
    let space = quantity(r, space_path, space_text);
    let (Some(min_free), Some(space)) = (min_free, space) else { return min_free };
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
    Some(min_free)
}
