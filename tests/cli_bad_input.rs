//! Bad input on the command line: one clear `error:` line on stderr and a non-zero exit,
//! never a panic, and reported before any long work starts. The commands that need the
//! real weights are run only when they are there (`common::weights_dir`: otherwise the
//! test fails with the fetch command, or is skipped visibly with
//! NST_ALLOW_MISSING_WEIGHTS=1).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use common::{nst, samples};

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nst-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Exactly one non-empty stderr line, starting with `error:` and containing `needle`.
fn one_error_line(args: &[&str], needle: &str) {
    let t = Instant::now();
    let (code, _, err) = nst(args);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(code != 0, "{args:?} succeeded");
    assert_eq!(lines.len(), 1, "{args:?}: expected one line, got:\n{err}");
    assert!(lines[0].starts_with("error:"), "{args:?}: {err}");
    assert!(
        lines[0].contains(needle),
        "{args:?}: '{needle}' not in: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        t.elapsed().as_secs() < 20,
        "{args:?} took {:?}: not reported before the work",
        t.elapsed()
    );
}

#[test]
fn nonsense_flag_values_are_one_line() {
    let (c, s) = (samples("tubingen.jpg"), samples("starry_night.jpg"));
    let base = [
        "stylize",
        "--content",
        &c,
        "--style",
        &s,
        "-o",
        "/tmp/nst-never.png",
    ];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }
    one_error_line(&with(&base, &["--size", "-5"]), "--size");
    one_error_line(&with(&base, &["--size", "0"]), "positive");
    one_error_line(&with(&base, &["--style-weights", ""]), "empty");
    one_error_line(&with(&base, &["--style-weight", "-1"]), "≥ 0");
    one_error_line(
        &with(&base, &["--style-layers", "relu1_1:x"]),
        "not a number",
    );
    one_error_line(&with(&base, &["--optimizer", "sgdx"]), "sgdx");
    one_error_line(&["layers", "--arch", "vgg99"], "vgg99");
    one_error_line(&["layers", "--size", "40x20"], "at least 32×32");
    one_error_line(&["gradcheck", "convolution"], "unknown layer");
    // Library types parse by their `FromStr`: the flag and the accepted values are named.
    one_error_line(
        &with(&base, &["--conv", "fft"]),
        "for '--conv <ALGO>': unknown convolution algorithm 'fft' (expected im2col,",
    );
    one_error_line(
        &["layers", "--pooling", "median"],
        "for '--pooling <POOLING>': unknown pooling 'median' (expected max or avg)",
    );
    one_error_line(
        &["draw-idea", "fourier", "-o", "/tmp/nst-never.svg"],
        "unknown picture 'fourier' (expected im2col, gram, winograd, backward-walk, tiles or generator)",
    );
    one_error_line(
        &["draw-net", "--format", "png", "-o", "/tmp/nst-never.svg"],
        "for '--format <FORMAT>': unknown format 'png' (expected svg or dot)",
    );
    let train = ["train-texture", &c, "-o", "/tmp/nst-never"];
    one_error_line(
        &with(&train, &["--padding", "reflect"]),
        "for '--padding <PADDING>': unknown padding 'reflect' (expected circular or zero)",
    );
    one_error_line(
        &with(&train, &["--norm", "layer"]),
        "for '--norm <NORM>': unknown normalisation 'layer' (expected batch or instance)",
    );
    one_error_line(
        &with(&train, &["--activation", "tanh"]),
        "for '--activation <ACTIVATION>': unknown activation 'tanh'",
    );
    one_error_line(
        &["weights", "import", "x.onnx", "--convention", "bgr"],
        "for '--convention <CONVENTION>': unknown preprocessing convention `bgr`",
    );
    one_error_line(
        &["montage", &c, "--cols", "0", "-o", "/tmp/nst-never.png"],
        "for '--cols <COLS>': '0' is not a whole number ≥ 1",
    );
    one_error_line(
        &["texture-loss", &s, &c, "--layout-block", "0"],
        "for '--layout-block <N>': '0' is not a whole number ≥ 1",
    );
    one_error_line(
        &[
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "--max-memory",
            "six",
            "-o",
            "/tmp/nst-never.png",
        ],
        "for '--max-memory <SIZE>': 'six' is not a memory size (write it like 6G, 512M or 6.5GB)",
    );
    one_error_line(
        &[
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "--scales",
            "64,x",
            "-o",
            "/tmp/nst-never.png",
        ],
        "for '--scales <SIDE,SIDE,…>'",
    );
    one_error_line(
        &["bench", "--gemm", "64x576"],
        "for '--gemm [<GEMM>...]': '64x576' is not a GEMM size (expected MxKxN",
    );
}

