//! A file written by candle passes and then loads in candle.

use super::*;

/// Shape of a qwen2 model for the candle-written fixtures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cfg {
    pub(crate) embd: usize,
    pub(crate) heads: usize,
    pub(crate) kv: usize,
    pub(crate) blocks: usize,
    pub(crate) ctx: u32,
}

pub(crate) const CFG: Cfg = Cfg {
    embd: 64,
    heads: 4,
    kv: 2,
    blocks: 2,
    ctx: 256,
};

/// A complete two-layer qwen2 (every tensor candle's constructor loads), written by candle.
pub(crate) fn candle_qwen2() -> Vec<u8> {
    candle_qwen2_with(&CFG, &CFG)
}

/// A qwen2 whose metadata claims `meta` while its tensors have the shapes of `real`.
pub(crate) fn candle_qwen2_with(meta: &Cfg, real: &Cfg) -> Vec<u8> {
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
pub(crate) fn load_with_candle(bytes: &[u8]) -> candle_core::Result<()> {
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
pub(crate) fn interesting() -> impl Strategy<Value = u64> {
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
pub(crate) fn consistent_cfg() -> impl Strategy<Value = Cfg> {
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
pub(crate) fn corrupt(cfg: Cfg, field: usize, value: u32) -> Cfg {
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
pub(crate) struct Cfg3 {
    pub(crate) embd: usize,
    pub(crate) heads: usize,
    pub(crate) kv: usize,
    pub(crate) head_dim: usize,
    pub(crate) ctx: u32,
}

/// A one-layer qwen3 whose metadata claims `meta` while its tensors have the shapes of `real`.
pub(crate) fn candle_qwen3_with(meta: &Cfg3, real: &Cfg3) -> Vec<u8> {
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

pub(crate) fn run_qwen3(bytes: &[u8]) -> candle_core::Result<()> {
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
