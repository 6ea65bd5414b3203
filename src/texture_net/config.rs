//! Every architectural choice of the Texture Networks generator, as one struct, with a
//! small `key = value` text form that is saved beside the weights.

use crate::bail;
use crate::error::{Error, Result};
use crate::layers::{Activation, BN_MOMENTUM, NORM_EPS};
use crate::math::im2col::Padding;
use std::str::FromStr;

/// Which normalisation follows every convolution (and precedes every join).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormKind {
    /// Batch norm, as in the 2016 paper: batch statistics in training, running ones
    /// when generating.
    Batch,
    /// Instance norm, the fix of "Improved Texture Networks" (2017): per-picture
    /// statistics always.
    Instance,
}

impl NormKind {
    /// `batch` or `instance`.
    pub fn name(self) -> &'static str {
        match self {
            NormKind::Batch => "batch",
            NormKind::Instance => "instance",
        }
    }
}

impl FromStr for NormKind {
    type Err = Error;

    /// Parse `batch` or `instance`.
    fn from_str(s: &str) -> Result<NormKind> {
        match s {
            "batch" => Ok(NormKind::Batch),
            "instance" => Ok(NormKind::Instance),
            _ => bail!("unknown normalisation '{s}' (expected batch or instance)"),
        }
    }
}

/// The generator's architecture. [`GeneratorConfig::texture`] and
/// [`GeneratorConfig::stylization`] are the paper's two settings.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorConfig {
    /// K, the number of scales: inputs at M, M/2, …, M/2^(K−1).
    pub scales: usize,
    /// Noise channels at every scale (3 in the authors' code).
    pub noise_channels: usize,
    /// Channels of the content image, downsampled to each scale and stacked in front of
    /// the noise: 0 for textures, 3 for stylisation.
    pub content_channels: usize,
    /// Output channels of each branch's conv block (8 in the paper). A join of `i`
    /// branches has `i` times as many, so the finest join of K scales has K times.
    pub branch_channels: usize,
    /// Normalization after every convolution and before every join.
    pub norm: NormKind,
    /// Nonlinearity after every normalisation.
    pub activation: Activation,
    /// Padding of the 3×3 convolutions: circular makes the output tile seamlessly.
    pub padding: Padding,
    /// Momentum of batch norm's running statistics.
    pub momentum: f64,
    /// ε of the normalisations.
    pub eps: f64,
}

impl GeneratorConfig {
    /// Texture synthesis as in the paper: K = 5 scales of 3 noise channels, 8 channels
    /// per branch (8 → 40), batch norm, ReLU, circular padding.
    ///
    /// The activation is ReLU because the seed says so ("each layer followed by a ReLU
    /// activation") and so does the authors' `models/pyramid.lua`, "the model from the
    /// paper". Their later variants (`pyramid2.lua` and the skip nets) use
    /// LeakyReLU(0.01); [`Activation::LeakyRelu`] is one field away.
    pub fn texture() -> Self {
        GeneratorConfig {
            scales: 5,
            noise_channels: 3,
            content_channels: 0,
            branch_channels: 8,
            norm: NormKind::Batch,
            activation: Activation::Relu,
            padding: Padding::Circular,
            momentum: BN_MOMENTUM,
            eps: NORM_EPS,
        }
    }

    /// Stylisation as in the paper: K = 6 scales ("changing K from 5 to 6 gave better
    /// results"), each fed the content image downsampled to its size (3 channels)
    /// besides the noise.
    pub fn stylization() -> Self {
        GeneratorConfig {
            scales: 6,
            content_channels: 3,
            ..Self::texture()
        }
    }

    /// Channels of each scale's input: content, then noise.
    pub fn input_channels(&self) -> usize {
        self.content_channels + self.noise_channels
    }

    /// Output sizes must be multiples of this, `2^(K−1)`, so that every scale halves the
    /// previous one exactly.
    pub fn size_multiple(&self) -> usize {
        1 << (self.scales.max(1) - 1)
    }