#[test]
fn missing_inputs_and_unwritable_outputs_fail_before_work() {
    if common::weights_dir().is_none() {
        return;
    }
    let (c, s) = (samples("tubingen.jpg"), samples("starry_night.jpg"));
    let d = tmp("bad");
    let out = d.join("out.png").display().to_string();
    // A picture scaled past the pixel limit is refused before it is scaled; one larger
    // than the memory allowed fails before the optimisation starts, naming the memory
    // it would need.
    let stylize: &[&str] = &["stylize", "--content", &c, "--style", &s];
    let reconstruct: &[&str] = &["reconstruct", "style", &c, "--layers", "relu1_1"];
    let at_size = |commands: &[&[&str]], size: &str, needle: &str| {
        for cmd in commands {
            let mut args = cmd.to_vec();
            args.extend(["--size", size, "-o", &out]);
            one_error_line(&args, needle);
        }
    };
    at_size(
        &[stylize, reconstruct],
        "200000",
        "over the limit of 40000000 pixels",
    );
    // A picture too large for the memory allowed, even tile by tile with a short
    // L-BFGS history: the error names a budget that would do.
    let small: Vec<&str> = [stylize, &["--max-memory", "1G"]].concat();
    let small_r: Vec<&str> = [reconstruct, &["--max-memory", "1G"]].concat();
    at_size(
        &[&small, &small_r],
        "6000",
        "does not fit in 1.00 GB: even tiles of 64 pixels",
    );
    // Coarse to fine: the scales must increase, with one iteration count each.
    let run = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = stylize.iter().map(|s| s.to_string()).collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a.extend(["-o".to_string(), out.clone()]);
        a
    };
    for (extra, needle) in [
        (
            &["--scales", "256,128"][..],
            "--scales must increase, coarse to fine: 128 comes after 256",
        ),
        (
            &["--scales", "64,128", "--scale-iterations", "5"][..],
            "--scale-iterations has 1 count(s) but --scales has 2 stage(s)",
        ),
        (
            &["--scale-iterations", "5"][..],
            "--scale-iterations needs --scales",
        ),
        (
            &["--scales", "64,300000"][..],
            "over the limit of 40000000 pixels",
        ),
    ] {
        let a = run(extra);
        one_error_line(&a.iter().map(String::as_str).collect::<Vec<_>>(), needle);
    }
    // A tileable texture is tiled too (its crops wrap around the picture); a budget too
    // small for even one tile is refused with one that would do.
    at_size(
        &[&["texture", &s, "--tileable", "--max-memory", "100M"]],
        "4096",
        "does not fit in 0.10 GB: even tiles of 64 pixels",
    );
    // A forward pass alone keeps fewer values: four full-resolution taps at 6000 px.
    let taps = "conv1_1,relu1_1,conv1_2,relu1_2";
    let net = nst::net::vgg::layers(nst::net::vgg::Arch::Vgg16, nst::net::vgg::WIDTHS);
    let at: Vec<usize> = taps
        .split(',')
        .map(|t| net.iter().position(|l| l.name == t).unwrap())
        .collect();
    let forward = nst::tools::memory::forward_bytes(nst::net::vgg::Arch::Vgg16, 4500, 6000, &at);
    if nst::tools::memory::machine_memory().is_some_and(|m| forward > m.total_with_swap) {
        let dir = d.join("features").display().to_string();
        let args = [
            "features", &c, "--layers", taps, "--size", "6000", "-o", &dir,
        ];
        one_error_line(&args, "through VGG needs about");
    }
    one_error_line(
        &[
            "stylize",
            "--content",
            "/nonexistent/c.jpg",
            "--style",
            &s,
            "-o",
            &out,
        ],
        "/nonexistent/c.jpg",
    );
    one_error_line(
        &[
            "stylize",
            "--content",
            &c,
            "--style",
            "/nonexistent/s.jpg",
            "-o",
            &out,
        ],
        "/nonexistent/s.jpg",
    );
    one_error_line(
        &[
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "-o",
            "/nonexistent/dir/out.png",
        ],
        "does not exist",
    );
    one_error_line(
        &[
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "-o",
            &out,
            "--style-layers",
            "relu9_1",
        ],
        "unknown layer 'relu9_1'",
    );
    one_error_line(
        &[
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "--style",
            &s,
            "--style-weights",
            "0.5,0.3,0.2",
            "-o",
            &out,
        ],
        "3 value(s) but 2 style picture(s)",
    );
    let text = d.join("notes.txt");
    std::fs::write(&text, "not a picture").unwrap();
    one_error_line(
        &[
            "stylize",
            "--content",
            text.to_str().unwrap(),
            "--style",
            &s,
            "-o",
            &out,
        ],
        "notes.txt",
    );
    one_error_line(
        &[
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "-o",
            &out,
            "--size",
            "8",
        ],
        "too small",
    );
    one_error_line(
        &[
            "features",
            &c,
            "--out",
            d.to_str().unwrap(),
            "--weights",
            "/nonexistent/w",
        ],
        "bash weights/fetch.sh",
    );
}

