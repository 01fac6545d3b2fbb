//! Extracting quantities from Korean and English text: amounts of money (`1,720억 달러`,
//! `14조4,000억 원`, `$30 billion`), percentages (`3.8%`) and percentage points, counts (`10만 개`,
//! `100,000`), areas (`7만2000㎡`), durations (`1시간 50분`, `three hours`) and dates
//! (`2025.01.23`, `2019년09월26일`, `3월 29일`, `지난 20일`).
//!
//! Pure functions over text: every quantity carries its byte span in the input, so callers can
//! show it or look at the words around it. Values are normalised (money in units of its currency,
//! durations in minutes, areas in square metres) so that `7만2000㎡` and `72,000㎡` compare equal.

use std::ops::Range;

use serde::Serialize;

pub mod dates;

use dates::{date, DateParts};

/// What a quantity measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// An amount of money; the unit is the currency code.
    Money,
    /// A percentage (`3.8%`).
    Percent,
    /// A change in percentage points (`0.25%포인트`).
    PercentPoint,
    /// A count of things or people, or a bare number.
    Count,
    /// An area in square metres (unit `m2`) or pyeong (`pyeong`).
    Area,
    /// A span of time in minutes (unit `min`) or months (`month`).
    Duration,
    /// A calendar date, possibly partial (only a month and day, or only a day).
    Date,
}

/// One quantity found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub measure: Measure,
    /// The normalised value (0 for dates).
    pub value: f64,
    /// For dates: the parts given.
    pub date: Option<DateParts>,
    /// Currency code, `%`, `%p`, `m2`, `min`, `month`, or empty for counts and dates.
    pub unit: &'static str,
    /// Byte range in the text.
    pub span: Range<usize>,
}

impl Quantity {
    /// Whether two quantities of the same measure and unit have the same value (within 1%; dates:
    /// every shared part equal). `None` when they cannot be compared.
    pub fn same_value(&self, other: &Quantity) -> Option<bool> {
        if self.measure != other.measure || self.unit != other.unit {
            return None;
        }
        match (self.date, other.date) {
            (Some(a), Some(b)) => a.agrees(&b),
            (None, None) => {
                let scale = self.value.abs().max(other.value.abs());
                Some(scale == 0.0 || (self.value - other.value).abs() <= 0.01 * scale)
            }
            _ => None,
        }
    }

    /// The value as shown to users: the number, or the ISO date text.
    pub fn value_json(&self) -> serde_json::Value {
        match self.date {
            Some(d) => serde_json::Value::String(d.iso()),
            None => serde_json::json!(self.value),
        }
    }
}

/// Korean magnitude characters and their values.
fn magnitude(c: char) -> Option<f64> {
    match c {
        '조' => Some(1e12),
        '억' => Some(1e8),
        '만' => Some(1e4),
        '천' => Some(1e3),
        _ => None,
    }
}

/// English number words (only used when a unit follows).
const WORDS: &[(&str, f64)] = &[
    ("one", 1.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("eleven", 11.0),
    ("twelve", 12.0),
    ("fifteen", 15.0),
    ("twenty", 20.0),
    ("thirty", 30.0),
    ("forty", 40.0),
    ("fifty", 50.0),
    ("hundred", 100.0),
];

/// English scale words after a number.
const SCALES: &[(&str, f64)] = &[
    ("trillion", 1e12),
    ("billion", 1e9),
    ("million", 1e6),
    ("thousand", 1e3),
    ("bn", 1e9),
    ("tn", 1e12),
];

/// A cursor over the text.
pub(super) struct Scan<'a> {
    pub(super) s: &'a str,
    pub(super) pos: usize,
}

impl<'a> Scan<'a> {
    pub(super) fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    pub(super) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    /// Skips at most one run of spaces (not newlines) and returns how many bytes it skipped.
    pub(super) fn skip_spaces(&mut self) -> usize {
        let n = self.rest().len() - self.rest().trim_start_matches([' ', '\t']).len();
        self.pos += n;
        n
    }
    /// Consumes `word` (ASCII case-insensitive) when it is next and not glued to more letters.
    fn eat_word(&mut self, word: &str) -> bool {
        let r = self.rest();
        if r.len() >= word.len()
            && r.is_char_boundary(word.len())
            && r[..word.len()].eq_ignore_ascii_case(word)
            && !r[word.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            self.pos += word.len();
            return true;
        }
        false
    }
    fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            return true;
        }
        false
    }
}

