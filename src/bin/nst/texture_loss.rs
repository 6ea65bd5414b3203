//! `nst texture-loss`: the texture loss of finished pictures.

use crate::common::{NetArgs, PictureArgs};
use crate::parse::{parse_count, parse_side, LayerList};
use nst::gatys::{LossSpec, Objective};
use nst::loss::Normalization;
use nst::texture_net::diversity::{gram_split, layout_correlation};
use std::collections::hash_map::{Entry, HashMap};
use std::path::PathBuf;

/// Print the texture loss of pictures against a texture sample — exactly the loss `nst
/// texture` minimises and `nst train-texture` trains for (Gram matrices at --layers,
/// equally weighted, Gatys normalisation, the sample's Gram matrices rescaled to each
/// picture's size) — so that samples of a trained generator and results of optimisation
/// can be compared. With several pictures of one size it also prints their layout
/// correlation: 0 for independent samples, 1 for the same picture every time. With
/// --sample-crops it also measures random crops of the sample itself, the loss that real
/// pieces of the texture get.
///
/// The mean loss of several pictures of one size is split in two, layer by layer: the
/// *bias*, the loss their expected Gram matrices get (what their statistics get wrong on
/// average), and the *spread*, how far one picture's Gram matrices lie from those
/// (how much the statistics of one picture differ from another's). Optimisation fits one
/// picture exactly; a sampler whose pictures differ pays the spread even with no bias.
/// Both are estimates of what infinitely many pictures would give, so with few pictures
/// a small bias can come out slightly negative.
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
    #[arg(long, default_value = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1")]
    layers: LayerList,
    /// Cell size, in pixels, of the layout correlation (pictures averaged over N×N cells
    /// before they are correlated: the layout stays, the fine grain goes).
    #[arg(long, default_value_t = 8, value_parser = parse_count, value_name = "N")]
    layout_block: usize,
    /// Also measure N random crops of the sample itself, each the size of the first
    /// picture: the loss real pieces of the texture reach (0: none).
    #[arg(long, default_value_t = 0, value_name = "N")]
    sample_crops: usize,
    /// Seed of the crops' positions.
    #[arg(long, default_value_t = 0, value_name = "SEED")]
    crop_seed: u64,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    picture: PictureArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    let (vgg, conv) = args.net.load()?;
    let sample_rgb = args.picture.load(&args.sample, args.sample_size)?;
    let sample = conv.preprocess(sample_rgb.view());
    let share = 1.0 / args.layers.0.len() as f64;
    let spec = LossSpec {
        content_layers: vec![],
        style_layers: args.layers.0.iter().map(|l| (l.clone(), share)).collect(),
        content_weight: 0.0,
        style_weight: 1.0,
        tv_weight: 0.0,
        norm: Normalization::Gatys,
    };
    let rgbs = args
        .pictures
        .iter()
        .map(|p| args.picture.load(p, None))
        .collect::<nst::Result<Vec<_>>>()?;
    // One objective (the sample's Gram matrices, rescaled) per picture size.
    let mut objectives = HashMap::new();
    for rgb in &rgbs {
        let hw = (rgb.dim().0, rgb.dim().1);
        if let Entry::Vacant(slot) = objectives.entry(hw) {
            let targets = [(sample.clone(), 1.0)];
            slot.insert(Objective::new(&vgg, spec.clone(), None, &targets, hw)?);
        }
    }
    // Each picture's Gram matrices, from one forward pass: its loss and, for several
    // pictures, the split of their mean.
    let mut measured = Vec::new();
    for (p, rgb) in args.pictures.iter().zip(&rgbs) {
        let (h, w) = (rgb.dim().0, rgb.dim().1);
        let obj = &objectives[&(h, w)];
        let grams = obj.style_grams(&conv.preprocess(rgb.view()));
        let terms = obj.style_layer_losses(&grams, None);
        println!(
            "{}\t{w}×{h}\tloss {:.4e}\t{}",
            p.display(),
            terms.iter().sum::<f64>(),
            per_layer(obj, &terms)
        );
        measured.push(grams);
    }
    let same_size = rgbs.windows(2).all(|p| p[0].dim() == p[1].dim());
    if rgbs.len() > 1 {
        let what = format!("{} pictures", rgbs.len());
        if same_size {
            let (h, w, _) = rgbs[0].dim();
            print_split(&what, &objectives[&(h, w)], &measured);
        }
        let views: Vec<_> = rgbs.iter().map(|r| r.view()).collect();
        let block = args.layout_block;
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
    if args.sample_crops > 0 {
        let (h, w) = (rgbs[0].dim().0, rgbs[0].dim().1);
        let crops = random_crops(&sample_rgb, (h, w), args.sample_crops, args.crop_seed)?;
        let obj = &objectives[&(h, w)];
        let grams: Vec<_> = crops
            .iter()
            .map(|c| obj.style_grams(&conv.preprocess(c.view())))
            .collect();
        let what = format!("{} random {w}×{h} crops of the sample", grams.len());
        print_split(&what, obj, &grams);
    }
    Ok(())
}

