//! The access decision: one pure function of the peer address, the request headers and the
//! policy. Every integration calls [`decide`]; none decides access itself.

use std::net::IpAddr;

use base64::Engine;
use http::HeaderMap;
use http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

use crate::config::{AccessMode, AuthConfig, ExporterConfig, TrustedHost, loopback};

/// Who may scrape.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    /// How the decision is made.
    pub mode: AccessMode,
    /// Addresses allowed in by IP.
    pub trusted: Vec<TrustedHost>,
    /// Proxies whose forwarding headers are believed.
    pub proxies: Vec<TrustedHost>,
    /// Credentials for basic auth.
    pub auth: Option<AuthConfig>,
}

impl Default for AccessPolicy {
    /// Loopback only, no credentials.
    fn default() -> Self {
        AccessPolicy { mode: AccessMode::TrustedIp, trusted: loopback(), proxies: Vec::new(), auth: None }
    }
}

impl AccessPolicy {
    /// Every peer may scrape ([`AccessMode::Anyone`]): for scrapers inside a cluster network,
    /// where the network keeps everyone else out.
    ///
    /// ```
    /// use metrics_http::{AccessPolicy, Decision, decide};
    /// let open = AccessPolicy::anyone();
    /// let headers = http::HeaderMap::new();
    /// assert_eq!(decide(Some("203.0.113.9".parse().unwrap()), &headers, &open), Decision::Allow);
    /// assert_eq!(decide(None, &headers, &open), Decision::Allow);
    /// ```
    pub fn anyone() -> Self {
        AccessPolicy { mode: AccessMode::Anyone, trusted: Vec::new(), proxies: Vec::new(), auth: None }
    }

    /// The policy a configuration describes.
    pub fn from_config(c: &ExporterConfig) -> Self {
        AccessPolicy {
            mode: c.access_mode(),
            trusted: c.trusted_hosts.clone(),
            proxies: c.trusted_proxies.clone(),
            auth: c.auth.clone(),
        }
    }
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Serve the request.
    Allow,
    /// 403: the client's address is not trusted (credentials would not help).
    Forbidden,
    /// 401: credentials are missing or wrong (the response says not which).
    Unauthorized,
}

/// An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is its IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn trusted(list: &[TrustedHost], ip: IpAddr) -> bool {
    list.iter().any(|h| h.contains(&ip))
}

/// The client's address: the peer's, unless the peer is a trusted proxy that forwarded one.
/// `None` when the peer is unknown, or a trusted proxy sent a forwarding header that does not
/// parse.
fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, p: &AccessPolicy) -> Option<IpAddr> {
    // An unknown peer cannot be shown to be a trusted proxy, so its headers count for nothing.
    let peer = canonical(peer?);
    if !trusted(&p.proxies, peer) {
        // Forwarding headers from anyone else are ignored: they are trivially spoofed.
        return Some(peer);
    }
    if let Some(xff) = headers.get_all("x-forwarded-for").iter().next_back() {
        let text = xff.to_str().ok()?;
        let mut hops = Vec::new();
        for part in text.split(',') {
            hops.push(canonical(part.trim().parse::<IpAddr>().ok()?));
        }
        // The rightmost hop that is not one of our proxies is the client.
        return hops.iter().rev().find(|ip| !trusted(&p.proxies, **ip)).or(hops.first()).copied();
    }
    if let Some(real) = headers.get("x-real-ip") {
        return real.to_str().ok()?.trim().parse::<IpAddr>().ok().map(canonical);
    }
    Some(peer)
}

/// Whether the `Authorization` header holds the configured credentials, compared in constant
/// time. Any malformation (not `Basic`, bad base64, no colon, not UTF-8) is simply `false`.
fn credentials_ok(headers: &HeaderMap, auth: &AuthConfig) -> bool {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return false;
    };
    let Some((scheme, token)) = value.as_bytes().split_first_chunk::<6>() else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token.trim_ascii()) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&decoded) else {
        return false;
    };
    let Some((user, secret)) = text.split_once(':') else {
        return false;
    };
    // Both parts are compared whatever the first gives, so timing tells nothing about which
    // part was wrong.
    let u = user.as_bytes().ct_eq(auth.username.as_bytes());
    let s = secret.as_bytes().ct_eq(auth.secret.as_bytes());
    bool::from(u & s)
}

