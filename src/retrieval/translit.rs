//! Cross-script matching of names: a Latin word of an English question against the Hangul words
//! of the corpus, by consonant skeleton.
//!
//! A Korean corpus writes names and loanwords in Hangul (한라산, 직지, 페니실린, 플레밍, 비너스);
//! an English question writes them in Latin letters (Hallasan, Jikji, penicillin, Fleming,
//! Venus). Both are reduced to a *key*: the sequence of their consonants in a few coarse classes
//! (k/g/c/q, t/d, p/b/f/v, s, j/ch/z, n/ng, m, l/r; h, w, y and vowels dropped, doubles merged).
//! Korean epenthetic vowels (플레밍's 으) and romanisation variants then stop mattering. The
//! corpus's own vocabulary is the dictionary: a Latin query word whose key equals that of a
//! Hangul word of the corpus (at least [`MIN_KEY`] consonants long) also searches that word.
//! No list of names is involved, so it works on any corpus. One list of English words is: the
//! kinds of place ([`PLACE_KINDS`]) that English writes beside a name (`Mount Halla`, `Han
//! River`) and Korean as the name's last syllable (한라산, 한강).

use std::collections::HashMap;

/// Shortest key that is matched: shorter skeletons collide with unrelated words.
pub const MIN_KEY: usize = 3;

/// Coarse consonant classes shared by both scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum C {
    K,
    T,
    P,
    S,
    J,
    N,
    M,
    L,
}

/// The keys of a Latin word (lowercase ASCII letters; anything else is ignored): one per reading
/// of each `ng`, which is one sound at a syllable's end (Samsung) and two across syllables
/// (Hangang is 한강).
pub fn latin_keys(word: &str) -> Vec<String> {
    let w: Vec<char> = word
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut keys = vec![Vec::new()];
    let mut i = 0;
    while i < w.len() {
        let next = w.get(i + 1).copied();
        let (classes, used): (&[C], usize) = match (w[i], next) {
            ('n', Some('g')) => {
                // Two readings: ng as one sound, or n then g.
                let mut split = keys.clone();
                for k in &mut keys {
                    push(k, C::N);
                }
                for k in &mut split {
                    push(k, C::N);
                    push(k, C::K);
                }
                keys.extend(split);
                keys.truncate(8);
                i += 2;
                continue;
            }
            ('p', Some('h')) => (&[C::P], 2),
            ('t', Some('h')) => (&[C::T], 2),
            ('s', Some('h')) => (&[C::S], 2),
            ('c', Some('h')) => (&[C::J], 2),
            ('c', Some('k')) => (&[C::K], 2),
            ('c', Some('e' | 'i' | 'y')) => (&[C::S], 1),
            ('c' | 'k' | 'g' | 'q', _) => (&[C::K], 1),
            ('x', _) => (&[C::K, C::S], 1),
            ('t' | 'd', _) => (&[C::T], 1),
            ('p' | 'b' | 'f' | 'v', _) => (&[C::P], 1),
            ('s', _) => (&[C::S], 1),
            ('j' | 'z', _) => (&[C::J], 1),
            ('n', _) => (&[C::N], 1),
            ('m', _) => (&[C::M], 1),
            ('l' | 'r', _) => (&[C::L], 1),
            _ => (&[], 1),
        };
        for k in &mut keys {
            for &c in classes {
                push(k, c);
            }
        }
        i += used;
    }
    let mut out: Vec<String> = keys.iter().map(|k| render(k)).collect();
    out.dedup();
    out
}

/// Appends a class, merging a double consonant (ll, ss, 한라 → n-l stays two).
fn push(out: &mut Vec<C>, c: C) {
    if out.last() != Some(&c) {
        out.push(c);
    }
}

fn render(key: &[C]) -> String {
    key.iter()
        .map(|c| match c {
            C::K => 'k',
            C::T => 't',
            C::P => 'p',
            C::S => 's',
            C::J => 'j',
            C::N => 'n',
            C::M => 'm',
            C::L => 'l',
        })
        .collect()
}

