//! Will a run fit in this machine's memory? An estimate made before the run starts, so
//! that a picture too large for the machine fails at once with one line, instead of the
//! kernel killing the process minutes into the work.
//!
//! Optimising a picture holds VGG16's weights, the activations its backward pass needs,
//! the tapped features and targets, and the optimiser's state. All but the weights grow
//! with the picture's area, so the estimate is `base + pixels × bytes per pixel`, with
//! the VGG part measured (peak RSS of `nst stylize --iterations 2` at 256, 512 and 1024
//! px: 304, 493 and 1185 MiB for 49 K, 197 K and 786 K pixels, 1.10–1.19 KB per pixel
//! over the 246 MiB of [`BASE_BYTES`] and the Winograd kernels and the optimiser's 11
//! vectors) and the optimiser's part counted: each state vector is one value per pixel
//! and channel, 12 bytes per pixel in `f32`. With L-BFGS's default history of 100 that
//! is 2.5 KB per pixel more (207 vectors); `docs/performance.md` has the measured peaks
//! it predicts.

use crate::bail;
use crate::error::Result;

/// Bytes per output pixel of VGG16's forward and backward passes to relu5_1 with their
/// caches (the ReLU masks a bit per element, the pooling switches two bits per output:
/// 41 bytes per pixel together), the style and content features and the loss's
/// temporaries, for a whole picture (measured; see the module comment). A tap's
/// activation is dropped once its gradient exists, and each tap's gradient once the
/// backward pass has added it ([`crate::net::vgg::Vgg::backward`]). Checked with
/// L-BFGS's history full (`nst stylize --content docs/samples/tubingen.jpg --style
/// docs/samples/starry_night.jpg --lbfgs-history 5 --iterations 8`, 17 state vectors):
/// at 512 px, 514 MiB measured against 528 estimated (+2.7 %); at 1024 px, 1326 against
/// 1374 (+3.6 %). The three runs of the module comment: +3.0 %, +4.4 % and +11 %.
pub const VGG_BYTES_PER_PIXEL: u64 = 1_300;

/// Bytes per output pixel of the same passes for a texture (no content picture, target or
/// term: `nst texture`), where [`VGG_BYTES_PER_PIXEL`] is a style transfer's. Measured:
/// peak RSS of `nst texture docs/samples/starry_night.jpg --iterations 5` (history 5,
/// 17 state vectors) at 1024×512 and 2048×1024, 905 and 2680 MiB: 1010–1120 bytes per
/// pixel over the base (the model: 918 and 2934 MiB, +1.4 % and +9.5 %). Not counted:
/// the sample's own forward pass for its Gram targets, at the sample's size before the
/// run starts, which sets the peak when the sample is larger than the picture (the
/// 1024×640 painting as it is, for a 512×256 texture: 596 MiB, against 473 estimated
/// when the constant was 1640).
pub const TEXTURE_BYTES_PER_PIXEL: u64 = 1_140;

/// Bytes per pixel of a crop in a tiled run ([`tiled_optimization_bytes`]): the fit of
/// [`VGG_BYTES_PER_PIXEL`] from before the taps' activations and gradients were dropped
/// early, kept for crops because [`TILED_HEADROOM`] and the poster plans were measured
/// with it. Tiled runs now measure 17–26 % under their estimates (`docs/performance.md`),
/// on the safe side; a smaller constant would plan larger crops for the same budget, and
/// the heap's spread over a long tiled run (the headroom) would have to be measured again.
pub const CROP_BYTES_PER_PIXEL: u64 = 1_900;

/// [`CROP_BYTES_PER_PIXEL`] for a texture's crops: the earlier fit of
/// [`TEXTURE_BYTES_PER_PIXEL`], kept for the same reason. The four stages of a 4096×2048
/// tileable texture (`docs/performance.md`) measured 838, 1908, 4493 and 5352 MiB with
/// it, and the model gave 817, 1883, 4469 and 5471 (−2.5 % to +2.2 %).
pub const CROP_TEXTURE_BYTES_PER_PIXEL: u64 = 1_640;

/// What an optimisation's passes keep per pixel, besides the optimiser's state: a style
/// transfer's (a content picture and target) or a texture's (style terms only). Measured
/// apart because they differ by 15 %.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Passes {
    /// A content term (and usually style terms): `stylize`, `reconstruct`, `loss`.
    WithContent,
    /// Style terms only: `texture`.
    StyleOnly,
}

impl Passes {
    /// [`Passes::WithContent`] when the objective has a content picture.
    pub fn of(has_content: bool) -> Passes {
        if has_content {
            Passes::WithContent
        } else {
            Passes::StyleOnly
        }
    }

