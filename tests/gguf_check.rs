//! Crafted GGUF files against the pre-validator: a valid tiny model is built in memory, one thing
//! is corrupted at a time, and each case must come back as its specific error, quickly and without
//! any large allocation (a counting allocator watches the biggest single allocation).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Cursor;

use factcheck::engine::gguf_check::{validate_file, validate_reader, GgufError, GgufSummary};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Allocation watcher: records the largest single allocation made by the current thread.

struct Watch;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| {
        if size > l.get() {
            l.set(size)
        }
    });
}

#[global_allocator]
static GLOBAL: Watch = Watch;

/// Validates `bytes`, asserting that no single allocation exceeded 1 MiB and it took < 2 s.
fn check(bytes: &[u8]) -> Result<GgufSummary, GgufError> {
    let mut cursor = Cursor::new(bytes);
    LARGEST.with(|l| l.set(0));
    let started = std::time::Instant::now();
    let result = validate_reader(&mut cursor, bytes.len() as u64);
    let largest = LARGEST.with(|l| l.get());
    assert!(largest <= 1 << 20, "largest allocation was {largest} bytes");
    assert!(
        started.elapsed().as_secs() < 2,
        "validation took {:?}",
        started.elapsed()
    );
    result
}

// ---------------------------------------------------------------------------------------------
// A tiny GGUF writer with full control over every field.

const T_U32: u32 = 4;
const T_F32: u32 = 6;
const T_STRING: u32 = 8;
const T_ARRAY: u32 = 9;
const T_U64: u32 = 10;

const F32: u32 = 0;
const Q8_0: u32 = 8;

#[derive(Clone)]
struct Kv {
    key: Vec<u8>,
    code: u32,
    payload: Vec<u8>,
}

#[derive(Clone)]
struct TensorSpec {
    name: String,
    /// ggml order: innermost first.
    ne: Vec<u64>,
    dtype: u32,
    /// Offset override; sequential aligned offsets otherwise.
    offset: Option<u64>,
}

#[derive(Clone)]
struct Gguf {
    magic: [u8; 4],
    version: u32,
    kvs: Vec<Kv>,
    tensors: Vec<TensorSpec>,
    alignment: u64,
}

/// Byte offsets of the sections of a built file.
struct Layout2 {
    metadata_start: usize,
    tensor_infos_start: usize,
    data_start: usize,
}

