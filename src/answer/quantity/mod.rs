//! Extracting quantities from Korean and English text: amounts of money (`1,720억 달러`,
//! `14조4,000억 원`, `$30 billion`, `£12,500`), percentages (`3.8%`) and percentage points, counts (`10만 개`,
//! `100,000`) and fractions (`4분의 1`, `1/4`), areas (`7만2000㎡`), lengths, volumes and masses
//! (`4.5L`, `2.5cm`, `a 3-metre wall`), durations (`1시간 50분`, `2주`, `90일`, `30일마다`, `three
//! hours`, `a two-year warranty`), dates
//! (`2025.01.23`, `2019년09월26일`, `3월 29일`, `지난 20일`) and a count of none in words (`한
//! 건도 없었다`).
//!
//! Pure functions over text: every quantity carries its byte span in the input, so callers can
//! show it or look at the words around it. Values are normalised (money in units of its currency,
//! durations in minutes, areas in square metres) so that `7만2000㎡` and `72,000㎡` compare equal.
//!
//! This file holds what a quantity is ([`Quantity`], its [`Measure`]), how two compare, and
//! [`extract`], which finds where quantities start and joins a number to its unit. Module map:
//! - `scan`: the cursor over the text and reading a number at it (magnitudes, scale words).
//! - `units`: the words after a number that say what it measures, and their multipliers.
//! - [`dates`]: dates, possibly partial, and how two compare.
//! - [`rates`]: what a quantity is counted per (`월 5만 원`, `1건당`, `2주에 한 번`).

pub mod dates;
pub mod rates;
mod scan;
mod units;

use std::ops::Range;

use serde::Serialize;

use dates::{date, DateParts};
pub use rates::{Per, Rate};
pub use scan::small_number_word;
use scan::{amount, magnitude, number, number_word, Scan};
pub use units::ends_in_thing_counter;
use units::{duration_unit, korean_counter, unit};

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
    /// A length in metres (unit `m`).
    Length,
    /// A volume in litres (unit `l`).
    Volume,
    /// A mass in grams (unit `g`).
    Mass,
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
    /// Currency code, `%`, `%p`, `m2`, `pyeong`, `m`, `l`, `g`, `min`, `month`, `persons` for
    /// counts of people, or empty for other counts and dates.
    pub unit: &'static str,
    /// Byte range in the text.
    pub span: Range<usize>,
    /// What it is counted per, when the text says (`월 5만 원`): [`rates`].
    pub rate: Option<Rate>,
}

impl Quantity {
    /// Whether two quantities of the same measure and unit have the same value (within 1%; dates:
    /// every shared part equal), counted per the same period when both say one (a month's
    /// amount and a year's after conversion; the same figure per another period is another
    /// value). `None` when they cannot be compared.
    pub fn same_value(&self, other: &Quantity) -> Option<bool> {
        let (Some(a), Some(b)) = (self.per(), other.per()) else {
            return self.same_amount(other);
        };
        if a == b {
            return self.same_amount(other);
        }
        if let Some(f) = rates::conversion(self.measure, a, b) {
            let converted = Quantity {
                value: self.value * f,
                rate: other.rate.clone(),
                ..self.clone()
            };
            return converted.same_amount(other);
        }
        // `연 5만 원` against `월 5만 원`: other facts. Different figures per periods that do not
        // convert (`하루 8시간`, `주 40시간`) cannot be told apart.
        match self.same_amount(other) {
            Some(true) => Some(false),
            _ => None,
        }
    }

    /// A date found at `span`.
    fn of_date(date: DateParts, span: Range<usize>) -> Quantity {
        Quantity {
            measure: Measure::Date,
            value: 0.0,
            date: Some(date),
            unit: "",
            span,
            rate: None,
        }
    }

    /// What the quantity is counted per, when the text says.
    pub fn per(&self) -> Option<Per> {
        self.rate.as_ref().map(|r| r.per)
    }

    /// The bytes of the quantity with its rate's words (`월 5만 원`), as shown to users.
    pub fn written_span(&self) -> Range<usize> {
        match &self.rate {
            Some(r) => r.span.start.min(self.span.start)..r.span.end.max(self.span.end),
            None => self.span.clone(),
        }
    }

    /// Whether the two values are one number (within 1%), whatever their measure and unit.
    pub fn same_number(&self, other: &Quantity) -> bool {
        let scale = self.value.abs().max(other.value.abs());
        scale == 0.0 || (self.value - other.value).abs() <= 0.01 * scale
    }

    /// [`Quantity::same_value`] of the figures alone, whatever they are counted per.
    pub fn same_amount(&self, other: &Quantity) -> Option<bool> {
        if let Some(same) = self.days_as_day(other).or_else(|| other.days_as_day(self)) {
            return Some(same);
        }
        if let Some(same) = self
            .year_as_number(other)
            .or_else(|| other.year_as_number(self))
        {
            return Some(same);
        }
        if self.measure != other.measure || self.unit != other.unit {
            return None;
        }
        match (self.date, other.date) {
            (Some(a), Some(b)) => a.agrees(&b),
            (None, None) => Some(self.same_number(other)),
            _ => None,
        }
    }

    /// A Korean `N일` with no month or year is read as a day of the month (`지난 20일`), but it
    /// is also a count of days (`주 3일까지`): a span of whole days (`3 days`) compares with it
    /// as that count. `None` unless `self` is such a span and `other` such a day.
    fn days_as_day(&self, other: &Quantity) -> Option<bool> {
        const DAY: f64 = 1440.0;
        let d = other.date?;
        let bare_day = d.year.is_none() && d.month.is_none();
        if self.measure != Measure::Duration || self.unit != "min" || !bare_day {
            return None;
        }
        let days = self.value / DAY;
        (days.fract() == 0.0).then(|| d.day.is_some_and(|n| f64::from(n) == days))
    }

