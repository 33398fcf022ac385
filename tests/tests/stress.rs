//! Concurrency: many threads update counters, gauges, dense and dynamic families and
//! histograms while others scrape, remove and retain. Totals are exact at the end; no scrape
//! shows a counter going backwards or a histogram whose `_count` differs from its `+Inf` bucket
//! or whose buckets are not cumulative. Bounded in iterations, so it ends on its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use metrics_core::{Counter, Family, FloatCounter, Format, Gauge, Histogram, LabelSet, LabelValue, Metrics, Registry};

#[derive(LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(LabelValue, Clone, Copy)]
enum Status {
    Ok,
    NotFound,
    Error,
}

#[derive(LabelSet)]
struct Dense {
    method: Method,
    status: Status,
}

#[derive(LabelSet)]
struct Route {
    route: String,
}

#[derive(Metrics)]
struct Load {
    /// Plain counter.
    hits: Counter,
    /// Float counter.
    seconds: FloatCounter,
    /// Gauge moved up and down.
    level: Gauge,
    /// Dense family.
    dense: Family<Dense, Counter>,
    /// Dynamic family.
    dynamic: Family<Route, Counter>,
    /// Histogram family.
    #[metric(buckets = [0.1, 0.5, 1.0, 5.0])]
    latency: Family<Route, Histogram>,
    /// A family whose series are removed and re-created all along.
    #[metric(limit = 64)]
    churn: Family<Route, Counter>,
}

const WRITERS: usize = 4;
const ITERS: u64 = 40_000;
const METHODS: [Method; 4] = [Method::Get, Method::Post, Method::Put, Method::Delete];
const STATUSES: [Status; 3] = [Status::Ok, Status::NotFound, Status::Error];

/// Checks one scrape and remembers counter values, to check that they never go backwards.
fn check_scrape(text: &str, last: &mut HashMap<String, f64>) {
    let mut inf: HashMap<String, f64> = HashMap::new();
    let mut prev_bucket: HashMap<String, f64> = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {line}"));
        let value: f64 = value.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        if series.starts_with("latency_bucket") {
            let key = series.split(",le=").next().unwrap_or(series).to_owned();
            let p = prev_bucket.insert(key.clone(), value).unwrap_or(0.0);
            assert!(value >= p, "buckets not cumulative: {line}");
            if series.contains("le=\"+Inf\"") {
                inf.insert(key.trim_start_matches("latency_bucket").to_owned(), value);
            }
        } else if let Some(rest) = series.strip_prefix("latency_count") {
            let key = if rest.is_empty() { String::new() } else { rest.trim_end_matches('}').to_owned() };
            assert_eq!(inf.get(&key), Some(&value), "_count differs from +Inf bucket at {line}");
        }
        if series.contains("_total")
            && !series.starts_with("churn")
            && let Some(old) = last.insert(series.to_owned(), value)
        {
            assert!(value >= old, "counter went backwards: {series} {old} -> {value}");
        }
    }
}

