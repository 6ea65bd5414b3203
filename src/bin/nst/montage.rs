//! `nst montage`: put pictures side by side in a grid (for the figures).

use crate::common::PictureArgs;
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
    #[arg(long, default_value_t = 4)]
    cols: usize,
    /// Height of each cell in pixels.
    #[arg(long, default_value_t = 192)]
    cell: usize,
    /// Gap between cells in pixels.
    #[arg(long, default_value_t = 4)]
    gap: usize,
    /// Where to write the grid.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    picture: PictureArgs,
}

pub fn run(args: Args) -> nst::Result<()> {
    if args.cols == 0 || args.cell == 0 {
        nst::bail!("--cols and --cell must be at least 1");
    }
    nst::files::check_writable(&args.output)?;
    let cells: Vec<Array3<f32>> = args
        .pictures
        .iter()
        .map(|p| {
            let img = args.picture.load(p, None)?;
            let (h, w, _) = img.dim();
            let nw = ((w as f64 * args.cell as f64 / h as f64).round() as usize).max(1);
            Ok(nst::image_io::resize(img.view(), args.cell, nw))
        })
        .collect::<nst::Result<_>>()?;
    let cell_w = cells.iter().map(|c| c.dim().1).max().unwrap_or(1);
    let rows = cells.len().div_ceil(args.cols);
    let cols = args.cols.min(cells.len());
    let (gh, gw) = (
        rows * args.cell + (rows + 1) * args.gap,
        cols * cell_w + (cols + 1) * args.gap,
    );
    let mut grid = Array3::<f32>::ones((gh, gw, 3));
    for (i, c) in cells.iter().enumerate() {
        let (r, k) = (i / args.cols, i % args.cols);
        let (y, x) = (
            args.gap + r * (args.cell + args.gap),
            args.gap + k * (cell_w + args.gap),
        );
        let (h, w, _) = c.dim();
        grid.slice_mut(s![y..y + h, x..x + w, ..]).assign(c);
    }
    nst::image_io::save_rgb(&args.output, grid.view())?;
    println!(
        "{} pictures in a {rows}×{cols} grid → {}",
        cells.len(),
        args.output.display()
    );
    Ok(())
}
