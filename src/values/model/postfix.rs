//! The relay's own settings: the replaced Helm chart's environment variables and Postfix's
//! settings beyond them.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// The replaced Helm chart's environment, under its own variable names.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Env {
    /// Mail domain: Postfix `mydomain` and `myorigin`.
    pub maildomain: String,
    /// Upstream smarthost as `[host]:port` (brackets: no MX lookup), e.g. `[smtp-relay.gmail.com]:587`.
    pub relayhost: String,
    /// Alternative spelling of the relayhost's host name; must agree with `relayhost` when both are set.
    #[serde(rename = "SMTP_SERVER", default)]
    pub smtp_server: Option<String>,
    /// Alternative spelling of the relayhost's port; must agree with `relayhost` when both are set.
    #[serde(rename = "SMTP_PORT", default)]
    pub smtp_port: Option<u16>,
    /// Host name Postfix announces (HELO/EHLO) and uses as `myhostname`. Unless set:
    /// `mail.<maildomain>`.
    #[serde(rename = "SERVER_HOSTNAME")]
    pub server_hostname: String,
    /// Envelope sender domains allowed to relay: a comma-separated string or a list. An empty
    /// value is an explicit opt-out of sender checks. Unless set: `maildomain` and `gmail.com`.
    #[serde(rename = "ALLOWED_SENDER_DOMAINS")]
    pub allowed_sender_domains: AllowedSenderDomains,
}

/// Sender domains that may relay, from a list or a comma-separated string (the replaced Helm chart's form).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct AllowedSenderDomains(pub Vec<String>);

impl JsonSchema for AllowedSenderDomains {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AllowedSenderDomains".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                {"type": "string", "description": "comma-separated domains"},
                {"type": "array", "items": {"type": "string"}}
            ]
        })
    }
}

impl<'de> Deserialize<'de> for AllowedSenderDomains {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AllowedSenderDomains;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a comma-separated string or a list of domains")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AllowedSenderDomains(
                    v.split(',').map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned).collect(),
                ))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(AllowedSenderDomains(Vec::new()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut domains = Vec::new();
                while let Some(d) = seq.next_element::<String>()? {
                    domains.push(d);
                }
                Ok(AllowedSenderDomains(domains))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Err(E::custom(format!("expected a comma-separated string or a list of domains, found `{v}`")))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Err(E::custom(format!("expected a comma-separated string or a list of domains, found `{v}`")))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Postfix settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostfixValues {
    /// The IP families Postfix uses (`inet_protocols`): `ipv4`, `ipv6` for an IPv6-only
    /// cluster, or `all` for a dual-stack one.
    pub inet_protocols: InetProtocols,
    /// Client networks allowed to relay (CIDRs of either family). Default: loopback, RFC 1918
    /// and IPv6 unique local addresses (`fd00::/8`), each used only when `inetProtocols` has its
    /// family. Every private address is trusted: the NetworkPolicy decides who gets to port 25.
    pub mynetworks: Vec<String>,
    /// Largest message accepted, in bytes (`message_size_limit`); keep it under the upstream's.
    pub message_size_limit: u64,
    /// Relay mail from any envelope sender when `env.ALLOWED_SENDER_DOMAINS` is empty. An empty
    /// list alone is an error: relaying every sender must be chosen, never the default.
    pub allow_all_sender_domains: bool,
    /// Remove `Received:` headers before mail leaves the relay, so pod and node addresses of the
    /// cluster do not reach recipients (`smtp_header_checks`).
    pub strip_received_headers: bool,
    /// Per-client limits enforced by Postfix's anvil service; they apply to clients in
    /// mynetworks too (only loopback, used by the probes, is exempt).
    pub rate_limits: RateLimits,
    /// Outbound TLS to the relayhost.
    pub tls: Tls,
    /// Optional SASL login to the relayhost, with credentials from an existing Secret.
    pub sasl: Sasl,
    /// The log file Postfix writes (mirrored to `kubectl logs`, read by the exporter).
    pub log: LogValues,
}

/// Postfix `inet_protocols`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InetProtocols {
    /// IPv4 only.
    Ipv4,
    /// IPv6 only (IPv6-only clusters).
    Ipv6,
    /// Both (dual-stack clusters).
    All,
}

impl InetProtocols {
    /// The Postfix spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InetProtocols::Ipv4 => "ipv4",
            InetProtocols::Ipv6 => "ipv6",
            InetProtocols::All => "all",
        }
    }

    /// Whether Postfix uses IPv4.
    pub fn ipv4(self) -> bool {
        self != InetProtocols::Ipv6
    }

    /// Whether Postfix uses IPv6.
    pub fn ipv6(self) -> bool {
        self != InetProtocols::Ipv4
    }

    /// Whether an address of this family (IPv6 when `ipv6`) is used.
    pub fn uses(self, ipv6: bool) -> bool {
        if ipv6 { self.ipv6() } else { self.ipv4() }
    }

    /// The loopback address the pod's own clients (probes, exporter) use: IPv4's when Postfix
    /// listens on it, IPv6's otherwise.
    pub fn loopback(self) -> &'static str {
        if self.ipv4() { "127.0.0.1" } else { "::1" }
    }
}