/// The key of a Hangul word (non-Hangul characters are ignored).
pub fn hangul_key(word: &str) -> String {
    // Initial consonants ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ.
    const INITIAL: [Option<C>; 19] = [
        Some(C::K),
        Some(C::K),
        Some(C::N),
        Some(C::T),
        Some(C::T),
        Some(C::L),
        Some(C::M),
        Some(C::P),
        Some(C::P),
        Some(C::S),
        Some(C::S),
        None,
        Some(C::J),
        Some(C::J),
        Some(C::J),
        Some(C::K),
        Some(C::T),
        Some(C::P),
        None,
    ];
    // Final consonants (index 0: none) ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ.
    const FINAL: [&[C]; 28] = [
        &[],
        &[C::K],
        &[C::K],
        &[C::K, C::S],
        &[C::N],
        &[C::N, C::J],
        &[C::N],
        &[C::T],
        &[C::L],
        &[C::L, C::K],
        &[C::L, C::M],
        &[C::L, C::P],
        &[C::L, C::S],
        &[C::L, C::T],
        &[C::L, C::P],
        &[C::L],
        &[C::M],
        &[C::P],
        &[C::P, C::S],
        &[C::S],
        &[C::S],
        &[C::N],
        &[C::J],
        &[C::J],
        &[C::K],
        &[C::T],
        &[C::P],
        &[],
    ];
    let syllables: Vec<(usize, usize)> = word
        .chars()
        .map(|ch| ch as u32)
        .filter(|code| (0xAC00..=0xD7A3).contains(code))
        .map(|code| {
            let s = code - 0xAC00;
            ((s / 588) as usize, (s % 28) as usize)
        })
        .collect();
    let mut out = Vec::new();
    for (k, &(initial, fin)) in syllables.iter().enumerate() {
        let prev_final = k.checked_sub(1).map(|j| FINAL[syllables[j].1]);
        let mut first = INITIAL[initial];
        // ㄴ and ㄹ meet as ll (한라 is Halla, 신라 Silla).
        if first == Some(C::L) && prev_final == Some(&[C::N][..]) {
            out.pop();
        }
        if first == Some(C::N) && prev_final == Some(&[C::L][..]) {
            first = None;
        }
        if let Some(c) = first {
            push(&mut out, c);
        }
        let next_initial = syllables.get(k + 1).and_then(|&(i, _)| INITIAL[i]);
        for &c in FINAL[fin] {
            // A stop before a nasal becomes a nasal (국민 is gungmin, 합니다 hamnida).
            let c = match (c, next_initial) {
                (C::K, Some(C::N | C::M)) => C::N,
                (C::P, Some(C::N | C::M)) => C::M,
                (C::T | C::S | C::J, Some(C::N | C::M)) => C::N,
                _ => c,
            };
            push(&mut out, c);
        }
    }
    render(&out)
}

/// The Hangul words of a corpus by key, for [`Transliterations::lookup`].
#[derive(Debug, Default)]
pub struct Transliterations {
    by_key: HashMap<String, Vec<String>>,
}

impl Transliterations {
    /// Indexes `words` (Hangul words of the corpus, particles already stripped) by key; words
    /// with keys shorter than [`MIN_KEY`] are left out.
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Transliterations {
        let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
        for w in words {
            let key = hangul_key(w);
            if key.len() < MIN_KEY {
                continue;
            }
            let list = by_key.entry(key).or_default();
            if !list.iter().any(|x| x == w) {
                list.push(w.to_string());
            }
        }
        Transliterations { by_key }
    }

    /// The corpus words that a Latin word (or several run together: `samguk sagi`) may name.
    pub fn lookup(&self, latin: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for key in latin_keys(latin).iter().filter(|k| k.len() >= MIN_KEY) {
            for w in self.by_key.get(key).into_iter().flatten() {
                if !out.contains(&w.as_str()) {
                    out.push(w);
                }
            }
        }
        out
    }
}

/// English words for a kind of place, the romanised Korean word a Korean name of such a place
/// ends in, and whether the English word stands before the name (`Mount Halla`) or after it
/// (`Han River`): Korean writes the two as one word (한라산, 한강, 제주도, 불국사, 경복궁).
pub const PLACE_KINDS: [(&str, &str, bool); 10] = [
    ("mount", "san", true),
    ("mt", "san", true),
    ("mountain", "san", false),
    ("river", "gang", false),
    ("island", "do", false),
    ("temple", "sa", false),
    ("palace", "gung", false),
    ("lake", "ho", false),
    ("fortress", "seong", false),
    ("peak", "bong", false),
];

/// The romanised Korean word for the kind of place `word` names, when it is one of
/// [`PLACE_KINDS`] standing on the side of a name given by `before`.
pub fn place_kind(word: &str, before: bool) -> Option<&'static str> {
    let word = word.to_ascii_lowercase();
    PLACE_KINDS
        .iter()
        .find(|(english, _, b)| *english == word && *b == before)
        .map(|(_, korean, _)| *korean)
}

/// Whether `word` is one of [`PLACE_KINDS`]' English words.
pub fn is_place_kind(word: &str) -> bool {
    let word = word.to_ascii_lowercase();
    PLACE_KINDS.iter().any(|(english, _, _)| *english == word)
}

