//! `--clamp`: optimisation kept inside the range a saved picture has.
//!
//! Without it the pixels may leave [0, 1] (the loss does not forbid it) and saving clamps
//! them, so the saved picture's loss can be far from the logged one: at 128², `nst texture`
//! on the starry sky logs 8.0e6 and its saved PNG scores 7.2e8 (docs/texture_results.md).

use ndarray::{Array3, Array4};
use nst::gatys::{
    optimize, optimize_bounded, Control, LossSpec, Objective, OptimizerChoice, PixelBounds,
};
use nst::loss::Normalization;
use nst::math::rng::Rng;
use nst::net::vgg::{Arch, Pooling, Vgg};
use nst::net::weights::Convention;

#[test]
fn bounds_are_the_preprocessed_black_and_white() {
    for conv in [Convention::caffe(), Convention::torch()] {
        let b = PixelBounds::of(&conv);
        let black = conv.preprocess(Array3::<f32>::zeros((1, 1, 3)).view());
        let white = conv.preprocess(Array3::<f32>::ones((1, 1, 3)).view());
        // A 1×2 picture per channel: one value far below, one far above the range.
        let mut x: Vec<f32> = [-1e4f32, 1e4].repeat(3);
        b.clamp(&mut x, 2);
        for c in 0..3 {
            let (lo, hi) = (black[[0, c, 0, 0]], white[[0, c, 0, 0]]);
            assert_eq!((x[2 * c], x[2 * c + 1]), (lo.min(hi), lo.max(hi)), "{c}");
        }
        // Inside the range nothing moves.
        let mid = conv.preprocess(Array3::<f32>::from_elem((1, 2, 3), 0.5).view());
        let mut y = mid.clone().into_raw_vec_and_offset().0;
        b.clamp(&mut y, 2);
        assert_eq!(y, mid.into_raw_vec_and_offset().0);
    }
}

/// A large Adam step on a tiny random network's texture loss pushes pixels out of the
/// range; the bounded run keeps every one of them in it, and still lowers the loss.
#[test]
fn bounded_optimization_stays_in_range() {
    let vgg = Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, [4, 4, 6, 6, 6], 3);
    let conv = Convention::caffe();
    let sample = conv.preprocess(Rng::new(1).uniform_array((40, 40, 3), 0.0, 1.0).view());
    let spec = LossSpec {
        content_layers: vec![],
        style_layers: vec![("relu1_1".into(), 0.5), ("relu2_1".into(), 0.5)],
        content_weight: 0.0,
        style_weight: 1.0,
        tv_weight: 0.0,
        norm: Normalization::Gatys,
    };
    let obj = Objective::new(&vgg, spec, None, &[(sample, 1.0)], (32, 32)).unwrap();
    let x0: Array4<f32> = conv.preprocess(Rng::new(2).uniform_array((32, 32, 3), 0.0, 1.0).view());
    let choice = OptimizerChoice::Adam {
        lr: 60.0,
        beta1: 0.9,
        beta2: 0.999,
    };
    let bounds = PixelBounds::of(&conv);
    let inside = |x: &Array4<f32>| {
        let mut c = x.clone().into_raw_vec_and_offset().0;
        bounds.clamp(&mut c, 32 * 32);
        c == x.clone().into_raw_vec_and_offset().0
    };
    let free = optimize(&obj, x0.clone(), &choice, 20, |_| Control::Continue);
    assert!(!inside(&free.x), "the unbounded run should leave the range");
    let plane = 32 * 32;
    let outside = bounds.outside(free.x.as_slice().unwrap(), plane);
    assert!(outside > 0.0 && outside < 1.0, "{outside}");
    let mut first = None;
    let kept = optimize_bounded(&obj, x0, &choice, 20, Some(&bounds), |it| {
        assert!(inside(it.x), "iteration {} left the range", it.iter);
        first.get_or_insert(it.terms.total);
        Control::Continue
    });
    assert!(inside(&kept.x));
    assert_eq!(bounds.outside(kept.x.as_slice().unwrap(), plane), 0.0);
    assert!(
        kept.terms.total < 0.5 * first.unwrap(),
        "{} vs {first:?}",
        kept.terms.total
    );
}