/// Content and style of different sizes and aspect ratios, a grayscale style picture, and
/// two blended styles all run.
#[test]
fn odd_shapes_grayscale_and_blends_work() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = tmp("odd");
    let gray = d.join("gray.png");
    image::GrayImage::from_fn(40, 90, |x, y| image::Luma([((x * 7 + y * 3) % 256) as u8]))
        .save(&gray)
        .unwrap();
    let out = d.join("o.png");
    let (code, _, err) = nst(&[
        "stylize",
        "--content",
        &samples("tubingen.jpg"),
        "--style",
        gray.to_str().unwrap(),
        "--style",
        &samples("the_scream.jpg"),
        "--style-weights",
        "0.7,0.3",
        "--size",
        "48",
        "--iterations",
        "3",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let img = image::open(&out).unwrap();
    assert_eq!((img.width(), img.height()), (48, 36));
}

/// A diverging run (gradient descent with an absurd step) stops with a message naming the
/// iteration, keeps the last good picture and exits non-zero.
#[test]
fn nan_loss_stops_naming_the_iteration_and_keeps_the_last_good_picture() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = tmp("nan");
    let out = d.join("o.png");
    let (code, _, err) = nst(&[
        "stylize",
        "--content",
        &samples("tubingen.jpg"),
        "--style",
        &samples("starry_night.jpg"),
        "--size",
        "40",
        "--optimizer",
        "gd",
        "--lr",
        "1e30",
        "--iterations",
        "20",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("became NaN or infinite at iteration"), "{err}");
    assert!(out.exists(), "the last good picture was not saved");
}

/// Ctrl-C (SIGINT) during a run saves the current picture and exits with status 130 (the
/// shell's convention for SIGINT, so a script can tell it from a finished run), naming the
/// iteration; intermediate pictures already written stay.
#[cfg(unix)]
#[test]
fn ctrl_c_saves_the_current_picture() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = tmp("sigint");
    let out = d.join("o.png");
    let child = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args([
            "stylize",
            "--content",
            &samples("tubingen.jpg"),
            "--style",
            &samples("starry_night.jpg"),
            "--size",
            "64",
            "--iterations",
            "100000",
            "--save-every",
            "2",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first intermediate picture exists: the loop is running.
    let first = d.join("o_0002.png");
    let t = Instant::now();
    while !first.exists() && t.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(first.exists(), "the run never reached iteration 2");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out_put = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out_put.stderr);
    assert_eq!(out_put.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted at iteration"), "{err}");
    assert!(out.exists(), "no picture saved on Ctrl-C");
    image::open(&out).unwrap();
}

/// A tiny generator saved with the library (no training), for `generate` and `apply`.
fn tiny_model(tag: &str, stylisation: bool, norm: nst::texture_net::NormKind) -> PathBuf {
    use nst::texture_net::{Generator, GeneratorConfig};
    let d = tmp(tag).join("model");
    let base = if stylisation {
        GeneratorConfig::stylization()
    } else {
        GeneratorConfig::texture()
    };
    let config = GeneratorConfig {
        scales: 2,
        branch_channels: 2,
        norm,
        ..base
    };
    Generator::<f32>::new(config, 1).unwrap().save(&d).unwrap();
    d
}

/// Sizes the user gives never abort the process on an allocation: `generate`, `apply`,
/// `bench` and `montage` check the machine's memory (and `montage` the pixel limit)
/// before allocating, with one line.
#[test]
fn sizes_that_cannot_fit_are_refused_not_aborted() {
    if nst::tools::memory::machine_memory().is_none() {
        common::skipped("this machine's memory cannot be read (/proc/meminfo)");
        return;
    }
    let d = tmp("huge");
    let out = d.join("g.png").display().to_string();
    let tex = tiny_model("huge-tex", false, nst::texture_net::NormKind::Batch);
    let sty = tiny_model("huge-sty", true, nst::texture_net::NormKind::Batch);
    let memory = "GB of memory; this machine has";
    one_error_line(
        &[
            "generate",
            tex.to_str().unwrap(),
            "--size",
            "100000x100000",
            "-o",
            &out,
        ],
        memory,
    );
    one_error_line(
        &[
            "generate",
            tex.to_str().unwrap(),
            "--size",
            "4096",
            "--count",
            "100000",
            "-o",
            &out,
        ],
        memory,
    );
    // A raised pixel limit still meets the memory check, before scaling.
    one_error_line(
        &[
            "apply",
            sty.to_str().unwrap(),
            &samples("tubingen.jpg"),
            "--size",
            "200000",
            "--max-pixels",
            "100000000000",
            "-o",
            &out,
        ],
        memory,
    );
    one_error_line(&["bench", "--sizes", "200000", "--gemm"], memory);
    one_error_line(
        &["bench", "--sizes", "64", "--gemm", "100000x100000x100000"],
        memory,
    );
    one_error_line(
        &[
            "bench",
            "--generator",
            tex.to_str().unwrap(),
            "--sizes",
            "200000",
        ],
        memory,
    );
    one_error_line(
        &[
            "montage",
            &samples("tubingen.jpg"),
            &samples("the_scream.jpg"),
            "--cell",
            "100000",
            "-o",
            &out,
        ],
        "over the limit of 40000000 pixels",
    );
    one_error_line(
        &[
            "montage",
            &samples("tubingen.jpg"),
            "--cell",
            "16",
            "--gap",
            "100000",
            "-o",
            &out,
        ],
        "the grid would be",
    );
    one_error_line(
        &[
            "montage",
            &samples("tubingen.jpg"),
            "--cell",
            "200000",
            "--max-pixels",
            "100000000000",
            "-o",
            &out,
        ],
        memory,
    );
}

/// A real JPEG cut in half is an error naming the file, not a picture with a grey bottom
/// half; `data pack` lists it among the skipped files with the reason.
#[test]
fn truncated_pictures_are_named() {
    let d = tmp("trunc");
    let whole = std::fs::read(samples("tubingen.jpg")).unwrap();
    let half = d.join("half.jpg");
    std::fs::write(&half, &whole[..whole.len() / 2]).unwrap();
    let out = d.join("m.png").display().to_string();
    one_error_line(
        &["montage", half.to_str().unwrap(), "-o", &out],
        "half.jpg: the JPEG data ends early (truncated",
    );
    // The same for a PNG cut short.
    let png = d.join("cut.png");
    let img = image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8, y as u8, 9]));
    img.save(&png).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    std::fs::write(&png, &bytes[..bytes.len() - 20]).unwrap();
    let (code, _, err) = nst(&["montage", png.to_str().unwrap(), "-o", &out]);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("cut.png") && err.contains("truncated"),
        "{err}"
    );
    // data pack goes on past bad files and names them with the reason.
    let pics = d.join("pics");
    std::fs::create_dir_all(&pics).unwrap();
    std::fs::copy(samples("tubingen.jpg"), pics.join("whole.jpg")).unwrap();
    std::fs::copy(&half, pics.join("half.jpg")).unwrap();
    let rec = d.join("p.tfrecord");
    let (code, stdout, err) = nst(&[
        "data",
        "pack",
        pics.to_str().unwrap(),
        "-o",
        rec.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("skipped 1 file(s)"), "{stdout}");
    assert!(
        stdout.contains("half.jpg: the JPEG data ends early"),
        "{stdout}"
    );
}

