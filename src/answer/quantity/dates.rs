//! Dates in Korean, numeric and English forms: `2025.01.23`, `2025-01-23`, `2019년09월26일`,
//! `2019년 9월 26일`, `3월 29일`, `2026년`, `지난 20일` (a day of the month), `October 15, 2025`,
//! `4 May`, `September 2023`, `in June`. Dates may be partial (no year, only a day) and compare on
//! the parts both sides give.

use super::scan::Scan;

/// A possibly partial calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateParts {
    pub year: Option<u32>,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl DateParts {
    /// ISO-8601-like text: `2025-01-23`, `2026`, `--03-29` (no year), `---20` (day only).
    pub fn iso(&self) -> String {
        match (self.year, self.month, self.day) {
            (Some(y), Some(m), Some(d)) => format!("{y:04}-{m:02}-{d:02}"),
            (Some(y), Some(m), None) => format!("{y:04}-{m:02}"),
            (Some(y), None, _) => format!("{y:04}"),
            (None, Some(m), Some(d)) => format!("--{m:02}-{d:02}"),
            (None, Some(m), None) => format!("--{m:02}"),
            (None, None, Some(d)) => format!("---{d:02}"),
            (None, None, None) => String::new(),
        }
    }

    /// The date as English text: `January 22, 2025`, `January 2025`, `January 22`, `the 22nd`.
    pub fn english(&self) -> String {
        let month = self
            .month
            .and_then(|m| crate::text::MONTH_NAMES.get((m as usize).wrapping_sub(1)));
        match (self.year, month, self.day) {
            (Some(y), Some(m), Some(d)) => format!("{m} {d}, {y}"),
            (Some(y), Some(m), None) => format!("{m} {y}"),
            (Some(y), None, _) => y.to_string(),
            (None, Some(m), Some(d)) => format!("{m} {d}"),
            (None, Some(m), None) => m.to_string(),
            (None, None, Some(d)) => {
                let suffix = match (d % 10, d % 100) {
                    (_, 11..=13) => "th",
                    (1, _) => "st",
                    (2, _) => "nd",
                    (3, _) => "rd",
                    _ => "th",
                };
                format!("the {d}{suffix}")
            }
            (None, None, None) => String::new(),
        }
    }

    /// Whether this date gives the finest part `claim` gives (its day, else its month, else its
    /// year), so that agreeing it confirms `claim`: `2024.11.15` settles `11월 25일` either
    /// way, `2024년` agrees with `2024년 11월 25일` but says nothing of its day. A missing year
    /// is let pass: news gives a date's day and month (`지난 20일`, `3월 29일`) without it.
    pub fn settles(&self, claim: &DateParts) -> bool {
        if claim.day.is_some() {
            self.day.is_some()
        } else if claim.month.is_some() {
            self.month.is_some()
        } else {
            claim.year.is_none() || self.year.is_some()
        }
    }

    /// `Some(true)` when every part both dates give agrees, `Some(false)` when one differs,
    /// `None` when they share no part.
    pub fn agrees(&self, other: &DateParts) -> Option<bool> {
        let pairs = [
            (self.year, other.year),
            (self.month, other.month),
            (self.day, other.day),
        ];
        let mut shared = false;
        for (a, b) in pairs {
            if let (Some(a), Some(b)) = (a, b) {
                shared = true;
                if a != b {
                    return Some(false);
                }
            }
        }
        shared.then_some(true)
    }
}

/// Tries a date at the cursor: `2025.01.23`, `2025-01-23`, `2019년09월26일`, `3월 29일`,
/// `2026년`, `20일`. Returns the parts and leaves the cursor after it.
pub(super) fn date(sc: &mut Scan) -> Option<DateParts> {
    let start = sc.pos;
    if let Some(d) = dotted_date(sc) {
        return Some(d);
    }
    sc.pos = start;
    if let Some(d) = day_month(sc) {
        return Some(d);
    }
    sc.pos = start;
    let mut parts = DateParts::default();
    let mut any = false;
    loop {
        let save = sc.pos;
        let Some(n) = plain_int(sc) else { break };
        let r = sc.rest();
        if r.starts_with('년') && calendar_year(n, r) && parts.year.is_none() && !any {
            sc.pos += '년'.len_utf8();
            parts.year = Some(n);
        } else if r.starts_with('월') && (1..=12).contains(&n) && parts.month.is_none() {
            sc.pos += '월'.len_utf8();
            parts.month = Some(n);
        } else if r.starts_with('일') && (1..=31).contains(&n) && !days_span(r) {
            sc.pos += '일'.len_utf8();
            parts.day = Some(n);
            any = true;
            break;
        } else {
            sc.pos = save;
            break;
        }
        any = true;
        let before = sc.pos;
        sc.skip_spaces();
        if !sc.peek().is_some_and(|c| c.is_ascii_digit()) {
            sc.pos = before;
            break;
        }
    }
    if any {
        Some(parts)
    } else {
        sc.pos = start;
        None
    }
}