#[test]
fn no_lost_updates_no_torn_scrapes() {
    let m = Arc::new(Load::default());
    let registry = Arc::new(Registry::new());
    registry.register_arc(m.clone()).unwrap_or_else(|e| panic!("{e}"));
    let routes: Arc<Vec<Route>> = Arc::new((0..16).map(|i| Route { route: format!("/r/{i}") }).collect());
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(WRITERS + 3));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (m, routes, start) = (m.clone(), routes.clone(), start.clone());
        writers.push(thread::spawn(move || {
            start.wait();
            for i in 0..ITERS {
                let k = (i as usize).wrapping_mul(7).wrapping_add(w);
                m.hits.inc();
                m.seconds.inc_by(0.5);
                m.level.inc();
                let dense = Dense { method: METHODS[k % 4], status: STATUSES[k % 3] };
                let churn = Route { route: format!("/c/{}", k % 100) };
                // Half through handles, half through `with` (no handle, the per-thread cache).
                if i % 2 == 0 {
                    m.dense.get_or_create(&dense).inc();
                    m.dynamic.get_or_create(&routes[k % 16]).inc_by(2);
                    m.latency.get_or_create(&routes[k % 16]).observe((k % 7) as f64);
                    m.churn.get_or_create(&churn).inc();
                } else {
                    m.dense.with(&dense, |c| c.inc());
                    m.dynamic.with(&routes[k % 16], |c| c.inc_by(2));
                    m.latency.with(&routes[k % 16], |h| h.observe((k % 7) as f64));
                    m.churn.with(&churn, |c| c.inc());
                }
                m.level.dec();
            }
        }));
    }
    let scraper = {
        let (registry, done, start) = (registry.clone(), done.clone(), start.clone());
        thread::spawn(move || {
            start.wait();
            let mut last = HashMap::new();
            let mut scrapes = 0;
            while !done.load(Ordering::Acquire) {
                check_scrape(&registry.render(Format::Prometheus), &mut last);
                let _ = registry.render(Format::OpenMetrics);
                let _ = registry.render(Format::Json);
                scrapes += 1;
            }
            check_scrape(&registry.render(Format::Prometheus), &mut last);
            scrapes
        })
    };
    let remover = {
        let (m, done, start) = (m.clone(), done.clone(), start.clone());
        thread::spawn(move || {
            start.wait();
            let mut n = 0usize;
            while !done.load(Ordering::Acquire) {
                m.churn.remove(&Route { route: format!("/c/{}", n % 100) });
                if n.is_multiple_of(10) {
                    m.churn.retain(|l, _| !l.route.ends_with('7'));
                }
                n += 1;
                thread::yield_now();
            }
        })
    };
    start.wait();
    for w in writers {
        w.join().unwrap_or_else(|_| panic!("a writer panicked"));
    }
    done.store(true, Ordering::Release);
    let scrapes = scraper.join().unwrap_or_else(|_| panic!("the scraper panicked"));
    remover.join().unwrap_or_else(|_| panic!("the remover panicked"));
    assert!(scrapes > 0);

    let total = WRITERS as u64 * ITERS;
    assert_eq!(m.hits.get(), total);
    assert_eq!(m.seconds.get(), total as f64 * 0.5);
    assert_eq!(m.level.get(), 0);
    let dense: u64 = METHODS
        .iter()
        .flat_map(|&method| STATUSES.iter().map(move |&status| Dense { method, status }))
        .map(|l| m.dense.get(&l).map_or(0, |c| c.get()))
        .sum();
    assert_eq!(dense, total);
    let dynamic: u64 = routes.iter().map(|r| m.dynamic.get(r).map_or(0, |c| c.get())).sum();
    assert_eq!(dynamic, 2 * total);
    let observed: u64 = routes.iter().map(|r| m.latency.get(r).map_or(0, |h| h.count())).sum();
    assert_eq!(observed, total);
    assert!(m.churn.len() <= 64, "the limit holds under churn: {}", m.churn.len());
}

