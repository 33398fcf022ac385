//! The connector: plain TCP, or TCP then TLS (rustls, the system's roots plus any configured
//! CA) with the `rustls` feature.

use hyper_util::client::legacy::connect::HttpConnector;

use crate::PushError;

/// The connector of every destination: HTTP, and HTTPS with the `rustls` feature.
#[cfg(feature = "rustls")]
pub(crate) type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
/// The connector of every destination: HTTP, and HTTPS with the `rustls` feature.
#[cfg(not(feature = "rustls"))]
pub(crate) type Connector = HttpConnector;

#[cfg(not(feature = "rustls"))]
pub(crate) fn connector(http: HttpConnector, _: &[Vec<u8>]) -> Result<Connector, PushError> {
    Ok(http)
}

/// Trusts the system's root certificates and the PEM certificates in `extra_ca`.
#[cfg(feature = "rustls")]
pub(crate) fn connector(mut http: HttpConnector, extra_ca: &[Vec<u8>]) -> Result<Connector, PushError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    http.enforce_http(false);
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are skipped: a configured CA may be all that is needed.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    for pem in extra_ca {
        let mut any = false;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| PushError::Config(format!("bad TLS CA certificate: {e}")))?;
            roots.add(cert).map_err(|e| PushError::Config(format!("bad TLS CA certificate: {e}")))?;
            any = true;
        }
        if !any {
            return Err(PushError::Config("bad TLS CA certificate: no PEM certificate found".into()));
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PushError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http))
}
