//! Metadata.

use super::*;

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
