//! `nst data pack` and `nst data inspect` end to end: outputs, shard names, skipped
//! files, and one `error:` line with a non-zero exit on bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nst(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(format!("nst-tfr-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn images() -> String {
    common::fixture("tfrecord/images").display().to_string()
}

/// One line on stderr, starting `error:`, and a failing exit status.
fn assert_one_error_line(out: &Output) -> String {
    assert!(!out.status.success());
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "stderr: {err}");
    assert!(lines[0].starts_with("error: "), "stderr: {err}");
    lines[0].to_string()
}

#[test]
fn pack_into_shards_then_inspect() {
    let t = TempDir::new("shards");
    let out = nst(&[
        "data",
        "pack",
        &images(),
        "-o",
        &t.path("set.tfrecord"),
        "--shards",
        "3",
        "--max-side",
        "4",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("packed 4 picture(s) of 5 file(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("notes.txt: not a PNG or JPEG picture"),
        "{stdout}"
    );
    assert!(
        stdout.contains("downsized and re-encoded: 1 as PNG, 1 as JPEG"),
        "{stdout}"
    );
    // Progress goes to stderr only on a terminal; here stderr is a pipe.
    assert_eq!(text(&out.stderr), "");
    let shards: Vec<String> = (0..3)
        .map(|i| t.path(&format!("set-{i:05}-of-00003.tfrecord")))
        .collect();
    for s in &shards {
        assert!(Path::new(s).is_file(), "{s} missing");
    }
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(&t.0).unwrap().count(), 3);

    let mut args = vec!["data", "inspect", "--show", "1"];
    args.extend(shards.iter().map(String::as_str));
    let out = nst(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("CRCs: all 2 records OK").count(),
        1,
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("CRCs: all 1 records OK").count(),
        2,
        "{stdout}"
    );
    // Shard 0 starts with gray.png (3×4, not downsized).
    assert!(
        stdout.contains("image/filename           bytes  [\"gray.png\"]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("image/height             int64  [3]"),
        "{stdout}"
    );
}

#[test]
fn inspect_damaged_file() {
    let t = TempDir::new("damaged");
    let mut bytes = std::fs::read(common::fixture("tfrecord/from_nst.tfrecord")).unwrap();
    bytes[300] ^= 0x10; // inside record 1's JPEG
    let f = t.path("damaged.tfrecord");
    std::fs::write(&f, &bytes).unwrap();

    let line = assert_one_error_line(&nst(&["data", "inspect", &f]));
    assert!(
        line.contains("damaged.tfrecord: record 1 at byte 249: data CRC mismatch over"),
        "{line}"
    );

    let out = nst(&["data", "inspect", "--skip-bad", &f]);
    let line = assert_one_error_line(&out);
    assert_eq!(line, "error: some records are bad (listed above)");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("records: 3"), "{stdout}");
    assert!(
        stdout.contains("record 1 at byte 249: data CRC mismatch"),
        "{stdout}"
    );
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let t = TempDir::new("args");
    std::fs::write(t.0.join("a.txt"), "text").unwrap();
    let line = assert_one_error_line(&nst(&[
        "data",
        "pack",
        &t.path(""),
        "-o",
        &t.path("x.tfrecord"),
    ]));
    assert!(
        line.contains("no picture under") && line.contains("a.txt: not a PNG or JPEG picture"),
        "{line}"
    );
    assert!(!t.0.join("x.tfrecord").exists());

    let line = assert_one_error_line(&nst(&[
        "data",
        "pack",
        &images(),
        "-o",
        &t.path("nowhere/x.tfrecord"),
    ]));
    assert!(
        line.contains("output folder") && line.contains("does not exist"),
        "{line}"
    );

    let line = assert_one_error_line(&nst(&[
        "data",
        "pack",
        &images(),
        "-o",
        &t.path("x.tfrecord"),
        "--shards",
        "0",
    ]));
    assert!(line.contains("--shards must be at least 1"), "{line}");

    let line = assert_one_error_line(&nst(&["data", "inspect", &t.path("missing.tfrecord")]));
    assert!(line.contains("missing.tfrecord: no such file"), "{line}");

    let line = assert_one_error_line(&nst(&["data", "inspect", &t.path("a.txt")]));
    assert!(
        line.contains("a.txt: record 0 at byte 0: truncated header: 4 bytes left"),
        "{line}"
    );
}
