//! `nst stylize`: Gatys style transfer by optimising the picture.

use crate::lossargs::LossArgs;
use crate::optimize::{initial, Init, OptimArgs};
use crate::stages::Stage;
use nst::math::tensor::Tensor4;
use std::path::PathBuf;

/// Paint the content picture in the style of the style picture(s) by minimising
/// α·content + β·style (+ TV) over the picture's pixels (Gatys, Ecker & Bethge 2016).
#[derive(clap::Args)]
#[command(after_help = crate::signals::HELP)]
pub struct Args {
    /// The content picture (PNG/JPEG or .npy H×W×3 in [0,1]).
    #[arg(long, value_name = "PICTURE")]
    content: PathBuf,
    /// A style picture; repeat for several styles (blended by --style-weights).
    #[arg(long, required = true, value_name = "PICTURE")]
    style: Vec<PathBuf>,
    /// Where to write the result (.png, .jpg or .npy).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    loss: LossArgs,
    #[command(flatten)]
    run: OptimArgs,
    /// Keep the content picture's colours: only luminance is transferred.
    #[arg(long)]
    original_colors: bool,
    /// With --scales, how each stage weighs the loss's terms. first: as the first stage
    /// does (a term that is a sum over positions, Gatys' content term and the total
    /// variation, has its weight scaled by the first stage's pixels over the stage's),
    /// so the finished picture is as stylised as the first stage's; own: as a single run
    /// at the stage's size would (with Gatys' loss, more content at every finer stage:
    /// 56 times as much at 3840×2160 as at 512×288).
    #[arg(long, value_enum, default_value_t = StageBalance::First)]
    stage_balance: StageBalance,
}

/// How `--scales` stages weigh the loss's terms (`--stage-balance`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum StageBalance {
    /// Every stage as the first.
    First,
    /// Every stage as a single run at its size.
    Own,
}

/// A stage's content and style pictures (network space, with the styles' weights).
type Pictures = (Tensor4<f32>, Vec<(Tensor4<f32>, f64)>);

pub fn run(args: Args) -> nst::Result<()> {
    args.run.check_outputs(&args.output)?;
    let spec = args.loss.spec();
    let (vgg, conv) = args.loss.net.load()?;
    let stages = args.run.stages(args.loss.size, spec.norm)?;
    if stages.len() > 1 {
        // The finest stage's pictures must load (size limits) before any work.
        let mut top = args.loss.clone();
        top.size = stages[stages.len() - 1].0;
        top.load_content(&args.content, &conv)?;
    }
    // The first stage's pixels, once it is built: the balance every stage keeps.
    let mut first_pixels: Option<usize> = None;
    let build = |side: usize, iterations: usize| {
        let mut loss = args.loss.clone();
        loss.size = side;
        let (content, content_rgb) = loss.load_content(&args.content, &conv)?;
        let (h, w) = (content.dim().2, content.dim().3);
        let styles = loss.load_styles(&args.style, h.max(w), &conv)?;
        loss.check_sizes(
            &vgg,
            &spec,
            Some((&args.content, "the content picture", (h, w))),
            &args.style,
            &styles,
        )?;
        if first_pixels.is_none() && loss.style_weights.is_none() && args.style.len() > 1 {
            eprintln!("blending {} styles equally", args.style.len());
        }
        let reference = *first_pixels.get_or_insert(h * w);
        // The stage's loss: under `--stage-balance first`, weighed as at the first stage.
        let stage_spec = match args.stage_balance {
            StageBalance::First => spec.balanced_as_at(reference, h * w),
            StageBalance::Own => spec.clone(),
        };
        let weights = |s: &nst::gatys::LossSpec| (s.content_weight, s.style_weight, s.tv_weight);
        if weights(&stage_spec) != weights(&spec) {
            eprintln!(
                "{w}×{h}: content weight {:.4e}, style weight {:.4e}{}: the first stage's balance (--stage-balance)",
                stage_spec.content_weight,
                stage_spec.style_weight,
                if spec.tv_weight != 0.0 {
                    format!(", TV weight {:.4e}", stage_spec.tv_weight)
                } else {
                    String::new()
                }
            );
        }
        let (obj, plan) = args.run.objective(
            &vgg,
            stage_spec,
            Some(&content),
            &styles,
            (h, w),
            false,
            iterations,
        )?;
        let keep_colors = args.original_colors;
        let conv = &conv;
        let finish = move |x: &Tensor4<f32>| {
            let rgb = conv.deprocess(x.view());
            if keep_colors {
                nst::formats::image_io::color::original_colors(
                    content_rgb.view(),
                    rgb.mapv(|v| v.clamp(0.0, 1.0)).view(),
                )
            } else {
                rgb
            }
        };
        Ok(Stage {
            obj,
            plan,
            finish: Box::new(finish),
            data: (content, styles),
        })
    };
    let first = |stage: &Stage<Pictures>| {
        let (content, styles) = &stage.data;
        let init = args.run.init.unwrap_or(Init::Content);
        let style_rgb = (init == Init::Style).then(|| conv.deprocess(styles[0].0.view()));
        initial(
            init,
            stage.obj.shape(),
            Some(content),
            style_rgb.as_ref(),
            &conv,
            args.run.seed,
        )
    };
    crate::stages::run(
        &args.run,
        "stylize",
        &stages,
        &args.output,
        &conv,
        build,
        first,
        args.run.work_ahead(&vgg, &spec, true, false)?,
    )
}
