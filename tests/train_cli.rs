//! The Texture Networks commands end to end with the real VGG16 weights, on runs small
//! enough for a test (32×32 pictures, batches of 1, a few iterations): train, resume,
//! Ctrl-C, a kill at a random moment, generate, apply; and every kind of bad input as
//! one `error:` line. Without the weights these tests fail with the fetch command, or
//! are skipped with a `SKIPPED:` line when NST_ALLOW_MISSING_WEIGHTS=1
//! (`common::weights_dir`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn weights() -> String {
    root().join("weights/vgg16").display().to_string()
}

fn sample(name: &str) -> String {
    root().join("docs/samples").join(name).display().to_string()
}

fn nst(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        .output()
        .expect("running nst");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    (out.status.code().unwrap_or(-1), err)
}

fn ok(args: &[&str]) -> String {
    let (code, err) = nst(args);
    assert_eq!(code, 0, "{args:?} failed:\n{err}");
    err
}

/// Exactly one non-empty stderr line, `error: …` containing `needle`.
fn one_error(args: &[&str], needle: &str) {
    let (code, err) = nst(args);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(code != 0, "{args:?} succeeded");
    assert_eq!(lines.len(), 1, "{args:?}: expected one line, got:\n{err}");
    assert!(lines[0].starts_with("error:"), "{err}");
    assert!(lines[0].contains(needle), "'{needle}' not in: {err}");
}

fn dir(tag: &str) -> PathBuf {
    nst::formats::files::test_dir(&format!("cli-{tag}"))
}

/// A 132×132 texture sample (the minimum for relu5_1) cut from a shipped picture.
fn texture_sample(d: &Path) -> String {
    let p = d.join("sample.png");
    let img = nst::formats::image_io::load_rgb(
        Path::new(&sample("starry_night.jpg")),
        &Default::default(),
    )
    .unwrap();
    let crop = img.slice(ndarray::s![..132, ..132, ..]).to_owned();
    nst::formats::image_io::save_rgb(&p, crop.view()).unwrap();
    p.display().to_string()
}