/// Whether the words after a number (`rest`, starting with `일`) make it a number of days, not
/// a day of the month: `30일간`, `3일 동안`, `3일 만에`, `30일마다`, `3일 간격`, `3일에 한 번`,
/// `7일 이내`, `14일 이상`, `3일째`. (`20일 전후`, `21일 전날` and `20일 오후` stay dates.)
fn days_span(rest: &str) -> bool {
    let after = &rest['일'.len_utf8()..];
    let tight = after.trim_start();
    after.starts_with('간')
        || after.starts_with('째')
        || [
            "동안",
            "만에",
            "마다",
            "간격",
            "에 한 번",
            "에 한번",
            "이내",
            "이상",
            "이하",
            "미만",
            "초과",
            "넘게",
        ]
        .iter()
        .any(|w| tight.starts_with(w))
}

/// Whether `n` before `rest` (starting with `년`) is a calendar year: four digits up to 2100
/// (`1446년에`, `2026년`), unless the words after make it a span (`1000년 동안`, `1200년간`).
fn calendar_year(n: u32, rest: &str) -> bool {
    let after = rest['년'.len_utf8()..].trim_start();
    let span = after.strip_prefix('간').is_some_and(|r| {
        !r.chars()
            .next()
            .is_some_and(crate::text::is_hangul_syllable)
    }) || ["동안", "째", "만에", "만의"]
        .iter()
        .any(|w| after.starts_with(w));
    (1000..=2100).contains(&n) && !span
}

/// Common abbreviations of English month names (`Sept`, `Oct.`), each with its number; the full
/// names are [`crate::text::MONTH_NAMES`].
const ABBREVIATIONS: &[(&str, u32)] = &[
    ("Sept", 9),
    ("Jan", 1),
    ("Feb", 2),
    ("Mar", 3),
    ("Apr", 4),
    ("Jun", 6),
    ("Jul", 7),
    ("Aug", 8),
    ("Sep", 9),
    ("Oct", 10),
    ("Nov", 11),
    ("Dec", 12),
];

/// Words after which `May` alone is the month, not the verb (`in May`, `until May`).
const BEFORE_A_MONTH: &[&str] = &[
    "in", "of", "since", "until", "till", "by", "from", "to", "early", "late", "mid", "end",
    "next", "last", "this", "each", "every", "before", "after", "during", "through",
];

/// A capitalised English month name at the cursor, as a whole word (`Oct.` with its dot): its
/// number, and whether it was written in full.
fn month_name(sc: &mut Scan) -> Option<(u32, bool)> {
    let r = sc.rest();
    let whole = |name: &str| {
        r.starts_with(name)
            && !r[name.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
    };
    let full = (1..)
        .zip(crate::text::MONTH_NAMES)
        .find(|(_, name)| whole(name))
        .map(|(n, name)| (name, n, true));
    let (name, n, full) = full.or_else(|| {
        ABBREVIATIONS
            .iter()
            .find(|(name, _)| whole(name))
            .map(|&(name, n)| (name, n, false))
    })?;
    sc.pos += name.len();
    if !full && sc.rest().starts_with('.') {
        sc.pos += 1;
    }
    Some((n, full))
}

/// A day of the month in English: 1 to 31, with an ordinal's letters (`15th`), not glued to
/// more digits.
fn english_day(sc: &mut Scan) -> Option<u32> {
    let save = sc.pos;
    let n = plain_int(sc).filter(|n| (1..=31).contains(n) && sc.pos - save <= 2);
    let Some(n) = n else {
        sc.pos = save;
        return None;
    };
    for suffix in ["st", "nd", "rd", "th"] {
        if sc.eat_word(suffix) {
            break;
        }
    }
    if sc.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
        sc.pos = save;
        return None;
    }
    Some(n)
}

/// A year after an English date (`, 2025`, ` 2025`): four digits from 1000 to 2100.
fn english_year(sc: &mut Scan) -> Option<u32> {
    let save = sc.pos;
    sc.eat(",");
    sc.skip_spaces();
    let start = sc.pos;
    match plain_int(sc) {
        Some(y)
            if sc.pos - start == 4
                && (1000..=2100).contains(&y)
                && !sc.peek().is_some_and(|c| c.is_ascii_alphanumeric()) =>
        {
            Some(y)
        }
        _ => {
            sc.pos = save;
            None
        }
    }
}

/// An English date that opens with its day: `4 May`, `15 October 2025`, `1st of June`.
fn day_month(sc: &mut Scan) -> Option<DateParts> {
    let day = english_day(sc)?;
    sc.skip_spaces();
    sc.eat_word("of");
    sc.skip_spaces();
    let (month, _) = month_name(sc)?;
    Some(DateParts {
        year: english_year(sc),
        month: Some(month),
        day: Some(day),
    })
}

