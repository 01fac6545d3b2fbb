//! Outline: how a file's lines are organised, read from their layout alone. Which lines are
//! section headings, which are the numbered items of a list, and which line a passage stands
//! under, so a passage can be read with the words that say what it is about without standing
//! in it: its section's heading, or the agenda item a transcript line refers to by number
//! (`의사일정 제2항은 … 보류하고`, under `2. 청년 월세 지원에 관한 조례 일부개정조례안`).

use crate::retrieval::table::{table_lines, TableLine};
use crate::text::char_len;

/// Longest line, in characters, that can be a heading.
const HEADING_MAX: usize = 40;

/// A file's outline: which lines are section headings, and which line each line stands under
/// (its section's heading, or the agenda item it refers to by number). The rules are in this
/// module's `headings` and `sections`.
pub struct Outline {
    /// Whether each line is a section heading.
    pub headings: Vec<bool>,
    /// The heading or agenda item each line stands under, if any.
    pub sections: Vec<Option<Section>>,
    /// What each line is to a table written with pipes, if anything
    /// ([`crate::retrieval::table`]). A table's lines are never headings.
    pub tables: Vec<Option<TableLine>>,
}

impl Outline {
    /// The outline of `lines`, its numbered lists read once for both parts.
    pub fn of(lines: &[String]) -> Outline {
        let items = list_items(lines);
        let tables = table_lines(lines);
        let headings = headings(lines, &items, &tables);
        let sections = sections(lines, &headings, &items);
        Outline {
            headings,
            sections,
            tables,
        }
    }
}

/// A Markdown heading's text: `## 응시 자격` → `응시 자격`; `None` for any other line. One to six
/// `#`, a space, then the text.
pub fn markdown_heading(line: &str) -> Option<&str> {
    let t = line.trim();
    let marks = t.len() - t.trim_start_matches('#').len();
    let text = t[marks..].strip_prefix([' ', '\t'])?.trim();
    ((1..=6).contains(&marks) && !text.is_empty()).then_some(text)
}

/// The 0-based line of a file's title: its first non-empty line, after the front matter a
/// Markdown file may open with (`---`, `key: value` lines, `---`: Jekyll's, Obsidian's).
pub fn title_line(lines: &[String]) -> Option<usize> {
    let filled = |from: usize| (from..lines.len()).find(|&i| !lines[i].trim().is_empty());
    let first = filled(0)?;
    if lines[first].trim() != "---" {
        return Some(first);
    }
    // A front matter closes with `---` (or `...`) within a few dozen lines; else `---` is a
    // rule, and the title.
    let close = (first + 1..lines.len().min(first + 64))
        .find(|&i| matches!(lines[i].trim(), "---" | "..."));
    match close {
        Some(end) => filled(end + 1),
        None => Some(first),
    }
}

/// A heading or title line as its words read, trimmed and without Markdown's `#` marks.
pub fn heading_text(line: &str) -> &str {
    markdown_heading(line).unwrap_or(line.trim())
}

