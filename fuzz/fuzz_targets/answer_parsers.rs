//! Fuzz target: the parsers that read model output and corpus text — quantity extraction,
//! citation-marker splitting, quoted spans, sanitising and verdict lines — must never panic on
//! any text, and quantity spans must lie on character boundaries. Run with
//! `cargo +nightly fuzz run answer_parsers` from the repository root (needs cargo-fuzz).
#![no_main]

use factcheck::answer::citations::{quoted_spans, sanitize, split_marked};
use factcheck::answer::generative::split_verdict;
use factcheck::answer::quantity::extract;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for q in extract(text) {
        assert!(text.is_char_boundary(q.span.start) && text.is_char_boundary(q.span.end));
    }
    let clean = sanitize(text);
    for m in split_marked(&clean) {
        let _ = quoted_spans(&m.text);
    }
    let _ = split_verdict(text);
});
