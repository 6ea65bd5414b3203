//! The hand-derived losses against PyTorch autograd (float64 fixtures).
//!
//! Same formulas in the same precision: the only differences are summation order and
//! GEMM blocking, ~1e-15 relative. The tolerance 1e-10 is loose for that and tight for
//! any conceivable mistake (a wrong normalisation constant is off by ≥ 1e-2, a transposed
//! or unsymmetrised Gram gradient by O(1)).

mod torch_fixtures;

use ndarray::{Array2, Array3, Ix2, Ix3};
use nst::loss::{content_grad_paper, content_loss, gram, style_loss, tv_loss, Normalization};
use nst::math::tensor::rel_error;
use torch_fixtures::{f64s, rel, scalar};

const TOL: f64 = 1e-10;

/// A `[1, C, H, W]` fixture as its single `C×H×W` item.
fn item(name: &str) -> Array3<f64> {
    let a = f64s(name);
    assert_eq!(a.shape()[0], 1, "{name}: batch of one expected");
    a.index_axis_move(ndarray::Axis(0), 0)
        .into_dimensionality::<Ix3>()
        .unwrap()
}

fn matrix(name: &str) -> Array2<f64> {
    f64s(name).into_dimensionality::<Ix2>().unwrap()
}

#[test]
fn gram_matches() {
    let (f, g) = (item("F"), matrix("G"));
    assert!(rel_error(&gram(f.view()).view(), &g.view()) <= TOL);
    let a = matrix("A");
    assert!(rel_error(&gram(item("F2").view()).view(), &a.view()) <= TOL);
}

#[test]
fn content_matches() {
    let (f, p) = (item("F"), item("P"));
    for (norm, name) in [
        (Normalization::Gatys, "content_gatys"),
        (Normalization::Seed002, "content_seed002"),
    ] {
        let l = content_loss(f.view(), p.view(), norm);
        let value = scalar(&format!("{name}.value"));
        let grad = item(&format!("{name}.grad"));
        assert!(rel(l.value, value) <= TOL, "{name}: {} vs {value}", l.value);
        let e = rel_error(&l.grad.view(), &grad.view());
        assert!(e <= TOL, "{name} grad: rel error {e:e}");
    }
}

#[test]
fn style_matches() {
    let (f, a) = (item("F"), matrix("A"));
    for (norm, name) in [
        (Normalization::Gatys, "style_gatys"),
        (Normalization::Seed002, "style_seed002"),
    ] {
        let l = style_loss(f.view(), a.view(), norm);
        let value = scalar(&format!("{name}.value"));
        let grad = item(&format!("{name}.grad"));
        assert!(rel(l.value, value) <= TOL, "{name}: {} vs {value}", l.value);
        let e = rel_error(&l.grad.view(), &grad.view());
        assert!(e <= TOL, "{name} grad: rel error {e:e}");
    }
}

#[test]
fn tv_matches() {
    let x = item("tv.x");
    let l = tv_loss(x.view());
    let value = scalar("tv.value");
    assert!(rel(l.value, value) <= TOL, "tv: {} vs {value}", l.value);
    let e = rel_error(&l.grad.view(), &item("tv.grad").view());
    assert!(e <= TOL, "tv grad: rel error {e:e}");
}

#[test]
fn paper_form_is_torch_gradient_masked() {
    // F is a ReLU output (about half exact zeros): the paper's masked content gradient is
    // torch's unmasked one with the entries at F = 0 zeroed.
    let (f, p) = (item("F"), item("P"));
    assert!(f.iter().filter(|&&v| v == 0.0).count() > f.len() / 4);
    let torch = item("content_gatys.grad");
    let masked = Array3::from_shape_fn(f.dim(), |i| if f[i] > 0.0 { torch[i] } else { 0.0 });
    assert!(
        rel_error(
            &content_grad_paper(f.view(), p.view()).view(),
            &masked.view()
        ) <= TOL
    );
}
