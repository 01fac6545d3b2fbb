//! Choosing what the model reads: the retrieved passages that fit a character budget, labelled
//! `P1..Pn` in rank order. Prompt length is the main cost on CPU, so a long passage is cut down
//! to its best sentence (the hit's highlight) and the sentences next to it, up to a per-passage
//! cap; sentences are kept verbatim so that any quote of them is a quote of the corpus.

use serde::Serialize;

use crate::retrieval::index::{Hit, Retriever};
use crate::text::{char_len, sentence_spans};

/// Budget settings for the context.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Most characters of passage text in all.
    pub total_chars: usize,
    /// Most characters taken from one passage.
    pub passage_chars: usize,
    /// Hits whose query coverage is below this are left out (the first hit is always kept).
    pub min_coverage: f32,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            total_chars: 1200,
            passage_chars: 360,
            min_coverage: 0.2,
        }
    }
}

/// A passage as given to the model.
#[derive(Debug, Clone, Serialize)]
pub struct ContextPassage {
    /// The label the model cites (`P1`).
    pub label: String,
    /// The passage's stable id.
    pub id: String,
    pub source: String,
    pub start_line: usize,
    pub end_line: usize,
    /// The sentences shown, in passage order, verbatim.
    #[serde(skip)]
    pub sentences: Vec<String>,
    /// The shown text: the sentences joined, with ` … ` where sentences were left out.
    pub text: String,
    /// The hit's best sentence.
    pub highlight: String,
    pub score: f32,
    pub coverage: f32,
    /// Index into [`Retriever::passages`].
    #[serde(skip)]
    pub passage: usize,
}

/// Picks and trims passages from `hits` (in rank order) within `budget`.
pub fn select(retriever: &Retriever, hits: &[Hit], budget: Budget) -> Vec<ContextPassage> {
    let mut out: Vec<ContextPassage> = Vec::new();
    let mut used = 0;
    for hit in hits {
        if !out.is_empty() && hit.coverage < budget.min_coverage {
            continue;
        }
        let p = &retriever.passages()[hit.passage];
        let (sentences, text) = trim(&p.text, hit.highlight.clone(), budget.passage_chars);
        let n = char_len(&text);
        if !out.is_empty() && used + n > budget.total_chars {
            continue;
        }
        used += n;
        out.push(ContextPassage {
            label: crate::markers::label(out.len() + 1),
            id: p.id.clone(),
            source: p.source.clone(),
            start_line: p.start_line,
            end_line: p.end_line,
            sentences,
            text,
            highlight: p.text.get(hit.highlight.clone()).unwrap_or("").to_string(),
            score: hit.score,
            coverage: hit.coverage,
            passage: hit.passage,
        });
    }
    out
}

/// Passage characters that should fit after a context overflow: the prompt had `prompt_chars`
/// characters and `prompt_tokens` tokens, and `room` tokens are available. The non-passage part
/// of the prompt keeps its size; a tenth of what is left is kept in reserve. `None` when nothing
/// would fit.
pub fn fit_chars(
    ctx: &[ContextPassage],
    prompt_chars: usize,
    prompt_tokens: usize,
    room: usize,
) -> Option<usize> {
    let passage_chars: usize = ctx.iter().map(|p| char_len(&p.text)).sum();
    if prompt_chars == 0 || prompt_tokens == 0 {
        return None;
    }
    let per_char = prompt_tokens as f64 / prompt_chars as f64;
    let fixed = (prompt_chars.saturating_sub(passage_chars)) as f64 * per_char;
    let left = (room as f64 - fixed) * 0.9;
    (left > 0.0)
        .then(|| (left / per_char) as usize)
        .filter(|&c| c > 0)
}