    /// A year alone (`1446년`) is also written as a bare number (`1446`, an English answer or a
    /// reference): such a number compares with it as that year. `None` unless `self` is a
    /// unitless whole number from [`YEAR_MIN`] to [`YEAR_MAX`] and `other` a date with a year
    /// and nothing more (`두 개` is no year to set against `2020년`, nor `1억`, a hundred
    /// million hectares, against `2007년`).
    fn year_as_number(&self, other: &Quantity) -> Option<bool> {
        let d = other.date?;
        let year_only = d.month.is_none() && d.day.is_none();
        if self.measure != Measure::Count
            || !self.unit.is_empty()
            || !year_only
            || !(YEAR_MIN..=YEAR_MAX).contains(&self.value)
            || self.value.fract() != 0.0
        {
            return None;
        }
        d.year.map(|y| f64::from(y) == self.value)
    }

    /// Whether `self`, a bare number that reads as a calendar year (four digits, 1000 to 2100),
    /// is the year of `date`, a date that gives one: the answer `2012` is said by `February
    /// 2012`. One way only: `2012` does not say `February 2012`.
    pub fn year_of(&self, date: &Quantity) -> bool {
        let calendar_year = self.value.fract() == 0.0 && (1000.0..=2100.0).contains(&self.value);
        self.measure == Measure::Count
            && self.unit.is_empty()
            && calendar_year
            && date
                .date
                .and_then(|d| d.year)
                .is_some_and(|y| f64::from(y) == self.value)
    }

    /// The step of the last digit written in `text` (the text it was read from), in the
    /// quantity's own units: 100 for `2,800명`, 0.1 for `73.2%`, ten years for `20여 년` (120
    /// months), ten million won for `1억2천만 원`. A figure rounded (`약`) stands for
    /// anything within half a step; `여` (some) for up to a step more.
    pub fn step(&self, text: &str) -> f64 {
        let mut sc = Scan {
            s: text,
            pos: self.span.start,
        };
        let written = amount(&mut sc).filter(|&n| n > 0.0 && self.date.is_none());
        match written {
            Some(n) => last_digit_place(n) * (self.value / n),
            None => last_digit_place(self.value),
        }
    }

    /// The value as shown to users: the number, or the ISO date text.
    pub fn value_json(&self) -> serde_json::Value {
        match self.date {
            Some(d) => serde_json::Value::String(d.iso()),
            None => serde_json::json!(self.value),
        }
    }

    /// The quantity written the English way (`$23 billion`, `100,000`, `720 trillion won`), for
    /// an English answer that copied a Korean figure. `None` for measures not written so.
    pub fn english(&self) -> Option<String> {
        let n = english_number(self.value);
        Some(match (self.measure, self.unit) {
            (Measure::Money, "USD") => format!("${n}"),
            (Measure::Money, "EUR") => format!("€{n}"),
            (Measure::Money, "GBP") => format!("£{n}"),
            (Measure::Money, "KRW") => format!("{n} won"),
            (Measure::Money, "JPY") => format!("{n} yen"),
            (Measure::Money, "CNY") => format!("{n} yuan"),
            // A fraction stays as written: its value (0.25) is not how a reader writes it.
            (Measure::Count, FRACTION) => return None,
            (Measure::Count, _) => n,
            (Measure::Percent, _) => format!("{n}%"),
            (Measure::Area, "m2") => format!("{n} m²"),
            (Measure::Area, "pyeong") => format!("{n} pyeong"),
            (Measure::Date, _) => self.date?.english(),
            (Measure::Length, _) => metric(
                self.value,
                &[(1000.0, "km"), (1.0, "m"), (0.01, "cm")],
                "mm",
                0.001,
            ),
            (Measure::Volume, _) => metric(self.value, &[(1.0, "L")], "mL", 0.001),
            (Measure::Mass, _) => metric(
                self.value,
                &[(1e6, "tonnes"), (1000.0, "kg"), (1.0, "g")],
                "mg",
                0.001,
            ),
            (Measure::Duration, "month") if self.value % 12.0 == 0.0 => {
                plural(self.value / 12.0, "year")
            }
            (Measure::Duration, "month") => plural(self.value, "month"),
            (Measure::Duration, "min") if self.value % 10080.0 == 0.0 => {
                plural(self.value / 10080.0, "week")
            }
            (Measure::Duration, "min") if self.value % 1440.0 == 0.0 => {
                plural(self.value / 1440.0, "day")
            }
            (Measure::Duration, "min") if self.value % 60.0 == 0.0 => {
                plural(self.value / 60.0, "hour")
            }
            (Measure::Duration, "min") if self.value.fract() == 0.0 => plural(self.value, "minute"),
            (Measure::Duration, "min") => hours_minutes_seconds(self.value),
            _ => return None,
        })
    }
}

