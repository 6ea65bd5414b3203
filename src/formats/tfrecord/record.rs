//! TFRecord framing: how records are laid end to end in a file.
//!
//! ```text
//! u64 LE  length            8 bytes
//! u32 LE  masked CRC-32C of the 8 length bytes
//! [u8]    data              `length` bytes
//! u32 LE  masked CRC-32C of the data
//! ```
//!
//! There is no file header, index or record count: a reader walks the file from the
//! start. The length's own CRC is what makes the format robust — a corrupted length
//! is caught before it sends the reader gigabytes off course — and it is also what lets
//! [`RecordReader`] find the next record after damage (see [`RecordReader::skip_bad`]).
//!
//! The data is read only after its length has been checked against the bytes left in
//! the file, so a header claiming gigabytes costs nothing.

use crate::error::{Error, Result};
use crate::formats::crc32c::{masked_crc32c, unmask};
use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes before the data: the length and its masked CRC.
pub const HEADER_LEN: u64 = 12;
/// Bytes after the data: its masked CRC.
pub const FOOTER_LEN: u64 = 4;

/// One record read from a file: its position and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 0-based index of the record in the file (after skipped damage: the index it would
    /// have had counting every record the reader has attempted).
    pub index: u64,
    /// Byte offset of the record's header in the file.
    pub offset: u64,
    /// The payload (for TensorFlow datasets usually a serialized `tf.train.Example`).
    pub data: Vec<u8>,
}

// ANCHOR: write_record
/// Append one record — length, masked length CRC, data, masked data CRC — to `out`.
pub fn write_record<W: Write>(out: &mut W, data: &[u8]) -> std::io::Result<()> {
    let len = (data.len() as u64).to_le_bytes();
    out.write_all(&len)?;
    out.write_all(&masked_crc32c(&len).to_le_bytes())?;
    out.write_all(data)?;
    out.write_all(&masked_crc32c(data).to_le_bytes())
}
// ANCHOR_END: write_record

/// One record's bytes as they appear in a file (for tests and small in-memory files).
pub fn frame_record(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    write_record(&mut out, data).expect("writing to a Vec cannot fail");
    out
}

/// Where a reader picks up after a bad record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resume {
    /// Nothing went wrong: the next record starts here.
    At(u64),
    /// The header was bad: search for a valid header from this offset on.
    ScanFrom(u64),
    /// Nothing more can be read (a truncated tail, an I/O error, or not skipping).
    Stop,
}

/// Reads records one at a time from a seekable byte source, never holding more than one
/// record in memory.
///
/// Errors name the file, the record index and its byte offset. After an error the
/// reader stops (`next_record` returns `Ok(None)`) unless it was built with
/// [`skip_bad`](Self::skip_bad), in which case the next call carries on past the damage.
#[derive(Debug)]
pub struct RecordReader<R> {
    src: R,
    name: String,
    len: u64,
    resume: Resume,
    index: u64,
    skip_bad: bool,
    skipped_bytes: u64,
}

impl RecordReader<BufReader<File>> {
    /// Open a TFRecord file.
    pub fn open(path: &Path) -> Result<Self> {
        let f = File::open(path).map_err(|e| {
            Error(format!(
                "cannot open {}: {}",
                path.display(),
                describe_io(&e)
            ))
        })?;
        Self::new(
            BufReader::with_capacity(1 << 16, f),
            &path.display().to_string(),
        )
    }
}

impl<R: Read + Seek> RecordReader<R> {
    /// A reader over `src` (read from its start); `name` is used in error messages.
    pub fn new(mut src: R, name: &str) -> Result<Self> {
        let len = src
            .seek(SeekFrom::End(0))
            .and_then(|n| src.seek(SeekFrom::Start(0)).map(|_| n))
            .map_err(|e| Error(format!("{name}: cannot seek: {}", describe_io(&e))))?;
        Ok(RecordReader {
            src,
            name: name.to_string(),
            len,
            resume: Resume::At(0),
            index: 0,
            skip_bad: false,
            skipped_bytes: 0,
        })
    }