fn train_texture<'a>(sample: &'a str, out: &'a str, w: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "train-texture",
        sample,
        "-o",
        out,
        "--size",
        "32",
        "--batch-size",
        "1",
        "--weights",
        w,
        "--quiet",
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn train_resume_generate_and_their_bad_input() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = dir("texture");
    let (s, w) = (texture_sample(&d), weights());
    let out = d.join("run").display().to_string();
    let err = ok(&train_texture(
        &s,
        &out,
        &w,
        &["--iterations", "3", "--save-every", "2"],
    ));
    assert!(err.contains("trained model"), "{err}");
    assert!(err.contains("texture loss of 4 new 32×32 samples"), "{err}");
    let ckpts: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ckpt-"))
        .collect();
    assert_eq!(ckpts.len(), 2, "{ckpts:?}");

    // Starting over in the same folder is refused; --resume continues to a new total.
    one_error(
        &train_texture(&s, &out, &w, &["--iterations", "3"]),
        "--resume",
    );
    let err = ok(&train_texture(
        &s,
        &out,
        &w,
        &["--iterations", "5", "--resume"],
    ));
    assert!(err.contains("at iteration 3"), "{err}");
    let log = std::fs::read_to_string(Path::new(&out).join("train.log.csv")).unwrap();
    assert_eq!(log.matches("iter,").count(), 1, "one header:\n{log}");
    assert!(log.lines().last().unwrap().starts_with("5,"), "{log}");
    one_error(
        &train_texture(&s, &out, &w, &["--resume", "--scales", "4"]),
        "cannot change when resuming",
    );

    // Generate at any size that divides by 16; other sizes are one line.
    let png = d.join("t.png").display().to_string();
    let err = ok(&["generate", &out, "--size", "80x48", "-o", &png]);
    assert!(err.contains("80×48"), "{err}");
    let img = nst::formats::image_io::load_rgb(Path::new(&png), &Default::default()).unwrap();
    assert_eq!(img.dim(), (48, 80, 3));
    one_error(
        &["generate", &out, "--size", "50", "-o", &png],
        "not a multiple of 16",
    );
    // --tile: the same picture made in tiles (here 32 px with an 80 px margin, so the
    // crops wrap around the 80×48 picture more than once); a tile size that does not
    // divide by 16 is one line.
    let tiled = d.join("tiled.png").display().to_string();
    ok(&[
        "generate", &out, "--size", "80x48", "--tile", "32", "-o", &tiled,
    ]);
    assert_eq!(std::fs::read(&png).unwrap(), std::fs::read(&tiled).unwrap());
    one_error(
        &[
            "generate", &out, "--size", "80x48", "--tile", "20", "-o", &tiled,
        ],
        "multiple of 16",
    );
    // The same model timed by `nst bench --generator`: one line per size, cold and warm.
    let bench = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args([
            "bench",
            "--generator",
            &out,
            "--sizes",
            "32",
            "48",
            "--repeats",
            "1",
        ])
        .output()
        .expect("running nst");
    let stdout = String::from_utf8_lossy(&bench.stdout);
    assert!(bench.status.success(), "{stdout}");
    for s in ["32", "48"] {
        let line = format!("nst generator {s} first_s=");
        assert!(
            stdout.contains(&line) && stdout.contains("median_s="),
            "{stdout}"
        );
    }
    one_error(
        &["bench", "--generator", &out, "--sizes", "50"],
        "not a multiple of 16",
    );

    // texture-loss: each picture's loss, their mean, and how alike their layouts are —
    // 1 for one picture twice, lower for two crops of a painting; a flat picture has no
    // layout to compare.
    let measure = |pics: &[&str]| {
        let mut args = vec!["texture-loss", &s, "--weights", &w];
        args.extend_from_slice(pics);
        let out = Command::new(env!("CARGO_BIN_EXE_nst"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let twice = measure(&[&s, &s]);
    assert!(twice.contains("mean loss"), "{twice}");
    assert!(twice.contains("layout correlation 1.00"), "{twice}");
    // One picture twice: it has no spread, and its bias is its own loss, 0.
    assert!(twice.contains("= bias 0.0000e0"), "{twice}");
    let img = nst::formats::image_io::load_rgb(
        Path::new(&sample("starry_night.jpg")),
        &Default::default(),
    )
    .unwrap();
    let other = d.join("crop2.png");
    let crop = img.slice(ndarray::s![100..232, 200..332, ..]).to_owned();
    nst::formats::image_io::save_rgb(&other, crop.view()).unwrap();
    let pair = measure(&[&s, &other.display().to_string()]);
    let r: f64 = pair
        .split("layout correlation ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{pair}"));
    assert!(r.abs() < 0.9, "{pair}");
    let flat = d.join("flat.png");
    nst::formats::image_io::save_rgb(
        &flat,
        ndarray::Array3::<f32>::from_elem((48, 80, 3), 0.5).view(),
    )
    .unwrap();
    let flat = flat.display().to_string();
    assert!(measure(&[&flat, &flat]).contains("not measured"));
    // Crops of the sample itself: the loss real pieces of the texture get. A crop as large
    // as the sample is the sample, whose loss against itself is 0.
    // Their mean loss is split into bias and spread, each also per layer.
    let crops = measure(&[&png, "--sample-crops", "3"]);
    assert!(
        crops.contains("3 random 80×48 crops of the sample: mean loss"),
        "{crops}"
    );
    assert!(
        crops.contains(") = bias ") && crops.contains("+ spread "),
        "{crops}"
    );
    assert!(crops.contains("  spread relu1_1="), "{crops}");
    let whole = measure(&[&s, "--sample-crops", "2"]);
    assert!(
        whole.contains("crops of the sample: mean loss 0.0000e0"),
        "{whole}"
    );
    let big = d.join("big.png").display().to_string();
    ok(&["generate", &out, "--size", "144", "-o", &big]);
    one_error(
        &[
            "texture-loss",
            &s,
            &big,
            "--sample-crops",
            "1",
            "--weights",
            &w,
        ],
        "smaller than the pictures",
    );
    one_error(
        &["apply", &out, &sample("tubingen.jpg"), "-o", &png],
        "texture model",
    );

    // A model missing a file, or from another architecture, is named.
    let model = Path::new(&out).join("model");
    let copy = d.join("broken");
    std::fs::create_dir_all(&copy).unwrap();
    for e in std::fs::read_dir(&model).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    let c = copy.display().to_string();
    std::fs::remove_file(copy.join("join1.conv0.weight.npy")).unwrap();
    one_error(&["generate", &c, "-o", &png], "join1.conv0.weight.npy");
    let cfg = copy.join("config.txt");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("branch_channels = 8", "branch_channels = 6"),
    )
    .unwrap();
    one_error(&["generate", &c, "-o", &png], "architecture mismatch");
    one_error(
        &["generate", &d.display().to_string(), "-o", &png],
        "not a trained model",
    );

    // A damaged newest checkpoint: named, with the way back.
    let newest = Path::new(&out).join("ckpt-000005/adam_v.npy");
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..100]).unwrap();
    let args = train_texture(&s, &out, &w, &["--resume", "--iterations", "6"]);
    one_error(&args, "--resume-from");
    let (_, err) = nst(&args);
    assert!(
        err.contains("ckpt-000005 is damaged") && err.contains("ckpt-000003"),
        "{err}"
    );
    let back = Path::new(&out).join("ckpt-000003").display().to_string();
    let err = ok(&train_texture(
        &s,
        &out,
        &w,
        &["--resume-from", &back, "--iterations", "6"],
    ));
    assert!(err.contains("at iteration 3"), "{err}");
}

