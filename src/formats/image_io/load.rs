//! Loading pictures: PNG, JPEG and `.npy`.

use super::resize::{longest_side_dims, scale_to_longest};
use crate::error::{Error, Result};
use crate::formats::files::describe_io;
use crate::formats::npy::{read_f32, shape_str};
use image::{ImageError, ImageReader, Limits};
use ndarray::{Array3, Ix3};
use std::io::Cursor;
use std::path::Path;

/// The default pixel limit: 40 megapixels (an `H×W×3` f32 copy is then 480 MB).
pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;

/// How to load a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// If set, resize the picture (keeping its aspect ratio) so that its longest side is
    /// exactly this many pixels — shrinking or enlarging, as with `--size` in most style
    /// transfer programs. `None` (or 0) keeps the file's size.
    pub max_side: Option<u32>,
    /// Refuse pictures with more pixels than this, checked from the header before decoding.
    pub max_pixels: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_side: None,
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

// ANCHOR: load_rgb
/// Load a picture as `H×W×3` RGB in [0, 1].
///
/// * PNG and JPEG: 8- or 16-bit, gray, gray+alpha, RGB or RGBA. Gray is copied to all three
///   channels; **alpha is dropped** (not composited: transparent pixels keep whatever colour
///   they store). 16-bit values are divided by 65535, 8-bit by 255.
/// * `.npy`: a float32 array of shape `H×W×3` with every value in [0, 1] (NaN refused).
///
/// The dimensions are read before decoding, so an oversized picture is refused without
/// allocating for it.
pub fn load_rgb(path: &Path, opts: &LoadOptions) -> Result<Array3<f32>> {
    let p = path.display();
    if path.is_dir() {
        return Err(Error(format!(
            "cannot read {p}: it is a folder, not a picture"
        )));
    }
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    let img = if is_npy {
        load_npy(path, opts)?
    } else {
        load_picture(path, opts)?
    };
    Ok(match opts.max_side {
        Some(side) if side > 0 => {
            // The limit holds for the scaled picture too, checked before scaling.
            let (h, w, _) = img.dim();
            let (h2, w2) = longest_side_dims(h, w, side as usize);
            if (h2 * w2) as u64 > opts.max_pixels {
                return Err(Error(format!(
                    "{p}: scaled to a longest side of {side} it would be {w2}×{h2} = {} pixels, over the limit of {} pixels (raise it with --max-pixels)",
                    h2 * w2,
                    opts.max_pixels
                )));
            }
            // Memory too: a limit raised with --max-pixels must not become an abort.
            // The scaled copy and the resampling's intermediate, in f32. Only the refusal
            // is used: the library prints nothing, and a note that these 24 bytes per
            // pixel may swap would say little next to the run that follows.
            let bytes = (h2 as u64)
                .saturating_mul(w2 as u64)
                .saturating_mul(3 * 4 * 2);
            let what = format!("{p}: scaling to {w2}×{h2}");
            crate::tools::memory::check_fits(
                bytes,
                &what,
                "use a smaller --size",
                crate::tools::memory::machine_memory(),
            )?;
            scale_to_longest(img.view(), side as usize)
        }
        _ => img,
    })
}
// ANCHOR_END: load_rgb

/// The one-line refusal for pictures over the pixel limit.
fn check_size(path: &Path, w: u64, h: u64, opts: &LoadOptions) -> Result<()> {
    if w == 0 || h == 0 {
        return Err(Error(format!(
            "{}: the picture is empty ({w}×{h} pixels)",
            path.display()
        )));
    }
    if w * h > opts.max_pixels {
        return Err(Error(format!(
            "{}: {w}×{h} = {} pixels exceeds the limit of {} pixels (raise it with --max-pixels)",
            path.display(),
            w * h,
            opts.max_pixels
        )));
    }
    Ok(())
}

fn decode_error(path: &Path, e: ImageError) -> Error {
    let p = path.display();
    match e {
        ImageError::Unsupported(_) => Error(format!(
            "{p}: not a picture in a supported format (PNG, JPEG, or .npy H×W×3 float32)"
        )),
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => Error(
            format!("{p}: cannot decode: the file ends early (truncated or damaged)"),
        ),
        ImageError::Limits(_) => Error(format!("{p}: too large to decode within the memory limit")),
        e => {
            // Decoder messages can span lines; the crate's errors are one line.
            let msg = e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            Error(format!(
                "{p}: cannot decode ({msg}); the file is damaged, truncated or not a picture"
            ))
        }
    }
}

fn load_picture(path: &Path, opts: &LoadOptions) -> Result<Array3<f32>> {
    let p = path.display();
    // The whole file is read first: its size is real (unlike sizes claimed in headers), and
    // it lets us read the header and then decode without opening the file twice.
    let bytes =
        std::fs::read(path).map_err(|e| Error(format!("cannot read {p}: {}", describe_io(&e))))?;
    decode_picture(&bytes, path, opts)
}

/// Decode a PNG or JPEG file's bytes as `H×W×3` RGB in [0, 1], as [`load_rgb`] does
/// (header first and the pixel limit, then completeness, then the pixels); `path` names
/// it in messages. `opts.max_side` is not applied here.
pub fn decode_picture(bytes: &[u8], path: &Path, opts: &LoadOptions) -> Result<Array3<f32>> {
    let p = path.display();
    let reader = || -> Result<ImageReader<Cursor<&[u8]>>> {
        let r = ImageReader::new(Cursor::new(bytes));
        let mut r = r
            .with_guessed_format()
            .map_err(|e| Error(format!("cannot read {p}: {}", describe_io(&e))))?;
        if r.format().is_none() {
            return Err(decode_error(
                path,
                ImageError::Unsupported(image::error::ImageFormatHint::Unknown.into()),
            ));
        }
        let mut limits = Limits::default();
        // Room for the decoder's own buffer at 16-bit RGBA (8 bytes per pixel).
        limits.max_alloc = Some(opts.max_pixels.saturating_mul(8).max(512 << 20));
        r.limits(limits);
        Ok(r)
    };
    let (w, h) = reader()?
        .into_dimensions()
        .map_err(|e| decode_error(path, e))?;
    check_size(path, u64::from(w), u64::from(h), opts)?;
    super::check_complete(bytes).map_err(|e| Error(format!("{p}: {e}")))?;
    let img = reader()?.decode().map_err(|e| decode_error(path, e))?;
    let rgb = img.into_rgb32f();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    Array3::from_shape_vec((h, w, 3), rgb.into_raw()).map_err(|e| Error(format!("{p}: {e}")))
}

fn load_npy(path: &Path, opts: &LoadOptions) -> Result<Array3<f32>> {
    let p = path.display();
    let a = read_f32(path)?;
    if a.ndim() != 3 || a.shape()[2] != 3 {
        return Err(Error(format!(
            "{p}: shape is {}, expected H×W×3 (RGB)",
            shape_str(a.shape())
        )));
    }
    check_size(path, a.shape()[1] as u64, a.shape()[0] as u64, opts)?;
    if a.iter().any(|v| !v.is_finite()) {
        return Err(Error(format!("{p}: contains NaN or infinite values")));
    }
    let (lo, hi) = a
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    if lo < 0.0 || hi > 1.0 {
        return Err(Error(format!(
            "{p}: values must lie in [0, 1], found {lo} … {hi}"
        )));
    }
    a.into_dimensionality::<Ix3>()
        .map_err(|e| Error(format!("{p}: {e}")))
}
