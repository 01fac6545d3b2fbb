//! Ranking, segmentation and corpus-loading tests on fixtures and on the real seed corpus.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::fs;

use factcheck::retrieval::corpus::{self, Corpus, SourceFile};
use factcheck::retrieval::index::Retriever;
use factcheck::retrieval::segment::{segment_corpus, segment_file};
use proptest::prelude::*;

fn top_id(r: &Retriever, q: &str) -> String {
    let hits = r.search(q, 3).unwrap();
    r.passages()[hits[0].passage].id.clone()
}

#[test]
fn particles_do_not_stop_a_match() {
    let r = Retriever::new(common::fixture_corpus()).unwrap();
    // The query says 베타로보틱스는, the text says 베타로보틱스가 / 베타로보틱스의.
    assert_eq!(
        top_id(&r, "베타로보틱스는 어느 나라 공장을 샀나?"),
        "beta:1-1"
    );
    assert_eq!(top_id(&r, "알파전자의 영업이익은 얼마인가"), "alpha:3-3");
    assert_eq!(top_id(&r, "금리 인하 폭"), "gamma:1-1");
}

#[test]
fn lists_rank_below_body_text_and_repeats_collapse() {
    let r = Retriever::new(common::fixture_corpus()).unwrap();
    // Both the article and a related-article list line mention 알파전자 매출; the article wins.
    assert_eq!(top_id(&r, "알파전자 매출"), "alpha:3-3");
    let hits = r.search("감마은행 본점 사진", 5).unwrap();
    let captions = hits
        .iter()
        .filter(|h| r.passages()[h.passage].text.starts_with("사진 설명"))
        .count();
    assert_eq!(captions, 1, "the repeated caption appears once");
}

/// A question's focus decides the form of the answer: a list for a plural, a number for 얼마,
/// a clock time for 시각. The passage that only repeats the question's words ranks lower.
#[test]
fn answers_of_the_asked_form_rank_first() {
    let corpus = Corpus::from_files(vec![SourceFile::from_text(
        "d.txt",
        "우주 프로젝트에 참여하는 기업 오메가는 지난해 설립됐다.\n\
         알파·베타·감마가 우주 프로젝트에 참여한다.\n\
         우주 프로젝트 예산에 대해 장관은 말을 아꼈다.\n\
         정부는 우주 프로젝트 예산을 3조 원으로 정했다.\n\
         장관이 우주센터에 도착해 기자들을 만났다.\n\
         장관은 오후 3시 20분 우주센터에 도착했다.\n\
         중소 기업 지원책이 발표됐다.\n\
         기업 투자가 늘었다고 정부는 밝혔다.\n\
         대형 기업 실적은 시장 예상을 웃돌았다.\n\
         날씨가 맑아 발사 준비가 순조롭다.\n",
    )]);
    let r = Retriever::new(corpus).unwrap();
    assert_eq!(top_id(&r, "우주 프로젝트에 참여하는 기업들은?"), "d:2-2");
    assert_eq!(
        top_id(&r, "Which companies join the 우주 프로젝트?"),
        "d:2-2"
    );
    assert_eq!(top_id(&r, "우주 프로젝트 예산은 얼마인가?"), "d:4-4");
    assert_eq!(top_id(&r, "장관이 우주센터에 도착한 시각은?"), "d:6-6");
    // A claim has no focus: the plain lexical match wins.
    assert_eq!(
        top_id(&r, "장관이 우주센터에 도착해 기자들을 만났다."),
        "d:5-5"
    );
}

#[test]
fn highlight_is_a_sentence_of_the_passage() {
    let r = Retriever::new(common::fixture_corpus()).unwrap();
    let hits = r.search("인수 가격은 얼마", 1).unwrap();
    let view = r.view(&hits[0]);
    assert_eq!(view.highlight, "인수 가격은 12억 유로다.");
    assert!(view.text.contains(view.highlight));
}

#[test]
fn empty_and_punctuation_queries_return_nothing() {
    let r = Retriever::new(common::fixture_corpus()).unwrap();
    assert!(r.search("", 5).unwrap().is_empty());
    assert!(r.search("?!… ...", 5).unwrap().is_empty());
    assert!(r.search("무엇?", 5).unwrap().is_empty());
}

#[test]
fn seed_passages_tile_every_line_and_cite_real_text() {
    let corpus = Corpus::load(&common::seeds_dir()).unwrap();
    assert_eq!(corpus.files.len(), 5);
    assert!(corpus.problems.is_empty());
    for file in &corpus.files {
        check_tiling(file);
    }
}

