//! prometheus-client (prometheus/client_rust 0.25): label types of the workloads and the
//! encoding workload's registry.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram};
use prometheus_client::registry::Registry;

use crate::{BUCKETS, SERIES, counter_value, gauge_value, observations, route};

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
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

pub fn enum_keys() -> Vec<EnumLabels> {
    let m = [Method::Get, Method::Post, Method::Put, Method::Delete];
    let s = [Status::S200, Status::S201, Status::S404, Status::S500, Status::S503];
    (0..20).map(|i| EnumLabels { method: m[i % 4], status: s[i % 5] }).collect()
}

/// The encoding workload: 10 counter, 10 gauge and 5 histogram families of 100 series.
pub fn registry() -> Registry {
    let mut preg = Registry::default();

    for f in 0..10 {
        let fam = Family::<Route, Counter>::default();
        for i in 0..SERIES {
            fam.get_or_create(&Route { route: route(i) }).inc_by(counter_value(i));
        }
        preg.register(format!("c{f}"), "c", fam);
    }
    for f in 0..10 {
        let fam = Family::<Route, Gauge>::default();
        for i in 0..SERIES {
            fam.get_or_create(&Route { route: route(i) }).set(gauge_value(i));
        }
        preg.register(format!("g{f}"), "g", fam);
    }
    for f in 0..5 {
        let fam = Family::<Route, Histogram>::new_with_constructor(|| Histogram::new(BUCKETS));
        for i in 0..SERIES {
            let h = fam.get_or_create(&Route { route: route(i) });
            observations(i).for_each(|v| h.observe(v));
        }
        preg.register(format!("h{f}"), "h", fam);
    }
    preg
}
