//! The `batch` command as a user runs it: a run killed midway (SIGKILL to the child process) and
//! resumed yields every id exactly once; bad rows give a non-zero exit; reports are written. Also
//! the corpus-folder error every command shares, as a user meets it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn factcheck() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_factcheck"));
    // No sentence encoder: these tests are about rows and files, and embedding the corpus with
    // whichever encoder the machine has cached would only slow the run they time.
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn")
        .env("FACTCHECK_EMBEDDER", "none");
    cmd
}

fn write_input(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("in.jsonl");
    let rows: String = (0..n)
        .map(|i| match i % 2 {
            0 => format!("{{\"id\":\"q{i}\",\"question\":\"소프트뱅크의 현금 보유액은?\"}}\n"),
            _ => format!("{{\"id\":\"c{i}\",\"claim\":\"회동은 1시간 50분 동안 진행됐다.\"}}\n"),
        })
        .collect();
    std::fs::write(&path, rows).unwrap();
    path
}

fn ids(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn a_killed_run_resumes_and_every_id_appears_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), 40);
    let out = dir.path().join("out.jsonl");
    let mut child = factcheck()
        .args([
            "batch",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--delay-ms",
            "40",
            "--concurrency",
            "1",
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
        if out.exists() && ids(&out).len() >= 5 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let partial = ids(&out).len();
    assert!((5..40).contains(&partial), "killed after {partial} rows");
    let status = factcheck()
        .args([
            "batch",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--concurrency",
            "3",
        ])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let all = ids(&out);
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for id in &all {
        *seen.entry(id).or_default() += 1;
    }
    assert_eq!(all.len(), 40, "{all:?}");
    assert!(seen.values().all(|&n| n == 1));
    let expected: Vec<String> = (0..40)
        .map(|i| {
            if i % 2 == 0 {
                format!("q{i}")
            } else {
                format!("c{i}")
            }
        })
        .collect();
    assert_eq!(all, expected, "input order");
}

#[test]
fn bad_rows_finish_with_error_rows_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\":\"a\",\"question\":\"소프트뱅크의 현금은?\"}\n{oops\n{\"id\":\"b\",\"claim\":\"\"}\n").unwrap();
    let out = dir.path().join("out.jsonl");
    let html = dir.path().join("report.html");
    let output = factcheck()
        .args([
            "batch",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("1 answered, 2 errors"), "{stderr}");
    assert_eq!(ids(&out), vec!["a", "line-2", "b"]);
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("<h1>factcheck batch report</h1>"));
}

#[test]
fn duplicate_ids_fail_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "id,question\nx,a?\nx,b?\n").unwrap();
    let out = dir.path().join("out.jsonl");
    let output = factcheck()
        .args([
            "batch",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("duplicate ids: `x` (lines 1, 2)"));
    assert!(!out.exists());
}

#[test]
fn a_corpus_folder_without_text_files_says_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("보고서.pdf"), b"%PDF-1.7").unwrap();
    std::fs::write(dir.path().join("memo.txt"), " \n").unwrap();
    let output = factcheck()
        .args(["search", "--seeds", dir.path().to_str().unwrap(), "예산"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no usable .txt or .md files")
            && stderr.contains("not text files, so not read: 보고서.pdf")
            && stderr.contains("memo.txt is empty"),
        "{stderr}"
    );
}
