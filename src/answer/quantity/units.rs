//! The words after a number that say what it measures: percentages and percentage points,
//! currencies (`달러`, `dollars`, `원`), areas (`㎡`, `평`), lengths, volumes and masses
//! (`4.5L`, `4.5 리터`, `2.5cm`, `4,000 kilometres`), durations (`시간`, `분`, `주`, `개월`,
//! `hours`) and counters (`개`, `명`, `jobs`). Each gives the [`Measure`], the unit code and the
//! multiplier that brings the number to that unit (hours to minutes, years to months,
//! kilometres to metres).

use super::scan::Scan;
use super::Measure;

/// Money suffixes and their currency codes.
const CURRENCIES: &[(&str, &str)] = &[
    ("GBP", "GBP"),
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
/// is not the `45` of `45일`), and so are volumes, sheets, floors and the other things a
/// counter names (`1권` is not the `38장` of the same sentence); the general counters (`개`,
/// `곳`, `건`, `대`, `items`), like a bare number, have none. A counter makes a lone digit a
/// count (`2장`, `3권`), where a lone digit without one is no quantity.
const COUNTERS: &[(&str, &str)] = &[
    ("개", ""),
    ("명", "persons"),
    ("곳", ""),
    ("건", ""),
    ("대", ""),
    ("권", "volumes"),
    ("장", "sheets"),
    ("마리", "animals"),
    ("척", "ships"),
    ("그루", "trees"),
    ("채", "buildings"),
    ("켤레", "pairs"),
    ("송이", "blossoms"),
    ("자루", "sticks"),
    ("편", "works"),
    ("곡", "songs"),
    ("가지", "kinds"),
    ("종", "kinds"),
    ("층", "floors"),
    ("세", "years of age"),
    ("jobs", ""),
    ("books", "volumes"),
    ("volumes", "volumes"),
    ("copies", "copies"),
    ("pages", "pages"),
    ("sheets", "sheets"),
    ("ships", "ships"),
    ("trees", "trees"),
    ("floors", "floors"),
    ("kinds", "kinds"),
    ("types", "kinds"),
    ("species", "kinds"),
    ("items", ""),
    ("pieces", ""),
    ("people", "persons"),
    ("persons", "persons"),
    ("employees", "persons"),
    ("companies", ""),
    ("units", ""),
];

/// Whether `written` (a count as the text writes it) ends in a counter of things (`60만 대`,
/// `3개`, `12 units`), not of people and not a bare number.
pub fn ends_in_thing_counter(written: &str) -> bool {
    COUNTERS
        .iter()
        .any(|(c, code)| *code != "persons" && written.ends_with(c))
}

/// The Korean counter `rest` opens with, and its unit code: one of [`COUNTERS`] or `차례`
/// (times), not the start of a span of months or years (`개월`, `개년`), nor a century or a
/// generation (`21세기`, `3세대`; `65세` is an age).
pub(super) fn korean_counter(rest: &str) -> Option<(&'static str, &'static str)> {
    if ["개월", "개년", "세기", "세대"]
        .iter()
        .any(|w| rest.starts_with(w))
    {
        return None;
    }
    COUNTERS
        .iter()
        .chain(&[("차례", "")])
        .find(|(c, _)| !c.is_ascii() && rest.starts_with(c))
        .copied()
}

/// What follows a number: measure, unit and a multiplier applied to the value.
pub(super) fn unit(sc: &mut Scan) -> Option<(Measure, &'static str, f64)> {
    let save = sc.pos;
    // A measure joined to its number by a hyphen, as English writes one before a noun (`a
    // two-year warranty`, `a 10-minute walk`, `a 3-metre wall`): a metric unit or a span of
    // time, in English words (`-m`, a symbol, would read `3-month` as metres).
    if sc.eat("-") && sc.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
        let word = sc
            .rest()
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or("");
        if word.len() > 2 {
            if let Some(m) = metric_unit(sc).or_else(|| duration_unit(sc)) {
                return Some(m);
            }
        }
    }
    sc.pos = save;
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
    for (p, m) in AREAS {
        if sc.eat_unit(p) {
            return Some((Measure::Area, "m2", *m));
        }
    }
    if sc.eat("평") {
        return Some((Measure::Area, "pyeong", 1.0));
    }
    if let Some(m) = metric_unit(sc) {
        return Some(m);
    }
    if let Some(d) = duration_unit(sc) {
        return Some(d);
    }
    let korean = korean_counter(sc.rest()).map(|(c, _)| c);
    for (c, code) in COUNTERS {
        if (c.is_ascii() || korean == Some(*c)) && sc.eat_unit(c) {
            return Some((Measure::Count, code, 1.0));
        }
    }
    sc.pos = save;
    None
}

