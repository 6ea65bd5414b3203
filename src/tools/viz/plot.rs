//! Line plots as pictures, for loss curves in the notebooks (`notebooks/`).
//!
//! [`line_plot`] draws one or more curves into an `H×W×3` RGB picture in [0, 1] — the
//! picture type of the rest of the crate, so [`super::notebook::show`] displays it and
//! [`crate::formats::image_io::save_rgb`] writes it — with a frame, grey grid lines at "round"
//! values and their numbers (a built-in 3×5 pixel font of digits, `.`, `-`, `+` and `e`),
//! optionally with a logarithmic vertical axis. There are no letters: the caller says
//! in text which colour is which curve ([`PALETTE`] names them).

use crate::bail;
use crate::error::Result;
use ndarray::Array3;

/// One curve: its points (x, y) in drawing order and its colour (RGB in [0, 1]).
#[derive(Clone, Debug)]
pub struct Curve {
    /// The points, joined by straight lines in this order. Points with a non-finite
    /// coordinate (or y ≤ 0 on a logarithmic axis) are skipped, breaking the line.
    pub points: Vec<(f64, f64)>,
    /// Its colour.
    pub color: [f32; 3],
}

/// Colours for curves, with their names for a caption: blue, orange, green, red, purple.
pub const PALETTE: [(&str, [f32; 3]); 5] = [
    ("blue", [0.12, 0.47, 0.71]),
    ("orange", [1.0, 0.5, 0.05]),
    ("green", [0.17, 0.63, 0.17]),
    ("red", [0.84, 0.15, 0.16]),
    ("purple", [0.58, 0.4, 0.74]),
];

/// Size and axes of a plot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotOptions {
    /// Picture width in pixels (at least 80).
    pub width: usize,
    /// Picture height in pixels (at least 60).
    pub height: usize,
    /// Logarithmic vertical axis (grid lines at powers of ten).
    pub log_y: bool,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            width: 480,
            height: 240,
            log_y: false,
        }
    }
}

// Margins (pixels) around the plotting area: room for the numbers on the left and below.
const LEFT: usize = 44;
const RIGHT: usize = 12;
const TOP: usize = 10;
const BOTTOM: usize = 22;
// The font's pixels are drawn as SCALE×SCALE blocks.
const SCALE: usize = 2;

