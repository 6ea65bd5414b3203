//! Colour transforms for `--original-colors`: keep the content picture's colours and take
//! only the luminance from the stylised result (Gatys, Bethge, Hertzmann & Shechtman,
//! "Preserving Color in Neural Artistic Style Transfer", 2016, luminance-only transfer
//! applied after optimisation, as neural-style's `-original_colors 1` does).
//!
//! YIQ separates luminance `Y` from two chroma channels `I`, `Q` by a fixed linear map.

use ndarray::{Array3, ArrayView3, Zip};

const TO_YIQ: [[f32; 3]; 3] = [
    [0.299, 0.587, 0.114],
    [0.595_716, -0.274_453, -0.321_263],
    [0.211_456, -0.522_591, 0.311_135],
];

/// Inverse of [`TO_YIQ`] (to f32 precision).
const TO_RGB: [[f32; 3]; 3] = [
    [1.0, 0.956_3, 0.621_0],
    [1.0, -0.272_1, -0.647_4],
    [1.0, -1.107_0, 1.704_6],
];

fn apply(m: &[[f32; 3]; 3], p: [f32; 3]) -> [f32; 3] {
    [0, 1, 2].map(|r| m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2])
}

/// `H×W×3` RGB → YIQ.
pub fn rgb_to_yiq(rgb: ArrayView3<f32>) -> Array3<f32> {
    map_pixels(rgb, &TO_YIQ)
}

/// `H×W×3` YIQ → RGB.
pub fn yiq_to_rgb(yiq: ArrayView3<f32>) -> Array3<f32> {
    map_pixels(yiq, &TO_RGB)
}

fn map_pixels(img: ArrayView3<f32>, m: &[[f32; 3]; 3]) -> Array3<f32> {
    let mut out = Array3::zeros(img.raw_dim());
    Zip::from(out.lanes_mut(ndarray::Axis(2)))
        .and(img.lanes(ndarray::Axis(2)))
        .for_each(|mut o, i| {
            let r = apply(m, [i[0], i[1], i[2]]);
            o.assign(&ndarray::arr1(&r));
        });
    out
}

// ANCHOR: original_colors
/// The stylised picture's luminance with the content picture's chroma (same sizes).
pub fn original_colors(content: ArrayView3<f32>, styled: ArrayView3<f32>) -> Array3<f32> {
    assert_eq!(content.dim(), styled.dim(), "original_colors: sizes differ");
    let mut yiq = rgb_to_yiq(content);
    let styled_y = rgb_to_yiq(styled);
    yiq.index_axis_mut(ndarray::Axis(2), 0)
        .assign(&styled_y.index_axis(ndarray::Axis(2), 0));
    yiq_to_rgb(yiq.view())
}
// ANCHOR_END: original_colors

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::rng::Rng;

    #[test]
    fn yiq_round_trips() {
        let rgb: Array3<f32> = Rng::new(1).uniform_array((4, 5, 3), 0.0, 1.0);
        let back = yiq_to_rgb(rgb_to_yiq(rgb.view()).view());
        assert!(crate::math::tensor::max_abs_diff(&rgb.view(), &back.view()) < 2e-3);
    }

    #[test]
    fn original_colors_keeps_content_chroma_and_styled_luminance() {
        let mut rng = Rng::new(2);
        let c: Array3<f32> = rng.uniform_array((3, 3, 3), 0.0, 1.0);
        let s: Array3<f32> = rng.uniform_array((3, 3, 3), 0.0, 1.0);
        let out = rgb_to_yiq(original_colors(c.view(), s.view()).view());
        let (cy, sy) = (rgb_to_yiq(c.view()), rgb_to_yiq(s.view()));
        for ((i, j, k), v) in out.indexed_iter() {
            let want = if k == 0 { sy[[i, j, k]] } else { cy[[i, j, k]] };
            assert!((v - want).abs() < 2e-3);
        }
    }
}
