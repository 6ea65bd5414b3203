//! Large pictures from the command line: `--tile` (the objective tile by tile) gives the
//! run the whole picture gives, `--max-memory` chooses tiles and says so, and `--scales`
//! renders coarse to fine, saving each stage — for `stylize`, `texture` (tileable too)
//! and `reconstruct`.

mod common;

use ndarray::s;

fn nst(args: &[&str]) -> (i32, String) {
    let (code, _, err) = common::nst(args);
    (code, err)
}

/// The final loss the run reports (`… loss 1.2345e12 (content …`).
fn final_loss(err: &str) -> f64 {
    let line = err
        .lines()
        .rev()
        .find(|l| l.contains("s/iteration; loss "))
        .unwrap_or_else(|| panic!("no final loss in:\n{err}"));
    line.split("; loss ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_tiled_run_follows_the_whole_pictures_run() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = std::env::temp_dir().join(format!("nst-poster-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let (c, s) = (
        common::samples("tubingen.jpg"),
        common::samples("starry_night.jpg"),
    );
    let run = |extra: &[&str], its: &str, name: &str| {
        let out = d.join(name).display().to_string();
        let mut args = vec![
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "--size",
            "160",
            "--iterations",
            its,
            "--conv",
            "im2col",
            "-q",
            "-o",
            &out,
        ];
        args.extend(extra);
        let (code, err) = nst(&args);
        assert_eq!(code, 0, "{args:?}:\n{err}");
        err
    };
    let whole = run(&[], "4", "whole.png");
    // Cores of 48 pixels: 4×3 tiles whose crops (48 + 2·144) are cut by the picture.
    let tiled = run(&["--tile", "40"], "4", "tiled.png");
    assert!(
        tiled.contains("--tile 40 rounded up to 48, a multiple of 16"),
        "{tiled}"
    );
    assert!(
        tiled.contains("memory: 160×120 tile by tile: cores of 48 px"),
        "{tiled}"
    );
    let (a, b) = (final_loss(&whole), final_loss(&tiled));
    // Four L-BFGS steps from the same start through the same function, up to f32
    // round-off in its evaluation (1e-7 relative in the gradient: tests/tiled.rs).
    assert!((a - b).abs() <= 1e-4 * a, "whole {a:e}, tiled {b:e}");
    // Four iterations fill at most four curvature pairs, so the run plans (and keeps)
    // four, whatever --lbfgs-history says, and says nothing about it.
    assert!(whole.contains("Lbfgs { history: 4,"), "{whole}");
    assert!(!whole.contains("memory:"), "{whole}");
    // A budget just below the whole picture's need with 60 pairs (a 60-iteration run):
    // a picture this small is one tile anyway, so the plan keeps it whole and shortens
    // the history to 50.
    let need = nst::tools::memory::optimization_bytes(
        120,
        160,
        2 * 60 + 7,
        nst::tools::memory::Passes::WithContent,
    );
    let budget = format!("{}", need - 1);
    let planned = run(&["--max-memory", &budget], "60", "planned.png");
    assert!(
        planned.contains("memory: 160×120 whole, L-BFGS history 50 (asked 100)"),
        "{planned}"
    );
}

#[test]
fn scales_render_coarse_to_fine_and_save_each_stage() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = std::env::temp_dir().join(format!("nst-scales-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let out = d.join("poster.png");
    let (c, s) = (
        common::samples("tubingen.jpg"),
        common::samples("starry_night.jpg"),
    );
    let stylize = |scales: &str, iterations: &str, extra: &[&str]| {
        let mut args = vec![
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "--scales",
            scales,
            "--scale-iterations",
            iterations,
            "-q",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        nst(&args)
    };
    let (code, err) = stylize("64,96,128", "3,2,2", &[]);
    assert_eq!(code, 0, "{err}");
    for (k, side, w, h) in [(1, 64, 64, 48), (2, 96, 96, 72), (3, 128, 128, 96)] {
        let header = format!("stage {k}/3: {w}×{h}");
        assert!(err.contains(&header), "{header} missing:\n{err}");
        assert!(err.contains(&format!("stage {k}/3: peak memory")), "{err}");
        let file = if k < 3 {
            d.join(format!("poster_s{side}.png"))
        } else {
            out.clone()
        };
        let img = image::open(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!((img.width(), img.height()), (w as u32, h as u32));
    }
    // The later stages start from the earlier ones: their ETA is known, and L-BFGS
    // starts from the curvature the stage before measured.
    assert!(
        err.contains(
            "to go (at the last stage's speed per pixel, tiled stages weighed by their work)"
        ),
        "{err}"
    );
    for k in 2..=3 {
        let warm = format!("stage {k}/3: L-BFGS starts warm");
        assert!(err.contains(&warm), "{warm} missing:\n{err}");
    }
    assert!(!err.contains("stage 1/3: L-BFGS starts warm"), "{err}");
    assert!(err.contains("3 stages in"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("3 stages in") && l.ends_with("MB (the largest stage's)")),
        "{err}"
    );
    // Every stage keeps the first stage's balance: Gatys' content weight divided by
    // the stage's pixels over the first stage's (72·96 / 48·64 = 2.25, then 4).
    for (size, weight) in [("96×72", "4.4444e-1"), ("128×96", "2.5000e-1")] {
        let line = format!("{size}: content weight {weight}, style weight 1.0000e3");
        assert!(err.contains(&line), "{line} missing:\n{err}");
    }
    assert!(!err.contains("64×48: content weight"), "{err}");
    // `--stage-balance own` keeps the weights as given.
    let (code, err) = stylize("64,96", "2,1", &["--stage-balance", "own"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("content weight"), "{err}");
}

#[test]
fn nst_loss_tile_by_tile_prints_the_same_terms() {
    if common::weights_dir().is_none() {
        return;
    }
    let (c, s) = (
        common::samples("tubingen.jpg"),
        common::samples("starry_night.jpg"),
    );
    let run = |extra: &[&str]| -> String {
        let mut args = vec![
            "loss",
            "--content",
            &c,
            "--style",
            &s,
            "--image",
            &s,
            "--size",
            "160",
            "--conv",
            "im2col",
        ];
        args.extend(extra);
        let (code, out, err) = common::nst(&args);
        assert_eq!(code, 0, "{err}");
        out
    };
    let total = |out: &str| -> f64 {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with("total"))
            .unwrap();
        line.split_whitespace().last().unwrap().parse().unwrap()
    };
    let (whole, tiled) = (run(&[]), run(&["--tile", "48"]));
    let (a, b) = (total(&whole), total(&tiled));
    assert!((a - b).abs() <= 1e-6 * a, "whole {a:e}, tiled {b:e}");
}

/// A picture as RGB in [0, 1], H×W×3.
fn rgb(path: &std::path::Path) -> ndarray::Array3<f32> {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    ndarray::Array3::from_shape_vec((h, w, 3), img.into_raw())
        .unwrap()
        .mapv(|v| v as f32 / 255.0)
}

/// Run `args` + `-o out`, expect success and the stages `(side, w, h)` in order: each
/// announced, its peak memory reported, its picture saved at its size (`OUT_s<side>.png`,
/// the last one as `out`). Returns stderr.
fn staged(args: &[&str], out: &std::path::Path, sizes: &[(usize, usize, usize)]) -> String {
    let mut a = args.to_vec();
    a.extend(["-q", "-o", out.to_str().unwrap()]);
    let (code, err) = nst(&a);
    assert_eq!(code, 0, "{a:?}:\n{err}");
    let n = sizes.len();
    for (k, &(side, w, h)) in sizes.iter().enumerate() {
        let header = format!("stage {}/{n}: {w}×{h}", k + 1);
        assert!(err.contains(&header), "{header} missing:\n{err}");
        assert!(
            err.contains(&format!("stage {}/{n}: peak memory", k + 1)),
            "{err}"
        );
        let file = if k + 1 < n {
            let stem = out.file_stem().unwrap().to_string_lossy();
            out.with_file_name(format!("{stem}_s{side}.png"))
        } else {
            out.to_path_buf()
        };
        let img = image::open(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            (img.width(), img.height()),
            (w as u32, h as u32),
            "{file:?}"
        );
    }
    assert!(
        err.contains(
            "to go (at the last stage's speed per pixel, tiled stages weighed by their work)"
        ),
        "{err}"
    );
    assert!(err.contains(&format!("{n} stages in")), "{err}");
    err
}

/// Mean absolute difference of two rows or columns of pixels.
fn mean_abs2(a: ndarray::ArrayView2<f32>, b: ndarray::ArrayView2<f32>) -> f32 {
    (&a - &b).mapv(f32::abs).mean().unwrap()
}

/// Mean absolute difference of two pictures of one size.
fn mean_abs(a: &ndarray::Array3<f32>, b: &ndarray::Array3<f32>) -> f32 {
    assert_eq!(a.dim(), b.dim());
    (a - b).mapv(f32::abs).mean().unwrap()
}

#[test]
fn texture_and_reconstruct_render_coarse_to_fine() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = std::env::temp_dir().join(format!("nst-scales-tr-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let (c, s) = (
        common::samples("tubingen.jpg"),
        common::samples("starry_night.jpg"),
    );
    // A texture's stages keep --size's shape (2:1 here), each with its side as the
    // longest; tileable, every stage's sides are multiples of 32.
    let tex = d.join("tex.png");
    staged(
        &[
            "texture",
            &s,
            "--sample-size",
            "128",
            "--size",
            "512x256",
            "--tileable",
            "--scales",
            "64,128",
            "--scale-iterations",
            "4,1",
        ],
        &tex,
        &[(64, 64, 32), (128, 128, 64)],
    );
    // The second stage starts from the first one's result, upsampled: one iteration
    // later the picture is still near it, unlike white noise (about 0.31 away). That one
    // iteration starts warm and is searched, so it is a real step (about 0.09 here);
    // a second stage that started from noise would end about 0.31 away.
    let stage1 = rgb(&d.join("tex_s64.png"));
    let up = nst::formats::image_io::resize_wrapped(stage1.view(), 64, 128);
    let fin = rgb(&tex);
    // It was upsampled around its edges too: across the seam where it wraps, the
    // picture changes as much as between any two neighbouring columns or rows. A plain
    // upsampling leaves a seam there.
    let seam = |a: &ndarray::Array3<f32>| {
        let (h, w, _) = a.dim();
        let step = |x: ndarray::ArrayView2<f32>, y: ndarray::ArrayView2<f32>| mean_abs2(x, y);
        let cols: f32 = (1..w)
            .map(|j| step(a.slice(s![.., j, ..]), a.slice(s![.., j - 1, ..])))
            .sum::<f32>()
            / (w - 1) as f32;
        let rows: f32 = (1..h)
            .map(|i| step(a.slice(s![i, .., ..]), a.slice(s![i - 1, .., ..])))
            .sum::<f32>()
            / (h - 1) as f32;
        let across = step(a.slice(s![.., 0, ..]), a.slice(s![.., w - 1, ..]))
            + step(a.slice(s![0, .., ..]), a.slice(s![h - 1, .., ..]));
        across / (cols + rows)
    };
    let plain = nst::formats::image_io::resize(stage1.view(), 64, 128);
    eprintln!(
        "seam: {} (upsampled {}, plain upsampling {})",
        seam(&fin),
        seam(&up),
        seam(&plain)
    );
    // One seam line against the mean over all others varies by ±20 % on its own (the
    // upsampled picture: 1.17); the plain upsampling's is about 2.1.
    assert!(seam(&fin) < 1.5, "seam {}", seam(&fin));
    assert!(seam(&fin) < 0.75 * seam(&plain), "plain {}", seam(&plain));
    let near = mean_abs(&fin, &up);
    let noise: ndarray::Array3<f32> =
        nst::math::rng::Rng::new(7).uniform_array((64, 128, 3), 0.0, 1.0);
    let far = mean_abs(&noise, &up);
    eprintln!("final vs upsampled stage 1: {near}; noise vs it: {far}");
    assert!(
        near < 0.4 * far,
        "final vs upsampled stage 1: {near}, noise: {far}"
    );
    // Earlier stages measure the sample scaled with them: 16/64 of a 64 px sample is
    // too small for relu5_1, refused before any work, naming the stage.
    one_error_line(
        &[
            "texture",
            &s,
            "--sample-size",
            "64",
            "--scales",
            "16,64",
            "-o",
            tex.to_str().unwrap(),
        ],
        "(the texture sample, scaled for the 16 px --scales stage) is 16×10 pixels, too small for layer relu5_1",
    );
    // A reconstruction's stages scale the picture to each side, like --size.
    staged(
        &[
            "reconstruct",
            "content",
            &c,
            "--layers",
            "relu4_2",
            "--scales",
            "64,96,128",
            "--scale-iterations",
            "3,2,2",
        ],
        &d.join("rec.png"),
        &[(64, 64, 48), (96, 96, 72), (128, 128, 96)],
    );
    // Without --scale-iterations: --iterations at the first stage, half as many at the
    // next (at least 10).
    let (code, err) = nst(&[
        "reconstruct",
        "style",
        &c,
        "--layers",
        "relu1_1,relu2_1",
        "--scales",
        "48,64",
        "--iterations",
        "24",
        "-q",
        "-o",
        d.join("recs.png").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("stage 1/2: 48×36, 24 iterations"), "{err}");
    assert!(err.contains("stage 2/2: 64×48, 12 iterations"), "{err}");
}

/// Exactly one stderr line, `error: …` containing `needle`, and a non-zero exit.
fn one_error_line(args: &[&str], needle: &str) {
    let (code, err) = nst(args);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_ne!(code, 0, "{args:?} succeeded");
    assert_eq!(lines.len(), 1, "{args:?}: expected one line, got:\n{err}");
    assert!(
        lines[0].starts_with("error:") && lines[0].contains(needle),
        "{args:?}: '{needle}' not in: {err}"
    );
}

#[test]
fn bad_scales_for_texture_and_reconstruct_are_one_line() {
    let (c, s) = (
        common::samples("tubingen.jpg"),
        common::samples("starry_night.jpg"),
    );
    let out = std::env::temp_dir()
        .join(format!("nst-scales-bad-{}.png", std::process::id()))
        .display()
        .to_string();
    let texture: &[&str] = &["texture", &s];
    let reconstruct: &[&str] = &["reconstruct", "content", &c, "--layers", "relu4_2"];
    for cmd in [texture, reconstruct] {
        for (extra, needle) in [
            (
                &["--scales", "128,64"][..],
                "--scales must increase, coarse to fine: 64 comes after 128",
            ),
            (
                &["--scales", "64,64"][..],
                "--scales must increase, coarse to fine: 64 comes after 64",
            ),
            (
                &["--scales", "64,128", "--scale-iterations", "5,5,5"][..],
                "--scale-iterations has 3 count(s) but --scales has 2 stage(s)",
            ),
            (
                &["--scale-iterations", "5"][..],
                "--scale-iterations needs --scales",
            ),
            (&["--scales", "64,0"][..], "--scales"),
        ] {
            let args: Vec<&str> = [cmd, extra, &["-o", &out]].concat();
            one_error_line(&args, needle);
        }
    }
    // Tileable: every stage's sides must be multiples of 32, checked before any work.
    for (extra, needle) in [
        (
            &["--scales", "48,128"][..],
            "--tileable needs every --scales stage's width and height to be multiples of 32 (five 2×2 poolings must tile exactly): the 48 px stage is 48x48 (the shape of --size 256x256)",
        ),
        (
            &["--size", "256x192", "--scales", "64,128"][..],
            "the 64 px stage is 64x48 (the shape of --size 256x192)",
        ),
        (
            &["--size", "100"][..],
            "--tileable needs a width and height that are multiples of 32",
        ),
    ] {
        let args: Vec<&str> = [texture, &["--tileable"], extra, &["-o", &out]].concat();
        one_error_line(&args, needle);
    }
    assert!(!std::path::Path::new(&out).exists());
}

/// Ctrl-C during a stage saves that stage's picture (`OUT_s<side>.png`), exits with
/// status 130 and starts no further stage, as `stylize` does.
#[cfg(unix)]
#[test]
fn ctrl_c_saves_the_current_stage_of_a_texture() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = std::env::temp_dir().join(format!("nst-scales-int-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let out = d.join("t.png");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_nst"))
        .args([
            "texture",
            &common::samples("starry_night.jpg"),
            "--sample-size",
            "64",
            "--scales",
            "64,128",
            "--scale-iterations",
            "100000,5",
            "--save-every",
            "2",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first stage is running once its first intermediate picture exists.
    let first = d.join("t_s64_0002.png");
    let t = std::time::Instant::now();
    while !first.exists() && t.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(first.exists(), "the first stage never reached iteration 2");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted at iteration"), "{err}");
    assert!(err.contains("saved"), "{err}");
    let img = image::open(d.join("t_s64.png")).unwrap();
    assert_eq!((img.width(), img.height()), (64, 64));
    assert!(
        !err.contains("stage 2/2"),
        "a stage started after Ctrl-C:\n{err}"
    );
    assert!(!out.exists(), "the final picture was written after Ctrl-C");
}
