//! A model loaded from one GGUF file together with its tokenizer, chat template and the
//! prompt-prefix cache. Loading checks the file with the safe validator first, then lets
//! candle parse it and dispatches on `general.architecture`.
//!
//! The prefix cache: the leading system messages of a chat (the fixed instructions, identical
//! across requests) are rendered through the template on their own; the longest common token
//! prefix of that rendering and the full prompt is prefilled once and its KV state kept. A
//! later prompt starting with the same tokens restores that state and prefills only the rest.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use candle_core::quantized::gguf_file;
use candle_core::Tensor;

use super::constraint::Vocab;
use super::model::{Arch, KvSnapshot, Model, ModelConfig};
use super::template::{ChatMessage, ChatTemplate};
use super::tokenizer::TextCodec;
use super::{prevalidate, EngineError, Result};

/// Longest prefill chunk: bounds the attention matrices on long prompts.
pub const PREFILL_CHUNK: usize = 512;

/// Opens a GGUF file: checks it with the safe validator, then parses its header (metadata and
/// tensor table) with candle, leaving the reader for the tensor data.
pub fn read_gguf(path: &Path) -> Result<(gguf_file::Content, BufReader<File>)> {
    if !path.is_file() {
        return Err(EngineError::ModelNotFound(path.to_path_buf()));
    }
    prevalidate(path)?;
    let io = |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let mut ct = gguf_file::Content::read(&mut file)
        .map_err(|e| EngineError::BadModel(format!("{}: {e}", path.display())))?;
    super::tokenizer::normalize_pre(&mut ct);
    Ok((ct, file))
}

/// What the server shows about the loaded model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ModelInfo {
    /// `general.name`, or the file stem.
    pub name: String,
    /// `general.architecture`.
    pub architecture: String,
    /// Context length in tokens.
    pub context_length: usize,
    /// Weights in the file (every tensor's elements): what sets a model's size class.
    pub parameters: u64,
    /// The file it came from.
    pub path: PathBuf,
}

/// A model with everything needed to chat with it.
pub struct LoadedModel {
    /// The decoder.
    pub model: Model,
    /// Tokenizer and token facts.
    pub codec: TextCodec,
    /// The chat template.
    pub template: ChatTemplate,
    /// Token id → text, shared with constraints.
    pub vocab: Arc<Vocab>,
    /// Name, architecture, context length.
    pub info: ModelInfo,
    /// Tokens of the cached prefix and the KV state after them.
    prefix: Option<(Vec<u32>, KvSnapshot)>,
}

/// A tokenized chat prompt.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// All prompt tokens.
    pub tokens: Vec<u32>,
    /// How many leading tokens are the fixed instruction prefix (0: none).
    pub prefix_len: usize,
}

impl LoadedModel {
    /// Loads a GGUF model file.
    pub fn load(path: &Path) -> Result<Self> {
        let (ct, mut file) = read_gguf(path)?;
        let arch_name = ct
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .ok_or_else(|| EngineError::BadModel("missing `general.architecture`".into()))?;
        let arch = Arch::parse(&arch_name)?;
        let cfg = ModelConfig::from_gguf(&ct, arch)?;
        let codec = TextCodec::load(&ct, path)?;
        let chat = ct
            .metadata
            .get("tokenizer.chat_template")
            .and_then(|v| v.to_string().ok());
        let template = ChatTemplate::new(
            chat.map(String::as_str),
            arch,
            codec.bos_text(),
            codec.eos_text(),
        )?;
        let name = ct
            .metadata
            .get("general.name")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        let parameters = ct
            .tensor_infos
            .values()
            .map(|t| t.shape.elem_count() as u64)
            .sum();
        let model = Model::from_gguf(&ct, &mut file, cfg)?;
        let info = ModelInfo {
            name,
            architecture: arch_name,
            context_length: model.config().context_length,
            parameters,
            path: path.to_path_buf(),
        };
        let vocab = Arc::new(Vocab::from_pieces(codec.pieces(), codec.eos_ids()));
        let mut lm = Self {
            model,
            codec,
            template,
            vocab,
            info,
            prefix: None,
        };
        lm.warm_up()?;
        Ok(lm)
    }

