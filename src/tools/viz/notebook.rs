//! Pictures inline in Jupyter notebooks run by the evcxr Rust kernel (`notebooks/`).
//!
//! evcxr shows rich output when a cell prints a block
//!
//! ```text
//! EVCXR_BEGIN_CONTENT image/png
//! <the PNG file, base64-encoded>
//! EVCXR_END_CONTENT
//! ```
//!
//! to standard output. evcxr 0.22 keeps one picture per cell — the last block printed —
//! and shows it when the cell finishes (printed text, by contrast, appears as it comes),
//! so a notebook that wants several pictures from one run puts them side by side in one.
//! Outside a notebook the same call just prints the block.
//!
//! [`show`]'s `println!` is the one place where the library writes to the terminal, and
//! the exception is deliberate: standard output is how evcxr receives what a cell
//! displays, so a display helper can do nothing else (`docs/architecture.md`). Everything
//! else here returns values.

use crate::error::Result;
use crate::formats::image_io::png_bytes;
use ndarray::{Array3, ArrayView2, ArrayView3};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648 §4, with `=` padding): every 3 bytes become 4 characters.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The block evcxr turns into an inline PNG.
pub fn png_block(png: &[u8]) -> String {
    format!(
        "EVCXR_BEGIN_CONTENT image/png\n{}\nEVCXR_END_CONTENT",
        base64(png)
    )
}

/// Show an `H×W×3` RGB picture in [0, 1] inline, each pixel drawn as a `scale`×`scale`
/// block (nearest neighbour, so small arrays stay crisp; 1 = actual size).
pub fn show(img: ArrayView3<f32>, scale: usize) -> Result<()> {
    let png = png_bytes(enlarge(img, scale.max(1)).view())?;
    println!("{}", png_block(&png));
    Ok(())
}

/// Repeat every pixel `k`×`k` times.
pub fn enlarge(img: ArrayView3<f32>, k: usize) -> Array3<f32> {
    let (h, w, c) = img.dim();
    Array3::from_shape_fn((h * k, w * k, c), |(y, x, ch)| img[[y / k, x / k, ch]])
}

/// A matrix as a picture: its smallest value black, its largest bright yellow, through
/// dark blue, purple, red and orange (a perceptually ordered map, like matplotlib's
/// "inferno", so brighter always means larger). A constant matrix is drawn black.
pub fn heatmap(m: ArrayView2<f32>) -> Array3<f32> {
    // (position, r, g, b): piecewise-linear between these stops.
    const STOPS: [(f32, [f32; 3]); 5] = [
        (0.0, [0.0, 0.0, 0.02]),
        (0.25, [0.26, 0.04, 0.41]),
        (0.5, [0.73, 0.21, 0.33]),
        (0.75, [0.98, 0.55, 0.04]),
        (1.0, [0.99, 1.0, 0.64]),
    ];
    let lo = m.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = m.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (h, w) = m.dim();
    Array3::from_shape_fn((h, w, 3), |(y, x, c)| {
        let t = ((m[[y, x]] - lo) / span).clamp(0.0, 1.0);
        let i = STOPS.iter().rposition(|s| s.0 <= t).unwrap_or(0).min(3);
        let (t0, a) = STOPS[i];
        let (t1, b) = STOPS[i + 1];
        a[c] + (b[c] - a[c]) * (t - t0) / (t1 - t0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn base64_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, coded) in cases {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain:?}");
        }
        assert_eq!(base64(&[0xFB, 0xFF, 0xBF]), "+/+/");
    }

    #[test]
    fn png_block_wraps_the_base64() {
        let png = png_bytes(Array3::<f32>::zeros((1, 1, 3)).view()).unwrap();
        let block = png_block(&png);
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "EVCXR_BEGIN_CONTENT image/png");
        assert_eq!(lines[1], base64(&png));
        assert!(lines[1].starts_with("iVBORw0KGgo"), "PNG signature");
        assert_eq!(lines[2], "EVCXR_END_CONTENT");
    }

    #[test]
    fn enlarge_repeats_pixels() {
        let img = Array3::from_shape_fn((2, 3, 3), |(y, x, c)| (y * 9 + x * 3 + c) as f32);
        let big = enlarge(img.view(), 2);
        assert_eq!(big.dim(), (4, 6, 3));
        assert_eq!(big[[3, 5, 2]], img[[1, 2, 2]]);
        assert_eq!(big[[2, 1, 0]], img[[1, 0, 0]]);
        assert_eq!(enlarge(img.view(), 1), img);
    }

    #[test]
    fn heatmap_ends_and_order() {
        let m = array![[0.0f32, 1.0], [2.0, 4.0]];
        let h = heatmap(m.view());
        assert_eq!(h.dim(), (2, 2, 3));
        assert_eq!(
            h.slice(ndarray::s![0, 0, ..]).to_vec(),
            vec![0.0, 0.0, 0.02]
        );
        assert_eq!(
            h.slice(ndarray::s![1, 1, ..]).to_vec(),
            vec![0.99, 1.0, 0.64]
        );
        // Larger values are brighter (sum of channels increases).
        let bright = |y: usize, x: usize| h.slice(ndarray::s![y, x, ..]).sum();
        assert!(bright(0, 0) < bright(0, 1) && bright(0, 1) < bright(1, 0));
        assert!(bright(1, 0) < bright(1, 1));
        assert!(h.iter().all(|v| (0.0..=1.0).contains(v)));
        let flat = heatmap(Array2::from_elem((2, 3), 5.0f32).view());
        assert!(flat
            .iter()
            .zip([0.0, 0.0, 0.02].iter().cycle())
            .all(|(a, b)| a == b));
    }
}
