//! Saving pictures: PNG, JPEG or `.npy`, chosen by extension, written atomically.

use crate::error::{Error, Result};
use crate::formats::files::write_atomic;
use crate::formats::npy::encode_f32;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use ndarray::{Array3, ArrayView3};
use std::path::Path;

/// JPEG quality used when saving (out of 100).
const JPEG_QUALITY: u8 = 95;

/// The extensions [`save_rgb`] writes.
const EXTENSIONS: &str = ".png, .jpg, .jpeg or .npy";

/// The lower-case extension of `path` if [`save_rgb`] can write it, else an error naming
/// the path.
fn picture_extension(path: &Path) -> Result<String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "npy" => Ok(ext),
        "" => Err(Error(format!(
            "cannot save {}: no extension to choose the format by (use {EXTENSIONS})",
            path.display()
        ))),
        _ => Err(Error(format!(
            "cannot save {}: unknown extension `.{ext}` (use {EXTENSIONS})",
            path.display()
        ))),
    }
}

/// Check, before any work, that a picture can be saved at `path`: an extension
/// [`save_rgb`] knows, an existing folder, and permission to write there.
pub fn check_output(path: &Path) -> Result<()> {
    picture_extension(path)?;
    crate::formats::files::check_writable(path)
}

// ANCHOR: save_rgb
/// Save an `H×W×3` RGB picture, clamped to [0, 1] (NaN becomes 0).
///
/// The format follows the extension: `.png` (8-bit), `.jpg`/`.jpeg` (quality 95) or `.npy`
/// (float32, unquantised — for fixtures and notebooks). The file is written to a temporary
/// name in the same folder and renamed, so a crash never leaves half a picture.
pub fn save_rgb(path: &Path, img: ArrayView3<f32>) -> Result<()> {
    let p = path.display();
    let (h, w, c) = img.dim();
    if h == 0 || w == 0 || c != 3 {
        return Err(Error(format!(
            "cannot save {p}: picture has shape {h}×{w}×{c}, expected H×W×3 with H, W ≥ 1"
        )));
    }
    let clamped: Array3<f32> = img.mapv(|v| if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) });
    let ext = picture_extension(path)?;
    let bytes = match ext.as_str() {
        "npy" => encode_f32(&clamped.view().into_dyn()),
        _ => encode_8bit(&clamped, &ext).map_err(|e| Error(format!("cannot save {p}: {e}")))?,
    };
    write_atomic(path, &bytes)
}
// ANCHOR_END: save_rgb

/// Encode an `H×W×3` RGB picture as 8-bit PNG bytes in memory, clamped to [0, 1] (NaN
/// becomes 0) as [`save_rgb`] does — for showing pictures without a file (notebooks).
pub fn png_bytes(img: ArrayView3<f32>) -> Result<Vec<u8>> {
    let (h, w, c) = img.dim();
    if h == 0 || w == 0 || c != 3 {
        return Err(Error(format!(
            "cannot encode a picture of shape {h}×{w}×{c} as PNG: expected H×W×3 with H, W ≥ 1"
        )));
    }
    let clamped: Array3<f32> = img.mapv(|v| if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) });
    encode_8bit(&clamped, "png").map_err(|e| Error(format!("cannot encode PNG: {e}")))
}

/// Quantise to 8 bits (round to nearest) and encode as PNG or JPEG.
fn encode_8bit(img: &Array3<f32>, ext: &str) -> image::ImageResult<Vec<u8>> {
    let (h, w, _) = img.dim();
    let raw: Vec<u8> = img.iter().map(|&v| (v * 255.0).round() as u8).collect();
    let mut out = Vec::new();
    if ext == "png" {
        PngEncoder::new(&mut out).write_image(&raw, w as u32, h as u32, ExtendedColorType::Rgb8)?;
    } else {
        JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
            &raw,
            w as u32,
            h as u32,
            ExtendedColorType::Rgb8,
        )?;
    }
    Ok(out)
}
