//! Small file-system helpers shared by the weight and picture code: atomic writes,
//! "can I write there?" checks, and one-line descriptions of I/O errors.

use crate::error::{Error, Result};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// A short, lower-case description of an I/O error for a one-line message
/// (`"no such file"`, `"permission denied"`, else the system's text).
pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => "no such file".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::UnexpectedEof => "file ends early (truncated)".into(),
        _ => e.to_string(),
    }
}

/// The folder a path lives in (`"."` for a bare file name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A sibling of `path` with a hidden, process-unique temporary name.
fn temp_sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent_of(path).join(format!(".{name}.{tag}-{}", std::process::id()))
}

// ANCHOR: write_atomic
/// Write `bytes` to `path` atomically: write a temporary file in the same folder, flush
/// it to disk, then rename it over `path`. A reader (or a crash) sees either the old file
/// or the complete new one, never half a picture or half a weight tensor.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_sibling(path, "tmp");
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error(format!(
            "cannot write {}: {}",
            path.display(),
            describe_io(&e)
        ))
    })
}
// ANCHOR_END: write_atomic

/// Fail early, before long work, if `path` cannot be written: its folder must exist and
/// accept a new file, and `path` itself must not be a folder.
pub fn check_writable(path: &Path) -> Result<()> {
    let dir = parent_of(path);
    if !dir.is_dir() {
        return Err(Error(format!(
            "cannot write {}: folder {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    if path.is_dir() {
        return Err(Error(format!(
            "cannot write {}: it is a folder",
            path.display()
        )));
    }
    let probe = temp_sibling(path, "probe");
    std::fs::File::create(&probe).map_err(|e| {
        Error(format!(
            "cannot write {}: {}",
            path.display(),
            describe_io(&e)
        ))
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// A fresh, empty folder under the system temp folder for tests: `nst-<tag>-<pid>-<n>`.
#[doc(hidden)]
pub fn test_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nst-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a test folder");
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = test_dir("files");
        let p = dir.join("a.bin");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let e = write_atomic(&dir.join("missing/a.bin"), b"x").unwrap_err();
        assert!(
            e.0.starts_with("cannot write") && e.0.contains("no such file"),
            "{e}"
        );
    }

    #[test]
    fn check_writable_cases() {
        let dir = test_dir("files");
        check_writable(&dir.join("out.png")).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        let e = check_writable(&dir.join("nope/out.png")).unwrap_err();
        assert!(e.0.contains("does not exist"), "{e}");
        let e = check_writable(&dir).unwrap_err();
        assert!(e.0.contains("it is a folder"), "{e}");
    }
}
