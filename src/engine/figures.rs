//! Figures copied, never invented: a free line of generated text (the quote-first form's answer
//! line) whose every number must be one its sources hold. A number is a digit run — digits
//! with single `,` or `.` between them, compared without the `,` (`1,720` and `1720` are one
//! run) — and [`Figures`] says, token by token, whether a run being written can still become
//! one of the allowed runs and whether a finished run is one. Small models asked in English
//! about a Korean `22일` or `4분의 1` write `22/12/2022` or `4/10 = 40%`; held to the runs of
//! their passages they keep to the figures there.

use std::collections::HashSet;

/// The digit runs of `text`, each without its `,` separators, in order.
pub fn digit_runs(text: &str) -> Vec<String> {
    runs(text.as_bytes())
        .into_iter()
        .map(|r| normalized(&text.as_bytes()[r.start..r.end]))
        .collect()
}

/// A digit run found in bytes: where it is, and whether it may still go on (it reaches the
/// end, or only a `,` or `.` follows it there).
struct Run {
    start: usize,
    end: usize,
    open: bool,
}

fn runs(s: &[u8]) -> Vec<Run> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if !s[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        let mut open = false;
        while j < s.len() {
            if s[j].is_ascii_digit() {
                j += 1;
            } else if matches!(s[j], b',' | b'.') && s.get(j + 1).is_some_and(u8::is_ascii_digit) {
                j += 2;
            } else {
                open = j + 1 == s.len() && matches!(s[j], b',' | b'.');
                break;
            }
        }
        out.push(Run {
            start,
            end: j,
            open: open || j == s.len(),
        });
        i = j.max(start + 1);
    }
    out
}

fn normalized(run: &[u8]) -> String {
    run.iter()
        .filter(|&&b| b != b',')
        .map(|&b| b as char)
        .collect()
}

/// The digit runs a line may hold; see the module doc.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    whole: HashSet<String>,
    prefixes: HashSet<String>,
}

impl Figures {
    /// The runs of `sources` (normalised as [`digit_runs`] does).
    pub fn new<'a>(sources: impl IntoIterator<Item = &'a str>) -> Figures {
        let mut f = Figures::default();
        for run in sources.into_iter().flat_map(digit_runs) {
            for (i, _) in run.char_indices().skip(1) {
                f.prefixes.insert(run[..i].to_string());
            }
            f.prefixes.insert(run.clone());
            f.whole.insert(run);
        }
        f
    }

    /// Whether `piece` may follow `typed`: every run it writes or closes is an allowed run,
    /// or the start of one while it is still open.
    pub fn fits(&self, typed: &[u8], piece: &[u8]) -> bool {
        let s = [typed, piece].concat();
        let ends_open = matches!(typed.last(), Some(b',' | b'.'));
        runs(&s)
            .into_iter()
            // Runs that ended inside `typed` were judged when they did (one followed only by
            // a `,` or `.` at its end has not ended).
            .filter(|r| r.end >= typed.len() || r.end + 1 == typed.len() && ends_open)
            .all(|r| {
                let run = normalized(&s[r.start..r.end]);
                if r.open {
                    self.prefixes.contains(&run)
                } else {
                    self.whole.contains(&run)
                }
            })
    }

    /// Whether `typed` may end here: no run is left unfinished.
    pub fn complete(&self, typed: &[u8]) -> bool {
        runs(typed)
            .last()
            .is_none_or(|r| !r.open || self.whole.contains(&normalized(&typed[r.start..r.end])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A line that copies the sources' figures passes every step, however it is cut into
        /// tokens, and may end; one holding another figure is stopped somewhere.
        #[test]
        fn copied_figures_pass_at_every_cut(
            a in 0u32..100_000,
            b in 0u32..1000,
            words in "[a-z 억만]{0,6}",
            cuts in prop::collection::vec(0usize..40, 0..6),
        ) {
            let source = format!("값은 {a}원이고 {b}.5%이다");
            let f = Figures::new([source.as_str()]);
            let line = format!("{words}{a} and {b}.5{words}");
            let bytes = line.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c < bytes.len()).collect();
            cuts.push(bytes.len());
            cuts.sort_unstable();
            let mut at = 0;
            for c in cuts {
                prop_assert!(f.fits(&bytes[..at], &bytes[at..c]), "{line:?} cut at {at}..{c}");
                at = c;
            }
            prop_assert!(f.complete(bytes));
            let other = format!("{}", a + 1);
            let o = other.as_bytes();
            let stopped = (0..o.len()).any(|i| !f.fits(&o[..i], &o[i..i + 1])) || !f.complete(o);
            prop_assert!(stopped || source.contains(&other));
        }
    }

    fn figures() -> Figures {
        Figures::new(["소프트뱅크는 1,720억 달러와 22일, 4분의 1", "$23 billion"])
    }

    #[test]
    fn runs_drop_separators() {
        assert_eq!(
            digit_runs("1,720억 달러, 3.8%와 A100"),
            ["1720", "3.8", "100"]
        );
        assert_eq!(digit_runs("끝에 1,"), ["1"]);
    }

    #[test]
    fn runs_must_be_the_sources() {
        let f = figures();
        let fits = |typed: &str, piece: &str| f.fits(typed.as_bytes(), piece.as_bytes());
        assert!(fits("", "1") && fits("1", ",") && fits("1,", "7") && fits("1,7", "20"));
        assert!(fits("1,720", "억") && fits("$", "23") && fits("$23", " billion"));
        assert!(fits("the ", "22") && fits("the 22", "nd"));
        assert!(!fits("", "5") && !fits("22/", "12") && !fits("4/", "10"));
        assert!(!fits("1,7", " billion"), "a run may not stop half way");
        assert!(fits("1/", "4") && fits("", "no figures"));
        assert!(f.complete(b"1,720") && !f.complete(b"1,7") && f.complete(b"about 22"));
        assert!(!f.complete(b"17") && f.complete(b""));
    }
}
