//! What a quantity is counted per: `월 5만 원` (a month), `연간 60만 대` (a year), `주 2일` (a
//! week), `1건당 3만 원` (each), `$9 a month`, and the interval of `2주에 한 번` (every two
//! weeks). The same figure counted per another period is another fact (`연 5만 원` is not `월
//! 5만 원`), so [`super::Quantity::same_value`] tells them apart; a month's amount and a year's
//! compare after conversion (`월 5만 원` = `연 60만 원`).
//!
//! Pure functions over the text around a quantity: the words before it (Korean `월`, `매달`,
//! `시간당`, `N건당`; English `monthly`) or after it (`a month`, `per year`, `/월`, Korean `에 한
//! 번`, `마다`), each with the byte span it covers so that an answer can carry the rate as the
//! passage writes it.

use std::ops::Range;

use serde::Serialize;

use super::Measure;

/// The period or item a quantity is counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    Hour,
    Day,
    Week,
    Month,
    Year,
    /// Per case, person, unit (`1건당`, `인당`, `대당`, `each`).
    Each,
    /// A span of time that is the interval between occurrences (`2주에 한 번`, `3시간마다`).
    Every,
}

impl Per {
    /// How the rate is written after an English figure.
    pub fn english(self) -> &'static str {
        match self {
            Per::Hour => "an hour",
            Per::Day => "a day",
            Per::Week => "a week",
            Per::Month => "a month",
            Per::Year => "a year",
            Per::Each => "each",
            Per::Every => "",
        }
    }

    /// The factor that brings an amount counted per `self` to one counted per `to`, when the
    /// two convert exactly (a year is twelve months; weeks and days do not: a working week
    /// is not seven days).
    fn factor(self, to: Per) -> Option<f64> {
        match (self, to) {
            (Per::Month, Per::Year) => Some(12.0),
            (Per::Year, Per::Month) => Some(1.0 / 12.0),
            _ => None,
        }
    }
}

/// A rate found around a quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub per: Per,
    /// The bytes of the rate's words, with the space between them and the figure.
    pub span: Range<usize>,
    /// Whether the words come before the figure (`월 5만 원`) or after it (`$9 a month`).
    pub before: bool,
}

/// Rate words written before a figure, longest first where one ends another.
const BEFORE: &[(&str, Per)] = &[
    ("연평균", Per::Year),
    ("연간", Per::Year),
    ("연산", Per::Year),
    ("매년", Per::Year),
    ("해마다", Per::Year),
    ("한 해에", Per::Year),
    ("일 년에", Per::Year),
    ("1년에", Per::Year),
    ("연", Per::Year),
    ("월평균", Per::Month),
    ("월간", Per::Month),
    ("매월", Per::Month),
    ("매달", Per::Month),
    ("달마다", Per::Month),
    ("다달이", Per::Month),
    ("한 달에", Per::Month),
    ("한 달", Per::Month),
    ("월", Per::Month),
    ("매주", Per::Week),
    ("일주일에", Per::Week),
    ("1주일에", Per::Week),
    ("한 주에", Per::Week),
    ("주", Per::Week),
    ("하루에", Per::Day),
    ("하루", Per::Day),
    ("매일", Per::Day),
    ("일평균", Per::Day),
    ("일", Per::Day),
    ("매시간", Per::Hour),
    ("한 시간에", Per::Hour),
    ("1시간에", Per::Hour),
    ("monthly", Per::Month),
    ("annual", Per::Year),
    ("yearly", Per::Year),
    ("weekly", Per::Week),
    ("daily", Per::Day),
    ("hourly", Per::Hour),
];

/// Words before a one-syllable rate word that make it a particular period, not a rate
/// (`이번 주 3일`, `지난 월 …`).
const NOT_A_RATE_AFTER: &[&str] = &[
    "이번",
    "지난",
    "다음",
    "오는",
    "같은",
    "그",
    "이",
    "올",
    "전",
    "첫",
    "마지막",
    "매",
];

/// Words that may stand between a rate and its figure.
const HEDGES: &[&str] = &[
    "최대", "최소", "최고", "약", "평균", "총", "up to", "about", "around", "at most", "at least",
];

/// Counted things before `당` (`1건당`, `인당`, `가구당`), and the periods (`시간당`). `주당` is
/// left out: it is also per share.
const PER_WHAT: &[(&str, Per)] = &[
    ("시간", Per::Hour),
    ("일", Per::Day),
    ("달", Per::Month),
    ("월", Per::Month),
    ("년", Per::Year),
    ("연", Per::Year),
    ("건", Per::Each),
    ("인", Per::Each),
    ("명", Per::Each),
    ("개", Per::Each),
    ("대", Per::Each),
    ("가구", Per::Each),
    ("세대", Per::Each),
    ("회", Per::Each),
    ("장", Per::Each),
    ("병", Per::Each),
    ("마리", Per::Each),
    ("사람", Per::Each),
];

