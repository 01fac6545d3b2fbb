//! EmbeddingGemma-300M ([`factcheck::embed::gemma`]) on the real model folder: its token ids,
//! vectors and cosines agree with sentence-transformers' (`tests/fixtures/gemma-reference.json`,
//! made by `tests/fixtures/gemma-reference.py`; its README gives the command).
//!
//! The folder is found (and fetched when absent) by [`real::gemma_embedder`]; when it cannot be
//! had these tests print why and pass, or fail under `FACTCHECK_REQUIRE_MODELS=1`.

use std::path::Path;
use std::sync::OnceLock;

use factcheck::embed::dot;
use factcheck::embed::gemma::{document_text, query_text, Gemma, Precision};
use factcheck::retrieval::index::Retriever;
use serde_json::Value;

use crate::common::real;

/// Per-value tolerance against the reference (f32 on both sides; the order of sums differs).
const TOLERANCE: f32 = 2e-3;
/// The same with the linear weights quantized to Q8_0 at load.
const TOLERANCE_Q8: f32 = 1e-2;

fn reference() -> Value {
    serde_json::from_str(include_str!("../fixtures/gemma-reference.json")).expect("fixture parses")
}

/// The model, loaded once for all the tests of this module.
fn model(precision: Precision) -> Option<&'static Gemma> {
    static F32: OnceLock<Gemma> = OnceLock::new();
    static Q8: OnceLock<Gemma> = OnceLock::new();
    let dir = real::gemma_embedder()?;
    let cell = match precision {
        Precision::F32 => &F32,
        Precision::Q8_0 => &Q8,
    };
    Some(cell.get_or_init(|| load(&dir, precision)))
}

fn load(dir: &Path, precision: Precision) -> Gemma {
    Gemma::load(dir, precision).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// The reference's texts as the model reads them (checked against the fixture's own).
fn inputs(reference: &Value) -> Vec<String> {
    reference["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            let text = item["text"].as_str().unwrap();
            let input = match item["role"].as_str().unwrap() {
                "query" => query_text(text),
                _ => document_text(item["title"].as_str(), text),
            };
            assert_eq!(input, item["input"].as_str().unwrap());
            input
        })
        .collect()
}

