//! Training images from a folder of pictures, and [`ImageSource`], which picks between a
//! folder and TFRecord shards so that training code need not care.

use super::stream::{decode_rgb, shuffle, ImageStream, StreamOptions};
use crate::error::{Error, Result};
use crate::math::rng::Rng;
use ndarray::Array3;
use std::path::{Path, PathBuf};

/// Does the file name end in `.png`, `.jpg` or `.jpeg` (any case)?
pub fn has_picture_extension(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg"))
}

/// Every regular file under `dir` (recursively, hidden entries skipped), sorted by path
/// so that the order does not depend on the file system.
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| {
            Error(format!(
                "cannot list {}: {}",
                d.display(),
                super::record::describe_io(&e)
            ))
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => todo.push(path),
                Ok(_) => out.push(path),
                Err(_) => {}
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Shuffled, cropped RGB images from picture files, with the same API as
/// [`ImageStream`]. The whole list is reshuffled every epoch (no buffer needed: a list
/// of paths is small).
#[derive(Debug)]
pub struct FolderStream {
    files: Vec<PathBuf>,
    order: Vec<usize>,
    next: usize,
    opts: StreamOptions,
    rng: Rng,
    epoch: usize,
    good_this_epoch: usize,
    skipped: Vec<String>,
}

impl FolderStream {
    /// The `.png`/`.jpg`/`.jpeg` files under `dir` (recursively).
    pub fn open(dir: &Path, opts: StreamOptions) -> Result<Self> {
        let files: Vec<PathBuf> = list_files(dir)?
            .into_iter()
            .filter(|p| has_picture_extension(p))
            .collect();
        if files.is_empty() {
            return Err(Error(format!(
                "no .png, .jpg or .jpeg pictures in {}",
                dir.display()
            )));
        }
        Ok(Self::from_files(files, opts))
    }

    /// A stream over the given picture files.
    pub fn from_files(files: Vec<PathBuf>, opts: StreamOptions) -> Self {
        let mut s = FolderStream {
            order: (0..files.len()).collect(),
            files,
            next: 0,
            rng: Rng::new(opts.seed),
            opts,
            epoch: 0,
            good_this_epoch: 0,
            skipped: Vec::new(),
        };
        if s.opts.shuffle {
            shuffle(&mut s.order, &mut s.rng);
        }
        s
    }

    /// The current epoch (0-based).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Look at every file before training (without decoding it: read it, sniff PNG or
    /// JPEG, read the size from the header, check that the file reaches its end marker),
    /// drop those that fail from the pool, and return one message per dropped file,
    /// `path: what is wrong`. Files damaged inside their data still fail only when
    /// decoded, and are skipped then (see [`FolderStream::skip_messages`]).
    pub fn check_files(&mut self) -> Vec<String> {
        let mut bad = Vec::new();
        self.files.retain(|p| match probe_picture(p) {
            Ok(()) => true,
            Err(e) => {
                bad.push(format!("{}: {e}", p.display()));
                false
            }
        });
        if !bad.is_empty() {
            self.order = (0..self.files.len()).collect();
            if self.opts.shuffle {
                shuffle(&mut self.order, &mut self.rng);
            }
        }
        bad
    }

    /// How many picture files the pool holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Does the pool hold no picture?
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// How many unreadable pictures were skipped (with `skip_bad`).
    pub fn skipped(&self) -> usize {
        self.skipped.len()
    }

    /// The messages of the skipped pictures, in order.
    pub fn skip_messages(&self) -> &[String] {
        &self.skipped
    }

    /// The next image (`H×W×3`, RGB in `[0, 1]`, cropped if asked), or `None` when the
    /// pictures are exhausted (never with `repeat`).
    pub fn next_image(&mut self) -> Result<Option<Array3<f32>>> {
        loop {
            if self.next == self.files.len() {
                if !self.opts.repeat {
                    return Ok(None);
                }
                if self.good_this_epoch == 0 {
                    return Err(Error(format!(
                        "none of the {} pictures could be read",
                        self.files.len()
                    )));
                }
                self.epoch += 1;
                self.next = 0;
                self.good_this_epoch = 0;
                if self.opts.shuffle {
                    shuffle(&mut self.order, &mut self.rng);
                }
            }
            let path = &self.files[self.order[self.next]];
            self.next += 1;
            let img = std::fs::read(path)
                .map_err(|e| super::record::describe_io(&e))
                .and_then(|b| decode_rgb(&b, self.opts.crop, &mut self.rng).map_err(|e| e.0));
            match img {
                Ok(img) => {
                    self.good_this_epoch += 1;
                    return Ok(Some(img));
                }
                Err(e) => {
                    let msg = format!("{}: {e}", path.display());
                    if !self.opts.skip_bad {
                        return Err(Error(msg));
                    }
                    self.skipped.push(msg);
                }
            }
        }
    }
}

/// Can `path` be a picture? Read, sniffed, sized from its header and checked for
/// completeness ([`crate::formats::image_io::check_complete`]), not decoded.
fn probe_picture(path: &Path) -> std::result::Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| super::record::describe_io(&e))?;
    match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Png | image::ImageFormat::Jpeg) => {}
        _ => return Err("not a PNG or JPEG picture".into()),
    }
    let reader = image::ImageReader::new(std::io::Cursor::new(&bytes[..]))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| format!("cannot read the picture's header ({e})"))?;
    if w == 0 || h == 0 {
        return Err(format!("the picture is empty ({w}×{h} pixels)"));
    }
    crate::formats::image_io::check_complete(&bytes)
}

