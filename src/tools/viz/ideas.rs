//! Pictures of the book's ideas, drawn from the code they depict: every number in a
//! drawing is computed by the library function it illustrates, and the tests read the
//! numbers back out of the SVG and compare them with that function.
//!
//! * [`im2col_svg`]: im2col unrolling a 4×4 input into a column matrix, one column per
//!   3×3 window ([`crate::math::im2col::im2col_naive`]), and col2im adding the columns back
//!   ([`crate::math::im2col::col2im_naive`] of a matrix of ones counts each pixel's windows).
//! * [`gram_svg`]: the Gram matrix as channel co-occurrence ([`crate::loss::gram`]).
//! * [`backward_walk_svg`]: the backward pass through VGG16 from the deepest tap, with
//!   the loss branches of Gatys' layers ([`crate::net::vgg::layers`],
//!   [`crate::gatys::LossSpec::gatys`]), in the order [`crate::net::vgg::Vgg::backward`] walks.
//! * [`winograd_svg`]: one F(2×2, 3×3) tile — input patches overlapping by 2, the
//!   transforms with [`WinogradTile::matrices`], the α² products that become GEMMs.

use super::svg::{Style, Svg};
use crate::gatys::LossSpec;
use crate::layers::winograd::WinogradTile;
use crate::loss::gram;
use crate::math::im2col::{col2im_naive, im2col_naive, ConvGeom, Padding};
use crate::net::vgg::{layers, Arch, LayerKind, WIDTHS};
use ndarray::{Array2, Array3};
use std::str::FromStr;

/// Which picture [`draw_idea`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idea {
    /// [`im2col_svg`].
    Im2col,
    /// [`gram_svg`].
    Gram,
    /// [`winograd_svg`].
    Winograd,
    /// [`backward_walk_svg`].
    BackwardWalk,
}

impl Idea {
    /// Every picture, with its name.
    pub const ALL: [(Idea, &'static str); 4] = [
        (Idea::Im2col, "im2col"),
        (Idea::Gram, "gram"),
        (Idea::Winograd, "winograd"),
        (Idea::BackwardWalk, "backward-walk"),
    ];
}

impl FromStr for Idea {
    type Err = crate::Error;

    /// Parse `im2col`, `gram`, `winograd` or `backward-walk`.
    fn from_str(s: &str) -> crate::Result<Idea> {
        Idea::ALL
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(i, _)| *i)
            .ok_or_else(|| {
                crate::Error(format!(
                    "unknown picture '{s}' (expected im2col, gram, winograd or backward-walk)"
                ))
            })
    }
}

/// The SVG of `idea`.
pub fn draw_idea(idea: Idea) -> String {
    match idea {
        Idea::Im2col => im2col_svg(),
        Idea::Gram => gram_svg(),
        Idea::Winograd => winograd_svg(),
        Idea::BackwardWalk => backward_walk_svg(),
    }
}

const CELL: f64 = 30.0;
/// One colour per window / output pixel.
const WINDOW: [&str; 4] = ["#d1495b", "#2e86ab", "#3f9e4d", "#e08e0b"];
const PALE: [&str; 4] = ["#f7d9dd", "#d5e8f1", "#d9eedc", "#fbe6c4"];

/// A number as the drawings print it: integers plainly, ±½ as a fraction, a true minus.
pub fn label(v: f64) -> String {
    let s = if v == v.round() {
        format!("{}", v as i64)
    } else if (v.abs() - 0.5).abs() < 1e-12 {
        let half = if v < 0.0 { "-½" } else { "½" };
        half.to_string()
    } else {
        format!("{v:.1}")
    };
    s.replace('-', "−")
}

/// Draw matrix `m` as a grid of labelled cells with top-left corner (x, y); `fill`
/// picks each cell's colour.
fn grid(
    svg: &mut Svg,
    x: f64,
    y: f64,
    name: &str,
    m: &Array2<f64>,
    fill: &dyn Fn(usize, usize) -> String,
) {
    for ((r, c), &v) in m.indexed_iter() {
        let (cx, cy) = (x + c as f64 * CELL, y + r as f64 * CELL);
        svg.fill(cx, cy, CELL, CELL, &fill(r, c));
        svg.cell(
            cx + CELL / 2.0,
            cy + CELL / 2.0 + 4.5,
            name,
            r,
            c,
            &label(v),
        );
    }
}

