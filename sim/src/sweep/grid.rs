//! The utilization grid (`--util FROM:TO:STEP`) and shards (`--shard I/N`).

use std::fmt;
use std::str::FromStr;

/// The most points a grid may have.
pub const MAX_POINTS: u64 = 100_000;

/// Utilization points `from, from + step, ..., <= to`, held exactly in
/// millionths (six decimals), so that a point's value, and so its sets, do
/// not depend on floating-point accumulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Grid {
    /// First point, in millionths.
    pub from: u64,
    /// Last point at most this, in millionths.
    pub to: u64,
    /// Distance between points, in millionths (> 0).
    pub step: u64,
}

impl Grid {
    /// The points, in millionths.
    pub fn points(&self) -> impl Iterator<Item = u64> + Clone {
        let step = self.step.max(1);
        (0..=(self.to - self.from) / step).map(move |k| self.from + k * step)
    }

    /// The last point, as a fraction.
    pub fn last_value(&self) -> f64 {
        self.points().last().unwrap_or(self.from) as f64 / 1e6
    }
}

/// A decimal with at most six fraction digits, in millionths.
fn millionths(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(format!("`{t}` is not a decimal number such as 0.75"));
    }
    if frac.len() > 6 {
        return Err(format!("`{t}` has more than six decimals"));
    }
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| format!("`{t}` is too large"))?
    };
    let frac_value: u64 = format!("{frac:0<6}")
        .parse()
        .map_err(|_| format!("`{t}` is not a decimal number"))?;
    int.checked_mul(1_000_000)
        .and_then(|v| v.checked_add(frac_value))
        .filter(|&v| v <= 1_000_000 * 1_000_000)
        .ok_or_else(|| format!("`{t}` is too large"))
}

impl FromStr for Grid {
    type Err = String;

    /// `FROM:TO:STEP` (e.g. `0.5:1:0.025`) or a single utilization.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(':').collect();
        let grid = match parts.as_slice() {
            [one] => {
                let v = millionths(one)?;
                Grid {
                    from: v,
                    to: v,
                    step: 1,
                }
            }
            [from, to, step] => Grid {
                from: millionths(from)?,
                to: millionths(to)?,
                step: millionths(step)?,
            },
            _ => return Err(format!("`{s}` is not FROM:TO:STEP, e.g. 0.5:1:0.05")),
        };
        if grid.step == 0 {
            return Err(format!("`{s}`: STEP must be above 0"));
        }
        if grid.from > grid.to {
            return Err(format!(
                "`{s}`: FROM ({}) is above TO ({})",
                grid.from as f64 / 1e6,
                grid.to as f64 / 1e6
            ));
        }
        if (grid.to - grid.from) / grid.step + 1 > MAX_POINTS {
            return Err(format!("`{s}` has more than {MAX_POINTS} points"));
        }
        Ok(grid)
    }
}

impl fmt::Display for Grid {
    /// `FROM:TO:STEP` as decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = |v: u64| v as f64 / 1e6;
        write!(f, "{}:{}:{}", d(self.from), d(self.to), d(self.step))
    }
}

/// Part `index` of `count` of a sweep (`--shard I/N`, 1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    /// Which part, `1 ..= count`.
    pub index: u32,
    /// How many parts.
    pub count: u32,
}

impl Shard {
    /// The whole sweep: `1/1`.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N` with `1 <= I <= N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || format!("`{s}` is not I/N with 1 <= I <= N, e.g. 3/8");
        let (i, n) = s.split_once('/').ok_or_else(usage)?;
        let index: u32 = i.trim().parse().map_err(|_| usage())?;
        let count: u32 = n.trim().parse().map_err(|_| usage())?;
        if index == 0 || count == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_are_exact() {
        let g: Grid = "0.5:1:0.05".parse().unwrap();
        let points: Vec<u64> = g.points().collect();
        assert_eq!(points.len(), 11);
        assert_eq!(points[10], 1_000_000);
        assert_eq!(g.to_string(), "0.5:1:0.05");
        let g: Grid = "0.8".parse().unwrap();
        assert_eq!(g.points().collect::<Vec<_>>(), [800_000]);
        // TO that is not on the grid: the last point stays below it.
        let g: Grid = "0.1:0.35:0.1".parse().unwrap();
        assert_eq!(g.points().last(), Some(300_000));
        for bad in [
            "0.9:0.1:0.1",
            "0.1:0.9:0",
            "a:b:c",
            "0.1:0.2",
            "0.1234567",
            "-1",
        ] {
            assert!(bad.parse::<Grid>().is_err(), "{bad}");
        }
        let err = "0.9:0.1:0.1".parse::<Grid>().unwrap_err();
        assert!(err.contains("FROM (0.9) is above TO (0.1)"), "{err}");
    }

    #[test]
    fn shards_are_one_based() {
        assert_eq!("3/8".parse(), Ok(Shard { index: 3, count: 8 }));
        for bad in ["3/2", "0/2", "1/0", "1", "a/b", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