/// Marks the section headings of a file: a Markdown heading (`## 응시 자격`) always, a line of
/// a table never; otherwise short lines that do not read as a sentence or an
/// item (no final `.`, `,`, `:` or `다`, no `key: value` unless the key is a numbered part of
/// the document: `numbered_label`), followed by a line that is not such a short line itself
/// (so the items of a list are not headings of each other), or by the first item of a
/// numbered list (`의사일정`, then `1. …`). An item of a numbered list (one of two
/// neighbouring lines numbered one after the other) is no heading, short as it may be: an
/// agenda's items name what the minutes take up, but an ordinance's items state its rules
/// (`1. 장애인사용자동차 표지를 부착하고 장애인이 탑승한 차량`), and the last item would head
/// the rest of the file. Titles of articles, numbered sections (`5. 필터 관리`), articles of a
/// regulation (`제3조(재택근무 일수)`), items of an agenda (`제2호 의안: 중간배당 실시의 건`)
/// and FAQ questions (`Q. …?`) qualify. A question of a question-and-answer list (a line
/// opening with `Q.`, `질문:`, … followed by one opening with `A.`, `답변:`, …) heads its
/// answer whatever its punctuation (`Q. 제습기에서 따뜻한 바람이 나와요.`).
fn headings(
    lines: &[String],
    items: &[Option<(Numbering, u32)>],
    tables: &[Option<TableLine>],
) -> Vec<bool> {
    let candidate = |i: usize| {
        let t = lines[i].trim();
        let n = char_len(t);
        tables[i].is_none()
            && n > 0
            && n <= HEADING_MAX
            && !t.ends_with(['.', ',', ':', ';', '다', '。'])
            && t.split_once(": ")
                .is_none_or(|(key, _)| numbered_label(key))
    };
    // The next non-blank line after each line, found in one pass from the end (a file of
    // blank lines costs no more than one of text).
    let mut following = vec![None; lines.len()];
    for i in (0..lines.len().saturating_sub(1)).rev() {
        following[i] = match lines[i + 1].trim().is_empty() {
            true => following[i + 1],
            false => Some(i + 1),
        };
    }
    let mut marks = vec![false; lines.len()];
    for i in 0..lines.len() {
        let next = following[i];
        let faq = faq_question(&lines[i]) && next.is_some_and(|j| faq_answer(&lines[j]));
        let opens_list = next.is_some_and(|j| items[j].is_some_and(|(_, n)| n == 1));
        let heads = next.is_some_and(|j| !candidate(j)) || opens_list;
        marks[i] = tables[i].is_none()
            && (faq
                || markdown_heading(&lines[i]).is_some()
                || (items[i].is_none() && candidate(i) && heads));
    }
    marks
}

/// Whether `key` names a numbered part of a Korean document, `제` + number + a unit of
/// numbering (`호`, `조`, `장`, `절`, `항`, `편`, `관`), maybe followed by one word: `제2호
/// 의안`, `제3장`, `제 1 조`. Such a `key: value` line titles what follows (`제2호 의안: 중간배당
/// 실시의 건`); a fact line's key (`2024년 이사회 개최 횟수: 11회`) is not one.
pub(crate) fn numbered_label(key: &str) -> bool {
    let Some(rest) = key.trim().strip_prefix('제') else {
        return false;
    };
    let rest = rest.trim_start();
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return false;
    }
    let rest = rest[digits..].trim_start();
    let Some(unit) = rest.chars().next() else {
        return false;
    };
    "호조장절항편관".contains(unit) && rest[unit.len_utf8()..].split_whitespace().count() <= 1
}

/// Longest line, in characters, that can be the question of a question-and-answer list.
const FAQ_QUESTION_MAX: usize = 120;

/// Whether `line` opens with a question marker (`Q.`, `Q:`, `Q)`, `질문:`, `문.`) and is short
/// enough to be an FAQ's question.
fn faq_question(line: &str) -> bool {
    let t = line.trim();
    char_len(t) <= FAQ_QUESTION_MAX && opens_with_marker(t, &["Q", "질문", "문"])
}

/// Whether `line` opens with an answer marker (`A.`, `A:`, `답변:`, `답.`).
fn faq_answer(line: &str) -> bool {
    opens_with_marker(line.trim(), &["A", "답변", "답"])
}

/// Whether `t` starts with one of `words` followed by `.`, `:`, `)` or a full-width colon.
fn opens_with_marker(t: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        t.strip_prefix(w)
            .is_some_and(|rest| rest.starts_with(['.', ':', ')', '：']))
    })
}

/// How an item of a list is numbered: `1.`, `1)`, `(1)`, `가.`, `①`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbering {
    Dot,
    Paren,
    Wrapped,
    Hangul,
    Circled,
}

/// Hangul letters that number items, in order (`가.`, `나.`, …).
const HANGUL_ORDER: &str = "가나다라마바사아자차카타파하";

