//! Downloading GGUF models from the Hugging Face hub into `models/` (`factcheck pull`).
//!
//! A download goes to `FILE.partial` next to its final place and is resumed with an HTTP `Range`
//! request when that file already exists. The expected sha256 comes from the preset when we know
//! it, otherwise from the hub itself: a `HEAD` on the `resolve` URL (without following the redirect
//! to the CDN) carries the LFS object's sha256 in `x-linked-etag`. When the whole file is there its
//! checksum is verified (or we say plainly that it could not be), `.partial` is renamed to the
//! final name in one atomic step, and the file goes through [`validate_file`] before anyone loads
//! it. Network failures before the first byte leave nothing behind and say how to download the
//! file by hand; an interrupted download keeps its bytes for the next attempt.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::gguf_check::{validate_file, GgufError, GgufSummary};

/// The hub used when `HF_ENDPOINT` is not set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// The preset `factcheck pull` downloads when given no argument.
pub const DEFAULT_PRESET: &str = "qwen2.5-1.5b";
/// How long to wait for DNS and for a TCP/TLS connection before calling the hub unreachable.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A named, known-good model download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Name given on the command line.
    pub name: &'static str,
    /// Hub repository (`owner/name`).
    pub repo: &'static str,
    /// File inside the repository.
    pub file: &'static str,
    /// Known sha256 of the file; `None` when we have not recorded one (the hub's is used then).
    pub sha256: Option<&'static str>,
    /// One line for `--list`.
    pub description: &'static str,
}

/// Small instruct models that handle Korean, from the Qwen team's own GGUF repositories.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "qwen2.5-1.5b",
        repo: "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
        file: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        sha256: None,
        description: "Qwen2.5 1.5B Instruct, Q4_K_M (~1.1 GB) - the default: best answers",
    },
    Preset {
        name: "qwen3-0.6b",
        repo: "Qwen/Qwen3-0.6B-GGUF",
        file: "Qwen3-0.6B-Q8_0.gguf",
        sha256: None,
        description: "Qwen3 0.6B, Q8_0 (~640 MB) - the fast one",
    },
    Preset {
        name: "qwen2.5-0.5b",
        repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
        file: "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        sha256: None,
        description: "Qwen2.5 0.5B Instruct, Q4_K_M (~490 MB) - smallest",
    },
];

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// A preset name we do not know.
    #[error("unknown preset \"{name}\"; known presets: {}", preset_names())]
    UnknownPreset { name: String },
    /// Arguments that do not form `PRESET` or `REPO FILE`.
    #[error("{0}")]
    BadArguments(String),
    /// The hub could not be reached at all (DNS, refused connection, timeout).
    #[error(
        "cannot reach {} ({detail}): you appear to be offline. Download the file by hand from \
         {url} and put it in {}/{}",
        host_of(url),
        models_dir.display(),
        kept_note(*.kept_bytes, partial)
    )]
    Offline {
        detail: String,
        url: String,
        models_dir: PathBuf,
        /// Bytes already in the `.partial` file (kept for resuming), 0 if none.
        kept_bytes: u64,
        partial: PathBuf,
    },
    /// The hub answered with an error status.
    #[error("{url}: the hub answered {status} {} for {repo} / {file}{}", status_reason(*.status), status_hint(*.status))]
    Http {
        repo: String,
        file: String,
        url: String,
        status: u16,
    },
    /// The connection broke after some bytes arrived; they are kept for resuming.
    #[error(
        "download of {url} was interrupted ({detail}){}",
        kept_note(*.kept_bytes, partial)
    )]
    Interrupted {
        url: String,
        detail: String,
        kept_bytes: u64,
        partial: PathBuf,
    },
    /// The server sent something we cannot use (bad range, wrong size).
    #[error("{url}: {reason}")]
    Protocol { url: String, reason: String },
    /// The finished download does not have the expected sha256; it was deleted.
    #[error(
        "checksum mismatch for {file}: expected sha256 {expected}, got {actual} ({source_of_expected}); \
         the download was deleted, run the command again to retry"
    )]
    ChecksumMismatch {
        file: String,
        expected: String,
        actual: String,
        source_of_expected: String,
    },
    /// A local file operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is already in the models folder but is not a model the engine can load.
    #[error(
        "{} already exists but is not a usable model: {source}; delete it and run the command again",
        path.display()
    )]
    ExistingInvalid {
        path: PathBuf,
        #[source]
        source: GgufError,
    },
    /// The file arrived intact but is not a model the engine can load.
    #[error("downloaded {} but it failed validation: {source}", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: GgufError,
    },
}

