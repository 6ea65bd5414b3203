//! `nst draw-net`: seed 000's Caffe draw_net picture of VGG, drawn by the project.

use crate::layers::NetShape;
use nst::tools::viz::{draw_net, write_text, NetFormat};
use std::path::PathBuf;

/// Draw VGG as boxes (name, kind, output H×W×C) and arrows, coloured by kind, and
/// write it as SVG (drawn by nst itself) or as Graphviz DOT.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    net: NetShape,
    /// Output format: svg or dot (default: from the file's extension, .dot/.gv → dot,
    /// anything else → svg).
    #[arg(long)]
    format: Option<NetFormat>,
    /// File to write (its folder must exist).
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: Args) -> nst::Result<()> {
    let format =
        args.format
            .unwrap_or_else(|| match args.output.extension().and_then(|e| e.to_str()) {
                Some("dot" | "gv") => NetFormat::Dot,
                _ => NetFormat::Svg,
            });
    let (h, w) = args.net.size;
    let text = draw_net(args.net.arch, args.net.pooling, h, w, format)?;
    write_text(&args.output, &text)?;
    println!("wrote {}", args.output.display());
    Ok(())
}
