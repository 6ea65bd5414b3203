//! Pictures of the book's ideas, drawn from the code they depict: every number in a
//! drawing is computed by the library function it illustrates, and the tests read the
//! numbers back out of the SVG and compare them with that function.
//!
//! * [`im2col_svg`]: im2col unrolling a 4×4 input into a column matrix, one column per
//!   3×3 window ([`crate::im2col::im2col_naive`]), and col2im adding the columns back
//!   ([`crate::im2col::col2im_naive`] of a matrix of ones counts each pixel's windows).
//! * [`gram_svg`]: the Gram matrix as channel co-occurrence ([`crate::losses::gram`]).
//! * [`backward_walk_svg`]: the backward pass through VGG16 from the deepest tap, with
//!   the loss branches of Gatys' layers ([`crate::vgg::layers`],
//!   [`crate::gatys::LossSpec::gatys`]), in the order [`crate::vgg::Vgg::backward`] walks.
//! * [`winograd_svg`]: one F(2×2, 3×3) tile — input patches overlapping by 2, the
//!   transforms with [`WinogradTile::matrices`], the α² products that become GEMMs.
//! * [`tiles_svg`]: a picture cut into the cores of [`TileGrid::for_layers`] for Gatys'
//!   layers, one core with its Gram-pass and gradient-pass crops ([`TileGrid::crop`]),
//!   and the window of a `relu5_1` position ([`crate::vgg::receptive_field_at`],
//!   [`crate::vgg::stride_at`]) that shows why the gradient margin is `r − 1`.
//! * [`generator_svg`]: the multi-scale generator of Texture Networks, its channel
//!   counts read from the parameters [`Generator::zeroed`] lays out for a
//!   [`GeneratorConfig`].

use super::svg::{Style, Svg};
use crate::gatys::LossSpec;
use crate::im2col::{col2im_naive, im2col_naive, ConvGeom, Padding};
use crate::layers::winograd::WinogradTile;
use crate::losses::gram;
use crate::objective::TileGrid;
use crate::texture_net::config::GeneratorConfig;
use crate::texture_net::generator::Generator;
use crate::vgg::{layers, receptive_field_at, stride_at, Arch, LayerKind, Pooling, Vgg, WIDTHS};
use ndarray::{Array2, Array3};

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
    /// [`tiles_svg`].
    Tiles,
    /// [`generator_svg`] of the texture configuration at 256 pixels.
    Generator,
}

