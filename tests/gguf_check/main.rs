//! Crafted GGUF files against the pre-validator: a valid tiny model is built in memory, one thing
//! is corrupted at a time, and each case must come back as its specific error, quickly and without
//! any large allocation (a counting allocator watches the biggest single allocation).
//!
//! One module per section: [`valid`] (the valid file), [`header`], [`metadata`], [`tensors`]
//! (tensor infos), [`architecture`] (consistency with it), [`corruption`] (random corruption never
//! panics), [`candle`] (a file written by candle passes and loads); [`writer`] builds the files,
//! this file watches the allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Cursor;

use factcheck::engine::gguf_check::{validate_file, validate_reader, GgufError, GgufSummary};
use proptest::prelude::*;

mod architecture;
mod candle;
mod corruption;
mod header;
mod metadata;
mod tensors;
mod valid;
mod writer;

use writer::*;

// ---------------------------------------------------------------------------------------------
// Allocation watcher: records the largest single allocation made by the current thread.

pub(crate) struct Watch;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

pub(crate) fn note(size: usize) {
    let _ = LARGEST.try_with(|l| {
        if size > l.get() {
            l.set(size)
        }
    });
}

#[global_allocator]
static GLOBAL: Watch = Watch;

/// Validates `bytes`, asserting that no single allocation exceeded 1 MiB and it took < 2 s.
pub(crate) fn check(bytes: &[u8]) -> Result<GgufSummary, GgufError> {
    let mut cursor = Cursor::new(bytes);
    LARGEST.with(|l| l.set(0));
    let started = std::time::Instant::now();
    let result = validate_reader(&mut cursor, bytes.len() as u64);
    let largest = LARGEST.with(|l| l.get());
    assert!(largest <= 1 << 20, "largest allocation was {largest} bytes");
    assert!(
        started.elapsed().as_secs() < 2,
        "validation took {:?}",
        started.elapsed()
    );
    result
}