    /// Keep going after a bad record: a bad data CRC skips that record (its length was
    /// vouched for by the header CRC); a bad header makes the reader search forward for
    /// the next 12 bytes whose length CRC checks out and whose length fits in the file.
    pub fn skip_bad(mut self, yes: bool) -> Self {
        self.skip_bad = yes;
        self
    }

    /// The file name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The size of the file in bytes.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// Bytes passed over while searching for a valid header after damage.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped_bytes
    }

    /// The next record, `Ok(None)` at the end of the file, or an error naming the file,
    /// record index and offset.
    pub fn next_record(&mut self) -> Result<Option<Record>> {
        let offset = match self.resume {
            Resume::Stop => return Ok(None),
            Resume::At(o) => o,
            Resume::ScanFrom(from) => match self.scan(from)? {
                Some(o) => o,
                None => {
                    self.skipped_bytes += self.len.saturating_sub(from);
                    self.resume = Resume::Stop;
                    return Ok(None);
                }
            },
        };
        if offset == self.len {
            self.resume = Resume::Stop;
            return Ok(None);
        }
        let index = self.index;
        self.index += 1;
        match self.read_at(offset) {
            Ok(data) => {
                self.resume = Resume::At(offset + HEADER_LEN + data.len() as u64 + FOOTER_LEN);
                Ok(Some(Record {
                    index,
                    offset,
                    data,
                }))
            }
            Err((msg, resume)) => {
                self.resume = if self.skip_bad { resume } else { Resume::Stop };
                Err(Error(format!(
                    "{}: record {index} at byte {offset}: {msg}",
                    self.name
                )))
            }
        }
    }

    // ANCHOR: read_record
    /// Read the record whose header starts at `offset`. On failure: the reason and where
    /// a skipping reader should resume.
    fn read_at(&mut self, offset: u64) -> std::result::Result<Vec<u8>, (String, Resume)> {
        let io = |e: std::io::Error| (describe_io(&e), Resume::Stop);
        let left = self.len - offset;
        if left < HEADER_LEN {
            let msg = format!("truncated header: {left} bytes left, a header needs {HEADER_LEN}");
            return Err((msg, Resume::Stop));
        }
        self.src.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut header = [0u8; HEADER_LEN as usize];
        self.src.read_exact(&mut header).map_err(io)?;
        let (len_bytes, crc_bytes) = header.split_at(8);
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let stored = u32::from_le_bytes(crc_bytes.try_into().expect("4 bytes"));
        let scan = Resume::ScanFrom(offset + 1);
        if masked_crc32c(len_bytes) != stored {
            let msg = format!(
                "length CRC mismatch (stored {:#010x}, computed {:#010x}; length field reads {len})",
                unmask(stored),
                unmask(masked_crc32c(len_bytes))
            );
            return Err((msg, scan));
        }
        // Check the untrusted length against what the file holds *before* allocating.
        let room = left - HEADER_LEN;
        if len.checked_add(FOOTER_LEN).is_none_or(|need| need > room) {
            let msg = format!(
                "truncated record: length field claims {len} bytes of data (+{FOOTER_LEN} CRC) \
                 but only {room} bytes remain in the file"
            );
            return Err((msg, scan));
        }
        let mut data = vec![0u8; len as usize];
        self.src.read_exact(&mut data).map_err(io)?;
        let mut footer = [0u8; FOOTER_LEN as usize];
        self.src.read_exact(&mut footer).map_err(io)?;
        let stored = u32::from_le_bytes(footer);
        let computed = masked_crc32c(&data);
        if computed != stored {
            let msg = format!(
                "data CRC mismatch over {len} bytes (stored {:#010x}, computed {:#010x})",
                unmask(stored),
                unmask(computed)
            );
            return Err((msg, Resume::At(offset + HEADER_LEN + len + FOOTER_LEN)));
        }
        Ok(data)
    }
    // ANCHOR_END: read_record

    /// Search from `from` for the first offset holding a plausible header: a length whose
    /// masked CRC matches the next four bytes and which fits in the file. A random
    /// 12-byte window passes the CRC test with probability 2⁻³².
    fn scan(&mut self, from: u64) -> Result<Option<u64>> {
        let io = |e: std::io::Error| {
            Error(format!(
                "{}: reading while searching for the next record from byte {from}: {}",
                self.name,
                describe_io(&e)
            ))
        };
        self.src.seek(SeekFrom::Start(from)).map_err(io)?;
        const CHUNK: usize = 1 << 16;
        let mut window: Vec<u8> = Vec::with_capacity(CHUNK + HEADER_LEN as usize);
        let mut base = from; // file offset of window[0]
        loop {
            let mut chunk = [0u8; CHUNK];
            let n = read_full(&mut self.src, &mut chunk).map_err(io)?;
            window.extend_from_slice(&chunk[..n]);
            let hl = HEADER_LEN as usize;
            let mut i = 0;
            while i + hl <= window.len() {
                let len_bytes = &window[i..i + 8];
                let stored = u32::from_le_bytes(window[i + 8..i + 12].try_into().expect("4"));
                if masked_crc32c(len_bytes) == stored {
                    let len = u64::from_le_bytes(len_bytes.try_into().expect("8"));
                    let at = base + i as u64;
                    let room = self.len - at - HEADER_LEN;
                    if len.checked_add(FOOTER_LEN).is_some_and(|need| need <= room) {
                        self.skipped_bytes += at - from;
                        return Ok(Some(at));
                    }
                }
                i += 1;
            }
            if n == 0 {
                return Ok(None);
            }
            window.drain(..i);
            base += i as u64;
        }
    }
}

