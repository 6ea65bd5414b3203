//! `nst data pack|inspect`: image datasets in TFRecord files.

use nst::formats::tfrecord::inspect::{describe_values, inspect_file, FileReport, InspectOptions};
use nst::formats::tfrecord::pack::{pack_dir, PackOptions, PackSummary, JPEG_QUALITY};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

/// Image datasets in TFRecord files (TensorFlow's format), without TensorFlow.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(clap::Subcommand)]
enum DataCommand {
    /// Pack a folder of PNG/JPEG pictures into TFRecord file(s), one tf.train.Example each.
    Pack(PackArgs),
    /// Summarise TFRecord files: record count, feature names and types, examples, CRCs.
    Inspect(InspectArgs),
}

/// Arguments of `nst data pack`.
#[derive(clap::Args)]
struct PackArgs {
    /// Folder of pictures (searched recursively; hidden files ignored). Files that are
    /// not PNG or JPEG, or cannot be decoded, are skipped and listed at the end.
    dir: PathBuf,
    /// Output file. With --shards N > 1, N files named like
    /// images-00000-of-00004.tfrecord are written next to it instead.
    #[arg(short, long, value_name = "FILE", default_value = "images.tfrecord")]
    output: PathBuf,
    /// Number of output files; picture k goes to shard k mod N.
    #[arg(long, value_name = "N", default_value_t = 1)]
    shards: usize,
    /// Shrink pictures whose longer side exceeds this many pixels (aspect ratio kept,
    /// Lanczos-3), re-encoding PNG as PNG and JPEG as JPEG (quality 90). Without it the
    /// files' own bytes are stored unchanged. 512 is a good choice for training.
    #[arg(long, value_name = "PIXELS")]
    max_side: Option<u32>,
}

/// Arguments of `nst data inspect`.
#[derive(clap::Args)]
struct InspectArgs {
    /// TFRecord file(s) to read.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Keep going past bad records (bad CRC, truncated, not an Example), reporting each
    /// with its byte offset, instead of stopping at the first. The exit status is still
    /// non-zero if any record was bad.
    #[arg(long)]
    skip_bad: bool,
    /// Print the features of the first N records of each file.
    #[arg(long, value_name = "N", default_value_t = 2)]
    show: usize,
}

/// Run `nst data …`.
pub fn run(args: Args) -> nst::Result<()> {
    match args.command {
        DataCommand::Pack(a) => pack(a),
        DataCommand::Inspect(a) => inspect(a),
    }
}

fn pack(a: PackArgs) -> nst::Result<()> {
    let opts = PackOptions {
        shards: a.shards,
        max_side: a.max_side,
    };
    let start = Instant::now();
    let result = {
        let mut progress = Progress::new(start);
        pack_dir(&a.dir, &a.output, &opts, &mut |d, t| progress.update(d, t))
    };
    let s = result?;
    print_pack_summary(&s, start.elapsed().as_secs_f64());
    Ok(())
}

/// The progress display: a line rewritten in place on a terminal (at most ten times a
/// second, erased at the end); in a log file, one line every ten seconds.
struct Progress {
    start: Instant,
    last: Option<Instant>,
    tty: bool,
}

impl Progress {
    fn new(start: Instant) -> Self {
        Progress {
            start,
            last: None,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn update(&mut self, done: usize, total: usize) {
        let every = if self.tty { 100 } else { 10_000 };
        let due = match self.last {
            None => self.tty,
            Some(t) => t.elapsed().as_millis() >= every,
        };
        if self.last.is_none() {
            self.last = Some(Instant::now());
        }
        if !due || done == total {
            return;
        }
        self.last = Some(Instant::now());
        let rate = done as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
        let line = format!("packing: {done}/{total} files  {rate:.1} files/s");
        if self.tty {
            eprint!("\r{line}   ");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.tty && self.last.is_some() {
            eprint!("\r{:60}\r", "");
        }
    }
}

fn print_pack_summary(s: &PackSummary, secs: f64) {
    println!(
        "packed {} picture(s) of {} file(s) in {secs:.1} s ({:.1} files/s)",
        s.packed(),
        s.files,
        s.files as f64 / secs.max(1e-9)
    );
    for sh in &s.shards {
        println!(
            "  {}  {} record(s), {} bytes",
            sh.path.display(),
            sh.records,
            sh.bytes
        );
    }
    if s.reencoded_png + s.reencoded_jpeg > 0 {
        println!(
            "downsized and re-encoded: {} as PNG, {} as JPEG (quality {JPEG_QUALITY})",
            s.reencoded_png, s.reencoded_jpeg
        );
    }
    if !s.skipped.is_empty() {
        println!("skipped {} file(s):", s.skipped.len());
        for k in &s.skipped {
            println!("  {}: {}", k.path.display(), k.reason);
        }
    }
}

fn inspect(a: InspectArgs) -> nst::Result<()> {
    let opts = InspectOptions {
        skip_bad: a.skip_bad,
        show: a.show,
    };
    let mut any_bad = false;
    for f in &a.files {
        let rep = inspect_file(f, opts)?;
        any_bad |= !rep.bad.is_empty();
        print_report(&rep);
    }
    if any_bad {
        return Err(nst::Error("some records are bad (listed above)".into()));
    }
    Ok(())
}

fn print_report(r: &FileReport) {
    println!("{}  ({} bytes)", r.path.display(), r.file_len);
    println!("  records: {}", r.records);
    if r.bad.is_empty() {
        println!("  CRCs: all {} records OK", r.records);
    } else {
        let framing = r.bad.len() as u64 - r.not_examples;
        println!(
            "  problems: {} bad record(s) (framing/CRC), {} record(s) not a tf.train.Example, \
             {} byte(s) skipped while resynchronising",
            framing, r.not_examples, r.skipped_bytes
        );
        for b in &r.bad {
            println!("    {b}");
        }
    }
    if !r.features.is_empty() {
        println!("  features:");
    }
    for (name, st) in &r.features {
        let sizes = match st.value_bytes {
            Some((lo, hi)) if lo == hi => format!(", {lo} bytes each"),
            Some((lo, hi)) => format!(", {lo}–{hi} bytes each"),
            None => String::new(),
        };
        let (lo, hi) = st.values;
        let count = if lo == hi {
            format!("{lo}")
        } else {
            format!("{lo}–{hi}")
        };
        println!(
            "    {name:<24} {:<6} in {} record(s), {count} value(s){sizes}",
            st.kinds.join("|"),
            st.records
        );
    }
    for s in &r.samples {
        println!("  record {} (byte {}):", s.index, s.offset);
        if s.example.features.is_empty() {
            println!("    (no features)");
        }
        for (name, f) in &s.example.features {
            println!("    {name:<24} {:<6} {}", f.kind(), describe_values(f, 6));
        }
    }
}
