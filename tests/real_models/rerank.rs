//! The second retrieval stage on a real model (qwen2.5-coder-0.5b): query likelihood finds the
//! Korean passage that answers an English question, which shares none of its words, and
//! scoring through the engine thread gives the same numbers as scoring on the model directly.

use std::sync::atomic::AtomicBool;

use factcheck::engine::score::{score, ScoreItem, ScoreRequest};
use factcheck::engine::{EngineConfig, EngineHandle, LoadedModel};
use factcheck::retrieval::corpus::Corpus;
use factcheck::retrieval::index::Retriever;
use factcheck::retrieval::likelihood::QueryLikelihood;
use factcheck::retrieval::rerank::search_reranked;

use crate::common::real;

#[test]
fn query_likelihood_lifts_the_answering_passage() {
    let Some(path) = real::model("qwen2.5-coder-0.5b") else {
        return;
    };
    let engine = EngineHandle::start(path.clone(), EngineConfig::default()).expect("engine");
    engine.wait_loaded().expect("model loads");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/corpora/company");
    let retriever = Retriever::new(Corpus::load(&dir).unwrap()).unwrap();
    // Lexically only `DH-20` matches: the first three passages are not the warranty line
    // ("…제습기 DH-20의 압축기는 4년 동안 무상으로 수리해 드립니다.").
    let question = "How long is the warranty on the DH-20 compressor?";
    let text = |i: usize| retriever.passages()[i].text.clone();
    let first = retriever.search(question, 3).unwrap();
    assert!(first.iter().all(|h| !text(h.passage).contains("4년")));
    let reranker = QueryLikelihood::new(engine.clone(), "qwen2.5-coder-0.5b");
    let hits = search_reranked(&retriever, question, question, 3, &reranker).unwrap();
    let top = text(hits[0].passage);
    assert!(top.contains("압축기는 4년"), "reranked top passage: {top}");

    // The engine thread's job equals a direct call on a model of our own.
    let item = ScoreItem {
        messages: QueryLikelihood::prompt(&top, None),
        continuation: question.to_string(),
    };
    let request = || ScoreRequest {
        items: vec![item.clone()],
    };
    let via_thread = engine.score_blocking(request()).unwrap();
    let mut lm = LoadedModel::load(&path).unwrap();
    let direct = score(&mut lm, &request(), &AtomicBool::new(false))
        .unwrap()
        .unwrap();
    assert_eq!(via_thread[0].tokens, direct[0].tokens);
    assert!((via_thread[0].logprob - direct[0].logprob).abs() < 1e-3);
    assert!(direct[0].logprob < 0.0 && direct[0].tokens > 5);
}
