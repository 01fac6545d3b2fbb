//! The batch output file: reading what an earlier run finished, repairing a torn last line, and
//! appending rows so that each is written whole and flushed before the next starts.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::BatchError;

/// Where output rows go.
pub enum Sink {
    /// A file opened for appending.
    File { path: PathBuf, file: File },
    /// Standard output (no resume).
    Stdout,
}

impl Sink {
    /// Writes one row as one line and flushes it (and, for files, asks the OS to persist it).
    pub fn write_row(&mut self, row: &Value) -> Result<(), BatchError> {
        let mut line = serde_json::to_vec(row).map_err(|e| BatchError::Output {
            path: self.name(),
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        let result = match self {
            Sink::File { file, .. } => file.write_all(&line).and_then(|_| file.sync_data()),
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(&line).and_then(|_| out.flush())
            }
        };
        result.map_err(|e| BatchError::Output {
            path: self.name(),
            reason: e.to_string(),
        })
    }

    fn name(&self) -> PathBuf {
        match self {
            Sink::File { path, .. } => path.clone(),
            Sink::Stdout => PathBuf::from("-"),
        }
    }
}

/// Opens `path` for appending and returns the ids it already holds. A torn last line (no
/// newline, or not JSON) from an interrupted run is cut off; a damaged line elsewhere is an
/// error, so a file that is not ours is never appended to.
pub fn open_for_resume(path: &Path) -> Result<(Sink, HashSet<String>), BatchError> {
    let err = |reason: String| BatchError::Output {
        path: path.to_path_buf(),
        reason,
    };
    let mut done = HashSet::new();
    if path.exists() {
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let keep = valid_prefix(&bytes, &mut done).map_err(err)?;
        if keep < bytes.len() {
            tracing::warn!(file = %path.display(), "repairing a torn last line");
            let f = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| err(e.to_string()))?;
            f.set_len(keep as u64).map_err(|e| err(e.to_string()))?;
        }
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| err(e.to_string()))?;
    Ok((
        Sink::File {
            path: path.to_path_buf(),
            file,
        },
        done,
    ))
}

/// Length of the part of `bytes` made of whole JSON rows; their ids go into `done`.
fn valid_prefix(bytes: &[u8], done: &mut HashSet<String>) -> Result<usize, String> {
    let mut keep = 0;
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        let whole = line.ends_with(b"\n");
        let row = serde_json::from_slice::<Value>(line).ok();
        let id = row
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str);
        match (id, whole) {
            (Some(id), true) => {
                done.insert(id.to_string());
                keep += line.len();
            }
            _ if last => break,
            _ if line.iter().all(u8::is_ascii_whitespace) => keep += line.len(),
            _ => {
                return Err(format!(
                    "line {} is not an output row; not appending to it",
                    i + 1
                ))
            }
        }
    }
    Ok(keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_last_line_is_cut_and_ids_collected() {
        let mut done = HashSet::new();
        let text = b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"resp";
        assert_eq!(valid_prefix(text, &mut done).unwrap(), 22);
        assert_eq!(done.len(), 2);
        let mut done = HashSet::new();
        // A complete last row without its newline is torn too: it is written again.
        assert_eq!(
            valid_prefix(b"{\"id\":\"a\"}\n{\"id\":\"b\"}", &mut done).unwrap(),
            11
        );
    }

    #[test]
    fn damage_in_the_middle_is_refused() {
        let mut done = HashSet::new();
        assert!(valid_prefix(b"{\"id\":\"a\"}\ngarbage\n{\"id\":\"b\"}\n", &mut done).is_err());
    }
}
