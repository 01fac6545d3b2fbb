//! Safe pre-validation of GGUF files before candle reads them.
//!
//! candle's GGUF reader trusts the file: `general.alignment = 0` divides by zero, tensor shapes whose
//! element count wraps `u64` are accepted, and hyper-parameters such as `context_length =
//! u32::MAX` make the model constructors ask for more memory than exists, which aborts the process
//! instead of returning an error. So every model file goes through [`validate_file`] first: a
//! small streaming parser of our own that reads the header, the metadata and the tensor table with
//! every count and length bounded *before* anything is allocated, never reads tensor data, and
//! then checks that the hyper-parameters and tensor shapes agree with one another. A file that
//! passes can be handed to `candle_core::quantized::gguf_file::Content::read` and the quantized
//! model constructors without tripping any of the known panics or aborts.
//!
//! The parser mirrors candle's interpretation where the two could differ: keys and strings lose
//! trailing NUL bytes, `general.alignment` is honoured only with the integer types candle honours,
//! and tensor dimensions are reported in candle's order (outermost first).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use candle_core::quantized::GgmlDType;

/// Architectures the engine can run.
pub const SUPPORTED_ARCHITECTURES: &[&str] = &["qwen2", "qwen3", "llama", "gemma3"];
/// Most tensors a file may declare (real models have a few hundred to a few thousand).
pub const MAX_TENSORS: u64 = 65_536;
/// Most metadata key/value pairs a file may declare (real models have a few dozen).
pub const MAX_METADATA_KVS: u64 = 65_536;
/// Longest metadata key or tensor name, in bytes (ggml itself caps tensor names at 64).
pub const MAX_KEY_LEN: u64 = 1024;
/// Longest single string value (a chat template is ~10 KB).
pub const MAX_STRING_LEN: u64 = 1 << 20;
/// Most elements in one metadata array (vocabularies reach ~260k tokens, merges ~300k).
pub const MAX_ARRAY_LEN: u64 = 1 << 21;
/// Deepest nesting of arrays inside arrays.
pub const MAX_ARRAY_DEPTH: u32 = 3;
/// What one metadata value costs once candle has expanded it into its `Value` enum, in bytes.
pub const VALUE_MEMORY_COST: u64 = 32;
/// Budget for the metadata once candle holds it in memory (values × [`VALUE_MEMORY_COST`] plus
/// string bytes). Real models need 15–40 MiB.
pub const METADATA_MEMORY_BUDGET: u64 = 128 << 20;
/// Largest accepted `general.alignment`.
pub const MAX_ALIGNMENT: u64 = 1 << 20;
/// Alignment used when `general.alignment` is absent (the GGUF default, as in candle).
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Largest accepted `{arch}.block_count`.
pub const MAX_BLOCK_COUNT: u64 = 512;
/// Largest accepted `{arch}.context_length` (candle precomputes RoPE tables this long).
pub const MAX_CONTEXT_LENGTH: u64 = 1 << 20;
/// Largest accepted attention head count.
pub const MAX_HEAD_COUNT: u64 = 1024;
/// Largest accepted `{arch}.embedding_length`.
pub const MAX_EMBEDDING_LENGTH: u64 = 1 << 16;
/// Largest accepted `{arch}.feed_forward_length`.
pub const MAX_FEED_FORWARD_LENGTH: u64 = 1 << 20;
/// Largest accepted per-head key/value length and RoPE dimension count.
pub const MAX_HEAD_DIM: u64 = 4096;
/// Largest accepted vocabulary.
pub const MAX_VOCAB_SIZE: u64 = 1 << 21;
/// Most dimensions of one tensor (ggml's `GGML_MAX_DIMS`).
pub const MAX_TENSOR_DIMS: u32 = 4;
/// Longest string value kept in memory for later checks; longer ones are only skipped over.
const MAX_KEPT_STRING: u64 = 1024;

/// The result of a successful validation: what the runtime needs to know about the model.
#[derive(Debug, Clone, PartialEq)]
pub struct GgufSummary {
    /// GGUF format version (2 or 3).
    pub version: u32,
    /// `general.architecture`, one of [`SUPPORTED_ARCHITECTURES`].
    pub architecture: String,
    /// Number of tensors in the file.
    pub tensor_count: u64,
    /// Number of metadata key/value pairs.
    pub metadata_count: u64,
    /// `{arch}.context_length`, when present.
    pub context_length: Option<u64>,
    /// `{arch}.block_count` (number of transformer layers).
    pub block_count: Option<u64>,
    /// `{arch}.attention.head_count`.
    pub head_count: Option<u64>,
    /// `{arch}.attention.head_count_kv`.
    pub head_count_kv: Option<u64>,
    /// `{arch}.embedding_length` (hidden size).
    pub embedding_length: Option<u64>,
    /// Vocabulary size: the rows of `token_embd.weight` (equal to the tokenizer's token count when
    /// the file has one).
    pub vocab_size: Option<u64>,
    /// `tokenizer.ggml.model` (`gpt2` for byte-level BPE, `llama` for SentencePiece), if present.
    pub tokenizer_model: Option<String>,
    /// Whether the file carries a `tokenizer.chat_template` string.
    pub has_chat_template: bool,
    /// Alignment of the tensor data.
    pub alignment: u64,
    /// Absolute file offset where the tensor data begins.
    pub data_offset: u64,
    /// Every tensor, in file order.
    pub tensors: Vec<TensorSummary>,
}

/// One tensor of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSummary {
    /// Tensor name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// Dimensions in candle's order (outermost first: `token_embd.weight` is `[vocab, hidden]`).
    pub dims: Vec<u64>,
    /// Storage type.
    pub dtype: GgmlDType,
    /// Absolute byte offset of the tensor data in the file.
    pub offset: u64,
    /// Size of the tensor data in bytes.
    pub size: u64,
}

