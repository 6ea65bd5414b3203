//! `nst montage --labels`: a caption under each picture, in a band the grid makes room
//! for; a wrong number of captions, or a character the pixel font lacks, is one clear
//! error line.

use std::path::PathBuf;
use std::process::Command;

fn nst(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        .output()
        .expect("running nst");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nst-montage-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A 32×32 picture of one mid-grey level (so black caption pixels stand out).
fn grey(path: &PathBuf) {
    image::RgbImage::from_pixel(32, 32, image::Rgb([128, 128, 128]))
        .save(path)
        .unwrap();
}

/// Dark pixels (all channels below 64) in rows `y0..y1` and columns `x0..x1`.
fn dark(img: &image::RgbImage, (y0, y1): (u32, u32), (x0, x1): (u32, u32)) -> usize {
    (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&v| v < 64))
        .count()
}

#[test]
fn labels_are_written_under_their_pictures() {
    let d = tmp("labels");
    let (a, b) = (d.join("a.png"), d.join("b.png"));
    grey(&a);
    grey(&b);
    let (plain, labelled) = (d.join("plain.png"), d.join("labelled.png"));
    let common = [
        "montage",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--cols",
        "2",
        "--cell",
        "32",
        "--gap",
        "4",
    ];
    let (code, err) = nst(&[&common[..], &["-o", plain.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{err}");
    let (code, err) = nst(&[
        &common[..],
        &["--labels", "it 0,5e+6", "-o", labelled.to_str().unwrap()],
    ]
    .concat());
    assert_eq!(code, 0, "{err}");
    let plain = image::open(&plain).unwrap().to_rgb8();
    let labelled = image::open(&labelled).unwrap().to_rgb8();
    // Same width; taller by the caption band (10 pixels of font and 6 of room).
    assert_eq!(plain.dimensions(), (4 + 32 + 4 + 32 + 4, 4 + 32 + 4));
    assert_eq!(labelled.dimensions(), (plain.width(), plain.height() + 16));
    // The pictures are where they were, and nothing dark is on them.
    assert_eq!(dark(&labelled, (4, 36), (0, labelled.width())), 0);
    // Under each picture, its caption: "it 0" (i 4, t 7, 0 12 font pixels of 2×2 each)
    // and "5e+6" (5 11, e 8, + 5, 6 12), each within its picture's columns.
    let band = (36, labelled.height());
    assert_eq!(dark(&labelled, band, (4, 36)), (4 + 7 + 12) * 4);
    assert_eq!(dark(&labelled, band, (40, 72)), (11 + 8 + 5 + 12) * 4);
    assert_eq!(dark(&plain, (0, plain.height()), (0, plain.width())), 0);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn bad_labels_are_one_clear_error() {
    let d = tmp("bad");
    let a = d.join("a.png");
    grey(&a);
    let out = d.join("out.png");
    let (a, out) = (a.to_str().unwrap(), out.to_str().unwrap());
    for (labels, needle) in [
        ("1,2", "--labels: 2 captions for 1 pictures"),
        (
            "step 1",
            "--labels: the caption 'step 1' has the character 'p'",
        ),
    ] {
        let (code, err) = nst(&["montage", a, "--labels", labels, "-o", out]);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_ne!(code, 0, "{labels}: {err}");
        assert_eq!(lines.len(), 1, "{labels}: {err}");
        assert!(
            lines[0].starts_with("error:") && lines[0].contains(needle),
            "{labels}: {err}"
        );
    }
    assert!(!std::path::Path::new(out).exists());
    std::fs::remove_dir_all(&d).ok();
}
