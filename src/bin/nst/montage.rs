//! `nst montage`: put pictures side by side in a grid (for the figures).

use crate::common::PictureArgs;
use crate::parse::{parse_count, parse_side};
use ndarray::{s, Array3};
use std::path::PathBuf;

/// Arrange pictures in a grid with white gaps, each scaled to the same height, and save
/// the result (for figures such as the reconstruction table and the α/β grid).
#[derive(clap::Args)]
pub struct Args {
    /// The pictures, row by row.
    #[arg(required = true)]
    pictures: Vec<PathBuf>,
    /// Pictures per row.
    #[arg(long, default_value_t = 4, value_parser = parse_count, allow_negative_numbers = true)]
    cols: usize,
    /// Height of each cell in pixels.
    #[arg(long, default_value_t = 192, value_parser = parse_side, allow_negative_numbers = true)]
    cell: usize,
    /// Gap between cells in pixels. The grid, and each picture scaled to its cell, must
    /// stay within --max-pixels.
    #[arg(long, default_value_t = 4)]
    gap: usize,
    /// Captions, one per picture in the same order, comma-separated or repeated: each is
    /// written under its picture in a small pixel font that has the digits, `. - + e`, a
    /// space and the letters of "it" and "loss" (e.g. `--labels "it 0,it 100 loss 2.5e6"`).
    #[arg(long, value_delimiter = ',', value_name = "TEXT")]
    labels: Vec<String>,
    /// Where to write the grid.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    picture: PictureArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    nst::formats::image_io::check_output(&args.output)?;
    if !args.labels.is_empty() && args.labels.len() != args.pictures.len() {
        nst::bail!(
            "--labels: {} captions for {} pictures (give one per picture, comma-separated)",
            args.labels.len(),
            args.pictures.len()
        );
    }
    for label in &args.labels {
        nst::tools::viz::plot::check_caption(label)
            .map_err(|e| nst::Error(format!("--labels: {e}")))?;
    }
    // Under each row, a band for the captions: the font's height and a little room.
    let band = if args.labels.is_empty() {
        0
    } else {
        nst::tools::viz::plot::caption_size("").1 + 6
    };
    let cells: Vec<Array3<f32>> = args
        .pictures
        .iter()
        .map(|p| {
            let img = args.picture.load(p, None)?;
            let (h, w, _) = img.dim();
            let nw = ((w as f64 * args.cell as f64 / h as f64).round() as usize).max(1);
            // The pixel limit holds for the scaled cell too, checked before scaling.
            let pixels = (nw as u64).saturating_mul(args.cell as u64);
            if pixels > args.picture.max_pixels {
                nst::bail!(
                    "{}: scaled to a height of {} (--cell) it would be {nw}×{} = {pixels} pixels, over the limit of {} pixels (raise it with --max-pixels)",
                    p.display(),
                    args.cell,
                    args.cell,
                    args.picture.max_pixels
                );
            }
            let what = format!("{}: scaling to {nw}×{}", p.display(), args.cell);
            crate::common::ensure_fits(pixels.saturating_mul(3 * 4 * 2), &what, "use a smaller --cell")?;
            Ok(nst::formats::image_io::resize(img.view(), args.cell, nw))
        })
        .collect::<nst::Result<_>>()?;
    let cell_w = cells.iter().map(|c| c.dim().1).max().unwrap_or(1);
    let rows = cells.len().div_ceil(args.cols);
    let cols = args.cols.min(cells.len());
    // Saturating: an absurd --gap is refused by the limit below, not by an overflow.
    let side = |n: usize, len: usize| {
        n.saturating_mul(len)
            .saturating_add((n + 1).saturating_mul(args.gap))
    };
    let (gh, gw) = (side(rows, args.cell + band), side(cols, cell_w));
    let pixels = (gh as u64).saturating_mul(gw as u64);
    if pixels > args.picture.max_pixels {
        nst::bail!(
            "the grid would be {gw}×{gh} = {pixels} pixels, over the limit of {} pixels (use a smaller --cell or --gap, or raise --max-pixels)",
            args.picture.max_pixels
        );
    }
    let what = format!("a {gw}×{gh} grid");
    crate::common::ensure_fits(
        pixels.saturating_mul(3 * 4 * 2),
        &what,
        "use a smaller --cell",
    )?;
    let mut grid = Array3::<f32>::ones((gh, gw, 3));
    for (i, c) in cells.iter().enumerate() {
        let (r, k) = (i / args.cols, i % args.cols);
        let (y, x) = (
            args.gap + r * (args.cell + band + args.gap),
            args.gap + k * (cell_w + args.gap),
        );
        let (h, w, _) = c.dim();
        grid.slice_mut(s![y..y + h, x..x + w, ..]).assign(c);
        if let Some(label) = args.labels.get(i) {
            // Centred under the picture (cut at the grid's edge if wider).
            let lw = nst::tools::viz::plot::caption_size(label).0;
            let lx = (x + w / 2).saturating_sub(lw / 2);
            nst::tools::viz::plot::caption(&mut grid, (lx, y + h + 4), label, [0.0, 0.0, 0.0])?;
        }
    }
    nst::formats::image_io::save_rgb(&args.output, grid.view())?;
    println!(
        "{} pictures in a {rows}×{cols} grid → {}",
        cells.len(),
        args.output.display()
    );
    Ok(())
}
