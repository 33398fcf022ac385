#![deny(unused_must_use)]

use std::sync::Arc;

use metrics_core::Registry;
use metrics_http::{Exporter, Server};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let exporter = Exporter::builder(Arc::new(Registry::new())).build()?;
    // Starts the server and stops it at once.
    Server::spawn_thread(Server::builder(exporter.clone()))?;
    // A builder left unused.
    Exporter::builder(Arc::new(Registry::new())).gzip(false);
    Server::builder(exporter.clone()).max_connections(4);
    // The examples' running servers stop when dropped too.
    examples::kumo::start("127.0.0.1:0".parse()?, Vec::new(), std::time::Duration::from_secs(1))?;
    examples::infra::start("127.0.0.1:0".parse()?)?;
    drop(bound(exporter));
    Ok(())
}

async fn bound(exporter: Exporter) -> std::io::Result<()> {
    // Binds, then closes the socket at once.
    Server::builder(exporter).bind().await?;
    Ok(())
}