/// Areas and their factor to square metres; longer names first (`km²` before `m²`, `square
/// kilometres` before `square kilometre`). English names are whole words, `ha` a symbol.
const AREAS: &[(&str, f64)] = &[
    ("㎢", 1e6),
    ("km²", 1e6),
    ("km2", 1e6),
    ("제곱킬로미터", 1e6),
    ("square kilometres", 1e6),
    ("square kilometers", 1e6),
    ("square kilometre", 1e6),
    ("square kilometer", 1e6),
    ("㎡", 1.0),
    ("m²", 1.0),
    ("m2", 1.0),
    ("제곱미터", 1.0),
    ("square metres", 1.0),
    ("square meters", 1.0),
    ("square metre", 1.0),
    ("square meter", 1.0),
    ("헥타르", 1e4),
    ("hectares", 1e4),
    ("hectare", 1e4),
    ("ha", 1e4),
];

/// Metric units written as a symbol (case-sensitive, not glued to more letters: `5G` is not five
/// grams), a Korean name or an English name, with the factor to metres, litres or grams. Longer
/// names come first (`km` before `m`, `킬로미터` before `미터`).
const METRIC: &[(&str, Measure, &str, f64)] = &[
    ("km", Measure::Length, "m", 1000.0),
    ("㎞", Measure::Length, "m", 1000.0),
    ("cm", Measure::Length, "m", 0.01),
    ("㎝", Measure::Length, "m", 0.01),
    ("mm", Measure::Length, "m", 0.001),
    ("㎜", Measure::Length, "m", 0.001),
    ("m", Measure::Length, "m", 1.0),
    ("킬로미터", Measure::Length, "m", 1000.0),
    ("센티미터", Measure::Length, "m", 0.01),
    ("밀리미터", Measure::Length, "m", 0.001),
    ("미터", Measure::Length, "m", 1.0),
    ("kilometres", Measure::Length, "m", 1000.0),
    ("kilometers", Measure::Length, "m", 1000.0),
    ("kilometre", Measure::Length, "m", 1000.0),
    ("kilometer", Measure::Length, "m", 1000.0),
    ("centimetres", Measure::Length, "m", 0.01),
    ("centimeters", Measure::Length, "m", 0.01),
    ("centimetre", Measure::Length, "m", 0.01),
    ("centimeter", Measure::Length, "m", 0.01),
    ("millimetres", Measure::Length, "m", 0.001),
    ("millimeters", Measure::Length, "m", 0.001),
    ("millimetre", Measure::Length, "m", 0.001),
    ("millimeter", Measure::Length, "m", 0.001),
    ("metres", Measure::Length, "m", 1.0),
    ("meters", Measure::Length, "m", 1.0),
    ("metre", Measure::Length, "m", 1.0),
    ("meter", Measure::Length, "m", 1.0),
    ("mL", Measure::Volume, "l", 0.001),
    ("ml", Measure::Volume, "l", 0.001),
    ("㎖", Measure::Volume, "l", 0.001),
    ("L", Measure::Volume, "l", 1.0),
    ("ℓ", Measure::Volume, "l", 1.0),
    ("밀리리터", Measure::Volume, "l", 0.001),
    ("리터", Measure::Volume, "l", 1.0),
    ("millilitres", Measure::Volume, "l", 0.001),
    ("milliliters", Measure::Volume, "l", 0.001),
    ("litres", Measure::Volume, "l", 1.0),
    ("liters", Measure::Volume, "l", 1.0),
    ("litre", Measure::Volume, "l", 1.0),
    ("liter", Measure::Volume, "l", 1.0),
    ("kg", Measure::Mass, "g", 1000.0),
    ("㎏", Measure::Mass, "g", 1000.0),
    ("mg", Measure::Mass, "g", 0.001),
    ("㎎", Measure::Mass, "g", 0.001),
    ("g", Measure::Mass, "g", 1.0),
    ("킬로그램", Measure::Mass, "g", 1000.0),
    ("밀리그램", Measure::Mass, "g", 0.001),
    ("그램", Measure::Mass, "g", 1.0),
    ("톤", Measure::Mass, "g", 1e6),
    ("kilograms", Measure::Mass, "g", 1000.0),
    ("kilogram", Measure::Mass, "g", 1000.0),
    ("grams", Measure::Mass, "g", 1.0),
    ("gram", Measure::Mass, "g", 1.0),
    ("tonnes", Measure::Mass, "g", 1e6),
    ("tonne", Measure::Mass, "g", 1e6),
    ("tons", Measure::Mass, "g", 1e6),
];

