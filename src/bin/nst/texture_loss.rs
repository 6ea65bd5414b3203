//! `nst texture-loss`: the texture loss of finished pictures.

use crate::common::{parse_layer_list, parse_side, LayerList, NetArgs, PictureArgs};
use nst::gatys::{LossSpec, Objective};
use nst::losses::Normalisation;
use nst::texture_net::diversity::layout_correlation;
use std::path::PathBuf;

/// Print the texture loss of pictures against a texture sample — exactly the loss `nst
/// texture` minimises and `nst train-texture` trains for (Gram matrices at --layers,
/// equally weighted, Gatys normalisation, the sample's Gram matrices rescaled to each
/// picture's size) — so that samples of a trained generator and results of optimisation
/// can be compared. With several pictures of one size it also prints their layout
/// correlation: 0 for independent samples, 1 for the same picture every time.
#[derive(clap::Args)]
pub struct Args {
    /// The texture sample.
    sample: PathBuf,
    /// The pictures to measure (each at its own size).
    #[arg(required = true)]
    pictures: Vec<PathBuf>,
    /// Scale the sample so its longest side is N pixels before measuring it [default: as
    /// is].
    #[arg(long, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    sample_size: Option<usize>,
    /// Texture layers.
    #[arg(long, value_parser = parse_layer_list, default_value = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1")]
    layers: LayerList,
    /// Cell size, in pixels, of the layout correlation (pictures averaged over N×N cells
    /// before they are correlated: the layout stays, the fine grain goes).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    layout_block: u32,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    picture: PictureArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    let (vgg, conv) = args.net.load()?;
    let sample = conv.preprocess(args.picture.load(&args.sample, args.sample_size)?.view());
    let share = 1.0 / args.layers.0.len() as f64;
    let spec = LossSpec {
        content_layers: vec![],
        style_layers: args.layers.0.iter().map(|l| (l.clone(), share)).collect(),
        content_weight: 0.0,
        style_weight: 1.0,
        tv_weight: 0.0,
        norm: Normalisation::Gatys,
    };
    let mut sum = 0.0;
    let mut rgbs = Vec::new();
    for p in &args.pictures {
        let rgb = args.picture.load(p, None)?;
        let x = conv.preprocess(rgb.view());
        rgbs.push(rgb);
        let (h, w) = (x.dim().2, x.dim().3);
        let obj = Objective::new(&vgg, spec.clone(), None, &[(sample.clone(), 1.0)], (h, w))?;
        let (terms, _) = obj.evaluate(&x);
        let layers: Vec<String> = terms
            .per_layer
            .iter()
            .map(|(n, v)| format!("{}={v:.3e}", n.trim_start_matches("style:")))
            .collect();
        println!(
            "{}\t{w}×{h}\tloss {:.4e}\t{}",
            p.display(),
            terms.total,
            layers.join(" ")
        );
        sum += terms.total;
    }
    if args.pictures.len() > 1 {
        println!(
            "mean loss {:.4e} over {} pictures",
            sum / args.pictures.len() as f64,
            args.pictures.len()
        );
        let views: Vec<_> = rgbs.iter().map(|r| r.view()).collect();
        let block = args.layout_block as usize;
        match layout_correlation(&views, block) {
            Some(r) => println!(
                "layout correlation {r:.2} (mean over {} pairs of {block}×{block}-cell means; \
                 0: independent layouts, 1: the same picture)",
                views.len() * (views.len() - 1) / 2
            ),
            None => println!(
                "layout correlation: not measured (the pictures differ in size, have fewer \
                 than 2×2 cells of {block} pixels, or one is flat)"
            ),
        }
    }
    Ok(())
}
