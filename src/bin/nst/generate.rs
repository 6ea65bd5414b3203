//! `nst generate`: texture samples from a trained texture generator.

use crate::common::TileArgs;
use crate::optimize::numbered;
use crate::parse::{parse_count, parse_size};
use crate::progress::with_bar;
use nst::texture_net::checkpoint::resolve_model;
use nst::texture_net::{generation_bytes, pictures, sample_textures_with_progress, Generator};
use std::path::PathBuf;
use std::time::Instant;

/// Sample a texture of any size from a generator trained by `nst train-texture`: one
/// feed-forward pass over fresh noise, in inference mode (batch norm's running
/// statistics). No VGG is loaded and nothing is differentiated. Models trained with
/// circular padding (the default) give textures that tile seamlessly.
#[derive(clap::Args)]
pub struct Args {
    /// The model: a training folder (its model/, or its newest checkpoint while training
    /// runs), or a generator folder (holding config.txt).
    model: PathBuf,
    /// Output size: N (square) or WxH, e.g. 1024x768; multiples of 2^(K−1) (16 for the
    /// default K = 5).
    #[arg(long, default_value = "256", value_parser = parse_size, allow_negative_numbers = true)]
    size: (usize, usize),
    /// Seed of the noise: each seed gives another sample.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Number of samples (drawn as one batch); with more than one, OUT becomes
    /// OUT_0001.png, OUT_0002.png, …
    #[arg(long, default_value_t = 1, value_parser = parse_count, value_name = "N")]
    count: usize,
    /// Where to write the texture (.png, .jpg or .npy).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    tiles: TileArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    nst::formats::image_io::check_output(&args.output)?;
    let (dir, is_checkpoint) = resolve_model(&args.model)?;
    let gen = Generator::<f32>::load(&dir)?;
    let (h, w) = args.size;
    gen.config().check_size(h, w)?;
    let needed = generation_bytes(&gen, args.count, (h, w), args.tiles.tile);
    let what = format!("generating {} sample(s) of {w}×{h}", args.count);
    crate::common::ensure_fits(needed, &what, "use a smaller --size or --count")?;
    if is_checkpoint {
        eprintln!(
            "note: {} has no final model yet; using checkpoint {}",
            args.model.display(),
            dir.display()
        );
    }
    let t = Instant::now();
    let samples = with_bar("tiles", false, |progress| {
        let (n, seed, tile) = (args.count, args.seed, args.tiles.tile);
        sample_textures_with_progress(&gen, n, (h, w), seed, tile, progress)
    })?;
    let secs = t.elapsed().as_secs_f64();
    let pics = pictures(&samples);
    for (i, p) in pics.iter().enumerate() {
        let path = if args.count == 1 {
            args.output.clone()
        } else {
            numbered(&args.output, i + 1)
        };
        nst::formats::image_io::save_rgb(&path, p.view())?;
    }
    eprintln!(
        "generated {} sample(s) of {w}×{h} in {:.1} ms ({:.1} ms per sample; generator only); saved {}",
        args.count,
        secs * 1e3,
        secs * 1e3 / args.count as f64,
        args.output.display()
    );
    Ok(())
}
