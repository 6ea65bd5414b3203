//! `nst`: the command line. Argument parsing and printing only; every command calls the library.

mod bench;
mod draw_net;
mod gradcheck;
mod layers;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Neural style transfer and Texture Networks on the CPU, every gradient derived by hand.
#[derive(Parser)]
#[command(name = "nst", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// VGG's layers as a table: shapes, parameters, FLOPs, receptive fields.
    Layers(layers::Args),
    /// Check every layer's backward pass against finite differences.
    Gradcheck(gradcheck::Args),
    /// Time VGG16 forward + input-gradient backward and the bare GEMM.
    Bench(bench::Args),
    /// Draw VGG as boxes and arrows (SVG, or Graphviz DOT), like Caffe's draw_net.
    DrawNet(draw_net::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Layers(a) => layers::run(a),
        Command::Gradcheck(a) => gradcheck::run(a),
        Command::Bench(a) => bench::run(a),
        Command::DrawNet(a) => draw_net::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parse `N` (square) or `HxW` into (height, width); both at least 1.
pub fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let bad = || {
        format!("'{s}' is not a size (expected N or HxW with positive whole numbers, e.g. 256 or 384x512)")
    };
    let parts: Vec<&str> = s.split(['x', 'X', '×']).collect();
    let nums: Vec<usize> = parts
        .iter()
        .map(|p| p.trim().parse::<usize>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    match nums.as_slice() {
        [n] if *n > 0 => Ok((*n, *n)),
        [h, w] if *h > 0 && *w > 0 => Ok((*h, *w)),
        _ => Err(bad()),
    }
}
