//! `nst loss`: every loss term of a picture, and dLoss/dImage as .npy.

use crate::lossargs::LossArgs;
use crate::optimize::MemoryArgs;
use nst::gatys::OptimizerChoice;
use std::path::PathBuf;

/// Evaluate the style-transfer loss of a picture X for given content and style pictures:
/// print every term and optionally write dLoss/dImage (H×W×3 float32, in X's [0,1] RGB
/// space) as .npy. X is scaled like the output of `stylize` (--size); the content picture
/// is resized to X's size.
#[derive(clap::Args)]
pub struct Args {
    /// The content picture.
    #[arg(long, value_name = "PICTURE")]
    content: PathBuf,
    /// A style picture; repeat for several.
    #[arg(long, required = true, value_name = "PICTURE")]
    style: Vec<PathBuf>,
    /// The picture whose loss is measured (PNG/JPEG or .npy H×W×3 in [0,1]).
    #[arg(long, value_name = "PICTURE")]
    image: PathBuf,
    /// Write dLoss/dImage here (a name ending in .npy: H×W×3 float32, RGB [0,1] space).
    #[arg(long, value_name = "FILE")]
    grad_out: Option<PathBuf>,
    #[command(flatten)]
    loss: LossArgs,
    #[command(flatten)]
    memory: MemoryArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    if let Some(g) = &args.grad_out {
        if !g.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy")) {
            nst::bail!(
                "--grad-out {}: the gradient is written as a .npy array (H×W×3 float32, \
                 signed values, not a picture); give a name ending in .npy",
                g.display()
            );
        }
        nst::formats::files::check_writable(g)?;
    }
    let spec = args.loss.spec();
    let (vgg, conv) = args.loss.net.load()?;
    let x_rgb = args.loss.picture.load(&args.image, Some(args.loss.size))?;
    let (h, w, _) = x_rgb.dim();
    let content_rgb =
        nst::formats::image_io::resize(args.loss.picture.load(&args.content, None)?.view(), h, w);
    let content = conv.preprocess(content_rgb.view());
    let styles = args.loss.load_styles(&args.style, h.max(w), &conv)?;
    args.loss.check_sizes(
        &vgg,
        &spec,
        Some((&args.image, "the picture measured", (h, w))),
        &args.style,
        &styles,
    )?;
    // One evaluation: VGG's passes, the picture and its gradient (as gradient descent
    // keeps them), whole or tile by tile as the memory allows.
    let one_evaluation = OptimizerChoice::Gd { lr: 1.0 };
    let (obj, _) = args.memory.objective(
        one_evaluation,
        &vgg,
        spec.clone(),
        Some(&content),
        &styles,
        (h, w),
        false,
        1,
    )?;
    let (terms, dx) = obj.evaluate(&conv.preprocess(x_rgb.view()));
    println!(
        "picture {} ({h}×{w}), loss {} on {} ({})",
        args.image.display(),
        spec.norm,
        vgg.arch.name(),
        conv.name()
    );
    for (name, v) in &terms.per_layer {
        let (kind, layer) = name.split_once(':').unwrap_or(("", name));
        let weight = match kind {
            "content" => spec
                .content_layers
                .iter()
                .find(|(n, _)| n == layer)
                .map(|(_, w)| *w),
            _ => spec
                .style_layers
                .iter()
                .find(|(n, _)| n == layer)
                .map(|(_, w)| *w),
        };
        println!(
            "  {kind:<8} {layer:<8} weight {:>7.4}  {v:.6e}",
            weight.unwrap_or(0.0)
        );
    }
    println!(
        "  content  Σ c_l L_l            {:.6e}  × α = {}",
        terms.content, spec.content_weight
    );
    println!(
        "  style    Σ w_l E_l            {:.6e}  × β = {}",
        terms.style, spec.style_weight
    );
    println!(
        "  tv                            {:.6e}  × λ = {}",
        terms.tv, spec.tv_weight
    );
    println!("  total                         {:.6e}", terms.total);
    if let Some(path) = &args.grad_out {
        let g = conv.preprocess_backward(dx.view());
        nst::formats::npy::write_f32(path, &g.view().into_dyn())?;
        let norm = g.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt();
        println!(
            "dLoss/dImage ({h}×{w}×3, RGB [0,1] space, ‖g‖₂ = {norm:.4e}) → {}",
            path.display()
        );
    }
    Ok(())
}
