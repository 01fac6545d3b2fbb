//! The ranking pipeline: which parts of retrieval are on (`--retrieval`), so that each can be
//! switched off to measure what it adds.

use crate::retrieval::analyzer::Options;
use crate::retrieval::query::PlanOptions;

/// The parts of the ranking, each of which can be switched off to measure what it adds. Plain
/// BM25 over Hangul bigrams is [`Pipeline::PLAIN`]; the layer as it was before issue 12 is
/// [`Pipeline::LAYER`]; the product runs [`Pipeline::default`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pipeline {
    /// Strip one particle or 하다-ending from Hangul runs (passages and queries alike).
    pub particles: bool,
    /// Drop interrogatives and English function words from queries.
    pub stopwords: bool,
    /// The tokens of one query word share its weight (`1 / n^0.75` each) instead of each
    /// counting 1, so a long name does not outweigh the rest of the question.
    pub word_weights: bool,
    /// Expand query words with the thesaurus (synonyms, English-to-Korean glossary).
    pub thesaurus: bool,
    /// The thesaurus holds the built-in glossary (`data/thesaurus.txt`), not only the corpus's
    /// own `glossary.thesaurus` or `--glossary` file.
    pub builtin_glossary: bool,
    /// Question focus: the asked-for noun counts half, passages without the asked form of
    /// answer score less (see [`crate::retrieval::focus`]).
    pub focus: bool,
    /// Multiply the score by the square root of the passage's query coverage.
    pub coverage: bool,
    /// Multiply the score by the passage kind's prior (lists and fragments count less).
    pub priors: bool,
    /// Drop hits that nearly repeat a better one.
    pub near_repeats: bool,
    /// The file's title and the passage's section heading count for it, at
    /// [`CONTEXT_WEIGHT`] of its own words (see [`Passage::context`]).
    ///
    /// [`CONTEXT_WEIGHT`]: crate::retrieval::index::CONTEXT_WEIGHT
    /// [`Passage::context`]: crate::retrieval::segment::Passage::context
    pub context: bool,
    /// Heading lines are not retrieved on their own (their words count for their section when
    /// `context` is on), unless they state a figure of their own
    /// ([`crate::retrieval::segment::Passage::only_heads`]).
    pub skip_headings: bool,
    /// Drop question-final light predicates from queries (하나, 있나요, 인가…).
    pub ko_endings: bool,
    /// Index the first syllable of each Hangul run as a token too (conjugated stems).
    pub lead_syllable: bool,
    /// A Latin query word also searches the corpus's Hangul words with its consonant skeleton
    /// (Hallasan → 한라산; see [`crate::retrieval::translit`]).
    pub transliterate: bool,
    /// Multiply the score by 1 + [`PROXIMITY_BONUS`] × the share of adjacent query-word pairs
    /// that stand within [`PROXIMITY_WINDOW`] tokens of each other in the passage.
    ///
    /// [`PROXIMITY_BONUS`]: crate::retrieval::index::PROXIMITY_BONUS
    /// [`PROXIMITY_WINDOW`]: crate::retrieval::score::PROXIMITY_WINDOW
    pub proximity: bool,
    /// A hyphenated model code is also one token (`AP-300` → `ap300`), so it matches itself
    /// whole, not only its parts (see [`Options::codes`]).
    pub codes: bool,
    /// A passage that names codes or numbered items (in its text, title or heading), none of
    /// them the ones the query names, scores as one without the asked form of answer: it is
    /// about another product or meeting (see [`crate::retrieval::anchors`]).
    pub anchors: bool,
    /// A question that asks for each of two things is also searched as one question per thing,
    /// and each part's best passage is brought among the first hits (see
    /// [`crate::retrieval::parts`]).
    pub parts: bool,
    /// With the dense stage of an encoder that chooses sentences (EmbeddingGemma; see
    /// [`crate::retrieval::dense::Fusion::sentences`]), the first hits are quoted by the
    /// sentence the encoder places nearest the query, not by the one that shares the most of
    /// its words (each sentence of a passage is embedded with the passages; see
    /// [`crate::retrieval::index::SENTENCE_HITS`]), and a passage ranks by its nearest sentence
    /// too ([`crate::retrieval::dense::SENTENCE_SHARE`]).
    pub sentences: bool,
    /// Plain BM25 over the passages' surface (Hangul bigrams with particles kept, no
    /// expansions, each query token once, titles and headings as context, headings not
    /// retrieved on their own) is added to the score at [`SURFACE_WEIGHT`], each divided by its
    /// best: the exact forms a question shares with its passage (`손정의의`, a long name's every
    /// bigram) count, where the layer's stripping and weighting blur them.
    ///
    /// [`SURFACE_WEIGHT`]: crate::retrieval::index::SURFACE_WEIGHT
    pub surface: bool,
    /// Words of Latin letters are reduced to their English stem, in passages and queries alike
    /// (`pears` and `pear`, `harvested` and `harvest`; see [`Options::stem_english`]).
    pub stemming: bool,
    /// A table's row is searched by its words as its cells paired with its header's column
    /// names (`지역: 영남권, 매출: 94억 원`; see
    /// [`crate::retrieval::segment::Passage::reads_as`]): the bare row does not say what its
    /// figures are.
    pub columns: bool,
}

