//! `nst draw-net`: VGG drawn as boxes and arrows, like seed 000's Caffe `draw_net.py`.
//!
//! Layout: the input on top, then the five blocks side by side, each a column read
//! top to bottom (convolution, ReLU, convolution, ReLU, …, pooling). An elbow arrow
//! leads from each block's pooling layer to the next block's first convolution. Five
//! short columns fit a page and a screen far better than Caffe's single 32-box chain,
//! and they show the network's rhythm: within a block the size stays, at each pooling
//! it halves while the next block doubles the channels (up to 512).
//!
//! Every box is built from [`crate::net::vgg::layer_table`], the same rows `nst layers`
//! prints, so the picture and the table cannot disagree.

use super::svg::{Style, Svg};
use crate::error::Result;
use crate::net::vgg::{layer_table, layers, Arch, LayerKind, Pooling, WIDTHS};
use std::fmt::Write;
use std::str::FromStr;

/// What a box in the drawing stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// The (preprocessed) RGB picture.
    Input,
    /// 3×3 convolution, `in_ch → out_ch` channels.
    Conv {
        /// Input channels.
        in_ch: usize,
        /// Output channels (filters).
        out_ch: usize,
    },
    /// ReLU.
    Relu,
    /// 2×2 pooling with stride 2.
    Pool(Pooling),
}

/// One box: a layer (or the input) and its output shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetNode {
    /// `input`, `conv1_1`, `relu1_1`, …, `pool5`.
    pub name: String,
    /// What it computes.
    pub kind: NodeKind,
    /// Output (H, W, C), as seed 000 writes shapes.
    pub out: (usize, usize, usize),
    /// Block 1…5 (0 for the input).
    pub block: usize,
}

impl NodeKind {
    /// The second line of a box: what the layer computes.
    pub fn detail(&self) -> String {
        match self {
            NodeKind::Input => "RGB picture".into(),
            NodeKind::Conv { in_ch, out_ch } => format!("conv 3×3, {in_ch}→{out_ch}"),
            NodeKind::Relu => "ReLU".into(),
            NodeKind::Pool(Pooling::Max) => "max pool 2×2, stride 2".into(),
            NodeKind::Pool(Pooling::Avg) => "avg pool 2×2, stride 2".into(),
        }
    }

    /// Fill and outline colour by kind.
    pub fn style(&self) -> Style {
        match self {
            NodeKind::Input => Style {
                fill: "#eeeeee",
                stroke: "#777777",
            },
            NodeKind::Conv { .. } => Style {
                fill: "#dbe8f7",
                stroke: "#3b6fb6",
            },
            NodeKind::Relu => Style {
                fill: "#fde9d2",
                stroke: "#d9822b",
            },
            NodeKind::Pool(_) => Style {
                fill: "#dcefd9",
                stroke: "#4a9a3f",
            },
        }
    }
}

/// Output format of [`draw_net`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetFormat {
    /// SVG, drawn by the project (no Graphviz needed).
    Svg,
    /// Graphviz DOT, for `dot -Tpng`.
    Dot,
}

impl FromStr for NetFormat {
    type Err = crate::Error;

    /// Parse `svg` or `dot` (also `gv`), in any case.
    fn from_str(s: &str) -> Result<NetFormat> {
        match s.to_ascii_lowercase().as_str() {
            "svg" => Ok(NetFormat::Svg),
            "dot" | "gv" => Ok(NetFormat::Dot),
            _ => crate::bail!("unknown format '{s}' (expected svg or dot)"),
        }
    }
}

// ANCHOR: net_nodes
/// The boxes of the drawing, input first, for an `h`×`w` RGB input.
///
/// Fails when the input is smaller than 32×32: five 2×2 poolings would leave nothing.
pub fn net_nodes(arch: Arch, pooling: Pooling, h: usize, w: usize) -> Result<Vec<NetNode>> {
    crate::net::vgg::check_whole_input(h, w)?;
    let mut nodes = vec![NetNode {
        name: "input".into(),
        kind: NodeKind::Input,
        out: (h, w, 3),
        block: 0,
    }];
    let mut block = 1;
    for (layer, row) in layers(arch, WIDTHS)
        .iter()
        .zip(layer_table(arch, pooling, h, w))
    {
        let kind = match layer.kind {
            LayerKind::Conv { in_ch, out_ch, .. } => NodeKind::Conv { in_ch, out_ch },
            LayerKind::Relu => NodeKind::Relu,
            LayerKind::Pool => NodeKind::Pool(pooling),
        };
        nodes.push(NetNode {
            name: row.name,
            kind,
            out: row.out,
            block,
        });
        if kind == NodeKind::Pool(pooling) {
            block += 1;
        }
    }
    Ok(nodes)
}
// ANCHOR_END: net_nodes