/// Draw `curves` into a `height×width×3` picture (white background, RGB in [0, 1]).
///
/// Both axes span the data (the vertical one with a 4 % margin); a constant coordinate
/// gets a unit-wide range around it. Fails when the size is too small or when no curve
/// has a point that can be drawn.
pub fn line_plot(curves: &[Curve], opts: &PlotOptions) -> Result<Array3<f32>> {
    if opts.width < 80 || opts.height < 60 {
        bail!(
            "a plot needs at least 80×60 pixels, got {}×{}",
            opts.width,
            opts.height
        );
    }
    let usable = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!opts.log_y || y > 0.0);
    let ty = |y: f64| if opts.log_y { y.log10() } else { y };
    let pts: Vec<(f64, f64)> = curves
        .iter()
        .flat_map(|c| {
            c.points
                .iter()
                .filter(|p| usable(p))
                .map(|&(x, y)| (x, ty(y)))
        })
        .collect();
    if pts.is_empty() {
        bail!(
            "nothing to plot: no point with finite coordinates{}",
            if opts.log_y {
                " and y > 0 (logarithmic axis)"
            } else {
                ""
            }
        );
    }
    let span = |v: Vec<f64>| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, hi + 0.5)
        }
    };
    let (x0, x1) = span(pts.iter().map(|p| p.0).collect());
    let (y0, y1) = span(pts.iter().map(|p| p.1).collect());
    let pad = 0.04 * (y1 - y0);
    let (y0, y1) = (y0 - pad, y1 + pad);

    let (w, h) = (opts.width, opts.height);
    let (pw, ph) = ((w - LEFT - RIGHT) as f64, (h - TOP - BOTTOM) as f64);
    let px = |x: f64| LEFT as f64 + (x - x0) / (x1 - x0) * pw;
    let py = |y: f64| TOP as f64 + (y1 - y) / (y1 - y0) * ph;

    let mut img = Array3::from_elem((h, w, 3), 1.0f32);
    let grid = [0.88, 0.88, 0.88];
    let ink = [0.2, 0.2, 0.2];
    // Vertical axis: grid lines and numbers.
    let yticks: Vec<(f64, String)> = if opts.log_y {
        let (a, b) = (y0.ceil() as i64, y1.floor() as i64);
        let step = ((b - a) / 6 + 1).max(1);
        let mut t: Vec<(f64, String)> = (a..=b)
            .filter(|e| (e - a) % step == 0)
            .map(|e| (e as f64, format!("1e{e}")))
            .collect();
        if t.len() < 2 {
            t = nice_ticks(y0, y1, 4)
                .into_iter()
                .map(|v| (v, format_number(10f64.powf(v))))
                .collect();
        }
        t
    } else {
        nice_ticks(y0, y1, 5)
            .into_iter()
            .map(|v| (v, format_number(v)))
            .collect()
    };
    for (v, label) in &yticks {
        let y = py(*v).round() as i64;
        hline(&mut img, LEFT as i64, (w - RIGHT) as i64, y, grid);
        let tw = text_width(label) as i64;
        text(
            &mut img,
            LEFT as i64 - 4 - tw,
            y - (5 * SCALE / 2) as i64,
            label,
            ink,
        );
    }
    // Horizontal axis.
    for v in nice_ticks(x0, x1, 6) {
        let x = px(v).round() as i64;
        vline(&mut img, x, TOP as i64, (h - BOTTOM) as i64, grid);
        let label = format_number(v);
        let tw = text_width(&label) as i64;
        text(&mut img, x - tw / 2, (h - BOTTOM + 6) as i64, &label, ink);
    }
    // Frame.
    let (l, r, t, b) = (
        LEFT as i64,
        (w - RIGHT) as i64,
        TOP as i64,
        (h - BOTTOM) as i64,
    );
    hline(&mut img, l, r, t, ink);
    hline(&mut img, l, r, b, ink);
    vline(&mut img, l, t, b, ink);
    vline(&mut img, r, t, b, ink);
    // Curves, two pixels thick, each segment between consecutive drawable points.
    for c in curves {
        let mut prev: Option<(f64, f64)> = None;
        for p in &c.points {
            if !usable(p) {
                prev = None;
                continue;
            }
            let q = (px(p.0), py(ty(p.1)));
            match prev {
                Some(a) => segment(&mut img, a, q, c.color),
                None => segment(&mut img, q, q, c.color),
            }
            prev = Some(q);
        }
    }
    Ok(img)
}

/// About `n` round values (1, 2 or 5 times a power of ten apart) within [lo, hi].
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() || hi <= lo || n == 0 {
        return Vec::new();
    }
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    // k·step carries round-off (3 × 0.05 = 0.15000000000000002); round it to the
    // step's own precision, dividing by an exact power of ten.
    let e = mag.log10().round() as i32;
    let round = |v: f64| {
        if e >= 0 {
            v.round()
        } else {
            let scale = 10f64.powi(1 - e);
            (v * scale).round() / scale
        }
    };
    (first..=last).map(|k| round(k as f64 * step)).collect()
}

/// A short label: integers as they are, otherwise 3 significant digits, with an
/// exponent (`2.5e-3`, `1.2e9`) outside [0.01, 100 000).
pub fn format_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (0.01..1e5).contains(&a) {
        if (v - v.round()).abs() < 1e-9 * a.max(1.0) {
            return format!("{}", v.round() as i64);
        }
        let s = format!("{:.*}", (2 - a.log10().floor() as i64).max(0) as usize, v);
        return trim_zeros(&s);
    }
    let e = a.log10().floor() as i32;
    let m = v / 10f64.powi(e);
    format!("{}e{e}", trim_zeros(&format!("{m:.2}")))
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

