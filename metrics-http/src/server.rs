//! A standalone server on hyper and tokio.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::config::ExporterConfig;
use crate::handler::Exporter;

/// Builds a [`Server`].
#[must_use = "a server builder does nothing until it is bound (`bind`) or run (`Server::spawn_thread`)"]
pub struct ServerBuilder {
    exporter: Exporter,
    addr: SocketAddr,
    header_timeout: Duration,
    max_header_bytes: usize,
    max_connections: usize,
}

/// A bound server: [`local_addr`](Self::local_addr) tells where it listens, and
/// [`serve`](Self::serve) or [`serve_with_shutdown`](Self::serve_with_shutdown) run it.
///
/// ```no_run
/// # async fn run(exporter: metrics_http::Exporter) -> std::io::Result<()> {
/// let server = metrics_http::Server::builder(exporter).listen("127.0.0.1:0".parse().unwrap()).bind().await?;
/// println!("serving on http://{}/metrics", server.local_addr());
/// server.serve_with_shutdown(async { tokio::signal::ctrl_c().await.ok(); }).await
/// # }
/// ```
#[must_use = "dropping a bound Server closes its socket: call `serve` or `serve_with_shutdown`"]
pub struct Server {
    listener: TcpListener,
    builder: ServerBuilder,
}

impl ServerBuilder {
    /// The address to listen on (default `127.0.0.1:9090`; port 0 picks a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// How long a client has to send its request line and headers (default 10 s); a client
    /// that sends nothing, or trickles bytes, is dropped then.
    pub fn header_timeout(mut self, d: Duration) -> Self {
        self.header_timeout = d;
        self
    }

    /// The largest request line plus headers (default 16 KiB; 414 or 431 beyond).
    pub fn max_header_bytes(mut self, n: usize) -> Self {
        self.max_header_bytes = n.max(8192);
        self
    }

    /// Open connections at once (default 256); more get a 503 and are closed.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Listen address and limits from a configuration.
    pub fn config(self, c: &ExporterConfig) -> Self {
        self.listen(c.listen)
            .header_timeout(c.request_timeout())
            .max_header_bytes(c.max_header_bytes)
            .max_connections(c.max_connections)
    }

    /// Binds the listening socket.
    pub async fn bind(self) -> io::Result<Server> {
        let listener = TcpListener::bind(self.addr).await?;
        Ok(Server { listener, builder: self })
    }
}

const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 29\r\n\r\ntoo many connections, retry\n";

impl Server {
    /// A builder for `exporter`.
    pub fn builder(exporter: Exporter) -> ServerBuilder {
        ServerBuilder {
            exporter,
            addr: SocketAddr::from(([127, 0, 0, 1], 9090)),
            header_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_connections: 256,
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.builder.addr)
    }

    /// Serves until the process ends.
    pub async fn serve(self) -> io::Result<()> {
        self.serve_with_shutdown(std::future::pending()).await
    }

    /// Serves until `shutdown` completes, then stops accepting and lets open requests finish
    /// (for at most 5 seconds).
    pub async fn serve_with_shutdown(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let Server { listener, builder } = self;
        let exporter = builder.exporter.clone();
        let permits = Arc::new(Semaphore::new(builder.max_connections));
        let graceful = GracefulShutdown::new();
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(builder.header_timeout)
            .max_buf_size(builder.max_header_bytes)
            .keep_alive(true);
        tokio::pin!(shutdown);
        loop {
            let (mut stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    // Out of file descriptors and the like: wait and go on rather than die.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(BUSY)).await;
                    let _ = stream.shutdown().await;
                });
                continue;
            };
            let exporter = exporter.clone();
            let service = service_fn(move |req: Request<Incoming>| {
                let exporter = exporter.clone();
                async move {
                    let (parts, _body) = req.into_parts();
                    let resp = exporter.respond_async(&parts.method, &parts.uri, &parts.headers, Some(peer.ip())).await;
                    Ok::<_, Infallible>(resp.map(Full::new))
                }
            });
            let conn = http.serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                let _ = conn.await;
                drop(permit);
            });
        }
        drop(listener);
        let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
        Ok(())
    }

    /// Runs the server on a thread of its own with its own runtime, for applications without
    /// an async runtime. Dropping the handle (or calling [`ServerHandle::shutdown`]) stops it.
    #[must_use = "dropping the ServerHandle stops the server: bind it to a named variable (`let _server = ...`, not `let _ = ...`) that lives as long as the server should run"]
    pub fn spawn_thread(builder: ServerBuilder) -> io::Result<ServerHandle> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .enable_all()
            .thread_name("metrics-http")
            .build()?;
        let server = rt.block_on(builder.bind())?;
        let addr = server.local_addr();
        let (tx, mut rx) = watch::channel(false);
        let thread = std::thread::Builder::new().name("metrics-http".into()).spawn(move || {
            rt.block_on(server.serve_with_shutdown(async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }))
        })?;
        Ok(ServerHandle { addr, stop: tx, thread: Some(thread) })
    }
}

/// A server running on its own thread (see [`Server::spawn_thread`]).
///
/// Note: dropping the handle stops the server, so `Server::spawn_thread(...)?;` on its own
/// would start a server and stop it at once; the compiler warns about that. Keep the handle as
/// long as the server should run, in `main` or in the application's state:
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let exporter = metrics_http::Exporter::builder(Default::default()).build()?;
/// use metrics_http::Server;
/// let server = Server::spawn_thread(Server::builder(exporter))?;
/// // ... the application runs ...
/// server.shutdown()?; // or let `server` go out of scope
/// # Ok(()) }
/// ```
#[must_use = "dropping the ServerHandle stops the server: bind it to a named variable (`let _server = ...`, not `let _ = ...`) that lives as long as the server should run"]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        let _ = self.stop.send(true);
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the metrics server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}
