//! A streaming reader of training images from TFRecord shards.
//!
//! [`ImageStream`] walks several shard files record by record (never loading a whole
//! file), passes the encoded pictures through a shuffle buffer, and decodes each one
//! to an `H×W×3` RGB array in `[0, 1]`, optionally randomly cropped. The decoding and
//! cropping helpers here are shared with [`FolderStream`](super::FolderStream).

use super::example::Example;
use super::record::{RecordReader, HEADER_LEN};
use super::KEY_ENCODED;
use crate::error::{Error, Result};
use crate::math::rng::Rng;
use image::imageops::{self, FilterType};
use image::{DynamicImage, Rgb32FImage};
use ndarray::Array3;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

/// How a stream of training images is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamOptions {
    /// Random crop size `(height, width)`; `None` yields whole pictures. Pictures smaller
    /// than the crop in either dimension are first scaled up (bilinear, aspect ratio kept)
    /// until the crop fits.
    pub crop: Option<(usize, usize)>,
    /// Shuffle: the order of shards (TFRecord) or pictures (folder) is drawn afresh every
    /// epoch, and TFRecord records additionally pass through the shuffle buffer.
    pub shuffle: bool,
    /// Records held in the shuffle buffer (TFRecord only). Each output is drawn uniformly
    /// from the buffer and replaced by the next record read, as `tf.data`'s `shuffle`
    /// does; memory is about this many *encoded* pictures. 0 or 1 means no buffer.
    pub shuffle_buffer: usize,
    /// Seed for the shuffles and crop positions.
    pub seed: u64,
    /// Start over when the data runs out (`next_image` then never returns `None`).
    pub repeat: bool,
    /// Skip bad records and undecodable pictures instead of failing; they are counted in
    /// `skipped()` and their messages kept in `skip_messages()`.
    pub skip_bad: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            crop: None,
            shuffle: true,
            shuffle_buffer: 256,
            seed: 0,
            repeat: false,
            skip_bad: false,
        }
    }
}

// ANCHOR: decode_crop
/// Decode a PNG or JPEG to `H×W×3` RGB in `[0, 1]` (grey is replicated to three channels,
/// alpha is dropped, 16-bit values are scaled), then take a random `crop` if asked.
///
/// A picture smaller than the crop is first scaled up by the smallest factor that makes
/// both sides at least the crop's (bilinear filter), so that every crop is real pixels.
pub fn decode_rgb(
    bytes: &[u8],
    crop: Option<(usize, usize)>,
    rng: &mut Rng,
) -> Result<Array3<f32>> {
    crate::formats::image_io::check_complete(bytes)
        .map_err(|e| Error(format!("cannot decode the picture: {e}")))?;
    let img = image::load_from_memory(bytes)
        .map_err(|e| Error(format!("cannot decode the picture: {e}")))?;
    let rgb = to_rgb_unit(&img);
    match crop {
        None => Ok(to_array(&rgb)),
        Some((ch, cw)) => Ok(to_array(&random_crop(rgb, ch, cw, rng))),
    }
}

/// RGB in `[0, 1]`: 8-bit samples become `v / 255`, 16-bit ones `v / 65535` (each a
/// correctly rounded f32 quotient), grey is replicated, alpha dropped.
pub fn to_rgb_unit(img: &DynamicImage) -> Rgb32FImage {
    let (w, h) = (img.width(), img.height());
    let data: Vec<f32> = if img.color().bytes_per_pixel() / img.color().channel_count() > 1 {
        let rgb = img.to_rgb16();
        rgb.as_raw()
            .iter()
            .map(|&v| f32::from(v) / 65535.0)
            .collect()
    } else {
        let rgb = img.to_rgb8();
        rgb.as_raw().iter().map(|&v| f32::from(v) / 255.0).collect()
    };
    Rgb32FImage::from_raw(w, h, data).expect("RGB buffer is W*H*3")
}

