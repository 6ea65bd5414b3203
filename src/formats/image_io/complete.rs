//! Is a PNG or JPEG file complete? Decoders fill what a truncated file lacks with grey
//! and say nothing (the `image` crate's JPEG decoder does), so before decoding, the
//! file's structure is walked to its end marker: a picture cut short is an error naming
//! what is missing instead of a picture whose bottom half is flat grey.

/// `Ok` when `bytes` are a PNG that reaches its `IEND` chunk or a JPEG that reaches its
/// end-of-image marker after its first scan; other formats pass (their decoders report
/// truncation themselves). The error says what is wrong, for the caller to prefix with
/// the file's name.
pub fn check_complete(bytes: &[u8]) -> Result<(), String> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg_complete(bytes)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png_complete(bytes)
    } else {
        Ok(())
    }
}

// ANCHOR: jpeg_complete
/// A JPEG is a run of marker segments (`FF xx` and a big-endian length) up to the first
/// start-of-scan (`FF DA`); entropy-coded data follows, in which a data byte `FF` is
/// always stuffed as `FF 00` and restart markers are `FF D0`…`FF D7`, so an `FF D9` after
/// the first scan can only be the end-of-image marker. (An EXIF thumbnail's own `FF D9`
/// sits inside an APP1 segment, before the scan, and is stepped over by its length.)
fn jpeg_complete(bytes: &[u8]) -> Result<(), String> {
    let truncated = "the JPEG data ends early (truncated: no end-of-image marker)";
    let mut i = 2;
    loop {
        // Markers may be padded with extra FF bytes.
        while i < bytes.len() && bytes[i] == 0xFF && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if i + 1 >= bytes.len() {
            return Err(truncated.into());
        }
        if bytes[i] != 0xFF {
            return Err(format!("the JPEG data is damaged (no marker at byte {i})"));
        }
        let marker = bytes[i + 1];
        match marker {
            0xD9 => return Err("the JPEG data ends before its first scan".into()),
            // Markers without a length: TEM and RSTn.
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let Some(len) = bytes.get(i + 2..i + 4) else {
                    return Err(truncated.into());
                };
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                if len < 2 {
                    return Err(format!(
                        "the JPEG data is damaged (segment length {len} at byte {i})"
                    ));
                }
                let end = i + 2 + len;
                if end > bytes.len() {
                    return Err(truncated.into());
                }
                if marker == 0xDA {
                    let scan = &bytes[end..];
                    return if scan.windows(2).any(|w| w == [0xFF, 0xD9]) {
                        Ok(())
                    } else {
                        Err(truncated.into())
                    };
                }
                i = end;
            }
        }
    }
}
// ANCHOR_END: jpeg_complete

/// A PNG is an 8-byte signature and chunks (length, type, data, CRC) up to `IEND`.
fn png_complete(bytes: &[u8]) -> Result<(), String> {
    let mut i = 8usize;
    loop {
        let Some(head) = bytes.get(i..i + 8) else {
            return Err("the PNG data ends early (truncated: no IEND chunk)".into());
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if &head[4..8] == b"IEND" {
            return Ok(());
        }
        i = i
            .checked_add(12)
            .and_then(|j| j.checked_add(len))
            .ok_or("the PNG data is damaged (a chunk length overflows)")?;
        if i > bytes.len() {
            return Err("the PNG data ends early (truncated inside a chunk)".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg() -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 7]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    fn png() -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 7]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn whole_files_pass_cut_files_fail() {
        for (name, bytes) in [("jpeg", jpeg()), ("png", png())] {
            assert_eq!(check_complete(&bytes), Ok(()), "{name}");
            // Trailing bytes after the end marker are allowed (some cameras add them).
            let mut more = bytes.clone();
            more.extend_from_slice(b"trailer");
            assert_eq!(check_complete(&more), Ok(()), "{name}");
            for cut in [bytes.len() / 2, bytes.len() - 12, 10] {
                let r = check_complete(&bytes[..cut]);
                assert!(r.is_err(), "{name} cut at {cut} of {} passed", bytes.len());
                let e = r.unwrap_err();
                assert!(
                    e.contains("truncated") || e.contains("ends"),
                    "{name} at {cut}: {e}"
                );
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = crate::math::rng::Rng::new(3);
        for n in 0..2000usize {
            let mut b = if n % 2 == 0 {
                vec![0xFF, 0xD8]
            } else {
                b"\x89PNG\r\n\x1a\n".to_vec()
            };
            for _ in 0..(n % 64) {
                b.push(rng.below(256) as u8);
            }
            let _ = check_complete(&b);
        }
    }
}
