//! The scoring formulas of retrieval as small pure functions: idf, the coverage of the query's
//! words, the proximity of adjacent query words, the overlap of two passages, the sum of the
//! layer's and the surface match's scores, and the sentence a hit is quoted by.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::retrieval::analyzer::{analyze, Options};
use crate::retrieval::focus::{has_form, Expect};
use crate::retrieval::index::MISSING_FORM;
use crate::retrieval::query::QueryWord;
use crate::text::sentence_spans;

/// Largest distance, in tokens, at which two query words count as near each other.
pub const PROXIMITY_WINDOW: usize = 6;

/// BM25's inverse document frequency.
pub fn idf(docs: f32, df: f32) -> f32 {
    (1.0 + (docs - df + 0.5) / (df + 0.5)).ln()
}

/// The idf-weighted share of the query's words that a passage matches (`has`: whether the
/// passage, or its context, holds a token), in `(0, 1]`. A word matches by
/// [`QueryWord::matched_by`]; a word's weight is the mean idf of its tokens. Queries without weighted words give 1.
pub fn coverage(plan: &[QueryWord], has: impl Fn(&str) -> bool, idf: &HashMap<&str, f32>) -> f32 {
    let weight = |tokens: &[String]| {
        tokens
            .iter()
            .map(|t| idf.get(t.as_str()).copied().unwrap_or(0.0))
            .sum::<f32>()
            / tokens.len().max(1) as f32
    };
    let (mut got, mut total) = (0.0, 0.0);
    for word in plan.iter().filter(|w| !w.tokens.is_empty()) {
        let w = weight(&word.tokens) * word.weight;
        total += w;
        if word.matched_by(&has) {
            got += w;
        }
    }
    if total <= 0.0 {
        1.0
    } else {
        (got / total).max(0.05)
    }
}

/// The share of adjacent pairs of query words (in query order, words with tokens) that stand
/// within [`PROXIMITY_WINDOW`] tokens of each other in `passage` (its tokens in order); 0 for a
/// query of one word. A word stands where any of its tokens or its expansions' tokens does.
pub fn proximity(plan: &[QueryWord], passage: &[String]) -> f32 {
    let words: Vec<&QueryWord> = plan.iter().filter(|w| !w.tokens.is_empty()).collect();
    if words.len() < 2 {
        return 0.0;
    }
    let positions = |w: &QueryWord| -> Vec<usize> {
        passage
            .iter()
            .enumerate()
            .filter(|(_, t)| w.tokens.contains(t) || w.expansions.iter().any(|e| e.contains(t)))
            .map(|(i, _)| i)
            .collect()
    };
    let at: Vec<Vec<usize>> = words.iter().map(|w| positions(w)).collect();
    let near = at
        .windows(2)
        .filter(|p| {
            p[0].iter()
                .any(|&a| p[1].iter().any(|&b| a.abs_diff(b) <= PROXIMITY_WINDOW))
        })
        .count();
    near as f32 / (words.len() - 1) as f32
}

/// Jaccard similarity of two token sets (0 when both are empty).
pub fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f32 / union as f32
    }
}

