//! Resizing `H×W×3` pictures with a Lanczos-3 filter.

use image::imageops::{self, FilterType};
use image::{ImageBuffer, Rgb};
use ndarray::{Array3, ArrayView3};

// ANCHOR: resize
/// Resize to `h×w` with the image crate's Lanczos-3 filter, in f32.
///
/// Lanczos-3 is a windowed sinc over ±3 source pixels; when shrinking, the window is
/// stretched by the scale factor, which low-pass filters the picture first (no aliasing).
/// Its negative lobes can overshoot near sharp edges, so the result may stray slightly
/// outside [0, 1]; it is **not** clamped (the saver clamps).
///
/// Panics if `h` or `w` is 0 (a caller's bug: sizes come from code, not from files).
pub fn resize(img: ArrayView3<f32>, h: usize, w: usize) -> Array3<f32> {
    let (h0, w0, c) = img.dim();
    assert!(
        h > 0 && w > 0 && h0 > 0 && w0 > 0,
        "resize: empty size {h0}×{w0} → {h}×{w}"
    );
    assert_eq!(c, 3, "resize: expected H×W×3, got {:?}", img.shape());
    if (h, w) == (h0, w0) {
        return img.to_owned();
    }
    let data: Vec<f32> = img.iter().copied().collect(); // logical (row-major) order
    let src: ImageBuffer<Rgb<f32>, Vec<f32>> =
        ImageBuffer::from_raw(w0 as u32, h0 as u32, data).expect("buffer length matches its size");
    let out = imageops::resize(&src, w as u32, h as u32, FilterType::Lanczos3);
    Array3::from_shape_vec((h, w, 3), out.into_raw()).expect("resize output has the requested size")
}
// ANCHOR_END: resize

// ANCHOR: resize_wrapped
/// [`resize`] for a picture that wraps around (a tileable texture), so that the result
/// still wraps: near an edge the filter reads the opposite side of the picture, where
/// [`resize`] would repeat the edge pixel and leave a seam.
///
/// Each axis is padded with `p` pixels from its opposite end, `p` the smallest multiple
/// of `h₀/gcd(h₀, h)` that covers the filter's reach (±3 pixels, more when shrinking),
/// so that the
/// padding is a whole `q = p·h/h₀` pixels of the result; the padded picture is resized
/// to `h + 2q` and the `q` rows at each end are cropped off. Pixel centres map as in
/// [`resize`], `(i + ½)·h₀/h − ½`, so the result is that of resizing the infinitely
/// repeated picture.
pub fn resize_wrapped(img: ArrayView3<f32>, h: usize, w: usize) -> Array3<f32> {
    let (h0, w0, _) = img.dim();
    if (h, w) == (h0, w0) {
        return img.to_owned();
    }
    // The padding of an axis of n₀ pixels resized to n: (p source pixels, q result pixels).
    let pad = |n0: usize, n: usize| {
        let step = n0 / gcd(n0, n);
        // The filter reads ±3 source pixels, ±3·n₀/n when shrinking.
        let support = 3 * n0.div_ceil(n) + 1;
        let p = support.div_ceil(step) * step;
        (p, p * n / n0)
    };
    let ((py, qy), (px, qx)) = (pad(h0, h), pad(w0, w));
    let wrap =
        |i: usize, p: usize, n0: usize| (i as isize - p as isize).rem_euclid(n0 as isize) as usize;
    let padded = Array3::from_shape_fn((h0 + 2 * py, w0 + 2 * px, 3), |(i, j, c)| {
        img[[wrap(i, py, h0), wrap(j, px, w0), c]]
    });
    let big = resize(padded.view(), h + 2 * qy, w + 2 * qx);
    big.slice(ndarray::s![qy..qy + h, qx..qx + w, ..])
        .to_owned()
}
// ANCHOR_END: resize_wrapped

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Resize keeping the aspect ratio so that the longest side is exactly `side` pixels
/// (the other side rounded, at least 1).
pub fn scale_to_longest(img: ArrayView3<f32>, side: usize) -> Array3<f32> {
    let (h, w, _) = img.dim();
    if h.max(w) == side {
        return img.to_owned(); // already that size: no resampling blur
    }
    let (h2, w2) = longest_side_dims(h, w, side);
    resize(img, h2, w2)
}

/// The (H, W) an `h`×`w` picture gets when scaled so its longest side is `side`.
pub fn longest_side_dims(h: usize, w: usize, side: usize) -> (usize, usize) {
    let longest = h.max(w);
    let scaled = |d: usize| ((d as f64 * side as f64 / longest as f64).round() as usize).max(1);
    (scaled(h), scaled(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The picture repeated `n`×`n` times.
    fn tiled(img: ArrayView3<f32>, n: usize) -> Array3<f32> {
        let (h, w, _) = img.dim();
        Array3::from_shape_fn((n * h, n * w, 3), |(i, j, c)| img[[i % h, j % w, c]])
    }

    #[test]
    fn a_wrapped_resize_is_the_resize_of_the_repeated_picture() {
        let mut rng = crate::math::rng::Rng::new(3);
        // Twice the size, 15/8 of it (the poster's 2048 → 3840), and two different
        // ratios, one of them a reduction.
        for (h0, w0, h, w) in [
            (24, 40, 48, 80),
            (16, 32, 30, 60),
            (30, 20, 45, 50),
            (40, 36, 24, 30),
            (60, 48, 12, 16),
        ] {
            let img: Array3<f32> = rng.uniform_array((h0, w0, 3), 0.0, 1.0);
            let got = resize_wrapped(img.view(), h, w);
            assert_eq!(got.dim(), (h, w, 3));
            // The middle copy of the picture repeated 5×5 times, resized: far enough from
            // that picture's own edges for the filter (±3 pixels, ±3·h₀/h when shrinking).
            let big = resize(tiled(img.view(), 5).view(), 5 * h, 5 * w);
            let want = big.slice(ndarray::s![2 * h..3 * h, 2 * w..3 * w, ..]);
            let err = (&got - &want).iter().fold(0f32, |m, d| m.max(d.abs()));
            assert!(err < 1e-4, "{h0}×{w0} → {h}×{w}: {err}");
            // Resizing without wrapping does not give it: the edges differ.
            let plain = resize(img.view(), h, w);
            let edge = (&plain - &want).iter().fold(0f32, |m, d| m.max(d.abs()));
            assert!(edge > 1e-2, "{h0}×{w0} → {h}×{w}: {edge}");
        }
    }
}
