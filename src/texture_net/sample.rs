//! Using a trained generator: sample textures from noise, stylise a picture. Inference
//! mode only — batch norm with its running statistics, no caches, no VGG, no backward.

use super::generator::Generator;
use super::inputs::{noise_inputs, stylization_inputs};
use super::tiles::generate_tiled;
use super::train::output_to_rgb;
use crate::bail;
use crate::error::Result;
use crate::math::rng::Rng;
use crate::math::tensor::{Real, Tensor4};
use ndarray::{Array3, ArrayView3, Axis};

/// `n` texture samples of `h`×`w` from noise drawn with `seed`: (n, 3, h, w), RGB in
/// [0, 1] (unclamped; see [`output_to_rgb`]). Pictures with a side longer than `tile` are
/// made in tiles ([`generate_tiled`]; 0: never), with the same result.
///
/// Fails with one line when the generator is a stylisation one or the size does not
/// divide by 2^(K−1).
pub fn sample_textures<T: Real>(
    gen: &Generator<T>,
    n: usize,
    size: (usize, usize),
    seed: u64,
    tile: usize,
) -> Result<Tensor4<T>> {
    sample_textures_with_progress(gen, n, size, seed, tile, |_, _| {})
}

/// [`sample_textures`], calling `progress(done, total)` after each tile (see
/// [`generate_tiled`]).
pub fn sample_textures_with_progress<T: Real>(
    gen: &Generator<T>,
    n: usize,
    (h, w): (usize, usize),
    seed: u64,
    tile: usize,
    progress: impl FnMut(usize, usize),
) -> Result<Tensor4<T>> {
    if gen.config().content_channels > 0 {
        bail!("this is a stylisation model (it takes a content picture): use `nst apply`");
    }
    let inputs = noise_inputs(gen.config(), &mut Rng::new(seed), n, h, w)?;
    Ok(output_to_rgb(&generate_tiled(
        gen, &inputs, tile, progress,
    )?))
}

/// Stylise `content` (H×W×3, RGB in [0, 1]; H and W multiples of 2^(K−1)) with noise of
/// amplitude `noise_scale` drawn with `seed`. Returns H×W×3 RGB (unclamped). Pictures
/// with a side longer than `tile` are made in tiles ([`generate_tiled`]; 0: never).
///
/// The noise amplitude is the test-time knob of seed 001's Fig. 5: the network was
/// trained with noise U[0, s₀); feeding less makes the output follow the content more,
/// more makes it more textured.
pub fn stylize<T: Real>(
    gen: &Generator<T>,
    content: ArrayView3<T>,
    noise_scale: f64,
    seed: u64,
    tile: usize,
) -> Result<Array3<T>> {
    stylize_with_progress(gen, content, noise_scale, seed, tile, |_, _| {})
}

/// [`stylize`], calling `progress(done, total)` after each tile (see [`generate_tiled`]).
pub fn stylize_with_progress<T: Real>(
    gen: &Generator<T>,
    content: ArrayView3<T>,
    noise_scale: f64,
    seed: u64,
    tile: usize,
    progress: impl FnMut(usize, usize),
) -> Result<Array3<T>> {
    if gen.config().content_channels == 0 {
        bail!("this is a texture model (it takes no content picture): use `nst generate`");
    }
    if !(noise_scale >= 0.0 && noise_scale.is_finite()) {
        bail!("the noise scale must be a number ≥ 0, got {noise_scale}");
    }
    let c = content
        .permuted_axes([2, 0, 1])
        .insert_axis(Axis(0))
        .as_standard_layout()
        .into_owned();
    let inputs = stylization_inputs(gen.config(), &mut Rng::new(seed), c.view(), noise_scale)?;
    let out = output_to_rgb(&generate_tiled(gen, &inputs, tile, progress)?);
    Ok(pictures(&out).remove(0))
}

/// (N, 3, H, W) → N pictures H×W×3.
pub fn pictures<T: Real>(x: &Tensor4<T>) -> Vec<Array3<T>> {
    x.outer_iter()
        .map(|p| p.permuted_axes([1, 2, 0]).as_standard_layout().into_owned())
        .collect()
}
