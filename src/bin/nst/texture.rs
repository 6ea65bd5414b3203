//! `nst texture`: texture synthesis by optimisation (Gatys, Ecker & Bethge 2015).

use crate::common::{NetArgs, PictureArgs};
use crate::optimize::{initial, Init, OptimArgs};
use crate::parse::{parse_side, parse_size, LayerList};
use nst::gatys::LossSpec;
use nst::loss::Normalization;
use nst::math::im2col::Padding;
use std::path::PathBuf;

/// Synthesise a texture from white noise by matching the Gram matrices of a sample at
/// relu1_1 … relu5_1 — style loss alone, at any output size. With --tileable the picture
/// is optimised through circularly padded convolutions, so it tiles seamlessly.
#[derive(clap::Args)]
#[command(after_help = crate::signals::HELP)]
pub struct Args {
    /// The texture sample.
    sample: PathBuf,
    /// Output size: N (square) or WxH, e.g. 512x384.
    #[arg(long, default_value = "256", value_parser = parse_size, allow_negative_numbers = true)]
    size: (usize, usize),
    /// Scale the sample so its longest side is N pixels before measuring it [default: as is].
    #[arg(long, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    sample_size: Option<usize>,
    /// Texture layers.
    #[arg(long, default_value = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1")]
    layers: LayerList,
    /// Make the texture seamless (tileable): sizes must be multiples of 32.
    #[arg(long)]
    tileable: bool,
    /// Where to write the texture.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    run: OptimArgs,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    picture: PictureArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    args.run.check_outputs(&args.output)?;
    let (h, w) = args.size;
    if args.tileable && (h % 32 != 0 || w % 32 != 0) {
        nst::bail!(
            "--tileable needs a width and height that are multiples of 32 (five 2×2 poolings must tile exactly), got {w}x{h}"
        );
    }
    let (vgg, conv) = args.net.load()?;
    let sample = conv.preprocess(args.picture.load(&args.sample, args.sample_size)?.view());
    nst::gatys::check_picture_size(&vgg, &args.layers.0, sample.dim().2, sample.dim().3).map_err(
        |e| {
            nst::Error(format!(
                "{} (the texture sample) {e}",
                args.sample.display()
            ))
        },
    )?;
    // ANCHOR: texture_objective
    let layers = args.layers.0;
    let share = 1.0 / layers.len() as f64;
    let spec = LossSpec {
        content_layers: vec![],
        style_layers: layers.iter().map(|l| (l.clone(), share)).collect(),
        content_weight: 0.0,
        style_weight: 1.0,
        tv_weight: 0.0,
        norm: Normalization::Gatys,
    };
    let (mut obj, plan) =
        args.run
            .objective(&vgg, spec, None, &[(sample, 1.0)], (h, w), args.tileable)?;
    let circular = vgg.with_padding(Padding::Circular);
    if args.tileable {
        obj.set_network(&circular);
    }
    // ANCHOR_END: texture_objective
    let x0 = initial(
        args.run.init.unwrap_or(Init::Noise),
        (h, w),
        None,
        None,
        &conv,
        args.run.seed,
    )?;
    args.run.drive(
        "texture",
        &obj,
        &plan.choice,
        args.run.iterations(Normalization::Gatys),
        x0,
        &args.output,
        &conv,
        &|x| conv.deprocess(x.view()),
    )?;
    Ok(())
}