fn preset_names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `https://host:port/path` → `host:port`.
fn host_of(url: &str) -> &str {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.split('/').next().unwrap_or(rest)
}

fn kept_note(kept: u64, partial: &Path) -> String {
    if kept == 0 {
        String::new()
    } else {
        format!(
            "; the {kept} bytes already downloaded are kept in {} and the next `factcheck pull` \
             resumes from there",
            partial.display()
        )
    }
}

fn status_reason(status: u16) -> &'static str {
    match status {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500..=599 => "(server error)",
        _ => "",
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => ": the repository may be gated or private; set HF_TOKEN to an access token",
        404 => ": check the repository and file names (and --revision)",
        429 | 500..=599 => ": try again later",
        _ => "",
    }
}

/// What to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// Hub repository, `owner/name`.
    pub repo: String,
    /// Path of the file inside the repository.
    pub file: String,
    /// Branch, tag or commit.
    pub revision: String,
    /// Known sha256 (lower-case hex), from a preset.
    pub sha256: Option<String>,
}

impl PullRequest {
    /// The request for a preset.
    pub fn from_preset(p: &Preset, revision: &str) -> Self {
        PullRequest {
            repo: p.repo.into(),
            file: p.file.into(),
            revision: revision.into(),
            sha256: p.sha256.map(str::to_owned),
        }
    }

    /// The name the file gets in the models folder: the last component of `file`.
    pub fn local_name(&self) -> &str {
        self.file.rsplit('/').next().unwrap_or(&self.file)
    }
}

/// Finds a preset by name.
pub fn find_preset(name: &str) -> Result<&'static Preset, PullError> {
    PRESETS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| PullError::UnknownPreset { name: name.into() })
}

/// Turns the command-line words into a request: nothing (the default preset), `PRESET`, or
/// `REPO FILE`.
pub fn resolve(args: &[String], revision: &str) -> Result<PullRequest, PullError> {
    let req = match args {
        [] => PullRequest::from_preset(find_preset(DEFAULT_PRESET)?, revision),
        [name] => PullRequest::from_preset(find_preset(name)?, revision),
        [repo, file] => PullRequest {
            repo: repo.clone(),
            file: file.clone(),
            revision: revision.into(),
            sha256: None,
        },
        _ => {
            return Err(PullError::BadArguments(
                "expected PRESET or REPO FILE (e.g. `factcheck pull qwen3-0.6b` or \
                 `factcheck pull Qwen/Qwen3-0.6B-GGUF Qwen3-0.6B-Q8_0.gguf`)"
                    .into(),
            ))
        }
    };
    check_request(&req)?;
    Ok(req)
}

fn check_request(req: &PullRequest) -> Result<(), PullError> {
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && s != "."
            && s != ".."
    };
    let repo_ok =
        matches!(req.repo.split('/').collect::<Vec<_>>().as_slice(), [o, n] if safe(o) && safe(n));
    if !repo_ok {
        return Err(PullError::BadArguments(format!(
            "repository \"{}\" should look like owner/name",
            req.repo
        )));
    }
    if !req.file.split('/').all(safe) {
        return Err(PullError::BadArguments(format!(
            "file \"{}\" should be a plain path inside the repository (letters, digits, - _ . /)",
            req.file
        )));
    }
    if !req.file.to_ascii_lowercase().ends_with(".gguf") {
        return Err(PullError::BadArguments(format!(
            "file \"{}\" is not a .gguf file",
            req.file
        )));
    }
    if !req.revision.split('/').all(safe) {
        return Err(PullError::BadArguments(format!(
            "revision \"{}\" is not a valid branch, tag or commit",
            req.revision
        )));
    }
    if let Some(sum) = &req.sha256 {
        if parse_sha256(sum).is_none() {
            return Err(PullError::BadArguments(format!(
                "\"{sum}\" is not a sha256 (64 hex digits)"
            )));
        }
    }
    Ok(())
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressStyle {
    /// A progress bar when stderr is a terminal, periodic lines otherwise.
    Auto,
    /// Periodic plain lines on stderr.
    Lines,
    /// Nothing.
    Quiet,
}