#[test]
fn bad_training_input_is_one_line() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = dir("badtrain");
    let w = weights();
    let small = d.join("small.png");
    let img = nst::formats::image_io::load_rgb(
        Path::new(&sample("starry_night.jpg")),
        &Default::default(),
    )
    .unwrap();
    nst::formats::image_io::save_rgb(&small, img.slice(ndarray::s![..100, ..120, ..]).view())
        .unwrap();
    let small = small.display().to_string();
    let out = d.join("o").display().to_string();
    one_error(
        &train_texture(&small, &out, &w, &[]),
        "relu5_1 of vgg16 sees a 132×132 window",
    );
    let s = texture_sample(&d);
    one_error(
        &["train-texture", &s, "-o", &out, "--size", "40"],
        "not a multiple of 16",
    );
    one_error(
        &["train-texture", &s, "-o", &out, "--batch-size", "0"],
        "--batch-size",
    );
    one_error(&["train-texture", &s, "-o", &out, "--lr", "-1"], "--lr");
    // Batches that cannot fit in the machine's memory: one line, before any work, and no
    // run folder left behind.
    let huge = nst::tools::memory::training_bytes(4096, 4096, 64);
    if nst::tools::memory::machine_memory().is_some_and(|m| huge > m.total_with_swap) {
        let big = ["--size", "4096", "--batch-size", "64"];
        one_error(
            &[&["train-texture", &s, "-o", &out][..], &big].concat(),
            "or --batch-size",
        );
        assert!(!Path::new(&out).exists());
    }
    one_error(
        &["train-texture", &s, "-o", &out, "--resume", "--weights", &w],
        "does not exist",
    );
    one_error(
        &train_texture(&s, &out, &w, &["--layers", "relu9_9"]),
        "relu9_9",
    );
    let style = sample("starry_night.jpg");
    one_error(
        &[
            "train-style",
            &style,
            "--images",
            &d.join("none").display().to_string(),
            "-o",
            &out,
            "--size",
            "32",
            "--weights",
            &w,
        ],
        "none",
    );
    one_error(
        &[
            "train-style",
            &style,
            "--images",
            &d.display().to_string(),
            "-o",
            &out,
            "--size",
            "48",
        ],
        "not a multiple of 32",
    );
}

