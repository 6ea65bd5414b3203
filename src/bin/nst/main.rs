//! `nst`: the command line. Argument parsing and printing only; every command calls the library.

mod bench;
mod common;
mod features;
mod gradcheck;
mod layers;
mod loss;
mod lossargs;
mod runlog;
mod stylize;
mod weights;

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
    /// Write VGG activations of a picture as .npy files.
    Features(features::Args),
    /// Style transfer by optimising the picture (Gatys et al.).
    Stylize(stylize::Args),
    /// Every loss term of a picture, and dLoss/dImage as .npy.
    Loss(loss::Args),
    /// Check every layer's backward pass against finite differences.
    Gradcheck(gradcheck::Args),
    /// Time VGG16 forward + input-gradient backward and the bare GEMM.
    Bench(bench::Args),
    /// Convert, inspect and check pretrained weight folders.
    Weights(weights::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Layers(a) => layers::run(a),
        Command::Loss(a) => loss::run(a),
        Command::Stylize(a) => stylize::run(a),
        Command::Features(a) => features::run(a),
        Command::Gradcheck(a) => gradcheck::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Weights(args) => weights::run(args),
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
