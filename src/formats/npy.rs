//! `.npy` files of `float32`: weights, fixtures, and pictures saved from numpy.
//!
//! Reading uses npyz for the header and checks everything a file from elsewhere can get
//! wrong — dtype, shape, truncation — before any data is trusted. Writing is done by hand
//! so that the bytes are exactly what `numpy.save` writes for the same array (format 1.0,
//! header padded to 64 bytes): the weight manifests record sha256 sums of these files, so
//! the encoding must never drift.

use crate::error::{Error, Result};
use crate::formats::files::{describe_io, write_atomic};
use ndarray::{ArrayD, ArrayViewD, IxDyn, ShapeBuilder};
use std::path::Path;

/// A shape as written in messages and manifests: `64x3x3x3` (`scalar` for 0-d).
pub fn shape_str(shape: &[usize]) -> String {
    if shape.is_empty() {
        return "scalar".into();
    }
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x")
}

/// A human name for a numpy dtype string (`<f8` → `float64 (<f8)`).
fn dtype_name(descr: &str) -> String {
    let kind = match descr.get(1..) {
        Some("f4") => "float32",
        Some("f8") => "float64",
        Some("f2") => "float16",
        Some("i1") => "int8",
        Some("i2") => "int16",
        Some("i4") => "int32",
        Some("i8") => "int64",
        Some("u1") => "uint8",
        Some("u2") => "uint16",
        Some("b1") => "bool",
        _ => return descr.to_string(),
    };
    let order = if descr.starts_with('>') {
        " big-endian"
    } else {
        ""
    };
    format!("{kind}{order} ({descr})")
}

// ANCHOR: read_f32
/// Read a little-endian `float32` `.npy` file of any shape (C or Fortran order).
///
/// The file is read whole (its size is real, unlike sizes claimed inside it); the number
/// of data bytes must equal `4·Π shape` exactly, which is checked before decoding.
pub fn read_f32(path: &Path) -> Result<ArrayD<f32>> {
    let p = path.display();
    let bytes =
        std::fs::read(path).map_err(|e| Error(format!("cannot read {p}: {}", describe_io(&e))))?;
    decode_f32(&bytes, &p.to_string())
}

/// [`read_f32`] on bytes in memory; `p` names them in messages.
pub fn decode_f32(bytes: &[u8], p: &str) -> Result<ArrayD<f32>> {
    check_header_nesting(bytes).map_err(|e| Error(format!("{p}: not a valid .npy file ({e})")))?;
    let npy = npyz::NpyFile::new(bytes)
        .map_err(|e| Error(format!("{p}: not a valid .npy file ({e})")))?;
    let descr = npy.dtype().descr();
    if descr != "'<f4'" {
        let d = descr.trim_matches('\'');
        return Err(Error(format!(
            "{p}: dtype is {}, expected float32 little-endian (<f4)",
            dtype_name(d)
        )));
    }
    let fortran = npy.order() == npyz::Order::Fortran;
    let mut shape = Vec::with_capacity(npy.shape().len());
    for &d in npy.shape() {
        shape.push(
            usize::try_from(d).map_err(|_| Error(format!("{p}: dimension {d} is too large")))?,
        );
    }
    let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let data = npy.into_inner();
    match count.and_then(|n| n.checked_mul(4)) {
        Some(n) if n == data.len() => {}
        _ => {
            return Err(Error(format!(
                "{p}: header says shape {} but the file holds {} data bytes (truncated or corrupt)",
                shape_str(&shape),
                data.len()
            )))
        }
    }
    let values: Vec<f32> = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let dims = IxDyn(&shape);
    let arr = if fortran {
        ArrayD::from_shape_vec(dims.f(), values)
    } else {
        ArrayD::from_shape_vec(dims, values)
    };
    // The lengths were checked above, so this cannot fail; map it anyway rather than panic.
    let arr = arr.map_err(|e| Error(format!("{p}: {e}")))?;
    Ok(if fortran {
        arr.as_standard_layout().into_owned()
    } else {
        arr
    })
}
// ANCHOR_END: read_f32

