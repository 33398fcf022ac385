//! Helpers shared by the end-to-end tests: an HTTP client, the external tools, the fixtures.

use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

pub mod pb;

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
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Sends a request with a real HTTP client (ureq), never erroring on a status code.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Resp {
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
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
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let mut raw = Vec::new();
    let _ = resp.into_body().into_reader().read_to_end(&mut raw);
    let gz = headers.iter().any(|(k, v)| k == "content-encoding" && v == "gzip");
    let body = if gz {
        let mut s = String::new();
        if let Err(e) = flate2::read::GzDecoder::new(&raw[..]).read_to_string(&mut s) {
            panic!("bad gzip body from {url}: {e}");
        }
        s
    } else {
        String::from_utf8_lossy(&raw).into_owned()
    };
    Resp { status, headers, body, raw }
}

/// `GET url`.
pub fn get(url: &str) -> Resp {
    request("GET", url, &[])
}

/// The path of an external tool, or a failure that says how to install it (tests skip nothing
/// silently).
pub fn tool(name: &str, install: &str) -> PathBuf {
    match Command::new("sh").arg("-c").arg(format!("command -v {name}")).output() {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => panic!("`{name}` is not installed; install it with: {install} (`.ci/run` does this)"),
    }
}

/// The Python of the venv holding the UTF-8-aware prometheus-client 0.26.0 (quoted names in
/// text 1.0.0 and OpenMetrics): `$METRICS_PY_UTF8_VENV`, by default where `scripts/install.sh`
/// makes it; a failure saying how to make it if it is missing.
pub fn python_utf8() -> PathBuf {
    let venv = std::env::var_os("METRICS_PY_UTF8_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/metrics-tests/prometheus-client-0.26.0")
    });
    let py = venv.join("bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import importlib.metadata as m, sys; sys.exit(m.version('prometheus-client') != '0.26.0')"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        panic!(
            "prometheus-client 0.26.0 is missing from the venv {}; make it with: bash scripts/install.sh",
            venv.display()
        );
    }
    py
}

/// Python 3 with `prometheus_client` importable, or a failure saying how to install it.
pub fn python() -> PathBuf {
    let py = tool("python3", "apt-get install python3");
    let ok = Command::new(&py).args(["-c", "import prometheus_client"]).status().map(|s| s.success()).unwrap_or(false);
    if !ok {
        panic!(
            "the Python package prometheus-client is missing; install it with: pip install prometheus-client==0.21.1 (`.ci/run` does this)"
        );
    }
    py
}

/// Runs `tests/python/<script> <kind> <file>` with the interpreter `py` on `text` (written to a
/// temporary file, removed after) and returns its stdout; panics with its stderr and `text`
/// when it fails (a parser refusing our output).
pub fn python_on_text(py: &std::path::Path, script: &str, kind: &str, text: &str) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("{script}-{}-{kind}-{}.txt", std::process::id(), text.len()));
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(py)
        .arg(dir().join("python").join(script))
        .arg(kind)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{} {script} ({kind}) rejects our output: {}\n{text}",
        py.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Replaces the value of every `_created` sample (wall-clock time) with `<created>`, so that
