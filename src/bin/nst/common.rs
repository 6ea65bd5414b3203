//! Flags and checks shared by several commands.

use nst::formats::image_io::{load_rgb, LoadOptions, DEFAULT_MAX_PIXELS};
use nst::layers::ConvAlgo;
use nst::net::vgg::{Pooling, Vgg};
use nst::net::weights::{Convention, DEFAULT_DIR};
use std::path::{Path, PathBuf};

/// Which network to run.
#[derive(clap::Args, Clone, Debug)]
pub struct NetArgs {
    /// Weight folder (made by `bash weights/fetch.sh` or `nst weights import`).
    #[arg(long, default_value = DEFAULT_DIR, value_name = "DIR")]
    pub weights: PathBuf,
    /// Pooling layers: max (as trained) or avg (Gatys et al. found it slightly smoother).
    #[arg(long, default_value = "max")]
    pub pooling: Pooling,
    /// How the 3×3 convolutions are computed: im2col (the reference), winograd
    /// (= winograd4, Winograd F(4×4,3×3): 4× fewer multiplications), winograd2 (F(2×2,3×3):
    /// 2.25× fewer, one digit more accurate), or auto (per layer, the faster by a fixed
    /// table: im2col for the first layer, F(4×4,3×3) elsewhere). Results agree to f32
    /// round-off (docs/performance.md).
    #[arg(long, default_value = "auto", value_name = "ALGO")]
    pub conv: ConvAlgo,
}

impl NetArgs {
    /// Load the network and its preprocessing convention.
    pub fn load(&self) -> nst::Result<(Vgg<f32>, Convention)> {
        let (vgg, convention) = Vgg::load(&self.weights, self.pooling)?;
        Ok((vgg.with_conv(self.conv), convention))
    }
}

/// How to read pictures.
#[derive(clap::Args, Clone, Debug)]
pub struct PictureArgs {
    /// Refuse pictures with more pixels than this (checked before decoding).
    #[arg(long, default_value_t = DEFAULT_MAX_PIXELS, value_name = "N")]
    pub max_pixels: u64,
}

impl PictureArgs {
    /// Load `path` as H×W×3 RGB in [0,1], scaled so its longest side is `side` (if given).
    pub fn load(&self, path: &Path, side: Option<usize>) -> nst::Result<ndarray::Array3<f32>> {
        let max_side = side.map(|s| u32::try_from(s).unwrap_or(u32::MAX));
        load_rgb(
            path,
            &LoadOptions {
                max_side,
                max_pixels: self.max_pixels,
            },
        )
    }
}

/// `--tile`, shared by `nst generate` and `nst apply`.
#[derive(clap::Args)]
pub struct TileArgs {
    /// Make pictures with a side longer than N pixels in N×N tiles, each computed with a
    /// margin of the generator's receptive field that is then dropped: the same picture,
    /// with memory bounded by the tile's size. A multiple of 2^(K−1); 0: never tile.
    /// (Models with instance norm or zero padding are always run on the whole picture.)
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub tile: usize,
}

/// Will `needed` bytes for `what` fit in this machine's memory? An error ending in
/// `advice` when it cannot ([`nst::tools::memory::check_fits`]); the note it returns when the
/// run may swap is printed here, on stderr.
pub fn ensure_fits(needed: u64, what: &str, advice: &str) -> nst::Result<()> {
    let machine = nst::tools::memory::machine_memory();
    if let Some(note) = nst::tools::memory::check_fits(needed, what, advice, machine)? {
        eprintln!("{note}");
    }
    Ok(())
}
