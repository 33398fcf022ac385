//! Number formatting for the text formats, written by hand on top of `zmij`'s shortest
//! round-trip digits: no crate renders floats the way client_golang does (`%g` with the
//! shortest precision: `1e+06`, `0.005`, `1.01234377728e+11`), and dashboards and the published pages'
//! `le` label values depend on that spelling.

/// Shortest decimal digits of a finite, non-zero `|f|`: `value = 0.d1d2... * 10^dp`.
struct Digits {
    buf: [u8; 24],
    nd: usize,
    dp: i32,
}

fn digits(f: f64) -> Digits {
    let mut zb = zmij::Buffer::new();
    let s = zb.format_finite(f.abs()).as_bytes();
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

/// How the text formats spell an integral float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatStyle {
    /// As Go's `%g` (Prometheus 0.0.4, what client_golang writes): `1`, `1e+06`.
    Go,
    /// OpenMetrics' canonical form: integral values written without exponent get a `.0`
    /// (`1.0`, `1e+06`).
    OpenMetrics,
}

/// Appends `f` as Go's `strconv.FormatFloat(f, 'g', -1, 64)` does, with `+Inf`, `-Inf` and
/// `NaN` spelled as the exposition formats require, and integral values as `style` says.
pub(crate) fn write_float(out: &mut Vec<u8>, f: f64, style: FloatStyle) {
    let point = style == FloatStyle::OpenMetrics;
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
    // Fast paths, where Go's and zmij's spellings agree: integers below 1e6, and plain
    // decimals between 1e-4 and 1e6 (zmij writes decimal exponents -5 to 15 without exponent,
    // Go's shortest `%g` exponents -4 to 5). Everything else is laid out from the digits.
    if a < 1e6 {
        // `a as u64` truncates (no libm call, as `fract` is on baseline x86-64).
        let int = a as u64;
        if int as f64 == a {
            put_u64(out, int);
            if point {
                out.extend_from_slice(b".0");
            }
            return;
        }
        if a >= 1e-4 {
            let mut zb = zmij::Buffer::new();
            let s = zb.format_finite(a).as_bytes();
            debug_assert!(!s.contains(&b'e'), "{s:?}");
            out.extend_from_slice(s);
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
#[inline]
pub(crate) fn write_number(out: &mut Vec<u8>, n: super::Number, style: FloatStyle) {
    match n {
        super::Number::U64(v) => put_u64(out, v),
        super::Number::I64(v) => put_i64(out, v),
        super::Number::F64(v) => write_float(out, v, style),
    }
}

/// Appends the decimal digits of `v`, as `itoa` would.
///
/// Below 10^16 (counts, values, and timestamps in milliseconds) the digits are made eight at a
/// time in one register (two lanes of four digits, split into lanes of two, then of one) and
/// stored whole, and the leading zeros are cut off. This is written by hand because the way
/// through `itoa` costs more than its formatting: its digits come back as a slice of varying
/// length, so appending them is a call to `memcpy` (and moving them through a fixed-size chunk
/// stalls on store forwarding); bucket lines are mostly that number. Measured with
/// `benches/src/bin/encode.rs`: the Prometheus encoding of the benchmark registry went from
/// 205 to 176 µs.
// Always inlined: out of line, its saved registers and call cost as much as a short number.
#[inline(always)]
pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    const E8: u64 = 100_000_000;
    // One and two digits (bucket counts of quiet series, small gauges) skip the register
    // arithmetic: a push or a two-byte copy.
    if v < 10 {
        out.push(b'0' + v as u8);
    } else if v < 100 {
        out.extend_from_slice(&[b'0' + (v / 10) as u8, b'0' + (v % 10) as u8]);
    } else if v < E8 {
        put_digits(out, digits8(v as u32), digit_count(v as u32));
    } else {
        put_long(out, v);
    }
}

/// [`put_u64`] from 10^8: out of line, so that the common path needs no saved registers.
#[inline(never)]
fn put_long(out: &mut Vec<u8>, v: u64) {
    const E8: u64 = 100_000_000;
    if v < E8 * E8 {
        let high = (v / E8) as u32;
        put_digits(out, digits8(high), digit_count(high));
        put_digits(out, digits8((v % E8) as u32), 8);
    } else {
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
}

/// Appends the decimal digits of `v`, with its sign.
#[inline]
pub(crate) fn put_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    put_u64(out, v.unsigned_abs());
}

/// The number of decimal digits of `v < 10^8`.
#[inline]
fn digit_count(v: u32) -> usize {
    1 + usize::from(v >= 10)
        + usize::from(v >= 100)
        + usize::from(v >= 1_000)
        + usize::from(v >= 10_000)
        + usize::from(v >= 100_000)
        + usize::from(v >= 1_000_000)
        + usize::from(v >= 10_000_000)
}

/// The eight ASCII digits of `v < 10^8`, leading zeros included, first digit in the low byte.
#[inline]
fn digits8(v: u32) -> u64 {
    // Lanes of 32 bits: the first and the last four digits.
    let x = u64::from(v / 10_000) | (u64::from(v % 10_000) << 32);
    // Each lane divided by 100 (`n * 10486 >> 20` is `n / 100` for n < 43 699): lanes of 16
    // bits with two digits each.
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let x = hundreds | ((x - hundreds * 100) << 16);
    // Each lane divided by 10 (`n * 103 >> 10` is `n / 10` for n < 179): bytes of one digit.
    let tens = ((x * 103) >> 10) & 0x000f_000f_000f_000f;
    let x = tens | ((x - tens * 10) << 8);
    x | 0x3030_3030_3030_3030
}

/// Appends the last `len` (1 to 8) of the eight digits in `digits`: one 8-byte store.
#[inline]
fn put_digits(out: &mut Vec<u8>, digits: u64, len: usize) {
    let skip = 8 - len;
    out.extend_from_slice(&(digits >> (8 * skip)).to_le_bytes());
    out.truncate(out.len() - skip);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(f: f64) -> String {
        let mut v = Vec::new();
        write_float(&mut v, f, FloatStyle::Go);
        String::from_utf8(v).unwrap_or_default()
    }

    fn om(f: f64) -> String {
        let mut v = Vec::new();
        write_float(&mut v, f, FloatStyle::OpenMetrics);
        String::from_utf8(v).unwrap_or_default()
    }

    #[test]
    fn integers_as_itoa_writes_them() {
        let mut values: Vec<u64> = vec![0, 1, 9, u64::MAX, u64::from(u32::MAX), 12_345_678, 90_807_060];
        for p in 1..20u32 {
            let t = 10u64.pow(p);
            values.extend([t - 1, t, t + 1]);
        }
        // Every value below 10^5 and a stride through the rest of the register path.
        values.extend(0..100_000);
        values.extend((0..100_000_000).step_by(9_973));
        values.extend((0..u64::MAX / 1_000).step_by(1 << 50).map(|v| v | 1_234_567));
        for v in values {
            let mut out = b"x".to_vec();
            put_u64(&mut out, v);
            out.push(b'|');
            assert_eq!(out, format!("x{v}|").into_bytes());
        }
        let mut out = Vec::new();
        write_number(&mut out, crate::encoding::Number::I64(i64::MIN), FloatStyle::Go);
        write_number(&mut out, crate::encoding::Number::I64(-7), FloatStyle::Go);
        assert_eq!(out, b"-9223372036854775808-7");
    }

    #[test]
    fn matches_go_shortest_g() {
        // Expected strings are what client_golang prints (see Infra's published `/metrics` page).
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

    /// The significant digits and the decimal point's place (`0.d1d2... * 10^dp`) of a float
    /// spelled in any decimal notation, sign left out.
    fn decimal(s: &str) -> (String, i32) {
        let s = s.trim_start_matches('-');
        let (mant, exp) = s.split_once(['e', 'E']).map_or((s, 0), |(m, e)| (m, e.parse::<i32>().unwrap_or(i32::MAX)));
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let all = format!("{int}{frac}");
        let lead = all.len() - all.trim_start_matches('0').len();
        let digits = all.trim_matches('0').to_owned();
        (digits, int.len() as i32 - lead as i32 + exp)
    }

    #[test]
    fn same_digits_as_ryu_across_the_range() {
        // Shortest round-trip digits are unique but for ties, which both resolve to the
        // closest: zmij (what `write_float` uses) must give ryu's digits for every float, in
        // both layouts (plain and exponent) and every branch of `write_float`.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut values: Vec<f64> = Vec::new();
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if f.is_finite() {
                values.push(f);
            }
            // Short decimals at every scale, as sums and bounds mostly are.
            values.push((x % 100_000) as f64 / 10f64.powi((x >> 40) as i32 % 24 - 8));
        }
        values.extend([5e-324, f64::MIN_POSITIVE, f64::MAX, 1e-4, 0.999_999_9e-4, 999_999.5, 1e6, 2f64.powi(53)]);
        for f in values {
            if f == 0.0 {
                continue;
            }
            let ours = go(f);
            let mut rb = ryu::Buffer::new();
            assert_eq!(decimal(&ours), decimal(rb.format_finite(f)), "{f:e} spelled {ours}");
            assert_eq!(ours.parse::<f64>().ok(), Some(f), "{ours}");
        }
    }

    #[test]
    fn round_trips() {
        for f in [0.1, 1.0 / 3.0, 2f64.powi(53) + 2.0, 1e-7, 123.456e10, f64::MIN_POSITIVE, f64::MAX] {
            assert_eq!(go(f).parse::<f64>().ok(), Some(f));
        }
    }
}
