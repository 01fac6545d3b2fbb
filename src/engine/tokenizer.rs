//! The tokenizer, built from the GGUF metadata (`tokenizer.ggml.*`) or from a `tokenizer.json`
//! beside the model file, plus what generation needs on top of it: the bytes each token stands
//! for (for UTF-8-safe streaming and constrained decoding), which tokens end a turn, and the
//! special-token strings the chat template refers to.
//!
//! GPT-2-style byte-level BPE vocabularies (`tokenizer.ggml.model = "gpt2"`: Qwen, Llama 3) go
//! through candle's `TokenizerFromGguf`. SentencePiece-style vocabularies (`"llama"`: Gemma,
//! Mistral, Llama 2) are converted here into a `tokenizers` BPE model: merges are derived from
//! the vocabulary (a piece that splits into two known pieces gives a merge, ranked by the
//! piece's score), with byte fallback through the `<0xNN>` tokens.

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::{Prepend, Replace, Sequence as NormSequence};
use tokenizers::pre_tokenizers::byte_level::ByteLevel as ByteLevelPre;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence as PreSequence;
use tokenizers::{AddedToken, DecoderWrapper, NormalizerWrapper, Tokenizer};

use super::{EngineError, Result};

/// Token names that end an assistant turn in the families we support. As in llama.cpp, a
/// user-defined token with one of these names is a control token (`</s>` in Gemma's and Qwen's
/// vocabularies): never matched in text encoded without special-token parsing, never shown.
const TURN_ENDS: &[&str] = &[
    "</s>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|end_of_text|>",
    "<end_of_turn>",
    "<eos>",
];

/// How token strings map to bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// GPT-2 byte-to-unicode mapping.
    ByteLevel,
    /// `▁` for spaces and `<0xNN>` byte tokens.
    SentencePiece,
}

/// A tokenizer plus per-token facts used by generation.
pub struct TextCodec {
    tokenizer: Tokenizer,
    /// The same tokenizer with control-token text read as ordinary characters (made on first use).
    plain: std::sync::OnceLock<Tokenizer>,
    /// Bytes each token id stands for when generated (empty for control tokens).
    pieces: Vec<Vec<u8>>,
    /// Control/special tokens: never shown as text.
    special: Vec<bool>,
    eos_ids: Vec<u32>,
    bos: Option<(u32, String)>,
    eos_text: Option<String>,
    add_bos: bool,
}

fn tok_err(e: impl std::fmt::Display) -> EngineError {
    EngineError::Tokenizer(e.to_string())
}

fn md_str<'a>(ct: &'a Content, key: &str) -> Option<&'a str> {
    ct.metadata
        .get(key)
        .and_then(|v| v.to_string().ok())
        .map(String::as_str)
}

fn md_u32(ct: &Content, key: &str) -> Option<u32> {
    let v = ct.metadata.get(key)?;
    v.to_u32()
        .ok()
        .or_else(|| v.to_i32().ok().map(|x| x as u32))
}

fn md_strings(ct: &Content, key: &str) -> Result<Vec<String>> {
    let arr = ct
        .metadata
        .get(key)
        .ok_or_else(|| tok_err(format!("missing metadata `{key}`")))?
        .to_vec()
        .map_err(|_| tok_err(format!("`{key}` is not an array")))?;
    arr.iter()
        .map(|v| {
            v.to_string()
                .cloned()
                .map_err(|_| tok_err(format!("`{key}` holds a non-string")))
        })
        .collect()
}

fn md_numbers(ct: &Content, key: &str) -> Vec<f64> {
    let Some(Ok(arr)) = ct.metadata.get(key).map(Value::to_vec) else {
        return Vec::new();
    };
    arr.iter()
        .map(|v| match v {
            Value::F32(x) => f64::from(*x),
            Value::F64(x) => *x,
            Value::I32(x) => f64::from(*x),
            Value::U32(x) => f64::from(*x),
            Value::I8(x) => f64::from(*x),
            Value::U8(x) => f64::from(*x),
            _ => 0.0,
        })
        .collect()
}

