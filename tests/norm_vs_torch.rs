//! Batch norm (train and inference mode, running statistics), instance norm, nearest
//! upsampling and the leaky ReLU against PyTorch autograd, on the fixtures made by
//! `scripts/reference/torch_norm_fixtures.py` (float64; see its MANIFEST). Tolerance
//! 1e-12 relative: both sides are exact f64 arithmetic in a different summation order.

mod common;

use common::load;
use ndarray::{Array1, Array4, Ix1, Ix4};
use nst::layers::*;
use nst::math::tensor::rel_error;

const TOL: f64 = 1e-12;

fn t4(case: &str, t: &str) -> Array4<f64> {
    load(&format!("torch_norm/{case}.{t}.npy"))
        .into_dimensionality::<Ix4>()
        .unwrap()
}

fn t1(case: &str, t: &str) -> Array1<f64> {
    load(&format!("torch_norm/{case}.{t}.npy"))
        .into_dimensionality::<Ix1>()
        .unwrap()
}

fn close<D: ndarray::Dimension>(
    what: &str,
    ours: &ndarray::Array<f64, D>,
    theirs: &ndarray::Array<f64, D>,
) {
    let e = rel_error(&ours.view(), &theirs.view());
    assert!(e < TOL, "{what}: rel error {e:e}");
}

#[test]
fn batchnorm_train_matches_torch() {
    let case = "batchnorm_train";
    let (x, dy) = (t4(case, "x"), t4(case, "dy"));
    let (g, b) = (t1(case, "gamma"), t1(case, "beta"));
    let (y, stats, cache) = batchnorm_forward_train(x.view(), g.view(), b.view(), NORM_EPS, true);
    close("y", &y, &t4(case, "y"));
    let (mut rm, mut rv) = (t1(case, "running_mean0"), t1(case, "running_var0"));
    batchnorm_update_running(rm.view_mut(), rv.view_mut(), &stats, BN_MOMENTUM);
    close("running mean", &rm, &t1(case, "running_mean1"));
    close("running var", &rv, &t1(case, "running_var1"));
    let (mut dx, mut dg, mut db) = (
        Array4::zeros(x.raw_dim()),
        Array1::zeros(3),
        Array1::zeros(3),
    );
    let grads = NormGrads {
        dx: Some(dx.view_mut()),
        dgamma: Some(dg.view_mut()),
        dbeta: Some(db.view_mut()),
    };
    batchnorm_backward(dy.view(), g.view(), &cache.unwrap(), grads);
    close("dx", &dx, &t4(case, "dx"));
    close("dgamma", &dg, &t1(case, "dgamma"));
    close("dbeta", &db, &t1(case, "dbeta"));
}

#[test]
fn batchnorm_eval_matches_torch() {
    let case = "batchnorm_eval";
    let x = t4(case, "x");
    let y = batchnorm_forward_eval(
        x.view(),
        t1(case, "gamma").view(),
        t1(case, "beta").view(),
        t1(case, "running_mean").view(),
        t1(case, "running_var").view(),
        NORM_EPS,
    );
    close("y", &y, &t4(case, "y"));
}

#[test]
fn instancenorm_matches_torch() {
    let case = "instancenorm";
    let (x, dy) = (t4(case, "x"), t4(case, "dy"));
    let (g, b) = (t1(case, "gamma"), t1(case, "beta"));
    let (y, cache) = instancenorm_forward(x.view(), g.view(), b.view(), NORM_EPS, true);
    close("y", &y, &t4(case, "y"));
    let (mut dx, mut dg, mut db) = (
        Array4::zeros(x.raw_dim()),
        Array1::zeros(3),
        Array1::zeros(3),
    );
    let grads = NormGrads {
        dx: Some(dx.view_mut()),
        dgamma: Some(dg.view_mut()),
        dbeta: Some(db.view_mut()),
    };
    instancenorm_backward(dy.view(), g.view(), &cache.unwrap(), grads);
    close("dx", &dx, &t4(case, "dx"));
    close("dgamma", &dg, &t1(case, "dgamma"));
    close("dbeta", &db, &t1(case, "dbeta"));
}

#[test]
fn upsample_and_leaky_relu_match_torch() {
    let case = "upsample_nearest2";
    let (x, dy) = (t4(case, "x"), t4(case, "dy"));
    close("upsample y", &upsample2_forward(x.view()), &t4(case, "y"));
    let mut dx = Array4::zeros(x.raw_dim());
    upsample2_backward(dy.view(), dx.view_mut());
    close("upsample dx", &dx, &t4(case, "dx"));

    let case = "leaky_relu";
    let (x, dy) = (t4(case, "x"), t4(case, "dy"));
    let (y, cache) = leaky_relu_forward(x.clone(), 0.01, true);
    close("leaky y", &y, &t4(case, "y"));
    let mut dx = Array4::zeros(x.raw_dim());
    leaky_relu_backward(dy.view(), &cache.unwrap(), 0.01, dx.view_mut());
    close("leaky dx", &dx, &t4(case, "dx"));
}
