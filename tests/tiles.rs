//! Large pictures in tiles (`texture_net::tiles`): the receptive radius really bounds what
//! an output pixel sees, and a picture made tile by tile is the picture made whole.

mod common;

use ndarray::{Array2, Array4, Axis};
use nst::math::im2col::Padding;
use nst::math::rng::Rng;
use nst::math::tensor::rel_error;
use nst::texture_net::tiles::{generate_tiled, tile_margin, tileable};
use nst::texture_net::{noise_inputs, Generator, GeneratorConfig, NormKind};

/// A generator moved away from its initial values, so that no part of it is an identity.
fn generator(config: GeneratorConfig, seed: u64) -> Generator<f64> {
    let mut g = Generator::<f64>::new(config, seed).unwrap();
    common::move_off_init(&mut g, &mut Rng::new(seed + 1));
    g
}

fn small(scales: usize) -> GeneratorConfig {
    GeneratorConfig {
        scales,
        ..GeneratorConfig::texture()
    }
}

/// Circular distance along one axis of length `n` from `q` to the block `[a, b)`.
fn dist(q: usize, (a, b): (usize, usize), n: usize) -> usize {
    (0..n)
        .filter(|&p| p >= a && p < b)
        .map(|p| {
            let d = q.abs_diff(p);
            d.min(n - d)
        })
        .min()
        .unwrap()
}

/// The paper's K = 5 generator: blocks of 3×3, 3×3, 1×1 (radius 2 each), so input k
/// reaches Σ_{j<k} 3·2^j + 4·2^k output pixels, the coarsest 3·15 + 2·16 = 77.
#[test]
fn receptive_radius_of_the_paper_generator() {
    let g = Generator::<f32>::new(GeneratorConfig::texture(), 0).unwrap();
    assert_eq!(g.receptive_radius(), 77);
    assert_eq!(tile_margin(&g), 80);
}

/// Change one pixel of one input scale: output pixels further than the radius from it
/// stay exactly as they were, and some pixel near the radius does change (the bound is
/// not loose by more than one coarse pixel).
#[test]
fn receptive_radius_bounds_what_an_output_pixel_sees() {
    for scales in [1, 2, 3, 4] {
        let config = small(scales);
        let g = generator(config.clone(), 3);
        let r = g.receptive_radius();
        let n = 128;
        let z = noise_inputs::<f64>(&config, &mut Rng::new(4), 1, n, n).unwrap();
        let base = g.generate(&z).unwrap();
        let mut reach = 0;
        for k in 0..scales {
            let mut z2 = z.clone();
            let p = (n >> k) / 2;
            z2[k][[0, 0, p, p]] += 1.0;
            let out = g.generate(&z2).unwrap();
            let block = (p << k, (p + 1) << k);
            let diff: Array2<f64> = (&out - &base)
                .index_axis(Axis(0), 0)
                .map_axis(Axis(0), |v| v.iter().map(|d| d.abs()).fold(0.0, f64::max));
            for ((y, x), &d) in diff.indexed_iter() {
                let far = dist(y, block, n).max(dist(x, block, n));
                if d > 0.0 {
                    reach = reach.max(far);
                }
                assert!(
                    far <= r || d == 0.0,
                    "K = {scales}, input {k}: pixel ({y}, {x}) at {far} > {r} changed by {d:e}"
                );
            }
        }
        let coarse = 1 << (scales - 1);
        assert!(
            reach + coarse > r,
            "K = {scales}: reach {reach}, radius {r}"
        );
    }
}

/// A picture with uneven last tiles along both sides, made tile by tile, equals the
/// whole picture — for textures and for stylisation inputs, and with K = 5 on a picture
/// smaller than the 80-pixel margin, whose crops wrap around it more than once. Tiles
/// larger than the picture, `tile = 0`, and models that cannot be tiled take the
/// whole-picture path.
#[test]
fn a_picture_made_in_tiles_is_the_picture_made_whole() {
    let stylisation = GeneratorConfig {
        scales: 3,
        ..GeneratorConfig::stylization()
    };
    for (config, (h, w)) in [
        (small(3), (88, 72)),
        (small(4), (88, 72)),
        (stylisation, (88, 72)),
        (small(5), (48, 80)),
    ] {
        let g = generator(config.clone(), 5);
        assert!(tileable(&g));
        let cin = config.input_channels();
        let z: Vec<Array4<f64>> = (0..config.scales)
            .map(|k| Rng::new(6 + k as u64).uniform_array((2, cin, h >> k, w >> k), 0.0, 1.0))
            .collect();
        let whole = g.generate(&z).unwrap();
        assert!(whole.iter().any(|v| v.abs() > 1e-3));
        for tile in [16, 32, 80] {
            // Progress is reported after every tile: 1, 2, … of their number (none when
            // the picture fits in one tile and is made whole).
            let mut reports = Vec::new();
            let tiled =
                generate_tiled(&g, &z, tile, |done, total| reports.push((done, total))).unwrap();
            let e = rel_error(&tiled.view(), &whole.view());
            assert!(e < 1e-12, "{config:?}, tile {tile}: {e:e}");
            let total = h.div_ceil(tile) * w.div_ceil(tile);
            let expected: Vec<_> = if total == 1 {
                vec![]
            } else {
                (1..=total).map(|done| (done, total)).collect()
            };
            assert_eq!(reports, expected, "tile {tile}");
        }
        for tile in [0, 96] {
            let same = generate_tiled(&g, &z, tile, |_, _| panic!("no tiles, no progress"));
            assert_eq!(same.unwrap(), whole);
        }
        let m = config.size_multiple();
        let err = generate_tiled(&g, &z, m + 2, |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("multiple of {m}")), "{err}");
    }
    for config in [
        GeneratorConfig {
            norm: NormKind::Instance,
            ..small(3)
        },
        GeneratorConfig {
            padding: Padding::Zero,
            ..small(3)
        },
    ] {
        let g = generator(config.clone(), 7);
        assert!(!tileable(&g));
        let z = noise_inputs::<f64>(&config, &mut Rng::new(8), 1, 64, 64).unwrap();
        assert_eq!(
            generate_tiled(&g, &z, 16, |_, _| panic!("not tileable: no progress")).unwrap(),
            g.generate(&z).unwrap()
        );
    }
}