/// Parses digits with thousands separators and a decimal part at the cursor.
fn number(sc: &mut Scan) -> Option<f64> {
    let r = sc.rest();
    let b = r.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut i = 0;
    let mut digits = String::new();
    while i < b.len() {
        if b[i].is_ascii_digit() {
            digits.push(b[i] as char);
            i += 1;
        } else if b[i] == b','
            && b.len() >= i + 4
            && b[i + 1..i + 4].iter().all(u8::is_ascii_digit)
            && !b.get(i + 4).is_some_and(u8::is_ascii_digit)
        {
            i += 1;
        } else if b[i] == b'.'
            && !digits.contains('.')
            && b.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            digits.push('.');
            i += 1;
        } else {
            break;
        }
    }
    sc.pos += i;
    digits.parse().ok()
}

/// A number possibly followed by Korean magnitudes (`14조4,000억`, `7만2000`) or an English scale
/// word (`30 billion`). Returns the value.
fn amount(sc: &mut Scan) -> Option<f64> {
    let first = number(sc)?;
    let mut total = 0.0;
    let mut current = first;
    let mut last_mag = f64::INFINITY;
    while let Some(mag) = sc.peek().and_then(magnitude).filter(|&m| m < last_mag) {
        sc.pos += sc.peek().map_or(0, char::len_utf8);
        total += current * mag;
        last_mag = mag;
        let save = sc.pos;
        let spaced = sc.skip_spaces() > 0;
        match number(sc) {
            Some(n) if sc.peek().and_then(magnitude).is_some_and(|m| m < last_mag) => current = n,
            Some(n) if !spaced => return Some(total + n),
            _ => {
                sc.pos = save;
                return Some(total);
            }
        }
    }
    if total > 0.0 {
        return Some(total + current);
    }
    let save = sc.pos;
    sc.skip_spaces();
    for (w, m) in SCALES {
        if sc.eat_word(w) {
            return Some(first * m);
        }
    }
    sc.pos = save;
    Some(first)
}

/// Money suffixes and their currency codes.
const CURRENCIES: &[(&str, &str)] = &[
    ("달러", "USD"),
    ("dollars", "USD"),
    ("dollar", "USD"),
    ("USD", "USD"),
    ("유로", "EUR"),
    ("euros", "EUR"),
    ("EUR", "EUR"),
    ("엔", "JPY"),
    ("yen", "JPY"),
    ("위안", "CNY"),
    ("원", "KRW"),
    ("won", "KRW"),
    ("KRW", "KRW"),
];

/// Counter words after a number.
const COUNTERS: &[&str] = &[
    "개",
    "명",
    "곳",
    "건",
    "대",
    "jobs",
    "people",
    "employees",
    "companies",
    "units",
];

/// What follows a number: measure, unit and a multiplier applied to the value.
fn unit(sc: &mut Scan) -> Option<(Measure, &'static str, f64)> {
    let save = sc.pos;
    sc.skip_spaces();
    for p in ["%포인트", "%p", "%P", "퍼센트포인트"] {
        if sc.eat(p) {
            return Some((Measure::PercentPoint, "%p", 1.0));
        }
    }
    if sc.eat("%") || sc.eat("퍼센트") || sc.eat_word("percent") {
        return Some((Measure::Percent, "%", 1.0));
    }
    for (w, code) in CURRENCIES {
        let ok = if w.is_ascii() {
            sc.eat_word(w)
        } else {
            sc.eat(w)
        };
        if ok {
            return Some((Measure::Money, code, 1.0));
        }
    }
    for p in ["㎡", "m2", "m²", "제곱미터"] {
        if sc.eat(p) {
            return Some((Measure::Area, "m2", 1.0));
        }
    }
    if sc.eat("평") {
        return Some((Measure::Area, "pyeong", 1.0));
    }
    if let Some(d) = duration_unit(sc) {
        return Some(d);
    }
    for c in COUNTERS {
        let ok = if c.is_ascii() {
            sc.eat_word(c)
        } else {
            sc.eat(c)
        };
        if ok {
            return Some((Measure::Count, "", 1.0));
        }
    }
    sc.pos = save;
    None
}

fn duration_unit(sc: &mut Scan) -> Option<(Measure, &'static str, f64)> {
    let r = sc.rest();
    if r.starts_with("시간") {
        sc.pos += "시간".len();
        return Some((Measure::Duration, "min", 60.0));
    }
    if r.starts_with("분") && !r.starts_with("분의") && !r.starts_with("분기") {
        sc.pos += "분".len();
        return Some((Measure::Duration, "min", 1.0));
    }
    if r.starts_with("개월") {
        sc.pos += "개월".len();
        return Some((Measure::Duration, "month", 1.0));
    }
    for (w, unit, m) in [
        ("hours", "min", 60.0),
        ("hour", "min", 60.0),
        ("minutes", "min", 1.0),
        ("minute", "min", 1.0),
        ("days", "min", 1440.0),
        ("months", "month", 1.0),
        ("years", "month", 12.0),
    ] {
        if sc.eat_word(w) {
            return Some((Measure::Duration, unit, m));
        }
    }
    None
}