/// The switchable parts by name, for [`Pipeline::parse`].
const PARTS: &[&str] = &[
    "particles",
    "stopwords",
    "word_weights",
    "thesaurus",
    "builtin_glossary",
    "focus",
    "coverage",
    "priors",
    "near_repeats",
    "context",
    "skip_headings",
    "ko_endings",
    "lead_syllable",
    "transliterate",
    "proximity",
    "codes",
    "anchors",
    "parts",
    "sentences",
    "surface",
    "stemming",
    "columns",
];

impl Pipeline {
    /// BM25 over the analyzer's tokens, each distinct query token once: nothing else.
    pub const PLAIN: Pipeline = Pipeline {
        particles: false,
        stopwords: false,
        word_weights: false,
        thesaurus: false,
        builtin_glossary: false,
        focus: false,
        coverage: false,
        priors: false,
        near_repeats: false,
        context: false,
        skip_headings: false,
        ko_endings: false,
        lead_syllable: false,
        transliterate: false,
        proximity: false,
        codes: false,
        anchors: false,
        parts: false,
        sentences: false,
        surface: false,
        stemming: false,
        columns: false,
    };

    /// The hand-made layer as it was before the out-of-domain sets (issue 12): every part that
    /// existed then on, the parts added since off.
    pub const LAYER: Pipeline = Pipeline {
        particles: true,
        stopwords: true,
        word_weights: true,
        thesaurus: true,
        builtin_glossary: true,
        focus: true,
        coverage: true,
        priors: true,
        near_repeats: true,
        context: false,
        skip_headings: false,
        ko_endings: false,
        lead_syllable: false,
        transliterate: false,
        proximity: false,
        codes: false,
        anchors: false,
        parts: false,
        sentences: false,
        surface: false,
        stemming: false,
        columns: false,
    };

    /// Parses `plain`, `layer` or `default`, each optionally followed by `+part` or `-part`
    /// switches (`default-thesaurus`, `plain+particles+priors`); each part by its field's
    /// name (`particles`, `builtin_glossary`, …).
    pub fn parse(spec: &str) -> Result<Pipeline, String> {
        let spec = spec.trim();
        let cut = spec.find(['+', '-']).unwrap_or(spec.len());
        let mut p = match &spec[..cut] {
            "plain" => Pipeline::PLAIN,
            "layer" => Pipeline::LAYER,
            "default" | "" => Pipeline::default(),
            other => {
                return Err(format!(
                    "unknown retrieval pipeline `{other}` (plain, layer or default)"
                ))
            }
        };
        let mut rest = &spec[cut..];
        while let Some(sign) = rest.chars().next() {
            let body = &rest[1..];
            let end = body.find(['+', '-']).unwrap_or(body.len());
            let part = &body[..end];
            *p.part_mut(part).ok_or_else(|| {
                format!("unknown retrieval part `{part}` ({})", PARTS.join(", "))
            })? = sign == '+';
            rest = &body[end..];
        }
        Ok(p)
    }

