//! Developer tools beside the model runtime, not part of serving:
//! - [`bench`](mod@bench): the throughput benchmark behind `factcheck bench`.
//! - [`random`]: GGUF files with random weights and real shapes (`factcheck dev random-model`),
//!   for tests and benchmarks; [`random::tokenizer`] their vocabularies and chat templates.

pub mod bench;
pub mod random;