fn white(_: usize, _: usize) -> String {
    "#ffffff".into()
}

/// The 4×4 input the im2col picture unrolls: 1 to 16, row by row.
pub fn im2col_input() -> (Array3<f64>, ConvGeom) {
    let g = ConvGeom {
        c: 1,
        h: 4,
        w: 4,
        kh: 3,
        kw: 3,
        stride: 1,
        pad: 0,
        padding: Padding::Zero,
    };
    let x = Array3::from_shape_fn((1, 4, 4), |(_, i, j)| (4 * i + j + 1) as f64);
    (x, g)
}

/// im2col of a 4×4 input with a 3×3 kernel (stride 1, no padding): each of the four
/// windows, outlined in its colour, becomes one column; below, col2im of a matrix of
/// ones: every pixel receives one term per window that contains it.
pub fn im2col_svg() -> String {
    let (x, g) = im2col_input();
    let cols = im2col_naive(x.view(), &g);
    let counts = col2im_naive(Array2::<f64>::ones(cols.raw_dim()).view(), &g);
    let x2 = x.index_axis(ndarray::Axis(0), 0).to_owned();
    let counts2 = counts.index_axis(ndarray::Axis(0), 0).to_owned();
    let mut svg = Svg::new(640.0, 560.0);
    svg.text(
        20.0,
        30.0,
        "start",
        "title",
        "im2col: every window becomes a column",
    );
    // The input, with the four windows outlined (inset a little each, so all show).
    let (ix, iy) = (40.0, 110.0);
    svg.text(ix, iy - 40.0, "start", "name", "input X (4×4)");
    svg.text(ix, iy - 20.0, "start", "note", "3×3 windows, stride 1");
    grid(&mut svg, ix, iy, "input", &x2, &white);
    for (p, colour) in WINDOW.iter().enumerate() {
        let (oy, ox) = ((p / g.out_w()) as f64, (p % g.out_w()) as f64);
        let inset = 2.0 + 2.5 * p as f64;
        svg.outline(
            ix + ox * CELL + inset,
            iy + oy * CELL + inset,
            3.0 * CELL - 2.0 * inset,
            3.0 * CELL - 2.0 * inset,
            colour,
            2.2,
        );
    }
    // The column matrix: one column per output pixel, in that window's colour.
    let (cx, cy) = (380.0, 110.0);
    svg.text(cx, cy - 40.0, "start", "name", "columns (9×4)");
    svg.text(
        cx,
        cy - 20.0,
        "start",
        "note",
        "row (ki, kj), column = output pixel",
    );
    for p in 0..cols.ncols() {
        let (oy, ox) = (p / g.out_w(), p % g.out_w());
        svg.text(
            cx + (p as f64 + 0.5) * CELL,
            cy - 4.0,
            "middle",
            "detail",
            &format!("{oy},{ox}"),
        );
    }
    for r in 0..cols.nrows() {
        svg.text(
            cx - 6.0,
            cy + (r as f64 + 0.5) * CELL + 4.5,
            "end",
            "detail",
            &format!("{},{}", r / g.kw % g.kh, r % g.kw),
        );
    }
    grid(&mut svg, cx, cy, "cols", &cols, &|_, c| PALE[c].to_string());
    for (p, colour) in WINDOW.iter().enumerate() {
        svg.outline(
            cx + p as f64 * CELL,
            cy,
            CELL,
            cols.nrows() as f64 * CELL,
            colour,
            2.2,
        );
    }
    svg.arrow(&format!(
        "M {} {} L {} {}",
        ix + 4.0 * CELL + 20.0,
        iy + 2.0 * CELL,
        cx - 40.0,
        iy + 2.0 * CELL
    ));
    svg.text(
        (ix + 4.0 * CELL + cx) / 2.0 - 10.0,
        iy + 2.0 * CELL - 10.0,
        "middle",
        "detail",
        "im2col",
    );
    // col2im: scatter back, adding.
    let (kx, ky) = (40.0, 440.0);
    svg.text(
        kx,
        ky - 40.0,
        "start",
        "name",
        "col2im(ones): terms per pixel",
    );
    svg.text(
        kx,
        ky - 20.0,
        "start",
        "note",
        "each column is added back onto its window",
    );
    let most = counts2.fold(0.0f64, |m, &v| m.max(v));
    grid(&mut svg, kx, ky, "counts", &counts2, &|r, c| {
        shade(counts2[[r, c]] / most)
    });
    svg.text(
        kx + 4.0 * CELL + 20.0,
        ky + 1.5 * CELL,
        "start",
        "note",
        "Corners lie in one window, the centre in all four:",
    );
    svg.text(
        kx + 4.0 * CELL + 20.0,
        ky + 1.5 * CELL + 20.0,
        "start",
        "note",
        "col2im adds (+=), it does not overwrite. It is im2col's transpose.",
    );
    svg.finish("im2col and col2im of a 4×4 input with a 3×3 kernel")
}

