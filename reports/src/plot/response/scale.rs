//! How response times, as fractions of the deadline, map to the y axis
//! of the response plot: linear up to a few deadlines, logarithmic beyond.

use crate::plot::style;

/// How fractions of the deadline map to the y axis.
#[derive(Clone, Copy, Debug)]
pub(super) enum YScale {
    /// y = fraction, from 0 to `top`.
    Linear { top: f64 },
    /// y = log10(fraction), from `bottom` to `top`.
    Log { bottom: f64, top: f64 },
}

impl YScale {
    /// The y of `fraction` (a log scale pins it to its bottom).
    pub(super) fn y(self, fraction: f64) -> f64 {
        match self {
            YScale::Linear { .. } => fraction,
            YScale::Log { bottom, .. } => fraction.max(1e-9).log10().max(bottom),
        }
    }

    /// The y axis' bottom and top.
    pub(super) fn range(self) -> (f64, f64) {
        match self {
            YScale::Linear { top } => (0.0, top),
            YScale::Log { bottom, top } => (bottom, top),
        }
    }

    /// Tick positions (in y units) and labels.
    pub(super) fn ticks(self) -> Vec<(f64, String)> {
        match self {
            YScale::Linear { top } => {
                let per_mille = style::nice_step((top * 1000.0) as u64, 8, 50);
                (0..)
                    .map(|k: u64| (k * per_mille) as f64 / 1000.0)
                    .take_while(|&f| f <= top)
                    .map(|f| (f, style::percent_tick(f)))
                    .collect()
            }
            YScale::Log { bottom, top } => {
                let decades = top - bottom;
                let steps: &[f64] = if decades <= 3.0 {
                    &[1.0, 2.0, 5.0]
                } else {
                    &[1.0]
                };
                let mut out = Vec::new();
                let mut e = bottom.floor() as i32;
                while f64::from(e) <= top {
                    for &m in steps {
                        let f = m * 10f64.powi(e);
                        let y = f.log10();
                        if y >= bottom && y <= top {
                            out.push((y, style::percent_tick(f)));
                        }
                    }
                    e += 1;
                }
                out
            }
        }
    }

    /// The y axis' title.
    pub(super) fn title(self) -> &'static str {
        match self {
            YScale::Linear { .. } => "response time / deadline (%)",
            YScale::Log { .. } => "response time / deadline (%, log scale)",
        }
    }
}
