//! TFRecord framing: lengths, CRCs, resynchronisation after damage, then every record's
//! payload as a `tf.train.Example`.
use std::io::Cursor;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        for skip in [false, true] {
            let Ok(reader) =
                nst::formats::tfrecord::record::RecordReader::new(Cursor::new(data), "fuzz")
            else {
                continue;
            };
            let mut reader = reader.skip_bad(skip);
            // Each call consumes at least one byte or ends the file: bounded.
            for _ in 0..=data.len() {
                match reader.next_record() {
                    Ok(Some(r)) => {
                        let _ = nst::formats::tfrecord::Example::decode(&r.data);
                    }
                    Ok(None) => break,
                    Err(_) if skip => {}
                    Err(_) => break,
                }
            }
        }
    });
}
