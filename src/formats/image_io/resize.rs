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
