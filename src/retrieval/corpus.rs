//! The corpus: every `*.txt` file of one folder, kept exactly as written, split into 1-based lines.
//!
//! Loading never stops at a bad file: a file that is not UTF-8, empty, too large, unreadable, or a
//! link leading outside the folder is recorded as a [`LoadProblem`] with its name and the reason,
//! and the other files still load. Only a folder that cannot be listed at all is an error.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Largest corpus file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Errors that stop the corpus from loading at all.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The corpus folder could not be read.
    #[error("cannot read the corpus folder {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One corpus file: its name (the citation's `source`) and its lines as written.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// File name within the corpus folder, e.g. `000_e75c928bc0077ff5.txt`.
    pub name: String,
    /// Lines without their terminators; `lines[0]` is line 1.
    pub lines: Vec<String>,
}

impl SourceFile {
    /// Builds a file from its text: lines split on `\n` with a trailing `\r` removed; a final
    /// newline does not start another line; a leading byte-order mark is dropped.
    pub fn from_text(name: impl Into<String>, text: &str) -> SourceFile {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let body = text.strip_suffix('\n').unwrap_or(text);
        let lines = body
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        SourceFile {
            name: name.into(),
            lines,
        }
    }

    /// Lines `start..=end` (1-based), or `None` when the range is empty or outside the file.
    pub fn line_range(&self, start: usize, end: usize) -> Option<&[String]> {
        if start == 0 || start > end || end > self.lines.len() {
            return None;
        }
        Some(&self.lines[start - 1..end])
    }
}

/// A corpus file that was skipped, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LoadProblem {
    pub file: String,
    pub reason: String,
}

/// The loaded corpus.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// Files sorted by name.
    pub files: Vec<SourceFile>,
    /// Files that could not be used.
    pub problems: Vec<LoadProblem>,
}

impl Corpus {
    /// Loads every `*.txt` file of `dir` (not recursive), sorted by name.
    pub fn load(dir: &Path) -> Result<Corpus, CorpusError> {
        let folder_err = |source| CorpusError::Folder {
            path: dir.to_path_buf(),
            source,
        };
        let root = dir.canonicalize().map_err(folder_err)?;
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for entry in fs::read_dir(&root).map_err(folder_err)? {
            let entry = entry.map_err(folder_err)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".txt") && !name.starts_with('.') {
                names.push((name, entry.path()));
            }
        }
        names.sort();
        let mut corpus = Corpus::default();
        for (name, path) in names {
            match read_one(&root, &path) {
                Ok(text) => corpus.files.push(SourceFile::from_text(name, &text)),
                Err(reason) => {
                    tracing::warn!(file = %name, %reason, "corpus file skipped");
                    corpus.problems.push(LoadProblem { file: name, reason });
                }
            }
        }
        Ok(corpus)
    }

    /// Builds a corpus from in-memory files (tests, fixtures).
    pub fn from_files(files: Vec<SourceFile>) -> Corpus {
        Corpus {
            files,
            problems: Vec::new(),
        }
    }

    /// The file named `name`, if it is part of the corpus. Only exact names of loaded files
    /// match, so no caller-supplied string ever reaches the file system.
    pub fn file(&self, name: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.name == name)
    }

    /// A SHA-256 over every file's name and lines: changes whenever the corpus does.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for f in &self.files {
            h.update(f.name.as_bytes());
            h.update([0]);
            for l in &f.lines {
                h.update(l.as_bytes());
                h.update([b'\n']);
            }
            h.update([0]);
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Reads one file, returning the reason as text when it cannot be used.
fn read_one(root: &Path, path: &Path) -> Result<String, String> {
    let real = path
        .canonicalize()
        .map_err(|e| format!("cannot resolve path: {e}"))?;
    if !real.starts_with(root) {
        return Err("is a link to a file outside the corpus folder".into());
    }
    let meta = fs::metadata(&real).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "is {} bytes, over the limit of {MAX_FILE_BYTES} bytes",
            meta.len()
        ));
    }
    let bytes = fs::read(&real).map_err(|e| format!("cannot read: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    if text.trim().is_empty() {
        return Err("is empty".into());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_and_terminators_removed() {
        let f = SourceFile::from_text("a.txt", "\u{feff}one\r\ntwo\n\nfour\n");
        assert_eq!(f.lines, vec!["one", "two", "", "four"]);
        assert_eq!(f.line_range(2, 4).unwrap().len(), 3);
        assert!(f.line_range(0, 1).is_none());
        assert!(f.line_range(3, 2).is_none());
        assert!(f.line_range(4, 5).is_none());
    }

    #[test]
    fn fingerprint_changes_with_content() {
        let a = Corpus::from_files(vec![SourceFile::from_text("a.txt", "x")]);
        let b = Corpus::from_files(vec![SourceFile::from_text("a.txt", "y")]);
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 64);
    }
}
