//! CRC-32C (Castagnoli), the checksum that guards every TFRecord, written out by hand.
//!
//! A CRC treats the message as a polynomial over GF(2) and keeps the remainder of its
//! division by a fixed generator polynomial. CRC-32C uses Castagnoli's generator
//! `0x1EDC6F41`, which detects more error patterns at typical message lengths than the
//! zlib CRC-32 (`0x04C11DB7`). Like zlib's CRC it is *reflected* (bits are processed
//! least-significant first, so the generator is written bit-reversed as `0x82F63B78`),
//! starts from all ones and is complemented at the end.
//!
//! Three implementations live here, each checked against the one before it:
//! [`crc32c_bitwise`] (one bit at a time — the definition), a byte-at-a-time table
//! (the classic Sarwate algorithm), and *slicing-by-8* (eight tables, eight bytes per
//! step), which [`crc32c`] uses. On top sits TFRecord's [`mask`].

/// The reflected Castagnoli generator polynomial.
pub const POLY: u32 = 0x82F6_3B78;

// ANCHOR: crc_core
/// The definition, one bit at a time: shift the remainder right; whenever a 1 falls
/// off the low end, subtract (XOR) the generator. Slow; kept as the reference.
pub fn crc32c_bitwise(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (POLY & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// `TABLES[0][b]` is the effect of one byte `b` on the remainder (eight bitwise steps
/// done ahead of time); `TABLES[k][b]` is the effect of `b` followed by `k` zero bytes.
/// Built at compile time.
static TABLES: [[u32; 256]; 8] = make_tables();

const fn make_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut crc = b as u32;
        let mut i = 0;
        while i < 8 {
            crc = (crc >> 1) ^ (POLY & (crc & 1).wrapping_neg());
            i += 1;
        }
        t[0][b] = crc;
        b += 1;
    }
    // Appending a zero byte to a remainder r gives (r >> 8) ^ T0[r & 0xff].
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

/// Advance a running (non-complemented) remainder over `data`, one byte per table look-up.
fn update_bytewise(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        crc = (crc >> 8) ^ TABLES[0][((crc ^ u32::from(byte)) & 0xff) as usize];
    }
    crc
}

/// Advance a running remainder over `data`, eight bytes per step: the first four bytes
/// (XORed with the remainder) and the next four are looked up independently in tables
/// that account for how many bytes follow each one, and the eight results XORed.
fn update_slice8(mut crc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        crc = TABLES[7][(lo & 0xff) as usize]
            ^ TABLES[6][((lo >> 8) & 0xff) as usize]
            ^ TABLES[5][((lo >> 16) & 0xff) as usize]
            ^ TABLES[4][(lo >> 24) as usize]
            ^ TABLES[3][(hi & 0xff) as usize]
            ^ TABLES[2][((hi >> 8) & 0xff) as usize]
            ^ TABLES[1][((hi >> 16) & 0xff) as usize]
            ^ TABLES[0][(hi >> 24) as usize];
    }
    update_bytewise(crc, chunks.remainder())
}

/// CRC-32C of `data` (slicing-by-8).
pub fn crc32c(data: &[u8]) -> u32 {
    !update_slice8(!0, data)
}
// ANCHOR_END: crc_core

/// CRC-32C of `data`, one table look-up per byte (kept to test slicing-by-8 against).
pub fn crc32c_bytewise(data: &[u8]) -> u32 {
    !update_bytewise(!0, data)
}

/// A CRC-32C computed over data that arrives in pieces:
/// `Crc32c::new().update(a).update(b).finish() == crc32c(a ++ b)`.
#[derive(Debug, Clone, Copy)]
pub struct Crc32c(u32);

impl Default for Crc32c {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32c {
    /// The state before any data.
    pub fn new() -> Self {
        Crc32c(!0)
    }

    /// Feed more data.
    pub fn update(mut self, data: &[u8]) -> Self {
        self.0 = update_slice8(self.0, data);
        self
    }

    /// The checksum of everything fed so far.
    pub fn finish(self) -> u32 {
        !self.0
    }
}

// ANCHOR: mask
/// The constant TFRecord adds when masking.
pub const MASK_DELTA: u32 = 0xa282_ead8;

/// TFRecord stores *masked* CRCs: rotate right by 15 bits, then add a constant
/// (wrapping). Computing the CRC of data that itself contains CRCs (a TFRecord file
/// inside a record, say) is degenerate — the CRC of "data followed by its CRC" is a
/// constant — and the mask breaks that structure.
pub fn mask(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Inverse of [`mask`].
pub fn unmask(masked: u32) -> u32 {
    masked.wrapping_sub(MASK_DELTA).rotate_left(15)
}

/// The masked CRC-32C of `data`, as written in TFRecord headers and footers.
pub fn masked_crc32c(data: &[u8]) -> u32 {
    mask(crc32c(data))
}
// ANCHOR_END: mask

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Published check values: the CRC catalogue's "123456789", and the iSCSI test
    /// vectors of RFC 3720 appendix B.4.
    fn vectors() -> Vec<(Vec<u8>, u32)> {
        let ascending: Vec<u8> = (0..32).collect();
        let descending: Vec<u8> = (0..32).rev().collect();
        vec![
            (b"123456789".to_vec(), 0xE306_9283),
            (vec![0u8; 32], 0x8A91_36AA),
            (vec![0xffu8; 32], 0x62A8_AB43),
            (ascending, 0x46DD_794E),
            (descending, 0x113F_DB5C),
            (Vec::new(), 0),
        ]
    }

    #[test]
    fn published_test_vectors() {
        for (data, want) in vectors() {
            assert_eq!(crc32c_bitwise(&data), want, "bitwise {data:?}");
            assert_eq!(crc32c_bytewise(&data), want, "bytewise {data:?}");
            assert_eq!(crc32c(&data), want, "slice8 {data:?}");
        }
    }

    #[test]
    fn rfc3720_iscsi_read_command_pdu() {
        // RFC 3720 B.4, the 48-byte "iSCSI - Read (10) Command PDU".
        let pdu: [u8; 48] = [
            0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
            0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, //
            0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, //
            0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        ];
        assert_eq!(crc32c(&pdu), 0xD9963A56);
    }

    #[test]
    fn mask_matches_the_formula_and_inverts() {
        for crc in [0u32, 1, 0xE306_9283, u32::MAX, 0x8000_0000] {
            // Spelled as in TensorFlow's crc32c.h on purpose.
            #[allow(clippy::manual_rotate)]
            let by_formula = ((crc >> 15) | (crc << 17)).wrapping_add(0xa282_ead8);
            assert_eq!(mask(crc), by_formula);
            assert_eq!(unmask(mask(crc)), crc);
        }
    }

    proptest! {
        #[test]
        fn fast_paths_equal_the_definition(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let want = crc32c_bitwise(&data);
            prop_assert_eq!(crc32c_bytewise(&data), want);
            prop_assert_eq!(crc32c(&data), want);
        }

        #[test]
        fn incremental_equals_one_shot(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            cut in 0usize..300,
        ) {
            let cut = cut.min(data.len());
            let (a, b) = data.split_at(cut);
            prop_assert_eq!(Crc32c::new().update(a).update(b).finish(), crc32c(&data));
        }
    }
}
