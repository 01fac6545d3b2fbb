//! Batch runs with a fake processor: order, resume, bad rows, CSV = JSONL.

use std::collections::HashSet;
use std::time::Duration;

use factcheck::batch::input::{self, Format};
use factcheck::batch::{open_for_resume, run, BatchOptions, BatchRow, Processor, Progress, Task};
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
            if row.task.text().contains("fail") {
                return Err("the model failed".into());
            }
            let kind = match &row.task {
                Task::Question(_) => "answer",
                Task::Claim(_) => "verdict",
            };
            Ok(json!({ kind: row.task.text().to_uppercase() }))
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