/// A weight folder whose manifest sums match but that holds NaN fails `weights verify`
/// and loading, naming the tensor; a generator with NaN weights fails `generate`.
#[test]
fn non_finite_weights_are_named() {
    let Some(src) = common::weights_dir() else {
        return;
    };
    let d = tmp("nanw").join("vgg16");
    std::fs::create_dir_all(&d).unwrap();
    let mut manifest = std::fs::read_to_string(src.join("manifest.tsv")).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".npy") && name != "conv3_1.bias.npy" {
            std::os::unix::fs::symlink(e.path(), d.join(&name)).unwrap();
        }
    }
    let mut bias: ndarray::ArrayD<f32> =
        nst::formats::npy::read_f32(&src.join("conv3_1.bias.npy")).unwrap();
    bias[[17]] = f32::NAN;
    nst::formats::npy::write_f32(&d.join("conv3_1.bias.npy"), &bias.view()).unwrap();
    let old = nst::net::weights::sha256_file(&src.join("conv3_1.bias.npy")).unwrap();
    let new = nst::net::weights::sha256_file(&d.join("conv3_1.bias.npy")).unwrap();
    manifest = manifest.replace(&old, &new);
    std::fs::write(d.join("manifest.tsv"), manifest).unwrap();
    let dir = d.to_str().unwrap();
    one_error_line(&["weights", "verify", dir], "tensor `conv3_1.bias`");
    one_error_line(
        &[
            "stylize",
            "--content",
            &samples("tubingen.jpg"),
            "--style",
            &samples("starry_night.jpg"),
            "--weights",
            dir,
            "--size",
            "32",
            "-o",
            "/tmp/nst-never.png",
        ],
        "tensor `conv3_1.bias` holds 1 non-finite value(s)",
    );
    // A generator.
    let m = tiny_model("nan-gen", false, nst::texture_net::NormKind::Batch);
    let file = std::fs::read_dir(&m)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".weight.npy"))
        .unwrap();
    let mut w: ndarray::ArrayD<f32> = nst::formats::npy::read_f32(&file).unwrap();
    w.fill(f32::INFINITY);
    nst::formats::npy::write_f32(&file, &w.view()).unwrap();
    let out = tmp("nan-gen").join("g.png").display().to_string();
    one_error_line(
        &["generate", m.to_str().unwrap(), "--size", "32", "-o", &out],
        "non-finite",
    );
}

