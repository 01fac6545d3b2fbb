//! The dense stage: every passage as a sentence-encoder vector ([`crate::embed`]), searched by
//! cosine with the question's vector and fused with the lexical ranking.
//!
//! Lexical retrieval needs the question's words in the passage; paraphrased questions (시험으로
//! 관리를 뽑는 제도 for 과거제, 옆 솔 for 사이드 브러시) and English questions over Korean text share
//! few. The encoder places texts of the same meaning near each other whatever their words. Each
//! passage is embedded with its file's title line in front (a manual's error table never names
//! the product), once, when the index is built.
//!
//! Fusion ([`fuse`]): each candidate's lexical score as a share of the best one's, and its
//! cosine rescaled so that the best passage reads 1 and the [`Fusion::candidates`]-th reads 0,
//! are mixed with [`Fusion::weight`]; a passage without the answer form the question asks for
//! (a date, a count) has its cosine share scaled as its lexical score is. The candidates are
//! the lexical stage's and the dense stage's best [`Fusion::candidates`]. Each encoder has its
//! own [`Fusion`]: the stronger one earns more of the say, and more still over a request in
//! another script than the corpus ([`Fusion::for_other_script`]), which the lexical stage
//! reads only through the odd name or code.
//!
//! A paragraph's vector stands for all its sentences at once, so a question about one of them
//! sits nearer a shorter passage that only shares its topic. Where the encoder's sentences are
//! embedded too ([`Fusion::sentences`]), a passage's cosine is moved [`SENTENCE_SHARE`] of the
//! way up to its nearest sentence's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::embed::{dot, Embedder, EncoderKind, Role};

/// EmbeddingGemma's [`Fusion::sure_cosine`]. Chosen on the tuning splits (dev, extra, company,
/// encyclopedia and their unanswerable sets): of the questions whose best hit covers under 0.15
/// of their words, every unanswerable one's best hit sits below 0.515 and most answerable ones'
/// above 0.54. On the held-out splits it let 6 answerable questions through and no
/// unanswerable one (BENCHMARKS.md, "Hits the encoder vouches for").
const GEMMA_SURE_COSINE: Option<f32> = Some(0.53);
/// multilingual-e5-small's [`Fusion::sure_cosine`], chosen the same way: its cosines crowd
/// higher (unanswerable up to 0.827 on the tuning splits, answerable from 0.844).
const E5_SURE_COSINE: Option<f32> = Some(0.84);

/// The share of the way a passage's cosine moves up to its nearest sentence's, when its
/// sentences are embedded. Chosen with EmbeddingGemma over every answerable set: from 0.3 to
/// 0.7 it gains items and loses none (0.7 the most), at 0.85 it costs a dev claim its first
/// place, and the nearest sentence alone (1.0) costs company and dev more (BENCHMARKS.md, "A
/// passage read by its nearest sentence too").
pub const SENTENCE_SHARE: f32 = 0.7;

/// How an encoder's cosines are read: mixed with the lexical scores ([`fuse`]), and where
/// one alone says a passage bears on the request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fusion {
    /// Weight of the rescaled cosine in the fused score (the lexical share gets the rest).
    pub weight: f32,
    /// [`Fusion::weight`] for a request in another script than the corpus (an English
    /// question over Korean text; [`crate::retrieval::index::Retriever::in_other_script`]).
    /// Its words match only the odd name, code or figure, and the lexical share, divided by
    /// the best one's, lifts whatever passage happened to match them.
    pub other_script_weight: f32,
    /// Passages the dense stage proposes (by cosine) to the fused ranking; the last of them
    /// marks where the rescaled cosine reads 0.
    pub candidates: usize,
    /// A hit at or above this cosine bears on the request even when it shares few of the
    /// request's words (a paraphrase: `집에서 일할 수 있는 날` for `재택근무`), so its low
    /// coverage does not make the answer side abstain
    /// ([`crate::retrieval::index::Retriever::bears`]). `None`: coverage alone decides.
    pub sure_cosine: Option<f32>,
    /// Whether this encoder reads each sentence of a passage too: it chooses the sentence the
    /// first hits are quoted by ([`crate::retrieval::index::Pipeline::sentences`]), and a
    /// passage's cosine moves toward its nearest sentence's ([`SENTENCE_SHARE`]). Its sentences
    /// are then embedded with the passages.
    pub sentences: bool,
}

