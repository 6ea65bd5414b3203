//! `nst gradcheck`: run the layer gradient checks and print them as a table.

use nst::gradcheck::layers::standard_checks;

/// Check every layer's hand-derived backward pass against central finite differences
/// in f64, and print: layer, shape, max |analytic − numeric|, relative error, pass/fail.
#[derive(clap::Args)]
pub struct Args {
    /// Which layer to check: conv2d, relu, maxpool, avgpool, batchnorm, instancenorm,
    /// leaky_relu, upsample, concat, or all.
    #[arg(default_value = "all")]
    layer: String,
    /// Seed for the random inputs.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub fn run(args: Args) -> nst::Result<()> {
    let all = standard_checks(args.seed);
    let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
    let selected: Vec<_> = all
        .iter()
        .filter(|(n, _)| args.layer == "all" || *n == args.layer)
        .collect();
    if selected.is_empty() {
        nst::bail!(
            "unknown layer '{}' (expected one of: {}, all)",
            args.layer,
            names.join(", ")
        );
    }
    println!(
        "central differences in f64, h = {:e}; pass when relative error ≤ tolerance\n",
        nst::gradcheck::layers::H
    );
    println!(
        "{:<16} {:<24} {:>12} {:>12} {:>8} {:>6}",
        "check", "shape", "max|a−n|", "rel.error", "tol", ""
    );
    let mut failed = 0;
    for (_, checks) in &selected {
        for c in checks {
            let ok = c.passed();
            failed += usize::from(!ok);
            println!(
                "{:<16} {:<24} {:>12.2e} {:>12.2e} {:>8.0e} {:>6}",
                c.name,
                c.shape,
                c.max_abs,
                c.rel,
                c.tol,
                if ok { "pass" } else { "FAIL" }
            );
        }
    }
    let total: usize = selected.iter().map(|(_, c)| c.len()).sum();
    println!("\n{} passed, {failed} failed", total - failed);
    if failed > 0 {
        nst::bail!("{failed} gradient check(s) failed");
    }
    Ok(())
}