fn string_bytes(s: &[u8]) -> Vec<u8> {
    let mut v = (s.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(s);
    v
}

fn u32v(x: u32) -> (u32, Vec<u8>) {
    (T_U32, x.to_le_bytes().to_vec())
}
fn u64v(x: u64) -> (u32, Vec<u8>) {
    (T_U64, x.to_le_bytes().to_vec())
}
fn f32v(x: f32) -> (u32, Vec<u8>) {
    (T_F32, x.to_le_bytes().to_vec())
}
fn strv(s: &str) -> (u32, Vec<u8>) {
    (T_STRING, string_bytes(s.as_bytes()))
}
fn str_array(items: &[String]) -> (u32, Vec<u8>) {
    let mut v = T_STRING.to_le_bytes().to_vec();
    v.extend((items.len() as u64).to_le_bytes());
    for s in items {
        v.extend(string_bytes(s.as_bytes()));
    }
    (T_ARRAY, v)
}

/// Data bytes the builder lays out for a tensor (0 for absurd shapes, which must fail earlier).
fn tensor_bytes(ne: &[u64], dtype: u32) -> u64 {
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

const EMBD: u64 = 64;
const HEADS: u32 = 4;
const KV_HEADS: u32 = 2;
const BLOCKS: u32 = 2;
const VOCAB: u64 = 32;
const FFN: u64 = 128;

impl Gguf {
    /// A valid two-layer qwen2 with a 32-token vocabulary.
    fn tiny() -> Self {
        Self::model("qwen2")
    }

    /// A valid two-layer model of `arch` with a 32-token vocabulary. qwen3 and gemma3 get a head
    /// dim of 32 (`attention.key_length`), so their query width (128) differs from the hidden
    /// size (64), as in the real models.
    fn model(arch: &str) -> Self {
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

    fn set(&mut self, key: &str, (code, payload): (u32, Vec<u8>)) -> &mut Self {
        self.kvs.retain(|kv| kv.key != key.as_bytes());
        self.kvs.push(Kv {
            key: key.as_bytes().to_vec(),
            code,
            payload,
        });
        self
    }

    fn remove(&mut self, key: &str) -> &mut Self {
        self.kvs.retain(|kv| kv.key != key.as_bytes());
        self
    }

    fn tensor(&mut self, name: &str, ne: &[u64], dtype: u32) -> &mut Self {
        self.tensors.push(TensorSpec {
            name: name.into(),
            ne: ne.to_vec(),
            dtype,
            offset: None,
        });
        self
    }

    fn tensor_mut(&mut self, name: &str) -> &mut TensorSpec {
        self.tensors.iter_mut().find(|t| t.name == name).unwrap()
    }

    fn build_with_layout(&self) -> (Vec<u8>, Layout2) {
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

    fn build(&self) -> Vec<u8> {
        self.build_with_layout().0
    }
}

fn with(f: impl FnOnce(&mut Gguf)) -> Vec<u8> {
    let mut g = Gguf::tiny();
    f(&mut g);
    g.build()
}

fn err(bytes: &[u8]) -> GgufError {
    match check(bytes) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------------
// The valid file

#[test]
fn tiny_model_is_valid_and_summarised() {
    let bytes = Gguf::tiny().build();
    let s = check(&bytes).unwrap();
    assert_eq!(s.version, 3);
    assert_eq!(s.architecture, "qwen2");
    assert_eq!(s.tensor_count, 2 + 12 * BLOCKS as u64);
    assert_eq!(s.metadata_count, 12);
    assert_eq!(s.context_length, Some(128));
    assert_eq!(s.block_count, Some(2));
    assert_eq!(s.head_count, Some(4));
    assert_eq!(s.head_count_kv, Some(2));
    assert_eq!(s.embedding_length, Some(64));
    assert_eq!(s.vocab_size, Some(VOCAB));
    assert_eq!(s.alignment, 32);
    assert_eq!(s.data_offset % 32, 0);
    assert_eq!(s.tokenizer_model.as_deref(), Some("gpt2"));
    assert!(!s.has_chat_template);
    let embd = s.tensor("token_embd.weight").unwrap();
    assert_eq!(embd.dims, vec![VOCAB, EMBD]);
    assert_eq!(embd.size, VOCAB * EMBD * 4);
    assert_eq!(embd.offset, s.data_offset);
    let q = s.tensor("blk.1.attn_q.weight").unwrap();
    assert_eq!(q.dtype, candle_core::quantized::GgmlDType::Q8_0);
    assert_eq!(q.size, 64 * 2 * 34);
}

#[test]
fn validate_file_reads_from_disk_and_reports_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    std::fs::write(&path, Gguf::tiny().build()).unwrap();
    assert_eq!(validate_file(&path).unwrap().architecture, "qwen2");
    let missing = dir.path().join("nope.gguf");
    let e = validate_file(&missing).unwrap_err();
    assert!(matches!(e, GgufError::Io { .. }), "{e}");
    assert!(e.to_string().contains("nope.gguf"), "{e}");
}

#[test]
fn custom_alignment_is_honoured() {
    let mut g = Gguf::tiny();
    g.alignment = 64;
    g.set("general.alignment", u32v(64));
    let s = check(&g.build()).unwrap();
    assert_eq!(s.alignment, 64);
    assert_eq!(s.data_offset % 64, 0);
}

// ---------------------------------------------------------------------------------------------
// Header

#[test]
fn bad_magic() {
    let bytes = with(|g| g.magic = *b"GGUG");
    assert!(matches!(err(&bytes), GgufError::BadMagic { .. }));
    assert!(matches!(err(b"GG"), GgufError::BadMagic { .. }));
    assert!(matches!(err(b""), GgufError::BadMagic { .. }));
}

#[test]
fn unsupported_versions() {
    for v in [0, 1, 4, u32::MAX] {
        let bytes = with(|g| g.version = v);
        let e = err(&bytes);
        assert!(
            matches!(e, GgufError::UnsupportedVersion(x) if x == v),
            "{e}"
        );
    }
    let s = check(&with(|g| g.version = 2)).unwrap();
    assert_eq!(s.version, 2);
}

#[test]
fn huge_counts_in_header() {
    let mut bytes = Gguf::tiny().build();
    bytes[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    let e = err(&bytes);
    assert!(matches!(e, GgufError::TooMany { limit: 65536, .. }), "{e}");
    assert!(e.to_string().contains("tensor count"), "{e}");

    let mut bytes = Gguf::tiny().build();
    bytes[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let e = err(&bytes);
    assert!(e.to_string().contains("metadata count"), "{e}");

    // Under the limit but impossible for the file size.
    let mut bytes = Gguf::tiny().build();
    bytes[8..16].copy_from_slice(&60_000u64.to_le_bytes());
    assert!(matches!(err(&bytes), GgufError::Truncated { .. }));
}

// ---------------------------------------------------------------------------------------------
// Metadata

#[test]
fn alignment_zero_and_other_bad_alignments() {
    for a in [0u32, 3, 48, 1 << 21] {
        let e = err(&with(|g| {
            g.set("general.alignment", u32v(a));
        }));
        assert!(
            matches!(e, GgufError::BadAlignment(x) if x == a as u64),
            "{e}"
        );
        assert!(e.to_string().contains("general.alignment"), "{e}");
    }
    // candle ignores a u64 alignment and would use 32: refuse the ambiguity.
    let e = err(&with(|g| {
        g.set("general.alignment", u64v(64));
    }));
    assert!(matches!(e, GgufError::BadMetadata { .. }), "{e}");
}

#[test]
fn alignment_key_with_trailing_nul_is_seen_as_candle_sees_it() {
    let e = err(&with(|g| {
        g.kvs.push(Kv {
            key: b"general.alignment\0".to_vec(),
            code: T_U32,
            payload: 0u32.to_le_bytes().to_vec(),
        });
    }));
    assert!(matches!(e, GgufError::BadAlignment(0)), "{e}");
}

#[test]
fn huge_array_count_in_small_file() {
    let mut payload = T_STRING.to_le_bytes().to_vec();
    payload.extend((1u64 << 40).to_le_bytes());
    payload.extend(string_bytes(b"a"));
    let e = err(&with(|g| {
        g.set("tokenizer.ggml.merges", (T_ARRAY, payload));
    }));
    assert!(
        matches!(e, GgufError::TooMany { count, .. } if count == 1 << 40),
        "{e}"
    );
    assert!(e.to_string().contains("tokenizer.ggml.merges"), "{e}");

    // Below the element limit but more than the file holds.
    let mut payload = T_U32.to_le_bytes().to_vec();
    payload.extend(1_000_000u64.to_le_bytes());
    let e = err(&with(|g| {
        g.set("some.array", (T_ARRAY, payload));
    }));
    assert!(matches!(e, GgufError::Truncated { .. }), "{e}");
}

#[test]
fn one_kilobyte_file_claiming_a_trillion_element_array() {
    let mut bytes = b"GGUF".to_vec();
    bytes.extend(3u32.to_le_bytes());
    bytes.extend(0u64.to_le_bytes()); // tensors
    bytes.extend(1u64.to_le_bytes()); // metadata entries
    bytes.extend(string_bytes(b"tokenizer.ggml.tokens"));
    bytes.extend(T_ARRAY.to_le_bytes());
    bytes.extend(T_STRING.to_le_bytes());
    bytes.extend((1u64 << 40).to_le_bytes());
    bytes.resize(1024, b'a');
    let e = err(&bytes);
    assert_eq!(
        e.to_string(),
        "length of array tokenizer.ggml.tokens = 1099511627776 exceeds the limit of 2097152"
    );
    // Just under the element limit: refused against the file size before anything is read.
    bytes[61..69].copy_from_slice(&(1u64 << 21).to_le_bytes());
    assert!(matches!(err(&bytes), GgufError::Truncated { .. }));
}

#[test]
fn deeply_nested_arrays_are_refused() {
    // array of array of array of array of u8, one element each.
    let mut payload = vec![];
    for _ in 0..4 {
        payload.extend(T_ARRAY.to_le_bytes());
        payload.extend(1u64.to_le_bytes());
    }
    payload.extend(0u32.to_le_bytes()); // innermost: u8 array
    payload.extend(1u64.to_le_bytes());
    payload.push(7);
    let e = err(&with(|g| {
        g.set("nested", (T_ARRAY, payload));
    }));
    assert!(e.to_string().contains("nesting depth"), "{e}");
}

#[test]
fn huge_string_length() {
    let mut payload = (1u64 << 62).to_le_bytes().to_vec();
    payload.extend(b"qwen2");
    let e = err(&with(|g| {
        g.set("general.name", (T_STRING, payload));
    }));
    assert!(
        matches!(e, GgufError::TooMany { limit, .. } if limit == 1 << 20),
        "{e}"
    );
    // Under the limit but past the end of the file.
    let mut payload = 500_000u64.to_le_bytes().to_vec();
    payload.extend(b"x");
    let e = err(&with(|g| {
        g.set("general.name", (T_STRING, payload));
    }));
    assert!(matches!(e, GgufError::Truncated { .. }), "{e}");
    // A huge key length.
    let mut bytes = Gguf::tiny().build();
    bytes[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
    let e = err(&bytes);
    assert!(matches!(e, GgufError::TooMany { .. }), "{e}");
}

#[test]
fn key_that_is_not_utf8() {
    let e = err(&with(|g| {
        g.kvs.push(Kv {
            key: vec![0xff, 0xfe, b'a'],
            code: T_U32,
            payload: 1u32.to_le_bytes().to_vec(),
        });
    }));
    assert!(matches!(e, GgufError::BadString { .. }), "{e}");
}

#[test]
fn unknown_value_type() {
    let e = err(&with(|g| {
        g.kvs.push(Kv {
            key: b"x".to_vec(),
            code: 13,
            payload: vec![0; 8],
        });
    }));
    assert!(
        matches!(e, GgufError::UnknownValueType { code: 13, .. }),
        "{e}"
    );
}

#[test]
fn duplicate_key() {
    let e = err(&with(|g| {
        g.kvs.push(g.kvs[0].clone());
    }));
    assert!(
        matches!(e, GgufError::DuplicateKey(ref k) if k == "general.architecture"),
        "{e}"
    );
}

#[test]
fn unsupported_and_missing_architecture() {
    let e = err(&with(|g| {
        g.set("general.architecture", strv("mamba"));
    }));
    assert!(
        matches!(e, GgufError::UnsupportedArchitecture(ref a) if a == "mamba"),
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.contains("mamba") && text.contains("qwen2, qwen3, llama, gemma3"),
        "{text}"
    );

    let e = err(&with(|g| {
        g.remove("general.architecture");
    }));
    assert!(
        matches!(e, GgufError::MissingKey(ref k) if k == "general.architecture"),
        "{e}"
    );
}

#[test]
fn head_count_zero() {
    let e = err(&with(|g| {
        g.set("qwen2.attention.head_count", u32v(0));
    }));
    assert!(matches!(e, GgufError::OutOfRange { value: 0, .. }), "{e}");
    assert!(
        e.to_string().contains("qwen2.attention.head_count = 0"),
        "{e}"
    );
    let e = err(&with(|g| {
        g.set("qwen2.attention.head_count_kv", u32v(0));
    }));
    assert!(e.to_string().contains("head_count_kv = 0"), "{e}");
}

#[test]
fn head_count_kv_must_divide_head_count() {
    let e = err(&with(|g| {
        g.set("qwen2.attention.head_count_kv", u32v(3));
    }));
    assert!(matches!(e, GgufError::BadMetadata { .. }), "{e}");
    assert!(e.to_string().contains("does not divide"), "{e}");
}

#[test]
fn embedding_not_divisible_by_heads() {
    let e = err(&with(|g| {
        g.set("qwen2.attention.head_count", u32v(6));
        g.set("qwen2.attention.head_count_kv", u32v(3));
    }));
    assert!(e.to_string().contains("not divisible"), "{e}");
}

#[test]
fn context_length_u32_max() {
    let e = err(&with(|g| {
        g.set("qwen2.context_length", u32v(u32::MAX));
    }));
    assert_eq!(
        e.to_string(),
        "qwen2.context_length = 4294967295 exceeds the limit of 1048576"
    );
}

#[test]
fn block_count_u32_max() {
    let e = err(&with(|g| {
        g.set("qwen2.block_count", u32v(u32::MAX));
    }));
    assert_eq!(
        e.to_string(),
        "qwen2.block_count = 4294967295 exceeds the limit of 512"
    );
}

#[test]
fn missing_required_key() {
    let e = err(&with(|g| {
        g.remove("qwen2.embedding_length");
    }));
    assert!(
        matches!(e, GgufError::MissingKey(ref k) if k == "qwen2.embedding_length"),
        "{e}"
    );
}

#[test]
fn wrong_value_type_for_hyper_parameter() {
    let e = err(&with(|g| {
        g.set("qwen2.block_count", strv("two"));
    }));
    assert!(
        matches!(e, GgufError::BadMetadata { ref key, .. } if key == "qwen2.block_count"),
        "{e}"
    );
    let e = err(&with(|g| {
        g.set("qwen2.attention.layer_norm_rms_epsilon", f32v(f32::NAN));
    }));
    assert!(matches!(e, GgufError::BadMetadata { .. }), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Tensor infos

#[test]
fn dims_overflowing_u64() {
    let e = err(&with(|g| {
        g.tensor("huge", &[1 << 32, 1 << 32, 1 << 1], F32);
    }));
    assert!(
        matches!(e, GgufError::ShapeOverflow { ref tensor, .. } if tensor == "huge"),
        "{e}"
    );
    // Element count fits but the byte size does not.
    let e = err(&with(|g| {
        g.tensor("big", &[1 << 31, 1 << 31, 1 << 1], F32);
    }));
    assert!(matches!(e, GgufError::ShapeOverflow { .. }), "{e}");
}

#[test]
fn zero_and_too_many_dimensions() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").ne = vec![64, 0];
    }));
    assert!(matches!(e, GgufError::BadShape { .. }), "{e}");
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").ne = vec![1; 5];
    }));
    assert!(matches!(e, GgufError::TooMany { limit: 4, .. }), "{e}");
}

#[test]
fn unknown_dtype() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").dtype = 4; // Q4_2, removed from ggml
    }));
    assert!(
        matches!(e, GgufError::UnknownDType { ref tensor, code: 4 } if tensor == "output_norm.weight"),
        "{e}"
    );
}