impl Fusion {
    /// multilingual-e5-small: an even mix (BENCHMARKS.md, "Dense stage").
    pub const E5: Fusion = Fusion {
        weight: 0.5,
        // Its cross-lingual match is weaker than the names' and codes': with the cosine alone
        // English questions lost items on nine sets of the three corpora (BENCHMARKS.md,
        // "Questions in another script than the corpus").
        other_script_weight: 0.5,
        candidates: 50,
        sure_cosine: E5_SURE_COSINE,
        // Its sentence quotes fewer answers than the words' (BENCHMARKS.md, "The sentence a
        // hit is quoted by").
        sentences: false,
    };
    /// EmbeddingGemma-300M: alone it ranks better than the lexical stage out of domain, so its
    /// cosine weighs most, measured over its 20 nearest (chosen on the tuning splits, checked on
    /// the held-out ones; BENCHMARKS.md, "EmbeddingGemma's fusion").
    pub const GEMMA: Fusion = Fusion {
        weight: 0.8,
        // English questions over Korean text: the cosine alone ranks them better than any
        // share of the lexical score (BENCHMARKS.md, "Questions in another script than the
        // corpus").
        other_script_weight: 1.0,
        candidates: 20,
        sure_cosine: GEMMA_SURE_COSINE,
        sentences: true,
    };

    /// This fusion for a request in another script than the corpus: its
    /// [`Fusion::other_script_weight`] as the weight.
    pub fn for_other_script(self) -> Fusion {
        Fusion {
            weight: self.other_script_weight,
            ..self
        }
    }

    /// The fusion chosen for `kind`.
    pub fn of(kind: EncoderKind) -> Fusion {
        match kind {
            EncoderKind::E5 => Fusion::E5,
            EncoderKind::Gemma => Fusion::GEMMA,
        }
    }
}

/// The passages' vectors.
pub struct DenseIndex {
    embedder: Arc<Embedder>,
    /// One unit vector per passage; empty for passages that are not searched.
    vectors: Vec<Vec<f32>>,
    /// Per passage, one unit vector per sentence, in order, for the searched passages of more
    /// than one sentence; empty for the others.
    sentences: Vec<Vec<Vec<f32>>>,
}

impl std::fmt::Debug for DenseIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DenseIndex")
            .field("embedder", &self.embedder.name())
            .field("passages", &self.vectors.len())
            .finish()
    }
}

/// What the encoder reads of a corpus: each passage, and each sentence of it.
#[derive(Debug, Clone, Default)]
pub struct DenseTexts {
    /// Passage `i`'s text as the encoder reads it (its title line in front), `None` for a
    /// passage that is not searched.
    pub passages: Vec<Option<String>>,
    /// Passage `i`'s sentences, each as the encoder reads it (under the same title), for a
    /// searched passage of more than one sentence; empty for the others.
    pub sentences: Vec<Vec<String>>,
}