    /// Bytes per pixel of VGG's passes over a whole picture:
    /// [`VGG_BYTES_PER_PIXEL`] or [`TEXTURE_BYTES_PER_PIXEL`].
    pub fn vgg_bytes_per_pixel(self) -> u64 {
        match self {
            Passes::WithContent => VGG_BYTES_PER_PIXEL,
            Passes::StyleOnly => TEXTURE_BYTES_PER_PIXEL,
        }
    }

    /// Bytes per pixel of VGG's passes over a crop of a tiled run:
    /// [`CROP_BYTES_PER_PIXEL`] or [`CROP_TEXTURE_BYTES_PER_PIXEL`].
    pub fn crop_bytes_per_pixel(self) -> u64 {
        match self {
            Passes::WithContent => CROP_BYTES_PER_PIXEL,
            Passes::StyleOnly => CROP_TEXTURE_BYTES_PER_PIXEL,
        }
    }

    /// Bytes per pixel of the whole picture in a tiled run, besides the optimiser's state:
    /// [`TILED_BYTES_PER_PIXEL`] or [`TILED_TEXTURE_BYTES_PER_PIXEL`].
    pub fn tiled_bytes_per_pixel(self) -> u64 {
        match self {
            Passes::WithContent => TILED_BYTES_PER_PIXEL,
            Passes::StyleOnly => TILED_TEXTURE_BYTES_PER_PIXEL,
        }
    }
}

/// Bytes that do not grow with the picture: VGG16's convolution weights (59 MB), the
/// program and its buffers (measured with `--conv im2col`).
pub const BASE_BYTES: u64 = 90 << 20;

/// Bytes of a second copy of VGG16's convolution weights: the circularly padded twin a
/// tileable texture is optimised through (its Winograd kernels are shared, its weights
/// are not). Counted by the estimates of a wrapping [`TileGrid`](crate::loss::objective::TileGrid).
pub const TWIN_BYTES: u64 = 59 << 20;

/// [`TWIN_BYTES`] when `wrap` (a tileable texture), else nothing.
pub fn twin_bytes(wrap: bool) -> u64 {
    if wrap {
        TWIN_BYTES
    } else {
        0
    }
}

/// Bytes of the Winograd kernel transforms (see [`crate::layers::WinogradKernel`]) that
/// `algo` keeps for `arch`'s convolutions through conv5_1 (the deepest layer of Gatys'
/// default style layers): α² values per filter slice where a 3×3 kernel has 9, so F(4,3)
/// holds 4× the weights of the layers it runs, and twice that for the narrow layers,
/// which keep `Uᵀ` too. For VGG16 with `auto`: 156 MB.
pub fn winograd_kernel_bytes(arch: crate::net::vgg::Arch, algo: crate::layers::ConvAlgo) -> u64 {
    use crate::net::vgg::{layers, LayerKind, WIDTHS};
    let mut total = 0u64;
    for layer in layers(arch, WIDTHS) {
        if let LayerKind::Conv { in_ch, out_ch, .. } = layer.kind {
            // `auto` does not depend on the size; a forced algorithm does not either.
            if let Some(tile) = algo.choose(in_ch, out_ch, (224, 224), (3, 3, 1, 1)) {
                let values = crate::layers::WinogradKernel::<f32>::values_for(tile, out_ch, in_ch);
                total += values as u64 * 4;
            }
        }
        if layer.name == "conv5_1" {
            break;
        }
    }
    total
}

/// [`BASE_BYTES`] plus the default (`auto`) kernel transforms of VGG16: what every
/// estimate below starts from.
fn base_bytes() -> u64 {
    BASE_BYTES + winograd_kernel_bytes(crate::net::vgg::Arch::Vgg16, crate::layers::ConvAlgo::Auto)
}

/// Memory for optimising an `h`×`w` picture whose optimiser keeps `state_vectors`
/// picture-sized vectors (iterate, gradient, history, moments …), with `passes`' bytes
/// per pixel.
pub fn optimization_bytes(h: usize, w: usize, state_vectors: usize, passes: Passes) -> u64 {
    let pixels = (h as u64).saturating_mul(w as u64);
    base_bytes().saturating_add(
        pixels.saturating_mul(passes.vgg_bytes_per_pixel() + 12 * state_vectors as u64),
    )
}

/// Bytes per pixel of the whole picture in a tiled run, besides the optimiser's state
/// vectors (which already count the iterate and its gradient): the content targets
/// (relu4_2 keeps 512 values every 8×8 pixels, 32 bytes) and the loop's other copies,
/// less what the fixed step never allocates of the line search's vectors. Measured:
/// peak RSS of four tiled runs (1024×576 and 1536×864 with a full history of 5;
/// 2048×1152 and 3840×2160 with 15 and 8 curvature pairs held), with the crops at
/// [`CROP_BYTES_PER_PIXEL`], lies 0.4–4.5 % under [`tiled_optimization_bytes`] at 24
/// bytes; counting 120 (five copies and the targets) over-estimated by 7–19 %
/// (`docs/performance.md`). Those runs kept a byte per ReLU mask element; with the masks
/// and switches packed and the crops at 1900 bytes per pixel, the first two measured
/// again: 1024×576 with `--tile 256`, 809 MB against 828 MB estimated (+2.4 %);
/// 1536×864 with `--tile 448`, 1249 MB against 1320 MB (+5.7 %). Since the taps'
/// activations and gradients are dropped early, 679 and 1097 MiB (the estimates +23 % and
/// +21 % above).
pub const TILED_BYTES_PER_PIXEL: u64 = 24;