/// Draw `arch` for an `h`×`w` input in `format`.
pub fn draw_net(
    arch: Arch,
    pooling: Pooling,
    h: usize,
    w: usize,
    format: NetFormat,
) -> Result<String> {
    let nodes = net_nodes(arch, pooling, h, w)?;
    let title = title(arch, pooling, h, w);
    Ok(match format {
        NetFormat::Svg => svg(&nodes, &title, &subtitle(arch, pooling)),
        NetFormat::Dot => dot(&nodes, &title),
    })
}

fn title(arch: Arch, pooling: Pooling, h: usize, w: usize) -> String {
    let params: usize = layer_table(arch, pooling, h, w)
        .iter()
        .map(|r| r.params)
        .sum();
    format!(
        "{} for a {h}×{w}×3 input — {} parameters",
        arch.name().to_uppercase(),
        group_thousands(params)
    )
}

fn subtitle(arch: Arch, pooling: Pooling) -> String {
    let convs: usize = arch.convs_per_block().iter().sum();
    let pool = match pooling {
        Pooling::Max => "max",
        Pooling::Avg => "average",
    };
    format!("{convs} convolutions (3×3, stride 1, zero padding 1), each followed by a ReLU; 5 {pool}-pooling layers (2×2, stride 2). Shapes are output H×W×C.")
}

/// `14714688` → `14 714 688` (a thin space would be nicer but not every font has it).
fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

/// Sizes of the SVG layout, in pixels.
mod px {
    pub const MARGIN: f64 = 24.0;
    pub const TITLE: f64 = 62.0;
    pub const BOX_W: f64 = 176.0;
    pub const BOX_H: f64 = 62.0;
    pub const ROW_GAP: f64 = 20.0;
    pub const COL_GAP: f64 = 44.0;
    /// Space between a block's frame and its boxes (label on top).
    pub const FRAME: f64 = 10.0;
    pub const FRAME_TOP: f64 = 26.0;
    pub const LEGEND: f64 = 44.0;
}

fn svg(nodes: &[NetNode], title: &str, subtitle: &str) -> String {
    use px::*;
    let rows = (1..=5)
        .map(|b| nodes.iter().filter(|n| n.block == b).count())
        .max()
        .unwrap_or(0) as f64;
    let col_x = |b: usize| MARGIN + FRAME + (b.max(1) - 1) as f64 * (BOX_W + 2.0 * FRAME + COL_GAP);
    let frame_top = MARGIN + TITLE + BOX_H + ROW_GAP;
    let row_y = |i: usize| frame_top + FRAME_TOP + i as f64 * (BOX_H + ROW_GAP);
    let frame_h = FRAME_TOP + rows * (BOX_H + ROW_GAP) - ROW_GAP + FRAME;
    let width = 2.0 * MARGIN + 5.0 * (BOX_W + 2.0 * FRAME) + 4.0 * COL_GAP;
    let height = frame_top + frame_h + LEGEND + MARGIN;
    let mut s = Svg::new(width, height);
    s.text(MARGIN, MARGIN + 18.0, "start", "title", title);
    s.text(MARGIN, MARGIN + 40.0, "start", "note", subtitle);

    // Where each node's box is (top-left corner).
    let mut pos = Vec::with_capacity(nodes.len());
    for node in nodes {
        if node.block == 0 {
            pos.push((col_x(1), MARGIN + TITLE));
        } else {
            let i = nodes[..pos.len()]
                .iter()
                .filter(|n| n.block == node.block)
                .count();
            pos.push((col_x(node.block), row_y(i)));
        }
    }
    let frame = Style {
        fill: "#f6f6f9",
        stroke: "#cfcfdb",
    };
    for b in 1..=5 {
        let x = col_x(b) - FRAME;
        s.rect(x, frame_top, BOX_W + 2.0 * FRAME, frame_h, 10.0, frame);
        // Label on the left, channels on the right: the middle stays free for the
        // arrow from the input into block 1.
        s.text(
            x + 10.0,
            frame_top + 17.0,
            "start",
            "block",
            &format!("block {b}"),
        );
        let channels = format!("{} channels", WIDTHS[b - 1]);
        let right = x + BOX_W + 2.0 * FRAME - 10.0;
        s.text(right, frame_top + 17.0, "end", "note", &channels);
    }
    for pair in nodes.windows(2).zip(pos.windows(2)) {
        let ([a, b], [(ax, ay), (bx, by)]) = pair else {
            unreachable!("windows(2)")
        };
        if a.block == b.block || a.block == 0 {
            // Straight down from the bottom of one box to the top of the next.
            let x = ax + BOX_W / 2.0;
            s.arrow(&format!("M {x:.1} {:.1} V {by:.1}", ay + BOX_H));
        } else {
            // Elbow: out of the pooling layer's right side, up the gap, into the next
            // block's first box from the left.
            let (y1, y2) = (ay + BOX_H / 2.0, by + BOX_H / 2.0);
            let xm = ax + BOX_W + FRAME + COL_GAP / 2.0;
            s.arrow(&format!(
                "M {:.1} {y1:.1} H {xm:.1} V {y2:.1} H {bx:.1}",
                ax + BOX_W
            ));
        }
    }
    for (node, &(x, y)) in nodes.iter().zip(&pos) {
        s.rect(x, y, BOX_W, BOX_H, 6.0, node.kind.style());
        let cx = x + BOX_W / 2.0;
        s.text(cx, y + 19.0, "middle", "name", &node.name);
        s.text(cx, y + 36.0, "middle", "detail", &node.kind.detail());
        let (h, w, c) = node.out;
        s.text(cx, y + 54.0, "middle", "shape", &format!("{h}×{w}×{c}"));
    }
    legend(&mut s, MARGIN, height - MARGIN - 14.0);
    s.finish(title)
}

