//! Damaged TFRecord files: every kind of damage is an error naming the file, the record
//! index and the byte offset — never a panic, never an allocation sized by a length
//! read from the file — and `skip_bad` recovers what can be recovered.

use nst::formats::crc32c::masked_crc32c;
use nst::formats::tfrecord::inspect::{inspect_file, InspectOptions};
use nst::formats::tfrecord::record::frame_record;
use nst::formats::tfrecord::{Example, Feature, ImageStream, Record, RecordReader, StreamOptions};
use proptest::prelude::*;
use std::io::Cursor;
use std::path::PathBuf;

const NAME: &str = "bad.tfrecord";

fn file_of(payloads: &[&[u8]]) -> Vec<u8> {
    payloads.iter().flat_map(|p| frame_record(p)).collect()
}

/// Read everything; `Ok` records and error messages in order.
fn read(bytes: Vec<u8>, skip_bad: bool) -> (Vec<Record>, Vec<String>) {
    let mut r = RecordReader::new(Cursor::new(bytes), NAME)
        .unwrap()
        .skip_bad(skip_bad);
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for _ in 0..10_000 {
        match r.next_record() {
            Ok(Some(rec)) => ok.push(rec),
            Ok(None) => return (ok, bad),
            Err(e) => bad.push(e.0),
        }
    }
    panic!("reader did not terminate");
}

fn three() -> Vec<u8> {
    file_of(&[b"first", b"second record", b"third"])
}

// Record offsets in three(): 0, 21, 50; the file is 71 bytes long.

#[test]
fn good_file_reads_with_indices_and_offsets() {
    let (ok, bad) = read(three(), false);
    assert!(bad.is_empty());
    let got: Vec<(u64, u64, &[u8])> = ok
        .iter()
        .map(|r| (r.index, r.offset, &r.data[..]))
        .collect();
    assert_eq!(
        got,
        [
            (0, 0, &b"first"[..]),
            (1, 21, b"second record"),
            (2, 50, b"third")
        ]
    );
}

#[test]
fn truncated_record() {
    let mut f = three();
    f.truncate(f.len() - 3); // cut into the last record's data CRC
    let (ok, bad) = read(f.clone(), false);
    assert_eq!(ok.len(), 2);
    assert_eq!(
        bad,
        [
            "bad.tfrecord: record 2 at byte 50: truncated record: length field claims 5 bytes of \
          data (+4 CRC) but only 6 bytes remain in the file"
        ]
    );
    // Cut inside a header.
    f.truncate(55);
    let (_, bad) = read(f, true);
    assert_eq!(
        bad,
        ["bad.tfrecord: record 2 at byte 50: truncated header: 5 bytes left, a header needs 12"]
    );
}

#[test]
fn wrong_length_crc() {
    let mut f = three();
    f[21 + 9] ^= 0x40; // inside record 1's length CRC
    let (ok, bad) = read(f.clone(), false);
    assert_eq!(ok.len(), 1);
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].starts_with("bad.tfrecord: record 1 at byte 21: length CRC mismatch"),
        "{}",
        bad[0]
    );
    // Skipping: the reader searches forward and finds record "third" intact.
    let (ok, bad) = read(f, true);
    assert_eq!(bad.len(), 1);
    let data: Vec<&[u8]> = ok.iter().map(|r| &r.data[..]).collect();
    assert_eq!(data, [&b"first"[..], b"third"]);
    assert_eq!((ok[1].index, ok[1].offset), (2, 50));
}

#[test]
fn wrong_data_crc() {
    let mut f = three();
    f[21 + 12 + 3] ^= 1; // a byte of "second record"
    let (ok, bad) = read(f.clone(), false);
    assert_eq!(ok.len(), 1);
    assert!(
        bad[0].starts_with(
            "bad.tfrecord: record 1 at byte 21: data CRC mismatch over 13 bytes (stored 0x"
        ),
        "{}",
        bad[0]
    );
    let (ok, bad) = read(f.clone(), true);
    assert_eq!(bad.len(), 1);
    assert_eq!(ok.len(), 2);
    assert_eq!(ok[1].data, b"third");
    // A damaged footer (rather than data) is the same error.
    let mut g = three();
    g[49] ^= 0x80;
    let (_, bad) = read(g, false);
    assert!(
        bad[0].contains("record 1 at byte 21: data CRC mismatch"),
        "{}",
        bad[0]
    );
}

