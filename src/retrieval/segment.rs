//! Segmentation: cutting corpus files into passages, the unit of retrieval and citation.
//!
//! A passage is one line, or a piece of a long line cut at sentence ends. Every passage knows its file, its 1-based line range and (for a piece of a line)
//! its byte span in that line, so a citation can always point at exact lines. Ids are derived
//! from the file name and position only, so they are stable across restarts. Segmentation also
//! marks what should not crowd real content out of results: exact repeats of an earlier passage
//! (photo captions printed twice), runs of short list lines (related-article lists, boards) and
//! very short fragments (menus, widgets).

use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;

use crate::retrieval::corpus::{Corpus, SourceFile};
use crate::retrieval::outline::{heading_text, title_line, Outline};
use crate::retrieval::table::{as_fields, TableLine};
use crate::text::{char_len, comparable, is_hangul_syllable, sentence_spans};

/// Lines shorter than this (in characters) count as short (list candidates).
const SHORT_LINE: usize = 80;
/// Lines longer than this are cut into pieces at sentence ends.
const SPLIT_OVER: usize = 400;
/// Target size of a piece of a long line.
const PIECE_TARGET: usize = 260;
/// A single sentence longer than this is cut at spaces.
const HARD_MAX: usize = 600;
/// This many consecutive short lines form a list (related articles, boards, menus).
const LIST_RUN: usize = 5;
/// Passages shorter than this are fragments (menus, bylines, widgets).
const FRAGMENT: usize = 25;

/// What a passage looks like, which sets its ranking prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PassageKind {
    /// Ordinary article text.
    Body,
    /// Part of a run of short list lines.
    List,
    /// A `label: value` line of a run of short lines: a field of a record (a summary box, a
    /// spec sheet), a fact of its own rather than a menu entry.
    Field,
    /// A very short fragment.
    Fragment,
}

impl PassageKind {
    /// Multiplier applied to the lexical retrieval score; `dense` when a sentence encoder's
    /// ranking is fused with it. A field counts as a list line for BM25 alone (short lines
    /// match a question's words too easily, and fields are short), as body text when the
    /// encoder also reads what it says: measured both ways in BENCHMARKS.md ("Fields of a
    /// record").
    pub fn prior(self, dense: bool) -> f32 {
        match self {
            PassageKind::Body => 1.0,
            PassageKind::List => 0.3,
            PassageKind::Field if dense => 1.0,
            PassageKind::Field => 0.3,
            PassageKind::Fragment => 0.6,
        }
    }
}

/// One passage of the corpus.
#[derive(Debug, Clone, Serialize)]
pub struct Passage {
    /// Stable id: `{file stem}:{start}-{end}`, or `{file stem}:{line}.{piece}` for a piece of a line.
    pub id: String,
    /// The corpus file name.
    pub source: String,
    /// 1-based first line.
    pub start_line: usize,
    /// 1-based last line (inclusive).
    pub end_line: usize,
    /// The text as written, outer whitespace trimmed.
    pub text: String,
    /// Byte span within the line, for a piece of a long line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<(usize, usize)>,
    /// What kind of text this is.
    #[serde(skip)]
    pub kind: PassageKind,
    /// Index of an earlier passage with the same text; repeats are not indexed.
    #[serde(skip)]
    pub duplicate_of: Option<usize>,
    /// The file's title and the heading of the section the passage stands in, joined by a
    /// newline (empty when there are none): words that say what the passage is about without
    /// standing in it (a manual's filter section never repeats the model name).
    #[serde(skip)]
    pub context: String,
    /// Whether the line is a section heading (see [`Outline::headings`]).
    #[serde(skip)]
    pub heading: bool,
    /// Whether the passage's section is the agenda item a transcript's line refers to by
    /// number ([`Outline::sections`]), not a heading above it.
    #[serde(skip)]
    pub under_item: bool,
    /// A table row read with its header's column names (`모델명: 노트북 A, 무게: 1.2kg`,
    /// [`crate::retrieval::table::as_fields`]): what the lexical stage reads for it
    /// ([`Passage::reads_as`]), the bare row not saying what its cells are. `None` for any
    /// other line.
    #[serde(skip)]
    pub fields: Option<String>,
}

impl Passage {
    /// Whether the passage is a heading that says nothing of its own: it names what its
    /// section is about (`3. 근무 조건`, `제3조(재택근무 일수)`), and where headings only give
    /// context it is not retrieved. A heading that states a figure beyond its own number says a
    /// fact (`1. 모집 분야 및 인원(총 11명)`, `본인 가구의 소득이 기준 중위소득의 150% 이하일 것`)
    /// and stays retrievable like any line.
    pub fn only_heads(&self) -> bool {
        self.heading && !states_figure(&self.text)
    }

