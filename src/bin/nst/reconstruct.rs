//! `nst reconstruct`: a picture rebuilt from noise by its content alone at one layer, or
//! by its style alone from a set of layers (Gatys et al., Fig. 1; seed 000).

use crate::common::{NetArgs, PictureArgs};
use crate::optimize::{initial, Init, OptimArgs};
use crate::parse::{parse_side, LayerList};
use crate::stages::Stage;
use nst::gatys::LossSpec;
use nst::loss::Normalization;
use nst::math::tensor::Tensor4;
use std::path::PathBuf;

/// What to keep of the picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Match the picture's features at one layer (content representation).
    Content,
    /// Match the picture's Gram matrices at the given layers (style representation).
    Style,
}

/// Start from noise and match only the content (features at one layer) or only the
/// style (Gram matrices at some layers) of a picture: what each layer "remembers".
#[derive(clap::Args)]
#[command(after_help = crate::signals::HELP)]
pub struct Args {
    /// content or style.
    #[arg(value_enum)]
    mode: Mode,
    /// The picture to reconstruct.
    picture: PathBuf,
    /// Layers: one for content (e.g. conv4_2), one or more for style (e.g. conv1_1,conv2_1).
    #[arg(long)]
    layers: LayerList,
    /// Where to write the reconstruction.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    /// Longest side in pixels: the picture is scaled to it, and the reconstruction has
    /// its size (with --scales, each stage's side in its place).
    #[arg(long, default_value_t = 256, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    size: usize,
    /// Loss normalisation: gatys or seed002.
    #[arg(long = "loss", default_value = "gatys")]
    norm: Normalization,
    #[command(flatten)]
    run: OptimArgs,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    picture_args: PictureArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    args.run.check_outputs(&args.output)?;
    let layers = args.layers.0;
    if args.mode == Mode::Content && layers.len() != 1 {
        nst::bail!(
            "content reconstruction takes exactly one layer, got {}",
            layers.len()
        );
    }
    let stages = args.run.stages(args.size, args.norm)?;
    let (vgg, conv) = args.net.load()?;
    if stages.len() > 1 {
        // The finest stage's picture must load (size limits) before any work.
        args.picture_args
            .load(&args.picture, Some(stages[stages.len() - 1].0))?;
    }
    let share = 1.0 / layers.len() as f64;
    let spec = LossSpec {
        content_layers: if args.mode == Mode::Content {
            vec![(layers[0].clone(), 1.0)]
        } else {
            vec![]
        },
        style_layers: if args.mode == Mode::Style {
            layers.iter().map(|l| (l.clone(), share)).collect()
        } else {
            vec![]
        },
        content_weight: 1.0,
        style_weight: 1.0,
        tv_weight: 0.0,
        norm: args.norm,
    };
    // One stage: the picture at the stage's side (its longest), and its objective.
    let build = |side: usize, iterations: usize| {
        let rgb = args.picture_args.load(&args.picture, Some(side))?;
        let x = conv.preprocess(rgb.view());
        let (h, w) = (x.dim().2, x.dim().3);
        let styles = if args.mode == Mode::Style {
            vec![(x.clone(), 1.0)]
        } else {
            vec![]
        };
        let content = (args.mode == Mode::Content).then_some(&x);
        let (obj, plan) = args.run.objective(
            &vgg,
            spec.clone(),
            content,
            &styles,
            (h, w),
            false,
            iterations,
        )?;
        let conv = &conv;
        Ok(Stage {
            obj,
            plan,
            finish: Box::new(move |x: &Tensor4<f32>| conv.deprocess(x.view())),
            data: (x, rgb),
        })
    };
    let first = |stage: &Stage<(Tensor4<f32>, ndarray::Array3<f32>)>| {
        let (x, rgb) = &stage.data;
        initial(
            args.run.init.unwrap_or(Init::Noise),
            stage.obj.shape(),
            Some(x),
            Some(rgb),
            &conv,
            args.run.seed,
        )
    };
    let label = format!(
        "reconstruct {} {}",
        if args.mode == Mode::Content {
            "content"
        } else {
            "style"
        },
        layers.join("+")
    );
    crate::stages::run(
        &args.run,
        &label,
        &stages,
        &args.output,
        &conv,
        build,
        first,
        args.run
            .work_ahead(&vgg, &spec, args.mode == Mode::Content, false)?,
    )
}
