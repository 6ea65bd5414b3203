//! How different are a generator's samples from each other?
//!
//! The texture loss says how well each sample matches the texture's statistics; it says
//! nothing about whether two samples are two textures or the same picture twice. A
//! generator can lower its loss by always drawing one good picture whatever the noise
//! (the loss cannot tell), and Texture Networks are known to drift that way ("not as
//! diverse as … iterative optimization", Ulyanov et al. 2017). This module measures it.
//!
//! **Layout correlation.** Average each picture over `block`×`block` cells (the fine
//! grain goes, the layout — where the bright strokes and dark gaps are — stays), remove
//! each colour channel's mean, and take the Pearson correlation of two such maps. The
//! mean over all pairs is ≈ 0 for samples with independent layouts (as optimisation from
//! different noise gives, or a generator with circular padding, which cannot tell one
//! place from another) and 1 for the same picture every time.
//!
//! **Bias and spread of the statistics.** Each layer's texture loss is a squared
//! distance, `‖G − A‖²/D`, so the mean loss of `n` pictures splits exactly into the loss
//! of their mean Gram matrix `Ḡ` and their mean distance from it:
//! `mean ‖Gᵢ − A‖² = ‖Ḡ − A‖² + mean ‖Gᵢ − Ḡ‖²`. The first part says what the pictures'
//! statistics get wrong *on average* (bias); the second how much one picture's differ
//! from another's (spread). [`gram_split`] reports both, corrected for `n` being finite.

use crate::gatys::Objective;
use crate::math::tensor::Real;
use ndarray::{Array2, Array3, ArrayView3, Zip};

/// `block`×`block` cell means of an (H, W, C) picture, each channel's mean removed:
/// (H/block, W/block, C); a partial last row/column of cells is dropped.
pub fn block_means<T: Real>(pic: ArrayView3<T>, block: usize) -> Array3<f64> {
    assert!(block > 0, "block must be at least 1 pixel");
    let (h, w, c) = pic.dim();
    let (bh, bw) = (h / block, w / block);
    let mut m = Array3::<f64>::zeros((bh, bw, c));
    for ((y, x, ch), v) in pic.indexed_iter() {
        let (by, bx) = (y / block, x / block);
        if by < bh && bx < bw {
            m[[by, bx, ch]] += v.f64();
        }
    }
    let cells = (bh * bw).max(1) as f64;
    for ch in 0..c {
        let mut lane = m.index_axis_mut(ndarray::Axis(2), ch);
        let mean = lane.sum() / cells;
        lane.mapv_inplace(|v| v - mean);
    }
    m
}

/// Pearson correlation of two equally shaped maps with zero-mean channels; `None` when
/// either is flat (a flat picture has no layout to compare).
fn correlation(a: &Array3<f64>, b: &Array3<f64>) -> Option<f64> {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    Zip::from(a).and(b).for_each(|&x, &y| {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    });
    let scale = (aa * bb).sqrt();
    // Flat up to round-off: 8-bit pictures have cell means that are multiples of 1/255/n.
    (scale > 1e-12 * a.len() as f64).then(|| ab / scale)
}

// ANCHOR: layout_correlation
/// Mean layout correlation over all pairs of `pictures` (H, W, C each), with cells of
/// `block` pixels. `None` when there are fewer than two pictures, their sizes differ, a
/// picture has fewer than 2×2 cells, or one is flat (all its cells alike).
pub fn layout_correlation<T: Real>(pictures: &[ArrayView3<T>], block: usize) -> Option<f64> {
    let first = pictures.first()?.dim();
    if pictures.len() < 2
        || pictures.iter().any(|p| p.dim() != first)
        || first.0 / block < 2
        || first.1 / block < 2
    {
        return None;
    }
    let maps: Vec<Array3<f64>> = pictures.iter().map(|p| block_means(*p, block)).collect();
    let mut sum = 0.0;
    let mut pairs = 0;
    for i in 0..maps.len() {
        for j in i + 1..maps.len() {
            sum += correlation(&maps[i], &maps[j])?;
            pairs += 1;
        }
    }
    Some(sum / pairs as f64)
}
// ANCHOR_END: layout_correlation

