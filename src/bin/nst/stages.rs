//! Coarse to fine (`--scales`): the stage loop that `stylize`, `texture` and `reconstruct`
//! share. Each stage has its own objective (and memory plan) for its size; the first
//! starts from the command's starting picture, each later one from the previous stage's
//! result, upsampled. A stage's result is saved as `OUT_s<side>.png` (the last one as
//! `OUT`), with progress, an ETA and the stage's peak memory; Ctrl-C saves the stage it
//! is in and ends the run.

use crate::optimize::{with_suffix, OptimArgs};
use crate::progress::{fmt_duration, interrupted};
use nst::gatys::Objective;
use nst::math::tensor::Tensor4;
use nst::net::weights::Convention;
use nst::tools::memory::Plan;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A stage's network-space result → the RGB picture saved (post-processing included).
pub type Finish<'a> = Box<dyn Fn(&Tensor4<f32>) -> ndarray::Array3<f32> + 'a>;

/// One stage, as the command builds it for the stage's longest side.
pub struct Stage<'a, D> {
    /// The loss at this stage's size, under its memory plan.
    pub obj: Objective<'a>,
    /// The plan: its optimiser settings and memory estimate.
    pub plan: Plan,
    /// The picture to save, from the network-space result.
    pub finish: Finish<'a>,
    /// What the command needs to make its starting picture (used at the first stage).
    pub data: D,
}

/// Run `stages` (`(longest side, iterations)`, from [`OptimArgs::stages`]) coarse to
/// fine. `build` makes a stage's objective for a side and its iterations; `first` makes
/// the picture the first stage starts from; `work` tells what an evaluation of a later
/// stage of `(h, w)` over its iterations will cost, in whole-picture evaluations
/// ([`OptimArgs::work_ahead`]), for the ETA. One stage is a plain run of
/// [`OptimArgs::drive`] labelled `name`, saved to `output`.
#[allow(clippy::too_many_arguments)]
pub fn run<'a, D>(
    args: &OptimArgs,
    name: &str,
    stages: &[(usize, usize)],
    output: &Path,
    conv: &Convention,
    mut build: impl FnMut(usize, usize) -> nst::Result<Stage<'a, D>>,
    first: impl FnOnce(&Stage<'a, D>) -> nst::Result<Tensor4<f32>>,
    work: impl Fn((usize, usize), usize) -> f64,
) -> nst::Result<()> {
    let many = stages.len() > 1;
    let started = Instant::now();
    let mut first = Some(first);
    // The previous stage's result (RGB) and its speed: seconds per iteration per pixel
    // of a whole-picture evaluation (a tiled stage's time divided by its plan's work).
    let mut previous: Option<(ndarray::Array3<f32>, f64)> = None;
    // The previous stage's L-BFGS curvature scale and pixel count.
    let mut curvature: Option<(f64, usize)> = None;
    // The largest of the stages' peaks, in MB.
    let mut peak = 0f64;
    for (k, &(side, iterations)) in stages.iter().enumerate() {
        if k > 0 {
            // The last stage's freed memory goes back to the kernel, and the process's
            // peak starts afresh: what this stage reports is its own.
            crate::malloc::release_free_memory();
            reset_peak_memory();
        }
        let stage = build(side, iterations)?;
        let (h, w) = stage.obj.shape();
        let x0 = match (&previous, first.take()) {
            // Coarse to fine: the last stage's picture, upsampled; around the picture's
            // edges too when it wraps (a tileable texture), or the seam it leaves there
            // would outlast the stage's few iterations.
            (Some((rgb, _)), _) => {
                let up = if nst::loss::objective::tiled::wraps(stage.obj.network()) {
                    nst::formats::image_io::resize_wrapped(rgb.view(), h, w)
                } else {
                    nst::formats::image_io::resize(rgb.view(), h, w)
                };
                conv.preprocess(up.view())
            }
            (None, Some(first)) => first(&stage)?,
            (None, None) => nst::bail!("internal: no starting picture for stage {}", k + 1),
        };
        let last = k + 1 == stages.len();
        let out = if last {
            output.to_path_buf()
        } else {
            stage_path(output, side)
        };
        let label = if many {
            // This stage's work is its plan's; a later one's, what its plan will be.
            let eta = previous.as_ref().map(|&(_, per)| {
                stages[k..]
                    .iter()
                    .enumerate()
                    .map(|(j, &(s, n))| {
                        let (sh, sw) = nst::formats::image_io::longest_side_dims(h, w, s);
                        let cost = if j == 0 {
                            stage.plan.work
                        } else {
                            work((sh, sw), n)
                        };
                        per * (sh * sw) as f64 * n as f64 * cost
                    })
                    .sum::<f64>()
            });
            eprintln!(
                "stage {}/{}: {w}×{h}, {iterations} iterations; {} so far{}",
                k + 1,
                stages.len(),
                fmt_duration(started.elapsed().as_secs_f64()),
                eta.map_or(String::new(), |e| format!(
                    ", about {} to go (at the last stage's speed per pixel, tiled stages weighed by their work)",
                    fmt_duration(e)
                ))
            );
            format!("{name} {}/{} ({side} px)", k + 1, stages.len())
        } else {
            name.to_string()
        };
        let t = Instant::now();
        let warm = curvature.map(|(scale, pixels)| nst::gatys::warm_scale(scale, pixels, h * w));
        if let Some(g) = warm {
            eprintln!(
                "stage {}/{}: L-BFGS starts warm, its first step scaled from the last stage's curvature (γ₀ = {g:.3e})",
                k + 1,
                stages.len()
            );
        }
        let (x, scale) = args.drive(
            &label,
            &stage.obj,
            &stage.plan.choice,
            iterations,
            x0,
            warm,
            &out,
            conv,
            &*stage.finish,
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
                    stage.plan.bytes as f64 / (1u64 << 20) as f64
                );
                peak = peak.max(mb);
            }
        }
        let per =
            t.elapsed().as_secs_f64() / ((iterations.max(1) * h * w) as f64 * stage.plan.work);
        previous = Some((conv.deprocess(x.view()), per));
        curvature = scale.map(|s| (s, h * w));
    }
    if many && !interrupted() {
        eprintln!(
            "{} stages in {}{}",
            stages.len(),
            fmt_duration(started.elapsed().as_secs_f64()),
            if peak > 0.0 {
                format!(", peak memory {peak:.0} MB (the largest stage's)")
            } else {
                String::new()
            }
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
pub fn stage_path(output: &Path, side: usize) -> PathBuf {
    let ext = output
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    with_suffix(output, &format!("_s{side}{ext}"))
}
