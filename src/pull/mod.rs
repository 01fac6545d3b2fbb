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
//!
//! This file holds the public API (requests, options, outcome, errors) and the steps of a pull;
//! `presets` lists the known models, `http` talks to the hub (HEAD, resumable GET, offline
//! detection), `checksum` decides which sha256 to expect and checks it, and `progress` shows
//! the transfer on stderr.

mod checksum;
mod http;
mod presets;
mod progress;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::gguf_check::{validate_file, GgufError, GgufSummary};

pub use checksum::sha256_file;
use checksum::{expected_sha256, parse_sha256, verify};
use http::Client;
use presets::preset_names;
pub use presets::{find_preset, Preset, DEFAULT_PRESET, PRESETS};

/// The hub used when `HF_ENDPOINT` is not set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// How long to wait for DNS and for a TCP/TLS connection before calling the hub unreachable.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
    require(repo_ok, || {
        format!("repository \"{}\" should look like owner/name", req.repo)
    })?;
    require(req.file.split('/').all(safe), || {
        format!(
            "file \"{}\" should be a plain path inside the repository (letters, digits, - _ . /)",
            req.file
        )
    })?;
    require(req.file.to_ascii_lowercase().ends_with(".gguf"), || {
        format!("file \"{}\" is not a .gguf file", req.file)
    })?;
    require(req.revision.split('/').all(safe), || {
        format!(
            "revision \"{}\" is not a valid branch, tag or commit",
            req.revision
        )
    })?;
    if let Some(sum) = &req.sha256 {
        require(parse_sha256(sum).is_some(), || {
            format!("\"{sum}\" is not a sha256 (64 hex digits)")
        })?;
    }
    Ok(())
}

/// Fails with `BadArguments` and the message `why` gives unless `ok`.
fn require(ok: bool, why: impl FnOnce() -> String) -> Result<(), PullError> {
    if ok {
        Ok(())
    } else {
        Err(PullError::BadArguments(why()))
    }
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
        return already_present(final_path);
    }
    let partial = partial_path(&final_path);
    let url = file_url(&opts.endpoint, req);
    let client = Client::new(opts, req, &url, &partial);

    let info = client.head()?;
    fs::create_dir_all(&opts.models_dir).map_err(io_error("cannot create", &opts.models_dir))?;
    let expected = expected_sha256(req, info.sha256.as_deref());
    let download = client.download(info.size)?;
    let verification = verify(expected, download.sha256, &partial, req)?;
    fs::rename(&partial, &final_path).map_err(io_error(
        "cannot rename the finished download to",
        &final_path,
    ))?;
    let summary = validate_file(&final_path).map_err(|source| PullError::Invalid {
        path: final_path.clone(),
        source,
    })?;
    Ok(PullOutcome {
        path: final_path,
        bytes: download.bytes,
        resumed_from: download.resumed_from,
        already_present: false,
        verification: Some(verification),
        summary,
    })
}

/// The outcome when the model is already in place: validated, nothing downloaded.
fn already_present(final_path: PathBuf) -> Result<PullOutcome, PullError> {
    let summary = validate_file(&final_path).map_err(|source| PullError::ExistingInvalid {
        path: final_path.clone(),
        source,
    })?;
    let bytes = fs::metadata(&final_path)
        .map(|m| m.len())
        .map_err(io_error("cannot read", &final_path))?;
    Ok(PullOutcome {
        path: final_path,
        bytes,
        resumed_from: 0,
        already_present: true,
        verification: None,
        summary,
    })
}

/// Turns an I/O failure on `path` into a [`PullError::Io`] that says what we were doing.
fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> PullError + 'a {
    move |source| PullError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}
