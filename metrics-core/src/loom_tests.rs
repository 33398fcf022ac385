//! Model checks with `loom` of the lock-free parts: every interleaving of two or three threads.
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p metrics-core --lib --release loom`.

use std::sync::Arc;

use loom::thread;

use crate::encoding::{HistogramData, SampleValue};
use crate::{Buckets, Counter, Family, FloatCounter, Histogram, LabelSet, Metric};

#[derive(LabelSet)]
struct Route {
    route: String,
}

/// Reads a histogram the way the encoders do: each bucket once.
fn snapshot(h: &Histogram) -> (Vec<u64>, u64) {
    struct Grab(Vec<u64>, u64);
    impl crate::Encoder for Grab {
        fn begin_family(&mut self, _: &crate::Descriptor) {}
        fn end_family(&mut self, _: &crate::Descriptor) {}
        fn sample<L: crate::labels::EncodeLabels + ?Sized>(
            &mut self,
            _: &crate::Descriptor,
            _: &L,
            v: SampleValue<'_>,
        ) {
            if let SampleValue::Histogram(d) = v {
                let d: HistogramData<'_> = d;
                let mut cum = Vec::new();
                self.1 = d.for_each_bucket(|_, _, c| cum.push(c));
                self.0 = cum;
            }
        }
    }
    let d = crate::Descriptor::new("h", "h", crate::MetricKind::Histogram);
    let mut g = Grab(Vec::new(), 0);
    h.encode(&d, &(), &mut g);
    (g.0, g.1)
}

#[test]
fn loom_histogram_observe_vs_snapshot() {
    loom::model(|| {
        let h = Arc::new(Histogram::new(Buckets::new(vec![1.0]).unwrap_or_default()));
        let writers: Vec<_> = [0.5, 2.0]
            .into_iter()
            .map(|v| {
                let h = h.clone();
                thread::spawn(move || h.observe(v))
            })
            .collect();
        let (cum, count) = snapshot(&h);
        assert_eq!(cum.last().copied(), Some(count), "+Inf equals _count in every interleaving");
        assert!(cum.windows(2).all(|w| w[0] <= w[1]), "cumulative in every interleaving");
        for w in writers {
            w.join().unwrap_or_default();
        }
        assert_eq!(snapshot(&h).1, 2);
    });
}

#[test]
fn loom_get_or_create_races_with_itself() {
    loom::model(|| {
        let fam: Arc<Family<Route, Counter>> = Arc::new(Family::new());
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let fam = fam.clone();
                thread::spawn(move || fam.get_or_create(&Route { route: "/a".into() }).inc())
            })
            .collect();
        for t in threads {
            t.join().unwrap_or_default();
        }
        assert_eq!(fam.len(), 1, "exactly one series per label set");
        assert_eq!(fam.get(&Route { route: "/a".into() }).map(|c| c.get()), Some(2), "no lost increment");
    });
}

#[test]
fn loom_get_or_create_races_with_removal() {
    loom::model(|| {
        let fam: Arc<Family<Route, Counter>> = Arc::new(Family::new());
        let a = {
            let fam = fam.clone();
            thread::spawn(move || fam.get_or_create(&Route { route: "/a".into() }).inc())
        };
        let b = {
            let fam = fam.clone();
            thread::spawn(move || {
                fam.remove(&Route { route: "/a".into() });
            })
        };
        a.join().unwrap_or_default();
        b.join().unwrap_or_default();
        assert!(fam.len() <= 1);
        // Whatever the order, the family is consistent: its length matches what it holds.
        let present = fam.get(&Route { route: "/a".into() }).is_some();
        assert_eq!(fam.len(), usize::from(present));
        if present {
            assert_eq!(fam.get(&Route { route: "/a".into() }).map(|c| c.get()), Some(1));
        }
    });
}

/// Two threads increment one counter while the main thread reads it: in the interleavings
/// where one thread's add lands between the other's add and its read-back, the counter spreads
/// over cells, and the first thread's second increment goes to a cell. Reads never go
/// backwards, and the total is exact.
#[test]
fn loom_counter_spreads_without_losing_increments() {
    use std::sync::atomic::{AtomicBool, Ordering};
    // Whether some interleavings spread the counter and some did not: the model covers both.
    static SPREAD: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
    loom::model(|| {
        let c = Arc::new(Counter::new());
        let writers: Vec<_> = [2, 1]
            .into_iter()
            .map(|adds| {
                let c = c.clone();
                thread::spawn(move || (0..adds).for_each(|_| c.inc_by(2)))
            })
            .collect();
        let first = c.get();
        let second = c.get();
        assert!(first <= second && second <= 6, "reads {first} then {second}");
        for w in writers {
            w.join().unwrap_or_default();
        }
        assert_eq!(c.get(), 6, "no lost increment");
        SPREAD[usize::from(c.is_striped())].store(true, Ordering::Relaxed);
    });
    assert!(SPREAD.iter().all(|s| s.load(Ordering::Relaxed)), "both paths explored");
}

/// The float counter: its compare-and-swap fails when the other thread's add lands between
/// its load and its swap, which spreads it; the total is exact (halves add exactly).
#[test]
fn loom_float_counter_spreads_without_losing_increments() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static SPREAD: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
    loom::model(|| {
        let c = Arc::new(FloatCounter::new());
        let writers: Vec<_> = [2, 1]
            .into_iter()
            .map(|adds| {
                let c = c.clone();
                thread::spawn(move || (0..adds).for_each(|_| assert!(c.inc_by(0.5))))
            })
            .collect();
        let seen = c.get();
        assert!((0.0..=1.5).contains(&seen), "never more than was added: {seen}");
        for w in writers {
            w.join().unwrap_or_default();
        }
        assert_eq!(c.get(), 1.5, "no lost increment");
        SPREAD[usize::from(format!("{c:?}").contains("cells: Some("))].store(true, Ordering::Relaxed);
    });
    assert!(SPREAD.iter().all(|s| s.load(Ordering::Relaxed)), "both paths explored");
}

/// The striped path alone: two threads on a counter that already has its cells (two under
/// loom, so that the threads meet on one or add to each their own), a reader between them.
#[test]
fn loom_striped_counter_sums_every_cell() {
    loom::model(|| {
        let c = Arc::new(Counter::contended());
        let writers: Vec<_> = (0..2)
            .map(|i| {
                let c = c.clone();
                thread::spawn(move || {
                    c.inc_by(1 + i);
                    c.inc_by(1 + i);
                })
            })
            .collect();
        let seen = c.get();
        assert!(seen <= 6, "never more than was added: {seen}");
        for w in writers {
            w.join().unwrap_or_default();
        }
        assert_eq!(c.get(), 6, "no lost increment");
        Metric::reset(&*c);
        assert_eq!(c.get(), 0);
    });
}

/// What a native histogram's snapshot shows: count, sum, schema and the positive buckets.
fn native_snapshot(n: &crate::metric::native::NativeCounts) -> (u64, f64, i8, Vec<(i32, u64)>, Vec<u64>) {
    use std::sync::atomic::Ordering;
    n.snapshot(|s| {
        let classic = s.classic.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        (s.count, s.sum, s.native.schema, s.native.positive.clone(), classic)
    })
}

/// The native histogram's storage: two threads observe (into its classic and native buckets)
/// while the main thread takes a snapshot. In every interleaving the snapshot is whole: each
/// observation is in the count, its classic bucket and its native bucket, or in none of them;
/// the sum (read beside them, as in the classic histogram) is the sum of some of the
/// observations.
#[test]
fn loom_native_observe_vs_snapshot() {
    use crate::metric::native::{NativeBuckets, NativeCounts};
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(3);
    model.check(|| {
        // Schema 0: 0.75 is in bucket 0, 3.0 in bucket 2; classic bound 1.0.
        let settings = NativeBuckets::new(0, 10, 0.0).unwrap_or_default();
        let n = Arc::new(NativeCounts::new(settings, 2));
        let writers: Vec<_> = [(0.75, 0), (3.0, 1)]
            .into_iter()
            .map(|(v, classic)| {
                let n = n.clone();
                thread::spawn(move || n.observe(v, classic))
            })
            .collect();
        let (count, sum, _, positive, classic) = native_snapshot(&n);
        let low = positive.iter().any(|&(i, c)| i == 0 && c == 1);
        let high = positive.iter().any(|&(i, c)| i == 2 && c == 1);
        assert_eq!(count, u64::from(low) + u64::from(high), "{positive:?}");
        assert_eq!(classic, [u64::from(low), u64::from(high)], "classic agrees with native");
        assert!([0.0, 0.75, 3.0, 3.75].contains(&sum), "sum {sum}");
        for w in writers {
            w.join().unwrap_or_default();
        }
        let (count, sum, _, positive, _) = native_snapshot(&n);
        assert_eq!((count, sum, positive), (2, 3.75, vec![(0, 1), (2, 1)]), "nothing lost");
    });
}

/// The resolution change: the second bucket exceeds `max_buckets` = 1, so the observing thread
/// halves the resolution (a new table, its counts moved there) while another thread observes and
/// the main thread takes a snapshot. Every snapshot is whole, and at the end both observations
/// are in one bucket at schema -1, whichever table each increment landed in.
#[test]
fn loom_native_resolution_change_vs_observe_and_snapshot() {
    use crate::metric::native::{NativeBuckets, NativeCounts};
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(2);
    model.check(|| {
        // Schema 0: 1.5 is in bucket 1, 3.0 in bucket 2; at schema -1 both are in bucket 1.
        let settings = NativeBuckets::new(0, 1, 0.0).unwrap_or_default();
        let n = Arc::new(NativeCounts::new(settings, 1));
        let writers: Vec<_> = [1.5, 3.0]
            .into_iter()
            .map(|v| {
                let n = n.clone();
                thread::spawn(move || n.observe(v, 0))
            })
            .collect();
        let (count, sum, schema, positive, classic) = native_snapshot(&n);
        assert_eq!(count, positive.iter().map(|b| b.1).sum::<u64>(), "{positive:?} at {schema}");
        assert_eq!(classic, [count]);
        assert!(positive.len() <= 1, "{positive:?} at {schema}: a snapshot fits the buckets first");
        assert!([0.0, 1.5, 3.0, 4.5].contains(&sum), "count {count}, sum {sum}");
        for w in writers {
            w.join().unwrap_or_default();
        }
        let (count, sum, schema, positive, _) = native_snapshot(&n);
        assert_eq!((count, sum, schema, positive), (2, 4.5, -1, vec![(1, 2)]));
        assert_eq!(n.observations(), 2);
    });
}

/// An observation that read the schema before a halving adds to the old table after its counts
/// were moved (the interleavings where the halving runs between the observer's read of the
/// schema and its increment): the snapshots after it still count it once, lowered.
#[test]
fn loom_native_observation_across_a_halving() {
    use crate::metric::native::{NativeBuckets, NativeCounts};
    use std::sync::atomic::{AtomicBool, Ordering};
    // Whether some interleavings left the racing increment in the old table, and some not.
    static LEFT: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(3);
    model.check(|| {
        // Schema 0, at most 1 bucket: 1.5 (bucket 1) and 3.0 (bucket 2) make two, so the
        // main thread's second observation halves, twice (6.0 makes a second bucket at
        // schema -1); the other thread's 6.0 races with it.
        let settings = NativeBuckets::new(0, 1, 0.0).unwrap_or_default();
        let n = Arc::new(NativeCounts::new(settings, 1));
        n.observe(1.5, 0);
        let other = {
            let n = n.clone();
            thread::spawn(move || n.observe(6.0, 0))
        };
        n.observe(3.0, 0);
        other.join().unwrap_or_default();
        let left = n.table_totals().iter().any(|&(schema, total)| schema == 0 && total > 0);
        LEFT[usize::from(left)].store(true, Ordering::Relaxed);
        let (count, sum, schema, positive, _) = native_snapshot(&n);
        assert_eq!((count, sum), (3, 10.5));
        assert_eq!((schema, positive), (-2, vec![(1, 3)]));
    });
    assert!(LEFT.iter().all(|s| s.load(Ordering::Relaxed)), "both paths explored");
}
