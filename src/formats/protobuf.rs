//! The protobuf wire format, read and written by hand.
//!
//! A protobuf message is a flat sequence of *fields*. Each field starts with a *tag*, a
//! varint holding `field_number << 3 | wire_type`, followed by a payload whose size the
//! wire type tells:
//!
//! | wire type | name | payload |
//! |---|---|---|
//! | 0 | varint | 1–10 bytes, 7 bits each, low group first, high bit = "more follows" |
//! | 1 | fixed64 | 8 bytes little-endian (`double`, `fixed64`) |
//! | 2 | length-delimited | a varint length, then that many bytes (strings, bytes, sub-messages, packed repeated fields) |
//! | 5 | fixed32 | 4 bytes little-endian (`float`, `fixed32`) |
//!
//! Wire types 3 and 4 (the deprecated "groups") are rejected. Nothing here knows any
//! schema: the ONNX importer and the TFRecord reader interpret field numbers themselves.
//!
//! Every read is bounds-checked. Input is untrusted (a file from the internet), so a
//! truncated field or a length running past the end is an [`Error`] naming the byte
//! offset — never a panic, and never an allocation sized by a length read from the
//! input: length-delimited payloads are borrowed slices of the input.

use crate::error::{Error, Result};

/// How a field's payload is encoded (the low 3 bits of its tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    /// 0: a varint (`int32`, `int64`, `uint*`, `sint*` zigzagged, `bool`, `enum`).
    Varint,
    /// 1: eight little-endian bytes.
    Fixed64,
    /// 2: a varint length followed by that many bytes.
    Len,
    /// 5: four little-endian bytes.
    Fixed32,
}

impl WireType {
    /// The 3-bit code written in tags.
    pub fn code(self) -> u8 {
        match self {
            WireType::Varint => 0,
            WireType::Fixed64 => 1,
            WireType::Len => 2,
            WireType::Fixed32 => 5,
        }
    }
}

/// One field's payload, borrowed from the input where it is bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2: the payload bytes (a string, bytes, a sub-message or a packed array).
    Len(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// A decoded field: its number, its payload, and where the payload starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field number from the schema (1 ≤ n < 2²⁹).
    pub number: u32,
    /// The payload.
    pub value: Value<'a>,
    /// Absolute byte offset of the payload (for a `Len` field, of its first byte), so that
    /// sub-readers can keep naming offsets in the outermost input.
    pub offset: usize,
}

impl<'a> Field<'a> {
    /// The payload of a length-delimited field, or an error naming the field.
    pub fn bytes(&self) -> Result<&'a [u8]> {
        match self.value {
            Value::Len(b) => Ok(b),
            _ => Err(self.wrong_type("length-delimited")),
        }
    }

    /// The value of a varint field, or an error naming the field.
    pub fn varint(&self) -> Result<u64> {
        match self.value {
            Value::Varint(v) => Ok(v),
            _ => Err(self.wrong_type("varint")),
        }
    }

    /// A reader over this length-delimited field's payload (a sub-message or a packed array).
    pub fn reader(&self) -> Result<Reader<'a>> {
        Ok(Reader::with_base(self.bytes()?, self.offset))
    }

    /// The payload as UTF-8 text.
    pub fn string(&self) -> Result<&'a str> {
        std::str::from_utf8(self.bytes()?).map_err(|_| {
            Error(format!(
                "protobuf: field {} at byte {} is not valid UTF-8",
                self.number, self.offset
            ))
        })
    }

    fn wrong_type(&self, expected: &str) -> Error {
        Error(format!(
            "protobuf: field {} at byte {} should be {expected}, found {:?}",
            self.number,
            self.offset,
            self.value.wire_type()
        ))
    }
}

impl Value<'_> {
    /// The wire type this payload was encoded with.
    pub fn wire_type(&self) -> WireType {
        match self {
            Value::Varint(_) => WireType::Varint,
            Value::Fixed64(_) => WireType::Fixed64,
            Value::Len(_) => WireType::Len,
            Value::Fixed32(_) => WireType::Fixed32,
        }
    }
}