/// An English date that opens with its month: `October 15`, `October 15, 2025`, `September
/// 2023`, or the month alone, in full and not first in the text (`in June`; `May` alone only
/// after a word such as `in`, since it is also a verb; `Jan` alone may be a name). The cursor
/// must be at a capitalised month name.
pub(super) fn month_first(sc: &mut Scan) -> Option<DateParts> {
    let start = sc.pos;
    let (month, full) = month_name(sc)?;
    let after_name = sc.pos;
    let mut parts = DateParts {
        month: Some(month),
        ..DateParts::default()
    };
    sc.skip_spaces();
    if let Some(day) = english_day(sc) {
        parts.day = Some(day);
        parts.year = english_year(sc);
        return Some(parts);
    }
    sc.pos = after_name;
    if let Some(year) = english_year(sc) {
        parts.year = Some(year);
        return Some(parts);
    }
    sc.pos = after_name;
    let before = sc.s[..start].trim_end();
    let word_before = before
        .rsplit(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let may_be_verb = month == 5 && !BEFORE_A_MONTH.contains(&word_before.as_str());
    if may_be_verb || before.is_empty() || !full {
        sc.pos = start;
        return None;
    }
    Some(parts)
}

fn plain_int(sc: &mut Scan) -> Option<u32> {
    let r = sc.rest();
    let n = r.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > 4 {
        return None;
    }
    sc.pos += n;
    r[..n].parse().ok()
}

fn dotted_date(sc: &mut Scan) -> Option<DateParts> {
    let r = sc.rest();
    let b = r.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sep = b[4];
    if !matches!(sep, b'.' | b'-' | b'/') {
        return None;
    }
    let mut i = 5;
    let m_len = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&m_len) || b.get(i + m_len) != Some(&sep) {
        return None;
    }
    let month: u32 = r[i..i + m_len].parse().ok()?;
    i += m_len + 1;
    let d_len = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&d_len) {
        return None;
    }
    let day: u32 = r[i..i + d_len].parse().ok()?;
    let year: u32 = r[..4].parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    sc.pos += i + d_len;
    Some(DateParts {
        year: Some(year),
        month: Some(month),
        day: Some(day),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_english() {
        let d = |year, month, day| DateParts { year, month, day }.english();
        assert_eq!(d(Some(2025), Some(1), Some(22)), "January 22, 2025");
        assert_eq!(d(None, Some(3), None), "March");
        assert_eq!(d(None, None, Some(22)), "the 22nd");
        assert_eq!(d(None, None, Some(11)), "the 11th");
        assert_eq!(d(None, None, Some(31)), "the 31st");
        assert_eq!(d(None, Some(13), None), "");
    }

    #[test]
    fn a_number_of_days_is_no_day_of_the_month() {
        let day = |t: &str| {
            let mut sc = Scan { s: t, pos: 0 };
            date(&mut sc).and_then(|d| d.day)
        };
        for span in [
            "30일마다 바꾼다",
            "3일 간격으로",
            "2일에 한 번",
            "7일 이내에",
            "14일 이상",
            "3일째",
            "30일간",
            "3일 동안",
            "3일 만에",
        ] {
            assert_eq!(day(span), None, "{span}");
        }
        for date in ["20일 오후", "21일 전날", "20일 발표했다", "지난 20일"] {
            let d = date.trim_start_matches("지난 ");
            assert!(day(d).is_some(), "{date}");
        }
    }

    #[test]
    fn date_agreement() {
        let full = DateParts {
            year: Some(2025),
            month: Some(1),
            day: Some(23),
        };
        let day = DateParts {
            day: Some(23),
            ..Default::default()
        };
        assert_eq!(full.agrees(&day), Some(true));
        let other = DateParts {
            day: Some(22),
            ..Default::default()
        };
        assert_eq!(full.agrees(&other), Some(false));
        assert_eq!(DateParts::default().agrees(&full), None);
    }

    #[test]
    fn a_date_settles_a_claim_by_its_finest_part() {
        let date = |year, month, day| DateParts { year, month, day };
        let claim = date(Some(2024), Some(11), Some(25));
        assert!(date(Some(2024), Some(11), Some(15)).settles(&claim));
        // A day and month without the year: news leaves the year out.
        assert!(date(None, Some(11), Some(25)).settles(&claim));
        assert!(!date(Some(2024), None, None).settles(&claim));
        assert!(!date(Some(2024), Some(11), None).settles(&claim));
        let month = date(Some(2024), Some(11), None);
        assert!(date(None, Some(11), None).settles(&month));
        assert!(!date(Some(2024), None, None).settles(&month));
        assert!(date(Some(2024), None, None).settles(&date(Some(2024), None, None)));
    }
}
