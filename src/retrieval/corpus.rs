//! The corpus: every text file (`*.txt`, `*.md`) of one folder and its subfolders, kept exactly
//! as written, split into 1-based lines. A file in a subfolder is named by its path from the
//! corpus folder (`reports/2025/budget.md`): that name is what citations cite.
//!
//! Loading never stops at a bad file: a file that is not UTF-8, empty, too large, unreadable, or a
//! link leading outside the folder is recorded as a [`LoadProblem`] with its name and the reason,
//! and the other files still load. Files of other formats (`.pdf`, `.docx`, `.hwp`) are listed
//! as skipped, so a user whose folder holds them is told why they are not searched. Only a folder
//! that cannot be listed at all is an error.

use std::fs;
use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, EUC_KR, UTF_8};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Largest corpus file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// File name endings read as text, compared without case: plain text and Markdown, whose lines
/// are cited as written.
pub const TEXT_EXTENSIONS: &[&str] = &["txt", "md", "markdown"];

/// Deepest subfolder read; the corpus folder itself is level 0.
pub const MAX_DEPTH: usize = 8;

/// Most text files read. A folder with more (a home folder given by mistake) loads the first
/// ones found and says so, rather than reading without end.
pub const MAX_FILES: usize = 10_000;

/// Most bytes read over all files: past it, the remaining files are reported, not read.
pub const MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;

/// Most folder entries looked at, text or not, for the same reason.
const MAX_ENTRIES: usize = 200_000;

/// Files of the corpus folder that belong to the product, not to the corpus: never skipped
/// silently, never reported.
const COMPANION_FILES: &[&str] = &[crate::retrieval::index::GLOSSARY_FILE];

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
    /// The encoding its bytes were read in ([`decode`]): `UTF-8`, or `EUC-KR` (Korean text
    /// saved by older Windows programs, CP949 included), `UTF-16LE`, `UTF-16BE`.
    pub encoding: &'static str,
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
            encoding: UTF_8.name(),
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
    /// Files not read because they are not text files ([`TEXT_EXTENSIONS`]), by name.
    pub skipped: Vec<String>,
}

impl Corpus {
    /// Loads every text file of `dir` and its subfolders (hidden ones aside), sorted by name.
    pub fn load(dir: &Path) -> Result<Corpus, CorpusError> {
        let folder_err = |source| CorpusError::Folder {
            path: dir.to_path_buf(),
            source,
        };
        let root = dir.canonicalize().map_err(folder_err)?;
        let mut corpus = Corpus::default();
        let found = walk(&root, &mut corpus).map_err(folder_err)?;
        let mut budget = MAX_TOTAL_BYTES;
        for (name, path) in found {
            match read_one(&root, &path, budget) {
                Ok((text, encoding)) => {
                    budget -= text.len() as u64;
                    if encoding != UTF_8.name() {
                        tracing::info!(file = %name, encoding, "corpus file read as {encoding}");
                    }
                    corpus.files.push(SourceFile {
                        encoding,
                        ..SourceFile::from_text(name, &text)
                    });
                }
                Err(reason) => {
                    tracing::warn!(file = %name, %reason, "corpus file skipped");
                    corpus.problems.push(LoadProblem { file: name, reason });
                }
            }
        }
        if !corpus.skipped.is_empty() {
            tracing::warn!(
                files = corpus.skipped.len(),
                first = %corpus.skipped[0],
                "corpus files not read: only .txt and .md files are (save the others as text)"
            );
        }
        Ok(corpus)
    }

    /// Builds a corpus from in-memory files (tests, fixtures).
    pub fn from_files(files: Vec<SourceFile>) -> Corpus {
        Corpus {
            files,
            problems: Vec::new(),
            skipped: Vec::new(),
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

/// Whether `name` ends in one of the [`TEXT_EXTENSIONS`].
pub fn is_text_file(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && TEXT_EXTENSIONS.iter().any(|t| ext.eq_ignore_ascii_case(t))
    })
}

/// The text files under `root` as `(name, path)`, names sorted, each name its path from `root`
/// with `/` between folders. Files of other formats go to `corpus.skipped`; folders that cannot
/// be read, lead outside `root` or lie too deep, and the excess over [`MAX_FILES`], to
/// `corpus.problems`. Only `root` itself failing to list is an error.
fn walk(root: &Path, corpus: &mut Corpus) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    let mut visited = std::collections::HashSet::from([root.to_path_buf()]);
    let mut pending: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    let mut entries_seen = 0usize;
    let mut full = false;
    while let Some((dir, prefix, depth)) = pending.pop() {
        let listing = match fs::read_dir(&dir) {
            Ok(listing) => listing,
            Err(e) if depth == 0 => return Err(e),
            Err(e) => {
                corpus.problems.push(LoadProblem {
                    file: prefix.trim_end_matches('/').to_string(),
                    reason: format!("is a folder that cannot be read: {e}"),
                });
                continue;
            }
        };
        let mut entries: Vec<(String, PathBuf)> = Vec::new();
        for entry in listing {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') {
                entries.push((name, entry.path()));
            }
        }
        entries.sort();
        let mut subfolders = Vec::new();
        for (name, path) in entries {
            entries_seen += 1;
            if full || entries_seen > MAX_ENTRIES {
                full = true;
                break;
            }
            let rel = format!("{prefix}{name}");
            if path.is_dir() {
                match path.canonicalize() {
                    Ok(real) if !real.starts_with(root) => corpus.problems.push(LoadProblem {
                        file: rel,
                        reason: "is a link to a folder outside the corpus folder".into(),
                    }),
                    Ok(_) if depth + 1 > MAX_DEPTH => corpus.problems.push(LoadProblem {
                        file: rel,
                        reason: format!(
                            "is a folder nested more than {MAX_DEPTH} levels deep; not read"
                        ),
                    }),
                    Ok(real) => {
                        if visited.insert(real) {
                            subfolders.push((path, format!("{rel}/"), depth + 1));
                        }
                    }
                    Err(e) => corpus.problems.push(LoadProblem {
                        file: rel,
                        reason: format!("cannot resolve path: {e}"),
                    }),
                }
            } else if is_text_file(&name) {
                if found.len() == MAX_FILES {
                    full = true;
                    break;
                }
                found.push((rel, path));
            } else if !(depth == 0 && COMPANION_FILES.contains(&name.as_str())) {
                corpus.skipped.push(rel);
            }
        }
        if full {
            break;
        }
        // Depth first, in name order: the last pushed is read next.
        pending.extend(subfolders.into_iter().rev());
    }
    if full {
        corpus.problems.push(LoadProblem {
            file: ".".into(),
            reason: format!(
                "the corpus folder holds more than {MAX_FILES} text files or {MAX_ENTRIES} \
                 entries; only the first {} text files found were read",
                found.len()
            ),
        });
    }
    found.sort();
    Ok(found)
}

