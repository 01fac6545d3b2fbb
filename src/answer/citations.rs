//! Citation markers in model output and their verification against the corpus.
//!
//! The model writes `[P3]` after the sentence it supports (several allowed: `[P1][P3]`, or
//! `[P1, P3]`; the grammar is [`crate::markers`]). [`resolve`] splits the answer into sentences, attaches each marker to the sentence
//! before it and turns each (sentence, marker) pair into a [`Citation`] or a [`Rejected`] entry:
//! - a label that was not given to the model → `unknown_passage`;
//! - a sentence with a quoted span (`“…”`, `‘…’`, `"…"`, `'…'`, 4+ characters) whose quote is not
//!   in the cited passage's lines (after NFC and whitespace folding) → `quote_not_in_source`;
//!   otherwise the quote is that span;
//! - without a quoted span, the quote is the sentence of the cited passage that shares the most
//!   content tokens with the answer sentence (verbatim by construction); none shared →
//!   `unrelated_passage`.
//!
//! Every citation is then checked once more against the corpus lines by [`verify_citation`], the
//! one check shared by the pipeline and the evaluation.

use std::collections::HashSet;

use super::context::ContextPassage;
use super::{Citation, RejectReason, Rejected, SentenceView};
use crate::markers;
use crate::retrieval::analyzer::{analyze, Options};
use crate::retrieval::corpus::Corpus;
use crate::text::{char_len, comparable, fold_whitespace, sentence_spans};

/// Shortest quoted span (in characters) that must be found in the source.
pub const MIN_QUOTE_CHARS: usize = 4;

/// A sentence of an answer with the markers that follow it.
#[derive(Debug, Clone, PartialEq)]
pub struct Marked {
    /// The sentence without markers, whitespace folded.
    pub text: String,
    /// Marker contents in order (`P1`), as written.
    pub markers: Vec<String>,
}

/// Splits `answer` into sentences with their markers. A marker belongs to the last sentence
/// that starts before it (the first sentence when it comes first).
pub fn split_marked(answer: &str) -> Vec<Marked> {
    let mut clean = String::with_capacity(answer.len());
    let mut markers: Vec<(usize, String)> = Vec::new();
    let mut rest = answer;
    while let Some(open) = rest.find(markers::OPEN) {
        let after = &rest[open + 1..];
        match after
            .find(markers::CLOSE)
            .filter(|&close| close <= markers::MAX_BODY)
        {
            Some(close) if markers::labels(&after[..close]).is_some() => {
                clean.push_str(&rest[..open]);
                for l in markers::labels(&after[..close]).unwrap_or_default() {
                    markers.push((clean.len(), l));
                }
                clean.push(' ');
                rest = &after[close + 1..];
            }
            _ => {
                clean.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    clean.push_str(rest);
    let spans = sentence_spans(&clean);
    let mut out: Vec<Marked> = spans
        .iter()
        .map(|s| Marked {
            text: tidy(&clean[s.clone()]),
            markers: Vec::new(),
        })
        .collect();
    for (pos, label) in markers {
        let at = spans.iter().rposition(|s| s.start < pos).unwrap_or(0);
        if let Some(m) = out.get_mut(at) {
            m.markers.push(label);
        }
    }
    out.retain(|m| !m.text.is_empty() || !m.markers.is_empty());
    out
}

/// Folds whitespace and drops spaces left before punctuation by removed markers.
fn tidy(s: &str) -> String {
    let folded = fold_whitespace(s);
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if matches!(c, '.' | ',' | '!' | '?' | '。') && out.ends_with(' ') {
            out.pop();
        }
        out.push(c);
    }
    out
}

/// Quoted spans of `sentence` of at least [`MIN_QUOTE_CHARS`] characters, without the marks.
pub fn quoted_spans(sentence: &str) -> Vec<String> {
    const PAIRS: &[(char, char)] = &[
        ('“', '”'),
        ('‘', '’'),
        ('"', '"'),
        ('\'', '\''),
        ('「', '」'),
        ('『', '』'),
    ];
    let chars: Vec<char> = sentence.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some(&(_, close)) = PAIRS.iter().find(|(o, _)| *o == chars[i]) else {
            i += 1;
            continue;
        };
        let ascii = chars[i].is_ascii();
        if ascii && i > 0 && chars[i - 1].is_alphanumeric() {
            i += 1;
            continue;
        }
        match chars[i + 1..].iter().position(|&c| c == close) {
            Some(len) => {
                let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                if char_len(inner.trim()) >= MIN_QUOTE_CHARS {
                    out.push(inner.trim().to_string());
                }
                i += len + 2;
            }
            None => i += 1,
        }
    }
    out
}

/// The lines `start..=end` of `source`, joined, as a comparison key.
fn lines_key(corpus: &Corpus, source: &str, start: usize, end: usize) -> Option<String> {
    let lines = corpus.file(source)?.line_range(start, end)?;
    Some(comparable(&lines.join("\n")))
}

/// The final check of a citation against the corpus: the file exists, the lines exist, and the
/// quote (non-empty) stands in those lines after NFC and whitespace folding.
pub fn verify_citation(corpus: &Corpus, c: &Citation) -> Result<(), RejectReason> {
    verify_quote(corpus, &c.source, c.start_line, c.end_line, &c.quote)
}

/// [`verify_citation`] on the parts of a citation (as read back from JSON, say).
pub fn verify_quote(
    corpus: &Corpus,
    source: &str,
    start_line: usize,
    end_line: usize,
    quote: &str,
) -> Result<(), RejectReason> {
    let quote = comparable(quote);
    if quote.is_empty() {
        return Err(RejectReason::QuoteNotInSource);
    }
    let key =
        lines_key(corpus, source, start_line, end_line).ok_or(RejectReason::UnknownPassage)?;
    if key.contains(&quote) {
        Ok(())
    } else {
        Err(RejectReason::QuoteNotInSource)
    }
}

/// The narrowest lines of `p` that hold `quote` (the passage's lines when it spans several).
pub fn quote_lines(corpus: &Corpus, p: &ContextPassage, quote: &str) -> (usize, usize) {
    let q = comparable(quote);
    (p.start_line..=p.end_line)
        .find(|&l| lines_key(corpus, &p.source, l, l).is_some_and(|k| k.contains(&q)))
        .map_or((p.start_line, p.end_line), |l| (l, l))
}

/// The content tokens of `text` (the retrieval analyzer's, default options).
pub fn tokens(text: &str) -> HashSet<String> {
    analyze(text, Options::default()).into_iter().collect()
}

/// The sentence of `p` sharing the most content tokens with `sentence`, if any shares one.
pub fn best_match(p: &ContextPassage, sentence: &str) -> Option<String> {
    let want = tokens(sentence);
    p.sentences
        .iter()
        .map(|s| (tokens(s).intersection(&want).count(), s))
        .filter(|(n, _)| *n > 0)
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.len().cmp(&a.1.len())))
        .map(|(_, s)| s.clone())
}

