//! Downloading GGUF models from the Hugging Face hub into models/.
