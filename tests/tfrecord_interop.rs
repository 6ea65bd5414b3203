//! TFRecord interoperability with TensorFlow, through committed fixtures written by
//! `scripts/reference/tfrecord_fixtures.py` (TensorFlow's own TFRecordWriter and
//! protobuf) and by `nst data pack` (checked by TensorFlow's parser, see
//! scripts/reference/README.md).

mod common;

use nst::formats::tfrecord::pack::{pack_dir, PackOptions};
use nst::formats::tfrecord::stream::decode_rgb;
use nst::formats::tfrecord::{Example, Feature, RecordReader};
use nst::math::rng::Rng;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The manifest's lines, split on tabs.
fn manifest() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(common::fixture("tfrecord/MANIFEST.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

/// One `example` manifest line as a Feature.
fn feature_from(kind: &str, n: usize, values: &str) -> Feature {
    let items: Vec<&str> = if n == 0 {
        Vec::new()
    } else {
        values.split(' ').collect()
    };
    assert_eq!(items.len(), n, "manifest count");
    match kind {
        "bytes" => Feature::Bytes(items.iter().map(|h| unhex(h)).collect()),
        "float" => Feature::Float(
            items
                .iter()
                .map(|h| f32::from_bits(u32::from_str_radix(h, 16).unwrap()))
                .collect(),
        ),
        "int64" => Feature::Int64(items.iter().map(|v| v.parse().unwrap()).collect()),
        "unset" => Feature::Unset,
        k => panic!("unknown kind {k}"),
    }
}

fn read_all(name: &str) -> Vec<nst::formats::tfrecord::Record> {
    let path = common::fixture(&format!("tfrecord/{name}"));
    let mut r = RecordReader::open(&path).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        out.push(rec);
    }
    out
}

/// Bit-exact comparison (so −0.0 ≠ 0.0 and NaN payloads count).
fn same_bits(a: &Feature, b: &Feature) -> bool {
    match (a, b) {
        (Feature::Float(x), Feature::Float(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
        }
        _ => a == b,
    }
}

#[test]
fn every_value_written_by_tensorflow_is_read_back() {
    let m = manifest();
    let records = read_all("from_tf.tfrecord");
    let count: usize = m
        .iter()
        .find(|l| l[0] == "count" && l[1] == "from_tf.tfrecord")
        .unwrap()[2]
        .parse()
        .unwrap();
    assert_eq!(records.len(), count);
    let mut want: Vec<BTreeMap<String, Feature>> = vec![BTreeMap::new(); count];
    let mut compared = 0;
    for l in m.iter().filter(|l| l[0] == "example") {
        let r: usize = l[1].parse().unwrap();
        let n: usize = l[4].parse().unwrap();
        want[r].insert(l[2].clone(), feature_from(&l[3], n, &l[5]));
    }
    for (rec, want) in records.iter().zip(&want) {
        let ex = Example::decode(&rec.data).unwrap();
        assert_eq!(
            ex.features.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "record {}",
            rec.index
        );
        for (k, f) in want {
            assert!(
                same_bits(&ex.features[k], f),
                "record {} feature {k}: got {:?}, want {f:?}",
                rec.index,
                ex.features[k]
            );
            compared += f.len();
        }
    }
    assert!(compared > 60, "compared only {compared} values");
    // The empty Example is a zero-length record.
    assert!(records[2].data.is_empty());
}

#[test]
fn encoding_is_byte_identical_to_tensorflow_deterministic_serialization() {
    let records = read_all("from_tf.tfrecord");
    for l in manifest().iter().filter(|l| l[0] == "serialized") {
        let r: usize = l[1].parse().unwrap();
        let want = unhex(&l[2]);
        let ex = Example::decode(&records[r].data).unwrap();
        assert_eq!(hex(&ex.encode()), hex(&want), "record {r}");
        // The file itself was written with deterministic serialization too.
        assert_eq!(records[r].data, want, "record {r}");
    }
}

#[test]
fn raw_records_of_many_lengths_match() {
    let records = read_all("from_tf_raw.tfrecord");
    let raws: Vec<_> = manifest().into_iter().filter(|l| l[0] == "raw").collect();
    assert_eq!(records.len(), raws.len());
    let mut offset = 0u64;
    for (rec, l) in records.iter().zip(&raws) {
        assert_eq!(rec.data.len(), l[2].parse::<usize>().unwrap());
        assert_eq!(hex(&Sha256::digest(&rec.data)), l[3]);
        assert_eq!(rec.offset, offset);
        offset += rec.data.len() as u64 + 16;
        // Our framing of the same payload is byte-identical to TensorFlow's.
        let file = std::fs::read(common::fixture("tfrecord/from_tf_raw.tfrecord")).unwrap();
        let start = rec.offset as usize;
        assert_eq!(
            nst::formats::tfrecord::record::frame_record(&rec.data),
            file[start..start + rec.data.len() + 16]
        );
    }
}

#[test]
fn pngs_encoded_by_tensorflow_decode_to_the_same_pixels() {
    let records = read_all("from_tf.tfrecord");
    for l in manifest().iter().filter(|l| l[0] == "pixels") {
        let r: usize = l[1].rsplit('@').next().unwrap().parse().unwrap();
        let (h, w, c): (usize, usize, usize) = (
            l[2].parse().unwrap(),
            l[3].parse().unwrap(),
            l[4].parse().unwrap(),
        );
        let px = unhex(&l[5]);
        let ex = Example::decode(&records[r].data).unwrap();
        let img = decode_rgb(
            ex.single_bytes("image/encoded").unwrap(),
            None,
            &mut Rng::new(0),
        )
        .unwrap();
        assert_eq!(img.dim(), (h, w, 3));
        for ((y, x, ch), v) in img.indexed_iter() {
            // Grey is replicated to R, G and B.
            let src = px[(y * w + x) * c + if c == 1 { 0 } else { ch }];
            assert_eq!(
                *v,
                f32::from(src) / 255.0,
                "record {r} pixel ({y},{x},{ch})"
            );
        }
    }
}

#[test]
fn packing_the_fixture_pictures_reproduces_from_nst_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("nst-tfr-interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out: PathBuf = dir.join("again.tfrecord");
    let s = pack_dir(
        &common::fixture("tfrecord/images"),
        &out,
        &PackOptions::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(s.packed(), 4);
    assert_eq!(s.skipped.len(), 1);
    assert!(s.skipped[0].path.ends_with("notes.txt"));
    let again = std::fs::read(&out).unwrap();
    let committed = std::fs::read(common::fixture("tfrecord/from_nst.tfrecord")).unwrap();
    assert!(again == committed, "from_nst.tfrecord is out of date");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn from_nst_holds_what_tensorflow_was_shown() {
    // The values TensorFlow checked (scripts/reference/README.md), from the manifest's
    // `picture` lines: format and decoded shape per file.
    let pictures: BTreeMap<String, Vec<String>> = manifest()
        .into_iter()
        .filter(|l| l[0] == "picture")
        .map(|l| (l[1].clone(), l[2..].to_vec()))
        .collect();
    let records = read_all("from_nst.tfrecord");
    assert_eq!(records.len(), pictures.len());
    for rec in &records {
        let ex = Example::decode(&rec.data).unwrap();
        let name = String::from_utf8(ex.single_bytes("image/filename").unwrap().to_vec()).unwrap();
        let p = &pictures[&name];
        assert_eq!(ex.single_bytes("image/format").unwrap(), p[0].as_bytes());
        let shape = [
            ex.single_int64("image/height").unwrap(),
            ex.single_int64("image/width").unwrap(),
            ex.single_int64("image/channels").unwrap(),
        ];
        let want: Vec<i64> = p[1..].iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(shape.to_vec(), want, "{name}");
        let file = std::fs::read(common::fixture(&format!("tfrecord/images/{name}"))).unwrap();
        assert_eq!(ex.single_bytes("image/encoded").unwrap(), &file[..]);
    }
}
