//! The self-contained HTML report of a batch run: the figures, a chart of the verdict
//! distribution and of latency, and every row with its citations linked to the quoted lines.
//! Everything from the input, the model or the corpus is escaped; the page loads nothing.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use crate::eval::Scores;
use crate::retrieval::corpus::Corpus;

const STYLE: &str = "body{font-family:system-ui,'Apple SD Gothic Neo','Malgun Gothic','Noto Sans CJK KR',sans-serif;margin:2rem;line-height:1.55;word-break:keep-all;color:#1d1d1f}\
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top;text-align:left}\
th{background:#f3f3f3}.err{color:#b00020}.chip{font-size:.85em;margin-right:.4em}mark{background:#ffe58a}\
.lines{font-family:ui-monospace,monospace;font-size:.9em;white-space:pre-wrap;background:#fafafa;padding:.5rem;border:1px solid #eee}\
.bar{fill:#3b6fd8}.cite{margin:1.2rem 0}svg text{font-size:12px;font-family:inherit}";

/// The whole report page.
pub fn render(rows: &[Value], scores: Option<&Scores>, corpus: &Corpus) -> String {
    let mut h = String::new();
    let _ = write!(h, "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>factcheck batch report</title><style>{STYLE}</style></head><body>");
    let _ = write!(h, "<h1>factcheck batch report</h1>");
    if let Some(p) = rows
        .iter()
        .map(|r| &r["provenance"])
        .find(|p| p.is_object())
    {
        h.push_str("<h2>Provenance</h2><table>");
        for (k, v) in p.as_object().into_iter().flatten() {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let _ = write!(
                h,
                "<tr><th>{}</th><td><code>{}</code></td></tr>",
                escape(k),
                escape(&v)
            );
        }
        h.push_str("</table>");
    }
    if let Some(s) = scores {
        h.push_str(&figures(s));
    }
    h.push_str("<h2>Verdicts and answers</h2>");
    h.push_str(&bars(&distribution(rows)));
    h.push_str("<h2>Latency (ms per row)</h2>");
    h.push_str(&bars(&latency_histogram(rows)));
    h.push_str(&row_table(rows));
    h.push_str(&cited_lines(rows, corpus));
    h.push_str("</body></html>\n");
    h
}

