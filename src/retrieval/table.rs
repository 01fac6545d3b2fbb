//! Tables written with pipes (Markdown's, and plain text laid out the same way): which lines
//! are a table's header, its rule and its rows, and a row read as `column: cell` pairs.
//!
//! A row alone seldom says what its cells are: `| 노트북 A | 1.2kg | 1,290,000원 |` gives a
//! weight and a price without the words `무게` or `가격`, which stand once, in the header row. A
//! row is cited as written; what the header says is read with it ([`as_fields`]).

/// What a line is to a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableLine {
    /// The header row: the column names.
    Header,
    /// The rule under the header (`| --- | :---: |`).
    Rule,
    /// A row of the table whose header row is the given 0-based line.
    Row(usize),
}

/// The cells of a line written with pipes (`| 연차 | 15일 |`, or `연차 | 15일` without the outer
/// pipes), trimmed; `None` for a line with fewer than two cells.
pub fn cells(line: &str) -> Option<Vec<&str>> {
    let cells = split_cells(line);
    (line.contains('|') && cells.len() >= 2).then_some(cells)
}

/// A line cut at its pipes, the outer ones dropped, each cell trimmed.
fn split_cells(line: &str) -> Vec<&str> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    t.split('|').map(str::trim).collect()
}

/// Whether `line` is the rule under a table's header: every cell dashes, with a colon at either
/// end for alignment (`---`, `:---:`).
fn is_rule(line: &str) -> bool {
    cells(line).is_some_and(|cells| {
        cells.iter().all(|c| {
            let c = c.strip_prefix(':').unwrap_or(c);
            let c = c.strip_suffix(':').unwrap_or(c);
            !c.is_empty() && c.chars().all(|ch| ch == '-')
        })
    })
}

/// For each line, what it is to a table: a table is a line with cells followed by a rule, then
/// the lines with a `|` right after it, however many cells they fill (a blank line or a line
/// without `|` ends it).
pub fn table_lines(lines: &[String]) -> Vec<Option<TableLine>> {
    let mut out = vec![None; lines.len()];
    let mut i = 0;
    while i + 1 < lines.len() {
        if cells(&lines[i]).is_none() || !is_rule(&lines[i + 1]) || is_rule(&lines[i]) {
            i += 1;
            continue;
        }
        out[i] = Some(TableLine::Header);
        out[i + 1] = Some(TableLine::Rule);
        let mut j = i + 2;
        while j < lines.len() && lines[j].contains('|') && !is_rule(&lines[j]) {
            out[j] = Some(TableLine::Row(i));
            j += 1;
        }
        i = j;
    }
    out
}

/// A row read with its header: `column: cell` for each filled cell, joined by `, `
/// (`모델명: 노트북 A, 무게: 1.2kg, 가격: 1,290,000원`). A cell beyond the header's columns, or
/// under an empty column name, stands alone.
pub fn as_fields(header: &str, row: &str) -> String {
    let names = split_cells(header);
    let values = split_cells(row);
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| match names.get(k).filter(|n| !n.is_empty()) {
            Some(n) => format!("{n}: {v}"),
            None => v.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The byte ranges of a row's `column: cell` pairs in its [`as_fields`] text: cut at each `, `
/// a column's name follows (a cell's own `, ` stays in its cell).
pub fn field_spans(fields: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in fields.match_indices(", ") {
        let next = &fields[i + 2..];
        let piece = &next[..next.find(", ").unwrap_or(next.len())];
        if piece.contains(": ") {
            out.push(start..i);
            start = i + 2;
        }
    }
    out.push(start..fields.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn a_rows_fields_are_cut_where_a_column_name_follows() {
        let row = as_fields(
            "| 모델명 | 국가 | 가격 |",
            "| 노트북 A | 한국, 일본 | 1,290,000원 |",
        );
        assert_eq!(row, "모델명: 노트북 A, 국가: 한국, 일본, 가격: 1,290,000원");
        let fields: Vec<&str> = field_spans(&row).into_iter().map(|s| &row[s]).collect();
        assert_eq!(
            fields,
            ["모델명: 노트북 A", "국가: 한국, 일본", "가격: 1,290,000원"]
        );
    }

    #[test]
    fn a_table_is_a_header_a_rule_and_the_rows_after_it() {
        let text = lines(
            "제품 비교\n| 모델명 | 무게 | 가격 |\n| --- | :---: | ---: |\n| 노트북 A | 1.2kg | 1,290,000원 |\n| 노트북 B | 1.5kg | 990,000원 |\n\n| 표 아닌 | 줄 |\n가격은 부가세 포함이다.",
        );
        let t = table_lines(&text);
        assert_eq!(
            t,
            [
                None,
                Some(TableLine::Header),
                Some(TableLine::Rule),
                Some(TableLine::Row(1)),
                Some(TableLine::Row(1)),
                None,
                None,
                None,
            ]
        );
        assert_eq!(
            as_fields(&text[1], &text[3]),
            "모델명: 노트북 A, 무게: 1.2kg, 가격: 1,290,000원"
        );
    }

    #[test]
    fn tables_without_outer_pipes_and_ragged_rows() {
        let text = lines("지역 | 매출\n--|--\n서울 | 120억 원 | 주석\n부산 |");
        let t = table_lines(&text);
        assert_eq!(t[2], Some(TableLine::Row(0)));
        assert_eq!(t[3], Some(TableLine::Row(0)));
        assert_eq!(
            as_fields(&text[0], &text[2]),
            "지역: 서울, 매출: 120억 원, 주석"
        );
        assert_eq!(as_fields(&text[0], &text[3]), "지역: 부산");
    }

    #[test]
    fn pipes_in_prose_and_lone_rules_make_no_table() {
        for text in [
            "a | b 는 둘 중 하나라는 뜻이다.\n다음 줄이다.",
            "---|---\n| a | b |",
            "| a |\n| --- |",
            "",
        ] {
            let t = table_lines(&lines(text));
            assert!(t.iter().all(Option::is_none), "{text:?}: {t:?}");
        }
    }
}