#[test]
fn ctrl_c_and_kill_lose_at_most_the_iterations_since_the_last_checkpoint() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = dir("interrupt");
    let (s, w) = (texture_sample(&d), weights());
    let out = d.join("run").display().to_string();
    let args = train_texture(
        &s,
        &out,
        &w,
        &["--iterations", "100000", "--save-every", "3"],
    );
    let newest = |out: &str| -> usize {
        nst::texture_net::checkpoint::list_checkpoints(Path::new(out))
            .ok()
            .and_then(|c| c.first().map(|c| c.0))
            .unwrap_or(0)
    };
    let wait_for = |out: &str, n: usize| {
        let t = Instant::now();
        while newest(out) < n {
            assert!(t.elapsed() < Duration::from_secs(120), "no checkpoint {n}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    // Ctrl-C: the iteration finishes, a checkpoint is written, exit status 130.
    let child = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(&args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&out, 3);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let res = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted at iteration"), "{err}");
    let at = newest(&out);
    assert!(
        err.contains(&format!("interrupted at iteration {at};")),
        "checkpoint {at}: {err}"
    );

    // SIGKILL at an arbitrary moment (here: soon after a checkpoint appears, possibly
    // in the middle of writing the next): --resume starts from the newest complete one.
    let mut resume = args.clone();
    resume.push("--resume");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(&resume)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&out, at + 3);
    std::thread::sleep(Duration::from_millis(137));
    child.kill().unwrap();
    child.wait().unwrap();
    let last = newest(&out);
    assert!(last >= at + 3);
    let c = nst::texture_net::checkpoint::load_newest::<f32>(Path::new(&out)).unwrap();
    assert_eq!(c.state.iteration, last);
    let total = (last + 1).to_string();
    let mut finish = train_texture(&s, &out, &w, &["--iterations", &total, "--resume"]);
    finish.extend_from_slice(&["--save-every", "3"]);
    let err = ok(&finish);
    assert!(err.contains(&format!("at iteration {last}")), "{err}");
}

#[test]
fn train_style_then_apply() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = dir("style");
    let pool = d.join("pool");
    std::fs::create_dir_all(&pool).unwrap();
    for name in ["tubingen.jpg", "the_scream.jpg"] {
        std::fs::copy(sample(name), pool.join(name)).unwrap();
    }
    let (w, style) = (weights(), sample("starry_night.jpg"));
    let out = d.join("run").display().to_string();
    let p = pool.display().to_string();
    let err = ok(&[
        "train-style",
        &style,
        "--images",
        &p,
        "-o",
        &out,
        "--size",
        "32",
        "--batch-size",
        "2",
        "--iterations",
        "2",
        "--style-size",
        "256",
        "--weights",
        &w,
        "--quiet",
    ]);
    assert!(err.contains("a pool of 2 training pictures"), "{err}");
    assert!(err.contains("stylisation generator, K = 6"), "{err}");
    let png = d.join("s.png").display().to_string();
    let err = ok(&[
        "apply",
        &out,
        &sample("tubingen.jpg"),
        "--size",
        "100",
        "--noise-scale",
        "0.5",
        "-o",
        &png,
    ]);
    assert!(err.contains("resized 100×75 to 96×64"), "{err}");
    let img = nst::formats::image_io::load_rgb(Path::new(&png), &Default::default()).unwrap();
    assert_eq!(img.dim(), (64, 96, 3));
    one_error(&["generate", &out, "-o", &png], "stylisation model");
    one_error(
        &[
            "apply",
            &out,
            &sample("tubingen.jpg"),
            "--noise-scale",
            "-1",
            "-o",
            &png,
        ],
        "--noise-scale",
    );

    // --noise-scale on --resume: the checkpoint's value unless the flag is given, and a
    // flag given is kept even when it equals the default of a new run (1).
    let noise_in_newest = || {
        let dir = nst::texture_net::checkpoint::list_checkpoints(Path::new(&out)).unwrap()[0]
            .1
            .clone();
        let state =
            std::fs::read_to_string(dir.join(nst::texture_net::checkpoint::STATE_FILE)).unwrap();
        state
            .lines()
            .find_map(|l| l.strip_prefix("noise_scale = ").map(str::to_string))
            .unwrap()
    };
    assert_eq!(noise_in_newest(), "1");
    let resume = |iterations: &'static str, noise: Option<&'static str>| {
        let mut args = vec![
            "train-style",
            &style,
            "--images",
            &p,
            "-o",
            &out,
            "--resume",
            "--iterations",
            iterations,
            "--style-size",
            "256",
            "--weights",
            &w,
            "--quiet",
        ];
        if let Some(n) = noise {
            args.extend(["--noise-scale", n]);
        }
        ok(&args);
    };
    resume("3", Some("0.5"));
    assert_eq!(noise_in_newest(), "0.5");
    resume("4", None);
    assert_eq!(noise_in_newest(), "0.5");
    resume("5", Some("1"));
    assert_eq!(noise_in_newest(), "1");
}

/// `nst train-style --images` reads TFRecord shards written by `nst data pack`.
#[test]
fn train_style_reads_tfrecord_shards() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = dir("tfrecord-train");
    let shard = d.join("imgs.tfrecord").display().to_string();
    let pictures = root()
        .join("tests/fixtures/tfrecord/images")
        .display()
        .to_string();
    ok(&["data", "pack", &pictures, "-o", &shard]);
    let model = d.join("model").display().to_string();
    let w = weights();
    let err = ok(&[
        "train-style",
        &sample("starry_night.jpg"),
        "--images",
        &shard,
        "-o",
        &model,
        "--size",
        "128",
        "--batch-size",
        "1",
        "--iterations",
        "2",
        "--weights",
        &w,
        "-q",
    ]);
    assert!(err.contains("TFRecord"), "{err}");
    assert!(
        d.join("model/model").is_dir(),
        "no trained model written:\n{err}"
    );
}

/// SIGTERM (what `kill`, `timeout` and schedulers send) stops training like Ctrl-C: the
/// iteration finishes, a checkpoint is written, and the exit status is 143.
#[test]
fn sigterm_checkpoints_and_exits_143() {
    if common::weights_dir().is_none() {
        return;
    }
    let d = dir("sigterm");
    let (s, w) = (texture_sample(&d), weights());
    let out = d.join("run").display().to_string();
    let args = train_texture(
        &s,
        &out,
        &w,
        &["--iterations", "100000", "--save-every", "2"],
    );
    let child = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(&args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let newest = || {
        nst::texture_net::checkpoint::list_checkpoints(Path::new(&out))
            .ok()
            .and_then(|c| c.first().map(|c| c.0))
            .unwrap_or(0)
    };
    let t = Instant::now();
    while newest() < 2 {
        assert!(t.elapsed() < Duration::from_secs(120), "no checkpoint 2");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let res = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(143), "{err}");
    assert!(err.contains("terminated (SIGTERM)"), "{err}");
    let at = newest();
    assert!(
        err.contains(&format!("interrupted at iteration {at};")),
        "checkpoint {at}: {err}"
    );
}
