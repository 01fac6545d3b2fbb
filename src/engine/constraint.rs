//! Constrained decoding. Before each token is sampled the engine asks the request's
//! [`TokenConstraint`] which tokens may come next given the text generated so far, and masks
//! the others out. [`MarkerConstraint`] keeps citation markers honest: once the model opens a
//! `[`, only tokens that keep the text a prefix of `[<allowed label>]` are allowed until the `]`
//! (the marker grammar is [`crate::markers`]).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::markers;

/// Token id → the text it adds, computed once per model.
#[derive(Debug, Clone)]
pub struct Vocab {
    texts: Vec<String>,
    pieces: Vec<Vec<u8>>,
    eos: HashSet<u32>,
    /// Token ids by their bytes (end tokens and empty pieces left out), built on first use and
    /// then shared by every request on this model.
    by_bytes: OnceLock<PieceIndex>,
}

/// [`Vocab::by_bytes`]: ids by bytes, and the longest piece.
#[derive(Debug, Clone, Default)]
pub struct PieceIndex {
    pub ids: HashMap<Vec<u8>, Vec<u32>>,
    pub longest: usize,
}

impl Vocab {
    /// Builds the table from the raw bytes of each token (lossy for partial UTF-8 pieces) and
    /// the ids that end generation.
    pub fn from_pieces(pieces: &[Vec<u8>], eos: &[u32]) -> Self {
        Self {
            texts: pieces
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect(),
            pieces: pieces.to_vec(),
            eos: eos.iter().copied().collect(),
            by_bytes: OnceLock::new(),
        }
    }

    /// The token ids of every piece of bytes (see [`PieceIndex`]).
    pub fn by_bytes(&self) -> &PieceIndex {
        self.by_bytes.get_or_init(|| {
            let mut index = PieceIndex::default();
            for (id, b) in self.pieces.iter().enumerate() {
                let id = id as u32;
                if b.is_empty() || self.is_eos(id) {
                    continue;
                }
                index.longest = index.longest.max(b.len());
                index.ids.entry(b.clone()).or_default().push(id);
            }
            index
        })
    }

    /// The raw bytes of token `id` (part of a character for some byte-level tokens).
    pub fn bytes(&self, id: u32) -> &[u8] {
        self.pieces.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// The ids that end generation, sorted.
    pub fn eos_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.eos.iter().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Number of token ids.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The text of token `id` (empty for special tokens).
    pub fn text(&self, id: u32) -> &str {
        self.texts.get(id as usize).map_or("", String::as_str)
    }

    /// True when `id` ends generation.
    pub fn is_eos(&self, id: u32) -> bool {
        self.eos.contains(&id)
    }
}

/// Which tokens may be sampled next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenMask {
    /// Only these ids.
    Allow(Vec<u32>),
    /// Every id except these.
    Deny(Vec<u32>),
}

/// A rule on what may be generated. `None` means unconstrained.
pub trait TokenConstraint {
    /// The tokens allowed after `generated` (the text produced so far in this answer).
    fn allowed(&mut self, generated: &str, vocab: &Vocab) -> Option<TokenMask>;

    /// Like [`TokenConstraint::allowed`], also given the bytes of a character the last tokens
    /// began but did not finish (byte-level vocabularies split rare characters). By default
    /// they are ignored.
    fn allowed_after(
        &mut self,
        generated: &str,
        _pending: &[u8],
        vocab: &Vocab,
    ) -> Option<TokenMask> {
        self.allowed(generated, vocab)
    }

    /// Text that must come next after `generated` whatever the model would prefer (a fixed word
    /// of a form, a quote settled in advance); the engine feeds it in one batch, as fast as a
    /// prompt, instead of one token per step. `None` (the default) when the model has a choice.
    fn forced(&mut self, _generated: &str) -> Option<String> {
        None
    }

    /// Sees the next step's logits after the mask (disallowed ids are `-inf`) and may shift
    /// them: a choice the form leaves to the model can be weighed, and how close it was noted.
    /// By default nothing changes.
    fn adjust(&mut self, _generated: &str, _pending: &[u8], _vocab: &Vocab, _logits: &mut [f32]) {}
}

/// Allows `[label]` markers only for the given labels.
#[derive(Debug, Clone)]
pub struct MarkerConstraint {
    /// Each allowed label followed by `]`, e.g. `P3]`.
    closings: Vec<String>,
    /// Lazily computed: tokens containing `[` or `]` (the only ones that can break the rule
    /// outside a marker), and tokens whose every char may appear inside a marker.
    index: Option<Index>,
}

#[derive(Debug, Clone)]
struct Index {
    bracket: Vec<u32>,
    marker_chars: Vec<u32>,
}

/// Outcome of feeding text through the marker automaton.
enum Feed {
    /// Fine; `Some(content)` when a marker is still open.
    Ok(Option<String>),
    /// Names a label that is not allowed.
    Bad,
}

