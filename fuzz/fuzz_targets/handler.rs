//! The request handler with arbitrary methods, targets, headers and peers: it never panics,
//! answers only the statuses it documents, and a 200 always carries a well-formed body.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, LazyLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use metrics_core::{Counter, Family, LabelSet, Metrics, Registry};
use metrics_http::{AccessMode, AccessPolicy, AuthConfig, Exporter};

#[derive(LabelSet)]
struct Svc {
    service: String,
}

#[derive(Metrics)]
struct M {
    /// Delivered.
    delivered: Family<Svc, Counter>,
}

static EXPORTERS: LazyLock<[Exporter; 2]> = LazyLock::new(|| {
    let make = |policy: AccessPolicy| {
        let m = Arc::new(M::default());
        m.delivered.get_or_create(&Svc { service: "smtp\"client\n".into() }).inc();
        let r = Arc::new(Registry::new());
        let _ = r.register_arc(m);
        Exporter::builder(r).access(policy).build().unwrap_or_else(|e| panic!("{e}"))
    };
    [
        make(AccessPolicy::default()),
        make(AccessPolicy {
            mode: AccessMode::Either,
            auth: Some(AuthConfig { username: "u".into(), secret: "p".into() }),
            proxies: vec!["127.0.0.9".parse().unwrap_or_else(|e| panic!("{e}"))],
            ..AccessPolicy::default()
        }),
    ]
});

#[derive(Arbitrary, Debug)]
struct Input {
    which: bool,
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    peer: [u8; 4],
}

fuzz_target!(|input: Input| {
    let Ok(method) = http::Method::from_bytes(input.method.as_bytes()) else { return };
    let Ok(uri) = input.target.parse::<http::Uri>() else { return };
    let mut headers = http::HeaderMap::new();
    for (k, v) in &input.headers {
        if let (Ok(k), Ok(v)) = (http::HeaderName::from_bytes(k.as_bytes()), http::HeaderValue::from_bytes(v)) {
            headers.append(k, v);
        }
    }
    let peer = IpAddr::V4(Ipv4Addr::from(input.peer));
    let exporter = &EXPORTERS[usize::from(input.which)];
    let resp = exporter.respond(&method, &uri, &headers, peer);
    let status = resp.status().as_u16();
    assert!([200, 400, 401, 403, 404, 405, 414, 503].contains(&status), "undocumented status {status}");
    if status == 401 {
        assert!(resp.headers().contains_key("www-authenticate"));
    }
    if status == 200 && method == http::Method::GET && !resp.headers().contains_key("content-encoding") {
        let body = std::str::from_utf8(resp.body()).unwrap_or_else(|e| panic!("non-UTF-8 body: {e}"));
        assert!(body.ends_with('\n') || body.ends_with('}'), "truncated body");
    }
});