    /// candle repacks each quantized matrix for its fast kernels on first use (one layout for
    /// single-token products, one for batches); doing it here moves that cost (about a second
    /// for a 0.6B model) from the first request into loading.
    fn warm_up(&mut self) -> Result<()> {
        let t = self.codec.eos_ids().first().copied().unwrap_or(0);
        self.model.clear_cache();
        self.model.forward(&[t; 8])?;
        self.model.forward(&[t])?;
        self.model.clear_cache();
        Ok(())
    }

    /// Renders and tokenizes a chat, finding the fixed instruction prefix.
    pub fn prompt(&self, messages: &[ChatMessage]) -> Result<Prompt> {
        let text = self.template.render(messages, true)?;
        let tokens = self.codec.encode(&text)?;
        // The fixed prefix: the system messages and any worked-example turns after them, i.e.
        // everything before the last message (the request itself).
        let n_sys = messages.iter().take_while(|m| m.role == "system").count();
        let n_fixed = if n_sys == 0 {
            0
        } else {
            n_sys.max(messages.len().saturating_sub(1))
        };
        let prefix_len = if n_fixed == 0 {
            0
        } else {
            let sys = self
                .codec
                .encode(&self.prefix_text(&messages[..n_fixed])?)?;
            sys.iter().zip(&tokens).take_while(|(a, b)| a == b).count()
        };
        Ok(Prompt { tokens, prefix_len })
    }

    /// The rendered text that every chat starting with `system` (the system messages and any
    /// fixed turns after them) begins with: those messages followed by a sentinel user turn, cut
    /// at the sentinel (so templates that fold
    /// the system text into the first user turn, like Gemma's, still get a useful prefix).
    fn prefix_text(&self, system: &[ChatMessage]) -> Result<String> {
        const SENTINEL: &str = "FACTCHECKPREFIXSENTINEL";
        let mut probe = system.to_vec();
        probe.push(ChatMessage::new("user", SENTINEL));
        if let Ok(text) = self.template.render(&probe, false) {
            if let Some(at) = text.find(SENTINEL) {
                return Ok(text[..at].to_string());
            }
        }
        self.template.render(system, false)
    }

    /// Prefills `prompt` and returns the logits of its last token and how many prompt tokens
    /// came from the prefix cache; `None` when `cancel` was set (checked between chunks).
    pub fn prefill(
        &mut self,
        prompt: &Prompt,
        use_cache: bool,
        cancel: &AtomicBool,
    ) -> Result<Option<(Tensor, usize)>> {
        let toks = &prompt.tokens;
        let p = prompt.prefix_len;
        if !use_cache || p == 0 || p >= toks.len() {
            self.model.clear_cache();
            return Ok(self.run_chunks(toks, cancel)?.map(|l| (l, 0)));
        }
        let hit = matches!(&self.prefix, Some((cached, _)) if cached.as_slice() == &toks[..p]);
        let cached = if hit {
            if let Some((_, snap)) = &self.prefix {
                self.model.restore(snap)?;
            }
            p
        } else {
            self.model.clear_cache();
            if self.run_chunks(&toks[..p], cancel)?.is_none() {
                return Ok(None);
            }
            self.prefix = Some((toks[..p].to_vec(), self.model.snapshot()?));
            0
        };
        Ok(self.run_chunks(&toks[p..], cancel)?.map(|l| (l, cached)))
    }

    /// Runs `tokens` in chunks of [`PREFILL_CHUNK`], stopping early when `cancel` is set.
    fn run_chunks(&mut self, tokens: &[u32], cancel: &AtomicBool) -> Result<Option<Tensor>> {
        let mut last = None;
        for chunk in tokens.chunks(PREFILL_CHUNK) {
            if cancel.load(Ordering::Relaxed) {
                return Ok(None);
            }
            last = Some(self.model.forward(chunk)?);
        }
        match last {
            Some(l) => Ok(Some(l)),
            None => Err(EngineError::InvalidRequest("nothing to prefill".into())),
        }
    }

    /// Drops the cached prefix state.
    pub fn clear_prefix_cache(&mut self) {
        self.prefix = None;
    }
}
