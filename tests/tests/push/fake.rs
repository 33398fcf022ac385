//! A scripted HTTP receiver on 127.0.0.1: answers each request as its script says (a status
//! with headers, a slow answer, a closed connection), records what it received.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// A status, extra headers, a body.
    Status(u16, Vec<(&'static str, String)>, String),
    /// Waits this long, then answers 204.
    Slow(Duration),
    /// Closes the connection without answering.
    Close,
}

/// A request as received (recorded on arrival, before it is answered).
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub(crate) struct Fake {
    pub(crate) addr: SocketAddr,
    script: Arc<Mutex<VecDeque<Answer>>>,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl Fake {
    /// A receiver on a free port.
    pub(crate) fn start(script: Vec<Answer>) -> Fake {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}")), script)
    }

    /// A receiver on `listener`.
    pub(crate) fn on(listener: TcpListener, script: Vec<Answer>) -> Fake {
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        listener.set_nonblocking(true).unwrap_or_else(|e| panic!("{e}"));
        let f =
            Fake { addr, script: Arc::new(Mutex::new(script.into())), received: Arc::default(), stop: Arc::default() };
        let (script, received, stop) = (f.script.clone(), f.received.clone(), f.stop.clone());
        std::thread::spawn(move || {
            // Bounded: a test that forgets its receiver does not leave it running for long.
            let end = Instant::now() + Duration::from_secs(120);
            while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                match listener.accept() {
                    Ok((s, _)) => {
                        let (script, received, stop) = (script.clone(), received.clone(), stop.clone());
                        std::thread::spawn(move || serve(s, &script, &received, &stop));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        f
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Waits (at most 20 s) until `n` requests have been received.
    pub(crate) fn wait_for(&self, n: usize) -> Vec<Received> {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let r = self.received();
            if r.len() >= n || Instant::now() > end {
                return r;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(s: TcpStream, script: &Mutex<VecDeque<Answer>>, received: &Mutex<Vec<Received>>, stop: &AtomicBool) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let mut w = match s.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut r = BufReader::new(s);
    while !stop.load(Ordering::Relaxed) {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0usize);
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(mut rec) = received.lock() {
            rec.push(Received { method, path, headers, body });
        }
        let answer =
            script.lock().ok().and_then(|mut s| s.pop_front()).unwrap_or(Answer::Status(204, vec![], String::new()));
        let (status, extra, text) = match answer {
            Answer::Close => return,
            Answer::Slow(d) => {
                std::thread::sleep(d);
                (204, vec![], String::new())
            }
            Answer::Status(s, h, b) => (s, h, b),
        };
        let mut resp = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", text.len());
        for (n, v) in extra {
            resp.push_str(&format!("{n}: {v}\r\n"));
        }
        resp.push_str("\r\n");
        resp.push_str(&text);
        if w.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}