/// A model whose config.txt says instance norm but whose weights were trained with batch
/// norm (their running statistics are beside them) is refused.
#[test]
fn norm_mismatch_between_config_and_weights_is_refused() {
    let m = tiny_model("arch", false, nst::texture_net::NormKind::Batch);
    let cfg = m.join("config.txt");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace("norm = batch", "norm = instance")).unwrap();
    let out = tmp("arch").join("g.png").display().to_string();
    one_error_line(
        &["generate", m.to_str().unwrap(), "--size", "32", "-o", &out],
        "trained with batch norm (architecture mismatch)",
    );
}

/// Every output path is checked (extension, folder) before any work; `loss --grad-out`
/// must be named .npy, since that is what it writes.
#[test]
fn outputs_are_checked_before_work() {
    let tex = tiny_model("outs", false, nst::texture_net::NormKind::Batch);
    let d = tmp("outs");
    let xyz = d.join("x.xyz").display().to_string();
    one_error_line(
        &[
            "generate",
            tex.to_str().unwrap(),
            "--size",
            "32",
            "-o",
            &xyz,
        ],
        "unknown extension `.xyz`",
    );
    let bare = d.join("noext").display().to_string();
    one_error_line(
        &[
            "generate",
            tex.to_str().unwrap(),
            "--size",
            "32",
            "-o",
            &bare,
        ],
        "no extension",
    );
    // A training folder that cannot be made: before VGG is loaded.
    let file = d.join("a-file");
    std::fs::write(&file, "x").unwrap();
    one_error_line(
        &[
            "train-texture",
            &samples("starry_night.jpg"),
            "-o",
            &file.join("run").display().to_string(),
        ],
        "a-file is a file",
    );
    if common::weights_dir().is_none() {
        return;
    }
    let (c, s) = (samples("tubingen.jpg"), samples("starry_night.jpg"));
    // Without the early check these would run 300 iterations at 512 px first.
    one_error_line(
        &["stylize", "--content", &c, "--style", &s, "-o", &xyz],
        "unknown extension `.xyz`",
    );
    one_error_line(&["texture", &s, "-o", &xyz], "unknown extension `.xyz`");
    one_error_line(
        &[
            "reconstruct",
            "content",
            &c,
            "--layers",
            "relu4_2",
            "-o",
            &xyz,
        ],
        "unknown extension `.xyz`",
    );
    let log = d.join("missing/log.csv").display().to_string();
    one_error_line(
        &[
            "stylize",
            "--content",
            &c,
            "--style",
            &s,
            "-o",
            &d.join("o.png").display().to_string(),
            "--log-every",
            "10",
            "--log",
            &log,
        ],
        "does not exist",
    );
    one_error_line(
        &[
            "loss",
            "--content",
            &c,
            "--style",
            &s,
            "--image",
            &c,
            "--grad-out",
            &d.join("g.png").display().to_string(),
        ],
        "give a name ending in .npy",
    );
}

