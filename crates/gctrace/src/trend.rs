//! Robust trend of a series: the Theil–Sen slope (the median of pairwise slopes, unmoved by a
//! few outliers) and the Mann–Kendall test for whether the series rises or falls at all.

/// A monotonic trend over `(x, y)` points.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Trend {
    /// Median slope, in y per x.
    pub slope: f64,
    /// Kendall's tau between x and y (-1 falling .. 1 rising).
    pub tau: f64,
    /// Two-sided p-value of "no trend" (Mann–Kendall, normal approximation).
    pub p_value: f64,
    /// Points used.
    pub points: usize,
}

/// Most points used: Theil–Sen is quadratic, so longer series are thinned evenly first.
const MAX_POINTS: usize = 1500;

/// The trend of `points` (sorted by x), or `None` with fewer than 3 points.
pub fn trend(points: &[(f64, f64)]) -> Option<Trend> {
    if points.len() < 3 {
        return None;
    }
    let step = points.len().div_ceil(MAX_POINTS);
    let p: Vec<(f64, f64)> = points.iter().step_by(step).copied().collect();
    let n = p.len();
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    let mut s: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            let dy = p[j].1 - p[i].1;
            s += (dy > 0.0) as i64 - (dy < 0.0) as i64;
            let dx = p[j].0 - p[i].0;
            if dx != 0.0 {
                slopes.push(dy / dx);
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let m = slopes.len();
    let slope = if m % 2 == 1 { slopes[m / 2] } else { (slopes[m / 2 - 1] + slopes[m / 2]) / 2.0 };
    // Variance of S with the correction for tied y values.
    let mut ys: Vec<f64> = p.iter().map(|q| q.1).collect();
    ys.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && ys[j + 1] == ys[i] {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j + 1;
    }
    let nf = n as f64;
    let variance = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    let z = if variance <= 0.0 {
        0.0
    } else if s > 0 {
        (s as f64 - 1.0) / variance.sqrt()
    } else if s < 0 {
        (s as f64 + 1.0) / variance.sqrt()
    } else {
        0.0
    };
    let p_value = erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0);
    Some(Trend { slope, tau: s as f64 / (nf * (nf - 1.0) / 2.0), p_value, points: n })
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_rise_is_found_with_its_slope() {
        let points: Vec<(f64, f64)> =
            (0..50).map(|i| (i as f64, 10.0 + 2.0 * i as f64 + if i % 7 == 0 { 30.0 } else { 0.0 })).collect();
        let t = trend(&points).unwrap();
        assert!((t.slope - 2.0).abs() < 1e-9, "outliers do not move the median slope: {t:?}");
        assert!(t.p_value < 1e-6 && t.tau > 0.8);
    }

    #[test]
    fn noise_around_a_plateau_is_not_a_trend() {
        let points: Vec<(f64, f64)> = (0..40).map(|i| (i as f64, 50.0 + [0.3, -0.2, 0.1, -0.4, 0.2][i % 5])).collect();
        let t = trend(&points).unwrap();
        assert!(t.p_value > 0.2, "{t:?}");
        assert!(trend(&points[..2]).is_none());
    }

    #[test]
    fn erfc_matches_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-6);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-6);
    }
}
