//! `nst train-style`: train a Texture Networks stylisation generator.

use crate::common::PictureArgs;
use crate::parse::{parse_loss_weight, parse_positive, parse_side, LayerList};
use crate::trainargs::{announce, path_setting, Loop, TrainArgs};
use ndarray::{s, Array3, Array4};
use nst::formats::tfrecord::{ImageSource, StreamOptions};
use nst::math::rng::Rng;
use nst::math::tensor::Tensor4;
use nst::texture_net::{stylize, GeneratorConfig, TrainLoss, Trainer};
use std::path::PathBuf;

/// Train a feed-forward stylisation network (Ulyanov et al. 2016, §3.3): the generator
/// takes noise plus the content picture downsampled to each of its K = 6 scales, and
/// learns to minimise content loss (relu4_2) + α × style loss (relu1_1 … relu5_1) over
/// random crops of a pool of natural pictures. The seed notes that a small pool is
/// enough. Then: nst apply DIR photo.jpg -o out.png.
#[derive(clap::Args)]
#[command(after_help = crate::signals::HELP)]
pub struct Args {
    /// The style picture (PNG/JPEG).
    style: PathBuf,
    /// Training pictures: a folder of PNG/JPEG files, picture files, or TFRecord shards of
    /// tf.train.Example with image/encoded (as `nst data pack` writes them).
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    images: Vec<PathBuf>,
    /// α, the weight of the style loss against the content loss. Optimisation's ratio
    /// (1000) made the network ignore its content; 40 gives strong style, 5 a light one
    /// (docs/texture_results.md).
    #[arg(long, default_value_t = 40.0, value_parser = parse_loss_weight, allow_negative_numbers = true)]
    alpha: f64,
    /// Style layers, equally weighted.
    #[arg(long, default_value = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1")]
    style_layers: LayerList,
    /// Content layers, equally weighted.
    #[arg(long, default_value = "relu4_2")]
    content_layers: LayerList,
    /// Longest side of the style picture in pixels [default: twice the training size's
    /// longer side].
    #[arg(long, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    style_size: Option<usize>,
    /// Each training picture is scaled so its shorter side is N pixels, then a random crop
    /// of --size is taken [default: twice the training size's longer side].
    #[arg(long, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    image_side: Option<usize>,
    /// Amplitude of the noise inputs during training, U[0, s) [default: 1, or the
    /// checkpoint's].
    #[arg(long, value_parser = parse_positive, allow_negative_numbers = true, value_name = "S")]
    noise_scale: Option<f64>,
    #[command(flatten)]
    train: TrainArgs,
    #[command(flatten)]
    picture: PictureArgs,
}

fn equal(layers: &LayerList) -> Vec<(String, f64)> {
    let w = 1.0 / layers.0.len() as f64;
    layers.0.iter().map(|l| (l.clone(), w)).collect()
}

/// Batches of random crops from an [`ImageSource`].
struct Crops {
    source: ImageSource,
    rng: Rng,
    side: usize,
    size: (usize, usize),
    batch: usize,
    /// Skip messages already looked at, and those printed.
    warned: usize,
    named: std::collections::HashSet<String>,
}

impl Crops {
    /// Scale a picture so its shorter side is `side` (and both cover the crop), then
    /// crop at a random place.
    fn crop(&mut self, img: Array3<f32>) -> Array3<f32> {
        let (h, w, _) = img.dim();
        let (ch, cw) = self.size;
        let k = (self.side as f64 / h.min(w) as f64)
            .max(ch as f64 / h as f64)
            .max(cw as f64 / w as f64);
        let (nh, nw) = (
            ((h as f64 * k).round() as usize).max(ch),
            ((w as f64 * k).round() as usize).max(cw),
        );
        let img = nst::formats::image_io::resize(img.view(), nh, nw);
        let (y, x) = (self.rng.below(nh - ch + 1), self.rng.below(nw - cw + 1));
        img.slice(s![y..y + ch, x..x + cw, ..]).to_owned()
    }

    /// The next batch, (N, 3, H, W) RGB in [0, 1].
    fn next(&mut self) -> nst::Result<Tensor4<f32>> {
        let (h, w) = self.size;
        let mut out = Array4::<f32>::zeros((self.batch, 3, h, w));
        for i in 0..self.batch {
            let Some(img) = self.source.next_image()? else {
                nst::bail!("the training pictures ran out (no decodable picture?)");
            };
            // Pictures that looked whole but fail to decode: named once each.
            for m in &self.source.skip_messages()[self.warned..] {
                if self.named.insert(m.clone()) {
                    eprintln!("\nwarning: skipping {m}");
                }
            }
            self.warned = self.source.skip_messages().len();
            let c = self.crop(img);
            out.slice_mut(s![i, .., .., ..])
                .assign(&c.permuted_axes([2, 0, 1]));
        }
        Ok(out)
    }
}

