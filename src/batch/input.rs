//! Batch input: JSONL or CSV rows of `{"id", "question"}` or `{"id", "claim"}`.
//!
//! Parsing never stops at a bad row: a row that is not valid JSON or UTF-8, lacks an id or a
//! text, has a known field of the wrong type, or a text over the size limit becomes a [`BadRow`]
//! with the reason, and the run goes on. Unknown fields are ignored. Duplicate ids are the one
//! input error that stops a run before any work starts.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::BatchError;
use crate::answer::{Request, MAX_QUERY_CHARS};
use crate::retrieval::index::MAX_TOP_K;
use crate::text::char_len;

/// A valid input row.
#[derive(Debug, Clone)]
pub struct BatchRow {
    /// 1-based line (JSONL) or record number after the header (CSV).
    pub line: usize,
    pub id: String,
    /// What the row asks for.
    pub request: Request,
    pub top_k: Option<usize>,
    /// The row as given, echoed in the output.
    pub input: Value,
}

/// A row that cannot be processed, and why.
#[derive(Debug, Clone)]
pub struct BadRow {
    pub line: usize,
    /// The row's id, or `line-N` when it has none.
    pub id: String,
    pub input: Value,
    pub reason: String,
}

/// One input row, good or bad.
#[derive(Debug, Clone)]
pub enum Row {
    Good(BatchRow),
    Bad(BadRow),
}

impl Row {
    pub fn id(&self) -> &str {
        match self {
            Row::Good(r) => &r.id,
            Row::Bad(r) => &r.id,
        }
    }

    pub fn line(&self) -> usize {
        match self {
            Row::Good(r) => r.line,
            Row::Bad(r) => r.line,
        }
    }
}

/// Parses JSONL input; blank lines are skipped.
pub fn parse_jsonl(bytes: &[u8]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (n, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = n + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(text) = std::str::from_utf8(raw) else {
            rows.push(bad(
                line,
                None,
                Value::Null,
                "line is not valid UTF-8".into(),
            ));
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        rows.push(match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(obj)) => from_object(line, obj),
            Ok(_) => bad(
                line,
                None,
                Value::String(text.into()),
                "row is not a JSON object".into(),
            ),
            Err(e) => bad(
                line,
                None,
                Value::String(text.into()),
                format!("invalid JSON: {e}"),
            ),
        });
    }
    rows
}

/// Parses CSV input with a header row naming the columns (`id`, and `question` or `claim`;
/// optional `top_k`). A header without the needed columns is an error for the whole input.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<Row>, BatchError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| BatchError::Input(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    if !header.iter().any(|h| h == "question" || h == "claim") {
        return Err(BatchError::Input(
            "the CSV header must name a `question` or `claim` column".into(),
        ));
    }
    let mut rows = Vec::new();
    for (n, record) in reader.byte_records().enumerate() {
        let line = n + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                rows.push(bad(
                    line,
                    None,
                    Value::Null,
                    format!("unreadable CSV record: {e}"),
                ));
                continue;
            }
        };
        let mut obj = Map::new();
        let mut utf8_error = None;
        for (name, field) in header.iter().zip(record.iter()) {
            match std::str::from_utf8(field) {
                // Empty cells are absent values; `top_k` is numeric.
                Ok("") => {}
                Ok(v) if name == "top_k" => {
                    let value = v
                        .trim()
                        .parse::<i64>()
                        .map_or(Value::String(v.into()), Value::from);
                    obj.insert(name.clone(), value);
                }
                Ok(v) => {
                    obj.insert(name.clone(), Value::String(v.into()));
                }
                Err(_) => utf8_error = Some(format!("column `{name}` is not valid UTF-8")),
            }
        }
        rows.push(match utf8_error {
            Some(reason) => bad(line, None, Value::Object(obj), reason),
            None => from_object(line, obj),
        });
    }
    Ok(rows)
}

/// Refuses input where two rows share an id, naming every repeated id and its lines.
pub fn check_duplicates(rows: &[Row]) -> Result<(), BatchError> {
    let mut lines: HashMap<&str, Vec<usize>> = HashMap::new();
    for r in rows {
        lines.entry(r.id()).or_default().push(r.line());
    }
    let mut dups: Vec<String> = lines
        .into_iter()
        .filter(|(_, l)| l.len() > 1)
        .map(|(id, l)| format!("`{id}` (lines {})", join(&l)))
        .collect();
    if dups.is_empty() {
        return Ok(());
    }
    dups.sort();
    Err(BatchError::Input(format!(
        "duplicate ids: {}",
        dups.join(", ")
    )))
}

fn join(lines: &[usize]) -> String {
    lines
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn bad(line: usize, id: Option<String>, input: Value, reason: String) -> Row {
    Row::Bad(BadRow {
        line,
        id: id.unwrap_or_else(|| format!("line-{line}")),
        input,
        reason,
    })
}

fn from_object(line: usize, obj: Map<String, Value>) -> Row {
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(_)) | None => Err("missing `id`".to_string()),
        Some(_) => Err("field `id` must be a string or a number".to_string()),
    };
    let input = Value::Object(obj.clone());
    let id = match id {
        Ok(id) => id,
        Err(reason) => return bad(line, None, input, reason),
    };
    match request_of(&obj).and_then(|request| Ok((request, top_k_of(&obj)?))) {
        Ok((request, top_k)) => Row::Good(BatchRow {
            line,
            id,
            request,
            top_k,
            input,
        }),
        Err(reason) => bad(line, Some(id), input, reason),
    }
}

