//! The glossary (query expansion): groups of words that mean the same (`data/thesaurus.txt`, built
//! in, plus a corpus's own `glossary.thesaurus`), including English words and their Korean
//! spellings, and one-way lines that expand a word without joining its translations.

use super::analyzer::normalize;
use crate::text::{has_hangul, is_hangul_syllable};

/// The built-in glossary's text (`data/thesaurus.txt`): general vocabulary only.
pub const BUILTIN_GLOSSARY: &str = include_str!("../../data/thesaurus.txt");

/// The built-in expansion groups ([`BUILTIN_GLOSSARY`]).
pub static THESAURUS: std::sync::LazyLock<Thesaurus> =
    std::sync::LazyLock::new(|| Thesaurus::parse(BUILTIN_GLOSSARY));

/// Groups of interchangeable query words: Korean synonyms and English-to-Korean glossary entries.
#[derive(Debug, Default)]
pub struct Thesaurus {
    groups: Vec<Group>,
}

/// One line of the thesaurus: its members, of which the first `triggers` expand to the others
/// (all of them, except on a one-way line `a|b > x|y`).
#[derive(Debug)]
struct Group {
    members: Vec<String>,
    triggers: usize,
}

impl Group {
    fn one_way(&self) -> bool {
        self.triggers < self.members.len()
    }
}

impl Thesaurus {
    /// Parses one group per line, members separated by `|`; `#` starts a comment line. A line
    /// `a|b > x|y` is one-way: `a` and `b` expand to `x` and `y`, never the reverse (a glossary
    /// entry must not make its Korean translations synonyms of each other).
    pub fn parse(text: &str) -> Thesaurus {
        let members = |side: &str| -> Vec<String> {
            side.split('|')
                .map(|m| normalize(m.trim()))
                .filter(|m| !m.is_empty())
                .collect()
        };
        let groups = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| match l.split_once('>') {
                Some((from, to)) => {
                    let mut g = members(from);
                    let triggers = g.len();
                    g.extend(members(to));
                    Group {
                        members: g,
                        triggers,
                    }
                }
                None => {
                    let g = members(l);
                    Group {
                        triggers: g.len(),
                        members: g,
                    }
                }
            })
            .filter(|g| g.members.len() > 1 && g.triggers > 0)
            .collect();
        Thesaurus { groups }
    }

    /// No groups: nothing expands.
    pub const fn empty() -> Thesaurus {
        Thesaurus { groups: Vec::new() }
    }

    /// The built-in groups plus those of a user's glossary (same format).
    pub fn with_extra(extra: &str) -> Thesaurus {
        Thesaurus::parse(&format!("{BUILTIN_GLOSSARY}\n{extra}"))
    }

    /// The other members of every group that one of whose single-word members `word` matches.
    /// `korean_query`: the word comes from a query written in Korean (see `Thesaurus::related`).
    pub fn expansions<'a>(&'a self, word: &str, korean_query: bool) -> Vec<&'a str> {
        self.related(
            |m| !m.contains(' ') && member_matches(m, word),
            korean_query,
        )
    }

    /// The other members of every group whose multi-word member occurs in the query.
    pub fn phrase_expansions<'a>(&'a self, query: &str, korean_query: bool) -> Vec<&'a str> {
        self.related(|m| m.contains(' ') && query.contains(m), korean_query)
    }

    /// The other members of each group with a member that `hit` accepts. A Korean word expands
    /// only to Korean members: the corpus is Korean, and adding a name's English form would
    /// double-count passages that print both (크리스탈 랜드(Crystal Land)). One-way glossary
    /// lines serve English queries only: in a Korean query a Latin word is an acronym or a name
    /// the corpus prints as it is (AI, GPU), and translating it double-counts `AI(인공지능)`.
    fn related(&self, hit: impl Fn(&str) -> bool, korean_query: bool) -> Vec<&str> {
        let mut out = Vec::new();
        for g in self
            .groups
            .iter()
            .filter(|g| !(korean_query && g.one_way()))
        {
            if let Some(found) = g.members[..g.triggers].iter().find(|m| hit(m)) {
                let korean = has_hangul(found);
                out.extend(
                    g.members
                        .iter()
                        .filter(|m| *m != found && (!korean || has_hangul(m)))
                        .map(String::as_str),
                );
            }
        }
        out
    }
}

/// A Hangul member matches words it begins (a stem: 사들이 ~ 사들이기로); a Latin member matches
/// itself, or begins the word when it is at least five letters long.
fn member_matches(member: &str, word: &str) -> bool {
    if word == member {
        return true;
    }
    let hangul = member.chars().all(is_hangul_syllable);
    let n = member.chars().count();
    word.starts_with(member) && ((hangul && n >= 2) || (!hangul && n >= 5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thesaurus_expands_stems_and_english_words() {
        let t = Thesaurus::parse(
            "# comment\n인수|사들이|매입\njob|jobs|일자리\ndata center|데이터센터\nx\n",
        );
        assert_eq!(t.expansions("사들이기로", true), vec!["인수", "매입"]);
        assert_eq!(t.expansions("jobs", false), vec!["job", "일자리"]);
        assert!(t.expansions("jo", false).is_empty());
        assert_eq!(
            t.phrase_expansions("new data center plans", false),
            vec!["데이터센터"]
        );
    }

    #[test]
    fn one_way_glossary_lines_do_not_join_their_translations() {
        let t = Thesaurus::parse("project|projects > 프로젝트|사업\nreport > 보도\n");
        assert_eq!(
            t.expansions("projects", false),
            vec!["projects", "프로젝트", "사업"]
        );
        assert!(t.expansions("프로젝트", true).is_empty());
        assert!(t.expansions("사업", true).is_empty());
        // In a Korean query, an English word is not translated by a one-way line.
        assert!(t.expansions("projects", true).is_empty());
    }
}
