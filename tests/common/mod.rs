//! Fixtures shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use factcheck::retrieval::corpus::{Corpus, SourceFile};
use factcheck::retrieval::index::Retriever;

/// The real seed corpus of the repository.
pub fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// The seed corpus with its own glossary (`seeds/glossary.thesaurus`), as `factcheck` reads it.
pub fn seed_retriever() -> Retriever {
    let r = Retriever::new(Corpus::load(&seeds_dir()).expect("seeds load")).expect("index builds");
    match factcheck::retrieval::index::corpus_glossary(&seeds_dir()).expect("glossary readable") {
        Some(text) => r.with_glossary(&text),
        None => r,
    }
}

/// A small fixture corpus about invented companies.
pub fn fixture_corpus() -> Corpus {
    Corpus::from_files(vec![
        SourceFile::from_text(
            "alpha.txt",
            "알파전자 실적 발표\n\n알파전자는 올해 매출이 3조 원을 넘었다고 밝혔다. 영업이익은 4,500억 원이었다.\n\n관련기사\n- 베타 소식 하나\n- 베타 소식 둘\n- 알파전자 매출 소식\n- 감마 소식 넷\n- 델타 소식 다섯\n",
        ),
        SourceFile::from_text(
            "beta.txt",
            "베타로보틱스가 독일 공장을 인수했다. 인수 가격은 12억 유로다.\n\n베타로보틱스의 창업자는 김철수 대표다.\n",
        ),
        SourceFile::from_text(
            "gamma.txt",
            "감마은행은 금리를 0.25%포인트 인하했다.\n\n사진 설명: 감마은행 본점 전경.\n\n사진 설명: 감마은행 본점 전경.\n",
        ),
    ])
}
pub mod fake;
pub mod http;
pub mod real;
