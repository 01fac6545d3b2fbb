//! Safe pre-validation of GGUF files before candle reads them.
