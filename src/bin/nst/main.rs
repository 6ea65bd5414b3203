//! `nst`: the command line. Argument parsing and printing only; every command calls the library.

mod apply;
mod bench;
mod common;
mod data;
mod draw_idea;
mod draw_net;
mod features;
mod generate;
mod gradcheck;
mod layers;
mod loss;
mod lossargs;
mod malloc;
mod montage;
mod optimize;
mod parse;
mod progress;
mod reconstruct;
mod runlog;
mod signals;
mod stages;
mod stylize;
mod texture;
mod texture_loss;
mod train_style;
mod train_texture;
mod trainargs;
mod weights;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Neural style transfer and Texture Networks on the CPU, every gradient derived by hand.
#[derive(Parser)]
#[command(name = "nst", version, about, long_about = None, propagate_version = true, after_help = signals::HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// VGG's layers as a table: shapes, parameters, FLOPs, receptive fields.
    Layers(layers::Args),
    /// Draw VGG as boxes and arrows (SVG, or Graphviz DOT), like Caffe's draw_net.
    DrawNet(draw_net::Args),
    /// Draw a picture of one of the book's ideas (the list: `nst draw-idea --help`).
    DrawIdea(draw_idea::Args),
    /// Write VGG activations of a picture as .npy files.
    Features(features::Args),
    /// Style transfer by optimising the picture (Gatys et al.).
    Stylize(stylize::Args),
    /// Every loss term of a picture, and dLoss/dImage as .npy.
    Loss(loss::Args),
    /// Rebuild a picture from noise by its content or its style alone.
    Reconstruct(reconstruct::Args),
    /// Arrange pictures in a grid (for figures).
    Montage(montage::Args),
    /// Texture synthesis by optimisation, any size, optionally tileable.
    Texture(texture::Args),
    /// Train a Texture Networks generator for one texture (Ulyanov et al. 2016).
    TrainTexture(train_texture::Args),
    /// Train a Texture Networks stylisation generator on a pool of pictures.
    TrainStyle(train_style::Args),
    /// Sample textures of any size from a trained texture generator.
    Generate(generate::Args),
    /// Stylise a picture with a trained stylisation generator.
    Apply(apply::Args),
    /// The texture loss of pictures against a sample (as `texture` minimises it).
    TextureLoss(texture_loss::Args),
    /// Check every layer's backward pass against finite differences.
    Gradcheck(gradcheck::Args),
    /// Time VGG16 forward + input-gradient backward and the bare GEMM.
    Bench(bench::Args),
    /// Convert, inspect and check pretrained weight folders.
    Weights(weights::Args),
    /// Image datasets in TFRecord files: pack a folder of pictures, inspect a file.
    Data(data::Args),
}

fn main() -> ExitCode {
    quiet_broken_pipe();
    malloc::keep_freed_memory();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return flag_error(e),
    };
    let result = match cli.command {
        Command::Layers(a) => layers::run(a),
        Command::DrawNet(a) => draw_net::run(a),
        Command::DrawIdea(a) => draw_idea::run(a),
        Command::Texture(a) => texture::run(a),
        Command::TrainTexture(a) => train_texture::run(a),
        Command::TrainStyle(a) => train_style::run(a),
        Command::Generate(a) => generate::run(a),
        Command::Apply(a) => apply::run(a),
        Command::TextureLoss(a) => texture_loss::run(a),
        Command::Reconstruct(a) => reconstruct::run(a),
        Command::Montage(a) => montage::run(a),
        Command::Loss(a) => loss::run(a),
        Command::Stylize(a) => stylize::run(a),
        Command::Features(a) => features::run(a),
        Command::Gradcheck(a) => gradcheck::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Weights(args) => weights::run(args),
        Command::Data(a) => data::run(a),
    };
    match result {
        // Stopped by Ctrl-C or SIGTERM after saving: 130 or 143, not success.
        Ok(()) => signals::exit_code().unwrap_or(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Help and version go out as clap renders them; a flag error becomes one line
/// (`error: invalid value '-5' for '--size <N>': …`) and exit status 2.
fn flag_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = e.render().to_string();
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("error: invalid arguments");
    eprintln!("{} (see --help)", line.trim_end());
    ExitCode::from(2)
}

/// `nst layers | head` closes stdout early; `println!` then panics with "Broken pipe".
/// Like other command-line tools, stop quietly instead (status 0: the reader got what it
/// asked for). Every other panic keeps the default report.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") || msg.contains("os error 32") {
            std::process::exit(0);
        }
        default(info);
    }));
}
