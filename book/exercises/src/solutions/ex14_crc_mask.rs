//! Solution to exercise 14 (CRC masking). Try the exercise before reading this.

pub const MASK_DELTA: u32 = 0xa282_ead8;

pub fn mask(crc: u32) -> u32 {
    // A rotation keeps every bit (a shift would drop 15 of them); the sum wraps.
    ((crc >> 15) | (crc << 17)).wrapping_add(MASK_DELTA)
}

pub fn unmask(masked: u32) -> u32 {
    let r = masked.wrapping_sub(MASK_DELTA);
    (r << 15) | (r >> 17)
}
