//! Large pictures in tiles, so that the generator's memory stays bounded.
//!
//! The generator's activations take 40 values per pixel at the finest scale: about 2.7 GB
//! per tensor for a 4096² texture. But in inference mode with batch norm (a fixed affine
//! map per channel) and circular padding, the generator is a stack of local operations
//! on a torus: an output pixel depends only on the inputs within its receptive field
//! ([`Generator::receptive_radius`]), wrapped around the picture's edges. So the picture
//! can be made tile by tile. Crop every input, wrapping around, to the tile plus a
//! margin at least that radius wide; run the generator on the crop; keep the middle. The
//! crop's own circular padding is wrong only in the margin, which is thrown away, so the
//! kept pixels are exactly those of the whole picture. The margin is a multiple of
//! 2^(K−1) so that every scale's crop starts on a whole pixel of that scale.
//!
//! Instance norm (statistics over the whole picture) and zero padding (borders that are
//! not where the tile's borders are) are not local in this way: such models are run on
//! the whole picture.

use super::config::NormKind;
use super::generator::Generator;
use crate::error::Result;
use crate::math::im2col::Padding;
use crate::math::tensor::{Real, Tensor4};
use ndarray::{s, Array4};

/// Can `gen` be run tile by tile with the same result? (Batch norm and circular padding.)
pub fn tileable<T: Real>(gen: &Generator<T>) -> bool {
    let c = gen.config();
    c.norm == NormKind::Batch && c.padding == Padding::Circular
}

/// The margin each tile is cropped with: the receptive radius rounded up to a multiple
/// of 2^(K−1).
pub fn tile_margin<T: Real>(gen: &Generator<T>) -> usize {
    let m = gen.config().size_multiple();
    gen.receptive_radius().div_ceil(m) * m
}

/// An estimate of the memory, in bytes, for making `n` pictures of `h`×`w` with
/// [`generate_tiled`] at tile size `tile`: the inputs of every scale (at most 4/3 of the
/// finest), the output and its copies on the way to a saved picture (the (N, 3, H, W)
/// tensor, its RGB conversion, one picture per sample, the clamped and 8-bit copies of
/// saving), and the generator's activations over the region computed at once — the
/// whole picture, or a tile with its margins — of which a 3×3 convolution at the finest
/// join holds its input, its im2col buffer (9 values per input value) and its output.
/// Counted, not measured: it is there to refuse sizes that cannot fit before the first
/// allocation, not to predict the peak exactly.
pub fn generation_bytes<T: Real>(
    gen: &Generator<T>,
    n: usize,
    (h, w): (usize, usize),
    tile: usize,
) -> u64 {
    let c = gen.config();
    let (n, h, w) = (n as u64, h as u64, w as u64);
    let whole = n.saturating_mul(h).saturating_mul(w);
    let inputs = whole.saturating_mul(4 * c.input_channels() as u64 * 4 / 3);
    let outputs = whole.saturating_mul(3 * 4 * 4 + 3);
    let (rh, rw) = if tile == 0 || (h <= tile as u64 && w <= tile as u64) || !tileable(gen) {
        (h, w)
    } else {
        let side = (tile + 2 * tile_margin(gen)) as u64;
        (h.min(side), w.min(side))
    };
    let finest = (c.scales * c.branch_channels) as u64;
    let act = n
        .saturating_mul(rh)
        .saturating_mul(rw)
        .saturating_mul(4 * 11 * finest);
    crate::tools::memory::BASE_BYTES
        .saturating_add(inputs)
        .saturating_add(outputs)
        .saturating_add(act)
}

// ANCHOR: generate_tiled
/// [`Generator::generate`] in `tile`×`tile` pieces (plus [`tile_margin`] on each side),
/// for pictures with a side longer than `tile`; the result is the same. A side no longer
/// than `tile` is not cut, and `tile = 0`, or a model that is not [`tileable`], makes the
/// whole picture at once. After each tile, `progress(done, total)` is called with the
/// tiles made so far and their number (never when the picture is made whole), so that
/// the caller can show how far it is.
///
/// * `inputs[k]`: (N, C_in, H/2^k, W/2^k); returns (N, 3, H, W). `tile` must be a
///   multiple of 2^(K−1).
pub fn generate_tiled<T: Real>(
    gen: &Generator<T>,
    inputs: &[Tensor4<T>],
    tile: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<Tensor4<T>> {
    gen.check_inputs(inputs)?;
    let (n, _, h, w) = inputs[0].dim();
    let m = gen.config().size_multiple();
    if tile % m != 0 {
        crate::bail!("the tile size must be a multiple of {m} = 2^(K−1), got {tile}");
    }
    if tile == 0 || (h <= tile && w <= tile) || !tileable(gen) {
        return gen.generate(inputs);
    }
    let margin = tile_margin(gen);
    // Along a side no longer than a tile, the "tile" is the whole side and needs no margin.
    let cuts = |len: usize| -> (Vec<usize>, usize) {
        if len <= tile {
            (vec![0], 0)
        } else {
            ((0..len).step_by(tile).collect(), margin)
        }
    };
    let ((rows, my), (cols, mx)) = (cuts(h), cuts(w));
    let mut out = Array4::zeros((n, 3, h, w));
    let total = rows.len() * cols.len();
    for (i, &y0) in rows.iter().enumerate() {
        let th = tile.min(h - y0);
        for (j, &x0) in cols.iter().enumerate() {
            let tw = tile.min(w - x0);
            let crops: Vec<Tensor4<T>> = inputs
                .iter()
                .enumerate()
                .map(|(k, z)| wrapped_crop(z, (y0, th, my), (x0, tw, mx), k))
                .collect();
            let piece = gen.generate(&crops)?;
            out.slice_mut(s![.., .., y0..y0 + th, x0..x0 + tw])
                .assign(&piece.slice(s![.., .., my..my + th, mx..mx + tw]));
            progress(i * cols.len() + j + 1, total);
        }
    }
    Ok(out)
}
// ANCHOR_END: generate_tiled

/// Rows `start − margin .. start + len + margin` and the same for columns, of scale `k`'s
/// input (all counted in output pixels, so divided by 2^k here), wrapping around.
fn wrapped_crop<T: Real>(
    z: &Tensor4<T>,
    (y0, th, my): (usize, usize, usize),
    (x0, tw, mx): (usize, usize, usize),
    k: usize,
) -> Tensor4<T> {
    let (n, c, h, w) = z.dim();
    // The crop starts `margin` before the tile, wrapped into the picture (the margin can
    // be longer than the picture is high or wide: then the crop wraps more than once).
    let start = |at: usize, margin: usize, len: usize| {
        let full = (len << k) as isize;
        ((at as isize - margin as isize).rem_euclid(full) as usize) >> k
    };
    let (ys, xs) = (start(y0, my, h), start(x0, mx, w));
    let shape = (n, c, (th + 2 * my) >> k, (tw + 2 * mx) >> k);
    Array4::from_shape_fn(shape, |(i, ch, y, x)| {
        z[[i, ch, (ys + y) % h, (xs + x) % w]]
    })
}