impl GgufSummary {
    /// The tensor with this name, if any.
    pub fn tensor(&self, name: &str) -> Option<&TensorSummary> {
        self.tensors.iter().find(|t| t.name == name)
    }
}

/// Why a file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// The file could not be opened or its size read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A read failed for a reason other than reaching the end of the file.
    #[error("read error at byte {offset} while reading {what}: {source}")]
    Read {
        what: String,
        offset: u64,
        #[source]
        source: io::Error,
    },
    /// The file does not start with `GGUF`.
    #[error("not a GGUF file: it starts with bytes {found:02x?} instead of \"GGUF\"")]
    BadMagic { found: Vec<u8> },
    /// A GGUF version other than 2 or 3.
    #[error("unsupported GGUF version {0}: only versions 2 and 3 are supported")]
    UnsupportedVersion(u32),
    /// The file ends (or a length field points) before the data it describes.
    #[error(
        "file is truncated or corrupt: {what} at byte {offset} needs {needed} bytes but only \
         {available} remain in the file"
    )]
    Truncated {
        what: String,
        offset: u64,
        needed: u64,
        available: u64,
    },
    /// A count or size above its limit.
    #[error("{what} = {count} exceeds the limit of {limit}")]
    TooMany {
        what: String,
        count: u64,
        limit: u64,
    },
    /// `general.alignment` is zero, not a power of two, or too large.
    #[error(
        "general.alignment = {0} is invalid: it must be a power of two between 1 and {MAX_ALIGNMENT}"
    )]
    BadAlignment(u64),
    /// A key or tensor name that is not valid UTF-8.
    #[error("{what} at byte {offset} is not valid UTF-8")]
    BadString { what: String, offset: u64 },
    /// A metadata value type code outside the GGUF specification.
    #[error("metadata key {key} has unknown value type {code}")]
    UnknownValueType { key: String, code: u32 },
    /// A tensor storage type that candle cannot read.
    #[error("tensor {tensor} has unknown or unsupported ggml type {code}")]
    UnknownDType { tensor: String, code: u32 },
    /// The element count or byte size of a tensor does not fit in 64 bits.
    #[error("tensor {tensor}: dimensions {dims:?} overflow a 64-bit element count")]
    ShapeOverflow { tensor: String, dims: Vec<u64> },
    /// A tensor shape that is malformed by itself (zero dimension, too many dimensions, rows not a
    /// whole number of quantization blocks).
    #[error("tensor {tensor} has a bad shape {dims:?}: {reason}")]
    BadShape {
        tensor: String,
        dims: Vec<u64>,
        reason: String,
    },
    /// Tensor data that does not lie inside the file.
    #[error(
        "tensor {tensor} occupies bytes {start}..{end} but the file is only {file_len} bytes long \
         (truncated download?)"
    )]
    TensorOutOfBounds {
        tensor: String,
        start: u64,
        end: u64,
        file_len: u64,
    },
    /// A tensor offset that is not a multiple of the alignment.
    #[error(
        "tensor {tensor} has offset {offset}, which is not a multiple of the alignment {alignment}"
    )]
    MisalignedTensor {
        tensor: String,
        offset: u64,
        alignment: u64,
    },
    /// Two tensors whose data overlap.
    #[error("tensors {first} and {second} overlap in the file")]
    TensorOverlap { first: String, second: String },
    /// The same metadata key twice.
    #[error("metadata key {0} appears more than once")]
    DuplicateKey(String),
    /// The same tensor name twice.
    #[error("tensor {0} appears more than once")]
    DuplicateTensor(String),
    /// A metadata key the architecture needs is absent.
    #[error("required metadata key {0} is missing")]
    MissingKey(String),
    /// A tensor the architecture needs is absent.
    #[error("required tensor {0} is missing")]
    MissingTensor(String),
    /// A metadata value of the wrong type or with an impossible value.
    #[error("metadata {key}: {reason}")]
    BadMetadata { key: String, reason: String },
    /// A numeric hyper-parameter outside its accepted range.
    #[error("{key} = {value} {}", range_text(*.value, *.min, *.max))]
    OutOfRange {
        key: String,
        value: u64,
        min: u64,
        max: u64,
    },
    /// A tensor whose shape disagrees with the hyper-parameters or with another tensor.
    #[error("tensor {tensor}: {reason}")]
    Inconsistent { tensor: String, reason: String },
    /// `general.architecture` names a model family the engine cannot run.
    #[error(
        "unsupported architecture \"{0}\": supported architectures are {list}",
        list = SUPPORTED_ARCHITECTURES.join(", ")
    )]
    UnsupportedArchitecture(String),
}

fn range_text(value: u64, min: u64, max: u64) -> String {
    if value > max {
        format!("exceeds the limit of {max}")
    } else {
        format!("is below the minimum of {min} (accepted: {min}..={max})")
    }
}

/// Shorthand for results of this module.
pub type Result<T, E = GgufError> = std::result::Result<T, E>;

/// Validates the GGUF file at `path`. See the module documentation for what is checked.
pub fn validate_file(path: &Path) -> Result<GgufSummary> {
    let io_err = |source| GgufError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    validate_reader(&mut reader, len)
}

