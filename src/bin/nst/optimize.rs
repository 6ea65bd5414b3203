//! The optimisation that `stylize`, `reconstruct` and `texture` share: its flags
//! ([`OptimArgs`]: optimiser, iterations, step, saving, logging), the starting picture
//! ([`Init`], [`initial`]) and the run itself ([`OptimArgs::drive`]: progress, the loss
//! log, intermediate pictures, Ctrl-C, the final save and report). The only module of
//! the binary that calls the library's optimisation loop.

use crate::parse::{parse_positive, parse_side};
use crate::progress::{interrupted, Progress};
use crate::runlog::RunLog;
use nst::gatys::{
    optimize_warm, Control, Ending, LossSpec, Objective, OptimizerChoice, PixelBounds,
};
use nst::loss::objective::TileGrid;
use nst::loss::Normalization;
use nst::math::rng::Rng;
use nst::math::tensor::Tensor4;
use nst::net::vgg::Vgg;
use nst::net::weights::Convention;
use nst::optim::LineSearch;
use nst::tools::memory::{Passes, Plan};
use std::path::{Path, PathBuf};

/// What to start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Init {
    /// White noise (Gatys et al.'s choice; slower to converge).
    Noise,
    /// The content picture (faster, keeps more structure).
    Content,
    /// The (first) style picture, resized to the output.
    Style,
}

/// Which optimiser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Optimizer {
    /// L-BFGS (quasi-Newton; Gatys' choice).
    Lbfgs,
    /// Adam (seed 002's choice).
    Adam,
    /// Plain gradient descent.
    Gd,
}

/// L-BFGS line search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Search {
    /// Fixed step of length --lr (neural-style; one evaluation per iteration); hands over
    /// to strong-wolfe, once, if it stalls or overshoots a second time.
    None,
    /// Strong Wolfe conditions (1–26 evaluations per iteration).
    StrongWolfe,
}