/// Where and how to download.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Folder the model goes into (created if missing).
    pub models_dir: PathBuf,
    /// Hub base URL (`HF_ENDPOINT`), without a trailing slash.
    pub endpoint: String,
    /// Bearer token (`HF_TOKEN`).
    pub token: Option<String>,
    /// Connect (and DNS) timeout.
    pub connect_timeout: Duration,
    /// Progress display.
    pub progress: ProgressStyle,
}

impl PullOptions {
    /// Options for `models_dir` with the public hub and no token.
    pub fn new(models_dir: impl Into<PathBuf>) -> Self {
        PullOptions {
            models_dir: models_dir.into(),
            endpoint: DEFAULT_ENDPOINT.into(),
            token: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            progress: ProgressStyle::Auto,
        }
    }
}

/// Whether the checksum was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The sha256 matched the one from `source` (the preset or the hub).
    Verified { sha256: String, source: String },
    /// No sha256 was known; `reason` says why.
    Unverified { sha256: String, reason: String },
}

/// A finished pull.
#[derive(Debug, Clone)]
pub struct PullOutcome {
    /// The model file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Bytes that were already there from an earlier, interrupted attempt.
    pub resumed_from: u64,
    /// True when the file was already in place and nothing was downloaded.
    pub already_present: bool,
    /// Checksum status (`None` when the file was already present).
    pub verification: Option<Verification>,
    /// The validated model summary.
    pub summary: GgufSummary,
}

/// The `resolve` URL of a file on the hub.
pub fn file_url(endpoint: &str, req: &PullRequest) -> String {
    format!(
        "{}/{}/resolve/{}/{}",
        endpoint.trim_end_matches('/'),
        req.repo,
        req.revision,
        req.file
    )
}

/// The `.partial` path for a final path.
pub fn partial_path(final_path: &Path) -> PathBuf {
    let mut name = final_path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    final_path.with_file_name(name)
}

/// Downloads (or resumes) `req` into `opts.models_dir`, verifies and validates it.
pub fn pull(req: &PullRequest, opts: &PullOptions) -> Result<PullOutcome, PullError> {
    check_request(req)?;
    let final_path = opts.models_dir.join(req.local_name());
    if final_path.exists() {
        let summary = validate_file(&final_path).map_err(|source| PullError::ExistingInvalid {
            path: final_path.clone(),
            source,
        })?;
        let bytes = file_len(&final_path)?;
        return Ok(PullOutcome {
            path: final_path,
            bytes,
            resumed_from: 0,
            already_present: true,
            verification: None,
            summary,
        });
    }
    let partial = partial_path(&final_path);
    let url = file_url(&opts.endpoint, req);
    let client = Client::new(opts, req, &url, &partial);

    let info = client.head()?;
    fs::create_dir_all(&opts.models_dir).map_err(|source| PullError::Io {
        action: "cannot create",
        path: opts.models_dir.clone(),
        source,
    })?;
    let (expected, expected_source) = match (&req.sha256, &info.sha256) {
        (Some(s), _) => (
            Some(s.to_ascii_lowercase()),
            "sha256 from the preset or --sha256",
        ),
        (None, Some(s)) => (Some(s.clone()), "sha256 published by the hub"),
        (None, None) => (None, ""),
    };

    let (resumed_from, actual, total) = client.download(info.size)?;

    let verification = match expected {
        Some(expected) if expected != actual => {
            let _ = fs::remove_file(&partial);
            return Err(PullError::ChecksumMismatch {
                file: req.file.clone(),
                expected,
                actual,
                source_of_expected: expected_source.into(),
            });
        }
        Some(expected) => Verification::Verified {
            sha256: expected,
            source: expected_source.into(),
        },
        None => Verification::Unverified {
            sha256: actual,
            reason: "the hub did not publish a sha256 for this file and the preset has none".into(),
        },
    };
    fs::rename(&partial, &final_path).map_err(|source| PullError::Io {
        action: "cannot rename the finished download to",
        path: final_path.clone(),
        source,
    })?;
    let summary = validate_file(&final_path).map_err(|source| PullError::Invalid {
        path: final_path.clone(),
        source,
    })?;
    Ok(PullOutcome {
        path: final_path,
        bytes: total,
        resumed_from,
        already_present: false,
        verification: Some(verification),
        summary,
    })
}