pub fn run(args: Args) -> nst::Result<()> {
    let start = args
        .train
        .start(GeneratorConfig::stylization(), args.noise_scale)?;
    let (h, w) = start.options.size;
    let twice = 2 * h.max(w);
    let mut source = ImageSource::open(
        &args.images,
        StreamOptions {
            crop: None,
            shuffle: true,
            shuffle_buffer: 64,
            seed: start.options.seed ^ start.resumed.as_ref().map_or(0, |r| r.0.iteration as u64),
            repeat: true,
            skip_bad: true,
        },
    )?;
    // Unreadable pictures are named and dropped now, and counted in the pool's size.
    let pool = source.check_pictures();
    if let Some((total, bad)) = &pool {
        if bad.len() == *total {
            nst::bail!(
                "none of the {total} training picture(s) can be read (first: {})",
                bad[0]
            );
        }
        for b in bad {
            eprintln!("warning: skipping {b}");
        }
    }
    let (vgg, conv) = args.train.net.load()?;
    let style_rgb = args
        .picture
        .load(&args.style, Some(args.style_size.unwrap_or(twice)))?;
    let style = conv.preprocess(style_rgb.view());
    let loss = TrainLoss::stylization(
        vgg,
        conv,
        &style,
        &equal(&args.style_layers),
        &equal(&args.content_layers),
        args.alpha,
        (h, w),
    )
    .map_err(|e| nst::Error(format!("{}: {e}", args.style.display())))?;
    let mut crops = Crops {
        source,
        rng: Rng::new(start.options.seed ^ 0xC0FFEE),
        side: args.image_side.unwrap_or(twice),
        size: (h, w),
        batch: start.options.batch,
        warned: 0,
        named: Default::default(),
    };
    let mut trainer = match start.resumed.clone() {
        None => Trainer::new(start.generator.clone(), loss, start.options.clone())?,
        Some((state, _, _)) => {
            Trainer::resume(start.generator.clone(), loss, start.options.clone(), state)?
        }
    };
    announce("train-style", &start, &trainer);
    match &pool {
        Some((total, bad)) if bad.is_empty() => {
            eprintln!("train-style: a pool of {total} training pictures")
        }
        Some((total, bad)) => eprintln!(
            "train-style: a pool of {} training pictures ({} of {total} skipped: unreadable, named above)",
            total - bad.len(),
            bad.len()
        ),
        None => eprintln!("train-style: training pictures from TFRecord shards"),
    }
    // The preview stylises the first batch's first crop, at the training noise scale.
    let probe = crops.next()?;
    let probe_rgb: Array3<f32> = probe
        .slice(s![0, .., .., ..])
        .permuted_axes([1, 2, 0])
        .to_owned();
    let noise_scale = start.options.noise_scale;
    let preview = move |g: &nst::texture_net::Generator<f32>| {
        let out = stylize(g, probe_rgb.view(), noise_scale, 1, 0)?;
        Ok(
            ndarray::concatenate(ndarray::Axis(1), &[probe_rgb.view(), out.view()])
                .expect("same height"),
        )
    };
    let images: Vec<String> = args.images.iter().map(|p| path_setting(p)).collect();
    let settings = vec![
        ("task".to_string(), "stylisation".to_string()),
        ("style".to_string(), path_setting(&args.style)),
        ("images".to_string(), images.join(" ")),
        ("alpha".to_string(), args.alpha.to_string()),
        ("style_layers".to_string(), args.style_layers.0.join(",")),
        (
            "content_layers".to_string(),
            args.content_layers.0.join(","),
        ),
        (
            "style_size".to_string(),
            style_rgb.dim().0.max(style_rgb.dim().1).to_string(),
        ),
        ("image_side".to_string(), crops.side.to_string()),
        ("weights".to_string(), path_setting(&args.train.net.weights)),
    ];
    Loop {
        label: "train-style",
        args: &args.train,
        settings,
        preview: &preview,
    }
    .run(&mut trainer, || crops.next())?;
    Ok(())
}