/// The mean loss of pictures of one size, given their Gram matrices, and its two parts
/// (see [`nst::texture_net::diversity::gram_split`]): the loss of their expected Gram
/// matrices (what their statistics get wrong on average) and the spread around them (how
/// much one picture's statistics differ from another's), each per layer.
fn print_split(what: &str, obj: &Objective, grams: &[Vec<ndarray::Array2<f32>>]) {
    let losses: Vec<f64> = grams
        .iter()
        .map(|g| obj.style_layer_losses(g, None).iter().sum())
        .collect();
    let mean = losses.iter().sum::<f64>() / losses.len() as f64;
    let (lo, hi) = losses
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &l| (a.min(l), b.max(l)));
    let Some(split) = gram_split(obj, grams) else {
        println!("{what}: mean loss {mean:.4e}");
        return;
    };
    let (bias, spread) = split.totals();
    let pct = |v: f64| 100.0 * v / (bias + spread).abs().max(f64::MIN_POSITIVE);
    println!(
        "{what}: mean loss {mean:.4e} ({lo:.3e} … {hi:.3e}) = bias {bias:.4e} ({:.0} %) + \
         spread {spread:.4e} ({:.0} %)",
        pct(bias),
        pct(spread)
    );
    println!("  bias   {}", per_layer(obj, &split.bias));
    println!("  spread {}", per_layer(obj, &split.spread));
}

/// `relu1_1=… relu2_1=…`: per-layer terms, each before its layer weight.
fn per_layer(obj: &Objective, terms: &[f64]) -> String {
    let layers = &obj.spec().style_layers;
    let cells = layers
        .iter()
        .zip(terms)
        .map(|((n, w), v)| format!("{n}={:.3e}", v / w));
    cells.collect::<Vec<_>>().join(" ")
}

/// `n` random `h`×`w` crops of `pic` (H×W×3), positions from `seed`.
fn random_crops(
    pic: &ndarray::Array3<f32>,
    (h, w): (usize, usize),
    n: usize,
    seed: u64,
) -> nst::Result<Vec<ndarray::Array3<f32>>> {
    let (ph, pw, _) = pic.dim();
    if h > ph || w > pw {
        nst::bail!(
            "--sample-crops: the sample ({pw}×{ph}) is smaller than the pictures ({w}×{h}), \
             so it has no crops of their size"
        );
    }
    let mut rng = nst::math::rng::Rng::new(seed);
    Ok((0..n)
        .map(|_| {
            let (y, x) = (rng.below(ph - h + 1), rng.below(pw - w + 1));
            pic.slice(ndarray::s![y..y + h, x..x + w, ..]).to_owned()
        })
        .collect())
}