fn file_len(path: &Path) -> Result<u64, PullError> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| PullError::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        })
}

/// `"abc…"`, `W/"abc…"` or `abc…` → lower-case 64-digit hex, if it is one.
fn parse_sha256(etag: &str) -> Option<String> {
    let t = etag.trim().trim_start_matches("W/").trim_matches('"');
    (t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_ascii_lowercase())
}

/// What the HEAD request told us.
struct RemoteInfo {
    sha256: Option<String>,
    size: Option<u64>,
}

/// One download: the agent plus everything error messages need.
struct Client<'a> {
    agent: ureq::Agent,
    opts: &'a PullOptions,
    req: &'a PullRequest,
    url: &'a str,
    partial: &'a Path,
}

impl<'a> Client<'a> {
    fn new(opts: &'a PullOptions, req: &'a PullRequest, url: &'a str, partial: &'a Path) -> Self {
        let mut config = ureq::Agent::config_builder();
        // A mirror on this machine is reached directly, whatever HTTP(S)_PROXY says.
        let host = host_of(url);
        if host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]") {
            config = config.proxy(None);
        }
        let agent = config
            .timeout_resolve(Some(opts.connect_timeout))
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .user_agent(concat!("factcheck/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Client {
            agent,
            opts,
            req,
            url,
            partial,
        }
    }

    fn with_auth<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.opts.token {
            Some(t) if !t.is_empty() => r.header("Authorization", format!("Bearer {t}")),
            _ => r,
        }
    }

    fn network_error(&self, e: ureq::Error, kept_bytes: u64) -> PullError {
        let detail = e.to_string();
        let offline = matches!(
            e,
            ureq::Error::Io(_)
                | ureq::Error::HostNotFound
                | ureq::Error::ConnectionFailed
                | ureq::Error::Timeout(_)
        );
        if offline {
            PullError::Offline {
                detail,
                url: self.url.to_string(),
                models_dir: self.opts.models_dir.clone(),
                kept_bytes,
                partial: self.partial.to_path_buf(),
            }
        } else {
            PullError::Protocol {
                url: self.url.to_string(),
                reason: detail,
            }
        }
    }

    fn status_error(&self, status: u16) -> PullError {
        PullError::Http {
            repo: self.req.repo.clone(),
            file: self.req.file.clone(),
            url: self.url.to_string(),
            status,
        }
    }

    fn kept(&self) -> u64 {
        fs::metadata(self.partial).map(|m| m.len()).unwrap_or(0)
    }

    /// HEAD without following the redirect: the hub puts the LFS sha256 and size on the 302.
    fn head(&self) -> Result<RemoteInfo, PullError> {
        let request = self
            .with_auth(self.agent.head(self.url))
            .config()
            .max_redirects(0)
            .build();
        let resp = request
            .call()
            .map_err(|e| self.network_error(e, self.kept()))?;
        let status = resp.status().as_u16();
        if !(200..400).contains(&status) {
            return Err(self.status_error(status));
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let sha256 = header("x-linked-etag")
            .as_deref()
            .and_then(parse_sha256)
            .or_else(|| header("etag").as_deref().and_then(parse_sha256));
        let size = header("x-linked-size")
            .and_then(|s| s.trim().parse().ok())
            .or_else(|| {
                if status == 200 {
                    header("content-length").and_then(|s| s.trim().parse().ok())
                } else {
                    None
                }
            });
        Ok(RemoteInfo { sha256, size })
    }

    /// Downloads into the partial file, resuming when it exists. Returns (bytes already present,
    /// sha256 of the whole file, total size).
    fn download(&self, expected_size: Option<u64>) -> Result<(u64, String, u64), PullError> {
        let mut have = self.kept();
        if let Some(size) = expected_size {
            if have > size {
                // Not a prefix of this file: start again.
                remove(self.partial)?;
                have = 0;
            }
        }
        // ureq has no idle timeout, so a stalled connection is bounded by a generous total budget
        // (10 minutes plus 20 s per MB still to fetch, i.e. down to ~50 KB/s); the bytes received
        // so far are kept and the next pull resumes.
        let left = expected_size.map_or(4 << 30, |s| s.saturating_sub(have));
        let body_budget = Duration::from_secs(600 + left / 50_000);
        let mut request = self
            .with_auth(self.agent.get(self.url))
            .config()
            .timeout_recv_body(Some(body_budget))
            .build();
        let complete_already = expected_size.is_some_and(|s| have == s && s > 0);
        if have > 0 && !complete_already {
            request = request.header("Range", format!("bytes={have}-"));
        }
        let mut hasher = Sha256::new();
        if complete_already {
            hash_file(self.partial, &mut hasher, have)?;
            return Ok((have, hex(&hasher.finalize()), have));
        }
        let resp = request.call().map_err(|e| self.network_error(e, have))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (append, body_len) = match status {
            206 if have > 0 => {
                let start = header("content-range").and_then(|r| parse_content_range_start(&r));
                if start != Some(have) {
                    return Err(PullError::Protocol {
                        url: self.url.into(),
                        reason: format!(
                            "asked for bytes from {have} but the server sent content-range {:?}",
                            header("content-range")
                        ),
                    });
                }
                (true, header("content-length").and_then(|s| s.parse().ok()))
            }
            200 => (
                false,
                header("content-length").and_then(|s| s.parse::<u64>().ok()),
            ),
            416 if have > 0 => {
                // The partial file may not belong to this revision: drop it, next run starts over.
                remove(self.partial)?;
                return Err(PullError::Protocol {
                    url: self.url.into(),
                    reason: "the server refused to resume the partial download (416); it was \
                             deleted, run the command again to download from the start"
                        .into(),
                });
            }
            s => return Err(self.status_error(s)),
        };
        let resumed_from = if append { have } else { 0 };
        let total = body_len.map(|n| n + resumed_from).or(expected_size);
        if let (Some(t), Some(e)) = (total, expected_size) {
            if t != e {
                return Err(PullError::Protocol {
                    url: self.url.into(),
                    reason: format!("the server announced {t} bytes but the hub listed {e}"),
                });
            }
        }
        if append {
            hash_file(self.partial, &mut hasher, have)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(self.partial)
            .map_err(|source| PullError::Io {
                action: "cannot write",
                path: self.partial.to_path_buf(),
                source,
            })?;
        let mut progress = Progress::new(
            self.opts.progress,
            total,
            resumed_from,
            self.req.local_name(),
        );
        let mut reader = resp.into_body().into_reader();
        let mut buf = vec![0u8; 256 * 1024];
        let mut done = resumed_from;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    progress.finish();
                    drop(file);
                    return Err(self.interrupted(e.to_string(), done));
                }
            };
            file.write_all(&buf[..n]).map_err(|source| PullError::Io {
                action: "cannot write",
                path: self.partial.to_path_buf(),
                source,
            })?;
            hasher.update(&buf[..n]);
            done += n as u64;
            progress.update(done);
        }
        progress.finish();
        file.sync_all().map_err(|source| PullError::Io {
            action: "cannot write",
            path: self.partial.to_path_buf(),
            source,
        })?;
        drop(file);
        if let Some(t) = total {
            if done != t {
                return Err(self.interrupted(format!("got {done} of {t} bytes"), done));
            }
        }
        if done == 0 {
            let _ = fs::remove_file(self.partial);
            return Err(PullError::Protocol {
                url: self.url.into(),
                reason: "the server sent an empty file".into(),
            });
        }
        Ok((resumed_from, hex(&hasher.finalize()), done))
    }

    fn interrupted(&self, detail: String, kept_bytes: u64) -> PullError {
        if kept_bytes == 0 {
            let _ = fs::remove_file(self.partial);
        }
        let e = PullError::Interrupted {
            url: self.url.into(),
            detail,
            kept_bytes,
            partial: self.partial.to_path_buf(),
        };
        if kept_bytes == 0 {
            // Nothing arrived: that is an unreachable hub, not a resumable download.
            if let PullError::Interrupted { detail, .. } = e {
                return PullError::Offline {
                    detail,
                    url: self.url.into(),
                    models_dir: self.opts.models_dir.clone(),
                    kept_bytes: 0,
                    partial: self.partial.to_path_buf(),
                };
            }
        }
        e
    }
}

