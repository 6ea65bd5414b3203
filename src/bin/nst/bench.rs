//! `nst bench`: speed of VGG16 forward/backward and of the bare GEMM, or of a trained
//! texture generator.

use crate::parse::parse_gemm;
use nst::layers::ConvAlgo;
use nst::texture_net::checkpoint::resolve_model;
use nst::texture_net::Generator;
use nst::tools::bench::{
    bench_gemm_pair, bench_generator, bench_vgg, bench_vgg_layers, peak_rss_mb, Timing,
};
use std::path::{Path, PathBuf};

/// Time VGG16 forward up to relu5_1 and forward + input-gradient backward, and the bare
/// single-threaded SGEMM, printing median seconds and GFLOP/s. Build with --release.
/// Compare with `scripts/reference/bench_torch_vgg16.py` run with the same sizes,
/// threads and repeats (see docs/performance.md).
#[derive(clap::Args)]
pub struct Args {
    /// Input sides to time (square).
    #[arg(long, num_args = 1.., default_values_t = vec![256usize, 512])]
    sizes: Vec<usize>,
    /// Timed runs per measurement (after one warm-up); the median is reported.
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// GEMM sizes MxKxN to time, single-threaded, by matrixmultiply (`sgemm`) and by the
    /// Winograd layers' in-place kernel (`sgemm_in_place`), alternating (the defaults are
    /// im2col's products for conv1_2 at 256², and conv4_2 at 256² = conv5_x at 512²; a
    /// Winograd product is O×C×tiles, e.g. 512x512x64 for conv4_2 at 512²).
    #[arg(long, num_args = 0.., default_values = ["64x576x65536", "512x4608x1024"], value_parser = parse_gemm)]
    gemm: Vec<(usize, usize, usize)>,
    /// Also time every layer separately (forward and input-gradient backward).
    #[arg(long)]
    per_layer: bool,
    /// How VGG's 3×3 convolutions are computed: im2col, winograd (= winograd4: F(4×4,3×3)),
    /// winograd2 (F(2×2,3×3)) or auto (per layer, the faster one by a fixed table).
    #[arg(long, default_value = "auto", value_name = "ALGO")]
    conv: ConvAlgo,
    /// Threads for rayon (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    threads: Option<usize>,
    /// Time this trained texture generator instead (a folder made by `nst train-texture`):
    /// one sample at each of --sizes, the first call and the median of --repeats more.
    #[arg(long, value_name = "MODEL")]
    generator: Option<PathBuf>,
}

pub fn run(args: Args) -> nst::Result<()> {
    if let Some(t) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .map_err(|e| nst::Error::msg(format!("cannot set {t} threads: {e}")))?;
    }
    if args.generator.is_none() {
        check_memory(&args)?;
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; build with --release for meaningful numbers");
    }
    println!(
        "# threads={} repeats={} conv={}",
        rayon::current_num_threads(),
        args.repeats,
        args.conv.name()
    );
    if let Some(model) = &args.generator {
        return bench_generator_sizes(model, &args.sizes, args.repeats);
    }
    for &s in &args.sizes {
        if s < 32 {
            nst::bail!("size {s} is too small: VGG16 up to relu5_1 needs at least 32×32");
        }

        if args.per_layer {
            println!(
                "{:<8} {:>10} {:>10} {:>10} {:>10}",
                "layer", "fwd ms", "bwd ms", "fwd GF/s", "bwd GF/s"
            );
            for (name, f, b, flops) in bench_vgg_layers(s, args.repeats, args.conv) {
                let gf = |t: f64| {
                    if flops > 0.0 {
                        format!("{:.1}", flops / t / 1e9)
                    } else {
                        "—".into()
                    }
                };
                println!(
                    "{name:<8} {:>10.2} {:>10.2} {:>10} {:>10}",
                    f * 1e3,
                    b * 1e3,
                    gf(f),
                    gf(b)
                );
            }
        }
        for t in bench_vgg(s, args.repeats, args.conv) {
            print_timing(&t, None);
        }
    }
    for &(m, k, n) in &args.gemm {
        for t in bench_gemm_pair(m, k, n, args.repeats) {
            print_timing(&t, None);
        }
    }
    print_peak_rss();
    Ok(())
}

/// Refuse sizes that cannot fit in memory before timing anything (one line, no abort).
fn check_memory(args: &Args) -> nst::Result<()> {
    for &s in &args.sizes {
        // Forward with caches and the input-gradient backward: one optimisation step's
        // memory without an optimiser's state.
        let needed = nst::tools::memory::optimization_bytes(
            s,
            s,
            0,
            nst::tools::memory::Passes::WithContent,
        );
        crate::common::ensure_fits(
            needed,
            &format!("timing VGG16 at {s}×{s}"),
            "use smaller --sizes",
        )?;
    }
    for &(m, k, n) in &args.gemm {
        let (m, k, n) = (m as u64, k as u64, n as u64);
        // A, B and C in f32.
        let needed = [
            m.saturating_mul(k),
            k.saturating_mul(n),
            m.saturating_mul(n),
        ]
        .iter()
        .fold(0u64, |acc, &v| acc.saturating_add(v.saturating_mul(4)));
        crate::common::ensure_fits(
            needed,
            &format!("a {m}x{k}x{n} GEMM"),
            "use smaller --gemm sizes",
        )?;
    }
    Ok(())
}

/// `--generator`: one line per size, then the peak memory.
fn bench_generator_sizes(model: &Path, sizes: &[usize], repeats: usize) -> nst::Result<()> {
    let (dir, _) = resolve_model(model)?;
    let gen = Generator::<f32>::load(&dir)?;
    for &s in sizes {
        let needed = nst::texture_net::generation_bytes(&gen, 1, (s, s), 0);
        let what = format!("generating a {s}×{s} sample");
        crate::common::ensure_fits(needed, &what, "use smaller --sizes")?;
    }
    for &s in sizes {
        let (first, t) = bench_generator(&gen, s, repeats)?;
        print_timing(&t, Some(first));
    }
    print_peak_rss();
    Ok(())
}

/// One result line, `nst WHAT [first_s=…] median_s=… gflops=…` (the format the comparison
/// scripts parse).
fn print_timing(t: &Timing, first_s: Option<f64>) {
    let first = first_s
        .map(|f| format!(" first_s={f:.6}"))
        .unwrap_or_default();
    println!(
        "nst {}{first} median_s={:.6} gflops={:.2}",
        t.what,
        t.median_s,
        t.gflops()
    );
}

fn print_peak_rss() {
    if let Some(mb) = peak_rss_mb() {
        println!("nst peak_rss_mb={mb:.1}");
    }
}