#[test]
fn ids_are_stable_and_unique() {
    let a = segment_corpus(&Corpus::load(&common::seeds_dir()).unwrap());
    let b = segment_corpus(&Corpus::load(&common::seeds_dir()).unwrap());
    let ids_a: Vec<_> = a.iter().map(|p| &p.id).collect();
    let ids_b: Vec<_> = b.iter().map(|p| &p.id).collect();
    assert_eq!(ids_a, ids_b);
    assert_eq!(ids_a.iter().collect::<BTreeSet<_>>().len(), ids_a.len());
}

/// Passages cover every non-blank line, in order, each piece being verbatim text of its lines;
/// the pieces of a split line rebuild the line (up to whitespace).
fn check_tiling(file: &SourceFile) {
    let passages = segment_file(file);
    let mut covered = vec![false; file.lines.len()];
    let mut pieces: HashMap<usize, Vec<String>> = HashMap::new();
    let mut last = (0, 0);
    for p in &passages {
        assert!(p.start_line >= 1 && p.start_line <= p.end_line && p.end_line <= file.lines.len());
        assert!(
            (p.start_line, p.span.map_or(0, |s| s.0)) >= last,
            "passages in order"
        );
        last = (p.start_line, p.span.map_or(0, |s| s.1));
        let lines = file.lines[p.start_line - 1..p.end_line].join("\n");
        assert!(lines.contains(&p.text), "{} is verbatim", p.id);
        match p.span {
            Some((a, b)) => {
                assert_eq!(&file.lines[p.start_line - 1][a..b], p.text);
                pieces.entry(p.start_line).or_default().push(p.text.clone());
            }
            None => (p.start_line..=p.end_line).for_each(|l| {
                assert!(!covered[l - 1], "line {l} covered twice");
                covered[l - 1] = true;
            }),
        }
    }
    for (line, parts) in pieces {
        let rebuilt: String = parts.concat().split_whitespace().collect();
        let original: String = file.lines[line - 1].split_whitespace().collect();
        assert_eq!(rebuilt, original, "pieces of line {line} rebuild it");
        covered[line - 1] = true;
    }
    for (i, line) in file.lines.iter().enumerate() {
        assert_eq!(
            covered[i],
            !line.trim().is_empty(),
            "line {} of {}",
            i + 1,
            file.name
        );
    }
}

fn line_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[가-힣 ]{1,30}",
        "[가-힣a-z0-9 .,!?”]{40,200}",
        "([가-힣]{2,12} ){20,120}[가-힣]{1,5}다\\.",
        "[가-힣]{700,900}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_file_is_tiled(lines in prop::collection::vec(line_strategy(), 0..12)) {
        let file = SourceFile::from_text("p.txt", &lines.join("\n"));
        check_tiling(&file);
    }

    #[test]
    fn tables_are_read_consistently(
        lines in prop::collection::vec("(\\| ?(---|:-:|[가-힣a-z0-9 ]{0,6}) ?){0,4}\\|?|[가-힣 .]{0,12}", 0..14)
    ) {
        use factcheck::retrieval::table::{table_lines, TableLine};
        let lines: Vec<String> = lines;
        let marks = table_lines(&lines);
        prop_assert_eq!(marks.len(), lines.len());
        for (i, m) in marks.iter().enumerate() {
            match m {
                Some(TableLine::Rule) => prop_assert_eq!(marks[i - 1], Some(TableLine::Header)),
                Some(TableLine::Row(h)) => {
                    prop_assert!(*h < i);
                    prop_assert_eq!(marks[*h], Some(TableLine::Header));
                    prop_assert!(lines[i].contains('|'));
                }
                _ => {}
            }
        }
        // Every row passage reads as its fields and is cited as written.
        let file = SourceFile::from_text("t.md", &lines.join("\n"));
        check_tiling(&file);
        for p in segment_file(&file) {
            let row = matches!(marks[p.start_line - 1], Some(TableLine::Row(_)));
            prop_assert_eq!(p.fields.is_some(), row && p.span.is_none(), "{:?}", p);
            prop_assert_eq!(p.text.as_str(), file.lines[p.start_line - 1].trim());
        }
    }

    #[test]
    fn search_never_fails_and_respects_top_k(q in "\\PC{0,60}", k in 1usize..60) {
        let r = Retriever::new(common::fixture_corpus()).unwrap();
        let hits = r.search(&q, k).unwrap();
        prop_assert!(hits.len() <= k.min(50));
        for w in hits.windows(2) {
            prop_assert!(w[0].score >= w[1].score);
        }
    }
}

