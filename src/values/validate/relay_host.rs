//! The relayhost: `env.relayhost`, or `env.SMTP_SERVER`/`env.SMTP_PORT`, reconciled into the
//! one upstream Postfix relays to.

use std::fmt;
use std::net::IpAddr;

use super::Report;
use crate::error::Layer;
use crate::values::model::Values;
use crate::values::origins::origin_of;
use crate::values::syntax::is_dns_name;

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
pub(crate) fn parse_relay_host(text: &str) -> Result<RelayHost, String> {
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

/// The reconciled relayhost, or `None` (with an error) when its spellings are invalid or disagree.
pub(super) fn check_relay_host(values: &Values, r: &mut Report<'_>) -> Option<RelayHost> {
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
