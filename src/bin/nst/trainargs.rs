//! Flags and the training loop shared by `train-texture` and `train-style`: schedule,
//! architecture, checkpoints, resuming, progress, the loss log and Ctrl-C.

use crate::common::NetArgs;
use crate::parse::{parse_count, parse_positive, parse_size};
use crate::progress::{fmt_duration, interrupted, Progress};
use crate::runlog::RunLog;
use nst::gatys::Control;
use nst::layers::Activation;
use nst::math::im2col::Padding;
use nst::math::tensor::Tensor4;
use nst::texture_net::checkpoint::{
    list_checkpoints, load_checkpoint, load_newest, save_checkpoint, save_model, Checkpoint,
};
use nst::texture_net::{
    Generator, GeneratorConfig, NormKind, Schedule, StepReport, TrainOptions, TrainState, Trainer,
};
use std::path::{Path, PathBuf};

/// A checkpoint picked up by `--resume`: its state, its settings, and its folder.
pub type Resumed = (TrainState<f32>, Vec<(String, String)>, PathBuf);

/// Training flags common to both kinds of generator.
#[derive(clap::Args, Clone, Debug)]
pub struct TrainArgs {
    /// Training folder: checkpoints (ckpt-NNNNNN/), the loss log, preview.png and, at the
    /// end, the trained generator (model/) that `nst generate`/`nst apply` read.
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,
    /// Size of the training pictures: N (square) or WxH; multiples of 2^(K−1) (16 for
    /// textures, 32 for stylisation) [default: 256, or the checkpoint's on --resume].
    #[arg(long, value_parser = parse_size, allow_negative_numbers = true)]
    pub size: Option<(usize, usize)>,
    /// Pictures per batch [default: 16, or the checkpoint's].
    #[arg(long, value_parser = parse_count, allow_negative_numbers = true, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Total iterations (counting those already done when resuming) [default: 2000, or
    /// the checkpoint's].
    #[arg(long, value_parser = parse_count, allow_negative_numbers = true, value_name = "N")]
    pub iterations: Option<usize>,
    /// Adam's initial learning rate [default: 0.1, or the checkpoint's].
    #[arg(long, value_parser = parse_positive, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Last iteration at the initial learning rate [default: 1000, or the checkpoint's].
    #[arg(long, value_name = "N")]
    pub decay_start: Option<usize>,
    /// Iterations between learning-rate decays, 0 for none [default: 200, or the
    /// checkpoint's].
    #[arg(long, value_name = "N")]
    pub decay_every: Option<usize>,
    /// Factor of each learning-rate decay [default: 0.7, or the checkpoint's].
    #[arg(long, value_parser = parse_positive, allow_negative_numbers = true, value_name = "F")]
    pub decay_factor: Option<f64>,
    /// Seed of the initial weights (Xavier) and of the noise [default: 0, or the
    /// checkpoint's].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write a checkpoint every N iterations (and on Ctrl-C, and at the end); the newest
    /// two are kept.
    #[arg(long, default_value_t = 200, value_parser = parse_count, value_name = "N")]
    pub save_every: usize,
    /// Record the loss terms every N iterations in the log (0: never).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub log_every: usize,
    /// Loss log, .csv or .jsonl; appended to when resuming [default: DIR/train.log.csv].
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Continue the run in DIR from its newest checkpoint. Flags given now override the
    /// checkpoint's settings (e.g. more --iterations); the architecture cannot change.
    #[arg(long)]
    pub resume: bool,
    /// Continue from this checkpoint folder (e.g. DIR/ckpt-000400) rather than the newest.
    #[arg(long, value_name = "CKPT", conflicts_with = "resume")]
    pub resume_from: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub arch: ArchArgs,
    #[command(flatten)]
    pub net: NetArgs,
}

/// The generator's architecture (new runs only).
#[derive(clap::Args, Clone, Debug)]
pub struct ArchArgs {
    /// K, the number of scales [default: 5 for textures, 6 for stylisation].
    #[arg(long, value_name = "K")]
    pub scales: Option<usize>,
    /// Channels of each branch; the finest join has K times as many [default: 8].
    #[arg(long, value_name = "N")]
    pub channels: Option<usize>,
    /// Normalization: batch (the 2016 paper) or instance (Improved Texture Networks)
    /// [default: batch].
    #[arg(long)]
    pub norm: Option<NormKind>,
    /// Nonlinearity: relu, leaky_relu or leaky_relu:<slope> [default: relu].
    #[arg(long)]
    pub activation: Option<Activation>,
    /// Padding of the 3×3 convolutions: circular (outputs tile seamlessly) or zero
    /// [default: circular].
    #[arg(long)]
    pub padding: Option<Padding>,
}

impl ArchArgs {
    fn given(&self) -> bool {
        self.scales.is_some()
            || self.channels.is_some()
            || self.norm.is_some()
            || self.activation.is_some()
            || self.padding.is_some()
    }

