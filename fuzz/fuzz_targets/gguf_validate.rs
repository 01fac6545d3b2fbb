//! Fuzz target: `validate_reader` must return `Ok` or `Err` for any bytes, never panic, and never
//! allocate more than the file could justify. Run with `cargo +nightly fuzz run gguf_validate`
//! from the repository root (needs cargo-fuzz); seed the corpus with a few real GGUF headers.
#![no_main]

use std::io::Cursor;

use factcheck::engine::gguf_check::validate_reader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = validate_reader(&mut Cursor::new(data), data.len() as u64);
});