fn request_of(obj: &Map<String, Value>) -> Result<Request, String> {
    let text = |field: &str| -> Result<Option<String>, String> {
        match obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Err(format!("`{field}` is empty")),
            Some(Value::String(s)) if char_len(s) > MAX_QUERY_CHARS => Err(format!(
                "`{field}` is {} characters, over the limit of {MAX_QUERY_CHARS}",
                char_len(s)
            )),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("field `{field}` must be a string")),
        }
    };
    match (text("question")?, text("claim")?) {
        (Some(q), None) => Ok(Request::question(q)),
        (None, Some(c)) => Ok(Request::claim(c)),
        (Some(_), Some(_)) => Err("give either `question` or `claim`, not both".into()),
        (None, None) => Err("missing `question` or `claim`".into()),
    }
}

fn top_k_of(obj: &Map<String, Value>) -> Result<Option<usize>, String> {
    match obj.get("top_k") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(k) if (1..=MAX_TOP_K as u64).contains(&k) => Ok(Some(k as usize)),
            _ => Err(format!(
                "`top_k` must be between 1 and {MAX_TOP_K} (got {n})"
            )),
        },
        Some(_) => Err("field `top_k` must be an integer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::Good(g) => format!("ok {} {}", g.id, g.request.kind.name()),
                Row::Bad(b) => format!("bad {}: {}", b.id, b.reason),
            })
            .collect()
    }

    #[test]
    fn jsonl_rows_good_and_bad() {
        let input = concat!(
            "{\"id\":\"a\",\"question\":\"누가?\"}\n",
            "\n",
            "{\"id\":2,\"claim\":\"참이다.\",\"extra\":[1]}\n",
            "{not json\n",
            "{\"id\":\"c\",\"question\":\"  \"}\n",
            "{\"question\":\"no id\"}\n",
            "{\"id\":\"d\",\"question\":5}\n",
            "{\"id\":\"e\",\"question\":\"q\",\"top_k\":0}\n",
            "[1]\n",
            "{\"id\":\"f\",\"question\":\"q\",\"claim\":\"c\"}\r\n",
        );
        let got = reasons(&parse_jsonl(input.as_bytes()));
        assert_eq!(got[0], "ok a question");
        assert_eq!(got[1], "ok 2 claim");
        assert!(got[2].starts_with("bad line-4: invalid JSON"), "{}", got[2]);
        assert_eq!(got[3], "bad c: `question` is empty");
        assert_eq!(got[4], "bad line-6: missing `id`");
        assert_eq!(got[5], "bad d: field `question` must be a string");
        assert_eq!(got[6], "bad e: `top_k` must be between 1 and 50 (got 0)");
        assert_eq!(got[7], "bad line-9: row is not a JSON object");
        assert_eq!(got[8], "bad f: give either `question` or `claim`, not both");
    }

    #[test]
    fn oversized_text_and_bad_utf8_are_bad_rows() {
        let long = format!(
            "{{\"id\":\"x\",\"claim\":\"{}\"}}\n",
            "가".repeat(MAX_QUERY_CHARS + 1)
        );
        assert!(reasons(&parse_jsonl(long.as_bytes()))[0].contains("over the limit"));
        assert!(reasons(&parse_jsonl(b"\xff\xfe\n"))[0].contains("UTF-8"));
    }

    #[test]
    fn csv_matches_jsonl() {
        let csv = "id,question,claim,top_k\na,누가?,,\n2,,참이다.,3\n";
        let got = reasons(&parse_csv(csv.as_bytes()).unwrap());
        assert_eq!(got, vec!["ok a question", "ok 2 claim"]);
        assert!(parse_csv(b"id,text\n1,x\n").is_err());
    }

    #[test]
    fn duplicates_are_named() {
        let rows =
            parse_jsonl(b"{\"id\":\"a\",\"question\":\"q\"}\n{\"id\":\"a\",\"claim\":\"c\"}\n");
        let err = check_duplicates(&rows).unwrap_err().to_string();
        assert!(err.contains("`a` (lines 1, 2)"), "{err}");
    }
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    /// CSV for a `.csv` file name, JSONL otherwise.
    pub fn from_path(path: &std::path::Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::Jsonl,
        }
    }
}

/// Reads and parses the input (`-` is standard input), then refuses duplicate ids.
pub fn load(path: &std::path::Path, format: Format) -> Result<Vec<Row>, BatchError> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| BatchError::Input(format!("cannot read standard input: {e}")))?;
        buf
    } else {
        std::fs::read(path)
            .map_err(|e| BatchError::Input(format!("cannot read {}: {e}", path.display())))?
    };
    let rows = match format {
        Format::Jsonl => parse_jsonl(&bytes),
        Format::Csv => parse_csv(&bytes)?,
    };
    check_duplicates(&rows)?;
    Ok(rows)
}