/// The Revised Romanization of the Hangul syllables of `word`, letter for letter (no sound
/// changes across syllables: 한라산 is `hanrasan`, not `hallasan`); other characters are left
/// out.
pub fn romanize(word: &str) -> String {
    const INITIAL: [&str; 19] = [
        "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t",
        "p", "h",
    ];
    const VOWEL: [&str; 21] = [
        "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo",
        "we", "wi", "yu", "eu", "ui", "i",
    ];
    const FINAL: [&str; 28] = [
        "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p",
        "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
    ];
    let mut out = String::new();
    for c in word.chars() {
        let Some(i) = (c as u32).checked_sub(0xAC00).filter(|&i| i < 11_172) else {
            continue;
        };
        let i = i as usize;
        out.push_str(INITIAL[i / 588]);
        out.push_str(VOWEL[i % 588 / 28]);
        out.push_str(FINAL[i % 28]);
    }
    out
}

/// Edit distance between two romanised spellings, where letters that romanisations and sound
/// changes swap (r/l, g/k, d/t, b/p) cost nothing.
fn spelling_distance(a: &str, b: &str) -> usize {
    let class = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                'r' => 'l',
                'g' => 'k',
                'd' => 't',
                'b' => 'p',
                c => c,
            })
            .collect()
    };
    strsim::levenshtein(&class(a), &class(b))
}

impl Transliterations {
    /// The corpus words that spell the Latin name `latin` most closely: of [`Self::lookup`]'s
    /// candidates (same consonant skeleton), those whose romanisation ([`romanize`]) is within
    /// one edit in four letters of it (`Jikji` → 직지, not 죽자 or 적자; `Hallasan` → 한라산),
    /// the closest ones only.
    pub fn spell(&self, latin: &str) -> Vec<&str> {
        let word: String = latin
            .chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let most = (word.len() / 4).max(1);
        let scored: Vec<(usize, &str)> = self
            .lookup(latin)
            .into_iter()
            .map(|w| (spelling_distance(&word, &romanize(w)), w))
            .filter(|(d, _)| *d <= most)
            .collect();
        let best = scored.iter().map(|(d, _)| *d).min();
        scored
            .into_iter()
            .filter(|(d, _)| Some(*d) == best)
            .map(|(_, w)| w)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn romanised_names_and_loanwords_meet_their_hangul() {
        for (latin, hangul) in [
            ("Hallasan", "한라산"),
            ("Jikji", "직지"),
            ("penicillin", "페니실린"),
            ("Fleming", "플레밍"),
            ("Gyeongju", "경주"),
            ("Hansando", "한산도"),
            ("sun-sin", "순신"),
            ("Samsung", "삼성"),
            ("Trump", "트럼프"),
            ("SoftBank", "소프트뱅크"),
            ("Hunminjeongeum", "훈민정음"),
        ] {
            assert!(
                latin_keys(latin).contains(&hangul_key(hangul)),
                "{latin} {:?} / {hangul} {}",
                latin_keys(latin),
                hangul_key(hangul)
            );
        }
        assert!(!latin_keys("Venus").contains(&hangul_key("금성")));
        assert!(latin_keys("Hangang").contains(&hangul_key("한강")));
        assert!(latin_keys("Silla").contains(&hangul_key("신라")));
    }

    #[test]
    fn names_are_spelt_by_their_closest_romanisation() {
        assert_eq!(romanize("직지"), "jikji");
        assert_eq!(romanize("평택"), "pyeongtaek");
        assert_eq!(romanize("한라산"), "hanrasan");
        assert_eq!(romanize("훈민정음"), "hunminjeongeum");
        assert_eq!(romanize("A직"), "jik");
        assert_eq!(spelling_distance("hallasan", "hanrasan"), 1);
        assert_eq!(spelling_distance("jikji", "jukja"), 2);
        let t =
            Transliterations::new(["죽자", "직지", "적자", "한라산", "활화산", "이순신", "순상"]);
        assert_eq!(t.spell("Jikji"), ["직지"]);
        assert_eq!(t.spell("Hallasan"), ["한라산"]);
        assert_eq!(t.spell("Sun-sin"), ["이순신"]);
        let t = Transliterations::new(["기르던"]);
        assert!(
            t.spell("According").is_empty(),
            "{:?}",
            t.lookup("According")
        );
    }

    #[test]
    fn lookup_needs_a_long_enough_key() {
        let t = Transliterations::new(["한라산", "직지", "돈", "강"]);
        assert_eq!(t.lookup("Hallasan"), ["한라산"]);
        assert_eq!(t.lookup("Jikji"), ["직지"]);
        assert!(t.lookup("go").is_empty());
        assert!(t.lookup("Seoul").is_empty());
    }
}
