//! Number formatting for the text formats, written by hand on top of `ryu`'s shortest
//! round-trip digits: no crate renders floats the way client_golang does (`%g` with the
//! shortest precision: `1e+06`, `0.005`, `1.01234377728e+11`), and dashboards and the seeds'
//! `le` label values depend on that spelling.

/// Shortest decimal digits of a finite, non-zero `|f|`: `value = 0.d1d2... * 10^dp`.
struct Digits {
    buf: [u8; 24],
    nd: usize,
    dp: i32,
}

fn digits(f: f64) -> Digits {
    let mut rb = ryu::Buffer::new();
    let s = rb.format_finite(f.abs()).as_bytes();
    let (mant, exp) = match s.iter().position(|&b| b == b'e') {
        Some(e) => {
            let exp = std::str::from_utf8(&s[e + 1..]).ok().and_then(|x| x.parse::<i32>().ok()).unwrap_or(0);
            (&s[..e], exp)
        }
        None => (s, 0),
    };
    let mut d = Digits { buf: [0; 24], nd: 0, dp: 0 };
    let mut int_len = 0i32;
    let mut seen_dot = false;
    for &b in mant {
        if b == b'.' {
            seen_dot = true;
            continue;
        }
        if !seen_dot {
            int_len += 1;
        }
        if d.nd == 0 && b == b'0' {
            // Leading zero: shifts the decimal point instead of being a digit.
            if !seen_dot {
                int_len -= 1;
            } else {
                d.dp -= 1;
            }
            continue;
        }
        if d.nd < d.buf.len() {
            d.buf[d.nd] = b;
            d.nd += 1;
        }
    }
    while d.nd > 0 && d.buf[d.nd - 1] == b'0' {
        d.nd -= 1;
    }
    d.dp += int_len + exp;
    d
}

/// Appends `f` as Go's `strconv.FormatFloat(f, 'g', -1, 64)` does, with `+Inf`, `-Inf` and
/// `NaN` spelled as the exposition formats require. With `point`, integral values written
/// without exponent get a `.0` (the OpenMetrics canonical form: `1.0`).
pub(crate) fn write_float(out: &mut Vec<u8>, f: f64, point: bool) {
    if f.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 { b"+Inf" } else { b"-Inf" });
        return;
    }
    if f.is_sign_negative() {
        out.push(b'-');
    }
    if f == 0.0 {
        out.extend_from_slice(if point { b"0.0" } else { b"0" });
        return;
    }
    let a = f.abs();
    // Fast paths, where Go's and ryu's spellings agree: integers below 1e6, and plain
    // decimals between 1e-4 and 1e6. Everything else is laid out from the digits.
    if a < 1e6 && f.fract() == 0.0 {
        out.extend_from_slice(itoa::Buffer::new().format(a as u64).as_bytes());
        if point {
            out.extend_from_slice(b".0");
        }
        return;
    }
    if (1e-4..1e6).contains(&a) {
        let mut rb = ryu::Buffer::new();
        let s = rb.format_finite(a);
        if !s.contains('e') {
            out.extend_from_slice(s.as_bytes());
            return;
        }
    }
    let d = digits(f);
    let ds = &d.buf[..d.nd];
    let exp = d.dp - 1;
    if !(-4..6).contains(&exp) {
        // %e: d.ddde±XX
        out.push(ds[0]);
        if ds.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&ds[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        let mut ib = itoa::Buffer::new();
        out.extend_from_slice(ib.format(e).as_bytes());
        return;
    }
    // %f
    let dp = d.dp;
    if dp <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-dp) as usize));
        out.extend_from_slice(ds);
    } else if dp as usize >= ds.len() {
        out.extend_from_slice(ds);
        out.extend(std::iter::repeat_n(b'0', dp as usize - ds.len()));
        if point {
            out.extend_from_slice(b".0");
        }
    } else {
        out.extend_from_slice(&ds[..dp as usize]);
        out.push(b'.');
        out.extend_from_slice(&ds[dp as usize..]);
    }
}

/// Appends a number for the text formats: integers exactly, floats as [`write_float`].
pub(crate) fn write_number(out: &mut Vec<u8>, n: super::Number, point: bool) {
    let mut ib = itoa::Buffer::new();
    match n {
        super::Number::U64(v) => out.extend_from_slice(ib.format(v).as_bytes()),
        super::Number::I64(v) => out.extend_from_slice(ib.format(v).as_bytes()),
        super::Number::F64(v) => write_float(out, v, point),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(f: f64) -> String {
        let mut v = Vec::new();
        write_float(&mut v, f, false);
        String::from_utf8(v).unwrap_or_default()
    }

    fn om(f: f64) -> String {
        let mut v = Vec::new();
        write_float(&mut v, f, true);
        String::from_utf8(v).unwrap_or_default()
    }

    #[test]
    fn matches_go_shortest_g() {
        // Expected strings are what client_golang prints (see the Infra seed).
        let cases = [
            (0.0, "0"),
            (1.0, "1"),
            (0.005, "0.005"),
            (1.024, "1.024"),
            (16.384, "16.384"),
            (0.25, "0.25"),
            (6.3958e-05, "6.3958e-05"),
            (0.000855667, "0.000855667"),
            (0.0001, "0.0001"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1.048576e6, "1.048576e+06"),
            (101234377728.0, "1.01234377728e+11"),
            (1.8446744073709552e19, "1.8446744073709552e+19"),
            (1.6419263434352999e9, "1.6419263434352999e+09"),
            (0.0025359370371158844, "0.0025359370371158844"),
            (-2.5, "-2.5"),
            (1e-300, "1e-300"),
            (5e-324, "5e-324"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (f, want) in cases {
            assert_eq!(go(f), want, "formatting {f:e}");
        }
    }

    #[test]
    fn openmetrics_canonical_form() {
        assert_eq!(om(1.0), "1.0");
        assert_eq!(om(0.0), "0.0");
        assert_eq!(om(0.25), "0.25");
        assert_eq!(om(1e6), "1e+06");
        assert_eq!(om(100.0), "100.0");
    }

    #[test]
    fn round_trips() {
        for f in [0.1, 1.0 / 3.0, 2f64.powi(53) + 2.0, 1e-7, 123.456e10, f64::MIN_POSITIVE, f64::MAX] {
            assert_eq!(go(f).parse::<f64>().ok(), Some(f));
        }
    }
}
