//! `nst draw-idea`: the book's pictures of its ideas (im2col, the Gram matrix, a
//! Winograd tile, the backward walk through VGG, tiled evaluation, the Texture Networks
//! generator), every number in them computed by the code they depict.

use nst::tools::viz::{draw_idea, write_text, Idea};
use std::path::PathBuf;

/// Draw one of the book's idea pictures as SVG.
#[derive(clap::Args)]
pub struct Args {
    /// Which picture: im2col (im2col and col2im of a 4×4 input), gram (the Gram matrix
    /// as channel co-occurrence), winograd (one F(2×2, 3×3) tile), backward-walk (the
    /// backward pass through VGG16 with Gatys' loss taps), tiles (a picture cut into
    /// tiles with the crops of the exact tiled objective) or generator (the Texture
    /// Networks generator, coarse to fine).
    idea: Idea,
    /// File to write (its folder must exist).
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(args: Args) -> nst::Result<()> {
    write_text(&args.output, &draw_idea(args.idea))?;
    println!("wrote {}", args.output.display());
    Ok(())
}
