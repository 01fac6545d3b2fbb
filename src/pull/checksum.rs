//! The sha256 of a download: which one we expect, hashing what is on disk, and the verdict.
//!
//! The expected sum comes from the preset (or `--sha256`) when there is one, otherwise from the
//! hub's `x-linked-etag`; with neither, the download is reported as unverified rather than
//! silently trusted. A mismatch deletes the download so that the next attempt starts clean.

use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{io_error, PullError, PullRequest, Verification};

/// `"abc…"`, `W/"abc…"` or `abc…` → lower-case 64-digit hex, if it is one.
pub(super) fn parse_sha256(etag: &str) -> Option<String> {
    let t = etag.trim().trim_start_matches("W/").trim_matches('"');
    (t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_ascii_lowercase())
}

/// A sha256 we expect, and where it came from (for the messages).
pub(super) struct Expected {
    sha256: String,
    source: &'static str,
}

/// The sha256 to check against: the request's own, else the hub's, else none.
pub(super) fn expected_sha256(req: &PullRequest, from_hub: Option<&str>) -> Option<Expected> {
    match (&req.sha256, from_hub) {
        (Some(s), _) => Some(Expected {
            sha256: s.to_ascii_lowercase(),
            source: "sha256 from the preset or --sha256",
        }),
        (None, Some(s)) => Some(Expected {
            sha256: s.to_owned(),
            source: "sha256 published by the hub",
        }),
        (None, None) => None,
    }
}

/// Compares `actual` with what was expected; on a mismatch `partial` is deleted.
pub(super) fn verify(
    expected: Option<Expected>,
    actual: String,
    partial: &Path,
    req: &PullRequest,
) -> Result<Verification, PullError> {
    match expected {
        Some(expected) if expected.sha256 != actual => {
            let _ = fs::remove_file(partial);
            Err(PullError::ChecksumMismatch {
                file: req.file.clone(),
                expected: expected.sha256,
                actual,
                source_of_expected: expected.source.into(),
            })
        }
        Some(expected) => Ok(Verification::Verified {
            sha256: expected.sha256,
            source: expected.source.into(),
        }),
        None => Ok(Verification::Unverified {
            sha256: actual,
            reason: "the hub did not publish a sha256 for this file and the preset has none".into(),
        }),
    }
}

/// Feeds the first `len` bytes of `path` into `hasher`.
pub(super) fn hash_file(path: &Path, hasher: &mut Sha256, len: u64) -> Result<(), PullError> {
    hash_prefix(path, hasher, len).map_err(io_error("cannot read", path))
}

/// The SHA-256 of a whole file, in lower-case hex (model downloads, batch provenance).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    hash_prefix(path, &mut hasher, u64::MAX)?;
    Ok(hex(&hasher.finalize()))
}

/// The one reading loop: feeds the first `len` bytes of `path` into `hasher`.
fn hash_prefix(path: &Path, hasher: &mut Sha256, len: u64) -> std::io::Result<()> {
    let mut reader = File::open(path)?.take(len);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
    }
}

/// Lower-case hex of a digest.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