/// Read until `buf` is full or the source ends; the number of bytes read.
fn read_full<R: Read>(src: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

pub(crate) use crate::formats::files::describe_io;

/// Writes records to a temporary file next to the destination and renames it into place
/// on [`finish`](Self::finish), so a crash or an error never leaves half a file under the
/// final name. Dropped without `finish`, the temporary file is removed.
#[derive(Debug)]
pub struct RecordWriter {
    out: Option<std::io::BufWriter<File>>,
    tmp: PathBuf,
    dest: PathBuf,
    records: u64,
    bytes: u64,
}

impl RecordWriter {
    /// Start writing `dest` (through a hidden temporary sibling).
    pub fn create(dest: &Path) -> Result<Self> {
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let f = File::create(&tmp).map_err(|e| {
            Error(format!(
                "cannot write {}: {}",
                dest.display(),
                describe_io(&e)
            ))
        })?;
        Ok(RecordWriter {
            out: Some(std::io::BufWriter::with_capacity(1 << 16, f)),
            tmp,
            dest: dest.to_path_buf(),
            records: 0,
            bytes: 0,
        })
    }

    /// Append one record.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        let out = self.out.as_mut().expect("write after finish");
        write_record(out, data).map_err(|e| {
            Error(format!(
                "cannot write {}: {}",
                self.dest.display(),
                describe_io(&e)
            ))
        })?;
        self.records += 1;
        self.bytes += data.len() as u64 + HEADER_LEN + FOOTER_LEN;
        Ok(())
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The final path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Flush, sync and rename the temporary file to the destination.
    pub fn finish(mut self) -> Result<PathBuf> {
        let out = self.out.take().expect("finish twice");
        let result = (|| {
            let f = out.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
            std::fs::rename(&self.tmp, &self.dest)
        })();
        result.map_err(|e| {
            let _ = std::fs::remove_file(&self.tmp);
            Error(format!(
                "cannot write {}: {}",
                self.dest.display(),
                describe_io(&e)
            ))
        })?;
        Ok(self.dest.clone())
    }
}

impl Drop for RecordWriter {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