/// `v` with English scale words from a million up (`23 billion`, `1.72 trillion`), digits
/// grouped by thousands below.
fn english_number(v: f64) -> String {
    for (scale, word) in [(1e12, "trillion"), (1e9, "billion"), (1e6, "million")] {
        if v.abs() >= scale {
            return format!("{} {word}", short_decimal(v / scale));
        }
    }
    if v.fract() != 0.0 {
        return short_decimal(v);
    }
    let digits = format!("{}", v.abs() as u64);
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    if v < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// `v` (in a base unit) in the largest of `units` (factor, symbol) it reaches, else in `small`.
fn metric(v: f64, units: &[(f64, &str)], small: &str, small_factor: f64) -> String {
    let (f, name) = units
        .iter()
        .copied()
        .find(|&(f, _)| v.abs() >= f)
        .unwrap_or((small_factor, small));
    format!("{} {name}", english_number(v / f))
}

/// `v` and `word`, plural unless `v` is 1 (`3 years`, `1 hour`).
fn plural(v: f64, word: &str) -> String {
    let s = if v == 1.0 { "" } else { "s" };
    format!("{} {word}{s}", english_number(v))
}

/// A time of `minutes` with seconds in it as hours, minutes and seconds: `1 hour 24 minutes 5
/// seconds`.
fn hours_minutes_seconds(minutes: f64) -> String {
    let total = (minutes * 60.0).round();
    let parts = [
        ((total / 3600.0).floor(), "hour"),
        ((total % 3600.0 / 60.0).floor(), "minute"),
        (total % 60.0, "second"),
    ];
    parts
        .iter()
        .filter(|(v, _)| *v > 0.0)
        .map(|&(v, w)| plural(v, w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `v` with at most two decimals, trailing zeros dropped.
fn short_decimal(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `text` with each figure written with Korean magnitudes or units (`230억 달러`, `10만`) put
/// the English way ([`Quantity::english`]); other text unchanged.
pub fn english_figures(text: &str) -> String {
    english_figures_as_quoted(text, "")
}

/// [`english_figures`] for an answer taken from `quoted`: a day of the month alone (`14일`) that
/// the quote counts as a span of days (`14일 이내에 신고해야`) is written as days (`14 days`), not
/// as a date (`the 14th`).
pub fn english_figures_as_quoted(text: &str, quoted: &str) -> String {
    let spans: Vec<f64> = extract(quoted)
        .into_iter()
        .filter(|q| q.measure == Measure::Duration && q.unit == "min" && q.value % 1440.0 == 0.0)
        .map(|q| q.value / 1440.0)
        .collect();
    let mut out = text.to_string();
    for q in extract(text).iter().rev() {
        let span = &text[q.span.clone()];
        if !crate::text::has_hangul(span) {
            continue;
        }
        let days = q
            .date
            .filter(|d| q.measure == Measure::Date && d.year.is_none() && d.month.is_none())
            .and_then(|d| d.day)
            .map(f64::from)
            .filter(|d| spans.contains(d));
        if let Some(days) = days {
            out.replace_range(q.span.clone(), &plural(days, "day"));
        } else if q.measure == Measure::Count && q.unit != FRACTION {
            // Only the number: the words after it (`jobs`) stay.
            let number =
                span.trim_end_matches(|c: char| !(c.is_ascii_digit() || magnitude(c).is_some()));
            let end = q.span.start + number.len();
            out.replace_range(q.span.start..end, &english_number(q.value));
        } else if let Some(e) = q.english().filter(|e| !e.is_empty()) {
            out.replace_range(q.span.clone(), &e);
        }
    }
    out
}

/// Whether a quantity may start at byte `i` (not inside a word like `T-Mobile3` or `A100`).
fn starts_here(s: &str, i: usize) -> bool {
    let prev = s[..i].chars().next_back();
    !prev.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | ':' | '-'))
}

/// Bytes of the numeral `s` starts with: digits, separators and Korean magnitudes
/// (`1,300만`), no English scale word.
pub fn numeral_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || matches!(c, ',' | '.') || magnitude(c).is_some()))
        .map_or(s.len(), |(i, _)| i)
}

/// Every quantity of `text`, in order, non-overlapping.
pub fn extract(text: &str) -> Vec<Quantity> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        if let Some(q) = zero_count(text, i) {
            i = q.span.end;
            out.push(q);
            continue;
        }
        if let Some(q) = native_count(text, i).or_else(|| native_days(text, i)) {
            i = q.span.end;
            out.push(q);
            continue;
        }
        if starts_here(text, i) {
            if let Some(mut q) = quantity_at(text, i) {
                i = q.span.end.max(i + c.len_utf8());
                q.rate = rates::rate(text, &q.span, q.measure).or_else(|| days_per(text, &q));
                // The words of a rate before the figure are not a figure of their own: the
                // `1년` of `1년에 600만 원`, the `1,000명` of `1,000명당 584대`.
                if let Some(r) = q.rate.as_ref().filter(|r| r.before) {
                    out.retain(|p: &Quantity| p.span.end <= r.span.start);
                }
                out.push(q);
                continue;
            }
        }
        i += c.len_utf8();
    }
    read_range_lows(text, out)
}

/// The place of a number's last nonzero digit: 100 for 2,800, 0.1 for 73.2, 10¹² for 10¹².
fn last_digit_place(value: f64) -> f64 {
    let v = value.abs();
    if v == 0.0 {
        return 1.0;
    }
    let mut place = 10f64.powi(v.log10().floor() as i32);
    while place > 1e-6 && ((v / place).round() - v / place).abs() > 1e-6 {
        place /= 10.0;
    }
    place
}

/// Currency codes written before an amount (`KRW 500 million`, `US$1.2 billion`).
const CODE_PREFIXES: &[(&str, &str)] = &[
    ("US$", "USD"),
    ("USD", "USD"),
    ("KRW", "KRW"),
    ("EUR", "EUR"),
    ("GBP", "GBP"),
    ("JPY", "JPY"),
    ("CNY", "CNY"),
    ("RMB", "CNY"),
];

/// Marks between the two ends of a range (`10~20%`).
pub const RANGE_MARKS: [char; 3] = ['~', '∼', '〜'];

/// The low end of a range takes the high end's unit and magnitude: `10~20%` is 10% to 20%,
/// `10~20만 원` 10만 원 to 20만 원, `4~6%` 4% (a lone digit, no figure before). Dates and
/// times keep their own forms.
fn read_range_lows(text: &str, out: Vec<Quantity>) -> Vec<Quantity> {
    let mut result: Vec<Quantity> = Vec::with_capacity(out.len());
    for mut high in out {
        if let Some(low) = range_low(text, &high) {
            // A rate written before the range counts both ends (`월 10~20만 원`).
            if high.rate.is_none() {
                high.rate = low.rate.clone().filter(|r| r.before);
            }
            // The figure read from the low end's text alone (`10` of `10~20%`) gives way to
            // it; one that reaches into it from before keeps its place.
            let (from, to) = (low.span.start, high.span.start);
            if !result
                .iter()
                .any(|p| p.span.start < from && p.span.end > from)
            {
                result.retain(|p| !(p.span.start >= from && p.span.end <= to));
                result.push(low);
            }
        }
        result.push(high);
    }
    result
}