    fn part_mut(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "particles" => &mut self.particles,
            "stopwords" => &mut self.stopwords,
            "word_weights" => &mut self.word_weights,
            "thesaurus" => &mut self.thesaurus,
            "builtin_glossary" => &mut self.builtin_glossary,
            "focus" => &mut self.focus,
            "coverage" => &mut self.coverage,
            "priors" => &mut self.priors,
            "near_repeats" => &mut self.near_repeats,
            "context" => &mut self.context,
            "skip_headings" => &mut self.skip_headings,
            "ko_endings" => &mut self.ko_endings,
            "lead_syllable" => &mut self.lead_syllable,
            "transliterate" => &mut self.transliterate,
            "proximity" => &mut self.proximity,
            "codes" => &mut self.codes,
            "anchors" => &mut self.anchors,
            "parts" => &mut self.parts,
            "sentences" => &mut self.sentences,
            "surface" => &mut self.surface,
            "stemming" => &mut self.stemming,
            "columns" => &mut self.columns,
            _ => return None,
        })
    }

    /// The analyzer options this pipeline indexes and queries with.
    pub fn analyzer(&self) -> Options {
        Options {
            strip_particles: self.particles,
            lead_syllable: self.lead_syllable,
            codes: self.codes,
            stem_english: self.stemming,
        }
    }

    pub(crate) fn plan(&self) -> PlanOptions {
        PlanOptions {
            analyzer: self.analyzer(),
            stopwords: self.stopwords,
            thesaurus: self.thesaurus,
            ko_endings: self.ko_endings,
        }
    }
}

impl Pipeline {
    /// The pipeline the product runs with the dense stage ([`crate::retrieval::dense`]): the
    /// default plus `context` and `skip_headings`, without `surface`. Fused with the encoder's
    /// cosines, the title and section heading's words help every evaluation set (BENCHMARKS.md,
    /// "Dense stage"), where alone they cost a seed set an item; the surface match, which lifts
    /// the lexical ranking on nine sets, costs items under either encoder (BENCHMARKS.md, "The
    /// surface match").
    pub fn dense_default() -> Pipeline {
        Pipeline {
            context: true,
            skip_headings: true,
            surface: false,
            ..Pipeline::default()
        }
    }
}

impl Default for Pipeline {
    /// The pipeline the product runs: the layer, plus question-final light predicates dropped,
    /// English names matched to the corpus's Hangul words, hyphenated codes read whole, the
    /// surface match, English stems and tables' column names, the additions that cost no
    /// evaluation set anything (BENCHMARKS.md). `context`, `skip_headings` and `lead_syllable`
    /// lift the out-of-domain sets but each costs a seed set an item, so they stay off.
    fn default() -> Self {
        Pipeline {
            ko_endings: true,
            transliterate: true,
            codes: true,
            anchors: true,
            parts: true,
            sentences: true,
            surface: true,
            stemming: true,
            columns: true,
            ..Pipeline::LAYER
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_parse_with_part_switches() {
        assert_eq!(Pipeline::parse("plain"), Ok(Pipeline::PLAIN));
        assert_eq!(Pipeline::parse("layer"), Ok(Pipeline::LAYER));
        assert_eq!(Pipeline::parse("default"), Ok(Pipeline::default()));
        let p = Pipeline::parse("default-thesaurus+context").unwrap();
        assert!(!p.thesaurus && p.context && p.coverage && p.transliterate);
        let p = Pipeline::parse("plain+particles+word_weights").unwrap();
        assert!(p.particles && p.word_weights && !p.coverage);
        assert!(Pipeline::parse("fancy").is_err());
        assert!(Pipeline::parse("plain+nothing")
            .unwrap_err()
            .contains("nothing"));
        // Every named part can be switched.
        for part in PARTS {
            let on = Pipeline::parse(&format!("plain+{part}")).unwrap();
            assert_ne!(on, Pipeline::PLAIN, "{part}");
        }
    }
}
