//! How `nst` reads flag values, in one place.
//!
//! One rule for every flag:
//!
//! - a type of the library that a flag names (padding, normalisation, activation,
//!   convolution algorithm, loss preset, preprocessing convention, drawing format, …)
//!   implements `std::str::FromStr` next to its definition, and clap calls it by itself:
//!   the field is declared with its type and no `value_parser`;
//! - a choice that exists only on the command line is a `clap::ValueEnum` (clap lists its
//!   values in `--help`);
//! - everything else is here: numbers with a range, sizes, layer lists and layer weights,
//!   as functions named by `value_parser = …` or as the `FromStr` of this module's types.
//!
//! Each error is one phrase saying what is wrong with the value; clap puts the flag in
//! front of it (`error: invalid value '-5' for '--size <N>': …`).

use std::str::FromStr;

/// `N` (square) or `WxH` (width × height, as in 512x384), as (height, width).
pub fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let bad = || {
        format!("'{s}' is not a size (expected N or WxH with positive whole numbers, e.g. 256 or 512x384)")
    };
    let parts: Vec<&str> = s.split(['x', 'X', '×']).collect();
    let nums: Vec<usize> = parts
        .iter()
        .map(|p| p.trim().parse::<usize>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    match nums.as_slice() {
        [n] if *n > 0 => Ok((*n, *n)),
        [w, h] if *h > 0 && *w > 0 => Ok((*h, *w)),
        _ => Err(bad()),
    }
}

/// A positive size in pixels.
pub fn parse_side(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("'{s}' is not a positive whole number of pixels")),
    }
}

/// A whole number ≥ 1.
pub fn parse_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("'{s}' is not a whole number ≥ 1")),
    }
}

/// A finite number > 0.
pub fn parse_positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a finite number > 0")),
    }
}

/// A finite number ≥ 0.
pub fn parse_nonneg(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a finite number ≥ 0")),
    }
}

/// Why a loss weight above `f32::MAX` is refused.
const TOO_LARGE: &str = "is too large: gradients are computed in f32 as the weight times \
    the term's gradient, which overflows past 3.4e38 (the largest f32), so a weight must lie \
    in [0, 3.4e38], and far below in practice (the run checks the starting picture's \
    gradient against it)";

/// A loss weight: a finite number ≥ 0 that fits in f32.
pub fn parse_loss_weight(s: &str) -> Result<f64, String> {
    let v = parse_nonneg(s)?;
    if v > f64::from(f32::MAX) {
        return Err(format!("'{s}' {TOO_LARGE}"));
    }
    Ok(v)
}

/// A GEMM size `MxKxN` (three whole numbers ≥ 1), as (M, K, N).
pub fn parse_gemm(s: &str) -> Result<(usize, usize, usize), String> {
    let dims: Option<Vec<usize>> = s
        .split('x')
        .map(|d| d.trim().parse().ok().filter(|&n| n >= 1))
        .collect();
    match dims.as_deref() {
        Some(&[m, k, n]) => Ok((m, k, n)),
        _ => Err(format!(
            "'{s}' is not a GEMM size (expected MxKxN with whole numbers ≥ 1, e.g. 64x576x65536)"
        )),
    }
}

/// A comma-separated list of layer names (`relu1_1,relu4_2`).
#[derive(Clone, Debug)]
pub struct LayerList(pub Vec<String>);

impl FromStr for LayerList {
    type Err = String;

    /// Parse `relu1_1,relu4_2` (spaces and empty items ignored).
    fn from_str(s: &str) -> Result<Self, String> {
        let names: Vec<String> = s
            .split(',')
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            return Err("expected at least one layer name, e.g. relu1_1,relu4_2".into());
        }
        Ok(LayerList(names))
    }
}

/// `name[:weight],…` — layers with optional weights.
#[derive(Clone, Debug)]
pub struct LayerWeights(pub Vec<(String, Option<f64>)>);

impl FromStr for LayerWeights {
    type Err = String;