/// A cursor over one message's bytes.
///
/// `base` is the absolute offset of `buf[0]` in the outermost input, so every error names
/// a position a user can find with a hex dump of the file.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over a whole message.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_base(buf, 0)
    }

    /// A reader over `buf`, which starts at absolute offset `base` of the outer input.
    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    /// The absolute offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Have all bytes been consumed?
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    // ANCHOR: read_varint
    /// A base-128 varint: 7 bits per byte, least significant group first, the high bit
    /// of each byte saying whether another follows. A `u64` needs at most 10 bytes, and
    /// the 10th may only contribute the single top bit.
    pub fn read_varint(&mut self) -> Result<u64> {
        let start = self.offset();
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&byte) = self.buf.get(self.pos) else {
                return Err(Error(format!("protobuf: truncated varint at byte {start}")));
            };
            self.pos += 1;
            if i == 9 && byte > 1 {
                return Err(Error(format!(
                    "protobuf: varint at byte {start} overflows 64 bits"
                )));
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Error(format!(
            "protobuf: varint at byte {start} is longer than 10 bytes"
        )))
    }
    // ANCHOR_END: read_varint

    /// A tag: `(field number, wire type)`. Field number 0 and wire types 3, 4, 6, 7 are errors.
    pub fn read_tag(&mut self) -> Result<(u32, WireType)> {
        let start = self.offset();
        let tag = self.read_varint()?;
        let wire = match tag & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            5 => WireType::Fixed32,
            3 | 4 => {
                return Err(Error(format!(
                    "protobuf: field at byte {start} uses groups (wire type {}), which are not supported",
                    tag & 7
                )))
            }
            w => return Err(Error(format!("protobuf: invalid wire type {w} at byte {start}"))),
        };
        let number = tag >> 3;
        if number == 0 || number >= 1 << 29 {
            return Err(Error(format!(
                "protobuf: invalid field number {number} at byte {start}"
            )));
        }
        Ok((number as u32, wire))
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error(format!(
                "protobuf: {what} at byte {} needs {n} bytes but only {} remain",
                self.offset(),
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Four little-endian bytes.
    pub fn read_fixed32(&mut self) -> Result<u32> {
        let b = self.take(4, "fixed32")?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Eight little-endian bytes.
    pub fn read_fixed64(&mut self) -> Result<u64> {
        let b = self.take(8, "fixed64")?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A varint length and that many bytes, borrowed from the input.
    pub fn read_len_delimited(&mut self) -> Result<&'a [u8]> {
        let start = self.offset();
        let len = self.read_varint()?;
        if len > self.remaining() as u64 {
            return Err(Error(format!(
                "protobuf: length {len} at byte {start} runs past the end ({} bytes remain)",
                self.remaining()
            )));
        }
        self.take(len as usize, "length-delimited field")
    }

    /// The next field, or `None` at the end of the message.
    pub fn next_field(&mut self) -> Result<Option<Field<'a>>> {
        if self.is_empty() {
            return Ok(None);
        }
        let (number, wire) = self.read_tag()?;
        let mut offset = self.offset();
        let value = match wire {
            WireType::Varint => Value::Varint(self.read_varint()?),
            WireType::Fixed64 => Value::Fixed64(self.read_fixed64()?),
            WireType::Fixed32 => Value::Fixed32(self.read_fixed32()?),
            WireType::Len => {
                let bytes = self.read_len_delimited()?;
                offset = self.offset() - bytes.len();
                Value::Len(bytes)
            }
        };
        Ok(Some(Field {
            number,
            value,
            offset,
        }))
    }

    /// Skip one payload of the given wire type (an unknown field).
    pub fn skip(&mut self, wire: WireType) -> Result<()> {
        match wire {
            WireType::Varint => self.read_varint().map(drop),
            WireType::Fixed64 => self.read_fixed64().map(drop),
            WireType::Fixed32 => self.read_fixed32().map(drop),
            WireType::Len => self.read_len_delimited().map(drop),
        }
    }
}

/// The zigzag map used by `sint32`/`sint64`: 0, −1, 1, −2, … ↦ 0, 1, 2, 3, ….
pub fn zigzag_decode(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Inverse of [`zigzag_decode`].
pub fn zigzag_encode(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// The values of a packed repeated varint field (`repeated int64 dims = 1 [packed]`).
pub fn packed_varints(field: &Field<'_>) -> Result<Vec<u64>> {
    let mut r = field.reader()?;
    // At most one value per byte, so this allocation is bounded by bytes actually present.
    let mut out = Vec::with_capacity(r.remaining());
    while !r.is_empty() {
        out.push(r.read_varint()?);
    }
    Ok(out)
}

/// The values of a packed repeated fixed32 field (e.g. `repeated float` as raw bits).
pub fn packed_fixed32(field: &Field<'_>) -> Result<Vec<u32>> {
    let bytes = field.bytes()?;
    if bytes.len() % 4 != 0 {
        return Err(Error(format!(
            "protobuf: packed fixed32 field {} at byte {} has {} bytes, not a multiple of 4",
            field.number,
            field.offset,
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// The values of a packed repeated fixed64 field (e.g. `repeated double` as raw bits).
pub fn packed_fixed64(field: &Field<'_>) -> Result<Vec<u64>> {
    let bytes = field.bytes()?;
    if bytes.len() % 8 != 0 {
        return Err(Error(format!(
            "protobuf: packed fixed64 field {} at byte {} has {} bytes, not a multiple of 8",
            field.number,
            field.offset,
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            u64::from_le_bytes(a)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// Writing: each function appends one item to a buffer.

// ANCHOR: put_varint
/// Append a base-128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Append a tag. Panics if `number` is 0 or ≥ 2²⁹ (a bug in the caller's schema, not input).
pub fn put_tag(out: &mut Vec<u8>, number: u32, wire: WireType) {
    assert!(
        number > 0 && number < 1 << 29,
        "invalid protobuf field number {number}"
    );
    put_varint(out, (u64::from(number) << 3) | u64::from(wire.code()));
}

/// Append a varint field.
pub fn put_varint_field(out: &mut Vec<u8>, number: u32, v: u64) {
    put_tag(out, number, WireType::Varint);
    put_varint(out, v);
}

/// Append a length-delimited field (bytes, a string, or an encoded sub-message).
pub fn put_bytes_field(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_tag(out, number, WireType::Len);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}
// ANCHOR_END: put_varint

/// Append a fixed32 field.
pub fn put_fixed32_field(out: &mut Vec<u8>, number: u32, v: u32) {
    put_tag(out, number, WireType::Fixed32);
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append a fixed64 field.
pub fn put_fixed64_field(out: &mut Vec<u8>, number: u32, v: u64) {
    put_tag(out, number, WireType::Fixed64);
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append a packed repeated varint field.
pub fn put_packed_varints(out: &mut Vec<u8>, number: u32, values: &[u64]) {
    let mut payload = Vec::new();
    for &v in values {
        put_varint(&mut payload, v);
    }
    put_bytes_field(out, number, &payload);
}

/// Append a packed repeated fixed32 field (e.g. `repeated float` via `f32::to_bits`).
pub fn put_packed_fixed32(out: &mut Vec<u8>, number: u32, values: &[u32]) {
    let payload: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    put_bytes_field(out, number, &payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn varint_bytes(v: u64) -> Vec<u8> {
        let mut b = Vec::new();
        put_varint(&mut b, v);
        b
    }

    #[test]
    fn known_varints() {
        assert_eq!(varint_bytes(0), [0]);
        assert_eq!(varint_bytes(1), [1]);
        assert_eq!(varint_bytes(150), [0x96, 0x01]);
        assert_eq!(varint_bytes(u64::MAX).len(), 10);
        assert_eq!(Reader::new(&[0x96, 0x01]).read_varint(), Ok(150));
    }

    #[test]
    fn varint_errors_name_the_offset() {
        let e = Reader::new(&[0x80, 0x80]).read_varint().unwrap_err();
        assert_eq!(e.0, "protobuf: truncated varint at byte 0");
        let mut over = vec![0xff; 9];
        over.push(0x02);
        let e = Reader::new(&over).read_varint().unwrap_err();
        assert!(e.0.contains("overflows 64 bits"), "{e}");
        let e = Reader::new(&[0xff; 11]).read_varint().unwrap_err();
        assert!(e.0.contains("overflows"), "{e}");
    }

    #[test]
    fn zigzag_known_values() {
        for (s, u) in [
            (0i64, 0u64),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (i64::MAX, u64::MAX - 1),
            (i64::MIN, u64::MAX),
        ] {
            assert_eq!(zigzag_encode(s), u);
            assert_eq!(zigzag_decode(u), s);
        }
    }

    #[test]
    fn groups_and_bad_tags_are_rejected() {
        let e = Reader::new(&[(1 << 3) | 3]).read_tag().unwrap_err();
        assert!(e.0.contains("groups"), "{e}");
        let e = Reader::new(&[(1 << 3) | 4]).read_tag().unwrap_err();
        assert!(e.0.contains("groups"), "{e}");
        let e = Reader::new(&[(1 << 3) | 7]).read_tag().unwrap_err();
        assert!(e.0.contains("invalid wire type 7"), "{e}");
        let e = Reader::new(&[2]).read_tag().unwrap_err();
        assert!(e.0.contains("invalid field number 0"), "{e}");
    }

    #[test]
    fn length_past_the_end_is_an_error_not_an_allocation() {
        // Field 1, length-delimited, claiming 2^62 bytes.
        let mut b = vec![(1 << 3) | 2];
        put_varint(&mut b, 1 << 62);
        let e = Reader::new(&b).next_field().unwrap_err();
        assert!(e.0.contains("runs past the end"), "{e}");
        assert!(e.0.contains("at byte 1"), "{e}");
        let e = Reader::new(&[(1 << 3) | 5, 1, 2]).next_field().unwrap_err();
        assert!(
            e.0.contains("fixed32 at byte 1 needs 4 bytes but only 2 remain"),
            "{e}"
        );
    }

    #[test]
    fn nested_messages_report_absolute_offsets() {
        let mut inner = Vec::new();
        put_varint_field(&mut inner, 3, 7);
        inner.push((4 << 3) | 5); // a truncated fixed32 field
        let mut outer = Vec::new();
        put_varint_field(&mut outer, 1, 300); // 3 bytes
        put_bytes_field(&mut outer, 2, &inner); // tag + len, payload at byte 5
        let mut r = Reader::new(&outer);
        assert_eq!(r.next_field().unwrap().unwrap().varint(), Ok(300));
        let f = r.next_field().unwrap().unwrap();
        assert_eq!(f.offset, 5);
        let mut sub = f.reader().unwrap();
        assert_eq!(sub.next_field().unwrap().unwrap().number, 3);
        let e = sub.next_field().unwrap_err();
        assert!(e.0.contains("at byte 8"), "{e}");
    }

    #[test]
    fn packed_fields_round_trip() {
        let mut b = Vec::new();
        put_packed_varints(&mut b, 1, &[1, 300, u64::MAX]);
        put_packed_fixed32(&mut b, 4, &[1.5f32.to_bits(), (-2.0f32).to_bits()]);
        let mut r = Reader::new(&b);
        let f = r.next_field().unwrap().unwrap();
        assert_eq!(packed_varints(&f).unwrap(), [1, 300, u64::MAX]);
        let f = r.next_field().unwrap().unwrap();
        let floats: Vec<f32> = packed_fixed32(&f)
            .unwrap()
            .into_iter()
            .map(f32::from_bits)
            .collect();
        assert_eq!(floats, [1.5, -2.0]);
        let bad = Field {
            number: 4,
            value: Value::Len(&[0; 6]),
            offset: 0,
        };
        assert!(packed_fixed32(&bad)
            .unwrap_err()
            .0
            .contains("not a multiple of 4"));
    }

    #[derive(Debug, Clone)]
    enum Item {
        Varint(u32, u64),
        Fixed32(u32, u32),
        Fixed64(u32, u64),
        Bytes(u32, Vec<u8>),
    }

    fn item() -> impl Strategy<Value = Item> {
        let num = 1u32..(1 << 29);
        prop_oneof![
            (num.clone(), any::<u64>()).prop_map(|(n, v)| Item::Varint(n, v)),
            (num.clone(), any::<u32>()).prop_map(|(n, v)| Item::Fixed32(n, v)),
            (num.clone(), any::<u64>()).prop_map(|(n, v)| Item::Fixed64(n, v)),
            (num, proptest::collection::vec(any::<u8>(), 0..40))
                .prop_map(|(n, v)| Item::Bytes(n, v)),
        ]
    }

    proptest! {
        #[test]
        fn varint_round_trip(v in any::<u64>()) {
            let b = varint_bytes(v);
            let mut r = Reader::new(&b);
            prop_assert_eq!(r.read_varint(), Ok(v));
            prop_assert!(r.is_empty());
        }

        #[test]
        fn zigzag_round_trip(v in any::<i64>()) {
            prop_assert_eq!(zigzag_decode(zigzag_encode(v)), v);
        }

        #[test]
        fn messages_round_trip(items in proptest::collection::vec(item(), 0..20)) {
            let mut b = Vec::new();
            for it in &items {
                match it {
                    Item::Varint(n, v) => put_varint_field(&mut b, *n, *v),
                    Item::Fixed32(n, v) => put_fixed32_field(&mut b, *n, *v),
                    Item::Fixed64(n, v) => put_fixed64_field(&mut b, *n, *v),
                    Item::Bytes(n, v) => put_bytes_field(&mut b, *n, v),
                }
            }
            let mut r = Reader::new(&b);
            for it in &items {
                let f = r.next_field().unwrap().unwrap();
                match it {
                    Item::Varint(n, v) => prop_assert_eq!((f.number, f.value), (*n, Value::Varint(*v))),
                    Item::Fixed32(n, v) => prop_assert_eq!((f.number, f.value), (*n, Value::Fixed32(*v))),
                    Item::Fixed64(n, v) => prop_assert_eq!((f.number, f.value), (*n, Value::Fixed64(*v))),
                    Item::Bytes(n, v) => prop_assert_eq!((f.number, f.value), (*n, Value::Len(&v[..]))),
                }
            }
            prop_assert_eq!(r.next_field(), Ok(None));
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            // Walk the input as a message, descending into every length-delimited field
            // as if it were a sub-message and a packed array; only errors may come out.
            fn walk(r: &mut Reader<'_>, depth: usize) {
                while let Ok(Some(f)) = r.next_field() {
                    if let (Value::Len(_), true) = (f.value, depth < 4) {
                        let _ = packed_varints(&f);
                        let _ = packed_fixed32(&f);
                        let _ = packed_fixed64(&f);
                        let _ = f.string();
                        walk(&mut f.reader().unwrap(), depth + 1);
                    }
                }
            }
            walk(&mut Reader::new(&b), 0);
            let mut r = Reader::new(&b);
            for w in [WireType::Varint, WireType::Len, WireType::Fixed32, WireType::Fixed64] {
                let _ = r.skip(w);
            }
        }
    }
}
