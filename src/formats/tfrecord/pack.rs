//! Packing a folder of pictures into TFRecord shards (`nst data pack`).
//!
//! One `tf.train.Example` per picture, with the file's own bytes in `image/encoded`
//! (unless `max_side` shrinks it: then the smaller picture is re-encoded in the same
//! format — PNG stays PNG (lossless), JPEG is re-encoded as JPEG at quality 90).
//! Pictures are decoded in parallel, in chunks, and written in sorted path order;
//! picture *k* (counting only those packed) goes to shard *k* mod *N*, so shards differ
//! in size by at most one record.

use super::example::{Example, Feature};
use super::folder::list_files;
use super::record::{describe_io, RecordWriter};
use super::{KEY_CHANNELS, KEY_ENCODED, KEY_FILENAME, KEY_FORMAT, KEY_HEIGHT, KEY_WIDTH};
use crate::error::{Error, Result};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat};
use rayon::prelude::*;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// JPEG quality used when a downsized JPEG is re-encoded.
pub const JPEG_QUALITY: u8 = 90;

/// What `pack_dir` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackOptions {
    /// Number of output files (≥ 1).
    pub shards: usize,
    /// Shrink pictures whose longer side exceeds this (aspect ratio kept, Lanczos-3).
    pub max_side: Option<u32>,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            shards: 1,
            max_side: None,
        }
    }
}

/// A file that was not packed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Where it was written.
    pub path: PathBuf,
    /// Records in it.
    pub records: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// What `pack_dir` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackSummary {
    /// Files found under the folder.
    pub files: usize,
    /// The shards written.
    pub shards: Vec<Shard>,
    /// Pictures downsized and re-encoded as PNG.
    pub reencoded_png: usize,
    /// Pictures downsized and re-encoded as JPEG.
    pub reencoded_jpeg: usize,
    /// Files not packed.
    pub skipped: Vec<Skipped>,
}

impl PackSummary {
    /// Pictures packed.
    pub fn packed(&self) -> u64 {
        self.shards.iter().map(|s| s.records).sum()
    }
}

/// The output file names: `out` itself for one shard, else `stem-00000-of-00004.ext`.
pub fn shard_paths(out: &Path, shards: usize) -> Vec<PathBuf> {
    if shards <= 1 {
        return vec![out.to_path_buf()];
    }
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = out
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (0..shards)
        .map(|i| out.with_file_name(format!("{stem}-{i:05}-of-{shards:05}{ext}")))
        .collect()
}

/// A picture ready to be written.
struct Prepared {
    example: Vec<u8>,
    reencoded: Option<ImageFormat>,
}

// ANCHOR: image_example
/// The Example for one picture file: sniff the format from the bytes, decode (to check
/// the file and learn its size and channels), shrink and re-encode if `max_side` asks.
/// Returns the Example and, if it was re-encoded, the format used.
pub fn image_example(
    bytes: Vec<u8>,
    filename: &str,
    max_side: Option<u32>,
) -> std::result::Result<(Example, Option<ImageFormat>), String> {
    let format = match image::guess_format(&bytes) {
        Ok(f @ (ImageFormat::Png | ImageFormat::Jpeg)) => f,
        Ok(f) => {
            return Err(format!(
                "{f:?} pictures are not supported (PNG or JPEG only)"
            ))
        }
        Err(_) => return Err("not a PNG or JPEG picture".into()),
    };
    let name = if format == ImageFormat::Png {
        "png"
    } else {
        "jpeg"
    };
    crate::formats::image_io::check_complete(&bytes)?;
    let img = image::load_from_memory_with_format(&bytes, format)
        .map_err(|e| format!("cannot decode {}: {e}", name.to_uppercase()))?;
    let (img, bytes, reencoded) = match max_side {
        Some(m) if img.width().max(img.height()) > m => {
            let small = img.resize(m, m, FilterType::Lanczos3);
            let out = encode(&small, format)?;
            (small, out, Some(format))
        }
        _ => (img, bytes, None),
    };
    let ex = Example::new()
        .with(KEY_ENCODED, Feature::Bytes(vec![bytes]))
        .with(KEY_FORMAT, Feature::Bytes(vec![name.as_bytes().to_vec()]))
        .with(KEY_HEIGHT, Feature::Int64(vec![i64::from(img.height())]))
        .with(KEY_WIDTH, Feature::Int64(vec![i64::from(img.width())]))
        .with(
            KEY_CHANNELS,
            Feature::Int64(vec![i64::from(img.color().channel_count())]),
        )
        .with(
            KEY_FILENAME,
            Feature::Bytes(vec![filename.as_bytes().to_vec()]),
        );
    Ok((ex, reencoded))
}
// ANCHOR_END: image_example

