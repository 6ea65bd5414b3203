//! `tf.train.Example` in the protobuf wire format, encoded and decoded by hand.
//!
//! The schema (TensorFlow's `example.proto` and `feature.proto`):
//!
//! ```text
//! message Example   { Features features = 1; }
//! message Features  { map<string, Feature> feature = 1; }
//! message Feature   { oneof kind { BytesList bytes_list = 1;
//!                                  FloatList float_list = 2;
//!                                  Int64List int64_list = 3; } }
//! message BytesList { repeated bytes value = 1; }
//! message FloatList { repeated float value = 1 [packed = true]; }
//! message Int64List { repeated int64 value = 1 [packed = true]; }
//! ```
//!
//! A `map<K, V>` is sent as repeated entry messages `{ K key = 1; V value = 2; }`.
//! Decoding follows protobuf's rules: unknown fields are skipped; repeated scalars are
//! accepted packed (one length-delimited blob) or unpacked (one field per value);
//! a later map entry with the same key replaces an earlier one; a repeated sub-message
//! field merges (two `int64_list`s concatenate); a different `oneof` member replaces the
//! earlier one. `int64` is plain two's complement in a varint (not zigzag), so −1 takes
//! ten bytes.

use crate::error::{Error, Result};
use crate::formats::protobuf::{
    packed_fixed32, packed_varints, put_bytes_field, put_packed_fixed32, put_packed_varints, Field,
    Reader, Value,
};
use std::collections::BTreeMap;

/// One named feature: a list of byte strings, floats or 64-bit integers.
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    /// `bytes_list`: raw bytes (encoded pictures, UTF-8 text, …).
    Bytes(Vec<Vec<u8>>),
    /// `float_list`: 32-bit floats.
    Float(Vec<f32>),
    /// `int64_list`: signed 64-bit integers.
    Int64(Vec<i64>),
    /// A `Feature` message with none of the three lists set (the schema allows it).
    Unset,
}

impl Feature {
    /// The short type name used in messages and by `nst data inspect`: `bytes`, `float`,
    /// `int64` or `unset`.
    pub fn kind(&self) -> &'static str {
        match self {
            Feature::Bytes(_) => "bytes",
            Feature::Float(_) => "float",
            Feature::Int64(_) => "int64",
            Feature::Unset => "unset",
        }
    }

    /// Number of values in the list.
    pub fn len(&self) -> usize {
        match self {
            Feature::Bytes(v) => v.len(),
            Feature::Float(v) => v.len(),
            Feature::Int64(v) => v.len(),
            Feature::Unset => 0,
        }
    }

    /// Is the list empty (or unset)?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A `tf.train.Example`: named features, kept sorted by name (so encoding is
/// deterministic, matching TensorFlow's `SerializeToString(deterministic=True)`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Example {
    /// The feature map.
    pub features: BTreeMap<String, Feature>,
}

impl Example {
    /// An empty example.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a feature, builder style.
    pub fn with(mut self, key: impl Into<String>, feature: Feature) -> Self {
        self.features.insert(key.into(), feature);
        self
    }

