//! The encoder's tokenizer: SentencePiece unigram segmentation over the file's vocabulary.
//!
//! Text is normalised code point by code point with the file's map (full-width forms, circled
//! digits…), runs of spaces collapse to one, a leading `▁` is added unless the text starts with
//! a space, and spaces become `▁`. The segmentation is the most probable sequence of pieces
//! (Viterbi over the pieces' log-probabilities); a character no piece covers is `<unk>`, scored
//! 10 below the least likely piece.

use std::collections::HashMap;

use super::format::Vocab;

/// SentencePiece's word-boundary mark.
const SPACE_MARK: char = '\u{2581}';

/// A unigram tokenizer.
#[derive(Debug)]
pub struct Tokenizer {
    ids: HashMap<String, u32>,
    scores: Vec<f32>,
    normalize: HashMap<char, Vec<char>>,
    unk: u32,
    unk_score: f32,
    longest: usize,
    pub bos: u32,
    pub eos: u32,
}

impl Tokenizer {
    pub fn new(vocab: Vocab) -> Tokenizer {
        let unk_score = vocab.scores.iter().copied().fold(f32::INFINITY, f32::min) - 10.0;
        let longest = vocab.pieces.iter().map(String::len).max().unwrap_or(1);
        let mut ids = HashMap::with_capacity(vocab.pieces.len());
        for (i, p) in vocab.pieces.into_iter().enumerate() {
            if !p.is_empty() && i as u32 != vocab.unk {
                ids.entry(p).or_insert(i as u32);
            }
        }
        Tokenizer {
            ids,
            scores: vocab.scores,
            normalize: vocab.normalize,
            unk: vocab.unk,
            unk_score,
            longest,
            bos: vocab.bos,
            eos: vocab.eos,
        }
    }

    /// The normalised text the pieces are matched against.
    fn normalized(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 3);
        let mut last_space = false;
        for c in text.chars() {
            let mapped = self.normalize.get(&c);
            let chars: &[char] = match mapped {
                Some(v) => v,
                None => std::slice::from_ref(&c),
            };
            for &c in chars {
                if c == ' ' {
                    if last_space && !out.is_empty() {
                        continue;
                    }
                    last_space = true;
                    out.push(SPACE_MARK);
                } else {
                    last_space = false;
                    out.push(c);
                }
            }
        }
        if !out.starts_with(SPACE_MARK) {
            out.insert(0, SPACE_MARK);
        }
        out
    }

    /// The piece ids of `text` (no `<s>` or `</s>`), at most `max` of them (the first ones).
    pub fn encode(&self, text: &str, max: usize) -> Vec<u32> {
        let s = self.normalized(text);
        let bounds: Vec<usize> = s
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(s.len()))
            .collect();
        let n = bounds.len() - 1;
        // best[e]: the best score of a segmentation of the first e characters, with its last
        // piece (None: <unk>) and where that piece starts.
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut back: Vec<(Option<u32>, usize)> = vec![(None, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let piece = &s[bounds[i]..bounds[e]];
                if piece.len() > self.longest {
                    break;
                }
                if let Some(&id) = self.ids.get(piece) {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        back[e] = (Some(id), i);
                    }
                }
            }
            let unknown = best[i] + self.unk_score;
            if unknown > best[i + 1] {
                best[i + 1] = unknown;
                back[i + 1] = (None, i);
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            let (id, from) = back[at];
            ids.push(id.unwrap_or(self.unk));
            at = from;
        }
        ids.reverse();
        ids.truncate(max);
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocab {
        let pieces = [
            "<s>", "</s>", "<unk>", "▁", "▁ab", "a", "b", "c", "▁c", "AB",
        ];
        let scores = [0.0, 0.0, 0.0, -2.0, -1.0, -3.0, -3.0, -3.0, -1.5, -1.0];
        Vocab {
            pieces: pieces.iter().map(|s| s.to_string()).collect(),
            scores: scores.to_vec(),
            bos: 0,
            eos: 1,
            unk: 2,
            normalize: [('Ａ', vec!['a'])].into_iter().collect(),
        }
    }

    #[test]
    fn the_most_likely_segmentation_wins() {
        let t = Tokenizer::new(vocab());
        // "▁ab" (-1) beats "▁" "a" "b" (-8); "▁c" (-1.5) beats "▁" "c" (-5).
        assert_eq!(t.encode("ab c", 10), vec![4, 8]);
        // Runs of spaces collapse; the normaliser maps full-width letters.
        assert_eq!(t.encode("Ａb   c", 10), vec![4, 8]);
        // A character no piece covers is <unk>; the cap keeps the first pieces.
        assert_eq!(t.encode("ab z", 10), vec![4, 3, 2]);
        assert_eq!(t.encode("ab c", 1), vec![4]);
        assert!(t.encode("", 10).len() <= 1);
    }
}
