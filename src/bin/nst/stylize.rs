//! `nst stylize`: Gatys style transfer by optimising the picture.

use crate::lossargs::LossArgs;
use crate::optimise::{initial, Init, OptimArgs};
use nst::gatys::Objective;
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
}

pub fn run(args: Args) -> nst::Result<()> {
    args.run.check_outputs(&args.output)?;
    let spec = args.loss.spec();
    let (vgg, conv) = args.loss.net.load()?;
    let (content, content_rgb) = args.loss.load_content(&args.content, &conv)?;
    let (h, w) = (content.dim().2, content.dim().3);
    args.run.check_memory(spec.norm, (h, w))?;
    let styles = args.loss.load_styles(&args.style, h.max(w), &conv)?;
    args.loss.check_sizes(
        &vgg,
        &spec,
        Some((&args.content, "the content picture", (h, w))),
        &args.style,
        &styles,
    )?;
    if args.loss.style_weights.is_none() && args.style.len() > 1 {
        eprintln!("blending {} styles equally", args.style.len());
    }
    let obj = Objective::new(&vgg, spec.clone(), Some(&content), &styles, (h, w))?;
    let init = args.run.init.unwrap_or(Init::Content);
    let style_rgb = if init == Init::Style {
        Some(conv.deprocess(styles[0].0.view()))
    } else {
        None
    };
    let x0 = initial(
        init,
        (h, w),
        Some(&content),
        style_rgb.as_ref(),
        &conv,
        args.run.seed,
    )?;
    let keep_colors = args.original_colors;
    let finish = |x: &Tensor4<f32>| {
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
    args.run
        .drive("stylize", &obj, x0, &args.output, &conv, &finish)
}