/// A header with a *valid* CRC over a huge length: the length is checked against the
/// bytes left before anything is allocated (an allocation of 2⁴⁰ or 2⁶² bytes would
/// abort the test process).
#[test]
fn length_field_claiming_gigabytes() {
    for claimed in [1u64 << 30, 1 << 40, 1 << 62, u64::MAX - 2, u64::MAX] {
        let mut f = frame_record(b"ok");
        let len = claimed.to_le_bytes();
        f.extend_from_slice(&len);
        f.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
        f.extend_from_slice(&[7u8; 100]);
        let (ok, bad) = read(f, true);
        assert_eq!(ok.len(), 1);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(
            bad[0].starts_with(&format!(
                "bad.tfrecord: record 1 at byte 18: truncated record: length field claims \
                 {claimed} bytes"
            )),
            "{}",
            bad[0]
        );
        assert!(
            bad[0].ends_with("but only 100 bytes remain in the file"),
            "{}",
            bad[0]
        );
    }
}

#[test]
fn garbage_bytes() {
    let junk: Vec<u8> = (0..200u32).map(|i| (i * 97 + 13) as u8).collect();
    let (ok, bad) = read(junk.clone(), false);
    assert!(ok.is_empty());
    assert!(bad[0].starts_with("bad.tfrecord: record 0 at byte 0: length CRC mismatch"));
    // Garbage between good records: skipped over, both records found.
    let mut f = frame_record(b"before");
    f.extend_from_slice(&junk);
    f.extend_from_slice(&frame_record(b"after"));
    let mut r = RecordReader::new(Cursor::new(f), NAME)
        .unwrap()
        .skip_bad(true);
    assert_eq!(r.next_record().unwrap().unwrap().data, b"before");
    let e = r.next_record().unwrap_err();
    assert!(
        e.0.contains("record 1 at byte 22: length CRC mismatch"),
        "{e}"
    );
    let after = r.next_record().unwrap().unwrap();
    assert_eq!((after.data.as_slice(), after.offset), (&b"after"[..], 222));
    assert_eq!(r.next_record().unwrap(), None);
    assert_eq!(r.skipped_bytes(), 199);
}

#[test]
fn empty_file_has_no_records() {
    assert_eq!(read(Vec::new(), false), (vec![], vec![]));
}

// ----- through files: inspect and the training stream ---------------------------------

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(format!("nst-tfr-bad-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tiny_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(5, 4, |x, y| image::Rgb([x as u8 * 50, y as u8 * 60, 9]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn image_example(encoded: Vec<u8>) -> Vec<u8> {
    Example::new()
        .with("image/encoded", Feature::Bytes(vec![encoded]))
        .encode()
}

#[test]
fn inspect_reports_each_bad_record_with_its_offset() {
    let t = TempDir::new("inspect");
    let good = image_example(tiny_png());
    let mut f = file_of(&[&good, b"\x08", &good]); // record 1: a truncated varint
    let second = frame_record(&good).len() + 13;
    let mut damaged = frame_record(&good);
    damaged[20] ^= 0xff;
    f.extend_from_slice(&damaged);
    let path = t.write("mixed.tfrecord", &f);
    let e = inspect_file(&path, InspectOptions::default()).unwrap_err();
    assert_eq!(
        e.0,
        format!(
            "{}: record 1 at byte {}: not a valid tf.train.Example: protobuf: truncated varint \
             at byte {}",
            path.display(),
            second - 13,
            second - 13 + 12 + 1
        )
    );
    let rep = inspect_file(
        &path,
        InspectOptions {
            skip_bad: true,
            show: 5,
        },
    )
    .unwrap();
    assert_eq!(rep.records, 3);
    assert_eq!(rep.not_examples, 1);
    assert_eq!(rep.bad.len(), 2);
    assert!(rep.bad[1].contains("record 3 at byte"), "{}", rep.bad[1]);
    assert!(rep.bad[1].contains("data CRC mismatch"), "{}", rep.bad[1]);
    assert_eq!(rep.samples.len(), 2);
    assert_eq!(rep.features["image/encoded"].records, 2);
}

fn stream_error(records: &[&[u8]], tag: &str) -> String {
    let t = TempDir::new(tag);
    let path = t.write("s.tfrecord", &file_of(records));
    let mut s = ImageStream::open(vec![path], StreamOptions::default()).unwrap();
    let mut last = None;
    for _ in 0..records.len() + 1 {
        match s.next_image() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                last = Some(e.0);
                break;
            }
        }
    }
    last.expect("an error")
}

