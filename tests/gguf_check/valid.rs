//! The valid file.

use super::*;

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
