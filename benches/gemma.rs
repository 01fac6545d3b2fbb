//! Speed of the EmbeddingGemma-300M encoder ([`factcheck::embed::gemma`]) on the CPU: one
//! question (the dense stage's per-query cost) and one passage of about 100 tokens (the index
//! build's cost per passage), with the linear weights in f32 and quantized to Q8_0. Each benchmark
//! first checks that the question's vector is nearest the passage that answers it.
//!
//! The folder is `$FACTCHECK_GEMMA_EMBEDDER`, else `embeddinggemma-300m/` in the test-models cache
//! (`scripts/fetch-gemma-embedder.sh`); without it the benchmarks are skipped with a note. Threads:
//! candle's matrix products use `RAYON_NUM_THREADS` (default: all cores), e.g.
//! `RAYON_NUM_THREADS=1 cargo bench --bench gemma`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use factcheck::embed::dot;
use factcheck::embed::gemma::{document_text, query_text, Gemma, Precision};

/// A question of about 15 tokens.
const QUESTION: &str = "백두산 천지의 가장 깊은 곳은 수심이 얼마야?";

/// The passage that answers it (about 100 tokens with its prompt), then two that do not.
const PASSAGES: [(&str, &str); 3] = [
    (
        "백두산",
        "정상에는 화산 폭발 뒤 꼭대기가 무너져 생긴 칼데라에 물이 고인 호수 천지가 있다. 천지의 \
         둘레는 약 14km, 가장 깊은 곳은 약 384m로, 화산 호수로는 매우 깊은 편이다. 천지의 물은 \
         북쪽으로 흘러 장백폭포를 이루며 쑹화강의 발원이 된다.",
    ),
    (
        "백두산",
        "산꼭대기가 일 년 중 여러 달 동안 눈에 덮여 있고, 흰빛의 부석이 쌓여 있어 '머리가 하얀 \
         산'이라는 뜻으로 백두산이라 불렀다고 한다.",
    ),
    (
        "측우기",
        "세종 때인 1441년에 비의 양을 재는 측우기를 만들어 전국의 강우량을 체계적으로 기록하였다.",
    ),
];

fn folder() -> PathBuf {
    std::env::var_os("FACTCHECK_GEMMA_EMBEDDER")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/factcheck-test-models/embeddinggemma-300m")
        })
}

fn encode(c: &mut Criterion) {
    let dir = folder();
    if !dir.join("model.safetensors").is_file() {
        eprintln!(
            "gemma benchmarks skipped: no model folder at {}",
            dir.display()
        );
        return;
    }
    let threads = candle_core::utils::get_num_threads();
    let query = query_text(QUESTION);
    let passages: Vec<String> = PASSAGES
        .iter()
        .map(|(title, text)| document_text(Some(title), text))
        .collect();
    for (precision, name) in [(Precision::F32, "f32"), (Precision::Q8_0, "q8_0")] {
        let model = Gemma::load(&dir, precision).expect("model loads");
        eprintln!(
            "gemma {name}, {threads} threads: question {} tokens, passage {} tokens",
            model.tokens(&query).unwrap().len(),
            model.tokens(&passages[0]).unwrap().len()
        );
        let q = &model.embed(&[&query]).unwrap()[0];
        let refs: Vec<&str> = passages.iter().map(String::as_str).collect();
        let p = model.embed(&refs).unwrap();
        let nearest = (0..p.len())
            .max_by(|&a, &b| dot(q, &p[a]).total_cmp(&dot(q, &p[b])))
            .unwrap();
        assert_eq!(nearest, 0, "the answering passage is not the nearest");

        let mut group = c.benchmark_group(format!("gemma_{name}_{threads}t"));
        group.sample_size(10);
        group.bench_function("query", |b| b.iter(|| model.embed(&[&query]).unwrap()));
        group.bench_function("passage", |b| {
            b.iter(|| model.embed(&[&passages[0]]).unwrap())
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    targets = encode
}
criterion_main!(benches);