/// The largest difference between our vectors and cosines and the reference's, each checked to
/// be below `tolerance`.
fn max_difference(model: &Gemma, tolerance: f32) -> f32 {
    let reference = reference();
    let inputs = inputs(&reference);
    let texts: Vec<&str> = inputs.iter().map(String::as_str).collect();
    // All together: texts of different lengths share batches, so padding is exercised.
    let vectors = model.embed(&texts).expect("texts embed");
    let mut worst = 0.0f32;
    for ((item, text), v) in reference["items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&texts)
        .zip(&vectors)
    {
        assert_eq!(v.len(), 768);
        assert!((dot(v, v) - 1.0).abs() < 1e-4, "{text}: not unit length");
        let want = item["first16"].as_array().unwrap();
        for (i, (got, want)) in v.iter().zip(want).enumerate() {
            let d = (got - want.as_f64().unwrap() as f32).abs();
            assert!(d < tolerance, "{text} [{i}]: {got} vs {want}");
            worst = worst.max(d);
        }
    }
    for (i, row) in reference["cosines"].as_array().unwrap().iter().enumerate() {
        for (j, want) in row.as_array().unwrap().iter().enumerate() {
            let got = dot(&vectors[i], &vectors[j]);
            let d = (got - want.as_f64().unwrap() as f32).abs();
            assert!(d < tolerance, "cosine {i},{j}: {got} vs {want}");
            worst = worst.max(d);
        }
    }
    worst
}

#[test]
fn token_ids_match_the_reference_tokenizer() {
    let Some(model) = model(Precision::F32) else {
        return;
    };
    let reference = reference();
    for (item, input) in reference["items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(inputs(&reference))
    {
        assert_eq!(
            model.tokens(&input).unwrap(),
            real::ids(&item["ids"]),
            "{input}"
        );
    }
    // Truncation keeps <bos> … <eos> within the limit.
    let long = "가나다라 ".repeat(1000);
    let ids = model.tokens(&long).unwrap();
    assert_eq!(ids.len(), factcheck::embed::gemma::MAX_TOKENS);
    assert_eq!((ids[0], ids[ids.len() - 1]), (2, 1));
}

#[test]
fn f32_vectors_agree_with_sentence_transformers() {
    let Some(model) = model(Precision::F32) else {
        return;
    };
    let worst = max_difference(model, TOLERANCE);
    eprintln!("f32: largest difference from the reference {worst:.2e}");
}

#[test]
fn q8_0_vectors_stay_near_sentence_transformers() {
    let Some(model) = model(Precision::Q8_0) else {
        return;
    };
    let worst = max_difference(model, TOLERANCE_Q8);
    eprintln!("q8_0: largest difference from the reference {worst:.2e}");
}

#[test]
fn batching_changes_nothing() {
    let Some(model) = model(Precision::F32) else {
        return;
    };
    let texts = [
        "짧은 문장",
        "조금 더 긴 두 번째 문장입니다. 여러 단어가 있습니다.",
        "third",
    ];
    let together = model.embed(&texts).unwrap();
    for (t, v) in texts.iter().zip(&together) {
        let alone = &model.embed(&[t]).unwrap()[0];
        assert!(dot(v, alone) > 0.9999, "{t}: {}", dot(v, alone));
    }
}

#[test]
fn the_embedder_takes_the_folder_with_the_model_cards_prompts() {
    use factcheck::embed::{Embedder, Role};

    let Some(dir) = real::gemma_embedder() else {
        return;
    };
    let e = Embedder::load(&dir).expect("the folder loads as an embedder");
    assert_eq!(e.dim(), 768);
    assert_eq!(
        e.passage_text(Some("측우기"), "비의 양을 잰다."),
        "title: 측우기 | text: 비의 양을 잰다."
    );
    let reference = reference();
    let items = reference["items"].as_array().unwrap();
    for item in items {
        let text = item["text"].as_str().unwrap();
        let (v, ids) = match item["role"].as_str().unwrap() {
            "query" => (e.embed(&[text], Role::Query), e.tokens(text, Role::Query)),
            _ => {
                let p = e.passage_text(item["title"].as_str(), text);
                (e.embed(&[&p], Role::Passage), e.tokens(&p, Role::Passage))
            }
        };
        assert_eq!(ids, real::ids(&item["ids"]), "{text}");
        let want = item["first16"].as_array().unwrap();
        for (got, want) in v[0].iter().zip(want) {
            assert!(
                (got - want.as_f64().unwrap() as f32).abs() < TOLERANCE,
                "{text}"
            );
        }
    }
}

/// A few files of one of `eval/corpora/`, small enough to embed in seconds, indexed twice with
/// the dense stage's pipeline: lexical only, and with EmbeddingGemma. `None` when the model
/// cannot be had.
fn small_corpus(folder: &str, files: &[&str]) -> Option<(Retriever, Retriever)> {
    use std::sync::Arc;

    use factcheck::embed::Embedder;
    use factcheck::retrieval::corpus::Corpus;
    use factcheck::retrieval::index::Pipeline;

    let dir = real::gemma_embedder()?;
    let corpus_dir = tempfile::tempdir().unwrap();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("eval/corpora")
        .join(folder);
    for name in files {
        std::fs::copy(docs.join(name), corpus_dir.path().join(name)).unwrap();
    }
    let corpus = || Corpus::load(corpus_dir.path()).unwrap();
    let embedder = Arc::new(Embedder::load(&dir).expect("the folder loads"));
    let lexical = Retriever::with_pipeline(corpus(), Pipeline::dense_default()).unwrap();
    let dense = Retriever::with_pipeline(corpus(), Pipeline::dense_default())
        .unwrap()
        .with_embedder(embedder);
    Some((lexical, dense))
}

/// The file and first line of each of the `k` best hits for `question`.
fn lines(r: &Retriever, question: &str, k: usize) -> Vec<(String, usize)> {
    r.search(question, k)
        .unwrap()
        .iter()
        .map(|h| {
            let p = &r.passages()[h.passage];
            (p.source.clone(), p.start_line)
        })
        .collect()
}

#[test]
fn english_questions_find_korean_lines_that_share_no_word_with_them() {
    let Some((lexical, dense)) = small_corpus(
        "encyclopedia",
        &["jangma.txt", "penicillin.txt", "jikji.txt"],
    ) else {
        return;
    };
    // (question, file, line, whether it is the first hit). A question without Hangul over
    // this Korean text ranks by the encoder alone: its words reach the text only through the
    // odd name or figure, and that match, as a share of the best one, had lifted another line
    // of the article (jikji 28, jangma 3) over the one that answers.
    let cases = [
        ("Where is the Jikji kept today?", "jikji.txt", 10, true),
        (
            "Who discovered penicillin, and in which year?",
            "penicillin.txt",
            6,
            false,
        ),
        (
            "When does the rainy season usually begin in the central region of Korea?",
            "jangma.txt",
            10,
            true,
        ),
    ];
    for (question, file, line, first) in cases {
        let want = (file.to_string(), line);
        // No glossary line links these English words to the Korean ones: shared words miss.
        assert!(
            !lines(&lexical, question, 3).contains(&want),
            "lexical alone already finds {question}"
        );
        assert!(dense.in_other_script(question));
        let found = lines(&dense, question, 3);
        assert!(found.contains(&want), "{question}: {found:?}");
        if first {
            assert_eq!(found[0], want, "{question}: {found:?}");
        }
    }
}

#[test]
fn a_paraphrase_sharing_few_words_bears_through_the_encoder_and_an_unrelated_question_does_not() {
    use factcheck::answer::pipeline::AnswerConfig;
    use factcheck::retrieval::index::Hit;

    let Some((lexical, dense)) = small_corpus(
        "company",
        &[
            "policy_remote_work.txt",
            "policy_leave.txt",
            "manual_rv7.txt",
        ],
    ) else {
        return;
    };
    let floor = AnswerConfig::default().abstain_coverage;

    // `재택근무는 주 2일까지` asked as "working at home": one word in common with the line.
    let paraphrase = "집에서 일하는 건 한 주에 며칠까지 돼?";
    let hit = dense.search(paraphrase, 3).unwrap()[0].clone();
    let p = &dense.passages()[hit.passage];
    assert_eq!(
        (p.source.as_str(), p.start_line),
        ("policy_remote_work.txt", 15)
    );
    assert!(hit.coverage < floor, "coverage {}", hit.coverage);
    assert!(dense.bears(&hit, floor), "cosine {:?}", hit.similarity);
    // Without an encoder the same coverage does not bear.
    let lexical_hit = Hit {
        similarity: None,
        ..hit.clone()
    };
    assert!(!lexical.bears(&lexical_hit, floor));

    // Nothing in these documents is about the canteen.
    let unrelated = "사내 식당 점심 메뉴는 누가 정해?";
    let hit = dense.search(unrelated, 3).unwrap()[0].clone();
    assert!(!dense.bears(&hit, floor), "{hit:?}");
}

#[test]
fn a_paragraph_ranks_by_the_sentence_that_answers_too() {
    // The paragraph on CAM plants answers in one sentence; as a whole it sat below shorter
    // lines on Venus and the geomungo that share the question's topic words.
    let Some((_, dense)) = small_corpus(
        "encyclopedia",
        &["photosynthesis.txt", "venus.txt", "geomungo.txt"],
    ) else {
        return;
    };
    let question = "선인장은 왜 밤에 기공을 여나?";
    let hits = dense.search(question, 3).unwrap();
    let p = &dense.passages()[hits[0].passage];
    assert_eq!(
        (p.source.as_str(), p.start_line),
        ("photosynthesis.txt", 22),
        "{hits:?}"
    );
    assert!(
        p.text[hits[0].highlight.clone()].contains("CAM"),
        "{}",
        p.text
    );
}

#[test]
fn a_hit_is_quoted_by_the_sentence_that_answers_in_other_words() {
    let Some((lexical, dense)) = small_corpus(
        "encyclopedia",
        &["jikji.txt", "joseon.txt", "baekdusan.txt"],
    ) else {
        return;
    };
    let quoted = |r: &Retriever, q: &str| -> (String, usize, String) {
        let hit = r.search(q, 3).unwrap()[0].clone();
        let p = &r.passages()[hit.passage];
        let sentence = p.text[hit.highlight.clone()].to_string();
        (p.source.clone(), p.start_line, sentence)
    };
    let cases = [
        (
            "직지는 지금 몇 권이 전해지나?",
            "jikji.txt",
            14,
            "하권 한 권만",
        ),
        (
            "세종 때 강수량을 재려고 만든 기구는?",
            "joseon.txt",
            20,
            "측우기",
        ),
        (
            "How deep is the crater lake at the top of Mount Paektu at its deepest point?",
            "baekdusan.txt",
            16,
            "384m",
        ),
    ];
    for (question, file, line, answer) in cases {
        let (source, start, sentence) = quoted(&dense, question);
        assert_eq!((source.as_str(), start), (file, line), "{question}");
        assert!(sentence.contains(answer), "{question}: {sentence}");
    }
    // The words alone quote the first two by another sentence of the same line.
    for (question, answer) in [
        ("직지는 지금 몇 권이 전해지나?", "하권 한 권만"),
        ("세종 때 강수량을 재려고 만든 기구는?", "측우기"),
    ] {
        let (_, _, sentence) = quoted(&lexical, question);
        assert!(!sentence.contains(answer), "{question}: {sentence}");
    }
}

#[test]
fn a_sentence_is_read_under_its_section_heading() {
    // `목표 제조원가는 대당 23만 원이다` and `출시 목표는 2026년 1분기로 하고` never name the
    // product; their agenda items (`1. AP-700 사양 확정`, `1. 차세대 공기청정기 개발 착수`) do.
    // Read under the file's title alone, the first came behind the decision line after it and
    // the second behind two lines of the press release.
    let Some((_, dense)) = small_corpus(
        "company",
        &[
            "minutes_2025-03-12_product.txt",
            "minutes_2025-04-08_product.txt",
            "press_release_pyeongtaek.txt",
        ],
    ) else {
        return;
    };
    let cases = [
        (
            "AP-700 한 대를 만드는 데 목표로 한 원가는 얼마인가?",
            "minutes_2025-04-08_product.txt",
            16,
        ),
        (
            "차세대 공기청정기는 언제 출시할 계획인가?",
            "minutes_2025-03-12_product.txt",
            18,
        ),
    ];
    for (question, file, line) in cases {
        let found = lines(&dense, question, 3);
        assert_eq!(found[0], (file.to_string(), line), "{question}: {found:?}");
    }
}
