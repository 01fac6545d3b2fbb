//! Benchmarks of index build and of a query on the seed corpus (criterion). Each benchmark
//! first checks that the code under test gives the right answer.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use factcheck::retrieval::corpus::Corpus;
use factcheck::retrieval::index::{Pipeline, Retriever};

const QUERIES: &[&str] = &[
    "3월 말 기준 소프트뱅크의 현금 보유액과 순자산은 얼마였나?",
    "르네 하스 Arm CEO도 서울 회동에 참석했다.",
    "How many jobs did Trump say Stargate would create?",
];

fn corpus() -> Corpus {
    load("seeds")
}

fn load(dir: &str) -> Corpus {
    Corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)).expect("corpus loads")
}

/// Questions on the encyclopedia corpus (22 articles, the larger out-of-domain corpus).
const ENCYCLOPEDIA: &[&str] = &[
    "백두산 천지의 가장 깊은 곳은 수심이 얼마야?",
    "When was Hunminjeongeum officially proclaimed?",
];

fn index_build(c: &mut Criterion) {
    let corpus = corpus();
    c.bench_function("index_build", |b| {
        b.iter(|| Retriever::new(corpus.clone()).expect("index builds"))
    });
}

fn search(c: &mut Criterion) {
    let r = Retriever::new(corpus()).expect("index builds");
    let top = &r.passages()[r.search(QUERIES[0], 5).unwrap()[0].passage];
    assert_eq!(
        (top.source.as_str(), top.start_line),
        ("000_e75c928bc0077ff5.txt", 27)
    );
    let mut group = c.benchmark_group("search_top5");
    for (i, q) in QUERIES.iter().enumerate() {
        group.bench_function(format!("q{i}"), |b| b.iter(|| r.search(q, 5).unwrap()));
    }
    group.finish();

    // BM25 alone: plain Hangul-bigram BM25, no layer.
    let plain = Retriever::with_pipeline(corpus(), Pipeline::PLAIN).expect("index builds");
    let top = &plain.passages()[plain.search(QUERIES[0], 5).unwrap()[0].passage];
    assert_eq!(top.source, "000_e75c928bc0077ff5.txt");
    let mut group = c.benchmark_group("search_plain_top5");
    for (i, q) in QUERIES.iter().enumerate() {
        group.bench_function(format!("q{i}"), |b| b.iter(|| plain.search(q, 5).unwrap()));
    }
    group.finish();

    // The default pipeline on the larger out-of-domain corpus.
    let enc = Retriever::new(load("eval/corpora/encyclopedia")).expect("index builds");
    let top = &enc.passages()[enc.search(ENCYCLOPEDIA[0], 5).unwrap()[0].passage];
    assert_eq!((top.source.as_str(), top.start_line), ("baekdusan.txt", 16));
    let mut group = c.benchmark_group("search_encyclopedia_top5");
    for (i, q) in ENCYCLOPEDIA.iter().enumerate() {
        group.bench_function(format!("q{i}"), |b| b.iter(|| enc.search(q, 5).unwrap()));
    }
    group.finish();
}

/// The dense stage's cost: the question embedded by the encoder, a cosine with every passage,
/// the fusion, the first hits' sentences embedded to choose each one's quote; and without
/// that last step. Skipped (with a note) without the encoder file (`scripts/fetch-embedder.sh`).
fn dense(c: &mut Criterion) {
    let home = std::env::var_os("HOME").unwrap_or_default();
    let path = std::env::var_os("FACTCHECK_EMBEDDER")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(&home).join(".cache/factcheck-test-models/e5-small-q4.bin"));
    let Ok(embedder) = factcheck::embed::Embedder::load(&path) else {
        eprintln!("dense benchmarks skipped: no encoder at {}", path.display());
        return;
    };
    let embedder = std::sync::Arc::new(embedder);
    let enc =
        Retriever::with_pipeline(load("eval/corpora/encyclopedia"), Pipeline::dense_default())
            .expect("index builds")
            .with_embedder(embedder.clone());
    let top = &enc.passages()[enc.search(ENCYCLOPEDIA[0], 5).unwrap()[0].passage];
    assert_eq!((top.source.as_str(), top.start_line), ("baekdusan.txt", 16));
    let mut group = c.benchmark_group("search_dense_encyclopedia_top5");
    for (i, q) in ENCYCLOPEDIA.iter().enumerate() {
        group.bench_function(format!("q{i}"), |b| b.iter(|| enc.search(q, 5).unwrap()));
    }
    group.finish();
    // The same without the encoder choosing the first hits' quoting sentences.
    let words_quote = Pipeline {
        sentences: false,
        ..Pipeline::dense_default()
    };
    let enc_words = Retriever::with_pipeline(load("eval/corpora/encyclopedia"), words_quote)
        .expect("index builds")
        .with_embedder(embedder.clone());
    let mut group = c.benchmark_group("search_dense_no_sentences_encyclopedia_top5");
    for (i, q) in ENCYCLOPEDIA.iter().enumerate() {
        group.bench_function(format!("q{i}"), |b| {
            b.iter(|| enc_words.search(q, 5).unwrap())
        });
    }
    group.finish();
    let passages: Vec<&str> = enc
        .passages()
        .iter()
        .take(64)
        .map(|p| p.text.as_str())
        .collect();
    let mut group = c.benchmark_group("embed");
    group.sample_size(10);
    group.bench_function("passages_64", |b| {
        b.iter(|| embedder.embed(&passages, factcheck::embed::Role::Passage))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = index_build, search, dense
}
criterion_main!(benches);
