//! Picture I/O tests. Every test file is generated at test time in a temp folder
//! (encoded with the image crate, then damaged where needed).

use super::*;
use crate::formats::files::test_dir;
use crate::formats::npy::write_f32;
use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};
use ndarray::{Array3, ArrayD, IxDyn};
use std::path::{Path, PathBuf};

fn opts() -> LoadOptions {
    LoadOptions::default()
}

fn load_err(path: &Path, o: &LoadOptions) -> String {
    load_rgb(path, o).unwrap_err().0
}

/// A smooth 8-bit RGB test picture, `w×h`.
fn gradient(w: u32, h: u32) -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    ImageBuffer::from_fn(w, h, |x, y| {
        Rgb([(x * 255 / w.max(2)) as u8, (y * 255 / h.max(2)) as u8, 128])
    })
}

fn write_image(dir: &Path, name: &str, img: DynamicImage) -> PathBuf {
    let p = dir.join(name);
    img.save(&p).unwrap();
    p
}

#[test]
fn png_rgb_round_trip_is_exact_to_8_bits() {
    let dir = test_dir("img");
    let p = write_image(&dir, "a.png", DynamicImage::ImageRgb8(gradient(7, 5)));
    let a = load_rgb(&p, &opts()).unwrap();
    assert_eq!(a.dim(), (5, 7, 3));
    assert_eq!(a[[0, 0, 2]], 128.0 / 255.0);
    let q = dir.join("b.png");
    save_rgb(&q, a.view()).unwrap();
    assert_eq!(load_rgb(&q, &opts()).unwrap(), a);
}

#[test]
fn gray_alpha_and_16_bit_convert_to_rgb() {
    let dir = test_dir("img");
    let gray = ImageBuffer::from_fn(3, 2, |x, _| Luma([x as u8 * 100]));
    let a = load_rgb(
        &write_image(&dir, "g.png", DynamicImage::ImageLuma8(gray)),
        &opts(),
    )
    .unwrap();
    assert_eq!(a.dim(), (2, 3, 3));
    for c in 0..3 {
        assert!((a[[1, 2, c]] - 200.0 / 255.0).abs() < 1e-6);
    }
    let ga = ImageBuffer::from_fn(3, 2, |_, _| LumaA([51u8, 0]));
    let a = load_rgb(
        &write_image(&dir, "ga.png", DynamicImage::ImageLumaA8(ga)),
        &opts(),
    )
    .unwrap();
    assert!(
        (a[[0, 0, 1]] - 0.2).abs() < 1e-6,
        "alpha is dropped, not composited"
    );
    let rgba = ImageBuffer::from_fn(2, 2, |_, _| Rgba([255u8, 0, 51, 7]));
    let a = load_rgb(
        &write_image(&dir, "rgba.png", DynamicImage::ImageRgba8(rgba)),
        &opts(),
    )
    .unwrap();
    assert_eq!(a.dim(), (2, 2, 3));
    assert_eq!((a[[1, 1, 0]], a[[1, 1, 1]]), (1.0, 0.0));
    assert!((a[[1, 1, 2]] - 0.2).abs() < 1e-6);
    let deep = ImageBuffer::from_fn(2, 2, |_, _| Rgb([65535u16, 32768, 0]));
    let a = load_rgb(
        &write_image(&dir, "d.png", DynamicImage::ImageRgb16(deep)),
        &opts(),
    )
    .unwrap();
    assert!((a[[0, 1, 1]] - 32768.0 / 65535.0).abs() < 1e-6);
    let gray16 = ImageBuffer::from_fn(2, 1, |_, _| Luma([65535u16]));
    let a = load_rgb(
        &write_image(&dir, "g16.png", DynamicImage::ImageLuma16(gray16)),
        &opts(),
    )
    .unwrap();
    assert_eq!(a, Array3::from_elem((1, 2, 3), 1.0));
}

#[test]
fn jpeg_round_trip_is_close() {
    let dir = test_dir("img");
    let a = load_rgb(
        &write_image(&dir, "a.png", DynamicImage::ImageRgb8(gradient(32, 24))),
        &opts(),
    )
    .unwrap();
    let q = dir.join("a.jpg");
    save_rgb(&q, a.view()).unwrap();
    let b = load_rgb(&q, &opts()).unwrap();
    let err = crate::math::tensor::max_abs_diff(&a.view(), &b.view());
    assert!(err < 0.05, "jpeg error {err}"); // quality 95 on a smooth gradient
}