    /// Is the configuration usable? (Each message names the field.)
    pub fn validate(&self) -> Result<()> {
        if !(1..=12).contains(&self.scales) {
            bail!("scales must be between 1 and 12, got {}", self.scales);
        }
        if self.input_channels() == 0 {
            bail!("the generator needs at least one input channel (noise or content)");
        }
        if self.branch_channels == 0 {
            bail!("branch_channels must be at least 1");
        }
        // Bounds, so that a config file from elsewhere cannot size an allocation at will
        // (the paper uses 8 channels per branch and 3 noise channels).
        for (key, v) in [
            ("noise_channels", self.noise_channels),
            ("content_channels", self.content_channels),
            ("branch_channels", self.branch_channels),
        ] {
            if v > MAX_CHANNELS {
                bail!("{key} must be at most {MAX_CHANNELS}, got {v}");
            }
        }
        // Together, the bounded fields can still ask for more than any machine has
        // (12 scales of 1024 channels: 13 billion parameters), and building the
        // generator allocates them all.
        let n = self.parameters();
        if n > MAX_PARAMETERS {
            bail!(
                "{} scales of {} branch_channels make {n} parameters ({} MiB in f32); \
                 at most {MAX_PARAMETERS} are allowed",
                self.scales,
                self.branch_channels,
                (n * 4) >> 20
            );
        }
        if !(0.0..=1.0).contains(&self.momentum) {
            bail!("momentum must be in [0, 1], got {}", self.momentum);
        }
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            bail!("eps must be positive, got {}", self.eps);
        }
        Ok(())
    }

    /// How many parameters the generator has (as `Generator::zeroed` lays them out): per
    /// block of `c` inputs and `w` outputs, 3×3, 3×3 and 1×1 convolutions with biases and
    /// three normalisations (γ, β); each join adds one normalisation of its inputs.
    /// In `u64`, as the bounded fields give at most about 1.3·10¹⁰.
    fn parameters(&self) -> u64 {
        let (k, b) = (self.scales as u64, self.branch_channels as u64);
        let block = |c: u64, w: u64| 9 * w * c + 10 * w * w + 9 * w;
        let branches = k * block(self.input_channels() as u64, b);
        let joins: u64 = (2..=k).map(|m| 2 * m * b + block(m * b, m * b)).sum();
        branches + joins + 3 * k * b + 3
    }

    /// Check that an `h`×`w` output can be made: both multiples of `2^(K−1)`.
    ///
    /// Other sizes are refused rather than padded or cropped: cropping would cut the
    /// torus that circular padding makes, and the output would no longer tile.
    pub fn check_size(&self, h: usize, w: usize) -> Result<()> {
        let m = self.size_multiple();
        for (what, s) in [("height", h), ("width", w)] {
            if s == 0 || s % m != 0 {
                let below = (s / m) * m;
                let near = if below == 0 {
                    format!("{m}")
                } else {
                    format!("{below} or {}", below + m)
                };
                bail!(
                    "output {what} {s} is not a multiple of {m} = 2^(K−1) for K = {} scales \
                     (each coarser scale halves the size exactly); nearest: {near}",
                    self.scales
                );
            }
        }
        Ok(())
    }

    /// The `key = value` text saved as `config.txt` beside the weights.
    pub fn to_text(&self) -> String {
        format!(
            "# nst Texture Networks generator (Ulyanov et al. 2016)\n\
             format = {FORMAT}\n\
             scales = {}\n\
             noise_channels = {}\n\
             content_channels = {}\n\
             branch_channels = {}\n\
             norm = {}\n\
             activation = {}\n\
             padding = {}\n\
             momentum = {}\n\
             eps = {}\n",
            self.scales,
            self.noise_channels,
            self.content_channels,
            self.branch_channels,
            self.norm.name(),
            self.activation.name(),
            self.padding.name(),
            self.momentum,
            self.eps,
        )
    }

    /// Parse [`GeneratorConfig::to_text`]'s form. Blank lines and `#` comments are
    /// skipped; a missing key or a bad value is an error naming it. Keys that are not
    /// part of the configuration (a saved parameter count, say) are returned, as
    /// `(key, value)` pairs, for the caller to check or reject.
    pub fn from_text(text: &str) -> Result<(Self, Vec<(String, String)>)> {
        let mut kv = parse_kv(text)?;
        let mut take = |key: &str| -> Result<String> {
            match kv.iter().position(|(k, _)| k == key) {
                Some(i) => Ok(kv.remove(i).1),
                None => bail!("missing key '{key}'"),
            }
        };
        if take("format")? != FORMAT {
            bail!("not a generator config of format {FORMAT}");
        }
        let config = GeneratorConfig {
            scales: number(&take("scales")?, "scales")?,
            noise_channels: number(&take("noise_channels")?, "noise_channels")?,
            content_channels: number(&take("content_channels")?, "content_channels")?,
            branch_channels: number(&take("branch_channels")?, "branch_channels")?,
            norm: NormKind::from_str(&take("norm")?)?,
            activation: Activation::from_str(&take("activation")?)?,
            padding: Padding::from_str(&take("padding")?)?,
            momentum: number(&take("momentum")?, "momentum")?,
            eps: number(&take("eps")?, "eps")?,
        };
        config.validate()?;
        Ok((config, kv))
    }
}