/// Per style layer, the two parts of several pictures' mean texture loss (module
/// documentation): `bias[l] + spread[l]` is the mean of layer `l`'s term.
#[derive(Clone, Debug, PartialEq)]
pub struct GramSplit {
    /// The loss the expected Gram matrix would get, estimated: `‖Ḡ − A‖²/D`, less the
    /// share of the spread that a mean of `n` pictures still carries (`spread/n`).
    pub bias: Vec<f64>,
    /// How far one picture's Gram matrix lies from the expected one, estimated:
    /// `mean ‖Gᵢ − Ḡ‖²/D · n/(n − 1)` (the usual unbiased variance).
    pub spread: Vec<f64>,
}

impl GramSplit {
    /// (bias, spread) summed over the layers.
    pub fn totals(&self) -> (f64, f64) {
        (self.bias.iter().sum(), self.spread.iter().sum())
    }
}

// ANCHOR: gram_split
/// Split the mean texture loss of pictures of `obj`'s size, given each one's
/// [`Objective::style_grams`], into bias and spread. Needs at least two pictures.
///
/// With `n` pictures, `‖Ḡ − A‖²` overstates the expected Gram matrix's loss by the mean's
/// own noise, `tr Σ / n`, and `mean ‖Gᵢ − Ḡ‖²` understates `tr Σ` by the factor
/// `(n − 1)/n`; both are corrected here, and the corrections cancel in the sum.
pub fn gram_split(obj: &Objective, grams: &[Vec<Array2<f32>>]) -> Option<GramSplit> {
    if grams.len() < 2 {
        return None;
    }
    let n = grams.len() as f64;
    let mut mean: Vec<Array2<f32>> = grams[0]
        .iter()
        .map(|g| Array2::zeros(g.raw_dim()))
        .collect();
    for g in grams {
        mean.iter_mut().zip(g).for_each(|(m, g)| *m += g);
    }
    mean.iter_mut().for_each(|m| *m /= n as f32);
    let to_target = obj.style_layer_losses(&mean, None);
    let mut spread = vec![0.0; mean.len()];
    for g in grams {
        let d = obj.style_layer_losses(g, Some(&mean));
        spread
            .iter_mut()
            .zip(d)
            .for_each(|(s, d)| *s += d / (n - 1.0));
    }
    let bias = to_target
        .iter()
        .zip(&spread)
        .map(|(b, s)| b - s / n)
        .collect();
    Some(GramSplit { bias, spread })
}
// ANCHOR_END: gram_split

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::rng::Rng;

    fn noise(seed: u64) -> Array3<f32> {
        Rng::new(seed).uniform_array((64, 48, 3), 0.0, 1.0)
    }

    #[test]
    fn the_same_picture_correlates_fully() {
        let a = noise(1);
        let r = layout_correlation(&[a.view(), a.view(), a.view()], 8).unwrap();
        assert!((r - 1.0).abs() < 1e-12, "{r}");
    }

    #[test]
    fn independent_pictures_barely_correlate() {
        let pics: Vec<Array3<f32>> = (0..6).map(noise).collect();
        let views: Vec<_> = pics.iter().map(|p| p.view()).collect();
        let r = layout_correlation(&views, 8).unwrap();
        // 8×6×3 = 144 cells per map: pairwise correlations of independent maps are
        // ≈ N(0, 1/144), their mean over 15 pairs has σ ≈ 0.02.
        assert!(r.abs() < 0.1, "{r}");
    }

    #[test]
    fn brightness_and_fine_grain_do_not_count() {
        // Same layout, different mean colour and different pixel noise within cells.
        let base = noise(7);
        let layout = block_means(base.view(), 8);
        let make = |offset: f32, seed: u64| {
            let grain: Array3<f32> = Rng::new(seed).uniform_array((64, 48, 3), -0.05, 0.05);
            Array3::from_shape_fn((64, 48, 3), |(y, x, c)| {
                layout[[y / 8, x / 8, c]] as f32 + offset + grain[[y, x, c]]
            })
        };
        let (a, b) = (make(0.2, 1), make(0.6, 2));
        let r = layout_correlation(&[a.view(), b.view()], 8).unwrap();
        assert!(r > 0.95, "{r}");
    }

    #[test]
    fn unusable_inputs_give_none() {
        let a = noise(1);
        let small: Array3<f32> = Array3::zeros((8, 8, 3));
        assert!(layout_correlation(&[a.view()], 8).is_none());
        assert!(layout_correlation(&[a.view(), small.view()], 8).is_none());
        assert!(layout_correlation(&[small.view(), small.view()], 8).is_none());
        let flat: Array3<f32> = Array3::from_elem((64, 48, 3), 0.5);
        assert!(layout_correlation(&[flat.view(), flat.view()], 8).is_none());
        assert!(layout_correlation(&[a.view(), flat.view()], 8).is_none());
    }

    /// The split is exact: per layer, bias + spread is the mean of the pictures' terms,
    /// and those terms are what `Objective::evaluate` adds up. Unequal layer weights and
    /// β ≠ 1 check that both sides weigh the layers alike.
    #[test]
    fn gram_split_adds_up_to_the_mean_loss() {
        use crate::gatys::LossSpec;
        use crate::loss::Normalization;
        use crate::net::vgg::{Arch, Pooling, Vgg};
        let vgg = Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, [4, 4, 6, 6, 6], 3);
        let conv = crate::net::weights::Convention::caffe();
        let spec = LossSpec {
            content_layers: vec![],
            style_layers: vec![("relu1_1".into(), 0.3), ("relu2_1".into(), 0.7)],
            content_weight: 0.0,
            style_weight: 2.0,
            tv_weight: 0.0,
            norm: Normalization::Gatys,
        };
        let sample = conv.preprocess(Rng::new(1).uniform_array((40, 40, 3), 0.0, 1.0).view());
        let obj = Objective::new(&vgg, spec, None, &[(sample, 1.0)], (32, 32)).unwrap();
        let pics: Vec<_> = (10..15)
            .map(|s| conv.preprocess(Rng::new(s).uniform_array((32, 32, 3), 0.0, 1.0).view()))
            .collect();
        let grams: Vec<_> = pics.iter().map(|x| obj.style_grams(x)).collect();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-5 * a.abs().max(b.abs());
        let mut mean = [0.0; 2];
        for (x, g) in pics.iter().zip(&grams) {
            let terms = obj.style_layer_losses(g, None);
            let total = obj.evaluate(x).0.total;
            assert!(close(terms.iter().sum(), total), "{terms:?} vs {total}");
            mean.iter_mut().zip(&terms).for_each(|(m, t)| *m += t / 5.0);
        }
        let split = gram_split(&obj, &grams).unwrap();
        for (l, mean) in mean.iter().enumerate() {
            assert!(split.spread[l] > 0.0);
            let sum = split.bias[l] + split.spread[l];
            assert!(close(sum, *mean), "layer {l}: {sum} vs {mean}");
        }
        // The same picture five times: no spread, and the bias is its loss.
        let same = vec![grams[0].clone(); 5];
        let split = gram_split(&obj, &same).unwrap();
        let (bias, spread) = split.totals();
        let own: f64 = obj.style_layer_losses(&grams[0], None).iter().sum();
        assert!(
            spread.abs() <= 1e-9 * own && close(bias, own),
            "{bias} {spread} {own}"
        );
        assert_eq!(gram_split(&obj, &grams[..1]), None);
    }
}
