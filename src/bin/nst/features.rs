//! `nst features`: dump VGG activations as .npy files.

use crate::common::{NetArgs, PictureArgs};
use crate::parse::{parse_side, LayerList};
use ndarray::Axis;
use std::path::PathBuf;

/// Run a picture through VGG and write the activation of each requested layer as
/// DIR/LAYER.npy (float32, shape C×H×W).
#[derive(clap::Args)]
pub struct Args {
    /// A picture (PNG/JPEG) or an .npy array H×W×3 float32 RGB in [0,1].
    image: PathBuf,
    /// Layers to write, comma-separated (see `nst layers` for names).
    #[arg(
        long,
        default_value = "relu1_1,relu2_1,relu3_1,relu4_1,relu4_2,relu5_1"
    )]
    layers: LayerList,
    /// Output folder (created if missing).
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// Scale the picture so its longest side is N pixels (default: keep its size).
    #[arg(long, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    size: Option<usize>,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    picture: PictureArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    let layers = args.layers.0;
    std::fs::create_dir_all(&args.out).map_err(|e| {
        nst::Error::msg(format!(
            "cannot create {}: {}",
            args.out.display(),
            nst::formats::files::describe_io(&e)
        ))
    })?;
    nst::formats::files::check_writable(&args.out.join("probe.npy"))?;
    let (vgg, convention) = args.net.load()?;
    let taps = vgg.layer_indices(&layers)?;
    let rgb = args.picture.load(&args.image, args.size)?;
    let (h, w, _) = rgb.dim();
    let needed = nst::tools::memory::forward_bytes(vgg.arch, h, w, &taps);
    let what = format!("running a {w}×{h} picture through VGG");
    crate::common::ensure_fits(needed, &what, "use a smaller --size or fewer --layers")?;
    let x = convention.preprocess(rgb.view());
    let fwd = vgg.forward(x.view(), &taps, false);
    println!(
        "{} ({h}×{w}) through {} ({})",
        args.image.display(),
        vgg.arch.name(),
        convention.name()
    );
    for (name, &tap) in layers.iter().zip(&taps) {
        let a = fwd.get(tap).expect("tapped").index_axis(Axis(0), 0);
        let path = args.out.join(format!("{name}.npy"));
        nst::formats::npy::write_f32(&path, &a.into_dyn())?;
        let (c, fh, fw) = a.dim();
        let active = a.iter().filter(|v| **v > 0.0).count() as f64 / a.len() as f64;
        println!(
            "  {name:<8} {c:>4}×{fh}×{fw}  max {:>10.3}  {:>5.1}% > 0  → {}",
            a.fold(0f32, |m, v| m.max(*v)),
            100.0 * active,
            path.display()
        );
    }
    Ok(())
}