/// Whether a quantity may start at byte `i` (not inside a word like `T-Mobile3` or `A100`).
fn starts_here(s: &str, i: usize) -> bool {
    let prev = s[..i].chars().next_back();
    !prev.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | ':' | '-'))
}

/// Every quantity of `text`, in order, non-overlapping.
pub fn extract(text: &str) -> Vec<Quantity> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        if starts_here(text, i) {
            if let Some(q) = quantity_at(text, i) {
                i = q.span.end.max(i + c.len_utf8());
                out.push(q);
                continue;
            }
        }
        i += c.len_utf8();
    }
    out
}

/// A quantity starting at byte `start`, if one does.
fn quantity_at(text: &str, start: usize) -> Option<Quantity> {
    let mut sc = Scan {
        s: text,
        pos: start,
    };
    let c = sc.peek()?;
    let prefix_currency = match c {
        '$' => Some("USD"),
        '€' => Some("EUR"),
        '₩' => Some("KRW"),
        '¥' => Some("JPY"),
        _ => None,
    };
    if let Some(code) = prefix_currency {
        sc.pos += c.len_utf8();
        let v = amount(&mut sc)?;
        return Some(make(Measure::Money, v, code, start..sc.pos));
    }
    if c.is_ascii_digit() {
        if let Some(d) = date(&mut sc) {
            return Some(Quantity {
                measure: Measure::Date,
                value: 0.0,
                date: Some(d),
                unit: "",
                span: start..sc.pos,
            });
        }
        let (v, digits_only) = {
            let before = sc.pos;
            let v = amount(&mut sc)?;
            let raw = &text[before..sc.pos];
            (v, raw.bytes().all(|b| b.is_ascii_digit() || b == b','))
        };
        return with_unit(&mut sc, v, start, digits_only);
    }
    if c.is_ascii_alphabetic() {
        for (w, v) in WORDS {
            if sc.eat_word(w) {
                return with_unit(&mut sc, *v, start, false);
            }
        }
    }
    None
}

/// Completes a number with the unit after it (durations may continue: `1시간 50분`).
fn with_unit(sc: &mut Scan, v: f64, start: usize, bare: bool) -> Option<Quantity> {
    match unit(sc) {
        Some((Measure::Duration, "min", m)) => {
            let mut total = v * m;
            let save = sc.pos;
            sc.skip_spaces();
            if let Some(n) = number(sc) {
                if let Some((Measure::Duration, "min", m2)) = duration_unit(sc) {
                    if m2 < m {
                        total += n * m2;
                        return Some(make(Measure::Duration, total, "min", start..sc.pos));
                    }
                }
            }
            sc.pos = save;
            Some(make(Measure::Duration, total, "min", start..sc.pos))
        }
        Some((measure, unit, m)) => Some(make(measure, v * m, unit, start..sc.pos)),
        None => {
            // Without a unit: a count, unless it is a lone digit, a time of day or a word.
            let text = &sc.s[start..sc.pos];
            let word = text.starts_with(|c: char| c.is_ascii_alphabetic());
            let clock = sc.rest().starts_with('시') || sc.rest().starts_with(':');
            if word || clock || (bare && text.len() < 2) {
                return None;
            }
            Some(make(Measure::Count, v, "", start..sc.pos))
        }
    }
}

