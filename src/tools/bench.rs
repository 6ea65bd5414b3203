//! Measuring speed: medians of repeated runs, FLOP counts, peak memory.
//!
//! Used by `nst bench`; the PyTorch side of the comparison is
//! `scripts/reference/bench_torch_vgg16.py`, which times the same work the same way
//! (one warm-up, then the median of `repeats` runs) so the two can be run side by side.

use crate::error::Result;
use crate::layers::ConvAlgo;
use crate::math::gemm::{gemm, gemm_flops, gemm_in_place};
use crate::math::rng::Rng;
use crate::net::vgg::{Arch, LayerKind, Pooling, Vgg, WIDTHS};
use crate::texture_net::{sample_textures, Generator};
use ndarray::{Array2, Array4};
use std::time::Instant;

// ANCHOR: median_time
/// Run `f` once to warm up, then `repeats` times; the median wall time in seconds.
pub fn median_time(repeats: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    median(&mut times)
}

/// The middle value of `times` (the upper one of the two middles for an even count).
fn median(times: &mut [f64]) -> f64 {
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}
// ANCHOR_END: median_time

/// Convolution FLOPs of the forward pass from the input up to layer `last` (inclusive)
/// at an `s`×`s` input: 2·O·C·9·H·W per convolution, pools and ReLUs not counted (as in
/// the PyTorch script).
pub fn conv_flops_to(vgg: &Vgg<f32>, last: usize, s: usize) -> f64 {
    let mut total = 0.0;
    for (i, layer) in vgg.layers.iter().enumerate().take(last + 1) {
        if let LayerKind::Conv { in_ch, out_ch, .. } = layer.kind {
            let (_, h, w) = vgg.layer_shape(i, (s, s));
            total += 2.0 * (out_ch * in_ch * 9 * h * w) as f64
        }
    }
    total
}

/// One measurement.
#[derive(Clone, Debug)]
pub struct Timing {
    /// What was measured (`vgg16 fwd 256`).
    pub what: String,
    /// Median seconds.
    pub median_s: f64,
    /// FLOPs of one run.
    pub flops: f64,
}

impl Timing {
    /// Achieved GFLOP/s.
    pub fn gflops(&self) -> f64 {
        self.flops / self.median_s / 1e9
    }
}

/// Time VGG16 forward to relu5_1, and forward + input-gradient backward from relu5_1,
/// on an `s`×`s` input with random weights (speed does not depend on the values).
pub fn bench_vgg(s: usize, repeats: usize, conv: ConvAlgo) -> Vec<Timing> {
    let vgg = Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, WIDTHS, 1).with_conv(conv);
    let tap = vgg.layer_index("relu5_1").expect("VGG16 has relu5_1");
    let mut rng = Rng::new(2);
    let x: Array4<f32> = rng.uniform_array((1, 3, s, s), -120.0, 135.0);
    let r: Array4<f32> = rng.normal_array((1, 512, s / 16, s / 16), 1.0);
    let flops = conv_flops_to(&vgg, tap, s);
    let fwd = median_time(repeats, || {
        std::hint::black_box(vgg.forward(x.view(), &[tap], false));
    });
    let fwdbwd = median_time(repeats, || {
        let f = vgg.forward(x.view(), &[tap], true);
        std::hint::black_box(vgg.backward(&f, vec![(tap, r.clone())]));
    });
    vec![
        Timing {
            what: format!("vgg16 fwd {s}"),
            median_s: fwd,
            flops,
        },
        Timing {
            what: format!("vgg16 fwdbwd {s}"),
            median_s: fwdbwd,
            flops: 2.0 * flops,
        },
    ]
}

/// Time sampling one `s`×`s` texture from `gen` — noise, the generator in inference mode,
/// the output mapped to RGB: what `nst generate` times. Returns the first call's seconds
/// (cold when it is the process's first: fresh memory is faulted in and the threads
/// start) and the median of `repeats` further calls (warm: a program that keeps the
/// model loaded and samples again).
pub fn bench_generator(gen: &Generator<f32>, s: usize, repeats: usize) -> Result<(f64, Timing)> {
    let t = Instant::now();
    std::hint::black_box(sample_textures(gen, 1, (s, s), 0, 0)?);
    let first = t.elapsed().as_secs_f64();
    let mut seed = 0;
    let median_s = median_time(repeats, || {
        seed += 1;
        let x = sample_textures(gen, 1, (s, s), seed, 0).expect("the first call worked");
        std::hint::black_box(x);
    });
    let timing = Timing {
        what: format!("generator {s}"),
        median_s,
        flops: gen.conv_flops(s, s),
    };
    Ok((first, timing))
}

