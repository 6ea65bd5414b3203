//! `nst texture`: texture synthesis by optimisation (Gatys, Ecker & Bethge 2015).

use crate::common::{NetArgs, PictureArgs};
use crate::optimize::{initial, Init, OptimArgs};
use crate::parse::{parse_side, parse_size, LayerList};
use crate::stages::Stage;
use nst::gatys::LossSpec;
use nst::loss::Normalization;
use nst::math::im2col::Padding;
use nst::math::tensor::Tensor4;
use std::path::PathBuf;

/// Synthesise a texture from white noise by matching the Gram matrices of a sample at
/// relu1_1 … relu5_1 — style loss alone, at any output size. With --tileable the picture
/// is optimised through circularly padded convolutions, so it tiles seamlessly.
#[derive(clap::Args)]
#[command(after_help = crate::signals::HELP)]
pub struct Args {
    /// The texture sample.
    sample: PathBuf,
    /// Output size: N (square) or WxH, e.g. 512x384. With --scales, its shape only: each
    /// stage has this aspect ratio and the stage's side as its longest side (the last
    /// stage's is the output's).
    #[arg(long, default_value = "256", value_parser = parse_size, allow_negative_numbers = true)]
    size: (usize, usize),
    /// Scale the sample so its longest side is N pixels before measuring it (with --scales,
    /// the stages before the last scale it further, by their side over the last one's)
    /// [default: as is].
    #[arg(long, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    sample_size: Option<usize>,
    /// Texture layers.
    #[arg(long, default_value = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1")]
    layers: LayerList,
    /// Make the texture seamless (tileable): sizes must be multiples of 32 (with --scales,
    /// every stage's).
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
    let stages = args.run.stages(h.max(w), Normalization::Gatys)?;
    // A stage's size: --size's shape with the stage's side as its longest side.
    let dims = |side: usize| {
        if side == h.max(w) {
            (h, w)
        } else {
            nst::formats::image_io::longest_side_dims(h, w, side)
        }
    };
    if args.tileable {
        for &(side, _) in &stages {
            let (sh, sw) = dims(side);
            if sh % 32 == 0 && sw % 32 == 0 {
                continue;
            }
            if stages.len() == 1 {
                nst::bail!(
                    "--tileable needs a width and height that are multiples of 32 (five 2×2 poolings must tile exactly), got {w}x{h}"
                );
            }
            nst::bail!(
                "--tileable needs every --scales stage's width and height to be multiples of 32 (five 2×2 poolings must tile exactly): the {side} px stage is {sw}x{sh} (the shape of --size {w}x{h})"
            );
        }
    }
    let (vgg, conv) = args.net.load()?;
    let sample = args.picture.load(&args.sample, args.sample_size)?;
    // The sample at a stage: as loaded at the last stage, scaled with the stage before it
    // (by its side over the last's), so that its structures keep their size relative to
    // the picture and each stage asks for the final texture at its own resolution.
    let (ph, pw, _) = sample.dim();
    let finest = stages[stages.len() - 1].0;
    let sample_side = |side: usize| {
        ((ph.max(pw) * side) as f64 / finest as f64)
            .round()
            .max(1.0) as usize
    };
    for &(side, _) in &stages {
        let (h2, w2) = nst::formats::image_io::longest_side_dims(ph, pw, sample_side(side));
        nst::gatys::check_picture_size(&vgg, &args.layers.0, h2, w2).map_err(|e| {
            let what = if side == finest {
                "the texture sample".to_string()
            } else {
                format!("the texture sample, scaled for the {side} px --scales stage")
            };
            nst::Error(format!("{} ({what}) {e}", args.sample.display()))
        })?;
    }
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
    // Only a tileable texture needs the circular twin (59 MB of weights; the Winograd
    // kernels are shared).
    let circular = args.tileable.then(|| vgg.with_padding(Padding::Circular));
    // One stage's objective (`--scales`: one per stage), of the stage's size.
    let build = |side: usize, iterations: usize| {
        let rgb = nst::formats::image_io::scale_to_longest(sample.view(), sample_side(side));
        let styles = [(conv.preprocess(rgb.view()), 1.0)];
        let (mut obj, plan) = args.run.objective(
            &vgg,
            spec.clone(),
            None,
            &styles,
            dims(side),
            args.tileable,
            iterations,
        )?;
        if let Some(circular) = &circular {
            obj.set_network(circular);
        }
        let conv = &conv;
        Ok(Stage {
            obj,
            plan,
            finish: Box::new(move |x: &Tensor4<f32>| conv.deprocess(x.view())),
            data: (),
        })
    };
    // ANCHOR_END: texture_objective
    let first = |stage: &Stage<()>| {
        initial(
            args.run.init.unwrap_or(Init::Noise),
            stage.obj.shape(),
            None,
            None,
            &conv,
            args.run.seed,
        )
    };
    crate::stages::run(
        &args.run,
        "texture",
        &stages,
        &args.output,
        &conv,
        build,
        first,
        args.run.work_ahead(&vgg, &spec, false, args.tileable)?,
    )
}
