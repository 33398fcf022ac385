//! Model checks with `loom` of the lock-free parts: every interleaving of two or three threads.
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p metrics-core --lib --release loom`.

use std::sync::Arc;

use loom::thread;

use crate::encoding::{HistogramData, SampleValue};
use crate::{Buckets, Counter, Family, Histogram, LabelSet, Metric};

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
