//! Exercise 14: TFRecord's CRC masking.
//!
//! Book: chapter 10, "CRC-32C" (book/src/ch10-datasets.md#crc-32c).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex14`.
//! Compared with nst's `crc32c::mask` and `unmask` on edge cases and random values.

/// The constant TFRecord adds after the rotation.
pub const MASK_DELTA: u32 = 0xa282_ead8;

/// TFRecord's masked CRC: rotate right by 15 bits, then add [`MASK_DELTA`] (modulo 2³²).
pub fn mask(crc: u32) -> u32 {
    let _ = crc;
    todo!()
}

/// The inverse of [`mask`].
pub fn unmask(masked: u32) -> u32 {
    let _ = masked;
    todo!()
}