/// The layer's candidates (`scored`: passage, score, coverage) with the surface match's
/// (`surface`: passage, plain BM25) added at `weight`: each score divided by the best of its
/// list, the two summed (0 where a list lacks the passage). A passage only the surface match
/// found comes with no coverage (the caller computes it). Best first, ties by passage.
pub fn add_surface(
    scored: &[(usize, f32, f32)],
    surface: &[(usize, f32)],
    weight: f32,
) -> Vec<(usize, f32, Option<f32>)> {
    let best = |scores: &mut dyn Iterator<Item = f32>| scores.fold(0.0f32, f32::max);
    let share = |s: f32, best: f32| if best > 0.0 { s / best } else { 0.0 };
    let best_layer = best(&mut scored.iter().map(|s| s.1));
    let best_surface = best(&mut surface.iter().map(|s| s.1));
    let mut out: Vec<(usize, f32, Option<f32>)> = scored
        .iter()
        .map(|&(i, s, c)| (i, share(s, best_layer), Some(c)))
        .collect();
    for &(i, s) in surface {
        let add = weight * share(s, best_surface);
        match out.iter_mut().find(|o| o.0 == i) {
            Some(o) => o.1 += add,
            None => out.push((i, add, None)),
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// The sentence of `text` whose tokens carry the most query weight, counting less when it lacks
/// the form of answer the question expects (the first on ties, the first sentence when nothing
/// matches).
pub fn best_sentence(
    text: &str,
    weights: &[(String, f32)],
    expect: Expect,
    opts: Options,
) -> Range<usize> {
    let mut best: Option<(f32, Range<usize>)> = None;
    for span in sentence_spans(text) {
        let sentence = &text[span.clone()];
        let tokens: HashSet<String> = analyze(sentence, opts).into_iter().collect();
        let mut score: f32 = weights
            .iter()
            .filter(|(t, _)| tokens.contains(t))
            .map(|(_, w)| w)
            .sum();
        if !has_form(sentence, expect) {
            score *= MISSING_FORM;
        }
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, span));
        }
    }
    best.map_or(0..text.len(), |(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proximity_counts_adjacent_query_words_near_each_other() {
        let plan = crate::retrieval::query::query_plan("한라산 높이 백록담", Options::default());
        let near = analyze("한라산 높이는 1,947m이고 백록담이 있다", Options::default());
        assert_eq!(proximity(&plan, &near), 1.0);
        let far = analyze(
            "한라산은 제주에 있다. 여러 오름과 숲과 들판과 바다를 지나 멀리 보이는 높이 그리고 백록담",
            Options::default(),
        );
        assert_eq!(proximity(&plan, &far), 0.5);
        assert_eq!(proximity(&plan[..1], &near), 0.0);
    }

    #[test]
    fn the_surface_match_adds_its_share_and_brings_its_own_candidates() {
        let scored = [(0, 10.0, 0.9), (1, 8.0, 0.5)];
        let surface = [(1, 20.0), (2, 10.0)];
        let out = add_surface(&scored, &surface, 0.5);
        // 1: 0.8 + 0.5; 0: 1.0 + 0; 2: 0 + 0.25, found by the surface alone.
        assert_eq!(out.iter().map(|o| o.0).collect::<Vec<_>>(), [1, 0, 2]);
        assert!((out[0].1 - 1.3).abs() < 1e-6);
        assert_eq!(out[0].2, Some(0.5));
        assert_eq!(out[2].2, None);
        assert!((out[2].1 - 0.25).abs() < 1e-6);
        // Weight 0 keeps the layer's order; empty lists and zero scores divide by nothing.
        let kept = add_surface(&scored, &surface, 0.0);
        assert_eq!(kept[0].0, 0);
        assert!(add_surface(&[], &[], 0.5).is_empty());
        assert_eq!(add_surface(&[(3, 0.0, 1.0)], &[(3, 0.0)], 0.5)[0].1, 0.0);
    }

    #[test]
    fn idf_falls_with_document_frequency() {
        assert!(idf(100.0, 1.0) > idf(100.0, 50.0));
        assert!(idf(100.0, 100.0) > 0.0);
    }

    #[test]
    fn jaccard_of_sets() {
        let a: HashSet<String> = ["x", "y"].iter().map(|s| s.to_string()).collect();
        let b: HashSet<String> = ["y", "z"].iter().map(|s| s.to_string()).collect();
        assert!((jaccard(&a, &b) - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(jaccard(&HashSet::new(), &HashSet::new()), 0.0);
    }

    #[test]
    fn best_sentence_prefers_the_expected_form() {
        let text = "소프트뱅크가 공장 인수 가격을 공개했다. 금액은 12억 달러다.";
        let w = vec![
            ("인수".to_string(), 1.0),
            ("가격".to_string(), 1.0),
            ("금액".to_string(), 1.0),
        ];
        let any = best_sentence(text, &w, Expect::Anything, Options::default());
        assert_eq!(&text[any], "소프트뱅크가 공장 인수 가격을 공개했다.");
        let number = best_sentence(text, &w, Expect::Number, Options::default());
        assert_eq!(&text[number], "금액은 12억 달러다.");
    }

    #[test]
    fn best_sentence_prefers_weighted_matches() {
        let text = "첫 문장이다. 소프트뱅크가 투자했다. 끝.";
        let w = vec![("투자".to_string(), 2.0)];
        let r = best_sentence(text, &w, Expect::Anything, Options::default());
        assert_eq!(&text[r], "소프트뱅크가 투자했다.");
        assert_eq!(
            &text[best_sentence(text, &[], Expect::Anything, Options::default())],
            "첫 문장이다."
        );
    }
}