#[test]
fn npy_pictures_and_their_errors() {
    let dir = test_dir("img");
    let p = dir.join("x.npy");
    let good: Array3<f32> = crate::math::rng::Rng::new(3).uniform_array((4, 5, 3), 0.0, 1.0);
    write_f32(&p, &good.view().into_dyn()).unwrap();
    assert_eq!(load_rgb(&p, &opts()).unwrap(), good);
    save_rgb(&p, good.view()).unwrap();
    assert_eq!(
        load_rgb(&p, &opts()).unwrap(),
        good,
        "npy saving is unquantised"
    );
    let mut bad = good.clone();
    bad[[1, 1, 1]] = f32::NAN;
    write_f32(&p, &bad.view().into_dyn()).unwrap();
    assert!(load_err(&p, &opts()).ends_with("x.npy: contains NaN or infinite values"));
    bad[[1, 1, 1]] = 1.5;
    write_f32(&p, &bad.view().into_dyn()).unwrap();
    assert!(load_err(&p, &opts()).contains("x.npy: values must lie in [0, 1]"));
    write_f32(&p, &ArrayD::<f32>::zeros(IxDyn(&[4, 5, 4])).view()).unwrap();
    assert!(load_err(&p, &opts()).ends_with("x.npy: shape is 4x5x4, expected H×W×3 (RGB)"));
    write_f32(&p, &ArrayD::<f32>::zeros(IxDyn(&[0, 5, 3])).view()).unwrap();
    assert!(load_err(&p, &opts()).ends_with("x.npy: the picture is empty (5×0 pixels)"));
    let bytes = crate::formats::npy::encode_f32(&good.view().into_dyn());
    let mut f64_file = crate::formats::npy::with_descr(&bytes[..128], "<f8");
    f64_file.extend(vec![0u8; 4 * 5 * 3 * 8]);
    std::fs::write(&p, &f64_file).unwrap();
    let e = load_err(&p, &opts());
    assert!(
        e.contains("x.npy: dtype is float64") && e.contains("expected float32"),
        "{e}"
    );
}

#[test]
fn missing_folder_and_unreadable_files() {
    let dir = test_dir("img");
    let e = load_err(&dir.join("none.png"), &opts());
    assert!(
        e.starts_with("cannot read ") && e.ends_with("none.png: no such file"),
        "{e}"
    );
    let e = load_err(&dir, &opts());
    assert!(e.contains("it is a folder"), "{e}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = write_image(&dir, "locked.png", DynamicImage::ImageRgb8(gradient(4, 4)));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        // root ignores permissions; then there is nothing to test.
        if std::fs::File::open(&p).is_err() {
            let e = load_err(&p, &opts());
            assert!(e.contains("locked.png: permission denied"), "{e}");
        }
    }
}

#[test]
fn not_a_picture() {
    let dir = test_dir("img");
    let mut rng = crate::math::rng::Rng::new(9);
    let noise: Vec<u8> = (0..1000).map(|_| rng.below(256) as u8).collect();
    for name in ["noise.png", "noise.jpg", "noise.bin"] {
        std::fs::write(dir.join(name), &noise).unwrap();
        let e = load_err(&dir.join(name), &opts());
        assert!(e.starts_with(&dir.join(name).display().to_string()), "{e}");
        assert!(
            e.contains("not a picture") || e.contains("cannot decode"),
            "{e}"
        );
    }
    std::fs::write(dir.join("notes.txt"), "just some text\n").unwrap();
    let e = load_err(&dir.join("notes.txt"), &opts());
    assert!(
        e.contains("notes.txt: not a picture in a supported format"),
        "{e}"
    );
}

#[test]
fn truncated_png_and_jpeg() {
    let dir = test_dir("img");
    for (name, format) in [("t.png", ImageFormat::Png), ("t.jpg", ImageFormat::Jpeg)] {
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(gradient(64, 64))
            .write_to(&mut std::io::Cursor::new(&mut bytes), format)
            .unwrap();
        let p = dir.join(name);
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let e = load_err(&p, &opts());
        assert!(
            e.starts_with(&p.display().to_string()) && e.contains("truncated"),
            "{name}: {e}"
        );
        assert!(!e.contains('\n'), "one line: {e}");
    }
}

/// CRC-32 (the PNG chunk checksum), bit by bit: enough for one hand-made chunk.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn zero_sized_png() {
    // A PNG signature and an IHDR chunk declaring a 0×4 picture (the encoder refuses to
    // write one, so it is built by hand).
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&0u32.to_be_bytes());
    ihdr.extend_from_slice(&4u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let dir = test_dir("img");
    let p = dir.join("empty.png");
    std::fs::write(&p, &png).unwrap();
    let e = load_err(&p, &opts());
    assert!(e.starts_with(&p.display().to_string()), "{e}");
    assert!(e.contains("empty") || e.contains("cannot decode"), "{e}");
}

