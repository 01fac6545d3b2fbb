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
//!
//! This file holds the public API: the entry points, the summary, the error type and the limits.
//! The work is split by concern: `reader` is the bounded binary reader and the fixed header,
//! `metadata` the key/value section with its memory budget and typed look-ups, `tensors` the
//! tensor table (types, shapes, offsets, overlap) and its agreement with the hyper-parameters, and
//! `arch` the per-architecture rules for the hyper-parameters themselves.

mod arch;
mod metadata;
mod reader;
mod tensors;

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use candle_core::quantized::GgmlDType;

use reader::Input;

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
    let mut input = Input::start(r, file_len)?;
    let header = reader::read_header(&mut input)?;
    let metadata = metadata::read_metadata(&mut input, header.metadata_count)?;
    let alignment = metadata.alignment()?;
    let raw = tensors::read_tensor_infos(&mut input, header.tensor_count, alignment)?;
    let data_offset = tensors::data_offset(input.pos, alignment, file_len)?;
    let tensors = tensors::place_tensors(raw, data_offset, file_len)?;
    let model = arch::check_model(&metadata, &tensors)?;
    Ok(GgufSummary {
        version: header.version,
        architecture: model.architecture,
        tensor_count: header.tensor_count,
        metadata_count: header.metadata_count,
        context_length: model.context_length,
        block_count: Some(model.block_count),
        head_count: Some(model.head_count),
        head_count_kv: Some(model.head_count_kv),
        embedding_length: Some(model.embedding_length),
        vocab_size: Some(model.vocab_size),
        tokenizer_model: model.tokenizer_model,
        has_chat_template: model.has_chat_template,
        alignment,
        data_offset,
        tensors,
    })
}

/// Fails with `TooMany` when `count` is above `limit`; `what` names the count.
fn at_most(what: impl FnOnce() -> String, count: u64, limit: u64) -> Result<()> {
    if count > limit {
        return Err(GgufError::TooMany {
            what: what(),
            count,
            limit,
        });
    }
    Ok(())
}