/// Optimisation flags shared by stylize, reconstruct and texture.
#[derive(clap::Args, Clone, Debug)]
pub struct OptimArgs {
    /// Starting picture [default: content for stylize, noise for reconstruct/texture].
    #[arg(long, value_enum)]
    pub init: Option<Init>,
    /// Seed for the noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Optimiser [default: lbfgs; adam under --loss seed002].
    #[arg(long, value_enum)]
    pub optimizer: Option<Optimizer>,
    /// Iterations [default: 300; 2000 under --loss seed002].
    #[arg(long, value_name = "N")]
    pub iterations: Option<usize>,
    /// Step size in network-input units (0–255 for the Caffe weights) [default: L-BFGS 1,
    /// Adam 10 (0.17 under seed002: its 0.003 converted from torchvision-normalised units),
    /// GD 1e-4].
    #[arg(long, value_parser = parse_positive, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// L-BFGS history size (curvature pairs kept; at most one per iteration, so a run or
    /// --scales stage of fewer iterations keeps, and plans memory for, only that many).
    #[arg(long, default_value_t = 100, value_name = "M")]
    pub lbfgs_history: usize,
    /// L-BFGS line search [default: none].
    #[arg(long, value_enum)]
    pub line_search: Option<Search>,
    /// Save the picture every N iterations as OUT_0100.png, … (0: never).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub save_every: usize,
    /// Print every loss term every N iterations and record them in --log (0: never).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub log_every: usize,
    /// Log file for --log-every: .csv or .jsonl [default: OUT.log.csv].
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Stop as soon as the loss is at or below this value (to time how long optimisation
    /// takes to reach a given loss).
    #[arg(long, value_parser = parse_positive, allow_negative_numbers = true, value_name = "LOSS")]
    pub target_loss: Option<f64>,
    /// Keep the picture's pixels inside [0, 1] while optimising (clamped after every
    /// iteration). Without it they may leave the range, which the loss does not forbid,
    /// and are clamped only when saved, which can change the saved picture's loss a lot.
    #[arg(long)]
    pub clamp: bool,
    #[command(flatten)]
    pub memory: MemoryArgs,
    /// Render coarse to fine: the longest sides of the stages, e.g. 512,1024,2048,3840
    /// (the last is the output's size, in place of --size's longest side). The first
    /// stage starts as --init says, each later one from the previous one's result,
    /// upsampled; each saves its own as OUT_s<side>.png.
    #[arg(long, value_name = "SIDE,SIDE,…", value_parser = parse_scales)]
    pub scales: Option<Scales>,
    /// Iterations of each --scales stage, e.g. 300,100,50,20 [default: --iterations for
    /// the first, then half as many at each finer stage, at least 10].
    #[arg(long, value_name = "N,N,…", value_parser = parse_scales)]
    pub scale_iterations: Option<Scales>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A comma-separated list of positive whole numbers (`--scales`, `--scale-iterations`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scales(pub Vec<usize>);

fn parse_scales(s: &str) -> Result<Scales, String> {
    let v: Result<Vec<usize>, String> = s.split(',').map(|p| parse_side(p.trim())).collect();
    Ok(Scales(v?))
}

/// The memory flags of every command that evaluates the loss: the budget and, to force
/// it, the tile size.
#[derive(clap::Args, Clone, Debug)]
pub struct MemoryArgs {
    /// Memory the run may use, e.g. 6G or 512M [default: what the machine has free].
    /// A picture that does not fit whole is optimised tile by tile, with the same
    /// result (book chapter 12), and with a shorter L-BFGS history if that is needed
    /// too; the run says what it chose.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub max_memory: Option<u64>,
    /// Evaluate the loss tile by tile with cores of about N pixels (rounded up to the
    /// deepest layer's stride, 16 for relu5_1), whatever the memory.
    #[arg(long, value_name = "N", value_parser = parse_side)]
    pub tile: Option<usize>,
}

impl MemoryArgs {
    /// How to fit the run into `--max-memory` (default: the machine's free memory):
    /// the whole picture at once, or tiles of the objective's layers and perhaps a
    /// shorter L-BFGS history (`tools::memory::plan_optimization`); `--tile` forces tiles.
    /// `grid`: the objective's tile grid (it wraps around for a tileable texture).
    /// L-BFGS keeps at most one curvature pair per iteration, so a history longer than
    /// the run's `iterations` is never filled: the plan counts (and the run keeps) no more
    /// pairs than that, with the same trajectory.
    pub fn plan(
        &self,
        asked: OptimizerChoice,
        (h, w): (usize, usize),
        grid: Option<&TileGrid>,
        passes: Passes,
        iterations: usize,
    ) -> nst::Result<Plan> {
        let choice = capped(&asked, iterations);
        let machine = nst::tools::memory::machine_memory();
        let budget = self.budget();
        let gb = |b: u64| b as f64 / (1u64 << 30) as f64;
        if let Some(m) = machine {
            if self.max_memory.is_some_and(|b| b > m.total_with_swap) {
                eprintln!(
                    "note: --max-memory {:.1}G is more than this machine has ({:.1} GB with swap)",
                    gb(budget),
                    gb(m.total_with_swap)
                );
            }
        }
        let plan = self.decide(&choice, (h, w), grid, passes, budget)?;
        if let (Some(g), Some(asked), Some(core)) = (grid, self.tile, plan.tile) {
            if core != asked {
                eprintln!(
                    "--tile {asked} rounded up to {core}, a multiple of {}",
                    g.align
                );
            }
        }
        {
            let history = |c: &OptimizerChoice| match c {
                OptimizerChoice::Lbfgs { history, .. } => Some(*history),
                _ => None,
            };
            let shortened = match (history(&asked), history(&choice), history(&plan.choice)) {
                (Some(a), Some(c), Some(b)) if c != b => {
                    format!(", L-BFGS history {b} (asked {a})")
                }
                _ => String::new(),
            };
            let how = match (plan.tile, grid) {
                (Some(core), Some(g)) => {
                    let (ch, cw) = TileGrid { core, ..*g }.largest_crop((h, w));
                    format!("tile by tile: cores of {core} px, crops up to {cw}×{ch} px")
                }
                _ => "whole".to_string(),
            };
            if plan.tile.is_some() || !shortened.is_empty() {
                eprintln!(
                    "memory: {w}×{h} {how}{shortened}; about {:.1} GB{}",
                    gb(plan.bytes),
                    if budget < u64::MAX {
                        format!(" of {:.1} GB allowed", gb(budget))
                    } else {
                        String::new()
                    }
                );
            }
        }
        Ok(plan)
    }

    /// The budget: `--max-memory`, else what the machine has free (unbounded where that
    /// is unknown).
    fn budget(&self) -> u64 {
        self.max_memory
            .or(nst::tools::memory::machine_memory().map(|m| m.available))
            .unwrap_or(u64::MAX)
    }

    /// [`MemoryArgs::plan`]'s decision without its report: `choice` (its history already
    /// capped by the iterations) as it fits `budget` ([`MemoryArgs::budget`]), whole or
    /// tile by tile. Silent with a grid; without one, the whole picture's check against
    /// the machine's memory may print a note (`common::ensure_fits`).
    fn decide(
        &self,
        choice: &OptimizerChoice,
        (h, w): (usize, usize),
        grid: Option<&TileGrid>,
        passes: Passes,
        budget: u64,
    ) -> nst::Result<Plan> {
        let gb = |b: u64| b as f64 / (1u64 << 30) as f64;
        Ok(match (grid, self.tile) {
            (Some(g), Some(core)) => {
                let grid = TileGrid {
                    core: core.div_ceil(g.align) * g.align,
                    ..*g
                };
                let bytes = nst::tools::memory::tiled_optimization_bytes(
                    h,
                    w,
                    choice.state_vectors(),
                    grid.largest_crop((h, w)),
                    passes,
                ) + nst::tools::memory::twin_bytes(g.wrap);
                Plan {
                    tile: Some(grid.core),
                    choice: choice.clone(),
                    bytes,
                    work: grid.work((h, w)),
                }
            }
            (Some(g), None) => {
                nst::tools::memory::plan_optimization((h, w), choice, g, passes, budget)?
            }
            (None, _) => {
                let bytes =
                    nst::tools::memory::optimization_bytes(h, w, choice.state_vectors(), passes);
                let what = format!("optimising a {w}×{h} picture");
                let advice = "use a smaller --size";
                match self.max_memory {
                    Some(b) if bytes > b => nst::bail!(
                        "{what} needs about {:.1} GB of memory and --max-memory allows {:.1} GB: {advice}",
                        gb(bytes),
                        gb(b)
                    ),
                    Some(_) => {}
                    None => crate::common::ensure_fits(bytes, &what, advice)?,
                }
                Plan {
                    tile: None,
                    choice: choice.clone(),
                    bytes,
                    work: 1.0,
                }
            }
        })
    }

    /// The objective under the memory plan for the optimiser `choice` over `iterations`:
    /// whole, or tile by tile ([`Objective::new_tiled`]); and the plan (its optimiser
    /// settings and estimate).
    #[allow(clippy::too_many_arguments)]
    pub fn objective<'a>(
        &self,
        choice: OptimizerChoice,
        vgg: &'a Vgg<f32>,
        spec: LossSpec,
        content: Option<&Tensor4<f32>>,
        styles: &[(Tensor4<f32>, f64)],
        hw: (usize, usize),
        tileable: bool,
        iterations: usize,
    ) -> nst::Result<(Objective<'a>, Plan)> {
        let grid = grid_of(vgg, &spec, tileable)?;
        let passes = Passes::of(content.is_some());
        let plan = self.plan(choice, hw, grid.as_ref(), passes, iterations)?;
        let obj = match plan.tile {
            None => Objective::new(vgg, spec, content, styles, hw)?,
            Some(core) => Objective::new_tiled(vgg, spec, content, styles, hw, core)?,
        };
        Ok((obj, plan))
    }
}

/// `asked` with L-BFGS's history no longer than `iterations`: one curvature pair is kept
/// per iteration, so a longer history is never filled.
fn capped(asked: &OptimizerChoice, iterations: usize) -> OptimizerChoice {
    match asked {
        OptimizerChoice::Lbfgs { history, .. } => {
            asked.with_history((*history).min(iterations.max(1)))
        }
        _ => asked.clone(),
    }
}

/// The tile grid of `spec`'s layers in `vgg` (`None` when they cannot be tiled). A
/// tileable texture is optimised through the circularly padded twin of `vgg`
/// (`Objective::set_network`): its tiles wrap around the picture.
fn grid_of(vgg: &Vgg<f32>, spec: &LossSpec, tileable: bool) -> nst::Result<Option<TileGrid>> {
    let names: Vec<&String> = spec
        .content_layers
        .iter()
        .chain(&spec.style_layers)
        .map(|(n, _)| n)
        .collect();
    let taps = vgg.layer_indices(&names)?;
    Ok(TileGrid::for_layers(vgg, &taps, 16).ok().map(|g| TileGrid {
        wrap: tileable,
        ..g
    }))
}

/// `--max-memory`'s value: `6G`, `512M`, … ([`nst::tools::memory::parse_size`]).
fn parse_memory(s: &str) -> Result<u64, String> {
    nst::tools::memory::parse_size(s).map_err(|e| e.0)
}

impl OptimArgs {
    // ANCHOR: optimizer_choice
    /// The optimiser with its defaults filled in.
    pub fn choice(&self, norm: Normalization) -> OptimizerChoice {
        let opt = self.optimizer.unwrap_or(if norm == Normalization::Seed002 {
            Optimizer::Adam
        } else {
            Optimizer::Lbfgs
        });
        match opt {
            Optimizer::Lbfgs => OptimizerChoice::Lbfgs {
                history: self.lbfgs_history,
                lr: self.lr.unwrap_or(1.0),
                line_search: match self.line_search.unwrap_or(Search::None) {
                    Search::None => LineSearch::None,
                    Search::StrongWolfe => LineSearch::StrongWolfe,
                },
            },
            Optimizer::Adam => {
                let (lr, b1) = match norm {
                    // 0.003 in torchvision-normalised units is 0.003·255·0.226 ≈ 0.17 here.
                    Normalization::Seed002 => (0.17, 0.5),
                    Normalization::Gatys => (10.0, 0.9),
                };
                OptimizerChoice::Adam {
                    lr: self.lr.unwrap_or(lr),
                    beta1: b1,
                    beta2: 0.999,
                }
            }
            Optimizer::Gd => OptimizerChoice::Gd {
                lr: self.lr.unwrap_or(1e-4),
            },
        }
    }
    // ANCHOR_END: optimizer_choice

    /// The run's objective under its memory plan ([`MemoryArgs::objective`]) for this
    /// run's optimiser over `iterations`.
    #[allow(clippy::too_many_arguments)]
    pub fn objective<'a>(
        &self,
        vgg: &'a Vgg<f32>,
        spec: LossSpec,
        content: Option<&Tensor4<f32>>,
        styles: &[(Tensor4<f32>, f64)],
        hw: (usize, usize),
        tileable: bool,
        iterations: usize,
    ) -> nst::Result<(Objective<'a>, Plan)> {
        let choice = self.choice(spec.norm);
        self.memory
            .objective(choice, vgg, spec, content, styles, hw, tileable, iterations)
    }

    /// What one evaluation of a stage of `(h, w)` pixels over `iterations` will cost, in
    /// evaluations of the whole picture, as its memory plan will have it ([`Plan::work`]:
    /// 1 whole, more tile by tile): what the ETA of a `--scales` run weighs a later
    /// stage's pixels by. A stage that fits no plan counts as 1 (it will say so when it
    /// starts). The budget is read now, as the stage will read it then.
    pub fn work_ahead<'v>(
        &'v self,
        vgg: &Vgg<f32>,
        spec: &LossSpec,
        has_content: bool,
        tileable: bool,
    ) -> nst::Result<impl Fn((usize, usize), usize) -> f64 + 'v> {
        let grid = grid_of(vgg, spec, tileable)?;
        let choice = self.choice(spec.norm);
        let passes = Passes::of(has_content);
        // Without a grid, every plan is the whole picture.
        Ok(move |hw: (usize, usize), iterations: usize| match &grid {
            None => 1.0,
            Some(g) => self
                .memory
                .decide(
                    &capped(&choice, iterations),
                    hw,
                    Some(g),
                    passes,
                    self.memory.budget(),
                )
                .map_or(1.0, |plan| plan.work),
        })
    }

    /// Check, before any work, that the picture (and the loss log, if one is asked
    /// for) can be written: extension, folder, permission.
    pub fn check_outputs(&self, output: &Path) -> nst::Result<()> {
        nst::formats::image_io::check_output(output)?;
        if self.log_every > 0 {
            let log = self
                .log
                .clone()
                .unwrap_or_else(|| with_suffix(output, ".log.csv"));
            nst::formats::files::check_writable(&log)?;
        }
        Ok(())
    }

    /// The stages of the run: `(longest side, iterations)`, one stage of `size` unless
    /// `--scales` asks for several. Checks that the scales increase and that
    /// `--scale-iterations` has one count per scale.
    pub fn stages(&self, size: usize, norm: Normalization) -> nst::Result<Vec<(usize, usize)>> {
        let first = self.iterations(norm);
        let Some(Scales(scales)) = &self.scales else {
            if self.scale_iterations.is_some() {
                nst::bail!("--scale-iterations needs --scales");
            }
            return Ok(vec![(size, first)]);
        };
        if let Some(w) = scales.windows(2).find(|w| w[1] <= w[0]) {
            nst::bail!(
                "--scales must increase, coarse to fine: {} comes after {}",
                w[1],
                w[0]
            );
        }
        let iterations = match &self.scale_iterations {
            Some(Scales(its)) if its.len() == scales.len() => its.clone(),
            Some(Scales(its)) => nst::bail!(
                "--scale-iterations has {} count(s) but --scales has {} stage(s)",
                its.len(),
                scales.len()
            ),
            None => (0..scales.len())
                .map(|k| (first >> k).max(first.min(10)))
                .collect(),
        };
        Ok(scales.iter().copied().zip(iterations).collect())
    }

    /// Iterations with the preset's default.
    pub fn iterations(&self, norm: Normalization) -> usize {
        self.iterations
            .unwrap_or(if norm == Normalization::Seed002 {
                2000
            } else {
                300
            })
    }

    /// Run the optimisation with progress, logging, intermediate saves and Ctrl-C, then
    /// save the result through `finish` (which may post-process it). `warm` starts L-BFGS
    /// from a coarser stage's curvature scale ([`nst::gatys::optimize_warm`]). Returns the
    /// result and L-BFGS's curvature scale at the end, or an error after saving when the
    /// loss became NaN.
    #[allow(clippy::too_many_arguments)]
    pub fn drive(
        &self,
        label: &str,
        obj: &Objective,
        choice: &OptimizerChoice,
        iterations: usize,
        x0: Tensor4<f32>,
        warm: Option<f64>,
        output: &Path,
        conv: &nst::net::weights::Convention,
        finish: &dyn Fn(&Tensor4<f32>) -> ndarray::Array3<f32>,
    ) -> nst::Result<(Tensor4<f32>, Option<f64>)> {
        crate::signals::install();
        let choice = choice.clone();
        let log_path = self
            .log
            .clone()
            .unwrap_or_else(|| with_suffix(output, ".log.csv"));
        let mut log = if self.log_every > 0 {
            Some(RunLog::create(&log_path)?)
        } else {
            None
        };
        // The loss must be finite where the run starts (weights too large for f32 are
        // refused here, naming the flag and its range, not at iteration 1).
        obj.check_start(&x0)?;
        let mut progress = Progress::new(label, iterations, self.quiet);
        eprintln!(
            "{label}: {iterations} iterations of {choice:?} on a {}×{} picture",
            obj.shape().1,
            obj.shape().0
        );
        let mut save_error = None;
        let mut reached = None;
        let bounds = self.clamp.then(|| PixelBounds::of(conv));
        let outcome = optimize_warm(obj, x0, &choice, warm, iterations, bounds.as_ref(), |it| {
            progress.update(it.iter, &format!("loss {:.4e}", it.terms.total));
            if self.log_every > 0 && (it.iter % self.log_every == 0 || it.iter == 1) {
                let line = crate::runlog::describe(it.iter, it.terms);
                if let Some(log) = log.as_mut() {
                    if let Err(e) = log.row(it.iter, it.evals, progress.elapsed(), it.terms) {
                        save_error.get_or_insert(e);
                    }
                }
                progress.finish();
                eprintln!("{line}");
            }
            if self.save_every > 0 && it.iter % self.save_every == 0 {
                let path = numbered(output, it.iter);
                if let Err(e) = nst::formats::image_io::save_rgb(&path, finish(it.x).view()) {
                    save_error.get_or_insert(e);
                }
            }
            if self.target_loss.is_some_and(|t| it.terms.total <= t) {
                reached = Some((it.iter, progress.elapsed()));
                Control::Stop
            } else if interrupted() || save_error.is_some() {
                Control::Stop
            } else {
                Control::Continue
            }
        });
        progress.finish();
        if let Some(e) = save_error {
            return Err(e);
        }
        nst::formats::image_io::save_rgb(output, finish(&outcome.x).view())?;
        let secs = progress.elapsed();
        let t = &outcome.terms;
        eprintln!(
            "{label}: {} iterations ({} evaluations) in {:.1}s, {:.2}s/iteration; loss {:.4e} (content {:.4e}, style {:.4e}, tv {:.4e})",
            outcome.iterations,
            outcome.evals,
            secs,
            secs / outcome.iterations.max(1) as f64,
            t.total,
            t.content,
            t.style,
            t.tv
        );
        if let Some(i) = outcome.searched_from {
            eprintln!(
                "note: L-BFGS's fixed steps stalled or kept overshooting by iteration {i}; \
                 it started again from there with the strong-Wolfe line search (see \
                 `--line-search`)"
            );
        }
        match outcome.ending {
            Ending::Finished => eprintln!("saved {}", output.display()),
            Ending::Converged(why) => eprintln!("converged early ({why}); saved {}", output.display()),
            Ending::Stopped => match reached {
                Some((i, secs)) => eprintln!(
                    "reached the target loss at iteration {i} after {secs:.2}s of optimisation; saved {}",
                    output.display()
                ),
                None => eprintln!("interrupted at iteration {}; saved {}", outcome.iterations, output.display()),
            },
            Ending::NonFinite(i) => nst::bail!(
                "the loss became NaN or infinite at iteration {i}; saved the last good picture (iteration {}) to {}",
                outcome.iterations,
                output.display()
            ),
        }
        if log.is_some() {
            eprintln!("loss log: {}", log_path.display());
        }
        if !self.clamp {
            let (_, _, h, w) = outcome.x.dim();
            let x = outcome.x.as_slice().expect("contiguous");
            let out = PixelBounds::of(conv).outside(x, h * w);
            if out > 0.001 {
                eprintln!(
                    "note: {:.1} % of the picture's values were outside [0, 1] and were clamped \
                     when saving, so the saved picture's loss is higher than the one above \
                     (`--clamp` keeps them inside while optimising)",
                    100.0 * out
                );
            }
        }
        Ok((outcome.x, outcome.curvature_scale))
    }
}