/// Validates GGUF data read from `r`, which holds `file_len` bytes; reading starts at offset 0.
/// Only the header, metadata and tensor table are read; tensor data is checked against
/// `file_len` but never read.
pub fn validate_reader<R: Read + Seek>(r: &mut R, file_len: u64) -> Result<GgufSummary> {
    let mut input = Input {
        r,
        pos: 0,
        len: file_len,
    };
    input
        .r
        .seek(SeekFrom::Start(0))
        .map_err(|source| GgufError::Read {
            what: "the start of the file".into(),
            offset: 0,
            source,
        })?;
    let header = read_header(&mut input)?;
    let metadata = read_metadata(&mut input, header.metadata_count)?;
    let alignment = alignment_of(&metadata)?;
    let tensors = read_tensor_infos(&mut input, header.tensor_count, alignment)?;
    let data_offset = input
        .pos
        .div_ceil(alignment)
        .checked_mul(alignment)
        .ok_or_else(|| GgufError::TooMany {
            what: "tensor data offset".into(),
            count: input.pos,
            limit: file_len,
        })?;
    let tensors = place_tensors(tensors, data_offset, file_len)?;
    let mut summary = GgufSummary {
        version: header.version,
        architecture: String::new(),
        tensor_count: header.tensor_count,
        metadata_count: header.metadata_count,
        context_length: None,
        block_count: None,
        head_count: None,
        head_count_kv: None,
        embedding_length: None,
        vocab_size: None,
        tokenizer_model: None,
        has_chat_template: false,
        alignment,
        data_offset,
        tensors,
    };
    check_model(&metadata, &mut summary)?;
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// Bounded reading

/// A reader that knows its position and the file length, so every length can be checked against
/// what is left before anything is read or allocated.
struct Input<'a, R> {
    r: &'a mut R,
    pos: u64,
    len: u64,
}