    /// The passage as the lexical stage reads it: a table's row with its column names
    /// ([`Passage::fields`]), any other line as written. Citations, quotes and highlights stay
    /// on [`Passage::text`].
    pub fn reads_as(&self) -> &str {
        self.fields.as_deref().unwrap_or(&self.text)
    }
}

/// Marks after a number that give its order or its period, not a quantity: `제31조`, `제84차`,
/// `2025년`, `3번`.
const ORDINAL_MARKS: &str = "년조항호차장절편관번";

/// Whether `text` states a quantity: a number followed by `%` or by a Hangul counter or unit
/// (`총 11명`, `150% 이하`, `월 20만 원`, `10월 15일부터`), not by a mark of order or period
/// ([`ORDINAL_MARKS`], `1분기`); and it is no question (`Q: What is … the Clara 3.5?`). A
/// number standing alone names or numbers something (`Clara 3.5`, `RV-7`, `1.`, `(2)`).
fn states_figure(text: &str) -> bool {
    let t = text.trim();
    if t.ends_with(['?', '？']) {
        return false;
    }
    let chars: Vec<char> = t.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len()
            && (chars[j].is_ascii_digit()
                || (matches!(chars[j], ',' | '.')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
        {
            j += 1;
        }
        let counted = match chars.get(j) {
            Some('%' | '％') => true,
            Some(&c) => {
                is_hangul_syllable(c)
                    && !ORDINAL_MARKS.contains(c)
                    && !(c == '분' && chars.get(j + 1) == Some(&'기'))
            }
            None => false,
        };
        if counted {
            return true;
        }
        i = j;
    }
    false
}

/// Cuts every file of the corpus into passages, in file and line order, and marks repeats.
pub fn segment_corpus(corpus: &Corpus) -> Vec<Passage> {
    let mut passages: Vec<Passage> = corpus.files.iter().flat_map(segment_file).collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, p) in passages.iter_mut().enumerate() {
        let key = comparable(&p.text);
        match seen.get(&key) {
            Some(&first) => p.duplicate_of = Some(first),
            None => {
                seen.insert(key, i);
            }
        }
    }
    passages
}

/// Cuts one file into passages.
pub fn segment_file(file: &SourceFile) -> Vec<Passage> {
    let stem = file.name.strip_suffix(".txt").unwrap_or(&file.name);
    let lens: Vec<usize> = file.lines.iter().map(|l| char_len(l.trim())).collect();
    let in_list = list_lines(&lens);
    let Outline {
        headings,
        sections,
        tables,
    } = Outline::of(&file.lines);
    let title = title_line(&file.lines);
    let mut out = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        let section = sections[i];
        if len == 0 {
            continue;
        }
        let mut context = Vec::new();
        if let Some(t) = title.filter(|&t| t != i) {
            context.push(heading_text(&file.lines[t]));
        }
        if let Some(h) = section.map(|s| s.line).filter(|&h| Some(h) != title) {
            context.push(heading_text(&file.lines[h]));
        }
        // A table's row is read with its column names, which stand only in the header.
        let header = match tables[i] {
            Some(TableLine::Row(h)) => Some(&file.lines[h]),
            _ => None,
        };
        let context = context.join("\n");
        let mut pieces = if len > SPLIT_OVER {
            line_pieces(file, stem, i)
        } else {
            // A row is content, however short and however many rows stand together.
            vec![whole_line(file, stem, i, in_list[i] && header.is_none())]
        };
        for p in &mut pieces {
            p.context.clone_from(&context);
            // A table's header and rule head its rows as a heading heads its section.
            p.heading =
                headings[i] || matches!(tables[i], Some(TableLine::Header | TableLine::Rule));
            p.under_item = section.is_some_and(|s| s.referred);
            if let Some(h) = header.filter(|_| p.span.is_none()) {
                p.kind = PassageKind::Body;
                p.fields = Some(as_fields(h, &p.text));
            }
        }
        out.extend(pieces);
    }
    out
}

/// Marks lines that belong to a run of at least [`LIST_RUN`] consecutive short lines.
fn list_lines(lens: &[usize]) -> Vec<bool> {
    let mut marks = vec![false; lens.len()];
    let mut i = 0;
    while i < lens.len() {
        let mut j = i;
        while j < lens.len() && lens[j] > 0 && lens[j] < SHORT_LINE {
            j += 1;
        }
        if j - i >= LIST_RUN {
            marks[i..j].iter_mut().for_each(|m| *m = true);
        }
        i = j.max(i + 1);
    }
    marks
}