/// Reads one file of at most `budget` bytes (what is left of [`MAX_TOTAL_BYTES`]) as text and
/// the encoding it was in, or the reason as text when it cannot be used.
fn read_one(root: &Path, path: &Path, budget: u64) -> Result<(String, &'static str), String> {
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
    if meta.len() > budget {
        return Err(format!(
            "not read: the files before it fill the corpus's limit of {MAX_TOTAL_BYTES} bytes"
        ));
    }
    let bytes = fs::read(&real).map_err(|e| format!("cannot read: {e}"))?;
    let (text, encoding) = decode(bytes)?;
    if text.trim().is_empty() {
        return Err("is empty".into());
    }
    Ok((text, encoding))
}

/// A file's bytes as text, and the encoding they were in: UTF-16 where a byte-order mark says
/// so (what Windows' Notepad calls Unicode), else UTF-8, else Korean in EUC-KR (CP949, what
/// older Windows programs save Korean in) when the bytes decode without a fault and hold Hangul.
/// Nothing else is guessed: a one-byte encoding decodes any bytes, so it would read any
/// file as something. The reason as text when none fits.
pub fn decode(bytes: Vec<u8>) -> Result<(String, &'static str), String> {
    if let Some((encoding, bom)) = Encoding::for_bom(&bytes).filter(|(e, _)| *e != UTF_8) {
        return encoding
            .decode_without_bom_handling_and_without_replacement(&bytes[bom..])
            .map(|text| (text.into_owned(), encoding.name()))
            .ok_or_else(|| {
                format!(
                    "is not valid {} despite its byte-order mark",
                    encoding.name()
                )
            });
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((text, UTF_8.name())),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            match EUC_KR.decode_without_bom_handling_and_without_replacement(&bytes) {
                Some(text) if text.chars().any(crate::text::is_hangul_syllable) => {
                    Ok((text.into_owned(), EUC_KR.name()))
                }
                _ => Err(format!(
                    "is not valid UTF-8 (invalid byte at offset {at}), nor Korean in EUC-KR \
                     (CP949); save it as UTF-8"
                )),
            }
        }
    }
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
    fn a_file_over_what_is_left_of_the_budget_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        fs::write(root.join("a.txt"), "열 바이트 넘는 줄").unwrap();
        assert!(read_one(&root, &root.join("a.txt"), 100).is_ok());
        let err = read_one(&root, &root.join("a.txt"), 5).unwrap_err();
        assert!(err.contains("limit of"), "{err}");
    }

    #[test]
    fn korean_in_older_encodings_is_read() {
        let korean = "한결시 예산은 1조 2,480억 원이다.\n똠방각하";
        let (euc, _, _) = EUC_KR.encode(korean);
        assert_eq!(decode(euc.into_owned()), Ok((korean.to_string(), "EUC-KR")));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(korean.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(utf16), Ok((korean.to_string(), "UTF-16LE")));
        assert_eq!(
            decode(korean.as_bytes().to_vec()),
            Ok((korean.to_string(), "UTF-8"))
        );
        // Latin-1 and broken bytes are no Korean: refused, not guessed.
        for bytes in [
            &b"caf\xe9 au lait"[..],
            &b"\xff\xfe\xfe"[..],
            &b"\xb0\xa1\xff"[..],
        ] {
            let err = decode(bytes.to_vec()).unwrap_err();
            assert!(err.contains("not valid"), "{err}");
        }
    }

    #[test]
    fn text_files_by_their_ending() {
        for name in ["a.txt", "b.MD", "c.markdown", "가/나.Txt"] {
            assert!(is_text_file(name), "{name}");
        }
        for name in ["a.pdf", ".txt", "txt", "a.txt.bak", "glossary.thesaurus"] {
            assert!(!is_text_file(name), "{name}");
        }
    }

    #[test]
    fn fingerprint_changes_with_content() {
        let a = Corpus::from_files(vec![SourceFile::from_text("a.txt", "x")]);
        let b = Corpus::from_files(vec![SourceFile::from_text("a.txt", "y")]);
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 64);
    }
}
