//! The graders themselves, checked: each must pass nst's own implementation, fail the
//! same answer with one entry off by 10⁻³ (as [`Failure::Wrong`], with a message), and
//! report a `todo!()` as [`Failure::NotDone`]. CI checks the other direction too (every
//! reference solution passes, every unsolved exercise fails).

use super::*;
use crate::grade::Failure;
use nst::layers::{
    batchnorm_backward, conv2d_backward, conv2d_input_grad, maxpool2_backward, relu_backward,
    ConvGrads, NormGrads,
};
use nst::optim::lbfgs::two_loop_direction;

/// `grade` accepts `good`, rejects `bad`, and calls `todo` "not done yet".
fn discriminates(grade: impl Fn(u8) -> Grade) {
    assert_eq!(grade(0), Ok(()), "the reference answer must pass");
    match grade(1) {
        Err(Failure::Wrong(m)) => assert!(!m.is_empty()),
        other => panic!("an answer off by 1e-3 must fail, got {other:?}"),
    }
    assert_eq!(grade(2), Err(Failure::NotDone));
}

/// Add 10⁻³ to the first entry of `a` if `which` is 1; panic like `todo!()` if 2.
fn spoil<A: std::ops::IndexMut<usize, Output = f64>>(mut a: A, which: u8) -> A {
    match which {
        0 => a,
        1 => {
            a[0] += 1e-3;
            a
        }
        _ => todo!(),
    }
}

fn spoil_nd<D: ndarray::Dimension>(
    mut a: ndarray::Array<f64, D>,
    which: u8,
) -> ndarray::Array<f64, D> {
    match which {
        0 => a,
        1 => {
            *a.iter_mut().next().expect("not empty") += 1e-3;
            a
        }
        _ => todo!(),
    }
}

#[test]
fn im2col_grader() {
    discriminates(|k| grade_im2col(&|x, g| spoil_nd(im2col_naive(x, g), k)));
}

#[test]
fn relu_grader() {
    discriminates(|k| {
        grade_relu_backward(&|x, dy| {
            let (_, cache) = relu_forward(x.to_owned(), true);
            let mut dx = Array4::zeros(x.raw_dim());
            relu_backward(dy, &cache.unwrap(), dx.view_mut());
            spoil_nd(dx, k)
        })
    });
}

#[test]
fn maxpool_grader() {
    discriminates(|k| {
        grade_maxpool2_backward(&|x, dy| {
            let (_, cache) = maxpool2_forward(x, true);
            let mut dx = Array4::zeros(x.raw_dim());
            maxpool2_backward(dy, &cache.unwrap(), dx.view_mut());
            spoil_nd(dx, k)
        })
    });
}

#[test]
fn col2im_grader() {
    discriminates(|k| grade_col2im(&|cols, g| spoil_nd(col2im_naive(cols, g), k)));
}

#[test]
fn conv_input_grad_grader() {
    discriminates(|k| {
        grade_conv2d_input_grad(&|w, dy, spec, hw| spoil_nd(conv2d_input_grad(w, dy, spec, hw), k))
    });
}

#[test]
fn conv_weight_grad_grader() {
    discriminates(|k| {
        grade_conv2d_weight_grad(&|x, dy, spec, (kh, kw)| {
            let (o, c) = (dy.dim().1, x.dim().1);
            let w = Array4::zeros((o, c, kh, kw)); // only its shape matters for dW
            let mut dw = Array4::zeros((o, c, kh, kw));
            let grads = ConvGrads {
                dx: None,
                dw: Some(dw.view_mut()),
                db: None,
            };
            conv2d_backward(Some(x), w.view(), dy, spec, (x.dim().2, x.dim().3), grads);
            spoil_nd(dw, k)
        })
    });
}

#[test]
fn content_grader() {
    discriminates(|k| {
        grade_content_grad_through_relu(&|x, p| {
            let f = x.mapv(|v| v.max(0.0));
            let mut g = content_loss(f.view(), p, Normalization::Gatys).grad;
            Zip::from(&mut g).and(&x).for_each(|g, &x| {
                if x <= 0.0 {
                    *g = 0.0
                }
            });
            spoil_nd(g, k)
        })
    });
}

#[test]
fn gram_grader() {
    discriminates(|k| grade_gram(&|f| spoil_nd(gram(f), k)));
}

#[test]
fn style_grader() {
    discriminates(|k| {
        grade_style_loss_grad(&|f, a| spoil_nd(style_loss(f, a, Normalization::Gatys).grad, k))
    });
}

#[test]
fn tv_grader() {
    discriminates(|k| grade_tv_grad(&|x| spoil_nd(tv_loss(x).grad, k)));
}

#[test]
fn adam_grader() {
    discriminates(|k| {
        grade_adam_step(&|x, g, st, lr| {
            let mut adam = Adam::new(lr)
                .with_state(x.len(), st.m.clone(), st.v.clone(), st.t)
                .unwrap();
            adam.step(x, g);
            let (m, v, t) = adam.state();
            (st.m, st.v, st.t) = (m.to_vec(), v.to_vec(), t);
            let moved = spoil(x.to_vec(), k);
            x.copy_from_slice(&moved);
        })
    });
}