/// Whether `line` reads `label: value`: a label of a few words without digits (not a time,
/// `14:30`), a colon, then the value (`현재 소장처: 프랑스 국립도서관`, `물통 용량: 4.5L`).
fn is_field(line: &str) -> bool {
    line.split_once([':', '：']).is_some_and(|(label, value)| {
        let label = label.trim();
        !label.is_empty()
            && char_len(label) <= 20
            && !value.trim().is_empty()
            && !label.chars().any(|c| c.is_ascii_digit())
    })
}

fn whole_line(file: &SourceFile, stem: &str, idx: usize, list: bool) -> Passage {
    let text = file.lines[idx].trim().to_string();
    let kind = if list && is_field(&text) {
        PassageKind::Field
    } else if list {
        PassageKind::List
    } else if char_len(&text) < FRAGMENT {
        PassageKind::Fragment
    } else {
        PassageKind::Body
    };
    Passage {
        id: format!("{stem}:{}-{}", idx + 1, idx + 1),
        source: file.name.clone(),
        start_line: idx + 1,
        end_line: idx + 1,
        text,
        span: None,
        kind,
        duplicate_of: None,
        context: String::new(),
        heading: false,
        under_item: false,
        fields: None,
    }
}

/// Cuts a long line into pieces of whole sentences near `PIECE_TARGET` characters.
fn line_pieces(file: &SourceFile, stem: &str, idx: usize) -> Vec<Passage> {
    let line = &file.lines[idx];
    pack_sentences(line)
        .into_iter()
        .enumerate()
        .map(|(k, r)| Passage {
            id: format!("{stem}:{}.{}", idx + 1, k + 1),
            source: file.name.clone(),
            start_line: idx + 1,
            end_line: idx + 1,
            text: line[r.clone()].to_string(),
            span: Some((r.start, r.end)),
            kind: PassageKind::Body,
            duplicate_of: None,
            context: String::new(),
            heading: false,
            under_item: false,
            fields: None,
        })
        .collect()
}

/// Groups the sentences of `line` into byte ranges of about `PIECE_TARGET` characters.
pub fn pack_sentences(line: &str) -> Vec<Range<usize>> {
    let mut sentences = Vec::new();
    for s in sentence_spans(line) {
        sentences.extend(cut_at_spaces(line, s));
    }
    let mut pieces: Vec<Range<usize>> = Vec::new();
    let mut size = 0;
    for s in sentences {
        let n = char_len(&line[s.clone()]);
        match pieces.last_mut() {
            Some(last) if size + n <= PIECE_TARGET => {
                last.end = s.end;
                size += n + 1;
            }
            _ => {
                pieces.push(s);
                size = n;
            }
        }
    }
    pieces
}

