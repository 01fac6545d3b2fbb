//! Reading numbers at a cursor: the [`Scan`] cursor over a text, digits with thousands
//! separators and decimals, Korean magnitudes (`14조4,000억`, `7만2000`, `2천8백`), English scale words
//! (`30 billion`, `$6.5bn`) and English number words (`three`). What the number measures is
//! read after it ([`super::units`]); dates have their own forms ([`super::dates`]).

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
    pub(super) fn eat_word(&mut self, word: &str) -> bool {
        let r = self.rest();
        let next = r.len() >= word.len()
            && r.is_char_boundary(word.len())
            && r[..word.len()].eq_ignore_ascii_case(word);
        next && self.eat_free(word.len(), |c| c.is_ascii_alphabetic())
    }
    /// Consumes a unit symbol (`km`, `L`) as written, case and all, when it is not glued to
    /// more letters or digits (`5G` and `5 more` are not grams or metres).
    pub(super) fn eat_symbol(&mut self, symbol: &str) -> bool {
        self.rest().starts_with(symbol)
            && self.eat_free(symbol.len(), |c| c.is_ascii_alphanumeric())
    }
    /// Consumes the next `len` bytes unless the character after them is `glue`.
    fn eat_free(&mut self, len: usize, glue: impl Fn(char) -> bool) -> bool {
        if self.rest()[len..].chars().next().is_some_and(glue) {
            return false;
        }
        self.pos += len;
        true
    }
    pub(super) fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            return true;
        }
        false
    }
    /// Consumes a unit name: an English one as a whole word ([`Scan::eat_word`]), a Korean one
    /// as a prefix (particles follow it: `명이`).
    pub(super) fn eat_unit(&mut self, name: &str) -> bool {
        if name.is_ascii() {
            self.eat_word(name)
        } else {
            self.eat(name)
        }
    }
}

/// Parses digits with thousands separators and a decimal part at the cursor.
pub(super) fn number(sc: &mut Scan) -> Option<f64> {
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

/// A number possibly followed by Korean magnitudes (`14조4,000억`, `7만2000`, `12억 5천만`,
/// `2천8백`) or an English scale word (`30 billion`). Returns the value.
///
/// Korean writes a number in groups of four digits named by `만`, `억` and `조`, each group
/// itself in thousands and hundreds (`천`, `백`): `1억2천만` is (1)억 + (2천)만, 120,000,000.
/// The group names must fall from left to right, and so must the small units within a group.
pub(super) fn amount(sc: &mut Scan) -> Option<f64> {
    let first = number(sc)?;
    // Finished groups, the small units of the group being read, and the number not yet
    // multiplied by a unit.
    let (mut total, mut group, mut current) = (0.0, 0.0, first);
    let (mut last_big, mut last_small) = (f64::INFINITY, f64::INFINITY);
    let mut any = false;
    let fits = |m: f64, big: f64, small: f64| m < big && (m >= GROUP || m < small);
    while let Some(mag) = sc
        .peek()
        .and_then(magnitude)
        .filter(|&m| fits(m, last_big, last_small))
    {
        sc.pos += sc.peek().map_or(0, char::len_utf8);
        any = true;
        if mag >= GROUP {
            total += (group + current) * mag;
            group = 0.0;
            last_big = mag;
            last_small = f64::INFINITY;
        } else {
            group += current * mag;
            last_small = mag;
        }
        current = 0.0;
        // `2천만`: a group named after its thousands.
        if sc
            .peek()
            .and_then(magnitude)
            .is_some_and(|m| fits(m, last_big, last_small))
        {
            continue;
        }
        let smallest = last_big.min(last_small);
        let save = sc.pos;
        let spaced = sc.skip_spaces() > 0;
        match number(sc) {
            Some(n)
                if sc
                    .peek()
                    .and_then(magnitude)
                    .is_some_and(|m| fits(m, last_big, last_small)) =>
            {
                current = n
            }
            Some(n) if !spaced => return Some(total + group + n),
            // `8만 2,000㎡`, `3만 5000원`: a spaced lower part, unless it is a date or a time
            // of its own (`10만 4일`).
            Some(n)
                if n < smallest
                    && !sc
                        .peek()
                        .is_some_and(|c| "년월일시분초".contains(c) || magnitude(c).is_some()) =>
            {
                return Some(total + group + n)
            }
            _ => {
                sc.pos = save;
                return Some(total + group);
            }
        }
    }
    if any {
        return Some(total + group + current);
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

/// The smallest Korean magnitude that names a group of four digits (`만`); `천` and `백` count
/// within a group.
const GROUP: f64 = 1e4;

/// Korean magnitude characters and their values.
pub(super) fn magnitude(c: char) -> Option<f64> {
    match c {
        '조' => Some(1e12),
        '억' => Some(1e8),
        '만' => Some(1e4),
        '천' => Some(1e3),
        '백' => Some(1e2),
        _ => None,
    }
}

/// English scale words after a number.
const SCALES: &[(&str, f64)] = &[
    ("trillion", 1e12),
    ("billion", 1e9),
    ("million", 1e6),
    ("thousand", 1e3),
    ("bn", 1e9),
    ("tn", 1e12),
];

/// English number words (a quantity only when a unit follows).
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

/// The value of `word` when it is an English number word up to twelve (`Two` → 2): one that
/// stands alone as a number (`twenty-one` or `two hundred` would not read right word by word).
pub fn small_number_word(word: &str) -> Option<u32> {
    let lower = word.to_lowercase();
    WORDS
        .iter()
        .find(|(w, v)| *w == lower && *v <= 12.0)
        .map(|&(_, v)| v as u32)
}

/// Consumes an English number word (`three`) at the cursor and returns its value.
pub(super) fn number_word(sc: &mut Scan) -> Option<f64> {
    WORDS.iter().find(|(w, _)| sc.eat_word(w)).map(|&(_, v)| v)
}