/// [`TILED_BYTES_PER_PIXEL`] for a texture, which has no content targets. Measured:
/// three tiled runs of `nst texture docs/samples/starry_night.jpg --iterations 3`
/// (13 state vectors) lie 2.9–5.4 % under the model with none: 2048×1024 with `--tile
/// 512`, 1304 MiB against 1375; 3072×1536 with `--tile 768`, 2355 against 2451; and
/// 2048×1024 `--tileable` with `--tile 512`, 1569 against 1614. The fixed step never
/// allocates all of the line search's vectors, which the state vectors count; a
/// style transfer's content targets make up for that, a texture has none. (With
/// [`TILED_BYTES_PER_PIXEL`] and [`CROP_BYTES_PER_PIXEL`] the three were 16–19 % over.)
/// Since the taps' activations and gradients are dropped early, the three measure 1045,
/// 1814 and 1199 MiB (24–26 % under).
pub const TILED_TEXTURE_BYTES_PER_PIXEL: u64 = 0;

/// Memory for optimising an `h`×`w` picture tile by tile, with crops of at most
/// `crop = (rows, columns)` pixels: the whole picture's vectors
/// ([`Passes::tiled_bytes_per_pixel`] and the optimiser's `state_vectors`), and VGG's
/// passes over one crop at a time ([`Passes::crop_bytes_per_pixel`] of the crop's pixels).
pub fn tiled_optimization_bytes(
    h: usize,
    w: usize,
    state_vectors: usize,
    crop: (usize, usize),
    passes: Passes,
) -> u64 {
    let pixels = (h as u64).saturating_mul(w as u64);
    let crop = (crop.0.min(h) as u64).saturating_mul(crop.1.min(w) as u64);
    base_bytes()
        .saturating_add(
            pixels.saturating_mul(passes.tiled_bytes_per_pixel() + 12 * state_vectors as u64),
        )
        .saturating_add(crop.saturating_mul(passes.crop_bytes_per_pixel()))
}

/// How a run fits a memory budget ([`plan_optimization`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Tile cores of this many pixels, or `None` for the whole picture at once.
    pub tile: Option<usize>,
    /// The optimiser, with L-BFGS's history possibly shortened.
    pub choice: crate::optim::OptimizerChoice,
    /// The estimate, in bytes.
    pub bytes: u64,
    /// The work of one evaluation, in evaluations of the whole picture: 1 whole, a tile
    /// grid's [`TileGrid::work`](crate::loss::objective::TileGrid::work) tile by tile.
    pub work: f64,
}

/// The smallest core, a multiple of `align`, that cuts an `h`×`w` picture into as many
/// tiles along each side as cores of `core` pixels do. Cores of `core` cut a side of `n`
/// into ⌈n / core⌉ tiles, the last one short; the balanced core gives the same numbers
/// of tiles as even as the alignment allows: the same work (every tile has the same
/// margins), and crops no larger. A 3840×2160 poster with cores of 1168 has 4 × 2 tiles
/// and crops up to 1456×1312; balanced, cores of 1088 (the 2160-pixel side needs 1080
/// for two tiles) give the same tiles with crops up to 1376×1232, and the estimate of the
/// poster's 8-iteration top stage drops from 5.9 to 5.6 GB.
pub fn balanced_core((h, w): (usize, usize), core: usize, align: usize) -> usize {
    let (core, align) = (core.max(1), align.max(1));
    let even = |n: usize| n.max(1).div_ceil(n.max(1).div_ceil(core)).div_ceil(align) * align;
    even(h).max(even(w))
}

/// The smallest tile core a plan uses: below it the margins (144 pixels each side for
/// relu5_1) make the crops more than 10 times the core's area.
pub const MIN_TILE: usize = 64;

// ANCHOR: plan
/// How much more work per evaluation a longer L-BFGS history is worth (see
/// [`plan_optimization`]).
pub const HISTORY_WORTH: f64 = 0.1;

/// The share of the budget a tiled plan leaves free for the allocator. A tiled run's
/// tensors change size from tile to tile, and L-BFGS's curvature pairs arrive one per
/// iteration among the blocks the evaluations free, so the heap holds more than is live
/// at any moment. The poster's top stage (3840×2160, cores of 1088, history 10, 20
/// iterations) peaked at 6447 and 6471 MiB in two runs against an estimate of 6067 MiB:
/// 6.3–6.7 % over, where single-stage tiled runs measure up to 5.7 % under
/// (`docs/performance.md`). The estimate stays what the run needs; the plan fits it
/// into the budget less this share. With it, the same stage in 6 GiB was planned with a
/// history of 5 and the same tiles, estimated at 5118 MiB, and peaked at 5475 (+7.0 %).
pub const TILED_HEADROOM: f64 = 0.08;