#[test]
fn rows_not_whole_blocks() {
    let e = err(&with(|g| {
        g.tensor("odd", &[48, 2], Q8_0);
    }));
    assert!(matches!(e, GgufError::BadShape { .. }), "{e}");
}

#[test]
fn misaligned_offset() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").offset = Some(VOCAB * EMBD * 4 + 4);
    }));
    assert!(
        matches!(e, GgufError::MisalignedTensor { offset, .. } if offset == VOCAB * EMBD * 4 + 4),
        "{e}"
    );
}

#[test]
fn offset_past_end_of_file() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").offset = Some(1 << 40);
    }));
    assert!(matches!(e, GgufError::TensorOutOfBounds { .. }), "{e}");
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").offset = Some(u64::MAX - 31);
    }));
    assert!(matches!(e, GgufError::TensorOutOfBounds { .. }), "{e}");
}

#[test]
fn overlapping_tensors() {
    let e = err(&with(|g| {
        g.tensor_mut("output_norm.weight").offset = Some(0);
    }));
    assert!(matches!(e, GgufError::TensorOverlap { .. }), "{e}");
}

#[test]
fn duplicate_tensor() {
    let e = err(&with(|g| {
        g.tensor("output_norm.weight", &[EMBD], F32);
    }));
    assert!(matches!(e, GgufError::DuplicateTensor(_)), "{e}");
}

