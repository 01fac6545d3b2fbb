//! Talking to the hub: the `HEAD` that learns the size and sha256, and the resumable `GET`.
//!
//! [`Client`] carries one download's agent, URL and `.partial` path, so every failure can be
//! turned into a [`PullError`] that says what to do next: a connection that never got through is
//! reported as being offline (and leaves nothing behind), an error status names the repository and
//! file, and a transfer cut short keeps its bytes so that the next pull resumes with a `Range`
//! request.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};
use ureq::http::Response;
use ureq::Body;

use super::checksum::{hash_file, hex, parse_sha256};
use super::progress::Progress;
use super::{host_of, io_error, PullError, PullOptions, PullRequest};

/// What the HEAD request told us.
pub(super) struct RemoteInfo {
    pub(super) sha256: Option<String>,
    pub(super) size: Option<u64>,
}

/// A finished transfer into the `.partial` file.
pub(super) struct Downloaded {
    /// Bytes that were already there from an earlier attempt.
    pub(super) resumed_from: u64,
    /// sha256 of the whole file.
    pub(super) sha256: String,
    /// Size of the whole file.
    pub(super) bytes: u64,
}

/// One download: the agent plus everything error messages need.
pub(super) struct Client<'a> {
    agent: ureq::Agent,
    opts: &'a PullOptions,
    req: &'a PullRequest,
    url: &'a str,
    partial: &'a Path,
}