/// Choose how to optimise an `h`×`w` picture within `budget` bytes: the whole picture
/// when it fits; else tiles of `grid` (its cores changed), whose crops are a core plus
/// the gradient pass's margin each side, with cores a multiple of its alignment and as
/// even as it allows (a core is made as small as it can be for the same number of tiles
/// along each side). L-BFGS's history competes with the tiles for memory: at each
/// history (the one asked for, then 50, 20, 10 and 5) the plan is the whole picture if
/// it fits, else the largest core that does, and its cost is the work of one evaluation
/// ([`TileGrid::work`](crate::loss::objective::TileGrid::work): margins and the Gram
/// pass). The longest history whose evaluations cost at most [`HISTORY_WORTH`] more than
/// the cheapest plan's wins: a short history costs a few steps, small tiles cost on
/// every step. Fails, naming the smallest budget that would work, when not even
/// [`MIN_TILE`] cores with a history of 5 fit. A tiled plan fits its estimate into the
/// budget less [`TILED_HEADROOM`]. A wrapping grid (a tileable texture) also counts the
/// circular twin's weights ([`TWIN_BYTES`]).
pub fn plan_optimization(
    (h, w): (usize, usize),
    choice: &crate::optim::OptimizerChoice,
    grid: &crate::loss::objective::TileGrid,
    passes: Passes,
    budget: u64,
) -> Result<Plan> {
    use crate::optim::OptimizerChoice;
    let twin = twin_bytes(grid.wrap);
    let whole = optimization_bytes(h, w, choice.state_vectors(), passes) + twin;
    if whole <= budget {
        return Ok(Plan {
            tile: None,
            choice: choice.clone(),
            bytes: whole,
            work: 1.0,
        });
    }
    let with_history = |n: usize| choice.with_history(n);
    let histories: Vec<usize> = match choice {
        OptimizerChoice::Lbfgs { history, .. } => {
            let mut v: Vec<usize> = [*history, 50, 20, 10, 5]
                .into_iter()
                .filter(|n| n <= history)
                .collect();
            v.dedup();
            v
        }
        _ => vec![0],
    };
    let align = grid.align.max(1);
    let largest = h.max(w).div_ceil(align) * align;
    let grid_of = |core: usize| crate::loss::objective::TileGrid { core, ..*grid };
    // The largest crop of a grid with cores of `core` pixels.
    let crop = |core: usize| grid_of(core).largest_crop((h, w));
    let balanced = |core: usize| balanced_core((h, w), core, align);
    // The largest core that fits with `c`, if any of at least `min` (balanced).
    let tiled_budget = (budget as f64 * (1.0 - TILED_HEADROOM)) as u64;
    let fit = |c: &OptimizerChoice, min: usize| {
        (min..=largest).rev().step_by(align).find_map(|core| {
            let core = balanced(core);
            let bytes =
                tiled_optimization_bytes(h, w, c.state_vectors(), crop(core), passes) + twin;
            (bytes <= tiled_budget).then_some((core, bytes))
        })
    };
    let min = MIN_TILE.div_ceil(align) * align;
    // At each history, the whole picture if it fits (no second pass), else the largest
    // core that does, with its work per evaluation.
    let candidates: Vec<Plan> = histories
        .iter()
        .filter_map(|&n| {
            let c = with_history(n);
            let whole = optimization_bytes(h, w, c.state_vectors(), passes) + twin;
            if whole <= budget {
                return Some(Plan {
                    tile: None,
                    choice: c,
                    bytes: whole,
                    work: 1.0,
                });
            }
            fit(&c, min.min(largest)).map(|(core, bytes)| Plan {
                tile: Some(core),
                choice: c,
                bytes,
                work: grid_of(core).work((h, w)),
            })
        })
        .collect();
    let cheapest = candidates
        .iter()
        .map(|plan| plan.work)
        .fold(f64::INFINITY, f64::min);
    // The longest history whose evaluations cost at most HISTORY_WORTH more than the
    // cheapest plan's.
    if let Some(plan) = candidates
        .into_iter()
        .find(|plan| plan.work <= cheapest * (1.0 + HISTORY_WORTH))
    {
        return Ok(plan);
    }
    let smallest = with_history(*histories.last().expect("at least one"));
    let need = tiled_optimization_bytes(h, w, smallest.state_vectors(), crop(min), passes) + twin;
    let gb = |b: u64| b as f64 / (1u64 << 30) as f64;
    bail!(
        "a {w}×{h} picture does not fit in {:.2} GB: even tiles of {min} pixels{} need {:.2} GB, \
         and {:.0} % more for the allocator (give at least --max-memory {:.2}G, or use a smaller --size)",
        gb(budget),
        if matches!(choice, OptimizerChoice::Lbfgs { .. }) {
            " and an L-BFGS history of 5"
        } else {
            ""
        },
        gb(need),
        100.0 * TILED_HEADROOM / (1.0 - TILED_HEADROOM),
        (gb(need) / (1.0 - TILED_HEADROOM) * 100.0).ceil() / 100.0
    )
}
// ANCHOR_END: plan

