//! Colour science for the palette's tests (compiled for tests only):
//! sRGB to CIELAB under D65, the CIEDE2000 colour difference (Sharma, Wu
//! and Dalal, "The CIEDE2000 color-difference formula: implementation
//! notes, supplementary test data, and mathematical observations", Color
//! Research & Application 30(1), 2005), and dichromat vision simulated
//! with the severity-1.0 matrices of Machado, Oliveira and Fernandes, "A
//! physiologically-based model for simulation of color vision
//! deficiency", IEEE TVCG 15(6), 2009 (doi:10.1109/TVCG.2009.113), applied
//! to linear RGB as the paper does.

use plotters::style::RGBColor;

/// Who looks at the colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Vision {
    /// Normal trichromatic vision.
    Normal,
    /// No L cones ("red-blind").
    Protanopia,
    /// No M cones ("green-blind"), the most common.
    Deuteranopia,
    /// No S cones ("blue-blind").
    Tritanopia,
}

impl Vision {
    /// The three dichromacies.
    pub(super) const DICHROMACIES: [Vision; 3] =
        [Vision::Protanopia, Vision::Deuteranopia, Vision::Tritanopia];

    /// Machado et al.'s simulation matrix, severity 1.0, on linear RGB.
    fn matrix(self) -> Option<[[f64; 3]; 3]> {
        match self {
            Vision::Normal => None,
            Vision::Protanopia => Some([
                [0.152_286, 1.052_583, -0.204_868],
                [0.114_503, 0.786_281, 0.099_216],
                [-0.003_882, -0.048_116, 1.051_998],
            ]),
            Vision::Deuteranopia => Some([
                [0.367_322, 0.860_646, -0.227_968],
                [0.280_085, 0.672_501, 0.047_413],
                [-0.011_820, 0.042_940, 0.968_881],
            ]),
            Vision::Tritanopia => Some([
                [1.255_528, -0.076_749, -0.178_779],
                [-0.078_411, 0.930_809, 0.147_602],
                [0.004_733, 0.691_367, 0.303_900],
            ]),
        }
    }
}