/// `--iterations 0` reports the starting picture's real loss; weights that overflow f32
/// are refused with the range, before (or at) the start, not after iteration 1.
#[test]
fn zero_iterations_and_overflowing_weights() {
    if common::weights_dir().is_none() {
        return;
    }
    let (c, s) = (samples("tubingen.jpg"), samples("starry_night.jpg"));
    let out = tmp("zero").join("o.png").display().to_string();
    let base = [
        "stylize",
        "--content",
        &c,
        "--style",
        &s,
        "--size",
        "48",
        "-q",
        "-o",
        &out,
    ];
    let mut args = base.to_vec();
    args.extend(["--iterations", "0"]);
    let (code, _, err) = nst(&args);
    assert_eq!(code, 0, "{err}");
    let loss: f64 = err
        .split("; loss ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no loss in: {err}"));
    assert!(loss > 0.0 && loss.is_finite(), "{err}");
    let mut args = base.to_vec();
    args.extend(["--style-weight", "1e39"]);
    one_error_line(&args, "must lie in [0, 3.4e38]");
    let mut args = base.to_vec();
    args.extend(["--style-layers", "relu1_1:1e39"]);
    one_error_line(&args, "must lie in [0, 3.4e38]");
    let mut args = base.to_vec();
    args.extend(["--style-weight", "1e37", "--iterations", "5"]);
    one_error_line(&args, "use --style-weight below");
}