/// Cuts a sentence longer than [`HARD_MAX`] characters at spaces into parts of at most that size
/// (a part with no space in reach is cut at a character boundary).
fn cut_at_spaces(line: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let mut start = range.start;
    while char_len(&line[start..range.end]) > HARD_MAX {
        let limit = line[start..range.end]
            .char_indices()
            .nth(HARD_MAX)
            .map_or(range.end, |(b, _)| start + b);
        let cut = line[start..limit]
            .rfind(char::is_whitespace)
            .map(|b| start + b)
            .filter(|&c| c > start)
            .unwrap_or(limit);
        parts.push(start..cut);
        start = cut + line[cut..].len() - line[cut..].trim_start().len();
    }
    if start < range.end {
        parts.push(start..range.end);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::outline::numbered_label;

    fn file(text: &str) -> SourceFile {
        SourceFile::from_text("t.txt", text)
    }

    #[test]
    fn each_line_is_a_passage_and_blank_lines_none() {
        let long = "가".repeat(100);
        let f = file(&format!("제목\n부제\n\n{long}\n짧은 줄"));
        let p = segment_file(&f);
        let lines: Vec<_> = p.iter().map(|x| (x.start_line, x.end_line)).collect();
        assert_eq!(lines, vec![(1, 1), (2, 2), (4, 4), (5, 5)]);
        assert_eq!(p[0].id, "t:1-1");
        assert_eq!(p[3].kind, PassageKind::Fragment);
        assert_eq!(p[2].kind, PassageKind::Body);
    }

    #[test]
    fn long_lines_are_cut_at_sentence_ends() {
        let sentence = format!("{}다. ", "나".repeat(99));
        let f = file(&sentence.repeat(6));
        let p = segment_file(&f);
        assert!(p.len() >= 3, "{} pieces", p.len());
        for (k, piece) in p.iter().enumerate() {
            assert_eq!(piece.id, format!("t:1.{}", k + 1));
            assert!(piece.text.ends_with("다."));
            let (a, b) = piece.span.unwrap();
            assert_eq!(&f.lines[0][a..b], piece.text);
        }
    }

    #[test]
    fn runs_of_short_lines_are_lists() {
        let list: Vec<String> = (0..8).map(|i| format!("- 관련 기사 제목 {i}")).collect();
        let p = segment_file(&file(&list.join("\n")));
        assert!(p.iter().all(|x| x.kind == PassageKind::List));
    }

    #[test]
    fn label_value_lines_of_a_run_are_fields() {
        let summary = "요약\n편찬자: 백운화상 경한\n인쇄: 1377년 7월\n인쇄 방식: 금속활자\n현재 소장처: 프랑스 국립도서관\n회의 시작 14:30";
        let p = segment_file(&file(summary));
        let kinds: Vec<PassageKind> = p.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            [
                PassageKind::List,
                PassageKind::Field,
                PassageKind::Field,
                PassageKind::Field,
                PassageKind::Field,
                PassageKind::List
            ]
        );
        assert!(!is_field("14:30 회의 시작"), "a time");
        assert!(!is_field("주의:"), "no value");
        assert!(!is_field(
            "아주 긴 설명이 이어지는 문장의 앞부분이 여기까지 이어지고: 값"
        ));
        assert_eq!(
            PassageKind::Field.prior(false),
            PassageKind::List.prior(false)
        );
        assert_eq!(
            PassageKind::Field.prior(true),
            PassageKind::Body.prior(true)
        );
    }

    #[test]
    fn repeated_text_is_marked() {
        let line = "사진 설명 문장이 두 번 인쇄되었다. 이것은 충분히 긴 설명입니다.";
        let corpus = Corpus::from_files(vec![file(&format!("{line}\n\n{line}"))]);
        let p = segment_corpus(&corpus);
        assert_eq!(p[0].duplicate_of, None);
        assert_eq!(p[1].duplicate_of, Some(0));
    }

    #[test]
    fn a_markdown_file_is_titled_after_its_front_matter() {
        let f = file("---\ntitle: 회의록\n---\n# 주간 회의록\n\n## 안건\n납기를 2주 미룬다.");
        let p = segment_file(&f);
        let body = p.iter().find(|p| p.start_line == 7).unwrap();
        assert_eq!(body.context, "주간 회의록\n안건");
    }

    #[test]
    fn a_table_row_is_read_with_its_column_names() {
        let f = file(
            "# 가격표\n\n## 사양\n| 모델명 | 무게 | 가격 |\n| --- | --- | --- |\n\
             | 세움북 14 | 1.42kg | 1,290,000원 |\n| 세움탭 11 | 0.68kg | 890,000원 |\n\
             | 세움탭 13 | 0.9kg | 미정 |\n| 세움북 16 | 1.95kg | 1,690,000원 |\n\n가격은 부가세 포함이다.",
        );
        let p = segment_file(&f);
        let by_line = |n: usize| p.iter().find(|p| p.start_line == n).unwrap();
        let row = by_line(6);
        assert_eq!(
            row.text, "| 세움북 14 | 1.42kg | 1,290,000원 |",
            "cited as written"
        );
        assert_eq!(
            row.fields.as_deref(),
            Some("모델명: 세움북 14, 무게: 1.42kg, 가격: 1,290,000원")
        );
        assert_eq!(row.context, "가격표\n사양");
        assert_eq!(
            row.kind,
            PassageKind::Body,
            "a run of rows is no boilerplate list"
        );
        assert_eq!(row.reads_as(), row.fields.as_deref().unwrap());
        assert_eq!(by_line(11).reads_as(), "가격은 부가세 포함이다.");
        assert!(!row.heading);
        assert!(
            by_line(4).heading && by_line(5).heading,
            "the header and its rule head"
        );
        assert!(by_line(4).only_heads() && by_line(5).only_heads());
        let after = by_line(11);
        assert_eq!(
            (after.fields.as_deref(), after.context.as_str()),
            (None, "가격표\n사양")
        );
    }

    #[test]
    fn headings_give_their_section_context() {
        let f = file(
            "청정기 설명서\n1. 제품 사양\n모델명: A-1\n무게: 5kg\n2. 필터 관리\n\
             필터는 여섯 달마다 바꾸십시오. 물로 씻지 마십시오.\nQ. 소음이 큰가요?\n\
             A. 가장 약한 바람에서는 22dB로 조용합니다.\nQ. 바람이 따뜻하게 나와요.\n\
             A: 정상입니다. 압축기의 열이 함께 나옵니다.\nQ. 답이 없는 질문입니다.\n\
             문장은 이렇게 이어집니다.\nQ. 표시 없는 답은요?\n\
             표시 없이 이어지는 답도 그 질문 아래에 있습니다.",
        );
        let lines: Vec<bool> = Outline::of(&f.lines).headings;
        assert_eq!(
            lines,
            vec![
                false, true, false, false, true, false, true, false, true, false, false, false,
                true, false
            ],
            "the title runs into a heading; key: value lines are items"
        );
        let p = segment_file(&f);
        let by_line = |n: usize| p.iter().find(|x| x.start_line == n).unwrap();
        assert_eq!(by_line(6).context, "청정기 설명서\n2. 필터 관리");
        assert_eq!(by_line(8).context, "청정기 설명서\nQ. 소음이 큰가요?");
        // An FAQ question heads its answer even when it ends like a sentence.
        assert_eq!(
            by_line(10).context,
            "청정기 설명서\nQ. 바람이 따뜻하게 나와요."
        );
        // A question without an answer marker after it is a heading as any short line is.
        assert_eq!(by_line(14).context, "청정기 설명서\nQ. 표시 없는 답은요?");
        assert_eq!(by_line(1).context, "");
        assert!(by_line(5).heading && !by_line(6).heading);
    }

    #[test]
    fn a_numbered_agenda_item_heads_its_lines() {
        let f = file(
            "이사회 회의록\n\n제2호 의안: 중간배당 실시의 건\n회사는 1주당 150원의 중간배당을 제안하였다.\n\
             결의: 전원 찬성으로 가결하였다.\n\n2024년 이사회 개최 횟수: 11회\n다음 회의는 9월에 열린다.",
        );
        let marks = Outline::of(&f.lines).headings;
        assert!(marks[2], "an agenda item with its number is a heading");
        assert!(!marks[7], "a fact line's key is no numbered part");
        let p = segment_file(&f);
        let by_line = |n: usize| p.iter().find(|x| x.start_line == n).unwrap();
        assert_eq!(
            by_line(5).context,
            "이사회 회의록\n제2호 의안: 중간배당 실시의 건"
        );
        assert!(
            numbered_label("제 1 조") && numbered_label("제3장") && numbered_label("제2호 의안")
        );
        assert!(
            !numbered_label("제목")
                && !numbered_label("제2호 의안 목록")
                && !numbered_label("제2차")
        );
    }

    #[test]
    fn a_heading_that_states_a_figure_says_a_fact() {
        let heading = |text: &str| Passage {
            heading: true,
            ..whole_line(&file(text), "f", 0, false)
        };
        for plain in [
            "3. 근무 조건",
            "제3조(재택근무 일수)",
            "(2) 신청 방법",
            "제5호 의안: 배당의 건",
            "Q. 여권은 어디서 만드나요?",
            "2025년 하반기 채용 공고",
            "2. 2024 년도 실적",
            "1. 2025년 1분기 경영실적 보고",
            "Covers the Clara 2.4 and the Clara 3.5",
            "Q: 만 18세 미만도 신청할 수 있나요?",
            "「지방공무원법」 제31조의 결격사유",
        ] {
            assert!(heading(plain).only_heads(), "{plain}");
        }
        for fact in [
            "1. 모집 분야 및 인원(총 11명)",
            "본인 가구의 소득이 기준 중위소득의 150% 이하일 것",
            "제2조(지원 금액) 월 20만 원",
            "30% 감면 대상",
            "한결링 10월 15일부터 확대",
        ] {
            assert!(!heading(fact).only_heads(), "{fact}");
        }
        assert!(!Passage {
            heading: false,
            ..heading("3. 근무 조건")
        }
        .only_heads());
    }

    #[test]
    fn a_giant_sentence_is_cut_at_spaces() {
        let words = "단어 ".repeat(1000);
        let pieces = pack_sentences(words.trim());
        assert!(pieces.len() > 1);
        for r in pieces {
            assert!(char_len(&words[r]) <= HARD_MAX);
        }
    }
}