/// Bytes per pixel of each training picture when training a Texture Networks generator:
/// VGG's passes on the picture, the generator's caches for its backward pass, the batch's
/// gradients. Measured with the ReLU masks and pooling switches packed into bits, the
/// Winograd kernels kept and the taps dropped early (peak RSS of 3 iterations, batch 4,
/// `--weights weights/vgg16`, the style `docs/samples/starry_night.jpg`): `train-style`
/// on four photos, 456 MiB at 128² and 1060 MiB at 256², 3260–3360 bytes per pixel over
/// 246 MiB (the estimate: 459 and 1096 MiB, +0.5 % and +3.4 %); `train-texture
/// --sample-size 256`, 434 and 936 MiB, and 3216 MiB at 256² with batch 16 (the seed's
/// setting), 2760–3010 bytes per pixel (the estimate is 6–17 % over). One constant covers
/// both. Not counted: the texture sample's own forward pass for its Gram targets, at its
/// full size before training starts; with the 1024×640 painting as it is,
/// `train-texture` at 128² peaked at 590 MB there.
pub const TRAIN_BYTES_PER_PIXEL: u64 = 3_400;

/// Memory for training on batches of `batch` pictures of `h`×`w`.
pub fn training_bytes(h: usize, w: usize, batch: usize) -> u64 {
    let pictures = (h as u64)
        .saturating_mul(w as u64)
        .saturating_mul(batch as u64);
    base_bytes().saturating_add(pictures.saturating_mul(TRAIN_BYTES_PER_PIXEL))
}

// ANCHOR: forward_bytes
/// Memory for one forward pass of VGG (no caches for a backward pass) on an `h`×`w`
/// picture that keeps the activations of the layers `taps` (`nst features`).
///
/// Counted, not fitted: walking the layers, the live values at layer `i` are the taps
/// already taken, the layer's input and output (a ReLU works in place, so only its
/// output), and a copy of the output if `i` is tapped; the peak over the walk, in `f32`,
/// plus the picture's two copies (decoded and preprocessed, 6 values per pixel), over the
/// same 90 MB base. Peak RSS of `nst features` at 2048², measured against counted: relu5_1
/// alone 2233 MB against 2234; the default six layers 3298 against 3258; conv1_1,
/// relu1_1 and relu1_2 4281 against 4282 (and within 3 % at 512² and 1024²).
pub fn forward_bytes(arch: crate::net::vgg::Arch, h: usize, w: usize, taps: &[usize]) -> u64 {
    use crate::net::vgg::{layers, shape_at, WIDTHS};
    let walk = layers(arch, WIDTHS);
    let last = taps.iter().copied().max().unwrap_or(0);
    let size = |(c, h, w): (usize, usize, usize)| (c * h * w) as u64;
    let (mut kept, mut peak) = (0u64, 0u64);
    for (i, layer) in walk.iter().enumerate().take(last + 1) {
        let input = if i == 0 {
            size((3, h, w))
        } else {
            size(shape_at(&walk, i - 1, (h, w)))
        };
        // A ReLU works in place: only its output is live.
        let live_in = match layer.kind {
            crate::net::vgg::LayerKind::Relu => 0,
            _ => input,
        };
        let out = size(shape_at(&walk, i, (h, w)));
        let tapped = if taps.contains(&i) { out } else { 0 };
        peak = peak.max(kept + live_in + out + tapped);
        kept += tapped;
    }
    base_bytes() + 4 * (peak + 6 * (h * w) as u64)
}
// ANCHOR_END: forward_bytes

/// A memory size as people write it: `6G`, `6GB`, `6.5g`, `512M`, `2048MiB`, or a
/// number of bytes. `K`, `M`, `G`, `T` are powers of 1024 (as `free -h` and
/// `/proc/meminfo` count); a trailing `B` or `iB` is optional.
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (digits, shift) = match body.chars().last() {
        Some('k') => (&body[..body.len() - 1], 10),
        Some('m') => (&body[..body.len() - 1], 20),
        Some('g') => (&body[..body.len() - 1], 30),
        Some('t') => (&body[..body.len() - 1], 40),
        _ => (body, 0),
    };
    match digits.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * ((1u64 << shift) as f64) < u64::MAX as f64 => {
            Ok((v * (1u64 << shift) as f64) as u64)
        }
        _ => bail!("'{s}' is not a memory size (write it like 6G, 512M or 6.5GB)"),
    }
}