/// A style picture too small for the deepest layer is named, with its size as W×H and
/// the size it needs.
#[test]
fn too_small_pictures_are_named_with_w_by_h() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = tmp("small");
    let thin = d.join("thin.png");
    image::RgbImage::from_fn(64, 4, |x, _| image::Rgb([x as u8, 0, 0]))
        .save(&thin)
        .unwrap();
    let out = d.join("o.png").display().to_string();
    let c = samples("tubingen.jpg");
    one_error_line(
        &[
            "stylize", "--content", &c, "--style", thin.to_str().unwrap(), "--size", "64",
            "-o", &out,
        ],
        "thin.png (a style picture, scaled to a longest side of 64 by --size × --style-scale) is 64×4 pixels, too small for layer relu5_1, which needs at least 16×16",
    );
    one_error_line(
        &[
            "texture",
            thin.to_str().unwrap(),
            "--size",
            "64",
            "-o",
            &out,
        ],
        "thin.png (the texture sample) is 64×4 pixels",
    );
    one_error_line(
        &[
            "stylize",
            "--content",
            thin.to_str().unwrap(),
            "--style",
            &c,
            "--size",
            "64",
            "-o",
            &out,
        ],
        "thin.png (the content picture, scaled to a longest side of 64 by --size) is 64×4 pixels",
    );
}

/// `train-style` names, counts and skips unreadable pictures in its pool and says how
/// many remain; a pool with none readable is one error line.
#[test]
fn train_style_names_and_skips_unreadable_pictures() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = tmp("pool");
    let pool = d.join("pool");
    std::fs::create_dir_all(&pool).unwrap();
    for i in 0..3 {
        image::RgbImage::from_fn(48, 40, |x, y| image::Rgb([(x * i) as u8, y as u8, 50]))
            .save(pool.join(format!("good{i}.png")))
            .unwrap();
    }
    std::fs::write(pool.join("text.jpg"), "not a picture").unwrap();
    let whole = std::fs::read(samples("tubingen.jpg")).unwrap();
    std::fs::write(pool.join("half.jpg"), &whole[..whole.len() / 2]).unwrap();
    let out = d.join("run");
    let (code, _, err) = nst(&[
        "train-style",
        &samples("starry_night.jpg"),
        "--images",
        pool.to_str().unwrap(),
        "--size",
        "32",
        "--batch-size",
        "1",
        "--iterations",
        "1",
        "--scales",
        "2",
        "--style-size",
        "224",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("a pool of 3 training pictures (2 of 5 skipped"),
        "{err}"
    );
    assert!(
        err.contains("warning: skipping") && err.contains("text.jpg: not a PNG or JPEG"),
        "{err}"
    );
    assert!(err.contains("half.jpg: the JPEG data ends early"), "{err}");
    // Nothing readable: one line.
    let bad = d.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("a.png"), "nope").unwrap();
    one_error_line(
        &[
            "train-style",
            &samples("starry_night.jpg"),
            "--images",
            bad.to_str().unwrap(),
            "--size",
            "32",
            "-o",
            d.join("run2").to_str().unwrap(),
        ],
        "none of the 1 training picture(s) can be read",
    );
}

/// Ctrl-C and SIGTERM save the picture and exit 130 and 143: a script can tell an
/// interrupted run from a finished one.
#[cfg(unix)]
#[test]
fn sigterm_saves_the_picture_and_exits_143() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = tmp("sigterm");
    let out = d.join("o.png");
    let child = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args([
            "stylize",
            "--content",
            &samples("tubingen.jpg"),
            "--style",
            &samples("starry_night.jpg"),
            "--size",
            "64",
            "--iterations",
            "100000",
            "--save-every",
            "2",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let first = d.join("o_0002.png");
    let t = Instant::now();
    while !first.exists() && t.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(first.exists(), "the run never reached iteration 2");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(143), "{err}");
    assert!(err.contains("terminated (SIGTERM)"), "{err}");
    assert!(err.contains("interrupted at iteration"), "{err}");
    image::open(&out).unwrap();
}
