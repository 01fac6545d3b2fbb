//! Batch runs with a fake processor: order, resume, bad rows, CSV = JSONL.

use std::collections::HashSet;
use std::time::Duration;

use factcheck::answer::Kind;
use factcheck::batch::input::{self, Format};
use factcheck::batch::{open_for_resume, run, BatchOptions, BatchRow, Processor, Progress};
use futures::future::BoxFuture;
use serde_json::{json, Value};

/// Answers with the upper-cased text after a delay that shrinks with the line number, so later
/// rows finish first when run concurrently.
struct Fake;

impl Processor for Fake {
    fn process<'a>(&'a self, row: &'a BatchRow) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(
                30u64.saturating_sub(row.line as u64 * 3),
            ))
            .await;
            if row.request.text.contains("fail") {
                return Err("the model failed".into());
            }
            let kind = match row.request.kind {
                Kind::Question => "answer",
                Kind::Claim => "verdict",
            };
            Ok(json!({ kind: row.request.text.to_uppercase() }))
        })
    }

    fn provenance(&self) -> Value {
        json!({"model": "none", "corpus_sha256": "abc", "prompt_version": "v1"})
    }
}

fn opts(concurrency: usize) -> BatchOptions {
    BatchOptions {
        concurrency,
        delay: Duration::ZERO,
        progress: Progress::Quiet,
    }
}

fn read_rows(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn jsonl(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"id\":\"r{i}\",\"question\":\"q{i}\"}}\n"))
        .collect()
}

async fn run_file(
    input: &str,
    format: Format,
    out: &std::path::Path,
    concurrency: usize,
) -> factcheck::batch::Summary {
    let dir = tempfile::tempdir().unwrap();
    let name = if format == Format::Csv {
        "in.csv"
    } else {
        "in.jsonl"
    };
    let path = dir.path().join(name);
    std::fs::write(&path, input).unwrap();
    let rows = input::load(&path, format).unwrap();
    let (mut sink, done) = open_for_resume(out).unwrap();
    run(
        rows,
        &done,
        &Fake,
        &mut sink,
        &opts(concurrency),
        std::future::pending(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn output_follows_input_order_under_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let summary = run_file(&jsonl(8), Format::Jsonl, &out, 4).await;
    assert_eq!((summary.rows, summary.answered, summary.errors), (8, 8, 0));
    let ids: Vec<String> = read_rows(&out)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, (0..8).map(|i| format!("r{i}")).collect::<Vec<_>>());
    let first = &read_rows(&out)[0];
    assert_eq!(first["response"]["answer"], "Q0");
    assert_eq!(first["provenance"]["prompt_version"], "v1");
    assert_eq!(first["input"]["question"], "q0");
}

#[tokio::test]
async fn resuming_skips_finished_ids_and_repairs_a_torn_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    // An earlier run finished r0 and r1 and was killed while writing r2.
    std::fs::write(
        &out,
        "{\"id\":\"r0\",\"response\":{}}\n{\"id\":\"r1\",\"response\":{}}\n{\"id\":\"r2\",\"resp",
    )
    .unwrap();
    let summary = run_file(&jsonl(5), Format::Jsonl, &out, 2).await;
    assert_eq!((summary.skipped, summary.answered), (2, 3));
    let ids: Vec<String> = read_rows(&out)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec!["r0", "r1", "r2", "r3", "r4"]);
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
}

#[tokio::test]
async fn bad_rows_become_error_rows_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let input = "{\"id\":\"a\",\"question\":\"ok\"}\nnot json\n{\"id\":\"b\",\"claim\":\"please fail\"}\n{\"id\":\"c\",\"claim\":\"\"}\n{\"id\":\"d\",\"claim\":\"fine\"}\n";
    let summary = run_file(input, Format::Jsonl, &out, 2).await;
    assert_eq!((summary.answered, summary.errors), (2, 3));
    let rows = read_rows(&out);
    let codes: Vec<&str> = rows
        .iter()
        .map(|r| r["error"]["code"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(
        codes,
        vec!["-", "invalid_row", "failed", "invalid_row", "-"]
    );
    assert_eq!(rows[1]["id"], "line-2");
    assert!(rows[3]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("`claim` is empty"));
}

#[tokio::test]
async fn csv_and_jsonl_inputs_give_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    let j = "{\"id\":\"1\",\"question\":\"누가 참석했나?\"}\n{\"id\":\"2\",\"claim\":\"회동은 세 시간 걸렸다.\"}\n";
    let c = "id,question,claim\n1,누가 참석했나?,\n2,,회동은 세 시간 걸렸다.\n";
    run_file(j, Format::Jsonl, &a, 2).await;
    run_file(c, Format::Csv, &b, 2).await;
    let strip = |rows: Vec<Value>| -> Vec<Value> {
        rows.into_iter()
            .map(|r| json!([r["id"], r["kind"], r["response"]]))
            .collect()
    };
    assert_eq!(strip(read_rows(&a)), strip(read_rows(&b)));
}

#[test]
fn duplicate_ids_stop_the_run_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.jsonl");
    std::fs::write(
        &path,
        "{\"id\":\"x\",\"question\":\"a\"}\n{\"id\":\"x\",\"question\":\"b\"}\n",
    )
    .unwrap();
    let err = input::load(&path, Format::Jsonl).unwrap_err().to_string();
    assert!(err.contains("duplicate ids: `x` (lines 1, 2)"), "{err}");
}

