//! Native histograms and the protobuf encoder with arbitrary settings and observations: the
//! output is walked as raw protobuf (every length in bounds, every field of a known wire
//! type), and each histogram's native buckets add up with the zero bucket (and the NaN
//! observations) to its count, its spans cover exactly its deltas, no bucket count goes
//! negative, the resolution limit holds, and bucket indexes grow with the value.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use metrics_core::{Buckets, Format, Histogram, Metrics, NativeBuckets, Registry, RenderOptions};

#[derive(Arbitrary, Debug)]
struct Input {
    schema: i8,
    max_buckets: u8,
    zero_threshold: f64,
    classic: bool,
    values: Vec<f64>,
    scrape_every: u8,
}

#[derive(Metrics)]
struct M {
    /// Fuzzed.
    h: Histogram,
}

/// One field: number, and its varint value or its bytes.
enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
}

fn varint(b: &mut &[u8]) -> u64 {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = b.split_first().expect("truncated varint");
        *b = rest;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return v;
        }
    }
    panic!("varint longer than 10 bytes")
}

fn fields(mut b: &[u8]) -> Vec<(u64, Value<'_>)> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = varint(&mut b);
        let v = match key & 7 {
            0 => Value::Varint(varint(&mut b)),
            1 => {
                assert!(b.len() >= 8, "truncated fixed64");
                let (x, rest) = b.split_at(8);
                b = rest;
                assert_eq!(x.len(), 8);
                Value::Fixed64
            }
            2 => {
                let n = varint(&mut b) as usize;
                assert!(n <= b.len(), "length past the end");
                let (x, rest) = b.split_at(n);
                b = rest;
                Value::Bytes(x)
            }
            w => panic!("wire type {w}"),
        };
        out.push((key >> 3, v));
    }
    out
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn check_histogram(h: &[u8], settings: &NativeBuckets, nans: u64) {
    let (mut count, mut zero, mut spans, mut deltas, mut schema) = (0u64, 0u64, 0u64, Vec::new(), 0i64);
    for (field, v) in fields(h) {
        match (field, v) {
            (1, Value::Varint(c)) => count = c,
            (7, Value::Varint(z)) => zero = z,
            (5, Value::Varint(s)) => schema = unzigzag(s),
            (9 | 12, Value::Bytes(span)) => {
                for (f, v) in fields(span) {
                    if let (2, Value::Varint(len)) = (f, v) {
                        spans += len;
                    }
                }
            }
            (10 | 13, Value::Bytes(mut packed)) => {
                let mut running = 0i64;
                while !packed.is_empty() {
                    running += unzigzag(varint(&mut packed));
                    assert!(running > 0, "a native bucket without a positive count");
                    deltas.push(running as u64);
                }
            }
            _ => {}
        }
    }
    assert_eq!(spans, deltas.len() as u64, "spans cover the deltas");
    assert_eq!(deltas.iter().sum::<u64>() + zero + nans, count, "buckets add up to the count");
    // Past the limit the resolution halves (one thread observes here, so the limit holds at
    // every scrape), down to schema -4, where the whole float range takes a few hundred.
    assert!((-4..=i64::from(settings.schema())).contains(&schema), "schema {schema}");
    if schema > -4 {
        assert!(deltas.len() as u64 <= u64::from(settings.max_buckets()), "{} buckets past the limit", deltas.len());
    } else {
        assert!(deltas.len() <= 2 * (1024 + 1075) / 16 + 4, "{} buckets", deltas.len());
    }
}

fuzz_target!(|input: Input| {
    let Ok(settings) = NativeBuckets::new(
        i32::from(input.schema).rem_euclid(13) - 4,
        u32::from(input.max_buckets).max(1),
        if input.zero_threshold.is_finite() { input.zero_threshold.abs() } else { 0.0 },
    ) else {
        return;
    };
    let h = if input.classic {
        Histogram::new(Buckets::new(vec![-1.0, 0.0, 1.0]).expect("valid")).with_native(settings)
    } else {
        Histogram::native(settings)
    };
    let m = Arc::new(M { h });
    let r = Registry::new();
    r.register_arc(m.clone()).expect("registers");
    let mut nans = 0;
    let every = usize::from(input.scrape_every.max(1));
    let mut out = Vec::new();
    for (i, &v) in input.values.iter().enumerate() {
        m.h.observe(v);
        nans += u64::from(v.is_nan());
        if i % every == 0 {
            out.clear();
            r.render_into(&RenderOptions::new(Format::Protobuf), &mut out);
        }
    }
    out.clear();
    r.render_into(&RenderOptions::new(Format::Protobuf), &mut out);
    let mut rest = &out[..];
    while !rest.is_empty() {
        let n = varint(&mut rest) as usize;
        let (family, tail) = rest.split_at(n);
        rest = tail;
        for (field, v) in fields(family) {
            if let (4, Value::Bytes(metric)) = (field, v) {
                for (f, v) in fields(metric) {
                    if let (7, Value::Bytes(hist)) = (f, v) {
                        check_histogram(hist, &settings, nans);
                    }
                }
            }
        }
    }
    // Indexes grow with the value, at every schema.
    let mut finite: Vec<f64> = input.values.iter().map(|v| v.abs()).filter(|v| *v > 0.0 && !v.is_nan()).collect();
    finite.sort_by(f64::total_cmp);
    for w in finite.windows(2) {
        for s in -4..=8 {
            assert!(NativeBuckets::bucket_index(w[0], s) <= NativeBuckets::bucket_index(w[1], s));
        }
    }
});