impl DenseIndex {
    /// Embeds the searched passages and their sentences (`texts`). Vectors computed before
    /// for the same texts and encoder are read from the cache folder ([`cache_dir`]) instead;
    /// new ones are written there (a cache that cannot be written is skipped).
    pub fn build(embedder: Arc<Embedder>, texts: &DenseTexts) -> DenseIndex {
        let searched: Vec<&str> = texts
            .passages
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let mut vectors = embed_cached(&embedder, &searched, "passages").into_iter();
        let vectors = texts
            .passages
            .iter()
            .map(|t| match t {
                Some(_) => vectors.next().unwrap_or_default(),
                None => Vec::new(),
            })
            .collect();
        let sentences: Vec<&str> = texts
            .sentences
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let mut sentence_vectors = embed_cached(&embedder, &sentences, "sentences").into_iter();
        let sentences = texts
            .sentences
            .iter()
            .map(|s| sentence_vectors.by_ref().take(s.len()).collect())
            .collect();
        DenseIndex {
            embedder,
            vectors,
            sentences,
        }
    }

    /// The encoder's name.
    pub fn model(&self) -> &str {
        self.embedder.name()
    }

    /// How this encoder's cosines are fused with the lexical ranking.
    pub fn fusion(&self) -> Fusion {
        Fusion::of(self.embedder.kind())
    }

    /// The query's vector, for [`DenseIndex::similarities`] and
    /// [`DenseIndex::sentence_similarities`].
    pub fn query_vector(&self, query: &str) -> Vec<f32> {
        self.embedder
            .embed(&[query], Role::Query)
            .pop()
            .unwrap_or_default()
    }

    /// Each passage's cosine with the query's vector `q` (`None` for passages not searched),
    /// moved [`SENTENCE_SHARE`] of the way up to its nearest sentence's where its sentences
    /// are embedded.
    pub fn similarities(&self, q: &[f32]) -> Vec<Option<f32>> {
        self.vectors
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (!v.is_empty()).then(|| {
                    let sentences = self.sentences.get(i).into_iter().flatten();
                    toward_nearest_sentence(dot(q, v), sentences.map(|s| dot(q, s)))
                })
            })
            .collect()
    }

    /// The cosine of each sentence of passage `i` with the query's vector `q`, in order; `None`
    /// for a passage whose sentences were not embedded (one sentence, or not searched).
    pub fn sentence_similarities(&self, i: usize, q: &[f32]) -> Option<Vec<f32>> {
        let sentences = self.sentences.get(i).filter(|s| !s.is_empty())?;
        Some(sentences.iter().map(|v| dot(q, v)).collect())
    }
}

/// A passage's cosine `whole` moved [`SENTENCE_SHARE`] of the way up to the nearest of its
/// sentences' cosines; `whole` itself when no sentence is nearer (or it has none embedded).
fn toward_nearest_sentence(whole: f32, sentences: impl Iterator<Item = f32>) -> f32 {
    let nearest = sentences.fold(whole, f32::max);
    whole + SENTENCE_SHARE * (nearest - whole)
}

/// The vectors of `texts` (encoder inputs of one `kind`, for the log), read from the cache
/// when it holds them, else computed and cached.
fn embed_cached(embedder: &Embedder, texts: &[&str], kind: &str) -> Vec<Vec<f32>> {
    if texts.is_empty() {
        return Vec::new();
    }
    let cached = cache_file(embedder, texts);
    let read = cached
        .as_deref()
        .and_then(|path| read_vectors(path, texts.len(), embedder.dim()));
    if let Some(v) = read {
        return v;
    }
    // Minutes for a large corpus with the bigger encoder: say what the wait is for.
    tracing::info!(
        count = texts.len(),
        encoder = embedder.name(),
        "embedding the corpus's {kind} (once: the vectors are cached)"
    );
    let started = std::time::Instant::now();
    let v = embedder.embed(texts, Role::Passage);
    tracing::info!(seconds = started.elapsed().as_secs_f32(), "{kind} embedded");
    if let Some(path) = &cached {
        if let Err(e) = write_vectors(path, &v) {
            tracing::debug!(path = %path.display(), "{kind} vectors not cached: {e}");
        }
    }
    v
}

