//! metrics 0.24 with metrics-exporter-prometheus 0.18: the recorder of the encoding workload (the
//! hot paths use the global recorder, with handles cached where the API allows).

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

use crate::{BUCKETS, SERIES, counter_value, gauge_value, observations, route};

/// A local recorder holding the encoding workload: 10 counter, 10 gauge and 5 histogram
/// families of 100 series.
pub fn recorder() -> PrometheusRecorder {
    let recorder = PrometheusBuilder::new().set_buckets(&BUCKETS).unwrap_or_else(|e| panic!("{e}")).build_recorder();
    metrics::with_local_recorder(&recorder, || {
        for i in 0..SERIES {
            let r = route(i);
            for f in 0..10 {
                metrics::counter!(format!("c{f}_total"), "route" => r.clone()).increment(counter_value(i));
                metrics::gauge!(format!("g{f}"), "route" => r.clone()).set(gauge_value(i) as f64);
            }
            for f in 0..5 {
                let h = metrics::histogram!(format!("h{f}"), "route" => r.clone());
                observations(i).for_each(|v| h.record(v));
            }
        }
    });
    recorder
}