    /// Parse `relu1_1:0.2,relu2_1,…`; each weight a loss weight ([`parse_loss_weight`]).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match item.split_once(':') {
                Some((name, w)) => {
                    let w: f64 = w
                        .trim()
                        .parse()
                        .map_err(|_| format!("'{w}' in '{item}' is not a number"))?;
                    if !w.is_finite() || w < 0.0 {
                        return Err(format!(
                            "layer weight {w} in '{item}' must be a finite number ≥ 0"
                        ));
                    }
                    if w > f64::from(f32::MAX) {
                        return Err(format!("layer weight {w:e} in '{item}' {TOO_LARGE}"));
                    }
                    out.push((name.trim().to_string(), Some(w)));
                }
                None => out.push((item.to_string(), None)),
            }
        }
        if out.is_empty() {
            return Err("expected at least one layer, e.g. relu1_1,relu2_1 or relu4_2:1.0".into());
        }
        Ok(LayerWeights(out))
    }
}

/// Comma-separated blend weights for several styles (`0.7,0.3`).
#[derive(Clone, Debug)]
pub struct Blend(pub Vec<f64>);

impl FromStr for Blend {
    type Err = String;

    /// Parse `0.7,0.3`: finite numbers ≥ 0, not all zero.
    fn from_str(s: &str) -> Result<Self, String> {
        let ws: Vec<f64> = s
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(parse_nonneg)
            .collect::<Result<_, _>>()?;
        if ws.is_empty() {
            return Err("the style-weight list is empty (expected e.g. 0.7,0.3)".into());
        }
        if ws.iter().sum::<f64>() <= 0.0 {
            return Err("style weights must not all be zero".into());
        }
        Ok(Blend(ws))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("256"), Ok((256, 256)));
        assert_eq!(parse_size("512x384"), Ok((384, 512)));
        assert_eq!(parse_size("512×384"), Ok((384, 512)));
        for bad in ["0", "-5", "12x0", "1x2x3", "", "big"] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.contains(&format!("'{bad}' is not a size")), "{e}");
        }
    }

    #[test]
    fn numbers_keep_their_ranges() {
        assert_eq!(parse_side("1"), Ok(1));
        assert!(parse_side("0").unwrap_err().contains("positive"));
        assert!(parse_count("0").unwrap_err().contains("≥ 1"));
        assert!(parse_positive("0").is_err() && parse_positive("inf").is_err());
        assert_eq!(parse_nonneg("0"), Ok(0.0));
        assert!(parse_nonneg("-1").unwrap_err().contains("≥ 0"));
        assert_eq!(parse_loss_weight("1e38"), Ok(1e38));
        assert!(parse_loss_weight("1e39").unwrap_err().contains("too large"));
    }

    #[test]
    fn gemm_sizes() {
        assert_eq!(parse_gemm("64x576x65536"), Ok((64, 576, 65536)));
        for bad in ["64x576", "64x0x5", "axbxc", "1x2x3x4"] {
            assert!(parse_gemm(bad).unwrap_err().contains("MxKxN"), "{bad}");
        }
    }

    #[test]
    fn layer_lists_and_weights() {
        let l: LayerList = " relu1_1, relu4_2 ,".parse().unwrap();
        assert_eq!(l.0, ["relu1_1", "relu4_2"]);
        assert!(",".parse::<LayerList>().is_err());
        let w: LayerWeights = "relu1_1:0.2,relu2_1".parse().unwrap();
        assert_eq!(
            w.0,
            [
                ("relu1_1".to_string(), Some(0.2)),
                ("relu2_1".to_string(), None)
            ]
        );
        let e = "relu1_1:x".parse::<LayerWeights>().unwrap_err();
        assert!(e.contains("not a number"), "{e}");
        let e = "relu1_1:-1".parse::<LayerWeights>().unwrap_err();
        assert!(e.contains("≥ 0"), "{e}");
        let e = "relu1_1:1e39".parse::<LayerWeights>().unwrap_err();
        assert!(e.contains("too large"), "{e}");
        assert_eq!("0.7, 0.3".parse::<Blend>().unwrap().0, [0.7, 0.3]);
        assert!("".parse::<Blend>().unwrap_err().contains("empty"));
        assert!("0,0".parse::<Blend>().unwrap_err().contains("all be zero"));
    }
}