/// The low end of the range that `high` ends, read with `high`'s unit.
fn range_low(text: &str, high: &Quantity) -> Option<Quantity> {
    if high.measure == Measure::Date {
        return None;
    }
    let head = text[..high.span.start]
        .trim_end()
        .strip_suffix(RANGE_MARKS)?
        .trim_end();
    let start = head
        .char_indices()
        .rev()
        .take_while(|&(_, c)| {
            c.is_ascii_digit() || matches!(c, ',' | '.') || magnitude(c).is_some()
        })
        .last()
        .map(|(i, _)| i)?;
    let low_text = &head[start..];
    if !low_text.starts_with(|c: char| c.is_ascii_digit()) || !starts_here(text, start) {
        return None;
    }
    let written = &text[high.span.clone()];
    let digits = written
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, ',' | '.')))
        .unwrap_or(written.len());
    let suffix = match low_text.chars().any(|c| magnitude(c).is_some()) {
        true => &written[numeral_len(written)..],
        false => &written[digits..],
    };
    let synthetic = format!("{low_text}{suffix}");
    let low = quantity_at(&synthetic, 0)
        .filter(|q| q.span.end == synthetic.len())
        .filter(|q| q.measure == high.measure && q.unit == high.unit)?;
    let span = start..start + low_text.len();
    Some(Quantity {
        rate: rates::rate(text, &span, low.measure),
        span,
        ..low
    })
}

/// Counters of times that a zero count reads besides the [`korean_counter`]s (`한 번도`); a
/// native numeral before them is not read as a count (`2주에 한 번` is a rate).
const TIMES: [&str; 2] = ["번", "회"];

/// A count of none written in Korean words at byte `i`: `한 건도 없었다` (not one case),
/// `한 명도 다치지 않았다`, `하나도 없다`. A claim of `한 건도 없었다` then meets the
/// evidence's `2건` as another value. The span covers `한 건도`.
fn zero_count(text: &str, i: usize) -> Option<Quantity> {
    let rest = &text[i..];
    if !rest.starts_with('한') && !rest.starts_with("하나") {
        return None;
    }
    if !word_starts(text, i) {
        return None;
    }
    let (after, unit) = match rest.strip_prefix("하나도") {
        Some(after) => (after, ""),
        None => {
            let r = rest.strip_prefix('한')?;
            let r = r.strip_prefix(' ').unwrap_or(r);
            let (counter, unit) = korean_counter(r)
                .or_else(|| TIMES.iter().find(|c| r.starts_with(*c)).map(|c| (*c, "")))?;
            (r[counter.len()..].strip_prefix('도')?, unit)
        }
    };
    // Then a word of none: `없었다`, `않았다`, `안 왔다`, `못 했다`, or a verb in `-지` and
    // `않`/`못` (`발생하지 않았다`).
    let mut words = after.split_whitespace();
    let (first, second) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let none = ["없", "않", "못"].iter().any(|w| first.starts_with(w))
        || first == "안"
        || (first.ends_with('지') && (second.starts_with('않') || second.starts_with('못')));
    if !none {
        return None;
    }
    Some(Quantity {
        measure: Measure::Count,
        value: 0.0,
        date: None,
        unit,
        span: i..text.len() - after.len(),
        rate: None,
    })
}

/// The smallest bare number read as a year where a year is compared ([`Quantity::same_amount`]).
const YEAR_MIN: f64 = 100.0;
/// The largest: a number past any year a text dates (`1억`) is none.
const YEAR_MAX: f64 = 2100.0;

/// Whether a word starts at byte `i` of `text`: no letter or digit stands just before it.
fn word_starts(text: &str, i: usize) -> bool {
    !text[..i]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

/// A count in a Korean native numeral at byte `i`, a word of its own followed by a space and a
/// counter (`두 권`, `세 차례`, `열세 척`): the same count as `2권`, `3차례`, `13척`. Glued
/// forms are other words (`한편`, `열대`, `한곳`), and `번` is left out (`한 번` is as often
/// "once" in a rate, `2주에 한 번`, as a count).
fn native_count(text: &str, i: usize) -> Option<Quantity> {
    if !word_starts(text, i) {
        return None;
    }
    let rest = &text[i..];
    let word = &rest[..rest.find(' ')?];
    let value = crate::text::native_numeral(word)?;
    let after = &rest[word.len() + 1..];
    let (counter, unit) = korean_counter(after)?;
    Some(Quantity {
        measure: Measure::Count,
        value,
        date: None,
        unit,
        span: i..i + word.len() + 1 + counter.len(),
        rate: None,
    })
}

/// A span of days in a Korean word at byte `i` (`하루`, `일주일`; [`units::day_word`]), where a
/// word starts: the same span as `1일`, `7일`.
fn native_days(text: &str, i: usize) -> Option<Quantity> {
    if !word_starts(text, i) {
        return None;
    }
    let (len, minutes) = units::day_word(&text[i..])?;
    Some(Quantity {
        measure: Measure::Duration,
        value: minutes,
        date: None,
        unit: "min",
        span: i..i + len,
        rate: None,
    })
}

/// The rate of a bare Korean day that counts days per a week or year (`주 2일`, `연 15일`): it
/// is a number of days, not the second of the month. `매월 25일` stays a date.
fn days_per(text: &str, q: &Quantity) -> Option<Rate> {
    let d = q.date?;
    if d.year.is_some() || d.month.is_some() || d.day.is_none() {
        return None;
    }
    rates::rate(text, &q.span, Measure::Count).filter(|r| matches!(r.per, Per::Week | Per::Year))
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
        '£' => Some("GBP"),
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
            return Some(Quantity::of_date(d, start..sc.pos));
        }
        let (v, digits_only) = {
            let before = sc.pos;
            let v = amount(&mut sc)?;
            let raw = &text[before..sc.pos];
            (v, raw.bytes().all(|b| b.is_ascii_digit() || b == b','))
        };
        if digits_only {
            if let Some(f) = fraction(&mut sc, v) {
                return Some(make(Measure::Count, f, FRACTION, start..sc.pos));
            }
        }
        return with_unit(&mut sc, v, start, digits_only);
    }
    if c.is_ascii_uppercase() {
        // `KRW 500 million`, `US$1.2 billion`: a currency's code before the amount.
        for (code_text, code) in CODE_PREFIXES {
            if sc.eat(code_text) {
                sc.skip_spaces();
                if sc.peek().is_some_and(|c| c.is_ascii_digit()) {
                    let v = amount(&mut sc)?;
                    return Some(make(Measure::Money, v, code, start..sc.pos));
                }
                sc.pos = start;
            }
        }
        if let Some(d) = dates::month_first(&mut sc) {
            return Some(Quantity::of_date(d, start..sc.pos));
        }
        sc.pos = start;
    }
    if c.is_ascii_alphabetic() {
        if let Some(v) = number_word(&mut sc) {
            return with_unit(&mut sc, v, start, false);
        }
    }
    None
}

