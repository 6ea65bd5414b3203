//! Each layer against PyTorch autograd: forward outputs and every gradient, on the
//! fixtures made by `scripts/reference/torch_layer_fixtures.py` (float64; see the
//! MANIFEST there). Tolerance 1e-12 relative: both sides are exact f64 arithmetic in a
//! different summation order.

mod common;

use common::load;
use ndarray::{Array1, Array4, Ix1, Ix4};
use nst::layers::*;
use nst::math::im2col::Padding;
use nst::math::tensor::rel_error;

const TOL: f64 = 1e-12;

fn t4(case: &str, t: &str) -> Array4<f64> {
    load(&format!("torch_layers/{case}.{t}.npy"))
        .into_dimensionality::<Ix4>()
        .unwrap()
}

fn close4(what: &str, ours: &Array4<f64>, theirs: &Array4<f64>) {
    let e = rel_error(&ours.view(), &theirs.view());
    assert!(e < TOL, "{what}: rel error {e:e}");
}

#[test]
fn conv2d_matches_torch() {
    let cases = [
        ("conv_k3s1p1", 1, 1, Padding::Zero),
        ("conv_k3s2p0", 2, 0, Padding::Zero),
        ("conv_k1s1p0", 1, 0, Padding::Zero),
        ("conv_k5s2p2", 2, 2, Padding::Zero),
        ("conv_k3s1p1_circular", 1, 1, Padding::Circular),
    ];
    for (case, stride, pad, padding) in cases {
        let spec = ConvSpec {
            stride,
            pad,
            padding,
        };
        let (x, w, dy) = (t4(case, "x"), t4(case, "w"), t4(case, "dy"));
        let b = load(&format!("torch_layers/{case}.b.npy"))
            .into_dimensionality::<Ix1>()
            .unwrap();
        let y = conv2d_forward(x.view(), w.view(), b.view(), &spec);
        close4(&format!("{case} y"), &y, &t4(case, "y"));
        let (mut dx, mut dw, mut db) = (
            Array4::zeros(x.raw_dim()),
            Array4::zeros(w.raw_dim()),
            Array1::zeros(b.len()),
        );
        let grads = ConvGrads {
            dx: Some(dx.view_mut()),
            dw: Some(dw.view_mut()),
            db: Some(db.view_mut()),
        };
        conv2d_backward(
            Some(x.view()),
            w.view(),
            dy.view(),
            &spec,
            (x.dim().2, x.dim().3),
            grads,
        );
        close4(&format!("{case} dx"), &dx, &t4(case, "dx"));
        close4(&format!("{case} dw"), &dw, &t4(case, "dw"));
        let tdb = load(&format!("torch_layers/{case}.db.npy"))
            .into_dimensionality::<Ix1>()
            .unwrap();
        assert!(rel_error(&db.view(), &tdb.view()) < TOL, "{case} db");
    }
}

#[test]
fn pools_and_relu_match_torch() {
    let (x, dy) = (t4("maxpool_k2s2", "x"), t4("maxpool_k2s2", "dy"));
    let (y, cache) = maxpool2_forward(x.view(), true);
    close4("maxpool y", &y, &t4("maxpool_k2s2", "y"));
    let mut dx = Array4::zeros(x.raw_dim());
    maxpool2_backward(dy.view(), &cache.unwrap(), dx.view_mut());
    close4("maxpool dx", &dx, &t4("maxpool_k2s2", "dx"));

    let (x, dy) = (t4("avgpool_k2s2", "x"), t4("avgpool_k2s2", "dy"));
    close4(
        "avgpool y",
        &avgpool2_forward(x.view()),
        &t4("avgpool_k2s2", "y"),
    );
    let mut dx = Array4::zeros(x.raw_dim());
    avgpool2_backward(dy.view(), dx.view_mut());
    close4("avgpool dx", &dx, &t4("avgpool_k2s2", "dx"));

    let (x, dy) = (t4("relu", "x"), t4("relu", "dy"));
    let (y, cache) = relu_forward(x.clone(), true);
    close4("relu y", &y, &t4("relu", "y"));
    let mut dx = Array4::zeros(x.raw_dim());
    relu_backward(dy.view(), &cache.unwrap(), dx.view_mut());
    close4("relu dx", &dx, &t4("relu", "dx"));
}
