//! ONNX weights import: ModelProto → GraphProto → TensorProto initializers, their values,
//! and the Keras-name mapping onto VGG's convolutions.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(inits) = nst::net::weights::onnx::read_initializers(data) {
            for t in &inits {
                let _ = t.to_f32();
            }
            let _ = nst::net::weights::onnx::keras_vgg_tensors(&inits);
        }
    });
}