fn make(measure: Measure, value: f64, unit: &'static str, span: Range<usize>) -> Quantity {
    Quantity {
        measure,
        value,
        date: None,
        unit,
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(text: &str) -> Quantity {
        let q = extract(text);
        assert_eq!(q.len(), 1, "{text}: {q:?}");
        q.into_iter().next().unwrap()
    }

    fn approx(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * b.abs().max(1.0)
    }

    #[test]
    fn korean_money() {
        let q = one("약 1,720억 달러의 순자산");
        assert_eq!((q.measure, q.unit), (Measure::Money, "USD"));
        assert!(approx(q.value, 1.72e11));
        let q = extract("5,000억 달러(약 720조 원) 규모");
        assert_eq!(q.len(), 2);
        assert!(approx(q[0].value, 5e11) && q[0].unit == "USD");
        assert!(approx(q[1].value, 7.2e14) && q[1].unit == "KRW");
        let q = &extract("100억 달러(약 14조4,000억 원) 미만")[0];
        assert!(approx(q.value, 1e10));
        let q = &extract("(약 14조4,000억 원)")[0];
        assert!(approx(q.value, 1.44e13) && q.unit == "KRW");
        let q = one("29조 3751억 원 넘는 적자");
        assert!(approx(q.value, 2.93751e13), "{}", q.value);
        let q = one("매출이 1조원");
        assert!(approx(q.value, 1e12) && q.unit == "KRW");
        let q = one("12억 유로다");
        assert_eq!(q.unit, "EUR");
    }

    #[test]
    fn english_money() {
        let q = one("SoftBank plans to invest $30 billion in OpenAI.");
        assert_eq!((q.measure, q.unit), (Measure::Money, "USD"));
        assert!(approx(q.value, 3e10));
        assert!(approx(one("$6.5bn").value, 6.5e9));
        assert!(approx(one("30 billion dollars").value, 3e10));
    }

    #[test]
    fn percent_counts_areas() {
        let q = one("지분 3.8%로 축소");
        assert_eq!((q.measure, q.unit), (Measure::Percent, "%"));
        assert!(approx(q.value, 3.8));
        assert!(approx(one("26% 감소").value, 26.0));
        assert_eq!(one("0.25%포인트 인하").measure, Measure::PercentPoint);
        let q = one("연간 7만2000㎡ 규모");
        assert_eq!((q.measure, q.unit), (Measure::Area, "m2"));
        assert!(approx(q.value, 72_000.0));
        let q = one("일자리 10만 개가");
        assert_eq!(q.measure, Measure::Count);
        assert!(approx(q.value, 100_000.0));
        assert!(approx(one("100,000 jobs").value, 100_000.0));
        assert!(approx(one("직원이 13명이지만").value, 13.0));
    }

    #[test]
    fn durations() {
        let q = one("회동은 1시간 50분 가량");
        assert_eq!((q.measure, q.unit), (Measure::Duration, "min"));
        assert!(approx(q.value, 110.0));
        assert!(approx(one("about three hours").value, 180.0));
        assert!(approx(one("7분 안에").value, 7.0));
        assert!(extract("3분의 1")
            .iter()
            .all(|q| q.measure != Measure::Duration));
        assert!(extract("1분기 실적")
            .iter()
            .all(|q| q.measure != Measure::Duration));
    }

    #[test]
    fn dates() {
        let d = |t: &str| one(t).date.unwrap().iso();
        assert_eq!(d("랭크뉴스 2025.02.05"), "2025-02-05");
        assert_eq!(d("기사입력 : 2019년09월26일 13:59"), "2019-09-26");
        assert_eq!(d("3월 29일 보도"), "--03-29");
        assert_eq!(d("지난 20일 미국"), "---20");
        assert_eq!(d("2026년에 완공"), "2026");
        assert_eq!(extract("오후 2시 40분경").len(), 1, "only the minutes");
    }

    #[test]
    fn words_inside_identifiers_are_not_numbers() {
        assert!(extract("A100 칩과 T-Mobile").is_empty());
        assert!(extract("one of the companies").is_empty());
    }

    /// Writes `n` the Korean way: `14조4,000억 3만2000`-style groups.
    fn korean(n: u64) -> String {
        let groups = [
            (1_000_000_000_000u64, "조"),
            (100_000_000, "억"),
            (10_000, "만"),
        ];
        let mut rest = n;
        let mut out = String::new();
        for (size, name) in groups {
            if rest >= size {
                out.push_str(&format!("{}{name}", rest / size));
                rest %= size;
            }
        }
        if rest > 0 || out.is_empty() {
            out.push_str(&rest.to_string());
        }
        out
    }

    proptest! {
        #[test]
        fn korean_amounts_round_trip(n in 1u64..9_000_000_000_000_000) {
            let text = format!("총 {} 원이다", korean(n));
            let q = extract(&text);
            prop_assert_eq!(q.len(), 1, "{}", text);
            prop_assert!(approx(q[0].value, n as f64), "{} → {}", text, q[0].value);
        }

        #[test]
        fn spans_are_valid_and_ordered(s in "\\PC{0,60}") {
            let qs = extract(&s);
            let mut end = 0;
            for q in qs {
                prop_assert!(q.span.start >= end && q.span.end <= s.len());
                prop_assert!(s.is_char_boundary(q.span.start) && s.is_char_boundary(q.span.end));
                end = q.span.end;
            }
        }

        #[test]
        fn comma_grouping_does_not_change_value(n in 1000u64..1_000_000_000) {
            let plain = format!("{n}달러");
            let mut digits = n.to_string();
            let mut grouped = String::new();
            while digits.len() > 3 {
                let tail = digits.split_off(digits.len() - 3);
                grouped = format!(",{tail}{grouped}");
            }
            let grouped = format!("{digits}{grouped}달러");
            prop_assert_eq!(one(&plain).value, one(&grouped).value);
        }
    }
}