/// Client limits (`smtpd_client_*_limit`); 0 switches a rate limit off.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimits {
    /// Simultaneous connections one client may hold (`smtpd_client_connection_count_limit`).
    pub connection_count_limit: u32,
    /// Connections one client may open per `timeUnit` (`smtpd_client_connection_rate_limit`).
    pub connection_rate_limit: u32,
    /// Messages one client may send per `timeUnit` (`smtpd_client_message_rate_limit`).
    pub message_rate_limit: u32,
    /// The window the rates are counted over (`anvil_rate_time_unit`), e.g. 60s.
    pub time_unit: String,
}

/// SASL authentication to the relayhost.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sasl {
    /// Log in to the relayhost (`smtp_sasl_auth_enable`).
    pub enabled: bool,
    /// An existing Secret in the release namespace holding the credentials, e.g. of type
    /// `kubernetes.io/basic-auth`. It is mounted as files; the password never enters an
    /// environment variable or a ConfigMap.
    pub secret_name: String,
    /// The Secret key holding the user name.
    pub username_key: String,
    /// The Secret key holding the password.
    pub password_key: String,
}

/// The Postfix log file.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LogValues {
    /// The log file is emptied when it grows past this many MiB. Every line has already been
    /// copied to the container's stdout, which the kubelet keeps and rotates.
    #[schemars(range(min = 1))]
    pub max_file_size_mib: u32,
    /// How often the size is checked, in seconds (1 to 3600). Between two checks the file can
    /// outgrow the limit by what Postfix logs in that time; a busy relay checks more often.
    #[schemars(range(min = 1, max = 3600))]
    pub check_interval_seconds: u32,
}

/// Outbound TLS settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tls {
    /// `smtp_tls_security_level`: `secure` (the default) or `verify` check the relayhost's
    /// certificate against the CA bundle and its name; `encrypt` and `may` do not, which prints
    /// a warning (an error under `--strict`) and is refused with SASL.
    pub security_level: TlsSecurityLevel,
    /// CA bundle inside the container (`smtp_tls_CAfile`).
    pub ca_file: String,
}

/// Postfix `smtp_tls_security_level`. Only `verify` and `secure` authenticate the upstream.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TlsSecurityLevel {
    /// Opportunistic TLS.
    May,
    /// Mandatory TLS, certificate not verified.
    Encrypt,
    /// Mandatory TLS, certificate and MX name verified.
    Verify,
    /// Mandatory TLS, certificate and host name verified.
    Secure,
}

impl TlsSecurityLevel {
    /// Whether the relayhost must prove who it is (a certificate that chains to the CA bundle
    /// and names it) before it gets any mail or password.
    pub fn authenticates_upstream(self) -> bool {
        matches!(self, TlsSecurityLevel::Verify | TlsSecurityLevel::Secure)
    }

    /// The Postfix spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsSecurityLevel::May => "may",
            TlsSecurityLevel::Encrypt => "encrypt",
            TlsSecurityLevel::Verify => "verify",
            TlsSecurityLevel::Secure => "secure",
        }
    }
}