/// Decides whether a request may be served.
///
/// `peer` is the address of the TCP peer, or `None` when the integration cannot tell (the
/// axum router served without `ConnectInfo`). An unknown peer is never trusted by address and
/// its forwarding headers are ignored: it is served only where the address does not matter
/// (`basic-auth` with good credentials, `either` with good credentials, `anyone`).
///
/// ```
/// use metrics_http::{AccessPolicy, Decision, decide};
/// let loopback_only = AccessPolicy::default();
/// let headers = http::HeaderMap::new();
/// assert_eq!(decide(Some("127.0.0.1".parse().unwrap()), &headers, &loopback_only), Decision::Allow);
/// assert_eq!(decide(Some("192.0.2.1".parse().unwrap()), &headers, &loopback_only), Decision::Forbidden);
/// assert_eq!(decide(None, &headers, &loopback_only), Decision::Forbidden);
/// ```
pub fn decide(peer: Option<IpAddr>, headers: &HeaderMap, policy: &AccessPolicy) -> Decision {
    let ip_ok = client_ip(peer, headers, policy).is_some_and(|ip| trusted(&policy.trusted, ip));
    let auth_ok = || policy.auth.as_ref().is_some_and(|a| credentials_ok(headers, a));
    match policy.mode {
        AccessMode::TrustedIp if ip_ok => Decision::Allow,
        AccessMode::TrustedIp => Decision::Forbidden,
        AccessMode::BasicAuth if auth_ok() => Decision::Allow,
        AccessMode::BasicAuth => Decision::Unauthorized,
        AccessMode::Both if !ip_ok => Decision::Forbidden,
        AccessMode::Both if auth_ok() => Decision::Allow,
        AccessMode::Both => Decision::Unauthorized,
        AccessMode::Either if ip_ok || auth_ok() => Decision::Allow,
        AccessMode::Either => Decision::Unauthorized,
        AccessMode::Anyone => Decision::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trusted hosts of most rows.
    const LOCAL: &[&str] = &["127.0.0.0/8", "::1", "10.1.0.0/16"];
    /// The documented "every peer" list.
    const EVERY: &[&str] = &["0.0.0.0/0", "::/0"];
    /// The peer of a row whose integration cannot tell the address.
    const UNKNOWN: &str = "(unknown)";

    fn policy(mode: AccessMode, trusted: &[&str], proxies: &[&str]) -> AccessPolicy {
        AccessPolicy {
            mode,
            trusted: trusted.iter().filter_map(|s| s.parse().ok()).collect(),
            proxies: proxies.iter().filter_map(|s| s.parse().ok()).collect(),
            auth: Some(AuthConfig { username: "prometheus".into(), secret: "password123".into() }),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            if let Ok(v) = http::HeaderValue::from_bytes(v.as_bytes()) {
                h.append(*k, v);
            }
        }
        h
    }

    fn basic(s: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s))
    }

    #[test]
    fn table() {
        use AccessMode::*;
        use Decision::*;
        let good = basic("prometheus:password123");
        let wrong = basic("prometheus:nope");
        let no_colon = basic("prometheuspassword123");
        let lower = good.replacen("Basic", "basic", 1);
        let latin1 = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode([0xff, b':', b'x']));
        // (case, mode, trusted hosts, trusted proxies, peer, headers, expected decision)
        type Case<'a> =
            (&'a str, AccessMode, &'a [&'a str], &'a [&'a str], &'a str, Vec<(&'static str, &'a str)>, Decision);
        let cases: Vec<Case<'_>> = vec![
            ("loopback v4", TrustedIp, LOCAL, &[], "127.0.0.1", vec![], Allow),
            ("second loopback", TrustedIp, LOCAL, &[], "127.0.0.2", vec![], Allow),
            ("loopback v6", TrustedIp, LOCAL, &[], "::1", vec![], Allow),
            ("v4-mapped loopback", TrustedIp, LOCAL, &[], "::ffff:127.0.0.1", vec![], Allow),
            ("v4-mapped untrusted", TrustedIp, LOCAL, &[], "::ffff:192.0.2.1", vec![], Forbidden),
            ("trusted block", TrustedIp, LOCAL, &[], "10.1.2.3", vec![], Allow),
            ("untrusted", TrustedIp, LOCAL, &[], "192.0.2.1", vec![], Forbidden),
            (
                "credentials are no substitute",
                TrustedIp,
                LOCAL,
                &[],
                "192.0.2.1",
                vec![("authorization", &good)],
                Forbidden,
            ),
            (
                "spoofed XFF from untrusted peer",
                TrustedIp,
                LOCAL,
                &[],
                "192.0.2.1",
                vec![("x-forwarded-for", "127.0.0.1")],
                Forbidden,
            ),
            ("spoofed X-Real-IP", TrustedIp, LOCAL, &[], "192.0.2.1", vec![("x-real-ip", "127.0.0.1")], Forbidden),
            (
                "XFF through trusted proxy",
                TrustedIp,
                LOCAL,
                &["192.0.2.10"],
                "192.0.2.10",
                vec![("x-forwarded-for", "10.1.0.5")],
                Allow,
            ),
            (
                "XFF through trusted proxy, untrusted client",
                TrustedIp,
                LOCAL,
                &["192.0.2.10"],
                "192.0.2.10",
                vec![("x-forwarded-for", "198.51.100.1")],
                Forbidden,
            ),
            (
                "XFF chain: rightmost untrusted hop wins",
                TrustedIp,
                LOCAL,
                &["192.0.2.10"],
                "192.0.2.10",
                vec![("x-forwarded-for", "10.1.0.5, 198.51.100.1")],
                Forbidden,
            ),
            (
                "XFF garbage from proxy",
                TrustedIp,
                LOCAL,
                &["127.0.0.1"],
                "127.0.0.1",
                vec![("x-forwarded-for", "not-an-ip")],
                Forbidden,
            ),
            (
                "X-Real-IP through proxy",
                TrustedIp,
                LOCAL,
                &["192.0.2.10"],
                "192.0.2.10",
                vec![("x-real-ip", "10.1.9.9")],
                Allow,
            ),
            ("basic ok", BasicAuth, LOCAL, &[], "192.0.2.1", vec![("authorization", &good)], Allow),
            ("basic lowercase scheme", BasicAuth, LOCAL, &[], "192.0.2.1", vec![("authorization", &lower)], Allow),
            ("basic wrong", BasicAuth, LOCAL, &[], "192.0.2.1", vec![("authorization", &wrong)], Unauthorized),
            ("basic missing", BasicAuth, LOCAL, &[], "127.0.0.1", vec![], Unauthorized),
            (
                "basic bad base64",
                BasicAuth,
                LOCAL,
                &[],
                "192.0.2.1",
                vec![("authorization", "Basic %%%")],
                Unauthorized,
            ),
            ("basic no colon", BasicAuth, LOCAL, &[], "192.0.2.1", vec![("authorization", &no_colon)], Unauthorized),
            ("basic not utf-8", BasicAuth, LOCAL, &[], "192.0.2.1", vec![("authorization", &latin1)], Unauthorized),
            ("bearer scheme", BasicAuth, LOCAL, &[], "192.0.2.1", vec![("authorization", "Bearer abc")], Unauthorized),
            ("short header", BasicAuth, LOCAL, &[], "192.0.2.1", vec![("authorization", "Bas")], Unauthorized),
            ("both ok", Both, LOCAL, &[], "127.0.0.1", vec![("authorization", &good)], Allow),
            ("both, untrusted", Both, LOCAL, &[], "192.0.2.1", vec![("authorization", &good)], Forbidden),
            ("both, no creds", Both, LOCAL, &[], "127.0.0.1", vec![], Unauthorized),
            ("either by ip", Either, LOCAL, &[], "127.0.0.1", vec![], Allow),
            ("either by creds", Either, LOCAL, &[], "192.0.2.1", vec![("authorization", &good)], Allow),
            ("either neither", Either, LOCAL, &[], "192.0.2.1", vec![], Unauthorized),
            // Peers whose address the integration cannot tell: never trusted by address.
            ("unknown peer, trusted-ip", TrustedIp, LOCAL, &[], UNKNOWN, vec![], Forbidden),
            ("unknown peer, every address trusted", TrustedIp, EVERY, &[], UNKNOWN, vec![], Forbidden),
            (
                "unknown peer claims loopback",
                TrustedIp,
                LOCAL,
                &["127.0.0.1"],
                UNKNOWN,
                vec![("x-forwarded-for", "127.0.0.1"), ("x-real-ip", "127.0.0.1")],
                Forbidden,
            ),
            ("unknown peer, basic ok", BasicAuth, LOCAL, &[], UNKNOWN, vec![("authorization", &good)], Allow),
            ("unknown peer, basic missing", BasicAuth, LOCAL, &[], UNKNOWN, vec![], Unauthorized),
            ("unknown peer, both", Both, LOCAL, &[], UNKNOWN, vec![("authorization", &good)], Forbidden),
            ("unknown peer, either by creds", Either, LOCAL, &[], UNKNOWN, vec![("authorization", &good)], Allow),
            ("unknown peer, either neither", Either, LOCAL, &[], UNKNOWN, vec![], Unauthorized),
            // Every peer: the named mode, and the documented trusted-hosts equivalent.
            ("anyone, any address", Anyone, &[], &[], "203.0.113.9", vec![], Allow),
            ("anyone, v6", Anyone, &[], &[], "2001:db8::1", vec![], Allow),
            ("anyone, unknown peer", Anyone, &[], &[], UNKNOWN, vec![], Allow),
            ("anyone ignores bad credentials", Anyone, LOCAL, &[], "192.0.2.1", vec![("authorization", &wrong)], Allow),
            (
                "anyone ignores garbage XFF",
                Anyone,
                &[],
                &["127.0.0.1"],
                "127.0.0.1",
                vec![("x-forwarded-for", "x")],
                Allow,
            ),
            ("every v4 block", TrustedIp, EVERY, &[], "203.0.113.9", vec![], Allow),
            ("every v6 block", TrustedIp, EVERY, &[], "2001:db8::1", vec![], Allow),
            ("every block, v4-mapped", TrustedIp, EVERY, &[], "::ffff:203.0.113.9", vec![], Allow),
            ("only 0.0.0.0/0 leaves v6 out", TrustedIp, &["0.0.0.0/0"], &[], "2001:db8::1", vec![], Forbidden),
        ];
        for (name, mode, trusted, proxies, peer, hdrs, want) in cases {
            let peer: Option<IpAddr> = match peer {
                UNKNOWN => None,
                p => match p.parse() {
                    Ok(p) => Some(p),
                    Err(e) => panic!("{name}: {e}"),
                },
            };
            assert_eq!(decide(peer, &headers(&hdrs), &policy(mode, trusted, proxies)), want, "{name}");
        }
    }

    #[test]
    fn default_policy_is_loopback_only() {
        let p = AccessPolicy::default();
        assert_eq!(decide("127.0.0.1".parse().ok(), &HeaderMap::new(), &p), Decision::Allow);
        assert_eq!(decide("192.0.2.1".parse().ok(), &HeaderMap::new(), &p), Decision::Forbidden);
    }
}
