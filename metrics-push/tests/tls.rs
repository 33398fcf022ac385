//! `https` receivers with the `rustls` feature: a TLS receiver whose certificate a private CA
//! signed (made with the `openssl` command) gets the push when that CA is configured, and the
//! push fails (with the TLS error) when it is not.
#![cfg(feature = "rustls")]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use metrics_core::Registry;
use metrics_push::Destination;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn openssl(dir: &Path, args: &[&str]) {
    let ok = Command::new("openssl").current_dir(dir).args(args).output().unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(ok.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
}

/// A CA, and a certificate for `localhost` and 127.0.0.1 that it signed.
fn certificates(dir: &Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=push test CA"],
        ]
        .concat(),
    );
    openssl(dir, &[&["req"][..], &ec, &["-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"]].concat());
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
        ],
    );
}

/// A TLS receiver answering every request 204; returns its port and a count of requests.
fn receiver(dir: &Path, rt: &tokio::runtime::Runtime) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join("leaf.pem")).unwrap_or_else(|e| panic!("{e}")).flatten().collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap_or_else(|e| panic!("{e}"));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .unwrap_or_else(|e| panic!("{e}"));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"));
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    rt.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; 1 << 16];
                let mut got = Vec::new();
                // Headers, then the body by its length.
                while let Ok(n) = tls.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                            })
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        if got.len() >= end + 4 + len {
                            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let _ = tls.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").await;
                            got.clear();
                        }
                    }
                }
            });
        }
    });
    (port, count)
}

#[test]
fn an_https_receiver_is_reached_through_rustls() {
    let dir = std::env::temp_dir().join(format!("push-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    certificates(&dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let (port, count) = receiver(&dir, &rt);
    let ca = std::fs::read(dir.join("ca.pem")).unwrap_or_else(|e| panic!("{e}"));
    let url = format!("https://localhost:{port}/api/v1/write");
    let fast = |d: Destination| d.interval(None).max_retries(0).timeout(Duration::from_secs(5));

    let trusted = fast(Destination::remote_write(&url).name("tls-ok").tls_ca_pem(&ca));
    assert_eq!(trusted.push_once(Arc::new(Registry::new())), Ok(()));
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);

    let untrusted = fast(Destination::remote_write(&url).name("tls-unknown-ca"));
    let err = untrusted.push_once(Arc::new(Registry::new())).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);

    let bad = Destination::remote_write(&url).tls_ca_pem(b"not a certificate");
    assert_eq!(
        bad.start(Arc::new(Registry::new())).err().map(|e| e.to_string()).as_deref(),
        Some("bad TLS CA certificate: no PEM certificate found")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
