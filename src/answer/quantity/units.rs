//! The words after a number that say what it measures: percentages and percentage points,
//! currencies (`달러`, `dollars`, `원`), areas (`㎡`, `평`), durations (`시간`, `분`, `개월`,
//! `hours`) and counters (`개`, `명`, `jobs`). Each gives the [`Measure`], the unit code and the
//! multiplier that brings the number to that unit (hours to minutes, years to months).

use super::scan::Scan;
use super::Measure;

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

/// Counter words after a number, with their unit code: people are counted apart (`45 people`
/// is not the `45` of `45일`); other counters, like a bare number, have none.
const COUNTERS: &[(&str, &str)] = &[
    ("개", ""),
    ("명", "persons"),
    ("곳", ""),
    ("건", ""),
    ("대", ""),
    ("jobs", ""),
    ("people", "persons"),
    ("persons", "persons"),
    ("employees", "persons"),
    ("companies", ""),
    ("units", ""),
];

/// What follows a number: measure, unit and a multiplier applied to the value.
pub(super) fn unit(sc: &mut Scan) -> Option<(Measure, &'static str, f64)> {
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
        if sc.eat_unit(w) {
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
    for (c, code) in COUNTERS {
        if sc.eat_unit(c) {
            return Some((Measure::Count, code, 1.0));
        }
    }
    sc.pos = save;
    None
}

pub(super) fn duration_unit(sc: &mut Scan) -> Option<(Measure, &'static str, f64)> {
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
    // `4년 동안`, `1년`: a year that is not a calendar year (those are dates).
    if r.starts_with('년') {
        sc.pos += '년'.len_utf8();
        return Some((Measure::Duration, "month", 12.0));
    }
    for (w, unit, m) in [
        ("hours", "min", 60.0),
        ("hour", "min", 60.0),
        ("minutes", "min", 1.0),
        ("minute", "min", 1.0),
        ("days", "min", 1440.0),
        ("day", "min", 1440.0),
        ("months", "month", 1.0),
        ("years", "month", 12.0),
        ("year", "month", 12.0),
    ] {
        if sc.eat_word(w) {
            return Some((Measure::Duration, unit, m));
        }
    }
    None
}
