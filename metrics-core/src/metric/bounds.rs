//! Bucket bounds made from a start and a step (`linear`, `exponential`), computed in decimal so
//! that decimal inputs give the decimal bounds a user wrote: `linear(0.001, 0.002, 6)` ends in
//! `0.011`, where `0.001 + 0.002 * 4` in floats is `0.009000000000000001`.
//!
//! This file is compiled twice: into `metrics-core` (`Buckets::linear` and
//! `Buckets::exponential`) and, through `#[path]`, into `metrics-derive` (`buckets =
//! linear(..)`), so both give the same bounds. It uses only `std`.
//!
//! Each input is read as the decimal its shortest representation spells (`0.1` is one tenth, not
//! the binary fraction nearest to it); each bound is computed exactly in integers as `m · 10^-s`
//! and rounded once, by `str::parse`, to the nearest float. Where the exact decimal does not fit
//! 128 bits (a long exponential series with a fractional factor), the bound is computed in floats
//! as before.

/// `count` bounds `start, start + width, start + 2 * width, ...`.
pub(crate) fn linear(start: f64, width: f64, count: usize) -> Vec<f64> {
    (0..count).map(|i| decimal_linear(start, width, i).unwrap_or(start + width * i as f64)).collect()
}

/// `count` bounds `start, start * factor, start * factor^2, ...`.
pub(crate) fn exponential(start: f64, factor: f64, count: usize) -> Vec<f64> {
    (0..count).map(|i| decimal_exponential(start, factor, i).unwrap_or(start * factor.powi(i as i32))).collect()
}

fn decimal_linear(start: f64, width: f64, i: usize) -> Option<f64> {
    let (a, sa) = decimal(start)?;
    let (b, sb) = decimal(width)?;
    let scale = sa.max(sb);
    let a = a.checked_mul(10i128.checked_pow(scale - sa)?)?;
    let b = b.checked_mul(10i128.checked_pow(scale - sb)?)?;
    let m = a.checked_add(b.checked_mul(i128::try_from(i).ok()?)?)?;
    nearest(m, scale)
}

fn decimal_exponential(start: f64, factor: f64, i: usize) -> Option<f64> {
    let (a, sa) = decimal(start)?;
    let (b, sb) = decimal(factor)?;
    let i = u32::try_from(i).ok()?;
    let m = a.checked_mul(b.checked_pow(i)?)?;
    nearest(m, sa.checked_add(sb.checked_mul(i)?)?)
}

/// `f` as the exact decimal `m · 10^-scale` of its shortest representation.
fn decimal(f: f64) -> Option<(i128, u32)> {
    if !f.is_finite() {
        return None;
    }
    // `{:e}` spells the shortest digits that round-trip: `1e-3`, `-1.6384e1`.
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: i128 = 0;
    for c in int.bytes().chain(frac.bytes()) {
        digits = digits.checked_mul(10)?.checked_add(i128::from(c.checked_sub(b'0')?))?;
    }
    let shift = exp.checked_sub(i32::try_from(frac.len()).ok()?)?;
    let (m, scale) = if shift >= 0 {
        (digits.checked_mul(10i128.checked_pow(shift.unsigned_abs())?)?, 0)
    } else {
        (digits, shift.unsigned_abs())
    };
    Some((if negative { -m } else { m }, scale))
}

/// The float nearest to `m · 10^-scale` (`str::parse` rounds correctly at any length).
fn nearest(m: i128, scale: u32) -> Option<f64> {
    format!("{m}e-{scale}").parse().ok()
}
