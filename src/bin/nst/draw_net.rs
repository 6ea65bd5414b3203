//! `nst draw-net`: seed 000's Caffe draw_net picture of VGG, drawn by the project.

use crate::layers::{parse_arch, parse_pooling};
use nst::vgg::{Arch, Pooling};
use nst::viz::{draw_net, write_text, NetFormat};
use std::path::PathBuf;

/// Draw VGG as boxes (name, kind, output H×W×C) and arrows, coloured by kind, and
/// write it as SVG (drawn by nst itself) or as Graphviz DOT.
#[derive(clap::Args)]
pub struct Args {
    /// Network: vgg16 or vgg19.
    #[arg(long, default_value = "vgg16", value_parser = parse_arch)]
    arch: Arch,
    /// Input side in pixels (square), or WxH such as 400x300; at least 32 each.
    #[arg(long, default_value = "300", value_parser = crate::parse_size, allow_negative_numbers = true)]
    size: (usize, usize),
    /// Pooling drawn in the pooling boxes: max or avg.
    #[arg(long, default_value = "max", value_parser = parse_pooling)]
    pooling: Pooling,
    /// Output format: svg or dot (default: from the file's extension, .dot/.gv → dot,
    /// anything else → svg).
    #[arg(long, value_parser = parse_format)]
    format: Option<NetFormat>,
    /// File to write (its folder must exist).
    #[arg(short, long)]
    output: PathBuf,
}

fn parse_format(s: &str) -> Result<NetFormat, String> {
    NetFormat::parse(s).map_err(|e| e.to_string())
}

pub fn run(args: Args) -> nst::Result<()> {
    let format =
        args.format
            .unwrap_or_else(|| match args.output.extension().and_then(|e| e.to_str()) {
                Some("dot" | "gv") => NetFormat::Dot,
                _ => NetFormat::Svg,
            });
    let (h, w) = args.size;
    let text = draw_net(args.arch, args.pooling, h, w, format)?;
    write_text(&args.output, &text)?;
    println!("wrote {}", args.output.display());
    Ok(())
}