/// The unit of a fraction (a count of parts of one whole).
pub const FRACTION: &str = "fraction";

/// A fraction whose first number `first` has just been read: Korean `4분의 1` (one part of
/// four: 0.25) or `1/4`. Its value, or `None` (scan unmoved) when no fraction follows.
fn fraction(sc: &mut Scan, first: f64) -> Option<f64> {
    let save = sc.pos;
    let korean = sc.eat("분의");
    if korean {
        sc.skip_spaces();
    } else if !(sc.eat("/") && sc.peek().is_some_and(|c| c.is_ascii_digit())) {
        sc.pos = save;
        return None;
    }
    let second = number(sc).filter(|n| n.is_finite());
    let glued = sc
        .peek()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '/');
    let (numerator, denominator) = if korean {
        (second, Some(first))
    } else {
        (Some(first), second)
    };
    match (numerator, denominator) {
        (Some(n), Some(d)) if d > 0.0 && !glued => Some(n / d),
        _ => {
            sc.pos = save;
            None
        }
    }
}

/// Completes a number with the unit after it (durations may continue, each unit smaller than
/// the one before: `1시간 50분`, `1시간 24분 5초`). A Korean
/// `여` (some, `1만 4천여 명`: fourteen thousand odd) between them is passed over.
fn with_unit(sc: &mut Scan, v: f64, start: usize, bare: bool) -> Option<Quantity> {
    let before = sc.pos;
    let odd = sc.eat("여");
    let found = unit(sc);
    if odd && found.is_none() {
        sc.pos = before;
    }
    match found {
        Some((Measure::Duration, "min", mut m)) => {
            let mut total = v * m;
            loop {
                let save = sc.pos;
                sc.skip_spaces();
                let next = number(sc).and_then(|n| match duration_unit(sc) {
                    Some((Measure::Duration, "min", m2)) if m2 < m => Some((n, m2)),
                    _ => None,
                });
                match next {
                    Some((n, m2)) => {
                        total += n * m2;
                        m = m2;
                    }
                    None => {
                        sc.pos = save;
                        break;
                    }
                }
            }
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
        rate: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_measures_before_a_noun_and_pounds() {
        let read = |t: &str| {
            extract(t)
                .into_iter()
                .map(|q| (q.measure, q.unit, q.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            read("a two-year warranty"),
            [(Measure::Duration, "month", 24.0)]
        );
        assert_eq!(read("a 10-minute walk"), [(Measure::Duration, "min", 10.0)]);
        assert_eq!(read("a 3-metre wall"), [(Measure::Length, "m", 3.0)]);
        assert_eq!(read("a 3-month trial"), [(Measure::Duration, "month", 3.0)]);
        assert_eq!(read("£3 a ticket"), [(Measure::Money, "GBP", 3.0)]);
        assert_eq!(read("£1,482,000"), [(Measure::Money, "GBP", 1_482_000.0)]);
        assert_eq!(extract("£12,500")[0].english().as_deref(), Some("£12,500"));
        // A hyphen before digits or a code's letters joins no unit.
        assert!(read("T-Mobile").is_empty());
        assert!(read("COVID-19 cases").is_empty());
        assert!(read("2023-2024").iter().all(|q| q.0 != Measure::Duration));
        assert!(read("a 3-mile walk").iter().all(|q| q.0 == Measure::Count));
    }

    #[test]
    fn days_that_are_no_date_are_a_span_of_days() {
        let one = |s: &str| extract(s).remove(0);
        let every = one("비밀번호는 90일마다 바꾼다");
        assert_eq!(
            (every.measure, every.value),
            (Measure::Duration, 90.0 * 1440.0)
        );
        assert_eq!(one("30일마다").measure, Measure::Duration);
        assert_eq!(
            one("every 30 days").same_value(&one("30일마다")),
            Some(true)
        );
        assert_eq!(one("every 30 days").same_value(&every), Some(false));
        assert_eq!(one("100일 동안").value, 100.0 * 1440.0);
        assert_eq!(one("21일 전날").measure, Measure::Date);
        assert_ne!(one("40일본").measure, Measure::Duration);
    }

    #[test]
    fn none_in_korean_words_is_a_count_of_zero() {
        let zero = |s: &str| {
            let q = extract(s);
            assert_eq!(q.len(), 1, "{s}: {q:?}");
            assert_eq!((q[0].measure, q[0].value), (Measure::Count, 0.0), "{s}");
            q[0].clone()
        };
        let none = zero("산업재해가 한 건도 없었다.");
        assert_eq!(&"산업재해가 한 건도 없었다."[none.span.clone()], "한 건도");
        assert_eq!(
            none.same_value(&extract("산업재해 2건이 발생")[0]),
            Some(false)
        );
        assert_eq!(zero("사고는 한 건도 발생하지 않았다").unit, "");
        assert_eq!(zero("한 명도 다치지 않았다").unit, "persons");
        zero("불량은 하나도 없다");
        zero("한번도 안 왔다");
        assert_eq!(zero("사본은 한 권도 남지 않았다").unit, "volumes");
        // One of something, or `한` in another word, is no zero.
        for s in [
            "한 건도 처리했다",
            "대한 건도 없다",
            "한 건의 사고",
            "한국은 없다",
        ] {
            assert!(extract(s).iter().all(|q| q.value != 0.0), "{s}");
        }
    }

    #[test]
    fn a_bare_korean_day_is_also_a_count_of_days() {
        let one = |s: &str| extract(s).remove(0);
        let week = one("주 3일까지");
        assert_eq!(one("3 days").same_value(&week), Some(true));
        // Counted per a week, it is a number of days; a month's day stays a date.
        assert_eq!(week.per(), Some(Per::Week));
        assert_eq!(one("연 3일").same_value(&week), Some(false));
        assert_eq!(one("매월 25일").per(), None);
        assert_eq!(week.same_value(&one("3 days")), Some(true));
        assert_eq!(one("1 day").same_value(&one("1일")), Some(true));
        assert_eq!(one("4 days").same_value(&week), Some(false));
        // A day with its month is a date, not a count; hours are not whole days.
        assert_eq!(one("3 days").same_value(&one("5월 3일")), None);
        assert_eq!(one("3 hours").same_value(&week), None);
        assert_eq!(english_figures("1년 6개월"), "1 year 6 months");
    }

    #[test]
    fn korean_figures_are_written_the_english_way() {
        assert_eq!(english_figures("230억 USD"), "$23 billion");
        assert_eq!(english_figures("$230억"), "$23 billion");
        assert_eq!(english_figures("10만 jobs"), "100,000 jobs");
        assert_eq!(
            english_figures("720조 원 and 1,720억 달러"),
            "720 trillion won and $172 billion"
        );
        assert_eq!(english_figures("4.8억 dollars, 3.5%"), "$480 million, 3.5%");
        assert_eq!(
            english_figures("100,000 jobs on the 22nd"),
            "100,000 jobs on the 22nd"
        );
        assert_eq!(english_figures("22일"), "the 22nd");
        assert_eq!(
            english_figures_as_quoted("14일", "이사한 날부터 14일 이내에 신고해야 하며"),
            "14 days"
        );
        assert_eq!(
            english_figures_as_quoted("22일", "지난 22일 발표했다. 30일 동안 이어진다."),
            "the 22nd"
        );
        assert_eq!(english_figures("1년"), "1 year");
        let q = extract("4년 동안, 2026년");
        assert_eq!((q[0].measure, q[0].value), (Measure::Duration, 48.0));
        assert_eq!(q[1].measure, Measure::Date);
        assert_eq!(english_figures("2025년 1월 22일"), "January 22, 2025");
        assert_eq!(english_number(1234567.0), "1.23 million");
        assert_eq!(english_number(72000.0), "72,000");
    }
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
    fn english_dates() {
        let date = |text: &str| one(text).date.map(|d| d.iso());
        assert_eq!(
            date("Starting October 15, the fleet grows").as_deref(),
            Some("--10-15")
        );
        assert_eq!(date("on October 15, 2025.").as_deref(), Some("2025-10-15"));
        assert_eq!(
            date("will begin on Saturday 4 May and").as_deref(),
            Some("--05-04")
        );
        assert_eq!(date("from the 1st of June").as_deref(), Some("--06-01"));
        assert_eq!(date("in September 2023 after").as_deref(), Some("2023-09"));
        assert_eq!(date("at the beginning of June.").as_deref(), Some("--06"));
        assert_eq!(date("until Sept. 30").as_deref(), Some("--09-30"));
        // Compared with a Korean date by their shared parts.
        assert_eq!(
            one("October 15").same_value(&one("10월 15일(수)부터")),
            Some(true)
        );
        assert_eq!(one("in June").same_value(&one("5월 4일")), Some(false));
        // A bare year is said by a date in that year, not the other way round.
        assert!(one("2012").year_of(&one("in February 2012")));
        assert!(!one("2013").year_of(&one("in February 2012")));
        assert!(!one("150").year_of(&one("in 150")));
        assert_eq!(one("2012").same_value(&one("in February 2012")), None);
    }

    #[test]
    fn an_age_is_counted_in_years_of_age() {
        let age = one("65세 이상 고령자");
        assert_eq!((age.measure, age.unit), (Measure::Count, "years of age"));
        assert_eq!(age.same_value(&one("두 곳의 대피소")), None);
        assert_eq!(age.same_value(&one("만 65세")), Some(true));
        // A century and a generation are not ages.
        assert_eq!(one("21세기").unit, "");
        assert!(extract("3세대").iter().all(|q| q.unit.is_empty()));
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
        // A counter makes a lone digit a count; without one it is no quantity.
        for (text, value, unit) in [
            ("물걸레 패드 2장", 2.0, "sheets"),
            ("하권 1권만", 1.0, "volumes"),
            ("소 3마리", 3.0, "animals"),
        ] {
            let q = one(text);
            assert_eq!((q.measure, q.unit), (Measure::Count, unit), "{text}");
            assert!(approx(q.value, value), "{text}");
        }
        assert_eq!(one("2 books").same_value(&one("2권")), Some(true));
        // Counts of different things do not compare: one volume is not 38 sheets.
        assert_eq!(one("1권").same_value(&one("38장")), None);
        assert!(extract("그 중 1은").is_empty());
        // Native numerals before a counter are counts; glued, they are other words.
        let q = one("상권과 하권 두 권으로 이루어졌으나");
        assert_eq!(
            (q.measure, q.value, q.unit),
            (Measure::Count, 2.0, "volumes")
        );
        assert_eq!(one("이사 세 명이 반대").same_value(&one("3명")), Some(true));
        assert!(approx(one("네 가지 맛").value, 4.0));
        // Tens and their units too.
        assert_eq!(one("배 열세 척으로").same_value(&one("13척")), Some(true));
        assert_eq!(one("스무 명이 모였다").same_value(&one("20명")), Some(true));
        assert!(approx(one("서른두 곳").value, 32.0));
        for other in [
            "한편 회사는",
            "열대 지방",
            "두 개월 동안",
            "2주에 한 번",
            "세계 한 곳",
        ] {
            assert!(
                extract(other)
                    .iter()
                    .all(|q| q.measure != Measure::Count || q.value != 2.0),
                "{other}"
            );
        }
        assert!(extract("한편 회사는 열대 지방에").is_empty());
        // Spans of days in Korean words are the spans their digits write.
        assert_eq!(
            one("시험이 하루 연기됐다").same_value(&one("1일")),
            Some(true)
        );
        assert_eq!(one("일주일 미뤄졌다").same_value(&one("7일간")), Some(true));
        assert_eq!(one("열흘 만에").same_value(&one("10 days")), Some(true));
        assert_eq!(one("이틀간 열렸다").same_value(&one("하루")), Some(false));
        for other in ["하루빨리 고쳐야", "매일주일", "보름달이 떴다"] {
            assert!(extract(other).is_empty(), "{other}");
        }
        // A rate's words before a figure are no span of their own.
        let q = one("하루 8시간 일한다");
        assert_eq!((q.value, q.per()), (480.0, Some(Per::Day)));
        assert!(
            extract("두 개월 동안").is_empty(),
            "a span of months, not two things"
        );
        assert_eq!(one("두 개").same_value(&one("2020년")), None);
        assert_eq!(one("1446").same_value(&one("1446년")), Some(true));
    }

    #[test]
    fn lengths_volumes_and_masses() {
        let same = |a: &str, b: &str| one(a).same_value(&one(b));
        assert_eq!(same("물통 용량: 4.5L", "4.5 리터"), Some(true));
        assert_eq!(same("4.5 litres", "4.5ℓ"), Some(true));
        assert_eq!(same("500mL", "0.5L"), Some(true));
        assert_eq!(same("2.5cm까지", "25 mm"), Some(true));
        assert_eq!(same("4,000km", "4000 킬로미터"), Some(true));
        assert_eq!(same("3 kg", "3,000그램"), Some(true));
        assert_eq!(same("2.5cm", "2cm"), Some(false));
        // Different measures never compare.
        assert_eq!(same("4.5L", "4.5kg"), None);
        assert_eq!(one("4.5L").measure, Measure::Volume);
        // Symbols are case-sensitive and not glued to letters: `5G` is a network, `5 more`
        // not metres.
        assert!(extract("5G 통신")
            .iter()
            .all(|q| q.measure != Measure::Mass));
        assert_eq!(one("15 more days").measure, Measure::Count);
        assert_eq!(english_figures("4.5 리터"), "4.5 L");
        assert_eq!(english_figures("4,000킬로미터"), "4,000 km");
        assert_eq!(english_figures("2.5센티미터"), "2.5 cm");
    }

    #[test]
    fn weeks_and_odd_counts() {
        let q = one("필터는 2주에 한 번");
        assert_eq!((q.measure, q.value), (Measure::Duration, 2.0 * 10080.0));
        assert_eq!(q.same_value(&one("2 weeks")), Some(true));
        assert_eq!(one("14 days").same_value(&q), Some(true));
        assert_eq!(english_figures("2주"), "2 weeks");
        assert_ne!(one("창립 10주년").measure, Measure::Duration);
        // `여` (some): fourteen thousand odd people are people.
        let q = one("1만 4천여 명에 이르렀으나");
        assert_eq!((q.unit, q.value), ("persons", 14_000.0));
        assert_eq!(one("20여 년간").value, 240.0);
        assert_eq!(one("30여").measure, Measure::Count);
    }

    #[test]
    fn korean_numerals_in_groups() {
        let v = |t: &str| {
            let q = one(t);
            (q.value, q.unit)
        };
        assert_eq!(v("2천8백 명"), (2800.0, "persons"));
        assert_eq!(v("1억2천만 원"), (1.2e8, "KRW"));
        assert_eq!(v("12억 5천만 원"), (1.25e9, "KRW"));
        assert_eq!(v("3백만 원"), (3e6, "KRW"));
        assert_eq!(v("5백억 원"), (5e10, "KRW"));
        assert_eq!(v("1천2백 kg"), (1.2e6, "g"));
        assert_eq!(v("1조 2,000억 원"), (1.2e12, "KRW"));
        assert_eq!(v("7만2000명"), (72000.0, "persons"));
        // The words of a rate are no figure of their own.
        let q = extract("지원금을 1년에 600만 원꼴로 최장 3년 동안");
        let shown: Vec<(&str, Option<Per>)> = q.iter().map(|q| (q.unit, q.per())).collect();
        assert_eq!(shown, vec![("KRW", Some(Per::Year)), ("month", None)]);
        let q = one("인구 1,000명당 584대꼴이다");
        assert_eq!((q.value, q.per()), (584.0, Some(Per::Each)));
        // Units out of order end the number: `2천 3천` is two of them.
        let two: Vec<f64> = extract("2천 3천 명").iter().map(|q| q.value).collect();
        assert_eq!(two, vec![2000.0, 3000.0]);
        // A number that no calendar holds is no year: `1억` is not compared with `2007년`.
        let year = one("2007년부터");
        assert_eq!(one("1억").same_value(&year), None);
        assert_eq!(one("2007").same_value(&year), Some(true));
        assert_eq!(one("2008").same_value(&year), Some(false));
    }

    #[test]
    fn the_low_end_of_a_range_takes_the_high_ends_unit() {
        let read = |t: &str| -> Vec<(f64, &str)> {
            extract(t).iter().map(|q| (q.value, q.unit)).collect()
        };
        assert_eq!(read("비율은 10~20%이다"), vec![(10.0, "%"), (20.0, "%")]);
        assert_eq!(read("4~6% 수준"), vec![(4.0, "%"), (6.0, "%")]);
        assert_eq!(read("10~20만 원"), vec![(1e5, "KRW"), (2e5, "KRW")]);
        assert_eq!(read("1만~2만 명"), vec![(1e4, "persons"), (2e4, "persons")]);
        assert_eq!(read("370 ~ 380mm"), vec![(0.37, "m"), (0.38, "m")]);
        assert_eq!(read("1991~2020년 평균").len(), 2);
        let q = extract("월 10~20만 원");
        assert_eq!(q[0].per(), Some(Per::Month));
        // Dates keep their own forms.
        let dates: Vec<String> = extract("2021년 4월 ~ 2025년 12월")
            .iter()
            .map(|q| q.date.unwrap().iso())
            .collect();
        assert_eq!(dates, vec!["2021-04", "2025-12"]);
    }

    #[test]
    fn currency_codes_before_an_amount() {
        let money = |t: &str| {
            let q = one(t);
            assert_eq!(q.measure, Measure::Money, "{t}");
            (q.value, q.unit)
        };
        assert_eq!(money("donated KRW 500 million"), (5e8, "KRW"));
        assert_eq!(money("raised US$1.2 billion"), (1.2e9, "USD"));
        assert_eq!(money("USD 3 million"), (3e6, "USD"));
        assert_eq!(money("EUR 40"), (40.0, "EUR"));
        // A code glued to more letters, or with no amount after it, is none.
        assert!(extract("USDT 5")
            .iter()
            .all(|q| q.measure != Measure::Money));
        assert!(extract("KRW rates").is_empty());
    }

    #[test]
    fn the_step_of_the_last_written_digit() {
        let step = |t: &str| extract(t)[0].step(t);
        assert_eq!(step("약 2,800명"), 100.0);
        assert!((step("73.2%") - 0.1).abs() < 1e-9);
        assert_eq!(step("20여 년"), 120.0, "ten years, in months");
        assert_eq!(step("1억2천만 원"), 1e7);
        assert_eq!(step("1조 원"), 1e12);
        assert_eq!(step("1.5km"), 100.0);
    }

    #[test]
    fn areas_in_hectares_and_square_kilometres() {
        let m2 = |t: &str| {
            let q = one(t);
            assert_eq!((q.measure, q.unit), (Measure::Area, "m2"), "{t}");
            q.value
        };
        assert!(approx(m2("1억 헥타르"), 1e12));
        assert!(approx(m2("250 ha"), 2.5e6));
        assert!(approx(m2("3 hectares"), 3e4));
        assert!(approx(m2("약 1,000㎢"), 1e9));
        assert!(approx(m2("605.2 km²"), 6.052e8));
        assert!(approx(m2("12 square kilometres"), 1.2e7));
        assert!(approx(m2("12제곱킬로미터"), 1.2e7));
        assert_eq!(one("1 ha").same_value(&one("10,000㎡")), Some(true));
        // `ha` glued to more letters is a word.
        assert!(extract("5 hats").iter().all(|q| q.measure != Measure::Area));
    }

    #[test]
    fn fractions_are_one_figure() {
        let q = one("두께를 최대 4분의 1 수준으로");
        assert_eq!((q.measure, q.unit), (Measure::Count, FRACTION));
        assert!(approx(q.value, 0.25));
        assert!(approx(one("up to 1/4").value, 0.25));
        // The inverted fraction is another figure, so a check can refuse it.
        assert!(approx(one("4/1").value, 4.0));
        assert!(approx(one("3분의2").value, 2.0 / 3.0));
        // Not fractions: a zero denominator, a slash before a word.
        assert!(extract("1/0").iter().all(|q| q.unit != FRACTION));
        assert!(extract("TCP/IP 10/x").iter().all(|q| q.unit != FRACTION));
        // English answers keep a fraction as written.
        assert_eq!(english_figures("4분의 1 수준"), "4분의 1 수준");
    }

    #[test]
    fn durations() {
        let q = one("회동은 1시간 50분 가량");
        assert_eq!((q.measure, q.unit), (Measure::Duration, "min"));
        assert!(approx(q.value, 110.0));
        assert!(approx(one("about three hours").value, 180.0));
        assert!(approx(one("7분 안에").value, 7.0));
        // Seconds, after hours and minutes: one time, not a time and a stray `5`.
        let record = one("기록은 1시간 24분 5초로");
        assert!(approx(record.value, 84.0 + 5.0 / 60.0));
        assert_eq!(record.span, "기록은 ".len().."기록은 1시간 24분 5초".len());
        assert!(approx(one("30초 안에").value, 0.5));
        assert_eq!(
            english_figures("기록은 1시간 24분 5초"),
            "기록은 1 hour 24 minutes 5 seconds"
        );
        assert_eq!(extract("3만 원 초과").len(), 1);
        assert!(extract("10월 초순")
            .iter()
            .all(|q| q.measure != Measure::Duration));
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
        assert_eq!(d("1446년에 반포"), "1446");
        assert_eq!(d("1446년 간행"), "1446");
        for span in ["1000년 동안", "1200년간", "1500년째"] {
            assert_eq!(one(span).measure, Measure::Duration, "{span}");
        }
        assert_eq!(one("500년의 역사").measure, Measure::Duration);
        assert_eq!(english_figures("1446년에"), "1446에");
        assert!(crate::answer::matching::answer_matches("1446년", "1446"));
        assert_eq!(one("8만 2,000㎡").value, 82000.0);
        assert_eq!(english_figures("부지 8만 2천㎡"), "부지 82,000 m²");
        assert!(crate::answer::matching::answer_matches(
            "82,000 m²",
            "8만 2천㎡"
        ));
        assert_eq!(one("3만 5000원").value, 35000.0);
        assert_eq!(one("1만 4천여 명").value, 14000.0);
        assert_eq!(extract("관객 10만 4일 개봉").len(), 2, "a date of its own");
        let two: Vec<f64> = extract("1만 2만 명").iter().map(|q| q.value).collect();
        assert_eq!(two, vec![10000.0, 20000.0]);
        assert_eq!(one("14조 4,000억 원").value, 1.44e13);
        assert!(crate::answer::matching::answer_matches("1446", "1446년"));
        assert!(!crate::answer::matching::answer_matches("1447년", "1446"));
        assert!(!crate::answer::matching::answer_matches("1446명", "1446년"));
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
        fn rates_are_valid_spans_and_compare_symmetrically(
            parts in prop::collection::vec(
                prop_oneof![
                    prop::sample::select(vec![
                        "월", "연간", "1건당", "하루", " ", "5만 원", "60만 원", "2주", "$9",
                        "a month", "/월", "에 한 번", "이번 주", "당",
                    ])
                    .prop_map(String::from),
                    "\\PC{0,3}",
                ],
                0..10,
            )
        ) {
            let s: String = parts.concat();
            let qs = extract(&s);
            for q in &qs {
                let w = q.written_span();
                prop_assert!(w.start <= q.span.start && q.span.end <= w.end && w.end <= s.len());
                prop_assert!(s.is_char_boundary(w.start) && s.is_char_boundary(w.end));
            }
            for a in &qs {
                for b in &qs {
                    prop_assert_eq!(a.same_value(b), b.same_value(a), "{}", s);
                }
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