fn remove(path: &Path) -> Result<(), PullError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(PullError::Io {
            action: "cannot remove",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Feeds the first `len` bytes of `path` into `hasher`.
fn hash_file(path: &Path, hasher: &mut Sha256, len: u64) -> Result<(), PullError> {
    let io_err = |source| PullError::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let mut reader = file.take(len);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(io_err)?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
    }
}

/// `bytes START-END/TOTAL` → START.
fn parse_content_range_start(v: &str) -> Option<u64> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    rest.split('-').next()?.trim().parse().ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A progress display: an indicatif bar on a terminal, a line every few seconds otherwise.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines {
        name: String,
        total: Option<u64>,
        last: Instant,
        done: u64,
    },
    Quiet,
}

impl Progress {
    fn new(style: ProgressStyle, total: Option<u64>, start: u64, name: &str) -> Self {
        let terminal = io::stderr().is_terminal();
        match style {
            ProgressStyle::Quiet => Progress::Quiet,
            ProgressStyle::Auto if terminal => {
                let bar = match total {
                    Some(t) => indicatif::ProgressBar::new(t),
                    None => indicatif::ProgressBar::new_spinner(),
                };
                if let Ok(s) = indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                ) {
                    bar.set_style(s.progress_chars("=> "));
                }
                bar.set_message(name.to_string());
                bar.set_position(start);
                Progress::Bar(bar)
            }
            _ => {
                eprintln!(
                    "downloading {name}{}{}",
                    total.map(|t| format!(" ({})", mib(t))).unwrap_or_default(),
                    if start > 0 {
                        format!(", resuming at {}", mib(start))
                    } else {
                        String::new()
                    }
                );
                Progress::Lines {
                    name: name.into(),
                    total,
                    last: Instant::now(),
                    done: start,
                }
            }
        }
    }

    fn update(&mut self, done: u64) {
        match self {
            Progress::Bar(bar) => bar.set_position(done),
            Progress::Lines {
                name,
                total,
                last,
                done: d,
            } => {
                *d = done;
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    match total {
                        Some(t) if *t > 0 => eprintln!(
                            "{name}: {} of {} ({}%)",
                            mib(done),
                            mib(*t),
                            done * 100 / *t
                        ),
                        _ => eprintln!("{name}: {}", mib(done)),
                    }
                }
            }
            Progress::Quiet => {}
        }
    }

    fn finish(&mut self) {
        match self {
            Progress::Bar(bar) => bar.finish(),
            Progress::Lines { name, done, .. } => eprintln!("{name}: {} received", mib(*done)),
            Progress::Quiet => {}
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
