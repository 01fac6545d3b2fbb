//! The sentence encoder's file reader on synthetic images: a tiny well-formed image loads and
//! embeds, and no corruption of it (truncation, flipped bytes) panics — every bad file is an
//! error that names the problem.

use factcheck::embed::{dot, Embedder, Role};
use proptest::prelude::*;

const H: usize = 32;
const FF: usize = 64;
const POSITIONS: usize = 16;
const PIECES: [&str; 8] = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "b", "▁ab"];

fn q4_tensor(rows: usize, cols: usize, seed: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for r in 0..rows {
        for b in 0..cols / 32 {
            out.extend(0x2c00u16.to_le_bytes()); // scale 1/16 in f16
            out.extend((0..16).map(|i| (i as u8).wrapping_mul(seed).wrapping_add((r + b) as u8)));
        }
    }
    out
}

fn f32_tensor(n: usize, v: f32) -> Vec<u8> {
    (0..n)
        .flat_map(|i| (v + i as f32 * 1e-3).to_le_bytes())
        .collect()
}

/// A well-formed image: one layer, hidden 32, a vocabulary of eight pieces.
fn image() -> Vec<u8> {
    let mut head = b"E5S1".to_vec();
    let int = |v: usize| (v as u32).to_le_bytes();
    head.extend(1u32.to_le_bytes());
    for v in [H, 1, 2, FF, PIECES.len(), POSITIONS, 2] {
        head.extend(int(v));
    }
    head.extend(1e-12f32.to_le_bytes());
    head.extend(int(32));
    head.extend(int(PIECES.len()));
    for id in [0usize, 2, 1, 3] {
        head.extend(int(id));
    }
    let blob: Vec<u8> = PIECES.concat().into_bytes();
    head.extend((blob.len() as u64).to_le_bytes());
    let mut at = 0;
    head.extend(int(0));
    for p in PIECES {
        at += p.len();
        head.extend(int(at));
    }
    for (i, _) in PIECES.iter().enumerate() {
        head.extend((-(i as f32)).to_le_bytes());
    }
    head.extend(&blob);
    // Normaliser: 'Ａ' → 'a'.
    let mut norm = ('Ａ' as u32).to_le_bytes().to_vec();
    norm.push(1);
    norm.extend(('a' as u32).to_le_bytes());
    head.extend(int(1));
    head.extend(int(norm.len()));
    head.extend(norm);
    let mut tensors: Vec<(String, u8, usize, Vec<u8>)> = vec![
        (
            "emb.word".into(),
            1,
            PIECES.len() * H,
            q4_tensor(PIECES.len(), H, 3),
        ),
        (
            "emb.pos".into(),
            0,
            POSITIONS * H,
            f32_tensor(POSITIONS * H, 0.01),
        ),
        ("emb.type".into(), 0, 2 * H, f32_tensor(2 * H, 0.0)),
        ("emb.ln.w".into(), 0, H, f32_tensor(H, 1.0)),
        ("emb.ln.b".into(), 0, H, f32_tensor(H, 0.0)),
    ];
    for (name, rows, cols) in [
        ("q", H, H),
        ("k", H, H),
        ("v", H, H),
        ("ao", H, H),
        ("fi", FF, H),
        ("fo", H, FF),
    ] {
        tensors.push((
            format!("l0.{name}.w"),
            1,
            rows * cols,
            q4_tensor(rows, cols, 5),
        ));
        tensors.push((format!("l0.{name}.b"), 0, rows, f32_tensor(rows, 0.0)));
    }
    for name in ["aln", "oln"] {
        tensors.push((format!("l0.{name}.w"), 0, H, f32_tensor(H, 1.0)));
        tensors.push((format!("l0.{name}.b"), 0, H, f32_tensor(H, 0.0)));
    }
    let dir_len: usize = 4 + tensors
        .iter()
        .map(|t| 2 + t.0.len() + 1 + 4 + 8 + 8)
        .sum::<usize>();
    let mut offset = head.len() + dir_len;
    head.extend(int(tensors.len()));
    for (name, dtype, n, bytes) in &tensors {
        head.extend((name.len() as u16).to_le_bytes());
        head.extend(name.as_bytes());
        head.push(*dtype);
        head.extend(int(*n));
        head.extend((offset as u64).to_le_bytes());
        head.extend((bytes.len() as u64).to_le_bytes());
        offset += bytes.len();
    }
    for (_, _, _, bytes) in tensors {
        head.extend(bytes);
    }
    head
}

#[test]
fn a_tiny_well_formed_image_loads_and_embeds() {
    let e = Embedder::from_bytes(image(), "tiny".into()).expect("loads");
    assert_eq!(e.dim(), H);
    // `<s>`, the prefixed text's pieces, `</s>`; positions bound the length.
    let t = e.tokens("ab", Role::Passage);
    assert_eq!((t[0], *t.last().unwrap()), (0, 2));
    let long = "ab ".repeat(100);
    assert_eq!(e.tokens(&long, Role::Query).len(), POSITIONS);
    let v = e.embed(&["ab", "Ａb", &long, ""], Role::Passage);
    assert_eq!(v.len(), 4);
    for x in &v {
        assert!(x.iter().all(|f| f.is_finite()));
        assert!((dot(x, x) - 1.0).abs() < 1e-3);
    }
    // The normaliser maps the full-width letter: same text, same vector.
    assert!(dot(&v[0], &v[1]) > 0.9999);
}

