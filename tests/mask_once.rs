//! The F > 0 mask of the seed's formulas is applied exactly once, by the ReLU backward
//! pass: the paper's masked gradient equals ReLU-backward ∘ the unmasked loss gradient.

use ndarray::{Array3, Array4, Axis};
use nst::layers::{relu_backward, relu_forward};
use nst::loss::{
    content_grad_paper, content_loss, gram, style_grad_paper, style_loss, Normalization,
};
use nst::math::rng::Rng;
use nst::math::tensor::rel_error;
use proptest::prelude::*;

/// ReLU-backward of an unmasked gradient at pre-activation `z`.
fn through_relu(z: &Array3<f64>, g: &Array3<f64>) -> Array3<f64> {
    let (_, cache) = relu_forward(z.clone().insert_axis(Axis(0)), true);
    let (c, h, w) = g.dim();
    let mut dz = Array4::zeros((1, c, h, w));
    relu_backward(
        g.view().insert_axis(Axis(0)),
        &cache.unwrap(),
        dz.view_mut(),
    );
    dz.index_axis_move(Axis(0), 0)
}

proptest! {
    #[test]
    fn paper_masked_gradients_equal_relu_backward_of_unmasked(c in 1usize..5, h in 1usize..6, w in 1usize..6, seed: u64) {
        let mut rng = Rng::new(seed);
        let z: Array3<f64> = rng.uniform_array((c, h, w), -1.0, 1.0); // conv output
        let f = z.mapv(|v| v.max(0.0));                               // relu output: Gatys' F
        let p: Array3<f64> = rng.uniform_array((c, h, w), 0.0, 1.0);
        let other: Array3<f64> = rng.uniform_array((c, h, w), 0.0, 1.0);
        let a = gram(other.view());

        let ours = through_relu(&z, &content_loss(f.view(), p.view(), Normalization::Gatys).grad);
        let paper = content_grad_paper(f.view(), p.view());
        prop_assert!(rel_error(&ours.view(), &paper.view()) < 1e-14);

        let ours = through_relu(&z, &style_loss(f.view(), a.view(), Normalization::Gatys).grad);
        let paper = style_grad_paper(f.view(), a.view());
        prop_assert!(rel_error(&ours.view(), &paper.view()) < 1e-12);
    }
}
