//! The exporter's configuration, deserialisable from an application's own TOML (or any serde
//! format).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer};

/// An address or CIDR block, as written in `trusted-hosts` (`"10.0.0.0/8"`, `"::1"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedHost(pub IpNet);

impl TrustedHost {
    /// Whether `ip` is inside the block.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.0.contains(ip)
    }
}

/// A trusted host that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHost(pub String);

impl fmt::Display for InvalidHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is neither an IP address nor a CIDR block (such as `10.0.0.0/8`)", self.0)
    }
}

impl std::error::Error for InvalidHost {}

impl FromStr for TrustedHost {
    type Err = InvalidHost;

    fn from_str(s: &str) -> Result<Self, InvalidHost> {
        let t = s.trim();
        if let Ok(net) = t.parse::<IpNet>() {
            return Ok(TrustedHost(net.trunc()));
        }
        t.parse::<IpAddr>().map(|ip| TrustedHost(IpNet::from(ip))).map_err(|_| InvalidHost(s.to_owned()))
    }
}

impl<'de> Deserialize<'de> for TrustedHost {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The loopback blocks, trusted by default: `127.0.0.0/8` and `::1`.
pub fn loopback() -> Vec<TrustedHost> {
    vec![
        TrustedHost(IpNet::V4(ipnet::Ipv4Net::new(std::net::Ipv4Addr::new(127, 0, 0, 0), 8).unwrap_or_default())),
        TrustedHost(IpNet::from(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST))),
    ]
}

/// Basic-auth credentials (Stalwart's `auth.username` and `auth.secret`).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The user name.
    pub username: String,
    /// The password or secret token.
    pub secret: String,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig").field("username", &self.username).field("secret", &"<redacted>").finish()
    }
}

/// How access is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessMode {
    /// Only trusted IPs, and credentials are no substitute (KumoMTA).
    TrustedIp,
    /// Valid basic-auth credentials from any address (Stalwart).
    BasicAuth,
    /// A trusted IP and valid credentials.
    Both,
    /// A trusted IP or valid credentials.
    Either,
    /// Every peer, whatever its address and credentials; `trusted-hosts` and `auth` are not
    /// consulted. For a scraper inside a cluster network whose pod addresses are not known in
    /// advance, where the network (a NetworkPolicy, a firewall, a listener on an internal
    /// interface) is what keeps others out. Never use it on a port the internet can reach.
    ///
    /// Unlike `trusted-hosts = ["0.0.0.0/0", "::/0"]` (which trusts every *known* address),
    /// it also serves a peer whose address the integration cannot tell, such as the axum
    /// router served without `ConnectInfo`.
    Anyone,
}

/// The exporter's configuration.
///
/// Stalwart's own `[metrics.prometheus]` table parses as written:
///
/// ```
/// use metrics_http::{AccessMode, ExporterConfig};
///
/// #[derive(serde::Deserialize)]
/// struct Config { metrics: Metrics }
/// #[derive(serde::Deserialize)]
/// struct Metrics { prometheus: ExporterConfig }
///
/// let config: Config = toml::from_str(r#"
/// [metrics.prometheus]
/// enable = true
///
/// [metrics.prometheus.auth]
/// username = "prometheus"
/// secret = "password123"
/// "#).unwrap();
/// let p = config.metrics.prometheus;
/// assert!(p.enable);
/// assert_eq!(p.auth.as_ref().map(|a| a.username.as_str()), Some("prometheus"));
/// // With credentials and no `access`, basic auth decides (as in Stalwart).
/// assert_eq!(p.access_mode(), AccessMode::BasicAuth);
/// assert!(!p.legacy_names);
///
/// // For a legacy-only backend (Mimir): `underscores` whatever the scraper asks.
/// let p: ExporterConfig = toml::from_str("legacy-names = true").unwrap();
/// assert!(p.legacy_names);
/// let e = toml::from_str::<ExporterConfig>("legacy-names = \"yes\"").unwrap_err().to_string();
/// assert!(e.contains("legacy-names"), "{e}");
/// ```
///
/// Keys: `enable` (default `false`), `listen` (`"127.0.0.1:9090"`), `path` (`"/metrics"`),
/// `json-path` (`"/metrics.json"`, `""` to serve no JSON), `trusted-hosts` (loopback),
/// `trusted-proxies` (none), `access` (`"trusted-ip"`, or `"basic-auth"` when `auth` is set;
/// also `"both"`, `"either"` and `"anyone"`, see [`AccessMode`]),
/// `auth.username`, `auth.secret`, `gzip` (`true`), `openmetrics` (`true`), `openmetrics-created` (`true`: `_created` samples in
/// OpenMetrics), `legacy-names` (`false`: `true` sends every
/// scraper `underscores`-escaped names whatever it asks, for legacy-only backends such as
/// Mimir), `max-concurrent-scrapes` (`4`),
/// `max-connections` (`256`), `request-timeout` (seconds, `10`), `max-header-bytes` (`16384`).
/// Unknown keys are errors, as are values that do not parse; both name the key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ExporterConfig {
    /// Whether the exporter listens at all.
    pub enable: bool,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The path of the text formats.
    pub path: String,
    /// The path of the JSON format; empty to serve none.
    pub json_path: String,
    /// Addresses and blocks allowed in by IP.
    pub trusted_hosts: Vec<TrustedHost>,
    /// Reverse proxies whose `X-Forwarded-For` / `X-Real-IP` headers are believed.
    pub trusted_proxies: Vec<TrustedHost>,
    /// How access is decided; see [`ExporterConfig::access_mode`] for the default.
    pub access: Option<AccessMode>,
    /// Basic-auth credentials.
    pub auth: Option<AuthConfig>,
    /// Whether responses are gzip-compressed for clients that accept it.
    pub gzip: bool,
    /// Whether OpenMetrics is served to scrapers that prefer it.
    pub openmetrics: bool,
    /// Whether OpenMetrics output carries `_created` samples.
    pub openmetrics_created: bool,
    /// Whether every scraper gets legacy (`underscores`-escaped) names, whatever escaping
    /// scheme it asks for.
    pub legacy_names: bool,
    /// Scrapes rendered at once; more get 503.
    pub max_concurrent_scrapes: usize,
    /// Open connections at once; more get 503 and are closed.
    pub max_connections: usize,
    /// Seconds a client has to send its request headers.
    pub request_timeout: u64,
    /// The largest request line and headers accepted (414/431 beyond).
    pub max_header_bytes: usize,
}

impl Default for ExporterConfig {
    fn default() -> Self {
        ExporterConfig {
            enable: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 9090)),
            path: "/metrics".into(),
            json_path: "/metrics.json".into(),
            trusted_hosts: loopback(),
            trusted_proxies: Vec::new(),
            access: None,
            auth: None,
            gzip: true,
            openmetrics: true,
            openmetrics_created: true,
            legacy_names: false,
            max_concurrent_scrapes: 4,
            max_connections: 256,
            request_timeout: 10,
            max_header_bytes: 16 * 1024,
        }
    }
}

impl ExporterConfig {
    /// The access mode: as configured, else basic auth when credentials are set, else trusted
    /// IP only.
    pub fn access_mode(&self) -> AccessMode {
        match (self.access, &self.auth) {
            (Some(m), _) => m,
            (None, Some(_)) => AccessMode::BasicAuth,
            (None, None) => AccessMode::TrustedIp,
        }
    }

    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout.max(1))
    }
}
