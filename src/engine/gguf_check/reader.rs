//! The bounded binary reader and the fixed GGUF header.
//!
//! [`Input`] knows its position and the file length, so every length field is checked against
//! what is left in the file *before* anything is read or allocated; a short stream is reported as
//! a truncated file, never as a panic. [`read_header`] reads the magic, version and the two counts
//! and checks that the file is long enough to hold that many entries at all.

use std::io::{self, Read, Seek, SeekFrom};

use super::metadata::Budget;
use super::{at_most, GgufError, Result, MAX_KEY_LEN, MAX_METADATA_KVS, MAX_TENSORS};

/// A reader that knows its position and the file length, so every length can be checked against
/// what is left before anything is read or allocated.
pub(super) struct Input<'a, R> {
    r: &'a mut R,
    /// Bytes read so far: the absolute offset of the next byte.
    pub(super) pos: u64,
    /// Length of the whole file.
    pub(super) len: u64,
}

impl<'a, R: Read + Seek> Input<'a, R> {
    /// Wraps `r`, which holds `len` bytes, positioned at its first byte.
    pub(super) fn start(r: &'a mut R, len: u64) -> Result<Self> {
        r.seek(SeekFrom::Start(0))
            .map_err(|source| GgufError::Read {
                what: "the start of the file".into(),
                offset: 0,
                source,
            })?;
        Ok(Input { r, pos: 0, len })
    }

    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    /// Fails with `Truncated` unless `needed` more bytes exist.
    pub(super) fn ensure(&self, needed: u64, what: impl FnOnce() -> String) -> Result<()> {
        if needed > self.remaining() {
            return Err(GgufError::Truncated {
                what: what(),
                offset: self.pos,
                needed,
                available: self.remaining(),
            });
        }
        Ok(())
    }

    pub(super) fn fill(&mut self, buf: &mut [u8], what: impl Fn() -> String) -> Result<()> {
        let n = buf.len() as u64;
        self.ensure(n, &what)?;
        match self.r.read_exact(buf) {
            Ok(()) => {
                self.pos += n;
                Ok(())
            }
            // The stream is shorter than the length we were told.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(GgufError::Truncated {
                what: what(),
                offset: self.pos,
                needed: n,
                available: 0,
            }),
            Err(source) => Err(GgufError::Read {
                what: what(),
                offset: self.pos,
                source,
            }),
        }
    }

    /// Reads exactly `N` bytes (a little-endian number still to be decoded).
    fn array<const N: usize>(&mut self, what: impl Fn() -> String) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.fill(&mut b, what)?;
        Ok(b)
    }

    pub(super) fn u8(&mut self, what: impl Fn() -> String) -> Result<u8> {
        self.array(what).map(u8::from_le_bytes)
    }

    pub(super) fn u16(&mut self, what: impl Fn() -> String) -> Result<u16> {
        self.array(what).map(u16::from_le_bytes)
    }

    pub(super) fn u32(&mut self, what: impl Fn() -> String) -> Result<u32> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub(super) fn u64(&mut self, what: impl Fn() -> String) -> Result<u64> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// Reads `n` bytes (already checked against a limit by the caller) into a fresh buffer.
    fn bytes(&mut self, n: u64, what: impl Fn() -> String) -> Result<Vec<u8>> {
        self.ensure(n, &what)?;
        let mut buf = vec![0u8; n as usize];
        self.fill(&mut buf, what)?;
        Ok(buf)
    }

    /// Skips `n` bytes, reading through them so buffered readers stay efficient.
    pub(super) fn skip(&mut self, n: u64, what: impl Fn() -> String) -> Result<()> {
        self.ensure(n, &what)?;
        let copied =
            io::copy(&mut self.r.take(n), &mut io::sink()).map_err(|source| GgufError::Read {
                what: what(),
                offset: self.pos,
                source,
            })?;
        if copied != n {
            return Err(GgufError::Truncated {
                what: what(),
                offset: self.pos + copied,
                needed: n - copied,
                available: 0,
            });
        }
        self.pos += n;
        Ok(())
    }

    /// Reads a length-prefixed string of at most `limit` bytes, dropping trailing NULs (as candle
    /// does). Returns `None` when the string is longer than `keep` bytes: it is skipped.
    pub(super) fn string(
        &mut self,
        limit: u64,
        keep: u64,
        budget: Option<&mut Budget>,
        what: &dyn Fn() -> String,
    ) -> Result<Option<Vec<u8>>> {
        let len = self.u64(|| format!("length of {}", what()))?;
        at_most(|| format!("length of {}", what()), len, limit)?;
        if let Some(budget) = budget {
            budget.spend(len)?;
        }
        if len > keep {
            self.skip(len, what)?;
            return Ok(None);
        }
        let mut bytes = self.bytes(len, what)?;
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        Ok(Some(bytes))
    }

    /// Reads a key or tensor name: short, valid UTF-8.
    pub(super) fn name(&mut self, what: &dyn Fn() -> String) -> Result<String> {
        let offset = self.pos;
        let bytes = self
            .string(MAX_KEY_LEN, MAX_KEY_LEN, None, what)?
            .unwrap_or_default();
        String::from_utf8(bytes).map_err(|_| GgufError::BadString {
            what: what(),
            offset,
        })
    }
}

/// The fixed part at the start of every GGUF file.
pub(super) struct Header {
    pub(super) version: u32,
    pub(super) tensor_count: u64,
    pub(super) metadata_count: u64,
}

/// Smallest possible metadata entry: key length, empty key, value type, one-byte value.
const MIN_KV_BYTES: u64 = 8 + 4 + 1;
/// Smallest possible tensor info: name length, empty name, n_dims, one dimension, type, offset.
const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 8 + 4 + 8;

/// Reads and checks the magic, the version and the tensor and metadata counts.
pub(super) fn read_header<R: Read + Seek>(input: &mut Input<R>) -> Result<Header> {
    read_magic(input)?;
    let version = input.u32(|| "version".into())?;
    if version != 2 && version != 3 {
        return Err(GgufError::UnsupportedVersion(version));
    }
    let tensor_count = input.u64(|| "tensor count".into())?;
    let metadata_count = input.u64(|| "metadata count".into())?;
    at_most(|| "tensor count".into(), tensor_count, MAX_TENSORS)?;
    at_most(|| "metadata count".into(), metadata_count, MAX_METADATA_KVS)?;
    let needed = metadata_count * MIN_KV_BYTES + tensor_count * MIN_TENSOR_INFO_BYTES;
    input.ensure(needed, || {
        format!("{metadata_count} metadata entries and {tensor_count} tensor infos")
    })?;
    Ok(Header {
        version,
        tensor_count,
        metadata_count,
    })
}

/// The file must start with `GGUF`; a shorter file is reported with the bytes it has.
fn read_magic<R: Read + Seek>(input: &mut Input<R>) -> Result<()> {
    if input.len < 4 {
        let mut found = vec![0u8; input.len as usize];
        input.fill(&mut found, || "magic".into())?;
        return Err(GgufError::BadMagic { found });
    }
    let magic: [u8; 4] = input.array(|| "magic".into())?;
    if &magic != b"GGUF" {
        return Err(GgufError::BadMagic {
            found: magic.to_vec(),
        });
    }
    Ok(())
}
