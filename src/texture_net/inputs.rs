//! The generator's inputs: one tensor per scale, finest first.
//!
//! For textures, each is uniform noise in [0, 1) ("i.i.d. samples from a uniform
//! distribution", §3.2) with `noise_channels` channels. For stylisation, each scale
//! first holds the content picture downsampled to its size — by averaging 2^k × 2^k
//! blocks, as the authors' code does (`SpatialAveragePooling` with ratio 2^k) — and then
//! the noise. The noise's amplitude is a knob at generation time: the paper's Fig. 5
//! trades style against content by scaling it.

use super::config::GeneratorConfig;
use crate::bail;
use crate::error::Result;
use crate::layers::{avgpool2_forward, concat_channels};
use crate::math::rng::Rng;
use crate::math::tensor::{Real, Tensor4};
use ndarray::ArrayView4;

/// Noise inputs for a texture generator: `inputs[k]` is (n, C_noise, h/2^k, w/2^k),
/// uniform in [0, 1).
pub fn noise_inputs<T: Real>(
    config: &GeneratorConfig,
    rng: &mut Rng,
    n: usize,
    h: usize,
    w: usize,
) -> Result<Vec<Tensor4<T>>> {
    if config.content_channels != 0 {
        bail!(
            "this generator takes a {}-channel content picture besides the noise",
            config.content_channels
        );
    }
    config.check_size(h, w)?;
    Ok((0..config.scales)
        .map(|k| rng.uniform_array((n, config.noise_channels, h >> k, w >> k), 0.0, 1.0))
        .collect())
}

/// Inputs for a stylisation generator: at scale k, the content (N, C_content, H, W)
/// averaged over 2^k × 2^k blocks, then noise uniform in [0, `noise_scale`).
pub fn stylization_inputs<T: Real>(
    config: &GeneratorConfig,
    rng: &mut Rng,
    content: ArrayView4<T>,
    noise_scale: f64,
) -> Result<Vec<Tensor4<T>>> {
    let (n, c, h, w) = content.dim();
    if c != config.content_channels {
        bail!(
            "the content has {c} channels, the generator expects {}",
            config.content_channels
        );
    }
    config.check_size(h, w)?;
    let mut level = content.to_owned();
    let mut inputs = Vec::with_capacity(config.scales);
    for k in 0..config.scales {
        if k > 0 {
            level = avgpool2_forward(level.view());
        }
        let shape = (n, config.noise_channels, h >> k, w >> k);
        let noise: Tensor4<T> = rng.uniform_array(shape, 0.0, noise_scale);
        inputs.push(concat_channels(&[level.view(), noise.view()]));
    }
    Ok(inputs)
}
