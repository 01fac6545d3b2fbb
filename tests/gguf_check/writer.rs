//! A tiny GGUF writer with full control over every field.

use super::*;

pub(crate) const T_U32: u32 = 4;
pub(crate) const T_F32: u32 = 6;
pub(crate) const T_STRING: u32 = 8;
pub(crate) const T_ARRAY: u32 = 9;
pub(crate) const T_U64: u32 = 10;

pub(crate) const F32: u32 = 0;
pub(crate) const Q8_0: u32 = 8;

#[derive(Clone)]
pub(crate) struct Kv {
    pub(crate) key: Vec<u8>,
    pub(crate) code: u32,
    pub(crate) payload: Vec<u8>,
}

#[derive(Clone)]
pub(crate) struct TensorSpec {
    pub(crate) name: String,
    /// ggml order: innermost first.
    pub(crate) ne: Vec<u64>,
    pub(crate) dtype: u32,
    /// Offset override; sequential aligned offsets otherwise.
    pub(crate) offset: Option<u64>,
}

#[derive(Clone)]
pub(crate) struct Gguf {
    pub(crate) magic: [u8; 4],
    pub(crate) version: u32,
    pub(crate) kvs: Vec<Kv>,
    pub(crate) tensors: Vec<TensorSpec>,
    pub(crate) alignment: u64,
}

/// Byte offsets of the sections of a built file.
pub(crate) struct Layout2 {
    pub(crate) metadata_start: usize,
    pub(crate) tensor_infos_start: usize,
    pub(crate) data_start: usize,
}

