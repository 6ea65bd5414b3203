//! `nst layers`: seed 000's layer-by-layer walk through VGG as a table.

use crate::parse::parse_size;
use nst::net::vgg::{layer_table, Arch, Pooling};

/// Which VGG, for what input: what `nst layers` tabulates and `nst draw-net` draws.
#[derive(clap::Args)]
pub struct NetShape {
    /// Network: vgg16 or vgg19.
    #[arg(long, default_value = "vgg16")]
    pub arch: Arch,
    /// Input side in pixels (square), or WxH such as 400x300; at least 32 each.
    #[arg(long, default_value = "300", value_parser = parse_size, allow_negative_numbers = true)]
    pub size: (usize, usize),
    /// Pooling: max or avg (changes only the pooling layers' FLOPs and labels).
    #[arg(long, default_value = "max")]
    pub pooling: Pooling,
}

/// Print VGG's layers for an input size: kernel, stride, padding, output size,
/// parameters, forward FLOPs and receptive field, with totals.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    net: NetShape,
}

pub fn run(args: Args) -> nst::Result<()> {
    let NetShape {
        arch,
        size: (h, w),
        pooling,
    } = args.net;
    nst::net::vgg::check_whole_input(h, w)?;
    let rows = layer_table(arch, pooling, h, w);
    println!(
        "{} for a {h}×{w}×3 input ({} neurons in the input layer)\n",
        arch.name(),
        h * w * 3
    );
    println!(
        "{:<8} {:>6} {:>6} {:>4} {:>16} {:>12} {:>12} {:>6}",
        "layer", "kernel", "stride", "pad", "output H×W×C", "params", "MFLOPs", "RF"
    );
    for r in &rows {
        let (oh, ow, oc) = r.out;
        let stride = if r.stride == 0 {
            "—".to_string()
        } else {
            r.stride.to_string()
        };
        let pad = if r.kernel == "—" {
            "—".to_string()
        } else {
            r.pad.to_string()
        };
        println!(
            "{:<8} {:>6} {:>6} {:>4} {:>16} {:>12} {:>12.1} {:>6}",
            r.name,
            r.kernel,
            stride,
            pad,
            format!("{oh}×{ow}×{oc}"),
            r.params,
            r.flops / 1e6,
            r.receptive_field
        );
    }
    let params: usize = rows.iter().map(|r| r.params).sum();
    let flops: f64 = rows.iter().map(|r| r.flops).sum();
    let conv: f64 = rows
        .iter()
        .filter(|r| r.name.starts_with("conv"))
        .map(|r| r.flops)
        .sum();
    println!("\ntotal: {params} parameters ({:.1} MB as f32), {:.2} GFLOPs forward ({:.1}% in convolutions)", params as f64 * 4.0 / 1e6, flops / 1e9, 100.0 * conv / flops);
    println!("(a multiply-add counts as 2 FLOPs; RF = receptive field, the input window one output pixel sees)");
    Ok(())
}
