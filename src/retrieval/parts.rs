//! Requests that ask for two things at once (`화성과 금성이 태양을 한 바퀴 도는 데 걸리는 시간은
//! 각각?`). Their answer stands in two places, often two files, and one search ranks the
//! passages that speak of both or of the better matched one first: the second thing's line fell
//! to fourth or lower. Here such a question is cut into one question per thing (`화성 태양을 한
//! 바퀴 …`, `금성이 태양을 한 바퀴 …`), each part is searched too, and each part's best passage is
//! brought into the first three of the whole question's hits. The best hit stays the whole
//! question's.
//!
//! Only a question that says it wants each thing (`각각`, `모두`, `둘 다`) is cut, at the first
//! word joined to the next by `와`/`과`: without that word, `와`/`과` mostly means "with"
//! (`지구와 비교해`, `덮개와 관련이 있나요`), and cutting there searches for half a question.

use super::index::Hit;
use crate::text::has_hangul;

/// Words by which a Korean question says it asks for each of the things it names.
const EACH: [&str; 4] = ["각각", "모두", "둘 다", "둘다"];

/// How many of the first hits a part's best passage must be among (else it is brought there).
pub const PART_RANK: usize = 3;

/// The two questions a request for two things stands for, when it is one (see the module
/// docs): the first thing's, then the second's. A request of several lines (a question and its
/// translation) is cut at its last Korean line, which is searched alone in each part.
pub fn split(query: &str) -> Option<[String; 2]> {
    let line = query.lines().rev().find(|l| has_hangul(l))?.trim();
    if !EACH.iter().any(|w| line.contains(w)) {
        return None;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let (i, stem) = words
        .iter()
        .enumerate()
        .take(words.len().saturating_sub(1))
        .find_map(|(i, w)| conjunct(w).map(|stem| (i, stem)))?;
    let before = &words[..i];
    let after = &words[i + 1..];
    let first: Vec<&str> = before
        .iter()
        .copied()
        .chain([stem])
        .chain(after.iter().skip(1).copied())
        .collect();
    let second: Vec<&str> = before.iter().chain(after).copied().collect();
    Some([first.join(" "), second.join(" ")])
}

/// The noun a word joins to the next one with `와`/`과` (`화성과` → `화성`, `시기와` → `시기`,
/// `AP-300과` → `AP-300`): `과` after a final consonant, `와` after a vowel, as the particle is
/// written (so `효과`, `사과` are not read as joined); a noun of at least two characters.
fn conjunct(word: &str) -> Option<&str> {
    let stem = word
        .strip_suffix('과')
        .map(|s| (s, true))
        .or_else(|| word.strip_suffix('와').map(|s| (s, false)));
    let (stem, after_consonant) = stem?;
    let last = stem.chars().next_back()?;
    if stem.chars().count() < 2 || !last.is_alphanumeric() {
        return None;
    }
    let agrees = match final_consonant(last) {
        Some(has) => has == after_consonant,
        // A Latin word or a figure: either spelling is read as the particle.
        None => true,
    };
    agrees.then_some(stem)
}

/// Whether a Hangul syllable ends in a consonant; `None` for any other character.
fn final_consonant(c: char) -> Option<bool> {
    let o = (c as u32).checked_sub(0xAC00)?;
    (o < 11172).then_some(o % 28 != 0)
}

/// The whole question's `hits` with each part's best hit brought among the first
/// [`PART_RANK`] (right after the first hit and any part hit already brought), unless one of
/// those first hits is already among the part's own first [`PART_RANK`]: then the part is served
/// (another line of the same file often says the same). A hit brought up takes the score of the
/// hit whose place it takes, so the list stays in score order; at most `top_k` hits.
pub fn merge(mut hits: Vec<Hit>, part_hits: Vec<Vec<Hit>>, top_k: usize) -> Vec<Hit> {
    let mut slot = 1;
    for part in part_hits {
        let served = hits
            .iter()
            .take(PART_RANK)
            .any(|h| part.iter().take(PART_RANK).any(|p| p.passage == h.passage));
        let Some(best) = part.into_iter().next() else {
            continue;
        };
        if served || slot >= PART_RANK {
            continue;
        }
        let mut hit = match hits.iter().position(|h| h.passage == best.passage) {
            Some(at) => hits.remove(at),
            None => best,
        };
        if let Some(taken) = hits.get(slot) {
            hit.score = taken.score;
        }
        hits.insert(slot.min(hits.len()), hit);
        slot += 1;
    }
    hits.truncate(top_k);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(q: &str) -> Option<[String; 2]> {
        split(q)
    }

    #[test]
    fn a_question_for_each_of_two_things_is_cut_in_two() {
        assert_eq!(
            parts("화성과 금성이 태양을 한 바퀴 도는 데 걸리는 시간은 각각?").unwrap(),
            [
                "화성 태양을 한 바퀴 도는 데 걸리는 시간은 각각?",
                "금성이 태양을 한 바퀴 도는 데 걸리는 시간은 각각?"
            ]
        );
        assert_eq!(
            parts("AP-300과 AP-500의 CADR은 각각 얼마인가?").unwrap(),
            [
                "AP-300 CADR은 각각 얼마인가?",
                "AP-500의 CADR은 각각 얼마인가?"
            ]
        );
        // Words before the pair belong to both parts (the cut cannot tell `원래` is the first
        // thing's own).
        assert_eq!(
            parts("문턱 높이는 원래 사양과 펌웨어 개선 뒤 각각 얼마인가?").unwrap(),
            [
                "문턱 높이는 원래 사양 개선 뒤 각각 얼마인가?",
                "문턱 높이는 원래 펌웨어 개선 뒤 각각 얼마인가?"
            ]
        );
        // A translated question: its Korean line.
        assert_eq!(
            parts("Heights of Hallasan and Baekdusan, each?\n한라산과 백두산의 높이는 각각?")
                .unwrap(),
            ["한라산 높이는 각각?", "백두산의 높이는 각각?"]
        );
    }

    #[test]
    fn with_or_without_each_word_a_question_stays_whole() {
        // `와`/`과` as "with": no word asks for each thing.
        assert_eq!(
            parts("금성 지표면의 대기압은 지구와 비교해 어느 정도인가?"),
            None
        );
        assert_eq!(parts("AP-300 뒷면 덮개와 관련이 있나요?"), None);
        // A noun that ends in the particle's syllable, spelt against the particle's rule.
        assert_eq!(parts("두 약의 효과 모두 같은가?"), None);
        // One-syllable nouns are not cut (`결과`, `성과`).
        assert_eq!(parts("결과 모두 알려줘"), None);
        // Nothing after the joined word.
        assert_eq!(parts("각각 화성과"), None);
        assert_eq!(
            parts("How long are Mars and Venus years, respectively?"),
            None
        );
    }

    fn hit(passage: usize, score: f32) -> Hit {
        Hit {
            passage,
            score,
            coverage: 1.0,
            highlight: 0..0,
            similarity: None,
        }
    }

    fn order(hits: &[Hit]) -> Vec<(usize, f32)> {
        hits.iter().map(|h| (h.passage, h.score)).collect()
    }

    #[test]
    fn each_parts_best_comes_among_the_first_three() {
        let whole = vec![
            hit(1, 9.0),
            hit(2, 8.0),
            hit(3, 7.0),
            hit(4, 6.0),
            hit(5, 5.0),
        ];
        // The first part is served (1 is first); the second's best, 5, comes second, at 2's
        // score.
        let merged = merge(whole.clone(), vec![vec![hit(1, 4.0)], vec![hit(5, 3.0)]], 5);
        assert_eq!(
            order(&merged),
            [(1, 9.0), (5, 8.0), (2, 8.0), (3, 7.0), (4, 6.0)]
        );
        // A part's best that the whole question did not return comes in; the list is cut.
        let merged = merge(whole.clone(), vec![vec![hit(9, 1.0)], vec![hit(8, 1.0)]], 4);
        assert_eq!(order(&merged), [(1, 9.0), (9, 8.0), (8, 8.0), (2, 8.0)]);
        // A part whose first three hold one of the whole's first three is served, whatever
        // its best.
        let merged = merge(
            whole.clone(),
            vec![vec![hit(7, 1.0), hit(3, 1.0)], vec![hit(2, 1.0)]],
            5,
        );
        assert_eq!(order(&merged), order(&whole));
        // One hit only; a part with no hit.
        let merged = merge(vec![hit(1, 9.0)], vec![vec![], vec![hit(7, 2.0)]], 5);
        assert_eq!(order(&merged), [(1, 9.0), (7, 2.0)]);
    }
}