pub(crate) fn string_bytes(s: &[u8]) -> Vec<u8> {
    let mut v = (s.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(s);
    v
}

pub(crate) fn u32v(x: u32) -> (u32, Vec<u8>) {
    (T_U32, x.to_le_bytes().to_vec())
}
pub(crate) fn u64v(x: u64) -> (u32, Vec<u8>) {
    (T_U64, x.to_le_bytes().to_vec())
}
pub(crate) fn f32v(x: f32) -> (u32, Vec<u8>) {
    (T_F32, x.to_le_bytes().to_vec())
}
pub(crate) fn strv(s: &str) -> (u32, Vec<u8>) {
    (T_STRING, string_bytes(s.as_bytes()))
}
pub(crate) fn str_array(items: &[String]) -> (u32, Vec<u8>) {
    let mut v = T_STRING.to_le_bytes().to_vec();
    v.extend((items.len() as u64).to_le_bytes());
    for s in items {
        v.extend(string_bytes(s.as_bytes()));
    }
    (T_ARRAY, v)
}

/// Data bytes the builder lays out for a tensor (0 for absurd shapes, which must fail earlier).
pub(crate) fn tensor_bytes(ne: &[u64], dtype: u32) -> u64 {
    let elems = ne.iter().fold(1u64, |a, &d| a.saturating_mul(d));
    let size = match dtype {
        F32 => elems.saturating_mul(4),
        Q8_0 => elems / 32 * 34,
        _ => 0,
    };
    if size > 1 << 26 {
        0
    } else {
        size
    }
}

pub(crate) const EMBD: u64 = 64;
pub(crate) const HEADS: u32 = 4;
pub(crate) const KV_HEADS: u32 = 2;
pub(crate) const BLOCKS: u32 = 2;
pub(crate) const VOCAB: u64 = 32;
pub(crate) const FFN: u64 = 128;

impl Gguf {
    /// A valid two-layer qwen2 with a 32-token vocabulary.
    pub(crate) fn tiny() -> Self {
        Self::model("qwen2")
    }

    /// A valid two-layer model of `arch` with a 32-token vocabulary. qwen3 and gemma3 get a head
    /// dim of 32 (`attention.key_length`), so their query width (128) differs from the hidden
    /// size (64), as in the real models.
    pub(crate) fn model(arch: &str) -> Self {
        let mut g = Gguf {
            magic: *b"GGUF",
            version: 3,
            kvs: vec![],
            tensors: vec![],
            alignment: 32,
        };
        let k = |suffix: &str| format!("{arch}.{suffix}");
        g.set("general.architecture", strv(arch));
        g.set("general.name", strv("tiny"));
        g.set(&k("context_length"), u32v(128));
        g.set(&k("block_count"), u32v(BLOCKS));
        g.set(&k("embedding_length"), u32v(EMBD as u32));
        g.set(&k("feed_forward_length"), u32v(FFN as u32));
        g.set(&k("attention.head_count"), u32v(HEADS));
        g.set(&k("attention.head_count_kv"), u32v(KV_HEADS));
        g.set(&k("attention.layer_norm_rms_epsilon"), f32v(1e-6));
        g.set(&k("rope.freq_base"), f32v(10000.0));
        let hd = match arch {
            "qwen3" | "gemma3" => {
                g.set(&k("attention.key_length"), u32v(32));
                g.set(&k("attention.value_length"), u32v(32));
                32
            }
            _ => EMBD / HEADS as u64,
        };
        if arch == "gemma3" {
            g.set(&k("attention.sliding_window"), u32v(64));
        }
        if arch == "llama" {
            g.set(&k("rope.dimension_count"), u32v(hd as u32));
        }
        g.set("tokenizer.ggml.model", strv("gpt2"));
        let tokens: Vec<String> = (0..VOCAB).map(|i| format!("tok{i}")).collect();
        g.set("tokenizer.ggml.tokens", str_array(&tokens));
        g.tensor("token_embd.weight", &[EMBD, VOCAB], F32);
        g.tensor("output_norm.weight", &[EMBD], F32);
        let q = HEADS as u64 * hd;
        let kv = KV_HEADS as u64 * hd;
        for i in 0..BLOCKS {
            let mut t = |name: &str, ne: &[u64], dtype: u32| {
                g.tensor(&format!("blk.{i}.{name}"), ne, dtype);
            };
            t("attn_norm.weight", &[EMBD], F32);
            t("attn_q.weight", &[EMBD, q], Q8_0);
            t("attn_k.weight", &[EMBD, kv], Q8_0);
            t("attn_v.weight", &[EMBD, kv], Q8_0);
            t("attn_output.weight", &[q, EMBD], Q8_0);
            t("ffn_norm.weight", &[EMBD], F32);
            t("ffn_gate.weight", &[EMBD, FFN], Q8_0);
            t("ffn_up.weight", &[EMBD, FFN], Q8_0);
            t("ffn_down.weight", &[FFN, EMBD], Q8_0);
            match arch {
                "qwen2" => {
                    t("attn_q.bias", &[q], F32);
                    t("attn_k.bias", &[kv], F32);
                    t("attn_v.bias", &[kv], F32);
                }
                "qwen3" | "gemma3" => {
                    t("attn_q_norm.weight", &[hd], F32);
                    t("attn_k_norm.weight", &[hd], F32);
                }
                _ => {}
            }
            if arch == "gemma3" {
                t("post_attention_norm.weight", &[EMBD], F32);
                t("post_ffw_norm.weight", &[EMBD], F32);
            }
        }
        g
    }

    pub(crate) fn set(&mut self, key: &str, (code, payload): (u32, Vec<u8>)) -> &mut Self {
        self.kvs.retain(|kv| kv.key != key.as_bytes());
        self.kvs.push(Kv {
            key: key.as_bytes().to_vec(),
            code,
            payload,
        });
        self
    }

    pub(crate) fn remove(&mut self, key: &str) -> &mut Self {
        self.kvs.retain(|kv| kv.key != key.as_bytes());
        self
    }

    pub(crate) fn tensor(&mut self, name: &str, ne: &[u64], dtype: u32) -> &mut Self {
        self.tensors.push(TensorSpec {
            name: name.into(),
            ne: ne.to_vec(),
            dtype,
            offset: None,
        });
        self
    }

    pub(crate) fn tensor_mut(&mut self, name: &str) -> &mut TensorSpec {
        self.tensors.iter_mut().find(|t| t.name == name).unwrap()
    }

    pub(crate) fn build_with_layout(&self) -> (Vec<u8>, Layout2) {
        let mut out = self.magic.to_vec();
        out.extend(self.version.to_le_bytes());
        out.extend((self.tensors.len() as u64).to_le_bytes());
        out.extend((self.kvs.len() as u64).to_le_bytes());
        let metadata_start = out.len();
        for kv in &self.kvs {
            out.extend(string_bytes(&kv.key));
            out.extend(kv.code.to_le_bytes());
            out.extend(&kv.payload);
        }
        let tensor_infos_start = out.len();
        let align = |x: u64| x.div_ceil(self.alignment) * self.alignment;
        let mut next = 0u64;
        let mut sizes = vec![];
        for t in &self.tensors {
            out.extend(string_bytes(t.name.as_bytes()));
            out.extend((t.ne.len() as u32).to_le_bytes());
            for d in &t.ne {
                out.extend(d.to_le_bytes());
            }
            out.extend(t.dtype.to_le_bytes());
            let size = tensor_bytes(&t.ne, t.dtype);
            out.extend(t.offset.unwrap_or(next).to_le_bytes());
            sizes.push(size);
            next = align(next + size);
        }
        let data_start = align(out.len() as u64) as usize;
        out.resize(data_start + next as usize, 0);
        (
            out,
            Layout2 {
                metadata_start,
                tensor_infos_start,
                data_start,
            },
        )
    }

    pub(crate) fn build(&self) -> Vec<u8> {
        self.build_with_layout().0
    }
}

pub(crate) fn with(f: impl FnOnce(&mut Gguf)) -> Vec<u8> {
    let mut g = Gguf::tiny();
    f(&mut g);
    g.build()
}

pub(crate) fn err(bytes: &[u8]) -> GgufError {
    match check(bytes) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    }
}