    fn config(&self, base: GeneratorConfig) -> GeneratorConfig {
        GeneratorConfig {
            scales: self.scales.unwrap_or(base.scales),
            branch_channels: self.channels.unwrap_or(base.branch_channels),
            norm: self.norm.unwrap_or(base.norm),
            activation: self.activation.unwrap_or(base.activation),
            padding: self.padding.unwrap_or(base.padding),
            ..base
        }
    }
}

/// Where a run starts: a fresh generator or a checkpoint.
pub struct Start {
    /// The generator to train.
    pub generator: Generator<f32>,
    /// Options after defaults, the checkpoint's values and the flags.
    pub options: TrainOptions,
    /// The checkpoint's state and settings, when resuming.
    pub resumed: Option<Resumed>,
}

impl TrainArgs {
    /// Fresh run or resume; options filled in from flags, then the checkpoint, then the
    /// seed's defaults. `noise_scale` is `--noise-scale` if the command has it and it was
    /// given (`None` otherwise). Fails before any long work on a bad combination.
    pub fn start(&self, base: GeneratorConfig, noise_scale: Option<f64>) -> nst::Result<Start> {
        let ckpt: Option<Checkpoint<f32>> = if let Some(dir) = &self.resume_from {
            Some(load_checkpoint(dir)?)
        } else if self.resume {
            Some(load_newest(&self.output)?)
        } else {
            if self.output.is_dir() {
                if let Some((_, c)) = list_checkpoints(&self.output)?.first() {
                    nst::bail!(
                        "{} already holds a training run ({}): continue it with --resume, or \
                         choose another -o folder",
                        self.output.display(),
                        c.display()
                    );
                }
            }
            None
        };
        if ckpt.is_some() && self.arch.given() {
            nst::bail!(
                "the architecture flags (--scales, --channels, --norm, --activation, --padding) \
                 cannot change when resuming: the checkpoint's generator is kept"
            );
        }
        // Each option: the flag if given, else the checkpoint's value when resuming, else
        // the default of a new run (the only place the code holds these defaults; the
        // flags' help quotes them).
        let defaults = TrainOptions {
            size: (256, 256),
            batch: 16,
            schedule: Schedule::seed001(),
            seed: 0,
            noise_scale: 1.0,
        };
        let p = ckpt.as_ref().map_or(&defaults, |c| &c.options);
        let options = TrainOptions {
            size: self.size.unwrap_or(p.size),
            batch: self.batch_size.unwrap_or(p.batch),
            seed: self.seed.unwrap_or(p.seed),
            noise_scale: noise_scale.unwrap_or(p.noise_scale),
            schedule: Schedule {
                lr: self.lr.unwrap_or(p.schedule.lr),
                iterations: self.iterations.unwrap_or(p.schedule.iterations),
                decay_start: self.decay_start.unwrap_or(p.schedule.decay_start),
                decay_every: self.decay_every.unwrap_or(p.schedule.decay_every),
                decay_factor: self.decay_factor.unwrap_or(p.schedule.decay_factor),
            },
        };
        options.schedule.validate()?;
        // The training folder (or the folder it will be made in) must be writable before
        // any work; nothing is created yet.
        let mut existing = self.output.as_path();
        while !existing.as_os_str().is_empty() && !existing.exists() {
            existing = existing.parent().unwrap_or(Path::new(""));
        }
        if existing.as_os_str().is_empty() {
            existing = Path::new(".");
        }
        if !existing.is_dir() {
            nst::bail!(
                "cannot make the training folder {}: {} is a file",
                self.output.display(),
                existing.display()
            );
        }
        nst::formats::files::check_writable(&existing.join("preview.png")).map_err(|e| {
            nst::Error(format!(
                "cannot make the training folder {}: {e}",
                self.output.display()
            ))
        })?;
        let (h, w) = options.size;
        let needed = nst::tools::memory::training_bytes(h, w, options.batch);
        let what = format!(
            "training on batches of {} pictures of {w}×{h}",
            options.batch
        );
        crate::common::ensure_fits(needed, &what, "use a smaller --size or --batch-size")?;
        match ckpt {
            Some(c) => {
                c.generator
                    .config()
                    .check_size(options.size.0, options.size.1)?;
                if c.generator.config().content_channels != base.content_channels {
                    nst::bail!(
                        "{} holds a {} generator, not a {} one",
                        c.dir.display(),
                        kind(c.generator.config()),
                        kind(&base)
                    );
                }
                Ok(Start {
                    generator: c.generator,
                    options,
                    resumed: Some((c.state, c.settings, c.dir)),
                })
            }
            None => {
                let config = self.arch.config(base);
                config.validate()?;
                config.check_size(options.size.0, options.size.1)?;
                Ok(Start {
                    generator: Generator::new(config, options.seed)?,
                    options,
                    resumed: None,
                })
            }
        }
    }
}

