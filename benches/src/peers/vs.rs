//! vise (matter-labs/vise 0.3): label types and metric structs of the workloads.

use vise::{Buckets, Counter, EncodeLabelSet, EncodeLabelValue, Family, Gauge, Histogram, Metrics};

use crate::{SERIES, counter_value, gauge_value, observations, route};

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[metrics(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[metrics(rename_all = "snake_case")]
pub enum Status {
    S200,
    S201,
    S404,
    S500,
    S503,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EnumLabels {
    pub method: Method,
    pub status: Status,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StrLabels {
    pub method: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Route {
    pub route: String,
}

const DEFAULT: Buckets = Buckets::values(&[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]);

#[derive(Debug, Metrics)]
pub struct Hot {
    pub counter: Counter,
    pub dense: Family<EnumLabels, Counter>,
    pub dynamic: Family<StrLabels, Counter>,
    #[metrics(buckets = DEFAULT)]
    pub histogram: Histogram<f64>,
    pub memory: Family<Route, Counter>,
}

#[derive(Debug, Metrics)]
pub struct Big {
    pub c0: Family<Route, Counter>,
    pub c1: Family<Route, Counter>,
    pub c2: Family<Route, Counter>,
    pub c3: Family<Route, Counter>,
    pub c4: Family<Route, Counter>,
    pub c5: Family<Route, Counter>,
    pub c6: Family<Route, Counter>,
    pub c7: Family<Route, Counter>,
    pub c8: Family<Route, Counter>,
    pub c9: Family<Route, Counter>,
    pub g0: Family<Route, Gauge<i64>>,
    pub g1: Family<Route, Gauge<i64>>,
    pub g2: Family<Route, Gauge<i64>>,
    pub g3: Family<Route, Gauge<i64>>,
    pub g4: Family<Route, Gauge<i64>>,
    pub g5: Family<Route, Gauge<i64>>,
    pub g6: Family<Route, Gauge<i64>>,
    pub g7: Family<Route, Gauge<i64>>,
    pub g8: Family<Route, Gauge<i64>>,
    pub g9: Family<Route, Gauge<i64>>,
    #[metrics(buckets = DEFAULT)]
    pub h0: Family<Route, Histogram<f64>>,
    #[metrics(buckets = DEFAULT)]
    pub h1: Family<Route, Histogram<f64>>,
    #[metrics(buckets = DEFAULT)]
    pub h2: Family<Route, Histogram<f64>>,
    #[metrics(buckets = DEFAULT)]
    pub h3: Family<Route, Histogram<f64>>,
    #[metrics(buckets = DEFAULT)]
    pub h4: Family<Route, Histogram<f64>>,
}

pub fn enum_keys() -> Vec<EnumLabels> {
    let m = [Method::Get, Method::Post, Method::Put, Method::Delete];
    let s = [Status::S200, Status::S201, Status::S404, Status::S500, Status::S503];
    (0..20).map(|i| EnumLabels { method: m[i % 4], status: s[i % 5] }).collect()
}

/// The encoding workload, filled.
pub fn big() -> Big {
    let vbig = Big::default();

    let cs = [&vbig.c0, &vbig.c1, &vbig.c2, &vbig.c3, &vbig.c4, &vbig.c5, &vbig.c6, &vbig.c7, &vbig.c8, &vbig.c9];
    let gs = [&vbig.g0, &vbig.g1, &vbig.g2, &vbig.g3, &vbig.g4, &vbig.g5, &vbig.g6, &vbig.g7, &vbig.g8, &vbig.g9];
    let hs = [&vbig.h0, &vbig.h1, &vbig.h2, &vbig.h3, &vbig.h4];
    for i in 0..SERIES {
        let r = Route { route: route(i) };
        cs.iter().for_each(|f| {
            f[&r].inc_by(counter_value(i));
        });
        gs.iter().for_each(|f| {
            f[&r].set(gauge_value(i));
        });
        hs.iter().for_each(|f| observations(i).for_each(|v| f[&r].observe(v)));
    }
    vbig
}