fn legend(s: &mut Svg, x0: f64, y: f64) {
    let items = [
        ("input", NodeKind::Input),
        (
            "convolution",
            NodeKind::Conv {
                in_ch: 0,
                out_ch: 0,
            },
        ),
        ("ReLU", NodeKind::Relu),
        ("pooling", NodeKind::Pool(Pooling::Max)),
    ];
    let mut x = x0;
    for (label, kind) in items {
        s.rect(x, y - 12.0, 22.0, 16.0, 3.0, kind.style());
        s.text(x + 30.0, y + 1.0, "start", "note", label);
        x += 130.0;
    }
    s.text(
        x + 20.0,
        y + 1.0,
        "start",
        "note",
        "drawn by `nst draw-net` from nst::net::vgg::layer_table",
    );
}

/// Quote a DOT string: backslashes and double quotes escaped, newlines as `\n`.
fn dot_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(ch),
        }
    }
    out.push('"');
    out
}

fn dot(nodes: &[NetNode], title: &str) -> String {
    let mut d = String::new();
    let _ = writeln!(d, "digraph vgg {{");
    let _ = writeln!(d, "  label={}; labelloc=t; fontsize=18;", dot_string(title));
    let _ = writeln!(
        d,
        "  rankdir=TB; nodesep=0.3; ranksep=0.25; fontname=\"Helvetica\";"
    );
    let _ = writeln!(
        d,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];"
    );
    let node_line = |d: &mut String, n: &NetNode, indent: &str| {
        let st = n.kind.style();
        let (h, w, c) = n.out;
        let label = format!("{}\n{}\n{h}×{w}×{c}", n.name, n.kind.detail());
        let _ = writeln!(
            d,
            "{indent}{} [label={}, fillcolor={}, color={}];",
            dot_string(&n.name),
            dot_string(&label),
            dot_string(st.fill),
            dot_string(st.stroke)
        );
    };
    for n in nodes.iter().filter(|n| n.block == 0) {
        node_line(&mut d, n, "  ");
    }
    for b in 1..=5 {
        let _ = writeln!(d, "  subgraph cluster_block{b} {{");
        let _ = writeln!(
            d,
            "    label={}; style=\"rounded,filled\"; fillcolor=\"#f6f6f9\"; color=\"#cfcfdb\";",
            dot_string(&format!("block {b} · {} channels", WIDTHS[b - 1]))
        );
        for n in nodes.iter().filter(|n| n.block == b) {
            node_line(&mut d, n, "    ");
        }
        let _ = writeln!(d, "  }}");
    }
    for pair in nodes.windows(2) {
        let _ = writeln!(
            d,
            "  {} -> {};",
            dot_string(&pair[0].name),
            dot_string(&pair[1].name)
        );
    }
    let _ = writeln!(d, "}}");
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(14_714_688), "14 714 688");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1 000");
    }

    #[test]
    fn dot_strings_are_escaped() {
        assert_eq!(dot_string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
    }

    #[test]
    fn blocks_follow_the_pools() {
        let nodes = net_nodes(Arch::Vgg19, Pooling::Max, 64, 64).unwrap();
        assert_eq!(nodes.len(), 1 + 16 * 2 + 5);
        let block3: Vec<&str> = nodes
            .iter()
            .filter(|n| n.block == 3)
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(block3.first(), Some(&"conv3_1"));
        assert_eq!(block3.last(), Some(&"pool3"));
        assert_eq!(block3.len(), 9);
    }
}
