//! Just enough SVG for the drawings: rectangles, text, paths, with escaping.
//!
//! Everything a caller passes as text or as an attribute value goes through
//! [`escape_xml`], so a layer name such as `a<b&c` cannot break the document.

use std::fmt::Write;

/// Escape the five XML special characters (`& < > " '`), for text and for attribute
/// values in double quotes alike.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Fill and stroke colours of a shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Fill, `#rrggbb`.
    pub fill: &'static str,
    /// Outline, `#rrggbb`.
    pub stroke: &'static str,
}

/// An SVG document being written, element by element.
#[derive(Debug)]
pub struct Svg {
    body: String,
    width: f64,
    height: f64,
}

impl Svg {
    /// An empty `width`×`height` drawing (pixels).
    pub fn new(width: f64, height: f64) -> Self {
        Svg {
            body: String::new(),
            width,
            height,
        }
    }

    /// A rounded rectangle with top-left corner (x, y).
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, radius: f64, style: Style) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="{radius:.1}" fill="{}" stroke="{}" stroke-width="1.2"/>"#,
            escape_xml(style.fill),
            escape_xml(style.stroke)
        );
    }

    /// Text with its baseline at `y`; `anchor` is `start`, `middle` or `end`; `class`
    /// picks one of the styles defined in [`Svg::finish`] (`name`, `detail`, `shape`,
    /// `title`, `note`).
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, class: &str, text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{}" class="{}">{}</text>"#,
            escape_xml(anchor),
            escape_xml(class),
            escape_xml(text)
        );
    }

    /// An arrow along the path `d` (SVG path data), with an arrowhead at its end.
    pub fn arrow(&mut self, d: &str) {
        let _ = writeln!(
            self.body,
            r##"<path d="{}" fill="none" stroke="#555555" stroke-width="1.4" marker-end="url(#head)"/>"##,
            escape_xml(d)
        );
    }

    /// A square-cornered cell filled with `fill` (any `#rrggbb`) and a light grey edge.
    pub fn fill(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        let _ = writeln!(
            self.body,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{}" stroke="#9a9a9a" stroke-width="0.8"/>"##,
            escape_xml(fill)
        );
    }

    /// A rectangle outline (no fill) of `stroke` with line width `width`, for
    /// highlighting a window.
    pub fn outline(&mut self, x: f64, y: f64, w: f64, h: f64, stroke: &'static str, width: f64) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="none" stroke="{}" stroke-width="{width:.1}"/>"#,
            escape_xml(stroke)
        );
    }

    /// A rectangle that stands for a named region of a drawing (`data-region`), so
    /// that tests can read its coordinates back: filled with `fill` (`none` for an
    /// outline), edged with `stroke` of line width `width`, dashed if `dashed`.
    #[allow(clippy::too_many_arguments)]
    pub fn region(
        &mut self,
        name: &str,
        (x, y, w, h): (f64, f64, f64, f64),
        fill: &str,
        stroke: &str,
        width: f64,
        dashed: bool,
    ) {
        let dash = if dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = writeln!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{}" stroke="{}" stroke-width="{width:.1}"{dash} data-region="{}"/>"#,
            escape_xml(fill),
            escape_xml(stroke),
            escape_xml(name)
        );
    }

    /// Start a group whose contents are shifted by (dx, dy): inside it, coordinates
    /// can be those of the thing drawn (a picture's pixels, say). Close it with
    /// [`Svg::end_group`].
    pub fn group(&mut self, dx: f64, dy: f64) {
        let _ = writeln!(self.body, r#"<g transform="translate({dx:.1} {dy:.1})">"#);
    }

    /// Close the group opened by [`Svg::group`].
    pub fn end_group(&mut self) {
        self.body.push_str("</g>\n");
    }

    /// The label of cell (`r`, `c`) of the drawn matrix `grid`, centred at (x, y): a
    /// `cell` text that carries its matrix and position (`data-grid`, `data-r`,
    /// `data-c`), so that tests can read a drawing's numbers back.
    #[allow(clippy::too_many_arguments)]
    pub fn cell(&mut self, x: f64, y: f64, grid: &str, r: usize, c: usize, text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" class="cell" data-grid="{}" data-r="{r}" data-c="{c}">{}</text>"#,
            escape_xml(grid),
            escape_xml(text)
        );
    }

    /// The complete document, with a `<title>` for screen readers and file browsers.
    pub fn finish(self, title: &str) -> String {
        let (w, h) = (self.width, self.height);
        format!(
            r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}">
<title>{title}</title>
<defs>
<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
<path d="M 0 0 L 10 5 L 0 10 z" fill="#555555"/>
</marker>
<style>
text {{ font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; fill: #222222; }}
.title {{ font-size: 19px; font-weight: bold; }}
.note {{ font-size: 13px; fill: #555555; }}
.block {{ font-size: 13px; font-weight: bold; fill: #666666; }}
.name {{ font-size: 15px; font-weight: bold; }}
.detail {{ font-size: 12.5px; fill: #444444; }}
.cell {{ font-size: 13px; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }}
.shape {{ font-size: 13.5px; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }}
</style>
</defs>
<rect x="0" y="0" width="{w:.0}" height="{h:.0}" fill="#ffffff"/>
{body}</svg>
"##,
            title = escape_xml(title),
            body = self.body
        )
    }
}