#[test]
fn truncated_at_several_points() {
    let (bytes, layout) = Gguf::tiny().build_with_layout();
    for cut in [
        6,
        20,
        layout.metadata_start + 5,
        layout.metadata_start + 40,
        layout.tensor_infos_start - 3,
        layout.tensor_infos_start + 10,
        layout.data_start - 40,
    ] {
        let e = err(&bytes[..cut]);
        assert!(
            matches!(e, GgufError::Truncated { .. } | GgufError::BadMagic { .. }),
            "cut at {cut}: {e}"
        );
    }
    for cut in [layout.data_start, layout.data_start + 100, bytes.len() - 1] {
        let e = err(&bytes[..cut]);
        assert!(
            matches!(e, GgufError::TensorOutOfBounds { .. }),
            "cut at {cut}: {e}"
        );
        assert!(e.to_string().contains("truncated"), "{e}");
    }
}

#[test]
fn stream_shorter_than_claimed_length() {
    let bytes = Gguf::tiny().build();
    let short = &bytes[..100];
    let e = validate_reader(&mut Cursor::new(short), bytes.len() as u64).unwrap_err();
    assert!(matches!(e, GgufError::Truncated { .. }), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Consistency with the architecture

#[test]
fn token_embd_required() {
    let e = err(&with(|g| {
        g.tensors.retain(|t| t.name != "token_embd.weight");
    }));
    assert!(
        matches!(e, GgufError::MissingTensor(ref t) if t == "token_embd.weight"),
        "{e}"
    );
}

#[test]
fn block_index_beyond_block_count() {
    let e = err(&with(|g| {
        g.tensor("blk.7.attn_norm.weight", &[EMBD], F32);
    }));
    assert!(
        matches!(e, GgufError::Inconsistent { ref tensor, .. } if tensor == "blk.7.attn_norm.weight"),
        "{e}"
    );
    assert!(e.to_string().contains("qwen2.block_count = 2"), "{e}");
}

#[test]
fn missing_block_tensor() {
    let e = err(&with(|g| {
        g.tensors.retain(|t| t.name != "blk.1.attn_k.weight");
    }));
    assert!(
        matches!(e, GgufError::MissingTensor(ref t) if t == "blk.1.attn_k.weight"),
        "{e}"
    );
}

#[test]
fn attention_shapes_must_match_heads() {
    let e = err(&with(|g| {
        g.tensor_mut("blk.0.attn_k.weight").ne = vec![EMBD, EMBD];
    }));
    assert!(
        matches!(e, GgufError::Inconsistent { ref tensor, .. } if tensor == "blk.0.attn_k.weight"),
        "{e}"
    );
    let e = err(&with(|g| {
        g.set("qwen2.embedding_length", u32v(128));
    }));
    assert!(matches!(e, GgufError::Inconsistent { .. }), "{e}");
}

#[test]
fn vocab_must_match_token_embd_rows() {
    let e = err(&with(|g| {
        let tokens: Vec<String> = (0..VOCAB + 1).map(|i| format!("t{i}")).collect();
        g.set("tokenizer.ggml.tokens", str_array(&tokens));
    }));
    assert!(e.to_string().contains("33 tokens"), "{e}");
}

#[test]
fn every_supported_architecture_has_a_valid_tiny_model() {
    for arch in ["qwen2", "qwen3", "llama", "gemma3"] {
        let s = check(&Gguf::model(arch).build()).unwrap_or_else(|e| panic!("{arch}: {e}"));
        assert_eq!(s.architecture, arch);
        assert_eq!(s.embedding_length, Some(EMBD));
    }
    // qwen3's query width comes from key_length, not embedding_length / head_count.
    let s = check(&Gguf::model("qwen3").build()).unwrap();
    assert_eq!(
        s.tensor("blk.0.attn_q.weight").unwrap().dims,
        vec![128, EMBD]
    );
}

#[test]
fn architecture_specific_keys_and_tensors_are_required() {
    let mut g = Gguf::model("qwen3");
    g.remove("qwen3.attention.key_length");
    let e = err(&g.build());
    assert!(
        matches!(e, GgufError::MissingKey(ref k) if k == "qwen3.attention.key_length"),
        "{e}"
    );

    let mut g = Gguf::model("llama");
    g.remove("llama.rope.dimension_count");
    assert!(matches!(err(&g.build()), GgufError::MissingKey(_)));

    let mut g = Gguf::model("qwen3");
    g.tensors.retain(|t| t.name != "blk.1.attn_k_norm.weight");
    let e = err(&g.build());
    assert!(
        matches!(e, GgufError::MissingTensor(ref t) if t == "blk.1.attn_k_norm.weight"),
        "{e}"
    );

    let mut g = Gguf::model("gemma3");
    g.tensors.retain(|t| t.name != "blk.0.post_ffw_norm.weight");
    assert!(matches!(err(&g.build()), GgufError::MissingTensor(_)));

    let e = err(&with(|g| {
        g.tensors.retain(|t| t.name != "blk.0.attn_v.bias");
    }));
    assert!(
        matches!(e, GgufError::MissingTensor(ref t) if t == "blk.0.attn_v.bias"),
        "{e}"
    );
}

#[test]
fn other_shapes_must_match_hyper_parameters() {
    for (tensor, ne) in [
        ("blk.0.attn_v.weight", vec![EMBD, EMBD]),
        ("blk.1.attn_output.weight", vec![EMBD, EMBD / 2]),
        ("blk.0.ffn_down.weight", vec![EMBD, EMBD]),
        ("blk.0.attn_q.bias", vec![EMBD / 2]),
        ("output_norm.weight", vec![EMBD / 2]),
    ] {
        let e = err(&with(|g| {
            g.tensor_mut(tensor).ne = ne.clone();
        }));
        assert!(
            matches!(e, GgufError::Inconsistent { tensor: ref t, .. } if t == tensor),
            "{tensor}: {e}"
        );
    }
    let e = err(&with(|g| {
        g.tensor("output.weight", &[EMBD, VOCAB + 32], F32);
    }));
    assert!(matches!(e, GgufError::Inconsistent { .. }), "{e}");
    check(&with(|g| {
        g.tensor("output.weight", &[EMBD, VOCAB], F32);
    }))
    .unwrap();
}

#[test]
fn special_token_ids_must_be_in_the_vocabulary() {
    check(&with(|g| {
        g.set("tokenizer.ggml.eos_token_id", u32v(VOCAB as u32 - 1));
    }))
    .unwrap();
    let e = err(&with(|g| {
        g.set("tokenizer.ggml.eos_token_id", u32v(VOCAB as u32));
    }));
    assert_eq!(
        e.to_string(),
        "tokenizer.ggml.eos_token_id = 32 exceeds the limit of 31"
    );
}

#[test]
fn token_list_must_hold_strings() {
    let mut payload = T_U32.to_le_bytes().to_vec();
    payload.extend(VOCAB.to_le_bytes());
    payload.extend(vec![0u8; VOCAB as usize * 4]);
    let e = err(&with(|g| {
        g.set("tokenizer.ggml.tokens", (T_ARRAY, payload));
    }));
    assert!(
        matches!(e, GgufError::BadMetadata { ref key, .. } if key == "tokenizer.ggml.tokens"),
        "{e}"
    );
}

#[test]
fn real_sized_tokenizer_metadata_is_accepted_quickly() {
    // Gemma-3-sized vocabulary (262,144 tokens with scores and types) plus Llama-3-sized merges:
    // the memory budget must not reject real models, and validation must stay fast.
    const N: u64 = 262_144;
    let tokens: Vec<String> = (0..N).map(|i| format!("tok{i}")).collect();
    let merges: Vec<String> = (0..280_000).map(|i| format!("m{i} x{i}")).collect();
    let mut scores = T_F32.to_le_bytes().to_vec();
    scores.extend(N.to_le_bytes());
    scores.extend(vec![0u8; N as usize * 4]);
    let mut types = 5u32.to_le_bytes().to_vec(); // i32
    types.extend(N.to_le_bytes());
    types.extend(vec![0u8; N as usize * 4]);
    let mut g = Gguf::tiny();
    g.set("tokenizer.ggml.tokens", str_array(&tokens));
    g.set("tokenizer.ggml.merges", str_array(&merges));
    g.set("tokenizer.ggml.scores", (T_ARRAY, scores));
    g.set("tokenizer.ggml.token_type", (T_ARRAY, types));
    g.set("tokenizer.chat_template", strv(&"{{ x }}".repeat(2000)));
    let embd = g.tensor_mut("token_embd.weight");
    embd.ne = vec![EMBD, N];
    embd.dtype = Q8_0;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big-vocab.gguf");
    std::fs::write(&path, g.build()).unwrap();
    let started = std::time::Instant::now();
    let s = validate_file(&path).unwrap();
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert_eq!(s.vocab_size, Some(N));
    assert!(s.has_chat_template);
}

#[test]
fn odd_head_dimension_is_refused() {
    let mut g = Gguf::model("qwen3");
    g.set("qwen3.attention.key_length", u32v(15));
    let e = err(&g.build());
    assert!(e.to_string().contains("must be even"), "{e}");
    let mut g = Gguf::model("llama");
    g.set("llama.rope.dimension_count", u32v(32));
    let e = err(&g.build());
    assert!(
        matches!(e, GgufError::BadMetadata { ref key, .. } if key == "llama.rope.dimension_count"),
        "{e}"
    );
}

#[test]
fn tiny_models_of_every_architecture_load_and_run_in_candle() {
    use candle_core::quantized::gguf_file::Content;
    use candle_core::{Device, Tensor};
    use candle_transformers::models::{
        quantized_gemma3, quantized_llama, quantized_qwen2, quantized_qwen3,
    };
    let dev = Device::Cpu;
    for arch in ["qwen2", "qwen3", "llama", "gemma3"] {
        let bytes = Gguf::model(arch).build();
        check(&bytes).unwrap();
        let mut r = Cursor::new(&bytes);
        let ct = Content::read(&mut r).unwrap();
        let ids = Tensor::new(&[[1u32, 2, 3]], &dev).unwrap();
        let out = match arch {
            "qwen2" => quantized_qwen2::ModelWeights::from_gguf(ct, &mut r, &dev)
                .and_then(|mut m| m.forward(&ids, 0)),
            "qwen3" => quantized_qwen3::ModelWeights::from_gguf(ct, &mut r, &dev)
                .and_then(|mut m| m.forward(&ids, 0)),
            "llama" => quantized_llama::ModelWeights::from_gguf(ct, &mut r, &dev)
                .and_then(|mut m| m.forward(&ids, 0)),
            _ => quantized_gemma3::ModelWeights::from_gguf(ct, &mut r, &dev)
                .and_then(|mut m| m.forward(&ids, 0)),
        };
        let logits = out.unwrap_or_else(|e| panic!("{arch}: {e}"));
        assert_eq!(logits.dims().last(), Some(&(VOCAB as usize)), "{arch}");
    }
}

// ---------------------------------------------------------------------------------------------
// Random corruption never panics

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn mutations_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = Gguf::tiny().build();
        // Bias edits towards the header and metadata where the structure lives.
        let header_len = check(&Gguf::tiny().build()).unwrap().data_offset as usize;
        for (at, value) in edits {
            let i = at.index(header_len);
            bytes[i] = value;
        }
        if truncate {
            let n = cut.index(bytes.len());
            bytes.truncate(n);
        }
        let _ = check(&bytes);
    }

    #[test]
    fn truncations_never_pass(cut in 0usize..4000) {
        let bytes = Gguf::tiny().build();
        let n = cut.min(bytes.len() - 1);
        prop_assert!(check(&bytes[..n]).is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// A file written by candle passes and then loads in candle

/// Shape of a qwen2 model for the candle-written fixtures.
#[derive(Debug, Clone, Copy)]
struct Cfg {
    embd: usize,
    heads: usize,
    kv: usize,
    blocks: usize,
    ctx: u32,
}

const CFG: Cfg = Cfg {
    embd: 64,
    heads: 4,
    kv: 2,
    blocks: 2,
    ctx: 256,
};

/// A complete two-layer qwen2 (every tensor candle's constructor loads), written by candle.
fn candle_qwen2() -> Vec<u8> {
    candle_qwen2_with(&CFG, &CFG)
}

/// A qwen2 whose metadata claims `meta` while its tensors have the shapes of `real`.
fn candle_qwen2_with(meta: &Cfg, real: &Cfg) -> Vec<u8> {
    use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
    use candle_core::{Device, Tensor};

    let dev = Device::Cpu;
    let (vocab, ffn) = (32usize, 64usize);
    let embd = real.embd;
    let hd = embd / real.heads.max(1);
    let (qd, kvd) = (real.heads * hd, real.kv * hd);
    let q = |shape: &[usize], dtype: GgmlDType| {
        let t = Tensor::randn(0f32, 0.02, shape, &dev).unwrap();
        QTensor::quantize(&t, dtype).unwrap()
    };
    let mut tensors: Vec<(String, QTensor)> = vec![
        (
            "token_embd.weight".into(),
            q(&[vocab, embd], GgmlDType::F32),
        ),
        ("output_norm.weight".into(), q(&[embd], GgmlDType::F32)),
    ];
    for i in 0..real.blocks {
        for (name, shape, dtype) in [
            ("attn_q.weight", vec![qd, embd], GgmlDType::Q8_0),
            ("attn_k.weight", vec![kvd, embd], GgmlDType::Q8_0),
            ("attn_v.weight", vec![kvd, embd], GgmlDType::Q8_0),
            ("attn_q.bias", vec![qd], GgmlDType::F32),
            ("attn_k.bias", vec![kvd], GgmlDType::F32),
            ("attn_v.bias", vec![kvd], GgmlDType::F32),
            ("attn_output.weight", vec![embd, qd], GgmlDType::F32),
            ("ffn_gate.weight", vec![ffn, embd], GgmlDType::Q8_0),
            ("ffn_up.weight", vec![ffn, embd], GgmlDType::Q8_0),
            ("ffn_down.weight", vec![embd, ffn], GgmlDType::F32),
            ("attn_norm.weight", vec![embd], GgmlDType::F32),
            ("ffn_norm.weight", vec![embd], GgmlDType::F32),
        ] {
            tensors.push((format!("blk.{i}.{name}"), q(&shape, dtype)));
        }
    }
    use gguf_file::Value as V;
    let tokens = V::Array((0..vocab).map(|i| V::String(format!("t{i}"))).collect());
    let metadata: Vec<(&str, V)> = vec![
        ("general.architecture", V::String("qwen2".into())),
        ("qwen2.context_length", V::U32(meta.ctx)),
        ("qwen2.block_count", V::U32(meta.blocks as u32)),
        ("qwen2.embedding_length", V::U32(meta.embd as u32)),
        ("qwen2.feed_forward_length", V::U32(ffn as u32)),
        ("qwen2.attention.head_count", V::U32(meta.heads as u32)),
        ("qwen2.attention.head_count_kv", V::U32(meta.kv as u32)),
        ("qwen2.attention.layer_norm_rms_epsilon", V::F32(1e-6)),
        ("qwen2.rope.freq_base", V::F32(10000.0)),
        ("tokenizer.ggml.model", V::String("gpt2".into())),
        ("tokenizer.ggml.tokens", tokens),
    ];
    let md: Vec<(&str, &V)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut cursor = Cursor::new(Vec::new());
    gguf_file::write(&mut cursor, &md, &ts).unwrap();
    cursor.into_inner()
}

#[test]
fn candle_written_file_passes_and_loads() {
    use candle_core::quantized::gguf_file;
    use candle_core::Device;
    let dev = Device::Cpu;
    let vocab = 32usize;
    let bytes = candle_qwen2();

    let s = check(&bytes).unwrap();
    assert_eq!(s.version, 2);
    assert_eq!(s.vocab_size, Some(vocab as u64));

    let mut reader = Cursor::new(&bytes);
    let content = gguf_file::Content::read(&mut reader).unwrap();
    assert_eq!(content.tensor_data_offset, s.data_offset);
    for t in &s.tensors {
        let info = &content.tensor_infos[&t.name];
        let dims: Vec<u64> = info.shape.dims().iter().map(|&d| d as u64).collect();
        assert_eq!(dims, t.dims, "{}", t.name);
        assert_eq!(info.ggml_dtype, t.dtype);
        assert_eq!(content.tensor_data_offset + info.offset, t.offset);
        assert_eq!(
            t.size as usize,
            t.dims.iter().product::<u64>() as usize / t.dtype.block_size() * t.dtype.type_size()
        );
    }
    candle_transformers::models::quantized_qwen2::ModelWeights::from_gguf(
        content,
        &mut reader,
        &dev,
    )
    .unwrap();
}

/// Loads `bytes` the way the runtime does: candle's reader, then the qwen2 constructor.
fn load_with_candle(bytes: &[u8]) -> candle_core::Result<()> {
    use candle_core::quantized::gguf_file;
    let mut reader = Cursor::new(bytes);
    let content = gguf_file::Content::read(&mut reader)?;
    let dev = candle_core::Device::Cpu;
    let mut model = candle_transformers::models::quantized_qwen2::ModelWeights::from_gguf(
        content,
        &mut reader,
        &dev,
    )?;
    let ids = candle_core::Tensor::new(&[[1u32, 2, 3]], &dev)?;
    model.forward(&ids, 0)?;
    Ok(())
}

/// Positions of interesting integers to overwrite: every 4-byte step of the structural part.
fn interesting() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(3),
        Just(31),
        Just(u32::MAX as u64),
        Just(u32::MAX as u64 + 1),
        Just(1 << 40),
        Just(u64::MAX),
        Just(u64::MAX - 31),
        any::<u64>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Whatever the validator accepts, candle reads and builds the model from without panicking.
    #[test]
    fn accepted_files_load_in_candle_without_panic(
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), interesting(), any::<bool>(), any::<u8>()),
            1..4,
        ),
    ) {
        let mut bytes = candle_qwen2();
        let structure_end = check(&bytes).unwrap().data_offset as usize;
        for (at, value, wide, byte) in edits {
            let i = at.index(structure_end);
            if wide {
                // Overwrite a (possibly unaligned) little-endian integer field.
                let le = value.to_le_bytes();
                let n = (structure_end - i).min(if value >> 32 == 0 { 4 } else { 8 });
                bytes[i..i + n].copy_from_slice(&le[..n]);
            } else {
                bytes[i] = byte;
            }
        }
        if check(&bytes).is_ok() {
            let outcome = std::panic::catch_unwind(|| load_with_candle(&bytes).is_ok());
            prop_assert!(outcome.is_ok(), "candle panicked on a file the validator accepted");
        }
    }
}