#[test]
fn two_loop_grader() {
    discriminates(|k| {
        grade_two_loop(&|pairs, gamma, g| spoil(two_loop_direction(pairs, gamma, g), k))
    });
}

#[test]
fn batchnorm_grader() {
    discriminates(|k| {
        grade_batchnorm_backward(&|x, gamma, dy| {
            let c = x.dim().1;
            let beta = Array1::zeros(c);
            let (_, _, cache) = batchnorm_forward_train(x, gamma, beta.view(), NORM_EPS, true);
            let (mut dx, mut dg, mut db) = (
                Array4::zeros(x.raw_dim()),
                Array1::zeros(c),
                Array1::zeros(c),
            );
            let grads = NormGrads {
                dx: Some(dx.view_mut()),
                dgamma: Some(dg.view_mut()),
                dbeta: Some(db.view_mut()),
            };
            batchnorm_backward(dy, gamma, &cache.unwrap(), grads);
            (spoil_nd(dx, k), dg, db)
        })
    });
}

#[test]
fn crc_mask_grader() {
    discriminates(|k| {
        grade_crc_mask(
            &|v| match k {
                0 => nst::formats::crc32c::mask(v),
                1 => nst::formats::crc32c::mask(v) ^ 1,
                _ => todo!(),
            },
            &nst::formats::crc32c::unmask,
        )
    });
}

#[test]
fn winograd_grader() {
    use crate::grade::checks::grade_winograd_f23;
    use ndarray::Array4;
    // nst's direct convolution of the patch, and nst's input gradient, as the candidates.
    let spec = nst::layers::ConvSpec {
        stride: 1,
        pad: 0,
        padding: nst::math::im2col::Padding::Zero,
    };
    let w4 = |g: [[f64; 3]; 3]| Array4::from_shape_fn((1, 1, 3, 3), |(_, _, i, j)| g[i][j]);
    let tile = |d: [[f64; 4]; 4], g: [[f64; 3]; 3]| {
        let x = Array4::from_shape_fn((1, 1, 4, 4), |(_, _, i, j)| d[i][j]);
        let y = conv2d_forward(
            x.view(),
            w4(g).view(),
            ndarray::Array1::zeros(1).view(),
            &spec,
        );
        std::array::from_fn(|i| std::array::from_fn(|j| y[[0, 0, i, j]]))
    };
    let grad = |g: [[f64; 3]; 3], dy: [[f64; 2]; 2]| {
        let dy = Array4::from_shape_fn((1, 1, 2, 2), |(_, _, i, j)| dy[i][j]);
        let dx = conv2d_input_grad(w4(g).view(), dy.view(), &spec, (4, 4));
        std::array::from_fn(|i| std::array::from_fn(|j| dx[[0, 0, i, j]]))
    };
    // Spoil the tile, then (with a good tile) the gradient.
    discriminates(|k| {
        grade_winograd_f23(
            &|d, g| {
                let mut y: [[f64; 2]; 2] = tile(d, g);
                match k {
                    0 => {}
                    1 => y[0][0] += 1e-3,
                    _ => todo!(),
                }
                y
            },
            &grad,
        )
    });
    discriminates(|k| {
        grade_winograd_f23(&tile, &|g, dy| {
            let mut dd: [[f64; 4]; 4] = grad(g, dy);
            match k {
                0 => {}
                1 => dd[0][0] += 1e-3,
                _ => todo!(),
            }
            dd
        })
    });
}

#[test]
fn winograd_grader_names_a_transposed_b() {
    use crate::grade::checks::grade_winograd_f23;
    // Bᵀ is not symmetric: B d Bᵀ in place of Bᵀ d B must be caught and named.
    let (bt, gm, at) = nst::layers::winograd::WinogradTile::F2.matrices();
    let mm = |l: &[Vec<f64>], r: &[Vec<f64>]| -> Vec<Vec<f64>> {
        l.iter()
            .map(|row| {
                (0..r[0].len())
                    .map(|j| row.iter().zip(r).map(|(a, rr)| a * rr[j]).sum())
                    .collect()
            })
            .collect()
    };
    let t = |m: &[Vec<f64>]| -> Vec<Vec<f64>> {
        (0..m[0].len())
            .map(|j| m.iter().map(|row| row[j]).collect())
            .collect()
    };
    let wrong_tile = |d: [[f64; 4]; 4], g: [[f64; 3]; 3]| {
        let d: Vec<Vec<f64>> = d.iter().map(|r| r.to_vec()).collect();
        let g: Vec<Vec<f64>> = g.iter().map(|r| r.to_vec()).collect();
        let u = mm(&mm(&gm, &g), &t(&gm));
        let v = mm(&mm(&t(&bt), &d), &bt); // B d Bᵀ: the mistake
        let m: Vec<Vec<f64>> = (0..4)
            .map(|i| (0..4).map(|j| u[i][j] * v[i][j]).collect())
            .collect();
        let y = mm(&mm(&at, &m), &t(&at));
        std::array::from_fn(|i| std::array::from_fn(|j| y[i][j]))
    };
    match grade_winograd_f23(&wrong_tile, &|_, _| [[0.0; 4]; 4]) {
        Err(Failure::Wrong(m)) => assert!(m.contains("B d Bᵀ"), "{m}"),
        other => panic!("a transposed B must fail, got {other:?}"),
    }
}
