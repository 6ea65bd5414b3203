//! `nst train-texture`: train a Texture Networks generator for one texture.

use crate::common::PictureArgs;
use crate::parse::{parse_side, LayerList};
use crate::trainargs::{announce, path_setting, Loop, TrainArgs};
use nst::texture_net::{pictures, sample_textures, GeneratorConfig, TrainLoss, Trainer};
use std::path::PathBuf;

/// Train a feed-forward generator (Ulyanov et al. 2016) to turn noise into samples of one
/// texture: Adam on the Gram-matrix loss of VGG at --layers, every gradient by hand.
/// Defaults are the paper's: K = 5 scales, batches of 16 at 256², lr 0.1 for 1000
/// iterations then ×0.7 every 200, 2000 iterations. Ctrl-C saves a checkpoint;
/// --resume continues. Then: nst generate DIR --size 1024x768 -o out.png.
#[derive(clap::Args)]
#[command(after_help = crate::signals::HELP)]
pub struct Args {
    /// The texture sample (PNG/JPEG). Its shorter side must be at least the receptive field
    /// of the deepest layer: 132 pixels for relu5_1 of VGG16.
    sample: PathBuf,
    /// Scale the sample so its longest side is N pixels before measuring it [default: as is].
    #[arg(long, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    sample_size: Option<usize>,
    /// Texture layers, equally weighted (the paper: relu1_1 … relu5_1).
    #[arg(long, default_value = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1")]
    layers: LayerList,
    #[command(flatten)]
    train: TrainArgs,
    #[command(flatten)]
    picture: PictureArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    let start = args.train.start(GeneratorConfig::texture(), None)?;
    let (vgg, conv) = args.train.net.load()?;
    let sample = conv.preprocess(args.picture.load(&args.sample, args.sample_size)?.view());
    let share = 1.0 / args.layers.0.len() as f64;
    let layers: Vec<(String, f64)> = args.layers.0.iter().map(|l| (l.clone(), share)).collect();
    let loss = TrainLoss::texture(vgg, conv, &sample, &layers, start.options.size)
        .map_err(|e| nst::Error(format!("{}: {e}", args.sample.display())))?;
    let mut trainer = match start.resumed.clone() {
        None => Trainer::new(start.generator.clone(), loss, start.options.clone())?,
        Some((state, _, _)) => {
            Trainer::resume(start.generator.clone(), loss, start.options.clone(), state)?
        }
    };
    announce("train-texture", &start, &trainer);
    let (h, w) = start.options.size;
    let preview = move |g: &nst::texture_net::Generator<f32>| {
        Ok(pictures(&sample_textures(g, 1, (h, w), 1, 0)?).remove(0))
    };
    let settings = vec![
        ("task".to_string(), "texture".to_string()),
        ("sample".to_string(), path_setting(&args.sample)),
        (
            "sample_size".to_string(),
            args.sample_size.map_or("as is".into(), |s| s.to_string()),
        ),
        ("layers".to_string(), args.layers.0.join(",")),
        ("weights".to_string(), path_setting(&args.train.net.weights)),
    ];
    let finished = Loop {
        label: "train-texture",
        args: &args.train,
        settings,
        preview: &preview,
    }
    .run(&mut trainer, || unreachable!("textures take no content"))?;
    if finished {
        // The number the seed's comparison is about: the texture loss of samples the
        // trained generator makes in inference mode, on noise it has never seen.
        let g = trainer.generator();
        let samples = sample_textures(g, 4, (h, w), 0x5EED, 0)?;
        let x = trainer.loss().rgb_to_network(samples.view());
        let terms = trainer.loss().loss(&x, None)?;
        eprintln!(
            "texture loss of 4 new {w}×{h} samples (inference mode): {:.4e} (mean per sample)",
            terms.total
        );
    }
    Ok(())
}