/// `out.png` → `out_0100.png`.
pub fn numbered(path: &Path, iter: usize) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!("{stem}_{iter:04}{ext}"))
}

/// `out.png` + `.log.csv` → `out.log.csv`.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!("{stem}{suffix}"))
}

// ANCHOR: initial
/// The starting picture in network space.
pub fn initial(
    init: Init,
    shape: (usize, usize),
    content: Option<&Tensor4<f32>>,
    style_rgb: Option<&ndarray::Array3<f32>>,
    conv: &Convention,
    seed: u64,
) -> nst::Result<Tensor4<f32>> {
    let (h, w) = shape;
    Ok(match init {
        Init::Content => match content {
            Some(c) => c.clone(),
            None => nst::bail!("--init content needs a content picture"),
        },
        Init::Noise => {
            // White noise in RGB [0,1], mapped to the network's input space.
            let rgb: ndarray::Array3<f32> = Rng::new(seed).uniform_array((h, w, 3), 0.0, 1.0);
            conv.preprocess(rgb.view())
        }
        Init::Style => match style_rgb {
            Some(s) => conv.preprocess(nst::formats::image_io::resize(s.view(), h, w).view()),
            None => nst::bail!("--init style needs a style picture"),
        },
    })
}
// ANCHOR_END: initial
