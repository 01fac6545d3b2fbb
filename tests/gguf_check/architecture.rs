//! Consistency with the architecture.

use super::*;

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