/// Training pictures from either a folder or TFRecord shards.
#[derive(Debug)]
pub enum ImageSource {
    /// Picture files.
    Folder(FolderStream),
    /// TFRecord shards of `tf.train.Example`s with `image/encoded`.
    Records(ImageStream),
}

impl ImageSource {
    /// Decide from `paths` what to read:
    /// - one folder: its pictures (recursively); if it holds no pictures but holds files
    ///   whose names contain `.tfrecord`, those shards;
    /// - files that all end in `.png`/`.jpg`/`.jpeg`: those pictures;
    /// - other files: TFRecord shards.
    pub fn open(paths: &[PathBuf], opts: StreamOptions) -> Result<Self> {
        match paths {
            [] => Err(Error("no pictures or TFRecord files given".into())),
            [dir] if dir.is_dir() => {
                let files = list_files(dir)?;
                let (pictures, others): (Vec<PathBuf>, Vec<PathBuf>) =
                    files.into_iter().partition(|p| has_picture_extension(p));
                let shards: Vec<PathBuf> = others
                    .into_iter()
                    .filter(|p| p.to_string_lossy().contains(".tfrecord"))
                    .collect();
                if pictures.is_empty() && !shards.is_empty() {
                    Ok(ImageSource::Records(ImageStream::open(shards, opts)?))
                } else {
                    Ok(ImageSource::Folder(FolderStream::open(dir, opts)?))
                }
            }
            files if files.iter().all(|p| has_picture_extension(p)) => Ok(ImageSource::Folder(
                FolderStream::from_files(files.to_vec(), opts),
            )),
            files => Ok(ImageSource::Records(ImageStream::open(
                files.to_vec(),
                opts,
            )?)),
        }
    }

    /// The next image; see [`ImageStream::next_image`].
    pub fn next_image(&mut self) -> Result<Option<Array3<f32>>> {
        match self {
            ImageSource::Folder(s) => s.next_image(),
            ImageSource::Records(s) => s.next_image(),
        }
    }

    /// The current epoch (0-based).
    pub fn epoch(&self) -> usize {
        match self {
            ImageSource::Folder(s) => s.epoch(),
            ImageSource::Records(s) => s.epoch(),
        }
    }

    /// For picture files: [`FolderStream::check_files`], with the pool's size before;
    /// `None` for TFRecord shards (their records are checked as they are read).
    pub fn check_pictures(&mut self) -> Option<(usize, Vec<String>)> {
        match self {
            ImageSource::Folder(s) => {
                let before = s.len();
                Some((before, s.check_files()))
            }
            ImageSource::Records(_) => None,
        }
    }

    /// The messages of every bad record or picture skipped so far, in order.
    pub fn skip_messages(&self) -> &[String] {
        match self {
            ImageSource::Folder(s) => s.skip_messages(),
            ImageSource::Records(s) => s.skip_messages(),
        }
    }

    /// How many bad records or pictures were skipped.
    pub fn skipped(&self) -> usize {
        match self {
            ImageSource::Folder(s) => s.skipped(),
            ImageSource::Records(s) => s.skipped(),
        }
    }
}