#[test]
fn bad_files_are_reported_and_the_rest_load() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("good.txt"), "정상 파일의 첫 줄입니다.\n").unwrap();
    fs::write(dir.path().join("latin1.txt"), b"caf\xe9 au lait\n").unwrap();
    fs::write(dir.path().join("empty.txt"), "  \n").unwrap();
    fs::write(
        dir.path().join("notes.md"),
        "# 메모\n\nMarkdown is text too.\n",
    )
    .unwrap();
    fs::write(dir.path().join("scan.pdf"), b"%PDF-1.7").unwrap();
    // `한결시 예산` in EUC-KR, as older Windows programs save Korean.
    fs::write(
        dir.path().join("windows.txt"),
        b"\xc7\xd1\xb0\xe1\xbd\xc3 \xbf\xb9\xbb\xea\n",
    )
    .unwrap();
    let outside = tempfile::NamedTempFile::new().unwrap();
    fs::write(outside.path(), "secret").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link.txt")).unwrap();
    let corpus = Corpus::load(dir.path()).unwrap();
    let names: Vec<_> = corpus.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["good.txt", "notes.md", "windows.txt"]);
    assert_eq!(corpus.files[2].lines, ["한결시 예산"]);
    assert_eq!(
        (corpus.files[0].encoding, corpus.files[2].encoding),
        ("UTF-8", "EUC-KR")
    );
    assert_eq!(corpus.skipped, ["scan.pdf"]);
    let reasons: HashMap<_, _> = corpus
        .problems
        .iter()
        .map(|p| (p.file.as_str(), p.reason.as_str()))
        .collect();
    assert!(
        reasons["latin1.txt"].contains("not valid UTF-8"),
        "{reasons:?}"
    );
    assert!(reasons["empty.txt"].contains("empty"));
    #[cfg(unix)]
    assert!(reasons["link.txt"].contains("outside the corpus"));
}

#[test]
fn subfolders_are_read_and_named_by_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("2025/가을")).unwrap();
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::write(root.join("top.txt"), "맨 위 파일의 줄입니다.\n").unwrap();
    fs::write(
        root.join("2025/가을/회의록.MD"),
        "# 회의록\n\n예산을 의결했다.\n",
    )
    .unwrap();
    fs::write(root.join("2025/notes.txt"), "중간 폴더의 메모입니다.\n").unwrap();
    fs::write(root.join(".git/HEAD.txt"), "hidden").unwrap();
    fs::write(root.join("glossary.thesaurus"), "예산 => 살림\n").unwrap();
    let mut deep = root.to_path_buf();
    for level in 0..=corpus::MAX_DEPTH {
        deep.push(format!("d{level}"));
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("too-deep.txt"), "너무 깊은 파일\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root, root.join("2025/loop")).unwrap();
    let corpus = Corpus::load(root).unwrap();
    let names: Vec<_> = corpus.files.iter().map(|f| f.name.as_str()).collect();
    let shallow: Vec<_> = names.iter().filter(|n| !n.starts_with("d0/")).collect();
    assert_eq!(
        shallow,
        [&"2025/notes.txt", &"2025/가을/회의록.MD", &"top.txt"],
        "hidden folders and the loop are not read"
    );
    assert!(
        !names.iter().any(|n| n.ends_with("too-deep.txt")),
        "{names:?}"
    );
    assert!(
        corpus.skipped.is_empty(),
        "the glossary is the corpus's own: {:?}",
        corpus.skipped
    );
    assert!(
        corpus
            .problems
            .iter()
            .any(|p| p.file.ends_with(&format!("d{}", corpus::MAX_DEPTH))
                && p.reason.contains("levels deep")),
        "{:?}",
        corpus.problems
    );
    // Cited by that name, found by it.
    let r = Retriever::new(corpus).unwrap();
    let hits = r.search("예산을 의결했다", 1).unwrap();
    let best = r.view(&hits[0]);
    assert_eq!((best.source, best.start_line), ("2025/가을/회의록.MD", 3));
}

#[test]
fn a_missing_folder_is_an_error_naming_it() {
    let err = Corpus::load(std::path::Path::new("/no/such/folder")).unwrap_err();
    assert!(err.to_string().contains("/no/such/folder"));
}