/// Time one `m×k · k×n` f32 GEMM by [`gemm`], the bare kernel, single-threaded, as the
/// layers call it inside their rayon tiles.
pub fn bench_gemm(m: usize, k: usize, n: usize, repeats: usize) -> Timing {
    let mut rng = Rng::new(3);
    let a: Array2<f32> = rng.uniform_array((m, k), -1.0, 1.0);
    let b: Array2<f32> = rng.uniform_array((k, n), -1.0, 1.0);
    let mut c = Array2::<f32>::zeros((m, n));
    let median_s = median_time(repeats, || gemm(1.0, a.view(), b.view(), 0.0, c.view_mut()));
    Timing {
        what: format!("sgemm {m}x{k}x{n}"),
        median_s,
        flops: gemm_flops(m, k, n),
    }
}

/// The same product by [`gemm`] (`sgemm …`) and by [`gemm_in_place`] (`sgemm_in_place
/// …`), single-threaded, alternating run by run after one warm-up run of each.
pub fn bench_gemm_pair(m: usize, k: usize, n: usize, repeats: usize) -> [Timing; 2] {
    let mut rng = Rng::new(3);
    let a: Array2<f32> = rng.uniform_array((m, k), -1.0, 1.0);
    let b: Array2<f32> = rng.uniform_array((k, n), -1.0, 1.0);
    let mut c = Array2::<f32>::zeros((m, n));
    let mut scratch = Vec::new();
    gemm(1.0, a.view(), b.view(), 0.0, c.view_mut());
    gemm_in_place(a.view(), b.view(), c.view_mut(), &mut scratch);
    let mut times = (Vec::new(), Vec::new());
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        gemm(1.0, a.view(), b.view(), 0.0, c.view_mut());
        times.0.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        gemm_in_place(a.view(), b.view(), c.view_mut(), &mut scratch);
        times.1.push(t.elapsed().as_secs_f64());
    }
    [
        Timing {
            what: format!("sgemm {m}x{k}x{n}"),
            median_s: median(&mut times.0),
            flops: gemm_flops(m, k, n),
        },
        Timing {
            what: format!("sgemm_in_place {m}x{k}x{n}"),
            median_s: median(&mut times.1),
            flops: gemm_flops(m, k, n),
        },
    ]
}

/// Peak resident memory of this process so far, in MB (Linux: `VmHWM`), if known.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Per-layer times of VGG16 up to relu5_1 at an `s`×`s` input: `(layer, forward s,
/// backward s, forward FLOPs)`. The backward of a convolution is its input gradient only
/// (as in style transfer); ReLU and pooling FLOPs are counted as 0.
pub fn bench_vgg_layers(s: usize, repeats: usize, conv: ConvAlgo) -> Vec<(String, f64, f64, f64)> {
    use crate::layers::{maxpool2_backward, maxpool2_forward, relu_backward, relu_forward};
    let vgg = Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, WIDTHS, 1).with_conv(conv);
    let last = vgg.layer_index("relu5_1").expect("VGG16 has relu5_1");
    let mut rng = Rng::new(4);
    let mut a: Array4<f32> = rng.uniform_array((1, 3, s, s), -120.0, 135.0);
    let mut rows = Vec::new();
    for layer in vgg.layers.iter().take(last + 1) {
        let (_, c, h, w) = a.dim();
        let (fwd_s, bwd_s, flops, next) = match layer.kind {
            LayerKind::Conv { index, out_ch, .. } => {
                let y = vgg.conv_forward(index, a.view());
                let f = median_time(repeats, || {
                    std::hint::black_box(vgg.conv_forward(index, a.view()));
                });
                let dy = y.clone();
                let b = median_time(repeats, || {
                    std::hint::black_box(vgg.conv_input_grad(index, dy.view(), (h, w)));
                });
                (f, b, 2.0 * (out_ch * c * 9 * h * w) as f64, y)
            }
            LayerKind::Relu => {
                let (y, cache) = relu_forward(a.clone(), true);
                let cache = cache.expect("asked for");
                let f = median_time(repeats, || {
                    std::hint::black_box(relu_forward(a.clone(), true));
                });
                let b = median_time(repeats, || {
                    let mut dx = Array4::zeros(a.raw_dim());
                    relu_backward(y.view(), &cache, dx.view_mut());
                    std::hint::black_box(dx);
                });
                (f, b, 0.0, y)
            }
            LayerKind::Pool => {
                let (y, sw) = maxpool2_forward(a.view(), true);
                let sw = sw.expect("asked for");
                let f = median_time(repeats, || {
                    std::hint::black_box(maxpool2_forward(a.view(), true));
                });
                let b = median_time(repeats, || {
                    let mut dx = Array4::zeros(a.raw_dim());
                    maxpool2_backward(y.view(), &sw, dx.view_mut());
                    std::hint::black_box(dx);
                });
                (f, b, 0.0, y)
            }
        };
        rows.push((layer.name.clone(), fwd_s, bwd_s, flops));
        a = next;
    }
    rows
}
