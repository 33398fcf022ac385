use metrics_core::{Gauge, Metrics};

#[derive(Metrics)]
struct Queue {
    /// Depth, named as OpenTelemetry does.
    #[metric(name = "queue.depth")]
    depth: Gauge,
}

#[derive(Metrics)]
struct Legacy {
    /// The same series for a scraper of legacy names.
    queue_depth: Gauge,
}

#[derive(Metrics)]
struct M {
    /// Queue.
    #[metric(flatten)]
    queue: Queue,
    /// Legacy.
    #[metric(flatten)]
    legacy: Legacy,
}

#[derive(Metrics)]
struct Own {
    /// A field of the struct itself against a flattened UTF-8 name.
    queue_depth: Gauge,
    /// Queue.
    #[metric(flatten)]
    queue: Queue,
}

fn main() {}