/// GPT-2's reversible byte → printable-char table, inverted.
fn byte_level_decoder() -> HashMap<char, u8> {
    let mut map = HashMap::new();
    let mut extra = 0u32;
    for b in 0u32..256 {
        let printable =
            (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
        let c = if printable {
            b
        } else {
            extra += 1;
            255 + extra
        };
        if let Some(c) = char::from_u32(c) {
            map.insert(c, b as u8);
        }
    }
    map
}

fn piece_bytes(style: Style, tok: &str, table: &HashMap<char, u8>) -> Vec<u8> {
    match style {
        Style::ByteLevel => {
            let mapped: Option<Vec<u8>> = tok.chars().map(|c| table.get(&c).copied()).collect();
            mapped.unwrap_or_else(|| tok.as_bytes().to_vec())
        }
        Style::SentencePiece => {
            if tok.len() == 6 && tok.starts_with("<0x") && tok.ends_with('>') {
                if let Ok(b) = u8::from_str_radix(&tok[3..5], 16) {
                    return vec![b];
                }
            }
            tok.replace('\u{2581}', " ").into_bytes()
        }
    }
}

/// Builds a SentencePiece-style tokenizer from `tokenizer.ggml.tokens` / `scores`.
fn sentencepiece_from_gguf(ct: &Content, tokens: &[String], types: &[f64]) -> Result<Tokenizer> {
    let scores = md_numbers(ct, "tokenizer.ggml.scores");
    let vocab: HashMap<String, u32> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let normal = |i: usize| types.get(i).is_none_or(|&t| t == 1.0);
    let mut merges: Vec<(f64, usize, String, String)> = Vec::new();
    for (id, tok) in tokens.iter().enumerate() {
        if !normal(id) || tok.chars().count() < 2 {
            continue;
        }
        let score = scores.get(id).copied().unwrap_or(0.0);
        for (cut, _) in tok.char_indices().skip(1) {
            let (a, b) = tok.split_at(cut);
            if vocab.contains_key(a) && vocab.contains_key(b) {
                merges.push((score, id, a.to_string(), b.to_string()));
            }
        }
    }
    merges.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    let merges: Vec<(String, String)> = merges.into_iter().map(|(_, _, a, b)| (a, b)).collect();
    let unk = md_u32(ct, "tokenizer.ggml.unknown_token_id")
        .and_then(|i| tokens.get(i as usize))
        .cloned()
        .unwrap_or_else(|| "<unk>".to_string());
    let mut builder = BPE::builder()
        .vocab_and_merges(
            vocab
                .into_iter()
                .collect::<tokenizers::models::bpe::Vocab>(),
            merges,
        )
        .byte_fallback(true);
    if tokens.contains(&unk) {
        builder = builder.unk_token(unk);
    }
    let bpe = builder.build().map_err(tok_err)?;
    let mut tk = Tokenizer::new(bpe);
    let prefix = ct
        .metadata
        .get("tokenizer.ggml.add_space_prefix")
        .and_then(|v| v.to_bool().ok())
        .unwrap_or(md_str(ct, "general.architecture") != Some("gemma3"));
    let mut norms: Vec<NormalizerWrapper> = Vec::new();
    if prefix {
        norms.push(Prepend::new("\u{2581}".to_string()).into());
    }
    norms.push(Replace::new(" ", "\u{2581}").map_err(tok_err)?.into());
    tk.with_normalizer(Some(NormSequence::new(norms)))
        .map_err(tok_err)?;
    let mut decs: Vec<DecoderWrapper> = vec![
        tokenizers::decoders::DecoderWrapper::Replace(
            tokenizers::normalizers::Replace::new("\u{2581}", " ").map_err(tok_err)?,
        ),
        ByteFallback::new().into(),
        Fuse::new().into(),
    ];
    if prefix {
        decs.push(Strip::new(' ', 1, 0).into());
    }
    tk.with_decoder(Some(DecoderSequence::new(decs)));
    Ok(tk)
}

/// Builds a GPT-2-style byte-level BPE tokenizer with candle, then puts right what it gets
/// wrong against llama.cpp: for a `tokenizer.ggml.pre` it has no pipeline for (SmolLM's
/// `smollm`, StarCoder's…) candle adds a leading space to the text; llama.cpp never does, and
/// splits digits one by one for these vocabularies. A turn-end name that the vocabulary holds as
/// an ordinary token (`</s>` in Qwen's) is made a control token, as llama.cpp does.
fn byte_level_from_gguf(ct: &Content) -> Result<Tokenizer> {
    let mut tk = Tokenizer::from_gguf(ct).map_err(tok_err)?;
    let pre = md_str(ct, "tokenizer.ggml.pre").unwrap_or("default");
    let candle_knows = ["qwen2", "llama3", "smaug-bpe", "lfm2"];
    if !candle_knows.contains(&pre) {
        let gpt2 = ByteLevelPre::new(false, true, true).into();
        let digits_apart = ["smollm", "starcoder", "refact", "codeshell"];
        let seq = if digits_apart.contains(&pre) {
            PreSequence::new(vec![Digits::new(true).into(), gpt2])
        } else {
            PreSequence::new(vec![gpt2])
        };
        tk.with_pre_tokenizer(Some(seq));
    }
    let added = tk.get_added_tokens_decoder();
    let control: Vec<AddedToken> = TURN_ENDS
        .iter()
        .filter_map(|name| tk.token_to_id(name))
        .filter(|id| !added.get(id).is_some_and(|t| t.special))
        .filter_map(|id| tk.id_to_token(id))
        .map(|t| AddedToken::from(t, true))
        .collect();
    if !control.is_empty() {
        tk.add_special_tokens(control).map_err(tok_err)?;
    }
    Ok(tk)
}

/// candle knows llama.cpp's `llama-bpe` pre-tokenizer under the name `llama3`.
pub fn normalize_pre(ct: &mut Content) {
    if md_str(ct, "tokenizer.ggml.pre") == Some("llama-bpe") {
        ct.metadata
            .insert("tokenizer.ggml.pre".into(), Value::String("llama3".into()));
    }
}

impl TextCodec {
    /// The tokenizer of a model file alone (no weights are read).
    pub fn open(model_path: &Path) -> Result<Self> {
        let (ct, _) = super::loaded::read_gguf(model_path)?;
        Self::load(&ct, model_path)
    }

    /// Builds the tokenizer for a model file: `tokenizer.json` beside it wins, else the GGUF
    /// metadata.
    pub fn load(ct: &Content, model_path: &Path) -> Result<Self> {
        let tokens = md_strings(ct, "tokenizer.ggml.tokens")?;
        let types = md_numbers(ct, "tokenizer.ggml.token_type");
        let kind = md_str(ct, "tokenizer.ggml.model")
            .unwrap_or("gpt2")
            .to_lowercase();
        let style = if kind == "gpt2" {
            Style::ByteLevel
        } else {
            Style::SentencePiece
        };
        let side = model_path.with_file_name("tokenizer.json");
        let tokenizer = if side.is_file() {
            Tokenizer::from_file(&side).map_err(|e| tok_err(format!("{}: {e}", side.display())))?
        } else {
            match kind.as_str() {
                "gpt2" => byte_level_from_gguf(ct)?,
                "llama" => {
                    let mut tk = sentencepiece_from_gguf(ct, &tokens, &types)?;
                    let (specials, user): (Vec<AddedToken>, Vec<AddedToken>) = tokens
                        .iter()
                        .enumerate()
                        .filter_map(|(i, t)| match types.get(i) {
                            Some(3.0) => Some(AddedToken::from(t.clone(), true)),
                            Some(4.0) => Some(if TURN_ENDS.contains(&t.as_str()) {
                                AddedToken::from(t.clone(), true)
                            } else {
                                AddedToken::from(t.clone(), false).normalized(false)
                            }),
                            _ => None,
                        })
                        .partition(|t| t.special);
                    tk.add_special_tokens(specials).map_err(tok_err)?;
                    tk.add_tokens(user).map_err(tok_err)?;
                    tk
                }
                other => return Err(tok_err(format!("unsupported tokenizer model `{other}`"))),
            }
        };
        Ok(Self::assemble(ct, tokenizer, &tokens, &types, style))
    }

    fn assemble(
        ct: &Content,
        tokenizer: Tokenizer,
        tokens: &[String],
        types: &[f64],
        style: Style,
    ) -> Self {
        let table = byte_level_decoder();
        let added = tokenizer.get_added_tokens_decoder();
        let n = tokenizer.get_vocab_size(true).max(tokens.len());
        let mut pieces = Vec::with_capacity(n);
        let mut special = Vec::with_capacity(n);
        for id in 0..n {
            let name = tokens
                .get(id)
                .cloned()
                .or_else(|| tokenizer.id_to_token(id as u32));
            let ty = types.get(id).copied().unwrap_or(1.0);
            let is_special = ty == 3.0 || added.get(&(id as u32)).is_some_and(|t| t.special);
            special.push(is_special);
            pieces.push(match (&name, is_special) {
                (Some(t), false) => piece_bytes(style, t, &table),
                _ => Vec::new(),
            });
        }
        let name_of = |id: u32| {
            tokens
                .get(id as usize)
                .cloned()
                .or_else(|| tokenizer.id_to_token(id))
        };
        let mut eos_ids: Vec<u32> = [
            "tokenizer.ggml.eos_token_id",
            "tokenizer.ggml.eot_token_id",
            "tokenizer.ggml.eom_token_id",
        ]
        .iter()
        .filter_map(|k| md_u32(ct, k))
        .filter(|&id| (id as usize) < n)
        .collect();
        for name in TURN_ENDS {
            if let Some(id) = tokenizer.token_to_id(name) {
                eos_ids.push(id);
            }
        }
        eos_ids.sort_unstable();
        eos_ids.dedup();
        let bos =
            md_u32(ct, "tokenizer.ggml.bos_token_id").and_then(|id| name_of(id).map(|t| (id, t)));
        let eos_text = md_u32(ct, "tokenizer.ggml.eos_token_id").and_then(name_of);
        let add_bos = ct
            .metadata
            .get("tokenizer.ggml.add_bos_token")
            .and_then(|v| v.to_bool().ok())
            .unwrap_or(false);
        Self {
            tokenizer,
            plain: std::sync::OnceLock::new(),
            pieces,
            special,
            eos_ids,
            bos,
            eos_text,
            add_bos,
        }
    }

    /// Encodes text that may contain special-token strings (a rendered chat prompt).
    /// Prepends BOS when the model asks for it and the text does not start with it.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.tokenizer.encode(text, false).map_err(tok_err)?;
        let mut ids = enc.get_ids().to_vec();
        if let Some((bos, _)) = &self.bos {
            if self.add_bos && ids.first() != Some(bos) {
                ids.insert(0, *bos);
            }
        }
        Ok(ids)
    }

    /// Encodes `text` the way llama.cpp's `llama_tokenize` does: with `add_special`, BOS is
    /// prepended when the model asks for it (even before a BOS the text already holds); with
    /// `parse_special`, control-token text (`<|im_end|>`) becomes the control token, without it
    /// that text is ordinary characters (the safe way to encode user-supplied text).
    pub fn encode_with(
        &self,
        text: &str,
        add_special: bool,
        parse_special: bool,
    ) -> Result<Vec<u32>> {
        let tokenizer = if parse_special {
            &self.tokenizer
        } else {
            self.plain.get_or_init(|| {
                let mut t = self.tokenizer.clone();
                t.set_encode_special_tokens(true);
                t
            })
        };
        let enc = tokenizer.encode(text, false).map_err(tok_err)?;
        let mut ids = Vec::with_capacity(enc.get_ids().len() + 1);
        if let (true, true, Some((bos, _))) = (add_special, self.add_bos, &self.bos) {
            ids.push(*bos);
        }
        ids.extend_from_slice(enc.get_ids());
        Ok(ids)
    }

    /// Bytes that token `id` adds to the output (empty for special tokens and unknown ids).
    pub fn piece(&self, id: u32) -> &[u8] {
        self.pieces.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// All token pieces, indexed by id.
    pub fn pieces(&self) -> &[Vec<u8>] {
        &self.pieces
    }

    /// True for control tokens (never shown as text).
    pub fn is_special(&self, id: u32) -> bool {
        self.special.get(id as usize).copied().unwrap_or(false)
    }

    /// Token ids that end generation.
    pub fn eos_ids(&self) -> &[u32] {
        &self.eos_ids
    }

    /// BOS token text, for templates.
    pub fn bos_text(&self) -> Option<&str> {
        self.bos.as_ref().map(|(_, t)| t.as_str())
    }

    /// EOS token text, for templates.
    pub fn eos_text(&self) -> Option<&str> {
        self.eos_text.as_deref()
    }

    /// Number of token ids.
    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    /// Decodes ids to text with the tokenizer's own decoder (special tokens skipped).
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer.decode(ids, true).map_err(tok_err)
    }
}