/// A consistent qwen2 shape.
fn consistent_cfg() -> impl Strategy<Value = Cfg> {
    (
        prop::sample::select(vec![32usize, 64, 96]),
        prop::sample::select(vec![1usize, 2, 4, 8]),
        prop::sample::select(vec![1usize, 2, 4, 8]),
        1usize..=3,
        prop::sample::select(vec![8u32, 256, 1 << 16]),
    )
        .prop_map(|(embd, heads, kv, blocks, ctx)| Cfg {
            embd,
            heads,
            kv: kv.min(heads),
            blocks,
            ctx,
        })
}

/// One field set to a value that may be out of range or inconsistent.
fn corrupt(cfg: Cfg, field: usize, value: u32) -> Cfg {
    let v = value as usize;
    match field {
        0 => Cfg { embd: v, ..cfg },
        1 => Cfg { heads: v, ..cfg },
        2 => Cfg { kv: v, ..cfg },
        3 => Cfg { blocks: v, ..cfg },
        _ => Cfg { ctx: value, ..cfg },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    /// Whenever the validator accepts a file, candle loads it and runs a forward pass without
    /// panicking (errors are allowed, panics are not; an abort would kill the test binary).
    /// Starting from a consistent model, one metadata field is sometimes changed.
    #[test]
    fn accepted_hyper_parameters_run_in_candle(
        real in consistent_cfg(),
        change in proptest::option::of((
            0usize..5,
            prop::sample::select(vec![0u32, 1, 2, 3, 5, 16, 48, 512, 513, 1 << 20, (1 << 20) + 1, u32::MAX]),
        )),
    ) {
        let meta = match change {
            Some((field, value)) => corrupt(real, field, value),
            None => real,
        };
        let bytes = candle_qwen2_with(&meta, &real);
        let accepted = check(&bytes).is_ok();
        if change.is_none() {
            prop_assert!(accepted, "consistent model rejected: {:?}", check(&bytes).unwrap_err().to_string());
        }
        if accepted {
            let outcome = std::panic::catch_unwind(|| load_with_candle(&bytes));
            prop_assert!(outcome.is_ok(), "candle panicked on an accepted file: meta {meta:?} real {real:?}");
            // A 3-token forward pass needs a context of at least 3.
            if meta.ctx >= 3 {
                let run = outcome.unwrap();
                prop_assert!(run.is_ok(), "accepted file failed to run: {run:?} meta {meta:?} real {real:?}");
            }
        }
    }
}

/// Shape of a qwen3 model (its head dim is `attention.key_length`, independent of the width).
#[derive(Debug, Clone, Copy)]
struct Cfg3 {
    embd: usize,
    heads: usize,
    kv: usize,
    head_dim: usize,
    ctx: u32,
}

/// A one-layer qwen3 whose metadata claims `meta` while its tensors have the shapes of `real`.
fn candle_qwen3_with(meta: &Cfg3, real: &Cfg3) -> Vec<u8> {
    use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
    use candle_core::{Device, Tensor};
    let dev = Device::Cpu;
    let (vocab, ffn) = (32usize, 64usize);
    let embd = real.embd;
    let (qd, kvd, hd) = (
        real.heads * real.head_dim,
        real.kv * real.head_dim,
        real.head_dim,
    );
    let q = |shape: &[usize], dtype: GgmlDType| {
        let t = Tensor::randn(0f32, 0.02, shape, &dev).unwrap();
        QTensor::quantize(&t, dtype).unwrap()
    };
    let mut tensors: Vec<(String, QTensor)> = vec![
        (
            "token_embd.weight".into(),
            q(&[vocab, embd], GgmlDType::F32),
        ),
        ("output_norm.weight".into(), q(&[embd], GgmlDType::F32)),
    ];
    for (name, shape) in [
        ("attn_q.weight", vec![qd, embd]),
        ("attn_k.weight", vec![kvd, embd]),
        ("attn_v.weight", vec![kvd, embd]),
        ("attn_output.weight", vec![embd, qd]),
        ("attn_q_norm.weight", vec![hd]),
        ("attn_k_norm.weight", vec![hd]),
        ("attn_norm.weight", vec![embd]),
        ("ffn_norm.weight", vec![embd]),
        ("ffn_gate.weight", vec![ffn, embd]),
        ("ffn_up.weight", vec![ffn, embd]),
        ("ffn_down.weight", vec![embd, ffn]),
    ] {
        tensors.push((format!("blk.0.{name}"), q(&shape, GgmlDType::F32)));
    }
    use gguf_file::Value as V;
    let tokens = V::Array((0..vocab).map(|i| V::String(format!("t{i}"))).collect());
    let metadata: Vec<(&str, V)> = vec![
        ("general.architecture", V::String("qwen3".into())),
        ("qwen3.context_length", V::U32(meta.ctx)),
        ("qwen3.block_count", V::U32(1)),
        ("qwen3.embedding_length", V::U32(meta.embd as u32)),
        ("qwen3.feed_forward_length", V::U32(ffn as u32)),
        ("qwen3.attention.head_count", V::U32(meta.heads as u32)),
        ("qwen3.attention.head_count_kv", V::U32(meta.kv as u32)),
        ("qwen3.attention.key_length", V::U32(meta.head_dim as u32)),
        ("qwen3.attention.value_length", V::U32(meta.head_dim as u32)),
        ("qwen3.attention.layer_norm_rms_epsilon", V::F32(1e-6)),
        ("qwen3.rope.freq_base", V::F32(1_000_000.0)),
        ("tokenizer.ggml.model", V::String("gpt2".into())),
        ("tokenizer.ggml.tokens", tokens),
    ];
    let md: Vec<(&str, &V)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut cursor = Cursor::new(Vec::new());
    gguf_file::write(&mut cursor, &md, &ts).unwrap();
    cursor.into_inner()
}

fn run_qwen3(bytes: &[u8]) -> candle_core::Result<()> {
    use candle_core::quantized::gguf_file;
    let mut reader = Cursor::new(bytes);
    let content = gguf_file::Content::read(&mut reader)?;
    let dev = candle_core::Device::Cpu;
    let mut model = candle_transformers::models::quantized_qwen3::ModelWeights::from_gguf(
        content,
        &mut reader,
        &dev,
    )?;
    let ids = candle_core::Tensor::new(&[[1u32, 2, 3]], &dev)?;
    model.forward(&ids, 0)?;
    let next = candle_core::Tensor::new(&[[4u32]], &dev)?;
    model.forward(&next, 3)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// The same property for qwen3, whose head dim comes from `attention.key_length`.
    #[test]
    fn accepted_qwen3_hyper_parameters_run_in_candle(
        embd in prop::sample::select(vec![32usize, 64]),
        heads in prop::sample::select(vec![1usize, 2, 4]),
        kv in prop::sample::select(vec![1usize, 2]),
        head_dim in prop::sample::select(vec![16usize, 24, 32, 64]),
        change in proptest::option::of((
            0usize..4,
            prop::sample::select(vec![0u32, 1, 3, 8, 15, 24, 30, 48, 4096, 4097, u32::MAX]),
        )),
    ) {
        let real = Cfg3 { embd, heads, kv: kv.min(heads), head_dim, ctx: 64 };
        let meta = match change {
            Some((0, v)) => Cfg3 { heads: v as usize, ..real },
            Some((1, v)) => Cfg3 { kv: v as usize, ..real },
            Some((2, v)) => Cfg3 { head_dim: v as usize, ..real },
            Some((_, v)) => Cfg3 { ctx: v, ..real },
            None => real,
        };
        let bytes = candle_qwen3_with(&meta, &real);
        let accepted = check(&bytes);
        if change.is_none() {
            prop_assert!(accepted.is_ok(), "consistent qwen3 rejected: {}", accepted.unwrap_err());
        } else if accepted.is_ok() {
            let outcome = std::panic::catch_unwind(|| run_qwen3(&bytes));
            prop_assert!(outcome.is_ok(), "candle panicked on an accepted file: meta {meta:?} real {real:?}");
            if meta.ctx >= 4 {
                let run = outcome.unwrap();
                prop_assert!(run.is_ok(), "accepted file failed to run: {run:?} meta {meta:?}");
            }
        }
        if change.is_none() {
            let run = std::panic::catch_unwind(|| run_qwen3(&bytes));
            prop_assert!(matches!(run, Ok(Ok(()))), "valid qwen3 did not run: {run:?}");
        }
    }
}