    /// The feature called `key`, or an error saying it is missing.
    pub fn get(&self, key: &str) -> Result<&Feature> {
        self.features.get(key).ok_or_else(|| {
            let names: Vec<&str> = self.features.keys().map(String::as_str).collect();
            Error(format!(
                "missing feature '{key}' (the example has: {})",
                if names.is_empty() {
                    "no features".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })
    }

    /// The byte strings of `key`, or an error if it is missing or not a `bytes_list`.
    pub fn bytes_list(&self, key: &str) -> Result<&[Vec<u8>]> {
        match self.get(key)? {
            Feature::Bytes(v) => Ok(v),
            other => Err(wrong_kind(key, "bytes", other)),
        }
    }

    /// The floats of `key`, or an error if it is missing or not a `float_list`.
    pub fn float_list(&self, key: &str) -> Result<&[f32]> {
        match self.get(key)? {
            Feature::Float(v) => Ok(v),
            other => Err(wrong_kind(key, "float", other)),
        }
    }

    /// The integers of `key`, or an error if it is missing or not an `int64_list`.
    pub fn int64_list(&self, key: &str) -> Result<&[i64]> {
        match self.get(key)? {
            Feature::Int64(v) => Ok(v),
            other => Err(wrong_kind(key, "int64", other)),
        }
    }

    /// The single byte string of `key` (a list of exactly one).
    pub fn single_bytes(&self, key: &str) -> Result<&[u8]> {
        match self.bytes_list(key)? {
            [one] => Ok(one),
            v => Err(Error(format!(
                "feature '{key}' should hold one value, has {}",
                v.len()
            ))),
        }
    }

    /// The single integer of `key` (a list of exactly one).
    pub fn single_int64(&self, key: &str) -> Result<i64> {
        match self.int64_list(key)? {
            [one] => Ok(*one),
            v => Err(Error(format!(
                "feature '{key}' should hold one value, has {}",
                v.len()
            ))),
        }
    }

    /// The serialized message.
    pub fn encode(&self) -> Vec<u8> {
        encode_example(self)
    }

    /// Parse a serialized message.
    pub fn decode(buf: &[u8]) -> Result<Example> {
        Self::decode_at(buf, 0)
    }

    /// Parse a serialized message that starts at byte `base` of a file, so that error
    /// offsets are positions in that file.
    pub fn decode_at(buf: &[u8], base: usize) -> Result<Example> {
        decode_example(Reader::with_base(buf, base))
            .map_err(|e| Error(format!("not a valid tf.train.Example: {e}")))
    }
}

fn wrong_kind(key: &str, want: &str, got: &Feature) -> Error {
    match got {
        Feature::Unset => Error(format!("feature '{key}' has no list set, expected {want}")),
        _ => Error(format!(
            "feature '{key}' is {} list, expected {want}",
            got.kind()
        )),
    }
}

// ANCHOR: example_encode
/// Example → bytes. Every level is a length-delimited field wrapping the level below:
/// `Example.features(1) { Features.feature(1) { key(1), value(2): Feature { list(n) {
/// value(1) … } } } … }`.
fn encode_example(ex: &Example) -> Vec<u8> {
    let mut features = Vec::new();
    for (key, feature) in &ex.features {
        let mut entry = Vec::new();
        put_bytes_field(&mut entry, 1, key.as_bytes());
        put_bytes_field(&mut entry, 2, &encode_feature(feature));
        put_bytes_field(&mut features, 1, &entry);
    }
    // An Example without features is the empty message (as TensorFlow writes it).
    let mut out = Vec::with_capacity(features.len() + 8);
    if !ex.features.is_empty() {
        put_bytes_field(&mut out, 1, &features);
    }
    out
}

/// One `Feature` message: the chosen list as field 1, 2 or 3. Scalars are packed, and an
/// empty packed list is omitted altogether (as protobuf does), leaving an empty list
/// message that still marks which `oneof` member is set.
fn encode_feature(feature: &Feature) -> Vec<u8> {
    let mut list = Vec::new();
    let number = match feature {
        Feature::Bytes(values) => {
            for v in values {
                put_bytes_field(&mut list, 1, v);
            }
            1
        }
        Feature::Float(values) => {
            if !values.is_empty() {
                let bits: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
                put_packed_fixed32(&mut list, 1, &bits);
            }
            2
        }
        Feature::Int64(values) => {
            if !values.is_empty() {
                // int64 is two's complement reinterpreted as u64 (not zigzag).
                let raw: Vec<u64> = values.iter().map(|&v| v as u64).collect();
                put_packed_varints(&mut list, 1, &raw);
            }
            3
        }
        Feature::Unset => return Vec::new(),
    };
    let mut out = Vec::with_capacity(list.len() + 6);
    put_bytes_field(&mut out, number, &list);
    out
}
// ANCHOR_END: example_encode

// ANCHOR: example_decode
fn decode_example(mut r: Reader<'_>) -> Result<Example> {
    let mut ex = Example::new();
    while let Some(f) = r.next_field()? {
        if f.number == 1 {
            // Features; a repeated occurrence merges into the same map.
            let mut fr = f.reader()?;
            while let Some(entry) = fr.next_field()? {
                if entry.number == 1 {
                    let (key, feature) = decode_entry(&entry)?;
                    ex.features.insert(key, feature);
                }
            }
        }
    }
    Ok(ex)
}

/// One map entry `{ string key = 1; Feature value = 2; }`; both may be absent
/// (meaning "" and an unset Feature).
fn decode_entry(entry: &Field<'_>) -> Result<(String, Feature)> {
    let mut r = entry.reader()?;
    let (mut key, mut feature) = (String::new(), Feature::Unset);
    while let Some(f) = r.next_field()? {
        match f.number {
            1 => key = f.string()?.to_string(),
            2 => feature = decode_feature(&f, feature)?,
            _ => {}
        }
    }
    Ok((key, feature))
}

/// A `Feature` message, merged into `prev` (protobuf's rule when a message field repeats).
fn decode_feature(field: &Field<'_>, mut prev: Feature) -> Result<Feature> {
    let mut r = field.reader()?;
    while let Some(list) = r.next_field()? {
        if !(1..=3).contains(&list.number) {
            continue; // unknown field
        }
        let mut lr = list.reader()?;
        // A different oneof member replaces the previous one; the same one merges.
        let mut cur = match (list.number, prev) {
            (1, Feature::Bytes(v)) => Feature::Bytes(v),
            (1, _) => Feature::Bytes(Vec::new()),
            (2, Feature::Float(v)) => Feature::Float(v),
            (2, _) => Feature::Float(Vec::new()),
            (_, Feature::Int64(v)) => Feature::Int64(v),
            (_, _) => Feature::Int64(Vec::new()),
        };
        while let Some(v) = lr.next_field()? {
            if v.number == 1 {
                push_values(&mut cur, &v)?;
            }
        }
        prev = cur;
    }
    Ok(prev)
}

/// Append one `value` field to a list: a single unpacked value, or a packed run.
fn push_values(list: &mut Feature, v: &Field<'_>) -> Result<()> {
    let wrong = |what: &str| {
        Error(format!(
            "protobuf: {what} value at byte {} has wire type {:?}",
            v.offset,
            v.value.wire_type()
        ))
    };
    match (list, v.value) {
        (Feature::Bytes(out), Value::Len(b)) => out.push(b.to_vec()),
        (Feature::Bytes(_), _) => return Err(wrong("bytes_list")),
        (Feature::Float(out), Value::Fixed32(bits)) => out.push(f32::from_bits(bits)),
        (Feature::Float(out), Value::Len(_)) => {
            out.extend(packed_fixed32(v)?.into_iter().map(f32::from_bits))
        }
        (Feature::Float(_), _) => return Err(wrong("float_list")),
        (Feature::Int64(out), Value::Varint(x)) => out.push(x as i64),
        (Feature::Int64(out), Value::Len(_)) => {
            out.extend(packed_varints(v)?.into_iter().map(|x| x as i64))
        }
        (Feature::Int64(_), _) => return Err(wrong("int64_list")),
        (Feature::Unset, _) => unreachable!("lists are created before values are pushed"),
    }
    Ok(())
}
// ANCHOR_END: example_decode

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::protobuf::{put_fixed32_field, put_varint_field};
    use proptest::prelude::*;

    fn sample() -> Example {
        Example::new()
            .with(
                "image/encoded",
                Feature::Bytes(vec![vec![0x89, b'P', b'N', b'G'], vec![]]),
            )
            .with("image/height", Feature::Int64(vec![480]))
            .with("big", Feature::Int64(vec![-1, i64::MIN, i64::MAX, 0]))
            .with("floats", Feature::Float(vec![1.5, -0.0, f32::MAX, 1e-30]))
            .with("empty", Feature::Float(vec![]))
            .with("nothing", Feature::Unset)
    }

    #[test]
    fn round_trip() {
        let ex = sample();
        assert_eq!(Example::decode(&ex.encode()).unwrap(), ex);
    }

    #[test]
    fn hand_assembled_bytes() {
        // {"a": int64_list [1, -1]} spelled out byte by byte.
        let ex = Example::new().with("a", Feature::Int64(vec![1, -1]));
        let int_list = [[0x0a, 11, 1].as_slice(), &[0xff; 9], &[0x01]].concat();
        let feature = [[0x1a, 13].as_slice(), &int_list].concat();
        let entry = [[0x0a, 1, b'a', 0x12, 15].as_slice(), &feature].concat();
        let features = [[0x0a, 20].as_slice(), &entry].concat();
        let want = [[0x0a, 22].as_slice(), &features].concat();
        assert_eq!(ex.encode(), want);
    }

    /// Build a Feature message from raw list bytes.
    fn feature_msg(number: u32, list: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        put_bytes_field(&mut f, number, list);
        f
    }

    fn example_with(key: &str, feature: &[u8]) -> Vec<u8> {
        let mut entry = Vec::new();
        put_bytes_field(&mut entry, 1, key.as_bytes());
        put_bytes_field(&mut entry, 2, feature);
        let mut features = Vec::new();
        put_bytes_field(&mut features, 1, &entry);
        let mut ex = Vec::new();
        put_varint_field(&mut ex, 7, 99); // unknown field, skipped
        put_bytes_field(&mut ex, 1, &features);
        ex
    }

    #[test]
    fn unpacked_scalars_and_unknown_fields_are_accepted() {
        let mut floats = Vec::new();
        put_fixed32_field(&mut floats, 1, 2.5f32.to_bits());
        put_varint_field(&mut floats, 9, 1); // unknown
        put_packed_fixed32(&mut floats, 1, &[3.0f32.to_bits(), 4.0f32.to_bits()]);
        let ex = Example::decode(&example_with("f", &feature_msg(2, &floats))).unwrap();
        assert_eq!(ex.float_list("f").unwrap(), [2.5, 3.0, 4.0]);

        let mut ints = Vec::new();
        put_varint_field(&mut ints, 1, (-5i64) as u64);
        put_packed_varints(&mut ints, 1, &[7, 8]);
        let ex = Example::decode(&example_with("i", &feature_msg(3, &ints))).unwrap();
        assert_eq!(ex.int64_list("i").unwrap(), [-5, 7, 8]);
    }

    #[test]
    fn oneof_merge_and_replace() {
        let mut ints = Vec::new();
        put_packed_varints(&mut ints, 1, &[1]);
        let mut more = Vec::new();
        put_packed_varints(&mut more, 1, &[2]);
        let feature = [feature_msg(3, &ints), feature_msg(3, &more)].concat();
        let ex = Example::decode(&example_with("k", &feature)).unwrap();
        assert_eq!(ex.int64_list("k").unwrap(), [1, 2]);
        let replaced = [feature_msg(3, &ints), feature_msg(1, &[])].concat();
        let ex = Example::decode(&example_with("k", &replaced)).unwrap();
        assert_eq!(ex.bytes_list("k").unwrap().len(), 0);
    }

    #[test]
    fn missing_and_wrongly_typed_features_are_named() {
        let ex = sample();
        let e = ex.int64_list("image/width").unwrap_err();
        assert!(e.0.contains("missing feature 'image/width'"), "{e}");
        let e = ex.bytes_list("image/height").unwrap_err();
        assert_eq!(e.0, "feature 'image/height' is int64 list, expected bytes");
        let e = ex.single_bytes("image/encoded").unwrap_err();
        assert!(e.0.contains("should hold one value, has 2"), "{e}");
    }

    #[test]
    fn wrong_wire_types_are_errors_with_offsets() {
        // A float_list whose value is a varint.
        let mut list = Vec::new();
        put_varint_field(&mut list, 1, 3);
        let bytes = example_with("f", &feature_msg(2, &list));
        let e = Example::decode_at(&bytes, 1000).unwrap_err();
        assert!(e.0.contains("float_list value at byte 1014"), "{e}");
        // Example.features as a varint.
        let e = Example::decode(&[0x08, 0x01]).unwrap_err();
        assert!(e.0.contains("should be length-delimited"), "{e}");
        // Key not UTF-8.
        let mut entry = Vec::new();
        put_bytes_field(&mut entry, 1, &[0xff, 0xfe]);
        let mut features = Vec::new();
        put_bytes_field(&mut features, 1, &entry);
        let mut ex = Vec::new();
        put_bytes_field(&mut ex, 1, &features);
        assert!(Example::decode(&ex).unwrap_err().0.contains("UTF-8"));
    }

    fn feature() -> impl Strategy<Value = Feature> {
        use proptest::collection::vec;
        prop_oneof![
            vec(vec(any::<u8>(), 0..20), 0..4).prop_map(Feature::Bytes),
            vec(any::<i64>(), 0..6).prop_map(Feature::Int64),
            // Finite floats so that PartialEq is a fair comparison.
            vec(-1e30f32..1e30, 0..6).prop_map(Feature::Float),
            Just(Feature::Unset),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_examples_round_trip(
            map in proptest::collection::btree_map("[a-z/_]{0,12}", feature(), 0..6)
        ) {
            let ex = Example { features: map };
            prop_assert_eq!(Example::decode(&ex.encode()).unwrap(), ex);
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Example::decode(&b);
        }

        #[test]
        fn flipped_bytes_never_panic(
            map in proptest::collection::btree_map("[a-z]{1,6}", feature(), 1..5),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        ) {
            let mut b = Example { features: map }.encode();
            for (i, x) in flips {
                let i = i.index(b.len());
                b[i] ^= x;
            }
            let _ = Example::decode(&b);
        }
    }
}
