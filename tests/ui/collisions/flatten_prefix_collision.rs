use metrics_core::{Gauge, Metrics};

#[derive(Metrics)]
#[metrics(prefix = "lua")]
struct Lua {
    /// Contexts alive.
    count: Gauge,
}

#[derive(Metrics)]
struct M {
    /// Lua metrics.
    #[metric(flatten)]
    lua: Lua,
    /// Clashes with the flattened, prefixed metric.
    lua_count: Gauge,
}

fn main() {}
