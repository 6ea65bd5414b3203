//! What the program reads and writes (book chapters 1 and 10): pictures, `.npy` arrays,
//! the protobuf wire format, TFRecord files with their CRC-32C, and atomic file writes.
//! Everything here parses data from outside the program and is fuzzed
//! (`docs/fuzzing.md`).

pub mod crc32c;
pub mod files;
pub mod image_io;
pub mod npy;
pub mod protobuf;
pub mod tfrecord;
