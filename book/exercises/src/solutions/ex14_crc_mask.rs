//! Solution to exercise 14 (CRC masking). Try the exercise before reading this.

pub const MASK_DELTA: u32 = 0xa282_ead8;

pub fn mask(crc: u32) -> u32 {
    // A rotation keeps every bit (`crc >> 15` would drop 15 of them): the low 15 bits
    // come round to the top. The addition wraps modulo 2³².
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

pub fn unmask(masked: u32) -> u32 {
    masked.wrapping_sub(MASK_DELTA).rotate_left(15)
}