#[test]
fn missing_or_wrongly_typed_image_field() {
    let no_image = Example::new()
        .with("label", Feature::Int64(vec![1]))
        .encode();
    let e = stream_error(&[&no_image], "missing");
    assert!(e.ends_with("s.tfrecord: record 0 at byte 0: missing feature 'image/encoded' (the example has: label)"), "{e}");
    let typed = Example::new()
        .with("image/encoded", Feature::Float(vec![1.0]))
        .encode();
    let e = stream_error(&[&typed], "typed");
    assert!(
        e.ends_with("record 0 at byte 0: feature 'image/encoded' is float list, expected bytes"),
        "{e}"
    );
}

#[test]
fn undecodable_image_inside_a_record() {
    let good = image_example(tiny_png());
    let mut png = tiny_png();
    png.truncate(40);
    let broken = image_example(png);
    let offset = frame_record(&good).len();
    // No shuffle buffer: the broken image comes second.
    let t = TempDir::new("undecodable");
    let path = t.write("s.tfrecord", &file_of(&[&good, &broken, &good]));
    let opts = StreamOptions {
        shuffle: false,
        ..Default::default()
    };
    let mut s = ImageStream::open(vec![path.clone()], opts.clone()).unwrap();
    assert_eq!(s.next_image().unwrap().unwrap().dim(), (4, 5, 3));
    let e = s.next_image().unwrap_err();
    assert!(
        e.0.starts_with(&format!(
            "{}: record 1 at byte {offset}: image/encoded: cannot decode the picture:",
            path.display()
        )),
        "{e}"
    );
    // With skip_bad the stream goes on, and counts the skip.
    let mut s = ImageStream::open(
        vec![path],
        StreamOptions {
            skip_bad: true,
            ..opts
        },
    )
    .unwrap();
    let mut n = 0;
    while s.next_image().unwrap().is_some() {
        n += 1;
    }
    assert_eq!((n, s.skipped()), (2, 1));
}

#[test]
fn repeat_over_nothing_usable_is_an_error_not_a_hang() {
    let t = TempDir::new("hang");
    let path = t.write("s.tfrecord", &file_of(&[b"\x0a\x00", b"\x0a\x00"]));
    let mut s = ImageStream::open(
        vec![path],
        StreamOptions {
            repeat: true,
            skip_bad: true,
            shuffle_buffer: 4,
            ..Default::default()
        },
    )
    .unwrap();
    let e = s.next_image().unwrap_err();
    assert!(e.0.contains("no decodable picture"), "{e}");
}

// ----- fuzzing ---------------------------------------------------------------------------

fn records() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..60), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    /// Arbitrary bytes: only errors come out, and the skipping reader terminates.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let (ok, _) = read(bytes.clone(), true);
        for rec in ok {
            let _ = Example::decode(&rec.data);
        }
        let _ = read(bytes, false);
    }

    /// Valid files of Examples with random byte flips: no panic; every record whose bytes
    /// were not touched is still found (the CRCs make a false match a 2⁻³² event), and
    /// every record returned is one that was written.
    #[test]
    fn flipped_files_recover_untouched_records(
        payloads in records(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..5),
    ) {
        let mut file = Vec::new();
        let mut spans = Vec::new();
        for p in &payloads {
            let ex = Example::new().with("x", Feature::Bytes(vec![p.clone()])).encode();
            let start = file.len();
            file.extend_from_slice(&frame_record(&ex));
            spans.push((start, file.len(), ex));
        }
        if file.is_empty() {
            return Ok(());
        }
        let mut touched = vec![false; file.len()];
        for (i, x) in &flips {
            let i = i.index(file.len());
            file[i] ^= x;
            touched[i] = true;
        }
        let (ok, _) = read(file, true);
        for rec in &ok {
            prop_assert!(spans.iter().any(|s| s.2 == rec.data));
            let ex = Example::decode(&rec.data).unwrap();
            prop_assert_eq!(ex.bytes_list("x").unwrap().len(), 1);
        }
        for (start, end, ex) in &spans {
            if !touched[*start..*end].iter().any(|&t| t) {
                prop_assert!(
                    ok.iter().any(|r| r.offset == *start as u64 && &r.data == ex),
                    "untouched record at {} lost", start
                );
            }
        }
    }
}
