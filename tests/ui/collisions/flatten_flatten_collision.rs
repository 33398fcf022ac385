use metrics_core::{Counter, Gauge, Metrics};

#[derive(Metrics)]
#[metrics(prefix = "smtp")]
struct Smtp {
    /// Connections.
    connections: Counter,
}

#[derive(Metrics)]
struct Other {
    /// The OpenMetrics family `smtp_connections` again.
    smtp_connections: Gauge,
}

#[derive(Metrics)]
struct M {
    /// SMTP.
    #[metric(flatten)]
    smtp: Smtp,
    /// Other.
    #[metric(flatten)]
    other: Other,
}

fn main() {}