/// The quality bars, kept from regressing: the shared dev set's Korean items (issue 2's bar:
/// hit@1 ≥ 0.95, hit@3 = 1.0; skipped when the shared folder is absent) and the repository's
/// extra set, written blind to the retriever (floors a little under today's figures).
#[test]
fn retrieval_quality_holds_on_both_evaluation_sets() {
    use factcheck::eval::{load_set, score_retrieval};
    let r = common::seed_retriever();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dev = root.join("../shared/eval/dev.jsonl");
    if dev.exists() {
        let report = score_retrieval(&r, &load_set(&dev).unwrap()).unwrap();
        let ko = &report.by_lang["ko"];
        assert!(ko.hit_at_1 >= 0.95, "dev ko {ko:?}");
        assert_eq!(ko.hit_at_3, 1.0, "dev ko {ko:?}");
    } else {
        eprintln!("{} not found; dev bar skipped", dev.display());
    }
    let extra = score_retrieval(&r, &load_set(&root.join("eval/extra.jsonl")).unwrap()).unwrap();
    let all = &extra.overall;
    assert!(all.items >= 30, "{all:?}");
    assert!(
        all.hit_at_1 >= 0.8 && all.hit_at_3 >= 0.9 && all.mrr >= 0.9,
        "extra {all:?}"
    );
}

/// The out-of-domain sets (issue 12): each set with the corpus it is scored on.
const OUT_OF_DOMAIN: &[(&str, &str)] = &[
    ("eval/encyclopedia.jsonl", "eval/corpora/encyclopedia"),
    (
        "eval/encyclopedia.heldout.jsonl",
        "eval/corpora/encyclopedia",
    ),
    ("eval/company.jsonl", "eval/corpora/company"),
    ("eval/company.heldout.jsonl", "eval/corpora/company"),
];