/// Every position with the bytes most likely to turn a count huge or
/// negative: sampling alone once missed a normaliser count of 4 billion.
#[test]
fn every_single_byte_corruption_is_an_error_or_a_working_model() {
    let clean = image();
    for at in 0..clean.len() {
        for byte in [0x00u8, 0x7f, 0x80, 0xff] {
            let mut data = clean.clone();
            data[at] = byte;
            if let Ok(e) = Embedder::from_bytes(data, "flipped".into()) {
                assert_eq!(e.embed(&["ab ab"], Role::Query).len(), 1);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn truncated_images_are_errors(cut in 0usize..4000) {
        let mut data = image();
        let cut = cut.min(data.len() - 1);
        data.truncate(cut);
        let err = Embedder::from_bytes(data, "cut".into()).unwrap_err();
        prop_assert!(err.to_string().contains("bad embedding model file"), "{}", err);
    }

    #[test]
    fn corrupted_images_never_panic(at in 0usize..4000, byte in any::<u8>()) {
        let mut data = image();
        let at = at % data.len();
        data[at] = byte;
        if let Ok(e) = Embedder::from_bytes(data, "flipped".into()) {
            // What loads must also embed without panicking.
            let v = e.embed(&["ab ab", "zzz"], Role::Query);
            prop_assert_eq!(v.len(), 2);
        }
    }
}

/// Held by the tests that point `FACTCHECK_CACHE_DIR` at a folder of their own.
static CACHE_DIR: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_retriever_embeds_in_the_background_and_searches_lexically_meanwhile() {
    use std::sync::Arc;

    let _cache_dir = CACHE_DIR.lock().unwrap_or_else(|e| e.into_inner());
    use factcheck::retrieval::corpus::{Corpus, SourceFile};
    use factcheck::retrieval::index::{DenseStatus, Pipeline, Retriever};

    let cache = tempfile::tempdir().unwrap();
    std::env::set_var("FACTCHECK_CACHE_DIR", cache.path());
    let files = vec![SourceFile::from_text(
        "a.txt",
        "제목\n\nab ab 문장이다.\nb 다른 문장이다.\n",
    )];
    let retriever = Arc::new(
        Retriever::with_pipeline(Corpus::from_files(files), Pipeline::dense_default()).unwrap(),
    );
    assert_eq!(retriever.dense_status(), DenseStatus::None);
    let lexical = retriever.search("다른 문장", 2).unwrap();
    assert!(lexical.iter().all(|h| h.similarity.is_none()));

    let e = Arc::new(Embedder::from_bytes(image(), "tiny".into()).expect("loads"));
    let done = retriever.embed_in_background(e);
    // Until the vectors are in, the status says so and searches still answer.
    match retriever.dense_status() {
        DenseStatus::Embedding(name) | DenseStatus::Ready(name) => assert_eq!(name, "tiny"),
        DenseStatus::None => panic!("the encoder is not reported"),
    }
    assert!(!retriever.search("다른 문장", 2).unwrap().is_empty());
    done.join().expect("the embedding thread ends");
    assert_eq!(retriever.dense_status(), DenseStatus::Ready("tiny".into()));
    assert_eq!(retriever.embedder_name(), Some("tiny"));
    let hits = retriever.search("다른 문장", 2).unwrap();
    assert!(hits.iter().all(|h| h.similarity.is_some()), "{hits:?}");
}

#[test]
fn an_encoder_that_does_not_choose_sentences_embeds_only_the_passages() {
    use std::sync::Arc;

    use factcheck::retrieval::corpus::{Corpus, SourceFile};
    use factcheck::retrieval::index::{Pipeline, Retriever};

    let _cache_dir = CACHE_DIR.lock().unwrap_or_else(|e| e.into_inner());
    let cache = tempfile::tempdir().unwrap();
    std::env::set_var("FACTCHECK_CACHE_DIR", cache.path());
    let text = "제목\n\nab ab 문장이다. zzz 둘째 문장이다.\nb 다른 문장이다.\n";
    let files = vec![SourceFile::from_text("a.txt", text)];
    // The e5 format: its sentences would quote fewer answers than the words' (`Fusion::E5`).
    let e = Arc::new(Embedder::from_bytes(image(), "tiny".into()).expect("loads"));
    let r = Retriever::with_pipeline(Corpus::from_files(files), Pipeline::dense_default())
        .unwrap()
        .with_embedder(e);
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
    for q in ["둘째 문장", "ab ab", "다른"] {
        for h in r.search(q, 3).unwrap() {
            let p = &r.passages()[h.passage];
            let sentence = &p.text[h.highlight.clone()];
            assert!(
                factcheck::text::sentence_spans(&p.text)
                    .iter()
                    .any(|s| &p.text[s.clone()] == sentence),
                "{q}: {sentence:?}"
            );
        }
    }
}
