//! measured (conradludgate/measured 0.0.25): its dense `CounterVec` for the enum labels,
//! `ParaCord` for the string labels, and the encoding workload.

use measured::metric::histogram::Thresholds;
use measured::{CounterVec, FixedCardinalityLabel, GaugeVec, HistogramVec, LabelGroup, MetricGroup};
use paracord::ParaCord;

use crate::{BUCKETS, SERIES, counter_value, gauge_value, observations, route};

#[derive(Clone, Copy, Debug, PartialEq, LabelGroup)]
#[label(set = StrSet)]
pub struct StrLabels<'a> {
    #[label(dynamic_with = ParaCord)]
    pub method: &'a str,
    #[label(dynamic_with = ParaCord)]
    pub status: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, LabelGroup)]
#[label(set = RouteSet)]
pub struct Route<'a> {
    #[label(dynamic_with = ParaCord)]
    pub route: &'a str,
}

pub fn str_set() -> StrSet {
    StrSet { method: ParaCord::default(), status: ParaCord::default() }
}

pub fn route_set() -> RouteSet {
    RouteSet { route: ParaCord::default() }
}

#[derive(MetricGroup)]
pub struct Big {
    /// c
    pub c0: CounterVec<RouteSet>,
    /// c
    pub c1: CounterVec<RouteSet>,
    /// c
    pub c2: CounterVec<RouteSet>,
    /// c
    pub c3: CounterVec<RouteSet>,
    /// c
    pub c4: CounterVec<RouteSet>,
    /// c
    pub c5: CounterVec<RouteSet>,
    /// c
    pub c6: CounterVec<RouteSet>,
    /// c
    pub c7: CounterVec<RouteSet>,
    /// c
    pub c8: CounterVec<RouteSet>,
    /// c
    pub c9: CounterVec<RouteSet>,
    /// g
    pub g0: GaugeVec<RouteSet>,
    /// g
    pub g1: GaugeVec<RouteSet>,
    /// g
    pub g2: GaugeVec<RouteSet>,
    /// g
    pub g3: GaugeVec<RouteSet>,
    /// g
    pub g4: GaugeVec<RouteSet>,
    /// g
    pub g5: GaugeVec<RouteSet>,
    /// g
    pub g6: GaugeVec<RouteSet>,
    /// g
    pub g7: GaugeVec<RouteSet>,
    /// g
    pub g8: GaugeVec<RouteSet>,
    /// g
    pub g9: GaugeVec<RouteSet>,
    /// h
    pub h0: HistogramVec<RouteSet, 11>,
    /// h
    pub h1: HistogramVec<RouteSet, 11>,
    /// h
    pub h2: HistogramVec<RouteSet, 11>,
    /// h
    pub h3: HistogramVec<RouteSet, 11>,
    /// h
    pub h4: HistogramVec<RouteSet, 11>,
}

pub fn thresholds() -> Thresholds<11> {
    Thresholds::with_buckets(BUCKETS)
}

#[derive(Clone, Copy, Debug, PartialEq, FixedCardinalityLabel)]
#[label(rename_all = "SHOUTY_SNAKE_CASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq, FixedCardinalityLabel)]
pub enum Status {
    S200,
    S201,
    S404,
    S500,
    S503,
}

#[derive(Clone, Copy, Debug, PartialEq, LabelGroup)]
#[label(set = EnumSet)]
pub struct EnumLabels {
    pub method: Method,
    pub status: Status,
}

pub fn enum_keys() -> Vec<EnumLabels> {
    let m = [Method::Get, Method::Post, Method::Put, Method::Delete];
    let s = [Status::S200, Status::S201, Status::S404, Status::S500, Status::S503];
    (0..20).map(|i| EnumLabels { method: m[i % 4], status: s[i % 5] }).collect()
}

/// The encoding workload, filled.
pub fn big() -> Big {
    let mbig = Big {
        c0: CounterVec::with_label_set(route_set()),
        c1: CounterVec::with_label_set(route_set()),
        c2: CounterVec::with_label_set(route_set()),
        c3: CounterVec::with_label_set(route_set()),
        c4: CounterVec::with_label_set(route_set()),
        c5: CounterVec::with_label_set(route_set()),
        c6: CounterVec::with_label_set(route_set()),
        c7: CounterVec::with_label_set(route_set()),
        c8: CounterVec::with_label_set(route_set()),
        c9: CounterVec::with_label_set(route_set()),
        g0: GaugeVec::with_label_set(route_set()),
        g1: GaugeVec::with_label_set(route_set()),
        g2: GaugeVec::with_label_set(route_set()),
        g3: GaugeVec::with_label_set(route_set()),
        g4: GaugeVec::with_label_set(route_set()),
        g5: GaugeVec::with_label_set(route_set()),
        g6: GaugeVec::with_label_set(route_set()),
        g7: GaugeVec::with_label_set(route_set()),
        g8: GaugeVec::with_label_set(route_set()),
        g9: GaugeVec::with_label_set(route_set()),
        h0: HistogramVec::with_label_set_and_metadata(route_set(), thresholds()),
        h1: HistogramVec::with_label_set_and_metadata(route_set(), thresholds()),
        h2: HistogramVec::with_label_set_and_metadata(route_set(), thresholds()),
        h3: HistogramVec::with_label_set_and_metadata(route_set(), thresholds()),
        h4: HistogramVec::with_label_set_and_metadata(route_set(), thresholds()),
    };
    {
        let cs = [&mbig.c0, &mbig.c1, &mbig.c2, &mbig.c3, &mbig.c4, &mbig.c5, &mbig.c6, &mbig.c7, &mbig.c8, &mbig.c9];
        let gs = [&mbig.g0, &mbig.g1, &mbig.g2, &mbig.g3, &mbig.g4, &mbig.g5, &mbig.g6, &mbig.g7, &mbig.g8, &mbig.g9];
        let hs = [&mbig.h0, &mbig.h1, &mbig.h2, &mbig.h3, &mbig.h4];
        for i in 0..SERIES {
            let r = route(i);
            cs.iter().for_each(|f| f.inc_by(Route { route: &r }, counter_value(i)));
            gs.iter().for_each(|f| f.set(Route { route: &r }, gauge_value(i)));
            hs.iter().for_each(|f| observations(i).for_each(|v| f.observe(Route { route: &r }, v)));
        }
    }
    mbig
}
