//! Developer tools beside the model runtime, not part of serving:
//! - [`bench`](mod@bench): the throughput benchmark behind `factcheck bench`.
//! - [`random`]: GGUF files with random weights and real shapes (`factcheck dev random-model`),
//!   for tests and benchmarks; [`random::tokenizer`] their vocabularies and chat templates.
//! - [`teacher_forced`]: per-position predictions for comparing the engine with itself and
//!   with llama.cpp (`factcheck dev teacher-forced`).

pub mod bench;
pub mod random;
pub mod teacher_forced;
