//! Pictures in and out: load as `H×W×3` RGB in [0, 1], resize, save.
//!
//! Everything in the crate that touches pixels works on `Array3<f32>` of shape
//! `[height, width, 3]`, channels R, G, B, values in [0, 1]. Turning that into a network
//! input is the weight set's business ([`crate::net::weights::Convention`]), not this module's.
//!
//! Files come from users, so every failure — missing, unreadable, not a picture,
//! truncated, empty, absurdly large — is one line naming the file and the problem.

pub mod color;
mod complete;
mod load;
mod resize;
mod save;

pub use crate::formats::files::check_writable;
pub use complete::check_complete;
pub use load::{decode_picture, load_rgb, LoadOptions, DEFAULT_MAX_PIXELS};
pub use resize::{longest_side_dims, resize, resize_wrapped, scale_to_longest};
pub use save::{check_output, png_bytes, save_rgb};

#[cfg(test)]
mod tests;
