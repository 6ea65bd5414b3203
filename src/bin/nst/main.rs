//! `nst`: the command line. Argument parsing and printing only; every command calls the library.

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
    /// Convert, inspect and check pretrained weight folders.
    Weights(weights::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: nst::Result<()> = match cli.command {
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
