//! The loss flags shared by `stylize` and `loss`.

use crate::common::{NetArgs, PictureArgs};
use crate::parse::{parse_loss_weight, parse_positive, parse_side, Blend, LayerWeights};
use nst::gatys::LossSpec;
use nst::loss::Normalization;
use nst::math::tensor::Tensor4;
use nst::net::weights::Convention;
use std::path::{Path, PathBuf};

/// Which loss and where: layers, weights, normalisation, sizes and network.
#[derive(clap::Args, Clone, Debug)]
pub struct LossArgs {
    /// Loss normalisation and preset: gatys (Gatys et al. 2016: content ½Σ(F−P)² at relu4_2, style
    /// Σ(G−A)²/(4N²M²) at relu1_1…relu5_1, α/β = 1e-3) or seed002 (the PyTorch course: mean squared
    /// errors at conv1_1…conv5_1 for both, style weight 100, Adam lr 0.003 in its normalised space
    /// with betas 0.5/0.999, 2000 steps). Flags given explicitly override the preset.
    #[arg(long = "loss", default_value = "gatys")]
    pub norm: Normalization,
    /// Content layers with optional weights, e.g. relu4_2 or conv4_2:1.0 [default: by --loss].
    #[arg(long, value_name = "LAYERS")]
    pub content_layers: Option<LayerWeights>,
    /// Style layers with optional weights, e.g. relu1_1,relu2_1:0.5 [default: by --loss; unweighted
    /// layers share equally (Gatys: 1/5 each) under gatys, 1 each under seed002].
    #[arg(long, value_name = "LAYERS")]
    pub style_layers: Option<LayerWeights>,
    /// α, the content weight [default: 1].
    #[arg(long, value_parser = parse_loss_weight, allow_negative_numbers = true, value_name = "ALPHA")]
    pub content_weight: Option<f64>,
    /// β, the style weight [default: 1000 for gatys, 100 for seed002].
    #[arg(long, value_parser = parse_loss_weight, allow_negative_numbers = true, value_name = "BETA")]
    pub style_weight: Option<f64>,
    /// Total-variation weight (smoothness, in network-input units) [default: 0].
    #[arg(long, value_parser = parse_loss_weight, allow_negative_numbers = true, value_name = "W")]
    pub tv_weight: Option<f64>,
    /// Longest side of the output in pixels (the content picture is scaled to it).
    #[arg(long, default_value_t = 512, value_parser = parse_side, allow_negative_numbers = true, value_name = "N")]
    pub size: usize,
    /// Scale of the style pictures relative to the output (1 = same longest side).
    #[arg(long, default_value_t = 1.0, value_parser = parse_positive, allow_negative_numbers = true, value_name = "S")]
    pub style_scale: f64,
    /// Blend weights of several --style pictures, e.g. 0.7,0.3 [default: equal].
    #[arg(long, value_name = "W,W,…")]
    pub style_weights: Option<Blend>,
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub picture: PictureArgs,
}

impl LossArgs {
    /// The loss definition: the preset of `--loss`, with explicit flags on top.
    pub fn spec(&self) -> LossSpec {
        let preset = match self.norm {
            Normalization::Gatys => LossSpec::gatys(),
            Normalization::Seed002 => LossSpec::seed002(),
        };
        let equal_share = self.norm == Normalization::Gatys;
        let fill =
            |given: &Option<LayerWeights>, default: Vec<(String, f64)>, share: bool| match given {
                None => default,
                Some(LayerWeights(ls)) => {
                    let w = if share { 1.0 / ls.len() as f64 } else { 1.0 };
                    ls.iter()
                        .map(|(n, v)| (n.clone(), v.unwrap_or(w)))
                        .collect()
                }
            };
        LossSpec {
            content_layers: fill(&self.content_layers, preset.content_layers, false),
            style_layers: fill(&self.style_layers, preset.style_layers, equal_share),
            content_weight: self.content_weight.unwrap_or(preset.content_weight),
            style_weight: self.style_weight.unwrap_or(preset.style_weight),
            tv_weight: self.tv_weight.unwrap_or(preset.tv_weight),
            norm: self.norm,
        }
    }

    /// Load and preprocess the style pictures with their blend weights; their longest side
    /// is `round(out_side × style_scale)`.
    pub fn load_styles(
        &self,
        paths: &[PathBuf],
        out_side: usize,
        conv: &Convention,
    ) -> nst::Result<Vec<(Tensor4<f32>, f64)>> {
        let blend = match &self.style_weights {
            None => vec![1.0; paths.len()],
            Some(Blend(ws)) if ws.len() == paths.len() => ws.clone(),
            Some(Blend(ws)) => nst::bail!(
                "--style-weights has {} value(s) but {} style picture(s) were given",
                ws.len(),
                paths.len()
            ),
        };
        let side = ((out_side as f64 * self.style_scale).round() as usize).max(1);
        paths
            .iter()
            .zip(blend)
            .map(|(p, b)| Ok((conv.preprocess(self.picture.load(p, Some(side))?.view()), b)))
            .collect()
    }

    /// Refuse, naming the file, a content picture (`h`×`w` after `--size`; `role` says
    /// what it is, e.g. "the content picture") or a style
    /// picture (after `--size` × `--style-scale`) too small for the deepest layer it is
    /// measured at.
    pub fn check_sizes(
        &self,
        vgg: &nst::net::vgg::Vgg<f32>,
        spec: &LossSpec,
        content: Option<(&Path, &str, (usize, usize))>,
        style_paths: &[PathBuf],
        styles: &[(Tensor4<f32>, f64)],
    ) -> nst::Result<()> {
        let names = |ls: &[(String, f64)]| ls.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        if let Some((path, role, (h, w))) = content {
            let all = [names(&spec.content_layers), names(&spec.style_layers)].concat();
            nst::gatys::check_picture_size(vgg, &all, h, w).map_err(|e| {
                nst::Error(format!(
                    "{} ({role}, scaled to a longest side of {} by --size) {e}",
                    path.display(),
                    self.size
                ))
            })?;
        }
        if spec.style_weight != 0.0 {
            let layers = names(&spec.style_layers);
            for (path, (s, _)) in style_paths.iter().zip(styles) {
                let (h, w) = (s.dim().2, s.dim().3);
                nst::gatys::check_picture_size(vgg, &layers, h, w).map_err(|e| {
                    nst::Error(format!(
                        "{} (a style picture, scaled to a longest side of {} by --size × --style-scale) {e}",
                        path.display(),
                        h.max(w)
                    ))
                })?;
            }
        }
        Ok(())
    }

    /// Load and preprocess the content picture at `--size`; also returns it as RGB.
    pub fn load_content(
        &self,
        path: &Path,
        conv: &Convention,
    ) -> nst::Result<(Tensor4<f32>, ndarray::Array3<f32>)> {
        let rgb = self.picture.load(path, Some(self.size))?;
        Ok((conv.preprocess(rgb.view()), rgb))
    }
}
