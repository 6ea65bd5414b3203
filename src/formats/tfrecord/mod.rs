//! Image datasets in TensorFlow's TFRecord files, read and written without TensorFlow.
//!
//! A TFRecord file is a plain sequence of length-prefixed, CRC-32C-checked records
//! ([`record`]); in image datasets each record holds a serialized `tf.train.Example`
//! protobuf ([`example`]) with the picture's encoded bytes and a few numbers about it.
//!
//! - [`pack`] turns a folder of PNG/JPEG pictures into (sharded) TFRecord files — the
//!   library side of `nst data pack`;
//! - [`inspect`] summarises a file and reports damage — `nst data inspect`;
//! - [`stream`] and [`folder`] feed training: shuffled, randomly cropped RGB images from
//!   TFRecord shards ([`ImageStream`]) or a folder of pictures ([`FolderStream`]), both
//!   behind [`ImageSource`].
//!
//! The feature names follow the convention of TensorFlow's own image datasets:
//! `image/encoded`, `image/format`, `image/height`, `image/width`, `image/channels`,
//! `image/filename`.

pub mod example;
pub mod folder;
pub mod inspect;
pub mod pack;
pub mod record;
pub mod stream;

pub use example::{Example, Feature};
pub use folder::{FolderStream, ImageSource};
pub use record::{Record, RecordReader, RecordWriter};
pub use stream::{ImageStream, StreamOptions};

/// Feature key: the encoded picture (PNG or JPEG bytes).
pub const KEY_ENCODED: &str = "image/encoded";
/// Feature key: `"png"` or `"jpeg"`.
pub const KEY_FORMAT: &str = "image/format";
/// Feature key: height in pixels of the encoded picture.
pub const KEY_HEIGHT: &str = "image/height";
/// Feature key: width in pixels of the encoded picture.
pub const KEY_WIDTH: &str = "image/width";
/// Feature key: colour channels of the decoded picture (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
pub const KEY_CHANNELS: &str = "image/channels";
/// Feature key: the picture's path relative to the packed folder, `/`-separated.
pub const KEY_FILENAME: &str = "image/filename";
