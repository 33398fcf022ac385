//! prometheus (tikv/rust-prometheus 0.14): the encoding workload's registry (the hot paths use
//! its vectors with string label values directly).

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

use crate::{BUCKETS, SERIES, counter_value, gauge_value, observations, route};

/// The encoding workload: 10 counter, 10 gauge and 5 histogram families of 100 series.
pub fn registry() -> Registry {
    let treg = Registry::new();
    for f in 0..10 {
        let v = IntCounterVec::new(Opts::new(format!("c{f}_total"), "c"), &["route"]).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..SERIES {
            v.with_label_values(&[&route(i)]).inc_by(counter_value(i));
        }
        treg.register(Box::new(v)).unwrap_or_else(|e| panic!("{e}"));
    }
    for f in 0..10 {
        let v = IntGaugeVec::new(Opts::new(format!("g{f}"), "g"), &["route"]).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..SERIES {
            v.with_label_values(&[&route(i)]).set(gauge_value(i));
        }
        treg.register(Box::new(v)).unwrap_or_else(|e| panic!("{e}"));
    }
    for f in 0..5 {
        let v = HistogramVec::new(HistogramOpts::new(format!("h{f}"), "h").buckets(BUCKETS.to_vec()), &["route"])
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..SERIES {
            let h = v.with_label_values(&[&route(i)]);
            observations(i).for_each(|x| h.observe(x));
        }
        treg.register(Box::new(v)).unwrap_or_else(|e| panic!("{e}"));
    }
    treg
}
