//! Answers from a real instruct model (qwen2.5-coder-1.5b) through the whole pipeline, on a few
//! items of `../shared/eval/dev.jsonl`: the answer contains the reference (as `eval --answers`
//! judges it), every citation is verified, an unanswerable question abstains (the model's own
//! call: the question matches the corpus's `Arizona`), an English question gets an English
//! answer, and a claim gets its label; where the model chose to quote, the odds it gave
//! abstaining were measured, and a Korean answer is made of its passages' words. What random
//! weights and scripted backends cannot show. The checks run twice: over the lexical seed
//! retriever, and over the retriever the product serves once the sentence encoder is fetched
//! (the dense stage fused in), so the path users get is the one tested.

use std::path::PathBuf;
use std::sync::Arc;

use factcheck::answer::citations::verify_citation;
use factcheck::answer::matching::answer_matches;
use factcheck::answer::{
    Answerer, AskResponse, CheckResponse, Prompts, Request, Response, Verdict,
};
use factcheck::commands::CorpusArgs;
use factcheck::engine::{EngineConfig, EngineHandle};
use factcheck::retrieval::index::Retriever;
use factcheck::text::has_hangul;

use crate::common::{real, seed_retriever, seeds_dir};

fn answerer() -> Option<Answerer> {
    answerer_over(seed_retriever())
}

fn answerer_over(retriever: Retriever) -> Option<Answerer> {
    let path = real::model("qwen2.5-coder-1.5b")?;
    let engine = EngineHandle::start(path, EngineConfig::default()).expect("engine starts");
    engine.wait_loaded().expect("model loads");
    Some(Answerer::new(
        Arc::new(retriever),
        engine,
        Prompts::builtin(),
    ))
}

/// The retriever `factcheck serve` builds over the seed corpus when the sentence encoder is
/// at hand: the default pipeline with the dense stage (`CorpusArgs::retriever`, the
/// product's own path).
fn served_retriever() -> Option<Retriever> {
    let embedder = real::model("e5-small")?;
    let args = CorpusArgs {
        seeds: seeds_dir(),
        prompts: PathBuf::from("prompts"),
        retrieval: None,
        glossary: None,
        embedder: Some(embedder),
        abstain_bias: None,
    };
    let r = args.retriever().expect("the served retriever builds");
    assert_eq!(r.embedder_name(), Some("e5-small-q4.bin"));
    Some(r)
}

/// The words of `answer` that are not the start of a word of `texts` (digits aside, as the
/// answer line's constraint reads them) nor one of its free words.
fn foreign_words<'a>(answer: &'a str, texts: &[&str]) -> Vec<&'a str> {
    let split = |t: &'a str| {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
    };
    let known: Vec<&str> = texts
        .iter()
        .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
        .map(|w| w.trim_start_matches(|c: char| c.is_ascii_digit()))
        .chain(factcheck::engine::ANSWER_WORDS)
        .collect();
    split(answer)
        .filter(|w| {
            let w = w.trim_start_matches(|c: char| c.is_ascii_digit());
            let w = w
                .strip_suffix(['와', '과'])
                .filter(|s| !s.is_empty())
                .unwrap_or(w);
            !w.is_empty() && !known.iter().any(|k| k.starts_with(w))
        })
        .collect()
}

fn run(a: &Answerer, request: Request) -> Response {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(a.run(&request, 5, &mut |_| {}))
        .expect("answers")
}

/// Asks `question` and notes a problem unless the answer contains `reference`, is cited, and
/// every citation is verified; returns the response for further checks.
fn expect_answer(
    a: &Answerer,
    question: &str,
    reference: &str,
    problems: &mut Vec<String>,
) -> AskResponse {
    let Response::Answer(r) = run(a, Request::question(question)) else {
        unreachable!()
    };
    eprintln!("{question} -> {} {:?}", r.answer, r.debug);
    if r.abstained || !answer_matches(&r.answer, reference) || r.citations.is_empty() {
        problems.push(format!("{question}: {:?} (want {reference})", r.answer));
    }
    for c in &r.citations {
        if verify_citation(a.retriever().corpus(), c).is_err() {
            problems.push(format!("{question}: citation not verified: {c:?}"));
        }
    }
    r
}

/// Notes a problem unless a question the seeds cannot answer abstains.
fn expect_abstention(a: &Answerer, problems: &mut Vec<String>) {
    let Response::Answer(r) = run(a, Request::question("What is the population of Arizona?"))
    else {
        unreachable!()
    };
    eprintln!("unanswerable -> {} {:?}", r.answer, r.debug);
    if !r.abstained {
        problems.push(format!("unanswerable question answered: {:?}", r.answer));
    }
}

/// A claim whose figure the seeds contradict (they give 65억 달러).
const REFUTED_CLAIM: &str = "소프트뱅크는 Ampere Computing을 100억 달러에 인수한다.";