/// Rate words written after a figure.
const AFTER: &[(&str, Per)] = &[
    ("each month", Per::Month),
    ("every month", Per::Month),
    ("each year", Per::Year),
    ("every year", Per::Year),
    ("each week", Per::Week),
    ("every week", Per::Week),
    ("each day", Per::Day),
    ("every day", Per::Day),
    ("a month", Per::Month),
    ("per month", Per::Month),
    ("monthly", Per::Month),
    ("/month", Per::Month),
    ("/mo", Per::Month),
    ("/월", Per::Month),
    ("a year", Per::Year),
    ("per year", Per::Year),
    ("per annum", Per::Year),
    ("annually", Per::Year),
    ("/year", Per::Year),
    ("/yr", Per::Year),
    ("/년", Per::Year),
    ("/연", Per::Year),
    ("a week", Per::Week),
    ("per week", Per::Week),
    ("weekly", Per::Week),
    ("/week", Per::Week),
    ("/주", Per::Week),
    ("a day", Per::Day),
    ("per day", Per::Day),
    ("daily", Per::Day),
    ("/day", Per::Day),
    ("/일", Per::Day),
    ("an hour", Per::Hour),
    ("per hour", Per::Hour),
    ("hourly", Per::Hour),
    ("/hour", Per::Hour),
    ("/시간", Per::Hour),
    ("each", Per::Each),
    ("apiece", Per::Each),
    ("per person", Per::Each),
    ("per head", Per::Each),
    ("per unit", Per::Each),
];

/// Words after a span of time that make it an interval (`2주에 한 번`, `3시간마다`).
const EVERY_AFTER: &[&str] = &[
    "에 한 번",
    "에 한번",
    "에 1번",
    "에 1회",
    "에 한 차례",
    "마다",
];

/// The rate of the quantity of `measure` at `span` of `text`, if one is written around it.
/// Calendar dates have none.
pub fn rate(text: &str, span: &Range<usize>, measure: Measure) -> Option<Rate> {
    if measure == Measure::Date {
        return None;
    }
    before(text, span.start)
        .or_else(|| after(text, span.end))
        .or_else(|| match measure {
            Measure::Duration => every(text, span.end),
            _ => None,
        })
}