/// A random `ch×cw` window of `img`, scaling it up first if it is too small.
pub fn random_crop(img: Rgb32FImage, ch: usize, cw: usize, rng: &mut Rng) -> Rgb32FImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let img = if h < ch || w < cw {
        let s = (ch as f64 / h as f64).max(cw as f64 / w as f64);
        let nh = ((h as f64 * s).ceil() as usize).max(ch);
        let nw = ((w as f64 * s).ceil() as usize).max(cw);
        imageops::resize(&img, nw as u32, nh as u32, FilterType::Triangle)
    } else {
        img
    };
    let (w, h) = (img.width() as usize, img.height() as usize);
    let y = rng.below(h - ch + 1);
    let x = rng.below(w - cw + 1);
    imageops::crop_imm(&img, x as u32, y as u32, cw as u32, ch as u32).to_image()
}
// ANCHOR_END: decode_crop

/// Copy an RGB float image into an `H×W×3` array.
pub fn to_array(img: &Rgb32FImage) -> Array3<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    Array3::from_shape_vec((h, w, 3), img.as_raw().clone()).expect("RGB buffer is H*W*3")
}

/// An encoded picture waiting in the shuffle buffer, with where it came from.
#[derive(Debug)]
struct Pending {
    record: Vec<u8>,
    /// "file: record i at byte o", for messages.
    origin: String,
    /// Absolute file offset of `record[0]`, so that decode errors name file positions.
    data_offset: u64,
}

/// Shuffled, cropped RGB images from TFRecord shards of `tf.train.Example`s holding
/// `image/encoded` (as written by `nst data pack` or TensorFlow's image tools).
///
/// ```no_run
/// # use nst::formats::tfrecord::{ImageStream, StreamOptions};
/// let opts = StreamOptions { crop: Some((256, 256)), repeat: true, ..Default::default() };
/// let mut s = ImageStream::open(vec!["images-00000-of-00002.tfrecord".into(),
///                                    "images-00001-of-00002.tfrecord".into()], opts)?;
/// let img = s.next_image()?.expect("repeat never ends"); // 256×256×3, values in [0, 1]
/// # Ok::<(), nst::Error>(())
/// ```
#[derive(Debug)]
pub struct ImageStream {
    shards: Vec<PathBuf>,
    order: Vec<usize>,
    next_shard: usize,
    reader: Option<RecordReader<BufReader<File>>>,
    buffer: Vec<Pending>,
    opts: StreamOptions,
    rng: Rng,
    epoch: usize,
    pulled_this_epoch: u64,
    per_epoch: Option<u64>,
    skipped: Vec<String>,
}

impl ImageStream {
    /// A stream over `shards` (read lazily; each is opened when reached). Fails if the
    /// list is empty or a file cannot be opened.
    pub fn open(shards: Vec<PathBuf>, opts: StreamOptions) -> Result<Self> {
        if shards.is_empty() {
            return Err(Error("no TFRecord files given".into()));
        }
        for p in &shards {
            File::open(p).map_err(|e| {
                Error(format!(
                    "cannot open {}: {}",
                    p.display(),
                    super::record::describe_io(&e)
                ))
            })?;
        }
        let mut s = ImageStream {
            order: (0..shards.len()).collect(),
            shards,
            next_shard: 0,
            reader: None,
            buffer: Vec::new(),
            rng: Rng::new(opts.seed),
            opts,
            epoch: 0,
            pulled_this_epoch: 0,
            per_epoch: None,
            skipped: Vec::new(),
        };
        s.shuffle_order();
        Ok(s)
    }

    /// The epoch the next record comes from (0-based; with a shuffle buffer, the first
    /// few images of an epoch may still come from the previous one).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// How many bad records or undecodable pictures were skipped (with `skip_bad`).
    pub fn skipped(&self) -> usize {
        self.skipped.len()
    }

    /// The messages of the skipped records, in order.
    pub fn skip_messages(&self) -> &[String] {
        &self.skipped
    }

    fn shuffle_order(&mut self) {
        if self.opts.shuffle {
            shuffle(&mut self.order, &mut self.rng);
        }
    }