fn repo(path: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Retrieval figures of a set on a corpus folder under a pipeline (the folder's glossary read as
/// the command line reads it).
fn score(
    set: &str,
    corpus: &str,
    pipeline: factcheck::retrieval::index::Pipeline,
) -> factcheck::eval::Metrics {
    use factcheck::eval::{load_set, score_retrieval};
    use factcheck::retrieval::index::corpus_glossary;
    let dir = repo(corpus);
    let mut r = Retriever::with_pipeline(Corpus::load(&dir).unwrap(), pipeline).unwrap();
    if let Some(text) = corpus_glossary(&dir).unwrap() {
        r = r.with_glossary(&text);
    }
    score_retrieval(&r, &load_set(&repo(set)).unwrap())
        .unwrap()
        .overall
}

/// Every evidence quote of every set in `eval/` stands verbatim at its line of its file.
#[test]
fn every_eval_quote_stands_at_its_line() {
    use factcheck::eval::load_set;
    let sets = [
        ("eval/extra.jsonl", "seeds"),
        ("eval/rates.jsonl", "eval/corpora/company"),
        ("eval/encyclopedia.fresh.jsonl", "eval/corpora/encyclopedia"),
        ("eval/company.fresh.jsonl", "eval/corpora/company"),
        ("eval/almanac.en.jsonl", "eval/corpora/almanac-en"),
        ("eval/civic.jsonl", "eval/corpora/civic-ko"),
        ("eval/civic.heldout.jsonl", "eval/corpora/civic-ko"),
        ("eval/wiki.jsonl", "eval/corpora/wiki-md"),
        ("eval/wiki.heldout.jsonl", "eval/corpora/wiki-md"),
    ]
    .into_iter()
    .chain(OUT_OF_DOMAIN.iter().copied());
    for (set, corpus) in sets {
        let items = load_set(&repo(set)).unwrap();
        assert!(!items.is_empty(), "{set}");
        let corpus = Corpus::load(&repo(corpus)).unwrap();
        for item in &items {
            for ev in &item.evidence {
                let file = corpus
                    .files
                    .iter()
                    .find(|f| f.name == ev.source)
                    .unwrap_or_else(|| panic!("{set} {}: no file {}", item.id, ev.source));
                let line = ev.line.expect("a line number");
                assert!(
                    file.lines[line - 1].contains(&ev.quote),
                    "{set} {}: quote not at {}:{line}",
                    item.id,
                    ev.source
                );
            }
        }
    }
}

/// Floors on the out-of-domain sets, a little under the default pipeline's figures in
/// BENCHMARKS.md (hit@1, hit@3, MRR), and never below plain bigram BM25.
#[test]
fn retrieval_holds_on_the_out_of_domain_sets() {
    use factcheck::retrieval::index::Pipeline;
    let floors = [
        (0.62, 0.72, 0.69),
        (0.76, 0.86, 0.82),
        (0.5, 0.64, 0.6),
        (0.4, 0.54, 0.51),
    ];
    for (&(set, corpus), (h1, h3, mrr)) in OUT_OF_DOMAIN.iter().zip(floors) {
        let got = score(set, corpus, Pipeline::default());
        let plain = score(set, corpus, Pipeline::PLAIN);
        assert!(got.items >= 35, "{set}: {got:?}");
        assert!(
            got.hit_at_1 >= h1 && got.hit_at_3 >= h3 && got.mrr >= mrr,
            "{set}: {got:?} under the floors {h1} / {h3} / MRR {mrr}"
        );
        assert!(
            got.hit_at_1 >= plain.hit_at_1
                && got.hit_at_3 >= plain.hit_at_3
                && got.mrr >= plain.mrr,
            "{set}: {got:?} below plain BM25 {plain:?}"
        );
    }
}

/// On the English corpus (written blind; BENCHMARKS.md, "An English corpus"), the lexical
/// pipeline stays a little under its measured 0.575 / 0.700 / MRR 0.693 and above plain bigram
/// BM25; English stems lift it at hit@3.
#[test]
fn retrieval_holds_on_the_english_corpus() {
    use factcheck::retrieval::index::Pipeline;
    let set = ("eval/almanac.en.jsonl", "eval/corpora/almanac-en");
    let got = score(set.0, set.1, Pipeline::default());
    let plain = score(set.0, set.1, Pipeline::PLAIN);
    let unstemmed = score(set.0, set.1, Pipeline::parse("default-stemming").unwrap());
    assert!(
        got.hit_at_1 >= 0.55 && got.hit_at_3 >= 0.68 && got.mrr >= 0.67,
        "{got:?}"
    );
    assert!(
        got.hit_at_1 >= plain.hit_at_1 && got.hit_at_3 >= plain.hit_at_3 && got.mrr >= plain.mrr
    );
    assert!(
        got.hit_at_3 > unstemmed.hit_at_3,
        "{got:?} against {unstemmed:?}"
    );
}

/// On the Markdown wiki (tables, written blind; BENCHMARKS.md, "Tables"), the lexical pipeline
/// stays a little under its measured 0.600 / 0.840 / MRR 0.721 and above plain bigram BM25,
/// and reading a row with its column names lifts it.
#[test]
fn retrieval_holds_on_the_markdown_tables() {
    use factcheck::retrieval::index::Pipeline;
    let set = ("eval/wiki.jsonl", "eval/corpora/wiki-md");
    let got = score(set.0, set.1, Pipeline::default());
    let plain = score(set.0, set.1, Pipeline::PLAIN);
    let bare_rows = score(set.0, set.1, Pipeline::parse("default-columns").unwrap());
    assert!(
        got.hit_at_1 >= 0.56 && got.hit_at_3 >= 0.8 && got.mrr >= 0.7,
        "{got:?}"
    );
    assert!(
        got.hit_at_1 >= plain.hit_at_1 && got.hit_at_3 >= plain.hit_at_3 && got.mrr >= plain.mrr,
        "{got:?} below plain BM25 {plain:?}"
    );
    assert!(got.mrr > bare_rows.mrr, "{got:?} against {bare_rows:?}");
}

/// The built-in glossary is general vocabulary: the names of the seed articles live in the seed
/// folder's own glossary, which the seed corpus reads.
#[test]
fn the_builtin_glossary_knows_nothing_of_the_seed_articles() {
    use factcheck::retrieval::thesaurus::BUILTIN_GLOSSARY;
    for name in [
        "손정의",
        "소프트뱅크",
        "앤트로픽",
        "앱솔릭스",
        "크리스탈 랜드",
        "콴다",
    ] {
        assert!(
            !BUILTIN_GLOSSARY.contains(name),
            "{name} in data/thesaurus.txt"
        );
    }
    let seeds = factcheck::retrieval::index::corpus_glossary(&common::seeds_dir())
        .unwrap()
        .expect("seeds/glossary.thesaurus");
    assert!(seeds.contains("softbank|소프트뱅크"));
}

/// An English question over Korean text reaches a name through its Hangul spelling in the corpus,
/// with no glossary line for it.
#[test]
fn english_names_find_their_hangul_spelling() {
    use factcheck::retrieval::index::Pipeline;
    let corpus = Corpus::from_files(vec![SourceFile::from_text(
        "m.txt",
        "한라산은 제주도에 있는 산이다. 높이는 1,947m이다.\n\
         백두산은 한반도 북쪽 끝에 있는 산으로 천지가 있다.\n\
         지리산은 여러 도에 걸친 넓은 산이다.\n",
    )]);
    let plain = Retriever::with_pipeline(corpus.clone(), Pipeline::LAYER).unwrap();
    assert!(plain.search("Where is Hallasan?", 3).unwrap().is_empty());
    let r = Retriever::new(corpus).unwrap();
    assert_eq!(top_id(&r, "Where is Hallasan?"), "m:1-1");
    assert_eq!(top_id(&r, "Which mountain has Cheonji?"), "m:2-2");
}