#[test]
fn get_or_create_races_make_exactly_one_series() {
    let fam: Arc<Family<Route, Counter>> = Arc::new(Family::new());
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (fam, barrier) = (fam.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                for i in 0..2000 {
                    fam.get_or_create(&Route { route: format!("/{}", i % 500) }).inc();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap_or_else(|_| panic!("panicked"));
    }
    assert_eq!(fam.len(), 500);
    for i in 0..500 {
        assert_eq!(fam.get(&Route { route: format!("/{i}") }).map(|c| c.get()), Some(threads as u64 * 4));
    }
    let text = {
        let r = Registry::new();
        #[derive(Metrics)]
        struct Wrap {
            /// The family.
            f: Family<Route, Counter>,
        }
        let w = Arc::new(Wrap { f: Family::new() });
        for i in 0..3 {
            w.f.get_or_create(&Route { route: format!("/{i}") }).inc();
        }
        r.register_arc(w).unwrap_or_else(|e| panic!("{e}"));
        r.render(Format::Prometheus)
    };
    assert_eq!(text.lines().filter(|l| l.starts_with("f_total{")).count(), 3, "one line per series: {text}");
}

#[test]
fn cardinality_attack_stays_bounded_and_visible() {
    #[derive(Metrics)]
    struct Guarded {
        /// Requests by user-controlled path.
        #[metric(limit = 100)]
        requests: Family<Route, Counter>,
    }
    let g = Arc::new(Guarded::default());
    let r = Registry::new();
    r.register_arc(g.clone()).unwrap_or_else(|e| panic!("{e}"));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let g = g.clone();
            thread::spawn(move || {
                for i in 0..25_000 {
                    g.requests.get_or_create(&Route { route: format!("/attack/{t}/{i}") }).inc();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap_or_else(|_| panic!("panicked"));
    }
    assert_eq!(g.requests.len(), 100, "no series past the limit");
    assert_eq!(g.requests.overflowed(), 100_000 - 100);
    let text = r.render(Format::Prometheus);
    assert!(
        text.contains("requests_total{route=\"__overflow__\"} 99900\n"),
        "the overflow is visible and loses nothing"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("requests_total{")).count(), 101);
}

#[test]
fn with_nests_survives_removal_and_overflows() {
    #[derive(Metrics)]
    struct Limited {
        /// At most one series.
        #[metric(limit = 1)]
        one: Family<Route, Counter>,
    }
    let fam: Family<Route, Counter> = Family::new();
    let (a, b) = (Route { route: "/a".into() }, Route { route: "/b".into() });
    fam.with(&a, |c| c.inc());
    fam.with(&a, |c| {
        c.inc();
        // The family may be used again inside, even on the same series, and changed.
        fam.with(&b, |d| d.inc());
        fam.with(&a, |c2| c2.inc());
        assert!(fam.remove(&a));
        // The series removed under `c` stays usable, detached.
        c.inc();
    });
    assert!(fam.get(&a).is_none());
    assert_eq!(fam.with(&a, |c| c.get()), 0, "a removed series is never returned from the cache");
    assert_eq!(fam.with(&b, |c| c.get()), 1);

    let l = Arc::new(Limited::default());
    let r = Registry::new();
    r.register_arc(l.clone()).unwrap_or_else(|e| panic!("{e}"));
    l.one.with(&a, |c| c.inc());
    l.one.with(&b, |c| c.inc_by(5));
    assert_eq!((l.one.len(), l.one.overflowed()), (1, 1));
    let text = r.render(Format::Prometheus);
    assert!(text.contains("one_total{route=\"/a\"} 1\n"), "{text}");
    assert!(text.contains("one_total{route=\"__overflow__\"} 5\n"), "{text}");
}

#[test]
fn idle_series_expire() {
    let fam: Family<Route, Counter> = Family::new().with_idle_expiry(std::time::Duration::from_millis(200));
    fam.get_or_create(&Route { route: "/idle".into() }).inc();
    let busy = Route { route: "/busy".into() };
    fam.get_or_create(&busy).inc();
    fam.expire_idle();
    for _ in 0..5 {
        thread::sleep(std::time::Duration::from_millis(60));
        fam.get_or_create(&busy).inc();
        fam.expire_idle();
    }
    assert!(fam.get(&Route { route: "/idle".into() }).is_none(), "unchanged for longer than 200 ms");
    assert_eq!(fam.get(&busy).map(|c| c.get()), Some(6));
}

#[test]
fn dense_retain_and_clear_decode_label_sets() {
    let fam: Family<Dense, Counter> = Family::new();
    for (i, method) in METHODS.iter().enumerate() {
        fam.get_or_create(&Dense { method: *method, status: Status::Ok }).inc_by(i as u64 + 1);
    }
    fam.get_or_create(&Dense { method: Method::Get, status: Status::Error }).inc();
    assert_eq!(fam.len(), 5);
    // `retain` sees each series' labels rebuilt from its dense index.
    fam.retain(|l, c| matches!(l.status, Status::Ok) && c.get() % 2 == 0);
    assert_eq!(fam.len(), 2, "POST (2) and DELETE (4) remain");
    assert_eq!(fam.get(&Dense { method: Method::Post, status: Status::Ok }).map(|c| c.get()), Some(2));
    assert!(fam.get(&Dense { method: Method::Get, status: Status::Error }).is_none());
    fam.clear();
    assert!(fam.is_empty());
    // A re-created dense series starts from zero.
    assert_eq!(fam.get_or_create(&Dense { method: Method::Post, status: Status::Ok }).get(), 0);
}

#[test]
fn shared_counters_spread_over_cells_and_lose_nothing() {
    // One counter spread over its cells before the threads start, an integer and a float one
    // that spread (or not, as the threads happen to collide) as they go, and the series of a
    // dense family.
    let (before, during, float) = (Counter::contended(), Counter::new(), FloatCounter::new());
    before.inc_by(3);
    assert!(format!("{before:?}").contains("cells: Some("), "spread: {before:?}");
    let fam: Family<Dense, Counter> = Family::new();
    let key = Dense { method: Method::Get, status: Status::Ok };
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut last = (0, 0, 0, 0.0);
            while !done.load(Ordering::Acquire) {
                let now = (before.get(), during.get(), fam.get(&key).map_or(0, |c| c.get()), float.get());
                assert!(
                    now.0 >= last.0 && now.1 >= last.1 && now.2 >= last.2 && now.3 >= last.3,
                    "went backwards: {last:?} -> {now:?}"
                );
                last = now;
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                s.spawn(|| {
                    for i in 0..ITERS {
                        before.inc();
                        during.inc_by(i % 3);
                        float.inc_by(0.5);
                        fam.with(&key, |c| c.inc());
                    }
                })
            })
            .collect();
        writers.into_iter().for_each(|w| w.join().unwrap_or_else(|_| panic!("a writer panicked")));
        done.store(true, Ordering::Release);
        reader.join().unwrap_or_else(|_| panic!("the reader panicked"));
    });
    let total = WRITERS as u64 * ITERS;
    assert_eq!(before.get(), 3 + total);
    assert_eq!(during.get(), WRITERS as u64 * (0..ITERS).map(|i| i % 3).sum::<u64>());
    assert_eq!(fam.get(&key).map(|c| c.get()), Some(total));
    assert_eq!(float.get(), total as f64 * 0.5);
}