/// A metric unit at the cursor ([`METRIC`]).
fn metric_unit(sc: &mut Scan) -> Option<(Measure, &'static str, f64)> {
    for &(name, measure, code, m) in METRIC {
        let eaten = if name.chars().count() <= 2 && name.is_ascii() {
            sc.eat_symbol(name)
        } else {
            sc.eat_unit(name)
        };
        if eaten {
            return Some((measure, code, m));
        }
    }
    None
}

/// Minutes in a week.
const WEEK: f64 = 7.0 * 1440.0;

/// Spans of days said in Korean words, each with its number of days: `하루 연기됐다`,
/// `일주일 미뤄졌다`, `이틀간`, `열흘 만에`.
const DAY_WORDS: &[(&str, f64)] = &[
    ("하루", 1.0),
    ("이틀", 2.0),
    ("사흘", 3.0),
    ("나흘", 4.0),
    ("닷새", 5.0),
    ("엿새", 6.0),
    ("이레", 7.0),
    ("열흘", 10.0),
    ("보름", 15.0),
    ("일주일", 7.0),
];

/// A span of days said in a Korean word ([`DAY_WORDS`]) at the start of `rest`, a word of its
/// own: its length in bytes and its minutes. Not `하루빨리` or `이레째의` glued to other words.
pub(super) fn day_word(rest: &str) -> Option<(usize, f64)> {
    DAY_WORDS.iter().find_map(|&(w, days)| {
        let after = rest.strip_prefix(w)?;
        days_follow(after).then_some((w.len(), days * 1440.0))
    })
}

/// Whether the text after a number's `일` reads as days: no Hangul goes on, or a particle or
/// a word of spans does (`일간`, `일 동안`, `일마다`, `일에`, `일이`, `일째`, `일 이내`).
fn days_follow(after: &str) -> bool {
    const AFTER_DAYS: &[&str] = &[
        "간", "동안", "만", "마다", "에", "이", "은", "는", "의", "을", "를", "째", "치", "로",
        "으로", "까지", "부터", "씩", "과", "와", "도", "가량", "정도", "내", "넘", "미만", "초과",
    ];
    !after
        .chars()
        .next()
        .is_some_and(crate::text::is_hangul_syllable)
        || AFTER_DAYS.iter().any(|w| after.starts_with(w))
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
    // `30초`; not `초과` (over), `초반` or `초순` (early in).
    if r.starts_with('초') && !["초과", "초반", "초순"].iter().any(|w| r.starts_with(w)) {
        sc.pos += '초'.len_utf8();
        return Some((Measure::Duration, "min", 1.0 / 60.0));
    }
    // `2주에 한 번`, `3주일`; not `10주년` (an anniversary), `주기` (a cycle) or `주식` (shares).
    if r.starts_with("주일") {
        sc.pos += "주일".len();
        return Some((Measure::Duration, "min", WEEK));
    }
    if r.starts_with('주') && !["주년", "주기", "주식"].iter().any(|w| r.starts_with(w)) {
        sc.pos += '주'.len_utf8();
        return Some((Measure::Duration, "min", WEEK));
    }
    if r.starts_with("개월") {
        sc.pos += "개월".len();
        return Some((Measure::Duration, "month", 1.0));
    }
    // `90일`, `30일마다`, `3일 동안`: days that are not a day of the month (those are dates,
    // read first); not `일본`, `일부`, `일대` after a number.
    if let Some(after) = r.strip_prefix('일') {
        if days_follow(after) {
            sc.pos += '일'.len_utf8();
            return Some((Measure::Duration, "min", 1440.0));
        }
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
        ("weeks", "min", WEEK),
        ("week", "min", WEEK),
        ("days", "min", 1440.0),
        ("day", "min", 1440.0),
        ("months", "month", 1.0),
        ("month", "month", 1.0),
        ("seconds", "min", 1.0 / 60.0),
        ("second", "min", 1.0 / 60.0),
        ("years", "month", 12.0),
        ("year", "month", 12.0),
    ] {
        if sc.eat_word(w) {
            return Some((Measure::Duration, unit, m));
        }
    }
    None
}