/// `texture` or `stylisation`.
pub fn kind(c: &GeneratorConfig) -> &'static str {
    if c.content_channels > 0 {
        "stylisation"
    } else {
        "texture"
    }
}

/// What the loop does besides training.
pub struct Loop<'a> {
    /// `train-texture` / `train-style`.
    pub label: &'a str,
    /// The command's flags.
    pub args: &'a TrainArgs,
    /// `key = value` settings stored in every checkpoint and in model/training.txt.
    pub settings: Vec<(String, String)>,
    /// Picture written as DIR/preview.png at every checkpoint.
    pub preview: &'a dyn Fn(&Generator<f32>) -> nst::Result<ndarray::Array3<f32>>,
}

impl Loop<'_> {
    /// Train to the end of the schedule or Ctrl-C, checkpointing as asked; write the
    /// final model when the schedule ends. Returns whether it ended.
    pub fn run(
        &self,
        trainer: &mut Trainer<f32>,
        content: impl FnMut() -> nst::Result<Tensor4<f32>>,
    ) -> nst::Result<bool> {
        crate::signals::install();
        let args = self.args;
        let dir = &args.output;
        std::fs::create_dir_all(dir)
            .map_err(|e| nst::Error(format!("cannot create folder {}: {e}", dir.display())))?;
        let log_path = args
            .log
            .clone()
            .unwrap_or_else(|| dir.join("train.log.csv"));
        let mut log = if args.log_every > 0 {
            Some(RunLog::append(&log_path)?)
        } else {
            None
        };
        let first = trainer.iteration();
        let total = trainer.options().schedule.iterations;
        let mut progress = Progress::new(self.label, total.saturating_sub(first), args.quiet);
        let mut last_saved = first;
        let finished = trainer.run(content, |r: &StepReport, t: &Trainer<f32>| {
            progress.update(
                r.iteration - first,
                &format!(
                    "it {}/{total} loss {:.4e} lr {:.3}",
                    r.iteration, r.terms.total, r.lr
                ),
            );
            if let Some(log) = log.as_mut() {
                if r.iteration % args.log_every == 0
                    || r.iteration == first + 1
                    || r.iteration == total
                {
                    log.row(r.iteration, r.iteration, progress.elapsed(), &r.terms)?;
                }
            }
            let stop = interrupted();
            if r.iteration % args.save_every == 0 || stop {
                self.checkpoint(t, &mut progress)?;
                last_saved = r.iteration;
            }
            Ok(if stop {
                Control::Stop
            } else {
                Control::Continue
            })
        })?;
        progress.finish();
        if last_saved != trainer.iteration() {
            self.checkpoint(trainer, &mut progress)?;
        }
        let secs = progress.elapsed();
        let done = trainer.iteration() - first;
        eprintln!(
            "{}: {done} iterations in {} ({:.2} s/iteration)",
            self.label,
            fmt_duration(secs),
            secs / done.max(1) as f64
        );
        if finished {
            let text: String = self
                .settings
                .iter()
                .map(|(k, v)| format!("{k} = {v}\n"))
                .collect();
            let m = save_model(dir, trainer.generator(), &text)?;
            eprintln!("trained model: {}", m.display());
        } else {
            eprintln!(
                "interrupted at iteration {}; continue with: nst {} … -o {} --resume",
                trainer.iteration(),
                self.label,
                dir.display()
            );
        }
        if log.is_some() {
            eprintln!("loss log: {}", log_path.display());
        }
        Ok(finished)
    }

    fn checkpoint(&self, t: &Trainer<f32>, progress: &mut Progress) -> nst::Result<()> {
        let dir = &self.args.output;
        let c = save_checkpoint(dir, t, &self.settings)?;
        let preview = (self.preview)(t.generator())?;
        nst::formats::image_io::save_rgb(&dir.join("preview.png"), preview.view())?;
        if !self.args.quiet {
            progress.finish();
            eprintln!("checkpoint {} (iteration {})", c.display(), t.iteration());
        }
        Ok(())
    }
}

/// Print what is about to happen.
pub fn announce(label: &str, start: &Start, trainer: &Trainer<f32>) {
    let o = trainer.options();
    let s = &o.schedule;
    if let Some((_, _, dir)) = &start.resumed {
        eprintln!(
            "{label}: resuming from {} at iteration {}",
            dir.display(),
            trainer.iteration()
        );
    }
    eprintln!(
        "{label}: {} generator, K = {}, {} parameters; {}×{} pictures, batches of {}; \
         Adam lr {} (×{} every {} after {}), {} iterations",
        kind(trainer.generator().config()),
        trainer.generator().config().scales,
        trainer.generator().parameter_count(),
        o.size.1,
        o.size.0,
        o.batch,
        s.lr,
        s.decay_factor,
        s.decay_every,
        s.decay_start,
        s.iterations
    );
}

/// `path` as text for the settings file.
pub fn path_setting(p: &Path) -> String {
    p.display().to_string()
}