impl Idea {
    /// Every picture, with its name.
    pub const ALL: [(Idea, &'static str); 6] = [
        (Idea::Im2col, "im2col"),
        (Idea::Gram, "gram"),
        (Idea::Winograd, "winograd"),
        (Idea::BackwardWalk, "backward-walk"),
        (Idea::Tiles, "tiles"),
        (Idea::Generator, "generator"),
    ];

    /// `im2col`, `gram`, `winograd`, `backward-walk`, `tiles` or `generator`.
    pub fn parse(s: &str) -> Result<Idea, String> {
        Idea::ALL
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(i, _)| *i)
            .ok_or_else(|| {
                format!(
                    "unknown picture '{s}' (expected im2col, gram, winograd, backward-walk, \
                     tiles or generator)"
                )
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
        Idea::Tiles => tiles_svg(),
        Idea::Generator => generator_svg(&GeneratorConfig::texture(), 256)
            .expect("the texture configuration makes 256-pixel pictures"),
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
pub fn gatys_taps() -> (Vec<crate::vgg::Layer>, Vec<(usize, &'static str)>) {
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

/// The tiles drawing's setting: a 400×300 picture (`(h, w)`), the grid
/// [`TileGrid::for_layers`] makes for Gatys' layers with cores of about 96 pixels, and
/// the deepest of those layers (`relu5_1`). The network's widths do not matter to the
/// grid (only its layer walk does), so a one-channel VGG16 stands in for the real one.
pub fn tiles_setup() -> ((usize, usize), TileGrid, usize) {
    let net = Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, [1; 5], 0);
    let taps: Vec<usize> = gatys_taps().1.iter().map(|t| t.0).collect();
    let grid = TileGrid::for_layers(&net, &taps, 96).expect("VGG pads with zeros");
    let deepest = *taps.iter().max().expect("Gatys has taps");
    ((300, 400), grid, deepest)
}

/// A tile's core: its rows and its columns, `[start, end)` each.
type Core = ((usize, usize), (usize, usize));

/// The core the tiles drawing highlights (row 1, column 1 of the grid) and the window,
/// `(top, left, side)`, of the `deepest` layer position it shows: the one whose window
/// holds the core's last column and reaches farthest to the right, in the core's middle
/// rows.
pub fn tiles_window(
    grid: &TileGrid,
    (h, w): (usize, usize),
    deepest: usize,
) -> (Core, (usize, usize, usize)) {
    let walk = layers(Arch::Vgg16, WIDTHS);
    let (r, st) = (
        receptive_field_at(&walk, deepest),
        stride_at(&walk, deepest),
    );
    let core = (grid.cores(h)[1], grid.cores(w)[1]);
    let half = (r - st) / 2;
    // Position q's window starts at q·s − (r − s)/2.
    let qx = (core.1 .1 - 1 + half) / st;
    let qy = ((core.0 .0 + core.0 .1) / 2 - st / 2) / st;
    (core, (qy * st - half, qx * st - half, r))
}

const CORE: Style = Style {
    fill: "#bcd4ee",
    stroke: "#2e6aa8",
};
const GRAM_CROP: Style = Style {
    fill: "#fde2c8",
    stroke: "#d0782a",
};
const GRAD_CROP: Style = Style {
    fill: "#ece3f6",
    stroke: "#7d55b0",
};
const WINDOW_RED: &str = "#c8283c";

/// A picture cut into tiles for [`crate::objective::Objective::evaluate_tiled`], to
/// scale: every core of [`TileGrid::tiles`] outlined; one core with its Gram-pass crop
/// (margin `gram_margin`) and its gradient-pass crop (margin `grad_margin`, clipped at
/// the picture's border), both from [`TileGrid::crop`]; and the window of a `relu5_1`
/// position outside the core whose window reaches into it. The gradient at those core
/// pixels needs that feature exact, so its whole window must be in the crop: a window
/// touching the core reaches up to `r − 1` pixels beyond it.
pub fn tiles_svg() -> String {
    let ((h, w), grid, deepest) = tiles_setup();
    let walk = layers(Arch::Vgg16, WIDTHS);
    let (r, st) = (
        receptive_field_at(&walk, deepest),
        stride_at(&walk, deepest),
    );
    let (core, (wy, wx, side)) = tiles_window(&grid, (h, w), deepest);
    let rect = |(a, b): (usize, usize), (c, d): (usize, usize)| {
        (c as f64, a as f64, (d - c) as f64, (b - a) as f64)
    };
    let (px, py) = (44.0, 100.0);
    let mut svg = Svg::new(880.0, 440.0);
    svg.text(
        20.0,
        30.0,
        "start",
        "title",
        "Tiled evaluation: cores, crops and a receptive field",
    );
    svg.text(
        20.0,
        54.0,
        "start",
        "note",
        &format!(
            "A {w}×{h} picture and Gatys' layers; the deepest, {}, has stride {st} and a \
             receptive field of {r} pixels. To scale.",
            walk[deepest].name
        ),
    );
    svg.group(px, py);
    svg.region(
        "picture",
        (0.0, 0.0, w as f64, h as f64),
        "#f7f7f7",
        "#555555",
        1.4,
        false,
    );
    let grad = (
        TileGrid::crop(core.0, grid.grad_margin, h),
        TileGrid::crop(core.1, grid.grad_margin, w),
    );
    let gram_crop = (
        TileGrid::crop(core.0, grid.gram_margin, h),
        TileGrid::crop(core.1, grid.gram_margin, w),
    );
    for (name, (rows, cols), style) in [
        ("grad-crop", grad, GRAD_CROP),
        ("gram-crop", gram_crop, GRAM_CROP),
        ("core", core, CORE),
    ] {
        svg.region(name, rect(rows, cols), style.fill, style.stroke, 2.0, false);
    }
    for (rows, cols) in grid.tiles((h, w)) {
        svg.region("cores", rect(rows, cols), "none", "#8a8a8a", 1.0, false);
    }
    svg.region(
        "position",
        (
            (wx + (r - st) / 2) as f64,
            (wy + (r - st) / 2) as f64,
            st as f64,
            st as f64,
        ),
        WINDOW_RED,
        WINDOW_RED,
        1.0,
        false,
    );
    svg.region(
        "window",
        (wx as f64, wy as f64, side as f64, side as f64),
        "none",
        WINDOW_RED,
        2.2,
        true,
    );
    // The core boundaries along the top and the left side.
    for (a, _) in grid.cores(w) {
        svg.text(a as f64, -8.0, "middle", "detail", &a.to_string());
    }
    for (a, _) in grid.cores(h) {
        svg.text(-6.0, a as f64 + 4.5, "end", "detail", &a.to_string());
    }
    // The margins, measured from the core's right edge.
    for (m, y) in [
        (grid.gram_margin, core.0 .1 + 30),
        (grid.grad_margin, core.0 .1 + 80),
    ] {
        let (x0, x1, y) = (core.1 .1 as f64, (core.1 .1 + m) as f64, y as f64);
        svg.arrow(&format!("M {x0} {y} L {} {y}", x1 - 1.0));
        svg.text((x0 + x1) / 2.0, y - 5.0, "middle", "detail", &m.to_string());
    }
    svg.end_group();

    // The legend, with every number from the grid and the network.
    let (lx, mut ly) = (px + w as f64 + 40.0, py + 4.0);
    let (last_w, last_h) = (
        w - grid.cores(w).last().expect("cores").0,
        h - grid.cores(h).last().expect("cores").0,
    );
    let items: [(Style, bool, [String; 2]); 4] = [
        (
            Style {
                fill: "#ffffff",
                stroke: "#8a8a8a",
            },
            false,
            [
                format!("cores of {0}×{0} px (blue: the one shown);", grid.core),
                format!("the last ones end at the border: {last_w} and {last_h} px"),
            ],
        ),
        (
            GRAM_CROP,
            false,
            [
                format!("Gram pass: core + {} on each side", grid.gram_margin),
                format!(
                    "((r − s)/2 = {} rounded up to a multiple of {})",
                    (r - st) / 2,
                    grid.align
                ),
            ],
        ),
        (
            GRAD_CROP,
            false,
            [
                format!("gradient pass: core + {}, clipped", grid.grad_margin),
                format!("at the border (r − 1 = {} rounded up)", r - 1),
            ],
        ),
        (
            Style {
                fill: "#ffffff",
                stroke: WINDOW_RED,
            },
            true,
            [
                format!(
                    "a {} position ({st}×{st}, filled) and its",
                    walk[deepest].name
                ),
                format!("{r}×{r} window, which reaches into the core"),
            ],
        ),
    ];
    for (style, dashed, lines) in &items {
        svg.region(
            "legend",
            (lx, ly - 11.0, 16.0, 16.0),
            style.fill,
            style.stroke,
            if *dashed { 2.2 } else { 1.6 },
            *dashed,
        );
        for (i, line) in lines.iter().enumerate() {
            svg.text(lx + 26.0, ly + 18.0 * i as f64, "start", "note", line);
        }
        ly += 50.0;
    }
    let reach = wx + side - core.1 .1;
    let notes = [
        "A core pixel's gradient sums over every feature whose".to_string(),
        "window holds it, and each of those must be exact: its".to_string(),
        format!("whole window inside the crop. This one reaches {reach} px"),
        "past the core; a window that touches the core reaches".to_string(),
        format!(
            "at most r − 1 = {} past it. It lies inside the gradient",
            r - 1
        ),
        "crop, not the Gram crop, which needs only the windows".to_string(),
        "of the core's own positions.".to_string(),
    ];
    for (i, n) in notes.iter().enumerate() {
        svg.text(lx, ly + 8.0 + 18.0 * i as f64, "start", "note", n);
    }
    svg.finish("A picture cut into tiles: cores, the two passes' crops and a relu5_1 window")
}

/// The Texture Networks generator of `config` for `size`×`size` pictures, coarse to
/// fine: input `z_k` (`size/2^k` pixels) through its branch's conv block; from the
/// coarsest, the running result upsampled ×2, concatenated with the next finer branch
/// and normalised, then a join's conv block; at full size a 1×1 convolution to RGB.
/// Every channel count is read from the parameter tensors [`Generator::zeroed`] lays
/// out for `config`, every size from `size`; fails when `size` does not halve
/// `K − 1` times ([`GeneratorConfig::check_size`]).
pub fn generator_svg(config: &GeneratorConfig, size: usize) -> crate::error::Result<String> {
    config.check_size(size, size)?;
    let gen = Generator::<f32>::zeroed(config.clone())?;
    let slots = gen.param_slots();
    let shape = |name: String| -> Vec<usize> {
        slots
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.shape.clone())
            .unwrap_or_else(|| panic!("the generator has no tensor {name}"))
    };
    // A conv block's (input, output) channels and kernel sides, from its weights.
    let block = |prefix: &str| -> (usize, usize, Vec<usize>) {
        let ws: Vec<Vec<usize>> = (0..)
            .map(|j| format!("{prefix}.conv{j}.weight"))
            .take_while(|n| slots.iter().any(|s| &s.name == n))
            .map(shape)
            .collect();
        let last = ws.last().expect("a block has convolutions");
        (ws[0][1], last[0], ws.iter().map(|w| w[2]).collect())
    };
    let k_scales = config.scales;
    let (bx, bw, bh, pitch) = ([20.0, 185.0, 370.0, 555.0, 720.0], 150.0, 46.0, 84.0);
    let y0 = 100.0;
    let height = y0 + (k_scales + 1) as f64 * pitch;
    let mut svg = Svg::new(860.0, height);
    svg.text(
        20.0,
        30.0,
        "start",
        "title",
        &format!("The Texture Networks generator: K = {k_scales} scales, coarse to fine"),
    );
    let kernels = block("branch0").2;
    let ks: Vec<String> = kernels.iter().map(|k| format!("{k}×{k}")).collect();
    svg.text(
        20.0,
        54.0,
        "start",
        "note",
        &format!(
            "A block is {} convolutions ({}), each followed by {} norm and {}. \
             Sizes for {size}×{size} pictures.",
            kernels.len(),
            ks.join(", "),
            config.norm.name(),
            match config.activation {
                crate::layers::Activation::Relu => "a ReLU".to_string(),
                crate::layers::Activation::LeakyRelu(a) => format!("a leaky ReLU ({a})"),
            }
        ),
    );
    let centre = |col: usize| bx[col] + bw / 2.0;
    let row_y = |k: usize| y0 + (k_scales - 1 - k) as f64 * pitch;
    let a_mid = centre(4) - 20.0;
    let mut out_ch = 0;
    for k in (0..k_scales).rev() {
        let (y, s) = (row_y(k), size >> k);
        let (cin, b, _) = block(&format!("branch{k}"));
        svg.rect(bx[0], y, bw - 30.0, bh, 6.0, UNUSED);
        svg.text(
            bx[0] + (bw - 30.0) / 2.0,
            y + 19.0,
            "middle",
            "name",
            &format!("z{k}"),
        );
        svg.cell(
            bx[0] + (bw - 30.0) / 2.0,
            y + 37.0,
            "input",
            k,
            0,
            &format!("{cin}×{s}²"),
        );
        svg.rect(bx[1], y, bw, bh, 6.0, CONV);
        svg.text(
            centre(1),
            y + 19.0,
            "middle",
            "name",
            &format!("branch {k}"),
        );
        svg.cell(
            centre(1),
            y + 37.0,
            "branch",
            k,
            0,
            &format!("block {cin}→{b}"),
        );
        svg.arrow(&format!(
            "M {} {} L {} {}",
            bx[0] + bw - 28.0,
            y + bh / 2.0,
            bx[1] - 2.0,
            y + bh / 2.0
        ));
        let a = if k + 1 < k_scales {
            let ch = shape(format!("join{k}.in_norm.gamma"))[0];
            let (jin, jout, _) = block(&format!("join{k}"));
            svg.rect(bx[2], y, bw, bh, 6.0, POOL);
            svg.text(centre(2), y + 19.0, "middle", "name", "concat + norm");
            svg.cell(
                centre(2),
                y + 37.0,
                "concat",
                k,
                0,
                &format!("{} + {b} = {ch}", ch - b),
            );
            svg.rect(bx[3], y, bw, bh, 6.0, CONV);
            svg.text(centre(3), y + 19.0, "middle", "name", &format!("join {k}"));
            svg.cell(
                centre(3),
                y + 37.0,
                "join",
                k,
                0,
                &format!("block {jin}→{jout}"),
            );
            for (from, to) in [(1, 2), (2, 3), (3, 4)] {
                svg.arrow(&format!(
                    "M {} {} L {} {}",
                    bx[from] + bw + 2.0,
                    y + bh / 2.0,
                    bx[to] - 2.0,
                    y + bh / 2.0
                ));
            }
            // The coarser result comes down, upsampled, into the concatenation.
            let (above, mid) = (row_y(k + 1) + bh + 2.0, row_y(k + 1) + bh + 20.0);
            svg.arrow(&format!(
                "M {a_mid} {above} L {a_mid} {mid} L {c} {mid} L {c} {}",
                y - 2.0,
                c = centre(2)
            ));
            svg.text(
                (a_mid + centre(2)) / 2.0,
                mid - 5.0,
                "middle",
                "detail",
                "upsample ×2",
            );
            jout
        } else {
            svg.arrow(&format!(
                "M {} {} L {} {}",
                bx[1] + bw + 2.0,
                y + bh / 2.0,
                bx[4] - 2.0,
                y + bh / 2.0
            ));
            b
        };
        svg.text(a_mid, y + 19.0, "middle", "name", &format!("a{k}"));
        svg.cell(a_mid, y + 37.0, "a", k, 0, &format!("{a}×{s}²"));
        out_ch = a;
    }
    // The output convolution.
    let out = shape("out.conv.weight".to_string());
    let y = row_y(0) + pitch;
    svg.rect(bx[3], y, bw, bh, 6.0, CONTENT_LOSS);
    svg.text(
        centre(3),
        y + 19.0,
        "middle",
        "name",
        &format!("{0}×{0} conv", out[2]),
    );
    svg.cell(
        centre(3),
        y + 37.0,
        "out",
        0,
        0,
        &format!("{}→{}", out[1], out[0]),
    );
    debug_assert_eq!(out[1], out_ch);
    svg.arrow(&format!(
        "M {a_mid} {} L {a_mid} {m} L {c} {m} L {c} {}",
        row_y(0) + bh + 2.0,
        y - 2.0,
        m = row_y(0) + bh + 20.0,
        c = centre(3)
    ));
    svg.arrow(&format!(
        "M {} {} L {} {}",
        bx[3] + bw + 2.0,
        y + bh / 2.0,
        bx[4] - 2.0,
        y + bh / 2.0
    ));
    svg.text(a_mid, y + 19.0, "middle", "name", "picture");
    svg.cell(
        a_mid,
        y + 37.0,
        "output",
        0,
        0,
        &format!("{}×{size}²", out[0]),
    );
    svg.text(
        bx[3] - 14.0,
        y + 19.0,
        "end",
        "note",
        "no norm and no activation after it:",
    );
    svg.text(
        bx[3] - 14.0,
        y + 37.0,
        "end",
        "note",
        "its output is read as RGB",
    );
    Ok(svg.finish(&format!(
        "The Texture Networks generator with K = {k_scales} scales"
    )))
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

    /// The rectangles named `name` (`data-region`): (x, y, width, height).
    fn regions(svg: &str, name: &str) -> Vec<(f64, f64, f64, f64)> {
        svg.lines()
            .filter(|l| l.contains(&format!("data-region=\"{name}\"")))
            .map(|line| {
                let attr = |k: &str| -> f64 {
                    let s = &line[line.find(&format!(" {k}=\"")).unwrap() + k.len() + 3..];
                    s[..s.find('"').unwrap()].parse().unwrap()
                };
                (attr("x"), attr("y"), attr("width"), attr("height"))
            })
            .collect()
    }

    fn one(svg: &str, name: &str) -> (f64, f64, f64, f64) {
        let found = regions(svg, name);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        found[0]
    }

    #[test]
    fn tiles_picture_shows_the_grid_the_crops_and_a_window() {
        let svg = tiles_svg();
        let ((h, w), grid, deepest) = tiles_setup();
        let walk = layers(Arch::Vgg16, WIDTHS);
        assert_eq!(walk[deepest].name, "relu5_1");
        let (r, st) = (
            receptive_field_at(&walk, deepest),
            stride_at(&walk, deepest),
        );
        // What the legend explains: relu5_1 sees 132 pixels with stride 16; margins
        // (132 − 16)/2 = 58 and 132 − 1 = 131, rounded up to multiples of 16.
        assert_eq!((r, st), (132, 16));
        assert_eq!(
            (grid.core, grid.align, grid.gram_margin, grid.grad_margin),
            (96, 16, 64, 144)
        );
        for t in [
            format!("core + {} on each side", grid.gram_margin),
            format!("core + {}, clipped", grid.grad_margin),
            format!("r − 1 = {}", r - 1),
            format!("{r}×{r} window"),
        ] {
            assert!(svg.contains(&t), "the legend lacks '{t}'");
        }
        assert_eq!(one(&svg, "picture"), (0.0, 0.0, w as f64, h as f64));
        // Every core of the grid, in the library's order; together they cover the
        // picture exactly once.
        let cores = regions(&svg, "cores");
        let expected: Vec<_> = grid
            .tiles((h, w))
            .into_iter()
            .map(|((a, b), (c, d))| (c as f64, a as f64, (d - c) as f64, (b - a) as f64))
            .collect();
        assert_eq!(cores, expected);
        assert_eq!(cores.iter().map(|c| c.2 * c.3).sum::<f64>(), (h * w) as f64);
        // The crops are the core widened by the margins, clipped at the border.
        let core = one(&svg, "core");
        assert!(cores.contains(&core));
        let widen = |m: usize| {
            let m = m as f64;
            let (x0, y0) = ((core.0 - m).max(0.0), (core.1 - m).max(0.0));
            let x1 = (core.0 + core.2 + m).min(w as f64);
            let y1 = (core.1 + core.3 + m).min(h as f64);
            (x0, y0, x1 - x0, y1 - y0)
        };
        let (gram_c, grad_c) = (one(&svg, "gram-crop"), one(&svg, "grad-crop"));
        assert_eq!(gram_c, widen(grid.gram_margin));
        assert_eq!(grad_c, widen(grid.grad_margin));
        assert!(grad_c.0 == 0.0 && grad_c.3 < core.3 + 2.0 * grid.grad_margin as f64);
        // The window is relu5_1's: r pixels, around an s×s position on the stride grid,
        // which lies outside the core while its window reaches into it.
        let (win, pos) = (one(&svg, "window"), one(&svg, "position"));
        assert_eq!(
            (win.2, win.3, pos.2, pos.3),
            (r as f64, r as f64, st as f64, st as f64)
        );
        let half = ((r - st) / 2) as f64;
        assert_eq!((pos.0 - win.0, pos.1 - win.1), (half, half));
        assert!(pos.0 % st as f64 == 0.0 && pos.1 % st as f64 == 0.0);
        let inside = |a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)| {
            a.0 >= b.0 && a.1 >= b.1 && a.0 + a.2 <= b.0 + b.2 && a.1 + a.3 <= b.1 + b.3
        };
        let overlaps = |a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)| {
            a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
        };
        assert!(!overlaps(pos, core) && overlaps(win, core));
        assert!(inside(win, grad_c) && !inside(win, gram_c));
        let reach = win.0 + win.2 - (core.0 + core.2);
        assert!(reach > grid.gram_margin as f64 && reach <= (r - 1) as f64);
        assert!(r - 1 <= grid.grad_margin);
    }

    #[test]
    fn generator_picture_has_the_generators_channels_and_sizes() {
        use crate::texture_net::generator::Mode;
        let config = GeneratorConfig::texture();
        let (k, b, cin) = (
            config.scales,
            config.branch_channels,
            config.input_channels(),
        );
        let size = 32;
        let svg = generator_svg(&config, size).unwrap();
        // The sizes the generator really takes and makes.
        let gen = Generator::<f64>::new(config.clone(), 1).unwrap();
        let inputs: Vec<_> = (0..k)
            .map(|i| ndarray::Array4::<f64>::zeros((1, cin, size >> i, size >> i)))
            .collect();
        gen.check_inputs(&inputs).unwrap();
        let out = gen.forward(&inputs, Mode::Eval).unwrap().output;
        let text = |name: &str, r: usize| {
            let found: Vec<String> = cells_of(&svg, name)
                .into_iter()
                .filter(|c| c.0 == r)
                .map(|c| c.2)
                .collect();
            assert_eq!(found.len(), 1, "{name} {r}: {found:?}");
            found[0].clone()
        };
        for (i, z) in inputs.iter().enumerate() {
            assert_eq!(text("input", i), format!("{cin}×{}²", z.dim().2));
            assert_eq!(text("branch", i), format!("block {cin}→{b}"));
            // The result at scale i has (K − i)·B channels: 8, 16, …, 40.
            let ch = (k - i) * b;
            if i + 1 < k {
                assert_eq!(text("concat", i), format!("{} + {b} = {ch}", ch - b));
                assert_eq!(text("join", i), format!("block {ch}→{ch}"));
            } else {
                assert!(cells_of(&svg, "concat").iter().all(|c| c.0 != i));
            }
            assert_eq!(text("a", i), format!("{ch}×{}²", z.dim().2));
        }
        assert_eq!(text("out", 0), format!("{}→{}", k * b, out.dim().1));
        assert_eq!(
            text("output", 0),
            format!("{}×{}²", out.dim().1, out.dim().2)
        );
        assert_eq!(out.dim(), (1, 3, size, size));
        // The book's picture: 5 scales, 8 to 40 channels, 16² to 256².
        let book = draw_idea(Idea::Generator);
        assert_eq!(cells_of(&book, "a").len(), 5);
        assert!(book.contains(">40×256²<") && book.contains(">8×16²<"));
        // Sizes that do not halve are refused.
        assert!(generator_svg(&config, 250).is_err());
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