/// A blue of strength `t` in [0, 1], as `#rrggbb`.
fn shade(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(255.0, 70.0),
        mix(255.0, 130.0),
        mix(255.0, 190.0)
    )
}

/// The feature maps the Gram picture multiplies: three channels over six positions
/// (a 2×3 map), post-ReLU (non-negative). Channels 0 and 1 fire at the same places,
/// channel 2 elsewhere.
pub fn gram_features() -> Array3<f64> {
    let rows = [
        [2.0, 1.0, 0.0, 2.0, 0.0, 0.0],
        [1.0, 1.0, 0.0, 2.0, 0.0, 0.0],
        [0.0, 0.0, 2.0, 0.0, 1.0, 1.0],
    ];
    Array3::from_shape_fn((3, 2, 3), |(c, i, j)| rows[c][3 * i + j])
}

/// The Gram matrix `G = F Fᵀ` of three channels: `G[i][j]` sums, over positions, the
/// product of channels i and j, so it is large where they fire together and zero where
/// they never do. Where they fire is forgotten.
pub fn gram_svg() -> String {
    let f = gram_features();
    let (c, h, w) = f.dim();
    let fm = f.to_shape((c, h * w)).expect("contiguous").to_owned();
    let g = gram(f.view());
    let mut svg = Svg::new(640.0, 330.0);
    svg.text(
        20.0,
        30.0,
        "start",
        "title",
        "The Gram matrix: which filters fire together",
    );
    let most = fm.fold(0.0f64, |m, &v| m.max(v));
    let (fx, fy) = (110.0, 110.0);
    svg.text(fx, fy - 40.0, "start", "name", "F (filters × positions)");
    svg.text(
        fx,
        fy - 20.0,
        "start",
        "note",
        "a 2×3 map, one row per filter",
    );
    grid(&mut svg, fx, fy, "F", &fm, &|r, cc| {
        shade(fm[[r, cc]] / most)
    });
    for r in 0..c {
        svg.text(
            fx - 8.0,
            fy + (r as f64 + 0.5) * CELL + 4.5,
            "end",
            "detail",
            &format!("filter {r}"),
        );
    }
    let gmost = g.fold(0.0f64, |m, &v| m.max(v));
    let (gx, gy) = (440.0, 110.0);
    svg.text(gx, gy - 40.0, "start", "name", "G = F Fᵀ (C × C)");
    svg.text(gx, gy - 20.0, "start", "note", "G[i][j] = Σₖ F[i,k] F[j,k]");
    grid(&mut svg, gx, gy, "G", &g, &|r, cc| {
        shade(g[[r, cc]] / gmost)
    });
    svg.arrow(&format!(
        "M {} {} L {} {}",
        fx + w as f64 * h as f64 * CELL + 20.0,
        fy + 1.5 * CELL,
        gx - 20.0,
        gy + 1.5 * CELL
    ));
    let notes = [
        "Filters 0 and 1 fire at the same positions: G[0][1] is large.",
        "Filter 2 fires where the others do not: G[0][2] = G[1][2] = 0.",
        "The sum over k forgets where: shuffling the positions (the same",
        "shuffle for every filter) leaves G unchanged. That is why G",
        "describes texture, not layout.",
    ];
    for (i, n) in notes.iter().enumerate() {
        svg.text(40.0, 230.0 + 19.0 * i as f64, "start", "note", n);
    }
    svg.finish("The Gram matrix as channel co-occurrence")
}

