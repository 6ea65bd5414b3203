//! Helpers shared by the integration tests: reading the committed `.npy` fixtures, the
//! real weights' folder (or a visible skip), and a generator moved away from its initial
//! values.
#![allow(dead_code)]

use ndarray::{ArrayD, IxDyn};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The files under `dir` (recursively) whose names end in `.ext`, in sorted order.
pub fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for path in entries {
        if path.is_dir() {
            out.extend(files_with_extension(&path, ext));
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out
}

/// Run the `nst` binary: its exit code, stdout and stderr.
pub fn nst(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        .output()
        .expect("running nst");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// `docs/samples/<name>`, the README's sample pictures.
pub fn samples(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/samples")
        .join(name)
        .display()
        .to_string()
}

/// `tests/fixtures/<rel>` under the crate root.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Read an `.npy` file of f64 or f32 values (widened to f64), with its shape.
pub fn load_npy(path: &Path) -> ArrayD<f64> {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()));
    let npy = npyz::NpyFile::new(&bytes[..])
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let data: Vec<f64> = match npy.dtype() {
        npyz::DType::Plain(t) if t.size_field() == 4 => npy
            .into_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect(),
        _ => npy.into_vec::<f64>().unwrap(),
    };
    ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap()
}

/// `load_npy(fixture(rel))`.
pub fn load(rel: &str) -> ArrayD<f64> {
    load_npy(&fixture(rel))
}

/// The real VGG16 weights (`weights/vgg16` under the crate root: where `bash
/// weights/fetch.sh` writes them and where `nst` reads them by default), for a test that
/// runs on them; the one place that asks whether they are there.
///
/// Missing weights fail the test, naming the command that fetches them. For a quick local
/// run without them, `NST_ALLOW_MISSING_WEIGHTS=1` skips such tests instead: this returns
/// `None` (the test then returns) after printing
/// `SKIPPED: <test>: VGG16 weights not found (run bash weights/fetch.sh)` ([`skipped`]).
pub fn weights_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(nst::net::weights::DEFAULT_DIR);
    if dir.join("manifest.tsv").exists() {
        return Some(dir);
    }
    if std::env::var("NST_ALLOW_MISSING_WEIGHTS").as_deref() == Ok("1") {
        skipped("VGG16 weights not found (run bash weights/fetch.sh)");
        return None;
    }
    panic!(
        "VGG16 weights not found in {}: run `bash weights/fetch.sh` first \
         (or set NST_ALLOW_MISSING_WEIGHTS=1 to skip the tests that need them)",
        dir.display()
    );
}

/// Say that the running test is skipped, and why: `SKIPPED: <test>: <reason>` on stderr,
/// written directly rather than with `eprintln!` (whose output the test harness keeps back
/// for passing tests), so that it shows in `cargo test`'s output. The test then returns.
pub fn skipped(reason: &str) {
    let line = format!("SKIPPED: {}: {reason}\n", test_name());
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// The running test's name: the test harness runs each test on a thread named after it.
fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string()
}

/// Move a generator's γ and β (to [0.5, 1.5]), conv biases (to [−0.5, 0.5]) and running
/// statistics (means to [−1, 1], variances to [0.2, 3]) away from their initial values
/// (1, 0, 0 and (0, 1)), so that no part of it is an identity or a zero.
pub fn move_off_init(g: &mut nst::texture_net::Generator<f64>, rng: &mut nst::math::rng::Rng) {
    for slot in g.param_slots().to_vec() {
        let range = if slot.name.ends_with(".gamma") || slot.name.ends_with(".beta") {
            (0.5, 1.5)
        } else if slot.name.ends_with(".bias") {
            (-0.5, 0.5)
        } else {
            continue;
        };
        for p in &mut g.params_mut()[slot.range()] {
            *p = rng.range(range.0, range.1);
        }
    }
    for slot in g.running_slots().to_vec() {
        let (lo, hi) = if slot.name.ends_with("var") {
            (0.2, 3.0)
        } else {
            (-1.0, 1.0)
        };
        for r in &mut g.running_mut()[slot.range()] {
            *r = rng.range(lo, hi);
        }
    }
}
