//! The local model engine: validating and loading GGUF models with candle, generating text, and
//! the dedicated thread that owns the model.

pub mod gguf_check;
pub mod pull;