/// Where Gatys' losses tap VGG16: `(layer index, "style" | "content")`, and the layer
/// sequence.
pub fn gatys_taps() -> (Vec<crate::net::vgg::Layer>, Vec<(usize, &'static str)>) {
    let net = layers(Arch::Vgg16, WIDTHS);
    let spec = LossSpec::gatys();
    let at = |name: &str| {
        net.iter()
            .position(|l| l.name == name)
            .expect("Gatys' layers are VGG16 layers")
    };
    let mut taps: Vec<(usize, &'static str)> = spec
        .style_layers
        .iter()
        .map(|(n, _)| (at(n), "style"))
        .chain(spec.content_layers.iter().map(|(n, _)| (at(n), "content")))
        .collect();
    taps.sort();
    (net, taps)
}

const CONV: Style = Style {
    fill: "#dbe8f5",
    stroke: "#4a7bb0",
};
const RELU: Style = Style {
    fill: "#fbf0c9",
    stroke: "#b8962e",
};
const POOL: Style = Style {
    fill: "#dcefdc",
    stroke: "#4d8f4d",
};
const UNUSED: Style = Style {
    fill: "#f1f1f1",
    stroke: "#b5b5b5",
};
const STYLE_LOSS: Style = Style {
    fill: "#fde2c8",
    stroke: "#d0782a",
};
const CONTENT_LOSS: Style = Style {
    fill: "#e4d7f2",
    stroke: "#7d55b0",
};

/// VGG16's backward pass under Gatys' losses: one row per block, the layers left to
/// right as the forward pass runs them, each numbered in the order the backward pass
/// visits it (1 = the deepest tap, `relu5_1`); the loss branches join the chain at
/// their taps, where their gradients are added; the layers past the deepest tap are
/// never visited (grey).
pub fn backward_walk_svg() -> String {
    let (net, taps) = gatys_taps();
    let last = taps.iter().map(|t| t.0).max().expect("taps");
    let (bw, bh, gap, pitch) = (92.0, 46.0, 24.0, 112.0);
    let (x0, y0) = (120.0, 90.0);
    let mut svg = Svg::new(x0 + 7.0 * (bw + gap) + 20.0, y0 + 5.0 * pitch + 70.0);
    svg.text(
        20.0,
        30.0,
        "start",
        "title",
        "The backward pass through VGG16, from the deepest tap to the picture",
    );
    svg.text(
        20.0,
        54.0,
        "start",
        "note",
        "Numbers: the order of the backward walk. At a tap the loss's gradient is added (+), \
         then the walk goes on.",
    );
    let (mut block, mut col) = (0usize, 0usize);
    for (i, layer) in net.iter().enumerate() {
        let (x, y) = (x0 + col as f64 * (bw + gap), y0 + block as f64 * pitch);
        let style = if i > last {
            UNUSED
        } else {
            match layer.kind {
                LayerKind::Conv { .. } => CONV,
                LayerKind::Relu => RELU,
                LayerKind::Pool => POOL,
            }
        };
        svg.rect(x, y, bw, bh, 6.0, style);
        svg.text(x + bw / 2.0, y + 19.0, "middle", "name", &layer.name);
        if i <= last {
            svg.cell(
                x + bw / 2.0,
                y + 38.0,
                "step",
                i,
                0,
                &format!("{}", last - i + 1),
            );
        } else {
            svg.text(x + bw / 2.0, y + 37.0, "middle", "detail", "not visited");
        }
        if col == 0 {
            let from = if block == 0 {
                "picture".to_string()
            } else {
                format!("pool{block}")
            };
            svg.text(x - 34.0, y + bh / 2.0 + 4.0, "end", "detail", &from);
            svg.arrow(&format!(
                "M {} {} L {} {}",
                x - 30.0,
                y + bh / 2.0,
                x - 2.0,
                y + bh / 2.0
            ));
        } else {
            svg.arrow(&format!(
                "M {} {} L {} {}",
                x - gap + 2.0,
                y + bh / 2.0,
                x - 2.0,
                y + bh / 2.0
            ));
        }
        for &(t, kind) in taps.iter().filter(|t| t.0 == i) {
            let ly = y + bh + 22.0;
            let lx = x + 6.0;
            svg.rect(
                lx,
                ly,
                bw - 12.0,
                24.0,
                4.0,
                if kind == "style" {
                    STYLE_LOSS
                } else {
                    CONTENT_LOSS
                },
            );
            svg.cell(lx + (bw - 12.0) / 2.0, ly + 16.5, "tap", t, 0, kind);
            svg.arrow(&format!(
                "M {} {} L {} {}",
                x + bw / 2.0,
                ly - 1.0,
                x + bw / 2.0,
                y + bh + 2.0
            ));
            svg.text(x + bw / 2.0 + 6.0, y + bh + 15.0, "start", "detail", "+");
        }
        if matches!(layer.kind, LayerKind::Pool) {
            block += 1;
            col = 0;
        } else {
            col += 1;
        }
    }
    svg.finish("The backward pass through VGG16 with Gatys' style and content taps")
}

/// Rows of a [`WinogradTile::matrices`] matrix as an `Array2`.
fn arr(rows: &[Vec<f64>]) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j])
}