/// The machine's memory, from `/proc/meminfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachineMemory {
    /// What can be allocated now without swapping (`MemAvailable`), bytes.
    pub available: u64,
    /// RAM and swap together (`MemTotal + SwapTotal`), bytes: more can never be had.
    pub total_with_swap: u64,
}

/// This machine's memory (Linux), or `None` where it cannot be read.
pub fn machine_memory() -> Option<MachineMemory> {
    parse_meminfo(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

/// Read `MemAvailable`, `MemTotal` and `SwapTotal` (in kB) from `/proc/meminfo` text.
pub fn parse_meminfo(text: &str) -> Option<MachineMemory> {
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
        Some(kb * 1024)
    };
    Some(MachineMemory {
        available: field("MemAvailable:")?,
        total_with_swap: field("MemTotal:")? + field("SwapTotal:").unwrap_or(0),
    })
}

/// Compare `needed` bytes for `what` (e.g. "optimising a 4000×3000 picture") with the
/// machine: an error ending in `advice` when it exceeds RAM and swap together (the run
/// cannot finish), a note (returned, for the caller to print) when it exceeds what is
/// available now.
pub fn check_fits(
    needed: u64,
    what: &str,
    advice: &str,
    machine: Option<MachineMemory>,
) -> Result<Option<String>> {
    let Some(m) = machine else { return Ok(None) };
    let gb = |b: u64| b as f64 / (1u64 << 30) as f64;
    if needed > m.total_with_swap {
        bail!(
            "{what} needs about {:.1} GB of memory; this machine has {:.1} GB (RAM and swap): {advice}",
            gb(needed),
            gb(m.total_with_swap)
        );
    }
    Ok((needed > m.available).then(|| {
        format!(
            "note: {what} needs about {:.1} GB of memory and {:.1} GB is free now; it may swap",
            gb(needed),
            gb(m.available)
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str = "MemTotal:       16000000 kB\nMemFree:         1000000 kB\n\
        MemAvailable:    8000000 kB\nSwapTotal:       2000000 kB\nSwapFree:        2000000 kB\n";

    #[test]
    fn meminfo_fields_are_read_in_bytes() {
        let m = parse_meminfo(MEMINFO).unwrap();
        assert_eq!(m.available, 8_000_000 * 1024);
        assert_eq!(m.total_with_swap, 18_000_000 * 1024);
        assert_eq!(parse_meminfo("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn too_big_is_an_error_big_is_a_note_small_is_nothing() {
        let m = parse_meminfo(MEMINFO);
        let gib = 1u64 << 30;
        let err = check_fits(20 * gib, "optimising a big picture", "smaller", m).unwrap_err();
        let err = err.to_string();
        assert!(err.contains("20.0 GB") && err.contains("17.2 GB"), "{err}");
        assert!(err.ends_with("(RAM and swap): smaller"), "{err}");
        let note = check_fits(10 * gib, "x", "", m).unwrap().unwrap();
        assert!(
            note.contains("10.0 GB") && note.contains("7.6 GB"),
            "{note}"
        );
        assert_eq!(check_fits(gib, "x", "", m).unwrap(), None);
        assert_eq!(check_fits(1 << 50, "x", "", None).unwrap(), None);
    }

    #[test]
    fn forward_peak_is_where_full_resolution_layers_meet() {
        use crate::net::vgg::{layers, Arch, WIDTHS};
        let net = layers(Arch::Vgg16, WIDTHS);
        let at = |n: &str| net.iter().position(|l| l.name == n).unwrap();
        let (h, w) = (100, 60);
        let per_pixel = |values: u64| base_bytes() + 4 * values * (h * w) as u64;
        // Deep taps alone: the peak is conv1_2, its 64-channel input and output.
        assert_eq!(
            forward_bytes(Arch::Vgg16, h, w, &[at("relu5_1")]),
            per_pixel(128 + 6)
        );
        // Three full-resolution taps: two kept, relu1_2's output and its copy.
        let shallow = [at("conv1_1"), at("relu1_1"), at("relu1_2")];
        assert_eq!(
            forward_bytes(Arch::Vgg16, h, w, &shallow),
            per_pixel(256 + 6)
        );
        // Taps only add: the default set costs more than its deepest layer.
        let all = [
            "relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1",
        ]
        .map(at);
        assert!(forward_bytes(Arch::Vgg16, h, w, &all) > per_pixel(128 + 6));
    }

    #[test]
    fn winograd_kernels_are_counted_per_layer() {
        use crate::layers::ConvAlgo;
        use crate::net::vgg::Arch;
        // VGG16 through conv5_1: 3·64·9 + 64·64·9 + … weights; F(4,3) keeps 36 values per
        // 9, F(2,3) 16; auto leaves conv1_1 (3 input channels) to im2col.
        let through_conv5_1: u64 = [
            (64, 64),
            (64, 128),
            (128, 128),
            (128, 256),
            (256, 256),
            (256, 256),
            (256, 512),
            (512, 512),
            (512, 512),
            (512, 512),
        ]
        .iter()
        .map(|&(c, o): &(u64, u64)| c * o)
        .sum();
        // The narrow layers (at most 128·128 channel pairs) keep Uᵀ as well as U.
        let narrow: u64 = 64 * 64 + 64 * 128 + 128 * 128;
        let conv1_1 = 3 * 64;
        let f4 = 36 * 4 * (through_conv5_1 + narrow + 2 * conv1_1);
        assert_eq!(winograd_kernel_bytes(Arch::Vgg16, ConvAlgo::WinogradF4), f4);
        assert_eq!(
            winograd_kernel_bytes(Arch::Vgg16, ConvAlgo::WinogradF2),
            16 * 4 * (through_conv5_1 + narrow + 2 * conv1_1)
        );
        assert_eq!(
            winograd_kernel_bytes(Arch::Vgg16, ConvAlgo::Auto),
            36 * 4 * (through_conv5_1 + narrow)
        );
        assert_eq!(winograd_kernel_bytes(Arch::Vgg16, ConvAlgo::Im2col), 0);
        let mb = winograd_kernel_bytes(Arch::Vgg16, ConvAlgo::Auto) as f64 / (1 << 20) as f64;
        assert!((mb - 156.4).abs() < 0.1, "{mb}");
    }

    #[test]
    fn a_plan_takes_the_whole_picture_when_it_fits_and_tiles_when_not() {
        use crate::optim::{LineSearch, OptimizerChoice};
        let gib = 1u64 << 30;
        let lbfgs = |history| OptimizerChoice::Lbfgs {
            history,
            lr: 1.0,
            line_search: LineSearch::None,
        };
        let grid = &crate::loss::objective::TileGrid {
            core: 16,
            align: 16,
            gram_margin: 64,
            grad_margin: 144,
            wrap: false,
        };
        let crop_of = |core: usize| {
            crate::loss::objective::TileGrid { core, ..*grid }.largest_crop((2160, 3840))
        };
        // The estimate of the poster with `c`'s vectors, cores of `core` and `passes`.
        let poster = |c: &OptimizerChoice, core: usize, passes: Passes| {
            tiled_optimization_bytes(2160, 3840, c.state_vectors(), crop_of(core), passes)
        };
        // 512² with history 100: about 1.2 GB, whole.
        let p =
            plan_optimization((512, 512), &lbfgs(100), grid, Passes::WithContent, 4 * gib).unwrap();
        assert_eq!((p.tile, &p.choice, p.work), (None, &lbfgs(100), 1.0));
        // A tileable texture's grid wraps, and its plan counts the circular twin too.
        let wrapping = crate::loss::objective::TileGrid {
            wrap: true,
            ..*grid
        };
        let q = plan_optimization(
            (512, 512),
            &lbfgs(100),
            &wrapping,
            Passes::WithContent,
            4 * gib,
        )
        .unwrap();
        assert_eq!((q.tile, q.bytes), (None, p.bytes + TWIN_BYTES));
        // 3840×2160 in 6 GB: history 100 alone would need 20 GB, so it is shortened. The
        // plan is the longest history whose evaluations cost at most 10 % more than the
        // cheapest plan's, in the budget less the allocator's headroom: 5, with 4 × 2 tiles
        // of 1088 (10 pairs leave room for three rows of tiles only, more than 10 % more
        // work per evaluation; 20 pairs for smaller tiles still).
        let p = plan_optimization(
            (2160, 3840),
            &lbfgs(100),
            grid,
            Passes::WithContent,
            6 * gib,
        )
        .unwrap();
        let core = p.tile.expect("tiled");
        assert!(core % 16 == 0, "{p:?}");
        let room = (6.0 * gib as f64 * (1.0 - TILED_HEADROOM)) as u64;
        assert!(p.bytes <= room, "{p:?}");
        assert_eq!((core, &p.choice), (1088, &lbfgs(5)), "{p:?}");
        let work =
            |core: usize| crate::loss::objective::TileGrid { core, ..*grid }.work((2160, 3840));
        // The plan carries its work per evaluation (the ETA of a --scales run weighs a
        // tiled stage's pixels by it).
        assert_eq!(p.work, work(1088), "{p:?}");
        // The largest balanced core that fits with `history` pairs.
        let largest_fit = |history: usize| {
            (16..=3840)
                .rev()
                .step_by(16)
                .map(|c| balanced_core((2160, 3840), c, 16))
                .find(|&c| poster(&lbfgs(history), c, Passes::WithContent) <= room)
                .expect("some core fits")
        };
        assert_eq!(largest_fit(5), core);
        for history in [10, 20] {
            let longer = work(largest_fit(history));
            assert!(
                longer > 1.1 * work(core),
                "{history} pairs: {longer} against {}",
                work(core)
            );
        }
        // Without the headroom, 10 pairs would fit with the same tiles: the plan the
        // poster's top stage ran with when it peaked 5 % over its budget.
        assert!(poster(&lbfgs(10), 1088, Passes::WithContent) <= 6 * gib);
        // The work of a tiled evaluation: the Gram pass's forward over its crops and the
        // gradient pass's forward and backward over theirs, against the whole picture's
        // forward and backward. One tile is the whole picture in both passes: 1.5.
        assert!((work(3840) - 1.5).abs() < 1e-12);
        let (gram, grad) = ((1152 + 1136) * (1152 + 2 * 1216 + 640), 2448 * 4704);
        assert!((work(1088) - (gram + 2 * grad) as f64 / (2.0 * 2160.0 * 3840.0)).abs() < 1e-12);
        // No more tiles than cores of 512 give, and balanced: the smallest core for them.
        let tiles = |core: usize| (2160usize.div_ceil(core), 3840usize.div_ceil(core));
        assert!(
            tiles(core).0 <= tiles(512).0 && tiles(core).1 <= tiles(512).1,
            "{p:?}"
        );
        assert_eq!(balanced_core((2160, 3840), core, 16), core);
        assert_ne!(tiles(core - 16), tiles(core));
        // No grid with fewer tiles fits.
        for bigger in (core + 16..=3840).step_by(16) {
            let bigger = balanced_core((2160, 3840), bigger, 16);
            if tiles(bigger) == tiles(core) {
                continue;
            }
            let bytes = poster(&p.choice, bigger, Passes::WithContent);
            assert!(bytes > room, "cores of {bigger} would fit");
        }
        // Balancing: the 3840 px side in cores of 528 is 7 × 528 + 144; balanced, 8 × 480.
        assert_eq!(balanced_core((2160, 3840), 528, 16), 480);
        assert_eq!(balanced_core((2160, 3840), 1168, 16), 1088);
        assert_eq!(balanced_core((100, 100), 1000, 16), 112);
        // Adam keeps 4 vectors: no history to shorten.
        let adam = OptimizerChoice::Adam {
            lr: 1.0,
            beta1: 0.9,
            beta2: 0.999,
        };
        // A texture's passes keep less per pixel: the same plan is estimated smaller, and
        // in a smaller budget its cores are larger.
        let texture = poster(&p.choice, core, Passes::StyleOnly);
        assert!(texture < p.bytes, "{texture} against {p:?}");
        let cores = |passes: Passes| {
            (12..=20)
                .map(|quarters| {
                    let budget = quarters * gib / 4;
                    let p = plan_optimization((2160, 3840), &lbfgs(5), grid, passes, budget);
                    p.unwrap().tile.expect("tiled")
                })
                .collect::<Vec<_>>()
        };
        let (a, b) = (cores(Passes::StyleOnly), cores(Passes::WithContent));
        assert!(a.iter().zip(&b).all(|(a, b)| a >= b), "{a:?} against {b:?}");
        assert!(a.iter().zip(&b).any(|(a, b)| a > b), "{a:?} against {b:?}");
        assert_eq!(Passes::of(false), Passes::StyleOnly);
        assert!(
            optimization_bytes(1024, 2048, 17, Passes::StyleOnly)
                < optimization_bytes(1024, 2048, 17, Passes::WithContent)
        );
        let p = plan_optimization((2160, 3840), &adam, grid, Passes::WithContent, 6 * gib).unwrap();
        assert_eq!(p.choice, adam);
        // Too small for anything: the error names a budget that works, and it does.
        let err = plan_optimization((2160, 3840), &lbfgs(100), grid, Passes::WithContent, gib)
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("does not fit in 1.00 GB"), "{msg}");
        let need: f64 = msg
            .split("--max-memory ")
            .nth(1)
            .and_then(|t| t.split('G').next())
            .and_then(|t| t.parse().ok())
            .expect("a budget in the message");
        let enough = (need * gib as f64) as u64;
        assert!(
            plan_optimization((2160, 3840), &lbfgs(100), grid, Passes::WithContent, enough).is_ok()
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        let gib = 1u64 << 30;
        assert_eq!(parse_size("6G").unwrap(), 6 * gib);
        assert_eq!(parse_size("6GB").unwrap(), 6 * gib);
        assert_eq!(parse_size("6 GiB").unwrap(), 6 * gib);
        assert_eq!(parse_size("1.5g").unwrap(), 3 * gib / 2);
        assert_eq!(parse_size("512M").unwrap(), gib / 2);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        for bad in ["", "G", "six", "-1G", "0", "1e30T", "NaN"] {
            let e = parse_size(bad).unwrap_err().to_string();
            assert!(e.contains("is not a memory size"), "{bad}: {e}");
        }
    }
}
