//! Summarising a TFRecord file of `tf.train.Example`s (`nst data inspect`).

use super::example::{Example, Feature};
use super::record::{RecordReader, HEADER_LEN};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to gather.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InspectOptions {
    /// Carry on past bad records (each is reported) instead of failing at the first.
    pub skip_bad: bool,
    /// Keep the first `show` examples for display.
    pub show: usize,
}

/// What one feature name looked like across the file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeatureStats {
    /// Type names seen (`bytes`, `float`, `int64`, `unset`), in order of first sight.
    pub kinds: Vec<&'static str>,
    /// Records holding this feature.
    pub records: u64,
    /// Fewest and most values in one record's list.
    pub values: (usize, usize),
    /// For bytes lists: the shortest and longest single value, in bytes.
    pub value_bytes: Option<(usize, usize)>,
}

impl FeatureStats {
    fn add(&mut self, f: &Feature) {
        if !self.kinds.contains(&f.kind()) {
            self.kinds.push(f.kind());
        }
        let n = f.len();
        self.values = if self.records == 0 {
            (n, n)
        } else {
            (self.values.0.min(n), self.values.1.max(n))
        };
        self.records += 1;
        if let Feature::Bytes(vs) = f {
            for v in vs {
                let (lo, hi) = self.value_bytes.unwrap_or((v.len(), v.len()));
                self.value_bytes = Some((lo.min(v.len()), hi.max(v.len())));
            }
        }
    }
}

/// A shown example and where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Record index.
    pub index: u64,
    /// Byte offset of the record.
    pub offset: u64,
    /// The decoded example.
    pub example: Example,
}

/// The summary of one file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub file_len: u64,
    /// Records whose framing and CRCs checked out.
    pub records: u64,
    /// Of those, records that did not parse as a `tf.train.Example` (messages in `bad`).
    pub not_examples: u64,
    /// One message per problem (file, record index, byte offset, reason), in file order.
    pub bad: Vec<String>,
    /// Bytes passed over while looking for the next record after damage.
    pub skipped_bytes: u64,
    /// Per feature name.
    pub features: BTreeMap<String, FeatureStats>,
    /// The first `show` examples.
    pub samples: Vec<Sample>,
}

/// Read the whole file (one record at a time) and summarise it. Without `skip_bad`, the
/// first bad record is an error.
pub fn inspect_file(path: &Path, opts: InspectOptions) -> Result<FileReport> {
    let mut reader = RecordReader::open(path)?.skip_bad(opts.skip_bad);
    let mut rep = FileReport {
        path: path.to_path_buf(),
        file_len: reader.file_len(),
        ..Default::default()
    };
    loop {
        let rec = match reader.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) if opts.skip_bad => {
                rep.bad.push(e.0);
                continue;
            }
            Err(e) => return Err(e),
        };
        rep.records += 1;
        match Example::decode_at(&rec.data, (rec.offset + HEADER_LEN) as usize) {
            Ok(ex) => {
                for (k, f) in &ex.features {
                    rep.features.entry(k.clone()).or_default().add(f);
                }
                if rep.samples.len() < opts.show {
                    rep.samples.push(Sample {
                        index: rec.index,
                        offset: rec.offset,
                        example: ex,
                    });
                }
            }
            Err(e) => {
                let msg = format!(
                    "{}: record {} at byte {}: {e}",
                    path.display(),
                    rec.index,
                    rec.offset
                );
                if !opts.skip_bad {
                    return Err(Error(msg));
                }
                rep.not_examples += 1;
                rep.bad.push(msg);
            }
        }
    }
    rep.skipped_bytes = reader.skipped_bytes();
    Ok(rep)
}

/// Up to `max` values of a feature, for display: numbers as numbers, byte strings as
/// quoted text when printable, else as their length and first bytes in hex.
pub fn describe_values(f: &Feature, max: usize) -> String {
    let more = |n: usize| {
        if n > max {
            format!(", … ({n} values)")
        } else {
            String::new()
        }
    };
    match f {
        Feature::Bytes(vs) => {
            let shown: Vec<String> = vs.iter().take(max).map(|v| describe_bytes(v)).collect();
            format!("[{}{}]", shown.join(", "), more(vs.len()))
        }
        Feature::Float(vs) => {
            let shown: Vec<String> = vs.iter().take(max).map(|v| format!("{v:?}")).collect();
            format!("[{}{}]", shown.join(", "), more(vs.len()))
        }
        Feature::Int64(vs) => {
            let shown: Vec<String> = vs.iter().take(max).map(|v| v.to_string()).collect();
            format!("[{}{}]", shown.join(", "), more(vs.len()))
        }
        Feature::Unset => "(no list set)".into(),
    }
}

/// A byte string as `"text"` when it is short printable UTF-8, else as
/// `<N bytes: 89 50 4e 47 …>`.
pub fn describe_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if b.len() <= 80 && s.chars().all(|c| !c.is_control()) => format!("{s:?}"),
        _ => {
            let hex: Vec<String> = b.iter().take(8).map(|x| format!("{x:02x}")).collect();
            let dots = if b.len() > 8 { " …" } else { "" };
            format!("<{} bytes: {}{dots}>", b.len(), hex.join(" "))
        }
    }
}