/// The outcome of resolving an answer's markers.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub sentences: Vec<SentenceView>,
    pub citations: Vec<Citation>,
    pub rejected: Vec<Rejected>,
}

/// Resolves and verifies every marker of `answer` against the passages given to the model.
pub fn resolve(answer: &str, ctx: &[ContextPassage], corpus: &Corpus) -> Resolved {
    resolve_marked(&split_marked(answer), ctx, corpus)
}

/// [`resolve`] over sentences already split.
pub fn resolve_marked(marked: &[Marked], ctx: &[ContextPassage], corpus: &Corpus) -> Resolved {
    let mut out = Resolved::default();
    for (n, m) in marked.iter().enumerate() {
        let quotes = quoted_spans(&m.text);
        let cited: Vec<Option<&ContextPassage>> = m
            .markers
            .iter()
            .map(|l| ctx.iter().find(|p| p.label == *l))
            .collect();
        let in_some = |q: &String| {
            cited.iter().flatten().any(|p| {
                lines_key(corpus, &p.source, p.start_line, p.end_line)
                    .is_some_and(|k| k.contains(&comparable(q)))
            })
        };
        let all_quotes_found = quotes.iter().all(in_some);
        let mut view = SentenceView {
            text: m.text.clone(),
            supported: false,
            citations: Vec::new(),
        };
        for (label, p) in m.markers.iter().zip(&cited) {
            let cited = match p {
                None => Err(RejectReason::UnknownPassage),
                Some(p) => cite(p, &m.text, &quotes, all_quotes_found, corpus),
            };
            let c = match cited {
                Ok(c) => c,
                Err(reason) => {
                    out.rejected.push(Rejected {
                        marker: markers::marker(label),
                        reason,
                        sentence: n,
                    });
                    continue;
                }
            };
            let idx = match out.citations.iter().position(|x| x == &c) {
                Some(i) => i,
                None => {
                    out.citations.push(c);
                    out.citations.len() - 1
                }
            };
            if !view.citations.contains(&idx) {
                view.citations.push(idx);
            }
        }
        view.supported = !view.citations.is_empty();
        if !view.text.is_empty() {
            out.sentences.push(view);
        }
    }
    out
}

