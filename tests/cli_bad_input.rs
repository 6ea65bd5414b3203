//! Bad input on the command line: one clear `error:` line on stderr and a non-zero exit,
//! never a panic, and reported before any long work starts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn nst(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        .output()
        .expect("running nst");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn samples(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/samples")
        .join(name)
        .display()
        .to_string()
}

fn weights_present() -> bool {
    let ok = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("weights/vgg16/manifest.tsv")
        .exists();
    if !ok && std::env::var("NST_ALLOW_MISSING_WEIGHTS").as_deref() != Ok("1") {
        panic!("no weights in weights/vgg16: run `bash weights/fetch.sh` first");
    }
    ok
}

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
}

#[test]
fn missing_inputs_and_unwritable_outputs_fail_before_work() {
    if !weights_present() {
        return;
    }
    let (c, s) = (samples("tubingen.jpg"), samples("starry_night.jpg"));
    let d = tmp("bad");
    let out = d.join("out.png").display().to_string();
    // A picture scaled past the pixel limit is refused before it is scaled; one larger
    // than the machine's memory (RAM and swap) fails at once, before VGG is loaded,
    // naming the memory it would need.
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
    // (6000 px: 6000×4500 with L-BFGS's 100 pairs, about 115 GB.)
    let big = nst::memory::optimisation_bytes(4500, 6000, 204);
    if nst::memory::machine_memory().is_some_and(|m| big > m.total_with_swap) {
        let memory = "GB of memory; this machine has";
        at_size(&[stylize, reconstruct], "6000", memory);
        at_size(&[&["texture", &s]], "200000", memory);
    }
    // A forward pass alone keeps fewer values: four full-resolution taps at 6000 px.
    let taps = "conv1_1,relu1_1,conv1_2,relu1_2";
    let net = nst::vgg::layers(nst::vgg::Arch::Vgg16, nst::vgg::WIDTHS);
    let at: Vec<usize> = taps
        .split(',')
        .map(|t| net.iter().position(|l| l.name == t).unwrap())
        .collect();
    let forward = nst::memory::forward_bytes(nst::vgg::Arch::Vgg16, 4500, 6000, &at);
    if nst::memory::machine_memory().is_some_and(|m| forward > m.total_with_swap) {
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
    if !weights_present() {
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
    if !weights_present() {
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

/// Ctrl-C (SIGINT) during a run saves the current picture and exits cleanly (status 0,
/// a message naming the iteration); intermediate pictures already written stay.
#[cfg(unix)]
#[test]
fn ctrl_c_saves_the_current_picture() {
    if !weights_present() {
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
    assert_eq!(out_put.status.code(), Some(0), "{err}");
    assert!(err.contains("interrupted at iteration"), "{err}");
    assert!(out.exists(), "no picture saved on Ctrl-C");
    image::open(&out).unwrap();
}