/// Where passage vectors are cached: `$FACTCHECK_CACHE_DIR`, else `$XDG_CACHE_HOME/factcheck`,
/// else `~/.cache/factcheck`.
pub fn cache_dir() -> Option<PathBuf> {
    let var = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    var("FACTCHECK_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("factcheck")))
        .or_else(|| var("HOME").map(|h| h.join(".cache/factcheck")))
}

/// The cache file for these texts under this encoder: named by a hash of both.
fn cache_file(embedder: &Embedder, texts: &[&str]) -> Option<PathBuf> {
    let mut h = Sha256::new();
    h.update(embedder.fingerprint().as_bytes());
    for t in texts {
        h.update((t.len() as u64).to_le_bytes());
        h.update(t.as_bytes());
    }
    let key = format!("{:x}", h.finalize());
    Some(cache_dir()?.join(format!("passages-{}.f32", &key[..32])))
}

/// `n` vectors of `dim` values from `path`, if it holds exactly that many.
fn read_vectors(path: &Path, n: usize, dim: usize) -> Option<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() != n * dim * 4 {
        return None;
    }
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Some(values.chunks(dim.max(1)).map(<[f32]>::to_vec).collect())
}

/// Writes `vectors` to `path` (through a temporary file, so a reader never sees half of it).
fn write_vectors(path: &Path, vectors: &[Vec<f32>]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let bytes: Vec<u8> = vectors
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// The fused ranking: `lexical` holds `(passage, score)` for the lexical candidates, `cosines`
/// every passage's cosine. Returns `(passage, fused score)` for the union of the lexical
/// candidates and the `fusion.candidates` nearest passages, best first (ties: lower index).
/// `form(i)` scales passage `i`'s dense share: the lexical score already carries the
/// question's answer-form factor (a count asked, no count in the passage), the cosine does not.
pub fn fuse(
    lexical: &[(usize, f32)],
    cosines: &[Option<f32>],
    fusion: Fusion,
    form: impl Fn(usize) -> f32,
) -> Vec<(usize, f32)> {
    let Fusion {
        weight, candidates, ..
    } = fusion;
    let mut nearest: Vec<(usize, f32)> = cosines
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.map(|c| (i, c)))
        .collect();
    nearest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let top = nearest.first().map_or(0.0, |n| n.1);
    let floor = nearest
        .get(candidates.min(nearest.len()).saturating_sub(1))
        .map_or(0.0, |n| n.1);
    let dense_share = |i: usize| -> f32 {
        match cosines.get(i).copied().flatten() {
            Some(c) if top > floor => ((c - floor) / (top - floor)).max(0.0),
            Some(_) => 1.0,
            None => 0.0,
        }
    };
    let best_lexical = lexical.iter().map(|l| l.1).fold(0.0f32, f32::max);
    let mut lexical_share = std::collections::HashMap::with_capacity(lexical.len());
    for &(i, s) in lexical {
        let share = if best_lexical > 0.0 {
            s / best_lexical
        } else {
            0.0
        };
        lexical_share.insert(i, share);
    }
    let mut ids: Vec<usize> = lexical.iter().map(|l| l.0).collect();
    ids.extend(nearest.iter().take(candidates).map(|n| n.0));
    ids.sort_unstable();
    ids.dedup();
    let mut fused: Vec<(usize, f32)> = ids
        .into_iter()
        .map(|i| {
            let lex = lexical_share.get(&i).copied().unwrap_or(0.0);
            (i, weight * dense_share(i) * form(i) + (1.0 - weight) * lex)
        })
        .collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_vectors_round_trip_and_a_wrong_size_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/v.f32");
        let v = vec![vec![0.5, -1.0], vec![2.0, 0.25]];
        write_vectors(&path, &v).unwrap();
        assert_eq!(read_vectors(&path, 2, 2), Some(v));
        assert_eq!(read_vectors(&path, 3, 2), None);
        assert_eq!(read_vectors(&dir.path().join("none"), 1, 2), None);
    }

    #[test]
    fn a_passage_moves_halfway_up_to_its_nearest_sentence() {
        assert_eq!(toward_nearest_sentence(0.4, std::iter::empty()), 0.4);
        // Sentences farther than the whole passage leave it as it is.
        assert_eq!(toward_nearest_sentence(0.4, [0.1, 0.3].into_iter()), 0.4);
        let lifted = toward_nearest_sentence(0.4, [0.2, 0.8, 0.6].into_iter());
        assert!(
            (lifted - (0.4 + SENTENCE_SHARE * 0.4)).abs() < 1e-6,
            "{lifted}"
        );
    }

    fn at(weight: f32) -> Fusion {
        Fusion {
            weight,
            ..Fusion::E5
        }
    }

    #[test]
    fn a_request_in_another_script_takes_its_own_weight() {
        let gemma = Fusion::of(EncoderKind::Gemma);
        assert_eq!(gemma.for_other_script().weight, gemma.other_script_weight);
        assert_eq!(gemma.for_other_script().candidates, gemma.candidates);
        // Passage 0 matched the request's one Latin name; 2 is the encoder's nearest.
        let lexical = [(0, 10.0), (1, 5.0)];
        let cosines = [Some(0.88), Some(0.80), Some(0.90), Some(0.70)];
        let order = |f: Fusion| -> Vec<usize> {
            fuse(&lexical, &cosines, f, |_| 1.0)
                .iter()
                .map(|f| f.0)
                .collect()
        };
        assert_eq!(order(gemma)[0], 0);
        assert_eq!(order(gemma.for_other_script()), vec![2, 0, 1, 3]);
        // e5 keeps its mix.
        assert_eq!(Fusion::E5.for_other_script(), Fusion::E5);
    }

    #[test]
    fn fusion_mixes_both_rankings_and_adds_dense_only_candidates() {
        // Passage 0: lexical best, middling cosine; 2: no lexical match, nearest by cosine.
        let lexical = [(0, 10.0), (1, 5.0)];
        let cosines = [Some(0.80), Some(0.75), Some(0.90), None];
        let fused = fuse(&lexical, &cosines, Fusion::E5, |_| 1.0);
        let order: Vec<usize> = fused.iter().map(|f| f.0).collect();
        // Three searched passages: the floor is the third cosine (0.75).
        // 0: 0.5·(0.05/0.15) + 0.5·1 ≈ 0.667; 2: 0.5·1 + 0 = 0.5; 1: 0 + 0.25.
        assert_eq!(order, vec![0, 2, 1]);
        assert!((fused[0].1 - 0.6667).abs() < 1e-3, "{fused:?}");
        // Weight 1: the dense order alone; weight 0: the lexical order first.
        let dense: Vec<usize> = fuse(&lexical, &cosines, at(1.0), |_| 1.0)
            .iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(dense, vec![2, 0, 1]);
        let lex: Vec<usize> = fuse(&lexical, &cosines, at(0.0), |_| 1.0)
            .iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(&lex[..2], &[0, 1]);
        // Unsearched passages never come back.
        assert!(fused.iter().all(|f| f.0 != 3));
        // EmbeddingGemma's fusion leans on the cosine: the nearest passage leads.
        // 2: 0.8·1 = 0.8; 0: 0.8·(0.05/0.15) + 0.2·1 ≈ 0.467; 1: 0.2·0.5 = 0.1.
        let gemma: Vec<usize> = fuse(&lexical, &cosines, Fusion::of(EncoderKind::Gemma), |_| 1.0)
            .iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(gemma, vec![2, 0, 1]);
        // A passage without the asked-for form loses its dense share's lead: 2 falls below 1.
        let formed: Vec<usize> = fuse(&lexical, &cosines, Fusion::E5, |i| {
            if i == 2 {
                0.4
            } else {
                1.0
            }
        })
        .iter()
        .map(|f| f.0)
        .collect();
        assert_eq!(formed, vec![0, 1, 2]);
    }
}