/// Keeps the leading passages whose text fits in `max_chars`; when even the first does not, cuts
/// it to its highlight sentence. False when nothing fits.
pub fn shrink(ctx: &mut Vec<ContextPassage>, max_chars: usize) -> bool {
    let mut used = 0;
    let keep = ctx
        .iter()
        .take_while(|p| {
            used += char_len(&p.text);
            used <= max_chars
        })
        .count();
    if keep > 0 {
        ctx.truncate(keep);
        return true;
    }
    ctx.truncate(1);
    match ctx.first_mut() {
        Some(p) if !p.highlight.is_empty() && char_len(&p.highlight) <= max_chars => {
            p.sentences = vec![p.highlight.clone()];
            p.text = format!("… {} …", p.highlight);
            true
        }
        _ => {
            ctx.clear();
            false
        }
    }
}

/// The sentences of `text` kept around the highlight within `cap` characters, and the shown text.
pub fn trim(text: &str, highlight: std::ops::Range<usize>, cap: usize) -> (Vec<String>, String) {
    let spans = sentence_spans(text);
    if spans.is_empty() {
        return (Vec::new(), String::new());
    }
    let center = spans
        .iter()
        .position(|s| s.start <= highlight.start && highlight.start < s.end.max(s.start + 1))
        .unwrap_or(0);
    let (mut lo, mut hi) = (center, center);
    let mut size = char_len(&text[spans[center].clone()]);
    loop {
        let mut grew = false;
        for next in [hi + 1, lo.wrapping_sub(1)] {
            let Some(span) = spans.get(next) else {
                continue;
            };
            let n = char_len(&text[span.clone()]) + 1;
            if size + n <= cap {
                size += n;
                if next > hi {
                    hi = next;
                } else {
                    lo = next;
                }
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let sentences: Vec<String> = spans[lo..=hi]
        .iter()
        .map(|s| text[s.clone()].to_string())
        .collect();
    let mut shown = String::new();
    if lo > 0 {
        shown.push_str("… ");
    }
    shown.push_str(&sentences.join(" "));
    if hi + 1 < spans.len() {
        shown.push_str(" …");
    }
    (sentences, shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(label: &str, text: &str) -> ContextPassage {
        ContextPassage {
            label: label.into(),
            id: label.into(),
            source: "a.txt".into(),
            start_line: 1,
            end_line: 1,
            sentences: vec![text.into()],
            text: text.into(),
            highlight: text.split(". ").next().unwrap_or("").into(),
            score: 1.0,
            coverage: 1.0,
            passage: 0,
        }
    }

    #[test]
    fn shrinking_keeps_leading_passages_or_the_first_highlight() {
        let mut ctx = vec![
            passage("P1", "가나다라. 마바사"),
            passage("P2", "아자차카타"),
        ];
        assert!(shrink(&mut ctx, 12));
        assert_eq!(ctx.len(), 1);
        assert!(shrink(&mut ctx, 5));
        assert_eq!(ctx[0].sentences, ["가나다라"]);
        assert!(!shrink(&mut ctx, 2));
        assert!(ctx.is_empty());
        // 1000 prompt chars took 2000 tokens, 100 chars of them passages: 1800 tokens are fixed.
        let ctx = vec![passage("P1", &"가".repeat(100))];
        assert_eq!(fit_chars(&ctx, 1000, 2000, 1000), None);
        assert_eq!(fit_chars(&ctx, 1000, 2000, 4000), Some(990));
        assert_eq!(fit_chars(&ctx, 1000, 1000, 1000), Some(90));
    }

    #[test]
    fn long_text_keeps_the_highlight_and_neighbours() {
        let text = "첫째 문장이다. 둘째 문장이다. 셋째가 핵심이다. 넷째 문장이다. 다섯째 문장이다.";
        let at = text.find("셋째").unwrap();
        let (s, shown) = trim(text, at..at + 10, 30);
        assert!(s.contains(&"셋째가 핵심이다.".to_string()));
        assert!(s.len() < 5);
        assert!(shown.starts_with("… ") && shown.ends_with(" …"), "{shown}");
        for sentence in &s {
            assert!(text.contains(sentence.as_str()));
        }
        let (all, shown) = trim(text, 0..1, 1000);
        assert_eq!(all.len(), 5);
        assert_eq!(shown, text);
    }
}