/// The number and numbering of a line that opens as an item of a list (`3. 근무 조건` → 3,
/// `- 가. 종합자료실` → 1), with the text after its number.
fn item_number(line: &str) -> Option<(Numbering, u32, &str)> {
    let t = line.trim_start();
    // A Markdown bullet in front numbers nothing: `- 가. 종합자료실 보조`.
    let t = ["- ", "* ", "+ "]
        .iter()
        .find_map(|b| t.strip_prefix(b))
        .map_or(t, str::trim_start);
    let first = t.chars().next()?;
    if ('①'..='⑳').contains(&first) {
        let n = first as u32 - '①' as u32 + 1;
        return Some((Numbering::Circled, n, t[first.len_utf8()..].trim_start()));
    }
    if let Some(pos) = HANGUL_ORDER.chars().position(|c| c == first) {
        let rest = &t[first.len_utf8()..];
        return rest
            .strip_prefix('.')
            .filter(|r| r.starts_with(' '))
            .map(|r| (Numbering::Hangul, pos as u32 + 1, r.trim_start()));
    }
    let (wrapped, t) = match t.strip_prefix('(') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 2 {
        return None;
    }
    let n: u32 = t[..digits].parse().ok()?;
    let rest = &t[digits..];
    let (numbering, rest) = match (wrapped, rest.chars().next()?) {
        (true, ')') => (Numbering::Wrapped, &rest[1..]),
        (false, ')') => (Numbering::Paren, &rest[1..]),
        (false, '.') => (Numbering::Dot, &rest[1..]),
        _ => return None,
    };
    // `1.5kg` and `3.14` are figures, not items.
    rest.starts_with(' ')
        .then(|| (numbering, n, rest.trim_start()))
}

/// For each line, the number of the list item it is (`Some((numbering, n))`) when the line
/// before or after it (blank lines aside) is the item numbered one less or one more the same
/// way: two neighbours make a list; a numbered line on its own is a numbered section.
fn list_items(lines: &[String]) -> Vec<Option<(Numbering, u32)>> {
    let numbers: Vec<Option<(Numbering, u32)>> = lines
        .iter()
        .map(|l| item_number(l).map(|(k, n, _)| (k, n)))
        .collect();
    let filled: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].trim().is_empty())
        .collect();
    let mut items = vec![None; lines.len()];
    for (pos, &i) in filled.iter().enumerate() {
        let Some((kind, n)) = numbers[i] else {
            continue;
        };
        let before = pos
            .checked_sub(1)
            .and_then(|p| numbers[filled[p]])
            .is_some_and(|(k, m)| k == kind && m + 1 == n);
        let after = filled
            .get(pos + 1)
            .and_then(|&j| numbers[j])
            .is_some_and(|(k, m)| k == kind && m == n + 1);
        if before || after {
            items[i] = Some((kind, n));
        }
    }
    items
}

/// For each line, the line that heads it: the last heading above it, or, in a transcript, the
/// agenda item the line or one above it refers to by number. A line that names `H 제N항` (or
/// `제N호`), where `H` is a heading whose list's item `N` stands under it (`의사일정`, then `1.
/// …`, `2. …`), stands under that item, and so do the lines after it until another such line
/// or a heading: minutes written as speech take up each item by its number (`의사일정 제2항 …을
/// 상정합니다`) and settle it by number (`의사일정 제2항은 … 보류하고`). A heading heads no line
/// of its own.
fn sections(
    lines: &[String],
    headings: &[bool],
    items: &[Option<(Numbering, u32)>],
) -> Vec<Option<Section>> {
    // Each heading's list: its item numbers and their lines.
    let mut lists: Vec<(usize, Vec<(u32, usize)>)> = Vec::new();
    for i in (0..lines.len()).filter(|&i| headings[i]) {
        let mut list = Vec::new();
        let mut numbering = None;
        for (j, line) in lines.iter().enumerate().skip(i + 1) {
            if line.trim().is_empty() {
                continue;
            }
            match items[j] {
                Some((k, n)) if numbering.is_none_or(|m| m == k) => {
                    numbering = Some(k);
                    list.push((n, j));
                }
                _ => break,
            }
        }
        if !list.is_empty() {
            lists.push((i, list));
        }
    }
    let mut out = vec![None; lines.len()];
    let mut current: Option<Section> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(item) = referred_item(line, lines, &lists) {
            current = Some(Section {
                line: item,
                referred: true,
            });
        }
        out[i] = current.filter(|s| s.line != i);
        if headings[i] {
            current = Some(Section {
                line: i,
                referred: false,
            });
        }
    }
    out
}