fn figures(s: &Scores) -> String {
    let m = &s.retrieval;
    let rows = [
        (
            "rows (matched to gold)",
            format!("{} ({})", s.rows, s.matched),
        ),
        ("error rows", s.error_rows.to_string()),
        (
            "retrieval hit@1 / hit@3 / hit@5 / MRR",
            format!(
                "{:.3} / {:.3} / {:.3} / {:.3} ({} items)",
                m.hit_at_1, m.hit_at_3, m.hit_at_5, m.mrr, m.items
            ),
        ),
        (
            "citation validity",
            format!(
                "{:.1}% ({} of {})",
                100.0 * s.citation_validity,
                s.citations_valid,
                s.citations_returned
            ),
        ),
        (
            "citations cover gold evidence",
            format!(
                "{:.1}% ({} of {})",
                100.0 * s.evidence_coverage,
                s.evidence_covered,
                s.evidence_items
            ),
        ),
        (
            "verdict accuracy",
            format!(
                "{:.1}% ({} of {})",
                100.0 * s.verdict_accuracy,
                s.verdict_correct,
                s.verdict_items
            ),
        ),
        (
            "abstained on unanswerable",
            format!("{} of {}", s.abstained_on_unanswerable, s.unanswerable),
        ),
        (
            "latency p50 / p90 / max",
            format!(
                "{:.1} / {:.1} / {:.1} ms",
                s.latency_ms_p50, s.latency_ms_p90, s.latency_ms_max
            ),
        ),
    ];
    let mut h = String::from("<h2>Figures</h2><table>");
    for (k, v) in rows {
        let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(&v));
    }
    h.push_str("</table>");
    if !s.confusion.is_empty() {
        let predicted: std::collections::BTreeSet<&String> =
            s.confusion.values().flat_map(|r| r.keys()).collect();
        h.push_str("<h3>Confusion (gold ↓, predicted →)</h3><table><tr><th></th>");
        for p in &predicted {
            let _ = write!(h, "<th>{}</th>", escape(p));
        }
        h.push_str("</tr>");
        for (gold, row) in &s.confusion {
            let _ = write!(h, "<tr><th>{}</th>", escape(gold));
            for p in &predicted {
                let _ = write!(h, "<td>{}</td>", row.get(*p).copied().unwrap_or(0));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }
    h
}

/// Counts of verdicts (claims) and of answered / abstained (questions).
fn distribution(rows: &[Value]) -> Vec<(String, f64)> {
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    for r in rows {
        let resp = &r["response"];
        let key = if !r["error"].is_null() {
            "error".to_string()
        } else if let Some(v) = resp["verdict"].as_str() {
            format!("claim: {v}")
        } else if resp["abstained"].as_bool() == Some(true) {
            "question: abstained".to_string()
        } else {
            "question: answered".to_string()
        };
        *counts.entry(key).or_default() += 1.0;
    }
    counts.into_iter().collect()
}

fn latency_histogram(rows: &[Value]) -> Vec<(String, f64)> {
    let edges = [1.0, 10.0, 100.0, 1_000.0, 10_000.0, 60_000.0, f64::INFINITY];
    let mut counts = vec![0.0; edges.len()];
    for ms in rows.iter().filter_map(|r| r["elapsed_ms"].as_f64()) {
        let i = edges
            .iter()
            .position(|e| ms < *e)
            .unwrap_or(edges.len() - 1);
        counts[i] += 1.0;
    }
    let labels = [
        "<1",
        "1–10",
        "10–100",
        "0.1–1 s",
        "1–10 s",
        "10–60 s",
        "≥60 s",
    ];
    labels
        .iter()
        .zip(counts)
        .map(|(l, c)| (l.to_string(), c))
        .collect()
}

/// A horizontal bar chart as inline SVG.
fn bars(data: &[(String, f64)]) -> String {
    let max = data.iter().map(|d| d.1).fold(0.0_f64, f64::max).max(1.0);
    let height = 22 * data.len().max(1) + 4;
    let mut h = format!("<svg width=\"640\" height=\"{height}\" role=\"img\">");
    for (i, (label, v)) in data.iter().enumerate() {
        let y = 4 + 22 * i;
        let w = (400.0 * v / max).round();
        let _ = write!(
            h,
            "<text x=\"0\" y=\"{}\">{}</text><rect class=\"bar\" x=\"170\" y=\"{y}\" width=\"{w}\" height=\"16\"/><text x=\"{}\" y=\"{}\">{v}</text>",
            y + 13, escape(label), 176.0 + w, y + 13
        );
    }
    h.push_str("</svg>");
    h
}

fn row_table(rows: &[Value]) -> String {
    let mut h = String::from(
        "<h2>Rows</h2><table><tr><th>id</th><th>input</th><th>result</th><th>citations</th></tr>",
    );
    for (r, row) in rows.iter().enumerate() {
        let input = row["input"]["question"]
            .as_str()
            .or(row["input"]["claim"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| row["input"].to_string());
        let resp = &row["response"];
        let result = if !row["error"].is_null() {
            format!(
                "<span class=\"err\">{}</span>",
                escape(row["error"]["message"].as_str().unwrap_or("error"))
            )
        } else if let Some(v) = resp["verdict"].as_str() {
            format!(
                "<b>{}</b> {}",
                escape(v),
                escape(resp["explanation"].as_str().unwrap_or(""))
            )
        } else {
            escape(resp["answer"].as_str().unwrap_or(""))
        };
        let mut chips = String::new();
        for (k, c) in resp["citations"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let _ = write!(
                chips,
                "<a class=\"chip\" href=\"#c-{r}-{k}\">[{}] {}:{}</a>",
                k + 1,
                escape(c["source"].as_str().unwrap_or("")),
                c["start_line"].as_u64().unwrap_or(0)
            );
        }
        let id = escape(row["id"].as_str().unwrap_or(""));
        let _ = write!(
            h,
            "<tr><td>{id}</td><td>{}</td><td>{result}</td><td>{chips}</td></tr>",
            escape(&input)
        );
    }
    h.push_str("</table>");
    h
}

fn cited_lines(rows: &[Value], corpus: &Corpus) -> String {
    let mut h = String::from("<h2>Cited lines</h2>");
    for (r, row) in rows.iter().enumerate() {
        for (k, c) in row["response"]["citations"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let source = c["source"].as_str().unwrap_or("");
            let (start, end) = (
                c["start_line"].as_u64().unwrap_or(0) as usize,
                c["end_line"].as_u64().unwrap_or(0) as usize,
            );
            let quote = c["quote"].as_str().unwrap_or("");
            let id = escape(row["id"].as_str().unwrap_or(""));
            let _ = write!(h, "<div class=\"cite\" id=\"c-{r}-{k}\"><b>{id} [{}]</b> {} lines {start}–{end}<div class=\"lines\">", k + 1, escape(source));
            match corpus.file(source).and_then(|f| f.line_range(start, end)) {
                Some(lines) => {
                    for (i, line) in lines.iter().enumerate() {
                        let _ = writeln!(h, "{:>4}  {}", start + i, highlight(line, quote));
                    }
                }
                None => h.push_str("<span class=\"err\">these lines are not in the corpus</span>"),
            }
            h.push_str("</div></div>");
        }
    }
    h
}

/// The line escaped, with the quote (when it stands in the line as written) in `<mark>`.
fn highlight(line: &str, quote: &str) -> String {
    match (!quote.is_empty()).then(|| line.find(quote)).flatten() {
        Some(at) => format!(
            "{}<mark>{}</mark>{}",
            escape(&line[..at]),
            escape(quote),
            escape(&line[at + quote.len()..])
        ),
        None => escape(line),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::corpus::SourceFile;
    use serde_json::json;

    #[test]
    fn report_escapes_and_links_citations() {
        let corpus = Corpus::from_files(vec![SourceFile::from_text(
            "a.txt",
            "<b>x</b> 회동은 1시간 50분\n",
        )]);
        let rows = vec![json!({
            "id": "c1", "input": {"claim": "<img src=x onerror=alert(1)>"}, "elapsed_ms": 12.0,
            "response": {"verdict": "refuted", "explanation": "no", "citations": [
                {"source": "a.txt", "start_line": 1, "end_line": 1, "quote": "1시간 50분"}]},
            "error": null
        })];
        let page = render(&rows, None, &corpus);
        assert!(!page.contains("<img"));
        assert!(page.contains("&lt;img src=x"));
        assert!(page.contains("href=\"#c-0-0\""));
        assert!(page.contains("id=\"c-0-0\""));
        assert!(page.contains("<mark>1시간 50분</mark>"));
        assert!(page.contains("&lt;b&gt;x&lt;/b&gt;"));
    }
}
