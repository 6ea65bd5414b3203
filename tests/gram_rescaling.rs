//! The style target's rescaling by `M_out / M_style` (book chapter 6, "Style pictures of
//! another size"), tested on its own.
//!
//! A picture tiled 2×2 has, under circular padding, exactly the tiled features of the
//! picture at every layer (the convolutions wrap around the torus, and each tile's size
//! stays even through the poolings), so every Gram matrix of the tiled picture is exactly
//! four times the original's. A style target computed from the tiled picture for an
//! output of the original size must therefore equal the original's Gram matrix: the
//! original picture has style loss 0 (to round-off) against it. Without the factor
//! (or with it inverted) the target would be 4 (or 16) times too large.

use ndarray::{s, Array4};
use nst::gatys::{LossSpec, Objective};
use nst::loss::Normalization;
use nst::math::im2col::Padding;
use nst::math::rng::Rng;
use nst::net::vgg::{Arch, Pooling, Vgg};

fn tile_2x2(p: &Array4<f32>) -> Array4<f32> {
    let (n, c, h, w) = p.dim();
    let mut t = Array4::zeros((n, c, 2 * h, 2 * w));
    for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        t.slice_mut(s![.., .., i * h..(i + 1) * h, j * w..(j + 1) * w])
            .assign(p);
    }
    t
}

#[test]
fn a_tiled_style_picture_gives_the_originals_gram_targets() {
    let layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"];
    let spec = LossSpec {
        content_layers: vec![],
        style_layers: layers.iter().map(|l| (l.to_string(), 0.2)).collect(),
        content_weight: 0.0,
        style_weight: 1.0,
        tv_weight: 0.0,
        norm: Normalization::Gatys,
    };
    let vgg = Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, [4, 6, 6, 8, 8], 7)
        .with_padding(Padding::Circular);
    let p: Array4<f32> = Rng::new(3).uniform_array((1, 3, 32, 32), -100.0, 100.0);
    let tiled = tile_2x2(&p);
    let obj = Objective::new(&vgg, spec, None, &[(tiled.clone(), 1.0)], (32, 32)).unwrap();
    let grams = obj.style_grams(&p);
    // The tiled picture's own Gram matrices really are four times the original's…
    let big = Objective::new(
        &vgg,
        obj.spec().clone(),
        None,
        &[(tiled.clone(), 1.0)],
        (64, 64),
    )
    .unwrap();
    for (l, (g, g4)) in grams.iter().zip(big.style_grams(&tiled)).enumerate() {
        let rel = (&g4 - &(g * 4.0)).mapv(|v| v.abs()).sum() / g4.mapv(|v| v.abs()).sum();
        assert!(rel < 1e-5, "{}: tiled Gram is not 4× ({rel})", layers[l]);
    }
    // … and the rescaled target is the original's Gram matrix: the original has loss ≈ 0,
    // while a target four times too large (no rescaling) would leave a loss of
    // Σ(G − 4G)²/D = 9·Σ G²/D.
    let at_target = obj.style_layer_losses(&grams, None);
    let quarter: Vec<_> = grams.iter().map(|g| g * 0.25).collect();
    let off_by_four = obj.style_layer_losses(&quarter, None);
    for (l, (zero, far)) in at_target.iter().zip(&off_by_four).enumerate() {
        assert!(*far > 0.0, "{}: the comparison loss is 0", layers[l]);
        assert!(
            *zero <= 1e-8 * far,
            "{}: loss {zero:e} at the rescaled target, against {far:e} for a target 4× off",
            layers[l]
        );
    }
}