/// The line a passage stands under ([`Outline::sections`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// The heading's or the item's 0-based line.
    pub line: usize,
    /// Whether it is the agenda item the line or one above it refers to by number, not a
    /// heading above it.
    pub referred: bool,
}

/// The line of the list item `line` refers to as `H 제N항` / `H 제N호`, `H` being the heading
/// of one of `lists`.
fn referred_item(
    line: &str,
    lines: &[String],
    lists: &[(usize, Vec<(u32, usize)>)],
) -> Option<usize> {
    if !line.contains('제') {
        return None;
    }
    lists.iter().find_map(|(h, list)| {
        let name = heading_text(&lines[*h]);
        if name.is_empty() {
            return None;
        }
        let mut rest = line;
        while let Some(at) = rest.find(name) {
            let after = rest[at + name.len()..].trim_start();
            if let Some(n) = after.strip_prefix('제').and_then(|r| {
                let r = r.trim_start();
                let digits = r.len() - r.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let n: u32 = r[..digits].parse().ok()?;
                r[digits..].starts_with(['항', '호']).then_some(n)
            }) {
                if let Some(&(_, j)) = list.iter().find(|(m, _)| *m == n) {
                    return Some(j);
                }
            }
            rest = &rest[at + name.len()..];
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn a_title_comes_after_the_front_matter() {
        assert_eq!(title_line(&lines("\n\n제목\n본문")), Some(2));
        assert_eq!(
            title_line(&lines(
                "---\ntitle: 회의록\ndate: 2025-10-21\n---\n\n# 회의록\n본문"
            )),
            Some(5)
        );
        assert_eq!(
            title_line(&lines("---\n본문만 있다")),
            Some(0),
            "a rule, not front matter"
        );
        assert_eq!(title_line(&lines("---\na: b\n---")), None);
        assert_eq!(title_line(&lines("\n \n")), None);
    }

    #[test]
    fn markdown_headings_head_their_section_whatever_follows() {
        assert_eq!(markdown_heading("## 응시 자격 "), Some("응시 자격"));
        assert_eq!(markdown_heading("#해시태그"), None);
        assert_eq!(markdown_heading("####### 일곱"), None);
        assert_eq!(markdown_heading("# "), None);
        assert_eq!(heading_text("  평범한 제목 "), "평범한 제목");
        let text = lines("# 채용 공고\n## 근무 조건\n## 보수\n시급은 11,000원이다.\n");
        let outline = Outline::of(&text);
        assert_eq!(outline.headings, [true, true, true, false]);
        assert_eq!(outline.sections[3].map(|s| s.line), Some(2));
    }

    #[test]
    fn items_are_numbered_lines_beside_their_neighbour() {
        assert_eq!(
            item_number("3. 근무 조건"),
            Some((Numbering::Dot, 3, "근무 조건"))
        );
        assert_eq!(
            item_number("(2) 신청"),
            Some((Numbering::Wrapped, 2, "신청"))
        );
        assert_eq!(
            item_number("나. 어린이자료실"),
            Some((Numbering::Hangul, 2, "어린이자료실"))
        );
        assert_eq!(
            item_number("- 나. 어린이자료실"),
            Some((Numbering::Hangul, 2, "어린이자료실"))
        );
        assert_eq!(item_number("- 대여소 120곳"), None);
        assert_eq!(
            item_number("② 주차 시간"),
            Some((Numbering::Circled, 2, "주차 시간"))
        );
        for not in [
            "1.5kg입니다",
            "2025. 9. 17.",
            "가나다 순서",
            "100. 너무 큰 번호",
            "",
        ] {
            assert_eq!(item_number(not), None, "{not}");
        }
        let l = lines("1. 모집 분야\n가. 보조: 6명\n나. 관리: 2명\n2. 응시 자격\n본문 줄입니다.");
        let items = list_items(&l);
        assert_eq!(items[0], None, "1. and 2. are apart: numbered sections");
        assert_eq!(items[1], Some((Numbering::Hangul, 1)));
        assert_eq!(items[2], Some((Numbering::Hangul, 2)));
        assert_eq!(items[3], None);
    }

    #[test]
    fn a_list_has_its_heading_and_its_last_item_heads_nothing() {
        let l = lines(
            "시의회 회의록\n\n의사일정\n1. 주차장 조례 개정안\n2. 청년 월세 조례 개정안\n\n\
             ○의장: 성원이 되었으므로 본회의를 개의하겠습니다.",
        );
        let Outline {
            headings: marks,
            sections: s,
            ..
        } = Outline::of(&l);
        assert!(marks[2], "the list's heading");
        assert!(!marks[3] && !marks[4], "items, the last one too");
        assert_eq!(
            s[6].map(|s| s.line),
            Some(2),
            "the last item opens no section"
        );
    }

    #[test]
    fn transcript_lines_stand_under_the_item_they_refer_to() {
        let l = lines(
            "시의회 회의록\n의사일정\n1. 주차장 조례 개정안\n2. 청년 월세 조례 개정안\n\
             ○의장: 의사일정 제1항을 상정합니다.\n○과장: 충전구역 추가 요금을 물리려는 것입니다.\n\
             ○의장: 찬성 12명으로 의사일정 제1항은 가결되었습니다.\n\
             ○의장: 의사일정 제2항을 상정합니다.\n○의원: 재원 대책부터 마련해야 합니다.\n\
             ○의장: 제3항과 제9항은 없는 항목입니다. 의사일정 제9항도 없습니다.",
        );
        let s: Vec<Option<(usize, bool)>> = Outline::of(&l)
            .sections
            .into_iter()
            .map(|s| s.map(|s| (s.line, s.referred)))
            .collect();
        assert_eq!(
            s[2],
            Some((1, false)),
            "the items stand under the list's heading"
        );
        assert_eq!(s[4], Some((2, true)));
        assert_eq!(s[5], Some((2, true)), "carried to the lines after");
        assert_eq!(s[6], Some((2, true)));
        assert_eq!(s[7], Some((3, true)));
        assert_eq!(s[8], Some((3, true)));
        assert_eq!(
            s[9],
            Some((3, true)),
            "a bare or unknown number refers to nothing"
        );
    }

    #[test]
    fn transcript_lines_refer_to_a_markdown_heading_by_its_words() {
        let l = lines(
            "# 시의회 회의록\n## 의사일정\n1. 주차장 조례 개정안\n2. 청년 월세 조례 개정안\n\
             ○의장: 의사일정 제2항을 상정합니다.\n○의원: 재원 대책부터 마련해야 합니다.",
        );
        let s: Vec<Option<(usize, bool)>> = Outline::of(&l)
            .sections
            .into_iter()
            .map(|s| s.map(|s| (s.line, s.referred)))
            .collect();
        assert_eq!(s[4], Some((3, true)), "{s:?}");
        assert_eq!(s[5], Some((3, true)));
    }

    #[test]
    fn long_files_are_outlined_in_one_pass() {
        // Quadratic work would take minutes here: every blank line looking for the next text,
        // every line searched for every list's heading.
        let mut l = vec![String::new(); 200_000];
        for k in 0..2_000 {
            l.push(format!("목록 {k}"));
            l.push("1. 첫째 항목".to_string());
            l.push("2. 둘째 항목".to_string());
            l.push(format!(
                "목록 {k} 제2항을 상정합니다. 이 줄은 문장으로 끝납니다."
            ));
        }
        let s = Outline::of(&l).sections;
        assert_eq!(s.len(), l.len());
        assert_eq!(s[l.len() - 1].map(|s| s.referred), Some(true));
    }

    #[test]
    fn any_text_is_outlined_without_panicking() {
        for text in [
            "",
            "\n\n",
            "1.",
            "제",
            "의사일정 제",
            "의사일정\n1. 가\n의사일정 제99999999999항",
            "①\n②",
            "(1\n(2)",
        ] {
            let l = lines(text);
            assert_eq!(Outline::of(&l).sections.len(), l.len());
        }
    }
}
