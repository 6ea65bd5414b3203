//! `.npy` files (weights, pictures, generator tensors): header, dtype, shape, length.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(a) = nst::formats::npy::decode_f32(data, "fuzz.npy") {
            // Whatever decodes has exactly as many values as its shape says.
            assert_eq!(a.len(), a.shape().iter().product::<usize>());
        }
    });
}
