//! Pretrained weight sets on disk: a folder of `.npy` files plus `manifest.tsv`.
//!
//! ```text
//! weights/vgg16/
//!   manifest.tsv            arch, preprocessing convention, source, sha256 of every file
//!   conv1_1.weight.npy      float32, OIHW [64, 3, 3, 3] (input channels in the convention's order)
//!   conv1_1.bias.npy        float32, [64]
//!   …                       up to conv5_3 (VGG16) or conv5_4 (VGG19)
//! ```
//!
//! Only the convolutions are stored: style transfer never uses VGG's classifier head.
//! Everything that can go wrong with a folder from elsewhere — missing, half-copied,
//! wrong shapes or dtypes, damaged files — is reported as one line naming the file and,
//! when the fix is to fetch again, the command that does it.

mod convention;
mod manifest;
pub mod onnx;

pub use convention::Convention;
pub use manifest::{sha256_file, sha256_hex, Manifest, TensorEntry, MANIFEST_HEADER};

use crate::error::{Error, Result};
use crate::formats::files::write_atomic;
use crate::formats::npy::{encode_f32, read_f32_shaped, shape_str};
use ndarray::{Array1, Array4, ArrayD, Ix1, Ix4};
use std::path::{Path, PathBuf};

/// Where `bash weights/fetch.sh` puts the VGG16 weights (relative to the repository root).
pub const DEFAULT_DIR: &str = "weights/vgg16";

/// The command that downloads and converts the default weights.
pub const FETCH_COMMAND: &str = "bash weights/fetch.sh";

/// Named tensors in order: `("conv1_1.weight", array)`, ….
pub type NamedTensors = Vec<(String, ArrayD<f32>)>;

/// One convolution of a VGG network: name and weight shape `[out_ch, in_ch, 3, 3]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvSpec {
    /// `conv3_2`.
    pub name: String,
    /// Output channels.
    pub out_ch: usize,
    /// Input channels.
    pub in_ch: usize,
}

/// The convolutions of `vgg16` or `vgg19`, in order (`None` for another name).
///
/// Five blocks of 3×3 convolutions with 64, 128, 256, 512, 512 channels; VGG16 has
/// 2, 2, 3, 3, 3 convolutions per block, VGG19 2, 2, 4, 4, 4.
pub fn vgg_convs(arch: &str) -> Option<Vec<ConvSpec>> {
    let per_block: [usize; 5] = match arch {
        "vgg16" => [2, 2, 3, 3, 3],
        "vgg19" => [2, 2, 4, 4, 4],
        _ => return None,
    };
    let widths = [64, 128, 256, 512, 512];
    let mut in_ch = 3;
    let mut out = Vec::new();
    for (b, (&n, &w)) in per_block.iter().zip(&widths).enumerate() {
        for i in 0..n {
            out.push(ConvSpec {
                name: format!("conv{}_{}", b + 1, i + 1),
                out_ch: w,
                in_ch,
            });
            in_ch = w;
        }
    }
    Some(out)
}

/// An opened weight folder: its manifest, checked; tensors are read on demand.
#[derive(Debug, Clone)]
pub struct WeightSet {
    dir: PathBuf,
    manifest: Manifest,
}

