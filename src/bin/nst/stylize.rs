//! `nst stylize`: Gatys style transfer by optimising the picture.

use crate::lossargs::LossArgs;
use crate::optimize::{initial, Init, OptimArgs};
use crate::progress::{fmt_duration, interrupted};
use nst::math::tensor::Tensor4;
use std::path::PathBuf;
use std::time::Instant;

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
    let stages = args.run.stages(args.loss.size, spec.norm)?;
    let many = stages.len() > 1;
    if many {
        // The finest stage's pictures must load (size limits) before any work.
        let mut top = args.loss.clone();
        top.size = stages[stages.len() - 1].0;
        top.load_content(&args.content, &conv)?;
    }
    let started = Instant::now();
    // The previous stage's result (RGB) and its speed: seconds per iteration per pixel.
    let mut previous: Option<(ndarray::Array3<f32>, f64)> = None;
    for (k, &(side, iterations)) in stages.iter().enumerate() {
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
        if k == 0 && loss.style_weights.is_none() && args.style.len() > 1 {
            eprintln!("blending {} styles equally", args.style.len());
        }
        let (obj, plan) =
            args.run
                .objective(&vgg, spec.clone(), Some(&content), &styles, (h, w), false)?;
        let x0 = match &previous {
            // Coarse to fine: the last stage's picture, upsampled.
            Some((rgb, _)) => {
                conv.preprocess(nst::formats::image_io::resize(rgb.view(), h, w).view())
            }
            None => {
                let init = args.run.init.unwrap_or(Init::Content);
                let style_rgb = (init == Init::Style).then(|| conv.deprocess(styles[0].0.view()));
                initial(
                    init,
                    (h, w),
                    Some(&content),
                    style_rgb.as_ref(),
                    &conv,
                    args.run.seed,
                )?
            }
        };
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
        let last = k + 1 == stages.len();
        let output = if last {
            args.output.clone()
        } else {
            stage_path(&args.output, side)
        };
        let label = if many {
            let eta = previous.as_ref().map(|&(_, per)| {
                let rest: f64 = stages[k..]
                    .iter()
                    .map(|&(s, n)| {
                        let (sh, sw) = nst::formats::image_io::longest_side_dims(h, w, s);
                        per * (sh * sw) as f64 * n as f64
                    })
                    .sum();
                rest
            });
            eprintln!(
                "stage {}/{}: {w}×{h}, {iterations} iterations; {} so far{}",
                k + 1,
                stages.len(),
                fmt_duration(started.elapsed().as_secs_f64()),
                eta.map_or(String::new(), |e| format!(
                    ", about {} to go (the last stage's speed per pixel)",
                    fmt_duration(e)
                ))
            );
            format!("stylize {}/{} ({side} px)", k + 1, stages.len())
        } else {
            "stylize".to_string()
        };
        let t = Instant::now();
        let x = args.run.drive(
            &label,
            &obj,
            &plan.choice,
            iterations,
            x0,
            &output,
            &conv,
            &finish,
        )?;
        if interrupted() {
            break;
        }
        if many {
            if let Some(mb) = nst::tools::bench::peak_rss_mb() {
                eprintln!(
                    "stage {}/{}: peak memory {mb:.0} MB, estimated {:.0} MB",
                    k + 1,
                    stages.len(),
                    plan.bytes as f64 / (1u64 << 20) as f64
                );
            }
            reset_peak_memory();
        }
        let per = t.elapsed().as_secs_f64() / (iterations.max(1) * h * w) as f64;
        previous = Some((conv.deprocess(x.view()), per));
    }
    if many && !interrupted() {
        eprintln!(
            "{} stages in {}",
            stages.len(),
            fmt_duration(started.elapsed().as_secs_f64())
        );
    }
    Ok(())
}

/// Start the process's peak memory (VmHWM) afresh, so that each stage reports its own
/// (Linux: writing 5 to `/proc/self/clear_refs`; elsewhere nothing happens).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// `out.png` → `out_s1024.png`: a stage's result.
fn stage_path(output: &std::path::Path, side: usize) -> PathBuf {
    let ext = output
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    crate::optimize::with_suffix(output, &format!("_s{side}{ext}"))
}
