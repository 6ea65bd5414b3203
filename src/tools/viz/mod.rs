//! Pictures of the network, drawn by the project itself.
//!
//! * [`draw_net()`]: seed 000's Caffe `draw_net.py` picture of VGG — every layer a box
//!   with its name, what it computes and its output shape, coloured by kind — written
//!   as SVG directly (no Graphviz), or as Graphviz DOT for those who have it.
//! * [`ideas`]: pictures of the book's ideas (im2col and col2im, the Gram matrix, a
//!   Winograd tile, the backward walk, tiled evaluation, the Texture Networks
//!   generator), every number in them computed by the function they depict.
//! * [`svg`]: the few SVG primitives the drawings need, with XML escaping.
//! * [`plot`]: line plots (loss curves) drawn into an RGB picture, for the notebooks.
//! * [`notebook`]: pictures shown inline in the Jupyter notebooks (evcxr), heat maps and
//!   enlarged pixels; its `show` is the library's one `println!` (evcxr's protocol).
//!
//! The shape table itself (`nst layers`) is [`crate::net::vgg::layer_table`]; the drawing is
//! built from the same rows, so the two can never disagree.

pub mod draw_net;
pub mod ideas;
pub mod notebook;
pub mod plot;
pub mod svg;

pub use draw_net::{draw_net, net_nodes, NetFormat, NetNode, NodeKind};
pub use ideas::{draw_idea, Idea};
pub use plot::{line_plot, Curve, PlotOptions, PALETTE};

use crate::error::{Context, Result};
use std::path::Path;

/// Write `text` to `path`, with one clear error line when that is impossible (for
/// example when the folder does not exist — it is not created, so a typo in the path
/// does not silently make new folders).
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() && !parent.is_dir() {
            crate::bail!(
                "cannot write {}: folder {} does not exist",
                path.display(),
                parent.display()
            );
        }
    }
    std::fs::write(path, text).context(|| format!("cannot write {}", path.display()))
}