impl WeightSet {
    /// Open a weight folder and parse its `manifest.tsv`.
    pub fn open(dir: &Path) -> Result<WeightSet> {
        if !dir.is_dir() {
            return Err(Error(format!(
                "weights folder {} not found; download and convert the VGG16 weights with `{FETCH_COMMAND}` (see weights/README.md)",
                dir.display()
            )));
        }
        let path = dir.join("manifest.tsv");
        if !path.is_file() {
            return Err(Error(format!(
                "{} not found; {} is not a converted weight set (run `{FETCH_COMMAND}`, or see weights/README.md)",
                path.display(),
                dir.display()
            )));
        }
        let manifest = Manifest::read(&path)?;
        Ok(WeightSet {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The architecture named in the manifest (`vgg16`, `vgg19`).
    pub fn arch(&self) -> &str {
        &self.manifest.arch
    }

    /// How inputs must be preprocessed for these weights.
    pub fn convention(&self) -> Convention {
        self.manifest.convention
    }

    /// The parsed manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Load one tensor, which must be listed with shape `expected` and stored with it.
    pub fn tensor(&self, name: &str, expected: &[usize]) -> Result<ArrayD<f32>> {
        let Some(entry) = self.manifest.tensor(name) else {
            return Err(Error(format!(
                "{}: manifest.tsv lists no tensor `{name}` (arch {})",
                self.dir.display(),
                self.arch()
            )));
        };
        let path = self.dir.join(&entry.file);
        if entry.shape != expected {
            return Err(Error(format!(
                "{}: manifest.tsv says shape {}, expected {}",
                path.display(),
                shape_str(&entry.shape),
                shape_str(expected)
            )));
        }
        if !path.is_file() {
            return Err(Error(format!(
                "{}: tensor file missing; the weight folder is incomplete (re-run `{FETCH_COMMAND}`)",
                path.display()
            )));
        }
        let a = read_f32_shaped(&path, expected)?;
        check_finite(&path, name, &a)?;
        Ok(a)
    }

    // ANCHOR: conv
    /// Load a convolution's weight `[out_ch, in_ch, k, k]` (OIHW) and bias `[out_ch]`.
    pub fn conv(
        &self,
        name: &str,
        out_ch: usize,
        in_ch: usize,
        k: usize,
    ) -> Result<(Array4<f32>, Array1<f32>)> {
        let w = self.tensor(&format!("{name}.weight"), &[out_ch, in_ch, k, k])?;
        let b = self.tensor(&format!("{name}.bias"), &[out_ch])?;
        // The shapes were checked while reading, so the conversions cannot fail.
        let w = w
            .into_dimensionality::<Ix4>()
            .map_err(|e| Error(e.to_string()))?;
        let b = b
            .into_dimensionality::<Ix1>()
            .map_err(|e| Error(e.to_string()))?;
        Ok((w, b))
    }
    // ANCHOR_END: conv

    /// Recompute the sha256 of every tensor file and compare with the manifest, then read
    /// every tensor and check that its values are finite (a manifest can describe, and its
    /// sums match, a file full of NaN).
    pub fn verify(&self) -> Result<()> {
        for t in &self.manifest.tensors {
            let path = self.dir.join(&t.file);
            if !path.is_file() {
                return Err(Error(format!(
                    "{}: tensor file missing (re-run `{FETCH_COMMAND}`)",
                    path.display()
                )));
            }
            let got = sha256_file(&path)?;
            if got != t.sha256 {
                return Err(Error(format!(
                    "{}: sha256 {got} does not match manifest.tsv ({}); the file is damaged or was changed (re-run `{FETCH_COMMAND}`)",
                    path.display(),
                    t.sha256
                )));
            }
            let a = read_f32_shaped(&path, &t.shape)?;
            check_finite(&path, &t.name, &a)?;
        }
        Ok(())
    }
}

/// Refuse a tensor holding NaN or infinity, naming it, how many values are bad and the
/// first one's position: a network with such weights computes NaN everywhere, which
/// would otherwise surface only as a loss "becoming" NaN at the first iteration.
pub fn check_finite(path: &Path, name: &str, a: &ArrayD<f32>) -> Result<()> {
    // The common case first: with the indices counted along the way, checking VGG16's
    // weights made a small `nst loss` take 0.8 s instead of 0.4 s.
    if a.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    let mut bad = a.indexed_iter().filter(|(_, v)| !v.is_finite());
    if let Some((at, v)) = bad.next() {
        let more = bad.count();
        return Err(Error(format!(
            "{}: tensor `{name}` holds {} non-finite value(s) (the first, {}, at index {:?}); the weights are damaged",
            path.display(),
            more + 1,
            v,
            ndarray::Dimension::slice(&at)
        )));
    }
    Ok(())
}

/// A weight set encoded in memory, ready to compare with an expected manifest and write.
#[derive(Debug, Clone)]
pub struct EncodedSet {
    /// The manifest describing `files`.
    pub manifest: Manifest,
    /// `(file name, .npy bytes)` for every tensor.
    pub files: Vec<(String, Vec<u8>)>,
}

impl EncodedSet {
    /// Encode named tensors (`conv1_1.weight` → `conv1_1.weight.npy`) and describe them.
    pub fn new(
        arch: &str,
        convention: Convention,
        source: &str,
        tensors: &[(String, ArrayD<f32>)],
    ) -> Self {
        let mut files = Vec::new();
        let mut entries = Vec::new();
        for (name, a) in tensors {
            let bytes = encode_f32(&a.view());
            let file = format!("{name}.npy");
            entries.push(TensorEntry {
                name: name.clone(),
                file: file.clone(),
                shape: a.shape().to_vec(),
                dtype: "f32".into(),
                sha256: sha256_hex(&bytes),
            });
            files.push((file, bytes));
        }
        let manifest = Manifest {
            arch: arch.into(),
            convention,
            source: source.into(),
            tensors: entries,
        };
        EncodedSet { manifest, files }
    }

    /// Write every file atomically into `dir` (created if needed), the manifest last, so
    /// that an interrupted write never leaves a manifest describing missing files.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error(format!(
                "cannot create folder {}: {}",
                dir.display(),
                crate::formats::files::describe_io(&e)
            ))
        })?;
        let manifest_path = dir.join("manifest.tsv");
        if manifest_path.exists() {
            // Remove the old manifest first: until the new one is written the folder is
            // visibly "not a weight set" rather than a mix of old and new files.
            let _ = std::fs::remove_file(&manifest_path);
        }
        for (file, bytes) in &self.files {
            write_atomic(&dir.join(file), bytes)?;
        }
        self.manifest.write(&manifest_path)
    }
}

#[cfg(test)]
mod tests;