/// A rate word ending right before byte `start` (a space between them at most).
fn before(text: &str, start: usize) -> Option<Rate> {
    let head = &text[..start];
    let gap = head.len() - head.trim_end_matches([' ', '\t']).len();
    if gap > 1 {
        return None;
    }
    let mut head = &head[..head.len() - gap];
    let mut spaced = gap == 1;
    // `일주일에 최대 60일`, `1명당 최대 1년 6개월`: one hedge between the rate and the figure.
    if let Some(h) = HEDGES
        .iter()
        .find_map(|w| head.strip_suffix(w).and_then(|h| h.strip_suffix(' ')))
    {
        head = h;
        spaced = true;
    }
    let free_before = |at: usize| {
        !head[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
    };
    let span = |at: usize| at..start;
    for (word, per) in BEFORE {
        let Some(at) = head.len().checked_sub(word.len()) else {
            continue;
        };
        if !head.is_char_boundary(at) || !head[at..].eq_ignore_ascii_case(word) || !free_before(at)
        {
            continue;
        }
        if word.chars().count() == 1 && particular_period(&head[..at]) {
            return None;
        }
        if word.is_ascii() && !spaced {
            continue;
        }
        return Some(Rate {
            per: *per,
            span: span(at),
            before: true,
        });
    }
    // `1건당`, `인당`, `시간당`: a counted thing (after digits, if any) before `당`.
    let stem = head.strip_suffix('당')?;
    for (what, per) in PER_WHAT {
        let Some(rest) = stem.strip_suffix(what) else {
            continue;
        };
        // `1,000명당`: the number before the counted thing, thousands separators and all.
        let number = rest.trim_end_matches(|c: char| c.is_ascii_digit() || c == ',');
        let digits = match rest[number.len()..].starts_with(',') {
            true => &rest[..number.len() + 1],
            false => number,
        };
        if !digits
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
        {
            return Some(Rate {
                per: *per,
                span: span(digits.len()),
                before: true,
            });
        }
    }
    None
}

/// Whether the words before a one-syllable rate word name one particular period (`이번 주`).
fn particular_period(head: &str) -> bool {
    let last = head.split_whitespace().next_back().unwrap_or("");
    NOT_A_RATE_AFTER.contains(&last)
}

/// A rate word starting right after byte `end` (a space between them at most).
fn after(text: &str, end: usize) -> Option<Rate> {
    let tail = &text[end..];
    let gap = tail.len() - tail.trim_start_matches([' ', '\t']).len();
    if gap > 1 {
        return None;
    }
    let rest = &tail[gap..];
    AFTER.iter().find_map(|(word, per)| {
        let n = word.len();
        let hit = rest.len() >= n
            && rest.is_char_boundary(n)
            && rest[..n].eq_ignore_ascii_case(word)
            && !rest[n..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && (gap == 1 || word.starts_with('/'));
        hit.then(|| Rate {
            per: *per,
            span: end..end + gap + n,
            before: false,
        })
    })
}

/// An interval marker right after a span of time (`2주에 한 번`, `3시간마다`).
fn every(text: &str, end: usize) -> Option<Rate> {
    let rest = &text[end..];
    EVERY_AFTER.iter().find_map(|w| {
        rest.starts_with(w).then(|| Rate {
            per: Per::Every,
            span: end..end + w.len(),
            before: false,
        })
    })
}

/// Whether two amounts of `measure`, one counted per `a` and the other per `b`, can be
/// brought to the same period; the factor from `a` to `b`.
pub fn conversion(measure: Measure, a: Per, b: Per) -> Option<f64> {
    let additive = matches!(
        measure,
        Measure::Money
            | Measure::Count
            | Measure::Area
            | Measure::Volume
            | Measure::Mass
            | Measure::Length
    );
    additive.then(|| a.factor(b))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per(text: &str, figure: &str) -> Option<Per> {
        let at = text.find(figure).unwrap();
        rate(text, &(at..at + figure.len()), Measure::Money).map(|r| r.per)
    }

    #[test]
    fn rates_before_a_figure() {
        assert_eq!(per("직원에게 월 5만 원의 수당", "5만 원"), Some(Per::Month));
        assert_eq!(per("연간 60만 대를 생산", "60만 대"), Some(Per::Year));
        assert_eq!(per("연산 6만 톤 규모로", "6만 톤"), Some(Per::Year));
        assert_eq!(
            per("보고한 근로자에게 1건당 3만 원 상당의", "3만 원"),
            Some(Per::Each)
        );
        assert_eq!(per("인당 3만 원", "3만 원"), Some(Per::Each));
        assert_eq!(per("인구 1,000명당 584대", "584대"), Some(Per::Each));
        assert_eq!(per("시간당 1만 원", "1만 원"), Some(Per::Hour));
        assert_eq!(per("매달 9,900원", "9,900원"), Some(Per::Month));
        assert_eq!(per("한 달에 5,000원", "5,000원"), Some(Per::Month));
        assert_eq!(per("a monthly $9", "$9"), Some(Per::Month));
        assert_eq!(per("자녀 1명당 최대 1년", "1년"), Some(Per::Each));
        assert_eq!(per("일주일에 최대 60일", "60일"), Some(Per::Week));
        assert_eq!(per("최대 60일", "60일"), None);
    }

    #[test]
    fn rates_after_a_figure() {
        assert_eq!(per("$9 a month", "$9"), Some(Per::Month));
        assert_eq!(per("9,900 won per month.", "9,900 won"), Some(Per::Month));
        assert_eq!(per("5만 원/월", "5만 원"), Some(Per::Month));
        assert_eq!(per("$9 a monthly fee", "$9"), None);
        let t = "필터는 2주에 한 번 씻는다";
        let at = t.find("2주").unwrap();
        let r = rate(t, &(at..at + "2주".len()), Measure::Duration).unwrap();
        assert_eq!((r.per, &t[r.span]), (Per::Every, "에 한 번"));
    }

    #[test]
    fn words_that_only_end_like_a_rate_are_not_rates() {
        assert_eq!(per("공연 3만 원", "3만 원"), None);
        assert_eq!(per("3월 5만 원", "5만 원"), None);
        assert_eq!(per("이번 주 5만 원", "5만 원"), None);
        assert_eq!(per("해당 5만 원", "5만 원"), None);
        assert_eq!(per("주당 500원", "500원"), None);
        assert_eq!(per("월  5만 원", "5만 원"), None);
        assert_eq!(per("5만 원", "5만 원"), None);
        assert_eq!(per("eachother 5", "5"), None);
        let t = "매월 25일";
        let at = t.find("25일").unwrap();
        assert_eq!(rate(t, &(at..t.len()), Measure::Date), None);
    }

    #[test]
    fn months_and_years_convert() {
        assert_eq!(
            conversion(Measure::Money, Per::Month, Per::Year),
            Some(12.0)
        );
        assert_eq!(conversion(Measure::Percent, Per::Month, Per::Year), None);
        assert_eq!(conversion(Measure::Money, Per::Week, Per::Day), None);
    }
}