/// The citation of passage `p` for an answer sentence with its quoted spans, verified.
fn cite(
    p: &ContextPassage,
    sentence: &str,
    quotes: &[String],
    all_quotes_found: bool,
    corpus: &Corpus,
) -> Result<Citation, RejectReason> {
    let quote = if quotes.is_empty() {
        best_match(p, sentence).ok_or(RejectReason::UnrelatedPassage)?
    } else {
        let key = lines_key(corpus, &p.source, p.start_line, p.end_line);
        let here = quotes
            .iter()
            .find(|q| key.as_ref().is_some_and(|k| k.contains(&comparable(q))));
        match here {
            Some(q) if all_quotes_found => q.clone(),
            _ => return Err(RejectReason::QuoteNotInSource),
        }
    };
    passage_citation(p, quote, corpus)
}

/// The citation of `quote` in passage `p` (its narrowest lines), verified against the corpus.
pub fn passage_citation(
    p: &ContextPassage,
    quote: String,
    corpus: &Corpus,
) -> Result<Citation, RejectReason> {
    let (start_line, end_line) = quote_lines(corpus, p, &quote);
    let c = Citation {
        id: p.id.clone(),
        label: p.label.clone(),
        source: p.source.clone(),
        start_line,
        end_line,
        quote,
        side: None,
    };
    verify_citation(corpus, &c).map(|()| c)
}