/// Notes a problem unless [`REFUTED_CLAIM`] is refuted with a citation; returns the response
/// for further checks.
fn expect_refuted(a: &Answerer, problems: &mut Vec<String>) -> CheckResponse {
    let Response::Verdict(r) = run(a, Request::claim(REFUTED_CLAIM)) else {
        unreachable!()
    };
    eprintln!("{REFUTED_CLAIM} -> {:?} {:?}", r.verdict, r.debug);
    if r.verdict != Verdict::Refuted || r.citations.is_empty() {
        problems.push(format!("{REFUTED_CLAIM}: {:?}", r.verdict));
    }
    r
}

#[test]
fn a_real_model_answers_cites_abstains_and_judges() {
    let Some(a) = answerer() else { return };
    let mut problems = Vec::new();
    for (question, reference) in [
        (
            "비전 펀드가 AI 단지 입주 기업으로 선별한 독일 로봇 스타트업은?",
            "Agile Robots SE",
        ),
        (
            "트럼프 대통령은 스타게이트로 일자리가 몇 개 생길 것이라고 했나?",
            "10만 개",
        ),
        // The correctness issue's own check: llama.cpp names the state on this prompt.
        (
            "크리스탈 랜드는 미국의 어느 주에 설립될 계획인가?",
            "애리조나",
        ),
        // The asker is not the answer: the quote's `소프트뱅크는 일본의 샤프 ‘사카이 공장’을
        // 인수해` once came out as `일본 소프트뱅크 그룹`.
        (
            "소프트뱅크가 인수해 AI 데이터 센터 거점으로 삼은 일본 공장은?",
            "샤프 사카이 공장",
        ),
    ] {
        let r = expect_answer(&a, question, reference, &mut problems);
        // In the passages' words: no garbled copy, no letters glued on.
        let texts: Vec<&str> = r.passages.iter().map(|p| p.text.as_str()).collect();
        let foreign = foreign_words(&r.answer, &[texts, vec![question]].concat());
        if !foreign.is_empty() {
            problems.push(format!(
                "{question}: {foreign:?} are no words of the passages"
            ));
        }
        // The model chose to quote: its odds of abstaining were measured, and below even.
        let odds = r.debug.as_ref().and_then(|d| d.abstain_odds);
        if !odds.is_some_and(|o| o < 0.0) {
            problems.push(format!("{question}: abstention odds {odds:?}"));
        }
    }
    // An English question gets an English answer: the figure copied from `10만 개` and
    // written the English way, no Korean words.
    let question = "How many jobs did Trump say Stargate would create?";
    let Response::Answer(r) = run(&a, Request::question(question)) else {
        unreachable!()
    };
    eprintln!("{question} -> {} {:?}", r.answer, r.debug);
    if r.abstained || !answer_matches(&r.answer, "100,000") || has_hangul(&r.answer) {
        problems.push(format!(
            "{question}: {:?} (want 100,000, in English)",
            r.answer
        ));
    }
    expect_abstention(&a, &mut problems);
    let r = expect_refuted(&a, &mut problems);
    let claim = REFUTED_CLAIM;
    // How the model weighed the verdicts is shown, as a distribution over the three.
    match r.debug.as_ref().and_then(|d| d.verdict_logprobs) {
        Some(v) => {
            let mass = v.supported.exp() + v.refuted.exp() + v.not_enough_info.exp();
            if (mass - 1.0).abs() > 1e-3 {
                problems.push(format!("{claim}: verdict probabilities sum to {mass}"));
            }
        }
        None => problems.push(format!("{claim}: no verdict log-probabilities")),
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The same checks on the path the product serves: retrieval with the dense stage fused in.
/// Dev items the served path answers (an answer containing the reference, cited and verified),
/// an unanswerable question, a claim refuted by its figures; and the correctness issue's own
/// question, where the encoder ranks a line without the state first: there the answer may
/// abstain, but may not name another place.
#[test]
fn the_served_pipeline_answers_with_the_dense_stage() {
    let Some(retriever) = served_retriever() else {
        return;
    };
    let Some(a) = answerer_over(retriever) else {
        return;
    };
    let mut problems = Vec::new();
    for (question, reference) in [
        (
            "비전 펀드가 AI 단지 입주 기업으로 선별한 독일 로봇 스타트업은?",
            "Agile Robots SE",
        ),
        (
            "소프트뱅크가 사들이기로 한 반도체 설계 업체의 인수 가격은?",
            "65억 달러",
        ),
        (
            "How many jobs did Trump say Stargate would create?",
            "100,000",
        ),
    ] {
        expect_answer(&a, question, reference, &mut problems);
    }
    let question = "크리스탈 랜드는 미국의 어느 주에 설립될 계획인가?";
    let Response::Answer(r) = run(&a, Request::question(question)) else {
        unreachable!()
    };
    eprintln!("{question} -> {} {:?}", r.answer, r.debug);
    if !r.abstained && !answer_matches(&r.answer, "애리조나") {
        problems.push(format!("{question}: a wrong answer {:?}", r.answer));
    }
    expect_abstention(&a, &mut problems);
    expect_refuted(&a, &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