/// A response header as text, if present and readable.
fn header<B>(resp: &Response<B>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl<'a> Client<'a> {
    pub(super) fn new(
        opts: &'a PullOptions,
        req: &'a PullRequest,
        url: &'a str,
        partial: &'a Path,
    ) -> Self {
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

    /// HEAD without following the redirect: the hub puts the LFS sha256 and size on the 302.
    pub(super) fn head(&self) -> Result<RemoteInfo, PullError> {
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
        let sha256 = header(&resp, "x-linked-etag")
            .as_deref()
            .and_then(parse_sha256)
            .or_else(|| header(&resp, "etag").as_deref().and_then(parse_sha256));
        let size = header(&resp, "x-linked-size")
            .and_then(|s| s.trim().parse().ok())
            .or_else(|| {
                if status == 200 {
                    header(&resp, "content-length").and_then(|s| s.trim().parse().ok())
                } else {
                    None
                }
            });
        Ok(RemoteInfo { sha256, size })
    }

    /// Downloads into the partial file, resuming when it exists.
    pub(super) fn download(&self, expected_size: Option<u64>) -> Result<Downloaded, PullError> {
        let have = self.usable_partial(expected_size)?;
        let mut hasher = Sha256::new();
        if expected_size.is_some_and(|s| have == s && s > 0) {
            // An earlier attempt received everything but stopped before the rename.
            hash_file(self.partial, &mut hasher, have)?;
            return Ok(Downloaded {
                resumed_from: have,
                sha256: hex(&hasher.finalize()),
                bytes: have,
            });
        }
        let resp = self.get(have, expected_size)?;
        let (append, body_len) = self.accept(&resp, have)?;
        let resumed_from = if append { have } else { 0 };
        let total = body_len.map(|n| n + resumed_from).or(expected_size);
        if let (Some(t), Some(e)) = (total, expected_size) {
            if t != e {
                return Err(self.protocol(format!(
                    "the server announced {t} bytes but the hub listed {e}"
                )));
            }
        }
        if append {
            hash_file(self.partial, &mut hasher, have)?;
        }
        let done = self.receive(resp, &mut hasher, total, resumed_from)?;
        if let Some(t) = total {
            if done != t {
                return Err(self.interrupted(format!("got {done} of {t} bytes"), done));
            }
        }
        if done == 0 {
            let _ = fs::remove_file(self.partial);
            return Err(self.protocol("the server sent an empty file"));
        }
        Ok(Downloaded {
            resumed_from,
            sha256: hex(&hasher.finalize()),
            bytes: done,
        })
    }

    /// Bytes of an earlier attempt to resume from; a partial file longer than the file is not a
    /// prefix of it and is deleted.
    fn usable_partial(&self, expected_size: Option<u64>) -> Result<u64, PullError> {
        let have = self.kept();
        if expected_size.is_some_and(|size| have > size) {
            // Not a prefix of this file: start again.
            remove(self.partial)?;
            return Ok(0);
        }
        Ok(have)
    }

    /// Sends the GET, asking for the bytes from `have` on when there are some already.
    fn get(&self, have: u64, expected_size: Option<u64>) -> Result<Response<Body>, PullError> {
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
        if have > 0 {
            request = request.header("Range", format!("bytes={have}-"));
        }
        request.call().map_err(|e| self.network_error(e, have))
    }

    /// Reads the status of the GET: whether the body continues the partial file (a 206 from
    /// `have`) or replaces it (200), and the body length when announced.
    fn accept(&self, resp: &Response<Body>, have: u64) -> Result<(bool, Option<u64>), PullError> {
        let content_length = || header(resp, "content-length").and_then(|s| s.parse::<u64>().ok());
        match resp.status().as_u16() {
            206 if have > 0 => {
                let range = header(resp, "content-range");
                let start = range.as_deref().and_then(parse_content_range_start);
                if start != Some(have) {
                    return Err(self.protocol(format!(
                        "asked for bytes from {have} but the server sent content-range {range:?}"
                    )));
                }
                Ok((true, content_length()))
            }
            200 => Ok((false, content_length())),
            416 if have > 0 => {
                // The partial file may not belong to this revision: drop it, next run starts over.
                remove(self.partial)?;
                Err(self.protocol(
                    "the server refused to resume the partial download (416); it was deleted, \
                     run the command again to download from the start",
                ))
            }
            s => Err(self.status_error(s)),
        }
    }

    /// Writes the body after the first `resumed_from` bytes of the partial file, hashing and
    /// showing progress as it goes. Returns the size of the partial file at the end.
    fn receive(
        &self,
        resp: Response<Body>,
        hasher: &mut Sha256,
        total: Option<u64>,
        resumed_from: u64,
    ) -> Result<u64, PullError> {
        let append = resumed_from > 0;
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(self.partial)
            .map_err(io_error("cannot write", self.partial))?;
        let name = self.req.local_name();
        let mut progress = Progress::new(self.opts.progress, total, resumed_from, name);
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
            file.write_all(&buf[..n])
                .map_err(io_error("cannot write", self.partial))?;
            hasher.update(&buf[..n]);
            done += n as u64;
            progress.update(done);
        }
        progress.finish();
        file.sync_all()
            .map_err(io_error("cannot write", self.partial))?;
        Ok(done)
    }

    /// Bytes already in the partial file (0 when there is none).
    fn kept(&self) -> u64 {
        fs::metadata(self.partial).map(|m| m.len()).unwrap_or(0)
    }

    /// A failed request: unreachable hub (offline) or a protocol failure.
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
            self.offline(detail, kept_bytes)
        } else {
            self.protocol(detail)
        }
    }

    /// A transfer cut short; with nothing received it counts as an unreachable hub.
    fn interrupted(&self, detail: String, kept_bytes: u64) -> PullError {
        if kept_bytes == 0 {
            // Nothing arrived: that is an unreachable hub, not a resumable download.
            let _ = fs::remove_file(self.partial);
            return self.offline(detail, 0);
        }
        PullError::Interrupted {
            url: self.url.into(),
            detail,
            kept_bytes,
            partial: self.partial.to_path_buf(),
        }
    }

    fn offline(&self, detail: String, kept_bytes: u64) -> PullError {
        PullError::Offline {
            detail,
            url: self.url.into(),
            models_dir: self.opts.models_dir.clone(),
            kept_bytes,
            partial: self.partial.to_path_buf(),
        }
    }

    fn protocol(&self, reason: impl Into<String>) -> PullError {
        PullError::Protocol {
            url: self.url.into(),
            reason: reason.into(),
        }
    }

    fn status_error(&self, status: u16) -> PullError {
        PullError::Http {
            repo: self.req.repo.clone(),
            file: self.req.file.clone(),
            url: self.url.into(),
            status,
        }
    }
}

/// Deletes `path`; a file that is already gone is fine.
fn remove(path: &Path) -> Result<(), PullError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(io_error("cannot remove", path)(source)),
    }
}

/// `bytes START-END/TOTAL` → START.
fn parse_content_range_start(v: &str) -> Option<u64> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    rest.split('-').next()?.trim().parse().ok()
}