/// The deepest nesting of brackets a header may have. numpy writes a dictionary holding a
/// tuple (depth 2); structured dtypes add a list of tuples (depth 4).
const MAX_HEADER_DEPTH: usize = 4;

/// Refuse a header whose brackets nest deeper than [`MAX_HEADER_DEPTH`], before npyz
/// parses it: its Python-literal parser takes time exponential in the nesting depth, so
/// a 173-byte file whose header opens with 14 `{` kept the reader busy for more than
/// 20 s (found by fuzzing, docs/fuzzing.md). Files too short to hold a header are left
/// to npyz.
fn check_header_nesting(bytes: &[u8]) -> std::result::Result<(), String> {
    let Some(&major) = bytes.get(6) else {
        return Ok(());
    };
    let (start, len) = match major {
        1 => (
            10,
            bytes
                .get(8..10)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))),
        ),
        _ => (
            12,
            bytes
                .get(8..12)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
        ),
    };
    let Some(len) = len else { return Ok(()) };
    let header = &bytes[start.min(bytes.len())..start.saturating_add(len).min(bytes.len())];
    let (mut depth, mut deepest) = (0usize, 0usize);
    for &b in header {
        match b {
            b'{' | b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_HEADER_DEPTH {
        return Err(format!(
            "its header nests brackets {deepest} deep; a numpy header nests at most {MAX_HEADER_DEPTH}"
        ));
    }
    Ok(())
}

/// Read a `float32` `.npy` file that must have exactly `expected` shape.
pub fn read_f32_shaped(path: &Path, expected: &[usize]) -> Result<ArrayD<f32>> {
    let a = read_f32(path)?;
    if a.shape() != expected {
        return Err(Error(format!(
            "{}: shape is {}, expected {}",
            path.display(),
            shape_str(a.shape()),
            shape_str(expected)
        )));
    }
    Ok(a)
}

/// The header dictionary exactly as numpy ≥ 1.x writes it, including the spare spaces
/// numpy adds after the dict so that the first axis can grow in place.
fn header_text(shape: &[usize]) -> String {
    let dims = match shape {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut h = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}");
    // numpy: header += " " * (GROWTH_AXIS_MAX_DIGITS - len(repr(shape[0]))), with 21 digits.
    if let Some(first) = shape.first() {
        h.push_str(&" ".repeat(21usize.saturating_sub(first.to_string().len())));
    }
    h
}

/// Encode a C-order `float32` array as `.npy` bytes, byte-identical to `numpy.save`.
pub fn encode_f32(a: &ArrayViewD<'_, f32>) -> Vec<u8> {
    let mut header = header_text(a.shape()).into_bytes();
    // magic (6) + version (2) + header length (2) + header + '\n' must be a multiple of 64;
    // numpy pads with spaces (a full 64 when already aligned).
    let pad = 64 - (10 + header.len() + 1) % 64;
    header.resize(header.len() + pad, b' ');
    header.push(b'\n');
    let mut out = Vec::with_capacity(10 + header.len() + 4 * a.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(&header);
    // `iter()` walks in logical (C) order whatever the memory layout.
    for v in a.iter() {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Write a `float32` array as `.npy`, atomically.
pub fn write_f32(path: &Path, a: &ArrayViewD<'_, f32>) -> Result<()> {
    write_atomic(path, &encode_f32(a))
}

/// Test helper: a copy of `.npy` bytes with the dtype string `<f4` replaced by `descr`.
#[cfg(test)]
pub(crate) fn with_descr(bytes: &[u8], descr: &str) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = out
        .windows(3)
        .position(|w| w == b"<f4")
        .expect("an f4 header");
    out[at..at + 3].copy_from_slice(descr.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::files::test_dir;
    use ndarray::{Array, Array2};

    #[test]
    fn round_trip_and_alignment() {
        let dir = test_dir("npy");
        for shape in [vec![5], vec![2, 3], vec![64, 3, 3, 3], vec![]] {
            let n: usize = shape.iter().product();
            let a = Array::from_shape_vec(
                IxDyn(&shape),
                (0..n).map(|i| i as f32 * 0.5 - 1.0).collect(),
            )
            .unwrap();
            let bytes = encode_f32(&a.view());
            let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            assert_eq!((10 + hlen) % 64, 0);
            let p = dir.join("a.npy");
            write_f32(&p, &a.view()).unwrap();
            assert_eq!(read_f32(&p).unwrap(), a);
        }
    }

    #[test]
    fn fortran_order_and_strided_views() {
        let dir = test_dir("npy");
        let a = Array2::from_shape_vec((2, 3), vec![1.0f32, 2., 3., 4., 5., 6.]).unwrap();
        // Encoding a transposed view writes it in logical order.
        let p = dir.join("t.npy");
        write_f32(&p, &a.t().into_dyn()).unwrap();
        assert_eq!(read_f32(&p).unwrap(), a.t().into_dyn());
        // A Fortran-order file: header flag True and column-major data.
        let mut bytes = encode_f32(&a.view().into_dyn());
        let text = String::from_utf8_lossy(&bytes[10..]).replace("False", "True ");
        bytes.truncate(10);
        bytes.extend_from_slice(text.split('\n').next().unwrap().as_bytes());
        bytes.push(b'\n');
        for v in a.t().iter() {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(read_f32(&p).unwrap(), a.into_dyn());
    }

    /// Found by fuzzing (docs/fuzzing.md): a 173-byte file whose header opens with 14 `{`
    /// kept npyz's header parser busy for more than 20 s. It is refused at once now, as is any
    /// header nesting deeper than numpy's.
    #[test]
    fn deeply_nested_headers_are_refused_quickly() {
        let t = std::time::Instant::now();
        let hang = include_bytes!("../../tests/fixtures/fuzz/npy_nested_braces.npy");
        let e = decode_f32(hang, "h.npy").unwrap_err();
        assert!(
            e.0.contains("h.npy: not a valid .npy file") && e.0.contains("nests brackets"),
            "{e}"
        );
        let a = Array::from_elem(IxDyn(&[2]), 1.0f32);
        let good = encode_f32(&a.view());
        let hlen = usize::from(u16::from_le_bytes([good[8], good[9]]));
        let header = String::from_utf8(good[10..10 + hlen].to_vec())
            .unwrap()
            .replacen('{', &"{".repeat(40), 1);
        let mut deep = good[..8].to_vec();
        deep.extend_from_slice(&(header.len() as u16).to_le_bytes());
        deep.extend_from_slice(header.as_bytes());
        deep.extend_from_slice(&good[10 + hlen..]);
        let e = decode_f32(&deep, "d.npy").unwrap_err();
        assert!(e.0.contains("nests brackets 41 deep"), "{e}");
        assert!(t.elapsed().as_secs() < 2, "took {:?}", t.elapsed());
        // numpy's own headers pass.
        decode_f32(&good, "g.npy").unwrap();
    }

    #[test]
    fn errors_name_the_file_and_problem() {
        let dir = test_dir("npy");
        let p = dir.join("w.npy");
        let e = read_f32(&p).unwrap_err();
        assert!(e.0.contains("w.npy") && e.0.contains("no such file"), "{e}");
        std::fs::write(&p, b"hello").unwrap();
        assert!(read_f32(&p)
            .unwrap_err()
            .0
            .contains("not a valid .npy file"));
        let a = Array::from_elem(IxDyn(&[4, 2]), 1.0f32);
        let good = encode_f32(&a.view());
        std::fs::write(&p, &good[..good.len() - 3]).unwrap();
        let e = read_f32(&p).unwrap_err();
        assert!(e.0.contains("truncated"), "{e}");
        let mut f64_file = with_descr(&good[..128], "<f8");
        f64_file.extend(vec![0u8; 64]);
        std::fs::write(&p, &f64_file).unwrap();
        let e = read_f32(&p).unwrap_err();
        assert!(
            e.0.contains("float64 (<f8)") && e.0.contains("expected float32"),
            "{e}"
        );
        std::fs::write(&p, &good).unwrap();
        let e = read_f32_shaped(&p, &[2, 4]).unwrap_err();
        assert!(e.0.ends_with("w.npy: shape is 4x2, expected 2x4"), "{e}");
    }
}
