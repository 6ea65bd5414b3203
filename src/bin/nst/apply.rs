//! `nst apply`: stylise a picture with a trained stylisation generator.

use crate::common::{PictureArgs, TileArgs};
use crate::parse::{parse_nonneg, parse_side};
use crate::progress::with_bar;
use nst::texture_net::checkpoint::resolve_model;
use nst::texture_net::{generation_bytes, stylize_with_progress, Generator};
use std::path::PathBuf;
use std::time::Instant;

/// Stylise a picture with a generator trained by `nst train-style`: one feed-forward pass
/// over the picture (downsampled to every scale) and noise, in inference mode. No VGG,
/// no optimisation. The noise amplitude sets the strength of the stylisation (seed 001,
/// Fig. 5): 0 follows the content most closely, larger values add more texture.
#[derive(clap::Args)]
pub struct Args {
    /// The model: a training folder (its model/, or its newest checkpoint while training
    /// runs), or a generator folder (holding config.txt).
    model: PathBuf,
    /// The picture to stylise.
    content: PathBuf,
    /// Amplitude of the noise, U[0, s); training used U[0, 1) unless `train-style
    /// --noise-scale` said otherwise.
    #[arg(long, default_value_t = 1.0, value_parser = parse_nonneg, allow_negative_numbers = true, value_name = "S")]
    noise_scale: f64,
    /// Longest side of the output in pixels [default: the picture's own]. Each side is then
    /// rounded to a multiple of 2^(K−1) (32 for K = 6), which the generator needs.
    #[arg(long, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    size: Option<usize>,
    /// Seed of the noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to write the result (.png, .jpg or .npy).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    picture: PictureArgs,
    #[command(flatten)]
    tiles: TileArgs,
}

/// `s` rounded to the nearest positive multiple of `m`.
fn round_to(s: usize, m: usize) -> usize {
    (((s + m / 2) / m) * m).max(m)
}

pub fn run(args: Args) -> nst::Result<()> {
    nst::formats::image_io::check_output(&args.output)?;
    let (dir, is_checkpoint) = resolve_model(&args.model)?;
    let gen = Generator::<f32>::load(&dir)?;
    if gen.config().content_channels == 0 {
        nst::bail!(
            "{} is a texture model (it takes no content picture): use `nst generate`",
            args.model.display()
        );
    }
    if is_checkpoint {
        eprintln!(
            "note: {} has no final model yet; using checkpoint {}",
            args.model.display(),
            dir.display()
        );
    }
    let rgb = args.picture.load(&args.content, args.size)?;
    let (h, w, _) = rgb.dim();
    let m = gen.config().size_multiple();
    let (h2, w2) = (round_to(h, m), round_to(w, m));
    let rgb = if (h2, w2) != (h, w) {
        eprintln!("note: resized {w}×{h} to {w2}×{h2} (sides must be multiples of {m})");
        nst::formats::image_io::resize(rgb.view(), h2, w2)
    } else {
        rgb
    };
    let needed = generation_bytes(&gen, 1, (h2, w2), args.tiles.tile);
    let what = format!("stylising a {w2}×{h2} picture");
    crate::common::ensure_fits(needed, &what, "use a smaller --size")?;
    let t = Instant::now();
    let out = with_bar("tiles", false, |progress| {
        let (noise, seed, tile) = (args.noise_scale, args.seed, args.tiles.tile);
        stylize_with_progress(&gen, rgb.view(), noise, seed, tile, progress)
    })?;
    let secs = t.elapsed().as_secs_f64();
    nst::formats::image_io::save_rgb(&args.output, out.view())?;
    eprintln!(
        "stylised {w2}×{h2} in {:.1} ms (generator only, noise scale {}); saved {}",
        secs * 1e3,
        args.noise_scale,
        args.output.display()
    );
    Ok(())
}