/// An sRGB channel, linearized.
fn linear(c: u8) -> f64 {
    let c = f64::from(c) / 255.0;
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// CIELAB (D65 white) of `color` as `vision` sees it.
fn lab(color: RGBColor, vision: Vision) -> [f64; 3] {
    let mut rgb = [linear(color.0), linear(color.1), linear(color.2)];
    if let Some(m) = vision.matrix() {
        let v = rgb;
        for (out, row) in rgb.iter_mut().zip(m) {
            // The simulated colour can leave the gamut: clip, as a display
            // would.
            *out = (row[0] * v[0] + row[1] * v[1] + row[2] * v[2]).clamp(0.0, 1.0);
        }
    }
    let [r, g, b] = rgb;
    let x = 0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175_0 * b;
    let z = 0.019_333_9 * r + 0.119_192_0 * g + 0.950_304_1 * b;
    let f = |t: f64| {
        let d: f64 = 6.0 / 29.0;
        if t > d.powi(3) {
            t.cbrt()
        } else {
            t / (3.0 * d * d) + 4.0 / 29.0
        }
    };
    let (fx, fy, fz) = (f(x / 0.950_47), f(y), f(z / 1.088_83));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// The CIEDE2000 difference between `a` and `b` as `vision` sees them.
pub(super) fn ciede2000(a: RGBColor, b: RGBColor, vision: Vision) -> f64 {
    delta_e00(lab(a, vision), lab(b, vision))
}

/// The CIEDE2000 difference of two CIELAB colours (kL = kC = kH = 1),
/// following Sharma et al.'s implementation notes step by step.
fn delta_e00(p: [f64; 3], q: [f64; 3]) -> f64 {
    let [l1, a1, b1] = p;
    let [l2, a2, b2] = q;
    let pow7 = |c: f64| c.powi(7);
    let c_bar = (a1.hypot(b1) + a2.hypot(b2)) / 2.0;
    let g = 0.5 * (1.0 - (pow7(c_bar) / (pow7(c_bar) + pow7(25.0))).sqrt());
    let (a1p, a2p) = ((1.0 + g) * a1, (1.0 + g) * a2);
    let (c1p, c2p) = (a1p.hypot(b1), a2p.hypot(b2));
    let hue = |b: f64, a: f64| {
        if b == 0.0 && a == 0.0 {
            0.0
        } else {
            b.atan2(a).to_degrees().rem_euclid(360.0)
        }
    };
    let (h1p, h2p) = (hue(b1, a1p), hue(b2, a2p));
    let chroma_zero = c1p * c2p == 0.0;
    let dh = if chroma_zero {
        0.0
    } else if (h2p - h1p).abs() <= 180.0 {
        h2p - h1p
    } else if h2p - h1p > 180.0 {
        h2p - h1p - 360.0
    } else {
        h2p - h1p + 360.0
    };
    let d_l = l2 - l1;
    let d_c = c2p - c1p;
    let d_h = 2.0 * (c1p * c2p).sqrt() * (dh / 2.0).to_radians().sin();
    let l_bar = (l1 + l2) / 2.0;
    let cp_bar = (c1p + c2p) / 2.0;
    let h_bar = if chroma_zero {
        h1p + h2p
    } else if (h1p - h2p).abs() <= 180.0 {
        (h1p + h2p) / 2.0
    } else if h1p + h2p < 360.0 {
        (h1p + h2p + 360.0) / 2.0
    } else {
        (h1p + h2p - 360.0) / 2.0
    };
    let cos = |deg: f64| deg.to_radians().cos();
    let t =
        1.0 - 0.17 * cos(h_bar - 30.0) + 0.24 * cos(2.0 * h_bar) + 0.32 * cos(3.0 * h_bar + 6.0)
            - 0.20 * cos(4.0 * h_bar - 63.0);
    let d_theta = 30.0 * (-((h_bar - 275.0) / 25.0).powi(2)).exp();
    let r_c = 2.0 * (pow7(cp_bar) / (pow7(cp_bar) + pow7(25.0))).sqrt();
    let s_l = 1.0 + 0.015 * (l_bar - 50.0).powi(2) / (20.0 + (l_bar - 50.0).powi(2)).sqrt();
    let s_c = 1.0 + 0.045 * cp_bar;
    let s_h = 1.0 + 0.015 * cp_bar * t;
    let r_t = -(2.0 * d_theta).to_radians().sin() * r_c;
    let (l, c, h) = (d_l / s_l, d_c / s_c, d_h / s_h);
    (l * l + c * c + h * h + r_t * c * h).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ciede2000_matches_sharmas_test_data() {
        // Pairs 1, 7, 13, 14, 17, 25 and 34 of Sharma et al.'s table 1:
        // a blue pair, grey against a hue, the hue-mean edge cases, a
        // large difference, and dark colours.
        let pairs = [
            ([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485], 2.0425),
            ([50.0, 0.0, 0.0], [50.0, -1.0, 2.0], 2.3669),
            ([50.0, 2.49, -0.001], [50.0, -2.49, 0.0009], 7.1792),
            ([50.0, 2.49, -0.001], [50.0, -2.49, 0.0011], 7.2195),
            ([50.0, 2.5, 0.0], [73.0, 25.0, -18.0], 27.1492),
            (
                [60.2574, -34.0099, 36.2677],
                [60.4626, -34.1751, 39.4387],
                1.2644,
            ),
            ([2.0776, 0.0795, -1.135], [0.9033, -0.0636, -0.5514], 0.9082),
        ];
        for (p, q, want) in pairs {
            let got = delta_e00(p, q);
            assert!((got - want).abs() < 5e-5, "{p:?} {q:?}: {got}");
            // Symmetric.
            assert!((delta_e00(q, p) - got).abs() < 1e-9);
        }
    }

    #[test]
    fn lab_of_srgb_primaries_is_the_usual() {
        let white = lab(RGBColor(255, 255, 255), Vision::Normal);
        assert!((white[0] - 100.0).abs() < 0.01 && white[1].abs() < 0.01 && white[2].abs() < 0.01);
        // sRGB red is about (53.24, 80.09, 67.20).
        let red = lab(RGBColor(255, 0, 0), Vision::Normal);
        for (got, want) in red.iter().zip([53.24, 80.09, 67.20]) {
            assert!((got - want).abs() < 0.05, "{red:?}");
        }
    }

    #[test]
    fn dichromats_confuse_red_and_green_or_blue_and_green() {
        // The simulations do what they are for: red and green collapse for
        // protanopes and deuteranopes and stay apart for tritanopes.
        let (red, green) = (RGBColor(0xCC, 0x33, 0x33), RGBColor(0x55, 0x88, 0x22));
        let normal = ciede2000(red, green, Vision::Normal);
        for v in [Vision::Protanopia, Vision::Deuteranopia] {
            assert!(ciede2000(red, green, v) < normal / 2.0, "{v:?}");
        }
        assert!(ciede2000(red, green, Vision::Tritanopia) > normal / 2.0);
        // White stays white (each matrix row sums to one).
        for v in Vision::DICHROMACIES {
            let w = RGBColor(255, 255, 255);
            assert!(ciede2000(w, w, v) < 1e-9);
            let l = lab(w, v);
            assert!((l[0] - 100.0).abs() < 0.1, "{v:?}: {l:?}");
        }
    }
}