/// One F(2×2, 3×3) tile: on the left, a 6×6 output and its padded 8×8 input, with two
/// neighbouring tiles' 4×4 input patches overlapping by α − m = 2; on the right, the
/// transforms `V = Bᵀ d B`, `U = G g Gᵀ`, the 16 products `U ⊙ V` (over channels: 16
/// GEMMs), and `Y = Aᵀ M A`, with the matrices of [`WinogradTile::matrices`].
pub fn winograd_svg() -> String {
    let tile = WinogradTile::F2;
    let (m, a) = (tile.m(), tile.alpha());
    let (bt, gm, at) = tile.matrices();
    let mut svg = Svg::new(900.0, 560.0);
    svg.text(
        20.0,
        30.0,
        "start",
        "title",
        "Winograd F(2×2, 3×3): 16 multiplications per 2×2 outputs instead of 36",
    );
    // Left: the tiling. A 6×6 picture, padding 1 around it.
    let side = 6;
    let c = 24.0;
    let (px, py) = (40.0, 110.0);
    svg.text(px, py - 40.0, "start", "name", "tiles overlap by 2");
    svg.text(
        px,
        py - 20.0,
        "start",
        "note",
        "6×6 picture, padding 1 (grey)",
    );
    for i in 0..side + 2 {
        for j in 0..side + 2 {
            let pad = i == 0 || j == 0 || i == side + 1 || j == side + 1;
            svg.fill(
                px + j as f64 * c,
                py + i as f64 * c,
                c,
                c,
                if pad { "#e4e4e4" } else { "#ffffff" },
            );
        }
    }
    // Tiles (0,0) and (0,1): outputs m×m at (t·m, ·), inputs α×α from t·m − 1 (padding
    // coordinates: + 1).
    for (k, tx) in [0usize, 1].into_iter().enumerate() {
        let (oy, ox) = (0usize, tx * m);
        svg.fill(
            px + (ox + 1) as f64 * c,
            py + (oy + 1) as f64 * c,
            m as f64 * c,
            m as f64 * c,
            PALE[k],
        );
        let inset = 2.0 + 3.0 * k as f64;
        svg.outline(
            px + ox as f64 * c + inset,
            py + oy as f64 * c + inset,
            a as f64 * c - 2.0 * inset,
            a as f64 * c - 2.0 * inset,
            WINDOW[k],
            2.4,
        );
    }
    let notes = [
        "Each 2×2 output tile (filled) reads",
        "a 4×4 input patch d (outlined): its",
        "outputs' 3×3 windows together.",
        "Neighbouring patches share 2 columns",
        "(α − m = 4 − 2), so the input transform",
        "runs on every pixel about 4 times.",
    ];
    for (i, n) in notes.iter().enumerate() {
        svg.text(
            px,
            py + 8.0 * c + 28.0 + 18.0 * i as f64,
            "start",
            "note",
            n,
        );
    }
    // Right: the transforms, with the matrices the code uses.
    let (rx, ry) = (330.0, 110.0);
    svg.text(
        rx,
        ry - 40.0,
        "start",
        "name",
        "input transform: V = Bᵀ d B",
    );
    grid(&mut svg, rx, ry, "BT", &arr(&bt), &white);
    svg.text(
        rx + a as f64 * CELL + 10.0,
        ry + 12.0,
        "start",
        "shape",
        "Bᵀ (4×4)",
    );
    let kx = rx + 270.0;
    svg.text(
        kx,
        ry - 40.0,
        "start",
        "name",
        "kernel transform: U = G g Gᵀ",
    );
    svg.text(kx, ry - 20.0, "start", "note", "once per weight set");
    grid(&mut svg, kx, ry, "G", &arr(&gm), &white);
    svg.text(
        kx + 3.0 * CELL + 10.0,
        ry + 12.0,
        "start",
        "shape",
        "G (4×3)",
    );
    let my = ry + a as f64 * CELL + 60.0;
    svg.text(
        rx,
        my - 20.0,
        "start",
        "name",
        "M = U ⊙ V: 16 products per tile",
    );
    let prods = Array2::from_shape_fn((a, a), |(i, j)| (i * a + j) as f64);
    grid(&mut svg, rx, my, "xi", &prods, &|r, cc| {
        PALE[(r + cc) % 4].to_string()
    });
    let gemm = [
        "Summed over input channels, each of",
        "the α² = 16 positions ξ is a matrix",
        "product M_ξ = U_ξ · V_ξ:",
        "(O × C) · (C × tiles). 16 GEMMs.",
    ];
    for (i, n) in gemm.iter().enumerate() {
        svg.text(
            rx + a as f64 * CELL + 14.0,
            my + 16.0 + 18.0 * i as f64,
            "start",
            "note",
            n,
        );
    }
    let oy = my + a as f64 * CELL + 50.0;
    svg.text(
        rx,
        oy - 20.0,
        "start",
        "name",
        "output transform: Y = Aᵀ M A",
    );
    grid(&mut svg, rx, oy, "AT", &arr(&at), &white);
    svg.text(
        rx + a as f64 * CELL + 10.0,
        oy + 12.0,
        "start",
        "shape",
        "Aᵀ (2×4)",
    );
    svg.text(
        rx + a as f64 * CELL + 100.0,
        oy + 12.0,
        "start",
        "note",
        "4 products → 2 outputs per row, per column",
    );
    svg.finish("One Winograd F(2×2, 3×3) tile: overlapping patches and the three transforms")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cells of drawn matrix `name`: (row, column, text).
    fn cells_of(svg: &str, name: &str) -> Vec<(usize, usize, String)> {
        svg.lines()
            .filter(|l| l.contains(&format!("data-grid=\"{name}\"")))
            .map(|line| {
                let attr = |k: &str| -> usize {
                    let s = &line[line.find(&format!("{k}=\"")).unwrap() + k.len() + 2..];
                    s[..s.find('"').unwrap()].parse().unwrap()
                };
                let text = &line[line.find('>').unwrap() + 1..line.rfind("</text>").unwrap()];
                (attr("data-r"), attr("data-c"), text.to_string())
            })
            .collect()
    }

    /// The numbers drawn in matrix `name`, read back out of the SVG.
    fn read_grid(svg: &str, name: &str) -> Array2<f64> {
        let mut cells = Vec::new();
        for (r, c, text) in cells_of(svg, name) {
            let v = match text.replace('−', "-").as_str() {
                "½" => 0.5,
                "-½" => -0.5,
                t => t.parse::<f64>().unwrap(),
            };
            cells.push((r, c, v));
        }
        assert!(!cells.is_empty(), "no grid {name} in the drawing");
        let rows = cells.iter().map(|c| c.0).max().unwrap() + 1;
        let cols = cells.iter().map(|c| c.1).max().unwrap() + 1;
        let mut m = Array2::from_elem((rows, cols), f64::NAN);
        for (r, c, v) in cells {
            m[[r, c]] = v;
        }
        m
    }

    #[test]
    fn im2col_picture_shows_im2col_and_col2im() {
        let svg = im2col_svg();
        let (x, g) = im2col_input();
        assert_eq!(read_grid(&svg, "input"), x.index_axis(ndarray::Axis(0), 0));
        let cols = im2col_naive(x.view(), &g);
        assert_eq!(read_grid(&svg, "cols"), cols);
        let ones = Array2::<f64>::ones(cols.raw_dim());
        assert_eq!(
            read_grid(&svg, "counts"),
            col2im_naive(ones.view(), &g).index_axis(ndarray::Axis(0), 0)
        );
    }

    #[test]
    fn gram_picture_shows_gram() {
        let svg = gram_svg();
        let f = gram_features();
        let g = gram(f.view());
        assert_eq!(read_grid(&svg, "G"), g);
        assert_eq!(read_grid(&svg, "F"), f.to_shape((3, 6)).unwrap());
        // What the notes claim.
        assert!(g[[0, 1]] > 0.0 && g[[0, 2]] == 0.0 && g[[1, 2]] == 0.0);
    }

    #[test]
    fn winograd_picture_shows_the_matrices_the_code_uses() {
        let svg = winograd_svg();
        let (bt, gm, at) = WinogradTile::F2.matrices();
        assert_eq!(read_grid(&svg, "BT"), arr(&bt));
        assert_eq!(read_grid(&svg, "G"), arr(&gm));
        assert_eq!(read_grid(&svg, "AT"), arr(&at));
        let t = WinogradTile::F2;
        assert_eq!(read_grid(&svg, "xi").len(), t.alpha() * t.alpha());
        assert_eq!(
            t.alpha() - t.m(),
            2,
            "the drawing says the patches overlap by 2"
        );
    }

    #[test]
    fn backward_walk_picture_walks_like_vgg_backward() {
        let svg = backward_walk_svg();
        let (net, taps) = gatys_taps();
        let last = taps.iter().map(|t| t.0).max().unwrap();
        assert_eq!(net[last].name, "relu5_1");
        // Step k is layer last + 1 − k: the walk `for i in (0..=last).rev()` of
        // Vgg::backward; nothing after the deepest tap is numbered.
        let steps = cells_of(&svg, "step");
        assert_eq!(steps.len(), last + 1);
        for (r, _, text) in &steps {
            assert_eq!(text.parse::<usize>().unwrap(), last - r + 1);
        }
        let mut drawn: Vec<(usize, String)> = cells_of(&svg, "tap")
            .into_iter()
            .map(|(r, _, t)| (r, t))
            .collect();
        drawn.sort();
        let expected: Vec<(usize, String)> =
            taps.iter().map(|&(i, k)| (i, k.to_string())).collect();
        assert_eq!(drawn, expected);
        assert!(expected.contains(&(
            net.iter().position(|l| l.name == "relu4_2").unwrap(),
            "content".into()
        )));
    }

    /// The committed figures are what the code draws now (regenerate with
    /// `book/figures.sh` after changing a drawing).
    #[test]
    fn committed_figures_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/figures");
        for (idea, name) in Idea::ALL {
            let path = dir.join(format!("{name}.svg"));
            let committed = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                committed == draw_idea(idea),
                "{} is out of date: run book/figures.sh",
                path.display()
            );
        }
    }
}
