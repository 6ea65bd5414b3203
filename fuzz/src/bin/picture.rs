//! The picture loader: format sniffing, header, pixel limit, completeness, decoding.
use nst::formats::image_io::{decode_picture, LoadOptions};
use std::path::Path;

fn main() {
    let opts = LoadOptions {
        max_side: None,
        // Small, so that a claimed size cannot make one execution slow.
        max_pixels: 1 << 20,
    };
    afl::fuzz!(|data: &[u8]| {
        let _ = nst::formats::image_io::check_complete(data);
        if let Ok(img) = decode_picture(data, Path::new("fuzz"), &opts) {
            assert_eq!(img.dim().2, 3);
            assert!(img.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    });
}