/// Encode a picture as PNG, or as JPEG (grey or RGB: alpha and 16-bit depth are
/// dropped, which JPEG cannot hold).
fn encode(img: &DynamicImage, format: ImageFormat) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let result = if format == ImageFormat::Png {
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
    } else {
        let img = if img.color().has_color() {
            DynamicImage::ImageRgb8(img.to_rgb8())
        } else {
            DynamicImage::ImageLuma8(img.to_luma8())
        };
        img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
    };
    result.map_err(|e| format!("cannot re-encode the downsized picture: {e}"))?;
    Ok(out)
}

/// The `/`-separated path of `file` relative to `dir`.
fn relative_name(dir: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(dir).unwrap_or(file);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Pack every PNG/JPEG under `dir` (recursively, sorted, hidden files ignored) into
/// `out` (or its shards; see [`shard_paths`]). `progress(done, total)` is called as
/// pictures are processed. Files are written under temporary names and renamed into
/// place only once every shard is complete. Fails if nothing could be packed.
pub fn pack_dir(
    dir: &Path,
    out: &Path,
    opts: &PackOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<PackSummary> {
    if opts.shards == 0 {
        return Err(Error("--shards must be at least 1".into()));
    }
    if matches!(opts.max_side, Some(0)) {
        return Err(Error("--max-side must be at least 1".into()));
    }
    if !dir.is_dir() {
        return Err(Error(format!("{} is not a folder", dir.display())));
    }
    if out.is_dir() {
        return Err(Error(format!(
            "{} is a folder, not a file name",
            out.display()
        )));
    }
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() && !p.is_dir() => {
            return Err(Error(format!(
                "output folder {} does not exist",
                p.display()
            )))
        }
        _ => {}
    }
    let files = list_files(dir)?;
    let mut writers: Vec<RecordWriter> = shard_paths(out, opts.shards)
        .iter()
        .map(|p| RecordWriter::create(p))
        .collect::<Result<_>>()?;
    let mut summary = PackSummary {
        files: files.len(),
        ..Default::default()
    };
    let mut packed = 0usize;
    progress(0, files.len());
    // Decode in parallel a chunk at a time (bounded memory), write in order.
    let chunk = 4 * rayon::current_num_threads().max(1);
    for (c, paths) in files.chunks(chunk).enumerate() {
        let prepared: Vec<std::result::Result<Prepared, String>> = paths
            .par_iter()
            .map(|p| prepare(dir, p, opts.max_side))
            .collect();
        for (path, result) in paths.iter().zip(prepared) {
            match result {
                Ok(p) => {
                    writers[packed % opts.shards].write(&p.example)?;
                    packed += 1;
                    match p.reencoded {
                        Some(ImageFormat::Png) => summary.reencoded_png += 1,
                        Some(_) => summary.reencoded_jpeg += 1,
                        None => {}
                    }
                }
                Err(reason) => summary.skipped.push(Skipped {
                    path: path.clone(),
                    reason,
                }),
            }
        }
        progress((c * chunk + paths.len()).min(files.len()), files.len());
    }
    if packed == 0 {
        return Err(Error(format!(
            "no picture under {} could be packed ({} file(s) looked at{})",
            dir.display(),
            files.len(),
            summary
                .skipped
                .first()
                .map(|s| format!("; {}: {}", s.path.display(), s.reason))
                .unwrap_or_default()
        )));
    }
    for w in writers {
        let (records, bytes) = (w.records(), w.bytes());
        let path = w.finish()?;
        summary.shards.push(Shard {
            path,
            records,
            bytes,
        });
    }
    Ok(summary)
}

fn prepare(
    dir: &Path,
    path: &Path,
    max_side: Option<u32>,
) -> std::result::Result<Prepared, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {}", describe_io(&e)))?;
    let (ex, reencoded) = image_example(bytes, &relative_name(dir, path), max_side)?;
    Ok(Prepared {
        example: ex.encode(),
        reencoded,
    })
}