impl<R: Read + Seek> Input<'_, R> {
    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    /// Fails with `Truncated` unless `needed` more bytes exist.
    fn ensure(&self, needed: u64, what: impl FnOnce() -> String) -> Result<()> {
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

    fn fill(&mut self, buf: &mut [u8], what: impl Fn() -> String) -> Result<()> {
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

    fn u8(&mut self, what: impl Fn() -> String) -> Result<u8> {
        let mut b = [0u8; 1];
        self.fill(&mut b, what)?;
        Ok(b[0])
    }

    fn u32(&mut self, what: impl Fn() -> String) -> Result<u32> {
        let mut b = [0u8; 4];
        self.fill(&mut b, what)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self, what: impl Fn() -> String) -> Result<u64> {
        let mut b = [0u8; 8];
        self.fill(&mut b, what)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Reads `n` bytes (already checked against a limit by the caller) into a fresh buffer.
    fn bytes(&mut self, n: u64, what: impl Fn() -> String) -> Result<Vec<u8>> {
        self.ensure(n, &what)?;
        let mut buf = vec![0u8; n as usize];
        self.fill(&mut buf, what)?;
        Ok(buf)
    }

    /// Skips `n` bytes, reading through them so buffered readers stay efficient.
    fn skip(&mut self, n: u64, what: impl Fn() -> String) -> Result<()> {
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
    fn string(
        &mut self,
        limit: u64,
        keep: u64,
        budget: Option<&mut Budget>,
        what: &dyn Fn() -> String,
    ) -> Result<Option<Vec<u8>>> {
        let len = self.u64(|| format!("length of {}", what()))?;
        if len > limit {
            return Err(GgufError::TooMany {
                what: format!("length of {}", what()),
                count: len,
                limit,
            });
        }
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
    fn name(&mut self, what: &dyn Fn() -> String) -> Result<String> {
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

// ---------------------------------------------------------------------------------------------
// Header and metadata

struct Header {
    version: u32,
    tensor_count: u64,
    metadata_count: u64,
}

/// Smallest possible metadata entry: key length, empty key, value type, one-byte value.
const MIN_KV_BYTES: u64 = 8 + 4 + 1;
/// Smallest possible tensor info: name length, empty name, n_dims, one dimension, type, offset.
const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 8 + 4 + 8;

fn read_header<R: Read + Seek>(input: &mut Input<R>) -> Result<Header> {
    if input.len < 4 {
        let mut found = vec![0u8; input.len as usize];
        input.fill(&mut found, || "magic".into())?;
        return Err(GgufError::BadMagic { found });
    }
    let mut magic = [0u8; 4];
    input.fill(&mut magic, || "magic".into())?;
    if &magic != b"GGUF" {
        return Err(GgufError::BadMagic {
            found: magic.to_vec(),
        });
    }
    let version = input.u32(|| "version".into())?;
    if version != 2 && version != 3 {
        return Err(GgufError::UnsupportedVersion(version));
    }
    let tensor_count = input.u64(|| "tensor count".into())?;
    let metadata_count = input.u64(|| "metadata count".into())?;
    if tensor_count > MAX_TENSORS {
        return Err(GgufError::TooMany {
            what: "tensor count".into(),
            count: tensor_count,
            limit: MAX_TENSORS,
        });
    }
    if metadata_count > MAX_METADATA_KVS {
        return Err(GgufError::TooMany {
            what: "metadata count".into(),
            count: metadata_count,
            limit: MAX_METADATA_KVS,
        });
    }
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

/// A top-level metadata value, as much of it as the checks need.
#[derive(Debug, Clone)]
enum Meta {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Bool,
    /// `None` when the string was too long to keep.
    Str(Option<String>),
    Array {
        elem: u32,
        len: u64,
    },
}

/// GGUF value type codes.
mod vt {
    pub const U8: u32 = 0;
    pub const I8: u32 = 1;
    pub const U16: u32 = 2;
    pub const I16: u32 = 3;
    pub const U32: u32 = 4;
    pub const I32: u32 = 5;
    pub const F32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
    pub const U64: u32 = 10;
    pub const I64: u32 = 11;
    pub const F64: u32 = 12;
}

fn type_name(code: u32) -> &'static str {
    match code {
        vt::U8 => "u8",
        vt::I8 => "i8",
        vt::U16 => "u16",
        vt::I16 => "i16",
        vt::U32 => "u32",
        vt::I32 => "i32",
        vt::F32 => "f32",
        vt::BOOL => "bool",
        vt::STRING => "string",
        vt::ARRAY => "array",
        vt::U64 => "u64",
        vt::I64 => "i64",
        vt::F64 => "f64",
        _ => "unknown",
    }
}

/// Bytes one value of a fixed-size type occupies on disk (`None` for strings and arrays).
fn fixed_size(code: u32) -> Option<u64> {
    match code {
        vt::U8 | vt::I8 | vt::BOOL => Some(1),
        vt::U16 | vt::I16 => Some(2),
        vt::U32 | vt::I32 | vt::F32 => Some(4),
        vt::U64 | vt::I64 | vt::F64 => Some(8),
        _ => None,
    }
}

/// The least bytes one value of this type occupies on disk.
fn min_size(code: u32) -> u64 {
    match code {
        vt::STRING => 8,
        vt::ARRAY => 4 + 8,
        c => fixed_size(c).unwrap_or(1),
    }
}

struct Metadata {
    values: HashMap<String, (u32, Meta)>,
    /// Length of `tokenizer.ggml.tokens`, when present.
    token_count: Option<u64>,
}

/// Tracks the memory candle will need for the metadata.
struct Budget {
    used: u64,
}

impl Budget {
    fn spend(&mut self, bytes: u64) -> Result<()> {
        self.used = self.used.saturating_add(bytes);
        if self.used > METADATA_MEMORY_BUDGET {
            return Err(GgufError::TooMany {
                what: "estimated in-memory size of the metadata (bytes)".into(),
                count: self.used,
                limit: METADATA_MEMORY_BUDGET,
            });
        }
        Ok(())
    }
}

fn read_metadata<R: Read + Seek>(input: &mut Input<R>, count: u64) -> Result<Metadata> {
    let mut values = HashMap::new();
    let mut budget = Budget { used: 0 };
    let mut token_count = None;
    for i in 0..count {
        let key = input.name(&|| format!("key of metadata entry {i}"))?;
        budget.spend(key.len() as u64 + VALUE_MEMORY_COST)?;
        let code = input.u32(|| format!("value type of {key}"))?;
        let value = read_value(input, &key, code, 0, &mut budget)?;
        if key == "tokenizer.ggml.tokens" {
            if let Meta::Array { len, .. } = value {
                token_count = Some(len);
            }
        }
        if values.contains_key(&key) {
            return Err(GgufError::DuplicateKey(key));
        }
        values.insert(key, (code, value));
    }
    Ok(Metadata {
        values,
        token_count,
    })
}

fn read_value<R: Read + Seek>(
    input: &mut Input<R>,
    key: &str,
    code: u32,
    depth: u32,
    budget: &mut Budget,
) -> Result<Meta> {
    let what = || format!("value of {key}");
    let value = match code {
        vt::U8 => Meta::Unsigned(input.u8(what)? as u64),
        vt::I8 => Meta::Signed(input.u8(what)? as i8 as i64),
        vt::U16 => {
            let mut b = [0u8; 2];
            input.fill(&mut b, what)?;
            Meta::Unsigned(u16::from_le_bytes(b) as u64)
        }
        vt::I16 => {
            let mut b = [0u8; 2];
            input.fill(&mut b, what)?;
            Meta::Signed(i16::from_le_bytes(b) as i64)
        }
        vt::U32 => Meta::Unsigned(input.u32(what)? as u64),
        vt::I32 => Meta::Signed(input.u32(what)? as i32 as i64),
        vt::F32 => Meta::Float(f32::from_bits(input.u32(what)?) as f64),
        vt::U64 => Meta::Unsigned(input.u64(what)?),
        vt::I64 => Meta::Signed(input.u64(what)? as i64),
        vt::F64 => Meta::Float(f64::from_bits(input.u64(what)?)),
        vt::BOOL => match input.u8(what)? {
            0 | 1 => Meta::Bool,
            b => {
                return Err(GgufError::BadMetadata {
                    key: key.into(),
                    reason: format!("boolean byte is {b}, expected 0 or 1"),
                })
            }
        },
        vt::STRING => {
            let s = input.string(MAX_STRING_LEN, MAX_KEPT_STRING, Some(budget), &what)?;
            Meta::Str(s.map(|b| String::from_utf8_lossy(&b).into_owned()))
        }
        vt::ARRAY => {
            if depth >= MAX_ARRAY_DEPTH {
                return Err(GgufError::TooMany {
                    what: format!("array nesting depth of {key}"),
                    count: depth as u64 + 1,
                    limit: MAX_ARRAY_DEPTH as u64,
                });
            }
            let elem = input.u32(|| format!("element type of array {key}"))?;
            if type_name(elem) == "unknown" {
                return Err(GgufError::UnknownValueType {
                    key: key.into(),
                    code: elem,
                });
            }
            let len = input.u64(|| format!("length of array {key}"))?;
            if len > MAX_ARRAY_LEN {
                return Err(GgufError::TooMany {
                    what: format!("length of array {key}"),
                    count: len,
                    limit: MAX_ARRAY_LEN,
                });
            }
            // len ≤ 2^21 and min_size ≤ 12: no overflow.
            input.ensure(len * min_size(elem), || {
                format!("array {key} of {len} {} elements", type_name(elem))
            })?;
            budget.spend(len * VALUE_MEMORY_COST)?;
            read_array_body(input, key, elem, len, depth, budget)?;
            Meta::Array { elem, len }
        }
        other => {
            return Err(GgufError::UnknownValueType {
                key: key.into(),
                code: other,
            })
        }
    };
    Ok(value)
}

fn read_array_body<R: Read + Seek>(
    input: &mut Input<R>,
    key: &str,
    elem: u32,
    len: u64,
    depth: u32,
    budget: &mut Budget,
) -> Result<()> {
    let what = || format!("elements of array {key}");
    match elem {
        vt::BOOL => {
            for _ in 0..len {
                let b = input.u8(what)?;
                if b > 1 {
                    return Err(GgufError::BadMetadata {
                        key: key.into(),
                        reason: format!("array holds boolean byte {b}, expected 0 or 1"),
                    });
                }
            }
        }
        vt::STRING => {
            for _ in 0..len {
                let n = input.u64(what)?;
                if n > MAX_STRING_LEN {
                    return Err(GgufError::TooMany {
                        what: format!("length of a string in array {key}"),
                        count: n,
                        limit: MAX_STRING_LEN,
                    });
                }
                budget.spend(n)?;
                input.skip(n, what)?;
            }
        }
        vt::ARRAY => {
            for _ in 0..len {
                read_value(input, key, vt::ARRAY, depth + 1, budget)?;
            }
        }
        fixed => {
            let size = fixed_size(fixed).unwrap_or(1);
            input.skip(len * size, what)?;
        }
    }
    Ok(())
}

/// `general.alignment`, checked: candle divides by it, so 0 would panic.
fn alignment_of(metadata: &Metadata) -> Result<u64> {
    const KEY: &str = "general.alignment";
    let Some((code, value)) = metadata.values.get(KEY) else {
        return Ok(DEFAULT_ALIGNMENT);
    };
    // candle honours only these integer types and silently uses 32 for any other, which would
    // disagree with the layout the writer intended.
    let a = match (*code, value) {
        (vt::U8 | vt::U16 | vt::U32, Meta::Unsigned(v)) => *v,
        (vt::I8 | vt::I16 | vt::I32, Meta::Signed(v)) if *v >= 0 => *v as u64,
        (vt::I8 | vt::I16 | vt::I32, Meta::Signed(v)) => {
            return Err(GgufError::BadMetadata {
                key: KEY.into(),
                reason: format!("alignment is negative ({v})"),
            })
        }
        (c, _) => {
            return Err(GgufError::BadMetadata {
                key: KEY.into(),
                reason: format!("expected a u32, found a {}", type_name(c)),
            })
        }
    };
    if a == 0 || !a.is_power_of_two() || a > MAX_ALIGNMENT {
        return Err(GgufError::BadAlignment(a));
    }
    Ok(a)
}

// ---------------------------------------------------------------------------------------------
// Tensor infos

/// ggml type codes candle can read, with (block size in elements, block size in bytes).
fn dtype_info(code: u32) -> Option<(GgmlDType, u64, u64)> {
    let t = match code {
        0 => (GgmlDType::F32, 1, 4),
        1 => (GgmlDType::F16, 1, 2),
        2 => (GgmlDType::Q4_0, 32, 18),
        3 => (GgmlDType::Q4_1, 32, 20),
        6 => (GgmlDType::Q5_0, 32, 22),
        7 => (GgmlDType::Q5_1, 32, 24),
        8 => (GgmlDType::Q8_0, 32, 34),
        9 => (GgmlDType::Q8_1, 32, 36),
        10 => (GgmlDType::Q2K, 256, 84),
        11 => (GgmlDType::Q3K, 256, 110),
        12 => (GgmlDType::Q4K, 256, 144),
        13 => (GgmlDType::Q5K, 256, 176),
        14 => (GgmlDType::Q6K, 256, 210),
        15 => (GgmlDType::Q8K, 256, 292),
        30 => (GgmlDType::BF16, 1, 2),
        _ => return None,
    };
    Some(t)
}

struct RawTensor {
    name: String,
    /// Candle order (outermost first).
    dims: Vec<u64>,
    dtype: GgmlDType,
    rel_offset: u64,
    size: u64,
}

fn read_tensor_infos<R: Read + Seek>(
    input: &mut Input<R>,
    count: u64,
    alignment: u64,
) -> Result<Vec<RawTensor>> {
    let mut tensors = Vec::with_capacity(count as usize);
    let mut names = HashSet::new();
    for i in 0..count {
        let name = input.name(&|| format!("name of tensor {i}"))?;
        let n_dims = input.u32(|| format!("dimension count of tensor {name}"))?;
        if n_dims > MAX_TENSOR_DIMS {
            return Err(GgufError::TooMany {
                what: format!("dimension count of tensor {name}"),
                count: n_dims as u64,
                limit: MAX_TENSOR_DIMS as u64,
            });
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for d in 0..n_dims {
            dims.push(input.u64(|| format!("dimension {d} of tensor {name}"))?);
        }
        let code = input.u32(|| format!("type of tensor {name}"))?;
        let rel_offset = input.u64(|| format!("offset of tensor {name}"))?;
        if n_dims == 0 {
            return Err(bad_shape(&name, &dims, "it has no dimensions"));
        }
        if let Some(d) = dims.iter().position(|&d| d == 0) {
            return Err(bad_shape(&name, &dims, &format!("dimension {d} is zero")));
        }
        let elems = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .filter(|&e| e <= usize::MAX as u64)
            .ok_or_else(|| GgufError::ShapeOverflow {
                tensor: name.clone(),
                dims: dims.clone(),
            })?;
        let (dtype, block, block_bytes) =
            dtype_info(code).ok_or_else(|| GgufError::UnknownDType {
                tensor: name.clone(),
                code,
            })?;
        if dims[0] % block != 0 {
            return Err(bad_shape(
                &name,
                &dims,
                &format!(
                    "rows of {} elements are not a whole number of {dtype:?} blocks of {block}",
                    dims[0]
                ),
            ));
        }
        let size =
            (elems / block)
                .checked_mul(block_bytes)
                .ok_or_else(|| GgufError::ShapeOverflow {
                    tensor: name.clone(),
                    dims: dims.clone(),
                })?;
        if rel_offset % alignment != 0 {
            return Err(GgufError::MisalignedTensor {
                tensor: name,
                offset: rel_offset,
                alignment,
            });
        }
        if !names.insert(name.clone()) {
            return Err(GgufError::DuplicateTensor(name));
        }
        dims.reverse();
        tensors.push(RawTensor {
            name,
            dims,
            dtype,
            rel_offset,
            size,
        });
    }
    Ok(tensors)
}

fn bad_shape(tensor: &str, dims: &[u64], reason: &str) -> GgufError {
    GgufError::BadShape {
        tensor: tensor.into(),
        dims: dims.to_vec(),
        reason: reason.into(),
    }
}

/// Computes absolute offsets and checks every tensor lies inside the file and none overlap.
fn place_tensors(
    raw: Vec<RawTensor>,
    data_offset: u64,
    file_len: u64,
) -> Result<Vec<TensorSummary>> {
    let mut out = Vec::with_capacity(raw.len());
    for t in raw {
        let start = data_offset.checked_add(t.rel_offset);
        let end = start.and_then(|s| s.checked_add(t.size));
        match (start, end) {
            (Some(start), Some(end)) if end <= file_len => out.push(TensorSummary {
                name: t.name,
                dims: t.dims,
                dtype: t.dtype,
                offset: start,
                size: t.size,
            }),
            _ => {
                return Err(GgufError::TensorOutOfBounds {
                    tensor: t.name,
                    start: start.unwrap_or(u64::MAX),
                    end: end.unwrap_or(u64::MAX),
                    file_len,
                })
            }
        }
    }
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by_key(|&i| out[i].offset);
    for pair in order.windows(2) {
        let (a, b) = (&out[pair[0]], &out[pair[1]]);
        if a.offset + a.size > b.offset {
            return Err(GgufError::TensorOverlap {
                first: a.name.clone(),
                second: b.name.clone(),
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Architecture checks

fn get<'a>(metadata: &'a Metadata, key: &str) -> Option<&'a Meta> {
    metadata.values.get(key).map(|(_, v)| v)
}

fn type_of(metadata: &Metadata, key: &str) -> &'static str {
    metadata
        .values
        .get(key)
        .map_or("missing value", |(code, _)| type_name(*code))
}

/// An unsigned integer metadata value, if present.
fn get_uint(metadata: &Metadata, key: &str) -> Result<Option<u64>> {
    match get(metadata, key) {
        None => Ok(None),
        Some(Meta::Unsigned(v)) => Ok(Some(*v)),
        Some(Meta::Signed(v)) if *v >= 0 => Ok(Some(*v as u64)),
        Some(Meta::Signed(v)) => Err(GgufError::BadMetadata {
            key: key.into(),
            reason: format!("value {v} is negative"),
        }),
        Some(_) => Err(GgufError::BadMetadata {
            key: key.into(),
            reason: format!(
                "expected an unsigned integer, found a {}",
                type_of(metadata, key)
            ),
        }),
    }
}

/// An unsigned integer in `min..=max`, if present.
fn get_ranged(metadata: &Metadata, key: &str, min: u64, max: u64) -> Result<Option<u64>> {
    let v = get_uint(metadata, key)?;
    if let Some(value) = v {
        if value < min || value > max {
            return Err(GgufError::OutOfRange {
                key: key.into(),
                value,
                min,
                max,
            });
        }
    }
    Ok(v)
}

/// A positive finite float, if present.
fn get_positive_float(metadata: &Metadata, key: &str) -> Result<Option<f64>> {
    match get(metadata, key) {
        None => Ok(None),
        Some(Meta::Float(f)) if f.is_finite() && *f > 0.0 => Ok(Some(*f)),
        Some(Meta::Float(f)) => Err(GgufError::BadMetadata {
            key: key.into(),
            reason: format!("value {f} is not a positive finite number"),
        }),
        Some(_) => Err(GgufError::BadMetadata {
            key: key.into(),
            reason: format!("expected a float, found a {}", type_of(metadata, key)),
        }),
    }
}

/// Metadata keys (after `{arch}.`) each architecture's candle constructor requires.
fn required_keys(arch: &str) -> Vec<&'static str> {
    let mut keys = vec![
        "attention.head_count",
        "attention.head_count_kv",
        "block_count",
        "embedding_length",
        "attention.layer_norm_rms_epsilon",
    ];
    keys.extend_from_slice(match arch {
        "qwen2" => &["context_length"][..],
        "qwen3" => &["context_length", "attention.key_length", "rope.freq_base"][..],
        "llama" => &["rope.dimension_count"][..],
        "gemma3" => &[
            "attention.key_length",
            "attention.value_length",
            "attention.sliding_window",
        ][..],
        _ => &[][..],
    });
    keys
}

fn check_model(metadata: &Metadata, summary: &mut GgufSummary) -> Result<()> {
    let arch = match get(metadata, "general.architecture") {
        None => return Err(GgufError::MissingKey("general.architecture".into())),
        Some(Meta::Str(Some(s))) => s.clone(),
        Some(Meta::Str(None)) => {
            return Err(GgufError::UnsupportedArchitecture(
                "(a string longer than 1 KiB)".into(),
            ))
        }
        Some(_) => {
            return Err(GgufError::BadMetadata {
                key: "general.architecture".into(),
                reason: "expected a string".into(),
            })
        }
    };
    if !SUPPORTED_ARCHITECTURES.contains(&arch.as_str()) {
        return Err(GgufError::UnsupportedArchitecture(arch));
    }
    let key = |suffix: &str| format!("{arch}.{suffix}");
    for suffix in required_keys(&arch) {
        if !metadata.values.contains_key(&key(suffix)) {
            return Err(GgufError::MissingKey(key(suffix)));
        }
    }

    let context_length = get_ranged(metadata, &key("context_length"), 1, MAX_CONTEXT_LENGTH)?;
    let block_count = get_ranged(metadata, &key("block_count"), 1, MAX_BLOCK_COUNT)?;
    let head_count = get_ranged(metadata, &key("attention.head_count"), 1, MAX_HEAD_COUNT)?;
    let head_count_kv = get_ranged(metadata, &key("attention.head_count_kv"), 1, MAX_HEAD_COUNT)?;
    let embedding_length = get_ranged(metadata, &key("embedding_length"), 1, MAX_EMBEDDING_LENGTH)?;
    get_ranged(
        metadata,
        &key("feed_forward_length"),
        1,
        MAX_FEED_FORWARD_LENGTH,
    )?;
    let key_length = get_ranged(metadata, &key("attention.key_length"), 1, MAX_HEAD_DIM)?;
    get_ranged(metadata, &key("attention.value_length"), 1, MAX_HEAD_DIM)?;
    get_ranged(metadata, &key("rope.dimension_count"), 1, MAX_HEAD_DIM)?;
    get_ranged(
        metadata,
        &key("attention.sliding_window"),
        1,
        MAX_CONTEXT_LENGTH,
    )?;
    let vocab_key = get_ranged(metadata, &key("vocab_size"), 1, MAX_VOCAB_SIZE)?;
    get_positive_float(metadata, &key("attention.layer_norm_rms_epsilon"))?;
    get_positive_float(metadata, &key("rope.freq_base"))?;

    // required_keys made these present for every supported architecture.
    let (heads, kv_heads, embd, blocks) =
        match (head_count, head_count_kv, embedding_length, block_count) {
            (Some(h), Some(kv), Some(e), Some(b)) => (h, kv, e, b),
            _ => return Err(GgufError::MissingKey(key("attention.head_count"))),
        };
    if heads % kv_heads != 0 {
        return Err(GgufError::BadMetadata {
            key: key("attention.head_count_kv"),
            reason: format!(
                "{kv_heads} does not divide {} = {heads}",
                key("attention.head_count")
            ),
        });
    }
    let head_dim = match key_length {
        Some(k) => k,
        None => {
            if embd % heads != 0 {
                return Err(GgufError::BadMetadata {
                    key: key("embedding_length"),
                    reason: format!(
                        "{embd} is not divisible by {} = {heads}",
                        key("attention.head_count")
                    ),
                });
            }
            embd / heads
        }
    };
    // Rotary embeddings rotate pairs of dimensions: candle fails on an odd head dim.
    if head_dim % 2 != 0 {
        let source = if key_length.is_some() {
            key("attention.key_length")
        } else {
            format!(
                "{} / {}",
                key("embedding_length"),
                key("attention.head_count")
            )
        };
        return Err(GgufError::BadMetadata {
            key: source,
            reason: format!("the head dimension {head_dim} must be even for rotary embeddings"),
        });
    }
    if let Some(rope) = get_uint(metadata, &key("rope.dimension_count"))? {
        if rope % 2 != 0 || rope > head_dim {
            return Err(GgufError::BadMetadata {
                key: key("rope.dimension_count"),
                reason: format!("{rope} must be even and at most the head dimension {head_dim}"),
            });
        }
    }

    // Tensors against hyper-parameters.
    let by_name: HashMap<&str, &TensorSummary> = summary
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let embd_t = by_name
        .get("token_embd.weight")
        .ok_or_else(|| GgufError::MissingTensor("token_embd.weight".into()))?;
    let vocab = match embd_t.dims.as_slice() {
        [rows, cols] if *cols == embd => *rows,
        dims => {
            return Err(GgufError::Inconsistent {
                tensor: "token_embd.weight".into(),
                reason: format!(
                    "shape {dims:?} should be [vocab, {embd}] ({} = {embd})",
                    key("embedding_length")
                ),
            })
        }
    };
    if vocab > MAX_VOCAB_SIZE {
        return Err(GgufError::TooMany {
            what: "vocabulary size (rows of token_embd.weight)".into(),
            count: vocab,
            limit: MAX_VOCAB_SIZE,
        });
    }
    check_tokenizer(metadata, vocab)?;
    if let Some(tokens) = metadata.token_count {
        if tokens != vocab {
            return Err(GgufError::Inconsistent {
                tensor: "token_embd.weight".into(),
                reason: format!("{vocab} rows but tokenizer.ggml.tokens has {tokens} tokens"),
            });
        }
    }
    if let Some(v) = vocab_key {
        if v != vocab {
            return Err(GgufError::Inconsistent {
                tensor: "token_embd.weight".into(),
                reason: format!("{vocab} rows but {} = {v}", key("vocab_size")),
            });
        }
    }

    for t in &summary.tensors {
        if let Some(rest) = t.name.strip_prefix("blk.") {
            let index = rest.split('.').next().unwrap_or("");
            match index.parse::<u64>() {
                Ok(i) if i < blocks => {}
                Ok(i) => {
                    return Err(GgufError::Inconsistent {
                        tensor: t.name.clone(),
                        reason: format!(
                            "block index {i} is not below {} = {blocks}",
                            key("block_count")
                        ),
                    })
                }
                Err(_) => {
                    return Err(GgufError::Inconsistent {
                        tensor: t.name.clone(),
                        reason: format!("\"{index}\" is not a block index"),
                    })
                }
            }
        }
    }
    check_tensors(
        metadata,
        &arch,
        &by_name,
        &Dims {
            heads,
            kv_heads,
            embd,
            blocks,
            head_dim,
            vocab,
        },
    )?;

    summary.architecture = arch;
    summary.context_length = context_length;
    summary.block_count = Some(blocks);
    summary.head_count = Some(heads);
    summary.head_count_kv = Some(kv_heads);
    summary.embedding_length = Some(embd);
    summary.vocab_size = Some(vocab);
    summary.tokenizer_model = match get(metadata, "tokenizer.ggml.model") {
        Some(Meta::Str(Some(m))) => Some(m.clone()),
        _ => None,
    };
    summary.has_chat_template =
        matches!(get(metadata, "tokenizer.chat_template"), Some(Meta::Str(_)));
    Ok(())
}

/// The tokenizer arrays hold strings and the special token ids name real tokens.
fn check_tokenizer(metadata: &Metadata, vocab: u64) -> Result<()> {
    for key in ["tokenizer.ggml.tokens", "tokenizer.ggml.merges"] {
        match get(metadata, key) {
            None
            | Some(Meta::Array {
                elem: vt::STRING, ..
            }) => {}
            Some(Meta::Array { elem, .. }) => {
                return Err(GgufError::BadMetadata {
                    key: key.into(),
                    reason: format!(
                        "expected an array of strings, found an array of {}",
                        type_name(*elem)
                    ),
                })
            }
            Some(_) => {
                return Err(GgufError::BadMetadata {
                    key: key.into(),
                    reason: format!(
                        "expected an array of strings, found a {}",
                        type_of(metadata, key)
                    ),
                })
            }
        }
    }
    for id in ["bos", "eos", "unk", "sep", "padding"] {
        let key = format!("tokenizer.ggml.{id}_token_id");
        get_ranged(metadata, &key, 0, vocab.saturating_sub(1))?;
    }
    Ok(())
}

/// The hyper-parameters tensor shapes are checked against.
struct Dims {
    heads: u64,
    kv_heads: u64,
    embd: u64,
    blocks: u64,
    head_dim: u64,
    vocab: u64,
}

/// Checks that every tensor candle's constructor for `arch` loads is present with the shape the
/// hyper-parameters imply (shapes in candle's order: `[out, in]` for matrices).
fn check_tensors(
    metadata: &Metadata,
    arch: &str,
    by_name: &HashMap<&str, &TensorSummary>,
    d: &Dims,
) -> Result<()> {
    let key = |suffix: &str| format!("{arch}.{suffix}");
    let embd = d.embd;
    let value_dim = get_uint(metadata, &key("attention.value_length"))?.unwrap_or(d.head_dim);
    let q_dim = d.heads.saturating_mul(d.head_dim);
    let k_dim = d.kv_heads.saturating_mul(d.head_dim);
    let v_dim = d.kv_heads.saturating_mul(value_dim);
    let o_dim = d.heads.saturating_mul(value_dim);
    let ffn = get_uint(metadata, &key("feed_forward_length"))?;
    let experts = get_ranged(metadata, &key("expert_count"), 0, 256)?.unwrap_or(0);
    if let Some(used) = get_ranged(metadata, &key("expert_used_count"), 0, 256)? {
        if experts > 0 && used > experts {
            return Err(GgufError::BadMetadata {
                key: key("expert_used_count"),
                reason: format!("{used} is more than {} = {experts}", key("expert_count")),
            });
        }
    }
    let why_embd = format!("{} = {embd}", key("embedding_length"));
    let why_attn = format!(
        "{} = {}, {} = {}, head dim {}, {why_embd}",
        key("attention.head_count"),
        d.heads,
        key("attention.head_count_kv"),
        d.kv_heads,
        d.head_dim
    );
    let expect = |name: &str, dims: &[u64], why: &str| -> Result<()> {
        let t = by_name
            .get(name)
            .ok_or_else(|| GgufError::MissingTensor(name.into()))?;
        if t.dims != dims {
            return Err(GgufError::Inconsistent {
                tensor: name.into(),
                reason: format!("shape {:?} should be {dims:?} ({why})", t.dims),
            });
        }
        Ok(())
    };
    expect("output_norm.weight", &[embd], &why_embd)?;
    if by_name.contains_key("output.weight") {
        let why = format!("vocabulary {}, {why_embd}", d.vocab);
        expect("output.weight", &[d.vocab, embd], &why)?;
    }
    for i in 0..d.blocks {
        let name = |t: &str| format!("blk.{i}.{t}");
        expect(&name("attn_q.weight"), &[q_dim, embd], &why_attn)?;
        expect(&name("attn_k.weight"), &[k_dim, embd], &why_attn)?;
        expect(&name("attn_v.weight"), &[v_dim, embd], &why_attn)?;
        expect(&name("attn_output.weight"), &[embd, o_dim], &why_attn)?;
        expect(&name("attn_norm.weight"), &[embd], &why_embd)?;
        expect(&name("ffn_norm.weight"), &[embd], &why_embd)?;
        if experts <= 1 {
            match ffn {
                Some(f) => {
                    let why = format!("{} = {f}, {why_embd}", key("feed_forward_length"));
                    expect(&name("ffn_gate.weight"), &[f, embd], &why)?;
                    expect(&name("ffn_up.weight"), &[f, embd], &why)?;
                    expect(&name("ffn_down.weight"), &[embd, f], &why)?;
                }
                None => {
                    for t in ["ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"] {
                        if !by_name.contains_key(name(t).as_str()) {
                            return Err(GgufError::MissingTensor(name(t)));
                        }
                    }
                }
            }
        }
        match arch {
            "qwen2" => {
                expect(&name("attn_q.bias"), &[q_dim], &why_attn)?;
                expect(&name("attn_k.bias"), &[k_dim], &why_attn)?;
                expect(&name("attn_v.bias"), &[v_dim], &why_attn)?;
            }
            "qwen3" | "gemma3" => {
                let why = format!("head dim {}", d.head_dim);
                expect(&name("attn_q_norm.weight"), &[d.head_dim], &why)?;
                expect(&name("attn_k_norm.weight"), &[d.head_dim], &why)?;
            }
            _ => {}
        }
        if arch == "gemma3" {
            expect(&name("post_attention_norm.weight"), &[embd], &why_embd)?;
            expect(&name("post_ffw_norm.weight"), &[embd], &why_embd)?;
        }
    }
    Ok(())
}