/// The most channels a configuration may ask for in any of its channel counts.
pub const MAX_CHANNELS: usize = 1024;

/// The most parameters a configuration may make: 2²⁷, 512 MiB in f32 (the paper's
/// texture generator has about 72 thousand).
pub const MAX_PARAMETERS: u64 = 1 << 27;

/// The `format` line's value.
const FORMAT: &str = "nst-texture-generator-1";

fn number<N: std::str::FromStr>(s: &str, key: &str) -> Result<N> {
    s.parse()
        .map_err(|_| Error(format!("{key}: '{s}' is not a valid number")))
}

/// The `key = value` lines of a config or state file, in order; blank lines and `#`
/// comments skipped. A line without `=` is an error naming its number.
pub(crate) fn parse_kv(text: &str) -> Result<Vec<(String, String)>> {
    let mut kv = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            bail!("line {}: expected `key = value`, got '{line}'", i + 1);
        };
        kv.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(kv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for c in [
            GeneratorConfig::texture(),
            GeneratorConfig {
                norm: NormKind::Instance,
                activation: Activation::LeakyRelu(0.2),
                padding: Padding::Zero,
                ..GeneratorConfig::stylization()
            },
        ] {
            let (back, extra) = GeneratorConfig::from_text(&c.to_text()).unwrap();
            assert_eq!(back, c);
            assert!(extra.is_empty());
        }
    }

    #[test]
    fn bad_text_is_named() {
        let t = GeneratorConfig::texture().to_text();
        let e = GeneratorConfig::from_text(&t.replace("scales = 5\n", "")).unwrap_err();
        assert!(e.0.contains("missing key 'scales'"), "{e}");
        let e = GeneratorConfig::from_text(&t.replace("norm = batch", "norm = layer")).unwrap_err();
        assert!(e.0.contains("unknown normalisation 'layer'"), "{e}");
        let e = GeneratorConfig::from_text(&t.replace("= 8", "= eight")).unwrap_err();
        assert!(e.0.contains("branch_channels: 'eight'"), "{e}");
    }

    #[test]
    fn configs_too_large_to_allocate_are_refused() {
        // Every field within its bound, but 12 scales of 1024 channels per branch make a
        // generator of about 13 billion parameters (52 GB): loading such a config.txt
        // aborted on the allocation.
        let t = GeneratorConfig::texture()
            .to_text()
            .replace("scales = 5", "scales = 12")
            .replace("branch_channels = 8", "branch_channels = 1024");
        let e = GeneratorConfig::from_text(&t).unwrap_err();
        assert!(e.0.contains("parameters"), "{e}");
        // 12 scales of 64 channels (about 51 million parameters) are still allowed.
        let ok = t.replace("branch_channels = 1024", "branch_channels = 64");
        assert!(GeneratorConfig::from_text(&ok).is_ok());
    }

    #[test]
    fn parameter_count_is_the_generators() {
        use crate::texture_net::Generator;
        let small = GeneratorConfig {
            scales: 3,
            noise_channels: 2,
            content_channels: 1,
            branch_channels: 5,
            norm: NormKind::Instance,
            ..GeneratorConfig::texture()
        };
        for c in [
            GeneratorConfig::texture(),
            GeneratorConfig::stylization(),
            small,
            GeneratorConfig {
                scales: 1,
                ..GeneratorConfig::texture()
            },
        ] {
            let g = Generator::<f32>::zeroed(c.clone()).unwrap();
            assert_eq!(c.parameters(), g.parameter_count() as u64, "{c:?}");
        }
    }

    #[test]
    fn sizes_must_halve_exactly() {
        let c = GeneratorConfig::texture();
        assert!(c.check_size(256, 128).is_ok());
        let e = c.check_size(250, 256).unwrap_err();
        assert!(e.0.contains("height 250 is not a multiple of 16"), "{e}");
        assert!(e.0.contains("nearest: 240 or 256"), "{e}");
        let e = c.check_size(256, 7).unwrap_err();
        assert!(
            e.0.contains("width 7") && e.0.contains("nearest: 16"),
            "{e}"
        );
    }
}
