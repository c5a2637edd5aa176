//! Syntax checks that know nothing of the relay: DNS and Kubernetes names, label keys and
//! values, quantities, durations, image tags and digests, CIDRs. The relay's own rules, which
//! use them, are in [`super::validate`].

use ipnet::IpNet;

/// A DNS name: dot-separated labels of letters, digits and inner hyphens, at most 253 bytes.
pub(crate) fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// A fully qualified domain name: a DNS name with at least two labels and a non-numeric TLD.
pub(crate) fn is_fqdn(name: &str) -> bool {
    is_dns_name(name)
        && name.contains('.')
        && name.rsplit('.').next().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// A Kubernetes DNS-1123 label (namespace names): lower case, at most 63 characters.
pub(crate) fn is_dns1123_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A Kubernetes label value: empty, or up to 63 alphanumerics with inner `-_.`.
pub(crate) fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// A Kubernetes label or annotation key: optional DNS prefix and `/`, then a name of up to 63.
pub(crate) fn is_label_key(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    prefix.is_none_or(|p| is_dns_name(p) && p == p.to_ascii_lowercase()) && !name.is_empty() && is_label_value(name)
}

/// A Prometheus duration such as `30s`, `5m` or `1h30m`.
pub(crate) fn is_prometheus_duration(text: &str) -> bool {
    let mut rest = text;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "y", "w", "d", "h", "m", "s"].into_iter().find(|u| rest.starts_with(u));
        let Some(unit) = unit else { return false };
        rest = &rest[unit.len()..];
        parts += 1;
    }
    parts > 0
}

/// Parses a Kubernetes quantity into a number (for comparing requests with limits).
pub(crate) fn parse_quantity(text: &str) -> Option<f64> {
    const SUFFIXES: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    let (number, factor) =
        SUFFIXES.iter().find_map(|(s, f)| text.strip_suffix(s).map(|n| (n, *f))).unwrap_or((text, 1.0));
    let valid = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && number.bytes().filter(|b| *b == b'.').count() <= 1
        && number != ".";
    if !valid {
        return None;
    }
    number.parse::<f64>().ok().map(|n| n * factor)
}

/// A Docker tag: a word character, then up to 127 word characters, `.` or `-`.
pub(crate) fn is_image_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    tag.len() <= 128 && tag.bytes().next().is_some_and(word) && tag.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

/// `sha256:` followed by 64 lower-case hex digits.
pub(crate) fn is_digest(digest: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`, and not reserved (`__` prefix).
pub(crate) fn is_prometheus_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// A Postfix time value: digits and one unit letter (`60s`, `1h`).
pub(crate) fn is_postfix_time(text: &str) -> bool {
    let Some(unit) = text.chars().last() else { return false };
    let digits = &text[..text.len() - unit.len_utf8()];
    matches!(unit, 's' | 'm' | 'h' | 'd' | 'w')
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.parse::<u32>().is_ok_and(|n| n > 0)
}

/// A DNS-1123 subdomain: the rule for Secret and StorageClass names.
pub(crate) fn is_dns1123_subdomain(name: &str) -> bool {
    name.len() <= 253 && !name.is_empty() && name.split('.').all(is_dns1123_label)
}

/// A key of a Secret's data.
pub(crate) fn is_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`), or why the text is not one.
pub(crate) fn parse_cidr(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>().map_err(|_| format!("`{text}` is not a CIDR"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_compare_across_units() {
        assert_eq!(parse_quantity("100m"), Some(0.1));
        assert_eq!(parse_quantity("128Mi"), Some(134_217_728.0));
        assert!(parse_quantity("1Gi") > parse_quantity("512Mi"));
        assert_eq!(parse_quantity("lots"), None);
        assert_eq!(parse_quantity("1.2.3"), None);
    }

    #[test]
    fn kubernetes_names_and_labels() {
        assert!(is_dns1123_label("email-server-prod"));
        assert!(!is_dns1123_label("Email_Server"));
        assert!(is_label_key("email-server.kubernetes.io/smtp-access"));
        assert!(!is_label_key("bad key"));
        assert!(is_label_value("true"));
        assert!(!is_label_value("-x"));
    }

    #[test]
    fn prometheus_durations() {
        assert!(is_prometheus_duration("30s"));
        assert!(is_prometheus_duration("1h30m"));
        assert!(!is_prometheus_duration("30"));
        assert!(!is_prometheus_duration("5 minutes"));
    }
}
