//! Helpers shared by the end-to-end tests: an HTTP client, the external tools, the fixtures.

use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

/// The tests' directory.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A response as the tests see it.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers, lowercase names.
    pub headers: Vec<(String, String)>,
    /// Body, gunzipped when the response was gzip-encoded.
    pub body: String,
    /// The body as received.
    pub raw: Vec<u8>,
}

impl Resp {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends a request with a real HTTP client (ureq), never erroring on a status code.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Resp {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut b = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = match b.body(()) {
        Ok(r) => r,
        Err(e) => panic!("bad request {method} {url}: {e}"),
    };
    let resp = match agent.run(req) {
        Ok(r) => r,
        Err(e) => panic!("{method} {url} failed: {e}"),
    };
    let status = resp.status().as_u16();
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut raw = Vec::new();
    let _ = resp.into_body().into_reader().read_to_end(&mut raw);
    let gz = headers
        .iter()
        .any(|(k, v)| k == "content-encoding" && v == "gzip");
    let body = if gz {
        let mut s = String::new();
        if let Err(e) = flate2::read::GzDecoder::new(&raw[..]).read_to_string(&mut s) {
            panic!("bad gzip body from {url}: {e}");
        }
        s
    } else {
        String::from_utf8_lossy(&raw).into_owned()
    };
    Resp {
        status,
        headers,
        body,
        raw,
    }
}

/// `GET url`.
pub fn get(url: &str) -> Resp {
    request("GET", url, &[])
}

/// The path of an external tool, or a failure that says how to install it (tests skip nothing
/// silently).
pub fn tool(name: &str, install: &str) -> PathBuf {
    match Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
    {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => panic!("`{name}` is not installed; install it with: {install} (`.ci/run` does this)"),
    }
}

/// Python 3 with `prometheus_client` importable, or a failure saying how to install it.
pub fn python() -> PathBuf {
    let py = tool("python3", "apt-get install python3");
    let ok = Command::new(&py)
        .args(["-c", "import prometheus_client"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        panic!(
            "the Python package prometheus-client is missing; install it with: pip install prometheus-client==0.21.1 (`.ci/run` does this)"
        );
    }
    py
}

/// Replaces the value of every `_created` sample (wall-clock time) with `<created>`, so that
/// outputs can be compared with expected files.
pub fn mask_created(text: &str) -> String {
    text.lines()
        .map(|l| {
            if !l.starts_with('#')
                && l.split(['{', ' '])
                    .next()
                    .is_some_and(|n| n.ends_with("_created"))
            {
                match l.rfind(' ') {
                    Some(i) => format!("{} <created>", &l[..i]),
                    None => l.to_owned(),
                }
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}

/// A raw HTTP exchange over a socket bound to `from` (to test peers such as 127.0.0.2 and
/// requests no client library would send). Returns everything the server sent before closing
/// or `timeout`.
pub fn raw(addr: std::net::SocketAddr, from: std::net::IpAddr, request: &[u8], timeout: std::time::Duration) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let domain = if from.is_ipv4() { socket2::Domain::IPV4 } else { socket2::Domain::IPV6 };
    let s = socket2::Socket::new(domain, socket2::Type::STREAM, None)?;
    s.bind(&std::net::SocketAddr::new(from, 0).into())?;
    s.connect_timeout(&addr.into(), timeout)?;
    let mut stream: std::net::TcpStream = s.into();
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(request)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => break,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// `GET path` from `from` with extra header lines, over a fresh connection closed by the
/// request; returns the status code and the response text.
pub fn raw_get(addr: std::net::SocketAddr, from: &str, path: &str, headers: &str) -> (u16, String) {
    let from: std::net::IpAddr = from.parse().unwrap_or_else(|e| panic!("{from}: {e}"));
    let req = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n{headers}\r\n");
    let out = raw(addr, from, req.as_bytes(), std::time::Duration::from_secs(5)).unwrap_or_else(|e| panic!("raw GET {path}: {e}"));
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}