#[tokio::test]
async fn a_stop_signal_ends_the_run_with_finished_rows_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let path = dir.path().join("in.jsonl");
    std::fs::write(&path, jsonl(50)).unwrap();
    let rows = input::load(&path, Format::Jsonl).unwrap();
    let (mut sink, done) = open_for_resume(&out).unwrap();
    let slow = BatchOptions {
        delay: Duration::from_millis(20),
        ..opts(1)
    };
    let stop = tokio::time::sleep(Duration::from_millis(150));
    let summary = run(rows, &done, &Fake, &mut sink, &slow, stop)
        .await
        .unwrap();
    assert!(summary.interrupted);
    let written = read_rows(&out).len();
    assert!(written > 0 && written < 50, "{written}");
    assert_eq!(written, summary.answered);
}

#[test]
fn gold_scores_match_a_hand_computed_case() {
    use factcheck::eval::batch::score;
    use factcheck::eval::text::batch_text as text;
    use factcheck::eval::EvalItem;
    use factcheck::retrieval::corpus::{Corpus, SourceFile};
    let corpus = Corpus::from_files(vec![SourceFile::from_text(
        "a.txt",
        "알파는 2020년에 설립됐다.\n알파의 매출은 3조 원이다.\n베타는 알파를 인수했다.\n",
    )]);
    let gold: Vec<EvalItem> = [
        r#"{"id":"q1","kind":"qa","lang":"ko","question":"알파 매출?","answerable":true,"need":"any","evidence":[{"source":"a.txt","quote":"매출은 3조 원","line":2}]}"#,
        r#"{"id":"q2","kind":"qa","lang":"ko","question":"감마 인구?","answerable":false,"evidence":[]}"#,
        r#"{"id":"c1","kind":"claim","lang":"ko","claim":"베타가 알파를 인수했다.","label":"supported","evidence":[{"source":"a.txt","quote":"베타는 알파를 인수했다","line":3}]}"#,
        r#"{"id":"c2","kind":"claim","lang":"ko","claim":"알파는 2019년 설립.","label":"refuted","evidence":[{"source":"a.txt","quote":"2020년에 설립됐다","line":1}]}"#,
    ]
    .iter()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    let p = |line: usize, text: &str| json!({"source": "a.txt", "start_line": line, "end_line": line, "text": text});
    let c = |line: usize, quote: &str| json!({"source": "a.txt", "start_line": line, "end_line": line, "quote": quote});
    let rows = vec![
        // q1: evidence passage at rank 2; one valid citation covering it; 10 ms.
        json!({"id": "q1", "elapsed_ms": 10.0, "error": null, "response": {
            "abstained": false,
            "passages": [p(1, "알파는 2020년에 설립됐다."), p(2, "알파의 매출은 3조 원이다.")],
            "citations": [c(2, "알파의 매출은 3조 원이다.")]}}),
        // q2: abstained correctly; 20 ms.
        json!({"id": "q2", "elapsed_ms": 20.0, "error": null, "response": {"abstained": true, "passages": [], "citations": []}}),
        // c1: correct verdict, evidence at rank 1, one valid and one invalid citation; 30 ms.
        json!({"id": "c1", "elapsed_ms": 30.0, "error": null, "response": {
            "verdict": "supported", "passages": [p(3, "베타는 알파를 인수했다.")],
            "citations": [c(3, "베타는 알파를 인수했다."), c(3, "감마는 알파를 인수했다.")]}}),
        // c2: wrong verdict, evidence not retrieved, no citations; 40 ms.
        json!({"id": "c2", "elapsed_ms": 40.0, "error": null, "response": {
            "verdict": "not_enough_info", "passages": [p(2, "알파의 매출은 3조 원이다.")], "citations": []}}),
        // An error row not in the gold file.
        json!({"id": "x", "error": {"code": "invalid_row", "message": "bad"}}),
    ];
    let s = score(&rows, &gold, &corpus);
    assert_eq!((s.rows, s.matched, s.error_rows), (5, 4, 1));
    assert_eq!(s.retrieval.items, 3);
    assert!((s.retrieval.hit_at_1 - 1.0 / 3.0).abs() < 1e-9);
    assert!((s.retrieval.hit_at_3 - 2.0 / 3.0).abs() < 1e-9);
    assert!((s.retrieval.mrr - (0.5 + 1.0) / 3.0).abs() < 1e-9);
    assert_eq!((s.citations_returned, s.citations_valid), (3, 2));
    assert_eq!((s.evidence_items, s.evidence_covered), (3, 2));
    assert_eq!((s.verdict_items, s.verdict_correct), (2, 1));
    assert_eq!(s.confusion["refuted"]["not_enough_info"], 1);
    assert_eq!(
        (
            s.unanswerable,
            s.abstained_on_unanswerable,
            s.abstained_on_answerable
        ),
        (1, 1, 0)
    );
    assert_eq!((s.latency_ms_p50, s.latency_ms_max), (30.0, 40.0));
    assert!(text(&s).contains("citations: 3 returned, 2 valid (66.7%)"));
}
