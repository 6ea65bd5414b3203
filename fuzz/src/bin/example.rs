//! The protobuf reader through `tf.train.Example` decoding and the accessors the
//! training stream uses.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(ex) = nst::formats::tfrecord::Example::decode(data) {
            let _ = ex.single_bytes("image/encoded");
            let _ = ex.single_int64("image/height");
            let _ = ex.float_list("x");
            let _ = ex.encode();
        }
        let _ = nst::formats::tfrecord::Example::decode_at(data, 12);
    });
}
