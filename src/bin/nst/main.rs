//! `nst`: the command line. Argument parsing and printing only; every command calls the library.

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
enum Command {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: nst::Result<()> = match cli.command {};
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
