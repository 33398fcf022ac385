use metrics_core::{Gauge, Metrics};

// Through an alias or a flattened struct the derive cannot see the kind or the names: the
// const checks compare the `dots` and `values` spellings too, at the field.
type Depth = Gauge;

#[derive(Metrics)]
struct Aliased {
    /// Read by the derive.
    #[metric(name = "queue.depth")]
    depth: Gauge,
    /// Behind an alias: `queue_dot_depth` under `dots`, as `queue.depth`.
    #[metric(name = "queue-dot-depth")]
    other: Depth,
}

#[derive(Metrics)]
struct Escaped {
    /// Already escaped.
    #[metric(name = "U__queue_2e_depth")]
    depth: Gauge,
}

#[derive(Metrics)]
struct Queue {
    /// OpenTelemetry style.
    #[metric(name = "queue.depth")]
    depth: Gauge,
}

#[derive(Metrics)]
struct Flattened {
    /// Queue.
    #[metric(flatten)]
    queue: Queue,
    /// `U__queue_2e_depth` under `values`, as `queue.depth`.
    #[metric(flatten)]
    escaped: Escaped,
}

fn main() {}