#[test]
fn pixel_limit_is_checked_before_decoding() {
    let dir = test_dir("img");
    let p = write_image(&dir, "big.png", DynamicImage::ImageRgb8(gradient(100, 60)));
    let o = LoadOptions {
        max_pixels: 5000,
        ..opts()
    };
    let e = load_err(&p, &o);
    assert!(e.ends_with("big.png: 100×60 = 6000 pixels exceeds the limit of 5000 pixels (raise it with --max-pixels)"), "{e}");
    // Damage the pixel data (the IDAT chunk's payload): with the limit the refusal still
    // comes first, so the decoder never ran; without it, decoding fails.
    let mut bytes = std::fs::read(&p).unwrap();
    let at = bytes.windows(4).position(|w| w == b"IDAT").unwrap();
    let len = u32::from_be_bytes(bytes[at - 4..at].try_into().unwrap()) as usize;
    bytes[at + 4..at + 4 + len].fill(0);
    std::fs::write(&p, &bytes).unwrap();
    assert!(load_err(&p, &o).contains("exceeds the limit"));
    assert!(load_err(&p, &opts()).contains("cannot decode"));
}

#[test]
fn max_side_sets_the_longest_side() {
    let dir = test_dir("img");
    let p = write_image(&dir, "a.png", DynamicImage::ImageRgb8(gradient(40, 20)));
    let a = load_rgb(
        &p,
        &LoadOptions {
            max_side: Some(10),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(a.dim(), (5, 10, 3));
    let a = load_rgb(
        &p,
        &LoadOptions {
            max_side: Some(100),
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(a.dim(), (50, 100, 3));
}

#[test]
fn resize_keeps_constants_and_averages_when_shrinking() {
    let c = Array3::from_elem((9, 13, 3), 0.25f32);
    let r = resize(c.view(), 4, 20);
    assert_eq!(r.dim(), (4, 20, 3));
    assert!(r.iter().all(|v| (v - 0.25).abs() < 1e-5));
    // A one-pixel checkerboard shrunk 4× becomes (nearly) flat grey: the filter low-passes.
    let board = Array3::from_shape_fn((16, 16, 3), |(y, x, _)| ((x + y) % 2) as f32);
    let small = resize(board.view(), 4, 4);
    assert!(small.iter().all(|v| (v - 0.5).abs() < 0.05), "{small:?}");
    let s = scale_to_longest(c.view(), 26);
    assert_eq!(s.dim(), (18, 26, 3));
}

#[test]
fn save_clamps_checks_extension_and_leaves_no_temp() {
    let dir = test_dir("img");
    let mut a = Array3::from_elem((2, 2, 3), 0.5f32);
    a[[0, 0, 0]] = 1.7;
    a[[0, 0, 1]] = -0.3;
    a[[0, 0, 2]] = f32::NAN;
    let p = dir.join("c.png");
    save_rgb(&p, a.view()).unwrap();
    let b = load_rgb(&p, &opts()).unwrap();
    assert_eq!((b[[0, 0, 0]], b[[0, 0, 1]], b[[0, 0, 2]]), (1.0, 0.0, 0.0));
    assert_eq!(b[[1, 1, 0]], 128.0 / 255.0);
    let e = save_rgb(&dir.join("c.bmp"), a.view()).unwrap_err().0;
    assert!(e.contains("c.bmp: unknown extension `.bmp`"), "{e}");
    let e = save_rgb(&dir.join("no/c.png"), a.view()).unwrap_err().0;
    assert!(
        e.starts_with("cannot write") && e.contains("no such file"),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    check_writable(&dir.join("d.png")).unwrap();
}

#[test]
fn png_bytes_match_the_saved_file_and_refuse_bad_shapes() {
    let dir = test_dir("img");
    let mut a = Array3::from_shape_fn((3, 5, 3), |(y, x, c)| (y * 15 + x * 3 + c) as f32 / 45.0);
    a[[0, 0, 0]] = f32::NAN;
    let p = dir.join("e.png");
    save_rgb(&p, a.view()).unwrap();
    assert_eq!(png_bytes(a.view()).unwrap(), std::fs::read(&p).unwrap());
    let e = png_bytes(Array3::<f32>::zeros((2, 2, 4)).view())
        .unwrap_err()
        .0;
    assert!(e.contains("2×2×4"), "{e}");
    assert!(png_bytes(Array3::<f32>::zeros((0, 2, 3)).view()).is_err());
}
