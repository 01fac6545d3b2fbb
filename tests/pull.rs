//! `factcheck pull` against a tiny hub served from a thread on 127.0.0.1: full downloads with and
//! without checksums, resume with `Range`, errors, and the offline case. No internet needed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use factcheck::pull::{
    find_preset, partial_path, pull, resolve, ProgressStyle, PullError, PullOptions, PullRequest,
    Verification, DEFAULT_PRESET, PRESETS,
};
use sha2::{Digest, Sha256};

const REPO: &str = "test-org/Tiny-GGUF";
const FILE: &str = "tiny-q8_0.gguf";

// ---------------------------------------------------------------------------------------------
// A canned hub

#[derive(Clone)]
struct Served {
    body: Vec<u8>,
    /// Value of `x-linked-etag` on the HEAD answer (the hub's LFS sha256), if any.
    etag: Option<String>,
    /// Close the connection after this many body bytes on the first GET only.
    cut_first_get_after: Option<usize>,
    /// Answer range requests with the whole file (200), like a server without range support.
    ignore_range: bool,
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    range: Option<String>,
    auth: Option<String>,
}

struct Hub {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Hub {
    fn start(files: HashMap<String, Served>) -> Hub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        let files = Arc::new(Mutex::new(files));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let seen = seen2.clone();
                let files = files.clone();
                thread::spawn(move || {
                    let _ = handle(stream, &seen, &files);
                });
            }
        });
        Hub { base, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn handle(
    mut stream: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    files: &Mutex<HashMap<String, Served>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let range = headers.get("range").cloned();
    seen.lock().unwrap().push(Seen {
        method: method.clone(),
        path: path.clone(),
        range: range.clone(),
        auth: headers.get("authorization").cloned(),
    });

    let not_found = |stream: &mut TcpStream| {
        stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nx-error-code: EntryNotFound\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
    };
    if let Some(rest) = path.strip_prefix("/cdn/") {
        let mut files = files.lock().unwrap();
        let Some(served) = files.get_mut(rest) else {
            return not_found(&mut stream);
        };
        let len = served.body.len();
        let start = range
            .as_deref()
            .filter(|_| !served.ignore_range)
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
        let (status, from) = match start {
            Some(s) if s < len => (206, s),
            Some(_) => {
                return stream.write_all(
                    format!("HTTP/1.1 416 Range Not Satisfiable\r\ncontent-range: bytes */{len}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes(),
                )
            }
            None => (200, 0),
        };
        let mut head = if status == 206 {
            format!(
                "HTTP/1.1 206 Partial Content\r\ncontent-range: bytes {from}-{}/{len}\r\n",
                len - 1
            )
        } else {
            "HTTP/1.1 200 OK\r\n".to_string()
        };
        head.push_str(&format!(
            "content-length: {}\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n",
            len - from
        ));
        stream.write_all(head.as_bytes())?;
        let body = &served.body[from..];
        match served.cut_first_get_after.take() {
            Some(cut) => {
                stream.write_all(&body[..cut.min(body.len())])?;
                stream.flush()?;
                // Dropping the stream closes the connection mid-body.
                Ok(())
            }
            None => stream.write_all(body),
        }
    } else if let Some(rest) = path.strip_prefix(&format!("/{REPO}/resolve/main/")) {
        let files = files.lock().unwrap();
        let Some(served) = files.get(rest) else {
            return not_found(&mut stream);
        };
        let mut head = format!(
            "HTTP/1.1 302 Found\r\nlocation: /cdn/{rest}\r\nx-linked-size: {}\r\ncontent-length: 0\r\nconnection: close\r\n",
            served.body.len()
        );
        if let Some(etag) = &served.etag {
            head.push_str(&format!("x-linked-etag: \"{etag}\"\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())
    } else {
        not_found(&mut stream)
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A valid tiny qwen2 GGUF written by candle (about 40 KB).
fn tiny_model() -> Vec<u8> {
    use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
    use candle_core::{Device, Tensor};
    use gguf_file::Value as V;
    let dev = Device::Cpu;
    let q = |shape: &[usize]| {
        let t = Tensor::randn(0f32, 0.02, shape, &dev).unwrap();
        QTensor::quantize(&t, GgmlDType::F32).unwrap()
    };
    let mut tensors = vec![
        ("token_embd.weight".to_string(), q(&[64, 64])),
        ("output_norm.weight".to_string(), q(&[64])),
    ];
    for (name, shape) in [
        ("attn_q.weight", &[64, 64][..]),
        ("attn_k.weight", &[32, 64]),
        ("attn_v.weight", &[32, 64]),
        ("attn_q.bias", &[64]),
        ("attn_k.bias", &[32]),
        ("attn_v.bias", &[32]),
        ("attn_output.weight", &[64, 64]),
        ("attn_norm.weight", &[64]),
        ("ffn_norm.weight", &[64]),
        ("ffn_gate.weight", &[32, 64]),
        ("ffn_up.weight", &[32, 64]),
        ("ffn_down.weight", &[64, 32]),
    ] {
        tensors.push((format!("blk.0.{name}"), q(shape)));
    }
    let metadata = [
        ("general.architecture", V::String("qwen2".into())),
        ("qwen2.context_length", V::U32(256)),
        ("qwen2.block_count", V::U32(1)),
        ("qwen2.embedding_length", V::U32(64)),
        ("qwen2.feed_forward_length", V::U32(32)),
        ("qwen2.attention.head_count", V::U32(4)),
        ("qwen2.attention.head_count_kv", V::U32(2)),
        ("qwen2.attention.layer_norm_rms_epsilon", V::F32(1e-6)),
    ];
    let md: Vec<(&str, &V)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &md, &ts).unwrap();
    out.into_inner()
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn served(body: &[u8], etag: bool) -> Served {
    Served {
        body: body.to_vec(),
        etag: etag.then(|| sha(body)),
        cut_first_get_after: None,
        ignore_range: false,
    }
}

fn hub_with(served: Served) -> Hub {
    Hub::start(HashMap::from([(FILE.to_string(), served)]))
}

fn request() -> PullRequest {
    PullRequest {
        repo: REPO.into(),
        file: FILE.into(),
        revision: "main".into(),
        sha256: None,
    }
}

fn options(dir: &Path, endpoint: &str) -> PullOptions {
    PullOptions {
        endpoint: endpoint.into(),
        progress: ProgressStyle::Quiet,
        connect_timeout: Duration::from_secs(5),
        ..PullOptions::new(dir)
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => vec![],
    }
}

// ---------------------------------------------------------------------------------------------
// Downloads

#[test]
fn full_download_verified_against_hub_checksum() {
    let model = tiny_model();
    let hub = hub_with(Served {
        body: model.clone(),
        etag: Some(sha(&model)),
        cut_first_get_after: None,
        ignore_range: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let out = pull(&request(), &options(dir.path(), &hub.base)).unwrap();
    assert_eq!(out.path, dir.path().join(FILE));
    assert_eq!(std::fs::read(&out.path).unwrap(), model);
    assert_eq!(out.bytes, model.len() as u64);
    assert_eq!(out.resumed_from, 0);
    assert!(!out.already_present);
    assert!(
        matches!(&out.verification, Some(Verification::Verified { sha256, .. }) if *sha256 == sha(&model))
    );
    assert_eq!(out.summary.architecture, "qwen2");
    assert_eq!(names_in(dir.path()), vec![FILE.to_string()]);
    let seen = hub.seen();
    assert_eq!(seen[0].method, "HEAD");
    assert!(seen
        .iter()
        .any(|s| s.method == "GET" && s.path == format!("/cdn/{FILE}")));
    assert!(seen.iter().all(|s| s.range.is_none()));

    // A second pull finds the file in place.
    let again = pull(&request(), &options(dir.path(), &hub.base)).unwrap();
    assert!(again.already_present);
}

#[test]
fn preset_checksum_used_when_hub_has_none() {
    let model = tiny_model();
    let hub = hub_with(Served {
        body: model.clone(),
        etag: None,
        cut_first_get_after: None,
        ignore_range: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let mut req = request();
    req.sha256 = Some(sha(&model).to_uppercase());
    let out = pull(&req, &options(dir.path(), &hub.base)).unwrap();
    assert!(
        matches!(&out.verification, Some(Verification::Verified { source, .. }) if source.contains("preset"))
    );
}

#[test]
fn unknown_checksum_is_reported_as_unverified() {
    let model = tiny_model();
    let hub = hub_with(Served {
        body: model.clone(),
        etag: None,
        cut_first_get_after: None,
        ignore_range: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let out = pull(&request(), &options(dir.path(), &hub.base)).unwrap();
    assert!(
        matches!(&out.verification, Some(Verification::Unverified { sha256, reason }) if *sha256 == sha(&model) && reason.contains("sha256"))
    );
}

#[test]
fn checksum_mismatch_leaves_no_file() {
    let model = tiny_model();
    let hub = hub_with(Served {
        body: model,
        etag: Some("ab".repeat(32)),
        cut_first_get_after: None,
        ignore_range: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let err = pull(&request(), &options(dir.path(), &hub.base)).unwrap_err();
    assert!(matches!(err, PullError::ChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains(&"ab".repeat(32)), "{err}");
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
}

#[test]
fn resumes_from_partial_file_with_range_request() {
    let model = tiny_model();
    let hub = hub_with(Served {
        body: model.clone(),
        etag: Some(sha(&model)),
        cut_first_get_after: None,
        ignore_range: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let final_path = dir.path().join(FILE);
    std::fs::write(partial_path(&final_path), &model[..1000]).unwrap();
    let out = pull(&request(), &options(dir.path(), &hub.base)).unwrap();
    assert_eq!(out.resumed_from, 1000);
    assert_eq!(std::fs::read(&final_path).unwrap(), model);
    assert!(matches!(
        out.verification,
        Some(Verification::Verified { .. })
    ));
    let seen = hub.seen();
    assert!(
        seen.iter()
            .any(|s| s.path.starts_with("/cdn/") && s.range.as_deref() == Some("bytes=1000-")),
        "{seen:?}"
    );
    assert!(!partial_path(&final_path).exists());
}

#[test]
fn interrupted_download_keeps_partial_and_next_pull_resumes() {
    let model = tiny_model();
    let hub = hub_with(Served {
        body: model.clone(),
        etag: Some(sha(&model)),
        cut_first_get_after: Some(5000),
        ignore_range: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let final_path = dir.path().join(FILE);
    let err = pull(&request(), &options(dir.path(), &hub.base)).unwrap_err();
    match &err {
        PullError::Interrupted { kept_bytes, .. } => assert_eq!(*kept_bytes, 5000),
        other => panic!("expected Interrupted, got {other}"),
    }
    assert!(err.to_string().contains("resumes"), "{err}");
    assert_eq!(
        std::fs::read(partial_path(&final_path)).unwrap().len(),
        5000
    );
    assert!(!final_path.exists());

    let out = pull(&request(), &options(dir.path(), &hub.base)).unwrap();
    assert_eq!(out.resumed_from, 5000);
    assert_eq!(std::fs::read(&final_path).unwrap(), model);
}

#[test]
fn not_found_names_repo_and_file_and_leaves_nothing() {
    let hub = Hub::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let err = pull(&request(), &options(&models, &hub.base)).unwrap_err();
    assert!(matches!(err, PullError::Http { status: 404, .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(REPO) && text.contains(FILE) && text.contains("404"),
        "{text}"
    );
    assert!(names_in(&models).is_empty());
}

#[test]
fn token_is_sent_as_bearer() {
    let model = tiny_model();
    let hub = hub_with(Served {
        body: model.clone(),
        etag: Some(sha(&model)),
        cut_first_get_after: None,
        ignore_range: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &hub.base);
    opts.token = Some("hf_secret".into());
    pull(&request(), &opts).unwrap();
    let seen = hub.seen();
    assert_eq!(seen[0].auth.as_deref(), Some("Bearer hf_secret"));
}

#[test]
fn downloaded_file_that_is_not_a_model_is_reported() {
    let body = b"this is not a gguf file".repeat(10);
    let hub = hub_with(Served {
        body: body.clone(),
        etag: Some(sha(&body)),
        cut_first_get_after: None,
        ignore_range: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let err = pull(&request(), &options(dir.path(), &hub.base)).unwrap_err();
    assert!(matches!(err, PullError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("GGUF"), "{err}");
}

#[test]
fn unreachable_endpoint_fails_at_once_without_partial() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let started = Instant::now();
    let err = pull(&request(), &options(&models, "http://127.0.0.1:1")).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, PullError::Offline { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("offline"), "{text}");
    assert!(
        text.contains(&format!("http://127.0.0.1:1/{REPO}/resolve/main/{FILE}")),
        "{text}"
    );
    assert!(text.contains("models"), "{text}");
    assert!(!partial_path(&models.join(FILE)).exists());
    assert!(names_in(&models).is_empty());
}

#[test]
fn server_without_range_support_restarts_from_zero() {
    let model = tiny_model();
    let hub = hub_with(Served {
        ignore_range: true,
        ..served(&model, true)
    });
    let dir = tempfile::tempdir().unwrap();
    let final_path = dir.path().join(FILE);
    std::fs::write(partial_path(&final_path), &model[..1000]).unwrap();
    let out = pull(&request(), &options(dir.path(), &hub.base)).unwrap();
    assert_eq!(out.resumed_from, 0);
    assert_eq!(std::fs::read(&final_path).unwrap(), model);
}

#[test]
fn corrupt_partial_file_fails_the_checksum_then_next_pull_succeeds() {
    let model = tiny_model();
    let hub = hub_with(served(&model, true));
    let dir = tempfile::tempdir().unwrap();
    let final_path = dir.path().join(FILE);
    std::fs::write(partial_path(&final_path), vec![0xAA; 1000]).unwrap();
    let err = pull(&request(), &options(dir.path(), &hub.base)).unwrap_err();
    assert!(matches!(err, PullError::ChecksumMismatch { .. }), "{err}");
    assert!(names_in(dir.path()).is_empty());
    let out = pull(&request(), &options(dir.path(), &hub.base)).unwrap();
    assert_eq!(out.resumed_from, 0);
    assert_eq!(std::fs::read(&final_path).unwrap(), model);
}

#[test]
fn partial_longer_than_the_file_is_discarded() {
    let model = tiny_model();
    let hub = hub_with(served(&model, true));
    let dir = tempfile::tempdir().unwrap();
    let final_path = dir.path().join(FILE);
    std::fs::write(partial_path(&final_path), vec![0u8; model.len() + 10]).unwrap();
    let out = pull(&request(), &options(dir.path(), &hub.base)).unwrap();
    assert_eq!(out.resumed_from, 0);
    assert_eq!(std::fs::read(&final_path).unwrap(), model);
}

#[test]
fn complete_partial_is_verified_without_downloading_again() {
    let model = tiny_model();
    let hub = hub_with(served(&model, true));
    let dir = tempfile::tempdir().unwrap();
    let final_path = dir.path().join(FILE);
    std::fs::write(partial_path(&final_path), &model).unwrap();
    let out = pull(&request(), &options(dir.path(), &hub.base)).unwrap();
    assert_eq!(out.resumed_from, model.len() as u64);
    assert!(matches!(
        out.verification,
        Some(Verification::Verified { .. })
    ));
    assert!(
        hub.seen().iter().all(|s| s.method == "HEAD"),
        "{:?}",
        hub.seen()
    );
}

#[test]
fn existing_broken_file_is_reported_not_overwritten() {
    let hub = Hub::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE), b"GGUF\x03\x00\x00\x00").unwrap();
    let err = pull(&request(), &options(dir.path(), &hub.base)).unwrap_err();
    assert!(matches!(err, PullError::ExistingInvalid { .. }), "{err}");
    assert!(err.to_string().contains("delete it"), "{err}");
}

#[test]
fn command_line_uses_hf_endpoint_and_models_dir() {
    let model = tiny_model();
    let hub = hub_with(served(&model, true));
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("m");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factcheck"))
        .args(["pull", REPO, FILE])
        .env("HF_ENDPOINT", &hub.base)
        .env("FACTCHECK_MODELS_DIR", &models)
        .env_remove("HF_TOKEN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("verified"), "{stdout}");
    assert_eq!(std::fs::read(models.join(FILE)).unwrap(), model);

    let list = std::process::Command::new(env!("CARGO_BIN_EXE_factcheck"))
        .args(["pull", "--list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    for p in PRESETS {
        assert!(text.contains(p.name) && text.contains(p.repo), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Presets and arguments

#[test]
fn preset_resolution() {
    let default = resolve(&[], "main").unwrap();
    let p = find_preset(DEFAULT_PRESET).unwrap();
    assert_eq!(default.repo, p.repo);
    assert_eq!(default.file, p.file);
    assert_eq!(DEFAULT_PRESET, "qwen2.5-1.5b");
    assert_eq!(p.repo, "Qwen/Qwen2.5-1.5B-Instruct-GGUF");
    assert_eq!(p.file, "qwen2.5-1.5b-instruct-q4_k_m.gguf");

    let fast = resolve(&["qwen3-0.6b".into()], "main").unwrap();
    assert_eq!(fast.repo, "Qwen/Qwen3-0.6B-GGUF");
    assert!(fast.file.ends_with(".gguf"));

    let explicit = resolve(&["someone/Model-GGUF".into(), "m-q4_k_m.gguf".into()], "v1").unwrap();
    assert_eq!(explicit.repo, "someone/Model-GGUF");
    assert_eq!(explicit.revision, "v1");
    assert_eq!(explicit.local_name(), "m-q4_k_m.gguf");

    let nested = resolve(&["a/b".into(), "sub/dir/x.gguf".into()], "main").unwrap();
    assert_eq!(nested.local_name(), "x.gguf");

    for p in PRESETS {
        resolve(&[p.name.to_string()], "main").unwrap();
    }
}

#[test]
fn unknown_preset_lists_the_presets() {
    let err = resolve(&["llama-70b".into()], "main").unwrap_err();
    assert!(matches!(err, PullError::UnknownPreset { .. }));
    let text = err.to_string();
    assert!(text.contains("llama-70b"), "{text}");
    for p in PRESETS {
        assert!(text.contains(p.name), "{text}");
    }
}

#[test]
fn unsafe_names_are_refused() {
    for (repo, file) in [
        ("a/b", "../escape.gguf"),
        ("a/b", "/abs.gguf"),
        ("a/b", "notes.txt"),
        ("a", "x.gguf"),
        ("a/b/c", "x.gguf"),
        ("a/b", "x y.gguf"),
    ] {
        let err = resolve(&[repo.into(), file.into()], "main").unwrap_err();
        assert!(
            matches!(err, PullError::BadArguments(_)),
            "{repo} {file}: {err}"
        );
    }
    assert!(resolve(&["a/b".into(), "x.gguf".into()], "../main").is_err());
    assert!(resolve(&["a".into(), "b".into(), "c".into()], "main").is_err());
}