/// Removes markup an answer must not carry: markdown images (dropped), markdown links (their
/// text kept), HTML tags (dropped) and `javascript:` / `data:` URL schemes.
pub fn sanitize(text: &str) -> String {
    // Removing one piece of markup can join the text around it into another; repeat until stable.
    let mut current = sanitize_once(text);
    for _ in 0..8 {
        let next = sanitize_once(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn sanitize_once(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = [rest.find("!["), rest.find('['), rest.find('<')]
            .into_iter()
            .flatten()
            .min();
        let Some(at) = next else { break };
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(len) = markdown_link(tail) {
            let (label, consumed) = len;
            if !tail.starts_with('!') {
                out.push_str(label);
            }
            rest = &tail[consumed..];
        } else if let Some(len) = html_tag(tail) {
            rest = &tail[len..];
        } else {
            let c = tail.chars().next().map_or(1, char::len_utf8);
            out.push_str(&tail[..c]);
            rest = &tail[c..];
        }
    }
    out.push_str(rest);
    out.replace("javascript:", "")
        .replace("data:text/", "")
        .replace("data:image/", "")
}

/// `![label](url)` or `[label](url)` at the start: the label and the bytes consumed.
fn markdown_link(s: &str) -> Option<(&str, usize)> {
    let body = s.strip_prefix('!').unwrap_or(s).strip_prefix('[')?;
    let close = body.find(']')?;
    let after = body[close + 1..].strip_prefix('(')?;
    let end = after.find(')')?;
    let consumed = s.len() - after.len() + end + 1;
    Some((&body[..close], consumed))
}

/// An HTML tag at the start (`<b>`, `</div>`, `<img src=…>`): its length.
fn html_tag(s: &str) -> Option<usize> {
    let body = s.strip_prefix('<')?;
    let first = body.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '/' || first == '!') {
        return None;
    }
    let end = body.find('>')?;
    (end < 500 && !body[..end].contains('<')).then_some(end + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::corpus::SourceFile;

    fn corpus() -> Corpus {
        Corpus::from_files(vec![SourceFile::from_text(
            "a.txt",
            "제목\n소프트뱅크는 약 230억 달러의 현금을 보유했다. 순자산은 1,720억 달러다.\n베타는 ‘사카이 공장’을 인수했다.\n",
        )])
    }

    fn ctx(label: &str, line: usize, text: &str) -> ContextPassage {
        ContextPassage {
            label: label.into(),
            id: format!("a:{line}-{line}"),
            source: "a.txt".into(),
            start_line: line,
            end_line: line,
            sentences: sentence_spans(text)
                .into_iter()
                .map(|r| text[r].to_string())
                .collect(),
            text: text.into(),
            highlight: String::new(),
            score: 1.0,
            coverage: 1.0,
            passage: 0,
        }
    }

    fn passages() -> Vec<ContextPassage> {
        let c = corpus();
        let f = c.file("a.txt").unwrap();
        vec![ctx("P1", 2, &f.lines[1]), ctx("P2", 3, &f.lines[2])]
    }

    #[test]
    fn markers_attach_to_the_sentence_before() {
        let m = split_marked("현금은 230억 달러다 [P1]. 순자산은 크다.[P1][P2] 끝");
        assert_eq!(m[0].text, "현금은 230억 달러다.");
        assert_eq!(m[0].markers, ["P1"]);
        assert_eq!(m[1].markers, ["P1", "P2"]);
        assert_eq!(m[2].text, "끝");
        let m = split_marked("[P1, P2] 앞에 온 표시. [사진] 설명 [P9]");
        assert_eq!(m[0].markers, ["P1", "P2"]);
        assert_eq!(m[1].text, "[사진] 설명");
        assert_eq!(m[1].markers, ["P9"]);
    }

    #[test]
    fn quoted_spans_of_four_chars_or_more() {
        assert_eq!(quoted_spans("그는 “혼란스럽다”고 말했다"), ["혼란스럽다"]);
        assert_eq!(quoted_spans("‘사카이 공장’과 '짧다'"), ["사카이 공장"]);
        assert!(quoted_spans("SoftBank's plan isn't 'odd'").is_empty());
    }

    #[test]
    fn valid_unknown_and_false_quotes() {
        let c = corpus();
        let r = resolve(
            "소프트뱅크의 현금은 230억 달러다 [P1]. 베타는 ‘사카이 공장’을 샀다 [P2]. 거짓 [P9]. 베타는 ‘오사카 공장’을 샀다 [P2].",
            &passages(),
            &c,
        );
        assert_eq!(r.citations.len(), 2, "{r:?}");
        assert_eq!(
            r.citations[0].quote,
            "소프트뱅크는 약 230억 달러의 현금을 보유했다."
        );
        assert_eq!(r.citations[1].quote, "사카이 공장");
        assert_eq!((r.citations[1].start_line, r.citations[1].end_line), (3, 3));
        let reasons: Vec<_> = r.rejected.iter().map(|x| x.reason).collect();
        assert_eq!(
            reasons,
            [RejectReason::UnknownPassage, RejectReason::QuoteNotInSource]
        );
        assert_eq!(r.rejected[0].marker, "[P9]");
        assert!(r.sentences[0].supported && !r.sentences[2].supported);
        for cit in &r.citations {
            assert_eq!(verify_citation(&c, cit), Ok(()));
        }
    }

    #[test]
    fn unrelated_passage_is_rejected() {
        let r = resolve("Completely different words [P2].", &passages(), &corpus());
        assert!(r.citations.is_empty());
        assert_eq!(r.rejected[0].reason, RejectReason::UnrelatedPassage);
    }

    #[test]
    fn verification_rejects_wrong_lines_and_quotes() {
        let c = corpus();
        let mut cit = Citation {
            id: "a:2-2".into(),
            label: "P1".into(),
            source: "a.txt".into(),
            start_line: 2,
            end_line: 2,
            quote: "230억  달러의\n현금".into(),
            side: None,
        };
        assert_eq!(verify_citation(&c, &cit), Ok(()));
        cit.start_line = 3;
        cit.end_line = 3;
        assert_eq!(
            verify_citation(&c, &cit),
            Err(RejectReason::QuoteNotInSource)
        );
        cit.end_line = 99;
        assert_eq!(verify_citation(&c, &cit), Err(RejectReason::UnknownPassage));
        cit.source = "../etc/passwd".into();
        assert!(verify_citation(&c, &cit).is_err());
    }

    #[test]
    fn sanitize_removes_markup() {
        assert_eq!(
            sanitize("답 ![x](http://evil.example/x.png) 와 [링크](http://a.b) <img src=x onerror=y>끝 [P1] 1 < 2"),
            "답  와 링크 끝 [P1] 1 < 2"
        );
    }

    fn piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            Just("소프트뱅크는 현금을 보유했다".to_string()),
            Just("순자산은 1,720억 달러다".to_string()),
            Just("‘사카이 공장’".to_string()),
            Just("‘오사카 공장’".to_string()),
            Just("\"230억 달러의 현금\"".to_string()),
            Just("[P1]".to_string()),
            Just("[P2]".to_string()),
            Just("[P9]".to_string()),
            Just("[P1, P2]".to_string()),
            Just(". ".to_string()),
            Just("](".to_string()),
            Just(")".to_string()),
            Just("![".to_string()),
            Just("<b>".to_string()),
            Just("<".to_string()),
            Just(">".to_string()),
            Just(" ".to_string()),
            "\\PC{0,12}",
        ]
    }

    proptest::proptest! {
        #[test]
        fn every_returned_citation_verifies(parts in proptest::collection::vec(piece(), 0..24)) {
            let answer: String = parts.concat();
            let c = corpus();
            let r = resolve(&answer, &passages(), &c);
            for cit in &r.citations {
                proptest::prop_assert_eq!(verify_citation(&c, cit), Ok(()));
            }
            for s in &r.sentences {
                proptest::prop_assert_eq!(s.supported, !s.citations.is_empty());
                for &i in &s.citations {
                    proptest::prop_assert!(i < r.citations.len());
                }
            }
            let clean = sanitize(&answer);
            for (i, _) in clean.match_indices('[') {
                proptest::prop_assert!(markdown_link(&clean[i..]).is_none(), "{}", clean);
            }
            for (i, _) in clean.match_indices('<') {
                proptest::prop_assert!(html_tag(&clean[i..]).is_none(), "{}", clean);
            }
        }
    }
}
