//! The loss log of `--log-every`: a CSV or JSON-lines file, one row per logged iteration.

use nst::gatys::Terms;
use nst::Context;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// An open log file.
pub struct RunLog {
    path: PathBuf,
    out: BufWriter<File>,
    jsonl: bool,
    header: bool,
}

impl RunLog {
    /// Create (truncate) `path`; `.jsonl` or `.json` selects JSON lines, anything else CSV.
    pub fn create(path: &Path) -> nst::Result<Self> {
        nst::formats::files::check_writable(path)?;
        let file =
            File::create(path).context(|| format!("cannot create log {}", path.display()))?;
        Ok(Self::over(path, file, false))
    }

    /// Open `path` for appending (a resumed run continues its log); the CSV header is
    /// written only if the file is new or empty.
    pub fn append(path: &Path) -> nst::Result<Self> {
        nst::formats::files::check_writable(path)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .context(|| format!("cannot open log {}", path.display()))?;
        let header = file.metadata().map(|m| m.len() > 0).unwrap_or(false);
        Ok(Self::over(path, file, header))
    }

    /// A log writing to `file` (opened at `path`); `header`: is the CSV header already
    /// there?
    fn over(path: &Path, file: File, header: bool) -> Self {
        let jsonl = path
            .extension()
            .is_some_and(|e| e == "jsonl" || e == "json");
        RunLog {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            jsonl,
            header,
        }
    }

    /// Append one row (flushed at once, so a killed run keeps its log).
    pub fn row(&mut self, iter: usize, evals: usize, seconds: f64, t: &Terms) -> nst::Result<()> {
        let mut line = String::new();
        if self.jsonl {
            line.push_str(&format!(
                "{{\"iter\":{iter},\"evals\":{evals},\"seconds\":{seconds:.3},\"total\":{},\"content\":{},\"style\":{},\"tv\":{}",
                json_num(t.total),
                json_num(t.content),
                json_num(t.style),
                json_num(t.tv)
            ));
            for (name, v) in &t.per_layer {
                line.push_str(&format!(",\"{name}\":{}", json_num(*v)));
            }
            line.push_str("}\n");
        } else {
            if !self.header {
                let mut h = String::from("iter,evals,seconds,total,content,style,tv");
                for (name, _) in &t.per_layer {
                    h.push(',');
                    h.push_str(name);
                }
                line.push_str(&h);
                line.push('\n');
                self.header = true;
            }
            line.push_str(&format!(
                "{iter},{evals},{seconds:.3},{:e},{:e},{:e},{:e}",
                t.total, t.content, t.style, t.tv
            ));
            for (_, v) in &t.per_layer {
                line.push_str(&format!(",{v:e}"));
            }
            line.push('\n');
        }
        self.out
            .write_all(line.as_bytes())
            .and_then(|_| self.out.flush())
            .context(|| format!("writing {}", self.path.display()))
    }
}

fn json_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:e}")
    } else {
        "null".into()
    }
}

/// One line for the terminal: every term.
pub fn describe(iter: usize, t: &Terms) -> String {
    let layers: Vec<String> = t
        .per_layer
        .iter()
        .map(|(n, v)| format!("{n}={v:.3e}"))
        .collect();
    format!(
        "iter {iter:>5}: total {:.4e} = content {:.3e}, style {:.3e}, tv {:.3e} | {}",
        t.total,
        t.content,
        t.style,
        t.tv,
        layers.join(" ")
    )
}