fn put(img: &mut Array3<f32>, x: i64, y: i64, c: [f32; 3]) {
    let (h, w, _) = img.dim();
    if x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
        for k in 0..3 {
            img[[y as usize, x as usize, k]] = c[k];
        }
    }
}

fn hline(img: &mut Array3<f32>, x0: i64, x1: i64, y: i64, c: [f32; 3]) {
    for x in x0..=x1 {
        put(img, x, y, c);
    }
}

fn vline(img: &mut Array3<f32>, x: i64, y0: i64, y1: i64, c: [f32; 3]) {
    for y in y0..=y1 {
        put(img, x, y, c);
    }
}

/// A line from `a` to `b` (pixel coordinates), two pixels thick: one dot per pixel
/// step along the longer direction, each dot a 2×2 block.
fn segment(img: &mut Array3<f32>, a: (f64, f64), b: (f64, f64), c: [f32; 3]) {
    let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil().max(1.0) as usize;
    for s in 0..=steps {
        let t = s as f64 / steps as f64;
        let x = (a.0 + t * (b.0 - a.0)).round() as i64;
        let y = (a.1 + t * (b.1 - a.1)).round() as i64;
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            put(img, x + dx - 1, y + dy - 1, c);
        }
    }
}

/// The 3×5 font: each row's three pixels as bits, leftmost = 4.
fn glyph(ch: char) -> Option<[u8; 5]> {
    Some(match ch {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '.' => [0, 0, 0, 0, 2],
        '-' => [0, 0, 7, 0, 0],
        '+' => [0, 2, 7, 2, 0],
        'e' => [0, 3, 7, 4, 3],
        // For captions (`it 100 loss 2.5e+06`): a space and five letters.
        ' ' => [0, 0, 0, 0, 0],
        'i' => [2, 0, 2, 2, 2],
        'l' => [6, 2, 2, 2, 7],
        'o' => [0, 7, 5, 5, 7],
        's' => [0, 3, 4, 1, 6],
        't' => [2, 7, 2, 2, 1],
        _ => return None,
    })
}

/// The characters [`caption`] can write.
pub const CAPTION_CHARS: &str = "0123456789.-+e ilost";

/// The size `(width, height)` in pixels of [`caption`]'s text `s`.
pub fn caption_size(s: &str) -> (usize, usize) {
    (text_width(s), 5 * SCALE)
}

/// Check that [`caption`] can write `s`: an error naming the first character its font
/// lacks.
pub fn check_caption(s: &str) -> Result<()> {
    if let Some(c) = s.chars().find(|c| glyph(*c).is_none()) {
        bail!("the caption '{s}' has the character '{c}', which the pixel font lacks (it has: {CAPTION_CHARS})");
    }
    Ok(())
}

/// Write the caption `s` into `img` (H×W×3) in `color`, its top-left corner at (x, y),
/// in the plots' pixel font ([`CAPTION_CHARS`]: digits, `. - + e`, a space and the
/// letters of "it" and "loss"), each font pixel a 2×2 block; what falls outside the
/// picture is cut off. Fails, drawing nothing, when the font lacks a character.
pub fn caption(
    img: &mut Array3<f32>,
    (x, y): (usize, usize),
    s: &str,
    color: [f32; 3],
) -> Result<()> {
    check_caption(s)?;
    let at = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    text(img, at(x), at(y), s, color);
    Ok(())
}

/// Width in pixels of `s` in the font (characters it lacks take no room).
fn text_width(s: &str) -> usize {
    let n = s.chars().filter(|c| glyph(*c).is_some()).count();
    (n * 4).saturating_sub(1) * SCALE
}