impl MarkerConstraint {
    /// A constraint allowing markers `[l]` for each `l` in `labels`.
    pub fn new<S: AsRef<str>>(labels: &[S]) -> Self {
        Self {
            closings: labels
                .iter()
                .map(|l| markers::closing(l.as_ref()))
                .collect(),
            index: None,
        }
    }

    fn valid_partial(&self, content: &str) -> bool {
        self.closings.iter().any(|c| c.starts_with(content))
    }

    /// Feeds `text` starting from `open` (the content of an open marker, if any).
    fn feed(&self, open: Option<&str>, text: &str) -> Feed {
        let mut open = open.map(str::to_string);
        for ch in text.chars() {
            match (&mut open, ch) {
                (None, markers::OPEN) => open = Some(String::new()),
                (None, _) => {}
                (Some(content), c) => {
                    content.push(c);
                    if !self.valid_partial(content) {
                        return Feed::Bad;
                    }
                    if c == markers::CLOSE {
                        open = None;
                    }
                }
            }
        }
        Feed::Ok(open)
    }

    fn index(&mut self, vocab: &Vocab) -> &Index {
        let chars: HashSet<char> = self.closings.iter().flat_map(|c| c.chars()).collect();
        self.index.get_or_insert_with(|| {
            let mut bracket = Vec::new();
            let mut marker_chars = Vec::new();
            for id in 0..vocab.len() as u32 {
                let t = vocab.text(id);
                if t.contains(markers::OPEN) || t.contains(markers::CLOSE) {
                    bracket.push(id);
                }
                if !t.is_empty() && t.chars().next().is_some_and(|c| chars.contains(&c)) {
                    marker_chars.push(id);
                }
            }
            Index {
                bracket,
                marker_chars,
            }
        })
    }
}

impl TokenConstraint for MarkerConstraint {
    fn allowed(&mut self, generated: &str, vocab: &Vocab) -> Option<TokenMask> {
        let open = match self.feed(None, generated) {
            Feed::Ok(open) => open,
            // Already broken (cannot happen when every token went through us): do not block.
            Feed::Bad => return None,
        };
        let index = self.index(vocab).clone();
        match open {
            None => {
                let deny: Vec<u32> = index
                    .bracket
                    .iter()
                    .copied()
                    .filter(|&id| matches!(self.feed(None, vocab.text(id)), Feed::Bad))
                    .collect();
                (!deny.is_empty()).then_some(TokenMask::Deny(deny))
            }
            Some(content) => {
                let allow: Vec<u32> = index
                    .marker_chars
                    .iter()
                    .copied()
                    .filter(|&id| matches!(self.feed(Some(&content), vocab.text(id)), Feed::Ok(_)))
                    .collect();
                Some(TokenMask::Allow(allow))
            }
        }
    }
}

/// Applies `mask` to `logits` in place (disallowed → -inf). Returns false, leaving the logits
/// untouched, when the mask would allow nothing.
pub fn apply_mask(logits: &mut [f32], mask: &TokenMask) -> bool {
    match mask {
        TokenMask::Deny(ids) => {
            if ids.len() >= logits.len() {
                return false;
            }
            for &id in ids {
                if let Some(l) = logits.get_mut(id as usize) {
                    *l = f32::NEG_INFINITY;
                }
            }
        }
        TokenMask::Allow(ids) => {
            let mut keep = vec![false; logits.len()];
            for &id in ids {
                if let Some(k) = keep.get_mut(id as usize) {
                    *k = true;
                }
            }
            if !keep
                .iter()
                .zip(logits.iter())
                .any(|(&k, l)| k && l.is_finite())
            {
                return false;
            }
            for (l, k) in logits.iter_mut().zip(keep) {
                if !k {
                    *l = f32::NEG_INFINITY;
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(words: &[&str]) -> Vocab {
        let pieces: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        Vocab::from_pieces(&pieces, &[])
    }

    #[test]
    fn inside_marker_only_allowed_continuations() {
        let v = vocab(&[
            "[", "P", "1", "2", "]", "P1", "P3", "]. ", "x", "[P2]", "[P9]",
        ]);
        let mut c = MarkerConstraint::new(&["P1", "P2"]);
        let ids = |m: Option<TokenMask>| match m {
            Some(TokenMask::Allow(a)) => {
                a.iter().map(|&i| v.text(i).to_string()).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(ids(c.allowed("see [", &v)), ["P", "P1"]);
        assert_eq!(ids(c.allowed("see [P", &v)), ["1", "2"]);
        assert_eq!(ids(c.allowed("see [P1", &v)), ["]", "]. "]);
        match c.allowed("plain text", &v) {
            Some(TokenMask::Deny(d)) => {
                assert_eq!(d.iter().map(|&i| v.text(i)).collect::<Vec<_>>(), ["[P9]"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mask_never_empties_logits() {
        let mut l = vec![1.0, 2.0];
        assert!(!apply_mask(&mut l, &TokenMask::Allow(vec![])));
        assert_eq!(l, [1.0, 2.0]);
        assert!(apply_mask(&mut l, &TokenMask::Allow(vec![1])));
        assert_eq!(l[0], f32::NEG_INFINITY);
    }
}