/// outputs can be compared with expected files.
pub fn mask_created(text: &str) -> String {
    text.lines()
        .map(|l| {
            if !l.starts_with('#') && l.split(['{', ' ']).next().is_some_and(|n| n.ends_with("_created")) {
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
pub fn raw(
    addr: std::net::SocketAddr,
    from: std::net::IpAddr,
    request: &[u8],
    timeout: std::time::Duration,
) -> std::io::Result<Vec<u8>> {
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
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                break;
            }
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
    let out = raw(addr, from, req.as_bytes(), std::time::Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("raw GET {path}: {e}"));
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

/// What the tests compare of a Prometheus text family: help, type, and each sample's name with
/// its label names (values are not compared: they move).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Family {
    /// `# HELP` text, unescaped.
    pub help: Option<String>,
    /// `# TYPE`.
    pub kind: Option<String>,
    /// `(sample name, label names)` of every sample.
    pub samples: std::collections::BTreeSet<(String, Vec<String>)>,
    /// `(sample name, label pairs)` of every sample.
    pub series: Vec<(String, Vec<(String, String)>)>,
}

/// Parses Prometheus text 0.0.4 into families keyed by the `# HELP`/`# TYPE` name. A small,
/// strict reader for comparing with the seeds; conformance is judged by promtool and the Python
/// parsers, not by this.
pub fn parse_text(text: &str) -> std::collections::BTreeMap<String, Family> {
    let mut out: std::collections::BTreeMap<String, Family> = Default::default();
    let mut current = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            current = name.to_owned();
            out.entry(current.clone()).or_default().help = Some(help.replace("\\n", "\n").replace("\\\\", "\\"));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            current = name.to_owned();
            out.entry(current.clone()).or_default().kind = Some(kind.to_owned());
        } else if line.starts_with('#') {
            continue;
        } else {
            let (name, labels) = parse_sample(line);
            let names = labels.iter().map(|(k, _)| k.clone()).collect();
            let fam = out.entry(current.clone()).or_default();
            fam.samples.insert((name.clone(), names));
            fam.series.push((name, labels));
        }
    }
    out
}

/// A sample line's name and label pairs (values unescaped).
pub fn parse_sample(line: &str) -> (String, Vec<(String, String)>) {
    let end = line.find(['{', ' ']).unwrap_or(line.len());
    let name = line[..end].to_owned();
    let mut labels = Vec::new();
    if line[end..].starts_with('{') {
        let mut chars = line[end + 1..].chars().peekable();
        loop {
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            let key = key.trim_start_matches(',').trim().to_owned();
            if key.is_empty() || key.starts_with('}') {
                break;
            }
            chars.next(); // opening quote
            let mut value = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some(o) => value.push(o),
                        None => break,
                    },
                    '"' => break,
                    o => value.push(o),
                }
            }
            labels.push((key, value));
            if chars.peek() == Some(&'}') {
                break;
            }
        }
    }
    (name, labels)
}

/// Stops a child process (a Prometheus server, a receiver) when dropped, so that nothing outlives
/// a failing test.
#[derive(Debug)]
pub struct Reaped(pub std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free TCP port on 127.0.0.1 (for a server started by a test).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An instant query to the Prometheus server at `prom` (`host:port`): the `result` array.
pub fn query(prom: &str, q: &str) -> Vec<serde_json::Value> {
    let url = format!(
        "http://{prom}/api/v1/query?query={}",
        q.replace('{', "%7B").replace('}', "%7D").replace('"', "%22").replace('=', "%3D").replace(' ', "%20")
    );
    let r = get(&url);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// The value of a query's first result.
pub fn value_of(results: &[serde_json::Value]) -> Option<f64> {
    results.first().and_then(|r| r["value"][1].as_str()).and_then(|s| s.parse().ok())
}

/// Starts the Debian `prometheus` server on a free 127.0.0.1 port with `config` (YAML) as its
/// configuration and `flags` added (feature flags, receivers), storing under
/// `$TMP/prometheus-<name>-<pid>`: the running server (stopped when dropped), its `host:port`
/// and that directory (with `prometheus.log`), once it answers that it is ready.
pub fn start_prometheus(name: &str, config: &str, flags: &[&str]) -> (Reaped, String, PathBuf) {
    let bin = tool("prometheus", "apt-get install prometheus");
    let tmp = std::env::temp_dir().join(format!("prometheus-{name}-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("data")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(tmp.join("prometheus.yml"), config).unwrap_or_else(|e| panic!("{e}"));
    let web = format!("127.0.0.1:{}", free_port());
    let log = std::fs::File::create(tmp.join("prometheus.log")).unwrap_or_else(|e| panic!("{e}"));
    let server = Reaped(
        Command::new(bin)
            .arg(format!("--config.file={}", tmp.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", tmp.join("data").display()))
            .arg(format!("--web.listen-address={web}"))
            .args(flags)
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting prometheus: {e}")),
    );
    wait_until_ready(&web);
    (server, web, tmp)
}

/// Waits up to a minute for the Prometheus at `web` to answer `/-/ready` with `Ready`. While
/// it starts, its port may refuse or reset a connection (the listener comes up before the
/// server serves): those are retried, not failures.
fn wait_until_ready(web: &str) {
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let url = format!("http://{web}/-/ready");
    let start = std::time::Instant::now();
    loop {
        let body = agent.get(&url).call().ok().and_then(|r| r.into_body().read_to_string().ok());
        if body.is_some_and(|b| b.contains("Ready")) {
            return;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "prometheus at {web} not ready");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