/// Write `s` with its top-left corner at (x, y).
fn text(img: &mut Array3<f32>, x: i64, y: i64, s: &str, c: [f32; 3]) {
    let mut cx = x;
    for g in s.chars().filter_map(glyph) {
        for (row, bits) in g.iter().enumerate() {
            for col in 0..3 {
                if bits & (4 >> col) != 0 {
                    for dy in 0..SCALE {
                        for dx in 0..SCALE {
                            put(
                                img,
                                cx + (col * SCALE + dx) as i64,
                                y + (row * SCALE + dy) as i64,
                                c,
                            );
                        }
                    }
                }
            }
        }
        cx += (4 * SCALE) as i64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: [f32; 3] = [1.0, 0.0, 0.0];

    fn pixel(img: &Array3<f32>, x: usize, y: usize) -> [f32; 3] {
        [img[[y, x, 0]], img[[y, x, 1]], img[[y, x, 2]]]
    }

    /// Rows (top = 0) where column `x` has the colour `c`.
    fn rows_with(img: &Array3<f32>, x: usize, c: [f32; 3]) -> Vec<usize> {
        (0..img.dim().0)
            .filter(|&y| pixel(img, x, y) == c)
            .collect()
    }

    #[test]
    fn a_rising_line_rises_across_the_plotting_area() {
        let opts = PlotOptions::default();
        let curve = Curve {
            points: (0..=10).map(|i| (i as f64, i as f64)).collect(),
            color: RED,
        };
        let img = line_plot(&[curve], &opts).unwrap();
        assert_eq!(img.dim(), (240, 480, 3));
        assert!(img.iter().all(|v| (0.0..=1.0).contains(v)));
        let left = rows_with(&img, LEFT + 5, RED);
        let mid = rows_with(&img, LEFT + (480 - LEFT - RIGHT) / 2, RED);
        let right = rows_with(&img, 480 - RIGHT - 5, RED);
        assert!(!left.is_empty() && !mid.is_empty() && !right.is_empty());
        // Larger y is higher up, i.e. a smaller row index; the middle is halfway.
        assert!(
            left[0] > mid[0] && mid[0] > right[0],
            "{left:?} {mid:?} {right:?}"
        );
        let half = (TOP + 240 - BOTTOM) as f64 / 2.0;
        assert!((mid[0] as f64 - half).abs() <= 2.0, "{mid:?} vs {half}");
        // Nothing red outside the plotting area's columns.
        assert!(rows_with(&img, 2, RED).is_empty());
    }

    #[test]
    fn a_logarithmic_axis_spaces_powers_of_ten_evenly() {
        let opts = PlotOptions {
            log_y: true,
            ..PlotOptions::default()
        };
        let pts = vec![(0.0, 1.0), (1.0, 10.0), (2.0, 100.0), (3.0, 1000.0)];
        let img = line_plot(
            &[Curve {
                points: pts,
                color: RED,
            }],
            &opts,
        )
        .unwrap();
        let pw = 480 - LEFT - RIGHT;
        let row = |i: usize| {
            let x = LEFT + pw * i / 3;
            let r = rows_with(&img, x.clamp(LEFT + 1, 480 - RIGHT - 1), RED);
            r.iter().sum::<usize>() as f64 / r.len() as f64
        };
        let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
        assert!((r0 - r1 - (r1 - r2)).abs() <= 2.0 && (r1 - r2 - (r2 - r3)).abs() <= 2.0);
        assert!(r0 > r3);
    }

    #[test]
    fn unusable_points_are_skipped_and_nothing_to_draw_is_an_error() {
        let log = PlotOptions {
            log_y: true,
            ..PlotOptions::default()
        };
        let bad = Curve {
            points: vec![(0.0, 0.0), (1.0, -1.0), (f64::NAN, 1.0)],
            color: RED,
        };
        let e = line_plot(std::slice::from_ref(&bad), &log).unwrap_err().0;
        assert!(e.contains("nothing to plot") && e.contains("y > 0"), "{e}");
        // On a linear axis the first two points are drawable.
        assert!(line_plot(&[bad], &PlotOptions::default()).is_ok());
        let tiny = PlotOptions {
            width: 20,
            ..PlotOptions::default()
        };
        let e = line_plot(&[], &tiny).unwrap_err().0;
        assert!(e.contains("80×60"), "{e}");
        let e = line_plot(&[], &PlotOptions::default()).unwrap_err().0;
        assert!(e.contains("nothing to plot"), "{e}");
    }

    #[test]
    fn ticks_are_round_and_inside() {
        assert_eq!(nice_ticks(0.0, 40.0, 4), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(nice_ticks(1.0, 9.5, 5), vec![2.0, 4.0, 6.0, 8.0]);
        assert_eq!(nice_ticks(0.13, 0.31, 4), vec![0.15, 0.2, 0.25, 0.3]);
        assert!(nice_ticks(1.0, 1.0, 4).is_empty());
        for t in nice_ticks(-3.7, 12.2, 6) {
            assert!((-3.7..=12.2).contains(&t));
        }
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(40.0), "40");
        assert_eq!(format_number(-5.0), "-5");
        assert_eq!(format_number(0.25), "0.25");
        assert_eq!(format_number(1.5), "1.5");
        assert_eq!(format_number(12.34), "12.3");
        assert_eq!(format_number(2.5e9), "2.5e9");
        assert_eq!(format_number(1e-3), "1e-3");
        assert_eq!(format_number(123456.0), "1.23e5");
        // Every label can be drawn: the font has all its characters.
        for v in [0.0, -0.125, 3.25e-7, 9.99e12, 42.0] {
            assert!(format_number(v).chars().all(|c| glyph(c).is_some()), "{v}");
        }
    }

    #[test]
    fn captions_draw_their_glyphs_and_refuse_unknown_characters() {
        let mut img = Array3::<f32>::ones((12, 100, 3));
        caption(&mut img, (1, 1), "it 1", RED).unwrap();
        let red: Vec<(usize, usize)> = (0..12)
            .flat_map(|y| (0..100).map(move |x| (x, y)))
            .filter(|&(x, y)| pixel(&img, x, y) == RED)
            .collect();
        // i (4 font pixels), t (7), space (0), 1 (8): 19 pixels of 2×2.
        assert_eq!(red.len(), 19 * SCALE * SCALE);
        let (w, h) = caption_size("it 1");
        assert_eq!((w, h), ((4 * 4 - 1) * SCALE, 5 * SCALE));
        assert!(red
            .iter()
            .all(|&(x, y)| (1..1 + w).contains(&x) && (1..1 + h).contains(&y)));
        // Cut at the border, not a panic.
        caption(&mut img, (95, 8), "1000", RED).unwrap();
        let e = caption(&mut img, (0, 0), "step 3", RED).unwrap_err().0;
        assert!(e.contains("'p'") && e.contains(CAPTION_CHARS), "{e}");
        for c in CAPTION_CHARS.chars() {
            assert!(glyph(c).is_some(), "{c}");
        }
    }

    #[test]
    fn labels_are_drawn_in_the_margins() {
        let img = line_plot(
            &[Curve {
                points: vec![(0.0, 0.0), (100.0, 1.0)],
                color: RED,
            }],
            &PlotOptions::default(),
        )
        .unwrap();
        let dark = |y0: usize, y1: usize, x0: usize, x1: usize| {
            (y0..y1)
                .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                .filter(|&(x, y)| pixel(&img, x, y) == [0.2, 0.2, 0.2])
                .count()
        };
        assert!(dark(0, 240, 0, LEFT - 2) > 20, "numbers left of the frame");
        assert!(
            dark(240 - BOTTOM + 2, 240, 0, 480) > 20,
            "numbers below the frame"
        );
    }
}