    /// The next record's bytes, crossing shard and (with `repeat`) epoch boundaries.
    fn pull(&mut self) -> Result<Option<Pending>> {
        loop {
            let Some(reader) = self.reader.as_mut() else {
                if self.next_shard == self.order.len() {
                    if !self.opts.repeat {
                        return Ok(None);
                    }
                    if self.pulled_this_epoch == 0 {
                        return Err(Error(format!(
                            "no usable records in {} TFRecord file(s)",
                            self.shards.len()
                        )));
                    }
                    self.per_epoch.get_or_insert(self.pulled_this_epoch);
                    self.epoch += 1;
                    self.pulled_this_epoch = 0;
                    self.next_shard = 0;
                    self.shuffle_order();
                }
                let path = &self.shards[self.order[self.next_shard]];
                self.next_shard += 1;
                self.reader = Some(RecordReader::open(path)?.skip_bad(self.opts.skip_bad));
                continue;
            };
            match reader.next_record() {
                Ok(Some(rec)) => {
                    self.pulled_this_epoch += 1;
                    return Ok(Some(Pending {
                        origin: format!(
                            "{}: record {} at byte {}",
                            reader.name(),
                            rec.index,
                            rec.offset
                        ),
                        data_offset: rec.offset + HEADER_LEN,
                        record: rec.data,
                    }));
                }
                Ok(None) => self.reader = None,
                Err(e) if self.opts.skip_bad => self.skipped.push(e.0),
                Err(e) => return Err(e),
            }
        }
    }

    // ANCHOR: shuffle_buffer
    /// The next encoded record, through the shuffle buffer.
    fn next_pending(&mut self) -> Result<Option<Pending>> {
        let cap = self.opts.shuffle_buffer;
        if !self.opts.shuffle || cap <= 1 {
            return self.pull();
        }
        while self.buffer.len() < cap {
            match self.pull()? {
                Some(p) => self.buffer.push(p),
                None => break,
            }
        }
        if self.buffer.is_empty() {
            return Ok(None);
        }
        let i = self.rng.below(self.buffer.len());
        Ok(Some(self.buffer.swap_remove(i)))
    }
    // ANCHOR_END: shuffle_buffer

    /// Decode one record's `image/encoded`; errors name the file, record and offset.
    fn decode(&mut self, p: &Pending) -> Result<Array3<f32>> {
        let ex = Example::decode_at(&p.record, p.data_offset as usize)
            .map_err(|e| Error(format!("{}: {e}", p.origin)))?;
        let bytes = ex
            .single_bytes(KEY_ENCODED)
            .map_err(|e| Error(format!("{}: {e}", p.origin)))?;
        decode_rgb(bytes, self.opts.crop, &mut self.rng)
            .map_err(|e| Error(format!("{}: {KEY_ENCODED}: {e}", p.origin)))
    }

    // ANCHOR: next_image
    /// The next image (`H×W×3`, RGB in `[0, 1]`, cropped if asked), or `None` when the
    /// data is exhausted (never with `repeat`).
    pub fn next_image(&mut self) -> Result<Option<Array3<f32>>> {
        let mut bad_in_a_row = 0u64;
        loop {
            let Some(p) = self.next_pending()? else {
                return Ok(None);
            };
            match self.decode(&p) {
                Ok(img) => return Ok(Some(img)),
                Err(e) if self.opts.skip_bad => {
                    self.skipped.push(e.0);
                    bad_in_a_row += 1;
                    // With `repeat`, a dataset with no decodable picture would loop forever.
                    if let Some(n) = self.per_epoch {
                        if bad_in_a_row > 2 * n + self.opts.shuffle_buffer as u64 {
                            return Err(Error(format!(
                                "no decodable picture in {} TFRecord file(s) (last error: {})",
                                self.shards.len(),
                                self.skipped.last().map_or("", String::as_str)
                            )));
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
    // ANCHOR_END: next_image
}

/// Fisher–Yates shuffle.
pub(crate) fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
}
